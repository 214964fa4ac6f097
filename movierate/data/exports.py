"""One person's ratings as IMDb ("Your ratings" export) and Letterboxd (``ratings.csv``) write
them, matched to a data set's movies by identity (:func:`~movierate.data.identity.match_movies`:
the IMDb id where both sides have one, else title and year) and moved onto its rating scale in
a straight line (IMDb's 1-10 halved onto 0.5-5). Rate movies loads them (bad-input round 36,
F6: such an export was refused there, although the CLI and Home sent users to that page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from movierate.data.custom import ALIASES, _norm, service_export
from movierate.data.identity import IDENTITY_COLUMN, INVENTED_IDS, match_movies, movie_identities
from movierate.errors import DataError


@dataclass(frozen=True)
class Service:
    """How a service's export names its columns (lower case) and the scale of its ratings."""

    name: str
    rating: str
    lo: float
    hi: float
    title: str = "title"
    year: str = "year"
    imdb: str | None = None
    #: The columns that date each row, the one a rating was given by first.
    dates: tuple[str, ...] = ()


#: The exports read, by what :func:`~movierate.data.custom.service_export` calls them.
SERVICES = {
    "an IMDb ratings export": Service(
        "IMDb", "your rating", 1.0, 10.0, imdb="const", dates=("date rated",)
    ),
    "a Letterboxd export": Service(
        "Letterboxd", "rating", 0.5, 5.0, title="name", dates=("date", "watched date")
    ),
}


def export_service(columns: list[str]) -> Service | None:
    """The :class:`Service` whose export has these column names, or None."""
    return SERVICES.get(service_export(columns) or "")


def export_ratings(
    table: pd.DataFrame,
    service: Service,
    movies: pd.DataFrame,
    scale: tuple[float, float, float],
    dataset: str,
) -> tuple[dict[int, float], list[str]]:
    """The ratings of ``service``'s export ``table`` (text cells, lower-case column names) as
    {row of ``movies``: rating moved onto ``scale`` (lo, hi, step) in a straight line}, and
    sentences saying how they were moved and how many films were matched in ``dataset``.
    A film logged more than once (a diary's rewatch) counts once, with its latest rating.
    DataError when a column it needs is missing, or when the file holds several people's."""
    needed = [c for c in (service.rating, service.title, service.year) if c not in table.columns]
    if needed:
        raise DataError(
            f"This file looks like {service.name}'s export but has no "
            f"{' or '.join(map(repr, needed))} column; load the export as {service.name} wrote it."
        )
    check_one_person(table)
    values = pd.to_numeric(table[service.rating].str.strip(), errors="coerce").to_numpy(float)
    rated = np.isfinite(values) & (values >= service.lo) & (values <= service.hi)
    films = _films(table, service)
    latest, logged_again = _latest(table, service, films, rated)
    to_here = np.full(len(table), -1, dtype=np.int64)  # bad-input round 56, F1: each film once
    to_here[latest] = match_movies(films.iloc[latest], movies).a_to_b()
    unrated = ~rated
    rated = np.zeros(len(table), dtype=bool)
    rated[latest] = True
    lo, hi, _ = scale

    def onto(value: float | np.ndarray) -> float | np.ndarray:
        return lo + (value - service.lo) * (hi - lo) / (service.hi - service.lo)

    mapped = onto(values)
    ratings = {int(to_here[i]): float(mapped[i]) for i in np.flatnonzero(rated & (to_here >= 0))}
    matched = int((rated & (to_here >= 0)).sum())
    example = float(values[rated][0]) if rated.any() else service.hi
    how = "IMDb id or title and year" if service.imdb else "title and year"
    notes = [
        f"This is {service.name}'s export: {matched:,} of its {int(rated.sum()):,} rated films "
        f"are in {dataset} (matched by {how})"
        + (f"; {_are_not(int(rated.sum()) - matched)}." if rated.sum() > matched else ".")
        + (
            f" Its ratings ({lo:g}-{hi:g}) are on the same scale and used as they are."
            if (lo, hi) == (service.lo, service.hi)
            else f" Its ratings of {service.lo:g}-{service.hi:g} are moved onto {lo:g}-{hi:g} "
            f"in a straight line ({example:g} → {onto(example):.3g}"
            + (", each rating halved" if (lo, hi) == (service.lo / 2, service.hi / 2) else "")
            + ")."
        )
    ]
    if logged_again:
        notes.append(logged_again)
    if unrated.any():
        notes.append(
            f"{int(unrated.sum()):,} row(s) hold no rating of {service.lo:g}-{service.hi:g} "
            "(a film logged or listed without one) and are left out."
        )
    return ratings, notes


