"""Stable movie identities, and matching the same films across two datasets' movies tables.

**Identity.** Each movie gets one text id in the movies table's ``identity`` column:

- ``imdb:0114814`` when the data names the movie's IMDb title (the ``imdbId`` column of
  ``links.csv`` in ml-latest-small, ml-20m, ml-25m and ml-32m; 7 digits, zero-padded; also the
  55 ml-100k movies whose ``u.item`` IMDb URL holds a title number, ``imdb-title-118764``);
- otherwise ``title:usual suspects|1995``: the normalised title (see below) and the year
  (``title:some film|`` when the year is unknown).

**Normalised title.** Format characters (zero-width space, soft hyphen) removed, Unicode
accents removed (NFKD), case folded, ``&`` and `` + `` read as
``and``, apostrophes dropped (``l'``/``d'`` elisions split off first), every other run of
punctuation and space turned into one space. An article after a final comma moves to the front
(``"Usual Suspects, The"``, ``"Blechtrommel, Die"``, ``"Avventura, L'"``; English and foreign
articles: The, A, An, Les, La, Le, L', Der, Die, Das, Il, El, Los, Un, Une, Det, Den, ...), and
then a leading The/A/An or an unambiguous foreign article (Le, La, Les, L', El, Los, Las, Il,
Gli, Der, Das, Het, Un, Une, Una) is dropped: ``"Usual Suspects, The"``, ``"The Usual
Suspects"`` and ``"usual suspects"`` all become ``usual suspects``. Articles that also open
English titles (Die, To, As, I, O, De, Den, En) stay, so "Die Hard" keeps its "die".

**Candidate keys.** A raw title such as ``"Léon: The Professional (a.k.a. The Professional)
(Léon)"`` names several titles: the main title (the text outside parentheses) and each
parenthesised alternate title (``a.k.a.`` stripped). Each of those names gives its normalised
full text and, when it has subtitles (``:`` or `` - ``), its first and last parts (``"Star Wars:
Episode IV - A New Hope"`` -> ``star wars`` and ``a new hope``), and without a possessive
owner (``"Stephen King's The Langoliers"`` -> ``langoliers``). Each key has a rank: 0 the main
title in full, 1 an alternate title in full, 2 a part or an owner-less title.

**Matching** (:func:`match_movies`). When both rows have an IMDb id, they match if and only if
the ids are equal. Every other pair is a candidate when the two rows share a key and their years
are equal; the candidate's score is the sum of the two keys' ranks (so full title to full title
comes first). Candidates are taken best first (lowest score, then the pair whose movie ids are
equal, where one table's ids all name the same titles in the other, so an export read back
pairs each of two "Emma (1996)" with its own row; two imports' ids mean nothing to each other,
and ids that are row numbers movierate made up, :data:`INVENTED_IDS`, are never equal) and a
row already matched is never matched again, so no movie is paired with two. Candidates of equal
score that share a row are decided together: a row with several equal candidates on the other
side only, one film listed twice (:func:`film_codes`: ml-100k does so for 18 films), takes the
most-rated one, and :meth:`MovieMatch.summary` names it; several rows on both sides (two films
"Twin (2000)" here and there), or several films of one title and year on one side (two imported
"Hamlet (1990)" against one), are left unmatched and named, since any pairing would be a guess.
After every exact-year candidate come those a year apart (``year_tolerance=1``, the default; 0
turns it off), and only when both keys lost the same article or none, so "Boys, Les (1997)"
does not become "Boys, The (1998)". Rows without a year match only on an identical main
title, with no year on either side, except when one side knows no year at all (a word2vec
export of movierate before accuracy round 22): then its rows match the other side's on the main
title, after every dated candidate, where that title names one film there or the movie ids are
equal (a title naming several is named as ambiguous). Placeholder titles without a year
(``movie <id>``, ``item <n>``, ``unknown``: :data:`PLACEHOLDER_TITLES`) never match.

Measured on the MovieLens copies (tests/test_data_identity.py; counts in docs/architecture.md):
1,335 of ml-100k's 1,682 movies are found in ml-latest-small (Emma (1996), two films there, is
left unmatched as ambiguous; 1,300 with exact years only); the
misses looked at by eye are almost all films ml-latest-small does not hold (or holds unrated).

numpy and pandas only.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

IDENTITY_COLUMN = "identity"
INVENTED_IDS = "movie_id_invented"
"""Column that is True where a table's ``movie_id`` is a row number movierate made up (labels
imported without an id column): such ids never tell films apart across tables."""
IMDB_PREFIX = "imdb:"
TITLE_PREFIX = "title:"

ARTICLES = frozenset(
    {
        # English, French, Spanish, Italian, Portuguese, German, Dutch, Scandinavian, Greek
        "the", "a", "an",
        "le", "la", "les", "l", "un", "une",
        "el", "los", "las", "una",
        "il", "lo", "gli", "i",
        "o", "os", "as", "um", "uma",
        "der", "die", "das", "ein", "eine",
        "de", "het", "een",
        "det", "den", "en", "et", "ett",
        "ta", "to", "hoi", "oi",
    }
)  # fmt: skip
"""Words moved from the end of a title to its front (``"Blechtrommel, Die"`` -> ``"Die
Blechtrommel"``)."""

LEADING_ARTICLES = frozenset(
    {"the", "a", "an", "le", "la", "les", "l", "el", "los", "las", "il", "gli", "der", "das"}
    | {"het", "un", "une", "una"}
)
"""Articles dropped from the front of a title, so that "The Professional", "Professional, The"
and "Professional" agree. Words that also open English titles ("Die Hard", "To Kill a
Mockingbird", "As Good as It Gets", "I Shot Andy Warhol") are not dropped; a title that ends
in one (", Die") still agrees with the same title starting with it."""

YEAR_TOLERANCE = 1
"""Default years apart two rows may be and still match (after every exact-year candidate, and
only when both keys lost the same article or none): MovieLens years of one film often differ by
one between releases (festival vs. release year)."""

SCORE_NO_YEARS, SCORE_NO_YEARS_AMBIGUOUS = 200, 300
"""Candidate scores when one side knows no year at all: after every dated candidate; a title
that names several films of the dated side pairs only with the row of the same movie id."""

RANK_MAIN, RANK_ALTERNATE, RANK_PART = 0, 1, 2
"""Key ranks: the main title in full, an alternate title in full, a part around a subtitle mark."""

_PARENS = re.compile(r"\(([^()]*)\)")
_AKA = re.compile(r"^\s*(?:a\.?\s?k\.?\s?a\.?|aka|also known as)\s*[:.]?\s+", re.IGNORECASE)
_TRAILING_ARTICLE = re.compile(r",\s*([^\W\d_]+'?)\s*$")
_ELISION = re.compile(r"\b([ldjnms]|qu)'(?=\w)")
_NON_WORD = re.compile(r"[\W_]+")
_SUBTITLE = re.compile(r"\s*:\s*|\s+[-\u2013\u2014]+\s+")
_POSSESSIVE = re.compile(r"^(?:[\w.-]+\s+){0,3}[\w.-]+'s\s+(?=\S+\s+\S)")
_PLACEHOLDER = re.compile(r"^(?:movie \S+|item \d+)$")
PLACEHOLDER_TITLES = frozenset(
    {"unknown", "untitled", "no title", "unknown title", "title unknown", "unknown movie"}
    | {"nan", "none", "null", "na", "n a", "tba", "tbd"}
)
"""Titles (normalised, without a year) that name no film: ml-100k's movie 267 is ``unknown``,
an empty cell read as text is ``nan``. Like ``movie <id>`` and ``item <n>`` (movierate's own
names for rows without a title), they never match."""
_MIN_PART_CHARS = 4
"""A part around a subtitle mark shorter than this (after normalising) is not a key."""
_GENERIC_PARTS = frozenset({"movie", "the movie", "film", "part", "part i", "part ii", "part 2"})


def _visible(text: str) -> str:
    """``text`` without format characters (zero-width space, soft hyphen, byte-order mark,
    direction marks): they show nothing, so "Mat\u200brix" is "Matrix", not "Mat rix"."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _fold(text: str) -> str:
    """Lower case without accents (``"Léon"`` -> ``"leon"``)."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _front_article(name: str) -> str:
    """``"Usual Suspects, The"`` -> ``"The Usual Suspects"`` (only for a known article)."""
    match = _TRAILING_ARTICLE.search(name)
    if match and _fold(match.group(1)).rstrip("'") in ARTICLES:
        article = match.group(1)
        joiner = "" if article.endswith("'") else " "
        return f"{article}{joiner}{name[: match.start()].strip()}"
    return name


def normalise_title(name: str) -> str:
    """The comparable form of one title (no year, no parentheses): accents, case, punctuation
    and one leading or trailing article removed. ``"Usual Suspects, The"`` -> ``"usual
    suspects"``; ``"Léon"`` -> ``"leon"``; ``"Cité des enfants perdus, La"`` -> ``"cite des
    enfants perdus"``."""
    return _normalise(name)[1]


def _normalise(name: str) -> tuple[str, str]:
    """(the article taken off or ``""``, the normalised title)."""
    text = _fold(_front_article(_repaired(html.unescape(_visible(name).strip()))))
    text = text.replace("&", " and ").replace(" + ", " and ")
    text = text.replace("\u2019", "'").replace("`", "'")
    text = _ELISION.sub(r"\1 ", text)  # l'avventura -> l avventura (article split off)
    text = text.replace("'", "")  # schindler's -> schindlers
    words = _NON_WORD.sub(" ", text).split()
    if len(words) > 1 and words[0] in LEADING_ARTICLES:
        return words[0], " ".join(words[1:])
    return "", " ".join(words)


def _repaired(text: str) -> str:
    """``text`` with UTF-8 that was decoded as cp1252 or Latin-1 undone ("MisÃ©rables" ->
    "Misérables"), for matching only: accuracy round 7b found 37 of 290 such titles unmatched
    (and 90 of 119 with HTML's "&amp;"). Text that is no such mistake comes back as it is.

    >>> _repaired("MisÃ©rables, Les"), _repaired("São Paulo")
    ('Misérables, Les', 'São Paulo')
    """
    if not any(mark in text for mark in ("Ã", "Â", "â€")):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def title_names(title: str) -> tuple[str, list[str]]:
    """The main title (text outside parentheses) and the alternate titles (each parenthesised
    group, ``a.k.a.`` stripped) of a title without its year."""
    alternates = []
    text = title
    while True:
        groups = _PARENS.findall(text)
        if not groups:
            break
        alternates.extend(g for g in groups if g.strip())
        text = _PARENS.sub(" ", text)
    main = " ".join(text.split())
    alternates = [_AKA.sub("", a).strip() for a in alternates]
    if not main and alternates:
        main, alternates = alternates[0], alternates[1:]
    return main, [a for a in alternates if a]


def title_keys(title: str) -> dict[str, int]:
    """Every candidate key of one title (without its year) -> its best rank.

    >>> sorted(title_keys("Star Wars: Episode IV - A New Hope").items())
    [('new hope', 2), ('star wars', 2), ('star wars episode iv a new hope', 0)]
    """
    return {key: rank for key, rank, _ in _title_keys(title)}


@functools.lru_cache(maxsize=1 << 17)
def _title_keys(title: str) -> tuple[tuple[str, int, str], ...]:
    """(key, best rank, the article the key was stripped of) of every key of a title (memoised:
    the same tables are matched against several others)."""
    main, alternates = title_names(_visible(title))
    keys: dict[str, tuple[int, str]] = {}

    def add(name: str, rank: int) -> None:
        article, key = _normalise(name)
        if key and rank < keys.get(key, (99, ""))[0]:
            keys[key] = (rank, article)

    for rank, name in [(RANK_MAIN, main)] + [(RANK_ALTERNATE, a) for a in alternates]:
        name = _front_article(name)
        add(name, rank)
        owner = _POSSESSIVE.match(name)  # "Stephen King's The Langoliers" -> "The Langoliers"
        if owner:
            add(name[owner.end() :], RANK_PART)
        parts = [p for p in _SUBTITLE.split(name) if p.strip()]
        if len(parts) > 1:
            for part in (parts[0], parts[-1]):
                key = normalise_title(part)
                if len(key) >= _MIN_PART_CHARS and key not in _GENERIC_PARTS:
                    add(part, RANK_PART)
    return tuple((key, rank, article) for key, (rank, article) in keys.items())


def main_key(title: str) -> str:
    """The normalised main title (rank 0 key) of a title without its year."""
    return next((key for key, rank, _ in _title_keys(title) if rank == RANK_MAIN), "")


def imdb_identity(imdb_id: object) -> str | None:
    """``"0114814"`` / ``114814`` -> ``"imdb:0114814"``; empty or not a number -> None."""
    if imdb_id is None or imdb_id is pd.NA:
        return None
    text = str(imdb_id).strip()
    if text.lower().startswith("tt"):
        text = text[2:]
    if text.endswith(".0"):  # read as a float somewhere
        text = text[:-2]
    if not text.isdigit() or int(text) == 0:
        return None
    return f"{IMDB_PREFIX}{text.zfill(7)}"


def title_identity(title: object, year: object) -> str:
    """``("Usual Suspects, The", 1995)`` -> ``"title:usual suspects|1995"``."""
    key = main_key("" if title is None or title is pd.NA else str(title))
    return f"{TITLE_PREFIX}{key}|{'' if _missing(year) else int(year)}"


def movie_identities(movies: pd.DataFrame, imdb_ids: Iterable | None = None) -> np.ndarray:
    """The identity of every row of a movies table (object array of str): ``imdb:...`` where
    ``imdb_ids`` (aligned with the rows) gives one, else ``title:<main title>|<year>``."""
    titles = movies["title"].tolist() if "title" in movies else [""] * len(movies)
    years = movies["year"].tolist() if "year" in movies else [None] * len(movies)
    imdb = list(imdb_ids) if imdb_ids is not None else [None] * len(movies)
    out = np.empty(len(movies), dtype=object)
    for i, (title, year, ref) in enumerate(zip(titles, years, imdb, strict=True)):
        out[i] = imdb_identity(ref) or title_identity(title, year)
    return out


KEPT_APART = "#"
"""What joins a title identity and a movie id (``title:hamlet|1990#101``) where an imported
dataset lists several ids of one title and year: different ids are different films unless the
data says otherwise (bad-input round 60, F1). Normalised titles hold no ``#``."""


def kept_apart(identities: np.ndarray, movie_ids: np.ndarray) -> np.ndarray:
    """``identities`` with each title identity that several rows share made their own
    (:data:`KEPT_APART` and the movie id): rows of an imported dataset are one film only when
    they share an IMDb id."""
    out = np.array(identities, dtype=object)
    titled = np.array([str(v).startswith(TITLE_PREFIX) for v in out], dtype=bool)
    shared = pd.Series(out).duplicated(keep=False).to_numpy() & titled
    out[shared] = [
        f"{v}{KEPT_APART}{i}" for v, i in zip(out[shared], movie_ids[shared], strict=True)
    ]
    return out


def film_codes(movies: pd.DataFrame) -> np.ndarray:
    """Per row, a number shared by the rows that are one film listed under several ids: the
    same IMDb id, or the same title identity with the title and year written alike byte for
    byte (ml-100k lists 17 films twice so; an imported dataset's rows of one title are kept
    apart, :func:`kept_apart`). -1 for a row without a usable identity (an empty title key)."""
    identities = pd.Series(identities_of(movies), dtype="string")
    titled = identities.str.startswith(TITLE_PREFIX).fillna(False).to_numpy(dtype=bool)
    blank = identities.isna() | identities.str.startswith(f"{TITLE_PREFIX}|").fillna(True)
    if titled.any() and "title" in movies.columns:  # "Heat" and "HEAT" are two films
        written = movies["title"].astype("string").fillna("")
        if "year" in movies.columns:
            written = written + "|" + movies["year"].astype("string").fillna("")
        identities = identities.where(~titled, identities + "\0" + written.to_numpy())
    codes, _ = pd.factorize(identities.where(~blank.to_numpy()))
    return codes


def identities_of(movies: pd.DataFrame) -> np.ndarray:
    """The ``identity`` column, or (tables saved before it existed) computed from title/year."""
    if IDENTITY_COLUMN in movies.columns:
        values = movies[IDENTITY_COLUMN].to_numpy(dtype=object)
        if not any(_missing(v) for v in values):
            return values
        computed = movie_identities(movies)
        return np.where([_missing(v) for v in values], computed, values)
    return movie_identities(movies)


def movie_keys(movies: pd.DataFrame, rows: np.ndarray | None = None) -> pd.DataFrame:
    """Every candidate title key of every row (or of ``rows`` only): columns ``row`` (position
    in ``movies``), ``year`` (Int64, missing when unknown), ``key``, ``rank`` (0 main title, 1
    alternate title, 2 part around a subtitle mark) and ``article`` (the article the key lost,
    or ""). Placeholder titles (``movie <id>`` for a movie the source had no metadata for) give
    no key."""
    positions = np.arange(len(movies)) if rows is None else np.asarray(rows, dtype=np.int64)
    titles = movies["title"].to_numpy(dtype=object)[positions] if "title" in movies else None
    years = movies["year"].to_numpy(dtype=object)[positions] if "year" in movies else None
    if titles is None:
        titles = np.full(len(positions), "", dtype=object)
    if years is None:
        years = np.full(len(positions), None, dtype=object)
    rows_out, out_years, keys, ranks, articles = [], [], [], [], []
    for row, title, year in zip(positions.tolist(), titles, years, strict=True):
        if untitled(title, year):
            continue
        for key, rank, article in _title_keys(str(title)):
            rows_out.append(row)
            out_years.append(None if _missing(year) else int(year))
            keys.append(key)
            ranks.append(rank)
            articles.append(article)
    return pd.DataFrame(
        {
            "row": np.asarray(rows_out, dtype=np.int64),
            "year": pd.array(out_years, dtype="Int64"),
            "key": pd.array(keys, dtype=object),
            "rank": np.asarray(ranks, dtype=np.int64),
            "article": pd.array(articles, dtype=object),
        }
    )


@dataclass(frozen=True)
class MovieMatch:
    """The same films in two movies tables: ``a_idx[i]`` (row of A) is ``b_idx[i]`` (row of B),
    matched by ``how[i]`` (``"imdb"``, ``"title"`` or ``"id"``); ``dated[i]`` is False for a
    title pair where a row had no year (matched by title only). Sorted by ``a_idx``.

    What was not paired for want of a way to tell films apart, named for :meth:`summary`:
    ``tied`` (A's films of a title and year that several films of A or of B share; their rows
    in ``tied_rows``),
    ``ambiguous`` (titles without a year that name several films of the other table) and
    ``guessed`` (films paired with one of several rows of one title and year, by ratings) and
    ``guessed_in_order`` (those of them whose rows no rating count told apart: the first row
    was taken, as in an import without counts; bad-input round 61, F6)."""

    a_idx: np.ndarray
    b_idx: np.ndarray
    how: np.ndarray
    n_a: int
    n_b: int
    name_a: str = "A"
    name_b: str = "B"
    year_tolerance: int = 0
    by_how: dict[str, int] = field(default_factory=dict)
    dated: np.ndarray | None = None
    tied: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    guessed: tuple[str, ...] = ()
    tied_rows: tuple[int, ...] = ()
    guessed_in_order: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.a_idx)

    @property
    def n_matched(self) -> int:
        return len(self.a_idx)

    @property
    def n_imdb(self) -> int:
        return int((self.how == "imdb").sum())

    @property
    def n_title(self) -> int:
        return int((self.how == "title").sum())

    @property
    def n_title_only(self) -> int:
        """Title pairs made without a year (one row or both had none)."""
        if self.dated is None:
            return 0
        return int(((self.how == "title") & ~self.dated).sum())

    def summary(self) -> str:
        """``"1,335 of 1,682 ml-100k movies found in ml-latest-small (37 by IMDb id, 1,298 by
        title and year)."``, then what was left unmatched or guessed and why."""
        if self.n_matched == 0:
            detail = "none"
        elif self.by_how.get("id") == self.n_matched:
            detail = "the same catalogue, by movie id"
        else:
            kinds = [
                (self.n_imdb, "by IMDb id"),
                (self.n_title - self.n_title_only, "by title and year"),
                (self.n_title_only, "by title only, without a year"),
            ]
            used = [(n, words) for n, words in kinds if n]
            detail = (
                f"all {used[0][1]}"
                if len(used) == 1
                else ", ".join(f"{n:,} {words}" for n, words in used)
            )
        notes = [
            f"{self.n_matched:,} of {self.n_a:,} {self.name_a} movies found in {self.name_b} "
            f"({detail})."
        ]
        if self.tied:
            n = len(self.tied)
            notes.append(
                f"{n:,} {_films(n)} of {self.name_a} share{'s' if n == 1 else ''} a title and "
                f"year with another film of {self.name_a} or {self.name_b} "
                f"({_named(self.tied)}); left unmatched, since nothing tells which is which."
            )
        if self.ambiguous:
            notes.append(
                f"{len(self.ambiguous):,} {_titles(len(self.ambiguous))} without a year "
                f"{'is' if len(self.ambiguous) == 1 else 'are'} ambiguous "
                f"({_named(self.ambiguous)}); left unmatched."
            )
        by_ratings = [g for g in self.guessed if g not in self.guessed_in_order]
        for guessed, taken in (
            (by_ratings, "the most-rated row was taken"),
            (self.guessed_in_order, "no rating counts tell them apart, so the first was taken"),
        ):
            if guessed:
                notes.append(
                    f"{len(guessed):,} {_films(len(guessed))} had several rows of one title "
                    f"and year (or one IMDb id) to pair with ({_named(guessed)}); {taken}."
                )
        return " ".join(notes)

    def a_to_b(self) -> np.ndarray:
        """For every row of A, its matching row of B, or -1."""
        lookup = np.full(self.n_a, -1, dtype=np.int64)
        lookup[self.a_idx] = self.b_idx
        return lookup

    def b_to_a(self) -> np.ndarray:
        """For every row of B, its matching row of A, or -1."""
        lookup = np.full(self.n_b, -1, dtype=np.int64)
        lookup[self.b_idx] = self.a_idx
        return lookup

    def as_frame(self) -> pd.DataFrame:
        """Columns a_idx, b_idx, how."""
        return pd.DataFrame({"a_idx": self.a_idx, "b_idx": self.b_idx, "how": self.how})


