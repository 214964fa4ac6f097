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
