"""The model store commands: list, show, delete, rename, evaluate."""

from __future__ import annotations

import argparse
import fnmatch
import json
import shlex
import sys
from typing import Any

from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.output import (
    ArgumentError,
    check_path_argument,
    clip,
    one_line,
    print_notes,
)
from movierate.cli.tables import format_table, num, seconds
from movierate.cli.train import flatters_note
from movierate.cli.tune import winner_stop_rows_chose
from movierate.filenames import bytes_escaped
from movierate.spec import FAMILY_ONLY, ModelSpec, format_regularizers


def _configure_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "patterns",
        nargs="*",
        metavar="PATTERN",
        help="only models whose name matches one of these shell patterns, any case (mf*, "
        "*whiten*); with 1,000 models a list of all of them is long",
    )
    parser.add_argument(
        "--dataset",
        metavar="NAME",
        help="only models trained on (or imported for) this data set (a name or a shell "
        "pattern such as 'ml-*')",
    )
    parser.add_argument(
        "--sort",
        choices=LIST_ORDERS,
        default="created",
        help="newest first (created, the default), by name, or by test RMSE (lowest first)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON array on stdout (a record per model, broken folders with their reason), "
        "the same keys for every store: for scripts",
    )


#: ``list --sort`` orders.
LIST_ORDERS = ("created", "name", "rmse")


def _chosen(infos: list[Any], broken: list[Any], args: argparse.Namespace) -> tuple[list, list]:
    """The models (and broken folders) ``list``'s patterns and ``--dataset`` keep, in the
    ``--sort`` order (fuzz33: 1,000 models printed 1,003 lines with no way to narrow them)."""
    patterns = [p.casefold() for p in args.patterns]

    def named(name: str) -> bool:
        return not patterns or any(fnmatch.fnmatchcase(name.casefold(), p) for p in patterns)

    infos = [i for i in infos if named(i.name)]
    if args.dataset is not None:  # a name or a shell pattern, as the model names (recheck 2)
        wanted = args.dataset.casefold()
        infos = [i for i in infos if fnmatch.fnmatchcase((i.dataset or "").casefold(), wanted)]
    broken = [b for b in broken if named(b.name)] if args.dataset is None else []
    if args.sort == "name":
        infos = sorted(infos, key=lambda i: i.name.casefold())
    elif args.sort == "rmse":
        unknown = float("inf")
        infos = sorted(infos, key=lambda i: unknown if i.test_rmse is None else i.test_rmse)
    return infos, broken


def _list_record(info: Any) -> dict[str, Any]:
    """One model as ``list --json`` prints it: fixed keys, numbers as numbers, null if unknown."""
    return {
        "name": bytes_escaped(info.name),  # bytes no UTF-8 as \xff, as the table shows them
        "broken": False,
        "reason": None,
        "family": "imported" if info.imported else info.family,
        "dim": info.dim,
        "regularizers": dict(info.spec.regularizers),
        "dataset": info.dataset,
        "dataset_fingerprint": info.dataset_fingerprint or None,
        # accuracy round 44, F3: an RMSE is in rating points of its own scale
        "rating_scale": None if info.scale is None else list(info.scale),
        "test_rmse": info.test_rmse,
        "test_mae": info.test_mae,
        "stop_rmse": _float(info.metrics.get("stop_rmse")),
        "train_seconds": info.train_seconds,
        "created": info.created,
        "split": dict(info.split_record),
    }


def _broken_record(item: Any) -> dict[str, Any]:
    return {
        **dict.fromkeys(_LIST_KEYS),
        "name": bytes_escaped(item.name),
        "broken": True,
        "reason": bytes_escaped(item.reason),
    }


#: The keys of every ``list --json`` record, in order.
_LIST_KEYS = (
    "name", "broken", "reason", "family", "dim", "regularizers", "dataset",
    "dataset_fingerprint", "rating_scale", "test_rmse", "test_mae", "stop_rmse", "train_seconds", "created",
    "split",
)  # fmt: skip


