"""The built-in tuner: search a model's hyperparameters on the early-stopping rows with Optuna.

Each trial trains one spec on ``split.train`` and is scored by its best early-stopping RMSE on
``split.stop``; the test rows are never read by the search. The saved winner's test RMSE / MAE
are measured afterwards, once, as every saved model's are (``pipeline.test_metrics``). The
per-epoch early-stopping RMSE is reported to Optuna, whose median pruner stops trials that
trail the others at the same epoch. The search ends at the time budget (or ``n_trials``).

What is saved (with ``trials.json`` beside it and a ``tuning`` summary in ``meta.json``):

- ``refit=True`` (the default): the winning spec retrained on train + stop rows for the winning
  trial's best epoch count (no early stopping left to do), optionally as a seed ensemble
  (``ensemble=K``: K such fits saved as ONE mf_bias model, see :func:`concat_ensemble`). The
  stop rows are then training rows: the saved split record says so (``stop_rows_trained``), so
  ``pipeline.recorded_split`` folds them into ``train`` and no view reports them as held out.
  The test rows stay untouched by the search and the refit.
- ``refit=False``: the best trial's model as trained (train rows, early-stopped on stop rows).

TensorFlow and Optuna are imported inside the functions that need them.

>>> result = tune("ml-100k", "ml-100k-tuned", families=("svdpp",), budget_seconds=600)  # doctest: +SKIP
>>> result.best_spec.dim, result.best_value  # doctest: +SKIP
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from movierate import schema, scoring, store
from movierate.errors import SpecError, TrainingCancelled
from movierate.progress import Phase, ProgressCallback, ProgressEvent
from movierate.spec import ModelSpec

#: File written beside a tuned model: every trial (params, state, value, seconds).
TRIALS_FILE = "trials.json"
#: Families the tuner knows a search space for (all of the schema's).
TUNABLE_FAMILIES = schema.names("family")
#: Epoch cap of a trial; early stopping ends most trials well before.
DEFAULT_MAX_EPOCHS = 60
#: Patience of every trial's early stopping.
TRIAL_PATIENCE = 3
#: A trial still running when the budget is spent ends after its current epoch, with its best
#: epoch so far; one still running at this many times the budget (an epoch longer than the
#: rest of the budget) is stopped at once and dropped, once another trial has finished.
HARD_LIMIT_FACTOR = 1.5
#: Trials of the summary's "top" list.
TOP_TRIALS = 5
#: Most seeds of a refit ensemble (each one is a full refit: K x the refit time, K x the dims).
MAX_ENSEMBLE = 8
#: Families whose models average exactly into one model of the same family (dot product).
ENSEMBLE_FAMILIES = ("mf_bias", "mf")
#: Families a blend is made of: dot products plus biases (``autorec`` exports as one).
BLEND_FAMILIES = ("autorec", "mf_bias", "mf")
#: The two members a blend searches when none are named.
DEFAULT_BLEND = ("autorec", "mf_bias")
#: Blend weights tried on the stop rows (the weight of the first member).
BLEND_WEIGHTS = tuple(round(i / 20, 2) for i in range(21))
#: Key of the saved split record saying the stop rows were trained on (a refit).
STOP_ROWS_TRAINED = "stop_rows_trained"


#: The longest search a tuning budget may ask for (minutes): a week.
MAX_BUDGET_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class TuneRequest:
    """What a tuning job searches (families, wall budget, trial cap, seed, epoch cap) and what it
    saves: the winner refit on train + stop rows (``refit``), as a seed ensemble of
    ``ensemble`` fits (dot-product families only; 1 = a single model).

    Plain data, so the dashboard's job registry can queue it like a ModelSpec
    (:func:`job_runner` runs either).
    """

    families: tuple[str, ...] = ("mf_bias",)
    budget_minutes: float = 5.0
    n_trials: int | None = None
    seed: int = 0
    max_epochs: int = DEFAULT_MAX_EPOCHS
    refit: bool = True
    ensemble: int = 1
    blend: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "families", tuple(self.families))

    @property
    def family(self) -> str:
        """The families as one label (what a job list shows in its family column)."""
        return "+".join(self.families)

    def validate(self) -> TuneRequest:
        """Raise SpecError naming the bad setting; else return self."""
        if not self.families:
            raise SpecError("Choose at least one model family to tune.")
        for family in self.families:
            if family not in TUNABLE_FAMILIES:
                raise SpecError(
                    f"Cannot tune family {family!r}: choose from {', '.join(TUNABLE_FAMILIES)}."
                )
        if not (
            isinstance(self.budget_minutes, int | float)
            and not isinstance(self.budget_minutes, bool)
            and 0 < self.budget_minutes <= MAX_BUDGET_MINUTES
        ):
            raise SpecError(
                f"The tuning budget must be a number of minutes from just above 0 to "
                f"{MAX_BUDGET_MINUTES:,} (a week), got {self.budget_minutes!r}."
            )
        if not (
            isinstance(self.seed, int)
            and not isinstance(self.seed, bool)
            and 0 <= self.seed < 2**31
        ):
            raise SpecError(
                f"The search seed (--seed) must be a whole number from 0 to {2**31 - 1}, got "
                f"{self.seed!r}."
            )
        if self.n_trials is not None and not (isinstance(self.n_trials, int) and self.n_trials > 0):
            raise SpecError(
                f"The number of trials (--trials) must be a whole number >= 1, got "
                f"{self.n_trials!r}."
            )
        if not (isinstance(self.max_epochs, int) and 1 <= self.max_epochs <= 10_000):
            raise SpecError(
                "The epoch cap per trial (--max-epochs) must be a whole number from 1 to 10000, "
                f"got {self.max_epochs!r}."
            )
        if not (
            isinstance(self.ensemble, int)
            and not isinstance(self.ensemble, bool)
            and 1 <= self.ensemble <= MAX_ENSEMBLE
        ):
            raise SpecError(
                f"The seed ensemble (--ensemble) must be a whole number from 1 to {MAX_ENSEMBLE}, "
                f"got {self.ensemble!r}."
            )
        if self.ensemble > 1 and not self.refit:
            raise SpecError(
                "A seed ensemble is made of refits on train + stop rows: turn refit on, or use "
                "ensemble 1."
            )
        if self.blend and (
            len(set(self.families)) != 2 or not set(self.families) <= set(BLEND_FAMILIES)
        ):
            raise SpecError(
                f"A blend is made of two different families of {', '.join(BLEND_FAMILIES)} "
                f"(default {' + '.join(DEFAULT_BLEND)}), got {', '.join(self.families)}."
            )
        if self.ensemble > 1 and not set(self.families) & set(ENSEMBLE_FAMILIES):
            raise SpecError(
                f"A seed ensemble is saved as one dot-product model: search one of "
                f"{', '.join(ENSEMBLE_FAMILIES)}, or use ensemble 1."
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the request."""
        data = asdict(self)
        data["families"] = list(self.families)
        return data


