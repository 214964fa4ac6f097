"""Bad-input round 43: MovieLens archives as users really have them (an incomplete official set
completed later, Windows and macOS zips, a password, a 7z or tar named after a GroupLens set)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_data_acquire import zip_folder

from movierate import config
from movierate.cli import main
from movierate.data import (
    from_csv,
    import_zip,
    load_dataset,
    official_split_names,
    store_zip,
)
from movierate.errors import DataError

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: ml-100k's files read here: its ratings, titles and the first official split.
FILES_100K = ("u.data", "u.item", "u.genre", "u.user", "u1.base", "u1.test")


def zip_100k(movielens_dir: Path, skip: str = "", sep: str = "/") -> bytes:
    """An official ml-100k zip (its folder, ``sep`` between folder and file) without ``skip``."""
    src = movielens_dir / "ml-100k"
    return zip_folder({f"ml-100k{sep}{n}": (src / n).read_bytes() for n in FILES_100K if n != skip})


@pytest.fixture
def no_copies(monkeypatch, tmp_path) -> Path:
    """No shared copies: the user's own data folder is all there is."""
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    return tmp_path


def test_the_complete_zip_completes_an_official_copy_imported_without_its_titles(
    movielens_dir, no_copies
):
    """F1: ml-100k imported without u.item kept 'movie <id>' titles after the GroupLens zip
    was imported, which was thrown away unsaid."""
    assert store_zip(zip_100k(movielens_dir, skip="u.item"), "ml-100k.zip") == ("ml-100k", True)
    assert load_dataset("ml-100k").movies["title"].iloc[0].startswith("movie ")
    assert store_zip(zip_100k(movielens_dir), "ml-100k.zip") == ("ml-100k", True)
    folder = config.data_dir() / "ml-100k"
    assert (folder / "u.item").read_bytes() == (movielens_dir / "ml-100k" / "u.item").read_bytes()
    ds = load_dataset("ml-100k")
    assert ds.movies.set_index("movie_id").loc[1, "title"] == "Toy Story"
    assert not any("u.item is missing" in w for w in ds.warnings)
    # nothing more in either zip: nothing is written, and the caller is told so
    for skip in ("", "u.item"):
        assert store_zip(zip_100k(movielens_dir, skip=skip), "ml-100k.zip") == ("ml-100k", False)
    assert sorted(p.name for p in config.data_dir().iterdir() if not p.name.startswith(".")) == [
        "ml-100k"
    ]


def test_an_incomplete_copy_outside_the_home_is_not_changed_and_the_note_says_why(
    movielens_dir, monkeypatch, tmp_path
):
    """F1: a read-only copy (MOVIERATE_DATA_DIR) cannot be completed from here: the zip is
    imported under its own name, and a note says why."""
    shared = tmp_path / "shared" / "ml-100k"
    shared.mkdir(parents=True)
    for name in ("u.data", "u.genre", "u.user"):
        (shared / name).write_bytes((movielens_dir / "ml-100k" / name).read_bytes())
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(shared.parent))
    name = import_zip(zip_100k(movielens_dir), "ml-100k.zip")
    assert name == "ml-100k-upload" and not (shared / "u.item").exists()
    note = next(w for w in load_dataset(name).warnings if "lacks" in w)
    assert f"The copy of ml-100k in {shared} lacks u.item, u1.base, u1.test" in note
    assert "imported as 'ml-100k-upload'" in note


def test_home_says_nothing_was_stored_when_the_zip_was_here_already(movielens_dir, no_copies):
    """F1: Home said "Imported ml-100k" for a zip that was thrown away."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    said = {
        "ml-100k.zip": "Imported **ml-100k**: 100,000 ratings",
        "ml-100k (1).zip": "ml-100k (1).zip holds **ml-100k**, which is already on this "
        "machine, whole: nothing new was stored.",
    }
    for filename, expected in said.items():
        uploader = next(u for u in at.file_uploader if "GroupLens zip" in u.label)
        uploader.upload(filename, zip_100k(movielens_dir), "application/zip").run()
        next(b for b in at.button if b.label == "Import").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        shown = " ".join(s.value for s in at.success)
        assert expected in shown and ("Imported" in shown) == (filename == "ml-100k.zip")


def test_a_zip_made_on_windows_is_read_with_backslash_as_the_separator(movielens_dir, no_copies):
    """F2: 'ml-100k\\u.data' was "no u.data" (found: ml-100k\\u.data ...)."""
    archive = zip_100k(movielens_dir, sep="\\")
    assert import_zip(archive, "win-ml-100k.zip") == "ml-100k"
    folder = config.data_dir() / "ml-100k"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES_100K)
    # the official split of a Windows-made zip lying in the data folder is seen too
    (config.data_dir() / "ml-100k.zip").write_bytes(archive)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    assert official_split_names("ml-100k") == ["u1"]


def test_a_backslash_folder_entry_and_nested_folders_are_paths():
    """F2: a '\\' folder entry is a folder, and 'a\\b\\ratings.csv' is in folder 'a/b'."""
    ratings = b"userId,movieId,rating,timestamp\n1,1,4,1\n2,1,3,2\n"
    data = zip_folder({"top\\my set\\": b"", "top\\my set\\ratings.csv": ratings})
    name = import_zip(data, "mine.zip")
    assert name == "my-set" and len(load_dataset(name)) == 2


def _encrypted_zip() -> bytes:
    """A zip whose member is flagged as encrypted, as ``zip -P`` writes it (zipfile writes no
    encryption: the flag is set in both headers afterwards)."""
    data = bytearray(zip_folder({"ml-100k/u.data": b"1\t1\t4\t1\n"}))
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.find(signature) + at] |= 0x1
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.infolist()[0].flag_bits & 0x1
    return bytes(data)


def test_a_password_protected_zip_is_named_so_in_a_plain_sentence(tmp_path, capsys):
    """F3: the message held Python's '<ZipInfo filename=...>' and told the CLI to "upload"."""
    with pytest.raises(DataError) as err:
        import_zip(_encrypted_zip(), "ml-100k-pw.zip")
    message = str(err.value)
    assert message.startswith("ml-100k-pw.zip is password-protected ('ml-100k/u.data' encrypted)")
    assert "unzip it with its password, then zip the folder again without one" in message
    assert "ZipInfo" not in message and "upload" not in message.lower()
    # the CLI asks for no upload: a password, a cut-off zip, no ratings file
    zips = {
        "pw.zip": _encrypted_zip(),
        "cut.zip": zip_folder({"a/ratings.csv": b"userId,movieId,rating\n1,1,4\n" * 50})[:-30],
        "none.zip": zip_folder({"a/notes.txt": b"hello"}),
    }
    for name, data in zips.items():
        (tmp_path / name).write_bytes(data)
        assert main(["datasets", str(tmp_path / name)]) != 0
        said = capsys.readouterr().err
        # (Home's upload may be named as one of the ways to import, never asked for)
        assert f"{name} " in said and "upload" not in said.replace("Home's upload", ""), said


