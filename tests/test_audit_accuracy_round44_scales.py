"""Accuracy round 44 (rating scales other than MovieLens' stars). F2: Rate movies moved ratings
"in proportion to the scales' tops" onto scales whose bottom is a real rating, so 1 star became
20 of 0-100 and 3 stars a like of 0/1 data. F3: Compare's accuracy table and ``list`` set RMSEs
of different scales side by side without the scales.
"""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest
import streamlit as st

from movierate import cli
from movierate.explore.rated_link import rescaled
from movierate.ranking import liked_threshold
from movierate.ui.your_ratings import _scale_note
from tests.apptest_helpers import open_page

STARS, HALVES, TENS = (1, 5, 1), (0.5, 5, 0.5), (1, 10, 1)
PERCENT, LIKES = (0, 100, 1), (0, 1, 1)


def test_stars_move_onto_0_100_lowest_onto_lowest_and_back():
    assert [rescaled(r, STARS, PERCENT) for r in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert [rescaled(r, PERCENT, STARS) for r in (0, 25, 50, 75, 100)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("source", [STARS, HALVES, TENS, PERCENT])
def test_onto_likes_a_rating_is_a_like_from_the_liked_cut_up(source):
    """Top-k's own liked cut (the top quarter) decides, not rounding 0.6 up."""
    cut = liked_threshold(source)
    lo, hi, step = source
    below = [lo + i * step for i in range(int(round((cut - lo) / step)))]
    assert below and {rescaled(r, source, LIKES) for r in below} == {0}
    assert rescaled(cut, source, LIKES) == 1 and rescaled(hi, source, LIKES) == 1
    assert [rescaled(r, STARS, LIKES) for r in (1, 2, 3, 4, 5)] == [0, 0, 0, 1, 1]


def test_star_scales_still_move_in_proportion_to_their_tops():
    """Recheck 8 and 9's cases stay."""
    assert rescaled(3.5, HALVES, TENS) == 7 and rescaled(10, TENS, HALVES) == 5
    assert rescaled(2, STARS, HALVES) == 2 and rescaled(0, (-2, 2, 1), STARS) == 3
    assert [rescaled(r, LIKES, STARS) for r in (0, 1)] == [1, 5]  # likes: lowest onto lowest


def test_the_page_note_names_the_rule_it_used():
    def model(name, scale):
        return SimpleNamespace(dataset_name=name, rating_scale=scale)

    s5, p100, like = model("s5", STARS), model("p100", PERCENT), model("like", LIKES)
    note = _scale_note(s5, p100, 1)
    assert "lowest onto lowest" in note and "(1 → 0)" in note and "tops" not in note
    note = _scale_note(s5, like, 3)
    assert "4 or more" in note and "(3 → 0)" in note
    assert "in proportion to the scales' tops" in _scale_note(model("h", HALVES), s5, 3.5)


def _copy_on_another_scale(home, name: str, scale: list[float]) -> None:
    """``small-mf`` copied to ``name`` as if trained on ``scale`` (min, max, step)."""
    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["name"] = name
    meta["dataset"]["rating_scale"] = scale
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.fixture
def two_scales(trained_home, tmp_path, monkeypatch):
    """small-mf (0.5-5) beside ``p100``, a copy on 0-100."""
    st.cache_data.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    _copy_on_another_scale(home, "p100", [0.0, 100.0, 1.0])
    return home


def test_compare_names_each_models_scale_beside_its_rmse(two_scales):
    at = open_page("pages/compare.py", models=["small-mf", "p100"])
    table = at.dataframe[0].value
    columns = list(table.columns)
    assert columns.index("rating scale") == columns.index("test RMSE") - 1
    assert list(table["rating scale"]) == ["0.5-5", "0-100"]
    said = " ".join(c.value for c in at.caption)
    assert "trained on different rating scales (0-100, 0.5-5)" in said
    st.cache_data.clear()
    one = open_page("pages/compare.py", models=["small-mf", "small-deep"])
    assert "rating scale" not in one.dataframe[0].value.columns
    assert "different rating scales" not in " ".join(c.value for c in one.caption)


def test_list_shows_the_scale_when_scales_differ_and_json_always(two_scales, capsys):
    def run(*args: str) -> str:
        assert cli.main(list(args)) == 0
        return capsys.readouterr().out

    out = run("list", "small-mf", "p100")
    header, *rows = out.splitlines()
    assert header.index("rating scale") < header.index("test RMSE")
    assert any(r.startswith("p100") and "0-100" in r for r in rows)
    assert "trained on different rating scales (0-100, 0.5-5)" in out
    assert "rating scale" not in run("list", "small-*").splitlines()[0]
    records = {r["name"]: r["rating_scale"] for r in json.loads(run("list", "--json"))}
    assert records["small-mf"] == [0.5, 5.0] and records["p100"] == [0.0, 100.0]
