"""AppTest of the dashboard as a new user meets it: titles holding Markdown, LaTeX or HTML are
shown as written; a dataset whose movie ids are text can be rated; an imported embedding (no
rating counts) beside a trained model; a catalogue smaller than the filters' defaults.

One module home: ``words`` (a CSV of 6 movies with text ids and hostile titles, model
``words-mf``), ``ml4`` and ``ml100`` (ml-latest-small and ml-100k, dim 4, 1 epoch) and ``imp``
(an imported embedding of 60 ml-latest-small films, no rating counts).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, movierate_env
from streamlit.testing.v1 import AppTest

from movierate.ui import text
from movierate.ui.your_ratings import format_rated, nearest_allowed, parse_rated, repeated_ids

APP = str(Path(__file__).resolve().parents[1] / "app.py")

#: Titles (without year) that Markdown, LaTeX or HTML would change; each with its movie id.
HOSTILE = {"m1": "*bold*", "m2": "<b>tag</b>", "m3": "$x$ costs $5", "m4": "[link](x)"}
TITLES = {**HOSTILE, "m5": "Plain", "m6": "Second plain"}


@pytest.fixture(scope="module")
def audit_home(tmp_path_factory, movielens_dir: Path) -> Path:
    from movierate.data import from_csv
    from movierate.explore.imported import ImportedEmbedding, movies_like
    from movierate.imported_models import save_imported
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("audit-input")
    rng = np.random.default_rng(0)
    rows = [
        (f"u{u}", m, int(rng.integers(1, 6)), u * 10 + i)
        for u in range(10)
        for i, m in enumerate(TITLES)
        if (u + i) % 5  # not every user rates every movie
    ]
    pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).to_csv(
        home / "r.csv", index=False
    )
    pd.DataFrame(
        {
            "item": list(TITLES),
            "title": [f"{t} ({2000 + i})" for i, t in enumerate(TITLES.values())],
            "genres": ["Comedy", "Drama", "Comedy|Drama", "Drama", "Comedy", "Drama"],
        }
    ).to_csv(home / "i.csv", index=False)
    ml = movielens_dir / "ml-latest-small"
    counts = pd.read_csv(ml / "ratings.csv")["movieId"].value_counts()
    films = pd.read_csv(ml / "movies.csv").set_index("movieId").loc[counts.index[:60]]
    with movierate_env(home, movielens_dir):
        ds = from_csv(home / "r.csv", home / "i.csv", save_as="words")
        train_and_save(ds, ModelSpec(family="mf_bias", dim=4, epochs=1), "words-mf")
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml4")
        train_and_save("ml-100k", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml100")
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=1, epochs=1), "ml1d")
        bare = from_csv(home / "r.csv", save_as="bare")  # no items file: titles 'movie <id>'
        one = from_csv(b"user,item,rating\nu1,m1,4\nu1,m2,2\nu1,m3,5\nu1,m4,1\n", save_as="one")
        train_and_save(one, ModelSpec(family="mf_bias", dim=2, epochs=1), "one-user")
        train_and_save(bare, ModelSpec(family="mf_bias", dim=4, epochs=1), "bare-mf")
        labels = pd.DataFrame({"title": films["title"].to_numpy(), "genres": films["genres"]})
        vectors = rng.normal(size=(len(labels), 5)).astype(np.float32)
        save_imported("imp", ImportedEmbedding(vectors, movies_like(labels), "projector"), "t")
    return home


@pytest.fixture
def home(audit_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(audit_home))
    return audit_home


def open_at(page: str, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py").run()
    return at


def markdown_texts(at: AppTest) -> list[str]:
    """Everything Streamlit renders as Markdown: text elements, alerts, pill options and
    widget labels."""
    shown = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in at.get(kind)
    ]
    shown += [o.content for g in at.get("button_group") for o in g.proto.options]
    shown += [w.label for kind in ("selectbox", "text_input") for w in at.get(kind)]
    return shown


def assert_literal(at: AppTest, raw: str) -> None:
    """``raw`` appears on the page only Markdown-escaped (and does appear)."""
    shown = markdown_texts(at)
    assert not [s for s in shown if raw in s], raw
    assert any(text.md(raw) in s for s in shown), (raw, shown)


@pytest.mark.parametrize("raw", list(HOSTILE.values()))
def test_a_hostile_title_is_shown_as_written_on_neighbours(home, raw):
    at = open_at("neighbours", models="words-mf", q=raw)
    assert_clean(at)
    assert_literal(at, raw)


def test_example_pills_show_titles_as_written(home):
    at = open_at("neighbours", models="words-mf")
    assert_clean(at)
    for raw in HOSTILE.values():
        assert_literal(at, raw)


def test_analogy_line_shows_titles_as_written(home):
    a, b, c = HOSTILE["m1"], HOSTILE["m3"], HOSTILE["m4"]
    at = open_at("explore", model="words-mf", view="analogy", an_a=a, an_b=b, an_c=c, an_min="0")
    for raw in (a, b, c):
        assert_literal(at, raw)


@pytest.mark.parametrize(
    ("page", "query", "raw"),
    [
        ("embeddings", {"model": "$x$"}, "$x$"),  # a link's junk value in the ignored notice
        ("neighbours", {"models": "ml4", "q": "*zzqqxx*"}, "*zzqqxx*"),  # a typed query
        ("explore", {"model": "ml4", "view": "axes", "xa": "$y$"}, "$y$"),  # a core error
    ],
)
def test_typed_and_linked_values_are_shown_as_written(home, page, query, raw):
    at = open_at(page, **query)
    assert not at.exception
    assert_literal(at, raw)


def test_plotly_hover_escapes_titles():
    from movierate.ui import explore_figures

    frame = pd.DataFrame(
        {"title": ["<b>x</b>"], "year": [2000], "genres": [["Drama"]], "n_ratings": [3]}
    )
    (hover,) = explore_figures._hover(frame)
    assert "<b>x</b>" not in hover and "&lt;b&gt;x&lt;/b&gt;" in hover


def test_rate_a_movie_of_a_dataset_with_text_ids(home):
    at = open_at("rate", model="words-mf")
    at.text_input(key="rate_q").set_value("plain").run()
    assert_clean(at)
    at.button(key="rate_add").click().run()
    assert_clean(at)
    rated, bad = parse_rated(at.query_params["rated"], text_ids=True)
    assert not bad and set(rated) <= {"m5", "m6"} and len(rated) == 1
    assert any("Recommended for you" in s.value for s in at.header)


def test_rated_link_with_text_ids_is_read(home):
    at = open_at("rate", model="words-mf", rated="m1:5,m3:2,nope:4")
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "unreadable" not in warnings and "nope" in warnings  # unknown, not unreadable
    titles = set(at.dataframe[0].value["title"])
    assert {f"{HOSTILE['m1']}", f"{HOSTILE['m3']}"} <= titles


@pytest.mark.parametrize(
    ("value", "text_ids", "expected", "bad"),
    [
        ("a:5,b c:4", True, {"a": 5.0, "b c": 4.0}, []),
        ("a:5,b:,:3", True, {"a": 5.0}, ["b:", ":3"]),
        ("a:5,7:4", False, {7: 4.0}, ["a:5"]),
        # bad-input round 8: an id's comma split it in two, and the rating went to "The (1999)"
        ("Matrix%2C The (1999):5,x:y:2", True, {"Matrix, The (1999)": 5.0, "x:y": 2.0}, []),
        ("100%25 pure%2c:3", True, {"100% pure,": 3.0}, []),
    ],
)
def test_parse_rated_text_ids(value, text_ids, expected, bad):
    assert parse_rated(value, text_ids=text_ids) == (expected, bad)
    assert parse_rated(format_rated(expected), text_ids=text_ids)[0] == expected
    assert format_rated({"Matrix, The (1999)": 5.0, "50%": 1.0}) == "Matrix%2C The (1999):5,50%25:1"


@pytest.fixture
def link_cap_4000(monkeypatch) -> None:
    """The link's room for ratings as it was (4,000 characters), so ml-100k's 1,682 movies
    can fill it (60,000 since bad-input round 29)."""
    from movierate.ui import state

    rated = state.UrlParam("text", hi=4000, cut=",", entries="ratings")
    monkeypatch.setattr(state, "RATED_MAX", 4000)
    for page in ("rate", "recommend"):
        monkeypatch.setitem(state.URL_PARAMS[page], "rated", rated)


def test_a_rating_the_link_has_no_room_for_is_refused_and_the_list_kept(home, link_cap_4000):
    """Bad-input round 8: one rating past the link's 4,000 characters dropped the whole list
    (684 ratings) on the next run, with a warning shown once."""
    from movierate.ui import state

    entries = [f"{movie_id}:4" for movie_id in range(100, 1000)]  # not Star Wars (50)
    while len(",".join(entries)) > state.RATED_MAX - 3:
        entries.pop()
    spare = iter(range(1000, 1683))  # a 4-digit id for a 3-digit one: one character more
    for i in range(len(entries)):
        if len(",".join(entries)) >= state.RATED_MAX - 3:  # no addition fits now
            break
        entries[i] = f"{next(spare)}:4"
    full = ",".join(entries)
    assert state.RATED_MAX - 3 <= len(full) <= state.RATED_MAX
    at = open_at("rate", model="ml100", rated=full)
    at.text_input(key="rate_q").set_value("star wars").run()
    at.button(key="rate_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params["rated"] == full  # kept as it was
    assert any("Not added" in e.value and "keeps its list" in e.value for e in at.error)
    at.run()
    assert at.query_params["rated"] == full and not at.error


def test_ratings_moved_to_another_data_set_past_the_link_cap_are_used_and_said(home, link_cap_4000):
    """Recheck: a list moved to another data set's longer ids was refused as "Not added"
    next to "were kept", and the move was redone on every run."""
    from movierate import explore, store
    from movierate.ui import state
    from movierate.ui.your_ratings import data_tag, movie_id_of

    source, target = store.load_model("ml100"), store.load_model("ml4")
    pairs = []
    for row in range(len(source.movies)):
        here = explore.matching_row(source.movies, row, target.movies)
        if here is not None:
            pairs.append((movie_id_of(source, row), movie_id_of(target, here)))
    pairs.sort(key=lambda p: len(str(p[0])) - len(str(p[1])))  # longest growth first
    src, dst = [], []
    for a, b in pairs:
        if len(",".join([*src, f"{a}:3"])) > state.RATED_MAX:
            break
        src.append(f"{a}:3")
        dst.append(f"{b}:3")
    assert len(",".join(dst)) > state.RATED_MAX  # moved, they would not fit
    rated = ",".join(src)
    at = open_at("rate", model="ml4", rated=rated, rated_on=data_tag(source))
    assert not at.exception and not at.error
    (moved,) = [i.value for i in at.info if "were made on" in i.value]
    films = len(set(dst))  # both ml-100k rows of a film are one film there (recheck 12, M1)
    assert f"{films} of those movies are in" in moved
    assert films == len(src) or "rated under both of their ids in ml-100k" in moved
    assert at.query_params["rated"] == rated  # the link keeps its list (only looked at)
    assert any(f"**Your ratings** ({films})" in m.value for m in at.markdown)


FILM = "Forrest Gump (1994)"


@pytest.mark.parametrize("order", [["ml4", "imp"], ["imp", "ml4"]])
def test_neighbours_of_a_trained_and_an_imported_model(home, order):
    at = open_at("neighbours", models=order, q=FILM, wide="true")
    assert_clean(at)
    assert len(at.dataframe) == 2
    assert any("Not applied to imp" in c.value for c in at.caption)


@pytest.mark.parametrize("section", ["Embedding spaces", "Spectra", "Movie by movie"])
def test_compare_a_trained_and_an_imported_model(home, section):
    at = open_at("compare", models=["imp", "ml4"], section=section)
    assert_clean(at)


def test_align_an_imported_model_onto_a_trained_one(home):
    at = open_at("explore", view="align", model="ml4", model_b="imp")
    assert_clean(at)
    assert at.get("plotly_chart")


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("embeddings", {"view": "Principal components"}),
        ("explore", {"view": "analogy"}),
    ],
)
def test_a_catalogue_smaller_than_the_default_filter_opens_on_numbers(home, page, query):
    at = open_at(page, model="words-mf", **query)
    assert_clean(at)
    fewest = int(pd.read_csv(home / "r.csv")["item"].value_counts().min())
    (slider,) = [s for s in at.slider if "ratings" in s.label]
    assert slider.value <= fewest  # every movie of the catalogue is kept


def test_probes_leave_out_only_the_model_too_small_for_them(home):
    at = open_at("explore", view="probes", models=["ml4", "words-mf"])
    assert not at.exception and not at.error
    assert any("words-mf" in w.value and "left out" in w.value for w in at.warning)
    assert list(at.dataframe[0].value["model"]) == ["ml4"]


def test_the_map_filter_starts_where_it_keeps_the_small_catalogue(home):
    at = open_at("embeddings", model="words-mf", view="Map", map_method="pca")
    assert_clean(at)
    fewest = int(pd.read_csv(home / "r.csv")["item"].value_counts().min())
    assert float(at.text_input(key="tsne_min").value) <= fewest


def test_ratings_follow_the_films_when_the_model_changes_dataset(home):
    """Ids of one dataset name other films (or none) in another: a switch of model keeps the
    ratings of the same films, matched by identity, and says so."""
    from movierate import store

    small, other = store.load_model("ml4"), store.load_model("ml100")
    films = small.movies.nlargest(3, "n_ratings")
    at = open_at("rate", model="ml4", rated=format_rated({int(i): 5.0 for i in films["movie_id"]}))
    assert_clean(at)
    kept = at.query_params["rated"]
    at.selectbox(key="model").set_value("ml100").run()
    assert_clean(at)
    yours = next(f.value for f in at.dataframe if "your rating" in f.value.columns)
    titles = set(other.movies.set_index("movie_id").loc[list(yours["movie_id"]), "title"])
    assert titles == set(films["title"])  # the same films, under ml-100k's ids
    assert any("3 of those movies are in ml-100k" in i.value for i in at.info)
    assert at.query_params["rated"] == kept  # as made, until changed (recheck 9, F1)
    at.selectbox(key="model").set_value("words-mf").run()
    assert_clean(at)
    # none of those films is in words: the link keeps them, said, for a model that has them
    # (bad-input round 36: an emptied link lost the only copy of the ratings)
    assert at.query_params["rated"] == kept
    assert any("None of your 3 ratings" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("neighbours", {"models": "imp", "q": FILM}),
        ("embeddings", {"model": "imp"}),
        ("dimensions", {"model": "imp"}),
    ],
)
def test_an_imported_model_is_described_as_imported(home, page, query):
    """Its recorded spec ("mf") is a placeholder and it has no rating counts: no view says it
    was trained, nor that its movies have 0 ratings."""
    at = open_at(page, **query)
    assert not at.exception
    shown = " ".join(markdown_texts(at))
    assert "imported embedding (t, projector), dim 5" in shown
    assert "trained on imported" not in shown and "0 ratings" not in shown


@pytest.mark.parametrize(
    ("genres", "expected"),
    [
        (
            [["Comedy"], ["Drama"], ["Children"], ["Horror"]],
            ("Comedy", "Drama", "Children", "Horror"),
        ),
        (
            [["Action"], ["Action", "Thriller"], ["Action", "Comedy"], ["Thriller"], ["War"]],
            ("Comedy", "Action", "Thriller", "War"),
        ),
        ([["Sci-Fi"], ["Sci-Fi"], None], ("Sci-Fi", "", "", "")),
    ],
)
def test_custom_axes_start_from_genres_the_model_has(genres, expected):
    from types import SimpleNamespace

    from movierate.ui.explore_views import _starting_sets

    model = SimpleNamespace(movies=pd.DataFrame({"genres": genres}))
    assert _starting_sets(model) == expected


def test_custom_axes_never_open_on_a_genre_the_catalogue_lacks(home):
    at = open_at("explore", model="words-mf", view="axes", ymode="custom")
    assert_clean(at)  # words has Comedy and Drama only: no "'Children' is neither a genre"
    assert at.text_input(key="ya").value == "" and at.text_input(key="xa").value == "Comedy"


@pytest.mark.parametrize(("page", "picker"), [("rate", "model"), ("recommend", "models")])
def test_your_ratings_on_a_one_dimensional_model(home, page, picker):
    """A dim-1 model's users map is a line (y = 0): a folded-in user is marked on it too."""
    at = open_at(page, **{picker: "ml1d" if page == "rate" else ["ml1d"]}, rated="1:5,50:4")
    assert_clean(at)


