"""Audit follow-ups: repeated or unusable ids in imported labels are named (never renumbered),
duplicate word2vec tokens name file, token and lines, Compare filters by the counts it has,
and too-few-shared-movies errors tell "few shared films" from "filter too strict"."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_explore_helpers import movies_table

from movierate import store
from movierate.cli import main
from movierate.errors import DataError, MovierateError
from movierate.explore import align_models
from movierate.explore.compare import neighbour_sets, procrustes_alignment
from movierate.explore.export import read_word2vec
from movierate.explore.imported import read_npy, read_projector_tsv, read_word2vec_file


def _npy_with_labels(folder: Path, labels: str) -> tuple[Path, Path]:
    n = len(labels.strip().splitlines()) - 1
    np.save(folder / "v.npy", np.arange(n * 4, dtype=np.float32).reshape(n, 4))
    (folder / "L.csv").write_text(labels)
    return folder / "v.npy", folder / "L.csv"


@pytest.mark.parametrize(
    ("column", "ids", "named"),
    [
        ("movie_id", ["1", "1", "3", "4", "5"], ["1 at rows 1, 2"]),
        ("movieId", ["7", "8", "7", "8", "9"], ["7 at rows 1, 3", "8 at rows 2, 4"]),
        ("id", ["2.0", "5", "2", "6", "2"], ["2 at rows 1, 3, 5"]),  # equal as numbers
    ],
)
def test_repeated_ids_are_an_error_naming_ids_and_rows(tmp_path, column, ids, named):
    labels = f"title,{column}\n" + "".join(f"F{i},{v}\n" for i, v in enumerate(ids))
    npy, csv = _npy_with_labels(tmp_path, labels)
    with pytest.raises(DataError) as caught:
        read_npy(npy, csv)
    message = str(caught.value)
    for part in named:
        assert part in message
    assert repr(column) in message and "unique" in message and "drop" in message


def test_repeated_ids_in_projector_metadata(tmp_path):
    (tmp_path / "v.tsv").write_text("1\t2\n3\t4\n5\t6\n")
    (tmp_path / "m.tsv").write_text("title\tmovie_id\na\t10\nb\t20\nc\t10\n")
    with pytest.raises(DataError, match="10 at rows 1, 3"):
        read_projector_tsv(tmp_path / "v.tsv", tmp_path / "m.tsv")


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("1.5", "row 2: '1.5'"), ("abc", "row 2: 'abc'"), ("", "row 2: ''"), ("1e30", "'1e30'")],
)
def test_ids_that_are_not_whole_numbers_are_named(tmp_path, bad, shown):
    npy, csv = _npy_with_labels(tmp_path, f"title,movie_id\nA,1\nB,{bad}\nC,3\n")
    with pytest.raises(DataError, match=re.escape(shown)):
        read_npy(npy, csv)


def test_distinct_ids_are_kept_and_no_id_column_numbers_rows(tmp_path):
    npy, csv = _npy_with_labels(tmp_path, "title,movie_id\nA,30\nB,-2\nC,7.0\n")
    assert read_npy(npy, csv).movies["movie_id"].tolist() == [30, -2, 7]
    npy, csv = _npy_with_labels(tmp_path, "title,year\nA,1990\nB,1991\nC,1992\n")
    assert read_npy(npy, csv).movies["movie_id"].tolist() == [0, 1, 2]


def test_cli_and_upload_show_the_repeated_ids_without_saving(tmp_path, capsys):
    from movierate.ui.import_embeddings import import_uploaded

    npy, csv = _npy_with_labels(tmp_path, "title,movie_id\nA,1\nB,1\nC,3\nD,4\nE,5\n")
    assert main(["import", str(npy), "--labels", str(csv), "--name", "dup"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "1 at rows 1, 2" in err[0]
    assert not store.model_path("dup").exists()

    class Uploaded:
        def __init__(self, path: Path) -> None:
            self.name, self._data = path.name, path.read_bytes()

        def getvalue(self) -> bytes:
            return self._data

    # the panel shows any MovierateError with st.error (no trace)
    with pytest.raises(MovierateError, match="1 at rows 1, 2"):
        import_uploaded(Uploaded(npy), Uploaded(csv), "dup2")
    assert not store.model_path("dup2").exists()


@pytest.mark.parametrize(
    ("tokens", "token", "lines"),
    [(["a", "b", "a"], "a", (2, 4)), (["x", "y", "z", "y"], "y", (3, 5))],
)
def test_duplicate_word2vec_token_names_file_token_and_lines(tmp_path, tokens, token, lines):
    body = "".join(f"{t} {i} 1\n" for i, t in enumerate(tokens))
    path = tmp_path / "my vectors.txt"
    path.write_text(f"{len(tokens)} 2\n{body}")
    for call in (lambda: read_word2vec_file(path), lambda: read_word2vec(path)):
        with pytest.raises(DataError) as caught:
            call()
        message = str(caught.value)
        assert "my vectors.txt" in message and repr(token) in message
        assert f"lines {lines[0]} and {lines[1]}" in message


def test_word2vec_tokens_whose_suffixes_collide_keep_their_whole_label(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("2 2\nking_2 1 0\nqueen_2 0 1\n")
    movies = read_word2vec_file(path).movies
    assert movies["title"].tolist() == ["king 2", "queen 2"]
    assert movies["movie_id"].tolist() == [0, 1]


def _imported_and_counted(n: int = 40, seed: int = 0):
    """A: no rating counts (imported); B: the same films with counts 0, 1, ..., n-1."""
    rng = np.random.default_rng(seed)
    x_a, x_b = rng.normal(size=(n, 4)), rng.normal(size=(n, 6))
    movies_a = movies_table(n, n_ratings=[0] * n, movie_ids=list(range(n)))
    movies_b = movies_table(n, n_ratings=list(range(n)), movie_ids=list(range(500, 500 + n)))
    return x_a, movies_a, x_b, movies_b


@pytest.mark.parametrize("min_ratings", [5, 20, 35])
def test_compare_filters_by_b_counts_when_a_has_none(min_ratings):
    x_a, movies_a, x_b, movies_b = _imported_and_counted()
    expected = int((movies_b["n_ratings"] >= min_ratings).sum())
    sets = neighbour_sets(x_a, movies_a, x_b, movies_b, min_ratings=min_ratings)
    assert sets.n_eligible == expected and sets.counts_from == "B"
    assert (sets.columns["n_ratings"] >= min_ratings).all()
    assert np.array_equal(
        sets.columns["n_ratings"].to_numpy(), movies_b["n_ratings"].to_numpy()[sets.rows_b]
    )
    procrustes = procrustes_alignment(x_a, movies_a, x_b, movies_b, min_ratings=min_ratings)
    assert len(procrustes.rows_a) == expected
    # capped: the most-rated by B's counts are searched
    capped = neighbour_sets(x_a, movies_a, x_b, movies_b, min_ratings=min_ratings, max_movies=3)
    assert sorted(capped.columns["n_ratings"]) == [37, 38, 39]


def test_compare_keeps_a_counts_first_and_no_filter_without_counts():
    x_a, movies_a, x_b, movies_b = _imported_and_counted()
    sets = neighbour_sets(x_b, movies_b, x_a, movies_a, min_ratings=30)
    assert sets.counts_from == "A" and sets.n_eligible == 10
    bare = movies_b.assign(n_ratings=0)
    sets = neighbour_sets(x_a, movies_a, x_b, bare, min_ratings=30)
    assert sets.counts_from is None and sets.n_eligible == 40


def _shared(n_a: int, n_shared: int, counts: list[int]):
    """A of ``n_a`` films; B holds the first ``n_shared`` of them (by title), with ``counts``."""
    rng = np.random.default_rng(1)
    titles = [f"Film {i}" for i in range(n_a)]
    movies_a = movies_table(n_a, titles=titles, n_ratings=[100] * n_a)
    movies_b = movies_table(
        n_shared,
        titles=titles[:n_shared],
        n_ratings=counts,
        movie_ids=list(range(900, 900 + n_shared)),
    )
    return rng.normal(size=(n_a, 5)), movies_a, rng.normal(size=(n_shared, 5)), movies_b


@pytest.mark.parametrize("n_shared", [1, 4, 9])
def test_align_few_shared_films_says_so(n_shared):
    x_a, movies_a, x_b, movies_b = _shared(30, n_shared, [100] * n_shared)
    with pytest.raises(DataError) as caught:
        align_models(x_a, movies_a, x_b, movies_b, min_ratings=0)
    message = str(caught.value)
    assert f"Only {n_shared} movies are in both models" in message and "cannot help" in message
    assert "ratings each" not in message


@pytest.mark.parametrize(("counts_low", "min_ratings"), [(3, 20), (8, 25)])
def test_align_strict_filter_names_counts_before_and_after_and_a_filter_that_works(
    counts_low, min_ratings
):
    counts = [counts_low + i for i in range(20)]
    x_a, movies_a, x_b, movies_b = _shared(30, 20, counts)
    with pytest.raises(DataError) as caught:
        align_models(x_a, movies_a, x_b, movies_b, min_ratings=min_ratings)
    message = str(caught.value)
    kept = sum(c >= min_ratings for c in counts)
    assert "share 20" in message and f"only {kept} of them" in message
    suggested = int(re.search(r"filter to (\d+) or less", message).group(1))
    assert len(align_models(x_a, movies_a, x_b, movies_b, min_ratings=suggested).rows_a) >= 10
    with pytest.raises(DataError):
        align_models(x_a, movies_a, x_b, movies_b, min_ratings=suggested + 1)


def test_compare_too_few_shared_says_which_cause():
    x_a, movies_a, x_b, movies_b = _shared(30, 1, [100])
    with pytest.raises(DataError, match="Only 1 movies are in both models"):
        neighbour_sets(x_a, movies_a, x_b, movies_b, min_ratings=0)
    x_a, movies_a, x_b, movies_b = _shared(30, 20, list(range(20)))
    movies_a = movies_a.assign(n_ratings=pd.Series([0] * 30))  # imported A: B's counts filter
    with pytest.raises(DataError, match=r"share 20, but only 1 of them .* model B's table"):
        procrustes_alignment(x_a, movies_a, x_b, movies_b, min_ratings=19)


@pytest.mark.parametrize(
    ("pair", "says"),
    [
        (["bare", "counted"], "with at least 10 ratings in counted's dataset"),
        (["counted", "bare"], "with at least 10 ratings in counted's dataset"),
        (["bare", "bare2"], "neither model has rating counts, so no min-ratings filter"),
    ],
)
def test_compare_page_names_the_counts_that_filtered(isolated_home, pair, says):
    """Movie by movie: the caption names the model whose counts filtered (B's when A has none)."""
    from streamlit.testing.v1 import AppTest

    from movierate import explore
    from movierate.imported_models import save_imported
    from movierate.ui import shell

    n = 40
    labels = pd.DataFrame({"title": [f"Film {i} (1990)" for i in range(n)]})
    counts = labels.assign(n_ratings=[str(i) for i in range(n)])
    for name, table in (("bare", labels), ("bare2", labels), ("counted", counts)):
        vectors = np.random.default_rng(len(name)).normal(size=(n, 4)).astype(np.float32)
        movies = explore.imported.movies_like(table)
        save_imported(name, explore.ImportedEmbedding(vectors, movies, "npy"), "x.npy")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.query_params["models"] = pair
    at.query_params["section"] = "Movie by movie"
    at.query_params["min_ratings"] = "10"
    at.switch_page(shell.PAGES["compare"].script).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = [c.value for c in at.caption] + [i.value for i in at.info]
    assert any(says in text for text in shown), shown
    if "counted" in pair:
        assert any(f"{sum(i >= 10 for i in range(n))} shared movies" in t for t in shown), shown
