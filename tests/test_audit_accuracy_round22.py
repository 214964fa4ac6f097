"""Accuracy round 22 (combined models): F2 the first-k caption of a seed ensemble or blend, F3 a
blend's neighbours scoring below the random-pair reference. (F1: test_export_roundtrip.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from test_explore_helpers import movies_table

from movierate.explore import NeighbourIndex, combined_columns_text


def _ensemble(seeds: int = 3, each: int = 4):
    return SimpleNamespace(
        name="ens3",
        meta={"tuning": {"refit": {"ensemble": seeds, "seeds": [42, 43, 44][:seeds]}}},
        movie_embedding=np.ones((5, seeds * each)),
    )


def _blend():
    members = [
        {"family": "autorec", "columns": [0, 8], "weight": 0.35},
        {"family": "mf_bias", "columns": [8, 12], "weight": 0.65, "refit": {"ensemble": 2}},
    ]
    return SimpleNamespace(
        name="blend",
        meta={"tuning": {"blend": {"members": members}}},
        movie_embedding=np.ones((5, 12)),
    )


def test_an_ensembles_first_k_caption_says_they_are_scaled_and_not_the_seeds_own_rmse():
    """F2: "the first k dims as trained are one seed's first ones" read the curve at k = 96
    (0.8750) as that seed's RMSE, while its own dot product scored 0.848: each block is
    scaled by 1/sqrt(3) on both sides."""
    text = combined_columns_text(_ensemble())
    assert "The first k dims as trained are one seed's first ones (for k up to 4), scaled " in text
    assert "by 1/sqrt(3) on the user and the movie side" in text
    assert "they predict with 1/3 of that seed's dot product (plus the seeds' averaged" in text
    assert "so the RMSE of the first k dims is not that seed's own accuracy." in text
    assert "mixes unrelated seeds' bases" in text


def test_a_blends_caption_says_its_first_member_block_is_scaled_by_its_weight():
    text = combined_columns_text(_blend())
    assert "The first k dims as trained (for k up to 8) are autorec's, scaled by sqrt(0.35)" in (
        text
    )
    assert "they predict with 0.35 times autorec's dot product (plus the members' weighted" in (
        text
    )
    assert text.endswith("so the RMSE of the first k dims is not autorec's own accuracy.")


def _shared_direction(n: int = 200, dim: int = 8):
    """Vectors along one shared direction plus a little noise: any two score ~0.9."""
    rng = np.random.default_rng(0)
    x = np.ones((n, dim)) + 0.35 * rng.normal(size=(n, dim))
    return NeighbourIndex(x, movies_table(n, n_ratings=[50] * n))


def test_a_list_below_the_random_pair_median_says_why():
    """F3: a blend's ten closest films (0.865 .. 0.835) scored below the median random pair
    (0.89) with no word; the vectors share one direction (cosine 0.95 with their mean)."""
    index = _shared_direction()
    median, _ = index.random_pair_cosines()
    assert median > 0.8
    text = index.random_pair_text(listed=[median - 0.02, median - 0.05])
    assert f", above every film listed ({median - 0.02:.3f} at best): these vectors share " in text
    shared = index.common_direction_cosine()
    assert shared > 0.9 and f"a median movie's cosine with their mean is {shared:.2f}" in text
    assert "the list's order, not its scores, says which films are closest" in text


def test_a_list_above_the_median_or_a_distance_list_keeps_the_plain_reference():
    index = _shared_direction()
    median, _ = index.random_pair_cosines()
    plain = index.random_pair_text()
    assert index.random_pair_text(listed=[median + 0.01, 0.1]) == plain
    assert index.random_pair_text(listed=[]) == plain
    assert "common" not in index.random_pair_text(metric="euclidean", listed=[0.0])
    rng = np.random.default_rng(1)  # no shared direction: a median near 0
    spread = NeighbourIndex(rng.normal(size=(200, 8)), movies_table(200, n_ratings=[50] * 200))
    assert abs(spread.common_direction_cosine()) < 0.3
