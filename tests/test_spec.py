import pytest

from movierate.errors import SpecError
from movierate.spec import ModelSpec


def test_round_trip_and_defaults():
    spec = ModelSpec(family="deep", dim=8, hidden_units=[16, 4], regularizers={"whitening": 1})
    again = ModelSpec.from_dict(spec.to_dict())
    assert again == spec and hash(again) == hash(spec)
    assert again.hidden_units == (16, 4)
    assert ModelSpec(family="mf").has_user_bias is False
    assert ModelSpec(family="mf_bias").has_user_bias and ModelSpec(family="mf_bias").has_movie_bias
    assert ModelSpec(family="deep").has_movie_bias and not ModelSpec(family="deep").has_user_bias
    assert ModelSpec(family="deep", user_bias=True).has_user_bias


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"dim": 0}, "dim = 0"),
        ({"family": "svd"}, "family = 'svd'"),
        ({"regularizers": {"l2": -1}}, "regularizers['l2'] = -1.0"),
        ({"regularizers": {"l3": 1}}, "Unknown regularizer 'l3'"),
        ({"dropout": 1.0}, "dropout = 1.0"),
        ({"learning_rate": 0}, "learning_rate = 0"),
        ({"family": "deep", "hidden_units": ()}, "hidden_units is empty"),
        ({"batch_size": 2.5}, "batch_size = 2.5"),
    ],
)
def test_validate_names_the_bad_field(changes, words):
    with pytest.raises(SpecError) as err:
        ModelSpec(**changes).validate()
    assert words in str(err.value)


def test_unknown_keys_rejected():
    with pytest.raises(SpecError, match="Unknown model spec field"):
        ModelSpec.from_dict({"dims": 3})


def test_schema_declares_every_field_once():
    from dataclasses import fields

    from movierate.schema import SPEC_SCHEMA

    assert list(SPEC_SCHEMA) == [f.name for f in fields(ModelSpec)]
    assert ModelSpec().validate() == ModelSpec()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"initializer": "zeros"}, "initializer = 'zeros' is invalid: choose one of"),
        ({"user_bias": "yes"}, "user_bias = 'yes'"),
        ({"family": "deep", "hidden_units": (8, 0)}, "hidden_units = (8, 0)"),
        ({"dense_l2": -0.5}, "dense_l2 = -0.5 is invalid: use a number in [0, 1e+06]"),
        ({"regularizers": {"l2": 1e39}}, "a strength is a finite number from 0 to 1e+06"),
        ({"seed": -1}, "seed = -1 is invalid: use a whole number from 0 to"),
    ],
)
def test_errors_echo_the_received_value(changes, words):
    with pytest.raises(SpecError) as err:
        ModelSpec(**changes).validate()
    assert words in str(err.value)


def test_spec_for_people():
    from movierate.spec import describe, format_regularizers

    assert format_regularizers({"l2": 1e-4, "whitening": 0.5}) == "l2=0.0001, whitening=0.5"
    assert format_regularizers({}) == "-"
    spec = ModelSpec(family="mf", dim=8, regularizers={"decorrelation": 2})
    assert describe(spec) == "mf, dim 8, regularizers decorrelation=2"


def test_limited_spread_penalties_are_shown_with_the_regularizers():
    from movierate.spec import regularizers_text

    spec = ModelSpec(regularizers={"l2": 0.1, "whitening": 0.1}, penalty_min_ratings=10)
    assert regularizers_text(spec) == "l2=0.1, whitening=0.1 (movies with >= 10 ratings)"
    assert regularizers_text(spec.with_(regularizers={"l2": 0.1})) == "l2=0.1"  # nothing limited
    assert ModelSpec.from_dict({"dim": 8}).penalty_min_ratings == 0  # saved before the field
    with pytest.raises(SpecError, match="penalty_min_ratings"):
        ModelSpec(penalty_min_ratings=-1).validate()


