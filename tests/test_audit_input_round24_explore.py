"""Bad-input round 24 (a notebook calling the Python API): the explore functions, fold-in,
predict and user_index refuse or accept the natural notebook values with a clear message.

F2: a movies table in another order than movie_idx paired scores with other films' titles.
F4: another dataset's ratings table (or a text user_idx column) gave wrong favourites.
F6/F8/F10: sets, titles, fractions, Series and pairs, bool ratings and bytes ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_explore_foldin import FakeModel as FoldModel
from test_explore_helpers import movies_table

from movierate.data.build import fingerprint
from movierate.data.dataset import DATASET_ATTR
from movierate.data.synthetic import synthetic_dataset
from movierate.errors import DataError
from movierate.explore import (
    find_movie,
    fold_in,
    nearest_movies,
    pca_extremes,
    rank_movies,
    recommend_for_user,
    recommend_from_ratings,
    search_titles,
    top_rated_by_user,
)
from movierate.explore.neighbours import NeighbourIndex
from movierate.explore.recommend import ratings_of_user
from movierate.explore.selection import selection_csv

TITLES = ["Toy Story", "Heat", "Casino", "Alien", "Fargo", "Seven", "Clueless"]
N = len(TITLES)


class Model:
    """What recommend_for_user reads of a TrainedModel, with a dataset fingerprint."""

    name = "m"
    dataset_name = "small"
    dataset_fingerprint = "aaaa"
    n_users = 3
    scores = np.array([4.9, 4.5, 2.0, 4.8, 1.0, 3.0, 3.5], dtype=np.float32)

    def __init__(self) -> None:
        self.movies = movies_table(N, titles=TITLES, n_ratings=[80] * N)
        self.n_movies = N

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        return self.scores.copy()


def own_ratings(name: str = "small", fingerprint: str = "aaaa") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_idx": np.array([0, 0, 1, 2], dtype=np.int32),
            "movie_idx": np.array([0, 3, 1, 2], dtype=np.int32),
            "rating": np.array([5.0, 4.0, 3.0, 2.0], dtype=np.float32),
        }
    )
    frame.attrs[DATASET_ATTR] = {"name": name, "fingerprint": fingerprint}
    return frame


def embedding() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(N, 4)).astype(np.float32)


# ---- F2: the movies table must be in movie_idx order ------------------------------------------


@pytest.mark.parametrize(
    "reorder",
    [
        lambda m: m.sort_values("title"),
        lambda m: m.sample(frac=1, random_state=1),
        lambda m: m.sort_values("title").reset_index(drop=True),
    ],
)
def test_a_reordered_movies_table_is_refused_by_every_pairing_function(reorder):
    movies = reorder(movies_table(N, titles=TITLES))
    x = embedding()
    calls = [
        lambda: nearest_movies(x, movies, 0, k=2),
        lambda: NeighbourIndex(x, movies),
        lambda: pca_extremes(x, movies, n_components=1, n_movies=2, min_ratings=0),
        lambda: rank_movies(np.arange(N, dtype=float), movies, k=2),
        lambda: find_movie(movies, "heat"),
        lambda: search_titles(movies, "heat"),
        lambda: top_rated_by_user(own_ratings(), movies, 0),
        lambda: selection_csv(movies, [0, 1]),
    ]
    for call in calls:
        with pytest.raises(DataError, match=r"another order.*sort_values\('movie_idx'\)"):
            call()
    # the same table put back in order works, with the titles of the right rows
    fixed = movies.sort_values("movie_idx")
    assert find_movie(fixed, "heat") == 1
    assert nearest_movies(x, fixed, 1, k=2)["title"].isin(TITLES).all()


def test_a_filtered_movies_table_is_refused_with_the_min_ratings_hint():
    movies = movies_table(N + 2, titles=[*TITLES, "A", "B"]).iloc[2:]
    with pytest.raises(DataError, match=r"other than 0\.\.6.*min_ratings.*assign\(movie_idx="):
        nearest_movies(embedding(), movies, 0)
    renumbered = movies.reset_index(drop=True).assign(movie_idx=range(N))
    assert len(nearest_movies(embedding(), renumbered, 0, k=2)) == 2


def test_the_models_own_table_sorted_in_place_is_refused_and_an_index_keeps_its_order():
    model = Model()
    index = NeighbourIndex(embedding(), model.movies)
    before = index.nearest(0, k=3)["title"].tolist()
    model.movies.sort_values("title", inplace=True)  # noqa: PD002 (a notebook habit)
    with pytest.raises(DataError, match=r"model\.movies holds the movies in another order"):
        recommend_for_user(model, 0, rated=[], k=2, min_ratings=0)
    assert index.nearest(0, k=3)["title"].tolist() == before  # built before: unaffected


def test_find_movie_and_nearest_movies_agree_on_what_a_movie_index_is():
    movies, x = movies_table(N, titles=TITLES), embedding()
    heat = find_movie(movies, "heat")
    near = nearest_movies(x, movies, heat, k=N - 1)
    assert heat not in near["movie_idx"].tolist()  # the query itself is left out
    assert set(near["movie_idx"]) == set(range(N)) - {heat}


# ---- F4: the ratings table must belong to the model --------------------------------------------


def test_another_datasets_ratings_are_refused_by_their_fingerprint():
    other = own_ratings("ml-100k", "bbbb")
    with pytest.raises(DataError, match=r"'ml-100k'.*trained on 'small'"):
        recommend_for_user(Model(), 0, ratings=other, k=2, min_ratings=0)
    # rows of the model's own data pass (attrs travel through filters)
    mine = own_ratings()
    recs = recommend_for_user(Model(), 0, ratings=mine[mine.rating > 1], k=2, min_ratings=0)
    assert recs.n_rated == 2 and list(recs.top_rated["movie_idx"]) == [0, 3]


def test_ratings_of_more_users_or_movies_than_the_model_knows_are_refused():
    wide = own_ratings().assign(user_idx=np.array([0, 0, 1, 942], dtype=np.int32))
    wide.attrs = {}
    with pytest.raises(DataError, match=r"user_idx 942.*knows 3 users"):
        recommend_for_user(Model(), 0, ratings=wide, k=2, min_ratings=0)
    many = own_ratings().assign(movie_idx=np.array([0, 3, 1, 1681], dtype=np.int32))
    with pytest.raises(DataError, match=r"movie_idx 1681.*other data"):
        recommend_for_user(Model(), 0, ratings=many, k=2, min_ratings=0)
    with pytest.raises(DataError, match=r"movie_idx 1681"):
        top_rated_by_user(many, Model().movies, 1)  # another user's row: still not this data


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("user_idx", ["0", "0", "1", "2"], r"user_idx column holds .* values; it must hold whole"),
        ("user_idx", [0.0, 0.0, 1.0, 2.0], r"user_idx column holds float64"),
        (
            "movie_idx",
            pd.array([0, None, 1, 2], dtype="Int64"),
            r"movie_idx column has 1 missing.*dropna\(subset=\[.movie_idx.\]\)",
        ),
        ("user_idx", [True, True, False, False], r"user_idx column holds bool"),
    ],
)
def test_index_columns_of_another_dtype_are_refused(column, values, message):
    bad = own_ratings().assign(**{column: values})
    with pytest.raises(DataError, match=message):
        recommend_for_user(Model(), 0, ratings=bad, k=2, min_ratings=0)
    with pytest.raises(DataError, match=message):
        ratings_of_user(bad, 0)


def test_nullable_and_categorical_integer_columns_still_work():
    table = own_ratings().astype({"user_idx": "Int64", "movie_idx": "category"})
    recs = recommend_for_user(Model(), 0, ratings=table, k=2, min_ratings=0)
    assert recs.n_rated == 2


def test_the_dataset_itself_is_accepted_and_checked_by_its_fingerprint():
    ds = synthetic_dataset(150, 10, 20, seed=3)
    model = Model()
    model.n_users, model.movies = ds.n_users, movies_table(ds.n_movies, n_ratings=[80] * 20)
    model.scores = np.linspace(1, 5, ds.n_movies).astype(np.float32)
    model.dataset_name, model.dataset_fingerprint = ds.name, ds.fingerprint
    assert ds.ratings.attrs[DATASET_ATTR]["fingerprint"] == ds.fingerprint
    by_ds = recommend_for_user(model, 0, ratings=ds, k=3, min_ratings=0)
    by_table = recommend_for_user(model, 0, ratings=ds.ratings, k=3, min_ratings=0)
    pd.testing.assert_frame_equal(by_ds.top_rated, by_table.top_rated)
    other = synthetic_dataset(150, 10, 20, seed=4)
    for ratings in (other, other.ratings):
        with pytest.raises(DataError, match="other people and other films"):
            recommend_for_user(model, 0, ratings=ratings, k=3, min_ratings=0)
    # a dataset edited, then trained on: its recomputed fingerprint identifies it
    edited = synthetic_dataset(150, 10, 20, seed=3)
    edited.ratings = edited.ratings.iloc[::-1]
    model.dataset_fingerprint = fingerprint(edited.ratings, edited.user_ids, edited.movie_ids)
    assert recommend_for_user(model, 0, ratings=edited, k=3, min_ratings=0).n_rated > 0


def test_an_edited_datasets_own_ratings_carry_its_fingerprint():
    """Recheck N2: ds.edited set its fingerprint after the label was written (''), so its own
    ds.ratings were refused as another dataset's."""
    ds = synthetic_dataset(150, 10, 20, seed=3)
    kept = ds.ratings.copy()
    edited = ds.edited(kept[kept["rating"] >= 2], name="edited")
    assert edited.fingerprint
    assert edited.ratings.attrs[DATASET_ATTR] == {
        "name": "edited",
        "fingerprint": edited.fingerprint,
    }
    model = Model()
    model.n_users, model.movies = ds.n_users, movies_table(ds.n_movies, n_ratings=[80] * 20)
    model.scores = np.linspace(1, 5, ds.n_movies).astype(np.float32)
    model.dataset_name, model.dataset_fingerprint = "edited", edited.fingerprint
    found = recommend_for_user(model, 0, ratings=edited.ratings, k=3, min_ratings=0)
    assert found.n_rated == int((edited.ratings["user_idx"] == 0).sum())


