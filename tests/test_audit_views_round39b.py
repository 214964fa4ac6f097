"""Views round 39 (class demo on a projector) F3 and F4, accuracy round 53 F1 and F2.

- F3: a saved map's tab was blank for ~13 s with no word of what was coming. The page now says
  "Loading the saved ... map of N movies…" where the map goes while it draws, builds the title
  index only for a search (1.5 s), and the regions' k-means runs on one thread (its OpenMP
  threads spin-waited 0.8-3 s on 2 busy cores for what one thread does in 0.02 s).
- F4: a spread penalty's verdict box led with 110 words of numbers ("Not whitened" lost in
  them), repeated its target and never explained "column means' RMS": it now leads with the
  verdict and its main number, says a second equal target once, and a popover beside the boxes
  explains each term they use; Jaccard@10 (Neighbours) and Holm (map caption) are explained
  where they are first said.
- Accuracy 53 F1: Compare's exact-whitening help named the movies with a training rating for
  every model; a model trained with a minimum-ratings limit on its penalties is whitened over
  the movies with that many training ratings.
- Accuracy 53 F2: the PCA ends' "median number of ratings" counted test rows beside a slider
  counting training ratings: it now counts training ratings and says so.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pandas as pd
import pytest
import streamlit
from apptest_helpers import open_page
from test_app_truth import WHITE, truth_home  # noqa: F401 (its models and fixtures)

from movierate import explore, glossary, store
from movierate.data.movies import TRAINING_COUNTS
from movierate.explore import quality
from movierate.explore.pca import ends_contrast
from movierate.explore.verdicts import regularizer_verdicts
from movierate.spec import ModelSpec
from movierate.ui import maps, text, widgets


def _record_spinners(monkeypatch) -> list[str]:
    """Every ``st.spinner`` text the page asks for (a spinner shows from 0.5 s on, so the
    test reads what it would say, not whether it showed)."""
    said: list[str] = []
    original = streamlit.spinner

    @contextlib.contextmanager
    def spinner(message="In progress...", **kwargs):
        said.append(message)
        with original(message, **kwargs):
            yield

    monkeypatch.setattr(streamlit, "spinner", spinner)
    return said


# --- F3: a saved map's wait is said, and shorter ------------------------------------------------


def test_a_saved_map_says_it_is_loading_where_the_map_goes(trained_home, monkeypatch):
    query = dict(model="small-mf", view="Map", map_method="PCA", tsne_min="40")
    open_page("pages/embeddings.py", **query)  # computes (or reads) and saves the map
    said = _record_spinners(monkeypatch)
    at = open_page("pages/embeddings.py", **query)
    note = next(c.value for c in at.caption if "loaded from cache" in c.value)
    n = re.search(r"\(([\d,]+) movies, loaded from cache\)", note).group(1)
    assert f"Loading the saved PCA map of {n} movies…" in said


def test_loading_text_says_whether_the_map_was_saved():
    frame = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    frame.attrs.update(method="tsne", from_cache=True)
    assert maps.loading_text(frame) == "Loading the saved t-SNE map of 2 movies…"
    frame.attrs.update(from_cache=False)
    assert maps.loading_text(frame) == "Drawing the t-SNE map of 2 movies…"
    frame.attrs.update(method="precomputed")
    assert maps.loading_text(frame.iloc[:1]) == "Drawing your map of 1 movie…"


def test_map_regions_cluster_on_one_thread(monkeypatch):
    """The regions' k-means: OpenMP threads competing for busy cores spin (0.8-3 s for 2,000
    points on 2 loaded cores, 0.02 s on one thread)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_info

    threads: list[int] = []
    fit = KMeans.fit

    def counting_fit(self, *args, **kwargs):
        threads.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(KMeans, "fit", counting_fit)
    xy = np.random.default_rng(0).normal(size=(1_000, 2))
    regions = quality.map_regions(xy, [["Drama"]] * 1_000)
    assert len(regions) and threads and set(threads) == {1}


def test_a_map_without_a_search_builds_no_title_index(trained_home, monkeypatch):
    """Building the title index took 1.5 s of a saved map's first draw; only a search needs it."""
    built: list[str] = []
    index = explore.title_index

    def counting(model):
        built.append(model.name)
        return index(model)

    monkeypatch.setattr(explore, "title_index", counting)
    query = dict(model="small-mf", view="Map", map_method="PCA", tsne_min="40")
    open_page("pages/embeddings.py", **query)
    assert built == []
    at = open_page("pages/embeddings.py", **query, q="toy story")
    assert built and at.get("plotly_chart")  # a search still finds its titles


# --- F4: the verdict first, each term explained ---------------------------------------------------


def _lead_and_detail(box: str) -> tuple[str, str]:
    lead, detail = box.split("\n\n", 1)
    return lead, detail


@pytest.fixture
def white_home(truth_home, monkeypatch):  # noqa: F811 (the imported fixture)
    monkeypatch.setenv("MOVIERATE_HOME", str(truth_home))
    return truth_home


