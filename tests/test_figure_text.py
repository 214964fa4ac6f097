"""Text from the data (titles, genres, user attributes) shows literally in Plotly legends and
labels: Plotly reads <b>, <i>, <br> and entities in them (bad-input review round 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_explore_helpers import movies_table

from movierate.explore.projection import map_frame

MARKUP = "<i>G</i>"


def _map(n: int = 12) -> pd.DataFrame:
    movies = movies_table(n, titles=[f"<b>t{i}</b>" for i in range(n)], genres=[[MARKUP]] * n)
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    return map_frame(x[:, :2], np.arange(n), x, movies)


def test_genre_legends_show_markup_literally():
    from movierate.ui.figures import one_genre_scatter, tsne_scatter

    names = [t.name for t in tsne_scatter(_map(), "genre").data]
    assert names and all("<i>" not in n for n in names) and any("&lt;i&gt;" in n for n in names)
    names = [t.name for t in one_genre_scatter(_map(), MARKUP).data if t.name]
    assert all("<i>" not in n for n in names) and any("&lt;i&gt;G" in n for n in names)


def test_users_map_categories_are_literal_and_no_template():
    from movierate.ui.explore_figures import users_figure

    frame = pd.DataFrame(
        {
            "x": [0.0, 1.0],
            "y": [0.0, 1.0],
            "user_idx": [0, 1],
            "user_id": [1, 2],
            "n_ratings": [3, 4],
            "mean_rating": [3.0, 4.0],
            "occupation": ["<b>x</b>", "%{y} 100%"],
        }
    )
    fig = users_figure(frame, "occupation", "occupation")
    assert {t.name for t in fig.data} >= {"&lt;b&gt;x&lt;/b&gt;", "%{y} 100%"}
    assert all("%{y}" not in (t.hovertemplate or "") for t in fig.data)


def test_a_finished_training_says_how_it_ended_and_which_epoch_it_kept():
    """Views review round 3: the tiles switched to epoch 5's numbers after 9 of 40 epochs and
    nothing named epoch 5 or the early stop."""
    from movierate.spec import ModelSpec
    from movierate.ui.text import training_ending

    spec = ModelSpec(epochs=40, early_stopping_patience=3)
    assert training_ending(spec, 9, 5) == (  # stopped after patience + 1 stale epochs
        "stopped early at epoch 9 of 40 (4 epochs without a better early-stopping RMSE); "
        "kept epoch 5, the best"
    )
    off = spec.with_(epochs=6, early_stopping_patience=0)
    assert training_ending(off, 6, 6) == "ran all 6 epochs; kept epoch 6"


def test_a_kept_epoch_chosen_after_the_regularizers_settled_says_so():
    """Views round 7: a whitened model said "kept epoch 6, the best" beside a curve lowest at
    epoch 3; only epochs from the one where the regularizers settled (6) may be kept."""
    from movierate.spec import ModelSpec
    from movierate.ui.text import training_ending

    spec = ModelSpec(epochs=10, early_stopping_patience=3)
    stop = [0.9529, 0.909, 0.898, 0.9074, 0.9191, 0.9291, 0.9385, 0.9473, 0.9548, 0.9624]
    assert training_ending(spec, 10, 6, 6, stop) == (
        "ran all 10 epochs; kept epoch 6, the best from epoch 6 on, once the regularizers had "
        "settled (epoch 3's early-stopping RMSE, 0.8980, was lower, before they had)"
    )
    falling = sorted(stop, reverse=True)
    assert training_ending(spec, 10, 10, 2, falling) == (
        "ran all 10 epochs; kept epoch 10, the best from epoch 2 on, once the regularizers had "
        "settled"
    )
    assert training_ending(spec, 10, 10, float("nan"), stop) == (
        "ran all 10 epochs; kept epoch 10, the last: the regularizers never settled, so no "
        "earlier epoch counts"
    )
    assert training_ending(spec, 10, 3, 1, stop) == "ran all 10 epochs; kept epoch 3, the best"


def test_fewer_dimensions_with_a_lower_rmse_are_said():
    """Views round 7: the principal curve dipped below the full model's line at k = 3 of 8,
    and the caption said only how many directions give 95% of the gain."""
    import pandas as pd

    from movierate.ui.text import prefix_below_full_text

    prefix = pd.DataFrame(
        {"k": range(5), "rmse_index": [1.0, 0.95, 0.9, 0.88, 0.87],
         "rmse_pca": [1.0, 0.9, 0.86, 0.865, 0.87]}
    )  # fmt: skip
    assert prefix_below_full_text(prefix) == (
        "On these rows a lower RMSE than with all 4 (0.8700) comes from the first 2 principal "
        "directions (0.8600): there the other dimensions add error."
    )
    assert prefix_below_full_text(prefix.assign(rmse_pca=prefix["rmse_index"])) == ""
    one = prefix.assign(rmse_pca=[1.0, 0.8, 0.86, 0.865, 0.87])
    assert "comes from the first principal direction (0.8000):" in prefix_below_full_text(one)
    close = prefix.assign(rmse_pca=[1.0, 0.9, 0.8698, 0.87, 0.87])  # under 0.0005: not said
    assert prefix_below_full_text(close) == ""
