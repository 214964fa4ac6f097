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


def test_the_tiles_of_a_tuning_run_without_refit_are_the_saved_trials_own(tiny):
    """F2: with no refit the saved model is the winning trial; its tile says so."""
    from movierate.ui import text

    snap, result = _tuned_job(tiny, refit=False)
    tiles = {label: (value, said) for label, value, said in text.run_tiles(snap)}
    value, said = tiles["early-stopping RMSE, winning trial"]
    assert value == f"{result.result.metrics['stop_rmse']:.4f}" and "its own" in said
