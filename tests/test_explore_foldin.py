"""movierate.explore.foldin: fitting a new user to a few ratings without retraining."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate import scoring
from movierate.errors import DataError
from movierate.explore import fit_pca, fold_in, predict_all, recommend_from_ratings

DIM, N_MOVIES, N_USERS = 4, 60, 200


class FakeModel:
    """The part of TrainedModel the fold-in uses."""

    def __init__(self, output: str = "none", family: str = "mf_bias", seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.arrays = {
            "movie_embedding": rng.normal(size=(N_MOVIES, DIM)).astype(np.float32),
            "movie_bias": rng.normal(scale=0.3, size=N_MOVIES).astype(np.float32),
            "user_embedding": rng.normal(scale=0.5, size=(N_USERS, DIM)).astype(np.float32),
            "user_bias": rng.normal(scale=0.2, size=N_USERS).astype(np.float32),
            "global_mean": np.float32(3.0),
        }
        self.spec = SimpleNamespace(family=family, output=output)
        self.rating_scale = (0.5, 5.0, 0.5)
        self.metrics = {"valid_rmse": 0.01}
        self.movies = movies_table(N_MOVIES, n_ratings=[50] * N_MOVIES)

    @property
    def global_mean(self) -> float:
        return float(self.arrays["global_mean"])


def true_ratings(model: FakeModel, u: np.ndarray, b: float, rows) -> dict[int, float]:
    arrays = dict(
        model.arrays, user_embedding=u[None].astype(np.float32), user_bias=np.float32([b])
    )
    scores = scoring.score_all_movies(arrays, model.spec, 0, model.rating_scale)
    return {int(r): float(scores[r]) for r in rows}


@pytest.mark.parametrize("output", ["none", "clip", "sigmoid"])
def test_recovers_a_known_user_from_many_ratings(output):
    model = FakeModel(output)
    u, b = np.array([0.4, -0.3, 0.2, 0.1]), 0.15
    ratings = true_ratings(model, u, b, range(40))
    if output == "clip":
        ratings = {r: v for r, v in ratings.items() if 0.5 < v < 5.0}
    fold = fold_in(model, ratings)
    assert np.allclose(fold.vector, u, atol=0.02)
    assert fold.bias == pytest.approx(b, abs=0.02)
    assert np.allclose(fold.fitted, list(ratings.values()), atol=0.02)
    predicted = predict_all(model, fold)  # the same transform as scoring
    truth = true_ratings(model, u, b, range(N_MOVIES))
    assert np.allclose(predicted, list(truth.values()), atol=0.05)


def test_prior_shrinks_few_noisy_ratings_to_the_average_user():
    model = FakeModel()
    model.metrics = {"valid_rmse": 3.0}
    fold = fold_in(model, {0: 5.0})
    mean_user = model.arrays["user_embedding"].mean(axis=0)
    assert np.linalg.norm(fold.vector - mean_user) < 0.05
    sharp = fold_in(model, {0: 5.0}, noise_variance=1e-4)
    assert np.linalg.norm(sharp.vector - mean_user) > 0.2
    lam = fold.precision
    assert np.allclose(lam[:DIM], 9.0 / model.arrays["user_embedding"].var(axis=0), rtol=1e-4)


@pytest.mark.parametrize("output", ["none", "sigmoid"])
def test_contributions_add_up_to_the_user_part_of_the_score(output):
    model = FakeModel(output)
    ratings = {3: 5.0, 7: 1.0, 11: 4.0, 20: 2.5}
    fold = fold_in(model, ratings)
    rows = np.arange(N_MOVIES)
    contrib = fold.contributions(model.arrays["movie_embedding"], rows)
    phi = np.hstack([model.arrays["movie_embedding"], np.ones((N_MOVIES, 1))])
    theta = np.r_[fold.vector, fold.bias]
    assert contrib.shape == (N_MOVIES, 4)
    assert np.allclose(contrib.sum(axis=1) + phi @ fold.prior_mean, phi @ theta, atol=1e-3)


def test_recommend_from_ratings_excludes_rated_and_names_drivers():
    model = FakeModel()
    m = model.arrays["movie_embedding"]
    liked = int(np.argmax(m[:, 0]))
    ratings = {liked: 5.0, int(np.argmin(m[:, 0])): 0.5}
    pca = fit_pca(model.arrays["user_embedding"], n_components=2)
    result = recommend_from_ratings(model, ratings, k=5, pca=pca)
    recs = result.recommended
    assert len(recs) == 5 and not set(recs["movie_idx"]) & set(ratings)
    assert recs["predicted"].is_monotonic_decreasing
    assert result.coordinates.shape == (2,)
    assert np.allclose(result.coordinates, pca.transform(result.fold.vector[None])[0])
    first = recs["movie_idx"].iloc[0]
    drivers = result.reasons[result.reasons["movie_idx"] == first]
    assert len(drivers) == 2
    top = drivers.sort_values("taste").iloc[-1]
    pushed = f"{top['rated_title']} (rated {top['rating']:g}: {top['taste']:+.2f})"
    assert pushed in recs["because"].iloc[0]  # accuracy round 8: with the push's size
    assert "leans mostly on the average user" in result.message
    np.testing.assert_allclose(drivers["level"] + drivers["taste"], drivers["contribution"])


def test_the_level_a_rating_sets_is_not_a_reason_for_any_one_movie():
    """Views review round 3: with one 5-star rating every recommendation said "because Toy
    Story": only the user's level, which raises every score alike. The level part of a
    contribution (its average over the movies) is the same for every movie, so the ranking
    comes from the taste part."""
    model = FakeModel()
    m = model.arrays["movie_embedding"]
    rated = int(np.argmax(np.linalg.norm(m, axis=1)))
    for rating in (5.0, 0.5):
        result = recommend_from_ratings(model, {rated: rating}, k=8)
        reasons = result.reasons
        assert reasons["level"].nunique() == 1  # one rated movie: one level for every row
        level = reasons["level"].iloc[0]
        assert (level > 0) == (rating == 5.0)
        named = result.recommended["because"] != ""
        assert (
            named
            == (
                reasons.set_index("movie_idx")
                .loc[result.recommended["movie_idx"], "taste"]
                .to_numpy()
                > 0
            )
        ).all()
    assert result.fold.level_contributions(m).shape == (1,)
    no_bias = FakeModel()
    del no_bias.arrays["user_bias"]  # mf: the level goes through the vector alone
    result = recommend_from_ratings(no_bias, {rated: 5.0}, k=3)
    reasons = result.reasons
    # accuracy round 51: the level is the contribution averaged over the movies, not zero
    average = result.fold.contributions(m, np.arange(N_MOVIES)).mean(axis=0)[0]
    assert reasons["level"].to_numpy() == pytest.approx(np.full(3, average))
    np.testing.assert_allclose(reasons["level"] + reasons["taste"], reasons["contribution"])


def test_bad_input_and_deep_models():
    with pytest.raises(DataError, match="mf, mf_bias, svdpp and autorec"):
        fold_in(FakeModel(family="deep"), {0: 4.0})
    model = FakeModel()
    with pytest.raises(DataError, match="at least one"):
        fold_in(model, {})
    with pytest.raises(DataError, match="must lie in"):
        fold_in(model, {0: 9.0})
    with pytest.raises(DataError, match="not a number"):
        fold_in(model, {0: "five"})
    with pytest.raises(DataError, match="outside"):
        fold_in(model, {N_MOVIES: 4.0})


@pytest.mark.parametrize("output", ["clip", "sigmoid"])
def test_fold_in_beats_movie_means_for_held_out_ml100k_users(movielens_dir, output):
    """Train mf_bias (clip or sigmoid output) on ml-100k without 40 users, fold each in from 10 of their ratings and
    predict the rest: the RMSE must beat the (shrunk) movie-mean baseline."""
    from movierate import store
    from movierate.data import load_dataset
    from movierate.data.splits import Split
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    ds = load_dataset("ml-100k")
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    y = ds.ratings["rating"].to_numpy(np.float64)
    rng = np.random.default_rng(0)
    counts = np.bincount(users)
    held = rng.choice(np.flatnonzero(counts >= 40), 40, replace=False)
    others = np.flatnonzero(~np.isin(users, held))
    valid = np.sort(rng.choice(others, len(others) // 20, replace=False))
    split = Split("random", 0, 0.0, 0.05, np.setdiff1d(others, valid), valid, valid[:0])
    spec = ModelSpec(family="mf_bias", dim=16, epochs=8, regularizers={"l2": 1e-4}, output=output)
    store.save_model("foldin", train(ds, split, spec), ds, split, spec)
    model = store.load_model("foldin")

    seen = split.train
    sums = np.bincount(movies[seen], weights=y[seen], minlength=ds.n_movies)
    n = np.bincount(movies[seen], minlength=ds.n_movies)
    g = y[seen].mean()
    movie_mean = (sums + 5 * g) / (n + 5)
    err_fold, err_base = [], []
    for user in held:
        rows = rng.permutation(np.flatnonzero(users == user))
        given, rest = rows[:10], rows[10:]
        fold = fold_in(model, {int(movies[i]): float(y[i]) for i in given})
        err_fold.append(predict_all(model, fold)[movies[rest]] - y[rest])
        err_base.append(movie_mean[movies[rest]] - y[rest])
    rmse_fold = float(np.sqrt(np.mean(np.concatenate(err_fold) ** 2)))
    rmse_base = float(np.sqrt(np.mean(np.concatenate(err_base) ** 2)))
    print(f"{output}: fold-in RMSE {rmse_fold:.4f} vs movie-mean {rmse_base:.4f}")
    assert rmse_fold < rmse_base


@pytest.mark.parametrize("output", ["none", "sigmoid"])
def test_vectors_too_large_for_the_arithmetic_are_named_not_a_linalg_error(output):
    """Bad input round 7: a hand-edited model with finite vectors at 1e30 (squares overflow)
    made Rate fail with numpy's LinAlgError; it is a clear error naming the largest value."""
    model = FakeModel(output)
    model.arrays["movie_embedding"] = np.full((N_MOVIES, DIM), 1e30, np.float32)
    with pytest.raises(DataError, match="too large for the arithmetic .* 1e\\+30"):
        fold_in(model, {0: 4.0, 1: 2.0, 2: 5.0})


