"""Per-dataset default model specs, found by the tuner on the shared MovieLens copies.

:data:`DEFAULTS` maps a dataset name to the winning settings per family (only the fields that
differ from :class:`~movierate.spec.ModelSpec`'s defaults). :func:`default_spec_for` is what
"Train a good default model" trains when the dataset is known, and the tuner's first trial per
family (so a search never ends worse than the default on its stop rows). Unknown datasets get
ModelSpec()'s defaults, except that large data sets (:data:`LARGE_DATA`, by their number of
ratings) get a larger batch: at ModelSpec's batch of 1,024 a step's fixed cost dominates, and
ml-32m's size would take far more than 10 minutes. How the numbers were found: README, "Tuned
defaults" and "Large data"; rerun with ``python -m benchmarks.tune_defaults``.

>>> default_spec_for("ml-100k").family
'mf_bias'
>>> default_spec_for("my-own-ratings") == ModelSpec()
True
>>> default_spec_for("ml-32m").batch_size
32768
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from movierate import schema
from movierate.data.registry import KNOWN_DATASETS
from movierate.errors import SpecError
from movierate.spec import ModelSpec

#: dataset -> family -> ModelSpec field changes (early-stopping epochs are found per run).
#: ml-100k's deep: the better of two searches (0.9058 with sampler seed 1, 10 min, 426 trials;
#: 0.9203 with seed 0, 6 min, an MLP-only winner), both on the stop rows: MLP([u, m]) + u.m +
#: both biases through a sigmoid.
_DEEP_100K: dict[str, Any] = {
    "dim": 96,
    "regularizers": {"l2": 0.1282},
    "learning_rate": 0.01595,
    "batch_size": 4096,
    "hidden_units": (32, 4),
    "dropout": 0.09972,
    "dense_l2": 0.002236,
    "dot_product": True,
    "user_bias": True,
    "output": "sigmoid",
}

#: Every entry was chosen on the EARLY-STOPPING rows of the product's default split (random:
#: 10% test rows drawn first, then 10% of the rest as stop rows; seed 42: DEFAULTS_SPLIT), by
#: ``python -m benchmarks.tune_defaults`` starting from ModelSpec() (this table hidden), so the
#: test rows of that split chose nothing: a model trained with these settings on it reports an
#: honest test RMSE. Stop RMSE in the comments; values rounded to 4 significant digits.
DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "ml-100k": {
        # the search: 0.9048 against 0.9070 for ModelSpec() (best of 646 trials in 6 min, best
        # epoch 7); 0.9064 against 0.9084 with the code of 2026-12-07 (accuracy round 57)
        "mf_bias": {
            "regularizers": {"l2": 0.1031},
            "learning_rate": 0.003621,
            "batch_size": 256,
        },
        "deep": _DEEP_100K,
        # 0.9102 (best of 121 trials in 6 min, best epoch 3): behind mf_bias
        "svdpp": {
            "dim": 16,
            "regularizers": {"l2": 0.1457},
            "learning_rate": 0.02131,
            "batch_size": 2048,
        },
    },
    "ml-latest-small": {
        # 0.8380 against 0.8453 for ModelSpec() (best of 466 trials in 6 min, best epoch 5)
        "mf_bias": {
            "dim": 96,
            "regularizers": {"l2": 0.1262},
            "learning_rate": 0.003849,
            "batch_size": 256,
        },
        # 0.8361 (best of 219 trials in 6 min, best epoch 22): dot product + user bias
        "deep": {
            "dim": 64,
            "regularizers": {"l2": 0.1451},
            "learning_rate": 0.003886,
            "batch_size": 1024,
            "hidden_units": (64,),
            "dropout": 0.4663,
            "dense_l2": 0.009104,
            "dot_product": True,
            "user_bias": True,
        },
    },
    "ml-1m-sample": {
        # 0.8556 against 0.8590 for ModelSpec() (best of 162 trials in 6 min, best epoch 10)
        "mf_bias": {
            "dim": 48,
            "regularizers": {"l2": 0.08027},
            "learning_rate": 0.002239,
            "batch_size": 256,
        },
    },
}
#: How many trials each entry was the best of (README, "Tuned defaults"); None: the better of
#: two searches (ml-100k's deep, see _DEEP_100K).
DEFAULTS_TRIALS: dict[tuple[str, str], int | None] = {
    ("ml-100k", "mf_bias"): 646,
    ("ml-100k", "deep"): None,
    ("ml-100k", "svdpp"): 121,
    ("ml-latest-small", "mf_bias"): 466,
    ("ml-latest-small", "deep"): 219,
    ("ml-1m-sample", "mf_bias"): 162,
}
#: The split the entries were chosen on (its stop rows; pipeline.DEFAULT_SPLIT's values).
DEFAULTS_SPLIT: dict[str, Any] = {"method": "random", "test_fraction": 0.1, "seed": 42}
#: The data each entry was chosen on (``RatingsDataset.fingerprint`` of the shared copies, every
#: rating): other data under the same name, or these ratings under another name, are told by it
#: (``store.settings_caveat``). Whether an entry is used is decided by :data:`DEFAULTS_SEEN`.
DEFAULTS_DATA: dict[str, str] = {
    "ml-100k": "f74050b917c1e480",
    "ml-latest-small": "c5c0cc427108c142",
    "ml-1m-sample": "2cb06e531d6fbd5c",
}
#: The rows each entry was chosen with (:func:`seen_fingerprint` of :data:`DEFAULTS_SPLIT`'s
#: training and early-stopping rows of the shared copies; test rows play no part, accuracy
#: round 52): a copy whose seen rows are these gets the entry, whatever its test rows hold.
DEFAULTS_SEEN: dict[str, str] = {
    "ml-100k": "bf02a654660ff2ad",
    "ml-latest-small": "30023fdb4f72f76b",
    "ml-1m-sample": "69fc75632d6ae593",
}
#: Family defaults applied before a dataset's entry (ModelSpec()'s values suit the MF families;
#: autorec wants a wide hidden layer and a strong L2 (README, "AutoRec")).
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "autorec": {
        "dim": 500,
        "regularizers": {"l2": 100.0},
        "learning_rate": 0.001,
        "batch_size": 2048,
        "epochs": 300,
        "early_stopping_patience": 10,
    },
}
#: The data set whose stop rows chose each family's :data:`FAMILY_DEFAULTS`, and the values the
#: family takes on data of that NAME instead, chosen on other data (:data:`FAMILY_ELSEWHERE_ON`).
#: autorec's L2 100 was chosen from 40 / 100 / 250 on ml-100k's stop rows (README, "AutoRec"),
#: rows that are test rows of other ml-100k splits (16.5% of the default split's); on ml-100k
#: it takes L2 40, chosen the same way on ml-latest-small, so no ml-100k rating chose it. By
#: name only (accuracy round 18): a rule by fingerprint, which test rows set, gave a copy of
#: ml-100k L2 40 and the same copy with 275 test-only rows added L2 100; a copy under another
#: name keeps 100, and ``store.settings_caveat`` names that choice (:func:`chosen_default_of`).
FAMILY_DEFAULTS_CHOSEN_ON: dict[str, str] = {"autorec": "ml-100k"}
FAMILY_DEFAULTS_ELSEWHERE: dict[str, dict[str, Any]] = {
    "autorec": {"regularizers": {"l2": 40.0}},
}
FAMILY_ELSEWHERE_ON: dict[str, str] = {"autorec": "ml-latest-small"}
#: Names that share another dataset's defaults. Empty: the full ml-1m once shared its sample's,
#: but the sample's early-stopping rows that chose them are ratings of ml-1m too, some of them
#: test rows of ml-1m's own default split.
ALIASES: dict[str, str] = {}
#: (at least this many ratings, changes) for data sets without a tuned entry, largest first;
#: families :data:`SIZED_FAMILIES` only. Picked on early-stopping rows of a 3.2 M-rating
#: synthetic set with ml-32m's shape (README, "Large data"): batch 32,768 at a constant lr 0.01
#: reached 0.5809 with L2 0.1 (batch 16,384: 0.5858; lr 0.02: 0.5898) and 0.5099 with L2 0.03
#: (more ratings per row need less shrinkage); then lr 0.02 decaying by 0.7 per epoch with L2
#: 0.02 reached 0.5011 (constant lr 0.01 with L2 0.02: 0.5058; the decay with L2 0.03: 0.5042).
LARGE_DATA: tuple[tuple[int, dict[str, Any]], ...] = (
    (
        2_000_000,
        {
            "batch_size": 32768,
            "learning_rate": 0.02,
            "learning_rate_decay": 0.7,
            "regularizers": {"l2": 0.02},
        },
    ),
)
SIZED_FAMILIES = ("mf", "mf_bias")
#: The family "Train a good default model" picks on a known dataset.
DEFAULT_FAMILY = "mf_bias"


def family_defaults(family: str, dataset_name: str | None = None) -> dict[str, Any]:
    """``family``'s :data:`FAMILY_DEFAULTS` for training on the data named ``dataset_name``:
    where they were chosen on that data set's rows (:data:`FAMILY_DEFAULTS_CHOSEN_ON`), the
    values chosen on other data instead. Decided by name alone, never by the ratings, whose test
    rows would then choose a training setting (:func:`chosen_default_of` names the rest).

    >>> family_defaults("autorec", "ml-latest-small")["regularizers"]
    {'l2': 100.0}
    >>> family_defaults("autorec", "ml-100k")["regularizers"]
    {'l2': 40.0}
    """
    values = dict(FAMILY_DEFAULTS.get(family, {}))
    chosen_on = FAMILY_DEFAULTS_CHOSEN_ON.get(family)
    if chosen_on and chosen_on == ALIASES.get(dataset_name or "", dataset_name):
        values.update(FAMILY_DEFAULTS_ELSEWHERE[family])
    return values


def chosen_default_of(family: str, regularizers: dict[str, float] | None) -> str | None:
    """The data set whose stop rows chose ``family``'s default regularizers when a model holds
    them (``regularizers``): :data:`FAMILY_DEFAULTS_CHOSEN_ON`'s or :data:`FAMILY_ELSEWHERE_ON`'s;
    None for other values. A model of that data (or a copy of it) was tested on rows some of
    which chose its setting: ``store.settings_caveat`` says so.

    >>> chosen_default_of("autorec", {"l2": 100.0}), chosen_default_of("autorec", {"l2": 40.0})
    ('ml-100k', 'ml-latest-small')
    >>> chosen_default_of("autorec", {"l2": 7.0}) is None
    True
    """
    for values, on in (
        (FAMILY_DEFAULTS, FAMILY_DEFAULTS_CHOSEN_ON),
        (FAMILY_DEFAULTS_ELSEWHERE, FAMILY_ELSEWHERE_ON),
    ):
        held = values.get(family, {}).get("regularizers")
        if held is not None and family in on and held == (regularizers or {}):
            return on[family]
    return None


def fill_family_defaults(
    spec: ModelSpec, form_defaults: ModelSpec, dataset_name: str | None = None
) -> tuple[ModelSpec, list[str]]:
    """``spec`` with its family's defaults on ``dataset_name`` (:func:`family_defaults`) in the
    fields a form left at ``form_defaults`` (the values it was pre-filled with), and the names
    of those fields.

    >>> spec, filled = fill_family_defaults(ModelSpec(family="autorec"), ModelSpec())
    >>> spec.dim, filled[:2]
    (500, ['dim', 'regularizers'])
    """
    family_values = family_defaults(spec.family, dataset_name)
    filled = [
        name
        for name, value in family_values.items()
        if getattr(spec, name) == getattr(form_defaults, name) and getattr(spec, name) != value
    ]
    return spec.with_(**{name: family_values[name] for name in filled}), filled


def default_spec_for(
    dataset_name: str | None,
    family: str | None = None,
    n_ratings: int | None = None,
    *,
    data_name: str | None = None,
) -> ModelSpec:
    """The tuned spec of ``family`` (default: :data:`DEFAULT_FAMILY`) for ``dataset_name``.

    Datasets or families without a tuned entry get ModelSpec's defaults (with ``family`` set),
    changed by the family's :func:`family_defaults` (autorec's; ``data_name``: the name of the
    data it will train on, where ``dataset_name`` is None to withhold its tuned entry), and
    with :data:`LARGE_DATA`'s
    changes when the set has that many ratings (``n_ratings``; for a GroupLens name, its known
    size when ``n_ratings`` is not given).
    """
    family = family or DEFAULT_FAMILY
    if family not in schema.names("family"):
        raise SpecError(
            f"Unknown model family {family!r}; choose one of {', '.join(schema.names('family'))}."
        )
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    changes = DEFAULTS.get(name, {}).get(family)
    if changes is None:
        changes = data_size_changes(name, family, n_ratings)
    changes = {**family_defaults(family, data_name or dataset_name), **changes}
    return ModelSpec(family=family).with_(**changes).validate()


def data_size_changes(
    dataset_name: str | None, family: str, n_ratings: int | None = None
) -> dict[str, Any]:
    """Changes for a data set of ``n_ratings`` ratings (for a GroupLens name, its known size
    when not given) and a family of :data:`SIZED_FAMILIES`: :data:`LARGE_DATA`'s for a large
    set, a smaller batch for a small one (:func:`small_batch`); {} in between, for another
    family, or for a dataset with a tuned entry.

    >>> data_size_changes("my-upload", "mf_bias", 5_000_000)["batch_size"]
    32768
    >>> data_size_changes("my-upload", "mf_bias", 100_000)
    {}
    >>> data_size_changes("my-upload", "mf_bias", 4_021)
    {'batch_size': 64}
    """
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    if family not in SIZED_FAMILIES or family in DEFAULTS.get(name, {}):
        return {}
    known = KNOWN_DATASETS.get(name)
    size = n_ratings if n_ratings is not None else known.approx_ratings if known else 0
    large = next((c for least, c in LARGE_DATA if size >= least), None)
    if large is not None:
        return dict(large)
    batch = small_batch(size, ModelSpec().batch_size) if size else None
    return {"batch_size": batch} if batch is not None else {}


#: Optimizer steps an epoch should make at least: views round 4 trained 4,021 ratings at the
#: form's batch of 1,024, three steps an epoch; early stopping ended the run before it learned
#: anything (test RMSE 2.0498 against the mean rating's 2.0494). At batch 64: 1.6839.
MIN_STEPS_PER_EPOCH = 40
#: The smallest batch :func:`small_batch` picks.
SMALL_BATCH_FLOOR = 32
#: The share of a data set's ratings that trains under the default split (10% test, then 10%
#: of the rest for early stopping).
DEFAULT_TRAIN_SHARE = 0.81


def small_batch(n_ratings: int, batch_size: int) -> int | None:
    """A power-of-two batch that gives :data:`MIN_STEPS_PER_EPOCH` steps an epoch on
    ``n_ratings`` ratings (default split), never under :data:`SMALL_BATCH_FLOOR`; None when
    ``batch_size`` already does.

    >>> small_batch(4_021, 1024), small_batch(100_000, 1024), small_batch(500, 1024)
    (64, None, 32)
    """
    rows = int(n_ratings * DEFAULT_TRAIN_SHARE)
    if rows >= MIN_STEPS_PER_EPOCH * batch_size:
        return None
    return min(batch_for_rows(rows), batch_size)


def batch_for_rows(rows: int) -> int:
    """The largest power of two that splits ``rows`` into :data:`MIN_STEPS_PER_EPOCH` batches
    or more, never under :data:`SMALL_BATCH_FLOOR`."""
    return max(SMALL_BATCH_FLOOR, 2 ** int(math.log2(max(rows / MIN_STEPS_PER_EPOCH, 1.0))))


def steps_per_epoch_note(n_train: Any, batch_size: Any, family: Any = "mf_bias") -> str:
    """Why a model of a :data:`SIZED_FAMILIES` family may have learned nothing: "only 3
    optimizer steps an epoch ..." when ``n_train`` training rows fill fewer than
    :data:`MIN_STEPS_PER_EPOCH` batches, else "". Not said of other families: a smaller batch
    was measured to help mf_bias, not deep (views round 6's 911-rating set, seeds 0 and 1: test
    RMSE 1.2996 / 1.2485 at batch 1,024 against 1.2744 / 1.4001 at 32; 3,000 ratings of
    ml-latest-small: 0.9048 / 0.8705 against 0.9164 / 0.8858)."""
    if family not in SIZED_FAMILIES:
        return ""
    if not isinstance(n_train, int) or not isinstance(batch_size, int) or batch_size < 1:
        return ""
    steps = -(-n_train // batch_size)
    if steps >= MIN_STEPS_PER_EPOCH:
        return ""
    smaller = batch_for_rows(n_train)
    fix = (  # the recheck: "a smaller batch size (32)" at batch 32
        f"a smaller batch size ({smaller:,}) or more patience"
        if smaller < batch_size
        else "more patience, or on more ratings"
    )
    return (
        f"Its {n_train:,} training rows make only {steps} optimizer step"
        f"{'' if steps == 1 else 's'} an epoch at batch size {batch_size:,}, so early "
        f"stopping may end the run before it learns: train again with {fix}."
    )


def fill_data_size_defaults(
    spec: ModelSpec, form_defaults: ModelSpec, dataset_name: str | None, n_ratings: int | None
) -> tuple[ModelSpec, list[str]]:
    """``spec`` with :func:`data_size_changes` in the fields a form left at
    ``form_defaults`` (what it was pre-filled with, the same for every dataset), and the names
    of those fields: the Train form's way to give a large or small upload the batch it needs
    without overriding what the user chose.

    >>> spec, filled = fill_data_size_defaults(ModelSpec(), ModelSpec(), "upload", 3_000_000)
    >>> spec.batch_size, filled
    (32768, ['batch_size', 'learning_rate', 'learning_rate_decay', 'regularizers'])
    """
    changes = data_size_changes(dataset_name, spec.family, n_ratings)
    filled = [
        name
        for name, value in changes.items()
        if getattr(spec, name) == getattr(form_defaults, name) and getattr(spec, name) != value
    ]
    return spec.with_(**{name: changes[name] for name in filled}), filled


def seen_fingerprint(ds: Any, split: Any) -> str:
    """16 hex chars naming the rows a model sees under ``split`` of ``ds``: the user id, movie
    id and rating of its training and early-stopping rows together, in row order. Its test rows
    play no part, so what they hold chooses nothing keyed on it (:func:`chosen_without_test_rows`)."""
    rows = np.sort(
        np.concatenate(
            [np.asarray(split.train, dtype=np.int64), np.asarray(split.stop, dtype=np.int64)]
        )
    )
    h = hashlib.blake2b(digest_size=8, person=b"seen-rows")
    h.update(np.int64(len(rows)).tobytes())
    for ids, column in ((ds.user_ids, "user_idx"), (ds.movie_ids, "movie_idx")):
        raw = np.asarray(ids)[ds.ratings[column].to_numpy()[rows]]
        if raw.dtype.kind in "iu":
            h.update(np.ascontiguousarray(raw.astype(np.int64)).data)
        else:
            h.update("\x00".join(map(str, raw)).encode())
    h.update(np.ascontiguousarray(ds.ratings["rating"].to_numpy(dtype=np.float32)[rows]).data)
    return h.hexdigest()


def recorded_seen(ds: Any, split: Any) -> str | None:
    """What a model's ``meta.json`` records of the rows it saw (:func:`seen_fingerprint`), for a
    data set with a tuned entry (for the others no choice reads it, so none is computed; nor
    for a stand-in without rows, as benchmarks pass)."""
    name = ALIASES.get(ds.name, ds.name)
    if name not in DEFAULTS or not hasattr(ds, "user_ids") or getattr(split, "stop", None) is None:
        return None
    return seen_fingerprint(ds, split)


def seen_of_meta(dataset_name: str, data: Any) -> str:
    """The seen-rows fingerprint a model's ``meta.json`` ``dataset`` part recorded; for a model
    saved before it was (accuracy round 52), its entry's own when the whole data is the data the
    entry was chosen on (:data:`DEFAULTS_DATA`: the same ratings have the same seen rows under
    the same split), else ""."""
    seen = data.get("seen_fingerprint")
    if isinstance(seen, str) and seen:
        return seen
    name = ALIASES.get(dataset_name, dataset_name)
    if name in DEFAULTS_DATA and data.get("fingerprint") == DEFAULTS_DATA[name]:
        return DEFAULTS_SEEN[name]
    return ""


def _default_split(split: Any) -> bool:
    """Whether ``split`` draws :data:`DEFAULTS_SPLIT`'s test rows (method, seed, test fraction)."""
    return (
        split.method == DEFAULTS_SPLIT["method"]
        and split.seed == DEFAULTS_SPLIT["seed"]
        and abs(float(split.test_fraction) - DEFAULTS_SPLIT["test_fraction"]) < 1e-9
    )


