"""Training speed of movierate's mf_bias against scikit-surprise's SVD, in one run.

On a synthetic MovieLens-like set (default 2 M ratings), with the same 90/10 split for both:
- surprise SVD at movierate's number of factors (32) and at its own default (100 factors), 20
  epochs of SGD, one core, Cython: fit time and RMSE;
- movierate mf_bias, dim 32, default optimizer (Adam) at a throughput batch size: ratings/s over
  all epochs (the steps' time, the one XLA compilation in epoch 1 included), ratings/s of the
  median epoch (its wall time from the end of the previous epoch: shuffle, steps and evaluation),
  and the wall time (epoch evaluations included) until its early-stopping RMSE first reaches the
  32-factor SVD's.

movierate's row is a training in a process that has trained this shape before (its warm-up), so
the compiled loop is reused (``training.LOOPS``: no tracing or XLA compilation), as in the
dashboard or the tuner from their second training on; the ``cold`` row is the same training with
no loop to reuse (trace and XLA compilation in epoch 1: a process's first training of a shape).

Every contender runs ``--repeats`` times (default 3) in the same process, interleaved; the table
gives medians and the ratios against the 32-factor SVD of the same repeat (median of ratios).
``--before`` adds movierate with the general op-by-op step (``training.XLA_PLAIN_STEP = False``,
the step before the XLA one) and with the plain XLA step with every side sparse
(``training.DENSE_TABLE_FACTOR = 0``, the step before small tables were updated whole in XLA). Besides wall-clock ratings/s, the table
gives ratings per CPU-second of the process (``time.process_time``: all threads; for movierate
the whole ``train`` call, evaluation included): on a shared machine the wall clock measures the
scheduler's share as much as the code, and a 2-thread TensorFlow gets a larger share than
one-thread Cython.

    python -m benchmarks.bench_training [--ratings 2e6] [--batch-size 32768] [--lr 0.02] \\
        [--lr-decay 0.7] [--l2 0.02] [--data-seed 1] [--repeats 3]

movierate's settings default to the product's for a set of 2 M ratings or more
(``movierate.defaults.LARGE_DATA``: batch 32,768, lr 0.02 decaying by 0.7 per epoch, L2 0.02,
not ModelSpec's that suit the 100 k-rating MovieLens sets); they were picked on other
synthetic data (seed 2, ml-32m's shape), and the benchmark draws its data with seed 1, so they
are not tuned on its split.

Needs benchmarks/requirements.txt (scikit-surprise). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from movierate.data import make_split, synthetic_dataset
from movierate.defaults import LARGE_DATA
from movierate.nn.reuse import LoopPool
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
    start, cpu = time.perf_counter(), time.process_time()
    algo.fit(trainset)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    users = r["user_idx"].to_numpy()[split.stop]
    movies = r["movie_idx"].to_numpy()[split.stop]
    truth = r["rating"].to_numpy()[split.stop]
    pred = np.array([algo.predict(u, m).est for u, m in zip(users, movies, strict=True)])
    return {
        "seconds": seconds,
        "rmse": float(np.sqrt(np.mean((pred - truth) ** 2))),
        "rps": len(split.train) * algo.n_epochs / seconds,
        "cpu_rps": len(split.train) * algo.n_epochs / cpu,
        "epochs": algo.n_epochs,
    }


def movierate_mf_bias(ds, split, spec: ModelSpec, target_rmse: float) -> dict[str, float]:
    """Train; note when the early-stopping RMSE first reaches ``target_rmse``."""
    from movierate.nn.training import train

    reached: list[float] = []
    epoch_ends: list[float] = []
    start = time.perf_counter()

    def watch(event) -> None:
        if event.phase != "epoch":
            return
        epoch_ends.append(time.perf_counter())
        if not reached and event.metrics["stop_rmse"] <= target_rmse:
            reached.append(time.perf_counter() - start)

    cpu = time.process_time()
    result = train(ds, split, spec, progress=watch)
    cpu = time.process_time() - cpu
    epoch_seconds = np.diff([start, *epoch_ends])
    return {
        "median_rps": len(split.train) / float(np.median(epoch_seconds)),
        "cpu_rps": len(split.train) * result.metrics["epochs_run"] / cpu,
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
    large = LARGE_DATA[-1][1]  # the product's settings for a set this size
    parser.add_argument("--batch-size", type=int, default=large["batch_size"])
    parser.add_argument("--lr", type=float, default=large["learning_rate"])
    parser.add_argument("--lr-decay", type=float, default=large["learning_rate_decay"])
    parser.add_argument("--l2", type=float, default=large["regularizers"]["l2"])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--data-seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", action="store_true", help="also the general (old) step")
    args = parser.parse_args()
    from movierate.nn import training

    ds = synthetic_dataset(int(args.ratings), seed=args.data_seed)
    split = make_split(ds, "random", 0.1, seed=42)
    print(f"synthetic set: {len(ds):,} ratings, {ds.n_users:,} users, {ds.n_movies:,} movies\n")
    spec = ModelSpec(
        family="mf_bias",
        dim=32,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        learning_rate_decay=args.lr_decay,
        regularizers={"l2": args.l2},
        epochs=args.epochs,
    )
    runs: dict[str, list[dict[str, float]]] = {"svd32": [], "svd100": [], "ours": [], "cold": []}
    if args.before:
        runs["sparse"], runs["before"] = [], []
    factor = training.DENSE_TABLE_FACTOR
    variants = {"ours": (True, factor), "cold": (True, factor), "sparse": (True, 0.0)}
    variants["before"] = (False, factor)
    contenders = [k for k in ("ours", "cold", "sparse", "before") if k in runs]
    pooled = training.LOOPS
    pooled.size = len(contenders)  # one idle loop per contender: none evicts another's
    for key in contenders:  # warm up: TensorFlow's first run (and each shape's compiled loop)
        training.XLA_PLAIN_STEP, training.DENSE_TABLE_FACTOR = variants[key]
        movierate_mf_bias(ds, split, spec.with_(epochs=1), 0.0)
    for repeat in range(args.repeats):
        svd32 = surprise_svd(ds, split, 32)
        runs["svd32"].append(svd32)
        svd100 = surprise_svd(ds, split, 100)
        runs["svd100"].append(svd100)
        for key in contenders:
            training.XLA_PLAIN_STEP, training.DENSE_TABLE_FACTOR = variants[key]
            # cold: a pool that keeps nothing, so the loop is traced and compiled again
            training.LOOPS = LoopPool(0) if key == "cold" else pooled
            ours = movierate_mf_bias(ds, split, spec, svd32["rmse"])
            training.XLA_PLAIN_STEP, training.DENSE_TABLE_FACTOR = variants["ours"]
            training.LOOPS = pooled
            ours["rps_ratio"] = ours["rps"] / svd32["rps"]
            ours["median_ratio"] = ours["median_rps"] / svd32["rps"]
            ours["rps_ratio_100"] = ours["rps"] / svd100["rps"]
            ours["cpu_ratio"] = ours["cpu_rps"] / svd32["cpu_rps"]
            ours["time_ratio"] = ours["to_target"] / svd32["seconds"]
            runs[key].append(ours)
            print(
                f"repeat {repeat + 1} {key}: svd32 {svd32['rps']:,.0f}/s, ours "
                f"{ours['rps']:,.0f}/s ({ours['rps_ratio']:.2f}x; median epoch "
                f"{ours['median_ratio']:.2f}x; per CPU-s "
                f"{ours['cpu_ratio']:.2f}x), to SVD32 RMSE {ours['time_ratio']:.2f}x",
                flush=True,
            )
    labels = {
        "svd32": "surprise SVD, 32 factors",
        "svd100": "surprise SVD, 100 factors (its default)",
        "ours": (
            f"movierate mf_bias dim 32, {spec.optimizer}, batch {args.batch_size}, lr {args.lr}"
            f" (x {args.lr_decay} per epoch), l2 {args.l2}"
        ),
        "cold": "the same, no compiled loop to reuse (a process's first training of this shape)",
        "sparse": "the same, plain XLA step with every side sparse (before small tables whole)",
        "before": "the same, general op-by-op step (before the XLA step)",
    }
    print(f"\nmedians of {args.repeats} repeats")
    print(
        "| contender | ratings/s, all epochs | ratings/s, median epoch | ratings per CPU-s | "
        "epochs | wall s | early-stopping RMSE | s to SVD-32's RMSE |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, rows in runs.items():
        ours = key in contenders
        to_target = _median(rows, "to_target") if ours else _median(rows, "seconds")
        median_rps = f"{_median(rows, 'median_rps'):,.0f}" if ours else "(one pass)"
        print(
            f"| {labels[key]} | {_median(rows, 'rps'):,.0f} | {median_rps} | "
            f"{_median(rows, 'cpu_rps'):,.0f} | "
            f"{_median(rows, 'epochs'):.0f} | {_median(rows, 'seconds'):.1f} | "
            f"{_median(rows, 'rmse'):.4f} | {to_target:.1f} |"
        )
    print()
    for key in contenders:
        rows = runs[key]
        print(
            f"{labels[key]}: throughput / SVD-32 {_median(rows, 'rps_ratio'):.2f}x all epochs, "
            f"{_median(rows, 'median_ratio'):.2f}x median epoch "
            f"(per CPU-second {_median(rows, 'cpu_ratio'):.2f}x), / SVD-100 "
            f"{_median(rows, 'rps_ratio_100'):.2f}x; time to SVD-32's RMSE / SVD-32's fit "
            f"{_median(rows, 'time_ratio'):.2f}x (medians of per-repeat ratios)"
        )


if __name__ == "__main__":
    main()