def test_picks_the_average_user_makes_anyway_are_marked_and_counted():
    """Accuracy round 8: about two thirds of a rater's list (6.4 of 10 over 200 random raters)
    was the average user's list anyway, while the page said the taste push picks the list."""
    rng = np.random.default_rng(11)
    model = FakeModel(seed=11)
    ratings = {int(m): float(rng.integers(1, 6)) for m in rng.choice(N_MOVIES, 6, replace=False)}
    result = recommend_from_ratings(model, ratings, k=8)
    recs = result.recommended
    fold = result.fold
    average = predict_all(model, fold, average=True)
    average[fold.rows] = -np.inf
    eligible = np.argsort(-average, kind="stable")[:8]
    assert list(recs["also average"]) == [m in set(eligible) for m in recs["movie_idx"]]
    shared = int(recs["also average"].sum())
    assert f"{shared} of these 8 are also the average user's top 8" in result.message
    assert f"so your ratings chose {8 - shared}." in result.message
    # recheck: a pick can be listed though the ratings lowered it; the net change says so
    net = result.recommended["vs average"].to_numpy()
    scores = predict_all(model, fold)[recs["movie_idx"].to_numpy()]
    np.testing.assert_allclose(
        net, scores - predict_all(model, fold, average=True)[recs["movie_idx"].to_numpy()]
    )
    assert "+0.00)" not in " ".join(recs["because"])


