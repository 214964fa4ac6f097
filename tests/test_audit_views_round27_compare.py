"""Views round 27 (a newcomer reads every page), Compare and Home: F1 (a 330-word caption between
Compare's accuracy table and its charts, whose settings caveat repeated Home's word for word;
the intro's promise of boxes that L2-only models never get) and F6's Regularizer losses wording
("tables" jargon, an L2 penalty's rise read as a fault).

Shown: test_app_truth's home, the session's ``small-mf`` and ``small-deep`` (L2 or none: no
regularizer box) and a whitened model (a box).
"""

from __future__ import annotations

import pytest
from apptest_helpers import open_page, vega_specs
from test_app_truth import home, truth_home  # noqa: F401 (its models and fixtures)

from movierate import store
from movierate.ui import charts, text

pytestmark = pytest.mark.usefixtures("home")


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
