"""Views round 13: the dashboard on a phone (390x844, touch) and by keyboard, without losing the
1024 px projector layout (no number cut at the table's right edge)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import tomllib
from apptest_helpers import open_page

from movierate.ui import figures, shell, widgets

ROOT = Path(__file__).resolve().parents[1]


def map_frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "movie_idx": np.arange(n), "x": rng.normal(size=n), "y": rng.normal(size=n),
        "title": [f"Movie {i}" for i in range(n)], "year": 1990 + np.arange(n) % 20,
        "genres": [["Horror"] if i % 3 else ["Drama"] for i in range(n)],
        "n_ratings": rng.integers(1, 300, n), "norm": rng.uniform(0.5, 1.5, n),
        "mean_rating": rng.uniform(2, 5, n), "bias": rng.normal(size=n),
    })  # fmt: skip


def test_every_page_lets_a_touch_swipe_scroll_past_its_charts(trained_home):
    """Finding 1: a swipe on the 640 px map drew a lasso and the page never moved. On touch
    screens (pointer: coarse) a touch on a chart's drag layer is kept from Plotly until a drag
    tool is picked in its mode bar; mouse screens keep the lasso as the map's drag."""
    at = open_page("pages/neighbours.py")
    scripts = [h.proto for h in at.get("html") if shell.TOUCH_SCROLL_JS in h.proto.body]
    assert scripts and all(p.unsafe_allow_javascript for p in scripts)
    for needed in ("(pointer: coarse)", "touchstart", ".draglayer", "stopPropagation",
                   "data-attr='dragmode'", "passive: true"):  # fmt: skip
        assert needed in shell.TOUCH_SCROLL_JS
    assert figures.tsne_scatter(map_frame(), "genre").layout.dragmode == "lasso"
    assert figures.tsne_scatter(map_frame(), "genre:Horror").layout.dragmode == "lasso"


def test_one_genre_legend_sits_under_the_map_clear_of_the_mode_bar():
    """Finding 1 (low): the mode bar, always drawn on a touch screen, covered the legend's
    title ("Horror: 7% of the map") above the map."""
    legend = figures.tsne_scatter(map_frame(), "genre:Horror").layout.legend
    assert legend.title.text.startswith("Horror:")
    # at the figure's foot (views round 22: shared), so under a PCA map's x title too
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")


def test_sidebar_uses_streamlits_navigation_which_closes_on_a_phone():
    """Finding 6: custom page links left the sidebar open over 300 of 390 px after a tap;
    Streamlit's own menu closes it on a phone."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # off for the pages/ folder's own menu; app.py turns it on first (views round 39, F6)
    assert config["client"]["showSidebarNavigation"] is False
    app = (ROOT / "app.py").read_text()
    assert "shell.page_menu()\npage = st.navigation(shell.pages())" in app
    assert 'position="hidden"' not in app


def test_sidebar_draws_no_page_links_of_its_own(trained_home):
    at = open_page("pages/home.py")
    assert not [e for e in at.sidebar if getattr(e, "type", "") == "page_link"]


def test_tabs_wrap_and_focus_shows_a_ring_on_every_page(trained_home):
    """Finding 10: Embeddings' tabs ran off a 390 px screen; a focused sidebar link looked
    like the current page, and number boxes showed no focus ring."""
    css = shell.PAGE_CSS
    assert f"@media (max-width: {shell.WRAP_TABS_PX}px)" in css
    assert '[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap;' in css
    assert "input:focus-visible" in css and '[data-testid="stSidebarNav"] a:focus-visible' in css
    at = open_page("pages/embeddings.py", model="small-mf")
    assert any(css in h.proto.body for h in at.get("html"))


def grid_columns(element) -> dict:
    return json.loads(element.proto.columns)


def test_movie_tables_pin_the_title_first_and_keep_the_numbers_in_a_projector_width(
    trained_home,
):
    """Finding 2: at 390 px the favourites showed ten rows of numbers and no title. The title
    is pinned first (after the rank) and stays in view; its width leaves the numbers room at
    1024 px (a 564 px table), so no number is cut there."""
    at = open_page("pages/recommend.py", user="1")
    tables = [t for t in at.dataframe if "title" in t.value.columns]
    assert tables
    for table in tables:
        columns = list(table.value.columns)
        assert columns[: columns.index("title") + 1] in (["title"], ["rank", "title"])
        config = grid_columns(table)
        assert config["title"]["pinned"] is True
        width = config["title"]["width"]
        assert widgets.PINNED_MIN_WIDTH <= width <= widgets.PINNED_TEXT_WIDTH
        numbers = [c for c in columns if pd.api.types.is_numeric_dtype(table.value[c])]
        used = width + sum(widgets._width(config.get(c)) for c in numbers)
        assert used <= widgets.PROJECTOR_TABLE or width == widgets.PINNED_MIN_WIDTH, columns


def test_pin_identity_pins_rank_and_title_and_leaves_other_tables_alone():
    frame = pd.DataFrame({"year": [1999], "title": ["A"], "rank": [1], "genres": ["x"]})
    shown, config = widgets.pin_identity(frame, {"title": "name"})
    assert list(shown.columns) == ["rank", "title", "year", "genres"]
    assert config["title"] == {"label": "name", "pinned": True, "width": 200}
    assert config["rank"] == {"pinned": True}
    plain = pd.DataFrame({"k": [1], "rmse": [0.9]})
    assert widgets.pin_identity(plain, {}) == (plain, {})


def test_models_table_says_what_its_columns_mean_where_a_tap_reaches(trained_home):
    """Finding 7: a column's help shows on hover only, and a tap on a header sorts the table.
    Every table with column help says it in a "What the columns mean" expander under it."""
    at = open_page("pages/home.py")
    (models,) = (t for t in at.dataframe if "model" in t.value.columns)
    assert grid_columns(models)["model"]["pinned"] is True
    columns = list(models.value.columns)  # the long "epoch kept" no longer pushes a number out
    assert columns.index("train s") < columns.index(widgets.EPOCHS_COLUMN)
    notes = [e for e in at.expander if e.label == "What the columns mean"]
    assert notes
    text = " ".join(m.value for e in notes for m in e.markdown)
    for column in ("test RMSE", "train s", widgets.EPOCHS_COLUMN):
        assert f"**{column}**" in text, column
    assert "early stopping keeps the best one" in text
