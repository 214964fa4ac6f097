"""Accuracy round 56, findings 3 and 4, and accuracy round 55, finding 1."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from apptest_helpers import open_page
from test_explore_helpers import random_mf_bias_model

from movierate import ranking, scoring, store
from movierate.data import load_dataset, make_split
from movierate.explore.recommend import rankable, untrained_prediction
from movierate.spec import ModelSpec
from movierate.ui import state


@pytest.fixture(scope="module")
def split_model(movielens_dir):
    """A random mf_bias "model" of ml-100k (no training needed: the check only scores it), its
    dataset and split, and the movies with early-stopping rows but no training row."""
    ds = load_dataset(movielens_dir / "ml-100k")
    split = make_split(ds, "random", 0.1, seed=0)
    movies = ds.ratings["movie_idx"].to_numpy()
    trained = np.bincount(movies[split.train], minlength=ds.n_movies) > 0
    stop_only = np.zeros(ds.n_movies, bool)
    stop_only[movies[split.stop]] = True
    stop_only &= ~trained
    assert stop_only.sum() > 5, "the split has too few movies known only from stop rows"
    model = random_mf_bias_model(ds, split, (1.0, 5.0, 1.0))
    return model, ds, split, stop_only


def test_f3_the_list_check_counts_training_rows_as_recommend_does(split_model):
    """The check counted train + early-stopping rows for its "min ratings", Recommend's lists
    training rows only: at 1, movies with only stop rows (random-start vectors) were candidates
    of the check and of its random baseline."""
    model, ds, split, stop_only = split_model
    trained_table = store.with_training_counts(ds, split.train)  # what Recommend filters on
    movies, users = ds.ratings["movie_idx"].to_numpy(), ds.ratings["user_idx"].to_numpy()
    seen = np.concatenate([split.train, split.stop])
    for min_ratings in (1, 3):
        check = ranking.held_out_ranking(model, ds, k=10, min_ratings=min_ratings)
        assert isinstance(check, ranking.RankingCheck), check
        allowed = rankable(trained_table, min_ratings)
        assert not (allowed & stop_only).any()
        candidates = []
        for user in check.users:
            mine = allowed.copy()
            mine[movies[seen][users[seen] == user]] = False
            candidates.append(int(mine.sum()))
        assert check.median_candidates == float(np.median(candidates))
        assert f"among the movies with {min_ratings}+ training ratings" in ranking.ranking_text(
            check
        )
    # the untrained movies scored highest of all: still in no list
    boosted = SimpleNamespace(**vars(model))
    boosted.arrays = {
        **model.arrays,
        "movie_bias": np.where(stop_only, 50.0, model.arrays["movie_bias"]).astype(np.float32),
    }
    scores = scoring.score_all_movies(boosted.arrays, boosted.spec, 0, (1, 5), clip=False)
    assert scores[stop_only].min() > scores[~stop_only].max()  # they would top every list
    before = ranking.held_out_ranking(model, ds, k=10, min_ratings=1)
    assert ranking.held_out_ranking(boosted, ds, k=10, min_ratings=1) == before


@pytest.mark.parametrize(
    ("spec", "said", "unsaid"),
    [
        (ModelSpec(family="mf_bias"), "the mean rating plus this user's bias plus start noise", ""),
        (ModelSpec(family="svdpp"), "the mean rating plus this user's bias plus start noise", ""),
        (ModelSpec(family="mf"), "the mean rating plus start noise", "bias"),
        (ModelSpec(family="mf", user_bias=True), "the mean rating plus this user's bias", ""),
        (ModelSpec(family="deep"), "the network's output for that movie's untrained", "bias"),
        (ModelSpec(family="autorec"), "learned per user", "start noise"),
        (ModelSpec(family="mf_bias", output="sigmoid"), "noise (", "plus this user's bias ("),
    ],
)
def test_f4_the_untrained_note_says_what_each_family_adds(spec, said, unsaid):
    """Recommend said "the mean rating plus start noise" of mf_bias, which adds the user's own
    bias too (its movie bias stays 0)."""
    text = untrained_prediction(spec)
    assert said in text and (not unsaid or unsaid not in text)
    assert text.endswith("through the model's sigmoid") == (spec.output == "sigmoid")


def test_f4_an_mf_bias_prediction_for_an_untrained_movie_is_what_the_note_says():
    """g + b_u + u.m_start for mf_bias (movie bias 0), g + u.m_start for mf."""
    rng = np.random.default_rng(1)
    arrays = {
        "user_embedding": rng.normal(0, 0.1, (3, 4)).astype(np.float32),
        "movie_embedding": rng.normal(0, 0.1, (5, 4)).astype(np.float32),
        "user_bias": np.array([0.7, -1.0, 0.2], np.float32),
        "movie_bias": np.zeros(5, np.float32),  # an untrained movie's bias stays at its start
        "global_mean": np.float32(3.5),
    }
    noise = arrays["movie_embedding"] @ arrays["user_embedding"][1]
    got = scoring.score_all_movies(arrays, ModelSpec(family="mf_bias"), 1, (1, 5), clip=False)
    np.testing.assert_allclose(got, 3.5 - 1.0 + noise, atol=1e-6)
    plain = {k: v for k, v in arrays.items() if "bias" not in k}
    got = scoring.score_all_movies(plain, ModelSpec(family="mf"), 1, (1, 5), clip=False)
    np.testing.assert_allclose(got, 3.5 + noise, atol=1e-6)


def test_f4_recommend_says_the_user_s_bias_is_added_for_mf_bias(trained_home):
    at = open_page("pages/recommend.py", models=["small-mf", "small-deep"], user="1")
    said = " ".join(c.value for c in at.caption)
    assert "small-mf has no training rating of" in said
    assert "a prediction for one is the mean rating plus this user's bias plus start noise" in said
    assert "a prediction for one is the network's output" in said  # small-deep: no user bias


def test_f1_a_comma_list_of_models_in_a_link_names_several(trained_home):
    """acc55 F1: ?models=a,b was refused ("it contains ','") and the page opened on others."""
    assert state.split_names(["a,b", "c", " d ,"]) == ["a", "b", "c", "d"]
    assert state.split_names([","]) == [","]  # nothing to read: refused as a name, as before
    at = open_page("pages/compare.py", models="small-mf,small-deep")
    assert not [w.value for w in at.warning if "Ignored ?" in w.value]
    assert at.multiselect(key="models").value == ["small-mf", "small-deep"]  # the link's order
    assert at.query_params["models"] == ["small-mf", "small-deep"]
    at = open_page("pages/recommend.py", models="small-deep,no-such-model", user="1")
    assert at.multiselect(key="models").value == ["small-deep"]  # the saved one kept
    said = " ".join(w.value for w in at.warning)
    assert "Ignored ?models=no-such-model from the link: there is no saved model named" in said
