"""Views round 43 (a bigger data set on a busy machine): the map's time estimate before the
press and while it runs (F1; recheck 16b, F1-F2: both still far off), a notice in the Map tab
after Cancel (F2), and a progress bar with the pass being scored on Dimensions' first open
(F4)."""

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


def _iterate(job: MapJob, clock: _Clock, done: range, per_second: float, total=500) -> None:
    """Report ``done`` iterations of ``total`` at ``per_second``."""
    for i in done:
        clock.now += 1 / per_second
        job._report(0.05 + 0.9 * i / total, f"{HEAD}: iteration {i} of {total:,}…")


def test_time_left_waits_for_the_steady_phase_and_comes_from_its_pace(clock):
    """F1 (a): the bar said only "iteration 330 of 500… (45 s)"; recheck 16b, F1: the pace of
    the latest 10 s then said "about 498 s left" with 42 s to go (scikit-learn's first
    iterations are far slower). No time left is told before iteration 250 (early
    exaggeration's end); after it, the time left comes from that phase's own pace."""
    job = MapJob("key", lambda progress, cancel: None)
    job._report(0.0, f"{HEAD}: finding each movie's nearest neighbours (40%)…")
    assert job.seconds_left is None
    assert maps.progress_text(job).endswith("(40%)… (0 s)")
    _iterate(job, clock, range(1, 8), per_second=1.5)  # scikit-learn's slow first iterations
    _iterate(job, clock, range(8, 250), per_second=50)  # then early exaggeration, fast
    assert job.seconds_left is None
    text = maps.progress_text(job)
    assert text.endswith("; the time left shows from iteration 250 on, when the pace settles)")
    assert "iteration 249 of 500…" in text and " s left" not in text
    _iterate(job, clock, range(250, 260), per_second=8)  # under 2 s of the steady phase
    assert job.seconds_left is None
    assert "estimating the time left…" in maps.progress_text(job)
    _iterate(job, clock, range(260, 330), per_second=8)  # a busy machine: 8 a second
    # the phase's pace, not early exaggeration's 50 a second nor the mean since the first
    assert job.seconds_left == pytest.approx(171 / 8, rel=0.02)
    assert maps.progress_text(job).endswith("iteration 329 of 500… (" + f"{job.seconds:.0f} s; "
                                            "under 2 minutes left)")  # fmt: skip
    clock.now += 20  # a stall: no iteration for 20 s slows the pace, it does not count down
    assert job.seconds_left > 171 / 8
    job._report(0.96, f"{HEAD}: measuring how much the map keeps (20%)…")
    assert job.seconds_left is None
    assert maps.progress_text(job).endswith("(20%)… (" + f"{job.seconds:.0f} s)")


def test_time_left_is_a_band_that_says_almost_done_never_0_s():
    """Recheck 16b, F1: "about 5 s left" with 13 s to go, "about 0 s left" for the last 3 s.
    The bar names the band that holds 3x the steady pace's figure plus the trust numbers."""
    assert maps.time_left_text(0.0) == "almost done"
    assert maps.time_left_text(2.0) == "almost done"
    assert maps.time_left_text(5.3) == "under 30 s left"  # 13 s were left
    assert maps.time_left_text(15.0) == "under a minute left"
    assert maps.time_left_text(42.0) == "under 3 minutes left"
    assert maps.time_left_text(150.0) == "under 10 minutes left"
    assert maps.time_left_text(5000.0) == "more than 83 minutes left at the recent pace"
    limits = [limit for limit, _ in maps.LEFT_BANDS]
    assert limits == sorted(limits)


#: (seconds, iteration) of two maps on ml-latest-small at load 6-11 on 2 cores, logged every
#: 0.5 s (recheck 16b, s2_mls_*.log), and the second each map was done (trust numbers included)
_SKLEARN_RUN = (
    58.1,
    """11:2 15.5:7 16.1:9 16.7:13 17.2:20 17.7:33 18.3:47 18.8:50 19.3:62
19.8:63 20.4:69 20.9:73 21.4:91 22:118 22.6:134 23.2:144 23.7:145 24.2:153 24.8:172 25.3:179
25.8:187 26.4:211 27.4:237 27.9:249 28.5:256 29.1:257 29.6:261 31.5:263 32.1:265 32.7:268
33.8:271 35:290 35.5:292 36.6:295 37.1:295 37.6:297 38.1:300 38.7:303 39.2:310 40.3:312
40.8:315 41.5:329 42.6:355 43.1:367 43.6:376 44.1:383 44.7:390 45.3:396 46.4:400 47:409
47.5:413 48:424 48.7:440 49.2:448 50.3:451 50.8:456 52.5:472 53:474 53.5:490 55.3:495""",
)
_OPENTSNE_RUN = (
    46.0,
    """5.3:10 5.9:15 6.4:30 6.9:40 7.5:50 8:55 8.5:65 9.1:80 9.6:90
10.2:95 10.7:100 11.2:110 11.8:120 12.5:125 16:135 16.6:135 17.1:140 17.6:145 18.1:150
18.7:160 19.3:165 19.8:165 20.3:170 20.8:180 21.4:195 21.9:210 22.4:225 22.9:240 23.5:250
24:255 24.5:265 25.2:275 25.7:285 26.2:295 26.7:300 27.2:310 27.8:315 28.3:320 28.8:330
29.3:345 29.8:355 30.3:370 30.8:380 31.3:385 31.9:395 32.4:405 32.9:410 33.4:415 33.9:420
34.6:425 35.1:440 35.6:445 36.1:450 36.6:455 37.1:460 37.7:465 38.2:470 38.7:475 39.2:475
39.8:480 40.3:480 40.8:485 41.3:485 41.8:485 42.3:485 42.9:490 43.4:490 43.9:490 44.5:495
45:495 45.5:495""",
)


