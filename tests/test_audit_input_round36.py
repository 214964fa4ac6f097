"""Bad-input round 36 (ratings files from other programs) and views round 23 (keyboard and
screen-reader users), on Rate movies.

Round 36: a saved ratings file of which no rating could be read replaced the user's list with
nothing under a success box (F1); Excel's re-saves of that file (cp1252, UTF-16 "Unicode text",
German ``;`` and decimal commas) and .gz/.xlsx bytes were refused with a codec's message (F4);
a header line repeated mid-file was named as a second data set (F5). Views round 23: nothing
confirmed an Add, and focus fell to the document's top (F1); the "You among the users" chart
had no text equivalent (F2).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import test_audit_input_round29
from apptest_helpers import open_page

from movierate import explore, spreadsheet
from movierate.errors import DataError
from movierate.ui import your_ratings
from movierate.ui.state import data_tag
from movierate.ui.your_ratings import (
    movie_id_of,
    ratings_file,
    read_saved_ratings,
    you_among_users_text,
)

PAGE = "pages/rate.py"
#: Round 29's fixture of trained models, used here as it is.
round29_home = test_audit_input_round29.round29_home


@pytest.fixture
def home(round29_home: Path, monkeypatch) -> Path:
    """Round 29's home: ``ml4`` (ml-latest-small) and ``ml100`` (ml-100k), dim 4, 1 epoch."""
    monkeypatch.setenv("MOVIERATE_HOME", str(round29_home))
    return round29_home


def _model(name: str):
    from movierate import store

    return store.load_model(name)


#: Rows of ml-latest-small (Amélie is movie id 4973) and their ratings.
IDS, RATINGS = [1, 2, 3, 4973], [4.5, 3.0, 2.5, 5.0]


def _saved(model, ratings: list | None = None) -> pd.DataFrame:
    """What 'Save my ratings (CSV)' writes for IDS rated ``ratings`` (default RATINGS)."""
    titles = model.movies.set_index("movie_id")["title"]
    table = pd.DataFrame(
        {"movie_id": IDS, "title": [titles[i] for i in IDS], "your rating": ratings or RATINGS}
    )
    return ratings_file(model, table)


# --- round 36, F1: nothing readable is refused, the list untouched ---------------------------


@pytest.mark.parametrize(
    "cells", [["★★★★½", "★★★", "★★½", "★★★★★"], ["4.5/5", "3/5", "2/5", "5/5"]]
)
def test_a_file_with_no_readable_rating_is_refused(home, cells):
    model = _model("ml4")
    data = _saved(model, cells).to_csv(index=False).encode()
    with pytest.raises(DataError, match="No rating of this file can be used") as refused:
        read_saved_ratings(model, data)
    said = str(refused.value)
    assert "Skipped 4 row(s) that cannot be read" in said and "unchanged" in said


def test_rows_all_skipped_for_any_reason_are_refused(home):
    model = _model("ml4")
    for body in (
        "movie_id,your rating\n1,9\n2,-1\n",  # off the scale
        "movie_id,your rating\n999999991,4\n999999992,3\n",  # unknown ids
    ):
        with pytest.raises(DataError, match="No rating of this file can be used"):
            read_saved_ratings(model, body.encode())


def test_a_refused_load_leaves_the_list_and_shows_no_success(home, monkeypatch):
    """``load_saved``: an error kept for the page, and the link never rewritten."""
    model = _model("ml4")
    session: dict = {}
    upload = SimpleNamespace(
        name="stars.csv", getvalue=lambda: _saved(model, ["★"] * 4).to_csv(index=False).encode()
    )
    session["box"] = upload
    written: list = []
    monkeypatch.setattr(your_ratings.st, "session_state", session)
    monkeypatch.setattr(your_ratings, "_set_rated", lambda *args, **kw: written.append(args))
    for mode in your_ratings.LOAD_MODES:
        your_ratings.load_saved(model, {1: 4.0, 2: 3.0, 260: 5.0}, "box", mode)
        kind, message, _ = session[your_ratings._LOADED]
        assert kind == "error" and "stars.csv was not loaded" in message
    assert written == []


