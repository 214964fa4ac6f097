"""Bad-input round 34 (hostile metadata columns of imported embeddings): +-1e308 emptied the
map (F1), one inf made a number column text (F2), a labels CSV kept a repeated header as
pandas' "tag.1" (F5), a column of all-distinct values claimed "18 most common" (F6), long
names flooded the messages, ``show`` named no column and "Box office" took the file's own
box_office name (F7). F3/F4 (exports) are in tests/test_export_roundtrip.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_audit_views_round18 import map_frame

from movierate import store
from movierate.cli import main
from movierate.errors import DataError
from movierate.explore.imported import (
    columns_text,
    extra_columns,
    identifier_like,
    is_numeric_column,
    movies_like,
    read_npy,
    read_projector_tsv,
)
from movierate.imported_models import read_embedding, save_imported
from movierate.ui import figures


def _frame(values: list, n: int = 300) -> pd.DataFrame:
    return map_frame(n, 3, v=[values[i % len(values)] for i in range(n)])


def _scale(fig):
    return next(t for t in fig.data if t.marker.colorscale)


@pytest.mark.parametrize(
    "values",
    [
        [1e308, -1e308, 0.5],  # the report's column: a range beyond float64
        [-1e300, -5.0, 0.0, 3.0, 7.0, 1e250],  # many orders of magnitude on both sides of 0
        [1e308, 1e308 * 0.9, -1e308],
    ],
)
def test_extreme_numbers_draw_every_point_on_a_finite_scale(values):
    frame = _frame(values)
    fig = figures.tsne_scatter(frame, f"{figures.COLUMN}v")
    scale = _scale(fig)
    colours = np.asarray(scale.marker.color, dtype=np.float64)
    assert len(scale.x) == len(frame)  # every point drawn
    assert np.isfinite(colours).all() and np.isfinite(np.ptp(colours))
    assert "log10" in scale.marker.colorbar.title.text
    assert "e+" in scale.customdata[0][1] and len(scale.customdata[0][1]) < 80  # a real value


def test_an_outlier_sits_at_the_end_of_a_percentile_scale_and_is_said():
    frame = _frame([float(i) for i in range(1, 300)] + [1e30])
    scale = _scale(figures.tsne_scatter(frame, f"{figures.COLUMN}v"))
    assert scale.marker.cmax < 1e3 and max(scale.marker.color) == scale.marker.cmax
    assert "beyond the 1st-99th" in scale.marker.colorbar.title.text
    assert "1e+30" in next(h for _, h in scale.customdata if "1e+30" in h)  # hover keeps it


def test_infinities_keep_a_number_column_numeric_grey_and_counted():
    labels = pd.DataFrame(
        {"title": list("abcdef"), "v": ["1.5", "inf", "-inf", "nan", "1e308", ""]}
    )
    movies = movies_like(labels)
    assert movies["v"].dtype == np.float64 and is_numeric_column(movies["v"])
    assert movies["v"].tolist()[1:3] == [np.inf, -np.inf]
    frame = _frame(["1.5", "inf", "-inf", "nan", "1e308", "2.25"])
    frame["v"] = movies_like(frame[["title", "v"]])["v"]
    fig = figures.tsne_scatter(frame, f"{figures.COLUMN}v")
    grey = next(t for t in fig.data if t.name.startswith("(blank) or infinite"))
    assert grey.name == "(blank) or infinite (150)" and len(_scale(fig).x) == 150


def test_a_repeated_header_is_refused_in_a_labels_csv_as_in_a_projector_tsv(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((3, 2), dtype=np.float32))
    (tmp_path / "d.csv").write_text("title,tag, tag\nA,a,b\nB,a,b\nC,a,b\n")
    (tmp_path / "v.tsv").write_text("1\t2\n" * 3)
    (tmp_path / "m.tsv").write_text("title\ttag\ttag\n" + "A\ta\tb\n" * 3)
    with pytest.raises(DataError) as from_csv:
        read_npy(tmp_path / "d.npy", tmp_path / "d.csv")
    with pytest.raises(DataError) as from_tsv:
        read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")
    assert str(from_csv.value) == str(from_tsv.value)
    assert "'tag' more than once" in str(from_csv.value) and "tag.1" not in str(from_csv.value)


def test_a_column_of_distinct_values_is_named_an_identifier_not_18_most_common():
    frame = _frame([f"category-{i}" for i in range(300)])
    assert identifier_like(frame["v"])
    fig = figures.tsne_scatter(frame, f"{figures.COLUMN}v")
    title = fig.layout.legend.title.text
    assert "every value appears once" in title and "not a grouping" in title
    assert "most common" not in title and len(fig.data) == 1 and len(fig.data[0].x) == 300
    movies = movies_like(frame[["title", "v"]].assign(cluster=[f"k{i % 4}" for i in range(300)]))
    assert "v holds a different value on (nearly) every movie" in columns_text(movies)
    assert not identifier_like(movies["cluster"])


def test_long_names_are_cut_and_a_plain_name_keeps_its_name():
    long = "L" * 500
    labels = pd.DataFrame(
        {"title": ["a", "b"], long: ["1", "2"], "Box office": ["5", "6"], "box_office": ["x", "y"]}
    )
    movies = movies_like(labels)
    said = columns_text(movies)
    assert long not in said and "L" * 39 + "…" in said and len(said) < 300
    assert movies["box_office"].tolist() == ["x", "y"]  # ?colour=box_office: the file's own
    assert movies["box_office_2"].tolist() == [5, 6] and "'Box office' as box_office_2" in said


def test_show_names_the_kept_and_dropped_label_columns(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    (tmp_path / "v.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_text("title\tcluster\tnotes\nA\tk1\t\nB\tk2\t\n")
    save_imported("own", read_embedding(tmp_path / "v.tsv", metadata=tmp_path / "m.tsv"), "v.tsv")
    assert main(["show", "own"]) == 0
    shown = capsys.readouterr().out
    assert "columns   Kept the label column cluster" in shown and "'notes' (empty)" in shown
    meta_path = store.model_path("own") / store.META_FILE  # an import saved without the note
    meta = json.loads(meta_path.read_text())
    del meta["imported"]["columns_note"]
    meta_path.write_text(json.dumps(meta))
    assert main(["show", "own"]) == 0
    assert "columns   kept the label columns cluster" in capsys.readouterr().out
    assert extra_columns(store.load_model("own").movies) == ["cluster"]
