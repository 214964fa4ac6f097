"""movierate.explore.alignment: Procrustes over identity-matched movies, one shared layout."""

from __future__ import annotations

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import align_models

TITLES = [f"Film number {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(60)]


def pair(dim_b: int = 6, seed: int = 0):
    """A, and B = A rotated, scaled, shifted, reordered, under other movie ids, with 10 movies
    of A missing from B and movie 7 moved far away."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(60, 6)).astype(np.float32)
    movies_a = movies_table(60, titles=TITLES, years=[1990 + i % 20 for i in range(60)])
    q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    b_rows = rng.permutation(50)  # B holds A's movies 0..49, shuffled
    b = (a[b_rows] @ q * 2.5 + 1.0).astype(np.float32)
    b[np.flatnonzero(b_rows == 7)[0]] += 10.0
    if dim_b > 6:
        b = np.hstack([b, np.zeros((50, dim_b - 6), np.float32)])
    movies_b = movies_table(
        50,
        titles=[TITLES[i] for i in b_rows],
        years=[1990 + i % 20 for i in b_rows],
        movie_ids=list(5000 + np.arange(50)),
    )
    return a, movies_a, b, movies_b, b_rows


def test_alignment_recovers_rotation_and_finds_the_moved_movie():
    a, movies_a, b, movies_b, b_rows = pair()
    layout = align_models(a, movies_a, b, movies_b, min_ratings=0, top=3)
    assert len(layout.rows_a) == 50
    assert np.array_equal(b_rows[layout.rows_b], layout.rows_a)  # matched by title + year
    assert layout.moved_most["movie_idx"].iloc[0] == 7
    assert layout.moved_most["displacement"].is_monotonic_decreasing
    others = layout.coordinates[layout.coordinates["movie_idx"] != 7]
    assert others["displacement"].median() < layout.moved_most["displacement"].iloc[0] / 5
    assert np.allclose(layout.rotation @ layout.rotation.T, np.eye(6), atol=1e-6)
    assert {"x_a", "y_a", "x_b", "y_b", "movie_idx_b", "displacement_2d"} <= set(
        layout.coordinates.columns
    )


def test_clean_copy_aligns_exactly_and_dims_may_differ():
    a, movies_a, _, _, _ = pair()
    rng = np.random.default_rng(3)
    q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    b = np.hstack([a @ q * 0.5, np.zeros((60, 2))]).astype(np.float32)
    layout = align_models(a, movies_a, b, movies_a.copy(), min_ratings=0)
    assert layout.residual < 1e-5
    assert np.allclose(layout.coordinates["x_a"], layout.coordinates["x_b"], atol=1e-4)
    assert layout.scale == pytest.approx(2.0, rel=1e-4)
    # float rounding is no move: none is ranked as moved (views review: 15 movies at 2e-7)
    assert layout.moved_most.empty


def test_too_few_common_movies():
    a, movies_a, b, movies_b, _ = pair()
    stranger = movies_b.assign(title=[f"Other {i}" for i in range(50)])
    with pytest.raises(DataError, match="Only 0 movies"):
        align_models(a, movies_a, b, stranger, min_ratings=0)


def test_residual_of_unrelated_embeddings_stays_at_most_one_and_matches_compare():
    """The best-fitting scale (not ||A|| / ||B||): unrelated embeddings give a residual near but
    not above 1, the same as Compare's Procrustes residual over the same movies."""
    from movierate.explore.compare import procrustes_alignment

    a, movies_a, _, _, _ = pair()
    rng = np.random.default_rng(7)
    for b in (rng.normal(size=a.shape), a[rng.permutation(len(a))] * 3.0):
        layout = align_models(a, movies_a, b, movies_a.copy(), min_ratings=0)
        compare = procrustes_alignment(a, movies_a, b, movies_a.copy(), min_ratings=0)
        assert 0.5 < layout.residual <= 1.0
        assert layout.residual == pytest.approx(compare.residual, rel=1e-6)
        assert layout.scale == pytest.approx(compare.scale, rel=1e-6)


def test_the_displacement_note_says_how_far_moves_follow_vector_length():
    """Accuracy review round 6: 'moved most' listed the longest vectors whatever differed
    (Spearman +0.68 to +0.76 with length); the note says so from the shown pair's numbers."""
    from movierate.explore import displacement_note

    rng = np.random.default_rng(3)
    lengths = rng.uniform(0.2, 3.0, 200)
    a = rng.normal(size=(200, 6)) * lengths[:, None]
    b = a + rng.normal(size=(200, 6)) * lengths[:, None] * 0.5  # long vectors move most
    movies = movies_table(200)
    layout = align_models(a, movies, b, movies, min_ratings=0, top=5)
    note = displacement_note(layout)
    rho = layout.coordinates["displacement"].rank().corr(layout.coordinates["length_a"].rank())
    assert rho > 0.6 and f"(Spearman {rho:+.2f})" in note
    assert f"the median movie moved {layout.coordinates['displacement'].median():.2f}" in note
