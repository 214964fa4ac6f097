"""Bad-input round 48, settings at their edges: a dim-1 model's cosine neighbours were a tie
of thousands shown as a ranking (F1), the t-SNE tab offered Compute map for 0 movies (F2), and
integer flags given as 2.5 or 1e9 lost their allowed range in argparse's error (F3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env, open_page

from movierate.cli import main
from movierate.errors import DataError
from movierate.explore import NeighbourIndex, model_map_problem, movie_analogy
from movierate.explore.projection import map_rows


def _movies(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movie_id": np.arange(n),
            "title": [f"Film {i}" for i in range(n)],
            "year": 2000,
            "genres": "Drama",
            "n_ratings": 100,
            "mean_rating": 3.5,
        }
    )


# --- F1: ties in neighbour lists ----------------------------------------------------------


def test_a_dim1_cosine_list_says_it_is_a_sign_and_a_tie():
    vectors = np.random.default_rng(0).normal(size=(60, 1)).astype(np.float32)
    index = NeighbourIndex(vectors, _movies(60))
    same_sign = int((np.sign(vectors[1:, 0]) == np.sign(vectors[0, 0])).sum())
    note = index.nearest(0, k=10, metric="cosine").attrs["tie_note"]
    assert "one dimension" in note and "euclidean" in note
    assert f"with {same_sign - 10:,} movies left out ({same_sign:,} in all" in note
    assert index.nearest(0, k=10, metric="euclidean").attrs["tie_note"] == ""


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_a_list_cut_inside_a_tie_says_how_many_tie(metric):
    """Any dim, any metric: movie 1 and 20 copies of it, a list of 10 of them."""
    vectors = np.random.default_rng(1).normal(size=(60, 8)).astype(np.float32)
    vectors[10:30] = vectors[1]
    index = NeighbourIndex(vectors, _movies(60))
    note = index.nearest(1, k=10, metric=metric).attrs["tie_note"]
    assert "cut inside a tie" in note and "10 movies left out (20 in all" in note
    assert "one dimension" not in note
    assert "1 movie left out" in index.nearest(1, k=19, metric=metric).attrs["tie_note"]
    assert index.nearest(1, k=20, metric=metric).attrs["tie_note"] == ""  # every tied listed
    assert index.nearest(0, k=10, metric=metric).attrs["tie_note"] == ""  # no tie at its end


def test_an_analogy_on_a_dim1_embedding_is_refused_with_the_reason():
    vectors = np.random.default_rng(2).normal(size=(30, 1)).astype(np.float32)
    with pytest.raises(DataError, match="one dimension.*Neighbours' euclidean"):
        movie_analogy(vectors, _movies(30), 0, 1, 2)


def test_an_analogy_cut_inside_a_tie_says_so():
    vectors = np.random.default_rng(3).normal(size=(60, 4)).astype(np.float32)
    vectors[10:40] = vectors[5]  # the 30 copies are the answer to A - B + C with C one of them
    result = movie_analogy(vectors, _movies(60), 0, 1, 5, k=10)
    assert "cut inside a tie" in result.message


def test_a_cosine_map_of_a_dim1_embedding_is_refused_and_euclidean_is_not():
    vectors = np.random.default_rng(4).normal(size=(30, 1)).astype(np.float32)
    for method in ("tsne", "umap", "pca"):
        with pytest.raises(DataError, match="one dimension.*Pick the euclidean"):
            map_rows(vectors, _movies(30), method=method, metric="cosine", min_ratings=0)
        rows = map_rows(vectors, _movies(30), method=method, metric="euclidean", min_ratings=0)
        assert len(rows) == 30


# --- the dashboard: a dim-1 model trained on ml-latest-small -------------------------------


@pytest.fixture(scope="module")
def d1_home(tmp_path_factory, movielens_dir: Path) -> Path:
    """A home with ``d1``: mf_bias of dim 1, one epoch on ml-latest-small."""
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("round48")
    with movierate_env(home, movielens_dir):
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=1, epochs=1), "d1")
    return home


def test_the_neighbours_page_warns_of_a_dim1_tie(d1_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(d1_home))
    at = open_page("pages/neighbours.py", models="d1", q="Matrix, The", min_ratings="50", n="10")
    warned = [w.value for w in at.warning]
    assert any("one dimension" in w and "cut inside a tie" in w for w in warned), warned


def test_the_map_says_an_empty_filter_before_offering_compute(d1_home, monkeypatch):
    from movierate import store

    monkeypatch.setenv("MOVIERATE_HOME", str(d1_home))
    at = open_page("pages/embeddings.py", errors=True, model="d1", view="Map",
                   map_method="tsne", tsne_metric="euclidean", tsne_min="100000")  # fmt: skip
    errors = [e.value for e in at.error]
    assert any("Only 0 movie(s)" in e and "Lower the min-ratings" in e for e in errors), errors
    assert not any("press **Compute map**" in i.value for i in at.info)
    d1 = store.load_model("d1")
    assert model_map_problem(d1, method="tsne", metric="euclidean", min_ratings=10) == ""


def test_the_map_refuses_cosine_on_a_dim1_model_up_front(d1_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(d1_home))
    at = open_page("pages/embeddings.py", errors=True, model="d1", view="Map",
                   map_method="tsne", tsne_metric="cosine")  # fmt: skip
    errors = [e.value for e in at.error]
    assert any("one dimension" in e and "euclidean" in e for e in errors), errors
    assert not any("press **Compute map**" in i.value for i in at.info)


def test_a_dim1_models_map_opens_on_euclidean(d1_home, monkeypatch):
    """Its cosine map is refused, so the metric box starts at euclidean for it."""
    monkeypatch.setenv("MOVIERATE_HOME", str(d1_home))
    at = open_page("pages/embeddings.py", model="d1", view="Map", map_method="tsne")
    assert at.selectbox(key="tsne_metric").value == "euclidean"
    assert not at.error


# --- F3: integer flags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["train", "ml-100k", "--dim", "2.5"], "--dim: '2.5' is not a whole number"),
        (["train", "ml-100k", "--dim", "1e9"], "use a whole number from 1 to 1024"),
        (["train", "ml-100k", "--epochs", "1.0"], "use a whole number from 1 to 10000"),
        (["train", "ml-100k", "--split-seed", "1e3"], "use a whole number from 0 to 2147483647"),
        (["tune", "ml-100k", "--trials", "1e9"], "--trials: '1e9' is not a whole number"),
        (["tune", "ml-100k", "--max-epochs", "2.5"], "use a whole number from 1 to 10000"),
        (["tune", "ml-100k", "--ensemble", "1.5"], "use a whole number from 1 to 8"),
        (["tune", "ml-100k", "--seed", "0.5"], "use a whole number from 0 to 2147483647"),
        (["study", "--epochs", "1e9"], "use a whole number from 1 to 10000"),
    ],
)
def test_a_fractional_integer_flag_says_the_allowed_range(capsys, monkeypatch, argv, allowed):
    monkeypatch.setattr("movierate.data.load_dataset", lambda *a, **k: pytest.fail("loaded"))
    assert main(argv) == 2
    assert allowed in capsys.readouterr().err


def test_a_negative_layer_list_is_read_as_its_value(capsys, monkeypatch):
    monkeypatch.setattr("movierate.data.load_dataset", lambda *a, **k: pytest.fail("loaded"))
    assert main(["train", "ml-100k", "--family", "deep", "--hidden-units", "-5,3"]) != 0
    err = capsys.readouterr().err
    assert "expected one argument" not in err
    assert "layer size -5: use a whole number from 1 to 4096" in err
