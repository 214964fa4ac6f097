"""The model store: one folder per trained model under ``config.models_dir()``.

Each model folder holds ``meta.json``, ``embeddings.npz``, ``movies.parquet``, ``model.keras``
and a ``cache/`` folder for analyses (see docs/architecture.md). A model is written into a hidden
temporary sibling folder and renamed into place, so a crash or a kill mid-save never leaves half
a model, and two saves of one name never mix their files. Listing and loading read numpy,
JSON and parquet only; TensorFlow is imported only by :meth:`TrainedModel.keras_model`.

>>> m = load_model("small-mf")  # doctest: +SKIP
>>> m.predict(user_idx=[0, 0], movie_idx=[10, 20])  # doctest: +SKIP
array([3.71, 4.02], dtype=float32)
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import stat
import tempfile
import unicodedata
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import movierate
from movierate import atomic, config, npz, paired, schema, scoring
from movierate.data.acquire import is_plain_text
from movierate.data.build import MAX_RATING
from movierate.data.dataset import MOST_ERROR_WIDTHS
from movierate.data.movies import REQUIRED_MOVIE_COLUMNS, TRAINING_COUNTS
from movierate.data.splits import OFFICIAL_PREFIX, SPLIT_METHODS, SPLIT_WORDS, TIME_ORDERED
from movierate.errors import MovierateError, NameTakenError, SpecError, StoreError
from movierate.filenames import (
    CASE_TWINS_RISK,
    NAME_MAX_LENGTH,
    NAME_RULE,
    bytes_escaped,
    case_twins,
    is_os_junk,
    name_problem,
    path_shown,
    shown,
    twin_difference,
    twin_key,
    unportable_reason,
)
from movierate.run_ledger import LEDGER_FOLDER, RunLedger
from movierate.shown import number
from movierate.spec import RECORDED_SINCE_FIRST, ModelSpec, regularizers_text

_T = TypeVar("_T")

#: Version of the folder layout written here; folders with a larger number need a newer movierate.
FORMAT_VERSION = 1
META_FILE = "meta.json"
EMBEDDINGS_FILE = "embeddings.npz"
MOVIES_FILE = "movies.parquet"
KERAS_FILE = "model.keras"
CACHE_FOLDER = "cache"
REQUIRED_FILES = (META_FILE, EMBEDDINGS_FILE, MOVIES_FILE, KERAS_FILE)
META_KEYS = ("name", "created", "spec", "dataset", "split", "metrics", "history")
#: How a damaged meta.json is said, with the way out.
META_DAMAGED = "the file is damaged (restore it from a copy, or retrain the model)"
#: What to do about a model folder without its meta.json.
META_MISSING = "restore the folder from a copy, or delete it and train or import the model again"
#: What to do about a model file that is damaged, where the reason names no next step.
DAMAGED_FIX = "restore the model folder from a copy, or delete it and train or import it again"
#: What a model holding a name or value this movierate does not know probably is, and the ways out.
FROM_ANOTHER_VERSION = (
    "It was probably made by another (newer?) movierate: upgrade movierate to use it, or "
    "retrain the model with this one"
)

#: What each recorded metric is, for tables and cards. ``valid_*`` exist only in models saved
#: before splits had separate test rows: those rows also steered early stopping.
METRIC_LABELS = {
    "train_rmse": "train RMSE",
    "train_mae": "train MAE",
    "stop_rmse": "early-stopping RMSE",
    "stop_mae": "early-stopping MAE",
    "test_rmse": "test RMSE",
    "test_mae": "test MAE",
    "valid_rmse": "valid RMSE (steered early stopping)",
    "valid_mae": "valid MAE (steered early stopping)",
    "kept_dims": "kept dims (lowest stop RMSE; rest zero)",
    "rank_rows": "rows of the kept-dims selection",
    # accuracy round 35, F1: a pruned model's figures before its rank selection zeroed dims
    "train_rmse_before_pruning": "train RMSE before the kept-dims selection",
    "train_mae_before_pruning": "train MAE before the kept-dims selection",
    "stop_rmse_before_pruning": "early-stopping RMSE before the kept-dims selection",
    "stop_mae_before_pruning": "early-stopping MAE before the kept-dims selection",
    "test_unseen_rows": "test rows with a user or movie unseen in training",
    "test_rmse_seen": "test RMSE over the other test rows",
    "test_rmse_ci95": "test RMSE ± (95%, another sample of users)",
    "test_rmse_minus_averages": "test RMSE minus the averages' (same rows)",
    "test_rmse_minus_averages_ci95": "that difference ± (95%, paired, by user)",
    "test_rmse_minus_averages_p": "that difference's sign-flip p (under 200 test users)",
    "test_users": "test users (each one's rows counted together)",
    "per_user_test_users": "test users a per-user split could hold out",
    "averages_sweeps": "sweeps of the averages' least-squares fit",
    "stop_rmse_of_mean": "early-stopping RMSE of the training mean",
    "test_rmse_minus_mean": "test RMSE minus the training mean's",
    "test_rmse_minus_mean_ci95": "test minus mean ± (95%, paired, by user)",
    "test_rmse_minus_mean_p": "test minus mean: sign-flip p (under 200 users)",
    "stop_rmse_minus_mean": "early-stopping RMSE minus the training mean's",
    "stop_rmse_minus_mean_ci95": "early-stopping minus mean ± (95%, by user)",
    "stop_rmse_minus_mean_p": "early-stopping minus mean: sign-flip p",
}


def metric_label(key: str) -> str:
    """The label of a recorded metric (``"test_rmse"`` -> ``"test RMSE"``); unknown keys as is."""
    return METRIC_LABELS.get(key, key)


class _Accuracy:
    """Which recorded figure is a model's accuracy, for both ModelInfo and TrainedModel.

    Models trained on three-part splits report RMSE / MAE on test rows nothing else saw; older
    models (``has_test_rows`` False) only have validation rows that also steered early stopping.
    """

    metrics: dict[str, Any]
    split_record: dict[str, Any]
    dataset_fingerprint: str

    @property
    def test_rows(self) -> tuple | None:
        """Which rows the test metrics come from: the data (its fingerprint) and how its test
        part was drawn (method, seed, fraction: ``make_split`` draws the test part first, so the
        stop fraction does not change it). Equal for two models exactly when their test RMSEs
        are measured on the same ratings; None without test rows."""
        part = paired.test_part(self.split_record)
        return None if part is None else (self.dataset_fingerprint, *part)

    @property
    def test_rows_text(self) -> str:
        """The test rows in words: ``"random 10%, seed 42"``, ``"official u1"``."""
        if _imported(self):  # onboarding review: an imported embedding was an "old model"
            return "none (imported)"
        if not self.has_test_rows:
            return "none (old model)"
        return split_text(self.split_record)

    @property
    def refit(self) -> bool:
        """True for a tuning's refit: trained on training + early-stopping rows for a set
        number of epochs, so nothing stopped it early."""
        return bool(self.split_record.get("stop_rows_trained"))

    @property
    def has_test_rows(self) -> bool:
        """True when the model was trained on a split with separate test rows."""
        return "n_test" in self.split_record

    @property
    def test_rmse(self) -> float | None:
        """RMSE on the test rows; None for models saved before splits had test rows."""
        return _float_or_none(self.metrics.get("test_rmse")) if self.has_test_rows else None

    @property
    def test_mae(self) -> float | None:
        return _float_or_none(self.metrics.get("test_mae")) if self.has_test_rows else None

    @property
    def metrics_label(self) -> str:
        """What :attr:`reported_rmse` is: ``"test RMSE"``, or for an old model
        ``"valid RMSE (steered early stopping)"``."""
        return metric_label("test_rmse" if self.has_test_rows else "valid_rmse")

    @property
    def reported_rmse(self) -> float | None:
        """The model's headline RMSE: test RMSE, or an old model's (steered) valid RMSE."""
        key = "test_rmse" if self.has_test_rows else "valid_rmse"
        return _float_or_none(self.metrics.get(key))

    @property
    def reported_mae(self) -> float | None:
        key = "test_mae" if self.has_test_rows else "valid_mae"
        return _float_or_none(self.metrics.get(key))


def split_text(split: Mapping[str, Any]) -> str:
    """A recorded split's test rows in words: ``"random 10%, seed 42"``, ``"official u1"``."""
    method = str(split.get("method"))
    if method.startswith("official:"):
        return f"official {method.removeprefix('official:')}"
    # temporal: each user's latest ratings (other users' later ratings are trained on)
    text = SPLIT_WORDS.get(method, method)
    fraction = split.get("test_fraction")
    if isinstance(fraction, int | float):
        text += f" {fraction:.0%}" if round(fraction * 100, 6).is_integer() else f" {fraction:.1%}"
    if split.get("seed") is not None and paired.test_part(dict(split))[1] is not None:
        text += f", seed {split['seed']}"  # not where it drew no test row
    if _ties_by_file_order(split):  # bad-input round 58, F2: told apart by a missing seed only
        text += ", ties by file order"
    if isinstance(cut := split.get("test_from"), int | float):  # bad-input round 59, L1
        text += f", from {_utc_shown(cut, precise=True)}"
    return text


#: A by-date split's recorded cut dates (:func:`cut_dates_text`), as they are said.
CUT_DATES = {"test_from": "test rows from", "stop_from": "early-stopping rows from"}


def cut_dates_text(split: Mapping[str, Any]) -> str:
    """A ``time`` split's cut dates: "test rows from 2017-06-21 07:17:30 UTC, early-stopping
    rows from ..."; "" for a split without them (other methods, models saved before round 59)."""
    return ", ".join(
        f"{words} {_utc_shown(split[key], precise=True)}"
        for key, words in CUT_DATES.items()
        if isinstance(split.get(key), int | float)
    )


def _ties_by_file_order(split: Mapping[str, Any]) -> bool:
    """Whether a time-ordered split with test rows was made by a movierate that held out tied
    timestamps by the file's order (before accuracy review round 16 drew them with the seed),
    some of its test rows among ties (or their count not recorded): a split made now never has
    its test rows."""
    tied = split.get("n_tied_test")
    return (
        split.get("method") in TIME_ORDERED
        and "n_test" in split
        and split.get("ties", "row_order") == "row_order"
        and not (isinstance(tied, int) and tied == 0)
    )


def split_aside(split: Mapping[str, Any] | None) -> str:
    """`` (per-user temporal 10%)`` after the words "test RMSE" when its rows are not the default
    random split's, else "": the split alone moved a model's test RMSE by 0.033 (accuracy round 40,
    F4), more than most settings do."""
    split = split or {}
    if "n_test" not in split or split.get("method") == "random":
        return ""
    return f" ({split_text(split)})"


def _scale_of(meta: dict[str, Any]) -> tuple[float, float] | None:
    """(min, max) of a meta.json's rating scale, None when it records none readable or has no
    ratings (an imported embedding's recorded scale is a placeholder: recheck C, s26)."""
    if meta.get("imported"):
        return None
    scale = meta["dataset"].get("rating_scale")
    if not isinstance(scale, list | tuple) or len(scale) < 2:
        return None
    lo, hi = _float_or_none(scale[0]), _float_or_none(scale[1])
    return None if lo is None or hi is None else (lo, hi)


def scale_text(scale: tuple[float, float] | None) -> str:
    """``"1-5"``, ``"0.5-5"``, ``"-10 to 10"``; "?" for none."""
    if scale is None:
        return "?"
    lo, hi = scale
    return f"{lo:g} to {hi:g}" if lo < 0 else f"{lo:g}-{hi:g}"


TEMP_PREFIX = ".tmp-"
TRASH_PREFIX = ".trash-"
#: Folders renamed aside while a model is replaced where the OS cannot swap atomically.
OLD_PREFIX = atomic.OLD_PREFIX
#: Hidden folders without a readable writer record are removed once this old (last resort);
#: those whose writer is known to be dead are removed at once.
STALE_TEMP_SECONDS = atomic.UNKNOWN_WRITER_MAX_AGE
#: The kinds of the trash folders of deletions, which every listing tries to remove at once.
DELETION_KINDS = ("model deletion", "dataset deletion")
#: Hidden folders the store writes: (prefix, what they are).
STORE_LEFTOVERS = (
    (TEMP_PREFIX, "model save"),
    (TRASH_PREFIX, DELETION_KINDS[0]),
    (OLD_PREFIX, "replaced model"),
)

CACHE_KEY_MAX_LENGTH = 128


class TrainingOutput(Protocol):
    """What the store needs from a training result (``movierate.nn.training.TrainResult``).

    Plain data only, plus :meth:`save_keras`: the store never calls Keras code itself.
    """

    arrays: Mapping[str, np.ndarray]  # the embeddings.npz arrays (movierate.nn.export)
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    train_seconds: float
    ratings_per_second: float
    global_mean: float

    def save_keras(self, path: Path) -> None:
        """Write ``model.keras`` at ``path``."""


@dataclass(frozen=True)
class ModelInfo(_Accuracy):
    """What the model list shows about one saved model (read from ``meta.json`` only)."""

    name: str
    path: Path
    created: str
    spec: ModelSpec
    dataset: str
    metrics: dict[str, Any]
    train_seconds: float | None
    format_version: int
    #: The recorded ``Split.describe()`` (old models: two-part, with ``n_valid``).
    split_record: dict[str, Any] = field(default_factory=dict)
    #: The content fingerprint of the data it was trained on ("" when not recorded).
    dataset_fingerprint: str = ""
    #: True for an embedding imported from elsewhere (:mod:`movierate.imported_models`): its
    #: spec is a placeholder, it was never trained.
    imported: bool = False
    #: A blend's members as (family, dim, regularizers) (:func:`blend_members`); empty otherwise.
    blend: tuple[tuple[str, int, dict[str, float]], ...] = ()
    #: Seeds a seed ensemble averages (:func:`ensemble_seeds`); 1 for any other model.
    seeds: int = 1
    #: (min, max) of the rating scale it was trained on: its RMSE is in those rating points.
    scale: tuple[float, float] | None = None
    #: How many movies it holds (None when not recorded).
    n_movies: int | None = None

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def valid_rmse(self) -> float | None:
        """Deprecated: only models saved before test rows have it (see :attr:`reported_rmse`)."""
        return _float_or_none(self.metrics.get("valid_rmse"))


def _float_or_none(value: Any) -> float | None:
    """A number recorded in meta.json, None when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count_or_none(value: Any) -> int | None:
    """A count recorded in meta.json, None when it is missing or not a whole number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


@dataclass(frozen=True)
class BrokenModel:
    """A model folder that cannot be used, and why."""

    name: str
    reason: str
    path: Path | None = None


@dataclass(eq=False)
class TrainedModel(_Accuracy):
    """A saved model loaded as numpy arrays; the Keras model is loaded only on request.

    Arrays are read-only: copy one before changing it.
    """

    name: str
    path: Path
    spec: ModelSpec
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    movies: pd.DataFrame
    _keras: Any = field(default=None, init=False, repr=False)
    #: (inode, modification time) of the meta.json it was loaded from (:func:`load_model`)
    _stamp: tuple[int, int] | None = field(default=None, init=False, repr=False)

    @property
    def metrics(self) -> dict[str, Any]:
        return self.meta["metrics"]

    @property
    def split_record(self) -> dict[str, Any]:
        """The recorded ``Split.describe()`` (old models: two-part, with ``n_valid``)."""
        return self.meta.get("split") or {}

    @property
    def history(self) -> dict[str, list[float]]:
        """Per-epoch lists (``train_rmse``, ``stop_rmse`` (old models: ``valid_rmse``), ``loss``,
        ``reg_<kind>`` ...)."""
        return {
            k: [math.nan if v is None else float(v) for v in values]
            for k, values in self.meta["history"].items()
        }

    @property
    def created(self) -> str:
        """When it was saved, as a UTC ISO stamp (see :func:`created_utc`)."""
        return created_utc(self.meta["created"])

    @property
    def dataset_name(self) -> str:
        return self.meta["dataset"]["name"]

    @property
    def dataset_fingerprint(self) -> str:
        return str(self.meta["dataset"].get("fingerprint") or "")

    @property
    def rating_scale(self) -> tuple[float, float, float]:
        """(min, max, step) of the dataset the model was trained on."""
        lo, hi, step = self.meta["dataset"]["rating_scale"]
        return float(lo), float(hi), float(step)

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def dim(self) -> int:
        return int(self.movie_embedding.shape[1])

    @property
    def n_users(self) -> int:
        return int(self.user_embedding.shape[0])

    @property
    def n_movies(self) -> int:
        return int(self.movie_embedding.shape[0])

    @property
    def movie_embedding(self) -> np.ndarray:
        return self.arrays["movie_embedding"]

    @property
    def user_embedding(self) -> np.ndarray:
        return self.arrays["user_embedding"]

    @property
    def movie_bias(self) -> np.ndarray | None:
        return self.arrays.get("movie_bias")

    @property
    def user_bias(self) -> np.ndarray | None:
        return self.arrays.get("user_bias")

    @property
    def global_mean(self) -> float:
        return float(np.asarray(self.arrays["global_mean"]).reshape(-1)[0])

    def predict(self, user_idx: Any, movie_idx: Any) -> np.ndarray:
        """Predicted ratings on the original scale for (user, movie) index pairs (numpy)."""
        return scoring.predict(self.arrays, self.spec, user_idx, movie_idx, self.rating_scale)

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        """Predicted rating of every movie for one user (numpy, fast); ``clip=False``: the
        order to rank by (:func:`scoring.score_all_movies`)."""
        return scoring.score_all_movies(
            self.arrays, self.spec, user_idx, self.rating_scale, clip=clip
        )

    def cache_path(self, key: str) -> Path:
        """Path for a cached analysis of this model; see :func:`cache_path`."""
        return cache_path(self.name, key)

    def keras_model(self) -> Any:
        """The Keras model (imports TensorFlow on first call; loaded with ``safe_mode=True``).
        StoreError when the folder holds another model by then (CLI round 3: a model retrained
        under the name between :func:`load_model` and this call paired this object's arrays
        with the new model's weights)."""
        if self._keras is None:
            self._check_still_saved()  # recheck: renamed away, it was called damaged
            if problem := _files_problem(self.path, self.meta, contents=True, names=(KERAS_FILE,)):
                raise StoreError(f"Model {self.name!r} cannot be loaded into Keras: {problem}.")
            keras = _load_keras(self.path / KERAS_FILE)
            self._check_still_saved()
            self._keras = keras
        return self._keras

    def _check_still_saved(self) -> None:
        if not self._still_saved():
            raise StoreError(
                f"The folder of model {self.name!r} no longer holds the model loaded here (it "
                "was renamed, replaced or deleted since, perhaps in another window); load the "
                "model again by its current name."
            )

    def _still_saved(self) -> bool:
        """Whether the folder's meta.json is still the one this object was loaded from (a save
        writes a new folder: a new file)."""
        try:
            if self._stamp is not None:
                return _file_stamp(self.path / META_FILE) == self._stamp
            now = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        fields = ("created", "metrics")
        return isinstance(now, dict) and all(now.get(f) == self.meta.get(f) for f in fields)

    @classmethod
    def from_training(
        cls,
        name: str,
        result: TrainingOutput,
        ds: Any,
        split: Any,
        spec: ModelSpec,
        path: Path | None = None,
    ) -> TrainedModel:
        """The model a training result makes, before (or without) saving it.

        ``result`` holds plain arrays (see :class:`TrainingOutput`); they are checked against the
        spec and the dataset (StoreError if they do not fit). ``meta`` is what ``meta.json``
        records; its ``metrics`` and ``history`` are the result's own dicts (not copies).
        ``path`` defaults to the store folder of ``name``. Used by :func:`save_model`, the
        regularizer study (in-memory models) and tests.
        """
        arrays = _checked_arrays(result, spec, ds)
        meta = _build_meta(name, result, ds, split, spec)
        folder = path if path is not None else config.models_dir() / name
        fitted = getattr(split, "train", None)  # None: a stand-in without rows (benchmarks)
        movies = ds.movies if fitted is None else with_training_counts(ds, fitted)
        return cls(name=name, path=folder, spec=spec, meta=meta, arrays=arrays, movies=movies)


def with_training_counts(ds: Any, fitted: np.ndarray) -> pd.DataFrame:
    """``ds.movies`` plus :data:`TRAINING_COUNTS`: each movie's ratings among the ``fitted``
    rows (the views' ``n_ratings`` counts every row, test rows included)."""
    movie_rows = ds.ratings["movie_idx"].to_numpy()[np.asarray(fitted, dtype=np.int64)]
    counts = np.bincount(movie_rows, minlength=ds.n_movies).astype(np.int64)
    return ds.movies.assign(**{TRAINING_COUNTS: counts})


def stop_rows_chose_settings(meta: dict[str, Any]) -> str | None:
    """What a model's early-stopping rows chose of its settings, beyond the stopping epoch, when
    it holds a tuned default trained on the split whose stop rows chose that default (the quick
    start's model: :func:`movierate.defaults.settings_chosen_on_stop_rows`), e.g. "its settings
    (ml-100k's tuned defaults, best of 646 trials)"; else None. From ``meta.json``'s content; a
    damaged part counts as no such choice."""
    from types import SimpleNamespace

    from movierate.defaults import seen_of_meta, settings_chosen_on_stop_rows

    try:
        data, split = meta["dataset"], meta["split"]
        if "n_test" not in split or split.get("stop_rows_trained") or meta.get("imported"):
            return None
        return settings_chosen_on_stop_rows(
            data["name"],
            SimpleNamespace(
                method=split["method"], seed=split["seed"], test_fraction=split["test_fraction"]
            ),
            ModelSpec.from_dict(meta["spec"]),
            seen=seen_of_meta(data["name"], data),
        )
    except (KeyError, TypeError, ValueError, AttributeError, MovierateError):
        return None


def stop_rows_chose_dims(meta: Mapping[str, Any]) -> str | None:
    """ "which of its dimensions were kept (9 of 64)" when the ``ordered`` option's rank
    selection scored a model's early-stopping rows (``metrics.kept_dims``): its early-stopping
    RMSE is then the lowest of every first-k choice there (accuracy round 35, F1); else None."""
    metrics, spec = meta.get("metrics"), meta.get("spec")
    kept = metrics.get("kept_dims") if isinstance(metrics, Mapping) else None
    if not _is_count(kept):
        return None
    dim = spec.get("dim") if isinstance(spec, Mapping) else None
    of = f" of {int(dim)}" if _is_count(dim) else ""
    return f"which of its dimensions were kept (the first {int(kept)}{of})"


def stop_rows_chose(meta: dict[str, Any]) -> str | None:
    """Everything a model's early-stopping rows chose beyond the stopping epoch, so that their
    RMSE flatters it: its settings (:func:`stop_rows_chose_settings`) and which dimensions were
    kept (:func:`stop_rows_chose_dims`), joined with "and"; None for neither."""
    chosen = [c for c in (stop_rows_chose_settings(meta), stop_rows_chose_dims(meta)) if c]
    return " and ".join(chosen) or None


def stop_rows_tuning_chose(meta: dict[str, Any]) -> str | None:
    """What a tuned model kept as trained let its early-stopping rows choose besides the epoch
    (a blend: the weight, the members' settings and their epochs), so that those rows' RMSE is
    optimistic; None when no search chose on them or a refit trained on them."""
    tuning = meta.get("tuning")
    split = meta.get("split")
    if not isinstance(tuning, dict) or not isinstance(split, dict):
        return None
    if split.get("stop_rows_trained") or "n_test" not in split:
        return None
    trials = tuning.get("n_trials", "several")
    if isinstance(tuning.get("blend"), dict):
        return f"the blend weight, its members' settings (best of {trials} trials) and their epochs"
    return f"its settings (best of {trials} trials) and its epoch"


