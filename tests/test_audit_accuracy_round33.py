"""Accuracy round 33 (leakage through which rows exist): a model is determined by its training
rows, early-stopping rows, spec and seed; test rows, and users or movies known only from them,
change neither its weights (F1) nor the L2 penalty it reports (F2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate.data import Split, synthetic_dataset
from movierate.data.build import RawData, build_dataset
from movierate.data.dataset import RatingsDataset
from movierate.nn import training
from movierate.nn.models import build_model, initial_rows
from movierate.spec import ModelSpec


def _rows() -> pd.DataFrame:
    """A small data set by original ids, each row a train, stop or test row; ids are spaced
    (x 10) so that ids added later sort between them."""
    ds = synthetic_dataset(6_000, n_users=300, n_movies=120, seed=4)
    frame = pd.DataFrame(
        {
            "user": ds.user_ids[ds.ratings["user_idx"]] * 10,
            "movie": ds.movie_ids[ds.ratings["movie_idx"]] * 10,
            "rating": ds.ratings["rating"].to_numpy(),
        }
    )
    role = np.random.default_rng(1).choice(["train", "stop", "test"], len(frame), p=[0.7, 0.1, 0.2])
    return frame.assign(role=role)


def _dataset(frame: pd.DataFrame, name: str) -> tuple[RatingsDataset, Split]:
    """The data set of ``frame`` (rows sorted by user and movie id), built as a file's rows
    are, and its split by role."""
    frame = frame.sort_values(["user", "movie"], kind="stable").reset_index(drop=True)
    raw = RawData(frame.assign(timestamp=0).drop(columns="role"), f"{name}.csv", 2)
    ds = build_dataset(raw, name)
    role = frame["role"].to_numpy()
    parts = {part: np.flatnonzero(role == part) for part in ("train", "stop", "test")}
    return ds, Split("fixed", None, 0.2, 0.1, parts["train"], parts["stop"], parts["test"])


@pytest.fixture(scope="module")
def copies() -> tuple[tuple[RatingsDataset, Split], tuple[RatingsDataset, Split]]:
    """``orig``: the rows plus test-only movies (ids between the others) and test-only users;
    ``other``: the same train and stop rows, half of the other test rows deleted (the test-only
    movies vanish with them: every later movie's index shifts) and other test-only users added
    (more of them: the user table is larger)."""
    frame = _rows()
    rng = np.random.default_rng(2)
    base_users = frame["user"].unique()
    test_only_movies = pd.DataFrame(
        {"user": rng.choice(base_users, 40), "movie": rng.choice([15, 305, 605], 40)}
    )
    test_only_movies = test_only_movies.drop_duplicates().assign(rating=4.0, role="test")
    test_rows = frame[frame["role"] == "test"]

    def clones(offset: int, n: int) -> pd.DataFrame:
        picked = test_rows.iloc[:n]
        return picked.assign(user=picked["user"] + offset)  # ids between the real users'

    orig = pd.concat([frame, test_only_movies, clones(3, 200)])
    kept = frame[(frame["role"] != "test") | (np.arange(len(frame)) % 2 == 0)]
    other = pd.concat([kept, clones(7, 600)])
    return _dataset(orig, "orig"), _dataset(other, "other")


def _by_id(result, ds: RatingsDataset, key: str, ids: np.ndarray) -> np.ndarray:
    """The trained rows of table ``key`` of the users / movies with original ``ids``."""
    table = np.asarray(result.arrays[key])
    side = ds.user_ids if key.startswith("user") else ds.movie_ids
    return table[np.searchsorted(side, ids)]


@pytest.mark.parametrize(
    "changes",
    [
        {"initializer": "normal"},
        {"initializer": "uniform"},
        {"initializer": "glorot_uniform"},
        {"initializer": "he_normal"},
        {"family": "deep", "hidden_units": (8,), "initializer": "he_normal"},
        {"family": "svdpp", "initializer": "glorot_uniform"},
        {"regularizers": {"l2": 0.01, "whitening": 0.01, "adversarial": 0.01}},
        {"family": "autorec", "initializer": "glorot_uniform", "regularizers": {"l2": 1.0}},
    ],
)
def test_test_rows_change_neither_the_model_nor_its_l2_penalty(copies, changes):
    """F1 / F2: the same train / stop rows, spec and seed give the same trained vectors for
    every shared user and movie, and the same logged losses, whichever test rows exist (before:
    removing a movie shifted every later movie's starting vector; glorot / he scaled by the
    table's rows, test-only users included; reg_l2 averaged over untrained rows too)."""
    (ds_a, split_a), (ds_b, split_b) = copies
    assert ds_a.n_movies > ds_b.n_movies and ds_a.n_users < ds_b.n_users
    for part in ("train", "stop"):  # the very same rows (by original ids, in order)
        a = ds_a.ratings.iloc[getattr(split_a, part)]
        b = ds_b.ratings.iloc[getattr(split_b, part)]
        assert np.array_equal(ds_a.user_ids[a["user_idx"]], ds_b.user_ids[b["user_idx"]])
        assert np.array_equal(ds_a.movie_ids[a["movie_idx"]], ds_b.movie_ids[b["movie_idx"]])
    spec = ModelSpec(**{"dim": 6, "epochs": 2, "batch_size": 256, "seed": 3, **changes})
    spec = spec.validate()
    a, b = training.train(ds_a, split_a, spec), training.train(ds_b, split_b, spec)
    trained = ds_a.ratings.iloc[split_a.train]
    users = np.unique(ds_a.user_ids[trained["user_idx"]])
    movies = np.unique(ds_a.movie_ids[trained["movie_idx"]])
    for key in a.arrays:
        if key.startswith(("user", "movie", "implicit")) and np.ndim(a.arrays[key]) >= 1:
            ids = users if key.startswith("user") else movies
            np.testing.assert_allclose(
                _by_id(a, ds_a, key, ids), _by_id(b, ds_b, key, ids), atol=1e-5, err_msg=key
            )
    for key, value in a.metrics.items():
        assert b.metrics[key] == pytest.approx(value, rel=1e-4, abs=1e-6, nan_ok=True), key
    if "l2" in spec.regularizers and spec.family != "autorec":
        assert a.metrics["reg_l2"] > 0


def test_a_row_starts_from_its_own_id():
    """F1: a row's starting vector depends on (seed, table, id) only, never on which other
    ids exist; glorot / he take their scale from the fan given (rows with training ratings)."""
    ids = np.array([3, 17, 40, 41, 900], np.int64)
    for name in ("normal", "uniform", "glorot_uniform", "he_normal"):
        whole = initial_rows(name, 5, "movie_embedding", ids, 8, fan=4)
        part = initial_rows(name, 5, "movie_embedding", ids[[0, 2, 4]], 8, fan=4)
        np.testing.assert_array_equal(whole[[0, 2, 4]], part)
        other_table = initial_rows(name, 5, "user_embedding", ids, 8, fan=4)
        assert not np.allclose(whole, other_table)
        assert not np.allclose(whole, initial_rows(name, 6, "movie_embedding", ids, 8, fan=4))
    text = np.array(["b", "a", "c"], dtype=object)  # text ids hash the same in every process
    np.testing.assert_array_equal(
        initial_rows("normal", 1, "user_embedding", text, 4, 3)[1],
        initial_rows("normal", 1, "user_embedding", text[1:2], 4, 3)[0],
    )
    wide = initial_rows("glorot_uniform", 1, "user_embedding", np.arange(20_000), 8, fan=100)
    assert np.abs(wide).max() == pytest.approx(np.sqrt(6 / (100 + 8)), rel=1e-3)
    he = initial_rows("he_normal", 1, "user_embedding", np.arange(20_000), 8, fan=50)
    assert he.std() == pytest.approx(np.sqrt(2 / 50), rel=0.03)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 50) / 0.87962566103423978
    normal = initial_rows("normal", 1, "user_embedding", np.arange(20_000), 8, fan=1)
    assert normal.std() == pytest.approx(0.05, rel=0.03) and abs(normal.mean()) < 1e-3


def test_build_model_draws_the_start_it_is_given():
    """A model built for a data set starts each table's rows from its ids; two sizes of table
    share the rows of the ids they share."""
    from movierate.nn.models import Start

    spec = ModelSpec(dim=4, seed=2).validate()
    small = build_model(spec, 3, 2, 3.0, (1.0, 5.0), start=Start.of(
        np.array([1, 5, 9]), np.array([2, 4]), np.array([0, 1, 2]), np.array([0, 1])
    ))  # fmt: skip
    large = build_model(spec, 4, 3, 3.0, (1.0, 5.0), start=Start.of(
        np.array([1, 2, 5, 9]), np.array([2, 3, 4]), np.array([0, 2, 3]), np.array([0, 2])
    ))  # fmt: skip
    user_small = small.user_embedding.embeddings.numpy()
    user_large = large.user_embedding.embeddings.numpy()
    np.testing.assert_array_equal(user_small, user_large[[0, 2, 3]])
    movie_small = small.movie_embedding.embeddings.numpy()
    np.testing.assert_array_equal(movie_small, large.movie_embedding.embeddings.numpy()[[0, 2]])


def test_show_says_which_rows_the_l2_penalty_averages():
    """F2: ``show`` labels the L2 penalty as the mean over rows with a training rating."""
    from movierate.cli.models import _metric_text

    assert "rows with a training rating" in _metric_text("reg_l2")
    assert _metric_text("reg_whitening") == "whitening penalty (raw, kept epoch)"
