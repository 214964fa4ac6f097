"""Dashboard speed in a real browser: every page's start against a bare Streamlit app's, and
Compare's first open and widget changes.

Two models of ml-latest-small are trained once into a temporary MOVIERATE_HOME (not timed;
``--home DIR`` uses the models already saved in DIR instead: the first two are compared).
Each run then, in headless Chromium through Playwright:

1. starts a bare one-line Streamlit script and times server start -> rendered (what Streamlit
   itself costs here): once untimed (a browser's first page and a cold disk cache would
   otherwise be billed to it), then once before each page's start (the medians are its row);
2. for every dashboard page, starts a fresh ``streamlit run app.py`` and times server start ->
   that page rendered and its script run finished (opened by its URL, models in the link);
3. starts one more server, opens Home, then clicks Compare in the sidebar (first open: its
   Accuracy tab; the other tabs run only when opened) and opens each tab and changes each of
   its widgets, timing each until the run it started has finished and what it changes shows.

Every step is timed twice: until its script run finished and the text it changes shows, and
until it is **drawn**: the browser's main thread then did no long task (>= 50 ms, the Long Tasks
API) for QUIET_MS; the time is that of the last long task's end. A page's first Plotly chart, for
one, loads and runs Plotly's JavaScript chunk (~1 s here) after the run has finished: the
first timing misses it, and without the second it would be billed to the next step.

Prints a markdown table of medians (min-max) over the runs, with each page's ratio to the
bare app (target <= 1.3x) and the Compare targets (open <= 2 s, every change <= 1 s), and the
1-minute load average before and after (2 shared cores: compare ratios, not absolute times).
Uses the helpers of ``tests/browser_helpers.py``.

Byte code: the servers keep compiled modules in a byte-code folder of their own
(``PYTHONPYCACHEPREFIX``, filled before the first timed start), as an installed app does; with
``PYTHONDONTWRITEBYTECODE`` set (as in this project's shells) every start would otherwise
recompile the app's ~70 modules (~0.15 s of CPU) that the one-line bare app does not have.

``--charts`` adds a bare app with pandas loaded and no chart, one Plotly chart, or the same chart
in Vega-Lite: what a browser tab's first chart of each library costs (the curves, bars and
heatmaps are Vega-Lite since it drew ~1 s sooner: ``movierate.ui.charts``); and one drawing
Home's Streamlit elements without any movierate code: what Streamlit's own elements cost a start
(each kind loads its JavaScript chunk from the server once the run sends it), the peer that shows
how much of a page's ratio to the one-line app is Streamlit's and how much the page's own.

``--server-side`` adds the same Compare steps run without a browser (Streamlit's AppTest, in
a fresh process, so caches are cold): how much of each step is the server's script run; the
rest is the browser drawing the page (Plotly charts, data grids).

    MOVIERATE_DATA_DIR=../shared/data/movielens nice -n 5 python -m benchmarks.bench_dashboard \\
        [--runs 3] [--home DIR] [--skip-starts] [--server-side] [--charts]
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
from urllib.parse import urlencode

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser_helpers import CHROMIUM, launch_chromium, start_streamlit, wait_healthy

REPO = Path(__file__).resolve().parents[1]
BARE_APP = 'import streamlit as st\n\nst.write("bare streamlit")\n'
#: ``--charts``: the bare app with pandas and pyarrow loaded (as the dashboard has them before
#: its first chart), with no chart, with one Plotly chart, with the same chart in Vega-Lite, and
#: with Home's Streamlit elements.
CHART_DATA = """import pandas as pd
import pyarrow  # noqa: F401
import streamlit as st

st.write("bare streamlit")
FRAME = pd.DataFrame(
    [{"epoch": i + 1, "y": 1 / (i + k + 1), "run": f"run {k}"} for k in range(4) for i in range(20)]
)
"""
CHART_APPS = {
    "bare + pandas, no chart": CHART_DATA,
    "bare + pandas, one Plotly chart": CHART_DATA
    + """import plotly.graph_objects as go

fig = go.Figure()
for run, part in FRAME.groupby("run"):
    fig.add_scatter(x=part["epoch"], y=part["y"], mode="lines+markers", name=run)
