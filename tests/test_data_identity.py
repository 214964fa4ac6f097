"""Movie identity: the title normaliser, IMDb ids from links.csv, and cross-dataset matching on
the shared MovieLens copies (ml-100k, ml-latest-small, ml-1m-sample)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from movierate.data.build import build_dataset
from movierate.data.formats import detect_layout, read_folder
from movierate.data.identity import (
    IDENTITY_COLUMN,
    identities_of,
    imdb_identity,
    main_key,
    match_movies,
    movie_keys,
    normalise_title,
    title_identity,
    title_keys,
)
from movierate.errors import DataError
from movierate.explore import matching_row, matching_rows, movie_match

# Measured on the shared copies (year_tolerance=1, the default): 1,335 of ml-100k's 1,682 movies
# in ml-latest-small (1,300 with exact years; Emma (1996) is two films there), 2,911 of
# ml-1m-sample's 3,615 (2,827 exact).
MIN_100K_IN_SMALL = 1_330
MIN_100K_IN_SMALL_EXACT_YEAR = 1_295
MIN_1M_IN_SMALL = 2_900


def _movies(folder: Path, name: str) -> pd.DataFrame:
    raw = read_folder(folder, detect_layout(folder), None)
    return build_dataset(raw, name).movies


@pytest.fixture(scope="module")
def ml100k(movielens_dir: Path) -> pd.DataFrame:
    return _movies(movielens_dir / "ml-100k", "ml-100k")


@pytest.fixture(scope="module")
def small(movielens_dir: Path) -> pd.DataFrame:
    return _movies(movielens_dir / "ml-latest-small", "ml-latest-small")


@pytest.fixture(scope="module")
def ml1m(movielens_dir: Path) -> pd.DataFrame:
    return _movies(movielens_dir / "ml-1m-sample", "ml-1m-sample")


@pytest.fixture(scope="module")
def match_100k_small(ml100k: pd.DataFrame, small: pd.DataFrame):
    return match_movies(ml100k, small, name_a="ml-100k", name_b="ml-latest-small")


def _row(movies: pd.DataFrame, title: str, year: int) -> int:
    rows = np.flatnonzero((movies["title"] == title).to_numpy() & (movies["year"] == year))
    assert len(rows) == 1, (title, year, rows)
    return int(rows[0])


# --- the normaliser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Usual Suspects, The", "usual suspects"),
        ("The Usual Suspects", "usual suspects"),
        ("usual suspects", "usual suspects"),
        ("Léon", "leon"),
        ("Cité des enfants perdus, La", "cite des enfants perdus"),
        ("Misérables, Les", "miserables"),
        ("Avventura, L'", "avventura"),
        ("L'Avventura", "avventura"),
        ("Postino, Il", "postino"),
        ("Blaue Engel, Der", "blaue engel"),
        ("Blechtrommel, Die", "die blechtrommel"),
        ("Die Blechtrommel", "die blechtrommel"),
        ("Die Hard", "die hard"),
        ("To Kill a Mockingbird", "to kill a mockingbird"),
        ("Schindler's List", "schindlers list"),
        ("Romeo & Juliet", "romeo and juliet"),
        ("Romeo + Juliet", "romeo and juliet"),
        ("  Star   Wars!! ", "star wars"),
        ("Good, The Bad and The Ugly, The", "good the bad and the ugly"),
        ("The", "the"),
    ],
)
def test_normalise_title(raw: str, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_title_keys_cover_subtitles_alternates_and_owners() -> None:
    star_wars = title_keys("Star Wars: Episode IV - A New Hope")
    assert star_wars["star wars episode iv a new hope"] == 0
    assert star_wars["star wars"] == 2
    leon = title_keys("Léon: The Professional (a.k.a. The Professional) (Léon)")
    assert leon["leon the professional"] == 0
    assert leon["professional"] == 1  # the a.k.a. title, article dropped
    assert leon["leon"] == 1  # an alternate title beats the part before the colon
    assert "a k a the professional" not in leon
    assert title_keys("Stephen King's The Langoliers")["langoliers"] == 2
    assert title_keys("Messenger: The Story of Joan of Arc, The")["messenger"] == 2
    assert "movie" not in title_keys("Escaflowne: The Movie")  # too generic to be a key
    assert main_key("Crazies, The (a.k.a. Code Name: Trixie)") == "crazies"


def test_identity_strings() -> None:
    assert title_identity("Usual Suspects, The", 1995) == "title:usual suspects|1995"
    assert title_identity("Some Film", None) == "title:some film|"
    assert title_identity("Some Film", pd.NA) == "title:some film|"
    assert imdb_identity("0114814") == "imdb:0114814"
    assert imdb_identity(114814) == "imdb:0114814"
    assert imdb_identity("tt0114814") == "imdb:0114814"
    assert imdb_identity("") is None
    assert imdb_identity(None) is None
    assert imdb_identity("n/a") is None


def test_old_tables_without_identity_get_it_computed() -> None:
    movies = pd.DataFrame(
        {"title": ["Usual Suspects, The", "Heat"], "year": pd.array([1995, None], dtype="Int64")}
    )
    assert list(identities_of(movies)) == ["title:usual suspects|1995", "title:heat|"]
    movies[IDENTITY_COLUMN] = ["imdb:0114814", None]
    assert list(identities_of(movies)) == ["imdb:0114814", "title:heat|"]


# --- reading ids ------------------------------------------------------------------------------


def test_links_csv_gives_imdb_ids(movielens_dir: Path, small: pd.DataFrame) -> None:
    folder = movielens_dir / "ml-latest-small"
    meta = read_folder(folder, "csv", None).movies
    assert len(meta) == 9_742
    assert meta["imdb_id"].notna().sum() == 9_742
    usual = meta.loc[meta["title"] == "Usual Suspects, The", "imdb_id"].item()
    assert usual == "0114814"  # text, leading zero kept
    assert small[IDENTITY_COLUMN].str.startswith("imdb:").all()
    row = _row(small, "Usual Suspects, The", 1995)
    assert small[IDENTITY_COLUMN].iloc[row] == "imdb:0114814"


def test_ml100k_identities(ml100k: pd.DataFrame) -> None:
    identity = ml100k[IDENTITY_COLUMN]
    assert identity.iloc[_row(ml100k, "Usual Suspects, The", 1995)] == "title:usual suspects|1995"
    # 55 u.item URLs carry an IMDb title number instead of a title search
    assert identity.str.startswith("imdb:").sum() == 55
    assert identity.iloc[_row(ml100k, "Boys, Les", 1997)] == "imdb:0118764"


def test_identity_column_keeps_the_other_columns(small: pd.DataFrame) -> None:
    for column in ("movie_idx", "movie_id", "title", "year", "genres", "n_ratings", "mean_rating"):
        assert column in small.columns
    assert small.columns[-1] == IDENTITY_COLUMN


# --- matching ---------------------------------------------------------------------------------


def test_ml100k_in_ml_latest_small(match_100k_small, ml100k, small) -> None:
    m = match_100k_small
    assert m.n_a == 1_682
    assert m.n_matched >= MIN_100K_IN_SMALL, m.summary()
    assert m.summary().startswith(f"{m.n_matched:,} of 1,682 ml-100k movies found in")
    assert m.n_imdb + m.n_title == m.n_matched
    assert m.n_imdb >= 30  # the ml-100k rows with an IMDb number in their URL
    # never one movie twice, on either side
    assert len(np.unique(m.a_idx)) == len(m.a_idx)
    assert len(np.unique(m.b_idx)) == len(m.b_idx)
    assert m.a_idx.max() < len(ml100k) and m.b_idx.max() < len(small)


def test_exact_years_match_fewer(ml100k, small, match_100k_small) -> None:
    exact = match_movies(ml100k, small, year_tolerance=0)
    assert MIN_100K_IN_SMALL_EXACT_YEAR <= exact.n_matched < match_100k_small.n_matched
    years_a = ml100k["year"].to_numpy(dtype=float)[exact.a_idx]
    years_b = small["year"].to_numpy(dtype=float)[exact.b_idx]
    titled = exact.how == "title"
    assert (years_a[titled] == years_b[titled]).all()


def test_known_pairs(ml100k, small, match_100k_small) -> None:
    a_to_b = match_100k_small.a_to_b()
    pairs = [
        (("Star Wars", 1977), ("Star Wars: Episode IV - A New Hope", 1977)),
        (("Usual Suspects, The", 1995), ("Usual Suspects, The", 1995)),
        (
            ("Professional, The", 1994),
            ("Léon: The Professional (a.k.a. The Professional) (Léon)", 1994),
        ),
        (
            ("Empire Strikes Back, The", 1980),
            ("Star Wars: Episode V - The Empire Strikes Back", 1980),
        ),
        (("Close Shave, A", 1995), ("Wallace & Gromit: A Close Shave", 1995)),
        (("Postino, Il", 1994), ("Postman, The (Postino, Il)", 1994)),
        (("Monty Python and the Holy Grail", 1974), ("Monty Python and the Holy Grail", 1975)),
    ]
    for (title_a, year_a), (title_b, year_b) in pairs:
        got = a_to_b[_row(ml100k, title_a, year_a)]
        assert got == _row(small, title_b, year_b), (title_a, small["title"].iloc[got])


def test_raw_ids_differ_but_identity_matches(ml100k, small, match_100k_small) -> None:
    """The bug this fixes: movie_id 50 is Star Wars in ml-100k, not in ml-latest-small."""
    star_wars = _row(ml100k, "Star Wars", 1977)
    assert ml100k["movie_id"].iloc[star_wars] == 50
    same_id = np.flatnonzero(small["movie_id"].to_numpy() == 50)
    assert small["title"].iloc[same_id[0]] == "Usual Suspects, The"
    assert match_100k_small.a_to_b()[star_wars] != same_id[0]


def test_different_films_a_year_apart_do_not_match(ml100k, small) -> None:
    titles = pd.DataFrame({"title": ["Boys, Les"], "year": pd.array([1997], dtype="Int64")})
    other = pd.DataFrame({"title": ["Boys, The"], "year": pd.array([1998], dtype="Int64")})
    assert match_movies(titles, other).n_matched == 0
    same = pd.DataFrame({"title": ["Les Boys"], "year": pd.array([1998], dtype="Int64")})
    assert match_movies(titles, same).n_matched == 1


def test_imdb_ids_decide_when_both_rows_have_one() -> None:
    a = pd.DataFrame(
        {
            "title": ["Heat", "Heat", "Casino"],
            "year": pd.array([1995, 1995, 1995], dtype="Int64"),
            IDENTITY_COLUMN: ["imdb:0113277", "imdb:0999999", "title:casino|1995"],
        }
    )
    b = pd.DataFrame(
        {
            "title": ["Heat (remake)", "Heat", "Casino"],
            "year": pd.array([1995, 1995, 1995], dtype="Int64"),
            IDENTITY_COLUMN: ["imdb:0113277", "imdb:0888888", "imdb:0112641"],
        }
    )
    m = match_movies(a, b)
    assert dict(zip(m.a_idx.tolist(), m.b_idx.tolist(), strict=True)) == {0: 0, 2: 2}
    assert list(m.how) == ["imdb", "title"]


def test_tie_break_prefers_full_title_then_ratings() -> None:
    a = pd.DataFrame({"title": ["Star Wars"], "year": pd.array([1977], dtype="Int64")})
    b = pd.DataFrame(
        {
            "title": ["Star Wars: Episode IV - A New Hope", "Star Wars"],
            "year": pd.array([1977, 1977], dtype="Int64"),
            "n_ratings": [500, 3],
        }
    )
    assert match_movies(a, b).b_idx.tolist() == [1]  # exact full title beats more ratings
    b2 = pd.DataFrame(
        {
            "title": ["Star Wars: Episode IV - A New Hope", "Star Wars: Special Edition"],
            "year": pd.array([1977, 1977], dtype="Int64"),
            "n_ratings": [5, 500],
        }
    )
    assert match_movies(a, b2).b_idx.tolist() == [1]  # same key rank: more ratings wins


def test_duplicates_and_placeholders_never_match_twice() -> None:
    a = pd.DataFrame(
        {
            "title": ["Chasing Amy", "Chasing Amy", "movie 7"],
            "year": pd.array([1997, 1997, None], dtype="Int64"),
        }
    )
    b = pd.DataFrame(
        {"title": ["Chasing Amy", "movie 7"], "year": pd.array([1997, None], dtype="Int64")}
    )
    m = match_movies(a, b)
    assert m.n_matched == 1 and m.b_idx.tolist() == [0]
    assert len(movie_keys(b)) == 1  # the placeholder title gives no key


def test_ml1m_sample_in_ml_latest_small(ml1m, small) -> None:
    m = match_movies(ml1m, small, name_a="ml-1m-sample", name_b="ml-latest-small")
    print(m.summary())
    assert m.n_a == 3_615
    assert m.n_matched >= MIN_1M_IN_SMALL, m.summary()
    assert m.n_imdb == 0  # ml-1m has no IMDb ids
    assert len(np.unique(m.b_idx)) == len(m.b_idx)


# --- explore: the same film in another model's table ------------------------------------------


def test_matching_row(ml100k, small) -> None:
    star_wars = _row(ml100k, "Star Wars", 1977)
    episode_iv = _row(small, "Star Wars: Episode IV - A New Hope", 1977)
    assert matching_row(ml100k, star_wars, small) == episode_iv
    assert matching_row(small, episode_iv, ml100k) == star_wars
    assert movie_match(ml100k, small) is movie_match(ml100k, small)  # memoised per pair
    missing = _row(ml100k, "Free Willy 3: The Rescue", 1997)  # not in ml-latest-small
    assert matching_row(ml100k, missing, small) is None
    rows = matching_rows(ml100k, [star_wars, missing], small)
    assert rows.tolist() == [episode_iv, -1]
    with pytest.raises(DataError):
        matching_row(ml100k, len(ml100k), small)
    with pytest.raises(DataError):
        matching_row(ml100k, 0, "not a table")


def test_matching_row_on_a_model_table_saved_without_identity(ml100k, small) -> None:
    old_a = ml100k.drop(columns=[IDENTITY_COLUMN])
    old_b = small.drop(columns=[IDENTITY_COLUMN])
    star_wars = _row(old_a, "Star Wars", 1977)
    assert matching_row(old_a, star_wars, old_b) == _row(
        small, "Star Wars: Episode IV - A New Hope", 1977
    )


def test_identity_survives_the_parquet_cache() -> None:
    from movierate.data import load_dataset

    first = load_dataset("ml-latest-small")  # parsed, then cached
    again = load_dataset("ml-latest-small")  # from the parquet copy
    assert again is not first
    assert again.movies[IDENTITY_COLUMN].tolist() == first.movies[IDENTITY_COLUMN].tolist()
    assert again.movies[IDENTITY_COLUMN].iloc[0].startswith("imdb:")


def _untitled_table(ids: list[int], counts: list[int]) -> pd.DataFrame:
    """A ratings-only upload's movies table: placeholder titles, no year."""
    return pd.DataFrame(
        {
            "movie_id": ids,
            "title": [f"movie {i}" for i in ids],
            "year": pd.array([None] * len(ids), dtype="Int64"),
            "genres": [[] for _ in ids],
            "n_ratings": counts,
            "mean_rating": [3.5] * len(ids),
        }
    )


