"""movierate.baselines: the reference predictors every test RMSE is read against, and the
sentences that say them (accuracy round 10: a set where 93% of the ratings are 4 showed a
model's RMSE 0.3865 / MAE 0.1362 with no reference; the median 4 scored an MAE of 0.0913)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from movierate import baselines, pipeline, store
from movierate.data import from_csv, make_split, synthetic_dataset
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def data():
    ds = synthetic_dataset(n_ratings=3000, n_users=60, n_movies=90, seed=3)
    return ds, make_split(ds, "random", 0.2, seed=0)


def test_the_baselines_are_fit_on_the_training_rows_alone(data, monkeypatch):
    ds, split = data
    monkeypatch.setattr(baselines, "FIT_SWEEPS", 1)  # the first sweep: the one pass below
    got = baselines.baseline_metrics(ds, split.train, split.test, ds.rating_scale)
    assert got["averages_sweeps"] == 1
    frame = ds.ratings
    train, test = frame.iloc[split.train], frame.iloc[split.test]
    mean = train["rating"].mean()
    # by hand, with pandas: damped movie averages, then damped user averages of the rest
    movie = (train["rating"] - mean).groupby(train["movie_idx"]).agg(["sum", "count"])
    b_movie = movie["sum"] / (movie["count"] + baselines.MOVIE_DAMPING)
    rest = train["rating"] - mean - train["movie_idx"].map(b_movie)
    user = rest.groupby(train["user_idx"]).agg(["sum", "count"])
    b_user = user["sum"] / (user["count"] + baselines.USER_DAMPING)
    predicted = (
        mean + test["movie_idx"].map(b_movie).fillna(0) + test["user_idx"].map(b_user).fillna(0)
    ).clip(ds.rating_scale.min, ds.rating_scale.max)
    truth = test["rating"]
    assert got["test_rmse_of_mean"] == pytest.approx(np.sqrt(((truth - mean) ** 2).mean()))
    assert got["test_mae_of_median"] == pytest.approx(
        (truth - train["rating"].median()).abs().mean()
    )
    assert got["test_rmse_of_averages"] == pytest.approx(np.sqrt(((truth - predicted) ** 2).mean()))
    assert got["test_mae_of_averages"] == pytest.approx((truth - predicted).abs().mean())
    assert got["test_rmse_of_averages"] < got["test_rmse_of_mean"]  # the averages know more
    # the test rows' ratings choose nothing: changing them changes only what is scored
    flipped = ds.ratings.copy()
    flipped.loc[flipped.index[split.test], "rating"] = ds.rating_scale.max
    other = baselines.baseline_metrics(
        type(ds)(**{**ds.__dict__, "ratings": flipped}), split.train, split.test, ds.rating_scale
    )
    fitted = np.clip(predicted, None, ds.rating_scale.max)
    assert other["test_rmse_of_averages"] == pytest.approx(
        np.sqrt(((ds.rating_scale.max - fitted) ** 2).mean())
    )


def test_the_averages_are_a_fitted_bias_model(data, monkeypatch):
    """Accuracy round 15: the reference was one damped pass, read as a fitted bias model (Surprise's
    BaselineOnly). The biases now solve the damped least-squares problem, as BaselineOnly's ALS
    does, in any row order."""
    ds, split = data
    frame = ds.ratings.iloc[split.train]
    users, movies = frame["user_idx"].to_numpy(), frame["movie_idx"].to_numpy()
    values = frame["rating"].to_numpy(np.float64) - frame["rating"].mean()
    user_bias, movie_bias, sweeps = baselines.fit_biases(
        users, movies, values, ds.n_users, ds.n_movies
    )
    assert 1 < sweeps <= baselines.FIT_SWEEPS
    # the normal equations: each bias is its rows' damped mean of what the other leaves
    rest = values - user_bias[users] - movie_bias[movies]
    for ids, bias, damping in ((movies, movie_bias, baselines.MOVIE_DAMPING),
                               (users, user_bias, baselines.USER_DAMPING)):  # fmt: skip
        gradient = np.bincount(ids, weights=rest, minlength=len(bias)) - damping * bias
        assert np.max(np.abs(gradient)) < 1e-3

    def loss(ub, mb):
        squares = np.sum((values - ub[users] - mb[movies]) ** 2)
        return squares + baselines.USER_DAMPING * ub @ ub + baselines.MOVIE_DAMPING * mb @ mb

    with monkeypatch.context() as patched:
        patched.setattr(baselines, "FIT_SWEEPS", 1)
        one_pass = baselines.fit_biases(users, movies, values, ds.n_users, ds.n_movies)
    assert loss(user_bias, movie_bias) < loss(*one_pass[:2]) - 1e-3  # the old reference's
    shuffled = np.random.default_rng(0).permutation(len(users))  # rows in any order
    again = baselines.fit_biases(
        users[shuffled], movies[shuffled], values[shuffled], ds.n_users, ds.n_movies
    )
    assert np.allclose(again[0], user_bias, atol=1e-12) and np.allclose(again[1], movie_bias)


def test_the_averages_match_surprise_baselineonly(data):
    """Surprise's BaselineOnly (ALS) with the same dampings and sweeps predicts as the reference."""
    surprise = pytest.importorskip("surprise")
    ds, split = data
    frame = ds.ratings
    train, test = frame.iloc[split.train], frame.iloc[split.test]
    trainset = surprise.Dataset.load_from_df(
        train[["user_idx", "movie_idx", "rating"]],
        surprise.Reader(rating_scale=(ds.rating_scale.min, ds.rating_scale.max)),
    ).build_full_trainset()
    options = {"method": "als", "reg_i": baselines.MOVIE_DAMPING, "reg_u": baselines.USER_DAMPING}
    algo = surprise.BaselineOnly(
        bsl_options={**options, "n_epochs": baselines.FIT_SWEEPS}, verbose=False
    )
    algo.fit(trainset)
    theirs = [
        algo.predict(u, m, clip=False).est
        for u, m in zip(test.user_idx, test.movie_idx, strict=True)
    ]
    ours = baselines.averages_predictions(ds, split.train, split.test, ds.rating_scale)
    scale = ds.rating_scale
    assert np.max(np.abs(np.clip(theirs, scale.min, scale.max) - ours)) < 1e-4


