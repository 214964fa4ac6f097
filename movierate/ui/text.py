"""Text and tables for display: one-line descriptions of models, jobs, genres and years.

No Streamlit here: plain strings and DataFrames that widgets and figures show.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from movierate.jobs import JobSnapshot
from movierate.spec import format_regularizers

#: History columns holding a regularizer's loss start with this (``reg_l2``, ``reg_whitening``).
REG_PREFIX = "reg_"


def regularizers_text(spec: Any) -> str:
    """The spec's active regularizers as the CLI writes them (``"l2=0.0001"``), or ``"none"``."""
    active = {k: v for k, v in (spec.regularizers or {}).items() if v}
    return format_regularizers(active) if active else "none"


#: One sentence per regularizer-loss history column that needs explaining.
REGULARIZER_LOSS_HELP = {
    "disc_loss": (
        "disc_loss is the adversarial regularizer's discriminator loss: how well a small "
        "network tells the movie vectors from uniform noise in a cube (about 0.69 = it cannot "
        "tell them apart, the regularizer's aim; near 0 = it easily can)."
    ),
}


def regularizer_keys(history: dict[str, list[float]]) -> list[str]:
    """History columns holding regularizer losses (``reg_<kind>``, ``disc_loss``)."""
    return [k for k in history if k.startswith(REG_PREFIX) or k == "disc_loss"]


def genres_text(genres: Any) -> str:
    """``["Action", "Comedy"]`` -> ``"Action, Comedy"``."""
    if genres is None or isinstance(genres, float):
        return ""
    return ", ".join(str(g) for g in genres)


def year_text(year: Any) -> str:
    """A release year for display, ``"?"`` when unknown."""
    return "?" if year is None or pd.isna(year) else str(int(year))


def model_summary(model: Any) -> str:
    """``"mf_bias, dim 32, l2 1e-04; ml-latest-small; valid RMSE 0.8712"``."""
    rmse = model.metrics.get("valid_rmse")
    quality = f"; valid RMSE {rmse:.4f}" if rmse is not None else ""
    return (
        f"{model.spec.family}, dim {model.dim}, {regularizers_text(model.spec)}; "
        f"trained on {model.dataset_name}{quality}"
    )


def job_progress_text(job: JobSnapshot) -> str:
    """One line: name, state, epoch and the latest validation RMSE."""
    parts = [f"**{job.name}**: {job.state}"]
    if job.state == "running" and job.epochs:
        parts.append(f"epoch {max(job.epoch, 1)}/{job.epochs}")
    if "valid_rmse" in job.latest_metrics:
        parts.append(f"valid RMSE {job.latest_metrics['valid_rmse']:.4f}")
    return ", ".join(parts)


def models_table(infos: list[Any]) -> pd.DataFrame:
    """One row per saved model: what it is and how well it does (for st.dataframe)."""
    return pd.DataFrame(
        {
            "model": [i.name for i in infos],
            "dataset": [i.dataset for i in infos],
            "family": [i.spec.family for i in infos],
            "dim": [i.spec.dim for i in infos],
            "regularizers": [regularizers_text(i.spec) for i in infos],
            "valid RMSE": [i.metrics.get("valid_rmse") for i in infos],
            "valid MAE": [i.metrics.get("valid_mae") for i in infos],
            "epochs": [i.metrics.get("epochs_run") for i in infos],
            "train s": [i.train_seconds for i in infos],
            "created": [i.created[:16].replace("T", " ") for i in infos],
        }
    )
