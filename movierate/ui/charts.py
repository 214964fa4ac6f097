"""Vega-Lite specs of the dashboard's curves, bars, heatmaps and popularity scatters, as pure
functions of data (no Streamlit here).

Drawn with ``st.vega_lite_chart``. A browser tab's first Plotly chart loads Plotly's JavaScript
after the run has ended; Vega-Lite's loads faster (``python -m benchmarks.bench_dashboard
--charts``; Compare's first open drew in 1.06 s instead of 2.01 s), so Train, Compare,
Dimensions and every Embeddings tab but the map draw no Plotly chart. The movie maps, whose
legends, density contours and box / lasso selections need Plotly, stay in
:mod:`movierate.ui.figures`. Every spec carries its data inline, finite values only (JSON has
no NaN); curves and scatters zoom and pan (wheel, drag; double-click resets).
"""

from __future__ import annotations

import functools
import json
import math
import os
import textwrap
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from movierate.store import REFIT_CURVES_NOTE, metric_label
from movierate.ui.text import genres_text, with_year

#: Series colours: Okabe and Ito's palette for colour-blind eyes (views round 6: the D3 orange
#: and green that told two models apart looked alike under simulated protanopia), its yellow
#: left out (too pale on white), then a dark red and a grey.
PALETTE = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
    "#56B4E9", "#000000", "#882255", "#999999", "#117733",
]  # fmt: skip
#: Dash patterns: a training metric is dashed, the first other one solid, then these.
TRAIN_DASH = [6, 4]
OTHER_DASHES = ([1, 0], [8, 3, 2, 3], [12, 4], [2, 3])

#: Legend names of history columns that need more than their key.
#: A regularizer loss's legend label in a chart titled as one of regularizer losses (views
#: round 10: "u1dec: decorrelation penalty" ran past a half-width chart at 1024 px).
PENALTY_LABELS = {
    "disc_loss": "discriminator loss",
    "reg_l2": "L2",
    "reg_whitening": "whitening",
    "reg_decorrelation": "decorrelation",
    "reg_adversarial": "adversarial",
    "reg_ordered": "ordered",
}
METRIC_LABELS = {
    "disc_loss": "adversarial discriminator loss",
    "reg_l2": "L2 penalty",
    "reg_whitening": "whitening penalty",
    "reg_decorrelation": "decorrelation penalty",
    "reg_adversarial": "adversarial penalty",
    "reg_ordered": "ordered penalty",
    "ks_uniform": "KS distance to U(-1, 1)",
    "corr_offdiag": "mean |off-diagonal correlation|",
}

Spec = dict[str, Any]
#: Drawn as SVG whatever the data size (Streamlit switches large data to a canvas): titles stay
#: text a browser can find, and a heatmap of 4 x 32 x 32 cells draws fast enough.
SVG = {"embedOptions": {"renderer": "svg"}}
_ZOOM = {"name": "zoom", "select": "interval", "bind": "scales"}
#: Pixels kept free at both ends of a curve's x axis, so its end points are drawn whole.
EDGE_PADDING = 8
#: Room (px) around every chart, more at the right: a downloaded PNG ends at the chart's edge,
#: and the last bar of "Use per dimension" touched it (views round 14, F5).
PADDING = {"left": 5, "top": 5, "bottom": 5, "right": 16}
_LEGEND = {"orient": "bottom", "direction": "horizontal", "columns": 3}
#: Pixels a legend entry needs beside its label (the symbol, its gap and the column gap).
SYMBOL_ROOM = 44


def label_limit(columns: int) -> dict[str, str]:
    """A legend's ``labelLimit`` sized to its chart: a ``columns``-th of the plot's width, less
    :data:`SYMBOL_ROOM` (views round 31, F2: a fixed 640 px drew labels past a 240 px chart
    at 200% zoom, where its canvas cut them to "early-stoppi")."""
    return {"expr": f"max(60, width / {columns} - {SYMBOL_ROOM})"}


def _fitted(legend: dict[str, Any]) -> dict[str, Any]:
    """``legend`` with its labels limited to its chart's width (:func:`label_limit`)."""
    return {**legend, "labelLimit": label_limit(legend.get("columns", 1))}


#: Pixels a legend label's character takes, about (Vega cannot measure text in an expression),
#: and a label's line.
LABEL_CHAR, LINE_HEIGHT = 6.5, 15


