"""Bad-input round 35 (and its neighbours this stop): regressions that must not come back."""

from __future__ import annotations

import io
import shutil
import time

from movierate.cli import train as cli_train
from movierate.jobs import JobRegistry
from movierate.progress import Phase, ProgressEvent, time_estimate_text


def test_a_time_estimate_does_not_extrapolate_the_set_up(monkeypatch):
    """autorec's 11 s set-up over 1/40 of epoch 1 read "about 15 min for 4 epochs" of 0.2 s:
    the pace is measured from the first progress report, the set-up counted once."""
    assert time_estimate_text(11.5, 2 / 160, 4) != ""  # from the start: the old 15 min
    assert time_estimate_text(11.5, 2 / 160, 4, paced_from=(11.0, 1 / 160)) == ""
    clock = iter([0.0, 11.0, 11.2, 11.4])
    monkeypatch.setattr(cli_train.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    estimate = cli_train.TimeEstimate(None, out)
    estimate(ProgressEvent(Phase.BATCH, 1, 4, 1, 40))
    estimate(ProgressEvent(Phase.EPOCH, 1, 4, 40, 40))
    assert out.getvalue() == ""
    # a truly long run is still told, from its pace after the set-up
    clock = iter([0.0, 30.0, 43.0])
    out = io.StringIO()
    estimate = cli_train.TimeEstimate(None, out)
    for epoch in (1, 2):
        estimate(ProgressEvent(Phase.EPOCH, epoch, 10_000, 5, 5))
    assert "about 36 h for 10,000 epochs" in out.getvalue()


def test_a_job_records_where_its_pace_starts():
    def runner(dataset, spec, name, split_params, progress, cancel):
        time.sleep(0.3)  # the set-up
        progress(ProgressEvent(Phase.BATCH, 1, 4, 1, 40))
        progress(ProgressEvent(Phase.EPOCH, 1, 4, 40, 40))
        return name

    class Spec:
        epochs = 4

        def validate(self) -> None:
            pass

    registry = JobRegistry(runner=runner, max_workers=1)
    snap = registry.wait(registry.submit("ml-latest-small", Spec(), "paced", {}), timeout=10)
    seconds, share = snap.first_report
    assert seconds >= 0.3 and share == 1 / 160


def test_a_model_deleted_elsewhere_is_said_after_a_link_notice_about_it(
    small_model_home, tmp_path, monkeypatch
):
    """Compare opened from ``?model=a&model=b`` ("model may be given once") then dropped ``a``,
    deleted by the command line, without a word: that notice was taken for one saying ``a`` is
    no saved model."""
    from test_app_hardening import no_exception, notices, open_page

    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    at = open_page("compare", {"model": ["small-deep", "small-mf"]})
    no_exception(at)
    assert "model may be given once" in notices(at)
    shutil.rmtree(home / "models" / "small-deep")
    at.run()
    no_exception(at)
    said = notices(at)
    assert "The model 'small-deep' this tab showed was renamed or deleted" in said, said
    assert at.multiselect(key="models").value == ["small-mf"]


def test_a_kept_epoch_given_as_a_float_reads_as_a_whole_number():
    """Accuracy round 29: the Train page passed a live job's float best_epoch: "the kept epoch
    3.0 of 3 run" under a status line that said "kept epoch 3"."""
    from movierate.ui import charts

    history = {"epoch": [1.0, 2.0, 3.0], "stop_rmse": [1.0, 0.9, 0.95]}
    said = charts.learning_curves_text({"run": history}, {"run": 2.0})
    assert "the kept epoch 2 of 3 run" in said, said


def test_the_uploaders_say_the_size_limit_and_what_to_do_beyond_it(monkeypatch, tmp_path):
    """Bad-input round 39: a file over the limit got only Streamlit's "File must be 1.0GB or
    smaller", refused before the page runs: the uploaders' help says the limit and the way out."""
    from test_app_hardening import open_page

    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    at = open_page("home")
    helps = [getattr(u, "help", "") or "" for u in at.get("file_uploader")]
    assert any(
        "Files up to 1,024 MB" in h and "python -m movierate datasets FILE" in h for h in helps
    ), helps
