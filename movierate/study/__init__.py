"""The regularizer study: train every regularizer on the same split and measure what it does.

For each dataset and embedding dim, on one random 90/10 split and one model seed, for a fixed
number of epochs (the validation rows never steer training): ``mf_bias`` with no regularizer,
l2, whitening, decorrelation and adversarial (each alone and each on top of l2), and ``deep``
with and without L2 on its dense layers. For every model: validation RMSE and MAE, training
RMSE, each regularizer's raw penalty on the final movie embedding (and the ``reg_<kind>``
penalties training logged), the mean absolute off-diagonal covariance and correlation, the
spread of the per-dimension variance, genre coherence@10, how obscure the top-10
recommendations of fixed users are (with and without a min-ratings threshold), a dimension
ablation (Spearman correlation of each dimension's variance with the RMSE increase when it is
zeroed), the Kolmogorov-Smirnov distance of each dimension from U(-1, 1), and the train time.

Penalties and KS distances use every movie row (the regularizers sample rows uniformly);
covariance, variance and genre statistics use the movies with at least :data:`MIN_RATINGS`
ratings (the dashboard's default view). Results go to ``results.json``, ``results.csv``,
``ablation.csv`` and ``study.md`` in the output folder; with ``save_models`` each model is also
saved in the store as ``study-<dataset>-d<dim>-<variant>`` (replacing an older one of that
name) so the dashboard can open it. TensorFlow is imported only when training starts.

>>> run_study(QUICK_PLAN, Path("study-out"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from movierate import explore, scoring, store
from movierate.data import RatingsDataset, Split, load_dataset, make_split
from movierate.errors import SpecError
from movierate.spec import ModelSpec

#: Movies with fewer ratings are left out of the embedding statistics.
MIN_RATINGS = 10
#: Min-ratings threshold of the "threshold instead of L2" recommendation comparison.
RECOMMEND_THRESHOLD = 20
#: Training rows (a fixed random sample) on which the dimension ablation is also measured.
ABLATION_TRAIN_ROWS = 20_000
RESULT_FILES = ("results.json", "results.csv", "ablation.csv", "study.md")


@dataclass(frozen=True)
class Variant:
    """One model configuration of the study (the dim comes from the plan)."""

    name: str
    family: str = "mf_bias"
    regularizers: Mapping[str, float] = field(default_factory=dict)
    dense_l2: float = 0.0

    def spec(self, plan: StudyPlan, dim: int) -> ModelSpec:
        """The ModelSpec of this variant in ``plan`` (ModelSpec defaults for the rest)."""
        return ModelSpec(
            family=self.family,
            dim=dim,
            regularizers=dict(self.regularizers),
            dense_l2=self.dense_l2,
            epochs=plan.epochs,
            seed=plan.model_seed,
        )


#: L2 strength of the study (the mf_bias value of benchmarks/bench_accuracy.py).
L2 = 0.1
VARIANTS: tuple[Variant, ...] = (
    Variant("none"),
    Variant("l2", regularizers={"l2": L2}),
    Variant("whitening", regularizers={"whitening": 0.1}),
    Variant("decorrelation", regularizers={"decorrelation": 1.0}),
    Variant("adversarial", regularizers={"adversarial": 1.0}),
    Variant("l2+whitening", regularizers={"l2": L2, "whitening": 0.1}),
    Variant("l2+decorrelation", regularizers={"l2": L2, "decorrelation": 1.0}),
    Variant("l2+adversarial", regularizers={"l2": L2, "adversarial": 1.0}),
    Variant("deep", family="deep"),
    Variant("deep+dense_l2", family="deep", dense_l2=3e-3),
)


@dataclass(frozen=True)
class StudyPlan:
    """What the study trains: datasets x dims x variants, one split and seed for all."""

    datasets: tuple[str, ...] = ("ml-100k", "ml-latest-small")
    dims: tuple[int, ...] = (8, 32)
    variants: tuple[Variant, ...] = VARIANTS
    epochs: int = 20
    split_seed: int = 42
    model_seed: int = 0
    n_users: int = 10  # fixed users whose top-10 recommendations are inspected
    save_models: bool = True
    model_prefix: str = "study"


FULL_PLAN = StudyPlan()
QUICK_PLAN = StudyPlan(datasets=("ml-100k",), dims=(8,), epochs=2, n_users=5, save_models=False)


@dataclass(frozen=True)
class Fitted:
    """A model trained in memory: numpy view (for analyses) and the training result (to save)."""

    model: store.TrainedModel
    result: Any  # movierate.training.TrainResult

    @property
    def train_seconds(self) -> float:
        return float(self.result.train_seconds)


@dataclass(frozen=True)
class StudyResult:
    """One row per trained model, one row per (model, dimension) of the ablation."""

    rows: pd.DataFrame
    ablation: pd.DataFrame
    plan: StudyPlan
    seconds: float
    files: dict[str, Path]


# --- unit-strength penalties on a final embedding -----------------------------------------------


def _mean_and_covariance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and biased column covariance, as :func:`movierate.regularizers.covariance`."""
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    return mean, centred.T @ centred / len(x)


