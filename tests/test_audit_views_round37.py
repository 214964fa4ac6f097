"""Views round 37 (time estimates told vs measured): the map's "about N s" cost note after a
small or first map, and UMAP's compile time said one way."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from movierate.explore import projection

#: What the reviewer measured, in order, each in a fresh process: (method, movies, seconds
#: the map took, engine). t-SNE after a small map, the dashboard's two tabs, t-SNE from cold,
#: and UMAP whose first run carried numba's compilation.
SEQUENCES = {
    "tsne after a small map": [("tsne", 85, 2.9, "bh"), ("tsne", 242, 1.1, "bh")],
    "tsne in two tabs": [("tsne", 104, 2.1, "bh"), ("tsne", 280, 1.3, "bh")],
    "tsne cold": [
        ("tsne", 863, 2.2, "bh"),
        ("tsne", 4507, 10.2, "bh"),
        ("tsne", 9027, 32.2, "fft"),
    ],
    "umap first": [
        ("umap", 863, 26.6, None),
        ("umap", 4507, 11.7, None),
        ("umap", 9027, 41.5, None),
    ],
}


def _params(method: str, engine: str | None) -> dict:
    if method == "tsne":
        return dict(method="tsne", perplexity=30.0, max_iter=500, metric="cosine", seed=0,
                    engine=engine)  # fmt: skip
    return dict(method="umap", n_neighbors=15, min_dist=0.1, metric="cosine", seed=0)


@pytest.fixture
def fresh_process(monkeypatch):
    """A process that has timed no map yet, on 2 busy cores (one free, as the reviewer's)."""
    monkeypatch.setattr(projection, "_RATE", dict(projection._RATE))
    monkeypatch.setattr(projection, "_UMAP_WARM", False)
    monkeypatch.setattr(projection, "free_cores", lambda: 1)


def _replay(monkeypatch, method: str, n: int, seconds: float, engine: str | None) -> None:
    """Runs ``_compute`` as the page's map job does, the map itself replaced by one that took
    ``seconds`` (and warmed UMAP, as a real run does)."""

    def timed(job):
        projection._UMAP_WARM = True
        return np.zeros((n, 2), np.float32), seconds

    monkeypatch.setattr(projection, "_timed", timed)
    projection._compute(np.zeros((n, 16), np.float32), _params(method, engine), None, None)


@pytest.mark.parametrize("name", SEQUENCES)
def test_later_map_estimates_stay_within_2x_after_a_small_or_first_map(
    name, fresh_process, monkeypatch
):
    """Medium: a small map's set-up (2.9 s for 85 movies) or the first UMAP's compilation was
    learned as per-movie speed, so the next notes said "about 7 s" for 1.1 s and "about 61 s"
    for 11.7 s; each later estimate now stays within 2x of what the map took."""
    (first, *later) = SEQUENCES[name]
    _replay(monkeypatch, *first)
    for method, n, seconds, engine in later:
        told = projection.expected_seconds(method, n, _params(method, engine))
        assert seconds / 2 <= told <= seconds * 2, (name, n, told, seconds)
        _replay(monkeypatch, method, n, seconds, engine)


def test_one_slow_run_moves_the_learned_speed_at_most_threefold(fresh_process, monkeypatch):
    """A large run stalled by a busy machine (or a fast one) moves the estimates by at most
    ``LEARN_AT_MOST`` either way, so one odd run does not mislead every later note."""
    params = _params("tsne", "bh")
    before = projection.expected_seconds("tsne", 4507, params)
    _replay(monkeypatch, "tsne", 4507, 1000.0, "bh")
    setup = projection.MAP_SETUP_SECONDS
    after = projection.expected_seconds("tsne", 4507, params)
    assert after - setup == pytest.approx((before - setup) * projection.LEARN_AT_MOST)


def test_cost_note_says_a_few_seconds_for_a_tiny_map_and_adds_umaps_compilation(
    fresh_process,
):
    """Medium (Low part): an 85-movie t-SNE said "about 0 s" (it took 2.9 s); the first UMAP's
    note adds its compilation as the measured range, not a guessed 15 s."""
    assert projection.expected_text("tsne", 85, _params("tsne", "bh")) == "a few seconds"
    big = projection.expected_text("tsne", 4507, _params("tsne", "bh"))
    assert re.fullmatch(r"about \d+ s", big)
    first_umap = projection.expected_text("umap", 863, _params("umap", None))
    assert first_umap.startswith("a few seconds, plus ")
    assert projection.umap_compile_text() in first_umap
    projection._UMAP_WARM = True
    assert projection.umap_compile_text() not in projection.expected_text(
        "umap", 863, _params("umap", None)
    )


def test_umaps_compile_time_is_said_one_way(fresh_process, monkeypatch):
    """Low: the Projection help said "~1 min", the cost note and progress "about 15 s"; the
    help, the note and the progress message now all read ``umap_compile_text``."""
    least, most = projection.UMAP_JIT_SECONDS
    assert projection.umap_compile_text() == f"{least}-{most} s"
    messages: list[str] = []

    def neighbours(x, n_neighbors, metric, *, on_fraction):
        on_fraction(1.0)
        time.sleep(0.4)  # the progress relay reports every 0.1 s
        raise projection.MapCancelled()

    monkeypatch.setattr(projection, "umap_neighbours", neighbours)
    with pytest.raises(projection.MapCancelled):
        projection._compute(
            np.zeros((20, 4), np.float32),
            _params("umap", None),
            lambda fraction, message: messages.append(message),
            None,
        )
    compiling = [m for m in messages if "compiles its code" in m]
    assert compiling and all(projection.umap_compile_text() in m for m in compiling)
    page = Path(__file__).parents[1].joinpath("pages/embeddings.py").read_text()
    assert "explore.umap_compile_text()" in page and "~1 min" not in page