def test_the_reference_is_named_as_it_was_fit():
    """A model saved before the fit recorded one damped pass: its captions say so, a new one's
    say the fit (accuracy round 15)."""
    old = {"test_rmse": 0.93, "test_rmse_of_mean": 1.15, "test_mae_of_median": 0.91,
           "test_rmse_of_averages": 0.9735, "test_mae_of_averages": 0.77}  # fmt: skip
    new = {**old, "averages_sweeps": 20}
    assert "averages without an embedding (one damped pass) give RMSE 0.9735" in (
        store.baselines_text(old)
    )
    assert "(biases fit by damped least squares) give RMSE 0.9735" in store.baselines_text(new)
    weak = {**old, "test_rmse": 0.98}
    assert "one damped pass" in store.no_better_than_averages_note(weak)
    assert "damped least squares" in store.no_better_than_averages_note(
        {**weak, **new, "test_rmse": 0.98}
    )
    assert store.one_pass_averages_note({"old": old, "new": new}).startswith(
        "The averages' test RMSE of old is that of one damped pass"
    )
    assert store.one_pass_averages_note({"new": new}) == ""


def test_training_records_the_baselines_and_they_are_said(data):
    ds, split = data
    spec = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=256)
    name = pipeline.train_and_save(ds, spec, "b1", {"method": "random", "test_fraction": 0.2})
    metrics = store.load_model(name).metrics
    assert {"test_mae_of_median", "test_rmse_of_averages", "test_mae_of_averages"} <= set(metrics)
    assert 1 <= metrics["averages_sweeps"] <= baselines.FIT_SWEEPS  # fitted, not one pass
    recorded = pipeline.recorded_split(ds, store.read_meta(name)["split"])
    assert metrics["stop_rmse_of_mean"] == pytest.approx(  # what the stop RMSE is read against
        baselines.rmse_of_mean(ds, recorded.train, recorded.stop)
    )
    said = store.baselines_text(metrics)
    assert said.startswith("On the same test rows, predicting the training mean for every ")
    assert f"RMSE {metrics['test_rmse_of_averages']:.4f}" in said
    assert store.baselines_text({"test_rmse": 0.9, "test_rmse_of_mean": 1.1}) == ""  # older


