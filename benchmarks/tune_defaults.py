"""Tuner runs behind movierate/defaults.py: tune each (dataset, family) on the product's default
split (random; test rows drawn first, then early-stopping rows; seed 42) and print the winners
next to ModelSpec()'s score. Every choice is made on the early-stopping rows; the test rows are
never trained on, watched or scored here, so a default chosen here leaves the test RMSE of a
model trained on the default split honest.

Each line records the data's fingerprint and its split's seen-rows fingerprint (training and
early-stopping rows): they go to ``defaults.DEFAULTS_DATA`` and ``defaults.DEFAULTS_SEEN``
beside the entry, since other ratings under the same name may hold the rows that chose it as
test rows.

The search starts from the family's untuned default (``ModelSpec`` and ``FAMILY_DEFAULTS``): the
dataset's current entry in ``movierate.defaults`` is hidden during the run, so nothing chosen
earlier (on other rows) steers it.

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
    parser.add_argument("--seed", type=int, default=0, help="the search's sampler seed")
    args = parser.parse_args()
    from movierate import defaults
    from movierate.nn.training import train
    from movierate.tuning import tune

    for run in args.runs.split(","):
        name, family = run.split(":")
        ds = load_dataset(name)
        split = split_from_settings(ds, split_settings(None))
        row = {
            "dataset": name,
            "fingerprint": ds.fingerprint,  # goes to defaults.DEFAULTS_DATA with the entry
            "seen_fingerprint": defaults.seen_fingerprint(ds, split),  # to DEFAULTS_SEEN
            "family": family,
            "budget_s": args.budget,
            "split": split.describe(),
        }
        if not args.no_baseline:
            started = time.perf_counter()
            base = train(ds, split, ModelSpec())
            row["default_mf_bias_stop_rmse"] = base.metrics["stop_rmse"]
            row["default_mf_bias_s"] = time.perf_counter() - started
        hidden = {
            key: defaults.DEFAULTS.pop(key, None) for key in (name, defaults.ALIASES.get(name))
        }
        try:
            result = tune(
                ds,
                "defaults",
                families=(family,),
                budget_seconds=args.budget,
                split=split,
                save=False,
                refit=False,
                seed=args.seed,
                on_trial=lambda r, name=name: print(
                    f"  {name} {r.number} {r.state} {r.value} {r.params}", flush=True
                ),
            )
        finally:
            defaults.DEFAULTS.update({k: v for k, v in hidden.items() if k and v is not None})
        row.update(
            best_stop_rmse=result.best_value,
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
