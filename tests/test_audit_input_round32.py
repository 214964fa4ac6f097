"""Bad-input round 32: training settings at their extremes.

F1 a loss that blows up is a divergence even when a clipped output keeps the RMSE in range, and
the advice names the learning rate with values inside its range; F2 a long run says how long it
will take; F3 a run that cannot fit in memory is refused with the numbers, a batch over the
training rows is said; F4 NaN / inf strengths get the range; F5 the split seed has the
training seed's range; F6 an empty hidden-units entry is refused.
"""

from __future__ import annotations

import io

import pytest

from movierate import pipeline, store
from movierate.cli import main
from movierate.cli import train as cli_train
from movierate.data import make_split, synthetic_dataset
from movierate.errors import SpecError
from movierate.progress import Phase, ProgressEvent, time_estimate_text
from movierate.schema import parse_units
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def tiny():
    return synthetic_dataset(3_000, seed=1)


def test_a_loss_that_blows_up_is_a_divergence():
    from movierate.nn.training import TrainingDiverged, check_loss_diverged

    check_loss_diverged(3, [1.0, 0.8, 0.7], 1.1)  # falling
    check_loss_diverged(2, [0.01, 0.05], 1.0)  # five-fold, but far below where it started
    with pytest.raises(TrainingDiverged, match=r"rose from 1\.2 \(its first step\) to 1e\+07") as e:
        check_loss_diverged(1, [1.0e7], 1.2, 10.0)
    assert "try 1 instead of 10" in str(e.value) and "nothing was saved" in str(e.value)
    with pytest.raises(TrainingDiverged, match=r"5 times its lowest \(0\.5\)"):
        check_loss_diverged(3, [1.0, 0.5, 2.5], 1.1, 0.05)


def test_a_clipped_run_at_rate_10_is_refused_as_diverged_and_saves_nothing(tiny):
    """lr 10 kept the RMSE at 2.6 with the clip output while the loss reached 1e8: saved."""
    spec = ModelSpec(dim=8, epochs=3, learning_rate=10.0, output="clip").validate()
    with pytest.raises(SpecError, match=r"Training diverged: the training loss rose.*try 1 "):
        pipeline.train_and_save(tiny, spec, "lr10")
    assert store.list_models() == ([], [])


def test_the_advice_never_suggests_a_rate_outside_its_range():
    still = {"best_epoch": 3, "epochs_run": 3, "test_rmse": 2.6, "test_rmse_of_mean": 1.05}
    at_top = store.reference_warning(still, None, 10.0)
    assert "higher learning rate" not in at_top and "the highest allowed" in at_top
    assert "try 0.05 instead of 0.005" in store.reference_warning(still, None, 0.005)
    assert "at most 10" in store.reference_warning(still)  # rate unknown
    worse = {**still, "best_epoch": 1}
    assert "try 1 instead of 10" in store.reference_warning(worse, None, 10.0)


def test_a_rate_too_small_to_learn_is_named():
    """lr 1e-12: test RMSE equal to the mean's, and no word that the rate was the cause."""
    metrics = {
        "best_epoch": 3,
        "epochs_run": 3,
        "test_rmse": 1.05421,
        "test_rmse_of_mean": 1.05419,
        "test_rmse_of_averages": 0.879,
        "stop_rmse": 1.03610,
        "stop_rmse_of_mean": 1.03611,
    }
    warning = store.reference_warning(metrics, None, 1e-12)
    assert "its learning rate, 1e-12, is too low to move the weights" in warning
    assert "train again with 0.005" in warning
    # the recheck: a flat RMSE kept its first epoch as the best, 7e-5 from the mean's, and was
    # told "it got worse after epoch 1: lower the learning rate (try 1e-13 ...)"
    flat = {**metrics, "best_epoch": 1, "stop_rmse": 1.0361409, "stop_rmse_of_mean": 1.0362109}
    warning = store.reference_warning(flat, None, 1e-12)
    assert "too low to move the weights" in warning and "got worse" not in warning
    # at the default rate a model level with the mean is not blamed on its rate
    assert "too low" not in store.reference_warning(metrics, None, 0.005)


