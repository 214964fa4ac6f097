"""Accuracy and fit time of movierate's models against scikit-surprise's SVD and SVD++.

Every contender is fitted on the same rows and scored on the same held-out rows:
- ``random``: a random 90/10 split of ml-100k and ml-latest-small, one per seed (default 3
  seeds), reported as mean ± standard deviation over the seeds;
- ``u1-u5``: ml-100k's five official 80/20 folds (Surprise's published-table protocol is
  5-fold cross-validation on ml-100k), reported as mean ± std over the folds.

movierate's models train for a fixed number of epochs without early stopping, so the held-out
rows never steer training (as for Surprise), except ``default``: the product's default spec as
a user runs it, early-stopped on the held-out rows with the best epoch restored (the protocol
of the accuracy targets, so its RMSE is optimistic by the choice of epoch); RMSE and MAE are computed in numpy on the final
predictions (``movierate.scoring``), clipped to the rating scale like Surprise's. Fit time is
the wall time of ``train()`` / ``algo.fit()``; ratings/s = training ratings x epochs / fit time.

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 5 python -m benchmarks.bench_accuracy \\
        [--contenders mf,mf_bias,deep,svd,svdpp] [--datasets ml-100k,ml-latest-small] \\
        [--seeds 42,43,44] [--no-folds] [--results FILE.jsonl [--resume]]

Needs ``pip install -r benchmarks/requirements.txt`` (scikit-surprise) for svd / svdpp.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movierate.data import RatingsDataset, Split, load_dataset, make_split

#: movierate contenders: ModelSpec fields (ModelSpec defaults otherwise: Adam, lr 0.005, batch
#: 1024). Strengths were picked on a separate random split (seed 7, not one of the benchmark's
#: seeds) from l2 in {0.05, 0.1, 0.2, 0.3, 0.5, 1} and dense_l2 in {1e-3, 3e-3, 1e-2}.
MOVIERATE_SPECS: dict[str, dict[str, Any]] = {
    "mf": {"family": "mf", "dim": 32, "regularizers": {"l2": 0.1}, "epochs": 20},
    "mf_bias": {"family": "mf_bias", "dim": 32, "regularizers": {"l2": 0.1}, "epochs": 20},
    "deep": {
        "family": "deep",
        "dim": 32,
        "regularizers": {"l2": 0.3},
        "dense_l2": 3e-3,
        "epochs": 20,
    },
}
#: The product's default ModelSpec as a user gets it: early-stopped on the split's held-out
#: rows with the best epoch restored (the issue's reference protocol for the Keras baseline).
DEFAULT = "default"
#: Surprise contenders with their default (published-table) settings.
SURPRISE_ALGOS = ("svd", "svdpp")
CONTENDERS = (DEFAULT, *MOVIERATE_SPECS, *SURPRISE_ALGOS)
DATASETS = ("ml-100k", "ml-latest-small")
FOLDS = ("u1", "u2", "u3", "u4", "u5")
FOLD_DATASET = "ml-100k"


@dataclass(frozen=True)
class Run:
    """One contender fitted on one split."""

    contender: str
    dataset: str
    protocol: str  # "random 90/10" or "official u1-u5"
    split: str  # "seed 42" or "u3"
    rmse: float
    mae: float
    fit_seconds: float
    ratings_per_second: float
    epochs: int
    n_train: int


def rmse_mae(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """RMSE and MAE of ``predicted`` against ``truth``."""
    error = np.asarray(predicted, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def fit_surprise(name: str, ds: RatingsDataset, split: Split, seed: int) -> tuple[Any, float]:
    """Fit Surprise's ``svd`` or ``svdpp`` on the split's training rows; (algo, seconds)."""
    from surprise import SVD, Dataset, Reader, SVDpp

    train = ds.ratings.iloc[split.train][["user_idx", "movie_idx", "rating"]]
    scale = ds.rating_scale
    data = Dataset.load_from_df(train, Reader(rating_scale=(scale.min, scale.max)))
    trainset = data.build_full_trainset()
    algo = SVD(random_state=seed) if name == "svd" else SVDpp(random_state=seed, cache_ratings=True)
    start = time.perf_counter()
    algo.fit(trainset)
    return algo, time.perf_counter() - start


def run_surprise(name: str, ds: RatingsDataset, split: Split, seed: int) -> tuple[float, ...]:
    """(rmse, mae, fit seconds, epochs) of a Surprise algorithm on ``split``."""
    algo, seconds = fit_surprise(name, ds, split, seed)
    valid = ds.ratings.iloc[split.valid]
    predicted = np.array(
        [algo.predict(u, m).est for u, m in zip(valid["user_idx"], valid["movie_idx"], strict=True)]
    )
    return (*rmse_mae(predicted, valid["rating"].to_numpy()), seconds, algo.n_epochs)


def run_movierate(name: str, ds: RatingsDataset, split: Split, seed: int) -> tuple[float, ...]:
    """(rmse, mae, fit seconds, epochs run) of a movierate contender on ``split``."""
    from movierate.study import fit_in_memory

    fitted = fit_in_memory(ds, split, {**MOVIERATE_SPECS[name], "seed": seed})
    metrics = fitted.result.metrics
    epochs = len(fitted.result.history["loss"])
    return metrics["valid_rmse"], metrics["valid_mae"], fitted.train_seconds, epochs


def run_default(name: str, ds: RatingsDataset, split: Split, seed: int) -> tuple[float, ...]:
    """(rmse, mae, fit seconds, epochs run) of ``ModelSpec()``, early-stopped on ``split.valid``."""
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    result = train(ds, split, ModelSpec(seed=seed))
    metrics = result.metrics
    return metrics["valid_rmse"], metrics["valid_mae"], result.train_seconds, metrics["epochs_run"]


def splits_to_run(datasets: list[str], seeds: list[int], folds: bool):
    """(dataset, protocol, label, split kwargs, seed) for every split of the benchmark."""
    for name in datasets:
        for seed in seeds:
            yield name, "random 90/10", f"seed {seed}", {"method": "random", "seed": seed}, seed
        if folds and name == FOLD_DATASET:
            for fold in FOLDS:
                yield name, "official u1-u5", fold, {"method": f"official:{fold}"}, 0


def run_all(
    contenders: list[str],
    datasets: list[str],
    seeds: list[int],
    folds: bool,
    done: set[tuple[str, str, str]],
    record: Callable[[Run], None],
) -> None:
    """Fit every contender on every split (skipping ``done`` keys) and ``record`` each Run."""
    for dataset, protocol, label, split_kwargs, seed in splits_to_run(datasets, seeds, folds):
        ds = load_dataset(dataset)
        split = make_split(ds, valid_fraction=0.1, **split_kwargs)
        for contender in contenders:
            if (contender, dataset, label) in done:
                continue
            runner = run_surprise if contender in SURPRISE_ALGOS else run_movierate
            runner = run_default if contender == DEFAULT else runner
            rmse, mae, seconds, epochs = runner(contender, ds, split, seed)
            n_train = len(split.train)
            record(
                Run(
                    contender,
                    dataset,
                    protocol,
                    label,
                    rmse,
                    mae,
                    seconds,
                    n_train * epochs / seconds,
                    int(epochs),
                    n_train,
                )  # fmt: skip
            )


def mean_spread(values: list[float], fmt: str) -> str:
    """``mean ± std`` (just the value for a single run)."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ± {format(statistics.stdev(values), fmt)}"


