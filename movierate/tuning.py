"""The built-in tuner: search a model's hyperparameters on the early-stopping rows with Optuna.

Each trial trains one spec on ``split.train`` and is scored by its best early-stopping RMSE on
``split.stop``; the test rows are never read by the search. The saved winner's test RMSE / MAE
are measured afterwards, once, as every saved model's are (``pipeline.test_metrics``). The
per-epoch early-stopping RMSE is reported to Optuna, whose median pruner stops trials that
trail the others at the same epoch. The search ends at the time budget (or ``n_trials``); the
best trial's trained model is saved (it is not retrained: same spec, seed and rows), with
``trials.json`` beside it and a ``tuning`` summary in ``meta.json``.

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

from movierate import schema, store
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
#: A running trial is stopped once the search has run this many times its budget.
HARD_LIMIT_FACTOR = 1.5
#: Trials of the summary's "top" list.
TOP_TRIALS = 5


@dataclass(frozen=True)
class TuneRequest:
    """What a tuning job searches: families, wall budget, trial cap, seed and epoch cap.

    Plain data, so the dashboard's job registry can queue it like a ModelSpec
    (:func:`job_runner` runs either).
    """

    families: tuple[str, ...] = ("mf_bias",)
    budget_minutes: float = 5.0
    n_trials: int | None = None
    seed: int = 0
    max_epochs: int = DEFAULT_MAX_EPOCHS

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
        if not (isinstance(self.budget_minutes, int | float) and self.budget_minutes > 0):
            raise SpecError(
                f"The tuning budget must be a number of minutes > 0, got {self.budget_minutes!r}."
            )
        if self.n_trials is not None and not (isinstance(self.n_trials, int) and self.n_trials > 0):
            raise SpecError(f"n_trials must be a whole number >= 1, got {self.n_trials!r}.")
        if not (isinstance(self.max_epochs, int) and 1 <= self.max_epochs <= 10_000):
            raise SpecError(
                f"max_epochs must be a whole number from 1 to 10000, got {self.max_epochs!r}."
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
    error: str | None = None


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
    #: The best trial's TrainResult (arrays, metrics, Keras model).
    result: Any = None


def search_space(family: str) -> dict[str, Any]:
    """The ranges searched for ``family`` (for people and for the saved summary)."""
    if family == "autorec":
        return dict(AUTOREC_SPACE)
    space: dict[str, Any] = {
        "dim": [16, 32, 48, 64, 96],
        "l2": ("log", 0.01, 1.0),
        "learning_rate": ("log", 1e-3, 3e-2),
        "batch_size": [256, 512, 1024, 2048, 4096],
        "epochs": "early stopping on the stop rows (patience "
        f"{TRIAL_PATIENCE}, cap {DEFAULT_MAX_EPOCHS})",
    }
    if family == "svdpp":
        # Each step sums N(u) of every user in the batch: big batches keep epochs cheap.
        space["batch_size"] = [2048, 4096, 8192]
    if family == "deep":
        space.update(
            hidden_units=["64", "64,32", "128,64", "32,4"],
            dropout=("uniform", 0.0, 0.5),
            dense_l2=("log", 1e-6, 1e-2),
            output=["clip", "sigmoid"],
        )
    return space


def suggest_spec(
    trial: Any, families: Sequence[str], base: ModelSpec, max_epochs: int
) -> ModelSpec:
    """The spec an Optuna ``trial`` proposes (family-specific ranges of :func:`search_space`)."""
    family = families[0] if len(families) == 1 else trial.suggest_categorical("family", families)
    space = search_space(family)
    # Parameter names carry the family so each family's ranges stay separate in one study.
    key = f"{family}." if len(families) > 1 else ""
    if family == "autorec":
        return suggest_autorec(trial, key, base, max_epochs)
    changes: dict[str, Any] = {
        "family": family,
        "dim": trial.suggest_categorical(f"{key}dim", space["dim"]),
        "regularizers": {"l2": trial.suggest_float(f"{key}l2", 0.01, 1.0, log=True)},
        "learning_rate": trial.suggest_float(f"{key}learning_rate", 1e-3, 3e-2, log=True),
        "batch_size": trial.suggest_categorical(f"{key}batch_size", space["batch_size"]),
        "epochs": max_epochs,
        "early_stopping_patience": TRIAL_PATIENCE,
        "user_bias": None,
        "movie_bias": None,
    }
    if family == "deep":
        units = trial.suggest_categorical(f"{key}hidden_units", space["hidden_units"])
        changes.update(
            hidden_units=schema.parse_units(units),
            dropout=trial.suggest_float(f"{key}dropout", 0.0, 0.5),
            dense_l2=trial.suggest_float(f"{key}dense_l2", 1e-6, 1e-2, log=True),
            output=trial.suggest_categorical(f"{key}output", space["output"]),
        )
    return base.with_(**changes).validate()


def default_trial_params(family: str, families: Sequence[str], dataset_name: str | None) -> dict:
    """Optuna params of ``family``'s tuned default on this dataset (movierate.defaults), so the
    search starts from it; settings outside the searched ranges are left to the sampler."""
    from movierate.defaults import default_spec_for

    spec = default_spec_for(dataset_name, family)
    space = search_space(family)
    key = f"{family}." if len(families) > 1 else ""
    params: dict[str, Any] = {"family": family} if len(families) > 1 else {}
    if family == "autorec":
        return {**params, **autorec_default_params(spec, key)}
    l2 = spec.regularizers.get("l2")
    candidates = {
        "dim": (spec.dim, spec.dim in space["dim"]),
        "l2": (l2, l2 is not None and 0.01 <= l2 <= 1.0),
        "learning_rate": (spec.learning_rate, 1e-3 <= spec.learning_rate <= 3e-2),
        "batch_size": (spec.batch_size, spec.batch_size in space["batch_size"]),
    }
    if family == "deep":
        units = ",".join(map(str, spec.hidden_units))
        candidates.update(
            hidden_units=(units, units in space["hidden_units"]),
            dropout=(spec.dropout, 0.0 <= spec.dropout <= 0.5),
            dense_l2=(spec.dense_l2, 1e-6 <= spec.dense_l2 <= 1e-2),
            output=(spec.output, spec.output in space["output"]),
        )
    params.update({key + name: value for name, (value, ok) in candidates.items() if ok})
    return params


# --- autorec (item-based AutoRec): its own ranges; dim is the width of its hidden layer. --------
# Measured on ml-100k's stop rows (README, "AutoRec"): l2 (= the paper's lambda / 2) between
# 40 and 250 with 500 units; 30 overfits within 10 epochs, 300+ underfits.
AUTOREC_SPACE: dict[str, Any] = {
    "dim": [200, 300, 500],
    "l2": ("log", 20.0, 400.0),
    "learning_rate": ("log", 3e-4, 3e-3),
    "batch_size": [1024, 2048, 4096],
    "dropout": ("uniform", 0.0, 0.3),
    "epochs": "early stopping on the stop rows (patience 8: its stop RMSE is noisy)",
}
#: Early-stopping patience of an autorec trial.
AUTOREC_PATIENCE = 8


def suggest_autorec(trial: Any, key: str, base: ModelSpec, max_epochs: int) -> ModelSpec:
    """The autorec spec an Optuna ``trial`` proposes (:data:`AUTOREC_SPACE`)."""
    space = AUTOREC_SPACE
    _, l2_low, l2_high = space["l2"]
    _, lr_low, lr_high = space["learning_rate"]
    changes = {
        "family": "autorec",
        "dim": trial.suggest_categorical(f"{key}dim", space["dim"]),
        "regularizers": {"l2": trial.suggest_float(f"{key}l2", l2_low, l2_high, log=True)},
        "learning_rate": trial.suggest_float(f"{key}learning_rate", lr_low, lr_high, log=True),
        "batch_size": trial.suggest_categorical(f"{key}batch_size", space["batch_size"]),
        "dropout": trial.suggest_float(f"{key}dropout", *space["dropout"][1:]),
        "epochs": max_epochs,
        "early_stopping_patience": AUTOREC_PATIENCE,
        "user_bias": None,
        "movie_bias": None,
        "embedding_dropout": 0.0,
    }
    return base.with_(**changes).validate()


def autorec_default_params(spec: ModelSpec, key: str) -> dict[str, Any]:
    """Optuna params of the autorec default ``spec`` that lie inside :data:`AUTOREC_SPACE`."""
    space, l2 = AUTOREC_SPACE, spec.regularizers.get("l2")
    candidates = {
        "dim": (spec.dim, spec.dim in space["dim"]),
        "l2": (l2, l2 is not None and space["l2"][1] <= l2 <= space["l2"][2]),
        "learning_rate": (
            spec.learning_rate,
            space["learning_rate"][1] <= spec.learning_rate <= space["learning_rate"][2],
        ),
        "batch_size": (spec.batch_size, spec.batch_size in space["batch_size"]),
        "dropout": (spec.dropout, space["dropout"][1] <= spec.dropout <= space["dropout"][2]),
    }
    return {key + name: value for name, (value, ok) in candidates.items() if ok}


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
) -> TuneResult:
    """Search specs of ``families`` on ``dataset`` for ``budget_seconds``; save the best as
    ``name`` (with ``trials.json``) unless ``save`` is False.

    ``progress`` receives ProgressEvents: BATCH events while a trial trains (``epoch`` = trial
    number from 1, ``batch`` / ``batches`` = the trial's epoch / epoch cap), one EPOCH event per
    finished trial (metrics ``trial_rmse``, ``best_rmse``, ``trials_pruned``) and DONE at the
    end. ``on_trial`` receives each :class:`TrialRecord`. Raises TrainingCancelled when
    ``cancel`` is set (nothing is saved), SpecError / StoreError before any slow work.
    ``split`` (a :class:`movierate.data.Split`) replaces ``split_params`` (benchmarks pass
    train / stop rows that leave their test rows out).
    """
    from movierate.data import load_dataset
    from movierate.pipeline import split_from_settings, split_settings

    request = TuneRequest(tuple(families), budget_seconds / 60.0, n_trials, seed, max_epochs)
    request.validate()
    if save:
        store.validate_name(name)
        if not overwrite and store.model_exists(name):
            raise store.name_taken(name)
    params = split_settings(split_params)
    base = base_spec or ModelSpec()
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    split = split if split is not None else split_from_settings(ds, params)

    import optuna

    from movierate.nn.training import train  # imports TensorFlow

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=5),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=5),
    )
    for family in request.families:  # first trials: the tuned defaults of movierate.defaults
        study.enqueue_trial(default_trial_params(family, request.families, ds.name))
    started = time.monotonic()
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
        spec = suggest_spec(trial, request.families, base, max_epochs)
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
                        {"trial": number, "stop_rmse": float(value)},
                    )
                )
            if trial.should_prune():
                raise _Prune

        state, value, error, result = "complete", None, None, None
        try:
            result = train(ds, split, spec, progress=report, cancel=limit)
            value = float(result.metrics.get("stop_rmse", result.metrics["train_rmse"]))
        except _Prune:
            state, value = "pruned", last.get("value")
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
    if save:
        from movierate.pipeline import test_metrics

        result = best["result"]
        result.metrics = {
            **result.metrics,
            **test_metrics(result.arrays, best["spec"], ds, split),
        }
        trials = [asdict(r) for r in records]
        store.save_model(
            name,
            best["result"],
            ds,
            split,
            best["spec"],
            overwrite=overwrite,
            extra_meta={"tuning": summary},
            extra_json={TRIALS_FILE: {"trials": _json_safe(trials), "summary": summary}},
        )
    if progress is not None:
        final = dict(best["result"].metrics)
        final["epochs_run"] = len(records)
        progress(ProgressEvent(Phase.DONE, len(records), len(records), 0, 0, final))
    return TuneResult(
        name=name,
        best_spec=best["spec"],
        best_value=float(best["value"]),
        best_trial=int(best["trial"]),
        trials=records,
        search_seconds=search_seconds,
        summary=summary,
        result=best["result"],
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
    return _json_safe(
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
            "space": {f: search_space(f) for f in request.families},
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


def _json_safe(value: Any) -> Any:
    """Lists / dicts with tuples as lists and NaN / inf as None (strict JSON)."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


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
) -> str:
    """A :class:`movierate.jobs.Runner` for both kinds of job: a ModelSpec trains one model,
    a :class:`TuneRequest` runs :func:`tune` (``JobRegistry(runner=tuning.job_runner)``)."""
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
        )
        return result.name
    from movierate.pipeline import train_and_save

    return train_and_save(dataset, spec, name, split_params, progress=progress, cancel=cancel)