def test_neighbours_of_a_model_whose_movies_have_no_titles(home):
    """Without an items file every title is 'movie <id>', which identifies no film across
    datasets; within the model's own data the movie is its own row, so neighbours show."""
    at = open_at("neighbours", models=["bare-mf"], q="movie m1")
    assert_clean(at)
    assert not any("Not in this model" in m for m in markdown_texts(at)), markdown_texts(at)
    assert at.dataframe, "no neighbours table"


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("neighbours", {"models": ["bare-mf"], "q": "movie m1"}),
        ("embeddings", {"model": "bare-mf", "view": "Principal components"}),
        ("recommend", {"models": ["bare-mf"]}),
    ],
)
def test_movie_tables_leave_out_columns_no_movie_has(home, page, query):
    """Views round 4: data without years or genres (a user's CSV) showed a 'year' column of
    None and an empty 'genres' column in every movie table."""
    at = open_at(page, **query)
    assert_clean(at)
    tables = [t.value for t in at.dataframe if "title" in t.value.columns]
    assert tables, page
    for table in tables:
        assert "year" not in table.columns and "genres" not in table.columns, table.columns


def test_principal_components_of_a_model_whose_movies_have_no_years(home):
    at = open_at("embeddings", model="bare-mf", view="Principal components")
    assert_clean(at)