@dataclass
class TrialRecord:
    """One trial of a search: its spec, what happened and how long it took."""

    number: int
    state: str  # "complete", "pruned", "failed"
    value: float | None  # best early-stopping RMSE (last reported one for a pruned trial)
    params: dict[str, Any]
    spec: dict[str, Any]
    best_epoch: int | None
    epochs_run: int
    seconds: float
    error: str | None = None  # why it ended early (the time budget) or what went wrong

    @property
    def cut_at_cap(self) -> bool:
        """True for a complete trial whose best epoch was its last and the epoch cap: the cap
        cut it while still improving, so more epochs might have scored lower (accuracy round
        57, F4)."""
        cap = self.spec.get("epochs")
        return (
            self.state == "complete"
            and self.error is None
            and self.best_epoch is not None
            and self.best_epoch == self.epochs_run == cap
        )

    def value_text(self, digits: str = ".4f") -> str:
        """The trial's early-stopping RMSE for a table: a pruned trial's is its last epoch's,
        not a best, and says so (``"0.9595 (pruned: epoch 5's)"``); "-" when it has none."""
        if self.value is None:
            return "-"
        text = format(self.value, digits)
        return f"{text} (pruned: epoch {self.epochs_run}'s)" if self.state == "pruned" else text

    def kept_text(self) -> str:
        """The epoch a trial kept for a table: ``"15, at the cap, still improving"`` when
        :attr:`cut_at_cap`; "-" for a trial that kept none (pruned, failed)."""
        if self.best_epoch is None:
            return "-"
        return (
            f"{self.best_epoch}, at the cap, still improving"
            if self.cut_at_cap
            else str(self.best_epoch)
        )


@dataclass
class TuneResult:
    """The outcome of :func:`tune`: the saved model, the best spec and every trial."""

    name: str
    best_spec: ModelSpec
    best_value: float
    best_trial: int
    trials: list[TrialRecord]
    search_seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    #: The TrainResult that was (or would be) saved: the refit (ensemble) or the best trial's.
    result: Any = None
    #: The best trial's own TrainResult (train rows, early-stopped on the stop rows).
    trial_result: Any = None
    #: The spec of :attr:`result` (the refit's epoch count; an ensemble's K x dim).
    saved_spec: ModelSpec | None = None
    #: A blend's members: one TuneResult per family (its ``result`` = what went into the blend).
    members: list[Any] = field(default_factory=list)


#: Ranges every family searches. A list is a categorical choice; ("log" | "uniform", low, high)
#: a float range. Names are ModelSpec fields, or keys of :data:`PARAM_TO_SPEC`.
COMMON_SPACE: dict[str, Any] = {
    "dim": [16, 32, 48, 64, 96],
    "l2": ("log", 0.01, 1.0),
    "learning_rate": ("log", 1e-3, 3e-2),
    "batch_size": [256, 512, 1024, 2048, 4096],
}
#: Per family: ranges that replace or add to :data:`COMMON_SPACE` (add a family here).
FAMILY_SPACES: dict[str, dict[str, Any]] = {
    # Each step sums N(u) of every user in the batch: big batches keep epochs cheap.
    "svdpp": {"batch_size": [2048, 4096, 8192]},
    "deep": {
        "hidden_units": ["16", "64", "32,4", "64,32", "128,64"],
        "dropout": ("uniform", 0.0, 0.5),
        "dense_l2": ("log", 1e-6, 1e-1),
        "output": ["clip", "sigmoid"],
        "dot_product": [True, False],
        "user_bias": [True, False],
    },
    # Item-based AutoRec: dim is the width of its hidden layer. Measured on ml-100k's stop rows
    # (README, "AutoRec"): l2 (= the paper's lambda / 2) between 40 and 250 with 500 units; 30
    # overfits within 10 epochs, 300+ underfits.
    "autorec": {
        "dim": [200, 300, 500],
        "l2": ("log", 20.0, 400.0),
        "learning_rate": ("log", 3e-4, 3e-3),
        "batch_size": [1024, 2048, 4096],
        "dropout": ("uniform", 0.0, 0.3),
    },
}
#: Families whose FAMILY_SPACES entry is their whole space (no COMMON_SPACE underneath).
OWN_SPACE_FAMILIES = frozenset({"autorec"})
#: Per family: early-stopping patience of a trial when not TRIAL_PATIENCE (autorec's stop RMSE
#: is noisy from epoch to epoch).
FAMILY_PATIENCE: dict[str, int] = {"autorec": 8}
#: Searched names that are not plain ModelSpec fields: value -> spec changes, and back.
PARAM_TO_SPEC: dict[str, Callable[[Any], dict[str, Any]]] = {
    "l2": lambda value: {"regularizers": {"l2": value}},
    "hidden_units": lambda value: {"hidden_units": schema.parse_units(value)},
}
SPEC_TO_PARAM: dict[str, Callable[[ModelSpec], Any]] = {
    "l2": lambda spec: spec.regularizers.get("l2"),
    "hidden_units": lambda spec: ",".join(map(str, spec.hidden_units)),
}


def search_space(
    family: str, n_train: int | None = None, max_epochs: int = DEFAULT_MAX_EPOCHS
) -> dict[str, Any]:
    """The ranges searched for ``family`` (for people and for the saved summary); with
    ``n_train`` training rows, batch sizes that make an epoch of enough steps
    (:func:`_batch_choices`; the recheck: on 4,050 training rows every batch searched made 1-4
    steps an epoch, which learned nothing on the views round's set); ``max_epochs``: the
    search's epoch cap (accuracy round 57: a search capped at 15 recorded "cap 60")."""
    common = {} if family in OWN_SPACE_FAMILIES else COMMON_SPACE
    space = {**common, **FAMILY_SPACES.get(family, {})}
    if n_train is not None and family not in OWN_SPACE_FAMILIES:  # batches of ratings
        # (autorec's batches are of movies; the recheck: deep and svdpp were left out too)
        space["batch_size"] = _batch_choices(space["batch_size"], n_train)
    space["epochs"] = (
        f"early stopping on the stop rows (patience {trial_patience(family)}, cap {max_epochs})"
    )
    return space