def test_a_link_whose_films_are_all_missing_here_is_kept(home):
    """The link's own path: ratings made on ml-100k, none of whose films ml-latest-small has,
    were written back as an empty list (the link lost them) when ml4 was opened."""
    ml100, ml4 = _model("ml100"), _model("ml4")
    row = next(
        r
        for r in range(len(ml100.movies))
        if explore.matching_row(ml100.movies, r, ml4.movies) is None
    )
    rated = f"{movie_id_of(ml100, row)}:4"
    at = open_page(PAGE, model="ml4", rated=rated, rated_on=data_tag(ml100))
    assert at.query_params["rated"] == rated
    assert at.query_params["rated_on"] == data_tag(ml100)
    assert any("None of your 1 ratings" in w.value for w in at.warning)


# --- round 36, F4: Excel's re-saves and compressed files -------------------------------------


def _excel_saves(model) -> dict[str, bytes]:
    table = _saved(model)
    comma = table.assign(**{"your rating": [f"{r:g}".replace(".", ",") for r in RATINGS]})
    return {
        "cp1252": table.to_csv(index=False).encode("cp1252"),
        "utf16": ("\ufeff" + table.to_csv(index=False, sep="\t")).encode("utf-16-le"),
        "german": ("sep=;\n" + comma.to_csv(index=False, sep=";")).encode("cp1252"),
        "quoted comma": comma.to_csv(index=False).encode(),
    }


def test_excel_re_saves_of_a_saved_file_load(home):
    model = _model("ml4")
    for kind, data in _excel_saves(model).items():
        loaded, notes = read_saved_ratings(model, data)
        assert loaded == dict(zip(IDS, RATINGS, strict=True)), kind
        said = " ".join(notes)
        if "comma" in kind or kind == "german":
            assert "decimal comma" in said, kind
        if kind in ("cp1252", "german"):
            assert "read as Windows text (cp1252)" in said, kind


def test_compressed_files_and_workbooks_are_named(home):
    model = _model("ml4")
    text = _saved(model).to_csv(index=False).encode()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    for data, said in (
        (gzip.compress(text), "gzip-compressed"),
        (packed.getvalue(), "Excel workbook"),
    ):
        with pytest.raises(DataError, match=said) as refused:
            read_saved_ratings(model, data)
        assert "codec" not in str(refused.value) and "position" not in str(refused.value)


# --- round 36, F5: a repeated header line ---------------------------------------------------


def test_a_header_repeated_mid_file_is_said_as_such(home):
    model = _model("ml4")
    text = spreadsheet.csv_text(_saved(model))
    header, rows = text.split("\n", 1)
    data = (text + header + "\n" + rows).encode()
    loaded, notes = read_saved_ratings(model, data)
    assert loaded == dict(zip(IDS, RATINGS, strict=True))
    said = " ".join(notes)
    assert f"header line repeated mid-file (line {len(IDS) + 2})" in said
    assert "data sets" not in said


# --- views round 23, F1: Add is confirmed and focus goes back to the search -----------------


def test_add_is_confirmed_with_the_film_and_the_count(home):
    model = _model("ml4")
    at = open_page(PAGE, model="ml4")
    for query, count in (("toy story", 1), ("jumanji", 2)):
        at.text_input(key="rate_q").set_value(query).run()
        row = at.selectbox(key="rate_pick").value
        rating = at.slider(key="rate_value").value
        at.button(key="rate_add").click().run()
        movie = model.movies.iloc[row]
        title = f"{movie['title']} ({int(movie['year'])})"
        (status,) = [s.value for s in at.success]
        assert title in status and f"{rating:g}" in status
        assert f"{count} rating{'s' if count > 1 else ''} in all" in status
        assert at.text_input(key="rate_q").value == ""
    scripts = [e for e in at.get("html") if "Find a movie to rate" in str(e.proto)]
    assert len(scripts) == 1 and ".focus()" in str(scripts[0].proto)
    at.run()  # said once: not again on the next rerun
    assert not at.success


# --- views round 23, F2: the users map's text equivalent ------------------------------------


