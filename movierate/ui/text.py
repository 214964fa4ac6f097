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
    """``"mf_bias, dim 32, l2=0.1; trained on ml-latest-small; test RMSE 0.8712"`` (an old
    model's figure is labelled as the valid RMSE that steered its early stopping)."""
    rmse = getattr(model, "reported_rmse", None)
    quality = f"; {model.metrics_label} {rmse:.4f}" if rmse is not None else ""
    return (
        f"{model.spec.family}, dim {model.dim}, {regularizers_text(model.spec)}; "
        f"trained on {model.dataset_name}{quality}"
    )


def job_progress_text(job: JobSnapshot) -> str:
    """One line: name, state, epoch and the latest early-stopping RMSE."""
    parts = [f"**{job.name}**: {job.state}"]
    if job.state == "running" and job.epochs:
        parts.append(f"epoch {max(job.epoch, 1)}/{job.epochs}")
    if "stop_rmse" in job.latest_metrics:
        parts.append(f"early-stopping RMSE {job.latest_metrics['stop_rmse']:.4f}")
    return ", ".join(parts)


def test_row_groups(models: list[Any]) -> list[list[Any]]:
    """``models`` with test rows, grouped by the rows their test metrics come from
    (``test_rows``: same data, same test part), largest group first."""
    groups: dict[tuple, list[Any]] = {}
    for model in models:
        if model.test_rows is not None:
            groups.setdefault(model.test_rows, []).append(model)
    return sorted(groups.values(), key=len, reverse=True)


def test_rows_notice(models: list[Any]) -> str | None:
    """A warning when ``models``' test RMSEs come from different test rows (so they do not
    compare), naming the groups that do; None when they all share one set of test rows."""
    groups = test_row_groups(models)
    if len(groups) < 2:
        return None
    parts = [
        f"{', '.join(m.name for m in group)} ({_dataset_of(group[0])}, {group[0].test_rows_text})"
        for group in groups
    ]
    return (
        "These models were tested on different ratings, so their test RMSEs do not compare "
        "across groups (a different data set or split changes the number as much as a better "
        "model does). Same test rows: " + "; ".join(parts) + ". Train on the same data set and "
        "split (method, test fraction and seed) to compare them."
    )


def _dataset_of(model: Any) -> str:
    return str(getattr(model, "dataset", None) or model.dataset_name)


def models_table(infos: list[Any]) -> pd.DataFrame:
    """One row per saved model: what it is and how well it does (for st.dataframe). A "test
    rows" column says which rows each test RMSE comes from when they differ between models."""
    table = pd.DataFrame(
        {
            "model": [i.name for i in infos],
            "dataset": [i.dataset for i in infos],
            "family": [i.spec.family for i in infos],
            "dim": [i.spec.dim for i in infos],
            "regularizers": [regularizers_text(i.spec) for i in infos],
            "test rows": [i.test_rows_text for i in infos],
            "test RMSE": [i.test_rmse for i in infos],
            "test MAE": [i.test_mae for i in infos],
            # models saved before test rows existed: their valid rows also steered training
            "old valid RMSE (steered early stopping)": [
                None if i.has_test_rows else i.valid_rmse for i in infos
            ],
            "epochs": [i.metrics.get("epochs_run") for i in infos],
            "train s": [i.train_seconds for i in infos],
            "created": [i.created[:16].replace("T", " ") for i in infos],
        }
    )
    old = "old valid RMSE (steered early stopping)"
    unused = [old] if table[old].isna().all() else []
    if len(test_row_groups(infos)) < 2:
        unused.append("test rows")
    return table.drop(columns=unused)


def tuning_saved_text(summary: dict[str, Any]) -> str:
    """What a tuning run saved, from its ``tuning`` summary: the refit (epochs, seeds, rows) or
    the best trial as trained, and the spread of the top trials."""
    blend = summary.get("blend")
    if blend:
        parts = [
            f"{m.get('weight', 0):.2f} x {m.get('family')} (trial {m.get('best_trial')}, "
            f"early-stopping RMSE {m.get('stop_rmse', float('nan')):.4f})"
            for m in blend.get("members", [])
        ]
        return (
            "Saved: a blend, one mf_bias model predicting "
            + " + ".join(parts)
            + f"; the weight was picked on the early-stopping rows (blend "
            f"{blend.get('stop_rmse', float('nan')):.4f})"
            + (
                ", then both winners were refit on the training + early-stopping rows, so only "
                "its test RMSE is held out."
                if blend.get("refit")
                else "."
            )
            + f" Movie embedding columns: {blend.get('movie_embedding')}."
        )
    best = summary.get("best") or {}
    spread = summary.get("top_spread") or {}
    refit = summary.get("refit")
    if refit:
        seeds = refit.get("ensemble", 1)
        saved = (
            f"Saved: trial {best.get('trial')}'s settings refit on the training + early-stopping "
            f"rows for {refit.get('epochs')} epochs"
            + (
                f", {seeds} seeds averaged into one model of dim {refit.get('dim')}"
                if seeds > 1
                else ""
            )
            + "; the early-stopping rows are training rows of the saved model, so only its "
            "test RMSE is held out."
        )
    else:
        saved = f"Saved: trial {best.get('trial')} as trained (early-stopped on those rows)."
    lo, hi = spread.get("min"), spread.get("max")
    if isinstance(lo, int | float) and isinstance(hi, int | float):
        saved += f" Top trials' early-stopping RMSE: {lo:.4f} to {hi:.4f}."
    return saved
