"""Training: a fast custom loop with sparse embedding updates, progress events and cancellation.

Each epoch shuffles the training ratings (seeded), feeds whole batches sliced from arrays into a
compiled step, and evaluates RMSE / MAE on train and validation. Early stopping watches the
validation RMSE and restores the best weights. Regularizer losses are logged per epoch on the
FULL embedding tables (``reg_<kind>``), while training applies L2 per example (batch rows) and
the other regularizers to a uniform sample of movie rows, so a step's cost does not grow with
the catalogue. The per-example L2 weighs a row by count**-0.5 (between per-example and uniform
L2; measured best on ml-100k and ml-latest-small). No global state: two trainings may run at once in two threads.

>>> result = train(load_dataset("ml-100k"), split, ModelSpec())  # doctest: +SKIP
>>> result.metrics["valid_rmse"]  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from movierate.data import RatingsDataset, Split
from movierate.errors import DataError, TrainingCancelled
from movierate.nn.export import export_arrays
from movierate.nn.models import RatingModel, build_model
from movierate.nn.optimizers import SparseOptimizer
from movierate.nn.regularizers import Adversarial, EmbeddingL2, make_regularizer
from movierate.progress import Phase, ProgressCallback, ProgressEvent
from movierate.spec import ModelSpec

#: Movie rows sampled per step for the whitening / decorrelation / adversarial penalties.
REGULARIZER_SAMPLE = 1024
#: Training ratings evaluated per epoch for the train metrics (a fixed random subset).
TRAIN_EVAL_CAP = 200_000
EVAL_BATCH = 131_072
#: L2 weight of a row ~ count**-L2_COUNT_EXPONENT: 0 = per example, 1 = uniform over rows.
L2_COUNT_EXPONENT = 0.5
#: Progress events per epoch during the batch loop.
BATCH_EVENTS_PER_EPOCH = 20


@dataclass
class TrainResult:
    """A trained model: its numpy arrays, per-epoch history and final (best-epoch) metrics.

    Everything but ``keras_model`` is plain data; :meth:`save_keras` writes ``model.keras``, so
    the store saves a result without touching Keras code itself.
    """

    keras_model: RatingModel
    spec: ModelSpec
    #: The embeddings.npz arrays of the best epoch's weights (:func:`export_arrays`).
    arrays: dict[str, np.ndarray]
    history: dict[str, list[float]]
    metrics: dict[str, float]
    train_seconds: float
    ratings_per_second: float
    global_mean: float

    def save_keras(self, path: str | Path) -> None:
        """Write the Keras model in Keras' native format (``model.keras``)."""
        self.keras_model.save(str(path))


