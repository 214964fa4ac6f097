"""movierate.explore.imported: Projector TSV, word2vec and .npy + labels readers."""

from __future__ import annotations

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import (
    nearest_movies,
    read_npy,
    read_projector_tsv,
    read_word2vec_file,
    write_projector,
    write_word2vec,
)

TITLES = ["Toy Story", "Heat\tand cold", "Casino"]


def exported():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    movies = movies_table(
        3, titles=TITLES, years=[1995, 1995, None], genres=[["Animation"], ["Crime"], []]
    )
    return x, movies


def test_projector_round_trip(tmp_path):
    x, movies = exported()
    vectors, metadata = write_projector(tmp_path, x, movies)
    imported = read_projector_tsv(vectors, metadata)
    assert imported.source == "projector"
    assert np.allclose(imported.vectors, x, atol=1e-6) and imported.vectors.dtype == np.float32
    table = imported.movies
    assert table["title"].tolist() == TITLES  # the tab came back from its escape
    assert table["year"].tolist()[:2] == [1995, 1995] and table["year"].isna().tolist()[2]
    assert table["genres"].tolist() == [["Animation"], ["Crime"], []]
    nearest_movies(imported.vectors, table, 0, k=2)  # fits the explore contract


def test_single_column_metadata_without_header_and_no_metadata(tmp_path):
    (tmp_path / "v.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_text("Alien (1979)\nBrazil (1985)\n")
    imported = read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")
    assert imported.movies["title"].tolist() == ["Alien", "Brazil"]
    assert imported.movies["year"].tolist() == [1979, 1985]
    assert read_projector_tsv(tmp_path / "v.tsv").movies["title"].tolist() == ["item 0", "item 1"]


@pytest.mark.parametrize(
    ("vectors", "metadata", "message"),
    [
        ("1\t2\n3\n", None, "Line 2 of v.tsv has 1 values"),
        ("1\t2\n3\tnan\n", None, "NaN or infinite"),
        ("1\t2\n3\tinf\n", None, "NaN or infinite"),
        ("1\tx\n", None, "not a number"),
        ("1\t2\n3\t4\n", "title\tyear\nA\t1\n", "1 rows after its header but there are 2"),
        ("1\t2\n3\t4\n", "title\tyear\nA\t1\nB\n", "Line 3 of the metadata file has 1 columns"),
        ("", None, "empty"),
    ],
)
def test_projector_errors(tmp_path, vectors, metadata, message):
    (tmp_path / "v.tsv").write_text(vectors)
    meta = None
    if metadata is not None:
        meta = tmp_path / "m.tsv"
        meta.write_text(metadata)
    with pytest.raises(DataError, match=message):
        read_projector_tsv(tmp_path / "v.tsv", meta)


def test_size_cap(tmp_path):
    (tmp_path / "v.tsv").write_text("1\t2\n" * 100)
    with pytest.raises(DataError, match="above the"):
        read_projector_tsv(tmp_path / "v.tsv", max_bytes=50)


def test_projector_round_trip_of_a_dataset_with_text_item_ids(tmp_path):
    """The explorer review (s28) put movie_id in the metadata TSV; a model of a user's own
    file with ids like 'it0010' then could not import its own export."""
    x, movies = exported()
    movies = movies.assign(movie_id=["it0010", "it0011", "tt0114709"])
    vectors, metadata = write_projector(tmp_path, x, movies)
    imported = read_projector_tsv(vectors, metadata)
    assert imported.movies["movie_id"].tolist() == ["it0010", "it0011", "tt0114709"]
    assert np.allclose(imported.vectors, x, atol=1e-6)


def test_word2vec_round_trip_keeps_movie_ids(tmp_path):
    x, movies = exported()
    path = write_word2vec(tmp_path / "w.txt", x, movies)
    imported = read_word2vec_file(path)
    assert np.allclose(imported.vectors, x, atol=1e-6)
    assert imported.movies["movie_id"].tolist() == movies["movie_id"].tolist()
    assert imported.movies["title"].tolist()[0] == "Toy Story"
    (tmp_path / "bad.txt").write_text("2 3\na 1 2 3\nb 1 2\n")
    with pytest.raises(DataError, match="Line 3 has 2 values"):
        read_word2vec_file(tmp_path / "bad.txt")
    (tmp_path / "nan.txt").write_text("1 2\na nan 2\n")
    with pytest.raises(DataError, match="NaN"):
        read_word2vec_file(tmp_path / "nan.txt")


def test_word2vec_tokens_of_one_word_and_a_number_keep_their_number(tmp_path):
    """Bad-input round 11: gensim's doc2vec tokens doc_0 ... doc_49 were read as movierate's
    "<title>_<movie_id>": every title became "doc"."""
    rng = np.random.default_rng(0)
    lines = [f"doc_{i} " + " ".join(f"{v:.3f}" for v in rng.normal(size=4)) for i in range(50)]
    (tmp_path / "doc.txt").write_text("50 4\n" + "\n".join(lines) + "\n")
    titles = read_word2vec_file(tmp_path / "doc.txt").movies["title"]
    assert titles.nunique() == 50 and titles.iloc[7] == "doc 7"


def test_a_compressed_or_npy_file_given_as_text_is_named_as_such(tmp_path):
    """Bad-input round 11: a gzip-compressed .tsv, or a .npy renamed, was "not UTF-8 text;
    save it as UTF-8", which cannot help."""
    import gzip

    from movierate.explore.imported import read_projector_tsv

    (tmp_path / "gz.tsv").write_bytes(gzip.compress(b"0.1\t0.2\n0.3\t0.4\n" * 50))
    with pytest.raises(DataError, match="gzip-compressed file.*gunzip"):
        read_projector_tsv(tmp_path / "gz.tsv")
    np.save(tmp_path / "x.npy", np.ones((3, 2)))
    (tmp_path / "x.npy").rename(tmp_path / "npy.tsv")
    with pytest.raises(DataError, match="numpy .npy array, not text: import it as a .npy"):
        read_projector_tsv(tmp_path / "npy.tsv")
    np.save(tmp_path / "y.npy", np.ones((3, 2)))  # recheck 3: as labels, other advice
    with pytest.raises(DataError, match="not text: pick the text file that holds the labels"):
        read_npy(tmp_path / "y.npy", tmp_path / "npy.tsv")


def test_npy_with_labels(tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 5))
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "labels.csv").write_text(
        "movieId,title,genres\n10,A (2001),Drama|War\n20,B (2002),\n30,C,Comedy\n"
    )
    imported = read_npy(tmp_path / "x.npy", tmp_path / "labels.csv")
    assert imported.vectors.shape == (3, 5) and imported.vectors.dtype == np.float32
    assert imported.movies["movie_id"].tolist() == [10, 20, 30]
    assert imported.movies["genres"].tolist() == [["Drama", "War"], [], ["Comedy"]]
    assert imported.movies["year"].tolist()[:2] == [2001, 2002]
    (tmp_path / "short.csv").write_text("title\nA\nB\n")
    with pytest.raises(DataError, match="2 label rows but x.npy has 3 vectors"):
        read_npy(tmp_path / "x.npy", tmp_path / "short.csv")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(DataError, match="expected \\(rows, dims\\)"):
        read_npy(tmp_path / "cube.npy")
    x[1, 2] = np.nan
    np.save(tmp_path / "nan.npy", x)
    with pytest.raises(DataError, match="first at row 1"):
        read_npy(tmp_path / "nan.npy")
    np.save(tmp_path / "obj.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="not a readable|expected numbers"):
        read_npy(tmp_path / "obj.npy")


def test_new_explorer_modules_never_import_tensorflow_keras_or_streamlit():
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        from types import SimpleNamespace
        import numpy as np
        import pandas as pd
        from movierate import explore
        n = 40
        movies = pd.DataFrame({
            "movie_idx": range(n), "movie_id": range(n), "title": [f"M {i}" for i in range(n)],
            "year": [1990 + i for i in range(n)], "n_ratings": [50] * n,
            "genres": [["Drama"] if i % 2 else ["Comedy"] for i in range(n)],
        })
        x = np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)
        explore.describe_selection(movies, [0, 1, 2])
        explore.custom_axes(x, movies, (explore.set_rows(movies, "Drama"),
                                        explore.set_rows(movies, "Comedy")))
        explore.movie_analogy(x, movies, 0, 1, 2)
        explore.linear_probes(x, movies, min_ratings=0)
        explore.align_models(x, movies, x[:, ::-1], movies.copy(), min_ratings=0)
        model = SimpleNamespace(
            arrays={"movie_embedding": x, "user_embedding": x[:10], "global_mean": 3.0},
            spec=SimpleNamespace(family="mf", output="clip"), rating_scale=(1, 5, 1),
            metrics={}, movies=movies, global_mean=3.0)
        explore.recommend_from_ratings(model, {0: 5.0, 3: 1.0})
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in
                       ("tensorflow", "keras", "streamlit"))
        print(heavy[:5])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("2 99999999999", "at most 4096 dims"),  # allocated 745 GiB (MemoryError) before
        ("99999999999 2", "announces 99,999,999,999 vectors; at most 2,000,000"),
        ("3 2", "ends after 2 vectors"),
        ("2 4097", "vectors of 4097 numbers; at most 4096 dims"),
        ("0 2", "both must be >= 1"),
        ("2 0", "both must be >= 1"),
    ],
)
def test_a_word2vec_header_the_file_cannot_hold_is_refused(tmp_path, header, message):
    path = tmp_path / "vectors.vec"
    path.write_text(f"{header}\nmovie_a 0.1 0.2\nmovie_b 0.3 0.4\n")
    with pytest.raises(DataError, match=message):
        read_word2vec_file(path)


