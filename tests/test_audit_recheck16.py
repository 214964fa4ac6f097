"""Recheck 16b (findings 3, 4 and 5) and accuracy round 58, finding 1: Compare's accuracy
download carries the screen's settings caveat and names its intervals' level, spreads over
dimensions are never written like intervals, and a relabelling p at the cutoff is called
borderline, not real or not real."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import open_page
from test_audit_views42_downloads import downloads  # noqa: F401 (a fixture)

from movierate import store
from movierate.explore import axes
from movierate.explore.compare import paired_columns
from movierate.explore.verdicts import regularizer_verdicts
from movierate.paired import PairedDifference
from movierate.spec import ModelSpec

# --- recheck 16b, F3 and F5: the accuracy download ---------------------------------------


def test_accuracy_download_says_which_settings_saw_the_test_rows(trained_home, downloads):  # noqa: F811
    """F3: the screen says "Some settings of every model here were chosen partly on ratings
    among their test rows"; the file had no word of it. F5: the paired gap's half-width was
    "its half-width (the level in the cell)"."""
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    table = pd.read_csv(io.StringIO(downloads["accuracy_csv"][1])).set_index("model")
    said = table[store.SETTINGS_CHOSEN_COLUMN]
    # both trained on ml-latest-small's default split, whose test rows chose the defaults
    assert said.str.startswith("yes: defaults every model uses").all(), said
    assert "chosen partly on ratings among their test rows" in " ".join(c.value for c in at.caption)
    assert "its half-width (the level in the cell)" not in table.columns
    assert "its half-width (95%)" in table.columns  # two models: one pair, no Bonferroni


def test_settings_cells_leave_no_model_unsaid():
    """An imported embedding was trained elsewhere (not "no"); a model without test rows has
    no test RMSE for the caveat to concern."""
    imported = SimpleNamespace(name="glove", meta={"imported": True}, has_test_rows=False)
    old = SimpleNamespace(name="old", meta={}, has_test_rows=False, spec=ModelSpec())
    assert store.settings_chosen_cells([imported, old]) == ["not known (trained elsewhere)", None]


def _difference(name: str, rmse: float, **kw) -> PairedDifference:
    return PairedDifference(name, "low", 5_000, rmse, 0.90, 0.002, 0.5, n_models=4, **kw)


def test_paired_columns_name_their_level_and_the_sign_flip_p():
    """F5: the level was only inside each text cell ("95% for all 6 pairs")."""
    found = [_difference("low", 0.90), _difference("b", 0.91), _difference("c", 0.93)]
    columns = paired_columns(found)
    half = "its half-width (95%, Bonferroni over the 6 pairs)"
    assert list(columns) == ["test RMSE minus the lowest's", half]
    assert columns[half][0] is None and columns[half][1] == pytest.approx(found[1].half_width)
    flipped = [
        _difference("low", 0.90, p_value=0.5),
        _difference("b", 0.91, p_value=0.004, flip_half_width=0.006, n_users=150),
    ]
    columns = paired_columns(flipped)
    assert columns["its sign-flip p"] == [None, 0.004]
    assert "its half-width (95%, Bonferroni over the 6 pairs, sign-flip by user)" in columns


# --- recheck 16b, F4: a spread over dimensions is no interval -------------------------------


def test_whitening_verdict_writes_its_spread_over_dimensions_as_an_sd():
    """The verdict box wrote "covariance diagonal 0.506 ± 0.022 (0.451 to 0.536)", like the
    page's 95% intervals, beside the table's "0.506 (sd 0.022 over dims)"."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5_000, 8)) * np.sqrt(np.linspace(0.9, 1.1, 8))
    (verdict,) = regularizer_verdicts(
        {"movie_embedding": x}, ModelSpec(dim=8, regularizers={"whitening": 1.0})
    )
    assert "±" not in verdict.sentence, verdict.sentence
    assert "over dims; range " in verdict.sentence, verdict.sentence


