"""Shared AppTest helpers: open a dashboard page through the router with URL parameters, and
check that it rendered without an exception or an error box."""

from __future__ import annotations

import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, *, timeout: float = 180, **query: str) -> AppTest:
    """Run app.py, set ``query`` as the link's parameters, switch to ``page``; assert clean."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def charts(at: AppTest) -> list[dict]:
    """The plotly figures on the page, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def until_map_ready(at: AppTest, timeout: float = 300) -> list[float]:
    """Rerun the page while a map computes in the background (its progress bar shows); the
    fractions seen, in order. Fails if the map is still running after ``timeout`` seconds."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while bars := at.get("progress"):
        seen.append(float(bars[0].proto.value) / 100)
        assert time.monotonic() < deadline, "the map is still computing"
        time.sleep(0.3)
        at.run()
    assert_clean(at)
    return seen
