"""Recheck s33, findings 1-3 and 5-6: one rule for every "±" counted by user.

On too few test users no interval is bounded (a sign-flip test on n users reaches at best
p = 2 ** (1 - n); Student t on 1-2 df ran wider than the rating scale): every place that
printed "± inf", "± 3.1770" on a 1-4 scale, a bare "None" or nothing at all now gives the
point value, its p where there is one, and why no ± is given.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from movierate import paired, pipeline, store
from movierate.data import from_csv, make_split
from movierate.spec import ModelSpec


def test_the_floor_is_where_a_sign_flip_test_can_reach_its_level():
    assert paired.interval_users() == 6  # 2 ** (1 - 6) = 0.031 <= 0.05 < 2 ** (1 - 5)
    assert paired.interval_users(paired.pair_alpha(3)) == 7
    users = np.repeat(np.arange(3), 10)
    assert math.isnan(paired.clustered_half_width(np.random.default_rng(0).normal(size=30), users))


def test_a_sign_flip_difference_on_four_users_shows_no_infinite_interval():
    """Finding 2: "+0.0036 ± inf (95%, sign-flip by user; p 0.354, within draw)"."""
    d = paired.PairedDifference(
        "a", "b", 30, 1.2765, 1.2729, 0.01, 0.5, n_users=4, p_value=0.354, flip_half_width=math.inf
    )
    assert not d.has_interval
    assert d.short() == "+0.0036 (p 0.354; 4 test users: too few for an interval, within draw)"
    assert "inf" not in d.sentence() and "4 test users are too few" in d.sentence()
    assert "a per-user split or more data" in paired.threshold_text(d)
    enough = paired.PairedDifference(
        "a", "b", 60, 1.2765, 1.2729, 0.01, 0.5, n_users=8, p_value=0.2, flip_half_width=0.004
    )
    assert enough.short().startswith("+0.0036 ± 0.0040 (95%, sign-flip by user; p 0.200")


def _few_users_model() -> tuple:
    """A data set of 4 users rating 40 movies, split at random, and a model's arrays."""
    rng = np.random.default_rng(1)
    users, movies = np.meshgrid(np.arange(4), np.arange(40), indexing="ij")
    frame = pd.DataFrame({"user": users.ravel(), "item": movies.ravel()})
    frame["rating"] = rng.integers(1, 6, len(frame))
    ds = from_csv(io.StringIO(frame.to_csv(index=False)), name="four")
    split = make_split(ds, "random", 0.3, seed=0)
    arrays = {
        "user_embedding": rng.normal(0, 0.3, (ds.n_users, 2)).astype(np.float32),
        "movie_embedding": rng.normal(0, 0.3, (ds.n_movies, 2)).astype(np.float32),
        "user_bias": np.zeros(ds.n_users, np.float32),
        "movie_bias": np.zeros(ds.n_movies, np.float32),
        "global_mean": np.float32(3.0),
    }
    return arrays, ModelSpec(family="mf_bias", dim=2), ds, split


def test_a_model_on_four_test_users_records_and_shows_its_gap_without_a_plus_minus():
    """Findings 1 and 3: the gap's interval was saved as null (infinite) and then shown
    nowhere; the RMSE's t interval on 2 users was wider than the scale."""
    metrics = pipeline.test_metrics(*_few_users_model())
    assert metrics["test_users"] == 4 and "test_rmse_minus_averages_p" in metrics
    assert "test_rmse_minus_averages_ci95" not in metrics and "test_rmse_ci95" not in metrics
    gap = store.averages_gap_text(metrics)
    assert gap.startswith(
        f"The model's test RMSE minus the averages': {metrics['test_rmse_minus_averages']:+.4f} "
        "(paired over those rows; sign-flip test by user, p "
    )
    assert "4 test users are too few for an interval" in gap and "±" not in gap
    assert gap in store.baselines_text(metrics)
    assert "4 test users: too few for an interval" in store.averages_gap_text(metrics, short=True)
    interval = store.rmse_interval_text(metrics)
    assert interval.startswith(" (4 test users are too few for an interval") and "±" not in interval


@pytest.mark.parametrize("half", [3.177, None, math.inf])
def test_records_saved_today_on_two_users_show_no_plus_minus(half):
    """Models trained before this fix on 2 users recorded "± 3.1770" (or null for the gap)."""
    metrics = {"test_users": 2, "test_rmse": 0.5003, "test_rmse_ci95": half,
               "test_rmse_minus_averages": -0.0059, "test_rmse_minus_averages_ci95": half,
               "test_rmse_minus_averages_p": 0.4885}  # fmt: skip
    for said in (
        store.rmse_interval_text(metrics),
        store.averages_gap_text(metrics),
        store.averages_gap_text(metrics, short=True),
    ):
        assert said and "±" not in said and "2 test users" in said


def test_an_old_records_gap_names_its_rule_in_the_short_cell_too():
    """Finding 1: the CLI named the old normal cutoff, Compare's cell did not."""
    old = {"test_rmse_minus_averages": -0.0023, "test_rmse_minus_averages_ci95": 0.0005}
    assert store.averages_gap_text(old, short=True) == (
        "-0.0023 ± 0.0005 (normal cutoff, recorded before few test users got the sign-flip "
        "test), lower beyond the draw"
    )
    new = {**old, "test_users": 300}
    assert store.averages_gap_text(new, short=True) == "-0.0023 ± 0.0005, lower beyond the draw"


def test_the_top_predictions_check_on_few_users_says_why_it_has_no_interval():
    from movierate.ui import text

    calibration = pipeline.TopCalibration(0.1, 30, 4.2, 4.4, 4.0, math.nan, n_users=3)
    said = text.top_calibration_text(calibration)
    assert "+0.40 (3 test users are too few for an interval" in said and "nan" not in said


def test_a_repeat_click_within_a_second_reads_just_now():
    """Finding 6: "already started 0 s ago"."""
    from movierate.ui import text

    assert text.ago_text(0.3) == "just now" and text.ago_text(12.4) == "12 s ago"


def test_the_dimension_usage_sentence_over_few_movies_gets_the_few_movies_note():
    """Finding 5: the covariance and spectrum captions had the note, this one did not."""
    from movierate.explore import dimension_importance, unused_dims_sentence

    rng = np.random.default_rng(0)
    arrays = {
        "movie_embedding": rng.normal(size=(5, 16)),
        "user_embedding": rng.normal(size=(40, 16)),
    }
    said = unused_dims_sentence(dimension_importance(arrays))
    assert said.startswith("Only 5 movies are counted for 16 dimensions")
    arrays["movie_embedding"] = rng.normal(size=(50, 16))
    assert unused_dims_sentence(dimension_importance(arrays)).startswith("Here ")
