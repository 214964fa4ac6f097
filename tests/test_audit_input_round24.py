"""Bad-input round 24: movierate used as a library from notebooks (edited datasets, numpy
scalars, truthy strings for flags, hand-built ratings, Ctrl-C after a save)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import atomic, pipeline, store
from movierate.data import from_csv, load_dataset, make_split, synthetic_dataset
from movierate.errors import DataError, SpecError, StoreError
from movierate.spec import ModelSpec

SPEC = ModelSpec(dim=2, epochs=1)


@pytest.fixture
def ds():
    return synthetic_dataset(n_ratings=600, n_users=20, n_movies=30, seed=0)


@pytest.fixture
def no_training(monkeypatch):
    """Training replaced by a failure: every refusal below comes before TensorFlow."""
    stub = types.ModuleType("movierate.nn.training")

    def train(*args, **kwargs):
        raise AssertionError("training started")

    stub.train = train
    monkeypatch.setitem(sys.modules, "movierate.nn.training", stub)


def _fake_result(ds, version: float) -> SimpleNamespace:
    """A training result of plain arrays (no TensorFlow), ``version`` in every weight."""
    arrays = {
        "user_embedding": np.full((ds.n_users, 2), version, np.float32),
        "movie_embedding": np.full((ds.n_movies, 2), version, np.float32),
        "global_mean": np.float32(3.0),
    }

    def save_keras(path: Path) -> None:
        path.write_bytes(b"PK not a real keras file")

    return SimpleNamespace(
        arrays=arrays,
        save_keras=save_keras,
        metrics={},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.0,
    )


# --- F1: an edited RatingsDataset is never recorded under the original's identity ---------


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r.sample(frac=1, random_state=0),  # the same ratings in another order
        lambda r: r[r["rating"] >= 1],  # filtered
    ],
    ids=["reordered", "filtered"],
)
def test_an_edited_dataset_is_refused_before_training(ds, no_training, edit):
    ds.ratings = edit(ds.ratings)
    with pytest.raises(DataError, match="ds.ratings does not hold the data ds.fingerprint names"):
        pipeline.train_and_save(ds, SPEC, "edited")
    assert not store.model_exists("edited")


def test_ratings_rescaled_off_the_scale_are_refused_with_rows(ds, no_training):
    ds.ratings = ds.ratings.assign(rating=ds.ratings["rating"] * 2)
    with pytest.raises(DataError) as err:
        pipeline.train_and_save(ds, SPEC, "scaled")
    message = str(err.value)
    assert "outside the rating scale's range 0.5 to 5" in message
    assert "rows 0, 1" in message or "row" in message
    assert "rating_scale=(min, max, step)" in message


def test_save_model_refuses_an_edited_dataset_too(ds):
    """Every recorder of a dataset's identity checks it: the store, not only train_and_save."""
    split = make_split(ds, seed=0)
    shuffled = ds.ratings.sample(frac=1, random_state=1)
    ds.ratings = shuffled
    with pytest.raises(DataError, match="edited or replaced after ds was made"):
        store.save_model("m", _fake_result(ds, 1.0), ds, split, ModelSpec(family="mf", dim=2))


def test_an_edited_copy_made_with_a_new_name_trains_and_evaluates_on_its_own_rows(ds):
    edited = ds.edited(ds.ratings[ds.ratings["rating"] >= 1], name="no-half-stars")
    assert edited.fingerprint != ds.fingerprint and edited.name == "no-half-stars"
    assert int(edited.movies["n_ratings"].sum()) == len(edited)
    edited.check_fingerprint()
    split = make_split(edited, seed=0)
    store.save_model("e", _fake_result(edited, 1.0), edited, split, ModelSpec(family="mf", dim=2))
    model = store.load_model("e")
    assert model.dataset_fingerprint == edited.fingerprint
    assert pipeline.evaluate_model(model, edited)["n_test"] == len(split.test)
    # the original data is not the model's: its rows would be other rows
    with pytest.raises(DataError, match="is not the data model 'e' was trained on"):
        pipeline.evaluate_model(model, ds)
    with pytest.raises(DataError, match="new name"):
        ds.edited(ds.ratings, name=ds.name)


