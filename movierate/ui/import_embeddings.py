"""The Home page's "Import an embedding made elsewhere" panel: upload an Embedding Projector
TSV pair, a word2vec text file or a ``.npy`` with a labels CSV, name it, and save it as a model
of family "imported" (:mod:`movierate.imported_models`)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from movierate import atomic, store
from movierate.errors import MovierateError
from movierate.ui import shell, widgets
from movierate.ui.text import md

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def suggested_name(filename: str) -> str:
    """A free model name made from an uploaded file's name (``imported-<stem>``)."""
    stem = _SAFE.sub("-", Path(filename).stem).strip("-.") or "embedding"
    stem = re.sub(r"[-_]?vectors$", "", stem) or "embedding"
    return store.unique_name(f"imported-{stem}"[:60])


def import_uploaded(vectors: Any, extra: Any, name: str) -> Path:
    """Save uploaded files (Streamlit UploadedFile-like: ``.name``, ``.getvalue()``) as the
    model ``name``; MovierateError with what is wrong otherwise."""
    # here, not at the top: it imports movierate.explore, which Home never needs to draw
    from movierate.imported_models import read_embedding, save_imported

    atomic.process_temp_ready()  # its folder may have been removed (fuzz round 57, F1)
    with tempfile.TemporaryDirectory(prefix="movierate-import-") as folder:
        # each file keeps the name it was uploaded with (in its own folder: the two may share
        # it), so an error about it names the user's file
        path = Path(folder, "vectors", _file_name(vectors.name, "vectors"))
        path.parent.mkdir()
        path.write_bytes(vectors.getvalue())
        side = None
        if extra is not None:
            side = Path(folder, "extra", _file_name(extra.name, "labels"))
            side.parent.mkdir()
            side.write_bytes(extra.getvalue())
        suffix = path.suffix.lower()
        embedding = read_embedding(
            path,
            metadata=side if suffix == ".tsv" else None,
            labels=side if suffix == ".npy" else None,
        )
        return save_imported(name, embedding, Path(vectors.name).name)


def _file_name(uploaded: str, fallback: str) -> str:
    """The last part of an uploaded file's name, usable as a file name (else ``fallback``)."""
    name = Path(str(uploaded).replace("\\", "/")).name.strip()
    if name in ("", ".", "..") or "\x00" in name:
        return fallback
    if len(name.encode()) > 200:  # file systems refuse names above 255 bytes
        return fallback + Path(name).suffix[:16]
    return name


def render_import_embeddings() -> None:
    """The upload panel (an expander): files, a name, and an Import button."""
    with st.expander("Import an embedding made elsewhere", icon=":material/upload_file:"):
        st.caption(
            "Bring movie vectors from another tool and explore them here (Embeddings, "
            "Neighbours, Compare, Explore): an Embedding Projector vectors .tsv with its "
            "metadata .tsv, a word2vec text file (.txt / .vec), or a .npy matrix with a CSV of "
            "labels (title, year, genres, movie_id columns are used when present; up to 20 other "
            "columns, such as a cluster or a director, are kept to colour the map by). An "
            "imported model has movies only, no users: views about users say so."
        )
        left, right = st.columns(2)
        vectors = left.file_uploader(
            "Vectors",
            type=["tsv", "txt", "vec", "npy"],
            key="import_vectors",
            help=widgets.upload_limit_help("python -m movierate import FILE --name NAME"),
        )
        extra = right.file_uploader(
            "Metadata (.tsv) or labels (.csv)",
            type=["tsv", "csv"],
            key="import_extra",
            help="The Projector's metadata.tsv for a vectors .tsv; a labels CSV for a .npy.",
        )
        if vectors is None:
            return
        name = st.text_input("Model name", value=suggested_name(vectors.name), key="import_name")
        if not st.button("Import", icon=":material/upload:", type="primary", key="import_go"):
            return
        try:
            with st.spinner("Reading the vectors…"):
                folder = import_uploaded(vectors, extra, name.strip())
        except MovierateError as exc:
            st.error(md(str(exc)), icon=":material/warning:")
            return
        from movierate.imported_models import import_note

        note = import_note(folder)
        st.success(
            f"Imported as **{md(folder.name)}**.{' ' + md(note) if note else ''}",
            icon=":material/check_circle:",
        )
        links = st.columns(2)
        links[0].page_link(shell.page("embeddings"), label="Open on Embeddings")
        links[1].page_link(shell.page("explore"), label="Open on Explore")
