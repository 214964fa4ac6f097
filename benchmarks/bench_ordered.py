"""Dimensions in order of importance: the ``ordered`` regularizer against L2 and L2 + decorrelation.

Protocol (per dataset, one seed): the ratings are split at random (``--seed``) into test rows
(10%), early-stopping rows (10% of the rest) and training rows. Every model trains on the
training rows, early-stops on the early-stopping rows (best epoch restored) and never sees the
test rows. Measured in numpy (``movierate.explore.ordering``):

- ``kept``: the dimensions the ``ordered`` option kept (its rank selection on the
  early-stopping rows, ``training.ORDERED_PRUNE``; ``--no-prune`` keeps every dimension);
- ``spearman``: Spearman correlation of the RMSE increase when one dimension is zeroed (in both
  embeddings) with reversed dimension index, on the early-stopping rows (1 = perfectly ordered);
- ``full``: test RMSE with every dimension;
- ``k=...``: test RMSE using only the first k dimensions as trained (``basis="index"``). For the
  L2 baseline the table also shows ``l2 (pca)``: the L2 model re-expressed in its best post-hoc
  ordered basis (``pca_arrays``: SVD of the score matrix U M^T) and truncated, the better at
  each k of the unweighted SVD and the one weighting users / movies by their training counts.

Targets (``target met``): spearman >= 0.9, test RMSE at every k no worse than ``l2 (pca)``,
full test RMSE within 1% of L2 alone.

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 10 python -m benchmarks.bench_ordered \\
        [--datasets ml-100k,ml-latest-small,ml-1m-sample] [--dim 32] [--seed 42] \\
        [--methods graded_l2:0.1,nested_dropout:1,matryoshka:1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace
from typing import Any

import numpy as np

from movierate.data import RatingsDataset, Split, load_dataset
from movierate.explore import ordering
from movierate.spec import ModelSpec
from movierate.store import TrainedModel

L2 = 0.1
DECORRELATION = 1.0
SHOWN_KS = (1, 2, 4, 8)


def three_way_split(ds: RatingsDataset, seed: int) -> tuple[Split, np.ndarray]:
    """(train / early-stopping Split, test rows): 10% test, then 10% of the rest to stop on."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(ds))
    n_test = len(rows) // 10
    test, rest = np.sort(rows[:n_test]), rows[n_test:]
    n_stop = len(rest) // 10
    stop, train = np.sort(rest[:n_stop]), np.sort(rest[n_stop:])
    return Split("random", seed, 0.1, n_stop / len(rest), train, stop, test), test


def variants(methods: list[str], with_decorrelation: bool = True) -> list[tuple[str, dict, str]]:
    """(name, regularizers, ordered method) of every model; ``methods``: "method:strength"."""
    out = [("l2", {"l2": L2}, "")]
    if with_decorrelation:
        out.append(("l2+decorrelation", {"l2": L2, "decorrelation": DECORRELATION}, ""))
    for item in methods:
        method, strength = item.split(":")
        regs = {"l2": L2, "ordered": float(strength)}
        out.append((f"l2+ordered[{method},{float(strength):g}]", regs, method))
    return out


def fit(ds: RatingsDataset, split: Split, spec: ModelSpec, method: str) -> tuple[TrainedModel, Any]:
    from movierate.nn import training

    training.ORDERED_METHOD = method or "nested_dropout"
    result = training.train(ds, split, spec)
    return TrainedModel.from_training("bench", result, ds, split, spec, path=None), result


def prepared(name: str, seed: int) -> tuple:
    """(dataset, train / stop Split, stop rows, test rows, per-user and per-movie training
    counts) of ``name`` under :func:`three_way_split` with ``seed``."""
    ds = load_dataset(name)
    split, test = three_way_split(ds, seed)
    train_r = ds.ratings.iloc[split.train]
    user_counts = np.bincount(train_r["user_idx"].to_numpy(), minlength=ds.n_users)
    movie_counts = np.bincount(train_r["movie_idx"].to_numpy(), minlength=ds.n_movies)
    return ds, split, rows_of(ds, split.stop), rows_of(ds, test), user_counts, movie_counts


