"""Accuracy protocol audit: test ratings change nothing that training, early stopping or any
choice of settings makes (weights, global mean, inferred scale, trials, refit, ensemble, blend
weight); cold-start test rows are counted; benchmarks clip to the scale training used and choose
their comparators on stop rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate import scoring, store
from movierate.data import RatingsDataset, Split, make_split, synthetic_dataset
from movierate.data.build import RawData, build_dataset
from movierate.spec import ModelSpec

#: Test ratings get values no train or stop rating has (9 stretches the inferred scale to 0-10).
ODD_RATING = 9.0


def _raw_frame(n_ratings: int = 1500, seed: int = 3) -> pd.DataFrame:
    base = synthetic_dataset(n_ratings=n_ratings, n_users=40, n_movies=70, seed=seed)
    ratings = base.ratings
    return pd.DataFrame(
        {
            "user": base.user_ids[ratings["user_idx"].to_numpy()],
            "movie": base.movie_ids[ratings["movie_idx"].to_numpy()],
            "rating": ratings["rating"].to_numpy(np.float64),
            "timestamp": ratings["timestamp"].to_numpy(np.int64),
        }
    )


def _build(frame: pd.DataFrame) -> RatingsDataset:
    """A dataset built as an upload is (scale inferred from every rating)."""
    return build_dataset(RawData(frame.copy(), "ratings.csv", 2), "audit")


def _changed(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame`` with the ratings at ``rows`` changed (flipped, three of them off the scale)."""
    out = frame.copy()
    old = out.loc[rows, "rating"].to_numpy()
    out.loc[rows, "rating"] = np.where(old > 3, 0.5, 5.0)
    out.loc[rows[:3], "rating"] = ODD_RATING
    return out


@pytest.fixture(scope="module")
def pair() -> tuple[RatingsDataset, RatingsDataset, Split, pd.DataFrame]:
    """The same data twice, the second with every test rating changed; the split and the raw
    frame (to change other rows)."""
    frame = _raw_frame()
    ds = _build(frame)
    split = make_split(ds, "random", seed=1)
    changed = _build(_changed(frame, split.test))
    assert changed.rating_scale != ds.rating_scale  # inferred from all ratings: test ones too
    assert make_split(changed, "random", seed=1).digest == split.digest
    return ds, changed, split, frame


