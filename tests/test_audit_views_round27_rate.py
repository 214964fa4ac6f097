"""Views round 27 (a newcomer reads every page): F2, Rate movies and Recommend's "Your own
ratings" use a model that can take a new user's ratings and say in plain words why another is
not used; F4, Recommend keeps its lists near the top with one line per model in view and the
detail in an expander; and the top-k check's ± says it leaves out training-seed noise."""

from __future__ import annotations

import shutil

import numpy as np
from apptest_helpers import open_page

from movierate import pipeline, ranking, store

JARGON = "linear in the user vector"


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_rate_movies_opens_on_the_newest_model_that_can_use_your_ratings(trained_home):
    """small-deep is the newest: the page opened on it and only refused (F2)."""
    at = open_page("pages/rate.py")
    box = at.selectbox(key="model")
    assert box.value == "small-mf" and list(box.options) == ["small-mf"]  # only usable ones
    assert any(
        "small-mf is the newest model that can use your ratings: small-deep is newer, but a "
        "deep model has to be retrained" in c
        for c in texts(at.caption)
    )
    assert at.text_input(key="rate_q")  # the rating form, not a refusal
    assert not any(JARGON in i for i in texts(at.info))


def test_a_link_to_a_deep_model_says_why_and_rates_with_a_usable_one(trained_home):
    at = open_page("pages/rate.py", model="small-deep")
    assert any(
        "small-deep, named in the link, cannot use your ratings: a deep model" in i
        and "This page shows small-mf instead" in i
        for i in texts(at.info)
    )
    assert at.text_input(key="rate_q")


def test_with_no_usable_model_the_refusal_says_what_to_do(small_model_home, isolated_home):
    shutil.copytree(
        small_model_home / "models" / "small-deep", isolated_home / "models" / "small-deep"
    )
    at = open_page("pages/rate.py")
    (notice,) = [i for i in texts(at.info) if "cannot use your ratings" in i]
    assert "small-deep cannot use your ratings" in notice and "no saved model can" in notice
    assert "train one (Home's quick start" in notice and JARGON not in notice
    assert not [t for t in at.text_input if t.key == "rate_q"]


def test_recommend_own_ratings_use_the_first_picked_model_that_can(trained_home):
    """Both picked, the deep one first: the expander refused (F2 addendum)."""
    at = open_page("pages/recommend.py", models=["small-deep", "small-mf"], user="1")
    own = next(e for e in at.expander if e.label == "Your own ratings (no retraining)")
    assert any(
        "With small-mf, the first model picked that can use your ratings: small-deep cannot" in c
        for c in texts(own.caption)
    )
    assert [t for t in own.text_input if t.key == "rate_q"]
    assert not any(JARGON in i for i in texts(at.info))


def test_recommend_with_only_a_deep_model_names_a_saved_one_that_can(trained_home):
    at = open_page("pages/recommend.py", models=["small-deep"], user="1")
    own = next(e for e in at.expander if e.label == "Your own ratings (no retraining)")
    (notice,) = texts(own.info)
    assert notice.startswith("small-deep cannot use your ratings: a deep model")
    assert "small-mf can: add it to Models above." in notice


def test_recommend_keeps_one_line_per_model_and_the_checks_in_an_expander(trained_home):
    """F4: 60 + 95 words per model and the favourites table put the lists at y = 1,393."""
    at = open_page("pages/recommend.py", models=["small-mf"], user="1")
    model = store.load_model("small-mf")
    check = ranking.held_out_ranking(model, k=10, min_ratings=10)
    user = int(np.flatnonzero(np.asarray(pipeline.dataset_of(model).user_ids) == 1)[0])
    summary = ranking.ranking_summary(check, user)  # with user 1's band (accuracy round 38)
    assert f"held a movie the user liked (rated 4 or more) for {check.hit_rate:.0%}" in summary
    assert f"a most-rated list did for {check.popular_hit_rate:.0%}" in summary
    quality = next(
        e for e in at.expander if e.label == "How good are these lists? (measured on test rows)"
    )
    inside = texts(quality.caption)
    assert ranking.ranking_text(check, caveat=False) in inside  # every statement kept
    assert any(c.startswith("On its test rows, its highest") for c in inside)
    assert summary in texts(at.caption) and summary not in inside  # the line stays in view
    favourites = next(e for e in at.expander if e.label.startswith("Their favourites ("))
    assert "predicted" in favourites.dataframe[0].value.columns
    # the one-dataset note is the picker's help when nothing is left out
    assert not any("Only models of one dataset" in c for c in texts(at.caption))
    assert "Only models of one dataset" in at.multiselect(key="models").help


def test_top_k_interval_says_it_leaves_out_training_seed_noise(trained_home):
    check = ranking.held_out_ranking(store.load_model("small-mf"), k=10, min_ratings=10)
    said = ranking.ranking_text(check, caveat=False)
    assert "± " in said and "(95%)" in said  # the interval is there ...
    assert f"Training noise is not in the ±: {store.SEED_MOVES_IT}." in said  # ... and says so


def test_the_newest_usable_model_is_found_by_age_and_each_newer_one_says_why():
    """Bad-input round 58, F1: the page read its by-data-set grouping as age, so it called an
    older model "newer" and passed over the newest usable one; two newer models shared the
    first one's reason ("o2-imported, old-imp2 are newer, but it is an embedding ...")."""
    from types import SimpleNamespace as M

    from movierate.ui.your_ratings import _newer_text, newest_usable

    # newest first: a deep model on ml-100k, an mf on mycsv, an import, an older ml-100k mf
    by_age = ["deep-a", "mf-b", "imp", "mf-a"]
    assert newest_usable(by_age, ["mf-a", "mf-b"]) == ("mf-b", ["deep-a"])
    assert newest_usable(by_age, []) == (None, [])
    saved = {
        "deep-a": M(imported=False, spec=M(family="deep")),
        "imp": M(imported=True),
    }
    said = _newer_text(["deep-a", "imp"], saved)
    assert said.startswith("deep-a is newer, but a deep model has to be retrained")
    assert "; imp is newer, but it is an embedding imported from elsewhere" in said
