"""benchmarks/bench_accuracy.py: contenders never receive test rows; the table reads runs."""

from __future__ import annotations

import numpy as np

from benchmarks import bench_accuracy as bench
from movierate.data import make_split, synthetic_dataset


def test_contenders_get_train_and_stop_rows_only_and_are_scored_on_test_rows():
    ds = synthetic_dataset(4_000, n_users=80, n_movies=60, seed=2)
    split = make_split(ds, test_fraction=0.2, seed=1)
    seen = {}

    @bench.contender("fake-mean")
    def fake(ds, given, seed, quick):
        seen.update(train=given.train, stop=given.stop, test=given.test)
        mean = float(ds.ratings["rating"].to_numpy()[given.train].mean())
        return bench.Fitted(lambda u, m: np.full(len(u), mean), 0.5, 3)

    try:
        fitted = bench.evaluate("fake-mean", ds, split, 42, quick=True)
    finally:
        del bench.CONTENDERS["fake-mean"]
    assert len(seen["test"]) == 0
    np.testing.assert_array_equal(seen["train"], split.train)
    np.testing.assert_array_equal(seen["stop"], split.stop)
    users, movies, truth = bench.rows_of(ds, split.test)
    rmse, _ = bench.rmse_mae(fitted.predict(users, movies), truth)
    train_mean = ds.ratings["rating"].to_numpy()[split.train].mean()
    assert rmse == np.sqrt(np.mean((truth - train_mean) ** 2))


def test_markdown_table_groups_seeds():
    def run(model, rmse, search=None):
        return bench.Run(
            model, "ml-100k", "random", "seed", rmse, rmse - 0.2, 2.0, 1e5, search, 20, 100, 10, 10
        )

    table = bench.markdown_table([run("svd", 0.92), run("svd", 0.94), run("svd-tuned", 0.91, 60.0)])
    lines = table.splitlines()
    assert lines[0].startswith("| protocol | dataset | model | n | test RMSE | test MAE")
    assert "| random 90/10 | ml-100k | svd | 2 | 0.9300 ± 0.0141 |" in table
    assert lines[-1].endswith("| 60 |") and lines[-2].endswith("| - |")
