"""Export movie embeddings for other tools.

- TensorBoard Embedding Projector (projector.tensorflow.org, "Load"): a vectors TSV (one row
  of tab-separated numbers per movie, no header) and a metadata TSV with the header
  ``title, year, genres, n_ratings, [n_train_ratings,] mean_rating, movie_id``: n_ratings and
  mean_rating count every rating of the movie in its dataset, test rows included (n_ratings
  blank when unknown); n_train_ratings, where the model recorded it, the ratings it was fit
  on, which the "at least N ratings" filter reads (views round 24, F1: only the total was
  written, so the file could not repeat the filter); movie_id is the id to join other tables
  on. Then ``movie_id_invented`` (True) when the ids were made up from row numbers
  and the label columns an import kept (:func:`label_columns`). Tabs, newlines
  and backslashes in text are escaped as ``\\t``, ``\\n``, ``\\r`` and ``\\\\`` because the
  format has no quoting.
- Text a spreadsheet would run as a formula (``=1+2``, ``@cmd``) starts with ``'`` in both
  formats (:mod:`movierate.spreadsheet`); movierate's readers take the quote off again.
- word2vec text format, as gensim's ``KeyedVectors.load_word2vec_format(path, binary=False)``
  reads it: a header line ``"<count> <dim>"``, then ``"<token> <v1> ... <vdim>"`` per movie.
  Tokens hold no whitespace: the title with whitespace runs turned into ``_``, its year as
  ``_(1995)`` when known, then ``_<movie_id>`` (unique, and parseable back with
  :func:`movie_id_from_token`; ``_#<row>`` for ids made up from row numbers). The year is what movie identity needs to find the film again
  (accuracy round 22: tokens without it matched 0 of 1,958 films of their own model).

The ``*_text`` functions return the file contents (for a download button); the ``write_*``
functions write files atomically.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic, spreadsheet
from movierate.data.identity import INVENTED_IDS
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import DataError
from movierate.explore.validation import (
    UNCOUNTED,
    check_matrix,
    check_movies,
    eligible_rows,
    genre_lists,
    takes_models,
)

PROJECTOR_METADATA_COLUMNS = ("title", "year", "genres", "n_ratings", "mean_rating", "movie_id")
#: Significant digits written per number: 9 give every float32 back exactly (CLI round 2: at 7,
#: 1,664 of 1,682 exported rows came back changed, by up to 5e-8).
FLOAT_FORMAT = "%.9g"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def projector_text(
    embedding: Any, movies: pd.DataFrame, *, min_ratings: int = 0
) -> tuple[str, str]:
    """The Embedding Projector's (vectors TSV, metadata TSV) for movies with at least
    ``min_ratings`` ratings, rows in the same order; the metadata carries the label columns an
    import kept and :func:`id_columns`, and leaves unknown rating counts blank."""
    x, movies, rows = _selection(embedding, movies, min_ratings)
    vectors = _format_rows(x[rows], "\t")
    genres = genre_lists(movies.iloc[rows])
    years = movies["year"].iloc[rows]
    means = (
        pd.to_numeric(movies["mean_rating"], errors="coerce").iloc[rows]
        if "mean_rating" in movies.columns
        else pd.Series(np.nan, index=rows)
    )
    counts = _count_cells(movies, rows)
    trained = count_columns(movies, rows)
    extra = label_columns(movies, rows)
    header = [*PROJECTOR_METADATA_COLUMNS[:4], *trained, *PROJECTOR_METADATA_COLUMNS[4:]]
    header += list(extra.columns)
    cells = [[tsv_cell(_cell(v)) for v in extra[c]] for c in extra.columns]
    trained_cells = [[_cell(v) for v in values] for values in trained.values()]
    lines = ["\t".join(header)]
    for i, (title, year, genre, count, mean, movie_id) in enumerate(zip(
        movies["title"].iloc[rows], years, genres, counts, means,
        movies["movie_id"].iloc[rows], strict=True,
    )):  # fmt: skip
        fields = (tsv_cell(str(title)), _year_text(year), tsv_cell("|".join(genre)), count,
                  *(column[i] for column in trained_cells),
                  "" if pd.isna(mean) else f"{mean:.4g}", tsv_cell(_id_text(movie_id)),
                  *(column[i] for column in cells))  # fmt: skip
        lines.append("\t".join(str(f) for f in fields))
    return vectors, "\n".join(lines) + "\n"


#: Columns of a result table that are the program's own bookkeeping, not facts of the film.
INTERNAL_COLUMNS = ("movie_idx", "identity", "film", "held")


def table_csv(
    table: pd.DataFrame, context: dict[str, Any], movies: pd.DataFrame | None = None
) -> str:
    """CSV text of a result table a user takes away (views round 25, F1: the grid's own
    download is named only by a timestamp, holds no model nor what the table lists, and rounds
    every number as shown): the ``context`` columns first (model, dataset, what the rows are
    of; one value each for every row), then the table's columns at full precision without
    internal row numbers, genres ``|``-joined, unknown rating counts blank; text cells safe
    for a spreadsheet. With the model's ``movies``, each movie's training ratings follow its
    n_ratings: what a minimum-ratings filter counted (accuracy round 42, F2)."""
    out = table.copy()
    if movies is not None and TRAINING_COUNTS in movies.columns and "movie_idx" in out.columns:
        counts = pd.to_numeric(movies[TRAINING_COUNTS], errors="coerce").astype("Int64")
        at = (
            out.columns.get_loc("n_ratings") + 1 if "n_ratings" in out.columns else len(out.columns)
        )
        out.insert(at, TRAINING_COUNTS, counts.to_numpy()[out["movie_idx"].to_numpy(np.int64)])
    out = out.drop(columns=[c for c in INTERNAL_COLUMNS if c in out.columns])
    if "genres" in out.columns:
        out["genres"] = ["|".join(genres) for genres in genre_lists(out)]
    if table.attrs.get(UNCOUNTED) and "n_ratings" in out.columns:  # unknown, not 0
        out["n_ratings"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for position, (name, value) in enumerate(context.items()):
        out.insert(position, name, value)
    return spreadsheet.csv_text(out)


def table_file_name(*what: Any) -> str:
    """A CSV's name of ``what`` (a model's :func:`file_stem`, then what the table holds) in
    letters, digits, ``_``, ``-`` and ``.`` only: ``small-a_neighbours_of_Heat_1995.csv``."""
    parts = [re.sub(r"[^A-Za-z0-9.-]+", "_", str(part)).strip("_.") for part in what]
    return "_".join(p for p in parts if p)[:200] + ".csv"


def counts_note(movies: pd.DataFrame) -> str:
    """What the rating counts of an export's metadata count, and which one the minimum-ratings
    filter reads (views round 24, F1)."""
    every = "n_ratings and mean_rating count every rating of a movie, test rows included"
    if TRAINING_COUNTS not in movies.columns:
        return f"In the metadata, {every}; the filter above reads n_ratings."
    return (
        f"In the metadata, {every}; {TRAINING_COUNTS} counts the ratings the model was fit on, "
        f"which the filter above reads: keep the rows with {TRAINING_COUNTS} >= N to repeat it."
    )


@takes_models("model")
def file_stem(model: Any) -> str:
    """The start of an export's file names: the model's name in letters, digits, ``_``, ``-``
    and ``.`` only; a first-k view is ``<model>_pca<k>`` (principal basis) or
    ``<model>_first<k>`` (as trained), not its shown name (views round 24, F3:
    ``mb8 (first 3 principal directions)_vectors.tsv``)."""
    name = str(model.name)
    info = model.meta.get("first_k")
    source = getattr(model, "source", None)
    if isinstance(info, dict) and source is not None:
        name = f"{source.name}_{'pca' if info.get('basis') == 'pca' else 'first'}{info.get('k')}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "model"


@takes_models("model")
def basis_note(model: Any) -> str | None:
    """What the vectors of a first-k view are, for beside its export; None for a whole model.
    The principal basis is no PCA of the movie vectors: it re-expresses both sides so that
    every prediction is kept (:func:`~movierate.explore.ordering.pca_arrays`)."""
    from movierate.explore.ordering import movie_weights_counted
    from movierate.scoring import has_dot_product

    info = model.meta.get("first_k")
    if not isinstance(info, dict):
        return None
    k, dim = info.get("k"), info.get("dim")
    if info.get("basis") != "pca":
        return f"These files hold dimensions 1-{k} of the {dim} as trained, unchanged."
    weights = movie_weights_counted(model)
    weighed = f"movies weighted by their {weights}" if weights else "every movie alike"
    if model.spec.family == "deep" and not has_dot_product(model.spec):
        return (
            f"These files hold the first {k} of {dim} principal directions: the movie vectors "
            f"centred and rotated to the eigenvectors of their covariance ({weighed}), "
            "largest first; the network's first layer takes the rotation, so predictions "
            "are kept."
        )
    return (
        f"These files hold the first {k} of {dim} principal directions, not a PCA of the "
        "movie vectors: the model re-expressed so that every user-movie product u·m is kept "
        f"(from the SVD of the matrix of those products, users alike and {weighed}; the "
        "movie vectors times B, the user vectors times A, A Bᵀ = I, each side scaled by the "
        "square root of the singular values), then cut to the first "
        f"{k}. `python -m movierate export` writes the model's own vectors for both sides."
    )


def ids_invented(movies: pd.DataFrame) -> bool:
    """Whether the movies' ids were made up from row numbers (an import without an id column:
    :data:`~movierate.data.identity.INVENTED_IDS`)."""
    return INVENTED_IDS in movies.columns and bool(movies[INVENTED_IDS].any())


def label_columns(movies: pd.DataFrame, rows: Any) -> pd.DataFrame:
    """The columns every export writes beyond its own, for ``rows`` (positions): the
    :data:`~movierate.data.identity.INVENTED_IDS` flag (True) when the ids were made up from
    row numbers, so that an import of the file makes them up again (bad-input round 34 F4:
    a round trip turned them into real ids), then the label columns an import kept
    (:func:`~movierate.explore.imported.extra_columns`: F3, a round trip lost them unsaid)."""
    from movierate.explore.imported import extra_columns  # imported reads word2vec from here

    rows = np.asarray(rows, dtype=np.int64)
    frame = movies.iloc[rows][extra_columns(movies)].reset_index(drop=True)
    if ids_invented(movies):
        frame.insert(0, INVENTED_IDS, True)
    return frame


def count_columns(movies: pd.DataFrame, rows: Any) -> dict[str, list[Any]]:
    """``{"n_train_ratings": counts}`` of ``rows`` (positions) where the table records the
    ratings the model was fit on (what the minimum-ratings filters read), else ``{}``: written
    beside ``n_ratings`` (every rating) so a file repeats the filter (views round 24, F1)."""
    if TRAINING_COUNTS not in movies.columns:
        return {}
    counts = pd.to_numeric(movies[TRAINING_COUNTS], errors="coerce").iloc[np.asarray(rows)]
    return {TRAINING_COUNTS: counts.astype("Int64").tolist()}


def _count_cells(movies: pd.DataFrame, rows: Any) -> list[Any]:
    """The rating counts of ``rows``, blank where the table has none (an import without them:
    bad-input round 34 F4 wrote 0, which a re-import read as counted)."""
    from movierate.explore.imported import has_rating_counts

    if not has_rating_counts(movies):
        return [""] * len(rows)
    return movies["n_ratings"].iloc[rows].tolist()


def _cell(value: Any) -> str:
    """A label cell as text: whole numbers without ".0", other numbers exactly ("inf" too),
    blank for a missing value."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def _id_text(movie_id: Any) -> str:
    """A movie id as text: ``5`` for 5 and 5.0, a text id as it is."""
    if isinstance(movie_id, float | np.floating) and float(movie_id).is_integer():
        return str(int(movie_id))
    return str(movie_id)