st.plotly_chart(fig)
""",
    "bare + pandas, one Vega-Lite chart": CHART_DATA
    + """st.vega_lite_chart(FRAME, {
    "mark": {"type": "line", "point": True},
    "encoding": {"x": {"field": "epoch", "type": "quantitative"},
                 "y": {"field": "y", "type": "quantitative"},
                 "color": {"field": "run", "type": "nominal"}},
})
""",
    #: Home's first view drawn with Streamlit alone: the same kinds and numbers of elements
    #: (sidebar links, columns, buttons, two data frames, expanders, selects, uploaders), no
    #: movierate code: what Streamlit's own elements cost a start.
    "bare + pandas, Home's Streamlit elements": CHART_DATA
    + """with st.sidebar:
    st.markdown("### movierate")
    for i in range(10):
        st.page_link(f"https://example.com/{i}", label=f"Page {i}")
st.title("Home")
for i, col in enumerate(st.columns(3)):
    col.subheader(f"Section {i}")
    col.caption("Some **text**")
    col.button(f"Button {i}")
st.divider()
st.dataframe(FRAME.head(3))
st.dataframe(FRAME.tail(2))
with st.expander("Rename or delete a model"):
    st.selectbox("Model", ["a", "b"])
    st.text_input("New name")
    left, right = st.columns(2)
    left.button("Rename")
    right.button("Delete")
for i in range(2):
    with st.expander(f"Upload {i}"):
        st.file_uploader(f"File {i}")
st.selectbox("Dataset", ["x", "y"])
st.file_uploader("A zip")
""",
}
#: page key -> (URL path, text that shows once it rendered, link parameters: "one", "two")
PAGES: dict[str, tuple[str, str, str]] = {
    "home": ("", "Quick start", ""),
    "train": ("train", "Start training", ""),
    "compare": ("compare", "Learning curves", "two"),
    "embeddings": ("embeddings", "Cell (i, j)", "one"),
    "dimensions": ("dimensions", "Dimensions", "one"),
    "explore": ("explore", "Questions the Embedding Projector", "one"),
    "neighbours": ("neighbours", "Movie title", "two"),
    "recommend": ("recommend", "Sample a user", "two"),
    "rate": ("rate", "Rate movies", "one"),
}
BARE_STEP = "bare Streamlit: server start -> rendered"
#: A step is drawn once the browser's main thread did no long task for this long (ms).
QUIET_MS = 400
#: How long a Compare step may take before it is given up (and left out of its run).
STEP_TIMEOUT_MS = 30_000
#: Suffix of a step's drawn timing in the table.
DRAWN = ", drawn"
#: JavaScript: keep the end times of the page's long tasks (those before the observer too).
WATCH_LONG_TASKS = """() => {
  window.__longTaskEnds = [];
  new PerformanceObserver(list => list.getEntries().forEach(
      e => window.__longTaskEnds.push(e.startTime + e.duration)))
    .observe({type: 'longtask', buffered: true});
}"""
#: JavaScript: wait until the main thread did no long task for QUIET_MS after ``since`` (ms,
#: page clock); return when it was last busy. A long task's entry arrives after the task, so a
#: 50 ms timer that fires late counts as the thread having been busy until then.
DRAWN_AT = """async ([since, quiet]) => {
  let last = since;
  const give_up = performance.now() + 60000;
  while (performance.now() < give_up) {
    const before = performance.now();
    await new Promise(resolve => setTimeout(resolve, 50));
    const now = performance.now();
    if (now - before > 100) last = Math.max(last, now);
    last = Math.max(last, ...window.__longTaskEnds);
    if (now - last >= quiet) break;
  }
  return last;
}"""
#: JavaScript: record every change of the app's script state (running / notRunning).
WATCH_RUNS = """() => {
  window.__runs = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => window.__runs.push(app.getAttribute('data-test-script-state')))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
