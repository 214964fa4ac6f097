"""Does movierate hold up at ml-32m's size? Every step of a large run, timed, with peak memory.

Generates a synthetic data set with ml-32m's shape (32 M ratings, 200,948 users, 87,585 movies
at the default size; smaller ``--ratings`` keep the ratings per user and per movie by scaling
users and movies with it) and MovieLens-like skew (:mod:`movierate.data.synthetic`), writes it in
the ml-32m CSV layout, then:

1. parse + cache (``load_dataset`` of the folder, first time) and the cached reload;
2. trains the default model of a data set that size (``movierate.defaults.default_spec_for``
   with the ratings count: large sets get a larger batch, see ``LARGE_DATA``; ``--epochs`` to
   cap it): per-epoch seconds;
3. saves it (file sizes), and a second model (another seed, ``--second-epochs``) for Compare;
4. computes the default map (t-SNE of movies with >= 10 ratings, cached in the model as the
   dashboard would) and a full-catalogue map, of every eligible movie unless ``--map-cap`` is
   given (a random subsample beyond it, said in the table);
5. compares the two models (``explore.compare_models``, what the Compare page computes, plus
   the page's genre coherence of each model): first call, k changed (10 -> 20), min ratings
   changed (10 -> 20), and the neighbour cap used (``explore.NEIGHBOUR_CAP`` most-rated
   movies; ``--compare-uncapped`` also times the exact all-pairs first call, minutes);
6. opens every dashboard page in headless Chromium (Playwright), failing on a Streamlit
   exception (``--no-pages`` to skip), with the time until each page has rendered.

``--compare-only`` skips the data, the training and the maps: two synthetic mf_bias models of
ml-32m's shape (87,585 movies x dim 32, 200,948 users, the second a rotated noisy copy of the
first, MovieLens-like rating-count skew, genres from the vectors) are saved in seconds, then
step 5 and the Compare page itself (AppTest: first open on its Accuracy tab; a link to its
Movie-by-movie tab, then a k change and a min-ratings change there; skipped by ``--no-pages``)
are timed: a rerun of the Compare numbers in a minute or two.

Peak resident memory (RSS) is sampled every 0.1 s during each step (the browser step reports
the Streamlit server's). Targets on 2 cores / 24 GiB: peak memory <= 8 GB anywhere, default
training <= 10 min, a page's first open <= 5 s (projections excepted: they show progress).
Prints a markdown table with the load average before and after; exits 1 if a step fails (the
table says which). Everything is written under a temporary MOVIERATE_HOME (``--keep`` to keep
it); ``--data-dir`` keeps the generated CSV folder between runs (generated if missing).

    nice -n 10 python -m benchmarks.bench_large [--ratings 32000000] [--epochs N] \
        [--data-dir DIR] [--map-cap N] [--second-epochs 2] [--no-pages]
    nice -n 10 python -m benchmarks.bench_large --compare-only [--compare-uncapped]
    python -m benchmarks.bench_large --train-only --data-dir DIR   # steps 1-3 (first model only)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ML32M = {"ratings": 32_000_204, "users": 200_948, "movies": 87_585}
TARGET_RSS_GB = 8.0
TARGET_TRAIN_S = 600.0
CHROMIUM = "/usr/bin/chromium"


class PeakRss:
    """Samples a process's resident memory (``/proc/PID/status``) in a thread; keeps the max."""

    def __init__(self, pid: int | None = None, every: float = 0.1) -> None:
        self.pid, self.every, self.peak = pid or os.getpid(), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def shape(n_ratings: int) -> tuple[int, int]:
    """(users, movies) for ``n_ratings`` at ml-32m's ratings per user and per movie."""
    frac = n_ratings / ML32M["ratings"]
    return max(2, round(ML32M["users"] * frac)), max(2, round(ML32M["movies"] * frac))


def dashboard_pages() -> list[tuple[str, str]]:
    """(label, url path) of every page script in the checkout (the fallback page list).

    The home page is ``/``; every other page is a script under ``pages/`` (recursively, for a
    pages package) whose url path Streamlit derives from its file name. :func:`open_pages`
    prefers the links the running app's sidebar shows.
    """
    pages = [("home", "/")]
    for script in sorted((REPO / "pages").rglob("*.py")):
        if script.name.startswith("_") or script.stem in {"home", "app"}:
            continue
        pages.append((script.stem, "/" + script.stem))
    return pages


