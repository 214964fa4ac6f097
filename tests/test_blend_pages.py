"""A blend saved by ``tune --blend`` (AutoRec + mf_bias as ONE dot-product model) opens on
every dashboard page like any mf_bias model, and records what it is made of."""

from __future__ import annotations

import pytest
from apptest_helpers import assert_page_opens, every_page, movierate_env

from movierate import store
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def blend_home(tmp_path_factory, movielens_dir):
    from movierate.tuning import tune

    home = tmp_path_factory.mktemp("blend-home")
    with movierate_env(home, movielens_dir):
        tune(
            "ml-latest-small",
            "small-blend",
            blend=True,
            budget_seconds=300,
            n_trials=1,
            max_epochs=2,
            base_spec=ModelSpec(dim=8),
        )
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


@pytest.mark.parametrize(("page", "query"), every_page("small-blend"))
def test_every_page_opens_a_blend(bl_home, page, query):
    assert_page_opens(page, query)
