"""Embeddings: covariance, principal components, the movie map (t-SNE / UMAP / PCA) with
search, click-to-neighbours and box / lasso selection, norms, export."""

from __future__ import annotations

import streamlit as st

from movierate import explore
from movierate.explore.validation import eligible_rows
from movierate.ui import charts, dimensions, figures, maps, shell, state, text, widgets

#: The genre the one-genre colouring starts with (the first the map has): clear clusters.
DEFAULT_GENRES = ("Horror", "Animation", "Documentary", "Drama")
#: The map settings typed as whole numbers: parameter -> the box's label.
WHOLE_MAP_SETTINGS = {"min_ratings": "Min. ratings", "max_iter": "Iterations",
                      "n_neighbors": "Neighbours"}  # fmt: skip


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Embeddings")
    picker, about = st.columns([1, 2], gap="large", vertical_alignment="bottom")
    with picker:
        model = widgets.pick_models(multi=False)[0]
    model = dimensions.first_k_control(model, key="emb")
    about.caption(
        f"**{model.name}**: {text.model_summary(model)}. Each movie is a point in a "
        f"{model.dim}-dimensional space; these views show how the model uses that space."
    )
    widgets.show_verdicts(model)  # did each regularizer do what it claims?

    cov_tab, pca_tab, map_tab, pop_tab, export_tab = st.tabs(
        ["Covariance", "Principal components", "Map", "Norms & popularity", "Export"],
        key="view",
        on_change="rerun",
        bind="query-params",
    )

    def covariance_view() -> None:
        """Heatmap of the dimension covariance (or correlation), eigen-spectrum, dimension use."""
        controls = st.columns([1.3, 1, 1], gap="medium")  # the toggle read "corre" at 1024 px
        kind = controls[0].segmented_control(
            "Matrix", ["covariance", "correlation"], default="covariance", key="matrix",
            required=True, bind="query-params",
        )  # fmt: skip
        weighting = controls[1].selectbox(
            "Movie weighting",
            explore.WEIGHTINGS,
            key="weighting",
            bind="query-params",
            help="Uniform: every movie counts the same. n_ratings / log: popular movies count "
            "more, so rarely rated movies (pulled to the origin by regularization) matter less.",
        )
        min_ratings = widgets.min_ratings_slider(
            [model], "Only movies with at least this many ratings", 0, 200,
            explore.DEFAULT_MIN_RATINGS, key="cov_min_ratings", container=controls[2],
            bind="query-params",
        )  # fmt: skip
        left, right = st.columns([3, 2], gap="large")
        with left:
            matrix = state.cached(
                explore.model_covariance,
                model,
                kind=kind,
                min_ratings=min_ratings,
                weighting=weighting,
            )
            st.vega_lite_chart(
                charts.heatmap_chart(
                    matrix,
                    name=model.name,
                    title=f"{kind.title()} of the {model.dim} dimensions (from 0)",
                    fixed_range=1.0 if kind == "correlation" else None,
                    height=480,
                    width=560,
                ),
                width="stretch",
                key="cov_heatmap",
            )
            st.caption(
                "Cell (i, j) is how dimensions i and j vary together across "
                f"{text.movies_counted(min_ratings)} ({weighting} weighting). "
                + explore.matrix_sentence(matrix, kind)
            )
        with right:
            spectrum = state.cached(
                explore.model_eigen_spectrum, model, min_ratings=min_ratings, weighting=weighting
            )
            st.vega_lite_chart(
                charts.spectrum_chart({model.name: spectrum}, height=280), key="spectrum"
            )
            st.caption(
                "Share of the variance along each principal direction (bars) and cumulative "
                "(line). " + explore.spectrum_sentence(spectrum)
            )
            importance = state.cached(
                explore.model_dimension_importance, model, min_ratings=min_ratings
            )
            st.vega_lite_chart(charts.importance_chart(importance, height=320), key="importance")
            st.caption(
                "How much each embedding dimension is used: its share of the movie and user "
                "variance and, for deep models, how strongly the first dense layer reads it. "
                + explore.unused_dims_sentence(importance)
            )

    def pca_view() -> None:
        """Movies at both ends of each principal component."""
        controls = st.columns(3)
        n_components = widgets.count_slider(
            "Components",
            1,
            min(model.dim, 10),
            3,
            key="pca_components",
            container=controls[0],
            bind="query-params",
        )
        n_movies = controls[1].slider(
            "Movies per end", 3, 25, 8, key="pca_movies", bind="query-params"
        )
        min_ratings = widgets.min_ratings_slider(
            [model], "Only movies with at least this many ratings", 1, 300,
            explore.DEFAULT_MIN_RATINGS, key="pca_min_ratings", container=controls[2],
            bind="query-params",
        )  # fmt: skip
        with st.spinner("Fitting principal components…"):
            extremes = state.cached(
                explore.model_pca_extremes,
                model,
                n_components=n_components,
                n_movies=n_movies,
                min_ratings=min_ratings,
            )
        st.caption(
            "Principal components are the directions along which this model's movies differ "
            "most (among those shown by the filter). Under each one: how the movies listed at "
            "its two ends differ, counted on the lists themselves, and whether random lists of "
            "as many of the same movies differ as much."
        )
        pool = model.movies.iloc[eligible_rows(model.movies, min_ratings)]
        for component, rows in extremes.groupby("component", sort=True):
            share = float(rows["explained_variance_ratio"].iloc[0])
            st.markdown(f"**Component {component}**: {share:.1%} of the variance")
            contrast = explore.ends_contrast(rows, pool)
            if contrast:
                st.caption(text.md(contrast))
            for end, label in (("top", "Top end"), ("bottom", "Bottom end")):
                # one above the other: side by side, neither table had room for its genres
                st.caption(label)
                widgets.show_movies(
                    rows[rows["end"] == end][
                        ["rank", "title", "score", "n_ratings", "year", "genres"]
                    ],
                    key=f"pca_{component}_{end}",
                    wide=True,
                )

    def map_view() -> None:
        """The movie map: projection chosen first, colours, region labels, search highlight,
        click-to-neighbours, box / lasso selection with its panel, isolate and export."""
        method = st.segmented_control(
            "Projection",
            list(explore.METHODS),
            default="tsne",
            format_func=explore.METHOD_LABELS.get,
            key="map_method",
            required=True,
            bind="query-params",
            help="t-SNE: arranges the movies to keep each one's embedding neighbours close "
            "(distances between clusters are not kept). UMAP: the same aim, with more weight on "
            "the global layout; its first run in a process compiles code (~1 min). PCA: instant, "
            "a linear projection onto the two directions of largest variance: spreads along "
            "them are kept, local neighbourhoods mostly are not. The trust line under each map "
            "says how many neighbours it kept.",
        )
        params, submitted = map_parameters(method)
        selections = st.session_state.setdefault("map_selection", {})
        isolated = st.session_state.setdefault("map_isolate", {})
        base_key = f"{model.name}|{method}"
        isolate_rows = isolated.get(base_key)
        sel_key = f"{base_key}|isolated" if isolate_rows else base_key
        with st.expander("Use coordinates computed elsewhere"):
            uploaded = st.file_uploader(
                "CSV with columns movie_id, x, y (e.g. a map made in a notebook, or one "
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
            sel_key = f"{model.name}|upload"
        else:
            if isolate_rows:
                params = {**params, "rows": tuple(isolate_rows)}
            asked = st.session_state.setdefault("map_asked", set())
            signature = (model.name, method, repr(sorted(params.items())))
            if submitted:
                asked.add(signature)
            ready = (
                method == "pca"
                or bool(isolate_rows)  # asked for by the Isolate button
                or signature in asked
                or explore.model_map_cached(model, method=method, **dict(params))
            )
            if not ready:
                label = explore.METHOD_LABELS[method]
                st.info(
                    f"Pick the projection and its settings, then press **Compute map**. "
                    f"{label} of this model has not been computed with these settings yet "
                    f"({widgets.map_cost_text(model, method, params)}); it is cached afterwards.",
                    icon=":material/map:",
                )
                return
            frame = maps.map_or_progress(
                model, method, params, on_cancel=lambda: asked.discard(signature)
            )
            if frame is None:  # still computing: its progress and Cancel are on the page
                return
            seconds = frame.attrs.get("seconds", 0.0)
            source = (
                "loaded from cache"
                if frame.attrs.get("from_cache")
                else f"computed in {seconds:.1f} s"
            )
            subset = " (only the isolated selection)" if isolate_rows else ""
            unit = (
                "; with the cosine metric, of the vectors scaled to length 1 (directions only)"
                if method == "pca" and params.get("metric", "cosine") == "cosine"
                else ""
            )
            map_note = (
                f"{text.map_method_text(method)}{unit} ({len(frame):,} movies{subset}, {source})."
            )
        if (
            method == "tsne"
            and uploaded is None
            and (crowded := explore.perplexity_note(len(frame), params["perplexity"]))
        ):
            st.warning(crowded, icon=":material/blur_circular:")
        if isolate_rows and uploaded is None:
            st.warning(
                f"Showing only the {len(isolate_rows):,} isolated movies, re-projected alone.",
                icon=":material/filter_center_focus:",
            )
            if st.button("Back to the full map", icon=":material/undo:", key="map_back"):
                isolated.pop(base_key, None)
                st.rerun()
        colour, regions_on, query = map_controls(frame)
        focus = map_focus(query)
        neighbours = None
        if focus is not None and focus in set(frame["movie_idx"]):
            neighbours = explore.neighbour_index(model).nearest(
                focus, k=10, metric="cosine", min_ratings=int(params.get("min_ratings", 0))
            )
        matches = widgets.title_matches(
            explore.title_index(model), query, within=frame["movie_idx"]
        )
        regions = None
        tags, tags_note = widgets.dataset_tags(model)
        if regions_on:
            regions = widgets.map_regions(frame, tags, model.meta["dataset"].get("name", ""))
        event = st.session_state.get("tsne_chart")
        dragged = widgets.selected_movies(event)
        last = st.session_state.get("map_last_drag")
        if dragged is not None and dragged != last:  # a new box / lasso: it becomes the selection
            selections[sel_key] = dragged
        st.session_state["map_last_drag"] = dragged
        selected = [m for m in selections.get(sel_key, []) if m is not None]
        map_col, side_col = st.columns([5, 2], gap="medium")
        with map_col:
            st.plotly_chart(
                widgets.tsne_figure(
                    frame,
                    colour,
                    focus,
                    None if neighbours is None else neighbours["movie_idx"].tolist(),
                    matches=matches,
                    selected=selected,
                    regions=regions,
                ),
                key="tsne_chart",
                on_select="rerun",
                selection_mode=("points", "box", "lasso"),
                config={"displaylogo": False},
            )
        with side_col:
            if focus is None:
                st.info(
                    "Click a point (or find a movie) to see its nearest neighbours. Drag a "
                    "lasso (or pick the box tool above the map) to select a group of movies "
                    "and see what they have in common.",
                    icon=":material/ads_click:",
                )
            else:
                title = model.movies.loc[focus, "title"]
                st.markdown(f"**Nearest to _{text.md(title)}_** (cosine)")
                if neighbours is not None:
                    if note := explore.few_ratings_note(model.movies, focus):
                        st.caption(note)
                    labelled = [  # no "(?)" for a movie without a year
                        text.with_year(t, y)
                        for t, y in zip(neighbours["title"], neighbours["year"], strict=True)
                    ]
                    widgets.show_movies(
                        neighbours.assign(title=labelled)[["title", "cosine_similarity"]],
                        key="tsne_nn",
                    )
                else:
                    st.caption("This movie is not on the map (too few ratings).")
                st.page_link(
                    shell.page("neighbours"),
                    label="More on the Neighbours page",
                    icon=":material/hub:",
                    query_params={"models": model.name, "q": title},
                )
            if len(matches) > 1:
                st.caption(
                    f"{len(matches)} titles on the map match {text.md_quoted(query)}; all are ringed and "
                    "labelled in orange."
                )
        notes = [map_note, "Point size grows with the number of ratings."]
        if regions is not None:
            notes.append(
                text.regions_text(
                    bool(figures.map_genres(frame)),
                    tags is not None,
                    explore.quality.REGION_MIN_RATIO,
                )
            )
        st.caption(" ".join(notes))
        if "trust" in frame.attrs:
            st.caption(widgets.trust_text(frame.attrs["trust"]))
        st.download_button(
            "Download coordinates (CSV)",
            data=lambda: explore.coordinates_csv(frame),
            file_name=f"{model.name}-{frame.attrs.get('method', 'map')}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        if selected:
            selection_panel(
                frame, selected, sel_key, base_key, method, tags, tags_note,
                can_isolate=uploaded is None,
            )  # fmt: skip

    def map_parameters(method: str) -> tuple[dict, bool]:
        """The form of the chosen projection's settings; (parameters, pressed now)."""
        with st.form(f"map_params_{method}", border=False, enter_to_submit=False):
            cols = st.columns(5, vertical_alignment="bottom")
            params: dict = {"min_ratings": 0}
            if widgets.without_rating_counts([model]):
                cols[0].caption("Min. ratings: off, every movie is used (no rating counts).")
            else:
                params["min_ratings"] = widgets.whole_number_input(
                    "Min. ratings",
                    widgets.starting_min_ratings([model], explore.DEFAULT_MIN_RATINGS),
                    where=cols[0],
                    min_value=0,
                    max_value=100_000,
                    key="tsne_min",
                    bind="query-params",
                    help="Movies with fewer ratings are left out (they sit near the "
                    "origin and add noise).",
                )
            if method == "tsne":
                params["perplexity"] = float(
                    cols[1].number_input(
                        "Perplexity", 2.0, 200.0, explore.DEFAULT_PERPLEXITY, step=5.0,
                        key="perplexity", bind="query-params", format="%g",
                        help="Roughly how many neighbours each point cares about.",
                    )
                )  # fmt: skip
                params["max_iter"] = widgets.whole_number_input(
                    "Iterations", explore.DEFAULT_MAX_ITER, where=cols[2], min_value=250,
                    max_value=5000, step=250, key="iterations", bind="query-params",
                )  # fmt: skip
            elif method == "umap":
                params["n_neighbors"] = widgets.whole_number_input(
                    "Neighbours", explore.DEFAULT_N_NEIGHBORS, where=cols[1], min_value=2,
                    max_value=200, key="umap_neighbors", bind="query-params",
                    help="How many neighbours shape each point's place: small values keep "
                    "local detail, large ones the overall layout.",
                )  # fmt: skip
                params["min_dist"] = float(
                    cols[2].number_input(
                        "Min. distance", 0.0, 1.0, explore.DEFAULT_MIN_DIST, step=0.05,
                        key="umap_min_dist", bind="query-params",
                        help="How tightly UMAP may pack points together.",
                    )
                )  # fmt: skip
            params["metric"] = cols[1 if method == "pca" else 3].selectbox(
                "Metric", explore.METRICS, key="tsne_metric", bind="query-params"
            )
            submitted = cols[4].form_submit_button(
                "Compute map", icon=":material/refresh:", help="The settings apply when pressed."
            )
        for key, label in WHOLE_MAP_SETTINGS.items():  # typed in float boxes: whole numbers?
            if key in params:
                params[key] = widgets.whole_number_or_error(params[key], label)
                if params[key] is None:
                    st.stop()
        return params, submitted

    def map_controls(frame) -> tuple[str, bool, str]:
        """Colour, region labels and search; returns (colour key, labels on, query)."""
        genres = figures.map_genres(frame)
        controls = st.columns([2, 2, 1.3, 3], vertical_alignment="bottom")
        mode = controls[0].selectbox(
            "Colour by",
            state.colour_options(bool(genres), bool(frame["year"].notna().any())),
            format_func=state.COLOUR_LABELS.get,
            key="colour",
            bind="query-params",
        )
        colour = mode
        if mode == "one_genre":  # offered only where the movies have genres
            default = next((g for g in DEFAULT_GENRES if g in genres), genres[0])
            if st.session_state.get("map_genre") not in genres:
                st.session_state["map_genre"] = default
            genre = controls[1].selectbox(
                "Genre", genres, key="map_genre",
                help="Movies of this genre in its colour (the same on every map), the rest "
                "grey; lines show where the genre concentrates.",
            )  # fmt: skip
            colour = f"{figures.ONE_GENRE}{genre}"
        # no toggle where the data has nothing to name regions by (no genres, no user tags)
        named = text.region_names(bool(genres), widgets.dataset_tags(model)[0] is not None)
        regions_on = bool(named) and controls[2].toggle(
            "Regions",
            value=True,
            key="map_regions",
            help=f"Names each dense region by the {named} over-represented in it.",
        )
        query = controls[3].text_input(
            "Find a movie",
            key="q",
            placeholder=text.search_placeholder(model.movies, 1),
            bind="query-params",
            max_chars=state.TEXT_MAX,
        )
        return colour, regions_on, query

    def selection_panel(
        frame, selected, sel_key, base_key, method, tags, tags_note, *, can_isolate: bool
    ) -> None:
        """What the box / lasso selection holds, with isolate, export and clear."""
        st.subheader(f"Selection: {len(selected):,} movies", anchor=False)
        buttons = st.columns(3)
        if buttons[0].button(
            "Isolate: re-project only these",
            icon=":material/filter_center_focus:",
            key="map_isolate_btn",
            disabled=len(selected) < 5 or not can_isolate,
            help=f"Runs {explore.METHOD_LABELS[method]} on the selection alone, so its inner "
            "structure gets the whole map. 'Back to the full map' returns.",
        ):
            st.session_state["map_isolate"][base_key] = list(selected)
            st.rerun()
        on_map = [m for m in selected if m in set(frame["movie_idx"])]
        coords = frame.set_index("movie_idx").loc[on_map, ["x", "y"]].to_numpy()
        buttons[1].download_button(
            "Download the selection (CSV)",
            data=lambda: explore.selection_csv(model.movies, on_map, coords),
            file_name=f"{model.name}-selection.csv",
            mime="text/csv",
            icon=":material/download:",
            key="map_selection_csv",
        )
        if buttons[2].button("Clear the selection", icon=":material/close:", key="map_clear"):
            st.session_state["map_selection"].pop(sel_key, None)
            st.rerun()
        widgets.show_selection(model, frame, on_map, key="map_sel", tags=tags, tags_note=tags_note)

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
        min_ratings = widgets.min_ratings_slider(
            [model], "Only movies with at least this many ratings", 0, 100,
            explore.DEFAULT_MIN_RATINGS, key="pop_min_ratings", container=slider_col,
        )  # fmt: skip
        frame = state.cached(explore.model_norms_vs_popularity, model, min_ratings=min_ratings)
        left, right = st.columns(2, gap="large")
        left.vega_lite_chart(charts.popularity_chart(frame, "norm"), key="pop_norm")
        if frame["bias"].notna().any():
            right.vega_lite_chart(charts.popularity_chart(frame, "bias"), key="pop_bias")
        else:
            right.info("This model has no movie bias.")
        correlations = explore.popularity_correlations(frame)
        st.caption(explore.popularity_sentence(correlations, model.name, min_ratings))
        widgets.show_table(
            correlations,
            key="pop_corr",
            column_config={
                "pearson_log_n_ratings": st.column_config.NumberColumn(
                    "Pearson r with log(1 + ratings)", format="%.3f"
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
        label = "Only movies with at least this many ratings"
        min_ratings = widgets.whole_number_or_error(
            widgets.whole_number_input(
                label, 0, where=number_col, min_value=0, max_value=100_000,
                key="export_min_ratings",
            ),
            label,
        )  # fmt: skip
        if min_ratings is None:
            return
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
