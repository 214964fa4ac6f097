"""Formula injection (views round 11, finding 1): every CSV / TSV movierate writes for a user
to open elsewhere starts a formula-like text cell with ``'`` (:mod:`movierate.spreadsheet`),
keeps numbers as numbers, and movierate's own readers give the original text back."""

from __future__ import annotations

import ast
import csv
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate import spreadsheet, study
from movierate.explore import (
    coordinates_csv,
    projection,
    projector_text,
    read_coordinates,
    selection_csv,
    word2vec_text,
)
from movierate.explore.imported import read_npy, read_projector_tsv, read_word2vec_file

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "=1+2",
    "+SUM(A1:A2)",
    "-2+3",
    "@cmd",
    "\tTabbed",
    "\rReturned",
    "'=already quoted",
    "'Round Midnight",
    "Plain, with a comma",
]
TRIGGERS = tuple("=+-@\t\r")


def hostile_movies() -> pd.DataFrame:
    """The hostile titles, then one plain movie (a selection cannot hold every movie)."""
    n = len(HOSTILE) + 1
    return movies_table(n, titles=[*HOSTILE, "Plain"], genres=[["-Genre", "Drama"]] * n)


SELECTED = range(len(HOSTILE))


def embedding(n: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)


def assert_no_formula(rows: list[list[str]]) -> None:
    """No cell of ``rows`` starts like a formula, except numbers (a negative coordinate)."""
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                float(cell)  # raises for text: a formula a spreadsheet would run


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("text", [*HOSTILE, "", "x", "''-x", "-"])
def test_safe_cell_round_trips_and_guards(text):
    written = spreadsheet.safe_cell(text)
    assert spreadsheet.plain_cell(written) == text
    assert not written.startswith(TRIGGERS)
    assert written == text or written == "'" + text


def test_safe_frame_keeps_numbers_and_missing_values():
    frame = pd.DataFrame({"title": ["=1", None, "ok"], "x": [-1.5, 2.0, -3.0]})
    safe = spreadsheet.safe_frame(frame)
    assert safe["title"].tolist()[0] == "'=1" and safe["title"].isna().tolist()[1]
    assert safe["x"].tolist() == [-1.5, 2.0, -3.0]
    assert frame["title"].tolist()[0] == "=1"  # the caller's frame is not changed


def test_coordinates_csv_guards_titles_and_reads_back():
    movies = hostile_movies()
    x = embedding(len(movies))
    frame = projection.projection_map(x, movies, method="pca", min_ratings=0)
    text = coordinates_csv(frame)
    assert_no_formula(csv_rows(text))
    assert (frame["x"] < 0).any() and "-" in text  # negative coordinates stay numbers
    back = pd.read_csv(io.StringIO(text))
    assert back["title"].map(spreadsheet.plain_cell).tolist() == frame["title"].tolist()
    loaded = read_coordinates(text, x, movies)  # the titles check sees the original titles
    assert list(loaded["movie_idx"]) == list(frame["movie_idx"])


def test_coordinates_of_text_ids_that_look_like_formulas_read_back():
    movies = hostile_movies()
    movies["movie_id"] = [f"-id{i}" for i in range(len(movies))]
    x = embedding(len(movies))
    frame = projection.projection_map(x, movies, method="pca", min_ratings=0)
    text = coordinates_csv(frame)
    assert_no_formula(csv_rows(text))
    assert list(read_coordinates(text, x, movies)["movie_idx"]) == list(frame["movie_idx"])


def test_selection_csv_guards_titles_and_genres():
    movies = hostile_movies()
    text = selection_csv(movies, SELECTED, np.full((len(HOSTILE), 2), -1.0))
    assert_no_formula(csv_rows(text))
    back = spreadsheet.plain_frame(pd.read_csv(io.StringIO(text), keep_default_na=False))
    assert back["title"].tolist() == HOSTILE
    assert back["genres"].tolist() == ["-Genre|Drama"] * len(HOSTILE)
    assert back["x"].tolist() == [-1.0] * len(HOSTILE)


def test_selection_csv_leaves_out_internal_and_empty_columns():
    """The matching key (identity) is internal, and a dataset without years or genres gets no
    empty year / genres columns (views round 11, side note)."""
    movies = movies_table(3, years=[None] * 3, genres=[[]] * 3).assign(identity="title:x|")
    header = csv_rows(selection_csv(movies, [0, 1]))[0]
    assert header == ["movie_idx", "movie_id", "title", "n_ratings"]
    full = csv_rows(selection_csv(movies_table(3).assign(identity="k"), [0]))[0]
    assert "identity" not in full and {"year", "genres"} <= set(full)


