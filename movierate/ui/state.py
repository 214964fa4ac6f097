"""Dashboard state shared across pages and sessions: caches, model loading, datasets, jobs.

Caching: a saved model is identified by its name plus the modification time of its
``meta.json`` (:func:`model_key`), so retraining a model under the same name never serves
stale results. :func:`cached` memoises any ``movierate.explore`` call on that key plus its
parameters. Nothing here imports TensorFlow: models are read through ``movierate.store``
(numpy).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from movierate import config, store
from movierate.errors import DataError
from movierate.jobs import JobRegistry
from movierate.ui import figures

T = TypeVar("T")

#: The dataset a first-time user should start with, in order of preference.
PREFERRED_DATASETS = ("ml-latest-small", "ml-100k", "ml-1m")


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    """The process-wide training job registry, shared by every session and page."""
    return JobRegistry()


def _models_dir_signature() -> tuple[str, int]:
    folder = config.models_dir()
    try:
        return str(folder), folder.stat().st_mtime_ns
    except OSError:
        return str(folder), 0


@st.cache_data(show_spinner=False, max_entries=32)
def _list_models(signature: tuple[str, int]) -> tuple[list[Any], list[Any]]:
    return store.list_models()


def list_models() -> tuple[list[Any], list[Any]]:
    """``store.list_models()``, cached until a model folder is added, renamed or deleted."""
    return _list_models(_models_dir_signature())


def model_key(name: str) -> str:
    """Cache key of a saved model: its folder and the mtime of its ``meta.json``."""
    meta = config.models_dir() / name / "meta.json"
    try:
        return f"{meta.parent}@{meta.stat().st_mtime_ns}"
    except OSError:
        return f"{meta.parent}@missing"


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(name: str, key: str) -> Any:
    return store.load_model(name)


def load_model(name: str) -> Any:
    """``store.load_model(name)``, shared between sessions until the model changes on disk."""
    return _load_model(name, model_key(name))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(
    func_id: str, keys: tuple[str, ...], params: str, _func: Callable, _args: tuple, _kwargs: dict
) -> Any:
    return _func(*_args, **_kwargs)


def cached(func: Callable[..., T], *models: Any, **params: Any) -> T:
    """Call ``func(*models, **params)`` once per (models on disk, params); later calls are instant.

    ``models`` are TrainedModel objects (keyed by :func:`model_key`); ``params`` must have a
    stable ``repr`` (numbers, strings, tuples).
    """
    code = getattr(func, "__code__", None)
    func_id = f"{func.__module__}.{func.__qualname__}@{code.co_filename if code else ''}"
    keys = tuple(model_key(m.name) for m in models)
    return _cached_call(func_id, keys, repr(sorted(params.items())), func, models, params)


@st.cache_data(show_spinner=False, max_entries=16)
def _tsne_scatter(digest: str, colour: str, _frame: Any) -> go.Figure:
    return figures.tsne_scatter(_frame, colour)


def tsne_scatter(frame: Any, colour: str) -> go.Figure:
    """:func:`figures.tsne_scatter`, memoised on the map's content (:func:`figures.map_digest`)
    and ``colour`` (plotly express takes ~0.5 s for 2,000 movies coloured by genre); every call
    returns a fresh copy, so rings drawn on it never leak into the cache."""
    return _tsne_scatter(figures.map_digest(frame), colour, frame)


@st.cache_data(show_spinner=False, ttl=5)
def _dataset_statuses(home: str, extra: str | None) -> list[Any]:
    from movierate.data import dataset_status

    return dataset_status()


def dataset_statuses() -> list[Any]:
    """``data.dataset_status()``, cached for a few seconds (it looks at the disk)."""
    extra = config.extra_data_dir()
    return _dataset_statuses(str(config.home_dir()), str(extra) if extra else None)


def refresh_datasets() -> None:
    """Forget cached dataset statuses (after a download or an upload)."""
    _dataset_statuses.clear()


def preferred_dataset(available: list[str]) -> str:
    """The dataset a first-time user should start with: small, well known, present."""
    for name in PREFERRED_DATASETS:
        if name in available:
            return name
    return available[0]


def default_spec() -> Any:
    """The model the quick start trains and the Train form starts from: ModelSpec's defaults
    (biased MF with L2 and early stopping), which train well on MovieLens."""
    from movierate.spec import ModelSpec

    return ModelSpec()


def automatic_name(dataset: str, spec: Any) -> str:
    """A free, descriptive model name such as ``ml-latest-small-mf_bias-d32-l2``."""
    regs = "-".join(sorted(k for k, v in (spec.regularizers or {}).items() if v)) or "noreg"
    base = f"{dataset}-{spec.family}-d{spec.dim}-{regs}"
    reserved = job_registry().reserved_names()
    name = store.unique_name(base)
    n = 2
    while name in reserved:
        name = store.unique_name(f"{base}-{n}")
        n += 1
    return name


def home_folder() -> Path:
    """``MOVIERATE_HOME`` as it is now (shown in captions)."""
    return config.home_dir()


@st.cache_resource(show_spinner="Loading the ratings…", max_entries=4)
def _dataset(name: str, fingerprint: str | None) -> Any:
    from movierate.data import load_dataset_by_name

    return load_dataset_by_name(name)


def dataset_of(model: Any) -> Any:
    """The dataset ``model`` was trained on (cached per name and fingerprint); DataError if it
    is missing or has changed since training."""
    from movierate.pipeline import dataset_of as pipeline_dataset_of

    fingerprint = model.meta["dataset"].get("fingerprint")
    return pipeline_dataset_of(model, load=lambda name: _dataset(name, fingerprint))


def same_data(a: Any, b: Any) -> bool:
    """True when two models were trained on the same dataset (same name and fingerprint)."""
    da, db = a.meta["dataset"], b.meta["dataset"]
    return da.get("name") == db.get("name") and da.get("fingerprint") == db.get("fingerprint")


def user_index(ds: Any, user_id: Any) -> int:
    """Row of the user with original id ``user_id``; DataError naming the valid range if none."""
    try:
        return int(ds.user_index(user_id))
    except (KeyError, ValueError, TypeError):
        ids = np.asarray(ds.user_ids)
        raise DataError(
            f"User {user_id} is not in {ds.name} (user ids run from {ids.min()} to "
            f"{ids.max()}); pick another id or press 'Sample a user'."
        ) from None


def movie_row(model: Any, movie_id: Any) -> int | None:
    """Row (movie_idx) of the movie with original id ``movie_id`` in ``model``, if it has it.

    Ids are labels: numbers (MovieLens) or text (a user's CSV); ``5``, ``"5"`` and ``5.0``
    name the same movie, a text id is compared as text and never converted to a number.
    """
    ids = model.movies["movie_id"].to_numpy()
    rows = (
        np.flatnonzero(ids == movie_id) if ids.dtype.kind == np.asarray(movie_id).dtype.kind else []
    )
    if not len(rows):
        label = id_label(movie_id)
        rows = np.flatnonzero(np.array([id_label(i) for i in ids], dtype=object) == label)
    return int(rows[0]) if len(rows) else None


def id_label(value: Any) -> str:
    """An original user or movie id as text: ``5``, ``5.0`` and ``"5"`` give ``"5"``, text ids
    stay as they are (ids are labels, never converted with ``int()``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def parameter_count(model: Any) -> int:
    """Number of trained weights in a saved model (embeddings, biases, dense layers)."""
    return int(
        sum(
            a.size for k, a in model.arrays.items() if a.ndim > 0 and k != "first_dense_input_norms"
        )
    )
