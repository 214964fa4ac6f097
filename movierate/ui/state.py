"""Dashboard state shared across pages and sessions: caches, model loading, datasets, jobs.

Caching: a saved model is identified by its name plus the modification time of its
``meta.json`` (:func:`model_key`), so retraining a model under the same name never serves
stale results. :func:`cached` memoises any ``movierate.explore`` call on that key plus its
parameters. Nothing here imports TensorFlow: models are read through ``movierate.store``
(numpy).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from movierate import config, store
from movierate.errors import DataError, MovierateError
from movierate.explore.compare import same_dataset
from movierate.explore.covariance import weighting_labels
from movierate.explore.users import USER_COLOURS
from movierate.jobs import JobRegistry
from movierate.run_ledger import RunLedger
from movierate.ui import charts, figures
from movierate.ui.text import md

T = TypeVar("T")

#: The dataset a first-time user should start with, in order of preference.
PREFERRED_DATASETS = ("ml-latest-small", "ml-100k", "ml-1m")


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    """The process-wide job registry (training and tuning runs), shared by every session; each
    job runs in a niced child process, so pages for other tabs stay quick."""
    from movierate.child_runner import in_child_process
    from movierate.tuning import job_runner  # Optuna is imported in the child only

    return JobRegistry(runner=in_child_process(job_runner, tensorflow=True), ledger=RunLedger())


def watch_job(job_id: str, own: bool = True) -> None:
    """Show run ``job_id`` on the Train page's monitor: one this session started (``own``), or
    another's that it was refused beside (bad-input round 54, F2)."""
    st.session_state["watch_job"] = job_id
    if own:
        st.session_state["own_jobs"] = [*st.session_state.get("own_jobs", []), job_id]


def own_jobs() -> list[str]:
    """The runs this session started (another session's are shown as such on Train)."""
    return st.session_state.get("own_jobs", [])


def dropped_runs_note() -> str | None:
    """What the Train page's run list says when older finished runs were dropped from it (it
    keeps the latest :attr:`movierate.jobs.JobRegistry.keep_finished`); None when none were."""
    registry = job_registry()
    dropped = registry.dropped
    if not dropped:
        return None
    runs = "run was" if dropped == 1 else "runs were"
    return (
        f"{dropped:,} older finished {runs} dropped from this list, which keeps the latest "
        f"{registry.keep_finished} finished runs. Models they saved are listed on Home."
    )


def _models_dir_signature() -> tuple[Any, ...]:
    """What the listing depends on, by cheap stats only: the models folder (a model added,
    renamed or deleted) and the identity of every file each model folder's check reads, so a
    meta.json rewritten or damaged in place (``cp backup/meta.json ...``) is seen at once (the
    folder's mtime alone kept old numbers and a damaged model listed: bad-input round 19)."""
    folder = config.models_dir()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
        top = folder.stat().st_mtime_ns
    except OSError:
        return str(folder), 0
    files = tuple(  # names as bytes: a folder name that is no UTF-8 cannot be hashed as text
        (os.fsencode(entry.name), name, _identity(os.path.join(entry.path, name)))
        for entry in entries
        if not entry.name.startswith(".")
        for name in store.REQUIRED_FILES
    )
    return str(folder), top, files


def _identity(path: str) -> tuple[int, ...]:
    """A file's size, mtime, inode and ctime (which an edit cannot set back); () if absent."""
    try:
        stat = os.stat(path)
    except OSError:
        return ()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns


@st.cache_data(show_spinner=False, max_entries=32)
def _list_models(signature: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    return store.list_models()


def list_models() -> tuple[list[Any], list[Any]]:
    """``store.list_models()``, cached until a model folder is added, renamed or deleted, or
    a file of one is replaced or edited in place."""
    return _list_models(_models_dir_signature())


def default_model_names(infos: list[Any], count: int) -> list[str]:
    """The models a multi-model picker starts with: the ``count`` newest models of ONE dataset,
    the newest model's (``infos`` as ``store.list_models`` orders them, newest first), so a
    first view never puts two datasets side by side unasked."""
    if not infos:
        return []
    dataset = infos[0].dataset
    return [info.name for info in infos if info.dataset == dataset][:count]


def model_key(name: str) -> str:
    """Cache key of a saved model: its folder, a hash of its ``meta.json`` (whose save time
    and numbers differ between any two models) and its embeddings file's size and mtime.
    Stat fields alone collided: two models restored with one timestamp and swapped (bad-input
    round 11), then swapped as copies whose recycled inodes matched too (recheck 3)."""
    folder = config.models_dir() / name
    try:
        meta = (folder / "meta.json").read_bytes()
        npz = (folder / "embeddings.npz").stat()
    except OSError:
        return f"{folder}@missing"
    digest = hashlib.blake2b(meta, digest_size=12).hexdigest()
    return f"{folder}@{digest}:{npz.st_size}:{npz.st_mtime_ns}"


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(name: str, key: str) -> Any:
    model = store.load_model(name)
    model.loaded_key = key  # what its cached analyses are filed under (:func:`_cache_key`)
    return model


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
    keys = tuple(_cache_key(m) for m in models)
    return _cached_call(_func_id(func), keys, repr(sorted(params.items())), func, models, params)


#: How many :func:`prefetch` calls the process remembers having started (a set of every one
#: only grew over a server's life: bad-input round 25, F2). One forgotten may start again: it
#: then finds its result cached, or computes what the view would compute anyway.
PREFETCH_MEMORY = 512
#: (function, cache keys, parameters) of the latest :func:`prefetch` calls started, oldest first.
_PREFETCHED: OrderedDict[tuple[str, tuple[str, ...], str], None] = OrderedDict()
_PREFETCH_LOCK = threading.Lock()


def prefetch(calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]) -> None:
    """Run :func:`cached` calls ``(func, models, params)`` on a background thread, one after
    the other, so that a view opened later finds them computed (a view that asks first
    computes its own: the cache computes one key once). Each call starts once per process;
    errors are left to the view that shows them."""
    todo = []
    with _PREFETCH_LOCK:
        for func, models, params in calls:
            key = (
                _func_id(func),
                tuple(_cache_key(m) for m in models),
                repr(sorted(params.items())),
            )
            if key in _PREFETCHED:
                _PREFETCHED.move_to_end(key)
                continue
            _PREFETCHED[key] = None
            todo.append((func, models, params))
        while len(_PREFETCHED) > PREFETCH_MEMORY:
            _PREFETCHED.popitem(last=False)
    if not todo:
        return

    def work() -> None:
        for func, models, params in todo:
            with contextlib.suppress(Exception):
                cached(func, *models, **params)

    # no script-run context: a rerun or stop of the page must not interrupt the computation
    threading.Thread(target=work, name="movierate-prefetch", daemon=True).start()


