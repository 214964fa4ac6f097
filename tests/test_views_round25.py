"""Views round 25: what a user takes away out of context (F1 named table downloads, F2 titled
map figures) and fuzz round 41, F3 (movies that share a title as clickable choices)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from apptest_helpers import assert_clean, charts, open_page

from movierate import store
from movierate.explore import title_index
from movierate.explore.export import projector_text, table_file_name
from movierate.explore.pca import extremes_csv, pca_extremes
from movierate.explore.projection import map_description
from movierate.imported_models import read_embedding, save_imported
from movierate.ui import figures, widgets

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
        # and its link reopens that film, not the most rated of the title (recheck 3, L2)
        link = {k: at.query_params[k] for k in ("q", "candidate") if k in at.query_params}
        again = open_page("pages/neighbours.py", models=same_titles, **link)
        assert again.selectbox(key="candidate").value == offered[rows.index(row)]


def test_rate_lists_films_of_one_title_distinctly(trained_home):
    """ml-latest-small holds two "Eros (2004)" of 1 rating each: one label for both before."""
    at = open_page("pages/rate.py", model="small-mf")
    at.text_input(key="rate_q").set_value("eros 2004").run()
    assert_clean(at)
    pick = at.selectbox(key="rate_pick")
    shown = list(pick.options)  # as the box lists them
    # an untrained one's label starts "Not trained on: " (recheck 16a, F1)
    eros = [
        label for label in shown if label.removeprefix("Not trained on: ").startswith("Eros (2004)")
    ]
    assert len(eros) == 2 and len(set(shown)) == len(shown), shown


# --- F1: tables a user takes away --------------------------------------------------------------


def test_principal_component_ends_csv_says_which_component_end_and_model():
    movies = _movies()
    points = np.random.default_rng(5).normal(size=(len(movies), 4))
    extremes = pca_extremes(points, movies, n_components=2, n_movies=3, min_ratings=0)
    context = {"model": "small-a", "dataset": "ml-latest-small", "min_ratings": 0}
    table = pd.read_csv(io.StringIO(extremes_csv(extremes, context)))
    assert table[["model", "dataset"]].drop_duplicates().values.tolist() == [
        ["small-a", "ml-latest-small"]
    ]
    assert sorted(set(zip(table["component"], table["end"], strict=True))) == [
        (c, end) for c in (1, 2) for end in ("bottom (lowest scores)", "top (highest scores)")
    ]
    # full precision, as computed (the grid's download rounds to 3 decimals)
    assert table["score_on_component"].tolist() == extremes["score"].tolist()
    assert "movie_idx" not in table and table["genres"].iloc[0] == "Drama"
    top = table[(table["component"] == 1) & table["end"].str.startswith("top")]
    assert top["score_on_component"].is_monotonic_decreasing


def test_a_table_file_name_is_plain_and_says_what_it_holds():
    assert table_file_name("small-a", "neighbours_of", "Léon: The Professional (1994)") == (
        "small-a_neighbours_of_L_on_The_Professional_1994.csv"
    )


def test_tables_people_take_away_have_named_downloads(trained_home):
    """The grid's own download is named by a timestamp and rounds as shown: each page's
    result tables get a download of their own."""
    pages = [
        ("pages/embeddings.py", {"model": "small-mf", "view": "Principal components"}, 1),
        ("pages/neighbours.py", {"models": "small-mf", "q": "heat 1995"}, 1),
        ("pages/recommend.py", {"models": "small-mf", "user": "1"}, 1),
        ("pages/compare.py", {"models": ["small-mf", "small-deep"]}, 1),
        ("pages/dimensions.py", {"model": "small-mf"}, 2),
    ]
    for page, query, expected in pages:
        at = open_page(page, **query)
        assert len(at.get("download_button")) == expected, page


# --- F2: a figure's PNG says what it shows -------------------------------------------------------


def test_a_map_description_names_method_settings_and_movies():
    frame = pd.DataFrame({"x": np.zeros(3)})
    frame.attrs.update(method="umap", n_neighbors=15, min_dist=0.1, metric="euclidean", seed=4)
    assert map_description(frame) == [
        "UMAP: 15 neighbours, min. distance 0.1, euclidean, seed 4",
        "3 movies",
    ]
    frame.attrs = {"method": "pca", "components": (1, 3), "metric": "cosine", "min_ratings": 5}
    assert map_description(frame) == ["PCA: PC1 × PC3, cosine", "3 movies with at least 5 ratings"]
    frame.attrs = {"method": "precomputed"}
    assert map_description(frame)[0] == "coordinates computed elsewhere"


def test_a_title_wraps_between_parts_for_a_narrow_chart():
    parts = ["small-a (ml-latest-small)", "t-SNE: perplexity 30, 500 iterations, cosine, seed 0",
             "1,958 movies with at least 10 ratings"]  # fmt: skip
    fig = figures.titled(go.Figure(layout={"margin": {"t": 40}}), *parts)
    lines = fig.layout.title.text.split("<br>")
    assert " · ".join(lines) == " · ".join(parts) and len(lines) == 3
    assert all(len(line) <= figures.TITLE_LINE for line in lines)
    assert fig.layout.margin.t == 40 + figures.TITLE_PAD + figures.MODE_BAR + 16 * 3  # each line
    short = figures.titled(go.Figure(), "m (d)", "PCA: PC1 × PC2, cosine", "9 movies")
    assert short.layout.title.text == "m (d) · PCA: PC1 × PC2, cosine · 9 movies"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"model": "small-mf", "view": "Map", "map_method": "PCA", "tsne_min": "40"},
         ["small-mf (ml-latest-small)", "PCA: PC1 × PC2, cosine", "with at least 40 training ratings"]),
        ({"model": "small-mf", "view": "axes", "xa": "Comedy", "xb": "Drama"},
         ["small-mf (ml-latest-small)", "custom axes"]),
        ({"model": "small-mf", "view": "users"}, ["small-mf (ml-latest-small)", "users"]),
        ({"model": "small-mf", "model_b": "small-deep", "view": "align"},
         ["A: small-mf (ml-latest-small)", "B: small-deep (ml-latest-small)"]),
    ],
)  # fmt: skip
def test_each_map_figure_names_its_model_and_what_it_shows(trained_home, query, says):
    page = "pages/embeddings.py" if query["view"] == "Map" else "pages/explore.py"
    at = open_page(page, **query)
    (fig,) = charts(at)
    title = fig["layout"]["title"]["text"].replace("<br>", " · ")
    assert all(part in title for part in says), title
