"""Bad-input review round 20: every map draws every movie visibly (an imported embedding has
no rating counts to size its points by), and a write that fails on a full disk names its
folder and the MOVIERATE_HOME remedy, leaving no temporary folder behind."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate import atomic, cli, config, store
from movierate.cli.output import os_error_text
from movierate.errors import StoreError
from movierate.explore.projection import map_frame
from movierate.ui import explore_figures, figures

FULL = (errno.ENOSPC, "No space left on device")

# --- F1: every map draws every movie, at a size that means something or one size ------------


def _map(n_ratings: list[int], genres: list | None = None) -> pd.DataFrame:
    n = len(n_ratings)
    movies = movies_table(n, n_ratings=n_ratings, genres=genres or [["Drama"]] * n)
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    return map_frame(x[:, :2], np.arange(n), x, movies)


def _point_sizes(fig) -> dict[int, float]:
    """movie_idx -> marker size of every movie point of a map (rings and contours left out)."""
    sizes: dict[int, float] = {}
    for trace in fig.data:
        if trace.type in ("scatter", "scattergl") and trace.customdata is not None:
            marker = np.broadcast_to(np.asarray(trace.marker.size, float), (len(trace.x),))
            for row, size in zip(np.asarray(trace.customdata)[:, 0], marker, strict=True):
                sizes[int(row)] = float(size)
    return sizes


MAP_COLOURINGS = [*figures.MAP_COLOURS, f"{figures.ONE_GENRE}Drama"]


@pytest.mark.parametrize("colour", MAP_COLOURINGS)
def test_a_map_without_rating_counts_draws_every_point_at_one_visible_size(colour):
    """An imported embedding: every n_ratings is 0, and every point was drawn 0 px wide."""
    frame = _map([0] * 20)
    sizes = _point_sizes(figures.tsne_scatter(frame, colour))
    assert sorted(sizes) == list(range(20))
    assert len(set(sizes.values())) == 1 and min(sizes.values()) >= 3


@pytest.mark.parametrize("colour", MAP_COLOURINGS)
def test_a_movie_without_ratings_is_drawn_on_a_trained_models_map(colour):
    counts = [0, 0, 1, 4, 9, 100, 400, 0, 25, 16]
    genres = [["Drama"] if i % 2 else ["Comedy", "Horror"] for i in range(len(counts))]
    sizes = _point_sizes(figures.tsne_scatter(_map(counts, genres), colour))
    assert sorted(sizes) == list(range(len(counts)))
    assert min(sizes.values()) >= 3 and max(sizes.values()) <= 14
    assert sizes[6] > sizes[5] > sizes[3] > sizes[0] == sizes[1]  # still grows with ratings


def test_the_other_scatters_draw_movies_without_ratings():
    """The custom-axes and two-model figures size by ratings too (3-12 and 3-8 px)."""
    n = 8
    movies = movies_table(n, n_ratings=[0] * n)
    axes = movies.assign(x=np.arange(n, dtype=float), y=1.0, group=[""] * 4 + ["A"] * 4)
    rest = explore_figures.axes_figure(axes, "x", "y").data[0]
    assert len(rest.x) == 4 and min(np.atleast_1d(rest.marker.size)) >= 3
    pairs = movies.assign(x_a=0.0, y_a=1.0, x_b=2.0, y_b=3.0)
    empty = pd.DataFrame(columns=["movie_idx", "title", "x_a", "y_a", "x_b", "y_b"])
    for trace in explore_figures.aligned_figure(pairs, empty, ("A", "B")).data:
        assert min(np.atleast_1d(trace.marker.size)) >= 3


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([], []),
        ([0, 0], [8.5, 8.5]),
        ([np.nan, 4], [3.0, 14.0]),
        ([0, 1, 4], [3.0, 8.5, 14.0]),
    ],
)
def test_point_sizes_have_a_floor_and_one_size_without_counts(counts, expected):
    np.testing.assert_allclose(figures.point_sizes(counts), expected)


# --- F6: a write on a full disk names where, and a failed start leaves no folder -------------


def _no_temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_open_atomic_names_the_file_a_write_failed_on(tmp_path):
    """A write, flush or close on a full disk raises an OSError without a file name."""
    target = tmp_path / "meta.json"
    with pytest.raises(OSError) as caught, atomic.open_atomic(target):
        raise OSError(*FULL)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert _no_temp_files(tmp_path) == [] and not target.exists()


@pytest.mark.parametrize("write", ["write_bytes", "write_texts", "fsync_tree"])
def test_every_atomic_write_names_its_file_when_the_disk_is_full(tmp_path, monkeypatch, write):
    def full(*args, **kwargs):
        raise OSError(*FULL)

    if write == "write_texts":
        monkeypatch.setattr(Path, "write_bytes", full)
    else:
        monkeypatch.setattr(atomic.os, "fsync", full)
    (tmp_path / "kept").write_text("old")
    with pytest.raises(OSError) as caught:
        if write == "write_bytes":
            atomic.write_bytes(tmp_path / "kept", b"new", fsync=True)
        elif write == "write_texts":
            atomic.write_texts(tmp_path, {"kept": "new"})
        else:
            atomic.fsync_tree(tmp_path)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename is not None
    assert Path(caught.value.filename).parent == tmp_path  # "kept" (or the folder's own)
    assert (tmp_path / "kept").read_text() == "old" and _no_temp_files(tmp_path) == []


def _record_cannot_be_written(monkeypatch) -> None:
    def full(path, value, **kwargs):
        raise OSError(*FULL)  # as a full disk's write: no file name

    monkeypatch.setattr(atomic, "write_json", full)


def test_a_staging_folder_that_cannot_start_is_removed_and_names_its_parent(tmp_path, monkeypatch):
    _record_cannot_be_written(monkeypatch)
    with pytest.raises(OSError) as caught, atomic.staging_folder(tmp_path, ".tmp-"):
        pass
    assert caught.value.filename == str(tmp_path) and list(tmp_path.iterdir()) == []


@pytest.fixture
def fresh_temp_dir(monkeypatch):
    """This process without its per-run temp folder (as a new ``train`` starts)."""
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)  # restored after the test
    monkeypatch.setattr(atomic, "_process_temp", None)


def test_a_run_whose_temp_folder_cannot_start_says_where_and_what_to_do(
    monkeypatch, fresh_temp_dir
):
    _record_cannot_be_written(monkeypatch)
    with pytest.raises(StoreError) as caught:
        store.use_process_temp_dir()
    said = str(caught.value)
    assert f"in {store.temp_root()}: No space left on device. Nothing was started." in said
    assert "or set MOVIERATE_HOME to a folder on another disk" in said
    assert list(store.temp_root().iterdir()) == []  # no empty .proc-* folder left behind


def test_train_on_a_full_home_names_the_folder_and_the_remedy(
    tmp_path, monkeypatch, capsys, fresh_temp_dir
):
    """The bare "error: No space left on device (free some disk space and try again)"."""
    from movierate.data import synthetic_dataset, write_movielens_csv

    folder = write_movielens_csv(
        synthetic_dataset(n_ratings=600, n_users=20, n_movies=30, seed=3), tmp_path / "small"
    )
    _record_cannot_be_written(monkeypatch)
    argv = ["train", str(folder), "--name", "k2", "--dim", "4", "--epochs", "1", "--quiet"]
    assert cli.main(argv) != 0
    err = capsys.readouterr().err
    assert str(store.temp_root()) in err and "MOVIERATE_HOME" in err, err
    assert "Traceback" not in err
    assert list(store.temp_root().iterdir()) == []


def test_a_full_disk_in_movierates_folders_offers_another_home(tmp_path):
    inside = OSError(*FULL, str(config.home_dir() / "tmp"))
    assert "or set MOVIERATE_HOME to a folder on another disk" in os_error_text(inside)
    outside = OSError(*FULL, str(tmp_path / "export.tsv"))  # a file the user named
    said = os_error_text(outside)
    assert said.endswith("(the disk is full: free some space and try again)")
    quota = OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(config.models_dir()))
    assert "the disk quota is used up: free some space, or set" in os_error_text(quota)


def test_a_model_save_on_a_full_disk_names_the_models_folder(monkeypatch):
    exc = OSError(*FULL)
    with pytest.raises(StoreError) as caught, store._saving("m", config.models_dir(), False):
        raise exc
    said = str(caught.value)
    assert said.startswith(f"Could not save 'm' in {config.models_dir()}: No space left")
    assert "or set MOVIERATE_HOME (the models go in its models folder) to a folder" in said
