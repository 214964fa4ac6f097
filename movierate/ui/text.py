"""Text and tables for display: one-line descriptions of models, jobs, genres and years.

No Streamlit here: plain strings and DataFrames that widgets and figures show.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from movierate import glossary, paired, pipeline
from movierate.explore import quality
from movierate.filenames import bytes_escaped
from movierate.jobs import JobSnapshot
from movierate.shown import number
from movierate.spreadsheet import FORMULA_STARTS
from movierate.store import (
    dim_shown,
    family_shown,
    regularizers_shown,
    scale_text,
    split_aside,
    stop_rows_chose,
    test_row_groups,
)
from movierate.tuning import TuneRequest

#: History columns holding a regularizer's loss start with this (``reg_l2``, ``reg_whitening``).
REG_PREFIX = "reg_"


#: What Streamlit's Markdown reads as markup inside a line: emphasis, code, links, LaTeX
#: (``$x$``), strikethrough, HTML tags, directives and emoji codes (``:red[x]``, ``:smile:``),
#: entities (``&amp;``) and every ``_`` but one between two letters or digits (``a_b`` is plain
#: text; in ``__it__`` each ``_`` touches another, and one left bare made it italic).
_INLINE_MARKUP = re.compile(
    r"[\\`*\[\]<>$~]|(?<![^\W_])_|_(?![^\W_])|:(?=[A-Za-z_/+-])|&(?=#?\w+;)"
)
#: An invisible character that keeps two characters from being read together.
WORD_JOINER = "\u2060"
#: Where Streamlit's Markdown finds markup after it has removed the escapes (bad-input round
#: 46): an emoji code (``\:smile:`` still showed 😄) and an address it links by itself
#: (``https://``, ``www.``, ``a@b.org``). A word joiner there breaks the pattern, unseen.
#: GroupLens' addresses stay links: the product's own messages give them to follow and copy.
_AFTER_ESCAPES = re.compile(
    r"(?<=\\:)(?=[A-Za-z_+-])"
    r"|(?i:(?<=\bhttps)|(?<=\bhttp)|(?<=\bftp))(?=\\?://(?!(?:[\w-]+\.)*grouplens\.org(?![\w-]|\.\w)))"
    r"|(?i:(?<=\bwww))(?=\.)|(?<=\w)(?=@\w)"
)
#: What starts a heading, quote, list or rule at the beginning of a line.
_LINE_START_MARKUP = re.compile(r"^(\s*(?:\d+)?)([#>+=.)-])", flags=re.MULTILINE)


#: The most characters of a title a heading shows (a stray quote in a movies file can make a
#: "title" of thousands of characters: a heading screens tall).
HEADING_CHARS = 160


def heading_text(value: Any) -> str:
    """:func:`md` of ``value`` on one line (a line break inside a title ended a heading and
    ran the rest into the text below: bad-input round 49, F2b), cut to :data:`HEADING_CHARS`
    characters with an ellipsis.

    >>> heading_text("x" * 1000)[-4:], len(heading_text("x" * 1000))
    ('xxx…', 161)
    >>> heading_text("Line one\\nLine two\\r\\n(1999)")
    'Line one Line two (1999)'
    """
    text = " ".join(str(value).split())
    return md(text if len(text) <= HEADING_CHARS else text[:HEADING_CHARS] + "…")


def md(value: Any) -> str:
    """``value`` (a title, genre, tag, user id, typed query or error message) as literal text
    inside Streamlit Markdown: ``st.markdown``, captions, alerts, widget labels and pill
    options. Without it ``*bold*`` shows in italics, ``$x$`` as LaTeX and ``<b>`` not at all.
    Only what would be read as markup is escaped, so plain text stays as it is.

    >>> print(md("$x$ *y* <b> [a](b) min_ratings # 1"))
    \\$x\\$ \\*y\\* \\<b\\> \\[a\\](b) min_ratings # 1
    >>> print(md("# Heading"), md("__it__"), md("a__b"))
    \\# Heading \\_\\_it\\_\\_ a\\_\\_b
    >>> md(":smile: www.x.org https://x.org a@b.org").replace(WORD_JOINER, "|")
    '\\\\:|smile: www|.x.org https|\\\\://x.org a|@b.org'
    """
    escaped = _INLINE_MARKUP.sub(lambda m: "\\" + m.group(0), displayable(value))
    escaped = _LINE_START_MARKUP.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return _AFTER_ESCAPES.sub(WORD_JOINER, escaped)


#: Unicode's bidirectional embedding, override and isolate controls: one in a name from a link
#: (U+202E) turned the rest of a notice backwards (bad-input round 10).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def displayable(value: Any) -> str:
    r"""``str(value)`` safe to show: bidirectional controls written as ``\u202e``, and bytes
    that are no UTF-8 (a folder name from another system, read by Python as lone surrogates,
    which the browser connection cannot carry: every page failed, bad-input round 10) as
    ``\xff``.

    >>> print(displayable("a\u202egnp.exe"), displayable("bad\udcff"))
    a\u202egnp.exe bad\xff
    """
    text = _BIDI_CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", str(value))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = bytes_escaped(text)
    return text


#: A text whose first strong letter is right-to-left (Hebrew, Arabic, ...), by the test that
#: Streamlit's table grid (Glide) uses to right-align a cell (its ``direction()``, 1.67).
_RTL_FIRST = re.compile(
    "^[^A-Za-z\xc0-\xd6\xd8-\xf6\xf8-\u02b8\u0300-\u0590\u0800-\u1fff\u200e"
    "\u2c00-\ufb1c\ufe00-\ufe6f\ufefd-\uffff]*[\u0591-\u07ff\ufb1d-\ufdfd\ufe70-\ufefc]"
)
#: LEFT-TO-RIGHT MARK, then FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE around the text.
_LRM = "\u200e"
_LTR_CELL = _LRM + "\u2068{}\u2069"


def table_cell(value: Any) -> Any:
    r"""``value`` as a table cell shows it. The grid right-aligns a text that starts with a
    right-to-left letter, and a column's right edge cut such titles to nothing (views round
    11); a leading LEFT-TO-RIGHT MARK aligns it left, the isolate keeps its words in their
    right-to-left order. Column ``alignment="left"`` does not help: the grid then draws the
    text leftwards out of the cell. For display only, never in data or exports.

    A text that starts like a spreadsheet formula (``=1+2``, ``@cmd``:
    :data:`movierate.spreadsheet.FORMULA_STARTS`) gets the same invisible mark in front:
    every table's own "Download as CSV" (Streamlit's, with no hook of ours) writes cells as
    shown, and a spreadsheet reads a cell that starts with the mark as text, not a formula.

    >>> table_cell("\u05e1\u05e8\u05d8 5") == "\u200e\u2068\u05e1\u05e8\u05d8 5\u2069"
    True
    >>> table_cell("Amélie (2001)"), table_cell(3), table_cell("=1+2") == "\u200e=1+2"
    ('Amélie (2001)', 3, True)
    """
    if isinstance(value, str) and _RTL_FIRST.match(value):
        return _LTR_CELL.format(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return _LRM + value
    return value


def isolated(text: str) -> str:
    r"""``text`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: a right-to-left
    title keeps its own order and cannot turn the text around it (views round 12: a list
    that began with a Hebrew title read backwards). Display only.

    >>> isolated("\u05e1\u05e8\u05d8") == "\u2068\u05e1\u05e8\u05d8\u2069"
    True
    """
    return f"\u2068{text}\u2069"


def titles_cell(parts: Sequence[tuple[str, str]], separator: str = ", ") -> str:
    r"""Several titles in one table cell, each with its note: ``[(title, "(rated 5: +0.20)")]``
    -> ``"Title (rated 5: +0.20), ..."``, laid out left to right with each title isolated
    (:func:`isolated`; its own bidi controls shown escaped, :func:`displayable`, so none
    ends the isolate early). A cell that begins with a Hebrew or Arabic title was drawn right
    to left as a whole: its commas led the items and the notes sat on the wrong side (views
    round 12). The leading LEFT-TO-RIGHT MARK also keeps a formula-like title inert
    (:func:`table_cell`). Display only, never in data or exports.

    >>> cell = titles_cell([("\u05e1\u05e8\u05d8", "(rated 5: +0.59)"), ("Heat", "(rated 4)")])
    >>> cell == "\u200e\u2068\u05e1\u05e8\u05d8\u2069 (rated 5: +0.59), \u2068Heat\u2069 (rated 4)"
    True
    >>> titles_cell([])
    ''
    """
    items = [f"{isolated(displayable(title))} {note}".rstrip() for title, note in parts]
    return _LRM + separator.join(items) if items else ""


def table_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`table_cell` applied to its text columns and text index, for
    ``st.dataframe`` (``frame`` itself is left as it is)."""
    shown = frame.copy(deep=False)
    for position in range(shown.shape[1]):
        column = shown.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            shown.isetitem(position, column.cat.rename_categories(table_cell))
        elif _is_text(column.dtype):
            shown.isetitem(position, column.map(table_cell))
    if _is_text(shown.index.dtype) and not isinstance(shown.index, pd.MultiIndex):
        shown.index = shown.index.map(table_cell)
    return shown


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def movies_counted(min_ratings: int, counted: str = "ratings") -> str:
    """The movies a minimum-ratings filter keeps, in words: ``"the movies with at least 10
    ratings"`` (``counted``: ``"training ratings"`` where the filter counts those, see
    :func:`movierate.explore.validation.counted_ratings`), or ``"all movies"`` when it is off."""
    if min_ratings <= 0:
        return "all movies"
    noun = counted[:-1] if min_ratings == 1 and counted.endswith("s") else counted
    return f"the movies with at least {min_ratings:,} {noun}"


def weighting_text(weighting: str, counted: str = "training ratings") -> str:
    """How a covariance weighs its movies, in words: ``"each weighted by its number of
    training ratings"`` (``counted`` as :func:`movies_counted` takes it; every rating is said to
    include the test rows). Accuracy round 19b: the caption read "(n_ratings weighting)"."""
    if weighting == "uniform":
        return "every movie weighted alike"
    noun = f"{counted}, test rows included" if counted == "ratings" else counted
    if weighting == "log_n_ratings":
        return f"each weighted by log(1 + its number of {noun})"
    return f"each weighted by its number of {noun}"


def md_quoted(value: Any) -> str:
    """``value`` in single quotes, as literal Markdown text (:func:`md`): a typed query."""
    return f"'{md(value)}'"


def html_text(value: Any) -> str:
    """``value`` as literal text in a Plotly label or hover (Plotly reads ``<b>``, ``<br>``
    and entities in them)."""
    return html.escape(displayable(value), quote=False)


#: One sentence per regularizer-loss history column that needs explaining.
REGULARIZER_LOSS_HELP = {
    "reg_l2": (
        "The L2 penalty is the vectors' mean squared length (users' plus movies'): vectors that "
        "start near zero grow as they learn the ratings, so it usually rises; the penalty holds "
        "that growth back, it is not meant to fall."
    ),
    "disc_loss": (
        "The adversarial discriminator loss is how well a small network tells the movie "
        "vectors from uniform noise in a cube (about 0.69 = it cannot tell them apart, the "
        "adversarial regularizer's aim; near 0 = it easily can)."
    ),
}


def penalty_curves_text(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    keys: Sequence[str],
    labels: Mapping[str, str],
) -> str:
    """Each regularizer loss curve's first and last value and its course (rising, falling, or
    where it peaked and bottomed), per run: views round 27, F6 read "lowest at epoch 1, not
    falling at the last epoch", early stopping's words, as a fault of an L2 penalty that grows
    with the vectors as it should.

    Each curve is numbered by its own epochs where the history has no ``epoch`` column (views
    round 42, F5: every run was numbered by the first key's length, so a run without that
    penalty had no epochs and its curve went unsaid).

    >>> penalty_curves_text({"m": {"reg_l2": [0.05, 0.2, 0.5]}}, ["reg_l2"], {"reg_l2": "L2"})
    'm: L2 0.05 at epoch 1 to 0.5 at epoch 3, rising.'
    """
    said = []
    for run, history in histories.items():
        for key in keys:
            epochs = history.get("epoch") or range(1, len(history.get(key) or []) + 1)
            points = [
                (int(e), float(v))
                for e, v in zip(epochs, history.get(key) or [], strict=False)
                if v is not None and math.isfinite(float(v))
            ]
            if not points:
                continue
            (first_epoch, first), (last_epoch, last) = points[0], points[-1]
            if len(points) == 1:
                said.append(f"{run}: {labels.get(key, key)} {last:.3g} at epoch {last_epoch}")
                continue
            values = [v for _, v in points]
            steps = [b - a for a, b in zip(values, values[1:], strict=False)]
            course = (
                "flat"
                if not any(steps)
                else "rising"
                if all(d >= 0 for d in steps)
                else "falling"
                if all(d <= 0 for d in steps)
                else f"highest at epoch {max(points, key=lambda p: p[1])[0]}, lowest at epoch "
                f"{min(points, key=lambda p: p[1])[0]}"
            )
            said.append(
                f"{run}: {labels.get(key, key)} {first:.3g} at epoch {first_epoch} to "
                f"{last:.3g} at epoch {last_epoch}, {course}"
            )
    return "; ".join(said) + "." if said else ""


def regularizer_keys(history: dict[str, list[float]]) -> list[str]:
    """History columns holding regularizer losses (``reg_<kind>``, ``disc_loss``)."""
    return [k for k in history if k.startswith(REG_PREFIX) or k == "disc_loss"]


#: The models tables' epochs column: the epoch the saved model is from, of those run.
EPOCHS_COLUMN = "epoch kept"


def tuning_ending(request: Any, trials: int) -> str:
    """What a finished tuning run did, after "finished" on the Train page: its trials and
    what it saved (recheck 8, F4: "finished trial 2/2" named neither the refit nor the save).

    >>> from types import SimpleNamespace as S
    >>> tuning_ending(S(refit=True, ensemble=1, blend=False), 2)
    '2 trials; the winner refit on training + early-stopping rows and saved'
    >>> tuning_ending(S(refit=False, ensemble=1, blend=False), 1)
    '1 trial; the winner saved as trained'
    """
    runs = f"{trials} trial{'' if trials == 1 else 's'}"
    what = "the blend of two winners" if getattr(request, "blend", False) else "the winner"
    seeds = getattr(request, "ensemble", 1)
    if not getattr(request, "refit", True):
        return f"{runs}; {what} saved as trained"
    as_seeds = f" as {seeds} seeds averaged" if seeds > 1 else ""
    return f"{runs}; {what} refit on training + early-stopping rows{as_seeds} and saved"


def epochs_text(metrics: dict[str, Any], cap: int | None = None, refit: bool = False) -> str:
    """``"10 of 12"``: the epoch early stopping kept of the epochs run (the last when no best
    epoch is recorded; ``""`` when neither is); ``"6 of 6, at the cap"`` when early stopping
    watched rows, the last epoch was still its best and it was the spec's last (``cap``): the
    run was cut, not stopped, and more epochs might have helped.

    >>> epochs_text({"best_epoch": 10, "epochs_run": 12}), epochs_text({"epochs_run": 3})
    ('10 of 12', '3 of 3')
    >>> epochs_text({"best_epoch": 6, "epochs_run": 6, "stop_rmse": 0.9}, cap=6)
    '6 of 6, at the cap'

    Regularizers that never settled make the last epoch the only one eligible (views round 10:
    "8 of 8, at the cap" of a model whose early-stopping RMSE was lowest at epoch 3):

    >>> epochs_text({"best_epoch": 8, "epochs_run": 8, "settled_epoch": None}, cap=8)
    '8 of 8, regularizers never settled'
    >>> epochs_text({"best_epoch": 9, "epochs_run": 12, "settled_epoch": 4})
    '9 of 12, eligible from 4'

    A tuning's refit ran the epochs its trial kept, with no rows left to stop on: its count was
    set, not chosen, so "5 of 5" alone read as early stopping that kept the last epoch:

    >>> epochs_text({"best_epoch": 5, "epochs_run": 5}, cap=5, refit=True)
    '5 of 5, refit: no early stopping'
    """
    best, run = metrics.get("best_epoch"), metrics.get("epochs_run")
    if not isinstance(run, int):
        return ""
    kept = best if isinstance(best, int) else run
    if refit:  # an older refit kept its lowest training RMSE's epoch (accuracy round 43, F1)
        return f"{kept} of {run}, refit: no early stopping"
    settled = metrics.get("settled_epoch", 1)
    if "settled_epoch" in metrics and (settled is None or settled != settled):  # null or NaN
        return f"{kept} of {run}, regularizers never settled"
    eligible = (
        f", eligible from {int(settled)}"
        if isinstance(settled, int | float) and settled > 1
        else ""
    )
    capped = cap is not None and kept == run == cap and "stop_rmse" in metrics
    return f"{kept} of {run}" + (", at the cap" if capped else "") + eligible


def saved_regularizer_losses(metrics: dict[str, Any], history: dict[str, list[float]]) -> str:
    """``"l2 1.228, whitening 0.01823"``: each regularizer's loss of the saved model (its
    metrics; else the history at its best epoch), never the last epoch's when early stopping
    kept an earlier one.

    >>> saved_regularizer_losses({"best_epoch": 2}, {"reg_l2": [3.0, 2.0, 2.5]})
    'l2 2'
    """
    best = metrics.get("best_epoch")
    shown = []
    for key in regularizer_keys(history):
        value = metrics.get(key)
        if not isinstance(value, int | float) and isinstance(best, int):
            column = history[key]
            value = column[best - 1] if 1 <= best <= len(column) else None
        if isinstance(value, int | float) and value == value:
            shown.append(f"{key.removeprefix(REG_PREFIX)} {value:.4g}")
    return ", ".join(shown)


def genres_text(genres: Any) -> str:
    """``["Action", "Comedy"]`` -> ``"Action, Comedy"``."""
    if genres is None or isinstance(genres, float):
        return ""
    return ", ".join(str(g) for g in genres)


def movie_hover(title: Any, year: Any, genres: Any, *lines: str) -> str:
    """A movie's Plotly hover: its title in bold with the year, then its genres and ``lines``
    (already hover text), one a line. A movie without a year or genres gets no "(0)" or empty
    line for them (views round 11: every point of a set without years read "year=0")."""
    head = f"<b>{html_text(with_year(title, year))}</b>"
    return "<br>".join(part for part in (head, html_text(genres_text(genres)), *lines) if part)


#: An example title for a search box: letters, digits and spaces only (a user's file may hold
#: markup or emoji titles among its most rated), short enough for a placeholder.
_PLAIN_TITLE = re.compile(r"^[^\W_]+(?: [^\W_]+){0,3}$")
_TRAILING_ARTICLE = re.compile(r", (?:The|A|An)$")


def title_examples(movies: pd.DataFrame, count: int = 3) -> list[str]:
    """Up to ``count`` of these movies' most-rated titles as a user would type them
    (``"forrest gump"``, ``"matrix"``), for a search box's placeholder: examples from the
    model's own data, never MovieLens titles a user's own file lacks (views round 11)."""
    top = movies.nlargest(200, "n_ratings") if "n_ratings" in movies.columns else movies[:200]
    found: list[str] = []
    for title in top["title"].astype(str):
        plain = _TRAILING_ARTICLE.sub("", title.strip()).casefold()
        if len(plain) <= 24 and _PLAIN_TITLE.match(plain) and plain not in found:
            found.append(plain)
            if len(found) == count:
                break
    return found


def search_placeholder(movies: pd.DataFrame, count: int = 3) -> str:
    """``"e.g. forrest gump, pulp fiction"`` from :func:`title_examples`; ``"part of a title"``
    when no title is plain enough to show."""
    examples = title_examples(movies, count)
    return f"e.g. {', '.join(examples)}" if examples else "part of a title"


def region_names(genres: bool, tags: bool) -> str:
    """What the map's region labels can name: ``"genres (and user tags)"``, ``"genres"``,
    ``"user tags"``, or "" when the data has neither (no label can appear)."""
    if genres:
        return "genres (and user tags)" if tags else "genres"
    return "user tags" if tags else ""


def regions_text(genres: bool, tags: bool, min_ratio: float) -> str:
    """What the map's region labels name and when, genres at ``min_ratio`` and user tags at
    their own thresholds (accuracy round 45, F2: the tags were given the genres' 1.5x); ""
    without either."""
    if not (genres or tags):
        return ""
    where = " more common in that region than on the whole map"
    named = []
    if genres:
        named.append(
            f"the genres at least {min_ratio:g}x{where} (held by at least "
            f"{quality.REGION_MIN_COUNT} of its movies and {quality.REGION_MIN_SHARE:.0%} of them)"
        )
    if tags:
        named.append(
            f"{'' if genres else 'the '}user tags at least {quality.REGION_MIN_TAG_RATIO:g}x"
            f"{'' if genres else where} (on at least {quality.REGION_MIN_TAG_MOVIES} of its "
            f"movies and {quality.REGION_MIN_TAG_SHARE:.0%} of them)"
        )
    sentence = "Labels name " + ", and ".join(named)
    if not genres:
        return sentence + "."
    return sentence + (
        "; genres only where more than random regions of its size hold (5%, Holm over every "
        "region and genre: Holm's correction raises each test's bar for the many made at once, "
        "so that chance alone puts any genre label on the map at most 5% of the time): on a "
        "small map a genre twice "
        "as common with a handful of movies can stay unlabelled."
    )


def year_text(year: Any) -> str:
    """A release year for display, ``"?"`` when unknown."""
    return "?" if year is None or pd.isna(year) else str(int(year))


def with_year(title: Any, year: Any) -> str:
    """``"Toy Story (1995)"``; the title alone when the year is unknown (views round 6:
    "Tidewater (?)" read as a broken character)."""
    return f"{title}" if year is None or pd.isna(year) else f"{title} ({int(year)})"


def model_summary(model: Any) -> str:
    """``"mf_bias, dim 32, l2=0.1; trained on ml-latest-small; test RMSE 0.8712"``, with a split
    other than the default random one named (``test RMSE (by date 10%) 1.0738``); an old
    model's figure is labelled as the valid RMSE that steered its early stopping; for autorec,
    deep and svdpp, what its vectors are (:func:`glossary.movie_vectors`); for an imported
    embedding, where it came from."""
    imported = (getattr(model, "meta", None) or {}).get("imported")
    if isinstance(imported, dict):  # its recorded spec ("mf") is a placeholder: not trained here
        return (
            f"imported embedding ({md(imported.get('source', '?'))}, "
            f"{md(imported.get('format', '?'))}), dim {model.dim}; no users or ratings"
        )
    rmse = getattr(model, "reported_rmse", None)
    aside = split_aside(getattr(model, "split_record", None))
    quality = f"; {model.metrics_label}{aside} {rmse:.4f}" if rmse is not None else ""
    vectors = glossary.movie_vectors(model.spec.family)
    return (
        f"{family_shown(model)}, {dim_shown(model)}, {regularizers_shown(model)}; "
        f"trained on {md(model.dataset_name)}{quality}" + (f"; {vectors}" if vectors else "")
    )


def job_progress_text(job: JobSnapshot) -> str:
    """One line: name, state, epoch (a tuning run: trial) and the latest early-stopping RMSE
    with the epoch it is from (:func:`metrics_epoch`; a tuning run: the best trial's so far)."""
    tuning = isinstance(job.spec, TuneRequest)
    parts = [f"**{md(job.name)}**: {job.state}"]
    if job.state == "running" and job.epochs:
        parts.append(f"{'trial' if tuning else 'epoch'} {max(job.epoch, 1)}/{job.epochs}")
    if tuning and "best_rmse" in job.latest_metrics:
        parts.append(f"best trial's early-stopping RMSE {job.latest_metrics['best_rmse']:.4f}")
    elif not tuning and "stop_rmse" in job.latest_metrics:
        parts.append(
            f"early-stopping RMSE {job.latest_metrics['stop_rmse']:.4f} (epoch "
            f"{metrics_epoch(job)})"
        )
    return ", ".join(parts)


def metrics_epoch(job: JobSnapshot) -> int:
    """The epoch a training job's latest metrics are from: once training ended (saving, then
    done) its kept epoch, before that its last finished one (0: none yet)."""
    kept = job.latest_metrics.get("best_epoch")  # the DONE event's
    return int(kept) if kept is not None else len(job.history.get("epoch", []))


def run_tiles(job: JobSnapshot) -> list[tuple[str, str, str | None]]:
    """The Train monitor's tiles after "elapsed", as (label, value, help): what was done, a
    train RMSE and an early-stopping RMSE, labelled with their epoch: a running training's
    last finished epoch, and from its end on (saving, done) its kept epoch (views round 39, F8:
    the kept epoch's, unlabelled, beside "epoch 8/8" while saving). A tuning run counts trials
    and shows the best trial's early-stopping RMSE, labelled as the trial's: its saved refit
    has none of its own (accuracy round 43, F2: the tile showed the last trial's last epoch
    beside the refit's train RMSE, and "epochs done" counted trials)."""
    metrics = job.latest_metrics
    done = len(job.history.get("epoch", []))
    if isinstance(job.spec, TuneRequest):
        return _tuning_tiles(job, done)
    kept = metrics.get("best_epoch")  # the ended training's (DONE event): saving, then done
    at = f", epoch {epoch}" if (epoch := metrics_epoch(job)) else ""
    tiles: list[tuple[str, str, str | None]] = [("epochs done", str(done), None)]
    for key, label in (("train_rmse", "train RMSE"), ("stop_rmse", "early-stopping RMSE")):
        helped = pruned_tile_help(metrics, key) if kept is not None else None
        tiles.append((label + at, _four(metrics.get(key)), helped))
    return tiles


def _tuning_tiles(job: JobSnapshot, trials: int) -> list[tuple[str, str, str | None]]:
    """:func:`run_tiles` of a tuning run."""
    metrics, refit = job.latest_metrics, bool(getattr(job.spec, "refit", False))
    counted = ("trials done", str(trials), "Trials finished; each trains for its own epochs.")
    best = _four(metrics.get("best_rmse"))
    if job.state != "done":
        return [
            counted,
            (
                "early-stopping RMSE, this trial",
                _four(metrics.get("trial_stop_rmse")),
                "The running trial's, at its latest epoch.",
            ),
            ("early-stopping RMSE, best trial so far", best, None),
        ]
    if refit:
        trained = (
            "Measured on the rows the saved model trained on: the training + early-stopping "
            "rows of its refit."
        )
        winner = (
            "The winning trial's (trained on the training rows only). The saved model was refit "
            "on the training + early-stopping rows, so it has no early-stopping RMSE of its own; "
            "only its test RMSE is held out."
        )
    else:
        trained = "The saved model's (the winning trial as trained), on the training rows."
        winner = "The saved model is the winning trial as trained: this is its own."
    return [
        counted,
        ("train RMSE, saved model", _four(metrics.get("train_rmse")), trained),
        ("early-stopping RMSE, winning trial", best, winner),
    ]


def _four(value: Any) -> str:
    """An RMSE tile's value: 4 decimals, or "–" when there is none."""
    return f"{value:.4f}" if isinstance(value, int | float) and math.isfinite(value) else "–"


def models_table(infos: list[Any]) -> pd.DataFrame:
    """One row per saved model: what it is and how well it does (for st.dataframe). A "test
    rows" column says which rows each test RMSE comes from when they differ between models."""
    table = pd.DataFrame(
        {
            "model": [i.name for i in infos],
            "dataset": [i.dataset for i in infos],
            "family": [family_shown(i) for i in infos],
            "dim": [i.spec.dim for i in infos],
            "regularizers": [regularizers_shown(i) for i in infos],
            "test rows": [i.test_rows_text for i in infos],
            "test RMSE": [i.test_rmse for i in infos],
            "test MAE": [i.test_mae for i in infos],
            # models saved before test rows existed: their valid rows also steered training
            "old valid RMSE (steered early stopping)": [
                None if i.has_test_rows else i.valid_rmse for i in infos
            ],
            EPOCHS_COLUMN: [epochs_text(i.metrics, i.spec.epochs, i.refit) for i in infos],
            "train s": [i.train_seconds for i in infos],
            "created (UTC)": [i.created[:16].replace("T", " ") for i in infos],
        }
    )
    old = "old valid RMSE (steered early stopping)"
    unused = [old] if table[old].isna().all() else []
    if len(test_row_groups(infos)) < 2:
        unused.append("test rows")
    return with_scale_column(table, infos).drop(columns=unused)


def with_scale_column(table: pd.DataFrame, infos: list[Any]) -> pd.DataFrame:
    """``table`` (a row per model of ``infos``, a "test RMSE" column) with a "rating scale"
    column before its test RMSE when the models' scales differ (views round 9: 1.81 on 1-10
    beside 0.9s; accuracy round 44, F3: Compare's table too)."""
    if _scales_text(infos):
        at = table.columns.get_loc("test RMSE") if "test RMSE" in table else len(table.columns)
        table.insert(at, "rating scale", [scale_text(i.scale) for i in infos])
    return table


def _scales_text(infos: list[Any]) -> str:
    """The models' rating scales ("0-1, 1-5"), or "" when they share one."""
    scales = {i.scale for i in infos} - {None}  # an imported embedding has none
    return ", ".join(scale_text(s) for s in sorted(scales)) if len(scales) > 1 else ""


def scales_note(infos: list[Any]) -> str:
    """A sentence when the models' rating scales differ (their RMSEs are in other units);
    "" when they share one."""
    if not (scales := _scales_text(infos)):
        return ""
    return (
        f"These models were trained on different rating scales ({scales}), and an RMSE is in "
        "rating points of its own scale: compare RMSEs only between models of one scale."
    )


#: Rating scales whose widths differ by at most this factor share a curves axis unremarked.
CURVES_SPAN_RATIO = 1.5


def curves_scales_note(infos: list[Any]) -> str:
    """A sentence when learning curves of models on different rating scales share one axis
    (bad-input round 41, F5: 0-1 and constant models lay flat at 0 beside a 0-100 one) and
    their widths differ by more than :data:`CURVES_SPAN_RATIO` (recheck 3, L6: 0.5-5 beside 1-5
    was said to "lie low for that alone")."""
    if not (scales := _scales_text(infos)):
        return ""
    widths = [hi - lo for lo, hi in {i.scale for i in infos} - {None}]
    if max(widths) <= CURVES_SPAN_RATIO * max(min(widths), 1e-12):
        return ""
    return (
        f"These curves share one axis but come from different rating scales ({scales}), each "
        "in rating points of its own: a model of a small scale lies low for that alone. Compare "
        "the shapes of the curves, not their heights."
    )


def shared_test_rows_text(model: Any, settings_saw: bool = False) -> str:
    """Which ratings every compared model's test RMSE comes from, when they share them;
    ``settings_saw``: some settings were chosen on them (``store.settings_caveat`` says which)."""
    n_test = model.split_record.get("n_test")
    count = f"{n_test:,} " if isinstance(n_test, int) else ""
    return (
        f"Every model's test RMSE and MAE come from the same {count}ratings of "
        f"{md(model.dataset_name)} ({md(model.test_rows_text)}): rows that neither "
        + (
            "training nor early stopping"
            if settings_saw
            else "training, early stopping nor any setting"
        )
        + " saw."
    )


def accuracy_reading(model: Any, shared: bool, settings_saw: str | None = None) -> str:
    """Compare's reading of its accuracy table in two lines (views round 27, F1: 330 words
    stood between the table and the charts; the rest is one click away): the test rows
    (``model``'s, when ``shared`` by every model), what the ± leaves out and, when some
    settings saw test rows, ``settings_saw`` (``store.settings_caveat_summary``)."""
    n_test = model.split_record.get("n_test")
    rows = (
        f"Same {n_test:,} test rows " if isinstance(n_test, int) else "Same test rows "
    ) + f"of {md(model.dataset_name)} ({md(model.test_rows_text)}) for every model"
    said = (
        (rows if shared else "Each model is scored on its own test rows (the 'test rows' column)")
        + "; lower is better. The ± covers the test rows' draw, not training noise (another "
        "seed moves a model too)."
    )
    return f"{said} {md(settings_saw)}" if settings_saw else said


def tuning_saved_text(summary: dict[str, Any]) -> str:
    """What a tuning run saved, from its ``tuning`` summary: the refit (epochs, seeds, rows) or
    the best trial as trained, and the spread of the top trials."""
    blend = summary.get("blend")
    if blend:
        parts = [
            f"{m.get('weight', 0):.2f} x {m.get('family')} (trial {m.get('best_trial')}, "
            f"early-stopping RMSE {m.get('stop_rmse', float('nan')):.4f})"
            for m in blend.get("members", [])
        ]
        return (
            "Saved: a blend, one mf_bias model predicting "
            + " + ".join(parts)
            + f"; the weight was picked on the early-stopping rows (blend "
            f"{blend.get('stop_rmse', float('nan')):.4f}){_mean_there(summary)}"
            + (
                ", then both winners were refit on the training + early-stopping rows, so only "
                "its test RMSE is held out."
                if blend.get("refit")
                else "."
            )
            + f" Movie embedding columns: {blend.get('movie_embedding')}."
        )
    best = summary.get("best") or {}
    spread = summary.get("top_spread") or {}
    refit = summary.get("refit")
    if refit:
        seeds = refit.get("ensemble", 1)
        saved = (
            f"Saved: trial {best.get('trial')}'s settings refit on the training + early-stopping "
            f"rows for {refit.get('epochs')} epochs"
            + (
                f", {seeds} seeds averaged into one model of dim {refit.get('dim')}"
                if seeds > 1
                else ""
            )
            + "; the early-stopping rows are training rows of the saved model, so only its "
            "test RMSE is held out."
        )
    else:
        saved = f"Saved: trial {best.get('trial')} as trained (early-stopped on those rows)."
    lo, hi = spread.get("min"), spread.get("max")
    if isinstance(lo, int | float) and isinstance(hi, int | float):
        saved += f" Top trials' early-stopping RMSE: {lo:.4f} to {hi:.4f}{_mean_there(summary)}."
    return saved


def _mean_there(summary: dict[str, Any]) -> str:
    """ " (predicting the mean rating there: 1.1133)": the early-stopping rows' RMSE reference."""
    mean = summary.get("stop_rmse_of_mean")
    return (
        f" (predicting the mean rating there: {mean:.4f})" if isinstance(mean, int | float) else ""
    )


#: How much a training seed alone moves one model's neighbour lists, measured and labelled as
#: such (accuracy round 23: a single list was shown as if it were the setting's); Jaccard@10
#: said at its first use (views round 39, F4).
NEIGHBOUR_SEED_SCALE = (
    "A model's neighbour lists move with its training seed too: two models that differ only by "
    "their seed shared a mean Jaccard@10 of 0.02-0.21 (the films both top-10 lists hold, "
    "divided by the films either holds: 1 the same ten, 0 none in common) "
    "for five popular films (mf_bias dim 16, "
    "ml-latest-small, 2026-12-06) and 0.19-0.22 (mf_bias dim 32, ml-100k, 2026-12-04). Pick "
    "two seeds of one setting here to see it for yours."
)


def shared_neighbours_text(
    names: list[str],
    lacking: list[str],
    n_in_all: int,
    k: int,
    *,
    across: bool = False,
    held: dict[str, tuple[int, int]] | None = None,
) -> str:
    """The caption under the Neighbours tables: which models were compared and how many of the
    ``k`` neighbours every one of them lists (none when a model lacks the movie: it has no
    list); ``across``: the models come from different datasets (films matched by identity);
    ``held``: per model, (films of its list every other model's dataset holds, list length),
    said where some are missing (views round 12: "0 of 10" hid that 9 of 10 could not be
    ticked).

    >>> print(shared_neighbours_text(["a", "b"], [], 0, 10, across=True,
    ...                              held={"a": (1, 10), "b": (10, 10)}))
    Ticked in 'in all': films that every one of a and b lists among its 10 nearest, matched by
    identity across datasets: 0 of 10 here. Only the films every other model's dataset holds can
    be ticked, of each list: a 1 of 10, b 10 of 10.
    """
    compared = names_text(names)
    if lacking:
        return (
            f"Ticked in 'in all': films that every one of {compared} lists. None here: "
            f"{names_text(lacking)} {'lacks' if len(lacking) == 1 else 'lack'} this movie, so "
            f"{'it has' if len(lacking) == 1 else 'they have'} no list to agree with."
        )
    said = (
        f"Ticked in 'in all': films that every one of {compared} lists among its {k} nearest"
        + (", matched by identity across datasets" if across else "")
        + f": {n_in_all} of {k} here."
    )
    if held and any(n < of for n, of in held.values()):
        counts = ", ".join(f"{md(name)} {n} of {of}" for name, (n, of) in held.items())
        said += (
            " Only the films every other model's dataset holds can be ticked, of each list: "
            f"{counts}."
        )
    return said


def names_text(names: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``, each name as literal Markdown (:func:`md`)."""
    names = [md(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def alignment_text(
    n_common: int,
    min_ratings: int,
    residual: float,
    *,
    counted: str = "ratings",
    where: str = "both models",
    differs: bool = False,
) -> str:
    """What the Two-models alignment measured: over which movies (at least ``min_ratings``
    ``counted`` in ``where``), and the residual with its true scale (best shift, rotation,
    mirroring allowed, and scale, so 0 = the same geometry, 1 = B fits none of A);
    ``differs``: the two models count different ratings per movie, so Compare's set differs
    (:data:`RULES`)."""
    kept = (
        f"the movies with at least {min_ratings} {counted} in {where}"
        if min_ratings
        else "every common movie"
    )
    return (
        f"{n_common:,} common movies; residual after the best rotation and scaling "
        f"{residual:.3f} (0 = the same geometry, 1 = B's best fit explains none of A; unrelated "
        f"embeddings come close to 1), over {kept}."
        + (f" {RULES['compare']}" if differs and min_ratings else "")
    )


#: How each page picks the shared movies "with at least N ratings" of two models whose counts
#: differ, said on the other page: the same two models showed two Procrustes residuals over
#: 700 and 691 movies, unexplained (views round 12: two datasets; accuracy round 19: one
#: dataset on two splits, 1,958 and 1,850 movies).
RULES = {
    "compare": "Compare's 'Movie by movie' counts model A's ratings only (the ratings A "
    "trained on, where recorded), so its movie count and residual can differ a little from "
    "these, and change when A and B swap.",
    "explore": "Explore's two-model view keeps the movies with that many ratings in both "
    "models, so its movie count and residual can differ a little from these.",
}


def predictions_scale_text(name: str, shown: Any) -> str:
    """What a model's shown predicted ratings are against the dataset's scale
    (:class:`movierate.explore.recommend.ShownPredictions`; None: as the model outputs them).
    Views round 13: "all 30 lie within the scale" beside the 5.04 behind a shown 5, "1 of them
    sit ... they are", "5.04 to 5.04"; each count now takes its own verb, a range of one value
    is one number, and a capped prediction is said to hide the score behind it."""
    name = md(name)
    if shown is None or not shown.n_shown:
        return f"{name}: predicted ratings as the model outputs them."
    scale = f"the dataset's {shown.lo:g}–{shown.hi:g} scale"
    n, tied = shown.n_shown, getattr(shown, "n_tied_at_end", 0)
    # accuracy round 19: the count named no table, and missed a table's capped rows
    lists = tuple(getattr(shown, "lists", ()))
    where = f" ({', '.join(map(md, lists))})" if len(lists) > 1 else ""
    ranked = "each ranked list is" if len(lists) > 1 else "the list is"
    ties = ""
    if tied:
        behind = _span(shown.order_min, shown.order_max)
        one = tied == 1
        verb = "is" if one else "run from" if " to " in behind else "are all"
        ties = (
            f" {tied} of the {n} shown{where} {'is' if one else 'are'} capped at "
            f"{'the end' if one else 'an end'} of the scale: the model's "
            f"{'score' if one else 'scores'} behind {'it' if one else 'them'} {verb} {behind}, "
            f"and {ranked} ordered by that score, not by the capped number."
        )
    if shown.n_outside:
        out = shown.n_outside
        return (
            f"{name} predicts {_span(shown.raw_min, shown.raw_max)} for the movies "
            f"shown{where}: {out} of {n} {'lies' if out == 1 else 'lie'} outside {scale} and "
            f"{'is' if out == 1 else 'are'} shown clipped to its end (the ranking uses the unclipped "
            f"{'prediction' if out == 1 else 'predictions'}).{ties}"
        )
    if tied:
        return f"{name} caps its predictions at {scale}.{ties}"
    every = (
        f"the 1 predicted rating shown{where} lies"
        if n == 1
        else f"all {n} predicted ratings shown{where} lie"
    )
    return f"{name}: {every} within {scale}."


def _span(lo: float, hi: float) -> str:
    """``"5.60 to 6.10"``, or one number when both print alike (not "5.04 to 5.04")."""
    low, high = f"{lo:.2f}", f"{hi:.2f}"
    return low if low == high else f"{low} to {high}"


def stop_rows_flatter_text(meta: dict[str, Any]) -> str:
    """A sentence saying what else a model's early-stopping rows chose, when they chose more
    than the stopping epoch (``store.stop_rows_chose``: the quick start's settings, an ordered
    model's kept dimensions); else ""."""
    chosen = stop_rows_chose(meta)
    if not chosen:
        return ""
    return (
        f" Its early-stopping rows also chose {chosen}, so the early-stopping RMSE above "
        "flatters it; the test rows did not."
    )


def pruned_tile_help(metrics: Mapping[str, Any], key: str) -> str | None:
    """The help of a finished run's ``key`` tile (``train_rmse``, ``stop_rmse``) when the
    ``ordered`` option's rank selection changed it (accuracy round 35, F1), else None.

    >>> pruned_tile_help({"stop_rmse": 0.92, "stop_rmse_before_pruning": 0.9212,
    ...     "kept_dims": 9}, "stop_rmse")  # doctest: +NORMALIZE_WHITESPACE
    "The saved model's, after the rank selection kept the first 9 dimensions and zeroed the
    rest (the curve at this epoch, before it: 0.9212). These early-stopping rows also chose
    which dimensions were kept, so this RMSE flatters it."
    """
    before, kept = metrics.get(f"{key}_before_pruning"), metrics.get("kept_dims")
    if not isinstance(before, int | float) or not isinstance(kept, int | float):
        return None
    said = (
        f"The saved model's, after the rank selection kept the first {kept:.0f} dimensions and "
        f"zeroed the rest (the curve at this epoch, before it: {before:.4f})."
    )
    if key == "stop_rmse":
        said += (
            " These early-stopping rows also chose which dimensions were kept, so this RMSE "
            "flatters it."
        )
    return said


def held_out_rows_text(
    label: str,
    *,
    chose_dims: bool = False,
    tuning: dict[str, Any] | None = None,
    settings: str | None = None,
    stopped_on: bool = True,
) -> str:
    """What the rows a dimension report measured on did for the model: never trained on, but
    early-stopping rows chose the stopping epoch, (``chose_dims``: the ordered option's rank
    selection) which dimensions were set to zero and, for a tuned model kept as trained
    (``tuning``: its meta entry), its settings and any blend weight, or the ``settings`` they
    chose otherwise (``store.stop_rows_chose_settings``); test rows steered nothing. With
    ``stopped_on=False`` (the regularizer study's models) they did not choose the epoch.

    >>> held_out_rows_text("early-stopping", chose_dims=True, stopped_on=False)
    'never trained on, but they chose which dimensions were set to zero'
    >>> held_out_rows_text("early-stopping", tuning={"n_trials": 12, "blend": {}})
    'never trained on, but they chose the epoch training stopped at and its settings (best of 12 trials) and the blend weight'
    """
    if label == "test":
        return "never trained on and steering nothing"
    steered = {
        "early-stopping": "the epoch training stopped at",
        "validation": "the stopping epoch",
    }
    # stopped_on=False: trained a fixed number of epochs without them (the study's models)
    choices = [steered[label]] if label in steered and stopped_on else []
    if chose_dims:
        choices.append("which dimensions were set to zero")
    if tuning and label in steered:
        choices.append(f"its settings (best of {tuning.get('n_trials', 'several')} trials)")
        if "blend" in tuning:
            choices.append("the blend weight")
    elif settings and label in steered:
        choices.append(settings)
    if not choices:
        return "never trained on"
    return "never trained on, but they chose " + " and ".join(choices)


def prefix_curves_text(k_index: int | None, k_pca: int | None, dim: int) -> str:
    """What the shown prefix curves measure (:class:`movierate.explore.ordering.DimensionReport`
    ``k_index`` / ``k_pca``: the first k reaching 95% of the full model's gain)."""
    from movierate.explore.ordering import GAIN_SHARE, MIN_GAIN

    if k_index is None:
        return f"Here the embedding does not lower the RMSE on these rows by {MIN_GAIN} or more."
    pca = f", the first {k_pca} principal directions" if k_pca is not None else ""
    start = " over the embedding zeroed (one start for both)" if k_pca is not None else ""
    if k_index == dim > 1 and k_pca in (None, dim):
        return f"Here all {dim} dimensions are needed for {GAIN_SHARE:.0%} of the full model's RMSE gain."
    return (
        f"Here the first {k_index} of {dim} dimensions as trained{pca} give {GAIN_SHARE:.0%} of "
        f"the full model's RMSE gain{start}."
    )


def prefix_below_full_text(prefix: pd.DataFrame) -> str:
    """A sentence for each curve whose first k dimensions (as trained or principal) give a
    lower RMSE on the rows than all of them, by 0.0005 or more, with the difference's paired
    interval (``rmse_index_ci95`` / ``rmse_pca_ci95``) and the k picked
    (:func:`movierate.explore.ordering.below_full_reading`); "" else. Views round 7: the
    principal curve dipped below the full model's line and nothing said so; views round 42,
    F1: "the other dimensions add error" of a difference within the draw."""
    from movierate.explore.ordering import below_full_reading

    full = float(prefix["rmse_index"].iloc[-1])
    dim = len(prefix) - 1
    said = []
    for column, one, many in (("rmse_index", "dimension as trained", "dimensions as trained"),
                              ("rmse_pca", "principal direction", "principal directions")):  # fmt: skip
        inner = [float(v) for v in prefix[column].iloc[1:-1]]
        if inner and min(inner) <= full - 5e-4:
            at = 1 + inner.index(min(inner))
            k = int(prefix["k"].iloc[at])
            first = f"the first {one} gives" if k == 1 else f"the first {k} {many} give"
            reading = below_full_reading(
                min(inner) - full,
                float(prefix[f"{column}_ci95"].iloc[at]),
                k,
                (1, dim - 1),
                "the other dimensions",
            )
            said.append(
                f"On these rows {first} a lower RMSE ({min(inner):.4f}) than all {dim} "
                f"({full:.4f}): {reading}."
            )
    return " ".join(said)


#: What each map projection does (its aim, not how well it did: the map's trust line says that).
MAP_METHOD_TEXT = {
    "tsne": "t-SNE places movies so that each one's nearest embedding neighbours stay close; "
    "distances between far-apart clusters are not kept",
    "umap": "UMAP places movies so that each one's nearest embedding neighbours stay close, "
    "with more weight than t-SNE on the global layout",
    "pca": "PCA is a linear projection onto the two directions along which the movies vary "
    "most: spreads along those two directions are kept, the other dimensions are flattened, so "
    "local neighbourhoods mostly are not and most movies crowd the centre",
}


def map_method_text(method: str) -> str:
    """One clause on what the ``method`` projection does (see :data:`MAP_METHOD_TEXT`)."""
    return MAP_METHOD_TEXT.get(method, f"{method} projection")


def pca_components_text(first: int, second: int) -> str:
    """:func:`map_method_text` of a PCA map drawn on principal components other than 1 and 2."""
    return (
        f"PCA is a linear projection, here onto principal components {first} (x) and "
        f"{second} (y), the directions of the {_ordinal(first)} and {_ordinal(second)} largest "
        "variance: spreads along those two directions are kept, the other dimensions are "
        "flattened, so local neighbourhoods mostly are not"
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def training_ending(
    spec: Any,
    run: int,
    kept: int,
    settled: Any = None,
    stop_rmse: Sequence[float] | None = None,
) -> str:
    """How a finished training ended: ``"stopped early at epoch 10 of 40 (2 epochs without a
    better early-stopping RMSE); kept epoch 8, the best"``: the epochs after the kept one, as
    counted (the stop comes once more than the patience's epochs went without one).
    ``settled``: the epoch from which the regularizers had settled (``metrics["settled_epoch"]``;
    only epochs from it on may be kept, NaN: never), and ``stop_rmse`` per epoch: views round 7,
    "kept epoch 6, the best" beside a curve lowest at epoch 3, an epoch not eligible."""
    planned = getattr(spec, "epochs", run)
    if run < planned:
        stale = run - kept
        ended = (
            f"stopped early at epoch {run} of {planned} ({stale} epoch"
            f"{'s' if stale != 1 else ''} without a better early-stopping RMSE)"
        )
    else:
        ended = f"ran all {planned} epochs"
    head = f"{ended}; kept epoch {kept}"
    if isinstance(settled, int | float) and not isinstance(settled, bool):
        if math.isnan(settled):
            return f"{head}, the last: the regularizers never settled, so no earlier epoch counts"
        if settled > 1:
            head += f", the best from epoch {int(settled)} on, once the regularizers had settled"
            history = [float(v) for v in stop_rmse or []]
            rmse = history[: int(settled) - 1]
            if rmse and len(history) >= kept and min(rmse) < history[kept - 1]:
                lowest = rmse.index(min(rmse)) + 1
                head += (
                    f" (epoch {lowest}'s early-stopping RMSE, {min(rmse):.4f}, was lower, "
                    "before they had)"
                )
            return head
    return head + (", the best" if kept < run else "")


def ratings_text(n: float) -> str:
    """``"1 rating"``, ``"1,234 ratings"``: a count of ratings as people write it."""
    n = int(n)
    return f"{n:,} rating{'' if n == 1 else 's'}"


def ago_text(seconds: float) -> str:
    """How long ago something began, for a notice: "just now" under a second (recheck s33:
    "already started 0 s ago"), else whole seconds.

    >>> ago_text(0.4), ago_text(3.6)
    ('just now', '4 s ago')
    """
    return "just now" if seconds < 1 else f"{seconds:.0f} s ago"


def top_calibration_text(calibration: Any) -> str:
    """What a model's highest test-row predictions came to (:func:`pipeline.top_calibration`),
    one sentence for beside its recommendations, or why it could not be computed."""
    if isinstance(calibration, pipeline.Unavailable):
        return calibration.text
    gap, ci = calibration.gap, calibration.gap_ci
    reading = paired.reading(
        gap,
        ci,
        "so its high predictions ran that much above what users gave",
        "so its high predictions ran that much below what users gave",
        "within noise",
    )
    said = (
        f"On its test rows, its highest {calibration.share:.0%} of predictions "
        f"({calibration.n_rows:,} rows, {calibration.threshold:.2f} and up) averaged "
        f"{calibration.mean_predicted:.2f} and those ratings {calibration.mean_rating:.2f}: "
    )
    if not math.isfinite(ci):  # too few users for an interval (recheck s33)
        return f"{said}{number(gap, '+.2f')} ({paired.few_users_text(calibration.n_users)})."
    return (
        f"{said}{number(gap, '+.2f')} ± {ci:.2f} (95%, by user: the test users' draw; another training "
        f"seed moves it too), {reading}."
    )


#: The short mark and the name of each held-out part of a split
#: (:meth:`movierate.pipeline.ModelRows.held_out`) beside a user's favourites.
HELD_OUT_MARKS = {
    "test": ("test", "test row"),
    "early-stopping": ("stop", "early-stopping row"),
    "validation": ("valid", "validation row"),
}


def favourites_lead(shown: Any, rated: Any) -> str:
    """ "their favourites", saying which of a tie the list shows when it is cut inside one or
    every shown rating is the same (bad-input round 41, F5: ten movies all rated 4 were "their
    favourites", ordered by a rating count nobody was told of). ``shown``: the listed ratings;
    ``rated``: all of the user's ratings."""
    shown, rated = [float(v) for v in shown], [float(v) for v in rated]
    if not shown:
        return "their favourites"
    low = min(shown)
    tied, listed = rated.count(low), shown.count(low)
    if len(shown) > 1 and listed == len(shown):
        if tied == listed:
            return f"their favourites, all rated {low:g} (a tie)"
        return (
            f"their favourites: {tied:,} movies share their top rating, {low:g}, and these "
            f"{listed} are the most rated of them"
        )
    if tied > listed:
        return (
            f"their favourites ({tied:,} movies tie at {low:g}: the {listed} most rated of "
            "them are listed)"
        )
    return "their favourites"


def favourites_text(held_out: Mapping[str, int], n_shown: int) -> str:
    """What 'predicted' beside a user's favourites shows: fit on the ratings the model trained
    on, held-out accuracy on the shown rows of each held-out part of its split (``held_out``:
    label -> how many of the ``n_shown``, marked in the table by :data:`HELD_OUT_MARKS`; recheck
    A, s26: stop rows were called trained on; bad-input round 21: a model saved before test rows
    has its validation rows held out, not none)."""
    legacy = "validation" in held_out
    if sum(held_out.values()) == 0:
        reported = "its valid RMSE (steered early stopping)" if legacy else "the test RMSE"
        return (
            f"None of these {n_shown} are held-out rows, so 'predicted' beside them shows how "
            "well the model fits ratings it trained on, not its accuracy on unseen ratings: "
            f"that is {reported}."
        )
    shown = [(n, *HELD_OUT_MARKS[part]) for part, n in held_out.items() if n]
    parts = " and ".join(f"{n} {what}{'' if n == 1 else 's'}" for n, _, what in shown)
    marks = " and ".join(f"'{mark}'" for _, mark, _ in shown)
    one = sum(held_out.values()) == 1
    steered = f" ({'it' if one else 'they'} chose its stopping epoch)" if legacy else ""
    if not legacy and held_out.get("early-stopping") and held_out.get("test"):
        steered = " (the early-stopping rows among them chose its stopping epoch)"
    elif not legacy and held_out.get("early-stopping"):  # views round 34, F1: not 'held-out'
        steered = f" ({'it' if one else 'they'} chose its stopping epoch)"
    return (
        f"Of these {n_shown}, {parts} (marked {marks}) "
        f"{'is a rating' if one else 'are ratings'} the model never trained on{steered}: "
        f"'predicted' beside {'it' if one else 'those'} shows its accuracy on unseen ratings; "
        "beside the others it shows how well the model fits ratings it trained on."
    )


def trained_on_text(name: str, n_rows: int, held_out: dict[str, Any]) -> str:
    """How many of a user's ``n_rows`` ratings model ``name`` trained on, and which held-out
    rows (``held_out``: part name -> that part's movies) it did not (accuracy round 38, F1:
    "24 ratings" hid that the model fit 13, which set the user's band in the list check). With
    none, says where its picks then come from (accuracy round 41, F1: on a split by date 85
    of 610 users had no training rating, and the page said nothing when the list check was
    unavailable)."""
    n_held = sum(len(movies) for movies in held_out.values())
    if not n_held:
        return f" (**{md(name)}** trained on all of them)"
    parts = " and ".join(f"{len(m):,} {part}" for part, m in held_out.items() if len(m))
    rows = f"row{'s' if n_held > 1 else ''}"
    if n_held >= n_rows:
        return (
            f" (**{md(name)}** trained on none of them, not on its {parts} {rows}: its "
            "predictions and picks for this user come from a vector training never moved, its "
            "random start)"
        )
    return f" (**{md(name)}** trained on {n_rows - n_held:,} of them, not on its {parts} {rows})"


#: A spread penalty's verdict words and the main number its box leads with: (achieved, missed,
#: the numbers key, what that number is, what the penalty aims at).
VERDICT_LEADS: dict[str, tuple[str, str, str, str, str]] = {
    "whitening": (
        "Whitened", "Not whitened", "diag_mean",
        "a dimension's variance is on average", "whitening aims at 1",
    ),
    "decorrelation": (
        "Decorrelated", "Not decorrelated", "corr_offdiag_mean_abs",
        "the size of the correlation between two dimensions is on average",
        "decorrelation aims at 0",
    ),
    "adversarial": (
        "Uniform-looking", "Not uniform-looking", "ks_mean",
        "a dimension's KS distance to U(-1, 1) is on average", "the penalty aims at 0",
    ),
}  # fmt: skip

#: The glossary terms a verdict box may use, explained beside the boxes that use them.
VERDICT_TERMS = (
    "covariance diagonal",
    "off-diagonal covariance",
    "off-diagonal correlation",
    "column means' RMS",
    "KS distance",
)


def verdict_text(verdict: Any, name: str | None = None) -> str:
    """A regularizer's verdict box: its word and main number in one short sentence first
    ("**Not whitened**: a dimension's variance is on average 0.590 ..."), then the measured
    detail (``verdict.sentence``). A box of 110 words put "Not whitened" first and lost it
    (views round 39, F4). Where the movies its penalty shaped and those the views start with
    disagree, the word is split between them ("**Whitened over the movies its penalty shaped,
    not over the 1,099 the views start with**"). ``name``: the model, named first (Compare)."""
    from movierate.explore.verdicts import HELD, NEAR

    sentence = verdict.sentence[:1].upper() + verdict.sentence[1:]
    named = f"**{md(name)}**: " if name is not None else ""
    lead = VERDICT_LEADS.get(verdict.kind)
    value = verdict.numbers.get(lead[2]) if lead else None
    if lead is None or value is None or not math.isfinite(value):
        return named + sentence
    yes, no, key, what, aim = lead
    shown = f"{value:#.3g}"
    rated = verdict.numbers.get(f"rated_{key}")
    word = yes if verdict.achieved else no
    sets = verdict.sets
    if rated is not None and math.isfinite(rated) and sets and sets.shaped != sets.rated:
        # the two sets disagree: the word is split between them (views round 42, F2)
        views = f"the {sets.n_rated:,} the views start with"
        there = {HELD: f"{yes.lower()} over {views}", NEAR: f"not quite over {views}"}
        word = (
            f"{yes if sets.shaped == HELD else no} over the movies its penalty shaped, "
            + there.get(sets.rated, f"not over {views}")
        )
        shown += f" over those it shaped, {rated:#.3g} over those {sets.n_rated:,}"
    elif rated is not None and math.isfinite(rated):  # two sets of movies: both numbers
        shown += (
            f" over the movies its penalty shaped, {rated:#.3g} over those the views start with"
        )
    for said in (yes, no):  # the word is in the lead: the detail starts with its numbers
        if sentence.startswith(f"{said}: "):
            sentence = sentence.removeprefix(f"{said}: ")
    return f"{named}**{word}**: {what} {shown} ({aim}).\n\nMeasured: {sentence}."


def verdict_terms_text(boxes: Sequence[str]) -> str:
    """The plain meaning of every :data:`VERDICT_TERMS` term the ``boxes`` (their texts) use,
    for a popover beside them; "" when they use none."""
    used = [t for t in VERDICT_TERMS if any(t.lower() in box.lower() for box in boxes)]
    return glossary.define(*used) if used else ""
