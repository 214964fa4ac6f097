"""Bad-input round 24 (a notebook calling the Python API): the explore functions refuse or
accept the natural notebook values with a clear message.

F2: a movies table in another order than movie_idx paired scores with other films' titles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import (
    find_movie,
    nearest_movies,
    pca_extremes,
    rank_movies,
    recommend_for_user,
    search_titles,
    top_rated_by_user,
)
from movierate.explore.neighbours import NeighbourIndex

TITLES = ["Toy Story", "Heat", "Casino", "Alien", "Fargo", "Seven", "Clueless"]
N = len(TITLES)


class Model:
    """What recommend_for_user reads of a TrainedModel, with a dataset fingerprint."""

    name = "m"
    dataset_name = "small"
    dataset_fingerprint = "aaaa"
    n_users = 3
    scores = np.array([4.9, 4.5, 2.0, 4.8, 1.0, 3.0, 3.5], dtype=np.float32)

    def __init__(self) -> None:
        self.movies = movies_table(N, titles=TITLES, n_ratings=[80] * N)
        self.n_movies = N

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        return self.scores.copy()


def own_ratings(name: str = "small", fingerprint: str = "aaaa") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_idx": np.array([0, 0, 1, 2], dtype=np.int32),
            "movie_idx": np.array([0, 3, 1, 2], dtype=np.int32),
            "rating": np.array([5.0, 4.0, 3.0, 2.0], dtype=np.float32),
        }
    )
    return frame


def embedding() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(N, 4)).astype(np.float32)


# ---- F2: the movies table must be in movie_idx order ------------------------------------------


@pytest.mark.parametrize(
    "reorder",
    [
        lambda m: m.sort_values("title"),
        lambda m: m.sample(frac=1, random_state=1),
        lambda m: m.sort_values("title").reset_index(drop=True),
    ],
)
def test_a_reordered_movies_table_is_refused_by_every_pairing_function(reorder):
    movies = reorder(movies_table(N, titles=TITLES))
    x = embedding()
    calls = [
        lambda: nearest_movies(x, movies, 0, k=2),
        lambda: NeighbourIndex(x, movies),
        lambda: pca_extremes(x, movies, n_components=1, n_movies=2, min_ratings=0),
        lambda: rank_movies(np.arange(N, dtype=float), movies, k=2),
        lambda: find_movie(movies, "heat"),
        lambda: search_titles(movies, "heat"),
        lambda: top_rated_by_user(own_ratings(), movies, 0),
    ]
    for call in calls:
        with pytest.raises(DataError, match=r"another order.*sort_values\('movie_idx'\)"):
            call()
    # the same table put back in order works, with the titles of the right rows
    fixed = movies.sort_values("movie_idx")
    assert find_movie(fixed, "heat") == 1
    assert nearest_movies(x, fixed, 1, k=2)["title"].isin(TITLES).all()


def test_a_filtered_movies_table_is_refused_with_the_min_ratings_hint():
    movies = movies_table(N + 2, titles=[*TITLES, "A", "B"]).iloc[2:]
    with pytest.raises(DataError, match=r"other than 0\.\.6.*min_ratings.*assign\(movie_idx="):
        nearest_movies(embedding(), movies, 0)
    renumbered = movies.reset_index(drop=True).assign(movie_idx=range(N))
    assert len(nearest_movies(embedding(), renumbered, 0, k=2)) == 2


def test_the_models_own_table_sorted_in_place_is_refused_and_an_index_keeps_its_order():
    model = Model()
    index = NeighbourIndex(embedding(), model.movies)
    before = index.nearest(0, k=3)["title"].tolist()
    model.movies.sort_values("title", inplace=True)  # noqa: PD002 (a notebook habit)
    with pytest.raises(DataError, match=r"movies holds the movies in another order"):
        recommend_for_user(model, 0, rated=[], k=2, min_ratings=0)
    assert index.nearest(0, k=3)["title"].tolist() == before  # built before: unaffected


def test_find_movie_and_nearest_movies_agree_on_what_a_movie_index_is():
    movies, x = movies_table(N, titles=TITLES), embedding()
    heat = find_movie(movies, "heat")
    near = nearest_movies(x, movies, heat, k=N - 1)
    assert heat not in near["movie_idx"].tolist()  # the query itself is left out
    assert set(near["movie_idx"]) == set(range(N)) - {heat}
