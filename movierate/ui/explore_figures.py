"""Plotly figures of the Explore and Rate pages, as pure functions of data (no streamlit):
custom axes, the users map, two models in one frame, linear probes side by side.

Scatters use ``Scattergl`` traces built directly (plotly express costs ~0.5 s per figure) and
carry the movie_idx (or user_idx) of each point as custom data, for click selection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from movierate.ui.charts import TEXT_COLOUR, readable
from movierate.ui.charts import colour as series_colour
from movierate.ui.figures import (
    FOCUS_COLOUR,
    MARKER_SYMBOLS,
    OTHER_COLOUR,
    colour_bar_below,
    colour_scale,
    genre_colour,
    legend_below,
    outline,
    point_sizes,
    text_styled,
)
from movierate.ui.text import html_text, movie_hover, ratings_text

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
#: Marker colours of the custom-axis sets (series colours of :func:`charts.colour`), and the
#: series colours a set takes instead when its own is near a genre set's (:func:`set_colours`).
SET_SERIES = {"A": 0, "B": 3, "C": 2, "D": 4}
SPARE_SERIES = (5, 7, 9, 1)
#: Two colours this close (distance of their sRGB codes, 0 to 441) read as one on a map.
NEAR_COLOUR = 100.0
#: Movies in both sets of an axis (left out of its AUC), and movies in no set.
BOTH_COLOUR, NO_SET_COLOUR = "#8c564b", "#cfcfcf"
#: A marker shape per group besides its colour (views round 17: under achromatopsia set A, set
#: B and "in both" were one grey): every group that the verdict scores reads without hue.
GROUP_SYMBOLS = {"A": "circle", "B": "square", "C": "triangle-up", "D": "triangle-down",
                 "A+B": "x", "C+D": "cross"}  # fmt: skip
#: The movies that moved most labelled on the two-models frame (the rest: hover, the table).
MOVED_LABELS = 5
MODEL_SERIES = (0, 1)  # the Vega charts' (colour-blind safe) series colours
#: Marker shapes of A's and B's points: in grey their colours were two pale greys at the
#: cloud's opacity (views round 28, F3).
MODEL_SYMBOLS = ("circle", "square")
#: Size (px) of the arrowhead at B's end of a "moved most" line, and how far (px) it stands off
#: B's point (the tip at the edge of B's 9 px marker).
ARROW_SIZE, ARROW_STANDOFF = 12, 5
#: Sets up to this size are drawn as large outlined markers; larger ones as small ones.
SMALL_SET = 60
#: The users map draws this many categories (the commonest), each in a shape of its own, and
#: the rest in grey (views round 17: 21 occupations in 21 hues, many alike for colour-blind
#: eyes and some for anyone).
MAX_USER_CATEGORIES = len(MARKER_SYMBOLS)
#: Their series colours (:func:`charts.colour`): the palette's wine and dark green left out,
#: too dark on the dark theme's page.
USER_CATEGORY_SERIES = (0, 1, 2, 3, 4, 5, 6, 8)


#: How far (px) a moved movie's label sits beside its point.
LABEL_SHIFT = 8


def _label_moved(fig: go.Figure, moved: pd.DataFrame, centre: tuple[float, float]) -> None:
    """Label the movies that moved most at whichever end lies farther from ``centre`` (the
    frame's middle), on its outer side: drawn at their B ends they piled up where B's movies
    cluster (views round 22 F5, then the recheck: 5 labels still overlapped at the origin),
    while the ends far out are spread round the rim."""
    cx, cy = centre
    for row in moved.itertuples():
        far_a = np.hypot(row.x_a - cx, row.y_a - cy) >= np.hypot(row.x_b - cx, row.y_b - cy)
        x, y = (row.x_a, row.y_a) if far_a else (row.x_b, row.y_b)
        right = x >= cx
        fig.add_annotation(
            x=x,
            y=y,
            text=html_text(str(row.title)[:28]),
            showarrow=False,
            xanchor="left" if right else "right",
            xshift=LABEL_SHIFT if right else -LABEL_SHIFT,
            font={"size": 10, "color": TEXT_COLOUR.get()},
        )


def _hover(frame: pd.DataFrame) -> list[str]:
    years = pd.to_numeric(frame["year"], errors="coerce")
    return [
        movie_hover(t, y, g, ratings_text(n))
        for t, y, g, n in zip(
            frame["title"], years, frame["genres"], frame["n_ratings"], strict=True
        )
    ]


def _near(one: str, other: str) -> bool:
    codes = [np.array([int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]) for c in (one, other)]
    return float(np.linalg.norm(codes[0] - codes[1])) < NEAR_COLOUR


def set_colours(sets: Mapping[str, str], genres: set[str]) -> dict[str, str]:
    """The marker colour of each custom-axis set (``sets``: group "A"-"D" -> its box's text). A
    set that is one genre (of ``genres``, any case) is drawn in that genre's colour, as on the
    Embeddings maps; any other in its :data:`SET_SERIES` colour, or the first of
    :data:`SPARE_SERIES` not near a colour already taken (views round 30, F3: set A, Comedy,
    was drawn in the blue that means Drama on the maps, and set B, Drama, in orange)."""
    by_name = {genre.casefold(): genre for genre in genres}
    chosen = {
        group: genre_colour(by_name[text.strip().casefold()])
        for group, text in sets.items()
        if text.strip().casefold() in by_name
    }
    own = {group: series_colour(i) for group, i in SET_SERIES.items() if group not in chosen}
    genre_fills = list(chosen.values())
    for group, fill in own.items():  # the series colours stay apart from one another
        if not any(_near(fill, taken) for taken in genre_fills):
            chosen[group] = fill
    for group in [group for group in own if group not in chosen]:
        spare = (series_colour(i) for i in SPARE_SERIES)
        chosen[group] = next(
            (c for c in spare if not any(_near(c, t) for t in chosen.values())), own[group]
        )
    return {group: chosen[group] for group in SET_SERIES}


@text_styled
def axes_figure(
    coordinates: pd.DataFrame,
    x_title: str,
    y_title: str,
    *,
    sets: Mapping[str, str] | None = None,
    height: int = 620,
) -> go.Figure:
    """Every placed movie on the custom axes in grey (genres in the hover), the movies of the
    sets that define the axes drawn on top (A/B/C/D, outlined, each named by ``sets``' text and
    coloured by :func:`set_colours`), and those in both sets of an axis apart: its AUC leaves
    them out, so the legend's counts are the verdict's."""
    hover = np.asarray(_hover(coordinates), dtype=object)  # built once for every trace
    fig = go.Figure()
    rest = (coordinates["group"] == "").to_numpy()
    fig.add_trace(
        go.Scattergl(
            x=coordinates["x"][rest],
            y=coordinates["y"][rest],
            mode="markers",
            name=f"in no set ({rest.sum():,})",
            marker={
                "color": NO_SET_COLOUR,
                "line": outline(NO_SET_COLOUR),
                "size": point_sizes(coordinates["n_ratings"], 3, 12)[rest],
                "opacity": 0.6,
            },
            text=hover[rest],
            hovertemplate="%{text}<extra></extra>",
            customdata=coordinates[["movie_idx"]][rest].to_numpy(),
        )
    )
    sets = sets or {}
    genres = {g for gs in coordinates["genres"] if gs is not None for g in gs}
    colours = set_colours(sets, genres)
    colours |= {"A+B": readable(BOTH_COLOUR), "C+D": readable(BOTH_COLOUR)}
    for group, colour in colours.items():
        mask = (coordinates["group"] == group).to_numpy()
        if not mask.any():
            continue
        part = coordinates[mask]
        big = mask.sum() > SMALL_SET  # a genre: thousands of diamonds would hide the map
        label = f"in both {group[0]} and {group[2]}" if "+" in group else f"set {group}"
        named = f": {html_text(sets[group])}" if sets.get(group) else ""  # views round 30, F3
        name = f"{label}{named} ({mask.sum():,}{'; not scored' if '+' in group else ''})"
        fig.add_trace(
            go.Scattergl(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=name,
                marker={
                    "color": colour,
                    "size": 7 if big else 11,
                    "opacity": 0.6 if big else 1.0,
                    "symbol": GROUP_SYMBOLS[group],
                    # a genre's pale fill (Comedy's yellow) gets the maps' outline
                    "line": outline(colour)
                    if readable(colour) != colour
                    else {"color": "white", "width": 0 if big else 1},
                },
                text=hover[mask],
                hovertemplate=f"{label}: %{{text}}<extra></extra>",
                customdata=part[["movie_idx"]].to_numpy(),
            )
        )
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend=legend_below(),
        dragmode="pan",
    )
    return fig


@text_styled
def users_figure(
    frame: pd.DataFrame,
    colour: str,
    label: str,
    *,
    you: Any = None,
    max_points: int = 20_000,
    height: int = 560,
) -> go.Figure:
    """The users map coloured by ``colour`` (a numeric or a categorical column); ``you`` (x, y)
    marks a folded-in user with a star. More than ``max_points`` users are subsampled."""
    if len(frame) > max_points:
        frame = frame.sample(max_points, random_state=0)
    hover = [
        f"user {html_text(uid)}<br>{ratings_text(n)}" + ("" if pd.isna(m) else f", mean {m:.2f}")
        for uid, n, m in zip(
            frame["user_id"] if "user_id" in frame.columns else frame["user_idx"],
            frame["n_ratings"],
            frame["mean_rating"],
            strict=True,
        )
    ]
    hover = np.asarray(hover, dtype=object)
    fig = go.Figure()
    values = frame[colour]
    if pd.api.types.is_numeric_dtype(values):
        shown = np.log10(1.0 + values) if colour == "n_ratings" else values
        fig.add_trace(
            go.Scattergl(
                x=frame["x"],
                y=frame["y"],
                mode="markers",
                name="users",
                showlegend=False,
                marker={
                    "color": shown,
                    "colorscale": colour_scale(),
                    "size": 5,
                    "opacity": 0.7,
                    "colorbar": colour_bar_below(
                        f"log10 {label}" if colour == "n_ratings" else label
                    ),
                },
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                customdata=frame[["user_idx"]].to_numpy(),
            )
        )
    else:
        _add_categories(fig, frame, values.fillna("unknown").astype(str), label, hover)
    if you is not None:  # WebGL points hide SVG ones: the star is WebGL too, plus a label
        fig.add_annotation(
            x=float(you[0]),
            y=float(you[1]),
            text="<b>you</b>",
            showarrow=True,
            arrowhead=2,
            ax=30,
            ay=-30,
            font={"color": "#222"},  # on its white box in either theme (views round 9)
            bgcolor="white",
        )
        fig.add_trace(
            go.Scattergl(
                x=[float(you[0])],
                y=[float(you[1])],
                mode="markers",
                name="you",
                marker={
                    "symbol": "star",
                    "size": 20,
                    "color": FOCUS_COLOUR,
                    "line": {"color": TEXT_COLOUR.get(), "width": 1},
                },
                hovertemplate="you (folded in from your ratings)<extra></extra>",
                showlegend=False,
            )
        )
    shown_x = [*frame["x"], *([] if you is None else [float(you[0])])]
    shown_y = [*frame["y"], *([] if you is None else [float(you[1])])]
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        # fitted to the points and the star: autorange made room for the "you" label in
        # pixels, which on a narrow plot stretched x to -1..4 around points in -0.6..0.8
        # (views round 33, F2)
        xaxis={"title": "user PC 1", "range": fitted_range(shown_x)},
        yaxis={"title": "user PC 2", "range": fitted_range(shown_y)},
        legend=legend_below(),
    )
    return fig


def fitted_range(values: Any, pad: float = 0.05) -> list[float]:
    """An axis range around the finite ``values`` with ``pad`` of their span on each side
    (a unit span around one value; ``[-1, 1]`` where none is finite)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not len(finite):
        return [-1.0, 1.0]
    lo, hi = float(finite.min()), float(finite.max())
    margin = (hi - lo) * pad if hi > lo else 0.5
    return [lo - margin, hi + margin]


def _add_categories(
    fig: go.Figure, frame: pd.DataFrame, categories: pd.Series, label: str, hover: np.ndarray
) -> None:
    """The users of each of the :data:`MAX_USER_CATEGORIES` commonest ``categories`` in a
    colour and a shape of their own, the rest under them in grey as "N rarer ones" (each
    one's category in its hover), the legend's title saying so."""
    counts = categories.value_counts()
    shown = counts.index[:MAX_USER_CATEGORIES]
    rest = ~categories.isin(shown).to_numpy()
    if rest.any():
        names = categories[rest].map(html_text).to_numpy(dtype=object)
        fig.add_trace(
            go.Scattergl(
                x=frame["x"][rest],
                y=frame["y"][rest],
                mode="markers",
                name=f"{len(counts) - len(shown)} rarer ones ({rest.sum():,} users)",
                legendrank=1001,  # last: after the shapes it explains
                marker={
                    "color": OTHER_COLOUR,
                    "size": 4,
                    "opacity": 0.6,
                    "symbol": "circle",
                    "line": outline(OTHER_COLOUR),
                },
                text=names + "<br>" + hover[rest],
                hovertemplate="%{text}<extra></extra>",
                customdata=frame[["user_idx"]][rest].to_numpy(),
            )
        )
    for i, name in enumerate(shown):
        mask = (categories == name).to_numpy()
        part = frame[mask]
        fig.add_trace(
            go.Scattergl(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=html_text(name),  # data text: literal in the legend and hover
                marker={"color": series_colour(USER_CATEGORY_SERIES[i]), "symbol": MARKER_SYMBOLS[i], "size": 7,
                        "opacity": 0.8, "line": outline(series_colour(USER_CATEGORY_SERIES[i]))},
                text=hover[mask],
                hovertemplate="%{fullData.name}<br>%{text}<extra></extra>",
                customdata=part[["user_idx"]].to_numpy(),
            )
        )  # fmt: skip
    title = html_text(label)
    if rest.any():
        title += f"<br><sup>the {len(shown)} commonest; the rest grey</sup>"
    fig.update_layout(legend_title_text=title)


#: The focused film's label on the aligned map: dark text on a white box in either theme
#: (views round 9), framed and pointed in the focus colour.
_FOCUS_LABEL = {
    "font": {"color": "#222"}, "bgcolor": "rgba(255,255,255,0.85)",
    "bordercolor": FOCUS_COLOUR, "arrowcolor": FOCUS_COLOUR,
}  # fmt: skip


@text_styled
def aligned_figure(
    coordinates: pd.DataFrame,
    moved: pd.DataFrame,
    names: tuple[str, str],
    *,
    focus: int | None = None,
    height: int = 620,
) -> go.Figure:
    """Two models' common movies in one frame: A's points and B's aligned points, a line from
    A to B for each movie that moved most, ``focus`` (a movie_idx of A) ringed in both. A's
    points are circles, B's squares, and each line ends in an arrowhead at B: the two read
    apart in grey print too."""
    fig = go.Figure()
    hover = np.asarray(_hover(coordinates), dtype=object)
    model_colours = [series_colour(i) for i in MODEL_SERIES]
    for (xs, ys), name, colour, symbol in zip(
        (("x_a", "y_a"), ("x_b", "y_b")), names, model_colours, MODEL_SYMBOLS, strict=True
    ):
        fig.add_trace(
            go.Scattergl(
                x=coordinates[xs],
                y=coordinates[ys],
                mode="markers",
                name=name,
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": point_sizes(coordinates["n_ratings"], 3, 8),
                    "opacity": 0.3,
                    "line": outline(colour),
                },
                text=hover,
                hovertemplate=f"{name}: %{{text}}<extra></extra>",
                customdata=coordinates[["movie_idx"]].to_numpy(),
            )
        )
    if not moved.empty:
        line_x: list[float | None] = []
        line_y: list[float | None] = []
        for row in moved.itertuples():
            line_x += [row.x_a, row.x_b, None]
            line_y += [row.y_a, row.y_b, None]
        fig.add_trace(
            go.Scatter(
                x=line_x,
                y=line_y,
                mode="lines+markers",
                name="moved most (A → B)",
                line={"color": TEXT_COLOUR.get(), "width": 2},  # #222: 1.2:1 on the dark page
                # an arrowhead at B's end only (none at A's), pointing along the line
                marker={
                    "symbol": "arrow",
                    "angleref": "previous",
                    "standoff": ARROW_STANDOFF,
                    "size": [0, ARROW_SIZE, 0] * len(moved),
                    "color": TEXT_COLOUR.get(),
                },
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=moved["x_a"],
                y=moved["y_a"],
                mode="markers",
                name="moved most",
                marker={
                    "color": model_colours[0],
                    "size": 9,
                    "line": {"color": TEXT_COLOUR.get(), "width": 1},
                },
                customdata=moved[["movie_idx"]].to_numpy(),
                text=moved["title"].map(html_text),
                hovertemplate="%{text}<extra>in A</extra>",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=moved["x_b"],
                y=moved["y_b"],
                mode="markers",
                name="moved most",
                marker={
                    "color": model_colours[1],
                    "symbol": MODEL_SYMBOLS[1],
                    "size": 9,
                    "line": {"color": TEXT_COLOUR.get(), "width": 1},
                },
                customdata=np.column_stack(
                    [moved["movie_idx"].to_numpy(object), moved["title"].map(html_text)]
                ),
                hovertemplate="%{customdata[1]}<extra>moved most</extra>",
                showlegend=False,
            )
        )
        centre = (float(coordinates["x_a"].mean()), float(coordinates["y_a"].mean()))
        _label_moved(fig, moved.head(MOVED_LABELS), centre)
    if focus is not None:
        part = coordinates[coordinates["movie_idx"] == focus]
        if not part.empty:
            row = part.iloc[0]
            fig.add_trace(
                go.Scatter(
                    x=[row["x_a"], row["x_b"]],
                    y=[row["y_a"], row["y_b"]],
                    mode="lines+markers",
                    name=html_text(row["title"]),
                    line={"color": FOCUS_COLOUR, "width": 3},
                    marker={
                        "size": 16,
                        "color": "rgba(0,0,0,0)",
                        "line": {"color": FOCUS_COLOUR, "width": 3},
                    },
                    hoverinfo="skip",
                )
            )
            name = html_text(str(row["title"])[:40])
            for end, (ax, ay) in (("a", (-40, -34)), ("b", (40, 34))):  # named at both rings,
                fig.add_annotation(  # out of the cloud (views round 26, M1)
                    x=row[f"x_{end}"], y=row[f"y_{end}"], ax=ax, ay=ay,
                    text=f"<b>{end.upper()}: {name}</b>", **_FOCUS_LABEL,
                )  # fmt: skip
    fig.update_layout(
        height=height,
        margin=_MARGIN,
        xaxis_title="A's principal axis 1",
        yaxis_title="A's principal axis 2",
        legend=legend_below(),
    )
    return fig


@text_styled
def probes_figure(tables: dict[str, pd.DataFrame], *, height: int = 460) -> go.Figure:
    """Cross-validated ROC AUC above chance (``auc - 0.5``) per probe target, one bar colour per
    model: which model keeps genres (decade, user attributes) linearly readable, whatever the
    class's size (accuracy against the majority baseline in the hover). A bar that random
    relabellings of the same movies reach (``p_value`` above ``probes.ALPHA``) is hatched."""
    from movierate.explore.axes import at_the_edge
    from movierate.explore.probes import ALPHA, PERMUTATIONS

    fig = go.Figure()
    # a genre's name from the data: literal on the axis (Plotly drew "<a href>" as a link)
    targets = {name: table["target"].map(html_text) for name, table in tables.items()}
    for name, table in tables.items():
        beyond = (table["p_value"] <= ALPHA).to_numpy()
        verdict = np.where(
            beyond,
            "beyond chance",
            f"within chance: random labels reach it in more than {ALPHA:.0%} of "
            f"{PERMUTATIONS} relabellings",
        ).astype(object)
        edge = np.array([at_the_edge(p, PERMUTATIONS, ALPHA) for p in table["p_value"]], bool)
        # accuracy round 58, F1: a p this near the cutoff is the relabellings' draw
        verdict[edge] = verdict[edge] + ", but at the edge: another draw could call it either way"
        fig.add_trace(
            go.Bar(
                x=targets[name],
                y=table["auc"] - 0.5,
                name=name,
                offsetgroup=name,
                # hatched, not paler: a pale bar of one model read as a solid bar of the next
                # model's lighter colour (views round 4b)
                marker={
                    "pattern": {
                        "shape": np.where(beyond, "", "/").tolist(),
                        "fillmode": "replace",
                        "solidity": 0.45,
                    }
                },
                customdata=[
                    [*numbers, said]
                    for numbers, said in zip(
                        table[["auc", "chance_auc", "accuracy", "baseline"]].to_numpy().tolist(),
                        verdict,
                        strict=True,
                    )
                ],
                hovertemplate=(
                    f"{name}<br>%{{x}}: AUC %{{customdata[0]:.3f}}, %{{customdata[4]}} "
                    f"({1 - ALPHA:.0%} of relabellings stay below %{{customdata[1]:.3f}})<br>"
                    "accuracy %{customdata[2]:.3f} vs always the commonest class "
                    "%{customdata[3]:.3f}<extra></extra>"
                ),
            )
        )
    for i, (name, table) in enumerate(tables.items()):  # accuracy round 11: the reference
        if table["popularity_auc"].isna().all():
            continue
        fig.add_trace(
            go.Scatter(
                x=targets[name],
                y=table["popularity_auc"] - 0.5,
                mode="markers",
                name="popularity alone (no embedding)",
                legendgroup="popularity",
                showlegend=i == 0,
                offsetgroup=name,  # on its model's bar
                marker={  # the page's text colour: seen on the dark theme too (recheck)
                    "symbol": "line-ew",
                    "size": 14,
                    "line": {"width": 3, "color": TEXT_COLOUR.get()},
                },
                hovertemplate=(
                    f"{name}<br>%{{x}}: popularity alone (each one's number of training ratings "
                    "and mean training rating) AUC %{customdata:.3f} (0.5 where its own probe "
                    "fell below chance)<extra></extra>"
                ),
                customdata=table["popularity_auc"],
            )
        )
    fig.update_layout(
        barmode="group",
        scattermode="group",
        height=height,
        margin={**_MARGIN, "b": 120},
        yaxis_title="ROC AUC − 0.5 (0: chance)",
        xaxis_tickangle=-45,
    )
    return fig
