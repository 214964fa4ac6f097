"""Accuracy round 24: data where the metrics degenerate (every rating liked, tied predictions,
few candidates, ratings of one or two values)."""

from __future__ import annotations

import dataclasses
import io
import itertools

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env

from movierate import pipeline, ranking, scoring, store
from movierate.data import from_csv, twins
from movierate.explore import foldin
from movierate.spec import ModelSpec
from movierate.ui import text


def _same_movies(n_users: int = 40, per_user: int = 25, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (f"u{user}", int(movie), 5.0)
        for user in range(n_users)
        for movie in rng.choice(200, per_user, replace=False)
    ]
    return pd.DataFrame(rows, columns=["user", "movie", "rating"])


def _load(frame: pd.DataFrame):
    return from_csv(io.StringIO(frame.to_csv(index=False)), name="round24")


def test_f3_same_movies_with_one_or_two_rating_values_are_not_one_person():
    """Every rating 5 (or 0/1): the same ratings come free with the same movies, and MovieLens
    users 81 and 94 (31% of their (movie, rating) pairs alike) were named '100% alike'."""
    frame = _same_movies()
    other = frame[frame["user"] == "u3"].assign(user="u3-other")  # same movies, another person
    for ratings in (frame, frame.assign(rating=frame["movie"] % 2)):
        data = pd.concat([ratings, other.assign(rating=ratings["rating"].iloc[0])])
        notices = _load(data).notices()
        assert not [n for n in notices if "listed twice" in n]
        (note,) = [
            n for n in notices if "check for one person listed under two ids is skipped" in n
        ]
        assert "'u3' and 'u3-other'" in note and "only " in note
    # no shared movies: no note
    assert not [n for n in _load(frame).notices() if "is skipped" in n]


def test_f3_agreement_must_beat_what_the_rating_distribution_gives():
    """one90 (90% of ratings set to 4): 16 pairs of MovieLens users sharing movies were named,
    their 4s agreeing by chance. A copy of a user whose ratings vary is still named."""
    rng = np.random.default_rng(2)
    users, movies, ratings = [], [], []
    for user in range(60):
        rated = rng.choice(200, 30, replace=False)
        given = np.where(rng.random(30) < 0.95, 4.0, rng.integers(1, 6, 30).astype(float))
        if user == 5:  # a user whose ratings vary
            given = rng.integers(1, 6, 30).astype(float)
        users += [user] * 30
        movies += list(rated)
        ratings += list(given)
    u, m, r = np.array(users), np.array(movies), np.array(ratings)
    same_movies = np.where(rng.random(30) < 0.95, 4.0, rng.integers(1, 6, 30).astype(float))
    u = np.r_[u, [60] * 30, [61] * 30]
    m = np.r_[m, m[u[: len(m)] == 3], m[u[: len(m)] == 5]]
    r = np.r_[r, same_movies, r[np.array(users) == 5]]
    before = [(a, b) for a, b, _ in twins._alike_pairs(u, m, r, 62)]
    assert (3, 60) in before  # the old rule named it: most of their 4s agree
    after = [(a, b) for a, b, _ in twins.twin_users(u, m, r, 62)]
    assert (3, 60) not in after and (5, 61) in after


@pytest.fixture(scope="module")
def model(movielens_dir, tmp_path_factory):
    """One small ml-100k model, in a home of its own."""
    with movierate_env(tmp_path_factory.mktemp("round24-home"), movielens_dir):
        spec = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=4096)
        loaded = store.load_model(pipeline.train_and_save("ml-100k", spec, "round24"))
        return loaded, pipeline.dataset_of(loaded)


def _tied(loaded):
    """The model predicting its mean for every pair, give or take 0.0001 (all5's 4.99-5.01)."""
    arrays = loaded.arrays
    noise = np.random.default_rng(0).uniform(-1e-4, 1e-4, arrays["movie_bias"].shape)
    return dataclasses.replace(
        loaded,
        arrays={
            **arrays,
            "user_embedding": np.zeros_like(arrays["user_embedding"]),
            "user_bias": np.zeros_like(arrays["user_bias"]),
            "movie_bias": noise.astype(np.float32),
        },
    )


