"""Views round 22 (small screens, the dark theme): Explore's legends under the plot, every
fixed chart colour readable on both themes' pages, Recommend's two tables at 1024 px, the
heatmap's whole colour-scale title, fewer "moved most" labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, open_page
from test_cvd_markers import _users
from test_explore_helpers import movies_table
from test_views_round13_phone import map_frame

from movierate.ui import charts, explore_figures, figures, shell


def _pairs(n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two models' common movies in one frame, and the 15 that moved most."""
    rng = np.random.default_rng(0)
    pairs = movies_table(n).assign(
        x_a=rng.normal(size=n), y_a=rng.normal(size=n), x_b=rng.normal(size=n),
        y_b=rng.normal(size=n),
    )  # fmt: skip
    moved = pairs.assign(shift=np.hypot(pairs.x_a - pairs.x_b, pairs.y_a - pairs.y_b))
    return pairs, moved.nlargest(15, "shift")


def _axes(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    groups = np.array(["", "A", "B", "A+B"])[np.arange(n) % 4]
    return movies_table(n).assign(group=groups, x=rng.normal(size=n), y=rng.normal(size=n))


def test_explore_figures_put_their_legend_under_the_plot_as_the_maps_do():
    """F1: the default legend at the right squeezed custom axes to ~50 px on a phone."""
    built = [
        explore_figures.axes_figure(_axes(), "Comedy → Drama", "y"),
        explore_figures.users_figure(_users(["F", "M"], [30, 70]), "occupation", "gender"),
        explore_figures.aligned_figure(*_pairs(), ("A", "B")),
        figures.tsne_scatter(map_frame(), "genre"),
        figures.tsne_scatter(map_frame(), "genre:Horror"),
    ]
    for fig in built:
        legend = fig.layout.legend
        assert legend.orientation == "h" and legend.title.side == "top"
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert built[1].layout.legend.title.text == "gender"  # a title set apart survives


def test_the_heatmap_legend_title_shows_both_ends_of_the_scale():
    """F4: Vega's default 180 px title limit cut "colour scale: −0.00641 to +0.00…"."""
    matrix = pd.DataFrame(np.array([[0.00641, -1.23e-5], [-1.23e-5, 0.002]]))
    for limit in (None, 0.00641, 1.23456e-5):
        spec = charts.heatmap_chart(matrix, title="Covariance", fixed_range=limit)
        colour = spec["encoding"]["color"]
        assert colour["legend"]["titleLimit"] >= 10 * len(colour["title"])  # 13 px text


@pytest.fixture(params=[charts.TEXT, charts.DARK_TEXT], ids=["light", "dark"])
def page(request):
    """The page's theme while a test builds its charts; yields the page's colour."""
    token = charts.TEXT_COLOUR.set(request.param)
    yield charts.page()
    charts.TEXT_COLOUR.reset(token)


def _faint_marks(fig, page: str) -> list[tuple[str, str]]:
    """(trace, colour) of each mark under 3:1 against ``page``: a marker whose fill has less
    and no outline that has more, a line, a colour scale's stop."""
    faint = []

    def check(name: str, colour) -> None:
        if isinstance(colour, str) and colour.startswith("#") and charts.contrast(colour, page) < 3:
            faint.append((name, colour))

    for trace in fig.to_plotly_json()["data"]:
        name = str(trace.get("name"))
        marker, line = trace.get("marker", {}), trace.get("line", {})
        edge = marker.get("line", {})
        drawn_edge = edge.get("width") and str(edge.get("color")).startswith("#")
        if not (drawn_edge and charts.contrast(edge["color"], page) >= 3):
            check(name, marker.get("color"))
        check(name, edge.get("color") if edge.get("width") else None)
        check(name, line.get("color"))
        for _, stop in list(trace.get("colorscale") or []) + list(marker.get("colorscale") or []):
            check(name, stop)
    return faint


def _every_figure() -> list:
    pairs, moved = _pairs()
    frame = map_frame().assign(
        genres=[[g] for g in np.resize(list(figures.GENRE_COLOURS), len(map_frame()))]
    )
    built = [
        explore_figures.axes_figure(_axes(), "x", "y"),
        explore_figures.aligned_figure(pairs, moved, ("A", "B"), focus=int(pairs.movie_idx[0])),
        explore_figures.users_figure(
            _users([f"j{i}" for i in range(12)], [9] * 12), "occupation", "job"
        ),
        explore_figures.users_figure(_users(["F"], [50]), "n_ratings", "ratings"),
        figures.add_map_rings(
            figures.tsne_scatter(frame, "genre"), frame, 0, [1, 2], matches=[3, 4], selected=[5]
        ),
        figures.tsne_scatter(frame, "year"),
    ]
    return built + [figures.tsne_scatter(frame, f"genre:{g}") for g in figures.GENRE_COLOURS]


def test_every_colour_a_figure_draws_has_3_to_1_against_its_page(page):
    """F2: Horror #7f0000 (1.7:1), Film-Noir #252525 (1.2:1), the "moved most" lines #222
    (1.2:1) and Viridis' low end (#440154, 1.2:1) vanished on the dark page; the pale genres
    (Children #f2a7d3, 1.9:1) and the orange series (2.2:1) are as faint on white."""
    assert [mark for fig in _every_figure() for mark in _faint_marks(fig, page)] == []


def _keyed_blocks(node, prefix: str) -> list:
    """The blocks under ``node`` whose key starts with ``prefix``."""
    found = []
    for child in getattr(node, "children", {}).values():
        block_id = getattr(getattr(child, "proto", None), "id", "")
        if isinstance(block_id, str) and f"-{prefix}" in block_id:
            found.append(child)
        found += _keyed_blocks(child, prefix)
    return found


def test_recommend_s_side_by_side_tables_wrap_to_a_row_each_when_too_narrow(trained_home):
    """F3: two tables side by side at 1024 px were 266 px each, and the pinned title hid
    'predicted'; each sits in a shell.WIDE_FIGURE container, whose column takes a row of its
    own below shell.WIDE_FIGURE_REM (a 1024x768 screenshot: one above the other, every
    column shown; 1280 px: still side by side)."""
    at = open_page("pages/recommend.py", models=["small-mf", "small-deep"], user="1")
    assert_clean(at)
    blocks = _keyed_blocks(at._tree, f"{shell.WIDE_FIGURE}recs-")
    assert len(blocks) == 2
    assert all(len(block.dataframe) >= 1 for block in blocks)  # a model's tables
    assert f'[class*="st-key-{shell.WIDE_FIGURE}"]' in shell.PAGE_CSS


def test_two_models_frame_labels_the_five_that_moved_most_and_the_rest_on_hover():
    """F5: 15 labels piled up in a 150 x 80 px patch; the first five (the moved most) are
    labelled, every one keeps its title in the hover and its movie for a click."""
    pairs, moved = _pairs()
    fig = explore_figures.aligned_figure(pairs, moved, ("A", "B"))
    ends = next(t for t in fig.data if t.hovertemplate and "moved most" in t.hovertemplate)
    labelled = [a.text for a in fig.layout.annotations]
    assert len(labelled) == explore_figures.MOVED_LABELS == 5
    assert labelled == [t[:28] for t in moved["title"][:5]]
    # the recheck: five labels at their B ends still piled up in B's cloud; each sits at the
    # end farther from the frame's middle, on its outer side
    cx, cy = pairs["x_a"].mean(), pairs["y_a"].mean()
    for note, row in zip(fig.layout.annotations, moved.head(5).itertuples(), strict=True):
        both = {(row.x_a, row.y_a), (row.x_b, row.y_b)}
        far = max(both, key=lambda e: (e[0] - cx) ** 2 + (e[1] - cy) ** 2)
        assert (note.x, note.y) == far
        assert note.xanchor == ("left" if far[0] >= cx else "right")
    assert [row[1] for row in ends.customdata] == list(moved["title"])
    assert [int(row[0]) for row in ends.customdata] == list(moved["movie_idx"])
