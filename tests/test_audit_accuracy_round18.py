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


def test_the_list_check_leaves_out_and_counts_users_with_no_training_row():
    """Finding 3: users whose every rating is a test row were scored from vectors training
    never moved, and nothing said so; they are left out and counted, as the RMSE counts its
    cold-start rows, and Compare's pairing (over the users both checks scored) follows."""
    from test_explore_helpers import random_mf_bias_model

    from movierate import ranking
    from movierate.data import synthetic_dataset

    base = synthetic_dataset(n_ratings=4000, n_users=80, n_movies=60, seed=1)
    frame = base.ratings[["user_idx", "movie_idx", "rating", "timestamp"]].copy()
    popular = np.argsort(-np.bincount(frame["movie_idx"], minlength=base.n_movies))[:12]
    newcomers = pd.DataFrame(  # 60 users of 2 ratings each, both liked
        {
            "user_idx": np.repeat(np.arange(1000, 1060), 2),
            "movie_idx": np.tile(popular[:2], 60),
            "rating": 5.0,
            "timestamp": 2_000_000_000,
        }
    )
    frame = pd.concat([frame, newcomers]).rename(columns={"user_idx": "user", "movie_idx": "item"})
    ds = from_csv(
        io.StringIO(frame.to_csv(index=False)), name="newcomers", rating_scale=(0.5, 5, 0.5)
    )
    split = make_split(ds, "random", 0.3, seed=0)
    users = ds.ratings["user_idx"].to_numpy()
    in_train = np.bincount(users[split.train], minlength=ds.n_users) > 0
    untrained = {int(u) for u in np.unique(users[split.test]) if not in_train[u]}
    assert untrained  # some newcomers have only test rows (and stop rows)
    model = random_mf_bias_model(ds, split, (0.5, 5.0, 0.5))
    check = ranking.held_out_ranking(model, ds, k=10, min_ratings=5)
    assert isinstance(check, ranking.RankingCheck), check
    assert not untrained & set(check.users.tolist())  # none of them scored
    liked_untrained = {  # those the check would have scored: a liked, eligible test movie
        int(users[row])
        for row in split.test
        if int(users[row]) in untrained and ds.ratings["rating"].iat[row] >= 4
    }
    assert check.n_untrained == len(liked_untrained) > 0
    said = ranking.ranking_text(check)
    assert (
        f"({check.n_untrained} more users with a liked test movie are left out: they have no "
        "training rating, so their lists would come from vectors training never moved)"
    ) in said
    assert ranking.paired_ndcg_gap(check, check) == (0.0, 0.0, check.n_users)  # the scored


def test_autorecs_defaults_are_the_same_for_twins_that_differ_in_test_rows(tmp_path, monkeypatch):
    """Finding 1: a copy of ml-100k trained with L2 40 (chosen on ml-latest-small) by its
    fingerprint, and the same copy with only u1.test ratings changed with L2 100 (chosen on
    ml-100k's stop rows): a test-row change chose a training setting. The default follows the
    name alone now, and the caveat names the L2 100 a copy under another name trains with."""
    import shutil

    from movierate import pipeline as pipeline_module
    from movierate.cli import main
    from movierate.data.acquire import find_local
    from movierate.errors import SpecError

    source = find_local("ml-100k")
    cols = ["user", "item", "rating", "timestamp"]
    for name in ("base", "flip"):
        shutil.copytree(source, tmp_path / name)
    data = pd.read_csv(source / "u.data", sep="\t", names=cols)
    test = pd.read_csv(source / "u1.test", sep="\t", names=cols)
    in_test = pd.MultiIndex.from_frame(data[["user", "item"]]).isin(
        pd.MultiIndex.from_frame(test[["user", "item"]])
    )
    data.loc[in_test, "rating"] = 6 - data.loc[in_test, "rating"]
    test["rating"] = 6 - test["rating"]
    data.to_csv(tmp_path / "flip" / "u.data", sep="\t", header=False, index=False)
    test.to_csv(tmp_path / "flip" / "u1.test", sep="\t", header=False, index=False)

    specs = []

    def capture(ds, spec, *args, **kwargs):
        specs.append((ds.fingerprint, spec))
        raise SpecError("captured")

    monkeypatch.setattr(pipeline_module, "train_and_save", capture)
    for name in ("base", "flip"):
        argv = ["train", str(tmp_path / name), "--name", f"t-{name}", "--family", "autorec"]
        main([*argv, "--split", "official:u1"])
    (base_print, base), (flip_print, flip) = specs
    assert base_print != flip_print  # the ratings differ (test rows only)...
    assert base == flip and base.regularizers == {"l2": 100.0}  # ...the training does not


def test_the_caveat_names_an_autorec_l2_chosen_on_its_data():
    """Finding 1: `evaluate` named autorec's design, not the L2 default chosen on ml-100k's stop
    rows, for a copy of ml-100k whose test rows are 98.6% ml-100k ratings."""
    from types import SimpleNamespace

    from movierate.defaults import DEFAULTS_DATA
    from movierate.store import settings_caveat

    def info(name, dataset, l2, **extra):
        spec = ModelSpec(family="autorec", dim=500, regularizers={"l2": l2})
        return SimpleNamespace(name=name, dataset=dataset, spec=spec, has_test_rows=True, **extra)

    near = info(
        "near", "t100-extra", 100.0, meta={"dataset": {"test_rows_from": {"ml-100k": 0.986}}}
    )
    exact = info("exact", "t100-base", 100.0, dataset_fingerprint=DEFAULTS_DATA["ml-100k"])
    named = info("named", "ml-100k", 40.0)  # L2 40 was chosen on ml-latest-small
    said = settings_caveat([near])
    assert (
        "Not quite unseen for near: L2 100, one of autorec's defaults, was chosen from "
        "40 / 100 / 250 on early-stopping rows of ml-100k (those of u1" in said
    )
    assert "98.6% are ratings of ml-100k" in said
    assert "Data named ml-100k takes L2 40 instead" in said
    assert "L2 100, one of autorec's defaults" in settings_caveat([exact])
    assert "L2 40" not in (settings_caveat([named]) or "")
    assert "one of autorec's defaults" not in (settings_caveat([info("o", "upload", 100.0)]) or "")
    small = info("small", "ml-latest-small", 40.0)  # set by hand on the data that chose 40
    assert (
        "L2 40, one of autorec's defaults, was chosen from 40 / 100 / 250 on early-stopping rows of ml-latest-small, some"
        in settings_caveat([small])
    )
