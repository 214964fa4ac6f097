"""``state.set_in_link`` corrects a link whose key a widget is bound to through Streamlit's
private query-parameter fields; a Streamlit that renames them must not break the page, only
skip the correction (the closing note of s29 left this unguarded)."""

from __future__ import annotations

import pytest
from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest


def _page() -> None:
    import streamlit as st

    from movierate.ui import state

    st.selectbox("Colour", ["a", "b"], key="colour", bind="query-params")
    if "fall_back" in st.session_state:  # None: out of the link; "a": the colouring shown
        state.set_in_link("colour", st.session_state["fall_back"])
        state.set_in_link("other", "x")


def _open_then_fall_back(value: str | None) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=60)
    at.query_params["colour"] = "b"
    at.run()
    assert at.selectbox(key="colour").value == "b"
    at.session_state["fall_back"] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_bound_key_is_corrected_in_the_link():
    at = _open_then_fall_back(None)
    assert "colour" not in at.query_params and at.query_params["other"] == "x"
    at = _open_then_fall_back("a")
    assert at.query_params["colour"] == "a" and at.query_params["other"] == "x"


@pytest.mark.parametrize(
    ("renamed", "value"),
    [("discard_param_no_forward_msg", None), ("discard_param_no_forward_msg", "a")],
)
def test_a_streamlit_without_the_private_fields_skips_the_correction(monkeypatch, renamed, value):
    monkeypatch.delattr(QueryParams, renamed)
    at = _open_then_fall_back(value)
    assert at.query_params["colour"] == "b" and at.query_params["other"] == "x"
