"""Shared fixtures. MovieLens copies are read from one place: ``MOVIERATE_TEST_DATA``
(default ``../shared/data/movielens`` beside the checkout)."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import pytest
from apptest_helpers import movierate_env

from movierate import config

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TEST_DATA = REPO.parent / "shared" / "data" / "movielens"


#: Not a GroupLens download: the ml-1m layout with part of its ratings (README, "Tests").
SAMPLE = "ml-1m-sample"


def pytest_collection_modifyitems(config, items) -> None:
    """Skip, with how to make it, every test that reads ml-1m-sample (in its id, its code or
    its fixtures' code) where the test copies lack it (README review, s26: 14 errors)."""
    path = Path(os.environ.get("MOVIERATE_TEST_DATA", DEFAULT_TEST_DATA))
    # its ratings, not an empty folder a failed recipe left (recheck B, s26)
    if (path / SAMPLE / "ratings.dat").is_file() or not (path / "ml-latest-small").is_dir():
        return
    skip = pytest.mark.skip(
        reason=f'{SAMPLE} is not in {path}; the README\'s "Tests" says how to make it from ml-1m'
    )
    for item in items:
        functions = [getattr(item, "function", None)] + [
            definition.func
            for definitions in item._fixtureinfo.name2fixturedefs.values()
            for definition in definitions
        ]
        if SAMPLE in item.nodeid or any(SAMPLE in _source(f) for f in functions):
            item.add_marker(skip)


def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    """Folder holding ml-latest-small/, ml-100k/ (as GroupLens ships them) and the ml-1m sample
    (:data:`SAMPLE`)."""
    path = Path(os.environ.get("MOVIERATE_TEST_DATA", DEFAULT_TEST_DATA))
    if not (path / "ml-latest-small").is_dir():
        pytest.skip(f"MovieLens test copies not found at {path}; set MOVIERATE_TEST_DATA")
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch, request) -> Path:
    """Every test writes under its own MOVIERATE_HOME, never the user's ~/.movierate.

    Datasets are found through MOVIERATE_DATA_DIR pointing at the shared read-only copies.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    monkeypatch.setattr(config, "_RESOLVED", {})  # relative settings: resolved once per test
    monkeypatch.delenv("MOVIERATE_MODELS_DIR", raising=False)
    # a save the store refuses keeps the model in the system's temporary folder: not /tmp
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("system-tmp")))
    test_data = Path(os.environ.get("MOVIERATE_TEST_DATA", DEFAULT_TEST_DATA))
    if test_data.is_dir():
        monkeypatch.setenv("MOVIERATE_DATA_DIR", str(test_data))
    else:
        monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    return home


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    """A MOVIERATE_HOME shared by the session-scoped trained models below."""
    return tmp_path_factory.mktemp("session-home")


@pytest.fixture(scope="session")
def small_model_home(session_home: Path, movielens_dir: Path) -> Path:
    """A home holding two quick models trained on ml-latest-small (dim 16, a few epochs):
    ``small-mf`` (mf_bias, L2) and ``small-deep`` (deep). Trained once per test session.

    Tests that use it set MOVIERATE_HOME to the returned folder (see ``trained_home``).
    """
    from movierate.pipeline import train_and_save

    with movierate_env(session_home, movielens_dir):
        for name, spec in _small_specs().items():
            if not (session_home / "models" / name).is_dir():
                train_and_save("ml-latest-small", spec, name)
    return session_home


def _small_specs():
    from movierate.spec import ModelSpec

    return {
        "small-mf": ModelSpec(family="mf_bias", dim=16, epochs=8, regularizers={"l2": 1e-4}),
        "small-deep": ModelSpec(family="deep", dim=16, epochs=4, hidden_units=(32, 8)),
    }


@pytest.fixture
def trained_home(small_model_home: Path, monkeypatch) -> Path:
    """Point MOVIERATE_HOME at the session's trained models for one test."""
    monkeypatch.setenv("MOVIERATE_HOME", str(small_model_home))
    return small_model_home
