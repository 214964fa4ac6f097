"""Reference predictors a model's test numbers are read against: what a model that learned
nothing (the training rows' mean, or their median for MAE) and one that learned only who rates
high and which movies are liked (user and movie biases fit by damped least squares, no
embedding) score on the same rows. Fit on the training rows only, and clipped to the scale the
model used (``data.splits.training_scale``: inferred from train and stop rows where the data
declared none), never to one a test rating can widen; labels, they choose nothing.

Accuracy round 10: on a set where 93% of the ratings are 4, a model's "test RMSE 0.3865, MAE
0.1362" read as far better than ml-100k's 0.90, while the training mean scored 0.3883 and the
median 4 an MAE of 0.0913; nothing said so.
"""

from __future__ import annotations

import math

import numpy as np

from movierate.data import RatingScale, RatingsDataset

#: Damping of the biases: Surprise's BaselineOnly defaults (``reg_i`` 10, ``reg_u`` 15), the
#: bias baseline researchers quote; a movie or user with few training ratings stays near the
#: overall mean. Models saved before accuracy round 15 took one pass with Koren 2010's 25 and 10.
MOVIE_DAMPING = 10.0
USER_DAMPING = 15.0
#: The biases are fit by alternating sweeps until none moves by this much, or for this many
#: sweeps at most (:func:`fit_biases`): 3 s for 32 M ratings in user order (ml-32m's size) here.
FIT_TOLERANCE = 1e-6
FIT_SWEEPS = 20


def rmse_of_mean(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> float:
    """The RMSE on ``rows`` of predicting the ``fitted`` rows' mean rating for every one: the
    floor any model should beat (a label only: it chooses nothing)."""
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    if not len(fitted) or not len(rows):
        return math.nan
    return float(np.sqrt(np.mean((ratings[rows] - ratings[fitted].mean()) ** 2)))


def baseline_metrics(
    ds: RatingsDataset,
    fitted: np.ndarray,
    rows: np.ndarray,
    scale: RatingScale | tuple[float, ...],
    averages: tuple[np.ndarray, int] | None = None,
) -> dict[str, float]:
    """On ``rows``: ``test_rmse_of_mean``; ``test_mae_of_median`` (the best constant for MAE);
    ``test_rmse_of_averages`` and ``test_mae_of_averages``: the ``fitted`` rows' mean plus a
    movie and a user bias fit to them, clipped to ``scale``, the model's (``averages``: what
    :func:`averages_fit` gave, when already computed); ``averages_sweeps``, the sweeps of that
    fit (models saved before it have none: their reference was its first sweep alone)."""
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    if not len(fitted) or not len(rows):
        return {}
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    truth, train = ratings[rows], ratings[fitted]
    mean = train.mean()
    predictions, sweeps = averages or averages_fit(ds, fitted, rows, scale)
    return {
        "test_rmse_of_mean": float(np.sqrt(np.mean((truth - mean) ** 2))),
        "test_mae_of_median": float(np.mean(np.abs(truth - np.median(train)))),
        "test_rmse_of_averages": float(np.sqrt(np.mean((truth - predictions) ** 2))),
        "test_mae_of_averages": float(np.mean(np.abs(truth - predictions))),
        "averages_sweeps": sweeps,
    }


def averages_predictions(
    ds: RatingsDataset,
    fitted: np.ndarray,
    rows: np.ndarray,
    scale: RatingScale | tuple[float, ...],
) -> np.ndarray:
    """The averages reference's prediction for each of ``rows`` (:func:`averages_fit`)."""
    return averages_fit(ds, fitted, rows, scale)[0]


def averages_fit(
    ds: RatingsDataset,
    fitted: np.ndarray,
    rows: np.ndarray,
    scale: RatingScale | tuple[float, ...],
) -> tuple[np.ndarray, int]:
    """The averages reference's prediction for each of ``rows``: the ``fitted`` rows' mean plus
    a movie and a user bias fit to them (:func:`fit_biases`), clipped to ``scale``, the one the
    model it is read against used (accuracy round 18: clipped to the dataset's scale, which
    every rating sets, a 5.0 in test rows alone moved the reference); and how many sweeps the
    fit took."""
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    train = ratings[fitted]
    mean = train.mean()
    user_bias, movie_bias, sweeps = fit_biases(
        users[fitted], movies[fitted], train - mean, ds.n_users, ds.n_movies
    )
    low, high = _ends(scale)
    predicted = mean + movie_bias[movies[rows]] + user_bias[users[rows]]
    return np.clip(predicted, low, high), sweeps


def _ends(scale: RatingScale | tuple[float, ...]) -> tuple[float, float]:
    """(lowest, highest) of a RatingScale or a recorded (min, max[, step])."""
    if isinstance(scale, RatingScale):
        return scale.min, scale.max
    return float(scale[0]), float(scale[1])


def fit_biases(
    users: np.ndarray, movies: np.ndarray, values: np.ndarray, n_users: int, n_movies: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """User and movie biases that minimise the squared error of ``values`` (ratings minus their
    mean) plus :data:`USER_DAMPING` and :data:`MOVIE_DAMPING` times their squares: alternating
    least-squares sweeps (movies, then users) until no bias moves by :data:`FIT_TOLERANCE`, at
    most :data:`FIT_SWEEPS`. Returns (user biases, movie biases, sweeps run). Accuracy round 15:
    one damped pass (dampings 25 and 10) was the reference until then; on ml-100k's u1 this fit
    scored 0.9623 (Surprise's BaselineOnly: 0.9624) against that pass's 0.9735; 0.9621
    (0.9622) on today's u1 stop rows (accuracy round 39)."""
    if not np.all(users[1:] >= users[:-1]):  # rows of one user together: CSR without a sort
        order = _order_by(users)
        users, movies, values = users[order], movies[order], values[order]
    from scipy import sparse  # ~0.2 s to import: not on every page start (issue 15)

    user_rows = np.bincount(users, minlength=n_users)
    indptr = np.concatenate(([0], np.cumsum(user_rows)))
    rated = sparse.csr_matrix(
        (np.ones(len(users)), movies.astype(np.int32, copy=False), indptr),
        shape=(n_users, n_movies),
    )  # rated[u, m]: how many ratings user u gave movie m
    user_sums = np.bincount(users, weights=values, minlength=n_users)
    movie_sums = np.bincount(movies, weights=values, minlength=n_movies)
    user_weight = user_rows + USER_DAMPING
    movie_weight = np.bincount(movies, minlength=n_movies) + MOVIE_DAMPING
    user_bias, movie_bias = np.zeros(n_users), np.zeros(n_movies)
    sweeps = 0
    while sweeps < FIT_SWEEPS:
        sweeps += 1
        new_movie = (movie_sums - rated.T @ user_bias) / movie_weight
        new_user = (user_sums - rated @ new_movie) / user_weight
        change = max(
            np.max(np.abs(new_movie - movie_bias), initial=0.0),
            np.max(np.abs(new_user - user_bias), initial=0.0),
        )
        user_bias, movie_bias = new_user, new_movie
        if change < FIT_TOLERANCE:
            break
    return user_bias, movie_bias, sweeps


def _order_by(keys: np.ndarray) -> np.ndarray:
    """The stable argsort of non-negative ``keys``, through a sort of ``key << 32 | position``:
    1.7 s against argsort's 6 s at 32 M ratings here."""
    packed = (keys.astype(np.int64) << 32) | np.arange(len(keys), dtype=np.int64)
    packed.sort()
    return packed & 0xFFFFFFFF
