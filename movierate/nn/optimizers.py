"""Optimizers that keep embedding updates sparse: only the rows a batch touched change.

Keras 3's optimizers update every row of an embedding table at each step (Adam's moments decay
everywhere), so a step costs O(catalogue). Here a gradient that arrives as ``tf.IndexedSlices``
has its duplicate rows merged (``tf.unique`` + ``unsorted_segment_sum``) and only those rows of
the variable and its slots are read and written ("lazy" Adam / RMSprop / Adagrad). Dense
gradients (the MLP of ``deep``) take the ordinary dense update.

Rows are written with ``scatter_update`` of ``gathered - delta``, never ``scatter_sub``: on CPU,
TensorFlow's arithmetic scatter kernels (scatter_sub / scatter_add / scatter_nd_sub, and the fused
``ResourceSparseApply*`` kernels) cost about 1-2 us per 32-float row, 7-10x a gather + a
``scatter_update`` (benchmarks/bench_step.py; README, "Training speed"). That is only
right because the rows are unique, which :meth:`SparseOptimizer.apply_rows` requires.
"""

from __future__ import annotations

import tensorflow as tf

from movierate import schema
from movierate.errors import SpecError

KINDS = schema.names("optimizer")
#: Slot variables per optimizer (keys: the schema's optimizer names).
_SLOTS = {"adam": ("m", "v"), "rmsprop": ("v",), "sgd": (), "adagrad": ("acc",)}
assert tuple(_SLOTS) == KINDS


class SparseOptimizer:
    """Adam, RMSprop, Adagrad or SGD over a fixed list of ``tf.Variable``s."""

    def __init__(
        self,
        kind: str,
        learning_rate: float,
        variables: list[tf.Variable],
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        rho: float = 0.9,
        epsilon: float = 1e-7,
    ) -> None:
        if kind not in _SLOTS:
            raise SpecError(f"optimizer = {kind!r} is invalid: choose one of {', '.join(KINDS)}.")
        self.kind, self.learning_rate = kind, float(learning_rate)
        self.beta_1, self.beta_2, self.rho, self.epsilon = beta_1, beta_2, rho, epsilon
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False)
        #: this epoch's learning rate (:meth:`start_epoch`): a variable, so a schedule never
        #: retraces or recompiles a step
        self.rate = tf.Variable(self.learning_rate, dtype=tf.float32, trainable=False)
        #: Adagrad's accumulators start at 0.1 (Keras' default), every other slot at 0
        self.initial_slot = 0.1 if kind == "adagrad" else 0.0
        self.slots = {
            id(var): [
                tf.Variable(tf.fill(tf.shape(var), self.initial_slot), trainable=False)
                for _ in _SLOTS[kind]
            ]
            for var in variables
        }

    def reset(self) -> None:
        """Back to the state of a new optimizer: no steps taken, slots at their initial value."""
        self.iterations.assign(0)
        self.rate.assign(self.learning_rate)
        for slots in self.slots.values():
            for slot in slots:
                slot.assign(tf.fill(tf.shape(slot), self.initial_slot))

    def start_epoch(self, epoch: int, decay: float) -> None:
        """Set the learning rate of epoch ``epoch`` (from 1): the initial one times
        ``decay ** (epoch - 1)`` (call outside tf.function, before the epoch's steps)."""
        self.rate.assign(self.learning_rate * decay ** (epoch - 1))

    def next_learning_rate(self) -> tf.Tensor:
        """Count one step and return its learning rate (Adam's bias correction included)."""
        self.iterations.assign_add(1)
        lr = tf.identity(self.rate)
        if self.kind == "adam":
            step = tf.cast(self.iterations, tf.float32)
            lr = lr * tf.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        return lr

    def apply(self, grads_and_vars: list[tuple[tf.Tensor | tf.IndexedSlices, tf.Variable]]) -> None:
        """One step for every variable whose gradient is not None (call inside tf.function)."""
        lr = self.next_learning_rate()
        for grad, var in grads_and_vars:
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices):
                rows, positions = tf.unique(grad.indices)
                g = tf.math.unsorted_segment_sum(grad.values, positions, tf.shape(rows)[0])
                self.apply_rows(var, rows, g, lr)
            else:
                self.apply_dense(var, grad, lr)

    def apply_rows(
        self,
        var: tf.Variable,
        rows: tf.Tensor,
        grad: tf.Tensor,
        lr: tf.Tensor,
        current: tf.Tensor | None = None,
    ) -> None:
        """Update only ``rows`` (UNIQUE indices) of ``var`` with their summed gradient ``grad``.

        ``current`` is ``tf.gather(var, rows)`` when the caller already holds it (read before
        this step's update); it is gathered here otherwise.
        """
        if current is None:
            current = tf.gather(var, rows)
        if self.kind == "sgd":
            var.scatter_update(tf.IndexedSlices(current - lr * grad, rows))
            return
        delta = self._delta(
            var,
            grad,
            lr,
            lambda slot: tf.gather(slot, rows),
            lambda slot, value: slot.scatter_update(tf.IndexedSlices(value, rows)),
        )
        var.scatter_update(tf.IndexedSlices(current - delta, rows))

    def apply_dense(self, var: tf.Variable, grad: tf.Tensor, lr: tf.Tensor) -> None:
        """The ordinary update of a whole variable."""
        if self.kind == "sgd":
            var.assign_sub(lr * grad)
            return
        var.assign_sub(
            self._delta(var, grad, lr, lambda slot: slot, lambda slot, value: slot.assign(value))
        )

    def slot_variables(self, var: tf.Variable) -> list[tf.Variable]:
        """The slot variables of ``var`` (Adam: m, v; RMSprop: v; Adagrad: acc; SGD: none)."""
        return self.slots[id(var)]

    def delta(
        self, g: tf.Tensor, lr: tf.Tensor, slot_values: list[tf.Tensor]
    ) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """(the step to subtract, the new slot values) for gradient ``g``: elementwise, so it
        works on any rows of a variable, or on rows of several variables side by side."""
        if self.kind == "sgd":
            return lr * g, []
        if self.kind == "adam":
            m = self.beta_1 * slot_values[0] + (1.0 - self.beta_1) * g
            v = self.beta_2 * slot_values[1] + (1.0 - self.beta_2) * tf.square(g)
            return lr * m / (tf.sqrt(v) + self.epsilon), [m, v]
        if self.kind == "rmsprop":
            v = self.rho * slot_values[0] + (1.0 - self.rho) * tf.square(g)
            return lr * g / (tf.sqrt(v) + self.epsilon), [v]
        acc = slot_values[0] + tf.square(g)  # adagrad
        return lr * g / (tf.sqrt(acc) + self.epsilon), [acc]

    def _delta(self, var, g, lr, read, write) -> tf.Tensor:
        slots = self.slots[id(var)]
        step, values = self.delta(g, lr, [read(slot) for slot in slots])
        for slot, value in zip(slots, values, strict=True):
            write(slot, value)
        return step
