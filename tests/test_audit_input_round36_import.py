"""Bad-input round 36 (ratings files from other programs), findings 2 and 3: the encoding
advice for Windows files, and totals rows imported as ratings."""

from __future__ import annotations

import pytest

from movierate import cli, config
from movierate.data import from_csv
from movierate.data.acquire import CUSTOM_FOLDER
from movierate.data.formats import _legacy_text
from movierate.errors import DataError

RATINGS = "user,movie,rating\n" + "".join(
    f"{u},{m},{(u * m) % 5 + 1}\n" for u in range(1, 21) for m in range(1, 11)
)
#: Titles with Windows-1252 punctuation (0x80-0x9F): en dash, apostrophe, ellipsis, quotes, €.
TITLES = [
    "Toy Story \u2013 Director\u2019s Cut\u2026 (1995)",
    "Jumanji \u201c\u0152uvre\u201d \u20ac",
]
ITEMS = "movieId,title\n" + "".join(
    f"{m},{TITLES[m - 1] if m <= 2 else f'Movie {m}'}\n" for m in range(1, 11)
)


def _stored(name: str) -> bool:
    return (config.data_dir() / CUSTOM_FOLDER / name).exists()


def test_a_windows_items_file_is_advised_cp1252_with_its_own_flag(capsys):
    """F2: the advice named latin-1 whatever the bytes, and --encoding for the items file."""
    with pytest.raises(DataError) as err:
        from_csv(RATINGS.encode(), ITEMS.encode("cp1252"))
    message = str(err.value)
    assert "it reads as cp1252, the Windows default" in message
    assert "--items ITEMS --name NAME --items-encoding cp1252" in message
    assert "items_encoding='cp1252'" in message and "latin-1" not in message
    # the ratings file keeps its own flag
    with pytest.raises(DataError, match=r"--name NAME --encoding cp1252; Python: encoding="):
        from_csv(RATINGS.replace("user,", "reader,").encode() + "Zo\u00eb,1,4\n".encode("cp1252"))


def test_latin1_is_advised_only_where_cp1252_cannot_read_the_file():
    data = RATINGS.encode() + b"Zo\xeb\x81,1,4\n"  # 0x81: no cp1252 character
    with pytest.raises(DataError, match=r"--encoding latin-1; Python: encoding='latin-1'"):
        from_csv(data)
    with pytest.raises(DataError, match=r"--encoding latin-1"):
        from_csv(data, encoding="cp1252")


def test_a_windows_file_read_as_latin1_is_refused_and_nothing_is_stored(capsys):
    """F2: latin-1 stored '–' and '’' as C1 control characters and dropped '…', no notice."""
    with pytest.raises(DataError) as err:
        from_csv(RATINGS.encode(), ITEMS.encode("cp1252"), items_encoding="latin-1", save_as="q1")
    message = str(err.value)
    assert "was read as latin-1, which turns its Windows punctuation into invisible" in message
    assert "line 2: byte 0x96 is '\u2013' in cp1252, U+0096 in latin-1" in message
    assert "--items-encoding cp1252" in message and not _stored("q1")
    ds = from_csv(RATINGS.encode(), ITEMS.encode("cp1252"), items_encoding="cp1252")
    assert ds.movies.set_index("movie_id").loc[[1, 2], "title"].tolist() == [
        "Toy Story \u2013 Director\u2019s Cut\u2026",
        "Jumanji \u201c\u0152uvre\u201d \u20ac",
    ]
    # a ratings file with Windows text ids is refused alike, naming its own flag
    ratings = RATINGS + "\u0160\u00e1rka\u2019s,1,4\n"
    with pytest.raises(DataError, match=r"--name NAME --encoding cp1252; Python: encoding="):
        from_csv(ratings.encode("cp1252"), encoding="latin-1")


