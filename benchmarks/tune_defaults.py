"""Tuner runs behind movierate/defaults.py: tune each (dataset, family) on the product's default
split (random 10% early-stopping rows, seed 42) and print the winners next to ModelSpec()'s score.

    nice -n 10 python -m benchmarks.tune_defaults --runs ml-100k:deep,ml-1m-sample:mf_bias --budget 360
"""

from __future__ import annotations

import argparse
import json
import time

from movierate.data import load_dataset
from movierate.pipeline import split_from_settings, split_settings
from movierate.spec import ModelSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="dataset:family,dataset:family,...")
    parser.add_argument("--budget", type=float, default=360.0, help="seconds per run")
    parser.add_argument("--json", help="append one JSON line per run")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    from movierate.nn.training import train
    from movierate.tuning import tune

    for run in args.runs.split(","):
        name, family = run.split(":")
        ds = load_dataset(name)
        split = split_from_settings(ds, split_settings(None))
        row = {"dataset": name, "family": family, "budget_s": args.budget}
        if not args.no_baseline:
            started = time.perf_counter()
            base = train(ds, split, ModelSpec())
            row["default_mf_bias_rmse"] = base.metrics["valid_rmse"]
            row["default_mf_bias_s"] = time.perf_counter() - started
        result = tune(
            ds,
            "defaults",
            families=(family,),
            budget_seconds=args.budget,
            split=split,
            save=False,
            on_trial=lambda r, name=name: print(
                f"  {name} {r.number} {r.state} {r.value} {r.params}", flush=True
            ),
        )
        row.update(
            best_rmse=result.best_value,
            best_epoch=result.result.metrics["best_epoch"],
            spec=result.best_spec.to_dict(),
            trials=len(result.trials),
            top=result.summary["top"],
        )
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
