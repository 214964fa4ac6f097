"""movierate.explore.importance and .popularity: per-dimension importance, norms vs popularity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import dimension_importance, norms_vs_popularity, popularity_correlations


def _arrays(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    scale = np.array([3.0, 1.0, 0.0])  # dimension 2 is dead
    return {
        "movie_embedding": (rng.normal(size=(5000, 3)) * scale).astype(np.float32),
        "user_embedding": (rng.normal(size=(4000, 3)) * scale[::-1]).astype(np.float32),
    }


def test_variance_shares_of_a_dot_product_model():
    table = dimension_importance(_arrays())
    np.testing.assert_allclose(table["movie_variance_share"], [0.9, 0.1, 0.0], atol=0.02)
    np.testing.assert_allclose(table["user_variance_share"], [0.0, 0.1, 0.9], atol=0.02)
    assert "movie_input_norm" not in table.columns


def test_deep_models_add_the_first_dense_layer_norms():
    arrays = _arrays()
    arrays["first_dense_input_norms"] = np.array([1.0, 1.0, 2.0, 3.0, 0.0, 1.0])
    table = dimension_importance(arrays)
    assert list(table["user_input_norm"]) == [1.0, 1.0, 2.0]
    assert list(table["movie_input_norm"]) == [3.0, 0.0, 1.0]
    np.testing.assert_allclose(table["movie_input_share"], [0.75, 0.0, 0.25])
    kernel = np.arange(24, dtype=np.float64).reshape(6, 4)  # no stored norms: from the kernel
    arrays = {**_arrays(), "dense_0_kernel": kernel}
    np.testing.assert_allclose(
        dimension_importance(arrays)["user_input_norm"], np.linalg.norm(kernel, axis=1)[:3]
    )
    arrays["first_dense_input_norms"] = np.ones(4)
    with pytest.raises(DataError, match="expected \\(6,\\)"):
        dimension_importance(arrays)


def test_norm_and_bias_follow_popularity():
    counts = np.array([1, 3, 10, 30, 100, 300, 1000])
    x = np.outer(np.log1p(counts), [0.6, 0.8])  # norm grows with log popularity
    bias = -np.arange(7.0)  # bias falls as popularity rises
    movies = movies_table(7, n_ratings=counts)
    frame = norms_vs_popularity(x, movies, bias)
    np.testing.assert_allclose(frame["norm"], np.log1p(counts), rtol=1e-6)
    corr = popularity_correlations(frame)
    assert corr.loc["norm", "pearson_log_n_ratings"] == pytest.approx(1.0)
    assert corr.loc["norm", "spearman_n_ratings"] == pytest.approx(1.0)
    assert corr.loc["bias", "spearman_n_ratings"] == pytest.approx(-1.0)
    filtered = norms_vs_popularity(x, movies, None, min_ratings=10)
    assert len(filtered) == 5 and filtered["bias"].isna().all()
    # views round 10: no "bias | None | None | 0" row for a model without biases
    assert list(popularity_correlations(filtered).index) == ["norm"]


def test_a_one_user_model_has_movie_importance_and_no_user_share():
    """Bad-input round 5: a one-user data set's Embeddings page opened on 'This embedding has
    fewer than 2 rows' (its user embedding), though its 30 movie vectors have a covariance."""
    rng = np.random.default_rng(0)
    arrays = {"movie_embedding": rng.normal(size=(30, 3)), "user_embedding": np.ones((1, 3))}
    table = dimension_importance(arrays)
    assert np.isfinite(table["movie_variance_share"]).all()
    assert table["user_variance_share"].isna().all()


def test_barely_used_means_far_below_an_even_share_whatever_the_dimension():
    """Views review round 3: a fixed 1% called 33 of 96 evenly used dimensions (0.76-1.34%
    each) "barely used"; zeroing them cost 25% of the model's RMSE gain."""
    from movierate.explore import unused_dims_sentence

    rng = np.random.default_rng(0)
    even = rng.uniform(0.0076, 0.0134, 96)
    table = pd.DataFrame({"movie_variance_share": even / even.sum(), "user_variance_share": np.nan})
    assert unused_dims_sentence(table).startswith("Here every one of the 96 dimensions")
    dead = np.r_[np.full(6, 0.16), 0.0005, 0.0005]
    table = pd.DataFrame({"movie_variance_share": dead, "user_variance_share": dead})
    sentence = unused_dims_sentence(table)
    assert sentence.startswith("Here 2 of 8 dimensions (6, 7) hold under 1.25%")


def test_a_model_s_movie_shares_follow_the_weighting_picked():
    """Accuracy round 19b, F6: 'Use per dimension' sat under the Movie weighting box and showed
    the uniform shares whatever was picked."""
    from types import SimpleNamespace

    from movierate.explore import model_dimension_importance, movie_weights, variance_share

    arrays = _arrays()
    movies = movies_table(5000, n_ratings=np.arange(5000) % 97 + 1)
    movies["n_train_ratings"] = movies["n_ratings"] - 1
    model = SimpleNamespace(movies=movies, arrays=arrays)
    arrays["movie_embedding"][:, 1] *= 1 + movies["n_ratings"].to_numpy() / 10  # popular: wide
    for weighting in ("uniform", "n_ratings", "log_n_ratings"):
        weights = movie_weights(movies, min_ratings=5, weighting=weighting)
        expected = variance_share(arrays["movie_embedding"], weights=weights)["share"]
        shares = model_dimension_importance(model, min_ratings=5, weighting=weighting)
        np.testing.assert_allclose(shares["movie_variance_share"], expected)
    uniform = model_dimension_importance(model, min_ratings=5)["movie_variance_share"]
    weighted = model_dimension_importance(model, min_ratings=5, weighting="n_ratings")
    assert weighted["movie_variance_share"].iloc[1] > uniform.iloc[1] + 0.01