def _func_id(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    return f"{func.__module__}.{func.__qualname__}@{code.co_filename if code else ''}"


def _cache_key(model: Any) -> str:
    """:func:`model_key` of a model, or of the saved model a derived one (exact whitening,
    first k dims) comes from, plus the derived model's own name."""
    # the key of the files the object (or the model it derives from) was loaded from, not of
    # what holds the name now: a rename or retrain between a page's load and its analyses
    # filed an 8 x 8 covariance under the dim-6 model that took the name (bad-input round 13b;
    # a derived model too, recheck 2)
    source = getattr(model, "source_name", "")
    loaded = getattr(model, "loaded_key", None)
    if source:
        return f"{loaded or model_key(source)}|{model.name}"
    return loaded or model_key(model.name)


@st.cache_data(show_spinner=False, max_entries=16)
def _tsne_scatter(digest: str, colour: str, page: str, _frame: Any) -> go.Figure:
    return figures.tsne_scatter(_frame, colour)


def tsne_scatter(frame: Any, colour: str) -> go.Figure:
    """:func:`figures.tsne_scatter`, memoised on the map's content (:func:`figures.map_digest`),
    ``colour`` and the page's theme, whose colours it draws in (views round 22: the dark page's
    lightened genres) (plotly express takes ~0.5 s for 2,000 movies coloured by genre); every
    call returns a fresh copy, so rings drawn on it never leak into the cache."""
    return _tsne_scatter(figures.map_digest(frame), colour, charts.page(), frame)


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


def default_spec(dataset: str | None = None) -> Any:
    """The model the quick start trains (and, with no ``dataset``, the generic one the Train
    form starts from): the tuned defaults of ``dataset`` where the tuner has measured them (``movierate.defaults``), else ModelSpec's
    (biased MF with L2 and early stopping), which train well on MovieLens; a large dataset
    (``defaults.LARGE_DATA``, by its :func:`dataset_ratings`) gets the larger batch."""
    from movierate.defaults import default_spec_for

    return default_spec_for(dataset or "", n_ratings=dataset_ratings(dataset) if dataset else None)


def quick_start_spec(dataset: str) -> tuple[Any, str | None]:
    """The model the quick start trains on ``dataset``'s default split: :func:`default_spec`,
    unless its tuned entry saw some of that split's test ratings (an edited copy under a
    GroupLens name: the data is loaded to compare the training and early-stopping rows of its
    default split, never its test rows), then the untuned defaults and a sentence why
    (``defaults.default_spec_for_split``)."""
    from movierate.defaults import default_spec_for_split, seen_fingerprint, tuned_datasets
    from movierate.pipeline import DEFAULT_SPLIT, split_from_settings

    if dataset not in tuned_datasets():
        return default_spec(dataset), None
    ds = _dataset(dataset)
    split = split_from_settings(ds, DEFAULT_SPLIT)
    return default_spec_for_split(
        dataset, split, seen=seen_fingerprint(ds, split), n_ratings=len(ds)
    )


def dataset_ratings(dataset: str) -> int | None:
    """How many ratings ``dataset`` holds as the dataset overview knows it (a GroupLens set:
    its official size; an upload: its stored ratings; a parsed folder: its cache), else None."""
    for status in dataset_statuses():
        if status.name == dataset:
            return status.approx_ratings
    return None


def automatic_name(dataset: str, spec: Any) -> str:
    """A free, descriptive model name such as ``ml-latest-small-mf_bias-d32-l2``."""
    regs = "-".join(sorted(k for k, v in (spec.regularizers or {}).items() if v)) or "noreg"
    base = f"{dataset}-{spec.family}-d{spec.dim}-{regs}"
    # the registry remembers the name as generated: a job submitted under it is saved under
    # the next free name if another process saves this one first
    return job_registry().generate_name(base)


def home_folder() -> Path:
    """``MOVIERATE_HOME`` as it is now (shown in captions)."""
    return config.home_dir()


@st.cache_resource(show_spinner="Loading the ratings…", max_entries=4)
def _cached_dataset(name: str, source: str) -> Any:
    from movierate.data import load_dataset_by_name

    return load_dataset_by_name(name)


def _dataset(name: str) -> Any:
    """Dataset ``name`` as its files are now: kept in memory per name and :func:`source_key`
    (the files' identity), so data edited while the server runs is seen, and data restored
    after an edit is used again. The key was the model's recorded fingerprint, under which a
    load of other data was kept until a restart (bad-input round 19). A dataset not extracted
    here yet (a zip, a download) is loaded without keeping it."""
    from movierate.data import load_dataset_by_name
    from movierate.data.load import source_key

    source = source_key(name)
    return load_dataset_by_name(name) if source is None else _cached_dataset(name, source)


def check_split_data(dataset: str, method: str) -> None:
    """DataError before a run is queued when ``dataset`` cannot be split by ``method`` (a
    temporal split of timestamps that order nothing: accuracy review round 16; a split by date
    of data without timestamps: round 40)."""
    if method == "temporal":
        from movierate.data.splits import check_temporal

        check_temporal(_dataset(dataset))
    elif method == "time":
        from movierate.data.splits import check_time

        check_time(_dataset(dataset))


def dataset_of(model: Any) -> Any:
    """The dataset ``model`` was trained on (kept in memory while its files are unchanged);
    DataError if it is missing or has changed since training."""
    from movierate.pipeline import dataset_of as pipeline_dataset_of

    return pipeline_dataset_of(model, load=_dataset)


def same_data(a: Any, b: Any) -> bool:
    """True when two models were trained on the same dataset: same name and fingerprint (the
    ratings), and their own movies tables name no id as another film (bad-input round 64,
    F1: u.item edited between two trainings paired Star Wars' vector with "Toy Story")."""
    return same_dataset(a, b)


def user_index(ds: Any, user_id: Any) -> int:
    """Row of the user with original id ``user_id``; DataError naming the valid range if none."""
    try:
        return int(ds.user_index(user_id))
    except (KeyError, ValueError, TypeError):
        ids = np.asarray(ds.user_ids)
        raise DataError(
            f"User {escaped(user_id)} is not in {ds.name} (user ids run from {ids.min()} to "
            f"{ids.max()}); pick another id or press 'Sample a user'."
        ) from None


def movie_row(model: Any, movie_id: Any) -> int | None:
    """Row (movie_idx) of the movie with original id ``movie_id`` in ``model``, if it has it.

    Ids are labels: numbers (MovieLens) or text (a user's CSV); ``5``, ``"5"`` and ``5.0``
    name the same movie, a text id is compared as text and never converted to a number.
    Only for an id from ``model``'s own dataset: to find a film in ANOTHER model (maybe another
    dataset, where the id names another film) use ``explore.matching_row``.
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


# ---- links: typed URL parameters and the notices of what was ignored ----------------------

_NOTICES = "_movierate_notices"
_SEEN = "_movierate_url_seen"
_SHOWN = "_movierate_notices_shown"
#: ``{key: (kept, whole)}``: link values of which :func:`read_url` kept the first entries
_CUT = "_movierate_url_cut"


def add_notice(text: str) -> None:
    """Queue a one-line notice for the top of the page (shown by ``shell.show_notices`` on
    this run if the page has not started drawing yet, else on the next run, e.g. after
    ``st.rerun()``)."""
    pending = st.session_state.setdefault(_NOTICES, [])
    if text not in pending:
        pending.append(text)


def pop_notices() -> list[str]:
    """The queued notices, forgotten once returned (and kept as this run's, which
    :func:`ignore_from_link` shows again when it runs the page again)."""
    notices = list(st.session_state.pop(_NOTICES, []) or [])
    st.session_state[_SHOWN] = notices
    return notices


@dataclass(frozen=True)
class UrlParam:
    """How one URL parameter of a page is read: its kind and what values it accepts.

    kinds: ``int`` / ``float`` (``lo``..``hi``), ``choice`` (one of ``options``), ``text``
    (at most ``hi`` characters), ``model`` / ``models`` (saved model names, checked with
    ``store.validate_name`` and against the store), ``user`` (an id of a user in the dataset
    of the first model in the link, or of the first saved model).
    """

    kind: str
    lo: float | None = None
    hi: float | None = None
    options: tuple[str, ...] = ()
    what: str = ""
    #: (value, label) of a choice widget bound with a ``format_func``: the URL keeps its label,
    #: and a link giving the value is read as that label
    labels: tuple[tuple[str, str], ...] = ()
    #: (old label, label) of a renamed choice: links saved before the renaming still open
    aliases: tuple[tuple[str, str], ...] = ()
    #: ``text`` holding a list (``","``) or free text (``""``, cut anywhere): a value over
    #: ``hi`` keeps its first entries that fit (:func:`cut_to_fit`) instead of being dropped
    #: whole (bad-input round 29: a 630-rating link lost every rating); None: dropped whole
    cut: str | None = None
    #: what one entry of a ``cut`` list is, for the notice (``"ratings"``, ``"titles"``)
    entries: str = "entries"
    #: a ``choice`` that also takes other text of at most this many characters, which the page
    #: checks against what the model has (the map's colouring by a label column: ?colour=cluster)
    other: int = 0

    def label_of(self, value: str) -> str:
        """The label the bound widget reads for ``value`` (a value of :attr:`labels`, or an
        old label of :attr:`aliases`)."""
        return dict(self.labels).get(value) or dict(self.aliases).get(value, value)

    def rule(self, key: str) -> str:
        """What a valid value is, for the notice: ``k must be 5 to 50``."""
        if self.kind in ("int", "float"):
            lo = int(self.lo) if self.kind == "int" else self.lo
            hi = int(self.hi) if self.kind == "int" else self.hi
            whole = "a whole number" if self.kind == "int" else "a number"  # ?n=7.5 (recheck 2)
            return f"{key} must be {whole} from {lo} to {hi}"
        if self.kind == "choice":
            return f"{key} must be one of {', '.join(dict(self.labels) or self.options)}"
        if self.kind == "text":
            return f"{key} must be at most {int(self.hi or 0)} characters"
        return f"{key} must name a {self.what or self.kind}"

    def fitting(self, value: str) -> str:
        """The longest start of ``value`` within ``hi`` that ends at a :attr:`cut` (whole
        entries; any character for free text); ``value`` itself when it fits."""
        return cut_to_fit(value, int(self.hi or 200), self.cut or "")

    def check(self, key: str, values: list[str], context: dict[str, list[str]]) -> str | None:
        """None if ``values`` (the raw URL values of ``key``) are acceptable, else why not."""
        if not values:
            return None
        if len(values) > 1 and self.kind != "models":
            return f"{key} may be given once"
        value = values[0]
        if self.kind in ("int", "float"):
            try:
                number = float(value)
            except ValueError:
                return self.rule(key)
            if (
                not np.isfinite(number)
                or (self.kind == "int" and not number.is_integer())
                or not (self.lo <= number <= self.hi)
            ):
                return self.rule(key)
            return None
        if self.kind == "choice":
            if self.label_of(value) in self.options or 0 < len(value) <= self.other:
                return None
            return self.rule(key)
        if self.kind == "text":
            fits = len(value) <= (self.hi or 200) or (self.cut is not None and self.fitting(value))
            return None if fits else self.rule(key)
        if self.kind in ("model", "models"):  # bad-input round 67, F4: each one named
            problems = dict.fromkeys(filter(None, map(_model_problem, values)))
            return "; ".join(problems) or None
        if self.kind == "user":
            return _user_problem(value, context)
        return None


def cut_to_fit(value: str, limit: int, sep: str = "") -> str:
    """The first entries of ``value`` (separated by ``sep``; characters when ``sep`` is "")
    that fit in ``limit`` characters, in their order; "" when not even the first fits."""
    if len(value) <= limit:
        return value
    if not sep:
        return value[:limit]
    end = value.rfind(sep, 0, limit + 1)
    return value[:end].rstrip(sep) if end > 0 else ""


def _count(value: str, sep: str) -> int:
    """How many entries (``sep``: non-empty ones) or characters (``sep`` "") ``value`` holds."""
    return sum(1 for part in value.split(sep) if part.strip()) if sep else len(value)


def link_entries(key: str) -> int:
    """How many non-empty entries the link's ``?key=`` list holds (0 when it has none)."""
    return _count(st.query_params.get(key) or "", ",")


def cut_from_link(key: str) -> str | None:
    """The whole value of the link's ``?key=`` when :func:`read_url` kept only its first
    entries (and the link still holds what it kept), else None: a page may offer the rest."""
    kept, whole = st.session_state.get(_CUT, {}).get(key, (None, None))
    return whole if kept is not None and st.query_params.get(key) == kept else None


def _keep_what_fits(key: str, spec: UrlParam, value: str, seen: set, page: str) -> str:
    """``value`` cut to :meth:`UrlParam.fitting` (the caller puts it back in the link), and a
    notice saying how much was kept and how much was not (once per session and value)."""
    kept = spec.fitting(value)
    st.session_state.setdefault(_CUT, {})[key] = (kept, value)
    marker = (page, key, (value,))
    if marker not in seen:
        seen.add(marker)
        sep, what = spec.cut or "", spec.entries if spec.cut else "characters"
        total, used = _count(value, sep), _count(kept, sep)
        add_notice(
            f"Kept the first {used:,} of the {total:,} {what} of ?{md(_shown(key, [value]))} "
            f"from the link: it holds at most {int(spec.hi or 0):,} characters of {key}, so the "
            f"other {total - used:,} are not used."
        )
    return kept


def _model_problem(name: str) -> str | None:
    try:
        store.validate_name(name, new=False)
    except MovierateError as exc:
        return f"{exc}".rstrip(".")
    infos, broken = list_models()
    if name in {info.name for info in infos}:
        return None
    for folder in broken:
        if folder.name == name:
            return f"the saved model {name!r} cannot be used ({folder.reason.rstrip('.')})"
    return _no_such_model(name)


def _no_such_model(name: str) -> str:
    return f"there is no saved model named {name!r} here"


#: Session-state prefix of each model picker's last pick (``widgets.pick_models``), kept
#: across pages: what this tab showed.
PICKED = "picked:"


def _shown_in_this_tab(key: str, name: str) -> bool:
    """Whether ``name`` is the last pick of this session's model picker ``key``."""
    last = st.session_state.get(PICKED + key)
    return name == last or (isinstance(last, list) and name in last)


def _said_by_the_picker(key: str, name: str) -> bool:
    """A model this tab showed, renamed or deleted since (in another tab or by the command
    line): not a bad link. Its picker says so and what it shows instead (bad-input round 25,
    F3: "Ignored ?model=X from the link" hid that the page had switched models)."""
    return _shown_in_this_tab(key, name) and _model_problem(name) == _no_such_model(name)


def _user_problem(value: str, context: dict[str, list[str]]) -> str | None:
    if not value.strip() or len(value) > 200:
        return "user must be a user id"
    infos, _ = list_models()
    names = [n for n in context.get("models", []) + context.get("model", []) if n]
    known = {info.name for info in infos}
    names = [n for n in names if n in known] or [info.name for info in infos[:1]]
    if not names:
        return None  # no model: the page says what to do
    tag = (context.get("user_on") or [None])[0]
    try:
        model = load_model(names[0])
        # a person of other data under the same model name (bad-input round 20, F2)
        if problem := data_tag_problem("user", tag, model, "a person"):
            return problem
        ds = dataset_of(model)
    except Exception:  # the page reports a missing or broken dataset itself
        return None
    try:
        user_index(ds, value)
    except DataError as exc:
        if re.fullmatch(r"-?\d+\.0*", value.strip()):  # the whole-number box's "155.0"
            return _user_problem(value.strip().split(".")[0], context)
        return str(exc).split(";")[0]
    return None


#: The URL parameters each page reads (its widgets bound with ``bind="query-params"``), by
#: page key of ``shell.PAGES``. A test checks every bound widget in ``pages/`` is listed.
_MODEL = UrlParam("model", what="saved model")
_MODELS = UrlParam("models", what="saved model")
#: ``?model=`` on a many-model page: a link from a one-model page, the picker's first choice
#: (no picker of that key: a name gone is the link's, :func:`_said_by_the_picker`).
_FIRST_MODEL = UrlParam("model", what="saved model")
#: The longest free text (a title query) a link holds; the boxes bound to it take no more.
TEXT_MAX = 200
_TEXT = UrlParam("text", hi=TEXT_MAX)
#: A search box's text: a longer one from a link keeps its first characters, said.
_QUERY = UrlParam("text", hi=TEXT_MAX, cut="")
#: The longest movie-set box (``;``-separated titles) a link holds: the box takes no more
#: (a 260-character list of 10 titles worked in the page but never reached the link before:
#: fuzz round 8).
SET_MAX = 2000
_SET = UrlParam("text", hi=SET_MAX, cut=";", entries="titles or genres")
#: The longest list of your ratings a link holds (``?rated=``): about 7,000 ml-latest-small
#: ratings, fewer long text ids. The server answers links of up to about 128,000 characters
#: and Chromium takes 2 MB (bad-input round 29, url_limit.py); 4,000 dropped lists of 630.
#: A longer link keeps its first ratings (said); the Rate form refuses an addition past it
#: (``ui.your_ratings``) and loads a saved file's first ratings that fit.
RATED_MAX = 60_000
_RATED = UrlParam("text", hi=RATED_MAX, cut=",", entries="ratings")
_MIN_RATINGS = UrlParam("int", 0, 200)


def _labelled(labels: dict[str, str]) -> UrlParam:
    """A choice widget bound with ``format_func=labels.get``: the URL keeps its label; a link
    may give the value or the label."""
    return UrlParam("choice", options=tuple(labels.values()), labels=tuple(labels.items()))


#: The labels (URL values) of the pages' choice widgets with a ``format_func``: the map's
#: projection (``explore.METHOD_LABELS``, which a test checks is the same), its colouring and the
#: first-k control's basis.
METHOD_LABELS = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}
COLOUR_LABELS = {
    "one_genre": "One genre",
    "genre": "All genres",
    "year": "Release year",
    "popularity": "Popularity (log10 ratings)",
    "norm": "Embedding norm",
    "bias": "Movie bias",
    "mean_rating": "Mean rating",
}
BASIS_LABELS = {"auto": "Auto", "index": "As trained", "pca": "PCA"}


