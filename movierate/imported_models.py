"""Embeddings made elsewhere as models of the store: read a file (Embedding Projector TSV,
word2vec text, ``.npy`` + labels CSV) and save it as a model folder of family "imported".

An imported model folder holds ``meta.json``, ``embeddings.npz`` (``movie_embedding``, an empty
``(0, dim)`` ``user_embedding`` and ``global_mean`` 0, so the arrays keep the store's shape
contract), ``movies.parquet`` and an empty ``cache/``; no ``model.keras`` and no users.
``meta.json`` marks it with an ``imported`` object (format, source, counts) and records a
minimal spec (``mf`` of the embedding's dim, so it parses as a ModelSpec) and the pseudo dataset
``imported`` with 0 users. It is written through :mod:`movierate.atomic` (staged, then renamed
into place). Views that need users or ratings check :func:`is_imported` and say so.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from movierate import atomic, store
from movierate.errors import DataError
from movierate.explore.imported import (
    ImportedEmbedding,
    columns_text,
    extra_columns,
    read_npy,
    read_projector_tsv,
    read_word2vec_file,
    zero_vectors_text,
)
from movierate.explore.projection import check_spread
from movierate.spec import ModelSpec

#: The family shown for imported models (``meta["imported"]`` is the marker).
FAMILY = "imported"
#: The dataset name recorded for an imported model (it has no ratings).
DATASET_NAME = "imported"
#: File endings read as each format by :func:`read_embedding`.
FORMATS = {
    ".tsv": "projector",
    ".npy": "npy",
    ".txt": "word2vec",
    ".vec": "word2vec",
    ".w2v": "word2vec",
    ".bin": "word2vec",
}


def is_imported(model: Any) -> bool:
    """True for a model (TrainedModel or ModelInfo-like with ``meta``) made by :func:`save_imported`."""
    meta = getattr(model, "meta", None) or {}
    return bool(meta.get("imported"))


def read_embedding(
    path: str | Path, *, metadata: str | Path | None = None, labels: str | Path | None = None
) -> ImportedEmbedding:
    """Read an embedding file by its ending: ``.tsv`` (Projector vectors; ``metadata`` the
    metadata TSV), ``.npy`` (``labels`` a CSV with a header, one row per vector) or word2vec
    text (``.txt`` / ``.vec`` / ``.w2v``). DataError for anything else or a bad file."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if path.is_dir():
        raise DataError(
            f"{path} is a folder; give the embedding file itself (a Projector .tsv, a .npy "
            "matrix or a word2vec .txt / .vec)."
        )
    if kind is None:
        raise DataError(
            f"{path.name}: cannot tell the format from the ending {path.suffix or '(none)'!r}; "
            "give an Embedding Projector vectors .tsv (with --metadata), a .npy matrix (with "
            "--labels CSV) or a word2vec text file (.txt / .vec)."
        )
    if not path.is_file():
        raise DataError(f"{path} does not exist or is not a file.")
    if labels is not None and kind != "npy":
        raise DataError(
            f"{path.name}: labels (--labels, a CSV) go with a .npy matrix only; for an Embedding "
            "Projector .tsv give its metadata TSV (--metadata), a word2vec file names its rows."
        )
    if metadata is not None and kind != "projector":
        raise DataError(
            f"{path.name}: metadata (--metadata) goes with an Embedding Projector vectors .tsv "
            "only; for a .npy give a labels CSV (--labels), a word2vec file names its rows."
        )
    if kind == "projector":
        return read_projector_tsv(path, metadata)
    if kind == "npy":
        return read_npy(path, labels)
    if path.suffix.lower() == ".bin":
        raise DataError(
            f"{path.name} looks like binary word2vec; save it as text (gensim: "
            "save_word2vec_format(..., binary=False)) and import the .txt."
        )
    return read_word2vec_file(path)


