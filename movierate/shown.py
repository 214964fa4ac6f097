"""Numbers as a page prints them, so a word that grades a number agrees with what is read.

A word chosen from the unrounded value can contradict the printed one: views round 13 found
"-0.20" read "barely" on one model and "moderately shrinks" on another (r = -0.1996 and
-0.2004). Every grader compares :func:`as_shown` of the value with its format instead.

>>> as_shown(-0.1996, "+.2f"), as_shown(0.0504, ".0%"), percent(0.0496)
(-0.2, 0.05, '5%')
"""

from __future__ import annotations

import math


def as_shown(value: float, spec: str) -> float:
    """``value`` rounded exactly as ``format(value, spec)`` prints it (``%`` specs included)."""
    value = float(value)
    if not math.isfinite(value):
        return value
    text = format(value, spec).replace(",", "")
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def number(value: float, spec: str) -> str:
    """``format(value, spec)`` without the minus of a value that prints as zero (views round
    32, F4: "-0.00" was read "minus zero point zero zero").

    >>> number(-0.001, ".2f"), number(-0.001, "+.3f"), number(-0.02, "+.2f")
    ('0.00', '-0.001', '-0.02')
    >>> number(-0.0001, "+.2f"), number(-0.0, ".0f")
    ('+0.00', '0')
    """
    text = format(value, spec)
    if text.startswith("-") and as_shown(value, spec) == 0:
        return ("+" if spec.startswith("+") else "") + text[1:]
    return text


def percent(share: float) -> str:
    """A share in plain percent: whole from 10% ("41%"), else two significant digits
    ("4.8%"), or "under 0.1%"."""
    share = float(share)
    if 0 < share < 0.001:
        return "under 0.1%"
    return f"{share * 100:{'.0f' if share >= 0.0995 else '.2g'}}%"


def percent_as_shown(share: float) -> float:
    """The share :func:`percent` prints (0.001 for "under 0.1%")."""
    text = percent(share)
    return 0.001 if text.startswith("under") else float(text[:-1]) / 100


def counted(count: float, noun: str, plural: str | None = None) -> str:
    """``count`` with ``noun`` agreeing with it, as printed (bad-input round 62, F4: "1 ratings",
    "1 early-stopping rows").

    >>> counted(1, "rating"), counted(1_200, "movie"), counted(2, "query", "queries")
    ('1 rating', '1,200 movies', '2 queries')
    """
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,.0f} {word}"
