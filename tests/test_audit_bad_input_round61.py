"""Bad-input round 61 (embeddings imported from other tools): labels shifted by one against
their vectors, a labels CSV read as one column, all-zero vectors' neighbours, IMDb ids as
labels, the separator hint, and messages that named the wrong cause."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from movierate import store
from movierate.cli import main
from movierate.data.identity import match_movies
from movierate.errors import DataError
from movierate.explore import nearest_movies, read_npy, read_projector_tsv, read_word2vec_file
from movierate.imported_models import import_note, read_embedding

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TITLES = [
    "Toy Story (1995)",
    "Jumanji (1995)",
    "American President, The (1995)",
    "Heat (1995)",
    "Sabrina (1995)",
]
N = len(TITLES)


def _vectors(folder: Path, zero_rows: tuple[int, ...] = ()) -> Path:
    x = np.random.default_rng(0).normal(size=(N, 4))
    x[list(zero_rows)] = 0.0
    (folder / "v.tsv").write_text("".join("\t".join(f"{v:g}" for v in row) + "\n" for row in x))
    return folder / "v.tsv"


def _metadata(folder: Path, lines: list[str], name: str = "m.tsv") -> Path:
    (folder / name).write_text("".join(f"{line}\n" for line in lines))
    return folder / name


def test_one_label_more_without_a_header_is_refused_with_both_counts(tmp_path):
    """F1: the first title was taken as the header and every vector got the next title."""
    vectors = _vectors(tmp_path)
    extra = _metadata(tmp_path, [*TITLES, "Extra Film (2000)"])
    with pytest.raises(DataError) as err:
        read_projector_tsv(vectors, extra)
    message = str(err.value)
    assert "'Toy Story (1995)' is a label, not a header" in message
    assert f"{N + 1} labels for {N} vectors" in message
    # a first line that names the column is a header; n rows alone have none
    titled = read_projector_tsv(vectors, _metadata(tmp_path, ["Title", *TITLES], "t.tsv"))
    assert titled.movies["title"].tolist()[:2] == ["Toy Story", "Jumanji"]
    plain = read_projector_tsv(vectors, _metadata(tmp_path, TITLES, "p.tsv"))
    assert plain.movies["title"].tolist()[0] == "Toy Story"


def test_a_header_and_one_label_less_is_refused_with_both_counts(tmp_path):
    """F2: "title" became vector 0's movie and every later title moved up one vector."""
    with pytest.raises(DataError, match=f"'title' is read as the header, leaving {N - 1} labels "):
        read_projector_tsv(_vectors(tmp_path), _metadata(tmp_path, ["title", *TITLES[:-1]]))


def test_a_header_less_title_list_as_npy_labels_is_refused(tmp_path):
    """F1's cause in the .npy labels: a one-column CSV without its header lost its first title."""
    np.save(tmp_path / "x.npy", np.eye(N, dtype=np.float32))
    labels = _metadata(tmp_path, [f'"{t}"' for t in ["Extra (1990)", *TITLES]], "l.csv")
    with pytest.raises(DataError, match="'Extra \\(1990\\)' is a title, not a column name"):
        read_npy(tmp_path / "x.npy", labels)


def test_a_labels_csv_given_as_the_metadata_is_read_as_a_csv(tmp_path):
    """F1b: each title was a whole CSV line ("1,Toy Story (1995),Adventure|...")."""
    from movierate.ui.import_embeddings import import_uploaded

    rows = [f'{i + 1},"{t}",Comedy|Drama' for i, t in enumerate(TITLES)]
    for name in ("labels.csv", "labels.tsv"):  # by its ending, or by its comma-separated header
        labels = _metadata(tmp_path, ["movieId,title,genres", *rows], name)
        movies = read_projector_tsv(_vectors(tmp_path), labels).movies
        assert movies["title"].tolist()[2] == "American President, The"
        assert movies["movie_id"].tolist() == list(range(1, N + 1))
        assert movies["genres"].iloc[0] == ["Comedy", "Drama"] and movies["year"].iloc[0] == 1995

    class Uploaded:
        def __init__(self, path: Path) -> None:
            self.name, self._data = path.name, path.read_bytes()

        def getvalue(self) -> bytes:
            return self._data

    folder = import_uploaded(Uploaded(_vectors(tmp_path)), Uploaded(tmp_path / "labels.csv"), "u")
    assert store.load_model(folder.name).movies["title"].tolist()[0] == "Toy Story"