def save_imported(
    name: str, embedding: ImportedEmbedding, source: str, *, overwrite: bool = False
) -> Path:
    """Save ``embedding`` as the model ``name`` of family "imported"; returns its folder.

    ``source`` says where it came from (a file name), shown with the model. StoreError if the
    name is invalid or taken (unless ``overwrite``); DataError if the embedding is unusable.
    """
    store.validate_name(name)
    vectors = np.ascontiguousarray(np.asarray(embedding.vectors, dtype=np.float32))
    movies = embedding.movies.reset_index(drop=True)
    movies.attrs = {}  # the import's notes go to meta.json, not into movies.parquet
    if vectors.ndim != 2 or len(vectors) < 2 or vectors.shape[1] < 1:
        raise DataError(
            f"An imported embedding needs at least 2 vectors of 1+ dims; got {vectors.shape}."
        )
    if len(movies) != len(vectors):
        raise DataError(
            f"The embedding has {len(vectors)} vectors but {len(movies)} movie rows; give one "
            "label row per vector."
        )
    try:
        check_spread(vectors)
    except DataError:
        raise DataError(
            f"All {len(vectors):,} vectors in {source} are the same point (an all-zero or "
            "constant placeholder?): neighbours, maps and principal components would all be "
            "ties. Export the trained vectors and import those."
        ) from None
    root = store.check_writable()
    final = root / name
    store.check_name_free(name, overwrite=overwrite)
    dim = int(vectors.shape[1])
    arrays = {
        "movie_embedding": vectors,
        "user_embedding": np.zeros((0, dim), dtype=np.float32),
        "global_mean": np.asarray(0.0, dtype=np.float32),
    }
    meta = build_meta(name, embedding, source, len(vectors), dim)
    with (
        store._saving(name, root, overwrite and final.exists(), "import"),
        atomic.staging_folder(root, f"{store.TEMP_PREFIX}{name}-") as temp,
    ):
        store._write_npz(temp / store.EMBEDDINGS_FILE, arrays)
        store._write_movies(temp / store.MOVIES_FILE, movies)
        # recheck 7: an import recorded no fingerprints, so a replaced array passed silently
        meta[store.FILES_KEY] = store.file_fingerprints(temp)
        (temp / store.META_FILE).write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n")
        (temp / store.CACHE_FOLDER).mkdir()
        if overwrite:  # again, right before the swap (recheck D, s26)
            store.check_replaceable(name)
        try:
            atomic.publish_folder(
                temp, final, replace=overwrite, fsync=True, trash_prefix=store.TRASH_PREFIX
            )
        except FileExistsError:
            raise store.name_taken(name) from None
    return final


def import_note(folder: Path) -> str:
    """What the import of the model in ``folder`` noted: its label columns (kept to colour the
    map by, not kept), as :func:`~movierate.explore.imported.columns_text` said, and its
    all-zero vectors (:func:`~movierate.explore.imported.zero_vectors_text`); "" if nothing
    or unknown."""
    try:
        meta = json.loads((Path(folder) / store.META_FILE).read_text())
    except (OSError, ValueError):
        return ""
    imported = (meta.get("imported") or {}) if isinstance(meta, dict) else {}
    notes = [imported.get(key) for key in ("columns_note", "zero_vectors_note")]
    return " ".join(note for note in notes if isinstance(note, str) and note)


def build_meta(
    name: str, embedding: ImportedEmbedding, source: str, n_movies: int, dim: int
) -> dict[str, Any]:
    """``meta.json`` of an imported model (see the module docstring)."""
    return {
        "format_version": store.FORMAT_VERSION,
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "spec": ModelSpec(family="mf", dim=dim, regularizers={}).to_dict(),
        "imported": {
            "family": FAMILY,
            "format": embedding.source,
            "source": str(source),
            "n_movies": int(n_movies),
            "dim": int(dim),
            # the label columns kept beside title, year, genres and counts (views round 18)
            "label_columns": extra_columns(embedding.movies),
            "columns_note": columns_text(embedding.movies),
            "zero_vectors_note": zero_vectors_text(embedding.vectors, embedding.movies),
        },
        "dataset": {
            "name": DATASET_NAME,
            "source": None,
            "fingerprint": None,
            "n_users": 0,
            "n_movies": int(n_movies),
            "n_ratings": 0,
            "rating_scale": [0.5, 5.0, 0.5],
        },
        "split": {},
        "metrics": {},
        "history": {},
        "versions": store.library_versions(),
    }
