"""from_csv: your own ratings file, sniffed and mapped, validated, and registered by name."""

from __future__ import annotations

import io

import numpy as np
import pytest

from movierate import config
from movierate.data import dataset_status, from_csv, load_dataset
from movierate.errors import DataError

BOOKS = (
    "customer;book;stars;date\n"
    "ana;b1;4;2020-01-01\n"
    "bo;b1;5;2020-01-02 10:00:00\n"
    "ana;b2;3;2020-01-03\n"
    "cy;b3;1;2020-02-01\n"
)
BOOK_ITEMS = (
    "id,title,genres\n"
    'b1,"Matrix, The (1999)",Action|Sci-Fi\n'
    "b2,Untitled,\n"
    "b9,Never rated (2001),Drama\n"
)


def write(tmp_path, text, name="mine.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_sniffed_delimiter_aliases_string_ids_dates_and_items(tmp_path):
    ds = from_csv(
        write(tmp_path, BOOKS),
        items=write(tmp_path, BOOK_ITEMS, "items.csv"),
        columns={"user": "customer", "item": "book"},
    )
    assert (len(ds), ds.n_users, ds.n_movies) == (4, 3, 3)
    assert list(ds.user_ids) == ["ana", "bo", "cy"] and ds.user_index("bo") == 1
    assert ds.movie_index("b3") == 2
    assert ds.ratings["timestamp"].iloc[1] == 1577959200  # 2020-01-02 10:00:00 UTC
    movies = ds.movies.set_index("movie_id")
    assert movies.loc["b1", "title"] == "Matrix, The" and movies.loc["b1", "year"] == 1999
    assert movies.loc["b1", "genres"] == ["Action", "Sci-Fi"] and movies.loc["b2", "genres"] == []
    assert movies.loc["b3", "title"] == "movie b3"  # rated but not in the items file
    assert ds.catalog == {"movies": 3, "users": None}
    assert any("1 rated movie(s) are not in the movies file" in w for w in ds.warnings)
    assert ds.rating_scale.as_list() == [1.0, 5.0, 1.0]  # inferred: whole stars


def test_save_as_registers_the_dataset_by_name(tmp_path):
    path = write(tmp_path, BOOKS)
    ds = from_csv(path, columns={"user": "customer", "item": "book"}, save_as="my-books")
    folder = config.data_dir() / "custom" / "my-books"
    assert ds.name == "my-books" and ds.source == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["dataset.json", "ratings.parquet"]
    path.unlink()  # the registered copy no longer needs the original file
    again = load_dataset("my-books")
    assert again.fingerprint == ds.fingerprint and again.rating_scale == ds.rating_scale
    assert list(again.user_ids) == list(ds.user_ids)
    status = {s.name: s for s in dataset_status()}["my-books"]
    assert status.available and status.url is None and status.approx_ratings == 4


def test_save_as_refuses_a_name_differing_from_a_saved_one_only_in_case(tmp_path):
    """'My-Books' beside 'my-books' is one folder on macOS and Windows (bad input round 7)."""
    from_csv(
        write(tmp_path, BOOKS), columns={"user": "customer", "item": "book"}, save_as="my-books"
    )
    with pytest.raises(DataError, match="'my-books' already exists, and 'My-Books' differs"):
        from_csv(
            write(tmp_path, BOOKS), columns={"user": "customer", "item": "book"}, save_as="My-Books"
        )
    with pytest.raises(DataError, match="ML-100K"):
        from_csv(write(tmp_path, "user,item,rating\n1,1,4\n"), save_as="ML-100K")


def test_save_as_keeps_items_and_warnings(tmp_path):
    rows = "user,item,rating,timestamp\n1,1,4,10\n1,1,5,20\n2,2,3,30\n"
    items = "movieId,title,genres\n1,Heat (1995),Action|Crime\n2,Up (2009),Animation\n"
    ds = from_csv(write(tmp_path, rows), items=write(tmp_path, items, "m.csv"), save_as="tiny")
    again = load_dataset("tiny")
    assert again.warnings == ds.warnings and len(ds.warnings) == 2  # scale inferred, duplicate
    assert ds.warnings[0].startswith("Rating scale inferred as 1-5 (step 1) from the data")
    assert again.movies.equals(ds.movies) and again.catalog == {"movies": 2, "users": None}
    assert again.movies["genres"].tolist() == [["Action", "Crime"], ["Animation"]]


@pytest.mark.parametrize("name", ["../escape", "", "a b", "x" * 65])
def test_save_as_rejects_bad_names(tmp_path, name):
    with pytest.raises(DataError, match="Invalid dataset name"):
        from_csv(write(tmp_path, "user,item,rating\n1,1,4\n"), save_as=name)


def test_a_grouplens_name_is_refused_for_that_reason(tmp_path):
    """Bad-input round 17: 'ml-100k' was refused with a naming rule it meets."""
    with pytest.raises(DataError) as refused:
        from_csv(write(tmp_path, "user,item,rating\n1,1,4\n"), save_as="ml-100k")
    assert str(refused.value) == (
        "The dataset name 'ml-100k' is a GroupLens dataset's name; pick another, e.g. "
        "'ml-100k-mine'."
    )


def test_random_bytes_are_not_called_utf16_and_real_utf16_still_is(tmp_path):
    """Bad-input round 17: 5,000 random bytes were told to say encoding utf-16-le."""
    noise = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    with pytest.raises(DataError, match="is not text") as refused:
        from_csv(noise)
    assert "utf-16" not in str(refused.value).lower()
    for codec in ("utf-16-le", "utf-16-be"):  # no byte-order mark; recheck E: be was told le
        text = "user,item,rating\n1,1,4\n2,1,3\n".encode(codec)
        with pytest.raises(DataError, match=f"UTF-16 text without a byte-order mark.*'{codec}'"):
            from_csv(text)
    for binary in (bytes(4000), np.arange(2000, dtype=np.int16).tobytes()):  # recheck E
        with pytest.raises(DataError, match="is not text") as refused:
            from_csv(binary)
        assert "utf-16" not in str(refused.value).lower()


def test_headerless_tab_file_is_user_item_rating_timestamp(tmp_path):
    ds = from_csv(write(tmp_path, "7\t3\t4.5\t100\n8\t3\t2\t200\n", "plain.tsv"))
    assert list(ds.user_ids) == [7, 8] and list(ds.movie_ids) == [3]
    assert ds.ratings["rating"].tolist() == [4.5, 2.0]
    assert ds.ratings["timestamp"].tolist() == [100, 200]
    # accuracy round 16: two ratings, 2 and 4.5, reach no common scale's top: their own range
    assert ds.rating_scale.as_list() == [2.0, 4.5, 0.5]
    assert ds.name == "plain"


def test_double_colon_and_buffers(tmp_path):
    text = "1::10::5::978300760\n2::10::3::978302109\n2::20::4::978301968\n"
    ds = from_csv(io.BytesIO(text.encode()))
    assert (len(ds), ds.n_users, ds.n_movies) == (3, 2, 2)
    same = from_csv(text.encode())
    assert same.fingerprint == ds.fingerprint
    named = io.StringIO("user,item,rating\n1,1,4\n")
    named.name = "upload.csv"
    assert from_csv(named).name == "upload"


def test_same_data_same_fingerprint_as_the_grouplens_reader(movielens_dir):
    folder = movielens_dir / "ml-latest-small"
    mine = from_csv(folder / "ratings.csv", items=folder / "movies.csv")
    official = load_dataset("ml-latest-small")
    assert mine.fingerprint == official.fingerprint
    assert np.array_equal(mine.movies["title"], official.movies["title"])


def test_ids_that_are_not_whole_numbers_stay_text(tmp_path):
    ds = from_csv(write(tmp_path, "user,item,rating\n1.5,007,4\n2,7,3\n"))
    assert list(ds.user_ids) == ["1.5", "2"]
    assert list(ds.movie_ids) == [7]  # "007" and "7" are the same whole number
    assert any("movie ids '007' and '7' are one number written two ways" in w for w in ds.warnings)


@pytest.mark.parametrize(
    ("users", "spelled"),
    [
        (["007", "7", "8"], ("007", "7")),
        (["1e3", "1000", "8"], ("1e3", "1000")),
        (["1.0", "1", "2"], ("1.0", "1")),
        (["+5", "5", "6"], ("+5", "5")),
        (["-0", "0", "6"], ("-0", "0")),  # round 10: merged without a word
    ],
)
def test_one_number_spelled_two_ways_is_named(tmp_path, users, spelled):
    rows = "".join(f"{user},{10 + i},4\n" for i, user in enumerate(users))
    ds = from_csv(write(tmp_path, "user,item,rating\n" + rows))
    assert len(ds.user_ids) == 2  # merged, as numbers are
    notices = [w for w in ds.warnings if "written two ways" in w]
    assert len(notices) == 1 and f"'{spelled[0]}' and '{spelled[1]}'" in notices[0], ds.warnings
    assert "movie ids" not in notices[0]


@pytest.mark.parametrize(
    "grouped", ['"1,000"', "1_000", '"1 000"', "1\u00a0000", "\uff11000", "1\u2009000", "1'000"]
)
def test_an_id_with_digit_groups_beside_the_plain_number_is_named(tmp_path, grouped):
    """Bad-input round 10: '1,000' (a spreadsheet's separator on some cells) and 1000 were two
    movies without a word. They stay two (the column is text), and the notice says so."""
    ds = from_csv(write(tmp_path, f"user,item,rating\n1,{grouped},4\n2,1000,3\n3,7,5\n"))
    assert ds.n_movies == 3
    notices = [w for w in ds.warnings if "written two ways" in w]
    assert len(notices) == 1 and "'1000'" in notices[0] and "count as two movies" in notices[0]


@pytest.mark.parametrize(
    ("grouped", "delimiter"),
    [
        ('"1,234"', ","),
        ("1.234", ";"),  # German and Dutch spreadsheets
        ("1'234", ","),  # Swiss
        ("1\u202f234", ";"),  # French
        ("1 234", ";"),
    ],
)
def test_ids_a_spreadsheet_wrote_with_digit_groups_are_numbers(tmp_path, grouped, delimiter):
    """Bad-input round 15: every id above 999 written '1.234' (or '1,234', "1'234") became a
    text id, so a movies file with plain ids titled none of them, and '3' and '3.000' were
    said to be one movie written two ways. A column grouped throughout is read as numbers,
    and said; its movies file's ids too, whichever of the two is grouped."""
    d = delimiter
    text = f"user{d}item{d}rating\n1{d}{grouped}{d}4\n2{d}7{d}3\n3{d}{grouped.replace('234', '000')}{d}5\n"
    items = tmp_path / "movies.csv"
    items.write_text(
        "movieId,title,genres\n1234,Big (1988),Comedy\n7,Seven (1995),Crime\n1000,K (2000),Drama\n"
    )
    ds = from_csv(write(tmp_path, text), items=str(items))
    assert sorted(ds.movie_ids) == [7, 1000, 1234]
    assert sorted(ds.movies["title"]) == ["Big", "K", "Seven"]
    (notice,) = [w for w in ds.warnings if "between groups of three digits" in w]
    assert "read as whole numbers (1234)" in notice and "line 2" in notice
    assert not [w for w in ds.warnings if "written two ways" in w or "not in the movies" in w]
    plain = tmp_path / "plain.csv"
    plain.write_text("user,item,rating\n1,1234,4\n2,7,3\n")
    items.write_text(f"movieId;title\n{grouped.strip(chr(34))};Big (1988)\n7;Seven (1995)\n")
    ds = from_csv(str(plain), items=str(items))
    assert sorted(ds.movies["title"]) == ["Big", "Seven"]
    assert any("movies file's ids are written with" in w for w in ds.warnings)


def test_ids_grouped_only_at_multiples_of_a_thousand_are_numbers_too(tmp_path):
    """Recheck: '1.000' beside '1' was read as the decimal 1, merging users 1 and 1000; a
    column of only 'N.000' (three decimals) stays the decimal reading."""
    ds = from_csv(write(tmp_path, "user;item;rating\n1;1;4\n1.000;2.000;3\n7;5.000;5\n"))
    assert sorted(ds.user_ids) == [1, 7, 1000] and sorted(ds.movie_ids) == [1, 2000, 5000]
    ds = from_csv(write(tmp_path, "user;item;rating\n1;7.000;4\n2;8.000;3\n"))
    assert sorted(ds.movie_ids) == [7, 8]
    ds = from_csv(write(tmp_path, "user;item;rating\n1;0.125;4\n2;1.500;3\n"))
    assert sorted(map(str, ds.movie_ids)) == ["0.125", "1.500"]  # no thousands grouping


def test_ids_that_are_not_grouped_throughout_stay_text(tmp_path):
    """A decimal-looking id, or two separators, is no digit grouping: the ids stay labels."""
    ds = from_csv(write(tmp_path, "user;item;rating\n1;1.5;4\n2;1.234;3\n3;2,345;5\n"))
    assert sorted(map(str, ds.movie_ids)) == ["1.234", "1.5", "2,345"]


def test_a_fullwidth_digit_id_is_a_label_not_too_large(tmp_path):
    """Round 10: '７' (U+FF17) was refused as "too large for a numeric id"."""
    ds = from_csv(write(tmp_path, "user,item,rating\n1,\uff17,4\n2,8,3\n"))
    assert sorted(map(str, ds.movie_ids)) == ["8", "\uff17"]


def test_ids_padded_alike_or_spaced_give_no_notice(tmp_path):
    ds = from_csv(write(tmp_path, "user,item,rating\n007,010,4\n008, 020,3\n 9,30,5\n"))
    assert sorted(ds.user_ids) == [7, 8, 9] and sorted(ds.movie_ids) == [10, 20, 30]
    assert not [w for w in ds.warnings if "written two ways" in w]


def test_unreadable_separator(tmp_path):
    with pytest.raises(DataError, match="cannot tell how the columns are separated"):
        from_csv(write(tmp_path, "just some words\nand more words\n"))
    with pytest.raises(DataError, match="does not exist"):
        from_csv(tmp_path / "missing.csv")


def test_text_ids_survive_the_parquet_cache(tmp_path):
    from_csv(write(tmp_path, BOOKS), columns={"user": "customer", "item": "book"}, save_as="bk")
    first = load_dataset("bk")  # parses the registered copy and writes the cache
    cached = load_dataset("bk")
    assert cached.user_ids.dtype == object and list(cached.user_ids) == ["ana", "bo", "cy"]
    assert cached.movies["movie_id"].tolist() == ["b1", "b2", "b3"]
    assert cached.movie_index("b2") == 1 and cached.fingerprint == first.fingerprint


TAB = "userId\tmovieId\trating\n1\t10\t4\n1\t20\t3\n2\t10\t5\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "latin-1"])
def test_unicode_text_with_a_byte_order_mark_is_read(tmp_path, codec, encoding):
    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(codec, b"")
    ratings = write(tmp_path, bom + TAB.encode(codec), "excel.txt")
    items = write(tmp_path, bom + "movieId\ttitle\n10\tAmélie\n20\tHeat\n".encode(codec), "i.txt")
    ds = from_csv(ratings, items, encoding=encoding)
    assert len(ds) == 3 and ds.n_users == 2 and sorted(ds.movies["title"]) == ["Amélie", "Heat"]


def test_utf16_without_a_mark_needs_its_encoding(tmp_path):
    path = write(tmp_path, TAB.encode("utf-16-le"))
    with pytest.raises(DataError, match=r"NUL bytes.*encoding='utf-16-le'"):
        from_csv(path)
    assert len(from_csv(path, encoding="utf-16-le")) == 3


def test_a_utf16_movielens_file_is_named_as_utf16(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "ratings.csv").write_bytes(
        "userId,movieId,rating,timestamp\n1,1,4,1\n".encode("utf-16")
    )
    with pytest.raises(DataError, match=r"UTF-16 text.*encoding='utf-16'"):
        load_dataset(folder)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("1,10,true\n2,20,false\n", r"'rating' has 2 non-numeric.*'true', 'false'"),
        ("1,10,0x4\n2,20,3\n", r"'rating' has 1 non-numeric.*'0x4'"),
        ("   ,10,4\n2,20,3\n", r"1 row\(s\) have no user id in column 'user' \(line 2\)"),
        ("1,10,4,-9223372036854775808\n2,20,3,5\n", r"'timestamp'.*'-9223372036854775808'"),
        ("1,10,4,true\n2,20,3,false\n", r"'timestamp'.*'true', 'false'"),
        ("9223372036854775807,10,4\n2,20,3\n", r"'user' has 1 id\(s\).*too large"),
        ("-9007199254740993,10,4\n2,20,3\n", r"'user' has 1 id\(s\).*too large"),
    ],
)
def test_values_are_never_silently_changed(tmp_path, rows, match):
    header = "user,item,rating,timestamp\n" if rows.count(",") > 4 else "user,item,rating\n"
    with pytest.raises(DataError, match=match):
        from_csv(write(tmp_path, header + rows))


