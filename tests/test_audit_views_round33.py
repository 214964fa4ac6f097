"""Views round 33 (a phone and a tablet): chart titles start at the chart's left edge below
Plotly's mode bar, the Rate page's users map has a colour bar under it and axes fitted to its
points, and a table's toolbar keeps off the line above it."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from movierate.ui import figures


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
