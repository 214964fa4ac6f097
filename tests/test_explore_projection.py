"""movierate.explore.projection: t-SNE keeps planted clusters apart, caching, CSV round trip."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table, planted_clusters

from movierate.errors import DataError
from movierate.explore import (
    coordinates_csv,
    projection,
    read_coordinates,
    tsne_coordinates,
    tsne_map,
)


def _nearest_label_purity(points: np.ndarray, labels: np.ndarray) -> float:
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    return float((labels[distances.argmin(axis=1)] == labels).mean())


def test_tsne_keeps_planted_clusters_apart():
    x, labels = planted_clusters(30, 10, spread=0.3)
    coords = tsne_coordinates(x, perplexity=10, max_iter=300, seed=0)
    assert coords.shape == (90, 2) and coords.dtype == np.float32
    assert _nearest_label_purity(coords, labels) == 1.0
    centres = np.array([coords[labels == c].mean(axis=0) for c in range(3)])
    spread = max(np.linalg.norm(coords[labels == c] - centres[c], axis=1).mean() for c in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread


def _cache_in(folder):
    def cache(key: str):
        assert len(key) <= 128 and not key.startswith(".")
        return folder / key

    return cache


def test_map_is_cached_on_disk_and_keyed_by_content(tmp_path):
    x, labels = planted_clusters(20, 6)
    movies = movies_table(60, n_ratings=[5] * 10 + [50] * 50)
    bias = np.linspace(-1, 1, 60)
    messages = []
    first = tsne_map(
        x, movies, movie_bias=bias, perplexity=5, min_ratings=10, max_iter=250,
        cache=_cache_in(tmp_path), progress=lambda f, m: messages.append((f, m)),
    )  # fmt: skip
    assert len(first) == 50 and first["movie_idx"].min() == 10  # obscure movies filtered out
    assert {"x", "y", "title", "genres", "n_ratings", "norm", "bias"} <= set(first.columns)
    np.testing.assert_allclose(first["bias"], bias[10:], rtol=1e-6)
    np.testing.assert_allclose(first["norm"], np.linalg.norm(x[10:], axis=1), rtol=1e-5)
    assert first.attrs["from_cache"] is False and first.attrs["perplexity"] == 5
    assert messages[0][0] == 0.0 and messages[-1][0] == 1.0
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("tsne-cosine-p5-m10-i250-s0-")

    again = tsne_map(
        x, movies, perplexity=5, min_ratings=10, max_iter=250, cache=_cache_in(tmp_path)
    )
    assert again.attrs["from_cache"] is True
    np.testing.assert_array_equal(again[["x", "y"]].to_numpy(), first[["x", "y"]].to_numpy())

    changed = x.copy()
    changed[15] += 1.0  # a retrained model: the old coordinates must not be served
    other = tsne_map(
        changed, movies, perplexity=5, min_ratings=10, max_iter=250, cache=_cache_in(tmp_path)
    )
    assert other.attrs["from_cache"] is False and len(list(tmp_path.iterdir())) == 2


def test_cache_key_records_the_barnes_hut_angle(monkeypatch):
    x, _ = planted_clusters(5, 4)
    params = {"perplexity": 5.0, "min_ratings": 0, "max_iter": 500, "metric": "cosine", "seed": 0}
    key = projection.tsne_cache_key(x, np.arange(len(x)), **params)
    assert f"-a{projection.ANGLE:g}-" in key
    monkeypatch.setattr(projection, "ANGLE", 0.5)  # maps made with another angle are not reused
    assert projection.tsne_cache_key(x, np.arange(len(x)), **params) != key


def test_a_damaged_cache_file_is_recomputed(tmp_path):
    x, _ = planted_clusters(10, 4)
    movies = movies_table(30)
    tsne_map(x, movies, perplexity=5, max_iter=250, cache=_cache_in(tmp_path))
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not an npz file")
    result = tsne_map(x, movies, perplexity=5, max_iter=250, cache=_cache_in(tmp_path))
    assert result.attrs["from_cache"] is False
    assert np.load(path)["coordinates"].shape == (30, 2)


def test_coordinates_csv_round_trip():
    x, _ = planted_clusters(5, 4)
    movies = movies_table(15)
    frame = tsne_map(x, movies, perplexity=3, max_iter=250, min_ratings=0)
    csv = coordinates_csv(frame)
    assert csv.splitlines()[0] == "movie_id,title,year,x,y,map"
    # the settings that made it travel with the file (views round 24, F5)
    said = pd.read_csv(io.StringIO(csv))["map"].unique().tolist()
    assert said == ["t-SNE: perplexity 3, 250 iterations, cosine, seed 0 · 15 movies"]
    extra = csv + "99999,Unknown movie,2000,1.5,2.5\n"
    loaded = read_coordinates(extra, x, movies)
    np.testing.assert_allclose(loaded[["x", "y"]], frame[["x", "y"]], atol=1e-4)
    assert list(loaded["movie_idx"]) == list(frame["movie_idx"])
    assert loaded.attrs["unmatched"] == 1
    with pytest.raises(DataError, match="lacks the column"):
        read_coordinates("movie_id,x\n100,1\n", x, movies)
    with pytest.raises(DataError, match="line 2"):
        read_coordinates(b"movie_id,x,y\n100,abc,1\n", x, movies)
    with pytest.raises(DataError, match="line 3"):  # finite as float64, infinite as float32
        read_coordinates("movie_id,x,y\n100,1,1\n101,1e308,1\n", x, movies)
    # bad-input round 8: a first row with an extra field must not become an index that
    # shifts movie_id, x and y into each other's places
    with pytest.raises(DataError, match="line 2 has more fields"):
        read_coordinates("movie_id,x,y\n100,1,5,2\n101,1,1\n", x, movies)
    with pytest.raises(DataError, match="line 2"):  # an empty field is missing, not ""
        read_coordinates("movie_id,x,y\n100,,1\n", x, movies)


def test_coordinates_made_for_other_films_are_refused():
    """Bad-input round 6: an ml-latest-small map loaded on an ml-100k model matched 667 ids
    and drew GoldenEye (id 2 there) where Jumanji (id 2 in the file) was placed."""
    x, _ = planted_clusters(5, 4)
    movies = movies_table(15)
    frame = tsne_map(x, movies, perplexity=3, max_iter=250, min_ratings=0)
    other = frame.assign(title=[f"Another film {i}" for i in range(len(frame))])
    with pytest.raises(DataError, match="made for another data set: 15 of the 15 movie ids"):
        read_coordinates(coordinates_csv(other), x, movies)
    respelled = frame.assign(title=frame["title"].str.upper())  # same films, other spelling
    assert len(read_coordinates(coordinates_csv(respelled), x, movies)) == len(frame)


def test_a_map_of_text_ids_reads_back():
    """An upload with text item ids ("film-a0") exports its map with those ids; the export
    must load again for the same model."""
    x = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    movies = movies_table(30).assign(movie_id=[f"film-a{i}" for i in range(30)])
    frame = projection.projection_map(x, movies, method="pca", min_ratings=0)
    loaded = read_coordinates(coordinates_csv(frame), x, movies)
    np.testing.assert_allclose(loaded[["x", "y"]], frame[["x", "y"]], atol=1e-4)
    assert list(loaded["movie_idx"]) == list(frame["movie_idx"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"perplexity": 100}, "below the number of movies"),
        ({"max_iter": 10}, "at least 250"),
        ({"metric": "jaccard"}, "Unknown metric"),
        ({"min_ratings": 10_000}, "Lower the min-ratings"),
    ],
)
def test_bad_parameters(kwargs, message):
    x, _ = planted_clusters(10, 4)
    with pytest.raises(DataError, match=message):
        tsne_map(x, movies_table(30), **{"min_ratings": 0, "perplexity": 5, **kwargs})


@pytest.mark.parametrize("backend", ["sklearn", "opentsne"])
def test_tsne_of_a_one_dimensional_embedding_starts_from_a_random_layout(backend):
    """A dim-1 model, or any model cut to its first dimension, has no second principal
    component for t-SNE's usual start: the map still comes out, seeded."""
    from movierate.explore import projection

    x = np.random.default_rng(0).normal(size=(120, 1)).astype(np.float32)
    run = {
        "sklearn": projection.sklearn_tsne_coordinates,
        "opentsne": projection.opentsne_coordinates,
    }[backend]
    first, again = (run(x, perplexity=5, max_iter=250, seed=3) for _ in range(2))
    assert first.shape == (120, 2) and np.isfinite(first).all()
    assert np.allclose(first, again)


