"""Learning-rate schedules and L2 for large sets: the selection behind the learning rate, its
decay and the L2 of ``movierate.defaults.LARGE_DATA``.

On a synthetic set with ml-32m's shape (default 3.2 M ratings, data seed 2: not the seeds of
``bench_training`` (1) or ``bench_large`` (0)), trains mf_bias dim 32 at batch 32,768 for every
``lr:decay:l2`` setting and training seed, and prints the best early-stopping RMSE and its
epoch. Every choice is made on the early-stopping rows; no test rows are drawn.

    nice -n 10 python -m benchmarks.lr_schedules \\
        [--settings 0.01:1:0.03,0.01:1:0.02,0.02:0.7:0.02] [--ratings 3.2e6] [--seeds 0,1]
"""

from __future__ import annotations

import argparse

from benchmarks.bench_large import shape
from movierate.data import make_split, synthetic_dataset
from movierate.spec import ModelSpec

#: The settings of the README's table (lr, decay per epoch, L2).
SETTINGS = (
    "0.01:1:0.03,0.01:1:0.02,0.01:1:0.01,0.02:0.7:0.05,0.02:0.7:0.03,0.02:0.7:0.02,"
    "0.02:0.7:0.01,0.02:0.8:0.03,0.03:0.7:0.03"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default=SETTINGS, help="lr:decay:l2,...")
    parser.add_argument("--ratings", type=float, default=3.2e6)
    parser.add_argument("--data-seed", type=int, default=2)
    parser.add_argument("--seeds", default="0,1", help="training seeds")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    from movierate.nn.training import train

    n = int(args.ratings)
    users, movies = shape(n)
    ds = synthetic_dataset(n, n_users=users, n_movies=movies, seed=args.data_seed)
    split = make_split(ds, "random", 0.1, seed=42)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"synthetic set: {len(ds):,} ratings, {ds.n_users:,} users, {ds.n_movies:,} movies\n")
    print(
        "| lr | decay per epoch | L2 | early-stopping RMSE (per seed) | best epoch | epochs run |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for setting in args.settings.split(","):
        lr, decay, l2 = (float(x) for x in setting.split(":"))
        spec = ModelSpec(
            family="mf_bias",
            dim=32,
            batch_size=32768,
            learning_rate=lr,
            learning_rate_decay=decay,
            regularizers={"l2": l2},
            epochs=args.epochs,
        ).validate()
        results = [train(ds, split, spec.with_(seed=seed)).metrics for seed in seeds]
        print(
            f"| {lr} | {decay} | {l2} | "
            + " / ".join(f"{m['stop_rmse']:.4f}" for m in results)
            + " | "
            + " / ".join(str(int(m["best_epoch"])) for m in results)
            + " | "
            + " / ".join(str(int(m["epochs_run"])) for m in results)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
