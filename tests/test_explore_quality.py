"""movierate.explore.quality: genre coherence on planted clusters against the exact baseline."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_explore_helpers import movies_table, planted_clusters

from movierate.errors import DataError
from movierate.explore import coherence_by_genre, genre_coherence
from movierate.explore.quality import genre_incidence, random_baseline

GENRES = ["Comedy", "Horror", "Western"]


def test_clusters_by_genre_are_perfectly_coherent():
    x, labels = planted_clusters(20, 8)
    movies = movies_table(60, genres=[[GENRES[c]] for c in labels])
    result = genre_coherence(x, movies, k=5, min_ratings=0)
    assert result.coherence == pytest.approx(1.0)
    assert result.baseline == pytest.approx(19 / 59)  # the 19 others of 59 share the genre
    assert result.lift == pytest.approx(59 / 19)
    assert result.n_movies == 60
    assert len(result.per_movie) == 60
    assert result.z_score == float("inf")  # every movie beats its baseline, no spread


def test_random_space_scores_near_its_baseline():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    movies = movies_table(600, genres=[[GENRES[c]] for c in labels])
    result = genre_coherence(rng.normal(size=(600, 8)), movies, k=10, min_ratings=0)
    assert abs(result.coherence - result.baseline) < 0.05
    assert abs(result.z_score) < 4


def test_exact_baseline_matches_a_seeded_permutation_estimate():
    rng = np.random.default_rng(1)
    pool = ["Action", "Comedy", "Drama", "Horror", "Romance"]
    genres = [list(rng.choice(pool, size=rng.integers(1, 3), replace=False)) for _ in range(80)]
    incidence = genre_incidence(genres)
    exact = random_baseline(incidence)
    shares = np.zeros(80)
    trials = 3000
    for _ in range(trials):
        for i in range(80):
            other = rng.integers(0, 79)
            other += other >= i  # a random other movie
            shares[i] += (incidence[i] & incidence[other]).any()
    np.testing.assert_allclose(shares / trials, exact, atol=0.04)


def test_filters_and_genre_breakdown():
    x, labels = planted_clusters(20, 8)
    genres = [[GENRES[c]] for c in labels]
    genres[0] = []  # a movie without genres is left out
    n_ratings = [50] * 60
    n_ratings[1] = 2  # an obscure movie is left out
    movies = movies_table(60, genres=genres, n_ratings=n_ratings)
    result = genre_coherence(x, movies, k=3, min_ratings=10)
    assert result.n_movies == 58
    assert not {0, 1} & set(result.per_movie["movie_idx"])
    table = coherence_by_genre(result)
    assert set(table.index) == set(GENRES)
    assert (table["coherence"] == 1.0).all() and (table["lift"] > 2).all()


def test_too_few_movies():
    with pytest.raises(DataError, match="needs more than 10"):
        genre_coherence(np.eye(5), movies_table(5), k=10, min_ratings=0)


def test_a_cap_keeps_the_most_rated_movies_and_counts_the_eligible():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 8))
    counts = rng.permutation(300) + 1
    movies = movies_table(300, genres=[[GENRES[i % 3]] for i in range(300)], n_ratings=counts)
    full = genre_coherence(x, movies, k=5, min_ratings=20)
    assert full.n_eligible == full.n_movies == (counts >= 20).sum() and not full.subsampled
    same = genre_coherence(x, movies, k=5, min_ratings=20, max_movies=1000)
    assert same.coherence == full.coherence and same.baseline == full.baseline
    capped = genre_coherence(x, movies, k=5, min_ratings=20, max_movies=50)
    assert capped.n_movies == 50 and capped.n_eligible == full.n_movies and capped.subsampled
    top = np.sort(np.argsort(-counts)[:50])
    np.testing.assert_array_equal(capped.per_movie["movie_idx"], top)
    subset = movies.iloc[top].reset_index(drop=True).assign(movie_idx=np.arange(len(top)))
    alone = genre_coherence(x[top], subset, k=5, min_ratings=0)  # its own rows 0..49
    assert capped.coherence == pytest.approx(alone.coherence)
    assert capped.baseline == pytest.approx(alone.baseline)


@pytest.mark.parametrize("n_genres", [6, 30])  # a sum over genre subsets; per genre set
def test_baseline_without_pairs_equals_the_pairwise_count(n_genres):
    rng = np.random.default_rng(5)
    incidence = rng.random((500, n_genres)) < 0.15  # some without a genre: -1 / (n - 1)
    pairwise = ((incidence.astype(int) @ incidence.T.astype(int)) > 0).sum(axis=1) - 1
    np.testing.assert_allclose(random_baseline(incidence), pairwise / 499)


def test_too_few_movies_with_a_genre_says_which_limit_applies():
    """Lowering the filter cannot help when too few movies have a genre at all."""
    import pandas as pd

    movies = pd.DataFrame(
        {
            "movie_id": range(6),
            "title": list("abcdef"),
            "year": [2000] * 6,
            "genres": ["Drama", "Drama", "Comedy", "(no genres listed)", "", ""],
            "n_ratings": [50, 50, 1, 1, 1, 1],
        }
    )
    x = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(DataError, match="Only 3 movies have a genre at all; genre coherence@5"):
        genre_coherence(x, movies, k=5, min_ratings=1)
    with pytest.raises(DataError, match=r"at least 10 ratings and a genre \(3 have a genre"):
        genre_coherence(x, movies, k=2, min_ratings=10)


def test_no_genres_at_all_is_said_without_advising_a_setting():
    """Views round 12: a dataset without genres was told "Only 0 movies have a genre at all,
    so lower k below that" by callers (the study) that have no k."""
    import pandas as pd

    movies = pd.DataFrame(
        {"movie_id": range(30), "title": list("abcdefghijklmnopqrstuvwxyz1234"),
         "year": [None] * 30, "genres": [""] * 30, "n_ratings": [50] * 30}
    )  # fmt: skip
    x = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(DataError) as raised:
        genre_coherence(x, movies, k=10, min_ratings=10)
    said = str(raised.value)
    assert "has a genre" in said and not re.search(r"\b(lower|k below|min_ratings)\b", said)
