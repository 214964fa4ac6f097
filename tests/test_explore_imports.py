"""movierate.explore stays light: no TensorFlow, Keras or Streamlit on its code paths."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_explore_never_imports_tensorflow_keras_or_streamlit():
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import pandas as pd
        from movierate import explore
        n = 40
        movies = pd.DataFrame({
            "movie_idx": range(n), "movie_id": range(n), "title": [f"M {i}" for i in range(n)],
            "year": [2000] * n, "genres": [["Drama"]] * n, "n_ratings": [50] * n,
        })
        x = np.random.default_rng(0).normal(size=(n, 4))
        explore.nearest_movies(x, movies, 0)
        explore.search_titles(movies, "m 3")
        explore.tsne_map(x, movies, perplexity=5, max_iter=250)
        explore.genre_coherence(x, movies, k=3)
        explore.pca_extremes(x, movies)
        explore.procrustes_alignment(x, movies, x, movies)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in
                       ("tensorflow", "keras", "streamlit"))
        print(heavy[:5])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
