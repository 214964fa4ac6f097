"""Accuracy round 56, F1: Rate movies took ratings of movies the model never trained on (a
by-date split's newest films, every rating of them a test row), offered them with counts of
test rows, fitted the user to their random start and blamed the prior ("rate many more")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, movierate_env, open_page

#: Films 1-8 are rated early by every user; 9 and 10 only late, so a by-date split holding out
#: the latest fifth of the rows trains on neither.
OLD = {m: f"Old Film {chr(64 + m)} (1990)" for m in range(1, 9)}
NEW = {9: "Brand New One (2016)", 10: "Newest Two (2017)"}
MODEL = "bydate"


@pytest.fixture(scope="module")
def bydate_home(tmp_path_factory, movielens_dir: Path) -> Path:
    """A home with ``bydate``: mf_bias on 10 users x 10 films, split by date (20% test)."""
    from movierate.data import from_csv
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("acc56")
    # the films' means spread (1-5), so the model ranks them and its picks are not tied
    early = [
        (u, m, min(5, m % 5 + 1 + u % 2), 1_000 + 10 * u + m) for u in range(1, 11) for m in OLD
    ]
    late = [(u, m, (u + m) % 5 + 1, 10_000 + 10 * u + m) for u in range(1, 11) for m in NEW]
    columns = ["user", "item", "rating", "timestamp"]
    pd.DataFrame(early + late, columns=columns).to_csv(home / "r.csv", index=False)
    films = {**OLD, **NEW}
    items = pd.DataFrame({"item": list(films), "title": list(films.values()), "genres": "Drama"})
    items.to_csv(home / "i.csv", index=False)
    with movierate_env(home, movielens_dir):
        ds = from_csv(home / "r.csv", home / "i.csv", save_as="bydate", rating_scale=(1, 5, 1))
        spec = ModelSpec(family="mf_bias", dim=2, epochs=30, learning_rate=0.05, batch_size=16)
        train_and_save(ds, spec, MODEL, split_params={"method": "time", "test_fraction": 0.2})
    return home


@pytest.fixture
def home(bydate_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(bydate_home))
    return bydate_home


def _model():
    from movierate import store

    return store.load_model(MODEL)


def _row(model, movie_id: int) -> int:
    return int(np.flatnonzero(model.movies["movie_id"].to_numpy() == movie_id)[0])


def test_the_fixture_leaves_the_new_films_untrained(home):
    from movierate.explore.recommend import untrained

    model = _model()
    cold = untrained(model.movies)
    assert [bool(cold[_row(model, m)]) for m in (1, 9, 10)] == [False, True, True]


def test_a_rating_of_an_untrained_movie_is_left_out_of_the_fit(home):
    from movierate import explore

    model = _model()
    warm, cold = _row(model, 1), _row(model, 9)
    both = explore.recommend_from_ratings(model, {warm: 5.0, cold: 5.0}, k=3)
    alone = explore.recommend_from_ratings(model, {warm: 5.0}, k=3)
    np.testing.assert_allclose(both.fold.vector, alone.fold.vector)
    assert both.fold.bias == pytest.approx(alone.fold.bias)
    assert list(both.fold.rows) == [warm] and list(both.fold.left_out) == [cold]
    assert "Fitted to 1 rating(s)" in both.message
    assert "1 rating you gave is not used" in both.message
    assert "rate a few more movies the model trained on" in both.message
    assert cold not in set(both.recommended["movie_idx"])


def test_only_untrained_movies_rated_is_a_clear_error_not_rate_more(home):
    from movierate import explore
    from movierate.errors import DataError

    model = _model()
    with pytest.raises(DataError, match="no training rating of any of the 2 movies") as error:
        explore.recommend_from_ratings(model, {_row(model, 9): 5.0, _row(model, 10): 1.0})
    assert "rate many more" not in str(error.value)


def _said(at) -> str:
    return " ".join(str(e.value) for e in [*at.info, *at.warning, *at.caption, *at.success])


def test_rate_marks_and_names_an_untrained_rating_and_fits_the_others(home):
    at = open_page("pages/rate.py", model=MODEL, rated="1:5,2:4,9:5")
    said = _said(at)
    assert "has no training rating of 1 of the 3 movies you rated" in said
    assert "Brand New One (2016)" in said and "left out of the fit" in said
    assert "Fitted to 2 rating(s)" in said and "1 rating you gave is not used" in said
    assert "fits a user vector to your ratings of movies it trained on" in said  # the page's
    notes = dict(zip(at.dataframe[0].value["title"], at.dataframe[0].value["note"], strict=True))
    assert notes["Brand New One"] == "not used: no training rating", notes
    assert notes["Old Film A"] == ""
    assert at.query_params["rated"] == "1:5,2:4,9:5"  # the input is kept


def test_rate_with_only_untrained_ratings_says_so_and_not_rate_more(home):
    at = open_page("pages/rate.py", model=MODEL, rated="9:5,10:5")
    said = _said(at)
    assert "has no training rating of any of the 2 movies you rated" in said
    assert "nothing to fit yet" in said
    assert "rate many more" not in said and "rate a few more" not in said
    assert not [h for h in at.header if h.value == "Recommended for you"]
    assert at.query_params["rated"] == "9:5,10:5"


def test_rate_search_counts_what_the_model_trained_on(home):
    at = open_page("pages/rate.py", model=MODEL)
    at.text_input(key="rate_q").set_value("brand new").run()
    assert_clean(at)
    labels = list(at.selectbox(key="rate_pick").options)
    assert any(
        label.startswith("Not trained on: Brand New One (2016), 10 ratings") for label in labels
    ), labels  # recheck 16a, F1: first, where a narrow box cannot cut it off
    assert any(f"{MODEL} trained on 0" in label for label in labels), labels
    at.button(key="rate_add").click().run()
    assert "(not used: bydate has no training rating of it" in _said(at)


def test_a_loaded_file_keeps_an_untrained_rating_and_the_page_marks_it(home):
    """The file path reads into the same list: kept (never lost), then marked as a link is."""
    from movierate.ui.your_ratings import read_saved_ratings

    model = _model()
    data = b"movie_id,your rating\n1,5\n9,5\n"
    loaded, _ = read_saved_ratings(model, data)
    assert loaded == {1: 5.0, 9: 5.0}
    at = open_page("pages/rate.py", model=MODEL, rated="1:5,9:5")
    assert "has no training rating of 1 of the 2 movies you rated" in _said(at)
