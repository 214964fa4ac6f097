"""Speed of movierate.explore against the obvious notebook approach, in the same run.

Prints two markdown tables. Targets (docs/architecture.md and the explore brief):
- t-SNE default view of ml-latest-small: < 10 s on first request, < 0.5 s once cached;
- nearest-neighbour and recommendation queries: < 50 ms at 10 k movies, < 200 ms at
  60,000 movies x 64 dims.

The first table compares t-SNE settings on the default view's movies (>= 10 ratings,
perplexity 30, cosine): the previous default (750 iterations, Barnes-Hut angle 0.5) against the
current one, median of 3 runs each, with the share of each movie's 10 nearest neighbours in the
embedding (cosine) that are also among its 10 nearest in the map. openTSNE's Barnes-Hut is
added when openTSNE is importable; ``benchmarks/bench_projection.py`` compares the engines
(openTSNE's FFT included) at catalogue sizes up to ml-32m's.

The ml-latest-small embedding is a rank-32 truncated SVD of the centred rating matrix (close
in structure to a trained dim-32 model and needing no TensorFlow); pass ``--model NAME`` to use
a saved model instead. Synthetic catalogues have Zipf-distributed rating counts.

    nice -n 5 python -m benchmarks.bench_explore [--repeats 30] [--skip-full-tsne] [--model NAME]
"""

from __future__ import annotations

import argparse
import difflib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from movierate import explore, scoring
from movierate.explore.projection import ANGLE, free_cores

SCALE = (0.5, 5.0, 0.5)
GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Thriller", "Animation", "Sci-Fi"]


def median_ms(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func`` in milliseconds after one warm-up call."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def once_ms(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def small_embedding(model_name: str | None) -> tuple[np.ndarray, pd.DataFrame, object]:
    """(movie embedding, movies table, model-like object) for ml-latest-small."""
    if model_name:
        from movierate import store

        model = store.load_model(model_name)
        return model.movie_embedding, model.movies, model
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    from movierate.data import load_dataset

    ds = load_dataset("ml-latest-small")
    r = ds.ratings
    matrix = csr_matrix(
        (r["rating"] - r["rating"].mean(), (r["user_idx"], r["movie_idx"])),
        shape=(ds.n_users, ds.n_movies),
    )
    u, s, vt = svds(matrix, k=32, random_state=0)
    movie = (vt.T * np.sqrt(s)).astype(np.float32)
    user = (u * np.sqrt(s)).astype(np.float32)
    return movie, ds.movies, synthetic_model(movie, user, ds.movies)


def median_s(func: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """(median wall time in seconds over ``repeats`` calls, the last result)."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def sklearn_tsne(x: np.ndarray, max_iter: int, angle: float) -> np.ndarray:
    """scikit-learn t-SNE as ``explore.tsne_coordinates`` runs it, with another iteration
    count and Barnes-Hut angle (the previous default was 750 iterations at angle 0.5)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    threads = free_cores()
    tsne = TSNE(
        perplexity=explore.DEFAULT_PERPLEXITY, max_iter=max_iter, metric="cosine", angle=angle,
        init="pca", learning_rate="auto", random_state=0, n_jobs=threads,
    )  # fmt: skip
    with threadpool_limits(limits=threads):
        return tsne.fit_transform(x.astype(np.float64))


def neighbours_kept(x: np.ndarray, coordinates: np.ndarray, k: int = 10) -> float:
    """Mean share of each row's ``k`` nearest rows in ``x`` (cosine) that are also among its
    ``k`` nearest in the 2-D ``coordinates``."""
    from sklearn.neighbors import NearestNeighbors

    def nearest(points: np.ndarray) -> np.ndarray:
        index = NearestNeighbors(n_neighbors=k + 1).fit(points)
        return index.kneighbors(points, return_distance=False)[:, 1:]

    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    before, after = nearest(unit), nearest(np.asarray(coordinates, dtype=np.float64))
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(before, after, strict=True)]))


