"""Plain-text output of the CLI: tables and number formatting."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table with left-aligned columns sized to fit."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip()
        for line in lines
    )


def num(value: Any, fmt: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int | float):
        return format(value, fmt)
    return str(value)


def seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f} s"


def short(dataset: str) -> str:
    """A dataset argument as a name part (a folder path becomes its last component)."""
    return dataset.rstrip("/").rsplit("/", 1)[-1] or "data"


def _no_options(parser: argparse.ArgumentParser) -> None:
    """Configure a subcommand that takes no arguments."""


def no_options(parser: argparse.ArgumentParser) -> None:
    """Configure a subcommand that takes no arguments."""
