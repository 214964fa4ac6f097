"""The regularizer study: its measures and summaries on known numbers, and
``python -m movierate study --quick`` (two seeds, exact whitening, section 5's columns)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from movierate import config, store, study
from movierate.cli import main
from movierate.cli.study import pick_variants
from movierate.errors import SpecError, StoreError
from movierate.study.measure import PCA_CHOSEN
from movierate.study.report import NOT_APPLICABLE_EXACT


def test_fixed_users_are_reproducible(movielens_dir):
    from movierate.data import load_dataset

    ds = load_dataset("ml-100k")
    users = study.fixed_users(ds, 5)
    assert np.array_equal(users, study.fixed_users(ds, 5)) and len(set(users)) == 5
    counts = np.bincount(ds.ratings["user_idx"], minlength=ds.n_users)
    assert (counts[users] >= 20).all()


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"dataset": ["a"] * 4 + ["b"], "dim": [8] * 5, "seed": [0, 1, 0, 1, 0],
         "variant": ["none", "none", "l2", "l2", "none"],
         "test_rmse": [0.9, 0.92, 0.91, 0.91, math.nan],
         "final_reg_l2": [math.nan, math.nan, 0.01, 0.03, math.nan]}
    )  # fmt: skip


def test_summarize_gives_mean_and_spread_over_seeds():
    summary = study.summarize(_frame()).set_index(["dataset", "variant"])
    assert summary.loc[("a", "none"), "test_rmse"] == pytest.approx(0.91)
    assert summary.loc[("a", "none"), "test_rmse_std"] == pytest.approx(0.02 / math.sqrt(2))
    assert summary.loc[("a", "l2"), "test_rmse_std"] == pytest.approx(0.0, abs=1e-12)
    assert summary.loc[("a", "l2"), "final_reg_l2"] == pytest.approx(0.02)
    assert list(summary["n_seeds"]) == [2, 2, 1]
    assert math.isnan(summary.loc[("b", "none"), "test_rmse_std"])  # one seed: no spread


def test_markdown_report_has_a_table_per_dataset_and_dim():
    text = study.markdown_report(_frame(), replace(study.QUICK_PLAN, datasets=("a", "b")), 12.0)
    assert "## a, dim 8" in text and "## b, dim 8" in text
    assert "| none | 0.9100 ± 0.0141 |" in text and "| l2 | 0.9100 ± 0.0000 |" in text
    assert "| none | - |" in text
    assert "reg_l2" in text and "0.02 ± 0.01414" in text
    assert "model seeds 0, 1" in text
    assert "No results for" not in text


def test_the_report_counts_seeds_below_the_averages_by_the_paired_interval():
    """s27's note, left alone: which variants beat user and movie averages was read off the
    mean test RMSE alone, without any interval."""
    frame = (
        _frame()
        .iloc[:4]
        .assign(
            test_rmse_of_mean=1.1,
            test_rmse_of_averages=0.95,
            test_rmse_minus_averages=[-0.05, -0.01, 0.03, -0.04],
            test_rmse_minus_averages_ci95=[0.02, 0.02, 0.02, 0.02],
        )
    )
    text = study.markdown_report(frame, replace(study.QUICK_PLAN, datasets=("a",)), 12.0)
    assert (
        "Seeds whose test RMSE is below the averages' beyond the test rows' draw (paired over "
        "those rows, 95%, users counted together): none 1 of 2, l2 1 of 2 (above in 1)."
    ) in text
    assert "Seeds whose" not in study.markdown_report(_frame(), study.QUICK_PLAN, 1.0)


def test_a_stopped_run_s_report_says_which_datasets_have_no_results():
    """Recheck: after a Ctrl-C the partial study.md read as a finished run."""
    plan = replace(study.QUICK_PLAN, datasets=("a", "b", "c"))
    text = study.markdown_report(_frame(), plan, 12.0)
    assert "**No results for c**: this run stopped before finishing it" in text


def test_compare_to_baseline_gives_cost_and_largest_prefix_gap():
    rows = [{"variant": "l2", "test_rmse": 0.90}, {"variant": "ordered", "test_rmse": 0.909}]
    curve = [  # (variant, basis, k, rmse)
        ("l2", "index", 1, 0.95), ("l2", "index", 2, 0.90),
        ("l2", "pca", 1, 0.93), ("l2", "pca", 2, 0.90),
        ("l2", "pca_weighted", 1, 0.92), ("l2", "pca_weighted", 2, 0.901),
        ("ordered", "index", 1, 0.915), ("ordered", "index", 2, 0.909),
    ]  # fmt: skip
    curves = pd.DataFrame(curve, columns=["variant", "basis", "k", "rmse"])
    study.compare_to_baseline(rows, curves)
    assert rows[0]["full_cost_pct"] == pytest.approx(0.0)
    assert rows[0]["max_prefix_gap"] == pytest.approx(0.03)  # 0.95 - min(0.93, 0.92)
    assert rows[1]["full_cost_pct"] == pytest.approx(1.0)
    assert rows[1]["max_prefix_gap"] == pytest.approx(0.009)  # k = 2: 0.909 - 0.900
    summary = study.summarize(
        pd.DataFrame(rows).assign(dataset="a", dim=2, seed=0, spearman_index_vs_test_importance=1)
    ).set_index("variant")
    assert summary.loc["l2", "targets_met"] == 0 and summary.loc["ordered", "targets_met"] == 0
    # with the weighting chosen on the stop rows (here: unweighted at k = 1, weighted at k = 2),
    # the gap is to that curve; the better weighting on the test rows is reported beside it
    chosen = pd.DataFrame(
        [("l2", PCA_CHOSEN, 1, 0.93), ("l2", PCA_CHOSEN, 2, 0.901)],
        columns=["variant", "basis", "k", "rmse"],
    )
    rows = [{"variant": "l2", "test_rmse": 0.90}, {"variant": "ordered", "test_rmse": 0.909}]
    study.compare_to_baseline(rows, pd.concat([curves, chosen], ignore_index=True))
    assert rows[1]["max_prefix_gap"] == pytest.approx(0.008)  # k = 2: 0.909 - 0.901
    assert rows[1]["max_prefix_gap_test_chosen"] == pytest.approx(0.009)
    assert rows[0]["max_prefix_gap"] == pytest.approx(0.02)  # k = 1: 0.95 - 0.93


def test_variants_are_picked_by_name():
    from movierate.cli.study import pick_variants

    picked = pick_variants("l2+ordered, l2", study.VARIANTS)
    assert [v.name for v in picked] == ["l2", "l2+ordered"]  # the plan's order
    with pytest.raises(SpecError, match="unknown l3"):
        pick_variants("l2,l3", study.VARIANTS)


def test_plan_and_seeds_are_checked(capsys):
    from dataclasses import replace

    with pytest.raises(SpecError, match="seeds repeat"):
        study.check_plan(replace(study.QUICK_PLAN, model_seeds=(1, 1)))
    with pytest.raises(SpecError, match="model seed"):
        study.check_plan(replace(study.QUICK_PLAN, model_seeds=()))
    assert main(["study", "--quick", "--seeds", "0,x", "--out", "/tmp/unused-study"]) != 0
    assert "--seeds" in capsys.readouterr().err
    assert len(study.FULL_PLAN.model_seeds) >= 3 and len(study.FULL_PLAN.datasets) >= 3


@pytest.mark.slow
def test_quick_study_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", "--quick", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= set(study.RESULT_FILES)

    payload = json.loads((out / "results.json").read_text())
    frame = pd.DataFrame(payload["rows"])
    seeds = study.QUICK_PLAN.model_seeds
    assert sorted(frame["seed"].unique()) == sorted(seeds)
    white = [v + study.EXACT_SUFFIX for v in study.EXACT_WHITENED]
    expected = [v.name for v in study.VARIANTS] + white
    for seed in seeds:
        assert sorted(frame[frame["seed"] == seed]["variant"]) == sorted(expected)
    rows = frame[frame["seed"] == seeds[0]].set_index("variant")
    assert (rows["dataset"] == "ml-100k").all() and (rows["dim"] == 8).all()
    numeric = rows[[c for c in study.TABLE_COLUMNS if c != "variant"]].copy()
    exact = numeric.index.str.endswith(study.EXACT_SUFFIX)  # accuracy round 57, F1: empty
    blank = [c for c in NOT_APPLICABLE_EXACT if c in numeric]
    assert numeric.loc[exact, blank].isna().all().all()
    numeric.loc[exact, blank] = 0.0
    assert np.isfinite(numeric.to_numpy(dtype=float)).all(), numeric
    assert rows["test_rmse"].between(0.85, 1.3).all(), rows["test_rmse"]
    assert (rows["test_mae"] < rows["test_rmse"]).all()
    # views round 8: what no embedding gives on the same test rows, in the tables' files
    from movierate import baselines
    from movierate.data import load_dataset, make_split

    ds = load_dataset("ml-100k")
    split = make_split(ds, method="random", seed=study.QUICK_PLAN.split_seed)
    refs = baselines.baseline_metrics(ds, split.train, split.test, ds.rating_scale)
    assert rows["test_rmse_of_averages"].to_numpy() == pytest.approx(refs["test_rmse_of_averages"])
    said = (out / "study.md").read_text()
    assert (
        f"user and movie averages (the damped baseline of `movierate.baselines`, biases fit by "
        f"least squares) give RMSE {refs['test_rmse_of_averages']:.4f}" in said
    )
    assert "Seeds whose test RMSE is below the averages' beyond the test rows' draw" in said
    assert np.isfinite(rows["test_rmse_minus_averages_ci95"]).all()
    assert (rows["train_seconds"] > 0).all()
    assert rows.loc["whitening", "penalty_whitening"] < rows.loc["none", "penalty_whitening"]
    assert rows.loc["l2", "penalty_l2"] < rows.loc["none", "penalty_l2"]
    assert rows.loc["whitening", "final_reg_whitening"] >= 0
    assert rows.loc["adversarial", "final_disc_loss"] > 0
    assert rows["genre_coherence_at_10"].between(0, 1).all()
    threshold = f"top10_median_n_ratings_min{study.RECOMMEND_THRESHOLD}"
    assert (rows[threshold] >= study.RECOMMEND_THRESHOLD).all()
    # exact whitening: white movie embedding, the same predictions (test RMSE) as its source
    for source in study.EXACT_WHITENED:
        whitened = rows.loc[source + study.EXACT_SUFFIX]
        assert whitened["penalty_whitening"] < 1e-3 < rows.loc[source, "penalty_whitening"]
        assert whitened["test_rmse"] == pytest.approx(rows.loc[source, "test_rmse"], abs=1e-5)
    # section 5: cost and prefix gap against l2, the ordered model sorted on training rows
    assert rows.loc["l2", "full_cost_pct"] == pytest.approx(0.0)
    assert np.isfinite(rows[["max_prefix_gap", "spearman_pca_vs_test_importance"]]).all().all()
    assert rows.loc["l2+ordered", "spearman_index_vs_train_importance"] >= 0.8
    prefix = pd.read_csv(out / "prefix.csv")
    one = prefix[(prefix["seed"] == seeds[0]) & (prefix["variant"] == "l2")]
    assert sorted(one["basis"].unique()) == sorted(["index", "pca", "pca_weighted", PCA_CHOSEN])
    # the comparator's weighting was chosen per k on the stop rows: one of the two, never mixed
    by = one.pivot(index="k", columns="basis", values="rmse")
    chosen = by[PCA_CHOSEN]
    assert ((chosen == by["pca"]) | (chosen == by["pca_weighted"])).all()
    # the ordered option's rank selection on the stop rows: K recorded, dims K.. zero on test
    ordered = rows.loc["l2+ordered"]
    assert 0 <= ordered["kept_dims"] <= 8 and np.isnan(rows.loc["l2", "kept_dims"])
    cut = ablation_of(out, seeds[0], "l2+ordered")
    assert (cut[cut["dimension"] >= ordered["kept_dims"]]["test_rmse_increase"] == 0).all()
    assert sorted(one[one["basis"] == "index"]["k"]) == list(range(1, 9))

    summary = pd.read_csv(out / "summary.csv").set_index("variant")
    assert (summary["n_seeds"] == len(seeds)).all()
    assert summary.loc["l2", "test_rmse"] == pytest.approx(
        frame[frame["variant"] == "l2"]["test_rmse"].mean()
    )
    ablation = pd.read_csv(out / "ablation.csv")
    assert len(ablation) == 8 * len(expected) * len(seeds)
    assert np.isfinite(ablation[["test_rmse_increase", "train_rmse_increase"]].to_numpy()).all()
    report = (out / "study.md").read_text()
    assert "## ml-100k, dim 8" in report and "| whitening |" in report and " ± " in report
    assert "## Q5." in report and "| l2 (pca) |" in report and "(exact whitening) |" in report


def ablation_of(out, seed: int, variant: str) -> pd.DataFrame:
    ablation = pd.read_csv(out / "ablation.csv")
    return ablation[(ablation["seed"] == seed) & (ablation["variant"] == variant)]


def _write_run(folder, dataset: str, plan) -> None:
    rows = _frame().assign(dataset=dataset)
    key = {"dataset": dataset, "dim": 8, "seed": 0, "variant": "none"}
    ablation = pd.DataFrame({"dimension": [0, 1], "test_rmse_increase": [0.1, 0.0]}).assign(**key)
    prefix = pd.DataFrame({"basis": ["index"], "k": [1], "rmse": [0.95]}).assign(**key)
    study.write_results(rows, ablation, prefix, plan, 10.0 if dataset == "a" else 30.0, folder)


def test_merge_results_of_runs_on_different_datasets(tmp_path, capsys):
    from dataclasses import replace

    plan = study.QUICK_PLAN
    _write_run(tmp_path / "a", "a", replace(plan, datasets=("a",)))
    _write_run(tmp_path / "b", "b", replace(plan, datasets=("b",)))
    out = tmp_path / "merged"
    argv = ["study", "--merge", f"{tmp_path / 'a'},{tmp_path / 'b'}", "--out", str(out)]
    assert main(argv) == 0
    payload = json.loads((out / "results.json").read_text())
    assert payload["plan"]["datasets"] == ["a", "b"] and payload["seconds"] == 30.0
    assert sorted({r["dataset"] for r in payload["rows"]}) == ["a", "b"]
    assert len(pd.read_csv(out / "prefix.csv")) == 2 and len(pd.read_csv(out / "ablation.csv")) == 4
    report = (out / "study.md").read_text()
    assert "Datasets a, b;" in report and "## a, dim 8" in report and "## b, dim 8" in report

    _write_run(tmp_path / "c", "c", replace(plan, datasets=("c",), epochs=3))
    bad = ["study", "--merge", f"{tmp_path / 'a'},{tmp_path / 'c'}", "--out", str(out)]
    assert main(bad) != 0 and "already holds results" in capsys.readouterr().err
    assert main([*bad, "--overwrite"]) != 0 and "differ" in capsys.readouterr().err
    nothing = ["study", "--merge", str(tmp_path / "nothing"), "--out", str(out), "--overwrite"]
    assert main(nothing) != 0
    assert "no complete study results" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda p: p["rows"][0].update(test_rmse="x"), "row 1's test_rmse is 'x', not a finite"),
        (lambda p: [r.update(test_rmse=None) for r in p["rows"]], "no row has a test_rmse"),
        (lambda p: p.update(rows=[]), "holds no result rows"),
        (lambda p: p["rows"][0].update(variant="l3"), "row 1's variant 'l3' is not one of"),
        (lambda p: p["rows"][0].update(dataset="../../etc"), "dataset '../../etc' is not one"),
        (lambda p: p.pop("plan"), "no 'plan' object"),
        (lambda p: p.update(rows="x"), "'rows' are not a list"),
    ],
)
def test_merging_a_damaged_run_is_refused_by_file_and_field(tmp_path, capsys, edit, said):
    """Bad input round 7: a test_rmse of "x" merged with rc 0 and dropped the test RMSE column
    for every dataset; a run without rows was still named as merged; a run without a plan
    ended in "unexpected KeyError ... a bug"."""
    from dataclasses import replace

    plan = study.QUICK_PLAN
    _write_run(tmp_path / "a", "a", replace(plan, datasets=("a",)))
    _write_run(tmp_path / "b", "b", replace(plan, datasets=("b",)))
    results = tmp_path / "a" / "results.json"
    payload = json.loads(results.read_text())
    edit(payload)
    results.write_text(json.dumps(payload))
    out = tmp_path / "merged"
    assert main(["study", "--merge", f"{tmp_path / 'a'},{tmp_path / 'b'}", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{results} is damaged or edited" in err and said in err and "bug" not in err
    assert not (out / "results.json").exists()


def test_a_stopped_run_merges_the_datasets_it_finished(tmp_path):
    """The recheck: a study stopped after its first dataset writes its results with the whole
    plan on purpose; merging it was refused as "damaged or edited"."""
    from dataclasses import replace

    plan = study.QUICK_PLAN
    _write_run(tmp_path / "a", "a", replace(plan, datasets=("a", "c")))  # stopped before c
    _write_run(tmp_path / "b", "b", replace(plan, datasets=("b",)))
    out = tmp_path / "merged"
    assert main(["study", "--merge", f"{tmp_path / 'a'},{tmp_path / 'b'}", "--out", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["plan"]["datasets"] == ["a", "b"]


def test_a_running_study_s_folder_is_not_merged(tmp_path, capsys):
    """Recheck 2 (left alone then): `--merge` read the partial results of a study still
    running in that folder; a live owner file now refuses it, a killed run's does not."""
    from dataclasses import replace

    plan = study.QUICK_PLAN
    _write_run(tmp_path / "a", "a", replace(plan, datasets=("a",)))
    _write_run(tmp_path / "b", "b", replace(plan, datasets=("b",)))
    (tmp_path / "b" / study.OWNER_FILE).write_text(str(os.getpid()))  # a live process
    out = tmp_path / "merged"
    runs = f"{tmp_path / 'a'},{tmp_path / 'b'}"
    assert main(["study", "--merge", runs, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'b'} belongs to a study that is still running (process " in err
    assert "once that run has finished" in err and not (out / "results.json").exists()
    into = ["--into", str(tmp_path / "b")]
    assert main(["study", "--merge", str(tmp_path / "a"), *into, "--out", str(out)]) == 1
    assert "still running" in capsys.readouterr().err
    (tmp_path / "b" / study.OWNER_FILE).write_text("999999999")  # a killed run's claim
    assert main(["study", "--merge", runs, "--out", str(out)]) == 0


def test_rerun_variants_replace_their_rows_in_full_results(tmp_path, capsys):
    """--merge RUN --into FULL: the run's rows, ablations and curves replace FULL's of the same
    dataset, seed and variant; the gap of every variant is recomputed against the new l2."""
    from dataclasses import replace

    plan = replace(study.QUICK_PLAN, datasets=("a",), dims=(2,), model_seeds=(0,))
    l2, none = (study.Variant("l2", regularizers={"l2": 0.1}), study.Variant("none"))

    def run(folder, variants, rmse, pca):
        rows = pd.DataFrame(
            {"dataset": "a", "dim": 2, "seed": 0, "variant": [v.name for v in variants],
             "test_rmse": [rmse[v.name] for v in variants],
             "spearman_index_vs_test_importance": 0.1, "spearman_pca_vs_test_importance": 0.5}
        )  # fmt: skip
        curves = []
        for v in variants:
            curves += [("index", k, rmse[v.name] + 0.01 * (2 - k)) for k in (1, 2)]
            if v.name == "l2":
                curves += [(b, k, pca[k - 1]) for b in ("pca", "pca_weighted") for k in (1, 2)]
        prefix = pd.DataFrame(curves, columns=["basis", "k", "rmse"])
        prefix = prefix.assign(dataset="a", dim=2, seed=0)
        prefix["variant"] = [n for v in variants for n in [v.name] * (6 if v.name == "l2" else 2)]
        ablation = pd.DataFrame(
            {"dimension": 0, "test_rmse_increase": 0.1, "dataset": "a", "dim": 2, "seed": 0,
             "variant": [v.name for v in variants]}
        )  # fmt: skip
        study.write_results(rows, ablation, prefix, replace(plan, variants=tuple(variants)), 5.0,
                            folder)  # fmt: skip

    run(tmp_path / "full", (none, l2), {"none": 0.95, "l2": 0.90}, (0.93, 0.90))
    new_l2 = study.Variant("l2", regularizers={"l2": 0.2})
    run(tmp_path / "rerun", (new_l2,), {"l2": 0.92}, (0.94, 0.91))
    out = tmp_path / "merged"
    argv = ["study", "--merge", str(tmp_path / "rerun"), "--into", str(tmp_path / "full")]
    assert main([*argv, "--out", str(out)]) == 0
    payload = json.loads((out / "results.json").read_text())
    rows = pd.DataFrame(payload["rows"]).set_index("variant")
    assert list(rows.index) == ["none", "l2"] and rows.loc["l2", "test_rmse"] == 0.92
    # none's gap and cost now against the rerun l2 (k = 2: 0.95 - 0.91; it was 0.95 - 0.90)
    assert rows.loc["none", "max_prefix_gap"] == pytest.approx(0.04)
    assert rows.loc["none", "full_cost_pct"] == pytest.approx(100 * (0.95 / 0.92 - 1))
    assert [v["regularizers"] for v in payload["plan"]["variants"]] == [{}, {"l2": 0.2}]
    assert len(pd.read_csv(out / "prefix.csv")) == 8 and payload["seconds"] == 5.0
    other = replace(plan, datasets=("a",), model_seeds=(0,), epochs=9)
    study.write_results(pd.DataFrame(payload["rows"]), pd.read_csv(out / "ablation.csv"),
                        pd.read_csv(out / "prefix.csv"), other, 1.0, tmp_path / "bad")  # fmt: skip
    argv = ["study", "--merge", str(tmp_path / "bad"), "--into", str(tmp_path / "full")]
    assert main([*argv, "--out", str(out), "--overwrite"]) != 0
    assert "differs" in capsys.readouterr().err


def _no_study(monkeypatch):
    """Replace the study itself (hours of training) by a recorder of where it would write."""
    from types import SimpleNamespace

    calls = []

    def fake_run_study(plan, out, progress=None, overwrite=False):
        calls.append(out)
        return SimpleNamespace(files={}, seconds=0.0, out_dir=out, renamed={}, rescued=None)

    monkeypatch.setattr(study, "run_study", fake_run_study)
    return calls


def test_study_refuses_an_output_folder_that_holds_results(tmp_path, monkeypatch, capsys):
    calls = _no_study(monkeypatch)
    out = tmp_path / "earlier"
    out.mkdir()
    (out / "results.json").write_text("{}")
    assert main(["study", "--quick", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert str(out) in err and "--overwrite" in err and "--out" in err
    assert "Traceback" not in err and calls == []
    assert (out / "results.json").read_text() == "{}"
    assert main(["study", "--quick", "--out", str(out), "--overwrite"]) == 0
    assert calls == [out]


def test_quick_study_does_not_erase_the_default_folder(monkeypatch, capsys):
    calls = _no_study(monkeypatch)
    default = config.home_dir() / "study"
    default.mkdir(parents=True)
    (default / "results.csv").write_text("a long study")
    assert main(["study", "--quick"]) != 0
    assert str(default) in capsys.readouterr().err and calls == []


def test_unwritable_default_study_folder_is_reported_before_the_study(
    tmp_path, monkeypatch, capsys
):
    calls = _no_study(monkeypatch)
    plain = tmp_path / "home-file"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_HOME", str(plain))
    assert main(["study", "--quick", "--no-save"]) != 0
    err = capsys.readouterr().err
    assert "MOVIERATE_HOME" in err and "--out" in err and calls == []


def test_an_out_folder_that_is_a_dangling_link_is_named_so(tmp_path, monkeypatch, capsys):
    """Recheck 2: `--out` at a link to a missing folder (an unmounted disk) said "File
    exists"; it says what the link is, before any training, and creates nothing."""
    calls = _no_study(monkeypatch)
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "unmounted" / "study")
    assert main(["study", "--quick", "--no-save", "--out", str(link)]) != 0
    err = capsys.readouterr().err
    assert "is a link to a folder that does not exist (or a loop of links)" in err
    assert "File exists" not in err and calls == [] and not (tmp_path / "unmounted").exists()


def test_a_study_never_replaces_saved_models_unasked(capsys):
    """The study saves its models as study-<dataset>-d<dim>-<variant>: a user's model of such
    a name (or an earlier study's) is refused before any training, and named."""
    plan = replace(study.FULL_PLAN, variants=pick_variants("l2", study.VARIANTS), dims=(8,))
    name = study.model_name(plan, "ml-100k", plan.dims[0], "l2")
    folder = config.models_dir() / name
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{}")  # any folder of that name: working or broken
    with pytest.raises(StoreError, match=f"'{name}' already exists.*--overwrite.*--no-save"):
        study.run_study(plan, config.home_dir() / "out")
    assert (folder / "meta.json").read_text() == "{}"
    assert not (config.home_dir() / "out" / "results.json").exists()
    cli = ["study", "--datasets", "ml-100k", "--dims", "8", "--variants", "l2", "--epochs", "1"]
    assert main([*cli, "--out", str(config.home_dir() / "o2")]) != 0
    assert name in capsys.readouterr().err
    study.check_saved_models(plan, ["ml-100k"], overwrite=True)  # asked: no error
    study.check_saved_models(replace(plan, save_models=False), ["ml-100k"], overwrite=False)


def test_a_dataset_given_as_a_path_names_its_models_by_its_last_part():
    """Recheck A (s25): `study --datasets ml-100k,./folder` was refused as "Invalid model name
    'study-./folder-d2-l2'", a name the user never gave."""
    plan = replace(study.FULL_PLAN, variants=pick_variants("l2", study.VARIANTS), dims=(8,))
    assert study.model_name(plan, "./my data/", 8, "l2") == "study-my-data-d8-l2"
    assert study.model_name(plan, "C:\\sets\\mine", 8, "l2") == "study-mine-d8-l2"
    folder = config.models_dir() / "study-my-data-d8-l2"
    folder.mkdir(parents=True)
    with pytest.raises(StoreError, match="'study-my-data-d8-l2' already exists"):
        study.check_saved_models(plan, ["ml-100k", "./my data"], overwrite=False)


def test_two_datasets_that_would_name_their_models_alike_are_refused_first(tmp_path):
    """Recheck B (s26): `--datasets ml-100k,/x/ml-100k` trained the first, then failed on the
    second's model names (or, with --overwrite, replaced one model and mixed their rows)."""
    plan = replace(study.FULL_PLAN, datasets=("ml-100k", str(tmp_path / "ml-100k")), dims=(8,))
    with pytest.raises(StoreError, match=r"would name their models alike \(study-ml-100k-d<dim>"):
        study.run_study(plan, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_misspelt_dataset_fails_before_any_training(movielens_dir, tmp_path, capsys):
    """CLI round 3: `study --datasets ml-100k,ml-lastest-small` trained all of ml-100k first;
    `train` fails on the same typo at once."""
    cli = ["study", "--datasets", "ml-100k,ml-lastest-small", "--dims", "4", "--epochs", "1"]
    assert main([*cli, "--variants", "l2", "--out", str(tmp_path / "o")]) == 1
    captured = capsys.readouterr()
    assert "Unknown dataset 'ml-lastest-small'" in captured.err
    assert "test RMSE" not in captured.err + captured.out  # nothing trained
    assert not store.list_models()[0]


def test_a_ctrl_c_names_the_models_saved_without_results(movielens_dir, tmp_path, monkeypatch):
    """Bad-input round 15: Ctrl-C in a study kept the dataset's saved models, wrote none of
    its results, said only "interrupted", and the same command was then refused."""
    real, calls = study.analyse, []

    def analyse(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # after the first model's save
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(study, "analyse", analyse)
    plan = replace(
        study.QUICK_PLAN, dims=(4,), epochs=1, model_seeds=(0,), save_models=True,
        variants=pick_variants("l2,l2+decorrelation", study.VARIANTS),
    )  # fmt: skip
    said = []
    with pytest.raises(KeyboardInterrupt):
        study.run_study(plan, tmp_path / "out", progress=said.append)
    first = study.model_name(plan, "ml-100k", 4, "l2")
    assert said[-1].startswith(f"interrupted: {first} is saved, but no results of ml-100k were")
    assert "--merge" in said[-1] and store.model_exists(first)


def test_an_interrupted_write_keeps_the_earlier_results_whole(tmp_path, monkeypatch):
    from movierate import atomic

    plan = replace(study.QUICK_PLAN, datasets=("a",))
    _write_run(tmp_path, "a", plan)
    before = {name: (tmp_path / name).read_bytes() for name in study.RESULT_FILES}

    def crash(label: str) -> None:
        if label == "staged study.md":  # every file but the last staged: then interrupted
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", crash)
    with pytest.raises(KeyboardInterrupt):
        _write_run(tmp_path, "b", replace(plan, datasets=("b",)))
    assert {name: (tmp_path / name).read_bytes() for name in study.RESULT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(study.RESULT_FILES)
    monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", None)
    _write_run(tmp_path, "b", replace(plan, datasets=("b",)))
    assert json.loads((tmp_path / "results.json").read_text())["plan"]["datasets"] == ["b"]


@pytest.mark.slow
def test_a_study_racing_another_run_keeps_both_runs_results(tmp_path, monkeypatch, capsys):
    """CLI round 2: two studies with one --out both exited 0, and the second silently replaced
    the first's results and its saved model (names and folder were checked only at the start).
    Here another run saves the model name and writes results to --out while this one trains."""
    plan = [
        "--datasets",
        "ml-100k",
        "--dims",
        "4",
        "--variants",
        "l2",
        "--epochs",
        "1",
        "--seeds",
        "0",
    ]
    name = study.model_name(replace(study.FULL_PLAN, dims=(4,)), "ml-100k", 4, "l2")
    out = tmp_path / "out"
    fit = study.fit_in_memory

    def other_run_meanwhile(*args, **kwargs):
        fitted = fit(*args, **kwargs)
        (config.models_dir() / name).mkdir(parents=True, exist_ok=True)
        (config.models_dir() / name / "meta.json").write_text("{}")
        out.mkdir(exist_ok=True)
        (out / "results.json").write_text("the other run's")
        return fitted

    monkeypatch.setattr(study, "fit_in_memory", other_run_meanwhile)
    assert main(["study", *plan, "--out", str(out)]) == 3
    captured = capsys.readouterr()
    assert f"saved as '{name}-2'" in captured.err and f"results are in {out}-2" in captured.err
    assert (out / "results.json").read_text() == "the other run's"
    assert (config.models_dir() / name / "meta.json").read_text() == "{}"
    rows = json.loads((tmp_path / "out-2" / "results.json").read_text())["rows"]
    assert {row["model"] for row in rows} == {f"{name}-2"}  # l2 and its exact whitening
    assert store.model_exists(f"{name}-2")


def test_two_studies_finishing_at_once_claim_two_folders(tmp_path, monkeypatch):
    """The recheck: `study --out .` failed with "PosixPath('.') has an empty name" once another
    run had written there, and two runs finishing in the same second both wrote to --out."""
    from pathlib import Path

    here = tmp_path / "runs"
    here.mkdir()
    monkeypatch.chdir(here)
    with study.Output(Path("."), False) as a, study.Output(Path("."), False) as b:
        assert a.claim() == here  # neither has written yet: the claim alone decides
        assert b.claim() == tmp_path / "runs-2"
        assert (here / study.OWNER_FILE).read_text() == str(os.getpid())
    assert (
        not (here / study.OWNER_FILE).exists()
        and not (tmp_path / "runs-2" / study.OWNER_FILE).exists()
    )
    (here / study.OWNER_FILE).write_text("999999999")  # a killed run's claim: taken over
    with study.Output(Path("."), False) as c:
        assert c.claim() == here


def test_results_the_out_folder_cannot_take_go_to_a_folder_of_their_own(
    tmp_path, monkeypatch, capsys
):
    """Recheck 2: a study whose --out was made read-only during the run lost every result (a
    permission error at the end); they now go to a new folder under MOVIERATE_HOME, said with
    exit code 3, and later writes of the run follow them there."""
    from pathlib import Path

    from movierate import atomic

    plan = replace(study.QUICK_PLAN, datasets=("a",))
    frame = _frame().query("dataset == 'a'")
    key = {"dataset": "a", "dim": 8, "seed": 0, "variant": "none"}
    ablation = pd.DataFrame({"dimension": [0], "test_rmse_increase": [0.1]}).assign(**key)
    prefix = pd.DataFrame({"basis": ["index"], "k": [1], "rmse": [0.95]}).assign(**key)
    out = tmp_path / "out"
    write = atomic.write_texts

    def read_only(folder, texts):
        if Path(folder) == out:
            raise PermissionError(13, "Permission denied", str(out / "results.json"))
        return write(folder, texts)

    monkeypatch.setattr(atomic, "write_texts", read_only)
    with study.Output(out, False) as target:
        parts = (frame.to_dict("records"), [ablation], [prefix], plan, 1.0, target)
        result = study._write(*parts)
        rescued = result.out_dir
        assert rescued.parent == config.home_dir() and rescued.name.startswith("study-rescued-")
        assert json.loads((rescued / "results.json").read_text())["rows"]
        assert target.rescued == f"Permission denied: {out / 'results.json'}"
        assert study._write(*parts).out_dir == rescued  # the run's next write: the same
    assert not (rescued / study.OWNER_FILE).exists() and not (out / "results.json").exists()

    def rescued_run(plan, out, progress=None, overwrite=False):
        return replace(result, rescued=target.rescued)

    monkeypatch.setattr(study, "run_study", rescued_run)
    assert main(["study", "--quick", "--no-save", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert f"{out} could not take the results (Permission denied: " in err
    assert f"so they are in {rescued} (exit code 3)" in err


def test_a_live_study_s_claim_holds_against_overwrite(tmp_path):
    """Recheck 2: a run with --overwrite ignored a running study's claim and replaced its
    results; both exited 0."""
    from pathlib import Path

    out = tmp_path / "O"
    with study.Output(Path(out), False) as running:
        assert running.claim() == out
        with study.Output(Path(out), True) as late:
            assert late.claim() == tmp_path / "O-2"


def test_a_dataset_without_genres_is_studied_with_genre_coherence_left_out(
    tmp_path, movielens_dir, monkeypatch, capsys
):
    """Views round 12: `study` on a user's file without genres trained, then stopped with
    "Only 0 movies have a genre at all, so lower k below that" (study has no k) and wrote
    nothing. Genre coherence is NaN now, and the output and study.md say why."""
    from movierate.data import from_csv

    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    rows = [(u, m, int(rng.integers(1, 6))) for u in range(80) for m in range(60)
            if rng.random() < 0.4]  # fmt: skip
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(tmp_path / "r.csv", index=False)
    from_csv(tmp_path / "r.csv", save_as="nogenres")
    out = tmp_path / "out"
    cli = ["study", "--datasets", "nogenres", "--dims", "4", "--seeds", "0", "--epochs", "1"]
    assert main([*cli, "--variants", "l2", "--no-save", "--out", str(out)]) == 0
    assert "nogenres: genre coherence is left out (NaN)" in capsys.readouterr().err
    frame = pd.read_csv(out / "results.csv")
    assert frame["genre_coherence_at_10"].isna().all() and frame["test_rmse"].notna().all()
    assert "**No genre coherence for nogenres**" in (out / "study.md").read_text()


def test_the_ordered_target_needs_an_order_beyond_chance():
    """Recheck (s29): the study's Spearman target (0.9) alone is met by a random order of 2 or
    3 dimensions 1 time in 2 or 6; like the Dimensions page, it now needs an order a random
    one reaches at most 5% of the time (none at 2 or 3 dimensions; at 4 only a perfect one)."""
    rows = pd.DataFrame(
        {
            "dataset": "a",
            "variant": ["d2", "d3", "d4 perfect", "d8"],
            "dim": [2, 3, 4, 8],
            "seed": 0,
            "spearman_index_vs_test_importance": [1.0, 1.0, 1.0, 0.9],
            "max_prefix_gap": 0.0,
            "full_cost_pct": 0.0,
        }
    )
    met = study.summarize(rows).set_index("variant")["targets_met"]
    assert met.to_dict() == {"d2": 0, "d3": 0, "d4 perfect": 1, "d8": 1}
