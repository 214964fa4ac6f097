"""Accuracy round 18, findings 4 and 5: what the min-ratings filters count, and whose users
make the fold-in's prior.

F4: every filter meant to keep out movies whose vectors and biases are noise counted every
rating, test rows included, so test rows alone decided which neighbours were listed (18 of the
100 most-rated films' lists changed between twins that differ only in test rows). They now
count the ratings the model trained on (``n_train_ratings``) where its table records them.
F5: the fold-in's prior (the "average trained user") averaged users with test rows only.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_explore_foldin import FakeModel
from test_explore_helpers import movies_table

from movierate import pipeline
from movierate.errors import DataError
from movierate.explore import (
    NeighbourIndex,
    align_models,
    fold_in,
    genre_coherence,
    rank_movies,
    rare_neighbours_note,
    recommend_from_ratings,
)
from movierate.explore.compare import neighbour_sets
from movierate.explore.covariance import movie_weights
from movierate.explore.neighbours import few_ratings_note, rating_filter
from movierate.explore.validation import eligible_rows

N = 40
#: Movie 1: 12 ratings in the dataset, 8 of them training rows (Love in the Afternoon's case).
TEST_ONLY_PASS = 1


def counted_movies(n: int = N) -> pd.DataFrame:
    """A table whose training counts sit below the filter of 10 where all rows reach it."""
    movies = movies_table(n, n_ratings=[50] * n)
    train = np.full(n, 45)
    movies.loc[TEST_ONLY_PASS, "n_ratings"] = 12
    train[TEST_ONLY_PASS] = 8
    return movies.assign(n_train_ratings=train)


def test_filter_counts_read_training_ratings_where_recorded():
    from movierate.explore.validation import counted_ratings, filter_counts

    movies = counted_movies()
    assert filter_counts(movies)[TEST_ONLY_PASS] == 8
    assert counted_ratings(movies) == "training ratings"
    old = movies.drop(columns="n_train_ratings")  # a model saved before those counts
    assert filter_counts(old)[TEST_ONLY_PASS] == 12
    assert counted_ratings(old) == "ratings"


def test_neighbours_leave_out_a_movie_that_passes_only_through_test_rows():
    movies = counted_movies()
    embedding = np.random.default_rng(0).normal(size=(N, 4)).astype(np.float32)
    embedding[TEST_ONLY_PASS] = embedding[0] * 1.01  # the closest movie to movie 0
    assert not rating_filter(movies, 10)[TEST_ONLY_PASS]
    found = NeighbourIndex(embedding, movies).nearest(0, k=5, min_ratings=10)
    assert TEST_ONLY_PASS not in set(found["movie_idx"])
    assert TEST_ONLY_PASS in set(
        NeighbourIndex(embedding, movies).nearest(0, k=5, min_ratings=8)["movie_idx"]
    )


def test_the_notes_count_as_the_filter_does():
    movies = counted_movies()
    movies["n_train_ratings"] = 20  # all rows: 50 each, above 3 x 10
    note = rare_neighbours_note(movies, np.arange(10), 10)
    assert note is not None and "fewer than 30 training ratings" in note
    movies.loc[0, "n_train_ratings"] = 1
    assert "1 training rating:" in few_ratings_note(movies, 0)


def test_recommendations_filter_on_training_ratings_and_say_so():
    movies = counted_movies()
    scores = np.linspace(3.0, 4.0, N)
    scores[TEST_ONLY_PASS] = 5.0  # the best-predicted movie
    picked = rank_movies(scores, movies, k=5, min_ratings=10)
    assert TEST_ONLY_PASS not in set(picked["movie_idx"])
    with pytest.raises(DataError, match="at least 46 training ratings"):
        rank_movies(scores, movies, k=5, min_ratings=46)


def test_fold_in_recommendations_filter_on_training_ratings():
    model = FakeModel()
    model.movies = counted_movies(len(model.movies))
    model.arrays["movie_bias"][TEST_ONLY_PASS] = 5.0  # everyone's top pick by far
    recs = recommend_from_ratings(model, {0: 4.0, 2: 3.0}, k=5, min_ratings=10)
    assert TEST_ONLY_PASS not in set(recs.recommended["movie_idx"])


def test_maps_coherence_covariance_and_comparisons_use_training_counts():
    movies = counted_movies()
    embedding = np.random.default_rng(1).normal(size=(N, 4)).astype(np.float32)
    assert TEST_ONLY_PASS not in eligible_rows(movies, 10)
    with pytest.raises(DataError, match="at least 46 training ratings"):
        eligible_rows(movies, 46)
    assert movie_weights(movies, min_ratings=10)[TEST_ONLY_PASS] == 0
    coherence = genre_coherence(embedding, movies, k=3, min_ratings=10)
    assert TEST_ONLY_PASS not in set(coherence.per_movie["movie_idx"])
    sets = neighbour_sets(embedding, movies, embedding, movies, min_ratings=10)
    assert TEST_ONLY_PASS not in set(sets.rows_a) and sets.training_counts
    with pytest.raises(DataError, match="in model A's training rows"):
        neighbour_sets(embedding, movies, embedding, movies, min_ratings=46)
    layout = align_models(embedding, movies, embedding, movies, min_ratings=10)
    assert TEST_ONLY_PASS not in set(layout.rows_a)
    with pytest.raises(DataError, match="in both models' training rows"):
        align_models(embedding, movies, embedding, movies, min_ratings=46)


def fake_split(monkeypatch, model: FakeModel, trained_users: list[int]) -> None:
    """Give ``model`` a recorded split whose training rows belong to ``trained_users`` only."""
    ratings = pd.DataFrame({"user_idx": trained_users, "movie_idx": 0, "rating": 4.0})
    model.meta = {"split": {"kind": "random"}}
    monkeypatch.setattr(pipeline, "dataset_of", lambda m: SimpleNamespace(ratings=ratings))
    monkeypatch.setattr(
        pipeline,
        "model_rows",
        lambda ds, described: SimpleNamespace(trained=np.arange(len(trained_users))),
    )


def test_the_prior_is_the_mean_of_the_users_training_moved(monkeypatch):
    model = FakeModel()
    n_users = len(model.arrays["user_embedding"])
    trained = list(range(n_users - 50))  # the last 50 users have test rows only
    model.arrays["user_embedding"][-50:] = 0.0  # at their initial draw, near 0
    model.arrays["user_bias"][-50:] = 0.0
    fake_split(monkeypatch, model, trained)
    fold = fold_in(model, {0: 4.0})
    users = model.arrays["user_embedding"][trained].astype(np.float64)
    bias = model.arrays["user_bias"][trained].astype(np.float64)
    assert np.allclose(fold.prior_mean, np.r_[users.mean(axis=0), bias.mean()])
    variance = np.r_[users.var(axis=0), bias.var()]
    assert np.allclose(fold.precision, fold.noise_variance / variance)
    assert fold.prior_note == ""


def test_a_prior_over_every_row_says_why(monkeypatch):
    model = FakeModel()
    model.meta = {"split": {"kind": "random"}}

    def missing(m):
        raise DataError("Dataset 'gone' is not here.")

    monkeypatch.setattr(pipeline, "dataset_of", missing)
    recs = recommend_from_ratings(model, {0: 4.0, 2: 3.0}, k=5)
    users = model.arrays["user_embedding"].astype(np.float64)
    assert np.allclose(recs.fold.prior_mean[:-1], users.mean(axis=0))
    assert "over all 200 user rows" in recs.message and "'gone' is not here" in recs.message


def test_the_pages_say_what_the_filter_and_the_ratings_column_count():
    from pathlib import Path

    from movierate.ui.widgets import MOVIE_COLUMN_CONFIG

    column = str(MOVIE_COLUMN_CONFIG["n_ratings"])
    assert "test rows included" in column and "trained on" in column
    for page in ("pages/neighbours.py", "pages/recommend.py", "movierate/ui/your_ratings.py"):
        source = Path(__file__).parents[1].joinpath(page).read_text()
        source = re.sub(r'"\s*\n\s*"', "", source)  # strings split over lines, joined
        assert "test rows do not count" in source, page


def test_the_map_estimate_and_the_filters_start_count_what_the_filter_counts():
    """The map's "N movies, about S s" and the min-ratings slider's starting value read the
    same counts as the filter (the estimate said 2,269 movies for a map of 1,958)."""
    from movierate.ui import widgets

    movies = counted_movies(120)
    model = SimpleNamespace(name="m", movies=movies)
    assert widgets.map_cost_text(model, "pca", {"min_ratings": 10}).startswith("119 movies")
    movies.loc[:, "n_train_ratings"] = np.arange(120)
    assert widgets.starting_min_ratings([model], 10**6) == 120 - widgets.MIN_KEPT


def test_the_views_say_they_count_training_ratings():
    """Recheck N1/N2: the filters count training ratings, so the captions and the popularity
    sentence say so (they said "at least 10 ratings" over 1,958 of 2,269 such movies)."""
    from movierate.explore.popularity import popularity_sentence
    from movierate.ui import text, widgets

    assert (
        text.movies_counted(10, "training ratings")
        == "the movies with at least 10 training ratings"
    )
    assert text.movies_counted(1, "training ratings").endswith("at least 1 training rating")
    model = SimpleNamespace(name="m", movies=counted_movies())
    old = SimpleNamespace(name="old", movies=counted_movies().drop(columns="n_train_ratings"))
    assert widgets.counted_in([model]) == "training ratings"
    assert widgets.counted_in([model, old]) == "ratings"
    table = pd.DataFrame(
        {"pearson_log_n_ratings": [0.3], "spearman_n_ratings": [0.3], "n_movies": [39]},
        index=["norm"],
    )
    said = popularity_sentence(table, "m", 10, "training ratings")
    assert "39 movies with at least 10 training ratings" in said and "test rows included" in said


def test_the_min_ratings_slider_says_what_it_counts_once():
    from movierate.ui import widgets

    class Box:
        def slider(self, label, lo, hi, value, **kwargs):
            self.help = kwargs.get("help")
            return value

    model = SimpleNamespace(name="m", movies=counted_movies(120))
    box = Box()
    widgets.min_ratings_slider([model], "Min. ratings", 0, 100, 10, key="k", container=box)
    assert box.help.endswith("test rows do not count.")
    said = "Only those it trained on count; test rows do not count."
    widgets.min_ratings_slider([model], "x", 0, 100, 10, key="k", container=box, help=said)
    assert box.help == said
    old = SimpleNamespace(name="old", movies=counted_movies(120).drop(columns="n_train_ratings"))
    widgets.min_ratings_slider([old], "x", 0, 100, 10, key="k", container=box)
    assert box.help is None
