"""Every embedding file movierate exports imports back, each movie matched to its own film,
with the label columns an import kept and its ids made up from row numbers still made up
(bad-input round 34 F3/F4).

Accuracy round 22 F1: the word2vec export wrote titles without their year ("Toy_Story_1"), and
movie identity pairs a yearless title only with yearless titles: 0 of 1,958 films matched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate.data.identity import INVENTED_IDS, match_movies
from movierate.explore import (
    coordinates_csv,
    projector_text,
    read_coordinates,
    selection_csv,
    word2vec_text,
)
from movierate.explore.imported import (
    columns_text,
    extra_columns,
    has_rating_counts,
    movies_like,
    read_npy,
    read_projector_tsv,
    read_word2vec_file,
)

# (title, year): repeated title and year, remakes, underscores, runs of spaces, non-ASCII,
# alternate titles, formula-like text, a title holding a year in parentheses, no year
FILMS = [
    ("Toy Story", 1995),
    ("Emma", 1996),
    ("Emma", 1996),
    ("Hamlet", 1990),
    ("Hamlet", 1996),
    ("Snake_Eyes_2", 1998),
    ("Two  Spaces\tand a tab", 2001),
    ("Amélie (Fabuleux destin d'Amélie Poulain, Le)", 2001),
    ("Léon: The Professional (a.k.a. The Professional) (Léon)", 1994),
    ("=1+2", 2003),
    ("Room (2015) Redux", 2016),
    ("Cosmos", None),
    ("Usual Suspects, The", 1995),
    ("千と千尋の神隠し", 2001),
    ("Rarely Seen", 2010),  # under MIN_RATINGS: a partial export is no copy of the catalogue
]
MIN_RATINGS = 5


def _model():
    n = len(FILMS)
    movies = movies_table(
        n,
        titles=[t for t, _ in FILMS],
        years=[y for _, y in FILMS],
        # the second Emma has more ratings: a tie-break on counts alone pairs it with the first
        n_ratings=[200, 10, 90, 30, 40, 12, 13, 80, 70, 11, 15, 16, 120, 60, 3],
        movie_ids=[1, 838, 1411, 1412, 1413, 5, 6, 4973, 293, 9, 10, 11, 50, 5618, 7],
    )
    x = np.random.default_rng(0).normal(size=(n, 5)).astype(np.float32)
    return x, movies


def _assert_every_film_is_its_own(imported: pd.DataFrame, vectors, x, movies) -> None:
    match = match_movies(imported, movies)
    assert match.n_matched == len(movies) - 1 == len(imported), match.summary()
    assert set(match.how) == {"title"}
    rows = match.a_to_b()
    np.testing.assert_array_equal(
        imported["movie_id"].astype(str), movies["movie_id"][rows].astype(str)
    )
    np.testing.assert_allclose(vectors, x[rows], rtol=1e-6)


def test_projector_export_imports_back_to_the_same_films(tmp_path):
    x, movies = _model()
    vectors, metadata = projector_text(x, movies, min_ratings=MIN_RATINGS)
    (tmp_path / "v.tsv").write_text(vectors, "utf-8")
    (tmp_path / "m.tsv").write_text(metadata, "utf-8")
    imported = read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")
    _assert_every_film_is_its_own(imported.movies, imported.vectors, x, movies)


def test_word2vec_export_imports_back_to_the_same_films(tmp_path):
    x, movies = _model()
    (tmp_path / "m.w2v.txt").write_text(word2vec_text(x, movies, min_ratings=MIN_RATINGS), "utf-8")
    imported = read_word2vec_file(tmp_path / "m.w2v.txt")
    assert imported.movies["year"].tolist()[:2] == [1995, 1996]
    assert imported.movies["title"].tolist()[5:7] == ["Snake Eyes 2", "Two Spaces and a tab"]
    _assert_every_film_is_its_own(imported.movies, imported.vectors, x, movies)


def test_word2vec_export_of_text_ids_imports_back(tmp_path):
    x, movies = _model()
    dated = movies["year"].notna().to_numpy()  # a text id follows a year in a token
    movies = movies[dated].reset_index(drop=True)
    movies["movie_id"] = [f"film-{i}" for i in range(len(movies))]
    movies["movie_idx"] = np.arange(len(movies))
    x = x[dated]
    (tmp_path / "m.w2v.txt").write_text(word2vec_text(x, movies, min_ratings=MIN_RATINGS), "utf-8")
    imported = read_word2vec_file(tmp_path / "m.w2v.txt")
    assert imported.movies["movie_id"].tolist() == movies["movie_id"].tolist()[:-1]
    _assert_every_film_is_its_own(imported.movies, imported.vectors, x, movies)


def test_an_older_yearless_word2vec_export_still_finds_its_films(tmp_path):
    """Tokens written before round 22 ("Toy_Story_1"): one side knows no year at all, so the
    main title decides, and the movie id picks among remakes ("Hamlet" 1990 and 1996)."""
    x, movies = _model()
    kept = movies["n_ratings"].to_numpy() >= MIN_RATINGS
    lines = [f"{kept.sum()} {x.shape[1]}"]
    for title, movie_id, row in zip(
        movies["title"][kept], movies["movie_id"][kept], x[kept], strict=True
    ):
        token = "_".join(str(title).split()) + f"_{movie_id}"
        lines.append(" ".join([token, *(f"{v:.9g}" for v in row)]))
    (tmp_path / "old.txt").write_text("\n".join(lines) + "\n", "utf-8")
    imported = read_word2vec_file(tmp_path / "old.txt")
    assert imported.movies["year"].isna().all()
    _assert_every_film_is_its_own(imported.movies, imported.vectors, x, movies)


def test_yearless_titles_pair_with_remakes_only_by_their_own_id():
    """Without years and without equal ids, "Hamlet" cannot tell 1990 from 1996: no pair."""
    _, movies = _model()
    yearless = movies_table(2, titles=["Hamlet", "Toy Story"], years=[None, None], movie_ids=[7, 8])
    match = match_movies(yearless, movies)
    assert match.a_to_b().tolist() == [-1, 0]


@pytest.mark.parametrize("with_year", [True, False])
def test_coordinates_csv_loads_back_and_labels_a_npy(tmp_path, with_year):
    x, movies = _model()
    if not with_year:
        movies["year"] = pd.array([None] * len(movies), dtype="Int64")
    shown = movies["n_ratings"].to_numpy() >= MIN_RATINGS  # a map of the movies it shows
    frame = movies[["movie_id", "title", "year"]].assign(x=x[:, 0], y=x[:, 1])[shown]
    csv = coordinates_csv(frame)
    loaded = read_coordinates(csv, x, movies)
    assert loaded.attrs["unmatched"] == 0
    assert loaded["movie_idx"].tolist() == np.flatnonzero(shown).tolist()
    np.testing.assert_allclose(loaded["x"], x[shown, 0], rtol=1e-6)
    (tmp_path / "coords.csv").write_text(csv, "utf-8", newline="")
    np.save(tmp_path / "v.npy", x[shown])
    imported = read_npy(tmp_path / "v.npy", tmp_path / "coords.csv")
    _assert_every_film_is_its_own(imported.movies, imported.vectors, x, movies)


def _imported_model():
    """An import without ids or rating counts that kept label columns of every kind: text (a
    formula-like and a tab-holding value), whole numbers, numbers with inf and blanks."""
    n = 6
    labels = pd.DataFrame(
        {
            "title": [f"Film {i} (19{50 + i})" for i in range(n)],
            "cluster": ["k1", "=1+1", "a\tb", "", "k1", "k2"],
            "votes": ["1", "2", "3", "4", "", "6"],
            "score": ["1.5", "inf", "-inf", "", "1e308", "0.1"],
        }
    )
    movies = movies_like(labels)
    x = np.random.default_rng(1).normal(size=(n, 4)).astype(np.float32)
    return x, movies


def _assert_kept_columns_back(back: pd.DataFrame, movies: pd.DataFrame) -> None:
    """Bad-input round 34 F3/F4: the kept columns, their values and the invented ids return."""
    for column in ("cluster", "votes", "score"):
        assert column in extra_columns(back), extra_columns(back)
        pd.testing.assert_series_equal(back[column], movies[column], check_dtype=True)
    assert back[INVENTED_IDS].all()  # row numbers stay made up: never equal ids
    assert not has_rating_counts(back)


def test_projector_export_carries_label_columns_and_invented_ids(tmp_path):
    x, movies = _imported_model()
    vectors, metadata = projector_text(x, movies)
    header, first = metadata.splitlines()[:2]
    assert header.split("\t")[6:] == [INVENTED_IDS, "cluster", "votes", "score"]
    assert first.split("\t")[3] == ""  # unknown rating count: blank, not 0
    (tmp_path / "v.tsv").write_text(vectors, "utf-8")
    (tmp_path / "m.tsv").write_text(metadata, "utf-8")
    back = read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv").movies
    _assert_kept_columns_back(back, movies)
    assert columns_text(back).startswith("Kept the label columns cluster, votes, score:")


def test_word2vec_export_keeps_invented_ids_made_up(tmp_path):
    x, movies = _imported_model()
    text = word2vec_text(x, movies)
    assert text.splitlines()[1].split(" ")[0] == "Film_0_(1950)_#0"
    (tmp_path / "w.txt").write_text(text, "utf-8")
    back = read_word2vec_file(tmp_path / "w.txt").movies
    assert back[INVENTED_IDS].all() and back["year"].tolist() == list(range(1950, 1956))
    assert back["title"].tolist() == [f"Film {i}" for i in range(6)]


def test_selection_and_coordinates_csv_carry_label_columns_back(tmp_path):
    x, movies = _imported_model()
    rows = np.arange(5)
    selection = selection_csv(movies, rows, x[rows, :2])
    assert selection.splitlines()[1].split(",")[4] == ""  # n_ratings unknown: blank
    frame = movies[["movie_idx", "movie_id", "title", "year"]].assign(x=x[:, 0], y=x[:, 1])
    coordinates = coordinates_csv(frame, movies)
    loaded = read_coordinates(coordinates, x, movies)  # still loads back onto its model
    assert loaded["movie_idx"].tolist() == list(range(6))
    for name, text, n in (("sel.csv", selection, 5), ("coords.csv", coordinates, 6)):
        (tmp_path / name).write_text(text, "utf-8", newline="")
        np.save(tmp_path / "v.npy", x[:n])
        back = read_npy(tmp_path / "v.npy", tmp_path / name).movies
        _assert_kept_columns_back(back, movies.iloc[:n].reset_index(drop=True))


def test_exports_of_real_ids_write_no_invented_flag():
    x, movies = _model()
    _, metadata = projector_text(x, movies)
    assert INVENTED_IDS not in metadata.splitlines()[0]
    assert "#" not in word2vec_text(x, movies).splitlines()[1].split(" ")[0]
    assert INVENTED_IDS not in selection_csv(movies, [0, 1]).splitlines()[0]