def test_a_truncated_map_cache_is_recomputed_not_an_error(tmp_path):
    """Round 4 (B4): a cut-off .npz starts like a zip, so np.load raised BadZipFile."""
    import numpy as np

    from movierate.explore.projection import _read_cached

    rows = np.arange(5)
    path = tmp_path / "map.npz"
    np.savez(path, coordinates=np.zeros((5, 2), np.float32), rows=rows)
    assert _read_cached(path, rows) is not None
    path.write_bytes(path.read_bytes()[:60])  # a copy cut short
    assert _read_cached(path, rows) is None


@pytest.mark.parametrize("trust", ["[]", "{}", '{"k": "x"}', "NaN-kept"])
def test_a_map_cache_with_trust_numbers_of_another_kind_is_a_miss(tmp_path, trust):
    """Bad input round 7: trust numbers that parse but are a list, strings or NaN failed in
    MapTrust.from_dict after the cache was read, so the map broke on every visit for good."""
    import json

    from movierate.explore.projection import TRUST_RULE, _read_cached

    good = {"k": 10, "n_movies": 5, "kept": 0.5, "genre_embedding": 0.4, "genre_map": 0.3,
            "genre_random": 0.2}  # fmt: skip
    rows, path = np.arange(5), tmp_path / "map.npz"
    np.savez(path, coordinates=np.zeros((5, 2), np.float32), rows=rows,
             trust=np.array(json.dumps({**good, "rule": TRUST_RULE})))  # fmt: skip
    assert _read_cached(path, rows)[1][1] == good
    text = json.dumps({**good, "kept": float("nan")}) if trust == "NaN-kept" else trust
    np.savez(path, coordinates=np.zeros((5, 2), np.float32), rows=rows, trust=np.array(text))
    assert _read_cached(path, rows) is None


