"""Views round 15 (accessibility): table cells a screen reader reads as shown, focus on hover-only
controls, forced colours, the primary colour's contrast, text versions of the learning curves,
a heading outline and charts' accessible names."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

from movierate.ui import charts, shell, widgets

ROOT = Path(__file__).resolve().parents[1]

# --- F1: the grid's hidden table reads each number cell's value, so the value is the shown one


def test_float_columns_hold_the_numbers_the_grid_shows():
    frame = pd.DataFrame({
        "model": ["a", "b"],
        "test RMSE": [0.9186775419181521, 1.021045250209648],
        "free": [0.123456789, 2.34567e-6],
        "share": [12.3456, 7.0],
        "p": [1.23456e-7, 0.5],
        "year": [1994.0, np.nan],
        "rating": [4.25, 3.125],
        "n": [3, 4],
    })  # fmt: skip
    config = {
        "test RMSE": {"format": "%.4f"},
        "share": {"format": "%.1f%%"},
        "p": {"format": "%.1e"},
        "year": {"format": "%d"},
        "rating": {"format": "plain"},
    }
    shown = widgets.as_shown(frame, config)
    assert [str(v) for v in shown["test RMSE"]] == ["0.9187", "1.021"]  # Python's repr = JS's
    assert list(shown["free"]) == [0.1235, 2.346e-6]  # the grid's own: 4 decimals
    assert list(shown["share"]) == [12.3, 7.0]
    assert list(shown["p"]) == [1.2e-7, 0.5]
    assert shown["year"].iloc[0] == 1994.0 and np.isnan(shown["year"].iloc[1])
    assert list(shown["rating"]) == [4.25, 3.125]  # "plain" shows the value whole
    for column in frame.columns:  # still numbers: they sort, and the CSV holds numbers
        assert shown[column].dtype == frame[column].dtype
    assert frame["test RMSE"].iloc[0] == 0.9186775419181521  # the caller's frame is untouched


def test_show_table_hands_the_grid_the_shown_numbers(monkeypatch):
    handed = {}

    def dataframe(data, **kwargs):
        handed["data"] = data.data if hasattr(data, "data") else data  # a Styler's frame

    monkeypatch.setattr(widgets.st, "dataframe", dataframe)
    for frame in (
        pd.DataFrame({"model": ["a"], "test RMSE": [0.9186775419181521]}),  # pinned: a Styler
        pd.DataFrame({"x": [0.9186775419181521]}),  # nothing pinned: the frame itself
    ):
        widgets.show_table(frame, column_config=widgets.MODELS_TABLE_COLUMNS)
        assert handed["data"].iloc[0, -1] == 0.9187


def test_real_column_configs_round_once_to_their_own_format():
    """Recheck N1: st.column_config keeps a format in its type_config; reading only the top
    level rounded every column to 4 decimals first (0.895501 -> 0.8955 -> shown 0.895)."""
    import streamlit as st

    frame = pd.DataFrame({"similarity": [0.895501, 0.894928], "train s": [1.717, 0.9368]})
    config = {
        "similarity": st.column_config.NumberColumn("similarity", format="%.3f"),
        "train s": st.column_config.NumberColumn("train s", format="%.1f"),
    }
    shown = widgets.as_shown(frame, config)
    assert list(shown["similarity"]) == [0.896, 0.895]
    assert list(shown["train s"]) == [1.7, 0.9]
    assert widgets.column_format(config, "similarity") == "%.3f"
    assert widgets.column_format({"x": {"format": "plain"}}, "x") == "plain"
    assert widgets.column_format({}, "x") is None


def test_a_late_dip_is_not_called_still_falling():
    """Recheck N3: only the last two points were compared, so a curve lowest at epoch 8 and
    rising since read 'still falling' at epoch 166 after one small dip."""
    history = [0.9 - 0.005 * e for e in range(8)] + [0.87 + 0.001 * e for e in range(158)]
    history[-1] = history[-2] - 0.0005
    said = charts.learning_curves_text({"run": {"stop_rmse": history}}, {"run": None})
    assert "still falling" not in said
    assert "lowest at epoch 8 (0.8650); down again at the last epoch" in said


# --- F2 / F3: focus on hover-only controls; forced colours


def test_hover_only_controls_show_with_a_ring_while_focused():
    css = shell.PAGE_CSS
    assert '[data-testid="stElementToolbar"]:focus-within' in css
    assert re.search(r"stElementToolbar\"\]:focus-within[^{]*\{\s*opacity: 1", css)
    ring = css.split("button:focus-visible", 1)[1].split("}", 1)[0]
    assert f"outline: {shell.FOCUS_RING}" in ring


def test_forced_colours_keep_sliders_toggles_and_selections_visible():
    css = shell.PAGE_CSS
    block = css.split("@media (forced-colors: active)", 1)[1]
    assert 'data-testid="stSlider"' in block and 'input[role="switch"]' in block
    assert '[role="tab"][aria-selected="true"]' in block
    assert '[data-testid="stButtonGroup"] [aria-checked="true"]' in block
    assert "Highlight" in block and "CanvasText" in block


# --- F4: the primary colour as text on its own selected tint


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _tint(colour: str, page: str, alpha: float) -> str:
    mix = [
        round(alpha * int(colour[i : i + 2], 16) + (1 - alpha) * int(page[i : i + 2], 16))
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{c:02x}" for c in mix)


def test_the_primary_colour_reads_aa_on_its_selected_tint_in_both_themes():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    primary = config["theme"]["primaryColor"]
    assert primary.lower() == shell.PRIMARY.lower()
    assert _contrast(primary, _tint(primary, "#ffffff", 0.1)) >= 4.5  # #d6336c: 4.01
    assert _contrast(primary, "#ffffff") >= 4.5  # white text on a primary button
    for page in ("#0e1117", "#171614"):  # Streamlit's dark page backgrounds
        text = shell.DARK_PRIMARY_TEXT
        assert _contrast(text, _tint(text, page, 0.1)) >= 4.5


def test_the_dark_theme_gets_its_own_primary_text(monkeypatch):
    drawn = []
    monkeypatch.setattr(shell.st, "html", drawn.append)
    token = charts.TEXT_COLOUR.set(charts.DARK_TEXT)
    try:
        shell.style()
    finally:
        charts.TEXT_COLOUR.reset(token)
    shell.style()
    assert shell.DARK_PRIMARY_TEXT in drawn[0] and shell.DARK_PRIMARY_TEXT not in drawn[1]


def test_the_dark_themes_slider_thumb_reaches_3_to_1():
    """Recheck N5: the thumb stayed #b02a5a, 2.86:1 on the dark page (a control's state needs
    3:1); only the thumb is recoloured, not the slider's track area."""
    rule = f"{shell.SLIDER_THUMB} {{ background-color: {shell.DARK_PRIMARY_TEXT} !important; }}"
    assert rule in shell.DARK_CSS
    assert 'style*="position: absolute"' in shell.SLIDER_THUMB  # not the track's container
    for page in ("#0e1117", "#171614"):
        assert _contrast(shell.PRIMARY, page) < 3 <= _contrast(shell.DARK_PRIMARY_TEXT, page)