def write_projector(
    folder: str | Path,
    embedding: Any,
    movies: pd.DataFrame,
    *,
    name: str = "movies",
    min_ratings: int = 0,
) -> tuple[Path, Path]:
    """Write ``<name>_vectors.tsv`` and ``<name>_metadata.tsv`` into ``folder``; their paths."""
    vectors, metadata = projector_text(embedding, movies, min_ratings=min_ratings)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vectors_path = atomic.write_text(folder / f"{name}_vectors.tsv", vectors)
    metadata_path = atomic.write_text(folder / f"{name}_metadata.tsv", metadata)
    return vectors_path, metadata_path


def tsv_cell(text: str) -> str:
    """One TSV text field for a user to open elsewhere: kept from running as a spreadsheet
    formula (:func:`movierate.spreadsheet.safe_cell`), then escaped (:func:`escape_tsv`)."""
    return escape_tsv(spreadsheet.safe_cell(text))


def escape_tsv(text: str) -> str:
    """Text safe for one TSV field: backslash, tab, newline and carriage return escaped."""
    return text.translate(_ESCAPES)


def unescape_tsv(text: str) -> str:
    """Inverse of :func:`escape_tsv`."""
    replacements = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    return re.sub(r"\\[\\tnr]", lambda m: replacements[m.group()], text)


