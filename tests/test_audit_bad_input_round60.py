"""Bad-input review round 60: ids that look alike.

F1: an imported dataset's ids of one title and year ("Hamlet (1990)" 100 and 101; "Heat",
"HEAT" and "Heat "; Amélie precomposed and decomposed) were one film in every list, unsaid.
F2: Rate movies dropped the rating of one of them as "rated twice".
F3: across two imports, the equal raw id 100 paired one "Hamlet (1990)" and the other was called
"not among the movies" of a dataset that holds its title.
F4: the import said 2^53 "is not written as a whole number" and named one pair of 7/007/7.0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env, open_page

from movierate.data import from_csv, load_dataset
from movierate.data.identity import match_movies
from movierate.explore.neighbours import NeighbourIndex
from movierate.explore.twins import film_of_row, twin_count

TITLES = {
    "100": "Hamlet (1990)",
    "101": "Hamlet (1990)",
    "102": "Am\u00e9lie (2001)",
    "103": "Ame\u0301lie (2001)",
    "104": "Heat (1995)",
    "105": "HEAT (1995)",
    "106": "Heat (1995) ",
    "7": "Seven (1995)",
}


def _import(folder: Path, titles: dict[str, str], name: str | None = None):
    """A dataset of ``titles`` (id -> title) and 20 fillers, each movie rated by most users."""
    titles = titles | {str(300 + i): f"Filler {name or 'x'}{i} (1999)" for i in range(20)}
    rng = np.random.default_rng(len(titles))
    rows = [
        f"{user},{movie},{rng.integers(1, 6)}"
        for user in range(1, 31)
        for movie in titles
        if rng.random() < 0.8
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "r.csv").write_text("user,item,rating\n" + "\n".join(rows) + "\n", "utf-8")
    items = "".join(f'{movie},"{title}"\n' for movie, title in titles.items())
    (folder / "m.csv").write_text("item,title\n" + items, "utf-8")
    return from_csv(folder / "r.csv", folder / "m.csv", save_as=name)


def _row(movies: pd.DataFrame, movie_id: str) -> int:
    return int(np.flatnonzero(movies["movie_id"].astype(str).to_numpy() == movie_id)[0])


def test_an_imports_ids_of_one_title_stay_different_movies_in_every_list(tmp_path):
    ds = _import(tmp_path, TITLES)
    assert film_of_row(ds.movies) is None and twin_count(ds.movies) == 0
    embedding = np.random.default_rng(0).normal(size=(len(ds.movies), 4)).astype(np.float32)
    index = NeighbourIndex(embedding, ds.movies)
    for movie in ("100", "104", "105"):
        near = index.nearest(_row(ds.movies, movie), k=len(ds.movies), min_ratings=0)
        assert len(near) == len(ds.movies) - 1  # every other id, Hamlet 101 and the Heats too
    (notice,) = [w for w in ds.warnings if "stays a movie of its own" in w]
    assert "ids 100 and 101 are both titled 'Hamlet (1990)'" in notice
    assert "ids 104, 105 and 106 are titled 'Heat (1995)', 'HEAT (1995)' and" in notice
    assert "give them one id in your file" in notice


def test_a_shared_imdb_id_and_ml100k_still_make_one_film(tmp_path, movielens_dir):
    """What the data says stays: one IMDb id on two rows, and ml-100k's 19 films listed twice."""
    movies = pd.DataFrame(
        {
            "movie_id": [1, 2, 3],
            "title": ["Twilight", "Magic Hour, The", "Heat"],
            "year": pd.array([1998, 1998, 1995], dtype="Int64"),
            "identity": ["imdb:0119594", "imdb:0119594", "title:heat|1995"],
        }
    )
    assert film_of_row(movies).tolist() == [0, 0, 2]
    with movierate_env(tmp_path, movielens_dir):
        ml100k = load_dataset("ml-100k").movies
    assert twin_count(ml100k) == 19
    amy = [_row(ml100k, "246"), _row(ml100k, "268")]
    assert film_of_row(ml100k)[amy].tolist() == [amy[0], amy[0]]


