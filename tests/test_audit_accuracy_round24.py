"""Accuracy round 24: data where the metrics degenerate (every rating liked, tied predictions,
few candidates, ratings of one or two values)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from movierate.data import from_csv, twins


def _same_movies(n_users: int = 40, per_user: int = 25, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (f"u{user}", int(movie), 5.0)
        for user in range(n_users)
        for movie in rng.choice(200, per_user, replace=False)
    ]
    return pd.DataFrame(rows, columns=["user", "movie", "rating"])


def _load(frame: pd.DataFrame):
    return from_csv(io.StringIO(frame.to_csv(index=False)), name="round24")


def test_f3_same_movies_with_one_or_two_rating_values_are_not_one_person():
    """Every rating 5 (or 0/1): the same ratings come free with the same movies, and MovieLens
    users 81 and 94 (31% of their (movie, rating) pairs alike) were named '100% alike'."""
    frame = _same_movies()
    other = frame[frame["user"] == "u3"].assign(user="u3-other")  # same movies, another person
    for ratings in (frame, frame.assign(rating=frame["movie"] % 2)):
        data = pd.concat([ratings, other.assign(rating=ratings["rating"].iloc[0])])
        notices = _load(data).notices()
        assert not [n for n in notices if "listed twice" in n]
        (note,) = [
            n for n in notices if "check for one person listed under two ids is skipped" in n
        ]
        assert "'u3' and 'u3-other'" in note and "only " in note
    # no shared movies: no note
    assert not [n for n in _load(frame).notices() if "is skipped" in n]


def test_f3_agreement_must_beat_what_the_rating_distribution_gives():
    """one90 (90% of ratings set to 4): 16 pairs of MovieLens users sharing movies were named,
    their 4s agreeing by chance. A copy of a user whose ratings vary is still named."""
    rng = np.random.default_rng(2)
    users, movies, ratings = [], [], []
    for user in range(60):
        rated = rng.choice(200, 30, replace=False)
        given = np.where(rng.random(30) < 0.95, 4.0, rng.integers(1, 6, 30).astype(float))
        if user == 5:  # a user whose ratings vary
            given = rng.integers(1, 6, 30).astype(float)
        users += [user] * 30
        movies += list(rated)
        ratings += list(given)
    u, m, r = np.array(users), np.array(movies), np.array(ratings)
    same_movies = np.where(rng.random(30) < 0.95, 4.0, rng.integers(1, 6, 30).astype(float))
    u = np.r_[u, [60] * 30, [61] * 30]
    m = np.r_[m, m[u[: len(m)] == 3], m[u[: len(m)] == 5]]
    r = np.r_[r, same_movies, r[np.array(users) == 5]]
    before = [(a, b) for a, b, _ in twins._alike_pairs(u, m, r, 62)]
    assert (3, 60) in before  # the old rule named it: most of their 4s agree
    after = [(a, b) for a, b, _ in twins.twin_users(u, m, r, 62)]
    assert (3, 60) not in after and (5, 61) in after
