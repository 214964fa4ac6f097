"""movierate.explore.recommend: exclusions, the obscure-movie filter and the sanity lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import rank_movies, recommend_for_user, top_rated_by_user

SCORES = np.array([4.9, 4.5, 2.0, 4.8, 1.0, 3.0, 5.0])
N_RATINGS = [80, 80, 80, 80, 80, 80, 2]  # movie 6 is obscure (2 ratings)


class FakeModel:
    """The part of TrainedModel recommendations use; scores are fixed per user."""

    n_users = 2
    movies = movies_table(7, n_ratings=N_RATINGS)

    def score_all_movies(self, user_idx: int) -> np.ndarray:
        return SCORES.astype(np.float32) if user_idx == 0 else -SCORES.astype(np.float32)


RATINGS = pd.DataFrame(
    {"user_idx": [0, 0, 0, 1], "movie_idx": [0, 2, 5, 1], "rating": [5.0, 4.0, 4.5, 3.0]}
)


def test_rank_movies_excludes_rated_and_obscure_movies():
    movies = movies_table(7, n_ratings=N_RATINGS)
    top = rank_movies(SCORES, movies, exclude=[0], k=3, min_ratings=10)
    assert list(top["movie_idx"]) == [3, 1, 5]
    assert list(top["predicted"]) == [4.8, 4.5, 3.0]
    assert list(top["rank"]) == [1, 2, 3]
    everything = rank_movies(SCORES, movies, k=2, min_ratings=0)
    assert list(everything["movie_idx"]) == [6, 0]  # without the filter the obscure one wins
    lowest = rank_movies(SCORES, movies, k=2, lowest=True)
    assert list(lowest["movie_idx"]) == [4, 2]


def test_recommend_for_user_with_the_ratings_table():
    recs = recommend_for_user(FakeModel(), 0, ratings=RATINGS, k=3, min_ratings=10)
    assert recs.n_rated == 3
    assert list(recs.recommended["movie_idx"]) == [3, 1, 4]  # 0, 2, 5 rated; 6 obscure
    assert list(recs.least_recommended["movie_idx"]) == [4, 1, 3]
    assert list(recs.top_rated["movie_idx"]) == [0, 5, 2]
    assert list(recs.top_rated["rating"]) == [5.0, 4.5, 4.0]
    assert list(recs.top_rated["predicted"]) == pytest.approx([4.9, 3.0, 2.0])


def test_recommend_for_user_with_rated_indices():
    recs = recommend_for_user(FakeModel(), 1, rated=[1], k=2, min_ratings=0)
    assert list(recs.recommended["movie_idx"]) == [4, 2]
    assert recs.top_rated.empty


def test_top_rated_ties_go_to_the_more_rated_movie():
    movies = movies_table(3, n_ratings=[5, 50, 20])
    ratings = pd.DataFrame({"user_idx": [7, 7, 7], "movie_idx": [0, 1, 2], "rating": [4.0] * 3})
    assert list(top_rated_by_user(ratings, movies, 7)["movie_idx"]) == [1, 2, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user_idx": 0}, "Say what the user already rated"),
        ({"user_idx": 5, "rated": []}, "Unknown user"),
        ({"user_idx": 0, "rated": [99]}, "outside 0..6"),
        ({"user_idx": 0, "rated": [], "k": 0}, "k must be at least 1"),
        ({"user_idx": 0, "rated": [], "min_ratings": 1000}, "lower the min-ratings"),
        ({"user_idx": 0, "ratings": RATINGS.drop(columns="rating")}, "lacks the column"),
    ],
)
def test_bad_requests(kwargs, message):
    with pytest.raises(DataError, match=message):
        recommend_for_user(FakeModel(), **kwargs)


def test_a_user_who_rated_every_eligible_movie_gets_nothing_and_is_told_so():
    everything_popular = pd.DataFrame(
        {"user_idx": [0] * 6, "movie_idx": [0, 1, 2, 3, 4, 5], "rating": [4.0] * 6}
    )
    recs = recommend_for_user(FakeModel(), 0, ratings=everything_popular, k=3, min_ratings=10)
    assert recs.rated_everything and recs.n_eligible == 6 and recs.n_candidates == 0
    assert recs.recommended.empty and recs.least_recommended.empty
    assert "predicted" in recs.recommended.columns
    assert len(recs.top_rated) == 3
    # without the filter the obscure movie 6 is still there to recommend
    recs = recommend_for_user(FakeModel(), 0, ratings=everything_popular, k=3, min_ratings=0)
    assert not recs.rated_everything and list(recs.recommended["movie_idx"]) == [6]
    with pytest.raises(DataError, match="the user rated them all"):
        rank_movies(SCORES, FakeModel.movies, exclude=[0, 1, 2, 3, 4, 5], min_ratings=10)
    with pytest.raises(DataError, match="No movie has at least 500 ratings"):
        rank_movies(SCORES, FakeModel.movies, min_ratings=500)
