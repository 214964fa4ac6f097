"""Views round 36 (a 30,000-movie catalogue in the browser): Cancel of a running t-SNE map, a
broad map search, a title not in the catalogue, PCA's promised speed, and region labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from apptest_helpers import assert_clean, open_page

from movierate import explore
from movierate.ui import widgets


def test_cancelled_map_keeps_its_form_when_the_rerun_nulls_its_boxes(trained_home, monkeypatch):
    """H1: after Cancel the browser sent None for the Min. ratings box and ``float(None)``
    broke the page; every box of the form falls back to its link or default instead."""
    import time

    from movierate.ui import maps

    monkeypatch.setattr(maps, "INLINE_WAIT_S", 0.0)
    monkeypatch.setattr(maps, "QUIET_WAIT_S", 0.0)
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="t-SNE",
                   tsne_min="7", iterations="5000")  # fmt: skip
    next(b for b in at.button if b.label == "Compute map").click().run()
    (job,) = maps.map_jobs().running()
    deadline = time.monotonic() + 60
    while job.fraction <= 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    for key in ("tsne_min", "perplexity", "iterations", "map_seed", "tsne_metric"):
        at.session_state[key] = None  # what the Cancel rerun left in the form's boxes
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert_clean(at)
    assert job.wait(60) and job.state == "cancelled"
    assert any("The map was cancelled" in w.value for w in at.warning)
    boxes = {t.key: t.value for t in at.text_input}
    assert boxes["tsne_min"] == "7"  # its link's value, as before the Cancel
    assert boxes["iterations"] == "5000"
    assert boxes["perplexity"] == widgets.number_text(explore.DEFAULT_PERPLEXITY)
    assert boxes["map_seed"] == "0"
    assert at.selectbox(key="tsne_metric").value in explore.METRICS
    assert any(b.label == "Compute map" for b in at.button)


@pytest.mark.parametrize(
    ("held", "shown"),
    [(None, "12"), (float("nan"), "12"), (True, "12"), (object(), "12"), (np.int64(40), "40"),
     (2.5, "2.5")],
)  # fmt: skip
def test_held_text_falls_back_on_anything_but_a_number(held, shown):
    assert widgets.held_text(held, "12") == shown


class _Within:
    """A map's movie_idx that counts how often it is read in full."""

    def __init__(self, rows):
        self.rows = np.asarray(rows, dtype=np.int64)
        self.reads = 0

    def __iter__(self):
        self.reads += 1
        return iter(self.rows.tolist())

    def __len__(self):
        return len(self.rows)

    def __array__(self, dtype=None, copy=None):
        self.reads += 1
        return self.rows if dtype is None else self.rows.astype(dtype)


class _Index:
    def __init__(self, n):
        self.movies = pd.DataFrame({"n_ratings": np.arange(n) % 7})


def test_map_search_reads_the_map_once_not_once_per_match():
    """H2: the set of the map's movies was rebuilt for every match (2 minutes for 7,507
    matches on a 20,248-movie map)."""
    index, within = _Index(3000), _Within(np.arange(0, 3000, 2))
    found = widgets._on_map(index, np.arange(1000, 3000), "contains", within)
    assert within.reads == 1
    assert len(found) == 1000 and found.off_map == 1000
    counts = index.movies["n_ratings"].to_numpy()
    assert [(-counts[m], m) for m in found.rows] == sorted((-counts[m], m) for m in found.rows)


@pytest.fixture(scope="module")
def alien_index():
    from test_explore_helpers import movies_table

    from movierate.explore import TitleIndex

    titles = ["Alien", "Madeline", "Aliens", "Toy Story", "Terminator, The", "Jurassic Park",
              "Synthetic movie 123", "Synthetic movie 1234"]  # fmt: skip
    years = [1979, 1998, 1986, 1995, 1984, 1993, 1934, 1950]
    counts = [941, 40, 800, 900, 700, 650, 30, 20]
    return TitleIndex(movies_table(len(titles), titles=titles, years=years, n_ratings=counts))


def test_a_title_not_in_the_catalogue_is_no_match_only_closest_titles(alien_index):
    """M1: "amelie" resolved to a pick box with Alien (1979) preselected as the answer: a
    near spelling of another title is below a match now (the "did you mean" box), a typo of a
    title still finds it."""
    from movierate.errors import DataError
    from movierate.explore.search import MATCH_THRESHOLD

    found = alien_index.search("amelie", limit=5)
    assert "Alien" in set(found["title"]) and found["score"].max() < MATCH_THRESHOLD
    with pytest.raises(DataError, match="No movie title matches 'amelie'"):
        alien_index.resolve("amelie")
    assert widgets.map_matches(alien_index, "amelie").rows == []  # not "closest" on the map
    for typo, title in [("toy stroy", "Toy Story"), ("terminatr", "Terminator, The"),
                        ("jurasic park", "Jurassic Park"), ("alien", "Alien"),
                        ("Synthetic movei 123", "Synthetic movie 123")]:  # fmt: skip
        assert alien_index.movies["title"].iloc[alien_index.resolve(typo)] == title


