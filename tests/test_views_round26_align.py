"""Views round 26: Explore's "Two models, one frame" searches every aligned film and keeps the
pick in the link (M1); Neighbours' side-by-side tables give each neighbour's rank in the other
models' lists (friction point 4)."""

from __future__ import annotations

import pandas as pd
from apptest_helpers import assert_clean, charts, open_page
from streamlit.testing.v1 import AppTest

from movierate import explore, store
from movierate.ui import text


def said(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("success", "warning", "info") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def open_align(**query: str) -> AppTest:
    """Explore's "Two models, one frame" of the session's two small models."""
    return open_page(
        "pages/explore.py", model="small-mf", model_b="small-deep", view="align", **query
    )


def _layout():
    return explore.model_align(
        store.load_model("small-mf"),
        store.load_model("small-deep"),
        min_ratings=explore.DEFAULT_MIN_RATINGS,
        top=15,
    )


def test_align_movie_box_searches_every_aligned_film_and_keeps_it_in_the_link(trained_home):
    layout = _layout()
    coords = layout.coordinates
    moved = set(layout.moved_most["movie_idx"])
    calm = coords[~coords["movie_idx"].isin(moved)].sort_values("n_ratings").iloc[-1]
    label = text.with_year(calm["title"], calm["year"])
    at = open_align(al_pick=label)
    box = at.selectbox(key="al_pick")
    assert len(box.options) == len(coords)  # every aligned film, not the 15 that moved most
    assert box.value == label and at.query_params["al_pick"] == label
    assert text.heading_text(label) in said(at)
    assert len(at.dataframe) == 2  # its neighbours in both models
    (spec,) = charts(at)
    # the ring joins its two places (the moved-most lines are lines+markers too: their arrows)
    (ring,) = [t for t in spec["data"] if t.get("name") == text.html_text(calm["title"])]
    assert ring["x"] == [calm["x_a"], calm["x_b"]] and ring["y"] == [calm["y_a"], calm["y_b"]]
    named = {(n["x"], n["y"]) for n in spec["layout"]["annotations"] if calm["title"] in n["text"]}
    assert named == {(calm["x_a"], calm["y_a"]), (calm["x_b"], calm["y_b"])}  # both rings
    # the least rated aligned film is offered too (AppTest keeps the URL as opened)
    other = coords.sort_values("n_ratings").iloc[0]
    other_label = text.with_year(other["title"], other["year"])
    at.selectbox(key="al_pick").set_value(other_label).run()
    assert_clean(at)
    assert text.heading_text(other_label) in said(at)


def test_align_link_naming_a_film_not_aligned_is_refused_in_words(trained_home):
    at = open_align(al_pick="No Such Film (1901)")
    assert "Ignored ?al_pick=No Such Film (1901) from the link" in said(at)
    assert "not among the movies both models know" in said(at)
    assert at.selectbox(key="al_pick").value is None and "al_pick" not in at.query_params


def test_ranks_in_list_are_the_ranks_nearest_gives_over_the_whole_catalogue(trained_home):
    model = store.load_model("small-mf")
    index = explore.neighbour_index(model)
    counts = model.movies["n_ratings"].to_numpy()
    movie = int(counts.argmax())
    for metric, value in (("cosine", "cosine_similarity"), ("euclidean", "euclidean_distance")):
        full = index.nearest(movie, k=len(model.movies), metric=metric, min_ratings=10)
        where = index.ranks_in_list(movie, full["movie_idx"], metric=metric, min_ratings=10)
        assert where["rank"].tolist() == full["rank"].tolist()
        assert abs(where["value"] - full[value]).max() < 1e-9
    rare = int(counts.argmin())  # left out by the filter, the movie itself, and no movie
    where = index.ranks_in_list(movie, [rare, movie, -1], min_ratings=10)
    assert where["rank"].isna().all() and where["value"].isna().tolist() == [False, False, True]


def test_neighbours_side_by_side_give_each_film_s_rank_in_the_other_model(trained_home):
    at = open_page(
        "pages/neighbours.py", models=["small-mf", "small-deep"], q="Toy Story (1995)", n="10"
    )
    mf, deep = (d.value for d in at.dataframe)
    assert "rank_in_small-deep" in mf.columns and "rank_in_small-mf" in deep.columns
    for mine, theirs, other in ((mf, deep, "small-deep"), (deep, mf, "small-mf")):
        ranks = mine.set_index("title")[f"rank_in_{other}"]
        listed = dict(zip(theirs["title"], range(1, len(theirs) + 1), strict=True))
        for title, rank in ranks.items():  # the other's own list agrees where it lists it
            assert (
                (rank == listed[title])
                if title in listed
                else (pd.isna(rank) or rank > len(theirs))
            )
    said = " ".join(e.value for e in at.markdown)
    assert "rank in small-deep's list of neighbours of Toy Story (1995)" in said
    at.toggle(key="wide").set_value(True).run()
    assert "cosine_similarity_in_small-deep" in at.dataframe[0].value.columns