def chosen_without_test_rows(dataset_name: str | None, split: Any, *, seen: str) -> bool:
    """Whether ``dataset_name``'s defaults were chosen without looking at ``split``'s test rows:
    always for a dataset without a tuned entry; for one with an entry, only when ``split`` is
    :data:`DEFAULTS_SPLIT` and its training and early-stopping rows (``seen``, their
    :func:`seen_fingerprint`) are the ones the entry was chosen with (:data:`DEFAULTS_SEEN`):
    then the rows that chose it are among them, never test rows. What the test rows hold plays
    no part (accuracy round 52: a copy of ml-100k that differed only in its test ratings was
    tuned from other settings). On any other split, or other seen rows under that name, some
    ratings that chose the settings may be test rows, so a tuned default there could flatter
    its test RMSE.

    >>> from types import SimpleNamespace as S
    >>> default = S(method="random", test_fraction=0.1, seed=42)
    >>> chosen_without_test_rows("ml-100k", default, seen=DEFAULTS_SEEN["ml-100k"])
    True
    >>> chosen_without_test_rows("ml-100k", default, seen="0123456789abcdef")
    False
    >>> u1 = S(method="official:u1", test_fraction=0.2, seed=42)
    >>> chosen_without_test_rows("ml-100k", u1, seen=DEFAULTS_SEEN["ml-100k"])
    False
    """
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    if name not in DEFAULTS:
        return True
    return _default_split(split) and seen == DEFAULTS_SEEN.get(name)


