"""Shared Streamlit pieces for the dashboard pages: error boundary, model picker, caches, jobs.

The only core module that imports Streamlit. Nothing here imports TensorFlow: models are read
through ``movierate.store`` (numpy), analyses come from ``movierate.explore``.

Caching: a saved model is identified by its name plus the modification time of its
``meta.json`` (:func:`model_key`), so retraining a model under the same name never serves
stale results. :func:`cached` memoises any ``movierate.explore`` call on that key plus its
parameters.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly import colors

from movierate import config, store
from movierate.errors import DataError, MovierateError
from movierate.jobs import JobRegistry, JobSnapshot

T = TypeVar("T")

HOME_PAGE = "app.py"
TRAIN_PAGE = "pages/train.py"
#: The sidebar navigation: (script, label, icon), in order. Streamlit's automatic one is hidden
#: (``client.showSidebarNavigation = false``) because it cannot title the main script "Home".
PAGES = (
    (HOME_PAGE, "Home", ":material/home:"),
    (TRAIN_PAGE, "Train", ":material/model_training:"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/embeddings.py", "Embeddings", ":material/scatter_plot:"),
    ("pages/neighbours.py", "Neighbours", ":material/hub:"),
    ("pages/recommend.py", "Recommend", ":material/recommend:"),
)


def page_setup(title: str, icon: str) -> None:
    """Wide layout, tab title, the sidebar navigation and the running-jobs panel."""
    st.set_page_config(page_title=f"{title} · movierate", page_icon=icon, layout="wide")
    with st.sidebar:
        st.markdown("### movierate")
        for script, label, page_icon in PAGES:
            st.page_link(script, label=label, icon=page_icon)
        if job_registry().active_jobs():
            st.divider()
            _sidebar_jobs_live()


def run(render: Callable[[], None]) -> None:
    """Run a page body inside :func:`error_boundary`."""
    with error_boundary():
        render()


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show a MovierateError as ``st.error``; anything else as a friendly error with details."""
    try:
        yield
    except MovierateError as exc:
        st.error(str(exc), icon=":material/warning:")
    except Exception as exc:  # a page must never end in a raw stack trace
        st.error(
            f"Something went wrong: {type(exc).__name__}: {exc}. "
            "Try other settings, or reload the page; if it keeps happening, "
            "please report it with the details below.",
            icon=":material/error:",
        )
        with st.expander("Details"):
            st.code(traceback.format_exc(), language="text")


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    """The process-wide training job registry, shared by every session and page."""
    return JobRegistry()


def _models_dir_signature() -> tuple[str, int]:
    folder = config.models_dir()
    try:
        return str(folder), folder.stat().st_mtime_ns
    except OSError:
        return str(folder), 0


@st.cache_data(show_spinner=False, max_entries=32)
def _list_models(signature: tuple[str, int]) -> tuple[list[Any], list[Any]]:
    return store.list_models()


def list_models() -> tuple[list[Any], list[Any]]:
    """``store.list_models()``, cached until a model folder is added, renamed or deleted."""
    return _list_models(_models_dir_signature())


def model_key(name: str) -> str:
    """Cache key of a saved model: its folder and the mtime of its ``meta.json``."""
    meta = config.models_dir() / name / "meta.json"
    try:
        return f"{meta.parent}@{meta.stat().st_mtime_ns}"
    except OSError:
        return f"{meta.parent}@missing"


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(name: str, key: str) -> Any:
    return store.load_model(name)


def load_model(name: str) -> Any:
    """``store.load_model(name)``, shared between sessions until the model changes on disk."""
    return _load_model(name, model_key(name))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(
    func_id: str, keys: tuple[str, ...], params: str, _func: Callable, _args: tuple, _kwargs: dict
) -> Any:
    return _func(*_args, **_kwargs)


