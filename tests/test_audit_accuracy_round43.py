"""Accuracy round 43 (early stopping and the learning curves): which epoch a run with no
early-stopping rows keeps, what the Train page's tiles show after a tuning run, and the
learning-curve captions."""

from __future__ import annotations

import numpy as np
import pytest

from movierate.data import make_split
from movierate.data.synthetic import synthetic_dataset
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def tiny():
    return synthetic_dataset(n_ratings=1500, n_users=40, n_movies=60, seed=5)


@pytest.fixture
def training_rmse_lowest_at_epoch_2(monkeypatch):
    """The training loop's RMSE reads 1.0, 0.8, 0.9, 0.95 in epochs 1-4 (train rows only)."""
    from movierate.nn import training

    values = iter([1.0, 0.8, 0.9, 0.95])
    monkeypatch.setattr(training._TrainingLoop, "evaluate", lambda self, *rows: (next(values), 0.5))


def test_a_refit_for_n_epochs_keeps_its_last_epoch(tiny, training_rmse_lowest_at_epoch_2):
    """F1: refit_winner ran 4 epochs and put back epoch 2's weights, the lowest TRAINING RMSE,
    though tune says it saved the winner refit "for 4 epochs"."""
    from movierate.tuning import refit_winner

    split = make_split(tiny, "random", 0.1, 0.1, 42)
    result, saved_spec, info = refit_winner(tiny, split, ModelSpec(dim=4, epochs=20), 4)
    assert info["epochs"] == saved_spec.epochs == 4
    assert result.metrics["epochs_run"] == result.metrics["best_epoch"] == 4
    assert result.metrics["train_rmse"] == pytest.approx(0.95)


def test_training_without_stop_rows_never_picks_an_epoch_by_training_rmse(
    tiny, training_rmse_lowest_at_epoch_2
):
    """F1, the class: the regularizer study trains with no stop rows too (patience = epochs);
    it kept the lowest training RMSE's epoch."""
    from movierate.study.measure import fit_in_memory

    split = make_split(tiny, "random", 0.1, 0.1, 42)
    fitted = fit_in_memory(tiny, split, ModelSpec(dim=4, epochs=4), name="t")
    assert fitted.result.metrics["best_epoch"] == 4
    assert np.argmin(fitted.result.history["train_rmse"]) == 1  # epoch 2 was the lowest


def _tuned_job(tiny, refit: bool):
    """A 2-trial tuning run of ``tiny`` through the job registry, as the Train page runs it:
    (its snapshot, the TuneResult)."""
    from movierate.jobs import JobRegistry
    from movierate.tuning import TuneRequest, tune

    results = []

    def runner(dataset, request, name, split_params, progress, cancel):
        results.append(
            tune(tiny, name, n_trials=2, max_epochs=4, refit=refit, save=False, progress=progress)
        )
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    job_id = registry.submit("tiny", TuneRequest(refit=refit), "tuned", {})
    return registry.wait(job_id, timeout=300), results[0]


def test_the_tiles_of_a_refit_tuning_run_show_the_winning_trials_early_stopping_rmse(tiny):
    """F2: after a tuning run the "early-stopping RMSE" tile showed the last trial's last
    epoch (neither trial's result, not the saved model's) beside the refit's train RMSE, and
    "epochs done" counted trials."""
    from movierate.ui import text

    snap, result = _tuned_job(tiny, refit=True)
    assert snap.state == "done" and "stop_rmse" not in snap.latest_metrics  # the refit has none
    tiles = {label: (value, said) for label, value, said in text.run_tiles(snap)}
    assert tiles["trials done"][0] == str(len(result.trials))
    value, said = tiles["early-stopping RMSE, winning trial"]
    assert value == f"{result.best_value:.4f}" and "no early-stopping RMSE of its own" in said
    value, said = tiles["train RMSE, saved model"]
    assert value == f"{result.result.metrics['train_rmse']:.4f}" and "refit" in said
    best = f"best trial's early-stopping RMSE {result.best_value:.4f}"
    assert best in text.job_progress_text(snap)  # the sidebar's line, not a trial epoch's
    # recheck 8, F4: the bar's line said "finished trial 2/2", not the refit and the save
    assert text.tuning_ending(snap.spec, snap.epoch) == (
        f"{len(result.trials)} trials; the winner refit on training + early-stopping rows and saved"
    )


def test_the_tiles_of_a_tuning_run_without_refit_are_the_saved_trials_own(tiny):
    """F2: with no refit the saved model is the winning trial; its tile says so."""
    from movierate.ui import text

    snap, result = _tuned_job(tiny, refit=False)
    tiles = {label: (value, said) for label, value, said in text.run_tiles(snap)}
    value, said = tiles["early-stopping RMSE, winning trial"]
    assert value == f"{result.result.metrics['stop_rmse']:.4f}" and "its own" in said


