"""Views round 43 (a bigger data set on a busy machine): the map's time estimate before the
press and while it runs (F1), a notice in the Map tab after Cancel (F2), and a progress bar
with the pass being scored on Dimensions' first open (F4)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from apptest_helpers import assert_clean, open_page, vega_specs
from streamlit.delta_generator import DeltaGenerator

from movierate import store
from movierate.explore import map_jobs, ordering, projection
from movierate.explore.map_jobs import MapJob
from movierate.explore.validation import check_matrix
from movierate.ui import maps, state, widgets

HEAD = "t-SNE of 3,615 movies (perplexity 30, 500 iterations, cosine)"


class _Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(map_jobs.time, "monotonic", fake)
    return fake


def _iterate(job: MapJob, clock: _Clock, done: range, per_second: float) -> None:
    """Report ``done`` iterations of 500 at ``per_second``."""
    for i in done:
        clock.now += 1 / per_second
        job._report(0.05 + 0.9 * i / 500, f"{HEAD}: iteration {i} of 500…")


def test_time_left_comes_from_the_jobs_own_pace_over_its_last_stretch(clock):
    """F1 (a): the bar said only "iteration 330 of 500… (45 s)" against an estimate of 33 s
    given before the press; it now says the time left at the job's own recent pace, and
    "estimating" until it has 2 s of iterations to go on."""
    job = MapJob("key", lambda progress, cancel: None)
    job._report(0.0, f"{HEAD}: finding each movie's nearest neighbours (40%)…")
    assert job.seconds_left is None
    assert maps.progress_text(job).endswith("; estimating the time left…)")
    _iterate(job, clock, range(1, 20), per_second=20)  # under a second of iterations
    assert job.seconds_left is None
    assert "estimating the time left" in maps.progress_text(job)
    _iterate(job, clock, range(20, 250), per_second=50)  # t-SNE's fast early exaggeration
    assert job.seconds_left == pytest.approx(250 / 50, rel=0.15)  # 10 s: a little of 20/s
    _iterate(job, clock, range(250, 330), per_second=8)  # then a busy machine: 8 a second
    # the last 10 s of iterations set the pace, not the mean since the first
    assert job.seconds_left == pytest.approx(170 / 8, rel=0.1)
    text = maps.progress_text(job)
    assert "iteration 329 of 500…" in text and f"about {job.seconds_left:.0f} s left)" in text
    clock.now += 5  # no report for 5 s: the time left counts down
    assert job.seconds_left == pytest.approx(170 / 8 - 5, rel=0.1)
    job._report(0.96, f"{HEAD}: measuring how much the map keeps (20%)…")
    assert job.seconds_left is None
    assert maps.progress_text(job).endswith("(20%)… (" + f"{job.seconds:.0f} s)")


def test_step_of_reads_iterations_and_epochs_only():
    assert projection.step_of(f"{HEAD}: iteration 1,330 of 5,000…") == ("iteration", 1330, 5000)
    assert projection.step_of("UMAP of 9 movies (15 neighbours): epoch 7 of 200…") == (
        "epoch",
        7,
        200,
    )
    assert projection.step_of(f"{HEAD}: measuring how much the map keeps (40%)…") is None


def _tsne(**params) -> dict:
    return {"method": "tsne", "perplexity": 30.0, "max_iter": 500, "metric": "cosine",
            "seed": 0, "min_ratings": 0, **params}  # fmt: skip


def test_estimate_before_the_press_says_it_is_for_a_machine_that_is_not_busy(monkeypatch):
    """F1 (b): "2,930 movies, about 7 s" on 2 cores at load 6-16, where the map took 170 s:
    the note says what the estimate assumes and, while the machine is busy, gives it scaled
    by the load too."""
    monkeypatch.setattr(projection, "_RATE", dict(projection._RATE))
    monkeypatch.setattr(projection.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    big = _tsne(max_iter=2000)  # past "a few seconds" on 2 idle cores
    idle = projection.expected_seconds("tsne", 3615, big)
    assert projection.busy_factor() == 1.0 and idle > projection.FEW_SECONDS
    calm = projection.cost_text("tsne", 3615, big)
    assert calm == f"about {idle:.0f} s while the machine is not busy"
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (14.2, 10.0, 9.0))
    assert projection.busy_factor() == pytest.approx(7.6)
    busy = projection.cost_text("tsne", 3615, big)
    # one free core of two, and it shared with the load: 2 x 7.6 = about 15x the idle time
    work = idle - projection.MAP_SETUP_SECONDS
    slowed = (projection.MAP_SETUP_SECONDS + 2 * work) * 7.6
    assert busy == (
        f"about {idle:.0f} s on this machine when it is not busy; it is busy now (1-minute "
        f"load 14.2 on 2 cores), so expect about {slowed:.0f} s (more if it gets busier)"
    )


def test_cost_note_counts_the_movies_the_map_will_draw(trained_home, monkeypatch):
    """F1: the note's movies are the rows the map draws (all of them at min. ratings 0)."""
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    model = store.load_model("small-mf")
    for least in (0, 20):
        rows = projection.map_rows(check_matrix(model.movie_embedding), model.movies,
                                   method="tsne", metric="cosine", min_ratings=least)  # fmt: skip
        note = widgets.map_cost_text(model, "tsne", _tsne(min_ratings=least))
        assert note.startswith(f"{len(rows):,} movies, ") and note.endswith("not busy")
    assert len(projection.map_rows(check_matrix(model.movie_embedding), model.movies,
                                   method="tsne", metric="cosine", min_ratings=0)) == len(
        model.movies
    )  # fmt: skip


