"""Training: a fast custom loop with sparse embedding updates, progress events and cancellation.

Each epoch shuffles the training ratings (seeded), feeds whole batches sliced from arrays into a
compiled step, and evaluates RMSE / MAE on train and on the split's early-stopping rows
(``split.stop``). Early stopping watches the early-stopping RMSE (``stop_rmse``) and restores the
best weights, but only once every whitening / decorrelation / adversarial regularizer has taken
hold (:func:`regularizers_settled`): before that no epoch is eligible as best and none counts
towards the patience. The test rows (``split.test``) are never read here: the pipeline measures
``test_rmse`` / ``test_mae`` on them after training, in numpy. Regularizer losses are logged per
epoch on the whole tables' rows with a training rating (the spread penalties: on the rows they
shape; ``reg_<kind>``, plus ``corr_offdiag`` for decorrelation and
``ks_uniform`` for adversarial), while training applies L2 per example (batch rows) and the
other regularizers to a uniform sample of movie rows, sized for ~64 visits per movie per epoch
(:func:`regularizer_sample_size`): of the movies with at least one training rating, or
``spec.penalty_min_ratings`` (:func:`spread_penalty_rows`). The per-example L2 weighs a row by count**-0.5 (between
per-example and uniform L2; measured best on ml-100k and ml-latest-small). With the ``ordered``
regularizer, the best-epoch weights are finally re-expressed, predictions unchanged, in a basis
whose dimensions come in order of importance (:func:`sort_dimensions`), and the dimensions that
carry no signal on the early-stopping rows are set to zero (:func:`prune_dimensions`). No
global state: two trainings may run at once in two threads.

>>> result = train(load_dataset("ml-100k"), split, ModelSpec())  # doctest: +SKIP
>>> result.metrics["stop_rmse"]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from movierate.data import RatingScale, RatingsDataset, Split
from movierate.data.dataset import MOST_ERROR_WIDTHS
from movierate.data.splits import training_scale
from movierate.errors import DataError, SpecError, TrainingCancelled
from movierate.explore.verdicts import covariance_stats, ks_uniform
from movierate.nn.export import export_arrays
from movierate.nn.models import RatingModel, Start, build_model
from movierate.nn.optimizers import SparseOptimizer
from movierate.nn.regularizers import (
    GRADED_SHARE,
    Adversarial,
    EmbeddingL2,
    Ordered,
    make_regularizer,
)
from movierate.nn.reuse import LoopPool
from movierate.nn.shuffle import EpochShuffle
from movierate.paired import STOP_TOLERANCE
from movierate.progress import Phase, ProgressCallback, ProgressEvent
from movierate.spec import SPREAD_PENALTIES, ModelSpec

#: Movie rows sampled per step for the whitening / decorrelation / adversarial penalties: at
#: least REGULARIZER_SAMPLE, more when needed for every movie row to be in about
#: REGULARIZER_VISITS samples per epoch (at most the whole table). With Adam a row moves about
#: one learning rate per visit whatever the strength, so the visits decide how many epochs a
#: penalty needs to take hold (1024 rows took ml-latest-small's whitening 20+ epochs).
REGULARIZER_SAMPLE = 1024
REGULARIZER_VISITS = 64
#: Training ratings evaluated per epoch for the train metrics (a fixed random subset).
TRAIN_EVAL_CAP = 200_000
EVAL_BATCH = 131_072
#: L2 weight of a row ~ count**-L2_COUNT_EXPONENT: 0 = per example, 1 = uniform over rows.
L2_COUNT_EXPONENT = 0.5
#: A regularizer has "taken hold" when its measure falls by at most this share per epoch ...
SETTLE_TOLERANCE = 0.05
#: ... in each of the last SETTLE_WINDOW epochs (a penalty often starts slowly, then speeds up)
SETTLE_WINDOW = 2
#: ... or is below this share of its epoch-1 value (see :func:`regularizers_settled`).
SETTLE_FLOOR = 0.01
#: The history key that tells whether each non-L2 regularizer has taken hold.
SETTLE_MEASURES = {
    "whitening": "reg_whitening",
    "decorrelation": "corr_offdiag",
    "adversarial": "ks_uniform",
}
#: Adam learning rate of the adversarial regularizer's discriminator. Measured, adversarial 1:
#: 3e-3 reaches a mean KS of 0.037 / 0.043 (ml-latest-small / ml-100k) against 0.044 / 0.050
#: with 1e-3, in fewer epochs; 1e-2 gave no lower KS and a worse RMSE on ml-100k.
CRITIC_LEARNING_RATE = 3e-3
#: How the ``ordered`` regularizer truncates (one of ``regularizers.ORDERED_METHODS``).
ORDERED_METHOD = "graded_l2"
#: Seconds of steps per graph call, so per progress event and cancel check during an epoch
#: (:class:`StepsPerCall`). Calls of a fixed 1/20 epoch cost 9% of a 0.4 s epoch at 2 M ratings
#: in per-call overhead against one call per epoch.
EVENT_SECONDS = 0.25
#: ... except in a loop whose calls must be the same everywhere (``_TrainingLoop.timed_calls``
#: False: the workers of ``nn.distributed`` pair their collectives step by step): this many
#: calls per epoch.
FIXED_CALLS_PER_EPOCH = 20
#: Whether a plain step (no svdpp, no sampled / ordered / adversarial penalty, this process's own
#: gradients) computes its per-example forward, backward and row merge as one XLA cluster
#: (:meth:`_TrainingLoop._plain_step`): 2-5x faster per step than the op-by-op graph on CPU,
#: where the elementwise ops of a [batch, dim] gradient and ``unsorted_segment_sum`` dominated.
#: Every batch takes it (a short last batch padded with weight-0 examples), except ``deep``'s
#: short last batch (its batch normalisation would see the padding).
XLA_PLAIN_STEP = True
#: ... on training sets of at least this many ratings: XLA compiles the step once per training
#: (seconds on 2 cores), which smaller sets would not earn back.
XLA_MIN_RATINGS = 500_000
#: In the plain step, a side (users or movies) whose table has at most this many rows per batch
#: example is updated whole inside the XLA cluster (its rows gathered per example, gradients
#: merged into a table-sized array, the touched rows' optimizer update applied under a mask and
#: assigned): no ``tf.unique``, row gathers or ``scatter_update`` outside XLA. At 2 M ratings
#: (13,333 users, 8,485 movies, batch 32,768) that took a step's process CPU from 16.8 to 7.1 ms.
#: At ml-32m's shape (one loaded run, s per epoch): both sides sparse 5.4, movies dense (87,585
#: rows, 2.7x the batch) 5.0, both dense (200,948 users, 6.1x) 8.1. Larger tables take the sparse
#: path (unique rows gathered, updated, scattered back).
DENSE_TABLE_FACTOR = 2.0
#: On training sets as large (the XLA step's, :data:`XLA_MIN_RATINGS`), each epoch permutes
#: blocks of this many examples of one random order (:class:`~movierate.nn.shuffle.EpochShuffle`)
#: instead of all examples: the shuffle runs on a core the step needs, and took 41 ms against 7
#: ms of a ~150 ms epoch at 1.6 M ratings. Smaller sets keep a full permutation per epoch.
SHUFFLE_BLOCK = 8
#: Compiled loops kept after a training for the next one of the same shape and settings (the
#: seed, epochs and patience may differ) in this process: it then skips tracing and XLA
#: compilation (1-1.5 s of a first epoch at 2 M ratings). Only loops whose every state
#: :meth:`_TrainingLoop.reset` restores (:func:`resettable`); at most LOOP_POOL_SIZE idle ones.
LOOP_POOL_SIZE = 2
LOOPS = LoopPool(LOOP_POOL_SIZE)


class TrainingDiverged(SpecError):
    """Training produced NaN or infinite values: its settings made it diverge."""


#: A training loss above this many times where it started (the first step's loss, at least the
#: training ratings' variance) has diverged (bad-input round 32: learning rate 10 took the loss
#: from about 1 to 1e7 in epoch 1 while the clipped output kept the RMSE at 2.6) ...
LOSS_ORDERS = 100.0
#: ... and so has one above where it started that is this many times its lowest epoch so far.
LOSS_RISE = 4.0


def lower_rate_text(learning_rate: float | None) -> str:
    """ "Lower the learning rate (try 1 instead of 10)": a tenth of ``learning_rate`` is always
    inside its allowed range (0, 10]; without a rate, the advice alone."""
    if learning_rate is None:
        return "Lower the learning rate"
    return f"Lower the learning rate (try {learning_rate / 10:g} instead of {learning_rate:g})"


def check_loss_diverged(
    epoch: int, losses: list[float], start: float, learning_rate: float | None = None
) -> None:
    """Raise :class:`TrainingDiverged` when the epoch losses ``losses`` (this epoch's last) rose
    :data:`LOSS_ORDERS` times above ``start`` (where the loss started), or above it and
    :data:`LOSS_RISE` times their lowest: a clipped or squashed output keeps such a run's RMSE
    bounded, but its weights grew without limit and the model must not be saved.

    >>> check_loss_diverged(2, [1.0, 0.8], 1.1)  # falling: fine
    >>> check_loss_diverged(1, [1e7], 1.2, 10.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    movierate.nn.training.TrainingDiverged: Training diverged: the training loss rose from 1.2 ...
    """
    last, lowest = losses[-1], min(losses)
    if last > LOSS_ORDERS * start:
        rose = f"rose from {start:.4g} (its first step) to {last:.4g} in epoch {epoch}"
    elif last > start and last > LOSS_RISE * lowest:
        rose = f"rose to {last:.4g} in epoch {epoch}, {last / lowest:.0f} times its lowest ({lowest:.4g})"
    else:
        return
    raise TrainingDiverged(
        f"Training diverged: the training loss {rose}, though a clipped output can keep the "
        "RMSE in range: its weights grew without bound, so nothing was saved. "
        f"{lower_rate_text(learning_rate)}, the likely cause, or the regularization strengths, "
        "and train again."
    )


def check_diverged(
    epoch: int,
    metrics: Mapping[str, float],
    weights: Iterable[Any],
    scale_width: float,
    learning_rate: float | None = None,
) -> None:
    """Raise :class:`TrainingDiverged` when an epoch's loss / RMSE or a float weight is NaN or
    infinite, or an RMSE is beyond :data:`MOST_ERROR_WIDTHS` widths of the rating scale: such a
    model predicts nothing, and must never be saved. ``learning_rate`` gives the advice a
    lower value to try."""
    bad = [k for k in ("loss", "train_rmse", "stop_rmse") if k in metrics]
    bad = [k for k in bad if not math.isfinite(metrics[k])]
    most = MOST_ERROR_WIDTHS * scale_width
    far = [k for k in ("train_rmse", "stop_rmse") if k in metrics and metrics[k] > most]
    if far:
        raise TrainingDiverged(
            f"Training diverged: the RMSE reached {metrics[far[0]]:,.4g} in epoch {epoch}, more "
            f"than {MOST_ERROR_WIDTHS} times the rating scale's width ({scale_width:g}), so "
            f"nothing was saved. {lower_rate_text(learning_rate)} or the regularization "
            "strengths (or use the clip or sigmoid output) and train again."
        )
    if not bad:
        values = (np.asarray(w.numpy() if hasattr(w, "numpy") else w) for w in weights)
        if all(v.dtype.kind != "f" or np.isfinite(v).all() for v in values):
            return
    what = "the training loss" if "loss" in bad else "the predictions" if bad else "the weights"
    raise TrainingDiverged(
        f"Training diverged: {what} became NaN or infinite in epoch {epoch}, so nothing was "
        f"saved. {lower_rate_text(learning_rate)} or the regularization strengths and train "
        "again."
    )


#: Copies training holds of each float32 weight (the weight, its gradient, Adam's two slots) ...
WEIGHT_COPIES = 4
#: ... and of each activation of a training batch (its value, its gradient, a spare for dropout
#: masks and batch normalisation); an evaluation batch holds one.
ACTIVATION_COPIES = 3
#: A run estimated to need more than this share of the available memory gets a warning.
MEMORY_WARN_SHARE = 0.5


def memory_estimate(spec: ModelSpec, n_users: int, n_movies: int, n_train: int) -> int:
    """Bytes a training of ``spec`` is estimated to need at its peak: the embedding tables and
    dense layers with their gradients and Adam's slots, plus the larger of a training batch's
    activations (with gradients) and an evaluation batch's (bad-input round 32: dim 1024,
    hidden 4096 x 3 at batch 1,048,576 grew to 8.3 GiB without a word). Not for autorec."""
    dim = spec.dim
    weights = (n_users + n_movies) * (dim + 1)
    if spec.family == "svdpp":
        weights += n_movies * dim
    layers = list(spec.hidden_units) if spec.family == "deep" else []
    inputs = 2 * dim
    for units in layers:
        weights += inputs * units + 2 * units
        inputs = units
    per_row = 2 * dim + sum(layers) + 1
    batch = min(spec.batch_size, n_train)
    evaluated = min(EVAL_BATCH, max(min(n_train, TRAIN_EVAL_CAP), 1))
    activations = max(ACTIVATION_COPIES * batch, evaluated) * per_row
    return 4 * (WEIGHT_COPIES * weights + activations)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``, else the free
    pages ``os.sysconf`` reports), or None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(
    spec: ModelSpec, n_users: int, n_movies: int, n_train: int, available: int | None = None
) -> list[str]:
    """SpecError, with the numbers, when a training of ``spec`` on ``n_train`` ratings cannot
    fit in the ``available`` memory (default: :func:`available_memory`); else the notes to
    show before it starts: one when it needs over :data:`MEMORY_WARN_SHARE` of that memory,
    one when the batch is larger than the training rows (one step an epoch)."""
    notes: list[str] = []
    if n_train < 1 or spec.family == "autorec":  # autorec batches movies, not ratings
        return notes
    if spec.batch_size > n_train:
        notes.append(
            f"batch {spec.batch_size:,} > {n_train:,} training rows: one step per epoch, so "
            "each epoch moves the weights once; a smaller batch learns in fewer epochs."
        )
    available = available_memory() if available is None else available
    if available is None:
        return notes
    need = memory_estimate(spec, n_users, n_movies, n_train)
    layers = f", hidden {','.join(map(str, spec.hidden_units))}" if spec.family == "deep" else ""
    shape = (
        f"{spec.family}, dim {spec.dim}{layers}, batch {min(spec.batch_size, n_train):,}, "
        f"{n_users:,} users x {n_movies:,} movies"
    )
    if need > available:
        raise SpecError(
            f"This training would need about {_gib(need)} of memory ({shape}), but only "
            f"{_gib(available)} is available, so it was not started. Lower the batch size, the "
            "hidden units or the dimension (or free memory) and train again."
        )
    if need > MEMORY_WARN_SHARE * available:
        notes.append(
            f"this training needs about {_gib(need)} of memory ({shape}), "
            f"{need / available:.0%} of the {_gib(available)} available: other programs may "
            "slow it down or make it fail."
        )
    return notes


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB"


@dataclass
class TrainResult:
    """A trained model: its numpy arrays, per-epoch history and final (best-epoch) metrics.

    Everything but ``keras_model`` is plain data; :meth:`save_keras` writes ``model.keras``, so
    the store saves a result without touching Keras code itself.
    """

    keras_model: RatingModel
    spec: ModelSpec
    #: The embeddings.npz arrays of the best epoch's weights (:func:`export_arrays`).
    arrays: dict[str, np.ndarray]
    history: dict[str, list[float]]
    metrics: dict[str, float]
    train_seconds: float
    ratings_per_second: float
    global_mean: float
    #: The rating scale training clipped / squashed to (:func:`training_scale`); None: the
    #: dataset's.
    rating_scale: RatingScale | None = None

    def save_keras(self, path: str | Path) -> None:
        """Write the Keras model in Keras' native format (``model.keras``)."""
        self.keras_model.save(str(path))


def evaluation_rows(
    train_rows: np.ndarray, stop_rows: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The rows whose RMSE every epoch logs: ``train`` (at most :data:`TRAIN_EVAL_CAP` training
    rows, a sample drawn from ``rng``) and ``stop`` (the early-stopping rows)."""
    sample = train_rows
    if len(sample) > TRAIN_EVAL_CAP:
        sample = np.sort(rng.choice(train_rows, TRAIN_EVAL_CAP, replace=False))
    return {"train": sample, "stop": np.asarray(stop_rows, dtype=np.int64)}


def train(
    ds: RatingsDataset,
    split: Split,
    spec: ModelSpec,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    loop_class: type[_TrainingLoop] | None = None,
    rank_rows: np.ndarray | None = None,
    stop_after: Callable[[], bool] | None = None,
    notes: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train a validated ``spec`` on ``split.train`` of ``ds``; early-stop on ``split.stop``.

    First :func:`check_memory` refuses a run that cannot fit in memory and hands its notes (a
    batch larger than the training rows, a run close to the memory there is) to ``notes``.

    ``split.test`` is never read. With no stop rows (a tuning refit, the regularizer study:
    both train for a fixed number of epochs) every epoch runs and the last one is kept.

    Stopping rule: an epoch is eligible as the best epoch (and counts towards
    ``spec.early_stopping_patience``) only from the epoch where every non-L2 regularizer has
    taken hold (:func:`regularizers_settled`, recorded as ``metrics["settled_epoch"]``), because
    the early-stopping RMSE often rises while a regularizer reshapes the embedding and restoring
    an earlier epoch would undo it. Among eligible epochs the lowest early-stopping RMSE is
    restored; if the regularizers never take hold, the last epoch is kept.

    With the ``ordered`` regularizer, after :func:`sort_dimensions`, :func:`prune_dimensions`
    keeps the leading dimensions that carry signal on the early-stopping rows (``rank_rows``
    instead, when given: the regularizer study passes its stop rows here and none to stop on)
    and sets the others to zero, recording ``metrics["kept_dims"]`` (K) and
    ``metrics["rank_rows"]``; with no such rows (or :data:`ORDERED_PRUNE` off) every dimension
    is kept and neither is recorded. When dimensions were zeroed, the recorded train and stop
    RMSE / MAE are the pruned model's (the history's, at the best epoch, under
    ``<key>_before_pruning``: :func:`_pruned_metrics`).

    ``stop_after`` is asked at the end of every epoch; True ends training there as early stopping
    would (the best epoch so far is restored): the tuner's time budget.

    ``loop_class`` replaces the compiled loop (``movierate.nn.distributed`` passes one that
    shares each global batch between workers); the default trains in this process.
    """
    for note in check_memory(spec, ds.n_users, ds.n_movies, len(split.train)):
        if notes is not None:
            notes(note)
    if spec.family == "autorec":  # its own loop over batches of movies (movierate.nn.autorec)
        from movierate.nn.autorec import train_autorec

        if loop_class is not None:
            raise SpecError("autorec trains in one process only: pick another family.")
        return train_autorec(ds, split, spec, progress, cancel, stop_after=stop_after)
    if len(split.train) == 0:
        raise DataError(
            "The training part of the split is empty: choose smaller test / stop fractions."
        )
    spread = sorted(k for k in spec.regularizers if k in SPREAD_PENALTIES)
    if spread and ds.n_movies < 2:
        raise DataError(
            f"The {' and '.join(spread)} "
            f"{'regularizers shape' if len(spread) > 1 else 'regularizer shapes'} how movie "
            f"vectors spread, which needs at least 2 movies; {ds.name} has {ds.n_movies}. "
            f"Train without {'them' if len(spread) > 1 else 'it'}."
        )
    users = ds.ratings["user_idx"].to_numpy(np.int32)
    movies = ds.ratings["movie_idx"].to_numpy(np.int32)
    ratings = ds.ratings["rating"].to_numpy(np.float32)
    train_rows = np.asarray(split.train, dtype=np.int64)
    train_ratings = ratings[train_rows]
    global_mean = float(train_ratings.mean())
    rating_scale = training_scale(ds, split)
    scale = (float(rating_scale.min), float(rating_scale.max))
    implicit = len(train_rows) if spec.family == "svdpp" else 0
    # each row starts from its own id, at a scale set by the users / movies with a training row
    start = Start.of(ds.user_ids, ds.movie_ids, users[train_rows], movies[train_rows])
    fresh = build_model(spec, ds.n_users, ds.n_movies, global_mean, scale, implicit, start)
    if implicit:
        fresh.set_implicit(users[train_rows], movies[train_rows])
    penalty_rows = spread_penalty_rows(spec, movies[train_rows], ds.n_movies)
    n_penalised = ds.n_movies if penalty_rows is None else len(penalty_rows)
    settings = {
        "user_l2_weight": _l2_weights(users[train_rows], ds.n_users),
        "movie_l2_weight": _l2_weights(movies[train_rows], ds.n_movies),
        "sample_size": regularizer_sample_size(n_penalised, len(train_rows), spec.batch_size),
        "n_train": len(train_rows),
        "penalty_rows": penalty_rows,
    }
    key = None  # set for a loop that may come from, and go back to, the pool
    if loop_class is None and resettable(spec):
        key = _loop_key(spec, fresh, settings["sample_size"], len(train_rows))
    loop = LOOPS.take(key) if key is not None else None
    if loop is None:
        # a loop that goes to the pool gets a model of its own: ``fresh`` is the result's
        own = fresh
        if key is not None:
            own = RatingModel(
                ds.n_users, ds.n_movies, spec.to_dict(), global_mean, scale, implicit,
                fresh.score_unit,
            )  # fmt: skip
            own.set_weights(fresh.get_weights())
        loop = (loop_class or _TrainingLoop)(own, spec, **settings)
    else:
        loop.reset(fresh, spec, settings["user_l2_weight"], settings["movie_l2_weight"])
    width = scale[1] - scale[0]
    # where the loss starts, at least: predicting the mean (constant ratings: 1% of the width)
    floor = max(float(train_ratings.var()), (0.01 * width) ** 2)
    data = _TrainingData(users, movies, ratings, train_rows, global_mean, width, floor)
    try:
        result = _fit(data, split, spec, loop, fresh, progress, cancel, rank_rows, stop_after)
        result.rating_scale = rating_scale
        return result
    finally:
        if key is not None:
            LOOPS.give(key, loop)


def spread_penalty_rows(spec: ModelSpec, movies: np.ndarray, n_movies: int) -> np.ndarray | None:
    """The movie rows the spread penalties (whitening, decorrelation, adversarial) shape: those
    with at least ``spec.penalty_min_ratings`` of the training ratings ``movies``, and at least
    one: a movie with none is only in stop or test rows, and the penalty would move its vector
    (away from what training left it, and with it the predictions of those rows) and let rows
    that exist only for testing steer training. None for every row (all qualify, or no such
    penalty). DataError when fewer than 2 qualify."""
    spread = sorted(k for k in spec.regularizers if k in SPREAD_PENALTIES and spec.regularizers[k])
    if not spread:
        return None
    least = max(1, spec.penalty_min_ratings)
    rows = np.flatnonzero(np.bincount(movies, minlength=n_movies) >= least).astype(np.int32)
    if len(rows) == n_movies:
        return None
    if len(rows) < 2:
        lower = (
            "lower the spread penalties' minimum number of ratings (Train: 'Spread penalties: "
            "movies with at least this many ratings'; --penalty-min-ratings)"
            if least > 1
            else f"train without the {' and '.join(spread)} penalty"
        )
        raise DataError(
            f"Only {len(rows)} movie(s) have at least {least} training rating(s), and the "
            f"{' and '.join(spread)} penalty needs 2 or more to shape: {lower}."
        )
    return rows


def _loop_key(spec: ModelSpec, model: RatingModel, sample_size: int, n_train: int) -> tuple:
    """What a compiled loop's graphs depend on: everything but the seed, epochs and patience."""
    graph = {k: v for k, v in spec.to_dict().items() if k not in _RESET_FIELDS}
    return (
        json.dumps(graph, sort_keys=True),
        model.n_users,
        model.n_movies,
        model.global_mean,
        model.rating_scale,
        sample_size,
        n_train >= XLA_MIN_RATINGS,
        XLA_PLAIN_STEP,
        DENSE_TABLE_FACTOR,
    )


def resettable(spec: ModelSpec) -> bool:
    """Whether a loop of ``spec`` can be reset for another training: no sampled (whitening,
    decorrelation, adversarial) or ordered penalty, no svdpp implicit table and no dropout,
    which keep random or extra state of their own."""
    sampled = [kind for kind in spec.regularizers if kind not in ("l2", "ordered")]
    return (
        spec.family != "svdpp"
        and not sampled
        and not spec.regularizers.get("ordered")
        and not spec.dropout
        and not spec.embedding_dropout
    )


#: Spec fields a reused loop takes from the new spec (:meth:`_TrainingLoop.reset`).
_RESET_FIELDS = ("seed", "epochs", "early_stopping_patience")


@dataclass(frozen=True)
class _TrainingData:
    """The rating columns as arrays, the training rows and their mean rating."""

    users: np.ndarray
    movies: np.ndarray
    ratings: np.ndarray
    train_rows: np.ndarray
    global_mean: float
    scale_width: float
    #: the least loss :func:`check_loss_diverged` measures a rise from
    start_loss_floor: float


def _fit(
    data: _TrainingData,
    split: Split,
    spec: ModelSpec,
    loop: _TrainingLoop,
    fresh: RatingModel,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    rank_rows: np.ndarray | None,
    stop_after: Callable[[], bool] | None,
) -> TrainResult:
    """The epochs of :func:`train` on ``loop``; the result's Keras model is ``fresh`` (given the
    trained weights when ``loop`` is a reused one, whose own model goes back to the pool)."""
    model = loop.model
    users, movies, ratings = data.users, data.movies, data.ratings
    train_rows = data.train_rows

    rng = np.random.default_rng(spec.seed)
    sets = evaluation_rows(train_rows, split.stop, rng)
    eval_train = sets["train"]

    history: dict[str, list[float]] = {}
    stopper = EarlyStopping(model.weights, spec.early_stopping_patience)
    settled_epoch: int | None = None
    n_batches = -(-len(train_rows) // spec.batch_size)
    fixed = None if loop.timed_calls else max(1, n_batches // FIXED_CALLS_PER_EPOCH)
    calls = StepsPerCall(EVENT_SECONDS, fixed)
    step_seconds, started = 0.0, time.perf_counter()
    start_loss = data.start_loss_floor  # raised to the first call's loss (the first step's)

    evaluated = {
        name: (users[rows], movies[rows], ratings[rows]) for name, rows in sets.items() if len(rows)
    }
    # the training rows' columns gathered once: a shuffle then gathers from them (the same
    # orders as gathering through ``train_rows`` every epoch)
    shuffle = EpochShuffle(
        [users[train_rows], movies[train_rows], ratings[train_rows]],
        rng,
        block=SHUFFLE_BLOCK if len(train_rows) >= XLA_MIN_RATINGS else 1,
        pad_to=spec.batch_size if loop.padded else None,
    )

    def shuffled() -> tuple[tf.Tensor, ...]:
        return loop.epoch_tensors(*shuffle.next())

    # The next epoch's shuffle runs on another thread while this epoch's steps run (the steps
    # release the GIL): epochs draw their orders from ``rng`` one after the other, as before.
    prefetch = ThreadPoolExecutor(1, thread_name_prefix="movierate-shuffle")
    upcoming = prefetch.submit(shuffled)
    if loop.plain:  # compiled on that thread while the step compiles on this one (a new loop)
        prefetch.submit(loop.compile_evaluation)
    try:
        for epoch in range(1, spec.epochs + 1):
            epoch_start = time.perf_counter()
            loss_sum = 0.0
            loop.optimizer.start_epoch(epoch, spec.learning_rate_decay)
            epoch_tensors = upcoming.result()
            if epoch < spec.epochs:
                upcoming = prefetch.submit(shuffled)
            done = 0
            while done < n_batches:
                if cancel is not None and cancel.is_set():
                    raise TrainingCancelled(f"Training cancelled by the user in epoch {epoch}.")
                count = calls.next(n_batches - done)
                call_start = time.perf_counter()
                loss = loop.run_batches(
                    *epoch_tensors, len(train_rows), done, count, spec.batch_size
                )
                loss_sum += float(loss)
                if epoch == 1 and done == 0:
                    start_loss = max(start_loss, float(loss) / count)
                calls.record(count, time.perf_counter() - call_start)
                done += count
                if progress is not None and done < n_batches:
                    running = {"loss": loss_sum / done}
                    progress(
                        ProgressEvent(Phase.BATCH, epoch, spec.epochs, done, n_batches, running)
                    )
            step_seconds += time.perf_counter() - epoch_start
            metrics = {"loss": loss_sum / n_batches}
            for name, rows_columns in evaluated.items():
                rmse, mae = loop.evaluate(*rows_columns)
                metrics[f"{name}_rmse"], metrics[f"{name}_mae"] = rmse, mae
            # before the penalties read NaN rows
            check_diverged(epoch, metrics, model.weights, data.scale_width, spec.learning_rate)
            check_loss_diverged(
                epoch, [*history.get("loss", []), metrics["loss"]], start_loss, spec.learning_rate
            )
            metrics.update(loop.regularizer_losses())
            for key, value in metrics.items():
                history.setdefault(key, []).append(float(value))
            if progress is not None:
                progress(
                    ProgressEvent(Phase.EPOCH, epoch, spec.epochs, n_batches, n_batches, metrics)
                )
            if settled_epoch is None and regularizers_settled(history, spec):
                settled_epoch = epoch
            # while the regularizers are still taking hold, an epoch neither stops nor is picked;
            # with no stop rows none is picked: the last is kept (accuracy round 43, F1: the
            # lowest training RMSE chose an earlier epoch of a refit said to run N epochs)
            watched = metrics.get("stop_rmse")
            if settled_epoch is not None and watched is not None and stopper.update(epoch, watched):
                break
            if stop_after is not None and stop_after():
                break
    finally:  # the thread ends once its shuffle (if any) is done
        prefetch.shutdown(wait=False, cancel_futures=True)
    epochs_run = len(history["loss"])
    # never settled: keep the last epoch, the most regularized one
    best_epoch = stopper.restore(fallback_epoch=epochs_run)
    selection = None
    if spec.regularizers.get("ordered"):
        held = np.asarray(split.stop if rank_rows is None else rank_rows, dtype=np.int64)
        sort_dimensions(
            model,
            spec,
            users[eval_train],
            movies[eval_train],
            ratings[eval_train],
            (users[held], movies[held], ratings[held]) if len(held) else None,
        )
        if ORDERED_PRUNE and len(held):
            selection = prune_dimensions(model, spec, users[held], movies[held], ratings[held])
    train_seconds = time.perf_counter() - started
    final = {key: values[best_epoch - 1] for key, values in history.items()}
    if selection is not None:
        final.update(kept_dims=selection.kept, rank_rows=selection.n_rows)
        if selection.kept < spec.dim:  # accuracy round 35, F1: the saved model's own numbers
            final.update(_pruned_metrics(loop, evaluated, final))
    final.update(
        best_epoch=best_epoch,
        epochs_run=epochs_run,
        settled_epoch=float("nan") if settled_epoch is None else settled_epoch,
    )
    if progress is not None:
        progress(
            ProgressEvent(Phase.DONE, best_epoch, spec.epochs, n_batches, n_batches, dict(final))
        )
    if model is not fresh:
        fresh.set_weights(model.get_weights())
    return TrainResult(
        keras_model=fresh,
        spec=spec,
        arrays=export_arrays(model, spec),
        history=history,
        metrics=final,
        train_seconds=train_seconds,
        ratings_per_second=len(train_rows) * epochs_run / max(step_seconds, 1e-9),
        global_mean=data.global_mean,
    )


#: The suffix of a pruned ``ordered`` model's metrics as they were before its rank selection
#: (``train_rmse_before_pruning``): what the per-epoch history shows at the best epoch.
BEFORE_PRUNING = "_before_pruning"


def _pruned_metrics(
    loop: _TrainingLoop,
    evaluated: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    final: dict[str, float],
) -> dict[str, float]:
    """The RMSE / MAE of the ``evaluated`` rows (train sample, stop rows) scored again on the
    pruned weights, each with the best epoch's value before pruning as ``<key>_before_pruning``.
    The history keeps the values training logged; a pruned model recorded those of the model
    before its dimensions were zeroed (accuracy round 35, F1: train RMSE 0.6926 recorded,
    0.8092 saved)."""
    metrics = {}
    for name, rows_columns in evaluated.items():
        rmse, mae = loop.evaluate(*rows_columns)
        for key, value in ((f"{name}_rmse", rmse), (f"{name}_mae", mae)):
            metrics[f"{key}{BEFORE_PRUNING}"] = final[key]
            metrics[key] = float(value)
    return metrics


class StepsPerCall:
    """How many training steps each graph call runs: about ``seconds`` worth, timed on the
    previous call (the first call, which may trace and compile, runs one step and is not
    timed), or always ``fixed`` when given.

    >>> calls = StepsPerCall(0.25)
    >>> calls.next(100), calls.record(1, 2.0), calls.next(100)
    (1, None, 1)
    >>> calls.record(1, 0.01), calls.next(100), calls.next(7)
    (None, 25, 7)
    >>> StepsPerCall(0.25, fixed=4).next(100)
    4
    """

    def __init__(self, seconds: float, fixed: int | None = None) -> None:
        self.seconds, self.fixed = seconds, fixed
        self.per_step: float | None = None
        self.timed = False

    def next(self, left: int) -> int:
        """Steps for the next call, at most ``left``."""
        if self.fixed is not None:
            return min(left, self.fixed)
        if self.per_step is None:
            return 1
        return int(min(left, max(1, self.seconds / self.per_step)))

    def record(self, steps: int, seconds: float) -> None:
        """The last call ran ``steps`` steps in ``seconds``."""
        if self.timed:
            self.per_step = seconds / max(steps, 1)
        self.timed = True


def regularizer_sample_size(n_movies: int, n_train: int, batch_size: int) -> int:
    """Movie rows per step for the sampled penalties (see REGULARIZER_VISITS)."""
    steps = max(1, -(-n_train // batch_size))
    wanted = -(-n_movies * REGULARIZER_VISITS // steps)
    return int(min(n_movies, max(REGULARIZER_SAMPLE, wanted)))


class EarlyStopping:
    """Best-epoch bookkeeping of a training loop: keeps a copy of ``weights`` at the epoch with
    the lowest watched value, says when ``patience`` epochs in a row did not improve it, and
    puts the best copy back (:meth:`restore`). Patience 0 is early stopping off: every epoch
    runs and the last one's weights are kept (it stopped at the first epoch without a better
    RMSE, though the form says "0 = off": views review round 3)."""

    def __init__(
        self, weights: list[Any], patience: int, tolerance: float = STOP_TOLERANCE
    ) -> None:
        self.weights, self.patience, self.tolerance = weights, patience, tolerance
        self.value, self.epoch, self.saved, self.stale = np.inf, 0, [], 0

    def update(self, epoch: int, watched: float) -> bool:
        """Record ``epoch``'s watched value; True when training should stop."""
        if not self.patience:
            return False
        if watched < self.value - self.tolerance:
            self.value, self.epoch, self.stale = watched, epoch, 0
            self.saved = [v.numpy() for v in self.weights]
            return False
        self.stale += 1
        return self.stale > self.patience

    def restore(self, fallback_epoch: int) -> int:
        """Put the best epoch's weights back and return that epoch; with no epoch recorded,
        keep the weights as they are and return ``fallback_epoch``."""
        if self.epoch == 0:
            return fallback_epoch
        for variable, value in zip(self.weights, self.saved, strict=True):
            variable.assign(value)
        return self.epoch


def regularizers_settled(history: dict[str, list[float]], spec: ModelSpec) -> bool:
    """Whether every non-L2 regularizer has taken hold by the last epoch of ``history``.

    A regularizer has taken hold when its measure (``reg_whitening``; for decorrelation the mean
    |off-diagonal correlation| ``corr_offdiag``, scale-free unlike its penalty; for adversarial
    the mean KS distance to U(-1, 1), ``ks_uniform``) fell by at most
    SETTLE_TOLERANCE of its value in each of the last SETTLE_WINDOW epochs, or is below
    SETTLE_FLOOR times its epoch-1 value. L2 alone (or no regularizer) is settled from epoch 1.
    """
    for kind, strength in spec.regularizers.items():
        key = SETTLE_MEASURES.get(kind)
        if not strength or key is None:
            continue
        values = history.get(key, [])
        if len(values) < SETTLE_WINDOW + 1:
            return False
        if values[-1] <= SETTLE_FLOOR * values[0]:
            continue
        recent = values[-SETTLE_WINDOW - 1 :]
        for previous, last in zip(recent[:-1], recent[1:], strict=True):
            if previous - last > SETTLE_TOLERANCE * abs(previous):
                return False
    return True


#: Whether :func:`sort_dimensions` rotates dot-product models to their principal basis
#: before sorting (docs/regularizer-study.md, section 5, measures both).
ORDERED_ROTATION = True
#: Training rows on which :func:`sort_dimensions` measures each dimension's importance.
SORT_ROWS = 20_000
#: Whether the ``ordered`` option ends with :func:`prune_dimensions` on the early-stopping rows
#: (docs/regularizer-study.md, section 5): dimensions beyond the held-out rank are set to zero.
ORDERED_PRUNE = True
#: (docs/regularizer-study.md, section 5, "The prefix target": the three below were compared on
#: a separate split with benchmarks/bench_ordered_posthoc.py; the old behaviour was True /
#: "count" / "one_se".)
#: Whether :func:`sort_dimensions` still permutes a rotated (``mf`` / ``mf_bias`` / ``svdpp``)
#: model by single-dimension ablation after the principal rotation. The principal order is
#: already the best rank-k order for every k (Eckart-Young); ``deep`` (no rotation) and
#: ORDERED_ROTATION off always permute.
ORDERED_PERMUTE_ROTATED = False
#: Row weights of the principal rotation: ``"count"`` (users / movies by their training counts),
#: ``"uniform"``, or ``"stop"``: whichever of the two has the lower first-k squared error on the
#: held-out (early-stopping) rows, summed over k = 1 .. dim (``"count"`` without such rows).
ORDERED_WEIGHTING = "count"
#: The rank selection's rule (:func:`movierate.explore.ordering.select_rank`): ``"one_se"``, the
#: smallest k within one standard error of the best k, or ``"best"``, the best k itself.
ORDERED_RANK_RULE = "best"


def sort_dimensions(
    model: RatingModel,
    spec: ModelSpec,
    users: np.ndarray,
    movies: np.ndarray,
    ratings: np.ndarray,
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Re-express the trained model so its dimensions come in order of importance, in place,
    without changing a prediction (beyond float32 rounding); returns the final permutation.

    ``mf`` / ``mf_bias`` / ``svdpp``: rotate to the principal basis of the score matrix U M^T,
    users and movies weighted as ORDERED_WEIGHTING says (default: by their training counts;
    ``"stop"`` chooses on ``held``, the early-stopping rows) with
    :func:`movierate.basis.principal_rotation`; that order is kept (the first k dimensions are
    the best rank-k approximation for every k) unless ORDERED_PERMUTE_ROTATED. ``deep`` (and
    every family with ORDERED_ROTATION off): permute the dimensions (and the first dense
    layer's inputs) so that their importance on training rows decreases with index.

    Importance = RMSE increase when the dimension is zeroed in both embeddings (numpy scoring on
    up to SORT_ROWS training rows). A permutation changes no prediction; it fixes the order of
    the ``ordered`` regularizer's leading dimensions, which training leaves where the random
    initialisation put them.
    """
    from movierate import scoring

    rotated = spec.family != "deep" and ORDERED_ROTATION
    if rotated:  # first the principal basis of U M^T
        user_table, movie_table = model.user_embedding.embeddings, model.movie_embedding.embeddings
        a, b = _rotation(model, spec, users, movies, held)
        user_table.assign((user_table.numpy().astype(np.float64) @ a).astype(np.float32))
        movie_table.assign((movie_table.numpy().astype(np.float64) @ b).astype(np.float32))
        if model.implicit_embedding is not None:  # SVD++: u = p + implicit part, both by A
            implicit = model.implicit_embedding.embeddings
            implicit.assign((implicit.numpy().astype(np.float64) @ a).astype(np.float32))
    if rotated and not ORDERED_PERMUTE_ROTATED:  # the principal order is the prefix order
        return np.arange(spec.dim)
    n = min(SORT_ROWS, len(users))
    rows = np.random.default_rng(spec.seed).choice(len(users), n, replace=False)
    u, m, r = users[rows], movies[rows], ratings[rows].astype(np.float64)
    arrays = export_arrays(model, spec)
    scale = (model.rating_scale[0], model.rating_scale[1])
    base = scoring.predict(arrays, spec, u, m, scale)
    dim = spec.dim
    increase = np.empty(dim)
    user_emb, movie_emb = arrays["user_embedding"].copy(), arrays["movie_embedding"].copy()
    for j in range(dim):
        ablated = dict(arrays)
        ablated["user_embedding"], ablated["movie_embedding"] = user_emb.copy(), movie_emb.copy()
        ablated["user_embedding"][:, j] = 0.0
        ablated["movie_embedding"][:, j] = 0.0
        pred = scoring.predict(ablated, spec, u, m, scale)
        increase[j] = np.sqrt(np.mean((pred - r) ** 2)) - np.sqrt(np.mean((base - r) ** 2))
    order = np.argsort(-increase, kind="stable")
    for layer in (model.user_embedding, model.movie_embedding, model.implicit_embedding):
        if layer is not None:
            layer.embeddings.assign(layer.embeddings.numpy()[:, order])
    if model.hidden:
        kernel = model.hidden[0][0].kernel
        k = kernel.numpy()
        kernel.assign(np.concatenate([k[:dim][order], k[dim:][order]]))
    return order


def _rotation(
    model: RatingModel,
    spec: ModelSpec,
    users: np.ndarray,
    movies: np.ndarray,
    held: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The principal rotation (A, B) of ``model``'s tables with the weighting ORDERED_WEIGHTING
    asks for (``"stop"``: the lower held-out first-k error summed over k, count vs uniform)."""
    from types import SimpleNamespace

    from movierate.basis import principal_rotation
    from movierate.explore.ordering import prefix_errors

    user = model.user_embedding.embeddings.numpy()
    movie = model.movie_embedding.embeddings.numpy()
    counts = (
        np.bincount(users, minlength=model.n_users),
        np.bincount(movies, minlength=model.n_movies),
    )
    if ORDERED_WEIGHTING == "uniform":
        return principal_rotation(user, movie)
    if ORDERED_WEIGHTING == "count" or held is None or not len(held[0]):
        return principal_rotation(user, movie, *counts)
    if ORDERED_WEIGHTING != "stop":
        raise SpecError(f"ORDERED_WEIGHTING {ORDERED_WEIGHTING!r}: choose count, uniform or stop.")
    arrays = export_arrays(model, spec)
    best, best_error = None, np.inf
    for weights in (counts, (None, None)):
        a, b = principal_rotation(user, movie, *weights)
        view = dict(arrays)  # svdpp: the effective user vectors rotate by A as p and y do
        for key, rotation in (("user_embedding", a), ("movie_embedding", b)):
            view[key] = (np.asarray(arrays[key], np.float64) @ rotation).astype(np.float32)
        ns = SimpleNamespace(arrays=view, spec=spec, rating_scale=model.rating_scale)
        error = float(prefix_errors(ns, *held)[1:].sum())
        if error < best_error:
            best, best_error = (a, b), error
    return best


def prune_dimensions(
    model: RatingModel, spec: ModelSpec, users: np.ndarray, movies: np.ndarray, ratings: np.ndarray
) -> Any:
    """Keep the first K dimensions and set the others to exactly zero, in place; returns the
    :class:`movierate.explore.ordering.RankSelection` (K = ``.kept``).

    K comes from :func:`movierate.explore.ordering.select_rank` on the given (held-out) rows:
    with ORDERED_RANK_RULE ``"best"`` (the default) the k of the lowest first-k mean squared
    error, with ``"one_se"`` the smallest k within one standard error (of the paired per-row
    differences) of that best k's. Dimensions K .. dim - 1 are zeroed in the user
    and movie embeddings (and in SVD++'s implicit table, so the user vector's are zero too);
    for ``deep`` also the first dense layer's rows reading them, so their inputs contribute
    nothing and the input norms show it. Predictions then equal the first-K prefix that
    :func:`~movierate.explore.ordering.prefix_curve` measures. Call after
    :func:`sort_dimensions` (the leading dimensions must be the important ones).
    """
    from types import SimpleNamespace

    from movierate.explore.ordering import select_rank

    view = SimpleNamespace(
        arrays=export_arrays(model, spec), spec=spec, rating_scale=model.rating_scale
    )
    selection = select_rank(view, users, movies, ratings)
    if ORDERED_RANK_RULE == "best":
        selection = dataclasses.replace(selection, kept=selection.best_k)
    kept, dim = selection.kept, spec.dim
    if kept < dim:
        layers = [model.user_embedding, model.movie_embedding]
        if model.implicit_embedding is not None:
            layers.append(model.implicit_embedding)
        for layer in layers:
            table = layer.embeddings.numpy()
            table[:, kept:] = 0.0
            layer.embeddings.assign(table)
        if model.hidden:
            kernel = model.hidden[0][0].kernel
            k = kernel.numpy()
            k[kept:dim] = 0.0
            k[dim + kept : 2 * dim] = 0.0
            kernel.assign(k)
    return selection


def summed_steps(count: tf.Tensor, step: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
    """``step(0) + ... + step(count - 1)``, run in order as one ``tf.while_loop``, summed in
    float64: exact for the float32 losses of an epoch's steps, so an epoch's logged loss does
    not depend on how its steps were grouped into calls (:class:`StepsPerCall` sizes them by
    wall time; in float32 a reused loop logged another last digit than a new one).

    Written out rather than left to AutoGraph: the loops are traced with ``autograph=False``,
    since converting the step's Python source (and everything it calls) took ~1.6-2 s of a
    process's first training at 2 M ratings (its first epoch: 3.4-3.9 s with it, 1.8-1.9 s
    without).
    """
    _, total = tf.while_loop(
        lambda i, _: i < count,
        lambda i, total: (i + 1, total + tf.cast(step(i), tf.float64)),
        (tf.constant(0), tf.constant(0.0, tf.float64)),
    )
    return total


def _mean(values: tf.Tensor, weights: tf.Tensor | None) -> tf.Tensor:
    """The mean of ``values``, weighted by ``weights`` when given."""
    if weights is None:
        return tf.reduce_mean(values)
    return tf.reduce_sum(values * weights) / tf.reduce_sum(weights)


def _l2_weights(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Per-row L2 weights ~ count**-alpha, scaled so the mean weight over examples is 1."""
    counts = np.bincount(rows, minlength=n_rows).astype(np.float64)
    weights = np.where(counts > 0, np.maximum(counts, 1.0) ** -L2_COUNT_EXPONENT, 0.0)
    weights *= len(rows) / max(float(np.dot(weights, counts)), 1e-12)
    return weights.astype(np.float32)


def loop_function(method: Callable[..., Any], **options: Any) -> Any:
    """``tf.function(method, **options)`` for a bound method of one loop object, traced once
    per loop. TensorFlow counts traces per code object, so every new loop's first trace read
    as a retracing, and a run of models (``study``) printed its warning about it (README review
    s31); a partial is a key of its own, so only a loop's own retracing is counted."""
    return tf.function(functools.partial(method), **options)


class _TrainingLoop:
    """The compiled training step, evaluation and regularizer logging of one model."""

    #: Whether the batch loop may size its graph calls by their time (:class:`StepsPerCall`).
    timed_calls = True

    def __init__(
        self,
        model: RatingModel,
        spec: ModelSpec,
        user_l2_weight: np.ndarray,
        movie_l2_weight: np.ndarray,
        sample_size: int = REGULARIZER_SAMPLE,
        n_train: int | None = None,
        penalty_rows: np.ndarray | None = None,
    ) -> None:
        self.model, self.spec = model, spec
        #: the movie rows the spread penalties shape and log (:func:`spread_penalty_rows`)
        self.penalty_rows = None if penalty_rows is None else tf.constant(penalty_rows, tf.int32)
        self.user_l2_weight = tf.Variable(user_l2_weight, trainable=False)
        self.movie_l2_weight = tf.Variable(movie_l2_weight, trainable=False)
        n_movies = len(movie_l2_weight)
        self.user_table = model.user_embedding.embeddings.value
        self.movie_table = model.movie_embedding.embeddings.value
        strengths = dict(spec.regularizers)
        self.l2 = EmbeddingL2(strengths.pop("l2", 0.0))
        self.ordered = Ordered(strengths.pop("ordered", 0.0), ORDERED_METHOD)
        # sums of the unit-strength ordering loss over an epoch's steps (logged as reg_ordered)
        self.ordered_sum = tf.Variable(0.0, trainable=False)
        self.ordered_steps = tf.Variable(0.0, trainable=False)
        self.sampled = {
            kind: make_regularizer(kind, strength, seed=spec.seed + 100)
            for kind, strength in strengths.items()
        }
        self.adversarial = self.sampled.get("adversarial")
        self.n_penalised = n_movies if penalty_rows is None else len(penalty_rows)
        self.sample_size = min(int(sample_size), self.n_penalised)
        self.n_movies = n_movies
        self.random = tf.random.Generator.from_seed(spec.seed)
        self.bias_tables = [
            (side, layer.embeddings.value)
            for side, layer in (("user", model.user_bias), ("movie", model.movie_bias))
            if layer is not None
        ]
        self.implicit_table = (
            model.implicit_embedding.embeddings.value
            if model.implicit_embedding is not None
            else None
        )
        tables = {id(self.user_table), id(self.movie_table), id(self.implicit_table)}
        tables |= {id(table) for _, table in self.bias_tables}
        variables = [v.value for v in model.trainable_weights]
        self.dense_variables = [v for v in variables if id(v) not in tables]
        self.optimizer = SparseOptimizer(spec.optimizer, spec.learning_rate, variables)
        if isinstance(self.adversarial, Adversarial):
            critic = self.adversarial.build_critic(spec.dim)
            self.critic_variables = [v.value for v in critic.trainable_weights]
            self.critic_optimizer = SparseOptimizer(
                "adam", CRITIC_LEARNING_RATE, self.critic_variables
            )
        index = tf.TensorSpec([None], tf.int32)
        scalar = tf.TensorSpec([], tf.int32)
        self.run_batches = loop_function(
            self._run_batches,
            input_signature=[
                index,
                index,
                tf.TensorSpec([None], tf.float32),
                scalar,
                scalar,
                scalar,
                scalar,
            ],
            autograph=False,
        )
        large = n_train is None or n_train >= XLA_MIN_RATINGS
        self.plain = XLA_PLAIN_STEP and large and self._is_plain()
        # where the step is compiled, so are the epoch's evaluations (one shape: padded chunks)
        self._error_sums = loop_function(
            self._error_sums_batch,
            input_signature=[index, index, tf.TensorSpec([None], tf.float32), scalar],
            jit_compile=self.plain,
            autograph=False,
        )
        #: per side: whether the plain step updates its whole tables in XLA (see DENSE_TABLE_FACTOR)
        self.dense_sides = {
            side: self.plain and int(table.shape[0]) <= DENSE_TABLE_FACTOR * spec.batch_size
            for side, table in (("user", self.user_table), ("movie", self.movie_table))
        }
        #: whether every batch, the short last one padded, takes the plain step (not ``deep``:
        #: padded rows would enter its batch normalisation)
        self.padded = self.plain and spec.family != "deep"
        if self.plain:
            self._plain_update_xla = loop_function(
                self._plain_update, jit_compile=True, autograph=False
            )

    def reset(
        self,
        initial: RatingModel,
        spec: ModelSpec,
        user_l2_weight: np.ndarray,
        movie_l2_weight: np.ndarray,
    ) -> None:
        """Start a new training of a :func:`resettable` loop: ``initial``'s weights, the new
        per-row L2 weights, fresh optimizer slots and ``spec`` (which may differ from the
        loop's own only in :data:`_RESET_FIELDS`)."""
        self.spec = spec
        self.model.set_weights(initial.get_weights())
        self.user_l2_weight.assign(user_l2_weight)
        self.movie_l2_weight.assign(movie_l2_weight)
        self.optimizer.reset()
        self.random.reset_from_seed(spec.seed)

    def _is_plain(self) -> bool:
        """Whether :meth:`_plain_step` computes exactly what the general :meth:`_step` does."""
        return (
            self.implicit_table is None
            and not self.sampled
            and not self.ordered.strength
            and self.adversarial is None
            and type(self).combine is _TrainingLoop.combine
            and type(self)._step is _TrainingLoop._step
        )

    def _l2_loss(
        self,
        users: tf.Tensor,
        movies: tf.Tensor,
        u: tf.Tensor,
        m: tf.Tensor,
        weights: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """The ``l2`` term: row-weighted squared norms of the batch's user and movie vectors
        (their mean over the examples, weighted by ``weights`` when given)."""
        user_w = tf.gather(self.user_l2_weight, users)
        movie_w = tf.gather(self.movie_l2_weight, movies)
        return self.l2.strength * (
            _mean(user_w * tf.reduce_sum(u * u, 1), weights)
            + _mean(movie_w * tf.reduce_sum(m * m, 1), weights)
        )

    def _sample_rows(self) -> tf.Tensor:
        """A uniform sample of the penalised movie rows (all of them when the sample would be)."""
        if self.sample_size == self.n_penalised:
            picks = tf.range(self.n_penalised)
        else:
            picks = self.random.uniform([self.sample_size], 0, self.n_penalised, dtype=tf.int32)
        return picks if self.penalty_rows is None else tf.gather(self.penalty_rows, picks)

    def penalised_movies(self) -> tf.Tensor:
        """The movie vectors the spread penalties shape (the whole table unless limited)."""
        if self.penalty_rows is None:
            return tf.convert_to_tensor(self.movie_table)
        return tf.gather(self.movie_table, self.penalty_rows)

    @staticmethod
    def epoch_tensors(*arrays: np.ndarray) -> tuple[tf.Tensor, ...]:
        """One epoch's shuffled users, movies and ratings as tensors (converted once)."""
        return tuple(tf.constant(a) for a in arrays)

    def _run_batches(self, users, movies, ratings, n, first, count, batch_size) -> tf.Tensor:
        """Steps over batches ``first .. first + count - 1`` of the epoch's ``n`` examples in one
        graph call; summed MSE. With :attr:`padded`, the columns are padded to whole batches
        (:class:`~movierate.nn.shuffle.EpochShuffle`)."""

        def step(i: tf.Tensor) -> tf.Tensor:
            start = (first + i) * batch_size
            end = tf.minimum(start + batch_size, n)
            if self.padded:  # one static shape for XLA: a short last batch is padded, weight 0
                whole = start + batch_size
                padded = (users[start:whole], movies[start:whole], ratings[start:whole])
                return self._plain_step(*padded, end - start)
            batch = (users[start:end], movies[start:end], ratings[start:end])
            if self.plain:  # XLA compiles per shape: a short last batch takes the general step
                return tf.cond(
                    end - start == batch_size,
                    lambda: self._plain_step(*batch),
                    lambda: self._step(*batch),
                )
            return self._step(*batch)

        return summed_steps(count, step)

    def combine(self, tables, gathered, grads, batch):
        """Row updates ``(table, rows, grad, current)`` and dense gradients to apply: this
        process's own (``nn.distributed`` sums them over workers)."""
        n = len(tables)
        updates = [
            (table, rows, tf.convert_to_tensor(grad), current)
            for (table, rows), grad, current in zip(tables, grads[:n], gathered, strict=True)
        ]
        return updates, grads[n:]

    def _side_variables(self, side: str) -> list[list[tf.Variable]]:
        """Per table of ``side`` (embedding, then its bias if any): the variable, then its slots."""
        table = self.user_table if side == "user" else self.movie_table
        tables = [table] + [t for s, t in self.bias_tables if s == side]
        return [[t, *self.optimizer.slot_variables(t)] for t in tables]

    def _plain_step(
        self,
        users: tf.Tensor,
        movies: tf.Tensor,
        ratings: tf.Tensor,
        real: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """:meth:`_step` without the optional terms, its arithmetic compiled by XLA.

        A side with a small table (:data:`DENSE_TABLE_FACTOR`) is read, updated and written whole
        inside the XLA cluster. Otherwise every table's (embedding, bias) and optimizer slot's
        rows are gathered once per unique row, the unique rows padded to min(batch size, table
        rows): a static shape, so XLA compiles once per training, not every step (the unique
        counts change every step; a short last batch takes :meth:`_step`). The XLA cluster
        returns the MSE, the new rows of every such table and slot (``SparseOptimizer.delta``)
        and the dense gradients; only the real rows are written back (``scatter_update``: the
        rows are unique). Given ``real``, only the first ``real`` examples count (the rest pad).
        """
        lr = self.optimizer.next_learning_rate()
        sparse, inputs, positions = [], [], []
        for side, ids in (("user", users), ("movie", movies)):
            if self.dense_sides[side]:
                sparse.append(None)
                inputs.append(None)
                positions.append(ids)
                continue
            table = self.user_table if side == "user" else self.movie_table
            rows, pos = tf.unique(ids)
            count = tf.shape(rows)[0]
            size = tf.minimum(tf.shape(ids)[0], tf.shape(table)[0])  # static per batch size
            padded = tf.pad(rows, [[0, size - count]])
            targets = self._side_variables(side)
            inputs.append([[tf.gather(v, padded) for v in group] for group in targets])
            sparse.append((rows, count, targets))
            positions.append(pos)
        mse, new_user, new_movie, *dense_grads = self._plain_update_xla(
            inputs[0], inputs[1], positions[0], positions[1], ratings, users, movies, lr, real
        )
        for entry, values in zip(sparse, (new_user, new_movie), strict=True):
            if entry is None:
                continue
            rows, count, targets = entry
            for group, new_values in zip(targets, values, strict=True):
                for variable, value in zip(group, new_values, strict=True):
                    variable.scatter_update(tf.IndexedSlices(value[:count], rows))
        for var, grad in zip(self.dense_variables, dense_grads, strict=True):
            if grad is not None:
                self.optimizer.apply_dense(var, grad, lr)
        return mse

    def _plain_update(
        self, user_values, movie_values, user_pos, movie_pos, ratings, users, movies, lr, real
    ):
        """(MSE, new rows of each sparse user table + slots, same for movies, *dense gradients).

        A side given as None is dense: its whole tables are read here and its touched rows'
        update assigned here (an empty list is returned in its place)."""
        weights = None if real is None else tf.cast(tf.range(tf.size(ratings)) < real, tf.float32)
        sides = []
        for side, values, pos in (
            ("user", user_values, user_pos),
            ("movie", movie_values, movie_pos),
        ):
            variables = self._side_variables(side) if values is None else None
            if variables is not None:
                values = [[tf.convert_to_tensor(v) for v in group] for group in variables]
            sides.append((values, pos, variables))
        per_example = [[tf.gather(group[0], pos) for group in values] for values, pos, _ in sides]
        with tf.GradientTape() as tape:
            tape.watch(per_example)
            (u, *user_bias), (m, *movie_bias) = per_example
            z = self.model.centred_score(
                u, m, user_bias[0] if user_bias else None, movie_bias[0] if movie_bias else None,
                training=True,
            )  # fmt: skip
            mse = _mean(tf.square(self.model.to_rating(z, training=True) - ratings), weights)
            loss = self.model.unit_loss(mse)
            if self.l2.strength:
                loss += self._l2_loss(users, movies, u, m, weights)
            if self.model.losses:
                loss += tf.add_n(self.model.losses)
        grads = tape.gradient(loss, per_example + [self.dense_variables])
        new = []
        for (values, pos, variables), side_grads in zip(sides, grads[:2], strict=True):
            n_rows = tf.shape(values[0][0])[0]
            if variables is not None:  # dense: only the rows this batch touched change
                touched = tf.math.unsorted_segment_max(tf.ones_like(pos), pos, n_rows) > 0
            side = []
            for i, (group, grad) in enumerate(zip(values, side_grads, strict=True)):
                merged = tf.math.unsorted_segment_sum(grad, pos, n_rows)
                step, slots = self.optimizer.delta(merged, lr, group[1:])
                updated = [group[0] - step, *slots]
                if variables is None:
                    side.append(updated)
                    continue
                for variable, old, value in zip(variables[i], group, updated, strict=True):
                    variable.assign(tf.where(touched[:, None], value, old))
            new.append(side)
        return [mse, *new, *grads[2]]

    def _step(self, users: tf.Tensor, movies: tf.Tensor, ratings: tf.Tensor) -> tf.Tensor:
        """One update: each touched row is gathered once, its gradient merged, updated sparsely."""
        if self.adversarial is not None:
            self._critic_step()
        batch = tf.shape(movies)[0]
        user_rows, user_pos = tf.unique(users)
        movie_ids = tf.concat([movies, self._sample_rows()], 0) if self.sampled else movies
        movie_rows, movie_pos = tf.unique(movie_ids)
        tables = [(self.user_table, user_rows), (self.movie_table, movie_rows)]
        tables += [
            (table, user_rows if side == "user" else movie_rows) for side, table in self.bias_tables
        ]
        n_plain = len(tables)
        if self.implicit_table is not None:
            implicit_rows, item_pos, pair_user, norm = self.model.implicit_plan(user_rows)
            tables.append((self.implicit_table, implicit_rows))
        gathered = [tf.gather(table, rows) for table, rows in tables]
        with tf.GradientTape() as tape:
            tape.watch(gathered)
            p = tf.gather(gathered[0], user_pos)
            u = p
            if self.implicit_table is not None:
                implicit = self.model.implicit_vectors(gathered[-1], item_pos, pair_user, norm)
                u = p + tf.gather(implicit, user_pos)
            m = tf.gather(gathered[1], movie_pos[:batch])
            biases = {
                side: tf.gather(values, user_pos if side == "user" else movie_pos[:batch])
                for (side, _), values in zip(self.bias_tables, gathered[2:n_plain], strict=True)
            }
            z = self.model.centred_score(
                u, m, biases.get("user"), biases.get("movie"), training=True
            )
            mse = tf.reduce_mean(tf.square(self.model.to_rating(z, training=True) - ratings))
            loss = self.model.unit_loss(mse)
            if self.l2.strength:
                loss += self._l2_loss(users, movies, p, m)
                if self.implicit_table is not None:
                    y = gathered[-1]
                    y_w = tf.gather(self.movie_l2_weight, implicit_rows)
                    loss += (
                        self.l2.strength
                        * tf.reduce_sum(y_w * tf.reduce_sum(y * y, 1))
                        / tf.cast(batch, tf.float32)
                    )
            if self.ordered.strength and self.ordered.method.startswith("graded_l2"):
                ramp = self.ordered.ramp(self.model.spec.dim)
                graded = tf.reduce_mean(
                    tf.gather(self.user_l2_weight, users) * tf.reduce_sum(u * u * ramp, 1)
                ) + tf.reduce_mean(
                    tf.gather(self.movie_l2_weight, movies) * tf.reduce_sum(m * m * ramp, 1)
                )
                if self.ordered.method == "graded_l2":
                    loss += self.ordered.strength * graded
                    self.ordered_sum.assign_add(graded)
                    self.ordered_steps.assign_add(1.0)
                else:
                    loss += self.ordered.strength * GRADED_SHARE * graded
            if self.ordered.strength and self.ordered.method != "graded_l2":
                ordered = self.ordered.loss(
                    self.model,
                    u,
                    m,
                    biases.get("user"),
                    biases.get("movie"),
                    ratings,
                    self.random.uniform([batch]),
                )
                loss += self.ordered.strength * ordered
                self.ordered_sum.assign_add(ordered)
                self.ordered_steps.assign_add(1.0)
            if self.sampled:
                sample = tf.gather(gathered[1], movie_pos[batch:])
                for regularizer in self.sampled.values():
                    loss += regularizer(sample)
            if self.model.losses:
                loss += tf.add_n(self.model.losses)
        grads = tape.gradient(loss, gathered + self.dense_variables)
        updates, dense_grads = self.combine(tables, gathered, grads, batch)
        lr = self.optimizer.next_learning_rate()
        for table, rows, grad, current in updates:
            self.optimizer.apply_rows(table, rows, grad, lr, current)
        for var, grad in zip(self.dense_variables, dense_grads, strict=True):
            if grad is not None:
                self.optimizer.apply_dense(var, grad, lr)
        return mse

    def _critic_step(self) -> None:
        rows = tf.stop_gradient(tf.gather(self.movie_table, self._sample_rows()))
        uniform = self.random.uniform(tf.shape(rows), -1.0, 1.0)
        with tf.GradientTape() as tape:
            loss = self.adversarial.critic_loss(rows, uniform)
        grads = tape.gradient(loss, self.critic_variables)
        self.critic_optimizer.apply(list(zip(grads, self.critic_variables, strict=True)))

    def _error_sums_batch(
        self, users: tf.Tensor, movies: tf.Tensor, ratings: tf.Tensor, real: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Sums of squared and of absolute errors of the final predictions over the first
        ``real`` examples (the rest pad), accumulated in float64."""
        predicted = self.model(tf.stack([users, movies], axis=1), training=False)
        err = tf.cast(tf.reshape(predicted, [-1]) - ratings, tf.float64)
        err = tf.where(tf.range(tf.size(ratings)) < real, err, tf.zeros_like(err))
        return tf.reduce_sum(tf.square(err)), tf.reduce_sum(tf.abs(err))

    def compile_evaluation(self) -> None:
        """Trace and compile :meth:`evaluate`'s graph now: one evaluation of zeros (a loop
        that has compiled it just runs that, a few ms)."""
        zeros = np.zeros(EVAL_BATCH, np.int32)
        self._error_sums(zeros, zeros, zeros.astype(np.float32), 0)

    def evaluate(
        self, users: np.ndarray, movies: np.ndarray, ratings: np.ndarray
    ) -> tuple[float, float]:
        """RMSE and MAE of the final (clipped / squashed) predictions."""
        sq, ab = 0.0, 0.0
        for start in range(0, len(users), EVAL_BATCH):
            chunk = [a[start : start + EVAL_BATCH] for a in (users, movies, ratings)]
            real = len(chunk[0])
            if self.plain and real < EVAL_BATCH:  # XLA compiles per shape: pad to one shape
                chunk = [np.pad(a, (0, EVAL_BATCH - real)) for a in chunk]
            chunk_sq, chunk_ab = self._error_sums(*chunk, real)
            sq += float(chunk_sq)
            ab += float(chunk_ab)
        return float(np.sqrt(sq / len(users))), ab / len(users)

    def regularizer_losses(self) -> dict[str, float]:
        """Raw penalties (strength not applied), one per regularizer: L2's of the rows with a
        training rating (a test-only user's or movie's row keeps its random start, and counting
        it moved the logged L2 of an unchanged model: accuracy round 33, F2), the spread
        penalties' of the movie rows they shape (:meth:`penalised_movies`)."""
        losses = {}
        if "l2" in self.spec.regularizers:
            trained_users = self.user_l2_weight > 0  # rows with no training rating weigh 0
            trained_movies = self.movie_l2_weight > 0
            tables = [(self.user_table, trained_users), (self.movie_table, trained_movies)]
            if self.implicit_table is not None:
                tables.append((self.implicit_table, trained_movies))
            losses["reg_l2"] = sum(
                float(self.l2.penalty(tf.boolean_mask(table, rows))) for table, rows in tables
            )
        penalised = self.penalised_movies()  # the rows the penalties shape, as they log
        for kind, regularizer in self.sampled.items():
            losses[f"reg_{kind}"] = float(regularizer.penalty(penalised))
        if "ordered" in self.spec.regularizers:
            # mean over the epoch's steps (it is a loss of predictions, not of the tables)
            steps = float(self.ordered_steps.numpy())
            losses["reg_ordered"] = float(self.ordered_sum.numpy()) / steps if steps else 0.0
            self.ordered_sum.assign(0.0)
            self.ordered_steps.assign(0.0)
        if self.adversarial is not None:
            uniform = self.random.uniform(tf.shape(penalised), -1.0, 1.0)
            losses["disc_loss"] = float(self.adversarial.critic_loss(penalised, uniform))
            losses["ks_uniform"] = float(ks_uniform(penalised.numpy()).mean())
        if "decorrelation" in self.sampled:
            stats = covariance_stats(penalised.numpy())
            losses["corr_offdiag"] = stats["corr_offdiag_mean_abs"]
        return losses
