"""Accuracy round 52 (poisoned test rows): test ratings choose no setting, a refit's verdict
reads its search's early-stopping rows, and a blend that picked one member says so."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from movierate import defaults, store
from movierate.spec import ModelSpec


def _recoded(ds, rows, name: str):
    """A copy of ``ds`` (same name) with the ratings of ``rows`` moved to another whole star
    (1 -> 2, ..., 5 -> 1) and every other row as it is (``name``: the edit's own name)."""
    ratings = ds.ratings.copy()
    values = ratings["rating"].to_numpy(dtype=np.float64).copy()
    values[rows] = values[rows] % 5 + 1
    ratings["rating"] = values.astype(ratings["rating"].dtype)
    copy = ds.edited(ratings, name=name, rating_scale=ds.rating_scale)
    copy.name = ds.name
    return copy


@pytest.fixture(scope="module")
def ml100k_copies(movielens_dir, tmp_path_factory):
    """ml-100k, the same with its default split's test ratings changed, and with its stop
    ratings changed, and that split (the same rows in all three: it is by row position)."""
    from apptest_helpers import movierate_env

    from movierate.data import load_dataset
    from movierate.pipeline import DEFAULT_SPLIT, split_from_settings

    with movierate_env(tmp_path_factory.mktemp("round52"), movielens_dir):
        ds = load_dataset("ml-100k")
    split = split_from_settings(ds, DEFAULT_SPLIT)
    test_changed = _recoded(ds, split.test, "poison-test")
    stop_changed = _recoded(ds, split.stop, "poison-stop")
    for copy in (test_changed, stop_changed):
        again = split_from_settings(copy, DEFAULT_SPLIT)
        assert np.array_equal(again.test, split.test) and np.array_equal(again.stop, split.stop)
    return ds, test_changed, stop_changed, split


def _first_trial_l2(monkeypatch, ds, split) -> float:
    """The L2 of the tuner's first (enqueued) trial on ``split`` of ``ds``."""
    import optuna

    from movierate import tuning

    enqueued: list[dict] = []
    monkeypatch.setattr(
        optuna.study.Study, "enqueue_trial", lambda self, params, **kw: enqueued.append(params)
    )
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda self, *a, **kw: None)
    with contextlib.suppress(Exception):  # no trial ran: the search then stops
        tuning.tune(ds, "t", split=split, save=False, n_trials=1)
    return enqueued.pop()["l2"]


def test_a_copy_differing_only_in_its_test_ratings_gets_the_tuned_entry(ml100k_copies, monkeypatch):
    """F1: the tuned entry is used by the rows a model sees (training + early-stopping), never
    by what its test rows hold: a copy of ml-100k whose test ratings differ starts the search
    from the tuned settings as ml-100k does; one whose stop ratings differ does not."""
    ds, test_changed, stop_changed, split = ml100k_copies
    tuned_l2 = defaults.DEFAULTS["ml-100k"]["mf_bias"]["regularizers"]["l2"]
    untuned_l2 = ModelSpec().regularizers["l2"]
    assert test_changed.fingerprint != ds.fingerprint  # the whole data differs
    assert _first_trial_l2(monkeypatch, ds, split) == tuned_l2
    assert _first_trial_l2(monkeypatch, test_changed, split) == tuned_l2
    assert _first_trial_l2(monkeypatch, stop_changed, split) == untuned_l2


def test_quick_start_and_the_stop_rows_label_ignore_the_test_rows(ml100k_copies):
    """F1: the quick start's spec, its "why untuned" sentence and the label "its settings
    (ml-100k's tuned defaults ...)" depend on the seen rows only."""
    from types import SimpleNamespace

    ds, test_changed, stop_changed, split = ml100k_copies
    tuned = defaults.default_spec_for("ml-100k")
    for copy, expected in ((ds, tuned), (test_changed, tuned)):
        seen = defaults.seen_fingerprint(copy, split)
        spec, why = defaults.default_spec_for_split("ml-100k", split, seen=seen)
        assert (spec, why) == (expected, None)
    seen = defaults.seen_fingerprint(stop_changed, split)
    spec, why = defaults.default_spec_for_split("ml-100k", split, seen=seen)
    assert spec == defaults.default_spec_for(None)
    assert "training and early-stopping ratings under that split differ" in why

    said = "its settings (ml-100k's tuned defaults, best of 646 trials)"
    result = SimpleNamespace(rating_scale=None, metrics={}, history={}, train_seconds=1.0,
                             ratings_per_second=1.0)  # fmt: skip
    for copy, expected in ((ds, said), (test_changed, said), (stop_changed, None)):
        meta = store._build_meta("qs", result, copy, split, tuned)
        assert store.stop_rows_chose_settings(store.json_safe(meta)) == expected
    # a model saved before the seen rows were recorded: by its whole data, as before
    old = store.json_safe(store._build_meta("qs", result, ds, split, tuned))
    del old["dataset"]["seen_fingerprint"]
    assert store.stop_rows_chose_settings(old) == said