def word2vec_token(title: str, movie_id: Any, year: Any = None, *, invented: bool = False) -> str:
    """A whitespace-free, unique token for a movie: ``Toy_Story_(1995)_1`` for "Toy Story",
    1995, id 1 (``'=1+2_7`` for "=1+2" without a year: a token is a text cell too, kept from
    running as a formula); ``Film_(1950)_#0`` for an id ``invented`` from row 0, which an
    import reads as no id (bad-input round 34 F4)."""
    words = re.sub(r"\s+", "_", unicodedata.normalize("NFC", str(title)).strip()) or "movie"
    if not pd.isna(year):
        words = f"{words}_({int(year)})"
    mark = "#" if invented else ""
    return spreadsheet.safe_cell(f"{words}_{mark}{_id_text(movie_id)}")


def movie_id_from_token(token: str) -> int:
    """The movie_id at the end of a :func:`word2vec_token`."""
    _, _, suffix = token.rpartition("_")
    if not suffix.lstrip("-").isdigit():
        raise DataError(f"{token!r} does not end with _<movie_id>; it is not a movierate token.")
    return int(suffix)


def word2vec_text(embedding: Any, movies: pd.DataFrame, *, min_ratings: int = 0) -> str:
    """The word2vec text format of the movies with at least ``min_ratings`` ratings."""
    x, movies, rows = _selection(embedding, movies, min_ratings)
    years = movies["year"] if "year" in movies.columns else pd.Series(pd.NA, index=movies.index)
    invented = ids_invented(movies)
    tokens = [
        word2vec_token(title, movie_id, year, invented=invented)
        for title, movie_id, year in zip(
            movies["title"].iloc[rows],
            movies["movie_id"].iloc[rows],
            years.iloc[rows],
            strict=True,
        )
    ]
    if len(set(tokens)) != len(tokens):
        raise DataError("The movies table holds the same movie_id twice; tokens would clash.")
    body = _format_rows(x[rows], " ").splitlines()
    lines = [f"{len(rows)} {x.shape[1]}"]
    lines += [f"{token} {vector}" for token, vector in zip(tokens, body, strict=True)]
    return "\n".join(lines) + "\n"