RUN_FINISHED = """(since) => {
  const runs = window.__runs.slice(since);
  const started = runs.indexOf('running');
  const app = document.querySelector("[data-testid='stApp']");
  return started >= 0 && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def bytecode_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` with byte code written to (and read from) ``folder``, which is filled now for
    the app's own code (the installed packages have theirs)."""
    env = dict(env, PYTHONPYCACHEPREFIX=str(folder))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "app.py", "pages", "movierate"],
        cwd=REPO, env=env, check=True,
    )  # fmt: skip
    return env


def train_models(home: Path) -> list[str]:
    """Two models of ml-latest-small in ``home`` (default spec, and whitening): their names."""
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    os.environ["MOVIERATE_HOME"] = str(home)
    names = []
    for name, regularizers in (("bench-l2", {"l2": 0.1}), ("bench-whitening", {"whitening": 1e-2})):
        train_and_save("ml-latest-small", ModelSpec(regularizers=regularizers), name)
        names.append(name)
    return names


def wait_run(page, since: int, marker: str | None = None, timeout: float = 120_000) -> None:
    """Wait until a script run started after the ``since``-th state change has finished (and
    ``marker`` shows, if given)."""
    if marker:
        page.get_by_text(marker, exact=False).first.wait_for(timeout=timeout)
    page.wait_for_function(RUN_FINISHED, arg=since, timeout=timeout, polling=20)


def runs_seen(page) -> int:
    return int(page.evaluate("() => window.__runs.length"))


def drawn_at(page, since_ms: float) -> float:
    """Wait until the page did no long task for QUIET_MS; the page-clock time (ms) it was
    drawn: the end of its last long task, or ``since_ms`` if none came after it."""
    return float(page.evaluate(DRAWN_AT, [since_ms, QUIET_MS]))