def split_note(split: Mapping[str, Any] | None) -> str:
    """A warning when the split left a model no early-stopping rows, or trained it on under
    a fifth of the ratings (CLI review round 1: `--test-fraction 0.999` trained on 943 ratings,
    with no stop rows, and said nothing), else ""."""
    split = split or {}
    n_train, n_stop, n_test = (split.get(k) for k in ("n_train", "n_stop", "n_test"))
    if not all(_is_number(n) for n in (n_train, n_stop, n_test)):
        return ""
    total = n_train + n_stop + n_test
    if n_stop == 0:
        return (
            f"The split left no early-stopping rows ({n_train:,} training and {n_test:,} test "
            "ratings), so no held-out rating chose its epoch and nothing stopped it "
            "overfitting. Lower the test fraction or raise the early-stopping fraction."
        )
    if total and n_train < 0.2 * total:
        return (
            f"It trained on {n_train:,} of the {total:,} ratings ({n_train / total:.0%}): the "
            "test and early-stopping fractions took the rest. Lower them to train on more."
        )
    if few := few_held_out(split):  # bad-input round 17: one test rating, unsaid
        return (
            f"Only {few}: its test RMSE and the epoch it kept rest on too few ratings to tell "
            "anything. Train on a larger data set."
        )
    return ""


#: Fewer test or early-stopping ratings than this: :func:`split_note` warns, and no verdict
#: on the split or the data is drawn from them (:func:`worse_than_mean_note`).
FEW_HELD_OUT = 30


def few_held_out(split: Mapping[str, Any] | None) -> str:
    """ "8 test and 7 early-stopping rating(s) (under 30 each)" when a split holds out fewer
    than :data:`FEW_HELD_OUT` test or early-stopping ratings (naming which: "30 test and 27
    early-stopping" is not "under 30 each", bad-input round 27, F8), else ""."""
    split = split or {}
    n_stop, n_test = split.get("n_stop"), split.get("n_test")
    if not (_is_number(n_stop) and _is_number(n_test)) or min(n_test, n_stop) >= FEW_HELD_OUT:
        return ""
    few = [name for name, n in (("test", n_test), ("early-stopping", n_stop)) if n < FEW_HELD_OUT]
    which = "each" if len(few) == 2 else f"{few[0]} ratings"
    return f"{n_test:,} test and {n_stop:,} early-stopping rating(s) (under {FEW_HELD_OUT} {which})"


#: A temporal split's test rows chosen by a timestamp tie are said from this share on (accuracy
#: review round 16: ml-latest-small 2.2%, ml-100k 9.9%, date-only timestamps more).
TIES_NOTE_SHARE = 0.01


def ties_note(split: Mapping[str, Any] | None, n_tied: int | None = None) -> str:
    """A note when timestamp ties, not time, chose 1% or more of a time-ordered split's test rows
    (``n_tied``: their count when the record lacks it, as a rebuilt split has it), saying how
    they were chosen; else "" (accuracy review round 16)."""
    split = split or {}
    n_tied = split.get("n_tied_test") if n_tied is None else n_tied
    n_test = split.get("n_test")
    method = split.get("method")
    if method not in TIME_ORDERED or not (_is_number(n_tied) and _is_number(n_test)):
        return ""
    if n_test <= 0 or n_tied < TIES_NOTE_SHARE * n_test:
        return ""
    said = (
        f"Timestamp ties chose {percent(n_tied, n_test)} of its test rows ({n_tied:,} of "
        f"{n_test:,}): "
        + (
            "where the cut date falls among ratings of one timestamp, "
            if method == "time"
            else "where a user's latest ratings share one timestamp with earlier ones, "
        )
    )
    if split.get("ties", "row_order") == "row_order":
        return said + (
            "the rows last in the file were held out, so the file's order, not time, chose "
            "them (a temporal split made since accuracy review round 16 draws them with its "
            "seed, and refuses timestamps that order no user's ratings: retrain the model)."
        )
    return said + (
        f"the split seed ({split.get('seed')}) drew which were held out: among equally "
        "recent ratings chance, not time or the file's order, chose the test rows."
    )


#: Cold-start test rows are said beside the test RMSE from this share on (ml-100k's splits:
#: 0.02-0.5%; ml-latest-small's default split: 4%, its many movies rated once; a 3,000-rating
#: set split per user: 40%, accuracy round 9).
UNSEEN_NOTE_SHARE = 0.01


def percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a whole percentage, never "100%" or "0%" for a part that is
    not all or none (the recheck: 998 of 1,000 read "(100%)" beside "the other 2 rows")."""
    share = part / whole
    if 0 < share < 0.01:
        return "under 1%"
    if 0.99 < share < 1:
        return "over 99%"
    return f"{share:.0%}"


def unseen_note(metrics: dict[str, Any] | None, split: Mapping[str, Any] | None) -> str:
    """A note when 1% or more of a model's test rows have a user or movie with no training
    rating (their test RMSE then partly measures the model's guess for strangers, made from
    an untrained random vector: accuracy round 38, F3), with the RMSE over the other rows where
    recorded; else ""."""
    metrics, split = metrics or {}, split or {}
    unseen, n_test = metrics.get("test_unseen_rows"), split.get("n_test")
    if not (_is_number(unseen) and _is_number(n_test)) or n_test <= 0:
        return ""
    if unseen < UNSEEN_NOTE_SHARE * n_test:
        return ""
    seen = metrics.get("test_rmse_seen")
    return (
        f"{unseen:,} of its {n_test:,} test rows ({percent(unseen, n_test)}) have a user or movie "
        "with no training rating"
        # accuracy round 40, F1: most of a split by date's test rows can be such
        # accuracy round 41, F2: some are first seen in the early-stopping rows, before the cut
        + (" (first rated after the last training rating)" if split.get("method") == "time" else "")
        + ", so the model predicts them without any of that user's or "
        "movie's own ratings, from a vector training never moved (its random start); they "
        "count in the test RMSE"
        + (
            f" (over the other {n_test - unseen:,} rows it is {seen:.4f})"
            if _is_number(seen) and n_test - unseen >= FEW_SEEN
            else f" ({seen_rows_text(n_test - unseen)})"
            if 0 < n_test - unseen < FEW_SEEN
            else ""
        )
        + "."
    )


#: An RMSE over fewer test rows than this is not given beside the cold-start note (round 27
#: F10: "over the other 1 rows" was one rating's error).
FEW_SEEN = 5


def seen_rows_text(n_seen: int) -> str:
    """Why no RMSE over the ``n_seen`` test rows whose user and movie were trained on is given:
    "only 1 other row, too few for an RMSE of its own"."""
    rows = "row" if n_seen == 1 else "rows"
    return f"only {n_seen:,} other {rows}, too few for an RMSE of their own"


def nothing_to_learn(metrics: dict[str, Any] | None) -> bool:
    """Every test rating is the training rows' mean rating (its RMSE as shown is 0)."""
    floor = (metrics or {}).get("test_rmse_of_mean")
    return _is_number(floor) and round(floor, 4) == 0


def worse_than_mean_note(
    metrics: dict[str, Any] | None,
    split: Mapping[str, Any] | None = None,
    learning_rate: float | None = None,
) -> str:
    """A warning when a model's test RMSE is worse than predicting the training rows' mean
    rating for every test row (``test_rmse_of_mean``), else "": training went wrong (a run that
    diverged to finite values), unless the model beat the mean on its early-stopping rows
    (:func:`test_rows_differ`, both beyond the draw): then its test rows differ from those rows;
    a gap within the draw is said to be (:func:`mean_gaps_within_text`). With ``split``
    holding out too few rows (:func:`few_held_out`) it draws neither verdict and says so."""
    metrics = metrics or {}
    rmse, floor = metrics.get("test_rmse"), metrics.get("test_rmse_of_mean")
    # as shown: two numbers that print alike are no "worse than"
    if not (_is_number(rmse) and _is_number(floor)) or round(rmse, 4) <= round(floor, 4):
        return ""
    if nothing_to_learn(metrics):
        return (
            f"Every test rating is the training rows' mean rating, so there is nothing to learn "
            f"beyond that mean and the model's test RMSE ({rmse:.4f}) can only be worse. Train "
            "on ratings that vary."
        )
    if few := few_held_out(split):  # 8 test rows told of "a data problem" (round 27, F8)
        gap = f"a gap of {rmse - floor:.4f}"
        # bad-input round 62, F2: "within what so few rows give" beside the paired verdict
        # "higher beyond the draw" on the same gap: the recorded interval decides which
        if _mean_gap_side(metrics, "test") == "higher":
            half = metrics["test_rmse_minus_mean_ci95"]
            gap += f", though beyond its paired interval (± {half:.4f}, 95%), rests on so few rows"
        else:
            gap += " is within what so few rows give"
        return (
            f"Its test RMSE {rmse:.4f} is worse than {floor:.4f}, what predicting the training "
            f"rows' mean rating for every test row gives, but over {few} {gap}: it tells "
            "nothing about the training, the split or the data. Train on a larger data set to tell."
        )
    if beat := test_rows_differ(metrics):  # accuracy round 15: "train longer" did not fit
        drawn, verb = (
            (", each beyond the draw", "behave")
            if "test_rmse_minus_mean" in metrics
            else (
                " (no interval is recorded for either gap: saved by an older version)",
                "may behave",
            )
        )
        return (
            f"Its test RMSE {rmse:.4f} is worse than {floor:.4f}, what predicting the training "
            f"rows' mean rating for every test row gives, yet on its early-stopping rows it beat "
            f"that mean ({beat}){drawn}. So the test rows {verb} unlike the rows the model was "
            "checked on: they may come from another time or other users than the training rows, "
            "or hold a data problem (ratings recoded, reversed or on another scale). Check how "
            "the split was made and what the test ratings hold; training longer will not change "
            "this."
        )
    worse = (
        f"is no better than {floor:.4f}, what predicting the training rows' mean rating for "
        f"every test row gives ({within}"
        if (within := mean_gaps_within_text(metrics))
        else f"is worse than {floor:.4f}, what predicting the training rows' mean rating for "
        "every test row gives"
    )
    return (
        f"Its test RMSE {rmse:.4f} {worse}: it learned nothing the mean does not know. Either "
        f"training went wrong ({_training_advice(metrics, learning_rate)}), or the ratings hold "
        "little to learn beyond their mean (one movie or user, ratings that barely vary)."
    )


def _mean_gap_side(metrics: Mapping[str, Any], part: str) -> str:
    """Where ``part``'s (test, stop) recorded RMSE minus the training mean's lies against its
    paired interval: "higher", "lower" (beyond the draw) or "within"; "" when not recorded
    (models saved before bad-input round 41, or on too few users for an interval)."""
    gap, half = metrics.get(f"{part}_rmse_minus_mean"), metrics.get(f"{part}_rmse_minus_mean_ci95")
    if not (_is_number(gap) and _is_number(half) and half >= 0):
        return ""
    return paired.reading(gap, half, "higher", "lower", "within")


def test_rows_differ(metrics: dict[str, Any] | None) -> str:
    """ "0.8506 against 1.0361" (the early-stopping RMSE against the mean's there) when a model
    is worse than the training mean on its test rows and better on its early-stopping rows,
    each beyond the draw of its paired interval; "" otherwise, or when either interval could
    not be bounded (bad-input round 41, F1: gaps of 0.0024 and 0.0012 within a ± 0.0052 were
    read as test rows unlike the stop rows). A model saved before the gaps were recorded is
    read as shown, to 4 decimals, as before (:func:`worse_than_mean_note` says so)."""
    metrics = metrics or {}
    stop, mean = metrics.get("stop_rmse"), metrics.get("stop_rmse_of_mean")
    if not (_is_number(stop) and _is_number(mean)):
        return ""
    if "test_rmse_minus_mean" not in metrics:  # older: no interval recorded
        return f"{stop:.4f} against {mean:.4f}" if round(stop, 4) < round(mean, 4) else ""
    if (_mean_gap_side(metrics, "test"), _mean_gap_side(metrics, "stop")) != ("higher", "lower"):
        return ""
    return f"{stop:.4f} against {mean:.4f}"


def mean_gaps_within_text(metrics: dict[str, Any] | None) -> str:
    """ "the gap, +0.0024 ± 0.0040 (95%, paired by user), is within the draw; on its
    early-stopping rows 0.4993 against 0.5005, also within the draw)" when a model's test RMSE
    minus the training mean's is within its paired interval (the early-stopping rows' said when
    they are recorded); "" otherwise. Closes the parenthesis :func:`worse_than_mean_note` opens."""
    metrics = metrics or {}
    if _mean_gap_side(metrics, "test") != "within":
        return ""
    gap, half = metrics["test_rmse_minus_mean"], metrics["test_rmse_minus_mean_ci95"]
    said = f"the gap, {number(gap, '+.4f')} ± {half:.4f} (95%, paired by user), is within the draw"
    stop, mean, side = (
        metrics.get("stop_rmse"),
        metrics.get("stop_rmse_of_mean"),
        _mean_gap_side(metrics, "stop"),
    )
    if side and _is_number(stop) and _is_number(mean):
        where = "also within the draw" if side == "within" else f"{side} beyond the draw"
        said += f"; on its early-stopping rows {stop:.4f} against {mean:.4f}, {where}"
    return said + ")"


#: An early-stopping RMSE this close to the mean's learned nothing (under the third decimal).
LEARNED_NOTHING = 1e-3


def _training_advice(metrics: dict[str, Any], learning_rate: float | None = None) -> str:
    """Which way to change the training of a model worse than the mean, from where its best
    epoch fell (accuracy round 11: a model trained one epoch at a learning rate of 1e-6 was
    told to lower the rate), with rates to try inside the allowed range when ``learning_rate``
    is known (bad-input round 32: a model at the highest rate, 10, was told to raise it; one at
    1e-12 that learned nothing was not told the rate was the cause). A loss that rose is
    refused as diverged in training (:func:`movierate.nn.training.check_loss_diverged`)."""
    rates = schema.SPEC_SCHEMA["learning_rate"].constraint
    rate = learning_rate if _is_number(learning_rate) and learning_rate in rates else None
    best, run = metrics.get("best_epoch"), metrics.get("epochs_run")
    default = ModelSpec().learning_rate
    stop, mean = metrics.get("stop_rmse"), metrics.get("stop_rmse_of_mean")
    if (  # round 32, F7: RMSE at the mean's from a rate far below the default (the recheck:
        # 7e-5 apart at 1e-12, and a flat RMSE read as "got worse after epoch 1")
        rate is not None
        and rate < default / 10
        and _is_number(stop)
        and _is_number(mean)
        and abs(stop - mean) < LEARNED_NOTHING
    ):
        runs = f"{int(run)} epoch{'' if run == 1 else 's'}" if _is_number(run) else "training"
        return (
            f"in {runs} it learned nothing beyond the mean: its learning rate, {rate:g}, is too "
            f"low to move the weights, so train again with {default:g} (the default)"
        )
    if _is_number(best) and _is_number(run) and best < run:
        lower = f" (try {rate / 10:g} instead of {rate:g})" if rate else ""
        return (
            f"it got worse after epoch {int(best)}: lower the learning rate{lower} and train again"
        )
    if not _is_number(run):
        return "too high a learning rate diverges, too low or too few epochs trains too little"
    higher = None if rate is None else min(max(rate * 10, default), rates.high)
    if rate is None:
        raise_it = f"with a higher learning rate (at most {rates.high:g})"
    elif higher is not None and higher > rate:
        raise_it = f"with a higher learning rate (try {higher:g} instead of {rate:g})"
    else:
        raise_it = f"with more patience (its learning rate, {rate:g}, is the highest allowed)"
    return (
        f"it was still at its best in its last epoch ({int(run)}): it may have trained too "
        f"little, so train longer or {raise_it}"
    )


def reference_warning(
    metrics: dict[str, Any] | None,
    split: Mapping[str, Any] | None = None,
    learning_rate: float | None = None,
    stop_rmse: Sequence[float] | None = None,
) -> str:
    """The one warning a model's test scores call for against the reference predictors: worse
    than the training mean (:func:`worse_than_mean_note`, told of ``split``), else no better
    than the user and movie averages or the median (:func:`no_better_than_averages_note`),
    else "" (accuracy round 11: `show` and `evaluate` printed only the second, so the worst
    model got neither); then :func:`first_epoch_note` of its ``stop_rmse`` history, unless the
    warning already says to lower the learning rate."""
    warning = worse_than_mean_note(metrics, split, learning_rate) or no_better_than_averages_note(
        metrics, learning_rate
    )
    hint = first_epoch_note(stop_rmse, learning_rate)
    return warning if "lower the learning rate" in warning else f"{warning} {hint}".strip()


def first_epoch_note(stop_rmse: Sequence[float] | None, learning_rate: float | None = None) -> str:
    """A learning-rate hint when the early-stopping RMSE was lowest at epoch 1 and higher at
    every later epoch, from those numbers, else "" (accuracy round 43, F4: a run at 0.2 whose
    RMSE rose from epoch 1 got no hint unless its test RMSE was the mean's).

    >>> first_epoch_note([1.0861, 1.0891, 1.0917, 1.0885], 0.2)
    'Its early-stopping RMSE was lowest at epoch 1 (1.0861); each of the 3 epochs after it was
    higher (up to 1.0917): lower the learning rate (try 0.02 instead of 0.2) and train again.'
    """
    values = [float(v) for v in stop_rmse or () if _is_number(v) and math.isfinite(v)]
    if len(values) < 2 or min(values[1:]) <= values[0]:
        return ""
    rates = schema.SPEC_SCHEMA["learning_rate"].constraint
    lower = (
        f" (try {learning_rate / 10:g} instead of {learning_rate:g})"
        if _is_number(learning_rate) and learning_rate / 10 in rates
        else ""
    )
    return (
        f"Its early-stopping RMSE was lowest at epoch 1 ({values[0]:.4f}); each of the "
        f"{len(values) - 1} epochs after it was higher (up to {max(values[1:]):.4f}): lower the "
        f"learning rate{lower} and train again."
    )


def first_member_note(metrics: dict[str, Any] | None) -> str:
    """What a model's per-epoch history is when it is not the model's own: an ensemble or blend
    has none of its own and saves its first member's (``" (its first of 2 members)"``)."""
    members = (metrics or {}).get("ensemble", 1)
    if isinstance(members, bool) or not isinstance(members, int | float) or not members > 1:
        return ""
    return f" (its first of {int(members)} members)"


#: A refit's name in a learning-curve legend carries this: its training curve is on those
#: rows, beside other models' training rows only (accuracy round 43, F3).
REFIT_CURVES_NOTE = " (refit on train + early-stopping rows)"


def curves_label(
    name: str, metrics: dict[str, Any] | None, split_record: Mapping[str, Any] | None = None
) -> str:
    """A model's name in a learning-curve legend, with :data:`REFIT_CURVES_NOTE` for a tuning
    refit (its ``split_record`` says its stop rows were trained on) and
    :func:`first_member_note`.

    >>> curves_label("blend", {"ensemble": 2.0}), curves_label("plain", {})
    ('blend (its first of 2 members)', 'plain')
    >>> curves_label("tuned", {}, {"stop_rows_trained": True})
    'tuned (refit on train + early-stopping rows)'
    """
    refit = isinstance(split_record, Mapping) and split_record.get("stop_rows_trained")
    return name + (REFIT_CURVES_NOTE if refit else "") + first_member_note(metrics)


def test_row_groups(models: list[Any]) -> list[list[Any]]:
    """``models`` with test rows, grouped by the rows their test metrics come from
    (``test_rows``: same data, same test part), largest group first."""
    groups: dict[tuple, list[Any]] = {}
    for model in models:
        if model.test_rows is not None:
            groups.setdefault(model.test_rows, []).append(model)
    return sorted(groups.values(), key=len, reverse=True)


def test_rows_notice(models: list[Any]) -> str | None:
    """A warning when ``models``' test RMSEs come from different test rows (so they do not
    compare), naming the groups that do; None when they all share one set of test rows."""
    groups = test_row_groups(models)
    if len(groups) < 2:
        return None
    parts = [
        f"{', '.join(m.name for m in group)} "
        f"({getattr(group[0], 'dataset', None) or group[0].dataset_name}, "
        f"{group[0].test_rows_text})"
        for group in groups
    ]
    old = [m.name for m in models if _ties_by_file_order(getattr(m, "split_record", {}))]
    retrain = (
        f" {', '.join(old)}'s split{'s' if len(old) > 1 else ''} held out tied timestamps by the "
        "file's order (an older movierate): no split made now has "
        f"{'those' if len(old) > 1 else 'its'} test rows, so retrain "
        f"{'them' if len(old) > 1 else 'it'} to compare."
        if old
        else ""
    )
    return (
        "These models were tested on different ratings, so their test RMSEs do not compare "
        "across groups (a different data set or split changes the number as much as a better "
        "model does). Same test rows: " + "; ".join(parts) + ". Train on the same data set and "
        "split (method, test fraction and seed) to compare them." + retrain
    )


def settings_caveat(models: list[Any]) -> str | None:
    """A note naming the ``models`` some of whose settings were chosen on ratings that are among
    their test rows: the ``ordered`` regularizer's (on :data:`advice.ORDERED_CHOSEN_ON`), the
    defaults every trained model shares (:data:`advice.DEFAULTS_CHOSEN_ON`), autorec's design
    (:data:`advice.AUTOREC_CHOSEN_ON`) and its default L2 where the model holds the value chosen
    on its data (:func:`movierate.defaults.chosen_default_of`); None when no model's were, so
    their test rows steered nothing."""
    return " ".join(said for _, said, _ in _settings_chosen(models)) or None


#: The accuracy download's column of :func:`settings_chosen_cells` (recheck 16b, F3).
SETTINGS_CHOSEN_COLUMN = "settings chosen partly on its test rows"


def settings_chosen_cells(models: list[Any]) -> list[str | None]:
    """Per model, what :func:`settings_caveat` says of it as one cell: ``"yes: <which
    settings>"``, ``"no"``, ``"not known (trained elsewhere)"`` for an imported embedding, and
    None for a model without test rows (recheck 16b, F3: the file left out the screen's
    caveat, so its test RMSEs read as clean held-out numbers)."""
    which: dict[str, list[str]] = {}
    for group, _, label in _settings_chosen(models):
        for m in group:
            if label and label not in which.setdefault(m.name, []):
                which[m.name].append(label)
    return [
        "not known (trained elsewhere)"
        if _imported(m)
        else None
        if not m.has_test_rows
        else "yes: " + "; ".join(which[m.name])
        if which.get(m.name)
        else "no"
        for m in models
    ]


def settings_caveat_summary(models: list[Any]) -> str | None:
    """:func:`settings_caveat` in one sentence, naming the models it concerns (views round 27,
    F1: its 85 words were the first text under Home's and Compare's tables); None as it is."""
    parts = _settings_chosen(models)
    if not parts:
        return None
    names = {m.name for group, _, _ in parts for m in group}
    some = [m for m in models if m.name in names]
    # views round 29, F1: 28 names when an imported embedding was the one model left out
    return (
        f"Some settings of {_names_of(some, models, most=SUMMARY_NAMES)} were chosen partly on "
        f"ratings among {'their' if len(some) > 1 else 'its'} test rows."
    )


#: The most models :func:`settings_caveat_summary` names; more are counted (the full note
#: names them).
SUMMARY_NAMES = 4


