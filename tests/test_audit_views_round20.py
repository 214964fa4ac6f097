"""Views round 20 (are the definitions true?): the words a page gives for a term describe
what the code computes. Each test computes the case the old words got wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd

from movierate import glossary, schema
from movierate.explore.compare import procrustes_alignment


def test_procrustes_words_allow_the_mirror_image_the_fit_allows():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 4))
    mirrored = a * np.array([-1.0, 1.0, 1.0, 1.0]) + 3.0  # a mirror image, shifted
    movies = pd.DataFrame(
        {"movie_idx": range(50), "movie_id": range(50), "title": [f"m{i}" for i in range(50)],
         "year": [2000] * 50, "genres": [["Drama"]] * 50, "n_ratings": [20] * 50}
    )  # fmt: skip
    fit = procrustes_alignment(a, movies, mirrored, movies, min_ratings=0)
    assert fit.residual < 1e-6  # the fit mirrors and shifts (float32) ...
    assert "mirroring allowed" in glossary.define("Procrustes residual")  # ... and says so
    assert "shift" in glossary.define("Procrustes residual")


def test_ndcg_words_reach_1_with_k_of_more_liked_movies():
    """A user with 15 liked test movies scores 1 with any 10 of them listed."""
    k, liked = 10, 15
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ndcg = discounts.sum() / discounts[: min(liked, k)].sum()  # ranking.held_out_ranking's
    assert ndcg == 1.0
    words = glossary.define("NDCG")
    assert "up to k" in words and "(all, at the top)" not in words
    assert f"{discounts[-1] / discounts[0]:.2f}" in words  # place 10 against place 1


def test_l2_help_says_the_count_weighting_training_applies():
    from movierate.nn.training import L2_COUNT_EXPONENT, _l2_weights

    rows = np.repeat([0, 1, 2], [1, 4, 100])  # movies with 1, 4 and 100 training ratings
    weights = _l2_weights(rows, 4)
    np.testing.assert_allclose(weights[:3] / weights[0], [1, 0.5, 0.1])  # 1/sqrt(count)
    assert weights[3] == 0  # no training ratings, no pull: not weight decay
    label, _, help_text = schema.SPEC_SCHEMA["regularizers"].constraint.kinds["l2"]
    assert L2_COUNT_EXPONENT == 0.5 and "1/sqrt" in help_text and "weight decay" not in label