def test_a_refits_learning_curve_is_said_to_be_a_refit_on_train_and_stop_rows():
    """F3: Compare said "tuned: training RMSE 0.5603 at the kept epoch 5 of 5 run", as if early
    stopping had kept it, and its curve (train + early-stopping rows) stood beside the other
    models' training-row curves under one name."""
    from movierate import store
    from movierate.ui import charts

    label = store.curves_label("tuned", {}, {"stop_rows_trained": True})
    assert label == "tuned (refit on train + early-stopping rows)"
    assert store.curves_label("def", {}, {"stop_rows_trained": False}) == "def"
    history = {"train_rmse": [0.9, 0.7, 0.6, 0.58, 0.5603]}
    said = charts.learning_curves_text({label: history}, {label: 5})
    assert "training RMSE (on the training + early-stopping rows it was refit on) 0.5603" in said
    assert "at epoch 5, the last (its winning trial's epoch count)" in said
    assert "kept epoch" not in said
    older = charts.learning_curves_text({label: history}, {label: 3})  # refit before F1
    assert "the kept epoch 3 of 5 run (an older refit's pick: the lowest training RMSE)" in older
    plain = charts.learning_curves_text({"def": history}, {"def": 5})
    assert "def: training RMSE 0.5603 at the kept epoch 5 of 5 run" in plain


def test_a_run_whose_early_stopping_rmse_rose_from_epoch_1_is_told_to_lower_the_rate():
    """F4: lr 0.2, early-stopping RMSE [1.0861, 1.08908, 1.09165, 1.09098, 1.08853]: the only
    warning was that the test RMSE was no better than the averages, with no learning-rate hint
    (it ran only when the test RMSE was the mean's)."""
    from movierate import store

    rose = [1.0861, 1.08908, 1.09165, 1.09098, 1.08853]
    metrics = {
        "test_rmse": 1.0935,
        "test_rmse_of_averages": 0.9364,
        "test_rmse_of_mean": 1.1255,
        "best_epoch": 1,
        "epochs_run": 5,
        "stop_rmse": 1.0861,
    }
    said = store.reference_warning(metrics, None, 0.2, rose)
    assert said.startswith("Its test RMSE 1.0935 is no better than 0.9364")
    assert (
        "Its early-stopping RMSE was lowest at epoch 1 (1.0861); each of the 4 epochs after it "
        "was higher (up to 1.0917): lower the learning rate (try 0.02 instead of 0.2)" in said
    )
    # with early stopping off (patience 0) the last epoch is kept: the history still tells
    assert "lowest at epoch 1" in store.reference_warning({}, None, 0.2, rose)
    assert store.reference_warning({}, None, 0.2, [1.0, 0.99, 1.01]) == ""  # epoch 2 was lower
    assert store.reference_warning({}, None, 0.2, [1.0]) == ""


def test_a_learning_curve_caption_keeps_one_precision_per_sentence():
    """F5: "early-stopping RMSE 1.0450 at the kept epoch 6 of 6 run, lowest at epoch 1
    (1.037)": the lowest point was printed with 4 significant digits, the rest with 4
    decimals."""
    from movierate.ui import charts

    history = {"stop_rmse": [1.0370, 1.041, 1.043, 1.044, 1.0448, 1.0450]}
    said = charts.learning_curves_text({"hilr": history}, {"hilr": 6})
    assert (
        "early-stopping RMSE 1.0450 at the kept epoch 6 of 6 run, lowest at epoch 1 (1.0370)"
        in (said)
    )
    losses = charts.curves_text({"hilr": {"reg_l2": [2.5e-5, 1.2e-5, 3e-5]}}, ["reg_l2"])
    assert "2.5e-05 at epoch 1 to 3e-05 at epoch 3, lowest at epoch 2 (1.2e-05)" in losses


def test_show_gives_the_hint_of_an_early_stopping_rmse_that_rose_from_epoch_1(
    trained_home, tmp_path, monkeypatch, capsys
):
    """F4, in `show` too: `train` printed the hint, `show` of the same model did not (it passed
    neither the history nor the learning rate)."""
    import json
    import shutil

    from movierate.cli import main

    home = tmp_path / "home"
    shutil.copytree(trained_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    path = home / "models" / "small-mf" / "meta.json"
    meta = json.loads(path.read_text())
    n = len(meta["history"]["stop_rmse"])
    meta["history"]["stop_rmse"] = [1.0 + 0.01 * i for i in range(n)]
    meta["metrics"]["best_epoch"] = 1
    path.write_text(json.dumps(meta, indent=2))
    assert n >= 2 and main(["show", "small-mf"]) == 0
    assert "Its early-stopping RMSE was lowest at epoch 1 (1.0000)" in capsys.readouterr().err


def test_the_models_tables_epoch_column_says_a_refit_was_not_stopped_early():
    """A refit's "epoch kept" read "5 of 5" on Home and Compare, as if early stopping had kept
    its last epoch; it ran its winning trial's epoch count with no rows to stop on."""
    from pathlib import Path

    from movierate import store
    from movierate.ui import text

    def info(name: str, split: dict) -> store.ModelInfo:
        spec = ModelSpec(family="mf_bias", dim=8, epochs=5)
        metrics = {"best_epoch": 5, "epochs_run": 5, "test_rmse": 0.9}
        return store.ModelInfo(
            name, Path(name), "2026-12-07T12:00:00", spec, "ml-100k", metrics, 1.0, 3, split
        )

    split = {"method": "random", "n_test": 10, "seed": 42}
    table = text.models_table(
        [info("tuned", {**split, "stop_rows_trained": True}), info("plain", split)]
    )
    kept = dict(zip(table["model"], table[text.EPOCHS_COLUMN], strict=True))
    assert kept == {"tuned": "5 of 5, refit: no early stopping", "plain": "5 of 5"}