def _settings_chosen(models: list[Any]) -> list[tuple[list[Any], str, str | None]]:
    """:func:`settings_caveat`'s parts: (the models a sentence names, the sentence, the
    settings it names in a few words, None for a part that names no setting)."""
    from movierate import advice
    from movierate.defaults import (
        DEFAULTS_DATA,
        FAMILY_DEFAULTS_CHOSEN_ON,
        FAMILY_DEFAULTS_ELSEWHERE,
        chosen_default_of,
    )

    def on(m: Any, names: tuple[str, ...]) -> bool:
        """Trained on one of ``names``: by name, the same ratings under another name, or data
        whose test rows are ratings of one of them (a near copy, :func:`copied_test_rows`)."""
        name = getattr(m, "dataset", None) or m.dataset_name
        prints = {DEFAULTS_DATA[n] for n in names if n in DEFAULTS_DATA}
        copied = set(copied_test_rows(m)) & set(names)
        return name in names or getattr(m, "dataset_fingerprint", "") in prints or bool(copied)

    def families(m: Any) -> set[str]:
        return {family for family, _, _ in blend_members(m)} or {m.spec.family}

    trained = [m for m in models if not _imported(m) and m.has_test_rows]
    ordered = [
        m
        for m in trained
        if (m.spec.regularizers or {}).get("ordered") and on(m, advice.ORDERED_CHOSEN_ON)
    ]
    shared = [m for m in trained if on(m, advice.DEFAULTS_CHOSEN_ON) and families(m) - {"autorec"}]
    autorec = [m for m in trained if on(m, advice.AUTOREC_CHOSEN_ON) and "autorec" in families(m)]

    def default_l2(m: Any) -> tuple[str, float] | None:
        """(data set, L2) where an autorec (member) holds the default chosen on that data."""
        members = blend_members(m) or [(m.spec.family, m.spec.dim, m.spec.regularizers)]
        for family, _, regs in members:
            chosen = chosen_default_of(family, regs)
            if chosen and on(m, (chosen,)):
                return chosen, float(regs["l2"])
        return None

    l2_defaults = {m.name: (m, found) for m in trained if (found := default_l2(m))}
    parts = []
    if ordered:
        parts.append(
            (
                ordered,
                f"Not quite unseen for {_names_of(ordered, models)}: the ordered regularizer's "
                "settings (its strength, rank rule and rotation) were chosen on the test rows of a "
                "seed-7 random split of the same ratings, which hold about 10% of any test part of "
                "them (docs/regularizer-study.md, section 5).",
                "the ordered regularizer's strength, rank rule and rotation",
            )
        )
    if shared:
        parts.append(
            (
                shared,
                f"Not quite unseen for {_names_of(shared, models)}: defaults every model uses (the "
                "per-row L2 exponent, the regularizers' starting strengths) were picked in "
                "movierate's first versions on the test rows of ml-100k's and ml-latest-small's "
                "default split (random 10%, seed 42): all of a model's test rows on that split, "
                "about 10% of them on another. Checked again over 20 seeds on ml-100k, the exponent "
                "does not flatter these numbers (README, Command line, 'Tuned defaults'); the starting strengths "
                "were not checked again.",
                "defaults every model uses (per-row L2 exponent, regularizers' starting strengths)",
            )
        )
    if autorec:
        parts.append(
            (
                autorec,
                f"Not quite unseen for {_names_of(autorec, models)}: autorec's design (raw inputs, "
                "its leave-one-out objective) and the tuner's ranges for it were chosen on "
                "early-stopping rows of ml-100k and ml-latest-small that hold about 9% of any test "
                "part of them.",
                "autorec's design and the tuner's ranges for it",
            )
        )
    elsewhere = FAMILY_DEFAULTS_ELSEWHERE["autorec"]["regularizers"]["l2"]
    for (data, l2), group in _grouped(l2_defaults.values()).items():
        by_name = data == FAMILY_DEFAULTS_CHOSEN_ON.get("autorec")
        rows = (  # README, "AutoRec": u1's and a seed-0 random split's stop rows
            " (those of u1 and of a seed-0 random split, which hold 16.5% of the test rows of "
            "its default split and 13.5-18.3% of u2-u5, ua and ub's)"
            if data == "ml-100k"
            else ", some of them test rows of any other split of it"
        )
        name_rule = (
            f" Data named {data} takes L2 {elsewhere:g} instead; the default follows a data set's name, never its ratings (whose test rows "
            "would then choose it), so a copy under another name keeps this one."
            if by_name
            else ""
        )
        parts.append(
            (
                group,
                f"Not quite unseen for {_names_of(group, models)}: L2 {l2:g}, one of autorec's "
                f"defaults, was chosen from 40 / 100 / 250 on early-stopping rows of {data}{rows}."
                + name_rule,
                f"autorec's default L2 {l2:g}",
            )
        )
    copies = {
        m.name: m
        for m in ordered + shared + autorec + [m for m, _ in l2_defaults.values()]
        if copied_test_rows(m)
    }
    for m in copies.values():
        shares = ", ".join(
            f"{share:.1%} are ratings of {n}" for n, share in copied_test_rows(m).items()
        )
        parts.append(
            (
                [m],
                f"{m.name} was trained on {getattr(m, 'dataset', None) or m.dataset_name}, whose "
                f"test rows hold ratings of those sets: {shares} (same user, movie and rating).",
                None,
            )
        )
    return parts


def _grouped(pairs: Any) -> dict[Any, list[Any]]:
    """(model, key) pairs as {key: [models]}, in first-seen order."""
    out: dict[Any, list[Any]] = {}
    for model, key in pairs:
        out.setdefault(key, []).append(model)
    return out


def copied_test_rows(model: Any) -> dict[str, float]:
    """Recorded at training: per data set some settings were chosen on, the share of the
    model's test rows that are its ratings (a copy under another name); {} when none or not
    recorded (models saved before this was measured)."""
    meta = getattr(model, "meta", None)
    data = meta.get("dataset") if isinstance(meta, dict) else None
    shares = data.get("test_rows_from") if isinstance(data, dict) else None
    if not isinstance(shares, dict):
        return {}
    return {
        str(n): float(v)
        for n, v in shares.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1
    }


def _imported(model: Any) -> bool:
    meta = getattr(model, "meta", None)
    return bool(
        getattr(model, "imported", False) or (isinstance(meta, dict) and meta.get("imported"))
    )


def regularizers_shown(model: Any) -> str:
    """The model's regularizers for a table: ``"l2=0.1"``, ``"none"``, or a blend's per member
    (``"autorec 500: l2=40; mf_bias 32: l2=0.1031"``: its spec holds only one member's)."""
    members = blend_members(model)
    if members:
        return "; ".join(
            f"{family} {dim}: {regularizers_text(ModelSpec(regularizers=regs))}"
            for family, dim, regs in members
        )
    return regularizers_text(model.spec)


def family_shown(model: Any) -> str:
    """The model's family for a table: a blend names its members' (``"blend of autorec +
    mf_bias"``), since its spec says mf_bias; an imported embedding says "imported" (CLI
    round 2: Home said "mf", `list` "imported")."""
    if _imported(model):
        return "imported"
    members = blend_members(model)
    if members:
        return "blend of " + " + ".join(family for family, _, _ in members)
    seeds = ensemble_seeds(model)
    if seeds > 1:
        return f"{model.spec.family} ensemble of {seeds} seeds"
    return model.spec.family


def dim_shown(model: Any) -> str:
    """The model's dims in words: ``"dim 32"``, or a seed ensemble's per seed (``"dim 32 each
    (vectors side by side, 64 in all)"``: its spec's dim is the seeds' columns together)."""
    dim = getattr(model, "dim", None) or model.spec.dim
    seeds = ensemble_seeds(model)
    meta = getattr(model, "meta", None)
    first_k = isinstance(meta, dict) and "first_k" in meta  # a view: k dims, not K seeds' each
    if seeds > 1 and dim % seeds == 0 and not first_k:
        return f"dim {dim // seeds} each (vectors side by side, {dim} in all)"
    return f"dim {dim}"


def ensemble_seeds(model: Any) -> int:
    """How many seeds a seed ensemble averages (saved as one model whose vectors are the seeds'
    side by side, each scaled by 1/sqrt(K)); 1 for a single model or a blend."""
    recorded = getattr(model, "seeds", None)
    if isinstance(recorded, int) and not isinstance(recorded, bool):
        return recorded
    meta = getattr(model, "meta", None)
    return read_ensemble_seeds(meta if isinstance(meta, dict) else {})


def read_ensemble_seeds(meta: dict[str, Any]) -> int:
    """:func:`ensemble_seeds` from a model's ``meta.json`` contents (its tuning's refit)."""
    tuning = meta.get("tuning")
    if not isinstance(tuning, dict) or tuning.get("blend"):
        return 1
    refit = tuning.get("refit")
    seeds = refit.get("ensemble") if isinstance(refit, dict) else None
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > 1:
        return seeds
    return 1


def _names_of(some: list[Any], models: list[Any], most: int | None = None) -> str:
    """``some`` of ``models`` by name, or "every model here" when that is all of those with
    test rows (2+; an imported embedding or an old model has none, so a note on test rows can
    never name it); more than ``most`` are counted instead (views round 29, F1)."""
    tested = [m for m in models if not _imported(m) and m.has_test_rows]
    if len(some) == len(tested) > 1:
        return "every model here" + ("" if len(tested) == len(models) else " with test rows")
    if most is not None and len(some) > most:
        return (
            f"{len(some)} of the {len(tested)} models here with test rows (the note below "
            "names them)"
        )
    return ", ".join(m.name for m in some)


def blend_members(model: Any) -> list[tuple[str, int, dict[str, float]]]:
    """A blend's members as (family, dim, regularizers), from its recorded tuning (empty for a
    model that is no blend, or whose record is not readable)."""
    recorded = getattr(model, "blend", None)
    if recorded is not None:
        return list(recorded)
    meta = getattr(model, "meta", None)
    return read_blend_members(meta if isinstance(meta, dict) else {})


def read_blend_members(meta: dict[str, Any]) -> list[tuple[str, int, dict[str, float]]]:
    """:func:`blend_members` from a model's ``meta.json`` contents."""
    tuning = meta.get("tuning")
    blend = tuning.get("blend") if isinstance(tuning, dict) else None
    members = blend.get("members") if isinstance(blend, dict) else None
    if not isinstance(members, list):
        return []
    out = []
    for member in members:
        spec = member.get("spec") if isinstance(member, dict) else None
        if not isinstance(spec, dict) or not isinstance(member.get("family"), str):
            return []
        regularizers = spec.get("regularizers")
        dim = member.get("dim", spec.get("dim"))
        out.append(
            (
                member["family"],
                dim if isinstance(dim, int) and not isinstance(dim, bool) else 0,
                {
                    k: float(v)
                    for k, v in (regularizers if isinstance(regularizers, dict) else {}).items()
                    if isinstance(k, str)
                    and isinstance(v, int | float)
                    and not isinstance(v, bool)
                    and abs(v) <= schema.MAX_STRENGTH  # a hand-edited 10**400 overflows float
                },
            )
        )
    return out


def links_notice(infos: Sequence[Any]) -> str | None:
    """Which listed models are links to another folder, or None (bad-input round 51, F4: a
    link ``alias -> a2`` was listed as a second model with the same numbers, unsaid)."""
    root = config.models_dir().resolve()
    said = []
    for info in infos:
        try:
            if not info.path.is_symlink():
                continue
            target = info.path.resolve()
        except (OSError, RuntimeError):  # gone meanwhile, or a loop: listed as broken
            continue
        same = target.parent == root
        to = f"{shown(target.name)}, the same model listed twice" if same else path_shown(target)
        said.append(f"{shown(info.name)} is a link to {to}")
    if not said:
        return None
    return (
        "; ".join(said) + ". Renaming or deleting a link changes only the link, never the "
        "folder it leads to."
    )


def unportable_names_notice(names: list[str]) -> str:
    """A notice naming the model folders (``names``, working or broken) that cannot be copied
    to every system as they are, with how to rename them; "" when there are none: names that
    are no folder name on Windows (``nul.v2``: bad-input round 10 found such a folder listed
    and used without a word) and names that differ only in case (``m1`` and ``M1``: round 18).
    New names of either kind are refused; these came in by a copy, a sync or an older version."""
    parts = []
    if found := [(n, why) for n in names if (why := unportable_reason(n))]:
        listed = "; ".join(f"{shown(n)}: {why}" for n, why in found)
        parts.append(
            f"Model name(s) that Windows cannot use as a folder ({listed}), so this store cannot "
            f"be copied there as it is: rename them (Home, or python -m movierate rename "
            f"{shell_quoted(found[0][0])} NEW_NAME)."
        )
    if twins := case_twins(names):
        listed = "; ".join(" and ".join(shown(n) for n in group) for group in twins)
        parts.append(
            f"Model folders whose names differ {twin_difference(sum(twins, []))} ({listed}): "
            f"{CASE_TWINS_RISK}; "
            f"rename all but one of each (Home, or python -m movierate rename "
            f"{shell_quoted(twins[0][0])} NEW_NAME)."
        )
    return "\n\n".join(parts)


def shell_quoted(name: str) -> str:
    r"""``name`` quoted for a shell command line that works when pasted: a name holding bytes
    that are no UTF-8 (read by Python as lone surrogates) or control and bidirectional
    characters as bash's ``$'bad\xffname'`` / ``$'rtl\u202ename'`` (the recheck: a quoted
    bidi name was shown escaped inside plain quotes, where bash does not read ``\u``).

    >>> print(shell_quoted("my model"), shell_quoted("bad\udcffname"), shell_quoted("a\u202eb"))
    'my model' $'bad\xffname' $'a\u202eb'
    >>> print(shell_quoted("tag\U000e0001x"))
    $'tag\U000e0001x'
    """

    def odd(c: str) -> bool:
        return 0xDC80 <= ord(c) <= 0xDCFF or unicodedata.category(c) in ("Cc", "Cf")

    if not any(odd(c) for c in name):
        return shlex.quote(name)
    parts = []
    for c in name:
        if 0xDC80 <= ord(c) <= 0xDCFF:  # a byte that is no UTF-8 (surrogateescape)
            parts.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif unicodedata.category(c) in ("Cc", "Cf"):  # \U beyond U+FFFF (recheck 2)
            parts.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        elif c in "'\\":
            parts.append("\\" + c)
        else:
            parts.append(c)
    return "$'" + "".join(parts) + "'"


def validate_name(name: str, *, new: bool = True) -> str:
    """Return ``name`` if it is a valid model name, else raise StoreError stating the rule.

    A ``new`` name (to save or rename to) must also work as a folder on every OS
    (:mod:`movierate.filenames`); an existing model's folder name only has to be safe, so a
    model saved before that rule still opens."""
    if not isinstance(name, str):
        raise StoreError(f"A model name must be text, got {type(name).__name__}.")
    problem = name_problem(name, NAME_MAX_LENGTH)
    if problem is None and new:
        problem = unportable_reason(name)
    if problem is None and new and name.startswith("-"):  # a command line reads it as an option
        problem = "it starts with '-'"
    if problem:
        raise StoreError(f"Invalid model name {shown(name)}: {problem}. Use {NAME_RULE}.")
    return name


def name_like(text: str) -> str:
    """A valid model name made from ``text``: other characters become ``-`` (``./my data``
    gives ``my-data``)."""
    clean = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)))
    clean = clean.strip("-.")[:NAME_MAX_LENGTH].rstrip(".") or "model"
    if unportable_reason(clean):  # a Windows device name such as 'con' or 'nul.v2'
        clean = f"model-{clean}"[:NAME_MAX_LENGTH].rstrip(".")
    return clean


def unique_name(base: str) -> str:
    """A valid model name like ``base`` that no saved model uses (``base``, ``base-2``, ...)."""
    clean = name_like(base)
    check_readable()  # recheck B (s27): an unreadable folder surfaced as a bare PermissionError
    root = config.models_dir()
    candidate, n = clean, 1
    # a dangling link takes its name too, and so does a name differing only in case
    while os.path.lexists(root / candidate) or case_twin(candidate) is not None:
        n += 1
        suffix = f"-{n}"
        candidate = clean[: NAME_MAX_LENGTH - len(suffix)] + suffix
    return candidate


def models_folder_problem() -> str | None:
    """Why the models folder cannot hold models, or None (a missing one is made when a model is
    saved): :func:`config.folder_problem`. THE wording every command and page shows (bad-input
    round 18: `import` said "File exists", `rename` and `delete` "no models are saved yet"
    where `list` named the file; recheck B, s27: an unreadable folder was called a link to
    nothing)."""
    return config.folder_problem(config.models_dir(), "models", config.models_dir_setting())


def unreadable_text(root: Path) -> str:
    """Why the models folder ``root`` cannot be used when this user may not read it (or a folder
    above it): :func:`config.unreadable_text`."""
    return config.unreadable_text(root, "models", config.models_dir_setting())


def check_readable() -> None:
    """StoreError (:func:`models_folder_problem`) when the models folder cannot exist: listing,
    renaming or deleting would otherwise say "no models"."""
    if problem := models_folder_problem():
        raise StoreError(problem)


def check_writable() -> Path:
    """The models folder, created if missing and checked writable now (before any training).

    StoreError naming the setting that chose the folder (``MOVIERATE_MODELS_DIR`` or
    ``MOVIERATE_HOME``) and what is wrong with it.
    """
    root = config.models_dir()
    setting = config.models_dir_setting()
    try:
        str(root).encode("utf-8")
    except UnicodeEncodeError:  # the save's parquet writer cannot take it: say so before training
        shown_root = bytes_escaped(str(root))
        raise StoreError(
            f"The models folder {shown_root} has a path with bytes that are no UTF-8 text, "
            f"where models cannot be saved; set {setting} to a folder whose path is plain text."
        ) from None
    check_readable()
    try:
        root.mkdir(parents=True, exist_ok=True)
        _probe_write(root)
    except OSError as exc:
        what = exc.strerror or type(exc).__name__
        raise StoreError(
            f"Models cannot be saved in {root} ({what}); set {setting} to a writable folder, "
            "or fix the folder's permissions."
        ) from None
    return root


def saved_size_estimate(n_users: int, n_movies: int, dim: int) -> int:
    """Bytes a saved model of this shape takes, roughly and on the high side: its tables in
    embeddings.npz and again in model.keras with two optimizer slots each (4 copies of
    float32 rows), the movie table, and 1 MB for the rest."""
    rows = max(int(n_users), 0) + max(int(n_movies), 0)
    return 4 * rows * (max(int(dim), 1) + 1) * 4 + 200 * max(int(n_movies), 0) + 2**20


def check_room(needed: int) -> None:
    """StoreError, before any training, when the models folder's disk has less free space than
    ``needed`` bytes (:func:`saved_size_estimate`): bad-input round 16 saw a training run to its
    end and then fail to save on a full disk, its whole run lost."""
    root = check_writable()
    try:
        free = shutil.disk_usage(root).free
    except OSError:  # a file system that does not say: the save itself will tell
        return
    if free < needed:
        raise StoreError(
            f"Saving this model needs about {needed / 2**20:,.0f} MB in {root}, and only "
            f"{free / 2**20:,.0f} MB are free there; free some space, or set "
            f"{config.models_dir_setting()} to a folder on another disk. Nothing was trained."
        )


def _probe_write(folder: Path) -> None:
    """Create and remove an empty file in ``folder``; OSError when the folder takes no changes
    (permissions, a read-only mount, ``chattr +i``)."""
    probe = folder / f".movierate-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    probe.write_bytes(b"")
    probe.unlink()


def model_path(name: str) -> Path:
    """Folder of the model ``name`` (validated; it may not exist)."""
    return config.models_dir() / validate_name(name, new=False)


def model_exists(name: str) -> bool:
    """True if a folder named ``name`` exists in the store (working or broken), or one whose
    name differs from it only in case (:func:`case_twin`)."""
    return model_path(name).exists() or case_twin(name) is not None


def case_twin(name: str, *, besides: str | None = None) -> str | None:
    """The saved model whose name differs from ``name`` only in case (``A100K`` beside
    ``a100k``), other than ``besides``: macOS, Windows and exFAT keep both in one folder, so a
    store copied there would mix two models' files. None when there is none."""
    try:
        entries = [e.name for e in config.models_dir().iterdir()]
    except OSError:
        return None
    folded = twin_key(name)
    return next((e for e in entries if e != name and e != besides and twin_key(e) == folded), None)


#: ``save_model(replaces=ANY_FOLDER)``: an overwrite replaces whatever folder has the name.
ANY_FOLDER = "any"
#: What a name held when a run began (:func:`model_in_place`): None when no model was there.
HeldModel = str | None


def save_model(
    name: str,
    result: TrainingOutput,
    ds: Any,
    split: Any,
    spec: ModelSpec,
    *,
    overwrite: bool = False,
    extra_meta: Mapping[str, Any] | None = None,
    extra_json: Mapping[str, Any] | None = None,
    name_base: str | None = None,
    replaces: HeldModel = ANY_FOLDER,
) -> Path:
    """Save a training result as the model ``name``, atomically; returns its folder.

    ``extra_meta`` adds top-level keys to meta.json (e.g. the tuner's ``tuning`` summary);
    ``extra_json`` maps file names to JSON values written beside it (e.g. ``trials.json``).

    ``result`` is a ``movierate.nn.training.TrainResult`` (see :class:`TrainingOutput`). Raises
    StoreError if the name is invalid or taken (unless ``overwrite``), also when another process
    saves the same name meanwhile. ``name_base`` says ``name`` was made by
    :func:`unique_name` from it (not chosen by the user): a name taken by then (another run
    saved first) is replaced by the next free one, and the returned folder's name is the one
    used. A RatingsDataset ``ds`` must hold the data its fingerprint names, which meta.json
    records (:meth:`~movierate.data.RatingsDataset.check_fingerprint`). A Ctrl-C that lands
    once the model folder is in place raises :class:`~movierate.atomic.InterruptedAfterSave`
    (a KeyboardInterrupt saying the model is saved), never a bare KeyboardInterrupt.
    ``replaces``: with ``overwrite``, the model (:func:`model_in_place`) the caller saw
    under ``name`` before the training; another run's model saved there meanwhile is not
    replaced: the model goes to the next free name after ``name_base`` (fuzz66, F2: two
    ``train --overwrite`` both reported the name, and one model was lost).
    """
    overwrite = schema.flag(overwrite, "overwrite", StoreError)
    validate_name(name)
    check_data = getattr(ds, "check_fingerprint", None)
    if check_data is not None:  # benchmarks pass stand-ins without rows
        check_data()
    model = TrainedModel.from_training(name, result, ds, split, spec)
    model.meta.update(extra_meta or {})
    if model.meta["split"].get("stop_rows_trained"):  # a refit: fit on train + stop rows
        model.movies = with_training_counts(ds, np.concatenate([split.train, split.stop]))
    try:  # checked again: the folder may have changed during the training
        root = check_writable()
    except StoreError as exc:  # bad-input round 51, F2: a finished training was thrown away
        raise _kept_elsewhere(model, result, extra_json, exc) from None
    final = root / name
    remove_leftovers()
    moved_in = _moved_in(name, overwrite, replaces)
    if (final.exists() and not overwrite) or case_twin(name) is not None or moved_in:
        if name_base is None:
            raise _replaced_meanwhile(name) if moved_in else name_taken(name)
        name = unique_name(name_base)
        final = root / name
        model.name, model.meta["name"] = name, name
        overwrite, replaces = False, ANY_FOLDER
    model.path = final
    published: list[Path] = []
    try:
        with (
            _saving(name, root, overwrite and final.exists()),
            atomic.staging_folder(root, f"{TEMP_PREFIX}{name}-") as temp,
        ):
            atomic.checkpoint("save:staged")
            _write_model_files(temp, model, result, extra_json)
            atomic.checkpoint("save:meta")
            published.append(_publish_model(temp, final, model, overwrite, name_base, replaces))
        atomic.checkpoint("save:done")
    except KeyboardInterrupt as exc:  # the model is in place: say so (bad-input round 24)
        if published and not isinstance(exc, atomic.InterruptedAfterSave):
            raise atomic.InterruptedAfterSave(published[0], "model") from exc
        raise
    except StoreError as exc:  # a write the store refused (_saving): keep the training
        if published or not isinstance(exc.__cause__, OSError):
            raise
        raise _kept_elsewhere(model, result, extra_json, exc) from exc
    return published[0]