def colour_options(
    has_genres: bool,
    has_years: bool,
    has_means: bool = True,
    has_counts: bool = True,
    *,
    has_bias: bool = True,
    columns: Sequence[str] = (),
) -> list[str]:
    """The map colourings (:data:`COLOUR_LABELS`) the movies can fill, then one per label
    ``column`` an import kept (``"column:<name>"``, labelled by its name: views round 18), the
    first the default:
    no genre colourings without genres, no year without years (views round 11: a set
    without either opened on "One genre" and offered year and genre colourings), no mean
    rating without ratings, no popularity without rating counts (imported embeddings:
    bad-input round 20 saw a colour bar of "log10 ratings" for a model with none) and no
    movie bias for a model without biases (it drew the norm instead)."""
    lacking = (
        ({"one_genre", "genre"} if not has_genres else set())
        | ({"year"} if not has_years else set())
        | ({"mean_rating"} if not has_means else set())
        | ({"popularity"} if not has_counts else set())
        | ({"bias"} if not has_bias else set())
    )
    return [key for key in COLOUR_LABELS if key not in lacking] + [
        f"{figures.COLUMN}{name}" for name in columns
    ]


def colour_label(key: str) -> str:
    """The label of a map colouring (:func:`colour_options`), which the link keeps: a fixed
    colouring's :data:`COLOUR_LABELS` entry, a label column's own name (``?colour=cluster``)."""
    return COLOUR_LABELS.get(key) or key.removeprefix(figures.COLUMN)


