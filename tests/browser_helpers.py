"""What the headless-Chromium tests (and the browser benchmarks) share: Debian's chromium and
its launch, their marks, a Streamlit server on a free port, its health wait and stop, and the wait
for a script run to finish."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
STATUS = "[data-testid='stStatusWidget']"
#: Slow, browser-marked, and skipped only where Debian's chromium is absent.
BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until ``streamlit`` at ``url`` answers its health check (AssertionError if it exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("streamlit did not become healthy in time")


def start_streamlit(
    env: dict[str, str],
    log: IO | int = subprocess.DEVNULL,
    script: str = "app.py",
    cwd: Path = REPO,
) -> tuple[subprocess.Popen, str]:
    """``streamlit run script`` headless on a free port, not yet healthy; (process, url)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return server, f"http://localhost:{port}"


def stop_server(server: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate ``server``, killing it if it has not exited within ``timeout`` seconds."""
    server.terminate()
    try:
        server.wait(timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def launch_chromium(playwright):
    """Debian's headless chromium through Playwright (no sandbox, no GPU, as in containers)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
    )


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script run that the last action started has finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # the run may end before the widget shows
        page.wait_for_selector(STATUS, state="attached", timeout=700)
    page.wait_for_selector(STATUS, state="detached", timeout=timeout)
