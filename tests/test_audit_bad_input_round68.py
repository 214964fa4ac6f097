"""Bad-input round 68: MovieLens archives as users have them. The official files zipped with no
top folder, the same zip uploaded twice, a zip without its '.zip' ending, a .tar.gz, a 7z named
.zip, a zip named after one set holding another, and a missing zip path."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from test_app_home import run_home

from movierate import config
from movierate.cli import main
from movierate.data import acquire, import_zip, load_dataset, store_zip
from movierate.data.textio import check_not_empty
from movierate.errors import DataError

SMALL = ("ratings.csv", "movies.csv")
TINY = b"userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,3.5,2\n2,1,5.0,3\n2,3,2.0,4\n"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def small_files(movielens_dir) -> dict[str, bytes]:
    return {n: (movielens_dir / "ml-latest-small" / n).read_bytes() for n in SMALL}


def stored_folders() -> list[str]:
    root = config.data_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


# --- F1: the official files are the official data whatever the zip's folder layout ----------


@pytest.mark.parametrize("folder", ["", "mine/", "Downloads/"])
def test_the_official_files_without_their_folder_are_recognised_as_the_copy_here(
    small_files, folder
):
    """F1: the five files zipped with no folder, as 'notop-ml-latest-small.zip', were stored
    again as 'notop-ml-latest-small' with an "inferred" scale; ml-latest-small is here."""
    data = zipped({folder + n: b for n, b in small_files.items()})
    assert store_zip(data, "notop-ml-latest-small.zip") == ("ml-latest-small", False)
    assert stored_folders() == []


def test_the_official_files_without_their_folder_are_stored_under_their_name(
    small_files, monkeypatch
):
    """F1, on a machine without the set: stored as ml-latest-small, its scale the official one
    (no "Rating scale inferred" note)."""
    monkeypatch.delenv("MOVIERATE_DATA_DIR")
    assert store_zip(zipped(small_files), "movielens (1).zip") == ("ml-latest-small", True)
    ds = load_dataset("ml-latest-small")
    assert len(ds) == 100_836 and ds.rating_scale.step == 0.5
    assert not any("inferred" in w for w in ds.warnings), ds.warnings
    assert stored_folders() == ["ml-latest-small"]


# --- F2: the same zip uploaded again reuses its copy, in any session --------------------------


def test_the_same_zip_imported_again_is_the_copy_it_made(tmp_path):
    """F2: the CLI reused the folder of a zip imported before (by its SHA-256); an upload's
    bytes and the file are the same zip."""
    data = zipped({"mine/ratings.csv": TINY})
    folder, name, how = acquire.import_zip_once(data, "ml-10m.zip")
    assert (name, how) == ("mine", "stored")
    assert acquire.import_zip_once(data, "renamed.zip") == (folder, "mine", "before")
    (tmp_path / "again.zip").write_bytes(data)
    assert acquire.import_zip_once(tmp_path / "again.zip", "again.zip") == (
        folder,
        "mine",
        "before",
    )
    assert stored_folders() == ["mine"]


def _upload_and_import(name: str, data: bytes):
    at = run_home()
    at.file_uploader[0].upload(name, data, "application/zip").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_home_says_a_zip_imported_in_another_session_is_already_imported():
    """F2: a second browser session uploading the same zip stored 'ml-10m-upload-2', a twin."""
    data = zipped({"ml-1m/ratings.dat": b"1::1::5::978300760\n1::2::3::978300761\n"})
    first = _upload_and_import("ml-10m.zip", data)
    assert any("Imported **ml-1m-upload**" in s.value for s in first.success)
    second = _upload_and_import("ml-10m.zip", data)  # a new session: a new AppTest
    said = " ".join(s.value for s in second.success)
    assert "is already imported as **ml-1m-upload**" in said and "nothing new" in said
    assert stored_folders() == ["ml-1m-upload"]


# --- F3: a zip whose name lacks '.zip' is imported as a zip -----------------------------------


@pytest.mark.parametrize("name", ["renamed-noext", "ml-latest-small.csv"])
def test_home_imports_a_zip_by_its_content_whatever_its_name(name):
    """F3: Home chose by the name: "is a zip archive ... unzip it, then pick that file"."""
    at = run_home()
    at.file_uploader[0].upload(name, zipped({"mine/ratings.csv": TINY}), "text/csv").run()
    assert not [t for t in at.text_input if t.key == "csv_name"]  # no CSV form for a zip
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Imported **mine**" in s.value for s in at.success)
    assert len(load_dataset("mine")) == 4


def test_which_uploads_are_dataset_zips():
    """F3: a zip by content; a workbook, saved model or .npz stays the CSV import's to name."""
    plain = zipped({"mine/ratings.csv": TINY})
    assert acquire.is_dataset_zip("download", plain) and acquire.is_dataset_zip("x.ZIP", b"no zip")
    model = zipped({"config.json": b"{}", "model.weights.h5": b""})
    assert not acquire.is_dataset_zip("model.keras", model)
    assert not acquire.is_dataset_zip("sheet.xlsx", plain) and not acquire.is_dataset_zip(
        "r.csv", TINY
    )
    stream = io.BytesIO(plain)
    stream.seek(5)
    assert acquire.is_dataset_zip("download", stream) and stream.tell() == 5  # left where it was


