"""Turn raw parsed ratings into a RatingsDataset: validate, de-duplicate, encode ids, fingerprint.

Every format reader produces a :class:`RawData`; :func:`build_dataset` is the one place where
ratings are checked, so every source gets the same messages and the same policies.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd

from movierate.data.dataset import (
    MAX_RATING,
    Duplicates,
    RatingScale,
    RatingsDataset,
    repeated_pairs,
)
from movierate.data.movies import movies_table, same_title_notice
from movierate.data.splits import Split, official_split
from movierate.data.twins import twin_notices
from movierate.errors import DataError

SHOW_ROWS = 5
"""How many offending rows an error message quotes."""


@dataclass
class RawData:
    """What a reader parsed, before validation.

    ``ratings`` has columns user, movie, rating (float), timestamp (int64); ids are int64 or
    str. ``first_line`` is the file line of ratings row 0 (for messages). ``official`` maps a
    split name to its (base, test) frames of user/movie ids.
    """

    ratings: pd.DataFrame
    ratings_file: str
    first_line: int
    movies: pd.DataFrame | None = None
    catalog: dict[str, int | None] = field(default_factory=dict)
    official: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)
    scale: RatingScale | None = None
    warnings: list[str] = field(default_factory=list)
    #: The file's own name of a ratings column (user, movie, rating, timestamp), for messages.
    columns: dict[str, str] = field(default_factory=dict)
    #: The file row (0: first_line) of each ratings row once a reader dropped rows, else None.
    rows: np.ndarray | None = None
    #: Whether a rating of 0 means "not rated" (dropped): True, False, or None to find out.
    zero_unrated: bool | None = None
    #: Why 0 means "not rated" here (the export it comes from), for the notice.
    zero_why: str = ""
    #: A file being imported (from_csv), not a stored copy read again: a few rows that are no
    #: ratings (a spreadsheet's totals row) are refused, not only noted (bad-input round 36, F3).
    importing: bool = False
    #: (its name, its text in each file row) of an unused year column beside titles as the
    #: item, to tell remakes from duplicates (bad-input round 56, F7); None without one.
    item_years: tuple[str, np.ndarray] | None = None
    #: A MovieLens release known to list one film under two ids of one title (ml-100k): its
    #: rows of one title and year are one film; elsewhere different ids are different movies,
    #: named in a notice (bad-input round 60, F1).
    lists_films_twice: bool = False
    #: A stored copy whose text ids stay text as stored (imports since views round 40): its
    #: ids were text because of rows since dropped (ratings of 0 'not rated'), and reading
    #: '001' again as the number 1 changed its ids and fingerprint from the import's.
    ids_as_stored: bool = False

    def column(self, role: str) -> str:
        """The file's name of the ``role`` column, quoted, as messages name it."""
        return repr(self.columns.get(role, role))

    def line(self, position: int) -> int:
        """The file line of ratings row ``position``."""
        return int(position if self.rows is None else self.rows[position]) + self.first_line

    def lines(self, positions: np.ndarray) -> str:
        """:func:`line_numbers` of ratings rows ``positions``."""
        positions = np.asarray(positions)
        return line_numbers(
            positions if self.rows is None else self.rows[positions], self.first_line
        )

    def keep_rows(self, keep: np.ndarray) -> None:
        """Record that only the ratings rows where ``keep`` is true remain."""
        kept = np.flatnonzero(keep)
        self.rows = kept if self.rows is None else self.rows[kept]


#: How a user declares a rating scale, on every surface: the CLI and the Train page read data
#: sets as they are, so the way is the CSV import (fuzz round 8, views review round 3: the
#: message said only Python's ``rating_scale=``). ``{}``: the scale, e.g. ``(1, 5, 1)``.
HOW_TO_DECLARE = (
    "when importing the ratings as a CSV (Home: 'Options: columns, text encoding, rating "
    "scale'; CLI: datasets FILE --name NAME --rating-scale MIN,MAX,STEP; Python: "
    "from_csv(..., rating_scale={}))"
)


def line_numbers(positions: np.ndarray, first_line: int) -> str:
    """``"lines 4, 9, 12 (and 3 more)"`` for row positions of a file whose row 0 is first_line."""
    shown = ", ".join(str(int(p) + first_line) for p in positions[:SHOW_ROWS])
    more = f" (and {len(positions) - SHOW_ROWS:,} more)" if len(positions) > SHOW_ROWS else ""
    return f"line{'s' if len(positions) > 1 else ''} {shown}{more}"


def build_dataset(
    raw: RawData, name: str, duplicates: Duplicates = "keep_latest"
) -> RatingsDataset:
    """Validate ``raw`` and encode it. Raises DataError naming the file, lines and the fix."""
    frame, where = raw.ratings, raw.ratings_file
    if frame.empty:
        raise DataError(
            f"{where} holds no ratings (no data rows). Check that you picked the right file and "
            "that it has one rating per line."
        )
    users = _ids(frame["user"], "user", raw)
    movies = _ids(frame["movie"], "movie", raw)
    if raw.importing:
        _refuse_label_rows(users, movies, raw)
    ratings = _ratings(frame["rating"], raw)
    timestamps = _timestamps(frame, raw)
    warnings = list(raw.warnings)  # after the readers above added their notices
    zero = _zero_ratings(ratings, raw, warnings)
    if zero is not None:  # "not rated" rows (Goodreads' 0): dropped before the scale is read
        users, movies, ratings, timestamps = (
            users[zero],
            movies[zero],
            ratings[zero],
            timestamps[zero],
        )
        raw.keep_rows(zero)
        if not len(ratings):
            raise DataError(
                f"{where} holds no ratings once its ratings of 0 ('not rated') are dropped."
            )
    scale = raw.scale
    if scale is None:
        scale = infer_scale(ratings)
        outlying = _outlying(ratings, scale)
        if raw.importing and outlying is not None:
            _refuse_far_outliers(ratings, scale, outlying, raw)
        warnings = _with_scale_notices(warnings, scale_notices(ratings, scale, raw, outlying))
    bad = scale.bad_positions(ratings)
    if len(bad):
        values = ", ".join(f"{ratings[p]:g}" for p in bad[:SHOW_ROWS])
        past = (ratings[bad] < scale.min - 1e-6) | (ratings[bad] > scale.max + 1e-6)
        what = (
            "outside the scale" if past.all() else "between the steps of the scale"
            if not past.any() else "outside or between the steps of the scale"
        )  # fmt: skip
        raise DataError(
            f"{where}: {len(bad):,} rating(s) {what} {scale.describe()} "
            f"(column {raw.column('rating')}, {raw.lines(bad)}: {values}). Fix those rows, "
            "or declare the scale your data uses (a step of 0 takes any value from min to max) "
            f"{HOW_TO_DECLARE.format('(min, max, step)')}."
        )
    if note := float32_note(ratings, scale):
        warnings.append(note)
    if raw.importing and (note := merged_scales_note(users, ratings, where)):
        warnings.append(note)
    user_idx, user_ids = encode_ids(users)
    movie_idx, movie_ids = encode_ids(movies)
    keep = _deduplicate(user_idx, movie_idx, movie_ids, timestamps, raw, duplicates, warnings)
    if keep is not None:
        user_idx, movie_idx = user_idx[keep], movie_idx[keep]
        ratings, timestamps = ratings[keep], timestamps[keep]
    warnings += twin_notices(user_idx, movie_idx, ratings, user_ids, where, movie_ids)
    if len(user_ids) == 1:  # bad-input round 23: one person's export trained a "model"
        warnings.append(ONE_USER.format(where=where, user=user_ids[0]))
    table = pd.DataFrame(
        {
            "user_idx": user_idx,
            "movie_idx": movie_idx,
            "rating": ratings.astype(np.float32, copy=False),
            "timestamp": timestamps,
        },
        copy=False,
    )
    # recounted below: a stored copy's own notice of it may be an older rule's (views round 40)
    warnings = [w for w in warnings if _NOT_LISTED not in w]
    if raw.movies is not None and len(raw.movies):
        raw.movies = _item_ids_like(raw.movies, movie_ids, warnings)
        repeated = raw.movies["movie_id"].duplicated(keep="first").to_numpy()
        if repeated.any():
            shown = ", ".join(str(v) for v in raw.movies["movie_id"][repeated].iloc[:SHOW_ROWS])
            warnings.append(
                f"The movies file lists {int(repeated.sum()):,} movie id(s) more than once "
                f"({shown}); the first row of each is used, the others are ignored."
            )
    movies_df, missing = movies_table(
        movie_ids, movie_idx, ratings, raw.movies, keep_apart=not raw.lists_films_twice
    )
    warnings += same_title_notice(movies_df, "The movies file")
    if missing and raw.movies is not None:
        warnings.append(
            f"{missing:,}{_NOT_LISTED}; they are titled "
            "'movie <id>' and have no year or genres." + _spelled_apart(movie_ids, raw.movies)
        )
    ds = RatingsDataset(
        name=name,
        ratings=table,
        movies=movies_df,
        user_ids=user_ids,
        movie_ids=movie_ids,
        rating_scale=scale,
        fingerprint=fingerprint(table, user_ids, movie_ids),
        catalog=dict(raw.catalog),
        warnings=list(dict.fromkeys(warnings)),  # a re-read saved set repeats its own notices
        # a saved upload is re-read with its scale, but keeps the notice that it was inferred
        scale_inferred=raw.scale is None or any(w.startswith(SCALE_NOTE) for w in warnings),
    )
    ds.pairs_are_unique()  # _deduplicate dropped the repeats
    ds.official_splits = {
        split_name: _official_split(ds, split_name, train, valid)
        for split_name, (train, valid) in raw.official.items()
    }
    return ds


