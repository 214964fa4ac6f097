"""The ``autorec`` family: item-based AutoRec (Sedhain et al., WWW 2015), its model and its fit.

Each movie i is encoded from its vector of TRAINING ratings over users (missing entries 0, as in
the paper): h_i = sigmoid(sum_u V_u r_ui + mu), ``dim`` hidden units. Raw ratings, not centred
ones: their sums also say WHO rated the movie (measured on ml-100k's stop rows: 0.907 against
0.935 centred). The decoder reconstructs every user's rating with an identity output around the
global mean g:

    r(u, i) = g + W_u . h_i + b_u            (then the spec's output transform, ``clip`` ...)

so the model is a dot product of a user vector W_u (the decoder row) and a movie vector h_i
(the movie's code) plus a user bias: it exports exactly like ``mf_bias`` with no movie bias,
and the numpy scorer and every explore page treat it as one. "The movie embedding" is the code
h_i; the encoder rows V_u are kept as ``user_encoder`` for exploration. A movie with no training
ratings gets the code sigmoid(mu) of an empty input; a user with no training ratings has their
decoder row and bias set to 0, so they are predicted the global mean (plus the output transform).

Training minimises, over batches of movies (about ``batch_size`` training ratings each), the
mean squared error on OBSERVED entries only, each entry predicted from the code of the movie's
OTHER training ratings (sigmoid(pre-activation - V_u r_ui), "leave one out", at no extra cost;
:data:`LEAVE_ONE_OUT`): the paper reconstructs the entry from a code that contains it, and
a movie with few ratings then mostly learns to copy its input, which no held-out rating can
use (ml-latest-small, many movies with 1-3 ratings: stop RMSE 0.890 -> 0.835). Plus ``l2`` x
(|V|^2 + |W|^2) / |training rows|, so its expectation over an epoch is (1/N)(sum of squared
errors + l2 |weights|^2): ``l2`` is the paper's lambda / 2. ``dropout`` drops input ratings
(a denoising variant; 0 = the paper). Early stopping on the split's stop rows restores the best
epoch, like the other families; without stop rows (a refit) the last epoch is kept.

The model stores the training ratings per movie (CSR of non-trainable weights, as ``svdpp``
stores N(u)), so ``model.keras`` predicts on its own from (user, movie) pairs. Memory grows
with n_users x dim: catalogues beyond :data:`MAX_USER_UNITS` are refused with a SpecError.

>>> result = train_autorec(load_dataset("ml-100k"), split, ModelSpec(family="autorec", dim=500,
...                        regularizers={"l2": 30.0}))  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from movierate import scoring
from movierate.data import RatingsDataset, Split
from movierate.errors import DataError, SpecError, TrainingCancelled
from movierate.nn.models import RatingModel, initial_rows
from movierate.nn.optimizers import SparseOptimizer
from movierate.nn.training import (
    EarlyStopping,
    check_diverged,
    evaluation_rows,
    loop_function,
    training_scale,
)
from movierate.progress import Phase, ProgressCallback, ProgressEvent
from movierate.spec import ModelSpec

#: n_users x dim at most: the encoder and decoder (plus their Adam slots) are dense
#: (n_users, dim) tables updated at every step, about 24 bytes per entry in all.
MAX_USER_UNITS = 60_000_000
#: Progress events per epoch during the batch loop.
BATCH_EVENTS_PER_EPOCH = 20
#: Train each entry on the code of the movie's OTHER training ratings (as a held-out rating
#: is predicted) instead of the code that includes it (the paper's reconstruction, False).
#: Measured on ml-latest-small's stop rows (dim 500, l2 100): 0.835 against 0.890.
LEAVE_ONE_OUT = True


@keras.saving.register_keras_serializable(package="movierate")
class AutoRecModel(keras.Model):
    """I-AutoRec over (user, movie) pairs: input (batch, 2) ints ``[user_idx, movie_idx]``."""

    def __init__(
        self,
        n_users: int,
        n_movies: int,
        spec: dict[str, Any],
        global_mean: float,
        rating_scale: tuple[float, float],
        n_train: int = 0,
        score_unit: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        #: rating points per unit of z and of the encoder's input (as :class:`RatingModel`'s)
        self.score_unit = float(score_unit)
        self.n_users, self.n_movies, self.n_train = int(n_users), int(n_movies), int(n_train)
        self.spec = ModelSpec.from_dict(dict(spec))
        self.global_mean = float(global_mean)
        self.rating_scale = (float(rating_scale[0]), float(rating_scale[1]))
        k, seed = self.spec.dim, self.spec.seed
        self.encoder = self.add_weight(
            shape=(self.n_users, k),
            initializer="zeros",  # train_autorec draws the start
            name="encoder",
        )
        self.encoder_bias = self.add_weight(shape=(k,), initializer="zeros", name="encoder_bias")
        self.decoder = self.add_weight(
            shape=(self.n_users, k),
            initializer="zeros",  # train_autorec draws the start
            name="decoder",
        )
        self.decoder_bias = self.add_weight(
            shape=(self.n_users,), initializer="zeros", name="decoder_bias"
        )
        rows = max(self.n_train, 1)
        self.movie_offsets = self.add_weight(
            shape=(self.n_movies + 1,),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="movie_offsets",
        )
        self.movie_users = self.add_weight(
            shape=(rows,), dtype="int32", initializer="zeros", trainable=False, name="movie_users"
        )
        self.movie_ratings = self.add_weight(
            shape=(rows,), initializer="zeros", trainable=False, name="movie_ratings"
        )
        self.input_dropout = keras.layers.Dropout(self.spec.dropout, seed=seed + 2)
        self.built = True

    #: The output transform around the global mean, shared with every other family.
    to_rating = RatingModel.to_rating
    unit_loss = RatingModel.unit_loss

    def set_ratings(self, users: np.ndarray, movies: np.ndarray, ratings: np.ndarray) -> None:
        """Store the training ratings per movie (CSR by movie), as given (not centred)."""
        order = np.lexsort((users, movies))
        counts = np.bincount(movies, minlength=self.n_movies)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        if len(order) != self.n_train:
            raise ValueError(f"expected {self.n_train} training ratings, got {len(order)}")
        self.movie_offsets.assign(offsets)
        if len(order):
            self.movie_users.assign(np.asarray(users, np.int32)[order])
            self.movie_ratings.assign(np.asarray(ratings, np.float32)[order])

    def movie_entries(self, movies: Any) -> tuple[Any, Any, Any]:
        """For movie indices: their training entries' users, ratings and row in ``movies``."""
        offsets = tf.convert_to_tensor(self.movie_offsets.value)
        positions = tf.ragged.range(tf.gather(offsets, movies), tf.gather(offsets, movies + 1))
        flat = positions.flat_values
        users = tf.gather(tf.convert_to_tensor(self.movie_users.value), flat)
        ratings = tf.gather(tf.convert_to_tensor(self.movie_ratings.value), flat)
        return users, ratings, tf.cast(positions.value_rowids(), tf.int32)

    def encoder_input(self, ratings: Any) -> Any:
        """Ratings in score units, the encoder's input: of star size on any scale (accuracy
        round 44, F1)."""
        return ratings if self.score_unit == 1.0 else ratings / self.score_unit

    def encode(self, encoder_rows: Any, ratings: Any, owner: Any, n: Any) -> Any:
        """h = sigmoid(sum of encoder rows x ratings (in score units) per movie + mu), (n, dim)."""
        weighted = encoder_rows * self.encoder_input(ratings)[:, None]
        return tf.sigmoid(tf.math.unsorted_segment_sum(weighted, owner, n) + self.encoder_bias)

    def codes(self, movies: Any) -> Any:
        """The movie codes h_i (the movie embedding) of movie indices, from training ratings."""
        movies = tf.convert_to_tensor(movies, tf.int32)
        users, ratings, owner = self.movie_entries(movies)
        rows = tf.gather(tf.convert_to_tensor(self.encoder.value), users)
        return self.encode(rows, ratings, owner, tf.shape(movies)[0])

    def call(self, inputs: Any, training: bool = False) -> Any:
        inputs = tf.cast(inputs, tf.int32)
        users, movies = inputs[:, 0], inputs[:, 1]
        unique, where = tf.unique(movies)
        h = tf.gather(self.codes(unique), where)
        z = tf.reduce_sum(tf.gather(self.decoder, users) * h, 1)
        return self.to_rating(z + tf.gather(self.decoder_bias, users), training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            n_users=self.n_users,
            n_movies=self.n_movies,
            spec=self.spec.to_dict(),
            global_mean=self.global_mean,
            rating_scale=list(self.rating_scale),
            n_train=self.n_train,
            score_unit=self.score_unit,
        )
        return config


