"""The map's numbers behind the explorer review (s28): PCA on any two components with their
variance shares, the euclidean random-pair reference, the map search's count and rules, and
labels placed apart."""

from __future__ import annotations

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import NeighbourIndex, check_components, pca_shares, projection_map
from movierate.explore.search import TitleIndex
from movierate.ui import figures, widgets


def _case(n: int = 60, dim: int = 6):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(n, dim)) * np.linspace(3, 0.5, dim)).astype(np.float32)
    return x, movies_table(n, n_ratings=list(range(5, 5 + n)))


def test_pca_map_draws_any_two_components_with_their_shares():
    x, movies = _case()
    frame = projection_map(x, movies, method="pca", min_ratings=0, components=(3, 1))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    centred = unit - unit.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    shares = singular**2 / (singular**2).sum()
    np.testing.assert_allclose(frame["x"], centred @ vt[2], atol=1e-5)
    np.testing.assert_allclose(frame["y"], centred @ vt[0], atol=1e-5)
    assert frame.attrs["components"] == (3, 1)
    np.testing.assert_allclose(frame.attrs["shares"], [shares[2], shares[0]], rtol=1e-6)
    np.testing.assert_allclose(pca_shares(x), shares, rtol=1e-6)
    raw = pca_shares(x, metric="euclidean")  # the Principal components tab's vectors
    assert not np.allclose(raw, shares)


@pytest.mark.parametrize("components", [(2, 2), (0, 1), (1, 7)])
def test_components_must_be_two_different_ones_of_the_embedding(components):
    with pytest.raises(DataError, match="pick two different components from 1 to 6"):
        check_components(components, 6)


def test_euclidean_random_pairs_are_measured_over_every_pair():
    from scipy.spatial.distance import pdist

    x, movies = _case()
    index = NeighbourIndex(x, movies)
    median, low = index.random_pair_distances()
    distances = pdist(x.astype(np.float64))
    assert median == pytest.approx(np.median(distances), rel=1e-5)
    assert low == pytest.approx(np.quantile(distances, 0.1), rel=1e-5)
    assert "apart (median)" in index.random_pair_text(metric="euclidean")
    assert index.random_pair_text(min_ratings=10_000, metric="euclidean") == ""


def test_map_search_counts_every_match_on_the_map():
    titles = [f"Man {i}" for i in range(50)] + ["Toy Story", "Toy Story 2", "Heat", "Heathers"]
    movies = movies_table(len(titles), titles=titles, n_ratings=list(range(len(titles))))
    index = TitleIndex(movies)
    found = widgets.map_matches(index, "man", within=range(10, 54))
    assert len(found) == 40 and found.off_map == 10 and found.rows[0] == 49  # most rated first
    text = widgets.map_matches_text(found, "man")
    assert text.startswith("40 titles on the map contain 'man'; all are ringed")
    assert "10 more matches are not on the map" in text
    assert len(widgets.map_matches(index, "/^toy story/")) == 2
    assert widgets.map_matches(index, "^heat", regex=True).reading == "regex"
    assert widgets.map_matches(index, "toy stroy").reading == "closest"
    with pytest.raises(DataError, match="not a valid regular expression"):
        widgets.map_matches(index, "/(toy/")
    many = widgets.MapMatches(list(range(widgets.MAX_RINGS + 5)), "contains")
    assert f"the {widgets.MAX_RINGS} most rated are ringed" in widgets.map_matches_text(many, "a")


def test_labels_of_close_points_do_not_overlap():
    points = [(0.0, 0.0), (0.01, 0.0), (0.0, 0.01)]
    texts = ["Truman Show, The", "Batman", "Austin Powers"]
    extent = np.array([[-1.0, -1.0], [1.0, 1.0]])
    offsets = figures.label_offsets(points, texts, extent)
    assert len(set(offsets)) == 3