def test_all_zero_vectors_are_counted_at_import_and_have_no_cosine_neighbours(tmp_path, capsys):
    """F3: the import said nothing, and Heat's "neighbours" were 10 films at cosine 0.000."""
    vectors = _vectors(tmp_path, zero_rows=(3, 4))
    metadata = _metadata(tmp_path, TITLES)
    assert main(["import", str(vectors), "--metadata", str(metadata), "--name", "z"]) == 0
    said = "2 of 5 vectors are all zeros (Heat (1995); Sabrina (1995)): placeholders?"
    assert said in capsys.readouterr().out
    assert said in import_note(store.model_path("z"))
    embedding = read_projector_tsv(vectors, metadata)
    found = nearest_movies(embedding.vectors, embedding.movies, 3, k=3)
    assert found.empty
    assert found.attrs["tie_note"].startswith("Heat (1995)'s vector is all zeros: it has no dir")
    assert len(nearest_movies(embedding.vectors, embedding.movies, 3, k=3, metric="euclidean")) == 3
    assert len(nearest_movies(embedding.vectors, embedding.movies, 0, k=3)) == 3
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(models="z", q="Heat (1995)")
    at.switch_page("pages/neighbours.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("has no cosine neighbours" in w.value for w in at.warning)
    # recheck 10, L5: no empty table, download or reference line follows the warning
    assert not at.dataframe and not at.get("download_button")
    assert not [c.value for c in at.caption if "random pairs" in c.value]


def test_a_reference_cosine_that_rounds_to_zero_reads_0_00_not_minus_0_00():
    """Recheck 10, L5: random pairs of near-orthogonal vectors "score -0.00 (median)"."""
    from movierate.explore.neighbours import NeighbourIndex

    x = np.array([[1, 0, 0], [0, 1, 0], [-0.001, -0.001, 1]], dtype=np.float32)
    movies = pd.DataFrame(
        {"title": list("abc"), "year": [2000] * 3, "movie_id": [1, 2, 3],
         "genres": ["Drama"] * 3, "n_ratings": [5] * 3}
    )  # fmt: skip
    said = NeighbourIndex(x, movies).random_pair_text()
    assert "score 0.00 (median) and 0.00 or more" in said and "-0" not in said


@pytest.mark.parametrize("column", [None, "imdbId", "imdb_id"])
def test_imdb_ids_as_labels_are_matched_by_them(tmp_path, column):
    """F5: tt0114709 was kept as a title only, and no film matched another model's."""
    ids = ["0114709", "0113497", "0112346", "0113277", "0114319"]
    reference = read_projector_tsv(_vectors(tmp_path), _metadata(tmp_path, TITLES)).movies
    reference["identity"] = [f"imdb:{i}" for i in ids]
    reference["title"] = [f"Other name {i}" for i in range(N)]  # no title could pair them
    if column is None:
        x = np.random.default_rng(1).normal(size=(N, 3))
        lines = [f"tt{i} " + " ".join(f"{v:g}" for v in row) for i, row in zip(ids, x, strict=True)]
        (tmp_path / "w.txt").write_text(f"{N} 3\n" + "\n".join(lines) + "\n")
        movies = read_word2vec_file(tmp_path / "w.txt").movies
    else:
        np.save(tmp_path / "x.npy", np.eye(N, dtype=np.float32))
        labels = _metadata(tmp_path, [column, *(f"tt{i}" for i in ids)], "l.csv")
        movies = read_npy(tmp_path / "x.npy", labels).movies
    match = match_movies(reference, movies)
    assert match.summary().startswith(f"{N} of {N} A movies found in B (all by IMDb id)")


def test_a_semicolon_labels_file_gets_the_separator_hint_whatever_its_titles(tmp_path):
    """F4: a title holding a comma made pandas fail first: "fix that row 12"."""
    np.save(tmp_path / "x.npy", np.eye(N, dtype=np.float32))
    for sep in (";", "\t"):
        labels = _metadata(
            tmp_path,
            [f"movieId{sep}title"] + [f"{i}{sep}{t}" for i, t in enumerate(TITLES)],
            "l.csv",
        )
        with pytest.raises(DataError, match="looks like several columns separated by ';' or tabs"):
            read_npy(tmp_path / "x.npy", labels)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("big.txt", "2 2\na 1 2\nb 1e308 1\n", "Line 3 of big.txt holds values beyond ±3.4e+38"),
        (
            "tabs.txt",
            "2 2\na\t1\t2\nb\t1\t2\n",
            "Line 2 of tabs.txt separates its values with tabs",
        ),
        ("dim.txt", "2 1\na 1 2\nb 1 2\n", "expected 1 (the header's dim), in dim.txt: if every"),
        ("glove.txt", "a 1 2\nb 3 4\nc 5 6\n", "as a GloVe file does: add the first line '3 2'"),
        ("v.tsv", "1 2\n3 4\n", "Line 1 of v.tsv holds '1 2': values separated by spaces"),
        ("v.tsv", "1,5\t2\n3\t4\n", "Line 1 of v.tsv holds '1,5': a decimal comma"),
    ],
)
def test_refusals_name_the_cause(tmp_path, recwarn, name, text, message):
    """F7: 1e308 was "NaN or infinite" with a RuntimeWarning; tabs were "0 values"; a wrong
    header dim blamed the tokens; GloVe got no line to add; spaces asked for the metadata."""
    (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        read_embedding(tmp_path / name)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_repeated_title_in_an_import_without_counts_is_not_said_picked_by_ratings(tmp_path):
    """F6: an import's two "Toy Story (1995)" rows (no rating counts) were paired by row order,
    and the note said "the most-rated row was taken"."""
    reference = read_projector_tsv(_vectors(tmp_path), _metadata(tmp_path, TITLES)).movies
    reference["n_ratings"] = [50, 40, 30, 20, 10]
    repeated = ["title", *(f'"{t}"' for t in [*TITLES, "Toy Story (1995)"])]
    np.save(tmp_path / "x.npy", np.eye(N + 1, dtype=np.float32))
    imported = read_npy(tmp_path / "x.npy", _metadata(tmp_path, repeated, "l.csv")).movies
    said = match_movies(reference, imported).summary()
    assert "(Toy Story (1995)); no rating counts tell them apart, so the first was taken." in said
    assert "most-rated" not in said
    counted = imported.assign(n_ratings=[1, 0, 0, 0, 0, 9])  # the second row is the most rated
    match = match_movies(reference, counted)
    assert "(Toy Story (1995)); the most-rated row was taken." in match.summary()
    assert match.a_to_b()[0] == N
