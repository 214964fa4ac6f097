"""Accuracy round 45 (every explanation recomputed): wording that said more than the numbers
hold. F1: Rate movies' 'because' push was "how much they raised its score"; F2: a region only
user tags set apart was never labelled and the caption gave tags the genres' threshold; F3:
"You among the users" counted training rows as "ratings"; F4: a PCA end's genre gap named one
genre of a tie, the first alphabetically.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from movierate import store
from movierate.explore import quality
from movierate.explore.foldin import recommend_from_ratings
from movierate.explore.pca import ends_contrast
from movierate.explore.users import USER_COLOURS
from movierate.ui.figures import add_map_rings
from movierate.ui.text import regions_text
from movierate.ui.your_ratings import you_among_users_text


def test_because_is_called_the_taste_push_not_the_ratings_whole_effect(trained_home):
    model = store.load_model("small-mf")
    ratings = {i: float(r) for i, r in enumerate([5, 1, 4.5, 1, 5, 2, 4, 1, 5, 0.5, 3, 5])}
    message = recommend_from_ratings(model, ratings, k=10).message
    assert "'because' names" in message
    assert "raised its score" not in message and "level" in message


def test_a_region_only_tags_set_apart_is_labelled():
    frame = pd.DataFrame({"movie_idx": [0, 1], "x": [0.0, 1.0], "y": [0.0, 1.0]})
    regions = pd.DataFrame(
        {"x": [0.5, 0.2], "y": [0.5, 0.1], "label": ["", ""], "tags": [["atmospheric"], []]}
    )
    fig = add_map_rings(go.Figure(), frame, None, regions=regions)
    texts = [a.text for a in fig.layout.annotations]
    assert texts == ["<i>atmospheric</i>"]


def test_the_caption_gives_tags_their_own_threshold():
    both = regions_text(True, True, quality.REGION_MIN_RATIO)
    tags = f"user tags at least {quality.REGION_MIN_TAG_RATIO:g}x"
    assert tags in both and f"on at least {quality.REGION_MIN_TAG_MOVIES} of its movies" in both
    assert f"genres at least {quality.REGION_MIN_RATIO:g}x" in both
    assert tags in regions_text(False, True, quality.REGION_MIN_RATIO)


def test_you_among_users_says_training_ratings():
    users = pd.DataFrame(
        {"x": np.linspace(-1, 1, 5), "y": np.zeros(5), "n_ratings": [5, 6, 7, 8, 9]}
    )
    said = you_among_users_text(users, (0.0, 0.0))
    assert "median of 7 training ratings (all users: 7)" in said
    assert USER_COLOURS["n_ratings"].startswith("training ratings")


def test_a_tied_genre_gap_names_every_tied_genre():
    rows = pd.DataFrame(
        {
            "end": ["top"] * 4 + ["bottom"] * 4,
            "genres": ["Adventure|Drama", "Adventure|Drama", "Drama", "Comedy"]
            + ["Drama", "Comedy", "Comedy", "Comedy"],
        }
    )
    said = ends_contrast(rows)  # Adventure 2 vs 0, Comedy 1 vs 3, Drama 3 vs 1: all differ by 2
    assert said.startswith(
        "Adventure: 2 of 4 at the top end, 0 of 4 at the bottom end, a gap as large as "
        "Comedy at 1 vs 3, Drama at 3 vs 1"
    )


def test_principal_directions_gain_is_measured_from_the_as_trained_start():
    """F5: deep's principal k = 0 (vectors at their mean) is another point than the as-trained
    k = 0 (vectors zeroed); "13 dims as trained, 2 principal" set gains of two starts side by side."""
    from movierate.explore import ordering
    from tests.test_explore_dimensions import _model, _rows

    rng = np.random.default_rng(14)
    model = _model(rng, family="deep", scales=(2.0, 1.0, 0.5, 0.25, 0.2, 0.1))
    model.arrays["user_embedding"] += 1.5  # far from 0 on average: the two k = 0 points differ
    model.arrays["movie_embedding"] -= 1.0
    report = ordering.dimension_report(model, *_rows(model, rng))
    index, pca = report.prefix["rmse_index"].to_numpy(), report.prefix["rmse_pca"].to_numpy()
    assert abs(pca[0] - index[0]) > 0.1
    goal = index[0] - ordering.GAIN_SHARE * (index[0] - index[-1])
    assert report.k_pca == int(np.flatnonzero(pca[1:] <= goal)[0]) + 1
    assert report.k_pca != int(np.flatnonzero(pca - pca[-1] <= 0.05 * (pca[0] - pca[-1]))[0])
