"""Each penalty against a direct numpy computation, and whitening doing its job in training."""

import numpy as np
import pytest

from movierate.nn.regularizers import (
    Adversarial,
    Decorrelation,
    EmbeddingL2,
    Whitening,
    make_regularizer,
)


@pytest.fixture
def matrix():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(50, 4)) @ rng.normal(size=(4, 4)) + 0.3).astype("float32")


def _cov(x):
    centred = x - x.mean(0)
    return x.mean(0), centred.T @ centred / len(x)


def test_l2(matrix):
    expected = (matrix**2).sum(1).mean()
    assert float(EmbeddingL2(2.0)(matrix)) == pytest.approx(2 * expected, rel=1e-5)


def test_whitening(matrix):
    mean, cov = _cov(matrix.astype("float64"))
    expected = (mean**2).sum() + ((cov - np.eye(4)) ** 2).sum()
    assert float(Whitening(1.0).penalty(matrix)) == pytest.approx(expected, rel=1e-4)
    white = np.random.default_rng(1).normal(size=(200_000, 3)).astype("float32")
    assert float(Whitening(1.0).penalty(white)) < 1e-3


def test_decorrelation(matrix):
    _, cov = _cov(matrix.astype("float64"))
    expected = (cov**2).sum() - (np.diag(cov) ** 2).sum()
    assert float(Decorrelation(3.0)(matrix)) == pytest.approx(3 * expected, rel=1e-4)
    diagonal = np.random.default_rng(2).normal(size=(100_000, 3)) * [1.0, 5.0, 0.1]
    assert float(Decorrelation(1.0).penalty(diagonal.astype("float32"))) < 1e-2


def test_adversarial_penalty_is_cross_entropy(matrix):
    reg = Adversarial(0.5, hidden_units=8, seed=3)
    critic = reg.build_critic(4)
    logits = np.asarray(critic(matrix)).ravel()
    expected = np.mean(np.log1p(np.exp(-logits)))
    assert float(reg.penalty(matrix)) == pytest.approx(expected, rel=1e-4)
    assert float(reg(matrix)) == pytest.approx(0.5 * expected, rel=1e-4)


def test_configs_round_trip():
    for kind in ("l2", "whitening", "decorrelation", "adversarial"):
        reg = make_regularizer(kind, 0.25)
        again = type(reg)(**reg.get_config())
        assert again.get_config() == reg.get_config()
