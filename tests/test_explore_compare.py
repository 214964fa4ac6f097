"""movierate.explore.compare: Jaccard@k, prediction agreement and Procrustes on known cases."""

from __future__ import annotations

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import (
    NEIGHBOUR_CAP,
    align_movies,
    neighbour_overlap,
    neighbour_sets,
    prediction_agreement,
    procrustes_alignment,
    procrustes_overlay,
)
from movierate.explore.neighbours import MEMO_K
from movierate.explore.validation import most_rated


def _space(n=120, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), movies_table(n)


def _rotation(dim, seed=1):
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))[0]


def test_procrustes_recovers_a_known_rotation_scale_and_shift():
    a, movies = _space()
    q = _rotation(6)
    b = 0.5 * a @ q + 3.0  # B is A rotated, shrunk and moved
    result = procrustes_alignment(a, movies, b, movies, min_ratings=0)
    assert result.residual < 1e-6
    assert result.scale == pytest.approx(2.0, rel=1e-6)
    np.testing.assert_allclose(result.rotation, q.T, atol=1e-6)
    np.testing.assert_allclose(result.aligned_b, a - a.mean(axis=0), atol=1e-5)


def test_procrustes_residual_is_large_for_unrelated_spaces():
    a, movies = _space(seed=0)
    b, _ = _space(seed=5)
    assert procrustes_alignment(a, movies, b, movies, min_ratings=0).residual > 0.7


def test_procrustes_across_dimensions_by_padding_and_by_pca():
    a, movies = _space(dim=4)
    b = np.hstack([a @ _rotation(4), np.zeros((len(a), 2))]) @ _rotation(6, seed=2)  # dim 6
    padded = procrustes_alignment(a, movies, b, movies, min_ratings=0, dims="pad")
    assert padded.dim == 6 and padded.residual < 1e-6
    reduced = procrustes_alignment(a, movies, b, movies, min_ratings=0, dims="pca")
    assert reduced.dim == 4 and reduced.residual < 1e-5
    overlay = procrustes_overlay(padded, movies)
    assert list(overlay["model"].unique()) == ["A", "B"]
    assert len(overlay) == 2 * len(movies)
    assert overlay["displacement"].max() < 1e-5


def test_movies_are_aligned_by_movie_id_not_by_row():
    a, movies = _space()
    order = np.random.default_rng(3).permutation(len(a))
    shuffled = movies.iloc[order].reset_index(drop=True)
    shuffled["movie_idx"] = np.arange(len(a))
    rows_a, rows_b = align_movies(movies, shuffled)
    np.testing.assert_array_equal(order[rows_b], rows_a)
    b = a[order] @ _rotation(6)
    overlap = neighbour_overlap(a, movies, b, shuffled, k=5, min_ratings=0)
    assert (overlap["jaccard"] == 1.0).all()  # a rotation keeps every cosine neighbour
    assert procrustes_alignment(a, movies, b, shuffled, min_ratings=0).residual < 1e-6


def test_jaccard_of_unrelated_spaces_is_low_and_exact_per_movie():
    a, movies = _space(n=300)
    b, _ = _space(n=300, seed=9)
    overlap = neighbour_overlap(a, movies, b, movies, k=10, min_ratings=0)
    assert overlap["jaccard"].mean() < 0.15
    assert (overlap["jaccard"] == overlap["n_common"] / (20 - overlap["n_common"])).all()


def test_prediction_agreement_numbers():
    a = np.array([3.0, 4.0, 2.5, 5.0])
    same = prediction_agreement(a, a)
    assert same.rmse_between == 0 and same.pearson == pytest.approx(1.0)
    shifted = prediction_agreement(a, a + 0.5, truth=a)
    assert shifted.rmse_between == pytest.approx(0.5)
    assert shifted.mae_between == pytest.approx(0.5)
    assert shifted.pearson == pytest.approx(1.0) and shifted.spearman == pytest.approx(1.0)
    assert shifted.rmse_a == 0 and shifted.rmse_b == pytest.approx(0.5)
    reversed_ = prediction_agreement(a, -a)
    assert reversed_.spearman == pytest.approx(-1.0)
    assert "rmse_between" in shifted.as_frame().index