def _batch_choices(choices: list[int], n_train: int) -> list[int]:
    """``choices`` as they are while two or more make a quarter of
    ``defaults.MIN_STEPS_PER_EPOCH`` steps an epoch on ``n_train`` rows (the search sorts out
    the rest; svdpp's large batches on ml-100k make 20-40); else the three powers of two up to
    the largest batch that makes them all (never under the floor)."""
    from movierate.defaults import MIN_STEPS_PER_EPOCH, SMALL_BATCH_FLOOR, batch_for_rows

    if sum(4 * n_train >= MIN_STEPS_PER_EPOCH * b for b in choices) >= 2:
        return choices
    top = min(batch_for_rows(n_train), max(choices))
    return sorted({max(SMALL_BATCH_FLOOR, top // 4), max(SMALL_BATCH_FLOOR, top // 2), top})


def trial_patience(family: str) -> int:
    """Early-stopping patience of one trial of ``family``."""
    return FAMILY_PATIENCE.get(family, TRIAL_PATIENCE)


def _searched(family: str, n_train: int | None = None) -> dict[str, Any]:
    """:func:`search_space` without its descriptive ``epochs`` entry."""
    return {k: v for k, v in search_space(family, n_train).items() if k != "epochs"}


def _suggest(trial: Any, name: str, rule: Any) -> Any:
    if isinstance(rule, list):
        return trial.suggest_categorical(name, rule)
    kind, low, high = rule
    return trial.suggest_float(name, low, high, log=kind == "log")


def _in_range(value: Any, rule: Any) -> bool:
    if value is None:
        return False
    if isinstance(rule, list):
        return value in rule
    _kind, low, high = rule
    return isinstance(value, int | float) and low <= value <= high


def suggest_spec(
    trial: Any,
    families: Sequence[str],
    base: ModelSpec,
    max_epochs: int,
    n_train: int | None = None,
) -> ModelSpec:
    """The spec an Optuna ``trial`` proposes (family-specific ranges of :func:`search_space`,
    for ``n_train`` training rows)."""
    family = families[0] if len(families) == 1 else trial.suggest_categorical("family", families)
    # Parameter names carry the family so each family's ranges stay separate in one study.
    key = f"{family}." if len(families) > 1 else ""
    changes: dict[str, Any] = {
        "family": family,
        "epochs": max_epochs,
        "early_stopping_patience": trial_patience(family),
        "user_bias": None,
        "movie_bias": None,
    }
    for name, rule in _searched(family, n_train).items():
        value = _suggest(trial, key + name, rule)
        changes.update(PARAM_TO_SPEC.get(name, lambda v, n=name: {n: v})(value))
    return base.with_(**changes).validate()


def default_trial_params(
    family: str,
    families: Sequence[str],
    dataset_name: str | None,
    data_name: str | None = None,
    n_train: int | None = None,
) -> dict:
    """Optuna params of ``family``'s tuned default on this dataset (movierate.defaults; its
    family defaults as chosen away from the data named ``data_name``), so the search starts
    from it; settings outside the searched ranges are left to the sampler."""
    from movierate.defaults import default_spec_for

    spec = default_spec_for(dataset_name, family, data_name=data_name)
    key = f"{family}." if len(families) > 1 else ""
    params: dict[str, Any] = {"family": family} if len(families) > 1 else {}
    for name, rule in _searched(family, n_train).items():
        value = SPEC_TO_PARAM.get(name, lambda s, n=name: getattr(s, n, None))(spec)
        if name in ("user_bias", "movie_bias"):
            value = spec.has_user_bias if name == "user_bias" else spec.has_movie_bias
        if _in_range(value, rule):
            params[key + name] = value
    return params


class _Prune(Exception):
    """Raised from the progress callback to stop a trial Optuna wants pruned."""


class _TrialCancel:
    """The ``cancel`` a trial's training polls: the user's event or the search's hard limit."""

    def __init__(self, user: threading.Event | None, hard_deadline: float) -> None:
        self.user, self.hard_deadline, self.armed = user, hard_deadline, False

    def is_set(self) -> bool:
        if self.user is not None and self.user.is_set():
            return True
        return self.armed and time.monotonic() > self.hard_deadline


def _flag(value: Any, name: str) -> bool:
    """``value`` of keyword ``name`` as a bool; SpecError unless True or False (bad-input
    round 24: ``overwrite="no"`` replaced a saved model)."""
    return schema.flag(value, name, SpecError)


def tune(
    dataset: Any,
    name: str,
    families: Sequence[str] = ("mf_bias",),
    budget_seconds: float = 300.0,
    n_trials: int | None = None,
    split_params: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_trial: Callable[[TrialRecord], None] | None = None,
    overwrite: bool = False,
    seed: int = 0,
    max_epochs: int = DEFAULT_MAX_EPOCHS,
    base_spec: ModelSpec | None = None,
    save: bool = True,
    split: Any = None,
    refit: bool = True,
    ensemble: int = 1,
    blend: bool = False,
    name_base: str | None = None,
) -> TuneResult:
    """Search specs of ``families`` on ``dataset`` for ``budget_seconds``; save the best as
    ``name`` (with ``trials.json``) unless ``save`` is False.

    ``refit`` (default) retrains the winning spec on train + stop rows for its best epoch count
    and saves that (``ensemble`` > 1: that many seeds, saved as one model, when the winner is a
    dot-product family); otherwise the best trial's early-stopped model is saved.

    ``blend`` searches each of the two ``families`` (default :data:`DEFAULT_BLEND` when
    ``families`` is left at its default) for half the budget, and saves ONE mf_bias model
    predicting w x the first's + (1 - w) x the second's: see :func:`tune_blend`.

    ``progress`` receives ProgressEvents: BATCH events while a trial trains (``epoch`` = trial
    number from 1, ``batch`` / ``batches`` = the trial's epoch / epoch cap, metrics ``trial`` and
    ``trial_stop_rmse``), one EPOCH event per finished trial (metrics ``trial_rmse``,
    ``best_rmse``, ``trials_pruned``) and DONE at the end with the saved model's metrics,
    ``epochs_run`` = trials run and ``best_rmse`` = the winner's early-stopping RMSE (while the winner is refit: BATCH events with ``epoch`` = ``epochs`` = trials run and
    metrics ``refit_epoch``). ``on_trial`` receives each :class:`TrialRecord`. Raises TrainingCancelled when
    ``cancel`` is set (nothing is saved), SpecError / StoreError before any slow work.
    ``split`` (a :class:`movierate.data.Split`) replaces ``split_params`` (benchmarks pass
    train / stop rows that leave their test rows out).
    """
    from movierate.data import load_dataset
    from movierate.defaults import chosen_without_test_rows, seen_fingerprint
    from movierate.pipeline import split_from_settings, split_settings

    overwrite, save = _flag(overwrite, "overwrite"), _flag(save, "save")
    refit, blend = _flag(refit, "refit"), _flag(blend, "blend")
    if blend:
        families = blend_families(families)
    request = TuneRequest(
        tuple(families), budget_seconds / 60.0, n_trials, seed, max_epochs, refit, ensemble, blend
    )
    request.validate()
    if save:
        store.validate_name(name)
        if name_base is None:
            store.check_name_free(name, overwrite=overwrite)
            # taken while the search ran: saved as name-2, ..., not thrown away
            name_base = name
        store.check_writable()  # now, not after the whole search
    params = split_settings(split_params)
    base = base_spec or ModelSpec()
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    split = split if split is not None else split_from_settings(ds, params)
    if blend:
        return tune_blend(
            ds,
            name,
            request,
            split,
            budget_seconds,
            progress=progress,
            cancel=cancel,
            on_trial=on_trial,
            overwrite=overwrite,
            base_spec=base,
            save=save,
            name_base=name_base,
        )

    import optuna

    from movierate.nn.training import TrainingDiverged, train  # imports TensorFlow

    # a trial that fails (Ctrl-C: KeyboardInterrupt) reaches the caller as one clear error;
    # Optuna must not also log it with its stack at WARNING
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=5),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=5),
    )
    # first trials: the tuned defaults of movierate.defaults, where they were chosen without
    # this split's test rows, on these very training and early-stopping rows (else the family's
    # untuned defaults); what the test rows hold chooses nothing (accuracy round 52)
    seen = seen_fingerprint(ds, split)
    tuned = ds.name if chosen_without_test_rows(ds.name, split, seen=seen) else None
    n_train = len(split.train)
    for family in request.families:
        study.enqueue_trial(
            default_trial_params(
                family, request.families, tuned, data_name=ds.name, n_train=n_train
            )
        )
    started = time.monotonic()
    deadline = started + budget_seconds
    limit = _TrialCancel(cancel, started + HARD_LIMIT_FACTOR * budget_seconds)
    records: list[TrialRecord] = []
    best: dict[str, Any] = {"value": math.inf, "result": None, "spec": None, "trial": -1}
    planned = n_trials or 0

    def estimate_trials() -> int:
        if n_trials:
            return n_trials
        done = len(records)
        if not done:
            return max(planned, 10)
        per_trial = (time.monotonic() - started) / done
        return max(done + 1, int(budget_seconds / max(per_trial, 1e-6)))

    def objective(trial: Any) -> float:
        spec = suggest_spec(trial, request.families, base, max_epochs, n_train)
        number = trial.number + 1
        total = estimate_trials()
        trial_start = time.monotonic()
        last: dict[str, float] = {}

        def report(event: ProgressEvent) -> None:
            if event.phase != Phase.EPOCH:
                return
            value = event.metrics.get("stop_rmse", event.metrics.get("train_rmse"))
            last["value"], last["epoch"] = float(value), event.epoch
            trial.report(float(value), event.epoch)
            if progress is not None:
                progress(
                    ProgressEvent(
                        Phase.BATCH,
                        number,
                        total,
                        event.epoch,
                        spec.epochs,
                        # not "stop_rmse": the job's tiles read that as the saved model's
                        {"trial": number, "trial_stop_rmse": float(value)},
                    )
                )
            if trial.should_prune():
                raise _Prune

        state, value, error, result = "complete", None, None, None
        timed_out: list[bool] = []

        def budget_spent() -> bool:  # asked after each epoch: end the trial at the budget
            if time.monotonic() > deadline:
                timed_out.append(True)
            return bool(timed_out)

        try:
            result = train(ds, split, spec, progress=report, cancel=limit, stop_after=budget_spent)
            value = float(result.metrics.get("stop_rmse", result.metrics["train_rmse"]))
            if timed_out:
                error = "ended at the budget, best epoch so far kept"
        except _Prune:
            state, value = "pruned", last.get("value")
        except TrainingDiverged as exc:  # these settings cannot train: the search moves on
            state, value, error = "pruned", None, str(exc)
        except TrainingCancelled:
            if cancel is not None and cancel.is_set():
                raise
            state, value = "pruned", last.get("value")
            error = "stopped at the search's time limit"
        record = TrialRecord(
            number=number,
            state=state,
            value=value,
            params=dict(trial.params),
            spec=spec.to_dict(),
            best_epoch=int(result.metrics["best_epoch"]) if result is not None else None,
            epochs_run=int(result.metrics["epochs_run"])
            if result is not None
            else int(last.get("epoch", 0)),
            seconds=time.monotonic() - trial_start,
            error=error,
        )
        records.append(record)
        if result is not None and value < best["value"]:
            best.update(value=value, result=result, spec=spec, trial=number)
            limit.armed = True  # a finished trial exists: a later one may be cut at the limit
        if on_trial is not None:
            on_trial(record)
        if progress is not None:
            progress(
                ProgressEvent(
                    Phase.EPOCH,
                    number,
                    estimate_trials(),
                    spec.epochs,
                    spec.epochs,
                    {
                        "trial_rmse": float(value) if value is not None else float("nan"),
                        "best_rmse": float(best["value"]),
                        "trials_pruned": float(sum(r.state == "pruned" for r in records)),
                    },
                )
            )
        if state == "pruned":
            raise optuna.TrialPruned()
        return value

    def stop_when_cancelled(study: Any, _trial: Any) -> None:
        if cancel is not None and cancel.is_set():
            study.stop()

    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=budget_seconds,
        callbacks=[stop_when_cancelled],
        catch=(),
    )
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled("Tuning cancelled by the user; no model was saved.")
    search_seconds = time.monotonic() - started
    if best["result"] is None:
        raise TrainingCancelled("No trial finished within the tuning budget; give it more minutes.")
    summary = summarize(records, request, split.describe(), search_seconds, best["trial"])
    summary["stop_rmse_of_mean"] = _stop_rmse_of_mean(ds, split)
    summary.update(searched_stop_gap(ds, split, best["result"]))
    saved, saved_spec, split_record = best["result"], best["spec"], split.describe()
    if refit:
        saved, saved_spec, summary["refit"] = refit_winner(
            ds,
            split,
            best["spec"],
            int(best["result"].metrics["best_epoch"]),
            ensemble=ensemble,
            progress=_refit_progress(progress, len(records)),
            cancel=cancel,
        )
        split_record[STOP_ROWS_TRAINED] = True
    name = _finish(
        name,
        saved,
        saved_spec,
        ds,
        split,
        summary,
        split_record,
        records,
        save,
        overwrite,
        progress,
        name_base,
    )
    return TuneResult(
        name=name,
        best_spec=best["spec"],
        best_value=float(best["value"]),
        best_trial=int(best["trial"]),
        trials=records,
        search_seconds=search_seconds,
        summary=summary,
        result=saved,
        trial_result=best["result"],
        saved_spec=saved_spec,
    )


