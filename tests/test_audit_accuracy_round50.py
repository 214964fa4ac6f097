"""Accuracy round 50 (the families other than mf_bias): F1, a Rate movies link naming a model
that cannot use ratings is read on that model's data, not the fallback's; F2, a fold-in top k
cut inside a tie says so; F3, the movie vectors are described per family; F4, Recommend's note
on untrained movies per family; F5, Rate's quality figure is the family's; F6, Dimensions'
gain says it includes the movie averages for families without movie biases."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env, open_page
from test_explore_foldin import FakeModel

from movierate.explore import recommend_from_ratings
from movierate.explore.recommend import untrained_text
from movierate.spec import ModelSpec
from movierate.ui.state import data_tag

PAGE = "pages/rate.py"
#: A small data set whose ids name other films than ml-latest-small's (there 1 is Toy Story,
#: 6 Heat).
FILMS = {1: "Heat (1995)", 2: "Toy Story (1995)", 3: "Jumanji (1995)"}


@pytest.fixture(scope="module")
def round50_home(tmp_path_factory, movielens_dir: Path) -> Path:
    """``tiny-deep`` and ``tiny-mf`` (the films above), then ``ml4`` (ml-latest-small), newest."""
    from movierate.data import from_csv
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("round50")
    rows = [(u, m, (u + m) % 5 + 1) for u in range(1, 9) for m in FILMS]
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(home / "r.csv", index=False)
    items = pd.DataFrame({"item": list(FILMS), "title": list(FILMS.values()), "genres": "Drama"})
    items.to_csv(home / "i.csv", index=False)
    with movierate_env(home, movielens_dir):
        ds = from_csv(home / "r.csv", home / "i.csv", save_as="tinyset", rating_scale=(1, 5, 1))
        train_and_save(
            ds, ModelSpec(family="deep", dim=2, epochs=1, hidden_units=(4,)), "tiny-deep"
        )
        train_and_save(ds, ModelSpec(family="mf_bias", dim=2, epochs=1), "tiny-mf")
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml4")
    return home


def _said(at) -> str:
    return " ".join(str(e.value) for e in [*at.info, *at.warning, *at.caption])


def test_a_link_to_a_refused_model_falls_back_to_a_model_of_its_data(round50_home, monkeypatch):
    """F1: the newest usable model (ml4, other data) was shown and read id 1 as Toy Story."""
    from movierate import store

    monkeypatch.setenv("MOVIERATE_HOME", str(round50_home))
    at = open_page(PAGE, model="tiny-deep", rated="1:5")
    assert at.selectbox(key="model").value == "tiny-mf"
    assert at.query_params["rated_on"] == data_tag(store.load_model("tiny-mf"))
    assert "tiny-deep, named in the link, cannot use your ratings" in _said(at)


def test_without_a_usable_model_of_its_data_the_ids_stay_that_datas(
    round50_home, tmp_path, monkeypatch
):
    """F1: with no usable tinyset model the ids are tinyset's, moved by film (Heat, not Toy
    Story), and the link keeps saying so."""
    from movierate import store

    home = tmp_path / "home"
    shutil.copytree(round50_home, home, ignore=lambda d, names: ["tiny-mf"] * ("tiny-mf" in names))
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    at = open_page(PAGE, model="tiny-deep", rated="1:5")
    assert at.selectbox(key="model").value == "ml4"
    assert at.query_params["rated_on"] == data_tag(store.load_model("tiny-deep"))
    said = _said(at)
    assert "No saved model of tinyset, the link's data, can" in said
    assert "they are read as tinyset's, the data of the model the link names" in said
    assert "1 of those movies is in ml-latest-small" in said
    assert at.query_params["rated"] == "1:5"


def _tied_model() -> FakeModel:
    """20 movies with a near-zero vector (as saturated autorec codes give every user alike)
    and a bias well above the rest: any top 10 of them ties."""
    model = FakeModel()
    model.metrics = {"valid_rmse": 1.0}
    rng = np.random.default_rng(1)
    model.arrays["movie_embedding"][:20] = rng.normal(scale=1e-5, size=(20, 4))
    model.arrays["movie_bias"][:20] = 1.0
    model.arrays["movie_bias"][20:] -= 1.0
    return model


def test_a_fold_in_list_cut_inside_a_tie_says_so_and_gives_no_reasons():
    """F2: an autorec top 10 within 0.00001 (107 within 0.001) read as a ranking."""
    recs = recommend_from_ratings(_tied_model(), {30: 5.0, 31: 1.0, 32: 4.0}, k=10)
    assert "The list is cut inside a tie: the whole list and 10 movies left out" in recs.message
    assert "20 in all" in recs.message and "your ratings chose" not in recs.message
    assert (recs.recommended["because"] == "").all()


def test_a_clear_fold_in_list_has_no_tie_note():
    recs = recommend_from_ratings(FakeModel(), {30: 5.0, 31: 1.0, 32: 4.0}, k=10)
    assert "tie" not in recs.message and "your ratings chose" in recs.message


def test_recommends_list_cut_inside_a_tie_says_so():
    """F2, Recommend's lists: 36 of 40 u1-autorec users' top 10 tie with movies left out."""
    from test_explore_dimensions import _model

    from movierate.explore.recommend import recommend_for_user

    model = _model(np.random.default_rng(2))
    model.movies = model.movies.assign(year=2000, genres="Drama")
    clear = recommend_for_user(model, 0, rated=[], k=10, min_ratings=0)
    model.arrays["movie_embedding"][:20] = 1e-6 * np.arange(20)[:, None]
    model.arrays["movie_bias"][:20] = 1.0
    model.arrays["movie_bias"][20:] = -10.0
    tied = recommend_for_user(model, 0, rated=[], k=10, min_ratings=0)
    assert tied.tie.startswith("The list is cut inside a tie: the whole list and 10 movies")
    assert "20 in all" in tied.tie and clear.tie == ""


@pytest.mark.parametrize(
    ("family", "said"),
    [
        ("autorec", "the same value for every such movie, learned per user"),
        ("deep", "the network's output for that movie's untrained starting vector"),
        ("mf", "the mean rating plus start noise"),
    ],
)
def test_the_untrained_movies_note_says_what_the_family_predicts(family, said):
    """F4: "the mean rating plus start noise" was said of autorec too."""
    text = untrained_text("m", 46, ModelSpec(family=family))
    assert said in text and "left out of its lists" in text
    if family == "autorec":
        assert "start noise" not in text


def _summary_model(family: str):
    from movierate.spec import ModelSpec
    from movierate.store import TrainedModel

    arrays = {"movie_embedding": np.ones((3, 2)), "user_embedding": np.ones((2, 2))}
    movies = pd.DataFrame({"movie_idx": [0, 1, 2], "movie_id": [1, 2, 3], "title": list("abc")})
    meta = {"dataset": {"name": "ml-100k"}, "metrics": {"test_rmse": 0.9}}
    return TrainedModel(
        "m", Path("/nonexistent"), ModelSpec(family=family, dim=2), meta, arrays, movies
    )


@pytest.mark.parametrize(
    ("family", "said"),
    [
        ("autorec", "its movie vectors are each movie's code, computed from its training ratings"),
        ("deep", "its movie vectors are the network's input: close vectors need not get similar"),
        ("svdpp", "its user vectors include the sum over the movies each user rated"),
    ],
)
def test_the_model_line_says_what_a_familys_vectors_are(family, said):
    """F3: Neighbours, Embeddings and Dimensions described every family's vectors as mf's."""
    from movierate import glossary
    from movierate.ui import text

    assert text.model_summary(_summary_model(family)).endswith(
        f"; {glossary.movie_vectors(family)}"
    )
    assert said in glossary.movie_vectors(family)
    assert "vectors" not in text.model_summary(_summary_model("mf_bias"))
    assert "autorec or deep model's lists mean something else" in glossary.define("embedding")


@pytest.mark.parametrize("family", ["autorec", "mf", "svdpp", "blend of autorec + mf_bias"])
def test_rate_shows_the_mf_bias_quality_figure_for_mf_bias_only(family):
    """F5: an autorec fold-in ended on a figure measured on mf_bias models."""
    from movierate.ui.your_ratings import MEASURED_FOR_NEW_USERS, measured_for_new_users

    assert measured_for_new_users("mf_bias", "ml-latest-small") == MEASURED_FOR_NEW_USERS
    said = measured_for_new_users(family, "ml-latest-small")
    assert said != MEASURED_FOR_NEW_USERS and f"not for {family} ones" in said


@pytest.mark.parametrize(
    ("family", "inside"), [("autorec", True), ("mf", True), ("mf_bias", False)]
)
def test_the_dimensions_gain_says_it_includes_the_movie_averages(
    family, inside, tmp_path, monkeypatch
):
    """F6: autorec's "all 8 needed for 95% of the gain" counted what movie averages give."""
    from test_explore_dimensions import _model, _rows

    from movierate.explore import ordering

    rng = np.random.default_rng(5)
    model = _model(rng, family=family)
    users, movies, truth = _rows(model, rng)
    monkeypatch.setattr(
        ordering, "held_out_rows", lambda m, ds=None: (users, movies, truth, "early-stopping")
    )
    monkeypatch.setattr(model, "cache_path", lambda key: tmp_path / key)
    report = ordering.model_dimension_report(model)
    note = "zeroing its embedding also removes each movie's average rating"
    assert (note in report.verdict) == inside
    assert ordering.model_dimension_report(model).movie_averages == inside  # from the cache
