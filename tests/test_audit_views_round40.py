"""Views round 40 (book-shaped ratings): an items file's ids are matched as written beside
ratings ids kept as text (F1, leading zeros of ISBNs), a stored copy reads its text ids back as
text, Rate movies shows MovieLens's measurement only for a model of the data it was measured on
(F2), and movie tables leave an untitled item's year empty, not "None" (F5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apptest_helpers import assert_clean, movierate_env, open_page

from movierate import config
from movierate.data import from_csv
from movierate.data.load import load_dataset_by_name

#: Book-Crossing's shape: ';'-separated, quoted, ISBN-10 ids with leading zeros and an 'X'.
RATINGS = (
    '"User-ID";"ISBN";"Book-Rating"\n'
    '"1";"0027378055";"8"\n"2";"0027378055";"9"\n"3";"0027378055";"0"\n'
    '"1";"0477264344";"7"\n"2";"0477264344";"10"\n'
    '"1";"399944472X";"6"\n"3";"180251872";"5"\n'
)
BOOKS = (
    '"ISBN";"Book-Title";"Year-Of-Publication"\n'
    '"0027378055";"The Winter of Winter 51";"1980"\n'
    '"0477264344";"The Secret of Letters 24";"1975"\n'
    '"180251872";"A Book Without Zeros";"2001"\n'
)
COLUMNS = {"item": "ISBN", "rating": "Book-Rating"}
ITEM_COLUMNS = {"item": "ISBN", "title": "Book-Title", "year": "Year-Of-Publication"}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path))
    return tmp_path


def _titles(ds) -> dict[object, str]:
    return dict(zip(ds.movies["movie_id"], ds.movies["title"], strict=True))


def _import(name: str | None = None, ratings: str = RATINGS, books: str = BOOKS, **options):
    return from_csv(
        ratings.encode(),
        books.encode(),
        columns=COLUMNS,
        item_columns=ITEM_COLUMNS,
        save_as=name,
        **options,
    )


def test_items_ids_with_leading_zeros_match_ratings_ids_kept_as_text(home):
    """F1: '0027378055' in both files was 27378055 in the items file (digits only, read as
    a number) and 'movie 0027378055' in the model, with a notice telling the user to write the
    ids the same way in both files, which they were."""
    ds = _import("books")
    titles = _titles(ds)
    assert titles["0027378055"] == "The Winter of Winter 51"
    assert titles["0477264344"] == "The Secret of Letters 24"
    assert titles["180251872"] == "A Book Without Zeros"
    assert titles["399944472X"] == "movie 399944472X"  # not in the items file
    assert not [w for w in ds.warnings if "two ways" in w or "same way" in w]
    again = load_dataset_by_name("books")
    assert again.fingerprint == ds.fingerprint and _titles(again) == titles


def test_the_notice_blames_only_ids_written_differently(home):
    """F1: the notice says 'write each id the same way' only when the written ids differ."""
    books = BOOKS.replace('"180251872"', '"180251872.0"')
    (notice,) = [w for w in _import(books=books).warnings if "not in the movies file" in w]
    assert "'180251872' in the ratings file is '180251872.0' in the movies file" in notice


def test_an_older_copy_with_numeric_items_ids_is_told_to_import_again(home):
    """F1: a copy stored before the fix holds the items ids as numbers (zeros gone): it still
    loads with its fingerprint, and its notice says why, not that the user wrote them so."""
    ds = _import("books")
    path = config.data_dir() / "custom" / "books" / "movies.parquet"
    movies = pq.read_table(path).to_pandas()
    movies["movie_id"] = movies["movie_id"].astype(np.int64)  # as the old import stored them
    pq.write_table(pa.Table.from_pandas(movies, preserve_index=False), path)
    again = load_dataset_by_name("books")
    assert again.fingerprint == ds.fingerprint
    (notice,) = [w for w in again.warnings if "not in the movies file" in w]
    assert "Import both files again" in notice and "same way" not in notice


def test_numeric_ids_in_both_files_still_match_as_numbers(home):
    """Ids that are numbers in the ratings file match an items file's '007' as 7, also when
    another items id is no number (it was all text, and 007 matched nothing)."""
    ratings = "user,item,rating\n1,7,4\n2,7,5\n1,12,3\n"
    items = "item,title\n007,Seven (1995)\nabc,Unrated\n12,Twelve\n"
    ds = from_csv(ratings.encode(), items.encode(), save_as="nums")
    assert ds.movie_ids.dtype.kind == "i"
    assert _titles(ds) == {7: "Seven", 12: "Twelve"}
    assert _titles(load_dataset_by_name("nums")) == {7: "Seven", 12: "Twelve"}


def test_a_stored_copy_reads_its_text_ids_back_as_text(home):
    """F1's class: ids kept as text because of rows since dropped (ratings of 0) were read
    back as numbers, '001' as 1, changing the ids and the fingerprint from the import's."""
    rows = ["user,item,rating", "x9,0001,0", "001,m9,0"]
    rows += [f"{u:03d},{m:04d},{(u * m) % 5 + 1}" for u in range(1, 6) for m in range(1, 5)]
    ds = from_csv("\n".join(rows).encode(), zero_ratings="drop", save_as="zeros")
    again = load_dataset_by_name("zeros")
    assert list(again.user_ids[:2]) == ["001", "002"] and list(again.movie_ids[:2]) == [
        "0001",
        "0002",
    ]
    assert again.fingerprint == ds.fingerprint