_NOT_LISTED = " rated movie(s) are not in the movies file"
#: What a dataset of one user's ratings is told: a model learns from many people's ratings.
ONE_USER = (
    "{where}: every rating is by one user (user {user}). A model learns how tastes differ from "
    "many people's ratings, so one person's cannot train a useful one. To get recommendations "
    "for your own taste, train a model on a shared dataset (ml-latest-small, for example) and "
    "rate movies on the Rate movies page; to train on your file, merge it with other people's "
    "ratings, with a user column saying whose each row is."
)
#: How a user has ratings of 0 dropped as "not rated" on each surface.
HOW_TO_DROP_ZERO = (
    "Home: 'Options: columns, text encoding, rating scale', ratings of 0: drop; CLI: datasets "
    "FILE --name NAME --zero-ratings drop; Python: from_csv(..., zero_ratings='drop')"
)


def _zero_ratings(ratings: np.ndarray, raw: RawData, warnings: list[str]) -> np.ndarray | None:
    """Which rows to keep when ratings of 0 mean "not rated" (``raw.zero_unrated``, or an
    export known to write 0 so: Goodreads), with a notice; else None. When it is not known and
    the 0s sit below whole-number ratings from 1 up, a notice says they may mean "not rated"
    (bad-input round 23: Goodreads' 0s became real ratings and widened the scale to 0-5)."""
    zeros = ratings == 0
    if raw.zero_unrated is False or not zeros.any():
        return None
    positions = np.flatnonzero(zeros)
    if raw.zero_unrated:
        why = f" ({raw.zero_why})" if raw.zero_why else ""
        warnings.append(
            f"{raw.ratings_file}: dropped {len(positions):,} rating(s) of 0{why}, which mean "
            f"'not rated' ({raw.lines(positions)}). To keep them as ratings, import with "
            "zero_ratings='keep' (CLI: --zero-ratings keep; Home: ratings of 0: keep)."
        )
        return ~zeros
    others = ratings[~zeros]
    if raw.scale is not None or not len(others) or others.min() < 1 or others.max() < 3:
        return None  # 0 and 1 alone: a dislike / like scale
    if not _on_steps(others, 0.0, 1.0):
        return None
    warnings.append(
        f"{raw.ratings_file}: {len(positions):,} rating(s) are 0 ({raw.lines(positions)}), "
        f"below the others' {others.min():g}-{others.max():g}. In Goodreads and Amazon exports "
        f"0 means 'not rated': if it does here, import the file again with them dropped "
        f"({HOW_TO_DROP_ZERO})."
    )
    return None


def _with_scale_notices(warnings: list[str], notices: list[str]) -> list[str]:
    """``warnings`` with ``notices`` in place of any earlier scale notices (a saved upload whose
    scale is inferred again), else after them."""
    at = next((i for i, w in enumerate(warnings) if is_scale_notice(w)), len(warnings))
    before = [w for w in warnings[:at] if not is_scale_notice(w)]
    return before + notices + [w for w in warnings[at:] if not is_scale_notice(w)]


def encode_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous int32 codes for ``ids`` and the sorted unique ids (code -> original id;
    int64 for integer ids, object for text ids)."""
    if ids.dtype.kind in "iu" and len(ids):
        lo, hi = int(ids.min()), int(ids.max())
        if lo >= 0 and hi < 4 * len(ids) + 1_000_000:  # dense enough for a lookup table
            present = np.zeros(hi + 1, dtype=bool)
            present[ids] = True
            uniques = np.flatnonzero(present).astype(np.int64)
            lookup = np.cumsum(present, dtype=np.int32) - 1
            return lookup[ids], uniques
        uniques, codes = np.unique(ids, return_inverse=True)
        return codes.astype(np.int32), uniques.astype(np.int64)
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int32), np.asarray(uniques, dtype=object)


COMMON_SCALES = (
    RatingScale(1.0, 5.0, 1.0),
    RatingScale(0.5, 5.0, 0.5),
    RatingScale(0.0, 5.0, 0.5),
    RatingScale(1.0, 10.0, 1.0),
    RatingScale(0.0, 10.0, 0.5),
)
"""Well-known scales: taken when the data uses one's step and top value (:func:`infer_scale`),
and offered when a few outlying ratings set the inferred scale (:func:`scale_notices`)."""
#: Whole numbers from 0 up that reach 100 are scores out of 100, whatever their lowest (10, 20,
#: ... 100 read 10-100 before: fuzz round 8); lower ones keep their own range (a 1-20 grade is
#: no percent: recheck).
PERCENT = RatingScale(0.0, 100.0, 1.0)
#: Steps tried, coarsest first, for the step the ratings use (none fits: any value).
STEPS = (1.0, 0.5, 0.1)


def infer_scale(ratings: np.ndarray) -> RatingScale:
    """The tightest scale the ratings support: their lowest to highest value in the coarsest
    step (1, 0.5, 0.1 or none) they all sit on; a common scale (:data:`COMMON_SCALES`,
    :data:`PERCENT`) instead only when the data uses its step and its top value and leaves
    only low values unused (half stars with no 0.5 are still 0.5-5: people rate what they
    like). Accuracy round 16: common scales were tried first, so 1-7 ratings became 1-10 and
    0-5 whole numbers half stars."""
    lo, hi = float(ratings.min()), float(ratings.max())
    if lo == hi:  # one value: no range to read; the first common scale holding it
        fits = [s for s in COMMON_SCALES if not len(s.bad_positions(ratings[:1]))]
        return fits[0] if fits else RatingScale(lo, lo + 1.0, 1.0)
    step = next((s for s in STEPS if _on_steps(ratings, lo, s)), 0.0)
    if step == 1.0 and lo >= 0 and hi == PERCENT.max:
        return PERCENT
    for common in COMMON_SCALES:
        if (
            common.step == step
            and common.max == hi
            and common.min <= lo
            and _on_steps(ratings, common.min, step)
        ):
            return common
    return RatingScale(lo, hi, step)


def _on_steps(ratings: np.ndarray, start: float, step: float) -> bool:
    """True when every rating is ``start`` plus a whole number of ``step``."""
    steps = (ratings.astype(np.float64, copy=False) - start) / step
    return bool(np.all(np.abs(steps - np.round(steps)) <= 1e-4))


OUTLIER_SHARE = 0.001
OUTLIER_ROWS = 5
"""A scale set by fewer than max(OUTLIER_ROWS, OUTLIER_SHARE * n) ratings is flagged."""


#: How the notice of an inferred scale starts (a saved upload is known by it: re-read, its scale
#: is inferred again, so an import before accuracy round 16 loses its 1-10 for 1-7 ratings).
SCALE_NOTE = "Rating scale inferred as"
#: How the notice of a scale set by a few outlying ratings reads in its middle.
OUTLIER_NOTE = "was inferred only because of"
#: At most this many distinct values are listed one by one in the inferred scale's notice.
SHOW_VALUES = 12


def values_seen(ratings: np.ndarray) -> str:
    """The distinct values of ``ratings`` in words: ``"whose ratings are 1, 2, 3"``, or a count
    and range when there are more than :data:`SHOW_VALUES`."""
    values = np.unique(ratings)
    if len(values) > SHOW_VALUES:
        return f"whose ratings take {len(values):,} values from {values[0]:g} to {values[-1]:g}"
    return f"whose ratings are {', '.join(f'{v:g}' for v in values)}"


def is_scale_notice(notice: str) -> bool:
    """True for the notices :func:`scale_notices` writes (not kept when a scale is inferred
    again)."""
    return notice.startswith(SCALE_NOTE) or OUTLIER_NOTE in notice


def scale_notices(
    ratings: np.ndarray,
    scale: RatingScale,
    raw: RawData,
    outlying: tuple[RatingScale, np.ndarray] | None,
) -> list[str]:
    """What :func:`build_dataset` records about an inferred scale: which scale and how, and
    a warning when a handful of ``outlying`` ratings set it (values, lines, how to declare
    one)."""
    notices = [
        f"{SCALE_NOTE} {scale.min:g}{' to ' if scale.min < 0 else '-'}{scale.max:g}"
        + (f" (step {scale.step:g})" if scale.step else " (any value)")
        + f" from the data, {values_seen(ratings)}; declare another "
        f"{HOW_TO_DECLARE.format('(min, max, step)')}."
    ]
    n = len(ratings)
    if outlying is not None:
        bulk, outside = outlying
        values = ", ".join(f"{ratings[p]:g}" for p in outside[:SHOW_ROWS])
        notices.append(
            f"{raw.ratings_file}: the scale {scale.describe()} {OUTLIER_NOTE} "
            f"{len(outside):,} outlying rating(s) ({raw.lines(outside)}: "
            f"{values}); all {n - len(outside):,} other ratings fit {bulk.describe()}. If that "
            f"is your scale, fix those rows or declare it "
            f"{HOW_TO_DECLARE.format(f'({bulk.min:g}, {bulk.max:g}, {bulk.step:g})')} so they "
            "are reported as errors."
        )
    return notices


def merged_scales_note(users: np.ndarray, ratings: np.ndarray, where: str) -> str:
    """A warning when the users fall in two groups on disjoint scales: some rate in half steps
    up to a top value no other user's half step passes, at least two others in whole steps
    above it (bad-input round 56, F3: Letterboxd's 0.5-5 merged with IMDb's 1-10 became one
    0-10 scale without a word); "" otherwise, as on MovieLens' own sets."""
    codes, _ = pd.factorize(users)
    per_user = pd.DataFrame(
        {"user": codes, "rating": ratings, "half": np.abs(ratings - np.round(ratings)) > 1e-6}
    ).groupby("user")
    low, high = per_user["rating"].min(), per_user["rating"].max()
    halves = per_user["half"].any()
    if halves.sum() < 2:
        return ""
    top = float(high[halves].max())  # the half-step users' highest rating
    whole = ~halves & (high > top)
    if whole.sum() < 2:
        return ""
    return (
        f"{where}: {int(halves.sum()):,} user(s) rate in half steps from "
        f"{low[halves].min():g} to {top:g} and no higher, {int(whole.sum()):,} other(s) in "
        f"whole steps up to {high[whole].max():g}: two rating scales merged (Letterboxd's "
        "0.5-5 beside IMDb's 1-10?)? A model reads them as one scale, where one group's top "
        "rating is the other's middle. Rescale one group before importing (IMDb's 1-10 halved "
        "is 0.5-5), or import each as a dataset of its own."
    )