def test_the_users_map_caption_says_where_you_sit():
    users = pd.DataFrame(
        {
            "x": [-1.0, 1.0, 0.0, 0.0, 3.0],
            "y": [0.0, 0.0, 1.0, -1.0, 0.0],
            "n_ratings": [5, 7, 9, 11, 400],
        }
    )
    you = np.array([2.5, 0.1])
    said = you_among_users_text(users, you)
    centre = users[["x", "y"]].to_numpy().mean(axis=0)
    mine = np.linalg.norm(you - centre)
    nearer = int((np.linalg.norm(users[["x", "y"]].to_numpy() - centre, axis=1) < mine).sum())
    assert "user PC 1 = 2.50, user PC 2 = 0.10" in said
    assert f"{nearer} of the 5 users" in said and "nearer the map's centre" in said
    assert f"median of {users['n_ratings'].median():.0f} training ratings" in said


def test_the_rate_page_captions_the_users_map(home):
    at = open_page(PAGE, model="ml4", rated="1:5,260:4,296:1")
    assert any(c.value.startswith("You (the star) sit at user PC 1 = ") for c in at.caption)


# --- round 36, F6: IMDb and Letterboxd exports -----------------------------------------------

#: Toy Story (1995, tt0114709), Heat (1995, tt0113277), and a film no MovieLens set holds.
IMDB = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Year\n"
    "tt0114709,8,2024-01-02,Toy Story,Toy Story,https://www.imdb.com/title/tt0114709,Movie,8.3,1995\n"
    "tt0113277,5,2024-01-02,Heat,Heat,https://www.imdb.com/title/tt0113277,Movie,8.3,1995\n"
    "tt9999998,10,2024-01-02,Not A Film Here,Not A Film Here,x,Movie,7,2031\n"
)
LETTERBOXD = (
    "Date,Name,Year,Letterboxd URI,Rating\n"
    "2024-01-02,Toy Story,1995,https://boxd.it/a,4.5\n"
    "2024-01-02,Heat,1995,https://boxd.it/b,2\n"
    "2024-01-02,Not A Film Here,2031,https://boxd.it/c,5\n"
    "2024-01-02,Seen Without A Rating,1995,https://boxd.it/d,\n"
)


def test_an_imdb_export_is_matched_and_halved(home):
    model = _model("ml4")  # ml-latest-small: IMDb ids from links.csv; 0.5-5
    loaded, notes = read_saved_ratings(model, IMDB.encode())
    assert loaded == {1: 8 / 2, 6: 5 / 2}  # Toy Story and Heat, by IMDb id
    said = " ".join(notes)
    assert "2 of its 3 rated films are in ml-latest-small" in said and "1 is not" in said
    assert "1-10 are moved onto 0.5-5" in said and "each rating halved" in said


def test_a_letterboxd_export_is_matched_by_title_and_year_onto_another_scale(home):
    model = _model("ml100")  # ml-100k: 1-5 in whole steps
    loaded, notes = read_saved_ratings(model, LETTERBOXD.encode())
    titles = model.movies.set_index("movie_id")["title"]
    assert {titles[m] for m in loaded} == {"Toy Story", "Heat"}
    lo, hi, _ = model.rating_scale
    expected = [round(lo + (r - 0.5) * (hi - lo) / 4.5) for r in (4.5, 2)]
    assert list(loaded.values()) == expected
    said = " ".join(notes)
    assert "matched by title and year" in said and "0.5-5 are moved onto 1-5" in said
    assert "1 row(s) hold no rating" in said


def test_an_export_with_no_film_here_is_refused(home):
    body = LETTERBOXD.splitlines()[0] + "\n2024-01-02,Not A Film Here,2031,x,5\n"
    with pytest.raises(DataError, match="No rating of this Letterboxd export can be used"):
        read_saved_ratings(_model("ml4"), body.encode())


def test_the_import_refusal_points_at_a_page_that_reads_the_export():
    from movierate.data.custom import from_csv

    for export in (IMDB, LETTERBOXD):
        with pytest.raises(DataError, match="'Load saved ratings \\(CSV\\)' reads this export"):
            from_csv(export.encode())
