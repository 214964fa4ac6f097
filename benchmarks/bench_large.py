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
   dashboard would) and a full-catalogue map, each on at most ``--map-cap`` movies (a random
   subsample beyond that, said in the table);
5. compares the two models (``explore.compare_models``, what the Compare page computes);
6. opens every dashboard page in headless Chromium (Playwright), failing on a Streamlit
   exception (``--no-pages`` to skip), with the time until each page has rendered.

Peak resident memory (RSS) is sampled every 0.1 s during each step (the browser step reports
the Streamlit server's). Targets on 2 cores / 24 GiB: peak memory <= 8 GB anywhere, default
training <= 10 min, a page's first open <= 5 s (projections excepted: they show progress).
Prints a markdown table with the load average before and after; exits 1 if a step fails (the
table says which). Everything is written under a temporary MOVIERATE_HOME (``--keep`` to keep
it); ``--data-dir`` keeps the generated CSV folder between runs (generated if missing).

    nice -n 10 python -m benchmarks.bench_large [--ratings 32000000] [--epochs N] \
        [--data-dir DIR] [--map-cap 20000] [--second-epochs 2] [--no-pages]
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
    parser.add_argument("--map-cap", type=int, default=20_000, help="most movies per map")
    parser.add_argument(
        "--second-epochs", type=int, default=2, help="epochs of the second model (Compare)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary MOVIERATE_HOME")
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
            f"{spec.learning_rate}), {result.train_seconds:.0f} s training, median "
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
            if len(rows) > args.map_cap:
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

        start = time.perf_counter()
        result = explore.compare_models(state["model"], state["model_b"], k=10, min_ratings=10)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        explore.compare_models(state["model"], state["model_b"], k=20, min_ratings=10)
        again = time.perf_counter() - start
        return (
            f"{len(result.neighbours):,} movies, mean neighbour Jaccard {result.mean_jaccard:.2f}; "
            f"first {seconds:.1f} s, k changed to 20: {again:.1f} s"
        )

    def pages() -> str:
        summary, peak = open_pages(home)
        state["peak_override"] = peak
        return f"server RSS; {summary}"

    step("generate data (not a target)", generate)
    step("parse + cache", parse)
    step("cached load", cached)
    step("train default model", train)
    step("save", save)
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