# ---- hostile metadata: DataError naming the column, or a safe value --------------------------


def _projector(tmp_path, metadata: str):
    (tmp_path / "v.tsv").write_text("1\t2\n3\t4\n5\t6\n")
    (tmp_path / "m.tsv").write_text(metadata)
    return read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("title\ttitle\na\tb\nc\td\ne\tf\n", "names the column 'title' more than once"),
        ("title\tgenres\tgenres\na\tx\ty\nc\tx\ty\ne\tx\ty\n", "'genres' more than once"),
        ("title\tn_ratings\na\t-7\nb\t1\nc\t2\n", "Column 'n_ratings', row 1 .*'-7'"),
        ("title\tn_ratings\na\t1\nb\tinf\nc\t2\n", "Column 'n_ratings', row 2 .*'inf'"),
        ("title\tn_ratings\na\t1\nb\t2\nc\t2.5\n", "whole numbers"),
        ("title\tn_ratings\na\t1\nb\tnan\nc\t2\n", "whole numbers"),
        ("title\tn_ratings\na\t1\nb\t1e30\nc\t2\n", "whole numbers"),
        ("title\tn_ratings\na\t1\nb\tmany\nc\t2\n", "whole numbers"),
    ],
)
def test_bad_metadata_is_a_data_error_naming_the_column(tmp_path, metadata, message):
    with pytest.raises(DataError, match=message):
        _projector(tmp_path, metadata)


