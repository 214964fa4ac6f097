"""Messy ratings / items files read by ``from_csv``: spreadsheet dialects (decimal commas,
``sep=`` lines, blank or repeated unused header names, wide headers), columns that two names
could fill, timestamps in finer units and dates whose day/month order is ambiguous, odd years."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from movierate.data import from_csv
from movierate.errors import DataError

REPO = Path(__file__).resolve().parents[1]


def ratings_of(ds) -> dict[tuple[object, object], float]:
    """{(user id, movie id): rating} of a dataset (ids as loaded)."""
    r = ds.ratings
    users = ds.user_ids[r["user_idx"].to_numpy()]
    movies = ds.movie_ids[r["movie_idx"].to_numpy()]
    return {(u, m): float(x) for u, m, x in zip(users, movies, r["rating"], strict=True)}


@pytest.mark.parametrize(
    "text",
    [
        "userId;movieId;rating\n1;10;4,5\n2;11;3,0\n3;10;2,5\n",  # European Excel export
        "\ufeffuserId;movieId;rating\r\n1;10;4,5\r\n2;11;3,0\r\n3;10;2,5\r\n",  # BOM + CRLF
        'userId,movieId,rating\n1,10,"4,5"\n2,11,"3,0"\n3,10,"2,5"\n',  # quoted in a CSV
        "userId\tmovieId\trating\n1\t10\t4,5\n2\t11\t3\n3\t10\t2,5\n",  # mixed with plain
        "1;10;4,5\n2;11;3,0\n3;10;2,5\n",  # no header
    ],
)
def test_decimal_comma_ratings_are_read_as_numbers_with_a_notice(text):
    ds = from_csv(text.encode("utf-8"))
    assert ratings_of(ds) == {(1, 10): 4.5, (2, 11): 3.0, (3, 10): 2.5}
    assert any("decimal comma" in w for w in ds.warnings)


@pytest.mark.parametrize("value", ["4,5 stars", "4,5,1", "4.5,1"])
def test_other_comma_values_stay_errors(value):
    with pytest.raises(DataError, match="non-numeric"):
        from_csv(f'userId,movieId,rating\n1,10,"{value}"\n2,11,3\n'.encode())


@pytest.mark.parametrize(
    "text",
    [
        "sep=;\nuserId;movieId;rating\n1;10;4\n2;11;3\n",
        "sep=|\r\nuserId|movieId|rating\r\n1|10|4\r\n2|11|3\r\n",
        "\n\nuserId,movieId,rating\n1,10,4\n2,11,3\n",
        "\n \n1,10,4\n2,11,3\n",
        "sep=,\n1,10,4\n2,11,3\n",
    ],
)
def test_lines_before_the_header_are_skipped(text):
    ds = from_csv(text.encode())
    assert ratings_of(ds) == {(1, 10): 4.0, (2, 11): 3.0}


def test_line_numbers_count_the_skipped_lines():
    with pytest.raises(DataError, match="line 4"):
        from_csv(b"sep=;\nuserId;movieId;rating\n1;10;4\n2;11;x\n")


@pytest.mark.parametrize(
    "text",
    [
        "userId,movieId,rating,,\n1,10,4,,\n2,11,3,,\n",  # Excel's trailing empty columns
        "userId,movieId,rating,note,note\n1,10,4,a,b\n2,11,3,c,d\n",  # repeated unused name
        ",userId,movieId,rating\n0,1,10,4\n1,2,11,3\n",  # pandas' unnamed index column
    ],
)
def test_blank_or_repeated_unused_columns_do_not_matter(text):
    assert ratings_of(from_csv(text.encode())) == {(1, 10): 4.0, (2, 11): 3.0}


def test_a_header_wider_than_the_sample_is_read_whole():
    extra = 20_000
    text = "userId,movieId,rating" + ",extra" * extra + "\n"
    text += "".join(f"{u},{m},{r}" + ",0" * extra + "\n" for u, m, r in ((1, 10, 4), (2, 11, 3)))
    assert len(text.splitlines()[0]) > 65536
    assert ratings_of(from_csv(text.encode())) == {(1, 10): 4.0, (2, 11): 3.0}


def test_messages_quote_a_long_header_cut_short():
    header = ",".join(f"col{i}" for i in range(5000))
    with pytest.raises(DataError) as err:
        from_csv(f"{header}\n".encode() + b"1" + b",1" * 4999 + b"\n")
    assert "missing column(s)" in str(err.value)
    assert len(str(err.value)) < 1000


@pytest.mark.parametrize(
    ("header", "role", "refused"),
    [
        ("userId,item,movie,rating", "item", True),  # neither is MovieLens' own name
        ("uid,user,movieId,rating", "user", True),
        # a column with MovieLens' own name wins over another that fits, in every process
        ("userId,movieId,movie,rating", "item", False),  # 'movie' holds the titles
        ("userId,user,movieId,rating", "user", False),
        ("userId,movieId,rating,score", "rating", False),
        ("userId,movieId,rating,timestamp,date", "timestamp", False),
    ],
)
def test_two_columns_that_fit_one_role_are_refused_in_every_process(
    tmp_path, header, role, refused
):
    """Which column was taken used to depend on the process' string hashing (a set)."""
    rows = "".join(
        f"{u},{m},Film {m},{r}" + ",1" * (header.count(",") - 3) + "\n"
        for u, m, r in ((1, 10, 4), (2, 11, 3))
    )
    if not refused:  # the rating's column holds 4 and 3, every other column a number
        rows = "".join(
            ",".join(str(r) if n == "rating" else str(u * 10 + m) for n in header.split(",")) + "\n"
            for u, m, r in ((1, 10, 4), (2, 11, 3))
        )
    path = tmp_path / "r.csv"
    path.write_text(header + "\n" + rows)
    script = (
        "import sys\nfrom movierate.data import from_csv\nfrom movierate.errors import DataError\n"
        "try:\n    ds = from_csv(sys.argv[1])\nexcept DataError as e:\n    print('ERR', e)\n"
        "else:\n    print('OK', sorted(ds.ratings['rating'].tolist()))\n"
    )
    outs = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(REPO))
        proc = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env
        )
        outs.add(proc.stdout.strip())
    assert len(outs) == 1, outs
    (out,) = outs
    if refused:
        assert out.startswith("ERR") and f"could be the {role}" in out and "columns={" in out
    else:
        assert out == "OK [3.0, 4.0]", out


