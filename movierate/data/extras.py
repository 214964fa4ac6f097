"""Read the optional side files of a MovieLens folder: user attributes and user tags.

Only some releases have them: ml-100k ``u.user`` (``id|age|gender|occupation|zip``), ml-1m
``users.dat`` (``UserID::Gender::Age::Occupation::Zip-code``, age and occupation as codes) and
the ml-latest / ml-20m+ ``tags.csv`` (``userId,movieId,tag,timestamp``). Both readers return
None when the folder has no such file, so callers can simply skip the analysis.

Rows are mapped to the dataset's indices through ``ds.user_ids`` / ``ds.movie_ids``; users and
movies the dataset does not hold (no ratings) are dropped.

>>> attributes = read_user_attributes(ds)  # doctest: +SKIP
>>> tags = read_tags(ds)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError

#: Files larger than this are not read (a tags file of the full ml-latest is ~40 MB).
MAX_BYTES = 300_000_000
#: ml-1m's age codes (the lower bound of each bucket) and their labels; ml-100k ages use them too.
AGE_BUCKETS = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}
#: ml-1m's occupation codes (README of ml-1m).
ML1M_OCCUPATIONS = (
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)


def age_bucket(age: Any) -> str | None:
    """The ml-1m bucket label of an age in years (ml-1m's own codes map to themselves)."""
    if age is None or pd.isna(age):
        return None
    lower = max((b for b in AGE_BUCKETS if b <= int(age)), default=1)
    return AGE_BUCKETS[lower]


def read_user_attributes(source: Any, user_ids: Any = None) -> pd.DataFrame | None:
    """Age, age bucket, gender and occupation of each user, or None when the folder has none.

    ``source`` is a RatingsDataset (its ``source`` folder and ``user_ids`` are used) or a
    folder; with a folder and no ``user_ids`` the table is indexed by the original user id.
    Columns: ``user_id``, ``age`` (years, NaN for ml-1m), ``age_bucket``, ``gender``,
    ``occupation``; index ``user_idx`` (or ``user_id``).
    """
    folder, user_ids = _folder_and_ids(source, user_ids, "user_ids")
    if (folder / "u.user").is_file():
        path = folder / "u.user"
        _check_size(path)
        table = pd.read_csv(
            path,
            sep="|",
            header=None,
            names=["user_id", "age", "gender", "occupation", "zip"],
            encoding="latin-1",
            dtype={"zip": str},
        )
        table["age"] = pd.to_numeric(table["age"], errors="coerce")
        table["age_bucket"] = [age_bucket(a) for a in table["age"]]
    elif (folder / "users.dat").is_file():
        path = folder / "users.dat"
        _check_size(path)
        table = pd.read_csv(
            path,
            sep="::",
            engine="python",
            header=None,
            names=["user_id", "gender", "age_code", "occupation_code", "zip"],
            encoding="latin-1",
            dtype={"zip": str},
        )
        table["age"] = np.nan
        table["age_bucket"] = [AGE_BUCKETS.get(int(c)) for c in table["age_code"]]
        codes = pd.to_numeric(table["occupation_code"], errors="coerce")
        table["occupation"] = [
            ML1M_OCCUPATIONS[int(c)] if pd.notna(c) and 0 <= c < len(ML1M_OCCUPATIONS) else None
            for c in codes
        ]
    else:
        return None
    if not pd.api.types.is_numeric_dtype(table["user_id"]):
        raise DataError(f"{path} holds user ids that are not whole numbers; is the file intact?")
    table = table[["user_id", "age", "age_bucket", "gender", "occupation"]]
    return _index_by(table, "user_id", user_ids, "user_idx")


def read_tags(source: Any, movie_ids: Any = None) -> pd.DataFrame | None:
    """How often each tag was applied to each movie, or None when the folder has no tags.csv.

    Tags are lower-cased and stripped (``"Pixar"`` and ``"pixar "`` are one tag). Columns:
    ``movie_idx`` (or ``movie_id`` with a folder and no ``movie_ids``), ``tag``, ``count``
    (applications), sorted by movie then count descending.
    """
    folder, movie_ids = _folder_and_ids(source, movie_ids, "movie_ids")
    path = folder / "tags.csv"
    if not path.is_file():
        return None
    _check_size(path)
    try:
        # index_col=False: a first row with an unquoted comma in its tag must not become an
        # index that shifts every column (bad-input round 8); the tag is cut at the comma
        raw = pd.read_csv(path, usecols=["movieId", "tag"], dtype={"tag": str}, index_col=False)
    except ValueError as exc:
        raise DataError(f"{path} lacks the columns movieId and tag: {exc}.") from None
    raw = raw.dropna(subset=["tag"])
    raw["tag"] = raw["tag"].str.strip().str.lower()
    raw = raw[raw["tag"] != ""]
    key = "movie_id"
    raw = raw.rename(columns={"movieId": "movie_id"})
    if movie_ids is not None:
        ids = np.asarray(movie_ids)
        values = raw["movie_id"].to_numpy()
        pos = np.clip(np.searchsorted(ids, values), 0, max(len(ids) - 1, 0))
        known = (ids[pos] == values) if len(ids) else np.zeros(len(values), bool)
        raw = raw[known].assign(movie_idx=pos[known].astype(np.int64))
        key = "movie_idx"
    counts = raw.groupby([key, "tag"]).size().rename("count").reset_index()
    return counts.sort_values([key, "count", "tag"], ascending=[True, False, True]).reset_index(
        drop=True
    )


def _folder_and_ids(source: Any, ids: Any, name: str) -> tuple[Path, Any]:
    if hasattr(source, "source") and hasattr(source, name):
        if source.source is None:
            raise DataError(
                f"Dataset {getattr(source, 'name', '?')!r} was not read from a folder, so it has "
                "no side files (user attributes, tags)."
            )
        return Path(source.source), getattr(source, name) if ids is None else ids
    if isinstance(source, str | Path):
        folder = Path(source)
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder; pass a dataset or its folder.")
        return folder, ids
    raise DataError(
        f"Pass a RatingsDataset or the folder it was read from, got {type(source).__name__}."
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DataError(
            f"{path} is {size / 1e6:.0f} MB, above the {MAX_BYTES / 1e6:.0f} MB limit for side "
            "files; remove it or use a smaller release."
        )


def _index_by(table: pd.DataFrame, id_column: str, ids: Any, index_name: str) -> pd.DataFrame:
    if ids is None:
        return table.set_index(id_column, drop=False).rename_axis(id_column)
    ids = np.asarray(ids)
    values = table[id_column].to_numpy()
    pos = np.clip(np.searchsorted(ids, values), 0, max(len(ids) - 1, 0))
    known = (ids[pos] == values) if len(ids) else np.zeros(len(values), bool)
    result = table[known].copy()
    result.index = pd.Index(pos[known].astype(np.int64), name=index_name)
    return result.sort_index()
