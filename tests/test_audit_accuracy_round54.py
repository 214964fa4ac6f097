"""Accuracy round 54 (seed noise against every verdict, an A/A test).

F1: the paired test's caption quoted about 5% (15-22% "counted row by row") as seed noise; 5 of
13 seed-twin pairs (38%) crossed 2 standard errors by user on ml-100k, mf_bias dim 16, 12 epochs.
F2: with twin groups on one Compare page, gaps within a group's seed spread read "beyond draw",
and the reference was the luckiest of its setting's seeds without a word.
F4: Movie by movie's agreement of two settings at one seed is partly their shared start.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from movierate import paired, store
from movierate.explore.compare import shared_seed_note
from movierate.spec import ModelSpec
from tests.apptest_helpers import open_page

README = Path(__file__).resolve().parents[1] / "README.md"

#: The reviewer's eight models: test RMSEs of l2 seeds s1..s5 and l2 + decorrelation d1..d3.
L2 = {"s1": 0.8988, "s2": 0.9017, "s3": 0.8972, "s4": 0.9022, "s5": 0.9019}
DECOR = {"d1": 0.9039, "d2": 0.9065, "d3": 0.8984}


def _model(name: str, rmse: float, base: np.ndarray, seed: int, **spec) -> SimpleNamespace:
    """A model of ml-100k's default split whose test errors are ``base`` scaled to ``rmse``."""
    return SimpleNamespace(
        name=name,
        errors=base * rmse / np.sqrt(np.mean(base**2)),
        spec=ModelSpec(family="mf_bias", dim=16, seed=seed, **spec),
        meta={
            "split": {"method": "random", "seed": 42, "n_test": 4000, "digest": "d"},
            "dataset": {"name": "ml-100k", "fingerprint": "f"},
        },
        metrics={"test_rmse": rmse},
    )


def _eight(monkeypatch) -> list[SimpleNamespace]:
    """The reviewer's page, s1..s5 and d1..d3, with test errors paired row by row."""
    base = np.random.default_rng(54).normal(0, 0.9, 4000)
    l2 = {"l2": 0.1}
    models = [_model(n, r, base, int(n[1]), regularizers=l2) for n, r in L2.items()]
    decor = {"l2": 0.1, "decorrelation": 10.0}
    models += [_model(n, r, base, int(n[1]), regularizers=decor) for n, r in DECOR.items()]

    def errors_on_test_rows(model, ds):
        rows = np.arange(len(model.errors))
        return rows, model.errors, rows

    monkeypatch.setattr(paired, "errors_on_test_rows", errors_on_test_rows)
    return models


# --- F1: the caption's seed-noise rates -------------------------------------------------------


def test_the_caption_does_not_understate_seed_noise(monkeypatch):
    """The caption gave "about 5%" and "15-22% ... counted row by row" as the size of seed
    noise; it now spans the measured rates up to this round's 38% by user, says the rate
    depends strongly on the settings and data, and that a second seed is the way to know."""
    models = _eight(monkeypatch)[:2]
    caption = paired.threshold_text(paired.paired_differences(models, ds=None)[0])
    assert "depends strongly on the settings and the data" in caption
    assert "5 of 13 (38%) for mf_bias dim 16 with 12 epochs on ml-100k (counted by user" in caption
    assert "about 5% at the default settings" in caption and "15-22%" in caption
    assert "a second seed of each model is the way to know" in caption


def test_the_readme_quotes_the_same_rates_as_the_caption():
    """The README's paired-test section cites the caption's numbers: kept in step."""
    section = README.read_text().split("### Compare's paired test")[1].split("\n## ")[0]
    section = re.sub(r"\s+", " ", section)
    for rate in ("4.7%", "14.9%", "21.9%", "5 of 13 seed-only pairs (38%)", "6 of 15"):
        assert rate in section, rate
    assert "depends strongly on the settings and the data" in section
    assert "a second seed of each model is the way to know" in section
    assert "within seed spread" in section


# --- F2: cells within a twin group's spread, and a lucky reference -----------------------------


