"""Per-dataset default model specs, found by the tuner on the shared MovieLens copies.

:data:`DEFAULTS` maps a dataset name to the winning settings per family (only the fields that
differ from :class:`~movierate.spec.ModelSpec`'s defaults). :func:`default_spec_for` is what
"Train a good default model" trains when the dataset is known, and the tuner's first trial per
family (so a search never ends worse than the default on its stop rows). Unknown datasets get
ModelSpec()'s defaults. How the numbers were found: README, "Tuned defaults"; rerun with
``python -m benchmarks.tune_defaults``.

>>> default_spec_for("ml-100k").family
'mf_bias'
>>> default_spec_for("my-own-ratings") == ModelSpec()
True
"""

from __future__ import annotations

from typing import Any

from movierate import schema
from movierate.errors import SpecError
from movierate.spec import ModelSpec

#: dataset -> family -> ModelSpec field changes (early-stopping epochs are found per run).
#: Valid RMSE on the default split (random 10%, seed 42) in the comments.
DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "ml-100k": {
        "mf_bias": {},
        "deep": {
            "dim": 48,
            "regularizers": {"l2": 0.22},
            "learning_rate": 0.002,
            "batch_size": 2048,
            "hidden_units": (64,),
            "dropout": 0.33,
            "dense_l2": 1e-5,
        },
        "svdpp": {
            "regularizers": {"l2": 0.35},
            "learning_rate": 0.005,
            "batch_size": 8192,
        },
    },
    "ml-latest-small": {
        "mf_bias": {},
    },
    "ml-1m-sample": {
        "mf_bias": {},
    },
}
#: Names that share another dataset's defaults (the full ml-1m behaves like its sample).
ALIASES = {"ml-1m": "ml-1m-sample"}
#: The family "Train a good default model" picks on a known dataset.
DEFAULT_FAMILY = "mf_bias"


def default_spec_for(dataset_name: str | None, family: str | None = None) -> ModelSpec:
    """The tuned spec of ``family`` (default: :data:`DEFAULT_FAMILY`) for ``dataset_name``.

    Datasets or families without a tuned entry get ModelSpec's defaults (with ``family`` set).
    """
    family = family or DEFAULT_FAMILY
    if family not in schema.names("family"):
        raise SpecError(
            f"Unknown model family {family!r}; choose one of {', '.join(schema.names('family'))}."
        )
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    changes = DEFAULTS.get(name, {}).get(family, {})
    return ModelSpec(family=family).with_(**changes).validate()


def tuned_datasets() -> tuple[str, ...]:
    """Dataset names with a tuned entry (aliases included)."""
    return tuple(DEFAULTS) + tuple(ALIASES)