def test_evaluate_refuses_a_shuffled_copy_of_the_model_s_data(ds):
    split = make_split(ds, seed=0)
    store.save_model("m", _fake_result(ds, 1.0), ds, split, ModelSpec(family="mf", dim=2))
    model = store.load_model("m")
    shuffled = synthetic_dataset(n_ratings=600, n_users=20, n_movies=30, seed=0)
    shuffled.ratings = shuffled.ratings.sample(frac=1, random_state=0)
    with pytest.raises(DataError, match="ds.ratings does not hold the data"):
        pipeline.evaluate_model(model, shuffled)


# --- F6: ds.ratings is read-only, with a message saying how to edit a copy ------------------


@pytest.mark.parametrize(
    "write",
    [
        lambda r: r.loc.__setitem__((0, "rating"), 4.0),
        lambda r: r.iloc.__setitem__((0, 2), 4.0),
        lambda r: r.at.__setitem__((0, "rating"), 4.0),
        lambda r: r.__setitem__("rating", 1.0),
        lambda r: setattr(r, "rating", 1.0),
        lambda r: r.fillna(0, inplace=True),
        lambda r: r.drop(index=0, inplace=True),
        lambda r: setattr(r, "columns", ["a", "b", "c", "d"]),
        lambda r: r.pop("rating"),
    ],
)
def test_a_write_to_ds_ratings_says_it_is_read_only_and_how_to_edit_a_copy(ds, write):
    before = ds.ratings.copy()
    with pytest.raises(DataError, match=r"ds.ratings is read-only.*ds.ratings.copy\(\)"):
        write(ds.ratings)
    pd.testing.assert_frame_equal(pd.DataFrame(ds.ratings), before)
    copy = ds.ratings.copy()  # a plain, writable frame
    copy.loc[0, "rating"] = 1.0
    assert ds.ratings.loc[0, "rating"] == before.loc[0, "rating"]


def test_a_loaded_dataset_s_ratings_are_read_only_too(movielens_dir):
    ds = load_dataset("ml-latest-small")
    with pytest.raises(DataError, match="read-only"):
        ds.ratings.loc[0, "rating"] = 4.0
    ds.check_fingerprint()  # as loaded: passes


# --- F6 / F7: hand-built ratings columns are checked once, before TensorFlow -----------------


def _edited(ds, change) -> None:
    ratings = ds.ratings.copy()
    change(ratings)
    ds.ratings = ratings


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r.__setitem__("rating", r["rating"].where(r.index != 5)),
            r"1 rating that is not a finite number \(row 5,",
        ),
        (
            lambda r: r.loc.__setitem__((7, "rating"), np.inf),
            r"1 rating that is not a finite number \(row 7,",
        ),
        (lambda r: r.loc.__setitem__((3, "rating"), -0.0), r"outside the rating scale.*row 3,"),
        (
            lambda r: r.loc.__setitem__((5, "movie_idx"), 10**6),
            r"1 movie_idx value outside 0 to 29 \(row 5,",
        ),
        (
            lambda r: r.__setitem__("user_idx", r["user_idx"].astype(str)),
            "column user_idx holds",
        ),
        (lambda r: r.pop("timestamp"), "lacks the column"),
    ],
    ids=["nan", "inf", "negative-zero", "idx-out-of-range", "text-idx", "no-timestamp"],
)
def test_bad_ratings_columns_are_a_data_error_with_rows_before_training(
    ds, no_training, change, expected
):
    _edited(ds, change)
    with pytest.raises(DataError, match=expected):
        pipeline.train_and_save(ds, SPEC, "bad")


def test_a_temporal_split_of_tz_aware_datetimes_is_the_one_of_their_seconds(ds):
    seconds = make_split(ds, method="temporal", seed=3)
    ds.ratings = ds.ratings.assign(
        timestamp=pd.to_datetime(ds.ratings["timestamp"], unit="s", utc=True).dt.tz_convert(
            "Europe/Paris"
        )
    )
    dated = make_split(ds, method="temporal", seed=3)
    assert dated.digest == seconds.digest
    ds.check_fingerprint()  # the same ratings at the same instants: the same data


# --- F6: entry points name the argument and the fix ----------------------------------------


