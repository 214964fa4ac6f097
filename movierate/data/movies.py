"""The movies table: titles without their year, release year, genre lists, rating counts and
each movie's stable identity (see :mod:`movierate.data.identity`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from movierate.data.identity import IDENTITY_COLUMN, KEPT_APART, kept_apart, movie_identities

#: What MovieLens writes for a movie without genres (also written by ``write_movielens_csv``).
NO_GENRES_MARKER = "(no genres listed)"
#: Genre labels that mean "no genre" (ml-latest's marker and ml-100k's ``unknown`` flag).
NO_GENRES = frozenset({NO_GENRES_MARKER, "unknown", ""})

#: The movies table (``ds.movies``, ``movies.parquet``): its columns, in this order. Per-movie
#: results of the analyses copy those present, in this order.
MOVIE_COLUMNS = (
    "movie_idx",
    "movie_id",
    "title",
    "year",
    "genres",
    "n_ratings",
    "mean_rating",
    IDENTITY_COLUMN,
)
#: A saved model's column of each movie's ratings among the rows it was fit on (``n_ratings``
#: counts every row, test rows included); models saved before it lack it.
TRAINING_COUNTS = "n_train_ratings"
#: Columns every movies table handed to the analyses must have.
REQUIRED_MOVIE_COLUMNS = ("movie_id", "title", "year", "genres", "n_ratings")

MIN_YEAR, MAX_YEAR = 1800, 2200
"""Years outside these (``(0001)``, ``(9999)``) are not taken as a movie's year."""

_YEAR_TEXT = r"""
        \(\s*(?P<year>\d{4})(?:/[IVXL]+)?                          # (1999), IMDb's (1999/II)
        \s*(?:[-\u2013]\s*(?:\d{4})?\s*)?\)                       # (1994-1998), (2006– )
"""
"""A year as titles write it (``\\d`` takes full-width digits too): shared by
:func:`split_title_year` and :func:`read_year`, so a title and a year cell agree."""
_YEAR = re.compile(
    rf"""^(?P<title>.*?)\s*{_YEAR_TEXT}
        (?P<note>(?:\s*\([A-Z]{{1,3}}\))*)\s*$                       # trailing (V) / (TV) notes
    """,
    re.VERBOSE | re.DOTALL,  # a title with a line break kept its year (bad-input round 26)
)
_YEAR_CELL = re.compile(rf"^{_YEAR_TEXT}$", re.VERBOSE)


def split_title_year(raw: str) -> tuple[str, int | None]:
    """``"Matrix, The (1999)"`` -> ``("Matrix, The", 1999)``; no year -> ``(title, None)``.

    Only a trailing ``(YYYY)`` from MIN_YEAR to MAX_YEAR (or a range such as ``(1994-1998)``,
    or IMDb's ``(1999/II)``) is taken; the rest of the title text is kept as given (article
    suffixes and alternative titles included).
    """
    text = raw.strip()
    match = _YEAR.match(text)
    if not match or not match.group("title") or _in_range(match.group("year")) is None:
        return text, None
    title = match.group("title") + match.group("note")
    return title.strip(), int(match.group("year"))


def read_year(value: object) -> int | None:
    """A year cell by the rules of :func:`split_title_year` (``1995``, ``(1995)``,
    ``1994-2004``, ``1996/I``, full-width digits; a number such as ``1995.0`` is rounded),
    or None when it holds no year from MIN_YEAR to MAX_YEAR."""
    if value is None or value is pd.NA:
        return None
    text = str(value).strip()
    match = _YEAR_CELL.match(text if text.startswith("(") else f"({text})")
    if match:
        return _in_range(match.group("year"))
    try:
        number = float(text)
    except ValueError:
        return None
    return _in_range(round(number)) if np.isfinite(number) else None


def _in_range(year: str | int) -> int | None:
    number = int(year)
    return number if MIN_YEAR <= number <= MAX_YEAR else None