def test_ids_keep_their_text(tmp_path):
    rows = "0x1F,2020-01-01,4\n31,10:00,3\ntrue,10,5\n"
    ds = from_csv(write(tmp_path, "user,item,rating\n" + rows))
    assert sorted(ds.user_ids) == ["0x1F", "31", "true"]
    assert sorted(ds.movie_ids) == ["10", "10:00", "2020-01-01"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"delimiter": ",,"}, r"delimiter=',,' cannot separate"),
        ({"delimiter": "\n"}, r"delimiter='\\n' cannot separate"),
        ({"delimiter": 3}, r"delimiter=3 cannot separate"),
        ({"encoding": "rot13"}, r"encoding='rot13' is not a text encoding"),
        ({"encoding": "hex"}, r"encoding='hex' is not a text encoding"),
        ({"encoding": None}, r"encoding=None is not a text encoding"),
        ({"columns": ["user", "item"]}, r"columns=\['user', 'item'\] must map roles"),
        ({"columns": {"user": 5}}, r"columns=\{'user': 5\} must map roles"),
        ({"columns": {"user": "a", "item": "a", "rating": "c"}}, r"both 'user' and 'item'"),
        ({"columns": {"item": "user"}}, r"column 'user' would be both user and item"),
        ({"item_columns": "title"}, r"item_columns='title' must map roles"),
    ],
)
def test_misused_arguments_are_named(kwargs, match):
    with pytest.raises(DataError, match=match):
        from_csv(b"user,x,rating\n1,10,4\n2,20,3\n", **kwargs)


