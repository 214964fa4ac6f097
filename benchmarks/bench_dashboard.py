"""Dashboard speed in a real browser: server start to first rendered page, and page to page.

Two small models (ml-latest-small, dim 8, 2 epochs) are trained once into a temporary
MOVIERATE_HOME (not timed). Each run then starts a fresh ``streamlit run app.py``, opens it in
headless Chromium through Playwright and clicks through the sidebar: Train, Compare,
Embeddings, Neighbours, Recommend, and Embeddings again (second visit). The peer, in the same
run, is a bare one-line Streamlit script: its start-to-render time is what Streamlit itself
costs. Prints medians (and min-max) over the runs as a markdown table. Uses the helpers of
``tests/test_browser.py`` (same markers, same waiting rules).

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 5 python -m benchmarks.bench_dashboard \\
        [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.test_browser import CHROMIUM, _free_port, _open, _settle, _wait_healthy

REPO = Path(__file__).resolve().parents[1]
#: (sidebar label, text that shows once the page rendered), in click order.
PAGES = (
    ("Train", "Start training"),
    ("Compare", "Mean Jaccard"),
    ("Embeddings", "Principal components"),
    ("Neighbours", "Movie title"),
    ("Recommend", "Sample a user"),
)
BARE_APP = 'import streamlit as st\n\nst.write("bare streamlit")\n'


def train_models(home: Path) -> None:
    """Two small models in ``home`` so that every page has something to show."""
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    os.environ["MOVIERATE_HOME"] = str(home)
    for name, regularizers in (
        ("bench-l2", {"l2": 1e-4}),
        ("bench-whitening", {"whitening": 1e-2}),
    ):
        spec = ModelSpec(dim=8, epochs=2, regularizers=regularizers)
        train_and_save("ml-latest-small", spec, name)


def start_server(script: str, cwd: Path, env: dict[str, str], log) -> tuple[subprocess.Popen, str]:
    """``streamlit run script`` on a free port; (process, url)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return server, f"http://localhost:{port}"


def time_start(browser, script: str, cwd: Path, env: dict[str, str], marker: str, log):
    """Start a server, open it, wait for ``marker``; (seconds, page, server)."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    start = time.perf_counter()
    server, url = start_server(script, cwd, env, log)
    _wait_healthy(url, server)
    page.goto(url)
    page.get_by_text(marker).first.wait_for(timeout=60_000)
    _settle(page)
    return time.perf_counter() - start, page, server


def one_run(browser, env: dict[str, str], bare_dir: Path, log) -> dict[str, float]:
    """Timings of one fresh dashboard server and of the bare Streamlit peer."""
    timings: dict[str, float] = {}
    seconds, page, server = time_start(browser, "bare.py", bare_dir, env, "bare streamlit", log)
    timings["peer: bare Streamlit, server start -> rendered"] = seconds
    page.close()
    server.terminate()
    server.wait(timeout=30)

    seconds, page, server = time_start(browser, "app.py", REPO, env, "Quick start", log)
    timings["movierate: server start -> home rendered"] = seconds
    try:
        for label, marker in PAGES:
            _open(page, label, marker, timings)
        visits: dict[str, float] = {}
        _open(page, "Embeddings", "Principal components", visits)
        timings["open Embeddings (second visit)"] = visits["open Embeddings"]
    finally:
        page.close()
        server.terminate()
        server.wait(timeout=30)
    return timings


def markdown_table(runs: list[dict[str, float]]) -> str:
    lines = ["| step | median (s) | min-max (s) | runs |", "|---|---|---|---|"]
    for step in runs[0]:
        values = [run[step] for run in runs if step in run]
        lines.append(
            f"| {step} | {statistics.median(values):.2f} "
            f"| {min(values):.2f}-{max(values):.2f} | {len(values)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as temp:
        home, bare_dir = Path(temp) / "home", Path(temp) / "bare"
        bare_dir.mkdir()
        (bare_dir / "bare.py").write_text(BARE_APP)
        train_models(home)
        env = dict(os.environ, MOVIERATE_HOME=str(home))
        env.pop("MOVIERATE_MODELS_DIR", None)
        runs = []
        with (Path(temp) / "streamlit.log").open("w") as log, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            for i in range(args.runs):
                runs.append(one_run(browser, env, bare_dir, log))
                print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)
            browser.close()
    print(markdown_table(runs))


if __name__ == "__main__":
    main()
