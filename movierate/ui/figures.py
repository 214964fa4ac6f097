"""Plotly figures of the dashboard, as pure functions of data (no Streamlit here).

Learning curves, covariance heatmaps, spectra, dimension use, the t-SNE map and popularity
scatters. ``plotly.express`` is imported inside the functions that need it: the Home page never
does.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly import colors

from movierate.ui.text import genres_text

#: Bar series of :func:`importance_figure`: column of ``explore.dimension_importance`` -> label.
IMPORTANCE_SERIES = {
    "movie_variance_share": "movie variance",
    "user_variance_share": "user variance",
    "movie_input_share": "read by dense layer (movie)",
    "user_input_share": "read by dense layer (user)",
}

#: Colourings of the t-SNE map: choice -> (column of the map frame, legend label).
MAP_COLOURS: dict[str, tuple[str, str]] = {
    "genre": ("genre_colour", "genre"),
    "year": ("year", "year"),
    "popularity": ("log_n_ratings", "log10 ratings"),
    "norm": ("norm", "norm"),
    "bias": ("bias", "bias"),
}

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def curves_figure(
    histories: dict[str, dict[str, list[float]]],
    metrics: list[str],
    *,
    title: str,
    y_title: str,
    height: int = 340,
    log_y: bool = False,
) -> go.Figure:
    """Per-epoch curves, one line per (run, metric). With one run each metric has its own
    colour; with several, each run has a colour and metrics differ by dash (training dotted)."""
    fig = go.Figure()
    palette = colors.qualitative.D3
    dashes = ("solid", "dash", "dashdot", "longdash")
    longest = 0
    for i, (run, history) in enumerate(histories.items()):
        for j, metric in enumerate(metrics):
            values = history.get(metric)
            if not values:
                continue
            epochs = history.get("epoch") or list(range(1, len(values) + 1))
            longest = max(longest, len(values))
            single = len(histories) == 1
            fig.add_scatter(
                x=epochs,
                y=values,
                mode="lines+markers",
                name=metric if single else f"{run}: {metric}",
                line={
                    "color": palette[(j if single else i) % len(palette)],
                    "dash": "dot" if metric.startswith("train") else dashes[j % len(dashes)],
                },
            )
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        xaxis={"title": "epoch", "tickmode": "linear", "tick0": 1, "dtick": max(1, longest // 10)},
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.25},
        showlegend=True,
    )
    positive = all(
        v > 0 for h in histories.values() for m in metrics for v in h.get(m, []) if v == v
    )
    if log_y and positive:
        fig.update_yaxes(type="log", dtick=1, tickformat="~g", title=f"{y_title} (log scale)")
    return fig


def heatmap_figure(
    matrices: dict[str, pd.DataFrame],
    *,
    title: str,
    fixed_range: float | None = None,
    height: int = 520,
) -> go.Figure:
    """Heatmaps side by side on ONE symmetric colour scale (so colours compare across models)."""
    from plotly.subplots import make_subplots

    limit = fixed_range or max(
        float(np.nanmax(np.abs(m.to_numpy())))
        if m.size and np.isfinite(m.to_numpy()).any()
        else 0.0
        for m in matrices.values()
    )
    limit = limit or 1.0
    fig = make_subplots(
        rows=1,
        cols=len(matrices),
        subplot_titles=list(matrices) if len(matrices) > 1 else None,
        horizontal_spacing=0.04,
    )
    for i, matrix in enumerate(matrices.values(), start=1):
        fig.add_trace(
            go.Heatmap(
                z=matrix.to_numpy(),
                x=[str(c) for c in matrix.columns],
                y=[str(r) for r in matrix.index],
                coloraxis="coloraxis",
                hovertemplate="dims %{y} × %{x}: %{z:.4g}<extra></extra>",
            ),
            row=1,
            col=i,
        )
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        coloraxis={"colorscale": "RdBu_r", "cmin": -limit, "cmax": limit, "cmid": 0.0},
    )
    return fig


def spectrum_figure(spectra: dict[str, pd.DataFrame], *, height: int = 420) -> go.Figure:
    """Variance share per principal direction: bars plus cumulative line for one model, one
    line per model when comparing (a flat line = an evenly used space)."""
    fig = go.Figure()
    palette = colors.qualitative.D3
    if len(spectra) == 1:
        spectrum = next(iter(spectra.values()))
        fig.add_bar(
            x=spectrum["component"], y=spectrum["share"], name="share", marker_color=palette[0]
        )
        fig.add_scatter(
            x=spectrum["component"],
            y=spectrum["cumulative_share"],
            name="cumulative",
            mode="lines",
            line={"color": palette[1], "dash": "dot"},
        )
    else:
        for i, (name, spectrum) in enumerate(spectra.items()):
            fig.add_scatter(
                x=spectrum["component"],
                y=spectrum["share"],
                name=name,
                mode="lines+markers",
                line={"color": palette[i % len(palette)]},
            )
    fig.update_layout(
        title="Explained variance per principal direction",
        height=height,
        margin=_MARGIN,
        xaxis_title="principal direction (largest first)",
        yaxis={"title": "share of variance", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def variance_figure(variances: dict[str, pd.DataFrame], *, height: int = 420) -> go.Figure:
    """Grouped bars of each model's variance per embedding dimension, largest first.

    ``variances`` maps a model name to ``explore.variance_share`` output (index ``dimension``,
    columns ``variance`` and ``share``).
    """
    import plotly.express as px

    frame = pd.concat(
        [
            v.reset_index()
            .sort_values("variance", ascending=False)
            .assign(model=name, order=range(1, len(v) + 1))
            for name, v in variances.items()
        ]
    )
    fig = px.bar(
        frame,
        x="order",
        y="variance",
        color="model",
        barmode="group",
        hover_data={"dimension": True, "share": ":.1%"},
        labels={"order": "dimension (sorted by variance)"},
        color_discrete_sequence=px.colors.qualitative.D3,
        title="Variance per embedding dimension",
    )
    fig.update_layout(height=height, margin=_MARGIN, legend={"orientation": "h", "y": -0.2})
    return fig


def shared_neighbours_figure(overlap: pd.DataFrame, k: int, *, height: int = 360) -> go.Figure:
    """Histogram of how many of its ``k`` nearest neighbours a movie keeps from model A to B
    (``overlap`` from ``explore.neighbour_overlap``, column ``n_common``)."""
    import plotly.express as px

    shared = overlap["n_common"].value_counts().reindex(range(k + 1), fill_value=0)
    fig = px.bar(
        x=shared.index,
        y=shared.to_numpy(),
        title=f"How many of its {k} nearest neighbours a movie keeps from A to B",
        labels={"x": f"neighbours in common (of {k})", "y": "movies"},
        color_discrete_sequence=px.colors.qualitative.D3,
    )
    fig.update_layout(height=height, margin=_MARGIN, bargap=0.1)
    return fig


def importance_figure(importance: pd.DataFrame, *, height: int = 320) -> go.Figure:
    """Grouped bars per embedding dimension from ``explore.dimension_importance``."""
    fig = go.Figure()
    palette = colors.qualitative.D3
    for i, (column, label) in enumerate(IMPORTANCE_SERIES.items()):
        if column in importance.columns:
            fig.add_bar(
                x=importance.index, y=importance[column], name=label, marker_color=palette[i]
            )
    fig.update_layout(
        title="Use of each embedding dimension",
        height=height,
        barmode="group",
        margin=_MARGIN,
        xaxis_title="dimension",
        yaxis={"title": "share", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def distinctive_genres(genres: pd.Series) -> list[str]:
    """Each movie's rarest genre among these movies (its most telling one), for colouring:
    "Animation" rather than "Adventure" for Toy Story. IMAX is a format, not a genre."""
    lists = [[g for g in (gs if gs is not None else []) if g != "IMAX"] for gs in genres]
    counts = pd.Series([g for gs in lists for g in gs]).value_counts().to_dict()
    return [min(gs, key=lambda g: (counts[g], g)) if gs else "(none)" for gs in lists]


def map_digest(frame: pd.DataFrame) -> str:
    """Content hash of a map frame's movies, coordinates and per-movie numbers (a cache key
    for :func:`tsne_scatter`)."""
    digest = hashlib.blake2b(digest_size=16)
    for column in ("movie_idx", "x", "y", "n_ratings", "norm", "bias"):
        digest.update(np.ascontiguousarray(frame[column].to_numpy(np.float64)).tobytes())
    return digest.hexdigest()


def tsne_scatter(frame: pd.DataFrame, colour: str) -> go.Figure:
    """The t-SNE scatter without rings: coloured by ``colour`` (a key of :data:`MAP_COLOURS`),
    sized by ratings, titles on hover, the movie_idx of each point as custom data."""
    import plotly.express as px  # here, not at the top: the Home page never needs it

    data = frame.assign(
        genre_colour=distinctive_genres(frame["genres"]),
        log_n_ratings=np.log10(1.0 + frame["n_ratings"].to_numpy(np.float64)),
        year=pd.to_numeric(frame["year"], errors="coerce").astype("float64"),
        genres_text=frame["genres"].map(genres_text),
        size=np.sqrt(frame["n_ratings"].to_numpy(np.float64)),
    )
    column, label = MAP_COLOURS[colour]
    if column == "bias" and data["bias"].isna().all():
        column, label = "norm", "norm (no bias in this model)"
    scatter_args: dict[str, Any] = {}
    if column == "genre_colour":
        order = data["genre_colour"].value_counts().index.tolist()
        scatter_args["category_orders"] = {"genre_colour": order}
        scatter_args["color_discrete_sequence"] = colors.qualitative.Dark24
    else:
        scatter_args["color_continuous_scale"] = "Viridis"
    fig = px.scatter(
        data,
        x="x",
        y="y",
        color=column,
        size="size",
        size_max=14,
        hover_name="title",
        hover_data={
            "year": ":.0f",
            "genres_text": True,
            "n_ratings": True,
            "norm": ":.3f",
            "x": False,
            "y": False,
            "size": False,
            column: column not in ("year", "norm"),
        },
        custom_data=["movie_idx"],
        labels={column: label, "genres_text": "genres", "n_ratings": "ratings"},
        **scatter_args,
    )
    fig.update_traces(marker={"line": {"width": 0}, "opacity": 0.75})
    fig.update_layout(
        height=640,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False},
        legend={"title": label, "itemsizing": "constant"},
        dragmode="pan",
    )
    return fig


def add_map_rings(
    fig: go.Figure, frame: pd.DataFrame, focus: int | None, neighbours: list[int] | None = None
) -> go.Figure:
    """Ring and label ``focus`` (a movie_idx) on a :func:`tsne_scatter`, ring its
    ``neighbours``; returns ``fig``, changed in place."""
    rings = [r for r in (neighbours or []) if r != focus]
    focus_rows = [focus] if focus is not None else []
    for rows, colour_, width in ((rings, "#444", 1.5), (focus_rows, "#d6336c", 3)):
        shown = frame[frame["movie_idx"].isin(rows)]
        if not shown.empty:
            fig.add_scatter(
                x=shown["x"],
                y=shown["y"],
                mode="markers",
                marker={
                    "size": 18,
                    "color": "rgba(0,0,0,0)",
                    "line": {"color": colour_, "width": width},
                },
                hoverinfo="skip",
                showlegend=False,
            )
    for row in frame[frame["movie_idx"].isin(focus_rows)].itertuples():
        fig.add_annotation(
            x=row.x,
            y=row.y,
            text=f"<b>{row.title}</b>",
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor="#d6336c",
            arrowcolor="#d6336c",
            ax=0,
            ay=-40,
        )
    return fig


def tsne_figure(
    frame: pd.DataFrame, colour: str, focus: int | None, neighbours: list[int] | None = None
) -> go.Figure:
    """The t-SNE scatter with ``focus`` ringed and labelled and its ``neighbours`` ringed
    (uncached; the dashboard memoises the scatter, see ``ui.widgets.tsne_figure``)."""
    return add_map_rings(tsne_scatter(frame, colour), frame, focus, neighbours)


def popularity_figure(frame: pd.DataFrame, quantity: str, *, height: int = 420) -> go.Figure:
    """Scatter of ``norm`` or ``bias`` against log10 number of ratings, titles on hover."""
    import plotly.express as px

    fig = px.scatter(
        frame.assign(genres_text=frame["genres"].map(genres_text)),
        x="log_n_ratings",
        y=quantity,
        hover_name="title",
        hover_data={"year": True, "n_ratings": True, "genres_text": True, "log_n_ratings": False},
        opacity=0.5,
        labels={"log_n_ratings": "log10(1 + ratings)", "genres_text": "genres"},
        title=f"Movie {quantity} vs. popularity",
    )
    fig.update_traces(marker={"size": 5})
    fig.update_layout(height=height, margin=_MARGIN)
    return fig


#: Bar series of :func:`dimension_report_figure`: column of ``DimensionReport.dimensions``
#: -> label (the held-out ablation first, then :data:`IMPORTANCE_SERIES`).
REPORT_SERIES = {
    "heldout_share": "held-out importance (RMSE rise when zeroed)",
    **IMPORTANCE_SERIES,
}


def dimension_report_figure(
    dimensions: pd.DataFrame,
    prefix: pd.DataFrame,
    *,
    rows: str = "held-out",
    height: int = 420,
) -> go.Figure:
    """Two panels from ``explore.ordering.model_dimension_report``: left, per dimension, its
    share of the held-out importance beside variance shares (and, for ``deep``, the first
    dense layer's input shares); right, RMSE using only the first k dimensions as trained and
    in the principal basis (k = 0: no embedding, biases only), with the full model's RMSE."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.1,
        subplot_titles=(
            "Importance of each dimension",
            f"RMSE on the {rows} rows, first k dimensions only",
        ),
    )
    palette = colors.qualitative.D3
    x = dimensions["dimension"].to_numpy() if "dimension" in dimensions else dimensions.index
    for i, (column, label) in enumerate(REPORT_SERIES.items()):
        if column in dimensions.columns:
            fig.add_bar(
                x=x,
                y=dimensions[column],
                name=label,
                marker_color=palette[i],
                legendgroup="bars",
                row=1,
                col=1,
            )
    full = float(prefix["rmse_index"].iloc[-1])
    for column, label, colour, dash in (
        ("rmse_index", "first k dims as trained", palette[5], "solid"),
        ("rmse_pca", "first k principal directions", palette[6], "dot"),
    ):
        fig.add_scatter(
            x=prefix["k"],
            y=prefix[column],
            name=label,
            mode="lines+markers",
            line={"color": colour, "dash": dash},
            legendgroup="curves",
            row=1,
            col=2,
        )
    fig.add_hline(
        y=full,
        line={"color": "grey", "dash": "dash", "width": 1},
        annotation_text=f"all dims: {full:.4f}",
        annotation_position="top right",
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="dimension", dtick=1 if len(x) <= 32 else None, row=1, col=1)
    fig.update_yaxes(title_text="share", tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title_text="k (0 = biases only)", row=1, col=2)
    fig.update_yaxes(title_text="RMSE", row=1, col=2)
    fig.update_layout(
        height=height,
        barmode="group",
        margin={**_MARGIN, "t": 60},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