def _refit_progress(progress: ProgressCallback | None, n_trials: int) -> ProgressCallback | None:
    """The refit's per-epoch events as BATCH events of the search's last position."""
    if progress is None:
        return None

    def forward(event: ProgressEvent) -> None:
        if event.phase == Phase.EPOCH:
            progress(
                ProgressEvent(
                    Phase.BATCH,
                    n_trials,
                    n_trials,
                    event.epoch,
                    event.epochs,
                    {"refit_epoch": float(event.epoch)},
                )
            )

    return forward


def _winner_stop_rmse(summary: Mapping[str, Any]) -> float:
    """The early-stopping RMSE that won the search: the best trial's, or a blend's at its
    chosen weight (a refit has none of its own: it trained on those rows)."""
    won = summary.get("blend") or {"stop_rmse": (summary.get("best") or {}).get("value")}
    value = won.get("stop_rmse")
    return float(value) if isinstance(value, int | float) else float("nan")


def _finish(
    name: str,
    saved: Any,
    spec: ModelSpec,
    ds: Any,
    split: Any,
    summary: dict[str, Any],
    split_record: dict[str, Any],
    records: list[TrialRecord],
    save: bool,
    overwrite: bool,
    progress: ProgressCallback | None,
    name_base: str | None = None,
) -> str:
    """Measure the saved model on the test rows (only now), save it with its trials and tuning
    summary (``save``), and send the DONE event. Returns the name saved under (with
    ``name_base``, a generated name another run took first is replaced by the next free one)."""
    if save:
        from movierate.pipeline import fold_stop_rows, test_metrics

        # a refit trained on the stop rows too: they count as seen for the unseen-rows count
        fitted = fold_stop_rows(split) if split_record.get(STOP_ROWS_TRAINED) else split
        saved.metrics = {
            **saved.metrics,
            **test_metrics(saved.arrays, spec, ds, fitted, saved.rating_scale),
        }
        name = store.save_model(
            name,
            saved,
            ds,
            split,
            spec,
            overwrite=overwrite,
            name_base=name_base,
            extra_meta={"tuning": summary, "split": split_record},
            extra_json={
                TRIALS_FILE: {
                    "trials": store.json_safe([asdict(r) for r in records]),
                    "summary": summary,
                }
            },
        ).name
    if progress is not None:
        final = dict(saved.metrics)
        final["epochs_run"] = len(records)
        final["best_rmse"] = _winner_stop_rmse(summary)
        progress(ProgressEvent(Phase.DONE, len(records), len(records), 0, 0, final))
    return name