@pytest.mark.parametrize("odd", ["abc", "nan", "10.5", "1 0"])
def test_one_odd_item_id_does_not_untitle_every_movie(odd):
    """One id that is no number makes the items' ids text: they still match the ratings'."""
    ratings = b"user,item,rating\n1,10,4\n1,20,3\n2,10,5\n2,30,2\n"
    ds = from_csv(ratings, f"id,title\n{odd},Heat\n20,Up\n30,Jaws\n".encode())
    assert list(ds.movies["title"]) == ["movie 10", "Up", "Jaws"]
    assert any(w.startswith("1 rated movie(s) are not in the movies file") for w in ds.warnings)


def test_one_text_rating_id_still_matches_numeric_item_ids():
    ds = from_csv(b"user,item,rating\n1,10,4\n1,20,3\n2,x30,5\n", b"id,title\n10,Heat\n20,Up\n")
    titles = dict(zip(ds.movies["movie_id"], ds.movies["title"], strict=True))
    assert titles == {"10": "Heat", "20": "Up", "x30": "movie x30"}


def test_an_items_year_column_wins_over_the_titles_year_with_a_notice():
    ds = from_csv(
        b"user,item,rating\n1,10,4\n1,20,3\n1,30,3\n",
        b"id,title,year\n10,Heat (1995),2001\n20,Up,2009\n30,Jaws (1975),\n",
    )
    years = dict(zip(ds.movies["title"], ds.movies["year"], strict=True))
    assert years == {"Heat": 2001, "Up": 2009, "Jaws": 1975}
    assert any("line 2: 'Heat (1995)' has year 2001" in w for w in ds.warnings)