def test_rate_movies_keeps_the_ratings_of_two_ids_of_one_title(tmp_path, monkeypatch):
    from movierate.ui import your_ratings

    said: list[str] = []
    monkeypatch.setattr(your_ratings.st, "info", lambda text, **_: said.append(text))
    ds = _import(tmp_path, TITLES)
    model = type("Model", (), {"movies": ds.movies, "dataset_name": "mine"})()
    rows = {_row(ds.movies, m): 5.0 for m in ("100", "101", "102", "103", "104", "105", "106")}
    assert your_ratings._one_rating_per_film(model, rows) == rows and not said
    # a film listed twice (ml-100k's Chasing Amy) keeps one rating, and the note names both ids
    twins = pd.DataFrame(
        {
            "movie_id": [246, 268],
            "title": ["Chasing Amy", "Chasing Amy"],
            "year": pd.array([1997, 1997], dtype="Int64"),
            "identity": ["title:chasing amy|1997"] * 2,
        }
    )
    model = type("Model", (), {"movies": twins, "dataset_name": "ml-100k"})()
    assert your_ratings._one_rating_per_film(model, {0: 5.0, 1: 1.0}) == {1: 1.0}
    assert "Chasing Amy (1997)\u2069: ids 246 and 268" in said[0]  # isolated: bidi-safe


def test_several_films_of_one_title_against_one_are_left_unmatched_and_named(tmp_path):
    a = _import(tmp_path / "a", TITLES, "a").movies
    c = _import(tmp_path / "c", {"100": "Hamlet (1990)", "999": "Heat (1995)"}, "c").movies
    match = match_movies(a, c, name_a="idsa", name_b="idsc")
    paired = set(a["movie_id"].to_numpy()[match.a_idx].astype(str))
    assert not paired & {"100", "101", "104", "105", "106"}  # the equal id 100 decides nothing
    assert {_row(a, "100"), _row(a, "101")} <= set(match.tied_rows)
    assert "with another film of idsa or idsc (" in match.summary()
    assert "Hamlet (1990)" in match.summary()
    back = match_movies(c, a, name_a="idsc", name_b="idsa")
    assert back.n_matched == 0 and "Heat (1995)" in back.summary()
    assert "2 films of idsc share a title and year" in back.summary()


def test_neighbours_says_a_film_left_unmatched_is_ambiguous_not_missing(tmp_path, movielens_dir):
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path / "home"
    with movierate_env(home, movielens_dir):
        _import(tmp_path / "a", TITLES, "idsa")
        _import(tmp_path / "c", {"100": "Hamlet (1990)"}, "idsc")
        for dataset, name in (("idsa", "ma"), ("idsc", "mc")):
            train_and_save(dataset, ModelSpec(family="mf_bias", dim=4, epochs=1), name)
        at = open_page("pages/neighbours.py", models=["ma", "mc"], q="Hamlet")
        warnings = [w.value for w in at.warning]
    assert any("**Ambiguous:** Hamlet (1990) shares its title and year" in w for w in warnings)
    assert not any("is not among the movies of" in w for w in warnings), warnings


@pytest.mark.parametrize("text_id", ["tt0111161", "x1"])
def test_the_spellings_notice_names_every_spelling_and_the_true_reason(tmp_path, text_id):
    rows = ["1,7,4", "2,007,3", "3,7.0,5", f"4,{text_id},2", "5,9007199254740992,3"]
    (tmp_path / "r.csv").write_text("user,item,rating\n" + "\n".join(rows) + "\n", "utf-8")
    ds = from_csv(tmp_path / "r.csv")
    (notice,) = [w for w in ds.warnings if "one number written" in w]
    assert "movie ids '7', '007' and '7.0' are one number written three ways" in notice
    assert "they count as three movies" in notice
    assert f"('{text_id}' is not written as a whole number)" in notice


def test_a_list_tells_apart_two_films_of_one_title_by_their_ids(tmp_path):
    """F5: Neighbours and Recommend tables showed two "Heat (1995)" rows (ids 105 and 106 of an
    import, "HEAT" and "Heat ") with nothing to tell them apart."""
    from movierate.ui.widgets import with_ids_where_alike

    ds = _import(tmp_path, TITLES)
    embedding = np.random.default_rng(0).normal(size=(len(ds.movies), 4)).astype(np.float32)
    near = NeighbourIndex(embedding, ds.movies).nearest(
        _row(ds.movies, "100"), k=len(ds.movies), min_ratings=0
    )
    shown = with_ids_where_alike(near).set_index("movie_id")["title"]
    assert [shown[m].rsplit(" · id ", 1)[-1] for m in (104, 105, 106)] == ["104", "105", "106"]
    assert " · id " not in shown[101]  # Hamlet 101 is the only Hamlet in Hamlet 100's list
