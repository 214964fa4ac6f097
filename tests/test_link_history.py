"""Link writes that leave one browser history entry holding the whole state (views round 19):
several keys in one URL change (F3), a sampled or linked user as a whole number (F4), the
map's selection said when a reload dropped it (F5), the history script in every page (F1/F2).
Streamlit turns each URL change of a run into its own history entry, so the tests count them.
"""

from __future__ import annotations

import pytest
from apptest_helpers import APP, open_page
from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest

from movierate.ui import shell


@pytest.fixture
def url_changes(monkeypatch) -> list[str]:
    """The query strings the app sends to the browser, one per URL change, in order."""
    sent: list[str] = []
    original = QueryParams._send_query_param_msg

    def record(self: QueryParams) -> None:
        sent.append("&".join(f"{k}={v}" for k, v in sorted(self._query_params.items())))
        original(self)

    monkeypatch.setattr(QueryParams, "_send_query_param_msg", record)
    return sent


def _rated_app(ratings: dict) -> AppTest:
    def script(ratings: dict) -> None:
        from types import SimpleNamespace

        from movierate.ui.your_ratings import _set_rated

        model = SimpleNamespace(dataset_name="ml-latest-small", dataset_fingerprint="abc")
        _set_rated(ratings, model)

    return AppTest.from_function(script, args=(ratings,))


def test_rate_writes_its_ratings_and_their_data_set_as_one_change(url_changes):
    """?rated= then ?rated_on= as two writes left an entry with ratings and no data set, which
    the page read as a link of unknown origin (F3)."""
    at = _rated_app({2571: 4.0, 1721: 3.5})
    at.run()
    assert not at.exception
    assert len(url_changes) == 1, url_changes
    assert (
        "rated=2571:4,1721:3.5" in url_changes[0]
        and "rated_on=ml-latest-small:abc" in (url_changes[0])
    )
    url_changes.clear()
    at = _rated_app({})
    at.query_params.update(rated="2571:4", rated_on="ml-latest-small:abc", model="m")
    at.run()
    assert url_changes == ["model=m"]  # both out in one change, the rest kept


def test_set_link_changes_bound_and_plain_keys_at_once_and_skips_no_change(url_changes):
    def script() -> None:
        import streamlit as st

        from movierate.ui import state

        st.text_input("q", key="q", bind="query-params")
        state.set_link({"q": "heat", "focus": "6", "focus_on": "x:1", "gone": None})
        state.set_link({"q": "heat", "focus": "6"})  # as it is: nothing sent

    at = AppTest.from_function(script)
    at.query_params.update(q="matrix", gone="1")
    at.run()
    assert not at.exception, at.exception
    assert url_changes == ["focus=6&focus_on=x:1&q=heat"]


def _selection_app(selections: dict, selected: list) -> AppTest:
    def script(selections: dict, selected: list) -> None:
        from movierate.ui import widgets

        widgets.selection_in_link(selections, selected)

    return AppTest.from_function(script, args=(selections, selected))


def test_a_reload_that_dropped_the_map_selection_says_so_once():
    """A reload kept the map's search but dropped its "Selection: 8 movies" unsaid (F5)."""
    at = _selection_app({}, [])
    at.query_params["map_sel"] = "8"
    at.run()
    assert [w.value for w in at.warning] and "selection of 8 films was not kept" in (
        at.warning[0].value
    )
    assert "map_sel" not in at.query_params  # said once: the next reload says nothing
    at = _selection_app({"m|tsne": [3, 4, 5]}, [3, 4, 5])
    at.run()
    assert at.query_params["map_sel"] in ("3", ["3"])
    assert not at.warning
    at = _selection_app({"m|tsne": []}, [])  # cleared on purpose: out of the link, unsaid
    at.query_params["map_sel"] = "3"
    at.run()
    assert not at.warning and "map_sel" not in at.query_params


def test_every_page_installs_the_one_entry_per_action_history_script():
    """Streamlit's page switch pushed two entries before the page's own (F1/F2): the sidebar
    carries the script that keeps one per click or key."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    scripts = [h.proto for h in at.get("html") if shell.HISTORY_JS in h.proto.body]
    assert scripts and all(p.unsafe_allow_javascript for p in scripts)
    for needed in ("pointerdown", "keydown", "popstate", "history.pushState = write"):
        assert needed in shell.HISTORY_JS


def test_a_linked_or_sampled_user_is_a_whole_number_in_the_link(trained_home):
    """The float user box wrote "Sample a user" as user=420.0 (F4); a link's 155.0 is read
    as user 155 and put back as 155."""
    at = open_page("pages/recommend.py", user="155.0")
    assert float(at.text_input(key="user").value) == 155  # a text box (round 59, H1)
    assert at.query_params["user"] in ("155", ["155"])
    sample = next(b for b in at.button if b.label == "Sample a user")
    sample.click().run()
    user = at.query_params["user"]
    user = user[0] if isinstance(user, list) else user
    assert user.isdigit() and user == at.text_input(key="user").value


def test_a_value_typed_in_a_bound_box_is_not_called_a_bad_link(trained_home):
    """Recheck 2 (s34): typing 999999 in Recommend's user box (the widget writes ?user=) drew
    'Ignored ?user=999999 from the link' beside the box's own message."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from movierate.ui import state

        st.session_state.setdefault("typed", 999999.0)
        if st.session_state["typed"] is not None:
            st.session_state["user"] = st.session_state["typed"]
        state.read_url("recommend")
        st.session_state["said"] = list(st.session_state.get(state._NOTICES, []))

    at = AppTest.from_function(script)
    at.query_params["models"] = "small-mf"
    at.query_params["user"] = "999999.0"
    at.run()
    assert not at.session_state["said"]  # typed here: the page's own message says why
    fresh = AppTest.from_function(script)
    fresh.session_state["typed"] = None
    fresh.query_params["models"] = "small-mf"
    fresh.query_params["user"] = "0"
    fresh.run()
    assert any("Ignored ?user=0 from the link" in n for n in fresh.session_state["said"])
