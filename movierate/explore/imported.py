"""Read embeddings made elsewhere into (vectors, movies-like table) for the explore analyses.

Three formats:

- the Embedding Projector's TSV pair: ``vectors.tsv`` (tab-separated numbers, no header) and
  ``metadata.tsv`` (a header row naming the columns, then one row per vector; a single-column
  file has none, as the Projector allows, unless its first line is a column name such as
  ``title``; a labels CSV given instead is read as a CSV). :func:`read_projector_tsv`
- word2vec text format (``"<count> <dim>"`` header, then ``token v1 ... vdim``), read by
  :func:`movierate.explore.export.read_word2vec`. :func:`read_word2vec_file`
- a ``.npy`` matrix plus a CSV of labels (header row, one row per vector). :func:`read_npy`

Memory stays bounded: a file above :data:`MAX_BYTES` is refused before reading, vectors are
parsed line by line, and ``.npy`` headers are checked (memory-mapped) before the data is read.
Ragged rows, NaN / inf, wrong dimensions and label count mismatches raise DataError naming the
line. Labels that are IMDb ids (``tt0114709``, or an imdbId column) give each movie an
``identity`` of that id. The returned table has the movies-table columns (movie_idx, movie_id, title, year, genres,
n_ratings, mean_rating), filled from the labels where present: ``title`` from a title / label /
name column (else the first column), ``year`` from a year column or the title's end, read as
the data set loader reads them (``(1995)``, ``(1994-2004)``, ``(1996/I)``, full-width digits:
:func:`movierate.data.movies.read_year`), ``genres`` from a genres column ("|"- or
","-separated), ``movie_id`` from a movie_id / movieId / id column (distinct whole numbers, else
DataError; without one, the row number, marked True in the ``movie_id_invented`` column so
that identity matching never compares it); n_ratings is 0 and mean_rating NaN when unknown;
``n_train_ratings`` beside n_ratings (a trained model's export) is read as the counts the
minimum-ratings filters read, as in the model it came from.
Every other label column is kept too (:func:`extra_columns`: up to :data:`MAX_EXTRA_COLUMNS`,
names made plain, numbers as numbers, text as text), so the map can be coloured by it;
:func:`columns_text` says what was kept and what was not.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import spreadsheet
from movierate.data.identity import IDENTITY_COLUMN, INVENTED_IDS, movie_identities
from movierate.data.movies import (
    MAX_YEAR,
    MIN_YEAR,
    MOVIE_COLUMNS,
    TRAINING_COUNTS,
    read_year,
    split_title_year,
)
from movierate.data.textio import (
    bom_encoding,
    check_not_empty,
    looks_like_utf16,
    npz_arrays,
    read_head,
    zip_kind,
    zip_names,
)
from movierate.errors import DataError
from movierate.explore.export import is_number, read_word2vec

#: Largest file read (vectors of 60,000 movies x 300 dims in text are ~150 MB).
MAX_BYTES = 256 * 1024 * 1024
#: Most vectors and dims accepted.
MAX_ROWS = 2_000_000
MAX_DIM = 4096
_TITLE_COLUMNS = ("title", "label", "name", "token", "word")
_ID_COLUMNS = ("movie_id", "movieid", "id")
#: Label columns read as each movie's IMDb id (matched across models by it).
_IMDB_COLUMNS = ("imdb_id", "imdbid", "tconst")
#: A label that is an IMDb title id (``tt0114709``).
_IMDB_LABEL = re.compile(r"^tt\d{7,}$")


@dataclass(frozen=True)
class ImportedEmbedding:
    """Vectors read from files, with a movies-like table (one row per vector)."""

    vectors: np.ndarray  # (n, dim) float32
    movies: pd.DataFrame
    source: str  # format: "projector", "word2vec" or "npy"

    def __post_init__(self) -> None:
        check_magnitudes(self.vectors)


#: Largest |value| an imported vector may hold, and the smallest largest |value| of the whole
#: embedding: the views square values in 32-bit floats (norms, distances), which overflow above
#: about 1.8e19 and underflow below about 1e-19 (bad-input round 13: at 1e20 or 1e-22 every
#: neighbour scored 0 and lists came out in file order, with no word; at 1e18 they were right).
#: A single near-zero row among ordinary ones is no such case (the recheck: refusing it left
#: advice no rescaling could follow): it is as good as a zero vector.
MAGNITUDE_RANGE = (1e-15, 1e18)


def check_magnitudes(vectors: np.ndarray) -> None:
    """DataError when the vectors' values are too large, or all of them too small, for the
    views' 32-bit arithmetic (:data:`MAGNITUDE_RANGE`); the fix is one rescaling."""
    low, high = MAGNITUDE_RANGE
    largest = float(np.abs(np.asarray(vectors, dtype=np.float64)).max(initial=0.0))
    if largest > high:
        raise DataError(
            f"The vectors hold values up to {largest:.3g} in size: the views square them in "
            "32-bit floats, which overflow above about 1.8e+19. Divide every vector by one "
            f"number (e.g. {largest:.0e}); directions and neighbours do not change."
        )
    if 0 < largest < low:
        raise DataError(
            f"Every value of the vectors is below {low:g} in size (the largest is "
            f"{largest:.3g}): the views square them in 32-bit floats, which lose them. "
            f"Multiply every vector by one number (e.g. {1 / largest:.0e}); directions and "
            "neighbours do not change."
        )


