"""The browser's history in headless Chromium (views round 19, F1/F2): a sidebar move adds one
entry, and one Back returns to the page left as it was (Rate's ratings, Neighbours' title).
Streamlit's page switch pushed two entries of its own before the page's, so one Back showed
Rate with no ratings. Same launch rules as ``test_browser.py``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser_helpers import (
    BROWSER_MARKS,
    launch_chromium,
    settle,
    start_streamlit,
    stop_server,
    wait_healthy,
)

pytestmark = BROWSER_MARKS


def _settle(page, timeout: float = 60_000) -> None:
    settle(page, timeout)
    page.wait_for_timeout(300)


def _entries(page) -> int:
    return page.evaluate("history.length")


def _sidebar(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.locator("h1", has_text=title).first.wait_for(timeout=60_000)
    _settle(page)


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


@pytest.fixture
def model_home(tmp_path, movielens_dir, monkeypatch) -> Path:
    """A home with one tiny model ``h-a`` (dim 8, 2 epochs) of ml-latest-small."""
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path / "home"
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(movielens_dir))
    train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=8, epochs=2), "h-a")
    return home


def test_one_entry_per_move_and_one_back_restores_the_page(tmp_path, model_home):
    from playwright.sync_api import sync_playwright

    env = dict(os.environ)
    env.pop("MOVIERATE_MODELS_DIR", None)
    log = (tmp_path / "streamlit.log").open("w")
    server, url = start_streamlit(env, log)
    try:
        wait_healthy(url, server)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{url}/rate?model=h-a")
            page.locator("h1", has_text="Rate movies").first.wait_for(timeout=60_000)
            _settle(page)
            for title in ("Matrix", "Titanic"):
                before = _entries(page)
                box = page.locator("input[aria-label='Find a movie to rate']").first
                box.fill(title)
                box.press("Enter")
                _settle(page)
                page.get_by_role("button", name=re.compile("Add")).first.click()
                _settle(page)
                assert _entries(page) == before + 1, f"adding {title}"
            left = page.url
            assert "rated=" in left and "rated_on=" in left

            before = _entries(page)
            _sidebar(page, "Recommend")
            assert _entries(page) == before + 1, "a sidebar move adds one entry"
            assert "user=" not in page.url

            page.go_back()
            page.locator("h1", has_text="Rate movies").first.wait_for(timeout=60_000)
            _settle(page)
            assert page.url == left
            shown = _main_text(page)
            assert "Your ratings (2)" in shown, "one Back shows the ratings left there"
            assert "does not say which data set" not in shown

            page.go_forward()
            page.locator("h1", has_text="Recommend").first.wait_for(timeout=60_000)
            _settle(page)
            before = _entries(page)
            page.get_by_role("button", name=re.compile("Sample a user")).click()
            page.wait_for_url(re.compile(r"user="), timeout=60_000)  # the run may start late
            _settle(page)
            assert re.search(r"user=\d+(&|$)", page.url), page.url  # not user=420.0
            assert _entries(page) == before + 1, "a sampled user is one entry"
            before = _entries(page)
            _sidebar(page, "Neighbours")
            assert _entries(page) == before + 1
            box = page.locator("input[aria-label='Movie title']").first
            box.fill("Heat")
            box.press("Enter")
            _settle(page)
            assert _entries(page) == before + 2, "a title typed is one entry"
            assert "q=Heat" in page.url
            how_many = page.locator("[data-testid='stSlider']", has_text="How many")
            thumb = how_many.locator("input[type='range']").first
            thumb.focus()
            for _ in range(3):  # views round 21: each press was an entry to Back through
                page.keyboard.press("ArrowRight")
                _settle(page)
            assert "n=13" in page.url, page.url
            assert _entries(page) == before + 2, "a slider nudged updates the entry it is on"
            _sidebar(page, "Embeddings")
            assert _entries(page) == before + 3

            page.go_back()
            page.locator("h1", has_text="Neighbours").first.wait_for(timeout=60_000)
            _settle(page)
            title = page.locator("input[aria-label='Movie title']").first
            assert title.input_value() == "Heat", "one Back keeps the title typed"
            assert _entries(page) == before + 3, "Back adds no entry"
            browser.close()
    finally:
        stop_server(server)
        log.close()
