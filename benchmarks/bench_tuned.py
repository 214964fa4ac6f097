"""The built-in tuner vs a grid-tuned Surprise SVD, on the same rows, protocol by protocol.

Each protocol splits a dataset into train / stop / test rows. Both searches see only train
rows to fit and stop rows to score; the winner of each is then refit on train + stop (ours with
the winning trial's best epoch count, as ``tune`` saves it, Surprise with its winning n_epochs)
and scored once on the test rows, on the rating scale training used (predictions clipped to
it, except a ``sigmoid`` output's, which may reach 0.5 beyond its ends)
(:func:`fit_scale`: on a dataset whose scale was inferred from all its ratings, the one inferred
from the train and stop rows, so that no test rating sets it). Our search gets a wall budget of ``--budget-factor`` x the SVD
grid's search time (capped by ``--max-budget``). Rows per protocol: the SVD grid winner, the
default model (early-stopped, untuned), the tuned winner as trained, refit, and refit as a seed
ensemble of ``--ensemble`` K (one model of K x dim). Prints a markdown table; ``--json`` appends
one line per row; ``--svd-cache`` keeps each protocol's SVD result so reruns skip the grid.
``--blend`` runs ``tune --blend`` instead (autorec + mf_bias within the same budget, the weight
picked on the stop rows): rows for the blend as trained, each member refit, the blend refit (what
it saves) and the blend with the mf_bias member as a seed ensemble; ``--report --compact`` then
prints a blend table too.

Protocol keys: ``random-100k``, ``random-small``, ``random-1m`` (random 90/10, seed 0; append
``@N`` for seed N, e.g. ``random-100k@1``), ``u1`` ... ``u5`` (ml-100k's official folds),
``temporal-small``, ``temporal-100k`` (per user, the latest 20% are test rows, the latest 10%
of the rest stop rows). ``--families`` takes any family names ``tune`` knows.

    nice -n 10 python -m benchmarks.bench_tuned --protocols u1,random-100k --families mf_bias \
        --ensemble 5 --svd-cache /tmp/svdcache --json results.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from movierate import scoring
from movierate.data import Split, load_dataset, make_split
from movierate.spec import ModelSpec

#: protocol key (without ``@seed``) -> (label, dataset)
PROTOCOLS = {
    "random-100k": ("random 90/10", "ml-100k"),
    "random-small": ("random 90/10", "ml-latest-small"),
    "random-1m": ("random 90/10", "ml-1m-sample"),
    **{
        f"u{i}": (f"official u{i} (.base = train+stop, .test = test)", "ml-100k")
        for i in range(1, 6)
    },
    "temporal-small": ("per-user temporal 20%", "ml-latest-small"),
    "temporal-100k": ("per-user temporal 20%", "ml-100k"),
}


def parse_key(key: str) -> tuple[str, int]:
    """``"random-100k@2"`` -> ("random-100k", 2); no ``@``: seed 0."""
    base, _, seed = key.partition("@")
    if base not in PROTOCOLS:
        raise SystemExit(f"unknown protocol {base!r}; choose from {', '.join(PROTOCOLS)}")
    return base, int(seed or 0)


#: Surprise SVD grid (16 settings) scored on the stop rows.
SVD_GRID = {
    "n_factors": [50, 100],
    "n_epochs": [20, 40],
    "lr_all": [0.005, 0.01],
    "reg_all": [0.05, 0.1],
}
STOP_FRACTION = 0.1


def carve(ds, key: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, stop, test) row positions of a protocol; test rows steer nothing."""
    rng = np.random.default_rng(seed)
    n = len(ds)
    if key in ds.official_splits:
        official = ds.official_splits[key]
        rest, test = np.asarray(official.train), np.asarray(official.test)
    elif key.startswith("temporal-"):
        # per user: the latest 20% are test rows, the latest 10% of all (12.5% of the rest) stop
        split = make_split(
            ds, "temporal", test_fraction=0.2, stop_fraction=STOP_FRACTION / 0.8, seed=seed
        )
        return np.asarray(split.train), np.asarray(split.stop), np.asarray(split.test)
    else:
        perm = rng.permutation(n)
        test, rest = np.sort(perm[: n // 10]), np.sort(perm[n // 10 :])
    stop = np.sort(rng.choice(rest, int(len(rest) * STOP_FRACTION), replace=False))
    return np.setdiff1d(rest, stop), stop, test


def _latest_per_user(ds, rows: np.ndarray, fraction: float) -> np.ndarray:
    """Each user's latest ``fraction`` of ``rows`` (at least one when a user has 2+)."""
    frame = ds.ratings.iloc[rows][["user_idx", "timestamp"]].copy()
    frame["row"] = rows
    frame = frame.sort_values(["user_idx", "timestamp", "row"])
    counts = frame.groupby("user_idx")["row"].transform("size").to_numpy()
    rank_from_end = frame.groupby("user_idx").cumcount(ascending=False).to_numpy()
    take = np.where(counts >= 2, np.maximum(1, np.round(counts * fraction)), 0)
    return np.sort(frame["row"].to_numpy()[rank_from_end < take])


def rmse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred, float) - truth) ** 2)))


