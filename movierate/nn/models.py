"""Keras models of every family (mf, mf_bias, deep, svdpp; autorec's, an autoencoder over a
movie's ratings, is :class:`movierate.nn.autorec.AutoRecModel`).

``deep`` is MLP([u, m]) + biases; with ``dot_product`` it adds u.m of the same embeddings
(NeuMF-style), so the MLP only has to learn what a dot product misses.

``svdpp`` (Koren's SVD++) is mf_bias whose user vector is p_u + |N(u)|^-1/2 * sum of y_j over
N(u), the movies the user rated in the TRAINING rows. N(u) is stored in the model as a CSR
(``implicit_offsets`` (n_users + 1,), ``implicit_items``) of non-trainable int weights, so
``model.keras`` is self-contained; training fills it with :meth:`RatingModel.set_implicit`.

All families share one serializable class, :class:`RatingModel`, whose input is an int tensor
of shape (batch, 2) holding ``[user_idx, movie_idx]``. Predictions follow the "Prediction
semantics" of docs/architecture.md exactly, so :mod:`movierate.scoring` reproduces them in numpy
from :func:`movierate.nn.export.export_arrays`.

>>> model = build_model(ModelSpec(dim=8), n_users=10, n_movies=20, global_mean=3.5,
...                     rating_scale=(0.5, 5.0))  # doctest: +SKIP
>>> model.predict(np.array([[0, 3], [9, 19]]))  # doctest: +SKIP
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers, ops
from scipy import special

from movierate import schema
from movierate.scoring import unit_of_scale
from movierate.spec import ModelSpec

#: Margin added to both ends of the rating scale by the sigmoid output (fastai's y_range).
SIGMOID_MARGIN = 0.5
BATCH_NORM_EPSILON = 1e-3


#: Scale of the fixed-scale initializers: small, so dot products start near 0.
FIXED_SCALE = 0.05
#: Keras' correction of a normal truncated at 2 standard deviations back to the asked one.
TRUNCATED_STD = 0.87962566103423978
_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 whose outputs look independent."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def id_keys(ids: np.ndarray) -> np.ndarray:
    """A uint64 key per original id: an integer id as itself, a text id by pandas' fixed-key
    hash (the same in every process, unlike Python's ``hash``)."""
    ids = np.asarray(ids)
    if ids.dtype.kind in "iu":
        return ids.astype(np.int64).view(np.uint64)
    return pd.util.hash_array(ids.astype(object))


class _Draws:
    """Counter-based draws for the rows of one table: column ``j`` of the row with id ``i``
    depends only on (seed, table, i, j), never on which other rows exist."""

    def __init__(self, seed: int, table: str, ids: np.ndarray, dim: int) -> None:
        base = _mix(np.array([(seed * _GOLDEN) & _MASK], np.uint64))
        base ^= np.uint64(zlib.crc32(table.encode()))
        self.rows = _mix(id_keys(ids) ^ _mix(base))[:, None]
        self.dim = dim

    def open_uniform(self) -> np.ndarray:
        """U(0, 1) per element, never 0 or 1 (53 bits of a hash of row key and column)."""
        counter = np.arange(1, self.dim + 1, dtype=np.uint64)[None, :] * np.uint64(_GOLDEN)
        bits = _mix(self.rows + counter) >> np.uint64(11)
        return (bits + 0.5) * 2.0**-53

    def uniform(self) -> np.ndarray:
        """U(-1, 1) per element."""
        return 2.0 * self.open_uniform() - 1.0

    def normal(self, bound: float = math.inf) -> np.ndarray:
        """N(0, 1) per element (inverse CDF), truncated to (-bound, bound)."""
        low = special.ndtr(-bound)
        return special.ndtri(low + (1.0 - 2.0 * low) * self.open_uniform())


#: Starting rows per spec initializer name (keys: the schema's): (draws, fan) -> values, where
#: fan is the number of rows with a training rating (glorot / he scale by it, as Keras' do by
#: the table's rows, which would count users and movies known only from test rows).
INITIALIZERS = {
    "normal": lambda draws, fan: FIXED_SCALE * draws.normal(),
    "uniform": lambda draws, fan: FIXED_SCALE * draws.uniform(),
    "glorot_uniform": lambda draws, fan: math.sqrt(6.0 / (fan + draws.dim)) * draws.uniform(),
    "he_normal": lambda draws, fan: math.sqrt(2.0 / fan) / TRUNCATED_STD * draws.normal(bound=2.0),
}
assert tuple(INITIALIZERS) == schema.names("initializer")


def initial_rows(
    name: str, seed: int, table: str, ids: np.ndarray, dim: int, fan: int
) -> np.ndarray:
    """The starting (len(ids), dim) rows of embedding ``table`` for the (validated) initializer
    ``name``: each row drawn from (seed, table, its original id), so no row depends on which
    other users or movies exist (accuracy round 33, F1); ``fan``: the rows with a training
    rating (at least 1)."""
    draws = _Draws(seed, table, ids, dim)
    return INITIALIZERS[name](draws, max(int(fan), 1)).astype(np.float32)


@dataclass(frozen=True)
class Start:
    """What a model's embedding tables start from: each table's original ids (index -> id)
    and how many of them have a training rating (the initializers' fan)."""

    user_ids: np.ndarray
    movie_ids: np.ndarray
    trained_users: int
    trained_movies: int

    @classmethod
    def of(
        cls, user_ids: np.ndarray, movie_ids: np.ndarray, users: np.ndarray, movies: np.ndarray
    ) -> Start:
        """The start of a training on the rows with user / movie indices ``users`` / ``movies``."""
        return cls(
            user_ids,
            movie_ids,
            int(np.count_nonzero(np.bincount(users, minlength=len(user_ids)))),
            int(np.count_nonzero(np.bincount(movies, minlength=len(movie_ids)))),
        )

    @classmethod
    def plain(cls, n_users: int, n_movies: int) -> Start:
        """Ids 0 .. n - 1, every row counted (a model built without a data set)."""
        return cls(np.arange(n_users), np.arange(n_movies), n_users, n_movies)


@keras.saving.register_keras_serializable(package="movierate")
class RatingModel(keras.Model):
    """User and movie embeddings (+ biases, + an MLP for ``deep``) predicting a rating."""

    def __init__(
        self,
        n_users: int,
        n_movies: int,
        spec: dict[str, Any],
        global_mean: float,
        rating_scale: tuple[float, float],
        n_implicit: int = 0,
        score_unit: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        #: rating points per unit of z (``none`` / ``clip``; :func:`scoring.unit_of_scale`;
        #: 1.0 in a config without it: models saved before accuracy round 44)
        self.score_unit = float(score_unit)
        self.n_users, self.n_movies = int(n_users), int(n_movies)
        self.n_implicit = int(n_implicit)
        self.spec = ModelSpec.from_dict(dict(spec))
        self.global_mean = float(global_mean)
        self.rating_scale = (float(rating_scale[0]), float(rating_scale[1]))
        s, seed = self.spec, self.spec.seed
        self.user_embedding = layers.Embedding(
            self.n_users,
            s.dim,
            embeddings_initializer="zeros",  # build_model draws the start
            name="user_embedding",
        )
        self.movie_embedding = layers.Embedding(
            self.n_movies,
            s.dim,
            embeddings_initializer="zeros",  # build_model draws the start
            name="movie_embedding",
        )
        self.user_bias = (
            layers.Embedding(self.n_users, 1, embeddings_initializer="zeros", name="user_bias")
            if s.has_user_bias
            else None
        )
        self.movie_bias = (
            layers.Embedding(self.n_movies, 1, embeddings_initializer="zeros", name="movie_bias")
            if s.has_movie_bias
            else None
        )
        self.implicit_embedding = None
        if s.family == "svdpp":
            self.implicit_embedding = layers.Embedding(
                self.n_movies,
                s.dim,
                embeddings_initializer="zeros",  # build_model draws the start
                name="implicit_embedding",
            )
            self.implicit_offsets = self.add_weight(
                shape=(self.n_users + 1,),
                dtype="int32",
                initializer="zeros",
                trainable=False,
                name="implicit_offsets",
            )
            self.implicit_items = self.add_weight(
                shape=(max(self.n_implicit, 1),),
                dtype="int32",
                initializer="zeros",
                trainable=False,
                name="implicit_items",
            )
        self.embedding_dropout = layers.Dropout(s.embedding_dropout, seed=seed + 2)
        self.hidden: list[tuple[layers.Dense, layers.BatchNormalization | None]] = []
        self.hidden_dropout = layers.Dropout(s.dropout, seed=seed + 3)
        if s.family == "deep":
            reg = keras.regularizers.L2(s.dense_l2) if s.dense_l2 else None
            for i, units in enumerate(s.hidden_units):
                dense = layers.Dense(
                    units,
                    kernel_regularizer=reg,
                    name=f"dense_{i}",
                    kernel_initializer=keras.initializers.HeNormal(seed=seed + 10 + i),
                )
                norm = (
                    layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, name=f"batch_norm_{i}")
                    if s.batch_norm
                    else None
                )
                self.hidden.append((dense, norm))
            self.output_layer = layers.Dense(
                1,
                kernel_regularizer=reg,
                name="output",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 9),
            )
        self.build((None, 2))

    def build(self, input_shape: Any) -> None:
        for layer in (
            self.user_embedding,
            self.movie_embedding,
            self.user_bias,
            self.movie_bias,
            self.implicit_embedding,
        ):
            if layer is not None:
                layer.build((None,))
        width = 2 * self.spec.dim
        for dense, norm in self.hidden:
            dense.build((None, width))
            width = dense.units
            if norm is not None:
                norm.build((None, width))
        if self.spec.family == "deep":
            self.output_layer.build((None, width))
        self.built = True

    def set_implicit(self, users: np.ndarray, movies: np.ndarray) -> None:
        """Store N(u) (svdpp): the movies each user rated in the given (training) rows."""
        order = np.lexsort((movies, users))
        counts = np.bincount(users, minlength=self.n_users)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        items = np.asarray(movies, dtype=np.int32)[order]
        if len(items) != self.n_implicit:
            raise ValueError(f"expected {self.n_implicit} implicit rows, got {len(items)}")
        self.implicit_offsets.assign(offsets)
        self.implicit_items.assign(items if len(items) else np.zeros(1, np.int32))

    def implicit_plan(self, users: Any) -> tuple[Any, Any, Any, Any]:
        """For (unique) ``users``: the unique movies of their N(u), each pair's position in
        them, each pair's user position, and |N(u)|^-1/2 per user."""
        offsets = tf.convert_to_tensor(self.implicit_offsets.value)
        starts, ends = tf.gather(offsets, users), tf.gather(offsets, users + 1)
        positions = tf.ragged.range(starts, ends)
        item_ids = tf.gather(tf.convert_to_tensor(self.implicit_items.value), positions.flat_values)
        rows, item_pos = tf.unique(item_ids)
        norm = tf.math.rsqrt(tf.maximum(tf.cast(ends - starts, tf.float32), 1.0))
        return rows, item_pos, positions.value_rowids(), norm

    @staticmethod
    def implicit_vectors(y_rows: Any, item_pos: Any, pair_user: Any, norm: Any) -> Any:
        """|N(u)|^-1/2 * sum of y_j per user, from the gathered rows ``y_rows``."""
        sums = tf.math.unsorted_segment_sum(
            tf.gather(y_rows, item_pos), pair_user, tf.shape(norm)[0]
        )
        return sums * norm[:, None]

    def effective_user_vectors(self, users: Any) -> Any:
        """p_u (+ the implicit part for svdpp) for a batch of user indices."""
        p = self.user_embedding(users)
        if self.implicit_embedding is None:
            return p
        unique, where = tf.unique(users)
        rows, item_pos, pair_user, norm = self.implicit_plan(unique)
        y_rows = tf.gather(self.implicit_embedding.embeddings, rows)
        return p + tf.gather(self.implicit_vectors(y_rows, item_pos, pair_user, norm), where)

    def centred_score(
        self, user_vec: Any, movie_vec: Any, user_bias: Any, movie_bias: Any, training: bool = False
    ) -> Any:
        """z of the contract: dot product or MLP, plus the biases (None when the model has none),
        before the output transform."""
        user_vec = self.embedding_dropout(user_vec, training=training)
        movie_vec = self.embedding_dropout(movie_vec, training=training)
        if self.spec.family == "deep":
            x = ops.concatenate([user_vec, movie_vec], axis=-1)
            for dense, norm in self.hidden:
                x = dense(x)
                if norm is not None:
                    x = norm(x, training=training)
                x = self.hidden_dropout(ops.relu(x), training=training)
            z = ops.squeeze(self.output_layer(x), axis=-1)
            if self.spec.dot_product:  # NeuMF-style: the MLP learns what the dot product misses
                z = z + ops.sum(user_vec * movie_vec, axis=-1)
        else:
            z = ops.sum(user_vec * movie_vec, axis=-1)
        for bias in (user_bias, movie_bias):
            if bias is not None:
                z = z + ops.squeeze(bias, axis=-1)
        return z

    def to_rating(self, z: Any, training: bool = False) -> Any:
        """Apply the output transform around the global mean (clip only outside training)."""
        low, high = self.rating_scale
        if self.spec.output == "sigmoid":
            lo, hi = low - SIGMOID_MARGIN, high + SIGMOID_MARGIN
            frac = min(max((self.global_mean - lo) / (hi - lo), 1e-6), 1 - 1e-6)
            return lo + (hi - lo) * ops.sigmoid(z + math.log(frac / (1 - frac)))
        if self.score_unit != 1.0:  # accuracy round 44, F1: z in star-sized units
            z = z * self.score_unit
        pred = z + self.global_mean
        if self.spec.output == "clip" and not training:
            pred = ops.clip(pred, low, high)
        return pred

    def unit_loss(self, squared_error: Any) -> Any:
        """A mean squared error in rating points as training weighs it: in score units squared,
        so the regularizers weigh against it as on stars (accuracy round 44, F1)."""
        if self.score_unit == 1.0:
            return squared_error
        return squared_error / (self.score_unit * self.score_unit)

    def call(self, inputs: Any, training: bool = False) -> Any:
        inputs = ops.cast(inputs, "int32")
        users, movies = inputs[:, 0], inputs[:, 1]
        user_bias = self.user_bias(users) if self.user_bias is not None else None
        movie_bias = self.movie_bias(movies) if self.movie_bias is not None else None
        z = self.centred_score(
            self.effective_user_vectors(users),
            self.movie_embedding(movies),
            user_bias,
            movie_bias,
            training,
        )
        return self.to_rating(z, training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            n_users=self.n_users,
            n_movies=self.n_movies,
            spec=self.spec.to_dict(),
            global_mean=self.global_mean,
            rating_scale=list(self.rating_scale),
            n_implicit=self.n_implicit,
            score_unit=self.score_unit,
        )
        return config


def build_model(
    spec: ModelSpec,
    n_users: int,
    n_movies: int,
    global_mean: float,
    rating_scale: tuple[float, float],
    n_implicit: int = 0,
    start: Start | None = None,
) -> RatingModel:
    """A fresh, built model for a validated spec (``n_implicit``: svdpp's |training rows|), its
    embedding tables drawn as ``start`` says (by default :meth:`Start.plain`), scoring in the
    unit of its rating scale (:func:`scoring.unit_of_scale`)."""
    scale = tuple(rating_scale[:2])
    model = RatingModel(
        n_users, n_movies, spec.to_dict(), global_mean, scale, n_implicit, unit_of_scale(scale)
    )
    start = start or Start.plain(n_users, n_movies)
    for layer, ids, fan in (
        (model.user_embedding, start.user_ids, start.trained_users),
        (model.movie_embedding, start.movie_ids, start.trained_movies),
        (model.implicit_embedding, start.movie_ids, start.trained_movies),
    ):
        if layer is not None:
            rows = initial_rows(spec.initializer, spec.seed, layer.name, ids, spec.dim, fan)
            layer.embeddings.assign(rows)
    return model
