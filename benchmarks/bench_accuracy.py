"""Honest accuracy: movierate's models against Surprise's SVD, tuned SVD, SVD++ and BaselineOnly.

Every contender sees the same three-part split (``movierate.data.make_split``):
- it is TRAINED on the train rows only;
- it may TUNE settings or EARLY-STOP on the stop rows only (movierate's early stopping; the SVD
  grid search), never on the test rows;
- it is SCORED on the test rows, whose ratings the contender never receives: the harness hands
  each contender a split whose test part is empty (the dataset still lists every user and movie,
  so a contender sizes its tables from all ids, test-only ones included; movierate's training
  leaves those rows alone), and computes test RMSE / MAE itself (in numpy,
  on the rating scale that training used: on a dataset whose scale was inferred from all its
  ratings, the one inferred from the train and stop rows only, ``training_scale``, so that no
  test rating sets it). Surprise's predictions are clipped to it, as Surprise does; movierate's
  go through the model's output transform: clipped for ``clip``, up to 0.5 beyond the scale's
  ends for ``sigmoid``, which can only add to its error.

Protocols:
- ``random``: random 90/10 (10% test, then 10% of the rest as stop rows), seeds 42, 43, 44;
- ``u1-u5``: ml-100k's official folds: the ``.test`` file is the test part, a seeded random 10%
  of the ``.base`` file is the stop part (Surprise's published-table protocol is 5-fold cross
  validation on ml-100k);
- ``temporal``: per user, the latest 20% of their ratings are the test part, the latest 10% of
  the rest the stop part (other users' later ratings are training rows);
- ``time``: one cut date: the latest 10% of all ratings are the test part, the latest 10% of the
  rest the stop part (no rating after a test rating trains).

Datasets: ml-100k, ml-latest-small, ml-1m-sample (/work/shared/data/movielens). Contenders:
- ``movierate``: the product's default ModelSpec, early-stopped on the stop rows;
  ``movierate-mf_bias`` / ``movierate-deep``: the dataset's tuned defaults of that family
  (``movierate.defaults``; ModelSpec's for datasets without an entry), early-stopped; run only
  on splits whose test rows did not choose them (``defaults.chosen_without_test_rows``: the
  random seed-42 split whose training and early-stopping rows are those they were tuned with;
  skipped elsewhere, with a line saying so);
- ``svd``: Surprise SVD with its defaults; ``svd-tuned``: SVD with the (n_factors, n_epochs,
  lr_all, reg_all) of a grid search that scores each grid point on the stop rows (36 points;
  ``--quick``: 8), its search time reported; ``svdpp``: SVD++ with defaults; ``baseline``:
  BaselineOnly (ALS user/item biases) with defaults.
A new contender is one function ``(ds, split_without_test, seed, quick) -> Fitted`` added with
``@contender("name")``; it returns a numpy predictor, so test ratings are never in its reach.

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 10 python -m benchmarks.bench_accuracy \\
        --quick                       # one seed, ml-100k, random split, small grid (minutes)
    ... python -m benchmarks.bench_accuracy [--protocols random,u1-u5,temporal,time] \\
        [--datasets ml-100k,ml-latest-small,ml-1m-sample] [--contenders movierate,svd,...] \\
        [--seeds 42,43,44] [--results FILE.jsonl [--resume]]

Train seconds = fit wall time of the final model (for ``svd-tuned``, the refit-free best grid
point's own fit); ratings/s = train rows x epochs / train seconds; search seconds = the whole
grid search (``svd-tuned`` only). Needs scikit-surprise (benchmarks/requirements.txt).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import itertools
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movierate.data import RatingsDataset, Split, load_dataset, make_split
from movierate.defaults import chosen_without_test_rows, seen_fingerprint

DATASETS = ("ml-100k", "ml-latest-small", "ml-1m-sample")
PROTOCOLS = ("random", "u1-u5", "temporal", "time")
PROTOCOL_NAMES = {
    "random": "random 90/10",
    "u1-u5": "ml-100k u1-u5",
    "temporal": "temporal (latest 20% per user)",
}
SEEDS = (42, 43, 44)
FOLDS = ("u1", "u2", "u3", "u4", "u5")
FOLD_DATASET = "ml-100k"
STOP_FRACTION = 0.1
#: SVD grid: 3 x 2 x 2 x 3 = 36 points (``--quick``: 2 x 1 x 2 x 2 = 8).
SVD_GRID = {
    "n_factors": (10, 50, 100),
    "n_epochs": (20, 40),
    "lr_all": (0.005, 0.01),
    "reg_all": (0.02, 0.05, 0.1),
}
SVD_QUICK_GRID = {
    "n_factors": (50, 100),
    "n_epochs": (20,),
    "lr_all": (0.005, 0.01),
    "reg_all": (0.05, 0.1),
}


@dataclass
class Fitted:
    """What a contender hands back: a predictor and how long it took."""

    predict: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (user_idx, movie_idx) -> ratings
    train_seconds: float
    epochs: int
    search_seconds: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Run:
    """One contender fitted on one split and scored on its test rows."""

    model: str
    dataset: str
    protocol: str
    split: str  # "seed 42", "u3", ...
    test_rmse: float
    test_mae: float
    train_seconds: float
    ratings_per_second: float
    search_seconds: float | None
    epochs: int
    n_train: int
    n_stop: int
    n_test: int
    note: str = ""


Contender = Callable[[RatingsDataset, Split, int, bool], Fitted]
CONTENDERS: dict[str, Contender] = {}


def contender(name: str) -> Callable[[Contender], Contender]:
    """Register ``fn(ds, split, seed, quick) -> Fitted`` as a contender called ``name``.

    ``split`` has train and stop rows only (its test part is empty): train on ``split.train``,
    tune / early-stop on ``split.stop``.
    """

    def register(fn: Contender) -> Contender:
        CONTENDERS[name] = fn
        return fn

    return register


def rmse_mae(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """RMSE and MAE of ``predicted`` against ``truth``."""
    error = np.asarray(predicted, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def rows_of(ds: RatingsDataset, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, movies, ratings) of ``rows``."""
    r = ds.ratings
    return (
        r["user_idx"].to_numpy()[rows],
        r["movie_idx"].to_numpy()[rows],
        r["rating"].to_numpy(np.float64)[rows],
    )


