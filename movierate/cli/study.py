"""The study command: train and measure the regularizer study."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from movierate import schema
from movierate.cli.command import (
    EXIT_OK,
    EXIT_SAVED_AS_OTHER_NAME,
    Command,
    flags_text,
    given_flags,
    register,
)
from movierate.cli.output import (
    ASCII_WHOLE,
    ArgumentError,
    check_path_argument,
    whole_number,
    writable_folder,
)
from movierate.errors import SpecError
from movierate.schema import parse_units

#: The options of a study run, in ``--help``'s order: ``--merge`` trains nothing, so it refuses
#: them rather than ignore them (fuzz55, F1).
_RUN_OPTIONS: dict[str, dict[str, Any]] = {
    "--quick": {
        "action": "store_true",
        "help": "tiny run: ml-100k, dim 8, 2 epochs, seeds 0 and 1, 22 models (about 50 s of "
        "CPU: 1.5-2.5 minutes on a shared 2-core machine); it keeps no models in the store (a "
        "full study keeps each seed-0 model unless --no-save)",
    },
    "--datasets": {"metavar": "A,B", "help": "datasets [ml-100k,ml-latest-small,ml-1m-sample]"},
    "--dims": {"metavar": "N,N", "help": "embedding dims [32]"},
    "--seeds": {"metavar": "N,N", "help": "model seeds [0,1,2; --quick: 0,1]"},
    "--epochs": {
        "type": whole_number(schema.SPEC_SCHEMA["epochs"].constraint.describe()),
        "help": "epochs per model, on every dataset [20, 5 on ml-1m-sample; --quick: 2]",
    },
    "--variants": {
        "metavar": "A,B",
        "help": "only these variants, by name (e.g. l2,l2+decorrelation,l2+ordered) [all]",
    },
    "--no-save": {"action": "store_true", "help": "do not keep the models in the store"},
}


def _configure_study(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        help="folder for results.json/.csv, summary.csv, ablation.csv, prefix.csv, study.md "
        "[$MOVIERATE_HOME/study]",
    )
    for flag, options in _RUN_OPTIONS.items():
        parser.add_argument(flag, **options)
    parser.add_argument(
        "--merge",
        metavar="DIR,DIR",
        help="train nothing: merge the results of runs on different datasets into --out",
    )
    parser.add_argument(
        "--into",
        metavar="DIR",
        help="with --merge: the merged runs' rows replace those of the same dataset, seed and "
        "variant in the full results in DIR (gaps and costs recomputed); written to --out",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results already in the output folder and saved models of the "
        "study's names (else a folder holding results, or such a model, is refused)",
    )


def _run_study(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from movierate import config, store, study
    from movierate.run_ledger import noting_cli_run

    _check_mode(args)
    if args.merge:
        if not args.out:
            raise SpecError("--merge needs --out, the folder for the merged results.")
        out = writable_folder(args.out, "--out")
        folders = [part.strip() for part in args.merge.split(",") if part.strip()]
        for folder in [*folders, *([args.into] if args.into else [])]:
            check_path_argument(folder, "--into" if folder is args.into else "--merge")
        study.check_output_folder(out, args.overwrite)
        if args.into:
            files = study.merge_into(Path(args.into), [Path(f) for f in folders], out)
            print(f"replaced the rows of {len(folders)} study runs in {args.into} into {out}:")
        else:
            files = study.merge_results([Path(f) for f in folders], out)
            print(f"merged {len(folders)} study runs into {out}:")
        for path in files.values():
            print(f"  {path}")
        return EXIT_OK
    plan = study.QUICK_PLAN if args.quick else study.FULL_PLAN
    changes: dict[str, Any] = {}
    if args.datasets:
        changes["datasets"] = distinct(
            tuple(d.strip() for d in args.datasets.split(",") if d.strip()), "--datasets"
        )
        for name in changes["datasets"]:
            check_path_argument(name, "--datasets", name_first=True)
    if args.dims:
        changes["dims"] = distinct(parse_units(args.dims, "--dims"), "--dims")
        for dim in changes["dims"]:
            in_range(dim, "dim", "--dims")
    if args.seeds:
        changes["model_seeds"] = parse_seeds(args.seeds)
        for seed in changes["model_seeds"]:
            in_range(seed, "seed", "--seeds")
    if args.variants:
        changes["variants"] = pick_variants(args.variants, plan.variants)
    if args.epochs is not None:
        changes["epochs"] = args.epochs
        changes["dataset_epochs"] = {}
    if args.no_save:
        changes["save_models"] = False
    out = writable_folder(args.out, "--out") if args.out else _default_out(config)
    study.check_output_folder(out, args.overwrite)  # before any training
    store.use_process_temp_dir()  # TensorFlow's autograph files go where a kill is cleaned up
    progress = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    plan = replace(plan, **changes)
    with noting_cli_run("study", "a study's models", plan.datasets):  # bad-input round 54, F1
        result = study.run_study(plan, out, progress=progress, overwrite=args.overwrite)
    code = EXIT_OK
    if result.rescued:  # --out could not be written when the results were ready
        print(
            f"note: {out} could not take the results ({result.rescued}), so they are in "
            f"{result.out_dir} (exit code {EXIT_SAVED_AS_OTHER_NAME}); move them where you "
            "want them.",
            file=sys.stderr,
        )
        code = EXIT_SAVED_AS_OTHER_NAME
    elif result.out_dir != Path(out).resolve():  # another run wrote to --out meanwhile
        print(
            f"note: {out} received another run's study results while this study ran, so its "
            f"results are in {result.out_dir} (exit code {EXIT_SAVED_AS_OTHER_NAME})",
            file=sys.stderr,
        )
        code = EXIT_SAVED_AS_OTHER_NAME
    if result.renamed:  # the notes were said as each model was saved
        code = EXIT_SAVED_AS_OTHER_NAME
    print(f"study done in {result.seconds:.0f} s; results in {result.out_dir}:")
    for path in result.files.values():
        print(f"  {path}")
    return code


def _check_mode(args: argparse.Namespace) -> None:
    """SpecError for an option the chosen mode ignores: ``--into`` without ``--merge`` (the whole
    study was trained instead: fuzz55, F1), or a study run's option with ``--merge``."""
    if args.into and not args.merge:
        raise SpecError(
            "--into goes with --merge: it names the full results that the merged runs' rows "
            "replace (study --merge RUN,RUN --into FULL --out OUT). Without --merge, `study` "
            "trains the whole study; drop --into for that."
        )
    if args.merge and (ignored := given_flags(args, _RUN_OPTIONS)):
        one = len(ignored) == 1
        raise SpecError(
            f"{flags_text(ignored)} {'does' if one else 'do'} nothing with --merge, which trains "
            f"nothing and only merges the results of finished runs; drop {'it' if one else 'them'}, "
            "or run `study` without --merge to train a study with "
            f"{'it' if one else 'them'}."
        )


