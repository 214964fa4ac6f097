"""Reference predictors a model's test numbers are read against: what a model that learned
nothing (the training rows' mean, or their median for MAE) and one that learned only who rates
high and which movies are liked (damped user and movie averages, no embedding) score on the same
rows. Fit on the training rows only; labels, they choose nothing.

Accuracy round 10: on a set where 93% of the ratings are 4, a model's "test RMSE 0.3865, MAE
0.1362" read as far better than ml-100k's 0.90, while the training mean scored 0.3883 and the
median 4 an MAE of 0.0913; nothing said so.
"""

from __future__ import annotations

import math

import numpy as np

from movierate.data import RatingsDataset

#: Damping of the averages (Koren 2010, "Factor in the Neighbors", section 2.1: 25 for items,
#: 10 for users): a movie or user with few training ratings stays near the overall mean.
MOVIE_DAMPING = 25.0
USER_DAMPING = 10.0


def rmse_of_mean(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> float:
    """The RMSE on ``rows`` of predicting the ``fitted`` rows' mean rating for every one: the
    floor any model should beat (a label only: it chooses nothing)."""
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    if not len(fitted) or not len(rows):
        return math.nan
    return float(np.sqrt(np.mean((ratings[rows] - ratings[fitted].mean()) ** 2)))


def baseline_metrics(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> dict[str, float]:
    """On ``rows``: ``test_rmse_of_mean``; ``test_mae_of_median`` (the best constant for MAE);
    ``test_rmse_of_averages`` and ``test_mae_of_averages``: the ``fitted`` rows' mean plus a
    damped movie average and a damped user average, clipped to the dataset's scale."""
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    if not len(fitted) or not len(rows):
        return {}
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    truth, train = ratings[rows], ratings[fitted]
    mean = train.mean()
    averages = averages_predictions(ds, fitted, rows)
    return {
        "test_rmse_of_mean": float(np.sqrt(np.mean((truth - mean) ** 2))),
        "test_mae_of_median": float(np.mean(np.abs(truth - np.median(train)))),
        "test_rmse_of_averages": float(np.sqrt(np.mean((truth - averages) ** 2))),
        "test_mae_of_averages": float(np.mean(np.abs(truth - averages))),
    }


def averages_predictions(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The averages reference's prediction for each of ``rows``: the ``fitted`` rows' mean plus
    a damped movie average and a damped user average, clipped to the dataset's scale."""
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    train = ratings[fitted]
    mean = train.mean()
    movie_bias = _damped(movies[fitted], train - mean, ds.n_movies, MOVIE_DAMPING)
    residual = train - mean - movie_bias[movies[fitted]]
    user_bias = _damped(users[fitted], residual, ds.n_users, USER_DAMPING)
    scale = ds.rating_scale
    return np.clip(mean + movie_bias[movies[rows]] + user_bias[users[rows]], scale.min, scale.max)


def _damped(ids: np.ndarray, values: np.ndarray, n: int, damping: float) -> np.ndarray:
    """Per id: the sum of its ``values`` over (its count + ``damping``)."""
    sums = np.bincount(ids, weights=values, minlength=n)
    return sums / (np.bincount(ids, minlength=n) + damping)
