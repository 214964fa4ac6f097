"""TensorFlow's ways to write embedding rows on CPU, per row: the lever behind the sparse step.

A 200,000 x 32 table, 20,000 unique rows per call (about one step's user rows at batch 32,768),
ten calls per compiled function. Compares a gather, ``scatter_update``, the arithmetic scatters
(``scatter_sub`` / ``scatter_add`` / ``scatter_nd_sub``), the fused ``ResourceSparseApply*``
kernels (there is none for Adam) and a dense read + ``tensor_scatter_nd_sub`` + assign. Also
shows how the fused kernels treat DUPLICATE indices: ProximalGradientDescent sums them (like
a merged gradient), AdagradV2 applies them one after the other (accumulator updated twice),
``scatter_update`` keeps the last, ``scatter_add`` sums.

    python -m benchmarks.bench_scatter [--rows 20000] [--table 200000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--table", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()

    import tensorflow as tf

    n, d, k = args.table, args.dim, args.rows
    var = tf.Variable(tf.random.normal([n, d]))
    slot_a, slot_b = tf.Variable(tf.zeros([n, d])), tf.Variable(tf.zeros([n, d]))
    rows = tf.constant(np.sort(np.random.default_rng(0).choice(n, k, replace=False)).astype("i4"))
    g = tf.random.normal([k, d])
    raw = tf.raw_ops

    ways = {
        "gather": lambda: tf.gather(var, rows),
        "scatter_update": lambda: var.scatter_update(tf.IndexedSlices(g, rows)),
        "gather, subtract, scatter_update": lambda: var.scatter_update(
            tf.IndexedSlices(tf.gather(var, rows) - g, rows)
        ),
        "scatter_sub": lambda: var.scatter_sub(tf.IndexedSlices(g, rows)),
        "scatter_add": lambda: var.scatter_add(tf.IndexedSlices(g, rows)),
        "scatter_nd_sub": lambda: var.scatter_nd_sub(rows[:, None], g),
        "ResourceSparseApplyProximalGradientDescent": lambda: (
            raw.ResourceSparseApplyProximalGradientDescent(
                var=var.handle, alpha=0.01, l1=0.0, l2=0.0, grad=g, indices=rows
            )
        ),
        "ResourceSparseApplyAdagradV2": lambda: raw.ResourceSparseApplyAdagradV2(
            var=var.handle, accum=slot_a.handle, lr=0.01, epsilon=1e-7, grad=g, indices=rows
        ),
        "ResourceSparseApplyRMSProp": lambda: raw.ResourceSparseApplyRMSProp(
            var=var.handle,
            ms=slot_a.handle,
            mom=slot_b.handle,
            lr=0.01,
            rho=0.9,
            momentum=0.0,
            epsilon=1e-7,
            grad=g,
            indices=rows,
        ),  # fmt: skip
        "dense read + tensor_scatter_nd_sub + assign": lambda: var.assign(
            tf.tensor_scatter_nd_sub(var.read_value(), rows[:, None], g)
        ),
    }
    print(f"table {n:,} x {d}, {k:,} unique rows per call\n")
    print("| way | ms per call | ns per row |")
    print("|---|---:|---:|")
    for name, way in ways.items():
        fn = tf.function(lambda way=way: [way() for _ in range(10)] and tf.constant(0))
        fn()
        start = time.perf_counter()
        for _ in range(args.reps):
            fn()
        seconds = (time.perf_counter() - start) / args.reps / 10
        print(f"| {name} | {seconds * 1e3:.2f} | {seconds / k * 1e9:,.0f} |", flush=True)

    print("\nduplicate indices [0, 0] with gradients 1 and 3 (lr 1):")
    two, dup = tf.constant([[1.0], [3.0]]), tf.constant([0, 0])
    v, acc = tf.Variable(tf.zeros([2, 1])), tf.Variable(tf.zeros([2, 1]))
    raw.ResourceSparseApplyAdagradV2(
        var=v.handle, accum=acc.handle, lr=1.0, epsilon=0.0, grad=two, indices=dup
    )
    print(f"- AdagradV2: accumulator {float(acc[0, 0]):.0f} (1 + 9: applied in turn), "
          f"var {float(v[0, 0]):.4f} (merged would give -4/sqrt(16) = -1)")  # fmt: skip
    v = tf.Variable(tf.zeros([2, 1]))
    raw.ResourceSparseApplyProximalGradientDescent(
        var=v.handle, alpha=1.0, l1=0.0, l2=0.0, grad=two, indices=dup
    )
    print(f"- ProximalGradientDescent: var {float(v[0, 0]):.0f} (summed)")
    v = tf.Variable(tf.zeros([2, 1]))
    v.scatter_update(tf.IndexedSlices(two, dup))
    print(f"- scatter_update: {float(v[0, 0]):.0f} (last wins: only for unique rows)")


if __name__ == "__main__":
    main()
