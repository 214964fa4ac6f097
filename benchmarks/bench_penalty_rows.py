"""Spread penalties over every movie against over the movies rated often enough, in one run.

A whitening (or decorrelation) penalty on a uniform sample of ALL movie rows is met mostly by
the many rarely rated movies, whose vectors the ratings hardly constrain; the movies the maps
and heatmaps show (10 ratings or more) can stay far from white. ``penalty_min_ratings`` limits
the penalty to movies with that many training ratings. For each setting this trains the same
model (mf_bias dim 32, l2 0.1 + whitening 0.1 unless ``--regs``; random 10% test split, seed 42)
and prints the covariance of the movie vectors over every movie and over those with at least
10 training ratings, and the early-stopping RMSE (test rows are not read here).

    python -m benchmarks.bench_penalty_rows [--dataset ml-latest-small] [--min-ratings 0,10] \\
        [--regs l2=0.1,whitening=0.1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: The movies the views start with: at least this many (training) ratings.
SHOWN_FROM = 10


def main() -> None:
    from movierate.data import load_dataset, make_split
    from movierate.explore.verdicts import covariance_stats
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-latest-small")
    parser.add_argument("--min-ratings", default="0,10", help="penalty_min_ratings values")
    parser.add_argument("--regs", default="l2=0.1,whitening=0.1")
    args = parser.parse_args()
    regs = {k: float(v) for k, v in (pair.split("=") for pair in args.regs.split(","))}
    ds = load_dataset(args.dataset)
    split = make_split(ds, "random", 0.1, seed=42)
    trained = ds.ratings["movie_idx"].to_numpy()[split.train]
    shown = np.flatnonzero(np.bincount(trained, minlength=ds.n_movies) >= SHOWN_FROM)
    print(f"{ds.name}: {ds.n_movies:,} movies, {len(shown):,} with >= {SHOWN_FROM} training "
          f"ratings; regularizers {args.regs}\n")  # fmt: skip
    print(
        "| penalty_min_ratings | covariance diagonal, every movie | its mean abs off-diagonal "
        f"correlation | diagonal, >= {SHOWN_FROM} ratings | its off-diagonal correlation | "
        "early-stopping RMSE | epochs (best) | seconds |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|---:|")
    for least in (int(v) for v in args.min_ratings.split(",")):
        spec = ModelSpec(family="mf_bias", dim=32, regularizers=regs, penalty_min_ratings=least)
        start = time.perf_counter()
        result = train(ds, split, spec)
        seconds = time.perf_counter() - start
        movies = result.arrays["movie_embedding"]
        every, often = covariance_stats(movies), covariance_stats(movies[shown])
        print(
            f"| {least} | {every['diag_mean']:.3f} | {every['corr_offdiag_mean_abs']:.3f} | "
            f"{often['diag_mean']:.3f} | {often['corr_offdiag_mean_abs']:.3f} | "
            f"{result.metrics['stop_rmse']:.4f} | {result.metrics['epochs_run']} "
            f"({result.metrics['best_epoch']}) | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
