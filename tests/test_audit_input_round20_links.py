"""Bad-input review round 20: a link shows what it says or says why not, and the URL of an
open page names what it shows. A dataset-local id (the map's focus, Recommend's user) carries
its data set's tag, as Rate's ``rated_on`` does (F2); a value the shown model cannot show is
said, never dropped unsaid (F3); after a fallback the URL names the model and the colouring
shown, and no genre the page does not show (F4, F5); no popularity colouring without rating
counts (F1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import assert_clean, open_page

from movierate import store
from movierate.cli import main
from movierate.ui.state import data_tag

MAP = {"view": "Map", "map_method": "PCA"}
#: A tag of data no model here was trained on (the same model name on another dashboard).
OTHER_DATA = "ml-100k:0123456789abcdef"


def notices(at) -> str:
    return " ".join(w.value for w in at.warning)


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def linked(at) -> dict:
    return dict(at.query_params)


@pytest.fixture
def home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """The session's trained models and ``imp``, 60 random 6-d vectors imported with titles
    only (no ratings, genres or years), in a home of this test's own."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models", home / "models", symlinks=True)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    rng = np.random.default_rng(0)
    vectors = "\n".join("\t".join(f"{v:.4f}" for v in row) for row in rng.normal(size=(60, 6)))
    (tmp_path / "v.tsv").write_text(vectors + "\n")
    (tmp_path / "m.tsv").write_text("title\n" + "\n".join(f"Film {i}" for i in range(60)) + "\n")
    args = ["import", str(tmp_path / "v.tsv"), "--metadata", str(tmp_path / "m.tsv")]
    assert main([*args, "--name", "imp"]) == 0
    return home


# --- F2: ids of another data set -------------------------------------------------------------


def test_a_focus_or_user_of_other_data_is_not_used_and_said(home):
    at = open_page("pages/embeddings.py", model="small-mf", focus="50", focus_on=OTHER_DATA, **MAP)
    assert (
        "Ignored ?focus=50 from the link: this link's focus was a movie of ml-100k; small-mf "
        "here is trained on ml-latest-small, so it is not used." in notices(at)
    )
    assert not [m.value for m in at.markdown if "Nearest to" in m.value]
    assert "focus" not in linked(at) and "focus_on" not in linked(at)
    at = open_page("pages/recommend.py", models="small-mf", user="50", user_on=OTHER_DATA)
    assert "Ignored ?user=50 from the link: this link's user was a person of ml-100k" in notices(at)
    assert at.text_input(key="user").value != "50"


def test_an_id_tagged_with_this_data_or_untagged_is_used_and_the_link_tagged(home):
    small = store.load_model("small-mf")
    for tag in (data_tag(small), None):  # None: a link made before the tags
        extra = {"focus_on": tag} if tag else {}
        at = open_page("pages/embeddings.py", model="small-mf", focus="1", **extra, **MAP)
        assert any("Nearest to _Toy Story_**" in m.value for m in at.markdown)
        assert linked(at)["focus"] == "1" and linked(at)["focus_on"] == data_tag(small)
        extra = {"user_on": tag} if tag else {}
        at = open_page("pages/recommend.py", models="small-mf", user="50", **extra)
        assert at.text_input(key="user").value == "50" and "Ignored" not in notices(at)
        assert linked(at)["user_on"] == data_tag(small)


# --- F3: values that pass the type check but the model cannot show ---------------------------


@pytest.mark.parametrize(
    ("model", "key", "value", "why"),
    [
        ("small-mf", "pc_x", "20", "small-mf has 16 components, so it must be 1 to 16"),
        ("small-mf", "pc_y", "17", "small-mf has 16 components"),
        ("small-mf", "focus", "999999999", "ml-latest-small has no movie with id 999999999"),
        ("small-mf", "map_genre", "Western Noir", "no genre 'Western Noir'"),
        ("imp", "colour", "year", "imp's movies have no release years"),
        ("imp", "colour", "mean_rating", "imp's movies have no ratings"),
        ("imp", "colour", "popularity", "imp's movies have no rating counts"),
        ("imp", "map_genre", "Drama", "imp's movies have no genres"),
        ("imp", "colour", "bias", "imp's movies have no biases"),
        ("imp", "map_regions", "true", "no genres or tags to name regions by"),
    ],
)
def test_a_value_the_model_cannot_show_is_said_and_left_out(home, model, key, value, why):
    extra = {"colour": "one_genre"} if key == "map_genre" else {}
    at = open_page("pages/embeddings.py", model=model, **{key: value}, **extra, **MAP)
    assert f"Ignored ?{key}={value}" in notices(at) or f"Ignored ?{key}=" in notices(at)
    assert why in notices(at), notices(at)
    assert key not in linked(at), linked(at)


def test_every_ignored_value_of_one_link_is_said(home):
    at = open_page(
        "pages/embeddings.py", model="imp", colour="one_genre", map_genre="Drama",
        map_regions="true", **MAP,
    )  # fmt: skip
    said = notices(at)
    for part in ("?colour=One genre", "?map_genre=Drama", "?map_regions=true"):
        assert f"Ignored {part} from the link" in said, said
    assert linked(at) == {"model": "imp", **MAP}


# --- F1 (second half): no popularity colouring without rating counts --------------------------


def test_an_imported_embedding_without_ratings_offers_no_popularity(home):
    at = open_page("pages/embeddings.py", model="imp", **MAP)
    options = at.selectbox(key="colour").options
    assert "Popularity (log10 ratings)" not in options and "Mean rating" not in options
    assert "Movie bias" not in options  # nor a bias (it drew the norm instead)
    assert "Every point has one size: this model has no rating counts." in captions(at)
    at = open_page("pages/embeddings.py", model="small-mf", **MAP)
    assert "Popularity (log10 ratings)" in at.selectbox(key="colour").options
    assert "Point size grows with the number of ratings." in captions(at)


# --- F4 / F5: the URL of an open page names what it shows -----------------------------------


def test_the_first_genre_stays_in_the_link(home):
    """The genre box's first genre (Drama) equalled the box's own default, so Streamlit left
    it out of the link, which then reopened on the page's default genre (Horror)."""
    first = open_page("pages/embeddings.py", model="small-mf", colour="one_genre", **MAP)
    genres = first.selectbox(key="map_genre").options
    assert first.selectbox(key="map_genre").value == "Horror"
    at = open_page("pages/embeddings.py", model="small-mf", colour="one_genre",
                   map_genre=genres[0], **MAP)  # fmt: skip
    assert at.selectbox(key="map_genre").value == genres[0]
    assert linked(at)["map_genre"] == genres[0]


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_after_the_model_goes_the_link_names_the_model_and_colouring_shown(home, how):
    """F5: deleted or renamed in another tab, the open tab showed the newest model with a URL
    naming none, and a colouring (One genre) the shown model could not give."""
    shutil.copytree(home / "models" / "small-mf", home / "models" / "victim")
    at = open_page("pages/embeddings.py", model="victim", colour="year", **MAP)
    assert linked(at)["colour"] == "Release year"
    if how == "deleted":
        shutil.rmtree(home / "models" / "victim")
    else:
        (home / "models" / "victim").rename(home / "models" / "victim2")
    at.run()
    assert_clean(at)
    shown = at.selectbox(key="model").value
    assert shown == store.list_models()[0][0].name == "imp"  # the newest
    assert linked(at)["model"] == shown
    assert at.selectbox(key="colour").value == "norm" and "colour" not in linked(at)
    at.run()
    assert linked(at)["model"] == shown
