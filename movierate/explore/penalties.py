"""The regularizers' penalties of an embedding matrix, in numpy (unit strength, no TensorFlow).

Each mirrors the ``penalty`` of a :mod:`movierate.nn.regularizers` class, so the study and the
Compare page can measure a saved model's embedding without Keras.

>>> l2_penalty(np.eye(3))
1.0
"""

from __future__ import annotations

import numpy as np


def _mean_and_covariance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and biased column covariance, as :func:`movierate.nn.regularizers.covariance`."""
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    return mean, centred.T @ centred / len(x)


def l2_penalty(x: np.ndarray) -> float:
    """Mean squared row norm (``EmbeddingL2.penalty``)."""
    return float(np.mean(np.sum(np.asarray(x, np.float64) ** 2, axis=1)))


def whitening_penalty(x: np.ndarray) -> float:
    """||mean||^2 + ||cov - I||_F^2 (``Whitening.penalty``)."""
    mean, cov = _mean_and_covariance(x)
    return float(np.sum(mean**2) + np.sum((cov - np.eye(len(cov))) ** 2))


def decorrelation_penalty(x: np.ndarray) -> float:
    """Sum of squared off-diagonal covariances (``Decorrelation.penalty``)."""
    _, cov = _mean_and_covariance(x)
    return float(np.sum(off_diagonal(cov) ** 2))


def uniform_ks(x: np.ndarray) -> np.ndarray:
    """Kolmogorov-Smirnov statistic of each dimension against U(-1, 1)."""
    x = np.sort(np.asarray(x, np.float64), axis=0)
    n = len(x)
    cdf = np.clip((x + 1.0) / 2.0, 0.0, 1.0)
    steps = np.arange(1, n + 1, dtype=np.float64)[:, None]
    return np.maximum((steps / n - cdf).max(axis=0), (cdf - (steps - 1) / n).max(axis=0))


def off_diagonal(matrix: np.ndarray) -> np.ndarray:
    """The off-diagonal entries of a square matrix."""
    return matrix[~np.eye(len(matrix), dtype=bool)]
