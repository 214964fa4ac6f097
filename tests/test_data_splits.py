"""Splits: reproducible from a seed, recorded as JSON-safe data, each method's own guarantees."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from movierate.data import from_csv, make_split, synthetic_dataset
from movierate.data.dataset import RatingScale, RatingsDataset
from movierate.data.splits import legacy_digest
from movierate.errors import DataError


@pytest.fixture(scope="module")
def ds():
    return synthetic_dataset(20_000, n_users=300, n_movies=400, seed=5)


@pytest.mark.parametrize("method", ["random", "per_user", "temporal"])
def test_split_partitions_rows_and_is_reproducible(ds, method):
    split = make_split(ds, method=method, test_fraction=0.2, stop_fraction=0.25, seed=7)
    parts = (split.train, split.stop, split.test)
    both = np.concatenate(parts)
    assert np.array_equal(np.sort(both), np.arange(len(ds)))  # disjoint and covering
    for part in parts:
        assert part.dtype == np.int64 and np.all(np.diff(part) > 0)
    assert abs(len(split.test) / len(ds) - 0.2) < 0.02
    assert abs(len(split.stop) / (len(ds) - len(split.test)) - 0.25) < 0.02
    again = make_split(ds, method=method, test_fraction=0.2, stop_fraction=0.25, seed=7)
    for a, b in zip(parts, (again.train, again.stop, again.test), strict=True):
        assert np.array_equal(a, b)
    assert again.describe() == split.describe()
    described = json.loads(json.dumps(split.describe()))
    assert described == {
        "method": method,
        "seed": 7,
        "test_fraction": 0.2,
        "stop_fraction": 0.25,
        "n_train": len(split.train),
        "n_stop": len(split.stop),
        "n_test": len(split.test),
        "digest": split.digest,
        # a temporal split records how it broke timestamp ties (accuracy round 16)
        **({"ties": "seeded", "n_tied_test": split.n_tied_test} if method == "temporal" else {}),
    }


@pytest.mark.parametrize("method", ["random", "per_user"])
def test_other_seed_other_rows_other_digest(ds, method):
    a = make_split(ds, method=method, seed=1)
    b = make_split(ds, method=method, seed=2)
    assert not np.array_equal(a.test, b.test)
    assert not np.array_equal(a.stop, b.stop)
    assert a.describe()["digest"] != b.describe()["digest"]


def test_digest_covers_stop_and_test_rows(ds):
    split = make_split(ds, seed=3)
    moved = dataclasses.replace(
        split,
        stop=np.sort(np.append(split.stop[1:], split.train[0])),
        train=np.sort(np.append(split.train[1:], split.stop[0])),
    )
    assert moved.digest != split.digest
    swapped = dataclasses.replace(split, stop=split.test, test=split.stop)
    assert swapped.digest != split.digest


def test_random_split_defaults_are_ten_percent_test_then_ten_percent_stop(ds):
    split = make_split(ds)
    assert (split.method, split.seed, split.test_fraction, split.stop_fraction) == (
        "random",
        42,
        0.1,
        0.1,
    )
    assert len(split.test) == round(0.1 * len(ds))
    assert len(split.stop) == round(0.1 * (len(ds) - len(split.test)))


def test_test_rows_are_the_old_validation_rows(ds):
    """Models saved before three-part splits: their validation rows are today's test rows."""
    for method in ("random", "per_user", "temporal"):
        old = make_split(ds, method=method, valid_fraction=0.2, seed=9)
        new = make_split(ds, method=method, test_fraction=0.2, stop_fraction=0.3, seed=9)
        assert np.array_equal(old.test, new.test)
        assert legacy_digest(old) == legacy_digest(new)


def test_per_user_split_holds_out_each_users_share(ds):
    split = make_split(ds, method="per_user", test_fraction=0.25, seed=3)
    users = ds.ratings["user_idx"].to_numpy()
    counts = np.bincount(users, minlength=ds.n_users)
    held = np.bincount(users[split.test], minlength=ds.n_users)
    expected = np.clip(np.round(counts * 0.25), 1, counts - 1)
    expected[counts < 2] = 0
    assert np.array_equal(held, expected)
    rest = counts - held
    stopped = np.bincount(users[split.stop], minlength=ds.n_users)
    expected_stop = np.clip(np.round(rest * 0.1), 1, np.maximum(rest - 1, 0))
    expected_stop[rest < 2] = 0
    assert np.array_equal(stopped, expected_stop)


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
        split = make_split(ds, method=method, test_fraction=0.3, stop_fraction=0.3, seed=0)
        assert 0 in split.train
        user_of = ds.ratings["user_idx"].to_numpy()
        assert len(split.test) == 3 and set(user_of[split.test]) == {1}
        assert len(split.stop) == 2 and set(user_of[split.stop]) == {1}  # 30% of 7


