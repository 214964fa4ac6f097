"""Per-dataset default model specs, found by the tuner on the shared MovieLens copies.

:data:`DEFAULTS` maps a dataset name to the winning settings per family (only the fields that
differ from :class:`~movierate.spec.ModelSpec`'s defaults). :func:`default_spec_for` is what
"Train a good default model" trains when the dataset is known, and the tuner's first trial per
family (so a search never ends worse than the default on its stop rows). Unknown datasets get
ModelSpec()'s defaults, except that large data sets (:data:`LARGE_DATA`, by their number of
ratings) get a larger batch: at ModelSpec's batch of 1,024 a step's fixed cost dominates, and
ml-32m's size would take far more than 10 minutes. How the numbers were found: README, "Tuned
defaults" and "Large data"; rerun with ``python -m benchmarks.tune_defaults``.

>>> default_spec_for("ml-100k").family
'mf_bias'
>>> default_spec_for("my-own-ratings") == ModelSpec()
True
>>> default_spec_for("ml-32m").batch_size
32768
"""

from __future__ import annotations

from typing import Any

from movierate import schema
from movierate.data.registry import KNOWN_DATASETS
from movierate.errors import SpecError
from movierate.spec import ModelSpec

#: dataset -> family -> ModelSpec field changes (early-stopping epochs are found per run).
#: deep with the dot product (MLP([u, m]) + u.m + both biases; a small, strongly L2-ed MLP):
#: chosen on the stop rows of bench_tuned's random 90/10 seed-0 carve (README, "deep with a dot
#: product"). The MLP-only winner of the first searches stayed 1.3-1.6% behind mf_bias on test.
_DEEP_DOT: dict[str, Any] = {
    "dim": 32,
    "regularizers": {"l2": 0.1},
    "learning_rate": 0.005,
    "batch_size": 1024,
    "hidden_units": (16,),
    "dropout": 0.0,
    "dense_l2": 1e-2,
    "dot_product": True,
    "user_bias": True,
}
#: The same with dim 64 and dense L2 3e-3: best on ml-100k's stop rows (0.9049 vs 0.9073).
_DEEP_DOT_64 = {**_DEEP_DOT, "dim": 64, "dense_l2": 3e-3}
#: The MLP-only deep winner of the earlier searches (kept for reference and older READMEs).
_DEEP_TUNED: dict[str, Any] = {
    "dim": 48,
    "regularizers": {"l2": 0.22},
    "learning_rate": 0.002,
    "batch_size": 2048,
    "hidden_units": (64,),
    "dropout": 0.33,
    "dense_l2": 1e-5,
}

#: Valid RMSE on the default split (random 10%, seed 42) in the comments.
DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "ml-100k": {
        # 0.8918 valid RMSE; 8 tuner trials over two protocols never beat ModelSpec()'s values
        "mf_bias": {},
        # stop rows of the seed-0 carve: 0.9049 vs mf_bias 0.9129 and the MLP-only deep
        # (_DEEP_TUNED) 0.9210
        "deep": _DEEP_DOT_64,
        # 0.9218 on random-100k stop rows, 0.9182 on u1's (best of 7 trials): behind mf_bias
        "svdpp": {
            "regularizers": {"l2": 0.35},
            "learning_rate": 0.005,
            "batch_size": 8192,
        },
    },
    "ml-latest-small": {
        "mf_bias": {},  # 0.8442 (seed 42, README's accuracy table); not re-tuned
        # stop rows of the seed-0 carve: 0.8373 vs mf_bias 0.8341 and _DEEP_TUNED 0.8459
        "deep": _DEEP_DOT,
    },
    "ml-1m-sample": {
        # 0.8492 vs 0.8563 for ModelSpec() (-0.8%; best of 4 trials in 6 min, best epoch 7)
        "mf_bias": {
            "dim": 64,
            "regularizers": {"l2": 0.0675},
            "learning_rate": 0.0025,
            "batch_size": 256,
        },
    },
}
#: Family defaults applied before a dataset's entry (ModelSpec()'s values suit the MF families;
#: autorec wants a wide hidden layer and a strong L2 (README, "AutoRec")).
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "autorec": {
        "dim": 500,
        "regularizers": {"l2": 100.0},
        "learning_rate": 0.001,
        "batch_size": 2048,
        "epochs": 300,
        "early_stopping_patience": 10,
    },
}
#: Names that share another dataset's defaults (the full ml-1m behaves like its sample).
ALIASES = {"ml-1m": "ml-1m-sample"}
#: (at least this many ratings, changes) for data sets without a tuned entry, largest first;
#: families :data:`SIZED_FAMILIES` only. Picked on early-stopping rows of a 3.2 M-rating
#: synthetic set with ml-32m's shape (README, "Large data"): batch 32,768 at lr 0.01 reached
#: 0.5809 with L2 0.1 (batch 16,384: 0.5858; lr 0.02: 0.5898) and 0.5099 with L2 0.03 (more
#: ratings per row need less shrinkage).
LARGE_DATA: tuple[tuple[int, dict[str, Any]], ...] = (
    (2_000_000, {"batch_size": 32768, "learning_rate": 0.01, "regularizers": {"l2": 0.03}}),
)
SIZED_FAMILIES = ("mf", "mf_bias")
#: The family "Train a good default model" picks on a known dataset.
DEFAULT_FAMILY = "mf_bias"