def _same_arrays(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


SPECS = {
    "mf_bias": ModelSpec(dim=4, epochs=2),
    "deep": ModelSpec(family="deep", dim=4, epochs=2, hidden_units=(4,), output="sigmoid"),
    "svdpp": ModelSpec(family="svdpp", dim=4, epochs=2),
    "autorec": ModelSpec(family="autorec", dim=8, epochs=2, regularizers={"l2": 10.0}),
    "ordered": ModelSpec(dim=6, epochs=2, regularizers={"l2": 0.1, "ordered": 0.01}),
}


@pytest.mark.parametrize("family", list(SPECS))
def test_test_ratings_change_no_weight_scale_mean_or_epoch(pair, family):
    from movierate.nn.training import train

    ds, changed, split, frame = pair
    spec = SPECS[family]
    a, b = train(ds, split, spec), train(changed, split, spec)
    assert _same_arrays(a.arrays, b.arrays)
    assert a.metrics == b.metrics  # best epoch, stop RMSE, kept dims ...
    assert a.rating_scale == b.rating_scale and a.global_mean == b.global_mean
    # the control: a changed TRAINING rating does change the model
    moved = train(_build(_changed(frame, split.train[:40])), split, spec)
    assert not _same_arrays(a.arrays, moved.arrays)


@pytest.mark.parametrize(
    "options",
    [{"ensemble": 2}, {"blend": True, "families": ("autorec", "mf_bias")}],
    ids=["refit-ensemble", "blend"],
)
def test_the_tuner_chooses_and_saves_the_same_whatever_the_test_ratings(pair, options):
    from movierate.tuning import tune

    ds, changed, split, _ = pair

    def search(data: RatingsDataset):
        return tune(data, "t", split=split, save=False, n_trials=2, max_epochs=2, seed=0, **options)

    a, b = search(ds), search(changed)
    assert [t.value for t in a.trials] == [t.value for t in b.trials]
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_spec == b.best_spec and a.saved_spec == b.saved_spec
    assert _same_arrays(a.result.arrays, b.result.arrays)
    assert a.summary.get("blend", {}).get("weights") == b.summary.get("blend", {}).get("weights")


def _unseen_by_hand(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> int:
    users, movies = ds.ratings["user_idx"].to_numpy(), ds.ratings["movie_idx"].to_numpy()
    seen_u, seen_m = set(users[fitted].tolist()), set(movies[fitted].tolist())
    return sum(users[r] not in seen_u or movies[r] not in seen_m for r in rows)


@pytest.fixture(scope="module")
def cold() -> tuple[RatingsDataset, dict]:
    """Ratings where some users and movies have a single rating (cold when it is a test row)."""
    frame = _raw_frame(n_ratings=1200, seed=8)
    extra = pd.DataFrame(
        {
            "user": [9001, 9002, 9003, 1, 2, 3],
            "movie": [1, 2, 3, 8001, 8002, 8003],
            "rating": [4.0, 3.0, 2.0, 5.0, 1.0, 3.5],
            # a real time: a 1 (1970) among 2008's seconds is refused as a placeholder
            "timestamp": [int(frame["timestamp"].max())] * 6,
        }
    )
    return _build(pd.concat([frame, extra], ignore_index=True)), {"method": "random", "seed": 2}


def test_cold_start_test_rows_are_counted_where_the_test_rmse_is_recorded(cold):
    from movierate.pipeline import (
        evaluate_model,
        split_from_settings,
        split_settings,
        train_and_save,
    )
    from movierate.study import fit_in_memory

    ds, params = cold
    for seed in (2, 5, 11):
        params = {**params, "seed": seed, "test_fraction": 0.3}
        split = split_from_settings(ds, split_settings(params))
        expected = _unseen_by_hand(ds, split.train, split.test)
        name = train_and_save(ds, ModelSpec(dim=4, epochs=1), f"cold-{seed}", params)
        model = store.load_model(name)
        assert model.metrics["test_unseen_rows"] == expected
        assert evaluate_model(model, ds)["test_unseen_rows"] == expected
        studied = fit_in_memory(ds, split, ModelSpec(dim=4, epochs=1)).result.metrics
        assert studied["test_unseen_rows"] == expected
        assert studied["test_rmse"] == pytest.approx(model.metrics["test_rmse"])
        # accuracy round 9: the RMSE over the rows whose user and movie training saw
        users, movies = ds.ratings["user_idx"].to_numpy(), ds.ratings["movie_idx"].to_numpy()
        seen_u, seen_m = set(users[split.train].tolist()), set(movies[split.train].tolist())
        seen = [r for r in split.test if users[r] in seen_u and movies[r] in seen_m]
        guess = scoring.predict(
            model.arrays, model.spec, users[seen], movies[seen], model.rating_scale
        )
        truth = ds.ratings["rating"].to_numpy(np.float64)[seen]
        by_hand = float(np.sqrt(np.mean((guess - truth) ** 2)))
        assert model.metrics["test_rmse_seen"] == pytest.approx(by_hand, rel=1e-5)
        note = store.unseen_note(model.metrics, {"n_test": len(split.test)})
        assert store.unseen_note(model.metrics, model.split_record) == note
        note = store.unseen_note(model.metrics, {"n_test": expected * 10})  # 10% of them
        assert f"{expected:,} of its {expected * 10:,} test rows (10%)" in note
        assert f"it is {by_hand:.4f}" in note
    assert expected > 0  # the data has cold rows to count


def test_the_cold_start_note_starts_at_one_percent_of_the_test_rows():
    metrics = {"test_unseen_rows": 19, "test_rmse_seen": 0.9}
    assert store.unseen_note(metrics, {"n_test": 10_000}) == ""  # MovieLens: 0.02-0.5%
    note = store.unseen_note({**metrics, "test_unseen_rows": 119}, {"n_test": 299})
    assert note.startswith("119 of its 299 test rows (40%) have a user or movie")
    assert note.endswith("(over the other 180 rows it is 0.9000).")
    assert store.unseen_note({"test_unseen_rows": "x"}, {"n_test": 299}) == ""


def test_a_refit_counts_its_stop_rows_as_seen(cold):
    from movierate.pipeline import evaluate_model
    from movierate.tuning import tune

    ds, _ = cold
    split = make_split(ds, "random", test_fraction=0.3, stop_fraction=0.4, seed=4)
    with_stop = _unseen_by_hand(ds, np.concatenate([split.train, split.stop]), split.test)
    assert _unseen_by_hand(ds, split.train, split.test) > with_stop  # the two counts differ
    result = tune(ds, "cold-tuned", split=split, n_trials=1, max_epochs=1)
    model = store.load_model(result.name)
    assert model.metrics["test_unseen_rows"] == with_stop
    assert evaluate_model(model, ds)["test_unseen_rows"] == with_stop


def test_benchmark_contenders_clip_to_the_scale_training_used(pair, monkeypatch):
    """A contender never learns the scale from test ratings: movierate's predictions and
    Surprise's Reader use the scale of the train and stop rows. Surprise is the benchmarks' own
    dependency, not installed for the tests: a stand-in module records what its Reader gets."""
    import sys
    import types

    from benchmarks import bench_accuracy, bench_tuned
    from movierate import scoring
    from movierate.nn.training import training_scale

    _, changed, split, _ = pair
    fitted = training_scale(changed, split)
    assert fitted != changed.rating_scale
    scales: list = []
    real_predict = scoring.predict

    def spy_predict(arrays, spec, users, movies, scale):
        scales.append((float(scale.min), float(scale.max)))
        return real_predict(arrays, spec, users, movies, scale)

    monkeypatch.setattr(scoring, "predict", spy_predict)
    users, movies, _ = bench_accuracy.rows_of(changed, split.test)
    bench_accuracy.evaluate("movierate", changed, split, 0, quick=True).predict(users, movies)

    class Fitted(Exception):
        """Raised once the trainset is built: what is checked has happened by then."""

    class Reader:
        def __init__(self, *args, rating_scale, **kwargs):
            scales.append(tuple(float(v) for v in rating_scale))

    class Dataset:
        @staticmethod
        def load_from_df(frame, reader):
            raise Fitted

    class Algo:
        def __init__(self, *args, **kwargs):
            self.n_epochs = 1

    surprise = types.ModuleType("surprise")
    surprise.Reader, surprise.Dataset = Reader, Dataset
    surprise.SVD = surprise.SVDpp = surprise.BaselineOnly = Algo
    monkeypatch.setitem(sys.modules, "surprise", surprise)
    for name in ("svd", "svd-tuned", "svdpp", "baseline"):
        with pytest.raises(Fitted):
            bench_accuracy.evaluate(name, changed, split, 0, quick=True)
    assert len(scales) >= 5 and set(scales) == {(fitted.min, fitted.max)}
    assert bench_tuned.fit_scale(changed, split.train, split.stop) == fitted


def test_the_blend_table_compares_with_the_member_chosen_on_stop_rows():
    from benchmarks import bench_tuned as bench

    common = {"key": "u1", "_file": 0, "weights": [0.5, 0.5], "member_trials": [1, 1]}
    svd = {"key": "u1", "model": "Surprise SVD grid", "test_rmse": 0.92, "search_s": 100.0}
    svd.update(protocol="official u1", dataset="ml-100k")
    rows = [
        svd,
        # autorec: better on the stop rows, worse on the test rows
        {**common, "kind": "member-autorec", "stop_rmse": 0.90, "test_rmse": 0.96},
        {**common, "kind": "member-mf_bias", "stop_rmse": 0.91, "test_rmse": 0.93},
        {**common, "kind": "refit", "test_rmse": 0.94, "train_s": 5, "search_s": 10.0},
    ]
    for row in rows[1:]:
        row.setdefault("model", row["kind"])
        row.setdefault("train_s", 1)
    line = bench.compact_blend(rows).splitlines()[2]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[10] == f"{100 * (0.94 / 0.96 - 1):+.2f}%"  # against autorec, the stop-row pick


def test_tuned_defaults_start_a_search_only_on_the_data_and_split_that_chose_them(monkeypatch):
    """Other ratings under a tuned dataset's name (a newer release, an edited copy) put other
    rows in the default split's test part, some of which chose the tuned settings."""
    import contextlib

    import optuna

    from movierate import defaults, tuning

    enqueued: list[dict] = []
    monkeypatch.setattr(
        optuna.study.Study, "enqueue_trial", lambda self, params, **kw: enqueued.append(params)
    )
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda self, *a, **kw: None)
    tuned_l2 = defaults.DEFAULTS["ml-100k"]["mf_bias"]["regularizers"]["l2"]
    untuned_l2 = ModelSpec().regularizers["l2"]
    for seed in (0, 1):
        ds = synthetic_dataset(1500, n_users=40, n_movies=70, seed=seed)
        ds.name = "ml-100k"
        split = make_split(ds, "random", 0.1, seed=42)
        seen = defaults.seen_fingerprint(ds, split)
        for recorded, expected in ((seen, tuned_l2), ("f" * 16, untuned_l2)):
            monkeypatch.setitem(defaults.DEFAULTS_SEEN, "ml-100k", recorded)
            with contextlib.suppress(Exception):  # no trial ran: the search then stops
                tuning.tune(ds, "t", split=split, save=False, n_trials=1)
            assert enqueued.pop()["l2"] == expected


def test_autorec_defaults_on_the_data_that_chose_them_come_from_other_data():
    """autorec's L2 100 was chosen on ml-100k's stop rows, some of them test rows of other
    ml-100k splits: on ml-100k (by name; never by its ratings, whose test rows would then choose
    it) every path that fills in autorec's defaults takes the L2 chosen on ml-latest-small."""
    import argparse

    from movierate.cli.train import SPEC_FLAGS, spec_from_args
    from movierate.defaults import default_spec_for, fill_family_defaults
    from movierate.spec import ModelSpec
    from movierate.tuning import default_trial_params

    assert default_spec_for("ml-latest-small", "autorec").regularizers == {"l2": 100.0}
    assert default_spec_for("ml-100k", "autorec").regularizers == {"l2": 40.0}
    assert default_spec_for(None, "autorec", data_name="ml-100k").regularizers == {"l2": 40.0}
    form, _ = fill_family_defaults(ModelSpec(family="autorec"), ModelSpec(), "ml-100k")
    assert form.regularizers == {"l2": 40.0}
    args = argparse.Namespace(dataset="my-copy", **{f"spec_{f}": None for f in SPEC_FLAGS})
    args.spec_family = "autorec"
    # a copy under another name keeps 100, whatever its ratings (accuracy round 18: by
    # fingerprint, test rows chose it); the settings caveat names that choice
    assert spec_from_args(args, 100_000).regularizers == {"l2": 100.0}
    assert default_trial_params("autorec", ("autorec",), None)["l2"] == 100.0
    first = default_trial_params("autorec", ("autorec",), None, data_name="ml-100k")
    assert first["l2"] == 40.0


def test_settings_caveat_names_ordered_models_on_the_data_that_chose_ordered():
    from types import SimpleNamespace

    from movierate.spec import ModelSpec
    from movierate.store import settings_caveat

    def info(name, dataset, regs, family="mf_bias", **extra):
        spec = ModelSpec(family=family, regularizers=regs)
        return SimpleNamespace(name=name, dataset=dataset, spec=spec, has_test_rows=True, **extra)

    plain = info("plain", "my-upload", {"l2": 0.1})
    ordered = info("ord", "ml-1m-sample", {"l2": 0.1, "ordered": 0.01})
    elsewhere = info("mine", "my-upload", {"ordered": 0.01})
    assert settings_caveat([plain, elsewhere]) is None
    caveat = settings_caveat([plain, ordered, elsewhere])
    assert caveat.startswith("Not quite unseen for ord:") and "about 10%" in caveat
    assert "L2 exponent" not in caveat  # ml-1m-sample: not where the first defaults were picked


def test_settings_caveat_names_the_defaults_and_autorec_choices_on_the_first_data_sets():
    """The 2026-12 audit: the per-row L2 exponent (and the first regularizer strengths) were
    picked on ml-100k / ml-latest-small rows that are now the default split's test rows, and
    autorec's design on stop rows holding ~9% of them."""
    from types import SimpleNamespace

    from movierate.spec import ModelSpec
    from movierate.store import settings_caveat

    def info(name, dataset, family="mf_bias", **extra):
        fields = {"has_test_rows": True, **extra}
        return SimpleNamespace(name=name, dataset=dataset, spec=ModelSpec(family=family), **fields)

    mf, auto = info("mf", "ml-100k"), info("auto", "ml-latest-small", "autorec")
    upload = info("upload", "my-upload")
    caveat = settings_caveat([mf, auto, upload])
    assert "Not quite unseen for mf: defaults" in caveat and "does not flatter" in caveat
    assert "Not quite unseen for auto: autorec's design" in caveat and "upload" not in caveat
    assert "every model here: defaults" in settings_caveat([mf, info("mf2", "ml-100k")])
    blend = info("blend", "ml-100k", blend=(("autorec", 500, {"l2": 40.0}), ("mf_bias", 32, {})))
    both = settings_caveat([blend, upload])
    assert "for blend: defaults" in both and "for blend: autorec's design" in both
    # accuracy round 3: ml-100k's ratings saved under another name are still those ratings
    from movierate.defaults import DEFAULTS_DATA

    renamed = info("renamed", "mine100k", dataset_fingerprint=DEFAULTS_DATA["ml-100k"])
    assert "Not quite unseen for renamed: defaults" in settings_caveat([renamed, upload])
    old = info("old", "ml-100k", has_test_rows=False)  # no test rows: nothing to qualify
    imported = info("imp", "ml-100k", imported=True)
    assert settings_caveat([old, imported, upload]) is None


def test_a_blend_is_listed_with_each_members_settings(tmp_path):
    from movierate import store
    from movierate.spec import ModelSpec

    spec = {"family": "mf_bias", "dim": 32, "regularizers": {"l2": 0.1031}}
    meta = {
        "tuning": {
            "blend": {
                "members": [
                    {"family": "autorec", "dim": 500, "spec": {"regularizers": {"l2": 40.0}}},
                    {"family": "mf_bias", "dim": 32, "spec": spec},
                ]
            }
        }
    }
    model = SimpleNamespaceModel(spec=ModelSpec(dim=532, regularizers={"l2": 0.1031}), meta=meta)
    assert store.family_shown(model) == "blend of autorec + mf_bias"
    assert store.regularizers_shown(model) == "autorec 500: l2=40; mf_bias 32: l2=0.1031"
    plain = SimpleNamespaceModel(spec=ModelSpec(regularizers={"l2": 0.1}), meta={"tuning": 5})
    assert store.family_shown(plain) == "mf_bias" and store.regularizers_shown(plain) == "l2=0.1"
    assert store.read_blend_members({"tuning": {"blend": {"members": [{"family": 3}]}}}) == []
    huge = {"family": "mf_bias", "dim": 8, "spec": {"regularizers": {"l2": 10**400, "x": 1}}}
    assert store.read_blend_members({"tuning": {"blend": {"members": [huge]}}}) == [
        ("mf_bias", 8, {"x": 1.0})
    ]  # a hand-edited 10**400 overflowed float() and listed a working model as broken


class SimpleNamespaceModel:
    """A loaded model's two attributes that the listing reads."""

    def __init__(self, spec, meta) -> None:
        self.spec, self.meta = spec, meta


def test_a_quick_start_model_says_its_stop_rows_also_chose_its_settings(
    movielens_dir, tmp_path, monkeypatch, capsys
):
    """The quick start trains ml-100k's tuned entry on the split whose early-stopping rows chose
    it (best of 646 trials): those rows' RMSE is the search's best, and every view says so."""
    from apptest_helpers import movierate_env, open_page

    from movierate import cli
    from movierate.defaults import default_spec_for
    from movierate.pipeline import train_and_save

    tuned = default_spec_for("ml-100k").with_(epochs=1)  # the entry's every value, 1 epoch
    with movierate_env(tmp_path, movielens_dir):
        train_and_save("ml-100k", tuned, "qs")
        train_and_save("ml-100k", tuned.with_(learning_rate=0.01), "own")
        said = "its settings (ml-100k's tuned defaults, best of 646 trials)"
        assert store.stop_rows_chose_settings(store.load_model("qs").meta) == said
        assert store.stop_rows_chose_settings(store.load_model("own").meta) is None
        for command in ("show", "evaluate"):
            assert cli.main([command, "qs"]) == 0
            out = capsys.readouterr().out
            assert f"also chose {said}" in out and "flatters it" in out
            assert cli.main([command, "own"]) == 0
            assert "tuned defaults" not in capsys.readouterr().out
        from movierate.ui.text import stop_rows_flatter_text  # the Train page's "Saved as"

        assert f"also chose {said}" in stop_rows_flatter_text(store.load_model("qs").meta)
        assert stop_rows_flatter_text(store.load_model("own").meta) == ""
        at = open_page("pages/dimensions.py", model="qs")
        caption = " ".join(c.value for c in at.caption)
        assert f"they chose the epoch training stopped at and {said}" in caption


def test_a_share_that_is_not_all_is_never_said_as_100_percent():
    assert store.percent(998, 1000) == "over 99%" and store.percent(3, 1000) == "under 1%"
    assert store.percent(1000, 1000) == "100%" and store.percent(119, 299) == "40%"
