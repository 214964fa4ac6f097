"""Bad-input round 27: degenerate data shapes (2 users, 3-5 movies, constant ratings, 8 test
rows) through every view. Each statistic, verdict and caption says nothing the data cannot
support; where it cannot say something, it says why in movies, users or rows."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import explore, store
from movierate.explore import analogy, covariance, foldin, pca, quality
from movierate.ui import explore_views


def _users(n: int, mean_rating=None, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_idx": np.arange(n),
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "n_ratings": rng.integers(5, 50, n),
            "mean_rating": rng.uniform(1, 5, n) if mean_rating is None else mean_rating,
        }
    )


def test_users_map_gives_no_correlation_of_two_users():
    """F2: 2 users gave '+1.000' for every correlation against a noise bound of 1.960."""
    said = explore_views.users_map_text(_users(2), [1.0, 0.0])
    assert "+1.000" not in said and "1.960" not in said
    assert "need at least 10 users; this model has 2 users" in said


def test_users_map_says_a_shared_mean_rating_correlates_with_nothing():
    """F2: every rating 4 printed 'with mean rating: PC 1 +nan, PC 2 +nan'."""
    said = explore_views.users_map_text(_users(60, mean_rating=4.0), [0.28, 0.16])
    assert "nan" not in said
    assert "Every user's mean rating is the same (4), so it correlates with nothing" in said
    assert "with activity: PC 1" in said


def test_users_map_leaves_out_a_component_without_variance():
    said = explore_views.users_map_text(_users(30), [1.0, 0.0])
    assert "PC 2 holds no variance" in said and "PC 2 +" not in said and "PC 2 -" not in said


def test_users_map_of_one_trained_user_is_not_called_imported(monkeypatch):
    """F3: a model trained here on one user was 'an embedding imported from elsewhere'."""
    said = []
    monkeypatch.setattr(explore_views.st, "info", lambda text, **_: said.append(text))
    monkeypatch.setattr(explore_views.st, "stop", lambda: said.append("stop"))
    monkeypatch.setattr(explore_views, "is_imported", lambda model: False)
    model = SimpleNamespace(name="solo", arrays={"user_embedding": np.zeros((1, 4))})
    explore_views.require_users(model, "the users map")
    assert said == [
        "The users map needs two users or more; solo knows one. Train a model on ratings "
        "from more users.",
        "stop",
    ]


def test_probes_advice_names_no_filter_the_view_lacks():
    """F7: the probes view said 'Lower the min-ratings filter'; it has no such control."""
    movies = pd.DataFrame({"n_ratings": [2, 1, 1], "train_ratings": [2, 1, 1]})
    from movierate.data.movies import TRAINING_COUNTS

    movies = movies.rename(columns={"train_ratings": TRAINING_COUNTS})
    said = explore_views.probes_left_out(SimpleNamespace(name="two", movies=movies))
    assert "Lower the min-ratings filter" not in said
    assert "need 20 movies with at least 20" in said and "most-rated movie has 2" in said
    many = movies.iloc[[0] * 25].assign(**{TRAINING_COUNTS: 40, "n_ratings": 40})
    assert explore_views.probes_left_out(SimpleNamespace(name="big", movies=many)) == ""


def _movies(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "movie_id": np.arange(1, n + 1),
            "title": [f"Movie {i}" for i in range(n)],
            "year": 1980 + np.arange(n),
            "genres": ["Drama"] * n,
            "n_ratings": np.full(n, 50),
            "mean_rating": np.full(n, 3.5),
        }
    )


def test_pca_ends_never_share_a_movie_nor_list_a_component_without_variance():
    """F5: with 3 movies both ends listed all 3, and a '0.0% of the variance' component had
    its own ends."""
    x = np.random.default_rng(0).normal(size=(3, 8))
    ends = pca.pca_extremes(x, _movies(3), n_components=3, n_movies=8, min_ratings=0)
    assert ends["component"].nunique() == 2  # 3 movies span 2 directions
    for _, rows in ends.groupby("component"):
        top = set(rows.loc[rows["end"] == "top", "movie_idx"])
        bottom = set(rows.loc[rows["end"] == "bottom", "movie_idx"])
        assert top and bottom and not top & bottom
    note = pca.extremes_note(ends, n_components=3, n_movies=8)
    assert note.startswith("3 movies are counted here: each end lists 1 movie, not 8")
    assert "only 2 of the 3 components asked for hold any variance" in note
    big = np.random.default_rng(1).normal(size=(40, 8))
    full = pca.pca_extremes(big, _movies(40), n_components=3, n_movies=8, min_ratings=0)
    assert pca.extremes_note(full, n_components=3, n_movies=8) == ""


def test_covariance_captions_say_when_movies_are_fewer_than_dimensions():
    """F6: 5 movies in 16 dimensions gave 'the first 4 of 16 reach 90%' as a finding."""
    x = np.random.default_rng(0).normal(size=(5, 16))
    for sentence in (
        covariance.matrix_sentence(covariance.correlation_matrix(x), "correlation"),
        covariance.matrix_sentence(covariance.covariance_matrix(x)),
        covariance.spectrum_sentence(covariance.eigen_spectrum(x)),
    ):
        assert sentence.startswith("Only 5 movies are counted for 16 dimensions: 5 points span")
    weights = np.r_[np.ones(5), np.zeros(20)]
    filtered = covariance.eigen_spectrum(
        np.random.default_rng(2).normal(size=(25, 16)), weights=weights
    )
    assert "Lower the min-ratings filter to count more of its 25 movies" in (
        covariance.spectrum_sentence(filtered)
    )
    enough = np.random.default_rng(0).normal(size=(40, 16))
    assert not covariance.spectrum_sentence(covariance.eigen_spectrum(enough)).startswith("Only")


def test_map_trust_never_counts_all_the_other_movies_as_neighbours():
    """F6: a 3-movie map 'kept 100% of each movie's 2 nearest neighbours'."""
    x = np.random.default_rng(0).normal(size=(3, 8))
    trust = quality.map_trust(x, x[:, :2], [["Drama"], ["Comedy"], ["Drama"]], k=10)
    assert trust.k == 1


