"""The ``ordered`` option's final basis step, compared post hoc: one training per strength,
then every combination of the step's settings applied to a copy of the trained weights.

Per dataset (same three-way split as ``bench_ordered``: test 10%, stop 10% of the rest): train
L2 and ``l2+ordered[graded_l2, S]`` for each strength S with the rank selection off; then for
each setting (``training.ORDERED_PERMUTE_ROTATED``, ``ORDERED_WEIGHTING``, ``ORDERED_RANK_RULE``)
and each model (strength 0 = the L2 model itself: rotation and pruning only, no graded term)
apply ``sort_dimensions`` + ``prune_dimensions`` to the saved weights and measure, as
``bench_ordered``: spearman on the stop rows, full and first-k test RMSE. The comparator
``l2 (pca)`` takes, at each k, the weighting (uniform / training counts) that is better on the
STOP rows, as the study does. Rotation of an already rotated model lands in the same principal
basis, so re-applying the step to the trained (sorted, unpruned) weights is exact.

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 19 python -m benchmarks.bench_ordered_posthoc \\
        --datasets ml-100k --seed 7 [--strengths 0.03,0.01] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace
from typing import Any

import numpy as np

from benchmarks.bench_ordered import L2, prepared
from movierate.explore import ordering
from movierate.spec import ModelSpec

#: (name, permute rotated, weighting, rank rule); "old" was the default before this round.
SETTINGS = (
    ("old: permute, count, one-SE", True, "count", "one_se"),
    ("H1: principal order, count, one-SE", False, "count", "one_se"),
    ("H1+H2: principal, stop-chosen, one-SE", False, "stop", "one_se"),
    ("H1+H3: principal, count, best-k", False, "count", "best"),
    ("H1+H2+H3: principal, stop-chosen, best-k", False, "stop", "best"),
)


def measure(name: str, dim: int, seed: int, strengths: list[float]) -> list[dict[str, Any]]:
    from movierate.nn import training

    ds, split, stop_rows, test_rows, user_counts, movie_counts = prepared(name, seed)
    users = ds.ratings["user_idx"].to_numpy(np.int32)
    movies = ds.ratings["movie_idx"].to_numpy(np.int32)
    ratings = ds.ratings["rating"].to_numpy(np.float32)
    eval_train = training.evaluation_rows(
        np.asarray(split.train, np.int64), split.stop, np.random.default_rng(seed)
    )["train"]
    held = np.asarray(split.stop, np.int64)
    training.ORDERED_PRUNE = False
    training.ORDERED_METHOD = "graded_l2"
    trained = {}
    for strength in [0.0, *strengths]:
        regs = {"l2": L2} | ({"ordered": strength} if strength else {})
        spec = ModelSpec(family="mf_bias", dim=dim, regularizers=regs, seed=seed).validate()
        started = time.perf_counter()
        result = training.train(ds, split, spec)
        weights = [w.numpy() for w in result.keras_model.weights]
        trained[strength] = (result, weights)
        print(f"  {name} strength {strength:g}: trained in {time.perf_counter() - started:.0f} s",
              flush=True)  # fmt: skip

    def view(arrays, spec, model):
        return SimpleNamespace(arrays=arrays, spec=spec, rating_scale=model.rating_scale)

    l2_result = trained[0.0][0]
    l2_view = view(l2_result.arrays, l2_result.spec, l2_result.keras_model)
    full_l2 = ordering.prefix_curve(l2_view, *test_rows, ks=[dim])["rmse"].iloc[0]
    curves, stop_curves = {}, {}
    for key, extra in (
        ("u", {}),
        ("w", {"user_weights": user_counts, "movie_weights": movie_counts}),
    ):
        curves[key] = ordering.prefix_curve(l2_view, *test_rows, basis="pca", **extra)[
            "rmse"
        ].to_numpy()
        stop_curves[key] = ordering.prefix_curve(l2_view, *stop_rows, basis="pca", **extra)[
            "rmse"
        ].to_numpy()
    pca_curve = np.where(stop_curves["w"] < stop_curves["u"], curves["w"], curves["u"])
    out = []
    for label, permute, weighting, rule in SETTINGS:
        training.ORDERED_PERMUTE_ROTATED, training.ORDERED_WEIGHTING = permute, weighting
        training.ORDERED_RANK_RULE = rule
        for strength, (result, weights) in trained.items():
            model, spec = result.keras_model, result.spec
            for variable, value in zip(model.weights, weights, strict=True):
                variable.assign(value)
            training.sort_dimensions(
                model, spec, users[eval_train], movies[eval_train], ratings[eval_train],
                (users[held], movies[held], ratings[held]),
            )  # fmt: skip
            selection = training.prune_dimensions(
                model, spec, users[held], movies[held], ratings[held]
            )
            v = view(training.export_arrays(model, spec), spec, model)
            curve = ordering.prefix_curve(v, *test_rows)["rmse"].to_numpy()
            gaps = curve - pca_curve
            row = {
                "dataset": name,
                "setting": label,
                "strength": strength,
                "kept": selection.kept,
                "best_k": selection.best_k,
                "spearman": ordering.ordering_spearman(ordering.dimension_ablation(v, *stop_rows)),
                "full": float(curve[-1]),
                "full_cost_pct": float(100 * (curve[-1] / full_l2 - 1)),
                "max_prefix_gap": float(gaps.max()),
                "argmax_k": int(np.argmax(gaps)) + 1,
                "curve": curve.tolist(),
                "pca_curve": pca_curve.tolist(),
            }
            out.append(row)
            print(f"  {name} | {label} | {strength:g} | K {row['kept']} (best {row['best_k']}) | "
                  f"gap {row['max_prefix_gap']:+.4f} at k={row['argmax_k']} | "
                  f"cost {row['full_cost_pct']:+.2f}% | spearman {row['spearman']:.2f}",
                  flush=True)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="ml-100k,ml-latest-small,ml-1m-sample")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strengths", default="0.03,0.01")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = []
    for name in args.datasets.split(","):
        rows += measure(name, args.dim, args.seed, [float(s) for s in args.strengths.split(",")])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
