"""Bad-input round 30: movie identity under odd id spellings and title forms. A film is never
paired silently with another film or across years (F1-F7 of /work/s34/fuzz30/REPORT.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate.data.identity import (
    INVENTED_IDS,
    ids_name_films,
    match_movies,
    normalise_title,
    title_identity,
    untitled,
)
from movierate.data.movies import read_year, split_title_year
from movierate.explore.imported import movies_like, read_npy, read_word2vec_file, token_labels


def _table(titles, years, ids=None, counts=None) -> pd.DataFrame:
    """A dataset's movies table (real ids)."""
    n = len(titles)
    return pd.DataFrame(
        {
            "movie_id": ids if ids is not None else list(range(1, n + 1)),
            "title": titles,
            "year": pd.array(years, dtype="Int64"),
            "genres": [[] for _ in range(n)],
            "n_ratings": counts if counts is not None else [10] * n,
            "mean_rating": 3.0,
        }
    )


#: A small catalogue: two Jumanji films, two Sabrina films, one Cape Fear of 1962.
REFERENCE = _table(
    ["Jumanji", "Jumanji: Welcome to the Jungle", "Sabrina", "Sabrina", "Cape Fear", "Heat"],
    [1995, 2017, 1995, 1954, 1962, 1995],
    ids=[2, 179401, 7, 915, 1344, 6],
)


def _pairs(match, a, b) -> dict[str, str]:
    return {
        a["title"].iloc[i] + f" {a['year'].iloc[i]}": f"{b['title'].iloc[j]} {b['year'].iloc[j]}"
        for i, j in zip(match.a_idx, match.b_idx, strict=True)
    }


# --- F1: word2vec tokens "Title_Year" -----------------------------------------------------------


def _w2v(tmp_path, tokens):
    rng = np.random.default_rng(0)
    lines = [t + " " + " ".join(f"{v:.4f}" for v in rng.normal(size=4)) for t in tokens]
    path = tmp_path / "m.vec"
    path.write_text(f"{len(tokens)} 4\n" + "\n".join(lines) + "\n", "utf-8")
    return read_word2vec_file(path).movies


def test_title_year_tokens_are_read_as_title_and_year(tmp_path):
    movies = _w2v(tmp_path, ["Toy_Story_1995", "Cape_Fear_1962", "Jumanji_2017"])
    assert movies["title"].tolist() == ["Toy Story", "Cape Fear", "Jumanji"]
    assert movies["year"].tolist() == [1995, 1962, 2017]
    assert movies[INVENTED_IDS].all()  # no id in the tokens: rows numbered, and said so
    match = match_movies(movies, REFERENCE)
    pairs = _pairs(match, movies, REFERENCE)
    assert pairs["Cape Fear 1962"] == "Cape Fear 1962"
    # the 2017 film is never Jumanji (1995)
    assert pairs.get("Jumanji 2017") in (None, "Jumanji: Welcome to the Jungle 2017")


def test_title_year_tokens_sharing_a_year_and_tokens_without_one(tmp_path):
    movies = _w2v(tmp_path, ["Toy_Story_1995", "Heat_1995", "Casino"])
    assert movies["title"].tolist() == ["Toy Story", "Heat", "Casino"]
    assert movies["year"].isna().tolist() == [False, False, True]


def test_movierate_tokens_keep_their_ids():
    labels = token_labels(["Toy_Story_(1995)_1", "Heat_(1995)_6", "Cosmos_1995"])
    assert labels["movie_id"].tolist() == [1, 6, 1995]  # explicit export form: 1995 is an id
    assert labels["year"].tolist()[:2] == [1995, 1995]
    old = token_labels(["Toy_Story_1", "Heat_6", "Casino_16"])  # before accuracy round 22
    assert old["movie_id"].tolist() == [1, 6, 16] and old["year"].isna().all()
    mixed = token_labels(["Toy_Story_1", "Heat_1995"])  # one number is no year: ids
    assert mixed["movie_id"].tolist() == [1, 1995]


# --- F2: invented ids -------------------------------------------------------------------------


@pytest.mark.parametrize("row", [2, 6, 7])
def test_row_numbers_never_decide_an_ambiguous_title(tmp_path, row):
    titles = ["Casino", "Fargo", "Clueless", "Babe", "Seven", "Casper", "Copycat", "Twister"]
    titles.insert(row, "Sabrina")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(len(titles), 4)))
    pd.DataFrame({"title": titles}).to_csv(tmp_path / "labels.csv", index=False)
    movies = read_npy(tmp_path / "x.npy", tmp_path / "labels.csv").movies
    assert movies["movie_id"].tolist()[row] == row and movies[INVENTED_IDS].all()
    match = match_movies(movies, REFERENCE, name_a="imported", name_b="ref")
    assert row not in match.a_idx  # REFERENCE's Sabrina of 1995 has id 7: no matter
    assert "Sabrina (2 films)" in match.summary() and "ambiguous" in match.summary()


def test_real_id_column_is_not_invented_and_invented_ids_make_no_catalogue():
    labels = pd.DataFrame({"movieId": [7, 915], "title": ["Sabrina (1995)", "Sabrina (1954)"]})
    assert not movies_like(labels)[INVENTED_IDS].any()
    a = movies_like(pd.DataFrame({"title": ["item 0", "item 1"]}))
    b = movies_like(pd.DataFrame({"title": ["item 0", "item 1"]}))
    assert not ids_name_films(a, b)
    assert match_movies(a, b).n_matched == 0  # two unlabelled files share no film by row
    assert match_movies(a, a).n_matched == 2  # one table is itself


