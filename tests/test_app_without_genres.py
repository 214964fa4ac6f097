"""AppTest of the views on a user's own ratings file without genres or years (views round 11,
finding 5): no genre or year colourings, captions or set kinds, no region labels there is
nothing to name them by, search examples from the model's own titles (never MovieLens'), and
map hovers without "year=0" (finding 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, charts, movierate_env, open_page

MODEL = "own-mf"
TITLES = [f"Item {i}" for i in range(40)]


@pytest.fixture(scope="module")
def own_home(tmp_path_factory, movielens_dir: Path) -> Path:
    from movierate.data import from_csv
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("own-data")
    rng = np.random.default_rng(0)
    rows = [
        (f"u{u}", f"it{m}", int(rng.integers(1, 11)))
        for u in range(60)
        for m in range(40)
        if rng.random() < 0.3 + 0.5 * (m < 5)  # the first items most rated
    ]
    pd.DataFrame(rows, columns=["user", "item", "rating"]).to_csv(home / "r.csv", index=False)
    pd.DataFrame({"item": [f"it{m}" for m in range(40)], "title": TITLES}).to_csv(
        home / "i.csv", index=False
    )
    with movierate_env(home, movielens_dir):
        ds = from_csv(home / "r.csv", home / "i.csv", save_as="own", rating_scale=(1, 10, 1))
        assert ds.movies["year"].isna().all() and not any(ds.movies["genres"].map(len))
        train_and_save(ds, ModelSpec(family="mf_bias", dim=4, epochs=1), MODEL)
    return home


@pytest.fixture
def home(own_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(own_home))
    return own_home


def _speaks_of_genres_or_years(text: str) -> bool:
    lowered = text.casefold()
    return "genre" in lowered or "year" in lowered or "toy story" in lowered


def test_the_map_offers_only_colourings_the_data_can_fill(home):
    at = open_page("pages/embeddings.py", model=MODEL, view="Map", map_method="PCA")
    assert_clean(at)
    colour = at.selectbox(key="colour")
    assert colour.options == [
        "Popularity (log10 ratings)",
        "Embedding norm",
        "Movie bias",
        "Mean rating",  # any dataset has it (explorer review s28)
    ]
    assert colour.value == "popularity"
    assert not [t for t in at.toggle if t.key == "map_regions"]  # nothing to name regions by
    assert not [c.value for c in at.caption if "Labels name" in c.value or "genre" in c.value]
    placeholder = at.text_input(key="q").placeholder
    assert placeholder.startswith("e.g. item ") and not _speaks_of_genres_or_years(placeholder)
    hovers = [str(c[1]) for t in charts(at)[0]["data"] for c in t.get("customdata") or []]
    assert hovers and not [h for h in hovers if "year" in h or "genres" in h or "<br><br>" in h]


def test_a_link_asking_for_a_genre_colouring_falls_back(home):
    at = open_page(
        "pages/embeddings.py", model=MODEL, view="Map", map_method="PCA", colour="One genre"
    )
    assert_clean(at)
    assert at.selectbox(key="colour").value == "popularity"


def test_the_selection_panel_has_no_year_or_genre_parts(home):
    at = open_page("pages/embeddings.py", model=MODEL, view="Map", map_method="PCA")
    at.session_state["map_selection"] = {f"{MODEL}|pca": list(range(10))}
    at.run()
    assert_clean(at)
    assert any("Selection: 10 movies" in s.value for s in at.header)
    assert not [m.label for m in at.metric if "year" in m.label.casefold()]
    assert not [m.value for m in at.markdown if "Genres:" in m.value]


def test_explore_axes_name_no_genre_and_no_movielens_title(home):
    at = open_page("pages/explore.py", model=MODEL, view="axes")
    assert_clean(at)
    caption = at.text_input(key="xa").help  # the set syntax: views round 27, F5
    assert "genre (" not in caption and "star wars" not in caption
    assert "A set is part of a title (item " in caption


def test_search_boxes_suggest_the_models_own_titles(home):
    at = open_page("pages/neighbours.py", models=MODEL)
    assert_clean(at)
    assert at.text_input(key="q").placeholder.startswith("e.g. item ")
    at = open_page("pages/rate.py", model=MODEL)
    assert_clean(at)
    placeholder = at.text_input(key="rate_q").placeholder
    assert placeholder.startswith("e.g. item ") and "toy story" not in placeholder
