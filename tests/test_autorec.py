"""The autorec family (item-based AutoRec): trains, saves, reloads, predicts the same in numpy
and Keras, beats the global mean on held-out rows, refuses what it cannot do, and every
dashboard page opens it like an mf_bias model."""

from __future__ import annotations

import numpy as np
import pytest
from apptest_helpers import assert_page_opens, every_page, movierate_env
from test_app_train import fake_jobs, open_train, submit  # noqa: F401  (fake_jobs: a fixture)

from movierate import cli, scoring, store
from movierate import explore as ex
from movierate.data import make_split, synthetic_dataset
from movierate.errors import SpecError
from movierate.spec import ModelSpec

SPEC = ModelSpec(
    family="autorec",
    dim=24,
    epochs=40,
    early_stopping_patience=5,
    batch_size=512,
    learning_rate=0.003,
    regularizers={"l2": 20.0},
)


@pytest.fixture(scope="module")
def trained():
    from movierate.nn.training import train

    ds = synthetic_dataset(n_ratings=12_000, n_users=150, n_movies=200, seed=3)
    split = make_split(ds, "random", 0.2, seed=0)
    return ds, split, SPEC, train(ds, split, SPEC)


def columns(ds):
    frame = ds.ratings
    return (
        frame["user_idx"].to_numpy(),
        frame["movie_idx"].to_numpy(),
        frame["rating"].to_numpy(np.float64),
    )


def test_exports_a_dot_product_model_whose_movie_vectors_are_the_codes(trained):
    ds, split, spec, result = trained
    arrays = result.arrays
    assert spec.has_user_bias and not spec.has_movie_bias
    assert arrays["user_embedding"].shape == (ds.n_users, 24)
    assert arrays["movie_embedding"].shape == (ds.n_movies, 24)
    assert "movie_bias" not in arrays and arrays["user_bias"].shape == (ds.n_users,)
    assert scoring.shape_problem({k: v.shape for k, v in arrays.items()}, "autorec", 24) is None
    # h_i = sigmoid(V^T r_i + mu) over the TRAINING ratings only
    users, movies, ratings = columns(ds)
    train = np.asarray(split.train)
    v, mu = arrays["user_encoder"].astype(np.float64), arrays["encoder_bias"]
    for movie in (0, 7, 42):
        rows = train[movies[train] == movie]
        expected = 1 / (1 + np.exp(-(ratings[rows] @ v[users[rows]] + mu)))
        np.testing.assert_allclose(arrays["movie_embedding"][movie], expected, atol=1e-5)
    assert result.metrics["best_epoch"] >= 1 and "stop_rmse" in result.metrics


def test_numpy_equals_keras_before_and_after_a_save_and_reload(trained):
    ds, split, spec, result = trained
    users, movies, _ = columns(ds)
    pairs = np.stack([users, movies], 1)
    keras_pred = result.keras_model.predict(pairs, verbose=0, batch_size=4096).reshape(-1)
    numpy_pred = scoring.predict(result.arrays, spec, users, movies, ds.rating_scale)
    np.testing.assert_allclose(numpy_pred, keras_pred, atol=1e-4)

    store.save_model("autorec-tiny", result, ds, split, spec)
    model = store.load_model("autorec-tiny")
    assert model.spec.family == "autorec"
    np.testing.assert_allclose(model.predict(users, movies), keras_pred, atol=1e-4)
    reloaded = model.keras_model().predict(pairs, verbose=0, batch_size=4096).reshape(-1)
    np.testing.assert_allclose(reloaded, keras_pred, atol=1e-5)
    np.testing.assert_allclose(
        model.score_all_movies(3), model.predict(3, np.arange(ds.n_movies)), atol=1e-5
    )


def test_beats_the_global_mean_on_held_out_rows_of_a_planted_low_rank_set(trained):
    ds, split, spec, result = trained
    users, movies, ratings = columns(ds)
    test = np.asarray(split.test)
    pred = scoring.predict(result.arrays, spec, users[test], movies[test], ds.rating_scale)
    rmse = np.sqrt(np.mean((pred - ratings[test]) ** 2))
    baseline = np.sqrt(np.mean((ratings[np.asarray(split.train)].mean() - ratings[test]) ** 2))
    assert rmse < 0.9 * baseline, (rmse, baseline)


