"""Views round 27 (a newcomer reads every page), Explore, Dimensions and the PCA tab: no
coloured box for an ordinary outcome (F3), a short Explore intro with the set syntax in the
boxes' help (F5), and plainer PCA, seed-reference and sidebar details (F6)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from apptest_helpers import assert_clean, open_page
from streamlit.testing.v1 import AppTest
from test_explore_helpers import movies_table

from movierate.explore import ordering
from movierate.explore.axes import axis_quality
from movierate.explore.pca import ends_contrast


def _axis_box(verdict: str, n_both: int) -> None:
    from movierate.explore.axes import AxisQuality
    from movierate.ui.explore_views import quality_line

    quality_line("x", AxisQuality(579, 638, 0.68, 0.68, verdict, "Held out ...", 0.005, n_both))


def _axis_page(verdict: str, n_both: int = 190) -> AppTest:
    at = AppTest.from_function(_axis_box, args=(verdict, n_both)).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# --- F3(a): a modest axis is a caption, and the counts say why they are smaller -------------


def test_a_weak_axis_is_a_plain_caption_and_names_the_movies_left_out():
    at = _axis_page("weak")
    assert not at.warning and not at.info and not at.success
    line = next(c.value for c in at.caption if "x axis: weak" in c.value)
    assert "579 of set A's 769 vs 638 of set B's 828 movies" in line
    assert "the 190 movies in both sets are left out" in line


def test_an_axis_not_shown_real_is_still_a_warning_and_disjoint_sets_give_plain_counts():
    at = _axis_page("not real", n_both=0)
    assert [w.value for w in at.warning if "579 vs 638 movies" in w.value]
    assert not [c.value for c in at.caption if "x axis" in c.value]


def test_the_weak_verdict_says_the_direction_beats_chance_and_counts_the_shared_movies():
    x = np.random.default_rng(3).normal(size=(400, 8))
    x[:200, 0] += 0.6  # set B: a modest shift along one dimension
    b, a = np.arange(0, 200), np.arange(180, 400)  # 20 movies in both sets
    quality = axis_quality(x, a, b)
    assert quality.n_both == 20 and (quality.n_a, quality.n_b) == (200, 180)
    assert quality.verdict == "weak", quality
    assert "beyond chance" in quality.message and "with care" not in quality.message


# --- F5: a short Explore intro; the set syntax and the AUC in the help ------------------------


def test_explore_opens_without_tool_names_and_keeps_the_syntax_in_the_boxes_help(trained_home):
    at = open_page("pages/explore.py", model="small-mf", view="axes")
    assert_clean(at)
    intro = at.caption[0]
    assert "Embedding Projector" not in intro.value and "Test ideas" in intro.value
    # still defined one click away, in a popover (views round 32, F3)
    assert any("Embedding Projector cannot answer" in m.value for m in at.markdown)
    shown = " ".join(c.value for c in at.caption)
    assert "regular expression" not in shown and "leave-one-out is the honest" not in shown
    for key in ("xa", "xb"):
        help_text = at.text_input(key=key).help
        assert "A set is a genre (Comedy)" in help_text and "/^Toy/" in help_text
        assert "drawn, not judged" in help_text and "Genres here:" in help_text
    auc_helps = [m.proto.help for m in at.metric if "AUC" in m.label]
    assert auc_helps and all("Leave-one-out is the honest figure" in h for h in auc_helps)


# --- F3(b): Dimensions says an ordinary outcome in one caption line ---------------------------


def _report(ordered: bool, calls_no: float, k_index: int | None = 15) -> ordering.DimensionReport:
    dimensions = pd.DataFrame({"dimension": range(16), "heldout_increase": [0.001] * 16})
    verdict = "No order beyond chance: Spearman 0.04 between ...; the first 15 dims ..."
    return ordering.DimensionReport(
        dimensions=dimensions,
        prefix=pd.DataFrame(),
        spearman=0.04,
        base_rmse=0.85,
        rows="early-stopping",
        n_rows=9_000,
        k_index=k_index,
        k_pca=6,
        ordered=ordered,
        verdict=verdict,
        calls={"yes": 0.0, "leading": 1 - calls_no, "no": calls_no},
    )


def test_unordered_dimensions_of_a_model_not_trained_for_an_order_make_one_plain_line():
    line = ordering.usual_verdict(_report(False, 1.0), trained_ordered=False)
    assert line == (
        "Dimensions are not ranked by importance (as usual without the 'ordered' regularizer): "
        "the first 15 dims of 16 give 95% of the full-model RMSE gain; 6 principal directions do."
    )
    # a surprise keeps its box: an order, a model trained for one, a call within the noise,
    # an embedding that gains nothing
    assert ordering.usual_verdict(_report(True, 0.0), trained_ordered=False) is None
    assert ordering.usual_verdict(_report(False, 1.0), trained_ordered=True) is None
    assert ordering.usual_verdict(_report(False, 0.6), trained_ordered=False) is None
    assert ordering.usual_verdict(_report(False, 1.0, k_index=None), trained_ordered=False) is None


def test_dimensions_page_puts_the_verdict_in_a_caption_with_the_test_in_its_help(trained_home):
    at = open_page("pages/dimensions.py", model="small-mf")
    assert_clean(at)
    # small-mf's call is a stable "not ordered" (Spearman -0.06, as measured): the line only
    line = next((c for c in at.caption if "not ranked by importance" in c.value), None)
    assert line is not None and not [b.value for b in (*at.info, *at.success)]
    # the test, in the line's popover (views round 32, F3)
    assert any(m.value.startswith("Dimensions are not ordered: Spearman") for m in at.markdown)
    assert not [w.value for w in at.warning if w.value.startswith("No held-out share")]


def test_the_seed_reference_says_it_was_measured_on_mf_bias_under_another_family():
    assert ordering.seed_note("mf_bias") == ordering.SEED_NOTE
    note = ordering.seed_note("deep")
    assert "a reference for mf_bias models, not deep ones" in note
    assert note.endswith(ordering.SEED_NOTE[ordering.SEED_NOTE.index("six seeds") :])


# --- F6: the PCA tab's contrast line --------------------------------------------------------


def test_a_genre_gap_beyond_chance_says_so_and_the_count_is_a_number_of_ratings():
    pool = movies_table(400, genres=[["Comedy"] if i % 2 else ["Drama"] for i in range(400)])
    picked = pool.iloc[:16].assign(end=["top"] * 8 + ["bottom"] * 8)
    sharp = picked.assign(genres=[["Comedy"]] * 8 + [["Drama"]] * 8)
    line = ends_contrast(sharp, pool)
    assert "(beyond chance: random lists of these sizes show a genre gap this large in" in line
    assert "median number of ratings" in line and "median ratings" not in line


def test_pca_tables_give_the_title_its_whole_width_unpinned(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Principal components")
    assert_clean(at)
    tables = [t for t in at.dataframe if "title" in t.value.columns]
    assert tables
    for table in tables:
        title = json.loads(table.proto.columns)["title"]
        assert not title.get("pinned") and title["width"] > 200, title


def test_the_first_k_control_draws_no_second_divider_in_the_sidebar(trained_home):
    at = open_page("pages/dimensions.py", model="small-mf")
    assert_clean(at)
    assert at.sidebar.slider(key="dims_k")
    assert not at.sidebar.divider
