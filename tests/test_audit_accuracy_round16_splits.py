"""Accuracy review round 16, F1: a per-user temporal split broke timestamp ties by row order, so
a file whose timestamps tie (one value for all rows, sorted by rating) held out each user's
highest ratings, silently. Timestamps that order nothing are refused; ties are drawn with the
split seed and said; splits recorded with the row-order rule rebuild their rows as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate import paired, store
from movierate.data import from_csv, make_split
from movierate.data.splits import check_temporal
from movierate.errors import DataError
from movierate.pipeline import fold_stop_rows, model_rows, recorded_split

#: ml-100k's default temporal split (10% test, 10% stop, seed 42) as the row-order rule made it
#: before this round: the digest every such saved model recorded.
OLD_ML100K_DIGEST = "814f30d22840ab86"


def _ratings(n_users: int = 40, per_user: int = 20, *, timestamps: str = "one") -> pd.DataFrame:
    """Ratings sorted by user, then rating (an export order); ``timestamps``: "one" value for
    all, one "per_user", or "days" (a few distinct days per user, many ties)."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(n_users):
        ratings = np.sort(rng.integers(1, 6, per_user))
        for j, rating in enumerate(ratings):
            ts = {"one": 1_600_000_000, "per_user": 1_600_000_000 + user, "days": 86_400 * (j % 3)}
            rows.append((user, j, int(rating), ts[timestamps]))
    return pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])


def _dataset(tmp_path, timestamps: str):
    path = tmp_path / f"{timestamps}.csv"
    _ratings(timestamps=timestamps).to_csv(path, index=False)
    return from_csv(path, name=timestamps)


def test_a_constant_timestamp_column_is_no_timestamps(tmp_path):
    assert not _dataset(tmp_path, "one").has_timestamps
    assert _dataset(tmp_path, "per_user").has_timestamps  # it orders users, not a user's rows


@pytest.mark.parametrize(
    ("timestamps", "words"),
    [("one", "one timestamp (1600000000) for every rating"), ("per_user", "each user one")],
)
def test_a_temporal_split_of_timestamps_that_order_nothing_is_refused(tmp_path, timestamps, words):
    ds = _dataset(tmp_path, timestamps)
    with pytest.raises(DataError) as caught:
        make_split(ds, method="temporal")
    said = str(caught.value)
    assert words in said and "row order would choose" in said and "'per_user'" in said
    with pytest.raises(DataError, match="temporal split is impossible"):
        check_temporal(ds)


def test_ties_at_a_users_cut_are_drawn_with_the_seed_not_taken_from_the_file_end(tmp_path):
    """The old rule held out each user's highest ratings of a file sorted by rating."""
    ds = _dataset(tmp_path, "days")
    ratings = ds.ratings["rating"].to_numpy()
    splits = [make_split(ds, method="temporal", test_fraction=0.2, seed=s) for s in (1, 2)]
    old = make_split(ds, method="temporal", test_fraction=0.2, ties="row_order")
    assert ratings[old.test].mean() > ratings.mean() + 0.6  # the file's last rows: the highest
    for split in splits:
        assert abs(ratings[split.test].mean() - ratings.mean()) < 0.3
        record = split.describe()
        assert record["ties"] == "seeded" and record["n_tied_test"] == len(split.test)
    assert not np.array_equal(splits[0].test, splits[1].test)  # the seed draws among ties
    again = make_split(ds, method="temporal", test_fraction=0.2, seed=1)
    assert np.array_equal(again.test, splits[0].test) and again.digest == splits[0].digest
    # still the latest: no test row is older than a kept row of its user
    users, ts = ds.ratings["user_idx"].to_numpy(), ds.ratings["timestamp"].to_numpy()
    split = splits[0]
    for user in range(5):
        test = split.test[users[split.test] == user]
        kept = np.concatenate([split.train, split.stop])
        assert ts[test].min() >= ts[kept[users[kept] == user]].max()


