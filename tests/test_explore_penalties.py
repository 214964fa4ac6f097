"""The regularizers' penalties in numpy (movierate.explore.penalties) on known arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from movierate.explore import penalties


def test_penalties_on_known_arrays():
    rng = np.random.default_rng(0)
    white = rng.standard_normal((20_000, 4))
    assert penalties.whitening_penalty(white) < 5e-3
    assert penalties.decorrelation_penalty(white) < 5e-3
    assert penalties.l2_penalty(white) == pytest.approx(4.0, rel=0.02)
    correlated = white @ np.array([[1.0, 0.9, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]])
    assert penalties.decorrelation_penalty(correlated) > 0.1
    assert penalties.whitening_penalty(correlated) > penalties.whitening_penalty(white) + 0.5


def test_uniform_ks_separates_uniform_from_normal():
    rng = np.random.default_rng(1)
    uniform = rng.uniform(-1, 1, (5_000, 3))
    assert penalties.uniform_ks(uniform).max() < 0.03
    assert penalties.uniform_ks(0.1 * rng.standard_normal((5_000, 3))).min() > 0.3
    x = rng.uniform(-1.2, 1.0, (300, 2))
    expected = [stats.kstest(x[:, j], "uniform", args=(-1.0, 2.0)).statistic for j in range(2)]
    assert penalties.uniform_ks(x) == pytest.approx(expected)
