"""Views round 25: what a user takes away out of context (F1 named table downloads, F2 titled
map figures) and fuzz round 41, F3 (movies that share a title as clickable choices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, open_page

from movierate import store
from movierate.explore import title_index
from movierate.explore.export import projector_text
from movierate.imported_models import read_embedding, save_imported
from movierate.ui import widgets

SAME = "Same Movie"


def _movies(n: int = 16) -> pd.DataFrame:
    """``n`` films; films 0-3 are all "Same Movie (1999)", 0 and 1 with as many ratings."""
    titles = [SAME] * 4 + [f"Film {i}" for i in range(4, n)]
    counts = np.array([90, 90, 80, 70] + list(range(60, 60 - (n - 4), -1)))
    return pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "movie_id": np.arange(n) + 100,
            "title": titles,
            "year": [1999] * 4 + [1980 + i for i in range(4, n)],
            "genres": [["Drama"]] * n,
            "n_ratings": counts,
            "n_train_ratings": counts,
            "mean_rating": np.full(n, 3.5),
        }
    )


@pytest.fixture
def same_titles(tmp_path) -> str:
    """An imported embedding ``same`` whose four most rated films share one title and year."""
    movies = _movies()
    points = np.random.default_rng(2).normal(size=(len(movies), 4)).astype(np.float32)
    paths = [tmp_path / "v.tsv", tmp_path / "m.tsv"]
    for path, body in zip(paths, projector_text(points, movies), strict=True):
        path.write_text(body)
    save_imported("same", read_embedding(paths[0], metadata=paths[1]), "v.tsv")
    return "same"


# --- fuzz 41, F3: movies that share a title ------------------------------------------------------


def test_distinct_labels_add_the_year_then_the_id_only_where_needed():
    movies = _movies()
    titles = widgets.distinct_labels(movies, [0, 1, 2, 4], counts=None)
    assert titles[3] == "Film 4"  # a title of its own stays as it is
    assert titles[:3] == [f"Same Movie (1999) · id {i}" for i in (100, 101, 102)]
    remade = movies.assign(year=[1999, 1999, 2005] + list(movies["year"].iloc[3:]))
    assert widgets.distinct_labels(remade, [0, 2], counts=None) == [
        "Same Movie (1999)",  # the year tells these two apart
        "Same Movie (2005)",
    ]
    picks = widgets.distinct_labels(movies, [0, 1, 2])
    assert picks[2] == widgets.movie_label(movies, 2)  # its count tells it apart
    assert picks[0].endswith("id 100") and picks[1].endswith("id 101")


def test_each_example_pill_names_and_opens_its_own_movie(same_titles):
    at = open_page("pages/neighbours.py", models=same_titles)
    pills = next(g for g in at.get("button_group") if g.key == "example")
    labels = [o.content for o in pills.proto.options]
    assert len(set(labels)) == len(labels), labels  # three "Same Movie" before
    model = store.load_model(same_titles)
    for row in (1, 3, 0):  # not the first of the title each time
        at.text_input(key="q").set_value("").run()
        pills = next(g for g in at.get("button_group") if g.key == "example")
        pills.set_value(row).run()
        assert_clean(at)
        assert at.text_input(key="q").value == "Same Movie (1999)"
        offered = at.selectbox(key="candidate").options
        rows = [int(r) for r in title_index(model).search("Same Movie (1999)")["movie_idx"]]
        assert offered == widgets.distinct_labels(model.movies, rows)
        assert at.selectbox(key="candidate").value == offered[rows.index(row)]  # this very film


def test_rate_lists_films_of_one_title_distinctly(trained_home):
    """ml-latest-small holds two "Eros (2004)" of 1 rating each: one label for both before."""
    at = open_page("pages/rate.py", model="small-mf")
    at.text_input(key="rate_q").set_value("eros 2004").run()
    assert_clean(at)
    pick = at.selectbox(key="rate_pick")
    shown = list(pick.options)  # as the box lists them
    eros = [label for label in shown if label.startswith("Eros (2004)")]
    assert len(eros) == 2 and len(set(shown)) == len(shown), shown
