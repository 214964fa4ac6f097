"""Bad-input round 65 (the dashboard abused through the browser): a Rate link repeating one
movie past the address's limit said "rated 1 movies … the other 0 are not" (F2); Home's "New
name" box kept the name just used after a Rename, and the Model box a deleted model's name,
while the server thought them empty or elsewhere (F3); a NUL in a link read "\ufffd" in a
notice's heading and '\\x00' in its body (F4); and a finished tune job's "Saved as" warning
gave a refit last-epoch advice (accuracy round 52, F2, on the Train page). One module home:
``m`` (ml-latest-small, dim 2, 1 epoch)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from apptest_helpers import movierate_env, open_page
from streamlit.testing.v1 import AppTest

from movierate.jobs import JobRegistry
from movierate.progress import Phase
from movierate.spec import ModelSpec
from movierate.ui import state
from movierate.ui.text import md

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def round65_home(tmp_path_factory, movielens_dir: Path) -> Path:
    from movierate.pipeline import train_and_save

    home = tmp_path_factory.mktemp("round65")
    with movierate_env(home, movielens_dir):
        train_and_save("ml-latest-small", ModelSpec(family="mf_bias", dim=2, epochs=1), "m")
    return home


@pytest.fixture
def home(round65_home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MOVIERATE_HOME", str(round65_home))
    return round65_home


# --- F2: the too-long notice counts movies, repeats merged ------------------------------------


def test_a_cut_that_only_drops_repeats_loses_nothing_and_says_so():
    from movierate.ui.your_ratings import link_cut_text

    said, lost = link_cut_text({1: 5.0}, {1: 5.0}, 20_000, 15_000)
    assert not lost
    assert "The 5,000 ratings of the link past the 60,000 characters" in said
    assert "its one movie is used, and no rating is lost" in said
    assert "1 movies" not in said and "other 0" not in said


def test_a_cut_counts_movies_not_entries_with_their_plurals():
    from movierate.ui.your_ratings import link_cut_text

    every = {1: 5.0, 2: 3.0, 3: 1.0}
    said, lost = link_cut_text(every, {1: 4.0}, 20_000, 15_000)
    assert lost
    assert said.startswith("This link rated 3 movies in 20,000 ratings (a movie rated again")
    assert "the first 1 is used and the other 2 are not" in said
    assert "1 movie rated again past the cut keeps its earlier rating here" in said
    said, lost = link_cut_text({1: 5.0}, {1: 4.0}, 20_000, 15_000)  # one movie, rating changed
    assert lost and "This link rated 1 movie in" in said and "other 0" not in said
    assert "To keep its rating, save it below" in said
    distinct = {i: 4.0 for i in range(10)}
    said, _ = link_cut_text(distinct, dict(list(distinct.items())[:8]), 10, 8)
    assert "This link rated 10 movies, more than" in said  # no repeats: nothing about them
    assert "the first 8 are used and the other 2 are not. To keep all 10, save them" in said


def test_a_long_link_of_one_movie_offers_nothing_to_save(home):
    """F2 as the review opened it: 20,000 copies of 1:5 (79,999 characters)."""
    rated = ",".join(["1:5"] * 20_000)
    at = open_page("pages/rate.py", model="m", rated=rated)
    assert not any(w.value.startswith("This link rated") for w in at.warning)
    assert any("no rating is lost" in i.value for i in at.info)
    assert not any(b.label.startswith("Save all") for b in at.get("download_button"))
    kept = next(w.value for w in at.warning if w.value.startswith("Kept the first"))
    assert "Kept the first 15,000 of the 20,000 ratings" in kept


# --- F3: a box emptied after an action is empty in the browser too ----------------------------


def _home_with_two_models(home: Path, tmp_path: Path, monkeypatch) -> Path:
    mine = tmp_path / "home"
    for name in ("a", "b"):
        shutil.copytree(home / "models" / "m", mine / "models" / name)
    monkeypatch.setenv("MOVIERATE_HOME", str(mine))
    return mine


def test_rename_empties_the_new_name_box_in_the_browser_too(home, tmp_path, monkeypatch):
    """The box's state was popped: the server read it empty (Rename disabled) while the
    browser kept the name, since only a value set through the state is sent to it."""
    mine = _home_with_two_models(home, tmp_path, monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="manage_model").set_value("b")
    at.text_input(key="manage_new_name").set_value("c").run()
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception and (mine / "models" / "c").is_dir()
    box = at.text_input(key="manage_new_name")
    assert box.value == "" and box.proto.set_value, "the browser is not told to empty the box"
    picked = at.selectbox(key="manage_model")
    assert picked.value == "c" and picked.proto.set_value


def test_delete_empties_the_model_box_in_the_browser_too(home, tmp_path, monkeypatch):
    """After this tab's own delete the browser showed the deleted model (the server: another)."""
    mine = _home_with_two_models(home, tmp_path, monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="manage_model").set_value("b").run()
    at.button(key="ask_delete").click().run()
    at.button(key="confirm_delete_yes").click().run()
    assert not at.exception and not (mine / "models" / "b").exists()
    picked = at.selectbox(key="manage_model")
    assert picked.value is None and picked.proto.set_value
    assert not [t for t in at.text_input if t.key == "manage_new_name"]  # nothing to rename


