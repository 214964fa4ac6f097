"""Dimensions: are a model's embedding dimensions in order of importance?"""

from __future__ import annotations

import streamlit as st

from movierate import explore
from movierate.ui import dimensions, shell, text, widgets


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Dimensions")
    picker, about = st.columns([1, 2], gap="large", vertical_alignment="bottom")
    with picker:
        model = widgets.pick_models(multi=False)[0]
    about.caption(
        f"**{text.md(model.name)}**: {text.model_summary(model)}. Which of its {model.dim} dimensions "
        "matter on ratings it never trained on, and how good it is with only the first k. "
        "The sidebar's control keeps only the first k dimensions here and on Embeddings "
        "and Neighbours."
    )
    if combined := explore.combined_columns_text(model):  # seeds or members side by side
        st.caption(text.md(combined))
    model = dimensions.first_k_control(model, key="dims")
    dimensions.render_dimension_importance(model)


shell.require_router()
render()