def cached(func: Callable[..., T], *models: Any, **params: Any) -> T:
    """Call ``func(*models, **params)`` once per (models on disk, params); later calls are instant.

    ``models`` are TrainedModel objects (keyed by :func:`model_key`); ``params`` must have a
    stable ``repr`` (numbers, strings, tuples).
    """
    code = getattr(func, "__code__", None)
    func_id = f"{func.__module__}.{func.__qualname__}@{code.co_filename if code else ''}"
    keys = tuple(model_key(m.name) for m in models)
    return _cached_call(func_id, keys, repr(sorted(params.items())), func, models, params)


def show_broken_models(broken: list[Any]) -> None:
    """One warning listing model folders that cannot be loaded, with the reason for each."""
    if not broken:
        return
    lines = "\n".join(f"- **{b.name}**: {b.reason}" for b in broken)
    st.warning(
        f"{len(broken)} model folder(s) cannot be used:\n\n{lines}", icon=":material/broken_image:"
    )


def no_models_notice() -> None:
    """Explain how to get a first model, with links to Home (quick start) and Train."""
    st.info(
        "No trained models yet. Train one first: the Home page has a one-click quick start "
        "(a good default model in about a minute), the Train page every option.",
        icon=":material/lightbulb:",
    )
    left, right = st.columns(2)
    left.page_link(HOME_PAGE, label="Quick start on Home", icon=":material/home:")
    right.page_link(TRAIN_PAGE, label="Open the Train page", icon=":material/model_training:")


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
    infos, broken = list_models()
    show_broken_models(broken)
    if not infos:
        no_models_notice()
        st.stop()
    names = [info.name for info in infos]
    if multi:
        chosen = st.multiselect(
            label or "Models",
            names,
            default=names[:default_count],
            key=key or "models",
            bind="query-params",
            persist_state="session",
            help=help or "Pick one or more saved models; the choice is kept in the URL.",
        )
    else:
        one = st.selectbox(
            label or "Model",
            names,
            key=key or "model",
            bind="query-params",
            persist_state="session",
            help=help or "The saved model to look at; the choice is kept in the URL.",
        )
        chosen = [one] if one else []
    return [load_model(name) for name in chosen]


def job_progress_text(job: JobSnapshot) -> str:
    """One line: name, state, epoch and the latest validation RMSE."""
    parts = [f"**{job.name}**: {job.state}"]
    if job.state == "running" and job.epochs:
        parts.append(f"epoch {max(job.epoch, 1)}/{job.epochs}")
    if "valid_rmse" in job.latest_metrics:
        parts.append(f"valid RMSE {job.latest_metrics['valid_rmse']:.4f}")
    return ", ".join(parts)


@st.fragment(run_every=2.0)
def _sidebar_jobs_live() -> None:
    active = job_registry().active_jobs()
    if not active:
        st.rerun(scope="app")
    st.caption("Training now")
    for job in active:
        st.progress(job.fraction, text=job_progress_text(job))
    st.page_link(TRAIN_PAGE, label="Watch on the Train page", icon=":material/monitoring:")


@st.cache_data(show_spinner=False, ttl=5)
def _dataset_statuses(home: str, extra: str | None) -> list[Any]:
    from movierate.data import dataset_status

    return dataset_status()


def dataset_statuses() -> list[Any]:
    """``data.dataset_status()``, cached for a few seconds (it looks at the disk)."""
    extra = config.extra_data_dir()
    return _dataset_statuses(str(config.home_dir()), str(extra) if extra else None)


def refresh_datasets() -> None:
    """Forget cached dataset statuses (after a download or an upload)."""
    _dataset_statuses.clear()


PREFERRED_DATASETS = ("ml-latest-small", "ml-100k", "ml-1m")


def preferred_dataset(available: list[str]) -> str:
    """The dataset a first-time user should start with: small, well known, present."""
    for name in PREFERRED_DATASETS:
        if name in available:
            return name
    return available[0]


