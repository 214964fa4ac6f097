"""Shared AppTest helpers: open a dashboard page through the router with URL parameters, and
check that it rendered without an exception or an error box."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@dataclass
class Event:
    """A progress event as a training's runner sends it (tests' fake runners)."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    phase: str
    metrics: dict = field(default_factory=dict)


def open_page(page: str, *, timeout: float = 180, errors: bool = False, **query: str) -> AppTest:
    """Run app.py, set ``query`` as the link's parameters, switch to ``page``; assert clean
    (with ``errors``: only no exception, an error box being what the test reads)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    if not errors:
        assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@contextmanager
def movierate_env(home: Path, data_dir: Path) -> Iterator[None]:
    """MOVIERATE_HOME and MOVIERATE_DATA_DIR set for the block, then restored (module- and
    session-scoped fixtures cannot use monkeypatch)."""
    old = {k: os.environ.get(k) for k in ("MOVIERATE_HOME", "MOVIERATE_DATA_DIR")}
    os.environ["MOVIERATE_HOME"], os.environ["MOVIERATE_DATA_DIR"] = str(home), str(data_dir)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def every_page(model: str) -> list[tuple[str, dict[str, str]]]:
    """(page, link parameters) that open the saved ``model`` on every dashboard page and view;
    for :func:`assert_page_opens` (Recommend samples user 1 of the model's dataset)."""
    return [
        ("embeddings", {"model": model}),
        ("embeddings", {"model": model, "view": "Principal components"}),
        ("neighbours", {"models": model, "q": "matrix 1999"}),
        ("recommend", {"user": "1"}),
        ("compare", {"models": model}),
        ("dimensions", {"model": model}),
        ("explore", {"model": model, "view": "axes", "xa": "Comedy", "xb": "Drama"}),
        ("explore", {"model": model, "view": "probes"}),
        ("explore", {"model": model, "view": "users"}),
        ("rate", {"model": model, "rated": "1:5,50:4,100:1"}),
    ]


def assert_page_opens(page: str, query: dict[str, str]) -> None:
    """The page opens cleanly with ``query`` and shows a table, a chart or a metric (Compare
    with one model: against its exact whitening)."""
    at = open_page(f"pages/{page}.py", **query)
    if page == "compare":
        at.toggle(key="exact").set_value(True).run()
    assert_clean(at)
    shown = at.get("plotly_chart") or at.get("vega_lite_chart")
    assert at.dataframe or shown or at.metric, f"{page} shows nothing"


def charts(at: AppTest) -> list[dict]:
    """The plotly figures on the page, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def vega_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite charts on the page, as dicts (strict JSON: a NaN would fail here as it
    fails in the browser), each with its data back under ``data.values`` (Streamlit sends a
    spec's inline rows as an Arrow table beside it)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    specs = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec, parse_constant=_no_constant)
        if chart.proto.HasField("data"):
            frame = convert_arrow_bytes_to_pandas_df(chart.proto.data.data)
            spec["data"] = {"values": frame.to_dict("records")}
        specs.append(spec)
    return specs


def _no_constant(name: str):
    raise ValueError(f"a chart spec holds {name}, which is not JSON")


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
