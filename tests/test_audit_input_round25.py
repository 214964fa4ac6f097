"""Bad-input round 25 (one long-running shared dashboard): finished jobs and prefetch memory
are bounded over a server's life (F2), and a page whose model another tab renamed or deleted
says so and names what it shows instead (F3). F1 (the training child's abort at exit) is in
``test_child_runner.py``."""

from __future__ import annotations

import gc
import json
import shutil
import threading
import time
import weakref

import pytest
from streamlit.testing.v1 import AppTest

from movierate import jobs as training_jobs
from movierate.explore import map_jobs
from movierate.explore.map_jobs import CANCELLED, DONE, MapJobs
from movierate.jobs import JobRegistry
from movierate.ui import shell, state

from apptest_helpers import APP  # isort: skip


class Spec:
    """What the registry needs of a spec."""

    def validate(self) -> None:
        pass


def _finished_registry(n: int, keep: int | None = None) -> JobRegistry:
    registry = JobRegistry(
        runner=lambda d, s, name, *a: name,
        max_workers=1,
        keep_finished=keep or training_jobs.MAX_FINISHED_JOBS,
    )
    for i in range(n):
        assert (
            registry.wait(registry.submit("ml-latest-small", Spec(), f"run-{i}"), 30).state
            == "done"
        )
    return registry


# ---- F2: finished jobs and prefetch keys are bounded ----------------------------------------


def test_the_registry_keeps_the_latest_finished_runs_and_counts_the_dropped():
    registry = _finished_registry(training_jobs.MAX_FINISHED_JOBS + 3)
    kept = [job.name for job in registry.jobs()]
    assert kept == [f"run-{i}" for i in range(training_jobs.MAX_FINISHED_JOBS + 2, 2, -1)]
    assert registry.dropped == 3


def test_an_active_run_is_never_dropped():
    release = threading.Event()

    def runner(dataset, spec, name, *args):
        if name == "long":
            release.wait(30)
        return name

    registry = JobRegistry(runner=runner, max_workers=2, keep_finished=2)
    long = registry.submit("ml-latest-small", Spec(), "long")
    try:
        for i in range(5):
            registry.wait(registry.submit("ml-latest-small", Spec(), f"quick-{i}"), 30)
        assert [j.name for j in registry.jobs()] == ["quick-4", "quick-3", "long"]
        assert registry.dropped == 3
    finally:
        release.set()
    assert registry.wait(long, 30).state == "done"
    assert [j.name for j in registry.jobs()] == ["quick-4", "long"]


def test_the_train_page_says_how_many_older_runs_were_dropped(trained_home, monkeypatch):
    registry = _finished_registry(4, keep=2)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(shell.PAGES["train"].script).run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [c.value for c in at.caption]
    assert any(
        "2 older finished runs were dropped from this list, which keeps the latest 2" in c
        for c in captions
    ), captions
    (runs,) = [box for box in at.selectbox if box.label == "Run"]
    elsewhere = "done, started in another tab or before a reload"  # views round 39, F7
    assert runs.options == [f"run-3 ({elsewhere})", f"run-2 ({elsewhere})"]


def _job(jobs: MapJobs, key: str, result="frame", fail: type | None = None):
    def compute(progress, cancel):
        if fail is not None:
            raise fail()
        return result

    job = jobs.start(key, compute)
    assert job.wait(30)
    return job


def test_a_finished_map_waits_for_its_page_then_is_dropped_after_a_while(monkeypatch):
    jobs = MapJobs()
    done = _job(jobs, "closed-tab")
    cancelled = _job(jobs, "cancelled", fail=map_jobs.MapCancelled)
    assert (done.state, cancelled.state) == (DONE, CANCELLED)
    assert jobs.get("closed-tab") is done  # its page has not shown it yet: kept
    later = time.monotonic() + map_jobs.KEEP_FINISHED_S + 1
    monkeypatch.setattr(map_jobs.time, "monotonic", lambda: later)
    assert jobs.get("closed-tab") is None and jobs.get("cancelled") is None


def test_at_most_max_finished_maps_are_kept_the_newest():
    jobs = MapJobs(max_finished=3)
    for i in range(6):
        _job(jobs, f"map-{i}")
        time.sleep(0.002)  # distinct finishing times
    assert [k for k in (f"map-{i}" for i in range(6)) if jobs.get(k)] == ["map-3", "map-4", "map-5"]


def test_a_running_map_is_never_dropped():
    jobs = MapJobs(keep_finished_s=0.0, max_finished=0)
    release = threading.Event()
    running = jobs.start("slow", lambda progress, cancel: release.wait(30))
    _job(jobs, "quick")
    assert jobs.get("slow") is running and jobs.get("quick") is None
    release.set()
    assert running.wait(30)


