"""Views round 26 on the Embeddings map: the Genre box shows the genre drawn after Isolate
(M2), a genre or years selected as a group (M3), the link's caption with uploaded coordinates
(L1), neighbours the isolated map cannot ring (L2) and the neighbour rings' ranks (L3)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, charts, open_page, until_map_ready
from test_app_explore import values

from movierate import store
from movierate.errors import DataError
from movierate.explore.validation import filter_counts, genre_lists
from movierate.ui import charts as chart_colours
from movierate.ui import figures, widgets

STAR = "/^star (wars|trek)/"


def _points(at) -> list[dict]:
    return [t for t in charts(at)[0]["data"] if t["type"] == "scattergl"]


def _on_map(min_ratings: int) -> pd.DataFrame:
    movies = store.load_model("small-mf").movies
    return movies[filter_counts(movies) >= min_ratings]


def _isolate_the_search(at) -> None:
    next(b for b in at.button if b.label.startswith("Select the ")).click().run()
    next(b for b in at.button if b.label.startswith("Isolate:")).click().run()
    until_map_ready(at)


# --- M2: the Genre box and the map agree after Isolate ----------------------------------------


def test_the_genre_box_keeps_its_genre_after_isolate_and_says_none_is_drawn(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="10", q=STAR)  # fmt: skip
    on_map = _on_map(10)
    group = on_map[on_map["title"].str.contains(r"^star (?:wars|trek)", case=False)]
    present = {g for gs in genre_lists(group) for g in gs}
    box = at.selectbox(key="map_genre")
    absent = next(g for g in box.options if g not in present)
    box.set_value(absent).run()
    options = list(at.selectbox(key="map_genre").options)
    _isolate_the_search(at)
    assert_clean(at)
    box = at.selectbox(key="map_genre")
    # the options did not change with the group (new options left the browser showing the old
    # genre while the server drew another) and the box still names the genre drawn
    assert list(box.options) == options
    assert box.value == absent
    names = [t["name"] for t in _points(at)]
    assert f"{absent} (0)" in names, names
    assert sum(len(values(t["x"])) for t in _points(at)) == len(group)
    assert any(
        f"None of the {len(group):,} movies on this map is {absent}" in c.value for c in at.caption
    )


# --- M3: a genre or years as a group ----------------------------------------------------------


def test_all_movies_of_the_genre_drawn_are_selected_and_isolated_with_one_button(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="40", colour="One genre")  # fmt: skip
    genre = at.selectbox(key="map_genre").value
    on_map = _on_map(40)
    truth = sorted(int(m) for m, gs in zip(on_map["movie_idx"], genre_lists(on_map),
                                           strict=True) if genre in gs)  # fmt: skip
    assert len(truth) > 5
    button = next(b for b in at.button if b.key == "map_select_genre")
    assert button.label == widgets.side_button_label(  # whole beside the map (views round 36)
        f"Select the {len(truth):,} {genre} movies", f"Select {len(truth):,} {genre}",
        f"Select all {len(truth):,}",
    )  # fmt: skip
    assert f"genre:{genre}" in button.help
    button.click().run()
    assert_clean(at)
    assert at.session_state["map_selection"]["small-mf|pca"] == truth
    assert any(f"Selection: {len(truth):,} movies" in s.value for s in at.header)
    next(b for b in at.button if b.label.startswith("Isolate:")).click().run()
    until_map_ready(at)
    assert sum(len(values(t["x"])) for t in _points(at)) == len(truth)


def test_find_a_movie_searches_a_genre_or_years_and_says_a_bad_one(trained_home):
    on_map = _on_map(40)
    lists = genre_lists(on_map)
    genre = max({g for gs in lists for g in gs}, key=lambda g: sum(g in gs for gs in lists))
    in_genre = sum(genre in gs for gs in lists)
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="40", q=f"genre:{genre.lower()}")  # fmt: skip
    assert any(f"{in_genre:,} movies on the map are {genre}" in c.value for c in at.caption)
    button = next(b for b in at.button if b.label.startswith("Select the "))
    assert button.label == f"Select the {in_genre:,} matches"
    assert "genre:Horror" in at.text_input(key="q").help

    years = pd.to_numeric(on_map["year"], errors="coerce")
    in_years = int(years.between(1990, 1994).sum())
    at.text_input(key="q").set_value("year:1990-1994").run()
    assert_clean(at)
    assert any(f"{in_years:,} movies on the map are from 1990 to 1994" in c.value
               for c in at.caption)  # fmt: skip

    at.text_input(key="q").set_value("genre:Nonsense").run()  # said, no stack trace
    assert not at.exception
    assert any("No movie has the genre 'Nonsense'" in w.value and genre in w.value
               for w in at.warning)  # fmt: skip


def test_group_search_reads_genres_and_year_ranges_and_names_bad_ones():
    from movierate.explore.search import TitleIndex, group_search

    movies = pd.DataFrame(
        {
            "movie_idx": range(4),
            "movie_id": range(1, 5),
            "title": ["A", "B", "C", "D"],
            "year": [1989, 1990, 1999, np.nan],
            "genres": [["Horror"], ["Drama", "Horror"], ["Drama"], []],
            "n_ratings": [5, 5, 5, 5],
        }
    )
    rows, what = group_search(movies, " Genre : horror ")
    assert rows.tolist() == [0, 1] and what == "Horror"
    assert group_search(movies, "year:1999-1990")[0].tolist() == [1, 2]
    assert group_search(movies, "year:1989")[1] == "from 1989"
    assert group_search(movies, "horror") is None  # a title search
    with pytest.raises(DataError, match="Drama, Horror"):
        group_search(movies, "genre:comedy")
    with pytest.raises(DataError, match=re.escape("year:1990-1999")):
        group_search(movies, "year:nineties")
    found = widgets.map_matches(TitleIndex(movies), "genre:drama", within=[2, 3])
    assert (found.rows, found.off_map, found.reading) == ([2], 1, "group")
    text = widgets.map_matches_text(found, "genre:drama")
    assert text.startswith("1 movie on the map is Drama;")
    assert "1 more match is not on the map" in text


# --- L1 and L2: uploaded coordinates and an isolated group ------------------------------------


def test_the_link_with_uploaded_coordinates_says_it_opens_the_models_own_map(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="40")  # fmt: skip
    csv = b"movie_id,x,y\n1,0.0,0.0\n2,1.0,0.5\n3,-1.0,2.0\n"
    at.file_uploader(key="coords_upload").upload("coords.csv", csv, "text/csv").run()
    assert_clean(at)
    captions = [c.value for c in at.caption]
    assert any(
        "It does not hold your uploaded coordinates: it opens this model's PCA map" in c
        and "Send the CSV too" in c
        for c in captions
    ), captions
    assert not any("isolated group" in c for c in captions)


def test_neighbours_off_an_isolated_map_are_said_and_the_ringed_ones_carry_ranks(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="10", q=STAR)  # fmt: skip
    ranked = [t for t in charts(at)[0]["data"] if t.get("mode") == "markers+text"]
    assert sorted(int(r) for r in ranked[0]["text"]) == list(range(1, 11))  # all on the map
    assert not any(re.match(r"(None of these \d|Only numbers? \d)", c.value) for c in at.caption)
    _isolate_the_search(at)
    ranked = [t for t in charts(at)[0]["data"] if t.get("mode") == "markers+text"]
    ringed = {int(r) for t in ranked for r in t["text"]}
    note = next(
        c.value for c in at.caption if re.match(r"(None of these \d|Only numbers? \d)", c.value)
    )
    said = (
        set()
        if note.startswith("None of these 10")
        else {int(n) for n in re.findall(r"\d+", note.split(" of these")[0])}
    )
    assert "(outside the isolated group)" in note
    assert said == ringed


# --- L3: the ranks on the rings ---------------------------------------------------------------


@pytest.fixture(params=[chart_colours.TEXT, chart_colours.DARK_TEXT], ids=["light", "dark"])
def page(request):
    """The page's theme while a test builds its figure; yields the page's colour."""
    token = chart_colours.TEXT_COLOUR.set(request.param)
    yield chart_colours.page()
    chart_colours.TEXT_COLOUR.reset(token)


def test_each_neighbour_ring_carries_its_rank_readable_on_the_page(page):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "movie_idx": np.arange(12),
            "title": [f"Film {i}" for i in range(12)],
            "x": rng.normal(size=12),
            "y": rng.normal(size=12),
        }
    )
    fig = figures.add_map_rings(figures.go.Figure(), frame, 0, [7, 3, 11, 5])
    ranked = [t for t in fig.data if t.mode == "markers+text"]
    assert len(ranked) == 1
    trace = ranked[0]
    where = dict(zip(zip(trace.x, trace.y, strict=True), trace.text, strict=True))
    for rank, movie in enumerate([7, 3, 11, 5], start=1):
        row = frame.loc[movie]
        assert where[(row.x, row.y)] == str(rank)
    assert chart_colours.contrast(trace.textfont.color, page) >= chart_colours.MIN_CONTRAST