def _outlying(ratings: np.ndarray, scale: RatingScale) -> tuple[RatingScale, np.ndarray] | None:
    """(the scale, the positions of the ratings outside it) when all but a handful of
    ``ratings`` fit a scale other than the inferred ``scale``; None when none does."""
    n = len(ratings)
    threshold = max(OUTLIER_ROWS, OUTLIER_SHARE * n)
    best: tuple[RatingScale, np.ndarray] | None = None
    # the data's own bulk first, then the common scales (recheck s30: one 10 among 1-7
    # ratings made the scale 1-10 unflagged, since 1-7 is no common scale)
    for bulk in (*_bulk_scales(ratings, scale, threshold), *COMMON_SCALES):
        outside = bulk.bad_positions(ratings)
        few = 0 < len(outside) < threshold and len(outside) <= 0.01 * n
        if few and (best is None or len(outside) < len(best[1])):
            best = (bulk, outside)
    return best


#: Bad-input round 36, F3: a handful of ratings that make the inferred scale more than this
#: many times as wide as the scale all other ratings fit are refused at import. A 5-point
#: scale's ratings beside a 10-point one's widen it 2.1-2.25 times (0.5-5 or 1-5 with 10s),
#: 1-7 with a 10 1.5 times: noted, as before. A lost decimal point (45 for 4.5) widens 0.5-5
#: 9.9 times, a spreadsheet's totals row (30512.5) 6,780 times: no model trains on that.
FAR_OUTLIERS = 3.0


def _refuse_far_outliers(
    ratings: np.ndarray,
    scale: RatingScale,
    outlying: tuple[RatingScale, np.ndarray],
    raw: RawData,
) -> None:
    """DataError when the handful of ``outlying`` ratings widen ``scale`` more than
    :data:`FAR_OUTLIERS` times the scale the others fit."""
    bulk, outside = outlying
    wide = (scale.max - scale.min) / (bulk.max - bulk.min)
    if wide <= FAR_OUTLIERS:
        return
    values = ", ".join(f"{ratings[p]:g}" for p in outside[:SHOW_ROWS])
    raise DataError(
        f"{raw.ratings_file}: {len(outside):,} rating(s) ({raw.lines(outside)}: {values}) alone "
        f"would make the rating scale {scale.describe()}, {wide:,.0f} times as wide as "
        f"{bulk.describe()}, which all {len(ratings) - len(outside):,} other ratings fit, and "
        "no model learns from such a scale. A totals row or a typo? Delete or fix those lines "
        "and import again; if they are real ratings, declare the scale your data uses "
        f"{HOW_TO_DECLARE.format('(min, max, step)')}."
    )


def _refuse_label_rows(users: np.ndarray, movies: np.ndarray, raw: RawData) -> None:
    """DataError when a handful of rows have words for both ids where every other row has
    numbers (``Total,All,30512.5``, ``Average,All,3.49``): a spreadsheet's totals or notes
    line, not a rating. One word column alone is a merge (user 'me' beside numbered users)."""
    if users.dtype.kind != "O" or movies.dtype.kind != "O":
        return
    user_words, movie_words = (
        _decimal(pd.Series(ids)).isna().to_numpy() for ids in (users, movies)
    )
    both = user_words & movie_words
    count, n = int(both.sum()), len(users)
    if not count or (user_words != both).any() or (movie_words != both).any():
        return
    if count >= max(OUTLIER_ROWS, OUTLIER_SHARE * n) or count * 20 > n:
        return  # as many as that: text ids of their own (two data sets merged)
    at = np.flatnonzero(both)
    cells = raw.ratings["rating"].iloc[at]
    if _decimal(pd.Series(cells.to_numpy())).isna().any():  # words for a rating too: a header
        return  # repeated mid-file, which the rating column's check names (the recheck)
    rating = raw.ratings["rating"].iloc[at[0]]
    rating = f"{rating:g}" if isinstance(rating, float) else _short(rating)
    raise DataError(
        f"{raw.ratings_file}: {count:,} row(s) ({raw.lines(at)}; the first: {users[at[0]]!r}, "
        f"{movies[at[0]]!r}, {rating}) have words for both the user and the movie id, where "
        f"all {n - count:,} other rows have numbers: a totals or notes line a spreadsheet "
        "added, not a rating. Delete those lines and import again; if they are ratings, write "
        "every id in those columns as a label (a letter in front of each id will do)."
    )


def _bulk_scales(ratings: np.ndarray, scale: RatingScale, threshold: float) -> list[RatingScale]:
    """Scales the ratings but a few would be inferred as, unlike ``scale``: without a few
    values beyond a gap at either end (one 10 among 1-7 ratings: 8 and 9 unused), or without
    a few off the coarser step the others sit on (one 3.5 among whole numbers)."""
    values, counts = np.unique(ratings.astype(np.float64, copy=False), return_counts=True)
    few = min(threshold, 0.01 * len(ratings) + 1)
    kept = [(0, len(values))]  # [lo, hi) ranges of values kept
    for end in ("top", "bottom"):
        for lo, hi in list(kept):
            dropped = 0
            while hi - lo > 2:
                i = hi - 1 if end == "top" else lo
                dropped += counts[i]
                if dropped >= few:
                    break
                lo, hi = (lo, hi - 1) if end == "top" else (lo + 1, hi)
                inner = values[lo:hi]
                step = next((s for s in STEPS if _on_steps(inner, inner[0], s)), 0.0)
                gap = values[i] - inner[-1] if end == "top" else inner[0] - values[i]
                if step and gap > step * 1.5:  # at least one step value unused between
                    kept.append((lo, hi))
    bulks = [infer_scale(values[lo:hi]) for lo, hi in kept[1:]]
    for step in STEPS:
        if scale.step and step <= scale.step:
            continue
        base = values[np.argmax(counts)]
        on = np.abs((values - base) / step - np.round((values - base) / step)) <= 1e-4
        if on.sum() >= 2 and counts[~on].sum() < few:
            bulks.append(infer_scale(values[on]))
    return [b for b in bulks if b != scale]


def fingerprint(ratings: pd.DataFrame, user_ids: np.ndarray, movie_ids: np.ndarray) -> str:
    """16 hex chars: hash of every rating (user, movie, rating, timestamp) and both id maps."""
    h = hashlib.blake2b(digest_size=8)
    for column, dtype in (
        ("user_idx", np.int32),
        ("movie_idx", np.int32),
        ("rating", np.float32),
        ("timestamp", np.int64),
    ):
        h.update(np.ascontiguousarray(ratings[column].to_numpy(dtype=dtype)).data)
    for ids in (user_ids, movie_ids):
        if ids.dtype.kind in "iu":
            h.update(np.ascontiguousarray(ids.astype(np.int64)).data)
        else:
            h.update("\x00".join(map(str, ids)).encode())
    return h.hexdigest()


