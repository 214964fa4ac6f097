"""Accuracy round 31 (uncertainty statements) and bad-input round 41, F1: verdicts that read
two numbers against each other say whether their gap is beyond the draw."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import paired, pipeline, ranking, store
from movierate.cli import main
from movierate.explore import ordering
from movierate.spec import ModelSpec
from tests.apptest_helpers import open_page

#: A model worse than the mean on its test rows, better on its early-stopping rows.
WORSE_THEN_BETTER = {
    "test_rmse": 0.5026, "test_rmse_of_mean": 0.5002, "stop_rmse": 0.4993,
    "stop_rmse_of_mean": 0.5005, "best_epoch": 3, "epochs_run": 5,
}  # fmt: skip


def _binary_csv(path) -> None:
    """fuzz41's binary.csv: 60 users x 40 movies, ratings 0/1 drawn at random (no signal)."""
    rng = np.random.default_rng(0)
    rows = [(u, m) for u in range(1, 61) for m in range(1, 41) if rng.random() < 0.5]
    frame = pd.DataFrame(rows, columns=["userId", "movieId"])
    frame["rating"] = rng.integers(0, 2, len(frame))
    frame["timestamp"] = 1_000_000_000 + rng.integers(0, 10**7, len(frame))
    frame.to_csv(path, index=False)


def test_gaps_to_the_mean_within_the_draw_are_no_data_problem():
    """Bad-input round 41, F1: gaps of 0.0024 and 0.0012 against a ± 0.0052 were read as
    "the test rows behave unlike the rows the model was checked on ... a data problem"."""
    within = {
        **WORSE_THEN_BETTER,
        "test_rmse_minus_mean": 0.0024, "test_rmse_minus_mean_ci95": 0.0040,
        "stop_rmse_minus_mean": -0.0012, "stop_rmse_minus_mean_ci95": 0.0038,
    }  # fmt: skip
    said = store.worse_than_mean_note(within)
    assert "behave unlike" not in said and "data problem" not in said
    assert said.startswith("Its test RMSE 0.5026 is no better than 0.5002")
    assert "+0.0024 ± 0.0040 (95%, paired by user), is within the draw" in said
    assert "early-stopping rows 0.4993 against 0.5005, also within the draw" in said
    assert store.test_rows_differ(within) == ""
    # only the test gap beyond the draw: still no claim that the rows differ
    test_beyond = {**within, "test_rmse_minus_mean_ci95": 0.0010}
    assert "behave unlike" not in store.worse_than_mean_note(test_beyond)
    assert "worse than 0.5002" in store.worse_than_mean_note(test_beyond)
    both = {**test_beyond, "stop_rmse_minus_mean_ci95": 0.0005}
    assert store.test_rows_differ(both) == "0.4993 against 0.5005"
    assert "each beyond the draw. So the test rows behave unlike" in store.worse_than_mean_note(
        both
    )
    # a gap on too few users for an interval: no claim
    assert store.test_rows_differ({**both, "stop_rmse_minus_mean_ci95": None}) == ""
    # a model saved before the gaps were recorded: read as shown, and said to be
    older = {k: v for k, v in both.items() if "minus_mean" not in k}
    assert store.test_rows_differ(older) == "0.4993 against 0.5005"
    assert "no interval is recorded for either gap" in store.worse_than_mean_note(older)
    assert "So the test rows may behave unlike" in store.worse_than_mean_note(older)