def time_start(browser, script: str, cwd: Path, env: dict, marker: str, path: str, log):
    """Start a server, open ``path``, wait for ``marker`` and the end of the run, then until
    drawn; (seconds to the run's end, seconds to drawn, page, server)."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    start = time.perf_counter()
    server, url = start_streamlit(env, log, script, cwd)
    wait_healthy(url, server)
    opened = time.perf_counter() - start  # the page clock starts about here
    page.goto(f"{url}/{path}")
    page.get_by_text(marker, exact=False).first.wait_for(timeout=120_000)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000
    )
    seconds = time.perf_counter() - start
    page.evaluate(WATCH_LONG_TASKS)
    drawn = opened + drawn_at(page, (seconds - opened) * 1e3) / 1e3
    return seconds, drawn, page, server


def stop(page, server) -> None:
    page.close()
    server.terminate()
    server.wait(timeout=30)


def bare_start(browser, env, bare_dir: Path, log) -> dict[str, float]:
    """The bare one-line app: server start -> rendered, and -> drawn."""
    seconds, drawn, page, server = time_start(
        browser, "bare.py", bare_dir, env, "bare streamlit", "", log
    )
    stop(page, server)
    return {BARE_STEP: seconds, BARE_STEP + DRAWN: drawn}


def chart_starts(browser, env, bare_dir: Path, log) -> dict[str, float]:
    """Server start -> rendered and -> drawn for each of :data:`CHART_APPS`: what a browser tab's
    first chart costs with each library."""
    timings: dict[str, float] = {}
    for i, (label, script) in enumerate(CHART_APPS.items()):
        (bare_dir / f"chart{i}.py").write_text(script)
        seconds, drawn, page, server = time_start(
            browser, f"chart{i}.py", bare_dir, env, "bare streamlit", "", log
        )
        stop(page, server)
        timings[label], timings[label + DRAWN] = seconds, drawn
    return timings


def page_starts(browser, env, bare_dir: Path, models: list[str], log) -> dict[str, float]:
    """Server start -> rendered: every page by its URL, each right after a start of the bare
    app (whose timings are the medians of those starts: the machine's speed drifts, and the
    first start of a browser or of a cold disk cache would otherwise be billed to one side)."""
    bare: list[dict[str, float]] = []
    timings: dict[str, float] = {}
    for key, (path, marker, which) in PAGES.items():
        bare.append(bare_start(browser, env, bare_dir, log))
        query = ""
        if which == "one":
            query = "?" + urlencode({"model": models[0]})
        elif which == "two":
            query = "?" + urlencode({"models": models[:2]}, doseq=True)
        seconds, drawn, page, server = time_start(
            browser, "app.py", REPO, env, marker, path + query, log
        )
        timings[f"start -> {key}"], timings[f"start -> {key}{DRAWN}"] = seconds, drawn
        stop(page, server)
    medians = {step: statistics.median(b[step] for b in bare) for step in bare[0]}
    return {**medians, **timings}


def act(page, timings: dict[str, float], label: str, action, marker: str | None = None) -> None:
    """Do ``action`` and time it until its run finished (and ``marker`` shows), then until
    drawn (the page was quiet before ``action``: every step waits for that)."""
    since = runs_seen(page)
    clicked = page.evaluate("() => performance.now()")
    start = time.perf_counter()
    action()
    try:
        wait_run(page, since, marker, timeout=STEP_TIMEOUT_MS)
    except PlaywrightTimeout:
        # Seen twice in ~15 runs after a tab click: no run seen as "running" (a rerun fast
        # enough never to render that state, probably); the step is left out, not the run.
        print(f"{label}: no finished run seen in {STEP_TIMEOUT_MS / 1e3:.0f} s; left out",
              file=sys.stderr, flush=True)  # fmt: skip
        page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000
        )
        return
    timings[label] = time.perf_counter() - start
    done = clicked + timings[label] * 1e3
    timings[label + DRAWN] = (drawn_at(page, done) - clicked) / 1e3


def compare_steps(browser, env, models: list[str], log) -> dict[str, float]:
    """Compare's first open from Home (cold caches), then one change of each widget."""
    timings: dict[str, float] = {}
    query = "?" + urlencode({"models": models[:2]}, doseq=True)
    _, _, page, server = time_start(browser, "app.py", REPO, env, "Quick start", query, log)
    try:
        page.evaluate(WATCH_RUNS)
        sidebar = page.locator("[data-testid='stSidebar'] a", has_text="Compare").first
        act(page, timings, "Compare: first open (from Home)", sidebar.click, "Learning curves")

        def tab(name: str):
            return lambda: page.get_by_role("tab", name=name).click()

        def slide(label: str):
            def press() -> None:
                page.locator(f"input[type=range][aria-label='{label}']").press("ArrowRight")

            return press

        act(page, timings, "Compare: tab Embedding spaces", tab("Embedding spaces"),
            "shared colour scale")  # fmt: skip
        act(
            page,
            timings,
            "Compare: matrix -> correlation",
            lambda: page.get_by_role("radio", name="correlation", exact=True).click(),
            "Correlation matrices",
        )
        label = "Movies considered: at least this many ratings"
        act(page, timings, "Compare: min. ratings 10 -> 11", slide(label),
            "movies with at least 11 ratings")  # fmt: skip
        act(page, timings, "Compare: tab Spectra", tab("Spectra"),
            "Over the movies with at least 11 ratings")  # fmt: skip
        act(page, timings, "Compare: tab Movie by movie", tab("Movie by movie"),
            "Mean Jaccard@10")  # fmt: skip
        act(page, timings, "Compare: k neighbours 10 -> 11", slide("k neighbours"),
            "Mean Jaccard@11")  # fmt: skip
        act(page, timings, "Compare: tab Accuracy (drawn before)", tab("Accuracy"),
            "Learning curves")  # fmt: skip
        act(
            page,
            timings,
            "Compare: add exact whitenings",
            lambda: page.get_by_role("switch", name="Add each model's exact whitening").click(
                force=True
            ),
            "whitened by construction",
        )
        changes = {k: v for k, v in timings.items() if "open" not in k}
        timings["Compare: slowest change"] = max(
            v for k, v in changes.items() if not k.endswith(DRAWN)
        )
        timings["Compare: slowest change" + DRAWN] = max(
            v for k, v in changes.items() if k.endswith(DRAWN)
        )
    finally:
        stop(page, server)
    return timings


