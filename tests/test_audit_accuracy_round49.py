"""Accuracy review round 49: views that put models of different datasets side by side.

F0: the second row of a film ml-100k lists twice (Body Snatchers 573) was "not among the movies
of ml-latest-small", and Neighbours' "in all" and "held" left it out.
F1: Compare's 'Movie by movie' across datasets filtered by model A's training counts only.
F2: Explore's two-model view across datasets said nothing of what was matched.
F3: the match summary did not name films one IMDb id gives two rows; Rate movies' load said
"3 are left out" without names.
"""

from __future__ import annotations

import pandas as pd

from movierate import explore


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