def test_a_shared_ratings_frame_keeps_its_own_datasets_label():
    ds = synthetic_dataset(150, 10, 20, seed=3)
    import dataclasses

    copy = dataclasses.replace(ds, name="copy", fingerprint="ffff")
    assert ds.ratings.attrs[DATASET_ATTR]["name"] == ds.name
    assert copy.ratings.attrs[DATASET_ATTR] == {"name": "copy", "fingerprint": "ffff"}


# ---- F6 / F10: rated= and exclude= ---------------------------------------------------------------


def test_rated_accepts_sets_ranges_arrays_and_whole_floats():
    model = Model()
    expected = recommend_for_user(model, 0, rated=[0, 3], k=2, min_ratings=0).recommended
    for rated in ({0, 3}, (0, 3), np.array([3, 0]), pd.Series([0, 3]), [0.0, 3.0], range(0, 4, 3)):
        got = recommend_for_user(model, 0, rated=rated, k=2, min_ratings=0).recommended
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("rated", "message"),
    [
        ([1.7], r"holds 1\.7, not a whole number"),
        (["Toy Story"], r"'Toy Story', a text.*find_movie\(model\.movies, 'Toy Story'\)"),
        ("Toy Story", r"must be a list of movie_idx numbers \(rows of .*\), got str"),
        ({0: 5.0}, r"got a dict \(pass list\(ratings\) for its movies\)"),
        (pd.DataFrame({"movie_idx": [0]}), r"got a DataFrame \(pass its movie_idx column\)"),
        ([True], r"holds True, not a movie_idx"),
        (pd.Series([0, None], dtype="Int64"), r"missing value"),
        ([None], r"missing value"),
        ([object()], r"object\); pass whole numbers"),
        ([99], r"movie_idx 99, outside 0\.\.6"),
    ],
)
def test_bad_rated_values_say_what_to_pass(rated, message):
    with pytest.raises(DataError, match=message):
        recommend_for_user(Model(), 0, rated=rated, k=2, min_ratings=0)