def test_memory_estimate_refuses_what_cannot_fit_and_warns_when_close():
    from movierate.nn.training import check_memory, memory_estimate

    big = ModelSpec(family="deep", dim=1024, hidden_units=(4096, 4096, 4096), batch_size=1048576)
    need = memory_estimate(big, 610, 9724, 81_677)
    assert need > 8 * 2**30  # the fuzz run grew past 8.3 GiB inside one epoch
    with pytest.raises(SpecError, match=r"need about [\d.,]+ GiB of memory .*only 4\.0 GiB"):
        check_memory(big, 610, 9724, 81_677, available=4 * 2**30)
    notes = check_memory(big, 610, 9724, 81_677, available=int(need * 1.5))
    assert "batch 1,048,576 > 81,677 training rows: one step per epoch" in notes[0]
    assert "of memory" in notes[1]
    assert check_memory(ModelSpec(), 610, 9724, 81_677, available=2**34) == []


def test_training_refuses_before_building_and_hands_the_notes_on(tiny, monkeypatch):
    from movierate.nn import training

    split = make_split(tiny, seed=0)
    monkeypatch.setattr(training, "available_memory", lambda: 1024)
    monkeypatch.setattr(training, "build_model", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(SpecError, match="only 0.0 GiB is available, so it was not started"):
        training.train(tiny, split, ModelSpec(dim=8, epochs=1).validate())
    monkeypatch.undo()
    said: list[str] = []
    spec = ModelSpec(dim=4, epochs=1, batch_size=1_000_000).validate()
    training.train(tiny, split, spec, notes=said.append)
    assert said and f"> {len(split.train):,} training rows: one step per epoch" in said[0]


def test_a_long_run_says_how_long(monkeypatch):
    assert time_estimate_text(13.0, 1 / 10_000, 10_000) == (
        "about 36 h for 10,000 epochs at this pace (less if early stopping ends it)"
    )
    assert time_estimate_text(1.0, 1 / 10, 10) == ""  # 10 s in all: nothing said
    clock = iter([0.0, 13.0, 26.0])
    monkeypatch.setattr(cli_train.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    estimate = cli_train.TimeEstimate(None, out)
    for epoch in (1, 2):
        estimate(ProgressEvent(Phase.EPOCH, epoch, 10_000, 5, 5))
    assert out.getvalue() == (
        "note: about 36 h for 10,000 epochs at this pace (less if early stopping ends it); "
        "Ctrl-C stops it and saves nothing.\n"
    )


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_non_finite_strengths_get_the_range(bad, capsys):
    with pytest.raises(SpecError) as e:
        ModelSpec(regularizers={"l2": float(bad)}).validate()
    assert "a strength is a finite number from 0 to 1e+06" in str(e.value)
    assert "mapping" not in str(e.value)
    assert main(["train", "ml-latest-small", "--reg", f"l2={bad}"]) == 1
    err = capsys.readouterr().err
    assert f"--reg l2={bad} is invalid: a strength is a finite number from 0 to 1e+06" in err
    assert "{" not in err


def test_the_split_seed_has_the_training_seeds_range(capsys):
    assert pipeline.split_settings({"seed": 2**31 - 1})["seed"] == 2**31 - 1
    for seed in (2**64, -5):
        with pytest.raises(SpecError, match="whole number from 0 to 2147483647, like the training"):
            pipeline.split_settings({"seed": seed})
    main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # the help as one line, unwrapped
    assert "timestamp); use a whole number from 0 to 2147483647 [42]" in out


def test_an_empty_hidden_units_entry_is_refused():
    with pytest.raises(SpecError, match=r"'8,,4' has an empty entry \(number 2\)"):
        parse_units("8,,4", "--hidden-units")
    with pytest.raises(SpecError, match="empty entry"):
        parse_units("8,4,", "--hidden-units")
    assert parse_units("64, 32") == (64, 32) and parse_units(",") == ()
