"""Training throughput as the data grows, peak memory, and how far we are from a memory bound.

Cases: synthetic MovieLens-like datasets (``movierate.data.synthetic_dataset``: Zipf movie
popularity, heavy-tailed users) of 0.1 M, 1 M and 10 M ratings, random 90/10 split. Each case
runs in a fresh subprocess so its peak RSS is its own. Per case: ratings/s of the first epoch
(wall time between epoch events: graph tracing and the per-epoch evaluation included), of the
last epoch, and of the last epoch's optimizer steps alone (timed between its batch progress
events); the batch size; RSS after the dataset was built and peak RSS. The peer, in the same run and subprocess layout, is
scikit-surprise's SVD (Cython SGD, one core) for ``--svd-epochs`` epochs.

The bound: one rating update with sparse Adam touches two embedding rows of ``d`` float32
(4d bytes each). Per row: read it in the forward pass, write its gradient and read it back,
read parameter, first and second moment, write all three: 9 x 4d bytes, so 72 d bytes per
rating (biases and the dense part ignored). Dividing the streaming memory bandwidth measured
by a numpy copy in the same run by 72 d gives the ratings/s a memory-bound step could reach.
Real steps also gather scattered rows (whole cache lines), so this bound is optimistic.

    nice -n 5 python -m benchmarks.bench_scaling [--sizes 100000,1000000,10000000] \\
        [--dim 32] [--batch-size N] [--epochs 3] [--svd-epochs 1] [--no-svd]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BYTES_PER_ROW_PASS = 4  # float32
ROW_PASSES_PER_UPDATE = 9  # forward read, gradient write + read, Adam: 3 reads + 3 writes
ROWS_PER_RATING = 2  # one user row, one movie row


def bytes_per_rating(dim: int) -> int:
    """Memory traffic of one sparse-Adam rating update on embeddings of size ``dim``."""
    return ROWS_PER_RATING * ROW_PASSES_PER_UPDATE * BYTES_PER_ROW_PASS * dim


def copy_bandwidth(n_bytes: int = 256 << 20, repeats: int = 7) -> float:
    """Streaming memory bandwidth in bytes/s: median of ``np.copyto`` (read + write)."""
    source = np.ones(n_bytes // 8, dtype=np.float64)
    target = np.empty_like(source)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        times.append(time.perf_counter() - start)
    return 2 * source.nbytes / float(np.median(times))


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _current_rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def worker(args: argparse.Namespace) -> dict:
    """Measure one case in this process; returns a JSON-safe dict."""
    from movierate.data import make_split, synthetic_dataset

    ds = synthetic_dataset(args.size, seed=0)
    split = make_split(ds, method="random", test_fraction=0.1, seed=42)
    n_train = len(split.train)
    rss_data = _current_rss_bytes()
    if args.engine == "svd":
        epoch_seconds, batch = _svd_epochs(ds, split, args.epochs), 1
        steps_rps = n_train / epoch_seconds[-1]
    else:
        epoch_seconds, batch, steps_rps = _movierate_epochs(ds, split, args)
    return {
        "engine": args.engine,
        "size": args.size,
        "n_train": n_train,
        "n_users": ds.n_users,
        "n_movies": ds.n_movies,
        "batch_size": batch,
        "first_epoch_rps": n_train / epoch_seconds[0],
        "last_epoch_rps": n_train / epoch_seconds[-1],
        "steps_rps": steps_rps,
        "rss_data": rss_data,
        "peak_rss": _rss_bytes(),
    }


def _svd_epochs(ds, split, epochs: int) -> list[float]:
    """Seconds of Surprise SVD's fit divided evenly over its epochs (it reports no epochs)."""
    from surprise import SVD, Dataset, Reader

    train = ds.ratings.iloc[split.train][["user_idx", "movie_idx", "rating"]]
    reader = Reader(rating_scale=(ds.rating_scale.min, ds.rating_scale.max))
    trainset = Dataset.load_from_df(train, reader).build_full_trainset()
    algo = SVD(n_epochs=epochs, random_state=0)
    start = time.perf_counter()
    algo.fit(trainset)
    return [(time.perf_counter() - start) / epochs] * epochs


