"""The examples in the package's docstrings run and print what they show.

Modules are found on disk (not imported to be found); the Streamlit UI helpers are imported
too (outside a script run their module-level code draws nothing; their examples went stale
unchecked while they were skipped); examples that need a dataset, a trained model or a long run
carry ``# doctest: +SKIP``. ``movierate.nn`` (TensorFlow) runs in its own test, skipped without it.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "movierate"
TENSORFLOW = ("movierate.nn",)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def _run(name: str) -> tuple[int, list[str]]:
    """(examples run, failure reports) for the docstrings of module ``name``."""
    module = importlib.import_module(name)
    reports: list[str] = []
    runner = doctest.DocTestRunner(verbose=False, optionflags=FLAGS)  # reports failures only
    ran = 0
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        result = runner.run(test, out=reports.append)
        ran += result.attempted - _skipped(test)
    return ran, reports


def _skipped(test: doctest.DocTest) -> int:
    return sum(1 for example in test.examples if example.options.get(doctest.SKIP))


LIGHT = [n for n in _module_names() if not n.startswith(TENSORFLOW)]
HEAVY = [n for n in _module_names() if n.startswith(TENSORFLOW)]


@pytest.mark.parametrize("name", LIGHT)
def test_docstring_examples_run(name):
    _, reports = _run(name)
    assert not reports, "\n".join(reports)


@pytest.mark.parametrize("name", HEAVY)
def test_tensorflow_docstring_examples_run(name):
    pytest.importorskip("tensorflow")
    _, reports = _run(name)
    assert not reports, "\n".join(reports)


def test_examples_are_found():
    """Guards the collection itself: modules known to hold runnable examples yield some."""
    for name in ("movierate.atomic", "movierate.progress", "movierate.data"):
        ran, _ = _run(name)
        assert ran > 0, name