def _run_list(args: argparse.Namespace) -> int:
    from movierate import config, store

    if any(not p.strip() for p in args.patterns):  # fuzz55, F7: as `list --dataset ''` is
        raise ArgumentError(
            "A PATTERN is empty; give a shell pattern such as mf* or *whiten*, or leave the "
            "patterns out to list every model."
        )
    store.check_readable()
    leftovers = store.leftovers()  # first: removes (and reports) what killed writers left
    every, every_broken = store.list_models()
    infos, broken = _chosen(every, every_broken, args)
    narrowed = args.patterns or args.dataset is not None
    if args.json:  # CLI review round 1: scripts scraped a table whose columns come and go
        records = [_list_record(i) for i in infos] + [_broken_record(b) for b in broken]
        print(json.dumps(records, indent=2, allow_nan=False))
        for line in leftovers.lines():
            print(f"note: leftovers: {line}", file=sys.stderr)
        return EXIT_OK
    if narrowed and not infos and not broken:
        asked = [f"matches {' or '.join(shlex.quote(p) for p in args.patterns)}"] * bool(
            args.patterns
        ) + [f"was trained on {args.dataset!r}"] * (args.dataset is not None)
        print(
            f"No model {' and '.join(asked)} ({len(every):,} saved: `list` alone shows them "
            "all; patterns are shell patterns such as mf* or *whiten*).",
            file=sys.stderr,  # a note, not a result: `list 'x*' | wc -l` counts 0 (fuzz55, F7)
        )
        _print_leftovers(leftovers)
        return EXIT_OK
    if not infos and not broken:
        print(
            f"No models in {one_line(str(config.models_dir()))}. Train one, e.g.: "
            "python -m movierate train ml-latest-small --name first",
            file=sys.stderr,  # a note, as for a narrowed list: `list | wc -l` counts 0 models
        )
        _print_leftovers(leftovers)
        return EXIT_OK
    rows = [
        [
            info.name,
            store.family_shown(info),
            str(info.dim),
            store.regularizers_shown(info)
            if info.blend or info.spec.penalty_min_ratings
            else format_regularizers(info.spec.regularizers),
            info.dataset,
            num(info.test_rmse),
            num(info.test_mae),
            _old_valid(info),
            seconds(info.train_seconds),
            info.created[:19].replace("T", " "),
        ]
        for info in infos
    ]
    header = [
        "name",
        "family",
        "dim",
        "regularizers",
        "dataset",
        "test RMSE",
        "test MAE",
        "old valid RMSE",
        "train",
        "created (UTC)",
    ]
    if not any(_old_valid(info) for info in infos):  # only models saved before test rows
        at = header.index("old valid RMSE")
        header.pop(at)
        for row in rows:
            row.pop(at)
    if len(store.test_row_groups(infos)) > 1:  # test RMSEs from different rows: say which
        at = header.index("test RMSE")
        header.insert(at, "test rows")
        for row, info in zip(rows, infos, strict=True):
            row.insert(at, info.test_rows_text)
    scales = sorted({info.scale for info in infos} - {None})
    if len(scales) > 1:  # accuracy round 44, F3: 0.44 on 0-1 sorted above 0.90 on 1-5 unlabelled
        at = header.index("test RMSE")
        header.insert(at, "rating scale")
        for row, info in zip(rows, infos, strict=True):
            row.insert(at, store.scale_text(info.scale))
    if rows:
        print(format_table(header, rows))
        if narrowed:
            print(f"\n{len(infos):,} of the {len(every):,} saved models match.")
        notice = store.test_rows_notice(infos)
        if notice:
            print(f"\n{notice}")
        if len(scales) > 1:
            print(
                f"\nThese models were trained on different rating scales "
                f"({', '.join(store.scale_text(s) for s in scales)}): an RMSE is in rating "
                "points of its own scale; compare RMSEs only between models of one scale."
            )
        if any(_old_valid(info) for info in infos):
            print(
                "\n'old valid RMSE': models saved before splits had test rows were scored on "
                "the rows that also chose their best epoch; retrain them for a test RMSE."
            )
    dashed = [shlex.quote(info.name) for info in infos if info.name.startswith("-")]
    if dashed:  # saved (or copied in) before such names were refused
        print(
            f"\n{', '.join(dashed)}: a name starting with '-' reads as an option; put -- before "
            f"it (python -m movierate show -- {dashed[0]}) or rename it."
        )
    if unportable := store.unportable_names_notice([i.name for i in [*infos, *broken]]):
        print(f"\n{unportable}")
    if links := store.links_notice(infos):
        print(f"\n{links}")
    if broken:
        print(f"\n{len(broken)} broken model folder(s):")
        for item in broken:
            print("  " + one_line(f"{item.name}: {item.reason}"))
    _print_leftovers(leftovers)
    return EXIT_OK


def _print_leftovers(report) -> None:
    lines = report.lines()
    if lines:
        print("\nleftovers: " + "\n           ".join(lines))


def _configure_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name (see 'list')")


def _configure_show(parser: argparse.ArgumentParser) -> None:
    _configure_name(parser)
    parser.add_argument(
        "--json", action="store_true", help="the model's meta.json on stdout, as saved: for scripts"
    )