def _default_out(config: Any) -> Path:
    """``$MOVIERATE_HOME/study``, created and checked writable now (not after the study)."""
    out = config.home_dir() / "study"
    try:
        return writable_folder(str(out), "The default study folder")
    except ArgumentError as exc:
        raise ArgumentError(
            f"{exc} Set {config.home_setting()} to a writable folder, or pass --out DIR."
        ) from None


def pick_variants(text: str, variants: tuple[Any, ...]) -> tuple[Any, ...]:
    """``--variants a,b``: those of ``variants`` (in the plan's order; SpecError for a name
    the study does not have)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = [v.name for v in variants]
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise SpecError(
            f"--variants {text!r}: unknown {', '.join(unknown) or '(none given)'}; choose from "
            f"{', '.join(known)}."
        )
    return tuple(v for v in variants if v.name in names)


def distinct(values: tuple[Any, ...], flag: str) -> tuple[Any, ...]:
    """``values`` when none repeats; a repeat would run its cells twice and count the copies
    as more seeds in the summary's mean and spread (CLI review round 1)."""
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise SpecError(
            f"{flag} names {', '.join(repeated)} more than once; give each value once (a "
            "repeat would run the same models twice and count them as more seeds)."
        )
    return values


def in_range(value: int, field: str, flag: str) -> None:
    """SpecError naming the study's ``flag`` (not ``train``'s) when ``value`` breaks the
    spec field's range."""
    interval = schema.SPEC_SCHEMA[field].constraint
    if value not in interval:
        raise SpecError(f"{flag}: {value} is invalid: {interval.describe()}.")


def parse_seeds(text: str) -> tuple[int, ...]:
    """``--seeds 0,1,2`` as a tuple of distinct integers >= 0 (SpecError otherwise)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    # int() took Arabic-Indic digits and 1_000 (fuzz66, F7)
    digits = all(ASCII_WHOLE.fullmatch(part) for part in parts)
    seeds = tuple(int(part) for part in parts) if digits else ()
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise SpecError(f"--seeds {text!r}: give distinct integers >= 0, e.g. --seeds 0,1,2.")
    return seeds


register("study", Command("run the regularizer study", _configure_study, _run_study))
