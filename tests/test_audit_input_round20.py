"""Bad-input review round 20: every map draws every movie visibly (an imported embedding has
no rating counts to size its points by), and a write that fails on a full disk names its
folder and the MOVIERATE_HOME remedy, leaving no temporary folder behind."""

from __future__ import annotations

import errno

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.explore.projection import map_frame
from movierate.ui import explore_figures, figures

FULL = (errno.ENOSPC, "No space left on device")

# --- F1: every map draws every movie, at a size that means something or one size ------------


def _map(n_ratings: list[int], genres: list | None = None) -> pd.DataFrame:
    n = len(n_ratings)
    movies = movies_table(n, n_ratings=n_ratings, genres=genres or [["Drama"]] * n)
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    return map_frame(x[:, :2], np.arange(n), x, movies)


def _point_sizes(fig) -> dict[int, float]:
    """movie_idx -> marker size of every movie point of a map (rings and contours left out)."""
    sizes: dict[int, float] = {}
    for trace in fig.data:
        if trace.type in ("scatter", "scattergl") and trace.customdata is not None:
            marker = np.broadcast_to(np.asarray(trace.marker.size, float), (len(trace.x),))
            for row, size in zip(np.asarray(trace.customdata)[:, 0], marker, strict=True):
                sizes[int(row)] = float(size)
    return sizes


MAP_COLOURINGS = [*figures.MAP_COLOURS, f"{figures.ONE_GENRE}Drama"]


@pytest.mark.parametrize("colour", MAP_COLOURINGS)
def test_a_map_without_rating_counts_draws_every_point_at_one_visible_size(colour):
    """An imported embedding: every n_ratings is 0, and every point was drawn 0 px wide."""
    frame = _map([0] * 20)
    sizes = _point_sizes(figures.tsne_scatter(frame, colour))
    assert sorted(sizes) == list(range(20))
    assert len(set(sizes.values())) == 1 and min(sizes.values()) >= 3


@pytest.mark.parametrize("colour", MAP_COLOURINGS)
def test_a_movie_without_ratings_is_drawn_on_a_trained_models_map(colour):
    counts = [0, 0, 1, 4, 9, 100, 400, 0, 25, 16]
    genres = [["Drama"] if i % 2 else ["Comedy", "Horror"] for i in range(len(counts))]
    sizes = _point_sizes(figures.tsne_scatter(_map(counts, genres), colour))
    assert sorted(sizes) == list(range(len(counts)))
    assert min(sizes.values()) >= 3 and max(sizes.values()) <= 14
    assert sizes[6] > sizes[5] > sizes[3] > sizes[0] == sizes[1]  # still grows with ratings


def test_the_other_scatters_draw_movies_without_ratings():
    """The custom-axes and two-model figures size by ratings too (3-12 and 3-8 px)."""
    n = 8
    movies = movies_table(n, n_ratings=[0] * n)
    axes = movies.assign(x=np.arange(n, dtype=float), y=1.0, group=[""] * 4 + ["A"] * 4)
    rest = explore_figures.axes_figure(axes, "x", "y").data[0]
    assert len(rest.x) == 4 and min(np.atleast_1d(rest.marker.size)) >= 3
    pairs = movies.assign(x_a=0.0, y_a=1.0, x_b=2.0, y_b=3.0)
    empty = pd.DataFrame(columns=["movie_idx", "title", "x_a", "y_a", "x_b", "y_b"])
    for trace in explore_figures.aligned_figure(pairs, empty, ("A", "B")).data:
        assert min(np.atleast_1d(trace.marker.size)) >= 3


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([], []),
        ([0, 0], [8.5, 8.5]),
        ([np.nan, 4], [3.0, 14.0]),
        ([0, 1, 4], [3.0, 8.5, 14.0]),
    ],
)
def test_point_sizes_have_a_floor_and_one_size_without_counts(counts, expected):
    np.testing.assert_allclose(figures.point_sizes(counts), expected)