def test_movies_and_users_without_training_ratings():
    from movierate.nn.training import train

    ds = synthetic_dataset(n_ratings=2000, n_users=40, n_movies=60, seed=5)
    users, movies, _ = columns(ds)
    lonely_movie, lonely_user = 0, 1
    held = np.flatnonzero((movies == lonely_movie) | (users == lonely_user))
    rest = np.setdiff1d(np.arange(len(ds)), held)
    from movierate.data import Split

    split = Split("custom", 0, 0.1, 0.1, rest[:-200], rest[-200:], held)
    spec = SPEC.with_(dim=8, epochs=3)
    result = train(ds, split, spec)
    arrays = result.arrays
    mu = arrays["encoder_bias"]
    # a movie without training ratings: the code of an empty input
    np.testing.assert_allclose(
        arrays["movie_embedding"][lonely_movie], 1 / (1 + np.exp(-mu)), atol=1e-6
    )
    # a user without training ratings: the global mean everywhere
    assert not arrays["user_embedding"][lonely_user].any() and arrays["user_bias"][lonely_user] == 0
    pred = scoring.predict(arrays, spec, lonely_user, np.arange(ds.n_movies), ds.rating_scale)
    np.testing.assert_allclose(pred, result.global_mean, atol=1e-5)
    keras_pred = result.keras_model.predict(
        np.array([[lonely_user, 5], [2, lonely_movie]]), verbose=0
    ).reshape(-1)
    np.testing.assert_allclose(
        keras_pred,
        scoring.predict(arrays, spec, [lonely_user, 2], [5, lonely_movie], ds.rating_scale),
        atol=1e-5,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"movie_bias": True}, "no movie bias"),
        ({"user_bias": False}, "always has a user bias"),
        ({"regularizers": {"l2": 1.0, "whitening": 0.1}}, "l2 regularizer only"),
        ({"embedding_dropout": 0.2}, "no embedding dropout"),
    ],
)
def test_settings_autorec_cannot_take_are_spec_errors(changes, message):
    with pytest.raises(SpecError, match=message):
        SPEC.with_(**changes).validate()