@pytest.mark.parametrize("year", ["inf", "-inf", "1e30", "-1e30", "nan", "99999", "12", "x"])
def test_an_impossible_year_becomes_missing(tmp_path, year):
    imported = _projector(tmp_path, f"title\tyear\na\t{year}\nb\t1995\nc\t1999.4\n")
    years = imported.movies["year"]
    assert years.isna().tolist() == [True, False, False]
    assert years.tolist()[1:] == [1995, 1999]


def test_blank_counts_are_zero_and_whole_counts_kept(tmp_path):
    imported = _projector(tmp_path, "title\tn_ratings\na\t\nb\t7\nc\t3.0\n")
    assert imported.movies["n_ratings"].tolist() == [0, 7, 3]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["10", "20", "30"], [10, 20, 30]),
        (["10.0", "20", "-3"], [10, 20, -3]),
        (["1.0", "1.4", "2"], None),  # not exact integers: refused, never renumbered
        (["1e30", "2", "3"], None),  # too large for an id
        (["99999999999999999999", "2", "3"], None),
        (["7", "7", "8"], None),  # a repeated id would collapse two movies into one
        (["a", "b", "c"], ["a", "b", "c"]),  # text ids, as a dataset's own (explorer review s28)
        (["a", "a", "c"], None),
        (["a", "2", "c"], None),  # half numbers, half text: which did the file mean?
    ],
)
def test_ids_are_exact_distinct_integers_or_refused(tmp_path, ids, expected):
    rows = "".join(f"{t}\t{i}\n" for t, i in zip("abc", ids, strict=True))
    if expected is None:
        with pytest.raises(DataError, match="Column 'movie_id'"):
            _projector(tmp_path, "title\tmovie_id\n" + rows)
        return
    imported = _projector(tmp_path, "title\tmovie_id\n" + rows)
    assert imported.movies["movie_id"].tolist() == expected
    assert imported.movies["movie_id"].is_unique


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("title\nMatrix, The (1999)\nHeat (1995)\nAlien (1979)\n", "line 2 has more fields"),
        ("title,year\nHeat,1995\nMatrix, The,1999\nAlien,1979\n", "line 3"),
        ("title;year\nMatrix;1999\nHeat;1995\nAlien;1979\n", "separated by ';' or tabs"),
    ],
)
def test_labels_with_an_unquoted_comma_are_refused_not_shifted(tmp_path, labels, message):
    """Bad-input round 8: an unquoted comma in the first title made pandas take that row's
    first field as an index: every title shifted ('The', '', '', ...) and the import passed."""
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    (tmp_path / "labels.csv").write_text(labels)
    with pytest.raises(DataError, match=message):
        read_npy(tmp_path / "x.npy", tmp_path / "labels.csv")
    quoted = 'title\n"Matrix, The (1999)"\nHeat (1995)\nAlien (1979)\n'
    (tmp_path / "labels.csv").write_text(quoted)
    movies = read_npy(tmp_path / "x.npy", tmp_path / "labels.csv").movies
    assert movies["title"].tolist() == ["Matrix, The", "Heat", "Alien"]
    assert movies["year"].tolist() == [1999, 1995, 1979]


