"""Accuracy round 19: the explorer's numbers against independent recomputation.

F1: Compare's spread columns filtered on every rating beside a caption (and columns) that
counted training ratings; Explore's axis sets did the same. F2: Recommend's "10 of the 30
shown are capped" missed the favourites' capped rows, and counted favourites no other model
showed. F3: one dataset on two splits gave Compare and Explore two movie sets, unexplained.
F4: Dimensions weighted movies by every rating, unsaid. F5: the whitening verdict printed its
range at 3 decimals beside a mean at 5, and a correlation beside a target on the covariance.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import open_page
from test_explore_helpers import movies_table

from movierate import scoring
from movierate.explore import recommend_for_user
from movierate.explore.verdicts import covariance_stats, regularizer_verdicts, spread_numbers
from movierate.spec import ModelSpec
from movierate.store import TrainedModel
from movierate.ui.text import RULES, alignment_text, predictions_scale_text

# --- F1: every filter beside "training ratings" counts training ratings ----------------------


def _two_counts_model(tmp_path: Path) -> TrainedModel:
    """3,000 uniform movies with 20 training ratings, and 500 near the origin that pass 10 only
    through their test and early-stopping rows (20 ratings in all, 5 of them training rows)."""
    rng = np.random.default_rng(2)
    vectors = np.vstack([rng.uniform(-1, 1, (3_000, 4)), 0.1 * rng.normal(size=(500, 4))])
    movies = pd.DataFrame(
        {"n_ratings": np.full(3_500, 20), "n_train_ratings": np.r_[np.full(3_000, 20), [5] * 500]}
    )
    spec = ModelSpec(dim=4, regularizers={"l2": 0.1})
    arrays = {"movie_embedding": vectors}
    return TrainedModel("m", tmp_path, spec, {"history": {}}, arrays, movies)


def test_compare_spread_columns_count_training_ratings(tmp_path):
    model = _two_counts_model(tmp_path)
    shown = spread_numbers(model, min_ratings=10)
    kept = covariance_stats(model.movie_embedding[:3_000])
    assert shown["mean |correlation|"] == pytest.approx(kept["corr_offdiag_mean_abs"])
    assert shown["variances"].startswith("0.33")  # uniform(-1, 1), not diluted by the 500
    assert shown["mean KS to U(-1, 1)"] < 0.03
    # the verdicts' "those N" count the same movies (the two pages agree)
    (verdict,) = regularizer_verdicts(
        model, ModelSpec(dim=4, regularizers={"decorrelation": 1.0}), min_ratings=10
    )
    assert "the 3,000 with at least 10 training ratings" in verdict.sentence


def test_explore_axis_sets_count_training_ratings(monkeypatch):
    from movierate.ui import explore_views

    movies = movies_table(6, n_ratings=[50] * 6).assign(n_train_ratings=[40, 40, 40, 5, 5, 40])
    monkeypatch.setattr(explore_views, "model_genres", lambda model: frozenset({"drama"}))
    found = explore_views._resolve_set(SimpleNamespace(movies=movies), spec="Drama", min_ratings=10)
    assert sorted(found.rows.tolist()) == [0, 1, 2, 5]
    assert "the 4 of 6 with 10+ training ratings" in found.description


# --- F2: the capped-predictions caption counts the rows it speaks of --------------------------


class ClippedModel:
    """A real mf_bias scorer (output "clip", 0.5-5) whose user 0 scores ``RAW`` before the clip."""

    RAW = [5.28, 4.0, 5.69, 5.1, 1.0, 3.0, 5.007, 4.2]
    n_users = 1
    movies = movies_table(8, n_ratings=[50] * 8)
    rating_scale = (0.5, 5.0, 0.5)
    arrays = {
        "user_embedding": np.ones((1, 1), np.float32),
        "movie_embedding": np.asarray(RAW, np.float32)[:, None] - 3.0,
        "movie_bias": np.zeros(8, np.float32),
        "user_bias": np.zeros(1, np.float32),
        "global_mean": np.array([3.0], np.float32),
    }
    spec = ModelSpec(family="mf_bias", dim=1, output="clip")

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        return scoring.score_all_movies(self.arrays, self.spec, 0, self.rating_scale, clip=clip)


def test_the_caption_counts_the_favourites_capped_rows():
    from movierate.explore.recommend import combine_shown

    # the user rated 0 (5.28 behind a shown 5) and 6 (5.007): favourites capped, not ranked
    ratings = pd.DataFrame({"user_idx": [0, 0, 0], "movie_idx": [0, 6, 1], "rating": [5, 5, 4.0]})
    recs = recommend_for_user(ClippedModel(), 0, ratings=ratings, k=3, min_ratings=0)
    assert "_order" not in recs.top_rated.columns
    assert list(recs.top_rated["predicted"]) == pytest.approx([5.0, 5.0, 4.0])
    favourites = recs.shown_favourites
    assert (favourites.n_shown, favourites.n_tied_at_end) == (3, 2)
    assert favourites.order_min == pytest.approx(5.007, abs=1e-5)
    # the ranked lists: 2 (5.69) and 3 (5.1) capped at the top
    assert (recs.shown.n_shown, recs.shown.n_tied_at_end) == (6, 2)
    every = combine_shown([favourites, recs.shown])
    assert (every.n_shown, every.n_tied_at_end) == (9, 4)
    said = predictions_scale_text("m", every)
    assert "4 of the 9 shown (favourites, recommended, least recommended) are capped" in said
    assert "run from 5.01 to 5.69" in said  # the range covers the 5.007 behind a favourite
    # a model whose favourites the page does not show: its two lists, named
    lists = predictions_scale_text("m", recs.shown)
    assert "2 of the 6 shown (recommended, least recommended) are capped" in lists


def test_recommend_page_counts_only_the_tables_it_shows(trained_home):
    """The favourites show for the reference model only, with their own note; each model's
    note, under its list, counts its two lists (10 + 10 at k 10; views round 39, F5)."""
    at = open_page("pages/recommend.py", models=["small-mf", "small-deep"], user="1")
    notes = [c.value for c in at.caption if c.value.startswith(("small-mf", "small-deep"))]
    counts = [n for c in notes for n in re.findall(r"(?:of the|all) (\d+)(?: shown| predicted)", c)]
    favourites = len(at.dataframe[0].value)
    assert sorted(int(n) for n in counts) == sorted([20, 20, favourites]), notes


# --- F3: two models of one dataset whose training counts differ -------------------------------


def _model(movies: pd.DataFrame, name: str = "x", fingerprint: str = "f") -> SimpleNamespace:
    return SimpleNamespace(
        name=name, movies=movies, meta={"dataset": {"name": "d", "fingerprint": fingerprint}}
    )


def test_the_rules_note_covers_one_dataset_on_two_splits():
    from movierate.explore.compare import shared_filters_differ

    counts = movies_table(4, n_ratings=[30] * 4)
    a = _model(counts.assign(n_train_ratings=[25, 24, 12, 9]))
    b = _model(counts.assign(n_train_ratings=[24, 25, 9, 12]))  # another split of the same data
    assert shared_filters_differ(a, b)
    assert not shared_filters_differ(a, _model(a.movies.copy()))  # the same split
    assert shared_filters_differ(a, _model(counts))  # saved before its training counts
    assert shared_filters_differ(a, _model(b.movies, fingerprint="other"))  # two datasets
    imported = _model(counts.assign(n_ratings=0))  # no rating counts: nothing to differ
    assert not shared_filters_differ(a, imported)
    said = alignment_text(1850, 10, 0.624, counted="training ratings", differs=True)
    assert "at least 10 training ratings in both models" in said and RULES["compare"] in said
    assert RULES["compare"] not in alignment_text(1850, 10, 0.624)


@pytest.fixture
def split_twins_home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """small-mf and a copy whose training counts differ, as another split's would."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models" / "small-mf", home / "models" / "small-mf")
    twin = home / "models" / "small-mf-s7"
    shutil.copytree(home / "models" / "small-mf", twin)
    shutil.rmtree(twin / "cache", ignore_errors=True)
    movies = pd.read_parquet(twin / "movies.parquet")
    counts = movies["n_train_ratings"].to_numpy().copy()
    counts[::3] = np.maximum(counts[::3] - 3, 0)
    movies.assign(n_train_ratings=counts).to_parquet(twin / "movies.parquet")
    meta = json.loads((twin / "meta.json").read_text())
    meta.pop("files", None)  # its table was edited: as saved before bad-input round 52
    (twin / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


def test_compare_and_explore_explain_their_sets_for_two_splits(split_twins_home):
    at = open_page(
        "pages/compare.py",
        models=["small-mf", "small-mf-s7"],
        section="Movie by movie",
        pair_a="small-mf",
        pair_b="small-mf-s7",
    )
    notes = [i.value for i in at.info if RULES["explore"] in i.value]
    assert notes and "count different ratings per movie" in notes[0]
    assert any("training ratings" in c.value or "trained on" in c.value for c in at.caption)
    at = open_page("pages/explore.py", model="small-mf", model_b="small-mf-s7", view="align")
    said = [c.value for c in at.caption if RULES["compare"] in c.value]
    assert said and "training ratings in both models" in said[0]


# --- F4: Dimensions weighs movies by their training ratings, and says so ----------------------


def test_dimension_weights_are_training_counts_and_said():
    from movierate.explore import ordering
    from movierate.ui.dimensions import weighted_text

    movies = movies_table(3, n_ratings=[30, 20, 10]).assign(n_train_ratings=[24, 16, 8])
    model = SimpleNamespace(movies=movies, movie_embedding=np.zeros((3, 2)))
    assert ordering._movie_weights(model).tolist() == [24, 16, 8]
    assert weighted_text(model) == " (movies weighted by their number of training ratings)"
    old = SimpleNamespace(
        movies=movies.drop(columns="n_train_ratings"), movie_embedding=np.zeros((3, 2))
    )
    assert "ratings, test rows included" in weighted_text(old)
    imported = SimpleNamespace(movies=movies.assign(n_ratings=0, n_train_ratings=0),
                               movie_embedding=np.zeros((3, 2)))  # fmt: skip
    assert weighted_text(imported) == ""


# --- F5: the whitening verdict's precision and statistic ---------------------------------------


def test_the_whitening_range_and_off_diagonal_are_the_targets_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 4))
    x = (x - x.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    x *= np.sqrt([0.99853, 0.99938, 0.9989, 0.9988])  # 0.99886 ± 0.00030-ish, as white8's
    (verdict,) = regularizer_verdicts(
        {"movie_embedding": x}, ModelSpec(dim=4, regularizers={"whitening": 1.0})
    )
    stats = covariance_stats(x)
    low, high = re.search(r"range (\d\.\d+) to (\d\.\d+)\)", verdict.sentence).groups()
    mean = re.search(r"diagonal (\d\.\d+) \(sd", verdict.sentence).group(1)
    assert len(low.split(".")[1]) == len(mean.split(".")[1]) == 5
    assert (low, high) == (f"{stats['diag_min']:.5f}", f"{stats['diag_max']:.5f}")
    assert f"mean |off-diagonal covariance| {stats['offdiag_share']:.2g} of the mean" in (
        verdict.sentence
    )
    assert "correlation" not in verdict.sentence.split("(target")[0]
