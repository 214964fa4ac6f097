"""Views round 22 (small screens, the dark theme): Explore's legends under the plot, every
fixed chart colour readable on both themes' pages, Recommend's two tables at 1024 px, the
heatmap's whole colour-scale title, fewer "moved most" labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_cvd_markers import _users
from test_explore_helpers import movies_table
from test_views_round13_phone import map_frame

from movierate.ui import charts, explore_figures, figures


def _pairs(n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two models' common movies in one frame, and the 15 that moved most."""
    rng = np.random.default_rng(0)
    pairs = movies_table(n).assign(
        x_a=rng.normal(size=n), y_a=rng.normal(size=n), x_b=rng.normal(size=n),
        y_b=rng.normal(size=n),
    )  # fmt: skip
    moved = pairs.assign(shift=np.hypot(pairs.x_a - pairs.x_b, pairs.y_a - pairs.y_b))
    return pairs, moved.nlargest(15, "shift")


def _axes(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    groups = np.array(["", "A", "B", "A+B"])[np.arange(n) % 4]
    return movies_table(n).assign(group=groups, x=rng.normal(size=n), y=rng.normal(size=n))


def test_explore_figures_put_their_legend_under_the_plot_as_the_maps_do():
    """F1: the default legend at the right squeezed custom axes to ~50 px on a phone."""
    built = [
        explore_figures.axes_figure(_axes(), "Comedy → Drama", "y"),
        explore_figures.users_figure(_users(["F", "M"], [30, 70]), "occupation", "gender"),
        explore_figures.aligned_figure(*_pairs(), ("A", "B")),
        figures.tsne_scatter(map_frame(), "genre"),
        figures.tsne_scatter(map_frame(), "genre:Horror"),
    ]
    for fig in built:
        legend = fig.layout.legend
        assert legend.orientation == "h" and legend.title.side == "top"
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert built[1].layout.legend.title.text == "gender"  # a title set apart survives


def test_the_heatmap_legend_title_shows_both_ends_of_the_scale():
    """F4: Vega's default 180 px title limit cut "colour scale: −0.00641 to +0.00…"."""
    matrix = pd.DataFrame(np.array([[0.00641, -1.23e-5], [-1.23e-5, 0.002]]))
    for limit in (None, 0.00641, 1.23456e-5):
        spec = charts.heatmap_chart(matrix, title="Covariance", fixed_range=limit)
        colour = spec["encoding"]["color"]
        assert colour["legend"]["titleLimit"] >= 10 * len(colour["title"])  # 13 px text
