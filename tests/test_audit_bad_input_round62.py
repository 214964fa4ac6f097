"""Bad-input round 62 (tiny and lopsided data): an interval from 1-2 users, one gap read two
ways, untrained movies recommended, advice that cannot be followed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import paired, store
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import DataError
from movierate.explore import ordering
from movierate.explore.covariance import weighted_mean_and_covariance
from movierate.explore.neighbours import NeighbourIndex
from movierate.explore.recommend import (
    lists_table,
    rank_movies,
    untrained_text,
    with_training_counts,
)
from movierate.shown import counted
from movierate.spec import ModelSpec
from movierate.store import TrainedModel
from movierate.ui.widgets import starting_min_ratings


def _movies(n: int, train_counts=None) -> pd.DataFrame:
    movies = pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "movie_id": np.arange(1, n + 1),
            "title": [f"movie {i}" for i in range(1, n + 1)],
            "year": 2000,
            "genres": "Drama",
            "n_ratings": 1 if train_counts is None else np.maximum(train_counts, 1),
            "mean_rating": 3.0,
        }
    )
    if train_counts is not None:
        movies[TRAINING_COUNTS] = train_counts
    return movies


def _model(tmp_path, movies: pd.DataFrame, dim: int = 2) -> TrainedModel:
    arrays = {"movie_embedding": np.ones((len(movies), dim)), "user_embedding": np.ones((2, dim))}
    return TrainedModel("m", tmp_path, ModelSpec(dim=dim), {"history": {}}, arrays, movies)


# F1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_users", [1, 2, 5])
def test_the_embedding_gain_has_no_interval_below_the_six_user_floor(n_users):
    """F1: "+0.0017 ± 0.0000, the 95% interval over these rows' users" from one user; the
    rest of the product gives no interval under paired.interval_users() users."""
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(n_users), 4)
    first, second = rng.random(len(users)), rng.random(len(users))
    assert np.isnan(ordering._rmse_difference_interval(first, second, users))
    many = np.repeat(np.arange(paired.interval_users()), 4)
    assert (
        ordering._rmse_difference_interval(rng.random(len(many)), rng.random(len(many)), many) > 0
    )


def test_an_idle_embedding_on_one_user_gives_no_interval_and_no_chance_verdict(tmp_path):
    """F1: "+0.0002 ± 0.0000 ... within chance" on 1 early-stopping row of one user."""
    model = _model(tmp_path, _movies(3))
    gain = ordering.EmbeddingGain(1.9166, 1.9168, "early-stopping", 1, 18.0, None, 1)
    said = ordering.idle_embedding_text(model, gain)
    assert "±" not in said and "within chance" not in said and not gain.worse
    assert "on 1 early-stopping row it never trained on" in said
    assert "1 early-stopping user: too few for an interval" in said
    assert "too few users to tell a gain from chance" in said


def test_a_gain_beyond_its_interval_is_not_called_within_chance(tmp_path):
    """F1: the verdict read "within chance" whenever the rise was under 0.001, whatever its
    interval said (a zero-width interval made that self-contradictory)."""
    model = _model(tmp_path, _movies(3))
    gain = ordering.EmbeddingGain(1.0, 0.9995, "early-stopping", 900, 18.0, 0.0002, 60)
    said = ordering.idle_embedding_text(model, gain)
    assert "within chance" not in said
    assert "a gain beyond chance but under 0.001" in said
    assert "does not help its predictions by 0.001 or more" in said


# F2 -------------------------------------------------------------------------------------------


def _onemovie_metrics(half: float) -> dict:
    return {
        "test_rmse": 1.6794,
        "test_rmse_of_mean": 1.6749,
        "test_rmse_minus_mean": 0.0045,
        "test_rmse_minus_mean_ci95": half,
        "stop_rmse": 1.7,
        "stop_rmse_of_mean": 1.69,
    }


def test_the_few_rows_warning_agrees_with_the_paired_verdict():
    """F2: "+0.0045 ± 0.0044 ...: higher beyond the draw" and two lines below "a gap of 0.0045
    is within what so few rows give" in one `train` output."""
    split = {"n_test": 20, "n_stop": 18}
    beyond = store.worse_than_mean_note(_onemovie_metrics(0.0044), split)
    assert "within what so few rows give" not in beyond
    assert "beyond its paired interval (± 0.0044, 95%)" in beyond
    within = store.worse_than_mean_note(_onemovie_metrics(0.01), split)
    assert "a gap of 0.0045 is within what so few rows give" in within


# F3 -------------------------------------------------------------------------------------------


