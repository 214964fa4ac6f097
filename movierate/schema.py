"""ModelSpec's vocabulary, declared once: each field's type, allowed values, label and help.

:data:`SPEC_SCHEMA` maps every ModelSpec field to a :class:`FieldSchema` (in the spirit of
scikit-learn's ``_parameter_constraints``). ``ModelSpec.validate()``, the CLI's train flags,
the Train page's widgets and the regularizer / optimizer / initializer / family registries all
derive from it, so a new option or choice is added here and nowhere else.

>>> SPEC_SCHEMA["dim"].constraint.describe()
'use a whole number from 1 to 1024'
>>> names("optimizer")
('adam', 'rmsprop', 'sgd', 'adagrad')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from movierate.errors import SpecError


def is_number(value: Any) -> bool:
    """A finite int or float (bools excluded)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def plain(value: Any) -> Any:
    """``value`` with a numpy scalar made the Python one (np.int64(8) -> 8, np.True_ -> True):
    notebook grids (np.arange, DataFrame cells) give numpy scalars (bad-input round 24)."""
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if getattr(value, "ndim", None) == 0 and kind in ("b", "i", "u", "f"):
        if kind == "f" and value.dtype.itemsize < 8:  # float32(0.01) stays 0.01
            return float(str(value))
        return value.item()
    return value


def flag(value: Any, name: str, error: type[Exception] = SpecError) -> bool:
    """``value`` of the keyword ``name`` as a bool; ``error`` unless it is True or False (numpy
    bools too): ``overwrite="no"`` was true and replaced a saved model (bad-input round 24)."""
    value = plain(value)
    if not isinstance(value, bool):
        raise error(
            f"{name} must be True or False, got {value!r} ({type(value).__name__}); "
            f"pass {name}=True or {name}=False."
        )
    return value


@dataclass(frozen=True)
class Interval:
    """Numbers of ``type`` (int or float) between ``low`` and ``high`` (None: unbounded).

    ``closed`` says which ends belong: "both", "left", "right" or "neither".
    """

    type: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __contains__(self, value: Any) -> bool:
        if self.type is int:
            if not (isinstance(value, int) and not isinstance(value, bool)):
                return False
        elif not is_number(value):
            return False
        left_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        right_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return left_ok and right_ok

    def describe(self) -> str:
        """How to fix a value outside the interval, e.g. 'use a number in [0, 1)'."""
        if self.type is int and self.low is not None and self.high is not None:
            return f"use a whole number from {self.low} to {self.high}"
        if self.high is None:
            sign = ">=" if self.closed in ("both", "left") else ">"
            return f"use a number {sign} {self.low:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"use a number in {left}{self.low:g}, {self.high:g}{right}"


@dataclass(frozen=True)
class StrOptions:
    """One of a fixed set of names; ``options`` maps each name to its label for people."""

    options: Mapping[str, str]

    def __contains__(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    @property
    def names(self) -> tuple[str, ...]:
        """The allowed names, in declaration order."""
        return tuple(self.options)

    def describe(self) -> str:
        return f"choose one of {', '.join(self.options)}"


@dataclass(frozen=True)
class Boolean:
    """True or False; with ``optional``, also None (meaning "the family default")."""

    optional: bool = False

    def __contains__(self, value: Any) -> bool:
        return (value is None and self.optional) or value in (True, False)

    def describe(self) -> str:
        return "use true or false" + (" (or null for the family default)" if self.optional else "")


@dataclass(frozen=True)
class Units:
    """A tuple of layer sizes, each in ``each``."""

    each: Interval

    def __contains__(self, value: Any) -> bool:
        return all(units in self.each for units in value)

    def describe(self) -> str:
        return self.each.describe() + " for each layer"


#: A penalty strength: 0 (off) up to a million (every default is 0.001 to 10; past float32's
#: range a strength overflows the step's arithmetic).
MAX_STRENGTH = 1e6


@dataclass(frozen=True)
class Strengths:
    """A mapping kind -> strength: kinds from ``kinds`` (with label, input step and help)."""

    kinds: Mapping[str, tuple[str, float, str]]
    strength: Interval = Interval(float, 0.0, MAX_STRENGTH)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.kinds)

    def describe(self) -> str:
        return (
            f"kinds are {', '.join(self.kinds)}; a strength is a number from 0 to {MAX_STRENGTH:g}"
        )


Constraint = Interval | StrOptions | Boolean | Units | Strengths