@pytest.mark.parametrize("page", ["embeddings", "compare"])
def test_the_verdict_box_leads_with_the_verdict_and_its_main_number(white_home, page):
    query = {"model": WHITE} if page == "embeddings" else {"models": [WHITE, "small-mf"]}
    at = open_page(f"pages/{page}.py", **query)
    boxes = [e.value for e in [*at.success, *at.warning] if "hitened" in e.value]
    assert boxes
    model = store.load_model(WHITE)
    (verdict,) = [v for v in regularizer_verdicts(model, min_ratings=10) if v.kind == "whitening"]
    for box in boxes:
        lead, detail = _lead_and_detail(box)
        word = "Whitened" if verdict.achieved else "Not whitened"
        assert lead.removeprefix(f"**{WHITE}**: ").startswith(f"**{word}**: ")
        assert len(lead.split()) <= 30, lead  # one short sentence
        assert f"variance is on average {verdict.numbers['diag_mean']:#.3g}" in lead
        assert detail.startswith("Measured: covariance diagonal")  # the word is not repeated
        assert detail.count("(target:") <= 1 or "(the same target)" not in detail
    popover = " ".join(m.value for m in at.markdown)
    shown = " ".join(boxes)
    for term in text.VERDICT_TERMS:
        if term.lower() in shown.lower():
            assert glossary.define(term) in popover, term


def test_a_second_equal_target_is_said_once(tmp_path):
    """Two sets of movies both missing the same target: it was printed twice."""
    from movierate.store import TrainedModel

    x = 0.3 * np.random.default_rng(0).standard_normal((3_000, 4))  # variance 0.09: not white
    trained = np.r_[np.full(1_500, 40), np.full(1_500, 1)]
    movies = pd.DataFrame({"n_ratings": trained + 5, TRAINING_COUNTS: trained})
    spec = ModelSpec(dim=4, regularizers={"whitening": 0.1})
    model = TrainedModel("m", tmp_path, spec, {"history": {}}, {"movie_embedding": x}, movies)
    (verdict,) = regularizer_verdicts(model, min_ratings=10)
    assert not verdict.achieved
    assert verdict.sentence.count("(target:") == 1 and "(the same target)" in verdict.sentence
    box = text.verdict_text(verdict)
    lead, _ = _lead_and_detail(box)
    assert lead == (
        "**Not whitened**: a dimension's variance is on average "
        f"{verdict.numbers['diag_mean']:#.3g} "
        f"over the movies its penalty shaped, {verdict.numbers['rated_diag_mean']:#.3g} over "
        "those the views start with (whitening aims at 1)."
    )
    assert widgets.verdict_text is text.verdict_text  # the boxes Embeddings and Compare draw


def test_verdict_terms_are_defined_where_used():
    used = text.verdict_terms_text(["... column means' RMS <= 0.1 ...", "covariance diagonal 1"])
    assert glossary.define("column means' RMS") in used and "root mean square" in used
    assert glossary.define("covariance diagonal") in used
    assert "KS distance" not in used and text.verdict_terms_text(["L2 0.1"]) == ""


def test_jaccard_and_holm_are_explained_at_first_use():
    jaccard = text.NEIGHBOUR_SEED_SCALE
    assert re.search(r"Jaccard@10 of [\d.-]+ \(the films both top-10 lists hold", jaccard)
    regions = text.regions_text(True, False, 1.5)
    assert "Holm over every region and genre: Holm's correction raises" in regions


# --- accuracy round 53: F1 (exact whitening's help), F2 (training counts at the PCA ends) ---------


def test_exact_whitening_help_names_every_models_movies(white_home):
    at = open_page("pages/compare.py", models=["small-mf"])
    helped = at.toggle(key="exact").help
    assert "over the movies with a training rating (mean" not in helped
    assert "'Spread penalties: movies with at least this many ratings'" in helped
    assert "those with at least that many training ratings" in helped


def test_pca_ends_count_training_ratings_as_the_slider_does(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Principal components")
    model = store.load_model("small-mf")
    extremes = explore.model_pca_extremes(model, n_components=3, n_movies=8, min_ratings=10)
    trained = model.movies[TRAINING_COUNTS].to_numpy()
    shown = " ".join(c.value for c in at.caption)
    for _, rows in extremes.groupby("component"):
        ends = [trained[rows.loc[rows["end"] == end, "movie_idx"]] for end in ("top", "bottom")]
        a, b = (np.median(e) for e in ends)
        said = f"median number of training ratings {a:,.10g} vs {b:,.10g}"
        assert said in shown, (said, shown)
    assert "median number of ratings" not in shown


def test_ends_contrast_without_training_counts_counts_every_rating():
    rows = pd.DataFrame(
        {"end": ["top", "top", "bottom", "bottom"], "movie_idx": [0, 1, 2, 3],
         "year": [1960, 1970, 1999, 2001], "n_ratings": [10, 30, 200, 100]}
    )  # fmt: skip
    assert "median number of ratings 20 vs 150" in ends_contrast(rows)
    movies = pd.DataFrame({"n_ratings": [10, 30, 200, 100], TRAINING_COUNTS: [8, 20, 150, 90]})
    said = ends_contrast(rows, movies=movies)
    assert "median number of training ratings 14 vs 120" in said