def test_rank_movies_exclude_is_checked_the_same_way():
    with pytest.raises(DataError, match=r"exclude holds 0\.5"):
        rank_movies(np.arange(N, dtype=float), movies_table(N), exclude=[0.5], k=2)


# ---- F8: recommend_from_ratings takes the natural notebook forms ---------------------------------


def test_fold_in_accepts_a_series_a_list_of_pairs_and_a_table():
    model = FoldModel()
    expected = fold_in(model, {0: 5.0, 10: 1.0}).vector
    for ratings in (
        pd.Series({0: 5.0, 10: 1.0}),
        [(0, 5.0), (10, 1.0)],
        ((0, 5.0), [10, 1.0]),
        pd.DataFrame({"movie_idx": [0, 10], "rating": [5, 1]}),
        pd.DataFrame({"user_idx": [4, 4], "movie_idx": [0, 10], "rating": [5.0, 1.0]}),
    ):
        np.testing.assert_allclose(fold_in(model, ratings).vector, expected, rtol=1e-6)
    recs = recommend_from_ratings(model, pd.Series({0: 5.0, 10: 1.0}), k=3)
    assert not set(recs.recommended["movie_idx"]) & {0, 10}


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({0: True}, r"movie 0 is True, a yes/no"),
        (pd.Series({0: np.True_}), r"a yes/no"),
        ([(0, 5.0), (0, 4.0)], r"Movie\(s\) 0 are rated more than once"),
        ({1, 2}, r"must be a dict .* got set"),
        ([0, 10], r"must be a dict .*list of \(movie_idx, rating\) pairs; got list"),
        (pd.DataFrame({"movie": [0], "rating": [4.0]}), r"lacks the column\(s\) movie_idx"),
        (
            pd.DataFrame({"user_idx": [1, 2], "movie_idx": [0, 1], "rating": [4.0, 3.0]}),
            r"ratings of 2 users",
        ),
        (pd.Series(dtype=float), r"Rate at least one movie"),
        ([], r"Rate at least one movie"),
    ],
)
def test_fold_in_refuses_other_forms_saying_which_to_pass(ratings, message):
    with pytest.raises(DataError, match=message):
        recommend_from_ratings(FoldModel(), ratings, k=3)