def test_a_model_no_better_than_the_averages_or_the_median_says_so():
    gathered = {  # the review's set where 93% of the ratings are 4
        "test_rmse": 0.3865, "test_mae": 0.1362, "test_rmse_of_mean": 0.3883,
        "test_mae_of_median": 0.0913, "test_rmse_of_averages": 0.3871,
        "test_mae_of_averages": 0.1380,
    }  # fmt: skip
    note = store.no_better_than_averages_note(gathered)
    assert "Its test MAE 0.1362 is worse than 0.0913, what predicting the training" in note
    assert "no better than" not in note  # 0.3865 < 0.3871: the averages are beaten
    flat = {**gathered, "test_rmse_of_averages": 0.3865}
    assert "Its test RMSE 0.3865 is no better than 0.3865, what user and movie averages" in (
        store.no_better_than_averages_note(flat)
    )
    good = {**gathered, "test_mae": 0.08}
    assert store.no_better_than_averages_note(good) == ""
    diverged = {**gathered, "test_rmse": 320.0}  # worse than the mean: that note says it
    assert store.no_better_than_averages_note(diverged) == ""


def test_the_cli_prints_the_baselines_and_warns(tmp_path, capsys):
    from movierate.cli import main

    ratings = pd.DataFrame(
        {"user_id": np.repeat(np.arange(150), 40), "movie_id": np.tile(np.arange(60), 100)}
    )
    rng = np.random.default_rng(0)
    other = np.where(ratings["movie_id"] % 3 == 0, 1, 5)  # the 7% not 4: low for some movies
    ratings["rating"] = np.where(rng.random(len(ratings)) < 0.93, 4, other)
    path = tmp_path / "gathered.csv"
    ratings.to_csv(path, index=False)
    from_csv(path, save_as="gathered")
    assert main(["train", "gathered", "--name", "g", "--dim", "4", "--epochs", "5"]) == 0
    out, err = capsys.readouterr()
    metrics = store.load_model("g").metrics
    assert metrics["test_rmse"] < metrics["test_rmse_of_mean"], (metrics, err)
    assert store.baselines_text(metrics) in out
    assert metrics["test_mae"] > metrics["test_mae_of_median"]  # the median of 4 is hard to beat
    assert "Its test MAE" in err and "median rating" in err


def test_show_and_evaluate_give_the_baselines_and_the_settled_epoch(movielens_dir, capsys):
    """Recheck: `evaluate` and `show` gave neither the reference numbers nor the warning, and
    `train` said "best epoch 6 of 10" where only epochs from 6 on could be kept."""
    from movierate.cli import main

    spec = ModelSpec(
        family="mf_bias", dim=4, epochs=4, batch_size=4096, early_stopping_patience=0,
        regularizers={"whitening": 1.0},
    )  # fmt: skip
    name = pipeline.train_and_save("ml-100k", spec, "w1")
    metrics = store.load_model(name).metrics
    assert main(["evaluate", name]) == 0
    out = capsys.readouterr().out
    assert store.baselines_text(metrics) in out
    assert main(["show", name]) == 0
    out = capsys.readouterr().out
    assert f"({store.baselines_text(metrics)})" in out
    note = store.settled_note(metrics)
    assert note == "" or f"(kept epoch {metrics['best_epoch']}{note})" in out
    assert store.settled_note({"settled_epoch": 6.0}) == (
        ", counted from epoch 6, once the regularizers had settled"
    )
    assert store.settled_note({"settled_epoch": 1.0}) == "" and store.settled_note({}) == ""
    assert store.settled_note({"settled_epoch": None}) == (
        ", the last: the regularizers never settled"
    )