class _Predictor:
    """Predicts level + taste: user and movie levels shared, user x movie vectors its own."""

    def __init__(self, levels, users, movies):
        self.levels, self.users, self.movies = levels, users, movies
        self.n_users, self.n_movies = len(users), len(movies)

    def predict(self, user_idx, movie_idx):
        user_level, movie_level = self.levels
        taste = np.einsum("ij,ij->i", self.users[user_idx], self.movies[movie_idx])
        return 3.5 + user_level[user_idx] + movie_level[movie_idx] + taste


def test_agreement_beyond_the_levels_is_about_taste_not_the_shared_levels():
    """Accuracy review round 5: two models trained on shuffled ratings (both worse than the
    mean) correlated 0.86 on raw predictions, against 0.97 for two real ones."""
    from movierate.explore.compare import beyond_levels_correlation

    rng = np.random.default_rng(2)
    levels = (rng.normal(0, 0.4, 400), rng.normal(0, 0.5, 500))
    taste = lambda seed: np.random.default_rng(seed).normal(0, 0.3, (900, 4))  # noqa: E731
    a = _Predictor(levels, taste(1)[:400], taste(2)[:500])
    b = _Predictor(levels, taste(3)[:400], taste(4)[:500])  # other taste, the same levels
    users, movies = rng.integers(0, 400, 5000), rng.integers(0, 500, 5000)
    raw = prediction_agreement(a.predict(users, movies), b.predict(users, movies)).pearson
    beyond = beyond_levels_correlation(a, b).pearson
    assert raw > 0.8 and abs(beyond) < 0.05
    same_taste = _Predictor((levels[0] * 0, levels[1] * 0), a.users, a.movies)
    assert beyond_levels_correlation(a, same_taste).pearson > 0.99


def _double_centred(table: np.ndarray) -> np.ndarray:
    return (table - table.mean(1, keepdims=True) - table.mean(0) + table.mean()).ravel()


def test_beyond_levels_is_the_full_grid_or_says_it_is_a_sample():
    """Accuracy review round 19b, F2: the number came from one 300 x 300 sample grid (0.81)
    under no word of sampling, while every user x every movie named gives 0.82."""
    from movierate.explore.compare import beyond_levels_correlation

    rng = np.random.default_rng(5)
    levels = (rng.normal(0, 0.4, 400), rng.normal(0, 0.5, 500))
    a = _Predictor(levels, rng.normal(0, 0.3, (400, 4)), rng.normal(0, 0.3, (500, 4)))
    b = _Predictor(levels, a.users + rng.normal(0, 0.3, (400, 4)), a.movies)
    movies = np.arange(0, 500, 2)  # the movies named: 400 x 250 cells
    users = np.arange(400)
    tables = [
        m.predict(np.repeat(users, len(movies)), np.tile(movies, len(users))).reshape(400, -1)
        for m in (a, b)
    ]
    exact = np.corrcoef(*map(_double_centred, tables))[0, 1]
    full = beyond_levels_correlation(a, b, movies=movies)
    assert (full.n_users, full.n_movies, full.sampled) == (400, 250, False)
    assert full.pearson == pytest.approx(exact, abs=1e-9)
    assert full.grid_text() == "every pair of the 400 users x 250 movies"
    sampled = beyond_levels_correlation(a, b, movies=movies, max_cells=20_000)
    assert sampled.sampled and sampled.n_users * sampled.n_movies <= 20_000 // 5
    assert sampled.low <= sampled.pearson <= sampled.high
    assert abs(sampled.pearson - exact) < 0.05
    text = sampled.grid_text()
    assert f"random samples of {sampled.n_users:,} users x {sampled.n_movies:,} movies" in text
    assert f"{sampled.low:.2f} to {sampled.high:.2f}" in text