def l2_penalty(x: np.ndarray) -> float:
    """Mean squared row norm (``EmbeddingL2.penalty``)."""
    return float(np.mean(np.sum(np.asarray(x, np.float64) ** 2, axis=1)))


def whitening_penalty(x: np.ndarray) -> float:
    """||mean||^2 + ||cov - I||_F^2 (``Whitening.penalty``)."""
    mean, cov = _mean_and_covariance(x)
    return float(np.sum(mean**2) + np.sum((cov - np.eye(len(cov))) ** 2))


def decorrelation_penalty(x: np.ndarray) -> float:
    """Sum of squared off-diagonal covariances (``Decorrelation.penalty``)."""
    _, cov = _mean_and_covariance(x)
    return float(np.sum(off_diagonal(cov) ** 2))


def uniform_ks(x: np.ndarray) -> np.ndarray:
    """Kolmogorov-Smirnov statistic of each dimension against U(-1, 1)."""
    x = np.asarray(x, np.float64)
    return np.array(
        [stats.kstest(x[:, j], "uniform", args=(-1.0, 2.0)).statistic for j in range(x.shape[1])]
    )


def off_diagonal(matrix: np.ndarray) -> np.ndarray:
    """The off-diagonal entries of a square matrix."""
    return matrix[~np.eye(len(matrix), dtype=bool)]


# --- training -----------------------------------------------------------------------------------


def fit_in_memory(
    ds: RatingsDataset, split: Split, spec: ModelSpec | Mapping[str, Any], name: str = "in-memory"
) -> Fitted:
    """Train ``spec`` (a ModelSpec or its fields) on ``split.train`` for exactly ``spec.epochs``
    epochs, without writing anything.

    The validation rows are withheld from training, so they never steer it (no early stopping,
    no best-epoch pick); the result's metrics get ``valid_rmse`` / ``valid_mae`` of the final
    weights, computed in numpy. The model is a numpy :class:`~movierate.store.TrainedModel`
    (predict, explore functions). Imports TensorFlow.
    """
    from movierate.models import export_arrays
    from movierate.training import train

    spec = spec if isinstance(spec, ModelSpec) else ModelSpec(**spec)
    spec = spec.with_(early_stopping_patience=spec.epochs).validate()
    result = train(ds, replace(split, valid=np.empty(0, dtype=np.int64)), spec)
    arrays = {k: np.asarray(v) for k, v in export_arrays(result.keras_model, spec).items()}
    arrays.setdefault("global_mean", np.asarray(result.global_mean, dtype=np.float32))
    scale = ds.rating_scale
    meta = {
        "name": name,
        "spec": spec.to_dict(),
        "dataset": {"name": ds.name, "rating_scale": [scale.min, scale.max, scale.step]},
        "split": split.describe(),
        "metrics": result.metrics,
        "history": {k: list(v) for k, v in result.history.items()},
        "timings": {"train_seconds": float(result.train_seconds)},
    }
    model = store.TrainedModel(name, Path(name), spec, meta, arrays, ds.movies)
    valid = ds.ratings.iloc[split.valid]
    if len(valid):
        users, movies = valid["user_idx"].to_numpy(), valid["movie_idx"].to_numpy()
        truth = valid["rating"].to_numpy(np.float64)
        result.metrics["valid_rmse"], result.metrics["valid_mae"] = rmse_mae(
            model, users, movies, truth
        )
    return Fitted(model, result)