def default_spec() -> Any:
    """The model the quick start trains and the Train form starts from: ModelSpec's defaults
    (biased MF with L2 and early stopping), which train well on MovieLens."""
    from movierate.spec import ModelSpec

    return ModelSpec()


def automatic_name(dataset: str, spec: Any) -> str:
    """A free, descriptive model name such as ``ml-latest-small-mf_bias-d32-l2``."""
    regs = "-".join(sorted(k for k, v in (spec.regularizers or {}).items() if v)) or "noreg"
    base = f"{dataset}-{spec.family}-d{spec.dim}-{regs}"
    reserved = job_registry().reserved_names()
    name = store.unique_name(base)
    n = 2
    while name in reserved:
        name = store.unique_name(f"{base}-{n}")
        n += 1
    return name


def models_table(infos: list[Any]) -> pd.DataFrame:
    """One row per saved model: what it is and how well it does (for st.dataframe)."""
    return pd.DataFrame(
        {
            "model": [i.name for i in infos],
            "dataset": [i.dataset for i in infos],
            "family": [i.spec.family for i in infos],
            "dim": [i.spec.dim for i in infos],
            "regularizers": [regularizers_text(i.spec) for i in infos],
            "valid RMSE": [i.metrics.get("valid_rmse") for i in infos],
            "valid MAE": [i.metrics.get("valid_mae") for i in infos],
            "epochs": [i.metrics.get("epochs_run") for i in infos],
            "train s": [i.train_seconds for i in infos],
            "created": [i.created[:16].replace("T", " ") for i in infos],
        }
    )


MODELS_TABLE_COLUMNS: dict[str, Any] = {
    "valid RMSE": st.column_config.NumberColumn(format="%.4f"),
    "valid MAE": st.column_config.NumberColumn(format="%.4f"),
    "train s": st.column_config.NumberColumn(format="%.1f", help="Training time in seconds"),
}


def regularizers_text(spec: Any) -> str:
    """``"l2 1e-04, whitening 0.01"`` or ``"none"``."""
    active = {k: v for k, v in (spec.regularizers or {}).items() if v}
    return ", ".join(f"{k} {v:g}" for k, v in active.items()) or "none"


REG_PREFIX = "reg_"


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
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
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


def regularizer_keys(history: dict[str, list[float]]) -> list[str]:
    """History columns holding regularizer losses (``reg_<kind>``, ``disc_loss``)."""
    return [k for k in history if k.startswith(REG_PREFIX) or k == "disc_loss"]


def home_folder() -> Path:
    """``MOVIERATE_HOME`` as it is now (shown in captions)."""
    return config.home_dir()


MOVIE_COLUMN_CONFIG: dict[str, Any] = {
    "rank": st.column_config.NumberColumn("#", width="small"),
    "title": st.column_config.TextColumn("title", width="medium"),
    "year": st.column_config.NumberColumn("year", format="%d", width="small"),
    "genres": st.column_config.TextColumn("genres", width="medium"),
    "shared": st.column_config.CheckboxColumn("in all", help="Listed by every selected model"),
    "jaccard": st.column_config.NumberColumn("Jaccard", format="%.2f"),
    "n_ratings": st.column_config.NumberColumn("ratings", help="Number of ratings in the dataset"),
    "mean_rating": st.column_config.NumberColumn("mean", format="%.2f", help="Mean rating"),
    "predicted": st.column_config.NumberColumn("predicted", format="%.2f"),
    "rating": st.column_config.NumberColumn("their rating", format="%.1f"),
    "score": st.column_config.NumberColumn("score", format="%.3f"),
    "cosine_similarity": st.column_config.NumberColumn("cosine sim.", format="%.3f"),
    "euclidean_distance": st.column_config.NumberColumn("distance", format="%.3f"),
}

HIDDEN_MOVIE_COLUMNS = ("movie_idx", "movie_id")


