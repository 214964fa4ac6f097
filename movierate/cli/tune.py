"""The tune command: search hyperparameters with Optuna, save the best model and its trials."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from movierate import schema
from movierate.cli import signals
from movierate.cli.command import EXIT_SAVED_AS_OTHER_NAME, Command, register
from movierate.cli.output import (
    check_path_argument,
    print_notes,
    print_taken_note,
    whole_number,
)
from movierate.cli.split_args import add_split_arguments, split_options
from movierate.cli.tables import format_table, short
from movierate.cli.train import claim_name, flatters_note, warn_if_data_gone
from movierate.filenames import NAME_RULE
from movierate.shown import counted
from movierate.tuning import MAX_ENSEMBLE

if TYPE_CHECKING:
    from movierate.run_ledger import CliRun

#: argparse types saying the allowed range (bad-input round 48, F3)
_EPOCHS = whole_number(schema.SPEC_SCHEMA["epochs"].constraint.describe())
_SEED = whole_number(schema.SPEC_SCHEMA["seed"].constraint.describe())
_ENSEMBLE = whole_number(schema.Interval(int, 1, MAX_ENSEMBLE).describe())


def _configure_tune(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", help="dataset name (see 'datasets') or a folder path")
    parser.add_argument(
        "--family",
        action="append",
        choices=schema.names("family"),
        help="family to search, repeatable (several: the family is searched too) [mf_bias]",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=5.0,
        metavar="MINUTES",  # views round 35, F1: the README's "--budget 10" read as seconds
        help="wall-clock minutes of search, the refit not included [5]; how many trials fit depends on the machine's speed and "
        "load, so a rerun can pick differently: give --trials too for a repeatable search",
    )
    parser.add_argument(
        "--trials",
        type=whole_number("use a whole number >= 1"),
        default=None,
        help="stop after N trials (with --blend: N for each of its two families) [no cap]",
    )
    parser.add_argument("--max-epochs", type=_EPOCHS, default=60, help="epoch cap per trial [60]")
    parser.add_argument("--seed", type=_SEED, default=0, help="seed of the search [0]")
    parser.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        help="save the best trial as trained (train rows, early-stopped on the stop rows) "
        "instead of refitting its spec on train + stop rows for its best epoch count",
    )
    parser.add_argument(
        "--ensemble",
        type=_ENSEMBLE,
        default=1,
        metavar="K",
        help="refit the winner with K seeds and save their average as one model of K x dim "
        "dimensions (mf_bias / mf; K x the refit time) [1]",
    )
    parser.add_argument(
        "--blend",
        action="store_true",
        help="search two dot-product families (autorec and mf_bias, or the two --family given) "
        "for half the budget each, pick the weight w on the early-stopping rows and save ONE "
        "mf_bias model predicting w x the first + (1 - w) x the second (refit on train + stop "
        "rows; --ensemble K applies to the mf_bias / mf member)",
    )
    parser.add_argument(
        "--name", help=f"model name: {NAME_RULE} (default: dataset-tuned-family, made unique)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    add_split_arguments(
        parser,
        "split (trials are scored on the early-stopping rows; test rows only rate the winner)",
        "share of the rest that scores trials and early stopping",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress and no trial table, only the saved model's lines (trials.json beside "
        "the model holds every trial)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="the result as one JSON object on stdout (name, folder, exit_code, dataset, "
        "metrics, tuning), the prose on stderr: for scripts (exit code 3 saves under another "
        "name)",
    )


def _run_tune(args: argparse.Namespace) -> int:
    from movierate.run_ledger import noting_cli_run

    # noted while it runs: a dataset delete or replace refuses then (bad-input round 54, F1)
    with noting_cli_run("tune", f"a model on {args.dataset}", [args.dataset]) as run:
        return _tune(args, run)


def _tune(args: argparse.Namespace, run: CliRun) -> int:
    from movierate import store
    from movierate.data import load_dataset
    from movierate.pipeline import split_settings
    from movierate.tuning import TuneRequest, blend_families, tune

    signals.expect_save()  # a signal after the save: the result is reported (round 22)
    families = tuple(dict.fromkeys(args.family or ["mf_bias"]))
    if args.blend:
        families = blend_families(families)
    request = TuneRequest(
        families,
        args.budget,
        args.trials,
        args.seed,
        args.max_epochs,
        args.refit,
        args.ensemble,
        args.blend,
    )
    request.validate()
    check_path_argument(args.dataset, "The dataset", name_first=True)
    if args.name:
        asked = store.validate_name(args.name)
        name_base = None
    else:  # generated: if another run takes it first, the save takes the next free one
        kind = "blend" if args.blend else "tuned"
        name_base = f"{short(args.dataset)}-{kind}-{'-'.join(families)}"
        asked = store.unique_name(name_base)
    # checked and noted now, before the search (bad-input round 69, F1)
    name = claim_name(run, asked, name_base, args.overwrite)
    overwrite = args.overwrite and name == asked  # held by another run: nothing to replace
    store.check_writable()
    store.use_process_temp_dir()  # TensorFlow's autograph files go where a kill is cleaned up
    split = split_settings(split_options(args))
    ds = load_dataset(args.dataset)  # a bad path is said before "tuning ..." (recheck B, s27)
    print_notes(ds)  # as train does: what loading dropped or guessed

    def on_trial(record: Any) -> None:
        if not args.quiet:
            print(
                f"trial {record.number:3d} {record.state:9s} rmse {record.value_text()} "
                f"({record.seconds:.1f} s, {record.epochs_run} epochs"
                f"{', at the cap, still improving' if record.cut_at_cap else ''}) "
                f"{_params(record.params)}",
                file=sys.stderr,
                flush=True,
            )

    if not args.quiet:
        print(
            f"tuning {', '.join(families)}{' (blend)' if args.blend else ''} on {args.dataset} "
            f"for {args.budget:g} min "
            f"-> model {name!r}",
            file=sys.stderr,
        )
    result = tune(
        ds,
        name,
        families=families,
        budget_seconds=args.budget * 60.0,
        n_trials=args.trials,
        split_params=split,
        on_trial=on_trial,
        overwrite=overwrite,
        name_base=name_base,
        seed=args.seed,
        max_epochs=args.max_epochs,
        refit=args.refit,
        ensemble=args.ensemble,
        blend=args.blend,
    )
    code = print_taken_note(name, result.name, "search", chosen=name_base is None)
    if name != asked and name_base is None:  # another run held --name: said at the start
        code = EXIT_SAVED_AS_OTHER_NAME
    rows = [
        [
            str(r.number),
            r.state,
            r.value_text(),
            r.kept_text(),
            f"{r.seconds:.1f}",
            _params(r.params),
        ]
        for r in sorted(result.trials, key=lambda r: (r.value is None, r.value or 0.0))
    ]
    header = ["trial", "state", "early-stopping RMSE", "kept epoch", "seconds", "params"]
    out = sys.stderr if args.json else sys.stdout  # round 22: prose-only for scripts
    if not args.quiet:  # its rows are the trials' lines again (README review s31)
        print(format_table(header, rows), file=out)
        print(_TABLE_LEGEND, file=out)
    test = result.result.metrics
    if args.blend:
        _print_blend(result, test, out)
    else:
        _print_saved(result, test, out)
    warn_if_data_gone(ds)
    if args.json:  # as `train --json`, plus the search's summary; last: the result is final
        meta = store.read_meta(result.name)
        record = {
            "name": result.name,
            "folder": str(store.model_path(result.name)),
            "exit_code": code,
            "dataset": meta["dataset"].get("name"),
            "metrics": meta["metrics"],
            "tuning": meta["tuning"],
        }
        print(json.dumps(record))
    return code


#: What the trial table's RMSE and epoch columns hold (accuracy round 57, F4: a pruned
#: trial's last-epoch value read as an early-stopping best).
_TABLE_LEGEND = (
    "(early-stopping RMSE: at the trial's kept epoch; a pruned trial's is its last epoch's, "
    "not a best; 'at the cap, still improving': its last epoch was its best and the "
    "--max-epochs cap, so more epochs might have scored lower)"
)


def _print_saved(result: Any, test: dict[str, Any], out: TextIO) -> None:
    """The saved model of a search (not a blend), its folder and its reference scores."""
    from movierate import store

    refit = result.summary.get("refit")
    how = (
        f"its spec refit on train + early-stopping rows for {counted(refit['epochs'], 'epoch')}"
        + (
            f", {refit['ensemble']} seeds averaged (dim {refit['dim']})"
            if refit["ensemble"] > 1
            else ""
        )
        if refit
        else "the trial as trained"
    )
    print(
        f"saved {result.name!r} ({how}): trial {result.best_trial} had the lowest early-stopping "
        f"RMSE, {result.best_value:.4f} ({_mean_there(result.summary)}), of {len(result.trials)} "
        f"trials in {result.search_seconds:.0f} s" + _test_text(test, refit=bool(refit)),
        file=out,
    )
    meta = store.read_meta(result.name)
    if chosen := winner_stop_rows_chose(meta, result.best_spec.to_dict()):
        print(flatters_note(chosen, f"trial {result.best_trial}'s"), file=out)
    print(f"folder: {store.model_path(result.name)} (trials in trials.json)", file=out)
    _warn_about_test_rows(result, out)


def winner_stop_rows_chose(meta: dict[str, Any], spec: dict[str, Any] | None = None) -> str | None:
    """What a tuned model's winning trial (``spec``, else the model's own: a refit's differs
    in its epochs only) had its early-stopping rows choose before the search: its settings,
    when they are the tuned defaults those rows chose (``store.stop_rows_chose_settings`` of
    the trial as trained, as ``train`` says of it; accuracy round 57, F5); else None."""
    from movierate import store

    split = {k: v for k, v in (meta.get("split") or {}).items() if k != "stop_rows_trained"}
    return store.stop_rows_chose_settings(
        {**meta, "spec": spec or meta.get("spec"), "split": split}
    )


def _mean_there(summary: dict[str, Any], lead: str = "") -> str:
    """``lead`` + "predicting the mean rating there: 1.1133" (an RMSE on the early-stopping rows)."""
    mean = summary.get("stop_rmse_of_mean")
    return (
        f"{lead}predicting the mean rating there: {mean:.4f}"
        if isinstance(mean, int | float)
        else ""
    )


def _test_text(metrics: dict[str, Any], *, refit: bool) -> str:
    """ "; test RMSE (rows neither the search nor the refit saw): 0.9072 ± ...", without "the
    refit" where nothing was refit (accuracy round 9: `--no-refit` named a refit), with its
    interval (recheck A, s26: `train` gave one, `tune` did not)."""
    from movierate import store

    test = metrics.get("test_rmse")
    if test is None:
        return ""
    rows = "rows neither the search nor the refit saw" if refit else "rows the search never saw"
    return f"; test RMSE ({rows}): {test:.4f}{store.rmse_interval_text(metrics)}"


def _warn_about_test_rows(result: Any, out: TextIO) -> None:
    """What the reference predictors score on the test rows, the warning they call for, and
    test rows whose user or movie training never saw."""
    from movierate import store
    from movierate.tuning import no_better_than_mean_note, verdict_metrics

    # one warning for one cause: the search's own (its advice fits a search) before the test
    # rows' (whose "lower the learning rate" does not; the recheck)
    meta = store.read_meta(result.name)
    # the search's own stop-rows evidence where the saved model has none (a refit has no stop
    # rows): whether the pick beat the mean there, beyond the draw, decides the advice (accuracy
    # rounds 15 and 52), and a refit's fixed epoch count gives no epoch advice
    metrics = verdict_metrics(
        {**result.result.metrics, **(meta.get("metrics") or {})},
        result.summary,
        meta.get("split") or {},
    )
    if baselines := store.baselines_text(metrics):  # accuracy round 11: tune said neither
        print(baselines, file=out)
    warning = no_better_than_mean_note(result.summary) or store.reference_warning(metrics)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if note := store.ties_note(meta.get("split")):  # bad-input round 53, F5: train said it
        print(f"note: {note}", file=sys.stderr)
    if note := store.unseen_note(result.result.metrics, meta.get("split")):
        print(f"note: {note}", file=sys.stderr)


def _print_blend(result: Any, test: dict[str, Any], out: TextIO) -> None:
    from movierate import store
    from movierate.tuning import zero_member_note

    blend = result.summary["blend"]
    parts = []
    for member in blend["members"]:
        refit = member.get("refit")
        how = (
            f"refit {counted(refit['epochs'], 'epoch')}"
            + (f" x {refit['ensemble']} seeds" if refit["ensemble"] > 1 else "")
            if refit
            else "as trained"
        )
        parts.append(
            f"{member['weight']:.2f} x {member['family']} (trial {member['best_trial']}, "
            f"stop RMSE {member['stop_rmse']:.4f}, {how}, dim {member['dim']})"
        )
    print(
        f"saved {result.name!r}: one mf_bias model of dim {result.saved_spec.dim} = "
        + " + ".join(parts)
        + f"; the weight was picked on the early-stopping rows (blend {blend['stop_rmse']:.4f}"
        f"{_mean_there(result.summary, '; ')}) "
        f"after {len(result.trials)} trials in {result.search_seconds:.0f} s"
        + _test_text(test, refit=any(m.get("refit") for m in blend["members"])),
        file=out,
    )
    print(f"movie embedding columns: {blend['movie_embedding']}", file=out)
    if note := zero_member_note(blend):  # accuracy round 52, F3: 'dim 64' with 32 empty
        print(f"note: {note}", file=out)
    print(f"folder: {store.model_path(result.name)} (trials in trials.json)", file=out)
    _warn_about_test_rows(result, out)


def _params(params: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


register("tune", Command("search hyperparameters, save the best model", _configure_tune, _run_tune))