def test_coordinates_csv_drops_an_all_empty_year():
    movies = movies_table(6, years=[None] * 6)
    frame = projection.projection_map(embedding(6), movies, method="pca", min_ratings=0)
    assert coordinates_csv(frame).splitlines()[0] == "movie_id,title,x,y,map"


def test_projector_metadata_guards_and_reads_back_through_the_import(tmp_path):
    movies = hostile_movies()
    x = embedding(len(movies))
    vectors, metadata = projector_text(x, movies)
    lines = metadata.splitlines()
    assert_no_formula([line.split("\t") for line in lines])
    (tmp_path / "v.tsv").write_text(vectors)
    (tmp_path / "m.tsv").write_text(metadata)
    imported = read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")
    assert imported.movies["title"].tolist() == [t.strip() for t in [*HOSTILE, "Plain"]]
    assert imported.movies["genres"].tolist() == [["-Genre", "Drama"]] * len(movies)


def test_word2vec_tokens_guard_and_read_back(tmp_path):
    movies = hostile_movies().iloc[:5]  # the titles without whitespace of their own
    x = embedding(len(movies))
    text = word2vec_text(x, movies)
    assert_no_formula([line.split(" ")[:1] for line in text.splitlines()[1:]])
    (tmp_path / "m.w2v.txt").write_text(text)
    imported = read_word2vec_file(tmp_path / "m.w2v.txt")
    assert imported.movies["title"].tolist() == HOSTILE[:5]
    assert imported.movies["movie_id"].tolist() == movies["movie_id"].tolist()


def test_a_selection_csv_as_labels_of_a_npy_gives_the_titles_back(tmp_path):
    movies = hostile_movies()
    np.save(tmp_path / "v.npy", embedding(len(HOSTILE)))
    (tmp_path / "labels.csv").write_text(selection_csv(movies, SELECTED), newline="")
    imported = read_npy(tmp_path / "v.npy", tmp_path / "labels.csv")
    # (the labels are read as text with universal newlines: a CR inside a title becomes \n)
    expected = [t.strip() for t in HOSTILE if "\r" not in t]
    assert [t for t in imported.movies["title"] if "Returned" not in t] == expected


def test_an_export_used_as_items_file_gives_the_titles_back(tmp_path):
    from movierate.data import from_csv

    movies = hostile_movies().iloc[:6].assign(movie_id=[1, 2, 3, 4, 5, 6])
    (tmp_path / "items.csv").write_text(selection_csv(movies, range(5)), newline="")
    ratings = pd.DataFrame(
        {"user": np.repeat(np.arange(4), 5), "item": np.tile(np.arange(1, 6), 4), "rating": 3}
    )
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    ds = from_csv(tmp_path / "ratings.csv", items=tmp_path / "items.csv")
    assert sorted(ds.movies["title"]) == sorted(HOSTILE[:5])


def test_study_result_files_guard_text_and_read_back(tmp_path):
    plan = replace(study.QUICK_PLAN, datasets=("@a",))
    rows = pd.DataFrame(
        {"dataset": ["@a"] * 2, "dim": [8] * 2, "seed": [0, 0], "variant": ["none", "l2"],
         "test_rmse": [0.9, 0.91]}
    )  # fmt: skip
    key = {"dataset": "@a", "dim": 8, "seed": 0, "variant": "none"}
    ablation = pd.DataFrame({"dimension": [0, 1], "test_rmse_increase": [0.1, -0.1]}).assign(**key)
    prefix = pd.DataFrame({"basis": ["index"], "k": [1], "rmse": [0.95]}).assign(**key)
    study.write_results(rows, ablation, prefix, plan, 1.0, tmp_path)
    for name in ("results.csv", "summary.csv", "ablation.csv", "prefix.csv"):
        assert_no_formula(csv_rows((tmp_path / name).read_text()))
    _, ablation_back, prefix_back = study.report.load_run(tmp_path)
    assert ablation_back["dataset"].tolist() == ["@a", "@a"]
    assert ablation_back["test_rmse_increase"].tolist() == [0.1, -0.1]
    assert prefix_back["dataset"].tolist() == ["@a"]


def _to_csv_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "to_csv"
    ]


def test_no_csv_is_written_past_the_guard():
    """The class, not the instance: every ``.to_csv(`` of the product goes through
    :func:`movierate.spreadsheet.csv_text` (a new download or export must too)."""
    files = [*ROOT.joinpath("movierate").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py")]
    files.append(ROOT / "app.py")
    found = {
        str(p.relative_to(ROOT)): lines
        for p in files
        if p.name != "spreadsheet.py" and (lines := _to_csv_calls(p))
    }
    assert found == {}, f"CSV written without spreadsheet.csv_text: {found}"