def refit_winner(
    ds: Any,
    split: Any,
    spec: ModelSpec,
    best_epoch: int,
    ensemble: int = 1,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Any, ModelSpec, dict[str, Any]]:
    """Retrain ``spec`` on ``split``'s train + stop rows for ``best_epoch`` epochs.

    Returns (TrainResult, its spec, a summary for meta.json). ``ensemble`` > 1 fits that many
    seeds (``spec.seed``, +1, ...) and, for a dot-product family, saves them as ONE model of
    ``ensemble`` x ``spec.dim`` dimensions (:func:`concat_ensemble`); other families get the
    single refit (the summary says so). ``split.test`` is never read.
    """
    from movierate.nn.training import train  # imports TensorFlow
    from movierate.pipeline import fold_stop_rows

    epochs = max(1, int(best_epoch))
    # early stopping off (patience 0): every epoch runs and the last is kept (accuracy round
    # 43, F1: it kept the epoch of the lowest training RMSE, not the Nth)
    refit_spec = spec.with_(epochs=epochs, early_stopping_patience=0)
    refit_split = fold_stop_rows(split)
    rows = refit_split.train
    k = ensemble if spec.family in ENSEMBLE_FAMILIES else 1
    started = time.monotonic()
    results = [
        train(ds, refit_split, refit_spec.with_(seed=spec.seed + i), progress, cancel)
        for i in range(k)
    ]
    if k > 1:
        result = concat_ensemble(results, refit_spec, ds, rows)
        saved_spec = result.spec
    else:
        result, saved_spec = results[0], refit_spec
    info = {
        "rows": "train + stop",
        "n_rows": int(len(rows)),
        "epochs": epochs,
        "seeds": [spec.seed + i for i in range(k)],
        "ensemble": k,
        "requested_ensemble": int(ensemble),
        "dim": saved_spec.dim,
        "seconds": round(time.monotonic() - started, 1),
    }
    return result, saved_spec, info


def blend_families(families: Sequence[str]) -> tuple[str, ...]:
    """The members of a blend asked for with ``families``: :data:`DEFAULT_BLEND` when they are
    none, one or both of its families (the forms' default ``mf_bias`` included), else as given
    (:meth:`TuneRequest.validate` says what is wrong with them)."""
    families = tuple(dict.fromkeys(families))
    return DEFAULT_BLEND if set(families) <= set(DEFAULT_BLEND) else families


