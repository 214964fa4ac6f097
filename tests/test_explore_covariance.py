"""movierate.explore.covariance: known covariances, weighting and filtering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import (
    correlation_matrix,
    count_weights,
    covariance_matrix,
    eigen_spectrum,
    movie_weights,
    user_weights,
    variance_share,
)

# Four points whose covariance (n - 1 denominator) is diag(2/3, 8/3), mean zero.
CROSS = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])


def test_covariance_of_a_known_cross():
    cov = covariance_matrix(CROSS)
    np.testing.assert_allclose(cov.to_numpy(), [[2 / 3, 0.0], [0.0, 8 / 3]], atol=1e-6)
    assert cov.index.name == "dimension"


def test_variance_share_sums_to_one_and_matches_the_cross():
    share = variance_share(CROSS)
    np.testing.assert_allclose(share["share"], [0.2, 0.8], atol=1e-6)
    np.testing.assert_allclose(share["mean"], [0.0, 0.0], atol=1e-7)


def test_correlation_of_linked_and_dead_dimensions():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    x = np.column_stack([a, -2 * a + 1, rng.normal(size=200), np.zeros(200)])
    corr = correlation_matrix(x).to_numpy()
    assert corr[0, 1] == pytest.approx(-1.0, abs=1e-5)
    assert abs(corr[0, 2]) < 0.25
    assert np.isnan(corr[3]).all() and np.isnan(corr[:, 3]).all()  # a dead dimension
    assert corr[2, 2] == pytest.approx(1.0)


def test_eigen_spectrum_recovers_planted_variances_in_a_rotated_space():
    rng = np.random.default_rng(1)
    sd = np.array([3.0, 2.0, 1.0, 0.0])
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    x = (rng.normal(size=(40_000, 4)) * sd) @ q.T
    spectrum = eigen_spectrum(x)
    np.testing.assert_allclose(spectrum["eigenvalue"], sd**2, atol=0.15)
    assert spectrum["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert list(spectrum["component"]) == [1, 2, 3, 4]


def test_min_ratings_leaves_obscure_movies_out():
    x = np.vstack([CROSS, [[100.0, -100.0]]])
    movies = movies_table(5, n_ratings=[50, 50, 50, 50, 1])
    weights = movie_weights(movies, min_ratings=10)
    np.testing.assert_array_equal(weights, [1, 1, 1, 1, 0])
    filtered = covariance_matrix(x, weights=weights).to_numpy()
    np.testing.assert_allclose(filtered, covariance_matrix(CROSS).to_numpy(), atol=1e-6)
    assert covariance_matrix(x).to_numpy()[0, 0] > 1000  # unfiltered, the outlier dominates


def test_popularity_weighting_moves_the_mean_towards_popular_movies():
    x = np.array([[0.0], [1.0], [2.0]])
    movies = movies_table(3, n_ratings=[1, 1, 8])
    uniform = variance_share(x, weights=movie_weights(movies))["mean"].iloc[0]
    popular = variance_share(x, weights=movie_weights(movies, weighting="n_ratings"))
    assert uniform == pytest.approx(1.0)
    assert popular["mean"].iloc[0] == pytest.approx((0 + 1 + 16) / 10)


def test_count_weights_options():
    counts = np.array([0, 3, 99])
    np.testing.assert_allclose(count_weights(counts, weighting="log_n_ratings"), np.log1p(counts))
    np.testing.assert_allclose(
        count_weights(counts, min_count=5, weighting="n_ratings"), [0, 0, 99]
    )


def test_user_weights_count_each_users_ratings():
    ratings = pd.DataFrame({"user_idx": [0, 0, 0, 2], "movie_idx": [1, 2, 3, 1]})
    np.testing.assert_array_equal(user_weights(ratings, 4, min_ratings=1), [1, 0, 1, 0])
    np.testing.assert_array_equal(user_weights(ratings, 3, weighting="n_ratings"), [3, 0, 1])
    with pytest.raises(DataError, match="outside 0..1"):
        user_weights(ratings, 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: covariance_matrix(np.ones(5)), "matrix of shape"),
        (lambda: covariance_matrix(np.ones((1, 3))), "fewer than 2 rows, so it has no cov"),
        (lambda: covariance_matrix(np.full((3, 2), np.nan)), "NaN"),
        (lambda: covariance_matrix(CROSS, weights=[1, 1]), "one per embedding row"),
        (lambda: count_weights([1, 2], weighting="square"), "Unknown weighting"),
        (lambda: movie_weights(movies_table(3), min_ratings=-1), "0 or more"),
        (lambda: covariance_matrix(CROSS, weights=[0, 0, 0, 1]), "Lower the min-ratings"),
    ],
)
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(DataError, match=message):
        call()


def test_the_filter_is_advised_only_where_lowering_it_helps():
    from movierate.explore.validation import eligible_rows

    with pytest.raises(DataError, match="Lower the min-ratings filter"):
        eligible_rows(movies_table(30), 10_000, at_least=20)
    with pytest.raises(DataError, match="has 3 movie\\(s\\) in all and this analysis needs 20"):
        eligible_rows(movies_table(3), 0, at_least=20)
    with pytest.raises(DataError, match="has 3 movie\\(s\\) in all"):
        eligible_rows(movies_table(3), 5, at_least=20)


def test_a_set_in_a_dataset_without_genres_says_so():
    from movierate.explore.axes import set_rows

    movies = movies_table(4).assign(genres=[[] for _ in range(4)])
    with pytest.raises(DataError, match="nor part of a title; it has no genres\\.$"):
        set_rows(movies, "Comedy")
