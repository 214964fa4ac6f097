"""Streamlit widgets the pages share: model picker, movie tables, title picker, map figure.

Each reads or writes the page (``st.*``); the data behind them comes from
:mod:`movierate.ui.state`, the figures from :mod:`movierate.ui.figures`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from movierate.errors import MovierateError
from movierate.ui import figures, shell, state
from movierate.ui.text import genres_text, year_text

#: Column formats of the models table (:func:`movierate.ui.text.models_table`).
MODELS_TABLE_COLUMNS: dict[str, Any] = {
    "valid RMSE": st.column_config.NumberColumn(format="%.4f"),
    "valid MAE": st.column_config.NumberColumn(format="%.4f"),
    "train s": st.column_config.NumberColumn(format="%.1f", help="Training time in seconds"),
}

#: Column formats of every movie result table (:func:`show_movies`).
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
    return [state.load_model(name) for name in chosen]


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


def tsne_figure(
    frame: pd.DataFrame, colour: str, focus: int | None, neighbours: list[int] | None = None
) -> go.Figure:
    """:func:`figures.tsne_figure` on the memoised scatter (:func:`state.tsne_scatter`), so a
    click or a search only redraws the rings."""
    return figures.add_map_rings(state.tsne_scatter(frame, colour), frame, focus, neighbours)


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


def show_notices(ds: Any, *, after_rerun: bool = False) -> None:
    """What loading ``ds`` (a RatingsDataset) changed or guessed (``ds.notices()``: duplicates
    dropped, rating scale inferred or set by outliers, repeated movie ids), as one warning.

    With ``after_rerun`` the notices are queued for the top of the next run instead (for a
    page that calls ``st.rerun()`` right after an import).
    """
    lines = list(ds.notices()) if hasattr(ds, "notices") else list(ds or [])
    if not lines:
        return
    text = f"Notes on **{getattr(ds, 'name', 'the data')}**: " + " ".join(lines)
    if after_rerun:
        state.add_notice(text)
    else:
        st.warning(text, icon=":material/info:")


def show_dataset_notices(name: str) -> None:
    """:func:`show_notices` for the dataset called ``name``, when reading it is quick (a
    parsed copy exists or it is small); nothing when it cannot be read (the page that uses it
    says why)."""
    for line in state.dataset_notices(name):
        st.warning(f"Notes on **{name}**: {line}", icon=":material/info:")


def show_leftovers() -> None:
    """What killed or running writes left under MOVIERATE_HOME (``store.leftovers()``): one
    caption with their count and size and the report's lines; nothing when all is clean."""
    report = state.leftovers()
    lines = report.lines()
    if not lines:
        return
    from movierate.store import format_bytes

    head = (
        f"{report.count} leftover(s) of interrupted writes ({format_bytes(report.bytes)})"
        if report.count
        else "Cleaned up after interrupted writes"
    )
    st.info(
        head + ":\n\n" + "\n".join(f"- {line}" for line in lines),
        icon=":material/cleaning_services:",
    )