def fit_scale(ds, train: np.ndarray, stop: np.ndarray):
    """The rating scale of a model fitted on ``train`` and early-stopped on ``stop``
    (``movierate.nn.training.training_scale``): no test rating sets it."""
    from movierate.nn.training import training_scale

    empty = np.empty(0, dtype=np.int64)
    return training_scale(ds, Split("bench", 0, 0.1, STOP_FRACTION, train, stop, empty))


def surprise_grid(ds, train, stop, test) -> dict:
    """Grid-search SVD on train -> stop, refit the winner on train + stop, score the test."""
    from surprise import SVD, Dataset, Reader

    frame = ds.ratings
    fitted = fit_scale(ds, train, stop)
    scale = (float(fitted.min), float(fitted.max))

    def trainset(rows):
        data = Dataset.load_from_df(
            frame.iloc[rows][["user_idx", "movie_idx", "rating"]], Reader(rating_scale=scale)
        )
        return data.build_full_trainset()

    def score(algo, rows):
        sub = frame.iloc[rows]
        pred = [
            algo.predict(u, m).est
            for u, m in zip(sub["user_idx"].to_numpy(), sub["movie_idx"].to_numpy(), strict=True)
        ]
        return rmse(np.array(pred), sub["rating"].to_numpy(float))

    started = time.perf_counter()
    fit_set = trainset(train)
    results = []
    keys = list(SVD_GRID)
    for values in itertools.product(*SVD_GRID.values()):
        params = dict(zip(keys, values, strict=True))
        algo = SVD(random_state=0, **params)
        algo.fit(fit_set)
        results.append((score(algo, stop), params))
    search = time.perf_counter() - started
    best_stop, best = min(results, key=lambda r: r[0])
    started = time.perf_counter()
    algo = SVD(random_state=0, **best).fit(trainset(np.concatenate([train, stop])))
    refit = time.perf_counter() - started
    return {
        "model": f"Surprise SVD grid-tuned {best}",
        "stop_rmse": best_stop,
        "test_rmse": score(algo, test),
        "train_s": refit,
        "search_s": search,
    }


