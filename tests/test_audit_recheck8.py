"""Recheck 8, F1: a Rate movies link made on a text-id data set (an IMDb import's ``tt`` ids)
opened on a numeric-id model was parsed with the model's id type, so its entries were
"unreadable" and the next Add dropped them from the link, the user's only store; ratings moved
to a data set of another scale kept their raw value (3.5 of 0.5-5 became 4 of 1-10).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from apptest_helpers import movierate_env, open_page

from movierate.ui.state import data_tag
from movierate.ui.your_ratings import parse_rated, read_saved_ratings, rescaled

PAGE = "pages/rate.py"
#: An IMDb-like import: text ids, a 1-10 scale; the last film is not in ml-latest-small.
FILMS = {
    "tt0113277": "Heat (1995)",
    "tt0114709": "Toy Story (1995)",
    "tt0113497": "Jumanji (1995)",
    "tt9999990": "Nowhere Film (2031)",
}
HEAT, NOWHERE = "tt0113277", "tt9999990"
#: ml-latest-small's ids of Heat and Toy Story.
HEAT_ML, TOY_ML = 6, 1


@pytest.fixture(scope="module")
def recheck8_home(tmp_path_factory, movielens_dir: Path) -> Path:
    """``imdb-mf`` (the import above) and ``ml4`` (ml-latest-small), mf_bias, one epoch."""
    from movierate.data import from_csv
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("recheck8")
    rows = [(f"u{u}", m, (u + i) % 10 + 1) for u in range(8) for i, m in enumerate(FILMS)]
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(home / "r.csv", index=False)
    items = pd.DataFrame({"item": list(FILMS), "title": list(FILMS.values()), "genres": "Drama"})
    items.to_csv(home / "i.csv", index=False)
    with movierate_env(home, movielens_dir):
        ds = from_csv(home / "r.csv", home / "i.csv", save_as="imdbish", rating_scale=(1, 10, 1))
        train_and_save(ds, ModelSpec(family="mf_bias", dim=2, epochs=1), "imdb-mf")
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml4")
    return home


@pytest.fixture
def models(recheck8_home: Path, monkeypatch) -> dict:
    from movierate import store

    monkeypatch.setenv("MOVIERATE_HOME", str(recheck8_home))
    return {name: store.load_model(name) for name in ("imdb-mf", "ml4")}


def _said(at) -> str:
    return " ".join(str(e.value) for e in [*at.info, *at.warning, *at.caption, *at.success])


def _add(at, title: str):
    at.text_input(key="rate_q").input(title).run()
    at.button(key="rate_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_text_id_link_on_a_numeric_id_model_moves_by_film_and_keeps_the_rest(models):
    imdb, ml4 = models["imdb-mf"], models["ml4"]
    at = open_page(PAGE, model="ml4", rated=f"{HEAT}:10,{NOWHERE}:8", rated_on=data_tag(imdb))
    said = _said(at)
    assert "unreadable" not in said
    assert "1 of those movies is in ml-latest-small" in said  # not "are" (fixLL's note)
    assert "1-10 scale onto ml-latest-small's 0.5-5 (10 → 5)" in said
    assert "not in ml-latest-small's data: the link keeps it for a model of imdbish" in said
    assert parse_rated(at.query_params["rated"])[0] == {HEAT_ML: 5.0}
    assert at.query_params["rated_on"] == data_tag(ml4)
    assert at.query_params["rated_held"] == f"{NOWHERE}:8"
    assert at.query_params["rated_held_on"] == data_tag(imdb)
    # an Add keeps the film ml-latest-small lacks in the link (it was dropped)
    _add(at, "Toy Story")
    assert set(parse_rated(at.query_params["rated"])[0]) == {HEAT_ML, TOY_ML}
    assert at.query_params["rated_held"] == f"{NOWHERE}:8"
    # and so does Clear all ratings
    at.button[[b.label for b in at.button].index("Clear all ratings")].click().run()
    assert "rated" not in at.query_params
    assert at.query_params["rated_held"] == f"{NOWHERE}:8"
    assert "of films ml-latest-small lacks (tt9999990): not used here" in _said(at)


def test_held_ratings_come_back_on_a_model_of_their_data(models):
    imdb, ml4 = models["imdb-mf"], models["ml4"]
    at = open_page(
        PAGE,
        model="imdb-mf",
        rated=f"{HEAT_ML}:3.5",
        rated_on=data_tag(ml4),
        rated_held=f"{NOWHERE}:8",
        rated_held_on=data_tag(imdb),
    )
    rated, bad = parse_rated(at.query_params["rated"], text_ids=True)
    assert bad == [] and rated == {NOWHERE: 8.0, HEAT: 7.0}  # 3.5 of 0.5-5 is 7 of 1-10
    assert at.query_params["rated_on"] == data_tag(imdb)
    assert "rated_held" not in at.query_params and "rated_held_on" not in at.query_params
    assert "0.5-5 scale onto imdbish's 1-10 (3.5 → 7)" in _said(at)


def test_a_link_of_data_with_no_model_here_survives_an_add(models):
    ml4 = models["ml4"]
    gone = "t_gone:0123456789abcdef"
    at = open_page(PAGE, model="ml4", rated=f"{HEAT}:10", rated_on=gone)
    assert "unreadable" not in _said(at) and "the link keeps it for a model of t_gone" in _said(at)
    _add(at, "Toy Story")
    assert set(parse_rated(at.query_params["rated"])[0]) == {TOY_ML}
    assert at.query_params["rated_on"] == data_tag(ml4)
    assert (at.query_params["rated_held"], at.query_params["rated_held_on"]) == (f"{HEAT}:10", gone)


def test_rescaled_is_linear_between_the_scales():
    assert rescaled(3.5, (0.5, 5, 0.5), (1, 10, 1)) == 7
    assert rescaled(10, (1, 10, 1), (0.5, 5, 0.5)) == 5
    assert rescaled(1, (1, 10, 1), (0.5, 5, 0.5)) == 0.5
    assert rescaled(3, (1, 5, 1), (0.5, 5, 0)) == 2.75  # ml-100k's middle is the middle
    assert rescaled(3, (1, 5, 1), (0.5, 5, 0.5)) == 3  # then on the scale's steps


def test_a_saved_file_of_another_scale_is_rescaled_not_refused(models):
    imdb, ml4 = models["imdb-mf"], models["ml4"]
    body = (
        f"movie_id,your rating,dataset\n{HEAT},10,{data_tag(imdb)}\n{NOWHERE},8,{data_tag(imdb)}\n"
    )
    ratings, notes = read_saved_ratings(ml4, body.encode(), source_of=lambda tag: imdb)
    assert ratings == {HEAT_ML: 5.0}  # 10 of 1-10 was "off ml4's scale (0.5-5)"
    said = " ".join(notes)
    assert "1-10 scale onto ml-latest-small's 0.5-5 (10 → 5)" in said and "off" not in said


def test_recommend_counts_a_text_id_link_as_readable(models):
    """Recommend's note on the link parsed it with its model's id type too: "could not be
    read" for a link of tt ids on a MovieLens model."""
    imdb = models["imdb-mf"]
    at = open_page(
        "pages/recommend.py", models=["ml4"], rated=f"{HEAT}:10", rated_on=data_tag(imdb)
    )
    said = _said(at)
    assert "holds 1 of your own rating" in said and "could not be read" not in said