def autorec_arrays(model: AutoRecModel) -> dict[str, np.ndarray]:
    """The embeddings.npz arrays: a dot-product model like mf_bias (no movie bias).

    ``movie_embedding`` = the codes h_i (from training ratings only), ``user_embedding`` = the
    decoder rows W_u, ``user_bias`` = b_u; ``user_encoder`` (V_u) and ``encoder_bias`` (mu)
    are kept for exploration; the scorer does not read them.
    """
    codes = model.codes(np.arange(model.n_movies, dtype=np.int32))
    arrays = {
        "user_embedding": _numpy(model.decoder),
        "movie_embedding": _numpy(codes),
        "user_bias": _numpy(model.decoder_bias),
        "global_mean": np.asarray(model.global_mean, dtype=np.float32),
        "user_encoder": _numpy(model.encoder),
        "encoder_bias": _numpy(model.encoder_bias),
    }
    if model.score_unit != 1.0:  # absent: 1 (accuracy round 44, F1)
        arrays["score_unit"] = np.asarray(model.score_unit, dtype=np.float32)
    return arrays


def check_size(n_users: int, dim: int) -> None:
    """SpecError when the (n_users, dim) encoder and decoder would not fit in memory."""
    if n_users * dim > MAX_USER_UNITS:
        raise SpecError(
            f"autorec with {dim} hidden units on {n_users:,} users needs two dense "
            f"{n_users:,} x {dim} tables (about {24 * n_users * dim / 1e9:.1f} GB with the "
            f"optimizer's state); the limit is users x hidden units <= {MAX_USER_UNITS:,}. "
            f"Use dim <= {max(1, MAX_USER_UNITS // max(n_users, 1))} or pick mf_bias."
        )