def _meta_shown(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` as `show --json` gives it: for an imported model (movie vectors only), what is
    not known is null and its spec is only its family and dim, as `list --json` and the text
    `show` say (recheck B, s27: 0 ratings, 0 users and a training spec it never had)."""
    imported = _mapping(meta.get("imported"))
    if not imported:
        return meta
    unknown = dict.fromkeys(("fingerprint", "n_users", "n_ratings", "rating_scale"))
    return {
        **meta,
        "spec": {"family": "imported", "dim": imported.get("dim")},
        "dataset": {**_mapping(meta.get("dataset")), **unknown},
    }


#: Metric keys that are differences (``test_rmse_minus_averages``): shown with their sign.
_DIFFERENCES = ("_minus_averages", "_minus_mean")


def _count(value: Any) -> str:
    """A whole number with its thousands grouped (``81,677``); anything else as it is."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _print_label_columns(imported: dict[str, Any]) -> None:
    """The label columns an import kept and did not keep, as the import said (bad-input round
    34 F7: show named none of them); an import saved without the note lists the kept ones."""
    from movierate.cli.output import clip_long_words

    note = imported.get("columns_note")
    kept = imported.get("label_columns")
    if isinstance(note, str) and note:
        print(f"columns   {clip_long_words(one_line(note))}")
    elif isinstance(kept, list) and kept:
        print(f"columns   kept the label columns {', '.join(map(str, kept))}")


def _run_show(args: argparse.Namespace) -> int:
    from movierate import paired, store
    from movierate.errors import StoreError
    from movierate.explore.ordering import kept_dims_note

    meta = store.read_meta(args.name)
    if args.json:  # NaN (a hand-edited file) as null: JSON has no NaN (recheck 2)
        print(json.dumps(store.json_safe(_meta_shown(meta)), indent=2, allow_nan=False))
        return EXIT_OK
    ds = _mapping(meta.get("dataset"))
    imported = _mapping(meta.get("imported"))  # movie vectors only: no split, no training
    print(f"model     {args.name}  (created {store.created_utc(str(meta.get('created')))})")
    folder = store.model_path(args.name)
    linked = f" (a link to {folder.resolve()})" if folder.is_symlink() else ""
    print(f"folder    {folder}{linked}")
    if imported:  # no ratings, users or data behind it: not "0 ratings, fingerprint None"
        print(
            f"dataset   {ds.get('name')}  ({ds.get('n_movies')} movies; the ratings, users and "
            "data the vectors were trained on are not known)"
        )
    else:
        print(
            f"dataset   {ds.get('name')}  ({_count(ds.get('n_ratings'))} ratings, "
            f"{_count(ds.get('n_users'))} users, {_count(ds.get('n_movies'))} movies, fingerprint "
            f"{ds.get('fingerprint') or 'not known'})"
        )
    split = _mapping(meta.get("split"))
    if not imported:
        said = [
            f"{k} {v if k == 'seed' else _count(v)}"
            for k, v in split.items()
            if k not in ("digest", *store.CUT_DATES)
        ]
        print("split     " + ", ".join([*said, *filter(None, [store.cut_dates_text(split)])]))
    if split.get("stop_rows_trained"):
        print(
            "          (refit after tuning: its early-stopping rows were training rows, so only "
            "the test rows are held out)"
        )
    tuning = _mapping(meta.get("tuning"))
    blend = _mapping(tuning.get("blend")) if tuning else {}
    if blend:
        members = [_mapping(m) for m in blend.get("members") or []]
        print(
            f"tuning    {tuning.get('n_trials')} trials in {tuning.get('search_seconds')} s; a "
            "blend: "
            + " + ".join(
                f"{num(_number(m.get('weight')), '.2f')} x {m.get('family')} (trial "
                f"{m.get('best_trial')}, early-stopping RMSE {num(_number(m.get('stop_rmse')))}, "
                f"columns {(m.get('columns') or ['?'])[0]}-"
                f"{((m.get('columns') or [0, 0])[1] or 0) - 1})"
                for m in members
            )
            + f"; weight picked on the early-stopping rows (blend "
            f"{num(_number(blend.get('stop_rmse')))}"
            + (
                f"; predicting the mean rating there: {num(tuning['stop_rmse_of_mean'])}"
                if isinstance(tuning.get("stop_rmse_of_mean"), int | float)
                else ""
            )
            + ")"
            + ("; both refit on train + stop rows" if blend.get("refit") else "; as trained")
            + " (trials.json beside it)"
        )
    elif tuning:
        best, refit = _mapping(tuning.get("best")), _mapping(tuning.get("refit"))
        print(
            f"tuning    {tuning.get('n_trials')} trials in {tuning.get('search_seconds')} s; "
            f"trial {best.get('trial')} had the lowest early-stopping RMSE, "
            f"{num(_number(best.get('value')))}"
            + (
                f" (predicting the mean rating there: {num(tuning['stop_rmse_of_mean'])})"
                if isinstance(tuning.get("stop_rmse_of_mean"), int | float)
                else ""
            )
            + (
                f"; refit on {refit.get('rows')} rows for {refit.get('epochs')} epochs, "
                f"{refit.get('ensemble')} seed(s), dim {refit.get('dim')}"
                if refit
                else "; saved as trained"
            )
            + " (trials.json beside it)"
        )
        if refit and (chosen := winner_stop_rows_chose(meta)):  # as trained: said below
            whose = f"trial {best.get('trial')}'s"
            print(f"          {flatters_note(chosen, whose)}")
    timings = _mapping(meta.get("timings"))
    if not imported:
        print(
            f"training  {_seconds(timings.get('train_seconds'))}, "
            f"{num(_number(timings.get('ratings_per_second')), ',.0f')} ratings/s in its "
            "optimizer steps"  # views round 34, F6: the steps' time, not the seconds beside it
        )
    versions = _mapping(meta.get("versions"))
    print("versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    if imported:  # its spec is a placeholder: it was never trained with those settings
        print(
            f"imported  {imported.get('n_movies')} movie vectors of {imported.get('dim')} dims "
            f"from {str(imported.get('source'))!r} ({imported.get('format')})\n"
            "          (an embedding imported from elsewhere: no ratings, so no accuracy)"
        )
        _print_label_columns(imported)
    elif blend:
        _print_blend_spec(blend)
    else:
        seeds = store.read_ensemble_seeds(meta)
        refit = _mapping(tuning.get("refit")) if tuning else {}
        print(
            f"\nspec (a seed ensemble: these settings fit with {seeds} seeds "
            f"{refit.get('seeds')}, their vectors side by side; the dim is theirs together)"
            if seeds > 1
            else "\nspec"
        )
        spec = _mapping(meta.get("spec"))
        family = spec.get("family")
        for key, value in spec.items():
            if family not in FAMILY_ONLY.get(key, (family,)):
                continue  # a field this family never reads (recheck N6: deep's layers on mf_bias)
            print(f"  {key:<24} {_spec_text(key, value, spec)}")
            if key == "early_stopping_patience" and (
                old := store.old_patience_zero_note(spec, _mapping(meta.get("metrics")))
            ):  # bad-input round 38, F2: read under today's "0 = off"
                print(f"  {'':<24} ({old})")
    if not imported and "n_test" not in split:
        print(
            "          (saved before splits had test rows: its validation rows also steered "
            "early stopping, so there is no test RMSE)"
        )
    note = kept_dims_note(_mapping(meta.get("spec")), _mapping(meta.get("metrics")))
    if note:
        print(f"          ({note})")
    if meta.get("metrics"):  # an imported model has none: no bare heading
        print("\nmetrics")
    fixed_epochs = bool(split.get("stop_rows_trained"))  # a refit: nothing stopped it early
    shown_metrics = {
        key: value
        for key, value in _mapping(meta.get("metrics")).items()
        if not (blend and key in _MEMBER_METRICS)  # the first member's: listed per member above
        and not (fixed_epochs and key == "settled_epoch")  # no early stopping: nothing was eligible
    }
    width = max(
        [36, *(len(_metric_text(key, fixed_epochs)) for key in shown_metrics)]
    )  # labels line up
    for key, value in shown_metrics.items():
        if key == "ensemble" and isinstance(value, int | float):
            print(f"  {'seeds averaged (seed ensemble)':<{width}} {int(value)}")
            continue
        # views round 34, F4/F5: a difference signed, as everywhere else; counts grouped
        shown = (
            num(value, "+.4f" if key.endswith(_DIFFERENCES) else ".4f")
            if isinstance(value, float)
            else _count(value)
        )
        if key.endswith("_ci95") and store.few_test_users(shown_metrics):  # recheck s33
            shown = f"none: {paired.few_users_text(shown_metrics['test_users'])}"
        print(f"  {_metric_text(key, fixed_epochs):<{width}} {shown}")
    chosen = store.stop_rows_chose(meta)
    if chosen:
        print(f"  {flatters_note(chosen)}")
    metrics = _mapping(meta.get("metrics"))
    if not fixed_epochs and (settled := store.settled_note(metrics)):
        print(f"  (kept epoch {metrics.get('best_epoch', '?')}{settled})")
    if baselines := store.baselines_text(metrics):
        print(f"  ({baselines})")
    elif "n_test" in split and not imported:  # bad-input round 38, F1: skipped unsaid
        # bad-input round 58, F3: "the training mean's ... not recorded" under a recorded one
        missing = [
            whose
            for key, whose in (
                ("test_rmse_of_mean", "the training mean's"),
                ("test_rmse_of_averages", "the user and movie averages'"),
            )
            if not isinstance(_number(metrics.get(key)), int | float)
        ]
        which = f"{' and '.join(missing)} test RMSE" if missing else "the reference MAEs"
        print(
            f"  ({which}: "
            f"{store.references_not_recorded_text(args.name)} to compute them on its test rows "
            "and check the model against them)"
        )
    if warning := store.split_note(_mapping(meta.get("split"))):  # recheck E: train only
        print(f"warning: {warning}", file=sys.stderr)
    if note := store.ties_note(_mapping(meta.get("split"))):
        print(f"note: {note}", file=sys.stderr)
    if note := store.unseen_note(metrics, _mapping(meta.get("split"))):  # round 53, F2
        print(f"note: {note}", file=sys.stderr)
    if warning := _reference_warning(metrics, _mapping(meta.get("split")), meta):
        print(f"warning: {warning}", file=sys.stderr)
    history = {k: v for k, v in _mapping(meta.get("history")).items() if isinstance(v, list) and v}
    if history:
        columns = list(history)
        n_epochs = max(len(v) for v in history.values())
        rows = [
            [str(i + 1)]
            + [num(_number(history[c][i])) if i < len(history[c]) else "" for c in columns]
            for i in range(n_epochs)
        ]
        print("\nhistory" + store.first_member_note(_mapping(meta.get("metrics"))))
        print(format_table(["epoch", *columns], rows))
        print(HISTORY_LEGEND)
    problem = store.model_problem(args.name)
    if problem and (store.UNREADABLE in problem or store.FIX_IN_META in problem):
        # its files may be whole, or one value in meta.json is off: never "delete it"
        raise StoreError(f"Model {args.name!r} cannot be loaded: {problem.rstrip('.')}.")
    if problem and "delete" in problem:  # its own advice names deleting (recheck 7: twice)
        raise StoreError(
            f"Model {args.name!r} is broken and cannot be loaded: {problem.rstrip('.')} "
            f"(python -m movierate delete {args.name})."
        )
    if problem:
        raise StoreError(
            f"Model {args.name!r} is broken and cannot be loaded: {problem.rstrip('.')}. Delete it "
            f"(python -m movierate delete {args.name}) and train or import it again."
        )
    return EXIT_OK


#: Labels ``show`` gives the metrics that ``store.metric_label`` leaves as their keys (README
#: review s31: raw keys such as test_rmse_of_mean among prose labels).
_SHOW_LABELS = {
    # recheck 10, L2: on a 0-100 scale it was 625 x a 1-5 model's, beside penalties in u
    "loss": "training loss (kept epoch; its batches' mean squared error in rating points², "
    "no penalty in it)",
    "best_epoch": "kept epoch (early stopping's best)",
    "epochs_run": "epochs run",
    "settled_epoch": "kept epoch eligible from epoch",
    "test_rmse_of_mean": "test RMSE of the training mean",
    "test_mae_of_median": "test MAE of the training median",
    "test_rmse_of_averages": "test RMSE of user and movie averages",
    "test_mae_of_averages": "test MAE of user and movie averages",
    "disc_loss": "adversarial discriminator loss",
    # accuracy round 36, F2: the Embeddings page shows these over its own (default) movies
    "ks_uniform": "KS distance to U(-1, 1) (mean per dimension; rows the penalty shaped)",
    "corr_offdiag": "mean |off-diagonal correlation| (rows the penalty shaped)",
    # accuracy round 33, F2: test-only users / movies keep their random start
    "reg_l2": "l2 penalty (raw, kept epoch; rows with a training rating)",
}


#: What ``show``'s history columns hold, in which units (recheck 10, L2: "loss" on a 0-100
#: model read 446.95 beside an L2 penalty of 0.86 with no word on either's unit).
HISTORY_LEGEND = (
    "(loss: the epoch's training batches' mean squared error, in rating points², no penalty "
    "in it; *_rmse / *_mae: in rating points, after the epoch; reg_*: each penalty's raw "
    "value, before its strength, on the vectors themselves)"
)


#: ``best_epoch``'s label on a tuning's refit, which ran the tuner's epoch count with no rows to
#: stop on (accuracy round 57, F3: it read "kept epoch (early stopping's best)").
_REFIT_EPOCH_LABEL = "epochs (refit: ran the tuner's choice in full; no early stopping)"


def _metric_text(key: str, refit: bool = False) -> str:
    """A recorded metric's label in ``show``: a regularizer's raw penalty named as such; on a
    refit (``refit``), its epoch count as set, not chosen."""
    from movierate import store

    if refit and key == "best_epoch":
        return _REFIT_EPOCH_LABEL
    if key.startswith("reg_") and key not in _SHOW_LABELS:
        return f"{key[4:]} penalty (raw, kept epoch)"
    return _SHOW_LABELS.get(key) or store.metric_label(key)


def _spec_text(key: str, value: Any, spec: dict[str, Any]) -> str:
    """A spec field as ``show`` prints it: an unset bias as the family default it takes, not
    ``None`` (README review s31)."""
    if value is None and key in ("user_bias", "movie_bias"):
        on = getattr(ModelSpec(family=str(spec.get("family"))), f"has_{key}")
        return f"{on} (unset: the family's default)"
    return str(value)


def _mapping(value: Any) -> dict[str, Any]:
    """A meta.json section as a dict; a damaged (non-object) section shows as empty."""
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    """A number from meta.json as a float, None when it is not one."""
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)


def _number(value: Any) -> Any:
    """A number from meta.json, or the value as text when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-" if value is None else str(value)
    return value


def _seconds(value: Any) -> str:
    return seconds(value) if isinstance(_number(value), int | float) else "-"


def _configure_delete(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="model(s) to delete")


def _run_delete(args: argparse.Namespace) -> int:
    from movierate import store

    names = list(dict.fromkeys(args.names))  # a name given twice is deleted once
    for name in names:  # every name checked first: a typo in the last deletes nothing
        store.require_model(name)
    for name in names:
        store.delete_model(name)
        print(f"deleted {name}")
    return EXIT_OK


def _configure_rename(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="NAME", help="model to rename (see 'list')")
    parser.add_argument("new", metavar="NEW_NAME", help="its new name (must be free)")


def _run_rename(args: argparse.Namespace) -> int:
    from movierate import store

    store.rename_model(args.old, args.new)
    if args.old == args.new:  # CLI review round 1: "renamed a1 to a1"
        print(f"{args.old} already has that name; nothing changed")
        return EXIT_OK
    print(f"renamed {args.old} to {args.new}")
    return EXIT_OK


def _configure_evaluate(parser: argparse.ArgumentParser) -> None:
    _configure_name(parser)
    parser.add_argument(
        "--data",
        metavar="FOLDER",
        help="the dataset the model was trained on, when it is no longer where it was "
        "(a folder or .zip path, or a dataset name); its fingerprint must match",
    )
    parser.add_argument(
        "--against",
        nargs="+",
        metavar="MODEL",
        help="also score these models (same data and split) on the same test ratings and "
        "print each one's test RMSE against the lowest, ± the half-width of the paired "
        "difference's 95%% interval that its verdict reads (for all pairs at once with 3+ "
        "models; the sign-flip test's under 200 test users) and how many standard errors it is "
        "(or that test's p)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="the numbers it prints as one JSON object on stdout (each part's RMSE / MAE and "
        "recorded ones, the references, the top-10 list check, --against's paired "
        "differences): for scripts",
    )


#: A blend's metrics that are its first member's (or count its members): shown per member.
_MEMBER_METRICS = ("best_epoch", "epochs_run", "ensemble")


def _print_blend_spec(blend: dict[str, Any]) -> None:
    """A blend's settings, member by member: its saved spec holds only one member's."""
    members = [_mapping(m) for m in blend.get("members") or []]
    print(
        f"\nspec (a blend of {len(members)} models of different families, each trained with its "
        "own settings; its movie vectors are their columns side by side, each scaled by "
        "sqrt(its weight))"
    )
    for number, member in enumerate(members, 1):
        refit = _mapping(member.get("refit"))
        columns = member.get("columns") or ["?", None]
        seeds = refit.get("ensemble")
        epochs = refit.get("epochs") if refit else member.get("best_epoch")
        print(
            f"  member {number}: {member.get('family')}, weight "
            f"{num(_number(member.get('weight')), '.2f')}, columns {columns[0]}-"
            f"{(columns[1] or 0) - 1 if isinstance(columns[1], int) else '?'}, "
            + (f"{seeds} seeds averaged, " if isinstance(seeds, int) and seeds > 1 else "")
            + f"{epochs} epochs"
            + (" (refit on train + stop rows)" if refit else " (its kept epoch)")
        )
        for key, value in _mapping(member.get("spec")).items():
            print(f"    {key:<24} {value}")


def _run_evaluate(args: argparse.Namespace) -> int:
    from movierate import ranking, store
    from movierate.pipeline import data_notes, dataset_of, evaluate_model, split_parts

    model = store.load_model(args.name)
    # named before any work; each model once (a repeat would count as one more model)
    against = [n for n in dict.fromkeys(args.against or []) if n != args.name]
    dropped = _dropped_against(args.name, args.against or [])
    if dropped:  # fuzz55, F4: left out without a word
        print(f"note: {dropped}", file=sys.stderr)
    others = [store.load_model(name) for name in against]
    _check_against(model, others)  # fuzz55, F2: not after the whole report of the model
    ds = _data_for(model, args.data, args.json) if args.data is not None else None
    ds = ds if ds is not None else dataset_of(model)
    result = evaluate_model(model, ds)
    read_from = data_notes(model, ds)  # bad-input round 67, F2-F3: where its data came from
    if args.json:
        record = _evaluate_record(model, others, ds, result)
        record["notes"] += ([dropped] if dropped else []) + read_from
        print(json.dumps(record, indent=2, allow_nan=False))
        return EXIT_OK
    recorded = model.metrics
    tuned = store.stop_rows_tuning_chose(model.meta) if model.has_test_rows else None
    dims = store.stop_rows_chose_dims(model.meta) if model.has_test_rows else None
    names = {
        "train": "train",
        "stop": "early-stopping (chose settings: optimistic)"
        if tuned
        else "early-stopping (chose dims: optimistic)"
        if dims
        else "early-stopping",
        "test": "test",
        "valid": "valid (steered early stopping)",
    }
    rows = [
        [
            names[part],
            _count(result[f"n_{part}"]),
            num(result[f"{part}_rmse"]),
            num(result[f"{part}_mae"]),
            num(recorded.get(f"{part}_rmse")),
            num(recorded.get(f"{part}_mae")),
        ]
        for part in split_parts(model)
    ]
    where = ds.name if ds is not None else model.dataset_name
    for note in read_from:
        print(f"note: {note}", file=sys.stderr)
    print(f"{model.name}: recomputed in numpy on {where} (recorded at training time)")
    print(format_table(["rows", "n", "RMSE", "MAE", "recorded RMSE", "recorded MAE"], rows))
    if interval := store.rmse_interval_text(result):
        print(f"test RMSE {result['test_rmse']:.4f}{interval}")
    if warning := _recomputed_warning(recorded, result):
        print(f"warning: {warning}", file=sys.stderr)
    if model.has_test_rows:
        chosen = store.stop_rows_chose(model.meta)
        if tuned:
            also = f" and {dims}" if dims else ""
            print(
                f"early-stopping rows: they chose {tuned}{also}, so their RMSE is optimistic; "
                "only the test rows' is not."
            )
        elif chosen:
            print(f"early-stopping rows: they also chose {chosen}, so their RMSE flatters it.")
        if note := _before_pruning_note(recorded, result):
            print(f"note: {note}", file=sys.stderr)
        caveat = store.settings_caveat([model])
        if caveat:
            print(f"test rows: seen by neither training nor early stopping. {caveat}")
        else:
            print("test rows: seen by neither training, early stopping nor any choice of settings.")
        unseen = result.get("test_unseen_rows", 0)
        if unseen:
            print(
                f"{unseen:,} of them have a user or movie with no rating the model was fit on: "
                f"they are predicted from vectors {_unseen_vectors(model)}, and count in the RMSE."
            )
    else:
        print(
            "This model was saved before splits had test rows: its validation rows also chose "
            "its best epoch, so their RMSE flatters it. Retrain it for a test RMSE."
        )
    if warning := store.split_note(model.split_record):  # recheck E (s26): train only
        print(f"warning: {warning}", file=sys.stderr)
    if note := store.ties_note(model.split_record, result.get("test_tied_rows")):
        print(f"note: {note}", file=sys.stderr)
    if model.has_test_rows:  # fit and scored on the recorded split's rows, as recomputed above
        _print_references(model, ds, result)
    if said := ranking.ranking_text(ranking.held_out_ranking(model, ds)):
        print(said)  # accuracy round 12: RMSE did not tell which model's top-10 was better
    if others:
        _print_paired([model, *others], ds)
    return EXIT_OK


def _recomputed_warning(recorded: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why a recomputed test RMSE that is not the recorded one matters (bad-input round 12:
    vectors copied over a model read 0.9861 beside "recorded 1.0366"); None when they agree."""
    now, then = _float(result.get("test_rmse")), _float(recorded.get("test_rmse"))
    if now is None or then is None or abs(now - then) <= 5e-4:
        return None
    return (
        f"the recomputed test RMSE {now:.4f} is not the {then:.4f} recorded at training time: "
        "this folder's files are not the ones that training saved together (its arrays, or "
        "the numbers in its meta.json, were replaced or edited). Its recorded numbers, shown "
        "in list and on the pages, do not describe its arrays; retrain it or restore its files."
    )


def _before_pruning_note(recorded: dict[str, Any], result: dict[str, Any]) -> str | None:
    """Why a pruned ``ordered`` model saved before accuracy round 35 (F1) records other train
    and early-stopping numbers than its arrays give: they are the model's before its rank
    selection zeroed dimensions; None for a model with nothing pruned, or recorded since."""
    kept = _float(recorded.get("kept_dims"))
    if kept is None or "train_rmse_before_pruning" in recorded:
        return None
    off = [
        f"{part} {then:.4f} recorded, {now:.4f} now"
        for part in ("train", "stop")
        if (now := _float(result.get(f"{part}_rmse"))) is not None
        and (then := _float(recorded.get(f"{part}_rmse"))) is not None
        and abs(now - then) > 5e-4
    ]
    if not off:
        return None
    return (
        f"its recorded train and early-stopping RMSE / MAE ({'; '.join(off)}) are the model's "
        f"before its rank selection kept the first {int(kept)} dimensions and zeroed the rest: "
        "the movierate that saved it recorded them so. The recomputed ones are the saved model's."
    )


def _print_references(model: Any, ds: Any, result: dict[str, Any]) -> None:
    """What ``model``'s test RMSE is read against and the warning it calls for; computed now
    where the version that saved it did not record them (bad-input round 38, F1: an older
    model skipped the "no better than the averages" check without a word)."""
    from movierate import store
    from movierate.pipeline import dataset_of, recorded_split, reference_metrics, test_metrics

    metrics = reference_metrics(model, ds)
    if _recomputed_warning(model.metrics, result):  # bad-input round 52, F1: the recorded gap
        ds = ds if ds is not None else dataset_of(model)  # described other arrays: all now
        split = recorded_split(ds, model.split_record)
        metrics = {
            **metrics,
            **test_metrics(model.arrays, model.spec, ds, split, model.rating_scale),
        }
    if not store.references_recorded(model.metrics) and store.references_recorded(metrics):
        print(
            "references: not recorded (or one damped pass's) by the older movierate version "
            "that saved this model, so computed now on its recorded split, as training does"
        )
    if baselines := store.baselines_text(metrics):
        print(baselines)
    else:
        print("references: none could be fit on its recorded split's rows: not checked")
    if warning := _reference_warning({**metrics, **result}, model.split_record, model.meta):
        print(f"warning: {warning}", file=sys.stderr)


def _reference_warning(metrics: dict[str, Any], split: dict[str, Any], meta: dict[str, Any]) -> str:
    """:func:`store.reference_warning` of a saved model on ``split`` (its meta.json ``meta``),
    with its learning rate and early-stopping history, as `train` prints it (accuracy round 43,
    F4: `show` and `evaluate` gave no hint for an RMSE that rose from epoch 1); a tuned model's
    as `tune` reads them (``tuning.verdict_metrics``: a refit by its search's stop rows)."""
    from movierate import store
    from movierate.tuning import verdict_metrics

    if isinstance(tuning := meta.get("tuning"), dict):
        metrics = verdict_metrics(metrics, tuning, _mapping(split))
    rate = _mapping(meta.get("spec")).get("learning_rate")
    stop_rmse = _mapping(meta.get("history")).get("stop_rmse")
    return store.reference_warning(
        metrics,
        split,
        rate if isinstance(_number(rate), float) else None,
        stop_rmse if isinstance(stop_rmse, list) else None,
    )


def _evaluate_record(
    model: Any, others: list[Any], ds: Any, result: dict[str, Any]
) -> dict[str, Any]:
    """What ``evaluate`` prints, for ``--json`` (views round 24, F4: prose only): each part's
    recomputed and recorded RMSE / MAE, the raw result, the references its test RMSE is read
    against, the top-10 list check and ``--against``'s paired differences."""
    import dataclasses

    from movierate import paired, ranking, store
    from movierate.pipeline import Unavailable, reference_metrics, split_parts

    recorded = model.metrics
    parts = {
        part: {
            "n": result[f"n_{part}"],
            "rmse": result[f"{part}_rmse"],
            "mae": result[f"{part}_mae"],
            "recorded_rmse": _float(recorded.get(f"{part}_rmse")),
            "recorded_mae": _float(recorded.get(f"{part}_mae")),
        }
        for part in split_parts(model)
    }
    check = ranking.held_out_ranking(model, ds)
    if isinstance(check, Unavailable):
        listed: dict[str, Any] = {"unavailable": check.text}
    else:
        listed = {
            **{k: v for k, v in dataclasses.asdict(check).items() if k not in ("users", "gains")},
            "ndcg_gap": check.ndcg_gap,
            "chance_gap": check.chance_gap,
            "no_verdict": check.no_verdict,
        }
    metrics = reference_metrics(model, ds) if model.has_test_rows else {}
    # what the text prints on stderr and in its notes, so that a script sees it too (views
    # round 24: --json dropped "no better than the averages" and "files replaced")
    warnings = [
        _recomputed_warning(recorded, result),
        store.split_note(model.split_record),
        _reference_warning({**metrics, **result}, model.split_record, model.meta)
        if model.has_test_rows
        else None,
    ]
    notes = [
        store.settings_caveat([model]) if model.has_test_rows else None,
        store.ties_note(model.split_record, result.get("test_tied_rows")),
    ]
    record = {
        "name": model.name,
        "dataset": ds.name,
        "parts": parts,
        "result": result,
        "metrics": metrics,
        "ranking": listed,
        "warnings": [text for text in warnings if text],
        "notes": [text for text in notes if text],
    }
    if others:
        record["paired"] = [
            {**dataclasses.asdict(d), "difference": d.difference, "verdict": _verdict(d)}
            for d in paired.paired_differences([model, *others], ds)
        ]
    return store.json_safe(record)


def _dropped_against(name: str, against: list[str]) -> str | None:
    """What ``--against`` left out: the model being evaluated, and names given twice; None if
    nothing."""
    said = []
    if name in against:
        said.append(f"--against {name} is the model being evaluated; it is left out")
    twice = [n for n in dict.fromkeys(against) if against.count(n) > 1 and n != name]
    if twice:
        said.append(f"--against names {', '.join(twice)} more than once; each is scored once")
    return "; ".join(said) + "." if said else None


def _check_against(model: Any, others: list[Any]) -> None:
    """DataError, before any scoring, for an ``--against`` model whose test ratings cannot pair
    with ``model``'s: an imported embedding (no ratings at all), other data, another split."""
    from movierate.errors import DataError

    if model.meta.get("imported"):  # evaluating it is refused in its own words
        return
    for other in others:
        if other.meta.get("imported"):
            raise DataError(
                f"--against {other.name}: {other.name!r} is an embedding imported from "
                "elsewhere: it has movie vectors only, no users or ratings, so no test ratings "
                "to compare; --against takes models trained here on the same data and split."
            )
        if other.dataset_fingerprint != model.dataset_fingerprint:
            raise DataError(
                f"{other.name!r} was trained on other data than {model.name!r}, so their test "
                "ratings differ; --against takes models of the same data and split."
            )
        if None not in (model.test_rows, other.test_rows) and other.test_rows != model.test_rows:
            raise DataError(
                f"{other.name!r} was tested on other ratings than {model.name!r} (test rows "
                f"{other.test_rows_text}, not {model.test_rows_text}), so their errors do not "
                "pair; --against takes models of the same data and split."
            )


def _print_paired(models: list[Any], ds: Any) -> None:
    """Each model's test RMSE against the lowest, paired over their shared test rows."""
    from movierate import paired

    differences = paired.paired_differences(models, ds)
    print(
        f"\npaired over the same {differences[0].n_rows:,} test ratings (± the half-width of "
        "the interval each verdict reads, its level in the cell; each user's ratings counted "
        "together: it covers which users' "
        "ratings are test rows, not training noise such as another seed)"
    )
    rows = [[d.name, num(d.rmse), d.short(), _verdict(d)] for d in differences]
    print(format_table(["model", "test RMSE", "vs lowest", "verdict"], rows))
    print(paired.threshold_text(differences[0]))
    twins = paired.seed_twins_text(models)
    if twins:  # accuracy round 31, F1: the twins' averages verdicts read across them
        from movierate import store

        across = store.twins_averages_text(models, {m.name: m.metrics for m in models})
        spreads = paired.seed_spread_text(differences)  # accuracy round 54, F2
        print(" ".join(filter(None, [twins, spreads, across])))


def _verdict(difference: Any) -> str:
    """A paired difference's verdict in a few words."""
    from movierate import paired

    if difference.name == difference.reference:
        return "reference"
    if difference.identical:
        return "same errors"
    if difference.twin:
        return paired.twin_verdict(difference.twin)
    said = "more than the draw" if difference.resolved else "within the draw"
    return said + (", within seed spread" if difference.within_seed_spread else "")


def _data_for(model, data: str, quiet: bool = False):
    """The dataset ``--data`` names, checked to be the one ``model`` was trained on (``quiet``:
    its notes on stderr, for a stdout that holds JSON)."""
    from movierate.data import load_dataset
    from movierate.errors import DataError

    check_path_argument(data, "--data", name_first=True)
    ds = load_dataset(data)
    recorded = model.meta["dataset"].get("fingerprint")
    if recorded and ds.fingerprint != recorded:
        raise DataError(
            f"{clip(data, 200)} holds other data than model {model.name!r} was trained on "
            f"(fingerprint {ds.fingerprint}; the model recorded {recorded} for dataset "
            f"{model.dataset_name!r}). Pass the data the model was trained on."
        )
    print_notes(ds, scale=False)  # the model's scale is recorded (README review s31)
    if str(data).lower().endswith(".zip") and ds.source:  # said: a read-only command wrote it
        print(
            f"note: the zip was extracted to {ds.source} (kept: later runs reuse it)",
            file=sys.stderr if quiet else sys.stdout,
        )
    return ds


register("list", Command("list saved models (and broken folders)", _configure_list, _run_list))
register("show", Command("show a model's spec, metrics and history", _configure_show, _run_show))
register("delete", Command("delete saved models", _configure_delete, _run_delete))
register("rename", Command("rename a saved model", _configure_rename, _run_rename))
register(
    "evaluate",
    Command("recompute RMSE/MAE on the recorded split", _configure_evaluate, _run_evaluate),
)


def _old_valid(info: Any) -> str:
    """The list's 'old valid RMSE' cell: only a model saved before splits had test rows has one
    (an imported embedding has no accuracy at all)."""
    if info.has_test_rows or info.reported_rmse is None:
        return ""
    return f"{num(info.reported_rmse)} (steered early stopping)"


def _unseen_vectors(model: Any) -> str:
    """What moved the vectors of movies without a training rating: nothing, but for a model
    saved before the spread penalties left them alone (no training counts recorded)."""
    from movierate.data.movies import TRAINING_COUNTS
    from movierate.spec import SPREAD_PENALTIES

    spread = [k for k, v in model.spec.regularizers.items() if v and k in SPREAD_PENALTIES]
    if not spread or TRAINING_COUNTS in model.movies.columns:
        return "training never moved"
    return (
        f"training never moved, except the movies' vectors, which its {' and '.join(spread)} "
        "penalty moved (it was trained before the spread penalties left movies without a "
        "training rating alone; retrain it to score those rows fairly)"
    )
