"""Accuracy round 26 (numerical precision at scale): float32 neighbour searches cancelled to
noise under a common offset (every vector near 1e3, spread 1e-2: 0 of the true 10 euclidean
or cosine neighbours, a random-pair cosine percentile of 1.0000001), and ratings with more
digits than float32 holds lost their steps unsaid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate.data.build import float32_note
from movierate.data.dataset import RatingScale
from movierate.explore.neighbours import NeighbourIndex

N, DIM = 600, 12


def _movies(n: int = N) -> pd.DataFrame:
    return pd.DataFrame(
        {"movie_idx": range(n), "movie_id": range(n), "title": [f"m{i}" for i in range(n)],
         "year": [2000] * n, "genres": [["Drama"]] * n, "n_ratings": [20] * n}
    )  # fmt: skip


def _offset(scale: float = 1e-2, offset: float = 1e3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (offset + scale * rng.normal(size=(N, DIM))).astype(np.float32)


def _truth(x: np.ndarray, metric: str) -> np.ndarray:
    x = x.astype(np.float64)
    if metric == "euclidean":
        return -(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    unit = x / np.linalg.norm(x, axis=1)[:, None]
    return unit @ unit.T


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_neighbours_under_a_common_offset_are_the_float64_ones(metric):
    x = _offset()
    index = NeighbourIndex(x, _movies())
    truth = _truth(x, metric)
    np.fill_diagonal(truth, -np.inf)
    for movie in (0, 17, 250):
        got = index.nearest(movie, k=10, metric=metric)["movie_idx"].to_numpy()
        assert list(got) == list(np.argsort(-truth[movie], kind="stable")[:10])
    rows = index.neighbour_rows(np.arange(50), k=10, metric=metric)
    expected = np.argsort(-truth[:50], axis=1, kind="stable")[:, :10]
    assert (rows == expected).mean() > 0.99  # ties at float64 precision aside


def test_shown_values_are_float64_and_cosines_never_pass_1():
    x = _offset()
    index = NeighbourIndex(x, _movies())
    found = index.nearest(3, k=10, metric="euclidean")
    wide = x.astype(np.float64)
    exact = np.linalg.norm(wide[found["movie_idx"]] - wide[3], axis=1)
    np.testing.assert_allclose(found["euclidean_distance"], exact, rtol=1e-6)
    assert (found["cosine_similarity"] <= 1.0).all()
    median, top = index.random_pair_cosines()
    assert median <= top <= 1.0


def test_a_zero_vector_scores_as_cosine_0_as_before():
    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 0.0], [-1.0, 0.0]], np.float32)
    index = NeighbourIndex(x, _movies(4))
    assert list(index.nearest(0, k=3)["movie_idx"]) == [1, 2, 3]  # cos 0.99, 0, -1


def test_ratings_float32_cannot_keep_are_said():
    scale = RatingScale(0.0, 1e6, 0.001)
    note = float32_note(np.array([999999.9, 12.5, 3.0]), scale)
    assert note.startswith("1 rating(s) cannot be kept exactly")
    assert "999999.9 is kept as 999999.875" in note and "25 steps of 0.001 off" in note
    assert float32_note(np.array([4.5, 0.5, 3.0]), RatingScale(0.5, 5.0, 0.5)) is None
    assert float32_note(np.array([2.3, 9.9]), RatingScale(0.0, 10.0, 0.1)) is None
