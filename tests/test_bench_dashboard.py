"""benchmarks/bench_dashboard.py's helpers: the servers' byte-code folder and the table of
medians with each page start's ratio to the bare app."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks import bench_dashboard as bench


def test_bytecode_env_compiles_the_app_into_its_own_folder(tmp_path):
    env = bench.bytecode_env({"PYTHONDONTWRITEBYTECODE": "1", "KEEP": "x"}, tmp_path / "pyc")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pyc")
    assert env["KEEP"] == "x"
    tag = sys.implementation.cache_tag
    ui = tmp_path / "pyc" / bench.REPO.relative_to("/") / "movierate" / "ui"
    assert (ui / f"shell.{tag}.pyc").is_file()
    assert list((tmp_path / "pyc" / bench.REPO.relative_to("/") / "pages").rglob("*.pyc"))


def test_table_gives_medians_and_ratios_of_starts_only():
    runs = [
        {bench.BARE_STEP: 2.0, "start -> home": 3.0, "Compare: first open (from Home)": 4.0},
        {bench.BARE_STEP: 4.0, "start -> home": 5.0, "Compare: first open (from Home)": 1.0},
        {bench.BARE_STEP: 3.0, "start -> home": 6.0, "Compare: first open (from Home)": 2.0},
    ]
    lines = bench.markdown_table(runs).splitlines()
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in lines[2:]
    }
    assert rows[bench.BARE_STEP] == ["3.00", "2.00-4.00", "1.00", "3"]
    assert rows["start -> home"] == ["5.00", "3.00-6.00", "1.67", "3"]
    assert rows["Compare: first open (from Home)"] == ["2.00", "1.00-4.00", "", "3"]


def test_drawn_starts_are_compared_with_the_bare_app_drawn():
    drawn = bench.BARE_STEP + bench.DRAWN
    runs = [
        {bench.BARE_STEP: 2.0, drawn: 4.0, "start -> home": 3.0, "start -> home" + bench.DRAWN: 5.0}
    ]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in bench.markdown_table(runs).splitlines()[2:]
    }
    assert rows["start -> home"][2] == "1.50"
    assert rows["start -> home" + bench.DRAWN][2] == "1.25"


def test_a_step_left_out_of_some_runs_keeps_its_row_and_count():
    step = "Compare: tab Accuracy (drawn before)"
    runs = [
        {bench.BARE_STEP: 2.0},
        {bench.BARE_STEP: 2.0, step: 0.4},
        {bench.BARE_STEP: 2.0, step: 0.6},
    ]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in bench.markdown_table(runs).splitlines()[2:]
    }
    assert rows[step] == ["0.50", "0.40-0.60", "", "2"]


def test_training_table_gives_each_states_ratio_to_idle():
    from benchmarks import bench_dashboard_training as training

    table = training.markdown_table(
        {"idle": [2.0, 1.0, 3.0], "dashboard training": [3.0, 4.0, 5.0]}
    ).splitlines()
    assert table[2] == "| idle | 2.00 | 1.00-3.00 | 1.00 | 3 |"
    assert table[3] == "| dashboard training | 4.00 | 3.00-5.00 | 2.00 | 3 |"


def test_every_page_marker_is_text_the_page_draws():
    """Two markers ("Near-zero bars", "Explore the embedding") were captions changed on
    2026-12-03, so every later run waited 120 s on Embeddings and stopped: each marker must
    still be written by the page or the package."""
    root = Path(__file__).resolve().parents[1]
    sources = " ".join(
        path.read_text(encoding="utf-8")
        for folder in ("pages", "movierate")
        for path in (root / folder).rglob("*.py")
    )
    for key, (_, marker, _) in bench.PAGES.items():
        assert marker in sources, (key, marker)
