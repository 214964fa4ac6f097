"""Views round 33 (a phone and a tablet): chart titles start at the chart's left edge below
Plotly's mode bar, the Rate page's users map has a colour bar under it and axes fitted to its
points, and a table's toolbar keeps off the line above it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from movierate.ui import explore_figures, figures


def _users(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.uniform(-0.6, 0.8, n), "y": rng.uniform(-1.2, 1.0, n), "user_idx": range(n),
         "n_ratings": rng.integers(20, 2000, n), "mean_rating": rng.uniform(2, 5, n),
         "occupation": rng.choice(["writer", "artist", "other"], n)}
    )  # fmt: skip


# --- F1: a title starts at the chart's left edge, under the mode bar --------------------------
@pytest.mark.parametrize("height", [None, 560])
def test_a_title_starts_at_the_chart_s_edge_below_the_mode_bar(height):
    """F1: the title sat after the y axis's margin (x=0 of the plot, 75-100 px in), so its
    lines ran off a phone's screen, and in the strip of the mode bar, which a touch screen shows
    all the time ("b8 (ml-lat[icons]"). It now starts at the container's left edge and below
    the mode bar's strip, and the figure grows by that strip so the plot keeps its size."""
    parts = [
        "b8 (ml-latest-small)",
        "custom axes",
        "1,958 movies with at least 10 training ratings",
    ]
    fig = figures.titled(go.Figure(layout={"height": height, "margin": {"t": 40}}), *parts)
    title = fig.layout.title
    assert (title.xref, title.x, title.xanchor) == ("container", 0, "left")
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
    assert title.pad.t >= figures.MODE_BAR + figures.TITLE_PAD  # the first line under the bar
    lines = title.text.count("<br>") + 1
    assert fig.layout.margin.t == 40 + figures.TITLE_PAD + figures.MODE_BAR + 16 * lines
    assert fig.layout.height == (None if height is None else height + figures.MODE_BAR)


# --- F2: the users map on a narrow column ----------------------------------------------------
def test_the_users_map_s_colour_bar_lies_under_the_plot():
    """F2: a vertical colour bar with its title beside it took half of a phone's width (a
    64-120 px plot) and cut its title; it is now a horizontal bar under the plot, its title
    under it."""
    fig = explore_figures.users_figure(_users(), "n_ratings", "ratings (activity)")
    bar = fig.data[0].marker.colorbar
    assert bar.orientation == "h" and (bar.yref, bar.y, bar.yanchor) == ("container", 0, "bottom")
    assert bar.title.side == "bottom" and bar.title.text == "log10 ratings (activity)"
    assert bar.len == 1 and bar.x == 0 and bar.xanchor == "left"  # as wide as the plot


@pytest.mark.parametrize("you", [None, (0.1, 0.02), (2.5, -3.0)])
@pytest.mark.parametrize("colour", ["n_ratings", "occupation"])
def test_the_users_map_s_axes_fit_its_points_and_you(you, colour):
    """F2: Plotly's autorange made room for the "you" label in pixels, which on a narrow plot
    ran x from -1 to 4 around points between -0.6 and 0.8; each axis now spans the points and
    the star, with a little room around them."""
    users = _users()
    fig = explore_figures.users_figure(users, colour, colour, you=you)
    for axis, column, k in ((fig.layout.xaxis, "x", 0), (fig.layout.yaxis, "y", 1)):
        shown = [*users[column], *([] if you is None else [you[k]])]
        lo, hi = min(shown), max(shown)
        assert axis.range[0] < lo and axis.range[1] > hi  # every point and the star inside
        assert axis.range[1] - axis.range[0] <= 1.2 * (hi - lo)  # and not much more


def test_a_fitted_range_of_one_value_or_none_is_a_usable_range():
    """F2: one user (or one value repeated) or no finite value still gives a range."""
    assert explore_figures.fitted_range([0.3, 0.3]) == [-0.2, 0.8]
    assert explore_figures.fitted_range([np.nan, np.inf]) == [-1.0, 1.0]


# --- F3: a table's toolbar keeps off the line above --------------------------------------------
def _captioned_table() -> None:
    import pandas as pd
    import streamlit as st

    from movierate.ui import widgets

    st.caption("Over the movies with at least 10 training ratings.")
    widgets.show_table(pd.DataFrame({"model": ["a"], "x": [1.0]}), hide_index=True)


def test_a_table_has_a_gap_above_it_for_its_toolbar():
    """F3: on a touch screen the grid's toolbar (44 px above the table) covered the end of the
    caption above it; every table now has a space above it that leaves the toolbar room."""
    at = AppTest.from_function(_captioned_table).run()
    assert not at.exception
    kinds = [type(element).__name__ for element in at.main.children.values()]
    assert kinds[kinds.index("Dataframe") - 1] == "Space"
