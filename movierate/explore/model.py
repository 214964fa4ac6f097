"""What the analyses need from a model: the :class:`EmbeddingModel` protocol.

:class:`movierate.store.TrainedModel` satisfies it, and so does any object with these
attributes (the regularizer study's in-memory models, tests' small fakes, which may carry only
the attributes the function they call reads). Typing only: nothing here is checked at run time,
and the analyses never import the store or TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd


class EmbeddingModel(Protocol):
    """A trained model seen as numpy arrays plus its movies table."""

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> Any:
        """The ModelSpec (``family``, ``output``, ``dim`` ...)."""

    @property
    def dataset_name(self) -> str: ...

    @property
    def arrays(self) -> Mapping[str, np.ndarray]:
        """The embeddings.npz arrays (see docs/architecture.md, "The model store")."""

    @property
    def movies(self) -> pd.DataFrame:
        """Row i describes movie i (``movierate.data.movies.MOVIE_COLUMNS``)."""

    @property
    def movie_embedding(self) -> np.ndarray: ...

    @property
    def user_embedding(self) -> np.ndarray: ...

    @property
    def movie_bias(self) -> np.ndarray | None: ...

    @property
    def user_bias(self) -> np.ndarray | None: ...

    @property
    def n_users(self) -> int: ...

    @property
    def n_movies(self) -> int: ...

    def predict(self, user_idx: Any, movie_idx: Any) -> np.ndarray:
        """Predicted ratings on the original scale for (user, movie) index pairs."""

    def score_all_movies(self, user_idx: int, *, clip: bool = True) -> np.ndarray:
        """Predicted rating of every movie for one user (``clip=False``: the order to rank by,
        before a clipped output's clip)."""

    def cache_path(self, key: str) -> Path:
        """Where to cache an analysis of this model (a file the caller writes atomically)."""
