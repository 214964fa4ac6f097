"""Dataset loading speed and peak memory: first load (parse) vs cached (parquet) load.

Each measurement runs in a fresh subprocess so its peak RSS (``resource.getrusage``) is its
own. Cases: the shared MovieLens copies (ml-latest-small, ml-100k, ml-1m-sample) and a
synthetic file in the ml-20m layout. The peer, in the same run, is plain ``pandas.read_csv``
with its default engine reading only the ratings file (``sep="::"`` falls back to pandas'
python engine, which is what a notebook would do). Prints a markdown table of medians.
Targets: cached ml-latest-small < 0.5 s; 20 M ratings parsed in < 30 s using < 3 GB.

    MOVIERATE_DATA_DIR=../shared/data/movielens \\
        python -m benchmarks.bench_data [--synthetic 20000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = ("ml-latest-small", "ml-100k", "ml-1m-sample")
RATINGS_FILE = {
    "ml-latest-small": "ratings.csv",
    "ml-100k": "u.data",
    "ml-1m-sample": "ratings.dat",
}


def worker(args: argparse.Namespace) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    import resource

    start = time.perf_counter()
    if args.worker == "load":
        from movierate.data import load_dataset

        imported = time.perf_counter()
        ds = load_dataset(args.target)
        n = len(ds)
    elif args.worker == "parse":
        from movierate.data.acquire import locate
        from movierate.data.formats import detect_layout, read_ratings

        imported = time.perf_counter()
        folder, _ = locate(args.target)
        n = len(read_ratings(folder, detect_layout(folder)))
    elif args.worker == "pandas":
        import pandas as pd

        imported = time.perf_counter()
        path = Path(args.target)
        if path.name == "ratings.csv":
            frame = pd.read_csv(path)
        elif path.name == "u.data":
            frame = pd.read_csv(path, sep="\t", header=None)
        else:
            frame = pd.read_csv(path, sep="::", header=None, engine="python")
        n = len(frame)
    else:  # generate
        from movierate.data import synthetic_dataset, write_movielens_csv

        imported = time.perf_counter()
        ds = synthetic_dataset(int(args.target), seed=0)
        generated = time.perf_counter()
        write_movielens_csv(ds, args.out)
        n = len(ds)
        print(json.dumps({"generate_s": generated - imported}), flush=True)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"n": n, "seconds": done - imported, "process_s": done - start, "peak_mb": peak_mb}
        )
    )


def measure(kind: str, target: str, home: Path, data_dir: Path, extra: list[str] = ()) -> dict:
    env = dict(os.environ, MOVIERATE_HOME=str(home), MOVIERATE_DATA_DIR=str(data_dir))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    wall = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--target", target, *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - wall
    if out.returncode:
        raise SystemExit(f"{kind} {target} failed:\n{out.stderr[-3000:]}")
    result = {}
    for line in out.stdout.splitlines():
        result.update(json.loads(line))
    result["wall_s"] = wall
    return result


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def bench_case(
    name: str, target: str, ratings: Path, data_dir: Path, work: Path, repeats: int
) -> dict:
    first, cached, parse, peer = [], [], [], []
    for i in range(repeats):
        home = work / f"home-{name}-{i}"
        shutil.rmtree(home, ignore_errors=True)
        parse.append(measure("parse", target, home, data_dir))
        first.append(measure("load", target, home, data_dir))
        cached.append(measure("load", target, home, data_dir))
        peer.append(measure("pandas", str(ratings), home, data_dir))
        shutil.rmtree(home, ignore_errors=True)
    return {
        "name": name,
        "n": first[0]["n"],
        "first_s": median_of(first, "seconds"),
        "first_mb": max(r["peak_mb"] for r in first),
        "cached_s": median_of(cached, "seconds"),
        "cached_process_s": median_of(cached, "wall_s"),
        "cached_mb": max(r["peak_mb"] for r in cached),
        "parse_s": median_of(parse, "seconds"),
        "parse_mb": max(r["peak_mb"] for r in parse),
        "peer_s": median_of(peer, "seconds"),
        "peer_mb": max(r["peak_mb"] for r in peer),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--synthetic",
        type=int,
        nargs="*",
        default=[20_000_000],
        help="sizes of generated ml-20m-layout files (none to skip)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per shared dataset")
    parser.add_argument("--big-repeats", type=int, default=1, help="runs per synthetic file")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("MOVIERATE_DATA_DIR", REPO.parent / "shared/data/movielens"),
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where generated files and caches go (default: a temp folder)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()  # fmt: skip
    if args.worker:
        worker(args)
        return

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-data-"))
    work.mkdir(parents=True, exist_ok=True)
    rows, notes = [], []
    try:
        for name in SHARED:
            if (args.data_dir / name).is_dir():
                ratings = args.data_dir / name / RATINGS_FILE[name]
                rows.append(bench_case(name, name, ratings, args.data_dir, work, args.repeats))
        for size in args.synthetic or []:
            folder = work / f"synthetic-{size}" / "ml-20m"
            gen = measure(
                "generate", str(size), work / "gen-home", args.data_dir, ["--out", str(folder)]
            )
            notes.append(
                f"synthetic {size:,}: generated in {gen['generate_s']:.1f} s, written as "
                f"ml-20m csv in {gen['seconds'] - gen['generate_s']:.1f} s "
                f"({(folder / 'ratings.csv').stat().st_size / 1e6:,.0f} MB), peak {gen['peak_mb']:,.0f} MB"
            )
            row = bench_case(f"synthetic {size:,} (ml-20m layout)", str(folder),
                             folder / "ratings.csv", args.data_dir, work, args.big_repeats)  # fmt: skip
            rows.append(row)
            shutil.rmtree(folder.parent, ignore_errors=True)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows, notes, args)


def print_table(rows: list[dict], notes: list[str], args: argparse.Namespace) -> None:
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; medians of "
          f"{args.repeats} run(s) (synthetic: {args.big_repeats}); one process per run.\n")  # fmt: skip
    print(
        "| dataset | ratings | parse s | peak MB | pandas.read_csv s | peak MB | pandas / parse "
        "| first load s | peak MB | cached load s | whole process s | peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['name']} | {r['n']:,} | {r['parse_s']:.2f} | {r['parse_mb']:,.0f} | "
            f"{r['peer_s']:.2f} | {r['peer_mb']:,.0f} | {r['peer_s'] / r['parse_s']:.2f}x | "
            f"{r['first_s']:.2f} | {r['first_mb']:,.0f} | {r['cached_s']:.3f} | "
            f"{r['cached_process_s']:.2f} | {r['cached_mb']:,.0f} |"
        )
    for note in notes:
        print(f"\n{note}")
    print(
        "\nparse = movierate's reader (pyarrow) of the ratings file alone into raw columns; "
        "pandas.read_csv = the peer, default engine, ratings file only; first load = "
        "load_dataset() with no cache: parse + validate + encode ids + movies table + write the "
        "parquet cache; cached load = load_dataset() on the second run (imports excluded); "
        "whole process = interpreter start + imports + cached load. Times exclude imports "
        "except in 'whole process'; peak MB is the process's peak RSS."
    )


if __name__ == "__main__":
    main()
