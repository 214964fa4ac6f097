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
#: The deep winner of the ml-100k search; it also won on ml-latest-small.
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
        # 0.9069 (best of 10 trials in 6 min; 1.7% behind mf_bias: the MLP family's ceiling
        # here). Trial 6 (dim 32, l2 0.41, lr 0.0012, batch 512, dropout 0.1) tied at 0.9069.
        "deep": _DEEP_TUNED,
        # 0.9218 on random-100k stop rows, 0.9182 on u1's (best of 7 trials): behind mf_bias
        "svdpp": {
            "regularizers": {"l2": 0.35},
            "learning_rate": 0.005,
            "batch_size": 8192,
        },
    },
    "ml-latest-small": {
        "mf_bias": {},  # 0.8442 (seed 42, README's accuracy table); not re-tuned
        # 0.8643 (best of 9 trials in 6 min; the ml-100k deep winner won here too)
        "deep": _DEEP_TUNED,
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


def default_spec_for(
    dataset_name: str | None, family: str | None = None, n_ratings: int | None = None
) -> ModelSpec:
    """The tuned spec of ``family`` (default: :data:`DEFAULT_FAMILY`) for ``dataset_name``.

    Datasets or families without a tuned entry get ModelSpec's defaults (with ``family`` set),
    with :data:`LARGE_DATA`'s changes when the set has that many ratings (``n_ratings``; for a
    GroupLens name, its known size when ``n_ratings`` is not given).
    """
    family = family or DEFAULT_FAMILY
    if family not in schema.names("family"):
        raise SpecError(
            f"Unknown model family {family!r}; choose one of {', '.join(schema.names('family'))}."
        )
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    changes = DEFAULTS.get(name, {}).get(family)
    if changes is None:
        changes = {}
        known = KNOWN_DATASETS.get(name)
        size = n_ratings if n_ratings is not None else known.approx_ratings if known else 0
        if family in SIZED_FAMILIES:
            changes = next((c for least, c in LARGE_DATA if size >= least), {})
    return ModelSpec(family=family).with_(**changes).validate()


def tuned_datasets() -> tuple[str, ...]:
    """Dataset names with a tuned entry (aliases included)."""
    return tuple(DEFAULTS) + tuple(ALIASES)
