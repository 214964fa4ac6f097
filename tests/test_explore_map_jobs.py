"""Long maps: real progress counted from the method's own iterations, cancel at the next
iteration (nothing cached), and background jobs that leave the caller free."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from test_explore_helpers import movies_table, planted_clusters, tsne_job

from movierate.explore import MapCancelled, projection_map
from movierate.explore.map_jobs import CANCELLED, DONE, MapJobs
from movierate.explore.projection import iteration_hook, tsne_coordinates


def _data(n_per: int = 60):
    x, _ = planted_clusters(n_per, 8, spread=0.3, seed=3)
    return x, movies_table(len(x), n_ratings=[50] * len(x))


def test_tsne_progress_counts_its_iterations():
    x, movies = _data()
    seen: list[tuple[float, str]] = []
    projection_map(
        x, movies, method="tsne", min_ratings=1, perplexity=10, max_iter=500,
        progress=lambda f, m: seen.append((f, m)),
    )  # fmt: skip
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a <= b for a, b in zip(fractions, fractions[1:], strict=False)), seen
    counted = [m for _, m in seen if ": iteration " in m]
    assert counted, "no message names the iteration it is at"
    assert all(m.endswith("of 500…") for m in counted)


def test_the_hook_sees_every_tsne_iteration_and_only_in_its_own_thread():
    x, _ = _data(30)
    mine: list[int] = []
    other: list[int] = []

    def elsewhere() -> None:  # a run in another thread without a hook is not counted
        tsne_coordinates(x, perplexity=5, max_iter=250)

    iteration_hook(mine.append)
    try:
        thread = threading.Thread(target=elsewhere)
        thread.start()
        tsne_coordinates(x, perplexity=5, max_iter=300)
        thread.join()
    finally:
        iteration_hook(None)
    iteration_hook(other.append)
    iteration_hook(None)
    tsne_coordinates(x, perplexity=5, max_iter=250)
    assert mine[0] == 0 and max(mine) <= 299 and len(mine) >= 250
    assert not other


def test_umap_progress_counts_its_epochs(monkeypatch):
    pytest.importorskip("umap")
    from movierate.explore import projection

    hook = projection.iteration_hook
    slowed = lambda i, heard: (heard(i), time.sleep(0.002))  # noqa: E731
    # each epoch a little slower, so a warm UMAP of 120 movies outlasts a few 0.1 s reports
    monkeypatch.setattr(
        projection, "iteration_hook", lambda f: hook(f and (lambda i: slowed(i, f)))
    )
    x, movies = _data(40)
    seen: list[tuple[float, str]] = []
    projection_map(
        x, movies, method="umap", min_ratings=1, n_neighbors=10,
        progress=lambda f, m: seen.append((f, m)),
    )  # fmt: skip
    epochs = [m for _, m in seen if " epoch " in m]
    assert epochs and all("of 500" in m for m in epochs)


def test_cancel_stops_a_map_at_its_next_iteration_and_caches_nothing(tmp_path):
    x, movies = _data(150)
    cancel = threading.Event()
    reached: list[float] = []

    def report(fraction: float, message: str) -> None:
        reached.append(fraction)
        if fraction > 0.1:
            cancel.set()

    start = time.perf_counter()
    with pytest.raises(MapCancelled):
        projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=30, max_iter=5000,
            cache=lambda k: tmp_path / k, progress=report, cancel=cancel,
        )  # fmt: skip
    assert max(reached) < 0.5  # stopped long before the end of 5,000 iterations
    assert time.perf_counter() - start < 120
    assert not list(tmp_path.iterdir())  # nothing cached
    # a later request computes the map again, whole
    frame = projection_map(
        x, movies, method="tsne", min_ratings=1, perplexity=30, max_iter=250,
        cache=lambda k: tmp_path / k,
    )  # fmt: skip
    assert len(frame) == len(x) and np.isfinite(frame[["x", "y"]].to_numpy()).all()


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_a_cancel_while_the_trust_numbers_are_measured_stops_them_and_caches_nothing(
    tmp_path, monkeypatch, method
):
    """The trust numbers' neighbour searches (40 s or more at ml-32m's catalogue) were one
    call that no cancel reached: they now stop at the next chunk of rows (issue 15)."""
    from movierate.explore import quality

    x, movies = _data(150)
    monkeypatch.setattr(quality, "SEARCH_CHUNK", 32)
    cancel = threading.Event()
    searched: list[float] = []
    measure = quality.map_trust

    def cancelled_while_measuring(*args, **kwargs):
        cancel.set()  # pressed once the coordinates exist
        shares = kwargs["on_fraction"]
        return measure(
            *args, **{**kwargs, "on_fraction": lambda f: (searched.append(f), shares(f))}
        )

    monkeypatch.setattr(quality, "map_trust", cancelled_while_measuring)
    seen: list[tuple[float, str]] = []
    with pytest.raises(MapCancelled):
        projection_map(
            x, movies, method=method, min_ratings=1, perplexity=30, max_iter=250,
            cache=lambda k: tmp_path / k, progress=lambda f, m: seen.append((f, m)),
            cancel=cancel,
        )  # fmt: skip
    assert searched == [32 / len(x) * 0.9]  # stopped after the first chunk of 32 rows
    assert not list(tmp_path.iterdir())


def test_the_trust_search_reports_its_share_done_and_gives_the_unchunked_answer(monkeypatch):
    from movierate.explore import quality

    x, _ = _data(100)
    whole = quality.nearest_rows(x, 10, "cosine")
    monkeypatch.setattr(quality, "SEARCH_CHUNK", 64)
    shares: list[float] = []
    chunked = quality.nearest_rows(x, 10, "cosine", on_fraction=shares.append)
    assert np.array_equal(chunked, whole)
    assert shares == [min(64 * (i + 1), len(x)) / len(x) for i in range(len(shares))]
    assert shares[-1] == 1.0 and len(shares) == -(-len(x) // 64)


def test_a_background_job_reports_progress_and_can_be_cancelled(tmp_path):
    x, movies = _data(150)
    jobs = MapJobs()

    def compute(iterations: int):
        return tsne_job(x, movies, tmp_path, iterations)

    long = jobs.start("long", compute(5000))
    assert long.running  # start() returned at once
    assert jobs.start("long", compute(5000)) is long  # asked again: the same job
    deadline = time.monotonic() + 120
    while long.fraction < 0.08:  # real progress arrives while it runs
        assert long.running and time.monotonic() < deadline
        time.sleep(0.05)
    assert "iteration" in long.message
    long.cancel()
    assert long.wait(60)
    assert long.state == CANCELLED and isinstance(long.error, MapCancelled)
    assert long.fraction < 0.5 and not jobs.running()

    short = jobs.start("short", compute(250))
    assert short.wait(120) and short.state == DONE
    assert short.fraction == 1.0 and len(short.result) == len(x)
    assert jobs.start("long", compute(250)) is not long  # a cancelled job is replaced
    jobs.forget("long")
