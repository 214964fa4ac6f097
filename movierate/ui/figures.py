"""Plotly figures of the dashboard, as pure functions of data (no Streamlit here).

The movie map (fixed genre colours, one-genre density, region labels, selection histograms):
charts whose hover, legends and selections need Plotly. The curves, bars, heatmaps, dimension
report and popularity scatters are Vega-Lite (:mod:`movierate.ui.charts`), which a browser draws
about a second sooner. ``plotly.express`` is imported inside the functions that need it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly import colors

from movierate.ui.charts import MIN_CONTRAST, TEXT_COLOUR, contrast, page, readable
from movierate.ui.text import html_text, movie_hover, ratings_text

#: The Plotly charts' font: installed fonts only. Plotly sizes a legend with the page's font
#: but its "Download plot as a PNG" draws the SVG as an image, where the page's web font
#: (Source Sans) is missing: a wider fallback overflowed and cut the legend's entries (views
#: round 14, F1). A system font measures the same on the page and in the export.
FONT_FAMILY = 'Arial, Helvetica, "Liberation Sans", "DejaVu Sans", sans-serif'


def font() -> dict[str, Any]:
    """13 px text in the page theme's chart colour (:data:`charts.TEXT_COLOUR`), as the Vega
    charts' (:func:`charts.style`), in :data:`FONT_FAMILY`. Streamlit's Plotly theme draws ticks
    and axis titles 12-14 px #808495 unless each axis names its font (a figure-wide font is not
    enough: measured in Chromium)."""
    return {"size": 13, "color": TEXT_COLOUR.get(), "family": FONT_FAMILY}


def export_config(model: str, chart: str) -> dict[str, Any]:
    """The ``config`` of every ``st.plotly_chart``: its "Download plot as a PNG" at twice the
    chart's size (a HiDPI screen's density, for a slide) and named after ``model`` and
    ``chart`` (views round 14: every export was ``plot-image.png``, at half the screen's
    density).

    >>> export_config("talk-small.v2", "Map (PCA)")["toImageButtonOptions"]
    {'format': 'png', 'scale': 2, 'filename': 'talk-small.v2-map-pca'}
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{model}-{chart.lower()}").strip("-.")
    options = {"format": "png", "scale": 2, "filename": stem or "chart"}
    return {"displaylogo": False, "toImageButtonOptions": options}


#: The most characters of a figure title's line, so a title wraps at whole parts instead of
#: running off a narrow chart: its 12 px bold text takes about 6.7 px a character (measured in
#: Chromium), and 52 of them fit the 358 px chart of a 390 px phone (56 ran 20 px past it).
TITLE_LINE = 52
#: Pixels above a title's first line beyond Plotly's own 8 (Chromium cut the tops of its letters).
TITLE_PAD = 8
#: Height (px) of the strip at a chart's top where Plotly's mode bar draws (its buttons end 28 px
#: down, measured in Chromium): a title below it. On a touch screen the bar shows all the time
#: and covered a title's first line (views round 33, F1: "b8 (ml-lat[icons]").
MODE_BAR = 28


def model_part(model: Any) -> str:
    """A model as a figure's title names it: ``small-a (ml-latest-small)``."""
    return f"{model.name} ({model.dataset_name})"


def titled(fig: go.Figure, *parts: str, line: int = TITLE_LINE) -> go.Figure:
    """``fig`` with a compact title of ``parts`` (model and data set, method and settings, the
    movies shown) joined by " · ", wrapped between parts at :data:`TITLE_LINE` characters, in
    small text of the theme's text colour above the plot: the PNG the chart downloads says what
    it shows (views round 25, F2: a map pasted into a slide named neither model nor method).
    ``line``: the characters a line may hold (fewer for a chart in a narrow column).

    The title starts at the chart's left edge (views round 33, F1: placed after the y axis's
    margin, 75-100 px in, its lines ran off a phone's screen) and below the :data:`MODE_BAR`
    strip, which the figure grows by (where its height is set) so the plot keeps its size.
    Returns ``fig``, changed in place."""
    lines: list[str] = []
    for part in (p for p in parts if p):
        if lines and len(lines[-1]) + 3 + len(part) <= line:
            lines[-1] += f" · {part}"
        else:
            lines.append(part)
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 40
    fig.update_layout(
        title={"text": "<br>".join(html_text(line) for line in lines), "x": 0, "xref": "container",
               "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top",
               "pad": {"t": 8 + TITLE_PAD + MODE_BAR, "l": 0},
               "font": {"size": 12, "color": TEXT_COLOUR.get(), "family": FONT_FAMILY}},
        margin={"t": top + TITLE_PAD + MODE_BAR + 16 * len(lines)},
    )  # fmt: skip
    if fig.layout.height is not None:
        fig.update_layout(height=fig.layout.height + MODE_BAR)
    return fig