def test_temporal_split_holds_out_each_users_latest_ratings():
    # rows are not in time order: the latest two of user 1 are rows 1 and 4, the next two 0, 3
    ts = [50, 900, 10, 20, 800, 30, 40, 1000, 5, 6]
    users = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    ds = tiny_dataset(users, list(range(10)), ts)
    split = make_split(ds, method="temporal", test_fraction=0.4, stop_fraction=0.34, seed=0)
    assert split.test.tolist() == [1, 4, 6, 7]
    assert split.stop.tolist() == [0, 5]
    ts = np.asarray(ts)
    for user in (1, 2):
        mine = np.flatnonzero(np.asarray(users) == user)
        test = np.intersect1d(mine, split.test)
        stop = np.intersect1d(mine, split.stop)
        train = np.intersect1d(mine, split.train)
        assert min(ts[test]) >= max(ts[stop]) >= max(ts[train])


def test_temporal_stop_rows_are_the_latest_of_each_users_training_part(ds):
    split = make_split(ds, method="temporal", seed=1)
    users = ds.ratings["user_idx"].to_numpy()
    ts = ds.ratings["timestamp"].to_numpy()
    for user in np.unique(users[split.stop])[:50]:
        stop = split.stop[users[split.stop] == user]
        train = split.train[users[split.train] == user]
        test = split.test[users[split.test] == user]
        assert ts[stop].min() >= ts[train].max()
        assert ts[test].min() >= ts[stop].max()


def test_temporal_split_needs_timestamps():
    ds = tiny_dataset([0, 0, 0, 1, 1], [0, 1, 2, 0, 1])
    with pytest.raises(DataError, match="no timestamps"):
        make_split(ds, method="temporal")


def test_official_split_test_rows_are_the_test_file(movielens_dir):
    from movierate.data import load_dataset

    ds = load_dataset(movielens_dir / "ml-100k")
    shipped = ds.official_splits["u1"]
    assert len(shipped.stop) == 0 and len(shipped.test) == 20_000
    split = make_split(ds, method="official:u1", stop_fraction=0.1, seed=4)
    assert np.array_equal(split.test, shipped.test)
    assert np.array_equal(np.sort(np.concatenate([split.train, split.stop])), shipped.train)
    assert len(split.stop) == 8_000 and not np.intersect1d(split.stop, split.train).size
    # the test rows are exactly the pairs of u1.test
    test_file = pd.read_csv(
        movielens_dir / "ml-100k" / "u1.test", sep="\t", names=["u", "m", "r", "t"]
    )
    rows = ds.ratings.iloc[split.test]
    got = set(zip(ds.user_ids[rows["user_idx"]], ds.movie_ids[rows["movie_idx"]], strict=True))
    assert got == set(zip(test_file["u"], test_file["m"], strict=True))
    again = make_split(ds, method="official:u1", stop_fraction=0.1, seed=4)
    assert np.array_equal(again.stop, split.stop) and again.digest == split.digest
    other = make_split(ds, method="official:u1", stop_fraction=0.1, seed=5)
    assert not np.array_equal(other.stop, split.stop)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "shuffle"}, "Unknown split method 'shuffle'"),
        ({"test_fraction": 0}, "test_fraction must be between 0 and 1"),
        ({"test_fraction": 1.5}, "test_fraction must be between 0 and 1"),
        ({"stop_fraction": 0}, "stop_fraction must be between 0 and 1"),
        ({"stop_fraction": 1}, "stop_fraction must be between 0 and 1"),
        ({"test_fraction": 0.1, "valid_fraction": 0.1}, "deprecated name"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"method": "official:u1"}, "has no official split 'u1'"),
    ],
)
def test_bad_split_arguments(ds, kwargs, message):
    with pytest.raises(DataError, match=message):
        make_split(ds, **kwargs)


@pytest.mark.parametrize("method", ["per_user", "temporal"])
def test_a_per_user_split_that_holds_out_nothing_is_refused(method):
    """Every user with one rating: a per-user split would save a model with no test rows,
    whose accuracy nothing measures."""
    ratings = pd.DataFrame(
        {
            "user": [1, 2, 3, 4],
            "item": [1, 2, 1, 2],
            "rating": [4, 3, 5, 2],
            "timestamp": [1, 2, 3, 4],
        }
    )
    ds = from_csv(ratings.to_csv(index=False).encode())
    with pytest.raises(DataError, match="holds out no rating.*random split"):
        make_split(ds, method, 0.2)
    assert len(make_split(ds, "random", 0.25).test) == 1
