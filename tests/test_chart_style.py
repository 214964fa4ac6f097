"""Chart colours and text readable by colour-blind eyes and from the back of a room (views
round 6: a lecturer on a 1024 px projector)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from movierate.ui import charts

#: Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB.
SIMULATIONS = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
}  # fmt: skip


def seen(colour: str, matrix: np.ndarray) -> np.ndarray:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    out = np.clip(matrix @ linear, 0, 1)
    return 255 * np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)


def test_the_first_eight_series_colours_differ_for_colour_blind_eyes():
    """The D3 orange and green that told two models apart came 25 apart (of 441) under
    simulated protanopia, a red and a brown 13; every pair of the first 8 is now 45 or more."""
    for name, matrix in SIMULATIONS.items():
        closest = min(
            np.linalg.norm(seen(a, matrix) - seen(b, matrix))
            for a, b in itertools.combinations(charts.PALETTE[:8], 2)
        )
        assert closest >= 45, (name, closest)


def test_every_chart_s_text_is_dark_and_13_px_or_more():
    curves = charts.curves_chart(
        {"m": {"stop_rmse": [1.0, 0.9]}}, ["stop_rmse"], title="t", y_title="RMSE"
    )
    heat = charts.heatmap_chart(pd.DataFrame(np.eye(2)), title="t")
    for spec in (curves, heat):
        axis = spec["config"]["axis"]
        assert axis["labelFontSize"] >= 13 and axis["labelColor"] == charts.TEXT
        assert spec["config"]["legend"]["labelColor"] == charts.TEXT


def test_plotly_figures_name_every_axis_s_font():
    """Streamlit's Plotly theme drew ticks and axis titles 12-14 px #808495 (views recheck 2)
    unless each axis names its font; a figure-wide font is not enough (checked in Chromium)."""
    from movierate.ui import explore_figures, figures

    users = pd.DataFrame(
        {"x": np.arange(5.0), "y": np.arange(5.0), "user_idx": range(5),
         "n_ratings": [1, 2, 3, 4, 5], "mean_rating": [3.0] * 5}
    )  # fmt: skip
    histogram = pd.DataFrame(
        {"bin_start": [1990, 2000], "bin_end": [2000, 2010], "n_selected": [1, 1],
         "n_rest": [1, 4], "share_selected": [0.5, 0.5], "share_rest": [0.2, 0.8]}
    )  # fmt: skip
    made = [
        explore_figures.users_figure(users, "n_ratings", "ratings"),
        figures.selection_histogram(histogram, title="t"),
    ]
    for fig in made:
        for axis in (fig.layout.xaxis, fig.layout.yaxis):
            assert axis.tickfont.color == charts.TEXT and axis.tickfont.size >= 13
            assert axis.title.font.color == charts.TEXT
        assert fig.layout.legend.font.color == charts.TEXT
    colour_bar = made[0].data[0].marker.colorbar
    assert colour_bar.tickfont.color == charts.TEXT and colour_bar.title.font.color == charts.TEXT


def test_dimension_report_legend_lists_only_drawn_series_in_fixed_colours():
    """Views (1024 px): the legend listed "held-out importance (RMSE rise when zeroed)", cut
    off, while no such bar was drawn (no held-out share when zeroing lowers the RMSE)."""
    dims = pd.DataFrame(
        {"heldout_share": [0.6, 0.4], "movie_variance_share": [0.5, 0.5],
         "user_variance_share": [0.3, 0.7]}
    )  # fmt: skip
    prefix = pd.DataFrame({"k": [0, 1, 2], "rmse_index": [1.0, 0.9, 0.8], "rmse_pca": [1.0] * 3})

    def scale(frame):
        bars, right = charts.dimension_report_charts(frame, prefix)
        colour = bars["encoding"]["color"]["scale"]
        # the full model's RMSE: a legend entry, in the legend's text style (views round 10:
        # a label drawn on the plot sat on the curve)
        (rule,) = [layer for layer in right["layer"] if layer["mark"] == "rule"]
        assert rule["encoding"]["color"]["scale"]["domain"][-1] == "all dims: 0.8000"
        assert right["config"]["legend"]["labelColor"] == charts.TEXT
        return dict(zip(colour["domain"], colour["range"], strict=True))

    drawn, without = scale(dims), scale(dims.assign(heldout_share=np.nan))
    assert list(drawn) == [
        "early-stopping-row importance", "movie variance (count-weighted)", "user variance"
    ]  # fmt: skip
    assert list(without) == list(drawn)[1:]
    assert all(without[label] == drawn[label] for label in without)


def test_long_model_names_share_their_prefix_once_and_the_plot_keeps_its_height():
    """Recheck: 57-character names all read "regularizer-comparison-ml10" at 1024 px, and six
    one-column legend rows took the Spectra charts' whole 360 px (no plot left)."""
    names = [f"regularizer-comparison-ml100k-u1-dim4-{v}-seed0" for v in ("none", "l2", "white")]
    frame = pd.DataFrame({"component": [1, 2], "share": [0.6, 0.4]})
    spec = charts.spectrum_chart({n: frame for n in names})
    legend = spec["encoding"]["color"]["legend"]
    assert legend["title"] == "regularizer-comparison-ml100k-u1-dim4-…"
    assert (
        legend["labelExpr"] == "replace(datum.label, 'regularizer-comparison-ml100k-u1-dim4-', '…')"
    )
    assert spec["autosize"]["type"] == "fit-x"  # the legend adds to the plot's height
    variance = pd.DataFrame({"variance": [1.0, 0.5], "share": [0.67, 0.33]}).rename_axis(
        "dimension"
    )
    assert charts.variance_chart({n: variance for n in names})["autosize"]["type"] == "fit-x"
    assert charts.shared_prefix(["ls-l2", "ls-white"]) == ""  # short: nothing to write once


