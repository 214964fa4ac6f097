"""Where movierate keeps its files, configured by environment variables.

- ``MOVIERATE_HOME`` (default ``~/.movierate``): root of everything movierate writes.
- ``MOVIERATE_DATA_DIR`` (optional): an extra folder searched first for extracted MovieLens
  folders or official zips (it may be read-only). Point it at a copy you already have to work
  offline.
- ``$MOVIERATE_HOME/data``: where downloads and uploads are stored and extracted.
- ``$MOVIERATE_HOME/cache``: fast binary (parquet) copies of parsed datasets.
- ``MOVIERATE_MODELS_DIR`` (default ``$MOVIERATE_HOME/models``): one folder per trained model.
"""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """Root folder of movierate's files (read from the environment on every call)."""
    return Path(os.environ.get("MOVIERATE_HOME", Path.home() / ".movierate")).expanduser()


def data_dir() -> Path:
    """Writable folder where downloaded or uploaded datasets are stored and extracted."""
    return home_dir() / "data"


def extra_data_dir() -> Path | None:
    """Optional (possibly read-only) folder searched first for datasets: ``MOVIERATE_DATA_DIR``."""
    env = os.environ.get("MOVIERATE_DATA_DIR")
    return Path(env).expanduser() if env else None


def cache_dir() -> Path:
    """Folder for parquet copies of parsed datasets and other rebuildable caches."""
    return home_dir() / "cache"


def models_dir() -> Path:
    """Folder holding one sub-folder per trained model."""
    env = os.environ.get("MOVIERATE_MODELS_DIR")
    return Path(env).expanduser() if env else home_dir() / "models"
