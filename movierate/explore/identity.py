"""Find "the same film" in another model's movies table (by IMDb id or title and year).

Cross-model views (two models side by side, maybe trained on different datasets) must not pair
movies by raw ``movie_id``: id 50 is Star Wars in ml-100k and The Usual Suspects in
ml-latest-small. :func:`matching_row` uses :func:`movierate.data.identity.match_movies` (IMDb id
where both tables have one, else title keys and year) and memoises the match per pair of tables,
so each further lookup is one array read.

>>> row_b = matching_row(model_a.movies, row_a, model_b.movies)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from movierate.data.identity import MovieMatch, match_movies
from movierate.errors import DataError
from movierate.explore.twins import film_of_row
from movierate.explore.validation import check_movie_idx

MAX_CACHED_PAIRS = 16
"""Matches kept (least recently used dropped first); one match of two 60k-movie tables is a
few hundred kB."""

_MATCHES: OrderedDict[tuple[int, int], _Entry] = OrderedDict()


class _Entry:
    """One memoised match: weak references to both tables, their lengths, the match and its
    A-row -> B-row lookup, film by film (:func:`_by_film`)."""

    def __init__(self, movies_a: pd.DataFrame, movies_b: pd.DataFrame, match: MovieMatch) -> None:
        self.ref_a, self.ref_b = weakref.ref(movies_a), weakref.ref(movies_b)
        self.shape = (len(movies_a), len(movies_b))
        self.match = match
        self.a_to_b = _by_film(match.a_to_b(), movies_a)

    def serves(self, movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
        return (
            self.ref_a() is movies_a
            and self.ref_b() is movies_b
            and self.shape == (len(movies_a), len(movies_b))
        )


def movie_match(
    movies_a: pd.DataFrame,
    movies_b: pd.DataFrame,
    *,
    name_a: str | None = None,
    name_b: str | None = None,
) -> MovieMatch:
    """:func:`~movierate.data.identity.match_movies` of two movies tables, computed once per
    pair of table objects (a table that changes length is matched again). ``name_a`` /
    ``name_b`` (e.g. the datasets' names) are what ``summary()`` calls the two tables."""
    match = _entry(movies_a, movies_b).match
    if name_a is None and name_b is None:
        return match
    return dataclasses.replace(match, name_a=name_a or match.name_a, name_b=name_b or match.name_b)


def _entry(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> _Entry:
    for name, movies in (("movies_a", movies_a), ("movies_b", movies_b)):
        if not isinstance(movies, pd.DataFrame) or "title" not in movies.columns:
            raise DataError(
                f"{name} must be a movies table (model.movies or ds.movies) with a title column, "
                f"got {type(movies).__name__}."
            )
    key = (id(movies_a), id(movies_b))
    entry = _MATCHES.get(key)
    if entry is not None and entry.serves(movies_a, movies_b):
        _MATCHES.move_to_end(key)
        return entry
    entry = _Entry(movies_a, movies_b, match_movies(movies_a, movies_b))
    _MATCHES[key] = entry
    _MATCHES.move_to_end(key)
    while len(_MATCHES) > MAX_CACHED_PAIRS:
        _MATCHES.popitem(last=False)
    return entry


def _by_film(a_to_b: np.ndarray, movies_a: pd.DataFrame) -> np.ndarray:
    """``a_to_b`` with each unmatched row of a film A lists twice (ml-100k's twins,
    :func:`~movierate.explore.twins.film_of_row`) sent where its matched row goes: the match
    pairs one row per film, and the other row is the same film (accuracy round 49, F0: "Body
    Snatchers" 573 was "not among the movies of ml-latest-small")."""
    films = film_of_row(movies_a)
    if films is None:
        return a_to_b
    out = a_to_b.copy()
    matched = out >= 0
    partner = pd.Series(out[matched], index=films[matched])
    partner = partner[~partner.index.duplicated()]
    gaps = np.flatnonzero(~matched)
    out[gaps] = partner.reindex(films[gaps]).fillna(-1).to_numpy(np.int64)
    return out


def matching_row(
    model_movies_a: pd.DataFrame, row_a: Any, model_movies_b: pd.DataFrame
) -> int | None:
    """The row of ``model_movies_b`` that is the same film as row ``row_a`` of
    ``model_movies_a``, or None when B does not hold that film. Either row of a film A lists
    twice finds it."""
    row_a = check_movie_idx(row_a, len(model_movies_a))
    found = int(_entry(model_movies_a, model_movies_b).a_to_b[row_a])
    return found if found >= 0 else None


def matching_rows(
    model_movies_a: pd.DataFrame, rows_a: Any, model_movies_b: pd.DataFrame
) -> np.ndarray:
    """:func:`matching_row` for many rows at once: an int64 array, -1 where B lacks the film."""
    rows = np.asarray(rows_a, dtype=np.int64).reshape(-1)
    if len(rows) and (rows.min() < 0 or rows.max() >= len(model_movies_a)):
        raise DataError(
            f"rows_a must be rows of movies_a (0..{len(model_movies_a) - 1}); got values from "
            f"{rows.min()} to {rows.max()}."
        )
    return _entry(model_movies_a, model_movies_b).a_to_b[rows]


def matching_films(
    model_movies_a: pd.DataFrame, rows_a: Any, model_movies_b: pd.DataFrame
) -> np.ndarray:
    """:func:`matching_rows`, each found film given as its first row of B: the two rows of a
    film B lists twice compare equal (-1 where B lacks the film)."""
    rows = matching_rows(model_movies_a, rows_a, model_movies_b)
    films = film_of_row(model_movies_b)
    return rows if films is None else np.where(rows >= 0, films[np.maximum(rows, 0)], -1)


def held_by_all(
    model_movies_a: pd.DataFrame, rows_a: Any, others: list[pd.DataFrame]
) -> np.ndarray:
    """Per row of ``rows_a``, whether every movies table in ``others`` holds the same film
    (:func:`matching_rows`): the films of A's list that another dataset could list too (views
    round 12: Neighbours' "0 of 10 in all" hid that 9 of the 10 were not in the other one)."""
    held = np.ones(len(np.asarray(rows_a).reshape(-1)), dtype=bool)
    for movies in others:
        held &= matching_rows(model_movies_a, rows_a, movies) >= 0
    return held