#: The range of the Neighbours page's "How many" slider (the Projector's goes to 100: views
#: round 18, F5).
NEIGHBOURS_K = (1, 100)
#: The largest seed a map's Seed box takes (any seed works; the box needs a bound).
MAX_SEED = 2**31 - 1
#: The range of the map's "neighbours shown" box (the focused movie's nearest, ringed).
MAP_K = (3, 100)
_METHODS = _labelled(METHOD_LABELS)
_COLOURS = UrlParam(
    "choice",
    options=tuple(COLOUR_LABELS.values()),
    labels=tuple(COLOUR_LABELS.items()),
    aliases=(("All genres (each movie's rarest)", COLOUR_LABELS["genre"]),),  # cut at 1440 px
    other=100,  # a label column's name: the page checks the model has it
)
_BASES = _labelled(BASIS_LABELS)


def _first_k(prefix: str) -> dict[str, UrlParam]:
    """The sidebar "first k dimensions" control of ``movierate.ui.dimensions``."""
    return {
        f"{prefix}_k": UrlParam("int", 1, 1024),
        f"{prefix}_basis": _BASES,
    }


URL_PARAMS: dict[str, dict[str, UrlParam]] = {
    "home": {},
    "train": {},
    "compare": {
        "models": _MODELS,
        "model": _FIRST_MODEL,
        "min_ratings": _MIN_RATINGS,
        "matrix": UrlParam("choice", options=("covariance", "correlation")),
        "exact": UrlParam("choice", options=("true", "false", "True", "False")),
        "paired": UrlParam("choice", options=("true", "false", "True", "False")),
        "section": UrlParam(
            "choice", options=("Accuracy", "Embedding spaces", "Spectra", "Movie by movie")
        ),
        "pair_a": _MODEL,
        "pair_b": _MODEL,
        "pair_k": UrlParam("int", 5, 50),
    },
    "embeddings": {
        "model": _MODEL,
        "view": UrlParam(
            "choice",
            options=("Covariance", "Principal components", "Map", "Norms & popularity", "Export"),
        ),
        "map_method": _METHODS,
        "tsne_min": UrlParam("int", 0, 100_000),
        "perplexity": UrlParam("float", 2.0, 200.0),
        "iterations": UrlParam("int", 250, 5000),
        "umap_neighbors": UrlParam("int", 2, 200),
        "umap_min_dist": UrlParam("float", 0.0, 1.0),
        "tsne_metric": UrlParam("choice", options=("cosine", "euclidean")),
        "map_seed": UrlParam("int", 0, MAX_SEED),
        "pc_x": UrlParam("int", 1, 1024),
        "pc_y": UrlParam("int", 1, 1024),
        "colour": _COLOURS,
        "map_genre": UrlParam("text", hi=100),
        "map_regions": UrlParam("choice", options=("true", "false", "True", "False")),
        "q": _QUERY,
        "map_regex": UrlParam("choice", options=("true", "false", "True", "False")),
        "tsne_pick": _TEXT,
        "focus": UrlParam("text", hi=TEXT_MAX),
        "focus_on": UrlParam("text", hi=300),  # the data set of focus's id (data_tag)
        "map_k": UrlParam("int", MAP_K[0], MAP_K[1]),
        "map_sel": UrlParam("int", 1, 10_000_000),  # the selection's size (its movies are not)
        "matrix": UrlParam("choice", options=("covariance", "correlation")),
        "weighting": UrlParam(  # labels name the count: training ratings, else every rating
            "choice",
            options=tuple({**weighting_labels("ratings"), **weighting_labels()}.values()),
            labels=tuple(weighting_labels().items()),
        ),
        "cov_min_ratings": UrlParam("int", 0, 200),
        "pca_components": UrlParam("int", 1, 10),
        "pca_movies": UrlParam("int", 3, 25),
        "pca_min_ratings": UrlParam("int", 1, 300),
        **_first_k("emb"),
    },
    "dimensions": {"model": _MODEL, **_first_k("dims")},
    "explore": {
        "model": _MODEL,
        "model_b": _MODEL,
        "view": UrlParam("choice", options=("axes", "analogy", "probes", "users", "align")),
        "xa": _SET,
        "xb": _SET,
        "ya": _SET,
        "yb": _SET,
        "ymode": UrlParam("choice", options=("pca", "custom")),
        "axes_min": _MIN_RATINGS,
        "an_a": _QUERY,
        "an_b": _QUERY,
        "an_c": _QUERY,
        "an_pick_0": _TEXT,
        "an_pick_1": _TEXT,
        "an_pick_2": _TEXT,
        "an_k": UrlParam("int", 5, 30),
        "an_min": _MIN_RATINGS,
        "al_min": _MIN_RATINGS,
        "al_top": UrlParam("int", 5, 50),
        "al_pick": _TEXT,  # the film compared (views round 26, M1)
        "ucolour": UrlParam("choice", options=tuple(USER_COLOURS)),
        "models": _MODELS,
    },
    "neighbours": {
        "models": _MODELS,
        "model": _FIRST_MODEL,
        "q": _QUERY,
        "candidate": _TEXT,
        "metric": UrlParam("choice", options=("cosine", "euclidean")),
        "n": UrlParam("int", NEIGHBOURS_K[0], NEIGHBOURS_K[1]),
        "k": UrlParam("int", NEIGHBOURS_K[0], NEIGHBOURS_K[1]),  # n's name before 2026-12-06
        "min_ratings": _MIN_RATINGS,
        "wide": UrlParam("choice", options=("true", "false", "True", "False")),
        **_first_k("nb"),
    },
    "recommend": {
        "models": _MODELS,
        "model": _FIRST_MODEL,
        "user": UrlParam("user", what="user of the model's dataset"),
        "user_on": UrlParam("text", hi=300),  # the data set of user's id (data_tag)
        "k": UrlParam("int", 5, 50),
        "min_ratings": _MIN_RATINGS,
        "wide": UrlParam("choice", options=("true", "false", "True", "False")),
        "rated": _RATED,
        "rated_on": UrlParam("text", hi=300),
        "rated_held": _RATED,  # ratings of films rated_on's data lacks (recheck 8, F1)
        "rated_held_on": UrlParam("text", hi=300),
    },
    "rate": {
        "model": _MODEL,
        "rated": _RATED,
        "rated_on": UrlParam("text", hi=300),
        "rated_held": _RATED,  # ratings of films rated_on's data lacks (recheck 8, F1)
        "rated_held_on": UrlParam("text", hi=300),
        "k": UrlParam("int", 5, 50),
        "min_ratings": _MIN_RATINGS,
    },
}