def test_a_rating_outside_the_scale_in_a_link_is_named_not_silently_moved(home):
    at = open_at("rate", model="ml4", rated="1:99,50:4")
    assert_clean(at)
    assert any("1:99 → 5" in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_link_rating_between_steps_or_twice_is_named_not_silently_used(home):
    """Round 9, left alone then: 3.7 on a scale of whole stars was used as 3.7, and an id
    given twice kept its last rating, both without a word."""
    at = open_at("rate", model="ml4", rated="1:3.7,50:4,50:2")
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert any("not on ml4's scale" in w and "1:3.7 → 3.5" in w for w in warnings), warnings
    assert any("rates movie id(s) 50 more than once" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("rating", "scale", "expected"),
    [
        (3.7, (1.0, 5.0, 1.0), 4.0),
        (3.7, (0.5, 5.0, 0.5), 3.5),
        (3.76, (0.5, 5.0, 0.5), 4.0),
        (99.0, (0.5, 5.0, 0.5), 5.0),
        (-1.0, (1.0, 10.0, 1.0), 1.0),
        (3.7, (0.0, 5.0, 0.0), 3.7),
        (4.9, (1.0, 5.0, 3.0), 4.0),  # the top step is lo + k * step, never past hi
        (2.5, (1.0, 5.0, 1.0), 3.0),  # halves go up, on every step (the recheck: 2.5 -> 3 but
        (3.5, (1.0, 5.0, 1.0), 4.0),  # 3.5 -> 3 with Python's round)
        (3.75, (0.5, 5.0, 0.5), 4.0),
        (0.15, (0.0, 1.0, 0.1), 0.2),  # recheck 2: floats made 0.15 / 0.1 = 1.4999...
        (0.95, (0.0, 1.0, 0.1), 1.0),
    ],
)
def test_nearest_allowed(rating, scale, expected):
    assert nearest_allowed(rating, scale) == expected


def test_repeated_ids():
    assert repeated_ids("1:5,2:3,1:4,2:1,1:2,x") == [1, 2]
    assert repeated_ids("a%2Cb:5,a%2Cb:3", text_ids=True) == ["a,b"]
    assert repeated_ids("1:5,2:3") == []


def test_compare_embedding_spaces_of_a_model_without_genres(home):
    """Genre coherence needs genres; the tab still shows the rest and says why it is missing."""
    at = open_at("compare", models=["bare-mf", "words-mf"], section="Embedding spaces")
    assert_clean(at)
    assert any("bare-mf: no genre coherence" in i.value for i in at.info), [
        i.value for i in at.info
    ]


def test_your_ratings_on_a_model_with_a_single_user(home):
    """No users map with one user (a covariance needs two): said, and the rest still drawn."""
    at = open_at("rate", model="one-user", rated="m1:5")
    assert_clean(at)
    assert any("needs two users or more" in c.value for c in at.caption)


def test_rate_movies_list_counts_training_ratings_as_its_filter_does(home):
    """Accuracy round 51, L1: Rate movies' list showed every rating (Shawshank 317) beside a
    Min. ratings filter counting training ratings (268)."""
    from movierate import store
    from movierate.explore.validation import filter_counts

    model = store.load_model("ml100")
    top = model.movies.nlargest(3, "n_ratings")["movie_id"]
    at = open_at("rate", model="ml100", rated=",".join(f"{int(m)}:5" for m in top))
    assert_clean(at)
    listed = next(f.value for f in at.dataframe if "because" in f.value.columns)
    rows = [int(model.movies.index[model.movies["title"] == t][0]) for t in listed["title"]]
    assert list(listed["n_ratings"]) == list(filter_counts(model.movies)[rows])
    assert (listed["n_ratings"] <= model.movies["n_ratings"].to_numpy()[rows]).all()
