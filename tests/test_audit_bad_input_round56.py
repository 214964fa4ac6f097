"""Bad-input round 56: ratings exported from other services (Letterboxd, IMDb, Amazon,
Goodreads), merged, pasted together or loaded on Rate movies."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from movierate.data import from_csv
from movierate.data.exports import export_ratings, export_service
from movierate.errors import DataError


def _rows(dates: list[str]) -> bytes:
    rows = [f"u{i % 7},m{i % 11},{1 + i % 5},{d}" for i, d in enumerate(dates)]
    return ("user,item,rating,date\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(
    "dates", [["2020/01/05", "2019/12/31", "2021/07/04"], ["30.01.2020", "31.12.2019"]]
)
def test_one_empty_date_names_only_the_empty_cell(dates):
    """F4: one blank in a Y/M/D or day-first date column had every good date called
    unreadable."""
    column = [dates[i % len(dates)] for i in range(40)]
    column[2] = ""
    with pytest.raises(DataError) as refused:
        from_csv(_rows(column), save_as="blank_date")
    said = str(refused.value)
    assert "has 1 missing" in said and "(line 4: (empty))" in said
    assert len(from_csv(_rows([d for d in column if d]), save_as="dates").ratings) == 39


@pytest.mark.parametrize("copies", [3, 10])
@pytest.mark.parametrize("rating", ["rating", "Your Rating"])
def test_a_repeated_header_is_named_however_many_exports_are_pasted(copies, rating):
    """F6: the hint needed at most 5 repeats and a header name without spaces."""
    header = f"user,item,{rating}"
    one = "\n".join(f"u{i % 3},m{i},{1 + i % 5}" for i in range(10))
    text = "\n".join([header, one] * copies) + "\n"
    with pytest.raises(DataError) as refused:
        from_csv(text.encode(), save_as="pasted")
    said = str(refused.value)
    assert f"header line repeated mid-file {copies - 1:,} time(s)" in said
    assert "Delete those lines" in said and "map the right column" not in said


DIARY = (
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
    "2023-01-05,Heat,1995,https://boxd.it/2aXk,2,,,2023-01-04\n"
    "2023-02-10,Fargo,1996,https://boxd.it/2b1c,4,,,2023-02-09\n"
    "2023-03-15,Alien,1979,https://boxd.it/29Dw,3.5,,,2023-03-15\n"
    "2024-06-01,Heat,1995,https://boxd.it/2aXv,5,Yes,,2024-06-01\n"
    "2024-07-01,Alien,1979,https://boxd.it/29Dx,,Yes,,2024-07-01\n"
)


def _diary(text: str) -> pd.DataFrame:
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    table.columns = [c.lower() for c in table.columns]
    return table


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_rewatched_film_takes_its_latest_rating_and_counts_once(newest_first):
    """F1: a diary's rewatch loaded the old rating and called the film's second log 'not in'
    the data set."""
    from movierate.data import load_dataset

    lines = DIARY.splitlines()
    text = "\n".join(lines[:1] + (lines[:0:-1] if newest_first else lines[1:])) + "\n"
    table = _diary(text)
    movies = load_dataset("ml-latest-small").movies
    loaded, notes = export_ratings(
        table, export_service(list(table.columns)), movies, (0.5, 5.0, 0.5), "here"
    )
    titles = {movies.title.iloc[row]: rating for row, rating in loaded.items()}
    assert titles == {"Heat": 5.0, "Fargo": 4.0, "Alien": 3.5}
    said = " ".join(notes)
    assert "3 of its 3 rated films are in here" in said and "not" not in said.split(".")[0]
    assert "1 film(s) are logged more than once (Heat)" in said and "'date' column" in said


def test_several_peoples_ratings_are_refused_on_rate_movies():
    """F1: forty people's diaries (a User column) were merged into 'my' ratings."""
    from movierate.ui.your_ratings import read_saved_ratings

    several = "User," + DIARY.replace("\n2", "\nu1,2", 2).replace("\n2", "\nu2,2")
    saved = "user,movie_id,your rating\nme,1,4\nyou,2,3\n"
    for text in (several, saved):
        with pytest.raises(DataError, match="several people's ratings: its 'user' column names 2"):
            read_saved_ratings(None, text.encode())


AMAZON = "".join(
    f"A{u:08d}XYZ,B{m:09d},{1 + (u + m) % 5}.0,12528{u:05d}\n" for u in range(8) for m in range(6)
)


@pytest.mark.parametrize("text", [AMAZON, AMAZON.replace("A0", "alice")])
def test_a_headerless_file_with_text_ids_keeps_its_first_rating(text):
    """F2: Amazon's 'ratings only' CSV (no header, text ids) had its first rating read as a
    header; the mapping its refusal asked for then dropped that rating silently."""
    from movierate.data.custom import csv_columns

    assert len(from_csv(text.encode(), save_as="amazon").ratings) == 48
    assert csv_columns(text.encode()) == []
    first = text.split("\n")[0].split(",")
    mapping = dict(zip(("user", "item", "rating", "timestamp"), first, strict=True))
    with pytest.raises(DataError, match=r"is a rating, not a header.*leave the mapping out"):
        from_csv(text.encode(), columns=mapping, save_as="amazon_mapped")


