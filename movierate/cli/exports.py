"""The ``export`` command: a saved model's arrays, ids, biases and split rows as files a
notebook reads (:mod:`movierate.explore.notebook`)."""

from __future__ import annotations

import argparse
import json

from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.output import check_path_argument


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the model to export (see 'list')")
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="a new (or empty) folder to write movies.csv, users.csv, *_vectors.npy, "
        "ratings.csv, arrays.npz, meta.json and README.txt into",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an earlier export in that folder"
    )
    parser.add_argument(
        "--json", action="store_true", help="the export's meta.json on stdout: for scripts"
    )


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from movierate import store
    from movierate.cli import signals
    from movierate.explore.notebook import check_target, write_notebook_export

    check_path_argument(args.out, "--out")
    folder = Path(args.out).expanduser()
    check_target(folder, overwrite=args.overwrite)  # before loading anything
    model = store.load_model(args.name)
    signals.expect_save(folder, "export")  # a signal after the publish: reported (round 47, F2)
    meta = write_notebook_export(model, folder, overwrite=args.overwrite)
    if args.json:
        print(json.dumps({**meta, "folder": str(folder.resolve())}, indent=2, allow_nan=False))
        return EXIT_OK
    print(f"exported {args.name!r} to {folder}: {', '.join(meta['files'])}")
    if "lacks" in meta:
        print(f"an imported embedding has movie vectors only: no {', '.join(meta['lacks'])}")
    else:
        print("README.txt there says what each file holds and how to recompute a prediction")
    return EXIT_OK


register(
    "export",
    Command(
        "write a model's vectors, biases, ids and split rows as files for a notebook",
        _configure,
        _run,
    ),
)