#: AppTest (no browser) version of :func:`compare_steps`, run in a fresh process.
SERVER_SIDE = """
import json, sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
for key, value in json.loads(sys.argv[2]).items():
    at.query_params[key] = value
out = {}
def timed(label, action):
    start = time.perf_counter()
    action()
    assert not at.exception, [e.message for e in at.exception]
    out[label] = time.perf_counter() - start
def tab(name):
    at.query_params["section"] = name
    at.run()
timed("first open", lambda: at.switch_page("pages/compare.py").run())
timed("tab Embedding spaces", lambda: tab("Embedding spaces"))
timed("matrix -> correlation", lambda: at.segmented_control(key="matrix").set_value("correlation").run())
timed("min. ratings 10 -> 11", lambda: at.slider(key="min_ratings").set_value(11).run())
timed("tab Spectra", lambda: tab("Spectra"))
timed("tab Movie by movie", lambda: tab("Movie by movie"))
timed("k neighbours 10 -> 11", lambda: at.slider(key="pair_k").set_value(11).run())
timed("tab Accuracy (drawn before)", lambda: tab("Accuracy"))
timed("add exact whitenings", lambda: at.toggle(key="exact").set_value(True).run())
print(json.dumps(out))
"""


def server_side_steps(env: dict[str, str], models: list[str]) -> dict[str, float]:
    """The Compare steps without a browser (AppTest, cold caches): the server's share."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", SERVER_SIDE, str(REPO / "app.py"),
         json.dumps({"models": models[:2]})],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    return {f"Compare, server only (AppTest): {k}": v for k, v in steps.items()}


def markdown_table(runs: list[dict[str, float]]) -> str:
    """Medians and ranges per step; a start's ratio is to the bare app's start, timed the same
    way (to its run's end, or to drawn)."""
    bare = statistics.median(run[BARE_STEP] for run in runs)
    bare_drawn = statistics.median(run.get(BARE_STEP + DRAWN, run[BARE_STEP]) for run in runs)
    lines = [
        "| step | median (s) | min-max (s) | x bare Streamlit | runs |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in dict.fromkeys(step for run in runs for step in run):
        values = [run[step] for run in runs if step in run]
        median = statistics.median(values)
        peer = bare_drawn if step.endswith(DRAWN) else bare
        ratio = f"{median / peer:.2f}" if step.startswith(("start", "bare")) else ""
        lines.append(
            f"| {step} | {median:.2f} | {min(values):.2f}-{max(values):.2f} | {ratio} "
            f"| {len(values)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--home", type=Path, help="use the models saved in this MOVIERATE_HOME")
    parser.add_argument("--skip-starts", action="store_true", help="only the Compare steps")
    parser.add_argument(
        "--server-side", action="store_true", help="also the Compare steps without a browser"
    )
    parser.add_argument(
        "--charts",
        action="store_true",
        help="also bare apps with a Plotly / Vega-Lite chart or Home's elements",
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as temp:
        bare_dir = Path(temp) / "bare"
        bare_dir.mkdir()
        (bare_dir / "bare.py").write_text(BARE_APP)
        if args.home:
            home = args.home.resolve()
            os.environ["MOVIERATE_HOME"] = str(home)
            from movierate import store

            models = [info.name for info in store.list_models()[0]][:2]
        else:
            home = Path(temp) / "home"
            models = train_models(home)
        env = dict(os.environ, MOVIERATE_HOME=str(home))
        env.pop("MOVIERATE_MODELS_DIR", None)
        env = bytecode_env(env, Path(temp) / "pycache")
        load_before = os.getloadavg()[0]
        runs = []
        with (Path(temp) / "streamlit.log").open("w") as log, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            bare_start(browser, env, bare_dir, log)  # warm-up: a browser's first page, cold disk
            for i in range(args.runs):
                timings: dict[str, float] = {}
                if not args.skip_starts:
                    timings.update(page_starts(browser, env, bare_dir, models, log))
                else:
                    timings.update(bare_start(browser, env, bare_dir, log))
                if args.charts:
                    timings.update(chart_starts(browser, env, bare_dir, log))
                timings.update(compare_steps(browser, env, models, log))
                if args.server_side:
                    timings.update(server_side_steps(env, models))
                runs.append(timings)
                print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)
            browser.close()
    print(
        f"models: {', '.join(models[:2])}; 1-minute load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(markdown_table(runs))


if __name__ == "__main__":
    main()