def _write_model_files(
    folder: Path, model: TrainedModel, result: TrainingOutput, extra_json: Mapping[str, Any] | None
) -> None:
    """Write the files of ``model`` into the empty folder ``folder``."""
    _write_npz(folder / EMBEDDINGS_FILE, model.arrays)
    atomic.checkpoint("save:embeddings")
    _write_movies(folder / MOVIES_FILE, model.movies)
    atomic.checkpoint("save:movies")
    atomic.process_temp_ready()  # Keras writes temp files: its folder may have been removed
    result.save_keras(folder / KERAS_FILE)
    atomic.checkpoint("save:keras")
    model.meta[FILES_KEY] = file_fingerprints(folder)
    (folder / META_FILE).write_text(
        json.dumps(json_safe(model.meta), indent=2, allow_nan=False) + "\n"
    )
    for file_name, value in (extra_json or {}).items():
        if Path(file_name).name != file_name or file_name in (META_FILE, EMBEDDINGS_FILE):
            raise StoreError(f"Cannot write an extra file named {file_name!r}.")
        (folder / file_name).write_text(
            json.dumps(json_safe(value), indent=2, allow_nan=False) + "\n"
        )
    (folder / CACHE_FOLDER).mkdir()


def _kept_elsewhere(
    model: TrainedModel,
    result: TrainingOutput,
    extra_json: Mapping[str, Any] | None,
    refused: StoreError,
) -> StoreError:
    """The StoreError for a finished training the models folder refused (``refused``): it says
    that the training finished and with what result, and keeps the model in a rescue folder
    of the system's temporary folder, naming the command that copies it into the store
    (bad-input round 51, F2: the pre-training check's words were repeated and all was lost)."""
    said = f"The training finished{_training_summary(model.metrics)} but could not be saved: "
    failures = []
    for parent in _rescue_parents():
        try:
            rescue = Path(tempfile.mkdtemp(prefix="movierate-rescued-", dir=parent))
        except OSError as exc:
            failures.append(f"{parent}: {atomic.write_failure(exc)[0]}")
            continue
        folder = rescue / model.name
        try:
            folder.mkdir()
            # Keras' temp files go beside the rescued model, never to this run's temp folder,
            # which may be what failed (fuzz round 57, F1: the rescue failed with the save)
            with atomic.temp_files_in(rescue):
                _write_model_files(folder, model, result, extra_json)
        except OSError as exc:
            shutil.rmtree(rescue, ignore_errors=True)  # no half model left in a temp folder
            failures.append(f"{parent}: {atomic.write_failure(exc)[0]}")
            continue
        models = shell_quoted(f"{config.models_dir()}{os.sep}")
        return StoreError(
            f"{said}{refused} The model is kept in {folder} instead. Once the models folder is "
            f"writable, copy it in with `cp -r {shell_quoted(str(folder))} {models}` "
            f"(`movierate list` then shows {shown(model.name)}); do it soon, as the system "
            f"clears old files from {parent} (and /tmp at a restart)."
        )
    tried = "; ".join(failures) or "no temporary folder found"
    return StoreError(
        f"{said}{refused} It could not be kept elsewhere either ({tried}), so nothing was kept: "
        "fix the folder and train again."
    )


def _training_summary(metrics: Mapping[str, Any]) -> str:
    """``" (250 epochs, test RMSE 0.9846)"``: what a finished training measured, or ``""``."""
    parts = []
    if (epochs := _count_or_none(metrics.get("epochs_run"))) is not None:
        parts.append(f"{epochs} epochs")
    if (rmse := _float_or_none(metrics.get("test_rmse"))) is not None:
        parts.append(f"test RMSE {rmse:.4f}")
    return f" ({', '.join(parts)})" if parts else ""


def _rescue_parents() -> list[Path]:
    """Where a finished training the store refused is kept: the system's temporary folders
    (``TMPDIR``, ``TEMP``, ``TMP``, then /var/tmp and /tmp), never MOVIERATE_HOME's own
    ``tmp``, which is emptied when the run ends."""
    named = [os.environ.get(setting) for setting in ("TMPDIR", "TEMP", "TMP")]
    own = temp_root().resolve()
    parents: list[Path] = []
    for text in dict.fromkeys(t for t in [*named, "/var/tmp", "/tmp"] if t):
        path = Path(text)
        if path.is_dir() and not path.resolve().is_relative_to(own):
            parents.append(path)
    return parents


def _publish_model(
    temp: Path,
    final: Path,
    model: TrainedModel,
    overwrite: bool,
    name_base: str | None,
    replaces: HeldModel = ANY_FOLDER,
) -> Path:
    """Rename the staged model folder ``temp`` to ``final`` (the next free name after
    ``name_base`` when another run took it, or replaced the model ``replaces`` meanwhile);
    returns the folder it went to."""
    name, root = final.name, final.parent
    for attempt in range(AUTO_NAME_ATTEMPTS):
        # the last check and the swap hold the models folder's lock: two overwrites of one
        # name take turns, and the second sees the first's model (fuzz66, F2)
        with atomic.folder_lock(root) if overwrite else contextlib.nullcontext():
            taken = _moved_in(name, overwrite, replaces)
            if not taken:
                # checked again right before the swap: training and staging took a while, and
                # a folder moved in meanwhile would go with the old model (recheck B, s26: 2 s)
                if overwrite:
                    check_replaceable(final.name)
                try:
                    atomic.publish_folder(
                        temp,
                        final,
                        replace=overwrite,
                        fsync=True,
                        trash_prefix=OLD_PREFIX,
                        what="model",
                    )
                    break
                except FileExistsError:
                    pass
        if name_base is None or attempt + 1 == AUTO_NAME_ATTEMPTS:
            raise (_replaced_meanwhile(name) if taken else name_taken(name)) from None
        overwrite, replaces = False, ANY_FOLDER  # the next free name: nothing to replace
        # another run saved under the name first: take the next free one
        name = unique_name(name_base)
        final = root / name
        model.meta["name"] = name
        atomic.write_text(
            temp / META_FILE,
            json.dumps(json_safe(model.meta), indent=2, allow_nan=False) + "\n",
        )
        atomic.checkpoint("save:renamed")
    return final


@contextlib.contextmanager
def _saving(name: str, root: Path, replacing: bool, verb: str = "save") -> Iterator[None]:
    """An OSError while a model's files are written to ``root`` (a save, an import: ``verb``)
    as a StoreError that says what it means: the write went to a temporary folder, so nothing
    was saved and no model changed (bad-input round 12: under ``ulimit -f`` pyarrow said only
    "[errno 27] File too large"); it names the folder and, for a full disk, the setting that
    moves it (round 20). Whether the folder under the name is still the old one is checked,
    not assumed (bad-input round 31)."""
    before = _folder_identity(root / name)
    try:
        yield
    except OSError as exc:
        if _folder_identity(root / name) == before:
            kept = "Nothing was saved."
            if replacing:
                kept += f" The model already named {name!r} is unchanged."
        else:  # the new folder went into place before the failure
            kept = f"{name!r} may be saved all the same: check it (`movierate show {name}`)."
        raise store_write_error(exc, f"Could not {verb} {name!r} in {root}", kept, root) from exc


def store_write_error(exc: OSError, failed: str, kept: str, folder: Path) -> StoreError:
    """The StoreError for an OSError of a store write (save, import, delete, rename, ...):
    ``failed`` says what could not be done, in the user's terms (which model, which step); then
    what the system said and about which file (not a hidden staging or trash name the user never
    saw); ``kept`` what is unchanged (the caller checks it); and what to do, else which folder
    to look at (bad-input round 31, F3: "Input/output error: .../.trash-m-e45c0fe8")."""
    said, hint = atomic.write_failure(exc, config.models_dir_setting())
    where = ""
    if exc.filename is not None:
        path = Path(os.fsdecode(exc.filename))
        if not path.name.startswith(".") and path != folder:
            hidden = any(part.startswith(".") for part in path.parts[:-1])
            where = f" (writing {path.name})" if hidden else f" ({path_shown(path)})"
    hint = hint or f"Look at {path_shown(folder)} (space, permissions, the drive) and try again."
    return StoreError(f"{failed}: {said}{where}. {kept} {hint}")


#: How many generated names a save tries when other runs keep taking them first.
AUTO_NAME_ATTEMPTS = 20


def list_models() -> tuple[list[ModelInfo], list[BrokenModel]]:
    """Every saved model (newest first) and every folder that cannot be loaded, with why.

    Hidden folders (temporary saves, deletions in progress) are ignored; one bad folder never
    stops the listing.
    """
    root = config.models_dir()
    infos: list[ModelInfo] = []
    broken: list[BrokenModel] = []
    check_readable()  # a file where the store should be: say so, never "no models"
    if not root.is_dir():
        return infos, broken
    recover()
    remove_leftovers()
    for path in sorted(root.iterdir()):
        if not path.name.startswith(".") and _dead_link(path):
            broken.append(BrokenModel(path.name, DEAD_LINK, path))  # bad-input round 15: unlisted,
            continue  # yet its name was "taken" and delete found "no model" (a file stays
        # unlisted, a note of the user's: its name is said as held when asked for, below)
        if path.name.startswith("."):
            if _hidden_model(path):  # bad-input round 52, F4: it vanished without a word
                broken.append(BrokenModel(path.name, _hidden_reason(path.name), path))
            continue
        try:
            if not path.is_dir():
                continue
        except PermissionError:  # a link to a folder this user may not read
            broken.append(BrokenModel(path.name, UNREADABLE_LINK, path))
            continue
        try:
            try:
                validate_name(path.name, new=False)
            except StoreError as exc:  # e.g. a file manager's "m copy": say the way out
                raise StoreError(
                    f"{exc} Rename the folder to such a name (Home, or `python -m movierate "
                    f"rename {shell_quoted(path.name)} NEW-NAME`), or delete it."
                ) from None
            meta, spec = _read_stable(path, _inspect)
            timings = meta.get("timings")
            train_seconds = timings.get("train_seconds") if isinstance(timings, dict) else None
            info = ModelInfo(
                name=path.name,
                path=path,
                created=created_utc(meta["created"]),
                spec=spec,
                dataset=str(meta["dataset"].get("name", "?")),
                metrics=dict(meta["metrics"]),
                train_seconds=_float_or_none(train_seconds),
                format_version=int(meta["format_version"]),
                split_record=dict(meta.get("split") or {}),
                dataset_fingerprint=str(meta["dataset"].get("fingerprint") or ""),
                imported=bool(meta.get("imported")),
                blend=tuple(read_blend_members(meta)),
                seeds=read_ensemble_seeds(meta),
                scale=_scale_of(meta),
                n_movies=_count_or_none(meta["dataset"].get("n_movies")),
            )
        except _FolderGone:
            continue  # renamed or deleted meanwhile: no longer part of this listing
        except MovierateError as exc:
            if path.is_dir():  # not renamed or deleted meanwhile
                broken.append(BrokenModel(path.name, with_next_step(str(exc)), path))
            continue
        except Exception as exc:  # a damaged folder must never break the listing
            if path.is_dir():
                broken.append(BrokenModel(path.name, unexpected_problem(exc), path))
            continue
        infos.append(info)
    # a save date over a day ahead is no date (a hand edit, a clock set wrong): listed last, so
    # "the newest model" that pages start with is never it (recheck: 2099 was picked first);
    # sorted by the time itself, not its text (bad-input round 28, F5: +14:00 came first)
    latest = datetime.now(timezone.utc) + timedelta(days=1)
    earliest = datetime.min.replace(tzinfo=timezone.utc)

    def newest_first(info: ModelInfo) -> tuple[datetime, str]:
        when = _created_time(info.created) or earliest
        return (when if when <= latest else earliest, info.name)

    infos.sort(key=newest_first, reverse=True)
    return infos, broken


def _created_time(text: str) -> datetime | None:
    """A ``created`` stamp as an aware UTC time (no offset: UTC, as movierate writes it)."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        return None


def created_utc(text: str) -> str:
    """meta.json's ``created`` as ``YYYY-MM-DDTHH:MM:SS+00:00``: an offset written elsewhere
    (``+14:00``) converted, no offset read as UTC, so a "created (UTC)" column and the newest
    model are right (bad-input round 28, F5). Text that is no time is returned as it is."""
    when = _created_time(text)
    return str(text) if when is None else when.isoformat(timespec="seconds")


def load_model(name: str) -> TrainedModel:
    """Load a saved model's arrays, metadata and movies table (no TensorFlow).

    A model replaced, renamed or deleted by another process while it is read is read again (a
    load never mixes the files of two versions of a model).
    """
    recover()
    path = _existing_model_path(name)
    try:
        meta, spec, arrays, movies = _read_stable(path, _read_model_files)
    except FileNotFoundError:
        if not path.is_dir():
            raise StoreError(f"Model {shown(name)} was deleted or renamed meanwhile.") from None
        raise StoreError(
            f"Model {name!r} cannot be loaded: a file is missing. Delete it and train it again."
        ) from None
    except StoreError as exc:
        raise StoreError(f"Model {name!r} cannot be loaded: {exc}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise StoreError(
            f"Model {name!r} cannot be loaded: {type(exc).__name__}: {exc}. "
            "Delete it and train it again."
        ) from None
    for array in arrays.values():
        array.flags.writeable = False
    meta = _named_by_folder(meta, path)
    model = TrainedModel(name=name, path=path, spec=spec, meta=meta, arrays=arrays, movies=movies)
    with contextlib.suppress(OSError):  # gone meanwhile: keras_model() compares the contents
        model._stamp = _file_stamp(path / META_FILE)
    return model


def _file_stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def _read_model_files(
    path: Any,
) -> tuple[dict[str, Any], ModelSpec, dict[str, np.ndarray], pd.DataFrame]:
    meta, spec = _inspect(path, files="later")
    arrays = _read_npz(path / EMBEDDINGS_FILE, _model_array_names(spec), _array_bound(meta, spec))
    problem = _finite_problem(arrays)
    if not meta.get("imported"):  # an import predicts nothing: its global mean is 0
        problem = problem or _mean_problem(arrays, meta["dataset"]["rating_scale"])
    if unit := scoring.unit_problem(arrays):
        problem = problem or f"{EMBEDDINGS_FILE}: {unit}"
    if problem:
        raise StoreError(problem)
    movies = _read_movies(path / MOVIES_FILE)
    if problem := _files_problem(path, meta, contents=True):  # after what says more
        raise StoreError(problem)
    return meta, spec, arrays, movies


#: How often a folder that another process keeps replacing is read again before giving up.
READ_ATTEMPTS = 10
#: The files a load reads, opened together at once (see :class:`_PinnedFolder`).
_PINNED_FILES = (META_FILE, EMBEDDINGS_FILE, MOVIES_FILE)
_PROC_FD = Path("/proc/self/fd")


class _PinnedFolder:
    """One version of a model folder, held open while it is read.

    Another process may replace (swap), rename or delete the folder under its name meanwhile;
    reads through ``pinned / FILE`` still see the one folder opened here (Linux: the folder and
    its files are opened at once and read through ``/proc/self/fd``, so a removal after that
    changes nothing either). Elsewhere it is the plain path and :func:`_read_stable` compares
    the folder's identity before and after instead.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._fds: list[int] = []
        self._files: dict[str, Path] = {}
        #: model files that are no regular file (a FIFO, a device): reading one is refused
        self._special: set[str] = set()
        self._dir: Path | None = None
        self.identity: tuple[int, int] | None = None
        if not (hasattr(os, "O_DIRECTORY") and _PROC_FD.is_dir()):
            return
        try:
            dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return  # the caller's read names the problem
        self._fds.append(dir_fd)
        st = os.fstat(dir_fd)
        self.identity = (st.st_dev, st.st_ino)
        self._dir = _PROC_FD / str(dir_fd)
        for name in _PINNED_FILES:
            try:  # non-blocking: a FIFO under a file's name must not hang every listing
                fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError:
                continue  # missing: the read reports it
            self._fds.append(fd)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                self._special.add(name)
                continue
            self._files[name] = _PROC_FD / str(fd)

    @property
    def pinned(self) -> bool:
        return self._dir is not None

    def __truediv__(self, name: str) -> Path:
        if name in self._files:
            return self._files[name]
        if self._dir is None:  # not pinned: the plain path, checked the same way
            with contextlib.suppress(OSError):
                if name in _PINNED_FILES and not stat.S_ISREG(os.stat(self.path / name).st_mode):
                    self._special.add(name)
        if name in self._special:
            raise StoreError(
                f"{name} in the model folder {shown(self.name)} is not a regular file (a "
                "folder, pipe or device); a model's files are plain files. Move it away, or "
                "delete the folder."
            )
        return self._dir / name if self._dir is not None else self.path / name

    def still_there(self) -> bool:
        """Whether the folder opened here is still the one under its name."""
        try:
            st = self.path.stat()
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.identity

    def close(self) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()


class _FolderGone(FileNotFoundError):
    """The folder to read was renamed or deleted (by another process) before it was read."""


def model_in_place(name: str) -> HeldModel:
    """Which model the name ``name`` holds now, or None when none: its folder (device, inode)
    and :func:`model_identity` (a folder's inode alone may be recycled for the next save). An
    overwrite hands it to :func:`save_model` (``replaces``) so that a model another run saved
    under the name while this one trained is kept, not replaced unseen (fuzz66, F2)."""
    path = config.models_dir() / name
    try:
        st = path.stat()
    except OSError:
        return None if not os.path.lexists(path) else "no folder"
    try:
        held = model_identity(name)
    except StoreError as exc:  # a folder that is no model: the same one while its error is
        held = str(exc)
    return f"{st.st_dev}:{st.st_ino}:{held}"


def _moved_in(name: str, overwrite: bool, replaces: HeldModel) -> bool:
    """Whether an overwrite of ``name`` would replace a model other than ``replaces``."""
    return overwrite and replaces != ANY_FOLDER and model_in_place(name) != replaces


def _replaced_meanwhile(name: str) -> StoreError:
    """The StoreError for an overwrite whose model another run replaced during the training."""
    return StoreError(
        f"Another run saved a model named {shown(name)} while this one trained, so it was not "
        "replaced (it is not the model this run was asked to replace). Nothing was saved; "
        "compare with `movierate show` and train again to replace it."
    )


