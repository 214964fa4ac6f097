"""Bad-input round 33 (many saved things): `list` printed all 1,000 models with no way to
narrow them, and Compare drew one identical warning box per model (40 for 40 models)."""

from __future__ import annotations

import json
import shutil

import pytest

from movierate.cli import main


@pytest.fixture
def many(trained_home, tmp_path, monkeypatch):
    """A home with the session's small-mf and small-deep plus copies of small-mf, alpha-1..3."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models", home / "models", symlinks=True)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    for n in (1, 2, 3):
        shutil.copytree(home / "models" / "small-mf", home / "models" / f"alpha-{n}")
        meta = home / "models" / f"alpha-{n}" / "meta.json"
        meta.write_text(meta.read_text().replace('"name": "small-mf"', f'"name": "alpha-{n}"'))
    return home


def _listed(capsys, *args: str) -> list[str]:
    assert main(["list", *args, "--json"]) == 0
    return [r["name"] for r in json.loads(capsys.readouterr().out)]


def test_list_keeps_the_models_a_pattern_names_and_says_how_many(many, capsys):
    assert _listed(capsys, "ALPHA-*", "--sort", "name") == ["alpha-1", "alpha-2", "alpha-3"]
    assert _listed(capsys, "alpha-1", "small-*", "--sort", "name") == [
        "alpha-1", "small-deep", "small-mf"
    ]  # fmt: skip
    assert main(["list", "alpha-*"]) == 0
    out = capsys.readouterr().out
    assert "small-mf" not in out and "3 of the 5 saved models match." in out


def test_list_says_when_nothing_matches(many, capsys):
    assert main(["list", "beta*"]) == 0
    said = capsys.readouterr().err
    assert "No model matches 'beta*' (5 saved: `list` alone shows them all" in said
    assert main(["list", "--dataset", "ml-100k"]) == 0
    assert "No model was trained on 'ml-100k'" in capsys.readouterr().err
    assert len(_listed(capsys, "--dataset", "ML-LATEST-SMALL")) == 5
    assert len(_listed(capsys, "--dataset", "ml-latest*")) == 5  # a pattern too (recheck 2)


def test_list_sorts_by_test_rmse(many, capsys):
    assert main(["list", "--sort", "rmse", "--json"]) == 0
    rmses = [r["test_rmse"] for r in json.loads(capsys.readouterr().out)]
    assert rmses == sorted(rmses)


def test_compare_says_one_shared_warning_once(many):
    from apptest_helpers import open_page

    for n in (1, 2, 3):  # each no better than the averages, with the same numbers
        meta_path = many / "models" / f"alpha-{n}" / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta["metrics"]["test_rmse_of_averages"] = round(meta["metrics"]["test_rmse"] - 0.01, 4)
        meta_path.write_text(json.dumps(meta))
    at = open_page("pages/compare.py", models=["alpha-1", "alpha-2", "alpha-3", "small-mf"])
    # small-mf may carry its own (its draw sits near the averages): the alphas share one
    said = [w.value for w in at.warning if "no better than" in w.value and "alpha" in w.value]
    assert len(said) == 1, said
    assert said[0].startswith("alpha-1, alpha-2 and alpha-3: Each one's test RMSE")


def test_loading_many_models_shows_its_progress_once_it_takes_long():
    """A page opened on many uncached models said nothing for 41 s (40 models)."""
    from streamlit.testing.v1 import AppTest

    def script():
        import time

        import streamlit as st

        from movierate.ui import state, widgets

        said, real_progress, real_load = [], st.progress, state.load_model

        class Bar:  # records what the bar said (it is emptied once the models are loaded)
            def __init__(self, value):
                self.bar = real_progress(value)

            def progress(self, value, text=None):
                said.append(text)
                self.bar.progress(value, text=text)

            def empty(self):
                self.bar.empty()

        after = widgets.LOAD_PROGRESS_AFTER_S
        st.progress, state.load_model = Bar, (lambda name: time.sleep(0.3) or name)
        widgets.LOAD_PROGRESS_AFTER_S = 0.2
        try:
            st.session_state["loaded"] = widgets.load_models(["a", "b", "c", "d"])
        finally:
            st.progress, state.load_model = real_progress, real_load
            widgets.LOAD_PROGRESS_AFTER_S = after
        st.session_state["said"] = said

    at = AppTest.from_function(script).run()
    assert at.session_state["loaded"] == ["a", "b", "c", "d"]
    assert at.session_state["said"][-1] == "Loading the models: 4 of 4"
    assert not at.get("progress")  # gone once they are loaded


def test_a_long_leftovers_list_says_where_the_rest_are(tmp_path):
    """fuzz33 F3: 500 leftovers were named as 3 paths and '...'."""
    from movierate import atomic, store

    def left(folder: str, n: int) -> list:
        return [
            atomic.Leftover(tmp_path / folder / f".tmp-{i}", "temporary file", 8, "unknown", 60.0)
            for i in range(n)
        ]

    said = store._paths_shown(left("models", 300) + left("tmp", 200))
    assert said.count(".tmp-") == 3
    assert f"and 497 more (297 in {tmp_path / 'models'}; 200 in {tmp_path / 'tmp'})" in said
    assert store._paths_shown(left("models", 2)).count(".tmp-") == 2
