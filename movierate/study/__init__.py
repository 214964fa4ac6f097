"""The regularizer study: train every regularizer on the same split and measure what it does.

For each dataset and embedding dim, on one random 90/10 split and one model seed, for a fixed
number of epochs (the validation rows never steer training): ``mf_bias`` with no regularizer,
l2, whitening, decorrelation and adversarial (each alone and each on top of l2), ordered (on
top of l2), and ``deep``
with and without L2 on its dense layers. For every model: validation RMSE and MAE, training
RMSE, each regularizer's raw penalty on the final movie embedding (and the ``reg_<kind>``
penalties training logged), the mean absolute off-diagonal covariance and correlation, the
spread of the per-dimension variance, genre coherence@10, how obscure the top-10
recommendations of fixed users are (with and without a min-ratings threshold), a dimension
ablation (Spearman correlation of each dimension's variance with the RMSE increase when it is
zeroed, and of that increase with reversed dimension index; validation RMSE from the first
k dimensions only, as trained and in the model's principal basis), the Kolmogorov-Smirnov distance of each dimension from U(-1, 1), and the train time.

Penalties and KS distances use every movie row (the regularizers sample rows uniformly);
covariance, variance and genre statistics use the movies with at least :data:`MIN_RATINGS`
ratings (the dashboard's default view). Results go to ``results.json``, ``results.csv``,
``ablation.csv`` and ``study.md`` in the output folder; with ``save_models`` each model is also
saved in the store as ``study-<dataset>-d<dim>-<variant>`` (replacing an older one of that
name) so the dashboard can open it. TensorFlow is imported only when training starts.

Modules: :mod:`~movierate.study.plan` (variants and plans), :mod:`~movierate.study.measure`
(train in memory, measure), :mod:`~movierate.study.report` (result files); the numpy
penalties live in :mod:`movierate.explore.penalties`.

>>> run_study(QUICK_PLAN, Path("study-out"))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from movierate import store
from movierate.data import load_dataset, make_split
from movierate.study.measure import (
    Fitted,
    analyse,
    dimension_ablation,
    fit_in_memory,
    fixed_users,
    prefix_rmse,
    recommendation_obscurity,
    rmse_mae,
)
from movierate.study.plan import (
    ABLATION_TRAIN_ROWS,
    FULL_PLAN,
    L2,
    MIN_RATINGS,
    ORDERED,
    PREFIX_KS,
    QUICK_PLAN,
    RECOMMEND_THRESHOLD,
    VARIANTS,
    StudyPlan,
    Variant,
    check_plan,
)
from movierate.study.report import (
    QUESTIONS,
    RESULT_FILES,
    TABLE_COLUMNS,
    markdown_report,
    write_results,
)

__all__ = [
    "ABLATION_TRAIN_ROWS",
    "FULL_PLAN",
    "L2",
    "MIN_RATINGS",
    "ORDERED",
    "PREFIX_KS",
    "QUESTIONS",
    "QUICK_PLAN",
    "RECOMMEND_THRESHOLD",
    "RESULT_FILES",
    "TABLE_COLUMNS",
    "VARIANTS",
    "Fitted",
    "StudyPlan",
    "StudyResult",
    "Variant",
    "analyse",
    "check_plan",
    "dimension_ablation",
    "fit_in_memory",
    "fixed_users",
    "markdown_report",
    "prefix_rmse",
    "recommendation_obscurity",
    "rmse_mae",
    "run_study",
    "write_results",
]


@dataclass(frozen=True)
class StudyResult:
    """One row per trained model, one row per (model, dimension) of the ablation."""

    rows: pd.DataFrame
    ablation: pd.DataFrame
    plan: StudyPlan
    seconds: float
    files: dict[str, Path]


def run_study(
    plan: StudyPlan, out_dir: Path, progress: Callable[[str], None] | None = None
) -> StudyResult:
    """Train and analyse every model of ``plan``; write the result files into ``out_dir``."""
    check_plan(plan)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda message: None)
    started = time.perf_counter()
    rows, ablations = [], []
    for dataset in plan.datasets:
        ds = load_dataset(dataset)
        split = make_split(ds, method="random", test_fraction=0.1, seed=plan.split_seed)
        users = fixed_users(ds, plan.n_users)
        for dim in plan.dims:
            for variant in plan.variants:
                spec = variant.spec(plan, dim)
                name = f"{plan.model_prefix}-{ds.name}-d{dim}-{variant.name.replace('+', '-')}"
                fitted = fit_in_memory(ds, split, spec, name)
                if plan.save_models:
                    store.save_model(name, fitted.result, ds, split, spec, overwrite=True)
                row, ablation = analyse(fitted.model, ds, split, users)
                key = {"dataset": ds.name, "dim": dim, "variant": variant.name}
                rows.append({**key, "model": name if plan.save_models else None, **row})
                ablations.append(ablation.assign(**key))
                report(
                    f"{ds.name} d{dim} {variant.name}: valid RMSE {row['valid_rmse']:.4f}, "
                    f"{row['train_seconds']:.1f} s ({time.perf_counter() - started:.0f} s in all)"
                )
    frame = pd.DataFrame(rows)
    ablation = pd.concat(ablations, ignore_index=True)
    seconds = time.perf_counter() - started
    files = write_results(frame, ablation, plan, seconds, out_dir)
    return StudyResult(frame, ablation, plan, seconds, files)
