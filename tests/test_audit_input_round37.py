"""Hostile links, round 37 (fuzz37): a link's clean-up makes no history entries of its own (F1),
Recommend shows a link's own ratings (F2) and leaves an import out of its reference (F3), and
the map takes the values it ignored out of the link (F4)."""

from __future__ import annotations

from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest

from movierate.ui import shell


def test_a_link_with_several_bad_values_is_cleaned_in_one_change(monkeypatch):
    """F1: read_url deleted each bad key on its own, one URL change (a browser history entry)
    per key: three Backs to leave /neighbours?n=-5&min_ratings=NaN&metric=xx."""
    sent: list[dict] = []  # each URL change the app sends the browser
    monkeypatch.setattr(
        QueryParams, "_send_query_param_msg", lambda self: sent.append(dict(self._query_params))
    )

    def script() -> None:
        from movierate.ui import state

        state.read_url("neighbours")

    at = AppTest.from_function(script)
    at.query_params.update(n="-5", min_ratings="NaN", metric="xx", wide="true")
    at.run()
    assert not at.exception, at.exception
    assert sent == [{"wide": "true"}], sent


def test_the_history_script_folds_the_opening_runs_entries_into_the_links():
    """F1: Streamlit's writes of the run that opened a link came before the history script had
    loaded: each was an entry, and Back showed the bad link without its notice."""
    for needed in ("navigation", "traverseTo", "first-input", "stopImmediatePropagation"):
        assert needed in shell.HISTORY_JS