def _ids(column: pd.Series, what: str, raw: RawData) -> np.ndarray:
    """Ids as integers when they are whole numbers, else as str; missing ids raise."""
    values = column.to_numpy()
    if values.dtype.kind in "iu":  # integer columns cannot hold missing values
        _id_range_error((values > MAX_NUMERIC_ID) | (values < -MAX_NUMERIC_ID), column, what, raw)
        return values
    text = column.astype(str).str.strip()
    missing = np.flatnonzero(column.isna().to_numpy() | (text == "").to_numpy())
    if len(missing):
        raise DataError(
            f"{raw.ratings_file}: {len(missing):,} row(s) have no {what} id in column "
            f"{raw.column(what)} ({raw.lines(missing)}). Every rating needs a {what} id; "
            "remove or fill those rows."
        )
    if raw.ids_as_stored:
        return text.to_numpy(dtype=object)
    if values.dtype.kind == "O":  # the file's own text: how each id is written
        check_scientific_ids(text, raw.ratings_file, raw.column(what), what, raw.lines)
    if values.dtype.kind == "f":
        _check_id_range(values, column, what, raw)
        if (values == np.round(values)).all():
            return values.astype(np.int64)
    grouped_ids = digit_grouped(text)
    if grouped_ids is not None:  # bad-input round 15: '1.234' and '1,234' ids became text
        numbers, separator = grouped_ids
        example = int(np.flatnonzero(text.str.contains(separator, regex=False).to_numpy())[0])
        raw.warnings.append(
            f"{raw.ratings_file}: the {what} ids are written with {separator!r} between groups of "
            f"three digits (as spreadsheets show numbers; line {raw.line(example)}: "
            f"{text.iloc[example]!r}), so they are read as whole numbers ({numbers[example]})."
        )
        return numbers
    numeric = _decimal(text)
    unreadable = numeric.isna().to_numpy()
    if unreadable.any() and text[unreadable].str.fullmatch(_NUMBER).all():
        # numbers pandas cannot hold (a 200,000-digit id): too large, not a label
        _check_id_range(np.where(unreadable, np.inf, 0.0), column, what, raw)
    if numeric.notna().all():
        too_long = beyond_exact_ids(text)
        if too_long.any():  # 2**53 + 1 reads as 2**53 once parsed: judged on its digits
            with np.errstate(invalid="ignore"):
                too_long |= np.abs(numeric.to_numpy(dtype=np.float64)) > MAX_NUMERIC_ID
            _id_range_error(too_long, text, what, raw)  # quoting the file's text, not 1e16.0
        if numeric.dtype.kind in "fu":
            _check_id_range(numeric.to_numpy(dtype=np.float64), text, what, raw)
        if (numeric == numeric.round()).all():
            _notice_spellings(text, numeric, what, raw)
            return numeric.to_numpy(dtype=np.int64)
    # ids read as text, though some are numbers (exactly stored ones: 2**53 + 1 is not)
    # bad-input round 60, F4: 2**53 itself is a whole number the range check accepts
    exact = (numeric.abs() <= MAX_NUMERIC_ID).to_numpy(dtype=bool, na_value=False)
    exact = exact & ~beyond_exact_ids(text)
    if exact.any():
        other = text[~(exact & (numeric == numeric.round()).to_numpy(dtype=bool, na_value=False))]
        why = (
            f"{other.iloc[0]!r} is not written as a whole number"
            if len(other)
            else "some are not numbers"
        )
        # digit groups ('1,000', '1_000') count as that number here: a spreadsheet that shows
        # separators on some cells made two movies of one without a word (round 10)
        grouped = _decimal(_ascii_digits(text).str.replace(_DIGIT_GROUP, "", regex=True))
        known = (grouped.abs() <= MAX_NUMERIC_ID).to_numpy(dtype=bool, na_value=False)
        known = known & ~beyond_exact_ids(text)
        _notice_spellings(text[known], grouped[known], what, raw, merged=False, why=why)
    return text.to_numpy(dtype=object)


def digit_grouped(text: pd.Series) -> tuple[np.ndarray, str] | None:
    """(the numbers, the separator) when every value of ``text`` is a whole number written
    with one thousands separator between groups of three digits where it has more than three
    (``1.234``, ``1,234``, ``1'234``, ``12 345``; ``7`` beside them), and some have one; else
    None. A column of ids never means the decimal ``1.234``. Not read this way: a mix
    (``1234`` beside ``1.234``, two separators), a first group with a leading zero (``0.125``,
    ``01.234``), and a column whose every value ends in ``.000`` (``7.000``: ids written with
    three decimals), which the decimal reading takes; ``1.000`` beside ``7`` is 1000 (recheck:
    only multiples of 1,000 were read as decimals, merging users 1 and 1000)."""
    values = text.to_numpy(dtype=str)
    for separator in _SEPARATORS:
        grouped = text.str.contains(separator, regex=False)
        if not grouped.any():
            continue
        pattern = f"-?(?:0|[1-9][0-9]{{0,2}}(?:{re.escape(separator)}[0-9]{{3}})*)"
        if not text.str.fullmatch(pattern).all():
            return None
        if separator == "." and grouped.all() and text.str.endswith(".000").all():
            return None
        numbers = np.char.replace(values, separator, "").astype(np.int64)
        return (numbers, separator) if (np.abs(numbers) < MAX_NUMERIC_ID).all() else None
    return None


#: The thousands separators spreadsheets write ('.' in German, Dutch, Italian ... locales).
_SEPARATORS = (",", ".", "'", "\u2019", " ", "\u00a0", "\u2009", "\u202f", "_")

#: A thousands separator between digit groups (``1,000``, ``1_000``, ``1 000``, the Swiss
#: ``1'000``, and the no-break and thin spaces of French-locale and SI writing): the
#: separators above but '.', for naming one number written two ways.
_DIGIT_GROUP = f"(?<=[0-9])[{''.join(re.escape(c) for c in _SEPARATORS if c != '.')}](?=[0-9]{{3}}(?:[^0-9]|$))"


def _ascii_digits(text: pd.Series) -> pd.Series:
    """``text`` with every Unicode decimal digit written as its ASCII digit (fullwidth ``７``,
    Arabic-Indic ``٧``): for naming one number written two ways, not for reading ids."""
    return text.map(
        lambda t: (
            "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in t)
            if not t.isascii()
            else t
        )
    )


def _notice_spellings(
    text: pd.Series,
    numbers: pd.Series,
    what: str,
    raw: RawData,
    merged: bool = True,
    why: str = "",
) -> None:
    """A notice when one number is written two ways (``007`` and ``7``): read as one id
    (``merged``), which the file may not mean, or as two, when the column's other ids make
    every id text (``7`` and ``7.0`` beside ``x1``), which it may not mean either."""
    # + 0.0: -0 and 0 are one number (round 10: merged without a notice)
    pairs = pd.DataFrame({"number": numbers.to_numpy() + 0.0, "text": text.to_numpy()})
    pairs = pairs.drop_duplicates()
    twice = pairs[pairs["number"].duplicated(keep=False)]
    if twice.empty:
        return
    count = twice["number"].nunique()
    first = [repr(t) for t in twice[twice["number"] == twice["number"].iloc[0]]["text"]]
    ways = {2: "two", 3: "three"}.get(len(first), f"{len(first):,}")
    both = (  # every spelling, not one pair of them (bad-input round 60, F4)
        f"{what} ids {', '.join(first[:-1])} and {first[-1]} are one number written {ways} ways"
    )
    more = f" ({count:,} numbers are written more than one way)" if count > 1 else ""
    if merged:
        raw.warnings.append(
            f"{raw.ratings_file}: {both}, so they count as one {what}{more}. If they are "
            f"different {what}s, give them ids that are not numbers (a letter in front of "
            "each id will do)."
        )
        return
    raw.warnings.append(
        f"{raw.ratings_file}: {both}, but they count as {ways} {what}s{more}: this column's ids "
        f"are read as text ({why}). If they are one {what}, write its id one way."
    )


# [0-9], not \d: a fullwidth '７' is a label, not a number pandas cannot read (it was refused
# as "too large for a numeric id", bad-input round 10)
_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_NON_FINITE = r"[+-]?(inf|infinity|nan)"


def _decimal(text: pd.Series) -> pd.Series:
    """``text`` as numbers where it is written in decimal (``4``, ``-3.5``, ``1e6``, or
    ``inf`` / ``nan``, which the range checks refuse), NaN elsewhere: never hex (``0x1F``)
    or digit separators (``1_000``)."""
    text = text.astype(str).str.strip()
    decimal = text.str.fullmatch(_NUMBER) | text.str.fullmatch(_NON_FINITE, case=False)
    return pd.to_numeric(text.where(decimal), errors="coerce")