def test_untitled_uploads_pair_by_number_only_when_their_ratings_are_the_same() -> None:
    from movierate.explore.compare import align_movies, same_catalogue

    mine = _untitled_table([1, 2, 3, 4], [10, 20, 30, 40])
    again = mine.copy()  # the same upload, another model
    other = _untitled_table([1, 2, 3, 4], [40, 10, 20, 30])  # same numbers, other films
    assert match_movies(mine, again).by_how["id"] == 4
    assert same_catalogue(mine, again) and same_catalogue(mine, again.iloc[::-1])
    assert match_movies(mine, other).n_matched == 0  # a number names no film across uploads
    assert not same_catalogue(mine, other) and not same_catalogue(mine, other.iloc[::-1])
    with pytest.raises(DataError, match="movies of model A and model B have no titles"):
        align_movies(mine, other)
    titled = mine.assign(title=["Heat", "Fargo", "Babe", "Se7en"])
    shuffled = titled.assign(n_ratings=[40, 10, 20, 30])  # titles name the films: enough
    assert same_catalogue(titled, shuffled) and match_movies(titled, shuffled).by_how["id"] == 4


def test_titles_damaged_by_encoding_or_html_still_match():
    """Accuracy round 7b: titles saved as mojibake (UTF-8 read as cp1252 or Latin-1) or with
    HTML's '&amp;' went unmatched across datasets (37 of 290 and 90 of 119); now 2 of 290 and
    0 of 119. Never a wrong film either way."""
    from movierate.data.identity import normalise_title

    good = "Misérables, Les"
    for codec in ("cp1252", "latin-1"):
        assert normalise_title(good.encode("utf-8").decode(codec)) == normalise_title(good)
    assert normalise_title("Secrets &amp; Lies") == normalise_title("Secrets & Lies")
    assert normalise_title("São Paulo") != normalise_title("SÃ£o Paulo Ã")  # no false repair