def test_a_movie_with_no_training_rating_is_never_ranked():
    """F3: a by-date split's 40 test-only movies topped the recommendations at "3.00" with the
    Min. ratings filter at 0."""
    movies = _movies(6, np.array([5, 3, 0, 0, 2, 0]))
    scores = np.array([3.0, 2.0, 4.0, 4.5, 1.0, 5.0])
    ranked = rank_movies(scores, movies, k=6, min_ratings=0)
    assert list(ranked["movie_idx"]) == [0, 1, 4]
    lowest = rank_movies(scores, movies, k=6, min_ratings=0, lowest=True)
    assert set(lowest["movie_idx"]) == {0, 1, 4}
    with pytest.raises(DataError, match="no training rating of any movie"):
        rank_movies(scores, _movies(6, np.zeros(6, dtype=int)), min_ratings=0)


def test_the_filter_starts_at_one_and_the_list_counts_training_ratings(tmp_path):
    """F3: under 50 movies with training ratings opened the filter at 0; the list's count
    column said 1 (every rating) of a movie with 0 training ratings."""
    movies = _movies(60, np.r_[np.full(20, 7), np.zeros(40, dtype=int)])
    model = SimpleNamespace(name="m", movies=movies)
    assert starting_min_ratings([model], 10) == 1
    ranked = rank_movies(np.arange(60.0), movies, k=3, min_ratings=0)
    assert list(with_training_counts(ranked, movies)["n_ratings"]) == [7, 7, 7]
    assert "no training rating of 40 movies this user has not rated" in untrained_text(
        "m", 40, ModelSpec(family="mf")
    )
    assert "of 1 movie this user has not rated: it is left out" in untrained_text(
        "m", 1, ModelSpec(family="mf")
    )
    # the download counts as the tables do, and says so (fuzz62 fixer's note)
    recs = SimpleNamespace(recommended=ranked, least_recommended=ranked.iloc[:1])
    table = lists_table(recs, movies)
    assert list(table["n_training_ratings"]) == [7, 7, 7, 7] and "n_ratings" not in table
    assert "mean_rating" not in table and "mean_of_all_ratings" in table
    assert list(table["list"]) == ["recommended"] * 3 + ["least recommended"]


# F4 -------------------------------------------------------------------------------------------


def test_few_users_advice_offers_a_per_user_split_only_where_it_gives_more():
    """F4: "a per-user split or more data gives more test users" on a per-user split and on
    one user's ratings."""
    for users, split_users in ((5, 5), (1, 1)):
        said = paired.few_users_text(users, per_user_split=split_users)
        assert "per-user split" not in said and "only ratings from more users" in said
    assert "a per-user split holds out 40 test users here" in paired.few_users_text(
        2, per_user_split=40
    )
    said = store.rmse_interval_text({"test_users": 5, "per_user_test_users": 5})
    assert "per-user split" not in said


def test_neighbours_of_the_only_movie_do_not_advise_a_lower_filter():
    """F4: "lower the min-ratings filter" where no other movie exists."""
    index = NeighbourIndex(np.ones((1, 2)), _movies(1, np.array([200])))
    with pytest.raises(DataError) as caught:
        index.nearest_to_vector(np.ones(2), min_ratings=10, exclude=[0])
    assert "no movie here other than the query" in str(caught.value)
    assert "lower the min-ratings filter" not in str(caught.value)


def test_a_covariance_of_one_weighted_row_says_so_in_words():
    """F4: "Only 1 row(s) have a positive weight ... Lower the min-ratings filter"."""
    with pytest.raises(DataError) as caught:
        weighted_mean_and_covariance(np.ones((3, 2)), np.array([1.0, 0.0, 0.0]))
    said = str(caught.value)
    assert "Only 1 row of 3 has a positive weight" in said and "row(s)" not in said
    assert "Lower the min-ratings filter where the view has one" in said


def test_dimensions_on_one_trained_movie_says_so(tmp_path):
    """F4: the Dimensions page, which has no min-ratings filter, told to lower one."""
    model = _model(tmp_path, _movies(2, np.array([1, 0])))
    with pytest.raises(DataError) as caught:
        ordering.dimension_report(model, [0, 1], [0, 1], [3.0, 4.0])
    said = str(caught.value)
    assert "only 1 movie of 2 has training ratings" in said
    assert "min-ratings" not in said


def test_counts_agree_with_their_nouns():
    """F4: "1 ratings", "(1 movies)", "1 early-stopping rows"."""
    assert counted(1, "rating") == "1 rating"
    assert counted(2, "movie") == "2 movies"
    assert counted(1, "early-stopping row") == "1 early-stopping row"
