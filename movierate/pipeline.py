"""Train a model and save it in one call, and re-evaluate a saved model on its recorded split.

Accuracy is honest: training early-stops on the split's stop rows; after training, the
pipeline measures ``test_rmse`` / ``test_mae`` in numpy on the test rows (which neither
training, early stopping nor any choice of settings saw) and records them in ``meta.json``.
Every test row counts, including those of a user or movie with no rating among the rows the
model was fit on (cold start): the model predicts them from vectors training never moved (the
global mean, zero biases, what is left of the initialisation), and ``test_unseen_rows`` records
how many there are (:func:`unseen_rows`), so a reader knows how much of the test RMSE they are.

Used by the CLI, the dashboard's background jobs and the test fixtures. Everything cheap is
checked first (spec, name, split options), so a typo fails in milliseconds, not after loading
the data and importing TensorFlow. TensorFlow is imported only when training starts.

>>> train_and_save("ml-latest-small", ModelSpec(dim=16, epochs=5), "first")  # doctest: +SKIP
'first'
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movierate import config, schema, scoring, store
from movierate.baselines import averages_fit, baseline_metrics, rmse_of_mean
from movierate.data import (
    RatingScale,
    RatingsDataset,
    Split,
    load_dataset,
    load_dataset_by_name,
    make_split,
)
from movierate.data.formats import detect_layout
from movierate.data.splits import (
    DEFAULT_STOP_FRACTION,
    DEFAULT_TEST_FRACTION,
    OFFICIAL_PREFIX,
    SPLIT_METHODS,
    is_legacy,
    legacy_digest,
    training_scale,
)
from movierate.errors import DataError, SpecError, StoreError, TrainingCancelled
from movierate.paired import (
    SMALL_TEST,
    SMALL_USERS,
    clustered_half_width,
    flip_difference,
    interval_users,
)
from movierate.progress import ProgressCallback
from movierate.spec import ModelSpec

DEFAULT_SPLIT: dict[str, Any] = {
    "method": "random",
    "test_fraction": DEFAULT_TEST_FRACTION,
    "stop_fraction": DEFAULT_STOP_FRACTION,
    "seed": 42,
}
#: Deprecated split option names and what they mean now.
SPLIT_ALIASES = {"valid_fraction": "test_fraction"}


def train_and_save(
    dataset: str | os.PathLike | RatingsDataset,
    spec: ModelSpec,
    name: str,
    split_params: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    overwrite: bool = False,
    name_base: str | None = None,
    notes: Callable[[str], None] | None = None,
) -> str:
    """Load ``dataset`` (a name, a folder path or a RatingsDataset), split, train ``spec``,
    save as ``name``; ``notes`` is handed the training's notes before it starts (a batch
    larger than the training rows, a run close to the memory there is).

    Returns the saved model's name. ``name_base``: ``name`` was generated from it
    (:func:`movierate.store.unique_name`), so when another run takes it first the model is
    saved under the next free name (the one returned). A name the caller chose is checked free
    before training (unless this run's note in the runs folder holds it: checked when the run
    claimed it, ``RunLedger.claimed_here``); taken after that (another program saved or
    renamed a model to it), the trained model is saved under the next free name too, not thrown away (bad-input
    round 9: a CLI rename took a dashboard training's name and 7 epochs were lost); so is an
    ``overwrite`` that finds a name differing only in case beside it at save time. Raises
    SpecError / StoreError before any slow work (also when the store cannot be written),
    DataError for an unknown dataset or split, TrainingCancelled if ``cancel`` is set. A
    RatingsDataset is checked before TensorFlow loads: its ratings must be the data its
    fingerprint names, on its rating scale (:meth:`RatingsDataset.check_fingerprint`).
    """
    if not isinstance(spec, ModelSpec):
        raise SpecError(
            f"spec must be a ModelSpec, got {type(spec).__name__}: build one with "
            "ModelSpec(**settings) or ModelSpec.from_dict(settings)."
        )
    spec.validate()
    overwrite = schema.flag(overwrite, "overwrite", StoreError)
    _check_dataset_argument(dataset)
    store.validate_name(name)
    replaces: store.HeldModel = store.ANY_FOLDER
    if name_base is None:
        store.check_name_free(name, overwrite=overwrite)
        name_base = name  # taken meanwhile (or a case twin beside an --overwrite): name-2, ...
        if overwrite:  # another run's model saved there meanwhile is kept (fuzz66, F2)
            replaces = store.model_in_place(name)
    store.check_writable()
    # the save searches the data folders (test rows' twins in known copies): a bad setting
    # failed it after the whole training (recheck B, s26), so it is read now
    config.extra_data_dir()
    params = split_settings(split_params)
    ds = dataset if isinstance(dataset, RatingsDataset) else load_dataset(dataset)
    ds.check_fingerprint()  # rows edited after loading, or off its scale: refused now
    store.check_room(store.saved_size_estimate(ds.n_users, ds.n_movies, spec.dim))
    check_split_parts(len(ds), params)
    split = split_from_settings(ds, params)
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled(f"Training of {name!r} was cancelled before it started.")

    from movierate.nn.training import train  # imports TensorFlow

    result = train(ds, split, spec, progress=progress, cancel=cancel, notes=notes)
    scale = result.rating_scale
    result.metrics = {**result.metrics, **test_metrics(result.arrays, spec, ds, split, scale)}
    saved = store.save_model(
        name, result, ds, split, spec, overwrite=overwrite, name_base=name_base, replaces=replaces
    )
    return saved.name


def _check_dataset_argument(dataset: Any) -> None:
    """DataError unless ``dataset`` is a dataset name, a folder path or a RatingsDataset."""
    if isinstance(dataset, str | os.PathLike | RatingsDataset):
        return
    hint = (
        " (a saved model: pass the data it was trained on, dataset_of(model), or its name, "
        "model.dataset_name)"
        if isinstance(dataset, store.TrainedModel | store.ModelInfo)
        else ""
    )
    raise DataError(
        f"dataset must be a dataset name, a folder path or a RatingsDataset "
        f"(load_dataset(...), from_csv(...)), got {type(dataset).__name__}{hint}."
    )


def check_model_data(model: store.TrainedModel, ds: RatingsDataset) -> None:
    """DataError unless ``ds`` holds the data ``model`` recorded (its fingerprint): its recorded
    split's rows are positions in that data only (bad-input round 24: a shuffled copy passed
    the split's digest and training rows were scored as test rows)."""
    _check_model(model)
    if not isinstance(ds, RatingsDataset):
        raise DataError(
            f"ds must be the RatingsDataset the model was trained on (dataset_of(model)), got "
            f"{type(ds).__name__}."
        )
    ds.check_fingerprint()
    recorded = model.dataset_fingerprint
    if recorded and ds.fingerprint != recorded:
        raise DataError(
            f"ds ({ds.name!r}, fingerprint {ds.fingerprint}) is not the data model "
            f"{model.name!r} was trained on ({model.dataset_name!r}, fingerprint {recorded}), "
            "so its recorded split would name other rows. Pass the data it was trained on "
            "(dataset_of(model) loads it), or leave ds out."
        )


def split_settings(split_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Complete, checked split options: ``method``, ``test_fraction``, ``stop_fraction``, ``seed``.

    ``method`` is ``random``, ``per_user``, ``temporal``, ``time`` or ``official:<name>`` (e.g.
    ``official:u1`` for ml-100k's prepared splits, whose test rows are its ``.test`` file).
    Missing options take DEFAULT_SPLIT's values (10% test, then 10% of the rest as stop rows).
    ``valid_fraction`` is accepted as the deprecated name of ``test_fraction``.
    """
    given = dict(split_params or {})
    for old, new in SPLIT_ALIASES.items():
        if old in given:
            if new in given:
                raise SpecError(f"Pass {new} only ({old} is its deprecated name).")
            given[new] = given.pop(old)
    params = dict(DEFAULT_SPLIT)
    params.update(given)
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
    for key in ("test_fraction", "stop_fraction"):
        fraction = params[key]
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 < fraction < 1
        ):
            flag = "--" + key.replace("_", "-")
            raise SpecError(
                f"{key} ({flag} on the command line) must be above 0 and below 1, got {fraction!r}."
            )
        params[key] = float(fraction)
    seed = params["seed"]
    seeds = schema.SPEC_SCHEMA["seed"].constraint  # the training seed's range (round 32, F5)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) not in seeds:
        raise SpecError(
            f"The split seed (--split-seed on the command line) must be a whole number from "
            f"{seeds.low} to {seeds.high}, like the training seed; got {seed!r}."
        )
    params["seed"] = int(seed)
    return params


def check_split_parts(n: int, params: Mapping[str, Any]) -> None:
    """SpecError when the checked split ``params`` (:func:`split_settings`) cannot give each
    part of ``n`` ratings at least one row by its fraction, while the default fractions can
    (fuzz66, F5: a test fraction of 0.9999999 trained on 1 rating with no early-stopping rows,
    1e-300 measured on 1 test row). Splits that hold out per user count per user: not checked."""
    if params["method"] not in ("random", "time"):
        return
    test, stop = params["test_fraction"], params["stop_fraction"]
    if _parts(n, test, stop) is None or _parts(n, DEFAULT_TEST_FRACTION, DEFAULT_STOP_FRACTION):
        return
    n_test = min(n - 1, max(1, round(n * test)))
    rest = n - n_test
    n_stop = min(rest - 1, max(1, round(rest * stop))) if rest >= 2 else 0
    fits = min(stop, 1 - stop) * n >= 1  # else no rest of these rows honours the stop fraction
    least_rest = max(2, math.ceil(1 / stop), math.ceil(1 / (1 - stop))) if fits else n
    fix = (
        f"use a test fraction from {1 / n:.2g} to {(n - least_rest) / n:.6g} with this "
        f"early-stopping fraction ({stop:.10g})"
        if least_rest < n
        else f"use an early-stopping fraction nearer the default ({DEFAULT_STOP_FRACTION:g})"
    )
    raise SpecError(
        f"A test fraction of {test:.10g} with an early-stopping fraction of {stop:.10g} leaves too "
        f"few rows: of the {n:,} ratings, the test part would get {n_test:,}, early stopping "
        f"{n_stop:,} and training {rest - n_stop:,} ({_parts(n, test, stop)}). Give each part "
        f"at least one row by its fraction: {fix}, or leave both out for the defaults "
        f"({DEFAULT_TEST_FRACTION:g} and {DEFAULT_STOP_FRACTION:g})."
    )


def _parts(n: int, test: float, stop: float) -> str | None:
    """Why the fractions ``test`` and ``stop`` of ``n`` rows leave a part less than one row by
    rounding (the split then forces one), or None when each part gets one."""
    n_test = round(n * test)
    if n_test < 1:
        return f"the test fraction asks for {n * test:.2g} rows"
    if n_test > n - 2:
        return "the test fraction leaves fewer than 2 rows to train and stop on"
    rest = n - n_test
    n_stop = round(rest * stop)
    if n_stop < 1:
        return f"the early-stopping fraction asks for {rest * stop:.2g} rows"
    if n_stop > rest - 1:
        return "the early-stopping fraction leaves no row to train on"
    return None


def split_from_settings(ds: RatingsDataset, params: Mapping[str, Any]) -> Split:
    """The Split that checked ``params`` (see :func:`split_settings`) describe on ``ds``."""
    return make_split(
        ds,
        method=params["method"],
        test_fraction=params["test_fraction"],
        stop_fraction=params["stop_fraction"],
        seed=params["seed"],
    )


def recorded_split(ds: RatingsDataset, described: Mapping[str, Any]) -> Split:
    """Rebuild the split a model recorded (``Split.describe()``), checking its digest (a record
    without one is refused: its test rows could not be told from training rows).

    For a model saved before splits had test rows (``valid_fraction``, ``n_valid``), the
    returned split's ``test`` rows are that model's validation rows (which also steered its
    early stopping) and ``train`` + ``stop`` its training rows. For a model refit on train +
    stop rows after tuning (``stop_rows_trained``), the stop rows are returned in ``train`` and
    ``stop`` is empty: none of its rows but the test rows are held out. Views asking which rows
    a model trained on or never saw read :func:`model_rows`, which answers for every kind.
    """
    method = str(described.get("method"))
    seed = described.get("seed")
    seed = DEFAULT_SPLIT["seed"] if seed is None else seed
    # a temporal split recorded before accuracy review round 16 broke ties by row order
    ties = described.get("ties", "row_order") if method == "temporal" else "seeded"
    legacy = is_legacy(dict(described))
    if legacy:
        split = make_split(
            ds,
            method=method,
            test_fraction=described.get("valid_fraction") or DEFAULT_TEST_FRACTION,
            seed=seed,
            ties=ties,
        )
    else:
        split = make_split(
            ds,
            method=method,
            test_fraction=described.get("test_fraction") or DEFAULT_TEST_FRACTION,
            stop_fraction=described.get("stop_fraction") or DEFAULT_STOP_FRACTION,
            seed=seed,
            ties=ties,
        )
    digest = described.get("digest")
    if not digest:  # bad-input round 19: skipped the check, so an edited seed gave other rows
        raise DataError(
            f"This model's record of its {method} split of {ds.name!r} has no digest (every "
            "model records one), so which rows it was tested on cannot be verified; restore "
            "its meta.json from a copy, or retrain the model."
        )
    if (legacy_digest(split) if legacy else split.digest) != digest:
        raise DataError(
            f"The {method} split of {ds.name!r} no longer matches the one this model recorded "
            "(its digest differs), so its metrics cannot be recomputed on the same rows."
        )
    if described.get("stop_rows_trained"):
        split = fold_stop_rows(split)
    return split


def fold_stop_rows(split: Split) -> Split:
    """``split`` with its stop rows moved into ``train`` (no stop rows left): the split of a model
    refit on train + stop rows after tuning. The test rows are unchanged."""
    return dataclasses.replace(
        split,
        train=np.sort(np.concatenate([split.train, split.stop])).astype(np.int64),
        stop=np.empty(0, dtype=np.int64),
        test=np.asarray(split.test, dtype=np.int64),
    )


@dataclass(frozen=True, eq=False)
class ModelRows:
    """A saved model's rows of its dataset by what they did for it (positions into
    ``ds.ratings``, int64): ``trained``, the rows its weights were fit on; ``steered``, rows it
    never trained on that chose its stopping epoch, labelled ``steered_label``; ``test``, rows
    nothing saw. Read it through :func:`model_rows`, never a :class:`Split`'s parts: for a model
    saved before test rows, ``split.stop`` are training rows (bad-input round 21)."""

    trained: np.ndarray
    steered: np.ndarray
    steered_label: str
    test: np.ndarray
    #: a temporal split's test rows that a timestamp tie chose (``Split.n_tied_test``); None
    #: for other splits
    n_tied_test: int | None = None

    def held_out(self) -> dict[str, np.ndarray]:
        """The held-out parts by label: ``{"test": ..., "early-stopping": ...}``, or
        ``{"validation": ...}`` for a model saved before test rows."""
        if self.steered_label == "validation":
            return {"validation": self.steered}
        return {"test": self.test, self.steered_label: self.steered}


def _check_model(model: Any) -> None:
    """The analyses' check that ``model`` is a loaded model, not its name (bad-input round 44,
    F3); imported here only when called, so the CLI does not load the analyses."""
    from movierate.explore.validation import check_model

    check_model(model)


def model_rows(ds: RatingsDataset, described: Mapping[str, Any]) -> ModelRows:
    """Which rows of ``ds`` a model with the recorded split ``described`` trained on and which
    it never did (:func:`recorded_split`, checked the same way).

    Three-part split: train / early-stopping (``stop``) / test rows; refit on its stop rows
    after tuning: no early-stopping rows left. Two-part (legacy) split: train + stop are its
    training rows and its ``validation`` rows, which steered early stopping and gave its
    reported RMSE, the only held-out ones (no test rows).
    """
    split = recorded_split(ds, described)
    if is_legacy(dict(described)):
        return ModelRows(
            trained=np.sort(np.concatenate([split.train, split.stop])).astype(np.int64),
            steered=np.asarray(split.test, dtype=np.int64),
            steered_label="validation",
            test=np.empty(0, dtype=np.int64),
        )
    return ModelRows(
        trained=np.asarray(split.train, dtype=np.int64),
        steered=np.asarray(split.stop, dtype=np.int64),
        steered_label="early-stopping",
        test=np.asarray(split.test, dtype=np.int64),
        n_tied_test=None if split.ties is None else int(split.n_tied_test),
    )


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
    _check_model(model)
    if model.meta.get("imported"):  # movierate.imported_models: movie vectors only
        raise DataError(
            f"{model.name!r} is an embedding imported from elsewhere: it has movie vectors only, "
            "no users or ratings, so this view cannot use it. Pick a model trained here."
        )
    recorded = model.meta["dataset"]
    name, fp = recorded.get("name"), recorded.get("fingerprint")
    source = recorded.get("source")
    ds = _home_copy(source, name, fp, load or load_dataset_by_name)
    if ds is not None:
        return ds
    ds, unread = _from_recorded_folder(source, name, fp)
    if ds is not None:
        ds.warnings += data_notes(model, ds)
        return ds
    try:
        ds = (load or load_dataset_by_name)(name)
    except DataError as err:
        if damaged := _damaged_import(model.name, name, source, unread or str(err)):
            raise DataError(damaged) from None
        if isinstance(source, str) and source and _imported_here(source):
            raise DataError(  # bad-input round 15: told to pass a folder, for a deleted import
                f"Model {model.name!r} was trained on the imported dataset {name!r}, which is "
                "no longer here (deleted, or the data folder moved). Import the same ratings "
                f"file again under that name (Home: upload it and name it {name!r}; CLI: python "
                f"-m movierate datasets FILE --name {name}); other data will not match the model."
            ) from None
        if "source" in recorded and source is None:  # made in Python, stored nowhere
            raise DataError(
                f"Model {model.name!r} was trained on the dataset {name!r}, made in Python "
                "and stored nowhere (ds.edited(...), from_csv without save_as, or built by "
                "hand): pass that dataset, e.g. evaluate_model(model, ds)."
            ) from None
        if isinstance(source, str) and source:
            # bad-input round 64, F4: the folder's own parse error, not "no longer there"
            state = (
                f"is still there but cannot be read now: {unread} Correct those files or put "
                "back the ones it was trained on"
                if unread
                else "is no longer there with the same contents. Put that data back in that folder"
            )
            raise DataError(
                f"Model {model.name!r} was trained on data from {source} (dataset {name!r}), "
                f"which {state} (CLI: evaluate --data <folder>; Python: load_dataset(<folder>) "
                "and evaluate_model(model, ds))."
            ) from None
        raise err from None
    if fp and ds.fingerprint != fp:
        raise DataError(
            f"Dataset {ds.name!r} changed since model {model.name!r} was trained: "
            f"{_changed_text(recorded, ds)} (fingerprint {ds.fingerprint} now, {fp} then). Put "
            "back the ratings it was trained on, or retrain the model."
        )
    return ds


def _changed_text(recorded: Mapping[str, Any], ds: RatingsDataset) -> str:
    """What differs between the data a model recorded and ``ds`` (bad-input round 64, F4:
    "changed" said only two fingerprints): ratings and movies then and now."""
    then_ratings, then_movies = recorded.get("n_ratings"), recorded.get("n_movies")
    if isinstance(then_ratings, int) and then_ratings != len(ds):
        said = f"{len(ds):,} ratings now, {then_ratings:,} then"
    elif isinstance(then_ratings, int):
        said = f"the same number of ratings ({len(ds):,}) with other values or rows"
    else:
        said = f"{len(ds):,} ratings now, other ones than then"
    if isinstance(then_movies, int) and then_movies != ds.n_movies:
        said += f"; {ds.n_movies:,} movies now, {then_movies:,} then"
    return said


def _model_data(model: store.TrainedModel, ds: RatingsDataset | None) -> RatingsDataset:
    """``ds`` checked to be ``model``'s data (:func:`check_model_data`), else
    :func:`dataset_of`."""
    if ds is None:
        return dataset_of(model)
    check_model_data(model, ds)
    return ds


def _in_this_home(folder: Path) -> bool:
    """Whether ``folder`` lies in a folder this home reads datasets from (``data_dir()``,
    MOVIERATE_DATA_DIR)."""
    from movierate.data.acquire import search_dirs

    try:
        where = folder.resolve()
        return any(where.is_relative_to(base.resolve()) for base in search_dirs())
    except (OSError, RuntimeError):
        return False


def _local_folder(name: Any) -> Path | None:
    """The folder dataset ``name`` has in this home (:func:`~movierate.data.acquire.find_local`),
    or None: no such dataset here, or ``name`` is no dataset name."""
    from movierate.data.acquire import check_dataset_name, find_local

    try:
        return find_local(check_dataset_name(name))
    except (DataError, OSError):
        return None


def _home_copy(
    source: Any, name: Any, fp: Any, load: Callable[[str], RatingsDataset]
) -> RatingsDataset | None:
    """This home's own copy of the dataset ``name`` when the model recorded a folder outside
    it (a home copied or moved: bad-input round 67, F3, the old home's folder was read without
    a word) and that copy holds the recorded data (fingerprint ``fp``); else None."""
    if not isinstance(source, str) or not source or not fp or _in_this_home(Path(source)):
        return None
    if _local_folder(name) is None:
        return None
    try:
        ds = load(name)
    except DataError:
        return None
    return ds if ds.fingerprint == fp else None


def data_notes(model: store.TrainedModel, ds: RatingsDataset) -> list[str]:
    """What to say of ``model``'s data ``ds`` (:func:`dataset_of`) when it was read from the
    folder the model recorded: that the folder lies outside this home (bad-input round 67,
    F3: a copied home read the old one's without a word), else that the recorded dataset
    name names no dataset here (F2); [] otherwise."""
    recorded = model.meta["dataset"]
    name, source = recorded.get("name"), recorded.get("source")
    if not isinstance(source, str) or not source or not ds.source:
        return []
    if Path(ds.source) != Path(source):
        return []
    model_name = model.name
    notes = []
    if not _in_this_home(Path(source)):
        notes.append(
            f"The ratings of model {model_name!r} were read from {source}, the folder it "
            f"recorded at training, outside this home's datasets ({config.data_dir()}): the "
            f"model needs that folder. Import the same ratings here under the name {name!r} "
            "to keep it working without it."
        )
    elif _local_folder(name) is None:
        notes.append(
            f"Model {model_name!r} records the dataset name {name!r}, which names no dataset "
            f"here; its ratings were read from the folder it recorded ({source}), which holds "
            "the same ratings it was trained on."
        )
    return notes


def _damaged_import(model_name: str, name: Any, source: Any, error: str) -> str | None:
    """Why the imported dataset ``name`` a model was trained on cannot be read while its
    folder is still here (``error``: what reading it said, when it holds its files), with the
    import that replaces it (bad-input round 67, F1: it was "no longer here", and the advised
    import without --overwrite was refused); None when no folder of it is here."""
    from movierate.data.acquire import CUSTOM_FOLDER, search_dirs
    from movierate.data.formats import LAYOUT_FILES

    if not isinstance(name, str):
        return None
    folders = [base / CUSTOM_FOLDER / name for base in search_dirs()]
    if isinstance(source, str) and source and _imported_here(source):
        folders.insert(0, Path(source))
    folder = next((f for f in folders if f.is_dir()), None)
    if folder is None:
        return None
    said = [
        f"{file} is not a regular file (a folder, pipe or device)"
        if (folder / file).exists()
        else f"it lacks {file}"
        for file in LAYOUT_FILES["custom"]
        if not (folder / file).is_file()
    ]
    why = "; ".join(said) or error.rstrip(".")
    return (
        f"Model {model_name!r} was trained on the imported dataset {name!r}, whose folder "
        f"{folder} is still here but damaged: {why}. Put the damaged file back "
        "from a backup, or import the same ratings file again under that name, replacing "
        f"this copy (Home: upload it, name it {name!r} and tick 'Replace an imported dataset "
        f"of this name'; CLI: python -m movierate datasets FILE --name {name} --overwrite); "
        "other data will not match the model."
    )


def _imported_here(source: str) -> bool:
    """Whether ``source`` is a folder the CSV import stored (``data_dir()/custom/<name>``)."""
    from movierate import config
    from movierate.data.acquire import CUSTOM_FOLDER

    return Path(source).parent == config.data_dir() / CUSTOM_FOLDER


def _from_recorded_folder(
    source: Any, name: Any, fp: Any
) -> tuple[RatingsDataset | None, str | None]:
    """The dataset in the recorded source folder if it still exists and has fingerprint
    ``fp``, and else why that folder could not be read (None: it is gone, or it was read)."""
    from movierate.data.load import load_folder

    if not isinstance(source, str) or not source or not fp or not isinstance(name, str):
        return None, None
    try:
        folder = Path(source)
        if not folder.is_absolute() or not folder.is_dir() or detect_layout(folder) is None:
            return None, None
        ds = load_folder(folder, name)
    except DataError as exc:  # a damaged folder: not the model's data, but why is worth saying
        return None, str(exc)
    except (OSError, ValueError):
        return None, None
    return (ds if ds.fingerprint == fp else None), None


def test_metrics(
    arrays: Mapping[str, np.ndarray],
    spec: ModelSpec,
    ds: RatingsDataset,
    split: Split,
    scale: RatingScale | None = None,
) -> dict[str, float]:
    """``test_rmse`` and ``test_mae`` of trained ``arrays`` on ``split.test``, in numpy;
    predictions bounded by the model's output transform on ``scale``, the one training used
    (default: :func:`~movierate.data.splits.training_scale`, never one test rows set): clipped to it for ``clip`` (the default), up to
    ``scoring.SIGMOID_MARGIN`` beyond its ends for ``sigmoid``, unbounded for ``none``; and
    ``test_unseen_rows``, how many of those rows have a user or movie without a rating in
    ``split.train`` (the rows the model was fit on: pass a refit's folded split); and the
    reference predictors' numbers on the same rows (:func:`movierate.baselines.baseline_metrics`),
    and ``stop_rmse_of_mean``, the training mean's RMSE on the early-stopping rows."""
    scale = scale or training_scale(ds, split)
    metrics = _rmse_mae("test", arrays, spec, ds, split.test, scale, interval=True)
    averages = averages_fit(ds, split.train, split.test, scale) if len(split.train) else None
    if averages is not None:
        metrics.update(_against_averages(arrays, spec, ds, split, scale, averages[0]))
    unseen = unseen_mask(ds, split.train, split.test)
    metrics["test_unseen_rows"] = int(unseen.sum())
    if 0 < unseen.sum() < len(unseen):  # the RMSE where the model knows both user and movie
        seen = np.asarray(split.test, dtype=np.int64)[~unseen]
        metrics["test_rmse_seen"] = _rmse_mae("seen", arrays, spec, ds, seen, scale)["seen_rmse"]
    metrics.update(baseline_metrics(ds, split.train, split.test, scale, averages))
    if len(split.stop) and len(split.train):  # what the stop rows' RMSE is read against
        metrics["stop_rmse_of_mean"] = rmse_of_mean(ds, split.train, split.stop)
    if len(split.train):  # bad-input round 41, F1: is either gap to the mean beyond the draw
        metrics.update(
            _against_mean(ds, split, lambda rows: _predicted(arrays, spec, ds, rows, scale))
        )
    return metrics


def unseen_rows(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> int:
    """How many of ``rows`` have a user or a movie with no rating among the ``fitted`` rows:
    cold-start rows, predicted from vectors training never moved."""
    return int(np.count_nonzero(unseen_mask(ds, fitted, rows)))


def unseen_mask(ds: RatingsDataset, fitted: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows``: whether its user or movie has no rating among the ``fitted`` rows."""
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    fitted, rows = np.asarray(fitted, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    seen_users = np.bincount(users[fitted], minlength=ds.n_users) > 0
    seen_movies = np.bincount(movies[fitted], minlength=ds.n_movies) > 0
    return ~seen_users[users[rows]] | ~seen_movies[movies[rows]]


def user_held_out_movies(
    model: store.TrainedModel, user: int, ds: RatingsDataset | None = None
) -> dict[str, np.ndarray]:
    """The movies (indices) of ``user``'s rows the model never trained on, by part of its
    recorded split (:meth:`ModelRows.held_out`): ``{"test": ..., "early-stopping": ...}`` (the
    second empty for a model refit on its stop rows), ``{"validation": ...}`` for a model saved
    before test rows."""
    _check_model(model)
    ds = _model_data(model, ds)
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy(np.int64)
    held_out = model_rows(ds, model.meta["split"]).held_out()
    return {part: np.sort(movies[rows[users[rows] == user]]) for part, rows in held_out.items()}


@dataclass(frozen=True)
class Unavailable:
    """Why a check of a model could not be computed, for the place its result would stand
    (accuracy round 16: a 1-10 scale over 1-7 ratings left no "liked" test rating, and the
    list check vanished from evaluate and Recommend without a word)."""

    what: str  # the check, e.g. "No top-10 list check on its test rows"
    reason: str

    @property
    def text(self) -> str:
        return f"{self.what}: {self.reason}."


def no_test_rows_reason(model: store.TrainedModel) -> str:
    """Why ``model`` has no test rows, for an :class:`Unavailable`."""
    if model.meta.get("imported"):
        return "it is an imported embedding, with no split of its own"
    return "it was saved before splits had test rows (retrain it for them)"


@dataclass(frozen=True)
class TopCalibration:
    """A model's highest predictions on its test rows against those ratings (the share of the
    test rows it predicted highest)."""

    share: float
    n_rows: int
    threshold: float  # the lowest of these predictions
    mean_predicted: float
    mean_rating: float
    gap_ci: float  # 95% half-width of the mean (predicted - rating), each user's rows together
    #: (NaN on fewer than ``paired.interval_users`` users: ``n_users`` says how many)
    n_users: int = 0

    @property
    def gap(self) -> float:
        return self.mean_predicted - self.mean_rating


#: The share of a model's test rows whose predictions :func:`top_calibration` reads.
TOP_SHARE = 0.1
#: Fewer test rows than this in the top share: no statement.
TOP_MIN_ROWS = 30


def top_calibration(
    model: store.TrainedModel, ds: RatingsDataset | None = None, share: float = TOP_SHARE
) -> TopCalibration | Unavailable:
    """How the model's highest predictions (clipped to its scale, as pages show them) on its
    test rows compare with those ratings: a list ranked by prediction picks them, so a model
    that over-predicts there shows recommendations above what users give (accuracy round 11:
    a weakly regularized dim-128 model's top picks ran 0.11-0.21 above the truth, the default
    models' within noise). :class:`Unavailable` without test rows, with too few, or when its
    predictions there are tied (:func:`scoring.tied_span`)."""
    _check_model(model)
    what = "No check of its highest predictions against test ratings"
    if not model.has_test_rows:
        return Unavailable(what, no_test_rows_reason(model))
    ds = _model_data(model, ds)
    rows = np.asarray(recorded_split(ds, model.meta["split"]).test, dtype=np.int64)
    n = int(round(share * len(rows)))
    if n < TOP_MIN_ROWS:
        return Unavailable(
            what,
            f"its highest {share:.0%} of predictions are {n:,} of its {len(rows):,} test rows, "
            f"and the check needs {TOP_MIN_ROWS}",
        )
    low, high = model.rating_scale[0], model.rating_scale[1]
    predicted = np.clip(
        _predicted(model.arrays, model.spec, ds, rows, model.rating_scale), low, high
    )
    if (tied := scoring.tied_span(predicted, model.rating_scale)) is not None:
        return Unavailable(  # accuracy round 24: "+0.00 ± 0.00, within noise" on every 5
            what,
            f"the model predicts almost the same rating for every test row ({tied[0]:.2f} to "
            f"{tied[1]:.2f}, under {scoring.TIED_SPREAD:.0%} of its {low:g}-{high:g} scale "
            "apart), so which of them are its highest comes from differences too small to "
            "mean anything",
        )
    actual = ds.ratings["rating"].to_numpy(dtype=np.float64)[rows]
    top = np.argsort(-predicted, kind="stable")[:n]
    gaps = predicted[top] - actual[top]
    users = ds.ratings["user_idx"].to_numpy()[rows][top]
    return TopCalibration(
        share=share,
        n_rows=n,
        threshold=float(predicted[top].min()),
        mean_predicted=float(predicted[top].mean()),
        mean_rating=float(actual[top].mean()),
        # by user, as every other interval of test rows (accuracy round 20: a few generous
        # users fill the top of a list, and rows taken one by one covered 86-90%)
        gap_ci=clustered_half_width(gaps - gaps.mean(), users),
        n_users=len(np.unique(users)),
    )


def _predicted(
    arrays: Mapping[str, np.ndarray],
    spec: ModelSpec,
    ds: RatingsDataset,
    rows: np.ndarray,
    scale: RatingScale | tuple[float, ...],
) -> np.ndarray:
    """The model's predictions (float64) for ``rows`` of ``ds.ratings``."""
    users = ds.ratings["user_idx"].to_numpy()[rows]
    movies = ds.ratings["movie_idx"].to_numpy()[rows]
    return scoring.predict(arrays, spec, users, movies, scale).astype(np.float64)


def _rmse_mae(
    part: str,
    arrays: Mapping[str, np.ndarray],
    spec: ModelSpec,
    ds: RatingsDataset,
    rows: np.ndarray,
    scale: RatingScale | tuple[float, ...],
    interval: bool = False,
) -> dict[str, float]:
    """``<part>_rmse`` and ``<part>_mae`` on ``rows``; with ``interval``, ``<part>_rmse_ci95``,
    the half-width of the RMSE's 95% interval over the draw of these rows, each user's counted
    together (:func:`clustered_half_width`, delta method, Student t on users - 1 df: the
    normal 1.96 covered 85% at 10 test users, accuracy round 20), and ``<part>_users``."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return {f"{part}_rmse": float("nan"), f"{part}_mae": float("nan")}
    predicted = _predicted(arrays, spec, ds, rows, scale)
    errors = predicted - ds.ratings["rating"].to_numpy(dtype=np.float64)[rows]
    rmse = float(np.sqrt(np.mean(errors**2)))
    out = {f"{part}_rmse": rmse, f"{part}_mae": float(np.mean(np.abs(errors)))}
    if interval and rmse > 0:
        users = ds.ratings["user_idx"].to_numpy()[rows]
        half = clustered_half_width(_rmse_influence(errors), users)
        if math.isfinite(half):  # none on too few users (store.rmse_interval_text says so)
            out[f"{part}_rmse_ci95"] = half
        out[f"{part}_users"] = len(np.unique(users))
    return out


def _rmse_influence(errors: np.ndarray) -> np.ndarray:
    """Each row's first-order share of the RMSE's deviation (delta method)."""
    mse = float(np.mean(errors**2))
    return (errors**2 - mse) / (2 * np.sqrt(mse))


def _against_averages(
    arrays: Mapping[str, np.ndarray],
    spec: ModelSpec,
    ds: RatingsDataset,
    split: Split,
    scale: RatingScale | tuple[float, ...],
    averages: np.ndarray,
) -> dict[str, float]:
    """``test_rmse_minus_averages``: the model's test RMSE minus the averages reference's
    (``averages``: its predictions on ``split.test``) on the same rows, and ``..._ci95``, its
    paired interval (users counted together): the Train page
    showed the averages' RMSE inside the model's own interval, which does not decide whether
    the model beats them (recheck C, s26). On fewer than ``SMALL_USERS`` test users (or
    ``SMALL_TEST`` rows) the sign-flip test decides, as model against model, and the interval
    is that test's (``..._p`` its p-value): the normal cutoff called equally good predictors
    different 14% of the time at 10 users (accuracy round 20). ``test_users`` counts them."""
    rows = np.asarray(split.test, dtype=np.int64)
    if len(rows) < 2 or not len(split.train):
        return {}
    truth = ds.ratings["rating"].to_numpy(dtype=np.float64)[rows]
    model_errors = _predicted(arrays, spec, ds, rows, scale) - truth
    average_errors = averages - truth
    if not (np.any(model_errors) and np.any(average_errors)):
        return {}
    users = ds.ratings["user_idx"].to_numpy()[rows]
    out = _paired_gap("test_rmse_minus_averages", model_errors, average_errors, users)
    counts = np.bincount(ds.ratings["user_idx"].to_numpy())
    # what a per-user split could hold out, so that advice offers it only where it helps
    # (bad-input round 62, F4)
    return {
        **out,
        "test_users": len(np.unique(users)),
        "per_user_test_users": int(np.sum(counts >= 2)),
    }


def _paired_gap(
    key: str, errors: np.ndarray, reference: np.ndarray, users: np.ndarray
) -> dict[str, float]:
    """``key``: the RMSE of ``errors`` minus that of ``reference`` (the same rows), ``key_ci95``
    its paired 95% half-width, a user's rows together, and on few users or rows the sign-flip
    test's (``key_p`` its p-value) as :func:`_against_averages` describes."""
    gap = float(np.sqrt(np.mean(errors**2)) - np.sqrt(np.mean(reference**2)))
    n_users = len(np.unique(users))
    out = {key: gap}
    if len(errors) < SMALL_TEST or n_users < SMALL_USERS:  # as model against model (paired.py)
        p, half = flip_difference(errors, reference, users)
        out[f"{key}_p"] = p
    else:
        half = clustered_half_width(_rmse_influence(errors) - _rmse_influence(reference), users)
    # on too few users no interval is bounded (recheck s33: an infinite one saved as null, and
    # the gap was then shown nowhere): the gap and its p are kept, and the text says why
    if n_users >= interval_users() and math.isfinite(half):
        out[f"{key}_ci95"] = half
    return out


def _against_mean(
    ds: RatingsDataset, split: Split, predict: Callable[[np.ndarray], np.ndarray]
) -> dict[str, float]:
    """``test_rmse_minus_mean`` and ``stop_rmse_minus_mean``: the model's RMSE minus that of
    predicting the training rows' mean rating, on its test and its early-stopping rows, each
    with its paired interval (:func:`_paired_gap`): whether the model is worse than the mean on
    one and better on the other beyond the draw (bad-input round 41, F1: gaps of 0.0024 and
    0.0012 were read as test rows unlike the stop rows, "a data problem"). ``predict``: the
    model's predictions on rows."""
    ratings = ds.ratings["rating"].to_numpy(dtype=np.float64)
    mean = float(ratings[np.asarray(split.train, dtype=np.int64)].mean())
    out: dict[str, float] = {}
    for part, rows in (("test", split.test), ("stop", split.stop)):
        rows = np.asarray(rows, dtype=np.int64)
        truth = ratings[rows]
        errors = predict(rows) - truth if len(rows) >= 2 else None
        if errors is None or not (np.any(errors) and np.any(mean - truth)):
            continue
        users = ds.ratings["user_idx"].to_numpy()[rows]
        out.update(_paired_gap(f"{part}_rmse_minus_mean", errors, mean - truth, users))
    return out


def split_parts(model: store.TrainedModel | store.ModelInfo) -> tuple[str, ...]:
    """The parts a model's recorded split has: ``("train", "stop", "test")``, ``("train",
    "test")`` for a model refit on its stop rows (tuning), or ``("train", "valid")`` for a model
    saved before splits had test rows."""
    if not model.has_test_rows:
        return ("train", "valid")
    if model.split_record.get("stop_rows_trained"):
        return ("train", "test")
    return ("train", "stop", "test")


def reference_metrics(
    model: store.TrainedModel, ds: RatingsDataset | None = None
) -> dict[str, Any]:
    """``model``'s metrics with what :func:`test_metrics` reads its test RMSE against (the
    reference predictors, the paired gap to the averages, the RMSE's interval:
    ``store.REFERENCE_METRICS``) computed now on its recorded split, as training computes them,
    where the version that saved it recorded none or an older kind (``store.references_recorded``),
    and the gaps to the training mean where it lacks them (``store.mean_gaps_missing``);
    its recorded metrics as they are otherwise (bad-input round 38, F1: an older model's "no
    better than the averages" check was skipped without a word). In memory only."""
    _check_model(model)
    metrics = model.metrics
    if not model.has_test_rows or store.references_complete(metrics):
        return metrics
    ds = _model_data(model, ds)
    split = recorded_split(ds, model.split_record)
    if store.references_recorded(metrics):  # only the gaps to the mean are missing
        scale = model.rating_scale or training_scale(ds, split)
        return {
            **metrics,
            **_against_mean(
                ds, split, lambda rows: _predicted(model.arrays, model.spec, ds, rows, scale)
            ),
        }
    now = test_metrics(model.arrays, model.spec, ds, split, model.rating_scale)
    kept = {k: v for k, v in metrics.items() if k not in store.REFERENCE_METRICS}
    return {**kept, **{k: v for k, v in now.items() if k in store.REFERENCE_METRICS}}


def evaluate_model(model: store.TrainedModel, ds: RatingsDataset | None = None) -> dict[str, Any]:
    """RMSE and MAE of ``model`` on each part of its recorded split, in numpy.

    Returns ``<part>_rmse``, ``<part>_mae`` and ``n_<part>`` for each part of
    :func:`split_parts` (and ``test_rmse_ci95``, see :func:`_rmse_mae`): ``train``, ``stop`` (early-stopping rows) and ``test`` (rows nothing
    else saw); for a model saved before test rows, ``train`` and ``valid`` (rows that also
    steered early stopping: label them so, see ``store.metric_label``); and
    (with test rows) ``test_unseen_rows``, the test rows whose user or movie has no training
    row (:func:`unseen_rows`), and for a temporal split ``test_tied_rows``, those a timestamp
    tie chose (``Split.n_tied_test``). No TensorFlow: predictions come from :mod:`movierate.scoring`.
    """
    _check_model(model)
    ds = _model_data(model, ds)
    known = model_rows(ds, model.meta["split"])
    every = {
        "train": known.trained,
        "stop": known.steered,
        "valid": known.steered,
        "test": known.test,
    }
    parts = {part: every[part] for part in split_parts(model)}
    out: dict[str, Any] = {}
    for part, rows in parts.items():
        out.update(
            _rmse_mae(part, model.arrays, model.spec, ds, rows, model.rating_scale, part == "test")
        )
        out[f"n_{part}"] = int(len(rows))
    if "test" in parts:
        out["test_unseen_rows"] = unseen_rows(ds, parts["train"], parts["test"])
    if known.n_tied_test is not None and model.has_test_rows:
        out["test_tied_rows"] = known.n_tied_test
    return out
