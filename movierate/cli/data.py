"""The dataset commands: datasets (what is available) and download."""

from __future__ import annotations

import argparse
import sys

from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.progress import DownloadProgress
from movierate.cli.tables import format_table, no_options


def _run_datasets(args: argparse.Namespace) -> int:
    from movierate.data import dataset_status

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
    return EXIT_OK


def _configure_download(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="GroupLens dataset name, e.g. ml-latest-small")


def _run_download(args: argparse.Namespace) -> int:
    from movierate.data import download_dataset

    progress = DownloadProgress(args.name, sys.stderr)
    location = download_dataset(args.name, progress=progress)
    progress.close()
    print(f"{args.name} is ready" + (f": {location}" if location else ""))
    return EXIT_OK


register("datasets", Command("show which datasets are available", no_options, _run_datasets))
register("download", Command("download a GroupLens dataset", _configure_download, _run_download))
