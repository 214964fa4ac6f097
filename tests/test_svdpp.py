"""The svdpp family: trains, saves, reloads, predicts the same in numpy and Keras, explorable."""

from __future__ import annotations

import numpy as np
import pytest

from movierate import explore as ex
from movierate import scoring, store
from movierate.data import make_split, synthetic_dataset
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def trained():
    from movierate.nn.training import train

    ds = synthetic_dataset(n_ratings=3000, n_users=50, n_movies=80, seed=3)
    split = make_split(ds, "random", 0.2, seed=0)
    spec = ModelSpec(family="svdpp", dim=6, epochs=3, batch_size=256, learning_rate=0.02)
    return ds, split, spec, train(ds, split, spec)


def test_svdpp_has_both_biases_and_exports_the_implicit_table(trained):
    ds, _, spec, result = trained
    assert spec.has_user_bias and spec.has_movie_bias
    arrays = result.arrays
    assert arrays["implicit_embedding"].shape == (ds.n_movies, 6)
    assert arrays["user_factor"].shape == arrays["user_embedding"].shape == (ds.n_users, 6)
    assert scoring.shape_problem({k: v.shape for k, v in arrays.items()}, "svdpp", 6) is None


def test_user_vectors_are_p_plus_the_normalised_sum_over_training_movies_only(trained):
    ds, split, _, result = trained
    arrays = result.arrays
    users = ds.ratings["user_idx"].to_numpy()[split.train]
    movies = ds.ratings["movie_idx"].to_numpy()[split.train]
    y, p = arrays["implicit_embedding"], arrays["user_factor"]
    expected = p.copy()
    for user in range(ds.n_users):
        rated = movies[users == user]
        if len(rated):
            expected[user] += y[rated].sum(0) / np.sqrt(len(rated))
    np.testing.assert_allclose(arrays["user_embedding"], expected, atol=1e-5)
    # the validation rows' movies are not in N(u): adding them would change the vectors
    valid_users = ds.ratings["user_idx"].to_numpy()[split.test]
    assert len(valid_users) and not np.allclose(arrays["user_embedding"], p, atol=1e-6)


def test_numpy_equals_keras_before_and_after_a_save_and_reload(trained):
    ds, split, spec, result = trained
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    pairs = np.stack([users, movies], 1)
    keras_pred = result.keras_model.predict(pairs, verbose=0, batch_size=512).reshape(-1)
    numpy_pred = scoring.predict(result.arrays, spec, users, movies, ds.rating_scale)
    np.testing.assert_allclose(numpy_pred, keras_pred, atol=1e-4)

    store.save_model("svdpp-tiny", result, ds, split, spec)
    model = store.load_model("svdpp-tiny")
    assert model.spec.family == "svdpp"
    np.testing.assert_allclose(model.predict(users, movies), keras_pred, atol=1e-4)
    reloaded = model.keras_model().predict(pairs, verbose=0, batch_size=512).reshape(-1)
    np.testing.assert_allclose(reloaded, keras_pred, atol=1e-5)
    scores = model.score_all_movies(3)
    np.testing.assert_allclose(scores, model.predict(3, np.arange(ds.n_movies)), atol=1e-5)


def test_explore_functions_open_an_svdpp_model(trained):
    ds, split, spec, result = trained
    store.save_model("svdpp-explore", result, ds, split, spec)
    model = store.load_model("svdpp-explore")
    index = ex.neighbour_index(model)
    assert len(index.nearest(0, k=5)) == 5
    light_user = int(np.argmin(np.bincount(ds.ratings["user_idx"], minlength=ds.n_users)))
    recs = ex.recommend_for_user(model, light_user, ratings=ds.ratings, k=5, min_ratings=0)
    assert len(recs.recommended) == 5
    assert len(ex.model_dimension_importance(model)) > 0
    assert len(ex.model_norms_vs_popularity(model)) == ds.n_movies
    assert len(ex.pca_coordinates(model.movie_embedding, model.movies, min_ratings=0)) > 0
    # the implicit table is an explorable movie table too
    implicit = model.arrays["implicit_embedding"]
    assert len(ex.pca_coordinates(implicit, model.movies, min_ratings=0)) == ds.n_movies


def test_rate_folds_a_new_user_into_an_svdpp_model_with_the_trained_implicit_sum(trained):
    ds, split, spec, result = trained
    store.save_model("svdpp-rate", result, ds, split, spec)
    model = store.load_model("svdpp-rate")
    users = ds.ratings["user_idx"].to_numpy()[split.train]
    movies = ds.ratings["movie_idx"].to_numpy()[split.train]
    values = ds.ratings["rating"].to_numpy()[split.train]
    user = int(np.bincount(users).argmax())
    mine = {
        int(m): float(r) for m, r in zip(movies[users == user], values[users == user], strict=True)
    }
    fold = ex.fold_in(model, mine)
    # the implicit part is the one training gave this user over the same movies
    arrays = model.arrays
    np.testing.assert_allclose(
        fold.implicit.sum(0),
        arrays["user_embedding"][user] - arrays["user_factor"][user],
        atol=1e-5,
    )
    recs = ex.recommend_from_ratings(model, mine, k=5)
    assert len(recs.recommended) == 5
    assert not set(recs.recommended["movie_idx"]) & set(mine)