def test_training_records_the_gaps_to_the_mean_with_their_intervals(tmp_path, capsys):
    """The reviewer's repro (binary 0/1 noise, dim 8, 5 epochs): the gaps to the mean come with
    paired intervals by user, and on this noise no verdict says the test rows differ."""
    _binary_csv(tmp_path / "binary.csv")
    assert main(["datasets", str(tmp_path / "binary.csv"), "--name", "binary"]) == 0
    argv = ["train", "binary", "--dim", "8", "--epochs", "5", "--name", "m-binary", "--quiet"]
    assert main(argv) == 0
    metrics = store.load_model("m-binary").metrics
    for part in ("test", "stop"):
        assert metrics[f"{part}_rmse_minus_mean"] == pytest.approx(
            metrics[f"{part}_rmse"] - metrics[f"{part}_rmse_of_mean"], abs=1e-5
        )
        assert metrics[f"{part}_rmse_minus_mean_ci95"] > 0
    assert store.test_rows_differ(metrics) == ""
    capsys.readouterr()
    assert main(["evaluate", "m-binary"]) == 0
    out = capsys.readouterr()
    assert "behave unlike" not in out.err
    # the averages lose to the mean here: the model's gap to the mean now has its interval
    half = metrics["test_rmse_minus_mean_ci95"]
    assert (
        f"Its test RMSE minus the mean's: {metrics['test_rmse_minus_mean']:+.4f} ± {half:.4f}"
        in (out.out + out.err)
    )
    assert pipeline.reference_metrics(store.load_model("m-binary")) == metrics


def test_an_older_model_worse_than_the_mean_gets_its_gaps_computed(tmp_path, capsys):
    """Recheck 3, L1: a model saved before the gaps to the mean were recorded was still told
    on Compare that its test rows "behave unlike" the stop rows, and `evaluate`, which scores
    every row, said "no interval is recorded"; the gaps are now computed on its split."""
    import json

    _binary_csv(tmp_path / "binary.csv")
    assert main(["datasets", str(tmp_path / "binary.csv"), "--name", "binary"]) == 0
    argv = ["train", "binary", "--dim", "8", "--epochs", "5", "--name", "m-old", "--quiet"]
    assert main(argv) == 0
    recorded = store.load_model("m-old").metrics
    meta_path = store.model_path("m-old") / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"] = {k: v for k, v in meta["metrics"].items() if "minus_mean" not in k}
    meta_path.write_text(json.dumps(meta))
    older = store.load_model("m-old")
    assert store.mean_gaps_missing(older.metrics)  # worse than the mean as shown, no gaps
    now = pipeline.reference_metrics(older)
    for key in ("test_rmse_minus_mean", "test_rmse_minus_mean_ci95", "stop_rmse_minus_mean"):
        assert now[key] == pytest.approx(recorded[key])
    capsys.readouterr()
    assert main(["evaluate", "m-old"]) == 0
    assert "no interval is recorded" not in capsys.readouterr().err


def test_compare_marks_a_gap_to_the_mean_within_the_draw(trained_home, monkeypatch):
    """Bad-input round 41, F1: Compare repeated "their test rows behave unlike the rows they
    were checked on" for gaps inside the draw; it now marks them and claims no difference."""
    monkeypatch.setattr(store, "worse_than_mean_note", lambda metrics: "worse")
    monkeypatch.setattr(store, "mean_gaps_within_text", lambda metrics: "within")
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    warned = [w.value for w in at.warning if "mean rating" in w.value]
    assert len(warned) == 1, warned
    assert "Test RMSE no better than predicting the training rows' mean rating" in warned[0]
    assert ", within the draw)" in warned[0] and "behave unlike" not in warned[0]


def _twin(name: str, seed: int, gap: float, half: float):
    """A model of ml-100k's default split trained with ``seed``; its test RMSE minus the
    averages' is ``gap`` ± ``half`` over 919 test users (the reviewer's b-s1..b-s3)."""
    return SimpleNamespace(
        name=name,
        spec=ModelSpec(seed=seed, dim=16),
        meta={
            "split": {"method": "random", "seed": 42, "n_test": 10_000, "digest": "d"},
            "dataset": {"name": "ml-100k", "fingerprint": "f"},
            "history": {"stop_rmse": [1.0, 0.95], "train_rmse": [1.0, 0.9]},
        },
        metrics={
            "test_rmse": 0.93 + gap, "epochs_run": 2, "best_epoch": 2, "settled_epoch": 1,
            "test_rmse_minus_averages": gap, "test_rmse_minus_averages_ci95": half,
            "test_users": 919,
        },
    )  # fmt: skip


B_TWINS = [_twin("b-s1", 1, -0.0069, 0.0081), _twin("b-s2", 2, -0.0097, 0.0081),
           _twin("b-s3", 3, -0.0030, 0.0093)]  # fmt: skip


