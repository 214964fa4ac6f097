"""Bad-input round 63: the wrong file in every file box (a saved model's .keras / .npz, a
workbook, an image, a PDF, JSON) is named as what it is, in words for that box."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from movierate import config
from movierate.cli import main
from movierate.data import from_csv
from movierate.errors import DataError
from movierate.explore import read_npy, read_projector_tsv, read_word2vec_file
from movierate.ui import your_ratings
from movierate.ui.your_ratings import read_saved_ratings

RATINGS = b"userId,movieId,rating\n1,1,4\n1,2,3\n2,1,5\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(40)
#: Bytes with NULs that no signature names: a binary of some other kind.
BINARY = bytes(range(256)) * 4


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, user_embedding=np.ones((3, 2)), movie_embedding=np.ones((4, 2)))
    return buffer.getvalue()


#: Zips that are no MovieLens download -> what they are said to be.
ZIPS = {
    "keras": (
        _zip({"metadata.json": b"{}", "config.json": b"{}", "model.weights.h5": b"x"}),
        "is a saved Keras model",
    ),
    "npz": (_npz(), "is a NumPy .npz archive of arrays (user_embedding, movie_embedding)"),
    "xlsx": (_zip({"[Content_Types].xml": b"", "xl/workbook.xml": b""}), "is an Excel workbook"),
}


@pytest.mark.parametrize("kind", ZIPS)
@pytest.mark.parametrize("suffix", [".csv", ".keras", ".npz"])
def test_a_zip_of_another_kind_is_named_not_sent_to_the_movielens_import(
    tmp_path, capsys, kind, suffix
):
    """F1: `datasets model.keras --name x` was "a zip archive" and told to import it as a
    MovieLens zip, which failed too; Home's upload (bytes) says the same."""
    data, named = ZIPS[kind]
    path = tmp_path / f"mine{suffix}"
    path.write_bytes(data)
    assert main(["datasets", str(path), "--name", "mine"]) != 0
    said = capsys.readouterr().err
    assert f"{path} {named}" in said and "not delimited text" in said
    assert "MovieLens" not in said and "python -m movierate datasets" not in said
    with pytest.raises(DataError, match=named.replace("(", r"\(").replace(")", r"\)")):
        from_csv(data, save_as="mine")
    assert not (config.data_dir() / "custom").exists() or not any(
        (config.data_dir() / "custom").iterdir()
    )


def test_a_zip_with_ratings_still_says_to_leave_the_name_out(tmp_path, capsys):
    """F1's boundary: a zip of a ratings file is no known kind, so its advice stays."""
    path = tmp_path / "set.zip"
    path.write_bytes(_zip({"set/ratings.csv": RATINGS}))
    assert main(["datasets", str(path), "--name", "mine"]) != 0
    assert "is a zip archive: --name is for your own ratings file" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ZIPS)
def test_a_zip_renamed_npy_is_named_not_a_bug(tmp_path, capsys, kind):
    """F2: numpy opened any zip as an .npz and the import ended in "unexpected AttributeError
    ... This is a bug"; an .npz is told how to get one matrix."""
    data, named = ZIPS[kind]
    path = tmp_path / "vectors.npy"
    path.write_bytes(data)
    with pytest.raises(DataError, match="not one .npy matrix") as refused:
        read_npy(path)
    said = str(refused.value)
    assert f"vectors.npy {named}" in said
    assert ("movie_vectors.npy" in said) == (kind == "npz")
    assert main(["import", str(path), "--name", "imp"]) != 0
    err = capsys.readouterr().err
    assert "not one .npy matrix" in err and "bug" not in err
    assert not (config.models_dir() / "imp").exists()


@pytest.mark.parametrize("data", [b"PK\x05\x06" + bytes(18), b"PK\x03\x04" + bytes(60)])
def test_an_empty_or_damaged_zip_renamed_npy_is_named(tmp_path, data):
    """F2's class: an empty zip opened as an empty .npz; a cut one raised BadZipFile."""
    path = tmp_path / "vectors.npy"
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"is a (damaged )?zip archive, not one .npy matrix"):
        read_npy(path)


#: Files that are no text table, sniffed by their content -> what they are said to be.
NOT_TEXT = {
    "png": (PNG, "is a PNG image"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "is a JPEG image"),
    "pdf": (b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n", "is a PDF document"),
    "json": (b'[{"userId": 1, "movieId": 1, "rating": 4}]', "is JSON"),
    "binary": (BINARY, "is not text: it holds NUL bytes"),
}


@pytest.mark.parametrize("kind", NOT_TEXT)
def test_the_import_sniffs_its_text_files_before_parsing(tmp_path, kind):
    """F3: a PNG was told to save itself as UTF-8, a PDF and JSON got parser messages; the
    vectors, word2vec, metadata and labels files are all sniffed."""
    data, named = NOT_TEXT[kind]
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(data)
    vectors = tmp_path / "vectors.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.4\n")
    good_npy = tmp_path / "good.npy"
    np.save(good_npy, np.ones((2, 2), dtype=np.float32))
    calls = {
        "vectors": lambda: read_projector_tsv(bad),
        "word2vec": lambda: read_word2vec_file(bad),
        "metadata": lambda: read_projector_tsv(vectors, bad),
        "labels": lambda: read_npy(good_npy, bad),
    }
    for what, call in calls.items():
        with pytest.raises(DataError) as refused:
            call()
        said = str(refused.value)
        assert f"bad.tsv {named}" in said, what
        assert "save it as UTF-8" not in said and "Line 1" not in said, what