MAX_NUMERIC_ID = 2**53
"""Numeric ids beyond this (or inf / NaN) are refused: they cannot be stored exactly."""


#: The smallest whole number Excel's General format writes in scientific notation (12 digits).
EXCEL_SCIENTIFIC = 1e11
#: A number in scientific notation (``1.23457E+14``; ``1,23457E+14`` in a German Excel).
_SCIENTIFIC = r"[+-]?[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+"


def check_scientific_ids(
    text: pd.Series, where: str, column: str, what: str, lines: Callable[[np.ndarray], str]
) -> None:
    """DataError when some id of ``text`` is written in scientific notation, as Excel shows a
    long number in a 'General' cell and saves it so (bad-input round 23: ten customers all
    '1.23457E+14' became one user without a word): the digits it dropped cannot be read back,
    so distinct ids may have become one. ``column`` is the file's name, ``lines`` names rows."""
    written = text.str.fullmatch(_SCIENTIFIC).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        size = np.abs(_decimal(text.str.replace(",", ".", regex=False)).to_numpy(dtype=np.float64))
    # from 12 digits on, as Excel's General format writes them (1e3 beside 1000 is merged with
    # a notice; beyond MAX_NUMERIC_ID the range check names them)
    mantissa = text.str.extract(r"^\s*[+-]?([0-9.,]+)[eE]", expand=False).str.replace(
        r"[.,]", "", regex=True
    )
    kept = mantissa.str.lstrip("0").str.len().to_numpy(dtype=np.float64, na_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lost = kept < np.floor(np.log10(size)) + 1  # fewer digits than the whole number has
    scientific = np.flatnonzero(
        written & lost & (size >= EXCEL_SCIENTIFIC) & (size <= MAX_NUMERIC_ID)
    )
    if not len(scientific):
        return
    shown = ", ".join(_short(text.iloc[p]) for p in scientific[:SHOW_ROWS])
    distinct = text.iloc[scientific].nunique()
    raise DataError(
        f"{where}: column {column} has {len(scientific):,} {what} id(s) written in scientific "
        f"notation ({lines(scientific)}: {shown}; {distinct:,} distinct value(s) among them), "
        "as Excel shows long numbers. Such a value keeps only the first few digits, so "
        f"different {what}s may read as one id. In the spreadsheet, format the id column as "
        "Text (or Number with 0 decimal places) before saving it as CSV, or export the file "
        "from its source again without opening it in Excel."
    )


def beyond_exact_ids(text: pd.Series) -> np.ndarray:
    """Which values of ``text`` are whole numbers written beyond :data:`MAX_NUMERIC_ID`, judged
    on their digits (a float reads 2**53 + 1 as 2**53: bad-input round 23)."""
    digits = text.str.extract(r"^\s*[+-]?0*([0-9]+)\s*$", expand=False)
    size = digits.str.len()
    limit = str(MAX_NUMERIC_ID)
    beyond = (size > len(limit)) | ((size == len(limit)) & (digits > limit))
    return np.array(beyond.to_numpy(dtype=bool, na_value=False))


def _check_id_range(values: np.ndarray, column: pd.Series, what: str, raw: RawData) -> None:
    with np.errstate(invalid="ignore"):
        _id_range_error(~np.isfinite(values) | (np.abs(values) > MAX_NUMERIC_ID), column, what, raw)


def _id_range_error(bad_mask: np.ndarray, column: pd.Series, what: str, raw: RawData) -> None:
    """DataError naming the rows of ``bad_mask`` (ids no numeric id can be)."""
    bad = np.flatnonzero(bad_mask)
    if len(bad):
        shown = ", ".join(_short(column.iloc[p]) for p in bad[:SHOW_ROWS])
        raise DataError(
            f"{raw.ratings_file}: column {raw.column(what)} has {len(bad):,} id(s) that are infinite, NaN "
            f"or too large for a numeric id (beyond {MAX_NUMERIC_ID:,}) "
            f"({raw.lines(bad)}: {shown}). Fix those rows; ids that are "
            "labels rather than numbers should contain a letter (e.g. 'u123')."
        )


def check_whole_ids(
    values: np.ndarray, shown: pd.Series, where: str, what: str, first_line: int
) -> None:
    """DataError naming the lines of ids that are infinite, NaN or beyond MAX_NUMERIC_ID (for
    the movies files, whose ids are converted to int64)."""
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > MAX_NUMERIC_ID))
    if len(bad):
        text = ", ".join(_short(shown.iloc[p]) for p in bad[:SHOW_ROWS])
        raise DataError(
            f"{where}: {len(bad):,} {what}(s) are infinite or too large for a numeric id (beyond "
            f"{MAX_NUMERIC_ID:,}) ({line_numbers(bad, first_line)}: {text}); fix those rows."
        )


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 30 else text[:24] + f"… ({len(text):,} characters)")


def float32_note(ratings: np.ndarray, scale: RatingScale) -> str | None:
    """A notice when storing ``ratings`` as float32 (7 significant digits) moves some by 1% of
    the scale's step or more (accuracy round 26: 999999.9 on a 0.001 step kept as 999999.875,
    said nowhere); None when every rating keeps its value, as on any usual scale."""
    if ratings.dtype == np.float32 or not scale.step or not len(ratings):
        return None
    moved = np.abs(ratings.astype(np.float32).astype(np.float64) - ratings)
    worst = int(np.argmax(moved))
    if moved[worst] < 0.01 * scale.step:
        return None
    count = int((moved >= 0.01 * scale.step).sum())
    stored = float(np.float32(ratings[worst]))
    return (
        f"{count:,} rating(s) cannot be kept exactly: movierate stores ratings with about 7 "
        f"significant digits, so {ratings[worst]:.10g} is kept as {stored:.10g}, "
        f"{moved[worst] / scale.step:.3g} steps of {scale.step:g} off. Rescale the ratings "
        "(for example divide them by 1,000, with a scale to match) to keep every step."
    )


def _ratings(column: pd.Series, raw: RawData) -> np.ndarray:
    values = column.to_numpy()
    if values.dtype.kind not in "fiu":
        blank = column.isna() | (column.astype(str).str.strip() == "")
        column = decimal_comma(column, raw)
        numeric = _decimal(column).to_numpy(dtype=np.float64)
        bad = np.flatnonzero(np.isnan(numeric) & ~blank.to_numpy())
        if len(bad):
            shown = ", ".join(repr(str(column.iloc[p])) for p in bad[:SHOW_ROWS])
            words = {str(column.iloc[p]).strip().casefold() for p in bad}
            name = raw.columns.get("rating", "").strip().casefold()
            if words == {name}:  # bad-input round 56, F6: however many, spaces or not
                raise DataError(
                    f"{raw.ratings_file}: column {raw.column('rating')} holds its own name on "
                    f"{len(bad):,} line(s) ({raw.lines(bad)}: {shown}): the header line "
                    f"repeated mid-file {len(bad):,} time(s) (exports pasted together?). "
                    "Delete those lines and import again."
                )
            header = (
                " A word where a rating belongs on so few lines is most likely a header line "
                "repeated mid-file (two exports pasted together?): delete those lines."
                if len(bad) <= SHOW_ROWS and len(words) == 1 and re.search("[a-z]", *words)
                else ""
            )
            raise DataError(
                f"{raw.ratings_file}: column {raw.column('rating')} has {len(bad):,} non-numeric value(s) "
                f"({raw.lines(bad)}: {shown}). Ratings must be numbers such "
                f"as 4 or 3.5; fix those rows or map the right column to 'rating'.{header}"
            )
        values = numeric
    values = values.astype(np.float32 if values.dtype == np.float32 else np.float64, copy=False)
    with np.errstate(invalid="ignore"):
        missing = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > MAX_RATING))
    if len(missing):
        raise DataError(
            f"{raw.ratings_file}: column {raw.column('rating')} is empty, NaN, infinite or absurdly large "
            f"(beyond ±{MAX_RATING:g}) in {len(missing):,} row(s) "
            f"({raw.lines(missing)}). Every row needs a numeric rating; "
            "remove or fill those rows."
        )
    return values


_DECIMAL_COMMA = r"[+-]?\d+,\d+"


