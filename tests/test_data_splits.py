"""Splits: reproducible from a seed, recorded as JSON-safe data, each method's own guarantees."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from movierate.data import make_split, synthetic_dataset
from movierate.data.dataset import RatingScale, RatingsDataset
from movierate.errors import DataError


@pytest.fixture(scope="module")
def ds():
    return synthetic_dataset(20_000, n_users=300, n_movies=400, seed=5)


@pytest.mark.parametrize("method", ["random", "per_user", "temporal"])
def test_split_partitions_rows_and_is_reproducible(ds, method):
    split = make_split(ds, method=method, valid_fraction=0.2, seed=7)
    both = np.concatenate([split.train, split.valid])
    assert np.array_equal(np.sort(both), np.arange(len(ds)))
    assert split.train.dtype == np.int64 and split.valid.dtype == np.int64
    assert np.all(np.diff(split.train) > 0) and np.all(np.diff(split.valid) > 0)
    assert abs(len(split.valid) / len(ds) - 0.2) < 0.02
    again = make_split(ds, method=method, valid_fraction=0.2, seed=7)
    assert np.array_equal(again.valid, split.valid)
    assert again.describe() == split.describe()
    described = json.loads(json.dumps(split.describe()))
    assert described == {
        "method": method,
        "seed": 7,
        "valid_fraction": 0.2,
        "n_train": len(split.train),
        "n_valid": len(split.valid),
        "digest": split.digest,
    }


@pytest.mark.parametrize("method", ["random", "per_user"])
def test_other_seed_other_rows_other_digest(ds, method):
    a = make_split(ds, method=method, seed=1)
    b = make_split(ds, method=method, seed=2)
    assert not np.array_equal(a.valid, b.valid)
    assert a.describe()["digest"] != b.describe()["digest"]


def test_random_split_default_is_ten_percent(ds):
    split = make_split(ds)
    assert (split.method, split.seed, split.valid_fraction) == ("random", 42, 0.1)
    assert len(split.valid) == round(0.1 * len(ds))


def test_per_user_split_holds_out_each_users_share(ds):
    split = make_split(ds, method="per_user", valid_fraction=0.25, seed=3)
    users = ds.ratings["user_idx"].to_numpy()
    counts = np.bincount(users, minlength=ds.n_users)
    held = np.bincount(users[split.valid], minlength=ds.n_users)
    expected = np.clip(np.round(counts * 0.25), 1, counts - 1)
    expected[counts < 2] = 0
    assert np.array_equal(held, expected)


def tiny_dataset(users, movies, timestamps=None) -> RatingsDataset:
    """A hand-made dataset with original ids equal to the indices."""
    ratings = pd.DataFrame(
        {
            "user_idx": np.asarray(users, dtype=np.int32),
            "movie_idx": np.asarray(movies, dtype=np.int32),
            "rating": np.full(len(users), 3.0, dtype=np.float32),
            "timestamp": np.asarray(
                timestamps if timestamps is not None else np.zeros(len(users)), dtype=np.int64
            ),
        }
    )
    n_users, n_movies = max(users) + 1, max(movies) + 1
    return RatingsDataset(
        name="tiny",
        ratings=ratings,
        movies=pd.DataFrame({"movie_idx": np.arange(n_movies)}),
        user_ids=np.arange(n_users),
        movie_ids=np.arange(n_movies),
        rating_scale=RatingScale(1, 5, 1),
        fingerprint="0" * 16,
    )


def test_users_with_one_rating_stay_in_train():
    # user 0 has one rating, user 1 has ten
    ds = tiny_dataset([0] + [1] * 10, list(range(11)), timestamps=range(11))
    for method in ("per_user", "temporal"):
        split = make_split(ds, method=method, valid_fraction=0.3, seed=0)
        assert 0 in split.train
        assert len(split.valid) == 3 and set(ds.ratings["user_idx"].to_numpy()[split.valid]) == {1}


def test_temporal_split_holds_out_each_users_latest_ratings():
    # rows are not in time order: the latest two of user 1 are rows 1 and 4
    ts = [50, 900, 10, 20, 800, 30, 40, 1000, 5, 6]
    users = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    ds = tiny_dataset(users, list(range(10)), ts)
    split = make_split(ds, method="temporal", valid_fraction=0.4, seed=0)
    assert split.valid.tolist() == [1, 4, 6, 7]
    for user in (1, 2):
        mine = np.flatnonzero(np.asarray(users) == user)
        held = np.intersect1d(mine, split.valid)
        kept = np.setdiff1d(mine, split.valid)
        assert min(np.asarray(ts)[held]) >= max(np.asarray(ts)[kept])


def test_temporal_split_needs_timestamps():
    ds = tiny_dataset([0, 0, 0, 1, 1], [0, 1, 2, 0, 1])
    with pytest.raises(DataError, match="no timestamps"):
        make_split(ds, method="temporal")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "shuffle"}, "Unknown split method 'shuffle'"),
        ({"valid_fraction": 0}, "valid_fraction must be between 0 and 1"),
        ({"valid_fraction": 1.5}, "valid_fraction must be between 0 and 1"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"method": "official:u1"}, "has no official split 'u1'"),
    ],
)
def test_bad_split_arguments(ds, kwargs, message):
    with pytest.raises(DataError, match=message):
        make_split(ds, **kwargs)