def test_an_old_record_rebuilds_its_row_order_rows_and_a_new_one_its_seeded_rows(movielens_dir):
    from movierate.data import load_dataset

    ds = load_dataset(movielens_dir / "ml-100k")
    new = make_split(ds, method="temporal", seed=42)
    old_record = {k: v for k, v in new.describe().items() if k not in ("ties", "n_tied_test")}
    old_record["digest"] = OLD_ML100K_DIGEST
    rebuilt = recorded_split(ds, old_record)
    assert rebuilt.digest == OLD_ML100K_DIGEST and rebuilt.ties == "row_order"
    assert new.digest != OLD_ML100K_DIGEST and new.ties == "seeded"
    assert recorded_split(ds, new.describe()).digest == new.digest
    # a seeded record with the old digest is refused, not rebuilt on other rows
    with pytest.raises(DataError, match="digest differs"):
        recorded_split(ds, {**new.describe(), "digest": OLD_ML100K_DIGEST})
    assert new.n_tied_test == rebuilt.n_tied_test == 987  # the review's count: 9.9%
    # evaluate reads the count through model_rows: an old record's is counted on the rebuild
    # (the recheck of round 16 found it dropped there, so the row-order note never showed)
    assert model_rows(ds, old_record).n_tied_test == model_rows(ds, new.describe()).n_tied_test
    assert model_rows(ds, old_record).n_tied_test == 987
    assert model_rows(ds, make_split(ds, method="random", seed=42).describe()).n_tied_test is None
    assert fold_stop_rows(new).n_tied_test == 987


def test_the_share_of_test_rows_a_tie_chose_is_said_when_material():
    record = {"method": "temporal", "seed": 42, "n_test": 9988, "ties": "seeded"}
    seeded = store.ties_note({**record, "n_tied_test": 987})
    assert "Timestamp ties chose 10% of its test rows (987 of 9,988)" in seeded
    assert "split seed (42) drew" in seeded
    assert store.ties_note({**record, "n_tied_test": 50}) == ""  # under 1%
    old = {k: v for k, v in record.items() if k != "ties"}
    assert "the rows last in the file" in store.ties_note(old, 987)  # counted on a rebuild
    assert store.ties_note(old) == ""  # an old record alone does not know its count
    assert store.ties_note({"method": "random", "n_test": 10, "n_tied_test": 5}) == ""


def test_a_seed_that_drew_tied_test_rows_names_other_test_rows():
    """Two temporal models whose seeds drew among ties were tested on different rows."""
    base = {"method": "temporal", "test_fraction": 0.1, "n_test": 10, "ties": "seeded"}
    tied = [{**base, "seed": s, "n_tied_test": 3} for s in (1, 2)]
    untied = [{**base, "seed": s, "n_tied_test": 0} for s in (1, 2)]
    old = [{k: v for k, v in {**base, "seed": s}.items() if k != "ties"} for s in (1, 2)]
    assert paired.test_part(tied[0]) != paired.test_part(tied[1])
    assert paired.test_part(untied[0]) == paired.test_part(untied[1])
    assert paired.test_part(old[0]) == paired.test_part(old[1])


def test_cli_refuses_a_temporal_split_of_one_timestamp_and_says_ties(tmp_path, capsys):
    from movierate import cli

    path = tmp_path / "one.csv"
    _ratings(timestamps="one").to_csv(path, index=False)
    assert cli.main(["datasets", str(path), "--name", "onets"]) == 0
    capsys.readouterr()
    code = cli.main(["train", "onets", "--split", "temporal", "--epochs", "1", "--dim", "2"])
    err = capsys.readouterr().err
    assert code != 0 and "temporal split is impossible" in err and "Traceback" not in err
    assert not store.list_models()[0]
    days = tmp_path / "days.csv"
    _ratings(timestamps="days").to_csv(days, index=False)
    assert cli.main(["datasets", str(days), "--name", "days"]) == 0
    argv = ["train", "days", "--split", "temporal", "--split-seed", "3", "--epochs", "1"]
    assert cli.main([*argv, "--dim", "2", "--name", "t", "--quiet"]) == 0
    out = capsys.readouterr()
    assert "Timestamp ties chose" in out.err and "split seed (3) drew" in out.err
    assert store.read_meta("t")["split"]["ties"] == "seeded"


def test_train_page_refuses_a_temporal_split_of_one_timestamp(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from test_app_train import APP

    from movierate.ui import state

    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    path = tmp_path / "one.csv"
    _ratings(timestamps="one").to_csv(path, index=False)
    from_csv(path, save_as="onets")
    submitted = []
    registry = state.JobRegistry(runner=lambda *a: submitted.append(a), max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    next(w for w in at.selectbox if w.label == "Dataset").set_value("onets")
    next(w for w in at.selectbox if w.label == "Test split").set_value("temporal")
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("temporal split is impossible" in e for e in errors), errors
    assert not submitted