def test_the_worst_model_is_warned_everywhere_and_told_which_way_to_go(movielens_dir, capsys):
    """Accuracy round 11: `show` and `evaluate` said nothing of a model worse than the mean
    (only of one no better than the averages), `tune` said neither, and a model trained one
    epoch at a learning rate of 1e-6 was told to lower the rate."""
    from movierate.cli import main

    spec = ModelSpec(family="mf_bias", dim=4, epochs=1, batch_size=4096, learning_rate=1e-6)
    name = pipeline.train_and_save("ml-100k", spec, "lazy")
    metrics = store.load_model(name).metrics
    assert metrics["test_rmse"] > metrics["test_rmse_of_averages"]
    warning = store.reference_warning(metrics)
    assert warning and warning in (
        store.worse_than_mean_note(metrics) or store.no_better_than_averages_note(metrics)
    )
    for command in (["show", name], ["evaluate", name]):
        capsys.readouterr()
        assert main(command) == 0
        assert f"warning: {warning[:60]}" in capsys.readouterr().err, command
    worse = {"test_rmse": 1.2, "test_rmse_of_mean": 1.1, "best_epoch": 1, "epochs_run": 1}
    assert "train longer or with a higher learning rate" in store.reference_warning(worse)
    diverged = {**worse, "epochs_run": 6}
    assert "got worse after epoch 1: lower the learning rate" in store.reference_warning(diverged)
    # accuracy round 15: beaten on its early-stopping rows, the model's test rows differ from
    # those, and "train longer" does not fit (a tune on test rows flipped r -> 5.5 - r)
    checked = {**worse, "stop_rmse": 0.8506, "stop_rmse_of_mean": 1.0361}
    checked.update(  # each beyond the draw (bad-input round 41, F1)
        test_rmse_minus_mean=0.1, test_rmse_minus_mean_ci95=0.05,
        stop_rmse_minus_mean=-0.1855, stop_rmse_minus_mean_ci95=0.05,
    )  # fmt: skip
    said = store.reference_warning(checked)
    assert "yet on its early-stopping rows it beat that mean (0.8506 against 1.0361)" in said
    assert "the test rows behave unlike the rows the model was checked on" in said
    assert "train longer or" not in said and "learned nothing" not in said
    no_gain = {**checked, "stop_rmse_minus_mean": 0.0001}  # no gain there: the old advice
    assert "train longer or with a higher learning rate" in store.reference_warning(no_gain)
    assert store.test_rows_differ({**checked, "stop_rmse_minus_mean_ci95": None}) == ""
    beaten = {"test_rmse": 0.95, "test_rmse_of_mean": 1.1, "test_rmse_of_averages": 0.94}
    assert store.reference_warning(beaten).startswith("Its test RMSE 0.9500 is no better")
    assert store.reference_warning({**beaten, "test_rmse": 0.93}) == ""


def test_tune_prints_the_baselines(movielens_dir, capsys):
    from movierate.cli import main

    argv = ["tune", "ml-100k", "--trials", "1", "--max-epochs", "1", "--no-refit", "--name", "t1"]
    assert main(argv) == 0
    assert store.baselines_text(store.load_model("t1").metrics) in capsys.readouterr().out


