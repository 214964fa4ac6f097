"""The tuner: trials recorded, the best trial saved with trials.json, cancel, jobs and CLI."""

from __future__ import annotations

import contextlib
import json
import threading

import numpy as np
import pytest

from movierate import cli, store
from movierate.data import synthetic_dataset, write_movielens_csv
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import SpecError, TrainingCancelled
from movierate.jobs import JobRegistry
from movierate.progress import Phase
from movierate.spec import ModelSpec
from movierate.tuning import TRIALS_FILE, TuneRequest, job_runner, read_trials, tune


@pytest.fixture(scope="module")
def tiny():
    return synthetic_dataset(n_ratings=1500, n_users=40, n_movies=60, seed=5)


def test_tune_records_trials_and_saves_the_best_with_its_trials(tiny):
    events, seen = [], []
    result = tune(
        tiny,
        "tuned-tiny",
        budget_seconds=300,
        n_trials=3,
        max_epochs=3,
        progress=events.append,
        on_trial=seen.append,
        refit=False,
    )
    assert len(result.trials) == len(seen) == 3
    complete = [t for t in result.trials if t.state == "complete"]
    assert complete and result.best_value == min(t.value for t in complete)
    assert result.best_spec.epochs == 3 and result.best_spec.family == "mf_bias"
    model = store.load_model("tuned-tiny")
    assert model.spec == result.best_spec == result.saved_spec
    assert "refit" not in model.meta["tuning"] and "stop_rows_trained" not in model.split_record
    from movierate.pipeline import recorded_split

    split = recorded_split(tiny, model.split_record)
    trained = np.bincount(
        tiny.ratings["movie_idx"].to_numpy()[split.train], minlength=tiny.n_movies
    )
    np.testing.assert_array_equal(model.movies[TRAINING_COUNTS], trained)
    assert (model.movies[TRAINING_COUNTS] <= model.movies["n_ratings"]).all()
    assert model.metrics["stop_rmse"] == pytest.approx(result.best_value)
    assert "test_rmse" in model.metrics  # measured once, after the search
    tuning = model.meta["tuning"]
    assert tuning["n_trials"] == 3 and tuning["best"]["trial"] == result.best_trial
    assert tuning["top_spread"]["min"] == pytest.approx(result.best_value)
    saved = json.loads((store.model_path("tuned-tiny") / TRIALS_FILE).read_text())
    assert [t["number"] for t in saved["trials"]] == [1, 2, 3]
    assert (
        read_trials("tuned-tiny")["summary"]["best"]["params"] == saved["summary"]["best"]["params"]
    )
    phases = [e.phase for e in events]
    assert phases.count(Phase.EPOCH) == 3 and phases[-1] == Phase.DONE
    # distinct trials try distinct settings
    assert len({json.dumps(t.params, sort_keys=True) for t in result.trials}) == 3


def test_cancel_stops_the_search_and_saves_nothing(tiny):
    cancel = threading.Event()
    with pytest.raises(TrainingCancelled):
        tune(
            tiny,
            "never-saved",
            budget_seconds=300,
            n_trials=5,
            max_epochs=2,
            cancel=cancel,
            on_trial=lambda record: cancel.set(),
        )
    assert not store.model_exists("never-saved")


def test_bad_requests_fail_before_any_work(tiny):
    with pytest.raises(SpecError, match="family"):
        TuneRequest(("nope",)).validate()
    with pytest.raises(SpecError, match="budget"):
        TuneRequest(budget_minutes=0).validate()
    for budget in (float("inf"), float("nan"), 10**6):  # a search that would never end
        with pytest.raises(SpecError, match="budget"):
            TuneRequest(budget_minutes=budget).validate()
    for seed in (-1, 2**32, 1.5, True):  # numpy and Optuna seeds are whole, 0 .. 2**32 - 1
        with pytest.raises(SpecError, match="seed"):
            TuneRequest(seed=seed).validate()
    with pytest.raises(SpecError, match="family"):
        tune(tiny, "x", families=("bogus",))


