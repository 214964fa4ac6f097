"""Views round 14 (a meetup speaker): Plotly PNG exports at 2x, named after the model and the
chart, in a font the export has; readable pinned columns; exported Vega charts that carry their
own key; bigger Compare heatmaps."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from apptest_helpers import open_page

from movierate.ui import figures

ROOT = Path(__file__).resolve().parents[1]

# --- F1: Plotly PNG export -------------------------------------------------------------------


def _plotly_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in [*ROOT.joinpath("movierate").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "plotly_chart"
            ):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_every_plotly_chart_gets_the_export_config():
    """Only the map passed a config ({"displaylogo": False}): every other chart downloaded as
    plot-image.png at half the screen's density."""
    calls = _plotly_calls()
    assert len(calls) >= 8
    for where, call in calls:
        config = next((k.value for k in call.keywords if k.arg == "config"), None)
        assert config is not None, f"{where}: st.plotly_chart without config="
        assert ast.unparse(config).startswith("figures.export_config("), where


def test_export_config_names_model_and_chart_at_scale_2():
    options = figures.export_config("Talk-Small.v2", "Users map (mean rating)")
    assert options["toImageButtonOptions"] == {
        "format": "png",
        "scale": 2,
        "filename": "Talk-Small.v2-users-map-mean-rating",
    }
    assert options["displaylogo"] is False


def test_plotly_text_uses_an_installed_font():
    """The export draws its SVG as an image, without the page's web font (Source Sans): the
    wider fallback cut "other movies (2,099)" to "other movies (2,099"."""
    family = figures.font()["family"]
    assert "Source Sans" not in family and family.endswith("sans-serif")


def test_the_users_map_exports_under_its_models_name(trained_home):
    at = open_page("pages/explore.py", model="small-mf", view="users")
    (chart,) = at.get("plotly_chart")
    config = json.loads(chart.proto.config)
    assert config["toImageButtonOptions"]["scale"] == 2
    assert config["toImageButtonOptions"]["filename"] == "small-mf-users-map-n_ratings"
    spec = json.loads(chart.proto.spec)
    assert spec["layout"]["legend"]["font"]["family"] == figures.FONT_FAMILY


# --- F4: the saved ratings say which data set their ids are -----------------------------------


def test_saved_ratings_name_their_dataset_in_file_and_column():
    """Rate saved ``my-ratings.csv`` whatever the model, with ids and no word of their data set
    (the link says ``rated_on=``)."""
    import io
    from types import SimpleNamespace

    import pandas as pd

    from movierate import spreadsheet
    from movierate.ui import your_ratings

    model = SimpleNamespace(dataset_name="ml-100k", dataset_fingerprint="f74050b917c1e480")
    assert your_ratings.ratings_file_name(model) == "my-ratings-ml-100k.csv"
    table = pd.DataFrame({"movie_id": [1, 50], "title": ["Toy Story", "Star Wars"],
                          "your rating": [5.0, 4.0]})  # fmt: skip
    back = pd.read_csv(io.StringIO(spreadsheet.csv_text(your_ratings.ratings_file(model, table))))
    assert list(back.columns) == ["movie_id", "title", "your rating", "dataset"]
    assert set(back["dataset"]) == {"ml-100k:f74050b917c1e480"}
    assert back["movie_id"].tolist() == [1, 50]
    odd = SimpleNamespace(dataset_name="my data/2024", dataset_fingerprint="")
    assert your_ratings.ratings_file_name(odd) == "my-ratings-my-data-2024.csv"


# --- F5: an exported chart carries its own key and room at the right ------------------------


def test_one_models_spectrum_names_its_bars_and_dotted_line():
    """The key was only in the page's caption: a downloaded PNG showed an unexplained line."""
    import pandas as pd

    from movierate.ui import charts

    spectrum = pd.DataFrame(
        {"component": [1, 2, 3], "share": [0.5, 0.3, 0.2], "cumulative_share": [0.5, 0.8, 1.0]}
    )
    spec = charts.spectrum_chart({"m": spectrum})
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "bars:" in subtitle and "dotted: cumulative" in subtitle


def test_every_chart_keeps_room_at_its_right_edge():
    """'Use per dimension' drew its last bar against the PNG's right edge."""
    import pandas as pd

    from movierate.ui import charts

    importance = pd.DataFrame(
        {column: [0.6, 0.4] for column in charts.IMPORTANCE_SERIES}, index=[0, 1]
    )
    spec = charts.importance_chart(importance)
    assert spec["padding"]["right"] >= 12


# --- F6: Compare's heatmaps --------------------------------------------------------------------


def test_compare_heatmaps_are_about_300_px_and_wrap_when_narrow(trained_home):
    """Each heatmap was about 200 px square at 1280 px, beside half a row of nothing."""
    from apptest_helpers import vega_specs

    from movierate.ui import shell

    at = open_page("pages/compare.py", section="Embedding spaces")
    heat = [s for s in vega_specs(at) if {"mark": "rect"} in s.get("layer", [])]
    assert heat, "no heatmap drawn"
    for spec in heat:
        cells = len({row["col"] for row in spec["data"]["values"]})
        assert spec["width"]["step"] * cells >= 280
    assert f"st-key-{shell.WIDE_FIGURE}" in shell.PAGE_CSS  # two to a row only where they fit


# --- F3: model pickers ---------------------------------------------------------------------------


def test_model_pickers_group_models_by_dataset():
    """The picker listed 15 models of three data sets in creation order, interleaved."""
    from types import SimpleNamespace as M

    from movierate.ui import widgets

    infos = [M(name="m1", dataset="ml-1m"), M(name="s2", dataset="small"),
             M(name="k1", dataset="ml-100k"), M(name="s1", dataset="small"),
             M(name="m0", dataset="ml-1m")]  # fmt: skip
    assert widgets.by_dataset(infos) == ["m1", "m0", "s2", "s1", "k1"]


def test_pinned_titles_are_drawn_solid_and_float_cells_keep_the_grids_text():
    """Views round 14, F2: Streamlit draws a pinned column's cells at 60% opacity (3.89:1 on
    white); the pinned title gets solid black (white on the dark theme) through a Styler, whose
    display text would otherwise turn 0.1235 into 0.123457 in every unformatted float column."""
    import pandas as pd

    from movierate.ui import charts, widgets

    frame = pd.DataFrame({"title": ["A (1999)", "B (2001)"], "score": [0.123456789, -0.00001]})
    config = {"title": {"pinned": True}}
    styled = widgets.solid_identity(frame, config)
    html = styled.to_html()
    assert "color: #000000" in html and "0.1235" in html and "-0.00001" in html
    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT)
    try:
        assert "color: #FFFFFF" in widgets.solid_identity(frame, config).to_html()
    finally:
        charts.TEXT_COLOUR.reset(token)
    assert widgets.solid_identity(frame, {}) is frame  # nothing pinned: the frame itself
    long = pd.concat([frame] * (widgets.SOLID_ROWS // 2 + 1), ignore_index=True)
    assert widgets.solid_identity(long, config) is long
