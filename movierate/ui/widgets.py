"""Streamlit widgets the pages share: model picker, movie tables, title picker, map figure.

Each reads or writes the page (``st.*``); the data behind them comes from
:mod:`movierate.ui.state`, the figures from :mod:`movierate.ui.figures`.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from movierate import store
from movierate.errors import MovierateError
from movierate.explore.quality import FEW_MAP_MOVIES
from movierate.explore.validation import UNCOUNTED, counted_ratings, filter_counts, median_text
from movierate.ui import charts, figures, shell, state
from movierate.ui.text import (
    EPOCHS_COLUMN,
    genres_text,
    md,
    md_quoted,
    ratings_text,
    table_cells,
    verdict_text,
    with_year,
)

#: Column formats of the models table (:func:`movierate.ui.text.models_table`).
MODELS_TABLE_COLUMNS: dict[str, Any] = {
    "test RMSE": st.column_config.NumberColumn(
        format="%.4f",
        help="On test rows that neither training nor early stopping saw (the note under the "
        "table says whether any choice of settings did)",
    ),
    "test MAE": st.column_config.NumberColumn(format="%.4f"),
    "test rows": st.column_config.TextColumn(
        help="Which ratings the test RMSE is measured on (shown when the models differ): test "
        "RMSEs compare only between models of the same data set and test rows"
    ),
    "old valid RMSE (steered early stopping)": st.column_config.NumberColumn(
        format="%.4f",
        help="Models saved before test rows existed: measured on the rows that also chose the "
        "stopping epoch, so slightly optimistic",
    ),
    "train s": st.column_config.NumberColumn(
        format="%.1f",
        help="Seconds the fit took (its epochs), without starting TensorFlow, loading the "
        "data, scoring or saving: the Train page's 'took in all' counts those too, and says "
        "both",
    ),
    EPOCHS_COLUMN: st.column_config.TextColumn(
        help="The epoch the saved model is from (early stopping keeps the best one) of the "
        "epochs training ran; 'at the cap': its last epoch was still the best and the epoch "
        "limit ended the run, so more epochs might have helped; 'eligible from N': only epochs "
        "from N on could be kept, once the regularizers had settled; 'regularizers never "
        "settled': only the last epoch could be kept; 'refit: no early stopping': a tuning's "
        "winner retrained on training + early-stopping rows for the epochs its trial kept"
    ),
}


def models_table_columns(names: list[str]) -> dict[str, Any]:
    """:data:`MODELS_TABLE_COLUMNS` with a name column as wide as the longest name: the grid
    keeps a column's first width when rows are added ("(exact whitening)" showed cut)."""
    longest = max((len(str(name)) for name in names), default=8)
    width = min(8 * max(longest, 5) + 16, 400)  # ~8 px a character in the grid's font
    return {"model": st.column_config.TextColumn(width=width), **MODELS_TABLE_COLUMNS}


#: The columns that say what a row is: pinned at a table's left edge, in this order, when the
#: table has a title or a model column. On a 390 px phone the numbers-first order (views round
#: 7) showed ten rows of numbers and no title; pinned, the title stays in view while the
#: numbers scroll beside it (views round 13), and the numbers still come before other text.
IDENTITY_COLUMNS = ("rank", "title", "model")
#: A pinned text column's width (px): at most the first; a title's at least the second (about
#: 16 characters on a phone), and within those what the table's numbers leave of
#: :data:`PROJECTOR_TABLE` (views round 7: no number cut at 1024 px).
PINNED_TEXT_WIDTH, PINNED_MIN_WIDTH = 200, 120
#: A full-width table's width (px) at a 1024 px projector beside the sidebar (measured).
PROJECTOR_TABLE = 564
_NAMED_WIDTHS = {"small": 75, "medium": 200, "large": 400}


def _width(entry: Any) -> int:
    """The width (px) a column config asks for; 80 where it lets the grid choose."""
    width = entry.get("width") if isinstance(entry, dict) else None
    return int(_NAMED_WIDTHS.get(width, width)) if width is not None else 80


def pin_identity(
    frame: pd.DataFrame, config: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``frame`` with its :data:`IDENTITY_COLUMNS` first, and ``config`` with them pinned (a
    text one :data:`PINNED_TEXT_WIDTH` wide or less, see there); both unchanged without a
    title or model column. Tables side by side keep this width: sized to half the width, the
    titles of Neighbours' two lists were cut at every screen size (recheck 7, F1), where at
    200% zoom only their 'in all' column needed a scroll (views round 31, F8)."""
    identity = [c for c in IDENTITY_COLUMNS if c in frame.columns]
    if not {"title", "model"} & set(identity):
        return frame, config
    config = dict(config)
    numbers = [
        c
        for c in frame.columns
        if c == "rank" or (c not in identity and pd.api.types.is_numeric_dtype(frame[c]))
    ]
    room = PROJECTOR_TABLE - sum(_width(config.get(c)) for c in numbers)
    widest = min(PINNED_TEXT_WIDTH, max(PINNED_MIN_WIDTH, room))
    for column in identity:
        given = config.get(column, {})
        entry: dict[str, Any] = {"label": given} if isinstance(given, str) else dict(given)
        if entry.get("pinned") is False:  # asked for unpinned: its own width (show_movies)
            continue
        entry["pinned"] = True
        if column == "model" and entry.get("width"):  # whole up to the cap (models_table_columns)
            entry["width"] = min(_width(entry), PINNED_TEXT_WIDTH)
        elif column == "title":
            entry["width"] = min(_width(entry) if entry.get("width") else widest, widest)
        config[column] = entry
    return frame[identity + [c for c in frame.columns if c not in identity]], config


#: The pinned title or model column's text colour by theme. Streamlit draws a pinned column's
#: cells "faded" (at 60% opacity): the theme's own text read 3.89:1 on the light theme's white,
#: the faintest text of every table (views round 14); black (white on the dark theme) under
#: that opacity reads 5.7:1 (6.9:1).
SOLID_TEXT = {False: "#000000", True: "#FFFFFF"}
#: Longer tables keep the faded column: a pandas Styler's cost grows with the cells, and
#: Streamlit refuses one past pandas' ``styler.render.max_elements``.
SOLID_ROWS = 2_000


def solid_identity(frame: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame | Any:
    """``frame`` as a Styler drawing its pinned columns' text in :data:`SOLID_TEXT` (the frame
    itself when none is pinned or it is longer than :data:`SOLID_ROWS`). A Styler's display
    text replaces the grid's own for every cell, so float columns without a format in
    ``config`` keep the grid's: at most 4 decimals, trailing zeros dropped."""
    pinned = [
        c for c in frame.columns if isinstance(config.get(c), dict) and config[c].get("pinned")
    ]
    if not pinned or len(frame) > SOLID_ROWS:
        return frame
    colour = SOLID_TEXT[charts.TEXT_COLOUR.get() == charts.DARK_TEXT]
    floats = [
        c
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c]) and not column_format(config, c)
    ]
    styler = frame.style.map(lambda _: f"color: {colour}", subset=pinned)
    return styler.format(_grid_number, subset=floats) if floats else styler


def column_format(config: dict[str, Any], column: Any) -> str | None:
    """The number format ``config`` gives ``column``: a ``st.column_config`` column keeps it
    in its ``type_config`` (a plain dict at its top level), None when it has none (recheck of
    views round 15: only the top level was read, so every formatted column was rounded to the
    grid's 4 decimals first and then to its format, a wrong last digit in ~5% of cells)."""
    entry = config.get(column)
    if not isinstance(entry, dict):
        return None
    nested = entry.get("type_config")
    return entry.get("format") or (nested.get("format") if isinstance(nested, dict) else None)


#: A printf number format (``"%.4f"``, ``"%+.2f"``, ``"%.1f%%"``, ``"%.1e"``, ``"%d"``): its
#: conversion, with what is around it.
_PRINTF = re.compile(r"^(?P<before>[^%]*)(?P<spec>%[-+ 0#]*\d*(?:\.\d+)?[dieEfFgG])(?P<after>.*)$")
#: Decimals of Streamlit's named number formats that round (``"percent"``: 2 of the percent).
_NAMED_DECIMALS = {"percent": 4, "localized": 3}


