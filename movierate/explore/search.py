"""Find movies by title the way people type them.

Tolerates case, accents ("Amelie" / "Amélie"), articles moved or missing ("The Matrix" /
"Matrix, The" / "matrix"), alternative titles in parentheses, a year in the query ("toy story
1995", used as a hint, not a filter) and small typos ("Toy Stroy"). Candidates come from a
character n-gram TF-IDF index (fast on the whole catalogue) and are re-ranked with difflib; ties
go to the more-rated movie, so "Hamlet" lists the Hamlet people know first.
:meth:`TitleIndex.containing` is the exact counterpart: every title holding the typed text (a
year in the query filters), or matching a regular expression.

>>> index = TitleIndex(model.movies)  # doctest: +SKIP
>>> index.search("matrix 1999", limit=5)  # doctest: +SKIP
>>> index.resolve("toy stroy")  # doctest: +SKIP
>>> index.containing("star wars")  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import functools
import re
import time
import unicodedata
import weakref
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.timed_regex import rows_matching
from movierate.explore.validation import (
    check_k,
    check_movies,
    genre_lists,
    movie_columns,
    n_ratings_of,
    takes_models,
)

#: Articles MovieLens moves to the end of a title ("Matrix, The", "Cité des enfants perdus, La").
ARTICLES = (
    *("the", "a", "an", "les", "la", "le", "l'", "il", "el", "lo", "los", "las"),
    *("das", "der", "die", "den", "det", "une", "un"),
)
#: Articles a user may leave out of a query; foreign ones are kept ("Die Hard" is not "Hard").
DROPPABLE_ARTICLES = ("the", "a", "an")
#: Candidates re-ranked with difflib after the n-gram pre-selection.
CANDIDATES = 100
#: A best match scoring below this is not a match at all.
MATCH_THRESHOLD = 0.6
#: A title that neither starts with nor holds the query's words matches only when spelt this
#: close (difflib's ratio): "toy stroy" (0.89) is Toy Story, but "amelie" (0.73) is not Alien.
TYPO_RATIO = 0.8
#: ... and within this many typed letters' edits (a letter added, dropped, changed, or two
#: swapped) for each :data:`TYPO_LETTERS` letters of the query, at least one: "frago" is Fargo
#: and "matirx" The Matrix (one swap), but "tenet" is not "Net, The" (0.83) nor "barbie" Babe
#: (0.80), two edits of a 5- or 6-letter word (recheck 11, M1).
TYPO_LETTERS = 8


def typo_edits(query: str, key: str, most: int) -> int:
    """Edits (optimal string alignment: insert, delete, change, swap of neighbours) from
    ``query`` to ``key``, or ``most + 1`` once beyond ``most``."""
    if abs(len(query) - len(key)) > most:
        return most + 1
    before, row = None, list(range(len(key) + 1))
    for i, a in enumerate(query, 1):
        current = [i] + [0] * len(key)
        for j, b in enumerate(key, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a != b))
            if before is not None and i > 1 and j > 1 and a == key[j - 2] and query[i - 2] == b:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return row[-1]


#: Two different movies within this score of each other make a query ambiguous.
AMBIGUITY_MARGIN = 0.02
#: Score of a query equal to one part of a subtitled title ("star wars" for "Star Wars: Episode
#: IV - A New Hope"): every film of a series scores the same, so the most rated comes first.
PART_WEIGHT = 0.95
#: Seconds a regular expression stopped at its time limit is answered from memory (not 3 s
#: more on every rerun of the page); then it runs again, since a busy machine may have been
#: what stopped it.
STOPPED_REMEMBERED_S = 120.0
_SUBTITLE = re.compile(r"\s*:\s*|\s+[-\u2013\u2014]+\s+")
_MIN_PART_CHARS = 4

_TRAILING_ARTICLE = re.compile(r",\s*(" + "|".join(map(re.escape, ARTICLES)) + r")\s*$", re.I)
_PARENTHESES = re.compile(r"\(([^()]*)\)")
#: Sequel numbers written in Roman numerals ("Part II") match Arabic ones ("godfather 2").
_ROMAN_NUMERALS = {
    r: str(n) for n, r in enumerate(("ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"), start=2)
}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def normalise_title(text: str) -> str:
    """Lower-case words of a title (letters and digits of any script, and emoji): accents
    stripped, "&" as "and", a trailing article moved to the front ("Matrix, The" -> "the
    matrix"), punctuation removed."""
    return _article_first(text)


def title_keys(title: str) -> list[str]:
    """Every normalised form a title can be found by: the main title, each alternative title
    in parentheses and, where it has some, the title as written, with the article at the front and, for English articles, without it; then
    the first and last parts of a subtitled title ("star wars", "a new hope")."""
    return list(weighted_title_keys(title))


def weighted_title_keys(title: str) -> dict[str, float]:
    """:func:`title_keys` -> weight: 1.0 for a whole title, :data:`PART_WEIGHT` for a part
    around a subtitle mark (``:`` or `` - ``), so a query naming a series ("star wars") matches
    every film of it equally well and the most rated one is listed first."""
    names = [_PARENTHESES.sub(" ", title)] + _PARENTHESES.findall(title)
    if len(names) > 1:  # the title as written, too: a query copying it whole found it only by a
        names.append(title)  # spelling ratio, which no longer passes alone (recheck 11, M1)
    keys: dict[str, float] = {}

    def add(text: str, weight: float) -> None:
        key = _article_first(text)
        for variant in (key, _without_article(key)):
            if variant and weight > keys.get(variant, 0.0):
                keys[variant] = weight

    for name in names:
        name = re.sub(r"^\s*a\.k\.a\.?\s*", "", name.strip(), flags=re.I)
        if not name:
            continue
        add(name, 1.0)
        parts = [p for p in _SUBTITLE.split(name) if p.strip()]
        if len(parts) > 1:
            for part in (parts[0], parts[-1]):
                if len(_plain_words(part)) >= _MIN_PART_CHARS:
                    add(part, PART_WEIGHT)
    return keys


def split_year(query: str) -> tuple[str, int | None]:
    """The query without its last year-like number, and that year (None when there is none or
    when the number is all the query holds, as in "1984")."""
    matches = [m for m in _YEAR.finditer(query) if int(m.group()) <= date.today().year + 5]
    if not matches:
        return query, None
    last = matches[-1]
    rest = (query[: last.start()] + " " + query[last.end() :]).strip()
    if not _plain_words(rest):
        return query, None
    return rest, int(last.group())


class TitleIndex:
    """Searchable titles of a movies table; build once per table, then query in milliseconds."""

    def __init__(self, movies: pd.DataFrame) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.movies = check_movies(movies, len(movies))
        movies = self.movies
        self.n_ratings = n_ratings_of(movies)
        self.years = pd.to_numeric(movies["year"], errors="coerce").to_numpy(np.float64)
        keys, owners = [], []
        self._keys_of: list[dict[str, float]] = []
        for row, title in enumerate(movies["title"].astype(str)):
            own = weighted_title_keys(title) or {"": 1.0}
            self._keys_of.append(own)
            keys.extend(own)
            owners.extend([row] * len(own))
        self.owners = np.asarray(owners, dtype=np.int64)
        self._exact: dict[str, list[int]] = {}
        for key, row in zip(keys, owners, strict=True):
            self._exact.setdefault(key, []).append(row)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), dtype=np.float32)
        self._matrix = self._vectorizer.fit_transform(keys)
        self._regex_found: dict[str, np.ndarray | tuple[float, DataError]] = {}

    def search(self, query: str, *, limit: int = 10) -> pd.DataFrame:
        """Up to ``limit`` movies ranked by how well their title matches ``query``.

        Columns: ``rank``, the movie columns and ``score`` (1.0 = exact title, year agreeing).
        Movies scoring below half of the best are left out.
        """
        limit = check_k(limit, "limit")
        scores = self.scores(query)
        for row in self._ids_as_text.get(str(query).strip(), ()):  # an id written out names it
            scores[row] = 1.0
        if not scores:
            return _empty_result(self.movies)
        rows = np.fromiter(scores, dtype=np.int64)
        values = np.fromiter(scores.values(), dtype=np.float64)
        order = np.lexsort((rows, -self.n_ratings[rows], -np.round(values, 6)))
        order = order[values[order] >= 0.5 * values[order[0]]][:limit]
        frame = movie_columns(self.movies, rows[order])
        frame.insert(0, "rank", np.arange(1, len(order) + 1))
        frame["score"] = values[order]
        return frame

    def containing(self, query: str, *, regex: bool = False) -> np.ndarray:
        """Rows (sorted) of every title holding ``query``, ignoring case, accents, punctuation
        and a moved article ("matrix, the"); a year at the end of the query keeps only that
        year's movies ("heat 1995"). With ``regex``, ``query`` is a Python regular expression
        (one pair of enclosing slashes dropped: :func:`unslashed`) searched in each title as
        written (without its year) and without accents, ignoring case; a bad pattern raises
        DataError saying what is wrong."""
        if regex:
            return self._regex_rows(query)
        if not _plain_words(check_query(query)):
            raise _no_words(query)
        titles = self._plain_titles
        words = _article_first(query)
        hit = np.fromiter((words in t for t in titles), bool, len(titles))
        text, year = split_year(query)
        if year is not None:  # "heat 1995": Heat of 1995, not Heathers (1989)
            words = _article_first(text)
            hit |= (self.years == year) & np.fromiter((words in t for t in titles), bool)
        return np.flatnonzero(hit).astype(np.int64)

    @functools.cached_property
    def _ids_as_text(self) -> dict[str, list[int]]:
        """Rows by movie id as written, for data whose ids are text (ISBNs such as
        '0477264344': recheck 15a, F1, a search by one picked another book whose placeholder
        title 'movie 0014472643' was close); empty for numeric ids, which a number in a title
        query ('300', '1995') would otherwise name."""
        ids = self.movies["movie_id"] if "movie_id" in self.movies.columns else None
        if ids is None or pd.api.types.is_numeric_dtype(ids):
            return {}
        found: dict[str, list[int]] = {}
        for row, movie_id in enumerate(ids.astype(str)):
            found.setdefault(movie_id.strip(), []).append(row)
        return found

    @functools.cached_property
    def _plain_titles(self) -> list[str]:
        return [_article_first(t) for t in self.movies["title"].astype(str)]

    def _regex_rows(self, pattern: str) -> np.ndarray:
        pattern = unslashed(pattern)
        if not check_query(pattern, "pattern"):
            raise DataError("Type a regular expression to match titles with, for example '^Toy'.")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise DataError(
                f"{pattern!r} is not a valid regular expression ({error.msg} at position "
                f"{error.pos}); fix it, or escape special characters such as ( ) [ ] * + ? "
                "with a backslash."
            ) from None
        if _nested_repetition(compiled.pattern):
            raise DataError(
                f"{pattern!r} repeats a part that itself repeats, like (a+)+ or (.*)*: such a "
                "pattern can take minutes on a title it almost matches, so it is not run; drop "
                "the outer repetition, or make the inner one possessive (a++)."
            )
        found = self._regex_found.get(pattern)  # a rerun of the page asks again
        if found is None or (
            isinstance(found, tuple) and time.monotonic() - found[0] > STOPPED_REMEMBERED_S
        ):
            try:
                found = rows_matching(pattern, self._titles_and_plain)
            except DataError as error:  # stopped: not 3 s more on every rerun for a while
                found = (time.monotonic(), error)
            self._regex_found[pattern] = found
        if isinstance(found, tuple):
            raise found[1]
        return found

    @functools.cached_property
    def _titles_and_plain(self) -> list[tuple[str, str]]:
        """Each title as written and without accents (what a regular expression searches)."""
        return [(t, _strip_accents(t)) for t in self.movies["title"].astype(str)]

    def resolve(self, query: str) -> int:
        """The movie_idx ``query`` clearly names: its row in the table, the embedding and
        model.movies alike, since the table is in movie_idx order (:func:`check_movies`); raises
        DataError listing the candidates when nothing matches well or several movies match
        equally well."""
        found = self.search(query, limit=5)
        if found.empty or found["score"].iloc[0] < MATCH_THRESHOLD:
            hint = _describe(found) if not found.empty else "none"
            raise DataError(
                f"No movie title matches {query!r}. Closest titles: {hint}. Check the spelling."
            )
        best = found["score"].iloc[0]
        close = found[found["score"] >= best - AMBIGUITY_MARGIN]
        if len(close) > 1:
            raise DataError(
                f"{query!r} matches several movies equally well: {_describe(close)}. Add the "
                f"year to the query, for example {_example(close.iloc[0])!r}."
            )
        return int(found["movie_idx"].iloc[0])

    def scores(self, query: str) -> dict[int, float]:
        """Match score in [0, 1] of every candidate row for ``query`` (best interpretation of a
        year-like number: as a year hint or as part of the title)."""
        if not _plain_words(check_query(query)):
            raise _no_words(query)
        text, year = split_year(query)
        best = self._text_scores(query)
        if year is not None:
            for row, score in self._text_scores(text).items():
                best[row] = max(best.get(row, 0.0), score * self._year_factor(row, year))
        return best

    def _text_scores(self, query: str) -> dict[int, float]:
        wanted = _article_first(query)
        variants = {wanted, _without_article(wanted)} - {""}
        candidate_rows = set()
        for variant in variants:
            candidate_rows.update(self._exact.get(variant, []))
        similarity = (self._matrix @ self._vectorizer.transform(sorted(variants)).T).toarray()
        per_key = similarity.max(axis=1)
        take = min(CANDIDATES * 3, len(per_key))
        top_keys = np.argpartition(-per_key, take - 1)[:take]
        for key_position in top_keys[np.argsort(-per_key[top_keys], kind="stable")]:
            if len(candidate_rows) >= CANDIDATES:
                break
            candidate_rows.add(int(self.owners[key_position]))
        return {
            row: max(
                _key_score(v, key) * weight
                for v in variants
                for key, weight in self._keys_of[row].items()
            )
            for row in candidate_rows
        }

    def _year_factor(self, row: int, year: int) -> float:
        movie_year = self.years[row]
        if np.isnan(movie_year):
            return 0.9
        gap = abs(int(movie_year) - year)
        return 1.0 if gap == 0 else 0.95 if gap == 1 else 0.85


