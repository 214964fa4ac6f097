"""Train one study model in memory and measure what its regularizers did to its embeddings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from movierate import explore, scoring, store
from movierate.data import RatingsDataset, Split
from movierate.explore import ordering
from movierate.explore.penalties import (
    decorrelation_penalty,
    l2_penalty,
    off_diagonal,
    uniform_ks,
    whitening_penalty,
)
from movierate.explore.quality import coherence_shortfall
from movierate.explore.verdicts import shaped_rows
from movierate.spec import ModelSpec
from movierate.study.plan import (
    ABLATION_TRAIN_ROWS,
    COHERENCE_K,
    MIN_RATINGS,
    PREFIX_KS,
    RECOMMEND_THRESHOLD,
)


@dataclass(frozen=True)
class Fitted:
    """A model trained in memory: numpy view (for analyses) and the training result (to save)."""

    model: store.TrainedModel
    result: Any  # movierate.nn.training.TrainResult

    @property
    def train_seconds(self) -> float:
        return float(self.result.train_seconds)


def fit_in_memory(
    ds: RatingsDataset, split: Split, spec: ModelSpec | Mapping[str, Any], name: str = "in-memory"
) -> Fitted:
    """Train ``spec`` (a ModelSpec or its fields) on ``split.train`` for exactly ``spec.epochs``
    epochs, without writing anything.

    Neither the stop nor the test rows steer training (no early stopping). The weights kept are
    the last epoch's (``train``'s rule with no stop rows). The stop rows serve one purpose only: the ``ordered`` option's final rank selection
    (:func:`movierate.nn.training.prune_dimensions`, ``rank_rows``). The result's metrics get
    :func:`movierate.pipeline.test_metrics` of the final weights on ``split.test`` (numpy).
    The model is a numpy :class:`~movierate.store.TrainedModel` (predict, explore functions).
    Imports TensorFlow.
    """
    from movierate.nn.training import train

    spec = spec if isinstance(spec, ModelSpec) else ModelSpec(**spec)
    spec = spec.with_(early_stopping_patience=spec.epochs).validate()
    no_stop = replace(split, stop=np.empty(0, dtype=np.int64))
    result = train(ds, no_stop, spec, rank_rows=np.asarray(split.stop, dtype=np.int64))
    from movierate.pipeline import test_metrics

    model = store.TrainedModel.from_training(name, result, ds, split, spec, path=Path(name))
    if len(split.test):  # as every saved model's: test RMSE / MAE and the cold-start rows
        result.metrics.update(test_metrics(result.arrays, spec, ds, split, result.rating_scale))
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


def _rows(ds: RatingsDataset, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chosen = ds.ratings.iloc[rows]
    return (
        chosen["user_idx"].to_numpy(),
        chosen["movie_idx"].to_numpy(),
        chosen["rating"].to_numpy(np.float64),
    )


def dimension_ablation(model: store.TrainedModel, ds: RatingsDataset, split: Split) -> pd.DataFrame:
    """Per dimension: movie / user variance and the RMSE increase when that dimension is zeroed
    in both embeddings, on the test rows (``test_rmse_increase``) and on a fixed sample of
    training rows (``train_rmse_increase``)."""
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
    for part, rows in (("test", split.test), ("train", train)):
        ablation = ordering.dimension_ablation(model, *_rows(ds, rows))
        frame[f"{part}_rmse_increase"] = ablation["rmse_increase"].to_numpy()
    return frame


def training_counts(ds: RatingsDataset, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """Number of training rows of every user and every movie."""
    users, movies, _ = _rows(ds, split.train)
    return np.bincount(users, minlength=ds.n_users), np.bincount(movies, minlength=ds.n_movies)


#: Basis of the comparator curve whose PCA weighting is chosen at each k on the stop rows.
PCA_CHOSEN = "pca_stop_chosen"


def prefix_curves(model: store.TrainedModel, ds: RatingsDataset, split: Split) -> pd.DataFrame:
    """Test-row RMSE from the first k dimensions only, k = 1 .. dim (columns ``basis``, ``k``,
    ``rmse``): as trained (``index``) and in the model's principal basis
    (:func:`movierate.explore.ordering.pca_arrays`, the best post-hoc ordering), unweighted
    (``pca``) and with users / movies weighted by their training counts (``pca_weighted``);
    and :data:`PCA_CHOSEN`: at each k, the test RMSE of whichever of the two weightings has
    the lower RMSE on the **stop** rows (nothing is chosen on the test rows; without stop rows,
    on the training rows)."""
    test = _rows(ds, split.test)
    chooser = _rows(ds, split.stop if len(split.stop) else split.train)
    user_counts, movie_counts = training_counts(ds, split)
    curves, stop_curves = [], {}
    for basis, kwargs in (
        ("index", {"basis": "index"}),
        ("pca", {"basis": "pca"}),
        (
            "pca_weighted",
            {"basis": "pca", "user_weights": user_counts, "movie_weights": movie_counts},
        ),
    ):
        curves.append(ordering.prefix_curve(model, *test, **kwargs).assign(basis=basis))
        if basis != "index":
            stop_curves[basis] = ordering.prefix_curve(model, *chooser, **kwargs)["rmse"]
    pick_weighted = (stop_curves["pca_weighted"] < stop_curves["pca"]).to_numpy()
    chosen = curves[1].copy()
    chosen["rmse"] = np.where(pick_weighted, curves[2]["rmse"], curves[1]["rmse"])
    curves.append(chosen.assign(basis=PCA_CHOSEN))
    return pd.concat(curves, ignore_index=True)[["basis", "k", "rmse"]]


def pca_spearman(model: store.TrainedModel, ds: RatingsDataset, split: Split) -> float:
    """:func:`~movierate.explore.ordering.ordering_spearman` on the test rows of ``model``
    re-expressed in its principal basis (users and movies weighted by their training counts)."""
    user_counts, movie_counts = training_counts(ds, split)
    rotated = SimpleNamespace(
        arrays=ordering.pca_arrays(model.arrays, model.spec, user_counts, movie_counts),
        spec=model.spec,
        rating_scale=model.rating_scale,
    )
    return ordering.ordering_spearman(ordering.dimension_ablation(rotated, *_rows(ds, split.test)))


def compare_to_baseline(
    rows: list[dict[str, Any]], curves: pd.DataFrame, baseline: str = "l2"
) -> None:
    """Add, in place, each row's ``full_cost_pct`` (test RMSE against ``baseline``'s, in %),
    ``max_prefix_gap`` (largest difference over k of its first-k test RMSE as trained minus the
    baseline's first k principal directions, the PCA weighting chosen at each k on the stop
    rows, basis :data:`PCA_CHOSEN`; <= 0: no worse at any k) and
    ``max_prefix_gap_test_chosen`` (the same against the better weighting on the test rows
    themselves: a choice made on test rows, so an optimistic comparator, shown for comparison
    with earlier runs). ``rows`` and ``curves`` (with a ``variant`` column) are of one
    dataset, dim and seed; without the baseline nothing is added."""
    base = next((r for r in rows if r["variant"] == baseline), None)
    if base is None:
        return
    mine = curves[curves["variant"] == baseline]
    both = mine[mine["basis"].isin(["pca", "pca_weighted"])].groupby("k")["rmse"].min()
    chosen = mine[mine["basis"] == PCA_CHOSEN].set_index("k")["rmse"]
    if not len(chosen):  # curves of an older run: no stop-row choice recorded
        chosen = both
    for row in rows:
        row["full_cost_pct"] = 100.0 * (row["test_rmse"] / base["test_rmse"] - 1.0)
        index = curves[(curves["variant"] == row["variant"]) & (curves["basis"] == "index")]
        index = index.set_index("k")["rmse"]
        if len(index):
            row["max_prefix_gap"] = float((index - chosen.reindex(index.index)).max())
            row["max_prefix_gap_test_chosen"] = float((index - both.reindex(index.index)).max())


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


def genre_coherence_note(movies: pd.DataFrame) -> str | None:
    """Why the study leaves genre coherence out for these movies (a dataset without genres),
    or None: it is NaN then, never a stop after training (views round 12)."""
    return coherence_shortfall(movies, k=COHERENCE_K, min_ratings=MIN_RATINGS)


def genre_coherence_at_10(model: store.TrainedModel) -> float:
    """Genre coherence@10 over the movies with :data:`MIN_RATINGS` ratings; NaN where
    :func:`genre_coherence_note` says it cannot be measured."""
    if genre_coherence_note(model.movies):
        return math.nan
    found = explore.model_genre_coherence(model, k=COHERENCE_K, min_ratings=MIN_RATINGS)
    return found.coherence


def analyse(
    model: store.TrainedModel, ds: RatingsDataset, split: Split, users: np.ndarray
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The study's row for one model (measures on its test rows, embedding statistics, Q5's
    prefix RMSE at PREFIX_KS), its dimension ablation and its prefix curves."""
    test_rmse, test_mae = rmse_mae(model, *_rows(ds, split.test))
    x = np.asarray(model.movie_embedding, np.float64)
    shaped = np.asarray(shaped_rows(model, model.spec).embedding, np.float64)  # as penalised
    weights = explore.movie_weights(model.movies, min_ratings=MIN_RATINGS)
    cov = explore.covariance_matrix(x, weights=weights).to_numpy()
    corr = explore.correlation_matrix(x, weights=weights).to_numpy()
    variance = np.diag(cov)
    ks = uniform_ks(shaped)
    ablation = dimension_ablation(model, ds, split)
    history = model.history
    row: dict[str, Any] = {
        "test_rmse": test_rmse,
        "test_mae": test_mae,
        "train_rmse": float(model.metrics.get("train_rmse", math.nan)),
        # paired against the averages on the same test rows (pipeline.test_metrics)
        **{  # no ± on too few test users: NaN, never a float(None) (recheck s33)
            key: float(model.metrics.get(key) if model.metrics.get(key) is not None else math.nan)
            for key in ("test_rmse_minus_averages", "test_rmse_minus_averages_ci95")
        },
        "epochs_run": len(history.get("loss", [])),
        "kept_epoch": model.metrics.get("best_epoch"),
        "train_seconds": float(model.meta["timings"]["train_seconds"]),
        "penalty_l2": l2_penalty(shaped),
        "penalty_whitening": whitening_penalty(shaped),
        "penalty_decorrelation": decorrelation_penalty(shaped),
        "ks_uniform_mean": float(ks.mean()),
        "ks_uniform_max": float(ks.max()),
        "mean_abs_offdiag_cov": float(np.mean(np.abs(off_diagonal(cov)))),
        "mean_abs_offdiag_corr": float(np.nanmean(np.abs(off_diagonal(corr)))),
        "variance_cv": float(variance.std() / variance.mean()) if variance.mean() > 0 else math.nan,
        "variance_max_min_ratio": float(variance.max() / variance.min())
        if variance.min() > 0
        else math.inf,
        "genre_coherence_at_10": genre_coherence_at_10(model),
        "top10_median_n_ratings": recommendation_obscurity(model, ds, users, 0),
        f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}": recommendation_obscurity(
            model, ds, users, RECOMMEND_THRESHOLD
        ),
        "spearman_variance_vs_test_importance": _spearman(
            ablation["movie_variance"], ablation["test_rmse_increase"]
        ),
        "spearman_variance_vs_train_importance": _spearman(
            ablation["movie_variance"], ablation["train_rmse_increase"]
        ),
        "spearman_variance_product_vs_test_importance": _spearman(
            ablation["movie_variance"] * ablation["user_variance"], ablation["test_rmse_increase"]
        ),
    }
    row["spearman_index_vs_test_importance"] = ordering.ordering_spearman(
        ablation.rename(columns={"test_rmse_increase": "rmse_increase"})
    )
    row["spearman_index_vs_train_importance"] = ordering.ordering_spearman(
        ablation.rename(columns={"train_rmse_increase": "rmse_increase"})
    )
    row["spearman_pca_vs_test_importance"] = pca_spearman(model, ds, split)
    kept = model.metrics.get("kept_dims")
    row["kept_dims"] = float(kept) if kept is not None else math.nan
    if kept is not None:  # the ordered option's rank selection: the kept dims alone
        first = ablation[ablation["dimension"] < int(kept)]
        row["spearman_index_vs_test_importance_kept"] = ordering.ordering_spearman(
            first.rename(columns={"test_rmse_increase": "rmse_increase"})
        )
        row["spearman_variance_vs_test_importance_kept"] = _spearman(
            first["movie_variance"], first["test_rmse_increase"]
        )
    curves = prefix_curves(model, ds, split)
    for k in PREFIX_KS:
        if k < model.dim:
            index = curves[(curves["basis"] == "index") & (curves["k"] == k)]["rmse"]
            pca = curves[(curves["basis"] == PCA_CHOSEN) & (curves["k"] == k)]["rmse"]
            row[f"prefix_rmse_k{k}"] = float(index.iloc[0])
            row[f"pca_prefix_rmse_k{k}"] = float(pca.iloc[0])
    for key, value in model.metrics.items():
        if key.startswith("reg_") or key == "disc_loss":
            row[f"final_{key}"] = float(value)
    return row, ablation, curves


def _spearman(a: Any, b: Any) -> float:
    if len(np.asarray(a)) < 2 or np.ptp(np.asarray(a)) == 0 or np.ptp(np.asarray(b)) == 0:
        return math.nan
    return float(stats.spearmanr(a, b).statistic)