def test_the_mapping_settles_which_column_is_meant():
    text = b"userId,itemId,movie,rating\n1,10,Heat,4\n2,11,Up,3\n"
    ds = from_csv(text, columns={"item": "itemId"})
    assert ratings_of(ds) == {(1, 10): 4.0, (2, 11): 3.0}
    items = b"itemId,id,title\n10,5,Heat\n11,6,Up\n"
    with pytest.raises(DataError, match=r"item_columns=\{'item'"):
        from_csv(text, items, columns={"item": "itemId"})


@pytest.mark.parametrize(
    ("values", "factor"),
    [
        (("1600000000000", "1600000001000"), 1000),  # JavaScript milliseconds
        (("800000000000", "800000001000"), 1000),  # 1995 in ms (below 10^12)
        (("1600000000000.0", "1600000001000.5"), 1000),
        (("1600000000000000", "1600000001000000"), 10**6),
        (("1600000000000000000", "1600000001000000000"), 10**9),
    ],
)
def test_timestamps_in_finer_units_are_read_as_seconds_with_a_notice(values, factor):
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    expected = sorted(int(float(v)) // factor for v in values)
    assert sorted(ds.ratings["timestamp"].tolist()) == expected
    assert any("since 1970" in w and "seconds" in w for w in ds.warnings)


def test_a_few_timestamps_outside_the_unit_of_the_rest_are_named():
    """Bad-input round 11: 1990s milliseconds with one 0 for 'unknown' were read as seconds
    (the year 24152), silently."""
    values = [str(800_000_000_000 + 1000 * i) for i in range(29)] + ["0"]
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    with pytest.raises(
        DataError, match=r"milliseconds since 1970 except 1 value\(s\) \(line 31: 0\)"
    ):
        from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    # recheck 3: one 0 in 10 rows, or ten in 100 (the message blamed the 90 good values)
    for good, zeros in ((9, 1), (90, 10)):
        values = [str(800_000_000_000 + 1000 * i) for i in range(good)] + ["0"] * zeros
        rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
        with pytest.raises(DataError, match=rf"except {zeros} value\(s\)"):
            from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    # a typo among seconds (fuzz round 11: year ~17,800 accepted silently) is named too
    values = [str(1_600_000_000 + i) for i in range(29)] + ["500000000000"]
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    with pytest.raises(
        DataError, match=r"seconds since 1970 except 1 value.*line 31: 500000000000"
    ):
        from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())


