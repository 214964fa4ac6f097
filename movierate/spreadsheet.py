"""Text cells of files a user may open in a spreadsheet, kept from running as formulas.

Excel and LibreOffice run a CSV or TSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula (OWASP "CSV injection"): a title ``=HYPERLINK(...)`` in an
export would. :func:`safe_cell` writes such a cell with a leading ``'``, and :func:`plain_cell`
gives the original text back where movierate reads its own files again (the Projector
metadata, a map's coordinates, study results). The pair is exact: a text that already starts
with quotes before such a character gets one more quote, so ``'=x`` comes back as ``'=x``.

>>> safe_cell("=1+2"), plain_cell(safe_cell("=1+2"))
("'=1+2", '=1+2')
>>> safe_cell("'Round Midnight"), safe_cell("-2+3"), plain_cell(safe_cell("'=x"))
("'Round Midnight", "'-2+3", "'=x")
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _guarded(text: str) -> bool:
    """True when ``text``, past any leading quotes, starts like a formula."""
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula;
    anything else (numbers, missing values, other text) unchanged."""
    return QUOTE + value if isinstance(value, str) and _guarded(value) else value


def plain_cell(value: Any) -> Any:
    """The text :func:`safe_cell` was given, from what it wrote (its inverse)."""
    if isinstance(value, str) and value.startswith(QUOTE) and _guarded(value):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
    ]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`safe_cell`; number
    columns stay numbers (a negative coordinate is no formula)."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(safe_cell)
    return out


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`plain_cell`."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(plain_cell)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index) for a user to open elsewhere, its text cells made safe
    by :func:`safe_cell`. Lines end in CRLF (RFC 4180): then a cell holding a carriage return
    is quoted too, where with ``\n`` line ends it split its row in two."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