class _AutoRecLoop:
    """The compiled step (one batch of movies) of one AutoRec model."""

    def __init__(self, model: AutoRecModel, spec: ModelSpec, n_train: int) -> None:
        self.model, self.spec = model, spec
        self.l2 = float(spec.regularizers.get("l2", 0.0)) / max(n_train, 1)
        self.variables = [
            model.encoder.value,
            model.encoder_bias.value,
            model.decoder.value,
            model.decoder_bias.value,
        ]
        self.optimizer = SparseOptimizer(spec.optimizer, spec.learning_rate, self.variables)
        self.step = loop_function(self._step, input_signature=[tf.TensorSpec([None], tf.int32)])

    def _step(self, movies: tf.Tensor) -> tf.Tensor:
        model = self.model
        users, ratings, owner = model.movie_entries(movies)
        encoder, encoder_bias, decoder, decoder_bias = self.variables
        with tf.GradientTape() as tape:
            inputs = model.input_dropout(model.encoder_input(ratings), training=True)
            encoder_rows = tf.gather(encoder, users)
            if LEAVE_ONE_OUT:  # each entry is predicted from the movie's OTHER ratings
                pre = tf.math.unsorted_segment_sum(
                    encoder_rows * inputs[:, None], owner, tf.shape(movies)[0]
                )
                own = encoder_rows * inputs[:, None]
                h_entry = tf.sigmoid(tf.gather(pre, owner) - own + model.encoder_bias)
            else:
                h = model.encode(encoder_rows, inputs, owner, tf.shape(movies)[0])
                h_entry = tf.gather(h, owner)
            z = tf.reduce_sum(tf.gather(decoder, users) * h_entry, 1)
            z = z + tf.gather(decoder_bias, users)
            target = ratings
            mse = tf.reduce_mean(tf.square(model.to_rating(z, training=True) - target))
            loss = model.unit_loss(mse)
            if self.l2:
                loss += self.l2 * (tf.reduce_sum(encoder * encoder) + tf.reduce_sum(decoder**2))
        grads = tape.gradient(loss, self.variables)
        grads = [tf.convert_to_tensor(g) if g is not None else None for g in grads]
        self.optimizer.apply(list(zip(grads, self.variables, strict=True)))
        return mse


