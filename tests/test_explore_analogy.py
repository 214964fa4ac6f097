"""movierate.explore.analogy: A - B + C and the "mostly A's neighbours" caveat."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import movie_analogy


def grid():
    """Movies on a 2 x 2 design (kids / adult x comedy / horror) plus a style offset each."""
    rng = np.random.default_rng(0)
    kids, adult = np.eye(8)[0] * 3, np.eye(8)[1] * 3
    comedy, horror = np.eye(8)[2] * 3, np.eye(8)[3] * 3
    centres = [kids + comedy, kids + horror, adult + comedy, adult + horror]
    x = np.vstack([c + rng.normal(scale=0.2, size=(10, 8)) for c in centres]).astype(np.float32)
    return x, movies_table(len(x))


def test_analogy_moves_to_the_fourth_corner():
    x, movies = grid()
    # kids comedy (0) - comedy (adult comedy 20) + horror (adult horror 30) -> kids horror 10..19
    result = movie_analogy(x, movies, 0, 20, 30, k=5)
    assert set(result.results["movie_idx"]) <= set(range(10, 20))
    assert not {0, 20, 30} & set(result.results["movie_idx"])
    assert result.overlap_with_a == 0.0 and not result.caveat
    assert "moved the query away from A" in result.message
    # accuracy review round 6: random triples pass this check too, and the message says so
    assert "That alone does not make it an analogy" in result.message


def test_caveat_when_result_is_a_own_neighbours():
    x, movies = grid()
    x[20] = x[21] * 1.0001  # B and C nearly identical: A - B + C ~ A
    x[30] = x[21]
    result = movie_analogy(x, movies, 0, 20, 30, k=5)
    assert result.caveat and result.overlap_with_a >= 0.5
    assert result.results["near_a"].all()
    assert "mostly reflects A" in result.message


def test_bad_input():
    x, movies = grid()
    title = [re.escape(t) for t in movies["title"]]
    with pytest.raises(DataError, match="three different"):
        movie_analogy(x, movies, 0, 0, 1)
    # the message names which two are the same, and the movie (bad-input left-alone item)
    with pytest.raises(DataError, match=rf"^B and C are the same movie \({title[3]}\)"):
        movie_analogy(x, movies, 0, 3, 3)
    with pytest.raises(DataError, match="outside"):
        movie_analogy(x, movies, 0, 1, 99)
    x[5] = 0
    with pytest.raises(DataError, match=rf"^A \({title[5]}\) has an all-zero"):
        movie_analogy(x, movies, 5, 1, 2)
    with pytest.raises(DataError, match=rf"^C \({title[5]}\) has an all-zero"):
        movie_analogy(x, movies, 1, 2, 5)