def _wrapped(legend: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """``legend`` (one column) of ``labels`` with each "run: curve" label too long for its
    chart's width on two lines, the run's name and then the curve's, the rows then a line
    apart (views round 31, F2: at 200% zoom "small-deep16: early-stopping RMSE" was cut to its
    run and "early-stopping RM")."""
    shown = legend.get("labelExpr", "datum.label")
    cut = f"lastindexof({shown}, ': ')"
    too_long = f"length({shown}) * {LABEL_CHAR} > width - {SYMBOL_ROOM} && {cut} > 0"
    two = f"[slice({shown}, 0, {cut} + 1), slice({shown}, {cut} + 2)]"
    # Vega spaces the rows by a label's first line: a wrapped one ran into the next row
    widest = max((len(label) for label in labels), default=0) * LABEL_CHAR + SYMBOL_ROOM
    return {
        **legend,
        "labelExpr": f"{too_long} ? {two} : {shown}",
        "rowPadding": {"expr": f"width < {widest:.0f} ? {LINE_HEIGHT} : 2"},
    }


def legend_for(labels: list[str]) -> dict[str, Any]:
    """:data:`_LEGEND` in as many columns (2 or 1) as its longest label leaves room for in a
    half-width chart (views round 8: the study's model names, three to a row, cut the third
    column at 1920 px, so whitening and l2-ordered read alike); a long prefix every label
    shares is written once, in the legend's title, and each label shows what follows it
    (recheck: 57-character names all read "regularizer-comparison-ml10" at 1024 px)."""
    prefix = shared_prefix(labels)
    shown = [label[len(prefix) :] for label in labels]
    longest = max((len(label) for label in shown), default=0)
    # two columns at most: a third was cut at 1024 px (recheck C)
    legend = {**_LEGEND, "columns": 2 if longest <= 26 else 1}
    if prefix:
        legend |= {
            "title": f"{prefix}…",
            "labelExpr": f"replace(datum.label, '{prefix}', '…')",
        }
    return _fitted(legend)


#: A prefix all of a legend's labels share is written once when it is at least this long.
SHARED_PREFIX = 12


def shared_prefix(labels: list[str]) -> str:
    """The longest start every label shares, cut after its last '-', '_', '.' or ' ' (so a word
    stays whole), when at least :data:`SHARED_PREFIX` characters long and no label is all of
    it; else ""."""
    if len(labels) < 2:
        return ""
    start = os.path.commonprefix(labels)
    cut = max(start.rfind(c) for c in "-_. ") + 1
    start = start[:cut]
    if len(start) < SHARED_PREFIX or any(len(label) <= len(start) for label in labels):
        return ""
    return start if "'" not in start and "\\" not in start else ""


#: Chart text as dark and as large as the page's own (views round 6: 12 px #808495 ticks and
#: legends, 3.7:1 on white, were the first thing lost on a projector): 13 px, #31333F; on
#: Streamlit's dark theme its text colour (views round 8: #31333F on the dark page was 1.44:1).
TEXT, DARK_TEXT = "#31333F", "#FAFAFA"
#: The chart text colour of the page being drawn: set each run by ``shell.follow_theme`` (a
#: context variable: each session's script runs in its own thread).
TEXT_COLOUR: ContextVar[str] = ContextVar("chart_text_colour", default=TEXT)


#: Streamlit's page colours in its light and dark themes, and the contrast a chart's marks and
#: lines need against the page they are drawn on (WCAG 2.1 non-text contrast).
PAGE, DARK_PAGE = "#FFFFFF", "#0E1117"
MIN_CONTRAST = 3.0


def luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour (0 black to 1 white)."""
    return float(_linear(colour) @ [0.2126, 0.7152, 0.0722])


def contrast(colour: str, background: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _linear(colour: str) -> np.ndarray:
    code = colour.lstrip("#")
    rgb = np.array([int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def page() -> str:
    """The colour of the page being drawn (:data:`PAGE` or :data:`DARK_PAGE`)."""
    return DARK_PAGE if TEXT_COLOUR.get() == DARK_TEXT else PAGE


def readable(colour: str) -> str:
    """A fixed ``#rrggbb`` colour as the page being drawn needs it: as it is where it has
    :data:`MIN_CONTRAST` against the page, else darkened (light page) or lightened (dark page)
    to just past it, its hue kept (views round 22, F2: Horror's #7f0000 was 1.7:1 and
    Film-Noir's #252525 1.2:1 on the dark page, the palette's orange 2.2:1 on white)."""
    return _on_page(colour, page())


@functools.lru_cache(maxsize=512)
def _on_page(colour: str, background: str) -> str:
    if contrast(colour, background) >= MIN_CONTRAST:
        return colour
    linear, lum, lum_page = _linear(colour), luminance(colour), luminance(background)
    margin = MIN_CONTRAST + 0.1  # past the rounding to 8 bits
    if lum_page > 0.5:  # the light page: darker, in proportion
        linear = linear * ((lum_page + 0.05) / margin - 0.05) / lum
    else:  # the dark page: brighter, then towards white once a channel is full
        target = margin * (lum_page + 0.05) - 0.05
        linear = linear * min(target / max(lum, 1e-6), 1 / max(linear.max(), 1e-6))
        lum = float(linear @ [0.2126, 0.7152, 0.0722])
        linear = linear + (1 - linear) * max(target - lum, 0.0) / (1 - lum)
    rgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(float(v) * 255):02X}" for v in np.clip(rgb, 0, 1))


def colour(i: int) -> str:
    """Series colour ``i`` of :data:`PALETTE`, its black in the page's text colour (recheck:
    black curves on the dark theme)."""
    chosen = PALETTE[i % len(PALETTE)]
    return TEXT_COLOUR.get() if chosen == "#000000" else chosen


def style() -> Spec:
    """The charts' text config in :data:`TEXT_COLOUR`."""
    colour = TEXT_COLOUR.get()
    text = {"labelFontSize": 13, "titleFontSize": 13, "labelColor": colour, "titleColor": colour}
    return {
        "axis": text,
        "legend": text,
        "header": text,
        "title": {"fontSize": 16, "color": colour, "subtitleFontSize": 13, "subtitleColor": colour},
    }


