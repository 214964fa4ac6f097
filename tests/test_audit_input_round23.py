"""Bad-input round 23: exports from spreadsheets and other services (Excel's E-notation ids and
empty rows, Netflix Prize, IMDb / Letterboxd / Goodreads, 64-bit ids, tar archives)."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from movierate.cli import main
from movierate.data import from_csv
from movierate.errors import DataError


def _enotation_rows(n_users: int = 10) -> str:
    """Ten customers whose 15-digit ids Excel wrote alike (1.23457E+14), each rating 5 movies."""
    return "".join(
        f"1.23457E+14,{u * 5 + m},{1 + m % 5}\n" for u in range(n_users) for m in range(5)
    )


def test_ids_excel_wrote_in_scientific_notation_are_refused_naming_the_column():
    """F1: ten users became one, without a word."""
    with pytest.raises(DataError) as err:
        from_csv(("customerId,movieId,rating\n" + _enotation_rows()).encode())
    message = str(err.value)
    assert "column 'customerId' has 50 user id(s) written in scientific notation" in message
    assert "'1.23457E+14'" in message and "1 distinct value(s)" in message
    assert "format the id column as Text" in message


def test_scientific_item_ids_in_the_movies_file_are_refused():
    ratings = b"user,item,rating\n1,123456789012345,4\n2,123456789012345,3\n"
    items = b"item,title\n1.23457E+14,Heat\n"
    with pytest.raises(DataError, match=r"column 'item' has 1 movie id\(s\) written in sci"):
        from_csv(ratings, items)


def test_exact_or_small_scientific_ids_are_not_called_rounded():
    """1e3 beside 1000 keeps its 'one number written two ways' notice; an E-notation value
    that keeps every digit (1.23456789012E+11) is exact."""
    ds = from_csv(b"user,item,rating\n1.23456789012E+11,1e3,4\n2,1000,3\n3,5,2\n")
    assert 123456789012 in list(ds.user_ids)
    assert any("'1e3' and '1000' are one number" in w for w in ds.warnings)


def test_rows_of_separators_only_are_skipped_with_a_notice():
    """F5: Excel's ';;;;' rows below the data refused the whole file as 'no user id'."""
    text = "userId;movieId;rating;title\n1;10;4,5;Heat\n2;10;3;Heat\n;;;\n;;;\n"
    ds = from_csv(text.encode())
    assert len(ds) == 2
    assert any("skipped 2 empty row(s) (lines 4, 5)" in w for w in ds.warnings)


def test_an_empty_row_in_the_middle_keeps_later_line_numbers_right():
    text = "user,item,rating\n1,10,4\n,,\n2,10,x\n"
    with pytest.raises(DataError, match=r"non-numeric value\(s\) \(line 4: 'x'\)"):
        from_csv(text.encode())


def test_a_row_with_only_an_unused_field_is_not_empty():
    with pytest.raises(DataError, match=r"1 row\(s\) have no user id in column 'user' \(line 3\)"):
        from_csv(b"user,item,rating,title\n1,10,4,Heat\n,,,Alien\n")


def test_the_netflix_prize_layout_is_named_with_how_to_convert_it():
    """F4: it was told to save the file with commas, which it already uses."""
    text = "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n2059652,4,2005-09-05\n"
    with pytest.raises(DataError) as err:
        from_csv(text.encode())
    message = str(err.value)
    assert "Netflix Prize layout" in message and "('1:')" in message
    assert "cannot tell how the columns are separated" not in message
    assert "user,item,rating,date" in message


IMDB = (
    "Const,Your Rating,Date Rated,Title,URL,Title Type\r\n"
    "tt0111161,10,2020-01-01,The Shawshank Redemption,https://x,movie\r\n"
)
LETTERBOXD = "Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Heat,1995,https://boxd.it/1,4.5\n"
GOODREADS = "Book Id,Title,My Rating,Exclusive Shelf\n1,Dune,5,read\n"


@pytest.mark.parametrize(
    ("text", "service"),
    [(IMDB, "an IMDb"), (LETTERBOXD, "a Letterboxd"), (GOODREADS, "a Goodreads")],
)
def test_one_persons_export_is_named_and_not_told_to_map_a_user_column(text, service):
    """F3: 'missing column(s) for user ... map your names' for a column that does not exist."""
    with pytest.raises(DataError) as err:
        from_csv(text.encode(), columns={"item": text.split(",")[0]} if "Const" in text else None)
    message = str(err.value)
    assert f"looks like {service}" in message and "one person's ratings" in message
    assert "Rate movies page" in message
    assert "<your column>" not in message