def test_make_split_arguments(ds):
    split = make_split(ds, test_fraction=np.float16(0.1))
    assert split.test_fraction == 0.1
    with pytest.raises(DataError, match="method must be a split method's name, got None"):
        make_split(ds, method=None)
    with pytest.raises(DataError, match="got \\['random'\\]"):
        make_split(ds, method=["random"])
    with pytest.raises(DataError, match="make_split splits a RatingsDataset"):
        make_split(ds.ratings)


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("2000",), {}, "n_ratings must be a whole number of at least 1, got '2000'"),
        ((-5,), {}, "n_ratings must be a whole number of at least 1, got -5"),
        ((2000, 40, 60), {"seed": -1}, "seed must be a whole number of at least 0"),
        ((2000, True), {}, "n_users must be a whole number of at least 1, got True"),
        ((2000, 40.7), {}, "n_users must be a whole number of at least 1, got 40.7"),
    ],
)
def test_synthetic_dataset_arguments(args, kwargs, expected):
    with pytest.raises(DataError, match=expected.replace("(", r"\(")):
        synthetic_dataset(*args, **kwargs)
    assert len(synthetic_dataset(2000.0, np.int64(40), 60)) == 2000


def test_train_and_save_argument_types(ds, no_training):
    with pytest.raises(SpecError, match=r"spec must be a ModelSpec.*ModelSpec.from_dict"):
        pipeline.train_and_save(ds, {"dim": 4}, "p")
    model_like = SimpleNamespace()
    with pytest.raises(DataError, match="dataset must be a dataset name, a folder path"):
        pipeline.train_and_save(model_like, SPEC, "p")


def test_train_and_save_takes_a_path_like_load_dataset(movielens_dir, monkeypatch):
    seen = {}

    def stop(ds, *args, **kwargs):
        seen["name"] = ds.name
        raise KeyboardInterrupt

    stub = types.ModuleType("movierate.nn.training")
    stub.train = stop
    monkeypatch.setitem(sys.modules, "movierate.nn.training", stub)
    with pytest.raises(KeyboardInterrupt):
        pipeline.train_and_save(Path(movielens_dir / "ml-latest-small"), SPEC, "p")
    assert seen["name"] == "ml-latest-small"


# --- F3: flags refuse values that are not True or False -------------------------------------


@pytest.mark.parametrize("value", ["no", "false", "0", 1, None])
def test_overwrite_that_is_not_a_bool_is_refused_and_keeps_the_model(ds, no_training, value):
    split = make_split(ds, seed=0)
    store.save_model("keep", _fake_result(ds, 1.0), ds, split, ModelSpec(family="mf", dim=2))
    with pytest.raises(StoreError, match="overwrite must be True or False"):
        pipeline.train_and_save(ds, SPEC, "keep", overwrite=value)
    with pytest.raises(StoreError, match="overwrite must be True or False"):
        store.save_model(
            "keep", _fake_result(ds, 2.0), ds, split, ModelSpec(family="mf", dim=2), overwrite=value
        )
    with pytest.raises(StoreError, match="overwrite must be True or False"):
        store.check_name_free("keep", overwrite=value)
    assert store.load_model("keep").movie_embedding[0, 0] == 1.0


def test_numpy_bools_are_flags(ds):
    split = make_split(ds, seed=0)
    spec = ModelSpec(family="mf", dim=2)
    store.save_model("keep", _fake_result(ds, 1.0), ds, split, spec)
    store.save_model("keep", _fake_result(ds, 2.0), ds, split, spec, overwrite=np.True_)
    assert store.load_model("keep").movie_embedding[0, 0] == 2.0


def test_other_public_flags_refuse_text(ds):
    from movierate import tuning
    from movierate.data import import_zip

    with pytest.raises(DataError, match="replace must be True or False, got 'no'"):
        from_csv(b"user,item,rating\n1,1,4\n2,1,3\n", save_as="x", replace="no")
    with pytest.raises(DataError, match="replace must be True or False"):
        import_zip(b"", "x.zip", replace="False")
    with pytest.raises(DataError, match="allow_paths must be True or False"):
        load_dataset("ml-latest-small", allow_paths="no")
    with pytest.raises(StoreError, match="clean must be True or False"):
        store.leftovers(clean="no")
    with pytest.raises(SpecError, match="overwrite must be True or False"):
        tuning.tune(ds, "t", overwrite="no")
    with pytest.raises(TypeError, match="replace must be True or False"):
        atomic.publish_folder(Path("a"), Path("b"), replace="no")