# --- movierate -----------------------------------------------------------------------------------


def _movierate(ds: RatingsDataset, split: Split, spec_fields: dict[str, Any], seed: int) -> Fitted:
    from movierate import scoring
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    spec = ModelSpec(**{**spec_fields, "seed": seed}).validate()
    result = train(ds, split, spec)  # early-stops on split.stop; never sees test rows
    arrays, scale = result.arrays, result.rating_scale

    def predict(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return scoring.predict(arrays, spec, users, movies, scale)

    epochs = int(result.metrics["epochs_run"])
    note = f"best epoch {result.metrics['best_epoch']} of {epochs}"
    return Fitted(predict, result.train_seconds, epochs, note=note)


@contender("movierate")
def run_movierate_default(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """The product's default ModelSpec, early-stopped on the stop rows (best epoch restored)."""
    return _movierate(ds, split, {}, seed)


def _tuned_default(ds: RatingsDataset, family: str) -> dict[str, Any]:
    """The ModelSpec fields of ``movierate.defaults`` for this dataset and family (no seed)."""
    from movierate.defaults import default_spec_for

    fields = default_spec_for(ds.name, family).to_dict()
    fields.pop("seed")
    return fields


#: Contenders whose settings movierate.defaults chose on one split's stop rows.
TUNED_CONTENDERS = ("movierate-mf_bias", "movierate-deep")


@contender("movierate-mf_bias")
def run_movierate_mf_bias(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """mf_bias with the dataset's tuned defaults (``movierate.defaults``), early-stopped."""
    return _movierate(ds, split, _tuned_default(ds, "mf_bias"), seed)


@contender("movierate-deep")
def run_movierate_deep(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """deep with the dataset's tuned defaults (``movierate.defaults``), early-stopped."""
    return _movierate(ds, split, _tuned_default(ds, "deep"), seed)


# --- Surprise ------------------------------------------------------------------------------------


def fit_scale(ds: RatingsDataset, split: Split) -> Any:
    """The rating scale a contender fitted on ``split`` (train and stop rows, no test rows) may
    know: ``movierate.nn.training.training_scale``, never one inferred from test ratings."""
    from movierate.nn.training import training_scale

    return training_scale(ds, split)


def _trainset(ds: RatingsDataset, rows: np.ndarray, scale: Any) -> Any:
    from surprise import Dataset, Reader

    frame = ds.ratings.iloc[rows][["user_idx", "movie_idx", "rating"]]
    data = Dataset.load_from_df(frame, Reader(rating_scale=(scale.min, scale.max)))
    return data.build_full_trainset()


def _svd_predictor(
    algo: Any, ds: RatingsDataset, scale: Any
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Vectorised ``SVD.predict`` (biased): mean + b_u + b_i + q_i.p_u, unknown parts dropped,
    clipped to the rating scale as Surprise does."""
    ts = algo.trainset
    user_inner = np.full(ds.n_users, -1, dtype=np.int64)
    movie_inner = np.full(ds.n_movies, -1, dtype=np.int64)
    for raw, inner in ts._raw2inner_id_users.items():
        user_inner[int(raw)] = inner
    for raw, inner in ts._raw2inner_id_items.items():
        movie_inner[int(raw)] = inner
    lo, hi = scale.min, scale.max

    def predict(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        u, i = user_inner[users], movie_inner[movies]
        ku, ki = u >= 0, i >= 0
        est = np.full(len(users), ts.global_mean, dtype=np.float64)
        est[ku] += algo.bu[u[ku]]
        est[ki] += algo.bi[i[ki]]
        both = ku & ki
        est[both] += np.einsum("ij,ij->i", algo.qi[i[both]], algo.pu[u[both]])
        return np.clip(est, lo, hi)

    return predict


def _generic_predictor(algo: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def predict(users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return np.array(
            [algo.predict(int(u), int(m)).est for u, m in zip(users, movies, strict=True)]
        )

    return predict


def _fit(algo: Any, trainset: Any) -> float:
    start = time.perf_counter()
    algo.fit(trainset)
    return time.perf_counter() - start


@contender("svd")
def run_svd(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """Surprise SVD with its defaults (100 factors, 20 epochs, lr 0.005, reg 0.02)."""
    from surprise import SVD

    scale = fit_scale(ds, split)
    algo = SVD(random_state=seed)
    seconds = _fit(algo, _trainset(ds, split.train, scale))
    return Fitted(_svd_predictor(algo, ds, scale), seconds, algo.n_epochs)


@contender("svd-tuned")
def run_svd_tuned(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """SVD with the grid point that scores best on the stop rows (each fitted on train rows)."""
    from surprise import SVD

    grid = SVD_QUICK_GRID if quick else SVD_GRID
    scale = fit_scale(ds, split)
    trainset = _trainset(ds, split.train, scale)
    users, movies, truth = rows_of(ds, split.stop)
    started = time.perf_counter()
    best: tuple[float, dict[str, Any], Any, float] | None = None
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        algo = SVD(random_state=seed, **params)
        seconds = _fit(algo, trainset)
        stop_rmse, _ = rmse_mae(_svd_predictor(algo, ds, scale)(users, movies), truth)
        if best is None or stop_rmse < best[0]:
            best = (stop_rmse, params, algo, seconds)
    search = time.perf_counter() - started
    assert best is not None
    stop_rmse, params, algo, seconds = best
    n_points = int(np.prod([len(v) for v in grid.values()]))
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    note = f"{n_points} points; best {shown} (stop RMSE {stop_rmse:.4f})"
    return Fitted(_svd_predictor(algo, ds, scale), seconds, params["n_epochs"], search, note)


@contender("svdpp")
def run_svdpp(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """Surprise SVD++ with its defaults (20 factors, 20 epochs)."""
    from surprise import SVDpp

    algo = SVDpp(random_state=seed, cache_ratings=True)
    seconds = _fit(algo, _trainset(ds, split.train, fit_scale(ds, split)))
    return Fitted(_generic_predictor(algo), seconds, algo.n_epochs)


@contender("baseline")
def run_baseline(ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """Surprise BaselineOnly with its defaults (ALS, 10 epochs): mean + user + item biases."""
    from surprise import BaselineOnly

    algo = BaselineOnly(verbose=False)
    seconds = _fit(algo, _trainset(ds, split.train, fit_scale(ds, split)))
    return Fitted(_generic_predictor(algo), seconds, 10)


# --- the harness ---------------------------------------------------------------------------------


def splits_to_run(
    protocols: list[str], datasets: list[str], seeds: list[int]
) -> Iterator[tuple[str, str, str, dict[str, Any], int]]:
    """(protocol, dataset, label, make_split kwargs, seed) for every split of the benchmark."""
    for protocol in protocols:
        for dataset in datasets:
            if protocol == "random":
                for seed in seeds:
                    kwargs = {"method": "random", "test_fraction": 0.1, "seed": seed}
                    yield protocol, dataset, f"seed {seed}", kwargs, seed
            elif protocol == "u1-u5" and dataset == FOLD_DATASET:
                for fold in FOLDS:
                    yield protocol, dataset, fold, {"method": f"official:{fold}", "seed": 42}, 42
            elif protocol == "temporal":
                kwargs = {"method": "temporal", "test_fraction": 0.2, "seed": 42}
                yield protocol, dataset, "latest 20%", kwargs, 42
            elif protocol == "time":
                kwargs = {"method": "time", "test_fraction": 0.1, "seed": 42}
                yield protocol, dataset, "latest 10%", kwargs, 42


def evaluate(name: str, ds: RatingsDataset, split: Split, seed: int, quick: bool) -> Fitted:
    """Fit contender ``name`` on ``split`` with its test part removed."""
    hidden = dataclasses.replace(split, test=np.empty(0, dtype=np.int64))
    return CONTENDERS[name](ds, hidden, seed, quick)


def run_all(
    contenders: list[str],
    protocols: list[str],
    datasets: list[str],
    seeds: list[int],
    quick: bool,
    done: set[tuple[str, str, str, str]],
    record: Callable[[Run], None],
) -> None:
    """Fit every contender on every split (skipping ``done`` keys) and ``record`` each Run."""
    loaded: dict[str, RatingsDataset] = {}
    for protocol, dataset, label, kwargs, seed in splits_to_run(protocols, datasets, seeds):
        todo = [c for c in contenders if (c, dataset, protocol, label) not in done]
        if not todo:
            continue
        ds = loaded.setdefault(dataset, load_dataset(dataset))
        split = make_split(ds, stop_fraction=STOP_FRACTION, **kwargs)
        users, movies, truth = rows_of(ds, split.test)
        for name in todo:
            chosen_elsewhere = not chosen_without_test_rows(
                dataset, split, seen=seen_fingerprint(ds, split)
            )
            if name in TUNED_CONTENDERS and chosen_elsewhere:
                print(f"skipped {name} on {dataset} {protocol} {label}: its settings were "
                      "chosen on rows that are test rows here", flush=True)  # fmt: skip
                continue
            fitted = evaluate(name, ds, split, seed, quick)
            test_rmse, test_mae = rmse_mae(fitted.predict(users, movies), truth)
            n_train = len(split.train)
            record(
                Run(
                    model=name,
                    dataset=dataset,
                    protocol=protocol,
                    split=label,
                    test_rmse=test_rmse,
                    test_mae=test_mae,
                    train_seconds=fitted.train_seconds,
                    ratings_per_second=n_train * fitted.epochs / max(fitted.train_seconds, 1e-9),
                    search_seconds=fitted.search_seconds,
                    epochs=fitted.epochs,
                    n_train=n_train,
                    n_stop=len(split.stop),
                    n_test=len(split.test),
                    note=fitted.note,
                )
            )


def mean_spread(values: list[float], fmt: str) -> str:
    """``mean ± std`` (just the value for a single run)."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.mean(values), fmt)} ± {format(statistics.stdev(values), fmt)}"


def markdown_table(runs: list[Run]) -> str:
    """One row per (protocol, dataset, model): mean ± std over seeds or folds."""
    groups: dict[tuple[str, str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.protocol, run.dataset, run.model), []).append(run)
    lines = [
        "| protocol | dataset | model | n | test RMSE | test MAE | train s | ratings/s "
        "| search s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    p_order = {p: i for i, p in enumerate(PROTOCOLS)}
    d_order = {d: i for i, d in enumerate(DATASETS)}
    m_order = {m: i for i, m in enumerate(CONTENDERS)}
    for key in sorted(
        groups,
        key=lambda k: (p_order.get(k[0], 99), d_order.get(k[1], 99), m_order.get(k[2], 99), k),
    ):
        rows = groups[key]
        searches = [r.search_seconds for r in rows if r.search_seconds is not None]
        lines.append(
            f"| {PROTOCOL_NAMES.get(key[0], key[0])} | {key[1]} | {key[2]} | {len(rows)} "
            f"| {mean_spread([r.test_rmse for r in rows], '.4f')} "
            f"| {mean_spread([r.test_mae for r in rows], '.4f')} "
            f"| {mean_spread([r.train_seconds for r in rows], '.1f')} "
            f"| {mean_spread([r.ratings_per_second / 1e3 for r in rows], ',.0f')} k "
            f"| {mean_spread(searches, '.0f') if searches else '-'} |"
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
    parser.add_argument(
        "--quick", action="store_true", help="seed 42, ml-100k, random, 8-point grid"
    )
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--protocols", default=",".join(PROTOCOLS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="random-split seeds")
    parser.add_argument("--results", type=Path, help="append every run to this JSON-lines file")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --results")
    args = parser.parse_args(argv)
    contenders = _names(args.contenders, tuple(CONTENDERS), "contender(s)")
    protocols = _names(args.protocols, PROTOCOLS, "protocol(s)")
    datasets = _names(args.datasets, DATASETS, "dataset(s)")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.quick:
        protocols, datasets, seeds = ["random"], ["ml-100k"], [42]
    peers = [c for c in contenders if not c.startswith("movierate")]
    if peers and importlib.util.find_spec("surprise") is None:  # before any training
        parser.error(  # onboarding review: it trained, then failed with a traceback
            f"{', '.join(peers)} need scikit-surprise: pip install -r benchmarks/requirements.txt"
            " (or pass --contenders with movierate ones only)"
        )

    runs: list[Run] = []
    if args.resume and args.results and args.results.exists():
        lines = args.results.read_text().splitlines()
        runs = [Run(**json.loads(line)) for line in lines if line.strip()]
    done = {(r.model, r.dataset, r.protocol, r.split) for r in runs}

    def record(run: Run) -> None:
        runs.append(run)
        search = "" if run.search_seconds is None else f" search {run.search_seconds:.0f} s"
        print(
            f"{run.model:10} {run.dataset:16} {run.protocol:8} {run.split:10} "
            f"test RMSE {run.test_rmse:.4f} MAE {run.test_mae:.4f} "
            f"train {run.train_seconds:.1f} s{search} {run.note}",
            flush=True,
        )
        if args.results:
            with args.results.open("a") as out:
                out.write(json.dumps(asdict(run)) + "\n")

    run_all(contenders, protocols, datasets, seeds, args.quick, done, record)
    wanted = [
        r
        for r in runs
        if r.model in contenders and r.dataset in datasets and r.protocol in protocols
    ]
    print()
    print(markdown_table(wanted))


if __name__ == "__main__":
    main()
