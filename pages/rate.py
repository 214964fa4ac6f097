"""Rate movies: your own ratings, recommendations without retraining (fold-in), what drove
them and your place on the users map (the UI lives in :mod:`movierate.ui.your_ratings`)."""

from __future__ import annotations

import streamlit as st

from movierate.ui import shell
from movierate.ui.your_ratings import pick_model, render_your_ratings


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Rate movies")
    st.caption(
        "Rate a handful of movies you know and a trained model recommends more, without "
        "retraining: it fits a user vector to your ratings of movies it trained on. Your "
        "ratings live in this page's address only (nothing is saved unless you download "
        "them), so you can bookmark or share it."
    )
    render_your_ratings(pick_model())


shell.require_router()
render()
