"""Neighbours: the movies closest to one movie, in several models side by side."""

from __future__ import annotations

import streamlit as st

from movierate import explore
from movierate.ui import shell, state, text, widgets


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Nearest movies")
    st.caption(
        "Movies whose embedding vectors are closest to the one you pick. Good embeddings put "
        "sequels, same-director films and same-mood films next to each other; compare models to "
        "see which space makes more sense."
    )
    models = widgets.pick_models(multi=True, default_count=2)
    if not models:
        st.info("Pick at least one model above.", icon=":material/touch_app:")
        st.stop()

    query_col, metric_col, k_col, min_col = st.columns([3, 1, 1, 1], gap="medium")
    with query_col:
        query = st.text_input(
            "Movie title",
            key="q",
            placeholder="e.g. toy story, matrix 1999, amelie",
            bind="query-params",
            help="Typos, missing articles and accents are fine; add the year if several match.",
        )
    metric = metric_col.segmented_control(
        "Metric",
        explore.METRICS,
        default="cosine",
        required=True,
        key="metric",
        bind="query-params",
        help="Cosine compares directions only; euclidean also counts vector length (popularity).",
    )
    k = k_col.slider("How many", 5, 50, 10, key="k", bind="query-params")
    min_ratings = min_col.slider(
        "Min. ratings",
        0,
        200,
        10,
        key="min_ratings",
        bind="query-params",
        help="Leave out obscure movies, whose vectors are mostly noise.",
    )

    reference = models[0]
    if not query:
        st.markdown("**Try one of the most rated movies:**")
        popular = reference.movies.nlargest(8, "n_ratings")["title"].tolist()
        chosen = st.pills("Examples", popular, key="example", label_visibility="collapsed")
        if chosen:
            st.session_state["q"] = chosen
            st.rerun()
        st.stop()

    movie_idx = widgets.pick_title(explore.title_index(reference), query, key="candidate")
    if movie_idx is None:
        st.stop()
    movie = reference.movies.loc[movie_idx]
    st.markdown(
        f"### {movie['title']} ({text.year_text(movie['year'])})\n"
        f"{text.genres_text(movie['genres'])} · {int(movie['n_ratings']):,} ratings · "
        f"mean {float(movie['mean_rating']):.2f}"
    )

    results = {}
    for model in models:
        row = state.movie_row(model, movie["movie_id"])
        if row is None:
            results[model.name] = None
            continue
        results[model.name] = explore.neighbour_index(model).nearest(
            row, k=k, metric=metric, min_ratings=min_ratings
        )
    found_lists = [set(r["movie_id"]) for r in results.values() if r is not None]
    in_all = set.intersection(*found_lists) if found_lists else set()

    per_row = 3 if len(models) > 2 else len(models)
    for start in range(0, len(models), per_row):
        columns = st.columns(per_row, gap="medium")
        for col, model in zip(columns, models[start : start + per_row], strict=False):
            with col:
                st.markdown(f"**{model.name}**")
                st.caption(text.model_summary(model))
                found = results[model.name]
                if found is None:
                    st.warning(
                        f"{model.name} does not know this movie (other dataset).",
                        icon=":material/info:",
                    )
                    continue
                if len(models) > 1:
                    found = found.assign(shared=found["movie_id"].isin(in_all))
                value = "cosine_similarity" if metric == "cosine" else "euclidean_distance"
                shown = ["rank", "title", value, "shared", "year", "n_ratings", "genres"]
                widgets.show_movies(
                    found[[c for c in shown if c in found.columns]],
                    key=f"nn_{model.name}",
                )
    if len(models) > 1:
        st.caption(
            f"Ticked in 'in all': movies every selected model lists ({len(in_all)} of {k}). "
            "Many shared neighbours mean the models agree on what is similar."
        )


shell.require_router()
render()
