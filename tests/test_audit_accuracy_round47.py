"""Accuracy round 47 (do the stated intervals cover?), F1: the top-10 lists' intervals (NDCG
against the most-rated list and chance, Recommend's band hit gap) were a percentile bootstrap
of the users, which covered 88-90% at 20 users; they take Student t as every other by-user
interval does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from movierate import paired, ranking

#: A band's per-user hit gaps (model hit minus most-rated hit): -1, 0 or 1.
GAPS = ([-1.0, 0.0, 1.0], [0.15, 0.6, 0.25])


def test_a_list_interval_is_student_t_over_the_users():
    values = np.random.default_rng(0).choice(GAPS[0], size=20, p=GAPS[1])
    expected = paired.t_critical(20) * values.std(ddof=1) / math.sqrt(20)
    assert ranking._half_widths(values, values * 2) == pytest.approx([expected, 2 * expected])


def test_a_sparse_band_gap_interval_covers_more_than_the_bootstrap_did_at_20_users():
    """The reviewer's protocol on a known truth: 2,000 bands of 20 users drawn from a
    population of hit gaps that are mostly 0 (5% -1, 10% +1). Student t covers 91.4% there,
    the old bootstrap 84.7% (on ml-100k's real gaps 94.2% and 90.3%, the reviewer's run)."""
    rng = np.random.default_rng(47)
    odds = [0.05, 0.85, 0.10]
    truth = float(np.dot(GAPS[0], odds))
    covered = 0
    for _ in range(2000):
        band = rng.choice(GAPS[0], size=20, p=odds)
        covered += abs(band.mean() - truth) <= ranking._half_widths(band)[0]
    assert covered / 2000 >= 0.90