@dataclass(frozen=True)
class FieldSchema:
    """One ModelSpec field: its constraint, its label and help for people, its CLI flag.

    ``group`` places the field on the Train page (model, regularization, optimisation);
    ``step`` is the widget's step for numbers.
    """

    constraint: Constraint
    label: str
    help: str
    flag: str
    group: str
    step: float | None = None


_STRENGTH = Interval(float, 0.0, MAX_STRENGTH)

#: Every ModelSpec field, in ModelSpec's order (tests check both lists match).
SPEC_SCHEMA: dict[str, FieldSchema] = {
    "family": FieldSchema(
        StrOptions(
            {
                "mf_bias": "Matrix factorisation + biases",
                "mf": "Matrix factorisation (dot product only)",
                "deep": "Deep (MLP over user and movie embeddings)",
                "svdpp": "SVD++ (MF + biases + the user's rated movies as implicit feedback)",
                "autorec": "AutoRec (item autoencoder: a movie's ratings -> dim hidden units)",
            }
        ),
        "Model family",
        "what turns a user and a movie into a rating: mf, the dot product of their vectors "
        "(mf_bias adds a bias per user and per movie); deep, an MLP over both vectors; svdpp, "
        "mf_bias plus a vector summed over the movies the user rated; autorec, each movie's "
        "column of ratings encoded into dim hidden units and decoded back",
        "--family",
        "model",
    ),
    "dim": FieldSchema(
        Interval(int, 1, 1024),
        "Embedding dimension",
        "length of every user and movie vector (autorec: its hidden units, e.g. 500); more "
        "dimensions fit more and overfit sooner without regularization",
        "--dim",
        "model",
        8,
    ),
    "user_bias": FieldSchema(
        Boolean(optional=True), "User bias", "learn a bias per user", "--user-bias", "model"
    ),
    "movie_bias": FieldSchema(
        Boolean(optional=True), "Movie bias", "learn a bias per movie", "--movie-bias", "model"
    ),
    "hidden_units": FieldSchema(
        Units(Interval(int, 1, 4096)),
        "Hidden units (deep only)",
        "deep: hidden layer sizes, e.g. 64,32 ('' for none)",
        "--hidden-units",
        "model",
    ),
    "dot_product": FieldSchema(
        Boolean(),
        "Add the dot product (deep only)",
        "deep: add u.m of the embeddings to the MLP's output (NeuMF-style)",
        "--dot-product",
        "model",
    ),
    "batch_norm": FieldSchema(
        Boolean(),
        "Batch normalisation (deep only)",
        "deep: batch norm after dense layers",
        "--batch-norm",
        "model",
    ),
    "dropout": FieldSchema(
        Interval(float, 0.0, 1.0, "left"),
        "Dropout (deep, autorec)",
        "deep: dropout after dense layers; autorec: dropout on the input ratings",
        "--dropout",
        "model",
        0.05,
    ),
    "embedding_dropout": FieldSchema(
        Interval(float, 0.0, 1.0, "left"),
        "Embedding dropout",
        "dropout on the embeddings",
        "--embedding-dropout",
        "regularization",
        0.05,
    ),
    "output": FieldSchema(
        StrOptions(
            {
                "sigmoid": "Sigmoid (rating range)",
                "clip": "Clip to rating range",
                "none": "Unbounded",
            }
        ),
        "Output",
        "how a raw score becomes a rating: sigmoid squashes it into the rating range; clip "
        "trains on the raw score and clips predictions to the range; unbounded ('none') leaves it as "
        "it is",
        "--output",
        "model",
    ),
    "initializer": FieldSchema(
        StrOptions(
            {
                "normal": "Normal (std 0.05)",
                "uniform": "Uniform (-0.05, 0.05)",
                "glorot_uniform": "Glorot uniform",
                "he_normal": "He normal",
            }
        ),
        "Embedding initializer",
        "the random values the embedding rows start from (normal, std 0.05, unless you have "
        "a reason)",
        "--initializer",
        "model",
    ),
    "regularizers": FieldSchema(
        Strengths(
            {
                "l2": (
                    "L2 (penalty on vector length)",
                    0.01,
                    "For every training rating, adds the squared lengths of its user's and "
                    "movie's vectors, each weighted by 1/sqrt(that user's or movie's number of "
                    "ratings): against its own ratings, a rarely rated vector is pulled towards 0 "
                    "hardest, and a row without training ratings not at all (so not weight "
                    "decay; autorec's L2 is weight decay of its encoder and decoder). The 'L2 "
                    "penalty' curve shows the plain mean squared length of all rows. Typical "
                    "0.01 to 0.5.",
                ),
                "whitening": (
                    "Whitening (covariance towards identity)",
                    0.01,
                    "Pulls the mean to 0 and the covariance to the identity. Typical 0.01 to 1.",
                ),
                "decorrelation": (
                    "Decorrelation (off-diagonal covariance towards 0)",
                    0.1,
                    "Penalises covariance between dimensions only. Typical 0.1 to 10.",
                ),
                "adversarial": (
                    "Adversarial (vectors made to look uniform)",
                    0.1,
                    "A discriminator tries to tell the vectors from uniform noise; the embedding "
                    "learns to fool it. Typical 0.1 to 10.",
                ),
                "ordered": (
                    "Ordered dimensions (first dimensions matter most)",
                    0.05,
                    "An L2 penalty that grows with the dimension index (0 on the first, this "
                    "strength on the last), then a final change of basis that changes no "
                    "prediction, so dimension 1 matters most, then 2 ..., and the first k "
                    "dimensions alone predict well; finally the dimensions without signal on "
                    "the early-stopping rows are set to zero. Typical 0.01 to 0.3.",
                ),
            },
            _STRENGTH,
        ),
        "Regularizers",
        "embedding regularizer, repeatable",
        "--reg",
        "regularization",
    ),
    "dense_l2": FieldSchema(
        _STRENGTH,
        "Dense-layer L2 (deep only)",
        "deep: L2 on dense kernels",
        "--dense-l2",
        "regularization",
        1e-5,
    ),
    "penalty_min_ratings": FieldSchema(
        Interval(int, 0, 1_000_000),
        "Spread penalties: movies with at least this many ratings",
        "whitening, decorrelation and adversarial shape only the vectors of movies with at "
        "least this many training ratings (0 or 1: every movie with a training rating; then the "
        "many rarely rated movies fill most of each penalty's sample, and the movies the maps and heatmaps show, those "
        "with 10 ratings or more, may stay far from the penalty's aim)",
        "--penalty-min-ratings",
        "regularization",
        1,
    ),
    "optimizer": FieldSchema(
        StrOptions(
            {
                "adam": "Adam",
                "rmsprop": "RMSprop",
                "sgd": "SGD",
                "adagrad": "Adagrad",
            }
        ),
        "Optimizer",
        "how each step updates the weights: Adam (the default) adapts a step size per "
        "weight; SGD uses the learning rate as it is",
        "--optimizer",
        "optimisation",
    ),
    "learning_rate": FieldSchema(
        Interval(float, 0.0, 10.0, "right"),
        "Learning rate",
        "the optimizer's step size: 0.001-0.02 suits Adam (0.005 by default, 0.02 with decay "
        "on large data); too high diverges, too low needs many epochs",
        "--learning-rate",
        "optimisation",
        1e-3,
    ),
    "learning_rate_decay": FieldSchema(
        Interval(float, 0.0, 1.0, "right"),
        "Learning-rate decay per epoch",
        "each epoch's learning rate is the one before times this (1: constant; 0.7 lets a "
        "higher first rate settle: the large-data default)",
        "--learning-rate-decay",
        "optimisation",
        0.05,
    ),
    "batch_size": FieldSchema(
        Interval(int, 1, 1_048_576),
        "Batch size",
        "ratings per update step: 1024 by default; larger batches run faster per rating and "
        "usually want a higher learning rate",
        "--batch-size",
        "optimisation",
        256,
    ),
    "epochs": FieldSchema(
        Interval(int, 1, 10_000),
        "Epochs",
        "maximum number of epochs",
        "--epochs",
        "optimisation",
        1,
    ),
    "early_stopping_patience": FieldSchema(
        Interval(int, 0, 10_000),
        "Early stopping patience (epochs, 0 = off)",
        "stop once more than this many epochs in a row bring no better early-stopping RMSE, "
        "and keep the best epoch; 0 = off: run every epoch and keep the last",
        "--patience",
        "optimisation",
        1,
    ),
    "seed": FieldSchema(
        Interval(int, 0, 2**31 - 1),
        "Training seed",
        "seeds the random start, the order of the ratings and dropout: the same seed and "
        "settings give the same model; the split of the data has its own seed",
        "--seed",
        "optimisation",
        1,
    ),
}