def test_averages_that_lose_to_the_mean_are_said_to():
    """Accuracy round 13: on pure noise the model was "lower beyond the draw" than the
    averages, unsaid that the averages scored worse than the training mean."""
    metrics = {
        "test_rmse": 0.7951, "test_rmse_of_mean": 0.7922, "test_mae_of_median": 0.64,
        "test_rmse_of_averages": 0.7977, "test_mae_of_averages": 0.65,
        "test_rmse_minus_averages": -0.0026, "test_rmse_minus_averages_ci95": 0.0020,
    }  # fmt: skip
    said = store.baselines_text(metrics)
    assert "lower beyond the draw" in said
    assert said.endswith(
        "Here the user and movie averages score worse than the training mean (RMSE 0.7977 "
        "against 0.7922), so being below them does not show that the model learned anything: "
        "compare it with the mean. Its test RMSE minus the mean's: +0.0029 (no interval is "
        "recorded for that)."
    )
    assert store.baselines_text(metrics, with_gap=False).endswith("compare it with the mean.")
    assert store.averages_gap_text(metrics, short=True).endswith(
        "lower beyond the draw, but the averages lose to the mean here"
    )
    metrics["test_rmse_of_averages"] = 0.7900  # the averages beat the mean: no warning
    assert "worse than the training mean" not in store.baselines_text(metrics)
    assert not store.averages_gap_text(metrics, short=True).endswith("here")


def test_a_model_tuned_before_round_15_reads_the_search_s_mean_from_its_tuning_summary(
    trained_home, tmp_path, monkeypatch, capsys
):
    """Recheck (s29), N5: a tuned model saved before accuracy round 15 held the mean's RMSE on
    the search's early-stopping rows only in its tuning summary, so ``show`` told it to train
    longer one section below that summary's 0.8506 against 1.0361."""
    import json
    import shutil

    from movierate.cli import main

    home = tmp_path / "home"
    shutil.copytree(trained_home / "models" / "small-mf", home / "models" / "tuned-old")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    path = home / "models" / "tuned-old" / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    metrics = meta["metrics"]
    for key in [k for k in metrics if k == "stop_rmse_of_mean" or "minus_mean" in k]:
        metrics.pop(key)  # none of them recorded before round 15 (the gaps: round 41)
    metrics.update(stop_rmse=0.8506, test_rmse=metrics["test_rmse_of_mean"] + 0.5)
    meta["tuning"] = {"best": {"trial": 4, "value": 0.8506}, "stop_rmse_of_mean": 1.0361}
    path.write_text(json.dumps(meta), encoding="utf-8")
    before = path.read_bytes()
    assert store.read_meta("tuned-old")["metrics"]["stop_rmse_of_mean"] == 1.0361
    assert main(["show", "tuned-old"]) == 0
    said = capsys.readouterr().err
    assert "it beat that mean (0.8506 against 1.0361)" in said and "train longer" not in said
    assert path.read_bytes() == before  # read in memory only
    del meta["tuning"]["stop_rmse_of_mean"]  # nothing recorded: the old advice
    path.write_text(json.dumps(meta), encoding="utf-8")
    assert "stop_rmse_of_mean" not in store.read_meta("tuned-old")["metrics"]


def test_the_averages_gap_and_the_rmse_interval_say_which_rule_made_them():
    """Accuracy round 20 F2: the ± could be the normal cutoff's (a model saved before), Student
    t over the test users, or on few users the sign-flip test's; each says which, and old
    records keep their stored numbers, labelled as the normal cutoff's."""
    old = {"test_rmse_ci95": 0.0123, "test_rmse_minus_averages": -0.0134,
           "test_rmse_minus_averages_ci95": 0.0109}  # fmt: skip
    assert "normal cutoff, too narrow under about 100 test users" in store.rmse_interval_text(old)
    assert store.averages_gap_text(old) == (
        "The model's test RMSE minus the averages': -0.0134 ± 0.0109 (95%, paired over those "
        "rows; normal cutoff, recorded before few test users got the sign-flip test; another "
        "training seed moves it too): lower beyond the draw."
    )
    few = {**old, "test_users": 12, "test_rmse_minus_averages_p": 0.031}
    assert "(95%, Student t over 12 test users:" in store.rmse_interval_text(few)
    assert store.averages_gap_text(few).endswith(
        "(95%, paired over those rows; 12 test users: sign-flip test by user, p 0.031; another "
        "training seed moves it too): lower beyond the draw."
    )
    many = {**old, "test_users": 459}
    assert "(95%, paired over those rows, by user over 459 test users;" in (
        store.averages_gap_text(many)
    )
