"""The dataset commands: datasets (what is available) and download."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from movierate.cli import signals
from movierate.cli.command import EXIT_OK, Command, flags_text, given_flags, register
from movierate.cli.output import ArgumentError, check_path_argument, print_notes
from movierate.cli.progress import DownloadProgress
from movierate.cli.tables import format_table


def _describe(ds: Any) -> None:
    """One line of a loaded dataset's size and scale, then what loading changed or guessed."""
    scale = ds.rating_scale
    lo, hi = (
        (float(ds.ratings["rating"].min()), float(ds.ratings["rating"].max()))
        if len(ds)
        else (scale.min, scale.max)
    )
    print(
        f"{ds.name}: {len(ds):,} ratings, {_count(ds.n_users, 'user')}, "
        f"{_count(ds.n_movies, 'movie')}, "
        f"ratings {scale.min:g} to {scale.max:g} "
        + (f"(step {scale.step:g}" if scale.step else "(any value")  # not "step 0" (round 16)
        # accuracy round 16: a scale wider than the data said so nowhere
        + (
            ""
            if _close((lo, hi), (scale.min, scale.max))
            else f"; those given run {lo:g} to {hi:g}"
        )
        + ")"
        + (f", from {ds.source}" if ds.source else "")
    )
    print_notes(ds, full=True)  # the twins notice in full here (views round 35, F8)


def _count(n: int, noun: str) -> str:
    """``"1 user"``, ``"25 users"``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True when two (min, max) pairs agree to float32 rounding."""
    return all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9) for x, y in zip(a, b, strict=True))


def _import_ratings_file(args: argparse.Namespace) -> int:
    """``datasets FILE --name NAME [--items FILE]``: the file stored as the dataset NAME."""
    from pathlib import Path

    from movierate.data import from_csv
    from movierate.data.acquire import is_zip_file
    from movierate.data.textio import zip_kind
    from movierate.errors import DataError

    signals.expect_save()  # a signal after the save: the result is reported (round 22)
    if len(args.names) != 1:
        raise ArgumentError(
            "Import one ratings file at a time, named: datasets FILE --name NAME [--items FILE]."
        )
    paths = {"your ratings file": args.names[0], "your items file": args.items}
    for what, path in paths.items():
        if path is None:
            continue
        check_path_argument(path, "The file")
        if not Path(path).expanduser().is_file():
            raise ArgumentError(f"{path} is not a file; give the path of {what}.")
    ratings = Path(args.names[0]).expanduser()
    # bad-input round 43: refused as no text; round 63, F1: a zip that is a saved model, .npz
    # arrays or a workbook is named as that by from_csv, not sent to the MovieLens-zip import
    if is_zip_file(ratings) and zip_kind(ratings) is None:
        raise ArgumentError(
            f"{args.names[0]} is a zip archive: --name is for your own ratings file. Import a "
            f"MovieLens zip without it (python -m movierate datasets {args.names[0]}): it is "
            "named after its folder. For your own file inside a zip, unzip it first."
        )
    items = Path(args.items).expanduser() if args.items else None
    try:
        ds = from_csv(
            ratings,
            items,
            save_as=args.name,
            encoding=args.encoding or "utf-8",
            items_encoding=args.items_encoding,
            rating_scale=_rating_scale(args.rating_scale),
            columns=_columns(args.columns),
            item_columns=_columns(args.item_columns, "--item-columns", ITEM_ROLES),
            zero_ratings=args.zero_ratings or "auto",
            replace=args.overwrite,
            force=args.force,
        )
    except DataError as exc:  # from_csv's own words name its Python argument
        raise DataError(
            str(exc)
            .replace(", or pass replace=True to overwrite it", ", or pass --overwrite")
            .replace("pass force=True", "pass --force")
        ) from None
    _describe(ds)
    return EXIT_OK