#: Names a summary sentence lists before "and N more".
SHOWN_NAMES = 3


def _films(n: int) -> str:
    return "film" if n == 1 else "films"


def _titles(n: int) -> str:
    return "title" if n == 1 else "titles"


def _named(names: tuple[str, ...]) -> str:
    """The distinct names, the first :data:`SHOWN_NAMES` of them, then "and N more"."""
    distinct = list(dict.fromkeys(names))
    shown = ", ".join(distinct[:SHOWN_NAMES])
    more = len(distinct) - SHOWN_NAMES
    return f"{shown} and {more:,} more" if more > 0 else shown


def match_movies(
    movies_a: pd.DataFrame,
    movies_b: pd.DataFrame,
    *,
    name_a: str = "A",
    name_b: str = "B",
    year_tolerance: int = YEAR_TOLERANCE,
) -> MovieMatch:
    """Pair the rows of two movies tables that are the same film (see the module docstring):
    equal IMDb ids when both rows have one, else title keys and year; never one row twice.
    Two copies of one catalogue (models of the same data) pair row for row, by movie id: also
    the movies a title cannot identify (``movie 12`` of a ratings-only upload)."""
    if _same_catalogue(movies_a, movies_b):
        rows = np.arange(len(movies_a), dtype=np.int64)
        return MovieMatch(
            a_idx=rows,
            b_idx=rows.copy(),
            how=np.full(len(rows), "id", dtype=object),
            n_a=len(movies_a),
            n_b=len(movies_b),
            name_a=name_a,
            name_b=name_b,
            year_tolerance=year_tolerance,
            by_how={"imdb": 0, "title": 0, "id": len(rows)},
            dated=np.ones(len(rows), dtype=bool),
        )
    ident_a, ident_b = identities_of(movies_a), identities_of(movies_b)
    imdb_a = np.array([str(v).startswith(IMDB_PREFIX) for v in ident_a], dtype=bool)
    imdb_b = np.array([str(v).startswith(IMDB_PREFIX) for v in ident_b], dtype=bool)
    used_a = np.zeros(len(movies_a), dtype=bool)
    used_b = np.zeros(len(movies_b), dtype=bool)
    pairs_a: list[np.ndarray] = []
    pairs_b: list[np.ndarray] = []
    hows: list[np.ndarray] = []
    picked = _Picked()
    counts_a, counts_b = _counts(movies_a), _counts(movies_b)

    if imdb_a.any() and imdb_b.any():
        rows_a, rows_b = _imdb_pairs(ident_a, imdb_a, ident_b, imdb_b, (counts_a, counts_b), picked)
        used_a[rows_a] = True
        used_b[rows_b] = True
        pairs_a.append(rows_a)
        pairs_b.append(rows_b)
        hows.append(np.full(len(rows_a), "imdb", dtype=object))

    # rows left to match by title: an IMDb-identified row can only pair with a row lacking an id
    need_a = np.flatnonzero(~used_a & (~imdb_a | (~imdb_b).any()))
    need_b = np.flatnonzero(~used_b & (~imdb_b | (~imdb_a).any()))
    candidates = _title_candidates(movies_a, need_a, movies_b, need_b, year_tolerance)
    if len(candidates):
        ca = candidates["row_a"].to_numpy()
        cb = candidates["row_b"].to_numpy()
        # two rows that both have an IMDb id are the same film only when the ids are equal;
        # equal ids tell films apart only where both tables' ids name the same films (bad-input
        # round 60, F3: two imports' "Hamlet (1990)" 100 were paired, the other Hamlet left out)
        same_id = _same_ids(movies_a, ca, movies_b, cb) & _ids_agree(movies_a, movies_b)
        score = candidates["score"].to_numpy()
        keep = ~(imdb_a[ca] & imdb_b[cb]) & ~used_a[ca] & ~used_b[cb]
        vague = keep & (score == SCORE_NO_YEARS_AMBIGUOUS) & ~same_id
        keep &= ~vague
        ca, cb, score, same_id = ca[keep], cb[keep], score[keep], same_id[keep]
        most_rated = -(counts_a[ca] + counts_b[cb])
        # among equal titles, the row of the same movie id first: an export read back pairs
        # each of two "Emma (1996)" with its own row, whatever their rating counts
        order = np.lexsort((cb, ca, most_rated, ~same_id, score))
        levels = score[order] * 2 + ~same_id[order]
        films = (_films_and_titles(movies_a), _films_and_titles(movies_b))
        rows_a, rows_b = _pick(
            ca[order], cb[order], levels, (used_a, used_b), films, picked, most_rated[order]
        )
        pairs_a.append(rows_a)
        pairs_b.append(rows_b)
        hows.append(np.full(len(rows_a), "title", dtype=object))
        picked.ambiguous = _ambiguous_titles(
            movies_a, candidates["row_a"].to_numpy()[vague], movies_b,
            candidates["row_b"].to_numpy()[vague], used_a, used_b,
        )  # fmt: skip

    a_idx = np.concatenate(pairs_a) if pairs_a else np.zeros(0, dtype=np.int64)
    b_idx = np.concatenate(pairs_b) if pairs_b else np.zeros(0, dtype=np.int64)
    how = np.concatenate(hows) if hows else np.zeros(0, dtype=object)
    order = np.argsort(a_idx, kind="stable")
    a_idx, b_idx, how = a_idx[order].astype(np.int64), b_idx[order].astype(np.int64), how[order]
    matched_a = np.zeros(len(movies_a), dtype=bool)
    matched_a[a_idx] = True
    return MovieMatch(
        a_idx=a_idx,
        b_idx=b_idx,
        how=how,
        n_a=len(movies_a),
        n_b=len(movies_b),
        name_a=name_a,
        name_b=name_b,
        year_tolerance=year_tolerance,
        by_how={k: int((how == k).sum()) for k in ("imdb", "title")},
        dated=(how != "title") | (_has_year(movies_a)[a_idx] & _has_year(movies_b)[b_idx]),
        tied=tuple(_name(movies_a, r) for r in picked.tied if not matched_a[r]),
        tied_rows=tuple(r for r in picked.tied if not matched_a[r]),
        ambiguous=picked.ambiguous,
        guessed=tuple(_name(movies_a, r) for r in picked.guessed),
        guessed_in_order=tuple(_name(movies_a, r) for r in picked.in_order),
    )