def search_titles(movies: pd.DataFrame, query: str, *, limit: int = 10) -> pd.DataFrame:
    """One-off :meth:`TitleIndex.search` (build a :class:`TitleIndex` for repeated searches)."""
    return TitleIndex(movies).search(query, limit=limit)


def find_movie(movies: pd.DataFrame, query: str) -> int:
    """One-off :meth:`TitleIndex.resolve`: the movie_idx a title query clearly names, which is
    the movie's row in ``movies`` (in movie_idx order, as model.movies is) and in the embedding:
    the number :func:`~movierate.explore.neighbours.nearest_movies` and the other analyses
    take."""
    return TitleIndex(movies).resolve(query)


_INDEXES: weakref.WeakKeyDictionary[Any, TitleIndex] = weakref.WeakKeyDictionary()


@takes_models("model")
def title_index(model: EmbeddingModel) -> TitleIndex:
    """The :class:`TitleIndex` of a loaded model's movies, built once per model."""
    try:
        index = _INDEXES.get(model)
    except TypeError:  # an object that cannot be weakly referenced: no memo
        return TitleIndex(model.movies)
    if index is None:
        index = TitleIndex(model.movies)
        _INDEXES[model] = index
    return index


#: A search of a column instead of the titles: ``genre:Horror``, ``year:1995``,
#: ``year:1990-1999`` (views round 26, M3: a metadata group could not be found on the map).
GROUP_QUERY = re.compile(r"^\s*(genre|year)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.DOTALL)
#: A year or a range of years, as ``year:`` takes them.
YEAR_RANGE = re.compile(r"^(\d{1,4})(?:\s*[-\u2013]\s*(\d{1,4}))?$")


def group_search(movies: pd.DataFrame, query: str) -> tuple[np.ndarray, str] | None:
    """The rows of ``movies`` a ``genre:<name>`` (any case) or ``year:<year>[-<year>]`` query
    names and how to say them ("Horror", "from 1990 to 1999"); None for any other
    query (a title search). Raises DataError naming what is wrong and what to type."""
    found = GROUP_QUERY.match(query) if isinstance(query, str) else None
    if found is None:
        return None
    field, value = found.group(1).lower(), found.group(2)
    if field == "genre":
        lists = genre_lists(movies)
        names = sorted({g for gs in lists for g in gs})
        wanted = next((g for g in names if g.casefold() == value.casefold()), None)
        if wanted is None:
            raise DataError(
                f"No movie has the genre {value!r}: type genre: and one of "
                f"{', '.join(names) or '(these movies have no genres)'}."
            )
        rows = [i for i, gs in enumerate(lists) if wanted in gs]
        return np.asarray(rows, dtype=np.int64), wanted
    span = YEAR_RANGE.match(value)
    if span is None:
        raise DataError(
            f"year: takes a year or a range of years (year:1995, year:1990-1999), not {value!r}."
        )
    first, last = sorted(int(v) for v in (span.group(1), span.group(2) or span.group(1)))
    years = pd.to_numeric(movies["year"], errors="coerce").to_numpy(np.float64)
    rows = np.flatnonzero((years >= first) & (years <= last)).astype(np.int64)
    return rows, f"from {first}" if first == last else f"from {first} to {last}"


def unslashed(pattern: str) -> str:
    """A regular expression without one pair of enclosing slashes (``"/^Star|Wars/"`` ->
    ``"^Star|Wars"``), the one rule of every title search that takes both a /pattern/ and a
    "Regular expression" switch: with both, the slashes were matched as characters and found
    nothing (views round 18, F3). Anything else is returned as given."""
    text = pattern.strip() if isinstance(pattern, str) else pattern
    if isinstance(text, str) and len(text) > 2 and text[0] == text[-1] == "/":
        return text[1:-1]
    return pattern


def check_query(query: Any, name: str = "query") -> str:
    """``query`` if it is text; else a DataError saying what was given and what to pass
    (bad-input round 24 F10: bytes or a number got "Type part of a movie title")."""
    if isinstance(query, str):
        return query
    if isinstance(query, bytes | bytearray):
        raise DataError(
            f"The {name} must be text (str), got bytes {bytes(query)!r}; decode it first, "
            f"for example {bytes(query).decode('utf-8', 'replace')!r}."
        )
    if isinstance(query, int | float | np.integer | np.floating) and not isinstance(query, bool):
        raise DataError(
            f"The {name} must be text (part of a title, for example 'toy story'), got the "
            f"number {query!r}. A movie_idx needs no search: it is the movie's row "
            "(model.movies.iloc[movie_idx]); an original movie id maps to one with "
            "ds.movie_index(movie_id)."
        )
    raise DataError(
        f"The {name} must be text (part of a title, for example 'toy story'), got "
        f"{type(query).__name__} {query!r}."
    )


def _key_score(query: str, key: str) -> float:
    """Similarity in [0, 1] of two normalised titles: 1 if equal, else the best of difflib's
    ratio, a prefix match (typing in progress) and an all-words-present match, lowered when a
    number of the query is missing from the title. A ratio under :data:`TYPO_RATIO`, or more
    edits than :data:`TYPO_LETTERS` allows, alone scores under :data:`MATCH_THRESHOLD`:
    "amelie" offered Alien (1979) preselected as the answer (views round 36, M1); it is a "did
    you mean" now."""
    if query == key:
        return 1.0
    score = difflib.SequenceMatcher(None, query, key, autojunk=False).ratio()
    most = max(1, len(query) // TYPO_LETTERS)
    if score < TYPO_RATIO or typo_edits(query, key, most) > most:  # no typo of this title:
        score = min(score * MATCH_THRESHOLD / TYPO_RATIO, 0.99 * MATCH_THRESHOLD)  # ranked
    if len(query) >= 3 and key.startswith(query):
        score = max(score, 0.8 + 0.15 * len(query) / len(key))
    words, key_words = set(query.split()), set(key.split())
    if words <= key_words:
        score = max(score, 0.7 + 0.25 * len(query) / len(key))
    elif not query.isascii() and query in key:  # scripts written without spaces: "森" in
        score = max(score, 0.7 + 0.25 * len(query) / len(key))  # "ノルウェイの森"
    if any(w.isdigit() and w not in key_words for w in words):
        score *= 0.9  # "toy story 3" is not "Toy Story"
    return min(score, 0.99)


def _no_words(query: str) -> DataError:
    """The error for a query with nothing to search by: an empty one asks for a title; one of
    punctuation only says what was typed and why it finds nothing (bad-input round 65, F5:
    "/[/" got "Type part of a movie title", as if the box were empty)."""
    ask = "Type part of a movie title to search for, for example 'toy story'."
    if not query.strip():
        return DataError(ask)
    return DataError(
        f"{query.strip()!r} has no letters or digits to search titles by (punctuation and "
        f"spaces are left out of the search). {ask}"
    )


def _plain_words(text: str) -> str:
    text = _without_accents(unicodedata.normalize("NFKD", str(text))).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"\b([ldj])['’]", r"\1 ", text)  # French elisions: l'amour -> l amour
    text = re.sub(r"['’`]", "", text)  # schindler's -> schindlers
    # letters, marks and digits of any script, and symbols such as emoji (views round 6:
    # Japanese, Arabic and emoji titles were not searchable at all: only a-z and 0-9 were kept)
    text = "".join(c if c.isalnum() or unicodedata.category(c)[0] in "MS" else " " for c in text)
    text = unicodedata.normalize("NFC", text)
    return " ".join(_ROMAN_NUMERALS.get(w, w) for w in text.split())


#: Scripts whose accents a query may leave out ("Amelie" for "Amélie"): elsewhere a mark is part
#: of the letter (the recheck: without its voicing mark カメラ, camera, read as ガメラ, Gamera;
#: Devanagari words shrank to their consonants).
_ACCENTED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")


def _nested_repetition(pattern: str) -> bool:
    """Whether ``pattern`` repeats without bound a part that itself repeats ("(a+)+"), the
    shape that makes Python's backtracking matcher take exponential time."""
    from re import _constants, _parser  # the stdlib's own parse of a pattern (3.11+)

    repeats = (_constants.MAX_REPEAT, _constants.MIN_REPEAT)

    def walk(node: Any) -> Any:
        for op, arg in node:
            yield op, arg
            for part in arg if isinstance(arg, tuple | list) else ():
                for sub in part if isinstance(part, list) else [part]:  # a BRANCH's list
                    if isinstance(sub, _parser.SubPattern):
                        yield from walk(sub)

    return any(
        op in repeats
        and arg[1] == _constants.MAXREPEAT
        and any(o in repeats and a[1] > 1 for o, a in walk(arg[2]))
        for op, arg in walk(_parser.parse(pattern, re.IGNORECASE))
    )


def _strip_accents(text: str) -> str:
    """``text`` with the accents of Latin, Greek and Cyrillic letters removed ("Amélie" ->
    "Amelie"), case and punctuation kept."""
    return unicodedata.normalize("NFC", _without_accents(unicodedata.normalize("NFKD", text)))


def _without_accents(decomposed: str) -> str:
    """``decomposed`` (NFKD) without the combining marks that sit on Latin, Greek or Cyrillic
    letters; marks on letters of other scripts are kept."""
    out: list[str] = []
    base = ""
    for c in decomposed:
        if unicodedata.combining(c):
            if not base.startswith(_ACCENTED_SCRIPTS):
                out.append(c)
            continue
        base = unicodedata.name(c, "")
        out.append(c)
    return "".join(out)


def _article_first(text: str) -> str:
    """Normalised words with a trailing ", The"-style article moved to the front."""
    match = _TRAILING_ARTICLE.search(text)
    if match:
        text = f"{match.group(1)} {text[: match.start()]}"
    return _plain_words(text)


def _without_article(key: str) -> str:
    first, _, rest = key.partition(" ")
    return rest if first in DROPPABLE_ARTICLES and rest else key


def _describe(found: pd.DataFrame) -> str:
    return "; ".join(_example(row) for _, row in found.iterrows())


def _example(row: pd.Series) -> str:
    year = row.get("year")
    return f"{row['title']} {int(year)}" if pd.notna(year) else str(row["title"])


def _empty_result(movies: pd.DataFrame) -> pd.DataFrame:
    frame = movie_columns(movies, [])
    frame.insert(0, "rank", pd.Series(dtype=np.int64))
    frame["score"] = pd.Series(dtype=np.float64)
    return frame