#: Session-state key of the names a link notice said are no saved model.
_SAID_NO_MODEL = "_movierate_said_no_model"


def named_in_a_link_notice(name: str) -> bool:
    """Whether a notice this session already said the link's ``name`` is not a saved model
    (bad-input round 35: "Ignored ?model=a&model=b: model may be given once" counted, so a
    deleted ``a`` left Compare without a word)."""
    return name in st.session_state.get(_SAID_NO_MODEL, ())


def _say_link_notice(key: str, values: list[str], problem: str) -> None:
    """Queue "Ignored ?key=values from the link: problem.", remembering a name it says is no
    saved model (:func:`named_in_a_link_notice`)."""
    said = st.session_state.setdefault(_SAID_NO_MODEL, set())
    said.update(name for name in values if problem == _no_such_model(name))
    add_notice(f"Ignored ?{md(_shown(key, values))} from the link: {md(problem)}.")


def _keep_saved(key: str, values: list[str], seen: set, page: str) -> list[str]:
    """The names of ``values`` that are saved models, when some are and some are not (the
    caller puts those back in the link), and a notice for each other name (once per session)."""
    problems = {name: _model_problem(name) for name in values}
    kept = [name for name in values if problems[name] is None]
    if not kept or len(kept) == len(values):
        return values
    for name in values:
        if problems[name] is None or _said_by_the_picker(key, name):
            continue
        if (page, key, name) not in seen:
            seen.add((page, key, name))
            _say_link_notice(key, [name], problems[name])
    return kept