def test_npy_labels_with_bad_counts(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=np.float32))
    (tmp_path / "l.csv").write_text("title,n_ratings\nA,1\nB,-1\n")
    with pytest.raises(DataError, match="Column 'n_ratings', row 2"):
        read_npy(tmp_path / "x.npy", tmp_path / "l.csv")


@pytest.mark.parametrize(
    "lines",
    [
        [f" {i}" for i in range(10)],  # empty tokens, one-digit values: shorter than 2 chars/field
        [f"{i}" for i in range(10)],
    ],
)
def test_word2vec_with_short_lines_is_a_data_error(tmp_path, lines):
    path = tmp_path / "vectors.txt"
    path.write_text(f"{len(lines)} 1\n" + "".join(f"{line}\n" for line in lines))
    with pytest.raises(DataError, match="Line 2 "):
        read_word2vec_file(path)


def test_word2vec_with_one_character_tokens_and_values(tmp_path):
    """The shortest valid lines ("a 1"): the row buffer grows with what is read."""
    tokens = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(0x100, 0x900)]
    path = tmp_path / "vectors.txt"
    path.write_text(f"{len(tokens)} 1\n" + "".join(f"{t} {i % 10}\n" for i, t in enumerate(tokens)))
    imported = read_word2vec_file(path)
    assert len(imported.vectors) == len(tokens) > 1024
    assert imported.vectors[-1, 0] == (len(tokens) - 1) % 10


@pytest.mark.parametrize("content", ["text", "objects"])
def test_an_npy_that_is_not_a_numeric_array_never_suggests_unpickling(tmp_path, content):
    path = tmp_path / "notes.npy"
    if content == "text":
        path.write_text("hello, this is text\n")
    else:
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="not a numeric array saved with numpy.save") as caught:
        read_npy(path)
    assert "allow_pickle" not in str(caught.value)