def test_the_averages_sentence_says_another_seed_moves_it():
    """Accuracy round 31, F1: the RMSE line said "another seed moves it too", the averages
    sentence below it did not, and seed twins read opposite verdicts."""
    said = store.averages_gap_text(B_TWINS[1].metrics)
    assert said.startswith("The model's test RMSE minus the averages': -0.0097 ± 0.0081")
    assert "another training seed moves it too): lower beyond the draw." in said
    few = {**B_TWINS[1].metrics, "test_users": 3, "test_rmse_minus_averages_p": 0.25}
    assert "another training seed moves it too), so no difference can be called" in (
        store.averages_gap_text(few)
    )


def test_seed_twins_averages_verdicts_are_read_across_the_twins(capsys, monkeypatch):
    """Accuracy round 31, F1: Compare's column showed b-s2 "lower beyond the draw" beside its
    twins' "within the draw", and the twin box did not connect them."""
    metrics = {m.name: m.metrics for m in B_TWINS}
    said = store.twins_averages_text(B_TWINS, metrics)
    assert said == (
        "Against the averages, b-s1, b-s2 and b-s3 read 2 of 3 within the draw, 1 of 3 lower "
        "beyond the draw: the seed alone changes that verdict, so it is training noise, not "
        "the settings'."
    )
    agree = [_twin(f"a-s{s}", s, -0.027, 0.005) for s in (1, 2)]
    assert store.twins_averages_text(agree, {m.name: m.metrics for m in agree}) == (
        "Against the averages, a-s1 and a-s2 both read lower beyond the draw."
    )
    assert store.twins_averages_text(B_TWINS[:1], metrics) == ""  # no twin
    # evaluate --against prints it below the twin box
    from movierate import paired
    from movierate.cli import models as cli_models

    row = SimpleNamespace(
        name="b-s1", reference="b-s1", rmse=0.92, n_rows=10_000, short=str, reference_seeds=(),
        within_seed_spread=False,
    )  # fmt: skip
    monkeypatch.setattr(paired, "paired_differences", lambda models, ds: [row])
    monkeypatch.setattr(paired, "threshold_text", lambda difference: "")
    cli_models._print_paired(B_TWINS, None)
    printed = capsys.readouterr().out.replace("\n", " ")
    assert f"may be no more. {said}" in printed


def test_compare_s_twin_box_reads_the_averages_verdicts_across_twins(trained_home, monkeypatch):
    """Accuracy round 31, F1: the twin box on Compare gets the across-twins reading."""
    from movierate import paired

    monkeypatch.setattr(paired, "seed_twins_text", lambda models: "Twins here.")
    monkeypatch.setattr(store, "twins_averages_text", lambda models, metrics: "Read across.")
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    assert "Twins here. Read across." in [i.value for i in at.info]


def _lists(gains: np.ndarray) -> ranking.RankingCheck:
    """Top-10 lists of ``len(gains)`` users with those NDCG@10s (half of the test rows liked)."""
    n = len(gains)
    return ranking.RankingCheck(
        k=10, min_ratings=1, liked_from=4, scale_max=5, n_users=n, n_users_all=n,
        n_untrained=0, hit_rate=0.5, ndcg=float(gains.mean()), popular_hit_rate=0.5,
        popular_ndcg=0.3, ndcg_gap_ci=0.01, chance_hit_rate=0.1, chance_ndcg=0.05,
        chance_gap_ci=0.01, median_candidates=100, n_test_rows=10 * n, liked_share=0.5,
        tied="", users=np.arange(n), gains=gains,
    )  # fmt: skip