def read_projector_tsv(
    vectors_path: str | Path, metadata_path: str | Path | None = None, *, max_bytes: int = MAX_BYTES
) -> ImportedEmbedding:
    """The Embedding Projector's vectors.tsv (+ metadata.tsv) as an :class:`ImportedEmbedding`."""
    path = Path(vectors_path)
    _check_file(path, max_bytes)
    _check_text(path)
    try:
        with path.open(encoding="utf-8-sig") as lines:  # a byte-order mark is no value
            vectors = _read_vector_lines(lines, "\t", path.name)
    except UnicodeDecodeError:
        raise _not_text(path, "the vectors") from None
    if metadata_path is None:
        labels = pd.DataFrame({"label": [f"item {i}" for i in range(len(vectors))]})
    else:
        text = _open_text(metadata_path, max_bytes, "the labels")
        labels = _read_metadata(text, len(vectors), Path(metadata_path).name)
    return ImportedEmbedding(vectors, movies_like(labels), "projector")


#: A word2vec file is read as movierate's export ("<title>_(<year>)_<movie_id>", or
#: "<title>_<movie_id>" from a movie without a year or an export before accuracy round 22) only
#: when at least this share of its titles, cut from their ids, differ: doc2vec's doc_0 ...
#: doc_49 have one (bad-input round 11), while an export of a set with many repeated titles
#: kept its ids only down to 90% (recheck 3).
DISTINCT_TITLES = 0.5
_DATED_TOKEN = re.compile(r"^(.+)_\((\d{4})\)_(-?\d+)$")
_NUMBERED_TOKEN = re.compile(r"^(.+)_(-?\d+)$")
_TEXT_ID_TOKEN = re.compile(r"^(.+)_\((\d{4})\)_(\S+)$")
_YEAR_TOKEN = re.compile(r"^(.+)_(\d{4})$")
#: movierate's token of a movie whose id was made up from its row (``Film_(1950)_#0``): the
#: row number is no id, so the import numbers its rows again (bad-input round 34 F4).
_INVENTED_TOKEN = re.compile(r"^(.+?)(?:_\((\d{4})\))?_#\d+$")
"""``Title_Year`` (a year from MIN_YEAR to MAX_YEAR after the last ``_``): read as the year
unless the file is movierate's export (``Title_(1995)_5``, or ``Title_5`` where some number
is no year). An export before accuracy round 22 whose every id lies in 1800-2200 reads as
years: that pairs only films of that title and year, never one across years."""


def read_word2vec_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> ImportedEmbedding:
    """A word2vec text file; tokens written by movierate's exporter give back their title, year
    and movie_id (so the films match their source model's)."""
    text = _open_text(path, max_bytes)
    if "\n" not in text:
        raise DataError(
            f"{Path(path).name} holds a single line; a word2vec file has a header "
            "line and one line per vector."
        )
    tokens, vectors = read_word2vec(text, max_rows=MAX_ROWS, max_dim=MAX_DIM, name=Path(path).name)
    return ImportedEmbedding(vectors, movies_like(token_labels(tokens)), "word2vec")


def token_labels(tokens: list[str]) -> pd.DataFrame:
    """Labels of word2vec tokens: (title, year, movie_id) of movierate's tokens (no movie_id
    from tokens of ids made up from rows, ``Film_(1950)_#0``); (title, year) of ``Title_Year``
    tokens (``Toy_Story_1995``, rows numbered); else the whole token as the title with ``_``
    read as a space, rows numbered."""
    invented = [_INVENTED_TOKEN.match(t) for t in tokens]
    if all(invented):
        return pd.DataFrame(
            {
                "title": [_spaced(m.group(1)) for m in invented],
                "year": [int(m.group(2)) if m.group(2) else None for m in invented],
            }
        )
    parts = [_token_parts(t) for t in tokens]
    if all(p is not None for p in parts) and not _years_as_ids(tokens, parts):
        titles, years, ids = (list(column) for column in zip(*parts, strict=True))
        one_kind = len({type(i) for i in ids}) == 1  # all numbers or all text ids
        # "doc_0" ... "doc_49" (gensim's doc2vec) is no such file: cut, every title read "doc"
        distinct = len(set(zip(titles, years, strict=True))) >= DISTINCT_TITLES * len(titles)
        if one_kind and len(set(ids)) == len(ids) and distinct:
            return pd.DataFrame({"title": titles, "year": years, "movie_id": ids})
    dated = [_title_year(t) for t in tokens]
    numbered = (d is None and _NUMBERED_TOKEN.match(t) for d, t in zip(dated, tokens, strict=True))
    if any(dated) and not any(numbered):  # a trailing number that is no year: not this form
        return pd.DataFrame(
            {
                "title": [d[0] if d else _spaced(t) for d, t in zip(dated, tokens, strict=True)],
                "year": [d[1] if d else None for d in dated],
            }
        )
    # other tokens: all of it is the label (a trailing "_2" is not an id), rows numbered
    return pd.DataFrame({"title": [t.replace("_", " ") for t in tokens]})


def _years_as_ids(tokens: list[str], parts: list[tuple[str, int | None, int | str]]) -> bool:
    """Whether every token is ``<title>_<number>`` with a year for the number: the common
    ``Title_Year`` form, not movierate's ``Title_<movie id>`` (bad-input round 30 F1: the
    year was read as an id and Jumanji_2017 paired with Jumanji (1995))."""
    return all(p[1] is None for p in parts) and all(_title_year(t) for t in tokens)


