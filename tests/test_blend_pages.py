"""A blend saved by ``tune --blend`` (AutoRec + mf_bias as ONE dot-product model) opens on
every dashboard page like any mf_bias model, and its card says what it is made of."""

from __future__ import annotations

import os

import pytest
from apptest_helpers import assert_clean, open_page

from movierate import store
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def blend_home(tmp_path_factory, movielens_dir):
    from movierate.tuning import tune

    home = tmp_path_factory.mktemp("blend-home")
    old = {k: os.environ.get(k) for k in ("MOVIERATE_HOME", "MOVIERATE_DATA_DIR")}
    os.environ["MOVIERATE_HOME"], os.environ["MOVIERATE_DATA_DIR"] = str(home), str(movielens_dir)
    try:
        tune(
            "ml-latest-small",
            "small-blend",
            blend=True,
            budget_seconds=300,
            n_trials=1,
            max_epochs=2,
            base_spec=ModelSpec(dim=8),
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return home


@pytest.fixture
def bl_home(blend_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(blend_home))
    return blend_home


def test_the_blend_is_saved_as_one_dot_product_model(bl_home):
    model = store.load_model("small-blend")
    blend = model.meta["tuning"]["blend"]
    assert model.spec.family == "mf_bias"
    assert [m["family"] for m in blend["members"]] == ["autorec", "mf_bias"]
    assert model.dim == sum(m["dim"] for m in blend["members"]) == model.movie_embedding.shape[1]


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("embeddings", {"model": "small-blend"}),
        ("embeddings", {"model": "small-blend", "view": "Principal components"}),
        ("neighbours", {"models": "small-blend", "q": "matrix 1999"}),
        ("recommend", {"user": "1"}),
        ("compare", {"models": "small-blend"}),
        ("dimensions", {"model": "small-blend"}),
        ("explore", {"model": "small-blend", "view": "axes", "xa": "Comedy", "xb": "Drama"}),
        ("explore", {"model": "small-blend", "view": "probes"}),
        ("explore", {"model": "small-blend", "view": "users"}),
        ("rate", {"model": "small-blend", "rated": "1:5,50:4,100:1"}),
    ],
)
def test_every_page_opens_a_blend(bl_home, page, query):
    at = open_page(f"pages/{page}.py", **query)
    if page == "compare":  # one model: compare it with its exact whitening
        at.toggle(key="exact").set_value(True).run()
    assert_clean(at)
    assert at.dataframe or at.get("plotly_chart") or at.metric, f"{page} shows nothing"
