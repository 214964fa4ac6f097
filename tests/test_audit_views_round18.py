"""Views round 18 (an Embedding Projector user switches over): an import keeps the metadata's
own columns and the map colours by them (F1), tables show unknown rating counts blank, not 0
(F2), a /slashed/ regex with the "Regular expression" switch drops its slashes (F3), and
Neighbours lists 1 to 100 (F5)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, charts, open_page
from cvd import clashes
from streamlit.testing.v1 import AppTest

from movierate import explore, store
from movierate.explore.axes import regex_of
from movierate.explore.imported import (
    MAX_EXTRA_COLUMNS,
    columns_text,
    extra_columns,
    movies_like,
    read_npy,
    read_projector_tsv,
)
from movierate.explore.search import TitleIndex
from movierate.explore.validation import UNCOUNTED, movie_columns
from movierate.imported_models import read_embedding, save_imported
from movierate.ui import figures, state, widgets

ROOT = Path(__file__).resolve().parents[1]
TITLES = [
    "Star Wars (1977)",
    "Stargate (1994)",
    "Star Trek (1979)",
    "Toy Story (1995)",
    "Heat (1995)",
]


def write_pair(folder: Path, n: int = 60) -> tuple[Path, Path]:
    """A Projector vectors.tsv + metadata.tsv with the columns of the round's switcher
    (Title, Genre, cluster, director) plus a number column and an empty one."""
    rng = np.random.default_rng(0)
    cluster = np.arange(n) % 4
    x = rng.normal(size=(4, 6))[cluster] * 3 + rng.normal(size=(n, 6))
    np.savetxt(folder / "vectors.tsv", x, delimiter="\t", fmt="%.5f")
    meta = pd.DataFrame(
        {
            "Title": [TITLES[i] if i < len(TITLES) else f"Film {i} (2001)" for i in range(n)],
            "Genre": ["Comedy|Drama"] * n,
            "cluster": [f"c{c}" for c in cluster],
            "director": ["Nolan", "Bigelow", "Spielberg"] * (n // 3),
            "Box office": [f"{v:.1f}" for v in rng.uniform(1, 9, n)],
            "votes": [str(i * 10) for i in range(n)],
            "notes": [""] * n,
        }
    )
    meta.to_csv(folder / "metadata.tsv", sep="\t", index=False)
    return folder / "vectors.tsv", folder / "metadata.tsv"


# --- F1: the metadata's own columns are kept, said, and colour the map ----------------------


def test_a_projector_import_keeps_its_own_columns_and_says_which(tmp_path):
    vectors, metadata = write_pair(tmp_path)
    movies = read_projector_tsv(vectors, metadata).movies
    assert extra_columns(movies) == ["cluster", "director", "box_office", "votes"]
    assert movies["cluster"].tolist()[:2] == ["c0", "c1"]  # text as text
    assert movies["box_office"].dtype == np.float64  # numbers as numbers
    said = columns_text(movies)
    assert "cluster, director, 'Box office' as box_office" in said
    assert "Not kept: 'notes' (empty)" in said


def test_kept_names_are_plain_distinct_and_never_the_tables_own_and_the_rest_is_counted():
    labels = pd.DataFrame(
        {"title": ["a", "b"], "norm": ["1", "2"], "Norm!": ["3", "4"], "2nd": ["x", "y"]}
        | {f"extra {i}": ["u", "v"] for i in range(MAX_EXTRA_COLUMNS)}
    )
    movies = movies_like(labels)
    kept = extra_columns(movies)
    assert kept[:3] == ["norm_2", "norm_3", "c_2nd"]  # the map's norm column is not replaced
    assert len(kept) == MAX_EXTRA_COLUMNS and movies["norm_2"].dtype == "Int64"
    said = columns_text(movies)
    assert "'extra 17' (over the 20-column limit)" in said and "'norm' as norm_2" in said


def test_a_npy_labels_csv_keeps_its_columns_too(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(1).normal(size=(3, 4)))
    (tmp_path / "l.csv").write_text("title,decade,score\nA,1990s,1\nB,1980s,\nC,,3\n")
    movies = read_npy(tmp_path / "x.npy", tmp_path / "l.csv").movies
    assert movies["decade"].tolist() == ["1990s", "1980s", None]
    assert movies["score"].tolist()[0] == 1 and pd.isna(movies["score"].iloc[1])


def test_kept_columns_survive_the_store_and_old_folders_load_as_before(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    vectors, metadata = write_pair(tmp_path)
    folder = save_imported("own", read_embedding(vectors, metadata=metadata), "vectors.tsv")
    model = store.load_model("own")
    assert extra_columns(model.movies) == ["cluster", "director", "box_office", "votes"]
    meta = json.loads((folder / store.META_FILE).read_text())
    assert meta["imported"]["label_columns"] == ["cluster", "director", "box_office", "votes"]
    old = read_embedding(vectors)  # no metadata: the columns of an import before this round
    save_imported("old", old, "vectors.tsv")
    assert extra_columns(store.load_model("old").movies) == []


def test_the_import_command_names_kept_and_dropped_columns(tmp_path):
    vectors, metadata = write_pair(tmp_path)
    env = {"MOVIERATE_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "movierate", "import", str(vectors), "--metadata", str(metadata),
         "--name", "own"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Kept the label columns cluster, director, 'Box office' as box_office" in done.stdout
    assert "Not kept: 'notes' (empty)" in done.stdout


def map_frame(n: int, seed: int, **columns: list) -> pd.DataFrame:
    """A map frame of ``n`` movies without rating counts, plus label ``columns``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "title": [f"Film {i}" for i in range(n)],
            "year": pd.array([None] * n, dtype="Int64"),
            "genres": [[] for _ in range(n)],
            "n_ratings": np.zeros(n, dtype=np.int64),
            "norm": np.ones(n),
            "bias": np.nan,
            **columns,
        }
    )