# --- F4: a .tar.gz of a dataset folder: zip the folder, not "extract the ratings file" ---------


def _tar(members: dict[str, bytes | None], gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(data)
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def test_a_tar_gz_of_a_dataset_folder_is_told_to_be_zipped_as_a_folder(tmp_path, capsys):
    """F4: "extract the ratings file from it" dropped movies.csv and the titles."""
    tar = _tar({"ml-latest-small": None, "ml-latest-small/ratings.csv": TINY})
    with pytest.raises(DataError) as err:
        check_not_empty(tar, "ml-latest-small.tar.gz")
    said = str(err.value)
    assert "extract it (tar -xzf FILE)" in said and "zip the folder ml-latest-small/" in said
    assert "extract the ratings file" not in said and "python -m movierate datasets" in said
    path = tmp_path / "ml-latest-small.tar.gz"
    path.write_bytes(tar)
    assert main(["datasets", str(path)]) == 1
    assert "zip the folder ml-latest-small/" in capsys.readouterr().err
    lone = _tar({"ratings.csv": TINY}, gz=False)  # one file: extracting it is the advice
    with pytest.raises(DataError, match=r"extract the ratings file from it \(tar -xf FILE\)"):
        check_not_empty(lone, "r.tar")


# --- F5: a 7-Zip or RAR archive named .zip is said to be one ----------------------------------


@pytest.mark.parametrize(
    ("head", "what", "command"),
    [
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7-Zip archive", "7z x FILE"),
        (b"Rar!\x1a\x07\x01\x00", "a RAR archive", "unrar x FILE"),
    ],
)
def test_another_archive_named_zip_is_named_by_its_signature(head, what, command):
    """F5: "not a zip archive, or it is truncated ... use the complete zip as downloaded"."""
    with pytest.raises(DataError) as err:
        store_zip(head + bytes(range(256)) * 8, "sevenz-ml-latest-small.zip")
    said = str(err.value)
    assert f"sevenz-ml-latest-small.zip is {what}, not a zip: extract it ({command})" in said
    assert "zip that folder" in said and "truncated" not in said and "grouplens" not in said
    assert stored_folders() == []


# --- F6: a zip named after one set holding another set's folder -------------------------------


def test_a_zip_named_after_another_set_is_named_from_the_folder_inside(monkeypatch):
    """F6: ml-10m.zip holding ml-1m/ was 'ml-10m-upload', its note saying the ml-1m layout."""
    monkeypatch.delenv("MOVIERATE_DATA_DIR")
    data = zipped({"ml-1m/ratings.dat": b"1::1::5::978300760\n2::1::3::978300761\n"})
    name = import_zip(data, "ml-10m.zip")
    assert name == "ml-1m-upload"
    assert any("holds the layout of ml-1m" in w for w in load_dataset(name).warnings)
    assert import_zip(data, "my-ratings.zip") == "my-ratings"  # a name of its own is kept
    ten = zipped({"ml-10M100K/ratings.dat": b"1::1::4.5::838985046\n"})
    assert import_zip(ten, "ml-10m-b.zip") == "ml-10m-b"  # the set it holds: its own name


# --- F7: a missing .zip path is said to be missing --------------------------------------------


def test_a_missing_zip_is_said_to_be_missing(tmp_path, monkeypatch, capsys):
    """F7: "Unknown dataset 'x.zip'" (relative) or "is not a folder or a .zip file"."""
    monkeypatch.chdir(tmp_path)
    for given in ("mac-ml-latest-small.zip", str(tmp_path / "does-not-exist.zip")):
        assert main(["datasets", given]) == 1
        err = capsys.readouterr().err
        assert f"There is no file or folder {given}" in err and "check the path" in err
        assert str(tmp_path.resolve() / Path(given).name) in err
        assert "Unknown dataset" not in err and "is not a folder or" not in err
    assert main(["datasets", "no-such-set"]) == 1  # a plain name is still a dataset name
    assert "Unknown dataset 'no-such-set'" in capsys.readouterr().err


def test_a_missing_folder_path_is_said_to_be_missing(tmp_path):
    """F7's class: a missing folder path was "not a folder or a .zip file" too."""
    with pytest.raises(DataError, match="There is no file or folder .*nowhere; check the path"):
        load_dataset(Path(tmp_path / "nowhere"))
