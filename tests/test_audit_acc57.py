"""Accuracy round 57 (the tuner and the regularizer study reproduced): a statistic that means
nothing for the exactly whitened rows, a quick study that did not say it can contradict the
full one, a refit's epoch count named as early stopping's pick, the tuner's trial table and
its missing caveat on the tuned defaults' early-stopping RMSE."""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from types import SimpleNamespace

import pandas as pd

from movierate import cli, study
from movierate.study.plan import EXACT_SUFFIX

VARIANCE_SPEARMAN = "spearman_variance_vs_test_importance"


def _frame() -> pd.DataFrame:
    """Two seeds of none, its exact whitening, decorrelation, l2 and l2+whitening, as the quick
    run of the round: decorrelation ended more correlated than none, and l2+whitening's test
    RMSE below l2's."""
    rows = []
    values = {  # variant: (test_rmse, penalty_decorrelation, variance Spearman per seed)
        "none": (0.9730, 0.00061, (0.93, 0.93)),
        "none" + EXACT_SUFFIX: (0.9730, 7e-17, (-0.571, 0.833)),
        "decorrelation": (0.9681, 0.00089, (0.93, 0.90)),
        "l2": (0.9768, 0.00045, (0.88, 1.0)),
        "l2+whitening": (0.9754, 0.0018, (0.5, 0.6)),
    }
    for seed in (0, 1):
        for variant, (rmse, penalty, spearman) in values.items():
            rows.append(
                {
                    "dataset": "ml-100k",
                    "dim": 8,
                    "seed": seed,
                    "variant": variant,
                    "test_rmse": rmse + seed * 0.001,
                    "penalty_decorrelation": penalty,
                    VARIANCE_SPEARMAN: spearman[seed],
                    "spearman_variance_vs_train_importance": spearman[seed],
                }
            )
    return pd.DataFrame(rows)


def test_the_variance_spearman_of_an_exact_whitening_is_not_shown_as_a_result(tmp_path):
    """F1: study.md gave "0.13 ± 0.99" (seeds -0.57 and +0.83) for rows whose dimensions all
    have the same variance by construction; the files kept the numbers too."""
    text = study.markdown_report(_frame(), study.QUICK_PLAN, 1.0)
    exact_row = next(line for line in text.splitlines() if line.startswith("| none (exact"))
    assert "| — | — |" in exact_row and "0.13" not in exact_row
    assert "ranks noise" in text
    none_row = next(line for line in text.splitlines() if line.startswith("| none |"))
    assert "0.93 ± 0.00" in none_row  # the other rows keep theirs
    files = study.write_results(
        _frame(), pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}), study.QUICK_PLAN, 1.0,
        tmp_path,
    )  # fmt: skip
    results = pd.read_csv(files["results.csv"])
    exact = results["variant"].str.endswith(EXACT_SUFFIX)
    assert results.loc[exact, VARIANCE_SPEARMAN].isna().all()
    assert results.loc[~exact, VARIANCE_SPEARMAN].notna().all()
    summary = pd.read_csv(files["summary.csv"]).set_index("variant")
    assert math.isnan(summary.loc["none" + EXACT_SUFFIX, VARIANCE_SPEARMAN])
    payload = json.loads(files["results.json"].read_text())
    assert VARIANCE_SPEARMAN in payload["not_applicable"][0]["columns"]
    assert "same variance by construction" in payload["not_applicable"][0]["why"]


def test_a_quick_study_says_it_is_a_smoke_run_and_where_it_contradicts_the_findings():
    """F2: the quick run's decorrelation ended more correlated than none and its whitening
    lowered l2's test RMSE; study.md said nothing of it."""
    text = study.markdown_report(_frame(), study.QUICK_PLAN, 1.0)
    assert "**A smoke run, not the study**: 2 epochs at dim 8" in text
    assert "can contradict" in text
    assert "## Against the full study's findings" in text
    decorrelation = next(line for line in text.splitlines() if "**decorrelation**" in line)
    assert "decorr. pen. 0.00089 against none's 0.00061" in decorrelation
    assert "higher or equal in 2 of 2 seeds" in decorrelation
    assert "lowers what it penalises" in decorrelation
    whitening = next(line for line in text.splitlines() if "**l2+whitening**" in line)
    assert "test RMSE 0.9759 against l2's 0.9773" in whitening and "README item 1" in whitening
    full = replace(study.FULL_PLAN, datasets=("ml-100k",), dims=(8,))
    assert "smoke run" not in study.markdown_report(_frame(), replace(full, dims=(32,)), 1.0)
    assert "smoke run" in study.markdown_report(_frame(), full, 1.0)  # dim 8: not the study