def markdown_table(runs: list[Run]) -> str:
    """One row per (dataset, protocol, contender): mean ± std over seeds or folds."""
    groups: dict[tuple[str, str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.dataset, run.protocol, run.contender), []).append(run)
    lines = [
        "| dataset | protocol | contender | n | valid RMSE | valid MAE | fit time (s) | ratings/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    order = {name: i for i, name in enumerate(CONTENDERS)}
    for key in sorted(groups, key=lambda k: (k[0], k[1], order.get(k[2], 99), k[2])):
        rows = groups[key]
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {len(rows)} "
            f"| {mean_spread([r.rmse for r in rows], '.4f')} "
            f"| {mean_spread([r.mae for r in rows], '.4f')} "
            f"| {mean_spread([r.fit_seconds for r in rows], '.1f')} "
            f"| {mean_spread([r.ratings_per_second / 1e3 for r in rows], ',.0f')} k |"
        )
    return "\n".join(lines)


def _names(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", default="42,43,44", help="random-split seeds")
    parser.add_argument("--no-folds", action="store_true", help="skip ml-100k's u1-u5 folds")
    parser.add_argument("--results", type=Path, help="append every run to this JSON-lines file")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --results")
    args = parser.parse_args(argv)
    contenders = _names(args.contenders, CONTENDERS, "contender(s)")
    datasets = _names(args.datasets, DATASETS, "dataset(s)")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]

    runs: list[Run] = []
    if args.resume and args.results and args.results.exists():
        lines = args.results.read_text().splitlines()
        runs = [Run(**json.loads(line)) for line in lines if line.strip()]
    done = {(r.contender, r.dataset, r.split) for r in runs}

    def record(run: Run) -> None:
        runs.append(run)
        print(
            f"{run.contender:8} {run.dataset:16} {run.split:8} RMSE {run.rmse:.4f} "
            f"MAE {run.mae:.4f} fit {run.fit_seconds:.1f} s",
            flush=True,
        )
        if args.results:
            with args.results.open("a") as out:
                out.write(json.dumps(asdict(run)) + "\n")

    run_all(contenders, datasets, seeds, not args.no_folds, done, record)
    wanted = [r for r in runs if r.contender in contenders and r.dataset in datasets]
    print()
    print(markdown_table(wanted))


if __name__ == "__main__":
    main()
