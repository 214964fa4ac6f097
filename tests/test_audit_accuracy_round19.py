"""Accuracy round 19: the explorer's numbers against independent recomputation.

F1: Compare's spread columns filtered on every rating beside a caption (and columns) that
counted training ratings; Explore's axis sets did the same. F2: Recommend's "10 of the 30
shown are capped" missed the favourites' capped rows, and counted favourites no other model
showed. F3: one dataset on two splits gave Compare and Explore two movie sets, unexplained.
F4: Dimensions weighted movies by every rating, unsaid. F5: the whitening verdict printed its
range at 3 decimals beside a mean at 5, and a correlation beside a target on the covariance.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import open_page
from test_explore_helpers import movies_table

from movierate import scoring
from movierate.explore import recommend_for_user
from movierate.explore.verdicts import covariance_stats, regularizer_verdicts, spread_numbers
from movierate.spec import ModelSpec
from movierate.store import TrainedModel
from movierate.ui.text import RULES, alignment_text, predictions_scale_text

# --- F1: every filter beside "training ratings" counts training ratings ----------------------


def _two_counts_model(tmp_path: Path) -> TrainedModel:
    """3,000 uniform movies with 20 training ratings, and 500 near the origin that pass 10 only
    through their test and early-stopping rows (20 ratings in all, 5 of them training rows)."""
    rng = np.random.default_rng(2)
    vectors = np.vstack([rng.uniform(-1, 1, (3_000, 4)), 0.1 * rng.normal(size=(500, 4))])
    movies = pd.DataFrame(
        {"n_ratings": np.full(3_500, 20), "n_train_ratings": np.r_[np.full(3_000, 20), [5] * 500]}
    )
    spec = ModelSpec(dim=4, regularizers={"l2": 0.1})
    arrays = {"movie_embedding": vectors}
    return TrainedModel("m", tmp_path, spec, {"history": {}}, arrays, movies)


def test_compare_spread_columns_count_training_ratings(tmp_path):
    model = _two_counts_model(tmp_path)
    shown = spread_numbers(model, min_ratings=10)
    kept = covariance_stats(model.movie_embedding[:3_000])
    assert shown["mean |correlation|"] == pytest.approx(kept["corr_offdiag_mean_abs"])
    assert shown["variances"].startswith("0.33")  # uniform(-1, 1), not diluted by the 500
    assert shown["mean KS to U(-1, 1)"] < 0.03
    # the verdicts' "those N" count the same movies (the two pages agree)
    (verdict,) = regularizer_verdicts(
        model, ModelSpec(dim=4, regularizers={"decorrelation": 1.0}), min_ratings=10
    )
    assert "the 3,000 with at least 10 training ratings" in verdict.sentence


def test_explore_axis_sets_count_training_ratings(monkeypatch):
    from movierate.ui import explore_views

    movies = movies_table(6, n_ratings=[50] * 6).assign(n_train_ratings=[40, 40, 40, 5, 5, 40])
    monkeypatch.setattr(explore_views, "model_genres", lambda model: frozenset({"drama"}))
    found = explore_views._resolve_set(SimpleNamespace(movies=movies), spec="Drama", min_ratings=10)
    assert sorted(found.rows.tolist()) == [0, 1, 2, 5]
    assert "the 4 of 6 with 10+ training ratings" in found.description