def test_the_lists_plus_minus_is_the_interval_the_verdict_reads():
    """Accuracy round 31, F3: Compare's "top-k lists found liked movies better" printed a
    1.96 SE "±" beside a call that needed 2.94 SE (6 models), unlike its RMSE table."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, 20)
    noise = (noise - noise.mean()) / noise.std(ddof=1)  # mean 0, sd 1 exactly
    base = _lists(np.full(20, 0.3))
    se = 0.1 / np.sqrt(20)
    checks = {"a": base, "c": base, "b": _lists(0.3 + 4 * se + 0.1 * noise)}  # 4.0 SE
    needed = ranking.lists_resolved_at(3, 20)
    # on 20 users Student t at the 3 models' level is stricter than their 2.39 normal SE
    assert needed == pytest.approx(paired.t_critical(20, 1 - 0.05 / 3)) and needed > 2.39
    said = ranking.lists_disagree_text("a", checks)
    assert f"b (+{4 * se:.3f} ± {needed * se:.3f}, 4.0 SE)" in said
    assert f"95% for all 3 pairs; the ± is the {needed:.2f} standard errors that 3 models" in said
    # a gap past the normal 2.39 but short of t's is not called
    short = {**checks, "b": _lists(0.3 + 2.5 * se + 0.1 * noise)}
    assert ranking.lists_disagree_text("a", short) == ""


def test_each_dimension_s_rise_has_its_paired_interval_and_falls_within_it_are_not_listed(
    trained_home,
):
    """Accuracy round 31, F2: the per-dimension rises carried no noise bound (12 of 16 within
    the draw), and "zeroing dimensions 4 (by 0.0014), ..., 9 (by 0.0000) ... lowered it
    instead" listed falls inside the draw."""
    import pandas as pd

    from movierate.ui.dimensions import _lowered_text, _within_text

    model = store.load_model("small-mf")
    users, movies, truth, label = ordering.held_out_rows(model)
    report = ordering.dimension_report(model, users, movies, truth, rows=label)
    dims = report.dimensions
    # dimension 0's rise against a by-user SE computed here from the rows' own errors
    zeroed = dict(model.arrays)
    zeroed["user_embedding"] = np.array(zeroed["user_embedding"], copy=True)
    zeroed["movie_embedding"] = np.array(zeroed["movie_embedding"], copy=True)
    zeroed["user_embedding"][:, 0] = zeroed["movie_embedding"][:, 0] = 0
    full = ordering._squared_errors(model, model.arrays, users, movies, truth)
    cut = ordering._squared_errors(model, zeroed, users, movies, truth)

    def influence(squared):
        return (squared - squared.mean()) / (2 * np.sqrt(squared.mean()))

    se = paired.clustered_se(influence(cut) - influence(full), users)
    n_users = len(np.unique(users))
    assert dims["heldout_increase_ci95"][0] == pytest.approx(
        se * paired.t_critical(n_users), rel=1e-4
    )
    beyond = ordering.beyond_draw(dims)
    assert (
        beyond.tolist() == (dims["heldout_increase"].abs() > dims["heldout_increase_ci95"]).tolist()
    )
    # the caption: falls within the draw counted, not listed; never "by 0.0000"
    frame = pd.DataFrame(
        {
            "dimension": [4, 7, 9, 15],
            "heldout_increase": [-0.0014, -0.0002, -0.00001, 0.003],
            "heldout_increase_ci95": [0.0012, 0.0014, 0.0014, 0.001],
        }
    )
    said = _lowered_text(frame)
    assert said.startswith(" (zeroing dimension 4 (by 0.0014 ± 0.0012) lowered it instead")
    assert "2 other dimensions lowered it within the draw" in said and "0.0000" not in said
    assert _lowered_text(frame[frame["dimension"] != 4]) == (
        " (2 dimensions lowered it within the draw: drawn at 0% and left out of that total)"
    )
    assert _within_text(frame).startswith("with 2 of 4 dimensions' rises or falls within")


def test_a_rise_without_an_interval_is_not_called_within_the_draw():
    """Recheck 3, L5: with 2 users no interval can be bounded, yet every dimension read
    "within the draw" and the caption counted 8 of 8 within."""
    from movierate.ui.dimensions import _lowered_text, _within_text

    frame = pd.DataFrame(
        {
            "dimension": [0, 1, 2],
            "heldout_increase": [-0.002, 0.004, 0.001],
            "heldout_increase_ci95": [None, None, 0.0005],
        }
    )
    assert ordering.draw_readings(frame).tolist() == [ordering.NO_INTERVAL] * 2 + ["beyond"]
    assert "within" not in _within_text(frame)
    assert _within_text(frame).startswith("with no interval for 2 of 3 dimensions'")
    said = _lowered_text(frame)
    assert "within the draw" not in said and "1 dimension lowered it by an amount" in said
