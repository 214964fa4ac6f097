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
  :func:`model_variance_share`; :func:`matrix_sentence`, :func:`spectrum_sentence` (what a
  shown matrix or spectrum says, in numbers)
- pca: :func:`fit_pca`, :func:`pca_extremes`, :func:`ends_contrast`, :func:`model_pca_extremes`,
  :func:`pca_coordinates`
- projection: :func:`projection_map` / :func:`model_map` (t-SNE, UMAP or PCA, cached with
  trust numbers), :func:`tsne_map`, :func:`model_tsne_map`, :func:`read_coordinates`,
  :func:`coordinates_csv`
- neighbours: :class:`NeighbourIndex`, :func:`neighbour_index`, :func:`nearest_movies`,
  :func:`few_ratings_note`, :func:`rare_neighbours_note`
- search: :class:`TitleIndex`, :func:`title_index`, :func:`search_titles`, :func:`find_movie`
- identity: :func:`matching_row`, :func:`matching_rows`, :func:`movie_match` (the same film in
  another model's movies table, by IMDb id or title and year; memoised per pair of tables),
  :func:`held_by_all` (which films of a list other datasets hold), :func:`matching_films`
  (as matching_rows, one row per film),
  :func:`untitled` (a title that names no film)
- recommend: :func:`recommend_for_user`, :func:`rank_movies`, :func:`top_rated_by_user`
- importance: :func:`dimension_importance`, :func:`model_dimension_importance`
- popularity: :func:`norms_vs_popularity`, :func:`popularity_correlations`,
  :func:`popularity_sentence`
- quality: :func:`genre_coherence`, :func:`coherence_by_genre`, :func:`map_trust` (what a 2-D
  map keeps), :func:`map_regions` (labelled k-means regions of a map)
- compare: :func:`compare_models` (or its parts: :func:`model_neighbour_sets` /
  :func:`model_neighbour_overlap`, :func:`model_prediction_agreement`, :func:`model_procrustes`;
  neighbour searches capped at ``NEIGHBOUR_CAP`` most-rated movies), :func:`neighbour_overlap`,
  :func:`prediction_agreement`, :func:`procrustes_alignment`, :func:`procrustes_overlay`
- penalties: :func:`l2_penalty`, :func:`whitening_penalty`, :func:`decorrelation_penalty`,
  :func:`uniform_ks`, :func:`off_diagonal` (the regularizers' penalties, in numpy)
- export: :func:`projector_text`, :func:`write_projector`, :func:`word2vec_text`,
  :func:`write_word2vec`, :func:`read_word2vec`, :func:`counts_note`, :func:`basis_note`,
  :func:`file_stem` (what an export holds, its file names)
- selection: :func:`describe_selection` (genre enrichment, year / popularity histograms, tags,
  titles of a lasso selection), :func:`selection_csv`
- axes: :func:`direction`, :func:`custom_axes`, :func:`axis_quality` (in-sample and
  leave-one-out ROC AUC), :func:`read_set` / :func:`set_rows` (genre, part of a title,
  /regex/ or titles to rows)
- analogy: :func:`movie_analogy`, :func:`model_movie_analogy` (A - B + C with a caveat when the
  result is mostly A's own neighbours)
- foldin: :func:`fold_in`, :func:`predict_all`, :func:`recommend_from_ratings` ("your own
  ratings" without retraining, mf / mf_bias)
- probes: :func:`linear_probes`, :func:`probe` (cross-validated logistic regression vs the
  majority baseline: genres, decade, user attributes)
- alignment: :func:`align_models`, :func:`model_align` (Procrustes over identity-matched movies,
  one shared 2-D layout, movies that moved most)
- imported: :func:`read_projector_tsv`, :func:`read_word2vec_file`, :func:`read_npy`,
  :func:`movies_like`, :func:`extra_columns` (embeddings made elsewhere, their own label columns)
- combined: :func:`combined_columns_text`, :func:`column_blocks` (a blend's members or a seed
  ensemble's seeds side by side: which columns are which, their share of the vector length)
- users: :func:`users_map` (PCA of the user embedding with activity, mean rating and user
  attributes, for the users map)
"""

from movierate.data.identity import untitled
from movierate.explore.alignment import (
    MOVED_AT_LEAST,
    AlignedLayout,
    align_models,
    displacement_note,
    model_align,
)
from movierate.explore.analogy import AnalogyResult, model_movie_analogy, movie_analogy
from movierate.explore.axes import (
    AxisQuality,
    CustomAxes,
    MovieSet,
    axis_quality,
    custom_axes,
    direction,
    read_set,
    set_rows,
)
from movierate.explore.combined import ColumnBlock, column_blocks, combined_columns_text
from movierate.explore.compare import (
    NEIGHBOUR_CAP,
    ModelComparison,
    NeighbourSets,
    PredictionAgreement,
    ProcrustesAlignment,
    align_movies,
    compare_models,
    model_movie_match,
    model_neighbour_overlap,
    model_neighbour_sets,
    model_prediction_agreement,
    model_procrustes,
    neighbour_overlap,
    neighbour_sets,
    prediction_agreement,
    procrustes_alignment,
    procrustes_overlay,
    renamed_ids_note,
)
from movierate.explore.covariance import (
    WEIGHTINGS,
    correlation_matrix,
    count_weights,
    covariance_matrix,
    eigen_spectrum,
    few_rows_note,
    matrix_sentence,
    model_covariance,
    model_eigen_spectrum,
    model_few_rows_note,
    model_variance_share,
    movie_weights,
    spectrum_sentence,
    user_weights,
    variance_share,
    weighting_labels,
)
from movierate.explore.export import (
    basis_note,
    counts_note,
    file_stem,
    movie_id_from_token,
    projector_text,
    read_word2vec,
    table_csv,
    table_file_name,
    word2vec_text,
    word2vec_token,
    write_projector,
    write_word2vec,
)
from movierate.explore.foldin import (
    FoldIn,
    FoldInRecommendations,
    fold_in,
    predict_all,
    recommend_from_ratings,
)
from movierate.explore.identity import (
    held_by_all,
    matching_films,
    matching_row,
    matching_rows,
    movie_match,
)
from movierate.explore.importance import (
    dimension_importance,
    model_dimension_importance,
    unused_dims_sentence,
)
from movierate.explore.imported import (
    ImportedEmbedding,
    extra_columns,
    movies_like,
    read_npy,
    read_projector_tsv,
    read_word2vec_file,
)
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import (
    METRICS,
    NeighbourIndex,
    few_ratings_note,
    nearest_movies,
    neighbour_index,
    rare_neighbours_note,
)
from movierate.explore.pca import (
    PCAResult,
    ends_contrast,
    extremes_csv,
    extremes_note,
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
    popularity_sentence,
)
from movierate.explore.probes import linear_probes, probe
from movierate.explore.projection import (
    DEFAULT_MAX_ITER,
    DEFAULT_MIN_DIST,
    DEFAULT_MIN_RATINGS,
    DEFAULT_N_NEIGHBORS,
    DEFAULT_PERPLEXITY,
    METHOD_LABELS,
    METHODS,
    MapCancelled,
    check_components,
    coordinates_csv,
    expected_seconds,
    expected_text,
    map_description,
    model_map,
    model_map_cached,
    model_map_problem,
    model_tsne_map,
    movies_text,
    pca_shares,
    perplexity_note,
    projection_map,
    read_coordinates,
    tsne_coordinates,
    tsne_map,
    umap_compile_text,
    umap_is_warm,
)
from movierate.explore.quality import (
    GenreCoherence,
    MapTrust,
    coherence_by_genre,
    genre_coherence,
    map_regions,
    map_trust,
    model_genre_coherence,
)
from movierate.explore.recommend import (
    UserRecommendations,
    rank_movies,
    recommend_for_user,
    top_rated_by_user,
)
from movierate.explore.search import TitleIndex, find_movie, search_titles, title_index
from movierate.explore.selection import (
    SelectionSummary,
    describe_selection,
    genre_enrichment,
    selection_csv,
)
from movierate.explore.users import (
    USER_COLOURS,
    UsersMap,
    rating_activity,
    user_activity,
    users_map,
)

__all__ = [
    "ColumnBlock",
    "column_blocks",
    "combined_columns_text",
    "DEFAULT_MAX_ITER",
    "DEFAULT_MIN_RATINGS",
    "DEFAULT_MIN_DIST",
    "DEFAULT_N_NEIGHBORS",
    "DEFAULT_PERPLEXITY",
    "METHODS",
    "METHOD_LABELS",
    "MapTrust",
    "map_regions",
    "map_trust",
    "expected_seconds",
    "expected_text",
    "MapCancelled",
    "map_description",
    "model_map",
    "model_map_cached",
    "model_map_problem",
    "projection_map",
    "umap_compile_text",
    "umap_is_warm",
    "METRICS",
    "WEIGHTINGS",
    "EmbeddingModel",
    "AlignedLayout",
    "MOVED_AT_LEAST",
    "AnalogyResult",
    "AxisQuality",
    "CustomAxes",
    "MovieSet",
    "FoldIn",
    "FoldInRecommendations",
    "GenreCoherence",
    "ImportedEmbedding",
    "ModelComparison",
    "NEIGHBOUR_CAP",
    "NeighbourSets",
    "NeighbourIndex",
    "PCAResult",
    "PredictionAgreement",
    "ProcrustesAlignment",
    "SelectionSummary",
    "TitleIndex",
    "USER_COLOURS",
    "UserRecommendations",
    "UsersMap",
    "align_models",
    "align_movies",
    "displacement_note",
    "axis_quality",
    "coherence_by_genre",
    "compare_models",
    "model_movie_match",
    "renamed_ids_note",
    "model_neighbour_overlap",
    "model_neighbour_sets",
    "model_prediction_agreement",
    "model_procrustes",
    "coordinates_csv",
    "correlation_matrix",
    "count_weights",
    "covariance_matrix",
    "decorrelation_penalty",
    "custom_axes",
    "describe_selection",
    "dimension_importance",
    "untitled",
    "unused_dims_sentence",
    "direction",
    "eigen_spectrum",
    "find_movie",
    "ends_contrast",
    "extremes_csv",
    "extremes_note",
    "fit_pca",
    "fold_in",
    "genre_coherence",
    "l2_penalty",
    "genre_enrichment",
    "linear_probes",
    "matching_row",
    "matching_rows",
    "held_by_all",
    "matching_films",
    "model_align",
    "model_dimension_importance",
    "model_genre_coherence",
    "model_movie_analogy",
    "model_norms_vs_popularity",
    "model_tsne_map",
    "movies_text",
    "perplexity_note",
    "movie_analogy",
    "movie_id_from_token",
    "movie_match",
    "movie_weights",
    "movies_like",
    "extra_columns",
    "few_ratings_note",
    "rare_neighbours_note",
    "nearest_movies",
    "neighbour_index",
    "neighbour_overlap",
    "neighbour_sets",
    "norms_vs_popularity",
    "off_diagonal",
    "pca_coordinates",
    "pca_extremes",
    "pca_shares",
    "check_components",
    "popularity_correlations",
    "popularity_sentence",
    "predict_all",
    "prediction_agreement",
    "probe",
    "procrustes_alignment",
    "procrustes_overlay",
    "basis_note",
    "counts_note",
    "file_stem",
    "projector_text",
    "rank_movies",
    "read_coordinates",
    "read_npy",
    "read_projector_tsv",
    "read_word2vec",
    "read_word2vec_file",
    "recommend_for_user",
    "recommend_from_ratings",
    "search_titles",
    "selection_csv",
    "read_set",
    "set_rows",
    "title_index",
    "top_rated_by_user",
    "tsne_coordinates",
    "tsne_map",
    "uniform_ks",
    "user_weights",
    "weighting_labels",
    "rating_activity",
    "user_activity",
    "users_map",
    "variance_share",
    "whitening_penalty",
    "table_csv",
    "table_file_name",
    "word2vec_text",
    "word2vec_token",
    "write_projector",
    "write_word2vec",
    "matrix_sentence",
    "few_rows_note",
    "model_few_rows_note",
    "model_covariance",
    "model_eigen_spectrum",
    "spectrum_sentence",
    "model_variance_share",
    "model_pca_extremes",
]
