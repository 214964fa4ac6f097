"""Views round 13: words that grade a shown number are chosen from the number as shown, core
terms have one plain definition, Home points a newcomer at what a model learned, Neighbours
warns when its list is mostly rarely rated films, Recommend's clipping sentence is grammatical
and true, and a chart key stays with its label."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from movierate import glossary
from movierate.errors import MovierateError
from movierate.explore import neighbours, ordering, popularity
from movierate.shown import as_shown, percent, percent_as_shown
from movierate.ui import charts
from movierate.ui.text import predictions_scale_text

# --- finding 3: graded as shown -----------------------------------------------------------


def test_one_shown_r_gets_one_word_and_its_direction():
    """-0.1996 and -0.2004 both print "-0.20": one read "barely follows", the other
    "moderately shrinks"; a negative r was said to "follow" popularity."""
    assert popularity._link(-0.1996) == popularity._link(-0.2004)
    assert popularity._link(-0.1996) == "moderately shrinks with popularity"
    assert popularity._link(0.1996) == "moderately grows with popularity"
    assert popularity._link(-0.15) == "slightly shrinks with popularity"
    assert popularity._link(0.04) == "barely changes with popularity"
    assert popularity._link(-0.52) == "strongly shrinks with popularity"
    for r in (-0.3, -0.15, -0.05):
        assert "follows" not in popularity._link(r) and "grows" not in popularity._link(r)


def test_the_popularity_sentence_grades_the_r_it_prints():
    table = pd.DataFrame(
        {"pearson_log_n_ratings": [-0.1996], "spearman_n_ratings": [-0.24], "n_movies": [2269]},
        index=pd.Index(["norm"], name="quantity"),
    )
    said = popularity.popularity_sentence(table, "white16", 10)
    assert "vector norm moderately shrinks with popularity (Pearson r" in said
    assert "-0.20" in said


def test_as_shown_follows_the_printed_format():
    assert as_shown(-0.1996, "+.2f") == -0.2
    assert as_shown(0.0504, ".0%") == 0.05
    assert as_shown(1234.5678, ",.1f") == 1234.6
    assert math.isnan(as_shown(float("nan"), ".2f"))
    assert percent(0.41) == "41%" and percent(0.048) == "4.8%" and percent(1.0) == "100%"
    assert percent(0.0002) == "under 0.1%"
    assert percent_as_shown(0.0504) == 0.05


def _spearman_for_chance(target: float, dim: int) -> float:
    """The Spearman whose random-order chance over ``dim`` dimensions is ``target``."""
    lo, hi = 0.0, 0.99
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ordering.order_chance(mid, dim) > target else (lo, mid)
    return hi


def test_an_order_chance_that_prints_as_5_percent_is_called_beyond_chance():
    """The verdict compared the unrounded chance with 5% while the text printed it rounded:
    "0.05, more than the 5% an order needs"."""
    dim = 20  # beyond the exact count: Student's t
    rho = _spearman_for_chance(0.0503, dim)
    assert ordering.order_chance(rho, dim) > ordering.ORDER_LEVEL  # unrounded: above 5%
    said = ordering.ordering_verdict(rho, 3, 3, dim)
    assert said.startswith("Dimensions are ordered"), said
    assert "5% of the time" in said and "more than the 5%" not in said


def test_the_order_chance_is_said_as_how_often_a_random_order_scores_this_high():
    """ "with chance 0.41" read as a 41% chance that the dimensions are ordered."""
    dim = 16
    rho = _spearman_for_chance(0.41, dim)
    said = ordering.ordering_verdict(rho, None, None, dim)
    assert f"a random order of {dim} dimensions would score {rho:.2f} or more 41% of the time" in (
        said
    )
    assert "with chance" not in said


# --- finding 4: one plain definition per term ---------------------------------------------


def test_every_core_term_has_one_plain_definition():
    wanted = [
        "RMSE", "MAE", "bias", "embedding", "dimension", "principal direction", "whitening",
        "decorrelation", "regularizer", "L2", "early stopping", "Procrustes residual",
        "Jaccard", "NDCG", "Spearman", "chance", "norm",
    ]  # fmt: skip
    for term in wanted:
        assert glossary.define(term) == glossary.TERMS[term]
    assert len({t.lower() for t in glossary.TERMS}) == len(glossary.TERMS)
    assert "rating points of this data's scale" in glossary.define("rmse")
    assert "not prejudice" in glossary.define("bias").lower()
    assert "of the time" in glossary.define("chance")
    both = glossary.define("RMSE", "MAE")
    assert both.startswith("**RMSE**: Typical error") and "\n\n**MAE**: " in both


def test_an_undefined_term_says_which_terms_exist():
    with pytest.raises(MovierateError, match=r"No plain definition for 'ROC'.*RMSE, MAE"):
        glossary.define("ROC")


def test_procrustes_is_defined_once_not_by_a_formula():
    """Compare's help was a formula ("||A - s B R|| / ||A||"), beside no plain definition."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "pages" / "compare.py").read_text()
    assert "||A - s B R||" not in source
    assert "glossary.define('Procrustes residual')" in source


