"""Bad-input round 49: text at its extremes. Everything round-tripped intact; a very long or
multi-line title took over a heading or the map."""

from __future__ import annotations

import numpy as np
import pandas as pd

from movierate.ui import figures, text

LONG = "A" * 20_000 + " (1999)"


def test_a_found_movies_map_label_is_one_short_line():
    """F2: a 20,000-character title was drawn whole, a band across the map."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "movie_idx": np.arange(5),
            "title": [LONG, "Line one\nLine two", "b", "c", "d"],
            "x": rng.normal(size=5),
            "y": rng.normal(size=5),
        }
    )
    fig = figures.add_map_rings(figures.go.Figure(), frame, 0, matches=[1])
    labels = [a.text for a in fig.layout.annotations]
    assert len(labels) == 2
    assert all(len(label) <= figures.LABEL_CHARS + len("<b></b>") for label in labels)
    assert "<b>Line one Line two</b>" in labels


def test_a_heading_keeps_a_title_on_one_short_line():
    """F1 / F2b: the map's side panel put the whole title in its "Nearest to" line, and a
    newline inside a title ended the Neighbours heading, running the rest into the caption."""
    assert len(text.heading_text(LONG)) == text.HEADING_CHARS + 1
    assert text.heading_text("Line one\nLine two\t(1999)") == "Line one Line two (1999)"
