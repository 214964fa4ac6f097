"""AppTest of the exploration pages (Compare, Embeddings, Neighbours, Recommend) against the two
small models of the test session: each runs cleanly, shows its key widgets, reacts to them and
reads its state from the URL."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import assert_clean, charts, open_page, until_map_ready, vega_specs
from streamlit.testing.v1 import AppTest

from movierate import store
from movierate.ui.text import table_cell, with_year

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def values(data) -> np.ndarray:
    """A plotly trace array, decoded when plotly stored it as base64 ``bdata``."""
    if isinstance(data, dict) and "bdata" in data:
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return flat.reshape([int(n) for n in str(data.get("shape", len(flat))).split(",")])
    return np.asarray(data)


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def kind(spec: dict) -> str:
    """A Vega-Lite chart's mark ("rect" for a heatmap, "line", "bar")."""
    inner = panels(spec)[0] if "hconcat" in spec or "vconcat" in spec else spec
    mark = inner.get("mark") or inner["layer"][0]["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def panels(spec: dict) -> list[dict]:
    """A heatmap's panels, row by row."""
    rows = spec.get("vconcat", [spec])
    return [panel for row in rows for panel in row["hconcat"]]


def heatmap_values(spec: dict, model: str) -> np.ndarray:
    """One model's panel of a heatmap spec as a matrix."""
    cells = [v for v in spec["data"]["values"] if v["model"] == model]
    n = int(round(len(cells) ** 0.5))
    z = np.full((n, n), np.nan)
    for cell in cells:
        z[int(cell["row"]), int(cell["col"])] = cell["v"]
    return z


def widget(widgets, label: str):
    return next(w for w in widgets if w.label == label)


# --- Compare ---------------------------------------------------------------------------------


def test_compare_opens_on_accuracy_and_runs_only_the_open_tab(trained_home):
    at = open_page("pages/compare.py")
    (accuracy,) = frames(at)  # the space table is in another tab, not computed
    for name, epochs in zip(accuracy["model"], accuracy["epoch kept"], strict=True):
        metrics = store.load_model(name).metrics  # the saved model's epoch, of those run
        assert epochs == f"{metrics['best_epoch']} of {metrics['epochs_run']}"
    assert sorted(accuracy["model"]) == ["small-deep", "small-mf"]
    assert accuracy["test RMSE"].between(0.5, 1.5).all()
    assert (accuracy["params"] > 16 * 9000).all()
    # recheck D (s26): the reference sentence is said once, the paired gap per model
    assert any("predicting the training mean for every rating" in c.value for c in at.caption)
    for name, gap in zip(
        accuracy["model"], accuracy["minus the averages' (95%, paired)"], strict=True
    ):
        shown = store.averages_gap_text(store.load_model(name).metrics, short=True)
        assert gap == table_cell(shown)  # a leading sign is shown behind a mark (no formula)
        assert gap.endswith("the draw")
    kinds = [kind(spec) for spec in vega_specs(at)]
    assert kinds == ["line", "line"]  # learning curves and regularizer losses only
    assert not charts(at)  # no Plotly chart: its JavaScript would load for nothing
    assert not at.metric and not at.get("segmented_control")


def test_compare_scores_the_models_top_10_lists_on_request(trained_home):
    """Accuracy round 12: test RMSE did not tell which model's top-10 lists were better; the
    check costs a second or so per model, so it runs when asked."""
    from movierate import ranking

    at = open_page("pages/compare.py")
    assert len(frames(at)) == 1  # not computed unasked
    at.toggle(key="ranking").set_value(True).run()
    assert_clean(at)
    table = frames(at)[1]
    for row in table.to_dict("records"):
        check = ranking.held_out_ranking(store.load_model(row["model"]), k=10, min_ratings=10)
        # the table holds the shown numbers (views round 15 F1): NDCG to 3 decimals, rates to 1
        assert (row["users"], row["NDCG@10"]) == (
            f"{check.n_users:,}",
            pytest.approx(check.ndcg, abs=5e-4),
        )
        assert row["most-rated list: hit rate"] == pytest.approx(
            100 * check.popular_hit_rate, abs=0.05
        )
        gap = f"{check.ndcg_gap:+.3f} ± {check.ndcg_gap_ci:.3f}"
        assert row["NDCG vs most-rated (95%)"] == table_cell(gap)  # a sign behind a mark


def test_compare_keeps_each_model_s_colour_in_both_curve_charts(trained_home, monkeypatch):
    """Views round 8: a model without a penalty was left out of the regularizer chart and the
    palette restarted there, so every model had another colour in the chart beside."""

    def colours(spec: dict) -> dict[str, str]:
        scale = spec["encoding"]["color"]["scale"]
        return {s.split(": ")[0]: c for s, c in zip(scale["domain"], scale["range"], strict=True)}

    from movierate.ui import text

    deep, real = store.load_model("small-deep").history, text.regularizer_keys
    monkeypatch.setattr(  # as a model trained without a regularizer logs none
        text, "regularizer_keys", lambda history: [] if history == deep else real(history)
    )
    at = open_page("pages/compare.py", models=["small-deep", "small-mf"])
    curves, penalties = vega_specs(at)
    assert set(colours(penalties)) == {"small-mf"}  # the deep model logs no penalty
    assert colours(penalties)["small-mf"] == colours(curves)["small-mf"]


def test_charts_follow_a_dark_theme(trained_home):
    """Views round 8: on Streamlit's dark theme every chart's text was #31333F (1.44:1)."""
    from streamlit import config as st_config

    from movierate.ui.charts import DARK_TEXT, TEXT

    st_config.set_option("theme.base", "dark")
    try:
        dark = vega_specs(open_page("pages/compare.py"))
        at = open_page("pages/compare.py", section="Embedding spaces")
        at.slider(key="min_ratings").set_value(30).run()  # a fragment's own rerun (recheck)
        dark += vega_specs(at)
    finally:
        st_config.set_option("theme.base", "light")
    light = vega_specs(open_page("pages/compare.py"))
    assert {s["config"]["title"]["color"] for s in dark} == {DARK_TEXT}
    assert {s["config"]["axis"]["labelColor"] for s in light} == {TEXT}


def test_compare_spaces_tab_heatmaps_and_min_ratings(trained_home):
    at = open_page("pages/compare.py", section="Embedding spaces")
    _, space = frames(at)  # the spread numbers, then the genres' (views round 31, F1)
    losses = dict(zip(space["model"], space["regularizer losses (saved model)"], strict=True))
    saved = store.load_model("small-mf").metrics["reg_l2"]  # the kept epoch's, not the last's
    assert losses["small-mf"] == f"l2 {saved:.4g}"
    assert space["genre coherence@10"].between(0, 1).all()
    heatmaps = [spec for spec in vega_specs(at) if kind(spec) == "rect"]  # one per model
    models = [{v["model"] for v in h["data"]["values"]} for h in heatmaps]
    assert sorted(map(sorted, models)) == [["small-deep"], ["small-mf"]]
    ((low, before),) = {tuple(h["encoding"]["color"]["scale"]["domain"]) for h in heatmaps}
    assert low == -before  # one symmetric colour scale
    mf = next(h for h in heatmaps if h["data"]["values"][0]["model"] == "small-mf")
    assert np.nanmax(np.abs(heatmap_values(mf, "small-mf"))) <= before

    at.segmented_control(key="matrix").set_value("correlation").run()
    assert_clean(at)
    after = next(spec for spec in vega_specs(at) if kind(spec) == "rect")
    assert after["encoding"]["color"]["scale"]["domain"][1] == 1.0 != before

    at.slider(key="min_ratings").set_value(50).run()
    assert_clean(at)
    _, redrawn = frames(at)
    assert not redrawn["genre coherence@10"].equals(space["genre coherence@10"])
    assert any("at least 50 training ratings" in c.value for c in at.caption)
    assert [kind(spec) for spec in vega_specs(at)] == ["rect", "rect"]  # spectra: own tab


def test_compare_spectra_tab(trained_home):
    at = open_page("pages/compare.py", section="Spectra", min_ratings="20")
    assert not at.dataframe and not at.metric
    figures = vega_specs(at)
    assert len(figures) == 2 and "rect" not in [kind(spec) for spec in figures]
    names = {v["model"] for f in figures for v in f["data"]["values"]}
    assert {"small-mf", "small-deep"} <= names
    assert any("at least 20 training ratings" in c.value for c in at.caption)


def test_compare_movie_by_movie_tab_reacts_to_min_ratings_and_k(trained_home):
    at = open_page("pages/compare.py", section="Movie by movie")
    labels = [m.label for m in at.metric]
    assert "Mean Jaccard@10" in labels and "Procrustes residual" in labels
    # accuracy review round 5: raw agreement is high for any two fits of the same rows; the
    # agreement beyond each user's and movie's level is said beside it, as computed
    from movierate import explore
    from movierate.explore.compare import model_prediction_agreement

    models = [store.load_model(n) for n in ("small-mf", "small-deep")]

    def expected(min_ratings):  # over the shared movies the caption names (views round 9)
        sets = explore.model_neighbour_sets(
            *models, min_ratings=min_ratings, max_movies=explore.NEIGHBOUR_CAP
        )
        return model_prediction_agreement(*models, movies=sets.rows_a)

    agreement = expected(at.slider(key="min_ratings").value)
    beyond = agreement.beyond_levels
    assert any(
        f"Beyond each user's and movie's level: **{beyond.pearson:.2f}**" in c.value
        and beyond.grid_text() in c.value
        for c in at.caption
    )
    assert widget(at.metric, "Prediction correlation").value == f"{agreement.pearson:.3f}"
    jaccard = widget(at.metric, "Mean Jaccard@10").value
    at.slider(key="min_ratings").set_value(50).run()
    assert_clean(at)
    assert widget(at.metric, "Mean Jaccard@10").value != jaccard
    assert widget(at.metric, "Prediction correlation").value == f"{expected(50).pearson:.3f}"
    assert expected(50).pearson != agreement.pearson  # the slider moves them too
    assert any("at least 50 ratings" in c.value for c in at.caption)
    jaccard = widget(at.metric, "Mean Jaccard@10").value
    at.slider(key="pair_k").set_value(25).run()
    assert_clean(at)
    assert widget(at.metric, "Mean Jaccard@25").value != jaccard


def test_compare_movie_by_movie_link_names_its_pair_and_k(trained_home):
    """views round 7: Model A / B and k were not in the link, so a shared link opened another
    pair."""
    at = open_page("pages/compare.py", section="Movie by movie")
    first = (at.selectbox(key="pair_a").value, at.selectbox(key="pair_b").value)
    assert first[0] != first[1]
    assert [at.query_params[k] for k in ("pair_a", "pair_b")] == list(first)
    at = open_page(
        "pages/compare.py",
        section="Movie by movie",
        pair_a=first[1],
        pair_b=first[0],
        pair_k="20",
    )
    assert (at.selectbox(key="pair_a").value, at.selectbox(key="pair_b").value) == first[::-1]
    assert at.slider(key="pair_k").value == 20
    assert "Mean Jaccard@20" in [m.label for m in at.metric]
    # recheck: a link naming only B took B's model for A too ("Choose two different models")
    at = open_page("pages/compare.py", section="Movie by movie", pair_b=first[0])
    assert at.selectbox(key="pair_a").value == first[1]
    at = open_page("pages/compare.py", section="Movie by movie", pair_k="99")
    assert at.slider(key="pair_k").value == 10
    assert any("Ignored ?pair_k=99" in w.value for w in at.warning)


def test_compare_keeps_min_ratings_across_tabs(trained_home):
    at = open_page("pages/compare.py", section="Embedding spaces", min_ratings="40")
    assert at.slider(key="min_ratings").value == 40
    at = open_page("pages/compare.py", section="Movie by movie", min_ratings="40")
    assert at.slider(key="min_ratings").value == 40
    assert any("at least 40 ratings" in c.value for c in at.caption)


def test_compare_says_when_the_neighbour_analyses_are_capped(trained_home, monkeypatch):
    from movierate import explore

    at = open_page("pages/compare.py", section="Embedding spaces")
    assert not any("most-rated" in i.value for i in at.info)  # 2,269 movies: under the cap
    monkeypatch.setattr(explore, "NEIGHBOUR_CAP", 300)
    at.slider(key="min_ratings").set_value(11).run()
    assert_clean(at)
    notices = [i.value for i in at.info if "most-rated" in i.value]
    assert any("Genre coherence over each model's 300 most-rated" in n for n in notices)
    assert (frames(at)[1]["coherence movies"] == 300).all()  # the genres table (round 31)
    at = open_page("pages/compare.py", section="Movie by movie", min_ratings="11")
    notices = [i.value for i in at.info if "most-rated" in i.value]
    assert any("Neighbour overlap over the 300 most-rated of the" in n for n in notices)


def test_compare_sets_a_model_beside_its_exact_whitening_with_measured_statements(trained_home):
    at = open_page("pages/compare.py", models="small-mf")
    at.toggle(key="exact").set_value(True).run()
    assert_clean(at)
    accuracy = frames(at)[0]
    assert list(accuracy["model"]) == ["small-mf", "small-mf (exact whitening)"]
    # a free transform: the same predictions, so the same test RMSE, and no "N SE" difference
    assert accuracy["test RMSE"].iloc[0] == accuracy["test RMSE"].iloc[1]
    assert accuracy["vs lowest (paired)"].iloc[1].startswith("same errors")
    name_column = json.loads(at.dataframe[0].proto.columns)["model"]  # not cut to the first rows
    assert name_column["width"] >= 5.5 * len("small-mf (exact whitening)")
    notes = [i.value for i in at.info if "whitened by construction" in i.value]
    assert notes and "covariance diagonal exactly 1 and off-diagonal correlations 0" in notes[0]
    assert not any("whitening flattens" in c.value for c in at.caption)  # no theory captions
    # views round 8: its panels on Embedding spaces are not white over the movies counted there
    at = open_page("pages/compare.py", models="small-mf", exact="true", section="Embedding spaces")
    said = [c.value for c in at.caption if "is exactly white over the" in c.value]
    assert said and "where its map was fitted" in said[0], [c.value for c in at.caption]


def test_compare_asks_for_two_models(trained_home):
    at = open_page("pages/compare.py", models="small-mf")
    assert at.multiselect(key="models").value == ["small-mf"]
    assert any("at least two" in i.value for i in at.info)


# --- Embeddings ------------------------------------------------------------------------------


def test_embeddings_covariance_view_reacts_to_weighting(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf")
    assert at.selectbox(key="model").value == "small-mf"
    heatmap = vega_specs(at)[0]
    assert kind(heatmap) == "rect"
    z = heatmap_values(heatmap, "small-mf")
    assert z.shape == (16, 16) and np.allclose(z, z.T)
    at.selectbox(key="weighting").set_value("n_ratings").run()
    assert_clean(at)
    assert not np.allclose(heatmap_values(vega_specs(at)[0], "small-mf"), z)
    # accuracy round 19b, F3: the option read "n_ratings" (every rating, by the glossary) and
    # weighted by training ratings; the box and the caption now name that count
    box = at.selectbox(key="weighting")
    assert box.options == ["uniform", "training ratings", "log(1 + training ratings)"]
    assert any("(each weighted by its number of training ratings)" in c.value for c in at.caption)
    # F6: "Use per dimension" under that box follows it, and says so
    assert any(
        "(the movies above, each weighted by its number of training ratings)" in c.value
        for c in at.caption
    )


def test_embeddings_pca_extremes_follow_the_sliders(trained_home):
    at = open_page("pages/embeddings.py", model="small-deep", view="Principal components")
    assert len(frames(at)) == 6  # 3 components x (top, bottom)
    first = frames(at)[0]
    assert len(first) == 8 and {"title", "genres", "n_ratings", "score"} <= set(first.columns)
    at.slider(key="pca_components").set_value(2).run()
    at.slider(key="pca_min_ratings").set_value(100).run()
    assert_clean(at)
    assert len(frames(at)) == 4
    assert all((f["n_ratings"] >= 100).all() for f in frames(at))


def test_embeddings_tsne_map_search_highlights_and_lists_neighbours(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", tsne_min="40")
    assert at.text_input(key="tsne_min").value == "40"
    next(b for b in at.button if b.label == "Compute map").click().run()
    until_map_ready(at)  # a map slower than a moment computes in the background
    scatter = charts(at)[0]
    n_points = sum(len(values(t["x"])) for t in scatter["data"])
    assert n_points > 300
    at.text_input(key="q").set_value("toy story 1995").run()
    assert_clean(at)
    assert any("Nearest to" in m.value and "Toy Story" in m.value for m in at.markdown)
    # a wrapping list, not a table: the side column cut long titles (explorer review, s28)
    listed = next(m.value for m in at.markdown if m.value.startswith("1. `")).splitlines()
    assert len(listed) == 10 and not any(line.endswith(" Toy Story (1995)") for line in listed)
    annotations = charts(at)[0]["layout"].get("annotations", [])
    # movie labels point at their movie; region labels (no arrow) depend on the map's regions
    labels = [a["text"] for a in annotations if a.get("showarrow", True)]
    assert labels == ["<b>Toy Story</b>"]
    rings = [
        t for t in charts(at)[0]["data"] if t.get("hoverinfo") == "skip" and t["type"] == "scatter"
    ]
    assert [len(values(t["x"])) for t in rings] == [10, 1]  # neighbours, then the movie
    at.selectbox(key="colour").set_value("year").run()
    assert_clean(at)
    assert "coloraxis" in charts(at)[0]["layout"]
    at.text_input(key="q").set_value("").run()
    at.selectbox(key="colour").set_value("genre").run()
    assert_clean(at)
    # the memoised scatter comes back without the earlier search's rings and label
    assert not [t for t in charts(at)[0]["data"] if t.get("hoverinfo") == "skip"]
    assert not [
        a for a in charts(at)[0]["layout"].get("annotations", []) if a.get("showarrow", True)
    ]


def test_embeddings_other_views_run(trained_home):
    for view in ("Norms & popularity", "Export"):
        at = open_page("pages/embeddings.py", model="small-deep", view=view)
        if view == "Export":
            assert len(at.get("download_button")) == 3
        else:
            specs = vega_specs(at)
            assert len(specs) == 2 and not charts(at)  # norm and bias: no Plotly on this tab
            rows = specs[0]["data"]["values"]
            assert rows and {"title", "n_ratings", "genres", "norm"} <= set(rows[0])


# --- Neighbours ------------------------------------------------------------------------------


def test_neighbours_side_by_side_and_reacting_to_k_and_metric(trained_home):
    at = open_page("pages/neighbours.py", q="matrix 1999")
    assert any("Matrix" in m.value for m in at.markdown)
    results = frames(at)
    assert len(results) == 2 and all(len(r) == 10 for r in results)
    assert "cosine_similarity" in results[0].columns and "shared" in results[0].columns
    at.slider(key="n").set_value(5).run()
    at.segmented_control(key="metric").set_value("euclidean").run()
    assert_clean(at)
    results = frames(at)
    assert all(len(r) == 5 for r in results)
    assert "euclidean_distance" in results[0].columns


def test_neighbours_without_query_offers_examples_and_handles_ambiguity(trained_home):
    at = open_page("pages/neighbours.py", models="small-mf")
    assert at.multiselect(key="models").value == ["small-mf"]
    examples = [g for g in at.get("button_group") if g.key == "example"]
    assert examples, "example titles are missing"
    model = store.load_model("small-mf")
    top = model.movies.nlargest(8, "n_ratings").iloc[0]
    examples[0].set_value(model.movies.index.get_loc(top.name)).run()  # a pill is a movie
    assert_clean(at)  # views 4b: StreamlitWidgetAlreadyInstantiatedError on every pill
    assert at.text_input(key="q").value == with_year(top["title"], top["year"])
    assert frames(at)
    assert any("For reference, random pairs of these movies" in c.value for c in at.caption)
    at.text_input(key="q").set_value("hamlet").run()
    assert_clean(at)
    choice = at.selectbox(key="candidate")
    assert len(choice.options) >= 2
    at.text_input(key="q").set_value("qqqzzzxxy").run()
    assert not at.exception
    assert any("No movie title matches" in w.value for w in at.warning)
    assert at.selectbox(key="candidate").value is None and not frames(at)


# --- Recommend -------------------------------------------------------------------------------


def test_recommend_for_a_user_across_models(trained_home):
    at = open_page("pages/recommend.py", user="1")
    assert at.text_input(key="user").value == "1"
    assert at.text_input(key="user").label == "User id (610 users in ml-latest-small, ids 1–610)"
    tables = frames(at)
    favourites, recs = tables[0], tables[1:]
    assert len(favourites) == 10
    assert {"rating", "predicted"} <= set(favourites.columns)
    # side by side: recommended then least recommended per model (compact columns)
    top = recs[::2]
    assert len(top) == 2 and all(len(t) == 10 for t in top)
    # title pinned (views round 13); the score behind capped predictions only where some are
    # capped (views round 39, F5), the year last
    capped = ["model's score"] if "model's score" in top[0].columns else []
    assert list(top[0].columns) == ["rank", "title", "predicted", *capped, "year"]
    if capped:
        shown = top[0]["predicted"].to_numpy()
        assert (top[0]["model's score"].to_numpy() != shown.round(2)).any()
    assert not set(top[0]["title"]) & set(favourites["title"])
    # accuracy round 11: each model's top predictions on its test rows against those ratings
    from movierate import pipeline, ranking
    from movierate.ui import text as ui_text

    for name in ("small-mf", "small-deep"):
        said = ui_text.top_calibration_text(pipeline.top_calibration(store.load_model(name)))
        assert said and said in [c.value for c in at.caption]
        # accuracy round 12: each model's top-10 lists on its liked test movies
        check = ranking.held_out_ranking(store.load_model(name), k=10, min_ratings=10)
        said = ranking.ranking_text(check, caveat=False)  # the caveat is in its help
        assert said and said in [c.value for c in at.caption]
    # the favourites' caption counts the shown user's test rows (a fixed sentence before)
    captions = [c.value for c in at.caption]
    assert any(re.match(r"(None of these 10 are held-out|Of these 10, \d)", c) for c in captions)
    at.slider(key="k").set_value(5).run()
    assert_clean(at)
    assert all(len(t) == 5 for t in frames(at)[1:])
    at.toggle(key="wide").set_value(True).run()  # one model per row: every column
    assert_clean(at)
    assert all("genres" in t.columns for t in frames(at)[1:])


def test_recommend_sample_and_unknown_user(trained_home):
    at = open_page("pages/recommend.py")
    first = at.text_input(key="user").value
    for _ in range(3):  # random: at least one of three samples differs from user 1
        widget(at.button, "Sample a user").click().run()
        if at.text_input(key="user").value != first:
            break
    assert_clean(at)
    assert at.text_input(key="user").value != first
    at.text_input(key="user").set_value("999999").run()
    assert not at.exception
    assert any("is not in ml-latest-small" in e.value for e in at.error)
    # bad-input round 13: an integer box read a typed "1e2" as user 1 (and 1.5 as 1)
    at.text_input(key="user").set_value("1.5").run()
    assert any("User id = 1.5 is not a whole number" in e.value for e in at.error)
    at.text_input(key="user").set_value("1e2").run()
    assert_clean(at)
    assert "## User 100" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", ["compare", "embeddings", "neighbours", "recommend"])
def test_pages_without_models_say_how_to_get_one(page):
    at = open_page(f"pages/{page}.py")
    assert any("No trained models yet" in i.value for i in at.info)


def test_an_unexpected_failure_shows_a_friendly_error_with_details(trained_home, monkeypatch):
    from movierate import explore

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(explore, "recommend_for_user", broken)
    monkeypatch.setenv("MOVIERATE_DEBUG", "1")  # details only in debug mode
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.query_params["user"] = "1"
    at.switch_page("pages/recommend.py").run()
    assert not at.exception
    assert any("Something went wrong: RuntimeError: disk on fire" in e.value for e in at.error)
    details = [x for x in at.expander if x.label == "Details"]
    assert details and "Traceback" in details[0].code[0].value


def test_embeddings_map_from_uploaded_coordinates(trained_home):
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", tsne_min="40")
    csv = b"movie_id,x,y\n1,0.0,0.0\n2,1.0,0.5\n3,-1.0,2.0\n999999999,5,5\n"
    at.file_uploader(key="coords_upload").upload("coords.csv", csv, "text/csv").run()
    assert_clean(at)
    scatter = charts(at)[0]
    assert sum(len(values(t["x"])) for t in scatter["data"]) == 3
    assert any("1 rows with unknown movie ids dropped" in c.value for c in at.caption)