def tune_blend(
    ds: Any,
    name: str,
    request: TuneRequest,
    split: Any,
    budget_seconds: float,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_trial: Callable[[TrialRecord], None] | None = None,
    overwrite: bool = False,
    base_spec: ModelSpec | None = None,
    save: bool = True,
    name_base: str | None = None,
) -> TuneResult:
    """:func:`tune` with ``blend``: search each of ``request.families`` (two dot-product
    families), pick the blend weight on the stop rows, save ONE mf_bias model.

    The first family is searched for half of ``budget_seconds``, the second for what is left of
    it (so both together keep the budget, up to one epoch of the trial running at each deadline). The weight w of
    the first member is the :data:`BLEND_WEIGHTS` value whose blend of the two winners' early-
    stopped predictions has the lowest RMSE on ``split.stop`` (:func:`choose_blend_weight`);
    then each winner is refit on train + stop (``request.refit``; the dot-product member as a
    seed ensemble of ``request.ensemble``) and the two are combined into one model predicting
    w x first + (1 - w) x second before clipping (:func:`combine_dot_products`). ``split.test``
    is never read before the saved model's test metrics.
    """
    from dataclasses import replace

    overwrite, save = _flag(overwrite, "overwrite"), _flag(save, "save")
    if len(split.stop) == 0:
        raise SpecError("A blend picks its weight on the early-stopping rows: give stop rows.")
    started = time.monotonic()
    members: list[TuneResult] = []
    records: list[TrialRecord] = []
    offsets: list[int] = []
    for i, family in enumerate(request.families):
        offset = len(records)
        offsets.append(offset)
        share = budget_seconds / 2 if i == 0 else budget_seconds - (time.monotonic() - started)

        def renumber(record: TrialRecord, offset: int = offset, family: str = family) -> None:
            record = replace(record, number=record.number + offset)
            record.params = {"family": family, **record.params}
            records.append(record)
            if on_trial is not None:
                on_trial(record)

        members.append(
            tune(
                ds,
                name,
                families=(family,),
                budget_seconds=max(share, 1.0),
                n_trials=request.n_trials,
                split=split,
                progress=_member_progress(progress, offset),
                cancel=cancel,
                on_trial=renumber,
                seed=request.seed,
                max_epochs=request.max_epochs,
                base_spec=base_spec,
                save=False,
                refit=False,
            )
        )
    search_seconds = time.monotonic() - started
    weight, curve = choose_blend_weight([m.trial_result for m in members], ds, split.stop)
    weights = [weight, 1.0 - weight]
    member_info = []
    split_record = split.describe()
    for member, offset in zip(members, offsets, strict=True):
        info: dict[str, Any] = {
            "family": member.best_spec.family,
            "best_trial": member.best_trial + offset,  # its number in trials.json
            "stop_rmse": member.best_value,
            "best_epoch": int(member.trial_result.metrics["best_epoch"]),
            "n_trials": len(member.trials),
            "search_seconds": round(member.search_seconds, 1),
            "spec": member.best_spec.to_dict(),
        }
        if request.refit:
            k = request.ensemble if member.best_spec.family in ENSEMBLE_FAMILIES else 1
            member.result, member.saved_spec, info["refit"] = refit_winner(
                ds,
                split,
                member.best_spec,
                info["best_epoch"],
                ensemble=k,
                progress=_refit_progress(progress, len(records)),
                cancel=cancel,
            )
        info["dim"] = int(member.saved_spec.dim)
        member_info.append(info)
    if request.refit:
        split_record[STOP_ROWS_TRAINED] = True
    spec = blend_spec([m.saved_spec for m in members])
    rows = np.sort(np.concatenate([split.train, split.stop] if request.refit else [split.train]))
    saved = combine_dot_products([m.result for m in members], weights, spec, ds, rows)
    trial_blend = combine_dot_products(
        [m.trial_result for m in members],
        weights,
        blend_spec([m.best_spec for m in members]),
        ds,
        np.asarray(split.train),
    )
    start = 0
    for info, w in zip(member_info, weights, strict=True):
        info["weight"] = w
        info["columns"] = [start, start + info["dim"]]
        start += info["dim"]
    summary = store.json_safe(
        {
            "request": request.to_dict(),
            "objective": "best early-stopping RMSE on the split's stop rows, per family; then "
            "the blend weight with the lowest stop-row RMSE",
            "split": split.describe(),
            "sampler": "optuna TPESampler, one search per family",
            "search_seconds": round(search_seconds, 1),
            "n_trials": len(records),
            "n_complete": sum(r.state == "complete" for r in records),
            "n_pruned": sum(r.state == "pruned" for r in records),
            "space": {
                f: search_space(f, len(split.train), request.max_epochs) for f in request.families
            },
            "blend": {
                "families": list(request.families),
                "weights": weights,
                "stop_rmse": curve[weight],
                "stop_curve": {f"{w:g}": v for w, v in curve.items()},
                "members": member_info,
                "movie_embedding": "columns of each member, scaled by sqrt(its weight): "
                + ", ".join(
                    f"{i['columns'][0]}-{i['columns'][1] - 1} = {i['family']}"
                    + (" (the movie's code h_i)" if i["family"] == "autorec" else "")
                    + (" (weight 0: all zero)" if i["weight"] == 0 else "")
                    for i in member_info
                ),
                "refit": bool(request.refit),
            },
            "stop_rmse_of_mean": _stop_rmse_of_mean(ds, split),
            **searched_stop_gap(ds, split, trial_blend),
        }
    )
    name = _finish(
        name,
        saved,
        spec,
        ds,
        split,
        summary,
        split_record,
        records,
        save,
        overwrite,
        progress,
        name_base,
    )
    return TuneResult(
        name=name,
        best_spec=trial_blend.spec,
        best_value=float(curve[weight]),
        best_trial=-1,
        trials=records,
        search_seconds=search_seconds,
        summary=summary,
        result=saved,
        trial_result=trial_blend,
        saved_spec=spec,
        members=members,
    )


def _member_progress(progress: ProgressCallback | None, offset: int) -> ProgressCallback | None:
    """A blend member's search events with trial numbers after the previous member's; its DONE
    is dropped (the blend sends one at the end)."""
    if progress is None:
        return None

    def forward(event: ProgressEvent) -> None:
        if event.phase == Phase.DONE:
            return
        progress(
            ProgressEvent(
                event.phase,
                event.epoch + offset,
                event.epochs + offset,
                event.batch,
                event.batches,
                event.metrics,
            )
        )

    return forward


def zero_member_note(blend: Mapping[str, Any]) -> str:
    """What a blend whose weight picked one member alone holds (a tuning summary's ``blend``):
    the other member's columns, scaled by sqrt(0), are all zero, so the model predicts as the
    picked member and only its columns hold anything (accuracy round 52, F3); "" otherwise."""
    members = [m for m in blend.get("members") or () if isinstance(m, Mapping)]
    zero = [m for m in members if m.get("weight") == 0]
    kept = [m for m in members if m.get("weight") == 1]
    if len(members) != 2 or len(zero) != 1 or len(kept) != 1:
        return ""
    (start, stop), dim = zero[0]["columns"], sum(int(m["dim"]) for m in members)
    return (
        f"The weights picked on the early-stopping rows are 1 for {kept[0]['family']} and 0 for "
        f"{zero[0]['family']}, so columns {start}-{stop - 1} ({zero[0]['family']}'s, scaled by "
        "sqrt(0)) are all zero: "
        f"the model predicts as its {kept[0]['family']} member, and only {dim - (stop - start)} "
        f"of its {dim} dimensions hold anything."
    )


def blend_spec(specs: Sequence[ModelSpec]) -> ModelSpec:
    """The spec of a blend of dot-product ``specs``: an mf_bias model of their dims summed (the
    settings of the last non-autorec member, else the first), with both biases."""
    outputs = {s.output for s in specs}
    if len(outputs) != 1 or not outputs <= {"clip", "none"}:
        raise SpecError(
            f"A blend adds its members' scores before one output transform: they must share a "
            f"'clip' or 'none' output, got {', '.join(sorted(outputs))}."
        )
    host = next((s for s in reversed(specs) if s.family != "autorec"), specs[0])
    return host.with_(
        family="mf_bias",
        dim=int(sum(s.dim for s in specs)),
        user_bias=True,
        movie_bias=True,
        dropout=0.0,
    ).validate()


