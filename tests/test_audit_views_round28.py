"""Views round 28 (colour-vision deficiency and grey-scale print): every category a chart names
reads without hue, checked on the figures the pages draw, in both themes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from cvd import MACHADO, MIN_DELTA_E, delta_e
from test_views_round13_phone import map_frame
from test_views_round22 import _pairs

from movierate.ui import charts, explore_figures, figures


@pytest.fixture(params=[charts.TEXT, charts.DARK_TEXT], ids=["light", "dark"])
def theme(request):
    """The page's theme while a test builds its charts; yields the chart text colour."""
    token = charts.TEXT_COLOUR.set(request.param)
    yield request.param
    charts.TEXT_COLOUR.reset(token)


@pytest.mark.parametrize("genre", ["IMAX", "Children", "Western", "Horror"])
def test_one_genre_map_tells_the_genre_from_the_rest_by_shape_and_outline(theme, genre):
    """F1: IMAX's pale blue circles over the grey circles of the other movies were one grey."""
    frame = map_frame(60).assign(genres=[[genre] if i % 4 == 0 else ["Drama"] for i in range(60)])
    rest, chosen = figures.tsne_scatter(frame, f"genre:{genre}").data[:2]
    assert (rest.name, chosen.name) == ("other movies (45)", f"{genre} (15)")  # as before
    assert rest.marker.symbol.endswith("-open") and not chosen.marker.symbol.endswith("-open")
    assert chosen.marker.symbol == figures.genre_symbol(genre)
    assert chosen.marker.color == figures.genre_colour(genre)
    assert chosen.marker.line.width >= 1.5 and chosen.marker.line.color == theme
    assert charts.contrast(chosen.marker.line.color, charts.page()) >= 4.5
    assert "%{customdata[1]}" in chosen.hovertemplate  # the hover is kept


def _sign_layer(spec: dict) -> dict | None:
    texts = [layer for layer in spec["layer"] if layer["mark"] != "rect"]
    return texts[0] if texts else None


def test_heatmap_cells_carry_their_sign_up_to_32_dimensions(theme):
    """F2: red-blue is symmetric in lightness: +0.04 and -0.04 printed as one grey."""
    rng = np.random.default_rng(0)
    cov = pd.DataFrame(rng.normal(size=(16, 16)) * 0.02)
    cov.iloc[0, 1], cov.iloc[1, 0] = 1e-6, -0.04  # near 0: blank; the scale's end: white
    specs = [charts.heatmap_chart(cov, title="Covariance")]  # Embeddings
    specs += charts.heatmap_charts({"A": cov, "B": -cov})  # Compare
    for spec in specs:
        layer = _sign_layer(spec)
        assert layer is not None and layer["encoding"]["text"] == {"field": "sign"}
        limit = spec["encoding"]["color"]["scale"]["domain"][1]
        for row in spec["data"]["values"]:
            strong = abs(row["v"]) >= charts.SIGN_FROM * limit
            assert row["sign"] == ("" if not strong else "+" if row["v"] > 0 else "\u2212")
        colour = layer["encoding"]["color"]
        # dark text on the pale cells, white on the dark ends: the same in either theme
        assert (colour["value"], colour["condition"]["value"]) == ("#222222", "#FFFFFF")
    values = {(r["row"], r["col"]): r["sign"] for r in specs[0]["data"]["values"]}
    assert values[("0", "1")] == "" and values[("1", "0")] == "\u2212"
    big = charts.heatmap_chart(pd.DataFrame(np.eye(33)), title="Covariance")
    assert _sign_layer(big) is None  # 33 x 33 cells: too small to read a sign


def _bar_styles(spec: dict) -> dict[str, tuple[str, float]]:
    encoding = spec["encoding"]
    colour, fill = encoding["color"]["scale"], encoding["fillOpacity"]["scale"]
    assert encoding["stroke"]["scale"] == colour  # the outline in the bar's colour
    return {
        label: (c, f)
        for label, c, f in zip(colour["domain"], colour["range"], fill["range"], strict=True)
    }