def write_word2vec(
    path: str | Path, embedding: Any, movies: pd.DataFrame, *, min_ratings: int = 0
) -> Path:
    """Write :func:`word2vec_text` to ``path`` (UTF-8, atomically); returns the path."""
    return atomic.write_text(Path(path), word2vec_text(embedding, movies, min_ratings=min_ratings))


def read_word2vec(
    source: str | Path,
    *,
    max_rows: int | None = None,
    max_dim: int | None = None,
    name: str | None = None,
) -> tuple[list[str], np.ndarray]:
    """Tokens and (count, dim) float32 vectors of a word2vec text file, read by gensim's rules:
    the header gives count and dim, each line is split on single spaces after stripping
    trailing whitespace, and must hold a token plus exactly dim numbers. ``source`` is a path
    or the file's text; ``name`` is what errors call the file (default: the path's name).
    Raises DataError naming the file and line on any deviation (and on duplicate or empty
    tokens), and on a header announcing more than ``max_rows`` vectors or ``max_dim`` numbers
    each."""
    is_text = isinstance(source, str) and "\n" in source
    if name is None:
        name = "the word2vec text" if is_text else Path(source).name
    text = source if is_text else Path(source).read_text("utf-8")
    stream = io.StringIO(text)
    header = stream.readline().split()
    if len(header) != 2 or not all(h.isdigit() for h in header):
        raise DataError(
            f"{name}: a word2vec text file starts with a line '<count> <dim>'{_glove_fix(text)}."
        )
    count, dim = int(header[0]), int(header[1])
    if count < 1 or dim < 1:
        raise DataError(
            f"{name}: the header announces {count} vectors of {dim} numbers; both must be >= 1."
        )
    if max_dim is not None and dim > max_dim:
        raise DataError(
            f"{name}: the header announces vectors of {dim} numbers; at most {max_dim} dims are "
            "accepted."
        )
    if max_rows is not None and count > max_rows:
        raise DataError(
            f"{name}: the header announces {count:,} vectors; at most {max_rows:,} are accepted."
        )
    tokens: list[str] = []
    first_line: dict[str, int] = {}
    # the buffer grows with the lines actually read: a header announcing more vectors than the
    # file holds never allocates them (2 x 1e11 was a MemoryError)
    vectors = np.empty((min(count, 1024), dim), dtype=np.float32)
    for i in range(count):
        line = stream.readline()
        number = i + 2
        if line == "":
            raise DataError(
                f"{name} ends after {i} vectors but its header announces {count}; fix the count "
                "in the first line or add the missing lines."
            )
        parts = line.rstrip().split(" ")
        if len(parts) != dim + 1:
            raise DataError(_count_message(line, number, dim, name, first=i == 0))
        token = parts[0]
        if not token:
            raise DataError(f"Line {number} has no token before its numbers, in {name}.")
        if token in first_line:
            raise DataError(
                f"{name} holds the same token twice: {token[:80]!r} on lines "
                f"{first_line[token]} and {number}; each token names one vector, so rename or "
                "drop one of them."
            )
        first_line[token] = number
        if i == len(vectors):
            grown = np.empty((min(count, 2 * len(vectors)), dim), dtype=np.float32)
            grown[:i] = vectors
            vectors = grown
        try:
            row = np.asarray([float(v) for v in parts[1:]])
        except ValueError:
            raise DataError(
                f"Line {number} holds a value that is not a number, in {name}."
            ) from None
        if not np.isfinite(row).all():
            raise DataError(f"Line {number} of {name} holds NaN or infinite values.")
        if np.abs(row).max() > np.finfo(np.float32).max:  # bad-input round 61, F7: no overflow
            raise DataError(
                f"Line {number} of {name} holds values beyond ±{np.finfo(np.float32).max:.3g}, "
                "which do not fit the 32-bit floats an embedding is stored in; rescale the "
                "vectors."
            )
        vectors[i] = row
        tokens.append(token)
    extra = sum(1 for line in stream if line.strip())
    if extra:  # bad-input round 13: a header of 40 over 50 lines dropped 10 without a word
        raise DataError(
            f"{name} holds {count + extra:,} vector lines but its header announces {count:,}; "
            "fix the count in the first line (the other lines would be dropped)."
        )
    return tokens, vectors


