"""Views round 32 (a keyboard-only and screen-reader user): Rate's rating slider announces the
rating itself, per-model downloads and explanations say what they are, chart descriptions read
titled and formatted numbers, and no number reads "-0.00"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import open_page
from streamlit.testing.v1 import AppTest
from test_audit_views_round30 import _every_chart

from movierate.shown import number
from movierate.ui import charts
from movierate.ui.your_ratings import parse_rated, rating_steps, you_among_users_text


# --- F1: the rating slider is over the scale, not an index ------------------------------------
def test_rate_s_rating_slider_runs_over_the_rating_scale(trained_home):
    """F1: a select_slider told assistive technology its index (0-4 for a 1-5 scale, and the
    index one below the rating shown); the slider's own value, minimum and maximum are now the
    data set's ratings, and Add stores the value picked."""
    at = open_page("pages/rate.py", model="small-mf")
    at.text_input(key="rate_q").set_value("matrix").run()
    assert not at.select_slider  # no index slider anywhere on the page
    slider = at.slider(key="rate_value")
    steps = rating_steps(SimpleNamespace(rating_scale=(0.5, 5.0, 0.5)))  # ml-latest-small
    assert (slider.min, slider.max, slider.step) == (steps[0], steps[-1], 0.5)
    assert slider.value in steps and slider.proto.format == "%.1f"
    slider.set_value(2.5).run()
    at.button(key="rate_add").click().run()
    ratings, _ = parse_rated(at.query_params["rated"])
    assert list(ratings.values()) == [2.5]


# --- F2: per-model downloads name their model ------------------------------------------------
@pytest.mark.parametrize(
    ("page", "query"),
    [("pages/neighbours.py", {"q": "matrix 1999"}), ("pages/recommend.py", {"user": "1"})],
)
def test_each_model_s_download_names_the_model(trained_home, page, query):
    """F2: two buttons "Download this list (CSV)" (Neighbours) or "Download both lists (CSV)"
    (Recommend), one per model, could not be told apart in a list of buttons."""
    at = open_page(page, **query)
    labels = [b.proto.label for b in at.get("download_button")]
    assert len(labels) == 2 and len(set(labels)) == 2, labels
    assert all(any(name in label for label in labels) for name in ("small-mf", "small-deep"))


# --- F3: no help button named only "Help" ----------------------------------------------------
@pytest.mark.parametrize(
    "page",
    ["pages/home.py", "pages/embeddings.py", "pages/explore.py", "pages/dimensions.py",
     "pages/recommend.py"],
)  # fmt: skip
def test_no_caption_or_paragraph_carries_an_unnamed_help(trained_home, page):
    """F3: a ``help=`` on a caption or paragraph is a button Streamlit names only "Help"; the
    explanations are popovers named by their subject instead."""
    at = open_page(page, user="1") if page.endswith("recommend.py") else open_page(page)
    texts = [*at.markdown, *at.caption]
    assert texts and not [t.value[:60] for t in texts if t.proto.help]
    named = _popover_labels(at)
    assert all(len(label.split()) >= 3 for label in named), named
    assert named or page.endswith("dimensions.py")  # its two depend on the model


def _popover_labels(at: AppTest) -> list[str]:
    """The labels of every popover on the page, nested ones included."""
    labels, stack = [], [at.main, at.sidebar]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "Block" and proto.WhichOneof("type") == "popover":
            labels.append(proto.popover.label)
        stack += list(getattr(node, "children", {}).values())
    return labels


