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

>>> table = linear_probes(model.movie_embedding, model.movies,
...                       user_embedding=model.user_embedding,
...                       user_attributes=read_user_attributes(ds))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.threads import single_blas_thread
from movierate.explore.validation import (
    check_matrix,
    check_movies,
    eligible_rows,
    genre_lists,
)

#: Folds of the cross-validation.
FOLDS = 5
#: A class (or a genre's yes / no side) needs this many examples to be probed.
MIN_CLASS = 10
USER_TARGETS = ("age_bucket", "gender", "occupation")
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
]


@single_blas_thread
def probe(features: Any, labels: Any, *, folds: int = FOLDS, seed: int = 0) -> dict[str, float]:
    """Cross-validated accuracy, balanced accuracy and ROC AUC (out-of-fold scores) of a
    logistic regression predicting ``labels`` from ``features``, with the majority-class
    baseline. Classes with fewer than ``folds`` examples are dropped first (stratified folds
    need one per fold)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold
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
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = np.empty_like(y)
    scores = np.empty((len(y), len(classes)))
    for train, test in splitter.split(x, y):
        model = LogisticRegression(max_iter=200, tol=1e-3).fit(x[train], y[train])
        predicted[test] = model.predict(x[test])
        scores[test] = model.predict_proba(x[test])  # columns: model.classes_ == classes
    accuracy = float((predicted == y).mean())
    if len(classes) == 2:
        auc = roc_auc_score(y == classes[1], scores[:, 1])
    else:
        auc = roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=classes)
    baseline = float(counts.max() / counts.sum())
    return {
        "n": int(len(y)),
        "n_classes": int(len(classes)),
        "accuracy": accuracy,
        "baseline": baseline,
        "lift": accuracy - baseline,
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "auc": float(auc),
    }


@single_blas_thread
def linear_probes(
    movie_embedding: Any,
    movies: pd.DataFrame,
    *,
    user_embedding: Any = None,
    user_attributes: pd.DataFrame | None = None,
    min_ratings: int = 20,
    folds: int = FOLDS,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per probe: target ("genre: Comedy", "decade", "user: gender" ...), kind
    ("movie" / "user"), n, n_classes, accuracy, baseline, lift, balanced_accuracy, auc.

    Movies with fewer than ``min_ratings`` ratings are left out (their vectors are mostly
    noise); genres with fewer than ``MIN_CLASS`` movies on either side are skipped. User probes
    run when ``user_embedding`` and ``user_attributes`` (indexed by user_idx) are given.
    """
    x = check_matrix(movie_embedding)
    check_movies(movies, len(x))
    rows = eligible_rows(movies, min_ratings, at_least=2 * MIN_CLASS)
    records = []
    lists = genre_lists(movies)
    names = sorted({g for r in rows for g in lists[r]})
    for name in names:
        labels = np.fromiter((name in lists[r] for r in rows), dtype=bool, count=len(rows))
        if min(labels.sum(), (~labels).sum()) < MIN_CLASS:
            continue
        records.append(
            {
                "target": f"genre: {name}",
                "kind": "movie",
                **probe(x[rows], labels, folds=folds, seed=seed),
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
                    **probe(x[rows[known]][keep], decades[keep], folds=folds, seed=seed),
                }
            )
    if user_embedding is not None and user_attributes is not None:
        records.extend(_user_probes(user_embedding, user_attributes, folds, seed))
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def _user_probes(
    user_embedding: Any, attributes: pd.DataFrame, folds: int, seed: int
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
                **probe(u[index[ok][keep]], labels[keep], folds=folds, seed=seed),
            }
        )
    return records
