"""What the headless-Chromium tests share: Debian's chromium, their marks, a free port, a
server's health wait and the wait for a script run to finish."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

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


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script run that the last action started has finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # the run may end before the widget shows
        page.wait_for_selector(STATUS, state="attached", timeout=700)
    page.wait_for_selector(STATUS, state="detached", timeout=timeout)
