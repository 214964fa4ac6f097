"""Write the study's results: results.json/.csv, ablation.csv and the study.md tables."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from movierate import atomic
from movierate.study.plan import MIN_RATINGS, PREFIX_KS, RECOMMEND_THRESHOLD, StudyPlan

RESULT_FILES = ("results.json", "results.csv", "ablation.csv", "study.md")


def write_results(
    frame: pd.DataFrame, ablation: pd.DataFrame, plan: StudyPlan, seconds: float, out_dir: Path
) -> dict[str, Path]:
    """Write results.json, results.csv, ablation.csv and study.md atomically; their paths."""
    payload = {
        "plan": _plan_dict(plan),
        "seconds": seconds,
        "min_ratings": MIN_RATINGS,
        "recommend_threshold": RECOMMEND_THRESHOLD,
        "rows": json.loads(frame.to_json(orient="records")),
        "ablation": json.loads(ablation.to_json(orient="records")),
    }
    texts = {
        "results.json": json.dumps(payload, indent=2) + "\n",
        "results.csv": frame.to_csv(index=False),
        "ablation.csv": ablation.to_csv(index=False),
        "study.md": markdown_report(frame, plan, seconds),
    }
    files = {}
    for filename, text in texts.items():
        files[filename] = atomic.write_text(out_dir / filename, text)
    return files


def _plan_dict(plan: StudyPlan) -> dict[str, Any]:
    data = asdict(plan)
    data["variants"] = [{**asdict(v), "regularizers": dict(v.regularizers)} for v in plan.variants]
    return data


TABLE_COLUMNS: dict[str, tuple[str, str]] = {
    "variant": ("variant", "s"),
    "valid_rmse": ("valid RMSE", ".4f"),
    "valid_mae": ("valid MAE", ".4f"),
    "train_rmse": ("train RMSE", ".4f"),
    "penalty_l2": ("L2 pen.", ".3g"),
    "penalty_whitening": ("whitening pen.", ".3g"),
    "penalty_decorrelation": ("decorr. pen.", ".3g"),
    "ks_uniform_mean": ("KS U(-1,1) mean", ".3f"),
    "ks_uniform_max": ("KS max", ".3f"),
    "mean_abs_offdiag_cov": ("mean abs off-diag cov", ".3g"),
    "mean_abs_offdiag_corr": ("mean abs off-diag corr", ".3f"),
    "variance_cv": ("variance CV", ".3f"),
    "genre_coherence_at_10": ("genre coh.@10", ".3f"),
    "top10_median_n_ratings": ("top-10 median n_ratings", ".0f"),
    f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}": (f"same, min {RECOMMEND_THRESHOLD}", ".0f"),
    "spearman_variance_vs_valid_importance": ("Spearman var/valid importance", ".2f"),
    "spearman_variance_vs_train_importance": ("Spearman var/train importance", ".2f"),
    "spearman_index_vs_valid_importance": ("Spearman -index/valid importance", ".2f"),
    **{f"prefix_rmse_k{k}": (f"valid RMSE first {k}", ".4f") for k in PREFIX_KS},
    **{f"pca_prefix_rmse_k{k}": (f"same, pca basis, first {k}", ".4f") for k in PREFIX_KS},
    "train_seconds": ("train s", ".1f"),
}


#: The study's questions: (title, variants compared, measures shown).
QUESTIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Q1. Does whitening reach a near-zero loss without costing validation RMSE?",
        ("none", "whitening", "l2", "l2+whitening"),
        ("penalty_whitening", "train_rmse", "valid_rmse"),
    ),
    (
        "Q2. With decorrelation, does per-dimension variance rank dimensions by importance?",
        ("none", "decorrelation", "l2", "l2+decorrelation"),
        (
            "penalty_decorrelation",
            "mean_abs_offdiag_corr",
            "variance_cv",
            "spearman_variance_vs_valid_importance",
            "spearman_variance_vs_train_importance",
        ),
    ),  # fmt: skip
    (
        "Q3. Does the adversarial regularizer make rows iid U(-1, 1), and at what cost?",
        ("none", "adversarial", "l2", "l2+adversarial"),
        ("ks_uniform_mean", "ks_uniform_max", "train_rmse", "valid_rmse"),
    ),
    (
        f"Q4. Obscure recommendations: L2 without a threshold vs no L2 with min "
        f"{RECOMMEND_THRESHOLD} ratings",
        ("none", "l2"),
        (
            "top10_median_n_ratings",
            f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}",
            "valid_rmse",
        ),
    ),
    (
        "Q5. Does the ordered regularizer put dimensions in order of importance?",
        ("l2", "l2+decorrelation", "l2+ordered"),
        (
            "spearman_index_vs_valid_importance",
            *(f"prefix_rmse_k{k}" for k in PREFIX_KS),
            *(f"pca_prefix_rmse_k{k}" for k in PREFIX_KS),
            "valid_rmse",
        ),
    ),
)


def markdown_report(frame: pd.DataFrame, plan: StudyPlan, seconds: float) -> str:
    """The study's tables in markdown: one per dataset and dim, then the trained losses."""
    lines = [
        "# Regularizer study: results",
        "",
        f"Datasets {', '.join(plan.datasets)}; dims {', '.join(map(str, plan.dims))}; random 90/10 "
        f"split, seed {plan.split_seed}; model seed {plan.model_seed}; {plan.epochs} epochs; the "
        f"validation rows never steer training (no early stopping). Covariance, variance and genre statistics over movies with >= {MIN_RATINGS} "
        f"ratings; penalties (unit strength) and KS over every movie row. Top-10 obscurity: median "
        f"n_ratings of the pooled top-10 of {plan.n_users} fixed users. Whole run: {seconds:.0f} s.",
        "",
        "Strengths: "
        + "; ".join(
            f"{v.name}: {v.family}"
            + "".join(f", {k}={s:g}" for k, s in v.regularizers.items())
            + (f", dense_l2={v.dense_l2:g}" if v.dense_l2 else "")
            for v in plan.variants
        )
        + ".",
    ]
    for (dataset, dim), group in frame.groupby(["dataset", "dim"], sort=False):
        lines += ["", f"## {dataset}, dim {dim}", "", _table(group, TABLE_COLUMNS)]
    keys = {"dataset": ("dataset", "s"), "dim": ("dim", "d"), "variant": ("variant", "s")}
    for title, variants, measures in QUESTIONS:
        chosen = frame[frame["variant"].isin(variants)]
        if chosen["variant"].nunique() > 1:
            columns = keys | {c: TABLE_COLUMNS[c] for c in measures}
            lines += ["", f"## {title}", "", _table(chosen, columns)]
    trained = [c for c in frame.columns if c.startswith("final_")]
    if trained:
        lines += [
            "",
            "## Penalties logged by training at the kept epoch (raw, whole tables; reg_l2 = users + movies)",
            "",
        ]
        columns = {"dataset": ("dataset", "s"), "dim": ("dim", "d"), "variant": ("variant", "s")}
        columns |= {c: (c.removeprefix("final_"), ".4g") for c in trained}
        lines.append(_table(frame, columns))
    return "\n".join(lines) + "\n"


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> str:
    present = [c for c in columns if c in frame.columns]
    lines = [
        "| " + " | ".join(columns[c][0] for c in present) + " |",
        "|" + "---|" * len(present),
    ]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(row[c], columns[c][1]) for c in present) + " |")
    return "\n".join(lines)


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, fmt)
