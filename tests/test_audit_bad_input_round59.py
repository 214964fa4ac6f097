"""Bad-input round 59 (outside en_US and UTC): decimal commas in the dashboard's number boxes
(H1), the lost-run notice's time zone (M1), UTF-8 names read through an ASCII locale (M2), a
by-date split's cut date (L1) and Home's suggested dataset name (L2)."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest
from test_app_home import run_home
from test_app_train import fake_jobs, open_train, submit  # noqa: F401  (fake_jobs: a fixture)

from movierate import schema, store
from movierate.errors import SpecError


@pytest.mark.parametrize(
    ("typed", "read"),
    [("0.5", 0.5), ("0,5", 0.5), ("1e-3", 0.001), (" 5 ", 5.0), ("0,001", 0.001), ("64.0", 64.0)],
)
def test_a_typed_number_reads_a_decimal_comma_as_a_decimal_point(typed, read):
    assert schema.read_number(typed, "L2") == read


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "L2 is empty"),
        ("1.000,5", "L2 = '1.000,5' cannot be read: it groups digits with both '.' and ','"),
        ("1,000.5", "L2 = '1,000.5' cannot be read: it groups digits with both '.' and ','"),
        ("1.000.000", "it has more than one separator"),
        ("1,000", "L2 = '1,000' is ambiguous: ',' may separate thousands. Write 1000 or 1"),
        ("1.000", "L2 = '1.000' is ambiguous: '.' may separate thousands. Write 1000 or 1"),
        ("abc", "L2 = 'abc' cannot be read: it is no number"),
    ],
)
def test_a_typed_number_that_may_group_thousands_is_refused_naming_box_and_text(typed, said):
    with pytest.raises(SpecError) as caught:
        schema.read_number(typed, "L2")
    assert said in str(caught.value)


def _spec(submitted):
    deadline = time.monotonic() + 10
    while not submitted and time.monotonic() < deadline:
        time.sleep(0.02)
    return submitted[-1]["spec"]


def test_a_decimal_comma_typed_in_train_s_boxes_trains_with_that_value(trained_home, fake_jobs):  # noqa: F811
    """H1: Chromium's number box read a typed "0,5" as 5 and "0,01" as 1, and Start trained
    with them: the boxes are text, read by the product."""
    registry, submitted, release = fake_jobs
    release.set()
    l2_label = schema.SPEC_SCHEMA["regularizers"].constraint.kinds["l2"][0]
    at = submit(
        open_train(),
        **{l2_label: "0,5", "Learning rate": "0,01", "Model name": "de-comma"},
    )
    assert not at.error, [e.value for e in at.error]
    spec = _spec(submitted)
    assert spec.regularizers["l2"] == 0.5 and spec.learning_rate == 0.01


def test_epochs_typed_with_a_thousands_separator_are_refused_with_a_message(
    trained_home,
    fake_jobs,  # noqa: F811
):
    """H1: "1.000" epochs trained 1 epoch: now Start refuses it, naming the box and the text."""
    registry, submitted, release = fake_jobs
    at = submit(open_train(), **{"Epochs": "1.000", "Model name": "thousand"})
    said = " ".join(e.value for e in at.error)
    assert "Not started: Epochs = '1.000' is ambiguous" in said and "Write 1000" in said
    assert submitted == []
    help_text = next(w for w in at.text_input if w.label == "Epochs").help
    assert "Allowed:" in help_text and schema.NUMBER_RULE in help_text


def _upload(at: AppTest, name: str) -> AppTest:
    csv = b"user,item,rating\n1,10,0.5\n1,11,3\n2,10,5\n2,12,2.5\n"
    at.file_uploader[0].upload(name, csv, "text/csv").run()
    return at


def test_home_reads_a_declared_scale_typed_with_decimal_commas():
    """H1 on Home: "0,5" as the lowest rating and step read 5 ("min must be below max")."""
    at = _upload(run_home(), "comma.csv")
    at.toggle(key="csv_declare_scale").set_value(True).run()
    at.text_input(key="csv_scale_min").set_value("0,5").run()
    at.text_input(key="csv_scale_max").set_value("5").run()
    at.text_input(key="csv_scale_step").set_value("0,5").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    from movierate.data import load_dataset

    scale = load_dataset("comma").rating_scale
    assert (scale.min, scale.max, scale.step) == (0.5, 5.0, 0.5)


def test_home_names_the_scale_box_that_is_no_number():
    at = _upload(run_home(), "grouped.csv")
    at.toggle(key="csv_declare_scale").set_value(True).run()
    at.text_input(key="csv_scale_max").set_value("1.000").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert any("Rating scale highest = '1.000' is ambiguous" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("file_name", "suggested"),
    [
        ("bewertungen_äöü.csv", "bewertungen_aou"),
        ("my ratings (2).csv", "my_ratings_2"),
        ("x..con.csv", "x_con"),
        ("con.csv", "con_data"),
    ],
)
def test_home_suggests_a_dataset_name_its_own_rule_accepts(file_name, suggested):
    """L2: 'bewertungen_äöü' was offered, and Import then refused it."""
    at = _upload(run_home(), file_name)
    assert at.text_input(key="csv_name").value == suggested
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.error and any("Imported" in s.value for s in at.success)


def test_a_lost_run_is_dated_in_utc_whatever_the_server_s_zone(monkeypatch):
    """M1: a server in UTC+14 said "submitted 2026-12-08 01:30" for 11:30 UTC, unlabelled."""
    from movierate.run_ledger import LostRun

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        said = LostRun("lost_run", "ml-latest-small", 1796643000, True).text()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "(submitted 2026-12-07 11:30 UTC)" in said


def test_a_utf8_path_read_through_an_ascii_locale_gets_the_locale_message(monkeypatch):
    """M2: under LC_ALL=C PYTHONUTF8=0 'rätings.csv' arrives as bytes (surrogates) and was
    called "bytes that are no UTF-8 text"; truly broken bytes still are."""
    from movierate.cli import output

    monkeypatch.setattr(output.sys, "getfilesystemencoding", lambda: "ascii")
    seen = "/data/r\udcc3\udca4tings.csv"  # 'ä' as an ASCII locale hands it over
    with pytest.raises(output.ArgumentError) as caught:
        output.check_path_argument(seen, "The file")
    said = str(caught.value)
    assert "is not plain ASCII (/data/rätings.csv)" in said and "LANG=C.UTF-8" in said
    assert "no UTF-8 text" not in said
    with pytest.raises(output.ArgumentError, match="holds bytes that are no UTF-8 text"):
        output.check_path_argument("/data/r\udcfftings.csv", "The file")


def test_a_utf8_name_read_through_an_ascii_locale_names_its_letters_not_bytes():
    """M2: 'Léon_千' under LC_ALL=C listed five bytes, each called no UTF-8 text."""
    from movierate.filenames import name_problem

    said = name_problem("L\udcc3\udca9on_\udce5\udc8d\udc83")
    assert "'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)" in said and "'千' (U+5343" in said
    assert "no UTF-8 text" not in said and "PYTHONUTF8=1" in said
    assert "a byte that is no UTF-8 text" in name_problem("x\udcff")


def test_a_by_date_split_records_and_says_its_cut_dates(capsys):
    """L1: a --split time model never named the date its test rows start from."""
    from movierate.data import make_split, synthetic_dataset

    ds = synthetic_dataset(600, 30, 20, seed=1)
    split = make_split(ds, method="time", seed=3)
    record = split.describe()
    stamps = ds.timestamps()
    assert record["test_from"] == stamps[split.test].min() > stamps[split.train].min()
    assert record["stop_from"] == stamps[split.stop].min()
    from datetime import datetime, timezone

    first = datetime.fromtimestamp(record["test_from"], timezone.utc)
    assert f"from {first:%Y-%m-%d %H:%M:%S} UTC" in store.split_text(record)
    assert store.cut_dates_text(record).startswith(f"test rows from {first:%Y-%m-%d %H:%M:%S} UTC")
    assert "test_from" not in make_split(ds, method="random", seed=3).describe()


def test_show_names_a_by_date_model_s_cut_dates(trained_home, capsys, monkeypatch):
    """L1 in `show`: the split line says the cut dates in UTC, not raw seconds."""
    from movierate.cli import main

    name = store.list_models()[0][0].name
    meta = store.read_meta(name)
    meta["split"].update(method="time", test_from=1498029450, stop_from=1459788600)
    monkeypatch.setattr(store, "read_meta", lambda _name: meta)
    assert main(["show", name]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("split"))
    assert "test rows from 2017-06-21 07:17:30 UTC" in line
    assert "early-stopping rows from 2016-04-04 16:50:00 UTC" in line
    assert "1498029450" not in line


def test_the_maps_decimal_boxes_name_text_that_is_no_allowed_number(trained_home):
    """H1 on Embeddings: Perplexity and Min. distance were the browser's number boxes, which
    drop a typed comma ("12,5" read 125); as text boxes they are read by schema.read_number
    (whose decimal comma the parser tests above cover) and a refusal names box and text."""
    from apptest_helpers import open_page

    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="t-SNE",
                   tsne_min="40")  # fmt: skip
    for typed in ("1.000", "500"):
        at.text_input(key="perplexity").set_value(typed)
        next(b for b in at.button if b.label == "Compute map").click().run()
        assert not at.exception
        assert any("Perplexity" in e.value and typed in e.value for e in at.error), at.error


def test_the_maps_neighbours_box_reads_typed_text_and_names_what_it_refuses(trained_home):
    """Recheck 10, M1: the map's Neighbours box was the browser's number box ("7,5" read 75)."""
    from apptest_helpers import open_page

    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   tsne_min="20", q="toy story 1995")  # fmt: skip
    at.text_input(key="map_k").set_value("7,5").run()
    assert not at.exception
    assert any("Neighbours = 7.5 is not a whole number" in e.value for e in at.error), [
        e.value for e in at.error
    ]
    assert any(c.value == "Listing 10 until then." for c in at.caption)
    at.text_input(key="map_k").set_value("12").run()
    assert not at.error
    listed = next(m.value for m in at.markdown if m.value.startswith("1. `"))
    assert len(listed.splitlines()) == 12
    assert any(b.label == "Isolate it and its 12 neighbours" for b in at.button)


def test_an_emptied_whole_number_box_suggests_a_whole_number(trained_home, fake_jobs):  # noqa: F811
    """An emptied Epochs box said "type a number, e.g. 0.5": a box now suggests its default."""
    registry, submitted, release = fake_jobs
    at = open_train()
    default = next(w for w in at.text_input if w.label == "Epochs").value
    at = submit(at, **{"Epochs": "", "Model name": "no-epochs"})
    said = " ".join(e.value for e in at.error)
    assert f"Epochs is empty: type a number, e.g. {default}." in said and "0.5" not in said
    assert submitted == []
    at = submit(open_train(), **{"Learning rate": "", "Model name": "no-rate"})  # recheck 11
    said = " ".join(e.value for e in at.error)
    assert "Learning rate is empty: type a number, e.g. 0.005." in said and "0.5." not in said
    assert submitted == []
