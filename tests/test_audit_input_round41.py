"""Bad-input round 41: degenerate data sets (constant ratings, pure noise, one or three
movies) read by the dashboard's views."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from movierate import store
from movierate.explore import ordering
from movierate.ui import text
from tests.apptest_helpers import open_page


def _copy_with_embedding(home: Path, name: str, scale: float) -> None:
    """Copy ``small-mf`` to ``name`` with both embeddings replaced: random vectors of
    per-coordinate size ``scale`` (0.05: the normal initializer's, as if never trained), biases
    kept, so the embedding does nothing useful."""
    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["name"] = name
    meta.pop(
        "files", None
    )  # its arrays are edited below: as saved before bad-input round 52's record of them
    (folder / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(folder / "cache", ignore_errors=True)
    with np.load(folder / "embeddings.npz") as saved:
        arrays = dict(saved)
    rng = np.random.default_rng(41)
    for key in ("user_embedding", "movie_embedding"):
        arrays[key] = (scale * rng.standard_normal(arrays[key].shape)).astype(np.float32)
    np.savez(folder / "embeddings.npz", **arrays)


@pytest.fixture
def idle_home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """The trained models, with ``noise`` (vectors at the initializer's scale) and ``tiny``
    (vectors near zero, as L2 left them on constant ratings)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    _copy_with_embedding(home, "noise", 0.05)
    _copy_with_embedding(home, "tiny", 1e-4)
    return home


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in (at.caption, at.warning, at.markdown) for e in kind)


def test_an_embedding_that_does_nothing_is_told_apart(idle_home):
    """F2: the gain is measured as Dimensions measures it (biases alone against the full
    model on the held-out rows); vectors near zero are caught by their size alone."""
    noise = ordering.embedding_gain(store.load_model("noise"))
    assert noise.idle and not noise.tiny and noise.full > noise.without
    assert noise.rows == "early-stopping" and noise.n_rows > 0
    tiny = ordering.embedding_gain(store.load_model("tiny"))
    assert tiny.idle and tiny.tiny and tiny.largest_term < ordering.MIN_GAIN
    trained = store.load_model("small-mf")
    gain = ordering.embedding_gain(trained)
    assert not gain.idle and gain.without - gain.full >= ordering.MIN_GAIN
    assert ordering.idle_embedding_text(trained, gain) is None
    said = ordering.idle_embedding_text(store.load_model("noise"), noise)
    assert f"{noise.without:.4f} with biases only, {noise.full:.4f} with the embedding" in said
    assert "the embedding does not lower the RMSE by 0.001 or more" in said


def test_embeddings_page_does_not_read_an_idle_embedding_as_used(idle_home):
    """F2: "these views show how the model uses that space" and "How much each embedding
    dimension is used ... every one of the 8 dimensions holds at least 1.25%" over vectors at
    their initializer's scale (Dimensions: the embedding raises the RMSE)."""
    at = open_page("pages/embeddings.py", model="noise")
    warnings = " ".join(str(w.value) for w in at.warning)
    assert "This model's embedding does not help its predictions" in warnings
    said = _texts(at)
    assert "how the model uses that space" not in said
    assert "How much each embedding dimension is used" not in said
    assert "the model barely uses them" not in said
    assert said.count("not how the model uses them") >= 2  # matrix, spectrum, shares
    at = open_page("pages/embeddings.py", model="tiny", view="Principal components")
    assert "its vectors are nearly zero" in " ".join(str(w.value) for w in at.warning)
    assert "not how the model uses them" in _texts(at)
    at = open_page("pages/embeddings.py", model="small-mf")  # a model whose embedding helps
    assert "does not help its predictions" not in _texts(at)
    assert "how the model uses that space" in _texts(at)


def test_neighbours_and_explore_say_so_too(idle_home):
    """F2's class: Neighbours and Explore's views of the vectors read the same noise."""
    at = open_page("pages/neighbours.py", models="noise", q="toy story")
    assert "does not help its predictions" in " ".join(str(w.value) for w in at.warning)
    at = open_page("pages/explore.py", model="noise", view="analogy")
    assert "does not help its predictions" in " ".join(str(w.value) for w in at.warning)
    at = open_page("pages/neighbours.py", models="small-mf", q="toy story")
    assert "does not help its predictions" not in " ".join(str(w.value) for w in at.warning)
    # and Compare's tabs that describe the spaces (recheck 3, L3), naming only that model
    for section in ("Embedding spaces", "Spectra"):
        at = open_page("pages/compare.py", models=["small-mf", "noise"], section=section)
        said = [str(w.value) for w in at.warning if "does not help its predictions" in str(w.value)]
        assert len(said) == 1 and said[0].startswith("**noise**"), (section, said)


def test_a_map_of_very_few_movies_says_it_tells_little():
    """F4: a 3-movie map read "it keeps 100% of each movie's 1 nearest embedding neighbours",
    true of any layout of so few points."""
    from movierate.explore.quality import FEW_MAP_MOVIES, map_trust
    from movierate.ui.widgets import trust_text

    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((3, 8))
    trust = map_trust(vectors, vectors[:, :2], [["Drama"]] * 3).as_dict()
    said = trust_text(trust)
    assert "a map of only 3 movies tells little" in said
    assert "keeps 50% of each movie's 1 nearest" in said  # a random layout's k / (n - 1)
    assert f"from {FEW_MAP_MOVIES} movies on" in said
    vectors = rng.standard_normal((FEW_MAP_MOVIES, 8))
    trust = map_trust(vectors, vectors[:, :2], [["Drama"]] * FEW_MAP_MOVIES).as_dict()
    assert trust_text(trust).startswith("**How far to trust this map:** it keeps ")


def _newest_copy(home: Path, name: str, n_movies: int) -> None:
    """Copy ``small-mf`` to ``name``, saved now (the newest), recording ``n_movies`` movies."""
    from datetime import datetime, timezone

    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta.update(name=name, created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    meta["dataset"]["n_movies"] = n_movies
    meta.pop(
        "files", None
    )  # its arrays are edited below: as saved before bad-input round 52's record of them
    (folder / "meta.json").write_text(json.dumps(meta))
    with np.load(folder / "embeddings.npz") as saved:
        arrays = dict(saved)
    for key in ("movie_embedding", "movie_bias"):
        arrays[key] = arrays[key][:n_movies]
    np.savez(folder / "embeddings.npz", **arrays)
    movies = pd.read_parquet(folder / "movies.parquet")
    movies.iloc[:n_movies].to_parquet(folder / "movies.parquet")


def test_home_does_not_offer_the_views_of_a_one_movie_model(trained_home, tmp_path, monkeypatch):
    """F6: "Next: see what m-one-svdpp learned" offered the neighbours, map and principal
    components of a model of 1 movie, which cannot have them."""
    st.cache_data.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    _newest_copy(home, "one", 1)
    at = open_page("pages/home.py")
    said = _texts(at)
    assert "one holds 1 movie(s): too few for its neighbours, map and principal" in said
    assert "Next: see what one learned" not in said
    newest = [i for i in store.list_models()[0] if i.name != "one"][0].name
    assert f"Next: see what {newest} learned" in said
    shutil.rmtree(home / "models" / "small-mf")
    shutil.rmtree(home / "models" / "small-deep")
    st.cache_data.clear()
    said = _texts(open_page("pages/home.py"))
    assert "one holds 1 movie(s)" in said and "Next: see what" not in said


def test_whole_number_ratings_show_as_whole_numbers():
    """F5: Rate movies' slider read "0.0" / "1.0" on a 0/1 scale and "-2.0" on -2..2."""
    from types import SimpleNamespace

    from movierate.ui.your_ratings import rating_format, rating_steps

    steps = rating_steps(SimpleNamespace(rating_scale=(-2.0, 2.0, 1.0)))
    assert [rating_format(steps) % v for v in steps] == ["-2", "-1", "0", "1", "2"]
    steps = rating_steps(SimpleNamespace(rating_scale=(0.5, 5.0, 0.5)))
    assert [rating_format(steps) % v for v in steps[:2]] == ["0.5", "1.0"]


def test_tied_favourites_are_said_to_be_tied():
    """F5: Recommend listed ten movies all rated 4 as "their favourites", ordered by a rating
    count it did not mention."""
    from movierate.ui.text import favourites_lead

    assert favourites_lead([4] * 10, [4] * 12) == (
        "their favourites: 12 movies share their top rating, 4, and these 10 are the most "
        "rated of them"
    )
    assert favourites_lead([4] * 3, [4] * 3) == "their favourites, all rated 4 (a tie)"
    assert favourites_lead([5, 4.5, 4.5], [5, 4.5, 4.5, 4.5, 3]) == (
        "their favourites (3 movies tie at 4.5: the 2 most rated of them are listed)"
    )
    assert favourites_lead([5, 4.5], [5, 4.5, 3]) == "their favourites"


def test_compare_says_when_curves_mix_scales_and_files_constant_ratings_apart(
    trained_home, tmp_path, monkeypatch
):
    """F5: Compare drew 0-1, 1-5 and 0-100 models' learning curves on one RMSE axis without a
    word, and filed a model whose every test rating is the mean under "learned nothing the
    mean does not know" where the CLI says there is nothing to learn."""
    st.cache_data.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    folder = home / "models" / "flat"
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["name"] = "flat"
    meta["dataset"]["rating_scale"] = [0.0, 100.0, 1.0]
    meta["metrics"]["test_rmse_of_mean"] = 0.0  # every test rating the training mean
    (folder / "meta.json").write_text(json.dumps(meta))
    at = open_page("pages/compare.py", models=["small-mf", "flat"])
    said = _texts(at)
    assert store.worse_than_mean_note(meta["metrics"]).startswith(
        "Every test rating is the training rows' mean rating, so there is nothing to learn"
    )
    assert f"flat: {store.worse_than_mean_note(meta['metrics'])}" in said
    assert "learned nothing the mean does not know" not in said
    assert (
        "These curves share one axis but come from different rating scales (0-100, 0.5-5)" in said
    )
    # two star scales of near-equal width read alike on one axis (recheck 3, L6)
    stars = [SimpleNamespace(scale=(0.5, 5.0)), SimpleNamespace(scale=(1.0, 5.0))]
    assert text.curves_scales_note(stars) == ""


def test_a_large_data_set_is_not_loaded_to_check_the_embedding(trained_home, monkeypatch):
    """The check reads only the vectors' size on a data set larger than Compare loads unasked:
    a page's first open must not wait for 32 M ratings to load and split (issue 15)."""
    from movierate import paired
    from movierate.ui import dimensions, state

    model = store.load_model("small-mf")
    dataset = {**model.meta["dataset"], "n_ratings": paired.RUN_UNASKED_UP_TO + 1}
    monkeypatch.setattr(model, "meta", {**model.meta, "dataset": dataset})

    def refuse(model):
        raise AssertionError("the ratings were loaded")

    monkeypatch.setattr(state, "dataset_of", refuse)
    gain, unchecked = dimensions._embedding_gain(model)
    assert gain.without is None and gain.largest_term > 0 and not gain.idle
    assert unchecked is None  # by choice, not for want of the data (bad-input round 64, F3)
