"""Speed of the "beyond the Embedding Projector" analyses on an ml-latest-small-sized model.

Target: each interaction answers in < 1 s on ml-latest-small (9,724 movies x 32 dims). The
embedding is random (speed does not depend on the values) unless ``--model NAME`` names a saved
mf / mf_bias model. Prints wall and CPU time (best of ``--repeats``) per call; on a busy
machine wall time is several times the CPU time.

    python -m benchmarks.bench_explorer [--repeats 3] [--model NAME]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from movierate import explore as ex
from movierate.data import load_dataset
from movierate.data.extras import read_tags


def timed(label: str, call: Callable[[], Any], repeats: int) -> Any:
    wall = cpu = float("inf")
    result = None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    print(f"| {label} | {wall * 1000:.0f} | {cpu * 1000:.0f} |", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    n_rep = args.repeats
    ds = load_dataset("ml-latest-small")
    rng = np.random.default_rng(0)
    if args.model:
        from movierate import store

        model = store.load_model(args.model)
    else:
        n, d = ds.n_movies, 32
        model = SimpleNamespace(
            arrays={
                "movie_embedding": rng.normal(size=(n, d)).astype(np.float32),
                "movie_bias": rng.normal(scale=0.3, size=n).astype(np.float32),
                "user_embedding": rng.normal(scale=0.3, size=(ds.n_users, d)).astype(np.float32),
                "user_bias": rng.normal(scale=0.2, size=ds.n_users).astype(np.float32),
                "global_mean": np.float32(3.5),
            },
            spec=SimpleNamespace(family="mf_bias", output="clip"),
            rating_scale=(0.5, 5.0, 0.5),
            metrics={"valid_rmse": 0.9},
            movies=ds.movies,
            global_mean=3.5,
        )
    x, movies = model.arrays["movie_embedding"], model.movies
    n = len(movies)
    print("| call | wall ms | cpu ms |\n|---|---|---|")
    tags = timed("read_tags (once per dataset)", lambda: read_tags(ds), 1)
    picked = rng.choice(n, 500, replace=False)
    timed(
        "describe_selection, 500 movies", lambda: ex.describe_selection(movies, picked, tags), n_rep
    )
    timed(
        "describe_selection, 5,000 movies",
        lambda: ex.describe_selection(movies, np.arange(5000), tags),
        n_rep,
    )
    timed("selection_csv, 500 movies", lambda: ex.selection_csv(movies, picked), n_rep)
    index = ex.TitleIndex(movies)
    timed("set_rows, title query", lambda: ex.set_rows(movies, "star wars", index=index), n_rep)
    a, b = ex.set_rows(movies, "Comedy"), ex.set_rows(movies, "Horror")
    c, d = ex.set_rows(movies, "Drama"), ex.set_rows(movies, "Action")
    timed("custom_axes, PCA y", lambda: ex.custom_axes(x, movies, (a, b)), n_rep)
    timed("custom_axes, two axes", lambda: ex.custom_axes(x, movies, (a, b), (c, d)), n_rep)
    neighbours = ex.NeighbourIndex(x, movies)
    timed(
        "movie_analogy",
        lambda: ex.movie_analogy(x, movies, 0, 1, 2, index=neighbours),
        n_rep,
    )
    rows = rng.choice(n, 20, replace=False)
    ratings = {int(r): float(v) for r, v in zip(rows, rng.choice([1, 3, 5], 20), strict=True)}
    pca = ex.fit_pca(model.arrays["user_embedding"], n_components=2)
    timed(
        "recommend_from_ratings, 20 ratings",
        lambda: ex.recommend_from_ratings(model, ratings, 10, 10, pca=pca),
        n_rep,
    )
    timed("linear_probes, min_ratings=20", lambda: ex.linear_probes(x, movies), 1)
    other = ds.movies.copy()
    x_b = x @ np.linalg.qr(rng.normal(size=(x.shape[1], x.shape[1])))[0]
    timed("align_models, first (match)", lambda: ex.align_models(x, movies, x_b, other), 1)
    timed("align_models, memoised match", lambda: ex.align_models(x, movies, x_b, other), n_rep)
    with tempfile.TemporaryDirectory() as folder:
        vectors, metadata = ex.write_projector(Path(folder), x, movies)
        timed("read_projector_tsv", lambda: ex.read_projector_tsv(vectors, metadata), n_rep)
        path = ex.write_word2vec(Path(folder) / "w.txt", x, movies)
        timed("read_word2vec_file", lambda: ex.read_word2vec_file(path), n_rep)


if __name__ == "__main__":
    main()
