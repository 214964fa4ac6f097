"""Training speed of movierate's mf_bias against scikit-surprise's SVD, in one run.

On a synthetic MovieLens-like set (default 2 M ratings), with the same 90/10 split for both:
- surprise SVD at movierate's number of factors (32) and at its own default (100 factors), 20
  epochs of SGD, one core, Cython: fit time and RMSE;
- movierate mf_bias, dim 32, default optimizer (Adam) at a throughput batch size: ratings/s per
  epoch, and the wall time (epoch evaluations included) until its early-stopping RMSE first reaches
  the 32-factor SVD's.

Every contender runs ``--repeats`` times (default 3) in the same process, interleaved; the table
gives medians and the ratios against the 32-factor SVD of the same repeat (median of ratios).

    python -m benchmarks.bench_training [--ratings 2e6] [--batch-size 32768] [--lr 0.01] \\
        [--l2 0.02] [--data-seed 1] [--repeats 3]

The L2 strength (0.02, not the product default 0.1 that suits the 100 k-rating MovieLens sets:
more ratings per row need less shrinkage) was picked on a sweep over synthetic data drawn with
seed 0; the benchmark draws its data with seed 1 so that choice is not tuned on its own split.

Needs benchmarks/requirements.txt (scikit-surprise). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from movierate.data import make_split, synthetic_dataset
from movierate.spec import ModelSpec


def surprise_svd(ds, split, n_factors: int = 100) -> dict[str, float]:
    """Fit surprise's SVD (``n_factors``) on the train rows; RMSE on the early-stopping rows."""
    import pandas as pd
    from surprise import SVD, Dataset, Reader

    r = ds.ratings
    frame = pd.DataFrame(
        {
            "u": r["user_idx"].to_numpy()[split.train],
            "m": r["movie_idx"].to_numpy()[split.train],
            "r": r["rating"].to_numpy()[split.train],
        }
    )
    scale = (float(ds.rating_scale.min), float(ds.rating_scale.max))
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=scale)).build_full_trainset()
    algo = SVD(n_factors=n_factors, random_state=0)
    start = time.perf_counter()
    algo.fit(trainset)
    seconds = time.perf_counter() - start
    users = r["user_idx"].to_numpy()[split.stop]
    movies = r["movie_idx"].to_numpy()[split.stop]
    truth = r["rating"].to_numpy()[split.stop]
    pred = np.array([algo.predict(u, m).est for u, m in zip(users, movies, strict=True)])
    return {
        "seconds": seconds,
        "rmse": float(np.sqrt(np.mean((pred - truth) ** 2))),
        "rps": len(split.train) * algo.n_epochs / seconds,
        "epochs": algo.n_epochs,
    }


def movierate_mf_bias(ds, split, spec: ModelSpec, target_rmse: float) -> dict[str, float]:
    """Train; note when the early-stopping RMSE first reaches ``target_rmse``."""
    from movierate.nn.training import train

    reached: list[float] = []
    start = time.perf_counter()

    def watch(event) -> None:
        if event.phase == "epoch" and not reached and event.metrics["stop_rmse"] <= target_rmse:
            reached.append(time.perf_counter() - start)

    result = train(ds, split, spec, progress=watch)
    return {
        "seconds": result.train_seconds,
        "rmse": result.metrics["stop_rmse"],
        "rps": result.ratings_per_second,
        "epochs": result.metrics["epochs_run"],
        "to_target": reached[0] if reached else float("nan"),
    }


def _median(rows: list[dict[str, float]], key: str) -> float:
    return float(np.median([row[key] for row in rows]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=float, default=2e6)
    parser.add_argument("--batch-size", type=int, default=32768)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--l2", type=float, default=0.02)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--data-seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    ds = synthetic_dataset(int(args.ratings), seed=args.data_seed)
    split = make_split(ds, "random", 0.1, seed=42)
    print(f"synthetic set: {len(ds):,} ratings, {ds.n_users:,} users, {ds.n_movies:,} movies\n")
    spec = ModelSpec(
        family="mf_bias",
        dim=32,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        regularizers={"l2": args.l2},
        epochs=args.epochs,
    )
    runs: dict[str, list[dict[str, float]]] = {"svd32": [], "svd100": [], "ours": []}
    for repeat in range(args.repeats):
        svd32 = surprise_svd(ds, split, 32)
        runs["svd32"].append(svd32)
        runs["svd100"].append(surprise_svd(ds, split, 100))
        ours = movierate_mf_bias(ds, split, spec, svd32["rmse"])
        ours["rps_ratio"] = ours["rps"] / svd32["rps"]
        ours["time_ratio"] = ours["to_target"] / svd32["seconds"]
        runs["ours"].append(ours)
        print(
            f"repeat {repeat + 1}: svd32 {svd32['rps']:,.0f}/s, ours {ours['rps']:,.0f}/s "
            f"({ours['rps_ratio']:.2f}x), to SVD32 RMSE {ours['time_ratio']:.2f}x",
            flush=True,
        )
    labels = {
        "svd32": "surprise SVD, 32 factors",
        "svd100": "surprise SVD, 100 factors (its default)",
        "ours": (
            f"movierate mf_bias dim 32, {spec.optimizer}, batch {args.batch_size}, lr {args.lr}, "
            f"l2 {args.l2}"
        ),
    }
    print(f"\nmedians of {args.repeats} repeats")
    print(
        "| contender | ratings/s per epoch | epochs | wall s | early-stopping RMSE | s to SVD-32's RMSE |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for key, rows in runs.items():
        to_target = _median(rows, "to_target") if key == "ours" else _median(rows, "seconds")
        print(
            f"| {labels[key]} | {_median(rows, 'rps'):,.0f} | {_median(rows, 'epochs'):.0f} | "
            f"{_median(rows, 'seconds'):.1f} | {_median(rows, 'rmse'):.4f} | {to_target:.1f} |"
        )
    print(
        f"\nthroughput ratio movierate / SVD-32 (median of repeats): "
        f"{_median(runs['ours'], 'rps_ratio'):.2f}x; "
        f"time-to-SVD-32-RMSE ratio: {_median(runs['ours'], 'time_ratio'):.2f}x"
    )


if __name__ == "__main__":
    main()
