"""How often the paired test calls two trainings of the same settings different: training noise.

Compare's "vs lowest (paired)" column and ``evaluate --against`` (``movierate.paired``) judge a
test-RMSE difference against its paired standard error (each user's test rows counted together),
which covers which users' ratings were drawn as test rows, not the training's own randomness. This trains ``--seeds`` models that differ only by
their training seed (one spec, one split: random 10% test rows, seed 42) and runs every pair of
them through ``paired.paired_differences`` as two models, then every disjoint group of five as
one table, and prints how often a difference reached the threshold (2 standard errors for two
models; 2.81 for five), against the 5% such a threshold allows for one fixed pair of trained
models.

    python -m benchmarks.bench_paired_seeds [--dataset ml-100k] [--family mf_bias] [--dim 32] \\
        [--epochs 40] [--seeds 20] [--home DIR]

The defaults are ``ModelSpec()``'s settings. ``--home`` keeps the trained models (named
``seed-<family>-d<dim>-e<epochs>-<seed>``) for a rerun or for the dashboard; without it they go
to a temporary folder.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np

#: Models in one table for the table-wise count (its Bonferroni threshold: 2.81 SE).
TABLE = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--family", default="mf_bias")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--home", type=Path, help="keep the models in this MOVIERATE_HOME")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-paired-seeds-") as temp:
        os.environ["MOVIERATE_HOME"] = str(args.home or temp)
        run(args)


def run(args: argparse.Namespace) -> None:
    from movierate import paired, store
    from movierate.data import load_dataset
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    ds = load_dataset(args.dataset)
    models, started = [], time.perf_counter()
    for seed in range(args.seeds):
        name = f"seed-{args.family}-d{args.dim}-e{args.epochs}-{seed}"
        if not store.model_exists(name):
            spec = ModelSpec(family=args.family, dim=args.dim, epochs=args.epochs, seed=seed)
            train_and_save(ds, spec, name)
        models.append(store.load_model(name))
    print(
        f"{args.seeds} seeds of {args.family} dim {args.dim}, {args.epochs} epochs on "
        f"{args.dataset} (trained or loaded in {time.perf_counter() - started:.0f} s)"
    )
    errors = {m.name: paired.errors_on_test_rows(m, ds) for m in models}
    paired.errors_on_test_rows = lambda model, _ds: errors[model.name]  # score each model once
    rmses = np.array([m.metrics["test_rmse"] for m in models])
    pairs = [
        next(d for d in paired.paired_differences([a, b], ds) if d.name != d.reference)
        for a, b in itertools.combinations(models, 2)
    ]
    z = np.array([abs(d.in_se) for d in pairs if not d.identical])
    se = float(np.mean([d.se for d in pairs]))
    tables = [models[i : i + TABLE] for i in range(0, len(models) - TABLE + 1, TABLE)]
    called = [sum(d.resolved for d in paired.paired_differences(t, ds)) for t in tables]
    print("\n| measure | value |\n|---|---:|")
    print(f"| test RMSE over the seeds: mean, SD | {rmses.mean():.4f}, {rmses.std(ddof=1):.5f} |")
    print(f"| pairs of two models | {len(pairs)} |")
    print(
        f"| pairs at >= {paired.RESOLVED_AT:g} SE (the two-model threshold) | {np.mean(z >= paired.RESOLVED_AT):.1%} |"
    )
    print(f"| median distance in SE | {np.median(z):.2f} |")
    print(
        f"| SD of a pair's RMSE difference / mean paired SE | "
        f"{np.sqrt(2) * rmses.std(ddof=1):.5f} / {se:.5f} = "
        f"{np.sqrt(2) * rmses.std(ddof=1) / se:.2f} |"
    )
    if tables:
        print(
            f"| tables of {TABLE} with a model at >= {paired.resolved_at(TABLE):.2f} SE | "
            f"{sum(c > 0 for c in called)} of {len(tables)} |"
        )
    print(
        "\nA fixed pair of trained models is called different in 5% of test-row draws by "
        "construction; the shares above are for two trainings of the same settings."
    )


if __name__ == "__main__":
    main()