# --- F4: chart descriptions, the verdict's icon, negative zero --------------------------------
def _read_aloud(spec: dict) -> list[tuple[str, str, bool]]:
    """What Vega-Lite's description of each mark reads, as Vega-Lite builds it (its
    ``tooltipData``: every field channel, then the tooltip's, the first of each title kept):
    (title, field, whether a non-whole number of it is read unformatted)."""
    read = []

    def walk(part: dict, data: list | None) -> None:
        data = part.get("data", {}).get("values", data) or []
        encoding = part.get("encoding", {})
        defs = [d for c, d in encoding.items() if c != "tooltip" and "field" in d]
        defs += list(encoding.get("tooltip", []))
        titles: set[str] = set()
        for fdef in defs:
            title = fdef.get("title") or fdef["field"]
            if title in titles:
                continue
            titles.add(title)
            values = [row.get(fdef["field"]) for row in data]
            fraction = any(isinstance(v, float) and not v.is_integer() for v in values)
            read.append((title, fdef["field"], fraction and "format" not in fdef))
        for layer in part.get("layer", []):
            walk({**layer, "encoding": {**encoding, **layer.get("encoding", {})}}, data)

    walk(spec, None)
    return read


def _charts() -> list[dict]:
    """Every chart of :func:`test_audit_views_round30._every_chart`, and the popularity
    scatter with fractional values (that one's are whole)."""
    frame = pd.DataFrame(
        {"log_n_ratings": [1.04, 2.51], "norm": [1.234, 2.5], "bias": [0.1, -0.2],
         "title": ["A", "B"], "year": [1999, 2001], "n_ratings": [10, 315],
         "genres": ["Drama", "Comedy"]}
    )  # fmt: skip
    return [*_every_chart(), charts.popularity_chart(frame, "norm")]


def test_chart_descriptions_read_titled_formatted_numbers():
    """F4: "Variance by direction"'s dotted line read "cumulative_share: 0.577249484538" and
    "component: 1" beside "direction (largest first): 1"; the class: no chart reads a raw
    column name for a field it titles elsewhere, a snake_case name, or unformatted decimals."""
    for spec in _charts():
        read = _read_aloud(spec)
        titled = {field for title, field, _ in read if title != field}
        raw = [title for title, field, _ in read if title == field and field in titled]
        snake = [title for title, _, _ in read if "_" in title]
        unformatted = [title for title, _, bare in read if bare]
        assert not (raw or snake or unformatted), (spec.get("title"), raw, snake, unformatted)


def test_a_weak_axis_verdict_is_not_read_after_a_help_icon():
    """F4: a weak custom axis's caption began with the :material/help: icon, read "help icon:
    help" before "x axis: weak"."""

    def page() -> None:
        from types import SimpleNamespace

        from movierate.ui.explore_views import quality_line

        quality_line(
            "x",
            SimpleNamespace(verdict="weak", auc=0.6, auc_loo=0.58, message="Modest.", n_a=5,
                            n_b=6, n_both=0),
        )  # fmt: skip

    at = AppTest.from_function(page).run()
    (verdict,) = [c.value for c in at.caption if "axis: weak" in c.value]
    assert verdict.startswith("**x axis: weak**"), verdict


def test_no_number_reads_minus_zero():
    """F4: Rate's "You among the users" read "user PC 1 = -0.00" for a user a hair left of the
    centre; a value printed as zero has no minus, here and in every signed text number."""
    users = pd.DataFrame({"x": np.linspace(-1, 1, 5), "y": np.linspace(1, -1, 5),
                          "n_ratings": [5, 6, 7, 8, 9]})  # fmt: skip
    said = you_among_users_text(users, (-0.001, -0.0004))
    assert "user PC 1 = 0.00, user PC 2 = 0.00;" in said
    assert [number(v, f) for v, f in ((-0.004, "+.2f"), (-0.006, "+.2f"), (0.0, ".1f"))] == [
        "+0.00",
        "-0.01",
        "0.0",
    ]


def test_a_gap_that_prints_as_zero_has_no_minus_in_the_verdicts():
    """F4, in the verdicts too: a test RMSE minus the averages' of -0.00001 printed "-0.0000"
    (read "minus zero") in train, show, Compare and Home."""
    from movierate import store

    metrics = {
        "test_rmse_minus_averages": -0.00001,
        "test_rmse_minus_averages_ci95": 0.01,
        "test_users": 500,
    }
    assert store.averages_gap_text(metrics, short=True).startswith("+0.0000 ± 0.0100")
    assert "-0.0000" not in store.averages_gap_text(metrics)