# --- analyses of one trained model ----------------------------------------------------------------


def rmse_mae(
    model: store.TrainedModel,
    users: np.ndarray,
    movies: np.ndarray,
    truth: np.ndarray,
    arrays: Mapping[str, np.ndarray] | None = None,
) -> tuple[float, float]:
    """RMSE and MAE of ``model`` (or of ``arrays`` with its spec) on the given rows."""
    predicted = scoring.predict(
        arrays or model.arrays, model.spec, users, movies, model.rating_scale
    )
    error = predicted.astype(np.float64) - truth
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def dimension_ablation(model: store.TrainedModel, ds: RatingsDataset, split: Split) -> pd.DataFrame:
    """Per dimension: movie / user variance and the RMSE increase when that dimension is zeroed
    in both embeddings, on the validation rows and on a fixed sample of training rows."""
    rng = np.random.default_rng(0)
    train = np.sort(rng.choice(split.train, min(ABLATION_TRAIN_ROWS, len(split.train)), False))
    weights = explore.movie_weights(model.movies, min_ratings=MIN_RATINGS)
    frame = pd.DataFrame(
        {
            "dimension": np.arange(model.dim),
            "movie_variance": explore.variance_share(model.movie_embedding, weights=weights)[
                "variance"
            ].to_numpy(),
            "user_variance": explore.variance_share(model.user_embedding)["variance"].to_numpy(),
        }
    )
    for part, rows in (("valid", split.valid), ("train", train)):
        chosen = ds.ratings.iloc[rows]
        users, movies = chosen["user_idx"].to_numpy(), chosen["movie_idx"].to_numpy()
        truth = chosen["rating"].to_numpy(np.float64)
        base, _ = rmse_mae(model, users, movies, truth)
        increase = np.empty(model.dim)
        for j in range(model.dim):
            arrays = dict(model.arrays)
            for key in ("movie_embedding", "user_embedding"):
                arrays[key] = np.array(arrays[key], copy=True)
                arrays[key][:, j] = 0.0
            increase[j] = rmse_mae(model, users, movies, truth, arrays)[0] - base
        frame[f"{part}_rmse_increase"] = increase
    return frame


def fixed_users(ds: RatingsDataset, n: int, seed: int = 0) -> np.ndarray:
    """``n`` users with at least 20 ratings, drawn with a fixed seed (sorted)."""
    counts = np.bincount(ds.ratings["user_idx"].to_numpy(), minlength=ds.n_users)
    eligible = np.flatnonzero(counts >= 20)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(eligible, size=min(n, len(eligible)), replace=False))


def recommendation_obscurity(
    model: store.TrainedModel, ds: RatingsDataset, users: np.ndarray, min_ratings: int
) -> float:
    """Median ``n_ratings`` of the pooled top-10 recommendations of ``users``."""
    counts = [
        explore.recommend_for_user(model, int(u), ratings=ds.ratings, k=10, min_ratings=min_ratings)
        .recommended["n_ratings"]
        .to_numpy()
        for u in users
    ]
    return float(np.median(np.concatenate(counts)))