def _frame(n: int = 40) -> pd.DataFrame:
    return map_frame(
        n,
        2,
        cluster=[f"c{i % 25}" if i % 7 else None for i in range(n)],
        budget=[float(i) if i % 5 else np.nan for i in range(n)],
    )


def test_a_text_column_colours_as_categories_in_shapes_and_the_rest_other():
    frame = _frame()
    fig = figures.tsne_scatter(frame, f"{figures.COLUMN}cluster")
    styles = {t.name.split(" (")[0]: (t.marker.color, t.marker.symbol) for t in fig.data}
    assert len(styles) == len(figures.CATEGORY_GENRES) + 2  # 18 values, other, (blank)
    assert styles["other"][0] == styles["(blank)"][0] == figures.OTHER_COLOUR
    assert clashes(styles) == []  # colour-vision safe: look-alike colours differ in shape
    distinct = frame["cluster"].dropna().nunique()
    assert f"18 most common of {distinct} values" in fig.layout.legend.title.text
    hover = next(t for t in fig.data if t.name.startswith("c1 ")).customdata[0][1]
    assert "cluster c1" in hover and "rating" not in hover  # no "0 ratings" line (F2)


def test_a_number_column_colours_on_a_scale_with_blanks_grey():
    fig = figures.tsne_scatter(_frame(), f"{figures.COLUMN}budget")
    scale = next(t for t in fig.data if t.marker.colorscale)
    assert scale.marker.colorbar.title.text == "budget" and len(scale.x) == 32
    blank = next(t for t in fig.data if t.name.startswith("(blank)"))
    assert blank.marker.color == figures.OTHER_COLOUR and len(blank.x) == 8
    assert "budget 1" in scale.customdata[0][1]


def test_the_map_cache_key_sees_a_label_columns_values():
    frame = _frame()
    other = frame.assign(cluster=frame["cluster"].iloc[::-1].to_numpy())
    assert figures.map_digest(frame) != figures.map_digest(other)


def test_colour_options_and_the_link_take_a_label_column():
    options = state.colour_options(False, False, False, False, has_bias=False, columns=["cluster"])
    assert options == ["norm", "column:cluster"]
    assert [state.colour_label(o) for o in options] == ["Embedding norm", "cluster"]
    spec = state.URL_PARAMS["embeddings"]["colour"]
    assert spec.check("colour", ["cluster"], {}) is None  # the page says if the model lacks it


def open_map(**query: str) -> tuple[AppTest, str]:
    """The Embeddings map of ``own`` (PCA), computed, and every warning shown on the way (a
    notice shows on the run that found the problem)."""
    at = open_page("pages/embeddings.py", model="own", view="Map", map_method="PCA", **query)
    said = [w.value for w in at.warning]
    if button := [b for b in at.button if b.label == "Compute map"]:
        button[0].click().run()
        said += [w.value for w in at.warning]
        while at.get("progress"):
            time.sleep(0.3)
            at.run()
            said += [w.value for w in at.warning]
    assert_clean(at)
    return at, "\n".join(said)


@pytest.fixture
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    vectors, metadata = write_pair(tmp_path)
    save_imported("own", read_embedding(vectors, metadata=metadata), "vectors.tsv")
    return tmp_path