def _walk(node) -> list:
    """The page's elements in the order they are drawn."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [leaf for key in sorted(children) for leaf in _walk(children[key])]


def test_cancel_says_when_and_where_the_map_stopped_in_the_map_tab(trained_home, monkeypatch):
    """F2: after Cancel the Map tab showed only its first-visit prompt (the notice was above
    the page title): it now says, where the map would have gone, after how long and at which
    iteration it stopped, and that nothing was saved."""
    monkeypatch.setattr(maps, "INLINE_WAIT_S", 0.0)
    monkeypatch.setattr(maps, "QUIET_WAIT_S", 0.0)
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="t-SNE",
                   tsne_min="0", iterations="5000")  # fmt: skip
    next(b for b in at.button if b.label == "Compute map").click().run()
    (job,) = maps.map_jobs().running()
    deadline = time.monotonic() + 120
    while ": iteration " not in job.message:
        assert job.running and time.monotonic() < deadline
        time.sleep(0.2)
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert_clean(at)
    assert job.wait(60) and job.state == "cancelled"
    (notice,) = [w.value for w in at.warning if "The map was cancelled" in w.value]
    assert notice.startswith("The map was cancelled after ")
    assert ", at iteration " in notice and " of 5,000; nothing was saved." in notice
    drawn = [str(getattr(e, "value", e.type)) for e in _walk(at.main)]
    title = drawn.index("Embeddings")
    where = drawn.index(notice)
    prompt = next(i for i, value in enumerate(drawn) if "press **Compute map**" in value)
    assert title < where == prompt - 1  # in the Map tab, just above its prompt
    at.run()  # said once
    assert not any("The map was cancelled" in w.value for w in at.warning)


def test_dimension_report_tells_each_scoring_pass(monkeypatch):
    """F4: each pass of the report's scoring is reported: every dimension zeroed, then the
    first k as trained and as principal directions."""
    rng = np.random.default_rng(0)
    told: list[tuple[float, str]] = []

    class _Model:
        spec = None
        arrays = {"user_embedding": rng.normal(size=(6, 4)).astype(np.float32),
                  "movie_embedding": rng.normal(size=(5, 4)).astype(np.float32)}  # fmt: skip

    monkeypatch.setattr(ordering, "_squared_errors", lambda *a: np.zeros(3, np.float32))
    monkeypatch.setattr(ordering, "pca_arrays", lambda arrays, *a: arrays)
    monkeypatch.setattr(ordering, "truncated_arrays", lambda basis, k: basis)
    errors = ordering._report_errors(_Model(), *(np.zeros(3),) * 3, None,
                                     lambda f, what: told.append((f, what)))  # fmt: skip
    assert [e.shape for e in errors] == [(4, 3), (5, 3), (5, 3)]
    assert len(told) == 3 * 4 + 2
    whats = [what for _, what in told]
    assert whats[:4] == [f"dimension {j} of 4 zeroed" for j in range(1, 5)]
    assert whats[4] == "no dimension kept (as trained)"
    assert whats[-1] == "only the first 4 of 4 dimensions kept (principal directions)"
    fractions = [f for f, _ in told]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] < 1


def test_dimensions_first_open_shows_a_bar_with_the_pass_being_scored(trained_home, monkeypatch):
    """F4: the first open took 6.75 s with only a spinner; it shows a progress bar that
    counts the passes ("dimension 2 of 16 zeroed") and goes once the report is drawn."""
    from movierate.ui import dimensions

    real = ordering.model_dimension_report

    def slow(model, ds=None, *, progress=None, **kw):
        for j in range(1, 4):
            if progress is not None:  # the page before the fix passed none
                progress(j / 10, f"dimension {j} of {model.dim} zeroed")
            time.sleep(0.4)
        return real(model, ds, progress=progress, **kw)

    shown: list[tuple[int, str]] = []
    bar = DeltaGenerator.progress

    def record(self, value, text=None, **kw):
        shown.append((value, text))
        return bar(self, value, text=text, **kw)

    monkeypatch.setattr(ordering, "model_dimension_report", slow)
    monkeypatch.setattr(DeltaGenerator, "progress", record)
    monkeypatch.setattr(dimensions, "QUIET_WAIT_S", 0.1, raising=False)
    state._cached_call.clear()  # the report computed here, not read from an earlier test's
    at = open_page("pages/dimensions.py", model="small-mf")
    texts = [text for _, text in shown]
    assert "Scoring the held-out rows: dimension 2 of 16 zeroed…" in texts, texts
    assert not at.get("progress")  # gone once the report is drawn
    assert len(vega_specs(at)) == 2
