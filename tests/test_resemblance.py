"""A near copy of a data set some settings were chosen on, under another name (accuracy round 8:
ml-latest-small less its last line lost the settings caveat, as its fingerprint differed)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import advice
from movierate.data import load_dataset_by_name, make_split
from movierate.data.build import RawData, build_dataset
from movierate.data.resemblance import MIN_SHARE, rating_keys, shares_from_known
from movierate.spec import ModelSpec
from movierate.store import copied_test_rows, settings_caveat


@pytest.fixture
def known(movielens_dir):
    """ml-latest-small (a test's own home: found through MOVIERATE_DATA_DIR, set per test)."""
    return load_dataset_by_name("ml-latest-small")


def copy_of(ds, rows: np.ndarray, name: str, *, text_ids: bool = True):
    """``ds``'s ``rows`` as a new upload: raw ids (users as text when ``text_ids``)."""
    r = ds.ratings.iloc[rows]
    users = ds.user_ids[r["user_idx"].to_numpy()]
    frame = pd.DataFrame(
        {
            "user": users.astype(str) if text_ids else users,
            "movie": ds.movie_ids[r["movie_idx"].to_numpy()],
            "rating": r["rating"].to_numpy(np.float64),
            "timestamp": r["timestamp"].to_numpy(),
        }
    )
    return build_dataset(RawData(frame, "ratings.csv", 2), name)


def test_a_near_copy_s_test_rows_are_found_among_the_known_ratings(known):
    less_one = copy_of(known, np.arange(len(known) - 1), "my-ratings")
    assert less_one.fingerprint != known.fingerprint
    split = make_split(less_one, "random", 0.1, seed=3)
    shares = shares_from_known(less_one, split.test, advice.CHOSEN_ON)
    assert shares["ml-latest-small"] == 1.0 and set(shares) == {"ml-latest-small"}
    # half of it, with the ratings of every other row changed: about half the test rows
    rows = np.arange(0, len(known), 2)
    half = copy_of(known, rows, "half")
    changed = half.ratings.copy()  # ds.ratings is read-only (bad-input round 24)
    changed.loc[changed.index[::2], "rating"] = 0.5 + (changed["rating"].iloc[::2] % 4.5)
    half = half.edited(changed, name="half-changed")
    share = shares_from_known(half, make_split(half, "random", 0.1, seed=3).test, advice.CHOSEN_ON)
    assert 0.4 < share["ml-latest-small"] < 0.65


def test_other_sets_share_only_chance_ratings(known):
    """ml-100k's users and movies have ids that ml-latest-small's also use: some ratings agree
    by chance (0.2-2% measured), under MIN_SHARE, so nothing is reported."""
    other = load_dataset_by_name("ml-100k")
    split = make_split(other, "random", 0.1, seed=42)
    assert shares_from_known(other, split.test, advice.CHOSEN_ON) == {}
    keys = rating_keys(other, split.test)
    assert 0 < np.isin(keys, rating_keys(known)).mean() < MIN_SHARE
    # the set itself, by name: its own caveat covers it
    assert (
        shares_from_known(known, make_split(known, "random", 0.1, seed=1).test, ["ml-latest-small"])
        == {}
    )


def test_the_caveat_names_a_model_trained_on_a_copy(known):
    model = SimpleNamespace(
        name="mine",
        dataset="my-ratings",
        spec=ModelSpec(),
        has_test_rows=True,
        meta={"dataset": {"name": "my-ratings", "test_rows_from": {"ml-latest-small": 0.999}}},
    )
    caveat = settings_caveat([model])
    assert caveat.startswith("Not quite unseen for mine: defaults")
    assert "99.9% are ratings of ml-latest-small" in caveat
    unrelated = SimpleNamespace(**{**vars(model), "meta": {"dataset": {"test_rows_from": {}}}})
    assert settings_caveat([unrelated]) is None
    damaged = {"dataset": {"test_rows_from": {"ml-100k": "x", "ml-latest-small": True}}}
    assert copied_test_rows(SimpleNamespace(meta=damaged)) == {}


def test_a_few_chance_matches_in_a_small_set_are_no_copy():
    """The recheck: random 200-rating sets with ids from 1 got the caveat in 17 of 30 draws (a
    handful of (user, movie, rating) triples that ml-100k also holds made 5-25% of their test
    rows); a copy matches thousands of rows."""
    rng = np.random.default_rng(0)
    flagged = 0
    for _ in range(10):
        users, movies = np.meshgrid(np.arange(1, 21), np.arange(1, 21))
        keep = rng.random(users.size) < 0.5
        frame = pd.DataFrame(
            {
                "user": users.ravel()[keep],
                "movie": movies.ravel()[keep],
                "rating": rng.choice([3.0, 4.0, 5.0], keep.sum(), p=[0.2, 0.5, 0.3]),
                "timestamp": 1,
            }
        )
        small = build_dataset(RawData(frame, "ratings.csv", 2), "club")
        split = make_split(small, "random", 0.1, seed=42)
        flagged += bool(shares_from_known(small, split.test, advice.CHOSEN_ON))
    assert flagged == 0