def test_the_map_colours_by_a_linked_label_column(own_home):
    at, _ = open_map(colour="cluster")
    assert at.selectbox(key="colour").value == "column:cluster"
    assert at.query_params["colour"] == "cluster"
    names = [t.get("name", "") for t in charts(at)[0]["data"]]
    assert {"c0", "c1", "c2", "c3"} <= {n.split(" (")[0] for n in names}
    at.selectbox(key="colour").set_value("column:votes").run()  # whole numbers: a scale
    assert_clean(at)
    scale = [t for t in charts(at)[0]["data"] if t.get("marker", {}).get("colorscale")]
    assert scale and scale[0]["marker"]["colorbar"]["title"]["text"] == "votes"


def test_an_unknown_colour_in_a_link_is_said(own_home):
    at, said = open_map(colour="genre_of_ages")
    assert "Ignored ?colour=genre_of_ages from the link" in said
    assert "cluster, director, box_office, votes" in said
    assert "colour" not in at.query_params


# --- F2: unknown rating counts are blank, not 0 ----------------------------------------------


def test_neighbours_of_a_model_without_counts_show_no_zero_ratings(own_home):
    at = open_page("pages/neighbours.py", models="own", q="Star Wars", metric="euclidean",
                   k="100")  # fmt: skip
    assert at.slider(key="n").value == 100  # up to 100 now (F5)
    table = at.dataframe[0].value
    assert len(table) == 59  # every other movie of the 60
    assert (table["n_ratings"] == widgets.UNKNOWN_COUNT).all()
    assert_clean(at)


def test_result_tables_of_a_table_without_counts_are_marked():
    movies = movies_like(pd.DataFrame({"title": ["a", "b", "c"]}))
    found = explore.NeighbourIndex(np.eye(3, dtype=np.float32), movies).nearest(0, k=2)
    shown = found.assign(shared=True)[["rank", "title", "n_ratings"]]
    assert shown.attrs.get(UNCOUNTED)
    counted = movies.assign(n_ratings=[3, 4, 5])
    assert not movie_columns(counted, [0]).attrs.get(UNCOUNTED)


# --- F3: /slashes/ with the switch on ---------------------------------------------------------


def test_a_slashed_regex_with_the_switch_on_drops_one_pair_of_slashes():
    movies = movies_like(pd.DataFrame({"title": TITLES}))
    index = TitleIndex(movies)
    plain = widgets.map_matches(index, "/^Star|Wars/")
    switched = widgets.map_matches(index, "/^Star|Wars/", regex=True)
    assert sorted(plain.rows) == sorted(switched.rows) == [0, 1, 2]
    assert len(index.containing("//^Star//", regex=True)) == 0  # one pair only: /^Star/ stays
    assert regex_of("/^Star/") == "^Star" and regex_of("Star") is None


def test_the_invented_ids_flag_is_no_colouring_and_no_label_column_takes_its_name():
    """Merge of bad-input round 30 (ids made up from row numbers are flagged in the movies
    table) with views round 18 (every column beyond the table's own is a kept label column)."""
    from movierate.data.identity import INVENTED_IDS
    from movierate.explore.imported import extra_columns, movies_like

    movies = movies_like(
        pd.DataFrame({"title": ["A (1999)", "B (2000)"], "cluster": ["c1", "c2"],
                      INVENTED_IDS: ["x", "y"]})
    )  # fmt: skip
    assert movies[INVENTED_IDS].all()  # no id column: the row numbers are made up
    assert extra_columns(movies) == ["cluster", f"{INVENTED_IDS}_2"]


def test_a_skewed_number_column_colours_by_its_log_and_infinities_are_grey():
    """The recheck: a budget column put almost every point in the darkest colour."""
    frame = _frame()
    n = len(frame)
    frame["budget"] = [10.0 ** (i % 8) if i % 9 else np.inf for i in range(n)]
    fig = figures.tsne_scatter(frame, f"{figures.COLUMN}budget")
    scale = next(t for t in fig.data if t.marker.colorscale)
    assert scale.marker.colorbar.title.text == "budget (log10)"
    assert float(np.max(scale.marker.color)) == 7.0
    grey = next(t for t in fig.data if t.name.startswith("(blank) or infinite"))
    assert len(grey.x) == sum(1 for i in range(n) if i % 9 == 0)
    assert not figures.is_skewed(np.arange(1.0, 100.0)) and not figures.is_skewed(
        np.array([-1.0, 1e9])
    )
