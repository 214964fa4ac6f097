"""Every chart that tells categories apart by colour has a second cue, a marker shape, wherever
two colours that appear together look alike for deuteranopia, protanopia, tritanopia or
achromatopsia (views round 17: the users map's 21 occupations in hue alone, the genre map's
Comedy / Adventure circles, custom axes' set A / set B / both in one grey)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cvd import clashes, delta_e
from test_explore_helpers import movies_table

from movierate.explore.projection import map_frame
from movierate.ui import charts

#: Genre names that never share a map: one data set's spelling of another's.
ALIASES = {"Children's", "unknown", "(no genres listed)"}


def _markers(fig) -> dict[str, tuple[str, str]]:
    """Each trace's legend name -> (colour, symbol), as drawn."""
    return {
        t.name: (t.marker.color, t.marker.symbol or "circle")
        for t in fig.data
        if t.name and isinstance(t.marker.color, str)
    }


@pytest.fixture(params=["light", "dark"])
def theme(request):
    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT if request.param == "dark" else charts.TEXT)
    yield request.param
    charts.TEXT_COLOUR.reset(token)


def test_the_checker_sees_the_collisions_the_review_found():
    assert (
        delta_e("#e6ab02", "#ff7f0e", "deuteranopia") < 12 < delta_e("#e6ab02", "#ff7f0e", "normal")
    )
    old = {"Comedy": ("#e6ab02", "circle"), "Adventure": ("#ff7f0e", "circle")}
    assert [row[:2] for row in clashes(old)] == [("Comedy", "Adventure")]
    assert clashes({**old, "Adventure": ("#ff7f0e", "square")}) == []


def test_no_two_genres_of_the_table_look_alike_in_one_shape():
    """Every genre can share a map with every other, so every pair is checked."""
    from movierate.ui.figures import GENRE_COLOURS, genre_symbol

    genres = [g for g in GENRE_COLOURS if g not in ALIASES | {"IMAX"}]
    assert clashes({g: (GENRE_COLOURS[g], genre_symbol(g)) for g in genres}) == []
    with_imax = [g for g in GENRE_COLOURS if g not in ALIASES]  # the one-genre list
    assert len({genre_symbol(g) for g in with_imax}) > 4


def test_the_genre_map_draws_each_genre_in_its_shape_with_the_shape_in_the_legend():
    from movierate.ui.figures import GENRE_COLOURS, tsne_scatter

    genres = [g for g in GENRE_COLOURS if g not in ALIASES | {"IMAX", "(none)"}]
    n = len(genres)
    movies = movies_table(n, genres=[[g] for g in genres])
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    fig = tsne_scatter(map_frame(x[:, :2], np.arange(n), x, movies), "genre")
    drawn = _markers(fig)
    assert set(drawn) == set(genres) and clashes(drawn) == []
    assert fig.layout.legend.itemsizing == "constant"


def test_custom_axes_groups_differ_in_shape_large_and_small(theme):
    from movierate.ui.explore_figures import axes_figure

    for per_group in (5, 100):  # small sets (outlined) and genre-sized ones
        groups = ["", "A", "B", "A+B", "C", "D", "C+D"]
        frame = movies_table(per_group * len(groups))
        frame = frame.assign(
            group=np.repeat(groups, per_group),
            x=np.random.default_rng(1).normal(size=len(frame)),
            y=np.random.default_rng(2).normal(size=len(frame)),
        )
        drawn = _markers(axes_figure(frame, "x", "y"))
        assert len(drawn) == len(groups) and clashes(drawn) == [], drawn
        assert len({symbol for _, symbol in drawn.values()}) >= len(groups) - 1


def _users(categories: list[str], sizes: list[int]) -> pd.DataFrame:
    labels = np.repeat(categories, sizes)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=len(labels)),
            "y": rng.normal(size=len(labels)),
            "user_idx": np.arange(len(labels)),
            "user_id": np.arange(len(labels)) + 1,
            "n_ratings": 20,
            "mean_rating": 3.5,
            "occupation": labels,
        }
    )


def test_users_map_shows_the_commonest_categories_in_shapes_and_the_rest_grey(theme):
    from movierate.ui.explore_figures import MAX_USER_CATEGORIES, users_figure

    names = [f"job{i}" for i in range(21)]
    fig = users_figure(_users(names, list(range(60, 18, -2))), "occupation", "occupation")
    drawn = _markers(fig)
    assert clashes(drawn) == []
    shown = [name for name in drawn if "rarer" not in name]
    assert shown == names[:MAX_USER_CATEGORIES]
    other = next(t for t in fig.data if "rarer" in t.name)
    assert other.name == f"{21 - MAX_USER_CATEGORIES} rarer ones ({len(other.x):,} users)"
    assert other.text[-1].startswith("job20<br>user ")  # the hover names each one's category
    assert "the rest grey" in fig.layout.legend.title.text


def _contrast(colour: str, background: str) -> float:
    def luminance(code: str) -> float:
        rgb = np.array([int(code.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
        linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_users_map_shapes_stand_out_on_the_dark_page_too():
    """The dark theme's page (#0E1117): the palette's wine star (contrast 2.2) was hard to see."""
    from movierate.ui.explore_figures import users_figure

    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT)
    try:
        fig = users_figure(_users([f"j{i}" for i in range(9)], [20] * 9), "occupation", "job")
    finally:
        charts.TEXT_COLOUR.reset(token)
    assert all(_contrast(colour, "#0E1117") > 2.5 for colour, _ in _markers(fig).values())


def test_users_map_with_few_categories_has_no_other():
    from movierate.ui.explore_figures import users_figure

    fig = users_figure(_users(["F", "M"], [30, 70]), "occupation", "gender")
    assert [t.name for t in fig.data] == ["M", "F"]
    assert clashes(_markers(fig)) == [] and fig.layout.legend.title.text == "gender"
