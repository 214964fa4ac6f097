"""Bad-input round 44: the core package used from a notebook.

F1: ``ds.edited`` kept a (user, movie) pair rated twice, which ``from_csv`` drops with a notice,
so a split put the same pair in training and test rows. F2: a movies table with a missing title
crashed the title search and was exported as the word ``nan``. F3: a model's name (or any
non-model) passed for a model gave a raw AttributeError. F4: ids written as floats in the
ratings and as integers in the movies file matched nothing, with no word why. F5: the
projector reader did not say that pandas' quoted metadata is not the Projector's format.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from movierate import explore, pipeline
from movierate.data import from_csv
from movierate.data.splits import make_split
from movierate.errors import DataError
from movierate.explore.imported import read_projector_tsv

RATINGS = b"user,movie,rating,timestamp\n" + b"".join(
    f"{u},{m},{1 + (u + m) % 5},{100 * u + m}\n".encode() for u in range(1, 7) for m in range(1, 6)
)


def _tiny():
    """A 6-user, 5-movie dataset read as a user's file is."""
    return from_csv(RATINGS, name="tiny44")


def _with_repeat(ds) -> pd.DataFrame:
    """``ds``'s ratings plus a later, different rating of its first pair."""
    ratings = pd.DataFrame(ds.ratings)
    first = ratings.iloc[[0]].assign(rating=5.0, timestamp=ratings["timestamp"].iloc[0] + 1)
    return pd.concat([ratings, first], ignore_index=True)


def test_edited_drops_a_repeated_pair_keeping_the_latest_and_says_so():
    ds = _tiny()
    edited = ds.edited(_with_repeat(ds), name="repeat")
    assert len(edited) == len(ds)
    pairs = edited.ratings[["user_idx", "movie_idx"]]
    assert not pairs.duplicated().any()
    first = edited.ratings[(pairs["user_idx"] == 0) & (pairs["movie_idx"] == 0)]
    assert first["rating"].tolist() == [5.0]  # the later rating
    assert edited.movies["n_ratings"].tolist() == ds.movies["n_ratings"].tolist()
    (notice,) = edited.notices()
    assert "dropped 1 duplicate (user, movie) rating" in notice and "row(s) 0 " in notice


def test_edited_can_refuse_repeated_pairs():
    ds = _tiny()
    with pytest.raises(DataError, match=r"drop_duplicates\(\['user_idx', 'movie_idx'\]"):
        ds.edited(_with_repeat(ds), name="repeat", duplicates="error")
    with pytest.raises(DataError, match="use 'keep_latest' or 'error'"):
        ds.edited(ds.ratings, name="other", duplicates="drop")


def test_a_hand_built_dataset_with_a_repeated_pair_is_refused_before_splitting():
    ds = _tiny()
    hand_built = dataclasses.replace(ds, ratings=_with_repeat(ds))
    with pytest.raises(DataError, match=r"1 repeated \(user, movie\) rating \(row 0,"):
        make_split(hand_built, method="per_user", test_fraction=0.2, seed=0)
    assert len(make_split(ds, method="per_user", test_fraction=0.2, seed=0).test) > 0


@pytest.mark.parametrize("passed", ["m8", None, 3, np.zeros((2, 2))])
@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda m: explore.recommend_for_user(m, 0, ratings=None), "model"),
        (lambda m: explore.model_pca_extremes(m, n_components=2), "model"),
        (lambda m: explore.model_covariance(m), "model"),
        (lambda m: explore.model_map(m, method="pca"), "model"),
        (lambda m: explore.fold_in(m, {0: 5.0}), "model"),
        (lambda m: explore.compare_models(SimpleNamespace(), model_b=m), "model_b"),
        (lambda m: pipeline.dataset_of(m), "model"),
        (lambda m: pipeline.evaluate_model(m), "model"),
    ],
)
def test_a_model_name_or_other_non_model_is_refused_naming_the_argument(call, argument, passed):
    with pytest.raises(DataError, match=f"^{argument} must be a loaded model, got ") as caught:
        call(passed)
    saved = "m8" if isinstance(passed, str) else "NAME"
    assert f"store.load_model('{saved}')" in str(caught.value)


def test_a_dataset_passed_for_a_model_is_refused():
    with pytest.raises(DataError, match="model must be a loaded model, got RatingsDataset"):
        explore.model_covariance(_tiny())


def _movies_and_vectors():
    """The tiny dataset's movies table and random vectors, one per movie."""
    movies = _tiny().movies
    vectors = np.random.default_rng(0).normal(size=(len(movies), 3)).astype(np.float32)
    return movies, vectors


@pytest.mark.parametrize("missing", [np.nan, None, pd.NA])
def test_a_missing_title_is_read_as_movie_id_by_search_and_exports(missing, tmp_path):
    movies, vectors = _movies_and_vectors()
    edited = movies.copy()
    edited.loc[2, "title"] = missing
    untitled = f"movie {movies['movie_id'].iloc[2]}"
    assert explore.find_movie(edited, untitled) == 2
    assert explore.search_titles(edited, untitled)["title"].iloc[0] == untitled
    assert explore.find_movie(edited, str(movies["title"].iloc[1])) == 1
    explore.write_word2vec(tmp_path / "v.txt", vectors, edited)
    tokens = [line.split()[0] for line in (tmp_path / "v.txt").read_text().splitlines()[1:]]
    assert tokens[2].startswith(untitled.replace(" ", "_")) and "nan" not in tokens[2]
    _, metadata = explore.projector_text(vectors, edited)
    assert metadata.splitlines()[3].split("\t")[0] == untitled
    assert pd.isna(edited.loc[2, "title"])  # the caller's table is left as it was


def test_movie_ids_written_as_floats_beside_whole_ids_are_named_with_the_fix():
    ratings = b"userId,movieId,rating\n1,1.0,4\n1,1.5,3\n2,2.0,5\n2,3.0,4\n3,1.0,2\n"
    items = b"movieId,title\n1,A (1995)\n2,B (1996)\n3,C (1997)\n"
    (notice,) = [n for n in from_csv(ratings, items, name="f4").notices() if "not in" in n]
    assert "4 rated movie(s) are not in the movies file" in notice
    assert "3 of them are one number written two ways: movie id '1.0' in the ratings" in notice
    assert "'1' in the movies file" in notice and "(2, not 2.0)" in notice
    two_items = b"movieId,title\n1,A (1995)\n2,B (1996)\n"
    plain = from_csv(b"userId,movieId,rating\n1,1,4\n1,2,3\n2,3,5\n", two_items, name="f4b")
    (notice,) = [n for n in plain.notices() if "not in" in n]
    assert "written two ways" not in notice


def test_projector_metadata_quoted_by_pandas_is_named_or_read(tmp_path):
    vectors = tmp_path / "vectors.tsv"
    np.savetxt(vectors, np.arange(6.0).reshape(3, 2) + 1, delimiter="\t")
    quoted = tmp_path / "quoted.tsv"
    pd.DataFrame({"title": ["A", "B\tC", "D"], "year": [1, 2, 3]}).to_csv(
        quoted, sep="\t", index=False
    )
    with pytest.raises(DataError, match=r"holds a double quote: .*Replace the tabs"):
        read_projector_tsv(vectors, quoted)
    missing = tmp_path / "missing.tsv"
    pd.DataFrame({"title": ["A", None, "D"]}).to_csv(missing, sep="\t", index=False, header=False)
    assert '""' in missing.read_text()
    titles = read_projector_tsv(vectors, missing).movies["title"].tolist()
    assert titles == ["A", "", "D"]