def ours(ds, train, stop, test, families, budget, seed=0, ensemble=1) -> list[dict]:
    """Tune on train -> stop; score on test: the winner as trained, refit on train + stop (what
    ``tune`` saves), and refit as a seed ensemble of ``ensemble`` fits."""
    from movierate.tuning import ENSEMBLE_FAMILIES, refit_winner, tune

    stop_split = Split(
        "bench", seed, 0.1, STOP_FRACTION, np.sort(train), np.sort(stop), np.sort(test)
    )
    started = time.perf_counter()
    result = tune(
        ds,
        "bench",
        families=families,
        budget_seconds=budget,
        split=stop_split,
        save=False,
        seed=seed,
        refit=True,
        on_trial=lambda r: print(
            f"  trial {r.number} {r.state} {r.value} {r.seconds:.0f}s {r.params}", flush=True
        ),
    )
    search = result.search_seconds
    refit_s = result.summary["refit"]["seconds"]
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    truth = ds.ratings["rating"].to_numpy(float)

    scale = fit_scale(ds, train, stop)

    def test_rmse(arrays, spec):
        return rmse(scoring.predict(arrays, spec, users[test], movies[test], scale), truth[test])

    family = result.best_spec.family
    common = {
        "search_s": search,
        "trials": len(result.trials),
        "budget_s": budget,
        "families": "+".join(families),
    }
    rows = [
        {
            "model": f"tuned {family} (fit on train, stopped on stop rows)",
            "stop_rmse": result.best_value,
            "test_rmse": test_rmse(result.trial_result.arrays, result.best_spec),
            "train_s": result.trial_result.train_seconds,
            "spec": result.best_spec.to_dict(),
            **common,
        },
        {
            "model": f"tuned {family} refit on train+stop "
            f"({result.saved_spec.epochs} epochs; what `tune` saves)",
            "stop_rmse": None,
            "test_rmse": test_rmse(result.result.arrays, result.saved_spec),
            "train_s": refit_s,
            "spec": result.saved_spec.to_dict(),
            **common,
        },
    ]
    if ensemble > 1 and family in ENSEMBLE_FAMILIES:
        best_epoch = int(result.trial_result.metrics["best_epoch"])
        started = time.perf_counter()
        fitted, spec, info = refit_winner(ds, stop_split, result.best_spec, best_epoch, ensemble)
        rows.append(
            {
                "model": f"tuned {family} refit, {info['ensemble']}-seed ensemble "
                f"(dim {spec.dim}; `tune --ensemble {ensemble}`)",
                "stop_rmse": None,
                "test_rmse": test_rmse(fitted.arrays, spec),
                "train_s": time.perf_counter() - started,
                "spec": spec.to_dict(),
                **common,
            }
        )
    return rows


def ours_blend(ds, train, stop, test, families, budget, seed=0, ensemble=1) -> list[dict]:
    """``tune --blend`` on train -> stop (both families within ``budget``, the weight picked on
    the stop rows); scored on test: the blend of the two winners as trained, each member refit,
    the blend refit (what ``tune --blend`` saves), and the same with the dot-product member refit
    as a seed ensemble of ``ensemble`` (same weight)."""
    from movierate.tuning import (
        ENSEMBLE_FAMILIES,
        blend_spec,
        combine_dot_products,
        refit_winner,
        tune,
    )

    stop_split = Split(
        "bench", seed, 0.1, STOP_FRACTION, np.sort(train), np.sort(stop), np.sort(test)
    )
    result = tune(
        ds,
        "bench",
        families=families,
        blend=True,
        budget_seconds=budget,
        split=stop_split,
        save=False,
        seed=seed,
        on_trial=lambda r: print(
            f"  trial {r.number} {r.state} {r.value} {r.seconds:.0f}s {r.params}", flush=True
        ),
    )
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    truth = ds.ratings["rating"].to_numpy(float)

    scale = fit_scale(ds, train, stop)

    def test_rmse(arrays, spec):
        return rmse(scoring.predict(arrays, spec, users[test], movies[test], scale), truth[test])

    blend = result.summary["blend"]
    weights = blend["weights"]
    label = " + ".join(
        f"{w:.2f} {m['family']}" for w, m in zip(weights, blend["members"], strict=True)
    )
    common = {
        "search_s": result.search_seconds,
        "trials": len(result.trials),
        "budget_s": budget,
        "families": "+".join(families) + " (blend)",
        "weights": weights,
        "member_trials": [m["n_trials"] for m in blend["members"]],
    }
    refit_s = sum(m["refit"]["seconds"] for m in blend["members"])
    rows = [
        {
            "model": f"blend {label} of the winners as trained (weight on stop rows)",
            "kind": "trial",
            "stop_rmse": result.best_value,
            "test_rmse": test_rmse(result.trial_result.arrays, result.best_spec),
            "train_s": sum(m.trial_result.train_seconds for m in result.members),
            "spec": result.best_spec.to_dict(),
            **common,
        }
    ]
    for member, info in zip(result.members, blend["members"], strict=True):
        rows.append(
            {
                "model": f"member {info['family']} refit on train+stop "
                f"({info['refit']['epochs']} epochs; stop RMSE {info['stop_rmse']:.4f})",
                "kind": f"member-{info['family']}",
                "stop_rmse": info["stop_rmse"],
                "test_rmse": test_rmse(member.result.arrays, member.saved_spec),
                "train_s": info["refit"]["seconds"],
                "spec": member.saved_spec.to_dict(),
                **common,
            }
        )
    rows.append(
        {
            "model": f"blend {label} refit on train+stop (what `tune --blend` saves)",
            "kind": "refit",
            "stop_rmse": None,
            "test_rmse": test_rmse(result.result.arrays, result.saved_spec),
            "train_s": refit_s,
            "spec": result.saved_spec.to_dict(),
            **common,
        }
    )
    dot = [i for i, m in enumerate(result.members) if m.best_spec.family in ENSEMBLE_FAMILIES]
    if ensemble > 1 and dot:
        i = dot[0]
        member = result.members[i]
        started = time.perf_counter()
        fitted, _spec, info = refit_winner(
            ds,
            stop_split,
            member.best_spec,
            int(member.trial_result.metrics["best_epoch"]),
            ensemble,
        )
        parts = [m.result for m in result.members]
        parts[i] = fitted
        specs = [m.saved_spec for m in result.members]
        specs[i] = _spec

        spec = blend_spec(specs)
        combined = combine_dot_products(parts, weights, spec, ds, np.concatenate([train, stop]))
        rows.append(
            {
                "model": f"blend refit, {member.best_spec.family} as a {info['ensemble']}-seed "
                f"ensemble (dim {spec.dim}; `tune --blend --ensemble {ensemble}`)",
                "kind": "ensemble",
                "stop_rmse": None,
                "test_rmse": test_rmse(combined.arrays, spec),
                "train_s": refit_s + time.perf_counter() - started,
                "spec": spec.to_dict(),
                **common,
            }
        )
    return rows