def test_a_labels_header_repeating_many_names_is_cut(tmp_path):
    """F3: a header of 800 repeated names was listed in full (4,046 characters)."""
    labels = tmp_path / "labels.csv"
    header = ",".join(f"c{i % 400}" for i in range(800))
    labels.write_text(header + "\n" + ",".join("x" * 800) + "\n")
    good_npy = tmp_path / "good.npy"
    np.save(good_npy, np.ones((1, 2), dtype=np.float32))
    with pytest.raises(DataError, match="and 395 more more than once") as refused:
        read_npy(good_npy, labels)
    assert len(str(refused.value)) < 200


def test_an_export_into_a_folder_movierate_manages_is_refused(tmp_path, capsys):
    """F4: `export base --out $MOVIERATE_HOME/models/exp1` wrote there, and `list` then
    reported a broken model; the data and cache folders are movierate's too."""
    for root in (config.models_dir(), config.data_dir(), config.cache_dir()):
        out = root / "exp1"
        assert main(["export", "anything", "--out", str(out)]) != 0
        said = capsys.readouterr().err
        assert f"{out} is inside movierate's" in said and "nothing was written" in said
        assert not out.exists()


def test_an_export_to_a_device_or_below_a_file_says_so(tmp_path, capsys):
    """F4: '--out /dev/null' was "a file"; '--out FILE/sub' said only "File exists"."""
    assert main(["export", "anything", "--out", "/dev/null"]) != 0
    assert "/dev/null is not a folder (a device" in capsys.readouterr().err
    file = tmp_path / "empty.csv"
    file.write_text("")
    assert main(["export", "anything", "--out", str(file / "sub")]) != 0
    said = capsys.readouterr().err
    assert f"{file} is a file, so {file / 'sub'} cannot be made inside it" in said


@pytest.mark.parametrize("kind", ["png", "binary"])
def test_a_binary_items_file_is_told_to_pick_the_items_file(kind):
    """F5: the items file was told "Pick the ratings file itself"."""
    with pytest.raises(DataError) as refused:
        from_csv(RATINGS, NOT_TEXT[kind][0], save_as="mine")
    said = str(refused.value)
    assert "the file that holds the movies" in said and "ratings file" not in said


@pytest.mark.parametrize("kind", ["png", "binary"])
def test_rate_movies_names_a_binary_file_as_no_text(kind):
    """F5: Load saved ratings read a PNG's bytes as cp1252 text and told it how to separate
    its columns, in Python's words."""
    with pytest.raises(DataError, match="is a PNG image" if kind == "png" else "is not text"):
        read_saved_ratings(None, NOT_TEXT[kind][0])
    with pytest.raises(DataError) as refused:
        read_saved_ratings(None, NOT_TEXT[kind][0])
    assert "delimiter" not in str(refused.value) and "your ratings" in str(refused.value)


def test_rate_movies_says_no_python_argument_for_an_unseparated_file():
    """F5: "(in Python, delimiter=... names another)" means nothing on Rate movies."""
    with pytest.raises(DataError, match="cannot tell how the columns are separated") as refused:
        read_saved_ratings(None, b"Heat\nAlien\n")
    assert "delimiter=" not in str(refused.value)


def test_a_text_file_with_windows_punctuation_still_loads_as_cp1252():
    """F5's boundary: only NUL bytes stop the cp1252 reading, not a Windows file's quotes."""
    table, _, notes = your_ratings._saved_table(b"movie_id,your rating,t\n1,4,Director\x92s\n")
    assert table["t"].tolist() == ["Director’s"] and "cp1252" in notes[0]


def test_npz_names_its_arrays_for_any_box(tmp_path: Path):
    """F1's helper shared by F2: the embeddings.npz of a saved model given as the ratings."""
    path = tmp_path / "embeddings.npz"
    path.write_bytes(_npz())
    with pytest.raises(DataError, match="find the file that holds the ratings"):
        from_csv(path, save_as="mine")


def test_a_binary_coordinates_file_is_told_to_pick_the_coordinates():
    """F5's class: the Embeddings page's coordinates upload was told to pick the ratings file."""
    from movierate.explore.projection import _read_csv

    with pytest.raises(DataError, match="the file that holds the coordinates") as refused:
        _read_csv(BINARY)
    assert "ratings" not in str(refused.value)


def test_a_movies_file_given_as_the_ratings_is_told_to_pass_it_as_items(tmp_path, capsys):
    """F5 (taste): movies.csv as the ratings was told to map user and rating columns."""
    path = tmp_path / "movies.csv"
    path.write_text("movieId,title,genres\n1,Heat (1995),Action\n2,Up (2009),Animation\n")
    assert main(["datasets", str(path), "--name", "mine"]) != 0
    said = capsys.readouterr().err
    assert f"{path} looks like an items file" in said and "--items FILE" in said
    assert "missing column" not in said
