"""ModelSpec: everything that defines a model and how it is trained, as plain JSON-able data.

>>> spec = ModelSpec(family="mf_bias", dim=32, regularizers={"l2": 1e-4})
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from movierate.errors import SpecError

FAMILIES = ("mf", "mf_bias", "deep")
OUTPUTS = ("none", "clip", "sigmoid")
REGULARIZERS = ("l2", "whitening", "decorrelation", "adversarial")
OPTIMIZERS = ("adam", "rmsprop", "sgd", "adagrad")
INITIALIZERS = ("normal", "uniform", "glorot_uniform", "he_normal")


@dataclass(frozen=True)
class ModelSpec:
    """A model family, its shape, its regularizers and its training settings.

    ``user_bias`` / ``movie_bias`` left as None take the family's default: both for
    ``mf_bias``, none for ``mf``, a movie bias only for ``deep``. ``regularizers`` maps a kind
    (l2, whitening, decorrelation, adversarial) to its strength; several combine.
    """

    family: str = "mf_bias"
    dim: int = 32
    user_bias: bool | None = None
    movie_bias: bool | None = None
    hidden_units: tuple[int, ...] = (32, 4)
    batch_norm: bool = False
    dropout: float = 0.0
    embedding_dropout: float = 0.0
    output: str = "clip"
    initializer: str = "normal"
    regularizers: dict[str, float] = field(default_factory=lambda: {"l2": 0.1})
    dense_l2: float = 0.0
    optimizer: str = "adam"
    learning_rate: float = 0.005
    batch_size: int = 1024
    epochs: int = 40
    early_stopping_patience: int = 3
    seed: int = 42

    def __post_init__(self) -> None:
        # Normalise containers so equality and hashing behave after a JSON round trip.
        object.__setattr__(self, "hidden_units", tuple(int(u) for u in self.hidden_units))
        object.__setattr__(
            self, "regularizers", {str(k): float(v) for k, v in dict(self.regularizers).items()}
        )

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items())))

    @property
    def has_user_bias(self) -> bool:
        """Whether the model has a per-user bias (the family default when unset)."""
        return self.family == "mf_bias" if self.user_bias is None else bool(self.user_bias)

    @property
    def has_movie_bias(self) -> bool:
        """Whether the model has a per-movie bias (the family default when unset)."""
        if self.movie_bias is None:
            return self.family in ("mf_bias", "deep")
        return bool(self.movie_bias)

    def with_(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field."""
        data = asdict(self)
        data["hidden_units"] = list(self.hidden_units)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Build from ``to_dict()`` output; unknown keys are an error (likely a typo)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(
                f"Unknown model spec field(s): {', '.join(unknown)}. "
                f"Known fields: {', '.join(sorted(known))}."
            )
        return cls(**data)

    def validate(self) -> ModelSpec:
        """Raise SpecError naming the first bad field; return self when all is well."""
        _choice("family", self.family, FAMILIES)
        _choice("output", self.output, OUTPUTS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("initializer", self.initializer, INITIALIZERS)
        _int_range("dim", self.dim, 1, 1024)
        _int_range("batch_size", self.batch_size, 1, 1_048_576)
        _int_range("epochs", self.epochs, 1, 10_000)
        _int_range("early_stopping_patience", self.early_stopping_patience, 0, 10_000)
        _int_range("seed", self.seed, 0, 2**31 - 1)
        if self.family == "deep":
            if not self.hidden_units:
                raise SpecError("hidden_units is empty: a deep model needs at least one layer.")
            for units in self.hidden_units:
                _int_range("hidden_units", units, 1, 4096)
        for name in ("dropout", "embedding_dropout"):
            value = getattr(self, name)
            if not (_is_number(value) and 0.0 <= value < 1.0):
                raise SpecError(f"{name} = {value!r} is invalid: use a number in [0, 1).")
        if not (_is_number(self.learning_rate) and 0.0 < self.learning_rate <= 10.0):
            raise SpecError(
                f"learning_rate = {self.learning_rate!r} is invalid: use a number in (0, 10]."
            )
        _strength("dense_l2", self.dense_l2)
        for kind, strength in self.regularizers.items():
            if kind not in REGULARIZERS:
                raise SpecError(
                    f"Unknown regularizer {kind!r}: choose from {', '.join(REGULARIZERS)}."
                )
            _strength(f"regularizers[{kind!r}]", strength)
        return self


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SpecError(f"{name} = {value!r} is invalid: choose one of {', '.join(allowed)}.")


def _int_range(name: str, value: Any, low: int, high: int) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
        raise SpecError(f"{name} = {value!r} is invalid: use a whole number from {low} to {high}.")


def _strength(name: str, value: Any) -> None:
    if not (_is_number(value) and value >= 0):
        raise SpecError(f"{name} = {value!r} is invalid: a strength is a number >= 0.")