def open_pages(home: Path, timeout_s: float = 180.0) -> tuple[str, int]:
    """Start the dashboard, open every page in headless Chromium; (summary, server peak RSS)."""
    import socket
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MOVIERATE_HOME=str(home))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    times = []
    try:
        with PeakRss(server.pid) as rss:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the Streamlit server did not start") from None
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.goto(url + "/", timeout=timeout_s * 1000)
                page.wait_for_selector("[data-testid='stApp']", timeout=timeout_s * 1000)
                page.wait_for_selector("[data-testid='stSidebar'] a[href]", timeout=60_000)
                links = page.eval_on_selector_all(
                    "[data-testid='stSidebar'] a[href]", "els => els.map(e => e.href)"
                )
                paths = [link[len(url) :] or "/" for link in links if link.startswith(url)]
                pages = [("home", "/")] + [(p.strip("/"), p) for p in paths if p.strip("/")]
                if len(pages) == 1:  # no sidebar links found: the page scripts on disk
                    pages = dashboard_pages()
                for label, path in dict.fromkeys(pages):
                    start = time.perf_counter()
                    page.goto(url + path, timeout=timeout_s * 1000)
                    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_s * 1000)
                    page.wait_for_timeout(500)
                    page.wait_for_selector(
                        "[data-testid='stStatusWidget']", state="detached", timeout=timeout_s * 1000
                    )
                    if page.query_selector("[data-testid='stException']") is not None:
                        raise RuntimeError(f"page {label} ({path}) shows a Streamlit exception")
                    times.append(f"{label} {time.perf_counter() - start:.1f} s")
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return ", ".join(times), rss.peak


