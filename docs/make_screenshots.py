"""Regenerate the README screenshots in ``docs/screenshots/`` from a real dashboard session.

Starts ``streamlit run app.py`` with a temporary ``MOVIERATE_HOME``, trains two models through
the Train page with the product defaults (ml-latest-small; the second adds whitening 0.1), then
visits every page in headless Chromium and saves a full-page PNG of each (the first screen
when a full page would pass 1 MB). Needs MovieLens
copies (``MOVIERATE_DATA_DIR``) and Debian's chromium, like ``tests/test_browser.py``:

    MOVIERATE_DATA_DIR=../shared/data/movielens python -m docs.make_screenshots
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the browser test's own imports (browser_helpers)

from tests.browser_helpers import (  # noqa: E402
    launch_chromium,
    settle,
    start_streamlit,
    stop_server,
    wait_healthy,
)
from tests.test_browser import _no_exception, _open, _screenshot, _train_form  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def train(page, name: str, whitening: str) -> None:
    """Train one model with the form's defaults (plus ``whitening``) and wait until saved."""
    form = _train_form(page)
    form.get_by_label("Whitening (covariance towards identity)", exact=True).fill(whitening)
    form.get_by_label("Model name", exact=True).fill(name)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(f"Saved as {name}").wait_for(timeout=600_000)
    settle(page)
    _no_exception(page, f"Train {name}")


#: Largest PNG kept full-page; a taller page is shot as its first screen instead.
MAX_BYTES = 1_000_000


def wait_quiet(page, quiet: float = 2.0, timeout: float = 90.0) -> None:
    """Wait until the page's DOM has stopped changing for ``quiet`` seconds (charts and tables
    still drawing after the script run ended), or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        size = page.evaluate("() => document.body.innerHTML.length")
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        page.wait_for_timeout(250)


def shot(page, name: str) -> None:
    """Fail on a page that shows an error; otherwise save its full-page screenshot (or, when
    that is over :data:`MAX_BYTES`, the first screen of it)."""
    wait_quiet(page)
    _no_exception(page, name)
    path = _screenshot(page, OUT, name)
    if path.stat().st_size > MAX_BYTES:
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=False)


def main() -> None:
    import argparse

    argparse.ArgumentParser(
        prog="python -m docs.make_screenshots",
        description=__doc__.split("\n\n")[0],
        epilog="Needs MOVIERATE_DATA_DIR (MovieLens copies), Debian's chromium and Playwright "
        "(pip install -r requirements-test.txt).",
    ).parse_args()  # --help, and nothing else (onboarding review: --help started a run)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # README review (s26): a traceback after the dashboard's install
        sys.exit("error: needs Playwright: pip install -r requirements-test.txt")
    if not os.environ.get("MOVIERATE_DATA_DIR"):
        sys.exit(
            "error: set MOVIERATE_DATA_DIR to a folder of MovieLens copies (e.g. "
            "../shared/data/movielens): the screenshots train on ml-latest-small."
        )
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="movierate-shots-"))
    env = dict(os.environ, MOVIERATE_HOME=str(home))
    server, url = start_streamlit(env)
    timings: dict[str, float] = {}
    try:
        wait_healthy(url, server)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            page.get_by_text("Quick start").first.wait_for(timeout=30_000)
            settle(page)
            _open(page, "Train", "Start training", timings)
            train(page, "mf-bias-whitening", "0.1")
            train(page, "mf-bias-l2", "0")
            shot(page, "train")
            _open(page, "Compare", "Learning curves", timings)  # the Accuracy tab (lazy tabs)
            shot(page, "compare")
            page.get_by_text("Add each model's exact whitening").click()
            page.get_by_text("whitened by construction").first.wait_for(timeout=300_000)
            settle(page, timeout=300_000)
            shot(page, "compare-exact")
            _open(page, "Embeddings", "Principal components", timings)
            shot(page, "embeddings-pca")
            page.get_by_role("tab", name="Map").click()
            page.get_by_role("button", name="Compute map").wait_for(timeout=60_000)
            settle(page)
            page.get_by_role("button", name="Compute map").click()
            page.get_by_text("t-SNE places movies").wait_for(timeout=900_000)
            settle(page)
            page.get_by_text("How far to trust this map").wait_for(timeout=60_000)
            shot(page, "embeddings-one-genre")
            page.get_by_label("Find a movie", exact=True).fill("toy story")
            page.get_by_label("Find a movie", exact=True).press("Enter")
            page.get_by_text("Nearest to").first.wait_for(timeout=30_000)
            settle(page)
            shot(page, "embeddings-tsne")
            _open(page, "Dimensions", "Spearman", timings)
            page.get_by_text("Numbers per dimension").wait_for(timeout=300_000)
            shot(page, "dimensions")
            _open(page, "Explore", "AUC leave-one-out", timings)
            page.get_by_text("Furthest towards B").wait_for(timeout=120_000)
            shot(page, "explore-axes")
            _open(page, "Neighbours", "Movie title", timings)
            page.get_by_label("Movie title", exact=True).fill("matrix 1999")
            page.get_by_label("Movie title", exact=True).press("Enter")
            page.get_by_role("heading", name=re.compile("Matrix")).wait_for(timeout=30_000)
            settle(page)
            shot(page, "neighbours")
            _open(page, "Recommend", "Sample a user", timings)
            page.get_by_role("button", name="Sample a user").click()
            settle(page)
            shot(page, "recommend")
            # Toy Story, Star Wars, The Matrix, Shawshank, Pulp Fiction: ratings in the URL
            page.goto(f"{url}/rate?model=mf-bias-l2&rated=1:5,260:4.5,2571:5,318:4,296:2")
            page.get_by_text("Recommended for you").first.wait_for(timeout=120_000)
            settle(page)
            shot(page, "rate")
            _open(page, "Home", "Trained models", timings)
            shot(page, "home")
            browser.close()
    finally:
        stop_server(server)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
