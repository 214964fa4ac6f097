"""Right-to-left text in the dashboard's tables (views round 11): the grid right-aligned a
Hebrew or Arabic title and a column's right edge cut it to nothing, so every table shows such
text with a leading LEFT-TO-RIGHT MARK and isolated, on display only."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from movierate.ui.text import table_cell, table_cells

ROOT = Path(__file__).resolve().parents[1]
LRM, FSI, PDI = "\u200e", "\u2068", "\u2069"
HEBREW, ARABIC = "סרט 987", "فيلم 458"


@pytest.mark.parametrize(
    "title", [HEBREW, ARABIC, "(סרט) 5", "123 فيلم", "«ואלס עם באשיר»", "סרט: Part 2"]
)
def test_a_title_that_starts_right_to_left_is_marked_left_to_right_and_isolated(title):
    assert table_cell(title) == f"{LRM}{FSI}{title}{PDI}"


@pytest.mark.parametrize(
    "value", ["Amélie (2001)", "Mixed עברית and English", "123", "", "千と千尋", None, 3, 0.5]
)
def test_left_to_right_text_and_other_values_stay_as_they_are(value):
    assert table_cell(value) is value


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://x")', "=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx"]
)
def test_a_title_that_starts_like_a_formula_is_shown_behind_a_mark_a_spreadsheet_reads_as_text(
    title,
):
    """Streamlit's own "Download as CSV" on every table writes the cells as shown (views
    round 11 left it unguarded): the shown cell must not start like a formula."""
    from movierate.spreadsheet import FORMULA_STARTS

    shown = table_cell(title)
    assert shown == LRM + title and not shown.startswith(FORMULA_STARTS)


def test_table_cells_marks_text_columns_categories_and_the_index_but_not_the_data():
    frame = pd.DataFrame(
        {
            "title": [HEBREW, "Toy Story", None],
            "n": [1, 2, 3],
            "group": pd.Categorical([ARABIC, "a", "a"]),
            "genres": [["Drama"], [], ["Comedy"]],
        },
        index=[ARABIC, "b", "c"],
    )
    before = frame.copy()
    shown = table_cells(frame)
    assert shown["title"].tolist()[:2] == [f"{LRM}{FSI}{HEBREW}{PDI}", "Toy Story"]
    assert shown["group"].tolist() == [f"{LRM}{FSI}{ARABIC}{PDI}", "a", "a"]
    assert shown.index[0] == f"{LRM}{FSI}{ARABIC}{PDI}"
    assert (
        shown["n"].tolist() == [1, 2, 3] and shown["genres"].tolist() == before["genres"].tolist()
    )
    pd.testing.assert_frame_equal(frame, before)  # the data itself keeps no mark


def _tables_page():
    import pandas as pd

    from movierate.ui import widgets

    movies = pd.DataFrame(
        {"movie_idx": [0, 1], "title": ["סרט 987", "Toy Story"], "n_ratings": [5, 6]}
    )
    widgets.show_movies(movies, key="movies")
    widgets.show_table(
        pd.DataFrame({"model": ["فيلم", "=1+2"], "test RMSE": [0.9, 1]}), key="models"
    )


def test_every_table_the_pages_draw_shows_right_to_left_titles_whole():
    at = AppTest.from_function(_tables_page).run()
    assert not at.exception
    movies, models = (d.value for d in at.dataframe)
    assert movies["title"].tolist() == [f"{LRM}{FSI}{HEBREW}{PDI}", "Toy Story"]
    assert models["model"].tolist() == [f"{LRM}{FSI}فيلم{PDI}", f"{LRM}=1+2"]


def test_no_page_draws_a_table_around_show_table():
    """Every table goes through ``widgets.show_table`` (the class of the fault, not the one
    table the review saw); the ratings editor marks its titles itself."""
    direct = []
    for path in [*ROOT.glob("movierate/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"st\.(dataframe|data_editor|table)\(", source):
            line = source.count("\n", 0, match.start()) + 1
            direct.append(f"{path.relative_to(ROOT)}:{match.group(1)}")
            if match.group(1) == "data_editor":
                call = source[match.start() : match.start() + 400]
                assert "table_cell" in call, f"{path}:{line} shows titles unmarked"
    assert sorted(direct) == [
        "movierate/ui/widgets.py:dataframe",
        "movierate/ui/your_ratings.py:data_editor",
    ]


@pytest.mark.parametrize("first", [HEBREW, ARABIC, "=1+2", "Toy Story"])
def test_a_cell_of_several_titles_is_left_to_right_with_each_title_isolated(first):
    """Views round 12: Rate's 'because' cell that began with a Hebrew title was drawn right to
    left as a whole (its commas led the items, each note sat on the wrong side of its title)."""
    from movierate.ui.text import titles_cell

    cell = titles_cell([(first, "(rated 5: +0.59)"), ("Heat", "(rated 2: +0.10)")])
    assert cell == f"{LRM}{FSI}{first}{PDI} (rated 5: +0.59), {FSI}Heat{PDI} (rated 2: +0.10)"
    assert table_cell(cell) is cell  # shown as it is: left to right, formula-safe
    # a title's own isolate controls cannot end the isolate early
    sneaky = titles_cell([(f"a{PDI}\u202eb", "(rated 1: +0.01)")])
    assert sneaky.count(FSI) == sneaky.count(PDI) == 1 and "\u202e" not in sneaky


def test_rate_shows_each_because_title_isolated_and_keeps_the_data_plain(trained_home):
    from apptest_helpers import open_page

    from movierate import explore, store

    at = open_page("pages/rate.py", model="small-mf", rated="1:5,50:4,100:1")
    recs = next(d.value for d in at.dataframe if "because" in d.value.columns)
    named = [cell for cell in recs["because"] if cell]
    assert named and all(cell.startswith(LRM + FSI) for cell in named)
    assert all(cell.count(FSI) == cell.count(PDI) == cell.count(" (rated ") for cell in named)
    model = store.load_model("small-mf")
    data = explore.recommend_from_ratings(model, {0: 5.0, 1: 4.0, 2: 1.0})
    assert not any(FSI in text or LRM in text for text in data.recommended["because"])