def test_job_registry_runs_a_tune_request(tiny, tmp_path):
    folder = write_movielens_csv(tiny, tmp_path / "tiny-set")
    registry = JobRegistry(runner=job_runner)
    request = TuneRequest(("mf_bias",), budget_minutes=5, n_trials=2, max_epochs=2)
    job = registry.submit(str(folder), request, "tuned-by-job")
    snap = registry.wait(job, timeout=600)
    assert snap.state == "done", snap.error
    assert store.load_model("tuned-by-job").meta["tuning"]["n_trials"] == 2
    assert len(snap.history["epoch"]) == 2  # one history row per finished trial


def test_cli_tune_prints_the_trials_and_saves_the_model(tiny, tmp_path, capsys):
    folder = write_movielens_csv(tiny, tmp_path / "tiny-cli")
    code = cli.main(
        [
            "tune",
            str(folder),
            "--trials",
            "2",
            "--max-epochs",
            "2",
            "--budget",
            "5",
            "--name",
            "cli-tuned",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "early-stopping RMSE" in out.out and "saved 'cli-tuned'" in out.out
    assert "test RMSE" in out.out
    assert "trial   1" in out.err
    assert (store.model_path("cli-tuned") / TRIALS_FILE).is_file()
    assert "refit on train + early-stopping rows" in out.out
    assert store.load_model("cli-tuned").split_record["stop_rows_trained"] is True
    assert cli.main(["show", "cli-tuned"]) == 0
    shown = capsys.readouterr().out
    assert "only the test rows are held out" in shown and "trials in" in shown
    assert cli.main(["evaluate", "cli-tuned", "--data", str(folder)]) == 0
    evaluated = capsys.readouterr().out
    assert "early-stopping" not in evaluated and "test" in evaluated  # no held-out stop rows
    code = cli.main(
        [
            "tune",
            str(folder),
            "--trials",
            "1",
            "--max-epochs",
            "2",
            "--no-refit",
            "--name",
            "cli-kept",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "the trial as trained" in out.out
    assert "stop_rmse" in store.load_model("cli-kept").metrics
    assert cli.main(["tune", str(folder), "--ensemble", "0"]) == 1
    assert cli.main(["tune", str(folder), "--family", "nope"]) == 2
    assert cli.main(["tune", str(folder), "--budget", "0"]) == 1


def test_default_spec_for_known_and_unknown_datasets():
    from movierate.defaults import DEFAULTS, default_spec_for
    from movierate.spec import ModelSpec

    assert default_spec_for("unknown-set") == ModelSpec()
    assert default_spec_for("unknown-set", "deep") == ModelSpec(family="deep")
    for dataset, families in DEFAULTS.items():
        for family, changes in families.items():
            spec = default_spec_for(dataset, family)
            assert spec.family == family
            for field, value in changes.items():
                assert getattr(spec, field) == (tuple(value) if isinstance(value, list) else value)
    # the sample's stop rows that chose its defaults are ml-1m ratings too: ml-1m has none
    assert default_spec_for("ml-1m") == ModelSpec()
    with pytest.raises(SpecError, match="family"):
        default_spec_for("ml-100k", "nope")


def test_the_tuner_starts_from_tuned_defaults_only_on_the_split_that_chose_them(monkeypatch):
    """Tuned defaults were chosen on the default split's stop rows: on another split some of
    those rows are test rows, so the search starts from the family's untuned defaults there."""
    import optuna

    from movierate import tuning
    from movierate.data import make_split, synthetic_dataset
    from movierate.defaults import DEFAULTS, DEFAULTS_SEEN, seen_fingerprint

    ds = synthetic_dataset(3000, seed=0)
    ds.name = "ml-100k"
    seen = seen_fingerprint(ds, make_split(ds, "random", 0.1, seed=42))
    monkeypatch.setitem(DEFAULTS_SEEN, "ml-100k", seen)  # as if these rows chose them
    enqueued: list[dict] = []
    monkeypatch.setattr(
        optuna.study.Study, "enqueue_trial", lambda self, params, **kw: enqueued.append(params)
    )
    monkeypatch.setattr(optuna.study.Study, "optimize", lambda self, *a, **kw: None)
    tuned_l2 = DEFAULTS["ml-100k"]["mf_bias"]["regularizers"]["l2"]
    for seed, expected in ((42, tuned_l2), (7, ModelSpec().regularizers["l2"])):
        split = make_split(ds, "random", 0.1, seed=seed)
        with contextlib.suppress(Exception):  # no trial ran: the search then stops
            tuning.tune(ds, "t", split=split, save=False, n_trials=1)
        assert enqueued.pop()["l2"] == expected


def test_refit_trains_the_winner_on_train_and_stop_rows_and_never_sees_test_rows(tiny, monkeypatch):
    import numpy as np

    from movierate.nn import training
    from movierate.pipeline import evaluate_model, recorded_split, split_parts

    calls = []
    real_train = training.train

    def spy(ds, split, spec, *args, **kwargs):
        calls.append((split, spec))
        return real_train(ds, split, spec, *args, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    events = []
    result = tune(
        tiny, "refit-tiny", budget_seconds=300, n_trials=2, max_epochs=4, progress=events.append
    )
    search_split, _ = calls[0]
    test_rows = set(search_split.test.tolist())
    for split, _spec in calls:  # no training or early stopping ever read a test row
        assert not test_rows & set(split.train.tolist()) and not test_rows & set(
            split.stop.tolist()
        )
    (refit_split, refit_spec) = calls[-1]
    assert len(calls) == 3 and len(refit_split.stop) == 0
    np.testing.assert_array_equal(
        refit_split.train, np.sort(np.concatenate([search_split.train, search_split.stop]))
    )
    best_epoch = result.trial_result.metrics["best_epoch"]
    assert refit_spec.epochs == best_epoch == result.saved_spec.epochs
    assert result.result.metrics["epochs_run"] == best_epoch  # no early stopping in the refit
    assert any("refit_epoch" in e.metrics for e in events)

    model = store.load_model("refit-tiny")
    assert model.spec == result.saved_spec and model.metrics["test_rmse"] > 0
    assert "stop_rmse" not in model.metrics  # its stop rows are training rows now
    assert model.split_record["stop_rows_trained"] is True
    assert model.meta["tuning"]["refit"]["epochs"] == best_epoch
    assert model.meta["tuning"]["best"]["value"] == pytest.approx(result.best_value)
    assert read_trials("refit-tiny")["summary"]["refit"]["rows"] == "train + stop"
    # views: the stop rows are reported as training rows, never as held-out rows
    assert split_parts(model) == ("train", "test")
    rebuilt = recorded_split(tiny, model.split_record)
    assert len(rebuilt.stop) == 0
    np.testing.assert_array_equal(rebuilt.train, refit_split.train)
    fitted_movies = tiny.ratings["movie_idx"].to_numpy()[refit_split.train]  # train + stop
    np.testing.assert_array_equal(
        model.movies[TRAINING_COUNTS], np.bincount(fitted_movies, minlength=tiny.n_movies)
    )
    evaluated = evaluate_model(model, tiny)
    assert "stop_rmse" not in evaluated and evaluated["n_train"] == len(refit_split.train)
    assert evaluated["test_rmse"] == pytest.approx(model.metrics["test_rmse"], rel=1e-5)


def test_an_ensemble_refit_is_one_model_whose_predictions_are_the_seeds_average(tiny):
    import numpy as np

    from movierate import scoring

    result = tune(tiny, "ens-tiny", budget_seconds=300, n_trials=1, max_epochs=3, ensemble=2)
    spec = result.best_spec
    model = store.load_model("ens-tiny")
    assert model.spec.family == "mf_bias" and model.dim == 2 * spec.dim
    assert model.meta["tuning"]["refit"]["ensemble"] == 2
    assert model.meta["tuning"]["refit"]["seeds"] == [spec.seed, spec.seed + 1]
    # the same two refits, averaged by hand
    from movierate.pipeline import recorded_split
    from movierate.tuning import refit_winner

    split = recorded_split(tiny, {**model.split_record, "stop_rows_trained": False})
    singles = [
        refit_winner(tiny, split, spec.with_(seed=spec.seed + i), result.saved_spec.epochs)[0]
        for i in range(2)
    ]
    users = tiny.ratings["user_idx"].to_numpy()[:200]
    movies = tiny.ratings["movie_idx"].to_numpy()[:200]
    unclipped = spec.with_(output="none")
    averaged = np.mean(
        [scoring.predict(r.arrays, unclipped, users, movies, tiny.rating_scale) for r in singles],
        axis=0,
    )
    ours = scoring.predict(
        model.arrays, model.spec.with_(output="none"), users, movies, tiny.rating_scale
    )
    np.testing.assert_allclose(ours, averaged, atol=1e-4)
    keras_pred = model.keras_model().predict(np.stack([users, movies], 1), verbose=0).ravel()
    np.testing.assert_allclose(
        keras_pred,
        scoring.predict(model.arrays, model.spec, users, movies, tiny.rating_scale),
        atol=1e-4,
    )


def test_ensemble_requests_are_checked():
    with pytest.raises(SpecError, match="ensemble"):
        TuneRequest(ensemble=0).validate()
    with pytest.raises(SpecError, match="refit"):
        TuneRequest(ensemble=3, refit=False).validate()
    with pytest.raises(SpecError, match="dot-product"):
        TuneRequest(families=("deep",), ensemble=3).validate()


def test_deep_searches_the_dot_product_and_starts_from_its_tuned_default(tiny, monkeypatch):
    from movierate import tuning
    from movierate.defaults import default_spec_for

    params = tuning.default_trial_params("deep", ("deep",), "ml-100k")
    spec = default_spec_for("ml-100k", "deep")
    assert params["dot_product"] is True and params["hidden_units"] == "32,4"
    assert params["dim"] == spec.dim and params["l2"] == spec.regularizers["l2"]
    # a new family's ranges are one mapping entry
    monkeypatch.setitem(tuning.FAMILY_SPACES, "deep", {"dot_product": [True]})
    result = tune(
        tiny, "unsaved", families=("deep",), n_trials=2, max_epochs=2, save=False, refit=False
    )
    assert all(t.spec["dot_product"] is True for t in result.trials)
    assert set(result.trials[-1].params) == {
        "dim",
        "l2",
        "learning_rate",
        "batch_size",
        "dot_product",
    }


def test_a_trial_running_when_the_budget_is_spent_ends_after_its_epoch_with_a_result(tiny):
    # a budget far below one trial: the first trial (the tuned default) ends after one epoch
    result = tune(tiny, "tuned-budget", budget_seconds=0.01, max_epochs=40, save=False)
    (first,) = result.trials
    assert first.state == "complete" and first.epochs_run == 1 and first.best_epoch == 1
    assert first.error and "budget" in first.error
    assert result.best_value == pytest.approx(first.value)


def test_train_ends_when_stop_after_says_so_and_keeps_its_best_epoch(tiny):
    from movierate.data import make_split
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    asked = []
    split = make_split(tiny, seed=0)
    result = train(
        tiny,
        split,
        ModelSpec(dim=4, epochs=30),
        stop_after=lambda: len(asked) > 2 or asked.append(1),
    )
    assert result.metrics["epochs_run"] == 4  # asked after epochs 1-3 (False), True after 4
    assert 1 <= result.metrics["best_epoch"] <= 4


def test_ctrl_c_in_a_trial_is_not_logged_by_optuna_with_its_stack(tiny, monkeypatch, capfd):
    import logging

    import movierate.nn.training as training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tune(tiny, "interrupted", n_trials=3, max_epochs=2, save=False, refit=False)
    err = capfd.readouterr().err
    assert "Trial" not in err and "Traceback" not in err
    assert logging.getLogger("optuna").getEffectiveLevel() > logging.WARNING


def test_a_generated_name_taken_meanwhile_saves_under_the_next_free_one(tiny):
    store.unique_name("gen-tuned")
    first = tune(tiny, "gen-tuned", n_trials=1, max_epochs=1, refit=False, name_base="gen-tuned")
    assert first.name == "gen-tuned"
    # another run generated the same name and saves after this one: its work is kept
    second = tune(tiny, "gen-tuned", n_trials=1, max_epochs=1, refit=False, name_base="gen-tuned")
    assert second.name == "gen-tuned-2"
    assert store.read_meta("gen-tuned-2")["name"] == "gen-tuned-2"
    with pytest.raises(store.StoreError, match="already exists"):  # a chosen name still refuses
        tune(tiny, "gen-tuned", n_trials=1, max_epochs=1, refit=False)


def test_a_search_on_shuffled_ratings_says_it_beat_nothing(tiny, tmp_path, capsys):
    """Accuracy round 7b: on ratings shuffled across users and movies, `tune` said a trial
    "won" and saved a model worse than the mean rating, without a word. Now each result names
    the mean rating's early-stopping RMSE, and a pick no better than it is a warning."""
    import dataclasses

    rng = np.random.default_rng(0)
    ratings = tiny.ratings.assign(rating=rng.permutation(tiny.ratings["rating"].to_numpy()))
    shuffled = dataclasses.replace(tiny, ratings=ratings)
    folder = write_movielens_csv(shuffled, tmp_path / "shuffled")
    argv = ["tune", str(folder), "--trials", "2", "--max-epochs", "2", "--name", "shuf"]
    assert cli.main(argv) == 0
    out = capsys.readouterr()
    summary = read_trials("shuf")["summary"]
    mean = summary["stop_rmse_of_mean"]
    assert f"(predicting the mean rating there: {mean:.4f})" in out.out
    best = summary["best"]["value"]  # nothing to learn: at most a lucky draw beats the mean
    warned = "no better than predicting the training rows' mean rating there" in out.err
    assert warned == (round(best, 4) >= round(mean, 4)), (best, mean, out.err)
    assert out.err.count("warning:") <= 1  # one cause, one warning (the recheck)
    assert cli.main(["show", "shuf"]) == 0  # show names the reference too, and no "won"
    shown = capsys.readouterr().out
    assert f"lowest early-stopping RMSE, {best:.4f} (predicting the mean rating there" in shown
    assert " won " not in shown


def test_no_better_than_mean_note():
    from movierate.tuning import no_better_than_mean_note

    assert no_better_than_mean_note({"best": {"value": 0.90}, "stop_rmse_of_mean": 1.10}) == ""
    assert "The best trial scored 1.1140" in no_better_than_mean_note(
        {"best": {"value": 1.114}, "stop_rmse_of_mean": 1.1133}
    )
    assert "The blend scored" in no_better_than_mean_note(
        {"blend": {"stop_rmse": 1.2}, "stop_rmse_of_mean": 1.1}
    )
    assert no_better_than_mean_note({"best": {"value": 1.2}}) == ""  # saved before it was kept


def test_a_small_set_is_searched_at_batches_with_enough_steps_an_epoch(tiny):
    """The recheck: on 4,050 training rows every batch the tuner tried (256-4,096) made 1-16
    steps an epoch; on the views round's 4,021-rating set such trials learned nothing."""
    from movierate.defaults import MIN_STEPS_PER_EPOCH
    from movierate.tuning import search_space

    assert search_space("mf_bias", 3257)["batch_size"] == [32, 64]
    assert search_space("mf_bias", 81_000)["batch_size"] == search_space("mf_bias")["batch_size"]
    assert search_space("autorec", 3257)["batch_size"] == search_space("autorec")["batch_size"]
    for family in ("deep", "svdpp"):  # the recheck: batches of ratings too
        assert search_space(family, 4050)["batch_size"] == [32, 64]
    assert search_space("svdpp", 81_000)["batch_size"] == [2048, 4096, 8192]  # 20-40 steps
    result = tune(tiny, "small-batches", n_trials=2, max_epochs=1, refit=False, save=False)
    n_train = result.summary["split"]["n_train"]
    for record in result.trials:
        assert n_train / record.params["batch_size"] >= MIN_STEPS_PER_EPOCH / 2
    assert (
        result.summary["space"]["mf_bias"]["batch_size"]
        == search_space("mf_bias", n_train)["batch_size"]
    )
