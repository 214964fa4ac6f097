"""The exact neighbour searches behind a map, against what they replaced, in one run.

Two searches over synthetic clustered Gaussian vectors (32 dims, 40 clusters), each pair
alternated within a repeat on the same input:

- t-SNE's affinities: each movie's 90 nearest (3 x perplexity 30) by cosine, openTSNE's own
  Annoy search (what large maps used until 2026-12-07; one thread, 50 trees) against
  ``projection.tsne_neighbours`` (exact, chunked, cancellable), with Annoy's recall of the true
  neighbours;
- the trust numbers' 10 nearest by cosine: scikit-learn's cosine brute force (what
  ``quality.nearest_rows`` ran before) against ``nearest_rows`` (euclidean on unit rows),
  with the share of identical neighbour sets.

Prints a markdown table of median seconds and the ratio, and the 1-minute load average before
and after: compare rows only within one run.

    nice -n -5 python -m benchmarks.bench_neighbours [--sizes 10000,30000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from movierate.explore.projection import tsne_neighbours
from movierate.explore.quality import TRUST_K, nearest_rows


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """``n`` vectors around 40 random centres, 32 dims, float32."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, 32))
    return (centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, 32))).astype(np.float32)


def annoy_neighbours(x: np.ndarray, k: int) -> np.ndarray:
    """openTSNE's Annoy search as its affinities ran it: cosine, one thread, seed 0."""
    from openTSNE.nearest_neighbors import Annoy

    return Annoy(x.astype(np.float64), k, metric="cosine", n_jobs=1, random_state=0).build()[0]


def sklearn_cosine(x: np.ndarray, k: int) -> np.ndarray:
    """scikit-learn's cosine brute force in chunks of 2,048, self excluded (the code before)."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(x)
    found = [
        index.kneighbors(x[i : i + 2048], return_distance=False) for i in range(0, len(x), 2048)
    ]
    rows = np.vstack(found)
    return np.array([row[row != i][:k] for i, row in enumerate(rows)])


def timed(job: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Seconds ``job(*args)`` took, and what it returned."""
    start = time.perf_counter()
    out = job(*args)
    return time.perf_counter() - start, out


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Mean share of each row's neighbours that both searches found."""
    return float(np.mean([len(np.intersect1d(p, q)) / len(q) for p, q in zip(a, b, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000", help="movies, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| movies | search | before (s) | now (s) | now / before | agreement |")
    print("|---:|---|---:|---:|---:|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        x = clustered(n)
        old_a, new_a, old_t, new_t = [], [], [], []
        for _ in range(args.repeats):
            seconds, approx = timed(annoy_neighbours, x, 90)
            old_a.append(seconds)
            seconds, (exact, _) = timed(tsne_neighbours, x, 30, "cosine")
            new_a.append(seconds)
            seconds, before = timed(sklearn_cosine, x, TRUST_K)
            old_t.append(seconds)
            seconds, now = timed(nearest_rows, x, TRUST_K, "cosine")
            new_t.append(seconds)
        for label, old, new, agree in (
            (
                "t-SNE's 90 (Annoy -> exact)",
                old_a,
                new_a,
                f"Annoy recall {overlap(approx, exact):.3f}",
            ),
            (
                "trust's 10 (cosine -> unit euclidean)",
                old_t,
                new_t,
                f"same sets {overlap(before, now):.4f}",
            ),
        ):
            a, b = statistics.median(old), statistics.median(new)
            print(f"| {n:,} | {label} | {a:.1f} | {b:.1f} | {b / a:.2f}x | {agree} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
