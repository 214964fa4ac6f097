"""Train a model and save it in one call, and re-evaluate a saved model on its recorded split.

Used by the CLI, the dashboard's background jobs and the test fixtures. Everything cheap is
checked first (spec, name, split options), so a typo fails in milliseconds, not after loading
the data and importing TensorFlow. TensorFlow is imported only when training starts.

>>> train_and_save("ml-latest-small", ModelSpec(dim=16, epochs=5), "first")  # doctest: +SKIP
'first'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from movierate import store
from movierate.data import RatingsDataset, Split, load_dataset, load_dataset_by_name, make_split
from movierate.data.formats import detect_layout
from movierate.data.splits import OFFICIAL_PREFIX, SPLIT_METHODS
from movierate.errors import DataError, SpecError, TrainingCancelled
from movierate.progress import ProgressCallback
from movierate.spec import ModelSpec

DEFAULT_SPLIT: dict[str, Any] = {"method": "random", "valid_fraction": 0.1, "seed": 42}


def train_and_save(
    dataset: str | RatingsDataset,
    spec: ModelSpec,
    name: str,
    split_params: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    overwrite: bool = False,
) -> str:
    """Load ``dataset`` (a name or a RatingsDataset), split, train ``spec``, save as ``name``.

    Returns the saved model's name. Raises SpecError / StoreError before any slow work,
    DataError for an unknown dataset or split, TrainingCancelled if ``cancel`` is set.
    """
    spec.validate()
    store.validate_name(name)
    if not overwrite and store.model_exists(name):
        raise store.name_taken(name)
    params = split_settings(split_params)
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    split = split_from_settings(ds, params)
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled(f"Training of {name!r} was cancelled before it started.")

    from movierate.nn.training import train  # imports TensorFlow

    result = train(ds, split, spec, progress=progress, cancel=cancel)
    store.save_model(name, result, ds, split, spec, overwrite=overwrite)
    return name


def split_settings(split_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Complete, checked split options: ``method`` plus ``valid_fraction`` and ``seed``.

    ``method`` is ``random``, ``per_user``, ``temporal`` or ``official:<name>`` (e.g.
    ``official:u1`` for ml-100k's prepared splits). Missing options take DEFAULT_SPLIT's values.
    """
    params = dict(DEFAULT_SPLIT)
    params.update(split_params or {})
    unknown = sorted(set(params) - set(DEFAULT_SPLIT))
    if unknown:
        raise SpecError(
            f"Unknown split option(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(DEFAULT_SPLIT)}."
        )
    method = params["method"]
    if not isinstance(method, str) or (
        method not in SPLIT_METHODS and not method.startswith(OFFICIAL_PREFIX)
    ):
        raise SpecError(
            f"Unknown split method {method!r}; use one of {', '.join(SPLIT_METHODS)} "
            f"or '{OFFICIAL_PREFIX}<name>' (e.g. 'official:u1' on ml-100k)."
        )
    fraction = params["valid_fraction"]
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise SpecError(f"valid_fraction must be a number between 0 and 1, got {fraction!r}.")
    seed = params["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"The split seed must be a whole number >= 0, got {seed!r}.")
    params["valid_fraction"], params["seed"] = float(fraction), int(seed)
    return params


def split_from_settings(ds: RatingsDataset, params: Mapping[str, Any]) -> Split:
    """The Split that checked ``params`` (see :func:`split_settings`) describe on ``ds``."""
    return make_split(
        ds, method=params["method"], valid_fraction=params["valid_fraction"], seed=params["seed"]
    )


def recorded_split(ds: RatingsDataset, described: Mapping[str, Any]) -> Split:
    """Rebuild the split a model recorded (``Split.describe()``), checking its digest."""
    method = str(described.get("method"))
    seed = described.get("seed")
    split = make_split(
        ds,
        method=method,
        valid_fraction=described.get("valid_fraction") or DEFAULT_SPLIT["valid_fraction"],
        seed=DEFAULT_SPLIT["seed"] if seed is None else seed,
    )
    digest = described.get("digest")
    if digest and split.digest != digest:
        raise DataError(
            f"The {method} split of {ds.name!r} no longer matches the one this model recorded "
            "(its digest differs), so its metrics cannot be recomputed on the same rows."
        )
    return split


def dataset_of(
    model: store.TrainedModel, load: Callable[[str], RatingsDataset] | None = None
) -> RatingsDataset:
    """Load the dataset ``model`` was trained on and check it is the same data.

    ``load`` opens a dataset by NAME (default :func:`movierate.data.load_dataset_by_name`); the
    dashboard passes its cached loader, which must refuse paths too.

    The recorded name is only ever a dataset NAME (never a path: meta.json may be crafted).
    A model trained on a folder also recorded that folder (``source``); it is used only while
    it still holds data with the recorded fingerprint. Otherwise DataError says what to pass.
    """
    if model.meta.get("imported"):  # movierate.imported_models: movie vectors only
        raise DataError(
            f"{model.name!r} is an embedding imported from elsewhere: it has movie vectors only, "
            "no users or ratings, so this view cannot use it. Pick a model trained here."
        )
    recorded = model.meta["dataset"]
    name, fp = recorded.get("name"), recorded.get("fingerprint")
    source = recorded.get("source")
    ds = _from_recorded_folder(source, name, fp)
    if ds is not None:
        return ds
    try:
        ds = (load or load_dataset_by_name)(name)
    except DataError as err:
        if isinstance(source, str) and source:
            raise DataError(
                f"Model {model.name!r} was trained on data from {source} (dataset {name!r}), "
                "which is no longer there with the same contents. Pass that data again: "
                f"load_dataset(<folder>) and evaluate_model(model, ds) (CLI: --data <folder>)."
            ) from None
        raise err from None
    if fp and ds.fingerprint != fp:
        raise DataError(
            f"Dataset {ds.name!r} changed since model {model.name!r} was trained (fingerprint "
            f"{ds.fingerprint} now, {fp} then); retrain the model."
        )
    return ds


def _from_recorded_folder(source: Any, name: Any, fp: Any) -> RatingsDataset | None:
    """The dataset in the recorded source folder if it still exists and has fingerprint ``fp``."""
    from pathlib import Path

    from movierate.data.load import load_folder

    if not isinstance(source, str) or not source or not fp or not isinstance(name, str):
        return None
    try:
        folder = Path(source)
        if not folder.is_absolute() or not folder.is_dir() or detect_layout(folder) is None:
            return None
        ds = load_folder(folder, name)
    except (OSError, ValueError):  # DataError included: a damaged folder is not ours
        return None
    return ds if ds.fingerprint == fp else None


def evaluate_model(model: store.TrainedModel, ds: RatingsDataset | None = None) -> dict[str, Any]:
    """RMSE and MAE of ``model`` on its recorded train and validation rows, in numpy.

    Returns ``train_rmse``, ``train_mae``, ``valid_rmse``, ``valid_mae``, ``n_train``,
    ``n_valid``. No TensorFlow: predictions come from :mod:`movierate.scoring`.
    """
    ds = ds if ds is not None else dataset_of(model)
    split = recorded_split(ds, model.meta["split"])
    ratings = ds.ratings
    users = ratings["user_idx"].to_numpy()
    movies = ratings["movie_idx"].to_numpy()
    truth = ratings["rating"].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {}
    for part, rows in (("train", split.train), ("valid", split.valid)):
        errors = model.predict(users[rows], movies[rows]).astype(np.float64) - truth[rows]
        out[f"{part}_rmse"] = float(np.sqrt(np.mean(errors**2))) if len(rows) else float("nan")
        out[f"{part}_mae"] = float(np.mean(np.abs(errors))) if len(rows) else float("nan")
        out[f"n_{part}"] = int(len(rows))
    return out