# --- accuracy round 58, F1: a p at the 5% line is the draw's, not the sets' -----------------


def _sets(shift: float = 1.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8))
    x[20:, 0] += shift
    return x, np.arange(20), np.arange(20, 40)


@pytest.mark.parametrize(
    ("p_value", "verdict"),
    [(11 / 200, "borderline"), (6 / 200, "borderline"), (16 / 200, "borderline")],
)
def test_a_relabelling_p_at_the_cutoff_is_called_borderline(monkeypatch, p_value, verdict):
    """10 of 199 read "not real ... as good as sets that mean nothing", 5 of 199 (another
    seed) "real": both within two binomial standard errors (0.031) of 5% at 199 draws."""
    monkeypatch.setattr(axes, "_permutation_p", lambda *args: p_value)
    quality = axes.axis_quality(*_sets())
    assert quality.verdict == verdict
    k = round(p_value * 200) - 1
    assert f"{k} of 199 random relabellings" in quality.message
    assert "at the edge" in quality.message and "either way" in quality.message
    assert "as good as sets that mean nothing" not in quality.message


@pytest.mark.parametrize(("p_value", "verdict"), [(1 / 200, "real"), (0.5, "not real")])
def test_a_relabelling_p_far_from_the_cutoff_keeps_its_call(monkeypatch, p_value, verdict):
    monkeypatch.setattr(axes, "_permutation_p", lambda *args: p_value)
    assert axes.axis_quality(*_sets()).verdict == verdict


def test_the_edge_is_two_binomial_standard_errors_at_199_draws():
    edge = [k for k in range(200) if axes.at_the_edge((k + 1) / 200)]
    assert edge == list(range(3, 16))  # 0.020 to 0.080 around 0.05 +- 0.031


def test_probe_counts_say_how_many_lie_at_the_edge():
    """The same rule for the probes' "genres beyond chance" (199 relabellings, 5%)."""
    from movierate.ui.explore_views import _beyond_chance

    table = pd.DataFrame(
        {"target": [f"genre: {g}" for g in "abcd"], "p_value": [0.005, 0.03, 0.055, 0.5]}
    )
    assert _beyond_chance(table, "genre: ") == (
        "2 of 4 (2 at the edge: another draw of relabellings could call them either way)"
    )
    assert _beyond_chance(table.iloc[[0, 3]], "genre: ") == "1 of 2"


def test_probe_bars_at_the_edge_say_so_in_their_hover():
    from movierate.ui.explore_figures import probes_figure

    table = pd.DataFrame(
        {
            "target": ["genre: a", "genre: b", "genre: c"],
            "auc": [0.8, 0.7, 0.6],
            "chance_auc": [0.6, 0.6, 0.6],
            "p_value": [0.005, 0.03, 0.5],
            "accuracy": [0.9, 0.9, 0.9],
            "baseline": [0.9, 0.9, 0.9],
            "popularity_auc": [np.nan] * 3,
        }
    )
    said = [d[4] for d in probes_figure({"m": table}).data[0].customdata]
    assert said[0] == "beyond chance" and said[2].startswith("within chance")
    assert said[1] == "beyond chance, but at the edge: another draw could call it either way"


def test_an_inexact_whitening_box_writes_its_spread_as_an_sd(trained_home, monkeypatch):
    """Compare's box for an exact whitening wrote "covariance diagonal 0.987 ± 0.004" where its
    covariance is not exactly I (here made so)."""
    from movierate.explore import verdicts

    original = verdicts.covariance_stats

    def off(x):
        return original(x) | {"diag_std": original(x)["diag_std"] + 0.004}

    monkeypatch.setattr(verdicts, "covariance_stats", off)
    at = open_page("pages/compare.py", models="small-mf", exact="true")
    box = next(i.value for i in at.info if "whitened by construction" in i.value)
    assert "over dims)" in box and "±" not in box, box