def test_gaps_within_a_twin_groups_spread_are_marked(monkeypatch):
    """The reviewer's page: d1's gap to s3 (0.0067) is within d1..d3's spread (0.0081), d3's
    (0.0012) too; d2's (0.0093) is not. Twin cells keep "only the seed differs"."""
    models = _eight(monkeypatch)
    by_name = {d.name: d for d in paired.paired_differences(models, ds=None)}
    assert {d.reference for d in by_name.values()} == {"s3"}
    d1, d2, d3 = by_name["d1"], by_name["d2"], by_name["d3"]
    assert abs(d1.seed_spread - 0.0081) < 1e-9  # d1..d3's spread, larger than s1..s5's
    assert d1.resolved and d1.within_seed_spread
    assert d1.short().endswith("SE, beyond draw, within seed spread)")
    assert "within the seed spread of these settings here (0.0081)" in d1.sentence()
    assert d3.within_seed_spread and not d2.within_seed_spread
    assert d2.short().endswith("SE, beyond draw)")
    assert by_name["s4"].short().endswith("SE, only the seed differs)")
    assert not by_name["s4"].within_seed_spread and not by_name["s3"].within_seed_spread
    said = paired.seed_spread_text(list(by_name.values()))
    assert said.startswith(
        "s3, the reference, is the lowest of 5 seeds of one setting here (s1, s2, s3, s4 and "
        "s5; their mean test RMSE 0.9004): each gap to it is measured from that setting's "
        "luckiest draw"
    )
    assert 'Marked "within seed spread" (d1 and d3)' in said


def test_no_twins_no_marks(monkeypatch):
    """One seed of each setting: nothing measures a seed spread, so no cell is marked."""
    models = _eight(monkeypatch)
    one_each = [m for m in models if m.name in ("s3", "d1")]
    found = paired.paired_differences(one_each, ds=None)
    assert all(d.seed_spread is None and not d.within_seed_spread for d in found)
    assert paired.seed_spread_text(found) is None
    # the reference without twins, a model with them: marked by its own group's spread
    some = [m for m in models if m.name in ("s3", "d1", "d3")]
    found = {d.name: d for d in paired.paired_differences(some, ds=None)}
    assert found["d3"].within_seed_spread and not found["d1"].within_seed_spread
    assert paired.seed_spread_text(list(found.values())).startswith(
        'Marked "within seed spread" (d3)'
    )


def test_evaluate_against_marks_them_too(monkeypatch, capsys):
    """`evaluate --against` prints the same cells, verdicts and note."""
    from movierate.cli import models as cli_models

    cli_models._print_paired(_eight(monkeypatch), None)
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("d1 "))
    assert "beyond draw, within seed spread)" in line
    assert line.rstrip().endswith("more than the draw, within seed spread")
    assert "s3, the reference, is the lowest of 5 seeds" in out.replace("\n", " ")


def test_compare_s_twin_box_carries_the_spread_note(trained_home, monkeypatch):
    """The Compare page's twin box gets :func:`paired.seed_spread_text` of its paired table."""
    seen = []

    def spread_text(differences):
        seen.append(sorted(d.name for d in differences))
        return "Spread here."

    monkeypatch.setattr(paired, "seed_twins_text", lambda models: "Twins here.")
    monkeypatch.setattr(paired, "seed_spread_text", spread_text)
    monkeypatch.setattr(store, "twins_averages_text", lambda models, metrics: "")
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    assert "Twins here. Spread here." in [i.value for i in at.info]
    assert seen and seen[-1] == ["small-deep", "small-mf"]


# --- F4: agreement at one seed -----------------------------------------------------------------


def _trained(name: str, seed: int, **meta) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        spec=ModelSpec(seed=seed),
        meta={"dataset": {"name": "ml-100k", "fingerprint": "f"}, **meta},
    )


def test_two_settings_at_one_seed_are_said_to_share_their_start():
    """s1 (l2) and d1 (l2 + decorrelation), both seed 1: Jaccard@10 0.357 against 0.111 at
    two seeds; the shared start is said. Not for other seeds, other data, imported or tuned
    models, or a model and its own exact whitening."""
    said = shared_seed_note(_trained("s1", 1), _trained("d1", 1))
    assert said.startswith("s1 and d1 were trained with the same seed (1), so their vectors")
    assert "part of the agreement below is that shared start" in said
    assert shared_seed_note(_trained("s1", 1), _trained("d2", 2)) is None
    other = _trained("x", 1, dataset={"name": "ml-100k", "fingerprint": "g"})
    assert shared_seed_note(_trained("s1", 1), other) is None
    assert shared_seed_note(_trained("s1", 1), _trained("t", 1, tuning={"trials": 4})) is None
    assert shared_seed_note(_trained("s1", 1), _trained("i", 1, imported=True)) is None
    white = _trained("s1 (exact whitening)", 1, exact_whitening_of="s1")
    assert shared_seed_note(_trained("s1", 1), white) is None
    assert shared_seed_note(_trained("d1", 1), white) is not None


def test_movie_by_movie_says_the_two_models_share_a_seed(trained_home):
    """small-mf and small-deep are both trained with the default seed on ml-latest-small."""
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"], section="Movie by movie")
    assert any("were trained with the same seed (42)" in i.value for i in at.info), [
        i.value for i in at.info
    ]