# --- F4: control characters of a link are escaped, one way everywhere -------------------------


def test_escaped_writes_control_characters_as_repr_does():
    assert state.escaped("a\x00b\n\x7f\x85") == "a\\x00b\\n\\x7f\\x85"
    assert state.escaped("Amélie\u202e") == "Amélie\u202e"  # not a control: displayable's
    assert state.escaped(155) == "155"


def test_a_nul_in_a_link_reads_as_its_escape_in_the_heading_and_the_body(home):
    nul = md("\\x00")  # "\x00" as Markdown writes it, shown as \x00
    at = open_page("pages/compare.py", errors=True, models="\x00")
    notice = next(w.value for w in at.warning if "Ignored ?models=" in w.value)
    assert "\x00" not in notice
    assert f"Ignored ?models={nul} from the link: Invalid model name '{nul}'" in notice
    at = open_page("pages/recommend.py", errors=True, user="\x00")
    notice = next(w.value for w in at.warning if "Ignored ?user=" in w.value)
    assert "\x00" not in notice
    assert f"Ignored ?user={nul} from the link: User {nul} is not in ml-latest-small" in notice
    at = open_page("pages/rate.py", model="m", rated="1:5,\x00:4")  # the Rate notices alike
    (unread,) = [w.value for w in at.warning if w.value.startswith("Left out 1 unreadable")]
    assert "\x00" not in unread and f"({nul}:4)" in unread


# --- accuracy round 52, F2 on the Train page: a tuned refit's "Saved as" verdict --------------


def test_a_finished_tune_jobs_refit_gets_no_last_epoch_advice(home, monkeypatch):
    """The Train page read a tuned refit's own metrics, as `tune` did before round 52: "still
    at its best in its last epoch" for a model that ran a fixed epoch count without stop rows."""
    refit = SimpleNamespace(
        name="tuned",
        metrics={"test_rmse": 1.2, "test_rmse_of_mean": 1.1, "best_epoch": 4, "epochs_run": 4},
        meta={"tuning": {"best": {"value": 1.1}, "stop_rmse_of_mean": 1.1}},
        split_record={"stop_rows_trained": True},
        spec=ModelSpec(),
        history={},
        reported_rmse=None,
    )
    real = state.load_model
    monkeypatch.setattr(state, "load_model", lambda n: refit if n == "tuned" else real(n))

    def runner(dataset, spec, name, split_params, progress, cancel):
        progress(
            SimpleNamespace(epoch=1, epochs=1, batch=1, batches=1, phase=Phase.DONE, metrics={})
        )
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    job = registry.submit("ml-latest-small", ModelSpec(epochs=1), "tuned")
    assert registry.wait(job, 30).state == "done"
    at = open_page("pages/train.py")
    assert any("Saved as **tuned**" in s.value for s in at.success)
    said = " ".join(w.value for w in at.warning)
    assert "learned nothing" in said and "last epoch" not in said, said
