"""Large data sets get the larger-batch defaults (defaults.LARGE_DATA), small ones do not."""

from movierate import defaults
from movierate.spec import ModelSpec


def test_large_sets_get_a_larger_batch():
    least, changes = defaults.LARGE_DATA[-1]
    big = defaults.default_spec_for("my-big-ratings", n_ratings=least)
    assert big.batch_size == changes["batch_size"] > ModelSpec().batch_size
    assert big.learning_rate == changes["learning_rate"]
    assert defaults.default_spec_for("my-big-ratings", n_ratings=least - 1) == ModelSpec()
    assert defaults.default_spec_for("ml-32m").batch_size == changes["batch_size"]  # known size


def test_tuned_entries_and_other_families_keep_their_settings():
    assert defaults.default_spec_for("ml-100k", n_ratings=10**8) == defaults.default_spec_for(
        "ml-100k"
    )
    assert defaults.default_spec_for("ml-32m", "deep") == ModelSpec(family="deep")
