"""Views round 39 (class demo on a projector), findings 5 and 6.

F5: Recommend's list of a model capped at the scale's top read ten "5.00", a tie that was not
one, and the note saying so sat below every model's lists. F6: the first paint of a freshly
started dashboard showed Streamlit's own lowercase page list ("app, compare, ...") from the
``pages/`` folder before ``st.navigation``'s menu.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import tomllib
from apptest_helpers import open_page
from browser_helpers import (
    BROWSER_MARKS,
    REPO,
    launch_chromium,
    settle,
    start_streamlit,
    stop_server,
    wait_healthy,
)

from movierate import store

RATINGS = "userId,movieId,rating,timestamp\n"
MOVIES = "movieId,title,genres\n"
N_MOVIES = 40


def _data_folder(root: Path) -> Path:
    """A small MovieLens-layout dataset ``mini`` under ``root`` (30 users, 40 movies)."""
    folder = root / "mini"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = {
        (int(u), int(m))
        for u, m in zip(rng.integers(1, 31, 900), rng.integers(1, N_MOVIES + 1, 900), strict=True)
    }
    lines = [
        f"{u},{m},{1 + (u * m) % 5}.0,{964982703 + i}" for i, (u, m) in enumerate(sorted(rows))
    ]
    (folder / "ratings.csv").write_text(RATINGS + "\n".join(lines) + "\n")
    titles = [f'{m},"Film {m} ({1980 + m})",Comedy|Drama' for m in range(1, N_MOVIES + 1)]
    (folder / "movies.csv").write_text(MOVIES + "\n".join(titles) + "\n")
    return folder


def _save(name: str, ds, movie_bias: np.ndarray) -> Path:
    """An mf_bias model of ``ds`` (output "clip") with zero vectors: every user's score of a
    movie is 3 plus its ``movie_bias``. Saved without TensorFlow."""
    from movierate.data import make_split
    from movierate.spec import ModelSpec

    split = make_split(ds, method="random", seed=0)
    result = SimpleNamespace(
        arrays={
            "user_embedding": np.zeros((ds.n_users, 4), np.float32),
            "movie_embedding": np.zeros((ds.n_movies, 4), np.float32),
            "user_bias": np.zeros(ds.n_users, np.float32),
            "movie_bias": np.asarray(movie_bias, np.float32),
        },
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics={"test_rmse": 0.9, "test_mae": 0.7, "best_epoch": 2, "epochs_run": 3},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.0,
    )
    spec = ModelSpec(family="mf_bias", dim=4, output="clip")
    return store.save_model(name, result, ds, split, spec)


@pytest.fixture
def capped_home(tmp_path, monkeypatch) -> SimpleNamespace:
    """Dataset ``mini`` and two models of it: ``capped``, whose scores of every movie but the
    last 5 pass the scale's top (5.1 ... 5.9, distinct), and ``inside`` (all within 1-5)."""
    from movierate.data import load_dataset_by_name

    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(tmp_path / "data"))
    _data_folder(tmp_path / "data")
    ds = load_dataset_by_name("mini")
    bias = np.linspace(2.9, 2.1, ds.n_movies)  # scores 5.9 down to 5.1 before the clip
    bias[-5:] = np.linspace(-1.0, -1.8, 5)  # scores 2.0 to 1.2: the least recommended
    _save("capped", ds, bias)
    _save("inside", ds, np.linspace(1.5, -1.5, ds.n_movies))
    return SimpleNamespace(ds=ds, bias=bias)


def _in_order(at) -> list:
    """The page's elements (dataframes, captions, ...) in the order they are drawn."""
    found = []

    def walk(node) -> None:
        children = getattr(node, "children", None)
        if children is None:
            found.append(node)
            return
        for key in sorted(children):
            walk(children[key])

    walk(at._tree[0])
    return found


