"""synthetic_dataset: exact sizes, MovieLens-like skew, learnable structure, csv writer."""

from __future__ import annotations

import numpy as np
import pytest

from movierate.data import load_dataset, make_split, synthetic_dataset, write_movielens_csv
from movierate.errors import DataError


@pytest.fixture(scope="module")
def ds():
    return synthetic_dataset(60_000, seed=1)


def test_exact_sizes_distinct_pairs_and_full_coverage():
    ds = synthetic_dataset(3_000, n_users=60, n_movies=90, seed=3)
    assert (len(ds), ds.n_users, ds.n_movies) == (3_000, 60, 90)
    r = ds.ratings
    assert [str(t) for t in r.dtypes] == ["int32", "int32", "float32", "int64"]
    pairs = r["user_idx"].astype(np.int64) * ds.n_movies + r["movie_idx"]
    assert pairs.is_unique
    assert np.bincount(r["user_idx"], minlength=60).min() >= 1
    assert np.bincount(r["movie_idx"], minlength=90).min() >= 1


def test_same_seed_same_data(ds):
    again = synthetic_dataset(60_000, seed=1)
    other = synthetic_dataset(60_000, seed=2)
    assert again.fingerprint == ds.fingerprint and other.fingerprint != ds.fingerprint


def test_half_star_ratings_with_a_movielens_like_spread(ds):
    ratings = ds.ratings["rating"].to_numpy()
    assert set(np.unique(ratings)) <= set(np.arange(0.5, 5.01, 0.5))
    assert 3.0 < ratings.mean() < 4.0 and 0.8 < ratings.std() < 1.3
    assert ds.rating_scale.as_list() == [0.5, 5.0, 0.5]


def test_popularity_and_activity_are_skewed(ds):
    movie_counts = np.sort(np.bincount(ds.ratings["movie_idx"]))[::-1]
    user_counts = np.sort(np.bincount(ds.ratings["user_idx"]))[::-1]
    top_tenth = movie_counts[: len(movie_counts) // 10].sum() / movie_counts.sum()
    assert top_tenth > 0.35  # a uniform catalog would give 0.10
    assert user_counts[0] > 8 * np.median(user_counts)  # heavy-tailed activity


def test_planted_structure_is_learnable(ds):
    """Item means from training rows beat the global mean on held-out rows."""
    split = make_split(ds, seed=0)
    r = ds.ratings
    train, valid = r.iloc[split.train], r.iloc[split.test]
    global_mean = train["rating"].mean()
    means = train.groupby("movie_idx")["rating"].mean()
    counts = train.groupby("movie_idx").size()
    shrunk = (means * counts + global_mean * 5) / (counts + 5)
    predicted = valid["movie_idx"].map(shrunk).fillna(global_mean)
    rmse_global = np.sqrt(((valid["rating"] - global_mean) ** 2).mean())
    rmse_movie = np.sqrt(((valid["rating"] - predicted) ** 2).mean())
    assert rmse_movie < 0.95 * rmse_global


def test_movies_table_and_genres(ds):
    m = ds.movies
    assert m["title"].iloc[0] == "Synthetic movie 1"
    assert str(m["year"].dtype) == "Int64" and m["year"].notna().all()
    assert m["genres"].map(len).sum() > 0


def test_writer_round_trips_through_the_ml20m_layout(tmp_path):
    small = synthetic_dataset(5_000, n_users=100, n_movies=200, seed=4)
    folder = write_movielens_csv(small, tmp_path / "ml-20m")
    assert (folder / "ratings.csv").read_text().startswith("userId,movieId,rating,timestamp\n")
    assert (folder / "movies.csv").read_text().startswith("movieId,title,genres\n")
    loaded = load_dataset(folder)
    assert loaded.name == "ml-20m" and loaded.fingerprint == small.fingerprint
    assert loaded.movies["title"].tolist() == small.movies["title"].tolist()
    assert loaded.movies["year"].tolist() == small.movies["year"].tolist()
    assert loaded.movies["genres"].tolist() == small.movies["genres"].tolist()


def test_impossible_sizes():
    with pytest.raises(DataError, match="Cannot draw 10 ratings for 20 users"):
        synthetic_dataset(10, n_users=20, n_movies=5)
    with pytest.raises(DataError, match="at most one per"):
        synthetic_dataset(101, n_users=10, n_movies=10)