#: Control characters (C0, DEL, C1): the browser shows a NUL as "\ufffd", others not at all.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def escaped(value: Any) -> str:
    r"""``str(value)`` with control characters written as ``repr`` writes them, as the error
    messages quoting a link's value do (bad-input round 65, F4: a NUL read "\ufffd" in a
    notice's heading and '\x00' in its body).

    >>> print(escaped("a\x00b\n"), escaped(155))
    a\x00b\n 155
    """
    return _CONTROLS.sub(lambda m: repr(m.group(0))[1:-1], str(value))


def _shown(key: str, values: list[str]) -> str:
    text = "&".join(f"{key}={escaped(v)}" for v in values) if values else key
    return text if len(text) <= 80 else text[:77] + "…"


def read_url(page: str) -> dict[str, Any]:
    """Check the link's parameters against :data:`URL_PARAMS` of ``page``: return the
    acceptable raw values by key, drop the rest from the URL and queue one notice for each
    (``Ignored ?k=0 from the link: k must be a whole number from 5 to 50.``), once per session and
    value. The page's widgets (bound to the URL) then start from their safe defaults. Every
    change to the link is one, which replaces the history entry the link opened (bad-input
    round 37, F1: a removal per key was an entry per key, each a Back to the bad link)."""
    specs = URL_PARAMS.get(page, {})
    params = st.query_params
    raw = {key: [str(v) for v in params.get_all(key)] for key in params}
    seen = st.session_state.setdefault(_SEEN, set())
    accepted: dict[str, Any] = {}
    changes: dict[str, str | list[str] | None] = {}
    for key, values in raw.items():  # ?models=a,b,c: ?models=a&models=b&models=c, in the link
        spec = specs.get(key)
        if spec is not None and spec.kind == "models" and split_names(values) != values:
            raw[key] = changes[key] = split_names(values)
    for key, values in raw.items():
        spec = specs.get(key)
        if spec is not None and spec.kind == "models" and len(values) > 1:
            values = _keep_saved(key, values, seen, page)  # one gone: keep the rest
            if values != raw[key]:
                changes[key] = values
        if spec is None:
            problem = "this page has no such setting" + (
                f" (it reads {', '.join(sorted(specs))})" if specs else ""
            )
        else:
            problem = spec.check(key, values, raw)
        if problem is None and spec.cut is not None and len(values[0]) > (spec.hi or 200):
            values = [_keep_what_fits(key, spec, values[0], seen, page)]
            changes[key] = values[0]
        if problem is None:
            accepted[key] = values if spec.kind == "models" else spec.label_of(values[0])
            if spec.labels and accepted[key] != values[0]:  # a labelled widget's value given
                changes[key] = accepted[key]  # as its key (?colour=year): its label read
            continue
        if _typed_here(key, values):  # the recheck: a user id typed in its box (the widget
            continue  # wrote it to the URL) read as a bad link; the box's page says why
        changes[key] = None
        picker_says = spec is _MODEL or spec is _MODELS  # a picker of this key says it
        if picker_says and all(_said_by_the_picker(key, name) for name in values):
            continue  # not the link's fault: the picker says what happened
        marker = (page, key, tuple(values))
        if marker not in seen:
            seen.add(marker)
            _say_link_notice(key, values, problem)
    set_link(changes)
    return accepted