def test_a_capped_list_shows_the_scores_behind_it_and_says_so_right_under(capped_home):
    at = open_page(
        "pages/recommend.py", models=["capped", "inside"], user="1", min_ratings="0", k="5"
    )
    elements = _in_order(at)
    tables = [e for e in elements if e.type == "dataframe"]
    # favourites, then each model's list and least recommended, in the picker's order
    assert len(tables) == 5
    _, capped, least, inside, _ = tables
    shown = capped.value
    # the capped list names the scores behind its 5s, which order it: no tie that is not one
    assert (shown["predicted"] == 5.0).all()
    assert "model's score" in shown.columns
    scores = shown["model's score"].to_numpy()
    assert (scores > 5.0).all() and (np.diff(scores) < 0).all()
    columns = list(shown.columns)
    assert columns.index("model's score") == columns.index("predicted") + 1
    # a list with nothing capped keeps its columns
    assert "model's score" not in inside.value.columns
    bottom = least.value  # the user rated movies of the low five: some capped ones show
    capped_rows = bottom["predicted"] == 5.0
    assert capped_rows.any() and (bottom.loc[capped_rows, "model's score"] > 5.0).all()
    assert (
        bottom.loc[~capped_rows, "model's score"] == bottom.loc[~capped_rows, "predicted"]
    ).all()
    # the note is the first caption after the capped list, before the other model's list
    after = elements[elements.index(capped) + 1 :]
    caption = next(e for e in after if e.type == "caption")
    assert "capped at an end of the scale" in caption.value, caption.value
    assert re.search(r"\d+ of the 10 shown \(recommended, least recommended\)", caption.value)
    assert elements.index(caption) < elements.index(inside)
    # and the foot no longer repeats it below every model's lists
    foot = next(c.value for c in at.caption if "already rated are left out" in c.value)
    assert "capped" not in foot


def test_capped_favourites_show_their_scores_and_their_own_note(capped_home):
    at = open_page("pages/recommend.py", models="capped", user="1", min_ratings="0", k="5")
    elements = _in_order(at)
    favourites = next(e for e in elements if e.type == "dataframe")
    table = favourites.value
    capped = table["predicted"] == 5.0
    assert capped.any() and "model's score" in table.columns
    assert (table.loc[capped, "model's score"] > 5.0).all()
    after = elements[elements.index(favourites) + 1 :]
    notes = [e.value for e in after[:4] if e.type == "caption"]  # in its expander
    assert any(n.startswith("capped caps its predictions") for n in notes), notes


# --- F6: no lowercase page list on the first paint ---------------------------------------------


def test_streamlit_folder_menu_is_off_and_app_turns_the_router_menu_on():
    """``pages/`` makes Streamlit's first run in a process draw its own lowercase menu until
    app.py's st.navigation; off in config.toml, app.py turns it on for st.navigation's menu."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showSidebarNavigation"] is False
    import streamlit as st

    at = open_page("pages/home.py")
    assert st.get_option("client.showSidebarNavigation") is True
    assert at.session_state is not None


def _nav_texts_seen(url: str, path: str = "") -> tuple[list[str], list[str]]:
    """Every sidebar page-link text drawn from the first paint of ``url/path`` on (a
    MutationObserver installed before the page loads), and the texts drawn at the end."""
    from playwright.sync_api import sync_playwright

    record = r"""
        window.__navSeen = [];
        new MutationObserver(() => {
            for (const a of document.querySelectorAll("[data-testid='stSidebarNav'] a")) {
                const t = a.innerText.trim().split("\n").pop().trim();  // after its icon's name
                if (t && !window.__navSeen.includes(t)) window.__navSeen.push(t);
            }
        }).observe(document, {subtree: true, childList: true, characterData: true});
    """
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(record)
            page.goto(f"{url}/{path}")
            page.wait_for_function("window.__navSeen.includes('Home')", timeout=120_000)
            settle(page, timeout=120_000)
            seen = page.evaluate("window.__navSeen")
            final = page.eval_on_selector_all(
                "[data-testid='stSidebarNav'] a",
                "els => els.map(e => e.innerText.trim().split('\\n').pop().trim())",
            )
        finally:
            browser.close()
    return seen, final


def _browser(test):
    """``test`` with the browser tests' marks (slow, browser, skipped without chromium)."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@_browser
def test_a_fresh_server_never_draws_the_folder_menu(tmp_path):
    env = {**os.environ, "MOVIERATE_HOME": str(tmp_path / "home")}
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server, url = start_streamlit(env, log=log)
    try:
        wait_healthy(url, server, timeout=120)
        seen, final = _nav_texts_seen(url)
    finally:
        stop_server(server)
        log.close()
    assert "Home" in final and "Train" in final, final
    folder_names = {"app", "home", "compare", "train", "recommend"}
    assert not folder_names & set(seen), json.dumps(seen)