def default_model(ds, train, stop, test) -> dict:
    """The product's default spec, early-stopped on the stop rows."""
    from movierate.nn.training import train as train_model

    spec = ModelSpec()
    started = time.perf_counter()
    bench = Split("bench", 0, 0.1, STOP_FRACTION, np.sort(train), np.sort(stop), np.sort(test))
    result = train_model(ds, bench, spec)
    users, movies = ds.ratings["user_idx"].to_numpy(), ds.ratings["movie_idx"].to_numpy()
    pred = scoring.predict(result.arrays, spec, users[test], movies[test], result.rating_scale)
    return {
        "model": "default mf_bias (dim 32, L2 0.1)",
        "stop_rmse": result.metrics["stop_rmse"],
        "test_rmse": rmse(pred, ds.ratings["rating"].to_numpy(float)[test]),
        "train_s": time.perf_counter() - started,
        "search_s": 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="keys, comma-separated")
    parser.add_argument("--families", default="mf_bias", help="any families tune knows")
    parser.add_argument("--ensemble", type=int, default=5, help="seeds of the ensemble row")
    parser.add_argument("--budget-factor", type=float, default=3.0)
    parser.add_argument("--max-budget", type=float, default=600.0, help="seconds")
    parser.add_argument("--no-default", action="store_true")
    parser.add_argument(
        "--default-only",
        action="store_true",
        help="only the SVD grid and the untuned default model (no search)",
    )
    parser.add_argument(
        "--blend",
        action="store_true",
        help="run `tune --blend` on --families (default autorec,mf_bias) instead of `tune`",
    )
    parser.add_argument("--svd-cache", help="folder caching each protocol's SVD grid result")
    parser.add_argument("--json", help="append one JSON line per table row to this file")
    parser.add_argument(
        "--report",
        nargs="+",
        metavar="JSONL",
        help="print the table of rows saved by --json (several files: one table) and exit",
    )
    parser.add_argument(
        "--compact", action="store_true", help="with --report: one line per protocol and search"
    )
    args = parser.parse_args()
    if args.report:
        saved = [
            {**json.loads(line), "_file": i}
            for i, f in enumerate(args.report)
            for line in Path(f).read_text().splitlines()
            if line.strip()
        ]
        seen, rows = set(), []
        for row in saved:  # an SVD row repeated by a second run of the same protocol: once
            key = (row["key"], row["model"], row.get("families", "mf_bias"))
            if key not in seen:
                seen.add(key)
                rows.append(row)
        if args.compact:
            plain = [r for r in rows if "weights" not in r]
            if any(r.get("trials") is not None for r in plain):
                print(compact(plain) + "\n")
            if any("weights" in r for r in saved):  # every run of every protocol
                print(
                    compact_blend([r for r in saved if "weights" in r or r.get("trials") is None])
                )
        else:
            print(markdown(rows))
        return
    table = []
    import os

    for key in args.protocols.split(","):
        base, seed = parse_key(key)
        label, name = PROTOCOLS[base]
        if base.startswith("random"):
            label = f"{label} (seed {seed})"
        ds = load_dataset(name)
        train, stop, test = carve(ds, base, seed)
        print(
            f"{key}: {len(train)} train / {len(stop)} stop / {len(test)} test; "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        cache = Path(args.svd_cache) / f"svd-{key}.json" if args.svd_cache else None
        if cache is not None and cache.is_file():
            svd = json.loads(cache.read_text())  # same rows: carve() is deterministic
        else:
            svd = surprise_grid(ds, train, stop, test)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(svd))
        print(f"  SVD grid {svd}", flush=True)
        rows = [svd]
        if not args.no_default:
            rows.append(default_model(ds, train, stop, test))
        budget = min(args.budget_factor * svd["search_s"], args.max_budget)
        families = tuple(f for f in args.families.split(",") if f)
        if args.blend and not args.default_only:
            from movierate.tuning import blend_families

            families = blend_families(families)
            rows += ours_blend(ds, train, stop, test, families, budget, ensemble=args.ensemble)
        elif not args.default_only:
            rows += ours(ds, train, stop, test, families, budget, ensemble=args.ensemble)
        for row in rows:
            row.update(protocol=label, dataset=name, key=key, load=os.getloadavg()[0])
            row["vs_svd_pct"] = 100.0 * (row["test_rmse"] / svd["test_rmse"] - 1.0)
            table.append(row)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(row) + "\n")
        print(markdown(table), flush=True)


