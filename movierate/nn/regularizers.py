"""Embedding regularizers: L2, whitening, decorrelation and adversarial (towards iid U(-1, 1)).

Each is a Keras-serializable ``Regularizer`` whose ``penalty(x)`` is the raw penalty of an
embedding matrix ``x`` (rows = items) and whose call returns ``strength * penalty(x)``.

With C the column covariance of ``x`` and mu its column mean:

- ``l2``: mean over rows of the squared row norm.
- ``whitening``: ||mu||^2 + ||C - I||_F^2 (nonzero mean, non-unit variance, covariance).
- ``decorrelation``: sum of squared off-diagonal entries of C (variances and mean are free).
- ``adversarial``: a discriminator learns to tell rows of ``x`` from iid U(-1, 1) samples; the
  penalty is its cross-entropy for calling the rows "uniform" (low when it is fooled).
- ``ordered``: an L2 whose weight grows with the dimension index (0 for the first, strength for
  the last), applied per example like ``l2``, so the dimensions come in order of importance;
  training then re-expresses the model in its sorted principal basis (see :class:`Ordered`).

Training applies them to the embedding rows of each batch (L2, per example) or to a uniform
sample of movie rows (the others), so the cost of a step does not grow with the catalogue.

>>> import numpy as np
>>> round(float(Whitening(0.1).penalty(np.eye(3, dtype="float32"))), 4)  # mean 1/3, cov I/3-1/9
2.2222
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers, ops

from movierate import schema
from movierate.errors import SpecError

KINDS = schema.names("regularizers")


class _Penalty(keras.regularizers.Regularizer):
    """A strength times a penalty of the embedding matrix."""

    def __init__(self, strength: float = 0.0) -> None:
        strength = float(strength)
        if not strength >= 0:
            raise SpecError(f"{type(self).__name__} strength = {strength!r}: use a number >= 0.")
        self.strength = strength

    def penalty(self, x: Any) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        return self.strength * self.penalty(x)

    def get_config(self) -> dict[str, Any]:
        return {"strength": self.strength}


def covariance(x: Any) -> tuple[Any, Any]:
    """Column mean and (biased) column covariance of a matrix."""
    x = ops.cast(x, "float32")
    mean = ops.mean(x, axis=0)
    centred = x - mean
    cov = ops.matmul(ops.transpose(centred), centred) / ops.cast(ops.shape(x)[0], "float32")
    return mean, cov


@keras.saving.register_keras_serializable(package="movierate")
class EmbeddingL2(_Penalty):
    """Mean squared row norm."""

    def penalty(self, x: Any) -> Any:
        return ops.mean(ops.sum(ops.square(ops.cast(x, "float32")), axis=-1))


@keras.saving.register_keras_serializable(package="movierate")
class Whitening(_Penalty):
    """||mean||^2 + ||cov - I||_F^2: zero exactly when columns are centred, unit, uncorrelated."""

    def penalty(self, x: Any) -> Any:
        mean, cov = covariance(x)
        eye = ops.eye(ops.shape(cov)[0], dtype="float32")
        return ops.sum(ops.square(mean)) + ops.sum(ops.square(cov - eye))


@keras.saving.register_keras_serializable(package="movierate")
class Decorrelation(_Penalty):
    """Sum of squared off-diagonal covariances (each dimension keeps its own variance)."""

    def penalty(self, x: Any) -> Any:
        _, cov = covariance(x)
        off_diagonal = cov * (1.0 - ops.eye(ops.shape(cov)[0], dtype="float32"))
        return ops.sum(ops.square(off_diagonal))


@keras.saving.register_keras_serializable(package="movierate")
class Adversarial(_Penalty):
    """Pushes rows towards iid U(-1, 1) through a discriminator trained alongside the model.

    The discriminator is state, so the penalty needs it: ``penalty(x)`` uses ``self.critic``,
    built by :meth:`build_critic`. The training loop alternates discriminator and model steps.
    """

    def __init__(self, strength: float = 0.0, hidden_units: int = 64, seed: int = 0) -> None:
        super().__init__(strength)
        self.hidden_units, self.seed = int(hidden_units), int(seed)
        self.critic: keras.Sequential | None = None

    def build_critic(self, dim: int) -> keras.Sequential:
        """The discriminator: logits > 0 mean "looks like a U(-1, 1) sample"."""
        init = keras.initializers.GlorotUniform
        self.critic = keras.Sequential(
            [
                layers.Input((dim,)),
                layers.Dense(self.hidden_units, "relu", kernel_initializer=init(self.seed)),
                layers.Dense(self.hidden_units, "relu", kernel_initializer=init(self.seed + 1)),
                layers.Dense(1, kernel_initializer=init(self.seed + 2)),
            ],
            name="adversarial_critic",
        )
        return self.critic

    def penalty(self, x: Any) -> Any:
        """Cross-entropy of the critic calling the embedding rows uniform samples."""
        logits = self.critic(ops.cast(x, "float32"))
        return ops.mean(ops.softplus(-logits))

    def critic_loss(self, rows: Any, uniform: Any) -> Any:
        """Discriminator loss: uniform samples labelled 1, embedding rows labelled 0."""
        real, fake = self.critic(uniform), self.critic(rows)
        return 0.5 * (ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake)))

    def get_config(self) -> dict[str, Any]:
        return {"strength": self.strength, "hidden_units": self.hidden_units, "seed": self.seed}


#: How :class:`Ordered` orders. ``graded_l2`` (what ``ordered`` uses; chosen by measurement, see
#: docs/regularizer-study.md section 5): an extra L2 whose weight grows (GRADED_RAMP) with the
#: dimension index. The prefix losses, measured against it: the rating loss of the first b
#: dimensions with b ~ geometric per example (nested dropout, Rippel et al. 2014), averaged
#: over prefixes 1, 2, 4, ... < dim (Matryoshka, Kusupati et al. 2022) or over every prefix
#: 1 .. dim - 1; ``graded_l2+...`` adds GRADED_SHARE x the graded L2 to them.
ORDERED_METHODS = (
    "graded_l2",
    "nested_dropout",
    "matryoshka",
    "matryoshka_all",
    "graded_l2+matryoshka",
    "graded_l2+nested_dropout",
)
#: Weight of the graded L2 relative to the prefix loss in the combined methods.
GRADED_SHARE = 0.3
#: Shape of the graded L2's per-dimension weights (:func:`ramp_weights`).
GRADED_RAMP = "linear"
GRADED_RAMPS = ("linear", "quadratic", "geometric")
#: Ratio of successive weights of the ``geometric`` ramp.
GEOMETRIC_RATIO = 1.25


def ramp_weights(dim: int, shape: str = "linear") -> list[float]:
    """Graded L2 weights of dimensions 0 .. dim - 1, from 0 (first) to 1 (last): ``linear``
    j / (dim - 1), ``quadratic`` (j / (dim - 1))^2, ``geometric`` (r^j - 1) / (r^(dim-1) - 1)
    with r = GEOMETRIC_RATIO (each step costs r times the one before)."""
    if shape not in GRADED_RAMPS:
        raise SpecError(f"Graded ramp {shape!r}: choose from {', '.join(GRADED_RAMPS)}.")
    last = max(dim - 1, 1)
    if shape == "linear":
        return [j / last for j in range(dim)]
    if shape == "quadratic":
        return [(j / last) ** 2 for j in range(dim)]
    r = GEOMETRIC_RATIO
    return [(r**j - 1.0) / (r**last - 1.0) for j in range(dim)]


@keras.saving.register_keras_serializable(package="movierate")
class Ordered(_Penalty):
    """Puts embedding dimensions in order of importance.

    ``graded_l2`` (the default): ``strength`` x sum_j (j / (dim - 1)) x (u_j^2 + m_j^2), per
    example with the L2 row weights, i.e. dimension j pays an L2 that grows with j, so the
    strongest factors settle in the cheapest (first) dimensions and weak ones in the last.
    The prefix methods add ``strength`` x the rating MSE of predictions from the first ``b``
    dimensions only (trailing dims zeroed in BOTH the user and the movie vector, before the
    dot product or the MLP); for ``nested_dropout`` b is drawn per example, 1 + geometric(p =
    min(0.5, 2 / dim)) capped at dim. At the end of training the loop re-expresses the model
    in an exactly equivalent, sorted basis (``training.sort_dimensions``); at inference every
    dimension is used.
    """

    def __init__(self, strength: float = 0.0, method: str = "graded_l2") -> None:
        super().__init__(strength)
        if method not in ORDERED_METHODS:
            raise SpecError(f"Ordered method {method!r}: choose from {', '.join(ORDERED_METHODS)}.")
        self.method = method

    @staticmethod
    def ramp(dim: int) -> Any:
        """Per-dimension L2 weights of ``graded_l2``: 0 for the first dimension, 1 for the last,
        shaped by :data:`GRADED_RAMP` (see :func:`ramp_weights`)."""
        return ops.convert_to_tensor(ramp_weights(dim, GRADED_RAMP), dtype="float32")

    @staticmethod
    def keep_probability(dim: int) -> float:
        """1 - p of the geometric prefix length (nested dropout)."""
        return 1.0 - min(0.5, 2.0 / max(dim, 1))

    @staticmethod
    def prefixes(dim: int, method: str) -> list[int]:
        """The prefix lengths (< dim) whose losses the Matryoshka methods average."""
        if method == "matryoshka_all":
            return list(range(1, dim))
        return [k for k in (2**i for i in range(dim.bit_length())) if k < dim]

    def loss(
        self,
        model: Any,
        user_vec: Any,
        movie_vec: Any,
        user_bias: Any,
        movie_bias: Any,
        ratings: Any,
        uniform: Any,
    ) -> Any:
        """Unit-strength ordering loss of one batch, its squared errors in the model's score
        units (``model.unit_loss``); ``uniform`` is U(0, 1) noise, one per row."""
        dim = int(user_vec.shape[-1])
        if dim < 2:
            return ops.convert_to_tensor(0.0)
        # prefix passes must not move batch-norm statistics (deep's only: no other family has
        # batch norm, and there the setting must change nothing)
        training = not (model.spec.batch_norm and "batch_norm" not in model.spec.ignored_fields())
        index = ops.arange(dim, dtype="float32")
        if self.method.endswith("nested_dropout"):
            keep = self.keep_probability(dim)
            extra = ops.floor(ops.log(ops.maximum(uniform, 1e-12)) / math.log(keep))
            mask = ops.cast(index[None, :] < 1.0 + extra[:, None], "float32")
            z = model.centred_score(
                user_vec * mask, movie_vec * mask, user_bias, movie_bias, training=training
            )
            return model.unit_loss(
                ops.mean(ops.square(model.to_rating(z, training=True) - ratings))
            )
        ks = self.prefixes(dim, self.method.removeprefix("graded_l2+"))
        if model.spec.family != "deep":
            cumulative = ops.cumsum(user_vec * movie_vec, axis=-1)
            z = ops.take(cumulative, [k - 1 for k in ks], axis=1)
            for bias in (user_bias, movie_bias):
                if bias is not None:
                    z = z + bias
            err = model.to_rating(z, training=True) - ratings[:, None]
            return model.unit_loss(ops.mean(ops.square(err)))
        masks = ops.cast(index[None, :] < ops.convert_to_tensor(ks, "float32")[:, None], "float32")
        n = len(ks)

        def stack(vec: Any) -> Any:
            return ops.reshape(vec[None, :, :] * masks[:, None, :], (-1, dim))

        def tile(bias: Any) -> Any:
            return None if bias is None else ops.tile(bias, (n, 1))

        z = model.centred_score(
            stack(user_vec), stack(movie_vec), tile(user_bias), tile(movie_bias), training=training
        )
        err = model.to_rating(z, training=True) - ops.tile(ratings, (n,))
        return model.unit_loss(ops.mean(ops.square(err)))

    def penalty(self, x: Any) -> Any:
        raise NotImplementedError("Ordered is a loss of the model's predictions: use .loss().")

    def get_config(self) -> dict[str, Any]:
        return {"strength": self.strength, "method": self.method}


#: Regularizer class per spec kind (keys: the schema's regularizer names).
REGISTRY: dict[str, type[_Penalty]] = {
    "l2": EmbeddingL2,
    "whitening": Whitening,
    "decorrelation": Decorrelation,
    "adversarial": Adversarial,
    "ordered": Ordered,
}
assert tuple(REGISTRY) == KINDS


def make_regularizer(kind: str, strength: float, seed: int = 0) -> _Penalty:
    """The regularizer of a spec's ``regularizers`` entry."""
    if kind not in REGISTRY:
        raise SpecError(f"Unknown regularizer {kind!r}: choose from {', '.join(KINDS)}.")
    if REGISTRY[kind] is Adversarial:
        return Adversarial(strength, seed=seed)
    return REGISTRY[kind](strength)
