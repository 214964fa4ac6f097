"""How long a new browser tab takes to draw while a model trains, against the same tab idle.

Trains one small ml-latest-small model into a temporary MOVIERATE_HOME (not timed), starts
``streamlit run app.py`` and, in headless Chromium, opens three pages (Home, Neighbours,
Embeddings of that model) in fresh tabs, each timed from ``goto`` until its script run has
finished:

- ``idle``: nothing else runs;
- ``dashboard training``: a training started from the Train page (40 epochs) runs, in the
  dashboard's niced child process (:mod:`movierate.child_runner`);
- ``CLI training, not niced``: the same training as ``python -m movierate train`` at the
  dashboard's own priority, the peer that shows what the child's lower priority buys.

Each state is measured ``--runs`` times, alternated; prints a markdown table of medians (min-max)
and each state's ratio to idle (2 shared cores: compare ratios, not absolute times).

    MOVIERATE_DATA_DIR=../shared/data/movielens python -m benchmarks.bench_dashboard_training [--runs 2]
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

from benchmarks.bench_dashboard import bytecode_env
from tests.browser_helpers import (
    CHROMIUM,
    REPO,
    launch_chromium,
    settle,
    start_streamlit,
    wait_healthy,
)

PAGES = ("", "neighbours?model={m}", "embeddings?model={m}")
EPOCHS = 40
#: Seconds after a training starts before tabs are timed: past TensorFlow's import.
WARM_UP_S = 12.0


def open_tabs(browser, url: str, model: str) -> list[float]:
    """Seconds to open each of PAGES in a fresh tab until its script run finished."""
    seconds = []
    for path in PAGES:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{url}/{path.format(m=model)}")
        page.wait_for_selector("[data-testid='stApp']")
        settle(page, timeout=300_000)
        seconds.append(time.perf_counter() - start)
        context.close()
    return seconds


def dashboard_training(browser, url: str, name: str):
    """Start a training from the Train page; the page, to cancel it later."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{url}/train")
    page.wait_for_selector("[data-testid='stApp']")
    settle(page)
    form = page.locator("[data-testid='stForm']").filter(has_text="Start training")
    form.get_by_label("Epochs", exact=True).fill(str(EPOCHS))
    form.get_by_label("Early stopping patience (epochs, 0 = off)", exact=True).fill("0")
    form.get_by_label("Model name", exact=True).fill(name)
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Cancel this run").wait_for(timeout=60_000)
    return page


def cli_training(env: dict[str, str], name: str, log) -> subprocess.Popen:
    """The same training from the CLI, at this process's priority."""
    return subprocess.Popen(
        [sys.executable, "-m", "movierate", "train", "ml-latest-small", "--name", name,
         "--epochs", str(EPOCHS), "--patience", "0", "--quiet"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def markdown_table(times: dict[str, list[float]]) -> str:
    idle = statistics.median(times["idle"])
    lines = ["| state | median (s) | min-max (s) | x idle | tabs |", "|---|---:|---:|---:|---:|"]
    for state, values in times.items():
        median = statistics.median(values)
        lines.append(
            f"| {state} | {median:.2f} | {min(values):.2f}-{max(values):.2f} "
            f"| {median / idle:.2f} | {len(values)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    with tempfile.TemporaryDirectory(  # recheck A (s27): a child still writing byte code
        prefix="bench-dashboard-training-", ignore_cleanup_errors=True
    ) as temp:
        home = Path(temp) / "home"
        os.environ["MOVIERATE_HOME"] = str(home)
        train_and_save("ml-latest-small", ModelSpec(dim=8, epochs=3), "bench-tabs")
        env = dict(os.environ, MOVIERATE_HOME=str(home))
        env = bytecode_env(env, Path(temp) / "pycache")
        times: dict[str, list[float]] = {
            "idle": [], "dashboard training": [], "CLI training, not niced": []
        }  # fmt: skip
        load_before = os.getloadavg()[0]
        with (Path(temp) / "log").open("w") as log, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            server, url = start_streamlit(env, log)
            try:
                wait_healthy(url, server)
                open_tabs(browser, url, "bench-tabs")  # warm every page once
                for run in range(args.runs):
                    times["idle"] += open_tabs(browser, url, "bench-tabs")
                    page = dashboard_training(browser, url, f"bench-dash-{run}")
                    time.sleep(WARM_UP_S)
                    times["dashboard training"] += open_tabs(browser, url, "bench-tabs")
                    page.get_by_role("button", name="Cancel this run").click()
                    page.get_by_text("Cancelled: nothing was saved").wait_for(timeout=120_000)
                    page.close()  # the child has ended: it writes nothing more
                    cli = cli_training(env, f"bench-cli-{run}", log)
                    time.sleep(WARM_UP_S)
                    times["CLI training, not niced"] += open_tabs(browser, url, "bench-tabs")
                    cli.terminate()
                    cli.wait(60)
                    print(f"run {run + 1}/{args.runs} done", file=sys.stderr, flush=True)
            finally:
                server.terminate()
                server.wait(30)
                browser.close()
    print(f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(markdown_table(times))


if __name__ == "__main__":
    main()