def split_names(values: list[str]) -> list[str]:
    """The model names of a link's ``?models=`` values, each value a name or a comma list of
    them (a name cannot contain ","; accuracy round 55, F1: ``?models=a,b,c`` was refused as one
    invalid name and the page opened on three other models); ``values`` when no entry is left.

    >>> split_names(["a,b", "c"]), split_names(["a, b,"]), split_names([","])
    (['a', 'b', 'c'], ['a', 'b'], [','])
    """
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or values


def _typed_here(key: str, values: list[str]) -> bool:
    """Whether the link's ``?key=`` holds what this session's widget of that key holds: the
    widget wrote it there (a value typed on the page, not one a link brought)."""
    current = st.session_state.get(key)
    if current is None:
        return False
    if isinstance(current, list | tuple):
        return [str(c) for c in current] == values
    if len(values) != 1:
        return False
    try:
        return float(current) == float(values[0])
    except (TypeError, ValueError):
        return str(current) == values[0]


def data_tag(model: Any) -> str:
    """``"ml-100k:f74050b917c1e480"``: the data set whose movie and user ids ``model`` uses. A
    link naming ids carries it beside them (``?rated_on=``, ``?focus_on=``, ``?user_on=``), so
    a page of another data set under the same model name does not read them as its own."""
    return f"{model.dataset_name}:{model.dataset_fingerprint}"