def tsne_settings_table(x: np.ndarray, movies: pd.DataFrame) -> list[str]:
    """Markdown rows: previous vs current t-SNE settings (and openTSNE) on the default view."""
    rated = x[explore.movie_weights(movies, min_ratings=explore.DEFAULT_MIN_RATINGS) > 0]
    contenders: list[tuple[str, Callable[[], object]]] = [
        ("previous default: 750 it., angle 0.5", lambda: sklearn_tsne(rated, 750, 0.5)),
        (
            f"current default: {explore.DEFAULT_MAX_ITER} it., angle {ANGLE:g}",
            lambda: explore.tsne_coordinates(rated),
        ),
    ]
    try:
        import openTSNE

        contenders.append(
            (
                f"openTSNE (bh), {explore.DEFAULT_MAX_ITER} it., theta {ANGLE:g}",
                lambda: openTSNE.TSNE(
                    perplexity=explore.DEFAULT_PERPLEXITY, metric="cosine", theta=ANGLE,
                    early_exaggeration_iter=250, n_iter=explore.DEFAULT_MAX_ITER - 250,
                    n_jobs=free_cores(), negative_gradient_method="bh", random_state=0,
                ).fit(rated.astype(np.float64)),
            )
        )  # fmt: skip
    except ImportError:
        pass
    lines = [
        f"| t-SNE of {len(rated):,} x {x.shape[1]} (>= {explore.DEFAULT_MIN_RATINGS} ratings, "
        f"perplexity {explore.DEFAULT_PERPLEXITY:g}, cosine) | seconds, median of 3 "
        "| 10-NN kept in the map |",
        "|---|---:|---:|",
    ]
    for name, func in contenders:
        seconds, coordinates = median_s(func)
        lines.append(f"| {name} | {seconds:.2f} | {neighbours_kept(rated, coordinates):.3f} |")
    return lines


def synthetic_catalogue(n_movies: int, dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    counts = np.minimum(rng.zipf(1.6, n_movies), 50_000)
    movies = pd.DataFrame(
        {
            "movie_idx": np.arange(n_movies),
            "movie_id": np.arange(n_movies) + 1,
            "title": [f"Movie {i}" for i in range(n_movies)],
            "year": pd.array(rng.integers(1920, 2024, n_movies), dtype="Int64"),
            "genres": [list(rng.choice(GENRES, 2, replace=False)) for _ in range(n_movies)],
            "n_ratings": counts,
            "mean_rating": rng.uniform(1, 5, n_movies),
        }
    )
    movie = rng.normal(0, 0.3, (n_movies, dim)).astype(np.float32)
    user = rng.normal(0, 0.3, (1_000, dim)).astype(np.float32)
    return movie, movies, synthetic_model(movie, user, movies)


def synthetic_model(movie: np.ndarray, user: np.ndarray, movies: pd.DataFrame):
    """The parts of a TrainedModel that recommendations use (an mf_bias model in numpy)."""
    arrays = {
        "movie_embedding": movie,
        "user_embedding": user,
        "movie_bias": np.zeros(len(movie), np.float32),
        "user_bias": np.zeros(len(user), np.float32),
        "global_mean": np.float32(3.5),
    }
    spec = SimpleNamespace(family="mf_bias", output="clip")
    return SimpleNamespace(
        arrays=arrays,
        movies=movies,
        movie_embedding=movie,
        n_users=len(user),
        score_all_movies=lambda u: scoring.score_all_movies(arrays, spec, u, SCALE),
        predict=lambda u, m: scoring.predict(arrays, spec, u, m, SCALE),
    )


def ratings_for(n_users: int, n_movies: int, per_user: int = 100, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_idx": np.repeat(np.arange(n_users), per_user),
            "movie_idx": rng.integers(0, n_movies, n_users * per_user),
            "rating": rng.integers(1, 11, n_users * per_user) / 2.0,
        }
    )


def naive_nearest(embedding: np.ndarray, movies: pd.DataFrame, movie_idx: int, k: int):
    """The notebook way, same output: normalise and sort everything, per query."""
    unit = embedding / np.linalg.norm(embedding, axis=1, keepdims=True)
    similarity = unit @ unit[movie_idx]
    order = np.argsort(-similarity)
    order = order[(order != movie_idx) & (movies["n_ratings"].to_numpy()[order] >= 10)][:k]
    frame = movies.iloc[order].reset_index(drop=True)
    frame["cosine_similarity"] = similarity[order]
    return frame


