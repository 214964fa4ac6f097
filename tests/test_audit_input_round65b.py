"""Bad-input round 65 (the browser, fixer J2): the Embeddings map's number boxes after the
browser's Back (F1), and a title search of punctuation only on Neighbours (F5)."""

from __future__ import annotations

from functools import partial
from unittest import mock

import pytest
from apptest_helpers import assert_clean, open_page
from streamlit.runtime.scriptrunner import RerunData
from streamlit.testing.v1 import AppTest, local_script_runner

from movierate import explore
from movierate.errors import DataError

#: The t-SNE form's boxes and what each holds on a link that names none of them.
MAP_BOXES = {"tsne_min": "10", "perplexity": "30", "iterations": "500", "map_seed": "0"}


def _history_step(at: AppTest, **query: str) -> None:
    """The browser's Back or Forward to the entry whose link is ``query``: the run Streamlit
    makes then (a bound widget takes the link's value, or its default where the link has
    none), with the widget states of the page as it was."""
    at.query_params.clear()
    at.query_params.update(query)
    history = partial(RerunData, is_history_navigation=True)
    with mock.patch.object(local_script_runner, "RerunData", history):
        at.run()


def _map_boxes(at: AppTest) -> dict[str, str]:
    return {key: at.text_input(key=key).value for key in MAP_BOXES}


@pytest.mark.parametrize("linked", [{}, {"perplexity": "15"}])
def test_the_map_form_comes_back_with_its_values_after_back(trained_home, linked):
    """F1: Map, then the "Norms & popularity" tab, then Back: every box of the map form was
    empty and a red box said "Perplexity is empty" (the boxes' default was None once their
    key held text, and Streamlit puts the default back for a key the link does not name).
    Back shows what was set there: the link's values, the defaults for the rest."""
    query = {"model": "small-mf", "view": "Map", **linked}
    at = open_page("pages/embeddings.py", **query)
    expected = {**MAP_BOXES, **linked}
    assert _map_boxes(at) == expected
    _history_step(at, model="small-mf", view="Norms & popularity")  # the tab's entry
    assert "perplexity" not in [box.key for box in at.text_input]  # the map's form is gone
    for step in ("back", "forward", "back"):
        _history_step(at, **(query if step == "back" else {**query, "view": "Export"}))
        assert_clean(at)
    assert _map_boxes(at) == expected
    assert any("Compute map" in info.value for info in at.info)


def _number_box_script() -> None:
    import streamlit as st

    from movierate.ui import widgets

    if st.query_params.get("hide") is None:
        rate = widgets.decimal_input("Rate", 0.5, key="rate", bind="query-params")
        st.write(f"rate={rate}")


def test_a_number_box_keeps_its_default_when_streamlit_puts_it_back():
    """F1, the class: every number box of the dashboard (Recommend's user id, Train's fields,
    the map's settings) gives Streamlit its default also once its key holds text, so a Back
    to a link without its key shows the default, not an empty box."""
    at = AppTest.from_function(_number_box_script, default_timeout=30).run()
    assert at.text_input(key="rate").value == "0.5"
    at.text_input(key="rate").input("0.25").run()
    assert at.markdown[0].value == "rate=0.25"
    _history_step(at, hide="1")
    assert not at.text_input  # not drawn: Streamlit keeps no state for it
    _history_step(at)  # Back to the page without ?rate=: the box's default
    assert at.text_input(key="rate").value == "0.5"
    assert at.markdown[0].value == "rate=0.5"


# --- F5: a title search with nothing to search by --------------------------------------------


def test_a_query_of_punctuation_only_is_named_not_called_empty(trained_home):
    """F5: Neighbours with ?q=/[/ showed "/[/" in the box under "Type part of a movie title
    to search for", as if nothing had been typed."""
    at = open_page("pages/neighbours.py", errors=True, models="small-mf", q="/[/")
    assert at.text_input(key="q").value == "/[/"
    said = " ".join(box.value for box in at.error).replace("\\[", "[")  # Markdown's escape
    assert "'/[/' has no letters or digits to search titles by" in said
    assert "Type part of a movie title" in said  # and what to type instead


def test_search_says_what_was_typed_when_it_has_no_words(trained_home):
    """F5 where the message is made: every title search (Neighbours, the analogies, Rate's
    search, the map's Find a movie, the CLI) names the text; an empty one asks for a title."""
    from movierate import store

    index = explore.title_index(store.load_model("small-mf"))
    for search in (index.search, index.containing, index.resolve):
        with pytest.raises(DataError, match=r"^'/\[/' has no letters or digits"):
            search(" /[/ ")
        with pytest.raises(DataError, match="^Type part of a movie title"):
            search("  ")