def test_trust_cached_under_an_older_rule_is_recomputed(tmp_path):
    """Recheck s33, finding 4: a map cached before bad-input round 27 kept showing "keeps 100%
    of each movie's 2 nearest" of 3 movies; trust saved without the current rule is recomputed
    from the cached coordinates, and saved again with it."""
    import json

    from movierate.explore.projection import TRUST_RULE, projection_map

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    movies = movies_table(3, genres=[["Drama"], ["Comedy"], ["Drama"]], n_ratings=[5, 5, 5])
    files: dict = {}
    cache = lambda name: files.setdefault(name, tmp_path / name)  # noqa: E731
    first = projection_map(x, movies, method="pca", min_ratings=0, cache=cache)
    (path,) = files.values()
    stale = {**first.attrs["trust"], "k": 2, "kept": 1.0}  # the old rule's numbers, no rule
    np.savez(path, rows=np.arange(3), coordinates=first[["x", "y"]].to_numpy(np.float32),
             trust=np.array(json.dumps(stale)), key=np.array(path.name))  # fmt: skip
    again = projection_map(x, movies, method="pca", min_ratings=0, cache=cache)
    assert again.attrs["from_cache"] and again.attrs["trust"] == first.attrs["trust"]
    assert json.loads(str(np.load(path)["trust"]))["rule"] == TRUST_RULE


@pytest.mark.parametrize("kind", ["zero", "constant", "near"])
def test_rows_that_are_one_point_are_refused_before_tsne(kind):
    """Bad-input round 5: scikit-learn's t-SNE of identical rows (an imported placeholder)
    crashed the whole dashboard process with SIGSEGV (its PCA start divides by 0 variance)."""
    from movierate.explore.projection import check_spread, tsne_coordinates

    x = {
        "zero": np.zeros((50, 4)),
        "constant": np.ones((50, 4)),
        "near": np.ones((50, 4)) + 1e-9 * np.random.default_rng(0).normal(size=(50, 4)),
    }[kind]
    for engine in ("bh", "fft"):
        with pytest.raises(DataError, match="All 50 vectors to map are the same point"):
            tsne_coordinates(x, perplexity=10, engine=engine)
    x[0, 0] += 0.5  # one row apart: a map can show that
    check_spread(x)


def test_zero_rows_under_cosine_are_named_before_opentsne():
    """Bad-input round 5 leftover: openTSNE's cosine neighbour search turned all-zero rows into
    NaN and failed with scikit-learn's "Input X contains NaN"; the euclidean metric maps them."""
    from movierate.explore.projection import opentsne_coordinates

    x = np.random.default_rng(0).normal(size=(120, 6)).astype(np.float32)
    x[:3] = 0
    with pytest.raises(DataError, match="3 of the 120 vectors to map are all zeros"):
        opentsne_coordinates(x, perplexity=10, max_iter=260)
    xy = opentsne_coordinates(x, perplexity=10, max_iter=260, metric="euclidean")
    assert np.isfinite(xy).all()