def test_dimension_bars_stay_apart_for_every_eye_and_in_grey(theme):
    """F3: held-out importance (blue) and user variance (green) were one teal under
    tritanopia and one grey in print."""
    dims = pd.DataFrame(
        {"heldout_share": [0.6, 0.4], "movie_variance_share": [0.5, 0.5],
         "user_variance_share": [0.3, 0.7], "movie_input_share": [0.5, 0.5],
         "user_input_share": [0.4, 0.6]}
    )  # fmt: skip
    prefix = pd.DataFrame({"k": [0, 1, 2], "rmse_index": [1.0, 0.9, 0.8], "rmse_pca": [1.0] * 3})
    three, _ = charts.dimension_report_charts(dims.iloc[:, :3], prefix)  # Dimensions
    five, _ = charts.dimension_report_charts(dims, prefix)  # a deep model's
    use = charts.importance_chart(dims.iloc[:, 1:])  # Embeddings' "Use per dimension"
    for spec in (three, five, use):
        styles = _bar_styles(spec)
        for (a, (ca, fa)), (b, (cb, fb)) in itertools.combinations(styles.items(), 2):
            if fa != fb:  # a hollow bar and a filled one read apart in any colour
                continue
            worst = min(delta_e(ca, cb, eye) for eye in MACHADO)
            assert worst >= MIN_DELTA_E, (a, b, worst)
    assert list(_bar_styles(three).values()) == [
        (charts.colour(0), 1.0), (charts.colour(1), 1.0), (theme, 1.0)
    ]  # fmt: skip


def test_two_models_frame_draws_b_as_squares_and_arrows_at_b(theme):
    """F4: A and B were circles of two pale colours, and the moved lines had no direction."""
    pairs, moved = _pairs()
    fig = explore_figures.aligned_figure(pairs, moved, ("A16", "B16"))
    by_name = {}
    for trace in fig.data:
        by_name.setdefault(trace.name, []).append(trace)
    (a,), (b,) = by_name["A16"], by_name["B16"]
    assert (a.marker.symbol, b.marker.symbol) == ("circle", "square")
    ends_a, ends_b = by_name["moved most"]  # the moved movies' ends, A then B
    assert ends_a.marker.symbol in (None, "circle") and ends_b.marker.symbol == "square"
    (lines,) = by_name["moved most (A → B)"]
    assert lines.mode == "lines+markers" and lines.marker.symbol == "arrow"
    assert lines.marker.angleref == "previous" and lines.marker.color == theme
    sizes = np.asarray(lines.marker.size).reshape(-1, 3)  # per movie: A, B, the break
    assert len(sizes) == len(moved) and (sizes[:, 0] == 0).all() and (sizes[:, 1] > 0).all()
    assert list(lines.x[:2]) == [moved.x_a.iloc[0], moved.x_b.iloc[0]]  # drawn from A to B


def test_learning_curves_legend_shows_the_dashes_as_line_samples(theme):
    """F5: with two models the legend showed a dot or a square per curve, never a dash."""
    history = {"train_rmse": [1.0, 0.9], "stop_rmse": [1.1, 1.0], "epoch": [1, 2]}
    spec = charts.curves_chart(
        {"A16": history, "B16": history}, ["train_rmse", "stop_rmse"], title="t", y_title="RMSE"
    )
    encoding = spec["encoding"]
    runs, dashes = encoding["color"]["legend"], encoding["strokeDash"]["legend"]
    assert encoding["shape"]["legend"] is runs  # the runs: colour and point shape
    assert dashes["symbolType"] == "stroke" and dashes["orient"] != runs["orient"]  # not merged
    assert dashes["values"] == ["A16: train RMSE", "A16: early-stopping RMSE"]  # one per kind
    for name, kind in (("A16: train RMSE", "train RMSE"), ("B16: x", None)):
        assert (f'"{name}": "{kind}"' in dashes["labelExpr"]) == (kind is not None)
    stroke = dashes["encode"]["symbols"]["update"]["stroke"]["value"]
    assert stroke == theme
    one_kind = charts.curves_chart({"A16": history, "B16": history}, ["stop_rmse"], title="t",
                                   y_title="RMSE")  # fmt: skip
    assert one_kind["encoding"]["strokeDash"]["legend"] is None  # every curve solid
    single = charts.curves_chart({"A16": history}, ["train_rmse", "stop_rmse"], title="t",
                                 y_title="RMSE")  # fmt: skip
    assert single["encoding"]["strokeDash"]["legend"]["symbolType"] == "stroke"  # as before


@pytest.mark.parametrize("colour", ["year", "mean_rating", "popularity", "norm", "bias"])
def test_number_maps_colour_bar_text_is_the_charts_text_colour(theme, colour):
    """F6: plotly express's colour bar kept Streamlit's pale #808495 ticks and title."""
    bar = figures.tsne_scatter(map_frame(), colour).layout.coloraxis.colorbar
    assert bar.tickfont.color == theme and bar.title.font.color == theme
    assert bar.tickfont.size >= 13