def test_vectors_too_large_or_too_small_for_the_views_arithmetic_are_refused(tmp_path):
    """Bad-input round 13: vectors times 1e20 (or 1e-22) imported, and every neighbour scored
    0.00 in file order: their squares overflow (underflow) 32-bit floats. Inside 1e-15..1e15
    the neighbours are those of the vectors as given."""
    x = np.random.default_rng(1).normal(size=(40, 6))
    expected = nearest_movies(x.astype(np.float32), movies_table(40), 0, k=5)["movie_idx"]
    for scale in (1e-12, 1e12):
        np.save(tmp_path / "ok.npy", x * scale)
        imported = read_npy(tmp_path / "ok.npy")
        got = nearest_movies(imported.vectors, movies_table(40), 0, k=5)["movie_idx"]
        assert got.tolist() == expected.tolist()
    for scale, message in ((1e20, "Divide every vector by one number"), (1e-22, "Multiply")):
        np.save(tmp_path / "far.npy", x * scale)
        with pytest.raises(DataError, match=message):
            read_npy(tmp_path / "far.npy")
    # the recheck: one near-zero row among ordinary ones is as good as a zero vector (its
    # advice to multiply then broke the upper limit); 1e16 vectors work and are kept
    tiny_row = x.copy()
    tiny_row[7] = 1e-16
    np.save(tmp_path / "row.npy", tiny_row)
    assert read_npy(tmp_path / "row.npy").vectors.shape == (40, 6)
    np.save(tmp_path / "big.npy", x * 1e16)
    imported = read_npy(tmp_path / "big.npy")
    got = nearest_movies(imported.vectors, movies_table(40), 0, k=5)["movie_idx"]
    assert got.tolist() == expected.tolist()
    vectors, _ = write_projector(tmp_path, x * 1e30, movies_table(40))
    with pytest.raises(DataError, match="values up to .*e\\+30"):
        read_projector_tsv(vectors)


def test_export_then_import_gives_the_float32_vectors_back_exactly(tmp_path):
    """CLI round 2: at 7 significant digits 1,664 of 1,682 rows came back changed."""
    x = np.random.default_rng(3).normal(size=(200, 16)).astype(np.float32)
    movies = movies_table(200)
    vectors, metadata = write_projector(tmp_path, x, movies)
    assert np.array_equal(read_projector_tsv(vectors, metadata).vectors, x)
    path = write_word2vec(tmp_path / "w.txt", x, movies)
    assert np.array_equal(read_word2vec_file(path).vectors, x)


def test_a_word2vec_header_counting_fewer_vectors_than_the_file_holds_is_refused(tmp_path):
    """Bad-input round 13: a header of 40 over 50 vector lines imported 40, dropping 10."""
    lines = [f"m{i} {i} 1.0" for i in range(50)]
    (tmp_path / "w.txt").write_text("40 2\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="holds 50 vector lines but its header announces 40"):
        read_word2vec_file(tmp_path / "w.txt")


def test_a_cut_npy_and_blank_label_lines_are_said_plainly(tmp_path):
    """Bad-input round 13: "mmap length is greater than file size" for a truncated .npy, and
    "25 label rows" for a labels file of 50 rows, 25 of them blank."""
    np.save(tmp_path / "x.npy", np.ones((50, 4)))
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="shorter than its header says: the file was cut off"):
        read_npy(tmp_path / "cut.npy")
    (tmp_path / "labels.csv").write_text("title\n" + "".join(f"m{i}\n\n" for i in range(25)))
    with pytest.raises(DataError, match="blank lines are not label rows"):
        read_npy(tmp_path / "x.npy", tmp_path / "labels.csv")


def test_a_too_small_import_is_told_so_without_talk_of_ratings():
    """Bad-input round 13b: a 2-vector import read "Only 2 movie(s) have at least 0 ratings ...
    the most-rated movie has 0", about ratings it never had."""
    from movierate.explore.validation import eligible_rows

    with pytest.raises(DataError) as caught:
        eligible_rows(movies_table(2), 0, at_least=4)
    assert str(caught.value) == (
        "This model has 2 movie(s) in all and this analysis needs 4, so it cannot have this view."
    )
