"""Accuracy round 38: who the numbers are about. F1: Recommend's line beside a user's list
("its top-10 lists held a movie the user liked for 58% of 455 users; a most-rated list did for
78%") averaged over all users; for users with 6-20 training ratings it was 23% against 60%, and
its header counted the user's test rows among their ratings."""

from __future__ import annotations

import numpy as np
import pytest
from apptest_helpers import movierate_env, open_page

from movierate import pipeline, ranking, scoring, store
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def model(movielens_dir, tmp_path_factory):
    """One small ml-100k model in a home of its own: (model, dataset, home)."""
    home = tmp_path_factory.mktemp("band-home")
    with movierate_env(home, movielens_dir):
        spec = ModelSpec(family="mf_bias", dim=4, epochs=3, batch_size=4096)
        name = pipeline.train_and_save("ml-100k", spec, "band")
        loaded = store.load_model(name)
        return loaded, pipeline.dataset_of(loaded), home


def _band_by_hand(loaded, ds, low: int, high: int | None) -> tuple[int, float, float]:
    """Users scored, model's and most-rated list's top-10 hit rates (min. 10 ratings) over the
    users whose training rows number ``low``-``high``, in plain pandas and Python sets."""
    rows = pipeline.model_rows(ds, loaded.meta["split"])
    r = ds.ratings
    trained = r.iloc[rows.trained].groupby("user_idx").size()
    band = set(trained[(trained >= low) & (trained <= (high or np.inf))].index.tolist())
    seen = r.iloc[np.concatenate([rows.trained, rows.steered])]
    counts = seen["movie_idx"].value_counts().reindex(range(ds.n_movies), fill_value=0)
    test = r.iloc[rows.test]
    liked = test[(test["rating"] >= 4) & (counts[test["movie_idx"]].to_numpy() >= 10)]
    hits = []
    for user, movies in liked[liked["user_idx"].isin(band)].groupby("user_idx")["movie_idx"]:
        rated = set(seen.loc[seen["user_idx"] == user, "movie_idx"])
        allowed = [m for m in range(ds.n_movies) if counts[m] >= 10 and m not in rated]
        scores = scoring.score_all_movies(loaded.arrays, loaded.spec, user, loaded.rating_scale)
        ours = sorted(allowed, key=lambda m: -scores[m])[:10]
        popular = sorted(allowed, key=lambda m: (-counts[m], m))[:10]
        hits.append((bool(set(ours) & set(movies)), bool(set(popular) & set(movies))))
    model_hits, popular_hits = np.array(hits, dtype=float).T
    return len(hits), float(model_hits.mean()), float(popular_hits.mean())


def _trained_rows(loaded, ds) -> np.ndarray:
    """The rows ``loaded`` trained on."""
    return pipeline.model_rows(ds, loaded.meta["split"]).trained


def _user_in(ds, loaded, low: int, high: int | None) -> int:
    """A user (user_idx) with ``low``-``high`` training rows."""
    users = ds.ratings["user_idx"].to_numpy()[_trained_rows(loaded, ds)]
    counts = np.bincount(users, minlength=ds.n_users)
    return int(np.flatnonzero((counts >= low) & (counts <= (high or counts.max())))[0])


def test_the_line_beside_a_list_gives_the_users_band_recomputed_from_the_split(model):
    loaded, ds, _ = model
    check = ranking.held_out_ranking(loaded, ds, k=10, min_ratings=10)
    user = _user_in(ds, loaded, 21, 100)
    band = ranking.user_band(check, user)
    n_users, hit_rate, popular_hit_rate = _band_by_hand(loaded, ds, 21, 100)
    assert (band.low, band.high, band.label) == (21, 100, "21-100")
    assert band.n_users == n_users >= ranking.MIN_USERS and n_users < check.n_users
    assert band.hit_rate == pytest.approx(hit_rate, abs=1e-12)
    assert band.popular_hit_rate == pytest.approx(popular_hit_rate, abs=1e-12)
    trained = np.sum(ds.ratings["user_idx"].to_numpy()[_trained_rows(loaded, ds)] == user)
    said = ranking.ranking_summary(check, user)
    assert said.startswith(ranking.ranking_summary(check))  # the all-users line stays
    assert (
        f"For the {n_users:,} of them with 21-100 training ratings, as this user has "
        f"({trained}): {hit_rate:.0%} against {popular_hit_rate:.0%}, "
        f"{100 * (hit_rate - popular_hit_rate):+.0f} ± {100 * band.gap_ci:.0f} points (95%), "
    ) in said
    assert 0 < band.gap_ci < 1


