"""AutoRec (``autorec``) against mf_bias's defaults on bench_tuned's protocols, same rows.

Each protocol's train / stop / test rows come from :func:`benchmarks.bench_tuned.carve` (seed
0), so the numbers line up with the README's "The tuner against a grid-tuned SVD" table. A few
autorec settings (``--grid``) are trained on train rows and early-stopped on stop rows; the one
with the best stop RMSE is reported on the test rows, both as trained and refit on train + stop
for its best epoch count (as bench_tuned refits its winners). mf_bias with ModelSpec()'s
defaults runs on the same rows (as trained and refit). Test rows steer nothing.

    nice -n 10 python -m benchmarks.bench_autorec --protocols u1,random-100k,random-small,temporal-small
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from benchmarks import bench_tuned
from benchmarks.bench_tuned import PROTOCOLS as TUNED_PROTOCOLS
from benchmarks.bench_tuned import rmse
from movierate import scoring
from movierate.data import Split, load_dataset, make_split
from movierate.errors import DataError
from movierate.spec import ModelSpec

#: bench_tuned's protocols, plus ml-1m-sample's random 90/10 (carve's random branch).
PROTOCOLS = {**TUNED_PROTOCOLS, "random-1m": ("random 90/10 (seed 0)", "ml-1m-sample")}
#: The autorec settings tried on the stop rows (dim = hidden units; l2 = lambda / 2).
GRID = {
    "default": [
        {"dim": 500, "l2": 40.0, "learning_rate": 1e-3},
        {"dim": 500, "l2": 100.0, "learning_rate": 1e-3},
        {"dim": 500, "l2": 250.0, "learning_rate": 1e-3},
    ],
}
BASE = ModelSpec(family="autorec", epochs=300, early_stopping_patience=10, batch_size=2048)


def carve(ds, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bench_tuned's rows; for temporal-small where make_split no longer takes a stop fraction
    of 0, the same rows rebuilt (its test rows are drawn first and use no randomness)."""
    try:
        return bench_tuned.carve(ds, key)
    except DataError:
        if key != "temporal-small":
            raise
    split = make_split(ds, "temporal", test_fraction=0.2, stop_fraction=0.1, seed=0)
    rest, test = np.sort(np.concatenate([split.train, split.stop])), np.asarray(split.test)
    stop = bench_tuned._latest_per_user(ds, rest, bench_tuned.STOP_FRACTION / 0.8)
    return np.setdiff1d(rest, stop), stop, test


def autorec_spec(setting: dict) -> ModelSpec:
    """The ModelSpec of one grid setting."""
    changes = dict(setting)
    l2 = changes.pop("l2")
    return replace(BASE, regularizers={"l2": l2}, **changes).validate()


def fit(ds, spec: ModelSpec, train, stop, test) -> dict:
    """Train on ``train`` (early-stopped on ``stop``), score ``test``."""
    from movierate.nn.training import train as train_model

    split = Split("bench", 0, 0.1, 0.1, np.sort(train), np.sort(stop), np.sort(test))
    started = time.perf_counter()
    result = train_model(ds, split, spec)
    seconds = time.perf_counter() - started
    users, movies = ds.ratings["user_idx"].to_numpy(), ds.ratings["movie_idx"].to_numpy()
    pred = scoring.predict(result.arrays, spec, users[test], movies[test], ds.rating_scale)
    truth = ds.ratings["rating"].to_numpy(float)[test]
    return {
        "stop_rmse": result.metrics.get("stop_rmse"),
        "test_rmse": rmse(pred, truth),
        "best_epoch": int(result.metrics["best_epoch"]),
        "train_s": seconds,
    }


def refit(ds, spec: ModelSpec, epochs: int, train, stop, test) -> dict:
    """Train on train + stop for ``epochs`` epochs, score ``test``."""
    everything = np.sort(np.concatenate([train, stop]))
    spec = replace(spec, epochs=epochs, early_stopping_patience=epochs)
    return fit(ds, spec, everything, np.array([], np.int64), test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", default=",".join(TUNED_PROTOCOLS))
    parser.add_argument("--grid", default="default", help="a GRID key, or a JSON list of dicts")
    parser.add_argument("--no-mf", action="store_true", help="skip the mf_bias rows")
    parser.add_argument("--no-refit", action="store_true")
    parser.add_argument("--json", help="append one JSON line per row to this file")
    args = parser.parse_args()
    grid = GRID[args.grid] if args.grid in GRID else json.loads(args.grid)
    table = []
    for key in args.protocols.split(","):
        label, name = PROTOCOLS[key]
        ds = load_dataset(name)
        train, stop, test = carve(ds, key)
        print(f"{key}: {len(train)} train / {len(stop)} stop / {len(test)} test", flush=True)
        rows = []
        if not args.no_mf:
            spec = ModelSpec()
            row = fit(ds, spec, train, stop, test)
            rows.append({"model": "default mf_bias (dim 32, L2 0.1)", **row})
            if not args.no_refit:
                again = refit(ds, spec, row["best_epoch"], train, stop, test)
                rows.append({"model": f"default mf_bias refit ({row['best_epoch']} ep)", **again})
        search_started, tried = time.perf_counter(), []
        for setting in grid:
            row = fit(ds, autorec_spec(setting), train, stop, test)
            print(f"  autorec {setting}: {row}", flush=True)
            tried.append((row["stop_rmse"], setting, row))
        search = time.perf_counter() - search_started
        _, setting, row = min(tried, key=lambda t: t[0])
        described = ", ".join(f"{k} {v:g}" for k, v in setting.items())
        rows.append({"model": f"autorec ({described})", **row, "search_s": search})
        if not args.no_refit:
            again = refit(ds, autorec_spec(setting), row["best_epoch"], train, stop, test)
            rows.append(
                {"model": f"autorec refit ({row['best_epoch']} ep)", **again, "search_s": search}
            )
        for row in rows:
            row.update(protocol=label, dataset=name, key=key)
            table.append(row)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(row) + "\n")
        print(markdown(table), flush=True)


def markdown(rows: list[dict]) -> str:
    """The results as a markdown table."""
    lines = [
        "| protocol | dataset | model | stop RMSE | test RMSE | best epoch | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        stop = f"{r['stop_rmse']:.4f}" if r.get("stop_rmse") is not None else "-"
        lines.append(
            f"| {r['protocol']} | {r['dataset']} | {r['model']} | {stop} | "
            f"{r['test_rmse']:.4f} | {r['best_epoch']} | {r['train_s']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