def test_f1_tied_predictions_draw_no_list_verdict_and_no_calibration(model):
    """all5: the model predicted 5.00-5.01 for everything, and the check still said 'its lists
    found fewer of the liked movies'; the highest predictions' check said '+0.00 ± 0.00'."""
    loaded, ds = model
    tied = _tied(loaded)
    check = ranking.held_out_ranking(tied, ds)
    assert check.tied.startswith("for every user the model predicts almost the same rating")
    said = ranking.ranking_text(check)
    assert "No verdict: for every user the model predicts almost the same rating" in said
    assert "found" not in said and "within noise" not in said and "against chance" not in said
    calibration = pipeline.top_calibration(tied, ds)
    assert isinstance(calibration, pipeline.Unavailable)
    assert "almost the same rating for every test row" in text.top_calibration_text(calibration)
    # the rule is Rate's: one function
    scores = scoring.score_all_movies(tied.arrays, tied.spec, 0, tied.rating_scale)
    assert scoring.tied_span(scores, tied.rating_scale) is not None
    assert foldin.tied_predictions(scores, tied.rating_scale)
    assert not ranking.held_out_ranking(loaded, ds).tied


def test_f1_when_nearly_every_test_rating_is_liked_no_verdict_is_drawn(model):
    """pos45 (ratings 4-5 only): 'its lists found fewer of the liked movies' where every test
    movie counted as liked, so the check only measured which movies users went on to rate."""
    loaded, ds = model
    raised = ds.ratings.assign(rating=np.maximum(ds.ratings["rating"], 4).astype(np.float32))
    check = ranking.held_out_ranking(loaded, dataclasses.replace(ds, ratings=raised))
    assert check.liked_share == 1.0
    said = ranking.ranking_text(check)
    assert (
        f"No verdict: all of the {check.n_test_rows:,} test ratings are liked (rated 4 or "
        "more), so these lists only measure which movies users went on to rate" in said
    )
    assert "its lists found" not in said and "within noise" not in said
    # the line: 90% and up
    assert dataclasses.replace(check, liked_share=0.9).no_verdict.startswith("90% of the")
    assert dataclasses.replace(check, liked_share=0.89).no_verdict == ""
    # Compare draws none either: a model 'better' on such data is not said to be
    better = dataclasses.replace(check, gains=check.gains + 0.1, ndcg=check.ndcg + 0.1)
    checks = {"a": check, "b": better}
    assert ranking.lists_disagree_text("a", checks) == ""
    usable = {n: dataclasses.replace(c, liked_share=0.5) for n, c in checks.items()}
    assert "b (+0.100" in ranking.lists_disagree_text("a", usable)


def test_f2_chance_is_the_exact_expectation_of_a_random_list():
    discounts = 1.0 / np.log2(np.arange(2, 5))  # k = 3
    for candidates, targets in ((8, 2), (5, 1), (3, 2), (12, 4)):
        ideal = discounts[: min(targets, 3)].sum()
        hits, gains = [], []
        for listed in itertools.permutations(range(candidates), min(3, candidates)):
            hit = np.array([m < targets for m in listed])
            hits.append(hit.any())
            gains.append(discounts[: len(listed)][hit].sum() / ideal)
        got = ranking._chance(candidates, targets, discounts, ideal)
        assert got == pytest.approx((np.mean(hits), np.mean(gains)))


def test_f2_lists_from_few_candidates_are_set_beside_chance(model):
    """top40: 72% of lists held a liked movie where a random 10 of a median 26 candidates held
    one for 60%, unsaid."""
    loaded, ds = model
    check = ranking.held_out_ranking(loaded, ds, min_ratings=300)  # ml-100k: 40-odd movies
    assert check.median_candidates < 60 and check.chance_hit_rate > 0.2
    said = ranking.ranking_text(check)
    assert (
        f"a random 10 of the same candidates (a median of {check.median_candidates:,.0f} per "
        f"user) for {check.chance_hit_rate:.0%} ({check.chance_ndcg:.3f})" in said
    )
    assert (
        "against chance, with under 5,000 candidates per list: NDCG "
        f"{check.chance_gap:+.3f} ± {check.chance_gap_ci:.3f}, " in said
    )
    many = dataclasses.replace(check, median_candidates=6000)
    assert "against chance" not in ranking.ranking_text(many)
    assert "a random 10 of the same candidates (a median of 6,000" in ranking.ranking_text(many)
