"""Views round 27 (a newcomer reads every page), Compare and Home: F1 (a 330-word caption between
Compare's accuracy table and its charts, whose settings caveat repeated Home's word for word;
the intro's promise of boxes that L2-only models never get) and F6's Regularizer losses wording
("tables" jargon, an L2 penalty's rise read as a fault).

Shown: test_app_truth's home, the session's ``small-mf`` and ``small-deep`` (L2 or none: no
regularizer box) and a whitened model (a box).
"""

from __future__ import annotations

import re

import pytest
from apptest_helpers import open_page, vega_specs
from test_app_truth import WHITE, home, truth_home  # noqa: F401 (its models and fixtures)

from movierate import store
from movierate.ui import charts, text

pytestmark = pytest.mark.usefixtures("home")

TRUST = "How far to trust these differences"
HEADING = "What each model's own numbers show about its regularizers:"


def words(said: str) -> int:
    return len(re.findall(r"\S+", said))


def between_table_and_charts(at) -> list:
    """The accuracy tab's elements after its table and before its first chart, in page order."""
    nodes = list(at.tabs[0])
    table = next(i for i, n in enumerate(nodes) if n.type == "dataframe")
    chart = next(i for i, n in enumerate(nodes) if n.type == "vega_lite_chart")
    return nodes[table + 1 : chart]


def expander_text(at, label: str) -> str:
    (found,) = [e for e in at.expander if e.label == label]
    return " ".join(c.value for c in found.caption)


def test_compare_reads_its_table_in_two_lines_then_the_charts():
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    shown = between_table_and_charts(at)
    trust = next(n for n in shown if n.type == "expander" and n.label == TRUST)
    inside = {id(n) for n in trust}
    in_view = [n.value for n in shown if n.type == "caption" and id(n) not in inside]
    # accuracy round 56, F2: the cold test rows' note stands under the table, in view
    in_view = [said for said in in_view if "no training rating" not in said]
    assert len(in_view) == 1 and words(in_view[0]) <= 70, in_view
    n_test = store.load_model("small-mf").split_record["n_test"]
    assert in_view[0].startswith(f"Same {n_test:,} test rows of ml-latest-small")
    assert "not training noise" in in_view[0]  # what the ± leaves out, in view
    assert "Some settings of every model here were chosen partly" in in_view[0]
    # every statement of the old caption is one click away, word for word
    details = expander_text(at, TRUST)
    assert f"same {n_test:,} ratings of ml-latest-small" in details
    assert "Training noise is not in it" in details and "standard errors" in details
    infos = {i.name: i for i in store.list_models()[0]}
    assert details.endswith(
        text.md(store.settings_caveat([infos["small-mf"], infos["small-deep"]]))
    )
    assert "Not quite unseen" not in " ".join(in_view)


def test_compare_promises_regularizer_boxes_only_where_one_is_drawn():
    plain = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    said = " ".join(c.value for c in plain.caption)
    assert "boxes" not in plain.caption[0].value and HEADING not in said
    # no regularizer box, so no heading for one (an averages warning is not such a box)
    assert not plain.success and all("averages" in w.value for w in plain.warning)
    shaped = open_page("pages/compare.py", models=["small-mf", WHITE])
    boxes = [*shaped.success, *shaped.warning]
    assert any(WHITE in box.value for box in boxes)
    assert HEADING in [c.value for c in shaped.caption]


def test_home_names_the_settings_caveat_in_one_sentence_with_details_one_click_away():
    at = open_page("pages/home.py")
    infos = store.list_models()[0]
    caveat = store.settings_caveat(infos)
    under_table = next(c.value for c in at.caption if c.value.startswith("Test RMSE and MAE"))
    assert "Not quite unseen" not in under_table
    assert "Some settings of every model here were chosen partly on ratings" in under_table
    assert expander_text(at, "Which settings were chosen on test rows") == text.md(caveat)


def test_settings_caveat_summary_names_the_models_its_caveat_does():
    infos = {i.name: i for i in store.list_models()[0]}
    one = [infos["small-mf"]]
    assert store.settings_caveat_summary(one) == (
        "Some settings of small-mf were chosen partly on ratings among its test rows."
    )
    assert store.settings_caveat(one).startswith("Not quite unseen for small-mf")
    assert store.settings_caveat_summary([]) is None and store.settings_caveat([]) is None


def test_a_rising_l2_penalty_is_described_without_early_stopping_s_words():
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    (spec,) = [s for s in vega_specs(at) if "Regularizer" in str(s.get("title", {}).get("text"))]
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "tables" not in subtitle and "user and movie vectors" in subtitle
    nodes = list(at.tabs[0])
    charts_at = [i for i, n in enumerate(nodes) if n.type == "vega_lite_chart"]
    below = nodes[charts_at[1] + 1].value  # the caption under the regularizer chart
    history = store.load_model("small-mf").history
    l2 = history["reg_l2"]
    assert below.startswith(f"small-mf: L2 {l2[0]:.3g} at epoch 1 to {l2[-1]:.3g} at epoch")
    mine = text.penalty_curves_text({"small-mf": history}, ["reg_l2"], charts.PENALTY_LABELS)
    assert below.startswith(text.md(mine[:-1]))
    assert "not falling" not in below
    said = " ".join(c.value for c in at.caption)
    assert "vectors that start near zero grow as they learn" in said
    # the course of each shape, in words an early-stopping curve does not share
    course = text.penalty_curves_text(
        {"m": {"reg_l2": [0.3, 0.5, 0.4], "reg_whitening": [2.0, 1.0, 1.0]}},
        ["reg_l2", "reg_whitening"],
        charts.PENALTY_LABELS,
    )
    assert text.penalty_curves_text({"m": {"reg_l2": [0.1, 0.2]}}, ["reg_l2"], {}) == (
        "m: reg_l2 0.1 at epoch 1 to 0.2 at epoch 2, rising."
    )
    assert course == (
        "m: L2 0.3 at epoch 1 to 0.4 at epoch 3, highest at epoch 2, lowest at epoch 1; "
        "m: whitening 2 at epoch 1 to 1 at epoch 3, falling."
    )
