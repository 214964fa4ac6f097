"""Training on several machines: data-parallel steps under ``MultiWorkerMirroredStrategy``.

Every worker process holds a full copy of the model and of the training data, shuffles each
epoch with the same seed, and takes its share of every global batch (``spec.batch_size``
ratings, split into contiguous, nearly equal shares). A worker's gradients are weighted by its
share of the batch, then combined across workers inside the compiled step:

- embedding rows (user / movie tables and biases): an all-reduce of ``tf.IndexedSlices``, which
  TensorFlow's collective implementation carries out as an ALL-GATHER of every worker's
  (row ids, row gradients) -- the tables themselves never travel. Each worker then merges the
  duplicate rows (``tf.unique`` + ``unsorted_segment_sum``) of the gathered slices, in the same
  order everywhere, so every worker applies the same sparse (lazy) optimizer update;
- dense variables (the MLP of ``deep``): a plain all-reduce (sum).

The result equals single-process training at the same global batch up to float summation order.
Evaluation, early stopping and progress run on every worker (identical weights give identical
decisions); worker 0 (the chief) saves the model.

Start one process per machine with the same command and a ``TF_CONFIG`` naming every worker
(see the README, "Training on several machines")::

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}' \\
        python -m movierate.nn.distributed --dataset ml-25m --name big --spec spec.json

The strategy must be created before TensorFlow runs anything else in the process
(:func:`make_strategy` first). Parameter-server training is not supported (Keras 3 does not
support ``ParameterServerStrategy``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import tensorflow as tf

from movierate.nn.training import (
    TrainResult,
    _TrainingLoop,
    loop_function,
    summed_steps,
    train,
)
from movierate.progress import Phase

_SUM = tf.distribute.ReduceOp.SUM


def make_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    """The strategy of this worker, from ``TF_CONFIG`` (call before any other TensorFlow work)."""
    return tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
    )


def worker_info() -> tuple[int, int]:
    """(this worker's index, number of workers) from ``TF_CONFIG``; (0, 1) without one."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    workers = config.get("cluster", {}).get("worker", [])
    task = config.get("task", {})
    return int(task.get("index", 0)), max(1, len(workers))


class DistributedLoop(_TrainingLoop):
    """The compiled loop with each global batch shared between the strategy's workers."""

    strategy: tf.distribute.Strategy
    #: every worker must run the same steps per call: their collectives pair up step by step
    timed_calls = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.worker, self.workers = worker_info()
        index = tf.TensorSpec([None], tf.int32)
        scalar = tf.TensorSpec([], tf.int32)
        signature = [index, index, tf.TensorSpec([None], tf.float32), *[scalar] * 4]
        self.run_batches = loop_function(
            self._run_shared_batches, input_signature=signature, autograph=False
        )

    def _run_shared_batches(self, users, movies, ratings, n, first, count, batch_size) -> tf.Tensor:
        """Global batches ``first .. first + count - 1`` of the epoch's ``n`` examples; each
        worker steps on its share.

        The loop stays outside ``strategy.run`` (a synchronisation point may not sit inside
        control flow in the replica function), as Keras' ``steps_per_execution`` does.
        """

        def step(i: tf.Tensor) -> tf.Tensor:
            start = (first + i) * batch_size
            end = tf.minimum(start + batch_size, n)
            batch = (users[start:end], movies[start:end], ratings[start:end])
            out = self.strategy.run(self._shared_step, args=batch)
            return self.strategy.experimental_local_results(out)[0]

        return summed_steps(count, step)

    def _shared_step(self, users: tf.Tensor, movies: tf.Tensor, ratings: tf.Tensor) -> tf.Tensor:
        return self._step(*self.shard(users, movies, ratings))

    def shard(self, *batch: tf.Tensor) -> tuple[tf.Tensor, ...]:
        n = tf.shape(batch[0])[0]
        start = n * self.worker // self.workers
        end = n * (self.worker + 1) // self.workers
        return tuple(t[start:end] for t in batch)

    def _weight(self, batch: tf.Tensor) -> tf.Tensor:
        """This worker's share of the global batch (its gradients and loss are scaled by it)."""
        local = tf.cast(batch, tf.float32)
        total = tf.distribute.get_replica_context().all_reduce(_SUM, local)
        return local / tf.maximum(total, 1.0)

    def combine(self, tables, gathered, grads, batch):
        ctx = tf.distribute.get_replica_context()
        weight = self._weight(batch)
        n = len(tables)
        updates = []
        for (table, rows), grad in zip(tables, grads[:n], strict=True):
            local = tf.IndexedSlices(tf.convert_to_tensor(grad) * weight, rows)
            merged = ctx.all_reduce(_SUM, local)  # an all-gather of (rows, values)
            if isinstance(merged, tf.IndexedSlices):
                unique, positions = tf.unique(merged.indices)
                values = tf.math.unsorted_segment_sum(merged.values, positions, tf.shape(unique)[0])
                updates.append((table, unique, values, None))
            else:  # a dense sum of the whole table (not expected from collectives)
                updates.append((table, tf.range(tf.shape(merged)[0]), merged, None))
        dense = [None if g is None else ctx.all_reduce(_SUM, g * weight) for g in grads[n:]]
        return updates, dense

    def _step(self, users: tf.Tensor, movies: tf.Tensor, ratings: tf.Tensor) -> tf.Tensor:
        batch = tf.shape(movies)[0]
        mse = super()._step(users, movies, ratings)
        mse = tf.where(batch > 0, mse, 0.0)  # an empty share (batch < workers) adds nothing
        return tf.distribute.get_replica_context().all_reduce(_SUM, mse * self._weight(batch))


def train_distributed(
    strategy: tf.distribute.Strategy, ds: Any, split: Any, spec: Any, **kwargs: Any
) -> TrainResult:
    """:func:`movierate.nn.training.train` with every global batch shared by the workers."""
    loop_class = type("BoundDistributedLoop", (DistributedLoop,), {"strategy": strategy})
    return train(ds, split, spec, loop_class=loop_class, **kwargs)


def worker_spec(path: str | None, dataset: str, n_ratings: int) -> tuple[Any, str | None]:
    """The spec a worker trains: the JSON file at ``path``, else what ``movierate train`` gives
    this data when no flag is set (its size's defaults: README review, s26: a 2 M-rating set
    trained at batch 1,024 here and 32,768 with ``train``), with a note naming those."""
    from movierate import schema
    from movierate.defaults import data_size_changes
    from movierate.spec import ModelSpec

    if path:
        return ModelSpec.from_dict(json.loads(Path(path).read_text())).validate(), None
    spec = ModelSpec()
    sized = data_size_changes(dataset, spec.family, n_ratings)
    spec = spec.with_(**sized).validate()
    if not sized:
        return spec, None
    return spec, (
        f"{n_ratings:,} ratings and no --spec, so this size's defaults: "
        + schema.settings_text(spec, sized, "label")  # a worker has no such flags (recheck B)
    )


def main(argv: list[str] | None = None) -> int:
    """Run one worker: train ``--dataset`` with ``--spec``; worker 0 saves it as ``--name``."""
    parser = argparse.ArgumentParser(
        prog="python -m movierate.nn.distributed",
        description="One worker of a multi-machine training.",
    )
    parser.add_argument("--dataset", required=True, help="dataset name or folder (same on all)")
    parser.add_argument("--name", required=True, help="model name (saved by worker 0)")
    parser.add_argument(
        "--spec",
        help="ModelSpec JSON file (default: what `python -m movierate train` uses for a set "
        "this size, e.g. batch 32768, lr 0.02 x 0.7 per epoch, L2 0.02 from 2 M ratings)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a saved model of that name"
    )
    args = parser.parse_args(argv)
    strategy = make_strategy()  # before anything else runs TensorFlow ops

    from movierate import store
    from movierate.data import load_dataset
    from movierate.pipeline import DEFAULT_SPLIT, split_from_settings, test_metrics

    ds = load_dataset(args.dataset)
    spec, note = worker_spec(args.spec, args.dataset, len(ds))
    if note and worker_info()[0] == 0:
        print(f"note: {note}", file=sys.stderr, flush=True)
    split = split_from_settings(ds, DEFAULT_SPLIT)
    worker, workers = worker_info()

    def report(event) -> None:
        if event.phase == Phase.EPOCH and worker == 0:
            print(f"epoch {event.epoch}: {event.metrics}", flush=True)

    result = train_distributed(strategy, ds, split, spec, progress=report)
    if worker == 0:
        result.metrics = {
            **result.metrics,
            **test_metrics(result.arrays, spec, ds, split, result.rating_scale),
        }
        store.save_model(args.name, result, ds, split, spec, overwrite=args.overwrite)
        print(f"saved {args.name!r} ({workers} workers, {result.metrics})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
