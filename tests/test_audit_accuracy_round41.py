"""Accuracy round 41 (the split by date, end to end): what the pages say about users and
movies the model never trained on, and about the reference list it is compared with."""

from __future__ import annotations

import numpy as np

from movierate import ranking
from movierate.ui import text


def test_a_user_without_a_training_rating_is_told_where_the_picks_come_from():
    """F1: on a split by date 85 of 610 users had no training rating; Recommend's header said
    "trained on 0 of them" and showed the list with no word when the list check was
    unavailable (the warning lived only in the check's band line)."""
    none = text.trained_on_text("t", 5, {"test": np.arange(3), "early-stopping": np.arange(2)})
    assert "trained on none of them" in none and "never moved" in none
    some = text.trained_on_text("t", 5, {"test": np.arange(3)})
    assert "trained on 2 of them, not on its 3 test rows" in some and "never moved" not in some
    assert "trained on all of them" in text.trained_on_text("t", 5, {})


def test_the_per_user_reference_list_says_the_model_was_not_held_to_it():
    """F3: the most-rated list counts only ratings before each user's first test rating,
    while the model trained on other users' later ratings too; the caption said only the
    first half."""
    assert "the model trained on other users' later ones" in ranking.POPULAR_BEFORE_TEST