# --- finding 9: the clipping sentence -----------------------------------------------------


def _shown(**over):
    base = dict(
        lo=0.5, hi=5.0, raw_min=1.2, raw_max=5.0, n_shown=30, n_outside=0, n_tied_at_end=0,
        order_min=math.nan, order_max=math.nan,
    )  # fmt: skip
    return SimpleNamespace(**{**base, **over})


def test_one_capped_prediction_is_said_in_the_singular_with_one_number():
    said = predictions_scale_text("mfb16", _shown(n_tied_at_end=1, order_min=5.04, order_max=5.04))
    assert "lie within" not in said  # the 5.04 behind the shown 5 does not
    assert "mfb16 caps its predictions at the dataset's 0.5–5 scale." in said
    assert "1 of the 30 shown is capped at the end of the scale" in said
    assert "the model's score behind it is 5.04," in said
    assert "5.04 to 5.04" not in said and " sit " not in said and "they are" not in said


def test_several_capped_predictions_give_their_range_or_one_value():
    said = predictions_scale_text("m", _shown(n_tied_at_end=3, order_min=5.6, order_max=6.1))
    assert "3 of the 30 shown are capped at an end of the scale" in said
    assert "scores behind them run from 5.60 to 6.10" in said
    same = predictions_scale_text("m", _shown(n_tied_at_end=2, order_min=5.041, order_max=5.038))
    assert "scores behind them are all 5.04," in same and "5.04 to 5.04" not in same


def test_outside_counts_take_their_own_verb():
    one = predictions_scale_text("m", _shown(n_outside=1, raw_min=3.0, raw_max=5.3))
    assert "1 of 30 lies outside the dataset's 0.5–5 scale and is shown clipped" in one
    many = predictions_scale_text("m", _shown(n_outside=2, raw_min=0.2, raw_max=5.6))
    assert "2 of 30 lie outside" in many and "are shown clipped" in many
    flat = predictions_scale_text("m", _shown(n_outside=1, n_shown=1, raw_min=5.3, raw_max=5.3))
    assert "m predicts 5.30 for the movies shown" in flat
    inside = predictions_scale_text("m", _shown(n_shown=1))
    assert "the 1 predicted rating shown lies within" in inside


# --- finding 8: rarely rated neighbours -----------------------------------------------------


def _movies(counts: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"title": [f"m{i}" for i in range(len(counts))], "n_ratings": counts})


def test_a_list_of_mostly_rarely_rated_films_says_so_and_what_to_do():
    movies = _movies([300, 27, 17, 15, 27, 10, 30, 19, 10, 12, 120])
    note = neighbours.rare_neighbours_note(movies, range(1, 11), 10)
    assert note.startswith("8 of these 10 have fewer than 30 ratings.")
    assert "raise Min. ratings (to 30, say) to see better-known films" in note
    assert neighbours.rare_neighbours_note(movies, [0, 10, 6, 9], 10) is None  # 1 of 4
    assert neighbours.rare_neighbours_note(movies, [1, 2, 0, 10], 10) is None  # half: not most
    high = neighbours.rare_neighbours_note(movies, [10, 1], 100, highest=200)
    assert high is not None and "fewer than 300" in high and "(to" not in high


def test_no_note_without_rating_counts():
    movies = _movies([0, 0, 0])  # an embedding imported without counts
    assert neighbours.rare_neighbours_note(movies, [0, 1, 2], 10) is None


# --- finding 10: a chart key stays with its label -------------------------------------------


def test_a_key_is_never_left_at_a_line_end():
    """ "dashed: training rows, solid:" / "early-stopping rows" read "solid:early-stopping"."""
    lines = charts._lines("dashed: training rows, solid: early-stopping rows", 34)
    assert lines == ["dashed: training rows,", "solid: early-stopping rows"]
    assert not any(re.search(r":$", line) for line in lines)


# --- finding 5 and 4 on Home ----------------------------------------------------------------


def test_home_points_at_what_the_newest_model_learned_and_explains_its_words(trained_home):
    from apptest_helpers import open_page

    from movierate import store

    newest = store.list_models()[0][0].name
    at = open_page("pages/home.py")
    links = [(e.proto.label, e.proto.page, e.proto.query_string) for e in at.get("page_link")]
    targets = {label: (page, query) for label, page, query in links}
    assert "models=" + newest in targets["Which movies it puts together"][1]
    assert targets["A map of its movies"][1] == f"model={newest}&view=Map"
    assert "view=Principal" in targets["What sets its movies apart"][1]
    assert any(f"see what {newest} learned" in m.value for m in at.markdown)
    (words,) = [e for e in at.expander if e.label == "What these words mean"]
    listed = " ".join(m.value for m in words.markdown)
    for term, meaning in glossary.TERMS.items():
        assert f"**{term}**: {meaning}" in listed
    # in a popover named for them since views round 32, F3 (a caption's help was "Help")
    assert glossary.define("RMSE", "MAE") in [m.value for m in at.markdown]
