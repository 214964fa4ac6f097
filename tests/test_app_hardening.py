"""AppTest of the dashboard against hostile-but-plausible states: text movie ids, broken model
folders, a model whose dataset is gone, an empty store, bad links (URL values), errors with
server details, dataset notices and store leftovers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from movierate.ui import shell

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = list(shell.PAGES)

RATINGS = """user,item,rating,timestamp
alice,matrix,5,1
alice,alien,4,2
alice,heat,2,3
bob,matrix,4,4
bob,heat,5,5
bob,up,3,6
carol,alien,5,7
carol,up,4,8
carol,matrix,4,9
dave,heat,3,10
dave,up,5,11
dave,alien,2,12
erin,matrix,1,13
erin,up,2,14
bob,matrix,3,15
"""
ITEMS = """item,title,genres
matrix,The Matrix (1999),Action|Sci-Fi
alien,Alien (1979),Horror|Sci-Fi
heat,Heat (1995),Action|Crime
up,Up (2009),Animation
"""


@pytest.fixture(scope="module")
def text_id_home(tmp_path_factory) -> Path:
    """A home with one tiny model trained on a CSV whose user and movie ids are words."""
    from movierate.data import from_csv
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    home = tmp_path_factory.mktemp("text-ids")
    (home / "ratings.csv").write_text(RATINGS)
    (home / "items.csv").write_text(ITEMS)
    old = os.environ.get("MOVIERATE_HOME")
    os.environ["MOVIERATE_HOME"] = str(home)
    try:
        ds = from_csv(home / "ratings.csv", home / "items.csv", save_as="words")
        train_and_save(ds, ModelSpec(family="mf_bias", dim=4, epochs=1), "words-mf")
    finally:
        if old is None:
            os.environ.pop("MOVIERATE_HOME", None)
        else:
            os.environ["MOVIERATE_HOME"] = old
    return home


def open_page(page: str, params: dict[str, str] | None = None, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page(shell.PAGES[page].script)
    at.run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    for e in at.error:
        assert "Something went wrong" not in e.value, e.value


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [e.value for e in at.error] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


# ---- 11: text ids on every page ---------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_text_ids_on_every_page(page, text_id_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(text_id_home))
    params = {"model": "words-mf", "models": "words-mf"}
    if page in ("neighbours", "embeddings"):
        params["q"] = "matrix"
    at = open_page(page, params)
    no_exception(at)


def test_neighbours_of_a_text_id_movie(text_id_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(text_id_home))
    at = open_page("neighbours", {"models": "words-mf", "q": "The Matrix", "min_ratings": "1"})
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.dataframe, "no neighbour table"


# ---- 13: the error boundary hides server details unless MOVIERATE_DEBUG=1 ---------------


def _break_model_listing(monkeypatch) -> None:
    from movierate.ui import state

    def boom():
        raise RuntimeError("boom in /srv/secret/place.py")

    monkeypatch.setattr(state, "list_models", boom)


def test_unexpected_error_hides_details_and_logs_them(monkeypatch, caplog):
    monkeypatch.delenv("MOVIERATE_DEBUG", raising=False)
    _break_model_listing(monkeypatch)
    with caplog.at_level("ERROR"):
        at = open_page("neighbours")
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "Something went wrong" in message and "reload" in message.lower()
    assert "MOVIERATE_DEBUG=1" in message
    assert "/srv/secret" not in texts(at), "no server paths without MOVIERATE_DEBUG=1"
    assert not at.expander, "details must not be shown without MOVIERATE_DEBUG=1"
    assert "Traceback" not in texts(at) and not at.code
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_unexpected_error_shows_details_in_debug_mode(monkeypatch):
    monkeypatch.setenv("MOVIERATE_DEBUG", "1")
    _break_model_listing(monkeypatch)
    at = open_page("neighbours")
    assert not at.exception
    assert at.expander and "Traceback" in at.code[0].value


# ---- 8: what a link asks for but the page cannot use is named, not silently dropped -------


def notices(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.parametrize(
    ("page", "params", "expected"),
    [
        (
            "neighbours",
            {"k": "0"},
            "Ignored ?k=0 from the link: k must be a whole number from 1 to 100",
        ),
        ("neighbours", {"k": "abc"}, "Ignored ?k=abc"),
        ("neighbours", {"min_ratings": "1000000"}, "Ignored ?min_ratings=1000000"),
        ("neighbours", {"metric": "manhattan"}, "metric must be one of cosine, euclidean"),
        ("neighbours", {"models": "../../etc/passwd"}, "Ignored ?models=../../etc/passwd"),
        ("neighbours", {"models": "no-such-model"}, "no saved model named 'no-such-model'"),
        ("recommend", {"user": "abc"}, "Ignored ?user=abc"),
        ("recommend", {"user": "99999999"}, "Ignored ?user=99999999"),
        ("embeddings", {"model": "../../etc/passwd"}, "Ignored ?model=../../etc/passwd"),
        ("embeddings", {"perplexity": "1e9"}, "Ignored ?perplexity=1e9"),
        ("compare", {"matrix": "nope"}, "Ignored ?matrix=nope"),
        ("compare", {"section": "Everything"}, "Ignored ?section=Everything"),
        ("home", {"utm_source": "mail"}, "Ignored ?utm_source=mail from the link: this page has"),
        ("train", {"model": "small-mf"}, "Ignored ?model=small-mf"),
    ],
)
def test_bad_link_values_are_named(page, params, expected, trained_home):
    at = open_page(page, params)
    no_exception(at)
    assert expected in notices(at), notices(at)


@pytest.mark.parametrize(
    ("page", "params", "kept"),
    [
        ("embeddings", {"model": "small-mf", "view": "Map", "tsne_min": "1e400"}, "tsne_min"),
        ("embeddings", {"model": "small-mf", "view": "Map", "iterations": "-inf"}, "iterations"),
        ("recommend", {"models": "small-mf", "user": "1e400"}, "user"),
    ],
)
def test_an_ignored_value_never_reaches_its_widget(page, params, kept, trained_home):
    """Streamlit seeds a URL-bound widget from the link the page was opened with, and its
    integer input crashed on an infinite number: the page reopens with the accepted values."""
    at = open_page(page, params)
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert f"Ignored ?{kept}=" in notices(at), notices(at)
    assert kept not in at.query_params
    for name, value in params.items():
        if name == kept:
            continue
        if name in at.query_params:
            assert at.query_params[name] == value, name
        else:  # a URL-bound widget at its default value drops out of the link
            assert at.session_state[name] in (value, [value]), name


def test_good_link_values_are_used_without_a_notice(trained_home):
    at = open_page(
        "neighbours", {"models": "small-mf", "k": "7", "min_ratings": "20", "q": "toy story"}
    )
    no_exception(at)
    assert "Ignored" not in notices(at)
    assert at.slider(key="n").value == 7  # an older link's ?k= (views round 21 named it n)
    assert "k" not in at.query_params
    both = open_page("neighbours", {"models": "small-mf", "k": "7", "n": "9", "q": "toy story"})
    assert both.slider(key="n").value == 9 and "k" not in both.query_params  # (recheck 2)


def test_no_form_submits_on_enter():
    """Views round 4: Enter in a Train-form number box started (and saved) a half-filled
    training under an automatic name: Streamlit forms submit on Enter unless told not to."""
    import ast

    scripts = [Path(APP).parent / entry.script for entry in shell.PAGES.values()]
    forms = 0
    for script in [*scripts, *Path(APP).parent.glob("movierate/ui/*.py")]:
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "form":
                forms += 1
                kw = {k.arg: k.value for k in node.keywords}
                assert "enter_to_submit" in kw, f"{script.name}: a form submits on Enter"
                assert ast.literal_eval(kw["enter_to_submit"]) is False, script.name
    assert forms >= 3  # the train, tune and map forms


def test_every_bound_widget_is_a_known_url_parameter():
    """A widget bound to the URL must be listed in state.URL_PARAMS (else links using it
    would be reported as ignored, and its values never checked)."""
    import ast

    from movierate.ui import state

    for key, entry in shell.PAGES.items():
        tree = ast.parse((Path(APP).parent / entry.script).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            bind = kw.get("bind")
            bound = getattr(node.func, "attr", "") == "bound_selectbox"  # widgets' binding
            if bound or (isinstance(bind, ast.Constant) and bind.value == "query-params"):
                name = kw["key"].value
                assert name in state.URL_PARAMS[key], f"{entry.script}: ?{name} not in URL_PARAMS"
                spec = state.URL_PARAMS[key][name]
                func = getattr(node.func, "attr", "")
                if func in ("slider", "number_input") and len(node.args) >= 3:
                    lo, hi = (ast.literal_eval(a) for a in node.args[1:3])
                    assert (spec.lo, spec.hi) == (lo, hi), f"{entry.script}: ?{name} range"
    # the model pickers (widgets.pick_models) bind ?model / ?models
    for key in ("compare", "neighbours", "recommend"):
        assert state.URL_PARAMS[key]["models"].kind == "models"
    assert state.URL_PARAMS["embeddings"]["model"].kind == "model"


@pytest.mark.parametrize("given", ["value", "label"])
def test_a_link_may_name_a_labelled_choice_by_value_or_label(trained_home, given):
    """The map's projection and the first-k basis keep their label in the URL; a link with the
    value ("pca", "index") must reach the widget, not be dropped without a notice."""
    from movierate import explore
    from movierate.ui import state

    assert state.METHOD_LABELS == explore.METHOD_LABELS
    pick = (lambda v, labels: v) if given == "value" else (lambda v, labels: labels[v])
    at = open_page(
        "embeddings",
        {
            "model": "small-mf",
            "view": "Map",
            "map_method": pick("pca", state.METHOD_LABELS),
            "colour": pick("year", state.COLOUR_LABELS),
        },
    )
    no_exception(at)
    assert "Ignored" not in notices(at)
    assert [b.value for b in at.get("button_group") if b.key == "map_method"] == ["pca"]
    at = open_page(
        "neighbours",
        {
            "models": "small-mf",
            "q": "toy story",
            "nb_k": "4",
            "nb_basis": pick("index", state.BASIS_LABELS),
        },
    )
    no_exception(at)
    assert "Ignored" not in notices(at)
    assert [b.value for b in at.get("button_group") if b.key == "nb_basis"] == ["index"]
    at = open_page("neighbours", {"models": "small-mf", "nb_basis": "sideways"})
    assert "nb_basis must be one of auto, index, pca" in notices(at)


# ---- 7: what loading changed in the data is shown on import and on the Train page ----------


def test_csv_import_on_home_shows_the_dataset_notices(monkeypatch):
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    monkeypatch.setenv("MOVIERATE_DOWNLOAD_URL", "http://127.0.0.1:9/nowhere")
    at = open_page("home")
    at.file_uploader[0].upload("dupes.csv", RATINGS.encode(), "text/csv").run()
    no_exception(at)
    [b for b in at.button if b.label == "Import"][0].click().run()
    no_exception(at)
    shown = texts(at)
    assert "Imported **dupes**" in shown
    assert "duplicate" in shown.lower(), shown


def test_train_page_shows_the_notices_of_the_chosen_dataset(monkeypatch, tmp_path):
    from movierate.data import from_csv

    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    (tmp_path / "r.csv").write_text(RATINGS)
    ds = from_csv(tmp_path / "r.csv", save_as="dupes")
    assert ds.notices()
    at = open_page("train")
    no_exception(at)
    assert ds.notices()[0] in texts(at), texts(at)


# ---- 14: Home lists what interrupted writes left behind ---------------------------------


def test_home_shows_leftovers(isolated_home):
    models = isolated_home / "models"
    leftover = models / ".tmp-something-123"
    leftover.mkdir(parents=True)
    (leftover / "embeddings.npz").write_bytes(b"x" * 5000)
    from movierate import store

    assert store.leftovers(clean=False).count, "store does not see this kind of leftover"
    at = open_page("home")
    no_exception(at)
    assert "leftover" in texts(at).lower(), texts(at)


# ---- hostile-but-plausible stores: no page raises, each says what is wrong ---------------


def _copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _damage(home: Path, how: str) -> None:
    models = home / "models"
    good = models / "words-mf"
    if how == "meta":
        bad = models / "bad-meta"
        shutil.copytree(good, bad)
        (bad / "meta.json").write_text("{ not json")
    elif how == "npz":
        bad = models / "bad-npz"
        shutil.copytree(good, bad)
        (bad / "embeddings.npz").write_bytes(b"PK\x03\x04 truncated")
    elif how == "no-user-embedding":
        import numpy as np

        bad = models / "no-users"
        shutil.copytree(good, bad)
        meta = json.loads((bad / "meta.json").read_text())
        meta["name"] = "no-users"
        (bad / "meta.json").write_text(json.dumps(meta))
        with np.load(bad / "embeddings.npz") as npz:
            arrays = {k: npz[k] for k in npz.files if k != "user_embedding"}
        np.savez(bad / "embeddings.npz", **arrays)
    elif how == "dataset-gone":  # no cache clearing: the dashboard sees the folder is gone
        shutil.rmtree(home / "data" / "custom" / "words")
        meta_path = models / "words-mf" / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta["dataset"].pop("source", None)  # the CSV it was read from is gone too
        meta_path.write_text(json.dumps(meta))
        for cache in (home / "cache").glob("**/words*"):
            shutil.rmtree(cache, ignore_errors=True)
    elif how == "empty":
        shutil.rmtree(models)
        models.mkdir()


HOSTILE = ["meta", "npz", "no-user-embedding", "dataset-gone", "empty"]


@pytest.mark.parametrize("how", HOSTILE)
@pytest.mark.parametrize("page", PAGES)
def test_hostile_store_on_every_page(page, how, text_id_home, tmp_path, monkeypatch):
    home = _copy_home(text_id_home, tmp_path / "home")
    _damage(home, how)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    models = {"meta": "bad-meta", "npz": "bad-npz", "no-user-embedding": "no-users"}
    name = models.get(how, "words-mf")
    params = {"model": name, "models": name} if page not in ("home", "train") else {}
    at = open_page(page, params)
    no_exception(at)
    shown = texts(at)
    if how in ("meta", "npz", "no-user-embedding") and page != "train":
        assert name in shown, f"{page}: the broken model {name} is not named:\n{shown}"
    if how in ("meta", "npz") and page not in ("home", "train"):
        # the link's model exists but cannot be loaded: said so, not "no such model"
        assert f"the saved model {name!r} cannot be used (" in notices(at), notices(at)
    if how == "empty" and page not in ("home", "train"):
        assert "No trained models yet" in shown
    if how == "dataset-gone" and page == "recommend":
        assert at.error and "words" in " ".join(e.value for e in at.error)


@pytest.mark.parametrize("debug", ["", "1"])
def test_failed_job_traceback_only_in_debug_mode(debug, monkeypatch, trained_home, caplog):
    import time

    from movierate.jobs import JobRegistry
    from movierate.spec import ModelSpec
    from movierate.ui import state

    def runner(dataset, spec, name, split_params, progress, cancel):
        raise RuntimeError("crash in /srv/secret/worker.py")

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    monkeypatch.setenv("MOVIERATE_DEBUG", debug)
    with caplog.at_level("ERROR"):
        registry.submit("ml-latest-small", ModelSpec(dim=4, epochs=1), "will-fail")
        for _ in range(200):
            if not registry.active_jobs():
                break
            time.sleep(0.02)
    assert any(r.exc_info for r in caplog.records), "the worker must log the traceback"
    at = open_page("train")
    no_exception(at)
    assert any("Training failed unexpectedly" in e.value for e in at.error)
    details = [c.value for c in at.code if "Traceback" in c.value]
    assert bool(details) == bool(debug)


# ---- fragments: an error inside a fragment is shown there, never as a stack trace ----------


def _raise_data_error(*args, **kwargs):
    from movierate.errors import DataError

    raise DataError("Only 0 row(s) pass this filter. Lower the min-ratings filter.")


def _raise_unexpected(*args, **kwargs):
    raise RuntimeError("a bug deep inside")


@pytest.mark.parametrize(
    ("section", "func"),
    [
        ("Embedding spaces", "model_covariance"),  # a fragment inside a fragment
        ("Spectra", "model_eigen_spectrum"),
        ("Movie by movie", "model_neighbour_sets"),
    ],
)
def test_compare_fragment_shows_an_expected_error_in_place(
    section, func, trained_home, monkeypatch
):
    """Streamlit catches an exception in a fragment itself and draws its traceback: the
    sections' expected errors must show as st.error with their own text."""
    from movierate import explore

    monkeypatch.delenv("MOVIERATE_DEBUG", raising=False)
    monkeypatch.setattr(explore, func, _raise_data_error)
    at = open_page("compare", {"models": ["small-mf", "small-deep"], "section": section})
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("Lower the min-ratings filter" in e for e in errors), errors
    assert not any("Something went wrong" in e for e in errors), errors
    assert not any("Fragment" in e for e in errors), errors