def _title_year(token: str) -> tuple[str, int] | None:
    """(title, year) of a ``Title_Year`` token, or None."""
    match = _YEAR_TOKEN.match(token)
    if match and MIN_YEAR <= int(match.group(2)) <= MAX_YEAR:
        return _spaced(match.group(1)), int(match.group(2))
    return None


def _token_parts(token: str) -> tuple[str, int | None, int | str] | None:
    """(title, year or None, movie_id) of a token :func:`movierate.explore.export.word2vec_token`
    wrote, or None: ``Toy_Story_(1995)_1``, ``Toy_Story_1`` (no year, or an export before
    accuracy round 22), or a text id after a year (``Film_(2001)_it0010``)."""
    if dated := _DATED_TOKEN.match(token):
        return _spaced(dated.group(1)), int(dated.group(2)), int(dated.group(3))
    if numbered := _NUMBERED_TOKEN.match(token):
        return _spaced(numbered.group(1)), None, int(numbered.group(2))
    if text_id := _TEXT_ID_TOKEN.match(token):
        return _spaced(text_id.group(1)), int(text_id.group(2)), text_id.group(3)
    return None


def _spaced(title: str) -> str:
    return title.replace("_", " ")


def read_npy(
    npy_path: str | Path, labels_path: str | Path | None = None, *, max_bytes: int = MAX_BYTES
) -> ImportedEmbedding:
    """A ``.npy`` matrix (rows x dims, numeric, no pickles) and an optional CSV of labels."""
    path = Path(npy_path)
    _check_file(path, max_bytes)
    _check_not_zip(path)
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        why = (  # numpy's own text would suggest unpickling (allow_pickle=True): never safe here
            "it is not a numeric array saved with numpy.save (it holds Python objects, or is "
            "not a .npy file at all)"
            if "pickle" in str(exc) or "Python objects" in str(exc)
            else "it is shorter than its header says: the file was cut off (copy it again)"
            if "mmap length is greater than file size" in str(exc)
            else str(exc).rstrip(".")
        )
        raise DataError(f"{path.name} is not a readable .npy array: {why}.") from None
    if mapped.ndim != 2:
        raise DataError(
            f"{path.name} holds an array of shape {mapped.shape}; expected (rows, dims)."
        )
    if mapped.dtype.kind not in "fiu":
        raise DataError(f"{path.name} holds {mapped.dtype} values; expected numbers.")
    _check_shape(*mapped.shape, path.name)
    if mapped.dtype.itemsize > 4 or mapped.dtype.kind != "f":  # float64, integers
        wide = np.asarray(mapped, dtype=np.float64)
        _check_float32_range(np.where(np.isfinite(wide), wide, 0.0), path.name)
    vectors = np.asarray(mapped, dtype=np.float32)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        raise DataError(
            f"{path.name} holds NaN or infinite values in {int((~finite).sum())} row(s), first at "
            f"row {int(np.flatnonzero(~finite)[0])}; clean the array before importing it."
        )
    if labels_path is None:
        labels = pd.DataFrame({"label": [f"item {i}" for i in range(len(vectors))]})
    else:
        text = _open_text(labels_path, max_bytes, "the labels")
        labels = read_labels_csv(text, Path(labels_path).name, len(vectors), path.name)
    return ImportedEmbedding(np.ascontiguousarray(vectors), movies_like(labels), "npy")


def read_labels_csv(text: str, name: str, n_vectors: int, vectors_name: str) -> pd.DataFrame:
    """A labels CSV (a header row, then one row per vector) as a table of strings; DataError
    for a file separated by ';' or tabs, a one-column file whose header is a dated title
    (no header at all), or a row count other than ``n_vectors``."""
    from movierate.data.formats import read_text_table

    # pandas renames a repeated name ("tag" -> "tag.1"): check the header as written
    header = next(csv.reader(io.StringIO(text), skipinitialspace=True), [])
    check_header(header)
    # before parsing: a title holding a comma made pandas fail first on its row (bad-input
    # round 61, F4: "fix that row 12" when the separator was what was wrong)
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise DataError(
            f"{name}'s header {header[0]!r} looks like several columns separated by ';' or "
            "tabs; the labels must be a comma-separated CSV (save it as CSV with commas, titles "
            "that contain a comma in double quotes)."
        )
    labels = read_text_table(text, name, advice="fix that row")
    if len(labels.columns) == 1 and split_title_year(str(labels.columns[0]))[1] is not None:
        # bad-input round 61, F1: a header-less title list lost its first title to the header
        raise DataError(
            f"{name}'s first line {short_name(labels.columns[0])!r} is a title, not a column "
            "name: a labels CSV starts with a header row. Add a first line 'title'."
        )
    if len(labels) != n_vectors:
        raise DataError(
            f"{name} has {len(labels)} label rows but {vectors_name} has "
            f"{n_vectors} vectors; give one label row per vector (plus a header row; "
            "blank lines are not label rows)."
        )
    return labels


def check_header(names: Iterable[Any]) -> None:
    """DataError naming a column the labels' header names more than once (bad-input round 34
    F5: a CSV's repeat came through as pandas' "tag.1", a name the file never had)."""
    names = [str(name).strip() for name in names]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # at most 5 named (bad-input round 63, F3: a JSON header took 4,046 characters)
        shown = ", ".join(repr(short_name(c)) for c in repeated[:5])
        more = f" and {len(repeated) - 5:,} more" if len(repeated) > 5 else ""
        raise DataError(
            f"The labels' header names the column{'s' if repeated[1:] else ''} {shown}{more} "
            "more than once; give each column a distinct name."
        )


