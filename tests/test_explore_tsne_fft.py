"""t-SNE of large catalogues by openTSNE's FFT engine: picked by size, real progress counted from
its iterations, cancel at its next report (nothing cached), background jobs, reproducible
with a seed, cached under its own names."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from test_explore_helpers import (
    cancel_after_first_search_chunk,
    movies_table,
    planted_clusters,
    tsne_job,
)

from movierate.explore import MapCancelled, projection, projection_map
from movierate.explore.map_jobs import CANCELLED, DONE, MapJobs

pytest.importorskip("openTSNE")


@pytest.fixture
def fft_from_60(monkeypatch):
    """Maps of 60 movies or more use the FFT engine (FFT_FROM is thousands in production)."""
    monkeypatch.setattr(projection, "FFT_FROM", 60)


def _data(n_per: int = 60):
    x, labels = planted_clusters(n_per, 8, spread=0.3, seed=3)
    return x, movies_table(len(x), n_ratings=[50] * len(x)), labels


def _purity(points: np.ndarray, labels: np.ndarray) -> float:
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    return float((labels[distances.argmin(axis=1)] == labels).mean())


def test_the_engine_is_picked_by_size_and_falls_back_without_opentsne(monkeypatch):
    assert projection.tsne_engine(projection.FFT_FROM - 1) == "bh"
    assert projection.tsne_engine(projection.FFT_FROM) == "fft"

    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openTSNE" else real(name, *a)
    )
    assert projection.tsne_engine(10 * projection.FFT_FROM) == "bh"


def test_fft_keeps_clusters_apart_and_a_seed_reproduces_it_on_any_thread_count():
    x, _, labels = _data(40)
    first = projection.opentsne_coordinates(x, perplexity=10, max_iter=250, seed=4, threads=1)
    assert first.shape == (len(x), 2) and first.dtype == np.float32
    assert _purity(first, labels) == 1.0
    # the same map whatever the thread count (free_cores follows the machine's load)
    again = projection.opentsne_coordinates(x, perplexity=10, max_iter=250, seed=4, threads=2)
    np.testing.assert_array_equal(first, again)
    other = projection.opentsne_coordinates(x, perplexity=10, max_iter=250, seed=5)
    assert not np.array_equal(first, other)


def test_fft_progress_counts_its_iterations_over_both_phases(fft_from_60, tmp_path):
    x, movies, _ = _data()
    seen: list[tuple[float, str]] = []
    frame = projection_map(
        x, movies, method="tsne", min_ratings=1, perplexity=10, max_iter=400,
        cache=lambda k: tmp_path / k, progress=lambda f, m: seen.append((f, m)),
    )  # fmt: skip
    assert frame.attrs["engine"] == "fft"
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a <= b for a, b in zip(fractions, fractions[1:], strict=False)), seen
    counted = [m for _, m in seen if ": iteration " in m]
    assert counted and all(m.endswith("of 400…") and "openTSNE" in m for m in counted)
    (path,) = tmp_path.iterdir()
    assert "-fft-" in path.name and f"-a{projection.ANGLE:g}-" not in path.name
    again = projection_map(
        x, movies, method="tsne", min_ratings=1, perplexity=10, max_iter=400,
        cache=lambda k: tmp_path / k,
    )  # fmt: skip
    assert again.attrs["from_cache"] is True


def test_the_hook_hears_both_phases_of_an_opentsne_run():
    x, _, _ = _data(30)
    heard: list[int] = []
    projection.iteration_hook(heard.append)
    try:
        projection.opentsne_coordinates(x, perplexity=5, max_iter=300)
    finally:
        projection.iteration_hook(None)
    step = projection.HOOK_EVERY
    assert heard == list(range(step, 301, step))  # 250 exaggerated + 50 more, in order


def test_cancel_stops_an_fft_map_at_its_next_report_and_caches_nothing(fft_from_60, tmp_path):
    x, movies, _ = _data(100)
    cancel = threading.Event()
    reached: list[float] = []

    def report(fraction: float, message: str) -> None:
        reached.append(fraction)
        if fraction > 0.07:
            cancel.set()

    with pytest.raises(MapCancelled):
        projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=30, max_iter=5000,
            cache=lambda k: tmp_path / k, progress=report, cancel=cancel,
        )  # fmt: skip
    assert max(reached) < 0.5  # long before the end of 5,000 iterations
    assert not list(tmp_path.iterdir())


def test_a_background_fft_job_reports_progress_and_can_be_cancelled(fft_from_60, tmp_path):
    x, movies, _ = _data(100)
    jobs = MapJobs()

    def compute(iterations: int):
        return tsne_job(x, movies, tmp_path, iterations)

    long = jobs.start("long", compute(5000))
    assert long.running
    deadline = time.monotonic() + 120
    while ": iteration " not in long.message:  # past the neighbour search, in the iterations
        assert long.running and time.monotonic() < deadline
        time.sleep(0.05)
    assert "openTSNE" in long.message
    long.cancel()
    assert long.wait(60)
    assert long.state == CANCELLED and long.fraction < 0.5
    short = jobs.start("short", compute(300))
    assert short.wait(120) and short.state == DONE
    assert short.result.attrs["engine"] == "fft" and len(short.result) == len(x)


def test_fft_and_barnes_hut_maps_are_cached_apart():
    x, _ = planted_clusters(5, 4)
    params = {"perplexity": 5.0, "min_ratings": 0, "max_iter": 500, "metric": "cosine", "seed": 0}
    rows = np.arange(len(x))
    bh = projection.tsne_cache_key(x, rows, **params)
    assert bh == projection.tsne_cache_key(x, rows, engine="bh", **params)  # names unchanged
    fft = projection.tsne_cache_key(x, rows, engine="fft", **params)
    assert fft != bh and "-fft-" in fft


def test_the_neighbour_search_is_exact_and_the_trust_numbers_reuse_it(fft_from_60, tmp_path):
    """Issue 15: openTSNE's Annoy search (89% of the true neighbours at 30,000 movies, no
    progress, no cancel) is replaced by an exact chunked one, whose nearest 10 the trust
    numbers reuse instead of searching the embedding a second time."""
    from movierate.explore import quality

    x, movies, _ = _data(40)
    found, distances = projection.tsne_neighbours(x, 10, "cosine")
    assert found.shape == distances.shape == (len(x), 30)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    chord = np.sqrt(np.maximum(2 - 2 * unit @ unit.T, 0))  # Annoy's angular distance
    np.fill_diagonal(chord, np.inf)
    np.testing.assert_allclose(distances, np.sort(chord, axis=1)[:, :30], atol=1e-5)
    searched: list[int] = []
    real = quality.nearest_rows

    def counted(points, k, metric="euclidean", **kwargs):
        searched.append(points.shape[1])
        return real(points, k, metric, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quality, "nearest_rows", counted)
        frame = projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=10, max_iter=300,
            cache=lambda k: tmp_path / k, progress=lambda f, m: None,
        )  # fmt: skip
    assert sorted(searched) == [2, x.shape[1]]  # the embedding once (the map's), the map once
    coordinates = frame[["x", "y"]].to_numpy()
    from movierate.explore.validation import genre_lists

    again = quality.map_trust(x, coordinates, genre_lists(movies))
    assert frame.attrs["trust"] == again.as_dict()


def test_cancel_during_the_neighbour_search_stops_it(fft_from_60, tmp_path, monkeypatch):
    """The search before the first iteration is cancellable between its chunks."""
    x, movies, _ = _data(100)
    cancel = threading.Event()
    heard = cancel_after_first_search_chunk(monkeypatch, cancel)
    with pytest.raises(MapCancelled):
        projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=30, max_iter=5000,
            cache=lambda k: tmp_path / k, cancel=cancel,
        )  # fmt: skip
    assert heard == [16 / len(x)]  # stopped after its first chunk
    assert not list(tmp_path.iterdir())