def test_a_prior_that_outweighs_the_ratings_is_said():
    """Views round 5b: an autorec's prior weighed 395-2,313 times the ratings per dimension, so
    Rate gave the average user's list whatever one rated, with specific-looking reasons."""
    model = FakeModel(seed=3)
    model.arrays["movie_embedding"] = model.arrays["movie_embedding"] * 1e-4
    model.arrays.pop("user_bias")  # no level either: nothing the ratings could move
    ratings = {i: 5.0 if i % 2 else 1.0 for i in range(8)}
    result = recommend_from_ratings(model, ratings, k=5)
    assert result.recommended["also average"].all()
    assert "This is the average user's list: per dimension, the model's prior" in result.message


def test_ratings_that_agree_with_the_average_user_are_not_said_to_be_outweighed():
    """Recheck 2: ratings equal to the average user's own predictions gave the average user's
    list, and the page blamed a prior that weighed only 4 times the ratings."""
    model = FakeModel(seed=2)
    model.metrics = {"valid_rmse": 1.0}
    fold = fold_in(model, {0: 3.0})
    average = predict_all(model, fold, average=True)
    ratings = {i: float(np.clip(np.round(average[i] * 2) / 2, 0.5, 5)) for i in range(20)}
    result = recommend_from_ratings(model, ratings, k=5)
    assert result.recommended["also average"].all()  # the average user's list: they agree
    assert "This is the average user's list" not in result.message