def decimal_comma(column: pd.Series, raw: RawData) -> pd.Series:
    """``column`` with decimal commas (``4,5``, as European spreadsheets write ratings) turned
    into points when every value that is not a plain number is written that way; a notice in
    ``raw.warnings`` says so. Otherwise ``column`` unchanged (its bad values are then reported)."""
    text = column.astype(str).str.strip()
    comma = text.str.fullmatch(_DECIMAL_COMMA).to_numpy(dtype=bool)
    usable = comma | _decimal(column).notna().to_numpy() | column.isna().to_numpy()
    if not comma.any() or not (usable | (text == "").to_numpy()).all():
        return column
    raw.warnings.append(
        f"{raw.ratings_file}: {int(comma.sum()):,} rating(s) use a decimal comma "
        f"({raw.lines(np.flatnonzero(comma))}: "
        f"{', '.join(repr(v) for v in text[comma].iloc[:SHOW_ROWS])}); read as decimal numbers "
        f"({text[comma].iloc[0].replace(',', '.')}, ...)."
    )
    return text.where(~comma, text.str.replace(",", ".", regex=False)).where(column.notna())


def _timestamps(frame: pd.DataFrame, raw: RawData) -> np.ndarray:
    """Seconds since 1970 as int64 (0 everywhere when there is no timestamp column)."""
    if "timestamp" not in frame:
        return np.zeros(len(frame), dtype=np.int64)
    column = frame["timestamp"]
    values = column.to_numpy()
    if values.dtype.kind == "i":
        values = values.astype(np.int64, copy=False)
        dates = _compact_dates(values, raw)
        if dates is None:
            dates = _excel_days(values.astype(np.float64), raw)
        if dates is not None:
            return dates
        factor = _unit(values, raw)
        values = values // factor if factor > 1 else values
        out = (values > MAX_TIMESTAMP) | (values < -MAX_TIMESTAMP)  # np.abs wraps at -2**63
        _check_timestamps(column, out, raw)
        _check_placeholders(values, raw)
        return values
    if values.dtype.kind == "M":  # dates the reader already parsed
        seconds = values.astype("datetime64[s]")
        _check_timestamps(column, np.isnat(seconds), raw)
        return seconds.astype(np.int64)
    numeric = column if values.dtype.kind in "fiu" else _decimal(column)
    if numeric.isna().any() and values.dtype.kind not in "fiu":
        parsed = _dates(column, raw)
        if parsed is not None:  # via numpy: pandas' nanoseconds end in 1677 and 2262
            seconds = parsed.dt.tz_convert(None).to_numpy().astype("datetime64[s]")
            bad = np.isnat(seconds) | ~(np.abs(seconds.astype(np.int64)) <= MAX_TIMESTAMP)
            _check_timestamps(column, bad, raw)
            return seconds.astype(np.int64)
    seconds = numeric.to_numpy(dtype=np.float64)
    days = _excel_days(seconds, raw)
    if days is not None:
        return days
    factor = _unit(seconds, raw)
    seconds = seconds / factor if factor > 1 else seconds
    with np.errstate(invalid="ignore"):
        bad = numeric.isna().to_numpy() | ~(np.abs(seconds) <= MAX_TIMESTAMP)
    _check_timestamps(column, bad, raw)
    _check_placeholders(seconds, raw)
    return seconds.astype(np.int64)


#: Numeric timestamps within a day of 0 (1970-01-01) that lie this many seconds (30 years)
#: before the middle of their column are placeholders, not times (:func:`_check_placeholders`).
PLACEHOLDER_GAP = 30 * 365 * 86_400


def _check_placeholders(seconds: np.ndarray, raw: RawData) -> None:
    """DataError naming the rows when some numeric timestamps are within a day of 0 and over 30
    years before the column's middle: a 0, -1 or -999 for 'unknown' among real seconds
    (bad-input round 53, F1: imported as 1969/1970, so every split by time made them training
    rows, whenever they were made; the same slip in milliseconds was refused already). Real
    old dates (1965, a column wholly in 1906) are kept."""
    middle = float(np.median(seconds))
    near_zero = np.abs(seconds) <= 86_400
    odd = np.flatnonzero(near_zero & (seconds < middle - PLACEHOLDER_GAP))
    if not len(odd):
        return
    shown = ", ".join(f"{seconds[p]:.0f}" for p in odd[:SHOW_ROWS])
    year = np.datetime64(int(middle), "s").astype("datetime64[Y]")
    raise DataError(
        f"{raw.ratings_file}: column {raw.column('timestamp')} holds {len(odd):,} timestamp(s) "
        f"within a day of 0, 1 January 1970 ({raw.lines(odd)}: {shown}), over 30 years before the others "
        f"(their middle is in {year}). A 0 or -1 for 'unknown' is no time, and a split by time "
        "would make those rows training rows: fix or remove them, or leave the timestamp "
        "column out (no split by time is then possible)."
    )


MAX_TIMESTAMP = 10**12
"""Seconds since 1970 beyond ±10^12 (year ~33,000) are refused rather than wrapped around."""

MAX_SECONDS_GUESS = 10**11
"""A timestamp column whose largest value passes 10^11 (year ~5,100 in seconds) is read in
the unit (ms, µs or ns since 1970) that brings it below, when every value fits that unit."""

_UNITS = ((1000, "milliseconds"), (10**6, "microseconds"), (10**9, "nanoseconds"))


def _unit(values: np.ndarray, raw: RawData) -> int:
    """How many of its units make one second in a numeric timestamp column: 1000 when every
    value is milliseconds since 1970 after 1973 (JavaScript, Java exports; likewise µs, ns) and
    the largest are beyond the year 5000 as seconds (a notice says so), else 1."""
    every = values
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    if not len(values) or values.max() <= MAX_SECONDS_GUESS:
        return 1
    lo, hi = float(values.min()), float(values.max())
    for factor, unit in _UNITS:
        if hi / factor > MAX_SECONDS_GUESS:
            continue
        if lo >= factor * 10**8:
            raw.warnings.append(
                f"{raw.ratings_file}: the timestamps are read as {unit} since 1970 (as seconds "
                f"values up to {hi:.0f} would lie beyond the year 5000)."
            )
            return factor
        with np.errstate(invalid="ignore"):
            odd = np.flatnonzero(every < factor * 10**8)
        if len(odd) < len(every) / 2:  # most are in this unit (recheck 3: above 5% zeros the
            # whole column was read as seconds again)
            # nearly all in this unit: name the few that are not (round 11: one 0 for
            # "unknown" made 1990s milliseconds read as seconds, the year 24152, silently)
            shown = ", ".join(f"{every[p]:.0f}" for p in odd[:SHOW_ROWS])
            raise DataError(
                f"{raw.ratings_file}: column {raw.column('timestamp')} reads as {unit} since 1970 except "
                f"{len(odd):,} value(s) ({raw.lines(odd)}: {shown}), which "
                f"would be before 1973 in {unit}. Fix or remove those rows (a 0 for 'unknown' "
                "is no time), or give every timestamp in one unit."
            )
    with np.errstate(invalid="ignore"):
        beyond = np.flatnonzero(every > MAX_SECONDS_GUESS)
    if len(beyond) < len(every) / 2:  # a few typos among seconds: years past 5000 are no dates
        shown = ", ".join(f"{every[p]:.0f}" for p in beyond[:SHOW_ROWS])
        raise DataError(
            f"{raw.ratings_file}: column {raw.column('timestamp')} reads as seconds since 1970 except "
            f"{len(beyond):,} value(s) ({raw.lines(beyond)}: {shown}), which "
            "would be after the year 5000. Fix or remove those rows."
        )
    return 1  # mixed or out of range: the range check names the values


#: A timestamp that holds no date: a bare number (``1000``, ``2019``) or a time of day.
_NO_DATE = r"[+-]?\d+(?:\.\d*)?|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[aApP][mM])?"
#: Whole numbers that read as dates written YYYYMMDD (as seconds they would all fall in 1970).
_COMPACT_DATES = (19000101, 21001231)


def _compact_dates(values: np.ndarray, raw: RawData) -> np.ndarray | None:
    """Seconds since 1970 when every value of an integer timestamp column is a date written
    YYYYMMDD (20180924; a notice says so), else None."""
    lo, hi = _COMPACT_DATES
    if not len(values) or values.min() < lo or values.max() > hi:
        return None
    parsed = pd.to_datetime(pd.Series(values.astype(str)), format="%Y%m%d", errors="coerce")
    if parsed.isna().any():
        return None
    raw.warnings.append(
        f"{raw.ratings_file}: the timestamps are read as dates written YYYYMMDD "
        f"({values[0]} is {parsed.iloc[0]:%Y-%m-%d}), not as seconds since 1970 (which would "
        "put every rating in August 1970)."
    )
    return parsed.to_numpy().astype("datetime64[s]").astype(np.int64)


#: Spreadsheet day numbers (days since 1899-12-30, a time as the fraction) from 1954 to 2119:
#: as seconds since 1970 every one of them would fall on 1 January 1970.
_EXCEL_DAYS = (20_000, 80_000)
_EXCEL_EPOCH_DAY = 25_569  # 1970-01-01 as a spreadsheet day number