def naive_recommend(model, user_idx: int, ratings: pd.DataFrame, k: int = 10):
    """The notebook way, same output: predict every pair, sort everything."""
    movies = model.movies
    n = len(movies)
    scores = model.predict(np.full(n, user_idx), np.arange(n))
    own = ratings[ratings["user_idx"] == user_idx]
    allowed = movies["n_ratings"].to_numpy() >= 10
    allowed[own["movie_idx"].to_numpy()] = False
    order = np.argsort(-scores)
    top = movies.iloc[order[allowed[order]][:k]].assign(predicted=lambda f: scores[f.index])
    least = movies.iloc[order[allowed[order]][::-1][:k]].assign(predicted=lambda f: scores[f.index])
    favourites = own.sort_values("rating", ascending=False).head(k)
    return (
        top,
        least,
        movies.iloc[favourites["movie_idx"]].assign(rating=favourites["rating"].values),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--model", help="use this saved model for the ml-latest-small rows")
    parser.add_argument(
        "--skip-full-tsne", action="store_true", help="skip the 40 s whole-catalogue t-SNE peer"
    )
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str, str]] = []

    def add(what: str, size: str, ours: float, peer_name: str = "", peer: float | None = None):
        ratio = f"{peer / ours:.1f}x" if peer else ""
        peer_text = f"{peer_name}: {peer:,.1f} ms" if peer is not None else peer_name
        rows.append((what, size, f"{ours:,.1f} ms", peer_text, ratio))

    x, movies, model = small_embedding(args.model)
    small_size = f"{len(x):,} x {x.shape[1]}"
    import_start = time.perf_counter()
    from sklearn.manifold import TSNE  # noqa: F401  (timed apart: paid once per process)

    sklearn_import = time.perf_counter() - import_start
    settings_table = tsne_settings_table(x, movies)
    with tempfile.TemporaryDirectory() as folder:

        def cache(key: str) -> Path:
            return Path(folder) / key

        def default_view():
            return explore.tsne_map(x, movies, cache=cache)

        first = once_ms(default_view)
        n_mapped = len(default_view())
        cached = median_ms(default_view, 10)
    full = None
    if not args.skip_full_tsne:
        full = once_ms(lambda: explore.tsne_coordinates(x, max_iter=1000))
    add(
        f"t-SNE default view, first request ({n_mapped:,} movies >= 10 ratings, "
        f"{explore.DEFAULT_MAX_ITER} it.)",
        small_size,
        first,
        "whole catalogue, 1000 it. (sklearn defaults)",
        full,
    )
    add("t-SNE default view, cached", small_size, cached, "first request", first)

    index = explore.TitleIndex(movies)
    queries = ["toy stroy", "the matrix", "amelie", "hamlet 1996", "godfather part 2"]
    add(
        "title search (TitleIndex.search, 5 queries)",
        f"{len(movies):,} titles",
        median_ms(lambda: [index.search(q) for q in queries], args.repeats),
        "difflib.get_close_matches",
        median_ms(
            lambda: [difflib.get_close_matches(q, list(movies["title"]), n=10) for q in queries],
            5,
        ),
    )
    add(
        "genre coherence@10 (>= 10 ratings) + exact baseline",
        small_size,
        median_ms(lambda: explore.genre_coherence(x, movies), 5),
    )

    catalogues = [("ml-latest-small", x, movies, model)]
    for n, dim in ((10_000, 32), (60_000, 64)):
        catalogues.append((f"synthetic {n:,}", *synthetic_catalogue(n, dim)))
    for label, emb, table, fake in catalogues:
        size = f"{label} ({len(emb):,} x {emb.shape[1]})"
        nn = explore.NeighbourIndex(emb, table)
        probe = [int(i) for i in np.linspace(0, len(emb) - 1, 7)]
        add(
            "nearest 10 movies, cosine, min 10 ratings",
            size,
            median_ms(
                lambda nn=nn, p=probe: [nn.nearest(i, min_ratings=10) for i in p], args.repeats
            )
            / len(probe),
            "naive: normalise + argsort per query",
            median_ms(lambda e=emb, t=table, p=probe: [naive_nearest(e, t, i, 10) for i in p], 5)
            / len(probe),
        )
        build = median_ms(lambda e=emb, t=table: explore.NeighbourIndex(e, t), 5)
        add("NeighbourIndex build (once per model)", size, build)
        ratings = ratings_for(fake.n_users, len(emb))
        add(
            "recommend_for_user (top 10, least 10, favourites)",
            size,
            median_ms(
                lambda f=fake, r=ratings: explore.recommend_for_user(f, 3, ratings=r),
                args.repeats,
            ),
            "naive: predict all pairs + argsort",
            median_ms(lambda f=fake, r=ratings: naive_recommend(f, 3, r), 5),
        )
        add(
            "PCA extremes (3 components x 10 movies)",
            size,
            median_ms(lambda e=emb, t=table: explore.pca_extremes(e, t), 5),
        )

    print(
        f"t-SNE threads: {free_cores()} of {os.cpu_count()} cores (load average "
        f"{os.getloadavg()[0]:.1f}); scikit-learn import (once per process, not in the "
        f"t-SNE timings): {sklearn_import:.2f} s\n"
    )
    print("\n".join(settings_table) + "\n")
    print("| operation | size | movierate (median) | peer (median) | speed-up |")
    print("|---|---|---:|---|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