def movies_like(labels: pd.DataFrame) -> pd.DataFrame:
    """A movies table (the explore contract's columns) built from a table of labels.

    Raises DataError naming the column for a header that repeats a column and for rating
    counts that are not whole numbers of at least 0. A year that is no year
    (:func:`~movierate.data.movies.read_year`) or outside :data:`YEAR_RANGE` becomes missing. An id column (movie_id / movieId / id) must hold
    distinct whole numbers: other values or repeats raise DataError naming the rows (never
    silently renumbered or rounded into collisions); without one, rows are numbered and
    :data:`~movierate.data.identity.INVENTED_IDS` is True. Text that
    movierate's exports wrote with a leading ``'`` (:mod:`movierate.spreadsheet`) comes back
    as it was. Other label columns are kept after these (:func:`_kept_columns`); ``attrs``
    notes those not kept (:data:`DROPPED_COLUMNS`) and renamed (:data:`RENAMED_COLUMNS`)."""
    check_header(labels.columns)
    labels = spreadsheet.plain_frame(labels)  # movierate's exports quote formula-like text
    lower = {str(c).strip().lower(): c for c in labels.columns}
    n = len(labels)
    title_col = next((lower[c] for c in _TITLE_COLUMNS if c in lower), labels.columns[0])
    titles = labels[title_col].astype(str).str.strip()
    # bad-input round 61, F5: IMDb ids as labels (tt0114709) or in their own column were kept
    # as titles only, and no film of them matched another model's
    imdb_col = next((lower[c] for c in _IMDB_COLUMNS if c in lower), None)
    imdb = labels[imdb_col].tolist() if imdb_col is not None else None
    if imdb is None and n and titles.str.fullmatch(_IMDB_LABEL).all():
        imdb = titles.tolist()
    year_col = lower.get("year")
    if year_col is not None:  # the data set loader's rules (bad-input round 30 F5)
        years = [read_year(value) for value in labels[year_col]]
    else:
        titles, years = _split_titles(titles)
    genres_col = lower.get("genres") or lower.get("genre")
    if genres_col is not None:
        genres = [
            [g.strip() for g in re.split(r"[|,]", str(v)) if g.strip()] if pd.notna(v) else []
            for v in labels[genres_col]
        ]
    else:
        genres = [[] for _ in range(n)]
    id_col = next((lower[c] for c in _ID_COLUMNS if c in lower), None)
    ids = _exact_ids(labels[id_col], str(id_col)) if id_col is not None else None
    flag_col = lower.get(INVENTED_IDS)
    invented = ids is None
    if flag_col is not None and _all_true(labels[flag_col]):  # movierate's export wrote it
        invented = True  # its ids were row numbers: they stay made up (bad-input round 34 F4)
    else:
        flag_col = None  # a column of the user's own under that name: kept as "_2"
    counts = (
        _counts(labels[lower["n_ratings"]], str(lower["n_ratings"]))
        if "n_ratings" in lower
        else np.zeros(n, dtype=np.int64)
    )
    trained = {}  # the counts the source model's filters read, so they repeat (views round 24)
    if TRAINING_COUNTS in lower and "n_ratings" in lower:
        column = lower[TRAINING_COUNTS]
        trained[TRAINING_COUNTS] = _counts(labels[column], str(column))
    used = {
        title_col,
        year_col,
        genres_col,
        id_col,
        lower.get("n_ratings"),
        lower.get(TRAINING_COUNTS) if trained else None,
        lower.get("mean_rating"),
        flag_col,
        imdb_col,
    }
    extra, renamed, dropped = _kept_columns(labels, [c for c in labels.columns if c not in used])
    movies = pd.DataFrame(
        {
            "movie_idx": np.arange(n, dtype=np.int64),
            "movie_id": ids if ids is not None else np.arange(n, dtype=np.int64),
            INVENTED_IDS: invented,
            "title": titles.to_numpy(dtype=object),
            "year": pd.array(years, dtype="Int64"),
            "genres": genres,
            "n_ratings": counts,
            **trained,
            "mean_rating": (
                pd.to_numeric(labels[lower["mean_rating"]], errors="coerce").to_numpy(np.float64)
                if "mean_rating" in lower
                else np.full(n, np.nan)
            ),
            **extra,
        }
    )
    if imdb is not None:
        identities = pd.array(movie_identities(movies, imdb), dtype="str")
        movies.insert(movies.columns.get_loc("mean_rating") + 1, IDENTITY_COLUMN, identities)
    movies.attrs[DROPPED_COLUMNS] = dropped
    movies.attrs[RENAMED_COLUMNS] = renamed
    return movies


#: Most label columns beyond the movies table's own that an import keeps (each one a
#: colouring of the map: views round 18 lost a Projector user's "cluster" and "director").
MAX_EXTRA_COLUMNS = 20
#: Longest name of a kept label column.
_NAME_MAX = 40
#: ``movies.attrs`` keys where :func:`movies_like` notes the label columns it did not keep
#: (``[(column, why), ...]``) and the kept ones it renamed (``{name: column}``).
DROPPED_COLUMNS = "dropped_columns"
RENAMED_COLUMNS = "renamed_columns"
#: Names a kept column cannot take: the movies table's and the map's own columns, the map's
#: colourings (``?colour=`` names a kept column by its name) and the names an import reads as
#: the movie id (an export of invented ids writes none: a kept "id" would become one); such a
#: column gets "_2".
RESERVED_NAMES = frozenset(
    {*MOVIE_COLUMNS, TRAINING_COUNTS, INVENTED_IDS, *_ID_COLUMNS, "x", "y", "norm", "bias",
     "one_genre", "genre", "popularity", "log_n_ratings", "genre_colour", "hover"}
)  # fmt: skip
#: Longest column name a message quotes whole (bad-input round 34 F7: a 500-character name
#: filled the import message and meta.json).
SHOWN_NAME_MAX = 40
#: A text column of at least :data:`IDENTIFIER_MIN_VALUES` filled cells where this share of
#: them holds a value no other cell holds names movies rather than groups them.
IDENTIFIER_SHARE = 0.9
IDENTIFIER_MIN_VALUES = 20