def split_genres(raw: str | None, separator: str = "|") -> list[str]:
    """``"Action|Sci-Fi"`` -> ``["Action", "Sci-Fi"]``; ``"(no genres listed)"`` -> ``[]``."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return []
    return [g.strip() for g in str(raw).split(separator) if g.strip() not in NO_GENRES]


#: What a title made only of these shows: nothing (spaces, zero-width and format characters).
_INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def movie_metadata(
    movie_ids: Iterable, titles: Iterable[str], genres: Iterable[list[str]]
) -> pd.DataFrame:
    """Metadata frame (movie_id, title, year, genres) from raw titles that may end in a year.
    A title that shows nothing (empty, spaces, zero-width characters) becomes ``movie <id>``;
    those ids are in ``attrs["untitled"]`` (:func:`untitled_notice` says so)."""
    ids = list(movie_ids)
    raw = [str(t) for t in titles]
    untitled = [i for i, t in zip(ids, raw, strict=True) if not _INVISIBLE.sub("", t)]
    blank = {str(i) for i in untitled}
    parsed = [
        (f"movie {i}", None) if str(i) in blank else split_title_year(t)
        for i, t in zip(ids, raw, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "movie_id": ids,
            "title": [t for t, _ in parsed],
            "year": pd.array([y for _, y in parsed], dtype="Int64"),
            "genres": list(genres),
        }
    )
    frame.attrs["untitled"] = untitled
    return frame


def untitled_notice(meta: pd.DataFrame, file: str) -> list[str]:
    """The notice for the movies :func:`movie_metadata` titled ``movie <id>``, or none."""
    untitled = meta.attrs.get("untitled") or []
    if not untitled:
        return []
    shown = ", ".join(str(i) for i in untitled[:5]) + (", ..." if len(untitled) > 5 else "")
    return [
        f"{file} gives {len(untitled):,} movie(s) an empty title (movie ids {shown}); they are "
        "titled 'movie <id>'."
    ]


def id_keys(ids: np.ndarray) -> list[str]:
    """Ids as text that match across types: the whole number 10, 10.0 and the text " 10" all
    give "10" (a ratings file read as numbers, an items file as text because one of its ids,
    or the reverse, is not a number); other text as written, stripped."""
    keys = []
    for value in ids:
        if (
            isinstance(value, int | np.integer)
            or isinstance(value, float | np.floating)
            and float(value).is_integer()
        ):
            keys.append(str(int(value)))
        else:
            text = str(value).strip()
            keys.append(str(int(text)) if text.isdigit() and text[:1] != "0" else text)
    return keys


def movies_table(
    movie_ids: np.ndarray,
    movie_idx: np.ndarray,
    ratings: np.ndarray,
    metadata: pd.DataFrame | None,
    *,
    keep_apart: bool = False,
) -> tuple[pd.DataFrame, int]:
    """One row per rated movie (index = movie_idx) and how many lacked metadata.

    ``movie_idx``/``ratings`` are the encoded ratings; ``metadata`` has movie_id, title, year,
    genres and optionally imdb_id (or is None). Movies without metadata get the title
    ``"movie <id>"``. The ``identity`` column is ``imdb:<id>`` where metadata gives an IMDb id,
    else ``title:<normalised title>|<year>``. With ``keep_apart`` (an imported dataset), rows
    of one title identity get their movie ids too (:func:`~movierate.data.identity.kept_apart`):
    they are different movies, as their ids say; :func:`same_title_notice` names them.
    """
    n = len(movie_ids)
    counts = np.bincount(movie_idx, minlength=n)
    sums = np.bincount(movie_idx, weights=ratings.astype(np.float64), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    table = pd.DataFrame({"movie_idx": np.arange(n, dtype=np.int32), "movie_id": movie_ids})
    if metadata is None or metadata.empty:
        found = np.zeros(n, dtype=bool)
        titles = pd.Series([None] * n, dtype=object)
        years = pd.array([None] * n, dtype="Int64")
        genres: list = [[] for _ in range(n)]
        imdb = None
    else:
        meta = metadata.drop_duplicates("movie_id", keep="first").set_index("movie_id")
        meta = meta.reindex(pd.Index(movie_ids))
        if not meta["title"].notna().any() and len(metadata):  # ids of two types: 10 vs "10"
            keyed = metadata.assign(key=id_keys(metadata["movie_id"].to_numpy(dtype=object)))
            meta = keyed.drop_duplicates("key", keep="first").set_index("key")
            meta = meta.reindex(pd.Index(id_keys(np.asarray(movie_ids, dtype=object))))
        found = meta["title"].notna().to_numpy()
        titles = meta["title"].reset_index(drop=True)
        years = meta["year"].astype("Int64").array
        genres = [g if isinstance(g, list) else [] for g in meta["genres"]]
        imdb = meta["imdb_id"].tolist() if "imdb_id" in meta.columns else None
    missing = int((~found).sum())
    if missing:
        titles = titles.astype(object)
        titles[~found] = [f"movie {movie_ids[i]}" for i in np.flatnonzero(~found)]
    table["title"] = pd.array(titles.to_numpy(dtype=object), dtype="str")
    table["year"] = years
    table["genres"] = pd.Series(genres, dtype=object)
    table["n_ratings"] = counts.astype(np.int64)
    table["mean_rating"] = means.astype(np.float64)
    identities = movie_identities(table, imdb)
    if keep_apart:
        identities = kept_apart(identities, np.asarray(movie_ids, dtype=object))
    table[IDENTITY_COLUMN] = pd.array(identities, dtype="str")
    return table, missing


#: How many groups of one title :func:`same_title_notice` names.
SHOWN_GROUPS = 3


def same_title_notice(movies: pd.DataFrame, file: str) -> list[str]:
    """The notice naming the ids of one title and year that :func:`movies_table` kept apart
    (``keep_apart``), or none (bad-input round 60, F1: they were merged in lists unsaid)."""
    identities = movies[IDENTITY_COLUMN].astype(str)
    apart = identities.str.contains(KEPT_APART, regex=False).to_numpy()
    if not apart.any():
        return []
    base = identities[apart].str.split(KEPT_APART, n=1).str[0].to_numpy()
    rows = np.flatnonzero(apart)
    groups = [rows[base == key] for key in dict.fromkeys(base)]
    said = [_one_title_text(movies, group) for group in groups[:SHOWN_GROUPS]]
    more = len(groups) - SHOWN_GROUPS
    return [
        f"{file}: {'; '.join(said)}{f' (and {more:,} more such group(s))' if more > 0 else ''}"
        ": each id stays a movie of its own. If some are one film, give them one id in your "
        "file."
    ]


def _one_title_text(movies: pd.DataFrame, rows: np.ndarray) -> str:
    """``ids 100 and 101 are both titled 'Hamlet (1990)'`` (each id's title where they are
    written differently: ``'Heat (1995)' and 'HEAT (1995)'``)."""
    ids = [str(movies["movie_id"].iloc[r]) for r in rows]
    titles = [_with_year(movies["title"].iloc[r], movies["year"].iloc[r]) for r in rows]
    if len(set(titles)) == 1:
        return f"ids {_and(ids)} are {'both' if len(ids) == 2 else 'all'} titled {titles[0]!r}"
    return f"ids {_and(ids)} are titled {_and([repr(t) for t in titles])}"


def _with_year(title: object, year: object) -> str:
    return f"{title} ({int(year)})" if not pd.isna(year) else str(title)


def _and(words: list[str]) -> str:
    """``"a, b and c"``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
