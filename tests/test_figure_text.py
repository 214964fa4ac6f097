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
         "rmse_pca": [1.0, 0.9, 0.86, 0.865, 0.87],
         "rmse_index_ci95": 0.004, "rmse_pca_ci95": 0.004}
    )  # fmt: skip
    assert prefix_below_full_text(prefix) == (
        "On these rows the first 2 principal directions give a lower RMSE (0.8600) than all 4 "
        "(0.8700): -0.0100 ± 0.0040 (95%, paired by user), beyond the rows' "
        "draw: there the other dimensions add error (though k = 2 was picked as the lowest of "
        "k = 1 to 3 on these same rows, which flatters it)."
    )
    assert prefix_below_full_text(prefix.assign(rmse_pca=prefix["rmse_index"])) == ""
    one = prefix.assign(rmse_pca=[1.0, 0.8, 0.86, 0.865, 0.87])
    assert "the first principal direction gives a lower RMSE (0.8000)" in prefix_below_full_text(
        one
    )
    close = prefix.assign(rmse_pca=[1.0, 0.9, 0.8698, 0.87, 0.87])  # under 0.0005: not said
    assert prefix_below_full_text(close) == ""


def _hovers(fig) -> list[str]:
    """Every point's hover text, as its template fills it from the custom data."""
    out = []
    for trace in fig.data:
        template = trace.hovertemplate or ""
        if "%{customdata[1]}" in template:
            out += [str(c[1]) for c in trace.customdata]
    return out


def test_map_hover_leaves_out_what_a_movie_lacks_and_formats_numbers():
    """Views round 11: a set without years read "year=0" on every point (a missing year
    formatted ':.0f'), "genres=" on an empty line, a blank line after the title and
    "log10 ratings=2.1702617153949575"."""
    from movierate.ui.figures import one_genre_scatter, tsne_scatter

    frame = _map(6)
    frame["year"] = pd.array([None, 1995, None, 2001, None, None], dtype="Int64")
    frame["genres"] = [[], [MARKUP], [], [MARKUP], [], []]
    frame["n_ratings"] = [147, 3, 9, 10, 11, 12]
    for colour in ("popularity", "bias", "norm", "year", "genre"):
        hovers = _hovers(tsne_scatter(frame, colour))
        assert len(hovers) == 6, colour
        assert not [h for h in hovers if "<br><br>" in h or h.endswith("<br>")], colour
        assert not [h for h in hovers if "(0)" in h or "year=" in h or "genres=" in h]
    hovers = _hovers(tsne_scatter(frame, "popularity"))
    assert hovers[0].startswith("<b>&lt;b&gt;t0&lt;/b&gt;</b><br>147 ratings<br>norm ")
    assert hovers[0].endswith("<br>log10 ratings 2.17")  # log10(1 + 147), 2 decimals
    assert hovers[1].startswith("<b>&lt;b&gt;t1&lt;/b&gt; (1995)</b><br>&lt;i&gt;G&lt;/i&gt;<br>")
    hovers = _hovers(one_genre_scatter(frame, MARKUP))
    assert len(hovers) == 6 and not [h for h in hovers if "?" in h or "<br><br>" in h]


def test_explore_and_users_hovers_show_no_missing_value_as_a_number():
    from movierate.ui.explore_figures import _hover, users_figure

    movies = movies_table(2, years=[None, 1999], genres=[[], ["Drama"]])
    assert _hover(movies) == [
        "<b>Movie 0</b><br>50 ratings",
        "<b>Movie 1 (1999)</b><br>Drama<br>50 ratings",
    ]
    users = pd.DataFrame(
        {"x": [0.0, 1.0], "y": [0.0, 1.0], "user_idx": [0, 1], "user_id": [1, 2],
         "n_ratings": [3, 4], "mean_rating": [np.nan, 4.0]}
    )  # fmt: skip
    texts = [t for trace in users_figure(users, "n_ratings", "ratings").data for t in trace.text]
    assert sorted(texts) == ["user 1<br>3 ratings", "user 2<br>4 ratings, mean 4.00"]


def test_popularity_tooltip_has_no_year_or_genres_a_movie_lacks():
    """Vega formats a missing year with "d" as 0: the year goes with the title instead."""
    from movierate.ui import charts

    frame = pd.DataFrame(
        {"log_n_ratings": [1.0, 2.0], "norm": [1.0, 2.0], "title": ["A", "B"],
         "year": pd.array([None, 2001], dtype="Int64"), "n_ratings": [9, 99],
         "genres": [[], []]}
    )  # fmt: skip
    spec = charts.popularity_chart(frame, "norm")
    fields = [t["field"] for t in spec["encoding"]["tooltip"]]
    assert fields == ["title", "n_ratings", "norm"]
    assert [r["title"] for r in spec["data"]["values"]] == ["A", "B (2001)"]
    frame["genres"] = [["Drama"], []]
    spec = charts.popularity_chart(frame, "norm")
    assert "genres" in [t["field"] for t in spec["encoding"]["tooltip"]]
    assert [r["genres"] for r in spec["data"]["values"]] == ["Drama", "(none)"]


def test_search_examples_come_from_the_models_own_plain_titles():
    """Views round 11: placeholders suggested "toy story, matrix, amelie" on a user's own file;
    examples are its most-rated titles as typed, skipping markup and emoji titles."""
    from movierate.ui.text import region_names, regions_text, search_placeholder

    movies = movies_table(
        5, titles=["=1+2", "Matrix, The", "**bold** 1", "Film 7 🎥", "Amélie"],
        n_ratings=[900, 800, 700, 600, 500],
    )  # fmt: skip
    assert search_placeholder(movies) == "e.g. matrix, amélie"
    assert search_placeholder(movies.iloc[[0, 2]]) == "part of a title"
    assert regions_text(False, False, 1.5) == "" and region_names(False, True) == "user tags"
    assert "genres at least 1.5x" in regions_text(True, True, 1.5)
    assert "Holm" not in regions_text(False, True, 1.5)