def synthetic_models(
    n_movies: int = ML32M["movies"],
    n_users: int = ML32M["users"],
    n_ratings: int = ML32M["ratings"],
    dim: int = 32,
    seed: int = 0,
) -> tuple[str, str]:
    """Save two synthetic mf_bias models of one synthetic data set in the store (no training,
    no ratings: seconds); their names. Model B is A rotated plus noise (a neighbour Jaccard
    near a real second training's); rating counts follow a Zipf-like curve summing to
    ``n_ratings`` (most-rated movie ~1 %, MovieLens-like; every movie has >= 10, the worst
    case for the min-ratings filter), genres come from the vectors."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from movierate import store
    from movierate.data.synthetic import GENRES
    from movierate.spec import ModelSpec

    rng = np.random.default_rng(seed)
    weights = (rng.permutation(n_movies) + 10.0) ** -1.1
    counts = np.maximum(1, np.round(weights / weights.sum() * n_ratings)).astype(np.int64)
    factors = rng.normal(size=(n_movies, dim)).astype(np.float32)
    genre_of_dim = [GENRES[i % len(GENRES)] for i in range(dim)]
    movies = pd.DataFrame(
        {
            "movie_idx": np.arange(n_movies),
            "movie_id": np.arange(n_movies) + 1,
            "title": [f"Synthetic movie {i}" for i in range(n_movies)],
            "year": pd.array(rng.integers(1930, 2019, n_movies), dtype="Int64"),
            "genres": [  # every film a genre (as nearly all of ml-32m's most-rated have)
                sorted(
                    {genre_of_dim[d] for d in np.flatnonzero(r > 1.0)} | {genre_of_dim[r.argmax()]}
                )
                for r in factors
            ],
            "n_ratings": counts,
            "mean_rating": np.full(n_movies, 3.5),
        }
    )

    class SyntheticData:  # what store.save_model reads from a data set
        name, source, fingerprint = f"synthetic-{n_ratings}", "bench_large", "synthetic"
        rating_scale = SimpleNamespace(min=0.5, max=5.0, step=0.5)

        def __init__(self) -> None:
            self.n_users, self.n_movies, self.movies = n_users, n_movies, movies

        def __len__(self) -> int:
            return n_ratings

    ds = SyntheticData()
    # no split (no ratings behind these models): a saved split names one of the real methods
    split = SimpleNamespace(describe=lambda: {"n_test": 0})
    rotation = np.linalg.qr(rng.normal(size=(dim, dim)))[0].astype(np.float32)
    noise = rng.normal(0, 0.5, factors.shape).astype(np.float32)
    names = []
    for i, vectors in enumerate((factors, factors @ rotation + noise)):
        result = SimpleNamespace(
            arrays={
                "movie_embedding": 0.3 * vectors,
                "user_embedding": rng.normal(0, 0.3, (n_users, dim)).astype(np.float32),
                "movie_bias": rng.normal(0, 0.3, n_movies).astype(np.float32),
                "user_bias": rng.normal(0, 0.3, n_users).astype(np.float32),
            },
            metrics={"stop_rmse": 1.0, "epochs_run": 0},
            history={"epoch": [], "train_rmse": [], "stop_rmse": []},
            train_seconds=0.0,
            ratings_per_second=0.0,
            global_mean=3.5,
            save_keras=lambda path: path.write_bytes(b""),  # never loaded by Compare
        )
        name = f"synthetic-{'ab'[i]}"
        store.save_model(name, result, ds, split, ModelSpec(dim=dim, seed=seed + i))
        names.append(name)
    return names[0], names[1]


def compare_page(names: tuple[str, str], timeout_s: float = 600.0) -> str:
    """Open the Compare page on two saved models in AppTest (the page script run, no
    browser): seconds for the first open (its first tab, Accuracy), then a link straight to the
    Movie-by-movie tab, a k change and a min-ratings change there. Each open starts from what a
    fresh server has computed (nothing: the background prefetches of the last one waited for,
    the caches and the neighbour memo emptied)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from movierate.explore import neighbours
    from movierate.ui import state

    def forget() -> None:  # what a fresh server has computed: nothing
        for thread in threading.enumerate():
            if thread.name == "movierate-prefetch":
                thread.join()
        st.cache_data.clear()
        with state._PREFETCH_LOCK:
            state._PREFETCHED.clear()
        with neighbours._MEMO_LOCK:
            neighbours._MEMO.clear()

    def fresh_open(**query: str) -> tuple[AppTest, float]:
        forget()
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout_s)
        at.run()
        at.query_params["models"] = list(names)
        for key, value in query.items():
            at.query_params[key] = value
        seconds = timed_run(at.switch_page("pages/compare.py"))
        check(at)
        return at, seconds

    def timed_run(at: AppTest) -> float:
        start = time.perf_counter()
        at.run()
        return time.perf_counter() - start

    def check(at: AppTest) -> None:
        problems = [e.message for e in at.exception] + [e.value for e in at.error]
        if problems:
            raise RuntimeError(f"the Compare page failed: {problems}")

    _, first = fresh_open()
    at, pair_tab = fresh_open(section="Movie by movie")
    notices = [i.value for i in at.info if "most-rated" in i.value]
    k_change = timed_run(at.slider(key="pair_k").set_value(20))
    min_change = timed_run(at.slider(key="min_ratings").set_value(20))
    check(at)
    return (
        f"first open (Accuracy tab) {first:.1f} s; a link to the Movie-by-movie tab "
        f"{pair_tab:.1f} s, k 10 -> 20 there: {k_change:.2f} s, min ratings 10 -> 20: "
        f"{min_change:.2f} s; {len(notices)} cap notice(s) shown"
    )


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=float, default=32e6)
    parser.add_argument("--users", type=int, help="default: ml-32m's ratings per user")
    parser.add_argument("--movies", type=int, help="default: ml-32m's ratings per movie")
    parser.add_argument("--epochs", type=int, help="cap on epochs (default: the spec's)")
    parser.add_argument("--pages", action="store_true", help=argparse.SUPPRESS)  # the default
    parser.add_argument("--no-pages", action="store_true", help="skip the dashboard pages")
    parser.add_argument("--data-dir", type=Path, help="keep / reuse the generated CSV folder")
    parser.add_argument(
        "--map-cap",
        type=int,
        default=None,
        help="most movies per map (default: every eligible movie; 87,585 took 230 s and 5 GB)",
    )
    parser.add_argument(
        "--second-epochs", type=int, default=2, help="epochs of the second model (Compare)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary MOVIERATE_HOME")
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="stop after the default model is trained and saved (no second model, maps, pages)",
    )
    parser.add_argument(
        "--compare-only",
        action="store_true",
        help="two synthetic models of ml-32m's shape (no data, no training): Compare steps only",
    )
    parser.add_argument(
        "--compare-uncapped",
        action="store_true",
        help="also time Compare's exact all-pairs neighbour search on every movie (minutes)",
    )
    args = parser.parse_args()

    n = int(args.ratings)
    users, movies = shape(n)
    users, movies = args.users or users, args.movies or movies
    home = Path(tempfile.mkdtemp(prefix="movierate-large-"))
    os.environ["MOVIERATE_HOME"] = str(home)
    for var in ("MOVIERATE_DATA_DIR", "MOVIERATE_MODELS_DIR"):
        os.environ.pop(var, None)
    load_before = os.getloadavg()
    rows: list[tuple[str, str, str, str]] = []  # step, seconds, peak RSS, detail
    state: dict[str, Any] = {}
    failed = False

    def step(name: str, fn: Callable[[], str]) -> None:
        nonlocal failed
        if failed:
            rows.append((name, "-", "-", "skipped (an earlier step failed)"))
            return
        start = time.perf_counter()
        try:
            with PeakRss() as rss:
                detail = fn()
        except Exception as exc:  # noqa: BLE001 - reported in the table, exit code 1
            traceback.print_exc()
            failed = True
            detail = f"FAILED: {type(exc).__name__}: {exc}"
        peak = state.pop("peak_override", rss.peak)
        rows.append((name, f"{time.perf_counter() - start:.1f}", f"{peak / 1e9:.2f}", detail))
        print(f"{name}: {rows[-1][1]} s, {rows[-1][2]} GB, {detail}", flush=True)

    def generate() -> str:
        from movierate.data.synthetic import synthetic_dataset, write_movielens_csv

        folder = (args.data_dir or home / "data") / f"ml-32m-shape-{n}-{users}-{movies}"
        state["folder"] = folder
        if (folder / "ratings.csv").exists() and (folder / "movies.csv").exists():
            size = sum(f.stat().st_size for f in folder.iterdir())
            return f"reused {folder} (CSV {size / 1e6:,.0f} MB)"
        ds = synthetic_dataset(n, n_users=users, n_movies=movies, seed=0)
        write_movielens_csv(ds, folder)
        size = sum(f.stat().st_size for f in folder.iterdir())
        return f"{len(ds):,} ratings, {ds.n_users:,} users, {ds.n_movies:,} movies; CSV {size / 1e6:,.0f} MB"

    def parse() -> str:
        from movierate.data import load_dataset

        ds = load_dataset(state["folder"])
        return f"{len(ds):,} ratings parsed, parquet cache written"

    def cached() -> str:
        from movierate.data import load_dataset

        state["ds"] = ds = load_dataset(state["folder"])
        return f"{ds.name}: {len(ds):,} ratings from the cache"

    def train() -> str:
        from movierate.defaults import default_spec_for
        from movierate.nn.training import train as train_model
        from movierate.pipeline import DEFAULT_SPLIT, split_from_settings

        ds = state["ds"]
        spec = default_spec_for(ds.name, n_ratings=len(ds))
        if args.epochs is not None:
            spec = spec.with_(epochs=args.epochs)
        split = split_from_settings(ds, DEFAULT_SPLIT)
        epochs: list[float] = []
        last = [time.perf_counter()]

        def watch(event) -> None:
            if event.phase == "epoch":
                now = time.perf_counter()
                epochs.append(now - last[0])
                last[0] = now
                rmse = event.metrics.get("stop_rmse", float("nan"))
                print(
                    f"  epoch {event.epoch}: {epochs[-1]:.1f} s, stop RMSE {rmse:.4f}", flush=True
                )

        last[0] = time.perf_counter()
        result = train_model(ds, split, spec, progress=watch)
        state.update(result=result, split=split, spec=spec)
        per_epoch = sorted(epochs)[len(epochs) // 2]
        verdict = "within" if result.train_seconds <= TARGET_TRAIN_S else "OVER"
        if args.epochs is not None:
            verdict = f"epochs capped by --epochs {args.epochs}: not a test of"
        return (
            f"{result.metrics['epochs_run']} epochs (batch {spec.batch_size}, lr "
            f"{spec.learning_rate} x {spec.learning_rate_decay} per epoch, L2 "
            f"{spec.regularizers.get('l2', 0)}), {result.train_seconds:.0f} s training, median "
            f"{per_epoch:.1f} s/epoch (evaluation included), {result.ratings_per_second:,.0f} "
            f"ratings/s, early-stopping RMSE {result.metrics['stop_rmse']:.4f}; {verdict} the "
            f"{TARGET_TRAIN_S / 60:.0f}-min target"
        )

    def save() -> str:
        from movierate import store

        path = store.save_model(
            "large", state["result"], state["ds"], state["split"], state["spec"]
        )
        sizes = {f.name: f.stat().st_size for f in path.iterdir() if f.is_file()}
        state["model"] = store.load_model("large")
        return ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items()))

    def second() -> str:
        from movierate import store
        from movierate.nn.training import train as train_model

        spec = state["spec"].with_(seed=7, epochs=args.second_epochs)
        result = train_model(state["ds"], state["split"], spec)
        store.save_model("large-b", result, state["ds"], state["split"], spec)
        state["model_b"] = store.load_model("large-b")
        return (
            f"seed 7, {args.second_epochs} epochs, {result.train_seconds:.0f} s, early-stopping "
            f"RMSE {result.metrics['stop_rmse']:.4f}"
        )

    def tsne(min_ratings: int) -> Callable[[], str]:
        def run() -> str:
            import numpy as np

            from movierate.explore.projection import eligible_rows, model_tsne_map

            model = state["model"]
            rows = eligible_rows(model.movies, min_ratings, at_least=2)
            notice = ""
            if args.map_cap is not None and len(rows) > args.map_cap:
                pick = np.random.default_rng(0).choice(len(rows), args.map_cap, replace=False)
                notice = f" (random subsample of {len(rows):,} eligible: --map-cap)"
                rows = np.sort(rows[pick])
                frame = model_tsne_map(model, rows=rows, min_ratings=min_ratings)
            else:
                frame = model_tsne_map(model, min_ratings=min_ratings)
            return f"{len(frame):,} movies mapped (min_ratings {min_ratings}){notice}"

        return run

    def compare() -> str:
        from movierate import explore

        a, b = state["model"], state["model_b"]

        def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
            start = time.perf_counter()
            out = fn()
            return out, time.perf_counter() - start

        def coherence(min_ratings: int) -> list[Any]:
            return [
                explore.model_genre_coherence(
                    m, k=10, min_ratings=min_ratings, max_movies=explore.NEIGHBOUR_CAP
                )
                for m in (a, b)
            ]

        result, first = timed(lambda: explore.compare_models(a, b, k=10, min_ratings=10))
        (genre, _), space = timed(lambda: coherence(10))
        at_20, k_change = timed(lambda: result.with_k(20))
        _, min_change = timed(lambda: explore.compare_models(a, b, k=10, min_ratings=20))
        _, space_change = timed(lambda: coherence(20))
        sets = result.neighbour_sets
        cap = (
            f"cap {explore.NEIGHBOUR_CAP:,}: the {sets.n_movies:,} most-rated of "
            f"{sets.n_eligible:,} eligible movies searched"
            if sets.subsampled
            else f"all {sets.n_movies:,} eligible movies searched (cap {explore.NEIGHBOUR_CAP:,})"
        )
        detail = (
            f"{cap}; mean Jaccard@10 {result.mean_jaccard:.2f}, @20 {at_20.mean_jaccard:.2f}; "
            f"first call {first:.1f} s (+ genre coherence of both {space:.1f} s, "
            f"{genre.n_movies:,} movies each), k 10 -> 20: {k_change:.3f} s, min ratings "
            f"10 -> 20: {min_change:.1f} s (+ coherence {space_change:.1f} s)"
        )
        if args.compare_uncapped:
            exact, uncapped = timed(
                lambda: explore.compare_models(a, b, k=10, min_ratings=10, max_movies=None)
            )
            detail += (
                f"; uncapped (all {exact.neighbour_sets.n_movies:,}): first call {uncapped:.1f} s, "
                f"mean Jaccard@10 {exact.mean_jaccard:.2f}"
            )
        return detail

    def synthetic() -> str:
        from movierate import store

        names = synthetic_models()
        state["names"] = names
        state["model"], state["model_b"] = (store.load_model(n) for n in names)
        return f"{names[0]}, {names[1]}: {state['model'].n_movies:,} movies x {state['model'].dim}"

    def page() -> str:
        return compare_page(state["names"])

    def pages() -> str:
        summary, peak = open_pages(home)
        state["peak_override"] = peak
        return f"server RSS; {summary}"

    if args.compare_only:
        users, movies = ML32M["users"], ML32M["movies"]
        step("save two synthetic models (not a target)", synthetic)
        step("compare the two models (in process)", compare)
        if not args.no_pages:
            step("Compare page (AppTest)", page)
    else:
        step("generate data (not a target)", generate)
        step("parse + cache", parse)
        step("cached load", cached)
        step("train default model", train)
        step("save", save)
    if not args.compare_only and not args.train_only:
        step("train a second model (for Compare)", second)
        step("default map (>= 10 ratings)", tsne(10))
        step("full-catalogue map", tsne(1))
        step("compare the two models (in process)", compare)
        if not args.no_pages:
            step("open every dashboard page", pages)
    load_after = os.getloadavg()

    print(
        f"\nbench_large: {n:,} ratings, {users:,} users, {movies:,} movies; {os.cpu_count()} cores; "
        f"load average (1, 5, 15 min) {_load(load_before)} at the start, {_load(load_after)} at "
        "the end\n"
    )
    print("| step | seconds | peak RSS GB | detail |")
    print("|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    peaks = [float(r[2]) for r in rows if r[2] != "-"]
    if peaks:
        worst = max(peaks)
        verdict = "within" if worst <= TARGET_RSS_GB else "OVER"
        print(f"\npeak RSS {worst:.2f} GB: {verdict} the {TARGET_RSS_GB:.0f} GB target")
    if args.keep:
        print(f"files kept in {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
