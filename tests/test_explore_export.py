"""movierate.explore.export: Embedding Projector TSV and word2vec text, parsed back."""

from __future__ import annotations

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import (
    movie_id_from_token,
    projector_text,
    read_word2vec,
    word2vec_text,
    write_projector,
    write_word2vec,
)
from movierate.explore.export import unescape_tsv

TITLES = ["Toy Story", "Tab\there", "New\nline", "Back\\slash", "Amélie", "  "]


def _case():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    movies = movies_table(
        6,
        titles=TITLES,
        years=[1995, None, 2001, 2002, 2001, 1990],
        genres=[["Animation", "Comedy"], [], ["Drama"], ["(no genres listed)"], ["Romance"], []],
        n_ratings=[215, 3, 40, 20, 120, 11],
        movie_ids=[1, 2, 3, 4, 5, 6],
    )
    return x, movies


def test_projector_files_parse_back(tmp_path):
    x, movies = _case()
    vectors_path, metadata_path = write_projector(tmp_path, x, movies)
    vectors = np.loadtxt(vectors_path, delimiter="\t", dtype=np.float32)
    np.testing.assert_allclose(vectors, x, rtol=1e-6)
    lines = metadata_path.read_text("utf-8").split("\n")
    # the explorer review (s28): no movie_id to join on and no mean rating to colour by
    assert lines[0] == "title\tyear\tgenres\tn_ratings\tmean_rating\tmovie_id"
    assert lines[-1] == "" and len(lines) == 1 + 6 + 1  # header, one line per vector, final \n
    rows = [line.split("\t") for line in lines[1:-1]]
    assert all(len(r) == 6 for r in rows)  # no tab or newline leaked out of a field
    assert [unescape_tsv(r[0]) for r in rows] == TITLES
    assert rows[0][1:] == ["1995", "Animation|Comedy", "215", "3.5", "1"]
    assert [r[5] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[1][1] == "" and rows[3][2] == ""  # unknown year; no genres
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_projector_metadata_reads_back_with_ids_and_mean_ratings(tmp_path):
    """movierate's own importer keeps the ids and the mean ratings of its export."""
    from movierate.explore.imported import read_projector_tsv

    x, movies = _case()
    movies["mean_rating"] = [4.25, 3.0, np.nan, 2.5, 3.75, 1.0]
    vectors_path, metadata_path = write_projector(tmp_path, x, movies)
    imported = read_projector_tsv(vectors_path, metadata_path)
    assert imported.movies["movie_id"].tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(imported.movies["mean_rating"], [4.25, 3.0, np.nan, 2.5, 3.75, 1.0])


def test_projector_min_ratings_keeps_rows_aligned():
    x, movies = _case()
    vectors, metadata = projector_text(x, movies, min_ratings=20)
    assert len(vectors.splitlines()) == len(metadata.splitlines()) - 1 == 4


def test_word2vec_round_trip(tmp_path):
    x, movies = _case()
    path = write_word2vec(tmp_path / "movies.txt", x, movies)
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == "6 4"
    tokens, vectors = read_word2vec(path)
    # the year, when known, is in the token: movie identity needs it (accuracy round 22)
    assert tokens[:2] == ["Toy_Story_(1995)_1", "Tab_here_2"]
    assert tokens[4:] == ["Amélie_(2001)_5", "movie_(1990)_6"]
    assert all(not any(c.isspace() for c in t) for t in tokens)
    assert [movie_id_from_token(t) for t in tokens] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(vectors, x, rtol=1e-6)
    filtered, _ = read_word2vec(word2vec_text(x, movies, min_ratings=100))
    assert filtered == ["Toy_Story_(1995)_1", "Amélie_(2001)_5"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 3\na 1 2 3\n", "ends after 1 vectors"),
        ("1 3\na 1 2\n", "expected 3"),
        ("1 2\na 1 x\n", "not a number"),
        ("2 1\na 1\na 2\n", "same token twice"),
        ("hello\n", "starts with a line"),
    ],
)
def test_reader_rejects_malformed_files(text, message):
    with pytest.raises(DataError, match=message):
        read_word2vec(text)