def test_worse_than_mean_from_few_held_out_rows_draws_no_verdict():
    """F8: 8 test and 7 early-stopping rows told of 'a data problem'."""
    metrics = {"test_rmse": 0.5003, "test_rmse_of_mean": 0.5002, "stop_rmse": 0.5351,
               "stop_rmse_of_mean": 0.5429}  # fmt: skip
    split = {"n_train": 65, "n_stop": 7, "n_test": 8}
    said = store.reference_warning(metrics, split)
    assert "data problem" not in said and "behave unlike" not in said
    assert "over 8 test and 7 early-stopping rating(s) (under 30 each)" in said
    assert "data problem" in store.worse_than_mean_note(metrics)  # no split: as before
    assert "(under 30 test ratings)" in store.split_note(
        {"n_train": 300, "n_stop": 30, "n_test": 27}
    )
    assert "30 test and 27 early-stopping rating(s) (under 30 early-stopping ratings)" in (
        store.split_note({"n_train": 300, "n_stop": 27, "n_test": 30})
    )


def test_no_rmse_over_one_seen_row():
    """F10: 'over the other 1 rows it is 1.0454'."""
    said = store.unseen_note({"test_unseen_rows": 39, "test_rmse_seen": 1.0454}, {"n_test": 40})
    assert "1.0454" not in said and "1 rows" not in said
    assert said.endswith("(only 1 other row, too few for an RMSE of their own).")


def test_fold_in_says_when_every_prediction_ties():
    """F9: a model trained on one rating value 'chose 1' among predictions 3.60-3.61."""
    assert "cannot rank them" in foldin.tied_predictions(np.array([3.604, 3.61, 3.607]), (1, 5))
    assert foldin.tied_predictions(np.array([2.5, 4.1, 3.0]), (1, 5)) == ""


def test_analogy_with_every_candidate_listed_draws_no_verdict():
    """F11: with 5 movies, the 2 left were 'among A's own 2 nearest neighbours' by force."""
    x = np.random.default_rng(0).normal(size=(5, 4))
    result = analogy.movie_analogy(x, _movies(5), 0, 1, 2)
    assert not result.caveat and "mostly reflects A" not in result.message
    assert result.message.startswith("Only 2 movie(s) are left besides A, B and C")
    many = analogy.movie_analogy(
        np.random.default_rng(0).normal(size=(60, 4)), _movies(60), 0, 1, 2
    )
    assert not many.message.startswith("Only")


@pytest.mark.parametrize("value", [None, float("nan")])
def test_compare_space_notes_keep_only_text(value):
    """F4: a None note became NaN beside another model's string; NaN is truthy: 'nan' box."""
    import ast
    from pathlib import Path

    source = Path(__file__).parents[1].joinpath("pages", "compare.py").read_text()
    line = next(s for s in source.splitlines() if 'space.pop("coherence note")' in s)
    expression = ast.parse(line.strip().split("=", 1)[1].strip(), mode="eval")
    column = pd.DataFrame([{"coherence note": value}, {"coherence note": "b: no coherence"}])
    kept = eval(compile(expression, "<notes>", "eval"), {"space": column})  # noqa: S307
    assert kept == ["b: no coherence"]
    assert explore.few_rows_note(3, 8, 3).startswith("Only 3 movies are counted for 8")
