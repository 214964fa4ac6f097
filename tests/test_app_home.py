"""AppTest of the Home page: first start without data, models and broken folders, quick start."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from movierate.defaults import default_spec_for
from movierate.jobs import JobRegistry
from movierate.spec import ModelSpec
from movierate.ui import state

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_home() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    )
    return "\n".join(str(p) for p in parts)


def test_first_start_without_data_or_models_explains_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    monkeypatch.setenv("MOVIERATE_DOWNLOAD_URL", "http://127.0.0.1:9/nowhere")
    at = run_home()
    assert not at.error
    assert "No rating data on this machine yet" in texts(at)
    assert "None yet" in texts(at)
    labels = [b.label for b in at.button]
    assert "Download" in labels and "Train a good default model" not in labels
    assert at.selectbox(key="download_choice").options[0] == "ml-latest-small"
    assert len([u for u in at.file_uploader if "GroupLens zip" in u.label]) == 1
    panels = [e.label for e in at.expander if "Import an embedding" in e.label]
    assert panels == ["Import an embedding made elsewhere"]  # one panel, not one in another


def test_a_failed_download_leaves_the_upload_in_place(monkeypatch):
    """Onboarding review: offline, Download's error replaced the rest of Home, so the upload
    (the way its own notice offers offline) was gone until a reload."""
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    monkeypatch.setenv("MOVIERATE_DOWNLOAD_URL", "http://127.0.0.1:9/nowhere")
    at = run_home()
    next(b for b in at.button if b.label == "Download").click().run()
    assert not at.exception
    (error,) = at.error
    assert "Could not download" in error.value
    assert "Or upload ml-latest-small.zip under 'Upload a file (works offline)'." in error.value
    assert len([u for u in at.file_uploader if "GroupLens zip" in u.label]) == 1
    assert [e.label for e in at.expander if "Import an embedding" in e.label]


def test_home_lists_datasets_models_and_broken_folders(trained_home, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "small-mf").symlink_to(trained_home / "models" / "small-mf")
    future = models / "from-the-future"
    future.mkdir()
    (future / "meta.json").write_text(json.dumps({"format_version": 99, "name": "x"}))
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(models))
    at = run_home()
    assert not at.error
    table = at.dataframe[0].value
    assert table["model"].tolist() == ["small-mf"]
    assert 0.5 < float(table["test RMSE"].iloc[0]) < 1.5
    assert any("from-the-future" in w.value for w in at.warning)
    # bad-input round 15: many broken folders, one long reason: one line, reasons below
    for i in range(7):
        (models / f"broken-{i}").mkdir()
        (models / f"broken-{i}" / "meta.json").write_text(json.dumps({"dim": "9" * 400}))
    at = run_home()
    (line,) = [w.value for w in at.warning if "model folder(s) cannot be used" in w.value]
    assert (
        line.startswith("8 model folder(s) cannot be used: **broken-0**") and "and 3 more" in line
    )
    (why,) = [e for e in at.expander if e.label == "Why each cannot be used"]
    assert why.markdown[0].value.count("\n- ") == 7  # each folder's reason, below
    from movierate.ui.widgets import _clipped

    assert _clipped("9" * 700, 600) == "9" * 600 + "… (100 more characters)"
    datasets = at.dataframe[1].value
    assert "ml-latest-small" in datasets["dataset"].tolist()
    here = dict(zip(datasets["dataset"], datasets["here"], strict=True))
    assert here["ml-latest-small"] and not here["ml-25m"]
    sizes = dict(zip(datasets["dataset"], datasets["ratings (approx.)"], strict=True))
    assert sizes["ml-latest-small"] == "100,836"
    assert all(isinstance(v, str) and v for v in sizes.values())  # never a bare "None"
    assert "Train a good default model" in [b.label for b in at.button]


def test_quick_start_queues_the_default_model_and_opens_train(monkeypatch):
    started = []

    def runner(dataset, spec, name, split_params, progress, cancel, **_):
        started.append((dataset, spec, name))
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = run_home()
    next(b for b in at.button if b.label == "Train a good default model").click().run()
    assert not at.exception
    registry.wait(registry.jobs()[0].id, 10)
    dataset, spec, name = started[0]
    assert dataset == "ml-latest-small"
    assert spec == default_spec_for("ml-latest-small") and spec.family == "mf_bias"
    assert spec != ModelSpec()  # the tuned entry, chosen on the default split's stop rows
    assert name.startswith(f"ml-latest-small-mf_bias-d{spec.dim}")
    assert "Start training" in [b.label for b in at.button]  # now on the Train page


def test_quick_start_trains_the_dataset_picked(monkeypatch):
    """Views round 4b: the quick start only ever trained ml-latest-small, so an ml-100k student
    could not get that set's tuned settings from the dashboard."""
    started = []

    def runner(dataset, spec, name, split_params, progress, cancel, **_):
        started.append((dataset, spec))
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = run_home()
    at.selectbox(key="quick_dataset").set_value("ml-100k").run()
    assert "on **ml-100k**" in " ".join(m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Train a good default model").click().run()
    registry.wait(registry.jobs()[0].id, 10)
    assert started[0] == ("ml-100k", default_spec_for("ml-100k"))


def test_quick_start_on_edited_data_keeps_tuned_settings_off_its_test_rows(monkeypatch):
    """A copy whose ratings differ from the ones the tuned entry was chosen on (here: the entry
    recorded for other data) trains with the untuned defaults, and the Train page says why."""
    from movierate import defaults

    started = []

    def runner(dataset, spec, name, split_params, progress, cancel, **_):
        started.append(spec)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    monkeypatch.setitem(defaults.DEFAULTS_SEEN, "ml-latest-small", "0123456789abcdef")
    at = run_home()
    next(b for b in at.button if b.label == "Train a good default model").click().run()
    assert not at.exception
    registry.wait(registry.jobs()[0].id, 10)
    assert started[0] == default_spec_for(None) != default_spec_for("ml-latest-small")
    assert any("untuned defaults" in i.value for i in at.info), [i.value for i in at.info]


def test_csv_upload_registers_a_dataset(tmp_path):
    csv = b"user,item,rating\n1,10,4\n1,11,3\n2,10,5\n2,12,2\n3,11,4\n3,12,1\n"
    at = run_home()
    at.file_uploader[0].upload("my ratings.csv", csv, "text/csv").run()
    at.text_input(key="csv_name").set_value("my-ratings").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Imported" in s.value for s in at.success)
    names = at.dataframe[-1].value["dataset"].tolist()
    assert "my-ratings" in names


def test_excel_unicode_text_uploads_as_a_txt_file(tmp_path):
    """README review (s26): the README says Excel's "Unicode text" (UTF-16, tabs, .txt) is read,
    and Home's uploader refused .txt files."""
    text = "user\titem\trating\r\n1\t10\t4\r\n1\t11\t3\r\n2\t10\t5\r\n2\t12\t2\r\n"
    at = run_home()
    uploader = at.file_uploader[0]
    assert not uploader.proto.type  # any file (round 23): movierate says what it cannot read
    uploader.upload("excel.txt", text.encode("utf-16"), "text/plain").run()
    at.text_input(key="csv_name").set_value("excel").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    assert len(load_dataset("excel")) == 4


def test_workbooks_and_json_reach_movierates_own_advice_and_one_user_is_singular(tmp_path):
    """Bad-input round 23, F7: the uploader refused .xlsx, .json and .gz with Streamlit's
    'application/... files are not allowed'; F3: 'by 1 users'."""
    at = run_home()
    assert not at.file_uploader[0].proto.type
    at.file_uploader[0].upload("ratings.xlsx", b"PK\x03\x04" + b"\x00" * 64, "application/x").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert any("spreadsheet workbook" in e.value and "CSV" in e.value for e in at.error)
    at = run_home()
    at.file_uploader[0].upload("mine.csv", b"user,item,rating\n1,1,0\n1,2,4\n1,3,5\n", "text/csv")
    at.run()
    at.selectbox(key="csv_zero_ratings").set_value("drop").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("2 ratings by 1 user on 2 movies" in s.value for s in at.success)


def test_an_upload_replaces_a_taken_name_only_when_asked_and_a_second_click_is_said(tmp_path):
    """Bad-input round 17: a taken name got "pass replace=True" (no such option on the page), a
    damaged copy could not be uploaded again under its name, and a second click on Import
    showed a red "already exists" under the button."""
    csv = b"user,item,rating\n1,10,4\n1,11,3\n2,10,5\n2,12,2\n3,11,4\n3,12,1\n"
    at = run_home()
    at.file_uploader[0].upload("mine.csv", csv, "text/csv").run()
    at.text_input(key="csv_name").set_value("  mine  ").run()  # spaces trimmed
    import_button = lambda: next(b for b in at.button if b.label == "Import")  # noqa: E731
    import_button().click().run()
    assert not at.error and any("Imported" in s.value for s in at.success)
    import_button().click().run()  # the same upload again
    assert not at.error and any("is already imported, as **mine**" in i.value for i in at.info)
    at.file_uploader[0].upload("mine2.csv", csv + b"4,10,2\n", "text/csv").run()
    at.text_input(key="csv_name").set_value("mine").run()
    import_button().click().run()
    assert any("tick 'Replace an imported dataset of this name'" in e.value for e in at.error)
    assert "replace=True" not in " ".join(e.value for e in at.error)
    at.checkbox(key="csv_replace").check().run()
    import_button().click().run()
    assert not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    assert len(load_dataset("mine")) == 7


def test_csv_upload_offers_the_encoding_and_scale_its_messages_name(tmp_path):
    """The messages say encoding= and rating_scale=: the upload form has both."""
    csv = "user,item,rating\n1,Amélie,8\n1,Heat,3\n2,Amélie,9\n2,Up,2\n".encode("latin-1")
    at = run_home()
    at.file_uploader[0].upload("scores.csv", csv, "text/csv").run()
    at.text_input(key="csv_name").set_value("scores").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert any("encoding='cp1252'" in e.value for e in at.error)  # UTF-8 by default
    at.selectbox(key="csv_encoding").set_value("cp1252").run()
    at.toggle(key="csv_declare_scale").set_value(True).run()
    at.text_input(key="csv_scale_min").set_value("1.0").run()
    at.text_input(key="csv_scale_max").set_value("10.0").run()
    at.text_input(key="csv_scale_step").set_value("1.0").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    ds = load_dataset("scores")
    assert (ds.rating_scale.min, ds.rating_scale.max) == (1.0, 10.0)  # declared, not 2-9
    assert "Amélie" in set(ds.movie_ids)


def test_csv_upload_maps_its_own_column_names(tmp_path):
    """A header the loader does not know (viewer, film_code, when) is mapped on the page, from
    the file's own header, as the error's columns= says; a column left unmapped is named."""
    csv = b"viewer,film_code,stars,when\n1,10,4,1000\n1,11,3,1001\n2,10,5,1002\n2,12,2,1003\n"
    at = run_home()
    at.file_uploader[0].upload("own.csv", csv, "text/csv").run()
    at.text_input(key="csv_name").set_value("own").run()
    assert at.selectbox(key="csv_column_user").options == [
        "(by its name)",
        "viewer",
        "film_code",
        "stars",
        "when",
    ]
    next(b for b in at.button if b.label == "Import").click().run()
    assert any("columns=" in e.value and "viewer" in e.value for e in at.error)
    at.selectbox(key="csv_column_user").set_value("viewer").run()
    at.selectbox(key="csv_column_item").set_value("film_code").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    unmapped = load_dataset("own")
    assert not unmapped.has_timestamps
    assert any("'when' not used" in w for w in unmapped.warnings)
    at.text_input(key="csv_name").set_value("own-timed").run()
    at.selectbox(key="csv_column_timestamp").set_value("when").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    timed = load_dataset("own-timed")
    assert timed.has_timestamps and sorted(timed.ratings["timestamp"]) == [1000, 1001, 1002, 1003]


def test_the_items_file_columns_are_picked_on_the_page_and_an_unused_one_named(tmp_path):
    """Views round 4: an items file 'restaurant,name,cuisine' could not be mapped on the page
    (the error named item_columns=, a Python argument), and 'cuisine' was dropped without a
    word, so every genre view stayed empty. Now the items file has column pickers, the error
    points at them, and an unused column is named with how to use it as the genres."""
    ratings = b"reviewer,restaurant,score\nu1,r1,8\nu1,r2,3\nu2,r1,9\nu2,r3,4\nu3,r2,7\n"
    items = b"restaurant,name,cuisine\nr1,Chez A,French\nr2,Taco B,Mexican\nr3,Pho C,Thai\n"
    at = run_home()
    at.file_uploader[0].upload("rest.csv", ratings, "text/csv").run()
    at.text_input(key="csv_name").set_value("rest").run()
    at.file_uploader(key="items_upload").upload("names.csv", items, "text/csv").run()
    at.selectbox(key="csv_column_user").set_value("reviewer").run()
    at.selectbox(key="csv_column_item").set_value("restaurant").run()
    next(b for b in at.button if b.label == "Import").click().run()
    errors = [e.value for e in at.error]
    assert any("item_columns=" in e and "pick the columns there" in e for e in errors), errors
    assert at.selectbox(key="csv_item_column_item").options[1:] == ["restaurant", "name", "cuisine"]
    at.selectbox(key="csv_item_column_item").set_value("restaurant").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    plain = load_dataset("rest")
    assert any("'cuisine' not used" in w and "map it as the genres" in w for w in plain.warnings)
    at.text_input(key="csv_name").set_value("rest-genres").run()
    at.selectbox(key="csv_item_column_genres").set_value("cuisine").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    genres = load_dataset("rest-genres").movies.set_index("movie_id")["genres"]
    assert list(genres["r1"]) == ["French"] and list(genres["r3"]) == ["Thai"]