def settings_chosen_on_stop_rows(
    dataset_name: str | None, split: Any, spec: ModelSpec, *, seen: str
) -> str | None:
    """Whether the early-stopping rows of a model (``spec`` trained on ``split`` of data whose
    seen rows are ``seen``, :func:`seen_fingerprint`) also chose its settings: it holds a tuned
    entry's every value and was trained on the split whose stop rows chose that entry (the
    quick start's model). Then what chose them, for a label (``"its settings (ml-100k's tuned
    defaults, best of 646 trials)"``), else None.

    >>> from types import SimpleNamespace as S
    >>> split = S(method="random", test_fraction=0.1, seed=42)
    >>> tuned = default_spec_for("ml-100k")
    >>> settings_chosen_on_stop_rows("ml-100k", split, tuned, seen=DEFAULTS_SEEN["ml-100k"])
    "its settings (ml-100k's tuned defaults, best of 646 trials)"
    >>> settings_chosen_on_stop_rows(
    ...     "ml-100k", split, tuned.with_(learning_rate=0.01), seen=DEFAULTS_SEEN["ml-100k"]
    ... ) is None
    True
    """
    name = ALIASES.get(dataset_name or "", dataset_name or "")
    entry = DEFAULTS.get(name, {}).get(spec.family)
    if entry is None or not chosen_without_test_rows(name, split, seen=seen):
        return None  # chosen_without_test_rows: these seen rows and this split's stop rows chose it
    if spec.with_(**entry) != spec:
        return None
    trials = DEFAULTS_TRIALS.get((name, spec.family))
    searched = f"best of {trials} trials" if trials else "best of two searches"
    return f"its settings ({name}'s tuned defaults, {searched})"


