"""Hostile links, round 37 (fuzz37): a link's clean-up is one URL change, not one per key (F1),
Recommend shows a link's own ratings (F2) and leaves an import out of its reference (F3), and
the map takes the values it ignored out of the link (F4)."""

from __future__ import annotations

from apptest_helpers import open_page
from streamlit.runtime.state.query_params import QueryParams
from streamlit.testing.v1 import AppTest
from test_imported_models import synthetic

from movierate import explore, store
from movierate.imported_models import save_imported


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


def _recommend(**query: str) -> AppTest:
    return open_page("pages/recommend.py", **query)


def _text(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("info", "warning", "caption") for e in at.get(kind))


def test_recommend_opens_a_links_own_ratings_and_says_so_at_the_top(trained_home):
    """F2: ?rated= ratings (and their warnings) were in a collapsed expander at the foot,
    under user 1's recommendations, with nothing at the top about them."""
    at = _recommend(model="small-mf", rated="1:5,2:4,3")
    assert not at.exception, at.exception
    assert "This link holds 2 of your own ratings" in at.info[0].value  # "3": unreadable
    ratings = next(e for e in at.expander if e.label == "Your own ratings (no retraining)")
    assert ratings.proto.expanded
    at = _recommend(model="small-mf")
    assert not any("of your own rating" in e.value for e in at.info)
    ratings = next(e for e in at.expander if e.label == "Your own ratings (no retraining)")
    assert not ratings.proto.expanded


def test_recommend_leaves_an_import_picked_first_out_and_shows_the_trained_model(trained_home):
    """F3: ?models=imp&models=small showed only the import's refusal; the import is left out
    with a true sentence and the trained model's recommendations show."""
    x, movies = synthetic(seed=0)
    save_imported("r37-imp", explore.ImportedEmbedding(x, movies, "npy"), "x.npy", overwrite=True)
    try:
        at = open_page("pages/recommend.py", models=["r37-imp", "small-mf"], user="5")
    finally:  # the trained home is the session's: leave it as it was
        store.delete_model("r37-imp")
    said = _text(at)
    assert "r37-imp is an embedding imported from elsewhere" in said and "no users" in said
    assert "trained on imported" not in said
    assert any(m.value.startswith("## User 5") for m in at.markdown)