def test_catalogues_too_big_for_memory_are_refused_with_the_limit():
    from movierate.nn.autorec import MAX_USER_UNITS, check_size

    check_size(MAX_USER_UNITS // 500, 500)
    with pytest.raises(SpecError, match="limit is users x hidden units") as info:
        check_size(1_000_000, 500)
    assert f"dim <= {MAX_USER_UNITS // 1_000_000}" in str(info.value)


def test_progress_and_cancel():
    import threading

    from movierate.errors import TrainingCancelled
    from movierate.nn.training import train
    from movierate.progress import Phase

    ds = synthetic_dataset(n_ratings=2000, n_users=40, n_movies=60, seed=6)
    split = make_split(ds, "random", 0.2, seed=0)
    events = []
    train(ds, split, SPEC.with_(dim=4, epochs=2, batch_size=64), progress=events.append)
    phases = [e.phase for e in events]
    assert Phase.BATCH in phases and phases.count(Phase.EPOCH) == 2 and phases[-1] == Phase.DONE
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        train(ds, split, SPEC.with_(dim=4), cancel=cancel)


def test_learning_rate_decay_sets_each_epochs_rate():
    from movierate.nn.training import train

    ds = synthetic_dataset(n_ratings=2000, n_users=40, n_movies=60, seed=6)
    split = make_split(ds, "random", 0.2, seed=0)
    spec = SPEC.with_(dim=4, epochs=3, batch_size=64)
    frozen = train(ds, split, spec.with_(learning_rate_decay=1e-9)).history["train_rmse"]
    steady = train(ds, split, spec).history["train_rmse"]
    assert frozen[1:] == pytest.approx([frozen[0]] * 2, abs=1e-6)
    assert frozen[0] == pytest.approx(steady[0]) and steady[2] < steady[0] - 1e-3


def test_cli_trains_an_autorec_model(capsys):
    argv = "train ml-100k --family autorec --dim 8 --epochs 2 --batch-size 8192 --name cli-ar"
    code = cli.main(argv.split())
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "saved 'cli-ar'" in out and "test RMSE" in out
    assert store.load_model("cli-ar").spec.family == "autorec"


def test_the_train_page_offers_autorec(trained_home, fake_jobs):  # noqa: F811
    _, submitted, _ = fake_jobs
    at = open_train()
    family = at.selectbox(key="spec_family")
    assert "autorec" in family.options or any("AutoRec" in o for o in family.options)
    family.set_value("autorec")
    at = submit(at, **{"Model name": "page-autorec"})
    spec = submitted[-1]["spec"]
    assert spec.family == "autorec"
    # Fields left at the form's (mf_bias) values take autorec's own defaults, and the page says so.
    assert spec.dim == 500 and spec.regularizers == {"l2": 100.0}
    assert any("own defaults" in info.value for info in at.info)


def test_the_train_page_keeps_a_changed_autorec_setting(trained_home, fake_jobs):  # noqa: F811
    _, submitted, _ = fake_jobs
    at = open_train()
    at.selectbox(key="spec_family").set_value("autorec")
    dim = next(w for w in at.text_input if w.key == "spec_dim")
    dim.set_value("300")
    submit(at, **{"Model name": "page-autorec-300"})
    assert submitted[-1]["spec"].dim == 300


# --- every page opens an autorec model trained on a real MovieLens set -------------------------


@pytest.fixture(scope="module")
def autorec_home(tmp_path_factory, movielens_dir):
    from movierate.pipeline import train_and_save

    home = tmp_path_factory.mktemp("autorec-home")
    with movierate_env(home, movielens_dir):
        spec = SPEC.with_(dim=16, epochs=3, batch_size=4096, regularizers={"l2": 50.0})
        train_and_save("ml-latest-small", spec, "small-ar")
    return home


@pytest.fixture
def ar_home(autorec_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(autorec_home))
    return autorec_home


def test_explore_functions_open_an_autorec_model(ar_home):
    model = store.load_model("small-ar")
    ds_ratings = model.ratings() if hasattr(model, "ratings") else None
    index = ex.neighbour_index(model)
    assert len(index.nearest(0, k=5)) == 5
    assert len(ex.model_dimension_importance(model)) > 0
    assert len(ex.model_norms_vs_popularity(model)) == len(model.movies)
    assert len(ex.pca_coordinates(model.movie_embedding, model.movies, min_ratings=0)) > 0
    del ds_ratings
    fold = ex.recommend_from_ratings(model, {0: 5.0, 1: 1.0, 2: 4.5}, k=5)
    assert len(fold.recommended) == 5


@pytest.mark.parametrize(("page", "query"), every_page("small-ar"))
def test_every_page_opens_an_autorec_model(ar_home, page, query):
    assert_page_opens(page, query)


def test_the_tuner_searches_autorec_in_its_own_ranges():
    import optuna

    from movierate.defaults import default_spec_for
    from movierate.tuning import default_trial_params, search_space, suggest_spec

    space = search_space("autorec")
    assert space["l2"][1] >= 10 and 500 in space["dim"]
    default = default_spec_for("ml-100k", "autorec")
    assert default.dim == 500 and default.regularizers["l2"] >= 10
    params = default_trial_params("autorec", ("autorec",), "ml-100k")
    assert params["dim"] == 500 and params["l2"] == default.regularizers["l2"]
    spec = suggest_spec(optuna.trial.FixedTrial(params | {"dropout": 0.1}), ("autorec",), SPEC, 7)
    assert spec.family == "autorec" and spec.epochs == 7 and spec.dropout == 0.1
    assert spec.regularizers == {"l2": default.regularizers["l2"]}
    # two families in one study: autorec's parameters carry its name
    mixed = default_trial_params("autorec", ("mf_bias", "autorec"), "ml-100k")
    assert mixed["family"] == "autorec" and "autorec.l2" in mixed


def test_cli_flags_left_unset_take_autorec_defaults():
    from movierate.cli.train import spec_from_args

    args = cli.build_parser().parse_args(["train", "ml-100k", "--family", "autorec", "--dim", "64"])
    spec = spec_from_args(args)
    assert spec.dim == 64 and spec.regularizers["l2"] >= 10
