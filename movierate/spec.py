"""ModelSpec: everything that defines a model and how it is trained, as plain JSON-able data.

>>> spec = ModelSpec(family="mf_bias", dim=32, regularizers={"l2": 1e-4})
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from movierate import schema
from movierate.errors import SpecError

FAMILIES = schema.names("family")
OUTPUTS = schema.names("output")
REGULARIZERS = schema.names("regularizers")
#: The regularizers that shape how the movie vectors spread (``penalty_min_ratings`` limits them).
SPREAD_PENALTIES = ("whitening", "decorrelation", "adversarial")
OPTIMIZERS = schema.names("optimizer")
#: Fields every saved model's spec records (they existed from the first format on; later ones,
#: e.g. ``dot_product`` or ``learning_rate_decay``, take their default in older models). One of
#: these missing means meta.json was edited: loading it with the default silently changed a
#: sigmoid model's predictions to clipped ones (bad-input round 9).
RECORDED_SINCE_FIRST = (
    "family", "dim", "user_bias", "movie_bias", "hidden_units", "batch_norm", "dropout",
    "embedding_dropout", "output", "initializer", "regularizers", "dense_l2", "optimizer",
    "learning_rate", "batch_size", "epochs", "early_stopping_patience", "seed",
)  # fmt: skip
#: Spec fields only some families read: given to another family, a value changes nothing.
FAMILY_ONLY: dict[str, tuple[str, ...]] = {
    "hidden_units": ("deep",),
    "dot_product": ("deep",),
    "batch_norm": ("deep",),
    "dense_l2": ("deep",),
    "dropout": ("deep", "autorec"),  # autorec's input dropout
}
INITIALIZERS = schema.names("initializer")


@dataclass(frozen=True)
class ModelSpec:
    """A model family, its shape, its regularizers and its training settings.

    ``user_bias`` / ``movie_bias`` left as None take the family's default: both for
    ``mf_bias`` and ``svdpp``, none for ``mf``, a movie bias only for ``deep``, a user bias
    only for ``autorec`` (its decoder bias; fixed: the family has no other choice). ``regularizers`` maps a kind
    (l2, whitening, decorrelation, adversarial) to its strength; several combine.
    """

    family: str = "mf_bias"
    dim: int = 32
    user_bias: bool | None = None
    movie_bias: bool | None = None
    hidden_units: tuple[int, ...] = (32, 4)
    dot_product: bool = False
    batch_norm: bool = False
    dropout: float = 0.0
    embedding_dropout: float = 0.0
    output: str = "clip"
    initializer: str = "normal"
    regularizers: dict[str, float] = field(default_factory=lambda: {"l2": 0.1})
    dense_l2: float = 0.0
    penalty_min_ratings: int = 0
    optimizer: str = "adam"
    learning_rate: float = 0.005
    learning_rate_decay: float = 1.0
    batch_size: int = 1024
    epochs: int = 40
    early_stopping_patience: int = 3
    seed: int = 42

    def __post_init__(self) -> None:
        # numpy scalars (np.arange grids, DataFrame cells) become Python ones, and containers
        # are normalised so equality and hashing behave after a JSON round trip; a container
        # of the wrong type is a SpecError, not a TypeError (bad-input round 24)
        for f in fields(self):
            object.__setattr__(self, f.name, schema.plain(getattr(self, f.name)))
        units = self.hidden_units
        if hasattr(units, "tolist") and getattr(units, "ndim", 0) == 1:  # a numpy array
            units = units.tolist()
        if isinstance(units, list | tuple):
            units = tuple(schema.plain(u) for u in units)
        _check_type("hidden_units", units)
        regularizers = self.regularizers
        if isinstance(regularizers, Mapping):
            regularizers = {k: schema.plain(v) for k, v in regularizers.items()}
        _check_type("regularizers", regularizers)
        object.__setattr__(self, "hidden_units", units)
        object.__setattr__(
            self, "regularizers", {str(k): float(v) for k, v in regularizers.items()}
        )

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items())))

    @property
    def has_user_bias(self) -> bool:
        """Whether the model has a per-user bias (the family default when unset)."""
        if self.user_bias is None:
            return self.family in ("mf_bias", "svdpp", "autorec")
        return bool(self.user_bias)

    @property
    def has_movie_bias(self) -> bool:
        """Whether the model has a per-movie bias (the family default when unset)."""
        if self.movie_bias is None:
            return self.family in ("mf_bias", "deep", "svdpp")
        return bool(self.movie_bias)

    def ignored_fields(self) -> list[str]:
        """The fields this spec's family does not read (:data:`FAMILY_ONLY`)."""
        return [name for name, families in FAMILY_ONLY.items() if self.family not in families]

    def unused_settings(self) -> list[str]:
        """The ignored fields set away from their default: settings that change nothing."""
        default = ModelSpec()
        return [n for n in self.ignored_fields() if getattr(self, n) != getattr(default, n)]

    def with_(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field."""
        data = asdict(self)
        data["hidden_units"] = list(self.hidden_units)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Build from ``to_dict()`` output; unknown keys (likely a typo) and values of the wrong
        type (``dim: "32"``, ``regularizers: ["l2"]``) are a SpecError. Ranges are
        :meth:`validate`'s to check."""
        if not isinstance(data, Mapping):
            raise SpecError(
                f"A model spec must map field names to values, got {type(data).__name__}."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(map(str, set(data) - known))
        if unknown:
            raise SpecError(
                f"Unknown model spec field(s): {', '.join(unknown)}. "
                f"Known fields: {', '.join(sorted(known))}."
            )
        for name, value in data.items():
            _check_type(name, schema.plain(value))
        return cls(**data)

    def validate(self) -> ModelSpec:
        """Raise SpecError naming the first bad field (and echoing its value); else return self.

        The rules are :data:`movierate.schema.SPEC_SCHEMA`'s (:meth:`check_fields`) and the
        family's combinations (autorec's fixed shape).
        """
        self.check_fields()
        if self.family == "autorec":
            self._validate_autorec()
        if self.family in ("mf_bias", "svdpp") and not (self.has_user_bias or self.has_movie_bias):
            raise SpecError(  # recheck: trained in full, then refused at save
                f"{self.family} with user_bias and movie_bias both off has no bias to learn: "
                "keep one of them"
                + (", or pick the family mf (no biases)." if self.family == "mf_bias" else ".")
            )
        return self

    def check_fields(self) -> ModelSpec:
        """Each field within its own range (hidden units for ``deep`` only, the one family that
        has hidden layers), not the combinations: what a saved model must hold to load, since
        an earlier movierate trained combinations ``train`` refuses now (an autorec with an
        inert ``penalty_min_ratings``: recheck of bad-input round 12)."""
        for f in fields(self):
            _check_type(f.name, getattr(self, f.name))  # from_dict's rules: user_bias=1 too
            if f.name == "hidden_units" and self.family != "deep":
                continue
            if f.name == "hidden_units" and not self.hidden_units:
                raise SpecError("hidden_units is empty: a deep model needs at least one layer.")
            schema.check(f.name, getattr(self, f.name))
        return self

    def _validate_autorec(self) -> None:
        """AutoRec's fixed shape: a user (decoder) bias, no movie bias, L2 as its only penalty."""
        if self.user_bias is False or self.movie_bias:
            raise SpecError(
                "autorec always has a user bias (its decoder bias) and no movie bias: leave "
                "user_bias / movie_bias unset (null)."
            )
        others = sorted(k for k, v in self.regularizers.items() if k != "l2" and v)
        if others:
            raise SpecError(
                f"autorec takes the l2 regularizer only (weight decay of its encoder and "
                f"decoder), not {', '.join(others)}: remove them or pick mf_bias."
            )
        if self.embedding_dropout:
            raise SpecError(
                "autorec has no embedding dropout: set embedding_dropout to 0 (use dropout for "
                "autorec's input dropout)."
            )
        if self.penalty_min_ratings:
            raise SpecError(
                "autorec has no spread penalties to limit: set penalty_min_ratings to 0."
            )


def _check_type(name: str, value: Any) -> None:
    """SpecError naming field ``name`` when ``value`` has the wrong type (:func:`_type_problem`)."""
    problem = _type_problem(schema.SPEC_SCHEMA[name].constraint, value)
    if problem:
        raise SpecError(f"{name} = {value!r} is invalid: {problem}.", field=name)


def _type_problem(constraint: schema.Constraint, value: Any) -> str | None:
    """What is wrong with the TYPE of a spec field's ``value`` (None if fine); choices must
    also be known names, since nothing else could use them."""
    if isinstance(constraint, schema.Interval) and constraint.type is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        bounds = f" from {constraint.low} to {constraint.high}" if constraint.high else ""
        return None if ok else f"expected a whole number{bounds}"
    if isinstance(constraint, schema.Interval):
        return None if schema.is_number(value) else "expected a finite number"
    if isinstance(constraint, schema.Boolean):
        ok = isinstance(value, bool) or (value is None and constraint.optional)
        return None if ok else constraint.describe()
    if isinstance(constraint, schema.StrOptions):
        return None if value in constraint else constraint.describe()
    if isinstance(constraint, schema.Units):
        ok = isinstance(value, list | tuple) and all(
            isinstance(u, int) and not isinstance(u, bool) for u in value
        )
        return None if ok else "expected a list of whole numbers, e.g. [32, 4]"
    # NaN and inf are numbers here: the range check says a strength is a finite number
    ok = isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
        for k, v in value.items()
    )
    return (
        None
        if ok
        else "expected a mapping of regularizer kinds to numbers, e.g. {'l2': 0.1} ({} for none)"
    )


def format_regularizers(regularizers: Mapping[str, float] | None) -> str:
    """Regularizers for people: ``{"l2": 1e-4, "whitening": 0.1}`` -> ``"l2=0.0001, whitening=0.1"``
    (``"-"`` when there is none)."""
    return ", ".join(f"{k}={v:g}" for k, v in (regularizers or {}).items()) or "-"


def regularizers_text(spec: ModelSpec) -> str:
    """The spec's active regularizers as the CLI writes them (``"l2=0.0001"``), or ``"none"``;
    with the movies the spread penalties shape when limited (``"whitening=0.1 (movies with
    >= 10 ratings)"``)."""
    active = {k: v for k, v in (spec.regularizers or {}).items() if v}
    if not active:
        return "none"
    text = format_regularizers(active)
    if spec.penalty_min_ratings and set(active) & set(SPREAD_PENALTIES):
        text += f" (movies with >= {spec.penalty_min_ratings} ratings)"
    return text


def describe(spec: ModelSpec) -> str:
    """A one-line summary for people: ``"mf_bias, dim 32, regularizers l2=0.1"``."""
    return f"{spec.family}, dim {spec.dim}, regularizers {format_regularizers(spec.regularizers)}"