def _folder_identity(path: Path) -> tuple[int, int, int] | None:
    """Which folder is under ``path`` now (device, inode, change time); None if none is."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


def _read_stable(path: Path, read: Callable[[Any], _T]) -> _T:
    """``read(folder)`` of one version of the folder at ``path``, never a mix of two.

    ``folder / FILE`` is the file to read. A read that fails while the folder is replaced,
    renamed or deleted by another process is done again (its error describes a folder that
    is gone, not a damaged model); the error of a read of one unchanged folder is raised.
    FileNotFoundError if no folder is there any more.
    """
    for attempt in range(READ_ATTEMPTS):
        before = _folder_identity(path)
        if before is None:
            raise _FolderGone(errno.ENOENT, "the model folder is gone", str(path))
        folder = _PinnedFolder(path)
        try:
            try:
                value = read(folder)
            except Exception:
                changed = (
                    not folder.still_there() if folder.pinned else _folder_identity(path) != before
                )
                if changed and attempt + 1 < READ_ATTEMPTS:
                    atomic.checkpoint("read:changed")
                    continue
                raise
            if folder.pinned or _folder_identity(path) == before:
                return value
            atomic.checkpoint("read:changed")
        finally:
            folder.close()
    raise StoreError(
        f"{path.name!r} kept changing while it was read (another process keeps replacing it); "
        "try again."
    )


def read_meta(name: str) -> dict[str, Any]:
    """The parsed ``meta.json`` of model ``name`` (validated format version); a StoreError
    names the model and its folder (bad-input round 45, F2: ``show`` said only "meta.json
    lacks metrics")."""
    path = _existing_model_path(name)
    try:
        return _named_by_folder(_read_meta(path), path)
    except StoreError as exc:
        raise StoreError(
            f"Model {shown(name)} (in {path_shown(path)}) cannot be read: {exc}"
        ) from None


def _named_by_folder(meta: dict[str, Any], path: Path) -> dict[str, Any]:
    """``meta`` with the folder's name as its ``name``: the folder name is the model's name,
    and a ``rename`` killed between its folder move and its meta.json rewrite left the old
    one recorded (bad-input round 47, F3: ``show --json`` named the old model)."""
    return meta if meta.get("name") == path.name else {**meta, "name": path.name}


def require_model(name: str) -> Path:
    """The folder of the saved model ``name`` (working or broken); StoreError naming the
    saved models when there is none."""
    return _existing_model_path(name, listed=True)


def models_trained_on(dataset: str) -> list[str]:
    """Names of the saved models trained on the dataset named ``dataset`` (newest first)."""
    infos, _broken = list_models()
    return [info.name for info in infos if info.dataset == dataset]


def model_problem(name: str) -> str | None:
    """Why the saved model ``name`` cannot be loaded (what :func:`list_models` reports for a
    broken folder: missing or damaged files, shapes that disagree), or None when it is whole."""
    path = _existing_model_path(name)
    try:
        _read_stable(path, lambda folder: _inspect(folder, files="digest"))
    except _FolderGone:
        raise StoreError(f"Model {shown(name)} was deleted or renamed meanwhile.") from None
    except MovierateError as exc:
        return str(exc)
    except Exception as exc:  # a damaged file no check foresaw
        return unexpected_problem(exc)
    return None


#: Said of a file this process may not read: its content is unknown, not damaged.
UNREADABLE = "movierate may not read"


def _damaged_text(file_name: str, exc: BaseException) -> str:
    """Why ``file_name`` of a model cannot be read: damaged, or only not readable by this
    process (bad-input round 13: a chmod 000 file was "damaged" under a /proc/self/fd path,
    and `show` advised deleting the model)."""
    if isinstance(exc, PermissionError):
        folder = Path(os.fsdecode(exc.filename)).parent if exc.filename else None
        return (
            f"{UNREADABLE} {file_name} (permission denied); the file itself may be whole: make "
            f"the model's folder readable again (chmod -R u+rwX on it{_owner_hint(folder)})"
        )
    return f"{file_name} is damaged ({exc})"


def unopenable_text(folder: Path) -> str:
    """Why a model folder this user may not open (``chmod 000``) cannot be read: a permission to
    fix, never damage or a link (bad-input round 51, F1: "meta.json is a link to '?'")."""
    return (
        f"movierate may not open the folder {path_shown(folder)} (permission denied); the model "
        f"may be whole: make it readable again (chmod -R u+rwX {shell_quoted(str(folder))}"
        f"{_owner_hint(folder)})"
    )


def _owner_hint(path: Path | None) -> str:
    """What to add to chmod advice when another user owns ``path``: only they may chmod it
    (bad-input round 51, F4: a shared store was met with "chmod" alone), else ``""``."""
    try:
        foreign = path is not None and path.stat().st_uid != os.geteuid()
    except (OSError, AttributeError):  # gone, or no owners to tell (Windows)
        return ""
    if not foreign:
        return ""
    return (
        " as its owner: it belongs to another user, so ask them, or take it over with sudo chown -R"
    )


#: Words by which a broken model's reason already says what to do (restore, delete, ...).
_NEXT_STEP = re.compile(
    r"\b(restore|delete|upgrade|retrain|rename|remove|fix|make|move|put|ask|chmod)\b", re.I
)


def with_next_step(reason: str) -> str:
    """``reason`` (why a saved model cannot be used) with :data:`DAMAGED_FIX` added where it
    says no next step (bad-input round 67, F4: "embeddings.npz is damaged (File is not a zip
    file)" and "shape mismatch ..." left the dashboard's reader without one).

    >>> with_next_step("shape mismatch").endswith(DAMAGED_FIX), with_next_step("delete it")
    (True, 'delete it')
    """
    if _NEXT_STEP.search(reason):
        return reason
    return f"{reason.rstrip('. ')}; {DAMAGED_FIX}"


def unexpected_problem(exc: BaseException) -> str:
    """A broken folder's reason for an error no check foresaw."""
    if isinstance(exc, PermissionError):
        return _damaged_text(Path(exc.filename or "a file").name, exc)
    return f"{type(exc).__name__}: {exc}"


def model_identity(name: str) -> str:
    """Which model the name ``name`` holds now, for a confirmation asked now and acted on
    later (:func:`delete_model`'s ``expected``): a hash of its meta.json without the name
    field, whose save time and numbers differ between any two models, and of its embeddings
    file's size. A rename keeps it; a replace, or another model saved, copied or moved under
    the name, changes it. (Recheck 3: the folder's inode alone was recycled by the file
    system for the next model saved under the name, which the confirmation then deleted.)"""
    path = _existing_model_path(name, listed=True)
    digest = hashlib.blake2b(digest_size=12)
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        if isinstance(meta, dict):
            meta.pop("name", None)
        digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    except (OSError, ValueError):
        digest.update(b"no readable meta.json")
    with contextlib.suppress(OSError):
        digest.update(str((path / EMBEDDINGS_FILE).stat().st_size).encode())
    return digest.hexdigest()


def delete_model(name: str, *, expected: str | None = None) -> None:
    """Delete the model ``name``: renamed away first (so it vanishes at once), then removed.

    ``expected`` (:func:`model_identity` when the user was asked): StoreError, and nothing
    deleted, when another model holds the name by now (bad-input round 11: a confirmation
    left open in one tab deleted the model another tab or the CLI had moved under that name).
    """
    with contextlib.suppress(StoreError):
        link = model_path(name)
        if _dead_link(link):  # listed as broken (DEAD_LINK): only the link goes
            try:
                link.unlink(missing_ok=True)
            except OSError as exc:
                kept = "Nothing was removed." if os.path.lexists(link) else ""
                failed = f"{shown(name)} is not deleted"
                raise store_write_error(exc, failed, kept, link.parent) from exc
            return
    path = _existing_model_path(name, listed=True)
    if expected is not None and model_identity(name) != expected:
        raise StoreError(
            f"{shown(name)} is not the model you were asked about any more: it was renamed, "
            "replaced or retrained since (in another tab or by the CLI). Nothing was deleted; "
            "check the list and ask again."
        )
    if refused := not_a_model_folder(path, name, "deleted"):
        raise refused
    locked = atomic.undeletable(path)
    if locked is not None and _read_only_mount(locked):  # round 16: chmod cannot help there
        raise StoreError(
            f"{shown(name)} is not deleted: {locked} is on a read-only file system. Mount it "
            "read-write, then delete again. Nothing was removed."
        )
    if locked is not None:  # bad-input round 13: "deleted", and its files stayed behind
        raise StoreError(
            f"{shown(name)} is not deleted: movierate may not remove the files in {locked} "
            f"(its permissions allow no changes). Make it writable (chmod -R u+w '{path}', or "
            f"chattr -R -i '{path}' if it was made immutable) and delete again. Nothing was "
            "removed."
        )
    try:
        left = atomic.remove_folder_now(path, TRASH_PREFIX)
    except FileNotFoundError:
        raise StoreError(f"Model {shown(name)} was deleted meanwhile.") from None
    except OSError as exc:  # the rename aside failed: the folder is where it was
        kept = (
            f"Nothing was removed: it is still in {path_shown(path)}."
            if os.path.lexists(path)
            else "It was moved aside to be removed; `movierate list` removes what is left."
        )
        raise store_write_error(exc, f"{shown(name)} is not deleted", kept, path) from exc
    if left is not None:
        raise StoreError(
            f"{shown(name)} is deleted from the list of models, but {atomic.left_behind(*left)}"
        )


def cache_path(model_name: str, key: str) -> Path:
    """Path of a cached analysis ``key`` (a file name) inside the model's ``cache/`` folder.

    Creates ``cache/`` if needed (OSError when it cannot); the file itself is the caller's to
    write atomically. A cache is optional: callers go through :class:`atomic.OptionalCache`,
    which computes the analysis without it when any step fails.
    """
    folder = _existing_model_path(model_name) / CACHE_FOLDER
    problem = name_problem(key, CACHE_KEY_MAX_LENGTH) if isinstance(key, str) else "not text"
    if problem:
        raise StoreError(
            f"Invalid cache key {shown(key)}: {problem}. Use 1 to {CACHE_KEY_MAX_LENGTH} characters "
            "among ASCII letters, digits, '-', '_' and '.', not starting with '.'."
        )
    # a link in the cache's place is replaced by a real folder (bad-input round 21: a link
    # to a folder elsewhere had the pages write there); removing it loses nothing
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists() and not folder.is_dir():  # bad-input round 67, F5: it was deleted
        raise StoreError(
            f"{path_shown(folder)} is a file where model {shown(model_name)} keeps its cache "
            "folder; movierate leaves it alone and keeps no cache for this model (views are "
            "computed again each time). Move the file away to let movierate keep one"
        )
    folder.mkdir(exist_ok=True)
    if folder.is_symlink():  # put back meanwhile: never write through it
        raise StoreError(
            f"The cache folder of model {shown(model_name)} is a link to another folder "
            f"({folder}), put back as soon as it was removed; movierate writes a model's "
            "cache only inside its folder. Remove the link, then try again."
        )
    return folder / key


def recover() -> list[str]:
    """Finish what killed writers left in the store; returns the names of models restored.

    A model renamed aside by a replacement that died before the new copy was in place (only
    where the OS cannot swap folders atomically) is put back under its name; it is never
    deleted while it is the last complete copy. Called by :func:`list_models`,
    :func:`load_model` and :func:`save_model`.
    """
    root = config.models_dir()
    try:
        return atomic.recover_folders(root, OLD_PREFIX)
    except OSError:  # a read-only or vanished store: nothing to recover here
        return []


def remove_leftovers(max_age_seconds: float = STALE_TEMP_SECONDS) -> list[str]:
    """Remove the store's leftovers of killed saves and deletions; returns their names.

    A staging folder is removed as soon as its writer (pid and start time in its writer
    record) is dead; one without a readable record only once older than ``max_age_seconds``.
    Deletions' trash folders are always removed. Replaced models set aside are restored or
    removed by :func:`recover` (never the last complete copy).
    """
    root = config.models_dir()
    removed = []
    for path in _trash_folders(root):
        with contextlib.suppress(OSError):  # another process may be removing it too
            atomic.remove_tree(path)
        if not path.exists():  # one it may not remove is no "removed" leftover
            removed.append(path.name)
    try:
        swept = atomic.sweep_leftovers(root, STORE_LEFTOVERS, max_age=max_age_seconds)
    except OSError:
        swept = []
    removed += [item.path.name for item in swept]
    for folder in _temp_file_folders(root):
        try:
            swept = atomic.sweep_leftovers(folder, (), max_age=max_age_seconds)
        except OSError:  # the model was renamed or deleted meanwhile, or is read-only
            continue
        removed += [str(item.path.relative_to(root)) for item in swept]
    return removed


def _trash_folders(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.name.startswith(TRASH_PREFIX) and p.is_dir()]
    except OSError:
        return []


def _model_folders(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir()]
    except OSError:
        return []


def _temp_file_folders(root: Path) -> list[Path]:
    """Where :func:`atomic.open_atomic` leaves temp files in the models folder: each model
    folder (meta.json is rewritten there) and its ``cache/``, unless that is a link, whose
    target is no folder of the store's to clean (bad-input round 21: folders beside meta.json
    were not scanned)."""
    folders = []
    for model in _model_folders(root):
        cache = model / CACHE_FOLDER
        try:
            real = cache.is_dir() and not cache.is_symlink()
        except OSError:  # one it may not read holds nothing it could clean
            real = False
        folders += [model, cache] if real else [model]
    return folders


def library_versions() -> dict[str, str | None]:
    """Versions recorded in ``meta.json``, read without importing TensorFlow."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["movierate"] = movierate.__version__
    return versions


# --- reading -----------------------------------------------------------------------------------


#: Why a link in the models folder that leads nowhere is listed as broken.
DEAD_LINK = (
    "a link that leads to no folder (its target is missing, or it points back at itself); "
    "delete it, which removes only the link"
)


#: Why a link in the models folder to a folder this user may not read is listed as broken.
UNREADABLE_LINK = (
    "a link to a folder this user may not read (permission denied); fix the permissions of "
    "its target, or delete the link, which removes only the link"
)


#: What a file (or a link to one) in the models folder is, where its name is asked for.
FILE_IN_STORE = (
    "a file, not a model folder; move it out of the models folder (movierate deletes only "
    "model folders)"
)


def _dead_link(path: Path) -> bool:
    """Whether ``path`` is a symbolic link whose target is missing or a loop. StoreError
    (:func:`unreadable_text`) when the folder holding ``path`` cannot be read: an unreadable
    folder is no dead link (recheck B, s27: every model was listed as one)."""
    try:
        if not path.is_symlink():
            return False
    except PermissionError:
        raise StoreError(unreadable_text(path.parent)) from None
    try:
        return not path.exists()
    except PermissionError:  # a link to a folder this user may not read: not a dead one
        return False
    except OSError:  # a loop on some systems
        return True


def _not_a_folder(path: Path) -> str | None:
    """:data:`DEAD_LINK` or :data:`FILE_IN_STORE` for an entry of the models folder that holds
    a model's name but no folder (recheck: a file's name was "taken" by a model that delete
    said did not exist), else None."""
    if _dead_link(path):
        return DEAD_LINK
    try:
        return FILE_IN_STORE if path.exists() and not path.is_dir() else None
    except OSError:
        return None


def _existing_model_path(name: str, *, listed: bool = False) -> Path:
    """The folder of the model ``name``; StoreError naming the saved ones when there is none.

    ``listed``: also a folder whose name the store would not give (``tiny4 copy`` made by a
    file manager, listed as broken by :func:`list_models`), so it can be renamed or deleted."""
    try:
        path = model_path(name)
    except StoreError:
        path = _listed_folder(name) if listed else None
        if path is None:
            raise
    problem = _not_a_folder(path)
    if problem == DEAD_LINK and listed:  # delete removes the link (recheck: `delete` refused)
        return path
    if problem is not None:
        raise StoreError(f"{shown(name)} in {path.parent} is {problem}.")
    if not path.is_dir():
        check_readable()  # "no models are saved yet" would say a damaged home lost them
        root = path.parent
        entries = root.iterdir() if root.is_dir() else ()
        # folders only, each shown escaped and clipped: a FIFO or file is no saved model
        known = sorted(
            shown(p.name) for p in entries if not p.name.startswith(".") and _is_folder(p)
        )
        hint = f"saved models: {', '.join(known)}" if known else "no models are saved yet"
        raise StoreError(f"No model named {shown(name)} in {root} ({hint}).")
    return path


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _listed_folder(name: Any) -> Path | None:
    """``models_dir() / name`` when ``name`` is exactly one folder entry there (no separator,
    not hidden unless :func:`_hidden_model`, not a link), else None."""
    if not isinstance(name, str) or name in ("", ".", "..") or any(c in name for c in "/\\\0"):
        return None
    path = config.models_dir() / name
    if name.startswith(".") and not _hidden_model(path):
        return None
    try:
        return path if path.is_dir() and not path.is_symlink() else None
    except OSError:  # fuzz66, F9: a 300-character name gave "File name too long", not the rule
        return None


def _hidden_model(path: Path) -> bool:
    """Whether ``path``, a hidden entry of the models folder, is a model folder someone renamed
    so (it holds a meta.json), not one of the store's own (:data:`STORE_LEFTOVERS`)."""
    if path.name in (".", "..") or path.name.startswith(tuple(p for p, _ in STORE_LEFTOVERS)):
        return False
    try:
        return path.is_dir() and not path.is_symlink() and (path / META_FILE).is_file()
    except OSError:
        return False


def _hidden_reason(name: str) -> str:
    """Why the hidden model folder ``name`` is listed as broken, with the way out."""
    return (
        f"the folder {shown(name)} holds a model, hidden by the '.' that starts its name (model "
        f"names never start with one); rename it (Home, or `python -m movierate rename "
        f"{shell_quoted(name)} NEW-NAME`), or delete it"
    )


#: What a model folder holds (besides hidden files such as temporary ones or macOS'
#: .DS_Store): its files, ``cache/``, the tuner's ``trials.json`` (``tuning.TRIALS_FILE``) and
#: what Windows' file manager leaves in a copied folder.
MODEL_ENTRIES = frozenset(
    {META_FILE, EMBEDDINGS_FILE, MOVIES_FILE, KERAS_FILE, CACHE_FOLDER, "trials.json"}
    | {"Thumbs.db", "desktop.ini"}
)


def not_a_model_folder(path: Path, name: str, done: str = "deleted") -> StoreError | None:
    """The StoreError for a folder under a model's name that is no model folder (a store, a
    home, a dataset or another folder of the user's), which nothing may delete or replace
    (``done``: "deleted" or "replaced"); None for a model folder, even with a stray file of the
    user's in it (notes.txt, a backup)."""
    # a model with a stray file of the user's has both files every saved model has; one
    # generic name alone (a Keras project's model.keras, a photo folder's meta.json) or a
    # movies.parquet (an imported dataset's) is no sign of a model (recheck B and D, s26)
    own = all((path / e).is_file() for e in (META_FILE, EMBEDDINGS_FILE))
    foreign = _foreign_entries(path, hidden_files=not own)
    # other folders inside, or loose files beside no model, mean a store, a home or the
    # user's folder; an incomplete model (files of a model only) is still deletable
    if not (any(f.endswith("/") for f in foreign) or (foreign and not own)):
        return None
    fix = (
        "Nothing was removed; delete it by hand if you mean to."
        if done == "deleted"
        else "Nothing was replaced; move it away by hand if you mean to, or pick another name."
    )
    return StoreError(
        f"{shown(name)} is not {done}: it holds {', '.join(map(repr, foreign[:5]))}"
        f"{' and more' if len(foreign) > 5 else ''}, which no saved model has, so it is no "
        f"model folder{_store_hint(path)}. {fix}"
    )


def _read_only_mount(path: Path) -> bool:
    """Whether ``path`` is on a file system mounted read-only (False where it cannot tell)."""
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 0))
    except (OSError, AttributeError):
        return False


def _foreign_entries(path: Path, *, hidden_files: bool = False) -> list[str]:
    """The entries of ``path`` that no model folder has: a sign that ``path`` is a store, a
    home or another folder of the user's, not a model (folders end in ``/``). Hidden folders
    count (a .git/: recheck B, s26); hidden files (a desktop's .DS_Store) only with
    ``hidden_files`` (a folder of dotfiles alone: recheck D)."""
    try:
        entries = sorted(path.iterdir())
    except OSError:
        return []
    return [
        f"{e.name}/" if e.is_dir() else e.name
        for e in entries
        if e.name not in MODEL_ENTRIES
        and not is_os_junk(e.name)
        and not e.name.startswith(".movierate-")  # its own records (atomic.WRITER_FILE)
        and (hidden_files or not (e.name.startswith(".") and not e.is_dir()))
    ]


def _store_hint(path: Path) -> str:
    """``" (it holds saved models: ...)"`` with what to check, when ``path`` looks like a store
    or a home (a models folder pointed one level too high), else ``""``."""
    inner = [
        e.name
        for e in _existing_dirs(path)
        if (e / META_FILE).is_file() or (e.name == "models" and any(_existing_dirs(e)))
    ]
    if not inner:
        return ""
    return (
        f" (it holds saved models or a models folder: {', '.join(inner[:5])}; is "
        "MOVIERATE_MODELS_DIR set to a MOVIERATE_HOME or another folder above the models?)"
    )