def test_a_refit_tuned_model_s_noise_is_its_search_s_early_stopping_error():
    """Accuracy round 9: a refit model records no early-stopping RMSE (those rows trained it),
    so Rate's prior fell back to a noise variance of 1.0 instead of the search's 0.899^2."""
    from types import SimpleNamespace

    from movierate.explore.foldin import _noise_variance

    refit = SimpleNamespace(metrics={"test_rmse": 0.9}, meta={"tuning": {"best": {"value": 0.899}}})
    assert _noise_variance(refit) == pytest.approx(0.899**2)
    blend = {"tuning": {"best": {"value": 0.95}, "blend": {"stop_rmse": 0.88}}}
    assert _noise_variance(SimpleNamespace(metrics={}, meta=blend)) == pytest.approx(0.88**2)
    assert _noise_variance(SimpleNamespace(metrics={"stop_rmse": 0.8}, meta={})) == pytest.approx(
        0.64
    )
    assert _noise_variance(SimpleNamespace(metrics={}, meta={})) == 1.0


def svdpp_model() -> FakeModel:
    """A FakeModel with svdpp's saved arrays: p (user_factor), the implicit table y and
    user_embedding = p + |N|^-1/2 sum y over each user's (here: random) rated movies."""
    model = FakeModel(family="svdpp")
    rng = np.random.default_rng(5)
    p = model.arrays["user_embedding"].copy()
    y = rng.normal(scale=0.3, size=(N_MOVIES, DIM)).astype(np.float32)
    effective = p.copy()
    for user in range(N_USERS):
        rated = rng.choice(N_MOVIES, size=8, replace=False)
        effective[user] += y[rated].sum(0) / np.sqrt(len(rated))
    model.arrays.update(user_factor=p, implicit_embedding=y, user_embedding=effective)
    return model


def test_svdpp_fold_in_recovers_a_planted_user_with_the_implicit_sum_over_the_rated_movies():
    model = svdpp_model()
    rows = np.arange(0, 40)
    y = model.arrays["implicit_embedding"].astype(np.float64)
    p, b = np.array([0.4, -0.3, 0.2, 0.1]), 0.15
    effective = p + y[rows].sum(0) / np.sqrt(len(rows))
    ratings = true_ratings(model, effective, b, rows)
    fold = fold_in(model, ratings)
    np.testing.assert_allclose(fold.vector, effective, atol=0.02)
    assert fold.bias == pytest.approx(b, abs=0.02)
    truth = true_ratings(model, effective, b, range(N_MOVIES))
    np.testing.assert_allclose(predict_all(model, fold), list(truth.values()), atol=0.03)
    # the fit without the implicit sum (a plain mf_bias fold-in) is off by it
    plain = FakeModel(family="mf_bias")
    plain.arrays = {k: v for k, v in model.arrays.items() if k != "implicit_embedding"}
    assert not np.allclose(fold_in(plain, ratings).vector, p, atol=0.02)


@pytest.mark.parametrize("output", ["none", "sigmoid"])
def test_svdpp_contributions_add_up_to_the_score_minus_the_average_users(output):
    model = svdpp_model()
    model.spec = SimpleNamespace(family="svdpp", output=output)
    fold = fold_in(model, {3: 5.0, 7: 1.0, 11: 4.0, 20: 2.5})
    rows = np.arange(N_MOVIES)
    contrib = fold.contributions(model.arrays["movie_embedding"], rows)
    z = predict_all(model, fold, clip=False)
    z_average = predict_all(model, fold, clip=False, average=True)
    if output == "sigmoid":  # compare before the output transform: logit of the rescaled score
        lo, hi = 0.5 - scoring.SIGMOID_MARGIN, 5.0 + scoring.SIGMOID_MARGIN

        def logit(v):
            return np.log((v - lo) / (hi - v))

        z, z_average = logit(z), logit(z_average)
    np.testing.assert_allclose(contrib.sum(axis=1), z - z_average, rtol=1e-3, atol=1e-3)


def test_svdpp_without_its_implicit_table_is_refused_by_name():
    model = svdpp_model()
    del model.arrays["implicit_embedding"]
    with pytest.raises(DataError, match="lack implicit_embedding"):
        fold_in(model, {0: 4.0})