def test_bad_input():
    a, movies = _space()
    other = movies_table(  # other ids AND other films: nothing to pair
        len(a), movie_ids=np.arange(len(a)) + 10_000, titles=[f"Film {i}" for i in range(len(a))]
    )
    with pytest.raises(DataError, match="share no movie"):
        neighbour_overlap(a, movies, a, other)
    with pytest.raises(DataError, match="same length"):
        prediction_agreement([1.0, 2.0], [1.0])
    with pytest.raises(DataError, match="Unknown dims"):
        procrustes_alignment(a, movies, a, movies, dims="cut")


# --- across datasets: movies paired by identity, never by raw movie_id -------------------------

_FILMS = [
    ("Usual Suspects, The", 1995),
    ("Star Wars", 1977),
    ("Fargo", 1996),
    ("Toy Story", 1995),
    ("Heat", 1995),
    ("Casablanca", 1942),
    ("Vertigo", 1958),
    ("Alien", 1979),
    ("Aliens", 1986),
    ("Brazil", 1985),
    ("Amadeus", 1984),
    ("Jaws", 1975),
]


def _two_datasets():
    """A: 12 films; B: the same films (titles written another way, reordered, other ids that
    collide with A's ids for other films) plus 3 films A lacks."""
    n = len(_FILMS)
    titles_a = [t for t, _ in _FILMS]
    years_a = [y for _, y in _FILMS]
    movies_a = movies_table(n, titles=titles_a, years=years_a, movie_ids=np.arange(n) + 1)
    order = np.random.default_rng(4).permutation(n)
    extra = [("Blade Runner", 1982), ("Rocky", 1976), ("Psycho", 1960)]
    titles_b = [
        "The Usual Suspects" if titles_a[i].endswith(", The") else titles_a[i] for i in order
    ] + [t for t, _ in extra]
    years_b = [years_a[i] for i in order] + [y for _, y in extra]
    # ids 1..15 again: id 1 is another film in B, as id 50 is across MovieLens releases
    movies_b = movies_table(n + 3, titles=titles_b, years=years_b, movie_ids=np.arange(n + 3) + 1)
    return movies_a, movies_b, order


def test_movies_of_two_datasets_are_aligned_by_identity_not_by_id():
    movies_a, movies_b, order = _two_datasets()
    rows_a, rows_b = align_movies(movies_a, movies_b)
    assert len(rows_a) == len(_FILMS)
    # row j of B holds film order[j] of A
    np.testing.assert_array_equal(order[rows_b], rows_a)
    assert (
        movies_a["movie_id"].to_numpy()[rows_a] != movies_b["movie_id"].to_numpy()[rows_b]
    ).any()
    titles_b = movies_b["title"].to_numpy()[rows_b]
    assert titles_b[list(rows_a).index(0)] == "The Usual Suspects"


def test_neighbours_and_procrustes_across_datasets_use_the_matched_films():
    movies_a, movies_b, order = _two_datasets()
    rng = np.random.default_rng(0)
    a = rng.normal(size=(len(movies_a), 4))
    b = np.vstack([a[order] @ _rotation(4), rng.normal(size=(3, 4))])  # B's extra films: noise
    overlap = neighbour_overlap(a, movies_a, b, movies_b, k=3, min_ratings=0)
    assert len(overlap) == len(movies_a)
    assert (overlap["jaccard"] == 1.0).all()  # same films, rotated: same neighbours
    assert procrustes_alignment(a, movies_a, b, movies_b, min_ratings=0).residual < 1e-6
    # pairing by raw movie_id (the old rule) would scramble them
    by_id = b[: len(movies_a)]
    assert procrustes_alignment(a, movies_a, by_id, movies_a, min_ratings=0).residual > 0.3


# --- size: neighbour sets searched once, capped at the most-rated movies ----------------------


