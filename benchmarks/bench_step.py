"""Where one training step's time goes: the compiled step taken apart, sub-step by sub-step.

On a synthetic MovieLens-like set, the default model (mf_bias, dim 32, Adam) at a throughput
batch size runs one epoch of the real compiled loop (``movierate.nn.training``) per variant:

- ``full``: the real step (Adam);
- ``full, scatter_sub writes (before)``: the step as it was, rows written by ``scatter_sub``;
- ``full, XLA step`` (``--xla``): the same step compiled by XLA (``jit_compile=True``; measured
  15x slower than the plain step here: the unique row counts change every step);
- ``sgd``: the same step with SGD (no slots: what the optimizer's slot traffic costs);
- ``no apply``: gradients computed, no update written (what the update costs in all);
- ``unique + gather``: only ``tf.unique`` of the batch ids and the row gathers;
- ``forward``: the prediction of the batch rows only (no gradient).

Each variant runs ``--repeats`` times; the table gives the median seconds per epoch, ratings/s
and the share of the full step. The machine's load changes numbers; compare rows of one run.

``--ops`` instead profiles the real training loop (``tf.profiler``; the trace's TensorFlow-op
events summed by op type) with the general op-by-op step, the plain XLA step with every side
sparse (``training.DENSE_TABLE_FACTOR = 0``) and the plain XLA step as it is (small tables
updated whole inside XLA), and prints where a step's time goes.

    python -m benchmarks.bench_step [--ratings 2e6] [--batch-size 32768] [--repeats 3] [--xla]
    python -m benchmarks.bench_step --ops [--batch-size 32768] [--steps 20] [--users N --movies N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _variants(loop, tf, xla: bool = False):
    """name -> a tf.function(users, movies, ratings, batch_size) running one epoch."""

    def epoch_of(step):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([], tf.int32),
            ]
        )
        def run(users, movies, ratings, batch_size):
            total = tf.constant(0.0)
            n = tf.shape(users)[0]
            for i in tf.range((n + batch_size - 1) // batch_size):
                start = i * batch_size
                end = tf.minimum(start + batch_size, n)
                total += step(users[start:end], movies[start:end], ratings[start:end])
            return total

        return run

    def no_apply(users, movies, ratings):
        # The gradients are summed into the result so that the graph keeps computing them.
        sink: list = []
        saved = loop.optimizer.apply_rows, loop.optimizer.apply_dense
        loop.optimizer.apply_rows = lambda var, rows, grad, *rest: sink.append(grad)
        loop.optimizer.apply_dense = lambda var, grad, *rest: sink.append(grad)
        try:
            mse = loop._step(users, movies, ratings)
        finally:
            loop.optimizer.apply_rows, loop.optimizer.apply_dense = saved
        return mse + 0.0 * tf.add_n([tf.reduce_sum(g) for g in sink])

    def scatter_sub_writes(users, movies, ratings):
        # The update as written before: rows changed by scatter_sub(delta) (no gathered rows).
        opt = loop.optimizer

        def apply_rows(var, rows, grad, lr, current=None):
            if opt.kind == "sgd":
                var.scatter_sub(tf.IndexedSlices(lr * grad, rows))
                return
            read = lambda slot: tf.gather(slot, rows)  # noqa: E731
            write = lambda slot, value: slot.scatter_update(tf.IndexedSlices(value, rows))  # noqa: E731
            var.scatter_sub(tf.IndexedSlices(opt._delta(var, grad, lr, read, write), rows))

        saved = opt.apply_rows
        opt.apply_rows = apply_rows
        try:
            return loop._step(users, movies, ratings)
        finally:
            opt.apply_rows = saved

    def unique_gather(users, movies, ratings):
        user_rows, _ = tf.unique(users)
        movie_rows, _ = tf.unique(movies)
        a = tf.gather(loop.user_table, user_rows)
        b = tf.gather(loop.movie_table, movie_rows)
        return tf.reduce_sum(a[:1]) + tf.reduce_sum(b[:1]) + ratings[0]

    def forward(users, movies, ratings):
        pred = tf.reshape(loop.model(tf.stack([users, movies], 1), training=False), [-1])
        return tf.reduce_mean(tf.square(pred - ratings))

    variants = {
        "full": epoch_of(loop._step),
        "full, scatter_sub writes (before)": epoch_of(scatter_sub_writes),
        "no apply": epoch_of(no_apply),
        "unique + gather": epoch_of(unique_gather),
        "forward": epoch_of(forward),
    }
    if xla:
        variants["full, XLA step"] = epoch_of(tf.function(loop._step, jit_compile=True))
    return variants


def op_table(logdir: str) -> dict[str, float]:
    """Microseconds per op type in a ``tf.profiler`` trace: ops run by TensorFlow's executor and
    the kernels of an XLA cluster (named by XLA's fusions: ``wrapped_scatter`` a gradient
    merge, ``bitcast_gather_fusion`` a row gather, ``*_select_fusion`` an optimizer update of
    the touched rows, ``copy`` a table copied before it is updated in place), on whichever
    thread they ran; the events that only contain others are left out."""
    import collections
    import glob

    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    totals: collections.Counter[str] = collections.Counter()
    containers = {
        "ExecutorState::Process",
        "ExecutorState::ProcessAsync::Start",
        "ExecutorState::ProcessAsync::Done",
        "ParallelFor",
        "CpuExecutable::ExecuteAsyncOnStream",
        "ThunkExecutor::Execute",
        "BlockUntilReady",
    }
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith(("tf_Compute", "tf_numa")):  # the executor's, XLA's
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if name in containers:
                    continue
                totals[name.split(":")[-1]] += event.duration_ps / 1e6
    return dict(totals)


def profile_ops(args) -> None:
    """Per-op-type time of the real loop's steps, plain XLA step against the general step."""
    import tempfile

    import tensorflow as tf

    from movierate.data import make_split, synthetic_dataset
    from movierate.nn import training
    from movierate.nn.models import build_model
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(int(args.ratings), n_users=args.users, n_movies=args.movies, seed=1)
    split = make_split(ds, "random", 0.1, seed=42)
    r = ds.ratings.iloc[split.train]
    arrays = [r[c].to_numpy(t) for c, t in (("user_idx", np.int32), ("movie_idx", np.int32))]
    arrays.append(r["rating"].to_numpy(np.float32))
    order = np.random.default_rng(0).permutation(len(arrays[0]))
    tensors = [tf.constant(a[order]) for a in arrays]
    steps, batch = args.steps, args.batch_size
    tables = {}
    factor = training.DENSE_TABLE_FACTOR
    for label, plain, dense_factor in (
        ("general step", False, factor),
        ("plain XLA step, sparse sides (unique rows gathered and scattered)", True, 0.0),
        ("plain XLA step (now: small tables updated whole in XLA)", True, factor),
    ):
        training.XLA_PLAIN_STEP = plain
        training.DENSE_TABLE_FACTOR = dense_factor
        spec = ModelSpec(dim=32, batch_size=batch, regularizers={"l2": 0.02})
        model = build_model(spec, ds.n_users, ds.n_movies, float(arrays[2].mean()), (0.5, 5.0))
        loop = training._TrainingLoop(
            model,
            spec,
            user_l2_weight=training._l2_weights(arrays[0], ds.n_users),
            movie_l2_weight=training._l2_weights(arrays[1], ds.n_movies),
        )
        loop.run_batches(*tensors, len(arrays[0]), 0, steps, batch)  # trace + compile
        walls, cpus = [], []
        for _ in range(args.repeats):
            start, cpu = time.perf_counter(), time.process_time()
            float(loop.run_batches(*tensors, len(arrays[0]), 0, steps, batch))
            walls.append((time.perf_counter() - start) / steps * 1e3)
            cpus.append((time.process_time() - cpu) / steps * 1e3)
        with tempfile.TemporaryDirectory() as logdir:
            tf.profiler.experimental.start(logdir)
            float(loop.run_batches(*tensors, len(arrays[0]), 0, steps, batch))
            tf.profiler.experimental.stop()
            ops = op_table(logdir)
        ops = {k: v / steps / 1e3 for k, v in ops.items()}
        tables[label] = (float(np.median(walls)), float(np.median(cpus)), ops)
    training.XLA_PLAIN_STEP, training.DENSE_TABLE_FACTOR = True, factor
    print(f"batch {batch}, dim 32, Adam; ms per step (median of {args.repeats} x {steps} steps)")
    for label, (wall, cpu, ops) in tables.items():
        total = sum(ops.values())
        print(
            f"\n{label}: {wall:.1f} ms per step wall, {batch / wall / 1e3:.2f} M ratings/s; "
            f"process CPU {cpu:.1f} ms per step; op time summed over threads {total:.1f} ms"
        )
        print("| op type | ms per step | share of op time |")
        print("|---|---:|---:|")
        for name, ms in sorted(ops.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"| {name} | {ms:.2f} | {ms / total:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=float, default=2e6)
    parser.add_argument("--users", type=int, help="default: MovieLens-like for --ratings")
    parser.add_argument("--movies", type=int, help="default: MovieLens-like for --ratings")
    parser.add_argument("--batch-size", type=int, default=32768)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--optimizers", default="adam,sgd")
    parser.add_argument("--xla", action="store_true", help="also the XLA-compiled step (slow)")
    parser.add_argument("--ops", action="store_true", help="per-op profile, before and now")
    parser.add_argument("--steps", type=int, default=20, help="steps per profiled call (--ops)")
    parser.add_argument("--top", type=int, default=14, help="op types shown (--ops)")
    args = parser.parse_args()
    if args.ops:
        profile_ops(args)
        return

    import tensorflow as tf

    from movierate.data import make_split, synthetic_dataset
    from movierate.nn import training
    from movierate.nn.models import build_model
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(int(args.ratings), n_users=args.users, n_movies=args.movies, seed=1)
    split = make_split(ds, "random", 0.1, seed=42)
    r = ds.ratings.iloc[split.train]
    users = r["user_idx"].to_numpy(np.int32)
    movies = r["movie_idx"].to_numpy(np.int32)
    ratings = r["rating"].to_numpy(np.float32)
    order = np.random.default_rng(0).permutation(len(users))
    tensors = [tf.constant(a[order]) for a in (users, movies, ratings)]
    batch = tf.constant(args.batch_size)
    print(f"{len(users):,} training ratings, batch {args.batch_size}\n")

    runs = {}
    for kind in args.optimizers.split(","):
        spec = ModelSpec(
            dim=32, batch_size=args.batch_size, optimizer=kind, regularizers={"l2": 0.02}
        )
        model = build_model(spec, ds.n_users, ds.n_movies, float(ratings.mean()), (0.5, 5.0))
        loop = training._TrainingLoop(
            model,
            spec,
            user_l2_weight=training._l2_weights(users, ds.n_users),
            movie_l2_weight=training._l2_weights(movies, ds.n_movies),
        )
        variants = _variants(loop, tf, args.xla)
        if kind != "adam":
            variants = {"full": variants["full"]}
        for name, run in variants.items():
            label = f"{name} ({kind})" if name == "full" else name
            run(*tensors, batch)  # trace + warm
            runs[label] = run
    timings: dict[str, list[float]] = {}
    for _ in range(args.repeats):  # round robin: load drifts hit every variant alike
        for label, run in runs.items():
            start = time.perf_counter()
            float(run(*tensors, batch))
            timings.setdefault(label, []).append(time.perf_counter() - start)
    full = float(np.median(timings["full (adam)"]))
    print("| variant | s per epoch (median) | ratings/s | share of full Adam step |")
    print("|---|---:|---:|---:|")
    for label, values in timings.items():
        seconds = float(np.median(values))
        print(f"| {label} | {seconds:.2f} | {len(users) / seconds:,.0f} | {seconds / full:.0%} |")


if __name__ == "__main__":
    main()