def data_tag_problem(key: str, tag: str | None, model: Any, what: str) -> str | None:
    """Why the link's ``?key=`` (``what``: "a movie", "a person"), tagged with the data set
    ``tag`` (:func:`data_tag`), cannot be used with ``model``; None when it can, or when the
    link has no tag (an older link: read as ``model``'s data, as before)."""
    if not tag or tag == data_tag(model):
        return None
    name, _, fingerprint = tag.rpartition(":")
    name = name or tag
    here = model.dataset_name
    if name == here:  # the same name, other data (an edited copy): say which is which
        name = f"{name} (data {fingerprint[:8]})"
        here = f"{here} (data {str(model.dataset_fingerprint)[:8]})"
    return (
        f"this link's {key} was {what} of {name}; {model.name} here is trained on {here}, so "
        "it is not used"
    )


def ignore_from_link(key: str, value: str, why: str, *, also: tuple[str, ...] = ()) -> None:
    """For a link value that passed :data:`URL_PARAMS` but the shown model cannot show (a
    component past its dimension, a genre its data lacks): drop ``key`` (and ``also``) from
    the URL and say ``Ignored ?key=value from the link: why.`` at the top of the page, as
    :func:`read_url` does, once per session and value (the page runs again to show it)."""
    set_link(dict.fromkeys((key, *also)))
    seen = st.session_state.setdefault(_SEEN, set())
    marker = ("shown", key, (value,))
    if marker in seen:
        return
    seen.add(marker)
    for text in st.session_state.get(_SHOWN, []):  # on the top of this run: keep them there
        add_notice(text)
    add_notice(f"Ignored ?{md(_shown(key, [value]))} from the link: {md(why)}.")
    st.rerun()


def set_in_link(key: str, value: str | list[str] | None) -> None:
    """Put ``value`` in the URL as ``?key=`` (None: take ``key`` out): :func:`set_link` of one
    key. A page that falls back (another model, a colouring the model has) so keeps its link
    naming what it shows."""
    set_link({key: value})


def set_link(values: Mapping[str, str | list[str] | None]) -> None:
    """Put every ``key: value`` of ``values`` in the URL as ONE change (None: take ``key``
    out), so the browser's history gets at most one entry, holding all of them: ``?rated=``
    and ``?rated_on=`` written one by one left an entry with the first only, which read as a
    foreign link (views round 19, F3). Also where a widget is bound to a key (Streamlit
    refuses that to ``st.query_params``), and as the value the link was opened with, from
    which a widget drawn later seeds itself."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    params = st.query_params
    wanted = {
        key: None if value is None else [value] if isinstance(value, str) else list(value)
        for key, value in values.items()
    }
    changed = {
        key: values[key]
        for key, listed in wanted.items()
        if ((params.get_all(key) != listed) if listed is not None else key in params)
    }
    if not changed:
        return
    with get_session_state().query_params() as query:
        if all(hasattr(query, name) for name in _PRIVATE_QUERY_FIELDS):  # one message for all
            for key, value in changed.items():
                if value is None:
                    query.discard_param_no_forward_msg(key)
                    query._initial_query_params.pop(key, None)
                else:
                    query.set_with_no_forward_msg(
                        key, value if isinstance(value, str) else [str(v) for v in value]
                    )
                    query._initial_query_params[key] = wanted[key]
            query._send_query_param_msg()
            return
    from streamlit.errors import StreamlitAPIException

    for key, value in changed.items():  # a Streamlit that renamed them: unbound keys only
        with contextlib.suppress(StreamlitAPIException, KeyError):
            if value is None:
                del params[key]
            else:
                params[key] = value


#: Streamlit's private query-parameter fields :func:`set_link` writes through.
_PRIVATE_QUERY_FIELDS = (
    "discard_param_no_forward_msg",
    "set_with_no_forward_msg",
    "_send_query_param_msg",
    "_initial_query_params",
)


#: Datasets with at most this many ratings (approx.) are read just to show their notices.
NOTICE_READ_LIMIT = 2_000_000


def dataset_notices(name: str) -> list[str]:
    """``ds.notices()`` of the available dataset ``name`` (cached), read only when that is
    quick (a parsed copy exists, or at most :data:`NOTICE_READ_LIMIT` ratings); ``[]`` when
    it is not, or cannot be read."""
    status = next((s for s in dataset_statuses() if s.name == name and s.available), None)
    if status is None:
        return []
    if not status.cached and (status.approx_ratings or 0) > NOTICE_READ_LIMIT:
        return []
    return _dataset_notices(name, status.location, status.cached)


@st.cache_data(show_spinner="Reading the data…", max_entries=32)
def _dataset_notices(name: str, location: str | None, parsed: bool) -> list[str]:
    from movierate.data import load_dataset_by_name

    try:
        return list(load_dataset_by_name(name).notices())
    except MovierateError:
        return []


def leftovers() -> Any:
    """``store.leftovers()`` (cleans what dead writers left), at most every few seconds."""
    return _leftovers(str(config.home_dir()))


@st.cache_data(show_spinner=False, ttl=10)
def _leftovers(home: str) -> Any:
    return store.leftovers()