def _rating_scale(text: str | None) -> tuple[float, float, float] | None:
    """``--rating-scale 1,5,0.5`` as (min, max, step)."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    try:
        low, high, step = (float(part) for part in parts)
    except ValueError:
        raise ArgumentError(
            f"--rating-scale {text!r}: give three numbers MIN,MAX,STEP, e.g. 1,5,0.5."
        ) from None
    return low, high, step


#: The roles of --item-columns (bad-input round 56, F5: the items file's id column could be
#: mapped only on Home and in Python, though the refusal named the mapping).
ITEM_ROLES = "item, title, genres, year"


def _columns(
    text: str | None, flag: str = "--columns", roles: str = "user, item, rating, timestamp"
) -> dict[str, str] | None:
    """``--columns rating=stars,item=book`` (or ``flag``'s pairs) as {role: column}."""
    if text is None:
        return None
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(pair) != 2 or not all(p.strip() for p in pair) for pair in pairs):
        example = "rating=stars,item=book" if flag == "--columns" else "item=Const,title=Title"
        raise ArgumentError(
            f"{flag} {text!r}: give ROLE=COLUMN pairs separated by commas, e.g. "
            f"{example} (roles: {roles})."
        )
    return {role.strip(): column.strip() for role, column in pairs}


def _configure_datasets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names",
        nargs="*",
        metavar="DATASET",
        help="load these datasets (names or folder / .zip paths) and show their size and what "
        "loading changed or guessed; without any, list the datasets movierate knows",
    )
    parser.add_argument(
        "--name",
        metavar="NAME",
        help="import DATASET, your own ratings file (CSV or TSV: user, item, rating and "
        "optionally timestamp columns, found by their names), as the dataset NAME; then use "
        "NAME with train, tune and the dashboard",
    )
    for flag, options in _IMPORT_OPTIONS.items():
        parser.add_argument(flag, **options)


#: The options of importing a ratings file (``--name``): without it they would do nothing, so
#: they are refused, all of them, from this one list (fuzz55, F5: ``--items`` was missed).
_IMPORT_OPTIONS: dict[str, dict[str, Any]] = {
    "--items": {
        "metavar": "FILE",
        "help": "with --name: an items file (item id, title, |-separated genres) for the titles",
    },
    "--encoding": {
        "help": "with --name: the files' text encoding, e.g. latin-1, cp1252, utf-16 [utf-8]"
    },
    "--items-encoding": {
        "help": "with --items: the items file's text encoding when it differs [--encoding's]"
    },
    "--rating-scale": {
        "metavar": "MIN,MAX,STEP",
        "help": "with --name: the ratings' scale, e.g. 1,10,1 [inferred from the data]",
    },
    "--columns": {
        "metavar": "ROLE=COLUMN,...",
        "help": "with --name: which column holds each of user, item, rating, timestamp, e.g. "
        "rating=stars,item=book [found by their names]",
    },
    "--item-columns": {
        "metavar": "ROLE=COLUMN,...",
        "help": f"with --items: which column of the items file holds each of {ITEM_ROLES}, e.g. "
        "item=Const,title=Title [found by their names]",
    },
    "--zero-ratings": {
        "choices": ("auto", "keep", "drop"),
        "help": "with --name: whether a rating of 0 means 'not rated' and is dropped (Goodreads, "
        "Amazon exports) [auto: dropped from a Goodreads export, else kept with a notice]",
    },
    "--overwrite": {
        "action": "store_true",
        "help": "with --name: replace an imported dataset of that name (a damaged copy, or a "
        "new version of the file); refused while saved models were trained on other ratings "
        "stored under that name, unless --force",
    },
    "--force": {
        "action": "store_true",
        "help": "with --overwrite: replace the dataset even when saved models were trained on "
        "its old ratings (they then say their data changed)",
    },
}


def _run_datasets(args: argparse.Namespace) -> int:
    from movierate.data import dataset_status, load_dataset

    if given := given_flags(args, _IMPORT_OPTIONS) if args.name is None else []:
        one = len(given) == 1
        raise ArgumentError(
            f"{flags_text(given)} {'goes' if one else 'go'} with --name: importing your own "
            "ratings file as a dataset (datasets FILE --name NAME [--items FILE]); add --name "
            f"NAME, or drop {'it' if one else 'them'} to load or list datasets."
        )
    if args.items_encoding is not None and args.items is None:
        raise ArgumentError(
            "--items-encoding goes with --items FILE, the items file it decodes; drop it, or use "
            "--encoding for the ratings file."
        )
    if args.item_columns is not None and args.items is None:
        raise ArgumentError(
            "--item-columns goes with --items FILE, the items file whose columns it names; drop "
            "it, or use --columns for the ratings file."
        )
    if args.name is not None:
        return _import_ratings_file(args)
    if args.names:
        for name in args.names:
            check_path_argument(name, "The dataset", name_first=True)
        for name in args.names:
            _describe(load_dataset(name))
        return EXIT_OK

    rows = [
        [
            s.name,
            "yes" if s.available else "no",
            "yes" if s.cached else "no",
            f"{s.approx_ratings:,}" if s.approx_ratings else "?",
            str(s.location) if s.location else f"download: python -m movierate download {s.name}",
        ]
        for s in dataset_status()
    ]
    print(format_table(["dataset", "available", "cached", "ratings", "location"], rows))
    from movierate.data import (
        case_twins_text,
        damaged_imports,
        damaged_imports_text,
        data_folder_text,
        unusable_folders,
        unusable_folders_text,
    )

    if problem := data_folder_text():
        print(f"\n{problem}")
    if damaged := damaged_imports():
        print(f"\n{damaged_imports_text(damaged)}")
    if skipped := unusable_folders():
        print(f"\n{unusable_folders_text(skipped)}")
    if twins := case_twins_text():
        print(f"\n{twins}")
    return EXIT_OK


