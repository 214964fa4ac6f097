"""Compare computes its closed tabs' analyses in the background (``state.prefetch``), so that
opening a tab only draws it; each analysis is computed once."""

from __future__ import annotations

import threading

import streamlit as st
from apptest_helpers import assert_clean, open_page

from movierate import explore
from movierate.ui import state


def _wait_for_prefetch() -> None:
    for thread in threading.enumerate():
        if thread.name == "movierate-prefetch":
            thread.join(timeout=120)


def test_prefetch_runs_each_call_once_and_fills_the_cache():
    st.cache_data.clear()
    state._PREFETCHED.clear()
    calls = []

    def square(model, *, power):
        calls.append(power)
        return power * power

    def broken(model):
        raise ValueError("left to the view that shows it")

    model = type("Model", (), {"name": "prefetch-test-model"})()
    state.prefetch([(broken, (model,), {}), (square, (model,), {"power": 3})])
    state.prefetch([(square, (model,), {"power": 3})])  # started already: not again
    _wait_for_prefetch()
    assert calls == [3]
    assert state.cached(square, model, power=3) == 9
    assert calls == [3]  # served from the cache


def test_compare_prefetches_the_closed_tabs(trained_home, monkeypatch):
    st.cache_data.clear()
    state._PREFETCHED.clear()
    counted = {"coherence": 0, "spectrum": 0}
    coherence, spectrum = explore.model_genre_coherence, explore.model_eigen_spectrum

    def counting(name, func):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return func(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(explore, "model_genre_coherence", counting("coherence", coherence))
    monkeypatch.setattr(explore, "model_eigen_spectrum", counting("spectrum", spectrum))
    at = open_page("pages/compare.py")  # the Accuracy tab
    _wait_for_prefetch()
    assert counted == {"coherence": 2, "spectrum": 2}  # two models, computed in the background
    for section in ("Embedding spaces", "Spectra"):
        at.query_params["section"] = section
        at.run()
        assert_clean(at)
    assert counted == {"coherence": 2, "spectrum": 2}  # the tabs only drew them


def test_an_analysis_is_filed_under_the_files_it_was_computed_on(
    trained_home, tmp_path, monkeypatch
):
    """Bad-input round 13b: a page loaded model 'ma' (dim 8); the name then went to a dim-6
    model (renamed in another tab); the page's analysis of the object it held was filed under
    the new 'ma', whose next visit was served an 8 x 8 covariance."""
    import shutil

    from movierate import store
    from movierate.explore.whitening import exact_whitening
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    st.cache_data.clear()
    st.cache_resource.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    held = state.load_model("small-mf")  # dim 16, held by a page run
    store.rename_model("small-mf", "small-mf-old")
    train_and_save("ml-latest-small", ModelSpec(dim=6, epochs=1), "small-mf")
    state.cached(explore.model_covariance, held)  # that run's analysis, after the swap
    now = state.load_model("small-mf")
    assert now.dim == 6 and state.cached(explore.model_covariance, now).shape == (6, 6)
    # recheck 2: a model derived from the held object (Compare's exact whitenings) too
    store.rename_model("small-mf", "small-mf-6")
    store.rename_model("small-mf-old", "small-mf")
    held = state.load_model("small-mf")  # dim 16 again
    white = exact_whitening(held)
    store.rename_model("small-mf", "small-mf-16")
    store.rename_model("small-mf-6", "small-mf")
    state.cached(explore.model_covariance, white)
    again = exact_whitening(state.load_model("small-mf"))
    assert state.cached(explore.model_covariance, again).shape == (6, 6)
