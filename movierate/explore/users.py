"""The users map: a 2-D PCA of the user embedding with each user's activity, mean rating and
(where the dataset ships them) age, gender and occupation, for colouring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.pca import PCAResult, fit_pca
from movierate.explore.validation import check_matrix

#: Colourings of the users map: column of :attr:`UsersMap.coordinates` -> label.
USER_COLOURS: dict[str, str] = {
    "n_ratings": "training ratings (activity)",  # accuracy round 45, F3: not all of them
    "mean_rating": "mean rating",
    "age_bucket": "age",
    "gender": "gender",
    "occupation": "occupation",
}


@dataclass(frozen=True)
class UsersMap:
    """Every user placed on the first two principal axes of the user embedding."""

    coordinates: pd.DataFrame  # user_idx, x, y, n_ratings, mean_rating [+ user_id, age ...]
    pca: PCAResult  # fitted on the user embedding; places a folded-in user on the same map
    colours: list[str]  # the keys of USER_COLOURS this map can be coloured by


def user_activity(ratings: pd.DataFrame, n_users: int) -> np.ndarray:
    """Each user's number of ratings and mean rating (NaN without ratings), rows = user_idx,
    from ``ratings`` (user_idx, rating)."""
    return rating_activity(ratings, "user_idx", n_users)


def rating_activity(ratings: pd.DataFrame, column: str, n: int) -> np.ndarray:
    """For each index 0..n-1 of ``column`` (``user_idx`` or ``movie_idx``), its number of rows
    in ``ratings`` and their mean rating (NaN without rows): an (n, 2) array."""
    idx = ratings[column].to_numpy(np.int64)
    values = ratings["rating"].to_numpy(np.float64)
    counts = np.bincount(idx, minlength=n)[:n].astype(np.float64)
    sums = np.bincount(idx, weights=values, minlength=n)[:n]
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.column_stack([counts, means])


def users_map(
    user_embedding: Any, ratings: pd.DataFrame, attributes: pd.DataFrame | None = None
) -> UsersMap:
    """PCA of ``user_embedding`` (rows = user_idx) with activity and mean rating from
    ``ratings`` (user_idx, rating) and the columns of ``attributes`` (indexed by user_idx)."""
    x = check_matrix(user_embedding, "user embedding")
    if x.shape[0] < 2:
        raise DataError(
            "This model has no user embedding to map (an imported embedding holds movies only); "
            "pick a model trained here."
        )
    pca = fit_pca(x, n_components=2)
    xy = pca.transform(x)
    users = np.arange(len(x))
    frame = pd.DataFrame({"user_idx": users, "x": xy[:, 0]})
    frame["y"] = xy[:, 1] if xy.shape[1] > 1 else 0.0
    activity = user_activity(ratings, len(x))
    frame["n_ratings"] = activity[:, 0].astype(np.int64)
    frame["mean_rating"] = activity[:, 1]
    colours = ["n_ratings", "mean_rating"]
    if attributes is not None:
        table = attributes.reindex(users)
        for column in ("user_id", "age", "age_bucket", "gender", "occupation"):
            if column in table.columns:
                frame[column] = table[column].to_numpy()
        colours += [
            c
            for c in ("age_bucket", "gender", "occupation")
            if c in frame.columns and frame[c].notna().any()
        ]
    return UsersMap(frame, pca, colours)