@pytest.mark.parametrize("other", ["x1", "7.5"])
def test_one_number_spelled_two_ways_among_text_ids_is_named_too(tmp_path, other):
    """An item column that also holds a label ("x1") or a fraction ("7.5") is read as text,
    so '7' and '007' stay two movies (2026-12 accuracy audit): the file may not mean that."""
    ds = from_csv(write(tmp_path, f"user,item,rating\n1,7,4\n2,007,3\n3,7.0,5\n4,{other},2\n"))
    assert sorted(map(str, ds.movie_ids)) == sorted(["7", "007", "7.0", other])
    notices = [w for w in ds.warnings if "written three ways" in w]  # all three (round 60)
    assert len(notices) == 1 and "but they count as three movies" in notices[0], ds.warnings
    assert "'7', '007' and '7.0'" in notices[0] and "write its id one way" in notices[0]
    plain = from_csv(write(tmp_path, "user,item,rating\n1,7,4\n2,x1,3\n3,8,5\n"))
    assert not [w for w in plain.warnings if "written two ways" in w]


def test_two_large_text_ids_that_round_alike_are_not_called_one_number(tmp_path):
    ds = from_csv(
        write(
            tmp_path,
            "user,item,rating\n1,90071992547409930001,4\n2,90071992547409930002,3\n3,x1,5\n",
        )
    )
    assert len(ds.movie_ids) == 3
    assert not [w for w in ds.warnings if "written two ways" in w]