def _existing_dirs(path: Path) -> list[Path]:
    try:
        return sorted(e for e in path.iterdir() if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def _outside_link(folder: Path, file_name: str) -> str | None:
    """Why the model file ``file_name`` cannot be read when it is a symbolic link leading out
    of its model folder (bad-input round 21: meta.json -> /etc/passwd was "not valid JSON;
    restore it from a copy"), else None. A link to another file of the folder is fine."""
    entry = folder / file_name
    try:
        if not entry.is_symlink():
            return None
        target = os.readlink(entry)
        if entry.resolve().is_relative_to(folder.resolve()):
            return None
    except PermissionError:  # a folder it may not open is no link (bad-input round 51, F1)
        return unopenable_text(folder)
    except (OSError, RuntimeError):  # a loop of links
        target = "?"
    return (
        f"{file_name} is a link to {shown(target, 200)}, outside the model folder "
        f"{shown(folder.name)}: movierate saves a model's files as plain files in its folder, "
        "so this one was made by hand or handed over with links in it, and is not read. Put a "
        "copy of the file itself in its place, or delete the model (which removes the link, "
        "never its target)"
    )


def _read_meta(path: Path) -> dict[str, Any]:
    if problem := _outside_link(Path(getattr(path, "path", path)), META_FILE):
        raise StoreError(problem)
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise StoreError(
            f"{META_FILE} is missing (an incomplete or foreign folder)"
            + _store_hint(Path(getattr(path, "path", path)))
            + f"; {META_MISSING}"
        )
    try:
        text = meta_path.read_text(encoding="utf-8")
        if not text:  # bad-input round 67, F6: "not valid JSON (Expecting value at line 1)"
            raise StoreError(f"{META_FILE} is empty (0 bytes); {META_DAMAGED}")
        meta = json.loads(text, object_pairs_hook=_once_each)
    except PermissionError as exc:  # `show` said "set MOVIERATE_HOME to a writable folder"
        raise StoreError(_damaged_text(META_FILE, exc)) from None  # (bad-input round 51, F4)
    except _KeyTwice as exc:
        raise StoreError(
            f"{META_FILE} has the key {exc.args[0]!r} twice in one object (only the last would "
            f"be read); {FIX_IN_META} {_meta_shown(path)}: keep the right one"
        ) from None
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{META_FILE} is not valid JSON ({exc.msg} at line {exc.lineno}); {META_DAMAGED}"
        ) from None
    except UnicodeDecodeError:
        raise StoreError(f"{META_FILE} is not UTF-8 text; {META_DAMAGED}") from None
    except RecursionError:
        raise StoreError(f"{META_FILE} is nested too deeply to read; {META_DAMAGED}") from None
    if not isinstance(meta, dict):
        raise StoreError(
            f"{META_FILE} holds {type(meta).__name__}, expected a JSON object; {META_DAMAGED}"
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(
            f"{META_FILE} has no valid format_version (got {shown(version)}); {META_DAMAGED}"
        )
    if version > FORMAT_VERSION:
        raise StoreError(
            f"made by a newer movierate (format_version {version}; this movierate "
            f"{movierate.__version__} reads up to {FORMAT_VERSION}); upgrade movierate to use it"
        )
    missing = [key for key in META_KEYS if key not in meta]
    if missing:
        raise StoreError(f"{META_FILE} lacks {', '.join(missing)}; {META_DAMAGED}")
    for key in ("dataset", "metrics", "history", "split"):
        if not isinstance(meta[key], dict):
            raise StoreError(f"{META_FILE}: '{key}' should be a JSON object; {META_DAMAGED}")
    newer = _newer_metric(meta["metrics"])
    if newer:
        raise StoreError(newer)
    problems = _bad_fields(meta)
    if problems:  # bad-input round 52, F5: one edited value was "delete the model"
        raise StoreError(
            f"{META_FILE}: {'; '.join(problems)}; {'for each, ' if len(problems) > 1 else ''}"
            f"{FIX_IN_META} {_meta_shown(path)} if you know the right one; otherwise {META_DAMAGED}"
        )
    _searched_stop_mean(meta)
    return meta


#: How a meta.json value that is wrong is said to be fixed (``show`` then advises no deletion).
FIX_IN_META = "fix that value in"


def _meta_shown(folder: Any) -> str:
    """The path of a model folder's meta.json, as said to people (never a /proc/self/fd one)."""
    return path_shown(Path(getattr(folder, "path", folder)) / META_FILE)


class _KeyTwice(ValueError):
    """A JSON object holds one key twice (its first value would be dropped unsaid)."""


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; :class:`_KeyTwice` when a key is in it twice (bad-input round
    52, F5: ``"dim": 8, "dim": 16`` was read as 16 without a word)."""
    twice = [key for key, n in Counter(key for key, _ in pairs).items() if n > 1]
    if twice:
        raise _KeyTwice(twice[0])
    return dict(pairs)


def _searched_stop_mean(meta: dict[str, Any]) -> None:
    """Give a tuned model's metrics the mean's RMSE on the search's early-stopping rows
    (``stop_rmse_of_mean``) from its tuning summary where they lack it, beside the search's
    ``stop_rmse`` they hold: models tuned before accuracy round 15 recorded it there only, and
    were told to train longer though the search beat the mean (recheck s29, N5). In memory
    only; ``meta.json`` is not rewritten."""
    metrics, tuning = meta["metrics"], meta.get("tuning")
    if "stop_rmse_of_mean" in metrics or not isinstance(tuning, dict):
        return
    mean = tuning.get("stop_rmse_of_mean")
    if _is_number(mean) and _is_number(metrics.get("stop_rmse")):
        metrics["stop_rmse_of_mean"] = float(mean)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: What a model's test RMSE is read against, computed beside it at training time
#: (``pipeline.test_metrics``; the test rows without a training rating too): models saved by older versions lack some or all of them, or hold
#: one damped pass's averages (bad-input round 38, F1).
REFERENCE_METRICS = (
    "test_rmse_of_mean",
    "test_mae_of_median",
    "test_rmse_of_averages",
    "test_mae_of_averages",
    "averages_sweeps",
    "test_rmse_minus_averages",
    "test_rmse_minus_averages_ci95",
    "test_rmse_minus_averages_p",
    "test_users",
    "test_rmse_ci95",
    "stop_rmse_of_mean",
    "test_unseen_rows",
    "test_rmse_seen",
    "test_rmse_minus_mean",
    "test_rmse_minus_mean_ci95",
    "test_rmse_minus_mean_p",
    "stop_rmse_minus_mean",
    "stop_rmse_minus_mean_ci95",
    "stop_rmse_minus_mean_p",
)


def references_recorded(metrics: dict[str, Any] | None) -> bool:
    """Whether a model's metrics hold the reference numbers the current version records
    (:data:`REFERENCE_METRICS`; ``averages_sweeps`` came last of them)."""
    return _is_number((metrics or {}).get("averages_sweeps"))


def mean_gaps_missing(metrics: dict[str, Any] | None) -> bool:
    """Whether a model whose test RMSE is, as shown, worse than the training mean's lacks the
    paired gaps to that mean (saved before bad-input round 41): its verdict then needs them
    computed (recheck 3, L1: Compare told an older model's test rows "behave unlike" on gaps
    within the draw)."""
    metrics = metrics or {}
    rmse, floor = metrics.get("test_rmse"), metrics.get("test_rmse_of_mean")
    worse = _is_number(rmse) and _is_number(floor) and round(rmse, 4) > round(floor, 4)
    return worse and "test_rmse_minus_mean" not in metrics


def references_complete(metrics: dict[str, Any] | None) -> bool:
    """Whether a model's metrics hold every reference number its verdicts read: those of
    :func:`references_recorded` and, where it is worse than the mean, the gaps to the mean."""
    return references_recorded(metrics) and not mean_gaps_missing(metrics)


def references_not_recorded_text(name: str) -> str:
    """What stands for an older model's missing reference numbers: never a blank that reads as
    a pass (bad-input round 38, F1)."""
    return (
        "not recorded (saved by an older movierate version): run `python -m movierate "
        f"evaluate {name}`"
    )


def old_patience_zero(spec: Mapping[str, Any] | None, metrics: Mapping[str, Any] | None) -> bool:
    """Whether a model's early-stopping patience 0 had the meaning it had before it meant off
    (commit 329453c, 2026-12-04): "stop at the first epoch without a better RMSE and keep the
    best". meta.json records no version that tells them apart, but patience 0 now always keeps
    the last epoch run, so a kept epoch before the last gives it away (bad-input round 38, F2);
    a run every epoch of which improved ended the same under both meanings."""
    spec, metrics = spec or {}, metrics or {}
    best, run = metrics.get("best_epoch"), metrics.get("epochs_run")
    return (
        spec.get("early_stopping_patience") == 0
        and _is_number(best)
        and _is_number(run)
        and best < run
    )


def old_patience_zero_note(
    spec: Mapping[str, Any] | None, metrics: Mapping[str, Any] | None
) -> str:
    """What patience 0 meant for a model :func:`old_patience_zero` finds, in words; ""
    otherwise."""
    if not old_patience_zero(spec, metrics):
        return ""
    metrics = metrics or {}
    return (
        "patience 0 meant 'stop at the first epoch without a better early-stopping RMSE and keep "
        "the best' in the movierate version that saved it (it ran "
        f"{int(metrics['epochs_run'])} of {(spec or {}).get('epochs', '?')} epochs and kept "
        f"epoch {int(metrics['best_epoch'])}); 0 now means off: every epoch runs and the last "
        "is kept, so a model trained now with patience 0 has other settings"
    )


def baselines_text(metrics: dict[str, Any] | None, *, with_gap: bool = True) -> str:
    """What the reference predictors (:mod:`movierate.baselines`) score on a model's test rows,
    one sentence, and (``with_gap``) the model's test RMSE minus the averages' with its paired
    interval (:func:`averages_gap_text`); "" for a model saved before they were recorded."""
    metrics = metrics or {}
    keys = ("test_rmse_of_mean", "test_mae_of_median", "test_rmse_of_averages",
            "test_mae_of_averages")  # fmt: skip
    values = [metrics.get(key) for key in keys]
    if not all(_is_number(v) for v in values):
        return ""
    mean, median, rmse, mae = values
    said = (
        f"On the same test rows, predicting the training mean for every rating gives RMSE "
        f"{mean:.4f} (the training median: MAE {median:.4f}); {averages_reference(metrics)} "
        f"give RMSE {rmse:.4f}, MAE {mae:.4f}."
    )
    gap = averages_gap_text(metrics) if with_gap else ""
    said = f"{said} {gap}" if gap else said
    lose = averages_lose_text(metrics, with_model=with_gap)
    return f"{said} {lose}" if lose else said


def averages_reference(metrics: dict[str, Any] | None) -> str:
    """The averages reference of a model, in words: the user and movie biases fit by damped
    least squares (``averages_sweeps`` recorded), or for a model saved before, their one damped
    pass (accuracy round 15: a researcher read the reference as a fitted bias model, and it
    was not one).

    >>> averages_reference({"averages_sweeps": 20})
    'user and movie averages without an embedding (biases fit by damped least squares)'
    """
    if _is_number((metrics or {}).get("averages_sweeps")):
        return "user and movie averages without an embedding (biases fit by damped least squares)"
    return "user and movie averages without an embedding (one damped pass)"


def one_pass_averages_note(metrics: dict[str, dict[str, Any]]) -> str:
    """A note naming the models (``metrics`` by name) whose averages reference was one damped
    pass (:func:`averages_reference`), for a table of models whose reference column mixes both;
    "" when none was."""
    older = [
        name
        for name, numbers in metrics.items()
        if _is_number((numbers or {}).get("test_rmse_of_averages"))
        and not _is_number(numbers.get("averages_sweeps"))
    ]
    if not older:
        return ""
    return (
        f"The averages' test RMSE of {', '.join(older)} is that of one damped pass (saved before "
        "the biases were fit by least squares), another reference than the others'."
    )


def averages_lose_text(metrics: dict[str, Any] | None, *, with_model: bool = True) -> str:
    """A warning when the user and movie averages score a worse test RMSE than the training
    mean: they fit the noise of the training rows, so a model that beats them may have learned
    nothing (accuracy round 13: on pure-noise ratings a model was "lower beyond the draw" than
    the averages in 7 of 8 runs, unsaid that the averages lost to the mean); "" otherwise."""
    metrics = metrics or {}
    mean, averages = metrics.get("test_rmse_of_mean"), metrics.get("test_rmse_of_averages")
    if not (_is_number(mean) and _is_number(averages)) or averages <= mean:
        return ""
    model = metrics.get("test_rmse") if with_model else None
    side, half = _mean_gap_side(metrics, "test"), metrics.get("test_rmse_minus_mean_ci95")
    against = (
        f" Its test RMSE minus the mean's: {number(metrics['test_rmse_minus_mean'], '+.4f')} ± {half:.4f} "
        "(95%, paired by "
        f"user): {'within the draw' if side == 'within' else f'{side} beyond the draw'}."
        if _is_number(model) and side  # bad-input round 41, F1: recorded since
        else f" Its test RMSE minus the mean's: {number(model - mean, '+.4f')} (no interval is recorded "
        "for that)."
        if _is_number(model)
        else ""
    )
    return (
        f"Here the user and movie averages score worse than the training mean (RMSE "
        f"{averages:.4f} against {mean:.4f}), so being below them does not show that the model "
        f"learned anything: compare it with the mean.{against}"
    )


def averages_gap_text(metrics: dict[str, Any] | None, *, short: bool = False) -> str:
    """ "The model's test RMSE minus the averages': -0.0134 ± 0.0109 (95%, paired over those
    rows): within the draw." (``short``: "-0.0134 ± 0.0109, within the draw"); "" without the
    recorded numbers. The model's own interval does not decide this; the paired one does
    (recheck C, s26). The verdict is the ± read against 0, whatever rule made it: on few test
    users the sign-flip test's interval, named with its p (accuracy round 20); a model saved
    before ``test_users`` was recorded says its ± is the normal cutoff's, in the cell too. On
    too few test users (:func:`paired.interval_users`) the gap and its p, and why no ± is
    given (recheck s33: a bare "None" on Compare, nothing in ``train``)."""
    metrics = metrics or {}
    gap, half = (
        metrics.get("test_rmse_minus_averages"),
        metrics.get("test_rmse_minus_averages_ci95"),
    )
    users, p = metrics.get("test_users"), metrics.get("test_rmse_minus_averages_p")
    worse = ", but the averages lose to the mean here" if averages_lose_text(metrics) else ""
    if _is_number(gap) and few_test_users(metrics):  # recheck s33, finding 1: shown nowhere
        tested = f"sign-flip test by user, p {paired.p_text(p)}; " if _is_number(p) else ""
        if short:
            return (
                f"{number(gap, '+.4f')} ({tested}{paired.few_users_text(users, short=True)}){worse}"
            )
        return (
            f"The model's test RMSE minus the averages': {number(gap, '+.4f')} (paired over those rows; "
            f"{tested}{_few_users_text(metrics)}; {SEED_MOVES_IT}), so no difference can "
            "be called."
        )
    if not (side := averages_side(metrics)):
        return ""
    if short:  # an old record's rule is named in the cell too (recheck s33, finding 1)
        old = f" ({_gap_rule(metrics)[2:]})" if not _is_number(users) else ""
        return f"{number(gap, '+.4f')} ± {half:.4f}{old}, {side}{worse}"
    return (
        f"The model's test RMSE minus the averages': {number(gap, '+.4f')} ± {half:.4f} (95%, paired "
        f"over those rows{_gap_rule(metrics)}; {SEED_MOVES_IT}): {side}."
    )


#: What a paired interval against a fixed reference leaves out (accuracy round 31, F1: seed
#: twins read "lower beyond the draw" and "within the draw" with no word of it).
SEED_MOVES_IT = "another training seed moves it too"


def averages_side(metrics: Mapping[str, Any] | None) -> str:
    """Where a model's recorded test RMSE minus the averages' lies against its paired interval:
    "higher beyond the draw", "lower beyond the draw" or "within the draw"; "" without a
    recorded interval (too few test users, or a model saved before)."""
    metrics = metrics or {}
    gap, half = (
        metrics.get("test_rmse_minus_averages"),
        metrics.get("test_rmse_minus_averages_ci95"),
    )
    if few_test_users(metrics) or not (_is_number(gap) and _is_number(half) and half >= 0):
        return ""
    return paired.reading(
        gap, half, "higher beyond the draw", "lower beyond the draw", "within the draw"
    )


def twins_averages_text(models: list[Any], metrics: Mapping[str, Mapping[str, Any]]) -> str:
    """Each group of seed twins among ``models`` (:func:`paired.twin_groups`) read against the
    averages across its twins (``metrics`` by name), as the study report counts seeds: "Against
    the averages, b-s1, b-s2 and b-s3 read 1 of 3 lower beyond the draw, 2 of 3 within the draw:
    the seed alone changes that verdict, so it is training noise, not the settings'." ""
    without twins with verdicts (accuracy round 31, F1: one seed's verdict read as the
    setting's, beside its twins' other ones)."""
    notes = []
    for group in paired.twin_groups(models):
        sides = [averages_side(metrics.get(m.name)) for m in group]
        if not all(sides):
            continue
        names = ", ".join(m.name for m in group[:-1]) + f" and {group[-1].name}"
        counts = Counter(sides)
        if len(counts) == 1:
            every = "both" if len(group) == 2 else "all"  # recheck 3, L4: "a and b all read"
            notes.append(f"Against the averages, {names} {every} read {sides[0]}.")
            continue
        read = ", ".join(f"{n} of {len(group)} {side}" for side, n in counts.most_common())
        notes.append(
            f"Against the averages, {names} read {read}: the seed alone changes that verdict, "
            "so it is training noise, not the settings'."
        )
    return " ".join(notes)


def few_test_users(metrics: dict[str, Any] | None) -> bool:
    """Whether a model's recorded test users are too few for an interval by user
    (:func:`paired.interval_users`): then no "±" is shown, whatever was recorded."""
    users = (metrics or {}).get("test_users")
    return _is_number(users) and users < paired.interval_users()


def _gap_rule(metrics: dict[str, Any]) -> str:
    """Which rule made the averages gap's ±, for its parenthesis: the sign-flip test on few
    users, the t cutoff on many, or the normal cutoff of a model recorded before either."""
    users, p = metrics.get("test_users"), metrics.get("test_rmse_minus_averages_p")
    if not _is_number(users):
        return "; normal cutoff, recorded before few test users got the sign-flip test"
    if _is_number(p):
        return f"; {users:,.0f} test users: sign-flip test by user, p {paired.p_text(p)}"
    return f", by user over {users:,.0f} test users"


def _few_users_text(metrics: dict[str, Any]) -> str:
    """:func:`paired.few_users_text` of a model's recorded test users, advising a per-user
    split only where it gives more (bad-input round 62, F4)."""
    split_users = metrics.get("per_user_test_users")
    return paired.few_users_text(
        metrics.get("test_users"), per_user_split=split_users if _is_number(split_users) else None
    )


def rmse_interval_text(metrics: dict[str, Any] | None) -> str:
    """ " ± 0.0141 (95%: how far another sample of users' test ratings could move it; another
    seed moves it too)" after a test RMSE (each user's test ratings counted together: on a
    temporal or an official split the rows are fixed, and what it tells is how far the figure
    carries to other users; recheck A, s26), from its recorded half-width (accuracy round 12:
    4 decimals and no interval); "" for a model saved without one. A Student-t cutoff on test
    users - 1 (``test_users``) since accuracy round 20; a model saved before says its ± is
    the normal cutoff's, too narrow under about 100 test users."""
    metrics = metrics or {}
    half, users = metrics.get("test_rmse_ci95"), metrics.get("test_users")
    if few_test_users(metrics):  # recheck s33, finding 3: "± 3.1770" on a 1-4 scale
        return f" ({_few_users_text(metrics)})"
    if not _is_number(half):
        return ""
    rule = (
        f"Student t over {users:,.0f} test users"
        if _is_number(users)
        else "normal cutoff, too narrow under about 100 test users"
    )
    return (
        f" ± {half:.4f} (95%, {rule}: how far another sample of users' test ratings could "
        "move it; another seed moves it too)"
    )


def settled_note(metrics: dict[str, Any] | None) -> str:
    """ ", counted from epoch N, once the regularizers had settled" when only epochs from N > 1
    on could be kept (views round 7 and its recheck: "best epoch 6" beside an early-stopping
    RMSE lowest at epoch 3, an epoch not eligible), ", the last: the regularizers never
    settled" when none could; else ""."""
    metrics = metrics or {}
    settled = metrics.get("settled_epoch")
    never = isinstance(settled, float) and math.isnan(settled)
    if never or ("settled_epoch" in metrics and settled is None):  # NaN is null in meta.json
        return ", the last: the regularizers never settled"
    if _is_number(settled) and settled > 1:
        return f", counted from epoch {int(settled)}, once the regularizers had settled"
    return ""


def no_better_than_averages_note(
    metrics: dict[str, Any] | None, learning_rate: float | None = None
) -> str:
    """A warning when a model's test RMSE is no better than the user and movie averages' or its
    MAE worse than the training median's (as shown, to 4 decimals), else "" (also when
    :func:`worse_than_mean_note` already says more)."""
    metrics = metrics or {}
    if worse_than_mean_note(metrics):
        return ""
    notes = []
    rmse, averages = metrics.get("test_rmse"), metrics.get("test_rmse_of_averages")
    if _is_number(rmse) and _is_number(averages) and round(rmse, 4) >= round(averages, 4):
        notes.append(
            f"Its test RMSE {rmse:.4f} is no better than {averages:.4f}, what "
            f"{averages_reference(metrics)}, fit on the same training rows, give on these rows."
        )
        mean = metrics.get("test_rmse_of_mean")
        if _is_number(mean) and round(rmse, 4) == round(mean, 4):  # no better than the mean
            notes.append(f"{_training_advice(metrics, learning_rate).capitalize()}.")
    mae, median = metrics.get("test_mae"), metrics.get("test_mae_of_median")
    if _is_number(mae) and _is_number(median) and round(mae, 4) > round(median, 4):
        notes.append(
            f"Its test MAE {mae:.4f} is worse than {median:.4f}, what predicting the training "
            "rows' median rating for every test row gives (ratings gathered on one value make "
            "a low RMSE easy: read it against these numbers)."
        )
    return " ".join(notes)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: Metric names (their ends) that are errors of predicted ratings: never below 0, never far
#: beyond the rating scale's width.
ERROR_METRICS = ("rmse", "mae")


def _is_error(key: str) -> bool:
    """Whether a metric or history name is an error of ratings (``test_rmse``, ``stop_mae``,
    ``test_rmse_of_mean``), never below 0; a difference of two (``..._minus_...``) is not."""
    parts = key.split("_")
    return "minus" not in parts and any(part in ERROR_METRICS for part in parts)


def _most_error(scale: list[float]) -> float:
    """The largest error a metric may record (:data:`MOST_ERROR_WIDTHS` widths of the scale; a
    training beyond it is refused as diverged), short of a damaged file's 1e308."""
    return MOST_ERROR_WIDTHS * (scale[1] - scale[0])


def _newer_metric(metrics: Mapping[str, Any]) -> str | None:
    """Why a metric that is no number, under a name movierate never writes, makes the model
    unreadable here: a newer version's kind of metric, not a damaged file (bad-input round 21:
    told to restore a file that is fine); None if there is none."""
    for key, value in metrics.items():
        known = key in METRIC_LABELS or key in _METRIC_COUNTS or _is_error(key)
        if value is not None and not _is_number(value) and not known:
            return (
                f"{META_FILE}: metrics.{key} holds {shown(value)}, not a number, and this "
                f"movierate {movierate.__version__} knows no metric of that name. "
                f"{FROM_ANOTHER_VERSION}"
            )
    return None


def _meta_problem(meta: Mapping[str, Any]) -> str | None:
    """What is wrong with the types of meta.json's fields (None if nothing): every field the
    store, the pipeline and the pages read is checked, so a damaged file fails here, not there.
    Every bad field is named, once each, "; " between them (bad-input round 67, F6: only the
    first was, so a hand-fixer needed a round per field); a check that needs another field's
    value runs only once that value is sound."""
    return "; ".join(_bad_fields(meta)) or None


def _bad_fields(meta: Mapping[str, Any]) -> list[str]:
    """The first problem of each bad field of ``meta`` (:func:`_meta_problems`)."""
    found: dict[str, str] = {}
    for problem in _meta_problems(meta):
        found.setdefault(problem.split(" ", 1)[0], problem)
    return list(found.values())


def _meta_problems(meta: Mapping[str, Any]) -> Iterator[str]:
    """The problems :func:`_meta_problem` names, each section checked on its own."""
    created = meta["created"]
    if not isinstance(created, str):
        yield f"'created' should be a date text, got {shown(created)}"
    elif _created_time(created) is None:
        yield f"'created' should be a date and time as saved (ISO 8601), got {shown(created)}"
    dataset, split = meta["dataset"], meta["split"]
    if not isinstance(dataset.get("name"), str):
        yield f"dataset.name should be text, got {shown(dataset.get('name'))}"
    for key in ("fingerprint", "source"):
        if dataset.get(key) is not None and not isinstance(dataset[key], str):
            yield f"dataset.{key} should be text or null, got {shown(dataset[key])}"
    for key in ("n_users", "n_movies", "n_ratings"):
        if (key in dataset or key != "n_ratings") and not _is_count(dataset.get(key)):
            yield f"dataset.{key} should be a whole number >= 0, got {shown(dataset.get(key))}"
    scale = dataset.get("rating_scale")
    scale_ok = (
        isinstance(scale, list)
        and len(scale) == 3
        and all(_is_number(x) for x in scale)
        and -MAX_RATING <= scale[0] < scale[1] <= MAX_RATING
        and scale[2] >= 0
    )
    if not scale_ok:
        yield (
            "dataset.rating_scale should be [min, max, step], numbers with "
            f"-{MAX_RATING:g} <= min < max <= {MAX_RATING:g} and step >= 0, got {shown(scale)}"
        )
    imported = meta.get("imported")
    if imported not in (None, False) and not (
        isinstance(imported, dict) and all(isinstance(k, str) for k in imported)
    ):
        yield (
            "'imported' should be null or a record of where the embedding came from, got "
            f"{shown(imported)}"
        )
    for key in ("test_fraction", "stop_fraction", "valid_fraction"):
        if split.get(key) is not None and not (_is_number(split[key]) and 0 <= split[key] < 1):
            yield f"split.{key} should be a number from 0 to below 1, got {shown(split[key])}"
    method = split.get("method")
    if method is not None and not isinstance(method, str):
        yield f"split.method should be text, got {shown(method)}"
    elif (
        isinstance(dataset.get("name"), str)
        and isinstance(dataset.get("source"), str | None)
        and (problem := _names_problem(dataset, split))
    ):
        yield problem
    if split.get("seed") is not None and not _is_count(split["seed"]):
        yield f"split.seed should be a whole number >= 0, got {shown(split['seed'])}"
    yield from _digest_problems(meta)
    yield from _metric_problems(meta["metrics"], scale if scale_ok else None)
    yield from _count_problems(meta)
    yield from _history_problems(meta["history"])
    timings = meta.get("timings")
    if timings is not None and not (
        isinstance(timings, dict) and all(v is None or _is_number(v) for v in timings.values())
    ):
        yield f"'timings' should map names to numbers, got {shown(timings)}"
    yield from _later_problems(meta)


def _digest_problems(meta: Mapping[str, Any]) -> Iterator[str]:
    """Whether a model with held-out rows records its split's digest, as text."""
    # bad-input round 19: a record without its digest went unchecked, so an edited seed had
    # pages score the model on rows it trained on as "test" rows; every model with held-out
    # rows records one (a split of no rows, as bench_large's synthetic models, has none to
    # check: pipeline.recorded_split still refuses to rebuild rows without it)
    split = meta["split"]
    held_out = any(_is_number(split.get(k)) and split[k] > 0 for k in ("n_test", "n_valid"))
    if meta.get("imported") or not held_out:
        return
    if not split.get("digest"):
        yield (
            "split.digest is missing (every model records it: it identifies the rows the model "
            "was tested on), so its test rows cannot be verified"
        )
    elif not isinstance(split["digest"], str):
        yield f"split.digest should be text, got {shown(split['digest'])}"


def _metric_problems(metrics: Mapping[str, Any], scale: list[float] | None) -> Iterator[str]:
    """Each recorded metric that is no number or out of its range (ranges need the rating
    ``scale``: None when that is itself bad), and an MAE above its RMSE."""
    for key, value in metrics.items():
        if value is not None and not _is_number(value):
            yield f"metrics.{key} should be a number or null, got {shown(value)}"
            continue
        if value is None or scale is None:
            continue
        most = _most_error(scale)  # recheck D (s26): an edited -0.5 flipped a verdict
        if _is_error(key) and not 0 <= value <= most:
            yield (
                f"metrics.{key} should be an error from 0 to {most:g} (ratings run "
                f"{scale[0]:g}-{scale[1]:g}), got {shown(value)}"
            )
        if key.endswith("_ci95") and not 0 <= value <= most:
            yield f"metrics.{key} should be a half-width from 0 to {most:g}, got {shown(value)}"
        if key.endswith("_p") and not 0 < value <= 1:
            yield f"metrics.{key} should be a p-value above 0 and at most 1, got {shown(value)}"
        if "_minus_" in key and not -most <= value <= most:
            yield f"metrics.{key} should be a difference within ±{most:g}, got {shown(value)}"
    for key, mae in metrics.items():  # |error| averages never exceed root-mean-squares
        rmse = metrics.get(key.replace("mae", "rmse"))
        if key.endswith("_mae") and _is_number(mae) and _is_number(rmse) and mae > rmse + 1e-9:
            yield f"metrics.{key} is {mae:g}, above the RMSE of the same rows ({rmse:g})"


def _history_problems(history: Mapping[str, Any]) -> Iterator[str]:
    """Each history list that is no list of numbers, or holds an error below 0."""
    for key, values in history.items():
        if not isinstance(values, list) or any(v is not None and not _is_number(v) for v in values):
            yield f"history.{key} should be a list of numbers (or nulls), got {shown(values)}"
        elif _is_error(key) and any(v is not None and v < 0 for v in values):
            yield f"history.{key} holds an error below 0: {shown(values)}"


def _later_problems(meta: Mapping[str, Any]) -> Iterator[str]:
    """The checks of :func:`_meta_problem` added in bad-input round 52: the spec's field types
    (F3: ``show`` crashed on a list of regularizers, read before the spec was checked), one
    length for every history list (F5) and the files' record (F1)."""
    for problem in (_spec_type_problem(meta["spec"]), _blend_problem(meta.get("tuning"))):
        if problem:
            yield problem
    history = meta["history"].items()
    lengths = {key: len(values) for key, values in history if isinstance(values, list) and values}
    if len(set(lengths.values())) > 1:
        yield (
            "the history lists should hold one value per epoch, so all as long, got lengths "
            + ", ".join(f"{key} {n}" for key, n in lengths.items())
        )
    files = meta.get(FILES_KEY)
    if files is not None and not (
        isinstance(files, dict)
        and all(
            name in _RECORDED_FILES
            and isinstance(saved, dict)
            and _is_count(saved.get("size"))
            and isinstance(saved.get("blake2b"), str)
            for name, saved in files.items()
        )
    ):
        yield (
            f"'{FILES_KEY}' should map the model's file names to their size and blake2b digest, "
            f"got {shown(files)}"
        )


def _blend_problem(tuning: Any) -> str | None:
    """What is wrong with the types of a tuning summary's blend members, which ``show``, the
    pages and the explorer read (``show`` crashed on ``members: 5``); None if nothing."""
    if tuning is not None and not isinstance(tuning, dict):
        return f"'tuning' should be a JSON object, got {shown(tuning)}"
    blend = (tuning or {}).get("blend")
    if not blend:  # not a blend
        return None
    members = blend.get("members") if isinstance(blend, dict) else None
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        return f"tuning.blend.members should be a list of JSON objects, got {shown(members)}"
    for member in members:
        columns = member.get("columns")
        if columns is not None and not (
            isinstance(columns, list) and len(columns) == 2 and all(map(_is_count, columns))
        ):
            return f"tuning.blend.members' columns should be [start, stop], got {shown(columns)}"
        for key in ("weight", "stop_rmse"):
            if member.get(key) is not None and not _is_number(member[key]):
                return f"tuning.blend.members' {key} should be a number, got {shown(member[key])}"
    return None