def _centred_scores(arrays: Mapping[str, np.ndarray], users: np.ndarray, movies: np.ndarray):
    """g + s (u . m + biases) of a dot-product model, s its score unit (before its output
    transform)."""
    z = np.einsum(
        "ij,ij->i", arrays["user_embedding"][users], arrays["movie_embedding"][movies]
    ).astype(np.float64)
    if "user_bias" in arrays:
        z += arrays["user_bias"][users]
    if "movie_bias" in arrays:
        z += arrays["movie_bias"][movies]
    unit = scoring.score_unit(arrays)
    return (z if unit == 1.0 else z * unit) + float(arrays["global_mean"])


def choose_blend_weight(
    results: Sequence[Any],
    ds: Any,
    rows: np.ndarray,
    weights: Sequence[float] = BLEND_WEIGHTS,
) -> tuple[float, dict[float, float]]:
    """The weight w of ``results[0]`` (``results[1]`` gets 1 - w) whose blend, clipped to the
    rating scale as the combined model clips it, has the lowest RMSE on ``rows`` (the stop rows:
    never the test rows). Returns (w, {w: RMSE for every weight tried})."""
    if len(results) != 2:
        raise SpecError(f"A blend has two members, got {len(results)}.")
    rows = np.asarray(rows, dtype=np.int64)
    users = ds.ratings["user_idx"].to_numpy()[rows]
    movies = ds.ratings["movie_idx"].to_numpy()[rows]
    truth = ds.ratings["rating"].to_numpy(np.float64)[rows]
    a, b = (_centred_scores(r.arrays, users, movies) for r in results)
    clip = results[0].spec.output == "clip"
    scale = getattr(results[0], "rating_scale", None) or ds.rating_scale
    low, high = float(scale.min), float(scale.max)
    curve: dict[float, float] = {}
    for w in weights:
        pred = w * a + (1.0 - w) * b
        if clip:
            pred = np.clip(pred, low, high)
        curve[float(w)] = float(np.sqrt(np.mean((pred - truth) ** 2)))
    return min(curve, key=lambda w: (curve[w], w)), curve


def concat_ensemble(results: Sequence[Any], spec: ModelSpec, ds: Any, rows: np.ndarray) -> Any:
    """K dot-product models as ONE model whose predictions are their average (before clipping).

    The mean of K dot products u_k . m_k equals one dot product of the tables concatenated and
    scaled by 1/sqrt(K); biases (and the shared global mean) are averaged. The result is a plain
    ``spec.family`` model of K x ``spec.dim`` dimensions (a TrainResult with its Keras model),
    so every page opens it. Train metrics are the ensemble's, measured in numpy on ``rows``.
    """
    k = len(results)
    return combine_dot_products(results, [1.0 / k] * k, spec.with_(dim=spec.dim * k), ds, rows)