# --- F3: placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["unknown", "Unknown", "UNTITLED", "nan", "N/A", "item 12"])
def test_placeholder_titles_never_match(title):
    a = _table([title, "Heat"], [None, 1995])
    b = _table([title, "Heat"], [None, 1995], ids=[267, 6])
    assert untitled(title, None)
    match = match_movies(a, b)
    assert match.a_idx.tolist() == [1]


def test_a_film_called_unknown_with_a_year_still_matches():
    a = _table(["Unknown"], [2011])
    assert not untitled("Unknown", 2011)
    assert match_movies(a, _table(["Unknown"], [2011], ids=[85414])).n_matched == 1


# --- F4: several films of one title and year ------------------------------------------------------


def test_two_films_of_one_title_and_year_on_both_sides_are_left_unmatched_and_named():
    a = _table(["Twin", "Twin", "Heat"], [2000, 2000, 1995], ids=[50, 51, 52], counts=[30, 4, 10])
    b = _table(["Twin", "Twin", "Heat"], [2000, 2000, 1995], ids=[950, 951, 952], counts=[3, 40, 9])
    match = match_movies(a, b)
    assert match.a_idx.tolist() == [2]
    assert "2 films of A share a title and year" in match.summary()
    assert "Twin (2000)" in match.summary() and "left unmatched" in match.summary()


def test_one_film_listed_twice_is_paired_once_and_named():
    a = _table(["Chasing Amy", "Chasing Amy"], [1997, 1997], counts=[5, 50])
    b = _table(["Chasing Amy"], [1997], ids=[1639])
    match = match_movies(a, b)
    assert match.a_idx.tolist() == [1]  # the most-rated row
    assert "1 film had several rows of one title and year" in match.summary()
    assert "Chasing Amy (1997)" in match.summary()


def test_equal_real_ids_still_pair_remakes_row_for_row():
    a = _table(["Emma", "Emma"], [1996, 1996], ids=[838, 1411], counts=[10, 90])
    b = _table(["Emma", "Emma", "Heat"], [1996, 1996, 1995], ids=[838, 1411, 6], counts=[1, 2, 3])
    match = match_movies(a, b)
    assert match.b_idx.tolist() == [0, 1] and "several rows" not in match.summary()


# --- F5: one year reader --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "title", "year"),
    [
        ("Friends (1994-2004)", "Friends", 1994),
        ("Twin Peaks (1990\u2013 )", "Twin Peaks", 1990),
        ("Hamlet (1996/I)", "Hamlet", 1996),
        ("Fargo (\uff11\uff19\uff19\uff16)", "Fargo", 1996),
        ("Heat (1995)", "Heat", 1995),
        ("1917 (2019)", "1917", 2019),
        ("Toy Story", "Toy Story", None),
    ],
)
def test_labels_read_years_like_the_dataset_loader(label, title, year):
    movies = movies_like(pd.DataFrame({"title": [label]}))
    assert split_title_year(label) == (title, year)
    assert movies["title"].iloc[0] == title
    assert (None if pd.isna(movies["year"].iloc[0]) else movies["year"].iloc[0]) == year


@pytest.mark.parametrize(
    ("cell", "year"),
    [("1996/I", 1996), ("\uff11\uff19\uff19\uff16", 1996), ("1994-2004", 1994), ("(1995)", 1995)]
    + [("1995.0", 1995), ("x", None), ("99999", None), ("12", None)],
)
def test_a_year_column_reads_the_same_forms(cell, year):
    assert read_year(cell) == year
    movies = movies_like(pd.DataFrame({"title": ["Fargo"], "year": [cell]}))
    assert (None if pd.isna(movies["year"].iloc[0]) else movies["year"].iloc[0]) == year


# --- F6: invisible characters -------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Mat\u200brix, The", "Matrix\u00ad, The", "\ufeffMatrix, The"])
def test_zero_width_characters_and_soft_hyphens_are_removed(title):
    assert normalise_title(title) == "matrix"
    assert title_identity(title, 1999) == "title:matrix|1999"
    match = match_movies(_table([title], [1999]), _table(["Matrix, The"], [1999], ids=[2571]))
    assert match.n_matched == 1
    assert normalise_title("Se\u00adven") == "seven"


# --- F7: the summary says how each pair was made ------------------------------------------------


def test_summary_says_by_title_only_for_pairs_without_a_year():
    yearless = movies_like(pd.DataFrame({"title": ["Cape Fear", "Heat"]}))
    match = match_movies(yearless, REFERENCE, name_a="imported", name_b="ref")
    assert match.n_matched == 2
    assert "(all by title only, without a year)" in match.summary()
    dated = _table(["Cape Fear", "Heat"], [1962, None])
    mixed = match_movies(dated, _table(["Cape Fear", "Heat"], [1962, None], ids=[9, 8]))
    assert "(1 by title and year, 1 by title only, without a year)" in mixed.summary()
    exact = match_movies(_table(["Heat"], [1995]), REFERENCE)
    assert "(all by title and year)" in exact.summary()