# --- F5: ModelSpec takes numpy scalars, and validate() applies from_dict's type rules --------


def test_model_spec_takes_numpy_scalars():
    spec = ModelSpec(
        dim=np.int64(8),
        epochs=np.int32(2),
        learning_rate=np.float32(0.01),
        user_bias=np.True_,
        hidden_units=np.array([16, 4]),
        regularizers={"l2": np.float32(0.1)},
        family="deep",
    ).validate()
    assert (spec.dim, spec.epochs, spec.learning_rate) == (8, 2, 0.01)
    assert type(spec.dim) is int and spec.user_bias is True and spec.hidden_units == (16, 4)
    assert spec.regularizers == {"l2": 0.1}
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert ModelSpec.from_dict({"dim": np.int64(4)}).dim == 4


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"family": "deep", "hidden_units": 16}, "hidden_units = 16 is invalid: expected a list"),
        ({"family": "deep", "hidden_units": "16,4"}, "hidden_units = '16,4' is invalid"),
        ({"hidden_units": [16.5]}, "hidden_units = \\(16.5,\\) is invalid"),
        ({"regularizers": None}, "regularizers = None is invalid: .*\\{\\} for none"),
        ({"regularizers": ["l2"]}, "regularizers = \\['l2'\\] is invalid"),
    ],
)
def test_model_spec_containers_of_the_wrong_type_are_spec_errors(kwargs, expected):
    with pytest.raises(SpecError, match=expected):
        ModelSpec(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"user_bias": 1}, {"movie_bias": "yes"}, {"dim": 8.0}, {"dot_product": 0}],
)
def test_validate_applies_from_dict_s_type_rules_before_tensorflow(ds, no_training, kwargs):
    spec = ModelSpec(**kwargs)
    with pytest.raises(SpecError, match="is invalid"):
        spec.validate()
    with pytest.raises(SpecError, match="is invalid"):
        ModelSpec.from_dict(kwargs)
    with pytest.raises(SpecError, match="is invalid"):
        pipeline.train_and_save(ds, spec, "typed")


# --- F9: a Ctrl-C after the publish says the model was saved --------------------------------


@pytest.mark.parametrize("exchange", [True, False], ids=["swap", "rename-aside"])
def test_an_interrupt_after_the_publish_says_the_model_is_saved(ds, monkeypatch, exchange):
    monkeypatch.setattr(atomic, "USE_EXCHANGE", exchange)
    split = make_split(ds, seed=0)
    spec = ModelSpec(family="mf", dim=2)
    store.save_model("victim", _fake_result(ds, 1.0), ds, split, spec)
    labels: list[str] = []
    monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", labels.append)
    store.save_model("victim", _fake_result(ds, 1.0), ds, split, spec, overwrite=True)
    after = labels[labels.index("publish:start") + 1 :]
    assert after and after[-1] == "save:done"
    version = 1.0
    for label in labels:
        version += 1

        def hook(at: str, label: str = label) -> None:
            if at == label:
                raise KeyboardInterrupt

        monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", hook)
        old = store.load_model("victim").movie_embedding[0, 0]
        with pytest.raises(KeyboardInterrupt) as err:
            store.save_model("victim", _fake_result(ds, version), ds, split, spec, overwrite=True)
        now = store.load_model("victim").movie_embedding[0, 0]
        saved = now == version
        assert saved or now == old
        assert isinstance(err.value, atomic.InterruptedAfterSave) == saved, label
        if saved:
            assert "saved as 'victim'" in str(err.value)
            assert label in after
        monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", None)
        assert not store.list_models()[1]  # nothing broken
        assert not [p for p in store.check_writable().iterdir() if p.name.startswith(".")]


def test_a_model_of_a_dataset_made_in_python_says_to_pass_that_dataset(ds):
    edited = ds.edited(ds.ratings.iloc[5:], name="made-here")
    split = make_split(edited, seed=0)
    store.save_model("e", _fake_result(edited, 1.0), edited, split, ModelSpec(family="mf", dim=2))
    with pytest.raises(DataError, match=r"made in Python.*evaluate_model\(model, ds\)"):
        pipeline.evaluate_model(store.load_model("e"))