@pytest.mark.parametrize(
    ("values", "bad_line"),
    [(("1600000000000", "1600000000"), 2), (("5", "1600000000000"), 3)],
)
def test_timestamps_mixing_units_are_refused(values, bad_line):
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    with pytest.raises(DataError, match=rf"'timestamp'.*line {bad_line}"):
        from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())


@pytest.mark.parametrize(
    "values",
    [("01/02/2020", "03/04/2020"), ("2020-01-02", "05/06/2020"), ("1.2.2020", "3.4.2020")],
)
def test_dates_that_read_both_day_and_month_first_are_refused(values):
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    with pytest.raises(DataError, match="day-first and month-first"):
        from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())


@pytest.mark.parametrize(
    ("values", "days"),
    [
        (("01/02/2020", "31/12/2020"), ("2020-02-01", "2020-12-31")),  # day-first, first is <13
        (("31/12/2020", "01/02/2020"), ("2020-12-31", "2020-02-01")),
        (("02/01/2020", "12/31/2020"), ("2020-02-01", "2020-12-31")),  # month-first
        (("13.01.2020", "01.02.2020"), ("2020-01-13", "2020-02-01")),
        (("2020-01-02", "2020-03-04T10:00:00Z"), ("2020-01-02", "2020-03-04")),
    ],
)
def test_dates_are_read_in_one_order_for_the_whole_column(values, days):
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    by_user = dict(zip(ds.user_ids[ds.ratings["user_idx"]], ds.ratings["timestamp"], strict=True))
    got = [np.datetime64(int(by_user[u]), "s").astype("datetime64[D]") for u in (1, 2)]
    assert [str(d) for d in got] == list(days)


@pytest.mark.parametrize(
    ("values", "days", "order"),
    [  # bad-input round 15: refused as ambiguous, though the second date shows the order
        (("4/10/2001 08:39 PM", "7/30/2000 06:45 PM"), ("2001-04-10", "2000-07-30"), "month"),
        (("10.04.01", "30.07.00"), ("2001-04-10", "2000-07-30"), "day"),
        (("10.04.01 20:39", "30.07.00 18:45"), ("2001-04-10", "2000-07-30"), "day"),
    ],
)
def test_twelve_hour_and_two_digit_year_dates_take_the_order_their_dates_show(values, days, order):
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    by_user = dict(zip(ds.user_ids[ds.ratings["user_idx"]], ds.ratings["timestamp"], strict=True))
    got = [np.datetime64(int(by_user[u]), "s").astype("datetime64[D]") for u in (1, 2)]
    assert [str(d) for d in got] == list(days)
    (notice,) = [w for w in ds.warnings if "'timestamp' holds dates read" in w]
    assert f"read {order}-first, the order its dates show (line 3: {values[1]!r}" in notice


@pytest.mark.parametrize(
    "dates",
    [
        ("24.10.73 03:32", "25.10.73 04:00"),
        ("10/24/73 03:32 AM", "3/24/70 01:51 PM"),
        ("24-Oct-73", "03-Feb-74"),  # recheck C: month names too (ml-100k's own form)
    ],
)
def test_two_digit_years_read_into_the_future_are_refused(dates):
    """Recheck: '24.10.73 03:32' was read as 2073-10-24 (a two-digit year's pivot), silently."""
    with pytest.raises(DataError, match=r"dates in the future once read .*write years with four"):
        _with_timestamps(dates)


