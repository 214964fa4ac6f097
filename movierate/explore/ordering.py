"""Are a model's embedding dimensions in order of importance? Ablation and prefix curves, numpy.

- :func:`dimension_ablation`: the RMSE increase on given rows when one dimension is zeroed in
  both the user and the movie embedding (every other dimension kept), and
  :func:`ordering_spearman`, the Spearman correlation of that increase with *reversed* index
  (1.0: dimension 0 matters most, then 1, then 2 ...).
- :func:`prefix_curve`: RMSE using only the first k dimensions, k = 1 .. dim, either as trained
  (``basis="index"``) or after re-expressing the model in its best post-hoc ordered basis
  (``basis="pca"``, see :func:`pca_arrays`).
- :func:`truncated_arrays`: a model's arrays keeping only its first k dimensions (what a "use
  the first k dimensions" control shows).
- :func:`select_rank`: how many leading dimensions carry signal on held-out rows (the best k
  and the one-standard-error K of the prefix errors; the ``ordered`` option keeps the best k
  by default, ``training.ORDERED_RANK_RULE``, and zeroes the rest).

Everything works on ``model.arrays`` through :mod:`movierate.scoring`, so it is pure, cheap
(dim + 1 numpy forward passes over the rows) and cacheable by (model name, rows, basis).

>>> ablation = dimension_ablation(model, users, movies, ratings)  # doctest: +SKIP
>>> ordering_spearman(ablation)  # doctest: +SKIP
0.97
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic, paired, scoring
from movierate.basis import principal_rotation
from movierate.errors import DataError, StoreError
from movierate.explore.validation import counted_ratings, filter_counts, takes_models
from movierate.shown import counted, percent, percent_as_shown
from movierate.stats import average_ranks, t_sf
from movierate.store import TrainedModel

BASES = ("index", "pca")


@takes_models("model")
def dimension_ablation(model: Any, users: Any, movies: Any, ratings: Any) -> pd.DataFrame:
    """One row per dimension: ``dimension`` (0-based), ``rmse`` with it zeroed in both the user
    and the movie embedding, and ``rmse_increase`` over the full model (``attrs["base_rmse"]``).

    ``model`` needs ``arrays``, ``spec`` and ``rating_scale`` (a saved or in-memory model);
    the rows should be held out from training (e.g. the early-stopping rows).
    """
    users, movies, truth = _rows(users, movies, ratings)
    arrays = dict(model.arrays)
    base = _rmse(model, arrays, users, movies, truth)
    user_emb = np.array(arrays["user_embedding"], copy=True)
    movie_emb = np.array(arrays["movie_embedding"], copy=True)
    arrays["user_embedding"], arrays["movie_embedding"] = user_emb, movie_emb
    dim = user_emb.shape[1]
    rmse = np.empty(dim)
    for j in range(dim):
        saved_u, saved_m = user_emb[:, j].copy(), movie_emb[:, j].copy()
        user_emb[:, j], movie_emb[:, j] = 0.0, 0.0
        rmse[j] = _rmse(model, arrays, users, movies, truth)
        user_emb[:, j], movie_emb[:, j] = saved_u, saved_m
    frame = pd.DataFrame({"dimension": np.arange(dim), "rmse": rmse, "rmse_increase": rmse - base})
    frame.attrs["base_rmse"] = base
    return frame


def ordering_spearman(ablation: pd.DataFrame) -> float:
    """Spearman correlation of the ablation's RMSE increase with reversed dimension index
    (1.0 = importance strictly decreasing with index; NaN when every increase is equal)."""
    return _reversed_index_spearman(
        ablation["rmse_increase"].to_numpy(np.float64), ablation["dimension"].to_numpy(np.float64)
    )


def _reversed_index_spearman(increase: np.ndarray, dimension: np.ndarray) -> float:
    if len(increase) < 2 or np.ptp(increase) == 0:
        return math.nan
    return float(np.corrcoef(average_ranks(increase), average_ranks(-dimension))[0, 1])


@takes_models("model")
def prefix_curve(
    model: Any,
    users: Any,
    movies: Any,
    ratings: Any,
    basis: str = "index",
    ks: Sequence[int] | None = None,
    user_weights: Any = None,
    movie_weights: Any = None,
) -> pd.DataFrame:
    """RMSE on the rows using only the first ``k`` dimensions (columns ``k``, ``rmse``).

    ``basis="index"``: the dimensions as trained (trailing ones zeroed in both embeddings).
    ``basis="pca"``: the model first re-expressed by :func:`pca_arrays` (same predictions at
    full dim), ``user_weights`` / ``movie_weights`` weighting its rows. ``ks`` defaults to
    1 .. dim.
    """
    users, movies, truth = _rows(users, movies, ratings)
    arrays = dict(model.arrays)
    if basis == "pca":
        arrays = pca_arrays(arrays, model.spec, user_weights, movie_weights)
    elif basis != "index":
        raise DataError(f"basis = {basis!r}: choose one of {', '.join(BASES)}.")
    dim = arrays["user_embedding"].shape[1]
    ks = list(range(1, dim + 1)) if ks is None else [int(k) for k in ks]
    rmse = [_rmse(model, truncated_arrays(arrays, k), users, movies, truth) for k in ks]
    return pd.DataFrame({"k": ks, "rmse": rmse})


def truncated_arrays(arrays: Mapping[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """A copy of ``arrays`` with embedding dimensions ``k ..`` zeroed for users and movies
    (biases, dense layers and dims ``< k`` unchanged); ``k >= dim`` returns the arrays as is."""
    out = dict(arrays)
    dim = out["user_embedding"].shape[1]
    if not k >= 1:
        raise DataError(f"k = {k}: keep at least one dimension (1 .. {dim}).")
    if k >= dim:
        return out
    for key in ("user_embedding", "movie_embedding"):
        x = np.array(out[key], copy=True)
        x[:, k:] = 0.0
        out[key] = x
    return out


#: At most this many held-out rows are scored by :func:`select_rank`.
RANK_ROWS = 200_000


@dataclasses.dataclass(frozen=True)
class RankSelection:
    """What :func:`select_rank` measured: ``kept`` (K, the dimensions kept), ``best_k`` (the
    k of the lowest mean squared error), ``mse`` and ``se`` (per k = 0 .. dim: the rows' mean
    squared error with only the first k dimensions, and the standard error of its paired
    difference to ``best_k``'s), ``n_rows``."""

    kept: int
    best_k: int
    mse: np.ndarray
    se: np.ndarray
    n_rows: int


def kept_dims_note(spec: Any, metrics: Mapping[str, Any] | None) -> str | None:
    """One sentence on the ``ordered`` option's rank selection for a model with this spec and
    recorded metrics (``kept_dims``, ``rank_rows``); None for a model trained without it."""
    regularizers = (
        spec.get("regularizers")
        if isinstance(spec, Mapping)
        else getattr(spec, "regularizers", None)
    ) or {}
    if not regularizers.get("ordered"):
        return None
    dim = spec.get("dim") if isinstance(spec, Mapping) else getattr(spec, "dim", None)
    kept = (metrics or {}).get("kept_dims")
    if kept is None:
        return (
            f"All {dim} dimensions kept: no rank selection (trained without early-stopping rows, "
            "or with it turned off)."
        )
    rows = (metrics or {}).get("rank_rows")
    on = f" ({int(rows):,} rows)" if rows else ""
    kept, rest = int(kept), (int(dim) - int(kept) if dim is not None else None)
    zeroed = (
        "none was set to zero"
        if rest == 0
        else f"the other {rest} {'was' if rest == 1 else 'were'} set to zero"
        if rest
        else "the rest were set to zero"
    )
    return (
        f"Kept the first {kept} of {dim} dimensions: the k with the lowest RMSE on the "
        f"early-stopping rows{on} using only the first k (models trained before this rule: the "
        f"smallest k within one standard error of it); {zeroed}. A lowest RMSE, not a count of "
        "the dimensions that matter."
    )


@takes_models("model")
def select_rank(model: Any, users: Any, movies: Any, ratings: Any) -> RankSelection:
    """How many leading dimensions carry signal on held-out rows, by the one-standard-error rule.

    For k = 0 .. dim, the squared error of every row with only the first k dimensions (the
    others zeroed in both embeddings, biases and dense layers kept; k = 0 is the biases alone).
    ``best_k`` minimises the mean; K is the smallest k whose mean is within one standard error
    of ``best_k``'s, the standard error taken over the rows' paired differences
    (e_k - e_best): std / sqrt(n). ``model`` needs ``arrays``, ``spec`` and ``rating_scale``;
    the rows should be held out from training (the early-stopping rows). At most
    :data:`RANK_ROWS` of them are scored (a fixed random sample beyond it).
    """
    errors = _prefix_errors(model, users, movies, ratings)
    dim = len(errors) - 1
    mse = errors.mean(axis=1)
    best = int(np.argmin(mse))
    diff = errors - errors[best]
    n = errors.shape[1]
    se = diff.std(axis=1, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(dim + 1)
    within = np.flatnonzero(mse - mse[best] <= se)
    return RankSelection(int(within[0]), best, mse, se, n)


@takes_models("model")
def prefix_errors(model: Any, users: Any, movies: Any, ratings: Any) -> np.ndarray:
    """Mean squared error on the given rows with only the first k dimensions, k = 0 .. dim (the
    rows sampled as :func:`select_rank` samples them); ``model`` as there."""
    return _prefix_errors(model, users, movies, ratings).mean(axis=1)


def _prefix_errors(model: Any, users: Any, movies: Any, ratings: Any) -> np.ndarray:
    """Squared error per (k = 0 .. dim, row), at most RANK_ROWS rows (a fixed random sample)."""
    users, movies, truth = _rows(users, movies, ratings)
    if len(truth) > RANK_ROWS:
        keep = np.sort(np.random.default_rng(0).choice(len(truth), RANK_ROWS, replace=False))
        users, movies, truth = users[keep], movies[keep], truth[keep]
    arrays = dict(model.arrays)
    dim = int(np.asarray(arrays["user_embedding"]).shape[1])
    errors = np.empty((dim + 1, len(truth)))
    for k in range(dim + 1):
        kept = dict(arrays)
        for key in ("user_embedding", "movie_embedding"):
            x = np.array(arrays[key], copy=True)
            x[:, k:] = 0.0
            kept[key] = x
        predicted = scoring.predict(kept, model.spec, users, movies, model.rating_scale)
        errors[k] = (predicted.astype(np.float64) - truth) ** 2
    return errors


def pca_arrays(
    arrays: Mapping[str, np.ndarray],
    spec: Any,
    user_weights: Any = None,
    movie_weights: Any = None,
) -> dict[str, np.ndarray]:
    """The same model expressed in its principal basis: identical full-dim predictions, and
    dimension j is the j-th principal direction, so truncating to k dims is the best post-hoc
    rank-k linear re-ordering.

    Dot-product families (``mf``, ``mf_bias``): with Du, Dm the square roots of the row
    weights (default 1), the SVD of the weighted score matrix Du U M^T Dm = P S Q^T, computed
    from the d x d factors of U and M; new U = U A, new M = M B with A B^T = I, so U' M'^T =
    U M^T and U'[:, :k] M'[:, :k]^T is the best rank-k approximation of the (weighted) score
    matrix (Eckart-Young), each side scaled by S^(1/2).
    ``deep``: each side centred and rotated to the eigenbasis of its (weighted) covariance; the
    mean and the rotation are folded into the first dense layer, so truncation keeps the mean.
    ``deep`` with a dot product: the dot-product families' A, B (which keep u.m), with A^-1 and
    B^-1 folded into the first dense layer's user and movie rows.
    """
    out = dict(arrays)
    user = np.asarray(arrays["user_embedding"], np.float64)
    movie = np.asarray(arrays["movie_embedding"], np.float64)
    wu = _weights(user_weights, len(user), "user_weights")
    wm = _weights(movie_weights, len(movie), "movie_weights")
    dtype = arrays["user_embedding"].dtype
    if _family(spec) != "deep" or _dot_product(spec):
        a, b = principal_rotation(user, movie, wu, wm)
        out["user_embedding"] = (user @ a).astype(dtype)
        out["movie_embedding"] = (movie @ b).astype(dtype)
        if _family(spec) == "deep":  # u' W' = u W with u' = u A: W' = A^-1 W (movies: B)
            kernel = np.asarray(arrays["dense_0_kernel"], np.float64)
            dim = user.shape[1]
            new_kernel = np.concatenate(
                [np.linalg.solve(a, kernel[:dim]), np.linalg.solve(b, kernel[dim:])]
            )
            out["dense_0_kernel"] = new_kernel.astype(arrays["dense_0_kernel"].dtype)
            out.pop("first_dense_input_norms", None)
        return out
    kernel = np.asarray(arrays["dense_0_kernel"], np.float64)
    bias = np.asarray(arrays["dense_0_bias"], np.float64)
    dim = user.shape[1]
    new_kernel = kernel.copy()
    new_bias = bias.copy()
    for key, x, w, rows in (
        ("user_embedding", user, wu, slice(0, dim)),
        ("movie_embedding", movie, wm, slice(dim, 2 * dim)),
    ):
        mean = w @ x / w.sum()
        centred = x - mean
        cov = (centred * w[:, None]).T @ centred / w.sum()
        values, vectors = np.linalg.eigh(cov)
        vectors = vectors[:, np.argsort(values)[::-1]]
        out[key] = (centred @ vectors).astype(dtype)
        new_bias += mean @ kernel[rows]
        new_kernel[rows] = vectors.T @ kernel[rows]
    out["dense_0_kernel"] = new_kernel.astype(arrays["dense_0_kernel"].dtype)
    out["dense_0_bias"] = new_bias.astype(arrays["dense_0_bias"].dtype)
    out.pop("first_dense_input_norms", None)
    return out


# --- helpers ------------------------------------------------------------------------------------


def _family(spec: Any) -> str:
    return spec["family"] if isinstance(spec, Mapping) else spec.family


def _dot_product(spec: Any) -> bool:
    """A ``deep`` spec that adds u.m to its MLP."""
    value = (
        spec.get("dot_product") if isinstance(spec, Mapping) else getattr(spec, "dot_product", 0)
    )
    return _family(spec) == "deep" and bool(value)


def _weights(weights: Any, n: int, what: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, np.float64).reshape(-1)
    if len(w) != n or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise DataError(f"{what} needs {n} finite weights >= 0, not all 0.")
    return w


def _rows(users: Any, movies: Any, ratings: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users = np.asarray(users).reshape(-1)
    movies = np.asarray(movies).reshape(-1)
    truth = np.asarray(ratings, np.float64).reshape(-1)
    if not len(users) == len(movies) == len(truth) or len(truth) == 0:
        raise DataError(
            f"users, movies and ratings need the same non-zero length; got {len(users)}, "
            f"{len(movies)} and {len(truth)}."
        )
    return users, movies, truth


def _rmse(model: Any, arrays: Mapping[str, np.ndarray], users, movies, truth) -> float:
    return float(np.sqrt(np.mean(_squared_errors(model, arrays, users, movies, truth))))


def _squared_errors(model: Any, arrays: Mapping[str, np.ndarray], users, movies, truth):
    predicted = scoring.predict(arrays, model.spec, users, movies, model.rating_scale)
    return (predicted.astype(np.float64) - truth) ** 2


# --- per-model report and first-k views (the dashboard's "Dimensions" view) ----------------------

#: One-sided level at which the Spearman of importance with the reversed index counts as an
#: order: a random order of the same dimensions reaches it at most this often. A fixed 0.7 was
#: reached by 1 random order of 2 dimensions in 2, of 4 in 6 and of 5 in 8 (accuracy review
#: round 15b: 38 of 400 shuffled dim-4 models were called "ordered").
ORDER_LEVEL = 0.05
#: Up to this many dimensions the chance is counted over every order; beyond, Student's t
#: approximation (its level is 5.2% at 10 dimensions, nearer 5% above).
EXACT_ORDER_DIMS = 9
#: Share of the full model's RMSE gain (over no embedding at all) the verdict's k reaches.
GAIN_SHARE = 0.95
#: A full-model gain below this much RMSE counts as none: a model trained on shuffled ratings
#: gained 0.000004, and 95% of that was said to come from its first 7 of 32 dimensions
#: (accuracy review round 6). Trained MovieLens models gain 0.02-0.1.
MIN_GAIN = 1e-3
#: At most this many held-out rows are scored (a fixed random sample beyond it).
MAX_REPORT_ROWS = 50_000
#: At most this many per-row squared errors are kept for the redraws (float32: 100 MB): a model
#: of more than 160 dimensions is reported on fewer rows (dim 1024: 8,126 of them).
ERRORS_BUDGET = 25_000_000
#: 13: the prefix curves' differences from the full model have their paired interval by user
#: (views round 42, F1: "the other dimensions add error" of a -0.0009 within the draw); 12: the
#: verdict says a gain without movie biases includes the movie averages (accuracy
#: round 50, F6); 11: each dimension's rise has its paired interval by user (10: the principal curve starts
#: at its own basis's zero; 9: movies weighted by training counts; 8: an order judged against
#: random orders; 7: principal directions)
REPORT_VERSION = 13
#: The rows are redrawn (bootstrap) this many times to see whether the verdict's call holds.
REDRAWS = 200
#: What a training seed does to the verdict's counts, measured and labelled (accuracy round 23:
#: the counts read as the setting's, and the redraws count only the rows' draw).
SEED_NOTE = (
    "These counts are this trained model's: another training seed can change them (on "
    "ml-latest-small, six seeds of mf_bias dim 16 with L2, and six with L2 and decorrelation, "
    "needed 1-4 principal directions; measured 2026-12-06, accuracy round 23)."
)
#: A call ("no", or "yes" and "leading" together) made by fewer than this share of the redraws is
#: said to be within the rows' noise
#: (accuracy round 10: one ordered model's call was "important first" in 50 of 100 redraws,
#: "not ordered" in 46, and the page stated one of them as fact).
STABLE_CALL = 0.9
#: How the verdict names each call of :func:`is_ordered`.
CALLS = {"yes": "ordered", "leading": "important first", "no": "not ordered"}
#: Held-out shares are shown only when the dimensions whose zeroing LOWERS the RMSE lower it by
#: at most this share of what the others raise it: else most single dimensions are noise on these
#: rows, and a share of the few small rises would read as importance (a deep model: +0.00085 of
#: RMSE shown as 90%).
SHARE_NOISE = 0.5


@dataclasses.dataclass(frozen=True)
class DimensionReport:
    """What :func:`model_dimension_report` measures on a model's held-out rows.

    ``dimensions``: one row per dimension: ``heldout_increase`` (RMSE increase when it is
    zeroed), ``heldout_increase_ci95`` (its paired 95% half-width by user), ``heldout_share`` (that increase over the sum of the positive ones; NaN when
    :func:`shares_are_noise`), the variance
    shares of :func:`movierate.explore.importance.dimension_importance` and, for ``deep``, the
    first dense layer's input shares. ``prefix``: ``k`` (0 .. dim; 0 = no embedding at all),
    ``rmse_index`` (first k dims as trained) and ``rmse_pca`` (first k principal directions),
    with ``rmse_index_ci95`` / ``rmse_pca_ci95``: the 95% half-width of each one's difference
    from the full model (``rmse_index`` at k = dim), paired over the same rows by user.
    ``k_index`` / ``k_pca``: the first k of each reaching :data:`GAIN_SHARE` of the gain over
    ``rmse_index`` at k = 0 (one start for both).
    """

    dimensions: pd.DataFrame
    prefix: pd.DataFrame
    spearman: float
    base_rmse: float
    rows: str
    n_rows: int
    k_index: int | None
    k_pca: int | None
    ordered: bool
    verdict: str
    #: share of :data:`REDRAWS` bootstrap redraws of the rows making each call of
    #: :func:`is_ordered` ("yes", "leading", "no")
    calls: dict[str, float] = dataclasses.field(default_factory=dict)
    #: the held-out rows there were when ``n_rows`` is a fixed random sample of them
    #: (:data:`MAX_REPORT_ROWS`), else None
    sampled_from: int | None = None
    #: the model has no movie biases, so the gain over k = 0 includes the movie averages'
    movie_averages: bool = False

    @property
    def rows_text(self) -> str:
        """Which rows were scored: "the 9,000 early-stopping rows" or, for a sample, "a fixed
        random 50,000 of the 3,200,000 early-stopping rows"."""
        if self.sampled_from is None:
            return f"the {self.n_rows:,} {self.rows} rows"
        return f"a fixed random {self.n_rows:,} of the {self.sampled_from:,} {self.rows} rows"


@takes_models("model")
def held_out_rows(model: Any, ds: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The rows ``model`` never trained on that steered its training (early stopping):
    ``(users, movies, ratings, label)``; ``ds`` defaults to the dataset it was trained on.

    Reads the split the model recorded (:func:`movierate.pipeline.model_rows`): a three-part
    split (train / stop / test) gives its ``early-stopping`` rows, one saved before test rows
    its ``validation`` rows (never its stop part: those are training rows there). A model refit
    on its stop rows after tuning trained on them: its ``test`` rows are the only ones it never
    saw (this analysis reports on them and steers nothing).
    """
    from movierate.pipeline import dataset_of, model_rows  # no TensorFlow

    ds = ds if ds is not None else dataset_of(model)
    parts = model_rows(ds, model.meta["split"])
    rows, label = parts.steered, parts.steered_label
    if not len(rows):
        rows, label = parts.test, "test"
    if not len(rows):
        raise DataError(
            f"Model {model.name!r} recorded no held-out rows (its split has no validation "
            "rows), so early-stopping-row importance cannot be measured; retrain with a validation split."
        )
    rows = np.asarray(rows)
    ratings = ds.ratings
    return (
        ratings["user_idx"].to_numpy()[rows],
        ratings["movie_idx"].to_numpy()[rows],
        ratings["rating"].to_numpy(np.float64)[rows],
        label,
    )


#: progress(fraction done, what is being scored: "dimension 5 of 16 zeroed")
Progress = Callable[[float, str], None]


@takes_models("model")
def model_dimension_report(
    model: Any,
    ds: Any = None,
    *,
    max_rows: int = MAX_REPORT_ROWS,
    progress: Progress | None = None,
) -> DimensionReport:
    """Held-out ablation, variance shares, (deep) input shares and prefix curves of ``model``,
    with a one-line verdict. Cached in the model's cache folder per held-out rows; a
    computation reports each scoring pass to ``progress``."""
    users, movies, truth, label = held_out_rows(model, ds)
    tables = 3 * int(np.asarray(model.arrays["user_embedding"]).shape[1]) + 2
    max_rows = min(max_rows, ERRORS_BUDGET // tables)
    sampled_from = len(truth) if len(truth) > max_rows else None
    if sampled_from is not None:
        keep = np.sort(np.random.default_rng(0).choice(len(truth), max_rows, replace=False))
        users, movies, truth = users[keep], movies[keep], truth[keep]
    digest = _rows_digest(model, users, movies, truth)
    # a model outside the store, or a store that takes no writes: measured without caching
    kept = atomic.OptionalCache(
        model.cache_path, f"dimension-report-v{REPORT_VERSION}-{digest}.json"
    )
    cached = kept.read(_cached_report)
    if cached is not None:
        return dataclasses.replace(cached, sampled_from=sampled_from)
    report = dimension_report(model, users, movies, truth, rows=label, progress=progress)
    report = dataclasses.replace(report, sampled_from=sampled_from)

    def write(f: Any, name: str) -> None:
        saved = {**_report_to_json(report), "key": name}  # its own name (round 45, F1)
        f.write((json.dumps(saved, indent=2, allow_nan=False) + "\n").encode("utf-8"))

    kept.write(write)
    return report


@dataclasses.dataclass(frozen=True)
class EmbeddingGain:
    """What a model's embedding adds to its predictions (:func:`embedding_gain`)."""

    #: RMSE on the held-out rows with both embeddings zeroed and with the full model; None
    #: when the model recorded no held-out rows or its ratings are not available
    without: float | None
    full: float | None
    #: which held-out rows ("early-stopping", "validation", "test") and how many were scored
    rows: str
    n_rows: int
    #: max |u| * max |m|, the most the dot product can move a prediction (None: deep, whose
    #: embeddings feed layers instead)
    largest_term: float | None
    #: half-width of the 95% interval of ``full - without`` over the rows' users (accuracy
    #: round 46, F3: "raises the RMSE" was said of a 0.0026 difference on 8,000 rows, ± 0.01)
    interval: float | None = None
    #: users among the scored rows (an interval needs :func:`paired.interval_users`)
    n_users: int = 0

    @property
    def few_users(self) -> bool:
        """Scored, but on too few users for an interval (bad-input round 62, F1)."""
        return self.full is not None and 0 < self.n_users < paired.interval_users()

    @property
    def worse(self) -> bool:
        """The embedding raises the held-out RMSE by more than chance gives (its interval)."""
        return (
            self.interval is not None
            and self.full is not None
            and self.without is not None
            and self.full - self.without > max(self.interval, MIN_GAIN)
        )

    @property
    def tiny(self) -> bool:
        """No user and movie vector pair moves a prediction by :data:`MIN_GAIN` or more."""
        return self.largest_term is not None and self.largest_term < MIN_GAIN

    @property
    def idle(self) -> bool:
        """The embedding lowers the held-out RMSE by less than :data:`MIN_GAIN` (as the
        Dimensions verdict counts a gain), or its vectors are too small to move a prediction."""
        measured = self.without is not None and self.full is not None
        return self.tiny or (measured and self.without - self.full < MIN_GAIN)


@takes_models("model")
def embedding_gain(model: Any, ds: Any = None, *, score: bool = True) -> EmbeddingGain:
    """:class:`EmbeddingGain` of ``model``: its RMSE on the held-out rows (sampled as
    :func:`model_dimension_report` samples them, so the numbers are the Dimensions page's
    k = 0 and full model) with both embeddings zeroed and as trained; two numpy passes. A model
    without held-out rows or data gets only the size bound (bad-input round 41, F2: the
    Embeddings page read an embedding that does nothing as "how the model uses that space").
    ``score`` False: the size bound only, without loading the ratings (a large data set)."""
    if (model.meta or {}).get("imported"):  # movie vectors only: nothing predicts
        return EmbeddingGain(None, None, "", 0, None)
    largest = None
    if _family(model.spec) != "deep":
        user, movie = (
            float(np.linalg.norm(np.asarray(model.arrays[k], np.float64), axis=1).max(initial=0))
            for k in ("user_embedding", "movie_embedding")
        )
        lo, hi = model.rating_scale[:2]
        # a sigmoid output moves a prediction by up to a quarter of its span per unit of u.m,
        # the others by the score unit (accuracy round 44, F1)
        slope = (
            (hi - lo + 2 * scoring.SIGMOID_MARGIN) / 4
            if model.spec.output == "sigmoid"
            else scoring.score_unit(model.arrays)
        )
        largest = user * movie * max(slope, 1.0)
    if not score:
        return EmbeddingGain(None, None, "", 0, largest)
    try:
        users, movies, truth, label = held_out_rows(model, ds)
    except DataError:
        return EmbeddingGain(None, None, "", 0, largest)
    tables = 3 * int(np.asarray(model.arrays["user_embedding"]).shape[1]) + 2
    max_rows = min(MAX_REPORT_ROWS, ERRORS_BUDGET // tables)
    if len(truth) > max_rows:
        keep = np.sort(np.random.default_rng(0).choice(len(truth), max_rows, replace=False))
        users, movies, truth = users[keep], movies[keep], truth[keep]
    zero = {
        **model.arrays,
        "user_embedding": np.zeros_like(model.arrays["user_embedding"]),
        "movie_embedding": np.zeros_like(model.arrays["movie_embedding"]),
    }
    alone = _squared_errors(model, zero, users, movies, truth)
    errors = _squared_errors(model, model.arrays, users, movies, truth)
    without, full = float(np.sqrt(alone.mean())), float(np.sqrt(errors.mean()))
    interval = _rmse_difference_interval(alone, errors, users)
    n_users = len(np.unique(users))
    interval = interval if math.isfinite(interval) else None
    return EmbeddingGain(without, full, label, len(truth), largest, interval, n_users)


def _rmse_difference_interval(first: np.ndarray, second: np.ndarray, users: np.ndarray) -> float:
    """Half-width of the 95% interval of RMSE(second) - RMSE(first) on the same rows: the delta
    method, the rows clustered by user (:func:`paired.clustered_half_width`); NaN on fewer users
    than :func:`paired.interval_users` (bad-input round 62, F1: "± 0.0000" from one user)."""
    return paired.clustered_half_width(_influence(second) - _influence(first), users)


def _influence(squared: np.ndarray) -> np.ndarray:
    """Per-row influence of squared errors on their RMSE (delta method, mean 0)."""
    squared = squared.astype(np.float64)
    rmse = math.sqrt(float(squared.mean()))
    return (squared - squared.mean()) / (2 * rmse) if rmse > 0 else np.zeros_like(squared)


@takes_models("model")
def without_embedding_label(model: Any) -> str:
    """What predicts when the embedding is zeroed: "embeddings zeroed" (deep), "biases only",
    "user biases only" (autorec: no movie averages, accuracy round 50, F6) or "the mean
    rating only" (a model without biases)."""
    if model.family == "deep":
        return "embeddings zeroed"
    spec = model.spec
    if spec.has_user_bias and not spec.has_movie_bias:
        return "user biases only"
    return "biases only" if spec.has_user_bias or spec.has_movie_bias else "the mean rating only"


#: How :func:`idle_embedding_text` reads a difference inside its interval, and a gain beyond
#: it that is still under :data:`MIN_GAIN`.
WITHIN = ", within chance"
BEYOND_BUT_SMALL = f", a gain beyond chance but under {MIN_GAIN}"


@takes_models("model")
def idle_embedding_text(model: Any, gain: EmbeddingGain) -> str | None:
    """In plain words, that ``model``'s embedding does nothing for its predictions and what
    that means for views of its structure; None when it does (:attr:`EmbeddingGain.idle`)."""
    if not gain.idle:
        return None
    if gain.tiny:
        why = (
            f"its vectors are nearly zero, so no user and movie pair can change a prediction "
            f"by {MIN_GAIN} or more (at most by {gain.largest_term:.1e})"
        )
    else:
        alone = without_embedding_label(model)
        moved = (
            "raises the RMSE" if gain.worse else f"does not lower the RMSE by {MIN_GAIN} or more"
        )
        difference = gain.full - gain.without
        change = f"{difference:+.4f}"
        if gain.interval is not None:  # said as paired.reading reads it (round 62, F1)
            read = paired.reading(difference, gain.interval, "", BEYOND_BUT_SMALL, WITHIN)
            change += f" ± {gain.interval:.4f}, the 95% interval over these rows' users{read}"
        elif gain.few_users:
            change += f"; {paired.few_users_text(gain.n_users, short=True, whose=gain.rows)}"
        why = (
            f"on {counted(gain.n_rows, f'{gain.rows} row')} it never trained on, the embedding "
            f"{moved} "
            f"({gain.without:.4f} with {alone}, {gain.full:.4f} with the embedding: {change})"
        )
    left = (
        "what training left in them (noise, or their random starting values), not what the "
        "model learned about movies"
        if gain.tiny or gain.worse
        else "structure whose effect on predictions these rows cannot tell from none"
    )
    # recheck 10, L1: "does not help" beside an interval that allows a gain of up to 0.011
    verdict = "does not help its predictions"
    if gain.few_users and not gain.tiny:  # round 62, F1: no verdict from one or two users
        verdict += " measurably (too few users to tell a gain from chance)"
    elif not (gain.tiny or gain.worse or gain.interval is None):
        difference = gain.full - gain.without
        within = paired.reading(difference, gain.interval, "", "", WITHIN)
        verdict += (
            " measurably (a gain, if any, within chance)" if within else f" by {MIN_GAIN} or more"
        )
    return (
        f"This model's embedding {verdict}: {why}. So the spreads, "
        f"correlations, principal directions, maps and neighbours of its vectors show {left}. "
        "The Dimensions page measures each dimension."
    )


def _cached_report(path: Path) -> tuple[object, DimensionReport] | None:
    """(the file name it records, the report) a cache file holds; None if missing or
    unreadable (measured again)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return data.pop("key", None), _report_from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@takes_models("model")
def dimension_report(
    model: Any,
    users: Any,
    movies: Any,
    ratings: Any,
    *,
    rows: str = "held-out",
    progress: Progress | None = None,
) -> DimensionReport:
    """:class:`DimensionReport` of ``model`` on the given rows (no cache; see
    :func:`model_dimension_report`), each scoring pass reported to ``progress``."""
    from movierate.explore.importance import dimension_importance

    users, movies, truth = _rows(users, movies, ratings)
    weights = _movie_weights(model)
    if weights is not None and np.count_nonzero(weights) < 2:  # bad-input round 62, F4
        raise DataError(
            f"only {counted(np.count_nonzero(weights), 'movie')} of {len(weights):,} "
            f"{'has' if np.count_nonzero(weights) == 1 else 'have'} {counted_ratings(model.movies)},"
            " and its principal directions need 2 or more; train on data where more movies "
            "have ratings in the training rows."
        )
    errors = _report_errors(model, users, movies, truth, weights, progress)
    ablated, index, pca = (np.sqrt(e.mean(axis=1, dtype=np.float64)) for e in errors)
    base, dim = float(index[-1]), len(ablated)
    increase = ablated - base
    positive = np.clip(increase, 0.0, None)
    share = np.full(dim, np.nan) if shares_are_noise(increase) else positive
    frame = pd.DataFrame(
        {
            "dimension": np.arange(dim),
            "heldout_increase": increase,
            "heldout_increase_ci95": _increase_intervals(errors[0], errors[1][-1], users),
            "heldout_share": share / positive.sum() if positive.sum() > 0 else share,
        }
    )
    shares = dimension_importance(model.arrays, movie_weights=weights).reset_index(drop=True)
    for column in shares.columns:
        if column.endswith("_share"):
            frame[column] = shares[column].to_numpy()
    prefix = pd.DataFrame(
        {
            "k": np.arange(dim + 1),
            "rmse_index": index,
            "rmse_pca": pca,
            "rmse_index_ci95": _increase_intervals(errors[1], errors[1][-1], users),
            "rmse_pca_ci95": _increase_intervals(errors[2], errors[1][-1], users),
        }
    )
    spearman = ordering_spearman(frame.assign(rmse_increase=increase))
    # accuracy round 45, F5: deep's principal k = 0 (vectors at their mean) starts above the
    # as-trained one (vectors zeroed), so its gain was larger and its 95% came sooner ("13 of
    # 16 as trained; 2 principal"): both are measured from the as-trained start
    k_index, k_pca = gain_k(index, GAIN_SHARE), gain_k([index[0], *pca[1:]], GAIN_SHARE)
    kind = _call(ablated, index, pca)
    calls = redrawn_calls(errors)
    best = int(np.argmin(pca))  # the lowest of k = 0 .. dim principal directions, on these rows
    agree = calls["no"] if kind == "no" else calls["yes"] + calls["leading"]  # both "in order"
    stable = agree >= STABLE_CALL
    verdict = ordering_verdict(
        spearman,
        k_index,
        k_pca,
        dim,
        rows=rows,
        rmse=(float(index[0]), base),
        no_shares=shares_are_noise(increase),
        pca_best=(best, float(pca[best]), float(prefix["rmse_pca_ci95"].iloc[best])),
        movie_averages=not model.spec.has_movie_bias,
    )
    if not stable:
        verdict = _unstable_verdict(calls, len(truth), rows, verdict)
    return DimensionReport(
        dimensions=frame,
        prefix=prefix,
        spearman=spearman,
        base_rmse=base,
        rows=rows,
        n_rows=len(truth),
        k_index=k_index,
        k_pca=k_pca,
        ordered=kind != "no" and stable,
        verdict=verdict,
        calls=calls,
        movie_averages=not model.spec.has_movie_bias,
    )


def _increase_intervals(ablated: np.ndarray, full: np.ndarray, users: np.ndarray) -> np.ndarray:
    """Per row of ``ablated`` (squared errors of one variant each: a dimension zeroed, or only
    the first k kept), the 95% half-width of its held-out RMSE's difference from ``full`` (the
    model's squared errors), paired over the same rows, each user's counted together
    (:func:`paired.clustered_half_width`); NaN on too few users (accuracy round 31, F2: 12 of
    16 rises were within the draw, shown as importance)."""

    base = _influence(full)
    return np.array([paired.clustered_half_width(_influence(a) - base, users) for a in ablated])


#: What :func:`draw_readings` says of a rise or fall that has no interval (too few users).
NO_INTERVAL = "no interval"


def draw_readings(dimensions: pd.DataFrame) -> pd.Series:
    """Per dimension of a report's ``dimensions``: ``"beyond"`` or ``"within"`` its paired
    interval for its held-out rise (or fall), or :data:`NO_INTERVAL` where none could be
    bounded (too few users: recheck 3, L5, 2 users read "within" on no measure)."""
    half = dimensions.get("heldout_increase_ci95")
    if half is None:
        return pd.Series(NO_INTERVAL, index=dimensions.index)
    half = pd.to_numeric(half, errors="coerce")
    beyond = dimensions["heldout_increase"].abs() > half
    readings = beyond.map({True: "beyond", False: "within"})
    return readings.where(half.notna() & np.isfinite(half), NO_INTERVAL)


def beyond_draw(dimensions: pd.DataFrame) -> pd.Series:
    """Per dimension: whether its held-out rise (or fall) is beyond its paired interval
    (False within it or without one: :func:`draw_readings`)."""
    return draw_readings(dimensions) == "beyond"


def _report_errors(
    model: Any,
    users: np.ndarray,
    movies: np.ndarray,
    truth: np.ndarray,
    weights: Any,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Squared error per row (float32): with each dimension zeroed (dim rows), with only the
    first k dimensions as trained and as principal directions (k = 0 .. dim each; k = 0: the
    embedding zeroed in that basis: for a deep model, whose principal basis is centred with
    the mean folded into its first layer, every vector at its side's mean; accuracy round 21:
    its curve began at the raw zero, 1.0096 against 1.1199 at the mean, and its shares of
    the gain were taken from a point outside its basis)."""
    arrays = dict(model.arrays)
    dim = int(np.asarray(arrays["user_embedding"]).shape[1])
    passes, done = 3 * dim + 2, 0

    def tell(what: str) -> None:  # before each scoring pass (views round 43, F4)
        nonlocal done
        if progress is not None:
            progress(done / passes, what)
        done += 1

    user_emb = np.array(arrays["user_embedding"], copy=True)
    movie_emb = np.array(arrays["movie_embedding"], copy=True)
    zeroed = {**arrays, "user_embedding": user_emb, "movie_embedding": movie_emb}
    ablated = np.empty((dim, len(truth)), np.float32)
    for j in range(dim):
        tell(f"dimension {j + 1} of {dim} zeroed")
        saved_u, saved_m = user_emb[:, j].copy(), movie_emb[:, j].copy()
        user_emb[:, j], movie_emb[:, j] = 0.0, 0.0
        ablated[j] = _squared_errors(model, zeroed, users, movies, truth)
        user_emb[:, j], movie_emb[:, j] = saved_u, saved_m
    principal = pca_arrays(arrays, model.spec, None, weights)
    curves = []
    for basis, named in ((arrays, "as trained"), (principal, "principal directions")):
        curve = np.empty((dim + 1, len(truth)), np.float32)
        tell(f"no dimension kept ({named})")
        zero = {
            **basis,
            "user_embedding": np.zeros_like(basis["user_embedding"]),
            "movie_embedding": np.zeros_like(basis["movie_embedding"]),
        }
        curve[0] = _squared_errors(model, zero, users, movies, truth)
        for k in range(1, dim + 1):
            tell(f"only the first {k} of {dim} dimensions kept ({named})")
            curve[k] = _squared_errors(model, truncated_arrays(basis, k), users, movies, truth)
        curves.append(curve)
    return ablated, curves[0], curves[1]


def _call(ablated: np.ndarray, index: np.ndarray, pca: np.ndarray) -> str:
    """:func:`is_ordered`'s call from RMSEs with each dimension zeroed and of the first k as
    trained and principal (k = 0 .. dim), as the verdict makes it (no Spearman over noise)."""
    increase = ablated - index[-1]
    spearman = math.nan
    if not shares_are_noise(increase):
        spearman = _reversed_index_spearman(increase, np.arange(len(increase), dtype=np.float64))
    return is_ordered(spearman, gain_k(index), gain_k(pca), len(increase))


def redrawn_calls(
    errors: tuple[np.ndarray, np.ndarray, np.ndarray], draws: int = REDRAWS, seed: int = 0
) -> dict[str, float]:
    """Share of ``draws`` bootstrap redraws of the rows (columns of each squared-error table
    of :func:`_report_errors`) that make each call."""
    stacked = np.vstack(errors)
    n, cuts = stacked.shape[1], np.cumsum([len(e) for e in errors])[:-1]
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(CALLS, 0)
    for _ in range(draws):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float32)
        rmse = np.sqrt((stacked @ weights).astype(np.float64) / n)
        counts[_call(*np.split(rmse, cuts))] += 1
    return {kind: count / draws for kind, count in counts.items()}


def _unstable_verdict(calls: Mapping[str, float], n_rows: int, rows: str, measured: str) -> str:
    """The verdict when the call changes with the draw of the rows: the shares, then what was
    measured on the rows as drawn."""
    made = [f"{CALLS[kind]} in {round(share * REDRAWS)}" for kind, share in calls.items() if share]
    listed = ", ".join(made[:-1]) + f" and {made[-1]}" if len(made) > 1 else made[0]
    return (
        f"No clear call: of {REDRAWS} redraws of these {n_rows:,} {rows} rows (bootstrap), the "
        f"dimensions come out {listed}, so the call is within the rows' noise. On the rows as "
        f"drawn: {measured[0].lower()}{measured[1:]}"
    )


def shares_are_noise(increase: Sequence[float]) -> bool:
    """Whether the RMSE rises of zeroing one dimension at a time make no shares: none rises,
    or those that lower the RMSE do so by more than :data:`SHARE_NOISE` of the rises."""
    increase = np.asarray(increase, np.float64)
    rises, falls = increase[increase > 0].sum(), -increase[increase < 0].sum()
    return not rises > 0 or falls > SHARE_NOISE * rises


def ablation_note(increase: Sequence[float], rows: str) -> str:
    """Why no held-out shares are shown, from the numbers ("" when they are)."""
    increase = np.asarray(increase, np.float64)
    if not shares_are_noise(increase):
        return ""
    lowered = int((increase < 0).sum())
    if not np.any(np.round(increase, 4)):  # an all-zero embedding (bad-input round 11: "-0.0000")
        return (
            f"No held-out share is shown: zeroing any one dimension changed the RMSE on the "
            f"{rows} rows by less than 0.0001, so no single dimension carries a share of the "
            "accuracy there."
        )
    return (
        f"No held-out share is shown: zeroing one dimension lowered the RMSE on the {rows} rows "
        f"for {lowered} of {len(increase)} dimensions (by {abs(increase[increase < 0].sum()):.4f} in "
        f"all, against {increase[increase > 0].sum():.4f} of rises), so no single dimension "
        "carries a share of the accuracy there; 'Numbers per dimension' gives each change."
    )


def gain_k(rmse: Sequence[float], share: float = GAIN_SHARE) -> int | None:
    """Smallest k whose RMSE gain over ``rmse[0]`` (k = 0, no embedding) reaches ``share`` of
    the full model's (``rmse[-1]``); None when the embedding does not lower the RMSE by
    :data:`MIN_GAIN` or more (shares of a gain that small are noise)."""
    rmse = np.asarray(rmse, np.float64)
    full_gain = rmse[0] - rmse[-1]
    if not np.isfinite(full_gain) or full_gain < MIN_GAIN:
        return None
    reached = np.flatnonzero(rmse[0] - rmse >= share * full_gain)
    return int(reached[0])


@functools.cache
def _random_order_spearmans(dim: int) -> np.ndarray:
    """Sorted Spearman of every order of ``dim`` untied items with the reversed index."""
    perms = np.array(list(itertools.permutations(range(dim))), dtype=np.int16)
    d2 = ((perms - np.arange(dim)) ** 2).sum(axis=1)
    return np.sort(1 - 6 * d2 / (dim * (dim * dim - 1)))


def order_chance(spearman: float, dim: int) -> float:
    """The chance that a random order of ``dim`` dimensions reaches ``spearman`` or more (the
    one-sided permutation p-value): counted over every order up to :data:`EXACT_ORDER_DIMS`,
    Student's t approximation beyond; 1.0 for NaN."""
    if not math.isfinite(spearman) or dim < 2:
        return 1.0
    if dim <= EXACT_ORDER_DIMS:
        null = _random_order_spearmans(int(dim))
        return float(1 - np.searchsorted(null, spearman - 1e-9) / len(null))
    rho = min(spearman, 1 - 1e-12)
    return t_sf(rho * math.sqrt((dim - 2) / (1 - rho * rho)), dim - 2)


def order_possible(dim: int) -> bool:
    """Whether any order of ``dim`` dimensions is beyond chance (a perfect Spearman of 1 comes
    from a random order in 1 of dim!, above :data:`ORDER_LEVEL` for 2 and 3 dimensions)."""
    return order_chance(1.0, dim) <= ORDER_LEVEL


def leading_chance(k: int, dim: int) -> float:
    """The chance that a random order puts a given set of ``k`` of ``dim`` dimensions first."""
    return 1 / math.comb(dim, k)


def is_ordered(spearman: float, k_index: int | None, k_pca: int | None, dim: int) -> str:
    """``"yes"``: importance falls with the index beyond what a random order of ``dim``
    dimensions gives (:func:`order_chance` at most :data:`ORDER_LEVEL`); ``"leading"``: it
    does not, but the first dims as trained reach :data:`GAIN_SHARE` of the gain no later than
    the principal directions do, with at most half of the dims, and a random order puts those
    first at most :data:`ORDER_LEVEL` of the time (the order of the rest, which add little, is
    noise); else ``"no"``."""
    if percent_as_shown(order_chance(spearman, dim)) <= ORDER_LEVEL:  # graded as printed
        return "yes"
    if (
        k_index is not None
        and k_pca is not None
        and k_index <= min(k_pca, dim // 2)
        and leading_chance(k_index, dim) <= ORDER_LEVEL
    ):
        return "leading"
    return "no"


def _chance_text(spearman: float, dim: int) -> str:
    """How often a random order of ``dim`` dimensions reaches ``spearman`` or more, in plain
    words (views round 13: "with chance 0.41" read as a 41% chance that the order is real)."""
    chance = order_chance(spearman, dim)
    if dim <= EXACT_ORDER_DIMS:
        orders = math.factorial(dim)
        return (
            f"a random order of {dim} dimensions reaches {spearman:.2f} or more in "
            f"{round(chance * orders):,} of its {orders:,} orders ({percent(chance)})"
        )
    return (
        f"a random order of {dim} dimensions would score {spearman:.2f} or more "
        f"{percent(chance)} of the time"
    )


def ordering_verdict(
    spearman: float,
    k_index: int | None,
    k_pca: int | None,
    dim: int,
    *,
    rows: str = "held-out",
    rmse: tuple[float, float] | None = None,
    no_shares: bool = False,
    pca_best: tuple[int, float, float] | None = None,
    movie_averages: bool = False,
) -> str:
    """One line saying whether the dimensions come in order of importance, from the numbers;
    ``rmse``: (biases alone, full model) on these rows, said when the embedding gains nothing;
    ``no_shares``: zeroing one dimension at a time gives no importances (:func:`shares_are_noise`),
    so no Spearman of them is quoted (views round 6: "Spearman -0.52" over importances the
    page itself said it could not show); ``pca_best``: (k, RMSE, 95% half-width of its
    difference from the full model) where the first k principal directions score lowest, said
    when they lower the RMSE though the whole embedding does not (views round 10: "does not
    lower the RMSE" of a model whose first principal direction took it from 0.8895 to 0.8633),
    with :func:`below_full_reading`. An order is called only beyond what a random order of ``dim``
    dimensions gives (:func:`is_ordered`), and that chance is said; ``movie_averages``: the
    model has no movie biases, said beside its gain (:data:`NO_MOVIE_BIAS_GAIN`)."""
    rho = (
        "undefined (every dimension matters equally)" if math.isnan(spearman) else f"{spearman:.2f}"
    )
    rank = (  # ordering_spearman ranks the reversed index: +1 when importance falls with it
        f"Spearman {rho} between {rows}-row importance and the reversed index (+1: each "
        "dimension matters more than the next)"
    )
    if no_shares:
        spearman = math.nan
        rank = f"zeroing one dimension at a time gives no importance to rank on the {rows} rows"
    if k_index is None:
        gain = f"the embedding does not lower the RMSE on these rows by {MIN_GAIN} or more"
        if rmse is None:
            gain += " (biases alone do as well)"
        elif rmse[0] < rmse[1] - MIN_GAIN:  # views round 5: 0.9007 alone, 0.9605 with it
            gain += (
                f": it raises it, from {rmse[0]:.4f} with the biases alone to {rmse[1]:.4f} "
                "(this model predicts worse with its embedding than without)"
            )
        else:
            gain += f" (biases alone {rmse[0]:.4f}, the full model {rmse[1]:.4f})"
        if rmse is not None and pca_best is not None and pca_best[1] < rmse[0] - MIN_GAIN:
            k, best, half_width = pca_best
            first = (
                "principal direction alone lowers"
                if k == 1
                else (f"{k} principal directions alone lower")
            )
            reading = below_full_reading(
                best - rmse[1],
                half_width,
                k,
                (0, dim),
                "the other directions",
                " from the full model",
            )
            gain += f", yet its first {first} it to {best:.4f}, {reading}"
    else:
        gain = _gain_text(k_index, k_pca, dim, movie_averages) + (
            f" ({_dims(k_pca, 'principal direction')} {'does' if k_pca == 1 else 'do'} in the "
            "PCA basis)"
            if k_pca
            else ""
        )
    kind = is_ordered(spearman, k_index, k_pca, dim)
    if kind == "leading":
        return (
            f"The important dimensions come first: {gain}; a random order puts those "
            f"{_dims(k_index)} first in 1 of {math.comb(dim, k_index)} orders; the order of the "
            f"other {dim - k_index} (which add under {1 - GAIN_SHARE:.0%}) is noise ({rank})."
        )
    if kind == "yes":
        if k_index == dim > 1:  # not "ordered" beside "all are needed" as if they disagreed
            gain = f"each still adds accuracy: {gain}"
        chance = _chance_text(spearman, dim)
        return f"Dimensions are ordered: {rank}; beyond chance: {chance}; {gain}."
    if not order_possible(dim):
        orders = math.factorial(dim)
        return (
            f"Too few dimensions to call an order: with {dim}, even a Spearman of 1 comes from a "
            f"random order in 1 of {orders} ({1 / orders:.0%}, above {ORDER_LEVEL:.0%}); {rank}; "
            f"{gain}."
        )
    if math.isfinite(spearman) and spearman > 0:  # an order the numbers do not rule out
        rank += f"; {_chance_text(spearman, dim)}, more than the {ORDER_LEVEL:.0%} an order needs"
        return f"No order beyond chance: {rank}; {gain}."
    return f"Dimensions are not ordered: {rank}; {gain}."


def below_full_reading(
    difference: float,
    half_width: float,
    k: int,
    tried: tuple[int, int],
    rest: str,
    against: str = "",
) -> str:
    """How far to trust "the first ``k`` dimensions score lower than all of them": their RMSE's
    ``difference`` from the full model's (``against`` names it after the number), ± its paired
    95% ``half_width`` (NaN: too few users), saying that ``rest`` add error only beyond the
    rows' draw, and that this k was picked as the lowest of k = ``tried`` on the same rows
    (views round 42, F1: "the other dimensions add error" of -0.0009 ± 0.0014, whose sign
    flipped on the test rows).

    >>> print(below_full_reading(-0.00096, 0.0014, 8, (1, 15), "the other dimensions"))
    -0.0010 ± 0.0014 (95%, paired by user), within the rows' draw, so this does not show that the other dimensions add error (k = 8 was picked as the lowest of k = 1 to 15 on these same rows, which flatters it)
    """
    picked = (
        f"k = {k} was picked as the lowest of k = {tried[0]} to {tried[1]} on these same rows, "
        "which flatters it"
    )
    if not math.isfinite(half_width):
        return (
            f"{difference:+.4f}{against} with no interval (too few users to bound one), "
            f"so this does not show that {rest} add error ({picked})"
        )
    shown = f"{paired.plus_minus(difference, half_width)}{against} (95%, paired by user)"
    if difference + half_width < 0:
        return f"{shown}, beyond the rows' draw: there {rest} add error (though {picked})"
    return f"{shown}, within the rows' draw, so this does not show that {rest} add error ({picked})"


#: Why a gain over no embedding overstates the embedding's part in a model with no movie
#: biases (accuracy round 50, F6: autorec's "all 8 needed for 95% of the gain" counted what a
#: movie's average gives, and user and movie averages beat its full model on those rows).
NO_MOVIE_BIAS_GAIN = (
    " (this model has no movie biases, so zeroing its embedding also removes each movie's "
    "average rating: the gain includes what the movie averages alone give)"
)


def _gain_text(k_index: int, k_pca: int | None, dim: int, movie_averages: bool = False) -> str:
    """ "the first k of dim give 95% of the full-model RMSE gain" (or "all dim are needed");
    ``movie_averages``: the model has no movie biases (:data:`NO_MOVIE_BIAS_GAIN`)."""
    first = (
        f"all {dim} dimensions are needed for"
        if k_index == dim > 1
        else f"the first {_dims(k_index)} of {dim} give"
    )
    inside = NO_MOVIE_BIAS_GAIN if movie_averages else ""
    return f"{first} {GAIN_SHARE:.0%} of the full-model RMSE gain{inside}"


def usual_verdict(report: DimensionReport, trained_ordered: bool) -> str | None:
    """The verdict as one plain line where it is the usual outcome, dimensions in no order on
    a model not trained with the 'ordered' regularizer; None where it is worth a box: an order,
    a model trained for one, a call within the rows' noise, too few dimensions to call one, or
    an embedding that gains nothing (views round 27, F3: the usual outcome was a box on every
    model)."""
    dim = len(report.dimensions)
    if (
        report.ordered
        or trained_ordered
        or report.k_index is None
        or report.calls.get("no", 1.0) < STABLE_CALL
        or not order_possible(dim)
    ):
        return None
    principal = (
        f"; {_dims(report.k_pca, 'principal direction')} {'does' if report.k_pca == 1 else 'do'}"
        if report.k_pca
        else ""
    )
    return (
        "Dimensions are not ranked by importance (as usual without the 'ordered' regularizer): "
        f"{_gain_text(report.k_index, report.k_pca, dim, report.movie_averages)}{principal}."
    )


def seed_note(family: str) -> str:
    """:data:`SEED_NOTE`, saying for a model other than mf_bias that the measured seeds were
    mf_bias ones (views round 27, F6: a deep model quoted them as if its own)."""
    if family == "mf_bias":
        return SEED_NOTE
    return SEED_NOTE.replace(
        "(on ml-latest-small,",
        f"(a reference for mf_bias models, not {family} ones: on ml-latest-small,",
    )


class FirstKView(TrainedModel):
    """A model keeping only its first ``k`` dimensions (as trained or principal), numpy only.

    Same interface as the model it comes from (arrays, embeddings, biases, movies, spec with
    ``dim = k``, predict, ...); cached analyses live beside the source model's, under a key
    naming k and the basis.
    """

    def __init__(self, source: Any, k: int, basis: str, arrays: dict[str, np.ndarray]) -> None:
        suffix = f" (first {_dims(k, 'principal direction' if basis == 'pca' else 'dim')})"
        spec = dataclasses.replace(source.spec, dim=k)
        meta = dict(source.meta, name=source.name + suffix, first_k_of=source.name)
        meta["first_k"] = {"k": int(k), "basis": basis, "dim": int(source.dim)}
        # the recorded RMSE / MAE are the full model's: keep them aside, not as this view's
        meta["source_metrics"] = dict(source.meta.get("metrics") or {})
        meta["metrics"] = {}
        super().__init__(
            name=source.name + suffix,
            path=source.path,
            spec=spec,
            meta=meta,
            arrays=arrays,
            movies=source.movies,
        )
        self.source = source
        self.source_name = getattr(source, "source_name", "") or source.name
        self.loaded_key = getattr(source, "loaded_key", None)  # as ExactlyWhitened's
        self.k = int(k)
        self.basis = basis

    def cache_path(self, key: str) -> Path:
        """Cached analyses live beside the source model's, under their own key."""
        return self.source.cache_path(f"first{self.k}-{self.basis}-{key}")

    def keras_model(self) -> Any:
        raise StoreError(
            f"{self.name!r} exists only as numpy arrays (predictions, embeddings); open "
            f"{self.source.name!r} for its Keras model."
        )


@takes_models("model")
def first_k_view(model: Any, k: int, basis: str = "index") -> Any:
    """``model`` keeping only its first ``k`` embedding dimensions: as trained
    (``basis="index"``) or its first k principal directions (``basis="pca"``, see
    :func:`pca_arrays`; movies weighted by their training ratings: :func:`movie_weights_counted`).

    The other dimensions are dropped (``dim == k``; for ``deep`` the first dense layer keeps the
    matching inputs), so predictions equal those with them zeroed. ``k >= dim`` returns
    ``model`` itself.
    """
    if basis not in BASES:
        raise DataError(f"basis = {basis!r}: choose one of {', '.join(BASES)}.")
    dim = int(model.dim)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DataError(f"k = {k!r}: keep at least one dimension (1 .. {dim}).")
    if k >= dim:
        return model
    arrays = dict(model.arrays)
    if basis == "pca":
        arrays = pca_arrays(arrays, model.spec, None, _movie_weights(model))
    out = dict(arrays)
    for key in ("user_embedding", "movie_embedding"):
        out[key] = np.ascontiguousarray(arrays[key][:, :k])
    if "dense_0_kernel" in arrays:
        kernel = np.asarray(arrays["dense_0_kernel"])
        out["dense_0_kernel"] = np.concatenate([kernel[:k], kernel[dim : dim + k]])
        if "first_dense_input_norms" in arrays:
            out["first_dense_input_norms"] = np.linalg.norm(
                out["dense_0_kernel"].astype(np.float64), axis=1
            ).astype(np.float32)
    for value in out.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return FirstKView(model, int(k), basis, out)


def _dims(k: int | None, noun: str = "dim") -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


@takes_models("model")
def movie_weights_counted(model: Any) -> str | None:
    """What ``model``'s principal directions and movie variance shares here weigh each movie
    by: ``"training ratings"``, ``"ratings"`` (a model saved before its training counts: every
    rating, test rows included) or None (no counts, e.g. an import: every movie alike)."""
    return counted_ratings(model.movies) if _movie_weights(model) is not None else None


def _movie_weights(model: Any) -> np.ndarray | None:
    """Each movie's weight: its training ratings where recorded (:func:`filter_counts`, as
    every other view counts; accuracy round 19: every rating, so the early-stopping rows a
    report is scored on also weighed the directions it measures)."""
    movies = getattr(model, "movies", None)
    if movies is None or "n_ratings" not in movies:
        return None
    counts = filter_counts(movies).astype(np.float64)
    ok = len(counts) == len(model.movie_embedding) and counts.sum() > 0
    return counts if ok else None


def _rows_digest(model: Any, users, movies, truth) -> str:
    """The held-out rows and the model's own arrays: a report never outlives the vectors it
    measured (an ``embeddings.npz`` copied over, meta.json kept: bad-input round 12)."""
    h = hashlib.blake2b(digest_size=8)
    for part in (users, movies, truth):
        h.update(np.ascontiguousarray(part).data)
    arrays = getattr(model, "arrays", None) or {}
    for key in sorted(arrays):
        h.update(key.encode())
        h.update(np.ascontiguousarray(arrays[key]).data)
    h.update(repr((model.name, model.dim, str(model.meta.get("created")))).encode())
    return h.hexdigest()


def _report_to_json(report: DimensionReport) -> dict[str, Any]:
    out = dataclasses.asdict(report)
    for name in ("dimensions", "prefix"):  # NaN (e.g. shares from noise) as null in JSON
        frame = getattr(report, name)
        out[name] = frame.astype(object).where(frame.notna(), None).to_dict(orient="list")
    out["spearman"] = None if math.isnan(report.spearman) else report.spearman
    return out


#: The columns a cached report's tables must have (more, e.g. a deep model's, may follow).
_CACHED_COLUMNS = {
    "dimensions": ("dimension", "heldout_increase", "heldout_increase_ci95", "heldout_share"),
    "prefix": ("k", "rmse_index", "rmse_pca", "rmse_index_ci95", "rmse_pca_ci95"),
}


def _report_from_json(data: Mapping[str, Any]) -> DimensionReport:
    """The report a cache file holds; ValueError (a miss: measured again) for anything but
    what :func:`_report_to_json` writes: a file edited by hand, damaged or from another
    version must not break the page on every visit."""
    values = dict(data)
    for name, columns in _CACHED_COLUMNS.items():
        frame = pd.DataFrame(values[name])
        values[name] = frame.apply(lambda c: pd.to_numeric(c) if c.dtype == object else c)
        kinds = {c: values[name][c].dtype.kind for c in values[name].columns}
        if any(c not in kinds for c in columns) or any(k not in "iuf" for k in kinds.values()):
            raise ValueError(f"cached {name} table of another shape")
    values["spearman"] = math.nan if values["spearman"] is None else float(values["spearman"])
    calls = values.get("calls")
    if not isinstance(calls, dict) or not set(calls) <= set(CALLS):
        raise ValueError("cached report without the calls of its redraws")
    if not all(isinstance(v, int | float) and 0 <= v <= 1 for v in calls.values()):
        raise ValueError("cached calls of another kind")
    report = DimensionReport(**values)
    dims = len(report.dimensions)
    whole = (report.n_rows, report.k_index or 0, report.k_pca or 0)
    if (
        not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in whole)
        or not all(isinstance(v, str) for v in (report.rows, report.verdict))
        or not isinstance(report.ordered, bool)
        or not isinstance(report.movie_averages, bool)
        or not isinstance(report.base_rmse, int | float)
        or not math.isfinite(report.base_rmse)
        or max(whole[1:]) > dims
        or report.prefix["k"].tolist() != list(range(len(report.prefix)))
    ):
        raise ValueError("cached report with values of another kind")
    return report