def test_a_refit_worse_than_the_mean_on_odd_test_rows_blames_the_test_rows(
    ml100k_copies, tmp_path, capsys
):
    """F2: `tune` (refit) on ml-100k with its test ratings changed, imported as a CSV as the
    review ran it. The search beat the mean on its stop rows beyond the draw, so `tune` and
    `show` say the test rows behave unlike those rows, as plain `train` does; no last-epoch
    advice for a refit, which had no stop rows to be at its best on."""
    from movierate import cli

    _, test_changed, _, _ = ml100k_copies
    csv = tmp_path / "poisonT.csv"
    frame = test_changed.ratings
    frame.assign(
        user=test_changed.user_ids[frame["user_idx"].to_numpy()],
        item=test_changed.movie_ids[frame["movie_idx"].to_numpy()],
    )[["user", "item", "rating", "timestamp"]].to_csv(csv, index=False)
    assert cli.main(["datasets", str(csv), "--name", "poisonT"]) == 0
    capsys.readouterr()
    assert cli.main(["tune", "poisonT", "--trials", "1", "--max-epochs", "4", "--name", "TU"]) == 0
    tuned = capsys.readouterr().err
    assert cli.main(["show", "TU"]) == 0
    shown = capsys.readouterr()
    for said in (tuned, shown.out + shown.err):
        warning = next(line for line in said.splitlines() if line.startswith("warning:"))
        assert "behave unlike the rows the model was checked on" in warning, warning
        assert "last epoch" not in warning and "train longer" not in warning, warning


def test_a_refit_learning_nothing_gets_no_last_epoch_advice():
    """F2: where the search's stop rows show nothing beyond the draw, the refit's verdict gives
    no "still at its best in its last epoch" advice: a refit runs a fixed epoch count."""
    from movierate.tuning import verdict_metrics

    metrics = {"test_rmse": 1.2, "test_rmse_of_mean": 1.1, "best_epoch": 4, "epochs_run": 4}
    summary = {"best": {"value": 1.1}, "stop_rmse_of_mean": 1.1}
    refit = verdict_metrics(metrics, summary, {"stop_rows_trained": True})
    warning = store.reference_warning(refit)
    assert "learned nothing" in warning and "last epoch" not in warning, warning
    as_trained = verdict_metrics(metrics, summary, {})  # --no-refit: its own epochs
    assert "last epoch (4)" in store.reference_warning(as_trained)


def test_a_blend_that_picked_one_member_says_the_other_columns_are_zero(monkeypatch, capsys):
    """F3: at w = 1 the second member's columns are sqrt(0) times its vectors: the output, the
    saved summary and the arrays agree that those dimensions are all zero."""
    from movierate import tuning
    from movierate.cli import tune as tune_cli
    from movierate.data import synthetic_dataset

    real = tuning.choose_blend_weight

    def first_alone(results, ds, rows, weights=tuning.BLEND_WEIGHTS):
        _, curve = real(results, ds, rows, weights)
        return 1.0, curve

    monkeypatch.setattr(tuning, "choose_blend_weight", first_alone)
    ds = synthetic_dataset(n_ratings=1500, n_users=40, n_movies=60, seed=5)
    result = tuning.tune(
        ds, "blend1", families=("mf_bias", "mf"), blend=True, n_trials=1, max_epochs=2
    )
    blend = result.summary["blend"]
    start, stop = blend["members"][1]["columns"]
    model = store.load_model("blend1")
    assert not np.any(model.arrays["movie_embedding"][:, start:stop])
    assert "(weight 0: all zero)" in blend["movie_embedding"]
    out = io.StringIO()
    tune_cli._print_blend(result, result.result.metrics, out)
    said = out.getvalue()
    assert f"columns {start}-{stop - 1} (mf's, scaled by sqrt(0)) are all zero" in said, said
    assert f"only {start} of its {stop} dimensions hold anything" in said