def test_a_guessed_date_order_is_said_and_two_orders_are_refused():
    rows = "1,10,4,31/12/2020\n2,11,4,01/02/2020\n"
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    assert any(
        "read day-first, the order its dates show (line 2: '31/12/2020'" in w for w in ds.warnings
    )
    rows = "1,10,4,4/10/2001 08:39 PM\n2,11,4,7/30/2000 06:45 PM\n3,12,4,30/7/2000 06:45 PM\n"
    with pytest.raises(DataError, match="day-first and month-first"):
        from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        (("2018-09-24", "1000", "2019-01-01"), "'1000'"),  # not the year 1000 (pandas crashed)
        (("2018-09-24", "2019", "2019-01-01"), "'2019'"),  # not 1 January 2019
        (("Sep 24 2018", "12:30", "Jan 1 2019"), "'12:30'"),  # not today at 12:30
        (("2018-09-24", "10:15:00 pm"), "'10:15:00 pm'"),
    ],
)
def test_dates_mixed_with_values_that_hold_no_date_are_refused(values, bad):
    with pytest.raises(DataError, match=f"hold no date \\(line 3: {bad}\\)"):
        _with_timestamps(values)


def _with_timestamps(values):
    """A ratings CSV of one rating per user, each with one of ``values`` as its timestamp."""
    rows = "".join(f"{u},{10 + u},4,{v}\n" for u, v in enumerate(values, start=1))
    return from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())


def test_dates_outside_pandas_nanosecond_range_are_read_not_crashed():
    rows = "1,10,4,2018-09-24\n2,11,4,Jan 1 1000\n3,12,4,Jan 1 2300\n"
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    years = sorted(np.datetime64(int(t), "s").astype(object).year for t in ds.ratings["timestamp"])
    assert years == [1000, 2018, 2300]


def test_whole_numbers_written_yyyymmdd_are_read_as_dates_with_a_notice():
    rows = "1,10,4,20180924\n2,11,4,20190101\n"
    ds = from_csv(("userId,movieId,rating,timestamp\n" + rows).encode())
    days = sorted(
        str(np.datetime64(int(t), "s").astype("datetime64[D]")) for t in ds.ratings["timestamp"]
    )
    assert days == ["2018-09-24", "2019-01-01"]
    assert any("YYYYMMDD" in w and "August 1970" in w for w in ds.warnings)
    seconds = from_csv(b"userId,movieId,rating,timestamp\n1,10,4,964982703\n2,11,4,20190101\n")
    assert not any("YYYYMMDD" in w for w in seconds.warnings)  # one is no such date: seconds


@pytest.mark.parametrize(
    "year", ["1995.5", "1e300", "inf", "99999999999999999999", "c. 1999", "-5"]
)
def test_items_years_that_are_no_year_are_dropped_with_a_notice(year):
    ratings = b"userId,movieId,rating\n1,10,4\n2,11,3\n"
    items = f"movieId,title,year\n10,Heat,{year}\n11,Up,2009\n".encode()
    ds = from_csv(ratings, items)
    years = dict(zip(ds.movies["movie_id"], ds.movies["year"], strict=True))
    assert years[11] == 2009 and pd.isna(years[10])
    assert any("not a year" in w and repr(year) in w for w in ds.warnings)


def test_items_file_with_a_sep_line_and_blank_lines():
    ratings = b"userId,movieId,rating\n1,10,4\n2,11,3\n"
    items = b"sep=;\n\nmovieId;title;genres\n10;Heat (1995);Action\n11;Up (2009);Comedy\n"
    ds = from_csv(ratings, items)
    assert sorted(ds.movies["title"]) == ["Heat", "Up"]


