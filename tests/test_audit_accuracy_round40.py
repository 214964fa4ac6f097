"""Accuracy round 40: the future is not a shuffled past. F1: the "temporal" split was per user
(other users' later ratings trained), and no split cut everybody at one date; F2: the most-rated
reference list counted popularity from ratings made after the scored user's test ratings; F3:
Rate's "from 3 ratings on" did not say the ratings given were a random draw; F4: one-line
summaries gave a test RMSE without its split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env, open_page

from movierate import cli, paired, pipeline, ranking, store
from movierate.data import from_csv, make_split
from movierate.data.splits import SPLIT_METHODS, check_time
from movierate.errors import DataError
from movierate.spec import ModelSpec
from movierate.ui import text
from movierate.ui.your_ratings import MEASURED_FOR_NEW_USERS


def _arrivals(n_users: int = 40, per_user: int = 20, *, timestamps: str = "arrive") -> pd.DataFrame:
    """Ratings of users who arrive one after another ("arrive": user u rates at u*1000 + j), in
    four blocks of ten users of one timestamp each ("blocks"), or with none ("none": all 0)."""
    rng = np.random.default_rng(1)
    rows = [
        (user, (user * 7 + j) % 60, int(rng.integers(1, 6)), user * 1000 + j)
        for user in range(n_users)
        for j in range(per_user)
    ]
    frame = pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])
    if timestamps == "blocks":
        return frame.assign(timestamp=frame["timestamp"] // 10_000)
    return frame.assign(timestamp=0) if timestamps == "none" else frame


def _dataset(tmp_path, timestamps: str = "arrive"):
    path = tmp_path / f"{timestamps}.csv"
    _arrivals(timestamps=timestamps).to_csv(path, index=False)
    return from_csv(path, name=timestamps)


def test_the_time_split_cuts_everybody_at_one_date(tmp_path):
    ds = _dataset(tmp_path)
    ts = ds.timestamps()
    split = make_split(ds, method="time", test_fraction=0.1, stop_fraction=0.1, seed=3)
    assert "time" in SPLIT_METHODS
    assert len(split.test) == round(0.1 * len(ds))
    assert len(split.stop) == round(0.1 * (len(ds) - len(split.test)))
    # no training or stop row is later than a test row, no training row later than a stop row
    assert ts[split.test].min() >= ts[np.concatenate([split.train, split.stop])].max()
    assert ts[split.stop].min() >= ts[split.train].max()
    assert split.test.tolist() == np.argsort(ts, kind="stable")[-len(split.test) :].tolist()
    # the seed draws nothing where no timestamp ties the cut: the same rows, one test part
    other = make_split(ds, method="time", test_fraction=0.1, stop_fraction=0.1, seed=4)
    assert other.digest == split.digest and split.describe()["n_tied_test"] == 0
    assert paired.test_part(split.describe()) == paired.test_part(other.describe())
    # and differs from the per-user temporal split's, so Compare will not pair the two
    temporal = make_split(ds, method="temporal", seed=3).describe()
    assert paired.test_part(split.describe()) != paired.test_part(temporal)


def test_the_seed_draws_among_ratings_at_the_cut_and_the_note_says_so(tmp_path):
    ds = _dataset(tmp_path, "blocks")
    splits = [make_split(ds, method="time", seed=seed) for seed in (1, 2)]
    assert splits[0].digest != splits[1].digest
    described = splits[0].describe()
    assert described["ties"] == "seeded" and described["n_tied_test"] == described["n_test"]
    assert paired.test_part(described) != paired.test_part(splits[1].describe())
    note = store.ties_note(described)
    assert "where the cut date falls among ratings of one timestamp" in note
    assert "split seed (1) drew" in note


def test_a_split_by_date_of_data_without_timestamps_is_refused(tmp_path):
    ds = _dataset(tmp_path, "none")
    with pytest.raises(DataError) as caught:
        make_split(ds, method="time")
    said = str(caught.value)
    assert "no timestamps" in said and "split by date is impossible" in said
    assert "'random'" in said and "import the data with the time" in said
    with pytest.raises(DataError, match="split by date is impossible"):
        check_time(ds)


def test_the_cli_trains_on_a_split_by_date_and_names_it(tmp_path, capsys):
    path = tmp_path / "arrive.csv"
    _arrivals().to_csv(path, index=False)
    assert cli.main(["datasets", str(path), "--name", "arrive"]) == 0
    capsys.readouterr()
    argv = ["train", "arrive", "--split", "time", "--epochs", "1", "--dim", "2", "--name", "t"]
    assert cli.main(argv) == 0
    out = capsys.readouterr()
    meta = store.read_meta("t")
    assert meta["split"]["method"] == "time"
    # F4: the summary line names the split; F1: the late users are cold, and said to be
    assert "test RMSE (by date 10%, from 1970-01-01 " in out.out  # its cut date (round 59, L1)
    assert "(first rated after the last training rating)" in out.err
    assert meta["metrics"]["test_unseen_rows"] == meta["split"]["n_test"]
    model = store.load_model("t")
    assert model.test_rows_text.startswith("by date 10%, from 1970-01-01 ")
    assert "test RMSE (by date 10%, from 1970-01-01 " in text.model_summary(model)
    # a CLI refusal of data without timestamps, with no stack trace
    _arrivals(timestamps="none").to_csv(tmp_path / "none.csv", index=False)
    assert cli.main(["datasets", str(tmp_path / "none.csv"), "--name", "none"]) == 0
    capsys.readouterr()
    assert cli.main(["train", "none", "--split", "time", "--epochs", "1", "--dim", "2"]) != 0
    err = capsys.readouterr().err
    assert "split by date is impossible" in err and "Traceback" not in err


def test_a_random_split_s_summary_names_no_split():
    split = {"method": "random", "seed": 42, "test_fraction": 0.1, "n_test": 10}
    assert store.split_aside(split) == ""
    temporal = {**split, "method": "temporal", "ties": "seeded", "n_tied_test": 0}
    assert store.split_aside(temporal) == " (per-user temporal 10%)"


@pytest.fixture(scope="module")
def temporal_model(movielens_dir, tmp_path_factory):
    """One small ml-100k model on the per-user temporal split: (model, dataset)."""
    home = tmp_path_factory.mktemp("temporal-home")
    with movierate_env(home, movielens_dir):
        spec = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=4096)
        name = pipeline.train_and_save("ml-100k", spec, "pt", {"method": "temporal"})
        loaded = store.load_model(name)
        return loaded, pipeline.dataset_of(loaded)


def _popular_hits_by_hand(loaded, ds, check) -> float:
    """The most-rated list's hit rate with each user's counts from the train and stop rows rated
    before that user's first test rating, in pandas."""
    rows = pipeline.model_rows(ds, loaded.meta["split"])
    r = ds.ratings
    seen = r.iloc[np.concatenate([rows.trained, rows.steered])]
    test = r.iloc[rows.test]
    counts = seen["movie_idx"].value_counts().reindex(range(ds.n_movies), fill_value=0)
    first_test = test.groupby("user_idx")["timestamp"].min()
    hits = []
    for user in check.users:
        mine = test[(test["user_idx"] == user) & (test["rating"] >= check.liked_from)]
        liked = set(mine["movie_idx"][counts[mine["movie_idx"]].to_numpy() >= 10])
        rated = set(seen.loc[seen["user_idx"] == user, "movie_idx"])
        before = seen[seen["timestamp"] < first_test[user]]["movie_idx"].value_counts()
        allowed = [m for m in range(ds.n_movies) if counts[m] >= 10 and m not in rated]
        popular = sorted(allowed, key=lambda m: (-before.get(m, 0), m))[:10]
        hits.append(bool(set(popular) & liked))
    return float(np.mean(hits))