def analyse(
    model: store.TrainedModel, ds: RatingsDataset, split: Split, users: np.ndarray
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The study's row for one model and its dimension ablation."""
    valid_rmse, valid_mae = model.metrics["valid_rmse"], model.metrics["valid_mae"]
    x = np.asarray(model.movie_embedding, np.float64)  # every row, as the regularizers see them
    weights = explore.movie_weights(model.movies, min_ratings=MIN_RATINGS)
    cov = explore.covariance_matrix(x, weights=weights).to_numpy()
    corr = explore.correlation_matrix(x, weights=weights).to_numpy()
    variance = np.diag(cov)
    ks = uniform_ks(x)
    ablation = dimension_ablation(model, ds, split)
    history = model.history
    row: dict[str, Any] = {
        "valid_rmse": valid_rmse,
        "valid_mae": valid_mae,
        "train_rmse": float(model.metrics.get("train_rmse", math.nan)),
        "epochs_run": len(history.get("loss", [])),
        "kept_epoch": model.metrics.get("best_epoch"),
        "train_seconds": float(model.meta["timings"]["train_seconds"]),
        "penalty_l2": l2_penalty(x),
        "penalty_whitening": whitening_penalty(x),
        "penalty_decorrelation": decorrelation_penalty(x),
        "ks_uniform_mean": float(ks.mean()),
        "ks_uniform_max": float(ks.max()),
        "mean_abs_offdiag_cov": float(np.mean(np.abs(off_diagonal(cov)))),
        "mean_abs_offdiag_corr": float(np.nanmean(np.abs(off_diagonal(corr)))),
        "variance_cv": float(variance.std() / variance.mean()) if variance.mean() > 0 else math.nan,
        "variance_max_min_ratio": float(variance.max() / variance.min())
        if variance.min() > 0
        else math.inf,
        "genre_coherence_at_10": explore.model_genre_coherence(
            model, k=10, min_ratings=MIN_RATINGS
        ).coherence,
        "top10_median_n_ratings": recommendation_obscurity(model, ds, users, 0),
        f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}": recommendation_obscurity(
            model, ds, users, RECOMMEND_THRESHOLD
        ),
        "spearman_variance_vs_valid_importance": _spearman(
            ablation["movie_variance"], ablation["valid_rmse_increase"]
        ),
        "spearman_variance_vs_train_importance": _spearman(
            ablation["movie_variance"], ablation["train_rmse_increase"]
        ),
        "spearman_variance_product_vs_valid_importance": _spearman(
            ablation["movie_variance"] * ablation["user_variance"], ablation["valid_rmse_increase"]
        ),
    }
    for key, value in model.metrics.items():
        if key.startswith("reg_") or key == "disc_loss":
            row[f"final_{key}"] = float(value)
    return row, ablation


def _spearman(a: Any, b: Any) -> float:
    if np.ptp(np.asarray(a)) == 0 or np.ptp(np.asarray(b)) == 0:
        return math.nan
    return float(stats.spearmanr(a, b).statistic)


# --- the whole study ------------------------------------------------------------------------------


def run_study(
    plan: StudyPlan, out_dir: Path, progress: Callable[[str], None] | None = None
) -> StudyResult:
    """Train and analyse every model of ``plan``; write the result files into ``out_dir``."""
    _check_plan(plan)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda message: None)
    started = time.perf_counter()
    rows, ablations = [], []
    for dataset in plan.datasets:
        ds = load_dataset(dataset)
        split = make_split(ds, method="random", valid_fraction=0.1, seed=plan.split_seed)
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


def _check_plan(plan: StudyPlan) -> None:
    if not plan.datasets or not plan.dims or not plan.variants:
        raise SpecError("The study needs at least one dataset, one dim and one variant.")
    if plan.epochs < 1:
        raise SpecError(f"The study's epochs must be at least 1, got {plan.epochs}.")
    for dim in plan.dims:
        plan.variants[0].spec(plan, dim).validate()


# --- writing --------------------------------------------------------------------------------------


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
        path = out_dir / filename
        temp = path.with_name(f".{filename}.tmp")
        temp.write_text(text)
        os.replace(temp, path)
        files[filename] = path
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