def _excel_days(values: np.ndarray, raw: RawData) -> np.ndarray | None:
    """Seconds since 1970 when every value of a numeric timestamp column is a spreadsheet day
    number (43839.5 is 2020-01-09 12:00; a notice says so), else None."""
    lo, hi = _EXCEL_DAYS
    if not len(values) or not np.isfinite(values).all():
        return None
    if values.min() < lo or values.max() > hi:
        return None
    seconds = np.round((values - _EXCEL_EPOCH_DAY) * 86_400).astype(np.int64)
    first = pd.Timestamp(int(seconds[0]), unit="s")
    raw.warnings.append(
        f"{raw.ratings_file}: the timestamps are read as spreadsheet day numbers ({values[0]:g} "
        f"is {first:%Y-%m-%d %H:%M}), as Excel writes dates, not as seconds since 1970 (which "
        "would put every rating on 1 January 1970). Export the column as dates to be sure."
    )
    return seconds


def _dates(column: pd.Series, raw: RawData) -> pd.Series | None:
    """Text dates as UTC times, or None when some value is no date. ISO dates first; then one
    format for the whole column, day-first or month-first; DataError when both readings fit
    every value yet differ (01/02/2020: 1 February or 2 January?), or when some values hold no
    date at all (a bare number or a time of day, which a parser would complete by guessing).
    Empty cells are NaT, left to the caller to name (bad-input round 56, F4: one blank made
    every good date of a Y/M/D column "unreadable")."""
    empty = (column.isna() | (column.astype(str).str.strip() == "")).to_numpy()
    if empty.all():
        return None
    if empty.any():  # read the others as if each blank held the first date given
        column = column.where(~empty, column[~empty].iloc[0])
        parsed = _dates(column, raw)
        return None if parsed is None else parsed.mask(empty)
    text = column.astype(str).str.strip()
    no_date = np.flatnonzero(text.str.fullmatch(_NO_DATE).to_numpy(dtype=bool))
    if len(no_date) == len(text):  # no date at all: numbers the caller's range check names
        return None
    if len(no_date):
        raise _timestamp_error(
            column,
            no_date,
            raw,
            "mixes dates with values that hold no date",
            ": a bare number or a time of day, which would be read as a guessed date. Write "
            "every timestamp as a date (2018-09-24 12:30) or every one as seconds since 1970.",
        )
    with catch_warnings():  # pandas warns when it falls back to guessing per value
        simplefilter("ignore")
        iso = pd.to_datetime(column, errors="coerce", utc=True, format="ISO8601")
        if iso.notna().all():
            _note_naive_times(text, raw)
            return iso
        readings = {
            dayfirst: pd.to_datetime(column, errors="coerce", utc=True, dayfirst=dayfirst)
            for dayfirst in (False, True)
        }
        readings = {k: v for k, v in readings.items() if v.notna().all()}
        if not readings:  # no one format: each value on its own, ISO dates as ISO
            readings = {
                dayfirst: iso.fillna(
                    pd.to_datetime(
                        column, errors="coerce", utc=True, format="mixed", dayfirst=dayfirst
                    )
                )
                for dayfirst in (False, True)
            }
            readings = {k: v for k, v in readings.items() if v.notna().all()}
    if not readings:
        return None
    month_first, day_first = readings.get(False), readings.get(True)
    order = _order_shown(text)
    if month_first is not None and day_first is not None:
        differ = np.flatnonzero((month_first != day_first).to_numpy())
        chosen = month_first if not len(differ) else None if order is None else readings[order]
        if chosen is None or (len(differ) and not _fields_agree(text, chosen, order)):
            raise _timestamp_error(
                column,
                differ,
                raw,
                "has dates that read both day-first and month-first",
                ", so their order is unknown. Write the dates as ISO (2020-02-01) or as seconds "
                "since 1970.",
            )
    else:
        chosen = month_first if month_first is not None else day_first
    short_year = ~text.str.contains(r"\d{4}").to_numpy(dtype=bool)  # no four-digit year
    future = short_year & (chosen > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).to_numpy()
    if future.any():  # recheck: '24.10.73' was read as 2073 (a two-digit year's pivot)
        rows = np.flatnonzero(future)
        raise _timestamp_error(
            column,
            rows,
            raw,
            f"has dates in the future once read ({text.iloc[rows[0]]!r} as "
            f"{chosen.iloc[rows[0]]:%Y-%m-%d})",
            ": no rating is made later than today. A two-digit year is read within 50 years of "
            "today, so write years with four digits (1973, not 73), or the dates as ISO "
            "(1973-10-24) or seconds since 1970.",
        )
    if order is not None:  # a guess, said (bad-input round 15: day-first dates were not)
        shown = np.flatnonzero(_shows_order(text, order).to_numpy())[0]
        raw.warnings.append(
            f"{raw.ratings_file}: column {raw.column('timestamp')} holds dates read "
            f"{'day' if order else 'month'}-first, the order its dates show (line "
            f"{raw.line(shown)}: {text.iloc[shown]!r} is "
            f"{chosen.iloc[shown]:%Y-%m-%d %H:%M} UTC)."
        )
    _note_naive_times(text, raw)
    return chosen


def _note_naive_times(text: pd.Series, raw: RawData) -> None:
    """Say once that times of day written without a UTC offset were read as UTC."""
    naive = text.str.contains(TIME_OF_DAY) & ~text.str.contains(ZONE.pattern)
    if naive.any():
        first = int(np.flatnonzero(naive.to_numpy(dtype=bool))[0])
        raw.warnings.append(naive_times_note(raw, first, text.iloc[first]))


def naive_times_note(raw: RawData, position: int, value: str) -> str:
    """The notice that times without a UTC offset (ratings row ``position`` holds ``value``)
    were read as UTC (bad-input round 28, F6: local times in the hour repeated when clocks go
    back were put in order silently)."""
    return (
        f"{raw.ratings_file}: column {raw.column('timestamp')} holds times without a UTC offset "
        f"(line {raw.line(position)}: {value!r}), read as UTC. If they are local times, write "
        "each with its offset (2021-11-07 01:30:00-04:00) or as seconds since 1970: local "
        "times in the hour that repeats when clocks go back cannot be put in order."
    )


#: A date that starts with its day and month in some order: ``30.07.00``, ``7/30/2000 6:45 PM``.
_DAY_MONTH = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}(?:[ T]|$)")
#: A time of day within a date: ``12:30``.
TIME_OF_DAY = r"\d{1,2}:\d{2}"
#: A time zone after a date (it may move the day in UTC): ``+02:00``, ``Z``, ``UTC``.
ZONE = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z|UTC|GMT)\s*$")


def _order_shown(text: pd.Series) -> bool | None:
    """True (day-first) or False (month-first) when dates whose first number is above 12 (or
    whose second is) show one order and none shows the other; None when the column does not
    start every date with a day and a month, shows both orders, or neither (bad-input round 15:
    ``7/30/2000 06:45 PM`` beside ``4/10/2001 08:39 PM`` was refused as ambiguous)."""
    if not text.str.match(_DAY_MONTH.pattern).all() or text.str.contains(ZONE.pattern).any():
        return None
    day_first, month_first = _shows_order(text, True).any(), _shows_order(text, False).any()
    return None if day_first == month_first else bool(day_first)