def test_the_palette_s_black_is_the_page_s_text_colour_on_a_dark_page():
    """Recheck: the seventh model's curves were black on the dark theme."""
    black = charts.PALETTE.index("#000000")
    assert charts.colour(black) == charts.TEXT
    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT)
    try:
        assert charts.colour(black) == charts.DARK_TEXT and charts.colour(0) == charts.PALETTE[0]
    finally:
        charts.TEXT_COLOUR.reset(token)


def test_labels_on_white_boxes_keep_dark_text_on_a_dark_page():
    """Views round 9: the map's focus label and Rate's "you" were white text on white boxes in
    the dark theme."""
    from movierate.ui import explore_figures, figures

    users = pd.DataFrame(
        {"x": np.arange(5.0), "y": np.arange(5.0), "user_idx": range(5),
         "n_ratings": [1, 2, 3, 4, 5], "mean_rating": [3.0] * 5}
    )  # fmt: skip
    movies = pd.DataFrame(
        {"x": np.arange(3.0), "y": np.arange(3.0), "movie_idx": range(3),
         "title": ["A", "B", "C"], "genres": ["Drama"] * 3, "n_ratings": [5, 6, 7]}
    )  # fmt: skip
    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT)
    try:
        made = [
            explore_figures.users_figure(users, "n_ratings", "ratings", you=(1.0, 1.0)),
            figures.add_map_rings(go.Figure(), movies, focus=1, neighbours=[0, 2], matches=[2]),
        ]
    finally:
        charts.TEXT_COLOUR.reset(token)
    boxed = [a for fig in made for a in fig.layout.annotations if a.bgcolor]
    assert len(boxed) == 3  # you; the focus and the search match
    assert all(a.font.color == "#222" for a in boxed)
    rings = [t.marker.line.color for t in made[1].data]
    assert charts.DARK_TEXT in rings  # the neighbours' rings take the page's text colour


def test_ratings_show_the_decimals_their_scale_has():
    """Views round 9: a 1-10 whole-number rating read 10 in one table and 10.0 in the next."""
    from movierate.ui.your_ratings import _rating_format

    assert _rating_format((1.0, 10.0, 1.0)) == "%d"
    assert _rating_format((0.5, 5.0, 0.5)) == "%.1f"
    assert _rating_format((0.0, 1.0, 0.25)) == "%.2f"
    assert _rating_format((1.0, 5.0, 0.0)) == "%.2f"


def test_the_popularity_scatter_starts_its_x_axis_at_the_data():
    """Views round 9: with movies of 10+ ratings only, the axis began at 0 and the left ~60% of
    the plot was empty."""
    frame = pd.DataFrame(
        {"log_n_ratings": [1.04, 2.5], "norm": [1.0, 2.0], "title": ["A", "B"],
         "year": [1999, 2001], "n_ratings": [10, 315], "genres": ["Drama", "Comedy"]}
    )  # fmt: skip
    spec = charts.popularity_chart(frame, "norm")
    assert spec["encoding"]["x"]["scale"] == {"zero": False}


def test_dimension_report_bars_are_titled_by_what_they_draw():
    """Views round 12: with no held-out share drawn, the variance bars were still titled
    "Importance of each dimension" and read as each dimension's importance."""
    prefix = pd.DataFrame({"k": [0, 1], "rmse_index": [1.0, 0.9], "rmse_pca": [1.0, 0.9]})
    dims = pd.DataFrame(
        {"heldout_share": [1.0], "movie_variance_share": [1.0], "user_variance_share": [1.0]}
    )

    def title(frame):
        bars, _ = charts.dimension_report_charts(frame, prefix)
        text, subtitle = bars["title"]["text"], bars["title"].get("subtitle")
        return joined(text), joined(subtitle) if subtitle else None

    def joined(lines):
        return lines if isinstance(lines, str) else " ".join(lines)

    assert title(dims) == ("Importance of each dimension", None)
    shown, subtitle = title(dims.assign(heldout_share=np.nan))
    assert "importance" not in shown.lower() and shown.startswith("Variance share")
    assert "no early-stopping-row importance" in subtitle
    deep = dims.assign(heldout_share=np.nan, movie_input_share=[1.0])
    assert "importance" not in title(deep)[0].lower()
