"""UMAP's neighbour graph from an exact, chunked, cancellable search (issue 15): umap-learn's
own NN-descent was approximate, could not be stopped or followed, and its numba compilation
made a process's first UMAP of a 9,724-movie model take 52 s against 17 s."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_explore_helpers import cancel_after_first_search_chunk, movies_table, planted_clusters

from movierate.explore import MapCancelled, projection, projection_map

pytest.importorskip("umap")


def _data(n_per: int = 30):
    x, _ = planted_clusters(n_per, 6, spread=0.3, seed=5)
    return x, movies_table(len(x), n_ratings=[50] * len(x))


def test_neighbours_and_distances_are_umaps_metric_computed_directly():
    x, _ = _data(10)
    x[3] = 0.0  # a zero row: 1 from every other row, as umap-learn's cosine says
    found, distances = projection.umap_neighbours(x, 15, "cosine")
    assert found.shape == distances.shape == (len(x), 14)
    norms = np.linalg.norm(x, axis=1)
    unit = x / np.where(norms > 0, norms, 1)[:, None]
    direct = 1 - unit @ unit.T
    direct[3, :] = direct[:, 3] = 1.0
    np.fill_diagonal(direct, np.inf)
    np.testing.assert_allclose(distances, np.sort(direct, axis=1)[:, :14], atol=1e-5)
    assert not (found == np.arange(len(x))[:, None]).any()  # never the row itself
    found, distances = projection.umap_neighbours(x, 5, "euclidean")
    assert found.shape[1] == 10  # at least the trust numbers' 10
    plain = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.fill_diagonal(plain, np.inf)
    np.testing.assert_allclose(distances, np.sort(plain, axis=1)[:, :10], atol=1e-4)


@pytest.mark.slow  # numba compiles UMAP's layout on first use
def test_umap_never_runs_its_own_search_and_the_trust_numbers_reuse_ours(tmp_path):
    import umap.umap_ as umap_module

    from movierate.explore import quality
    from movierate.explore.validation import genre_lists

    x, movies = _data()
    searched: list[int] = []
    real = quality.nearest_rows

    def counted(points, k, metric="euclidean", **kwargs):
        searched.append(points.shape[1])
        return real(points, k, metric, **kwargs)

    def refused(*args, **kwargs):
        raise AssertionError("umap-learn searched the neighbours itself")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quality, "nearest_rows", counted)
        patch.setattr(umap_module, "nearest_neighbors", refused)
        frame = projection_map(
            x, movies, method="umap", min_ratings=1, n_neighbors=10,
            cache=lambda k: tmp_path / k, progress=lambda f, m: None,
        )  # fmt: skip
    assert sorted(searched) == [2, x.shape[1]]  # the embedding once, the map once
    again = quality.map_trust(x, frame[["x", "y"]].to_numpy(), genre_lists(movies))
    assert frame.attrs["trust"] == again.as_dict()


def test_cancel_during_umaps_neighbour_search_stops_it_before_any_epoch(tmp_path, monkeypatch):
    x, movies = _data()
    cancel = threading.Event()
    heard = cancel_after_first_search_chunk(monkeypatch, cancel)
    epochs: list[str] = []
    with pytest.raises(MapCancelled):
        projection_map(
            x, movies, method="umap", min_ratings=1, n_neighbors=10,
            cache=lambda k: tmp_path / k, cancel=cancel,
            progress=lambda f, m: epochs.append(m) if " epoch " in m else None,
        )  # fmt: skip
    assert heard == [16 / len(x)] and not epochs  # stopped after its first chunk
    assert not list(tmp_path.iterdir())


def test_maps_from_umap_learns_own_search_are_not_reused():
    import hashlib
    import json

    x, _ = _data(5)
    rows = np.arange(len(x))
    params = {"method": "umap", "metric": "cosine", "seed": 0, "min_ratings": 0,
              "n_neighbors": 10, "min_dist": 0.1}  # fmt: skip
    before = hashlib.blake2b(digest_size=8)  # the name such maps were cached under
    before.update(np.ascontiguousarray(x, dtype=np.float32).tobytes())
    before.update(rows.astype(np.int64).tobytes())
    before.update(json.dumps(params, sort_keys=True).encode())
    key = projection.map_cache_key(x, rows, **params)
    assert key.startswith("umap-cosine-m0-n10-d0.1-s0-")
    assert key != f"umap-cosine-m0-n10-d0.1-s0-{before.hexdigest()}.npz"
