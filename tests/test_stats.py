"""movierate.stats against scipy.stats, which the views no longer import (issue 15: ~1 s of a
page start)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as scipy_stats

from movierate import stats


@pytest.mark.parametrize("df", [1, 2, 7, 29 * 8, 9_000 * 64])
def test_chi2_quantile_matches_scipy(df):
    q = np.array([2.4e-5, 0.003125, 0.5, 0.996875, 1 - 2.4e-5])
    np.testing.assert_allclose(stats.chi2_quantile(q, df), scipy_stats.chi2.ppf(q, df), rtol=1e-10)


@pytest.mark.parametrize("x", [-3.0, 0.0, 0.7, 4.0, 12.0, 38.0])
def test_normal_sf_matches_scipy_into_the_far_tail(x):
    assert stats.normal_sf(x) == pytest.approx(scipy_stats.norm.sf(x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("x", "df"), [(0.0, 3), (1.9, 8), (-2.5, 30), (9.0, 254)])
def test_t_sf_matches_scipy(x, df):
    assert stats.t_sf(x, df) == pytest.approx(scipy_stats.t.sf(x, df), rel=1e-10)


def test_average_ranks_match_rankdata_with_ties_on_any_axis():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, size=(5, 40, 3)).astype(float)  # many ties
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(
            stats.average_ranks(x, axis=axis), scipy_stats.rankdata(x, axis=axis)
        )
    np.testing.assert_array_equal(stats.average_ranks([3.0]), [1.0])
    assert stats.average_ranks(np.empty(0)).shape == (0,)


def test_hypergeom_tails_match_scipy():
    rng = np.random.default_rng(1)
    for _ in range(120):
        total = int(rng.integers(1, 20_000))
        successes, draws = (int(v) for v in rng.integers(0, total + 1, size=2))
        k = int(rng.integers(-2, min(successes, draws) + 3))
        for ours, theirs in (
            (stats.hypergeom_sf, scipy_stats.hypergeom.sf),
            (stats.hypergeom_cdf, scipy_stats.hypergeom.cdf),
        ):
            expected = theirs(k, total, successes, draws)
            got = float(ours(k, total, successes, draws))
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), (
                k,
                total,
                successes,
                draws,
            )


def test_hypergeom_broadcasts_like_scipy():
    k, total, succ, draws = np.array([[0, 5, 30]]), 400, np.array([[10], [60]]), 50
    np.testing.assert_allclose(
        stats.hypergeom_sf(k, total, succ, draws),
        scipy_stats.hypergeom.sf(k, total, succ, draws),
        rtol=1e-9,
        atol=1e-300,
    )


def test_the_views_never_import_scipy_stats():
    """A page's modules and the verdict, probe, order and selection statistics run without
    loading scipy.stats (a fresh process, so nothing else loaded it first)."""
    code = """
import sys
import numpy as np
import pandas as pd
from movierate.explore import ordering, probes, quality, selection, verdicts
verdicts.white_bounds(40, 8)
ordering.order_chance(0.7, 20)
probes.paired_auc_p_value(np.array([[0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]),
                          np.array([[0.5, 0.5], [0.5, 0.5], [0.4, 0.6]]), [1, 0, 1], [0, 1])
movies = pd.DataFrame({"genres": ["Drama|Comedy", "Drama", "Horror", "Comedy"]})
selection.genre_enrichment(movies, np.array([True, True, False, False]))
print("scipy.stats" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
