"""A model's highest test-row predictions against those ratings (accuracy review round 11: the
top picks of a weakly regularized model ran 0.11-0.21 above the truth, nothing said so)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from apptest_helpers import movierate_env

from movierate import pipeline, scoring, store
from movierate.spec import ModelSpec
from movierate.ui import text


@pytest.fixture(scope="module")
def model(movielens_dir, tmp_path_factory):
    """One small ml-100k model, in a home of its own (module fixtures run before the per-test
    home is set)."""
    with movierate_env(tmp_path_factory.mktemp("cal-home"), movielens_dir):
        spec = ModelSpec(family="mf_bias", dim=4, epochs=3, batch_size=4096)
        name = pipeline.train_and_save("ml-100k", spec, "cal")
        loaded = store.load_model(name)
        return loaded, pipeline.dataset_of(loaded)


def test_the_top_share_of_test_predictions_is_read_against_those_ratings(model):
    loaded, ds = model
    got = pipeline.top_calibration(loaded, ds)
    rows = pipeline.recorded_split(ds, loaded.meta["split"]).test
    users = ds.ratings["user_idx"].to_numpy()[rows]
    movies = ds.ratings["movie_idx"].to_numpy()[rows]
    predicted = scoring.predict(loaded.arrays, loaded.spec, users, movies, loaded.rating_scale)
    predicted = np.clip(predicted, 1, 5)
    top = np.argsort(-predicted, kind="stable")[: round(0.1 * len(rows))]
    assert got.n_rows == len(top) == 1000
    assert got.mean_predicted == pytest.approx(predicted[top].mean())
    assert got.mean_rating == pytest.approx(ds.ratings["rating"].to_numpy()[rows][top].mean())
    assert got.threshold == pytest.approx(predicted[top].min())


def test_a_model_that_over_predicts_its_top_picks_is_said_to(model):
    loaded, ds = model
    shifted = dataclasses.replace(
        loaded, arrays={**loaded.arrays, "global_mean": loaded.arrays["global_mean"] + 0.5}
    )
    said = text.top_calibration_text(pipeline.top_calibration(shifted, ds))
    assert said.startswith("On its test rows, its highest 10% of predictions (1,000 rows, ")
    assert said.endswith("so its high predictions ran that much above what users gave.")
    lowered = dataclasses.replace(
        loaded, arrays={**loaded.arrays, "global_mean": loaded.arrays["global_mean"] - 0.5}
    )
    said = text.top_calibration_text(pipeline.top_calibration(lowered, ds))
    assert said.endswith("so its high predictions ran that much below what users gave.")
    assert text.top_calibration_text(None) == ""