def test_spreadsheet_day_numbers_are_read_as_dates_with_a_notice(tmp_path):
    """Bad input round 7: Excel's day numbers (43839.5) were read as seconds, every rating on
    1 January 1970, without a word."""
    ds = from_csv(write(tmp_path, "user,item,rating,timestamp\n1,1,4,43839.5\n2,1,3,43840\n"))
    assert ds.ratings["timestamp"].tolist() == [1578571200, 1578614400]  # 2020-01-09 12:00, 10th
    assert any("spreadsheet day numbers (43839.5 is 2020-01-09 12:00)" in w for w in ds.warnings)
    seconds = from_csv(write(tmp_path, "user,item,rating,timestamp\n1,1,4,19000\n2,1,3,43840\n"))
    assert seconds.ratings["timestamp"].tolist() == [19000, 43840]  # not all day numbers


def test_a_header_line_repeated_mid_file_is_named_as_such(tmp_path):
    """Bad input round 7: two exports pasted together were refused correctly, but the message
    did not say that line 4 is the header again."""
    rows = "user,item,rating\n1,1,4\n2,1,3\nuser,item,rating\n3,2,5\n"
    with pytest.raises(DataError, match="line 4: 'rating'.*header line repeated mid-file"):
        from_csv(write(tmp_path, rows))
    with pytest.raises(DataError) as other:
        from_csv(write(tmp_path, "user,item,rating\n1,1,4\n2,1,good\n3,2,bad\n"))
    assert "header line" not in str(other.value)  # two different words: no header guess