def test_show_does_not_call_a_refits_epoch_count_early_stoppings_pick(capsys):
    """F3: `show` on a refit said "kept epoch (early stopping's best) 7" and "kept epoch
    eligible from epoch 1"; the refit ran a fixed 7 epochs with no rows to stop on."""
    from movierate.data.synthetic import synthetic_dataset
    from movierate.tuning import tune

    tiny = synthetic_dataset(n_ratings=1500, n_users=40, n_movies=60, seed=5)
    tune(tiny, "tuned", n_trials=2, max_epochs=3, refit=True)
    code = cli.main(["show", "tuned"])
    out = capsys.readouterr().out
    assert code == 0
    assert "early stopping's best" not in out and "eligible from epoch" not in out
    assert "epochs (refit: ran the tuner's choice in full; no early stopping)" in out


def _record(**changes):
    from movierate.tuning import TrialRecord

    fields = dict(
        number=2, state="complete", value=0.9261, params={}, spec={"epochs": 15},
        best_epoch=15, epochs_run=15, seconds=4.0,
    )  # fmt: skip
    return TrialRecord(**{**fields, **changes})


def test_the_trial_table_labels_pruned_values_and_trials_cut_at_the_cap():
    """F4: "6  pruned  0.9595" stood under "early-stopping RMSE" as if a best, and trial 2's
    kept epoch 15 of a 15-epoch cap (still improving) was not flagged."""
    pruned = _record(number=6, state="pruned", value=0.9595, best_epoch=None, epochs_run=5)
    assert pruned.value_text() == "0.9595 (pruned: epoch 5's)"
    assert pruned.kept_text() == "-" and not pruned.cut_at_cap
    capped = _record()
    assert capped.cut_at_cap and capped.kept_text() == "15, at the cap, still improving"
    assert capped.value_text() == "0.9261"
    stopped = _record(best_epoch=7, epochs_run=11)
    assert not stopped.cut_at_cap and stopped.kept_text() == "7"
    timed_out = _record(epochs_run=15, error="ended at the budget, best epoch so far kept")
    assert not timed_out.cut_at_cap


def test_tune_gives_the_tuned_defaults_early_stopping_rmse_the_caveat_train_gives(monkeypatch):
    """F5: `train` said the tuned defaults' early-stopping RMSE 0.9064 is flattered (the same
    rows chose those settings); `tune` printed it from the same rows without a word."""
    from movierate import store
    from movierate.cli import tune as tune_cli
    from movierate.defaults import DEFAULTS_SEEN, default_spec_for

    spec = default_spec_for("ml-100k").with_(epochs=15)
    meta = {
        "dataset": {"name": "ml-100k", "seen_fingerprint": DEFAULTS_SEEN["ml-100k"]},
        "split": {"method": "random", "seed": 42, "test_fraction": 0.1, "n_test": 10_000,
                  "stop_rows_trained": True},
        "spec": spec.with_(epochs=7, early_stopping_patience=0).to_dict(),
    }  # fmt: skip
    monkeypatch.setattr(store, "read_meta", lambda name: meta)
    monkeypatch.setattr(tune_cli, "_warn_about_test_rows", lambda result, out: None)
    result = SimpleNamespace(
        name="t57", best_trial=1, best_value=0.9064, trials=[None] * 6, search_seconds=60.0,
        best_spec=spec, summary={"refit": {"epochs": 7, "ensemble": 1, "dim": 32}},
    )  # fmt: skip
    out = io.StringIO()
    tune_cli._print_saved(result, {"test_rmse": 0.8922}, out)
    assert (
        "(trial 1's early-stopping rows also chose its settings (ml-100k's tuned defaults, best "
        "of 646 trials): their RMSE flatters it)"
    ) in out.getvalue()
    other = SimpleNamespace(**{**vars(result), "best_spec": spec.with_(learning_rate=0.01)})
    out = io.StringIO()
    tune_cli._print_saved(other, {"test_rmse": 0.8922}, out)
    assert "flatters" not in out.getvalue()
    # the class: `show` gives the refit's tuning line the same number, the same caveat
    assert tune_cli.winner_stop_rows_chose(meta) == (
        "its settings (ml-100k's tuned defaults, best of 646 trials)"
    )


def test_a_searchs_recorded_space_names_its_own_epoch_cap():
    """F4's class: a search capped at 15 epochs recorded "cap 60" in its summary."""
    from movierate.tuning import search_space

    assert search_space("mf_bias", 81_000, 15)["epochs"].endswith("cap 15)")


def test_the_readme_gives_the_tuned_defaults_stop_rmse_todays_code_gives():
    """F6: the Tuned defaults table gave ml-100k mf_bias 0.9048; the same settings on the same
    split give 0.9064 today."""
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| ml-100k | mf_bias | L2"))
    assert "0.9064" in row and "0.9048" not in row
