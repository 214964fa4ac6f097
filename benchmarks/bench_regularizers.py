"""Does each regularizer, at its default strength, visibly do what it claims?

For each dataset, trains ``mf_bias`` (every option at its ModelSpec default: dim 32, Adam,
lr 0.005, 40 epochs, early stopping with patience 3 on the stop rows of the product's default
split: random, 10% test rows, then 10% of the rest to stop on, seed 42) with ONLY
one regularizer at its default strength (``movierate.advice.DEFAULT_STRENGTHS``), then measures
the movie embedding the way ``movierate.explore.verdicts`` does (the movie rows the penalties
shaped: those with a training rating): whitening's covariance diagonal and off-diagonal share, decorrelation's mean
|off-diagonal correlation|, adversarial's mean per-dimension KS distance to U(-1, 1). L2 is the
accuracy reference; its test RMSE is on the test rows, which neither training nor early
stopping saw. Prints a markdown table.

    MOVIERATE_DATA_DIR=/work/shared/data/movielens python -m benchmarks.bench_regularizers \\
        [--datasets ml-latest-small ml-100k] [--kinds l2 whitening] [--strength whitening=0.3]
"""

from __future__ import annotations

import argparse
import time

from movierate.advice import DEFAULT_STRENGTHS
from movierate.data import load_dataset, make_split
from movierate.explore.verdicts import TARGETS, regularizer_verdicts
from movierate.pipeline import test_metrics
from movierate.spec import ModelSpec
from movierate.store import TrainedModel

DATASETS = ("ml-latest-small", "ml-100k")


def measure(ds, split, kind: str, strength: float) -> dict:
    """Train with one regularizer and return the table row's values."""
    from movierate.nn.training import train

    spec = ModelSpec(regularizers={kind: strength})
    started = time.perf_counter()
    result = train(ds, split, spec)
    seconds = time.perf_counter() - started
    model = TrainedModel.from_training(kind, result, ds, split, spec)  # with training counts
    (verdict,) = regularizer_verdicts(model)
    n = verdict.numbers
    if kind == "whitening":
        stats = (
            f"diag {n['diag_mean']:.3f} (sd {n['diag_std']:.3f} over dims) "
            f"[{n['diag_min']:.2f}, {n['diag_max']:.2f}], off-diag {n['offdiag_share']:.1%}"
        )
    elif kind == "decorrelation":
        stats = f"mean abs corr {n['corr_offdiag_mean_abs']:.4f}"
    elif kind == "adversarial":
        stats = f"mean KS {n['ks_mean']:.3f} (max {n['ks_max']:.3f})"
    else:
        stats = f"penalty {n.get('penalty_final', float('nan')):.3g}"
    metrics = {
        **result.metrics,
        **test_metrics(result.arrays, spec, ds, split, result.rating_scale),
    }
    settled = metrics.get("settled_epoch")
    return {
        "dataset": ds.name,
        "kind": kind,
        "strength": strength,
        "stats": stats,
        "target": TARGETS[kind],
        "met": "yes" if verdict.achieved else "NO",
        "test_rmse": metrics["test_rmse"],
        "epochs": f"{metrics['epochs_run']} / {metrics['best_epoch']}"
        + (f" (settled {int(settled)})" if settled == settled and kind != "l2" else ""),
        "seconds": seconds,
        "verdict": verdict.sentence,
    }


def table(rows: list[dict]) -> str:
    """The markdown table of the measured rows."""
    lines = [
        "| dataset | regularizer | strength | measured | target | met? | test RMSE "
        "| epochs run / best | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['kind']} | {r['strength']:g} | {r['stats']} "
            f"| {_cell(r['target'])} "
            f"| {r['met']} | {r['test_rmse']:.4f} | {r['epochs']} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    # the ones with a target of their own (ordered is measured by bench_ordered)
    kinds = [k for k in DEFAULT_STRENGTHS if k in TARGETS]
    parser.add_argument("--kinds", nargs="+", default=kinds, choices=kinds)
    parser.add_argument(
        "--strength", action="append", default=[], help="KIND=VALUE overrides a default"
    )
    args = parser.parse_args(argv)
    strengths = dict(DEFAULT_STRENGTHS)
    for item in args.strength:
        kind, _, value = item.partition("=")
        strengths[kind] = float(value)
    rows = []
    for name in args.datasets:
        ds = load_dataset(name)
        split = make_split(ds, "random", 0.1, seed=42)
        for kind in args.kinds:
            row = measure(ds, split, kind, strengths[kind])
            rows.append(row)
            print(f"{name} {kind}: {row['verdict']} ({row['seconds']:.0f} s)", flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