def test_an_items_files_id_column_can_be_mapped_on_the_command_line(tmp_path, capsys):
    """F5: an items file whose id column is IMDb's 'Const' was refused with
    item_columns={...}, which the CLI had no flag for."""
    from movierate import cli
    from movierate.data import load_dataset

    rows = [f"u{i % 6},tt{i % 9:07d},{1 + i % 10},Film {i % 9}" for i in range(60)]
    path = tmp_path / "imdb.csv"
    path.write_text("User,Const,Your Rating,Title\n" + "\n".join(rows) + "\n")
    args = ["datasets", str(path), "--name", "imdb", "--columns", "item=Const"]
    assert cli.main([*args, "--items", str(path)]) != 0
    assert "(CLI: --item-columns item=<your column>)" in capsys.readouterr().err
    assert cli.main([*args, "--items", str(path), "--item-columns", "item=Const"]) == 0
    assert set(load_dataset("imdb").movies.title) == {f"Film {i}" for i in range(9)}


def test_two_rating_scales_merged_are_warned_of(movielens_dir):
    """F3: Letterboxd's 0.5-5 in half steps merged with IMDb's 1-10 imported as one 0-10
    scale without a word; MovieLens' own files draw no such warning."""
    half = [f"lb{i % 5},m{i % 13},{0.5 + (i % 10) / 2}" for i in range(60)]
    whole = [f"imdb{i % 5},m{i % 13},{1 + i % 10}" for i in range(60)]
    text = "user,item,rating\n" + "\n".join(half + whole) + "\n"
    said = " ".join(from_csv(text.encode(), save_as="mixed").warnings)
    assert "5 user(s) rate in half steps from 0.5 to 5 and no higher" in said
    assert "5 other(s) in whole steps up to 10: two rating scales merged" in said
    for name in ("ml-latest-small/ratings.csv", "ml-100k/u.data"):
        plain = from_csv(movielens_dir / name, save_as="plain", replace=True)
        assert not any("scales merged" in w for w in plain.warnings)


def test_the_genres_example_is_no_user_rating_or_date_column(tmp_path):
    """F8: the unused-columns note of a Goodreads export as the items file proposed
    item_columns={'genres': 'User'}."""
    rows = [
        f"u{i % 6},{i % 9},Book {i % 9},{1 + i % 5},2020/01/0{1 + i % 9},Anon" for i in range(60)
    ]
    path = tmp_path / "goodreads.csv"
    path.write_text("User,Book Id,Title,My Rating,Date Read,Author\n" + "\n".join(rows) + "\n")
    ds = from_csv(path, path, columns={"item": "Book Id", "rating": "My Rating"}, save_as="gr")
    said = " ".join(ds.warnings)
    assert "item_columns={'genres': 'Author'}; CLI: --item-columns genres=" in said


def test_films_of_one_title_keyed_by_name_are_named_as_remakes():
    """F7: Dune 1984 and Dune 2021 keyed by Letterboxd's Name were dropped as "duplicate
    ratings", their Year column only listed as not used."""
    films = [("Dune", 1984), ("Dune", 2021), ("Heat", 1995), ("Alien", 1979)]
    rows = [f"u{u},{t},{y},{1 + (u + y) % 5}" for u in range(6) for t, y in films]
    rows.append("u0,Heat,1995,2")  # a true duplicate
    text = "User,Name,Year,Rating\n" + "\n".join(rows) + "\n"
    said = " ".join(from_csv(text.encode(), columns={"item": "Name"}, save_as="lb").warnings)
    assert "dropped 7 duplicate (user, movie) rating(s)" in said
    assert "6 of them are not duplicates but films of one title whose 'Year' differs (Dune)" in said


def test_pasted_exports_of_several_people_are_not_called_one_persons():
    """F8: five people's Letterboxd exports pasted together (header repeated, no user column)
    were refused as "one person's ratings"."""
    header = "Date,Name,Year,Letterboxd URI,Rating"
    one = "2024-01-02,Heat,1995,https://boxd.it/b,4\n2024-01-03,Alien,1979,https://boxd.it/c,3"
    with pytest.raises(DataError) as refused:
        from_csv(("\n".join([header, one] * 5) + "\n").encode(), save_as="pasted")
    said = str(refused.value)
    assert "header line repeats 4 time(s)" in said and "several people's ratings" in said
    assert "one person's" not in said


def test_item_columns_without_items_is_refused(capsys):
    """--item-columns (F5) names the items file's columns: without --items it would do
    nothing, so it is refused like --items-encoding (merge of fuzz55 F5 and fuzz56 F5)."""
    from movierate.cli import main

    assert main(["datasets", "x.csv", "--name", "x", "--item-columns", "item=Const"]) == 1
    assert "--item-columns goes with --items FILE" in capsys.readouterr().err
    assert main(["datasets", "--item-columns", "item=Const"]) == 1
    assert "--item-columns goes with --name" in capsys.readouterr().err