def test_compare_fragment_shows_an_unexpected_error_without_a_trace(trained_home, monkeypatch):
    from movierate import explore

    monkeypatch.delenv("MOVIERATE_DEBUG", raising=False)
    monkeypatch.setattr(explore, "model_eigen_spectrum", _raise_unexpected)
    at = open_page("compare", {"models": ["small-mf", "small-deep"], "section": "Spectra"})
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("Something went wrong on this page (RuntimeError" in e for e in errors), errors
    assert not any("Fragment" in e for e in errors), errors


def test_every_fragment_has_the_error_boundary():
    """Every fragment of the dashboard is a shell.fragment (st.fragment inside the boundary)."""
    root = Path(APP).parent
    for path in [*root.glob("pages/*.py"), *root.glob("movierate/ui/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not line.lstrip().startswith("@st.fragment"), (
                f"{path}:{number}: use shell.fragment"
            )
            assert "st.fragment(" not in line or path.name == "shell.py", f"{path}:{number}"


# ---- a link's model disappears while its page is open ------------------------------------


@pytest.mark.parametrize(
    ("page", "params", "notice"),
    [
        ("neighbours", {"models": ["race", "small-mf"], "q": "toy story"}, "?models=race"),
        ("embeddings", {"model": "race", "view": "Principal components"}, "?model=race"),
        ("compare", {"models": ["race", "small-mf"], "section": "Spectra"}, "?models=race"),
    ],
)
def test_a_model_deleted_while_its_page_is_open(
    page, params, notice, trained_home, tmp_path, monkeypatch
):
    """Deleted (or renamed) on Home in another tab: the next click reruns the page, whose
    widgets are bound to the URL by then, so the page cannot be reopened with other values."""
    home = _copy_home(trained_home, tmp_path / "home")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    shutil.copytree(home / "models" / "small-mf", home / "models" / "race")
    at = open_page(page, params)
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    shutil.rmtree(home / "models" / "race")
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    # this tab's own pick, not a bad link: the picker says so and what it shows instead
    # (bad-input round 25, F3: "Ignored ?model=race from the link" hid the switch)
    assert "The model 'race' this tab showed was renamed or deleted" in notices(at), notices(at)
    assert "this page now shows 'small-" in notices(at)
    assert f"Ignored {notice}" not in notices(at)
    at.run()  # and the page goes on
    no_exception(at)
    assert not at.error, [e.value for e in at.error]


# ---- sliders whose bounds depend on the model ---------------------------------------------


@pytest.mark.parametrize(
    "view", ["Covariance", "Principal components", "Norms & popularity", "Export"]
)
def test_embeddings_views_of_a_one_dimensional_model(view, trained_home):
    """A 1-D view (first k = 1): no slider with equal ends (Streamlit refuses them)."""
    at = open_page("embeddings", {"model": "small-mf", "view": view, "emb_k": "1"})
    no_exception(at)
    assert not at.error, [e.value for e in at.error]


def test_components_slider_follows_a_smaller_model(trained_home):
    at = open_page("embeddings", {"model": "small-mf", "view": "Principal components"})
    no_exception(at)
    at.slider(key="pca_components").set_value(8).run()
    at.slider(key="emb_k").set_value(4).run()  # now a 4-dimensional view
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.slider(key="pca_components").value == 4
    assert at.slider(key="pca_components").max == 4


def test_a_linked_count_above_the_model_s_range_is_said_and_clamped(trained_home):
    """Bad-input round 15: ?pca_components=10 on a 4-dimensional view fell back to 3 without a
    word (the slider dropped the link's value)."""
    at = open_page(
        "embeddings",
        {"model": "small-mf", "view": "Principal components", "emb_k": "4", "pca_components": "9"},
    )
    no_exception(at)
    assert at.slider(key="pca_components").value == 4
    assert any(
        "Components: 9 is outside this view's 1-4, so it is 4 here." in c.value for c in at.caption
    ), [c.value for c in at.caption]


def test_count_slider_with_one_choice_is_a_caption():
    from movierate.ui import widgets

    def page():
        from movierate.ui import widgets

        st_value = widgets.count_slider("Components", 1, 1, 3, key="c")
        import streamlit as st

        st.write(f"value={st_value}")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert not at.slider
    assert "value=1" in texts(at)
    assert widgets.count_slider.__doc__


# ---- a bad MOVIERATE_TRAINING_WORKERS: named on every page, never Streamlit's own error ---


@pytest.mark.parametrize("value", ["abc", "0"])
@pytest.mark.parametrize("page", ["home", "train"])
def test_bad_training_workers_setting_is_named(page, value, monkeypatch):
    from movierate.ui import state

    monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", value)
    state.job_registry.clear()  # the dashboard reads the setting when it starts
    try:
        at = open_page(page)
    finally:
        state.job_registry.clear()
    no_exception(at)
    errors = [str(e.value) for e in at.error]
    # once (round 8: twice on Train, sidebar and form), saying what to set it to
    assert sum("MOVIERATE_TRAINING_WORKERS" in e for e in errors) == 1, errors
    assert any("set it to 1" in e and "or unset it" in e for e in errors), errors


def test_wide_movie_tables_leave_room_for_genres():
    """A full-width table with many short columns splits what is left between title and genres
    (side by side at 1440 px, a 400 px title used to push the genres behind a scroll)."""
    from movierate.ui.widgets import LARGE_TEXT, MOVIE_COLUMN_CONFIG, TABLE_WIDTH, wide_text_widths

    assert wide_text_widths(["rank", "year", "title"]) == (LARGE_TEXT, None)
    assert wide_text_widths(["rank", "title", "year", "genres"]) == (LARGE_TEXT, LARGE_TEXT)
    favourites = ["rank", "title", "rating", "predicted", "year", "n_ratings", "mean_rating"]
    title, genres = wide_text_widths([*favourites, "genres"])
    others = sum(MOVIE_COLUMN_CONFIG[c]["width"] for c in favourites if c != "title")
    assert others + title + genres == TABLE_WIDTH
    assert title > genres >= 200


def test_a_link_asking_for_more_dimensions_than_the_model_has_says_so(trained_home):
    at = open_page("embeddings", {"model": "small-mf", "view": "Covariance", "emb_k": "1000"})
    no_exception(at)
    dim = int(at.slider(key="emb_k").max)
    assert at.slider(key="emb_k").value == dim < 1000
    captions = [c.value for c in at.sidebar.caption]
    assert any(f"First k = 1000 is outside 1-{dim}" in c for c in captions), captions


@pytest.mark.parametrize(("page", "key"), [("compare", "models"), ("embeddings", "model")])
def test_a_model_renamed_elsewhere_is_named_and_the_rest_kept(
    page, key, small_model_home, tmp_path, monkeypatch
):
    """Round 4 (D5): a single-model page switched models without a word, and Compare dropped
    its whole pick when one model of it was renamed in another window."""
    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    picked = ["small-deep", "small-mf"] if page == "compare" else "small-deep"
    at = open_page(page, {key: picked})
    no_exception(at)
    (home / "models" / "small-deep").rename(home / "models" / "renamed-deep")
    at.run()
    no_exception(at)
    said = notices(at)  # the picker's, never the link's (bad-input round 25, F3)
    assert "The model 'small-deep' this tab showed was renamed or deleted" in said, said
    assert "Ignored ?" not in said
    if page == "compare":
        assert at.multiselect(key="models").value == ["small-mf"]  # the rest stays picked


# ---- bad-input round 10: names that are no UTF-8, bidirectional controls --------------


@pytest.mark.parametrize("page", ["home", "train", "embeddings", "compare"])
def test_folders_whose_names_are_no_utf8_break_no_page(page, text_id_home, tmp_path, monkeypatch):
    """A model or dataset folder copied from a Latin-1 system (name bytes b'bad\\xff'): every
    page but Train was one UnicodeEncodeError box, Home included (which offers the fix)."""
    home = tmp_path / "home"
    shutil.copytree(text_id_home, home)
    models = os.fsencode(home / "models")
    shutil.copytree(os.path.join(models, b"words-mf"), os.path.join(models, b"bad\xffname"))
    words = next(p for p in (home / "data").rglob("words") if p.is_dir())
    shutil.copytree(os.fsencode(words), os.path.join(os.fsencode(words.parent), b"my\xffset"))
    shutil.copytree(words, words.parent / "rtl\u202eset")  # the recheck: reversed notices
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    at = open_page(page, {"model": "words-mf", "models": "words-mf"})
    no_exception(at)
    if page == "home":  # named, with a rename command that works when pasted
        assert "$'bad\\xffname'" in texts(at).replace("\\\\", "\\"), texts(at)
        shown = texts(at).replace("\\\\", "\\")
        assert "Left out: dataset folder(s) 'my\\xffset', 'rtl\\u202eset'" in shown, shown
        assert "\u202e" not in shown


def test_a_bidi_override_in_a_link_is_shown_escaped(text_id_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(text_id_home))
    at = open_page("compare", {"models": ["a\u202egnp.exe", "words-mf"]})
    no_exception(at)
    shown = texts(at)
    assert "\u202e" not in shown and "u202e" in shown, shown


@pytest.mark.parametrize("page", ["neighbours", "recommend", "compare"])
def test_a_one_model_link_opens_a_many_model_page_on_that_model(page, text_id_home, monkeypatch):
    """Views round 4b: carrying ?model=X from Embeddings to Neighbours gave "Ignored ?model=X"
    although the picker starts from it."""
    monkeypatch.setenv("MOVIERATE_HOME", str(text_id_home))
    at = open_page(page, {"model": "words-mf"})
    no_exception(at)
    assert "Ignored ?model" not in texts(at)
    assert at.multiselect(key="models").value == ["words-mf"]


def test_two_swapped_models_with_one_meta_time_are_not_mixed_up(
    text_id_home, tmp_path, monkeypatch
):
    """Bad-input round 11: restored with one timestamp (tar, zip, cp -a) and then swapped, two
    models kept showing each other's numbers: the cache key was the folder and meta's mtime."""
    from movierate.ui import state

    home = tmp_path / "home"
    shutil.copytree(text_id_home, home)
    models = home / "models"
    shutil.copytree(models / "words-mf", models / "other")
    meta = json.loads((models / "other" / "meta.json").read_text())
    meta["note"] = "a longer meta.json than the first model's"
    (models / "other" / "meta.json").write_text(json.dumps(meta))
    stamp = (1_700_000_000, 1_700_000_000)
    for name in ("words-mf", "other"):
        os.utime(models / name / "meta.json", stamp)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    before = state.model_key("words-mf")
    (models / "words-mf").rename(models / "tmp")
    (models / "other").rename(models / "words-mf")
    assert state.model_key("words-mf") != before
    # recheck 3: swapped as copies (cp -a: same times; recycled inodes, equal sizes)
    meta = json.loads((models / "tmp" / "meta.json").read_text())
    meta["created"], meta["note"] = "2026-01-01T00:00:00", "x" * len(meta.get("note", ""))
    (models / "tmp" / "meta.json").write_text(json.dumps(meta))
    os.utime(models / "tmp" / "meta.json", stamp)
    again = state.model_key("words-mf")
    shutil.rmtree(models / "words-mf")
    shutil.copytree(models / "tmp", models / "words-mf")  # copytree keeps the times
    assert state.model_key("words-mf") != again


def test_a_latin1_locale_with_a_non_ascii_home_is_said_on_every_page(tmp_path, monkeypatch):
    """Bad-input round 11: Home and Train opened on a FileNotFoundError box."""
    import sys

    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "iso8859-1")
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "homé"))
    for page in ("home", "train"):
        at = open_page(page)
        assert not at.exception, [e.message for e in at.exception]
        assert any("file-name encoding" in e.value for e in at.error), [e.value for e in at.error]


def test_a_folder_that_may_not_be_read_is_named_on_the_page_without_a_traceback(caplog):
    """Recheck B (s27): an unreadable models, home or data folder showed "Something went wrong
    on this page (PermissionError ...)" on every page, with tracebacks in the server log."""

    def page():
        from movierate.ui import shell

        with shell.error_boundary():
            raise PermissionError(13, "Permission denied", "/srv/home/data")

    at = AppTest.from_function(page).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("Permission denied: /srv/home/data.") and "chmod u+rwx" in error
    assert "Something went wrong" not in error
    assert not any(r.exc_info for r in caplog.records)


def test_the_direct_run_check_is_skipped_and_a_streamlit_without_it_left_alone(monkeypatch):
    """Streamlit's "run it with streamlit run" check walks inspect.stack() on the first page
    (~0.1 s of a page start, issue 15); the app sets its private flag, only where it exists."""
    from streamlit import delta_generator

    from movierate.ui import shell

    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    shell.skip_direct_run_check()
    assert delta_generator._use_warning_has_been_displayed is True
    monkeypatch.delattr(delta_generator, "_use_warning_has_been_displayed")
    shell.skip_direct_run_check()
    assert not hasattr(delta_generator, "_use_warning_has_been_displayed")
