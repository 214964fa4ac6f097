"""Look inside a model's embeddings with numpy and scikit-learn (never TensorFlow).

Every analysis takes plain arrays and the movies table (``model.movies``: movie_idx, movie_id,
title, year, genres, n_ratings, mean_rating; row i describes embedding row i) and returns a
DataFrame, arrays or a small dataclass of them that a page can plot directly. ``model_*``
wrappers take an :class:`EmbeddingModel` (model.py; a loaded
:class:`movierate.store.TrainedModel` is one). Bad input raises
:class:`movierate.errors.DataError` saying what is wrong and how to fix it.

- covariance: :func:`covariance_matrix`, :func:`correlation_matrix`, :func:`variance_share`,
  :func:`eigen_spectrum`, weighted by :func:`movie_weights` / :func:`user_weights` /
  :func:`count_weights`; :func:`model_covariance`, :func:`model_eigen_spectrum`,
  :func:`model_variance_share`
- pca: :func:`fit_pca`, :func:`pca_extremes`, :func:`model_pca_extremes`, :func:`pca_coordinates`
- projection: :func:`tsne_map`, :func:`model_tsne_map` (cached), :func:`read_coordinates`,
  :func:`coordinates_csv`
- neighbours: :class:`NeighbourIndex`, :func:`neighbour_index`, :func:`nearest_movies`
- search: :class:`TitleIndex`, :func:`title_index`, :func:`search_titles`, :func:`find_movie`
- identity: :func:`matching_row`, :func:`matching_rows`, :func:`movie_match` (the same film in
  another model's movies table, by IMDb id or title and year; memoised per pair of tables)
- recommend: :func:`recommend_for_user`, :func:`rank_movies`, :func:`top_rated_by_user`
- importance: :func:`dimension_importance`, :func:`model_dimension_importance`
- popularity: :func:`norms_vs_popularity`, :func:`popularity_correlations`
- quality: :func:`genre_coherence`, :func:`coherence_by_genre`
- compare: :func:`compare_models`, :func:`neighbour_overlap`, :func:`prediction_agreement`,
  :func:`procrustes_alignment`, :func:`procrustes_overlay`
- penalties: :func:`l2_penalty`, :func:`whitening_penalty`, :func:`decorrelation_penalty`,
  :func:`uniform_ks`, :func:`off_diagonal` (the regularizers' penalties, in numpy)
- export: :func:`projector_text`, :func:`write_projector`, :func:`word2vec_text`,
  :func:`write_word2vec`, :func:`read_word2vec`
"""

from movierate.explore.compare import (
    ModelComparison,
    PredictionAgreement,
    ProcrustesAlignment,
    align_movies,
    compare_models,
    neighbour_overlap,
    prediction_agreement,
    procrustes_alignment,
    procrustes_overlay,
)
from movierate.explore.covariance import (
    WEIGHTINGS,
    correlation_matrix,
    count_weights,
    covariance_matrix,
    eigen_spectrum,
    model_covariance,
    model_eigen_spectrum,
    model_variance_share,
    movie_weights,
    user_weights,
    variance_share,
)
from movierate.explore.export import (
    movie_id_from_token,
    projector_text,
    read_word2vec,
    word2vec_text,
    word2vec_token,
    write_projector,
    write_word2vec,
)
from movierate.explore.identity import matching_row, matching_rows, movie_match
from movierate.explore.importance import dimension_importance, model_dimension_importance
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import (
    METRICS,
    NeighbourIndex,
    nearest_movies,
    neighbour_index,
)
from movierate.explore.pca import (
    PCAResult,
    fit_pca,
    model_pca_extremes,
    pca_coordinates,
    pca_extremes,
)
from movierate.explore.penalties import (
    decorrelation_penalty,
    l2_penalty,
    off_diagonal,
    uniform_ks,
    whitening_penalty,
)
from movierate.explore.popularity import (
    model_norms_vs_popularity,
    norms_vs_popularity,
    popularity_correlations,
)
from movierate.explore.projection import (
    DEFAULT_MAX_ITER,
    DEFAULT_MIN_RATINGS,
    DEFAULT_PERPLEXITY,
    coordinates_csv,
    model_tsne_map,
    read_coordinates,
    tsne_coordinates,
    tsne_map,
)
from movierate.explore.quality import (
    GenreCoherence,
    coherence_by_genre,
    genre_coherence,
    model_genre_coherence,
)
from movierate.explore.recommend import (
    UserRecommendations,
    rank_movies,
    recommend_for_user,
    top_rated_by_user,
)
from movierate.explore.search import TitleIndex, find_movie, search_titles, title_index

__all__ = [
    "DEFAULT_MAX_ITER",
    "DEFAULT_MIN_RATINGS",
    "DEFAULT_PERPLEXITY",
    "METRICS",
    "WEIGHTINGS",
    "EmbeddingModel",
    "GenreCoherence",
    "ModelComparison",
    "NeighbourIndex",
    "PCAResult",
    "PredictionAgreement",
    "ProcrustesAlignment",
    "TitleIndex",
    "UserRecommendations",
    "align_movies",
    "coherence_by_genre",
    "compare_models",
    "coordinates_csv",
    "correlation_matrix",
    "count_weights",
    "covariance_matrix",
    "decorrelation_penalty",
    "dimension_importance",
    "eigen_spectrum",
    "find_movie",
    "fit_pca",
    "genre_coherence",
    "l2_penalty",
    "matching_row",
    "matching_rows",
    "model_dimension_importance",
    "model_genre_coherence",
    "model_norms_vs_popularity",
    "model_tsne_map",
    "movie_id_from_token",
    "movie_match",
    "movie_weights",
    "nearest_movies",
    "neighbour_index",
    "neighbour_overlap",
    "norms_vs_popularity",
    "off_diagonal",
    "pca_coordinates",
    "pca_extremes",
    "popularity_correlations",
    "prediction_agreement",
    "procrustes_alignment",
    "procrustes_overlay",
    "projector_text",
    "rank_movies",
    "read_coordinates",
    "read_word2vec",
    "recommend_for_user",
    "search_titles",
    "title_index",
    "top_rated_by_user",
    "tsne_coordinates",
    "tsne_map",
    "uniform_ks",
    "user_weights",
    "variance_share",
    "whitening_penalty",
    "word2vec_text",
    "word2vec_token",
    "write_projector",
    "write_word2vec",
    "model_covariance",
    "model_eigen_spectrum",
    "model_variance_share",
    "model_pca_extremes",
]