def test_a_large_map_measures_its_trust_on_a_stated_sample(monkeypatch):
    """M2: the first PCA map of 20,248 movies waited >61 s for its trust numbers: over
    TRUST_SAMPLE movies they are measured on that many, and the caption says so."""
    from movierate.explore import quality

    monkeypatch.setattr(quality, "TRUST_SAMPLE", 60)
    asked = []
    real = quality.nearest_rows

    def counted(points, k, metric="euclidean", **kwargs):
        found = real(points, k, metric, **kwargs)
        asked.append(len(found))
        return found

    monkeypatch.setattr(quality, "nearest_rows", counted)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(200, 8))
    genres = [["Drama"] if i % 2 else ["Comedy"] for i in range(200)]
    trust = quality.map_trust(vectors, vectors[:, :2], genres)
    assert asked == [60, 60] and trust.n_measured == 60 and trust.n_movies == 200
    assert quality.MapTrust.from_dict(trust.as_dict()) == trust
    assert "measured on 60 of its 200 movies, drawn at random" in widgets.trust_text(
        trust.as_dict()
    )
    whole = quality.map_trust(vectors[:50], vectors[:50, :2], genres[:50])
    assert whole.n_measured is None and "measured on" not in widgets.trust_text(whole.as_dict())


def test_region_labels_place_their_regions_from_a_sample_of_a_large_map(monkeypatch):
    """M2: k-means on all 20,248 points took 7.9 s of the first Map-tab open; it fits on at
    most REGION_FIT_POINTS of them and assigns every point."""
    from sklearn.cluster import KMeans

    from movierate.explore import quality

    monkeypatch.setattr(quality, "REGION_FIT_POINTS", 300)
    fitted = []
    real_fit = KMeans.fit
    monkeypatch.setattr(
        KMeans, "fit", lambda self, x, *a, **k: fitted.append(len(x)) or real_fit(self, x, *a, **k)
    )
    xy = np.random.default_rng(2).normal(size=(2000, 2))
    regions = quality.map_regions(xy, [["Drama"]] * 2000)
    assert fitted == [300] and len(regions.attrs["assignment"]) == 2000
    assert regions["n_movies"].sum() == 2000


def test_repeated_region_labels_say_their_sizes_and_side_buttons_fit():
    """L1: "Drama · Action" labelled two regions alike, and the genre button was cut off."""
    from movierate.ui import figures

    regions = pd.DataFrame(
        {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0], "n_movies": [1200, 340, 80],
         "label": ["Drama · Action", "Drama · Action", "Horror"], "tags": [[], [], []]}
    )  # fmt: skip
    frame = pd.DataFrame({"x": [0.0], "y": [0.0], "movie_idx": [0]})
    texts = [a.text for a in figures.add_map_rings(go.Figure(), frame, None, regions=regions)
             .layout.annotations]  # fmt: skip
    assert len(set(texts)) == 3 and "<b>Horror</b>" in texts
    assert any("1,200 movies" in t for t in texts) and any("340 movies" in t for t in texts)
    for n, genre in [(3216, "Animation"), (3216, "Documentary"), (12, "Science Fiction")]:
        shown = widgets.side_button_label(
            f"Select the {n:,} {genre} movies", f"Select {n:,} {genre}", f"Select all {n:,}"
        )
        assert len(shown) <= widgets.SIDE_BUTTON_CHARS and f"{n:,}" in shown
    assert widgets.side_button_label("Select the 3,216 Animation movies", "x") == "x"


def test_a_two_edit_spelling_of_a_short_title_is_no_match_but_one_edit_is():
    """Recheck 11, M1: "tenet" went straight to "Net, The" (ratio 0.83) and "barbie" to Babe
    (0.80): a spelling-only match must also be within one edit per 8 letters typed."""
    from test_explore_helpers import movies_table

    from movierate.errors import DataError
    from movierate.explore import TitleIndex
    from movierate.explore.search import typo_edits

    titles = ["Net, The", "Babe", "Fargo", "Matrix, The", "Titanic"]
    index = TitleIndex(movies_table(5, titles=titles, years=[1995, 1995, 1996, 1999, 1997],
                                    n_ratings=[100, 200, 300, 400, 500]))  # fmt: skip
    for absent in ("tenet", "barbie"):
        with pytest.raises(DataError, match=f"No movie title matches '{absent}'"):
            index.resolve(absent)
    for typo, title in [("frago", "Fargo"), ("matirx", "Matrix, The"), ("titanc", "Titanic")]:
        assert index.movies["title"].iloc[index.resolve(typo)] == title
    assert [typo_edits("frago", "fargo", 2), typo_edits("barbie", "babe", 2)] == [1, 2]
    assert typo_edits("amelie", "alien", 1) == 2  # stops once beyond ``most``