def tuned_datasets() -> tuple[str, ...]:
    """Dataset names with a tuned entry (aliases included)."""
    return tuple(DEFAULTS) + tuple(ALIASES)


def default_spec_for_split(
    dataset_name: str, split: Any, *, seen: str, n_ratings: int | None = None
) -> tuple[ModelSpec, str | None]:
    """The default model to train on ``split`` of this data (``seen``: the
    :func:`seen_fingerprint` of its training and early-stopping rows): the tuned entry where
    :func:`chosen_without_test_rows` holds, else the untuned defaults and a sentence saying why
    (some of this split's test ratings may have chosen the tuned entry, so its test RMSE could
    flatter the model).

    >>> from types import SimpleNamespace as S
    >>> u1 = S(method="official:u1", test_fraction=0.2, seed=42)
    >>> spec, why = default_spec_for_split("ml-100k", u1, seen=DEFAULTS_SEEN["ml-100k"])
    >>> spec == default_spec_for(None), why.split(";")[0]
    (True, "ml-100k's tuned settings were chosen on its random 10% split (seed 42)")
    """
    tuned = default_spec_for(dataset_name, n_ratings=n_ratings)
    if chosen_without_test_rows(dataset_name, split, seen=seen):
        return tuned, None
    chosen = (
        f"{dataset_name}'s tuned settings were chosen on its random "
        f"{DEFAULTS_SPLIT['test_fraction']:.0%} split (seed {DEFAULTS_SPLIT['seed']})"
    )
    where = (
        "this copy's training and early-stopping ratings under that split differ from the ones "
        "they were chosen with, so its test rows may include ratings that chose them"
        if _default_split(split)
        else "this split's test rows may include ratings that chose them"
    )
    return (
        default_spec_for(None, n_ratings=n_ratings),
        f"{chosen}; {where}. It trains with the untuned defaults, so its test RMSE stays a "
        "measure on unseen ratings (Tune searches settings on this split's own rows).",
    )