def _shows_order(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Which dates can only be read ``dayfirst`` (their day, above 12, where a month would be)."""
    fields = text.str.extract(_DAY_MONTH.pattern).astype(int)
    day, month = (fields[0], fields[1]) if dayfirst else (fields[1], fields[0])
    return (day > 12) & (month <= 12)


def _fields_agree(text: pd.Series, reading: pd.Series, dayfirst: bool) -> bool:
    """Whether ``reading`` put every date's written day and month where ``dayfirst`` says."""
    fields = text.str.extract(_DAY_MONTH.pattern).astype(int)
    day, month = (fields[0], fields[1]) if dayfirst else (fields[1], fields[0])
    return bool(
        (reading.dt.day.to_numpy() == day.to_numpy()).all()
        and (reading.dt.month.to_numpy() == month.to_numpy()).all()
    )


def _check_timestamps(column: pd.Series, bad_mask: np.ndarray, raw: RawData) -> None:
    bad = np.flatnonzero(bad_mask)
    if len(bad):
        raise _timestamp_error(
            column,
            bad,
            raw,
            f"has {len(bad):,} missing, unreadable or out-of-range value(s)",
            ". Use seconds since 1970 (at most 10^12) or ISO dates (2018-09-24 12:00:00), or "
            "leave the timestamp column out.",
        )


def _timestamp_error(
    column: pd.Series, rows: np.ndarray, raw: RawData, problem: str, fix: str
) -> DataError:
    """The error naming the timestamp ``problem`` of ``rows``: their lines and first values."""
    # bad-input round 53, F3: an empty cell was quoted as pandas' 'nan' or 'NaT'
    shown = ", ".join(
        "(empty)" if _is_missing(column.iloc[p]) else _short(column.iloc[p])
        for p in rows[:SHOW_ROWS]
    )
    return DataError(
        f"{raw.ratings_file}: column {raw.column('timestamp')} {problem} "
        f"({raw.lines(rows)}: {shown}){fix}"
    )


def _is_missing(value: object) -> bool:
    """Whether a cell ``value`` is pandas' stand-in for an empty cell (NaN, NaT, None, NA)."""
    return bool(np.all(pd.isna(value)))


def _item_ids_like(movies: pd.DataFrame, rated: np.ndarray, warnings: list[str]) -> pd.DataFrame:
    """``movies`` with its ids read by the rule that read the rated ones: when those are
    numbers, each items id that is a whole number becomes that number (``007`` is 7, ``1.234``
    1234 with a notice), else every id stays as written, so ``0001009532`` matches the ratings'
    ``0001009532`` (views round 40, F1: the items file's ids, digits only, were read as
    numbers beside ratings ids kept as text, and 981 books lost their titles)."""
    ids = movies["movie_id"]
    if rated.dtype.kind not in "iu" or ids.dtype.kind in "iuf":
        return movies
    text = ids.astype(str).str.strip()
    grouped = digit_grouped(text)
    if grouped is not None:  # bad-input round 15: '1.234' never matched the ratings' 1234
        numbers, separator = grouped
        warnings.append(
            f"The movies file's ids are written with {separator!r} between groups of three "
            "digits (as spreadsheets show numbers), so they are read as whole numbers."
        )
        return movies.assign(movie_id=numbers)
    numeric = _decimal(text)
    whole = (numeric == numeric.round()) & (numeric.abs() <= MAX_NUMERIC_ID)
    whole = whole.to_numpy(dtype=bool, na_value=False) & ~beyond_exact_ids(text)
    warnings += _respelled_ids(text[whole], numeric[whole].to_numpy(dtype=np.int64))
    if whole.all():
        return movies.assign(movie_id=numeric.to_numpy(dtype=np.int64))
    read = text.to_numpy(dtype=object)  # the others match no rated id: they are not numbers
    read[whole] = [int(v) for v in numeric[whole]]
    return movies.assign(movie_id=read)


def _respelled_ids(text: pd.Series, numbers: np.ndarray) -> list[str]:
    """A notice when items ids read as numbers are written otherwise than those numbers
    (``005`` for 5, ``6.0`` for 6): each matches the rated movie of that number (recheck 15a,
    F2: they were matched silently, while the README promises a notice for one number written
    two ways)."""
    plain = pd.Series(numbers, index=text.index).astype(str)
    differs = text != plain
    if not differs.any():
        return []
    count = int(differs.sum())
    shown = ", ".join(
        f"{t!r} for {n}" for t, n in zip(text[differs][:3], plain[differs][:3], strict=True)
    )
    return [
        f"The movies file writes {count:,} movie id(s) otherwise than as the plain number "
        f"({shown}); the ratings file's ids are numbers, so each is read as its number and "
        "matches the rated movie with that id. If they are different movies, give every id a "
        "letter in front in both files."
    ]


def _spelled_apart(movie_ids: np.ndarray, movies: pd.DataFrame) -> str:
    """A sentence naming rated movie ids that match no id of the movies file as written but
    are the same number as one (``2.0`` and ``2``: a float column beside whole ids, whose
    fractional ``1.5`` kept the ratings' ids text), with the fix; else "" (bad-input round 44,
    F4: only "N rated movies are not in the movies file" was said)."""
    rated = pd.Series(np.asarray(movie_ids, dtype=object)).astype(str).str.strip()
    listed = pd.Series(movies["movie_id"].to_numpy(dtype=object)).astype(str).str.strip()
    unmatched = rated[~rated.isin(set(listed))]
    spelled = dict(zip(_decimal(listed).to_numpy(), listed, strict=True))
    pairs = [
        (text, spelled[number])
        for text, number in zip(unmatched, _decimal(unmatched).to_numpy(), strict=True)
        if number in spelled
    ]
    if not pairs:
        return ""
    (ours, theirs), count = pairs[0], len(pairs)
    if movies["movie_id"].dtype.kind in "iu":  # stored so by an import before views round 40
        return (
            f" {count:,} of them {'is' if count == 1 else 'are'} listed there as a number: "
            f"movie id {ours!r} in the ratings file is {theirs!r} in the stored movies, as "
            "older imports read the movies file's ids, dropping leading zeros. Import both "
            "files again (replacing this dataset) to match the ids as written."
        )
    return (
        f" {count:,} of them {'is' if count == 1 else 'are'} one number written two ways: "
        f"movie id {ours!r} in the ratings file is {theirs!r} in the movies file, and ids "
        "are matched as written. Write each movie id the same way in both files (2, not 2.0) "
        "and import again."
    )


def _deduplicate(
    user_idx: np.ndarray,
    movie_idx: np.ndarray,
    movie_ids: np.ndarray,
    timestamps: np.ndarray,
    raw: RawData,
    policy: Duplicates,
    warnings: list[str],
) -> np.ndarray | None:
    """Row positions to keep when some (user, movie) pair repeats, else None (keep all)."""
    pairs = repeated_pairs(user_idx, movie_idx, len(movie_ids), timestamps)
    if pairs is None:
        return None
    kept, dropped = pairs
    if policy == "error":
        raise DataError(
            f"{raw.ratings_file}: {len(dropped):,} duplicate (user, movie) rating(s) "
            f"({raw.lines(dropped)} repeat an earlier pair). Remove them, or "
            "load with duplicates='keep_latest' to keep each pair's latest rating."
        )
    warnings.append(
        f"{raw.ratings_file}: dropped {len(dropped):,} duplicate (user, movie) rating(s), keeping "
        f"each pair's latest by timestamp (else the last row); dropped {raw.lines(dropped)}."
        + _remakes(user_idx, movie_idx, movie_ids, dropped, raw)
    )
    return kept


def _remakes(
    user_idx: np.ndarray,
    movie_idx: np.ndarray,
    movie_ids: np.ndarray,
    dropped: np.ndarray,
    raw: RawData,
) -> str:
    """A sentence when some dropped "duplicates" are films of one title whose year column
    differs (Dune 1984 and 2021 keyed by name: bad-input round 56, F7), else ""."""
    if raw.item_years is None:
        return ""
    name, years = raw.item_years
    positions = np.arange(len(user_idx))
    year = pd.Series(years[positions if raw.rows is None else raw.rows[positions]])
    apart = year.groupby([user_idx, movie_idx]).transform("nunique").to_numpy() > 1
    remade = dropped[apart[dropped]]
    if not len(remade):
        return ""
    titles = sorted({str(m) for m in movie_ids[movie_idx[remade]]})
    return (
        f" {len(remade):,} of them are not duplicates but films of one title whose {name!r} "
        f"differs ({', '.join(titles[:SHOW_ROWS])}): map a column that tells films apart (an "
        "id or URI) as the item."
    )


def _official_split(
    ds: RatingsDataset, name: str, train: pd.DataFrame, valid: pd.DataFrame
) -> Split:
    """The split as shipped: ``train`` rows at the pairs of the ``.base`` file, ``test`` rows at
    those of the ``.test`` file (no stop rows: :func:`make_split` carves them)."""
    ratings = ds.ratings
    key = ratings["user_idx"].to_numpy().astype(np.int64) * ds.n_movies
    key += ratings["movie_idx"].to_numpy()
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    parts = []
    for part_name, part in (("base", train), ("test", valid)):
        users = np.searchsorted(ds.user_ids, part["user"].to_numpy(dtype=ds.user_ids.dtype))
        movies = np.searchsorted(ds.movie_ids, part["movie"].to_numpy(dtype=ds.movie_ids.dtype))
        users = np.minimum(users, ds.n_users - 1)
        movies = np.minimum(movies, ds.n_movies - 1)
        wanted = users.astype(np.int64) * ds.n_movies + movies
        pos = np.minimum(np.searchsorted(sorted_key, wanted), len(sorted_key) - 1)
        found = (
            (ds.user_ids[users] == part["user"].to_numpy())
            & (ds.movie_ids[movies] == part["movie"].to_numpy())
            & (sorted_key[pos] == wanted)
        )
        if not found.all():
            raise DataError(
                f"Official split {name!r} ({part_name}) lists {int((~found).sum()):,} rating(s) "
                f"that are not in {ds.name}'s ratings file; the split files do not belong to "
                "these ratings. Re-extract the dataset from the official zip."
            )
        parts.append(np.unique(order[pos]).astype(np.int64))  # a pair listed twice is one row
    shared = np.intersect1d(parts[0], parts[1], assume_unique=True)
    if len(shared):
        raise DataError(
            f"Official split {name!r}: {name}.base and {name}.test share {len(shared):,} "
            f"rating(s), so training would see test ratings. Re-extract {name}.base and "
            f"{name}.test from the official zip, or choose a random split instead."
        )
    return official_split(name, parts[0], parts[1], len(ratings))