def short_name(name: Any) -> str:
    """A column name for a message: cut to :data:`SHOWN_NAME_MAX` characters with an ellipsis."""
    text = str(name)
    return text if len(text) <= SHOWN_NAME_MAX else text[: SHOWN_NAME_MAX - 1] + "…"


def identifier_like(column: pd.Series) -> bool:
    """True for a kept text column whose values are (nearly) all distinct (a title or code per
    movie): colouring by it groups nothing (bad-input round 34 F6)."""
    if is_numeric_column(column):
        return False
    filled = column.dropna().astype(str)
    if len(filled) < IDENTIFIER_MIN_VALUES:
        return False
    once = int((filled.map(filled.value_counts()) == 1).sum())
    return once >= IDENTIFIER_SHARE * len(filled)


def extra_columns(movies: pd.DataFrame) -> list[str]:
    """The columns of a movies table beyond its own (:data:`MOVIE_COLUMNS`): the label columns
    an import kept (none for a trained model or a model imported before views round 18; never
    the flag of ids made up from row numbers)."""
    known = {*MOVIE_COLUMNS, TRAINING_COUNTS, INVENTED_IDS}
    return [str(c) for c in movies.columns if c not in known]


def is_numeric_column(column: pd.Series) -> bool:
    """True for a kept column of numbers (a continuous colouring), False for text (categories)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def zero_vectors_text(vectors: np.ndarray, movies: pd.DataFrame) -> str:
    """How many of the vectors are all zeros, naming a few, or "" (bad-input round 61, F3:
    such a movie has no direction, and its cosine "neighbours" were arbitrary films)."""
    rows = np.flatnonzero(~np.asarray(vectors).any(axis=1))
    if not len(rows):
        return ""
    years = pd.to_numeric(movies["year"], errors="coerce")
    titles = [
        short_name(movies["title"].iloc[r])
        + (f" ({int(years.iloc[r])})" if pd.notna(years.iloc[r]) else "")
        for r in rows[:_SHOWN]
    ]
    shown = "; ".join(titles) + ("; ..." if len(rows) > _SHOWN else "")
    return (
        f"{len(rows):,} of {len(vectors):,} vectors are all zeros ({shown}): placeholders? Such "
        "a movie has no direction, so it has no cosine neighbours."
    )


def columns_text(movies: pd.DataFrame) -> str:
    """What an import did with the label columns beyond title, year, genres, id and counts:
    which it kept (to colour the map by) and which it did not, and why; "" when there were none."""
    kept = extra_columns(movies)
    renamed = movies.attrs.get(RENAMED_COLUMNS, {})
    parts = []
    if kept:
        names = ", ".join(f"{short_name(renamed[c])!r} as {c}" if c in renamed else c for c in kept)
        parts.append(
            f"Kept the label column{'s' if len(kept) > 1 else ''} {names}: colour the map by "
            f"{'them' if len(kept) > 1 else 'it'} on Embeddings (Colour by)."
        )
        named = [c for c in kept if identifier_like(movies[c])]
        if named:
            parts.append(
                f"{', '.join(named)} {'hold' if len(named) > 1 else 'holds'} a different value "
                "on (nearly) every movie: an identifier, not a grouping."
            )
    dropped = movies.attrs.get(DROPPED_COLUMNS, [])
    if dropped:
        shown = "; ".join(f"{short_name(name)!r} ({why})" for name, why in dropped[: _SHOWN * 2])
        more = f"; and {len(dropped) - _SHOWN * 2} more" if len(dropped) > _SHOWN * 2 else ""
        parts.append(
            f"Not kept: {shown}{more}. movierate reads title, year, genres, movie_id, n_ratings "
            f"and mean_rating, and keeps up to {MAX_EXTRA_COLUMNS} other columns."
        )
    return " ".join(parts)


def _kept_columns(
    labels: pd.DataFrame, columns: list[Any]
) -> tuple[dict[str, pd.Series], dict[str, str], list[tuple[str, str]]]:
    """The label ``columns`` kept beside the movies table's own, by plain name (numbers as
    numbers, text as text, blanks missing), the kept ones renamed (``{name: column}``) and
    (column, why) for each one not kept."""
    chosen: dict[int, pd.Series] = {}
    dropped: list[tuple[str, str]] = []
    for position, column in enumerate(columns):
        values = _column_values(labels[column])
        if values is None:
            dropped.append((str(column), "empty"))
        elif len(chosen) >= MAX_EXTRA_COLUMNS:
            dropped.append((str(column), f"over the {MAX_EXTRA_COLUMNS}-column limit"))
        else:
            chosen[position] = values
    # a name already plain ("box_office") keeps it over one made plain ("Box office"), so
    # ?colour=box_office opens the file's box_office (bad-input round 34 F7)
    order = sorted(chosen, key=lambda p: _plain_name(columns[p], ()) != str(columns[p]).strip())
    names: dict[int, str] = {}
    for position in order:
        names[position] = _plain_name(columns[position], set(names.values()))
    kept = {names[p]: chosen[p] for p in chosen}
    renamed = {
        names[p]: str(columns[p])
        for p in chosen
        if names[p] != str(columns[p]).strip().lower()  # not for "Director" -> director
    }
    return kept, renamed, dropped


def _plain_name(column: Any, taken: Any) -> str:
    """``column`` as a name of lower-case letters, digits and "_" (``"Box office"`` ->
    ``box_office``), not one of :data:`RESERVED_NAMES` nor ``taken`` (a suffix "_2" ...)."""
    ascii_text = unicodedata.normalize("NFKD", str(column)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^0-9a-z]+", "_", ascii_text.lower()).strip("_")[:_NAME_MAX].rstrip("_")
    base = base or "column"
    if base[0].isdigit():
        base = f"c_{base}"
    name, number = base, 2
    while name in RESERVED_NAMES or name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def _column_values(column: pd.Series) -> pd.Series | None:
    """A label column as numbers (every filled cell a number: whole finite ones as Int64, else
    float64 with ``inf`` / ``-inf`` kept, which the map greys and counts: bad-input round 34
    F2) or as text (stripped), blank cells missing; None when every cell is blank."""
    text = column.astype("string").str.strip()
    blank = (text.isna() | text.str.lower().isin(["", "nan", "none", "null", "<na>"])).to_numpy(
        dtype=bool, na_value=True
    )
    if blank.all():
        return None
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
    filled = numbers.to_numpy()[~blank]
    if not np.isnan(filled).any():  # every filled cell a number, infinities included
        whole = np.isfinite(filled).all() and (filled == np.round(filled)).all()
        whole = whole and np.abs(filled).max() < 2**53
        numbers = numbers.reset_index(drop=True)
        return numbers.round().astype("Int64") if whole else numbers
    plain = text.to_numpy(dtype=object, na_value=None)
    plain[blank] = None
    return pd.Series(plain, dtype=object)


#: Years kept from labels (first and last); others, like 1e30 or inf, become missing.
YEAR_RANGE = (MIN_YEAR, MAX_YEAR)
#: Largest rating count accepted from labels.
MAX_COUNT = 10**12
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_NUMBER = re.compile(r"^[+-]?(\d|\.\d)")  # what starts like a number (not text ids)
#: Offending rows or ids named in an error message (the rest are counted).
_SHOWN = 5


def _split_titles(titles: pd.Series) -> tuple[pd.Series, list[int | None]]:
    """Titles without their year, and the years, read as the data set loader reads them."""
    parts = [split_title_year(t) for t in titles]
    return pd.Series([t for t, _ in parts], dtype=object), [y for _, y in parts]


def _exact_ids(column: pd.Series, name: str) -> np.ndarray:
    """The id column as int64 ids: every value an exact integer (``12`` or ``12.0``) in int64
    range, no two equal; or, where no value looks like a number at all, as text ids (a dataset
    whose item ids are text, e.g. ``it0010``: the explorer review (s28) added ``movie_id`` to the
    Projector export, and such a model's export was refused on import). DataError naming the
    first offending rows (1-based label rows) and how to fix them otherwise."""
    texts = [str(value).strip() for value in column]
    if texts and not any(_NUMBER.match(t) for t in texts) and all(texts):
        ids: list[Any] = texts
        _check_distinct(ids, name)
        return np.asarray(ids, dtype=object)
    ids = []
    bad: list[str] = []
    for row, value in enumerate(column, start=1):
        text = str(value).strip()
        number = int(text.split(".")[0]) if _INTEGER.match(text) else None
        if number is None or not -(2**63) <= number < 2**63:
            bad.append(f"row {row}: {text[:40]!r}")
        else:
            ids.append(number)
    if bad:
        raise DataError(
            f"Column {name!r} of the labels holds {len(bad)} value(s) that are not whole-number "
            f"movie ids ({'; '.join(bad[:_SHOWN])}{'; ...' if len(bad) > _SHOWN else ''}); give "
            f"every row a distinct whole number, or rename or drop the {name!r} column to have "
            "the rows numbered."
        )
    _check_distinct(ids, name)
    return np.asarray(ids, dtype=np.int64)


def _check_distinct(ids: list[Any], name: str) -> None:
    """DataError naming repeated ids: each row is one movie."""
    rows_of: dict[Any, list[int]] = {}
    for row, number in enumerate(ids, start=1):
        rows_of.setdefault(number, []).append(row)
    repeated = [(k, rows) for k, rows in rows_of.items() if len(rows) > 1]
    if repeated:
        shown = "; ".join(
            f"{k} at rows {', '.join(map(str, rows[:_SHOWN]))}" for k, rows in repeated[:_SHOWN]
        )
        raise DataError(
            f"Column {name!r} of the labels repeats {len(repeated)} movie id(s) ({shown}"
            f"{'; ...' if len(repeated) > _SHOWN else ''}); each row is one movie, so make the "
            f"ids unique, or drop the {name!r} column to have the rows numbered."
        )


def _counts(column: pd.Series, name: str) -> np.ndarray:
    """Rating counts: whole numbers from 0 to :data:`MAX_COUNT` (a blank cell is 0)."""
    out = np.zeros(len(column), dtype=np.int64)
    for row, value in enumerate(column):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        text = text.strip()
        if not text:
            continue
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not (np.isfinite(number) and 0 <= number <= MAX_COUNT and number == int(number)):
            raise DataError(
                f"Column {name!r}, row {row + 1} of the labels, holds {text[:40]!r}; rating "
                f"counts must be whole numbers from 0 to {MAX_COUNT:,} (or blank for 0)."
            )
        out[row] = int(number)
    return out


def _all_true(column: pd.Series) -> bool:
    """Whether every cell of ``column`` reads as true (``True``, ``true``, ``1``)."""
    return bool(column.astype(str).str.strip().str.lower().isin(["true", "1"]).all())


def has_rating_counts(movies: pd.DataFrame) -> bool:
    """True when a movies table holds rating counts (an embedding imported without them has
    0 for every movie, so a minimum-ratings filter above 0 would leave no movie)."""
    counts = movies.get("n_ratings") if hasattr(movies, "get") else None
    if counts is None:
        return False
    return bool((pd.to_numeric(counts, errors="coerce").fillna(0) > 0).any())


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise DataError(f"{path} is not a file; check the path.")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(
            f"{path.name} is {size / 2**20:.0f} MiB, above the {max_bytes / 2**20:.0f} MiB limit "
            "for imported embeddings; keep fewer vectors (for example movies with enough "
            "ratings) or fewer dimensions."
        )
    if size == 0:
        raise DataError(f"{path.name} is empty.")


def _check_float32_range(values: np.ndarray, where: str) -> None:
    """DataError when finite ``values`` lie beyond float32's range (they would become inf)."""
    limit = float(np.finfo(np.float32).max)
    if np.abs(values).max(initial=0.0) > limit:
        raise DataError(
            f"{where} holds values beyond ±{limit:.3g}, which do not fit the 32-bit floats an "
            "embedding is stored in; rescale the vectors."
        )


def _check_not_zip(path: Path) -> None:
    """DataError for a zip given as the .npy: numpy opens any zip as an .npz, which ended in
    "This is a bug" (bad-input round 63, F2: a model's embeddings.npz, its model.keras or an
    .xlsx renamed .npy)."""
    if read_head(path, 4) not in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    names = zip_names(path)
    kind = zip_kind(path) if names else None
    what = kind[0] if kind else "a zip archive" if names is not None else "a damaged zip archive"
    fix = (
        "save the one array of the vectors with numpy.save, or export the model (CLI: "
        "python -m movierate export MODEL --out FOLDER) and import its movie_vectors.npy"
        if names and npz_arrays(names)
        else "pick the vectors saved with numpy.save (a .npy file)"
    )
    raise DataError(f"{path.name} is {what}, not one .npy matrix: {fix}.")


def _open_text(source: str | Path, max_bytes: int, holds: str = "the vectors") -> str:
    path = Path(source)
    _check_file(path, max_bytes)
    _check_text(path, holds)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _not_text(path, holds) from None


def _check_text(path: Path, holds: str = "the vectors") -> None:
    """DataError naming what ``path`` (which should hold ``holds`` as text) is when its first
    bytes say it is no text: a gzip or a .npy is no text to re-save as UTF-8 (bad-input round
    11), and a PDF, JSON or image was sniffed only when it was not UTF-8 (round 63, F3)."""
    check_not_empty(path, path.name, f"{holds} as text")  # raises for known formats
    if read_head(path, 6) == b"\x93NUMPY":
        fix = (
            "import it as a .npy file"
            if holds == "the vectors"
            else f"pick the text file that holds {holds}"  # recheck 3: not for labels
        )
        raise DataError(f"{path.name} is a numpy .npy array, not text: {fix}.")


def _not_text(path: Path, holds: str) -> DataError:
    """The error for ``path``, checked by :func:`_check_text`, that is not UTF-8 text: binary
    bytes are no text to save as UTF-8 (bad-input round 63, F3)."""
    head = read_head(path)
    if b"\x00" in head and bom_encoding(head) is None and looks_like_utf16(head) is None:
        return DataError(
            f"{path.name} is not text: it holds NUL bytes, as binary files do. Pick the file "
            f"that holds {holds} as text."
        )
    return DataError(f"{path.name} is not UTF-8 text; save it as UTF-8.")


def _read_vector_lines(lines: Iterable[str], separator: str, name: str) -> np.ndarray:
    """Parse vectors line by line (the file is never held as one string)."""
    rows: list[np.ndarray] = []
    dim = None
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.strip().split(separator)
        if dim is None:
            dim = len(parts)
            if dim > MAX_DIM:
                raise DataError(f"{name} has {dim} columns; at most {MAX_DIM} dims are accepted.")
        elif len(parts) != dim:
            raise DataError(
                f"Line {number} of {name} has {len(parts)} values but the first line has {dim}; "
                "every vector needs the same number of tab-separated values."
            )
        try:
            row = np.asarray(parts, dtype=np.float64)
        except ValueError:
            raise DataError(_not_number(parts, number, name)) from None
        if not np.isfinite(row).all():
            raise DataError(f"Line {number} of {name} holds NaN or infinite values.")
        _check_float32_range(row, f"Line {number} of {name}")
        rows.append(row.astype(np.float32))
        if len(rows) > MAX_ROWS:
            raise DataError(f"{name} has more than {MAX_ROWS:,} vectors; keep fewer.")
    if not rows:
        raise DataError(f"{name} holds no vectors.")
    return np.vstack(rows)


#: First lines of a one-column metadata file read as its header (bad-input round 61, F1):
#: column names a labels file uses for its one column; any other first line is a label.
HEADER_WORDS = frozenset(
    {"title", "titles", "label", "labels", "name", "names", "movie", "movies", "film", "films",
     "token", "tokens", "word", "words", "item", "items", "movie_title", "movie title"}
)  # fmt: skip
#: Column names that mark a comma-separated labels file given as the Projector's metadata.
_CSV_COLUMNS = frozenset({*_TITLE_COLUMNS, *_ID_COLUMNS, "year", "genres", "imdbid", "imdb_id"})


def _not_number(parts: list[str], number: int, name: str) -> str:
    """Why a vectors line does not read as numbers, quoting the cell (bad-input round 61, F7:
    values separated by spaces, or a decimal comma, were asked "is this the metadata file?")."""
    cell = next(p for p in parts if not is_number(p)).strip()
    why = (
        "values separated by spaces"
        if " " in cell
        else "a decimal comma"
        if re.fullmatch(r"[+-]?\d*,\d+", cell)
        else "not a number (is this the metadata file?)"
    )
    return (
        f"Line {number} of {name} holds {short_name(cell)!r}: {why}. The Projector's vectors "
        "are numbers separated by tabs, with '.' as the decimal point."
    )


def _read_metadata(text: str, n_vectors: int, name: str = "metadata.tsv") -> pd.DataFrame:
    """The Projector's metadata as a table of labels, one row per vector. A one-column file
    has no header unless its first line is a column name (:data:`HEADER_WORDS`); a labels CSV
    (``.csv``, or a comma-separated header naming known columns, no tab) is read as a CSV
    (bad-input round 61, F1b). DataError when the rows do not match the vectors one to one."""
    lines = [line.rstrip("\r\n") for line in io.StringIO(text)]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError("The metadata file is empty.")
    if not any("\t" in line for line in lines) and (
        name.lower().endswith(".csv") or _csv_header(lines[0])
    ):
        return read_labels_csv(text, name, n_vectors, "the vectors file")
    if {len(line.split("\t")) for line in lines} == {1}:
        return _single_column(lines, n_vectors, name)
    header = lines[0].split("\t")
    body = lines[1:]
    if len(body) != n_vectors:
        raise DataError(
            f"The metadata file has {len(body)} rows after its header but there are {n_vectors} "
            "vectors; give one metadata row per vector (the header names the columns)."
        )
    values = []
    for number, line in enumerate(body, start=2):
        parts = line.split("\t")
        if len(parts) != len(header):
            raise DataError(
                f"Line {number} of the metadata file has {len(parts)} columns but the header has "
                f"{len(header)}.{_QUOTED_HINT if chr(34) in line else ''}"
            )
        values.append([_metadata_cell(p) for p in parts])
    return pd.DataFrame(values, columns=header)


def _csv_header(line: str) -> bool:
    """Whether ``line`` is a CSV header (``movieId,title,genres``): two or more cells, one of
    them a column name the labels are read by."""
    cells = [c.strip().lower() for c in next(csv.reader([line]), [])]
    return len(cells) > 1 and bool(_CSV_COLUMNS.intersection(cells))


def _single_column(lines: list[str], n_vectors: int, name: str) -> pd.DataFrame:
    """A one-column metadata file's labels: a header only where its first line is a column
    name, never guessed from the count (bad-input round 61, F1 and F2: a title taken as the
    header, or "title" taken as a title, shifted every label by one)."""
    first = lines[0].strip().strip('"').strip()
    has_header = first.lower() in HEADER_WORDS
    labels = lines[1:] if has_header else lines
    if len(labels) == n_vectors:
        return pd.DataFrame({"label": [_metadata_cell(v) for v in labels]})
    if has_header:
        read = f"its first line {first!r} is read as the header, leaving {len(labels):,} labels"
    else:
        read = (
            f"its first line {short_name(first)!r} is a label, not a header (a one-column "
            f"metadata file has no header unless its first line is a column name such as "
            f"'title'), so it holds {len(labels):,} labels"
        )
    raise DataError(
        f"{name} does not match the vectors: {read} for {n_vectors:,} vectors. Give one label "
        "per vector, in the vectors' order (remove the extra lines, or add the missing ones)."
    )


#: Why a line holding a double quote has too many columns (bad-input round 44, F5).
_QUOTED_HINT = (
    " The line holds a double quote: a label with a tab in it was likely quoted, as pandas' "
    "to_csv(sep='\\t') and spreadsheets write one, but the Projector's files are not quoted, "
    "so its tab splits the label. Replace the tabs in the labels before writing (for example "
    "labels.replace('\\t', ' ', regex=True))."
)


def _metadata_cell(text: str) -> str:
    """A label as the Projector file gives it, escapes undone; ``""``, how pandas' ``to_csv``
    writes an empty or missing label alone on its line, is empty (bad-input round 44, F5)."""
    return "" if text == '""' else _unescape(text)


def _unescape(text: str) -> str:
    """Undo the escapes movierate's Projector export writes (\\t, \\n, \\r, \\\\)."""
    table = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    return re.sub(r"\\([tnr\\])", lambda m: table[m.group(1)], text)


def _check_shape(rows: int, dim: int, name: str) -> None:
    if rows < 1 or dim < 1:
        raise DataError(f"{name} has shape ({rows}, {dim}); it needs rows and dims.")
    if rows > MAX_ROWS or dim > MAX_DIM:
        raise DataError(
            f"{name} has shape ({rows}, {dim}); at most {MAX_ROWS:,} rows and {MAX_DIM} dims."
        )
