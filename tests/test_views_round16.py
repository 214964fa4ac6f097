"""Views round 16 (a slow link and an impatient user): a double click starts work once, a
confirmation outlives the second click's run, free automatic names, writes in progress are no
leftovers, and the Train monitor's Run picker is drawn from the first run on."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest
from test_app_train import open_train

from movierate import advice, atomic, store
from movierate.jobs import JobRegistry
from movierate.ui import once, state

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def held_jobs(monkeypatch):
    """A registry whose runs wait for ``release`` (so they stay active), as the dashboard's."""
    release = threading.Event()
    started = []

    def runner(dataset, spec, name, split_params, progress, cancel, **_):
        started.append(name)
        release.wait(30)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    yield registry, started
    release.set()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


# --- F1: one click, one run -------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "typed-name"])
def test_a_double_click_on_start_training_starts_one_run(trained_home, held_jobs, name):
    registry, _ = held_jobs
    at = open_train()
    next(w for w in at.text_input if w.label == "Embedding dimension").set_value("8")
    next(w for w in at.text_input if w.label == "Model name").set_value(name)
    click(at, "Start training")
    click(at, "Start training")  # the second click's run: the same form, the same values
    assert len(registry.jobs()) == 1, [j.name for j in registry.jobs()]
    said = texts(at.info)
    assert any("This training was already started" in s and "see it under Runs" in s for s in said)
    assert not at.error, texts(at.error)  # a typed name: not "already producing a model named"


def test_a_click_that_stops_the_run_right_after_the_start_still_starts_one(
    trained_home, held_jobs, monkeypatch
):
    """The second click lands mid-run: Streamlit stops the first run at its next call after
    the job was queued (a session-state write included), then runs the page again."""
    registry, _ = held_jobs
    stops = iter([True])

    def interrupted(spec):
        if next(stops, False):
            raise StopException()  # as Streamlit raises it when a click is waiting
        return []

    monkeypatch.setattr(advice, "spec_warnings", interrupted)
    at = open_train()
    click(at, "Start training")
    assert len(registry.jobs()) == 1
    click(at, "Start training")
    assert len(registry.jobs()) == 1, [j.name for j in registry.jobs()]


def test_start_once_records_without_a_streamlit_call(monkeypatch):
    """What makes the mid-run case hold: ``done`` touches no session state (each access to it
    is where Streamlit stops a run for a waiting click)."""
    calls = []

    class Watched(dict):
        def setdefault(self, key, default=None):
            calls.append(key)
            return super().setdefault(key, default)

        def __setitem__(self, key, value):
            calls.append(key)
            super().__setitem__(key, value)

    monkeypatch.setattr(once.st, "session_state", Watched())
    start = once.StartOnce("training", ("ml-latest-small", 8))
    assert start.earlier() is None
    calls.clear()
    start.done("job-1")
    assert calls == []
    assert once.StartOnce("training", ("ml-latest-small", 8)).earlier().result == "job-1"
    assert once.StartOnce("training", ("ml-latest-small", 16)).earlier() is None


def test_an_identical_start_is_refused_while_the_first_still_runs(monkeypatch):
    monkeypatch.setattr(once.st, "session_state", {})
    start = once.StartOnce("training", "same")
    start.done("job-1")
    monkeypatch.setattr(once, "REPEAT_S", 0.0)
    assert once.StartOnce("training", "same").earlier(still=lambda job: True) is not None
    assert once.StartOnce("training", "same").earlier(still=lambda job: False) is None


def test_a_double_click_on_start_tuning_starts_one_search(trained_home, held_jobs):
    registry, _ = held_jobs
    at = open_train()
    click(at, "Start tuning")
    click(at, "Start tuning")
    assert len(registry.jobs()) == 1, [j.name for j in registry.jobs()]
    assert any("This tuning was already started" in s for s in texts(at.info))


def test_a_double_click_on_the_quick_start_starts_one_run(trained_home, held_jobs):
    registry, _ = held_jobs
    at = AppTest.from_file(APP, default_timeout=60).run()
    click(at, "Train a good default model")
    assert "Start training" in [b.label for b in at.button]  # on Train, watching it
    at.switch_page("pages/home.py").run()
    click(at, "Train a good default model")  # the second click, handled on Home
    assert len(registry.jobs()) == 1, [j.name for j in registry.jobs()]
    assert at.session_state["watch_job"] == registry.jobs()[0].id


# --- F2: a confirmation survives the second click's run ----------------------------------


def test_renamed_message_survives_the_second_clicks_run(trained_home, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models" / "small-mf", home / "models" / "copy")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="manage_model").set_value("copy")
    at.text_input(key="manage_new_name").set_value("renamed").run()
    click(at, "Rename")
    message = "Renamed **copy** to **renamed**."
    assert message in texts(at.success)
    at.run()  # the second click's run, moments later
    assert message in texts(at.success), texts(at.success)
    monkeypatch.setattr(once, "FLASH_S", 0.0)
    at.run()  # the next action, once the message was drawn and read
    assert message not in texts(at.success)


def test_a_flash_is_drawn_again_when_its_run_was_stopped(monkeypatch):
    monkeypatch.setattr(once.st, "session_state", {})
    monkeypatch.setattr(once, "FLASH_S", 0.0)
    once.flash("home_message", "Renamed a to b.")
    assert once.take_flash("home_message") == "Renamed a to b."  # the run is then stopped
    assert once.take_flash("home_message") == "Renamed a to b."  # so the next one draws it
    once.flash_drawn("home_message")  # this run completed
    assert once.take_flash("home_message") is None


# --- F4: free automatic names ---------------------------------------------------------------


def test_a_raced_automatic_name_takes_the_next_number(isolated_home):
    base = "ml-latest-small-mf_bias-d8-l2"
    for name in (base, f"{base}-2"):
        (isolated_home / "models" / name).mkdir(parents=True)
    release = threading.Event()
    registry = JobRegistry(runner=lambda *a, **k: release.wait(10) and a[2], max_workers=1)
    try:
        first = registry.generate_name(base)
        assert first == f"{base}-3"
        registry.submit("ml-latest-small", None, first)
        assert registry.generate_name(base) == f"{base}-4"  # was base-2-2
    finally:
        release.set()


# --- F5: a write in progress is no leftover -------------------------------------------------


def test_a_save_in_progress_is_not_counted_as_a_leftover(isolated_home):
    models = isolated_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    with atomic.staging_folder(models, f"{store.TEMP_PREFIX}saving-") as temp:
        (temp / "embeddings.npz").write_bytes(b"x" * 57)
        report = store.leftovers(clean=False)
        assert [item.path for item in report.in_progress] == [temp]
        assert report.count == 0 and report.bytes == 0
        assert report.heading() == "Being written now"
        assert not any("leftover(s) of" in line for line in report.lines())
    dead = models / ".tmp-killed-1"
    dead.mkdir()
    report = store.leftovers(clean=False)
    assert report.count == 1 and report.heading().startswith("1 leftover(s) of interrupted")


# --- F3: the Run picker's code is loaded with the first run ------------------------------


def test_the_run_picker_is_drawn_from_the_first_run_on(trained_home, held_jobs):
    registry, _ = held_jobs
    at = open_train()
    click(at, "Start training")
    assert len(registry.jobs()) == 1
    assert "Run" in [s.label for s in at.selectbox]