def movie_batches(
    counts: np.ndarray, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffled movies (with training ratings) cut into batches of about ``batch_size``
    training ratings each (a movie with more ratings is a batch of its own)."""
    movies = np.flatnonzero(counts)
    movies = movies[rng.permutation(len(movies))]
    ends = np.cumsum(counts[movies])
    cuts = np.searchsorted(ends, np.arange(batch_size, ends[-1], batch_size), side="left") + 1
    return [b for b in np.split(movies, np.unique(cuts)) if len(b)]


def train_autorec(
    ds: RatingsDataset,
    split: Split,
    spec: ModelSpec,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    stop_after: Callable[[], bool] | None = None,
) -> Any:
    """Train a validated autorec ``spec`` on ``split.train``; early-stop on ``split.stop``.

    Returns a :class:`movierate.nn.training.TrainResult`; ``split.test`` is never read. With no
    stop rows the last epoch is kept (as in the other families).
    ``stop_after`` is asked after every epoch; True ends training there (best epoch so far).
    """
    from movierate.nn.training import TrainResult

    if len(split.train) == 0:
        raise DataError(
            "The training part of the split is empty: choose smaller test / stop fractions."
        )
    check_size(ds.n_users, spec.dim)
    users = ds.ratings["user_idx"].to_numpy(np.int32)
    movies = ds.ratings["movie_idx"].to_numpy(np.int32)
    ratings = ds.ratings["rating"].to_numpy(np.float32)
    train_rows = np.asarray(split.train, dtype=np.int64)
    global_mean = float(ratings[train_rows].mean())
    rating_scale = training_scale(ds, split)
    scale = (float(rating_scale.min), float(rating_scale.max))
    model = AutoRecModel(
        ds.n_users, ds.n_movies, spec.to_dict(), global_mean, scale, len(train_rows),
        scoring.unit_of_scale(scale),
    )  # fmt: skip
    model.set_ratings(users[train_rows], movies[train_rows], ratings[train_rows])
    unseen_users = np.bincount(users[train_rows], minlength=ds.n_users) == 0
    # each user's rows start from their id, at a scale set by the users with a training row
    # (accuracy round 33, F1: not by test-only users, nor shifted by who else exists)
    fan = ds.n_users - int(unseen_users.sum())
    for table in (model.encoder, model.decoder):
        table.assign(
            initial_rows(spec.initializer, spec.seed, table.name, ds.user_ids, spec.dim, fan)
        )
    loop = _AutoRecLoop(model, spec, len(train_rows))
    counts = np.bincount(movies[train_rows], minlength=ds.n_movies)

    rng = np.random.default_rng(spec.seed)
    sets = evaluation_rows(train_rows, split.stop, rng)

    history: dict[str, list[float]] = {}
    stopper = EarlyStopping(model.weights, spec.early_stopping_patience)
    step_seconds, started = 0.0, time.perf_counter()
    n_batches = 0
    for epoch in range(1, spec.epochs + 1):
        loop.optimizer.start_epoch(epoch, spec.learning_rate_decay)
        batches = movie_batches(counts, spec.batch_size, rng)
        n_batches = len(batches)
        events_every = max(1, n_batches // BATCH_EVENTS_PER_EPOCH)
        epoch_start, loss_sum, weight = time.perf_counter(), 0.0, 0
        for done, batch in enumerate(batches, 1):
            if cancel is not None and cancel.is_set():
                raise TrainingCancelled(f"Training cancelled by the user in epoch {epoch}.")
            size = int(counts[batch].sum())
            loss_sum += float(loop.step(tf.constant(batch, tf.int32))) * size
            weight += size
            if progress is not None and done < n_batches and done % events_every == 0:
                progress(
                    ProgressEvent(
                        Phase.BATCH,
                        epoch,
                        spec.epochs,
                        done,
                        n_batches,
                        {"loss": loss_sum / weight},
                    )
                )
        step_seconds += time.perf_counter() - epoch_start
        metrics = {"loss": loss_sum / max(weight, 1)}
        arrays = _final_arrays(model, unseen_users)
        for name, rows in sets.items():
            if len(rows):
                pred = scoring.predict(arrays, spec, users[rows], movies[rows], scale)
                err = pred.astype(np.float64) - ratings[rows]
                metrics[f"{name}_rmse"] = float(np.sqrt(np.mean(err * err)))
                metrics[f"{name}_mae"] = float(np.mean(np.abs(err)))
        check_diverged(epoch, metrics, model.weights, scale[1] - scale[0])
        for key, value in metrics.items():
            history.setdefault(key, []).append(float(value))
        if progress is not None:
            progress(ProgressEvent(Phase.EPOCH, epoch, spec.epochs, n_batches, n_batches, metrics))
        # no stop rows (a refit): keep the last epoch. The train RMSE cannot choose: the code
        # of a training entry contains the entry itself.
        if stopper.update(epoch, metrics.get("stop_rmse", -float(epoch))):
            break
        if stop_after is not None and stop_after():
            break
    epochs_run = len(history["loss"])
    best_epoch = stopper.restore(fallback_epoch=epochs_run)
    _zero_unseen(model, unseen_users)
    final: dict[str, float] = {key: values[best_epoch - 1] for key, values in history.items()}
    final.update(best_epoch=best_epoch, epochs_run=epochs_run, settled_epoch=1)
    if progress is not None:
        progress(
            ProgressEvent(Phase.DONE, best_epoch, spec.epochs, n_batches, n_batches, dict(final))
        )
    return TrainResult(
        keras_model=model,
        spec=spec,
        arrays=autorec_arrays(model),
        history=history,
        metrics=final,
        train_seconds=time.perf_counter() - started,
        ratings_per_second=len(train_rows) * epochs_run / max(step_seconds, 1e-9),
        global_mean=global_mean,
        rating_scale=rating_scale,
    )


def _zero_unseen(model: AutoRecModel, unseen_users: np.ndarray) -> None:
    """Users without training ratings: decoder row and bias 0 (they get the global mean)."""
    if unseen_users.any():
        keep = (~unseen_users).astype(np.float32)
        model.decoder.assign(model.decoder.numpy() * keep[:, None])
        model.decoder_bias.assign(model.decoder_bias.numpy() * keep)


def _final_arrays(model: AutoRecModel, unseen_users: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays as they would be saved now (unseen users zeroed), for the epoch metrics."""
    arrays = autorec_arrays(model)
    if unseen_users.any():
        arrays["user_embedding"] = arrays["user_embedding"] * (~unseen_users)[:, None]
        arrays["user_bias"] = arrays["user_bias"] * ~unseen_users
    return arrays


def _numpy(variable: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float32)
