"""What a page start costs the server, without a browser: each page's first script run in a
fresh process (Streamlit's AppTest): the run's wall time, the process's CPU seconds from its
start to the run's end (Python, Streamlit, then the page's imports and first view), and the
slow-to-import modules it loaded; against a bare one-line app in the same kind of process. CPU seconds move less than wall time on a shared machine, so this is the table to
compare commits with (``bench_dashboard`` adds the browser). The first run of a process pays
for the imports: what a user waits for after ``streamlit run``.

Every (page, run) is its own process, pages alternated within a run; byte code is cached in a
folder of the benchmark's own (as an installed app's is), filled by one untimed round.

    MOVIERATE_HOME=<home with two models> MOVIERATE_DATA_DIR=../shared/data/movielens \\
        python -m benchmarks.bench_page_starts [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = ["home", "train", "compare", "embeddings", "dimensions", "explore", "neighbours"]
PAGES += ["recommend", "rate"]
#: Modules that take ~0.2-5 s to import here; a page start should load none it does not need.
SLOW = ["scipy.stats", "scipy.special", "scipy.sparse", "sklearn", "plotly.graph_objects"]
SLOW += ["tensorflow"]
BARE_APP = 'import streamlit as st\n\nst.write("bare streamlit")\n'

PROBE = """
import json, os, sys, time
from streamlit.testing.v1 import AppTest
script, page, slow = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
at = AppTest.from_file(script, default_timeout=300)
if page not in ("bare", "home"):
    at.switch_page(f"pages/{page}.py")
wall = time.perf_counter()
at.run()
wall, cpu = time.perf_counter() - wall, time.process_time()
problems = [e.message for e in at.exception] + [e.value for e in at.error]
print(json.dumps({"wall": wall, "cpu": cpu, "problems": problems,
                  "loaded": [m for m in slow if m in sys.modules]}))
"""


def one_start(page: str, bare: Path, env: dict[str, str]) -> dict:
    """The first run of ``page`` (or the bare app) in a new process."""
    script = str(bare if page == "bare" else REPO / "app.py")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, script, page, ",".join(SLOW)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"{page}: the probe failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="movierate-page-starts-") as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE_APP)
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for page in ["bare", *PAGES]:  # untimed: fills the byte-code folder
            one_start(page, bare, env)
        results: dict[str, list[dict]] = {page: [] for page in ["bare", *PAGES]}
        for run in range(args.runs):
            for page in results:
                results[page].append(one_start(page, bare, env))
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr, flush=True)
    bare_cpu = statistics.median(r["cpu"] for r in results["bare"])
    print(
        "| first run | run wall s, median (min-max) | process CPU s, median | CPU x bare | slow imports |"
    )
    print("|---|---:|---:|---:|---|")
    for page, rows in results.items():
        walls = [r["wall"] for r in rows]
        cpu = statistics.median(r["cpu"] for r in rows)
        loaded = sorted({m for r in rows for m in r["loaded"]})
        problems = {p for r in rows for p in r["problems"]}
        note = f" (error: {sorted(problems)[0][:60]})" if problems else ""
        print(
            f"| {page} | {statistics.median(walls):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
            f"| {cpu:.2f} | {cpu / bare_cpu:.2f}x | {', '.join(loaded) or '-'}{note} |"
        )
    print(f"\n{args.runs} runs; 1-minute load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