def show_movies(frame: pd.DataFrame, *, height: int | str = "auto", key: str | None = None) -> None:
    """A movie result table: readable genres, no internal ids, numbers formatted."""
    shown = frame.drop(columns=[c for c in HIDDEN_MOVIE_COLUMNS if c in frame.columns])
    if "genres" in shown.columns:
        shown = shown.assign(genres=shown["genres"].map(genres_text))
    st.dataframe(
        shown,
        hide_index=True,
        height=height,
        column_config=MOVIE_COLUMN_CONFIG,
        key=key,
    )


def genres_text(genres: Any) -> str:
    """``["Action", "Comedy"]`` -> ``"Action, Comedy"``."""
    if genres is None or isinstance(genres, float):
        return ""
    return ", ".join(str(g) for g in genres)


def parameter_count(model: Any) -> int:
    """Number of trained weights in a saved model (embeddings, biases, dense layers)."""
    return int(
        sum(
            a.size for k, a in model.arrays.items() if a.ndim > 0 and k != "first_dense_input_norms"
        )
    )


def model_summary(model: Any) -> str:
    """``"mf_bias, dim 32, l2 1e-04; ml-latest-small; valid RMSE 0.8712"``."""
    rmse = model.metrics.get("valid_rmse")
    quality = f"; valid RMSE {rmse:.4f}" if rmse is not None else ""
    return (
        f"{model.spec.family}, dim {model.dim}, {regularizers_text(model.spec)}; "
        f"trained on {model.dataset_name}{quality}"
    )


def pick_title(index: Any, query: str, *, key: str) -> int | None:
    """The movie a title query names: the clear match, else a choice among the candidates.

    Returns ``None`` while nothing is chosen (after saying why).
    """
    from movierate.explore.search import MATCH_THRESHOLD

    try:
        return int(index.resolve(query))
    except MovierateError:
        candidates = index.search(query, limit=8)
    if candidates.empty:
        st.warning(
            f"No movie title matches {query!r}; check the spelling.", icon=":material/search_off:"
        )
        return None
    labels = {
        int(row.movie_idx): f"{row.title} ({year_text(row.year)}), {int(row.n_ratings)} ratings"
        for row in candidates.itertuples()
    }
    weak = float(candidates["score"].iloc[0]) < MATCH_THRESHOLD
    if weak:
        st.warning(
            f"No movie title matches {query!r} well; did you mean one of these?",
            icon=":material/search_off:",
        )
    return st.selectbox(
        "Closest titles" if weak else f"Several movies match {query!r}; pick one",
        list(labels),
        index=None if weak else 0,
        format_func=labels.get,
        key=key,
        placeholder="pick a title",
    )