def _glove_fix(text: str) -> str:
    """The header a GloVe file (word2vec without its first line) needs, or "" (bad-input round
    61, F7: say the line to add, its count and dim known)."""
    lines = [line.rstrip().split(" ") for line in text.splitlines() if line.strip()]
    dims = {len(parts) - 1 for parts in lines}
    if len(dims) != 1 or not all(is_number(v) for v in lines[0][1:]) or not min(dims):
        return ""
    return (
        f"; this one starts with a vector, as a GloVe file does: add the first line "
        f"'{len(lines)} {dims.pop()}'"
    )


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a float (``1e308``, ``nan`` included)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _count_message(line: str, number: int, dim: int, name: str, *, first: bool) -> str:
    """Why a word2vec line does not hold a token and ``dim`` numbers: tabs for spaces, a header
    whose dim is wrong (the first vector line disagrees), or a token holding spaces."""
    if "\t" in line.strip():  # bad-input round 61, F7: not "0 values after its token"
        return (
            f"Line {number} of {name} separates its values with tabs; word2vec text separates "
            "the token and each value by single spaces (replace the tabs with spaces)."
        )
    found = len(line.rstrip().split(" ")) - 1
    if first:  # bad-input round 61, F7: every line held 8 and the header said 7
        return (
            f"Line {number} has {found} values after its token, expected {dim} (the header's "
            f"dim), in {name}: if every vector has {found} values, fix the dim in the first line "
            f"to {found}."
        )
    return f"Line {number} has {found} values after its token, expected {dim}, in {name}" + (
        " (a token holds no spaces: word2vec files write them as '_')." if found > dim else "."
    )


def _selection(embedding: Any, movies: pd.DataFrame, min_ratings: int):
    """The checked embedding and movies table, and the rows with ``min_ratings`` ratings."""
    x = check_matrix(embedding)
    movies = check_movies(movies, len(x))
    return x, movies, eligible_rows(movies, min_ratings)


def _format_rows(values: np.ndarray, delimiter: str) -> str:
    buffer = io.StringIO()
    np.savetxt(buffer, values, fmt=FLOAT_FORMAT, delimiter=delimiter)
    return buffer.getvalue()


def _year_text(year: Any) -> str:
    return "" if pd.isna(year) else str(int(year))
