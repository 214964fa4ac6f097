"""Views round 30 (every chart as a figure in a paper): hollow share bars that Vega-Lite really
draws hollow, a "Use per dimension" plot with room, custom-axis sets named and coloured as
their genres, log axes between ticks around the data, one colour per run on Train, and the
Spectra bars called ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import charts as plotly_specs
from apptest_helpers import open_page, vega_specs
from test_explore_helpers import movies_table

from movierate.ui import charts, explore_figures, figures

#: Vega-Lite's channels that it drops on an unsorted nominal field (its ``channelCompatibility``:
#: "Channel fillOpacity should not be used with an unsorted discrete field").
ORDERED_CHANNELS = {"opacity", "fillOpacity", "strokeOpacity", "strokeWidth", "size", "x2",
                    "y2", "theta2", "radius2", "time"}  # fmt: skip


def _encodings(spec: dict) -> list[dict]:
    """Every encoding of a spec and of its layers."""
    found = [spec["encoding"]] if "encoding" in spec else []
    for layer in spec.get("layer", []):
        found += _encodings(layer)
    return found


def dropped_channels(spec: dict) -> list[str]:
    """The channels of ``spec`` that Vega-Lite drops or draws other than their scale says: one
    of :data:`ORDERED_CHANNELS` on an unsorted nominal field, or on a discrete field with more
    than two range values on a point scale (its default there: it spans the range's ends)."""
    dropped = []
    for encoding in _encodings(spec):
        for channel, definition in encoding.items():
            if channel not in ORDERED_CHANNELS or "field" not in definition:
                continue
            discrete = definition.get("type") in ("nominal", "ordinal")
            scale = definition.get("scale", {})
            if definition.get("type") == "nominal" and "sort" not in definition:
                dropped.append(f"{channel}: unsorted nominal field")
            elif discrete and len(scale.get("range", [])) > 2 and scale.get("type") != "ordinal":
                dropped.append(f"{channel}: {len(scale['range'])} values on a point scale")
    return dropped


def _importance(deep: bool = True) -> pd.DataFrame:
    columns = list(charts.IMPORTANCE_SERIES)[: 4 if deep else 2]
    return pd.DataFrame({c: np.linspace(0.03, 0.09, 8) for c in columns})


def _every_chart() -> list[dict]:
    history = {"epoch": [1, 2, 3], "train_rmse": [1.0, 0.9, 0.85], "stop_rmse": [0.96, 0.93, 0.9],
               "reg_l2": [0.0256, 0.1, 0.262]}  # fmt: skip
    dims = pd.DataFrame(
        {"dimension": range(4), "heldout_share": 0.25, "movie_variance_share": 0.2,
         "user_variance_share": 0.3, "movie_input_share": 0.1, "user_input_share": 0.4}
    )  # fmt: skip
    prefix = pd.DataFrame({"k": range(5), "rmse_index": np.linspace(1, 0.9, 5),
                           "rmse_pca": np.linspace(1, 0.88, 5)})  # fmt: skip
    spectrum = pd.DataFrame({"component": range(1, 5), "share": [0.4, 0.3, 0.2, 0.1],
                             "cumulative_share": [0.4, 0.7, 0.9, 1.0]})  # fmt: skip
    variance = pd.DataFrame({"variance": [0.3, 0.1, 0.2], "share": [0.5, 0.17, 0.33]},
                            index=pd.Index(range(3), name="dimension"))  # fmt: skip
    matrix = pd.DataFrame(np.eye(3) * 0.02)
    frame = movies_table(6).assign(norm=1.0, bias=0.1, log_n_ratings=1.5)
    return [
        charts.curves_chart({"a": history}, ["train_rmse", "stop_rmse"], title="t", y_title="y"),
        charts.curves_chart({"a": history, "b": history}, ["reg_l2"], title="t", y_title="loss",
                            log_y=True),
        charts.importance_chart(_importance()),
        *charts.dimension_report_charts(dims, prefix),
        charts.spectrum_chart({"a": spectrum}),
        charts.spectrum_chart({"a": spectrum, "b": spectrum}),
        charts.variance_chart({"a": variance, "b": variance}),
        charts.heatmap_chart(matrix, title="m"),
        *charts.heatmap_charts({"a": matrix, "b": -matrix}),
        charts.shared_neighbours_chart(pd.DataFrame({"n_common": [0, 1, 1, 2]}), 2),
        charts.popularity_chart(frame, "norm"),
    ]  # fmt: skip


def test_no_chart_puts_an_ordered_channel_on_a_field_vega_lite_drops():
    """F1, the class: Vega-Lite dropped the share bars' fillOpacity (an unsorted nominal field),
    so every hollow bar was drawn solid; no chart's encoding may do that again."""
    for spec in _every_chart():
        assert dropped_channels(spec) == [], spec["title"]


@pytest.mark.parametrize("build", ["importance", "report"])
def test_dense_layer_bars_and_their_swatches_are_hollow(build):
    """F1: four legend entries in two swatches; the dense layer's bars (and legend swatches)
    are hollow, the variance bars filled, in the same side's colour."""
    if build == "importance":
        spec = charts.importance_chart(_importance())
    else:
        dims = pd.DataFrame({"dimension": range(3), "movie_variance_share": 0.3,
                             "user_variance_share": 0.3, "movie_input_share": 0.2,
                             "user_input_share": 0.2})  # fmt: skip
        prefix = pd.DataFrame({"k": range(4), "rmse_index": 1.0, "rmse_pca": 1.0})
        spec = charts.dimension_report_charts(dims, prefix)[0]
    fill = spec["encoding"]["fillOpacity"]
    assert fill["scale"]["type"] == "ordinal" and fill["sort"] == fill["scale"]["domain"]
    opacity = dict(zip(fill["scale"]["domain"], fill["scale"]["range"], strict=True))
    hollow = {label for label, value in opacity.items() if value < 1}
    assert hollow == {"read by dense layer (movie)", "read by dense layer (user)"}
    assert set(opacity.values()) == {charts.HOLLOW, 1.0}
    symbols = fill["legend"]["encode"]["symbols"]["update"]["fillOpacity"]
    assert symbols == {"scale": "fillOpacity", "field": "value"}  # Vega's legend datum
    assert dropped_channels(spec) == []


def test_use_per_dimension_keeps_its_plot_height_under_its_legend(trained_home):
    """F2: in the Covariance tab's 360 px column the title, four legend rows and the axis took
    250 of the chart's 320 px, leaving a 65 px plot: the height is now the plot's own."""
    at = open_page("pages/embeddings.py", model="small-deep", view="Covariance")
    assert not at.exception
    (spec,) = [s for s in vega_specs(at) if "Use per dimension" in str(s["title"])]
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["height"] >= 250
    assert charts.HOLLOW in spec["encoding"]["fillOpacity"]["scale"]["range"]


def _sets_frame(genre_of: dict[str, str]) -> pd.DataFrame:
    groups = ["", "A", "B", "A+B"] * 5
    frame = movies_table(len(groups))
    genres = [[genre_of.get(g, "Action")] for g in groups]
    rng = np.random.default_rng(0)
    return frame.assign(group=groups, genres=genres, x=rng.normal(size=20), y=rng.normal(size=20))


def test_custom_axes_legend_names_each_set_and_a_genre_set_wears_its_genre_colour():
    """F3: "set A (579)" in blue was Comedy, drawn in the blue that means Drama on the maps."""
    frame = _sets_frame({"A": "Comedy", "B": "Drama"})
    fig = explore_figures.axes_figure(frame, "x", "y", sets={"A": "comedy", "B": "Drama"})
    drawn = {t.name: t.marker.color for t in fig.data}
    assert drawn["set A: comedy (5)"] == figures.GENRE_COLOURS["Comedy"]
    assert drawn["set B: Drama (5)"] == figures.GENRE_COLOURS["Drama"]
    assert "in both A and B (5; not scored)" in drawn
    comedy = next(t for t in fig.data if t.name.startswith("set A"))
    assert comedy.hovertemplate.startswith("set A: %{text}")
    assert comedy.marker.line.width >= 1  # Comedy's pale yellow is outlined, as on the maps
    # a set's text is shown as text (Plotly reads tags in a legend name)
    fig = explore_figures.axes_figure(frame, "x", "y", sets={"A": "<b>x</b>", "B": "Drama"})
    assert "set A: &lt;b&gt;x&lt;/b&gt; (5)" in {t.name for t in fig.data}


def test_a_set_that_is_no_genre_keeps_clear_of_the_genre_sets_colours():
    """F3: a title set beside a genre set never takes a colour near that genre's."""
    for genre in figures.GENRE_COLOURS:
        for group in explore_figures.SET_SERIES:
            sets = {g: ("star wars" if g != group else genre) for g in explore_figures.SET_SERIES}
            colours = explore_figures.set_colours(sets, {genre})
            assert colours[group] == figures.GENRE_COLOURS[genre]
            others = [c for g, c in colours.items() if g != group]
            assert not any(explore_figures._near(c, colours[group]) for c in others), sets
    # no genre set: the series colours as before
    plain = explore_figures.set_colours({}, set())
    assert plain == {g: charts.colour(i) for g, i in explore_figures.SET_SERIES.items()}


def test_the_explore_page_names_its_sets_in_the_legend(trained_home):
    """F3, on the page: the default axes Comedy -> Drama."""
    at = open_page("pages/explore.py", model="small-mf", view="axes", xa="Comedy", xb="Drama")
    (spec,) = plotly_specs(at)
    names = {trace.get("name", "").split(" (")[0]: trace for trace in spec["data"]}
    assert names["set A: Comedy"]["marker"]["color"] == figures.GENRE_COLOURS["Comedy"]
    assert names["set B: Drama"]["marker"]["color"] == figures.GENRE_COLOURS["Drama"]


@pytest.mark.parametrize(
    ("low", "high"), [(0.0256, 0.262), (0.0518, 0.3), (0.0031, 0.0047), (0.003, 40), (1e-7, 5)]
)
def test_log_axis_runs_between_labelled_ticks_around_the_data(low, high):
    """F4: the epoch-1 L2 penalty 0.0256 lay under the lowest tick, 0.05, with no label below."""
    history = {"reg_l2": list(np.geomspace(low, high, 4))}
    y = charts.curves_chart({"a": history}, ["reg_l2"], title="t", y_title="loss", log_y=True)[
        "encoding"
    ]["y"]
    ticks = y["axis"]["values"]
    assert ticks[0] <= low and ticks[-1] >= high and len(ticks) >= 2
    assert y["scale"]["domain"] == [ticks[0], ticks[-1]] and y["scale"]["nice"] is False
    assert ticks[0] > low / 2.6 and ticks[-1] < high * 2.6  # the next 1-2-5 value, no further
    assert len(ticks) <= 8 and ticks == sorted(ticks)


def test_linear_curves_keep_their_points_off_the_frame():
    """F4 (taste): the RMSE curve's first point, 0.961, sat on the top edge of the plot."""
    history = {"train_rmse": [1.05, 0.9], "stop_rmse": [0.961, 0.93]}
    spec = charts.curves_chart({"a": history}, ["train_rmse", "stop_rmse"], title="t", y_title="y")
    assert spec["encoding"]["y"]["scale"]["padding"] >= charts.EDGE_PADDING
    dims = pd.DataFrame({"dimension": range(2), "movie_variance_share": 0.5})
    prefix = pd.DataFrame({"k": range(3), "rmse_index": [1.0, 0.95, 0.9], "rmse_pca": 0.9})
    curves = charts.dimension_report_charts(dims, prefix)[1]["layer"][0]["encoding"]["y"]
    assert curves["scale"]["padding"] >= charts.EDGE_PADDING


def test_train_tells_its_metrics_apart_by_dash_in_the_runs_colour():
    """F5: Train drew train RMSE blue and early-stopping RMSE orange, Compare's colours of two
    models; one run now has one colour, and the dash tells its metrics apart."""
    history = {"train_rmse": [1.0, 0.9], "stop_rmse": [0.96, 0.93]}
    spec = charts.curves_chart({"a": history}, ["train_rmse", "stop_rmse"], title="t", y_title="y")
    encoding = spec["encoding"]
    assert set(encoding["color"]["scale"]["range"]) == {charts.colour(0)}
    dashes = encoding["strokeDash"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == 2
    assert encoding["color"]["legend"]["symbolSize"] >= 200  # a sample long enough for its dash


def test_spectra_variance_bars_say_they_are_ranks():
    """F6: each model's dimensions are sorted on their own: a rank's bars are not one dimension."""
    variance = pd.DataFrame({"variance": [0.3, 0.1], "share": [0.75, 0.25]},
                            index=pd.Index([0, 1], name="dimension"))  # fmt: skip
    spec = charts.variance_chart({"a": variance, "b": variance})
    assert spec["encoding"]["x"]["title"].startswith("rank")
    assert spec["title"]["subtitle"] == "each model sorted on its own"  # one line
    assert {"field": "dimension"} in spec["encoding"]["tooltip"]