def _lists(trained_counts: np.ndarray, users: np.ndarray) -> ranking.RankingCheck:
    """A check over ``users`` (user_idx), each hit by the model's list and not by the most-rated
    one, the users' training rows ``trained_counts``."""
    n = len(users)
    return ranking.RankingCheck(
        k=10, min_ratings=1, liked_from=4, scale_max=5, n_users=n, n_users_all=n,
        n_untrained=0, hit_rate=1, ndcg=1, popular_hit_rate=0, popular_ndcg=0, ndcg_gap_ci=0,
        chance_hit_rate=0.1, chance_ndcg=0.05, chance_gap_ci=0.01, median_candidates=100,
        n_test_rows=10 * n, liked_share=0.5, tied="", users=users, gains=np.ones(n),
        hits=np.ones(n), popular_hits=np.zeros(n), trained_counts=trained_counts,
    )  # fmt: skip


def test_a_band_with_too_few_users_says_so_and_gives_no_rates():
    counts = np.array([0, 3] + [4] * 18 + [30] * 40)  # user 0: none; 19 users in 1-5
    check = _lists(counts, np.arange(1, len(counts)))
    said = ranking.band_text(check, 1)
    assert said == (
        "Only 19 of the users scored have 1-5 training ratings, as this user has (3): too few "
        "to say anything for users like this one (the check needs 20)."
    )
    assert "%" not in said
    assert ranking.band_text(check, 30) == (
        "For the 40 of them with 21-100 training ratings, as this user has (30): 100% against "
        "0%, +100 ± 0 points (95%), more found by its lists."
    )
    assert ranking.band_text(check, 0).startswith("This user has no training rating, so")
    heavy = _lists(np.array([150, 500]), np.array([1]))  # user 0 unscored, in no-one's band
    assert ranking.band_text(heavy, 0).startswith(
        "Only 1 of the users scored have over 100 training ratings, as this user has (150)"
    )


def test_recommend_shows_the_band_and_how_many_ratings_the_model_trained_on(model, monkeypatch):
    loaded, ds, home = model
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    user = _user_in(ds, loaded, 21, 100)
    at = open_page("pages/recommend.py", models="band", user=str(ds.user_ids[user]))
    check = ranking.held_out_ranking(loaded, ds, k=10, min_ratings=10)
    line = ranking.ranking_summary(check, user)
    assert "training ratings, as this user has" in line
    assert line in [c.value for c in at.caption]
    held = pipeline.user_held_out_movies(loaded, user, ds)
    n_all = int(np.sum(ds.ratings["user_idx"].to_numpy() == user))
    trained = int(np.sum(ds.ratings["user_idx"].to_numpy()[_trained_rows(loaded, ds)] == user))
    assert trained == n_all - len(held["test"]) - len(held["early-stopping"])
    header = next(m.value for m in at.markdown if m.value.startswith("## User "))
    assert (
        f"{n_all} ratings, mean {ds.ratings['rating'][ds.ratings['user_idx'] == user].mean():.2f}"
        f" (**band** trained on {trained} of them, not on its {len(held['test'])} test and "
        f"{len(held['early-stopping'])} early-stopping rows); "
    ) in header


def test_the_unseen_rows_note_says_their_vectors_are_untrained_random_starts():
    """F3: the note said those rows are predicted without the user's or movie's own ratings,
    not that an untrained random vector still enters the prediction (up to 0.48 stars)."""
    from movierate import store

    note = store.unseen_note({"test_unseen_rows": 414}, {"n_test": 10_084})
    assert "from a vector training never moved (its random start)" in note