def test_a_full_disk_while_storing_an_upload_is_said_and_keeps_the_old_copy(monkeypatch):
    """Bad-input round 13: an upload on a full disk showed "Something went wrong (OSError)";
    the dataset already stored under that name stayed whole, and still must."""
    import errno

    import pyarrow.parquet as pq

    first = b"user,item,rating\nu1,m1,4\nu1,m2,2\nu2,m1,5\nu2,m3,1\n"
    from_csv(first, save_as="mine")
    real = pq.write_table

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(DataError) as caught:
        from_csv(first + b"u3,m2,3\n", save_as="mine", replace=True)
    said = str(caught.value)
    assert said.startswith("Could not store 'mine': No space left on device. Nothing was stored.")
    assert "The dataset already named 'mine' is unchanged. Free some disk space" in said
    monkeypatch.setattr(pq, "write_table", real)
    assert len(load_dataset("mine")) == 4


def test_a_comment_line_on_top_is_named_as_the_cause():
    """Bad-input round 13: "# exported by tool" on line 1 gave only "cannot tell how the
    columns are separated"."""
    with pytest.raises(DataError, match="its first line is a comment .*delete the comment"):
        from_csv(b"# exported by tool\nuser,item,rating\nu1,m1,4\nu2,m2,3\n", save_as="cm")


