"""The regularizer study: its measures on known arrays, and ``python -m movierate study --quick``."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from movierate import study
from movierate.cli import main


def test_fixed_users_are_reproducible(movielens_dir):
    from movierate.data import load_dataset

    ds = load_dataset("ml-100k")
    users = study.fixed_users(ds, 5)
    assert np.array_equal(users, study.fixed_users(ds, 5)) and len(set(users)) == 5
    counts = np.bincount(ds.ratings["user_idx"], minlength=ds.n_users)
    assert (counts[users] >= 20).all()


def test_markdown_report_has_a_table_per_dataset_and_dim():
    frame = pd.DataFrame(
        {"dataset": ["a", "a", "b"], "dim": [8, 8, 8], "variant": ["none", "l2", "none"],
         "valid_rmse": [0.9, 0.91, math.nan], "final_reg_l2": [math.nan, 0.01, math.nan]}
    )  # fmt: skip
    text = study.markdown_report(frame, study.QUICK_PLAN, 12.0)
    assert "## a, dim 8" in text and "## b, dim 8" in text
    assert "| l2 | 0.9100 |" in text and "| none | - |" in text
    assert "reg_l2" in text


@pytest.mark.slow
def test_quick_study_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", "--quick", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= set(study.RESULT_FILES)

    payload = json.loads((out / "results.json").read_text())
    rows = pd.DataFrame(payload["rows"]).set_index("variant")
    assert list(rows.index) == [v.name for v in study.VARIANTS]
    assert (rows["dataset"] == "ml-100k").all() and (rows["dim"] == 8).all()
    numeric = rows[[c for c in study.TABLE_COLUMNS if c != "variant"]]
    assert np.isfinite(numeric.to_numpy(dtype=float)).all(), numeric
    assert rows["valid_rmse"].between(0.85, 1.3).all(), rows["valid_rmse"]
    assert (rows["valid_mae"] < rows["valid_rmse"]).all()
    assert (rows["train_seconds"] > 0).all()
    assert rows.loc["whitening", "penalty_whitening"] < rows.loc["none", "penalty_whitening"]
    assert rows.loc["l2", "penalty_l2"] < rows.loc["none", "penalty_l2"]
    assert rows.loc["whitening", "final_reg_whitening"] >= 0
    assert rows.loc["adversarial", "final_disc_loss"] > 0
    assert rows["genre_coherence_at_10"].between(0, 1).all()
    threshold = f"top10_median_n_ratings_min{study.RECOMMEND_THRESHOLD}"
    assert (rows[threshold] >= study.RECOMMEND_THRESHOLD).all()

    ablation = pd.read_csv(out / "ablation.csv")
    assert len(ablation) == 8 * len(study.VARIANTS)
    assert np.isfinite(ablation[["valid_rmse_increase", "train_rmse_increase"]].to_numpy()).all()
    report = (out / "study.md").read_text()
    assert "## ml-100k, dim 8" in report and "| whitening |" in report
