"""Accuracy round 18: twins that differ only in test rows must train, and be read, alike.

Finding 1: autorec's default L2 followed the data's fingerprint, which test rows set. Finding
2: the averages reference was clipped to the dataset's scale, which test ratings widen. Finding
3: the top-10 list check scored users with no training row, unsaid.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from movierate import pipeline
from movierate.data import from_csv, make_split
from movierate.data.splits import training_scale
from movierate.spec import ModelSpec


def _scale_twins() -> tuple:
    """Two 1-10 sets with the same split and training rows: the second's test rows hold 10s
    (its inferred scale reaches 10), the first's the same ratings capped at 9."""
    rng = np.random.default_rng(0)
    users, movies = np.meshgrid(np.arange(40), np.arange(30), indexing="ij")
    frame = pd.DataFrame({"user": users.ravel(), "item": movies.ravel()})
    frame["rating"] = np.clip(np.round(5 + 2 * rng.standard_normal(len(frame))), 1, 9).astype(int)
    liked = (frame["item"] < 8) | (frame["user"] < 10)  # high raters and well-liked movies:
    frame.loc[liked, "rating"] = 9  # user plus movie averages reach beyond 9
    capped = from_csv(io.StringIO(frame.to_csv(index=False)), name="capped")
    split = make_split(capped, "random", 0.2, seed=0)
    test_pairs = capped.ratings.iloc[split.test][["user_idx", "movie_idx"]]
    raw_users = capped.user_ids[test_pairs["user_idx"].to_numpy()]
    raw_movies = capped.movie_ids[test_pairs["movie_idx"].to_numpy()]
    in_test = pd.MultiIndex.from_frame(frame[["user", "item"]]).isin(
        pd.MultiIndex.from_arrays([raw_users.astype(int), raw_movies.astype(int)])
    )
    frame.loc[in_test & (frame["rating"] == 9), "rating"] = 10
    tens = from_csv(io.StringIO(frame.to_csv(index=False)), name="tens")
    return capped, tens, split


def test_the_averages_reference_is_clipped_to_the_models_scale_not_the_datasets():
    """Finding 2: only test ratings differ (9 against 10), so the reference's predictions must
    not; the dataset's scale (every rating) reached 10 in one twin and let them pass 9."""
    capped, tens, split = _scale_twins()
    assert tens.rating_scale.max == 10 and capped.rating_scale.max == 9  # inferred from all
    assert make_split(tens, "random", 0.2, seed=0).digest == split.digest
    assert training_scale(tens, split) == training_scale(capped, split)  # 1-9 in both
    arrays = {  # a model that learned nothing: the training mean for every pair
        "user_embedding": np.zeros((capped.n_users, 2), np.float32),
        "movie_embedding": np.zeros((capped.n_movies, 2), np.float32),
        "user_bias": np.zeros(capped.n_users, np.float32),
        "movie_bias": np.zeros(capped.n_movies, np.float32),
        "global_mean": np.float32(5.0),
    }
    spec = ModelSpec(family="mf_bias", dim=2)
    got = {ds.name: pipeline.test_metrics(arrays, spec, ds, split) for ds in (capped, tens)}
    # scored against the twins' own test ratings: the same predictions give these by hand
    truth = tens.ratings["rating"].to_numpy(np.float64)[split.test]
    from movierate.baselines import averages_predictions

    scale = training_scale(tens, split)
    predicted = averages_predictions(tens, split.train, split.test, scale)
    assert predicted.max() <= 9 + 1e-9
    assert got["tens"]["test_rmse_of_averages"] == pytest.approx(
        np.sqrt(np.mean((truth - predicted) ** 2))
    )
    assert predicted == pytest.approx(
        averages_predictions(capped, split.train, split.test, training_scale(capped, split))
    )
