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

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
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


def test_a_user_who_rated_every_eligible_movie_gets_a_clear_flag_not_a_filter_hint():
    everything = pd.DataFrame(
        {"user_idx": [0] * 7, "movie_idx": list(range(7)), "rating": [4.0] * 7}
    )
    recs = recommend_for_user(FakeModel(), 0, ratings=everything, k=3, min_ratings=0)
    assert recs.all_rated and recs.recommended.empty and recs.least_recommended.empty
    assert "rated every eligible movie" in recs.message and "lower" not in recs.message.lower()
    assert list(recs.recommended.columns)[:2] == ["rank", "movie_idx"]
    assert len(recs.top_rated) == 3
    # rated every movie the filter lets through: the message says how to see the others
    six = everything[everything["movie_idx"] != 6]
    recs = recommend_for_user(FakeModel(), 0, ratings=six, k=3, min_ratings=10)
    assert recs.all_rated and "1 unrated other" in recs.message
    one = recommend_for_user(FakeModel(), 0, ratings=everything, k=3, min_ratings=1).message
    assert "with at least 1 rating)" in one  # the noun agrees (recheck 11: "1 training ratings")
    with pytest.raises(DataError, match="already rated") as info:
        rank_movies(SCORES, FakeModel.movies, exclude=range(7), min_ratings=0)
    assert "at least 0 ratings; lower" not in str(info.value)
    normal = recommend_for_user(FakeModel(), 0, ratings=RATINGS, k=2, min_ratings=10)
    assert not normal.all_rated and normal.message is None and len(normal.recommended) == 2


class UnclippedModel(FakeModel):
    """A model whose output is not clipped (output "none"): it predicts past the 0.5-5 scale."""

    rating_scale = (0.5, 5.0, 0.5)

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        return np.array([5.6, 4.5, 0.2, 4.8, 1.0, 3.0, 5.0], dtype=np.float32)


def test_shown_predictions_are_clipped_to_the_scale_and_the_caption_says_so():
    from movierate.ui.text import predictions_scale_text

    recs = recommend_for_user(UnclippedModel(), 0, rated=[], k=3, min_ratings=10)
    assert list(recs.recommended["movie_idx"]) == [0, 3, 1]  # ranked before the clip
    assert recs.recommended["predicted"].max() == 5.0
    assert recs.least_recommended["predicted"].min() == 0.5
    shown = recs.shown
    assert (shown.n_shown, shown.n_outside) == (6, 2)
    assert shown.raw_max == pytest.approx(5.6) and shown.raw_min == pytest.approx(0.2)
    sentence = predictions_scale_text("s_none", shown)
    assert "0.20 to 5.60" in sentence and "2 of 6 lie outside the dataset's 0.5–5 scale" in sentence
    assert "clipped" in sentence
    inside = recommend_for_user(UnclippedModel(), 0, rated=[0, 2], k=2, min_ratings=10).shown
    assert inside.n_outside == 0
    assert "lie within the dataset's 0.5–5 scale" in predictions_scale_text("m", inside)
    assert recommend_for_user(FakeModel(), 0, rated=[], k=2).shown is None  # no scale: as is


def _clipped_mf(raw: list[float]):
    """A real mf_bias model's arrays (output "clip", 0.5-5) whose one user scores ``raw``."""
    from types import SimpleNamespace

    from movierate.spec import ModelSpec

    arrays = {
        "user_embedding": np.ones((1, 1), np.float32),
        "movie_embedding": np.asarray(raw, np.float32)[:, None] - 3.0,
        "movie_bias": np.zeros(len(raw), np.float32),
        "user_bias": np.zeros(1, np.float32),
        "global_mean": np.array([3.0], np.float32),
    }
    spec = ModelSpec(family="mf_bias", dim=1, output="clip")
    return SimpleNamespace(arrays=arrays, spec=spec, rating_scale=(0.5, 5.0, 0.5))


def test_movies_a_clipped_model_puts_past_the_top_keep_its_order():
    """Accuracy round 14: every movie past 5 tied at 5, and which of them made a top-10 list
    (Recommend, Rate, the held-out ranking check) was np.argpartition's choice."""
    from movierate import scoring

    raw = [5.2, 4.0, 6.1, 5.6, 1.0, 3.0, 5.9]
    m = _clipped_mf(raw)
    clipped = scoring.score_all_movies(m.arrays, m.spec, 0, m.rating_scale)
    before = scoring.score_all_movies(m.arrays, m.spec, 0, m.rating_scale, clip=False)
    assert clipped.tolist() == pytest.approx([5.0, 4.0, 5.0, 5.0, 1.0, 3.0, 5.0])
    assert before.tolist() == pytest.approx(raw)

    class Clipped(FakeModel):
        rating_scale = m.rating_scale

        def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
            return scoring.score_all_movies(m.arrays, m.spec, 0, m.rating_scale, clip=clip)

    recs = recommend_for_user(Clipped(), 0, rated=[], k=3, min_ratings=0)
    assert list(recs.recommended["movie_idx"]) == [2, 6, 3]
    assert list(recs.recommended["predicted"]) == [5.0, 5.0, 5.0]  # what the model predicts
    assert "_order" not in recs.recommended.columns
    # the recheck (s28): "all 6 lie within the scale", unsaid that three tied at its top
    from movierate.ui.text import predictions_scale_text

    said = predictions_scale_text("m", recs.shown)
    assert "m caps its predictions at the dataset's 0.5–5 scale." in said
    # accuracy round 19: the two lists the count covers are named
    assert "3 of the 6 shown (recommended, least recommended) are capped at an end" in said
    assert "scores behind them run from 5.60 to 6.10, and each ranked list is ordered by" in said


def test_a_film_listed_under_two_ids_is_neither_recommended_again_nor_listed_twice():
    """ml-100k lists 19 films twice (e.g. Chasing Amy as 246 and 268): rated under one id, the
    film is not recommended under the other, and a ranking shows it once."""
    movies = movies_table(7, n_ratings=N_RATINGS)
    movies["identity"] = [f"title:film {i}|1990" for i in range(7)]
    movies.loc[3, "identity"] = movies.loc[0, "identity"]  # rows 0 and 3: one film,
    movies.loc[3, "title"] = movies.loc[0, "title"]  # written alike (bad-input round 60, F1)
    top = rank_movies(SCORES, movies, exclude=[0], k=3, min_ratings=10)
    assert list(top["movie_idx"]) == [1, 5, 2]  # 3 is movie 0's twin: rated
    both = rank_movies(SCORES, movies, k=3, min_ratings=10)
    assert list(both["movie_idx"]) == [0, 1, 5]  # 3 (4.8) is film 0 again: shown once
    untitled = movies.assign(identity="title:|")  # no usable identities: no twins
    assert list(rank_movies(SCORES, untitled, k=3, min_ratings=10)["movie_idx"]) == [0, 3, 1]
