"""Embeddings: covariance, principal components, t-SNE map with search and click-to-neighbours."""

from __future__ import annotations

import streamlit as st

from movierate import explore
from movierate.ui import figures, shell, state, text, widgets

COLOUR_BY = {
    "genre": "Genre (each movie's rarest)",
    "year": "Release year",
    "popularity": "Popularity (log10 ratings)",
    "norm": "Embedding norm",
    "bias": "Movie bias",
}


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Embeddings")
    picker, about = st.columns([1, 2], gap="large", vertical_alignment="bottom")
    with picker:
        model = widgets.pick_models(multi=False)[0]
    about.caption(
        f"**{model.name}**: {text.model_summary(model)}. Each movie is a point in a "
        f"{model.dim}-dimensional space; these views show how the model uses that space."
    )
    from movierate.explore.verdicts import regularizer_verdicts

    for verdict in regularizer_verdicts(model):  # did each regularizer do what it claims?
        if verdict.kind != "l2":
            (st.success if verdict.achieved else st.warning)(
                verdict.sentence[:1].upper() + verdict.sentence[1:]
            )

    cov_tab, pca_tab, map_tab, pop_tab, export_tab = st.tabs(
        ["Covariance", "Principal components", "t-SNE map", "Norms & popularity", "Export"],
        key="view",
        on_change="rerun",
        bind="query-params",
    )

    def covariance_view() -> None:
        """Heatmap of the dimension covariance (or correlation), eigen-spectrum, dimension use."""
        controls = st.columns(3, gap="large")
        kind = controls[0].segmented_control(
            "Matrix", ["covariance", "correlation"], default="covariance", key="matrix",
            required=True,
        )  # fmt: skip
        weighting = controls[1].selectbox(
            "Movie weighting",
            explore.WEIGHTINGS,
            key="weighting",
            help="Uniform: every movie counts the same. n_ratings / log: popular movies count "
            "more, so rarely rated movies (pulled to the origin by regularization) matter less.",
        )
        min_ratings = controls[2].slider(
            "Only movies with at least this many ratings", 0, 200, 10, key="cov_min_ratings"
        )
        left, right = st.columns([3, 2], gap="large")
        with left:
            matrix = state.cached(
                explore.model_covariance,
                model,
                kind=kind,
                min_ratings=min_ratings,
                weighting=weighting,
            )
            st.plotly_chart(
                figures.heatmap_figure(
                    {model.name: matrix},
                    title=f"{kind.title()} of the {model.dim} dimensions",
                    fixed_range=1.0 if kind == "correlation" else None,
                    height=600,
                ),
                key="cov_heatmap",
            )
            st.caption(
                "Cell (i, j) is how dimensions i and j vary together across movies. Whitening "
                "pushes this towards the identity (equal variance, no correlation); "
                "decorrelation empties the off-diagonal; plain L2 usually leaves a few "
                "dominant, correlated dimensions."
            )
        with right:
            spectrum = state.cached(
                explore.model_eigen_spectrum, model, min_ratings=min_ratings, weighting=weighting
            )
            st.plotly_chart(
                figures.spectrum_figure({model.name: spectrum}, height=300), key="spectrum"
            )
            st.caption(
                "Share of the variance along each principal direction (bars) and cumulative "
                "(line). A steep drop means a few directions carry the signal."
            )
            importance = state.cached(
                explore.model_dimension_importance, model, min_ratings=min_ratings
            )
            st.plotly_chart(figures.importance_figure(importance, height=300), key="importance")
            st.caption(
                "How much each embedding dimension is used: its share of the movie and user "
                "variance and, for deep models, how strongly the first dense layer reads it. "
                "Near-zero bars are dimensions the model does not use."
            )

    def pca_view() -> None:
        """Movies at both ends of each principal component."""
        controls = st.columns(3)
        n_components = controls[0].slider(
            "Components", 1, min(model.dim, 10), min(3, model.dim), key="pca_components"
        )
        n_movies = controls[1].slider("Movies per end", 3, 25, 8, key="pca_movies")
        min_ratings = controls[2].slider(
            "Only movies with at least this many ratings", 1, 300, 20, key="pca_min_ratings"
        )
        with st.spinner("Fitting principal components…"):
            extremes = state.cached(
                explore.model_pca_extremes,
                model,
                n_components=n_components,
                n_movies=n_movies,
                min_ratings=min_ratings,
            )
        st.caption(
            "Principal components are the directions along which movies differ most. The movies "
            "at the two ends of a component show what it encodes (for example arthouse vs. "
            "blockbuster, or old vs. recent)."
        )
        for component, rows in extremes.groupby("component", sort=True):
            share = float(rows["explained_variance_ratio"].iloc[0])
            st.markdown(f"**Component {component}**: {share:.1%} of the variance")
            top, bottom = st.columns(2, gap="large")
            for col, end, label in ((top, "top", "Top end"), (bottom, "bottom", "Bottom end")):
                with col:
                    st.caption(label)
                    widgets.show_movies(
                        rows[rows["end"] == end][
                            ["rank", "title", "score", "n_ratings", "year", "genres"]
                        ],
                        key=f"pca_{component}_{end}",
                    )

    def map_view() -> None:
        """t-SNE scatter: colour, size, search highlight and click-to-neighbours."""
        with st.form("tsne_params", border=False):
            cols = st.columns(5, vertical_alignment="bottom")
            min_ratings = cols[0].number_input(
                "Min. ratings",
                0,
                100_000,
                explore.DEFAULT_MIN_RATINGS,
                key="tsne_min",
                bind="query-params",
                help="Movies with fewer ratings are left out (they sit near the origin and add "
                "noise).",
            )
            perplexity = cols[1].number_input(
                "Perplexity",
                2.0,
                200.0,
                explore.DEFAULT_PERPLEXITY,
                step=5.0,
                key="perplexity",
                bind="query-params",
                help="Roughly how many neighbours each point cares about.",
            )
            max_iter = cols[2].number_input(
                "Iterations",
                250,
                5000,
                explore.DEFAULT_MAX_ITER,
                step=250,
                key="iterations",
                bind="query-params",
            )
            metric = cols[3].selectbox(
                "Metric", explore.METRICS, key="tsne_metric", bind="query-params"
            )
            cols[4].form_submit_button(
                "Compute map", icon=":material/refresh:", help="The parameters apply when pressed."
            )
        with st.expander("Use coordinates computed elsewhere"):
            uploaded = st.file_uploader(
                "CSV with columns movie_id, x, y (e.g. a UMAP made in a notebook, or a map "
                "downloaded here before)",
                type=["csv"],
                key="coords_upload",
            )
        if uploaded is not None:
            frame = explore.read_coordinates(
                uploaded.getvalue(),
                model.movie_embedding,
                model.movies,
                movie_bias=model.movie_bias,
            )
            map_note = (
                f"Your coordinates for {len(frame):,} movies "
                f"({frame.attrs.get('unmatched', 0)} rows with unknown movie ids dropped)."
            )
        else:
            n_points = int((model.movies["n_ratings"] >= min_ratings).sum())
            with st.spinner(
                f"Running t-SNE on {n_points:,} movies (perplexity {perplexity:g}); a few "
                "seconds for a thousand movies, up to a minute for ten thousand. Cached "
                "afterwards."
            ):
                frame = explore.model_tsne_map(
                    model,
                    perplexity=float(perplexity),
                    min_ratings=int(min_ratings),
                    max_iter=int(max_iter),
                    metric=metric,
                )
            seconds = frame.attrs.get("seconds", 0.0)
            source = (
                "loaded from cache"
                if frame.attrs.get("from_cache")
                else f"computed in {seconds:.1f} s"
            )
            map_note = (
                f"t-SNE places movies with similar embedding vectors close together "
                f"({len(frame):,} movies, {source}). Distances between far-apart clusters mean "
                "little in t-SNE; neighbourhoods do."
            )
        controls = st.columns([2, 3])
        colour = controls[0].selectbox(
            "Colour by",
            list(COLOUR_BY),
            format_func=COLOUR_BY.get,
            key="colour",
            bind="query-params",
        )
        query = controls[1].text_input(
            "Find a movie", key="q", placeholder="e.g. toy story", bind="query-params"
        )
        focus = map_focus(query)
        neighbours = None
        if focus is not None:
            neighbours = explore.neighbour_index(model).nearest(
                focus, k=10, metric="cosine", min_ratings=int(min_ratings)
            )
        map_col, side_col = st.columns([5, 2], gap="medium")
        with map_col:
            st.plotly_chart(
                widgets.tsne_figure(
                    frame,
                    colour,
                    focus,
                    None if neighbours is None else neighbours["movie_idx"].tolist(),
                ),
                key="tsne_chart",
                on_select="rerun",
                selection_mode="points",
            )
        with side_col:
            if focus is None:
                st.info(
                    "Click a point (or find a movie) to see its nearest neighbours.",
                    icon=":material/ads_click:",
                )
            else:
                title = model.movies.loc[focus, "title"]
                st.markdown(f"**Nearest to _{title}_** (cosine)")
                labelled = [
                    f"{t} ({text.year_text(y)})"
                    for t, y in zip(neighbours["title"], neighbours["year"], strict=True)
                ]
                widgets.show_movies(
                    neighbours.assign(title=labelled)[["title", "cosine_similarity"]],
                    key="tsne_nn",
                )
                st.page_link(
                    shell.page("neighbours"),
                    label="More on the Neighbours page",
                    icon=":material/hub:",
                    query_params={"models": model.name, "q": title},
                )
        st.caption(f"{map_note} Point size grows with the number of ratings.")
        st.download_button(
            "Download coordinates (CSV)",
            data=lambda: explore.coordinates_csv(frame),
            file_name=f"{model.name}-tsne.csv",
            mime="text/csv",
            icon=":material/download:",
        )

    def map_focus(query: str) -> int | None:
        """The movie the map centres on: the last clicked point or the last searched title,
        whichever the user did most recently."""
        clicked = widgets.selected_movie(st.session_state.get("tsne_chart"))
        focus_state = st.session_state.setdefault(
            "tsne_focus", {"click": None, "query": "", "by": None}
        )
        if clicked is not None and clicked != focus_state["click"]:
            focus_state["by"] = "click"
        elif query != focus_state["query"]:
            focus_state["by"] = "query"
        focus_state["click"], focus_state["query"] = clicked, query
        if focus_state["by"] == "click" and clicked is not None:
            return clicked
        if query:
            return widgets.pick_title(explore.title_index(model), query, key="tsne_pick")
        return None

    def popularity_view() -> None:
        """Embedding norm and movie bias against the number of ratings."""
        slider_col, _ = st.columns([1, 2])
        min_ratings = slider_col.slider(
            "Only movies with at least this many ratings", 0, 100, 1, key="pop_min_ratings"
        )
        frame = state.cached(explore.model_norms_vs_popularity, model, min_ratings=min_ratings)
        left, right = st.columns(2, gap="large")
        left.plotly_chart(figures.popularity_figure(frame, "norm"), key="pop_norm")
        if frame["bias"].notna().any():
            right.plotly_chart(figures.popularity_figure(frame, "bias"), key="pop_bias")
        else:
            right.info("This model has no movie bias.")
        st.caption(
            "Under L2, a movie's vector stays short unless many ratings pull it out, so norm grows "
            "with popularity; the bias absorbs how well liked a movie is. Regularizers that "
            "reshape the space (whitening, adversarial) weaken the norm-popularity link."
        )
        st.dataframe(
            explore.popularity_correlations(frame),
            key="pop_corr",
            column_config={
                "pearson_log_n_ratings": st.column_config.NumberColumn(
                    "Pearson r with log(ratings)", format="%.3f"
                ),
                "spearman_n_ratings": st.column_config.NumberColumn(
                    "Spearman ρ with ratings", format="%.3f"
                ),
                "n_movies": st.column_config.NumberColumn("movies", format="localized"),
            },
        )

    def export_view() -> None:
        """Download the embedding for the Embedding Projector or word2vec tools."""
        number_col, _ = st.columns([1, 2])
        min_ratings = number_col.number_input(
            "Only movies with at least this many ratings", 0, 100_000, 0, key="export_min_ratings"
        )
        st.markdown(
            "Load both TSV files at [projector.tensorflow.org](https://projector.tensorflow.org) "
            "(*Load* → vectors, then metadata); word2vec text opens with gensim's "
            "`KeyedVectors.load_word2vec_format(path, binary=False)`."
        )
        cols = st.columns(3)
        cols[0].download_button(
            "Projector vectors (TSV)",
            data=lambda: _projector(min_ratings)[0],
            file_name=f"{model.name}_vectors.tsv",
            mime="text/tab-separated-values",
            icon=":material/download:",
        )
        cols[1].download_button(
            "Projector metadata (TSV)",
            data=lambda: _projector(min_ratings)[1],
            file_name=f"{model.name}_metadata.tsv",
            mime="text/tab-separated-values",
            icon=":material/download:",
        )
        cols[2].download_button(
            "word2vec text",
            data=lambda: explore.word2vec_text(
                model.movie_embedding, model.movies, min_ratings=int(min_ratings)
            ),
            file_name=f"{model.name}.w2v.txt",
            mime="text/plain",
            icon=":material/download:",
        )

    def _projector(min_ratings: int) -> tuple[str, str]:
        return explore.projector_text(
            model.movie_embedding, model.movies, min_ratings=int(min_ratings)
        )

    VIEWS = (
        (cov_tab, covariance_view),
        (pca_tab, pca_view),
        (map_tab, map_view),
        (pop_tab, popularity_view),
        (export_tab, export_view),
    )
    for tab, view in VIEWS:
        if tab.open:
            with tab:
                view()


shell.require_router()
render()