def test_a_file_without_a_user_column_hears_about_one_persons_ratings_too():
    with pytest.raises(DataError) as err:
        from_csv(b"film,stars\n1,4\n")
    assert "<your column>" in str(err.value) and "Rate movies page" in str(err.value)


def test_one_users_ratings_import_with_a_notice():
    ds = from_csv(b"user,item,rating\n7,1,4\n7,2,3\n7,3,5\n")
    assert any("every rating is by one user (user 7)" in w for w in ds.warnings)


GOODREADS_MERGED = "User,Book Id,Title,My Rating\n" + "".join(
    f"{u},{b},Book {b},{(u + b) % 6}\n" for u in range(1, 6) for b in range(1, 9)
)


def test_goodreads_zero_means_not_rated_and_is_dropped_with_a_notice():
    """F2: 0 ('shelved, not rated') became a rating and widened the scale to 0-5."""
    ds = from_csv(GOODREADS_MERGED.encode(), columns={"item": "Book Id"})
    zeros = GOODREADS_MERGED.count(",0\n")
    assert len(ds) == 40 - zeros and ds.ratings["rating"].min() == 1
    assert (ds.rating_scale.min, ds.rating_scale.max) == (1, 5)
    assert any(f"dropped {zeros} rating(s) of 0 (Goodreads" in w for w in ds.warnings)
    kept = from_csv(GOODREADS_MERGED.encode(), columns={"item": "Book Id"}, zero_ratings="keep")
    assert len(kept) == 40
    declared = from_csv(  # a declared 0-5 scale says 0 is a rating (recheck N5)
        GOODREADS_MERGED.encode(), columns={"item": "Book Id"}, rating_scale=(0, 5, 1)
    )
    assert len(declared) == 40 and declared.ratings["rating"].min() == 0


def test_zeros_below_a_whole_scale_are_named_and_can_be_dropped():
    rows = "".join(f"{u},{m},{(u * m) % 6}\n" for u in range(1, 7) for m in range(1, 7))
    text = ("user,item,rating\n" + rows).encode()
    ds = from_csv(text)
    assert any("below the others' 1-5" in w and "zero_ratings='drop'" in w for w in ds.warnings)
    dropped = from_csv(text, zero_ratings="drop")
    assert dropped.ratings["rating"].min() == 1
    with pytest.raises(DataError, match="zero_ratings='maybe'"):
        from_csv(text, zero_ratings="maybe")


def test_messages_name_the_files_own_column():
    """F8: 'column timestamp' for a column called 'Date Rated'."""
    text = "user,item,rating,Date Rated\n1,1,4,1/15/2019 9:55:00\n2,1,3,1/2/2019 9:55:00\n"
    ds = from_csv(text.encode(), columns={"timestamp": "Date Rated"})
    assert any("column 'Date Rated' holds dates read month-first" in w for w in ds.warnings)


def test_64_bit_ids_are_all_counted_and_quoted_as_written():
    """F9: '9007199254740994.0' quoted, and 2**53 + 1 (read as 2**53) not counted."""
    rows = [2**53 + 1, 2**53 + 2, 2**64 - 1, 5]
    text = "userId,movieId,rating\n" + "".join(f"{u},1,4\n" for u in rows)
    with pytest.raises(DataError) as err:
        from_csv(text.encode())
    message = str(err.value)
    assert "column 'userId' has 3 id(s)" in message and "lines 2, 3, 4" in message
    assert "'9007199254740993'" in message and ".0'" not in message


def test_64_bit_movie_ids_in_the_movies_file_are_refused():
    with pytest.raises(DataError, match="too large"):
        from_csv(b"user,item,rating\n1,5,4\n", b"item,title\n9007199254740993,Heat\n")


def _tar(compress: bool) -> bytes:
    buffer = io.BytesIO()
    data = b"user,item,rating\n1,1,4\n"
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("ratings.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue()) if compress else buffer.getvalue()


@pytest.mark.parametrize(("compress", "command"), [(True, "tar -xzf"), (False, "tar -xf")])
def test_tar_archives_are_named_with_how_to_extract_them(compress, command):
    """F10: .tar.gz was told to gunzip, and the .tar then called 'not text'."""
    with pytest.raises(DataError, match=f"tar archive.*{command}"):
        from_csv(_tar(compress))


def test_a_workbook_is_told_to_be_saved_as_csv(tmp_path):
    book = tmp_path / "ratings.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(DataError, match="is a spreadsheet workbook.*CSV UTF-8"):
        from_csv(book)


def test_cli_zero_ratings_option_and_plural(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    path = tmp_path / "club.csv"
    path.write_text("user,item,rating\n1,1,0\n1,2,4\n1,3,5\n")
    code = main(["datasets", str(path), "--name", "club", "--zero-ratings", "drop"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("club: 2 ratings, 1 user, 2 movies")
