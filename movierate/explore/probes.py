"""Linear probes: what can a logistic regression read off the embeddings?

Each probe is the stratified k-fold (k=5) cross-validated accuracy of a standardised logistic
regression predicting one target from the embedding, always next to the majority-class
baseline (the accuracy of always guessing the most frequent class); ``lift`` is accuracy minus
baseline. For a rare class the lift stays near 0 whatever the embedding holds (a cut at 0.5
says "no" for nearly every movie), so every probe also reports its cross-validated ROC ``auc``
(0.5: chance; macro one-vs-rest for several classes): how well the regression's score ranks
the class above the rest, whatever its size. Genres are binary probes (one per genre, also
reported as balanced accuracy, whose baseline is 0.5); the decade is a multi-class probe on the movie embedding; age bucket, gender
and occupation are probes on the user embedding where the dataset has them
(:func:`movierate.data.extras.read_user_attributes`).

Every probe also says what chance gives: with few movies of a class an embedding that holds
nothing reaches a cross-validated AUC of 0.65-0.70 (random ml-100k vectors on Documentary, 12
movies; accuracy review, 2026-12-04). ``chance_auc`` is the 95th percentile of the AUC over
:data:`PERMUTATIONS` relabellings of the same movies (each fold keeps its class counts) and
``p_value`` the share of relabellings that reach the probe's AUC. Refitting the regression for
each would take ~200 times the probe, so a relabelling's regression is its first Newton step
from zero (exact as the weights go to 0, which is where chance lives; its null's 95th percentile
was within 0.01-0.03 of real refits' on six ml-100k targets).

Every probe is also read against popularity alone (``popularity_auc``: the same probe on a
movie's number of training ratings and mean training rating, a user's): ``popularity_p_value``
is the one-sided p-value of a paired test that the probe's AUC is above it (DeLong's: both sets
of out-of-fold scores come from the same rows and folds). An embedding holding only popularity
beat it by a raw comparison in 27% of ml-100k genres (accuracy review round 15b).

The reference is never below chance. A cross-validated AUC on a rare class spreads widely and
leans low (each fold's weights lean away from its held-out positives): for 23 of 1,056 movies
pure noise averages 0.49 with a spread of 0.075, two features or sixteen, and a16's Westerns
read 0.36 against 0.56 in sample (accuracy round 42, F1). Scoring per fold does not cure it
(0.35); an AUC below 0.5 is a score ranking worse than no score, so a reference below 0.5 is
replaced by what knowing nothing gives, a constant score (AUC 0.5, no variance). ``popularity_p_value`` is also never below ``p_value``: a probe is
beyond popularity only when it is beyond both the reference and chance (an intersection-union
test, valid at the same level), so a small class the embedding reaches by chance is not counted.

>>> table = linear_probes(model.movie_embedding, model.movies,
...                       user_embedding=model.user_embedding,
...                       user_attributes=read_user_attributes(ds))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.quality import NOT_A_GENRE
from movierate.explore.threads import single_blas_thread
from movierate.explore.validation import (
    check_matrix,
    check_movies,
    eligible_rows,
    genre_lists,
)
from movierate.stats import average_ranks, normal_sf

#: The movie probes' filter: movies with fewer ratings (training ratings where recorded) are
#: left out, their vectors being mostly noise.
MIN_RATINGS = 20
#: Folds of the cross-validation.
FOLDS = 5
#: A class (or a genre's yes / no side) needs this many examples to be probed.
MIN_CLASS = 10
USER_TARGETS = ("age_bucket", "gender", "occupation")
#: Relabellings behind ``chance_auc`` and ``p_value`` (a fixed seed: the same probe, the same
#: verdict) and the p-value at or below which a probe reads beyond chance.
PERMUTATIONS = 199
ALPHA = 0.05
#: scikit-learn's LogisticRegression default: the inverse strength of its L2 penalty.
_C = 1.0
COLUMNS = [
    "target",
    "kind",
    "n",
    "n_classes",
    "accuracy",
    "baseline",
    "lift",
    "balanced_accuracy",
    "auc",
    "chance_auc",
    "p_value",
    "popularity_auc",
    "popularity_p_value",
]


@single_blas_thread
def probe(
    features: Any,
    labels: Any,
    *,
    folds: int = FOLDS,
    seed: int = 0,
    activity: Any = None,
) -> dict[str, float]:
    """Cross-validated accuracy, balanced accuracy and ROC AUC (out-of-fold scores) of a
    logistic regression predicting ``labels`` from ``features``, with the majority-class
    baseline and what relabellings give (``chance_auc``, ``p_value``: module docstring).
    With ``activity`` (each row's number of ratings and mean rating), also ``popularity_auc``
    (at least 0.5) and ``popularity_p_value`` (module docstring; NaN without it). Classes with fewer than
    ``folds`` examples are dropped first (stratified folds need one per fold)."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.preprocessing import StandardScaler

    x = check_matrix(features, "features")
    y = np.asarray(labels)
    if y.shape != (len(x),):
        raise DataError(
            f"labels must hold one value per row of features ({len(x)}), got {y.shape}."
        )
    classes, counts = np.unique(y, return_counts=True)
    keep = np.isin(y, classes[counts >= folds])
    x, y = x[keep], y[keep]
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise DataError(
            f"A probe needs two classes with at least {folds} examples each; got {len(classes)}."
        )
    # Standardising once before the folds (not inside them) leaks nothing about the labels.
    x = StandardScaler().fit_transform(x)
    predicted, auc, fold_of, scores = _cross_validated(x, y, classes, folds, seed)
    null = _null_aucs(x, y, fold_of, classes, seed)
    p_value = float((1 + np.sum(null >= auc - 1e-12)) / (1 + len(null)))
    reference = {"popularity_auc": float("nan"), "popularity_p_value": float("nan")}
    if activity is not None:
        popular = _popularity_features(np.asarray(activity, np.float64)[keep])
        _, popular_auc, popular_folds, popular_scores = _cross_validated(
            popular, y, classes, folds, seed
        )
        assert np.array_equal(fold_of, popular_folds)  # the folds follow the labels alone
        if popular_auc < 0.5:  # below chance: knowing nothing (module docstring)
            popular_auc, popular_scores = 0.5, np.zeros_like(popular_scores)
        paired = paired_auc_p_value(scores, popular_scores, y, classes)
        reference = {"popularity_auc": popular_auc, "popularity_p_value": max(paired, p_value)}
    accuracy = float((predicted == y).mean())
    baseline = float(counts.max() / counts.sum())
    return {
        "n": int(len(y)),
        "n_classes": int(len(classes)),
        "accuracy": accuracy,
        "baseline": baseline,
        "lift": accuracy - baseline,
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "auc": float(auc),
        "chance_auc": float(np.quantile(null, 1 - ALPHA)),
        "p_value": p_value,
        **reference,
    }


def _cross_validated(
    x: np.ndarray, y: np.ndarray, classes: np.ndarray, folds: int, seed: int
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Out-of-fold predictions, the ROC AUC of the out-of-fold scores (macro one-vs-rest for
    several classes), each row's fold and the scores (rows x classes), of the L2 logistic
    regression on stratified folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = np.empty_like(y)
    scores = np.empty((len(y), len(classes)))
    fold_of = np.empty(len(y), dtype=np.int64)
    for fold, (train, test) in enumerate(splitter.split(x, y)):
        fold_of[test] = fold
        model = LogisticRegression(C=_C, max_iter=200, tol=1e-3).fit(x[train], y[train])
        predicted[test] = model.predict(x[test])
        scores[test] = model.predict_proba(x[test])  # columns: model.classes_ == classes
    if len(classes) == 2:
        auc = roc_auc_score(y == classes[1], scores[:, 1])
    else:
        auc = roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=classes)
    return predicted, float(auc), fold_of, scores


def _popularity_features(activity: np.ndarray) -> np.ndarray:
    """Standardised log number of ratings and mean rating: what the popularity reference reads.
    Accuracy review round 11: those two numbers put 13 of 18 ml-100k genres beyond chance and
    beat an embedding on Documentary (0.886 against 0.692), so a probe is read against them."""
    from sklearn.preprocessing import StandardScaler

    a = np.column_stack(
        [np.log1p(np.maximum(activity[:, 0], 0)), np.nan_to_num(activity[:, 1], nan=0.0)]
    )
    return StandardScaler().fit_transform(a)


def paired_auc_p_value(scores: Any, reference: Any, labels: Any, classes: Any) -> float:
    """One-sided p-value that the ROC AUC of ``scores`` is above that of ``reference`` on the
    same rows (macro one-vs-rest over ``classes`` when more than two; columns as
    ``classes``): DeLong's paired test, the difference over the standard error of the rows'
    summed influences, read on the normal; 1.0 when the difference is not positive."""
    y, classes = np.asarray(labels), np.asarray(classes)
    auc, influence = _auc_influence(np.asarray(scores), y, classes)
    reference_auc, reference_influence = _auc_influence(np.asarray(reference), y, classes)
    diff = auc - reference_auc
    if not diff > 0:
        return 1.0
    se = float(np.sqrt(np.sum((influence - reference_influence) ** 2)))
    return 0.0 if se == 0 else normal_sf(diff / se)


def _auc_influence(scores: np.ndarray, y: np.ndarray, classes: np.ndarray):
    """The (macro one-vs-rest) ROC AUC and each row's influence on it: per class, a positive
    row's DeLong component V10 less its mean over sqrt(m (m - 1)), a negative row's V01 less
    its mean over sqrt(n (n - 1)), averaged over the classes; the sum of squares of an
    influence (or of two AUCs' difference) is DeLong's variance (S10 / m + S01 / n)."""
    if len(classes) == 2:
        targets = [(scores[:, 1], y == classes[1])]
    else:
        targets = [(scores[:, k], y == c) for k, c in enumerate(classes)]
    aucs, influence = [], np.zeros(len(y))
    for score, positive in targets:
        m, n = int(positive.sum()), int((~positive).sum())
        ranks = average_ranks(score)
        v10 = (ranks[positive] - average_ranks(score[positive])) / n  # share of negatives below
        v01 = 1 - (ranks[~positive] - average_ranks(score[~positive])) / m
        aucs.append(v10.mean())
        influence[positive] += (v10 - v10.mean()) / np.sqrt(m * max(m - 1, 1))
        influence[~positive] += (v01 - v01.mean()) / np.sqrt(n * max(n - 1, 1))
    return float(np.mean(aucs)), influence / len(targets)


def _null_aucs(
    x: np.ndarray, y: np.ndarray, fold_of: np.ndarray, classes: np.ndarray, seed: int
) -> np.ndarray:
    """Out-of-fold ROC AUCs of :data:`PERMUTATIONS` relabellings of ``y`` (shuffled within each
    fold, so every fold keeps its class counts), each fitted by the first Newton step of the
    L2 logistic regression from zero weights: per class k, w = (C p(1-p) X'X + I)^-1 C X'(t - p)
    on the fold's centred training rows (one-vs-rest for several classes, then a softmax as
    scikit-learn's multinomial scores). The relabellings share one solve per fold and class."""
    rng = np.random.default_rng(seed)
    n, dim = x.shape
    binary = len(classes) == 2
    targets = classes[1:] if binary else classes
    batch = max(1, min(PERMUTATIONS, 4_000_000 // max(n * len(targets), 1)))
    out = []
    for start in range(0, PERMUTATIONS, batch):
        size = min(batch, PERMUTATIONS - start)
        index = np.empty((size, n), dtype=np.int64)
        for fold in np.unique(fold_of):
            rows = np.flatnonzero(fold_of == fold)
            index[:, rows] = rows[rng.random((size, len(rows))).argsort(axis=1)]
        relabelled = y[index]  # (size, n)
        scores = np.empty((size, n, len(targets)))
        for fold in np.unique(fold_of):
            train, test = fold_of != fold, fold_of == fold
            mean = x[train].mean(axis=0)
            centred = x[train] - mean
            gram = centred.T @ centred
            for k, label in enumerate(targets):
                t = (relabelled[:, train] == label).astype(np.float64)  # (size, n_train)
                p = float(t[0].mean())  # the same in every relabelling
                w = np.linalg.solve(
                    _C * p * (1 - p) * gram + np.eye(dim), _C * centred.T @ (t - p).T
                )  # (dim, size)
                scores[:, test, k] = np.log(p) + ((x[test] - mean) @ w).T
        if binary:
            out.append(_rank_aucs(scores[..., 0], relabelled == classes[1]))
            continue
        prob = np.exp(scores - scores.max(axis=-1, keepdims=True))
        prob /= prob.sum(axis=-1, keepdims=True)
        per_class = [_rank_aucs(prob[..., k], relabelled == c) for k, c in enumerate(classes)]
        out.append(np.mean(per_class, axis=0))
    return np.concatenate(out)


def _rank_aucs(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` (P, n) for the row's ``positive`` labels."""
    ranks = average_ranks(scores, axis=1)
    n_pos = positive.sum(axis=1)
    n_neg = positive.shape[1] - n_pos
    return ((ranks * positive).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@single_blas_thread
def linear_probes(
    movie_embedding: Any,
    movies: pd.DataFrame,
    *,
    user_embedding: Any = None,
    user_attributes: pd.DataFrame | None = None,
    user_activity: np.ndarray | None = None,
    movie_activity: np.ndarray | None = None,
    min_ratings: int = MIN_RATINGS,
    folds: int = FOLDS,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per probe: target ("genre: Comedy", "decade", "user: gender" ...), kind
    ("movie" / "user"), n, n_classes, accuracy, baseline, lift, balanced_accuracy, auc,
    chance_auc, p_value, popularity_auc and popularity_p_value (:func:`probe`: from each
    movie's number of ratings and mean rating, given as ``movie_activity`` (rows = movie_idx;
    pages give the model's training rows'), else read from ``movies`` (its training counts
    alone: the table's means count test rows); each user's from ``user_activity``, rows =
    user_idx; NaN where they are not known).

    The movies are :func:`probed_movies`; genres with fewer than ``MIN_CLASS`` movies on either
    side are skipped, and so are the entries the map's regions leave out (:data:`~movierate.
    explore.quality.NOT_A_GENRE`: IMAX is a format; accuracy round 19b counted it among 18
    genres). User probes run when ``user_embedding`` and ``user_attributes`` (indexed by
    user_idx) are given.
    """
    x = check_matrix(movie_embedding)
    movies = check_movies(movies, len(x))
    rows = probed_movies(movies, min_ratings)
    activity = _movie_activity(movies) if movie_activity is None else movie_activity
    records = []
    lists = [[g for g in genres if g not in NOT_A_GENRE] for genres in genre_lists(movies)]
    names = sorted({g for r in rows for g in lists[r]})
    for name in names:
        labels = np.fromiter((name in lists[r] for r in rows), dtype=bool, count=len(rows))
        if min(labels.sum(), (~labels).sum()) < MIN_CLASS:
            continue
        records.append(
            {
                "target": f"genre: {name}",
                "kind": "movie",
                **probe(x[rows], labels, folds=folds, seed=seed, activity=_at(activity, rows)),
            }
        )
    years = pd.to_numeric(movies["year"], errors="coerce").to_numpy(np.float64)[rows]
    known = np.isfinite(years)
    if known.sum() >= 2 * MIN_CLASS:
        decades = (np.floor(years[known] / 10) * 10).astype(np.int64)
        values, counts = np.unique(decades, return_counts=True)
        keep = np.isin(decades, values[counts >= MIN_CLASS])
        if len(np.unique(decades[keep])) >= 2:
            records.append(
                {
                    "target": "decade",
                    "kind": "movie",
                    **probe(
                        x[rows[known]][keep],
                        decades[keep],
                        folds=folds,
                        seed=seed,
                        activity=_at(activity, rows[known][keep]),
                    ),
                }
            )
    if user_embedding is not None and user_attributes is not None:
        records.extend(_user_probes(user_embedding, user_attributes, user_activity, folds, seed))
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def probed_movies(movies: pd.DataFrame, min_ratings: int = MIN_RATINGS) -> np.ndarray:
    """Rows of the movies the movie probes use: those with at least ``min_ratings`` ratings as
    :func:`~movierate.explore.validation.filter_counts` reads them (training ratings where
    recorded). DataError when too few are left to probe."""
    return eligible_rows(movies, min_ratings, at_least=2 * MIN_CLASS)


def _movie_activity(movies: pd.DataFrame) -> np.ndarray | None:
    """Each movie's number of training ratings and a NaN mean rating (the table's mean counts
    test rows too, so the reference reads the count alone: accuracy round 42, F1), or for a
    model saved before training ratings were counted its number and mean of all ratings; None
    where the table has no counts (an imported embedding)."""
    if "n_train_ratings" in movies.columns:
        counts = movies["n_train_ratings"].to_numpy(np.float64)
        activity = np.column_stack([counts, np.full(len(counts), np.nan)])
    elif {"n_ratings", "mean_rating"} <= set(movies.columns):
        activity = movies[["n_ratings", "mean_rating"]].to_numpy(np.float64)
        if np.isnan(activity[:, 1]).all():
            return None  # an imported embedding's labels: no means (recheck: scored as 0.5)
    else:
        return None
    return activity if (activity[:, 0] > 0).any() else None  # an imported embedding: 0s


def _at(activity: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if activity is None else np.asarray(activity)[rows]


def _user_probes(
    user_embedding: Any,
    attributes: pd.DataFrame,
    activity: np.ndarray | None,
    folds: int,
    seed: int,
) -> list[dict[str, Any]]:
    u = check_matrix(user_embedding, "user_embedding")
    index = np.asarray(attributes.index)
    if index.dtype.kind not in "iu" or (len(index) and (index.min() < 0 or index.max() >= len(u))):
        raise DataError(
            "user_attributes must be indexed by user_idx (rows of the user embedding); use "
            "read_user_attributes(ds)."
        )
    records = []
    for column in USER_TARGETS:
        if column not in attributes.columns:
            continue
        values = attributes[column]
        ok = values.notna().to_numpy()
        labels = values[ok].astype(str).to_numpy()
        classes, counts = np.unique(labels, return_counts=True)
        keep = np.isin(labels, classes[counts >= MIN_CLASS])
        if len(np.unique(labels[keep])) < 2:
            continue
        records.append(
            {
                "target": f"user: {column}",
                "kind": "user",
                **probe(
                    u[index[ok][keep]],
                    labels[keep],
                    folds=folds,
                    seed=seed,
                    activity=_at(activity, index[ok][keep]),
                ),
            }
        )
    return records