def fill_family_defaults(spec: ModelSpec, form_defaults: ModelSpec) -> tuple[ModelSpec, list[str]]:
    """``spec`` with its family's :data:`FAMILY_DEFAULTS` in the fields a form left at
    ``form_defaults`` (the values it was pre-filled with), and the names of those fields.

    >>> spec, filled = fill_family_defaults(ModelSpec(family="autorec"), ModelSpec())
    >>> spec.dim, filled[:2]
    (500, ['dim', 'regularizers'])
    """
    family_values = FAMILY_DEFAULTS.get(spec.family, {})
    filled = [
        name
        for name, value in family_values.items()
        if getattr(spec, name) == getattr(form_defaults, name) and getattr(spec, name) != value
    ]
    return spec.with_(**{name: family_values[name] for name in filled}), filled


def default_spec_for(
    dataset_name: str | None, family: str | None = None, n_ratings: int | None = None
) -> ModelSpec:
    """The tuned spec of ``family`` (default: :data:`DEFAULT_FAMILY`) for ``dataset_name``.

    Datasets or families without a tuned entry get ModelSpec's defaults (with ``family`` set),
    changed by the family's :data:`FAMILY_DEFAULTS` (autorec's), and with :data:`LARGE_DATA`'s
    changes when the set has that many ratings (``n_ratings``; for a GroupLens name, its known
    size when ``n_ratings`` is not given).
    """
    family = family or DEFAULT_FAMILY
    if family not in schema.names("family"):
        raise SpecError(
            f"Unknown model family {family!r}; choose one of {', '.join(schema.names('family'))}."
        )
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    changes = DEFAULTS.get(name, {}).get(family)
    if changes is None:
        changes = large_data_changes(name, family, n_ratings)
    changes = {**FAMILY_DEFAULTS.get(family, {}), **changes}
    return ModelSpec(family=family).with_(**changes).validate()


def large_data_changes(
    dataset_name: str | None, family: str, n_ratings: int | None = None
) -> dict[str, Any]:
    """:data:`LARGE_DATA`'s changes for a data set of ``n_ratings`` ratings (for a GroupLens
    name, its known size when not given) and a family of :data:`SIZED_FAMILIES`; {} for a
    smaller set, another family, or a dataset with a tuned entry.

    >>> large_data_changes("my-upload", "mf_bias", 5_000_000)["batch_size"]
    32768
    >>> large_data_changes("my-upload", "mf_bias", 100_000)
    {}
    """
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    if family not in SIZED_FAMILIES or family in DEFAULTS.get(name, {}):
        return {}
    known = KNOWN_DATASETS.get(name)
    size = n_ratings if n_ratings is not None else known.approx_ratings if known else 0
    return dict(next((c for least, c in LARGE_DATA if size >= least), {}))


def fill_large_data_defaults(
    spec: ModelSpec, form_defaults: ModelSpec, dataset_name: str | None, n_ratings: int | None
) -> tuple[ModelSpec, list[str]]:
    """``spec`` with :func:`large_data_changes` in the fields a form left at
    ``form_defaults`` (what it was pre-filled with, the same for every dataset), and the names
    of those fields: the Train form's way to give a large upload the batch it needs without
    overriding what the user chose.

    >>> spec, filled = fill_large_data_defaults(ModelSpec(), ModelSpec(), "upload", 3_000_000)
    >>> spec.batch_size, filled
    (32768, ['batch_size', 'learning_rate', 'regularizers'])
    """
    changes = large_data_changes(dataset_name, spec.family, n_ratings)
    filled = [
        name
        for name, value in changes.items()
        if getattr(spec, name) == getattr(form_defaults, name) and getattr(spec, name) != value
    ]
    return spec.with_(**{name: changes[name] for name in filled}), filled


def tuned_datasets() -> tuple[str, ...]:
    """Dataset names with a tuned entry (aliases included)."""
    return tuple(DEFAULTS) + tuple(ALIASES)
