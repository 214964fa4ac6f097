"""Bad-input round 29 (size at the UI's edges): a Rate link over the link check's 4,000
characters lost every rating (F1), and "Save my ratings (CSV)" had no way back in (F2).

Now ``?rated=`` holds 60,000 characters (the server answers 128,000), a longer link keeps its
first ratings and says how many were not used, other list or search parameters keep what fits
too, and "Load saved ratings (CSV)" reads what Save writes. One module home: ``ml4``
(ml-latest-small, dim 4, 1 epoch) and ``ml100`` (ml-100k).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from apptest_helpers import movierate_env
from streamlit.testing.v1 import AppTest

from movierate import spreadsheet
from movierate.errors import DataError
from movierate.ui import state
from movierate.ui.your_ratings import (
    fitting_ratings,
    format_rated,
    load_message,
    movie_id_of,
    ratings_file,
    read_saved_ratings,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def round29_home(tmp_path_factory, movielens_dir: Path) -> Path:
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("round29")
    with movierate_env(home, movielens_dir):
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml4")
        train_and_save("ml-100k", ModelSpec(family="mf_bias", dim=4, epochs=1), "ml100")
    return home


@pytest.fixture
def home(round29_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(round29_home))
    return round29_home


def open_at(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _model(name: str):
    from movierate import store

    return store.load_model(name)


def _link(model, n: int) -> str:
    """The first ``n`` movies of ``model`` rated alternately 4.5 and 2 (the link's order)."""
    return format_rated({movie_id_of(model, r): (4.5 if r % 2 else 2.0) for r in range(n)})


def test_the_cap_is_far_above_round_29s_links_and_below_the_servers():
    assert 16_000 < state.RATED_MAX <= 100_000  # 128,000 answered by the server (url_limit.py)
    spec = state.URL_PARAMS["rate"]["rated"]
    assert spec.hi == state.RATED_MAX and spec.cut == ","
    assert state.URL_PARAMS["recommend"]["rated"] is spec


def test_a_700_rating_link_keeps_every_rating(home):
    """F1: 630 to 2,000 ratings all said 'Ignored ?rated=…' and the address lost them."""
    rated = _link(_model("ml4"), 700)
    assert len(rated) > 4000
    at = open_at("rate", model="ml4", rated=rated)
    assert not at.error, [e.value for e in at.error]
    assert at.query_params["rated"] == rated
    assert any("**Your ratings** (700)" in m.value for m in at.markdown)
    assert not any("Ignored ?rated" in w.value for w in at.warning)
    assert any(h.value == "Recommended for you" for h in at.header)


def test_a_link_over_the_cap_keeps_its_first_ratings_and_says_how_many(home):
    model = _model("ml4")
    every = {movie_id_of(model, r): 4.0 for r in range(len(model.movies))}
    rated = format_rated(every)
    assert len(rated) > state.RATED_MAX
    kept = fitting_ratings(every)
    assert 0 < len(kept) < len(every) and list(kept) == list(every)[: len(kept)]
    at = open_at("rate", model="ml4", rated=rated)
    assert not at.error, [e.value for e in at.error]
    assert at.query_params["rated"] == format_rated(kept)  # the first ones, in order
    shown = [w.value for w in at.warning]
    notice = next(w for w in shown if w.startswith("Kept the first"))
    assert f"Kept the first {len(kept):,} of the {len(every):,} ratings" in notice
    assert f"the other {len(every) - len(kept):,} are not used" in notice
    cut = next(w for w in shown if w.startswith("This link rated"))
    assert f"the first {len(kept):,} are used" in cut and "Load saved ratings (CSV)" in cut
    assert any(f"**Your ratings** ({len(kept):,})" in m.value for m in at.markdown)
    at.run()  # a rerun keeps the list, and still offers the whole of it
    assert at.query_params["rated"] == format_rated(kept)


def test_search_text_and_title_lists_keep_what_fits(home):
    """The same rule for the other list and free-text link parameters: ``q`` keeps its first
    200 characters and a ``;`` list of titles its first titles, each said, not dropped."""
    q = "toy story " * 30
    at = open_at("neighbours", models="ml4", q=q)
    assert at.query_params["q"] == q[: state.TEXT_MAX]
    assert any(
        f"Kept the first {state.TEXT_MAX} of the {len(q)} characters of ?q=" in w.value
        for w in at.warning
    )
    titles = ";".join(["Toy Story (1995)"] * 200)
    at = open_at("explore", model="ml4", view="axes", xa=titles, xb="Drama")
    kept = state.cut_to_fit(titles, state.SET_MAX, ";")
    assert at.query_params["xa"] == kept and at.text_input(key="xa").value == kept
    assert any(
        f"Kept the first {kept.count(';') + 1} of the 200 titles or genres of ?xa=" in w.value
        for w in at.warning
    )


def test_an_addition_past_the_cap_points_at_load(home, monkeypatch):
    """A full list refuses an Add and says where a saved file comes back in."""
    model = _model("ml100")
    full = format_rated({movie_id_of(model, r): 4.0 for r in range(100, 700)})
    small = state.UrlParam("text", hi=len(full), cut=",", entries="ratings")
    monkeypatch.setattr(state, "RATED_MAX", len(full))  # this list fills the link
    monkeypatch.setitem(state.URL_PARAMS["rate"], "rated", small)
    at = open_at("rate", model="ml100", rated=full)
    at.text_input(key="rate_q").set_value("star wars").run()
    at.button(key="rate_add").click().run()
    assert at.query_params["rated"] == full
    (refused,) = [e.value for e in at.error]
    assert "Not added" in refused and "'Load saved ratings (CSV)'" in refused


def test_saved_ratings_load_back_as_they_were(home):
    """F2: a round trip. What "Save my ratings (CSV)" writes (``ratings_file``) reads back as
    the same ids and ratings, in order; text-like cells guarded against spreadsheets too."""
    model = _model("ml4")
    rows = {r: [0.5, 3.0, 5.0, 4.5][r % 4] for r in range(0, 400, 7)}
    table = pd.DataFrame(
        {
            "movie_id": [movie_id_of(model, r) for r in rows],
            "title": model.movies["title"].iloc[list(rows)].to_numpy(),
            "your rating": list(rows.values()),
        }
    )
    saved = spreadsheet.csv_text(ratings_file(model, table)).encode()
    loaded, notes = read_saved_ratings(model, saved)
    assert loaded == dict(zip(table["movie_id"], table["your rating"], strict=True))
    assert notes == []


def test_saved_ratings_of_another_data_set_move_by_identity(home):
    ml100, ml4 = _model("ml100"), _model("ml4")
    table = pd.DataFrame({"movie_id": [1, 50], "title": ["", ""], "your rating": [5.0, 2.0]})
    saved = spreadsheet.csv_text(ratings_file(ml100, table)).encode()
    with pytest.raises(DataError, match="no saved model here was trained on that data"):
        read_saved_ratings(ml4, saved)
    loaded, notes = read_saved_ratings(ml4, saved, source_of=lambda tag: ml100)
    assert loaded == {1: 5.0, 260: 2.0}  # Toy Story; Star Wars is 260 in ml-latest-small
    assert any("2 of its 2 movies are in ml-latest-small" in n for n in notes)


def test_a_bad_file_says_what_is_wrong(home):
    model = _model("ml4")
    with pytest.raises(DataError, match="no 'your rating' column .*movie_id, title, your rating"):
        read_saved_ratings(model, b"movie_id,rating\n1,5\n")
    with pytest.raises(DataError, match="holds no ratings"):
        read_saved_ratings(model, b"movie_id,your rating\n")
    with pytest.raises(DataError, match="is empty"):  # round 36: Home's reader's words
        read_saved_ratings(model, b"")
    body = "movie_id,your rating\n1,4\n2,9\n3,-1\n999999999,3\nx,4\n5,abc\n6,3.3\n"
    loaded, notes = read_saved_ratings(model, body.encode())
    assert loaded == {1: 4.0, 6: 3.5}
    said = " ".join(notes)
    assert "read as ml-latest-small's" in said
    assert "Skipped 2 row(s) that are off ml4's scale (0.5-5): 2: 9, 3: -1." in said
    assert "Skipped 1 row(s) that name movie ids ml-latest-small does not have: 999999999" in said
    assert "Skipped 2 row(s) that cannot be read" in said and "line 6 (x: 4)" in said
    assert "6: 3.3 → 3.5" in said


def test_load_says_merge_or_replace_and_what_did_not_fit():
    mine, loaded = {1: 4.0, 2: 3.0}, {2: 5.0, 3: 1.0}
    assert load_message("f.csv", {}, loaded, [], "merge") == "Loaded 2 ratings from f.csv."
    merged = load_message("f.csv", mine, loaded, [], "merge")
    assert "added them to your 2 (1 movie was in both" in merged and "3 in all" in merged
    replaced = load_message("f.csv", mine, loaded, [], "replace")
    assert "in place of your 2" in replaced
    many = {m: 4.0 for m in range(100_000, 110_000)}
    said = load_message("f.csv", {}, many, [], "replace")
    kept = len(fitting_ratings(many))
    assert f"the first {kept:,} are used and the other {10_000 - kept:,} are not" in said


def test_the_load_box_is_on_rate_with_and_without_ratings(home):
    for rated in ("", "1:4"):
        at = open_at("rate", model="ml4", **({"rated": rated} if rated else {}))
        assert any(e.label == "Load saved ratings (CSV)" for e in at.expander)
        assert at.button(key="rated_load")


def test_what_a_load_did_stays_until_the_ratings_change(home):
    """Left alone last stop: the load's message vanished on the next rerun (any click)."""
    at = open_at("rate", model="ml4", rated="1:4")
    at.session_state["rated_loaded"] = ("ok", "Loaded 1 ratings from mine.csv.", None)
    at.run()
    at.run()  # a rerun with nothing changed (a click elsewhere)
    assert any("Loaded 1 ratings from mine.csv." in s.value for s in at.success)
    at.query_params["rated"] = "1:4,2:3"
    at.run()
    assert not any("mine.csv" in s.value for s in at.success)


def test_a_data_set_named_without_its_fingerprint_is_read(home):
    """Recheck s34: a hand-made file whose dataset column says 'ml-latest-small' was refused on
    an ml-latest-small model ('made on ml-latest-small (data ml-lates) ... Open a model trained
    on ml-latest-small')."""
    from movierate.ui.your_ratings import _model_of_data

    ml4, ml100 = _model("ml4"), _model("ml100")
    plain = b"movie_id,your rating,dataset\n1,4.5,ml-latest-small\n260,2,ml-latest-small\n"
    loaded, notes = read_saved_ratings(ml4, plain)
    assert loaded == {1: 4.5, 260: 2.0}
    assert any("without the fingerprint Save writes" in n for n in notes)
    other = b"movie_id,your rating,dataset\n1,5,ml-100k\n"
    with pytest.raises(DataError, match=r"made on ml-100k, and no saved model") as refused:
        read_saved_ratings(ml4, other)
    assert "(data " not in str(refused.value)
    assert _model_of_data("ml-100k").name == ml100.name  # a name alone finds its data's model
    loaded, _ = read_saved_ratings(ml4, other, source_of=_model_of_data)
    assert loaded == {1: 5.0}  # Toy Story in both