def _configure_download(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="GroupLens dataset name, e.g. ml-latest-small")


def _run_download(args: argparse.Namespace) -> int:
    from movierate.data import KNOWN_DATASETS, download_dataset
    from movierate.data.acquire import find_local, find_local_zip

    check_path_argument(args.name, "The dataset name", name_first=True)
    known = args.name in KNOWN_DATASETS  # only a known name is looked up as a folder
    here = find_local(args.name) if known else None
    zipped = find_local_zip(args.name) if known and here is None else None
    progress = DownloadProgress(args.name, sys.stderr)
    location = download_dataset(args.name, progress=progress)
    progress.close()
    if here is not None or zipped is not None:  # README review s31: said it extracted anyway
        print(
            f"note: {args.name} was already "
            + (f"in {here.parent}" if here is not None else f"here as {zipped}, now extracted")
            + "; nothing was downloaded.",
            file=sys.stderr,
        )
    print(f"{args.name} is ready" + (f": {location}" if location else ""))
    return EXIT_OK


def _configure_delete_dataset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names",
        nargs="+",
        metavar="DATASET",
        help="datasets movierate stored (downloaded, unzipped or imported from a file) to delete",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="delete a dataset even when saved models were trained on it (they keep their "
        "embeddings and titles; Recommend and their test-row checks need the same data stored "
        "again)",
    )


def _run_delete_dataset(args: argparse.Namespace) -> int:
    from movierate import store
    from movierate.data.removal import (
        LIST_HINT,
        delete_stored_dataset,
        still_found_text,
        stored_folder,
        trained_models_text,
    )
    from movierate.errors import DataError, DatasetInUseError, MovierateError

    names = list(dict.fromkeys(args.names))
    problems, in_use = [], []
    for name in names:  # every name checked first: a typo in the last deletes nothing
        try:
            stored_folder(name)
        except DatasetInUseError as exc:  # said as is: the name is right, the time is not
            in_use.append(str(exc))
        except MovierateError as exc:
            problems.append(str(exc))
    if problems:  # all or none: a deletion cannot be undone (README review s31, finding 1)
        which = "that name" if len(problems) == 1 else "those names"
        if sum(p.endswith(LIST_HINT) for p in problems) > 1:  # the hint once (recheck N7)
            problems = [
                p.removesuffix(f"; {LIST_HINT}") + "." if p.endswith(LIST_HINT) else p
                for p in problems
            ] + [LIST_HINT]
        raise DataError(
            "Nothing was deleted: delete-dataset deletes every dataset it is given or none. "
            + " ".join(problems)
            + f" Correct or leave out {which} and run it again."
            + "".join(f" {said}" for said in in_use)
        )
    if in_use:
        raise DataError(" ".join(in_use))
    users = {name: store.models_trained_on(name) for name in names}
    if not args.force and any(users.values()):
        raise DataError(
            "Nothing was deleted: "
            + "; ".join(
                trained_models_text(name, models) for name, models in users.items() if models
            )
            + ". Pass --force to delete anyway, or delete those models first."
        )
    for name in names:
        folder = delete_stored_dataset(name)
        print(f"deleted dataset {name} ({folder})")
        if still := still_found_text(name):
            print(f"  {still}")
    return EXIT_OK


register(
    "datasets",
    Command("show which datasets are available (or load some)", _configure_datasets, _run_datasets),
)
register("download", Command("download a GroupLens dataset", _configure_download, _run_download))
register(
    "delete-dataset",
    Command(
        "delete datasets movierate stored, to free disk space",
        _configure_delete_dataset,
        _run_delete_dataset,
    ),
)