def test_a_finished_map_lets_its_model_go():
    """The job's compute closure held the model (a deleted model stayed in memory)."""

    class Model:
        pass

    model = Model()
    gone = weakref.ref(model)
    jobs = MapJobs()
    job = jobs.start("m", lambda progress, cancel, m=model: len(repr(m)))
    assert job.wait(30) and job.state == DONE
    del model
    gc.collect()
    assert gone() is None
    assert jobs.get("m") is job  # the map itself still waits for its page


def test_the_prefetch_memory_is_bounded(monkeypatch):
    computed = []
    monkeypatch.setattr(state, "cached", lambda func, *models, **params: computed.append(params))
    monkeypatch.setattr(state, "PREFETCH_MEMORY", 5)
    monkeypatch.setattr(state, "_PREFETCHED", type(state._PREFETCHED)())

    def analysis(model, *, n):
        return n

    model = type("Model", (), {"name": "prefetch-bound-model"})()
    for n in range(12):
        state.prefetch([(analysis, (model,), {"n": n})])
    assert len(state._PREFETCHED) == 5
    state.prefetch([(analysis, (model,), {"n": 11})])  # remembered: not started again
    state.prefetch([(analysis, (model,), {"n": 0})])  # forgotten: started again
    for thread in threading.enumerate():
        if thread.name == "movierate-prefetch":
            thread.join(30)
    assert sorted(p["n"] for p in computed) == [0, *range(12)]


# ---- F3: a model renamed or deleted in another tab ------------------------------------------


@pytest.fixture
def own_home(small_model_home, tmp_path, monkeypatch):
    """A copy of the session's two models (small-mf, small-deep) that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


def _open(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(shell.PAGES[page].script).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.parametrize("page", ["dimensions", "embeddings", "rate", "explore"])
@pytest.mark.parametrize("how", ["renamed", "deleted"])
def test_a_one_model_page_says_its_model_went_and_names_the_one_it_shows(page, how, own_home):
    gone = "small-deep"
    if page == "rate":  # Rate lists only models that can fold a user in (views round 27, F2)
        gone = "small-mf-2"
        shutil.copytree(own_home / "models" / "small-mf", own_home / "models" / gone)
        meta = json.loads((own_home / "models" / gone / "meta.json").read_text())
        (own_home / "models" / gone / "meta.json").write_text(json.dumps({**meta, "name": gone}))
    at = _open(page, model=gone)
    assert at.selectbox(key="model").value == gone
    folder = own_home / "models" / gone
    if how == "renamed":
        folder.rename(own_home / "models" / f"renamed-{gone}")
    else:
        shutil.rmtree(folder)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = _warnings(at)
    shown = at.selectbox(key="model").value
    assert (
        f"The model '{gone}' this tab showed was renamed or deleted (in another tab or by "
        f"the command line); this page now shows '{shown}'." in said
    ), said
    assert f"Ignored ?model={gone}" not in said  # not a bad link
    assert at.query_params["model"] in (shown, [shown])  # the link names what is shown
    at.run()  # said once
    assert "this tab showed" not in _warnings(at)


def test_a_model_gone_while_the_tab_is_on_another_page_is_said_on_the_next(own_home):
    at = _open("dimensions", model="small-deep")
    at.switch_page(shell.PAGES["home"].script).run()
    (own_home / "models" / "small-deep").rename(own_home / "models" / "renamed-deep")
    at.switch_page(shell.PAGES["embeddings"].script).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = at.selectbox(key="model").value
    assert "'small-deep' this tab showed was renamed or deleted" in _warnings(at)
    assert f"this page now shows '{shown}'" in _warnings(at)


def test_compare_says_which_of_its_models_went_and_keeps_the_rest(own_home):
    at = _open("compare", models=["small-deep", "small-mf"])
    (own_home / "models" / "small-deep").rename(own_home / "models" / "renamed-deep")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = _warnings(at)
    assert (
        "The model 'small-deep' this tab showed was renamed or deleted (in another tab or by "
        "the command line); this page now shows 'small-mf'." in said
    ), said
    assert "Ignored ?models=small-deep" not in said
    assert at.multiselect(key="models").value == ["small-mf"]


def test_compare_names_the_models_it_shows_when_all_of_its_went(own_home):
    at = _open("compare", models=["small-deep", "small-mf"])
    (own_home / "models" / "small-deep").rename(own_home / "models" / "deep-2")
    (own_home / "models" / "small-mf").rename(own_home / "models" / "mf-2")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = _warnings(at)
    shown = at.multiselect(key="models").value
    assert sorted(shown) == ["deep-2", "mf-2"]
    assert "The models 'small-deep' and 'small-mf' this tab showed were renamed or deleted" in said
    assert "this page now shows " + ", ".join(f"'{n}'" for n in shown) in said, said


def test_a_link_naming_a_model_this_tab_never_showed_is_still_a_link_notice(own_home):
    at = _open("dimensions", model="never-here")
    said = _warnings(at)
    assert "Ignored ?model=never-here from the link: there is no saved model named" in said
    assert "this tab showed" not in said
