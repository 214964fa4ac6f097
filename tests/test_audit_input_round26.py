"""Bad-input round 26: text from data or files (model and dataset names, split methods,
genres, titles) reached Streamlit Markdown and Plotly labels as live markup (F1-F3); a model
file holding code was refused with Keras's advice to turn safe mode off (F4); a title with a
line break lost its year (F5)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from movierate import store
from movierate.data.movies import split_title_year
from movierate.errors import StoreError
from movierate.ui import explore_figures, figures, text

from apptest_helpers import APP, assert_clean  # isort: skip

#: A dataset name as a shared model folder's meta.json may write it: a link, bold, LaTeX, a
#: colour directive, an HTML tag and underscores (no '/', so the store accepts it as a name).
HOSTILE = "[x](javascript:alert(1)) **b** $x^2$ :red[r] <img src=x> __u__"
#: What each of its parts looks like where it was left unescaped.
LIVE = ("[x](javascript", "**b**", "$x^2$", ":red[r]", "<img", "__u__", "__it__")


# ---- F2: md() escapes every emphasis underscore --------------------------------------------


@pytest.mark.parametrize(
    "value", ["__it__", "__init__.py", "_it_", "a__b__c", "___x___", "x__", "**x**", "Sci_Fi_"]
)
def test_md_shows_underscores_and_stars_literally(value):
    html = MarkdownIt("commonmark").renderInline(text.md(value))
    assert html == value.replace("&", "&amp;")


def test_md_leaves_an_underscore_inside_a_word_bare():
    assert text.md("min_ratings snake_case") == "min_ratings snake_case"


# ---- F1: meta.json's names must be names ---------------------------------------------------


def _meta(**changes) -> dict:
    meta = {
        "created": "2024-01-01T00:00:00+00:00",
        "dataset": {
            "name": "ml-latest-small",
            "n_users": 1,
            "n_movies": 1,
            "rating_scale": [0.5, 5.0, 0.5],
        },
        "split": {"method": "random"},
        "metrics": {},
        "history": {},
        "spec": {"dim": 8},
    }
    for key, value in changes.items():
        part, field = key.split("__")
        meta[part][field] = value
    return meta


@pytest.mark.parametrize(
    "key, value, said",
    [
        ("split__method", "random **BOLD** :blue[c]", "split.method should be one of random"),
        ("split__method", "official:u1 [x](y)", "split.method should be one of"),
        ("dataset__name", "ml [l](https://evil.example/login)", "no '/'"),
        ("dataset__name", "a\u202egnp", "no control characters"),
        ("dataset__name", "", "1 to 255 characters"),
        ("dataset__source", "/data/x\u202e", "dataset.source should be a folder path"),
    ],
)
def test_meta_names_that_are_no_names_are_refused(key, value, said):
    problem = store._meta_problem(_meta(**{key: value}))
    assert problem and said in problem


@pytest.mark.parametrize(
    "key, value",
    [
        ("split__method", "per_user"),
        ("split__method", "temporal"),
        ("split__method", "official:u1"),
        ("dataset__name", "My ratings (v2)"),
        ("dataset__source", "/home/me/data/My ratings (v2)"),
    ],
)
def test_plain_meta_names_still_load(key, value):
    assert store._meta_problem(_meta(**{key: value})) is None


# ---- F3: data text on Plotly axes and legends ----------------------------------------------


def test_probe_tick_labels_show_a_genre_literally():
    table = pd.DataFrame(
        {
            "target": ["genre: <b>Bold</b>", "genre: <a href='https://e.x/'>L</a>", "Br<br>G"],
            "auc": [0.7, 0.6, 0.5],
            "p_value": [0.01, 0.5, 0.01],
            "chance_auc": [0.55] * 3,
            "accuracy": [0.8] * 3,
            "baseline": [0.7] * 3,
            "popularity_auc": [0.6] * 3,
        }
    )
    fig = explore_figures.probes_figure({"m": table})
    for trace in fig.data:
        assert list(trace.x) == [
            "genre: &lt;b&gt;Bold&lt;/b&gt;",
            "genre: &lt;a href='https://e.x/'&gt;L&lt;/a&gt;",
            "Br&lt;br&gt;G",
        ]


def test_one_genre_map_legend_title_shows_the_genre_literally():
    frame = pd.DataFrame(
        {
            "x": [0.0, 1.0, 2.0],
            "y": [0.0, 1.0, 0.5],
            "movie_idx": [0, 1, 2],
            "title": ["a", "b", "c"],
            "year": [2000, 2001, None],
            "genres": [["<i>G</i>"], ["Drama"], []],
            "n_ratings": [5, 6, 7],
            "norm": [1.0, 1.0, 1.0],
            "bias": [0.0, 0.0, 0.0],
        }
    )
    fig = figures.tsne_scatter(frame, f"{figures.ONE_GENRE}<i>G</i>")
    assert fig.layout.legend.title.text.startswith("&lt;i&gt;G&lt;/i&gt;:")


# ---- F4: a model file holding code -----------------------------------------------------------


def test_a_model_file_holding_a_lambda_is_refused_as_code(tmp_path):
    import keras

    inputs = keras.Input((1,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "model.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(StoreError) as caught:
        store._load_keras(path)
    said = str(caught.value)
    assert "holds Python code" in said and "never runs code" in said
    assert "safe_mode" not in said


# ---- F5: a title with a line break -----------------------------------------------------------


def test_a_title_with_line_breaks_keeps_its_year():
    assert split_title_year("top\n\n|x|y|\n|-|-|\n|1|2| table (1964)") == (
        "top\n\n|x|y|\n|-|-|\n|1|2| table",
        1964,
    )
    assert split_title_year("line one\nline two (1975)") == ("line one\nline two", 1975)


# ---- every page: a hostile dataset name and the model name __it__ shown literally ------------


@pytest.fixture
def hostile_home(small_model_home, movielens_dir, tmp_path, monkeypatch):
    """small-mf copied as ``__it__`` (a valid model name), its meta.json naming its dataset
    :data:`HOSTILE` (the data still found through its recorded folder), beside small-mf."""
    home = tmp_path / "home"
    models = home / "models"
    shutil.copytree(small_model_home / "models" / "small-mf", models / "small-mf")
    shutil.copytree(
        small_model_home / "models" / "small-mf",
        models / "__it__",
        ignore=shutil.ignore_patterns("cache"),
    )
    meta_file = models / "__it__" / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta["name"] = "__it__"
    meta["dataset"]["name"] = HOSTILE
    meta["dataset"]["source"] = str(movielens_dir / "ml-latest-small")
    meta_file.write_text(json.dumps(meta))
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


def _markdown_texts(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit reads as Markdown: bodies of markdown, captions
    and alerts, widget labels and help, radio and pill options, tab and expander labels."""
    found: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            for field, value in proto.ListFields():
                if field.name in ("body", "label", "help", "text", "caption"):
                    found.append(str(value))
                elif field.name == "options" and type(node).__name__ in ("Radio", "ButtonGroup"):
                    found.extend(str(v) for v in value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


#: (page, link parameters, whether a Markdown text names the model there).
PAGES = [
    ("home", {}, False),  # Home names it in its table
    ("embeddings", {"model": "__it__"}, True),
    ("embeddings", {"model": "__it__", "view": "Principal components"}, True),
    ("dimensions", {"model": "__it__"}, True),
    ("neighbours", {"models": ["__it__", "small-mf"], "q": "matrix 1999"}, True),
    ("recommend", {"models": ["__it__", "small-mf"], "user": "1"}, True),
    ("compare", {"models": ["__it__", "small-mf"]}, True),
    ("explore", {"model": "__it__", "view": "probes"}, False),
    ("explore", {"model": "__it__", "view": "axes", "xa": "Comedy", "xb": "Drama"}, False),
    ("rate", {"model": "__it__", "rated": "1:5,50:4,100:1"}, False),
    ("explore", {"model": "__it__", "model_b": "small-mf", "view": "align"}, True),
    ("explore", {"model": "__it__", "view": "users"}, False),
]


@pytest.mark.parametrize("page, query, named", PAGES)
def test_every_page_shows_hostile_names_literally(page, query, named, hostile_home):
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py").run()
    assert_clean(at)
    texts = _markdown_texts(at)
    rest = [t.replace(text.md(HOSTILE), "").replace(text.md("__it__"), "") for t in texts]
    live = [t for t in rest if any(part in t for part in LIVE)]
    assert not live, live
    if named:
        assert any(text.md("__it__") in t for t in texts)
