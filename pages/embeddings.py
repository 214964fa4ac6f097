"""Embeddings: covariance, principal components, the movie map (t-SNE / UMAP / PCA) with
search, click-to-neighbours and box / lasso selection, norms, export."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from movierate import explore, glossary, schema
from movierate.errors import MovierateError, SpecError
from movierate.explore.validation import counted_ratings, eligible_rows
from movierate.schema import Unread
from movierate.ui import charts, dimensions, figures, maps, shell, state, text, widgets

#: The genre the one-genre colouring starts with (the first the map has): clear clusters.
DEFAULT_GENRES = ("Horror", "Animation", "Documentary", "Drama")
#: The map settings typed as whole numbers: parameter -> the box's label.
WHOLE_MAP_SETTINGS = {"min_ratings": "Min. ratings", "max_iter": "Iterations",
                      "n_neighbors": "Neighbours", "seed": "Seed", "pc_x": "X: component",
                      "pc_y": "Y: component"}  # fmt: skip
#: What the movies lack where a colouring is not offered (:func:`state.colour_options`).
COLOUR_NEEDS = {"one_genre": "genres", "genre": "genres", "year": "release years",
                "popularity": "rating counts", "mean_rating": "ratings",
                "bias": "biases (the model has none)"}  # fmt: skip
#: How many nearest neighbours of the focused movie the map lists and rings at first.
MAP_K_DEFAULT = 10
#: What the mean-rating colouring shows (``movies.parquet``'s ``mean_rating``).
MEAN_RATING_NOTE = (
    "Mean rating: the mean of all of the movie's ratings in the dataset, test rows included "
    "(not only the training rows)."
)


def map_neighbour_count() -> int:
    """How many neighbours the map lists: its Neighbours box's whole number in
    :data:`state.MAP_K`, else (no number yet, or text the box refuses) :data:`MAP_K_DEFAULT`."""
    typed = st.session_state.get("map_k", st.query_params.get("map_k"))
    try:
        value = schema.read_number(str(typed), "Neighbours", lo=state.MAP_K[0], hi=state.MAP_K[1])
    except (SpecError, ValueError):
        return MAP_K_DEFAULT
    return int(value) if float(value).is_integer() else MAP_K_DEFAULT


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Embeddings")
    picker, about = st.columns([1, 2], gap="large", vertical_alignment="bottom")
    with picker:
        model = widgets.pick_models(multi=False)[0]
    model = dimensions.first_k_control(model, key="emb")
    idle = dimensions.idle_embedding_notice(model)  # bad-input round 41, F2
    widgets.explained(
        f"**{text.md(model.name)}**: {text.model_summary(model)}. Each movie is a point in a "
        f"space of {model.dim} dimensions; these views show "
        + ("where its movies sit in that space." if idle else "how the model uses that space."),
        "What embedding and dimension mean",
        glossary.define("embedding", "dimension"),
        where=about,
    )
    idle_note = f" {dimensions.IDLE_CAPTION}" if idle else ""
    if combined := explore.combined_columns_text(model):  # a blend's members, ensemble's seeds
        st.caption(text.md(combined))
    boxes = widgets.verdict_boxes(model)
    widgets.show_verdicts(model, boxes=boxes)  # did each regularizer do what it claims?
    if terms := text.verdict_terms_text([sentence for sentence, _ in boxes]):
        with st.popover("What the verdicts' numbers mean", type="tertiary"):
            st.markdown(terms)  # each term at its first use (views round 39, F4)

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
        counted = counted_ratings(model.movies)
        labels = explore.weighting_labels(counted)
        weighting = widgets.bound_selectbox(
            controls[1],
            "Movie weighting",
            list(explore.WEIGHTINGS),
            key="weighting",
            format_func=labels.get,
            why=f"weighting must be one of {', '.join(labels.values())}",
            help=f"uniform: every movie counts the same. {labels['n_ratings']} / "
            f"{labels['log_n_ratings']}: each movie counts as its number of {counted} (or its "
            "log), so rarely rated movies (pulled to the origin by regularization) matter less.",
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
                f"{text.movies_counted(min_ratings, counted)} "
                f"({text.weighting_text(weighting, counted)}). "
                + explore.matrix_sentence(matrix, kind)
                + idle_note
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
                "(line). " + explore.spectrum_sentence(spectrum) + idle_note
            )
            importance = state.cached(
                explore.model_dimension_importance,
                model,
                min_ratings=min_ratings,
                weighting=weighting,
            )
            st.vega_lite_chart(charts.importance_chart(importance, height=260), key="importance")
            st.caption(
                (
                    "Each embedding dimension's"
                    if idle
                    else "How much each embedding dimension is used: its"
                )
                + " share of the movie variance "
                f"(the movies above, {text.weighting_text(weighting, counted)}), of the user "
                "variance (every user alike) and, for deep models, how strongly the first dense "
                "layer reads it. "
                + explore.unused_dims_sentence(importance, used=not idle)
                + idle_note
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
            "as many of the same movies differ as much." + idle_note
        )
        if short := explore.extremes_note(  # fewer than asked (bad-input round 27, F5)
            extremes, n_components=n_components, n_movies=n_movies
        ):
            st.caption(short)
        widgets.download_table(
            "Download these lists (CSV)",
            lambda: explore.extremes_csv(
                extremes,
                {"model": model.name, "dataset": model.dataset_name, "min_ratings": min_ratings},
                model.movies,
            ),
            explore.table_file_name(explore.file_stem(model), "principal_component_ends"),
            key="pca_csv",
        )
        pool = model.movies.iloc[eligible_rows(model.movies, min_ratings)]
        for component, rows in extremes.groupby("component", sort=True):
            share = float(rows["explained_variance_ratio"].iloc[0])
            st.markdown(f"**Component {component}**: {share:.1%} of the variance")
            contrast = explore.ends_contrast(rows, pool, model.movies)  # training counts
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
                    pin_title=False,  # three short numbers: room for whole titles
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
            "the global layout; its first run in a server compiles code "
            f"({explore.umap_compile_text()}, once). PCA: seconds, "
            "a linear projection onto two directions of large variance (PC1 and PC2 unless "
            "you pick others): spreads along them are kept, local neighbourhoods mostly are "
            "not. The trust line under each map says how many neighbours it kept; a model's "
            "first PCA map waits for it (1.4 s for 25,682 movies on 2 busy cores).",
        )
        params, submitted = map_parameters(method)
        selections = st.session_state.setdefault("map_selection", {})
        isolated = st.session_state.setdefault("map_isolate", {})
        isolated_what = st.session_state.setdefault("map_isolate_what", {})
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
            if problem := explore.model_map_problem(model, method=method, **params):
                st.error(problem, icon=":material/warning:")  # before any Compute map (round 48)
                return
            asked = st.session_state.setdefault("map_asked", set())
            signature = (model.name, method, repr(sorted(params.items())))
            if submitted:
                asked.add(signature)
            ready = (
                method == "pca"
                or bool(isolate_rows)  # asked for by the Isolate button
                or signature in asked
                or maps.map_in_progress(model, method, dict(params))
                or explore.model_map_cached(model, method=method, **dict(params))
            )
            if not ready:
                maps.show_cancelled(model, method, params)  # where the map would have gone
                label = explore.METHOD_LABELS[method]
                st.info(
                    f"Pick the projection and its settings, then press **Compute map**. "
                    f"{label} of this model has not been computed with these settings yet "
                    f"({widgets.map_cost_text(model, method, params)}); it is cached afterwards.",
                    icon=":material/map:",
                )
                link_to_view()
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
            subset = " (only the isolated movies)" if isolate_rows else ""
            seed = f", seed {params['seed']}" if method != "pca" else ""
            unit = (
                "; with the cosine metric, of the vectors scaled to length 1 (directions only)"
                if method == "pca" and params.get("metric", "cosine") == "cosine"
                else ""
            )
            components = tuple(params.get("components", (1, 2)))
            what = (
                text.map_method_text(method)
                if components == (1, 2)
                else text.pca_components_text(*components)
            )
            map_note = f"{what}{unit} ({len(frame):,} movies{subset}{seed}, {source})."
            if cache_note := frame.attrs.get("cache_note"):  # bad-input round 31: optional
                map_note += f" This map {text.md(cache_note)}."
        if (
            method == "tsne"
            and uploaded is None
            and (crowded := explore.perplexity_note(len(frame), params["perplexity"]))
        ):
            st.warning(crowded, icon=":material/blur_circular:")
        if isolate_rows and uploaded is None:
            what = isolated_what.get(base_key) or f"the {len(isolate_rows):,} isolated movies"
            st.warning(
                f"Showing only {text.md(what)}, re-projected alone.",
                icon=":material/filter_center_focus:",
            )
            if st.button("Back to the full map", icon=":material/undo:", key="map_back"):
                isolated.pop(base_key, None)
                isolated_what.pop(base_key, None)
                st.rerun()
        colour, regions_on, query, regex = map_controls(frame)
        if colour.startswith(figures.COLUMN):  # a label column: its values beside the map's
            name = colour.removeprefix(figures.COLUMN)
            picked = model.movies[name].array[frame["movie_idx"].to_numpy()]  # Int64 stays numbers
            frame = frame.assign(**{name: picked})
        searched = True
        try:
            # the title index only for a search: building it took 1.5 s of a saved map's
            # first draw (views round 39, F3)
            matches = (
                widgets.map_matches(
                    explore.title_index(model), query, within=frame["movie_idx"], regex=regex
                )
                if query.strip()
                else widgets.MapMatches([], "contains")
            )
        except MovierateError as exc:  # a bad or stopped regular expression: say what is wrong
            st.warning(text.md(str(exc)), icon=":material/search_off:")
            matches, searched = widgets.MapMatches([], "regex"), False
        map_col, side_col = st.columns([5, 2], gap="medium")
        outside = (  # why a movie is not on this map
            "outside the isolated group"
            if isolate_rows and uploaded is None
            else "too few ratings for the filter"
            if uploaded is None
            else "not in your coordinates"
        )
        with side_col:  # the search's caption and its pick beside the map
            if query.strip() and searched:  # not "no title matches" for a search never run
                st.caption(widgets.map_matches_text(matches, query, outside))
                # a group selection without a pointer: keyboard users could not select one
                # (views round 15), and a search names a group exactly ("Star Wars|Star Trek")
                if (
                    len(matches) > 1
                    and matches.reading != "closest"
                    and st.button(
                        f"Select the {len(matches):,} matches",
                        icon=":material/select_all:",
                        key="map_select_matches",
                        help="Makes every title the search matches on this map the selection, as "
                        "a lasso would: see what they have in common below the map.",
                    )
                ):
                    selections[sel_key] = sorted(matches.rows)
            if colour.startswith(figures.ONE_GENRE):  # the genre drawn (views round 26, M3)
                select_genre(frame, colour.removeprefix(figures.ONE_GENRE), selections, sel_key)
            focus = map_focus(query, matches)
        metric = params.get("metric", "cosine") if uploaded is None else "cosine"
        k = map_neighbour_count()
        tags, tags_note = widgets.dataset_tags(model)
        event = st.session_state.get("tsne_chart")
        dragged = widgets.selected_movies(event)
        last = st.session_state.get("map_last_drag")
        if dragged is not None and dragged != last:  # a new box / lasso: it becomes the selection
            selections[sel_key] = dragged
        st.session_state["map_last_drag"] = dragged
        selected = [m for m in selections.get(sel_key, []) if m is not None]
        with side_col:  # a reload keeps no selection: said beside the map
            widgets.selection_in_link(selections, selected)
        # a map's first draw (its neighbours, regions and figure) is said where the map goes
        # from 0.5 s on: a saved map's page stayed blank for 13 s (views round 39, F3)
        with map_col, st.spinner(maps.loading_text(frame), show_time=True):
            neighbours = None
            if focus is not None and focus in set(frame["movie_idx"]):
                neighbours = explore.neighbour_index(model).nearest(
                    focus, k=k, metric=metric, min_ratings=int(params.get("min_ratings", 0))
                )
            regions = None
            if regions_on:
                regions = widgets.map_regions(frame, tags, model.meta["dataset"].get("name", ""))
            axes = pca_axes(frame) if frame.attrs.get("method") == "pca" else None
            figure = widgets.tsne_figure(
                frame,
                colour,
                focus,
                None if neighbours is None else neighbours["movie_idx"].tolist(),
                matches=matches.rows[: widgets.MAX_RINGS],
                selected=selected,
                regions=regions,
                axes=None if axes is None else axes[:2],
            )
            st.plotly_chart(  # its PNG names model, method and movies (views round 25, F2)
                figures.titled(figure, figures.model_part(model), *explore.map_description(frame)),
                key="tsne_chart",
                on_select="rerun",
                selection_mode=("points", "box", "lasso"),
                config=figures.export_config(
                    model.name, f"map-{frame.attrs.get('method') or 'coordinates'}"
                ),
            )
        with side_col:
            if focus is None:
                st.info(
                    "Find a movie (or click its point) to see its nearest neighbours. Select "
                    "a group of movies to see what they have in common: a search's matches "
                    '(its "Select the matches" button), or a lasso dragged on the map (or the box tool '
                    "above it); on a touch screen, tap the lasso above the map first (a swipe "
                    "scrolls the page).",
                    icon=":material/ads_click:",
                )
            else:
                side_neighbours(focus, neighbours, metric, params, base_key, uploaded is None)
                neighbours_off_map(neighbours, frame, outside)
        sized = pd.to_numeric(frame["n_ratings"], errors="coerce").gt(0).any()
        notes = [
            map_note + idle_note,
            "Point size grows with the number of ratings."
            if sized
            else "Every point has one size: this model has no rating counts.",
        ]
        if colour == "mean_rating":
            notes.append(MEAN_RATING_NOTE)
        if axes is not None:
            notes.append(axes[2])
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
            data=lambda: explore.coordinates_csv(frame, model.movies),
            file_name=f"{explore.file_stem(model)}-{frame.attrs.get('method', 'map')}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        link_to_view(
            isolated=bool(isolate_rows) and uploaded is None,
            selected=bool(selected),
            uploaded=None if uploaded is None else explore.METHOD_LABELS[method],
        )
        if selected:
            selection_panel(
                frame, selected, sel_key, base_key, method, tags, tags_note,
                can_isolate=uploaded is None,
            )  # fmt: skip

    def select_genre(frame, genre: str, selections: dict, sel_key: str) -> None:
        """A button that makes every movie of ``genre`` on the map the selection (then
        Isolate re-projects them): a metadata group, not only a search or a lasso."""
        rows = sorted(int(m) for m in frame.loc[figures.genre_members(frame, genre), "movie_idx"])
        if len(rows) > 1 and st.button(
            widgets.side_button_label(
                f"Select the {len(rows):,} {genre} movies",
                f"Select {len(rows):,} {genre}",
                f"Select all {len(rows):,}",
            ),
            icon=":material/select_all:",
            key="map_select_genre",
            help=f"Makes every {genre} movie on this map the selection: see what they have in "
            "common below the map, or isolate them. A link does not keep a selection; to "
            f"send the group, search genre:{genre} in Find a movie (the link keeps the search).",
        ):
            selections[sel_key] = rows

    def neighbours_off_map(neighbours, frame, outside: str) -> None:
        """Say which listed neighbours the map cannot ring: they are the nearest among all
        the model's movies, and an isolated group or uploaded coordinates may hold none of
        them (views round 26, L2)."""
        if neighbours is None:
            return
        there = neighbours["movie_idx"].isin(frame["movie_idx"])
        if there.all():
            return
        n, ringed = len(neighbours), [str(r) for r in neighbours.loc[there, "rank"]]
        why = "the nearest among all the model's movies, not within the map's"
        if not ringed:
            st.caption(f"None of these {n} is on this map ({outside}), so none is ringed: {why}.")
            return
        numbers = ringed[0] if len(ringed) == 1 else f"{', '.join(ringed[:-1])} and {ringed[-1]}"
        st.caption(
            f"Only number{'s' if len(ringed) > 1 else ''} {numbers} of these {n} "
            f"{'is' if len(ringed) == 1 else 'are'} on this map and ringed; the other "
            f"{n - len(ringed)} are not ({outside}): {why}."
        )

    def side_neighbours(
        focus: int, neighbours, metric: str, params: dict, base_key: str, can_isolate: bool
    ) -> None:
        """The focused movie's nearest neighbours by the map's metric, their random-pair
        reference, how many to show, and the button that isolates them."""
        title = model.movies.loc[focus, "title"]
        st.markdown(f"**Nearest to _{text.heading_text(title)}_** ({metric})")
        if neighbours is None:
            st.caption("This movie is not on the map (too few ratings).")
        else:
            if note := explore.few_ratings_note(model.movies, focus):
                st.caption(note)
            if tie := neighbours.attrs.get("tie_note"):  # a cut tie: bad-input round 48, F1
                st.caption(tie)
            column = "cosine_similarity" if metric == "cosine" else "euclidean_distance"
            # a list, not a table: the side column cut long titles ("Naked Gun 2 1/2: The
            # Smell") at 1440 px (explorer review); each line wraps instead
            st.markdown(
                "\n".join(
                    f"{rank}. `{value:.3f}` {text.md(text.with_year(t, y))}"
                    for rank, value, t, y in zip(
                        neighbours["rank"],
                        neighbours[column],
                        neighbours["title"],
                        neighbours["year"],
                        strict=True,
                    )  # fmt: skip
                )
            )
            measure = "cosine similarity" if metric == "cosine" else "euclidean distance"
            baseline = explore.neighbour_index(model).random_pair_text(
                int(params.get("min_ratings", 0)),
                metric,
                listed=neighbours[column] if metric == "cosine" else None,
            )
            st.caption(f"{baseline} ({measure})." if baseline else f"By {measure}.")
        cols = st.columns([1, 1.4], vertical_alignment="bottom")
        typed = widgets.whole_number_input(  # bad-input round 59, H1 (recheck 10, M1)
            "Neighbours", MAP_K_DEFAULT, where=cols[0], min_value=state.MAP_K[0],
            max_value=state.MAP_K[1], key="map_k", bind="query-params",
            help=f"How many nearest neighbours are listed and ringed ({state.MAP_K[0]} to "
            f"{state.MAP_K[1]}).",
        )  # fmt: skip
        k = map_neighbour_count()
        if widgets.whole_number_or_error(typed, "Neighbours", where=cols[0]) is None:
            cols[0].caption(f"Listing {k} until then.")
        if cols[1].button(
            f"Isolate it and its {int(k)} neighbours",
            icon=":material/filter_center_focus:",
            key="map_isolate_nn",
            disabled=neighbours is None or not can_isolate,
            help="Re-projects only this movie and its nearest neighbours, so their own "
            "structure gets the whole map. 'Back to the full map' returns.",
        ):
            rows = [int(focus), *(int(m) for m in neighbours["movie_idx"])]
            st.session_state["map_isolate"][base_key] = rows
            st.session_state["map_isolate_what"][base_key] = (
                f"{text.with_year(title, model.movies.loc[focus, 'year'])} and its "
                f"{len(rows) - 1} nearest neighbours ({metric})"
            )
            st.rerun()
        st.page_link(
            shell.page("neighbours"),
            label="More on the Neighbours page",
            icon=":material/hub:",
            query_params={"models": model.name, "q": title},
        )

    def pca_axes(frame) -> tuple[str, str, str]:
        """A PCA map's (x title, y title, caption): each component's share of the variance of
        the vectors it projects, and why those shares differ from the Principal components
        tab's."""
        first, second = frame.attrs.get("components", (1, 2))
        shares = frame.attrs.get("shares", [float("nan"), float("nan")])
        cosine = frame.attrs.get("metric", "cosine") == "cosine"
        of = "length-1 vectors" if cosine else "vectors"
        x_title = f"PC{first}: {shares[0]:.1%} of the variance of the {of}"
        y_title = f"PC{second}: {shares[1]:.1%}"
        if cosine:
            raw = explore.pca_shares(
                model.movie_embedding[frame["movie_idx"].to_numpy()], metric="euclidean"
            )
            why = (
                f"The axes' shares are of the movie vectors scaled to length 1 (the cosine "
                f"metric: directions only); the Principal components tab measures the raw "
                f"vectors, where long vectors weigh more: there PC{first} and PC{second} of "
                f"these movies hold {raw[first - 1]:.1%} and {raw[second - 1]:.1%}."
            )
        else:
            why = (
                "The axes' shares are of the raw vectors (the euclidean metric), as in the "
                "Principal components tab (for the same movies)."
            )
        return x_title, y_title, why

    def link_to_view(
        *, isolated: bool = False, selected: bool = False, uploaded: str | None = None
    ) -> None:
        """The link that reopens this view, to copy; says what it cannot hold. ``uploaded``:
        the projection the link opens instead of uploaded coordinates (views round 26, L1)."""
        with st.expander("Link to this view", icon=":material/link:"):
            st.code(view_url(), language=None, wrap_lines=True)
            if uploaded is not None:
                st.caption(
                    "It does not hold your uploaded coordinates: it opens this model's "
                    f"{uploaded} map with the settings above, the colouring, the Regions switch, "
                    "the search and the focused movie"
                    + (", but not the box / lasso selection" if selected else "")
                    + ". Send the CSV too: it loads back under 'Use coordinates computed "
                    "elsewhere'."
                )
                return
            left_out = [
                part
                for part, there in (
                    ("the isolated group", isolated),
                    ("the box / lasso selection", selected),
                )
                if there
            ]
            st.caption(
                "It reopens the model, the projection and its settings, the colouring, the "
                "Regions switch, the search and the focused movie."
                + (f" It does not hold {' or '.join(left_out)}." if left_out else "")
            )

    def map_parameters(method: str) -> tuple[dict, bool]:
        """The form of the chosen projection's settings; (parameters, pressed now)."""
        if method == "pca":
            fit_components_to_model()
        with st.form(f"map_params_{method}", border=False, enter_to_submit=False):
            # two rows of at most four: five controls a row wrapped at 1440 px
            cols = st.columns(4, vertical_alignment="bottom")
            below = st.columns(4, vertical_alignment="bottom")
            params: dict = {"min_ratings": 0}
            if widgets.without_rating_counts([model]):
                cols[0].caption("Min. ratings: off, every movie is used (no rating counts).")
                widgets.say_link_outside(
                    "tsne_min",
                    ["0"],
                    f"{model.name}'s movies have no rating counts, so every movie is used",
                )
            else:
                params["min_ratings"] = widgets.whole_number_input(
                    "Min. ratings",
                    widgets.starting_min_ratings([model], explore.DEFAULT_MIN_RATINGS),
                    where=cols[0],
                    min_value=0,
                    max_value=100_000,
                    key="tsne_min",
                    bind="query-params",
                    help=f"Movies with fewer {counted_ratings(model.movies)} are left out "
                    "(they sit near the origin and add noise).",
                )
            if method == "tsne":
                params["perplexity"] = widgets.decimal_input(  # bad-input round 59, H1
                    "Perplexity", explore.DEFAULT_PERPLEXITY, where=cols[1], min_value=2.0,
                    max_value=200.0, key="perplexity", bind="query-params",
                    help="Roughly how many neighbours each point cares about (2 to 200).",
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
                params["min_dist"] = widgets.decimal_input(
                    "Min. distance", explore.DEFAULT_MIN_DIST, where=cols[2], min_value=0.0,
                    max_value=1.0, key="umap_min_dist", bind="query-params",
                    help="How tightly UMAP may pack points together (0 to 1).",
                )  # fmt: skip
            # a dim-1 model opens on euclidean: its cosine is only a sign (round 48, F1)
            metrics = sorted(explore.METRICS, key=lambda m: model.dim == 1 and m != "euclidean")
            params["metric"] = widgets.bound_selectbox(
                cols[1 if method == "pca" else 3], "Metric", metrics,
                key="tsne_metric", why=f"the metric must be one of {', '.join(explore.METRICS)}",
            )  # fmt: skip
            if method == "pca":  # any two components, as the Projector offers
                top = max(model.dim, 2)
                params["pc_x"] = widgets.whole_number_input(
                    "X: component", 1, where=cols[2], min_value=1, max_value=top, key="pc_x",
                    bind="query-params", help="The principal component along the x axis "
                    "(1 = the direction of largest variance).",
                )  # fmt: skip
                params["pc_y"] = widgets.whole_number_input(
                    "Y: component", 2, where=cols[3], min_value=1, max_value=top, key="pc_y",
                    bind="query-params",
                )  # fmt: skip
            else:
                params["seed"] = widgets.whole_number_input(
                    "Seed", 0, where=below[0], min_value=0, max_value=state.MAX_SEED,
                    key="map_seed", bind="query-params",
                    help="The random start of the layout. Another seed gives another layout "
                    "of the same neighbourhoods: compare two to see which clusters are "
                    "stable. Each seed's map is cached.",
                )  # fmt: skip
            submitted = below[0 if method == "pca" else 1].form_submit_button(
                "Compute map", icon=":material/refresh:", help="The settings apply when pressed."
            )
        for key in ("perplexity", "min_dist"):  # typed as text: a number in range?
            if isinstance(params.get(key), Unread):
                st.error(params[key].problem, icon=":material/warning:")
                st.stop()
        for key, label in WHOLE_MAP_SETTINGS.items():  # typed in float boxes: whole numbers?
            if key in params:
                params[key] = widgets.whole_number_or_error(params[key], label)
                if params[key] is None:
                    st.stop()
        if method == "pca":
            picked = (params.pop("pc_x"), params.pop("pc_y"))
            try:
                params["components"] = explore.check_components(picked, model.dim)
            except MovierateError as exc:
                st.error(str(exc), icon=":material/warning:")
                st.stop()
        return params, submitted

    def fit_components_to_model() -> None:
        """Say a linked component past this model's dimension (the box would drop it unsaid:
        bad-input round 20, F3), and forget one picked for a larger model."""
        top = max(model.dim, 2)
        for key in ("pc_x", "pc_y"):
            held = widgets.held_number(key)  # the box's text (bad-input round 59, H1)
            if held is not None and held > top:  # picked for a larger model or first k
                del st.session_state[key]
                state.set_in_link(key, None)
            linked = st.query_params.get(key)
            if linked is not None and held is None and float(linked) > top:
                state.ignore_from_link(
                    key, linked, f"{model.name} has {top} components, so it must be 1 to {top}"
                )

    def map_controls(frame) -> tuple[str, bool, str, bool]:
        """Colour, region labels and search; returns (colour key, labels on, query, the query
        is a regular expression)."""
        # the Genre box lists every genre of the model's movies, not the map's: its options
        # stay put when Isolate or uploaded coordinates shrink the map, so it keeps showing the
        # genre drawn (views round 26, M2: new options left the browser showing "Horror"
        # while the map coloured Drama)
        genres = figures.map_genres(model.movies)
        # three equal columns, each toggle under its box: four a row wrapped the search to a
        # line of its own (a control column keeps 12 rem)
        controls = st.columns(3)
        has_means = bool(pd.to_numeric(frame["mean_rating"], errors="coerce").notna().any())
        has_counts = not widgets.without_rating_counts([model])
        columns = explore.extra_columns(model.movies)  # an import's own label columns
        options = state.colour_options(
            bool(genres),
            bool(frame["year"].notna().any()),
            has_means,
            has_counts,
            has_bias=bool(frame["bias"].notna().any()),
            columns=columns,
        )
        fit_link_to_options(options, columns)
        own = (
            f" {', '.join(columns)}: the label column{'s' if len(columns) > 1 else ''} this "
            "embedding was imported with (text as categories, numbers on a scale)."
            if columns
            else ""
        )
        mode = controls[0].selectbox(
            "Colour by",
            options,
            format_func=state.colour_label,
            key="colour",
            bind="query-params",
            help="All genres: each movie in the colour of its rarest genre (its most telling "
            "one: Animation rather than Adventure for Toy Story). Mean rating: the mean of "
            f"all its ratings in the dataset, test rows included.{own}",
        )
        colour = mode
        linked_genre = st.query_params.get("map_genre")
        if linked_genre is not None and linked_genre not in genres:
            state.ignore_from_link(
                "map_genre",
                linked_genre,
                f"{model.name}'s movies have no genre {linked_genre!r}"
                if genres
                else f"{model.name}'s movies have no genres",
            )
        if mode == "one_genre":  # offered only where the movies have genres
            default = next((g for g in DEFAULT_GENRES if g in genres), genres[0])
            if st.session_state.get("map_genre") not in (None, *genres):  # another model's
                del st.session_state["map_genre"]
            # the box's own default is the page's: a link leaves out the default only
            # (Drama, the first genre, was left out and the link reopened on Horror)
            genre = controls[1].selectbox(
                "Genre", genres, index=genres.index(default), key="map_genre",
                bind="query-params",
                help="Movies of this genre in its colour (the same on every map), the rest "
                "grey; lines show where the genre concentrates.",
            )  # fmt: skip
            colour = f"{figures.ONE_GENRE}{genre}"
            if not figures.genre_members(frame, genre).any():
                here = figures.map_genres(frame)[:3]
                controls[1].caption(
                    f"None of the {len(frame):,} movies on this map is {text.md(genre)}, so "
                    "every point is grey"
                    + (f"; the most common genres here: {', '.join(here)}." if here else ".")
                )
        else:  # no genre shown: none in the link (bad-input round 20, F4)
            state.set_in_link("map_genre", None)
        # no toggle where the data has nothing to name regions by (no genres, no user tags)
        named = text.region_names(bool(genres), widgets.dataset_tags(model)[0] is not None)
        if not named and (linked_regions := st.query_params.get("map_regions")) is not None:
            state.ignore_from_link(
                "map_regions",
                linked_regions,
                f"{model.name}'s movies have no genres or tags to name regions by",
            )
        regions_on = bool(named) and controls[0].toggle(
            "Regions",
            value=True,
            key="map_regions",
            bind="query-params",
            help=f"Names each dense region by the {named} over-represented in it.",
        )
        with controls[2]:
            query = st.text_input(
                "Find a movie",
                key="q",
                placeholder=text.search_placeholder(model.movies, 1),
                bind="query-params",
                max_chars=state.TEXT_MAX,
                help="Every title on the map that contains the text is ringed (a year at the "
                "end keeps that year's: heat 1995); a /regular expression/ between slashes, "
                "or with the switch below, is matched against the titles, ignoring case. "
                "genre:Horror finds every movie of a genre, year:1995 or year:1990-1999 "
                "every movie of those years; Select the matches then makes them the selection, "
                "and the link keeps the search.",
            )
            regex = st.toggle(
                "Regular expression", key="map_regex", bind="query-params",
                help="Read the search as a Python regular expression (^Toy, Alien.*), as "
                "/^Toy/ between slashes also does.",
            )  # fmt: skip
        return colour, regions_on, query, regex

    def fit_link_to_options(options: list[str], columns: list[str]) -> None:
        """Say a linked colouring this model cannot give (a built-in one its movies lack, or a
        label column it has not: views round 18 dropped ?colour=cluster unsaid), and forget
        one picked for another model, so that the link names the colouring shown (bad-input
        round 20, F3 and F5)."""
        held = st.session_state.get("colour")
        if held is not None and held not in options:  # picked for the model shown before
            del st.session_state["colour"]
            state.set_in_link("colour", None)
            return
        linked = st.query_params.get("colour")
        if not linked:
            return
        label = state.URL_PARAMS["embeddings"]["colour"].label_of(linked)
        if label in {state.colour_label(key) for key in options}:
            return
        fixed = {name: key for key, name in state.COLOUR_LABELS.items()}.get(label)
        if fixed is not None:
            why = f"{model.name}'s movies have no {COLOUR_NEEDS.get(fixed, 'values for it')}"
        elif columns:
            why = (
                f"{model.name}'s movies have no column {linked!r}; the label columns it was "
                f"imported with are {', '.join(columns)}"
            )
        else:
            why = (
                f"{model.name}'s movies have no column {linked!r}: colour is one of "
                f"{', '.join(state.colour_label(key) for key in options)}, or a label column "
                "an embedding was imported with"
            )
        state.ignore_from_link("colour", str(linked), why)

    def selection_panel(
        frame, selected, sel_key, base_key, method, tags, tags_note, *, can_isolate: bool
    ) -> None:
        """What the box / lasso selection holds, with isolate, export and clear."""
        st.header(f"Selection: {len(selected):,} movies", anchor=False)
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
            file_name=f"{explore.file_stem(model)}-selection.csv",
            mime="text/csv",
            icon=":material/download:",
            key="map_selection_csv",
        )
        if buttons[2].button("Clear the selection", icon=":material/close:", key="map_clear"):
            st.session_state["map_selection"][sel_key] = []  # cleared, not lost (the link)
            st.rerun()
        widgets.show_selection(model, frame, on_map, key="map_sel", tags=tags, tags_note=tags_note)

    def map_focus(query: str, matches) -> int | None:
        """The movie the map centres on: the last clicked point or the last searched title
        (among its matches on the map), whichever the user did most recently; else the
        link's ``?focus=`` movie. A click is written to the link as ``?focus=<movie id>``."""
        clicked = widgets.selected_movie(st.session_state.get("tsne_chart"))
        focus_state = st.session_state.setdefault(
            "tsne_focus", {"click": None, "query": query, "by": None}
        )
        if clicked is not None and clicked != focus_state["click"]:
            focus_state["by"] = "click"
        elif query != focus_state["query"]:
            focus_state["by"] = "query"
        focus_state["click"], focus_state["query"] = clicked, query
        if focus_state["by"] == "click" and clicked is not None:
            focus_id = state.id_label(model.movies.loc[clicked, "movie_id"])
            state.set_link({"focus": focus_id, "focus_on": state.data_tag(model)})  # whose id
            return clicked
        if focus_state["by"] is None and not query.strip() and (row := linked_focus()) is not None:
            return row
        # the search (?q=, ?tsne_pick=) names the focus now, or none is
        state.set_link({"focus": None, "focus_on": None})
        if query.strip():
            return widgets.pick_on_map(explore.title_index(model), matches, query, key="tsne_pick")
        return None

    def linked_focus() -> int | None:
        """The row of the link's ``?focus=`` movie, if it names one of this model's data:
        a link whose ``?focus_on=`` names other data (the same model name on another
        dashboard), or an id the data lacks, is said and dropped (bad-input round 20, F2/F3);
        a link without ``focus_on`` (older) is read as this model's data, and so stamped."""
        linked = st.query_params.get("focus")
        if not linked:
            return None
        tag = st.query_params.get("focus_on")
        problem = state.data_tag_problem("focus", tag, model, "a movie")
        row = None if problem else state.movie_row(model, linked)
        if row is None:
            state.ignore_from_link(
                "focus",
                linked,
                problem or f"{model.dataset_name} has no movie with id {linked}",
                also=("focus_on",),
            )
            return None
        state.set_in_link("focus_on", state.data_tag(model))
        return row

    def view_url() -> str:
        """The address of this view: the page's address with its link parameters now."""
        base = str(st.context.url or "").split("?")[0]
        pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
        return f"{base}?{urlencode(pairs)}" if pairs else base

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
        widgets.explained(
            explore.popularity_sentence(
                correlations, model.name, min_ratings, counted_ratings(model.movies)
            ),
            "What norm, bias, Pearson r and Spearman mean",
            glossary.define("norm", "bias", "Pearson r", "Spearman"),
        )
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
        label = "Only movies with at least this many training ratings"  # views round 34, F3
        min_ratings = widgets.whole_number_or_error(
            widgets.whole_number_input(
                label, 0, where=number_col, min_value=0, max_value=100_000,
                key="export_min_ratings",
                help=f"Counts each movie's {counted_ratings(model.movies)}.",
            ),
            label,
        )  # fmt: skip
        if min_ratings is None:
            return
        st.markdown(
            "Load both TSV files at [projector.tensorflow.org](https://projector.tensorflow.org) "
            "(*Load* → vectors, then metadata); word2vec text opens with gensim's "
            "`KeyedVectors.load_word2vec_format(path, binary=False)`. For a notebook, "
            f"`python -m movierate export {getattr(model, 'source_name', '') or model.name} --out "
            "DIR` writes every array the model has, with the user vectors, biases, ids and "
            "split rows of a model trained here."
        )
        st.caption(explore.counts_note(model.movies))
        if note := explore.basis_note(model):
            st.caption(text.md(note))
        cols = st.columns(3)
        cols[0].download_button(
            "Projector vectors (TSV)",
            data=lambda: _projector(min_ratings)[0],
            file_name=f"{explore.file_stem(model)}_vectors.tsv",
            mime="text/tab-separated-values",
            icon=":material/download:",
        )
        cols[1].download_button(
            "Projector metadata (TSV)",
            data=lambda: _projector(min_ratings)[1],
            file_name=f"{explore.file_stem(model)}_metadata.tsv",
            mime="text/tab-separated-values",
            icon=":material/download:",
        )
        cols[2].download_button(
            "word2vec text",
            data=lambda: explore.word2vec_text(
                model.movie_embedding, model.movies, min_ratings=int(min_ratings)
            ),
            file_name=f"{explore.file_stem(model)}.w2v.txt",
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