def _spec_type_problem(recorded: Any) -> str | None:
    """Which field of meta.json's spec has a value of the wrong type, named (``spec.dim =
    '8' is invalid: ...``); None if none has. Unknown fields and names are left to
    :func:`_inspect`, which says another version made them."""
    if not isinstance(recorded, Mapping):
        return f"'spec' should be a JSON object of the model's settings, got {shown(recorded)}"
    options = {
        name
        for name, field_schema in schema.SPEC_SCHEMA.items()
        if isinstance(field_schema.constraint, schema.StrOptions)
    }
    known = {
        name: value
        for name, value in recorded.items()
        if name in schema.SPEC_SCHEMA and not (name in options and isinstance(value, str))
    }
    try:
        ModelSpec.from_dict(known)
    except SpecError as exc:
        return f"spec.{exc}".rstrip(".")
    return None


#: A recorded split method: one of make_split's (:data:`SPLIT_METHODS`) or an
#: official split of the data (``official:u1``).
_SPLIT_METHOD = re.compile(
    rf"(?:{'|'.join(SPLIT_METHODS)}|{re.escape(OFFICIAL_PREFIX)}[A-Za-z0-9][A-Za-z0-9._-]{{0,63}})"
)
#: The longest dataset name a folder can have (most file systems allow 255 bytes).
_DATASET_NAME_MAX = 255


def _names_problem(dataset: Mapping[str, Any], split: Mapping[str, Any]) -> str | None:
    """Why meta.json's dataset name, source folder or split method is no plain name, as the
    store writes them (bad-input round 26: a dataset name holding a link, an image and LaTeX
    was shown as written); None when they are."""
    name, source, method = dataset["name"], dataset.get("source"), split.get("method")
    if not name or len(name) > _DATASET_NAME_MAX or "/" in name or not is_plain_text(name):
        return (
            f"dataset.name should be the name of a dataset folder (1 to {_DATASET_NAME_MAX} "
            f"characters, no '/', no control characters), got {shown(name)}"
        )
    if source is not None and not is_plain_text(source):
        return f"dataset.source should be a folder path without control characters, got {shown(source)}"
    if method is not None and not _SPLIT_METHOD.fullmatch(method):
        return (
            f"split.method should be one of {', '.join(SPLIT_METHODS)} or "
            f"'{OFFICIAL_PREFIX}<name>', got {shown(method)}"
        )
    return None


#: Counts a split records, and counts among a model's metrics, each with what bounds it (a
#: field of the same meta.json, None for none): never negative, fractional or past the bound.
_SPLIT_COUNTS = ("n_train", "n_stop", "n_test", "n_valid")
_METRIC_COUNTS = {
    "epochs_run": None,
    "best_epoch": ("metrics", "epochs_run", "the epochs run"),
    "settled_epoch": ("metrics", "epochs_run", "the epochs run"),
    "test_unseen_rows": ("split", "n_test", "the test rows"),
    "kept_dims": ("spec", "dim", "the embedding's dimensions"),
    "rank_rows": ("dataset", "n_ratings", "the dataset's ratings"),
    "averages_sweeps": None,
    "test_users": ("split", "n_test", "the test rows"),
    "per_user_test_users": ("dataset", "n_users", "the dataset's users"),
}


def _count_problems(meta: Mapping[str, Any]) -> Iterator[str]:
    """Each recorded count that is no whole number >= 0 or exceeds its total (bad-input round
    19: ``n_test`` 10**30, ``best_epoch`` 99 of 3 epochs, 1e9 unseen test rows were shown as
    facts), named with the field."""
    split, metrics, dataset = meta["split"], meta["metrics"], meta["dataset"]
    bad = [key for key in _SPLIT_COUNTS if key in split and not _is_count(split[key])]
    for key in bad:
        yield f"split.{key} should be a whole number >= 0, got {shown(split[key])}"
    total = dataset.get("n_ratings")
    if _is_count(total) and not bad:
        over = [key for key in _SPLIT_COUNTS if split.get(key, 0) > total]
        for key in over:
            yield (
                f"split.{key} is {shown(split[key])}, more than the dataset's {total:,} "
                "ratings (dataset.n_ratings)"
            )
        if not over and sum(split.get(k, 0) for k in _SPLIT_COUNTS) > total:
            yield (
                f"split.{', '.join(k for k in _SPLIT_COUNTS if k in split)} add up to more "
                f"than the dataset's {total:,} ratings (dataset.n_ratings)"
            )
    sections = {"split": split, "metrics": metrics, "dataset": dataset, "spec": meta["spec"]}
    for key, bound in _METRIC_COUNTS.items():
        value = metrics.get(key)
        if value is None:  # settled_epoch null: the regularizers never settled
            continue
        if not _is_count(value):
            yield f"metrics.{key} should be a whole number >= 0, got {shown(value)}"
            continue
        if bound is None:
            continue
        section, field, what = bound
        most = sections[section].get(field) if isinstance(sections[section], dict) else None
        if _is_count(most) and value > most:
            yield f"metrics.{key} is {shown(value)}, more than {what} ({section}.{field}: {most:,})"


def _inspect(path: Path, *, files: str = "size") -> tuple[dict[str, Any], ModelSpec]:
    """Validate a model folder cheaply (meta, files, array shapes from headers); raise StoreError.
    Its arrays and movies table are checked against meta.json's record of them
    (:func:`_files_problem`) by ``files``: "size" (a stat), "digest", or "later" (the caller
    does, once it has read them)."""
    meta = _read_meta(path)
    for file_name in (EMBEDDINGS_FILE, MOVIES_FILE, KERAS_FILE):
        if problem := _outside_link(Path(getattr(path, "path", path)), file_name):
            raise StoreError(problem)
    required = REQUIRED_FILES
    if meta.get("imported"):  # an embedding made elsewhere (movierate.imported_models): no Keras
        required = tuple(f for f in REQUIRED_FILES if f != KERAS_FILE)
    missing = [f for f in required if not (path / f).is_file()]
    special = [f for f in missing if (path / f).exists()]
    if special:  # a FIFO or device under a model file's name: not "missing"
        raise StoreError(
            f"{', '.join(special)} in the model folder {shown(path.name)} is not a regular file "
            "(a folder, pipe or device); a model's files are plain files. Move it away, or "
            "delete the folder."
        )
    if missing:
        raise StoreError(f"missing {', '.join(missing)} (an incomplete folder)")
    recorded = meta["spec"]
    lacking = [f for f in RECORDED_SINCE_FIRST if isinstance(recorded, dict) and f not in recorded]
    if lacking:
        raise StoreError(
            f"its model spec lacks {', '.join(lacking)}, which every saved model records "
            "(meta.json was edited or damaged; loading it with a default would change its "
            "predictions). Restore meta.json or retrain the model."
        )
    unknown = _unknown_spec_fields(recorded)
    if unknown:  # bad-input round 19: said "not valid here" with no hint, unlike format_version
        raise StoreError(
            f"its model spec has field(s) this movierate {movierate.__version__} does not know: "
            f"{', '.join(unknown)}. {FROM_ANOTHER_VERSION}"
        )
    unknown = _unknown_spec_names(recorded)
    if unknown:  # bad-input round 21: a new family or regularizer was told "choose one of"
        raise StoreError(
            f"its model spec names what this movierate {movierate.__version__} does not know: "
            f"{', '.join(unknown)}. {FROM_ANOTHER_VERSION}"
        )
    try:
        spec = ModelSpec.from_dict(meta["spec"])
        if not meta.get("imported"):  # an import's width is its own (4,096 is fine there)
            spec.check_fields()  # train's ranges: a hand edit cannot add "l9"
    except MovierateError as exc:  # bad-input round 52, F5: not "delete it" for one value
        raise StoreError(
            f"its model spec is not valid here: {str(exc).rstrip('.')}; {FIX_IN_META} "
            f"{_meta_shown(path)} (under spec), or retrain the model"
        ) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise StoreError(f"its model spec is not valid here: {type(exc).__name__}: {exc}") from None
    headers = _npz_headers(path / EMBEDDINGS_FILE)
    bound = _array_bound(meta, spec)
    for key, header in headers.items():  # every entry, also those a load does not read
        if problem := bound.problem(key, header):
            raise StoreError(problem)
    names = _model_array_names(spec)
    shapes = {key: header.shape for key, header in headers.items() if key in names}
    dataset = meta["dataset"]
    rows = {key: shape[0] for key, shape in shapes.items() if key in _ROW_COUNTS and shape}
    if MOVIES_FILE not in rows:
        rows[MOVIES_FILE] = _parquet_rows(path / MOVIES_FILE)
    problem = _row_problem(rows, dataset, "meta.json records")
    if problem is None:
        problem = scoring.shape_problem(shapes, spec.family, spec.dim)
    if problem:
        raise StoreError(f"shape mismatch: {problem}")
    _check_movies_schema(path / MOVIES_FILE)
    if files != "later" and (problem := _files_problem(path, meta, contents=files == "digest")):
        raise StoreError(problem)  # after what says more
    return meta, spec


#: meta.json's record of the array and table files saved with it: file name -> ``{"size":
#: bytes, "blake2b": digest}``. Another model's embeddings.npz copied into a folder (same
#: shapes) was shown under this one's recorded numbers on every page (bad-input round 52, F1).
FILES_KEY = "files"
#: The files a save records (model.keras only where the training wrote one).
_RECORDED_FILES = (EMBEDDINGS_FILE, MOVIES_FILE, KERAS_FILE)
#: Digests already computed, by the file's (device, inode, size, mtime, ctime): a load of an
#: unchanged file hashes it once per process (any write changes its ctime).
_DIGESTS: dict[tuple[int, ...], str] = {}
_DIGESTS_MAX = 4096


def file_fingerprints(folder: Path) -> dict[str, dict[str, Any]]:
    """The size and blake2b digest of each of a model folder's array and table files, as a
    save records them under :data:`FILES_KEY`."""
    return {
        name: {"size": (folder / name).stat().st_size, "blake2b": _file_digest(folder / name)}
        for name in _RECORDED_FILES
        if (folder / name).is_file()
    }


def _file_digest(path: Path) -> str:
    """The blake2b digest of the file at ``path`` (cached per file version, see :data:`_DIGESTS`)."""
    with open(path, "rb") as file:
        st = os.fstat(file.fileno())
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in _DIGESTS:
            if len(_DIGESTS) >= _DIGESTS_MAX:
                _DIGESTS.clear()
            _DIGESTS[key] = hashlib.file_digest(
                file, lambda: hashlib.blake2b(digest_size=16)
            ).hexdigest()
    return _DIGESTS[key]


def _files_problem(
    folder: Any,
    meta: Mapping[str, Any],
    *,
    contents: bool,
    names: tuple[str, ...] = (EMBEDDINGS_FILE, MOVIES_FILE),
) -> str | None:
    """Which of the files ``names`` of a model folder is not the one its save recorded in
    meta.json (another size; with ``contents``, another digest); None when all match. A model
    saved before bad-input round 52 records none: it is read as before, unchecked."""
    for name, saved in (meta.get(FILES_KEY) or {}).items():
        if name not in names:
            continue
        path = folder / name
        size = path.stat().st_size if path.is_file() else None
        if size != saved["size"] or (contents and _file_digest(path) != saved["blake2b"]):
            return (
                f"{name} is not the file this model saved (its numbers were measured on "
                "another); restore it or delete the model"
            )
    return None


def _unknown_spec_names(recorded: Any) -> list[str]:
    """The names in a recorded spec's choice fields (family, output, optimizer, initializer,
    regularizer kinds) that this movierate does not know, as ``family 'lightgcn'``: what a
    newer version adds. A value of the wrong type is damage, left to the spec's own checks."""
    if not isinstance(recorded, Mapping):
        return []
    unknown = []
    for name, value in recorded.items():
        constraint = getattr(schema.SPEC_SCHEMA.get(name), "constraint", None)
        if isinstance(constraint, schema.StrOptions) and isinstance(value, str):
            unknown += [f"{name} {value!r}"] if value not in constraint else []
        elif isinstance(constraint, schema.Strengths) and isinstance(value, Mapping):
            kinds = sorted(k for k in value if isinstance(k, str) and k not in constraint.kinds)
            unknown += [f"regularizer {kind!r}" for kind in kinds]
    return unknown


def _unknown_spec_fields(recorded: Any) -> list[str]:
    """The fields of a recorded spec that :class:`ModelSpec` does not have, sorted."""
    if not isinstance(recorded, Mapping):
        return []
    known = {f.name for f in dataclasses.fields(ModelSpec)}
    return sorted(map(str, set(recorded) - known))


#: Arrays (and the movies table) whose rows are the dataset's users or movies.
_ROW_COUNTS = {
    "user_embedding": "n_users",
    "user_bias": "n_users",
    "movie_embedding": "n_movies",
    "movie_bias": "n_movies",
    MOVIES_FILE: "n_movies",
}


def _row_problem(rows: Mapping[str, int], counts: Mapping[str, Any], source: str) -> str | None:
    """Which arrays' row counts differ from the dataset's user / movie counts, named each."""
    problems = []
    for what in ("n_users", "n_movies"):
        expected = counts.get(what)
        wrong = {k: n for k, n in rows.items() if _ROW_COUNTS.get(k) == what and n != expected}
        if not wrong:
            continue
        every = sum(_ROW_COUNTS.get(k) == what for k in rows)
        if len(wrong) == every > 1 and len(set(wrong.values())) == 1:
            # all agree with each other: the recorded count is what is off
            n = next(iter(wrong.values()))
            problems.append(
                f"{', '.join(wrong)} all have {n} rows but {source} {what} = {expected}"
            )
            continue
        problems += [f"{k} has {n} rows but {source} {what} = {expected}" for k, n in wrong.items()]
    return "; ".join(problems) or None


def _dtype_problem(key: str, dtype: np.dtype) -> str | None:
    """Why an ``embeddings.npz`` entry of ``dtype`` cannot be a model's array; None if it can."""
    if dtype.hasobject:
        return f"{EMBEDDINGS_FILE} holds Python objects; refusing to load"
    if dtype.kind not in NUMERIC_KINDS:
        return (
            f"{EMBEDDINGS_FILE}: '{key}' holds {dtype} values, not real numbers; the file is "
            "damaged"
        )
    if key in FLOAT_ARRAYS and dtype.kind != "f":
        return (
            f"{EMBEDDINGS_FILE}: '{key}' holds {dtype} values; movierate saves embeddings and "
            "biases as floating point (float32), so the file was converted or made by hand. "
            "Save that array as float32 again"
        )
    return None


def _npz_headers(path: Path) -> dict[str, npz.NpyHeader]:
    """Every array of an ``embeddings.npz`` as its header declares it (no data loaded),
    each of a dtype a model's array may have."""
    try:
        headers = npz.headers(path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise StoreError(_damaged_text(EMBEDDINGS_FILE, exc)) from None
    for key, header in headers.items():
        if problem := _dtype_problem(key, header.dtype):
            raise StoreError(problem)
    return headers


#: The arrays every family's ``embeddings.npz`` may hold, and each family's own (see
#: ``movierate.nn.export``); a load reads these only, never an entry it has no use for.
_COMMON_ARRAYS = (
    "user_embedding",
    "movie_embedding",
    "global_mean",
    "score_unit",
    "user_bias",
    "movie_bias",
)
_FAMILY_ARRAYS = {
    "svdpp": ("user_factor", "implicit_embedding"),
    "autorec": ("user_encoder", "encoder_bias"),
    "deep": ("output_kernel", "output_bias", "first_dense_input_norms"),
}


def _model_array_names(spec: ModelSpec) -> frozenset[str]:
    """The ``embeddings.npz`` arrays a model of ``spec`` is made of (a load reads no other)."""
    names = {*_COMMON_ARRAYS, *_FAMILY_ARRAYS.get(spec.family, ())}
    if spec.family == "deep":
        for i in range(len(spec.hidden_units)):
            names |= {f"dense_{i}_kernel", f"dense_{i}_bias"}
    return frozenset(names)


@dataclass(frozen=True)
class _ArrayBound:
    """The most values one array of a model may hold, from meta.json's counts and its spec:
    no table is longer than the users, the movies or the widest layer, nor wider than
    twice the embedding (a deep model's input) or its widest layer."""

    n_users: int
    n_movies: int
    spec: ModelSpec

    @property
    def most(self) -> int:
        hidden = self.spec.hidden_units if self.spec.family == "deep" else ()
        width = max(2 * self.spec.dim, *hidden, 1)
        return max(self.n_users, self.n_movies, width) * width

    def problem(self, key: str, header: npz.NpyHeader) -> str | None:
        """Why the entry ``key`` cannot be read (more values than any array of this model
        holds, or more bytes than the archive stores for it); None when it can."""
        values, size = header.values, header.nbytes
        if values > self.most:
            return (
                f"{EMBEDDINGS_FILE}: '{key}' declares {values:,} values, but this model "
                f"({self.spec.family}, {self.n_users:,} users, {self.n_movies:,} movies, dim "
                f"{self.spec.dim} in meta.json) holds at most {self.most:,} in one array; the "
                "file is damaged or was not written by movierate (its data was not read). "
                "Delete the model, or ask whoever gave it to you for a copy saved by movierate"
            )
        if size > header.stored:
            return (
                f"{EMBEDDINGS_FILE}: '{key}' declares {values:,} values ({format_bytes(size)}) "
                f"but the file holds {header.stored:,} bytes for it; the file is damaged "
                "(truncated or edited): restore it from a copy, or retrain the model"
            )
        return None


def _array_bound(meta: Mapping[str, Any], spec: ModelSpec) -> _ArrayBound:
    dataset = meta["dataset"]
    return _ArrayBound(int(dataset["n_users"]), int(dataset["n_movies"]), spec)


def _read_npz(path: Path, names: frozenset[str], bound: _ArrayBound) -> dict[str, np.ndarray]:
    """The arrays ``names`` of an ``embeddings.npz`` (others are not read), each header
    checked against ``bound`` before its data is read: a declared shape never allocates more
    than the model's counts allow (bad-input round 21: a 1.3 MB file took 1.1 GB, a 16-byte
    entry asked for 14.6 TiB)."""

    def check(key: str, header: npz.NpyHeader) -> None:
        if problem := _dtype_problem(key, header.dtype) or bound.problem(key, header):
            raise StoreError(problem)

    try:
        return npz.read_arrays(path, names, check)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise StoreError(_damaged_text(EMBEDDINGS_FILE, exc)) from None


#: numpy dtype kinds an embeddings.npz array may have: float, signed and unsigned integers.
NUMERIC_KINDS = "fiu"
#: ... except the weights, which training always writes as floats: an integer table is a
#: converted file whose predictions no recorded metric describes (bad-input round 12).
FLOAT_ARRAYS = frozenset(
    ("user_embedding", "movie_embedding", "user_bias", "movie_bias", "implicit_embedding")
)


def _mean_problem(arrays: dict[str, np.ndarray], scale: list[float]) -> str | None:
    """Why a ``global_mean`` (the mean training rating) outside the rating scale cannot be
    used: every prediction starts from it (bad-input round 12: 1e30 loaded)."""
    mean = arrays.get("global_mean")
    if mean is None or np.size(mean) != 1 or scale[0] <= float(np.ravel(mean)[0]) <= scale[1]:
        return None
    return (
        f"{EMBEDDINGS_FILE}: global_mean is {float(np.ravel(mean)[0]):.6g}, outside the rating "
        f"scale {scale[0]:g}-{scale[1]:g} it is the mean of; the file is damaged"
    )


def _finite_problem(arrays: dict[str, np.ndarray]) -> str | None:
    """Why ``arrays`` cannot be used when one holds NaN or infinite values; checked on load,
    where the arrays are read anyway (a listing reads headers only). A training that diverges
    saves nothing, so such a file is damaged, not a diverged model (bad-input round 45, F3:
    "lower the learning rate" sent the user the wrong way)."""
    for key, values in arrays.items():
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = int(values.size - np.isfinite(values).sum())
            return (
                f"{EMBEDDINGS_FILE}: '{key}' holds {bad:,} NaN or infinite value(s) of "
                f"{values.size:,}; movierate never saves such values (a training that diverges "
                "saves nothing), so the file is damaged or was written by another tool. Restore "
                "the model folder from a copy, or delete it and train or import it again"
            )
    return None


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)


def _is_text_lists(t: pa.DataType) -> bool:
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return pa.types.is_null(t)
    return _is_text(t.value_type) or pa.types.is_null(t.value_type)


#: The movies table's column types (see the movies contract): what people read, and the test.
_MOVIE_COLUMN_TYPES = {
    "movie_id": ("whole numbers or text", lambda t: pa.types.is_integer(t) or _is_text(t)),
    "title": ("text", _is_text),
    "year": ("numbers", lambda t: _is_numeric(t) or pa.types.is_null(t)),
    "genres": ("lists of text", _is_text_lists),
    "n_ratings": ("numbers", _is_numeric),
    TRAINING_COUNTS: ("numbers", _is_numeric),
    "mean_rating": ("numbers", lambda t: _is_numeric(t) or pa.types.is_null(t)),
}