def names(field_name: str) -> tuple[str, ...]:
    """The allowed names of a choice field (family, output, initializer, optimizer, regularizers)."""
    constraint = SPEC_SCHEMA[field_name].constraint
    if not isinstance(constraint, StrOptions | Strengths):
        raise KeyError(f"{field_name} is not a choice field")
    return constraint.names


def labels(field_name: str) -> dict[str, str]:
    """Name -> label for people of a choice field."""
    constraint = SPEC_SCHEMA[field_name].constraint
    if isinstance(constraint, Strengths):
        return {kind: label for kind, (label, _, _) in constraint.kinds.items()}
    return dict(constraint.options)


#: The widest whole number a browser's number box holds exactly (JavaScript's safe integers).
WHOLE_LIMIT = 2**53 - 1


#: How a typed number is read (bad-input round 59, H1): said in the dashboard's number boxes.
NUMBER_RULE = (
    "Type 0.5 or 0,5 (a decimal point or comma), or 1e-3; no thousands separator: 1.000 and "
    "1,000 are refused (1 or 1000?)"
)
_NUMBER = re.compile(r"[+-]?(\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
#: One separator after 1-3 digits (not a leading 0) and before exactly 3: a thousands separator
#: as plausibly as a decimal one.
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")


class Unread(float):
    """NaN standing for a number box's text that is no allowed number; ``problem`` says why,
    and :func:`whole_number` raises it, so callers that take a float keep working."""

    problem: str

    def __new__(cls, problem: str) -> Unread:
        unread = super().__new__(cls, math.nan)
        unread.problem = problem
        return unread


def read_number(
    text: str,
    label: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    example: str = "0.5",
) -> float:
    """The number typed into a dashboard box: "0.5", "0,5" (one comma and no dot: a decimal
    comma), "1e-3", " 5 "; SpecError naming ``label`` and the text for empty text (suggesting
    ``example``: the box's default, so a whole-number box does not suggest 0.5), grouping
    ("1.000,5", "1,000.5") and a separator that may group thousands ("1.000", "1,000": see
    :data:`NUMBER_RULE`), or a number outside ``lo``..``hi``. The browser's number box dropped
    a typed comma ("0,5" read 5, bad-input round 59, H1), so the boxes are text read here."""
    typed = str(text).strip()
    if not typed:
        raise SpecError(f"{label} is empty: type a number, e.g. {example}.")
    if not _NUMBER.fullmatch(typed):
        why = (
            "it groups digits with both '.' and ','"
            if "," in typed and "." in typed
            else "it has more than one separator"
            if typed.count(",") + typed.count(".") > 1
            else "it is no number"
        )
        raise SpecError(
            f"{label} = {typed!r} cannot be read: {why}. Type digits with at most one decimal "
            "point or comma and no thousands separator, e.g. 1000.5 or 0,5."
        )
    if _GROUPED.fullmatch(typed):
        whole = re.sub(r"[.,]", "", typed)
        raise SpecError(
            f"{label} = {typed!r} is ambiguous: '{typed[-4]}' may separate thousands. Write "
            f"{whole} or {float(typed.replace(',', '.')):g} without a separator."
        )
    value = float(typed.replace(",", "."))
    if not math.isfinite(value):
        raise SpecError(f"{label} = {typed!r} is too large: type a smaller number.")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        span = (
            f"{lo:g} to {hi:g}" if lo is not None and hi is not None
            else f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
        )  # fmt: skip
        raise SpecError(f"{label} = {typed} is out of range: type {span}.")
    return value


def whole_number(value: Any, label: str, allowed: str = "") -> int:
    """``value`` from a number box as an int; SpecError naming the box when it is no whole
    number, or one beyond :data:`WHOLE_LIMIT` (with ``allowed``, the box's range, when given;
    the dashboard's whole-number boxes are float boxes: Streamlit's integer box read "1e4" as
    1 and "64.9" as 64 in the browser, bad-input round 13)."""
    if isinstance(value, Unread):
        raise SpecError(value.problem)
    if isinstance(value, str):
        value = read_number(value, label, example="10")  # a whole number, not 0.5
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= WHOLE_LIMIT:
        return int(value)
    shown = f"{value:g}" if isinstance(value, float) else repr(value)
    if isinstance(value, float) and value.is_integer():  # the recheck: 1e30 is whole
        fix = allowed or f"type a whole number under {WHOLE_LIMIT:,}"
        raise SpecError(f"{label} = {shown} is too large: {fix}.")
    raise SpecError(f"{label} = {shown} is not a whole number: type one, such as 64.")


def check(name: str, value: Any) -> None:
    """Raise SpecError if ``value`` breaks field ``name``'s constraint (message echoes it)."""
    constraint = SPEC_SCHEMA[name].constraint
    if isinstance(constraint, Strengths):
        for kind, strength in value.items():
            if kind not in constraint.kinds:
                raise SpecError(
                    f"Unknown regularizer {kind!r}: choose from {', '.join(constraint.kinds)}."
                )
            if strength not in constraint.strength:
                raise SpecError(
                    f"{name}[{kind!r}] = {strength!r} is invalid: a strength is a finite number "
                    f"from 0 to {MAX_STRENGTH:g}.",
                    field=name,
                )
        return
    if isinstance(constraint, Units):
        for units in value:
            if units not in constraint.each:
                raise SpecError(
                    f"{name} = {value!r} is invalid: layer size {units!r}: "
                    f"{constraint.each.describe()}.",
                    field=name,
                )
        return
    if value not in constraint:
        raise SpecError(f"{name} = {value!r} is invalid: {constraint.describe()}.", field=name)


def spec_error_text(error: Exception, style: str) -> str:
    """``error``'s message naming spec fields as people set them: ``"flag"`` (the CLI:
    ``dim = 0`` becomes ``--dim 0``, ``regularizers['l2'] = 5e9`` becomes ``--reg l2=5e9``) or
    ``"label"`` (the Train page: ``Embedding dimension = 0``), and every other field it names
    (``set embedding_dropout to 0``) likewise; other errors unchanged (fuzz round 8, views
    review round 3 and the recheck: the CLI said ``early_stopping_patience = -1`` for
    ``--patience -1``)."""
    from movierate.errors import SpecError

    text = str(error)
    if not isinstance(error, SpecError):
        return text
    strength = re.match(r"regularizers\['(\w+)'\] = (\S+)( .*)", text, re.S)
    if strength:
        kind, value, rest = strength.groups()
        kinds = SPEC_SCHEMA["regularizers"].constraint.kinds
        if style == "flag":
            return f"--reg {kind}={value}{rest}"
        return f"{kinds[kind][0] if kind in kinds else kind} = {value}{rest}"
    field = getattr(error, "field", None)
    if field in SPEC_SCHEMA and text.startswith(field):
        named, rest = SPEC_SCHEMA[field], text[len(field) :]
        if style == "flag":
            text = named.flag + (" " + rest[3:] if rest.startswith(" = ") else rest)
        else:
            text = named.label + rest
    for name, named in SPEC_SCHEMA.items():  # fields named inside the sentence
        if "_" in name:  # a code name no sentence uses as a word
            shown = named.flag if style == "flag" else f"'{named.label}'"
            # not inside a variant's name (CLI round 3: "deep+dense_l2" read "deep+--dense-l2")
            text = re.sub(rf"(?<![\w+]){name}(?![\w+])", shown, text)
    return text


def parse_units(text: str, what: str = "hidden units") -> tuple[int, ...]:
    """``"64, 32"`` -> ``(64, 32)`` (commas or semicolons); SpecError naming ``what`` otherwise,
    also for an empty entry beside others (bad-input round 32: "8,,4" trained as 8,4, the 16 of
    a mistyped "8,16,4" lost without a word)."""
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    if any(parts) and not all(parts):
        place = parts.index("") + 1
        raise SpecError(
            f"{what} {text!r} has an empty entry (number {place}): give a whole number between "
            "every two commas, e.g. 64,32."
        )
    parts = [p for p in parts if p]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise SpecError(
            f"{what} takes whole numbers separated by commas, e.g. 64,32; got {text!r}."
        ) from None


def settings_text(spec: Any, names: Any, style: str = "label") -> str:
    """``spec``'s values of the fields ``names`` as people set them: ``"label"`` (the Train
    page: ``Learning rate = 0.001, L2 ... = 40``) or ``"flag"`` (the CLI: ``--learning-rate
    0.001, --reg l2=40``), not as field names and a Python dict (views round 5b)."""
    parts = []
    for name in names:
        value, field = getattr(spec, name), SPEC_SCHEMA[name]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if name == "regularizers":
            kinds = field.constraint.kinds
            parts += [
                f"--reg {kind}={strength:g}"
                if style == "flag"
                else f"{kinds[kind][0] if kind in kinds else kind} = {strength:g}"
                for kind, strength in value.items()
            ] or ["--reg none" if style == "flag" else "no regularizer"]
        elif style == "flag":
            parts.append(f"{field.flag} {shown}")
        else:
            parts.append(f"{field.label} = {shown}")
    return ", ".join(parts)