def text_styled(build: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """A Plotly figure builder whose axis, legend, colour-bar and title text is :func:`font`."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> go.Figure:
        fig = build(*args, **kwargs)
        text = font()
        fig.update_layout(
            font=text, legend_font=text, legend_title_font=text, title_font={"color": text["color"]}
        )
        fig.update_xaxes(tickfont=text, title_font=text)
        fig.update_yaxes(tickfont=text, title_font=text)
        bar = {"tickfont": text, "title_font": text}
        fig.update_traces(marker_colorbar=bar, selector=_has_colour_bar)
        if fig.layout.coloraxis.colorscale is not None:  # plotly express's shared colour bar
            # views round 28, F6: its ticks and title were Streamlit's pale #808495
            fig.update_layout(coloraxis_colorbar=bar)
        return fig

    return wrapper


def _has_colour_bar(trace: Any) -> bool:
    marker = getattr(trace, "marker", None)
    return marker is not None and bool(marker.showscale or marker.colorbar.to_plotly_json())


#: One fixed colour per MovieLens genre (every release, ml-100k's "Children's" and "unknown"
#: included), the same in every map, model and page. Related genres get related hues (Horror
#: and Thriller dark, Children and Animation pink, Comedy and Musical warm). A fill under 3:1
#: against the page gets an :func:`outline` that has it (views round 22, F2: Horror #7f0000
#: was 1.7:1 on the dark page): no one set of 19 colours has 3:1 against both themes' pages and
#: stays apart for colour-blind eyes in 8 shapes (searched: under achromatopsia too many of
#: them fall within 12 units of lightness).
GENRE_COLOURS: dict[str, str] = {
    "Action": "#d62728",
    "Adventure": "#ff7f0e",
    "Animation": "#e377c2",
    "Children": "#f2a7d3",
    "Children's": "#f2a7d3",
    "Comedy": "#e6ab02",
    "Crime": "#8c564b",
    "Documentary": "#17becf",
    "Drama": "#1f77b4",
    "Fantasy": "#9467bd",
    "Film-Noir": "#252525",
    "Horror": "#7f0000",
    "IMAX": "#9ecae1",
    "Musical": "#f781bf",
    "Mystery": "#3f3f8f",
    "Romance": "#ff9896",
    "Sci-Fi": "#2ca02c",
    "Thriller": "#4d5a1e",
    "War": "#a6761d",
    "Western": "#c49c94",
    "unknown": "#bdbdbd",
    "(no genres listed)": "#bdbdbd",
    "(none)": "#bdbdbd",
}
#: Marker shapes that stay apart at a map's point sizes (WebGL draws every one of them).
MARKER_SYMBOLS = (
    "circle", "square", "diamond", "triangle-up", "triangle-down", "x", "cross", "star",
)  # fmt: skip
#: A marker shape per genre beside its colour: 20 colours cannot all differ for colour-blind
#: eyes, so any two genres whose colours come close for deuteranopia, protanopia, tritanopia or
#: achromatopsia (CIEDE2000 under 12 after Machado 2009's simulation, views round 17: Comedy /
#: Adventure, Drama / Animation, Adventure / Animation ...) differ in shape; the test
#: ``tests/test_cvd_markers.py`` checks every pair. Genres left out are circles.
GENRE_SYMBOLS: dict[str, str] = {
    "Action": "square", "Children": "square", "Children's": "square", "Horror": "square",
    "Sci-Fi": "square",
    "Documentary": "diamond", "Film-Noir": "diamond", "Thriller": "diamond",
    "Musical": "triangle-up", "Mystery": "triangle-up", "War": "triangle-up",
    "Animation": "triangle-down", "Crime": "triangle-down",
    "Comedy": "x", "Fantasy": "x",
    "Romance": "cross",
    "Western": "star",
}  # fmt: skip
#: Colour of genres outside the table (custom datasets) and of "the other movies" (with an
#: :func:`outline` on the light page).
OTHER_COLOUR = "#c8c8c8"
#: Prefix of the one-genre colouring: ``"genre:Horror"`` colours Horror, the rest grey.
ONE_GENRE = "genre:"

#: Prefix of a colouring by a label column an import kept: ``"column:cluster"``.
COLUMN = "column:"
#: The genres whose (colour, shape) pairs colour a kept text column's values, most frequent
#: value first: any two of them differ in shape where a colour-vision deficiency confuses
#: their colours (``tests/test_cvd_markers.py`` checks the genre table), so a column's
#: categories inherit that safety. Values past these are drawn as "other".
CATEGORY_GENRES = (
    "Drama", "Comedy", "Action", "Sci-Fi", "Fantasy", "Documentary", "Crime", "Animation",
    "Adventure", "Horror", "Thriller", "Mystery", "Romance", "Film-Noir", "War", "Western",
    "Musical", "Children",
)  # fmt: skip
#: The legend names of a column's values past :data:`CATEGORY_GENRES` and of blank cells, and
#: their shapes (both in :data:`OTHER_COLOUR`).
OTHER_VALUES, BLANK_VALUES = "other", "(blank)"
OTHER_SYMBOLS = {OTHER_VALUES: "circle", BLANK_VALUES: "circle-open"}
#: Longest value of a kept text column shown in a legend or hover (the rest is cut, "…").
VALUE_CHARS = 40
#: Longest title a map's label shows (the hover has it whole).
LABEL_CHARS = 60

#: Search matches labelled on the map (all are ringed).
MAX_MATCH_LABELS = 8
#: Ring colours of the movie in focus and of search matches (drawn :func:`readable`).
FOCUS_COLOUR, FOUND_COLOUR = "#d6336c", "#f08c00"

#: Colourings of the map: choice -> (column of the map frame, legend label).
MAP_COLOURS: dict[str, tuple[str, str]] = {
    "genre": ("genre_colour", "genre"),
    "year": ("year", "year"),
    "popularity": ("log_n_ratings", "log10 ratings"),
    "norm": ("norm", "norm"),
    "bias": ("bias", "bias"),
    "mean_rating": ("mean_rating", "mean rating"),
}

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def colour_scale(name: str = "Viridis") -> list[list[Any]]:
    """Plotly's continuous scale ``name`` without the end that the page being drawn would
    swallow (under :data:`~movierate.ui.charts.MIN_CONTRAST`): Viridis' dark purple low end on
    the dark page, where most users of the activity map sat (views round 22, F2), its pale
    yellow top on white."""
    stops = colors.sample_colorscale(name, np.linspace(0, 1, 33), colortype="tuple")
    codes = ["#" + "".join(f"{round(v * 255):02X}" for v in stop) for stop in stops]
    kept = [code for code in codes if contrast(code, page()) >= MIN_CONTRAST]
    return [[i / (len(kept) - 1), code] for i, code in enumerate(kept)]


def legend_below(title: str | None = None) -> dict[str, Any]:
    """A horizontal legend at the foot of the figure, under the x axis and its title (Plotly
    moves the plot up to make room): a legend at the right took ~60 % of the width at 1024 px
    and left a phone's plot ~50 px wide (views round 22, F1)."""
    legend: dict[str, Any] = {"itemsizing": "constant", "orientation": "h", "x": 0,
                              "yref": "container", "y": 0, "yanchor": "bottom",
                              "title": {"side": "top"}}  # fmt: skip
    if title is not None:
        legend["title"]["text"] = title
    return legend


def colour_bar_below(title: str) -> dict[str, Any]:
    """A continuous colour bar lying under the plot, as wide as it, its ``title`` under it (on
    top, Plotly drew it over the bar): a bar at the right with its title beside it took half a
    phone's width and cut the title (views round 33, F2: the users map's plot was 64-120 px
    wide)."""
    return {"title": {"text": title, "side": "bottom"}, "orientation": "h", "x": 0,
            "xanchor": "left", "len": 1, "thickness": 12, "yref": "container", "y": 0,
            "yanchor": "bottom"}  # fmt: skip


def genre_colour(genre: str) -> str:
    """The fixed colour of ``genre`` (:data:`GENRE_COLOURS`); a stable colour for others."""
    if genre in GENRE_COLOURS:
        return GENRE_COLOURS[genre]
    palette = colors.qualitative.Dark24
    return palette[int(hashlib.blake2b(genre.encode(), digest_size=2).hexdigest(), 16) % 24]


def outline(colour: str) -> dict[str, Any]:
    """A marker's outline: none where its fill ``colour`` has 3:1 against the page being drawn,
    else 1 px of it :func:`~movierate.ui.charts.readable` (views round 22, F2), so the genre
    palette's fills stay as chosen for colour-blind eyes and the mark still stands out."""
    shown = readable(colour)
    return {"color": shown, "width": 0 if shown == colour else 1}


def genre_symbol(genre: str) -> str:
    """The fixed marker shape of ``genre`` (:data:`GENRE_SYMBOLS`; a circle for a table genre
    left out); a stable shape from :data:`MARKER_SYMBOLS` for a genre outside the table, so
    that its hashed colour is not its only cue."""
    if genre in GENRE_COLOURS:
        return GENRE_SYMBOLS.get(genre, "circle")
    digest = int(hashlib.blake2b(genre.encode(), digest_size=2, person=b"shape").hexdigest(), 16)
    return MARKER_SYMBOLS[digest % len(MARKER_SYMBOLS)]


def map_genres(frame: pd.DataFrame) -> list[str]:
    """The genres of a map's movies, most frequent first (IMAX, a format, last)."""
    counts = pd.Series([g for gs in frame["genres"] if gs is not None for g in gs]).value_counts()
    names = counts.index.tolist()
    return [g for g in names if g != "IMAX"] + [g for g in names if g == "IMAX"]


def distinctive_genres(genres: pd.Series) -> list[str]:
    """Each movie's rarest genre among these movies (its most telling one), for colouring:
    "Animation" rather than "Adventure" for Toy Story. IMAX is a format, not a genre."""
    lists = [[g for g in (gs if gs is not None else []) if g != "IMAX"] for gs in genres]
    counts = pd.Series([g for gs in lists for g in gs]).value_counts().to_dict()
    return [min(gs, key=lambda g: (counts[g], g)) if gs else "(none)" for gs in lists]


def map_digest(frame: pd.DataFrame) -> str:
    """Content hash of a map frame's movies, coordinates, per-movie numbers and the label
    columns it holds (a cache key for :func:`tsne_scatter`)."""
    from movierate.explore.imported import extra_columns

    digest = hashlib.blake2b(digest_size=16)
    for column in ("movie_idx", "x", "y", "n_ratings", "norm", "bias"):
        digest.update(np.ascontiguousarray(frame[column].to_numpy(np.float64)).tobytes())
    for column in extra_columns(frame.drop(columns=["x", "y", "norm", "bias"])):  # a label column
        digest.update(column.encode())
        digest.update(pd.util.hash_pandas_object(frame[column], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def point_sizes(n_ratings: Any, lo: float = 3.0, hi: float = 14.0) -> np.ndarray:
    """Marker diameters growing with the square root of the number of ratings (``lo``-``hi``
    px): a movie without ratings still gets ``lo``, and where no movie has any (an imported
    embedding) every point gets one middle size (bad-input round 20: sized by the root of 0,
    every point of such a map was drawn 0 px wide, an empty map)."""
    counts = np.nan_to_num(np.asarray(n_ratings, dtype=np.float64), nan=0.0, posinf=0.0)
    root = np.sqrt(np.clip(counts, 0.0, None))
    top = root.max() if len(root) else 0.0
    if top <= 0:
        return np.full(len(root), (lo + hi) / 2)
    return lo + (hi - lo) * root / top


def genre_members(frame: pd.DataFrame, genre: str) -> np.ndarray:
    """Which of a map's movies have ``genre`` (a boolean mask over ``frame``'s rows)."""
    return np.fromiter(
        (genre in (gs if gs is not None else []) for gs in frame["genres"]),
        dtype=bool,
        count=len(frame),
    )


#: Outline width (px) of the one-genre map's chosen movies, in the page's text colour.
CHOSEN_OUTLINE = 1.5


@text_styled
def one_genre_scatter(frame: pd.DataFrame, genre: str) -> go.Figure:
    """The map with the movies of ``genre`` in its fixed colour and shape, outlined in the
    page's text colour, over the others as pale hollow circles, and the density contour of
    that genre's movies (where it concentrates). Filled-and-outlined against hollow reads
    without hue (views round 28, F1: IMAX's pale blue on the grey circles was one grey in
    print)."""
    has = genre_members(frame, genre)
    colour = genre_colour(genre)
    sizes = point_sizes(frame["n_ratings"])
    hover = np.asarray(map_hover(frame), dtype=object)
    fig = go.Figure()
    grey = readable(OTHER_COLOUR)  # a ring needs 3:1 against the page (views round 22, F2)
    rest = {
        "color": grey,
        "symbol": "circle-open",
        "opacity": 0.45,
        "line": {"color": grey, "width": 1},
    }
    chosen = {
        "color": colour,
        "symbol": genre_symbol(genre),
        "opacity": 0.9,
        "line": {"color": TEXT_COLOUR.get(), "width": CHOSEN_OUTLINE},
    }
    for mask, name, marker in ((~has, "other movies", rest), (has, html_text(genre), chosen)):
        part = frame[mask]
        custom = np.column_stack([part["movie_idx"].to_numpy(dtype=object), hover[mask]])
        fig.add_scattergl(
            x=part["x"],
            y=part["y"],
            mode="markers",
            name=f"{name} ({mask.sum():,})",
            marker={**marker, "size": sizes[mask]},
            customdata=custom,
            hovertemplate="%{customdata[1]}<extra></extra>",
        )  # fmt: skip
    xy = frame[["x", "y"]].to_numpy(np.float64)
    contour = density_contour(xy, has)
    if contour is not None:
        gx, gy, z, level = contour
        fig.add_contour(
            x=gx,
            y=gy,
            z=z,
            name=f"where half the {html_text(genre)} movies are",
            contours={"start": level, "end": level, "size": 1.0, "coloring": "lines"},
            colorscale=[[0, readable(colour)], [1, readable(colour)]],
            line={"width": 2.5},
            showscale=False,
            hoverinfo="skip",
            showlegend=True,
        )
    x_range, y_range = contour_ranges(xy, contour)
    fig.update_layout(
        height=640,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False, "range": x_range},
        yaxis={"visible": False, "range": y_range},
        # under the map: above it, the mode bar (always drawn on a touch screen) covered the
        # legend's title, "Horror: 7% of the map" (views round 13)
        legend=legend_below(f"{html_text(genre)}: {has.mean():.0%} of the map"),
        dragmode="lasso",
    )  # fmt: skip
    return fig


#: Bandwidths past the points a density grid reaches: one member point alone there is
#: exp(-4.5), 1%, of its peak, below any level that encloses half of several members.
CONTOUR_REACH = 3


def contour_ranges(
    xy: np.ndarray, contour: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None
) -> tuple[list[float], list[float]]:
    """The x and y axis ranges of a map holding its points ``xy`` and the region ``contour``
    encloses (:func:`density_contour`), each with 4% of its span to spare: the autorange of a
    contour trace spans its whole grid, mostly empty, and the points' alone cut the region's
    ring at the plot's edge (views round 31, F4)."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    if contour is not None:
        gx, gy, z, level = contour
        rows, cols = np.nonzero(z >= level)
        step = np.array([gx[1] - gx[0], gy[1] - gy[0]])  # the ring runs between grid points
        lo = np.minimum(lo, np.array([gx[cols].min(), gy[rows].min()]) - step)
        hi = np.maximum(hi, np.array([gx[cols].max(), gy[rows].max()]) + step)
    spare = 0.04 * (hi - lo + 1e-9)
    return [lo[0] - spare[0], hi[0] + spare[0]], [lo[1] - spare[1], hi[1] + spare[1]]


def density_contour(
    xy: np.ndarray, members: np.ndarray, *, grid: int = 90, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Gaussian kernel density of the ``members`` points over the map's extent, and the level
    whose contour encloses the densest region holding ``share`` of them: (grid x, grid y,
    density (y, x), level), or None with fewer than 5 members. The bandwidth is Scott's rule on
    the members' spread; the grid reaches :data:`CONTOUR_REACH` bandwidths past the points, so
    the contour closes (views round 31, F4: it ended 5% past the points, and a region at the
    map's edge was cut open to a "C")."""
    points = xy[members]
    if len(points) < 5:
        return None
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    bandwidth = points.std(axis=0).mean() * len(points) ** (-1 / 6) + 1e-9
    pad = 0.05 * (hi - lo + 1e-9) + CONTOUR_REACH * bandwidth
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)

    def density(at_x: np.ndarray, at_y: np.ndarray) -> np.ndarray:
        out = np.zeros(np.broadcast(at_x, at_y).shape)
        for start in range(0, len(points), 512):
            chunk = points[start : start + 512]
            dx = (at_x[..., None] - chunk[:, 0]) / bandwidth
            dy = (at_y[..., None] - chunk[:, 1]) / bandwidth
            out += np.exp(-0.5 * (dx * dx + dy * dy)).sum(axis=-1)
        return out

    z = density(gx[None, :], gy[:, None])
    at_points = density(points[:, 0], points[:, 1])
    level = float(np.quantile(at_points, 1.0 - share))
    return gx, gy, z, level


#: Colourings whose value the map's hover adds as a line, and its format (the year and the
#: norm are there already; a genre is the legend).
HOVER_FORMATS = {"log_n_ratings": ".2f", "bias": ".3f", "mean_rating": ".2f"}


def map_hover(
    frame: pd.DataFrame, coloured_by: pd.Series | None = None, label: str = "", fmt: str = ""
) -> list:
    """Each map point's hover (:func:`~movierate.ui.text.movie_hover`): title and year, genres,
    ratings and norm, then ``label`` and the colouring's value (text as it is, numbers in
    ``fmt``, else :data:`HOVER_FORMATS`) when it is none of those; a missing value leaves its
    line out, and so does the ratings line of a map without rating counts (an embedding
    imported without them: views round 18 read "0 ratings" for Star Wars)."""
    values = coloured_by if coloured_by is not None else pd.Series(np.nan, index=frame.index)
    fmt = fmt or HOVER_FORMATS.get(str(getattr(coloured_by, "name", "")), ".3f")
    years = pd.to_numeric(frame["year"], errors="coerce")
    counted = bool(pd.to_numeric(frame["n_ratings"], errors="coerce").gt(0).any())
    return [
        movie_hover(
            title,
            year,
            genres,
            ratings_text(n) if counted else "",
            f"norm {norm:.3f}",
            ""
            if value is None or pd.isna(value)
            else f"{html_text(label)} {_shown_value(value, fmt)}",
        )  # fmt: skip
        for title, year, genres, n, norm, value in zip(
            frame["title"],
            years,
            frame["genres"],
            frame["n_ratings"],
            frame["norm"],
            values,
            strict=True,
        )  # fmt: skip
    ]


def _label(title: Any) -> str:
    """A movie's title as a map labels it: on one line, cut to :data:`LABEL_CHARS` (bad-input
    round 49, F2: a 20,000-character title was drawn as a band across the map)."""
    text = " ".join(str(title).split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _shown_value(value: Any, fmt: str) -> str:
    """A colouring's value for a hover: text cut to :data:`VALUE_CHARS`, a number in ``fmt``."""
    if isinstance(value, str):
        return html_text(value if len(value) <= VALUE_CHARS else value[: VALUE_CHARS - 1] + "…")
    return f"{value:{fmt}}"


def column_categories(values: pd.Series) -> tuple[pd.Series, list[str], int]:
    """Each movie's category of a kept text column (its value, :data:`OTHER_VALUES` past the
    :data:`CATEGORY_GENRES` most frequent, :data:`BLANK_VALUES` when blank), the legend's order
    (most frequent first, then other and blank) and how many of it are values."""
    text = values.astype(object).where(values.notna(), None)
    counts = pd.Series([v for v in text if v is not None], dtype=object).value_counts(sort=True)
    top = counts.index[: len(CATEGORY_GENRES)].tolist()
    keep = set(top)
    shown = [BLANK_VALUES if v is None else v if v in keep else OTHER_VALUES for v in text]
    grey = [v for v in (OTHER_VALUES, BLANK_VALUES) if v in shown and v not in keep]
    return pd.Series(shown, index=values.index, dtype=object), top + grey, len(top)


def category_style(rank: int, category: str, values: int) -> tuple[str, str]:
    """(colour, marker shape) of the ``rank``-th entry of a kept text column's legend: a value
    (one of the first ``values``) in a :data:`CATEGORY_GENRES` pair; "other" and "(blank)" grey."""
    if rank >= values:
        return OTHER_COLOUR, OTHER_SYMBOLS[category]
    genre = CATEGORY_GENRES[rank]
    return GENRE_COLOURS[genre], genre_symbol(genre)


#: A column of positive numbers whose 99th percentile is this many times its median is
#: coloured by its logarithm (as popularity is).
SKEWED = 100.0


def is_skewed(numbers: np.ndarray) -> bool:
    """True for positive numbers so skewed that a linear colour scale gives most of them one
    colour (99th percentile over :data:`SKEWED` times the median)."""
    if len(numbers) < 2 or not (numbers > 0).all():
        return False
    high, median = np.quantile(numbers, [0.99, 0.5])
    return bool(high > SKEWED * median)


def colour_values(numbers: np.ndarray) -> tuple[np.ndarray, str]:
    """Finite ``numbers`` as a colour scale takes them, and the scale's unit: log10 of skewed
    positive numbers (the recheck: a budget put almost every point in one colour), sign x
    log10(1 + |x|) of numbers spanning many orders of magnitude on both sides of 0 or a range
    beyond float64 (bad-input round 34 F1: +-1e308 emptied the map), else as they are."""
    if is_skewed(numbers):
        return np.log10(numbers), " (log10)"
    size = np.abs(numbers)
    with np.errstate(over="ignore"):
        span = float(numbers.max(initial=0.0)) - float(numbers.min(initial=0.0))
    if not np.isfinite(span) or (
        len(numbers) and (numbers < 0).any() and is_skewed(size[size > 0])
    ):
        return np.sign(numbers) * np.log10(1.0 + size), " (sign × log10(1 + |x|))"
    return numbers, ""


#: Share of a number column's values at each end that the colour scale does not stretch to,
#: when the whole range is over :data:`STRETCHED` times the rest's (a few outliers).
COLOUR_TAIL = 0.01
STRETCHED = 2.0


def colour_range(values: np.ndarray) -> tuple[float, float, int]:
    """(low, high, how many values lie beyond them) of a colour scale over finite ``values``:
    their 1st and 99th percentiles (actual values: no interpolation that could overflow) where
    the values beyond stretch the range over :data:`STRETCHED` times, else their whole range."""
    if not len(values):
        return 0.0, 0.0, 0
    least, most = float(values.min()), float(values.max())
    low, high = np.quantile(values, [COLOUR_TAIL, 1 - COLOUR_TAIL], method="nearest")
    with np.errstate(over="ignore"):
        if low == high or most - least <= STRETCHED * (high - low):
            return least, most, 0
    return float(low), float(high), int(((values < low) | (values > high)).sum())


@text_styled
def column_scatter(frame: pd.DataFrame, name: str) -> go.Figure:
    """The map coloured by the label column ``name`` an import kept (a column of ``frame``):
    numbers on a continuous scale (blank cells grey), text as categories in the genre table's
    colour-and-shape pairs (the most frequent :data:`CATEGORY_GENRES` values, the rest
    "other"; one grey for an identifier-like column whose values are nearly all distinct);
    the value is in each point's hover."""
    from movierate.explore.imported import identifier_like, is_numeric_column

    values = frame[name]
    sizes = point_sizes(frame["n_ratings"])
    fig = go.Figure()
    if is_numeric_column(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        filled = np.isfinite(numbers.to_numpy())  # blank (and infinite) cells are grey
        # whole numbers with separators, but not 300 digits of 1e300 (bad-input round 34)
        whole = bool((numbers[filled] == numbers[filled].round()).all())
        whole = whole and float(numbers[filled].abs().max(skipna=True) or 0) < 1e15
        hover = np.asarray(map_hover(frame, numbers, name, ",.0f" if whole else ".4g"), object)
        shade, unit = colour_values(numbers[filled].to_numpy())
        scale = {"color": shade, "colorscale": colour_scale(), "showscale": True,
                 "colorbar": {"title": {"text": html_text(name) + unit}}}  # fmt: skip
        low, high, beyond = colour_range(shade)
        if beyond:  # extremes at the scale's ends, not stretching it (bad-input round 34 F1)
            scale.update(color=np.clip(shade, low, high), cmin=low, cmax=high)
            scale["colorbar"]["title"]["text"] += (
                f"<br>{beyond:,} beyond the 1st-99th<br>percentile: at the ends"
            )
        infinite = int(numbers.isin([np.inf, -np.inf]).sum())
        blank = f"{BLANK_VALUES} or infinite" if infinite else BLANK_VALUES
        if not filled.all():  # the grey points' legend entry sits above the colour bar
            scale["colorbar"].update(y=0, yanchor="bottom", len=0.85)
        for mask, marker, legend in (
            (
                ~filled,
                {"color": OTHER_COLOUR, "line": outline(OTHER_COLOUR)},
                f"{blank} ({(~filled).sum():,})",
            ),
            (filled, scale, None),
        ):
            if mask.any():
                part = frame[mask]
                fig.add_scattergl(
                    x=part["x"], y=part["y"], mode="markers", name=legend or html_text(name),
                    marker={"line": {"width": 0}, **marker, "size": sizes[mask], "opacity": 0.75},
                    customdata=np.column_stack([part["movie_idx"].to_numpy(object), hover[mask]]),
                    hovertemplate="%{customdata[1]}<extra></extra>", showlegend=legend is not None,
                )  # fmt: skip
        title = html_text(name)
    elif identifier_like(values):  # one colour: 18 of 10,000 single values said nothing (F6)
        hover = np.asarray(map_hover(frame, values.astype(object), name), dtype=object)
        fig.add_scattergl(
            x=frame["x"], y=frame["y"], mode="markers",
            name=f"{len(frame):,} movies (the value<br>is in each one's hover)",
            marker={"color": OTHER_COLOUR, "size": sizes, "opacity": 0.75, "line": outline(OTHER_COLOUR)},
            customdata=np.column_stack([frame["movie_idx"].to_numpy(object), hover]),
            hovertemplate="%{customdata[1]}<extra></extra>", showlegend=True,
        )  # fmt: skip
        distinct, filled = int(values.dropna().nunique()), int(values.notna().sum())
        once = (
            f"every value appears once<br>({distinct:,} values)"
            if distinct == filled
            else f"{distinct:,} values for {filled:,} movies,<br>nearly all appearing once"
        )
        title = f"{html_text(name)}: {once}:<br>an identifier, not a grouping"  # a narrow legend
    else:
        shown, order, n_values = column_categories(values)
        hover = np.asarray(map_hover(frame, values.astype(object), name), dtype=object)
        for rank, category in enumerate(order):
            mask = (shown == category).to_numpy()
            colour, symbol = category_style(rank, category, n_values)
            part = frame[mask]
            fig.add_scattergl(
                x=part["x"], y=part["y"], mode="markers",
                name=f"{_shown_value(str(category), '')} ({mask.sum():,})",
                marker={"color": colour, "symbol": symbol, "size": sizes[mask], "opacity": 0.75,
                        "line": outline(colour)},
                customdata=np.column_stack([part["movie_idx"].to_numpy(object), hover[mask]]),
                hovertemplate="%{customdata[1]}<extra></extra>",
            )  # fmt: skip
        distinct = int(values.dropna().nunique())
        title = html_text(name)
        if distinct > len(CATEGORY_GENRES):
            title += f" ({len(CATEGORY_GENRES)} most common of {distinct:,} values)"
    fig.update_layout(
        height=640,
        margin=_MARGIN,
        xaxis={"visible": False},
        yaxis={"visible": False},
        legend={"title": title, "itemsizing": "constant"},
        dragmode="lasso",
    )
    return fig


@text_styled
def tsne_scatter(frame: pd.DataFrame, colour: str) -> go.Figure:
    """The map scatter without rings: coloured by ``colour`` (a key of :data:`MAP_COLOURS`,
    ``"genre:<name>"`` for one genre, or ``"column:<name>"`` for a label column of ``frame``), sized by ratings (:func:`point_sizes`), titles on hover,
    the movie_idx of each point as custom data."""
    import plotly.express as px  # here, not at the top: the Home page never needs it

    if colour.startswith(ONE_GENRE):
        return one_genre_scatter(frame, colour[len(ONE_GENRE) :])
    if colour.startswith(COLUMN):
        return column_scatter(frame, colour[len(COLUMN) :])

    data = frame.assign(
        genre_colour=[html_text(g) for g in distinctive_genres(frame["genres"])],  # legend
        log_n_ratings=np.log10(1.0 + frame["n_ratings"].to_numpy(np.float64)),
        year=pd.to_numeric(frame["year"], errors="coerce").astype("float64"),
    )
    column, label = MAP_COLOURS[colour]
    if column == "bias" and data["bias"].isna().all():
        column, label = "norm", "norm (no bias in this model)"
    scatter_args: dict[str, Any] = {}
    if column == "genre_colour":
        order = data["genre_colour"].value_counts().index.tolist()
        scatter_args["category_orders"] = {"genre_colour": order}
        scatter_args["color_discrete_map"] = {g: genre_colour(g) for g in order}
        scatter_args["symbol"] = column
        scatter_args["symbol_map"] = {g: genre_symbol(g) for g in order}
    else:
        scatter_args["color_continuous_scale"] = colour_scale()
    data["hover"] = map_hover(frame, data[column] if column in HOVER_FORMATS else None, label)
    fig = px.scatter(
        data,
        x="x",
        y="y",
        color=column,
        custom_data=["movie_idx", "hover"],
        labels={column: label},
        **scatter_args,
    )
    fig.update_traces(
        marker={"line": {"width": 0}, "opacity": 0.75},
        hovertemplate="%{customdata[1]}<extra></extra>",
    )
    sizes = pd.Series(point_sizes(frame["n_ratings"]), index=frame["movie_idx"].to_numpy())
    for trace in fig.data:  # one trace per genre: each point sized by its movie
        movies = np.asarray(trace.customdata)[:, 0].astype(np.int64)
        trace.marker.size = sizes.reindex(movies).to_numpy()
        if isinstance(trace.marker.color, str):
            trace.marker.line = outline(trace.marker.color)
    fig.update_layout(
        height=640,
        # the top margin keeps the legend's title clear of Plotly's mode bar (explorer review)
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False},
        legend=legend_below(label),
        dragmode="lasso",
    )
    return fig


def add_map_rings(
    fig: go.Figure,
    frame: pd.DataFrame,
    focus: int | None,
    neighbours: list[int] | None = None,
    *,
    matches: list[int] | None = None,
    selected: list[int] | None = None,
    regions: pd.DataFrame | None = None,
    axes: tuple[str, str] | None = None,
) -> go.Figure:
    """Draw on a :func:`tsne_scatter`: ``regions`` labels (``explore.map_regions``) at their
    centres, a dark outline on the ``selected`` movies, an orange ring on every title
    ``matches`` (a search; the most rated labelled, placed apart), a ring on ``neighbours``
    (nearest first) with its rank beside it, as the side list numbers them, and the ``focus``
    movie ringed and labelled; ``axes`` titles (x, y) show the axes (a PCA map's components).
    Returns ``fig``, changed in place."""
    if regions is not None:
        # two regions of one label ("Drama · Action" twice, views round 36, L1) say their sizes
        repeated = regions["label"][regions["label"] != ""].duplicated(keep=False)
        for region in regions.itertuples():
            # accuracy round 45, F2: a region only its user tags set apart was never labelled
            lines = [f"<b>{html_text(region.label)}</b>"] if region.label else []
            if repeated.get(region.Index, False):
                lines.append(f"{region.n_movies:,} movies")
            if len(region.tags):
                lines.append(f"<i>{html_text(', '.join(region.tags))}</i>")
            if not lines:
                continue
            fig.add_annotation(
                x=region.x,
                y=region.y,
                text="<br>".join(lines),
                showarrow=False,
                font={"size": 12, "color": "#222"},
                bgcolor="rgba(255,255,255,0.7)",
                borderpad=2,
            )
    chosen = frame[frame["movie_idx"].isin(selected or [])]
    if not chosen.empty:
        fig.add_scattergl(
            x=chosen["x"],
            y=chosen["y"],
            mode="markers",
            name=f"selected ({len(chosen):,})",
            marker={
                "size": 8,
                "color": "rgba(0,0,0,0)",
                "line": {"color": TEXT_COLOUR.get(), "width": 1},
            },
            hoverinfo="skip",
        )
    rings = [r for r in (neighbours or []) if r != focus]
    focus_rows = [focus] if focus is not None else []
    found = [m for m in (matches or []) if m != focus]
    # each neighbour's rank, as the side list numbers it (views round 26, L3)
    ranks = {row: rank for rank, row in enumerate(neighbours or [], start=1)}
    for rows, colour_, width in (
        (rings, TEXT_COLOUR.get(), 1.5),  # #444 was lost on the dark page
        (found, readable(FOUND_COLOUR), 2.5),
        (focus_rows, FOCUS_COLOUR, 3),
    ):
        shown = frame[frame["movie_idx"].isin(rows)]
        if not shown.empty:
            numbered = rows is rings
            fig.add_scatter(
                x=shown["x"],
                y=shown["y"],
                mode="markers+text" if numbered else "markers",
                marker={
                    "size": 18,
                    "color": "rgba(0,0,0,0)",
                    "line": {"color": colour_, "width": width},
                },
                # in the ring's own colour, the page's text colour: readable on either theme
                text=[str(ranks[m]) for m in shown["movie_idx"]] if numbered else None,
                textposition="top right",
                textfont={"size": 11, "color": colour_, "family": FONT_FAMILY},
                hoverinfo="skip",
                showlegend=False,
            )
    labelled = found[:MAX_MATCH_LABELS]  # most rated first: the rest are ringed only
    notes = [
        (row, colour_)
        for rows, colour_ in ((focus_rows, FOCUS_COLOUR), (labelled, readable(FOUND_COLOUR)))
        for row in frame[frame["movie_idx"].isin(rows)].itertuples()
    ]
    offsets = label_offsets(
        [(row.x, row.y) for row, _ in notes],
        [_label(row.title) for row, _ in notes],
        frame[["x", "y"]].to_numpy(np.float64),
    )
    for (row, colour_), (ax, ay) in zip(notes, offsets, strict=True):
        fig.add_annotation(
            x=row.x,
            y=row.y,
            text=f"<b>{html_text(_label(row.title))}</b>",
            font={"color": "#222"},  # on its white box in either theme (views round 9)
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor=colour_,
            arrowcolor=colour_,
            ax=ax,
            ay=ay,
        )
    if axes is not None:
        for name, title in zip(("xaxis", "yaxis"), axes, strict=True):
            fig.update_layout(
                {
                    name: {
                        "visible": True,
                        "title": {"text": title},
                        "showticklabels": False,
                        "showgrid": False,
                        "zeroline": True,
                    }
                }  # fmt: skip
            )
        fig.update_layout(margin={"l": 40, "b": 40})
    return fig


#: Where a label may sit from its point (pixels right, down), tried in this order.
LABEL_PLACES = (
    (0, -40), (0, 30), (0, -65), (0, 55), (90, 0), (-90, 0), (80, -40), (-80, -40),
    (80, 35), (-80, 35), (0, -90), (0, 80),
)  # fmt: skip


def label_offsets(
    points: list[tuple[float, float]],
    texts: list[str],
    extent: np.ndarray,
    *,
    size: tuple[int, int] = (760, 560),
) -> list[tuple[int, int]]:
    """An (ax, ay) pixel offset for each label of ``points`` (in order of importance) so that
    no two labels overlap where a place is free (the explorer review: "Truman Show, The" sat
    over "Batman"): each takes the first :data:`LABEL_PLACES` whose box (about 7 px a
    character, 20 px high, on a plot of ``size`` spanning ``extent``) meets no earlier one."""
    if not points:
        return []
    lo, hi = extent.min(axis=0), extent.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[int, int]] = []
    for (x, y), text in zip(points, texts, strict=True):
        px = (x - lo[0]) / span[0] * size[0]
        py = (hi[1] - y) / span[1] * size[1]
        half_w, half_h = 3.5 * len(text) + 8, 11
        choice = LABEL_PLACES[len(out) % 2]
        for ax, ay in LABEL_PLACES:
            box = (px + ax - half_w, py + ay - half_h, px + ax + half_w, py + ay + half_h)
            if not any(_overlap(box, other) for other in placed):
                choice = (ax, ay)
                break
        cx, cy = px + choice[0], py + choice[1]
        placed.append((cx - half_w, cy - half_h, cx + half_w, cy + half_h))
        out.append(choice)
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def tsne_figure(
    frame: pd.DataFrame, colour: str, focus: int | None, neighbours: list[int] | None = None
) -> go.Figure:
    """The t-SNE scatter with ``focus`` ringed and labelled and its ``neighbours`` ringed
    (uncached; the dashboard memoises the scatter, see ``ui.widgets.tsne_figure``)."""
    return add_map_rings(tsne_scatter(frame, colour), frame, focus, neighbours)


@text_styled
def selection_histogram(table: pd.DataFrame, *, title: str, log_x: bool = False) -> go.Figure:
    """Share of the selected movies and of the rest per bin (``SelectionSummary.years`` or
    ``.popularity``), as paired bars."""
    if log_x:
        labels = [
            f"{int(a):,}+" if i == len(table) - 1 else f"{int(a):,}-{int(b) - 1:,}"
            for i, (a, b) in enumerate(zip(table["bin_start"], table["bin_end"], strict=True))
        ]
    else:
        labels = [f"{int(a)}s" for a in table["bin_start"]]
    keep = (table["n_selected"] + table["n_rest"]).to_numpy() > 0
    fig = go.Figure()
    for column, name, colour in (
        ("share_selected", "selection", "#d6336c"),
        ("share_rest", "the rest", OTHER_COLOUR),
    ):
        fig.add_bar(
            x=np.asarray(labels)[keep], y=table[column][keep], name=name, marker_color=colour
        )
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        height=230,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.15, "x": 1, "xanchor": "right"},
        barmode="group",
        bargap=0.15,
    )
    return fig