def test_two_csv_imports_of_one_name_never_replace_each_other(monkeypatch):
    """Bad-input round 14: two `from_csv(save_as='shared')` at once both said "saved"; the
    second published over the first. The later one now stores nothing and says why."""
    from movierate.data import custom

    build = custom.build_dataset
    calls = []

    def another_import_meanwhile(raw, name, **kwargs):
        ds = build(raw, name, **kwargs)
        if not calls:  # while the first import checks its data, a second one stores "shared"
            calls.append(name)
            from_csv(io.StringIO("user,item,rating\n1,1,4\n2,1,5\n"), save_as="shared")
        return ds

    monkeypatch.setattr(custom, "build_dataset", another_import_meanwhile)
    ratings = "user,item,rating\n" + "".join(f"{u},{m},3\n" for u in range(5) for m in range(4))
    with pytest.raises(DataError, match="Another import stored a dataset named 'shared' while"):
        from_csv(io.StringIO(ratings), save_as="shared")
    assert len(load_dataset("shared")) == 2  # the other import's, kept
    with pytest.raises(DataError, match="already exists"):
        from_csv(io.StringIO(ratings), save_as="shared")  # asked again: refused as before
    assert len(from_csv(io.StringIO(ratings), save_as="shared", replace=True)) == 20


def test_an_overwrite_import_never_replaces_a_folder_moved_in_meanwhile(monkeypatch):
    """Recheck D (s26): `datasets FILE --name N --overwrite` checked the folder only before
    reading the file; a folder moved in while the copy was written was deleted with it. A
    folder of dotfiles alone (no imported file) is refused too."""
    import pyarrow.parquet as pq

    from movierate.data import custom

    ratings = "user,item,rating\n" + "".join(
        f"u{u},m{m},{1 + (u + m) % 5}\n" for u in range(5) for m in range(4)
    )
    from_csv(io.StringIO(ratings), save_as="mine")
    folder = config.data_dir() / "custom" / "mine"
    real_write = pq.write_table

    def move_in(*args, **kwargs):
        (folder / "thesis").mkdir(exist_ok=True)
        (folder / "thesis" / "chapter1.tex").write_text("mine")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(custom.pq, "write_table", move_in)
    with pytest.raises(DataError, match=r"'mine' is not replaced: .* holds 'thesis/'"):
        from_csv(io.StringIO(ratings), save_as="mine", replace=True)
    assert (folder / "thesis" / "chapter1.tex").read_text() == "mine"
    monkeypatch.setattr(custom.pq, "write_table", real_write)
    dots = config.data_dir() / "custom" / "dots"
    dots.mkdir()
    (dots / ".env").write_text("SECRET=1")
    with pytest.raises(DataError, match=r"'dots' is not replaced: .* holds '.env'"):
        from_csv(io.StringIO(ratings), save_as="dots", replace=True)
    assert (dots / ".env").read_text() == "SECRET=1"


def test_a_grouplens_copy_of_that_name_is_never_replaced_and_said_so(tmp_path):
    """Recheck E (s26): replacing a dataset folder that is no imported file was refused with a
    message naming Python's replace=True to page and CLI users."""
    folder = config.data_dir() / "mine"
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("1\t1\t4\t881250949\n2\t1\t3\t881250949\n")
    with pytest.raises(DataError) as refused:
        from_csv(io.StringIO("user,item,rating\n1,1,4\n"), save_as="mine", replace=True)
    assert "is not an imported file, so an import never replaces it" in str(refused.value)
    assert "replace=True" not in str(refused.value)
    assert (folder / "u.data").exists()