def styled(build: Callable[..., Any]) -> Callable[..., Any]:
    """A chart builder whose spec (or specs) carry :func:`style` as their config, and
    :data:`PADDING` unless they set their own."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        made = build(*args, **kwargs)
        for spec in made if isinstance(made, tuple) else (made,):
            spec["config"] = {**style(), **spec.get("config", {})}
            spec.setdefault("padding", PADDING)
            spec["description"] = described(spec)
        return made

    return wrapper


def described(spec: Spec) -> str:
    """The chart's accessible name (Vega-Lite's ``description`` becomes its aria-label): its
    title and subtitle, each line joined with a space, then what the spec's own
    ``description`` says it shows. Vega's own name glued a wrapped title's lines ("the
    8dimensions", views round 15) and named only ticks and legend, never a number."""
    title = spec.get("title") or {}
    parts = [title] if isinstance(title, str) else [title.get("text"), title.get("subtitle")]
    lines = [" ".join(p) if isinstance(p, list) else p for p in parts if p]
    said = ". ".join(line.rstrip(".") for line in lines)
    more = spec.get("description")
    return f"{said}. {more}" if said and more else (more or said or "Chart")


#: Point shapes of the runs of a curves chart with several: a model's line is told from
#: another's by its points too, not only by colour (views round 15).
RUN_SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")


def _points(history: dict[str, list[float]], metric: str) -> list[tuple[int, float]]:
    """``(epoch, value)`` of ``metric``'s finite values in ``history``."""
    values = history.get(metric) or []
    epochs = history.get("epoch") or list(range(1, len(values) + 1))
    return [
        (int(x), y) for x, v in zip(epochs, values, strict=False) if (y := _finite(v)) is not None
    ]


def _trend(points: list[tuple[int, float]], shown: str) -> str:
    """How a curve ends: still falling over its last epoch, or where it was lowest (in the
    ``shown`` format of the rest of its sentence: accuracy round 43, F5, "RMSE 1.0450 ...
    lowest at epoch 1 (1.037)")."""
    if len(points) < 2:
        return "one epoch only"
    (_, before), (_, last) = points[-2], points[-1]
    low_epoch, low = min(points, key=lambda p: p[1])
    if last < before and last <= low:
        return "still falling at the last epoch"
    lowest = f"lowest at epoch {low_epoch} ({low:{shown}})"
    if last < before:  # a dip long after the lowest point is not a falling curve (recheck)
        return f"{lowest}; down again at the last epoch, still above it"
    return f"{lowest}, not falling at the last epoch"


def learning_curves_text(
    histories: dict[str, dict[str, list[float]]],
    kept: dict[str, int | None],
    saved: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """What learning curves show, per run: the early-stopping RMSE at the kept epoch
    (``kept``: the epoch the saved model is from; else the last one's), the epochs run, and whether
    it was still falling at the end; the training RMSE where no early-stopping one was kept.
    A run whose ``saved`` metrics record the figure before pruning (an ``ordered`` model's rank
    selection) also gets the saved model's figure (accuracy round 35, F1). A run named by
    :func:`movierate.store.curves_label` as a tuning refit is said to be one: its epoch count was
    its winning trial's, and its training curve is on the training + early-stopping rows
    (accuracy round 43, F3)."""
    said = []
    for run, history in histories.items():
        metric = next((m for m in ("stop_rmse", "valid_rmse") if _points(history, m)), None)
        points = _points(history, metric or "train_rmse")
        if not points:
            continue
        what = "early-stopping RMSE" if metric else "training RMSE"
        epoch, at, last = kept.get(run), dict(points), points[-1][0]
        where = (  # a live job's metrics hold epochs as floats (accuracy round 29: "3.0 of 3")
            f"the kept epoch {epoch:.0f} of {last:.0f} run"
            if epoch in at
            else f"epoch {last:.0f}, the last"
        )
        if REFIT_CURVES_NOTE in run and not metric:
            what = "training RMSE (on the training + early-stopping rows it was refit on)"
            where = (
                f"epoch {last:.0f}, the last (its winning trial's epoch count)"
                if epoch in (None, last)
                else f"the kept epoch {epoch:.0f} of {last:.0f} run (an older refit's pick: the "
                "lowest training RMSE)"
            )
        said.append(
            f"{run}: {what} {at.get(epoch, points[-1][1]):.4f} at {where}, "
            f"{_trend(points, '.4f')}"
            + _pruned_text((saved or {}).get(run, {}), metric or "train_rmse", epoch in at)
        )
    return "; ".join(said) + "." if said else ""


def _pruned_text(metrics: Mapping[str, Any], metric: str, at_kept: bool) -> str:
    """ " (before these rows also chose to keep the first 9 dimensions; the saved model's:
    0.9200)" for a curve's figure at the kept epoch that a pruned model's ``metrics`` record
    otherwise (the training curve's: "before the rank selection kept ..."); else ""."""
    before, now = metrics.get(f"{metric}_before_pruning"), metrics.get(metric)
    kept = metrics.get("kept_dims")
    if not at_kept or not all(isinstance(v, int | float) for v in (before, now, kept)):
        return ""
    who = "these rows also chose" if metric == "stop_rmse" else "the rank selection chose"
    return f" (before {who} to keep the first {kept:.0f} dimensions; the saved model's: {now:.4f})"


def curves_text(
    histories: dict[str, dict[str, list[float]]],
    metrics: list[str],
    labels: dict[str, str] | None = None,
) -> str:
    """Each curve's first and last value and how it ends, per run and metric (a regularizer
    loss chart's text; any curves chart's description)."""
    said = []
    for run, history in histories.items():
        for metric in metrics:
            points = _points(history, metric)
            if not points:
                continue
            label = (labels or {}).get(metric) or METRIC_LABELS.get(metric) or metric_label(metric)
            (first_epoch, first), (last_epoch, last) = points[0], points[-1]
            span = (
                f"{first:.3g} at epoch {first_epoch} to {last:.3g} at epoch {last_epoch}"
                if len(points) > 1
                else f"{last:.3g} at epoch {last_epoch}"
            )
            said.append(f"{run}: {label} {span}, {_trend(points, '.3g')}")
    return "; ".join(said) + "." if said else ""


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


#: Characters a chart title's line holds in a half-width column at 1024 px (16 px bold; its
#: subtitle's 13 px lines hold a fifth more): Vega cuts a longer line at the plot's width
#: (views round 10: "dashed: training rows, solid: early-st…" lost the line-style key).
TITLE_CHARS = 28


def _lines(text: str, chars: int) -> str | list[str]:
    """``text`` wrapped into lines of at most ``chars`` characters (a list: Vega's lines). A
    key and its label ("solid: early-stopping rows") stay on one line where they fit: views
    round 13 read "solid:" at a line's end and "early-stopping rows" on the next as
    "solid:early-stopping rows"."""
    glued = text.replace(": ", ":\u00a0")  # textwrap breaks only at ASCII whitespace
    lines = [
        line.replace("\u00a0", " ") for line in textwrap.wrap(glued, chars, break_on_hyphens=False)
    ]
    if any(len(line) > chars for line in lines):  # a key and label longer than a line
        lines = textwrap.wrap(text, chars, break_on_hyphens=False)
    return lines[0] if len(lines) == 1 else lines


def _title(title: str, subtitle: str | None, *, chars: int = TITLE_CHARS) -> dict[str, Any]:
    """A chart title (and subtitle) anchored at its start, wrapped to fit ``chars`` a line."""
    return {
        "text": _lines(title, chars),
        "anchor": "start",
        **({"subtitle": _lines(subtitle, round(chars * 1.2))} if subtitle else {}),
    }


@styled
def curves_chart(
    histories: dict[str, dict[str, list[float]]],
    metrics: list[str],
    *,
    title: str,
    y_title: str,
    subtitle: str | None = None,
    height: int = 280,
    log_y: bool = False,
    x_title: str = "epoch",
    labels: dict[str, str] | None = None,
) -> Spec:
    """Per-epoch curves, one line per (run, metric). ``height`` is the plot's own: the legend
    below it adds its rows, so many curves never squash the plot. Each run has a colour and
    each metric a dash, also with one run (views round 30, F5: Train drew its train and
    early-stopping RMSE in the colours Compare gives two models); with several runs, each has a
    point shape (:data:`RUN_SHAPES`) too, so runs are told apart without colour. Training
    metrics (``train_*``) are dashed, the first other metric solid (so "dashed: training,
    solid: validation" holds), further ones dash-dotted and long-dashed. A log y axis runs
    between labelled ticks (1, 2, 5 x 10^k, :func:`log_ticks`) around the data; a linear one
    keeps its points off the frame. Non-finite values are left out. ``labels`` names metrics
    in the legend (else :data:`METRIC_LABELS`)."""
    single = len(histories) == 1
    others = [m for m in metrics if not m.startswith("train")]
    rows, series, dashes, colours, shapes, kinds = [], [], [], [], [], []
    for i, (run, history) in enumerate(histories.items()):
        for metric in metrics:
            values = history.get(metric)
            if not values:
                continue
            label = (labels or {}).get(metric) or METRIC_LABELS.get(metric) or metric_label(metric)
            name = label if single else f"{run}: {label}"
            epochs = history.get("epoch") or list(range(1, len(values) + 1))
            points = [
                {"series": name, "x": int(x), "y": y}
                for x, v in zip(epochs, values, strict=False)
                if (y := _finite(v)) is not None and not (log_y and y <= 0)
            ]
            if not points:
                continue
            rows += points
            series.append(name)
            kinds.append(label)
            colours.append(model_colour(i))  # a run's colour (views round 30, F5: as on Compare)
            shapes.append(RUN_SHAPES[0 if single else i % len(RUN_SHAPES)])
            dashes.append(
                TRAIN_DASH if metric.startswith("train") else OTHER_DASHES[others.index(metric) % 4]
            )
    longest = max((len(h.get(m) or []) for h in histories.values() for m in metrics), default=1)
    y_axis: dict[str, Any] = {"title": y_title, "format": "~g"}  # not the points' ".4g"
    # room above and below the curves: the highest point sat on the plot's top edge
    y_scale: dict[str, Any] = {"zero": False, "nice": False, "padding": EDGE_PADDING}  # F4
    finite = [row["y"] for row in rows]
    if log_y and finite:
        ticks = log_ticks(min(finite), max(finite))
        y_scale = {"type": "log", "domain": [ticks[0], ticks[-1]], "nice": False}
        y_axis = {"title": f"{y_title} (log scale)", "values": ticks}
        y_axis["format"] = ".3~g"  # 0.0001, not 0.000100 (views round 4b)
    scale = {"domain": series, "range": colours}
    legend = _fitted(
        {
            **legend_for(series),
            "columns": 1,
            "symbolType": "stroke",
            "symbolStrokeWidth": 2.5,
            "symbolSize": 400,
            "title": None,  # the channels' title "curve" names the field in point descriptions
        }
    )  # a sample long enough for its dash
    dash_legend = legend
    if not single:  # the runs' point shapes, filled: a dashed outline drew blots, not shapes
        legend = _wrapped(
            _fitted(
                {
                    **legend_for(series),
                    "columns": 1,
                    "symbolStrokeWidth": 0,
                    "symbolSize": 80,
                    "title": None,
                }
            ),
            series,
        )
        dash_legend = _dash_legend(series, kinds)
    return {
        "title": _title(title, subtitle),
        "description": curves_text(histories, metrics, labels),
        "usermeta": SVG,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},  # the legend adds to the height
        "data": {"values": rows},
        # points large enough to tell a square from a circle (several runs: RUN_SHAPES)
        "mark": {"type": "line", "point": {"filled": True, "size": 30 if single else 60},
                 "strokeWidth": 2},
        "params": [_ZOOM],
        "encoding": {
            "x": {
                "field": "x",
                "type": "quantitative",
                "title": x_title,
                "axis": {"format": "d", "tickMinStep": max(1, longest // 10)},
                # room for the first and last epochs' points (else cut in half at the edges)
                # not "nice": 8 epochs drew an axis from 0 to 9 (views round 4b)
                "scale": {"zero": False, "nice": False, "padding": EDGE_PADDING},
            },
            # titled and formatted as the tooltip: each point's description reads them
            # (views round 32, F4: a raw field name and 12 digits)
            "y": {"field": "y", "type": "quantitative", "title": y_title, "format": ".4g",
                  "axis": y_axis, "scale": y_scale},
            # one legend: each curve's colour and dash
            "color": {"field": "series", "type": "nominal", "scale": scale,
                      "legend": legend, "title": "curve"},
            # several runs: the dashes in a legend of their own, as line samples
            "strokeDash": {"field": "series", "type": "nominal", "legend": dash_legend,
                           "title": "curve", "scale": {"domain": series, "range": dashes}},
            # with several runs, each run's points have their own shape (one legend still)
            **({} if single else {"shape": {
                "field": "series", "type": "nominal", "legend": legend,
                "title": "curve", "scale": {"domain": series, "range": shapes}}}),
            "tooltip": [
                {"field": "series", "title": "curve"},
                {"field": "x", "title": x_title},
                {"field": "y", "title": y_title, "format": ".4g"},
            ],
        },
    }  # fmt: skip


def _dash_legend(series: list[str], kinds: list[str]) -> dict[str, Any] | None:
    """With several runs, a second legend above the plot: a line sample of each curve kind's
    dash (``kinds``: each of ``series``' metric label), named by the kind alone; None when all
    curves share one dash. The runs' legend shows their point shapes, so without this one the
    legend never showed which curve is dashed (views round 28, F5). Its orient keeps Vega-Lite
    from merging it into the runs' legend (same field)."""
    first: dict[str, str] = {}
    for kind, name in zip(kinds, series, strict=True):
        first.setdefault(kind, name)
    if len(first) < 2:
        return None
    names = json.dumps({name: kind for kind, name in first.items()})
    # one entry a row where the row would be wider than the chart (views round 31, F2:
    # "early-stopping RMSE" was cut to "early-stoppi" at 200% zoom)
    room = sum(len(kind) * LABEL_CHAR + SYMBOL_ROOM for kind in first)
    return {"orient": "top", "direction": "horizontal", "title": None,
            "values": list(first.values()), "labelExpr": f"{names}[datum.label]",
            "columns": {"expr": f"width < {room:.0f} ? 1 : {len(first)}"},
            "labelLimit": label_limit(1), "symbolType": "stroke", "symbolSize": 400,
            # the curves' points would make each sample transparent (Vega-Lite's filled
            # points' legend), so its stroke is named
            "encode": {"symbols": {"update": {"stroke": {"value": TEXT_COLOUR.get()},
                                              "strokeWidth": {"value": 2.5}}}}}  # fmt: skip


def log_ticks(low: float, high: float, *, most: int = 8) -> list[float]:
    """Tick values of a log axis holding ``low`` to ``high``, from the 1, 2 or 5 x 10^k at or
    below ``low`` to the one at or above ``high`` (the axis's domain: views round 30, F4, the
    lowest point, 0.0256, lay under the lowest tick, 0.05); in between only powers of ten when
    1, 2 and 5 would give more than ``most``."""
    k_low, k_high = int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1
    steps = [float(f"{m}e{k}") for k in range(k_low, k_high + 1) for m in (1, 2, 5)]
    first = max(i for i, v in enumerate(steps) if v <= low * (1 + 1e-9))
    last = min(i for i, v in enumerate(steps) if v >= high * (1 - 1e-9))
    if first == last:  # one value: a step either side
        first, last = first - 1, last + 1
    if last - first + 1 > most:  # the powers of ten between the ends (each third step)
        inside = [i for i in range(first + 1, last) if i % 3 == 0]
        if len(inside) + 2 > most:
            inside = inside[:: -(-len(inside) // (most - 2))]
        return [steps[i] for i in (first, *inside, last)]
    return steps[first : last + 1]


def heatmap_limit(matrices: dict[str, pd.DataFrame]) -> float:
    """The largest finite |value| of ``matrices`` (1.0 when there is none): the end of the one
    symmetric colour scale they share."""
    return (
        max(
            (
                float(np.nanmax(np.abs(m.to_numpy())))
                for m in matrices.values()
                if m.size and np.isfinite(m.to_numpy()).any()
            ),
            default=0.0,
        )
        or 1.0
    )


def heatmap_charts(
    matrices: dict[str, pd.DataFrame],
    *,
    fixed_range: float | None = None,
    height: int = 420,
    width: int = 760,
) -> list[Spec]:
    """One :func:`heatmap_chart` per model, titled with its name, all on ONE symmetric colour
    scale, so colours compare across models: each goes in its own column, with square cells
    that fit ``width`` pixels (views round 10: two panels side by side in one chart ran 70 px
    past the page at 1024 px; stretched to a 1920 px page's column, cells were 3 times wider
    than tall)."""
    limit = fixed_range or heatmap_limit(matrices)
    return [
        heatmap_chart(
            matrix,
            title=name,
            name=name,
            fixed_range=limit,
            height=height,
            width=width,
            fill=False,
        )
        for name, matrix in matrices.items()
    ]


#: A heatmap of at most this many dimensions writes each coloured cell's sign in it: the
#: red-blue scale is symmetric in lightness, so in grey print +v and -v were one grey (views
#: round 28, F2). Cells nearer 0 than :data:`SIGN_FROM` of the scale's end stay blank (their
#: colour is near white), and :data:`LIGHT_SIGN_FROM` onwards the sign is white on the dark fill.
SIGN_DIMS, SIGN_FROM, LIGHT_SIGN_FROM = 32, 0.05, 0.65
#: Colours of the sign on a pale and on a dark cell (the cells are the same in either theme).
SIGN_DARK, SIGN_LIGHT = "#222222", "#FFFFFF"


def _sign(value: float, limit: float) -> str:
    """The sign written in a heatmap cell of ``value`` on a scale ending at ``limit``."""
    if abs(value) < SIGN_FROM * limit:
        return ""
    return "+" if value > 0 else "\u2212"


@styled
def heatmap_chart(
    matrix: pd.DataFrame,
    *,
    title: str,
    name: str = "",
    fixed_range: float | None = None,
    height: int = 420,
    width: int = 760,
    fill: bool = True,
) -> Spec:
    """A square matrix as a heatmap on a symmetric colour scale (red positive, blue negative),
    rows and columns in its own order, its cells as tall as square cells at ``width`` pixels,
    within ``height``; ``fill``: as wide as its column (views round 6: 490 px of cells ran
    184 px past a 306 px column at 1024 px), else the cells square. ``name``: the model, in the
    tooltip. Up to :data:`SIGN_DIMS` dimensions, each coloured cell also shows its sign."""
    limit = fixed_range or heatmap_limit({name: matrix})
    rows = [
        {"model": name, "row": str(r), "col": str(c), "v": v, "sign": _sign(v, limit)}
        for r, line in zip(matrix.index, matrix.to_numpy(), strict=True)
        for c, value in zip(matrix.columns, line, strict=True)
        if (v := _finite(value)) is not None
    ]
    dims = max(len(matrix.columns), 1)
    step = max(3, min((height - 90) // dims, (width - 110) // dims))
    order = [str(c) for c in matrix.columns]  # the dimensions in the model's own order
    cell = {"type": "ordinal", "sort": order, "title": None,
            "axis": {"labelAngle": 0, "labelOverlap": True}}  # fmt: skip
    layers: list[Spec] = [{"mark": "rect"}]
    if dims <= SIGN_DIMS:
        light = f"abs(datum.v) >= {LIGHT_SIGN_FROM * limit!r}"
        layers.append(
            {"mark": {"type": "text", "fontSize": max(9, min(15, round(step * 0.7))),
                      "fontWeight": "bold"},
             "encoding": {"text": {"field": "sign"},
                          "color": {"condition": {"test": light, "value": SIGN_LIGHT},
                                    "value": SIGN_DARK}}}
        )  # fmt: skip
    return {
        "title": _title(title, None),
        "usermeta": SVG,
        "data": {"values": rows},
        **(
            {
                "width": "container",
                "height": step * dims,
                "autosize": {"type": "fit-x", "contains": "padding"},
            }
            if fill
            else {"width": {"step": step}, "height": {"step": step}}
        ),
        "layer": layers,
        "encoding": {
            "x": {
                "field": "col",
                **cell,
                "title": "\u00d7 dim",
                "axis": {**cell["axis"], "title": None},
            },
            "y": {"field": "row", **cell, "title": "dim", "axis": {**cell["axis"], "title": None}},
            "color": {
                "field": "v",
                "type": "quantitative",
                "title": "value",
                "format": ".4g",
                "scale": {"scheme": "redblue", "reverse": True, "domain": [-limit, limit]},
                # below the matrix: on the right it ran under the next column at 1280 px
                "legend": {
                    "orient": "bottom",
                    "direction": "horizontal",
                    "gradientLength": 200,
                    "format": ".3~g",
                    "title": f"colour scale: \u2212{limit:.3g} to +{limit:.3g}",
                    # Vega's 180 px cut it: "colour scale: −0.00641 to +0.00…" (views round 22)
                    "titleLimit": 640,
                },
            },
            "tooltip": [
                {"field": "model"},
                {"field": "row", "title": "dim"},
                {"field": "col", "title": "× dim"},
                {"field": "v", "title": "value", "format": ".4g"},
            ],
        },
    }


@styled
def spectrum_chart(
    spectra: dict[str, pd.DataFrame], *, height: int = 360, about: str | None = None
) -> Spec:
    """Variance share per principal direction: bars plus a dotted cumulative line for one
    model, one line per model when comparing (a flat line = an evenly used space). ``about``,
    the data set and the movies counted, goes in the subtitle, so a saved PNG says what it
    shows (views round 42, F4)."""
    x = {"field": "component", "type": "ordinal", "title": "direction (largest first)",
         "axis": {"labelAngle": 0, "labelOverlap": True}}  # fmt: skip
    y_axis = {"title": "share of variance", "format": ".1~%"}
    base: Spec = {
        # short enough for a 190 px column (views round 6: cut at 1024 px with the sidebar)
        "title": _title("Variance by direction", about),
        "usermeta": SVG,
        "height": height,
        # the plot keeps its height and the legend adds to it (recheck: six one-column legend
        # rows took all 360 px, and the plot was empty)
        "autosize": {"type": "fit-x", "contains": "padding"},
    }
    if len(spectra) == 1:
        # the key in the chart, so a downloaded PNG explains its dotted line (views round 14)
        base["title"] = _title(
            "Variance by direction", _joined("bars: each direction · dotted: cumulative", about)
        )
        spectrum = next(iter(spectra.values()))
        rows = _records(spectrum, ["component", "share", "cumulative_share"])
        tooltip = [
            {"field": "component", "title": x["title"]},
            {"field": "share", "format": ".1%"},
            {"field": "cumulative_share", "title": "cumulative", "format": ".1%"},
        ]
        return {
            **base,
            "data": {"values": rows},
            "layer": [
                {"mark": {"type": "bar", "color": colour(0)},
                 "encoding": {"x": x, "y": {"field": "share", "type": "quantitative",
                                            "title": "share", "format": ".1%", "axis": y_axis},
                              "tooltip": tooltip}},
                # titled and formatted: each point's description read "cumulative_share:
                # 0.577249484538" (views round 32, F4)
                {"mark": {"type": "line", "color": colour(1), "strokeDash": [2, 3]},
                 "encoding": {"x": x, "y": {"field": "cumulative_share", "type": "quantitative",
                                            "title": "cumulative", "format": ".1%"},
                              "tooltip": tooltip}},
            ],
        }  # fmt: skip
    rows = [
        {"model": name, **row}
        for name, spectrum in spectra.items()
        for row in _records(spectrum, ["component", "share"])
    ]
    return {
        **base,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "params": [_ZOOM],
        "encoding": {
            "x": {**x, "type": "quantitative", "axis": {"format": "d", "tickMinStep": 1}},
            "y": {"field": "share", "type": "quantitative", "title": "share", "format": ".1%",
                  "axis": y_axis},
            "color": _model_colour(list(spectra)),
            "tooltip": [{"field": "model"}, {"field": "component", "title": x["title"]},
                        {"field": "share", "format": ".1%"}],
        },
    }  # fmt: skip


@styled
def variance_chart(
    variances: dict[str, pd.DataFrame], *, height: int = 360, about: str | None = None
) -> Spec:
    """Grouped bars of each model's variance per embedding dimension, largest first (``about``
    as :func:`spectrum_chart` takes it).

    ``variances`` maps a model name to ``explore.variance_share`` output (index ``dimension``,
    columns ``variance`` and ``share``)."""
    rows = []
    for name, v in variances.items():
        ordered = v.reset_index().sort_values("variance", ascending=False)
        for rank, row in enumerate(_records(ordered, ["dimension", "variance", "share"]), 1):
            rows.append({"model": name, "rank": rank, **row})
    return {
        # ranks, not shared dimensions: bars over one rank are no one dimension (views round
        # 30, F6)
        "title": _title(
            "Variance per embedding dimension", _joined("each model sorted on its own", about)
        ),
        "usermeta": SVG,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {"field": "rank", "type": "ordinal", "title": "rank (largest variance first)",
                  "axis": {"labelAngle": 0, "labelOverlap": True}},
            "xOffset": {"field": "model", "sort": list(variances)},
            "y": {"field": "variance", "type": "quantitative", "title": "variance",
                  "format": ".4g", "axis": {"format": "~g"}},
            "color": _model_colour(list(variances)),
            "tooltip": [{"field": "model"}, {"field": "dimension"},
                        {"field": "variance", "format": ".4g"},
                        {"field": "share", "format": ".1%"}],
        },
    }  # fmt: skip


@styled
def shared_neighbours_chart(overlap: pd.DataFrame, k: int, *, height: int = 300) -> Spec:
    """Bars of how many of its ``k`` nearest neighbours a movie keeps from model A to B
    (``overlap`` from ``explore.neighbour_overlap``, column ``n_common``)."""
    shared = overlap["n_common"].value_counts().reindex(range(k + 1), fill_value=0)
    rows = [{"common": int(i), "movies": int(n)} for i, n in shared.items()]
    return {
        "title": _title(f"Neighbours a movie keeps from A to B (of {k})", None),
        "usermeta": SVG,
        "height": height,
        "data": {"values": rows},
        "mark": {"type": "bar", "color": colour(0)},
        "encoding": {
            "x": {"field": "common", "type": "ordinal", "title": f"neighbours in common (of {k})",
                  "axis": {"labelAngle": 0}},
            "y": {"field": "movies", "type": "quantitative", "title": "movies"},
            "tooltip": [{"field": "common", "title": "in common"}, {"field": "movies"}],
        },
    }  # fmt: skip


#: Bar series of :func:`importance_chart`: column of ``explore.dimension_importance`` -> label.
IMPORTANCE_SERIES = {
    "movie_variance_share": "movie variance",
    "user_variance_share": "user variance",
    "movie_input_share": "read by dense layer (movie)",
    "user_input_share": "read by dense layer (user)",
}


@styled
def importance_chart(importance: pd.DataFrame, *, height: int = 260) -> Spec:
    """Grouped bars per embedding dimension from ``explore.dimension_importance``; ``height``
    is the plot's own (its title, axis and legend add to it)."""
    series = {c: label for c, label in IMPORTANCE_SERIES.items() if c in importance.columns}
    rows = [
        {"dimension": str(dim), "series": label, "share": share}
        for column, label in series.items()
        for dim, value in importance[column].items()
        if (share := _finite(value)) is not None
    ]
    labels = list(series.values())
    return {
        "title": _title("Use per dimension", None),  # a 190 px column at 1024 px
        "usermeta": SVG,
        "height": height,
        # the legend adds to the height: its four rows below a 320 px whole left a 65 px plot
        # (views round 30, F2)
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "mark": SHARE_MARK,
        "encoding": _share_bars(
            [str(d) for d in importance.index], labels, _fitted({**_LEGEND, "columns": 1})
        ),
    }


#: Bar series of the dimension charts -> (:func:`colour` index, hollow): blue, orange and the
#: text colour stay apart for every simulated colour-vision deficiency and in grey (views round
#: 28, F3: the palette's blue and green, held-out importance and user variance, were one teal
#: under tritanopia and one grey in print); the dense layer's shares are hollow bars in the
#: colour of the same side's variance.
SHARE_STYLES: dict[str, tuple[int, bool]] = {
    "early-stopping-row importance": (0, False),
    "movie variance": (1, False),
    "movie variance (count-weighted)": (1, False),
    "user variance": (6, False),
    "read by dense layer (movie)": (1, True),
    "read by dense layer (user)": (6, True),
}
#: Fill opacity of a hollow bar (its outline is the full colour), and the bars' mark.
HOLLOW = 0.12
SHARE_MARK = {"type": "bar", "strokeWidth": 1.5}


def _share_bars(order: list[str], labels: list[str], legend: dict[str, Any]) -> Spec:
    """Encoding of grouped bars: per dimension (in ``order``), one bar per series (``labels``,
    each in its :data:`SHARE_STYLES` colour, filled or hollow) of the rows' ``share``."""
    colours = [colour(SHARE_STYLES[label][0]) for label in labels]
    fills = [HOLLOW if SHARE_STYLES[label][1] else 1.0 for label in labels]
    # the legend's swatches hollow too: Vega-Lite fills them whatever the fillOpacity scale
    symbols = {"symbols": {"update": {"fillOpacity": {"scale": "fillOpacity", "field": "value"}}}}
    series = {
        "field": "series",
        "type": "nominal",
        "title": "measure",
        "legend": {**legend, "encode": symbols, "title": None},
    }
    return {
        "x": {"field": "dimension", "type": "ordinal", "sort": order, "title": "dimension (from 0)",
              "axis": {"labelAngle": 0, "labelOverlap": True}},
        "xOffset": {"field": "series", "sort": labels, "title": "measure"},
        "y": {"field": "share", "type": "quantitative", "title": "share", "format": ".1%",
              "axis": {"format": ".1~%"}},
        "color": {**series, "scale": {"domain": labels, "range": colours}},
        "stroke": {**series, "scale": {"domain": labels, "range": colours}},
        # sorted, on an ordinal scale: Vega-Lite drops an opacity channel on an unsorted nominal
        # field, and a point scale spans only its range's first two values (views round 30, F1)
        "fillOpacity": {**series, "sort": labels,
                        "scale": {"type": "ordinal", "domain": labels, "range": fills}},
        "tooltip": [{"field": "dimension", "title": "dimension (from 0)"},
                    {"field": "series", "title": "measure"},
                    {"field": "share", "format": ".1%"}],
    }  # fmt: skip


#: Bar series of :func:`dimension_report_chart`: column of ``DimensionReport.dimensions``
#: -> label (the held-out ablation first, then :data:`IMPORTANCE_SERIES`).
REPORT_SERIES = {
    "heldout_share": "early-stopping-row importance",  # the page's caption says how it is measured
    **IMPORTANCE_SERIES,
    "movie_variance_share": "movie variance (count-weighted)",
}


def _shares_title(labels: list[str]) -> tuple[str, str | None]:
    """Title and subtitle of the report's bars naming what is drawn: "importance" only beside
    held-out bars (views round 12: variance shares alone were titled "Importance of each
    dimension" and read as each dimension's importance)."""
    if REPORT_SERIES["heldout_share"] in labels:
        return "Importance of each dimension", None
    drawn = "Variance share" if all("variance" in label for label in labels) else "Shares"
    return f"{drawn} per dimension", "no early-stopping-row importance: see below"


#: The prefix curves of :func:`dimension_report_chart`: column -> (label, colour, dash); the
#: colour a :func:`colour` index (its black in the page's text colour: black dots on the dark
#: theme, views round 10).
PREFIX_CURVES = {
    # short: the legend starts at the plot's left edge and "first k principal directions" ran
    # past a half-width chart at 1024 px (views round 10); the title says "first k"
    "rmse_index": ("as trained", 5, [1, 0]),
    "rmse_pca": ("principal directions", 6, [2, 3]),
}


@styled
def dimension_report_charts(
    dimensions: pd.DataFrame,
    prefix: pd.DataFrame,
    *,
    rows: str = "held-out",
    height: int = 360,
    k0: str = "biases only",
) -> tuple[Spec, Spec]:
    """Two charts from ``explore.ordering.model_dimension_report``, each as wide as its column
    (side by side on a wide screen, one above the other on a phone): per dimension, its share
    of the held-out importance beside variance shares (and, for ``deep``, the first dense
    layer's input shares); RMSE using only the first k dimensions as trained and in the
    principal basis (``k0`` says what k = 0 leaves: no embedding), with the full model's RMSE
    as a rule."""
    frame = dimensions if "dimension" in dimensions else dimensions.rename_axis("dimension")
    frame = frame.reset_index() if "dimension" not in frame.columns else frame
    series = {c: label for c, label in REPORT_SERIES.items() if c in frame.columns}
    order = [str(d) for d in frame["dimension"]]
    bars = [
        {"part": "bars", "dimension": str(d), "series": label, "share": v}
        for column, label in series.items()
        for d, value in zip(frame["dimension"], frame[column], strict=True)
        if (v := _finite(value)) is not None
    ]
    curves = [
        {"part": "curves", "k": int(k), "curve": label, "rmse": v}
        for column, (label, _, _) in PREFIX_CURVES.items()
        for k, value in zip(prefix["k"], prefix[column], strict=True)
        if (v := _finite(value)) is not None
    ]
    full = _finite(prefix["rmse_index"].iloc[-1])
    # the full model's RMSE as a dashed grey rule named in the legend: a label on the plot sat
    # on the curve, which ends at that value (views round 10)
    rule_label = f"all dims: {full:.4f}" if full is not None else None
    names = [label for label, _, _ in PREFIX_CURVES.values()] + ([rule_label] if full else [])
    colours_of = [colour(c) for _, c, _ in PREFIX_CURVES.values()] + (["grey"] if full else [])
    dashes_of = [d for _, _, d in PREFIX_CURVES.values()] + ([[4, 4]] if full else [])
    shown = {row["series"] for row in bars}  # no legend entry for a series without bars
    labels = [label for label in series.values() if label in shown]
    legend = _fitted({**_LEGEND, "columns": 1})
    strokes = {**legend, "symbolType": "stroke", "symbolStrokeWidth": 2.5}
    left = {
        "usermeta": SVG,
        "data": {"values": bars},
        "title": _title(*_shares_title(labels)),
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "mark": SHARE_MARK,
        "encoding": _share_bars(order, labels, legend),
    }
    line = {
        "transform": [{"filter": {"field": "part", "equal": "curves"}}],
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "k", "type": "quantitative", "title": f"k (0 = {k0})",
                  "axis": {"format": "d", "tickMinStep": 1},
                  "scale": {"nice": False, "padding": EDGE_PADDING}},
            "y": {"field": "rmse", "type": "quantitative", "title": "RMSE", "format": ".4f",
                  "axis": {"format": "~g"}, "scale": {"zero": False, "padding": EDGE_PADDING}},
            "strokeDash": {"field": "curve", "type": "nominal", "title": None, "legend": strokes,
                           "scale": {"domain": names, "range": dashes_of}},
            "color": {"field": "curve", "type": "nominal", "title": None, "legend": strokes,
                      "scale": {"domain": names, "range": colours_of}},
            "tooltip": [{"field": "curve"}, {"field": "k", "title": f"k (0 = {k0})"},
                        {"field": "rmse", "title": "RMSE", "format": ".4f"}],
        },
    }  # fmt: skip
    layers: list[Spec] = [line]
    if full is not None:
        curves.append({"part": "full", "rmse": full, "curve": rule_label})
        layers.append(
            {"transform": [{"filter": {"field": "part", "equal": "full"}}], "mark": "rule",
             "encoding": {"y": {"field": "rmse", "type": "quantitative", "title": "RMSE",
                                "format": ".4f"},
                          "color": line["encoding"]["color"],
                          "strokeDash": line["encoding"]["strokeDash"]}}
        )  # fmt: skip
    right = {
        "usermeta": SVG,
        "data": {"values": curves},
        "title": _title("RMSE, first k dimensions", f"on the {rows} rows"),  # fits 1024 px
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "layer": layers,
    }
    return left, right


@styled
def popularity_chart(frame: pd.DataFrame, quantity: str, *, height: int = 420) -> Spec:
    """Scatter of ``norm`` or ``bias`` against log10(1 + ratings), title, year, ratings and
    genres on hover (``explore.norms_vs_popularity`` rows; drawn on a canvas: thousands of
    points)."""
    columns = ["log_n_ratings", quantity, "n_ratings"]
    # the year goes in the title, where a missing one leaves nothing (Vega formats a missing
    # year "d" as 0), and genres only where some movie has them (views round 11)
    rows = [
        {**row, "title": with_year(title, year), "genres": genres_text(genres) or "(none)"}
        for row, title, year, genres in zip(
            _records(frame, columns), frame["title"], frame["year"], frame["genres"], strict=True
        )
        if row["log_n_ratings"] is not None and row[quantity] is not None
    ]
    any_genres = any(genres_text(g) for g in frame["genres"])
    return {
        "title": _title(f"Movie {quantity} vs. popularity", None),
        "usermeta": {"embedOptions": {"renderer": "canvas"}},
        "height": height,
        "data": {"values": rows},
        "mark": {"type": "circle", "size": 22, "opacity": 0.5, "color": colour(0)},
        "params": [_ZOOM],
        "encoding": {
            "x": {"field": "log_n_ratings", "type": "quantitative", "title": "log10(1 + ratings)",
                  "format": ".2f", "axis": {"format": "~g"}, "scale": {"zero": False}},  # views round 9: a filter at 10+ left 0-1 empty
            "y": {"field": quantity, "type": "quantitative", "title": quantity, "format": ".3f",
                  "axis": {"format": "~g"}, "scale": {"zero": False}},
            "tooltip": [{"field": "title"},
                        {"field": "n_ratings", "title": "ratings", "format": ","},
                        *([{"field": "genres"}] if any_genres else []),
                        {"field": quantity, "format": ".3f"}],
        },
    }  # fmt: skip


def _joined(subtitle: str, about: str | None) -> str:
    """A chart's own ``subtitle``, then ``about`` (its data set and movies) when given."""
    return f"{subtitle} · {about}" if about else subtitle


#: The :data:`PALETTE` colours models take, in order: blue, orange, green, reddish purple and
#: the text colour, before the wine, sky blue and vermillion that come closer to one of them
#: (views round 42, F6: the Spectra bars of the 2nd and 4th model were orange and vermillion,
#: hard to tell apart).
MODEL_ORDER = (0, 1, 2, 4, 6, 7, 5, 3, 8, 9)


def model_colour(i: int) -> str:
    """The colour of the ``i``-th model of a chart (:data:`MODEL_ORDER`), the same in every
    chart that colours models (learning curves, regularizer losses, spectra, variances) and
    for the first two the Plotly figures' (``explore_figures.MODEL_SERIES``)."""
    return colour(MODEL_ORDER[i % len(MODEL_ORDER)])


def _model_colour(names: list[str]) -> dict[str, Any]:
    """One colour per model, in the order given (:func:`model_colour`)."""
    return {
        "field": "model",
        "type": "nominal",
        "title": "model",
        "legend": legend_for(names),
        "scale": {"domain": names, "range": [model_colour(i) for i in range(len(names))]},
    }


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of ``frame``'s ``columns`` as JSON-safe dicts (ints stay ints; NaN -> None)."""
    out = []
    for values in zip(*(frame[c].to_numpy() for c in columns), strict=True):
        row = {}
        for column, value in zip(columns, values, strict=True):
            if isinstance(value, np.integer | int) and not isinstance(value, bool):
                row[column] = int(value)
            elif isinstance(value, np.floating | float):
                row[column] = _finite(value)
            else:
                row[column] = str(value)
        out.append(row)
    return out
