"""movierate.explore: PCA / UMAP maps, the trust numbers cached with a map, labelled regions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table, planted_clusters

from movierate.errors import DataError
from movierate.explore import map_regions, map_trust, projection_map

GENRES = (["Horror"], ["Comedy", "Romance"], ["Documentary"])


def _clustered(n_per: int = 40, seed: int = 0):
    x, labels = planted_clusters(n_per, 8, spread=0.3, seed=seed)
    genres = [list(GENRES[c]) for c in labels]
    return x, labels, movies_table(len(x), genres=genres, n_ratings=[50] * len(x))


def test_trust_numbers_separate_a_faithful_map_from_a_shuffled_one():
    x, labels, movies = _clustered()
    genres = movies["genres"].tolist()
    good = map_trust(x, _pca2(x), genres, metric="euclidean")
    shuffled = map_trust(
        x, np.random.default_rng(1).permutation(_pca2(x)), genres, metric="euclidean"
    )
    assert good.k == 10 and good.n_movies == len(x)
    assert good.genre_embedding == pytest.approx(1.0)  # clusters are pure
    assert good.genre_map > 0.95 and good.kept > 0.1
    # random neighbours share a genre about a third of the time (3 equal, disjoint clusters)
    assert good.genre_random == pytest.approx((40 - 1) / (120 - 1), abs=1e-9)
    assert shuffled.kept < good.kept and shuffled.genre_map < 0.6
    assert shuffled.genre_random == good.genre_random


def _pca2(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    return centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T


def test_regions_are_labelled_with_their_over_represented_genres_and_tags():
    x, labels, movies = _clustered()
    xy = _pca2(x)
    tags = pd.DataFrame(
        {"movie_idx": np.flatnonzero(labels == 0)[:6], "tag": "zombies", "count": 2}
    )
    regions = map_regions(
        xy, movies["genres"].tolist(), movie_idx=movies["movie_idx"], tags=tags, n_regions=3
    )
    assert len(regions) == 3 and regions["n_movies"].sum() == len(x)
    assert sorted(regions["label"]) == ["Comedy · Romance", "Documentary", "Horror"]
    horror = regions[regions["label"] == "Horror"].iloc[0]
    assert horror["tags"] == ["zombies"] and horror["ratios"][0] == pytest.approx(3.0)
    members = xy[regions.attrs["assignment"] == horror["region"]]
    assert np.allclose([horror["x"], horror["y"]], np.median(members, axis=0))
    # a genre spread evenly everywhere labels nothing
    flat = map_regions(xy, [["Drama"]] * len(x), n_regions=3)
    assert (flat["label"] == "").all()


def test_random_maps_rarely_show_a_region_label():
    """Accuracy round 7b: with genres independent of the map, 1.3% of regions, and one map in
    ten, still got a genre label (a small genre at 1.5x with 5 movies comes easily). A label
    now needs a Holm-adjusted hypergeometric tail within REGION_ALPHA."""
    rng = np.random.default_rng(0)
    pool = ["Drama", "Comedy", "Action", "Thriller", "Romance", "Fantasy", "Horror", "War"]
    weights = np.array([0.4, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])  # shares like Fantasy's
    genres = [
        [g for g, w in zip(pool, weights, strict=True) if rng.random() < w] for _ in range(1500)
    ]
    maps = 60
    labelled = sum(
        (map_regions(rng.normal(size=(1500, 2)), genres, n_regions=9)["label"] != "").any()
        for _ in range(maps)
    )
    assert labelled / maps <= 0.1, labelled  # at most 5% expected; 0.1 leaves room for chance
    # a planted region keeps its label: every Fantasy movie in one corner
    xy = rng.normal(size=(1500, 2))
    fantasy = np.array(["Fantasy" in g for g in genres])
    xy[fantasy] += 8.0
    regions = map_regions(xy, genres, n_regions=9)
    assert regions["label"].str.contains("Fantasy").any(), regions["label"].tolist()


def test_pca_map_is_cached_with_its_trust_numbers(tmp_path):
    x, _, movies = _clustered()
    first = projection_map(x, movies, method="pca", min_ratings=1, cache=lambda k: tmp_path / k)
    assert first.attrs["method"] == "pca" and first.attrs["from_cache"] is False
    trust = first.attrs["trust"]
    assert trust["genre_map"] > trust["genre_random"] and 0 < trust["kept"] <= 1
    files = [f.name for f in tmp_path.iterdir()]
    assert len(files) == 1 and files[0].startswith("pca-cosine-m1-s0-")
    again = projection_map(x, movies, method="pca", min_ratings=1, cache=lambda k: tmp_path / k)
    assert again.attrs["from_cache"] is True and again.attrs["trust"] == trust
    np.testing.assert_array_equal(again[["x", "y"]], first[["x", "y"]])


def test_a_selection_is_reprojected_alone():
    x, _, movies = _clustered()
    picked = np.arange(10, 50)
    frame = projection_map(x, movies, method="pca", rows=picked)
    assert frame["movie_idx"].tolist() == picked.tolist()
    with pytest.raises(DataError, match="at least 3 movies"):
        projection_map(x, movies, method="pca", rows=[1, 2])


@pytest.mark.slow  # numba compiles UMAP's layout on first use (~20-40 s on a busy machine)
def test_umap_map_keeps_clusters_and_reports_progress():
    pytest.importorskip("umap")
    x, labels, movies = _clustered(25)
    seen = []
    frame = projection_map(
        x, movies, method="umap", min_ratings=1, n_neighbors=10,
        progress=lambda f, m: seen.append((f, m)),
    )  # fmt: skip
    xy = frame[["x", "y"]].to_numpy()
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(axis=1)] == labels).mean() > 0.95
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:], strict=False))
    assert "UMAP" in seen[0][1]


def test_a_run_abandoned_by_its_page_still_fills_the_cache(tmp_path):
    """Streamlit stops a script whose user left by raising inside the progress callback; the
    worker thread finishes the map and caches it for the next visit."""
    import threading
    import time

    x, _, movies = _clustered(30)

    class Stopped(Exception):
        pass

    def leave(fraction: float, message: str) -> None:
        if fraction > 0:
            raise Stopped

    with pytest.raises(Stopped):
        projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=5, max_iter=250,
            cache=lambda k: tmp_path / k, progress=leave,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while any(t.name == "movierate-map" for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    again = projection_map(
        x, movies, method="tsne", min_ratings=1, perplexity=5, max_iter=250,
        cache=lambda k: tmp_path / k,
    )  # fmt: skip
    assert again.attrs["from_cache"] is True and "kept" in again.attrs["trust"]


def test_a_perplexity_too_large_for_the_movies_is_said():
    """Views round 6: 60 books at the default perplexity 30 drew a near-perfect ring, with no
    word; the page now says so and what to try."""
    from movierate.explore import perplexity_note

    assert perplexity_note(2_269, 30) == ""
    note = perplexity_note(60, 30)
    assert "60 movies" in note and "ring" in note and "Try about 6" in note
    assert perplexity_note(8, 2.0) == ""  # the recheck: "Try about 2" at perplexity 2


@pytest.mark.parametrize("zero_row", [False, True])
def test_cosine_neighbours_match_a_direct_cosine_ranking(zero_row):
    """The cosine search runs as a euclidean one on unit rows (issue 15); it must find what a
    plain cosine ranking finds, for rows of any length, and keep cosine's meaning for a zero
    row (no direction: distance 1 to every movie)."""
    from movierate.explore.quality import nearest_rows

    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 8)) * rng.uniform(0.01, 100.0, size=(300, 1))
    if zero_row:
        x[7] = 0.0
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)
    distance = 1.0 - unit @ unit.T
    np.fill_diagonal(distance, np.inf)
    found = nearest_rows(x.astype(np.float32), 5, "cosine")
    for row, neighbours in enumerate(found):
        expected = np.sort(distance[row])[:5]
        got = distance[row, neighbours]
        assert np.allclose(np.sort(got), expected, atol=1e-5), row