def _tar_gz(tmp_path: Path) -> Path:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_bytes(b"1\t1\t4\t1\n")
    path = tmp_path / "ml-100k.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(folder, arcname="ml-100k")
    return path


def test_an_archive_named_after_a_grouplens_set_is_named_as_an_archive_first(tmp_path, capsys):
    """F4: a '.7z' was refused for its name 'ml-100k' first, and `datasets ml-100k.tar.gz`
    said "import it under a name", which then said it was a tar archive."""
    seven = b"7z\xbc\xaf\x27\x1c" + bytes(range(256)) * 4
    with pytest.raises(DataError) as err:
        from_csv(seven, save_as="ml-100k")
    assert "is a 7-Zip archive, not delimited text: extract it (7z x" in str(err.value)
    assert "GroupLens" not in str(err.value) and str(err.value).count("that file") == 1
    tar = _tar_gz(tmp_path)
    assert main(["datasets", str(tar)]) != 0
    said = capsys.readouterr().err
    assert f"{tar} is a gzip-compressed tar archive (.tar.gz)" in said
    assert "--name" not in said


def test_a_zip_in_capitals_or_without_its_ending_is_read_as_a_zip(movielens_dir, tmp_path):
    """F4's class: `datasets ML-100K.ZIP` (or a download saved without '.zip') was "a file, not
    a dataset folder or a MovieLens .zip"."""
    ratings = (movielens_dir / "ml-latest-small" / "ratings.csv").read_bytes()[:2000]
    ratings = ratings[: ratings.rfind(b"\n") + 1]
    for name in ("MINE.ZIP", "mine-download"):
        (tmp_path / name).write_bytes(zip_folder({f"{name}-set/ratings.csv": ratings}))
        assert main(["datasets", str(tmp_path / name)]) == 0


def test_name_with_a_zip_says_to_leave_the_name_out(tmp_path, capsys):
    """Taste: `datasets ml-100k.zip --name zz` said "unzip it" though the zip imports as is."""
    path = tmp_path / "ml-100k.zip"
    path.write_bytes(zip_folder({"ml-100k/u.data": b"1\t1\t4\t1\n"}))
    assert main(["datasets", str(path), "--name", "zz"]) != 0
    said = capsys.readouterr().err
    assert "is a zip archive: --name is for your own ratings file" in said
    assert f"python -m movierate datasets {path}" in said


def test_apple_double_and_windows_thumbnail_files_are_not_extracted(no_copies):
    """F5: macOS' 'ml-latest-small/._ratings.csv' was kept beside the data."""
    ratings = b"userId,movieId,rating,timestamp\n1,1,4,1\n2,1,3,2\n"
    data = zip_folder(
        {
            "set/ratings.csv": ratings,
            "set/._ratings.csv": b"\x00\x05\x16\x07AppleDouble",
            "set/Thumbs.db": b"\x00",
            "__MACOSX/set/._ratings.csv": b"\x00",
        }
    )
    name = import_zip(data, "set.zip")
    assert sorted(p.name for p in (config.data_dir() / name).iterdir()) == ["ratings.csv"]


def test_the_layout_of_a_grouplens_set_with_other_data_says_why_its_name_changed(
    movielens_dir, no_copies
):
    """Taste: 'ml-1m (1).zip' with ml-1m's layout but not its data became 'ml-1m-1' unsaid."""
    data = zip_folder({"ml-1m/ratings.dat": b"1::1::5::978300760\n2::1::3::978300761\n"})
    name = import_zip(data, "ml-1m (1).zip")
    assert name == "ml-1m-1"
    note = next(w for w in load_dataset(name).warnings if "layout" in w)
    assert note == (
        "ml-1m (1).zip holds the layout of ml-1m but not its official data (2 ratings, not "
        "1,000,209), so it was imported as 'ml-1m-1': GroupLens names are kept for their "
        "official sets."
    )