def train(
    ds: RatingsDataset,
    split: Split,
    spec: ModelSpec,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    loop_class: type[_TrainingLoop] | None = None,
) -> TrainResult:
    """Train a validated ``spec`` on ``split.train`` of ``ds``; early-stop on ``split.valid``.

    ``loop_class`` replaces the compiled loop (``movierate.nn.distributed`` passes one that
    shares each global batch between workers); the default trains in this process.
    """
    if len(split.train) == 0:
        raise DataError("The training split is empty: choose a smaller validation fraction.")
    users = ds.ratings["user_idx"].to_numpy(np.int32)
    movies = ds.ratings["movie_idx"].to_numpy(np.int32)
    ratings = ds.ratings["rating"].to_numpy(np.float32)
    train_rows = np.asarray(split.train, dtype=np.int64)
    global_mean = float(ratings[train_rows].mean())
    scale = (float(ds.rating_scale.min), float(ds.rating_scale.max))
    model = build_model(spec, ds.n_users, ds.n_movies, global_mean, scale)
    loop = (loop_class or _TrainingLoop)(
        model,
        spec,
        user_l2_weight=_l2_weights(users[train_rows], ds.n_users),
        movie_l2_weight=_l2_weights(movies[train_rows], ds.n_movies),
    )

    rng = np.random.default_rng(spec.seed)
    eval_train = train_rows
    if len(eval_train) > TRAIN_EVAL_CAP:
        eval_train = np.sort(rng.choice(train_rows, TRAIN_EVAL_CAP, replace=False))
    sets = {"train": eval_train, "valid": np.asarray(split.valid, dtype=np.int64)}

    history: dict[str, list[float]] = {}
    best = (np.inf, 0, [v.numpy() for v in model.weights])
    n_batches = -(-len(train_rows) // spec.batch_size)
    events_every = max(1, n_batches // BATCH_EVENTS_PER_EPOCH)
    step_seconds, started, stale = 0.0, time.perf_counter(), 0
    for epoch in range(1, spec.epochs + 1):
        order = train_rows[rng.permutation(len(train_rows))]
        u_epoch, m_epoch, r_epoch = users[order], movies[order], ratings[order]
        epoch_start = time.perf_counter()
        loss_sum = 0.0
        epoch_tensors = loop.epoch_tensors(u_epoch, m_epoch, r_epoch)
        for first in range(0, n_batches, events_every):
            if cancel is not None and cancel.is_set():
                raise TrainingCancelled(f"Training cancelled by the user in epoch {epoch}.")
            count = min(events_every, n_batches - first)
            loss_sum += float(loop.run_batches(*epoch_tensors, first, count, spec.batch_size))
            done = first + count
            if progress is not None and done < n_batches:
                progress(
                    ProgressEvent(
                        Phase.BATCH, epoch, spec.epochs, done, n_batches, {"loss": loss_sum / done}
                    )
                )
        step_seconds += time.perf_counter() - epoch_start
        metrics = {"loss": loss_sum / n_batches}
        for name, rows in sets.items():
            if len(rows):
                rmse, mae = loop.evaluate(users[rows], movies[rows], ratings[rows])
                metrics[f"{name}_rmse"], metrics[f"{name}_mae"] = rmse, mae
        metrics.update(loop.regularizer_losses())
        for key, value in metrics.items():
            history.setdefault(key, []).append(float(value))
        if progress is not None:
            progress(ProgressEvent(Phase.EPOCH, epoch, spec.epochs, n_batches, n_batches, metrics))
        watched = metrics.get("valid_rmse", metrics["train_rmse"])
        if watched < best[0] - 1e-5:
            best, stale = (watched, epoch, [v.numpy() for v in model.weights]), 0
        else:
            stale += 1
            if stale > spec.early_stopping_patience:
                break
    for variable, value in zip(model.weights, best[2], strict=True):
        variable.assign(value)
    train_seconds = time.perf_counter() - started
    best_epoch = best[1]
    final = {key: values[best_epoch - 1] for key, values in history.items()}
    final.update(best_epoch=best_epoch, epochs_run=len(history["loss"]))
    if progress is not None:
        progress(ProgressEvent(Phase.DONE, best_epoch, spec.epochs, n_batches, n_batches, final))
    epochs_run = len(history["loss"])
    return TrainResult(
        keras_model=model,
        spec=spec,
        arrays=export_arrays(model, spec),
        history=history,
        metrics=final,
        train_seconds=train_seconds,
        ratings_per_second=len(train_rows) * epochs_run / max(step_seconds, 1e-9),
        global_mean=global_mean,
    )


def _l2_weights(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Per-row L2 weights ~ count**-alpha, scaled so the mean weight over examples is 1."""
    counts = np.bincount(rows, minlength=n_rows).astype(np.float64)
    weights = np.where(counts > 0, np.maximum(counts, 1.0) ** -L2_COUNT_EXPONENT, 0.0)
    weights *= len(rows) / max(float(np.dot(weights, counts)), 1e-12)
    return weights.astype(np.float32)


class _TrainingLoop:
    """The compiled training step, evaluation and regularizer logging of one model."""

    def __init__(
        self,
        model: RatingModel,
        spec: ModelSpec,
        user_l2_weight: np.ndarray,
        movie_l2_weight: np.ndarray,
    ) -> None:
        self.model, self.spec = model, spec
        self.user_l2_weight = tf.constant(user_l2_weight)
        self.movie_l2_weight = tf.constant(movie_l2_weight)
        n_movies = len(movie_l2_weight)
        self.user_table = model.user_embedding.embeddings.value
        self.movie_table = model.movie_embedding.embeddings.value
        strengths = dict(spec.regularizers)
        self.l2 = EmbeddingL2(strengths.pop("l2", 0.0))
        self.sampled = {
            kind: make_regularizer(kind, strength, seed=spec.seed + 100)
            for kind, strength in strengths.items()
        }
        self.adversarial = self.sampled.get("adversarial")
        self.sample_size = min(REGULARIZER_SAMPLE, n_movies)
        self.n_movies = n_movies
        self.random = tf.random.Generator.from_seed(spec.seed)
        self.bias_tables = [
            (side, layer.embeddings.value)
            for side, layer in (("user", model.user_bias), ("movie", model.movie_bias))
            if layer is not None
        ]
        tables = {id(self.user_table), id(self.movie_table)}
        tables |= {id(table) for _, table in self.bias_tables}
        variables = [v.value for v in model.trainable_weights]
        self.dense_variables = [v for v in variables if id(v) not in tables]
        self.optimizer = SparseOptimizer(spec.optimizer, spec.learning_rate, variables)
        if isinstance(self.adversarial, Adversarial):
            critic = self.adversarial.build_critic(spec.dim)
            self.critic_variables = [v.value for v in critic.trainable_weights]
            self.critic_optimizer = SparseOptimizer("adam", 1e-3, self.critic_variables)
        index = tf.TensorSpec([None], tf.int32)
        scalar = tf.TensorSpec([], tf.int32)
        self.run_batches = tf.function(
            self._run_batches,
            input_signature=[
                index,
                index,
                tf.TensorSpec([None], tf.float32),
                scalar,
                scalar,
                scalar,
            ],
        )
        self._predict = tf.function(self._predict_batch, input_signature=[index, index])

    def _sample_rows(self) -> tf.Tensor:
        if self.sample_size == self.n_movies:
            return tf.range(self.n_movies)
        return self.random.uniform([self.sample_size], 0, self.n_movies, dtype=tf.int32)

    @staticmethod
    def epoch_tensors(*arrays: np.ndarray) -> tuple[tf.Tensor, ...]:
        """One epoch's shuffled users, movies and ratings as tensors (converted once)."""
        return tuple(tf.constant(a) for a in arrays)

    def _run_batches(self, users, movies, ratings, first, count, batch_size) -> tf.Tensor:
        """Steps over batches ``first .. first + count - 1`` in one graph call; summed MSE."""
        total = tf.constant(0.0)
        n = tf.shape(users)[0]
        for i in tf.range(count):
            start = (first + i) * batch_size
            end = tf.minimum(start + batch_size, n)
            total += self._step(users[start:end], movies[start:end], ratings[start:end])
        return total

    def combine(self, tables, gathered, grads, batch):
        """Row updates ``(table, rows, grad, current)`` and dense gradients to apply: this
        process's own (``nn.distributed`` sums them over workers)."""
        n = len(tables)
        updates = [
            (table, rows, tf.convert_to_tensor(grad), current)
            for (table, rows), grad, current in zip(tables, grads[:n], gathered, strict=True)
        ]
        return updates, grads[n:]

    def _step(self, users: tf.Tensor, movies: tf.Tensor, ratings: tf.Tensor) -> tf.Tensor:
        """One update: each touched row is gathered once, its gradient merged, updated sparsely."""
        if self.adversarial is not None:
            self._critic_step()
        batch = tf.shape(movies)[0]
        user_rows, user_pos = tf.unique(users)
        movie_ids = tf.concat([movies, self._sample_rows()], 0) if self.sampled else movies
        movie_rows, movie_pos = tf.unique(movie_ids)
        tables = [(self.user_table, user_rows), (self.movie_table, movie_rows)]
        tables += [
            (table, user_rows if side == "user" else movie_rows) for side, table in self.bias_tables
        ]
        gathered = [tf.gather(table, rows) for table, rows in tables]
        with tf.GradientTape() as tape:
            tape.watch(gathered)
            u = tf.gather(gathered[0], user_pos)
            m = tf.gather(gathered[1], movie_pos[:batch])
            biases = {
                side: tf.gather(values, user_pos if side == "user" else movie_pos[:batch])
                for (side, _), values in zip(self.bias_tables, gathered[2:], strict=True)
            }
            z = self.model.centred_score(
                u, m, biases.get("user"), biases.get("movie"), training=True
            )
            mse = tf.reduce_mean(tf.square(self.model.to_rating(z, training=True) - ratings))
            loss = mse
            if self.l2.strength:
                user_w = tf.gather(self.user_l2_weight, users)
                movie_w = tf.gather(self.movie_l2_weight, movies)
                loss += self.l2.strength * (
                    tf.reduce_mean(user_w * tf.reduce_sum(u * u, 1))
                    + tf.reduce_mean(movie_w * tf.reduce_sum(m * m, 1))
                )
            if self.sampled:
                sample = tf.gather(gathered[1], movie_pos[batch:])
                for regularizer in self.sampled.values():
                    loss += regularizer(sample)
            if self.model.losses:
                loss += tf.add_n(self.model.losses)
        grads = tape.gradient(loss, gathered + self.dense_variables)
        updates, dense_grads = self.combine(tables, gathered, grads, batch)
        lr = self.optimizer.next_learning_rate()
        for table, rows, grad, current in updates:
            self.optimizer.apply_rows(table, rows, grad, lr, current)
        for var, grad in zip(self.dense_variables, dense_grads, strict=True):
            if grad is not None:
                self.optimizer.apply_dense(var, grad, lr)
        return mse

    def _critic_step(self) -> None:
        rows = tf.stop_gradient(tf.gather(self.movie_table, self._sample_rows()))
        uniform = self.random.uniform(tf.shape(rows), -1.0, 1.0)
        with tf.GradientTape() as tape:
            loss = self.adversarial.critic_loss(rows, uniform)
        grads = tape.gradient(loss, self.critic_variables)
        self.critic_optimizer.apply(list(zip(grads, self.critic_variables, strict=True)))

    def _predict_batch(self, users: tf.Tensor, movies: tf.Tensor) -> tf.Tensor:
        return self.model(tf.stack([users, movies], axis=1), training=False)

    def evaluate(
        self, users: np.ndarray, movies: np.ndarray, ratings: np.ndarray
    ) -> tuple[float, float]:
        """RMSE and MAE of the final (clipped / squashed) predictions."""
        sq, ab = 0.0, 0.0
        for start in range(0, len(users), EVAL_BATCH):
            s = slice(start, start + EVAL_BATCH)
            err = self._predict(users[s], movies[s]).numpy() - ratings[s]
            sq += float(np.dot(err, err))
            ab += float(np.abs(err).sum())
        return float(np.sqrt(sq / len(users))), ab / len(users)

    def regularizer_losses(self) -> dict[str, float]:
        """Raw penalties (strength not applied) of the whole tables, one per regularizer."""
        losses = {}
        if "l2" in self.spec.regularizers:
            losses["reg_l2"] = float(
                self.l2.penalty(self.user_table) + self.l2.penalty(self.movie_table)
            )
        for kind, regularizer in self.sampled.items():
            losses[f"reg_{kind}"] = float(regularizer.penalty(self.movie_table))
        if self.adversarial is not None:
            rows = self.movie_table
            uniform = self.random.uniform(tf.shape(rows), -1.0, 1.0)
            losses["disc_loss"] = float(self.adversarial.critic_loss(rows, uniform))
        return losses
