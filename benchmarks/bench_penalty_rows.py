"""Spread penalties over every movie against over the movies rated often enough, in one run.

A whitening (or decorrelation) penalty on a uniform sample of ALL movie rows is met mostly by
the many rarely rated movies, whose vectors the ratings hardly constrain; the movies the maps
and heatmaps show (10 ratings or more) can stay far from white. ``penalty_min_ratings`` limits
the penalty to movies with that many training ratings. For each setting this trains the same
model (mf_bias dim 32, l2 0.1 + whitening 0.1 unless ``--regs``; random 10% test split, seed 42)
and prints the covariance of the movie vectors over every movie with a training rating (the
rows the penalty shapes at 0), over those with at least 10 training ratings (at 10), and over
those with at least 10 ratings in the whole data set, test rows included (what the Embeddings
views start with, and the dashboard's verdicts measure too), and the early-stopping RMSE (test
rows are not read here).

    python -m benchmarks.bench_penalty_rows [--dataset ml-latest-small] [--min-ratings 0,10] \\
        [--regs l2=0.1,whitening=0.1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: The movies the views start with: at least this many ratings.
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
    counts = np.bincount(trained, minlength=ds.n_movies)
    sets = {
        "a training rating": np.flatnonzero(counts >= 1),
        f">= {SHOWN_FROM} training ratings": np.flatnonzero(counts >= SHOWN_FROM),
        f">= {SHOWN_FROM} ratings (views)": np.flatnonzero(
            ds.movies["n_ratings"].to_numpy() >= SHOWN_FROM
        ),
    }
    sizes = ", ".join(f"{len(rows):,} with {name}" for name, rows in sets.items())
    print(f"{ds.name}: {ds.n_movies:,} movies, {sizes}; regularizers {args.regs}\n")
    print(
        "| penalty_min_ratings | "
        + " | ".join(f"diagonal (off-diag corr), {name}" for name in sets)
        + " | early-stopping RMSE | epochs (best) | seconds |"
    )
    print("|---:|" + "---:|" * len(sets) + "---:|---|---:|")
    for least in (int(v) for v in args.min_ratings.split(",")):
        spec = ModelSpec(family="mf_bias", dim=32, regularizers=regs, penalty_min_ratings=least)
        start = time.perf_counter()
        result = train(ds, split, spec)
        seconds = time.perf_counter() - start
        movies = result.arrays["movie_embedding"]
        cells = []
        for rows in sets.values():
            stats = covariance_stats(movies[rows])
            cells.append(f"{stats['diag_mean']:.3f} ({stats['corr_offdiag_mean_abs']:.3f})")
        print(
            f"| {least} | " + " | ".join(cells) + f" | {result.metrics['stop_rmse']:.4f} | "
            f"{result.metrics['epochs_run']} ({result.metrics['best_epoch']}) | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