def year_text(year: Any) -> str:
    """A release year for display, ``"?"`` when unknown."""
    return "?" if year is None or pd.isna(year) else str(int(year))


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
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="principal direction (largest first)",
        yaxis={"title": "share of variance", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def distinctive_genres(genres: pd.Series) -> list[str]:
    """Each movie's rarest genre among these movies (its most telling one), for colouring:
    "Animation" rather than "Adventure" for Toy Story. IMAX is a format, not a genre."""
    lists = [[g for g in (gs if gs is not None else []) if g != "IMAX"] for gs in genres]
    counts = pd.Series([g for gs in lists for g in gs]).value_counts().to_dict()
    return [min(gs, key=lambda g: (counts[g], g)) if gs else "(none)" for gs in lists]


IMPORTANCE_SERIES = {
    "movie_variance_share": "movie variance",
    "user_variance_share": "user variance",
    "movie_input_share": "read by dense layer (movie)",
    "user_input_share": "read by dense layer (user)",
}


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
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="dimension",
        yaxis={"title": "share", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


MAP_COLOURS: dict[str, tuple[str, str]] = {
    "genre": ("genre_colour", "genre"),
    "year": ("year", "year"),
    "popularity": ("log_n_ratings", "log10 ratings"),
    "norm": ("norm", "norm"),
    "bias": ("bias", "bias"),
}


def tsne_figure(
    frame: pd.DataFrame, colour: str, focus: int | None, neighbours: list[int] | None = None
) -> go.Figure:
    """The t-SNE scatter: coloured by ``colour``, sized by ratings, titles on hover.

    ``focus`` (a movie_idx) is ringed and labelled; its ``neighbours`` are ringed too. The
    scatter itself is memoised on the map's content and ``colour`` (plotly express takes ~0.5 s
    for 2,000 movies coloured by genre), so a click or a search only redraws the rings.
    """
    fig = _tsne_scatter(_map_digest(frame), colour, frame)
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


def _map_digest(frame: pd.DataFrame) -> str:
    """Content hash of a map frame's movies, coordinates and per-movie numbers."""
    digest = hashlib.blake2b(digest_size=16)
    for column in ("movie_idx", "x", "y", "n_ratings", "norm", "bias"):
        digest.update(np.ascontiguousarray(frame[column].to_numpy(np.float64)).tobytes())
    return digest.hexdigest()


@st.cache_data(show_spinner=False, max_entries=16)
def _tsne_scatter(digest: str, colour: str, _frame: pd.DataFrame) -> go.Figure:
    """:func:`tsne_figure` without the rings, cached on ``digest`` (:func:`_map_digest`);
    every call returns a fresh copy, so the rings never leak into the cache."""
    import plotly.express as px  # here, not at the top: the Home page never needs it

    data = _frame.assign(
        genre_colour=distinctive_genres(_frame["genres"]),
        log_n_ratings=np.log10(1.0 + _frame["n_ratings"].to_numpy(np.float64)),
        year=pd.to_numeric(_frame["year"], errors="coerce").astype("float64"),
        genres_text=_frame["genres"].map(genres_text),
        size=np.sqrt(_frame["n_ratings"].to_numpy(np.float64)),
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


def selected_movie(event: Any) -> int | None:
    """The movie_idx of the point clicked in a chart made by :func:`tsne_figure`, if any."""
    try:
        points = event.selection.points
    except AttributeError:
        return None
    for point in points:
        custom = point.get("customdata")
        if custom:
            return int(custom[0])
    return None


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
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def movie_row(model: Any, movie_id: int) -> int | None:
    """Row (movie_idx) of the movie with original id ``movie_id`` in ``model``, if it has it."""
    rows = np.flatnonzero(model.movies["movie_id"].to_numpy() == movie_id)
    return int(rows[0]) if len(rows) else None


@st.cache_resource(show_spinner="Loading the ratings…", max_entries=4)
def _dataset(name: str, fingerprint: str | None) -> Any:
    from movierate.data import load_dataset

    return load_dataset(name)


def dataset_of(model: Any) -> Any:
    """The dataset ``model`` was trained on (cached per name and fingerprint); DataError if it
    is missing or has changed since training."""
    recorded = model.meta["dataset"]
    ds = _dataset(recorded["name"], recorded.get("fingerprint"))
    if recorded.get("fingerprint") and ds.fingerprint != recorded["fingerprint"]:
        raise DataError(
            f"Dataset {ds.name!r} changed since model {model.name!r} was trained; "
            "retrain the model to use it here."
        )
    return ds


def same_data(a: Any, b: Any) -> bool:
    """True when two models were trained on the same dataset (same name and fingerprint)."""
    da, db = a.meta["dataset"], b.meta["dataset"]
    return da.get("name") == db.get("name") and da.get("fingerprint") == db.get("fingerprint")


def user_index(ds: Any, user_id: Any) -> int:
    """Row of the user with original id ``user_id``; DataError naming the valid range if none."""
    try:
        return int(ds.user_index(user_id))
    except (KeyError, ValueError, TypeError):
        ids = np.asarray(ds.user_ids)
        raise DataError(
            f"User {user_id} is not in {ds.name} (user ids run from {ids.min()} to "
            f"{ids.max()}); pick another id or press 'Sample a user'."
        ) from None