# --- F5: learning curves in words, runs told apart without colour

HISTORIES = {
    "small-a": {"epoch": [1, 2, 3], "train_rmse": [1.1, 0.9, 0.8], "stop_rmse": [0.95, 0.9, 0.92]},
    "small-b": {"epoch": [1, 2], "train_rmse": [1.2, 1.0], "stop_rmse": [1.05, 1.0212345]},
}


def test_learning_curves_text_states_each_model_s_kept_rmse_epochs_and_trend():
    said = charts.learning_curves_text(HISTORIES, {"small-a": 2, "small-b": 2})
    assert "small-a: early-stopping RMSE 0.9000 at the kept epoch 2 of 3 run" in said
    assert "lowest at epoch 2 (0.9000), not falling at the last epoch" in said
    assert "small-b: early-stopping RMSE 1.0212 at the kept epoch 2 of 2 run" in said
    assert "small-b: early-stopping RMSE 1.0212 at the kept epoch 2 of 2 run, still falling" in said
    running = charts.learning_curves_text({"job": HISTORIES["small-b"]}, {"job": None})
    assert "at epoch 2, the last" in running and "kept" not in running
    only_train = charts.learning_curves_text({"m": {"train_rmse": [1.0, 0.9]}}, {})
    assert "training RMSE 0.9000" in only_train


def test_regularizer_text_states_each_penalty_s_first_and_last_value():
    said = charts.curves_text(
        {"m": {"epoch": [1, 2], "reg_l2": [0.5, 0.25]}}, ["reg_l2"], charts.PENALTY_LABELS
    )
    assert said == "m: L2 0.5 at epoch 1 to 0.25 at epoch 2, still falling at the last epoch."


def test_runs_of_a_curves_chart_have_their_own_point_shapes():
    spec = charts.curves_chart(HISTORIES, ["train_rmse", "stop_rmse"], title="t", y_title="RMSE")
    shape = spec["encoding"]["shape"]["scale"]
    assert shape["range"][:2] == ["circle", "circle"] and shape["range"][2] == "square"
    one = charts.curves_chart({"a": HISTORIES["small-a"]}, ["stop_rmse"], title="t", y_title="y")
    assert "shape" not in one["encoding"]


# --- F8: charts' accessible names


def test_a_wrapped_title_s_lines_are_joined_with_a_space_in_the_description():
    spec = charts.curves_chart(
        HISTORIES,
        ["train_rmse", "stop_rmse"],
        title="Learning curves",
        subtitle="dashed: training rows, solid: early-stopping rows",
        y_title="RMSE",
    )
    assert isinstance(spec["title"]["subtitle"], list)  # wrapped
    description = spec["description"]
    assert description.startswith(
        "Learning curves. dashed: training rows, solid: early-stopping rows. small-a:"
    )
    assert "0.95 at epoch 1 to 0.92 at epoch 3" in description


def test_every_chart_builder_gives_its_chart_a_description():
    heat = charts.heatmap_chart(
        pd.DataFrame(np.eye(8) * 0.01),
        title="Covariance of the 8 dimensions (from 0)",
        fixed_range=0.01,
    )
    assert heat["description"].startswith("Covariance of the 8 dimensions (from 0)")
    assert charts.described({"title": {"text": ["Covariance of the 8", "dimensions"]}}) == (
        "Covariance of the 8 dimensions"
    )


# --- F7: a heading outline: h1 page titles, h2 sections, never h3 straight under h1

SECTION_FILES = [
    *sorted((ROOT / "pages").glob("*.py")),
    ROOT / "movierate" / "ui" / "your_ratings.py",
    ROOT / "movierate" / "ui" / "widgets.py",
    ROOT / "movierate" / "ui" / "explore_views.py",
]


@pytest.mark.parametrize("path", SECTION_FILES, ids=lambda p: p.name)
def test_sections_are_h2_not_h3(path):
    source = path.read_text(encoding="utf-8")
    assert "subheader(" not in source, f"{path.name}: st.subheader draws an h3 under the h1"
    assert not re.search(r"""f?["']###\s""", source), f"{path.name}: a markdown h3 heading"