def test_the_most_rated_list_counts_only_earlier_ratings_on_a_per_user_temporal_split(
    temporal_model,
):
    loaded, ds = temporal_model
    check = ranking.held_out_ranking(loaded, ds, k=10, min_ratings=10)
    assert check.popular_before_test
    assert check.popular_hit_rate == pytest.approx(_popular_hits_by_hand(loaded, ds, check))
    assert ranking.POPULAR_BEFORE_TEST in ranking.ranking_text(check)
    assert ranking.POPULAR_BEFORE_TEST in ranking.ranking_summary(check)  # Recommend's line
    # F4: the one-line summary names the split
    assert "test RMSE (per-user temporal 10%" in text.model_summary(loaded)


def test_on_a_split_by_date_every_counted_rating_precedes_the_test_rows(movielens_dir):
    from movierate.data import load_dataset

    ds = load_dataset(movielens_dir / "ml-100k")
    split = make_split(ds, method="time")
    ts = ds.timestamps()
    seen = np.concatenate([split.train, split.stop])  # the rows the most-rated list counts
    assert ts[seen].max() <= ts[split.test].min()


def test_the_train_page_offers_the_split_by_date_and_says_what_temporal_trains_on(
    trained_home,
):
    at = open_page("pages/train.py")
    split = next(w for w in at.selectbox if w.label == "Test split")
    assert "time" in split.options or any("By date" in o for o in split.options)
    assert any("others' later ratings train" in o for o in split.options)
    assert "no forecast of future ratings" in split.help


def test_rate_movies_says_the_given_ratings_were_a_random_draw():
    assert "drawn at random (not their first ones)" in MEASURED_FOR_NEW_USERS
    assert "went on to rate" not in MEASURED_FOR_NEW_USERS