def _versus(r: dict | None, base: dict | None) -> str:
    """``r``'s test RMSE against ``base``'s, in percent ("-" without either)."""
    return f"{100 * (r['test_rmse'] / base['test_rmse'] - 1):+.2f}%" if r and base else "-"


def compact(rows: list[dict]) -> str:
    """One line per (protocol, families searched): test RMSE of each contender; the model
    ``tune`` saves (the refit, else the trial as trained) and the 5-seed ensemble, each against
    the tuned SVD (never the best of our columns: picking it would be a choice made on test
    rows); the search seconds (ours / SVD's), trials and load."""
    svd = {r["key"]: r for r in rows if r["model"].startswith("Surprise")}
    default = {r["key"]: r for r in rows if r["model"].startswith("default")}
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        if r.get("trials") is None:
            continue
        kind = r.get("kind") or (
            "ensemble"
            if "ensemble" in r["model"]
            else "refit"
            if "refit" in r["model"]
            else "trial"
        )
        groups.setdefault((r["key"], r.get("families", "mf_bias")), {})[kind] = r
    lines = [
        "| protocol | dataset | search | SVD grid | default mf_bias | tuned, as trained | "
        "tuned, refit (saved) | refit, 5 seeds | saved vs SVD | 5 seeds vs SVD | search s "
        "(ours / SVD) | trials | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(r: dict | None) -> str:
        return f"{r['test_rmse']:.4f}" if r else "-"

    for (key, families), g in groups.items():
        s, d = svd[key], default.get(key)
        ours = [r for k, r in g.items() if not k.startswith("member-")]  # members: not saved
        saved = g.get("refit") or g.get("trial")
        trial = g.get("trial") or ours[0]
        winner = "blend" if trial.get("kind") else trial["model"].split(" ")[1]
        if "weights" in trial:
            winner += " w " + "/".join(f"{w:.2f}" for w in trial["weights"])
        lines.append(
            f"| {s['protocol']} | {s['dataset']} | {families} ({winner} won) | {cell(s)} | "
            f"{cell(d)} | {cell(g.get('trial'))} | {cell(g.get('refit'))} | "
            f"{cell(g.get('ensemble'))} | {_versus(saved, s)} | {_versus(g.get('ensemble'), s)} | "
            f"{trial['search_s']:.0f} / {s['search_s']:.0f} | {trial['trials']} | "
            f"{trial.get('load', 0):.0f} |"
        )
    return "\n".join(lines)


#: A blend run whose search took longer than this many times the SVD grid's broke the budget
#: rule: listed, marked, and not counted.
BUDGET_RATIO = 3.0


def compact_blend(rows: list[dict]) -> str:
    """One line per ``--blend`` RUN (every run of every protocol, in file order: a rerun never
    replaces an earlier run, which would choose results after seeing them): the SVD (its row
    from the same file when that run re-timed it, else the latest), the untuned default, each
    member refit, the saved blend and the blend with its mf_bias member as a 5-seed ensemble,
    both against the SVD, the saved blend against its better member (the one with the lower
    stop RMSE: chosen on the stop rows, like everything else), the weights, the search
    seconds against the SVD grid's (and their ratio; over :data:`BUDGET_RATIO` is marked), trials
    and load."""
    svd = {r["key"]: r for r in rows if r["model"].startswith("Surprise")}
    svd_in_file = {(r["key"], r.get("_file")): r for r in rows if r["model"].startswith("Surprise")}
    default = {r["key"]: r for r in rows if r["model"].startswith("default")}
    groups: dict[tuple[str, int], dict[str, dict]] = {}
    for r in rows:
        if "weights" in r:
            groups.setdefault((r["key"], r.get("_file", 0)), {})[r["kind"]] = r
    lines = [
        "| protocol | dataset | SVD grid | default mf_bias | autorec refit | mf_bias refit | "
        "blend (saved by `tune --blend`) | blend, mf_bias 5 seeds (`--ensemble 5`) | saved vs "
        "SVD | 5 seeds vs SVD | saved vs member with the better stop RMSE | w (autorec / mf_bias) | search s "
        "(ours / SVD = ratio) | trials (autorec + mf_bias) | refit s (saved / 5 seeds) | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(r: dict | None) -> str:
        return f"{r['test_rmse']:.4f}" if r else "-"

    for (key, file), g in groups.items():
        s, saved, ensemble = svd_in_file.get((key, file), svd[key]), g["refit"], g.get("ensemble")
        better = _better_member(g)
        ratio = saved["search_s"] / max(s["search_s"], 1e-9)
        over = f" (over {BUDGET_RATIO:g}x: not counted)" if ratio > BUDGET_RATIO else ""
        lines.append(
            f"| {s['protocol']} | {s['dataset']} | {cell(s)} | {cell(default.get(key))} | "
            f"{cell(g.get('member-autorec'))} | {cell(g.get('member-mf_bias'))} | {cell(saved)} "
            f"| {cell(ensemble)} | {_versus(saved, s)} | {_versus(ensemble, s)} | "
            f"{_versus(saved, better)} | "
            + "/".join(f"{w:.2f}" for w in saved["weights"])
            + f" | {saved['search_s']:.0f} / {s['search_s']:.0f} = {ratio:.2f}x{over} | "
            + " + ".join(str(n) for n in saved["member_trials"])
            + f" | {saved['train_s']:.0f} / "
            + (f"{ensemble['train_s']:.0f}" if ensemble else "-")
            + f" | {saved.get('load', 0):.0f} |"
        )
    return "\n".join(lines)


def _better_member(group: dict[str, dict]) -> dict | None:
    """The blend member with the lower early-stopping RMSE: chosen on the stop rows, never on
    the test rows (a choice made on test rows would flatter or belittle the blend); None when
    no member row recorded one."""
    members = [
        r
        for k, r in group.items()
        if k.startswith("member-") and isinstance(r.get("stop_rmse"), int | float)
    ]
    return min(members, key=lambda r: r["stop_rmse"]) if members else None


def markdown(rows: list[dict]) -> str:
    """The results as a markdown table."""
    lines = [
        "| protocol | dataset | model | test RMSE | vs tuned SVD | train s | search s | trials "
        "| load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        load = f"{r['load']:.0f}" if isinstance(r.get("load"), int | float) else "-"
        model = r["model"]
        if r.get("trials") is not None:  # rows of our search say what it searched
            model += f" [search: {r.get('families', 'mf_bias')}]"
        lines.append(
            f"| {r['protocol']} | {r['dataset']} | {model} | {r['test_rmse']:.4f} | "
            f"{r['vs_svd_pct']:+.2f}% | {r['train_s']:.0f} | {r['search_s']:.0f} | "
            f"{r.get('trials', '-')} | {load} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
