"""The tuner: trials recorded, the best trial saved with trials.json, cancel, jobs and CLI."""

from __future__ import annotations

import json
import threading

import pytest

from movierate import cli, store
from movierate.data import synthetic_dataset, write_movielens_csv
from movierate.errors import SpecError, TrainingCancelled
from movierate.jobs import JobRegistry
from movierate.progress import Phase
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
    )
    assert len(result.trials) == len(seen) == 3
    complete = [t for t in result.trials if t.state == "complete"]
    assert complete and result.best_value == min(t.value for t in complete)
    assert result.best_spec.epochs == 3 and result.best_spec.family == "mf_bias"
    model = store.load_model("tuned-tiny")
    assert model.spec == result.best_spec
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
    assert default_spec_for("ml-1m") == default_spec_for("ml-1m-sample")
    with pytest.raises(SpecError, match="family"):
        default_spec_for("ml-100k", "nope")