def _brute_jaccard(a, b, rows, k):
    """Jaccard@k by full sorting of cosine similarities among ``rows`` (no shared code)."""

    def near(x):
        unit = x[rows] / np.linalg.norm(x[rows], axis=1, keepdims=True)
        sims = unit @ unit.T
        np.fill_diagonal(sims, -np.inf)
        return [set(np.argsort(-row, kind="stable")[:k]) for row in sims]

    return np.array([len(p & q) / len(p | q) for p, q in zip(near(a), near(b), strict=True)])


def _rated_space(n=400, seed=0):
    a, _ = _space(n=n, dim=6, seed=seed)
    b = a @ _rotation(6) + np.random.default_rng(seed + 1).normal(scale=0.6, size=a.shape)
    counts = np.random.default_rng(seed + 2).permutation(n) + 1  # distinct counts 1..n
    return a, b, movies_table(n, n_ratings=counts)


def test_under_the_cap_the_overlap_is_exact_and_unchanged():
    a, b, movies = _rated_space()
    rows = np.flatnonzero(movies["n_ratings"].to_numpy() >= 30)
    exact = _brute_jaccard(a, b, rows, 10)
    for cap in (None, NEIGHBOUR_CAP, len(rows)):
        overlap = neighbour_overlap(a, movies, b, movies, k=10, min_ratings=30, max_movies=cap)
        np.testing.assert_array_equal(overlap["movie_idx"], rows)
        np.testing.assert_allclose(overlap["jaccard"], exact)
    sets = neighbour_sets(a, movies, b, movies, min_ratings=30, max_movies=NEIGHBOUR_CAP)
    assert not sets.subsampled and sets.notice() is None and sets.n_movies == len(rows)


def test_above_the_cap_only_the_most_rated_are_searched_and_a_notice_says_so():
    a, b, movies = _rated_space()
    counts = movies["n_ratings"].to_numpy()
    sets = neighbour_sets(a, movies, b, movies, min_ratings=30, max_movies=100)
    top = np.sort(np.argsort(-counts)[:100])
    np.testing.assert_array_equal(sets.rows_a, top)
    assert sets.subsampled and sets.n_movies == 100 and sets.n_eligible == (counts >= 30).sum()
    notice = sets.notice()
    assert f"100 most-rated of the {sets.n_eligible:,} shared movies" in notice
    assert "at least 30 ratings" in notice
    np.testing.assert_allclose(sets.overlap(7)["jaccard"], _brute_jaccard(a, b, top, 7))
    # another min-ratings filter that leaves more than the cap: the same 100 movies
    other = neighbour_sets(a, movies, b, movies, min_ratings=200, max_movies=100)
    np.testing.assert_array_equal(other.rows_a, top)


def test_a_new_k_slices_the_sets_without_a_new_search(monkeypatch):
    from movierate.explore import neighbours

    a, b, movies = _rated_space(seed=3)
    calls = []
    search = neighbours.NeighbourIndex._search

    def counting(self, *args, **kwargs):
        calls.append(args[2])  # k searched
        return search(self, *args, **kwargs)

    monkeypatch.setattr(neighbours.NeighbourIndex, "_search", counting)
    neighbours._MEMO.clear()
    sets = neighbour_sets(a, movies, b, movies, min_ratings=1)
    assert calls == [MEMO_K, MEMO_K]  # one search per space, at the largest k
    rows = sets.rows_a
    for k in (5, 20, MEMO_K):
        np.testing.assert_allclose(sets.overlap(k)["jaccard"], _brute_jaccard(a, b, rows, k))
    assert len(calls) == 2
    with pytest.raises(DataError, match="k_max"):
        sets.overlap(MEMO_K + 1)


def test_most_rated_keeps_ties_by_position():
    counts = np.array([5, 9, 9, 1, 9, 3])
    np.testing.assert_array_equal(most_rated(np.arange(6), counts, 2), [1, 2])
    np.testing.assert_array_equal(most_rated([5, 0, 3], counts, None), [0, 3, 5])
    with pytest.raises(DataError, match="at least 1"):
        most_rated([0, 1], counts, 0)