def test_the_cli_names_the_items_flag(tmp_path, capsys):
    ratings, items = tmp_path / "r.csv", tmp_path / "i.csv"
    ratings.write_text(RATINGS)
    items.write_bytes(ITEMS.encode("cp1252"))
    argv = ["datasets", str(ratings), "--items", str(items), "--name", "q"]
    assert cli.main(argv) == 1
    assert "--items-encoding cp1252" in capsys.readouterr().err
    assert cli.main([*argv, "--items-encoding", "latin-1"]) == 1
    assert "import it again with that file read as cp1252" in capsys.readouterr().err
    assert cli.main([*argv, "--items-encoding", "cp1252"]) == 0


def test_a_file_neither_latin1_nor_cp1252_reads_gets_a_notice():
    """Bytes 0x80-0x9F that cp1252 cannot read either: some other code page, no safe reading
    to advise, so it is imported with a notice (latin-1 is the advice such a file gets)."""
    items = ITEMS.encode("cp1252") + b"11,Ma\x8d\x9d\n"  # cp1250's Ť and ť
    ds = from_csv(RATINGS.encode(), items, items_encoding="latin-1")
    assert any(
        "turns its bytes 0x80-0x9F into invisible control characters (line 2: byte 0x96)" in w
        and "--items-encoding NAME" in w
        for w in ds.warnings
    ), ds.warnings


def test_an_older_movies_file_saved_on_windows_reads_as_cp1252(tmp_path):
    path = tmp_path / "u.item"
    path.write_bytes(
        "1|Director\u2019s Cut\u2026 (1995)|01-Jan-1995\n2|Am\u00e9lie|\n".encode("cp1252")
    )
    assert _legacy_text(path) == "1|Director\u2019s Cut\u2026 (1995)|01-Jan-1995\n2|Am\u00e9lie|\n"
    path.write_bytes(b"1|Am\xe9lie\x81|\n")  # cp1252 cannot read 0x81: latin-1 as before
    assert _legacy_text(path) == "1|Am\u00e9lie\x81|\n"


def _rows(n_users: int = 60) -> str:
    return "".join(
        f"{u},{m},{((u + m) % 10 + 1) / 2}\n" for u in range(1, n_users + 1) for m in range(1, 11)
    )


@pytest.mark.parametrize(
    ("last", "said"),
    [
        ("Total,All,1650", "1 row(s) (line 602; the first: 'Total', 'All', 1650) have words"),
        ("Average,All,2.75", "1 row(s) (line 602; the first: 'Average', 'All', 2.75) have words"),
        ("All users,All movies,3.49", "'All users', 'All movies', 3.49) have words"),
        ("Total,1,1650", "1 rating(s) (line 602: 1650) alone would make the rating scale"),
        ("99,1,45", "(line 602: 45) alone would make the rating scale 0.5 to 45 in steps of 0.5"),
    ],
)
def test_a_totals_row_is_refused_naming_its_line(last, said):
    """F3: 'Total,All,30512.5' was imported as a rating: scale 0.5-30512.5, every model off."""
    with pytest.raises(DataError) as err:
        from_csv(("user,movie,rating\n" + _rows() + last + "\n").encode(), save_as="totals")
    assert said in str(err.value) and "Delete" in str(err.value)
    assert not _stored("totals")


def test_a_far_outlier_imports_with_its_scale_declared():
    ds = from_csv(
        ("user,movie,rating\n" + _rows() + "99,1,45\n").encode(), rating_scale=(0.5, 45, 0.5)
    )
    assert ds.rating_scale.max == 45 and len(ds) == 601


def test_legitimate_data_still_imports():
    """A few 10s among 1-5 (2.25 times as wide: another common scale) are noted, not refused;
    numbered users beside one user 'me' are a merge, not a totals row."""
    rows = "".join(f"{u},{m},{(u + m) % 5 + 1}\n" for u in range(1, 61) for m in range(1, 11))
    ds = from_csv(("user,movie,rating\n" + rows + "7,1,10\n").encode())
    assert ds.rating_scale.max == 10 and any("outlying rating(s)" in w for w in ds.warnings)
    mine = "".join(f"me,{m},4\n" for m in range(1, 4))
    ds = from_csv(("user,movie,rating\n" + rows + mine).encode())
    assert len(ds) == 603 and "me" in ds.user_ids.tolist()