# --- the pages ---------------------------------------------------------------------------

MODEL = "books-mf"


@pytest.fixture(scope="module")
def books_home(tmp_path_factory, movielens_dir: Path) -> Path:
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("books")
    rng = np.random.default_rng(40)
    isbn = [f"0{m:09d}" if m % 10 else f"0{m:08d}X" for m in range(40)]  # some end in X
    rows = [
        (f"u{u}", isbn[m], int(rng.integers(1, 11)))
        for u in range(60)
        for m in range(40)
        if rng.random() < 0.3 + 0.5 * (m < 5)
    ]
    pd.DataFrame(rows, columns=["user", "isbn", "rating"]).to_csv(home / "r.csv", index=False)
    titled = range(0, 40, 2)  # every other book titled (with a year): the rest have none
    pd.DataFrame(
        {
            "isbn": [isbn[m] for m in titled if m % 10],
            "title": [f"Book {m} (1990)" for m in titled if m % 10],
        }
    ).to_csv(home / "i.csv", index=False)
    with movierate_env(home, movielens_dir):
        ds = from_csv(
            home / "r.csv",
            home / "i.csv",
            columns={"item": "isbn"},
            item_columns={"item": "isbn"},
            save_as="books",
        )
        assert ds.movies["title"].str.fullmatch(r"Book \d+").sum() == 16
        train_and_save(ds, ModelSpec(family="mf_bias", dim=4, epochs=1), MODEL)
    return home


@pytest.fixture
def page_home(books_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(books_home))
    return books_home


def test_rate_movies_quotes_no_movielens_measurement_for_another_data_set(page_home):
    """F2: a 1-10 books model's recommendations were captioned with a measurement on 50
    ml-latest-small users and their ratings of '4 or more' (a 0.5-5 threshold)."""
    at = open_page("pages/rate.py", model=MODEL, rated="0000000001:9,0000000002:8,0000000003:2")
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption)
    assert "4 or more" not in captions and "50 ml-latest-small users" not in captions
    assert "measured on ml-latest-small (ratings of 0.5-5 stars) only, not on books" in captions


def test_an_untitled_items_year_is_an_empty_cell(page_home):
    """F5: the year of an untitled item (none) showed a grey "None" in the tables."""
    at = open_page("pages/rate.py", model=MODEL, rated="0000000001:9,0000000002:8,0000000003:2")
    tables = [d for d in at.dataframe if "year" in d.value.columns]
    # set to "" (an unset placeholder also reads "", and the grid then shows "None")
    assert tables and all(d.proto.HasField("placeholder") for d in tables)
    assert all(d.proto.placeholder == "" for d in tables)
    assert any(d.value["year"].isna().any() for d in tables)
