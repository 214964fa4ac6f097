"""The train command: flags derived from the ModelSpec schema, a progress bar, a summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from movierate import advice, schema
from movierate import spec as spec_module
from movierate.cli import signals
from movierate.cli.command import EXIT_SAVED_AS_OTHER_NAME, Command, register
from movierate.cli.output import (
    check_path_argument,
    clip,
    print_notes,
    print_taken_note,
    whole_number,
)
from movierate.cli.progress import ProgressBar
from movierate.cli.split_args import add_split_arguments, split_options
from movierate.cli.tables import num, short
from movierate.defaults import data_size_changes, steps_per_epoch_note
from movierate.errors import SpecError
from movierate.filenames import NAME_RULE
from movierate.progress import Phase, ProgressEvent, time_estimate_text

if TYPE_CHECKING:
    from movierate.run_ledger import CliRun


def _flag_options(name: str, field: schema.FieldSchema) -> dict[str, Any]:
    """argparse options of a ModelSpec field, from its constraint."""
    constraint = field.constraint
    if isinstance(constraint, schema.StrOptions):
        return {"choices": constraint.names, "help": field.help}
    if isinstance(constraint, schema.Boolean):
        return {"action": argparse.BooleanOptionalAction, "help": field.help}
    if isinstance(constraint, schema.Units):
        return {"metavar": "N,N,...", "help": field.help}
    if isinstance(constraint, schema.Strengths):
        return {
            "action": "append",
            "metavar": "KIND=STRENGTH",
            "help": f"{field.help}; KIND is one of {', '.join(constraint.names)} (e.g. --reg "
            "l2=1e-4 --reg decorrelation=0.1; --reg none for no regularizer)",
        }
    if isinstance(constraint, schema.Interval):  # CLI review round 1: no range was said
        kind = whole_number(constraint.describe()) if constraint.type is int else constraint.type
        return {"type": kind, "help": f"{field.help}; {constraint.describe()}"}
    return {"type": constraint.type, "help": field.help}


#: ModelSpec field -> (flag, argparse options), derived from the schema: every field has a flag.
SPEC_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    name: (field.flag, _flag_options(name, field)) for name, field in schema.SPEC_SCHEMA.items()
}


def _configure_train(parser: argparse.ArgumentParser) -> None:
    defaults = spec_module.ModelSpec()
    parser.add_argument("dataset", help="dataset name (see 'datasets') or a folder path")
    parser.add_argument(
        "--name", help=f"model name: {NAME_RULE} (default: dataset-family-dim, made unique)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    model = parser.add_argument_group(
        "model",
        "Defaults in brackets. A flag left out takes the data's own default where "
        "one applies, and a note says so: autorec's (dim 500, L2 100 (40 on ml-100k), lr "
        "0.001, batch 2048, 300 epochs, patience 10), sets of 2 M ratings or more (batch "
        "32768, lr 0.02 x 0.7 per epoch, L2 0.02), "
        "sets too small for 40 steps an epoch at batch 1024 (a smaller batch).",
    )
    for field, (flag, options) in SPEC_FLAGS.items():
        default = getattr(defaults, field)
        shown = _default_text(default)
        options = {**options, "help": f"{options['help']} [{shown}]", "dest": f"spec_{field}"}
        if "type" in options:
            options.setdefault("metavar", flag.lstrip("-").upper().replace("-", "_"))
        model.add_argument(flag, default=None, **options)
    add_split_arguments(
        parser,
        "split (train / early-stopping / test rows; test rows are never seen in training)",
        "share of the remaining training part used as early-stopping rows",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--json",
        action="store_true",
        help="the result as one JSON object on stdout (name, folder, exit_code, dataset, "
        "metrics), the prose on stderr: for scripts (exit code 3 saves under another name)",
    )


def _run_train(args: argparse.Namespace) -> int:
    from movierate.run_ledger import noting_cli_run

    # noted while it runs: a dataset delete or replace refuses then (bad-input round 54, F1)
    with noting_cli_run("train", f"a model on {args.dataset}", [args.dataset]) as run:
        return _train(args, run)


def claim_name(run: CliRun, name: str, name_base: str | None, overwrite: bool) -> str:
    """The model name this run saves under, noted in the runs folder as its own: a generated
    one (``name_base``), the next free one; a chosen ``name`` that another process's training
    in progress holds, the next free one, said on stderr (exit code 3 once saved: bad-input
    round 69, F1); a chosen name otherwise taken is refused (``store.check_name_free``)."""
    from movierate import store
    from movierate.run_ledger import RunLedger

    def check(name: str) -> str:
        if name_base is not None:
            return store.free_name(name_base)
        if runs := RunLedger().holders(name):
            free = store.free_name(name)
            print(
                f"note: a training in progress will save a model named {name!r}: "
                f"{'; '.join(runs)}. So this run will be saved as {free!r} (exit code "
                f"{EXIT_SAVED_AS_OTHER_NAME}: not under --name).",
                file=sys.stderr,
            )
            return free
        store.check_name_free(
            name, overwrite=overwrite, replace_hint="pass --overwrite to replace it"
        )
        return name

    return run.claim(name, check)


def _train(args: argparse.Namespace, run: CliRun) -> int:
    from movierate import store
    from movierate.data import load_dataset
    from movierate.pipeline import split_settings, train_and_save

    signals.expect_save()  # a signal after the save: the result is reported (round 22)
    spec = spec_from_args(args).validate()
    check_path_argument(args.dataset, "The dataset", name_first=True)
    if args.name is not None:  # an empty --name is refused by main()
        asked = store.validate_name(args.name)
        name_base = None
    else:  # generated: if another run takes it first, the save takes the next free one
        name_base = f"{short(args.dataset)}-{spec.family}-{spec.dim}"
        asked = store.unique_name(name_base)
    name = claim_name(run, asked, name_base, args.overwrite)
    overwrite = args.overwrite and name == asked  # held by another run: nothing to replace
    store.check_writable()
    split = split_settings(split_options(args))
    ds = load_dataset(args.dataset)
    spec = spec_from_args(args, len(ds)).validate()  # data-dependent defaults
    print_notes(ds)
    sized = {k: getattr(spec, k) for k in data_size_changes(args.dataset, spec.family, len(ds))}
    sized = {k: v for k, v in sized.items() if getattr(args, f"spec_{k}") is None}
    if sized:
        print(
            f"note: {len(ds):,} ratings, so the settings left unset take this size's defaults: "
            + schema.settings_text(spec, sized, "flag"),
            file=sys.stderr,
        )
    for warning in advice.spec_warnings(spec, names="flag"):
        print(f"warning: {warning}", file=sys.stderr)
    store.use_process_temp_dir()  # TensorFlow's autograph files go where a kill is cleaned up
    started = time.perf_counter()
    if not args.quiet:
        print(
            f"training {name!r} on {clip(args.dataset, 200)} ({spec_module.describe(spec)})",
            file=sys.stderr,
        )
    # TensorFlow's import (~5 s) before the bar's clock starts: epoch 1's time was mostly that
    # import, more than the whole training's time said after it (README review s31)
    import movierate.nn.training  # noqa: F401

    bar = None if args.quiet else ProgressBar(sys.stderr)

    def note(text: str) -> None:  # before training: a batch over the rows, memory near full
        print(f"warning: {text}", file=sys.stderr)

    try:
        saved = train_and_save(
            ds,
            spec,
            name,
            split,
            progress=TimeEstimate(bar, sys.stderr),
            overwrite=overwrite,
            name_base=name_base,
            notes=note,
        )
    finally:
        if bar is not None:
            bar.close()
    code = print_taken_note(name, saved, chosen=name_base is None, overwrite=overwrite)
    if name != asked and name_base is None:  # another run held --name: said at the start
        code = EXIT_SAVED_AS_OTHER_NAME
    meta = store.read_meta(saved)
    metrics = meta["metrics"]
    trained = (meta.get("timings") or {}).get("train_seconds")
    of_it = f", {trained:.1f} s of it training" if isinstance(trained, int | float) else ""
    prose = sys.stderr if args.json else sys.stdout
    print(  # CLI round 2: "in 9.2 s" read as the 0.6 s `list` and the dashboard show
        f"saved {saved!r} in {time.perf_counter() - started:.1f} s{of_it}: "
        f"test RMSE{store.split_aside(meta['split'])} {num(metrics.get('test_rmse'))}"
        f"{store.rmse_interval_text(metrics)}, "
        f"MAE {num(metrics.get('test_mae'))} "
        f"(early-stopping RMSE {num(metrics.get('stop_rmse'))}, kept epoch "
        f"{metrics.get('best_epoch', '?')} of {metrics.get('epochs_run', '?')}"
        f"{store.settled_note(metrics)})",
        file=prose,
    )
    warn_if_data_gone(ds)
    if chosen := store.stop_rows_chose(meta):  # accuracy round 35, F1: e.g. the kept dims
        print(flatters_note(chosen), file=prose)
    if baselines := store.baselines_text(metrics):
        print(baselines, file=prose)
    print(f"folder: {store.model_path(saved)}", file=prose)
    if warning := store.split_note(meta["split"]):
        print(f"warning: {warning}", file=sys.stderr)
    if note := store.ties_note(meta["split"]):
        print(f"note: {note}", file=sys.stderr)
    if note := store.unseen_note(metrics, meta["split"]):
        print(f"note: {note}", file=sys.stderr)
    spec = meta["spec"]
    stop_rmse = (meta.get("history") or {}).get("stop_rmse")
    if warning := store.reference_warning(
        metrics, meta["split"], spec.get("learning_rate"), stop_rmse
    ):
        steps = steps_per_epoch_note(
            meta["split"].get("n_train"), spec.get("batch_size"), spec.get("family")
        )
        print(f"warning: {f'{warning} {steps}'.strip()}", file=sys.stderr)
    if args.json:  # CLI round 3: after exit code 3 a script had to read the name from prose
        record = {  # last: once it is out, the result is final (bad-input round 22)
            "name": saved,
            "folder": str(store.model_path(saved)),
            "exit_code": code,
            "dataset": meta["dataset"].get("name"),
            "metrics": metrics,
        }
        print(json.dumps(record))
    return code


def flatters_note(chosen: str, whose: str = "its") -> str:
    """ "(its early-stopping rows also chose CHOSEN: their RMSE flatters it)", ``whose`` naming
    the model or trial: one caveat for one number in train, tune and show (accuracy round 57,
    F5: tune printed the tuned default's early-stopping RMSE without it)."""
    return f"({whose} early-stopping rows also chose {chosen}: their RMSE flatters it)"


def warn_if_data_gone(ds: Any) -> None:
    """A warning when the folder ``ds`` was loaded from is gone since (deleted while this run
    trained, bad-input round 54, F1): the saved model's evaluate and Recommend need it again."""
    if ds.source and not os.path.exists(ds.source):
        print(
            f"warning: the dataset {ds.name!r} was deleted or moved while this run trained "
            f"({ds.source} is gone): the model is saved, but evaluate, Recommend and its "
            "test-row checks need the same data stored again under that name.",
            file=sys.stderr,
        )


class TimeEstimate:
    """A progress callback passing events on to ``bar`` (if any) that says once, on ``stream``,
    how long a long run will take at its pace, measured from its first progress report (the
    set-up before it is not a pace): at the next epoch's end, or once
    :attr:`FIRST_CHUNK_SECONDS` have passed since that report (bad-input round 32: 10,000
    epochs at batch 1, about 36 hours, ran without a word of it)."""

    #: Seconds after the first report from which the batches done since give the pace.
    FIRST_CHUNK_SECONDS = 5.0

    def __init__(self, bar: ProgressBar | None, stream: Any) -> None:
        self.bar, self.stream = bar, stream
        self.started = time.perf_counter()
        self.decided = False
        self.first: tuple[float, float] | None = None  # (seconds, share done) at the first report

    def __call__(self, event: ProgressEvent) -> None:
        if self.bar is not None:
            self.bar(event)
        if self.decided or event.phase == Phase.DONE or event.epochs < 1:
            return
        elapsed = time.perf_counter() - self.started
        within = event.batch / event.batches if event.batches else 1.0
        if event.phase == Phase.EPOCH:
            within = 1.0
        share = (event.epoch - 1 + within) / event.epochs
        if self.first is None:  # the set-up before it is no pace: measure from here
            self.first = (elapsed, share)
            return
        if event.phase == Phase.BATCH and elapsed - self.first[0] < self.FIRST_CHUNK_SECONDS:
            return
        estimate = time_estimate_text(elapsed, share, event.epochs, paced_from=self.first)
        self.decided = bool(estimate) or event.phase == Phase.EPOCH
        if estimate:
            if self.bar is not None:
                self.bar.close()  # the note on a line of its own, not inside the live bar
            print(f"note: {estimate}; Ctrl-C stops it and saves nothing.", file=self.stream)


def spec_from_args(args: argparse.Namespace, n_ratings: int | None = None) -> spec_module.ModelSpec:
    """The ModelSpec described by the train flags (unset flags keep ModelSpec's defaults, or
    the family's own on this data where :func:`movierate.defaults.family_defaults` has some:
    autorec's, by the dataset's name; ``n_ratings``: the loaded data's size, for
    :func:`movierate.defaults.data_size_changes`, the batch a large or small set needs)."""
    from movierate.defaults import data_size_changes, family_defaults

    family = getattr(args, "spec_family", None)
    dataset = getattr(args, "dataset", None)
    family_name = family or spec_module.ModelSpec().family
    values: dict[str, Any] = {
        **(data_size_changes(dataset, family_name, n_ratings) if n_ratings is not None else {}),
        **family_defaults(family, dataset),
    }
    for field in SPEC_FLAGS:
        value = getattr(args, f"spec_{field}")
        if value is None:
            continue
        if field == "hidden_units":
            value = schema.parse_units(value, SPEC_FLAGS[field][0])
        elif field == "regularizers":
            value = _parse_regularizers(value)
        values[field] = value
    return spec_module.ModelSpec(**values)


def _default_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return " ".join(f"{k}={v:g}" for k, v in value.items()) or "none"
    return "family default" if value is None else str(value)


def _parse_regularizers(items: list[str]) -> dict[str, float]:
    """``--reg`` values as {kind: strength}; a kind given twice, or ``none`` beside a kind, is
    refused (the last one won silently: CLI review round 1)."""
    out: dict[str, float] = {}
    none = [item for item in items if item.strip().lower() == "none"]
    if none and len(none) < len(items):
        raise SpecError(
            "--reg none means no regularizer, but other --reg values are given too: give "
            "either --reg none or the regularizers you want."
        )
    for item in items:
        if item.strip().lower() == "none":
            continue
        kind, sep, strength = item.partition("=")
        try:
            if not sep or not kind.strip():
                raise ValueError
            value = float(strength)
        except ValueError:
            raise SpecError(
                f"--reg takes KIND=STRENGTH, e.g. --reg l2=1e-4; got {item!r}."
            ) from None
        if kind.strip() in out:
            raise SpecError(
                f"--reg gives {kind.strip()} twice ({kind.strip()}={out[kind.strip()]:g} and "
                f"{item.strip()}); give each regularizer once."
            )
        out[kind.strip()] = value
    return out


register("train", Command("train a model and save it", _configure_train, _run_train))