def as_shown(frame: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with every float column rounded to what the grid shows of it (its format in
    ``config``, else the grid's own: :func:`_grid_number`). The grid's hidden table for screen
    readers reads a number cell's value, never its display text (neither a ``column_config``
    format nor a Styler's reaches it): unrounded, it read 0.9186775419181521 for a shown 0.9187
    (views round 15). The columns stay numbers, so they still sort as numbers, and the grid's
    CSV download holds the shown values. ``"plain"`` columns, shown whole, are left as they
    are."""
    shown = frame.copy(deep=False)
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if not pd.api.types.is_float_dtype(values):
            continue
        fmt = column_format(config, column)
        if fmt == "plain":
            continue
        shown.isetitem(position, values.map(_rounder(fmt), na_action="ignore"))
    return shown


def _rounder(fmt: str | None) -> Any:
    """A function rounding a float to what the grid shows of it with number format ``fmt``."""
    printf = _PRINTF.match(fmt) if fmt else None
    if printf and "%" not in printf["before"] + printf["after"].replace("%%", ""):
        spec = printf["spec"].replace("d", ".0f").replace("i", ".0f")
        return lambda value: float(spec % value) if np.isfinite(value) else value
    if fmt in _NAMED_DECIMALS:
        return lambda value: round(value, _NAMED_DECIMALS[fmt]) if np.isfinite(value) else value
    return lambda value: float(_grid_number(value)) if np.isfinite(value) else value


def _grid_number(value: float) -> str:
    """A float as the data grid writes one without a format: 0.1235, 4.5, 12345.678, and a
    value below 0.0001 to 4 significant digits (-0.00001)."""
    if not np.isfinite(value) or value == 0:
        return str(value) if not np.isfinite(value) else "0"
    if abs(value) < 1e-4:
        return np.format_float_positional(value, precision=4, fractional=False, trim="-")
    return f"{value:.4f}".rstrip("0").rstrip(".")


def column_notes(frame: pd.DataFrame, config: dict[str, Any]) -> list[str]:
    """``"label: help"`` for each column of ``frame`` whose ``config`` has a help text, in
    the table's order."""
    notes = []
    for column in frame.columns:
        entry = config.get(column)
        if isinstance(entry, dict) and entry.get("help"):
            notes.append(f"**{md(entry.get('label') or column)}**: {md(entry['help'])}")
    return notes


#: Space above a table (0.75 rem, plus a gap of its own): the grid's toolbar (eye, download,
#: search, full screen) draws 44 px above the table, over the last 28 px of the line above, and
#: a touch screen shows it all the time (views round 33, F3: "... 10 training rati[toolbar]").
TOOLBAR_GAP = "small"


def show_table(frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` of ``frame`` (every table of the pages goes through here): right-to-left
    text readable (views round 11: the grid right-aligned a Hebrew or Arabic title, and a
    column's right edge cut it to nothing, :func:`movierate.ui.text.table_cell`); the title or
    model pinned at the left (:func:`pin_identity`); and what its columns mean in a "What the
    columns mean" expander under it, since a header's help shows on hover only (views round 13:
    a tap on a phone sorts the table instead). A :data:`TOOLBAR_GAP` above it keeps the grid's
    toolbar off the line above."""
    frame, config = pin_identity(frame, dict(kwargs.pop("column_config", None) or {}))
    frame = as_shown(table_cells(frame), config)
    st.space(TOOLBAR_GAP)
    shown = st.dataframe(solid_identity(frame, config), column_config=config, **kwargs)
    if notes := column_notes(frame, config):
        with st.expander("What the columns mean", icon=":material/help:"):
            st.markdown("\n".join(f"- {note}" for note in notes))
    return shown


def explained(
    body: str, about: str, explanation: str, *, where: Any = None, markdown: bool = False
) -> None:
    """``body`` as a caption (or, with ``markdown``, a paragraph), then a small popover named
    ``about`` holding ``explanation``: a ``help=`` on a caption is a button named only "Help",
    which does not say what it explains (views round 32, F3)."""
    where = where or st
    (where.markdown if markdown else where.caption)(body)
    with where.popover(about, type="tertiary"):
        st.markdown(explanation)


def download_table(label: str, data: Any, file_name: str, *, key: str, where: Any = None) -> None:
    """A download button for a table a user takes away, ``data`` a function giving its CSV
    text (:func:`movierate.explore.table_csv`): named for its model and content, where the
    grid's own "Download as CSV" is named by a timestamp and rounds as shown (views round 25,
    F1)."""
    (where or st).download_button(
        label, data=data, file_name=file_name, mime="text/csv",
        icon=":material/download:", key=key,
    )  # fmt: skip


#: What a models table shows in a cell without a number (an imported embedding's test RMSE and
#: training time): the grid's own placeholder was the text "None" (bad-input round 38, F3).
MISSING_CELL = "—"
#: What a models table shows right after the model's name, where they exist: the numbers its
#: captions talk about (the test MAE follows a table's own verdicts on the RMSE).
KEY_MODEL_COLUMNS = ("rating scale", "test RMSE")


def show_models_table(
    table: pd.DataFrame, config: dict[str, Any] | None = None, key: tuple[str, ...] = ()
) -> None:
    """A table of models (Home, Compare): the name, the rating scale and test RMSE, then
    ``key`` (the verdicts on that RMSE), the test MAE, the other numbers next and the
    settings' text last (views round 10: at 1024 px the test RMSE sat off screen behind the
    dataset and regularizers, and a paired verdict was cut to "+0.0205 ± 0.00"; views round
    31, F1: at 1280 px and 200% zoom the verdict against the averages sat behind dim and the
    averages' RMSE)."""
    # views round 29, F4: with models of several data sets the data set stands by the name (it
    # came eighth, cut to "ml-latest-smal"), and a name the pinned column cuts is given whole
    mixed = "dataset" in table.columns and table["dataset"].nunique() > 1
    first = [
        "model",
        *(["dataset"] if mixed else []),
        *(c for c in (*KEY_MODEL_COLUMNS, *key, "test MAE") if c in table.columns),
    ]
    table = numbers_first(table)
    width = _text_width(table["dataset"]) if mixed else None
    show_table(
        table[first + [c for c in table.columns if c not in first]],
        hide_index=True,
        column_config={
            **models_table_columns(list(table["model"])),
            **({"dataset": st.column_config.TextColumn(width=width)} if mixed else {}),
            **(config or {}),
        },
        placeholder=MISSING_CELL,
    )
    if cut := [name for name in table["model"] if _text_width([name]) > PINNED_TEXT_WIDTH]:
        st.caption("Names cut short in the table, in full: " + "; ".join(md(n) for n in cut) + ".")


def _text_width(values: Any) -> int:
    """The pixels a text column needs for its longest value (~8 a character in the grid)."""
    return 8 * max((len(str(v)) for v in values), default=5) + 16


#: Column formats of every movie result table (:func:`show_movies`). Short columns get fixed
#: pixel widths wide enough for their header and values (a year never shows as "1…").
MOVIE_COLUMN_CONFIG: dict[str, Any] = {
    "rank": st.column_config.NumberColumn("#", width=36),
    "title": st.column_config.TextColumn("title", width="medium"),
    "year": st.column_config.NumberColumn("year", format="%d", width=58),
    "genres": st.column_config.TextColumn("genres", width="large"),
    "shared": st.column_config.CheckboxColumn(
        "in all", help="Listed by every selected model", width=56
    ),
    "jaccard": st.column_config.NumberColumn("Jaccard", format="%.2f", width=72),
    "vs average": st.column_config.NumberColumn(
        "vs average",
        format="%+.2f",
        help="What all your ratings together did to this pick's predicted rating, against the "
        "average user's (a user with no ratings): a pick can be listed though they lowered it",
        width=80,
    ),
    "also average": st.column_config.CheckboxColumn(
        "also average",
        help="In the average user's list too: the top picks of a user with no ratings, under "
        "the same filters",
        width=84,
    ),
    "n_ratings": st.column_config.NumberColumn(
        "ratings",
        help="All of the movie's ratings in the dataset, test rows included; a Min. ratings "
        "filter counts only those the model trained on",
        width=72,
    ),
    "mean_rating": st.column_config.NumberColumn(
        "mean", format="%.2f", help="Mean rating", width=64
    ),
    "predicted": st.column_config.NumberColumn("predicted", format="%.2f", width=84),
    "rating": st.column_config.NumberColumn(
        "their rating",
        format="plain",
        width=96,  # "4.5" on a half-star scale, "9" on 1-10
    ),
    "score": st.column_config.NumberColumn("score", format="%.3f", width=64),
    "cosine_similarity": st.column_config.NumberColumn("cosine sim.", format="%.3f", width=92),
    "euclidean_distance": st.column_config.NumberColumn("distance", format="%.3f", width=80),
}

HIDDEN_MOVIE_COLUMNS = ("movie_idx", "movie_id")


def number_text(value: float) -> str:
    """``value`` as a number box shows it: "0.1", "32", "1e-05"."""
    return f"{float(value):.15g}"


def number_box(label: str, value: float, *, where: Any = None, **kwargs: Any) -> str:
    """A text box for a number, its help ending in :data:`schema.NUMBER_RULE`; returns the
    text, for :func:`schema.read_number`. Not ``st.number_input``: the browser's number box
    dropped a typed decimal comma ("0,5" read 5, bad-input round 59, H1)."""
    from movierate.schema import NUMBER_RULE

    kwargs["help"] = " ".join(filter(None, [kwargs.get("help"), f"{NUMBER_RULE}."]))
    key = kwargs.get("key")
    bound = key is not None and kwargs.get("bind") == "query-params"
    linked = st.query_params.get(key) if bound else None
    if key is not None and not isinstance(st.session_state.get(key, ""), str):
        st.session_state[key] = held_text(st.session_state[key], linked or number_text(value))
    # Streamlit falls back on the default where the box's state is dropped: the box's own
    # wherever the link does not name it (the browser's Back to such a link emptied every box
    # of the Embeddings map, bad-input round 65, F1). Where the link names a box that holds
    # text, none: a value the browser drops then falls back on the link (views round 36, H1),
    # and Streamlit does not drop from the link a linked value equal to the default.
    shown = None if linked is not None and key in st.session_state else number_text(value)
    return (where if where is not None else st).text_input(label, value=shown, **kwargs) or ""


def held_text(held: Any, fallback: str) -> str:
    """The text a number box shows for ``held``, a non-text value in its session state: a
    number set by code as :func:`number_text` writes it; anything else (a None the Cancel of a
    running map left in the Min. ratings box, views round 36 H1: ``float(None)`` broke the
    page) as ``fallback``, the box's link or default."""
    number = isinstance(held, int | float | np.integer | np.floating) and not isinstance(held, bool)
    return number_text(held) if number and np.isfinite(held) else fallback


def held_number(key: str) -> float | None:
    """The number a :func:`number_box` of ``key`` holds; None when it holds none or no number."""
    from movierate.errors import SpecError
    from movierate.schema import read_number

    held = st.session_state.get(key)
    try:
        return None if held is None else read_number(str(held), key)
    except SpecError:
        return None


def whole_number_input(
    label: str,
    value: int,
    *,
    where: Any = None,
    min_value: float | None = None,
    max_value: float | None = None,
    **kwargs: Any,
) -> float:
    """A box for a whole number (:func:`number_box`), returning the number typed: pass it to
    ``schema.whole_number`` (or :func:`whole_number_or_error`), which names the box and the
    text when it is no number or outside ``min_value``..``max_value`` (a
    :class:`schema.Unread`). Streamlit's integer box read "1e4" as 1 and "64.9" as 64
    (bad-input round 13); its float box read "1.000" as 1 (round 59, H1)."""
    return decimal_input(
        label, value, where=where, min_value=min_value, max_value=max_value, **kwargs
    )


def decimal_input(
    label: str,
    value: float,
    *,
    where: Any = None,
    min_value: float | None = None,
    max_value: float | None = None,
    **kwargs: Any,
) -> float:
    """A box for a decimal number (:func:`number_box`): the number typed, or a
    :class:`schema.Unread` naming the box and the text (no number, or outside
    ``min_value``..``max_value``). Streamlit's number box read "0,5" as 5 (round 59, H1)."""
    from movierate.errors import SpecError
    from movierate.schema import Unread, read_number

    kwargs.pop("step", None)  # a text box has no +/- buttons
    typed = number_box(label, value, where=where, **kwargs)
    try:
        return read_number(
            typed, label.split(" (")[0], lo=min_value, hi=max_value, example=number_text(value)
        )
    except SpecError as exc:
        return Unread(str(exc))


def whole_number_or_error(value: float, label: str, *, where: Any = None) -> int | None:
    """``schema.whole_number`` for a box outside a form: the error under it, and None."""
    from movierate.errors import SpecError
    from movierate.schema import whole_number

    try:
        return whole_number(value, label)
    except SpecError as exc:
        (where if where is not None else st).error(str(exc), icon=":material/warning:")
        return None


def partner_of(model: Any, infos: list[Any]) -> str:
    """The model to set beside ``model`` first: the newest other one of its data set (views
    round 6: "Two models, one frame" opened on another dataset's model, sharing 0 movies),
    else the newest other one."""
    others = [i for i in infos if i.name != model.name]
    fingerprint = model.meta["dataset"].get("fingerprint")
    same = [i for i in others if fingerprint and i.dataset_fingerprint == fingerprint]
    return (same or others or [model])[0].name


def count_slider(
    label: str, lo: int, hi: int, value: int, *, key: str, container: Any = None, **kwargs: Any
) -> int:
    """``st.slider`` over whole numbers whose top depends on the data (a model's dimensions,
    its movies, users or genres): the value is clamped into ``lo..hi``, and when there is a
    single choice (``hi <= lo``: Streamlit refuses a slider with equal ends) a caption says
    the value instead of a slider. Use it for every slider with a data-dependent bound."""
    where = container if container is not None else st
    lo, hi = int(lo), int(hi)
    if hi <= lo:
        where.caption(f"{label}: {lo} (the only choice here)")
        return lo
    chosen = st.session_state.get(key)
    if chosen is None and kwargs.get("bind") == "query-params":  # a link's value, which the
        with contextlib.suppress(TypeError, ValueError):  # slider would drop unsaid (bad-input
            chosen = int(st.query_params.get(key))  # round 15: 10 components of a dim-4 model)
    if isinstance(chosen, int | float) and not lo <= chosen <= hi:  # chosen for a larger model
        st.session_state[key] = min(max(int(chosen), lo), hi)
        where.caption(
            f"{label}: {chosen:g} is outside this view's {lo}-{hi}, so it is "
            f"{st.session_state[key]} here."
        )
    return int(where.slider(label, lo, hi, min(max(int(value), lo), hi), key=key, **kwargs))


def upload_limit_help(command: str) -> str:
    """An uploader's help: the server's size limit, and what to do with a larger file (bad-input
    round 39: Streamlit refuses it before the page runs, with only "File must be 1.0GB or
    smaller"). ``command``: the command line that reads such a file without a limit."""
    limit = int(st.get_option("server.maxUploadSize"))
    return (
        f"Files up to {limit:,} MB (the server's `server.maxUploadSize`). For a larger one, run "
        f"`{command}` (no size limit), or start the dashboard with `streamlit run app.py "
        f"--server.maxUploadSize {4 * limit}`."
    )


def without_rating_counts(models: Any) -> list[str]:
    """Names of the ``models`` whose movies have no rating counts (imported embeddings)."""
    from movierate.explore.imported import has_rating_counts

    return [m.name for m in models if not has_rating_counts(m.movies)]


def min_ratings_slider(
    models: Any,
    label: str,
    lo: int,
    hi: int,
    value: int,
    *,
    key: str,
    container: Any = None,
    **kwargs: Any,
) -> int:
    """The "at least this many ratings" slider of the views of ``models``; use it for every
    minimum-ratings filter, and :func:`own_min_ratings` for each model's share of it. When
    none of them has rating counts (embeddings imported without them count 0 for every movie,
    so any filter above 0 leaves no movie), no slider: a caption says the filter is off, and 0
    is returned; when some have none, a caption says the filter skips them. The starting
    ``value`` is lowered to what keeps :data:`MIN_KEPT` movies (or all, if fewer) in every
    model, so a small catalogue does not open on an empty view."""
    where = container if container is not None else st
    models = list(models)
    lacking = without_rating_counts(models)
    if models and len(lacking) == len(models):
        names = ", ".join(m.name for m in models)
        if kwargs.get("bind") == "query-params":  # a link's filter: said, not kept unsaid
            say_link_outside(
                key,
                ["0"],
                f"{names} {'has' if len(models) == 1 else 'have'} no rating counts, so every "
                "movie is used",
            )
        where.caption(
            f"{label}: off, every movie is used ({md(names)} "
            f"{'has' if len(models) == 1 else 'have'} no rating counts: imported without them)."
        )
        return 0
    value = starting_min_ratings(models, value)
    given = kwargs.get("help") or ""
    if counted_in(models) == "training ratings":  # what it counts, in its label (acc. round 36)
        label = label.replace("this many ratings", "this many training ratings")
    if counted_in(models) == "training ratings" and "test rows" not in given:  # accuracy round 18
        said = (
            "Counts the ratings the model was fit on (its training rows); test rows do not count."
        )
        kwargs["help"] = f"{given} {said}".strip()
    chosen = int(where.slider(label, lo, hi, max(value, lo), key=key, **kwargs))
    if lacking:
        where.caption(
            f"Not applied to {', '.join(lacking)} (no rating counts: imported without them); "
            f"{'all of its movies are' if len(lacking) == 1 else 'their movies are all'} used."
        )
    return chosen


#: :func:`min_ratings_slider` starts at a value that keeps at least this many movies.
MIN_KEPT = 50


def counted_in(models: Any) -> str:
    """What the minimum-ratings filter counts for ``models``: ``"training ratings"`` when every
    one with rating counts records its training counts, else ``"ratings"`` (accuracy round 18;
    a model saved before those counts filters on every rating)."""
    lacking = set(without_rating_counts(models))
    kinds = {counted_ratings(m.movies) for m in models if m.name not in lacking}
    return "training ratings" if kinds == {"training ratings"} else "ratings"


def starting_min_ratings(models: Any, value: int) -> int:
    """``value`` lowered to the largest minimum-ratings filter that keeps :data:`MIN_KEPT`
    movies (or all, if fewer) of every model with rating counts: the start of a filter; never
    under 1 for those models (bad-input round 62, F3: 0 let in movies with no training rating)."""
    lacking = set(without_rating_counts(models))
    for model in models:
        if model.name in lacking:
            continue
        counts = filter_counts(model.movies)  # what the filter counts (accuracy round 18)
        if len(counts):
            value = min(value, max(int(np.sort(counts)[-min(MIN_KEPT, len(counts))]), 1))
    return int(value)


def own_min_ratings(model: Any, min_ratings: int) -> int:
    """The filter of :func:`min_ratings_slider` for one model: 0 (no filter) for a model
    without rating counts, else ``min_ratings``."""
    return 0 if without_rating_counts([model]) else int(min_ratings)


#: Broken folders named in the warning line itself; the rest are counted.
BROKEN_NAMED = 5
#: The longest reason shown for one broken folder (a 400-digit ``dim`` ran 20 lines; the
#: rename command a reason gives for an odd folder name stays whole).
BROKEN_REASON_CHARS = 600


def _clipped(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, saying how many more there were."""
    return text if len(text) <= most else f"{text[:most]}… ({len(text) - most:,} more characters)"


def show_broken_models(broken: list[Any], *, on_home: bool = False) -> None:
    """One warning line naming the model folders that cannot be loaded, and their reasons in
    an expander below it (bad-input round 15: 18 damaged folders filled the first screen of
    every page). ``on_home``: the way out is on this page (bad-input round 51, F4: Home's
    warning sent the user to Home)."""
    if not broken:
        return
    named = ", ".join(f"**{md(b.name)}**" for b in broken[:BROKEN_NAMED])
    more = f" and {len(broken) - BROKEN_NAMED} more" if len(broken) > BROKEN_NAMED else ""
    where = (
        "Rename or delete them under 'Rename or delete a model' below, or with the CLI."
        if on_home
        else "Home lists them; rename or delete them there or with the CLI."
    )
    st.warning(
        f"{len(broken)} model folder(s) cannot be used: {named}{more}. {where}",
        icon=":material/broken_image:",
    )
    with st.expander(f"Why {'it' if len(broken) == 1 else 'each'} cannot be used"):
        st.markdown(
            "\n".join(
                f"- **{md(b.name)}**: {md(_clipped(b.reason, BROKEN_REASON_CHARS))}" for b in broken
            )
        )


def no_models_notice() -> None:
    """Explain how to get a first model, with links to Home (quick start) and Train."""
    st.info(
        "No trained models yet. Train one first: the Home page has a one-click quick start "
        "(a good default model in about a minute), the Train page every option.",
        icon=":material/lightbulb:",
    )
    left, right = st.columns(2)
    left.page_link(shell.page("home"), label="Quick start on Home", icon=":material/home:")
    right.page_link(
        shell.page("train"), label="Open the Train page", icon=":material/model_training:"
    )


def pick_models(
    *,
    multi: bool,
    label: str | None = None,
    key: str | None = None,
    default_count: int = 2,
    help: str | None = None,
) -> list[Any]:
    """Model picker bound to the URL (``?model=`` or ``?models=``); returns loaded models.

    Stops the page with a how-to notice when no model exists yet. Broken model folders are
    listed with their reason and left out of the choices.
    """
    infos, broken = state.list_models()
    show_broken_models(broken)
    if not infos:
        no_models_notice()
        st.stop()
    names = by_dataset(infos)
    widget_key = key or ("models" if multi else "model")
    if multi:
        gone = forget_missing(widget_key, names, say=False)
        # default: the one model a link or another view named (?model=), else the newest
        # models of the newest model's dataset
        named = st.query_params.get("model")
        default = (
            [named]
            if key is None and named in names
            else state.default_model_names(infos, default_count)
        )
        if default == [named] and not st.query_params.get_all(widget_key):
            st.session_state.pop(_PICKED + widget_key, None)  # the link's model over the last
        say_gone(gone, _name_in_link(widget_key, default, names))
        chosen = st.multiselect(
            label or "Models",
            names,
            default=None,
            key=widget_key,
            bind="query-params",
            persist_state="session",
            help=help or "Pick one or more saved models; the choice is kept in the URL.",
        )
        _remember(widget_key, list(chosen))
        describe_picks(list(chosen))
    else:
        chosen = [
            pick_one(
                names,
                key=widget_key,
                label=label or "Model",
                first=names[0],
                help=help or "The saved model to look at; the choice is kept in the URL.",
            )
        ]
    return load_models(chosen)


#: Loading several models shows a progress bar once it has taken this long (bad-input round
#: 33: 40 models took 41 s behind a blank page).
LOAD_PROGRESS_AFTER_S = 0.5


def load_models(names: list[str]) -> list[Any]:
    """The models ``names`` (:func:`state.load_model`), with a progress bar once loading them
    takes longer than :data:`LOAD_PROGRESS_AFTER_S` (cached ones take no time: no bar)."""
    start, bar, loaded = time.monotonic(), None, []
    for done, name in enumerate(names, 1):
        loaded.append(state.load_model(name))
        late = time.monotonic() - start > LOAD_PROGRESS_AFTER_S
        if bar is None and done < len(names) and late:
            bar = st.progress(0.0)
        if bar is not None:
            bar.progress(done / len(names), text=f"Loading the models: {done} of {len(names)}")
    if bar is not None:
        bar.empty()
    return loaded


def by_dataset(infos: list[Any]) -> list[str]:
    """The models' names grouped by data set, the newest model's data set first, newest first
    within each (views round 14: ml-latest-small, ml-100k and ml-1m-sample models were
    interleaved by creation time). ``infos`` newest first, as ``store.list_models`` gives them.

    >>> from types import SimpleNamespace as M
    >>> by_dataset([M(name="a", dataset="x"), M(name="b", dataset="y"), M(name="c", dataset="x")])
    ['a', 'c', 'b']
    """
    order = list(dict.fromkeys(info.dataset for info in infos))
    return [info.name for info in sorted(infos, key=lambda info: order.index(info.dataset))]


def pick_one(
    names: list[str],
    *,
    key: str,
    label: str,
    first: str,
    help: str,
    where: Any = None,
    all_saved: bool = True,
) -> str:
    """One saved model's name from a select box bound to the URL (``?<key>=``): the link's, else
    this session's last pick of ``key``, else ``first`` (always named in the link). With
    ``all_saved=False`` ``names`` are some of the saved models (those a page compares): a pick
    outside them falls back without the "renamed or deleted" notice."""
    gone = forget_missing(key, names, say=False) if all_saved else []
    if not all_saved and st.session_state.get(key) not in (None, *names):
        del st.session_state[key]
    target = _name_in_link(key, first, names)
    say_gone(gone, target)
    one = (where if where is not None else st).selectbox(
        label,
        names,
        index=None,
        key=key,
        bind="query-params",
        persist_state="session",
        help=help,
    )
    if one is None:  # the box lost its state (the browser's Back): the link's or last pick
        return str(target)
    _remember(key, one)
    return one


def describe_picks(names: list[str], where: Any = None) -> None:
    """Under a several-model picker: the picked models' data sets, families and dims, and each
    name in full (views round 29, F4: the box shows bare names, a 64-character one cut, and
    ``mf-16-l2`` looked like its copy on another data set; a one-model page says the same in
    its model's summary line, so its picker gets none). Not in the box itself: a
    ``format_func`` would change the names in the link too (Streamlit puts the shown text in
    the URL, and a link naming a bare model would then pick nothing)."""
    saved = {info.name: info for info in state.list_models()[0]}
    groups: dict[str, list[str]] = {}
    for info in (saved[name] for name in names if name in saved):
        dim = f"dim {info.spec.dim}" if info.spec.dim else ""
        said = ", ".join(filter(None, [store.family_shown(info), dim]))
        groups.setdefault(info.dataset, []).append(f"{md(info.name)} ({said})")
    if groups:
        (where if where is not None else st).caption(
            "; ".join(f"On {md(dataset)}: {', '.join(said)}" for dataset, said in groups.items())
        )


def _name_in_link(key: str, default: str | list[str], names: list[str]) -> str | list[str]:
    """Open a model picker whose link names no (saved) model on this session's last pick of
    ``key`` (on any page), else on ``default``, with the pick in the URL, so a link copied from
    any view names its models. The widget's own default is empty: Streamlit leaves a value
    equal to a widget's default out of the URL, and dropped ``?model=`` from a link that named
    the newest model (views round 7: such a link later opened whichever model was newest); a
    sidebar move kept no pick (recheck). An emptied multi-model box stays empty."""
    memory = _PICKED + key
    linked = st.query_params.get_all(key)
    if linked and all(name in names for name in linked):
        pick = linked if isinstance(default, list) else linked[-1]
        if st.session_state.get(key) is None:  # Back in the browser: the box keeps no state
            st.session_state[key] = pick
        return pick  # the widget takes the link's pick
    remembered = st.session_state.get(memory)
    here = _page_title()
    if st.session_state.get(_PICKED_ON + key) == here and st.session_state.get(key) is not None:
        return remembered  # a rerun of the page that made the pick: its widget holds it
    if isinstance(remembered, list):  # models renamed or deleted since: the rest stays picked
        kept = [name for name in remembered if name in names]
        remembered = kept if kept or not remembered else default  # [] : emptied on purpose
    elif remembered not in names:
        remembered = default
    # also where the box is bound (its model deleted in another tab): a link naming no model
    # opens whichever is newest elsewhere (bad-input round 20, F5)
    state.set_in_link(key, remembered)
    st.session_state[key] = remembered
    return remembered


#: Session-state prefixes: the last pick of each model picker, kept across pages, and the page
#: it was made on.
_PICKED, _PICKED_ON = state.PICKED, "picked-on:"


def _remember(key: str, pick: str | list[str]) -> None:
    st.session_state[_PICKED + key] = pick
    st.session_state[_PICKED_ON + key] = _page_title()


def _page_title() -> str | None:
    current = st.session_state.get(shell.CURRENT_PAGE)
    return getattr(current, "title", None)


def forget_missing(key: str, names: list[str], *, say: bool = True) -> list[str]:
    """The models this tab showed in the picker ``key`` (its box, else its last pick on any
    page) that are no longer saved (renamed or deleted, perhaps in another tab): taken out of
    its state, the rest kept picked, so the box does not switch models without a word. With
    ``say`` a notice says so, and that nothing is picked in their place (Home); a picker that
    puts another model there says which with :func:`say_gone`. Returns those not already said
    by the link's notice."""
    previous = st.session_state.get(key)
    if previous is None:  # the box lost its state (a page move, a link check): its last pick
        previous = st.session_state.get(_PICKED + key)
    picked = [previous] if isinstance(previous, str) else list(previous or [])
    gone = [name for name in picked if name not in names]
    if not gone:
        return []
    kept = [name for name in picked if name in names]
    if isinstance(previous, str) or not kept:
        st.session_state.pop(key, None)
        st.session_state.pop(_PICKED + key, None)
    else:
        st.session_state[key] = st.session_state[_PICKED + key] = kept
    gone = [name for name in gone if not state.named_in_a_link_notice(name)]  # said already
    if say:
        say_gone(gone, None)
    return gone


def say_gone(gone: list[str], shown: str | list[str] | None) -> None:
    """Say that the models ``gone`` this tab showed were renamed or deleted, and what the
    picker shows instead (``shown``; None or [] for nothing), bad-input round 25 F3: a page
    switched to the newest model under a notice about the link only."""
    if not gone:
        return
    one = len(gone) == 1
    said = " and ".join(
        filter(None, [", ".join(md_quoted(n) for n in gone[:-1]), md_quoted(gone[-1])])
    )
    instead = [shown] if isinstance(shown, str) else list(shown or [])
    then = (
        f"this page now shows {', '.join(md_quoted(name) for name in instead)}"
        if instead
        else f"nothing is picked in {'its' if one else 'their'} place"
    )
    st.warning(
        f"The model{'' if one else 's'} {said} this tab showed {'was' if one else 'were'} "
        f"renamed or deleted (in another tab or by the command line); {then}.",
        icon=":material/info:",
    )


#: The width a full-width table has at a 1440 px window beside the sidebar (px); a table whose
#: columns add up to less is stretched to its container's width, each column in proportion.
TABLE_WIDTH = 980
#: What a wide table's title and genres columns get when there is room for both whole (px).
LARGE_TEXT = 400


def wide_text_widths(columns: list[str]) -> tuple[int, int | None]:
    """Widths (px) of a wide table's title and genres (None: no genres column). Both get
    ``LARGE_TEXT`` where the other columns leave room; else they share what is left, 55:45,
    so neither a long title nor a long genre list hides the other behind a horizontal scroll.

    >>> wide_text_widths(["rank", "title", "year", "genres"])
    (400, 400)
    >>> wide_text_widths(["rank", "title", "rating", "predicted", "year", "n_ratings",
    ...                   "mean_rating", "genres"])
    (314, 256)
    """
    if "genres" not in columns:
        return LARGE_TEXT, None
    widths = [MOVIE_COLUMN_CONFIG.get(c, {}).get("width") for c in columns]
    others = sum(
        w if isinstance(w, int) else 80
        for c, w in zip(columns, widths, strict=True)
        if c not in ("title", "genres")
    )
    room = TABLE_WIDTH - others
    if room >= 2 * LARGE_TEXT:
        return LARGE_TEXT, LARGE_TEXT
    title = max(200, round(room * 0.55))
    return title, max(160, room - title)


#: What a movie table shows for the rating count of a model that has none (an embedding
#: imported without counts stores 0 for "unknown").
UNKNOWN_COUNT = "unknown"


def with_ids_where_alike(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with " · id X" after the titles that two different movies share there (same
    title and year, different ids), so that the rows can be told apart (bad-input round 60,
    F5: two "Amélie (2001)" rows of an import, one written with a decomposed accent).

    >>> t = pd.DataFrame({"movie_id": [100, 101, 7], "title": ["Hamlet", "Hamlet", "Heat"],
    ...                   "year": [1990, 1990, 1995]})
    >>> with_ids_where_alike(t)["title"].tolist()
    ['Hamlet · id 100', 'Hamlet · id 101', 'Heat']
    """
    if not {"title", "movie_id"} <= set(frame.columns) or len(frame) < 2:
        return frame
    key = frame["title"].astype(str).str.strip().str.casefold()
    if "year" in frame.columns:
        key = key + "|" + frame["year"].astype(str)
    ids = frame["movie_id"].astype(str)
    alike = ids.groupby(key).transform("nunique").gt(1)
    if not alike.any():
        return frame
    titles = frame["title"].astype(str).where(~alike, frame["title"].astype(str) + " · id " + ids)
    return frame.assign(title=titles)


def show_movies(
    frame: pd.DataFrame,
    *,
    height: int | str = "auto",
    key: str | None = None,
    wide: bool = False,
    config: dict[str, Any] | None = None,
    pin_title: bool = True,
) -> None:
    """A movie result table: readable genres, no internal ids, numbers formatted, rating
    counts blank for a model without them (``UNCOUNTED``: never "0 ratings"), the text
    last (a table wider than its column scrolls, and its right edge then cuts text, never a
    number). ``wide`` gives the title and genres large columns: for a table with the page's
    full width. ``config``: column settings of the table's own columns. ``pin_title=False``
    leaves a wide table's title unpinned at its full width (a pinned one is at most
    :data:`PINNED_TEXT_WIDTH`): for a table of a few short numbers, where the title is what
    is read (views round 27, F6: titles cut while the genres had room)."""
    shown = with_ids_where_alike(frame).drop(
        columns=[c for c in HIDDEN_MOVIE_COLUMNS if c in frame.columns]
    )
    uncounted = frame.attrs.get(UNCOUNTED) and "n_ratings" in shown.columns
    if uncounted:  # unknown, not 0 (views round 18, F2)
        shown = shown.assign(n_ratings=UNKNOWN_COUNT)
    if "genres" in shown.columns:
        shown = shown.assign(genres=shown["genres"].map(genres_text))
    shown = numbers_first(shown.drop(columns=_empty_columns(shown)))
    config = {**MOVIE_COLUMN_CONFIG, **(config or {})}
    if uncounted:
        config = {**config, "n_ratings": st.column_config.TextColumn("ratings", width=70)}
    if wide:
        title, genres = wide_text_widths(list(shown.columns))
        config = {
            **config,
            "title": st.column_config.TextColumn(
                "title", width=title, pinned=None if pin_title else False
            ),
        }
        if genres is not None:
            config["genres"] = st.column_config.TextColumn("genres", width=genres)
    show_table(
        shown,
        hide_index=True,
        height=height,
        column_config=config,
        key=key,
        placeholder="",  # no year (an untitled item): an empty cell, not "None" (views round 40)
    )


#: Free-text columns of the movie and model tables, which :func:`numbers_first` puts last,
#: in this order: the title first, the longest lists last. "epoch kept" reads "8 of 8,
#: regularizers never settled": before "train s" it pushed that number off a 1024 px table
#: (views round 13). A pick's 'because', which Rate's caption explains, comes before its
#: genres: last, it was off a 1280 px table's right edge (recheck 14, F1).
TEXT_COLUMNS = (
    "title", EPOCHS_COLUMN, "rated", "because", "genres", "group", "dataset", "family", "regularizers",
    "test rows", "created (UTC)", "genres above popularity",
)  # fmt: skip


def numbers_first(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its :data:`TEXT_COLUMNS` moved to the end, in :data:`TEXT_COLUMNS`'
    order: a window narrower than the table cut right-aligned numbers to their first digits
    (views round 7: 307 ratings read "3"; round 10: a cosine of 0.896 read "0.8" beside a
    title; round 12: Rate's long 'because' pushed the year and the recommended title out)."""
    text_columns = sorted((c for c in table.columns if c in TEXT_COLUMNS), key=TEXT_COLUMNS.index)
    return table[[c for c in table.columns if c not in text_columns] + text_columns]


#: Movie columns a table leaves out when no row has a value: data without years or genres
#: (a user's CSV) showed a "year" column of None and an empty "genres" (views round 4).
OPTIONAL_MOVIE_COLUMNS = ("year", "genres")


def _empty_columns(frame: pd.DataFrame) -> list[str]:
    """The :data:`OPTIONAL_MOVIE_COLUMNS` of ``frame`` that are empty in every row."""
    return [c for c in OPTIONAL_MOVIE_COLUMNS if c in frame.columns and frame[c].map(_blank).all()]


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | np.ndarray):
        return len(value) == 0
    return bool(pd.isna(value))


def say_link_outside(key: str, shown: list[str], why: str) -> None:
    """Say a link's ``?key=`` that is not among ``shown`` (the labels the control bound to
    ``key`` offers for the model shown, none where it is not drawn) and leave it out of the
    URL (:func:`state.ignore_from_link`): Streamlit's bound box drops it unsaid, and a control
    not drawn leaves it in a link that then names what the page does not show (bad-input
    round 20). Once the control holds a value of this session, the URL follows it, and a value
    of it left over is only taken out."""
    for value in st.query_params.get_all(key):
        if value in shown:
            continue
        if st.session_state.get(key) is not None:  # this session's own pick, not the link's
            state.set_in_link(key, None)
            return
        state.ignore_from_link(key, value, why)


def bound_selectbox(
    where: Any, label: str, options: list[Any], *, key: str, why: str, **kwargs: Any
) -> Any:
    """``where.selectbox`` bound to the URL as ``?key=``, for options that depend on the model
    or the data: a link's pick outside them is said and left out (:func:`say_link_outside`,
    ``why`` the reason). Use it for every such bound select box."""
    label_of = kwargs.get("format_func") or str
    say_link_outside(key, [str(label_of(option)) for option in options], why)
    return where.selectbox(label, options, key=key, bind="query-params", **kwargs)


def one_per_row(count: int, help: str) -> bool:
    """The "One model per row" switch (``?wide=``) over ``count`` models' tables; none for one
    model, whose table always has a row of its own (a link's ``wide=false`` is said)."""
    if count == 1:
        say_link_outside("wide", ["true", "True"], "one model's table always has a row of its own")
        return True
    return st.toggle(
        "One model per row, with ratings and genres", key="wide", bind="query-params", help=help
    )


def movie_label(movies: pd.DataFrame, row: int, *, counts: bool = True) -> str:
    """A movie as a pick box lists it (``Heat (1995), 1,203 ratings``: the URL holds it);
    without ``counts``, its title and year only."""
    title = with_year(movies["title"].iloc[row], movies["year"].iloc[row])
    return f"{title}, {ratings_text(movies['n_ratings'].iloc[row])}" if counts else title


def distinct_labels(movies: pd.DataFrame, rows: Any, *, counts: bool | None = True) -> list[str]:
    """:func:`movie_label` of each of ``rows``, told apart where two would read alike: a
    title alone (``counts`` None) gets its year where titles repeat, and a label that still
    repeats gets the movie's id (fuzz round 41, F3: three "Same Movie" buttons; a pick box
    keyed by label kept one of the films of one title, year and count)."""
    rows = [int(row) for row in rows]
    makers = [lambda r: movie_label(movies, r, counts=bool(counts))]
    if counts is None:
        makers.insert(0, lambda r: str(movies["title"].iloc[r]))
    ids = movies["movie_id"] if "movie_id" in movies.columns else pd.Series(movies.index)
    makers.append(lambda r: f"{movie_label(movies, r, counts=bool(counts))} · id {ids.iloc[r]}")
    labels = [makers[0](row) for row in rows]
    for maker in makers[1:]:
        seen = Counter(labels)
        labels = [maker(r) if seen[lab] > 1 else lab for r, lab in zip(rows, labels, strict=True)]
    return labels


#: How many titles the pick box of an unclear title query offers.
PICK_LIMIT = 8


def _pick_labels(movies: pd.DataFrame, candidates: pd.DataFrame) -> dict[str, int]:
    """label -> movie_idx of a title query's candidates, as :func:`pick_title` offers them."""
    rows = [int(row) for row in candidates["movie_idx"]]
    return dict(zip(distinct_labels(movies, rows), rows, strict=True))


def preset_title(index: Any, row: int, *, query_key: str, key: str) -> None:
    """Put movie ``row``'s title and year in the title box ``query_key`` and, where they name
    several movies, preset :func:`pick_title`'s box ``key`` to that very movie: for a click on
    a movie (fuzz round 41, F3: a click on one of three "Same Movie" opened the most rated)."""
    movies = index.movies
    query = with_year(movies["title"].iloc[row], movies["year"].iloc[row])
    st.session_state[query_key] = query
    labels = _pick_labels(movies, index.search(query, limit=PICK_LIMIT))
    label = next((lab for lab, r in labels.items() if r == row), None)
    st.session_state[key] = label
    # the link too: Streamlit wrote the title alone, so a reload or a shared link opened the
    # most rated film of that title (recheck 3, L2)
    state.set_link({query_key: query, key: label})


def pick_title(index: Any, query: str, *, key: str) -> int | None:
    """The movie a title query names: the clear match, else a choice among the candidates
    (bound to the URL as ``?key=``).

    Returns ``None`` while nothing is chosen (after saying why).
    """
    from movierate.explore.search import MATCH_THRESHOLD

    try:
        row = int(index.resolve(query))
    except MovierateError:
        candidates = index.search(query, limit=PICK_LIMIT)
    else:
        say_link_outside(
            key,
            [movie_label(index.movies, row)],
            f"{query!r} names one movie, {movie_label(index.movies, row, counts=False)}",
        )
        return row
    if candidates.empty:
        say_link_outside(key, [], f"no movie title matches {query!r}")
        st.warning(
            f"No movie title matches {md_quoted(query)}; check the spelling.",
            icon=":material/search_off:",
        )
        return None
    labels = _pick_labels(index.movies, candidates)
    weak = float(candidates["score"].iloc[0]) < MATCH_THRESHOLD
    if weak:
        st.warning(
            f"No movie title matches {md_quoted(query)} well; did you mean one of these?",
            icon=":material/search_off:",
        )
    # several equally good matches: the first (best-known: most ratings) is preselected
    chosen = bound_selectbox(  # the user's pick (its label) survives a reload
        st,
        "Closest titles" if weak else f"Several movies match {md_quoted(query)}; pick one",
        list(labels),
        index=None if weak else 0,
        key=key,
        placeholder="pick a title",
        why=f"it is not among the titles that match {query!r} here",
    )
    return None if chosen is None else labels[chosen]


def tsne_figure(
    frame: pd.DataFrame,
    colour: str,
    focus: int | None,
    neighbours: list[int] | None = None,
    **layers: Any,
) -> go.Figure:
    """:func:`figures.tsne_figure` on the memoised scatter (:func:`state.tsne_scatter`), so a
    click or a search only redraws the rings; ``layers`` (matches, selected, regions) go to
    :func:`figures.add_map_rings`."""
    return figures.add_map_rings(
        state.tsne_scatter(frame, colour), frame, focus, neighbours, **layers
    )


def _points(event: Any) -> tuple[list[Any], bool]:
    """(selected points, made by box or lasso) of a plotly chart event."""
    try:
        selection = event.selection
        points = list(selection.points)
    except (AttributeError, KeyError, TypeError):
        return [], False
    dragged = bool(_get(selection, "box")) or bool(_get(selection, "lasso"))
    return points, dragged


def _get(obj: Any, name: str) -> Any:
    try:
        return obj[name]
    except (KeyError, TypeError, AttributeError):
        return getattr(obj, name, None)


def _movie_of(point: Any) -> int | None:
    custom = point.get("customdata") if hasattr(point, "get") else None
    if custom is None:
        return None
    try:
        value = custom[0] if isinstance(custom, list | tuple) else custom
        return int(value)
    except (TypeError, ValueError, IndexError):
        return None


def selected_movie(event: Any) -> int | None:
    """The movie_idx of the point clicked in a chart made by :func:`tsne_figure`, if any (a box
    or lasso selection is not a click)."""
    points, dragged = _points(event)
    if dragged:
        return None
    for point in points:
        movie = _movie_of(point)
        if movie is not None:
            return movie
    return None


def selected_movies(event: Any) -> list[int] | None:
    """The movie_idx of every point inside a box or lasso drawn on the map (sorted, unique),
    or None when the event is not a box / lasso selection."""
    points, dragged = _points(event)
    if not dragged:
        return None
    return sorted({m for m in (_movie_of(p) for p in points) if m is not None})


@dataclass(frozen=True)
class MapMatches:
    """What a map search found: every match on the map, most rated first, and how the query
    was read (``"contains"``, ``"regex"``, ``"closest"`` when no title holds the text, or
    ``"group"`` for a ``genre:`` / ``year:`` search, whose movies ``group`` describes)."""

    rows: list[int]
    reading: str
    off_map: int = 0  # matches that are not on the map (too few ratings, not isolated)
    group: str = ""  # "Horror", "from 1990 to 1999": what a group search's movies are

    def __len__(self) -> int:
        return len(self.rows)


#: Search matches ringed on the map (the most rated); all are counted.
MAX_RINGS = 300


def map_matches(index: Any, query: str, *, within: Any = None, regex: bool = False) -> MapMatches:
    """The movies a map search names: every movie of a genre or years (``genre:Horror``,
    ``year:1990-1999``: :func:`explore.search.group_search`), else by the rules of the Custom
    axes sets (``explore.axes.read_set``): a ``/regular expression/`` (or any query with
    ``regex``), else every title containing the text (a year at its end keeps that year's,
    "heat 1995"), else, when no title holds it, the closest titles (a typo). Only those among
    ``within`` (movie_idx, the map) are returned, most rated first; the others are counted. A
    bad pattern, genre or year raises DataError saying what is wrong."""
    from movierate.explore.axes import regex_of
    from movierate.explore.search import MATCH_THRESHOLD, group_search

    if not query or not query.strip():
        return MapMatches([], "contains")
    if (group := group_search(index.movies, query)) is not None:
        return _on_map(index, group[0], "group", within, group=group[1])
    # one pair of enclosing slashes is dropped with the switch on too (views round 18, F3)
    pattern = query.strip() if regex else regex_of(query)
    if pattern is not None:
        found, reading = index.containing(query.strip(), regex=True), "regex"
    else:
        found, reading = index.containing(query), "contains"
    if not len(found) and pattern is None:
        best = index.search(query, limit=10)
        if not best.empty and float(best["score"].iloc[0]) >= MATCH_THRESHOLD:
            strong = best[best["score"] >= 0.9 * float(best["score"].iloc[0])]
            found, reading = strong["movie_idx"].to_numpy(np.int64), "closest"
    return _on_map(index, found, reading, within)


def _on_map(index: Any, found: Any, reading: str, within: Any, group: str = "") -> MapMatches:
    """The :class:`MapMatches` of the rows ``found``: those among ``within``, most rated first."""
    found = np.unique(np.asarray(found, dtype=np.int64))
    # one vectorised membership test: a set of the map rebuilt per match froze a 7,507-match
    # search on a 20,248-movie map for 2 minutes (views round 36, H2)
    on_map = found if within is None else found[np.isin(found, np.asarray(within, np.int64))]
    counts = pd.to_numeric(index.movies["n_ratings"], errors="coerce").fillna(0).to_numpy()
    on_map = on_map[np.lexsort((on_map, -counts[on_map]))]
    return MapMatches(on_map.tolist(), reading, len(found) - len(on_map), group)


def map_matches_text(
    matches: MapMatches, query: str, why: str = "too few ratings for the filter"
) -> str:
    """The caption of a map search: how many titles ON THE MAP match, how the query was read,
    which are ringed and labelled, and how many matches the map leaves out (``why``)."""
    shown = md_quoted(query)
    n = len(matches)
    more = "matches are" if matches.off_map > 1 else "match is"
    off = f" ({matches.off_map:,} more {more} not on the map: {why}.)" if matches.off_map else ""
    thing = "movie" if matches.reading == "group" else "title"
    if n == 0:
        if matches.reading == "group":
            where = "on the map " if matches.off_map else ""
            return f"No movie {where}is {md(matches.group)}.{off}"
        if matches.off_map:
            return f"No title on the map matches {shown}.{off}"
        return f"No title matches {shown}."
    how = {
        "contains": f"contain {shown}" if n > 1 else f"contains {shown}",
        "regex": f"match{'' if n > 1 else 'es'} the regular expression {shown}",
        "closest": f"come{'' if n > 1 else 's'} closest to {shown} (no title contains it)",
        "group": f"{'are' if n > 1 else 'is'} {md(matches.group)}",
    }[matches.reading]
    head = f"{n:,} {thing}{'s' if n > 1 else ''} on the map {how}"
    from movierate.ui.figures import MAX_MATCH_LABELS

    if n == 1:
        return f"{head}; it is ringed and labelled in orange.{off}"
    ringed = "all are ringed" if n <= MAX_RINGS else f"the {MAX_RINGS} most rated are ringed"
    labelled = (
        "and labelled"
        if n <= MAX_MATCH_LABELS
        else f"and the {MAX_MATCH_LABELS} most rated labelled"
    )
    return f"{head}; {ringed} in orange {labelled}.{off}"


#: Characters a button beside the map shows whole at 1280 px (its side column is narrow).
SIDE_BUTTON_CHARS = 24


def side_button_label(*labels: str) -> str:
    """The first of ``labels`` (longest, clearest first) that a button beside the map shows
    whole, else the last: "Select the 3,216 Animation movies" was cut to "Select the 3,216
    Animatio…" at 1280 px (views round 36, L1)."""
    return next((label for label in labels if len(label) <= SIDE_BUTTON_CHARS), labels[-1])


def pick_on_map(index: Any, matches: MapMatches, query: str, *, key: str) -> int | None:
    """The movie a map search focuses on, among its matches on the map: the only one, else a
    choice (the title the query names exactly first, then the most rated)."""
    movies = index.movies
    if not matches.rows:
        say_link_outside(key, [], f"no title on the map matches {query!r}")
        return None
    if len(matches) == 1:
        row = matches.rows[0]
        say_link_outside(
            key,
            [movie_label(movies, row)],
            f"{query!r} matches one title on the map, {movie_label(movies, row, counts=False)}",
        )
        return row
    options = matches.rows[:MAX_RINGS]
    try:  # "toy story": Toy Story first, before Toy Story 2 and 3
        exact = int(index.resolve(query))
    except (MovierateError, ValueError):
        exact = None
    if exact in options:
        options = [exact] + [m for m in options if m != exact]
    labels = dict(zip(distinct_labels(movies, options), options, strict=True))
    chosen = bound_selectbox(  # the pick (its label) survives a reload and a copied link
        st,
        "Centre on",
        list(labels),
        index=0,
        key=key,
        why=f"it is not among the {len(options)} titles on the map that match {query!r} first",
    )
    return labels.get(chosen, options[0])


@st.cache_data(show_spinner=False, max_entries=32)
def _regions(digest: str, _frame: pd.DataFrame, tags_key: str, _tags: Any) -> pd.DataFrame:
    from movierate.explore import map_regions

    return map_regions(
        _frame[["x", "y"]].to_numpy(),
        list(_frame["genres"]),
        movie_idx=_frame["movie_idx"].to_numpy() if _tags is not None else None,
        tags=_tags,
    )


def map_regions(frame: pd.DataFrame, tags: pd.DataFrame | None, tags_key: str) -> pd.DataFrame:
    """``explore.map_regions`` of a map, memoised on its content (and the tags' dataset)."""
    return _regions(figures.map_digest(frame), frame, tags_key if tags is not None else "", tags)


@st.cache_resource(show_spinner=False, max_entries=4)
def _tags(name: str, fingerprint: str | None, _ds: Any) -> pd.DataFrame | None:
    from movierate.data.extras import read_tags

    return read_tags(_ds)


def dataset_tags(model: Any) -> tuple[pd.DataFrame | None, str]:
    """(the user tags of the model's dataset or None, why there are none), cached per dataset.
    Needs the dataset on disk; None (with the reason) when it is missing or has no tags.csv."""
    meta = model.meta.get("dataset", {})
    try:
        ds = state.dataset_of(model)
        tags = _tags(str(meta.get("name")), meta.get("fingerprint"), ds)
    except MovierateError as exc:
        return None, f"tags unavailable: {exc}"
    if tags is None:
        return None, f"{meta.get('name')} has no tags.csv"
    return tags, ""


def map_cost_text(model: Any, method: str, params: dict[str, Any]) -> str:
    """``"2,269 movies, about 9 s while the machine is not busy"``: what computing a map will
    cost (an estimate for an idle machine; when it is busy, the load and that the map may take
    several times longer: :func:`~movierate.explore.projection.cost_text`)."""
    from movierate.explore.projection import cost_text

    rows = params.get("rows")
    if rows is not None:
        n = len(rows)
    else:
        n = int((filter_counts(model.movies) >= int(params.get("min_ratings", 0))).sum())
    defaults = {"max_iter": 500}
    return f"{n:,} movies, {cost_text(method, n, {**defaults, **params})}"


def trust_text(trust: dict[str, Any]) -> str:
    """One sentence of a map's trust numbers (``frame.attrs["trust"]``); a map of under
    :data:`~movierate.FEW_MAP_MOVIES` movies is said to tell little."""
    k, n = int(trust["k"]), int(trust.get("n_movies") or 0)
    if 2 < n < FEW_MAP_MOVIES:
        return (
            f"**How far to trust this map:** a map of only {n} movies tells little: even a "
            f"random layout keeps {k / (n - 1):.0%} of each movie's {k} nearest embedding "
            f"neighbours on average (this one keeps {trust['kept']:.0%}). The share kept says "
            f"how far to trust a map from {FEW_MAP_MOVIES} movies on."
        )
    sample = trust.get("n_measured")
    text = (
        f"**How far to trust this map:** it keeps {trust['kept']:.0%} of each movie's {k} "
        "nearest embedding neighbours among its nearest on the map"
        + (
            f" (measured on {int(sample):,} of its {n:,} movies, drawn at random)."
            if sample
            else "."
        )
    )
    if trust.get("genre_embedding") == trust.get("genre_embedding"):  # not NaN
        text += (
            f" Neighbours share a genre {trust['genre_embedding']:.0%} of the time in the "
            f"embedding, {trust['genre_map']:.0%} on the map, {trust['genre_random']:.0%} for "
            "random pairs."
        )
    return text


#: ``?map_sel=``: how many movies the map's box / lasso selection held when the link was
#: written. The selection itself lives in the tab's session; the count lets a reload, a new
#: tab or a restarted dashboard say that it was not kept (views round 19, F5: it vanished).
SELECTION_PARAM = "map_sel"


def selection_in_link(selections: dict[str, list[int]], selected: list[int]) -> None:
    """Keep the size of the map's selection in the link (``selections``: this session's, by
    map; ``selected``: the shown map's). A link naming a selection this session does not hold
    gets a line saying that it was not kept, and the count leaves the link."""
    linked = st.query_params.get(SELECTION_PARAM)
    if selections:  # selected on a map in this session: the link follows the shown one
        state.set_in_link(SELECTION_PARAM, f"{len(selected)}" if selected else None)
        return
    if linked:
        st.warning(
            f"Your selection of {int(float(linked)):,} films was not kept: selections live in this "
            "tab's session, which a reload, a new tab or a restarted dashboard starts anew. "
            "Select them again with the lasso or the box, or with a search's 'Select the "
            "matches' button.",
            icon=":material/deselect:",
        )
        state.set_in_link(SELECTION_PARAM, None)


def show_selection(
    model: Any,
    frame: pd.DataFrame,
    rows: list[int],
    *,
    key: str,
    tags: pd.DataFrame | None = None,
    tags_note: str = "",
) -> None:
    """The selection panel: what the ``rows`` (movie_idx) picked on the map ``frame`` have in
    common against the rest of the map (explore.describe_selection): size, mean rating, genre
    enrichment, year and popularity histograms, user tags and the titles."""
    from movierate.explore import describe_selection

    position = pd.Series(np.arange(len(frame)), index=frame["movie_idx"].to_numpy())
    picked = position.reindex(rows).dropna().astype(np.int64).to_numpy()
    if len(picked) == 0:
        st.info("None of the selected movies is on this map.", icon=":material/info:")
        return
    table = model.movies.loc[frame["movie_idx"].to_numpy()].reset_index(drop=True)
    local_tags = None
    if tags is not None:
        local_tags = tags[tags["movie_idx"].isin(position.index)]
        local_tags = local_tags.assign(
            movie_idx=position.loc[local_tags["movie_idx"].to_numpy()].to_numpy()
        )
    if len(picked) == len(frame):
        st.info("Every movie of the map is selected; select fewer to compare them with the rest.")
        return
    summary = describe_selection(table, picked, tags=local_tags)
    # no year or genre parts for data without them (views round 11: "Median year ?", "0 genres
    # tested" and empty charts on a user's own file)
    has_years = bool(table["year"].notna().any())
    cols = iter(st.columns(4 if has_years else 3))
    col = next(cols)
    col.metric("Movies selected", f"{summary.n_selected:,}")
    col.caption(f"of {summary.n_selected + summary.n_rest:,} on the map")
    col = next(cols)
    col.metric("Mean rating", f"{summary.mean_rating:.2f}")
    col.caption(f"the rest: {summary.mean_rating_rest:.2f}")
    if has_years:
        col = next(cols)
        col.metric("Median year", median_text(summary.median_year_selected, grouping=False))
        col.caption(f"the rest: {median_text(summary.median_year_rest, grouping=False)}")
    col = next(cols)
    col.metric(f"Median {summary.counted} per movie", median_text(summary.median_ratings_selected))
    col.caption(f"the rest: {median_text(summary.median_ratings_rest)}")
    if not summary.genres.empty:
        _selection_genres(summary.genres, key)
    left, right = st.columns(2) if has_years else (None, st.container())
    if left is not None:
        left.plotly_chart(
            figures.selection_histogram(summary.years, title="Release years"),
            key=f"{key}_years",
            config=figures.export_config(model.name, "selection-release-years"),
        )
    right.plotly_chart(
        figures.selection_histogram(
            summary.popularity, title=f"{summary.counted.capitalize()} per movie", log_x=True
        ),
        key=f"{key}_popularity",
        config=figures.export_config(model.name, "selection-ratings-per-movie"),
    )
    if summary.tags is not None and not summary.tags.empty:
        st.markdown(
            "**Most frequent user tags:** "
            + ", ".join(f"{md(t)} ({n})" for t, n in zip(summary.tags["tag"],
                                                       summary.tags["n_movies"], strict=True))
        )  # fmt: skip
    elif tags_note:
        st.caption(f"No user tags: {md(tags_note)}.")
    with st.expander(f"The {summary.n_selected:,} titles (most rated first)"):
        show_table(pd.DataFrame({"title": summary.titles}), hide_index=True, key=f"{key}_titles")


def _selection_genres(genres: pd.DataFrame, key: str) -> None:
    """The selection's genres more or less common than in the rest (Fisher, Holm)."""
    shown = genres[genres["p_adjusted"] < 0.05]
    st.markdown("**Genres: more or less common than in the rest of the map** (Fisher's test)")
    tested = f"{len(genres)} genres tested at once: p-values are two-sided and Holm-adjusted"
    if shown.empty:
        st.caption(
            f"No genre is more or less common here than chance allows ({tested}); the five "
            "closest are listed."
        )
        shown = genres.head(5)
    else:
        st.caption(f"{tested}, and only those under 0.05 are listed.")
    shown = shown.assign(  # percentages, so that a screen reader hears the shown "12.3%"
        share_selected=100 * shown["share_selected"], share_rest=100 * shown["share_rest"]
    )
    show_table(
        shown[["genre", "direction", "n_selected", "share_selected", "share_rest", "ratio",
               "p_adjusted"]],
        hide_index=True,
        key=f"{key}_genres",
        column_config={
            "direction": st.column_config.TextColumn("", width="small"),
            "n_selected": st.column_config.NumberColumn("movies"),
            "share_selected": st.column_config.NumberColumn("in selection", format="%.1f%%"),
            "share_rest": st.column_config.NumberColumn("in the rest", format="%.1f%%"),
            "ratio": st.column_config.NumberColumn("ratio", format="%.2f"),
            "p_adjusted": st.column_config.NumberColumn("p-value (adjusted)", format="%.1e"),
        },
    )  # fmt: skip


def verdict_boxes(model: Any, *, with_name: bool = False) -> list[tuple[str, bool]]:
    """What each regularizer of ``model`` measurably did (``explore.regularizer_verdicts``) as
    (sentence, achieved), one per box :func:`show_verdicts` draws. L2 has no target of its own
    and is left out, so a model with L2 only gets none."""
    from movierate.explore import DEFAULT_MIN_RATINGS
    from movierate.explore.verdicts import regularizer_verdicts

    boxes = []
    # also over the movies the views start with: all rows can pass while those fail
    for verdict in regularizer_verdicts(model, min_ratings=DEFAULT_MIN_RATINGS):
        if verdict.kind == "l2":
            continue
        boxes.append((verdict_text(verdict, model.name if with_name else None), verdict.achieved))
    return boxes


def show_verdicts(
    model: Any, *, with_name: bool = False, boxes: list[tuple[str, bool]] | None = None
) -> None:
    """:func:`verdict_boxes` (or ``boxes``, already built), as a green box when its effect is
    there and an amber one when it is not."""
    for sentence, achieved in verdict_boxes(model, with_name=with_name) if boxes is None else boxes:
        if achieved:  # explicit icons: a body scanned for an emoji imports ~1 s
            st.success(sentence, icon=":material/check_circle:")
        else:
            st.warning(sentence, icon=":material/info:")


def show_notices(ds: Any, *, after_rerun: bool = False) -> None:
    """What loading ``ds`` (a RatingsDataset) changed or guessed (``ds.notices()``: duplicates
    dropped, rating scale inferred or set by outliers, repeated movie ids), as one warning.

    With ``after_rerun`` the notices are queued for the top of the next run instead (for a
    page that calls ``st.rerun()`` right after an import).
    """
    lines = list(ds.notices()) if hasattr(ds, "notices") else list(ds or [])
    if not lines:
        return
    text = f"Notes on **{md(getattr(ds, 'name', 'the data'))}**: " + md(" ".join(lines))
    if after_rerun:
        state.add_notice(text)
    else:
        st.warning(text, icon=":material/info:")


def show_dataset_notices(name: str) -> None:
    """:func:`show_notices` for the dataset called ``name``, when reading it is quick (a
    parsed copy exists or it is small); nothing when it cannot be read (the page that uses it
    says why)."""
    for line in state.dataset_notices(name):
        st.warning(f"Notes on **{md(name)}**: {md(line)}", icon=":material/info:")


def show_leftovers() -> None:
    """What killed or running writes left under MOVIERATE_HOME (``store.leftovers()``): one
    caption with their count and size and the report's lines; nothing when all is clean."""
    report = state.leftovers()
    lines = report.lines()
    if not lines:
        return
    st.info(
        report.heading() + ":\n\n" + "\n".join(f"- {line}" for line in lines),
        icon=":material/cleaning_services:",
    )


def training_count_column(model: Any) -> dict[str, Any] | None:
    """A ranked list's column settings: ``n_ratings`` shown as "trained on" where the model's
    counts are training ratings (what the Min. ratings filter counts), else None. Recommend's
    lists and Rate movies' (accuracy round 51: Rate showed 317 ratings of Shawshank, 268 of
    them training ratings, beside a filter counting those)."""
    from movierate.data.movies import TRAINING_COUNTS

    if TRAINING_COUNTS not in model.movies.columns:
        return None
    return {
        "n_ratings": st.column_config.NumberColumn(
            "trained on",
            help="Ratings of the movie this model trained on (test rows do not count): what "
            "the Min. ratings filter counts",
            width=80,
        )
    }
