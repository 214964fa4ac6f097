"""Explore: beyond the Embedding Projector. Custom axes, analogies, linear probes, the users
map and two models in one frame (the sections live in :mod:`movierate.ui.explore_views`)."""

from __future__ import annotations

import streamlit as st

from movierate import glossary
from movierate.ui import dimensions, explore_views, shell, state, widgets


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Explore")
    widgets.explained(  # views round 27, F5: no unexplained tool names in the first line
        "Test ideas about the embedding: does a direction (comedy → drama) really separate "
        "movies, do analogies work, which properties can a straight cut read off it, where do "
        "the users sit, and what changes between two models.",
        "How this goes beyond the Embedding Projector",
        "Questions the Embedding Projector cannot answer.\n\n"
        + glossary.define("Embedding Projector", "linear probe", "AUC"),
    )
    section = explore_views.url_choice("View", explore_views.SECTIONS, key="view", default="axes")
    if section == "probes":
        models = widgets.pick_models(
            multi=True,
            default_count=3,
            help="Pick the models to compare, e.g. one per regularizer; kept in the URL.",
        )
        if not models:
            st.info("Pick at least one model above.", icon=":material/touch_app:")
            st.stop()
        explore_views.render_probes(models)
        return
    if section == "align":
        infos = state.list_models()[0]
        names = [info.name for info in infos]
        if len(names) < 2:
            st.info(
                "Two models, one frame needs two saved models; train another one first.",
                icon=":material/lightbulb:",
            )
            st.page_link(shell.page("train"), icon=":material/model_training:")
            st.stop()
        left, right = st.columns(2)
        with left:
            (model_a,) = widgets.pick_models(multi=False, label="Model A")
        b_name = widgets.pick_one(
            names,
            key="model_b",
            label="Model B",
            first=widgets.partner_of(model_a, infos),
            help="The model rotated onto model A; kept in the URL.",
            where=right,
        )
        model_b = state.load_model(b_name)
        if model_a.name == model_b.name:
            st.info("Pick two different models.", icon=":material/touch_app:")
            st.stop()
        for model in (model_a, model_b):  # bad-input round 41, F2
            dimensions.idle_embedding_notice(model, named=True)
        explore_views.render_two_models(model_a, model_b)
        return
    (model,) = widgets.pick_models(multi=False)
    dimensions.idle_embedding_notice(model)  # its axes, analogies, users: bad-input round 41
    if section == "axes":
        explore_views.render_custom_axes(model)
    elif section == "analogy":
        explore_views.render_analogies(model)
    else:
        explore_views.render_users_map(model)


shell.require_router()
render()