def rows_of(ds: RatingsDataset, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = ds.ratings.iloc[rows]
    return (
        r["user_idx"].to_numpy(),
        r["movie_idx"].to_numpy(),
        r["rating"].to_numpy(np.float64),
    )


def measure_dataset(
    name: str,
    dim: int,
    seed: int,
    methods: list[str],
    family: str,
    decorrelation: bool = True,
    measure_on: str = "test",
) -> list[dict[str, Any]]:
    """Every variant's row; ``measure_on="stop"`` puts the early-stopping rows in place of the
    test rows (for choosing among methods without looking at test rows: use it with
    ``--no-prune``, since the rank selection itself looks at the stop rows)."""
    ds, split, stop_rows, test_rows, user_counts, movie_counts = prepared(name, seed)
    if measure_on == "stop":
        test_rows = stop_rows
    out = []
    for vname, regs, method in variants(methods, decorrelation):
        spec = ModelSpec(family=family, dim=dim, regularizers=regs, seed=seed).validate()
        started = time.perf_counter()
        model, result = fit(ds, split, spec, method)
        seconds = time.perf_counter() - started
        ablation = ordering.dimension_ablation(model, *stop_rows)
        row: dict[str, Any] = {
            "dataset": name,
            "model": vname,
            "spearman": ordering.ordering_spearman(ablation),
            "full": ordering.prefix_curve(model, *test_rows, ks=[dim])["rmse"].iloc[0],
            "index_curve": ordering.prefix_curve(model, *test_rows)["rmse"].tolist(),
            "ablation": ablation["rmse_increase"].tolist(),
            "stop_rmse": result.metrics.get("stop_rmse"),
            "best_epoch": result.metrics["best_epoch"],
            "kept_dims": result.metrics.get("kept_dims", dim),
            "seconds": seconds,
            "ratings_per_second": result.ratings_per_second,
        }
        if vname == "l2":
            plain = ordering.prefix_curve(model, *test_rows, basis="pca")["rmse"].to_numpy()
            weighted = ordering.prefix_curve(
                model,
                *test_rows,
                basis="pca",
                user_weights=user_counts,
                movie_weights=movie_counts,
            )["rmse"].to_numpy()
            row["pca_curve_unweighted"] = plain.tolist()
            row["pca_curve_weighted"] = weighted.tolist()
            row["pca_curve"] = np.minimum(plain, weighted).tolist()
            rotated = SimpleNamespace(
                arrays=ordering.pca_arrays(model.arrays, spec, user_counts, movie_counts),
                spec=spec,
                rating_scale=model.rating_scale,
            )
            row["pca_spearman"] = ordering.ordering_spearman(
                ordering.dimension_ablation(rotated, *stop_rows)
            )
        out.append(row)
        print(f"  {name} {vname}: spearman {row['spearman']:.3f}, full {row['full']:.4f}, "
              f"{seconds:.0f} s", flush=True)  # fmt: skip
    base = next(r for r in out if r["model"] == "l2")
    for row in out:
        gaps = np.asarray(row["index_curve"]) - np.asarray(base["pca_curve"])
        row["max_prefix_gap"] = float(gaps.max())
        row["full_cost_pct"] = 100 * (row["full"] / base["full"] - 1)
        row["target_met"] = bool(
            row["spearman"] >= 0.9 and row["max_prefix_gap"] <= 0 and row["full_cost_pct"] <= 1
        )
    return out


def markdown(rows: list[dict[str, Any]], dim: int, measured_on: str = "test") -> str:
    ks = [k for k in SHOWN_KS if k < dim] + [dim]
    head = ["dataset", "model", "kept", "spearman", f"full {measured_on} RMSE", "cost vs l2"]
    head += [f"k={k}" for k in ks] + ["max gap vs l2 (pca)", "target met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        curve = row["index_curve"]
        cells = [row["dataset"], row["model"], str(row["kept_dims"]), f"{row['spearman']:.3f}"]
        cells.append(f"{row['full']:.4f}")
        cells.append(f"{row['full_cost_pct']:+.2f}%")
        cells += [f"{curve[k - 1]:.4f}" for k in ks]
        cells += [f"{row['max_prefix_gap']:+.4f}", "yes" if row["target_met"] else "no"]
        lines.append("| " + " | ".join(cells) + " |")
        if "pca_curve" in row:
            curve = row["pca_curve"]
            cells = [row["dataset"], "l2 (pca)", "-", f"{row['pca_spearman']:.3f}"]
            cells.append(f"{curve[-1]:.4f}")
            cells.append("-")
            cells += [f"{curve[k - 1]:.4f}" for k in ks] + ["0", "-"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="ml-100k,ml-latest-small,ml-1m-sample")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--family", default="mf_bias")
    parser.add_argument("--methods", default="graded_l2:0.01", help="method:strength,...")
    parser.add_argument("--json", default=None, help="write every row (with curves) here")
    parser.add_argument(
        "--graded-share", type=float, default=None, help="graded L2 share in graded_l2+... methods"
    )
    parser.add_argument("--no-decorrelation", action="store_true", help="skip l2+decorrelation")
    parser.add_argument(
        "--measure-on",
        choices=("test", "stop"),
        default="test",
        help="rows of the RMSE columns: stop = choose a method without the test rows",
    )
    parser.add_argument(
        "--ramp", default=None, help="graded L2 weights: linear, quadratic or geometric"
    )
    parser.add_argument("--ratio", type=float, default=None, help="geometric ramp's ratio")
    parser.add_argument(
        "--no-rotation", action="store_true", help="ordered: sort dims only, no principal basis"
    )
    parser.add_argument(
        "--no-prune", action="store_true", help="ordered: keep every dimension (no rank selection)"
    )
    args = parser.parse_args(argv)
    if args.no_prune:
        from movierate.nn import training

        training.ORDERED_PRUNE = False
    methods = [m for m in args.methods.split(",") if m]
    if args.graded_share is not None:
        from movierate.nn import training

        training.GRADED_SHARE = args.graded_share
    if args.ramp is not None or args.ratio is not None:
        from movierate.nn import regularizers

        if args.ramp is not None:
            regularizers.GRADED_RAMP = args.ramp
        if args.ratio is not None:
            regularizers.GEOMETRIC_RATIO = args.ratio
    if args.no_rotation:
        from movierate.nn import training

        training.ORDERED_ROTATION = False
    rows = []
    started = time.perf_counter()
    for name in args.datasets.split(","):
        rows += measure_dataset(
            name,
            args.dim,
            args.seed,
            methods,
            args.family,
            not args.no_decorrelation,
            args.measure_on,
        )
    print()
    print(
        f"dim {args.dim}, {args.family}, seed {args.seed}, l2 {L2}, "
        f"rotation {'off' if args.no_rotation else 'on'}; RMSE columns on the "
        f"{args.measure_on} rows; "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    print(markdown(rows, args.dim, args.measure_on))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
