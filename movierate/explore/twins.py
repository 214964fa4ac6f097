"""One film listed under two movie ids in one table ("twins"): ml-100k lists 19 films twice.

Lists of movies (recommendations, nearest neighbours) must not offer a film the user already
rated under its other id, nor show one film twice, nor call a film its own nearest neighbour.
Rows are the same film when the movies table gives them one ``identity`` (IMDb id, else title
and year written alike; :func:`movierate.data.identity.film_codes`): an imported dataset's ids
are films of their own unless they share an IMDb id. Tables without identities have no twins.

>>> movies = pd.DataFrame({"identity": ["title:a|1997", "title:b|1990", "title:a|1997"]})
>>> same_film_rows(movies, [0]).tolist()
[0, 2]
>>> one_row_per_film(movies, np.array([2, 1, 0])).tolist()
[2, 1]
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd

from movierate.data.identity import IDENTITY_COLUMN, film_codes

_MEMO: dict[int, tuple[weakref.ref, int, np.ndarray | None]] = {}
_LOCK = threading.Lock()


def film_of_row(movies: pd.DataFrame) -> np.ndarray | None:
    """Per row, the first row of the same film; None when no film is listed twice (computed
    once per table object). Rows without a usable identity (none, or an untitled import's
    empty title key) are films of their own."""
    key = id(movies)
    with _LOCK:
        found = _MEMO.get(key)
    if found is not None and found[0]() is movies and found[1] == len(movies):
        return found[2]
    first = _film_of_row(movies)
    with _LOCK:
        if len(_MEMO) > 64:
            _MEMO.clear()
        _MEMO[key] = (weakref.ref(movies), len(movies), first)
    return first


def _film_of_row(movies: pd.DataFrame) -> np.ndarray | None:
    if IDENTITY_COLUMN not in movies.columns:
        return None
    codes = film_codes(movies)
    rows = np.arange(len(movies))
    named = codes >= 0
    if not len(codes) or codes.max() + 1 + int((~named).sum()) == len(movies):
        return None  # every identity appears once
    first = np.full(codes.max() + 1, len(movies))
    np.minimum.at(first, codes[named], rows[named])
    return np.where(named, first[np.maximum(codes, 0)], rows)


def same_film_rows(movies: pd.DataFrame, rows: Any) -> np.ndarray:
    """``rows`` and every other row that is the same film as one of them."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    films = film_of_row(movies)
    if films is None or not len(rows):
        return rows
    return np.flatnonzero(np.isin(films, films[rows]))


def one_row_per_film(movies: pd.DataFrame, ranked: np.ndarray) -> np.ndarray:
    """``ranked`` (rows, best first) without the rows whose film an earlier row already is."""
    films = film_of_row(movies)
    if films is None:
        return ranked
    _, first = np.unique(films[ranked], return_index=True)
    return ranked[np.sort(first)]


def twin_count(movies: pd.DataFrame) -> int:
    """How many rows repeat a film listed earlier (0 for most tables)."""
    films = film_of_row(movies)
    return 0 if films is None else int((films != np.arange(len(movies))).sum())