def _movierate_epochs(ds, split, args: argparse.Namespace) -> tuple[list[float], int, float]:
    """Wall seconds of each epoch (between "epoch" events, evaluation included), the batch
    size used, and the steady-state ratings/s of the optimizer steps alone: batches between the
    first and the last "batch" event of the last epoch, over the time between them."""
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    fields = {"family": "mf_bias", "dim": args.dim, "epochs": args.epochs}
    fields["early_stopping_patience"] = args.epochs
    if args.batch_size:
        fields["batch_size"] = args.batch_size
    spec = ModelSpec(**fields)
    ends: list[float] = []
    batches: dict[int, list[tuple[int, float]]] = {}

    def progress(event) -> None:
        now = time.perf_counter()
        if event.phase == "epoch":
            ends.append(now)
        elif event.phase == "batch":
            batches.setdefault(event.epoch, []).append((event.batch, now))

    start = time.perf_counter()
    train(ds, split, spec, progress=progress)
    edges = [start, *ends]
    seconds = [b - a for a, b in zip(edges, edges[1:], strict=False)]
    (first, t_first), (last, t_last) = batches[max(batches)][0], batches[max(batches)][-1]
    return seconds, spec.batch_size, (last - first) * spec.batch_size / (t_last - t_first)


def run_case(engine: str, size: int, args: argparse.Namespace) -> dict:
    """Run one case in a fresh subprocess and parse its JSON line."""
    command = [sys.executable, "-m", "benchmarks.bench_scaling", "--worker", "--engine", engine,
               "--size", str(size), "--dim", str(args.dim),
               "--epochs", str(args.svd_epochs if engine == "svd" else args.epochs)]  # fmt: skip
    if args.batch_size:
        command += ["--batch-size", str(args.batch_size)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} at {size:,} ratings failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _share(row: dict, bound_rps: float) -> str:
    """Share of the sparse-Adam bound (movierate only: SVD runs plain SGD in float64)."""
    return f"{row['steps_rps'] / bound_rps:.0%}" if row["engine"] == "movierate" else "-"


def markdown_table(rows: list[dict], bound_rps: float) -> str:
    lines = [
        "| engine | ratings | users | movies | batch | epoch 1 ratings/s | last epoch ratings/s "
        "| last epoch, steps only | share of bound | RSS data (MB) | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['size']:,} | {r['n_users']:,} | {r['n_movies']:,} "
            f"| {r['batch_size']:,} | {r['first_epoch_rps'] / 1e6:.2f} M "
            f"| {r['last_epoch_rps'] / 1e6:.2f} M | {r['steps_rps'] / 1e6:.2f} M "
            f"| {_share(r, bound_rps)} "
            f"| {r['rss_data'] / 1e6:,.0f} | {r['peak_rss'] / 1e6:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=0, help="0: ModelSpec's default")
    parser.add_argument("--epochs", type=int, default=3, help="movierate epochs per case")
    parser.add_argument("--svd-epochs", type=int, default=1, help="Surprise SVD epochs per case")
    parser.add_argument("--no-svd", action="store_true", help="skip the Surprise SVD peer")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="movierate", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return

    bandwidth = copy_bandwidth()
    per_rating = bytes_per_rating(args.dim)
    bound = bandwidth / per_rating
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        for engine in ("movierate",) if args.no_svd else ("movierate", "svd"):
            rows.append(run_case(engine, size, args))
            print(f"done: {engine} {size:,}", file=sys.stderr, flush=True)
    print(
        f"numpy copy bandwidth {bandwidth / 1e9:.1f} GB/s (read + write); sparse Adam moves "
        f"{per_rating:,} bytes per rating at dim {args.dim}, so a memory-bound step does at most "
        f"{bound / 1e6:.1f} M ratings/s.\n"
    )
    print(markdown_table(rows, bound))


if __name__ == "__main__":
    main()