@dataclass
class _Picked:
    """What :func:`_pick` could not decide: rows of A tied with others (left unmatched unless
    a later candidate pairs them) and rows of A paired among several equal rows (``in_order``:
    those where equal rating counts left the pick to row order)."""

    tied: list[int] = field(default_factory=list)
    guessed: list[int] = field(default_factory=list)
    in_order: list[int] = field(default_factory=list)
    ambiguous: tuple[str, ...] = ()


def _pick(
    ca: np.ndarray,
    cb: np.ndarray,
    levels: np.ndarray,
    used: tuple[np.ndarray, np.ndarray],
    films: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    picked: _Picked,
    most_rated: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Take candidate pairs (sorted best first; ``levels`` their score and same-id rank) level
    by level. Within a level, pairs that share a row form groups: a lone pair is taken; a group
    with one row on a side takes its first (most-rated) pair and is noted as guessed (ml-100k's
    twins, or "Star Wars: ..." titles sharing a part); a group with several rows on both sides
    (two "Twin (2000)" here and there), or several films of one title and year on a side (two
    imported "Hamlet (1990)" against one, :func:`_films_and_titles`), is a guess between films,
    so none of it is taken (bad-input rounds 30 F4 and 60 F3). ``most_rated``: each pair's
    minus summed rating count, the order within a level."""
    used_a, used_b = used
    rows_a: list[int] = []
    rows_b: list[int] = []
    bounds = np.flatnonzero(np.r_[True, levels[1:] != levels[:-1], True]) if len(levels) else []
    for start, stop in itertools.pairwise(bounds):
        la, lb = ca[start:stop], cb[start:stop]
        free = ~used_a[la] & ~used_b[lb]
        la, lb = la[free].tolist(), lb[free].tolist()
        rated = most_rated[start:stop][free].tolist()
        for group in _groups(la, lb):
            group_a = {la[i] for i in group}
            group_b = {lb[i] for i in group}
            several = _several_films(group_a, *films[0]) or _several_films(group_b, *films[1])
            if len(group_a) > 1 and len(group_b) > 1 or several:
                picked.tied.extend(sorted(group_a))
                continue
            a, b = la[group[0]], lb[group[0]]
            used_a[a] = used_b[b] = True
            rows_a.append(a)
            rows_b.append(b)
            if len(group) > 1:
                picked.guessed.append(a)
                if rated[group[0]] == rated[group[1]]:  # no count told them apart
                    picked.in_order.append(a)
    return np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64)


def _films_and_titles(movies: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, its film (:func:`film_codes`) and its title and year (a number each)."""
    titles = movies["title"].tolist() if "title" in movies.columns else [""] * len(movies)
    years = movies["year"].tolist() if "year" in movies.columns else [None] * len(movies)
    keys = [title_identity(t, y) for t, y in zip(titles, years, strict=True)]
    return film_codes(movies), pd.factorize(pd.Series(keys, dtype=object))[0]


def _several_films(rows: set[int], films: np.ndarray, titles: np.ndarray) -> bool:
    """Whether some title and year among ``rows`` names several films of their table."""
    return len({films[r] for r in rows}) > len({titles[r] for r in rows})


def _groups(la: list[int], lb: list[int]) -> list[list[int]]:
    """Positions of the pairs ``(la[i], lb[i])`` grouped by shared rows (connected pairs), each
    group in order and the groups in order of their first pair."""
    parent = list(range(len(la)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rows in (la, lb):
        first: dict[int, int] = {}
        for i, row in enumerate(rows):
            j = first.setdefault(row, i)
            if j != i:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(la)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _ambiguous_titles(
    movies_a: pd.DataFrame,
    rows_a: np.ndarray,
    movies_b: pd.DataFrame,
    rows_b: np.ndarray,
    used_a: np.ndarray,
    used_b: np.ndarray,
) -> tuple[str, ...]:
    """``"Sabrina (2 films)"`` for each yearless row that named several films of the other
    table and was left unmatched (its dated films counted)."""
    if not len(rows_a):
        return ()
    yearless_a = not _has_year(movies_a)[rows_a].any()
    rows, others, movies, used = (
        (rows_a, rows_b, movies_a, used_a) if yearless_a else (rows_b, rows_a, movies_b, used_b)
    )
    films = pd.Series(others).groupby(rows).nunique()
    return tuple(
        f"{movies['title'].iloc[row]} ({n} films)" for row, n in films.items() if not used[row]
    )


def _has_year(movies: pd.DataFrame) -> np.ndarray:
    """Per row, whether the table gives it a year."""
    if "year" not in movies.columns:
        return np.zeros(len(movies), dtype=bool)
    return ~np.array([_missing(y) for y in movies["year"].tolist()], dtype=bool)


def _name(movies: pd.DataFrame, row: int) -> str:
    """``"Twin (2000)"``: a row's title and year, for a summary."""
    title = movies["title"].iloc[row] if "title" in movies.columns else f"row {row}"
    year = movies["year"].iloc[row] if "year" in movies.columns else None
    return f"{title} ({int(year)})" if not _missing(year) else str(title)


def _same_catalogue(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
    """Whether two movies tables list the same movies in the same rows (equal ids and titles,
    and :func:`ids_name_films`)."""
    if movies_a is movies_b:
        return True
    columns = ("movie_id", "title")
    return (
        len(movies_a) == len(movies_b)
        and all(c in movies_a.columns and c in movies_b.columns for c in columns)
        and all(
            movies_a[c].reset_index(drop=True).equals(movies_b[c].reset_index(drop=True))
            for c in columns
        )
        and ids_name_films(movies_a, movies_b)
    )


def has_real_titles(movies: pd.DataFrame) -> bool:
    """Whether at least half of a movies table's titles name a film: not missing and not the
    placeholder ``movie <id>`` (without a year) given to movies a source had no title for."""
    if "title" not in movies.columns or not len(movies):
        return False
    years = movies["year"] if "year" in movies.columns else pd.Series([None] * len(movies))
    real = sum(
        not untitled(title, year)
        for title, year in zip(movies["title"].tolist(), years.tolist(), strict=True)
    )
    return 2 * real >= len(movies)


def untitled(title: object, year: object = None) -> bool:
    """Whether a movie's title names no film: missing, or (without a year) a placeholder such
    as ``movie <id>`` of a source that had no title for it or ml-100k's ``unknown``
    (:data:`PLACEHOLDER_TITLES`)."""
    return _missing(title) or (_missing(year) and _placeholder(str(title)))


@functools.lru_cache(maxsize=1 << 16)
def _placeholder(title: str) -> bool:
    """Whether a title (without a year) is a placeholder or shows no word at all."""
    text = _visible(title).strip()
    return bool(_PLACEHOLDER.match(text)) or normalise_title(text) in PLACEHOLDER_TITLES | {""}


def ids_name_films(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
    """For two movies tables with equal ids and titles row for row: whether that makes them one
    catalogue. It does when the titles name films (:func:`has_real_titles`); placeholder titles
    only repeat the ids, which two unrelated uploads share, so then the rows' rating counts and
    mean ratings must be equal too (the same ratings: one dataset). The counts are compared
    first: models of one dataset (the usual case) then skip the per-title scan. Row numbers
    made up for labels without ids (:func:`invented_ids`) never make one catalogue."""
    if invented_ids(movies_a).any() or invented_ids(movies_b).any():
        return False
    columns = ("n_ratings", "mean_rating")
    same_ratings = all(c in movies_a.columns and c in movies_b.columns for c in columns) and all(
        np.array_equal(
            pd.to_numeric(movies_a[c], errors="coerce").to_numpy(np.float64),
            pd.to_numeric(movies_b[c], errors="coerce").to_numpy(np.float64),
            equal_nan=True,
        )
        for c in columns
    )
    return same_ratings or has_real_titles(movies_a)


def _imdb_pairs(
    ident_a: np.ndarray,
    imdb_a: np.ndarray,
    ident_b: np.ndarray,
    imdb_b: np.ndarray,
    counts: tuple[np.ndarray, np.ndarray],
    picked: _Picked,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows with equal IMDb identities. An id a table gives several rows (ml-100k's "Twilight"
    and "Magic Hour, The", one film) pairs its most-rated row (by ``counts``), noted in
    ``picked`` as the title rule notes its twins (accuracy round 49, F3: the first row was
    taken, unsaid)."""
    sides = []
    for ident, imdb, count in ((ident_a, imdb_a, counts[0]), (ident_b, imdb_b, counts[1])):
        rows = np.flatnonzero(imdb)
        frame = pd.DataFrame({"id": ident[rows], "row": rows, "n": -count[rows]})
        frame["rows"] = frame.groupby("id")["row"].transform("size")
        frame["tie"] = frame.groupby(["id", "n"])["row"].transform("size") > 1
        sides.append(frame.sort_values(["n", "row"], kind="stable").drop_duplicates("id"))
    pairs = sides[0].merge(sides[1], on="id", suffixes=("_a", "_b")).sort_values("row_a")
    several = (pairs["rows_a"] > 1) | (pairs["rows_b"] > 1)
    picked.guessed.extend(pairs["row_a"][several].tolist())
    tie = (pairs["rows_a"] > 1) & pairs["tie_a"] | (pairs["rows_b"] > 1) & pairs["tie_b"]
    picked.in_order.extend(pairs["row_a"][several & tie].tolist())
    return pairs["row_a"].to_numpy(np.int64), pairs["row_b"].to_numpy(np.int64)


def _title_candidates(
    movies_a: pd.DataFrame,
    rows_a: np.ndarray,
    movies_b: pd.DataFrame,
    rows_b: np.ndarray,
    year_tolerance: int,
) -> pd.DataFrame:
    """Candidate pairs (row_a, row_b, score) among ``rows_a`` x ``rows_b`` sharing a key and a
    year (or both yearless on their main title); a pair is listed once with its best score."""
    keys_a, keys_b = movie_keys(movies_a, rows_a), movie_keys(movies_b, rows_b)
    if keys_a.empty or keys_b.empty:
        return pd.DataFrame({"row_a": [], "row_b": [], "score": []}, dtype=np.int64)
    frames = []
    dated_a = keys_a[keys_a["year"].notna()].astype({"year": np.int64})
    dated_b = keys_b[keys_b["year"].notna()].astype({"year": np.int64})
    for offset in range(-year_tolerance, year_tolerance + 1):
        shifted = dated_b.assign(year=dated_b["year"] + offset)
        joined = dated_a.merge(shifted, on=["key", "year"], suffixes=("_a", "_b"))
        if offset:  # a year apart: the articles must agree too ("Les Boys" is not "The Boys")
            joined = joined[joined["article_a"] == joined["article_b"]]
        if len(joined):
            score = joined["rank_a"] + joined["rank_b"] + (100 if offset else 0)
            frames.append(
                pd.DataFrame({"row_a": joined["row_a"], "row_b": joined["row_b"], "score": score})
            )
    undated_a = keys_a[keys_a["year"].isna() & (keys_a["rank"] == RANK_MAIN)]
    undated_b = keys_b[keys_b["year"].isna() & (keys_b["rank"] == RANK_MAIN)]
    joined = undated_a.merge(undated_b, on="key", suffixes=("_a", "_b"))
    if len(joined):
        frames.append(
            pd.DataFrame({"row_a": joined["row_a"], "row_b": joined["row_b"], "score": 0})
        )
    if dated_a.empty != dated_b.empty:  # one side knows no year at all
        joined = _yearless_side_pairs(undated_a, dated_a, undated_b, dated_b)
        if len(joined):
            score = np.where(joined["films"] == 1, SCORE_NO_YEARS, SCORE_NO_YEARS_AMBIGUOUS)
            frames.append(
                pd.DataFrame({"row_a": joined["row_a"], "row_b": joined["row_b"], "score": score})
            )
    if not frames:
        return pd.DataFrame({"row_a": [], "row_b": [], "score": []}, dtype=np.int64)
    pairs = pd.concat(frames, ignore_index=True).astype(np.int64)
    return pairs.sort_values("score", kind="stable").drop_duplicates(["row_a", "row_b"])


def _yearless_side_pairs(
    undated_a: pd.DataFrame, dated_a: pd.DataFrame, undated_b: pd.DataFrame, dated_b: pd.DataFrame
) -> pd.DataFrame:
    """Pairs (row_a, row_b, films) on an equal main title between a side without any year (a
    word2vec export of movierate before accuracy round 22, whose tokens held none) and the
    other side; ``films`` counts the dated side's films of that title ("Hamlet" names several)."""
    dated = dated_b if dated_a.empty else dated_a
    dated = dated[dated["rank"] == RANK_MAIN]
    dated = dated.assign(films=dated["key"].map(dated.groupby("key")["row"].nunique()))
    if dated_a.empty:
        return undated_a.merge(dated, on="key", suffixes=("_a", "_b"))
    return dated.merge(undated_b, on="key", suffixes=("_a", "_b"))


def _ids_agree(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
    """Whether the two tables' ids name the same films: one table's ids are all the other's,
    with the same main title (an export of a model read back, a part of one catalogue). Two
    imports' ids mean nothing to each other."""
    if not all(c in t.columns for c in ("movie_id", "title") for t in (movies_a, movies_b)):
        return False
    small, large = sorted((movies_a, movies_b), key=len)
    titles = large.assign(key=_id_texts(large["movie_id"].to_numpy(dtype=object)))
    titles = titles.drop_duplicates("key").set_index("key")["title"]
    found = titles.reindex(_id_texts(small["movie_id"].to_numpy(dtype=object)))
    return bool(found.notna().all()) and all(
        main_key(str(a)) == main_key(str(b))
        for a, b in zip(small["title"].tolist(), found.tolist(), strict=True)
    )


def _same_ids(
    movies_a: pd.DataFrame, rows_a: np.ndarray, movies_b: pd.DataFrame, rows_b: np.ndarray
) -> np.ndarray:
    """Whether each candidate pair's rows hold the same movie id (as text: 5, 5.0 and "5" agree),
    never where either id is a row number movierate made up (:data:`INVENTED_IDS`)."""
    if "movie_id" not in movies_a.columns or "movie_id" not in movies_b.columns:
        return np.zeros(len(rows_a), dtype=bool)
    ids_a = _id_texts(movies_a["movie_id"].to_numpy(dtype=object)[rows_a])
    ids_b = _id_texts(movies_b["movie_id"].to_numpy(dtype=object)[rows_b])
    return (ids_a == ids_b) & ~invented_ids(movies_a)[rows_a] & ~invented_ids(movies_b)[rows_b]


def invented_ids(movies: pd.DataFrame) -> np.ndarray:
    """Per row, whether its ``movie_id`` is a row number movierate made up (labels imported
    without an id column, bad-input round 30 F2): such an id says nothing about the film."""
    if INVENTED_IDS not in movies.columns:
        return np.zeros(len(movies), dtype=bool)
    return np.array([not _missing(v) and bool(v) for v in movies[INVENTED_IDS].tolist()], bool)


def _id_texts(ids: np.ndarray) -> np.ndarray:
    texts = [
        str(int(v)) if isinstance(v, float | np.floating) and float(v).is_integer() else str(v)
        for v in ids
    ]
    return np.asarray(texts, dtype=object)


def _counts(movies: pd.DataFrame) -> np.ndarray:
    if "n_ratings" not in movies.columns:
        return np.zeros(len(movies), dtype=np.int64)
    return pd.to_numeric(movies["n_ratings"], errors="coerce").fillna(0).to_numpy(np.int64)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