def _check_movies_schema(path: Path) -> None:
    """StoreError if the movies table lacks a required column or one has the wrong type (read
    from the parquet schema: no rows are loaded)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError) as exc:
        raise StoreError(_damaged_text(MOVIES_FILE, exc)) from None
    names = set(schema.names)
    missing = [c for c in REQUIRED_MOVIE_COLUMNS if c not in names]
    if missing:
        raise StoreError(f"{MOVIES_FILE} lacks the column(s) {', '.join(missing)}; it is damaged")
    for column, (wanted, fits) in _MOVIE_COLUMN_TYPES.items():
        if column in names and not fits(schema.field(column).type):
            raise StoreError(
                f"{MOVIES_FILE}: column '{column}' holds {schema.field(column).type}, expected "
                f"{wanted}; the file is damaged"
            )


def _parquet_rows(path: Path) -> int:
    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, ValueError) as exc:
        raise StoreError(_damaged_text(MOVIES_FILE, exc)) from None


def _read_movies(path: Path) -> pd.DataFrame:
    """The movies table, row i describing embedding row i: a table whose ``movie_idx`` column
    is a shuffle of 0..n-1 (sorted or filtered and saved back by hand) is put back in order;
    one whose ``movie_idx`` or ``movie_id`` values are no such shuffle or repeat is refused,
    since every view would put other titles on the vectors."""
    movies = pd.read_parquet(path)
    if "movie_idx" not in movies.columns:  # every saved table has it (bad-input round 13b:
        # without it, reversed rows were accepted and every title sat on another vector)
        raise StoreError(
            f"{MOVIES_FILE} has no movie_idx column, so its rows cannot be matched to the "
            "embedding's; the file is damaged"
        )
    order = pd.to_numeric(movies["movie_idx"], errors="coerce").to_numpy()
    if not np.array_equal(np.sort(order), np.arange(len(movies))):
        raise StoreError(
            f"{MOVIES_FILE}: its movie_idx column is not 0..{len(movies) - 1}, one per row, "
            "so its rows cannot be matched to the embedding's; the file is damaged"
        )
    if not np.array_equal(order, np.arange(len(movies))):
        movies = movies.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    repeated = movies["movie_id"].duplicated() if "movie_id" in movies.columns else None
    if repeated is not None and repeated.any():
        raise StoreError(
            f"{MOVIES_FILE}: movie_id {movies['movie_id'][repeated].iloc[0]} is on more than "
            "one row, so a movie's vector is ambiguous; the file is damaged"
        )
    for column in ("n_ratings", TRAINING_COUNTS):
        counts = pd.to_numeric(movies[column], errors="coerce") if column in movies else None
        if counts is not None and (counts < 0).any():
            raise StoreError(
                f"{MOVIES_FILE}: column '{column}' holds negative rating counts "
                f"({counts[counts < 0].iloc[0]:g}); the file is damaged"
            )
    if "genres" in movies.columns:  # parquet gives numpy arrays back; the contract says lists
        movies["genres"] = [list(g) if g is not None else [] for g in movies["genres"]]
    return movies


def _load_keras(path: Path) -> Any:
    import keras

    import movierate.nn.autorec  # noqa: F401  (registers movierate's custom Keras objects)
    import movierate.nn.models  # noqa: F401

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types for damaged or foreign files
        if _holds_code(exc):  # bad-input round 26: Keras's advice was to turn safe mode off
            raise StoreError(
                f"{path} holds Python code (a Lambda layer or a pickled function), and "
                "movierate never runs code from a model file, so it was not loaded. Predictions "
                "in numpy still work; retrain the model here to get a Keras file without code."
            ) from None
        raise StoreError(
            f"{path} could not be loaded by Keras ({type(exc).__name__}: {exc}). "
            "Predictions in numpy still work; retrain the model to restore its Keras file."
        ) from None


def _holds_code(exc: Exception) -> bool:
    """Whether Keras refused a file because it holds Python code (its safe mode's refusal)."""
    return "safe_mode" in str(exc) or "arbitrary code execution" in str(exc)


# --- writing -----------------------------------------------------------------------------------


def _checked_arrays(result: TrainingOutput, spec: ModelSpec, ds: Any) -> dict[str, np.ndarray]:
    """The result's embeddings.npz arrays, checked before anything is written."""
    arrays = {k: np.asarray(v) for k, v in result.arrays.items()}
    arrays.setdefault("global_mean", np.asarray(result.global_mean, dtype=np.float32))
    rows = {k: v.shape[0] for k, v in arrays.items() if k in _ROW_COUNTS and v.ndim}
    counts = {"n_users": ds.n_users, "n_movies": ds.n_movies}
    problem = _row_problem(rows, counts, "the dataset has")
    if problem is None:
        shapes = {k: v.shape for k, v in arrays.items()}
        problem = scoring.shape_problem(shapes, spec.family, spec.dim)
    if problem:
        raise StoreError(f"The trained model's arrays do not fit the contract: {problem}.")
    for key, values in arrays.items():
        if values.dtype.kind not in NUMERIC_KINDS:
            raise StoreError(
                f"The trained model's '{key}' holds {values.dtype} values, not numbers."
            )
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise StoreError(
                f"The trained model's '{key}' holds NaN or infinite values: training diverged, "
                "so nothing was saved. Lower the learning rate or the regularization strengths "
                "and train again."
            )
    return arrays


def _build_meta(
    name: str, result: TrainingOutput, ds: Any, split: Any, spec: ModelSpec
) -> dict[str, Any]:
    """meta.json's content (made JSON-safe when written); metrics / history are not copied.
    Its rating scale is the one training used (``result.rating_scale``), else the dataset's."""
    from movierate.defaults import recorded_seen

    scale = getattr(result, "rating_scale", None) or ds.rating_scale
    return {
        "format_version": FORMAT_VERSION,
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "spec": spec.to_dict(),
        "dataset": {
            "name": ds.name,
            "source": getattr(ds, "source", None),
            "fingerprint": ds.fingerprint,
            # the rows that chose a tuned entry's use (defaults.seen_of_meta), not the test rows
            "seen_fingerprint": recorded_seen(ds, split),
            "n_users": int(ds.n_users),
            "n_movies": int(ds.n_movies),
            "n_ratings": int(len(ds)),
            "rating_scale": [float(scale.min), float(scale.max), float(scale.step)],
            "test_rows_from": _test_rows_from(ds, split),
        },
        "split": split.describe(),
        "metrics": result.metrics,
        "history": result.history,
        "timings": {
            "train_seconds": result.train_seconds,
            "ratings_per_second": result.ratings_per_second,
        },
        "versions": library_versions(),
    }


def _test_rows_from(ds: Any, split: Any) -> dict[str, float]:
    """The share of the split's test rows that are ratings of each data set some settings were
    chosen on (``advice.CHOSEN_ON``), where found on this machine and at least 10%."""
    from movierate import advice
    from movierate.data.resemblance import shares_from_known

    test = getattr(split, "test", None)
    if test is None or not hasattr(ds, "user_ids"):  # a stand-in without rows (benchmarks)
        return {}
    return shares_from_known(ds, test, advice.CHOSEN_ON)


def json_safe(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, tuples to lists, NaN/inf to null."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        # float32 values keep their short form (0.9, not 0.8999999761581421)
        parsed = float(str(value)) if isinstance(value, np.float32) else float(value)
        return parsed if math.isfinite(parsed) else None
    return value


def _write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    with path.open("wb") as f:
        np.savez(f, **arrays)


def _write_movies(path: Path, movies: pd.DataFrame) -> None:
    movies.to_parquet(path, index=False)


def check_name_free(name: str, *, overwrite: bool = False, replace_hint: str | None = None) -> None:
    """Before any work: :func:`name_taken` when ``name`` is taken (a replace with ``overwrite``
    is fine) or when a saved model's name differs from it only in case (:func:`case_twin`),
    which overwriting cannot resolve, or when another process's training in progress holds it
    (:func:`held_by_run`); StoreError when the model to replace takes no changes or the models
    folder cannot exist (:func:`check_readable`). A name this run's own note holds
    (``RunLedger.claimed_here``) was checked when the run claimed it: one taken since is no
    error, as the save takes the next free name."""
    overwrite = schema.flag(overwrite, "overwrite", StoreError)
    check_readable()
    if not overwrite and RunLedger().claimed_here(name):
        return  # checked when this run claimed it: taken since, it saves as the next free name
    if held := held_by_run(name):  # bad-input round 69, F1
        raise held
    twin = case_twin(name)
    if twin is not None and not (config.models_dir() / name).exists():
        raise name_taken(name)
    if twin is not None and overwrite:  # the recheck: trained, then saved as name-2
        raise NameTakenError(
            f"A model named {shown(twin)} differs from {shown(name)} "
            f"{twin_difference([twin, name])} (one folder on macOS and Windows), so replacing {shown(name)} would keep both spellings; rename "
            f"or delete {shown(twin)} first (python -m movierate rename {twin} NEW_NAME / "
            f"python -m movierate delete {twin})."
        )
    if held := _held_by_no_folder(name):  # recheck: trained, then "Not a directory"
        raise held
    if not overwrite and model_exists(name):
        raise name_taken(name, replace_hint=replace_hint)
    if overwrite and (refused := _unreplaceable(name)):  # bad-input round 16: a whole store
        raise refused
    if overwrite and model_exists(name) and not model_path(name).is_symlink():
        folder = model_path(name)
        try:  # replacing writes a record into the old folder, then renames it aside
            _probe_write(folder)
        except OSError as exc:
            raise StoreError(
                f"The model {shown(name)} cannot be replaced: its folder {folder} takes no "
                f"changes ({exc.strerror or type(exc).__name__}). Make it writable (chmod -R "
                "u+w, or chattr -i if it was made immutable), or save under another name."
            ) from None


def held_by_run(name: str) -> NameTakenError | None:
    """The error for ``name`` when another process's training in progress holds it (its note
    in the runs folder: a dashboard's or the command line's), else None: that run will save
    it, so it counts as taken (bad-input round 69, F1)."""
    if not (runs := RunLedger().holders(name)):
        return None
    return NameTakenError(
        f"A training in progress will save a model named {shown(name)}: {'; '.join(runs)}. "
        f"Pick another name (for example {free_name(name)!r}), or wait for that training to "
        "end."
    )


def free_name(base: str, taken: Collection[str] = ()) -> str:
    """``base``, ``base-2``, ...: the first valid name that no saved model, no other process's
    training in progress (:func:`held_by_run`) and no name in ``taken`` holds (names differing
    only in case count as one)."""
    held = {twin_key(name) for name in (*RunLedger().held_names(), *taken)}
    clean, n = name_like(base), 1
    while True:
        suffix = f"-{n}" if n > 1 else ""
        name = clean[: NAME_MAX_LENGTH - len(suffix)] + suffix
        if twin_key(name) not in held and unique_name(name) == name:
            return name
        n += 1


def check_replaceable(name: str) -> None:
    """Raise :func:`not_a_model_folder`'s StoreError for the folder an overwrite of ``name``
    would replace: called right before the swap (recheck B and D, s26: a folder moved in while
    the new model was staged went with the old one)."""
    if refused := _unreplaceable(name):
        raise refused


def _unreplaceable(name: str) -> StoreError | None:
    """:func:`not_a_model_folder` for the folder an overwrite of ``name`` would replace."""
    folder = config.models_dir() / name
    return not_a_model_folder(folder, name, "replaced") if folder.is_dir() else None


def _held_by_no_folder(name: str) -> NameTakenError | None:
    """The error for a name the models folder holds with a dead link or a file (not a model),
    else None."""
    problem = _not_a_folder(model_path(name))
    if problem is None:
        return None
    return NameTakenError(
        f"The name {shown(name)} is held by {problem.split(';')[0]} in "
        f"{config.models_dir()}; {problem.split('; ', 1)[1]}, or pick another name."
    )


def name_taken(name: str, *, replace_hint: str | None = None) -> NameTakenError:
    """THE error for a model name already in use (store, pipeline, training jobs, CLI).

    It suggests a free name and says how to free this one (rename or delete the old model on
    the Home page or with the CLI); ``replace_hint`` adds how to replace it (e.g. the CLI's
    ``--overwrite``).
    """
    twin = case_twin(name) if not (config.models_dir() / name).exists() else None
    taken = (
        f"A model named {shown(twin)} already exists, and {shown(name)} differs from it "
        f"{twin_difference([twin, name])} (one folder on macOS and Windows)"
        if twin
        else f"A model named {shown(name)} already exists"
    )
    message = (
        f"{taken}; pick another name (for example "
        f"{unique_name(name)!r}), or rename or delete the old model on the Home page "
        f"(python -m movierate rename {twin or name} NEW_NAME / python -m movierate delete "
        f"{twin or name})"
    )
    if twin:  # replacing would still leave two names for one folder elsewhere
        message += f", or rename {twin} {name} to give that model this spelling"
    elif replace_hint:
        message += f", or {replace_hint}"
    return NameTakenError(message + ".")


def rename_model(old: str, new: str) -> Path:
    """Rename the model ``old`` to ``new`` atomically (its ``cache/`` moves with it).

    Refuses a taken ``new`` with :func:`name_taken` (also when another process takes it
    meanwhile: the rename never replaces a folder). ``meta.json`` then records the new name.
    Loaded :class:`TrainedModel` objects of the old name are stale afterwards (reload them).
    Returns the new folder.
    """
    validate_name(new)
    source = _existing_model_path(old, listed=True)
    target = config.models_dir() / new
    if old == new:
        return source
    if held := _held_by_no_folder(new):  # recheck C: "a model already exists ... delete it"
        raise held
    if held := held_by_run(new):  # recheck 16c, F2: a training in progress will save it
        raise held
    if os.path.lexists(target) or case_twin(new, besides=source.name) is not None:
        raise name_taken(new)
    failed = f"Could not rename {shown(old)} to {shown(new)}"
    try:
        atomic.rename_folder(source, target)
    except FileExistsError:
        raise name_taken(new) from None
    except FileNotFoundError:
        raise StoreError(f"Model {shown(old)} was deleted or renamed meanwhile.") from None
    except OSError as exc:
        kept = f"Nothing was changed: the model is still {shown(old)}."
        if not os.path.lexists(source) or os.path.lexists(target):
            kept = f"Check the models folder {path_shown(source.parent)}."
        raise store_write_error(exc, failed, kept, source.parent) from exc
    if target.is_symlink():  # a link to a folder elsewhere: the link moved, the folder is not
        return target  # ours to edit (bad-input round 10: its meta.json was rewritten)
    # A save replacing the old name may have marked the folder just before the rename; the
    # folder is a model under its new name now, no writer's to remove.
    with contextlib.suppress(OSError):
        (target / atomic.WRITER_FILE).unlink(missing_ok=True)
    try:
        meta = json.loads((target / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return target  # a broken model keeps its broken meta.json; the folder name counts
    if isinstance(meta, dict) and meta.get("name") != new:
        try:
            atomic.write_json(target / META_FILE, dict(meta, name=new))
        except OSError as exc:  # bad-input round 31, F2: "renamed", meta.json kept the old name
            raise _renamed_back(exc, failed, old, new, source, target) from exc
    return target


def _renamed_back(
    exc: OSError, failed: str, old: str, new: str, source: Path, target: Path
) -> StoreError:
    """The error of a rename whose meta.json could not record the new name: the folder is
    renamed back (then nothing changed), or, if that fails too, the message says so."""
    try:
        atomic.rename_folder(target, source)
    except OSError:
        return store_write_error(
            exc,
            f"{shown(old)} was renamed to {shown(new)}, but its meta.json could not record the "
            "new name",
            f"It is saved as {shown(new)} and works under that name; its meta.json still says "
            f"{shown(old)}: rename it again once the folder takes writes.",
            target,
        )
    return store_write_error(
        exc,
        f"{failed} (its meta.json could not record the new name)",
        f"The folder was renamed back, so nothing was changed: the model is still {shown(old)}.",
        source,
    )


# --- leftovers of killed writers (models, datasets, caches, temporary files) ---------------------


#: Where writers stage folders, and what they are: (folder, [(prefix, kind)]), see leftovers().
def _leftover_places() -> list[tuple[Path, tuple[tuple[str, str], ...]]]:
    models = config.models_dir()
    places = [(models, STORE_LEFTOVERS)]
    places += [(folder, ()) for folder in _temp_file_folders(models)]
    data = config.data_dir()
    places.append(
        (
            data,
            (
                (".extract-", "dataset import"),
                (OLD_PREFIX, "replaced dataset"),
                (TRASH_PREFIX, "dataset deletion"),
            ),
        )
    )
    places.append((data / "custom", ((".", "dataset import"),)))
    datasets = config.cache_dir() / "datasets"
    if datasets.is_dir():
        places += [(d, ((".", "dataset cache"),)) for d in sorted(datasets.iterdir()) if d.is_dir()]
    places.append((temp_root(), ((atomic.PROCESS_TEMP_PREFIX, "temporary files of a run"),)))
    return places


@dataclass(frozen=True)
class LeftoverReport:
    """Hidden folders and files that writers left, for ``list`` and the Home page.

    ``items``: what is still there (writes in progress, or leftovers of unknown writers not
    yet old enough to remove); ``removed``: what this check removed (writers known dead).
    """

    items: tuple[atomic.Leftover, ...] = ()
    removed: tuple[atomic.Leftover, ...] = ()

    @property
    def leftover(self) -> tuple[atomic.Leftover, ...]:
        """Items no live process is writing: true leftovers (views round 16, F5: a save in
        progress was counted as a leftover of an interrupted write)."""
        return tuple(item for item in self.items if item.state != "alive")

    @property
    def count(self) -> int:
        """How many leftovers (writes in progress are not counted)."""
        return len(self.leftover)

    @property
    def bytes(self) -> int:
        """Their size (writes in progress are not counted)."""
        return sum(item.bytes for item in self.leftover)

    @property
    def in_progress(self) -> tuple[atomic.Leftover, ...]:
        """Items whose writer is alive (a save, import or training running now)."""
        return tuple(item for item in self.items if item.state == "alive")

    @property
    def removed_bytes(self) -> int:
        return sum(item.bytes for item in self.removed)

    def lines(self) -> list[str]:
        """Plain sentences for the CLI / Home page (empty when there is nothing to say)."""
        out = []
        if self.removed:
            out.append(
                f"Removed {len(self.removed)} leftover(s) of killed writes "
                f"({format_bytes(self.removed_bytes)})."
            )
        busy = self.in_progress
        if busy:
            kinds = ", ".join(sorted({item.kind for item in busy}))
            out.append(
                f"{len(busy)} write(s) in progress, not leftovers ({kinds}; "
                f"{format_bytes(sum(i.bytes for i in busy))})."
            )
        stuck = [item for item in self.leftover if item.kind in DELETION_KINDS]
        if stuck:  # every listing tries these at once: never "removed automatically" (round 51)
            out.append(
                f"{len(stuck)} deleted folder(s) that could not be removed "
                f"({format_bytes(sum(i.bytes for i in stuck))}); remove them by hand (rm -rf); "
                f"if that is refused, {atomic.STUCK_HINT}: " + _paths_shown(stuck)
            )
        stale = [
            item
            for item in self.leftover
            if item.future_mtime is None and item.kind not in DELETION_KINDS
        ]
        if stale:
            ages = max(item.age_seconds for item in stale)
            out.append(
                f"{len(stale)} leftover(s) of unknown writers "
                f"({format_bytes(sum(i.bytes for i in stale))}, oldest {ages / 60:.0f} min); "
                f"removed automatically once {STALE_TEMP_SECONDS / 60:.0f} min old: "
                + _paths_shown(stale)
            )
        ahead = [item for item in self.leftover if item.future_mtime is not None]
        if ahead:  # no age to wait for (bad-input round 28, F4): say why it stays
            out.append(
                f"{len(ahead)} leftover(s) of unknown writers "
                f"({format_bytes(sum(i.bytes for i in ahead))}) dated in the future "
                f"({_utc_shown(max(i.future_mtime or 0.0 for i in ahead))}), so their age is "
                "unknown and they are kept; "
                "delete them by hand once no program, on this machine or another, writes "
                "them: " + _paths_shown(ahead)
            )
        return out

    def heading(self) -> str:
        """The report's title: leftovers counted apart from writes in progress."""
        if self.count:
            return f"{self.count} leftover(s) of interrupted writes ({format_bytes(self.bytes)})"
        if self.removed:
            return "Cleaned up after interrupted writes"
        return "Being written now"


def _utc_shown(seconds: float, *, precise: bool = False) -> str:
    """Seconds since 1970 as a UTC date, to the minute (``precise``: the second); "after 9999"
    beyond what a date holds."""
    shape = "%Y-%m-%d %H:%M:%S" if precise else "%Y-%m-%d %H:%M"
    try:
        return f"{datetime.fromtimestamp(seconds, timezone.utc).strftime(shape)} UTC"
    except (OverflowError, OSError, ValueError):
        return "after 9999"


def _paths_shown(items: Sequence[atomic.Leftover]) -> str:
    """The first three paths, then how many more lie in which folders (bad-input round 33:
    "... " after 3 of 500 left no way to find the rest by hand)."""
    shown = ", ".join(str(item.path) for item in items[:3])
    rest = items[3:]
    if not rest:
        return shown
    folders: dict[str, int] = {}
    for item in rest:
        folders[str(Path(item.path).parent)] = folders.get(str(Path(item.path).parent), 0) + 1
    where = "; ".join(f"{count:,} in {folder}" for folder, count in sorted(folders.items()))
    return f"{shown} and {len(rest):,} more ({where})"


def leftovers(clean: bool = True) -> LeftoverReport:
    """What killed or running writers left under MOVIERATE_HOME (models, data, caches, temp).

    With ``clean`` (the default) leftovers whose writer is known to be dead are removed first
    (and listed in ``removed``); folders renamed aside by a dead replacement are restored.
    """
    clean = schema.flag(clean, "clean", StoreError)
    removed: list[atomic.Leftover] = []
    items: list[atomic.Leftover] = []
    if clean:
        recover()
        from movierate.data.removal import trash_folders  # a killed `delete-dataset`'s

        trash = [(p, DELETION_KINDS[0]) for p in _trash_folders(config.models_dir())]
        trash += [(p, DELETION_KINDS[1]) for p in trash_folders()]
        for path, what in trash:
            size = atomic.tree_size(path)
            with contextlib.suppress(OSError):  # one it may not remove stays listed below
                atomic.remove_tree(path)
            if not path.exists():  # (the recheck: counted as removed while it stayed)
                removed.append(atomic.Leftover(path, what, size, "dead", 0))
    for folder, prefixes in _leftover_places():
        if clean:
            with contextlib.suppress(OSError):
                removed += atomic.sweep_leftovers(folder, prefixes)
        items += atomic.find_leftovers(folder, prefixes)
    own = atomic.process_temp_dir()  # this process's own temp folder is no leftover
    items = [item for item in items if item.path != own]
    return LeftoverReport(tuple(items), tuple(removed))


def check_outside_managed(folder: Path, example: str) -> None:
    """StoreError when ``folder`` (a command's output path) lies inside a folder movierate
    manages, where what it wrote would be read as, or deleted with, movierate's own files (an
    export or study in models/ listed as a broken model, or deleted with the model it was put
    in: fuzz66, F1). ``example``: the option to suggest, e.g. ``--out ./export``."""
    managed = {
        "models folder, where each folder is read as a saved model": config.models_dir(),
        "datasets folder": config.data_dir(),
        "cache folder": config.cache_dir(),
        "temporary folder, emptied after each run": temp_root(),
        "run-notes folder": config.home_dir() / LEDGER_FOLDER,
        "Keras folder": config.home_dir() / "keras",
    }
    where = _resolved(folder)
    if where == _resolved(config.home_dir()):  # beside its own folders (recheck 14, F2)
        raise StoreError(
            f"{folder} is movierate's home folder, which holds its own folders; nothing was "
            f"written. Pass a folder outside it or a new one inside (e.g. {example})."
        )
    for what, root in managed.items():
        if where.is_relative_to(_resolved(root)):
            raise StoreError(
                f"{folder} is inside movierate's {what} ({root}); nothing was written. Pass a "
                f"folder outside it (e.g. {example})."
            )


def _resolved(path: Path) -> Path:
    """``path`` absolute with its links followed where they can be (a loop: as written)."""
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(Path(path).expanduser()))


def temp_root() -> Path:
    """``$MOVIERATE_HOME/tmp``: per-process temporary folders (see use_process_temp_dir)."""
    return config.home_dir() / "tmp"


def use_process_temp_dir() -> Path:
    """Send this process's temporary files (TensorFlow's autograph files) to its own folder
    under ``$MOVIERATE_HOME/tmp``, removed at exit or, after a kill, by :func:`leftovers`.
    StoreError when that path is a file. The temp folders of killed runs are removed first:
    a user who only trains from scripts never runs ``list`` (bad-input round 10: they piled up)."""
    root = temp_root()
    if problem := config.folder_problem(root.parent, "home", config.home_setting()):
        raise StoreError(problem)  # recheck B (s27): `study` said "Not a directory: home/tmp"
    if root.is_symlink() and not root.is_dir():  # bad-input round 13: the bare "File exists"
        raise StoreError(
            f"{root} is a link to a folder that does not exist (or a loop of links): movierate "
            "keeps each run's temporary files in a folder there. Mount or create its target, "
            "or remove the link (or set MOVIERATE_HOME to another folder)."
        )
    if root.exists() and not root.is_dir():
        raise StoreError(
            f"{root} is a file, not a folder: movierate keeps each run's temporary files in a "
            "folder there. Move the file away (or set MOVIERATE_HOME to another folder)."
        )
    if root.is_dir():
        with contextlib.suppress(OSError):
            atomic.sweep_leftovers(root, ((atomic.PROCESS_TEMP_PREFIX, "temporary files"),))
    try:
        return atomic.use_process_temp_dir(root)
    except OSError as exc:  # bad-input round 20: a full home said only "No space left on device"
        said, hint = atomic.write_failure(exc, config.home_setting())
        raise StoreError(
            f"Could not make this run's temporary folder in {root}: {said}. Nothing was "
            f"started. {hint or 'Check that folder, or set MOVIERATE_HOME to another folder.'}"
        ) from exc


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KB'``."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