def test_a_limit_on_spread_penalties_that_does_nothing_is_said():
    from movierate.advice import spec_warnings

    idle = ModelSpec(regularizers={"l2": 0.1}, penalty_min_ratings=10)
    assert any("the setting does nothing" in w for w in spec_warnings(idle))
    used = ModelSpec(regularizers={"decorrelation": 1.0}, penalty_min_ratings=10)
    assert not any("does nothing" in w for w in spec_warnings(used))
    with pytest.raises(SpecError, match="autorec has no spread penalties"):
        ModelSpec(family="autorec", regularizers={"l2": 40.0}, penalty_min_ratings=5).validate()


def test_a_bad_value_is_named_by_its_flag_on_the_cli_and_its_label_on_the_page():
    """Fuzz round 8 / views review round 3: messages named spec fields
    ("early_stopping_patience = -1") where people set --patience or a labelled box."""
    from movierate.errors import SpecError
    from movierate.schema import spec_error_text

    with pytest.raises(SpecError) as caught:
        ModelSpec(early_stopping_patience=-1).validate()
    assert spec_error_text(caught.value, "flag").startswith("--patience -1 is invalid")
    assert spec_error_text(caught.value, "label").startswith(
        "Early stopping patience (epochs, 0 = off) = -1 is invalid"
    )
    other = SpecError("Unknown regularizer 'x'")
    assert spec_error_text(other, "flag") == "Unknown regularizer 'x'"
    variant = SpecError("choose from deep, deep+dense_l2; set dense_l2 lower")  # CLI round 3
    assert (
        spec_error_text(variant, "flag") == "choose from deep, deep+dense_l2; set --dense-l2 lower"
    )
    # the recheck: fields named inside the sentence, and a strength as --reg takes it
    with pytest.raises(SpecError) as caught:
        ModelSpec(family="autorec", embedding_dropout=0.5).validate()
    assert "set --embedding-dropout to 0" in spec_error_text(caught.value, "flag")
    with pytest.raises(SpecError) as caught:
        ModelSpec(regularizers={"l2": 1e9}).validate()
    assert spec_error_text(caught.value, "flag").startswith("--reg l2=1000000000.0 is invalid")


def test_filled_settings_are_named_as_people_set_them():
    """Views round 5b: the Train page said "regularizers = {'l2': 40.0}, learning_rate = 0.001"
    for autorec's defaults: field names and a Python dict."""
    from movierate import schema

    spec = ModelSpec(family="autorec", regularizers={"l2": 40.0}, learning_rate=0.001)
    assert schema.settings_text(spec, ["regularizers", "learning_rate"]) == (
        "L2 (penalty on vector length) = 40, Learning rate = 0.001"
    )
    assert schema.settings_text(spec, ["regularizers", "learning_rate"], "flag") == (
        "--reg l2=40, --learning-rate 0.001"
    )


def test_a_saved_combination_train_refuses_now_still_loads_its_fields_checked():
    """Recheck of bad-input round 12: an autorec model an earlier movierate trained with an
    inert penalty_min_ratings was listed as broken ("Delete it ... and train it again") once
    loading applied train's combination rules; loading checks each field's range only."""
    from movierate.errors import SpecError

    spec = ModelSpec(family="autorec", penalty_min_ratings=10)
    assert spec.check_fields() is spec
    with pytest.raises(SpecError, match="autorec has no spread penalties to limit"):
        spec.validate()
    with pytest.raises(SpecError, match="dropout"):
        ModelSpec(dropout=2.0).check_fields()


def test_a_biased_family_without_either_bias_is_refused_before_training():
    """Recheck: `train --family mf_bias --no-user-bias --no-movie-bias` trained in full, then
    the save refused the arrays."""
    from movierate.errors import SpecError
    from movierate.schema import spec_error_text

    with pytest.raises(SpecError) as caught:
        ModelSpec(family="mf_bias", user_bias=False, movie_bias=False).validate()
    assert "keep one of them, or pick the family mf" in spec_error_text(caught.value, "flag")
    ModelSpec(family="mf_bias", user_bias=False).validate()  # one bias is fine