def check_one_person(table: pd.DataFrame) -> None:
    """DataError when ``table`` has a user column naming several people (bad-input round 56,
    F1: forty people's diaries were loaded as one person's ratings)."""
    for name in table.columns:
        if _norm(name) not in ALIASES["user"]:
            continue
        people = sorted({str(v).strip() for v in table[name]} - {""})
        if len(people) > 1:
            raise DataError(
                f"This file holds several people's ratings: its {name!r} column names "
                f"{len(people):,} ({', '.join(people[:3])}{', ...' if len(people) > 3 else ''})"
                ". Rate movies loads one person's. To train a model on everyone's, import the "
                "file on Home; to load yours here, save a file of your rows alone."
            )


def _latest(
    table: pd.DataFrame, service: Service, films: pd.DataFrame, rated: np.ndarray
) -> tuple[np.ndarray, str]:
    """The rated rows to use, one per film (by identity): its latest rating by the first of
    ``service``'s date columns that has dates, else its last in the file; and a sentence
    naming the films logged more than once ("" when none was)."""
    rows = np.flatnonzero(rated)
    column = next(
        (c for c in service.dates if c in table.columns and _when(table[c]).notna().any()), None
    )
    when = _when(table[column]).iloc[rows] if column else pd.Series(np.arange(len(rows)))
    order = rows[np.argsort(when.fillna(pd.Timestamp.min).to_numpy(), kind="stable")]
    key = films[IDENTITY_COLUMN].to_numpy()[order]
    last = pd.Series(order).groupby(key, sort=False).last().to_numpy()
    latest = np.sort(last)
    again = pd.Series(key).value_counts()
    again = again[again > 1]
    if again.empty:
        return latest, ""
    titles = films.drop_duplicates(IDENTITY_COLUMN).set_index(IDENTITY_COLUMN)["title"]
    kept = titles.loc[again.index[:SHOW]]
    by = f"by its {column!r} column" if column else "the last in the file: it has no dates"
    return latest, (
        f"{len(again):,} film(s) are logged more than once ({', '.join(kept.iloc[:SHOW])}"
        f"{', ...' if len(again) > SHOW else ''}): each counts once, with its latest rating "
        f"({by})."
    )


def _when(dates: pd.Series) -> pd.Series:
    """A date column's dates (NaT where a cell is no date)."""
    return pd.to_datetime(dates.str.strip(), errors="coerce", format="ISO8601")


#: How many films a note names.
SHOW = 5


def _films(table: pd.DataFrame, service: Service) -> pd.DataFrame:
    """The export's films as a movies table: its title and year, and as identity the IMDb id
    where it gives one, else title and year; its row numbers as ids that name no film."""
    years = pd.to_numeric(table[service.year].str.strip(), errors="coerce")
    films = pd.DataFrame(
        {
            "movie_id": np.arange(len(table)),
            "title": table[service.title].str.strip(),
            "year": years.astype("Int64"),
            INVENTED_IDS: True,
        }
    )
    imdb = table[service.imdb] if service.imdb in table.columns else None
    films[IDENTITY_COLUMN] = movie_identities(films, imdb)
    return films


def _are_not(count: int) -> str:
    """ "1 is not" / "3 are not" (the recheck: "1 are not")."""
    return f"{count:,} {'is' if count == 1 else 'are'} not"
