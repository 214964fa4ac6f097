"""The dataset commands: datasets (what is available) and download."""

from __future__ import annotations

import argparse
import sys

from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.output import check_path_argument, print_notes
from movierate.cli.progress import DownloadProgress
from movierate.cli.tables import format_table


def _configure_datasets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names",
        nargs="*",
        metavar="DATASET",
        help="load these datasets (names or folder / .zip paths) and show their size and what "
        "loading changed or guessed; without any, list the datasets movierate knows",
    )


def _run_datasets(args: argparse.Namespace) -> int:
    from movierate.data import dataset_status, load_dataset

    if args.names:
        for name in args.names:
            check_path_argument(name, "The dataset")
        for name in args.names:
            ds = load_dataset(name)
            lo, hi, step = ds.rating_scale.min, ds.rating_scale.max, ds.rating_scale.step
            print(
                f"{ds.name}: {len(ds):,} ratings, {ds.n_users:,} users, {ds.n_movies:,} movies, "
                f"ratings {lo:g} to {hi:g} (step {step:g})"
                + (f", from {ds.source}" if ds.source else "")
            )
            print_notes(ds)
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
    from movierate.data import unusable_folders, unusable_folders_text

    if skipped := unusable_folders():
        print(f"\n{unusable_folders_text(skipped)}")
    return EXIT_OK


def _configure_download(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="GroupLens dataset name, e.g. ml-latest-small")


def _run_download(args: argparse.Namespace) -> int:
    from movierate.data import download_dataset

    check_path_argument(args.name, "The dataset name")
    progress = DownloadProgress(args.name, sys.stderr)
    location = download_dataset(args.name, progress=progress)
    progress.close()
    print(f"{args.name} is ready" + (f": {location}" if location else ""))
    return EXIT_OK


register(
    "datasets",
    Command("show which datasets are available (or load some)", _configure_datasets, _run_datasets),
)
register("download", Command("download a GroupLens dataset", _configure_download, _run_download))
