"""The ``import`` command: save an embedding made elsewhere (Embedding Projector TSV, word2vec
text, ``.npy`` + labels CSV) as a model of family "imported" (:mod:`movierate.imported_models`)."""

from __future__ import annotations

import argparse

from movierate.cli import signals
from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.output import check_path_argument


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        help="the vectors: a Projector vectors .tsv, a .npy matrix or a word2vec text file "
        "(.txt / .vec)",
    )
    parser.add_argument(
        "--metadata", help="the Projector metadata .tsv (titles, years, genres) of a .tsv"
    )
    parser.add_argument(
        "--labels", help="a CSV of labels for a .npy (header row, one row per vector)"
    )
    parser.add_argument("--name", required=True, help="the name of the new model")
    parser.add_argument("--overwrite", action="store_true", help="replace a model of the same name")


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from movierate import store
    from movierate.explore.imported import columns_text, zero_vectors_text
    from movierate.imported_models import read_embedding, save_imported

    signals.expect_save()  # a signal after the save: the result is reported (round 22)
    for value, what in (
        (args.file, "The file"),
        (args.metadata, "--metadata"),
        (args.labels, "--labels"),
    ):
        if value is not None:
            check_path_argument(value, what)
    store.check_name_free(
        args.name, overwrite=args.overwrite, replace_hint="pass --overwrite to replace it"
    )
    embedding = read_embedding(args.file, metadata=args.metadata, labels=args.labels)
    folder = save_imported(args.name, embedding, Path(args.file).name, overwrite=args.overwrite)
    n, dim = embedding.vectors.shape
    print(
        f"imported {n:,} movie vectors of {dim} dims from {Path(args.file).name!r} "
        f"({embedding.source}) as {args.name!r}"
    )
    if said := columns_text(embedding.movies):
        print(said)
    if zeros := zero_vectors_text(embedding.vectors, embedding.movies):
        print(zeros)
    print(f"folder: {folder}")
    print("open it on the Embeddings, Neighbours, Compare and Explore pages")
    return EXIT_OK


register(
    "import",
    Command("save an embedding made elsewhere as a model (movie vectors only)", _configure, _run),
)
