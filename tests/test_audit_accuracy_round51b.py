"""Accuracy round 51 (left open): Rate movies' 'because' and "What drove them" counted as level
only the path through the user bias. An autorec (its user bias pinned) and, in part, an mf
model shift every movie's score through the user vector along the movies' common direction,
and that all-movies shift was reported as taste: one 5-star rating "drove" every pick. The
level is now each rated movie's contribution averaged over the movies a list may hold.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.data.movies import TRAINING_COUNTS
from movierate.explore import fold_in, recommend_from_ratings

DIM, N_MOVIES, N_USERS = 4, 60, 200
COMMON = np.array([3.0, 0.0, 0.0, 0.0])  # every movie code's shared component, large


class SharedModel:
    """A model whose movie codes are COMMON plus each movie's own part (centred, so COMMON
    is exactly their mean): ``autorec`` (user bias pinned, no movie bias) or ``mf``."""

    def __init__(self, family: str) -> None:
        rng = np.random.default_rng(5)
        own = rng.normal(scale=0.5, size=(N_MOVIES, DIM)) * [0, 1, 1, 1]
        self.own = own - own.mean(axis=0)
        self.arrays = {
            "movie_embedding": (COMMON + self.own).astype(np.float32),
            "user_embedding": rng.normal(scale=0.5, size=(N_USERS, DIM)).astype(np.float32),
            "global_mean": np.float32(3.0),
        }
        if family == "autorec":  # the decoder bias the same for every user: pinned
            self.arrays["user_bias"] = np.full(N_USERS, 0.1, np.float32)
        self.spec = SimpleNamespace(family=family, output="none")
        self.rating_scale = (0.5, 5.0, 0.5)
        self.metrics = {"valid_rmse": 0.3}
        self.movies = movies_table(N_MOVIES)

    @property
    def global_mean(self) -> float:
        return float(self.arrays["global_mean"])


@pytest.mark.parametrize("family", ["autorec", "mf"])
def test_a_single_rating_gives_no_taste_push_to_the_all_movies_shift(family):
    model = SharedModel(family)
    rated = 7
    result = recommend_from_ratings(model, {rated: 5.0}, k=8)
    fold, reasons = result.fold, result.reasons
    emb = model.arrays["movie_embedding"].astype(np.float64)
    # a movie whose code is the common part alone, and each pick's own part alone
    picks = result.recommended["movie_idx"].to_numpy()
    extra = np.vstack([emb, COMMON, model.own[picks]])
    shift = fold.contributions(extra, [N_MOVIES])[0, 0]
    own = fold.contributions(extra, N_MOVIES + 1 + np.arange(len(picks)))[:, 0]
    assert shift > 0.3  # the 5-star rating raised every movie's score a lot ...
    assert (reasons["level"] == reasons["level"].iloc[0]).all()
    np.testing.assert_allclose(reasons["level"], shift, atol=1e-6)  # ... which is the level
    taste = reasons.set_index("movie_idx").loc[picks, "taste"].to_numpy()
    np.testing.assert_allclose(taste, own, atol=1e-6)  # taste: only the pick's own part
    assert np.abs(taste).max() < 0.5 * shift
    for pick, push, named in zip(picks, taste, result.recommended["because"], strict=True):
        assert (named != "") == (push >= 0.005), (pick, push, named)


@pytest.mark.parametrize("family", ["autorec", "mf"])
def test_level_and_taste_add_up_and_the_level_averages_over_the_trained_movies(family):
    model = SharedModel(family)
    untrained = np.arange(N_MOVIES) % 7 == 3  # never trained on: no list holds them
    model.movies[TRAINING_COUNTS] = np.where(untrained, 0, 40)
    ratings = {2: 5.0, 9: 1.0, 15: 4.0, 30: 2.5}
    result = recommend_from_ratings(model, ratings, k=10)
    fold, reasons = result.fold, result.reasons
    emb = model.arrays["movie_embedding"]
    np.testing.assert_allclose(
        reasons["level"] + reasons["taste"], reasons["contribution"], atol=1e-12
    )
    trained = np.flatnonzero(~untrained)
    level = fold.contributions(emb, trained).mean(axis=0)
    assert fold.level_contributions(emb, trained) == pytest.approx(level, abs=1e-9)
    assert fold.level_contributions(emb) == pytest.approx(
        fold.contributions(emb, np.arange(N_MOVIES)).mean(axis=0), abs=1e-9
    )
    by_rated = reasons.groupby("rated_idx")["level"].agg(["min", "max"])
    np.testing.assert_allclose(by_rated["min"], by_rated["max"])  # one level per rating
    np.testing.assert_allclose(by_rated["min"], level[np.argsort(fold.rows)], atol=1e-6)
    # the contributions still add up to the score minus the average user's
    phi = emb.astype(np.float64)
    if "user_bias" in model.arrays:
        phi = np.hstack([phi, np.ones((N_MOVIES, 1))])
    contrib = fold.contributions(emb, np.arange(N_MOVIES))
    np.testing.assert_allclose(
        contrib.sum(axis=1), phi @ fold.theta - phi @ fold.prior_mean, atol=1e-4
    )
    assert not set(result.recommended["movie_idx"]) & set(np.flatnonzero(untrained))


def test_fold_in_level_over_no_movies_is_over_every_row():
    model = SharedModel("mf")
    fold = fold_in(model, {4: 4.5})
    emb = model.arrays["movie_embedding"]
    assert fold.level_contributions(emb, []) == pytest.approx(fold.level_contributions(emb))


def test_what_drove_them_shows_an_mf_models_level(movielens_dir):
    """The page dropped the level column for a model without a user bias ("no level: every
    push is taste"); an mf model's ratings move every score alike too, so it shows."""
    from apptest_helpers import open_page

    from movierate import store
    from movierate.data import load_dataset, make_split
    from movierate.spec import ModelSpec
    from movierate.ui.your_ratings import format_rated

    ds = load_dataset("ml-latest-small")
    rng = np.random.default_rng(0)
    own = rng.normal(scale=0.5, size=(ds.n_movies, DIM)) * [0, 1, 1, 1]
    result = SimpleNamespace(
        arrays={
            "movie_embedding": (COMMON + own).astype(np.float32),
            "user_embedding": rng.normal(scale=0.5, size=(ds.n_users, DIM)).astype(np.float32),
            "global_mean": np.float32(3.5),
        },
        save_keras=lambda path: path.write_bytes(b"PK not a real keras file"),
        metrics={"valid_rmse": 0.9},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.5,
    )
    split = make_split(ds, seed=0)
    store.save_model("plain-mf", result, ds, split, ModelSpec(family="mf", dim=DIM))
    ids = ds.movies.nlargest(3, "n_ratings")["movie_id"].astype(int).tolist()
    at = open_page("pages/rate.py", model="plain-mf", rated=format_rated({ids[0]: 5.0}), k=5)
    drivers = next(d.value for d in at.dataframe if "taste" in d.value.columns)
    assert "level" in drivers.columns and drivers["level"].iloc[0] > 0.1
    said = " ".join(c.value for c in at.caption)
    assert "how much more the rating raised the pick than the average movie" in said
