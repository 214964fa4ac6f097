"""The ratings link's format and moving a rating between rating scales, used by Rate movies and
Recommend (:mod:`movierate.ui.your_ratings`): ``?rated=1:5,260:4.5`` holds movie ids and ratings.
"""

from __future__ import annotations

import math
import re

import numpy as np

from movierate.ranking import liked_threshold

#: An original movie id: a number (MovieLens) or text (a user's CSV).
MovieId = int | str


def parse_rated(
    value: str | None, *, text_ids: bool = False
) -> tuple[dict[MovieId, float], list[str]]:
    """``"1:5,260:4.5"`` -> ({1: 5.0, 260: 4.5}, entries that could not be read). With
    ``text_ids`` (a dataset whose movie ids are text) ``"matrix:5"`` -> ({"matrix": 5.0}, []);
    a text id's commas and percent signs come escaped (:func:`format_rated`). An id given
    twice keeps its last rating (:func:`repeated_ids` names them)."""
    ratings: dict[MovieId, float] = {}
    bad: list[str] = []
    for entry in (value or "").split(","):
        read = _read_entry(entry, text_ids)
        if isinstance(read, str):
            bad.append(read)
        elif read is not None:
            ratings[read[0]] = read[1]
    return ratings, bad


def repeated_ids(value: str | None, *, text_ids: bool = False) -> list[MovieId]:
    """The movie ids that ``value`` (a ``rated`` link) rates more than once, in order."""
    seen: set[MovieId] = set()
    repeated: list[MovieId] = []
    for entry in (value or "").split(","):
        read = _read_entry(entry, text_ids)
        if isinstance(read, tuple):
            if read[0] in seen and read[0] not in repeated:
                repeated.append(read[0])
            seen.add(read[0])
    return repeated


def _read_entry(entry: str, text_ids: bool) -> tuple[MovieId, float] | str | None:
    """One ``id:rating`` entry: (id, rating), the entry itself when unreadable, None if empty."""
    entry = entry.strip()
    if not entry:
        return None
    movie, sep, rating = entry.rpartition(":")
    movie = movie.strip()
    try:
        movie_id: MovieId = _unescape(movie) if text_ids else int(movie)
        number = float(rating)
    except ValueError:
        return entry
    if not sep or not movie or not np.isfinite(number):
        return entry
    return movie_id, number


def nearest_allowed(rating: float, scale: tuple[float, float, float]) -> float:
    """``rating`` moved onto the scale ``(lo, hi, step)``: into [lo, hi], then to the nearest
    step (a step of 0 allows any value)."""
    lo, hi, step = scale
    value = min(max(rating, lo), hi)
    if step > 0:  # halves go up (Python's round goes to even: 2.5 -> 2 but 3.5 -> 4)
        # rounded first: (0.15 - 0) / 0.1 is 1.4999999999999998 in floats (recheck 2)
        value = min(lo + math.floor(round((value - lo) / step, 9) + 0.5) * step, hi)
    return float(round(value, 6))


def rescaled(
    rating: float, source: tuple[float, float, float], scale: tuple[float, float, float]
) -> float:
    """``rating`` on the ``source`` scale (lo, hi, step) moved onto ``scale`` by
    :func:`moved_value`, then to the nearest rating ``scale`` allows."""
    value = moved_value(rating, source, scale)
    return nearest_allowed(value, scale)


def moved_value(
    rating: float, source: tuple[float, float, float], scale: tuple[float, float, float]
) -> float:
    """:func:`rescaled` before the rounding to ``scale``'s steps (clipped to its range).
    Between star-like scales (:func:`star_like`) in proportion to their tops, as star ratings
    read (3.5 of 0.5-5 is 7 of 1-10, 2 stars of 1-5 stay 2 of 0.5-5: recheck 8 and 9); onto a
    two-value scale (0/1 likes) its top from the source's liked cut up (4 of 1-5, as top-k
    counts liked), else its bottom; otherwise linearly, lowest onto lowest and highest onto
    highest (accuracy round 44, F2: 1 star was 20 of 0-100 and 3 stars a like)."""
    (lo, hi, _), (to_lo, to_hi, _) = source, scale
    rule = move_rule(source, scale)
    if rule == "tops":
        value = rating * to_hi / hi
    elif rule == "liked":
        value = to_hi if rating >= liked_threshold(source) - 1e-9 else to_lo
    else:
        value = to_lo + (rating - lo) * (to_hi - to_lo) / (hi - lo) if hi > lo else rating
    return min(max(value, to_lo), to_hi)


def move_rule(source: tuple[float, float, float], scale: tuple[float, float, float]) -> str:
    """How :func:`moved_value` moves ratings from ``source`` onto ``scale``: "liked" onto a
    two-value scale, "tops" between star-like scales, else "linear"."""
    to_lo, to_hi, to_step = scale
    if to_step > 0 and math.isclose(to_hi - to_lo, to_step):
        return "liked"
    return "tops" if star_like(source) and star_like(scale) else "linear"


def move_words(source: tuple[float, float, float], scale: tuple[float, float, float]) -> str:
    """:func:`move_rule` in words, for a note on moved ratings."""
    rule = move_rule(source, scale)
    if rule == "liked":
        return (
            f"as likes ({liked_threshold(source):g} or more, the top quarter, "
            f"is {scale[1]:g}; lower is {scale[0]:g})"
        )
    if rule == "tops":
        return "in proportion to the scales' tops"
    return "in a straight line, lowest onto lowest and highest onto highest"


def star_like(scale: tuple[float, float, float]) -> bool:
    """Whether ``scale`` (lo, hi, step) reads like stars: its lowest rating is above 0 and is
    its step, 1 or 0.5 (1-5, 0.5-5, 1-10), so a rating is a count of stars from 0 up."""
    lo, hi, step = scale
    return 0 < lo < hi and any(math.isclose(lo, one) for one in (step, 1.0, 0.5))


def format_rated(ratings: dict[MovieId, float]) -> str:
    """The URL form of ``ratings`` (see :func:`parse_rated`): a text id's "%" and "," written
    as %25 and %2C, so "Matrix, The (1999)" stays one entry (bad-input round 8: it was split
    in two and its rating stored on the film "The (1999)")."""
    return ",".join(f"{_escape(movie_id)}:{rating:g}" for movie_id, rating in ratings.items())


def _escape(movie_id: MovieId) -> str:
    return str(movie_id).replace("%", "%25").replace(",", "%2C")


def _unescape(movie_id: str) -> str:
    return re.sub("%(2[cC5])", lambda m: "%" if m.group(1) == "25" else ",", movie_id)
