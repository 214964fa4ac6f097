"""Accuracy review round 49: views that put models of different datasets side by side.

F0: the second row of a film ml-100k lists twice (Body Snatchers 573) was "not among the movies
of ml-latest-small", and Neighbours' "in all" and "held" left it out.
F1: Compare's 'Movie by movie' across datasets filtered by model A's training counts only.
F2: Explore's two-model view across datasets said nothing of what was matched.
F3: the match summary did not name films one IMDb id gives two rows; Rate movies' load said
"3 are left out" without names.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, movierate_env, open_page

from movierate import explore
from movierate.data.identity import match_movies


def _twins_and_one() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A lists "Body Snatchers (1993)" twice (the second row less rated) and Fly Away Home
    once; B lists each once, in another order."""
    a = pd.DataFrame(
        {
            "movie_id": [1, 2, 3, 4],
            "title": ["Body Snatchers", "Fly Away Home", "Body Snatchers", "Kull the Conqueror"],
            "year": pd.array([1993, 1996, 1993, 1997], dtype="Int64"),
            "n_ratings": [60, 40, 33, 5],
        }
    )
    a["identity"] = [
        "title:body snatchers|1993",
        "title:fly away home|1996",
        "title:body snatchers|1993",
        "title:kull the conqueror|1997",
    ]
    b = pd.DataFrame(
        {
            "movie_id": [10, 20, 30],
            "title": ["Fly Away Home", "Heat", "Body Snatchers"],
            "year": pd.array([1996, 1995, 1993], dtype="Int64"),
            "n_ratings": [9, 8, 7],
            "identity": [
                "title:fly away home|1996",
                "title:heat|1995",
                "title:body snatchers|1993",
            ],
        }
    )
    return a, b


def test_either_row_of_a_film_listed_twice_finds_the_film_in_another_dataset():
    a, b = _twins_and_one()
    assert explore.movie_match(a, b).a_idx.tolist() == [0, 1]  # one row per film is paired
    assert explore.matching_row(a, 0, b) == 2
    assert explore.matching_row(a, 2, b) == 2  # was None: "not among the movies of B"
    assert explore.matching_row(a, 3, b) is None  # a film B lacks stays unmatched
    assert explore.matching_rows(a, [2, 1, 3], b).tolist() == [2, 0, -1]
    assert explore.held_by_all(a, [2, 1, 3], [b]).tolist() == [True, True, False]


def test_a_neighbour_list_and_another_datasets_list_share_a_film_by_either_row():
    """Neighbours' "in all": A's list holds the twin row 2, B's list the film; one film."""
    a, b = _twins_and_one()
    from_a = explore.matching_films(a, [2, 1], a)
    from_b = explore.matching_films(b, [2, 0], a)
    assert from_a.tolist() == from_b.tolist() == [0, 1]
    assert explore.matching_films(b, [1], a).tolist() == [-1]


