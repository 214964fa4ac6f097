"""Embedding regularizers: L2, whitening, decorrelation and adversarial (towards iid U(-1, 1)).

Each is a Keras-serializable ``Regularizer`` whose ``penalty(x)`` is the raw penalty of an
embedding matrix ``x`` (rows = items) and whose call returns ``strength * penalty(x)``.

With C the column covariance of ``x`` and mu its column mean:

- ``l2``: mean over rows of the squared row norm.
- ``whitening``: ||mu||^2 + ||C - I||_F^2 (nonzero mean, non-unit variance, covariance).
- ``decorrelation``: sum of squared off-diagonal entries of C (variances and mean are free).
- ``adversarial``: a discriminator learns to tell rows of ``x`` from iid U(-1, 1) samples; the
  penalty is its cross-entropy for calling the rows "uniform" (low when it is fooled).

Training applies them to the embedding rows of each batch (L2, per example) or to a uniform
sample of movie rows (the others), so the cost of a step does not grow with the catalogue.

>>> import numpy as np
>>> round(float(Whitening(0.1).penalty(np.eye(3, dtype="float32"))), 4)  # mean 1/3, cov I/3-1/9
2.2222
"""

from __future__ import annotations

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


#: Regularizer class per spec kind (keys: the schema's regularizer names).
REGISTRY: dict[str, type[_Penalty]] = {
    "l2": EmbeddingL2,
    "whitening": Whitening,
    "decorrelation": Decorrelation,
    "adversarial": Adversarial,
}
assert tuple(REGISTRY) == KINDS


def make_regularizer(kind: str, strength: float, seed: int = 0) -> _Penalty:
    """The regularizer of a spec's ``regularizers`` entry."""
    if kind not in REGISTRY:
        raise SpecError(f"Unknown regularizer {kind!r}: choose from {', '.join(KINDS)}.")
    if REGISTRY[kind] is Adversarial:
        return Adversarial(strength, seed=seed)
    return REGISTRY[kind](strength)
