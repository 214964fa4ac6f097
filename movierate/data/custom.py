"""Your own ratings file: ``from_csv`` reads it (delimiter sniffed, column names mapped),
validates it like a GroupLens set and can register it under ``data_dir()/custom/<name>/``."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from movierate import atomic, config, schema, spreadsheet
from movierate.data.acquire import (
    CUSTOM_FOLDER,
    ascii_letters,
    dataset_case_twin,
    dataset_name_taken,
    find_local,
    free_dataset_name,
    max_extract_bytes,
    validate_dataset_name,
)
from movierate.data.build import (
    SHOW_ROWS,
    TIME_OF_DAY,
    ZONE,
    Duplicates,
    RawData,
    beyond_exact_ids,
    build_dataset,
    check_scientific_ids,
    check_whole_ids,
    line_numbers,
    naive_times_note,
)
from movierate.data.dataset import RatingScale, RatingsDataset
from movierate.data.formats import CUSTOM_META, read_text_table
from movierate.data.movies import MAX_YEAR, MIN_YEAR, movie_metadata, split_genres, untitled_notice
from movierate.data.textio import (
    Source,
    bom_encoding,
    check_decodable,
    check_not_empty,
    control_characters_note,
    decode,
    decode_head,
    first_match,
    irregular_integers,
    looks_like_utf16,
    misread_utf8_note,
    read_head,
    read_table,
)
from movierate.errors import DataError, ImportStopped
from movierate.filenames import is_os_junk, twin_difference
from movierate.run_ledger import check_unread

ROLES = ("user", "item", "rating", "timestamp")
ALIASES = {
    "user": {"user", "userid", "uid", "users", "customer", "customerid", "reader", "readerid"},
    "item": {
        "item",
        "itemid",
        "iid",
        "movie",
        "movieid",
        "mid",
        "product",
        "productid",
        "book",
        "bookid",
    },  # fmt: skip
    # 'My Rating' (Goodreads), 'Your Rating' (IMDb): exports merged with a user column
    "rating": {"rating", "ratings", "score", "stars", "rate", "value", "myrating", "yourrating"},
    "timestamp": {"timestamp", "time", "ts", "date", "datetime", "unixtime", "ratedat"},
}
#: The names MovieLens gives the roles: such a column wins over another that fits the role.
MOVIELENS_NAMES = {
    "user": "userid",
    "item": "movieid",
    "rating": "rating",
    "timestamp": "timestamp",
}
ITEM_ALIASES = {
    "item": ALIASES["item"] | {"id"},
    "title": {"title", "name", "movietitle", "itemtitle"},
    "genres": {"genres", "genre", "categories", "tags"},
    "year": {"year", "releaseyear"},
}
DELIMITERS = ",\t;|"

PathOrBuffer = str | os.PathLike | bytes | IO[bytes] | IO[str]
#: What a rating of 0 is (:func:`from_csv`'s ``zero_ratings``).
ZeroRatings = Literal["auto", "keep", "drop"]
ZERO_RATINGS: tuple[str, ...] = get_args(ZeroRatings)


def from_csv(
    path_or_buffer: PathOrBuffer,
    items: PathOrBuffer | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    item_columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    items_encoding: str | None = None,
    rating_scale: RatingScale | tuple[float, float, float] | None = None,
    duplicates: Duplicates = "keep_latest",
    zero_ratings: ZeroRatings = "auto",
    name: str | None = None,
    save_as: str | None = None,
    replace: bool = False,
    force: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> RatingsDataset:
    """Read your own ratings file: one row per rating with user, item, rating (+ timestamp).

    ``columns`` maps a role (``user``, ``item``, ``rating``, ``timestamp``) to your column name
    when it is not one of the usual spellings (userId, movie_id, score, ...). A file without a
    header is read as user, item, rating[, timestamp]. ``items`` is an optional file with item
    id, title and (``|``-separated) genres, read as ``items_encoding`` (default: ``encoding``).
    ``rating_scale`` (min, max, step) is checked when
    given, else inferred. ``zero_ratings``: ``"drop"`` drops ratings of 0 as "not rated"
    (as Goodreads and Amazon exports write them), ``"keep"`` keeps them, ``"auto"`` drops them
    from a Goodreads export and else says when they may mean so. ``save_as`` stores the validated data so ``load_dataset(save_as)``
    reopens it; a name already in use is refused (the error suggests a free one, see
    :func:`free_dataset_name`) unless ``replace=True``; a replacement with other ratings is
    refused while saved models are trained on the stored ones, unless ``force=True``. Files larger than
    ``max_extract_bytes()`` (``MOVIERATE_MAX_EXTRACT_BYTES``) are refused. ``should_stop`` is
    asked after reading and before storing: True raises :class:`ImportStopped`, nothing stored
    (the dashboard's import of a large upload, bad-input round 23).
    """
    replace = schema.flag(replace, "replace", DataError)
    force = schema.flag(force, "force", DataError)
    source, label = _as_source(path_or_buffer)
    check_not_empty(source, label)  # what the file is, before its name (round 43, F4)
    if save_as is not None:
        validate_dataset_name(save_as)
        _check_free(save_as, replace)
    scale = _scale(rating_scale)
    _check_options(encoding, duplicates, delimiter)
    if zero_ratings not in ZERO_RATINGS:
        raise DataError(
            f"zero_ratings={zero_ratings!r}: use one of {', '.join(map(repr, ZERO_RATINGS))}."
        )
    _check_mapping(columns, "columns")
    _check_mapping(item_columns, "item_columns")
    items_encoding = encoding if items_encoding is None else items_encoding
    _check_options(items_encoding, duplicates, delimiter)
    raw = _read_ratings(source, label, columns, delimiter, _encoding_of(source, encoding))
    _stop_if_asked(should_stop)
    raw.scale, raw.importing = scale, True
    if zero_ratings != "auto":
        raw.zero_unrated = zero_ratings == "drop"
    elif scale is not None and scale.min <= 0 <= scale.max:
        raw.zero_unrated = False  # a declared scale holding 0 says 0 is a rating (recheck N5)
    raw.warnings += _encoding_notices(source, label, _encoding_of(source, encoding), "encoding")
    if items is not None:
        item_source, item_label = _as_source(items, "the uploaded items file")
        chosen = _encoding_of(item_source, items_encoding)
        raw.movies, item_notices = _read_items(item_source, item_label, item_columns, chosen)
        raw.warnings += item_notices
        raw.warnings += _encoding_notices(item_source, item_label, chosen, "items_encoding")
        raw.catalog = {"movies": len(raw.movies), "users": None}
    dataset_name = save_as or name or _name_from(label)
    ds = build_dataset(raw, dataset_name, duplicates=duplicates)
    ds.source = label
    if save_as is not None:
        if replace and not force:
            _check_not_orphaning(ds)
        _stop_if_asked(should_stop)
        ds.source = str(_save(ds, raw, label, replace))
    return ds


def _encoding_notices(source: Source, label: str, encoding: str, option: str) -> list[str]:
    """Notices (or a DataError) when ``encoding`` misreads the file: UTF-8 or Windows text
    read as latin-1. ``option`` is the argument that sets this file's encoding."""
    notes = [misread_utf8_note(read_head(source), label, encoding)]
    notes.append(control_characters_note(source, label, encoding, option))
    return [note for note in notes if note]


def _stop_if_asked(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise ImportStopped("The import was stopped before anything was stored.")


def _scale(rating_scale: object) -> RatingScale | None:
    if rating_scale is None or isinstance(rating_scale, RatingScale):
        return rating_scale
    try:
        return RatingScale(*(float(v) for v in rating_scale))
    except (TypeError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(
            f"rating_scale={rating_scale!r} is not (min, max, step) numbers; pass e.g. "
            "rating_scale=(0.5, 5, 0.5), or leave it out to infer the scale."
        ) from None


def _check_options(encoding: object, duplicates: object, delimiter: object) -> None:
    """DataError naming the argument when encoding, duplicates or delimiter is unusable."""
    try:
        "a".encode(encoding)  # LookupError also for codecs that are not text (hex, rot13)
    except (LookupError, TypeError, ValueError):
        raise DataError(
            f"encoding={encoding!r} is not a text encoding; use e.g. 'utf-8', 'utf-16', "
            "'latin-1' or 'cp1252'."
        ) from None
    if duplicates not in ("keep_latest", "error"):
        raise DataError(f"duplicates={duplicates!r}: use 'keep_latest' or 'error'.")
    usable = isinstance(delimiter, str) and (delimiter == "::" or len(delimiter) == 1)
    if delimiter is not None and (not usable or delimiter in "\r\n\"'"):
        raise DataError(
            f"delimiter={delimiter!r} cannot separate columns: pass one character such as ',', "
            "'\\t', ';' or '|' (or '::'), or leave it out to detect it."
        )


def _check_mapping(mapping: object, argument: str) -> None:
    """DataError unless ``mapping`` is None or maps role names to distinct column names."""
    if mapping is None:
        return
    if not isinstance(mapping, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise DataError(
            f"{argument}={mapping!r} must map roles to your column names, for example "
            f"{argument}={{'rating': 'stars'}}."
        )
    seen: dict[str, str] = {}
    for role, column in mapping.items():
        if column in seen:
            raise DataError(
                f"{argument} maps both {seen[column]!r} and {role!r} to the column {column!r}"
                f"{' (CLI: --columns)' if argument == 'columns' else ''}; each role needs a "
                "column of its own."
            )
        seen[column] = role


def _encoding_of(source: Source, encoding: str) -> str:
    """``encoding``, unless the file starts with a UTF-16 / UTF-32 byte-order mark (Excel's
    "Unicode text"): the mark says how it is encoded, whatever was passed."""
    return bom_encoding(read_head(source, 4)) or encoding


def _check_free(name: str, replace: bool) -> None:
    """DataError when ``name`` is taken (unless ``replace`` and it is an imported CSV)."""
    if not dataset_name_taken(name):
        return
    twin = dataset_case_twin(name)
    if twin is not None and find_local(name) is None:
        raise DataError(
            f"A dataset named {twin!r} already exists, and {name!r} differs from it "
            f"{twin_difference([twin, name])} (one folder on macOS and Windows); pick another name, for example "
            f"{free_dataset_name(name)!r}."
        )
    found = find_local(name)
    own = config.data_dir() / CUSTOM_FOLDER / name
    if replace and (found is None or found.resolve() == own.resolve()):
        if own.is_dir():  # recheck B (s26): --overwrite replaced a folder of saved models
            _check_replaceable(name, own)
            check_unread(name, "replaced")  # bad-input round 54, F1
        return
    if replace:
        raise DataError(  # recheck E (s26): it named replace=True to page and CLI users
            f"Dataset {name!r} already exists at {found} and is not an imported file, so an "
            f"import never replaces it; import under another name, for example "
            f"{free_dataset_name(name)!r}."
        )
    raise DataError(
        f"A dataset named {name!r} already exists; pick another name (for example "
        f"{free_dataset_name(name)!r}), or pass replace=True to overwrite it."
    )


def _check_not_orphaning(ds: RatingsDataset) -> None:
    """DataError when storing ``ds`` over the dataset of its name would leave saved models
    without the ratings they were trained on (bad-input round 64, F2: --overwrite with other
    ratings made them "changed since trained" for good, the old ratings not kept anywhere)."""
    from movierate import store
    from movierate.data.load import load_dataset_by_name
    from movierate.data.removal import trained_models_text
    from movierate.errors import MovierateError

    infos = [info for info in store.list_models()[0] if info.dataset == ds.name]
    if not infos:
        return
    try:
        stored = load_dataset_by_name(ds.name)
    except MovierateError:  # damaged or gone: no model can use it now, a new copy harms none
        return
    if stored.fingerprint == ds.fingerprint:
        return
    models = [i.name for i in infos if i.dataset_fingerprint == stored.fingerprint]
    if models:
        raise DataError(
            f"Dataset {ds.name!r} was not replaced: this file holds other ratings "
            f"({len(ds):,}, fingerprint {ds.fingerprint}) than the stored copy "
            f"({len(stored):,}, fingerprint {stored.fingerprint}), and "
            f"{trained_models_text(ds.name, models)}; movierate keeps no other copy of the "
            "stored ratings. "
            f"Import this file under another name (for example {free_dataset_name(ds.name)!r}), "
            "or pass force=True to replace it anyway."
        )


#: What an imported copy's folder holds (:func:`_write`), besides hidden files.
IMPORTED_FILES = frozenset({CUSTOM_META, "ratings.parquet", "movies.parquet"})


def _check_replaceable(name: str, folder: Path) -> None:
    """DataError when ``folder`` holds what no imported copy has (:func:`_not_an_imported_copy`):
    an import never replaces it."""
    if foreign := _not_an_imported_copy(folder):
        raise DataError(
            f"Dataset {name!r} is not replaced: its folder {folder} holds "
            f"{', '.join(map(repr, foreign[:5]))}{' and more' if len(foreign) > 5 else ''}, "
            "which no imported copy has. Nothing was replaced; move that folder away by hand "
            f"if you mean to, or import under another name, for example "
            f"{free_dataset_name(name)!r}."
        )


def _not_an_imported_copy(folder: Path) -> list[str]:
    """The entries of ``folder`` that no imported copy has (folders end in ``/``; hidden files
    are not counted, hidden folders are); empty for an imported copy, even a damaged one."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    own = any(e.name in IMPORTED_FILES for e in entries)
    return [  # hidden files count only in a folder with no imported file (recheck D: .env)
        f"{e.name}/" if e.is_dir() else e.name
        for e in entries
        if e.name not in IMPORTED_FILES
        and not is_os_junk(e.name)
        and not (own and e.name.startswith(".") and e.is_file())
    ]


def _check_size(size: int, label: str) -> None:
    limit = max_extract_bytes()
    if size > limit:
        raise DataError(
            f"{label} is {size:,} bytes, more than the limit of {limit:,} bytes "
            "(MOVIERATE_MAX_EXTRACT_BYTES). Raise that limit if the file really is that large."
        )


def _as_source(
    path_or_buffer: PathOrBuffer, unnamed: str = "the uploaded file"
) -> tuple[Source, str]:
    """(Path or bytes, the name messages use: ``unnamed`` for bytes or a nameless buffer, so
    the ratings and the items file are told apart); DataError beyond the size limit."""
    source, label = _as_source_unchecked(path_or_buffer, unnamed)
    _check_size(source.stat().st_size if isinstance(source, Path) else len(source), label)
    return source, label


def _as_source_unchecked(path_or_buffer: PathOrBuffer, unnamed: str) -> tuple[Source, str]:
    if isinstance(path_or_buffer, bytes):
        return path_or_buffer, unnamed
    if isinstance(path_or_buffer, str | os.PathLike):
        path = Path(path_or_buffer).expanduser()
        try:
            is_file = path.is_file()
        except (OSError, ValueError) as err:  # name too long, NUL byte
            raise DataError(
                f"Cannot open {str(path)[:80]!r}: the system refuses that path "
                f"({getattr(err, 'strerror', None) or err}); check the path."
            ) from None
        if not is_file:
            raise DataError(f"{path} does not exist or is not a file; check the path.")
        return path, str(path)
    if hasattr(path_or_buffer, "read"):
        label = str(getattr(path_or_buffer, "name", None) or unnamed)
        getvalue = getattr(
            path_or_buffer, "getvalue", None
        )  # whole upload, wherever it was read to
        data = getvalue() if callable(getvalue) else path_or_buffer.read()
        return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), label
    raise DataError(
        f"Cannot read ratings from a {type(path_or_buffer).__name__}; pass a file path, bytes "
        "or an open file."
    )


def _read_ratings(
    source: Source,
    label: str,
    columns: Mapping[str, str] | None,
    delimiter: str | None,
    encoding: str,
) -> RawData:
    lines, preamble, delimiter, first = _first_row(source, label, delimiter, encoding)
    pasted = sum(line.strip() == lines[preamble].strip() for line in lines[preamble + 1 :])
    chosen = _match_columns(
        first, columns, ALIASES, label, required=("user", "item", "rating"), pasted=pasted
    )
    header = chosen is not None
    notices = [] if chosen is None else _unused_columns_notice(first, chosen, label)
    if chosen is None:  # no header: positional user, item, rating[, timestamp]
        while first and not first[-1].strip():  # a trailing delimiter: see below
            first = first[:-1]
        if not 3 <= len(first) <= 4:
            raise DataError(
                f"{label}: the first line has no header and {len(first)} field(s) "
                f"({delimiter!r}-separated); without a header the columns must be user, item, "
                "rating and optionally timestamp. Add a header row naming the columns."
            )
        names = [f"c{i}" for i in range(len(first))]
        chosen = dict(zip(ROLES, names, strict=False))
        skip, first_line = preamble, preamble + 1
    else:
        names, skip, first_line = _unique_names(first, chosen, label), preamble + 1, preamble + 2
    names += _trailing_empty_fields(lines[skip:], names, delimiter)
    check_decodable(source, label, encoding)
    layout = {
        "delimiter": _arrow_delimiter(delimiter),
        "column_names": _expand_names(names, delimiter),
        "skip_rows": skip,
        "encoding": _arrow_encoding(encoding),
    }
    read = partial(read_table, source, label, include=list(chosen.values()), **layout)
    frame = read(types={})
    ids = [chosen[role] for role in ("user", "item")]
    text_ids = [name for name in ids if _is_label(frame[name])]  # 1.5, 2020-01-01: labels
    # whole floats (1.23457E+14, 7.0, beyond int64) as their text: how they are written counts
    text_ids += [name for name in ids if name not in text_ids and frame[name].dtype.kind == "f"]
    numbers = [name for name in ids if name not in text_ids and frame[name].dtype.kind in "iu"]
    if numbers:  # "007" beside "7": read as text so build can tell of the merge
        text_ids += irregular_integers(source, columns=numbers, **layout)
    if text_ids:
        frame = read(types=dict.fromkeys(text_ids, pa.string()))
    roles = {v: ("movie" if k == "item" else k) for k, v in chosen.items()}
    frame = frame.rename(columns=roles)
    raw = RawData(ratings=frame, ratings_file=label, first_line=first_line, warnings=notices)
    if header:
        raw.columns = {role: name for name, role in roles.items()}
    stamps = chosen.get("timestamp")
    if stamps is not None and frame["timestamp"].dtype.kind == "M":  # read as dates already
        naive = first_match(source, column=stamps, has=TIME_OF_DAY, lacks=ZONE.pattern, **layout)
        if naive is not None:  # offsets were converted; times without one are taken as UTC
            notices.append(naive_times_note(raw, *naive))
    year = next(
        (h for h in first if header and h not in chosen.values() and _norm(h) in YEAR_NAMES), None
    )
    if year is not None:  # beside titles as the item, it tells remakes from duplicates
        years = read(include=[year], types={year: pa.string()})[year].to_numpy()
        raw.item_years = (year, years)
    empty = _empty_rows(frame)
    if empty.any():
        others = [n for n in layout["column_names"] if n not in roles and not n.startswith("_gap")]
        if others:  # a row is empty only when its unused fields are empty too
            empty &= _empty_rows(read(include=others, types=dict.fromkeys(others, pa.string())))
    if empty.any():  # bad-input round 23: Excel's ';;;;;;' rows refused the whole file
        notices.append(
            f"{label}: skipped {int(empty.sum()):,} empty row(s) "
            f"({line_numbers(np.flatnonzero(empty), first_line)}): every field is empty, as "
            "spreadsheets write rows below the data that were once formatted."
        )
        raw.ratings = frame[~empty].reset_index(drop=True)
        raw.keep_rows(~empty)
    if header and (why := _zero_means_unrated(first, chosen)):
        raw.zero_unrated, raw.zero_why = True, why
    return raw


def _empty_rows(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of ``frame`` hold nothing in any column (null or blank text)."""
    empty = np.ones(len(frame), dtype=bool)
    for name in sorted(frame.columns, key=lambda n: frame[n].dtype == object):  # cheap first
        if not empty.any():
            break
        column = frame[name]
        blank = column.isna().to_numpy().copy()
        if column.dtype == object:
            rest = column[empty & ~blank]
            blank[np.flatnonzero(empty & ~blank)] = (rest.astype(str).str.strip() == "").to_numpy()
        empty &= blank
    return empty


#: An unused ratings column of these (normalised) names is the item's year (bad-input round
#: 56, F7: Letterboxd's 'Year' beside 'Name' as the item).
YEAR_NAMES = ITEM_ALIASES["year"] | {"yearpublished"}


#: Service exports of one person's ratings, by header names no other file has (normalised).
SERVICE_EXPORTS = {
    "an IMDb ratings export": {"const", "yourrating"},
    "a Letterboxd export": {"letterboxduri"},
    "a Goodreads library export": {"bookid", "myrating"},
}


def service_export(header: list[str]) -> str | None:
    """Which service's export ``header`` is (:data:`SERVICE_EXPORTS`), or None."""
    names = {_norm(h) for h in header}
    return next((what for what, needs in SERVICE_EXPORTS.items() if needs <= names), None)


def _zero_means_unrated(header: list[str], chosen: dict[str, str]) -> str:
    """Why a rating of 0 means "not rated" in this file (a Goodreads export's 'My Rating',
    where 0 is a book shelved without a rating), or "" when it is not known to."""
    if (
        service_export(header) == "a Goodreads library export"
        and _norm(chosen["rating"]) == "myrating"
    ):
        return "Goodreads writes 0 in 'My Rating' for a book shelved without a rating"
    return ""


def csv_columns(
    path_or_buffer: PathOrBuffer, *, delimiter: str | None = None, encoding: str = "utf-8"
) -> list[str]:
    """The header names of a ratings file (what ``from_csv``'s ``columns`` can map), or ``[]``
    when its first line is a rating rather than a header. DataError for an unreadable file."""
    source, label = _as_source(path_or_buffer)
    _check_options(encoding, "keep_latest", delimiter)
    _, _, delimiter, first = _first_row(source, label, delimiter, _encoding_of(source, encoding))
    if _match_columns(first, None, {}, label, required=()) is None:
        return []
    return [name for name in first if name.strip()]


def _first_row(
    source: Source, label: str, delimiter: str | None, encoding: str
) -> tuple[list[str], int, str, list[str]]:
    """(the head's lines, the preamble's length, the delimiter, the first row's fields)."""
    check_not_empty(source, label)
    raw = _whole_first_line(source)
    head = decode_head(raw, label, encoding, whole=source)
    if "\x00" in head:
        found16 = looks_like_utf16(raw)
        if found16 is None:
            raise DataError(  # bad-input round 17: random bytes were called UTF-16
                f"{label} is not text: it holds NUL bytes as binary files do. Pick the ratings "
                "file itself (a CSV or TSV export)."
            )
        raise DataError(
            f"{label} holds NUL bytes, as UTF-16 text without a byte-order mark does: save it "
            f"as UTF-8, or say which encoding it uses (here: encoding='{found16}')."
        )
    lines = head.splitlines()
    preamble, named = _preamble(lines)
    if preamble == len(lines):
        raise DataError(
            f"{label} holds no ratings (no data rows). Check that you picked the right file."
        )
    _check_not_netflix(lines[preamble:], label)
    delimiter = delimiter or named or sniff_delimiter("\n".join(lines[preamble:]) + "\n", label)
    return lines, preamble, delimiter, _split_line(lines[preamble], delimiter)


#: A Netflix Prize movie line (``1:``) and a rating line under it (``1488844,3,2005-09-06``).
_NETFLIX_MOVIE = re.compile(r"\s*\d+:\s*")
_NETFLIX_RATING = re.compile(r"\s*\d+,\d+,\d{4}-\d{2}-\d{2}\s*")


def _check_not_netflix(lines: list[str], label: str) -> None:
    """DataError for the Netflix Prize layout (a ``MovieID:`` line before each movie's
    ``CustomerID,Rating,Date`` rows; bad-input round 23 told it to use commas), with how to
    convert it."""
    sample = [line for line in lines[:1000] if line.strip()]
    movie = [line for line in sample if _NETFLIX_MOVIE.fullmatch(line)]
    if not movie or not all(
        _NETFLIX_MOVIE.fullmatch(ln) or _NETFLIX_RATING.fullmatch(ln) for ln in sample
    ):
        return
    raise DataError(
        f"{label} is in the Netflix Prize layout: a movie line ({movie[0].strip()!r}) before "
        "each movie's CustomerID,Rating,Date rows, so no row names its movie. Convert it to "
        "one user,item,rating,date row per rating, then import that file; in Python: "
        "df = pd.read_csv(FILE, header=None, names=['user', 'rating', 'date']); "
        "df.insert(1, 'item', df['user'].where(df['rating'].isna()).str.rstrip(':').ffill()); "
        "df.dropna(subset=['rating']).to_csv('netflix.csv', index=False)."
    )


def _unused(header: list[str], chosen: dict[str, str]) -> tuple[list[str], str]:
    """The header's columns no role took, and the first :data:`SHOW_ROWS` of them in words."""
    unused = [h for h in header if h.strip() and h not in chosen.values()]
    shown = ", ".join(repr(h) for h in unused[:SHOW_ROWS])
    more = f" and {len(unused) - SHOW_ROWS:,} more" if len(unused) > SHOW_ROWS else ""
    return unused, shown + more


def _unused_columns_notice(header: list[str], chosen: dict[str, str], label: str) -> list[str]:
    """A notice naming the header's columns no role took (a timestamp under another name is
    otherwise dropped without a word), with how to use them."""
    unused, shown = _unused(header, chosen)
    if not unused:
        return []
    timestamp = (
        ""
        if "timestamp" in chosen
        else " No column was read as the timestamp, so no split by time (per-user temporal or by "
        "date) is possible: if one "
        "of these holds when each rating was made, map it (columns={'timestamp': <its "
        "name>}; CLI: --columns timestamp=<its name>; or the timestamp column picker on the "
        "Home page) or name it 'timestamp'."
    )
    return [
        f"{label}: column(s) {shown} not used (movierate reads the user, item, rating and "
        f"timestamp columns).{timestamp}"
    ]


#: Item file columns no example of a category names: ratings, dates, ids, counts.
NOT_A_CATEGORY = re.compile(r"rating|date|time|\bid\b|isbn|count|number|url|uri", re.I)


def _unused_item_columns_notice(header: list[str], chosen: dict[str, str], label: str) -> list[str]:
    """A notice naming the items file's columns no role took (views round 4: a 'cuisine'
    column was dropped without a word, and every genre view stayed empty), with how to use one
    as the items' categories."""
    unused, shown = _unused(header, chosen)
    if not unused:
        return []
    # bad-input round 56, F8: a Goodreads export's 'User' column was the genres' example
    ratings_roles = set().union(*(ALIASES[r] for r in ("user", "rating", "timestamp")))
    example = next(
        (h for h in unused if _norm(h) not in ratings_roles and not NOT_A_CATEGORY.search(h)),
        "<its name>",
    )
    genres = (
        ""
        if "genres" in chosen
        else f" If one holds a category of each item (a genre, cuisine or type), map it as the "
        f"genres (item_columns={{'genres': {example!r}}}; CLI: --item-columns genres=...; or the "
        "items file's genres column picker on the Home page): the genre views then use it."
    )
    return [
        f"{label}: column(s) {shown} not used (movierate reads the item id, title, genres "
        f"and year columns).{genres}"
    ]


def _whole_first_line(source: Source) -> bytes:
    """The file's first 64 KiB, or more when its first line is longer (a wide header)."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    sample = read_head(source)
    while not any(end in sample for end in (b"\n", b"\r")) and len(sample) < size:
        sample = read_head(source, 2 * len(sample))
    return sample


def _preamble(lines: list[str]) -> tuple[int, str | None]:
    """How many lines come before the header or first rating (blank lines, and the ``sep=;``
    line Excel writes and reads), and the delimiter such a ``sep=`` line names (else None)."""
    n = 0
    while n < len(lines) and not lines[n].strip():
        n += 1
    named = re.fullmatch(r" *sep=(.) *", lines[n]) if n < len(lines) else None
    if named is None:
        return n, None
    return n + 1, named.group(1) if named.group(1) in DELIMITERS else None


def _trailing_empty_fields(rows: list[str], names: list[str], delimiter: str) -> list[str]:
    """Names for the empty fields the first data row has beyond ``names`` (a trailing
    delimiter on every row, as some exports write), so such rows parse; else none."""
    row = next((r for r in rows if r.strip()), None)
    if row is None or delimiter == "::":
        return []
    extra = _split_line(row, delimiter)[len(names) :]
    if any(field.strip() for field in extra):
        return []
    return [f"_unused{len(names) + i}" for i in range(len(extra))]


def _unique_names(header: list[str], chosen: dict[str, str], label: str) -> list[str]:
    """The header with columns no role uses renamed when blank or repeated (Excel's trailing
    empty columns); DataError when a used column's name repeats (which one is meant?)."""
    used = set(chosen.values())
    repeated = sorted({h for h in used if header.count(h) > 1})
    if repeated:
        raise DataError(
            f"{label}: the header has {header.count(repeated[0])} columns named "
            f"{repeated[0]!r}; rename all but the one that holds the "
            f"{next(r for r, c in chosen.items() if c == repeated[0])}."
        )
    names, seen = [], set()
    for i, h in enumerate(header):
        names.append(h if h in used or (h.strip() and h not in seen) else f"_unused{i}")
        seen.add(h)
    return names


def _is_label(column: pd.Series) -> bool:
    """True for an id column pyarrow did not read as whole numbers (dates, times, 1.5)."""
    values = column.to_numpy()
    if values.dtype.kind == "f":
        return not np.array_equal(values, np.round(values))
    if values.dtype.kind == "O":  # text, or times pyarrow parsed ("10:00" -> 10:00:00)
        return not isinstance(next((v for v in values if v is not None), ""), str)
    return values.dtype.kind not in "iu"


def sniff_delimiter(text: str, label: str) -> str:
    """The delimiter of a delimited sample: ``::`` (MovieLens .dat), else the one of , tab ; |
    that splits every record of the sample (quotes respected) into the same number of fields,
    the most fields winning (``1;10;4,5`` is three ;-separated fields, not two ,-separated)."""
    first = text.splitlines()[0] if text else ""
    if "::" in first:
        return "::"
    sample = text[:32768]
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # a record cut by the sample's end
    best, best_fields = None, 1
    for delimiter in DELIMITERS:
        counts = {len(r) for r in csv.reader(lines, delimiter=delimiter) if r}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = delimiter, fields
    if best is not None:
        return best
    counts = {d: first.count(d) for d in DELIMITERS}
    fallback = max(counts, key=counts.get)
    if counts[fallback]:
        return fallback
    comment = first.lstrip().startswith(("#", "//", "%"))  # bad-input round 13
    raise DataError(
        f"{label}: cannot tell how the columns are separated (looked for comma, tab, semicolon, "
        "'|' and '::')"
        + (
            f", and its first line is a comment ({first.strip()[:60]!r}): delete the comment "
            "lines at the top"
            if comment
            else ""
        )
        + ". Save it with commas, tabs or semicolons between the columns (in Python, "
        "delimiter=... names another)."
    )


def _match_columns(
    header: list[str],
    mapping: Mapping[str, str] | None,
    aliases: Mapping[str, set[str]],
    label: str,
    required: tuple[str, ...],
    argument: str = "columns",
    pasted: int = 0,
) -> dict[str, str] | None:
    """Role -> header name, or None when the line looks like data rather than a header.
    DataError when two columns fit one role: ``argument`` (the mapping) must say which.
    ``pasted``: how often the header line repeats in the file's head (exports pasted)."""
    wanted = {("item" if k == "movie" else k): v for k, v in (mapping or {}).items()}
    flag = "--" + argument.replace("_", "-")  # the CLI's (bad-input round 56, F5)
    unknown_roles = sorted(set(wanted) - set(aliases))
    if unknown_roles:
        raise DataError(
            f"Unknown column role(s) {', '.join(unknown_roles)} in the column mapping; use "
            f"{', '.join(aliases)} (for example columns={{'rating': 'stars'}}; CLI: --columns "
            "rating=stars)."
        )
    chosen: dict[str, str] = {}
    for role in aliases:
        if role in wanted:
            column = _find_column(header, wanted[role])
            if column is None:
                raise DataError(
                    f"{label}: no column named {wanted[role]!r} for {role} (found: "
                    f"{_shown(header)}). Fix the name in the column mapping ({argument}=...; "
                    f"CLI: {flag})."
                )
            chosen[role] = column
    for role, options in aliases.items():
        if role in wanted:
            continue
        taken = set(chosen.values())
        matches = [(i, h) for i, h in enumerate(header) if _norm(h) in options]
        hits = [(i, h) for i, h in matches if h not in taken] or matches[:1]
        named = [(i, h) for i, h in hits if _norm(h) == MOVIELENS_NAMES.get(role)]
        if len(named) == 1:  # 'movieId' beside 'movie', 'timestamp' beside 'date': MovieLens' own
            hits = named
        if len(hits) > 1:  # never pick one by chance: the other may hold titles, not ids
            shown = ", ".join(f"{h!r} (column {i + 1})" for i, h in hits[:SHOW_ROWS])
            distinct = len({h for _, h in hits}) == len(hits)
            cli = f" (CLI: {flag} {role}={hits[0][1]})"
            fix = (
                f"say which one with {argument}={{{role!r}: {hits[0][1]!r}}}{cli}, or rename the "
                "others"
            )
            raise DataError(
                f"{label}: {len(hits)} columns could be the {role} ({shown}); "
                f"{fix if distinct else 'rename all but one of them'}."
            )
        if hits:
            chosen[role] = hits[0][1]
    if _is_data_row(header, chosen):
        return None
    if _is_number(chosen.get("rating", "")):  # bad-input round 56, F2: line 1 would be lost
        raise DataError(
            f"{label}: the first line ({_shown(header)}) is a rating, not a header, yet the "
            f"column mapping names its values as columns (rating={chosen['rating']!r}), which "
            "would drop that rating. A file without a header is read as user, item, rating"
            "[, timestamp]: leave the mapping out, or add a header line such as "
            "user,item,rating,timestamp."
        )
    shared = [c for c in set(chosen.values()) if list(chosen.values()).count(c) > 1]
    if shared:
        roles = [r for r in aliases if chosen.get(r) == shared[0]]
        raise DataError(
            f"{label}: the column {shared[0]!r} would be both {' and '.join(roles)}; map each "
            f"role to a column of its own ({argument}={{...}})."
        )
    missing = [r for r in required if r not in chosen]
    if "user" in missing and argument == "columns":
        _refuse_one_person(header, label, pasted)
        _refuse_items_file(header, label, missing)
    if missing:
        raise DataError(
            f"{label}: missing column(s) for {', '.join(missing)} (found: {_shown(header)}). "
            "Rename the header, or map your names, e.g. "
            f"{argument}={{{', '.join(f'{r!r}: <your column>' for r in missing)}}}"
            + f" (CLI: {flag} {','.join(f'{r}=<your column>' for r in missing)})."
            + (
                f" If it is one person's ratings: {ONE_PERSON}"
                if "user" in missing and argument == "columns"
                else ""
            )
        )
    return chosen


def _is_data_row(header: list[str], chosen: dict[str, str]) -> bool:
    """Whether a first line that names no column is a rating: every field a number, or 3-4
    fields whose third (the rating's place) is one (bad-input round 56, F2: Amazon's
    ``A00000XYZ,B000000016,3.0,1252800016`` was read as a header, its rating lost)."""
    filled = [h for h in header if h.strip()]
    if chosen or not filled:
        return False
    return all(_is_number(h) for h in filled) or (3 <= len(filled) <= 4 and _is_number(filled[2]))


#: What a file with no user column is told about one person's ratings.
ONE_PERSON = (
    "A model learns how tastes differ from many people's ratings, so one person's cannot "
    "train one. To get recommendations for your own taste, train a model on a shared dataset "
    "(ml-latest-small, for example) and rate movies on the Rate movies page; to train on such "
    "exports, merge several people's into one file with a user column saying whose each row "
    "is, on one rating scale (IMDb's 1-10 halved for Letterboxd's 0.5-5)."
)


def _refuse_items_file(header: list[str], label: str, missing: list[str]) -> None:
    """DataError for a movies file (an id and a title, no user or rating) given as the ratings
    (bad-input round 63, F5: it was told to map the columns it lacks)."""
    if "rating" in missing and any(_norm(h) in ITEM_ALIASES["title"] for h in header):
        raise DataError(
            f"{label} looks like an items file (found: {_shown(header)}): it names movies, not "
            "ratings. Give it as the items file (CLI: --items FILE; Home: 'Optional items "
            "file'; Python: items=) beside a ratings file with user, item and rating columns."
        )


def _refuse_one_person(header: list[str], label: str, pasted: int) -> None:
    """DataError for a ratings file with no user column that is a service's export of one
    person's ratings (IMDb, Letterboxd, Goodreads: bad-input round 23 told them to map a user
    column they do not have): what the file is and what to do instead."""
    service = service_export(header)
    if service is None:
        return
    rate = (  # bad-input round 36, F6: that page now reads such an export as it is
        ""
        if service == "a Goodreads library export"
        else " Rate movies' 'Load saved ratings (CSV)' reads this export as it is, matching its "
        "films to the model's data set."
    )
    if pasted:  # bad-input round 56, F8: five people's exports were called one person's
        raise DataError(
            f"{label} looks like copies of {service} pasted together (its header line repeats "
            f"{pasted:,} time(s) in the lines read first): several people's ratings, with no "
            "column saying whose each row is. Add a user column naming each row's person, delete the "
            "repeated header lines, and import again."
        )
    raise DataError(
        f"{label} looks like {service}: one person's ratings, with no column saying whose "
        f"rating each row is. {ONE_PERSON}{rate}"
    )


def text_layout(text: str, label: str) -> tuple[int, str]:
    """How a small decoded table is laid out: the lines before its header (blank lines, Excel's
    ``sep=`` line) and its delimiter (named there, else sniffed). Also read this way: a saved
    ratings file on Rate movies (bad-input round 36, F4)."""
    lines = text[:65536].splitlines()
    preamble, named = _preamble(lines)
    return preamble, named or sniff_delimiter("\n".join(lines[preamble:]) + "\n", label)


def _read_items(
    source: Source, label: str, mapping: Mapping[str, str] | None, encoding: str
) -> tuple[pd.DataFrame, list[str]]:
    """The items file as movie metadata, and notices of the rows it could not use as given: a
    row without an id is dropped, an empty title becomes 'movie <id>'."""
    holds = "the movies (an id and a title column)"
    check_not_empty(source, label, holds)
    data = source.read_bytes() if isinstance(source, Path) else source
    text = decode(data, label, encoding, "items_encoding", holds)
    preamble, delimiter = text_layout(text, label)
    if delimiter == "::":
        raise DataError(f"{label}: '::'-separated item files are read with load_dataset(folder).")
    table = read_text_table(text, label, sep=delimiter, skiprows=preamble)
    chosen = _match_columns(
        list(table.columns),
        mapping,
        ITEM_ALIASES,
        label,
        required=("item", "title"),
        argument="item_columns",
    )
    if chosen is None:
        raise DataError(f"{label}: the items file needs a header row with id and title columns.")
    notices = _unused_item_columns_notice(list(table.columns), chosen, label)
    first = preamble + 2  # the line of the first data row (after the skipped lines and header)
    rows = np.arange(len(table))  # each kept row's position in the file's data rows
    blank = table[chosen["item"]].str.strip() == ""
    if blank.any():  # one empty id must not turn every id into text (and match nothing)
        notices.append(
            f"The movies file has {int(blank.sum()):,} row(s) without a movie id "
            f"({line_numbers(np.flatnonzero(blank.to_numpy()), first)}); they are ignored."
        )
        rows = rows[~blank.to_numpy()]
        table = table[~blank].reset_index(drop=True)
    ids = table[chosen["item"]].str.strip()
    # a title or genres movierate exported with a leading "'" (against spreadsheet formulas)
    titles = table[chosen["title"]].map(spreadsheet.plain_cell)
    genres = (
        [split_genres(spreadsheet.plain_cell(g)) for g in table[chosen["genres"]]]
        if "genres" in chosen
        else None
    )
    meta = movie_metadata(ids, titles, genres or [[] for _ in range(len(table))])
    notices.extend(untitled_notice(meta, "The movies file"))
    if "year" in chosen:
        given, odd = _years(table[chosen["year"]])
        if len(odd):
            shown = ", ".join(repr(v) for v in table[chosen["year"]].iloc[odd[:SHOW_ROWS]])
            notices.append(
                f"The movies file's year column holds {len(odd):,} value(s) that are not a year "
                f"from {MIN_YEAR} to {MAX_YEAR} ({line_numbers(rows[odd], first)}: {shown}); those movies "
                "get the year of their title, if it ends in one, else none."
            )
        from_title = meta["year"]
        differ = np.flatnonzero(
            (given.notna() & from_title.notna() & (given != from_title)).to_numpy(
                dtype=bool, na_value=False
            )
        )
        if len(differ):
            example = differ[0]
            notices.append(
                f"The movies file's year column differs from the year in the title for "
                f"{len(differ):,} movie(s) ({line_numbers(rows[differ], first)}: "
                f"{titles.iloc[example]!r} has year {given.iloc[example]}); the year column is "
                "used."
            )
        meta["year"] = given.fillna(from_title)
    check_scientific_ids(
        ids, label, repr(chosen["item"]), "movie", lambda p: line_numbers(rows[p], first)
    )
    numeric = pd.to_numeric(ids, errors="coerce")
    too_big = beyond_exact_ids(ids)  # on the digits: 2**53 + 1 parses as 2**53
    too_big |= numeric.isna().to_numpy() & ids.str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool)
    if too_big.any():  # digits pandas cannot hold as a number
        check_whole_ids(np.where(too_big, np.inf, 0.0), ids, label, "item id", 2)
    if numeric.notna().all() and (numeric == numeric.round()).all():
        check_whole_ids(numeric.to_numpy(dtype=np.float64), ids, label, "item id", 2)
    # as written: build_dataset reads them by the rule that read the ratings file's movie ids
    # (views round 40, F1: '0001009532' lost its zeros beside ratings ids kept as text)
    meta["movie_id"] = ids.to_numpy(dtype=object)
    return meta, notices


def _years(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole years within MIN_YEAR..MAX_YEAR (``1999``, ``1999.0``) as Int64, NA elsewhere, and
    the positions of non-blank values that are no such year (``c. 1999``, ``1995.5``, ``inf``)."""
    numbers = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        good = (numbers == np.round(numbers)) & (numbers >= MIN_YEAR) & (numbers <= MAX_YEAR)
    years = pd.array(np.where(good, numbers, 0).astype(np.int64), dtype="Int64")
    years[~good] = pd.NA
    blank = (column.str.strip() == "").to_numpy()
    return pd.Series(years, index=column.index), np.flatnonzero(~good & ~blank)


def _save(ds: RatingsDataset, raw: RawData, label: str, replace: bool = False) -> Path:
    """Write ``ds`` under ``data_dir()/custom/<name>/`` (temp folder + rename); the name was
    free when the import began (:func:`_check_free`): DataError when another import stored one
    of that name meanwhile, unless ``replace``."""
    parent = config.check_data_folder() / CUSTOM_FOLDER
    try:
        return _write(ds, raw, label, parent, replace)
    except FileExistsError:  # bad-input round 14: two imports of one name both said "saved"
        raise DataError(
            f"Another import stored a dataset named {ds.name!r} while this one was being "
            f"checked, so this one was not stored (the other is kept). Import it again under "
            f"another name, for example {free_dataset_name(ds.name)!r}."
        ) from None
    except OSError as exc:  # bad-input round 13: a full disk showed "Something went wrong"
        said, hint = atomic.write_failure(exc)
        kept = (
            f" The dataset already named {ds.name!r} is unchanged."
            if (parent / ds.name).exists()
            else ""
        )
        raise DataError(
            f"Could not store {ds.name!r}: {said}. Nothing was stored.{kept} {hint}".rstrip()
        ) from exc


def _write(ds: RatingsDataset, raw: RawData, label: str, parent: Path, replace: bool) -> Path:
    """:func:`_save`'s files, staged in a temporary folder, then published (FileExistsError
    when the name is taken by then, unless ``replace``)."""
    with atomic.staging_folder(parent, f".{ds.name}-") as temp:
        r = ds.ratings
        table = pa.table(
            {
                "user": _id_array(ds.user_ids[r["user_idx"].to_numpy()]),
                "movie": _id_array(ds.movie_ids[r["movie_idx"].to_numpy()]),
                "rating": r["rating"].to_numpy(),
                "timestamp": r["timestamp"].to_numpy(),
            }
        )
        pq.write_table(table, temp / "ratings.parquet")
        if raw.movies is not None:
            movies = raw.movies.copy()
            movies["movie_id"] = _id_array(movies["movie_id"].to_numpy())
            pq.write_table(
                pa.Table.from_pandas(movies, preserve_index=False), temp / "movies.parquet"
            )
        meta: dict[str, Any] = {
            "name": ds.name,
            "source": label,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating_scale": ds.rating_scale.as_list(),
            "catalog": ds.catalog,
            "warnings": ds.warnings,
            "ids_as_written": True,  # text ids are read back as text (views round 40)
        }
        (temp / CUSTOM_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if replace and (parent / ds.name).is_dir():  # again, right before the swap (recheck D)
            _check_replaceable(ds.name, parent / ds.name)
        return atomic.publish_folder(temp, parent / ds.name, replace=replace, what="dataset")


def _id_array(ids: np.ndarray) -> pa.Array:
    return pa.array(ids.astype(np.int64)) if ids.dtype.kind in "iu" else pa.array(ids.astype(str))


def _name_from(label: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_letters(Path(label).stem)).strip("-.")
    return stem[:64] or "custom"


def _find_column(header: list[str], name: str) -> str | None:
    """The header's column ``name``, also when the two differ only in case or surrounding
    spaces (`` Rating `` for ``rating``) and just one column fits; else None."""
    if name in header:
        return name
    fits = [h for h in header if h.strip().casefold() == name.strip().casefold()]
    return fits[0] if len(fits) == 1 else None


def _shown(header: list[str], most: int = 12) -> str:
    """The header's names for a message: the first ``most`` (a long header is cut)."""
    names = ", ".join(repr(h) if not h.strip() else _short_name(h) for h in header[:most])
    return names + (f" (and {len(header) - most:,} more)" if len(header) > most else "")


def _short_name(name: str) -> str:
    return name if len(name) <= 40 else name[:32] + f"… ({len(name):,} characters)"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _is_number(text: str) -> bool:
    """True for a number, also one written with a decimal comma (``4,5``)."""
    try:
        float(text)
    except ValueError:
        return re.fullmatch(r"[+-]?\d+,\d+", text.strip()) is not None
    return True


def _split_line(line: str, delimiter: str) -> list[str]:
    if delimiter == "::":
        return [f.strip() for f in line.split("::")]
    return [f.strip().strip('"') for f in next(csv.reader([line], delimiter=delimiter))]


def _arrow_delimiter(delimiter: str) -> str:
    """pyarrow's delimiter for ``delimiter`` ('::' files are read on ':')."""
    return ":" if delimiter == "::" else delimiter


def _expand_names(names: list[str], delimiter: str) -> list[str]:
    """For '::' files read on ':' every other field is empty: name them so they are skipped."""
    if delimiter != "::":
        return names
    expanded = []
    for i, name in enumerate(names):
        expanded += [name] if i == 0 else [f"_gap{i}", name]
    return expanded


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding.lower().replace("-", "") in {"utf8", "utf8sig"} else encoding