def combine_dot_products(
    results: Sequence[Any],
    weights: Sequence[float],
    spec: ModelSpec,
    ds: Any,
    rows: np.ndarray,
) -> Any:
    """Dot-product models (mf / mf_bias / autorec / svdpp arrays) as ONE ``spec`` model whose
    prediction is the weighted sum of theirs before the output transform.

    sum_k w_k (s_k (u_k . m_k + b_u,k + b_m,k) + g_k) is s times one dot product of the tables
    concatenated (member k's columns scaled by sqrt(w_k s_k / s)), plus user bias
    sum_k w_k s_k / s b_u,k, movie bias likewise (a member without one adds 0) and global mean
    sum_k w_k g_k; s_k is member k's score unit, s the combined model's. ``spec`` is the
    combined model's (its dim = the members' dims summed; a ``clip`` or ``none`` output, which
    every member must share). Returns a TrainResult with its Keras model; train metrics are
    measured in numpy on ``rows``; history and epochs are the first member's.
    """
    from movierate.nn.export import export_arrays
    from movierate.nn.models import build_model
    from movierate.nn.training import TrainResult

    weights = [float(w) for w in weights]
    if len(weights) != len(results) or min(weights) < 0:
        raise SpecError("Give one weight >= 0 per combined model.")
    arrays = [r.arrays for r in results]
    dims = [a["user_embedding"].shape[1] for a in arrays]
    if sum(dims) != spec.dim:
        raise SpecError(f"The combined dim {spec.dim} is not the members' dims {dims} summed.")
    first = results[0]
    scale = getattr(first, "rating_scale", None) or ds.rating_scale
    big_spec = spec.validate()
    global_mean = float(
        sum(w * float(a["global_mean"]) for w, a in zip(weights, arrays, strict=True))
    )
    model = build_model(
        big_spec,
        ds.n_users,
        ds.n_movies,
        global_mean,
        (float(scale.min), float(scale.max)),
    )
    # each member's score in the combined model's unit (accuracy round 44, F1)
    weights = [
        w * (scoring.score_unit(a) / model.score_unit) for w, a in zip(weights, arrays, strict=True)
    ]
    for layer, key in (
        (model.user_embedding, "user_embedding"),
        (model.movie_embedding, "movie_embedding"),
    ):
        layer.embeddings.assign(
            np.concatenate(
                [a[key] * math.sqrt(w) for w, a in zip(weights, arrays, strict=True)], axis=1
            )
        )
    for layer, key, n in (
        (model.user_bias, "user_bias", ds.n_users),
        (model.movie_bias, "movie_bias", ds.n_movies),
    ):
        summed = sum(
            (
                w * a[key].astype(np.float64)
                for w, a in zip(weights, arrays, strict=True)
                if key in a
            ),
            np.zeros(n),
        )
        if layer is not None:
            layer.embeddings.assign(summed.astype(np.float32)[:, None])
        elif np.any(summed):
            raise SpecError(f"The combined spec has no {key} to hold the members' {key}.")
    combined = export_arrays(model, big_spec)
    ratings = ds.ratings
    eval_rows = rows[:: max(1, len(rows) // 200_000)]
    predicted = scoring.predict(
        combined,
        big_spec,
        ratings["user_idx"].to_numpy()[eval_rows],
        ratings["movie_idx"].to_numpy()[eval_rows],
        scale,
    )
    errors = predicted - ratings["rating"].to_numpy(np.float64)[eval_rows]
    seconds = float(sum(r.train_seconds for r in results))
    metrics = {
        "train_rmse": float(np.sqrt(np.mean(errors**2))),
        "train_mae": float(np.mean(np.abs(errors))),
        "best_epoch": first.metrics["best_epoch"],
        "epochs_run": first.metrics["epochs_run"],
        "ensemble": float(len(results)),
    }
    history = {f"{key}": list(values) for key, values in first.history.items()}
    return TrainResult(
        keras_model=model,
        spec=big_spec,
        arrays=combined,
        history=history,
        metrics=metrics,
        train_seconds=seconds,
        ratings_per_second=len(rows)
        * len(results)
        * first.metrics["epochs_run"]
        / max(seconds, 1e-9),
        global_mean=global_mean,
        rating_scale=scale,
    )


def _stop_rmse_of_mean(ds: Any, split: Any) -> float:
    """What predicting the training rows' mean rating gives on the early-stopping rows: the
    reference a trial's score must beat to have learned anything (accuracy round 7b: on
    shuffled ratings every trial was worse, and the tuner still said one "won")."""
    from movierate.baselines import rmse_of_mean

    return round(rmse_of_mean(ds, np.asarray(split.train), np.asarray(split.stop)), 6)


#: The search's early-stopping evidence in a tuning summary (:func:`searched_stop_gap`).
STOP_GAP_KEYS = ("stop_rmse_minus_mean", "stop_rmse_minus_mean_ci95", "stop_rmse_minus_mean_p")


def searched_stop_gap(ds: Any, split: Any, trial: Any) -> dict[str, float]:
    """The search winner's (``trial``: the best trial's or the blend's early-stopped model)
    early-stopping RMSE minus the training mean's there, with its paired interval
    (:data:`STOP_GAP_KEYS`), as plain training records it: what a refit's test-row verdict
    reads, since a refit has no stop rows of its own (accuracy round 52, F2). Never the test
    rows."""
    from types import SimpleNamespace

    from movierate.data.splits import training_scale
    from movierate.pipeline import _against_mean, _predicted  # as test_metrics measures it

    scale = getattr(trial, "rating_scale", None) or training_scale(ds, split)
    stop_only = SimpleNamespace(train=split.train, stop=split.stop, test=np.empty(0, np.int64))
    return _against_mean(
        ds, stop_only, lambda rows: _predicted(trial.arrays, trial.spec, ds, rows, scale)
    )


def verdict_metrics(
    metrics: Mapping[str, Any], summary: Mapping[str, Any], split_record: Mapping[str, Any]
) -> dict[str, Any]:
    """A tuned model's ``metrics`` as its test-row verdict (``store.reference_warning``) reads
    them: with the search's early-stopping evidence (``summary``: the winner's RMSE there, the
    mean's, their paired gap) where the model has none, and, for a refit (``split_record``: its
    stop rows trained on), without its best and last epoch: it ran a fixed count with no stop
    rows, so "still at its best in its last epoch" would say nothing (accuracy round 52, F2).
    A damaged part of ``summary`` counts as no evidence."""

    def part(key: str) -> Mapping[str, Any]:
        value = summary.get(key)
        return value if isinstance(value, Mapping) else {}

    blend = part("blend")
    searched = {
        "stop_rmse": blend.get("stop_rmse") if blend else part("best").get("value"),
        "stop_rmse_of_mean": summary.get("stop_rmse_of_mean"),
        **{k: summary.get(k) for k in STOP_GAP_KEYS},
    }
    out = {**{k: v for k, v in searched.items() if v is not None}, **metrics}
    if split_record.get(STOP_ROWS_TRAINED):
        out.pop("best_epoch", None)
        out.pop("epochs_run", None)
    return out


def no_better_than_mean_note(summary: Mapping[str, Any]) -> str:
    """A warning when the search's pick (the best trial, or the blend) scored no better on the
    early-stopping rows than predicting the mean rating there, else "" (also for summaries
    saved before the mean was recorded)."""
    mean = summary.get("stop_rmse_of_mean")
    blend = summary.get("blend")
    picked = (blend or {}).get("stop_rmse") if blend else (summary.get("best") or {}).get("value")
    if not isinstance(mean, int | float) or not isinstance(picked, int | float):
        return ""
    if round(picked, 4) < round(mean, 4):
        return ""
    what = "The blend" if blend else "The best trial"
    return (
        f"{what} scored {picked:.4f} on the early-stopping rows, no better than predicting the "
        f"training rows' mean rating there ({mean:.4f}): the search found nothing the mean "
        "does not know. The ratings may hold little beyond their mean, or every trial trained "
        "too little: give the search more minutes or epochs, or check the data."
    )


def summarize(
    records: Sequence[TrialRecord],
    request: TuneRequest,
    split: Mapping[str, Any],
    search_seconds: float,
    best_trial: int,
) -> dict[str, Any]:
    """The ``tuning`` entry of meta.json: what was tried, what won, spread of the top trials."""
    complete = sorted(
        (r for r in records if r.state == "complete" and r.value is not None),
        key=lambda r: r.value,
    )
    top = complete[:TOP_TRIALS]
    values = np.array([r.value for r in top], dtype=float)
    winner = next(r for r in records if r.number == best_trial)
    return store.json_safe(
        {
            "request": request.to_dict(),
            "objective": "best early-stopping RMSE on the split's stop rows",
            "split": dict(split),
            "sampler": "optuna TPESampler",
            "pruner": "optuna MedianPruner (per-epoch early-stopping RMSE)",
            "search_seconds": round(search_seconds, 1),
            "n_trials": len(records),
            "n_complete": len(complete),
            "n_pruned": sum(r.state == "pruned" for r in records),
            "space": {
                f: search_space(f, split.get("n_train"), request.max_epochs)
                for f in request.families
            },
            "best": {
                "trial": winner.number,
                "value": winner.value,
                "params": winner.params,
                "best_epoch": winner.best_epoch,
            },
            "top": [{"trial": r.number, "value": r.value, "params": r.params} for r in top],
            "top_spread": {
                "min": float(values.min()) if len(values) else None,
                "max": float(values.max()) if len(values) else None,
                "std": float(values.std()) if len(values) else None,
            },
        }
    )


def read_trials(name: str) -> dict[str, Any] | None:
    """The ``trials.json`` of a tuned model (``trials`` and ``summary``), or None."""
    import json

    path = store.model_path(name) / TRIALS_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def job_runner(
    dataset: str,
    spec: Any,
    name: str,
    split_params: Mapping[str, Any] | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    name_base: str | None = None,
) -> str:
    """A :class:`movierate.jobs.Runner` for both kinds of job: a ModelSpec trains one model,
    a :class:`TuneRequest` runs :func:`tune` (``JobRegistry(runner=tuning.job_runner)``).
    ``name_base``: ``name`` was generated from it (see :func:`movierate.store.save_model`)."""
    if isinstance(spec, TuneRequest):
        result = tune(
            dataset,
            name,
            families=spec.families,
            budget_seconds=spec.budget_minutes * 60.0,
            n_trials=spec.n_trials,
            split_params=split_params,
            progress=progress,
            cancel=cancel,
            seed=spec.seed,
            max_epochs=spec.max_epochs,
            refit=spec.refit,
            ensemble=spec.ensemble,
            blend=spec.blend,
            name_base=name_base,
        )
        return result.name
    from movierate.pipeline import train_and_save

    return train_and_save(
        dataset, spec, name, split_params, progress=progress, cancel=cancel, name_base=name_base
    )