@pytest.mark.parametrize(
    "text",
    [
        "userId,movieId,rating\n1,10,4,\n2,11,3,\n",  # every row ends with the delimiter
        "userId;movieId;rating\n1;10;4;;\n2;11;3;;\n",
        "1,10,4,\n2,11,3,\n",  # no header
        "1\t10\t4\t\n2\t11\t3\t\n",
    ],
)
def test_a_trailing_delimiter_on_every_row_is_ignored(text):
    assert ratings_of(from_csv(text.encode())) == {(1, 10): 4.0, (2, 11): 3.0}


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ("movieId,title\n10,Caf\u00e9\n".encode("cp1252"), "cannot be decoded"),
        (b"movieId,name2\n10,Heat\n", "missing column(s) for title"),
        (b"", "is empty"),
    ],
)
def test_errors_in_an_uploaded_items_file_name_the_items_file(items, problem):
    with pytest.raises(DataError) as err:
        from_csv(b"userId,movieId,rating\n1,10,4\n2,11,3\n", items)
    assert str(err.value).startswith("the uploaded items file") and problem in str(err.value)


SPELLINGS = {
    "padded": lambda name: f" {name} ",
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_mapped_name_may_differ_from_the_header_in_case_and_spaces(spelling):
    spell = SPELLINGS[spelling]
    ds = from_csv(b"uid,mid, Stars \n1,10,4\n2,11,3\n", columns={"rating": spell("stars")})
    assert ratings_of(ds) == {(1, 10): 4.0, (2, 11): 3.0}
    items = b" Movie Key ,Name\n10,Heat\n11,Up\n"
    ds = from_csv(
        b"userId,movieId,rating\n1,10,4\n2,11,3\n",
        items,
        item_columns={"item": spell("movie key"), "title": spell("name")},
    )
    assert sorted(ds.movies["title"]) == ["Heat", "Up"]


def test_a_mapped_name_fitting_two_columns_is_refused():
    with pytest.raises(DataError, match="no column named 'stars'"):
        from_csv(b"uid,mid,Stars,STARS\n1,10,4,5\n2,11,3,5\n", columns={"rating": "stars"})


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Heat (0001)", "Heat (0001)", None),  # no year of a movie: kept as title text
        ("Heat (9999)", "Heat (9999)", None),
        ("Heat (1799)", "Heat (1799)", None),
        ("Heat (1995/I)", "Heat", 1995),  # IMDb's disambiguation suffix
        ("Heat (1995/II) (V)", "Heat (V)", 1995),
        ("Heat (1995)", "Heat", 1995),
    ],
)
def test_only_a_plausible_year_is_taken_from_a_title(raw, title, year):
    from movierate.data.movies import split_title_year

    assert split_title_year(raw) == (title, year)
    ds = from_csv(b"userId,movieId,rating\n1,10,4\n2,11,3\n", f"movieId,title\n10,{raw}\n".encode())
    row = ds.movies.set_index("movie_id").loc[10]
    assert row["title"] == title and (pd.isna(row["year"]) if year is None else row["year"] == year)


def test_items_file_notices_count_skipped_lines_and_dropped_rows():
    """Line numbers in the items file's notices are the file's own lines."""
    ratings = b"userId,movieId,rating\n1,10,4\n2,11,3\n"
    items = b"\nsep=,\nmovieId,title,year\n,No id,1999\n10,Heat,1995\n11,Up,99999\n"
    ds = from_csv(ratings, items)
    notes = " ".join(ds.warnings)
    assert "without a movie id (line 4)" in notes, notes
    assert "(line 6: '99999')" in notes, notes


@pytest.mark.parametrize(
    ("items", "says"),
    [  # an unquoted comma in the FIRST row used to shift every column: all titles lost
        (b"movieId,title,genres\n1,Movie, The (1995),Drama\n2,B (1990),Comedy\n", "line 2"),
        (b"movieId,title,genres\n1,A (1995),Drama\n2,B (1990),Comedy,Extra\n", "line 3"),
        (b'movieId,title,genres\n1,"A (1995),Drama\n2,B (1990),Comedy\n', "EOF inside string"),
    ],
)
def test_a_ragged_items_file_is_refused_naming_the_line(items, says):
    ratings = b"userId,movieId,rating\n1,1,4\n1,2,3\n2,1,5\n2,2,2\n"
    with pytest.raises(DataError, match="items file") as caught:
        from_csv(ratings, items)
    assert says in str(caught.value)