def _two_datasets(n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Two datasets' tables sharing ``n`` films (B in reverse order, plus films of its own)
    whose counts differ: the films A rates much, B rates little, and the other way round."""
    rng = np.random.default_rng(49)
    titles = [f"Film {i}" for i in range(n)]
    a = pd.DataFrame(
        {
            "movie_id": np.arange(1, n + 1),
            "title": titles,
            "year": pd.array([1990] * n, dtype="Int64"),
            "genres": ["Drama"] * n,
            "n_ratings": np.where(np.arange(n) % 3 == 0, 2, 50),
        }
    )
    b_titles = titles[::-1] + ["Elsewhere 1", "Elsewhere 2"]
    b = pd.DataFrame(
        {
            "movie_id": np.arange(500, 500 + n + 2),
            "title": b_titles,
            "year": pd.array([1990] * (n + 2), dtype="Int64"),
            "genres": ["Drama"] * (n + 2),
            "n_ratings": [3 if int(t.split()[1]) % 4 == 0 else 40 for t in b_titles],
        }
    )
    return a, b, rng.normal(size=(n, 4)), rng.normal(size=(n + 2, 4))


def test_compare_across_datasets_counts_each_models_ratings_as_explore_does():
    a, b, x_a, x_b = _two_datasets()
    sets = explore.neighbour_sets(x_a, a, x_b, b, min_ratings=10, k_max=5)
    films = np.arange(60)
    both = int(((films % 3 != 0) & (films % 4 != 0)).sum())  # was 40: A's counts only
    assert (sets.counts_from, sets.n_eligible) == ("both", both)
    rotation = explore.procrustes_alignment(x_a, a, x_b, b, min_ratings=10)
    layout = explore.align_models(x_a, a, x_b, b, min_ratings=10)
    assert sorted(rotation.rows_a.tolist()) == sorted(layout.rows_a.tolist())
    assert len(layout.rows_a) == both
    assert abs(rotation.residual - layout.residual) < 1e-9  # no longer "can differ a little"
    assert "each model's training rows" not in (sets.notice() or "")
    # one dataset's two models still count model A's ratings
    same = explore.neighbour_sets(x_a, a, x_a[::-1].copy(), a, min_ratings=10, k_max=5)
    assert (same.counts_from, same.n_eligible) == ("A", 40)


# --- the pages, on two quick models of ml-100k and ml-latest-small -----------------------------

K100, LATEST = "r49-100k", "r49-latest"


@pytest.fixture(scope="module")
def two_datasets_home(tmp_path_factory, movielens_dir: Path) -> Path:
    """A MOVIERATE_HOME with a small mf_bias model of ml-100k and one of ml-latest-small."""
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("round49-home")
    with movierate_env(home, movielens_dir):
        for dataset, name in (("ml-100k", K100), ("ml-latest-small", LATEST)):
            train_and_save(dataset, ModelSpec(family="mf_bias", dim=8, epochs=2), name)
    return home


@pytest.fixture
def home49(two_datasets_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(two_datasets_home))
    return two_datasets_home


def test_neighbours_finds_a_film_by_either_of_its_ml100k_rows(home49):
    """Body Snatchers (1993) is ml-100k 573 and its twin: both picks find ml-latest-small's."""
    at = open_page("pages/neighbours.py", models=[K100, LATEST], q="Body Snatchers (1993)")
    picker = at.selectbox(key="candidate")
    rows = [i for i, o in enumerate(picker.options) if o.startswith("Body Snatchers (1993),")]
    assert len(rows) == 2
    for option in rows:
        picker.select_index(option).run()
        assert_clean(at)
        warnings = " ".join(w.value for w in at.warning)
        assert "Not in this model's data" not in warnings
        assert any(c.value.startswith("In ml-latest-small: Body Snatchers") for c in at.caption)
        picker = at.selectbox(key="candidate")


def test_compare_and_explore_keep_the_same_movies_across_datasets(home49):
    """Compare counted model A's ratings only and said its numbers 'can differ a little'
    from Explore's (m16 vs ls16: 2,698 movies against 1,121)."""
    at = open_page("pages/compare.py", models=[K100, LATEST], section="Movie by movie")
    (said,) = [i.value for i in at.info if "Neighbour overlap and the rotation use" in i.value]
    assert "ratings each model trained on (r49-100k on ml-100k, r49-latest on" in said
    assert "differ a little" not in said
    used = int(re.search(r"use the ([\d,]+) matched movies", said).group(1).replace(",", ""))
    residual = next(m.value for m in at.metric if m.label == "Procrustes residual")
    at = open_page("pages/explore.py", model=K100, model_b=LATEST, view="align")
    captions = " ".join(c.value for c in at.caption)
    assert f"{used:,} common movies; residual after the best rotation and scaling {residual}" in (
        captions
    )
    assert "differ a little" not in captions
    # F2: what was matched and what was left out, as Compare and Neighbours say it
    assert re.search(r"[\d,]+ of 1,682 ml-100k movies found in ml-latest-small", captions)
    assert "Emma (1996)" in captions  # left out as ambiguous, named


def test_the_match_summary_names_a_film_one_imdb_id_gives_two_rows():
    """ml-100k's Twilight (1998) 911 (4 ratings) and "Magic Hour, The (1998)" 1592 (5) share
    an IMDb id: the more-rated row is paired, and the summary names it."""
    a = pd.DataFrame(
        {
            "movie_id": [911, 1592, 7],
            "title": ["Twilight", "Magic Hour, The", "Heat"],
            "year": pd.array([1998, 1998, 1995], dtype="Int64"),
            "n_ratings": [4, 5, 9],
            "identity": ["imdb:0119594", "imdb:0119594", "title:heat|1995"],
        }
    )
    b = pd.DataFrame(
        {
            "movie_id": [1791, 6],
            "title": ["Twilight", "Heat"],
            "year": pd.array([1998, 1995], dtype="Int64"),
            "n_ratings": [12, 30],
            "identity": ["imdb:0119594", "title:heat|1995"],
        }
    )
    match = match_movies(a, b, name_a="ml-100k", name_b="ml-latest-small")
    assert match.a_to_b().tolist() == [-1, 0, 1]
    assert (
        "1 film had several rows of one title and year (or one IMDb id) to pair with (Magic "
        in (match.summary())
    )
    back = match_movies(b, a)  # the other way: Twilight pairs the more-rated of the two
    assert back.a_to_b().tolist() == [1, 2] and "(Twilight (1998))" in back.summary()
    a.loc[0, "n_ratings"] = 5  # counts tie: the first row, said so
    assert "no rating counts tell them apart" in match_movies(a, b).summary()


def test_loading_ratings_of_another_dataset_names_the_films_left_out_and_why():
    from movierate.ui.your_ratings import _left_out_text

    def model(name: str, titles: list[str], years: list[int]) -> SimpleNamespace:
        movies = pd.DataFrame(
            {
                "movie_id": np.arange(1, len(titles) + 1) * (10 if name == "b" else 1),
                "title": titles,
                "year": pd.array(years, dtype="Int64"),
                "n_ratings": [5] * len(titles),
            }
        )
        if name == "b":  # two films "Emma (1996)", as in ml-latest-small
            movies["identity"] = ["imdb:0116191", "imdb:0118308", "title:heat|1995"]
        return SimpleNamespace(movies=movies, dataset_name=f"set-{name}")

    source = model("a", ["Emma", "Beauty", "Heat"], [1996, 1998, 1995])
    here = model("b", ["Emma", "Emma", "Heat"], [1996, 1996, 1995])
    said = _left_out_text(source, here, {1: 2.0, 2: 1.0})
    assert "Beauty (1998) is not in set-b" in said
    assert "Emma (1996) shares a title and year with another film of set-a or set-b" in said
    assert _left_out_text(source, here, {}) == ""


def test_ratings_of_both_rows_of_one_film_moved_to_another_dataset_say_which_counts():
    """Recheck 12, M1: a file rating both ml-100k rows of three films, loaded onto an
    ml-latest-small model, said "4 of its 7 movies are in ..., 3 are left out": none was left
    out; the later rating of each film counts, and the note names them."""
    from movierate.ui.your_ratings import _moved_by_identity, _replaced_text

    a, b = _twins_and_one()
    source = SimpleNamespace(movies=a, rating_scale=(1, 5), dataset_name="set-a", name="ma")
    model = SimpleNamespace(movies=b, rating_scale=(1, 5), dataset_name="set-b", name="mb")
    moved, left, replaced = _moved_by_identity(source, model, {1: 5.0, 2: 4.0, 3: 1.0, 4: 2.0})
    assert moved == {30: 1.0, 10: 4.0} and left == {4: 2.0} and replaced == [(1, 3)]
    said = _replaced_text(source, replaced)
    named = "(Body Snatchers (1993): ids 1 and 3)"  # both ids (recheck 13, L1)
    assert f"1 film is rated under both of its ids in set-a {named}" in said
    assert said.endswith("only the later rating of each counts (the second id named).")
    assert _replaced_text(source, []) == ""