# ---- F10: titles and ids of the wrong type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (b"toy story", r"must be text \(str\), got bytes b'toy story'; decode it"),
        (1, r"got the number 1\. A movie_idx needs no search"),
        (None, r"must be text .* got NoneType None"),
    ],
)
def test_find_movie_says_the_query_must_be_text(query, message):
    movies = movies_table(N, titles=TITLES)
    with pytest.raises(DataError, match=message):
        find_movie(movies, query)


def test_user_index_explains_bytes_and_bool_ids():
    ds = synthetic_dataset(150, 10, 20, seed=3)
    first = int(ds.user_ids[0])
    with pytest.raises(KeyError, match=rf"is bytes; pass the id as text or a number.*'{first}'"):
        ds.user_index(str(first).encode())
    with pytest.raises(KeyError, match="is a bool"):
        ds.movie_index(True)
    assert ds.user_index(str(first)) == 0


# ---- the class of F3 in the explore API: keywords that take True or False --------------------


@pytest.mark.parametrize("value", ["no", "False", 0, None])
def test_explore_keywords_that_take_a_bool_refuse_anything_else(value):
    from movierate import scoring
    from movierate.explore import model_map, predict_all, procrustes_alignment

    x, movies = embedding(), movies_table(N, titles=TITLES, n_ratings=[80] * N)
    fold_model = FoldModel()
    fold = fold_in(fold_model, {0: 5.0, 1: 1.0})
    calls = {
        "lowest": lambda: rank_movies(np.arange(N, dtype=float), movies, k=2, lowest=value),
        "scale": lambda: procrustes_alignment(x, movies, x, movies, min_ratings=0, scale=value),
        "clip": lambda: predict_all(fold_model, fold, clip=value),
        "average": lambda: predict_all(fold_model, fold, average=value),
        "use_cache": lambda: model_map(fold_model, use_cache=value),  # checked before any work
    }
    for name, call in calls.items():
        with pytest.raises(DataError, match=f"{name} must be True or False"):
            call()
    with pytest.raises(DataError, match="clip must be True or False"):
        scoring.score_all_movies(
            fold_model.arrays, fold_model.spec, 0, fold_model.rating_scale, clip=value
        )
    # numpy bools still work, and lowest=True gives the lowest scores first
    lowest = rank_movies(np.arange(N, dtype=float), movies, k=2, lowest=np.True_)
    assert lowest["movie_idx"].tolist() == [0, 1]
