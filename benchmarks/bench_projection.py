"""Which 2-D projection is fastest for large catalogues, at what map quality, in one run.

Times, on the same inputs and thread count, scikit-learn's Barnes-Hut t-SNE as the product ran
it before this benchmark (``sklearn_tsne_coordinates``: 500 iterations, angle 0.8, PCA
initialisation, cosine, perplexity 30), openTSNE with FFT interpolation and with Barnes-Hut
(250 early-exaggeration + 250 iterations, the same perplexity, metric and initialisation) and
UMAP as the product runs it (``umap_coordinates``: 15 neighbours, min. distance 0.1, 500
epochs up to 10,000 movies, 200 beyond). Inputs: a saved ml-latest-small model's movie
embedding (``--model``; without it a rank-32 truncated SVD of the centred rating matrix) for
the default view (movies with >= 10 ratings) and the whole catalogue, and synthetic clustered
Gaussian embeddings of 20,000 and 87,585 (ml-32m's catalogue) movies x 32.

Each run is a fresh child process (so peak RSS is the run's own: ``VmHWM``; UMAP's numba
compilation is paid on a warm-up first and not counted, unless ``--cold``), the methods interleaved within
each repeat; the table gives the median seconds, the peak RSS of the child and the map's
trust numbers (``explore.map_trust``: share of each movie's 10 nearest embedding neighbours,
cosine, kept among its 10 nearest on the map; for synthetic data, how often map neighbours
share the movie's cluster, against random pairs). Prints the 1-minute load average before and
after: compare rows only within one run.

    nice -n 19 python -m benchmarks.bench_projection [--model NAME] [--repeats 3]
        [--large-repeats 1] [--threads 1] [--sizes 20000,87585] [--methods ...] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METHODS = ("sklearn-bh", "opentsne-fft", "opentsne-bh", "umap", "umap-nndescent")
LABELS = {
    "sklearn-bh": "scikit-learn t-SNE, Barnes-Hut (angle 0.8)",
    "opentsne-fft": "openTSNE, FFT interpolation",
    "opentsne-bh": "openTSNE, Barnes-Hut (theta 0.8)",
    "umap": "UMAP (umap-learn, 1 thread; exact neighbours)",
    "umap-nndescent": "UMAP with umap-learn's own NN-descent (the product until 2026-12-07)",
}
#: Repeats above this many movies use ``--large-repeats``.
LARGE = 15_000


def rss_gb() -> float:
    """This process's resident memory now, in GB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def peak_rss_gb() -> float:
    """This process's peak resident memory, in GB: ``VmHWM``, which starts afresh at the
    child's exec (``ru_maxrss`` would carry over the parent's resident memory at fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    return float("nan")


def umap_nndescent(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """UMAP as the product ran it before 2026-12-07: umap-learn searching the neighbours itself
    (NN-descent from 4,096 rows, numba-compiled)."""
    from movierate.explore import projection

    umap = projection._import_umap()
    return umap.UMAP(
        n_components=2, n_neighbors=projection.DEFAULT_N_NEIGHBORS,
        min_dist=projection.DEFAULT_MIN_DIST, metric="cosine", random_state=seed, n_jobs=1,
        init="spectral",
    ).fit_transform(x.astype(np.float32))  # fmt: skip


def child(method: str, source: str, output: str, threads: int, seed: int, cold: bool) -> None:
    """One timed projection in this (fresh) process; writes coordinates and numbers."""
    from movierate.explore import projection

    projection.free_cores = lambda: threads  # the same thread count for every method
    x = np.load(source)
    if method.startswith("umap") and not cold:  # numba's one-off compilation, not counted
        warm = np.random.default_rng(0).normal(size=(5_000, x.shape[1]))  # NN-descent's size
        (umap_nndescent if method == "umap-nndescent" else projection.umap_coordinates)(warm)
    before = rss_gb()
    start = time.perf_counter()
    if method == "sklearn-bh":
        xy = projection.sklearn_tsne_coordinates(x, seed=seed)
    elif method == "umap":
        xy = projection.umap_coordinates(x, seed=seed)
    elif method == "umap-nndescent":
        xy = umap_nndescent(x, seed=seed)
    else:
        xy = projection.opentsne_coordinates(
            x, seed=seed, gradient=method.split("-")[1], threads=threads
        )
    seconds = time.perf_counter() - start
    peak = peak_rss_gb()
    np.save(output, np.asarray(xy, dtype=np.float32))
    print(json.dumps({"seconds": seconds, "peak_gb": peak, "start_gb": before}))


def clustered(n: int, dim: int = 32, clusters: int = 20, seed: int = 0):
    """(embedding, genre lists): Gaussian clusters of unequal sizes; a movie's 'genre' is its
    cluster."""
    rng = np.random.default_rng(seed)
    sizes = rng.dirichlet(np.full(clusters, 2.0))
    label = rng.choice(clusters, size=n, p=sizes)
    centres = rng.normal(0, 1, (clusters, dim))
    x = centres[label] + rng.normal(0, 0.7, (n, dim))
    return x.astype(np.float32), [[f"cluster {c}"] for c in label]


def small_inputs(model_name: str | None):
    """[(name, embedding, genre lists)]: the default view and the whole ml-latest-small
    catalogue."""
    from benchmarks.bench_explore import small_embedding
    from movierate import explore
    from movierate.explore.validation import genre_lists

    x, movies, _ = small_embedding(model_name)
    source = f"model {model_name}" if model_name else "SVD-32"
    rated = np.flatnonzero(explore.movie_weights(movies, min_ratings=10) > 0)
    all_rows = np.arange(len(x))
    return [
        (f"ml-latest-small {source}, >= 10 ratings", x[rated], genre_lists(movies.iloc[rated])),
        (f"ml-latest-small {source}, whole catalogue", x[all_rows], genre_lists(movies)),
    ]


class Trust:
    """map_trust's numbers with the embedding's neighbours searched once per input."""

    def __init__(self, x: np.ndarray, genres: list[list[str]], k: int = 10) -> None:
        from movierate.explore.quality import genre_incidence, nearest_rows, random_baseline

        self.k = k
        self.space = nearest_rows(x.astype(np.float32), k, "cosine")
        self.incidence = genre_incidence(genres)
        self.has = self.incidence.any(axis=1)
        self.random = float(random_baseline(self.incidence)[self.has].mean())
        self.genre_space = self._agreement(self.space)

    def _agreement(self, neighbours: np.ndarray) -> float:
        inc = self.incidence
        shared = np.empty(len(inc))
        for s in range(0, len(inc), 4096):  # bounded memory at 87,585 movies
            block = (inc[s : s + 4096, None, :] & inc[neighbours[s : s + 4096]]).any(axis=2)
            shared[s : s + 4096] = block.mean(axis=1)
        return float(shared[self.has].mean())

    def of(self, xy: np.ndarray) -> tuple[float, float]:
        """(10-NN kept, share of map neighbours sharing a genre) of the map ``xy``."""
        from movierate.explore.quality import nearest_rows

        in_map = nearest_rows(np.asarray(xy, dtype=np.float64), self.k, "euclidean")
        kept = np.mean(
            [len(np.intersect1d(a, b)) / self.k for a, b in zip(self.space, in_map, strict=True)]
        )
        return float(kept), self._agreement(in_map)


def load1() -> float:
    return os.getloadavg()[0]


def run_child(
    method: str, source: Path, out: Path, threads: int, timeout: float, cold: bool = False
) -> dict | None:
    command = [sys.executable, "-m", "benchmarks.bench_projection", "--child", method,
               "--input", str(source), "--output", str(out), "--threads", str(threads)]  # fmt: skip
    command += ["--cold"] if cold else []
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        print(f"  {method} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a saved ml-latest-small model (else an SVD-32)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method, small inputs")
    parser.add_argument("--large-repeats", type=int, default=1, help="runs above 15,000 movies")
    parser.add_argument("--threads", type=int, default=1, help="threads for every method")
    parser.add_argument("--sizes", default="20000,87585", help="synthetic catalogue sizes")
    parser.add_argument("--methods", default=",".join(METHODS), help=", ".join(METHODS))
    parser.add_argument("--skip-small", action="store_true", help="only the synthetic inputs")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run at most")
    parser.add_argument(
        "--cold", action="store_true", help="UMAP's numba compilation counted (a first map)"
    )
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.input, args.output, args.threads, args.seed, args.cold)
        return
    methods = [m for m in args.methods.split(",") if m]
    inputs = [] if args.skip_small else small_inputs(args.model)
    for n in (int(s) for s in args.sizes.split(",") if s):
        x, genres = clustered(n)
        inputs.append((f"synthetic {n:,} x 32 (20 Gaussian clusters)", x, genres))
    print(f"load average (1 min) at start: {load1():.2f}; {os.cpu_count()} cores; "
          f"{args.threads} thread(s) per run", flush=True)  # fmt: skip
    lines = [
        "| input | method | seconds (median) | runs | peak RSS GB (+ over start) "
        "| 10-NN kept | neighbours share a genre (embedding / random) | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, x, genres in inputs:
            source = Path(tmp) / "x.npy"
            np.save(source, x)
            repeats = args.repeats if len(x) <= LARGE else args.large_repeats
            runs: dict[str, list[dict]] = {m: [] for m in methods}
            loads = []
            for _ in range(repeats):
                for method in methods:
                    loads.append(load1())
                    result = run_child(method, source, Path(tmp) / f"{method}.npy",
                                       args.threads, args.timeout, args.cold)  # fmt: skip
                    if result is not None:
                        runs[method].append(result)
                        print(f"  {name} | {method}: {result}", flush=True)
            trust = Trust(x, genres)
            for method in methods:
                done = [r for r in runs[method] if "seconds" in r]
                if not done:
                    lines.append(f"| {name} | {LABELS[method]} | failed or > {args.timeout:.0f} s "
                                 "| 0 | | | | |")  # fmt: skip
                    continue
                kept, genre_map = trust.of(np.load(Path(tmp) / f"{method}.npy"))
                seconds = statistics.median(r["seconds"] for r in done)
                peak = max(r["peak_gb"] for r in done)
                extra = max(r["peak_gb"] - r["start_gb"] for r in done)
                lines.append(
                    f"| {name} ({len(x):,} x {x.shape[1]}) | {LABELS[method]} | {seconds:.1f} "
                    f"| {len(done)} | {peak:.2f} (+{extra:.2f}) | {kept:.3f} | {genre_map:.2f} "
                    f"({trust.genre_space:.2f} / {trust.random:.2f}) "
                    f"| {min(loads):.1f}-{max(loads):.1f} |"
                )
            print("\n".join(lines[-len(methods) :]), flush=True)
    print(f"\nload average (1 min) at end: {load1():.2f}\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
