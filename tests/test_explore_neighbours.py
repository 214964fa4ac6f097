"""movierate.explore.neighbours: known nearest movies under both metrics, filters, batches."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import NeighbourIndex, nearest_movies, neighbour_index

# Movie 0 points along x. Movie 1 points the same way but far out (cosine's nearest);
# movie 2 is close by but at 45 degrees (euclidean's nearest); movie 3 is opposite.
SPACE = np.array([[1.0, 0.0], [5.0, 0.2], [0.7, 0.7], [-1.0, 0.0], [0.0, 3.0]])


def test_cosine_and_euclidean_disagree_as_planted():
    movies = movies_table(5)
    by_cosine = nearest_movies(SPACE, movies, 0, k=2, metric="cosine")
    by_distance = nearest_movies(SPACE, movies, 0, k=2, metric="euclidean")
    assert list(by_cosine["movie_idx"]) == [1, 2]
    assert list(by_distance["movie_idx"]) == [2, 3]  # the opposite movie is 2 away, movie 1 is 4
    first = by_cosine.iloc[0]
    assert first["cosine_similarity"] == pytest.approx(5 / np.hypot(5, 0.2), abs=1e-6)
    assert first["euclidean_distance"] == pytest.approx(np.hypot(4, 0.2), abs=1e-5)
    assert list(by_cosine["rank"]) == [1, 2]
    assert {"title", "year", "genres", "n_ratings"} <= set(by_cosine.columns)


def test_min_ratings_and_self_exclusion():
    movies = movies_table(5, n_ratings=[50, 3, 50, 50, 50])
    result = nearest_movies(SPACE, movies, 0, k=10, min_ratings=10)
    assert 0 not in set(result["movie_idx"]) and 1 not in set(result["movie_idx"])
    assert len(result) == 3  # only 3 other movies qualify
    assert list(result["movie_idx"])[-1] == 3  # the opposite movie comes last


def test_query_by_vector_for_analogies():
    index = NeighbourIndex(SPACE, movies_table(5))
    result = index.nearest_to_vector(SPACE[4] - SPACE[0] + SPACE[0], k=1, exclude=[4])
    assert result["movie_idx"].iloc[0] == 2


def test_batch_neighbours_match_a_brute_force_search():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    index = NeighbourIndex(x, movies_table(300))
    rows = np.arange(0, 300, 7)
    pool = np.arange(0, 300, 2)
    for metric in ("cosine", "euclidean"):
        got = index.neighbour_rows(rows, k=5, metric=metric, candidates=pool)
        for row, neighbours in zip(rows, got, strict=True):
            if metric == "cosine":
                unit = x / np.linalg.norm(x, axis=1, keepdims=True)
                score = -(unit[pool] @ unit[row])
            else:
                score = np.linalg.norm(x[pool] - x[row], axis=1)
            order = [p for p in pool[np.argsort(score)] if p != row][:5]
            assert list(neighbours) == order


def test_single_queries_agree_with_batch_queries():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 6))
    index = NeighbourIndex(x, movies_table(200))
    batch = index.neighbour_rows(np.arange(200), k=4)
    for row in (0, 57, 199):
        assert list(index.nearest(row, k=4)["movie_idx"]) == list(batch[row])


def test_index_is_built_once_per_model():
    model = SimpleNamespace(movie_embedding=SPACE, movies=movies_table(5))
    first = neighbour_index(model)  # SimpleNamespace cannot be weakly referenced: no memo
    assert isinstance(first, NeighbourIndex)

    class Model:
        movie_embedding = SPACE
        movies = movies_table(5)

    model = Model()
    assert neighbour_index(model) is neighbour_index(model)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"movie_idx": 99}, "Unknown movie"),
        ({"movie_idx": "Toy Story"}, "whole number"),
        ({"movie_idx": 0, "k": 0}, "k must be at least 1"),
        ({"movie_idx": 0, "metric": "manhattan"}, "Unknown metric"),
        ({"movie_idx": 0, "min_ratings": 1000}, "lower the min-ratings"),
    ],
)
def test_bad_queries(kwargs, message):
    with pytest.raises(DataError, match=message):
        nearest_movies(SPACE, movies_table(5), **kwargs)


def test_a_film_listed_under_two_ids_is_not_its_own_neighbour():
    rng = np.random.default_rng(3)
    embedding = rng.normal(size=(6, 4)).astype(np.float32)
    embedding[4] = embedding[1] + 0.01  # row 4: the same film as row 1, under another id
    movies = movies_table(6, n_ratings=[50] * 6)
    movies["identity"] = [f"title:film {i}|2000" for i in (0, 1, 2, 3, 1, 5)]
    movies.loc[4, "title"] = movies.loc[1, "title"]  # written alike (bad-input round 60, F1)
    near = NeighbourIndex(embedding, movies).nearest(1, k=3)
    assert 4 not in set(near["movie_idx"]) and len(near) == 3
    twice = NeighbourIndex(embedding, movies).nearest_to_vector(embedding[1], k=5)
    assert list(twice["movie_idx"]).count(1) + list(twice["movie_idx"]).count(4) == 1


def test_no_movie_left_does_not_ask_to_lower_a_filter_that_is_off():
    """Bad-input round 6: a 3-movie model said 'lower the min-ratings filter' at 1."""
    index = NeighbourIndex(np.eye(3, dtype=np.float32), movies_table(3))
    with pytest.raises(DataError, match="no movie here other than the query"):
        index.nearest_to_vector(np.ones(3), k=2, min_ratings=1, exclude=[0, 1, 2])
    with pytest.raises(DataError, match="lower the min-ratings filter"):
        index.nearest_to_vector(np.ones(3), k=2, min_ratings=10**6)


def test_a_movie_trained_on_few_ratings_gets_a_note_on_its_neighbours():
    """Views review round 3: a movie with 1 training rating got a normal-looking list; the
    ratings filter applies to the neighbours only."""
    from movierate.explore import few_ratings_note

    movies = movies_table(3, n_ratings=[1, 4, 5])
    assert "1 rating:" in few_ratings_note(movies, 0)
    assert "4 ratings" in few_ratings_note(movies, 1)
    assert few_ratings_note(movies, 2) is None
    trained = movies.assign(n_train_ratings=[0, 9, 2])  # training counts win where recorded
    assert "0 training ratings" in few_ratings_note(trained, 0)
    assert few_ratings_note(trained, 1) is None
    assert "2 training ratings" in few_ratings_note(trained, 2)
    assert few_ratings_note(movies.drop(columns="n_ratings"), 0) is None  # imported: unknown
    assert few_ratings_note(movies.assign(n_ratings=0), 0) is None  # imported without counts


def test_random_pairs_give_the_neighbours_a_reference():
    """Views round 4b: a deep model's neighbours scored 0.98 with unrelated films, and nothing
    said that one direction carried 79% of its spread (10% of random pairs passed 0.83)."""
    rng = np.random.default_rng(0)
    n = 400
    movies = movies_table(n, n_ratings=[50] * n)
    median, top = NeighbourIndex(rng.normal(size=(n, 16)), movies).random_pair_cosines()
    assert abs(median) < 0.05 and 0.2 < top < 0.5  # 16 iid dims: sd 0.25, 90% at ~0.32
    line = rng.normal(size=(n, 1)) * np.ones((1, 16)) + 0.1 * rng.normal(size=(n, 16))
    assert NeighbourIndex(line, movies).random_pair_cosines()[1] > 0.9  # one direction
    text = NeighbourIndex(line, movies).random_pair_text()
    assert text.startswith("For reference, random pairs of these movies score")
    assert NeighbourIndex(line, movies).random_pair_text(min_ratings=99) == ""
    uncounted = movies.assign(n_ratings=0)  # an import without counts keeps every movie
    assert NeighbourIndex(line, uncounted).random_pair_cosines(min_ratings=10) is not None
    # views round 9: 4,000 sampled pairs moved the second decimal; up to 3,000 movies every
    # pair counts, so the numbers are exact
    x = rng.normal(size=(n, 16))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    every = (unit @ unit.T)[np.triu_indices(n, k=1)]
    got = NeighbourIndex(x, movies).random_pair_cosines()
    np.testing.assert_allclose(got, np.quantile(every, [0.5, 0.9]), atol=1e-6)