@pytest.mark.parametrize("run", [_SKLEARN_RUN, _OPENTSNE_RUN], ids=["sklearn", "opentsne"])
def test_time_left_holds_the_real_end_of_the_rechecks_runs(clock, run):
    """Recheck 16b, F1, replayed: every time left the bar tells holds the real time left
    (it said 12x too much, then 2.5x too little); none before iteration 250."""
    end, series = run
    job = MapJob("key", lambda progress, cancel: None)
    start, told = clock.now, []
    for pair in series.split():
        seconds, done = pair.split(":")
        clock.now = start + float(seconds)
        job._report(0.05 + 0.9 * int(done) / 500, f"{HEAD}: iteration {done} of 500…")
        text = maps.progress_text(job)
        assert " 0 s" not in text and "about" not in text, text
        if int(done) < 250:
            assert job.seconds_left is None and "shows from iteration 250 on" in text
            continue
        if job.seconds_left is None:
            continue
        limit, said = next(band for band in maps.LEFT_BANDS if text.endswith(f"; {band[1]})"))
        real = end - float(seconds)
        assert real <= limit, (seconds, done, said, real)
        told.append(said)
    assert told[-1] == "almost done" and len(set(told)) >= 3, told


def test_umap_time_left_waits_for_its_epochs_pace(clock):
    """Recheck 16b, F1 (UMAP): the first epoch carries numba's compilation, so no time left
    until a tenth of the epochs are done; then at the epochs' own pace."""
    job = MapJob("key", lambda progress, cancel: None)
    umap = "UMAP of 863 movies (15 neighbours, min. distance 0.1, cosine)"
    for epoch in range(0, 101):
        job._report(0.2 + 0.75 * epoch / 200, f"{umap}: epoch {epoch} of 200…")
        if epoch < 20:
            assert "the time left shows from epoch 20 on" in maps.progress_text(job)
        clock.now += 15 if epoch == 0 else 0.1  # the first epoch compiles
    assert job.seconds_left == pytest.approx(100 * 0.1, rel=0.05)
    assert maps.progress_text(job).endswith("; under a minute left)")


def test_a_map_without_a_steady_phase_promises_no_time_left(clock):
    """A t-SNE of 250 iterations is all early exaggeration: the bar promises no time left."""
    job = MapJob("key", lambda progress, cancel: None)
    _iterate(job, clock, range(1, 250), per_second=10, total=250)
    assert job.seconds_left is None
    assert maps.progress_text(job).endswith("iteration 249 of 250… (" + f"{job.seconds:.0f} s)")


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
    the note says what the estimate assumes. Recheck 16b, F2: its figure scaled by the load
    said "about 153 s" for a map that took 45 s and "about 22 s" for one that took 57 s; a
    busy machine now gets the load and "several times longer", no scaled figure."""
    monkeypatch.setattr(projection, "_RATE", dict(projection._RATE))
    monkeypatch.setattr(projection.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    big = _tsne(max_iter=2000)  # past "a few seconds" on 2 idle cores
    idle = projection.expected_seconds("tsne", 3615, big, cores=2)
    assert projection.load_per_core() == 1.0 and idle > projection.FEW_SECONDS
    calm = projection.cost_text("tsne", 3615, big)
    assert calm == f"about {idle:.0f} s while the machine is not busy"
    for load in (2.5, 8.4, 14.2):
        monkeypatch.setattr(projection.os, "getloadavg", lambda load=load: (load, 9.0, 9.0))
        assert projection.load_per_core() == pytest.approx((load + 1) / 2)
        busy = projection.cost_text("tsne", 3615, big)
        assert busy == (
            f"about {idle:.0f} s on this machine when it is not busy; it is busy now, with a "
            f"1-minute load of {load:.1f} on 2 cores, so it may take several times longer"
        )
        assert "(" not in busy  # the page puts the note in brackets of its own


def test_busy_cost_note_reads_without_nested_brackets_on_the_page(trained_home, monkeypatch):
    """Recheck 16b, F2: the note ended "(more if it gets busier)); it is cached afterwards."."""
    monkeypatch.setattr(projection.os, "getloadavg", lambda: (40.0, 40.0, 40.0))
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="t-SNE")
    (note,) = [i.value for i in at.info if "Compute map" in i.value]
    assert "so it may take several times longer); it is cached afterwards." in note
    assert "))" not in note and "expect about" not in note


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
