"""Speed of numpy scoring for the Recommend page: one user against every movie.

Compares :func:`movierate.scoring.score_all_movies` with its peer, :func:`scoring.predict`
on all (user, movie) pairs, on random arrays shaped like MovieLens catalogues. Prints a
markdown table of medians. Targets: < 50 ms for 10 k movies, < 200 ms for 60 k x 64.

    python -m benchmarks.bench_scoring [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
from types import SimpleNamespace

import numpy as np

from movierate import scoring

SCALE = (0.5, 5.0, 0.5)
CASES = [
    # (label, family, n_movies, dim, hidden units)
    ("mf_bias 10k x 32", "mf_bias", 10_000, 32, ()),
    ("mf_bias 60k x 64", "mf_bias", 60_000, 64, ()),
    ("deep 10k x 32, (64, 32)", "deep", 10_000, 32, (64, 32)),
    ("deep 60k x 64, (128, 64)", "deep", 60_000, 64, (128, 64)),
]


def make_arrays(family: str, n_movies: int, dim: int, hidden: tuple[int, ...]) -> dict:
    rng = np.random.default_rng(0)
    n_users = 1_000
    arrays = {
        "user_embedding": rng.normal(0, 0.1, (n_users, dim)).astype(np.float32),
        "movie_embedding": rng.normal(0, 0.1, (n_movies, dim)).astype(np.float32),
        "user_bias": rng.normal(0, 0.1, n_users).astype(np.float32),
        "movie_bias": rng.normal(0, 0.1, n_movies).astype(np.float32),
        "global_mean": np.float32(3.5),
    }
    if family == "deep":
        width = 2 * dim
        for i, units in enumerate(hidden):
            arrays[f"dense_{i}_kernel"] = rng.normal(0, 0.1, (width, units)).astype(np.float32)
            arrays[f"dense_{i}_bias"] = np.zeros(units, np.float32)
            width = units
        arrays["output_kernel"] = rng.normal(0, 0.1, (width, 1)).astype(np.float32)
        arrays["output_bias"] = np.zeros(1, np.float32)
    return arrays


def median_ms(func, repeats: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print("| case | score_all_movies (ms) | predict on all pairs (ms) | speed-up |")
    print("|---|---:|---:|---:|")
    for label, family, n_movies, dim, hidden in CASES:
        arrays = make_arrays(family, n_movies, dim, hidden)
        spec = SimpleNamespace(family=family, output="sigmoid")
        movies = np.arange(n_movies)
        fast = median_ms(partial(scoring.score_all_movies, arrays, spec, 7, SCALE), args.repeats)
        peer = median_ms(partial(scoring.predict, arrays, spec, 7, movies, SCALE), args.repeats)
        print(f"| {label} | {fast:.1f} | {peer:.1f} | {peer / fast:.1f}x |")


if __name__ == "__main__":
    main()
