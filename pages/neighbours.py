"""Neighbours: the movies closest to one movie, in several models side by side."""

from __future__ import annotations

from typing import Any

import streamlit as st

from movierate import explore, paired
from movierate.explore.validation import filter_counts
from movierate.imported_models import is_imported
from movierate.ui import dimensions, explore_views, shell, state, text, widgets

#: The Min. ratings control's top.
MOST_RATINGS = 200


def _use_example(index: Any) -> None:
    """Open the picked example (a movie_idx) in the title box and the pick box (and so in the
    link): the very movie clicked, also where others share its title."""
    row = st.session_state.pop("example", None)
    if row is not None:
        widgets.preset_title(index, int(row), query_key="q", key="candidate")


def _ratings_fact(model: Any, row: int) -> str:
    """``"23 ratings, mfb16 trained on 19"``: the movie's ratings in the dataset (test rows
    included) and, where it differs, how many the model trained on (what Min. ratings counts:
    accuracy round 18)."""
    movies = model.movies
    n = movies["n_ratings"].iloc[row]
    trained = int(filter_counts(movies)[row])
    if trained == int(n):
        return text.ratings_text(n)
    return f"{text.ratings_text(n)}, {text.md(model.name)} trained on {trained:,}"


def _list_csv(model: Any, found: Any, movie: str, metric: str, min_ratings: int) -> Any:
    """The CSV text of ``model``'s neighbours of ``movie`` (for a download), with what the
    list is of (views round 25, F1)."""
    context = {"model": model.name, "dataset": model.dataset_name, "neighbours_of": movie,
               "metric": metric, "min_ratings": min_ratings}  # fmt: skip
    named = found.rename(columns={"shared": "in_every_models_list"})
    return lambda: explore.table_csv(named, context, model.movies)


def _ranks_elsewhere(
    model: Any, found: Any, others: list[tuple[Any, int]], metric: str, min_ratings: int, movie: str
) -> tuple[Any, dict[str, Any]]:
    """``found`` with each neighbour's rank and score in each other model's whole list of the
    same film (``others``: (model, its row of the film)), under the same filter and metric,
    and the column settings saying so (views round 26: was B's #1 A's #11 or #900?)."""
    value = "cosine_similarity" if metric == "cosine" else "euclidean_distance"
    columns: dict[str, Any] = {}
    config: dict[str, Any] = {}
    for other, row in others:
        rows = explore.matching_rows(model.movies, found["movie_idx"], other.movies)
        where = explore.neighbour_index(other).ranks_in_list(
            row, rows, metric=metric, min_ratings=min_ratings
        )
        name = other.name
        rank, score = f"rank_in_{name}", f"{value}_in_{name}"
        columns[rank], columns[score] = where["rank"].to_numpy(), where["value"].to_numpy()
        filtered = f" or it has fewer than {min_ratings} ratings among those {name} trained on"
        blank = f"Blank: {name} does not know the film{filtered if min_ratings else ''}."
        config[rank] = st.column_config.NumberColumn(
            f"# in {name}",
            help=f"This film's rank in {name}'s list of neighbours of {text.md(movie)}, counted "
            f"over all of {name}'s movies with the same Min. ratings and metric (1: its "
            f"nearest; 11: just outside a top 10). {blank}",
            width=64,
        )
        config[score] = st.column_config.NumberColumn(
            f"{'cosine' if metric == 'cosine' else 'distance'} in {name}",
            help=f"This film's {metric.replace('cosine', 'cosine similarity')} to "
            f"{text.md(movie)} in {name}'s space. {blank}",
            format="%.3f",
            width=92,
        )
    return found.assign(**columns), config


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Neighbours")
    st.caption(
        "Movies whose embedding vectors are closest to the one you pick, in each model you "
        "choose, side by side; 'in all' ticks the films every chosen model lists."
    )
    models = widgets.pick_models(multi=True, default_count=2)
    if not models:
        st.info("Pick at least one model above.", icon=":material/touch_app:")
        st.stop()
    models = dimensions.first_k_controls(models, key="nb")
    for model in models:  # neighbours in an embedding that does nothing (bad-input round 41)
        dimensions.idle_embedding_notice(model, named=len(models) > 1)

    # the title box on its own row: four controls in one row cut the metric control to
    # "cosine | eu…" at 1024 px (views round 10)
    query = st.text_input(
        "Movie title",
        key="q",
        placeholder=text.search_placeholder(models[0].movies),
        bind="query-params",
        max_chars=state.TEXT_MAX,
        help="Typos, missing articles and accents are fine; add the year if several match.",
    )
    metric_col, k_col, min_col = st.columns([1.6, 1.2, 1.2], gap="medium")
    metric = metric_col.segmented_control(
        "Metric",
        explore.METRICS,
        default="cosine",
        required=True,
        key="metric",
        bind="query-params",
        help="Cosine compares directions only; euclidean also counts each vector's length "
        "(its norm: how much the movie's predicted ratings differ from user to user; often, not "
        "always, longer for much-rated movies).",
    )
    if (legacy := st.query_params.get("k")) is not None:  # links before views round 21
        state.set_link({"k": None, **({} if "n" in st.query_params else {"n": legacy})})
    # its own key: Recommend's and Rate's "k" (how many recommendations) took this slider's
    # value when the user moved between pages (views round 21: 49 recommendations)
    k = k_col.slider("How many", 1, 100, 10, key="n", bind="query-params")  # state.NEIGHBOURS_K
    min_ratings = widgets.min_ratings_slider(
        models,
        "Min. ratings",
        0,
        MOST_RATINGS,
        10,
        key="min_ratings",
        container=min_col,
        bind="query-params",
        help="Leave out movies with fewer ratings than this among those the model trained on "
        "(each model counts its own training rows; test rows do not count): their vectors are "
        "mostly noise.",
    )

    reference = models[0]
    if not query:
        movies = reference.movies
        if widgets.without_rating_counts([reference]):  # no counts: not "most rated" (round 39)
            st.markdown("**Try one of these movies:**")
            popular = list(range(min(8, len(movies))))
        else:
            st.markdown("**Try one of the most rated movies:**")
            popular = [movies.index.get_loc(i) for i in movies.nlargest(8, "n_ratings").index]
        labels = dict(
            zip(popular, widgets.distinct_labels(movies, popular, counts=None), strict=True)
        )
        st.pills(
            "Examples",
            popular,  # movies, not titles: two films of one title are two pills (fuzz 41, F3)
            key="example",
            label_visibility="collapsed",
            format_func=lambda row: text.md(labels[row]),
            # a callback: the title box exists by now, so its value can only be set before the
            # next run (setting it here raised StreamlitWidgetAlreadyInstantiatedError, views 4b)
            on_change=_use_example,
            args=(explore.title_index(reference),),
        )
        st.stop()

    movie_idx = widgets.pick_title(explore.title_index(reference), query, key="candidate")
    if movie_idx is None:
        st.stop()
    movie = reference.movies.loc[movie_idx]
    across = any(not state.same_data(m, reference) for m in models[1:])
    facts = [text.md(text.genres_text(movie["genres"]))]
    if not widgets.without_rating_counts([reference]):  # imported without counts: unknown
        facts += [
            _ratings_fact(reference, movie_idx),
            f"mean {float(movie['mean_rating']):.2f}",
        ]
    facts = [fact for fact in facts if fact]
    if across and facts:  # views round 12: another dataset's counts differ, so say whose
        facts[0] = f"In {text.md(reference.dataset_name)}: {facts[0]}"
    st.markdown(  # no leading "·" for a dataset without genres (views round 9)
        f"## {text.heading_text(text.with_year(movie['title'], movie['year']))}\n"
        + " · ".join(facts)
    )

    value = "cosine_similarity" if metric == "cosine" else "euclidean_distance"
    results: dict[str, object] = {}
    for model in models:
        # the same film in this model's own movies table: by identity (IMDb id, else title and
        # year), never by raw movie_id, which means another film in another dataset
        row = explore.matching_row(reference.movies, movie_idx, model.movies)
        if row is None:
            results[model.name] = None
            continue
        found = explore.neighbour_index(model).nearest(
            row, k=k, metric=metric, min_ratings=min_ratings
        )
        # each neighbour as a row of the reference model's table (-1: the reference lacks it),
        # one row per film: a film the reference lists twice is one film in every list
        # (accuracy round 49, F0: Fly Away Home 500 in k16's list, its twin in ls16's)
        found["film"] = explore.matching_films(model.movies, found["movie_idx"], reference.movies)
        # which of them every other model's dataset holds: only those can be 'in all'
        others = [o.movies for o in models if not state.same_data(o, model)]
        found["held"] = explore.held_by_all(model.movies, found["movie_idx"], others)
        results[model.name] = (row, found)
    # a model that lacks the movie has no list: nothing is in all of them
    lacking = [name for name, r in results.items() if r is None]
    found_lists = [set(r[1]["film"]) - {-1} for r in results.values() if r is not None]
    in_all = set.intersection(*found_lists) if found_lists and not lacking else set()

    wide = widgets.one_per_row(
        len(models),
        "Side by side, each table shows the similarity, 'in all', the film's rank in each "
        "other model's list and the title and year, in rank order; one per row adds the "
        "other models' scores, the ratings and genres.",
    )
    per_row = 1 if wide else min(len(models), 3)
    for start in range(0, len(models), per_row):
        columns = st.columns(per_row, gap="medium")
        for col, model in zip(columns, models[start : start + per_row], strict=False):
            with col:
                st.markdown(f"**{text.md(model.name)}**")
                st.caption(text.model_summary(model))
                if combined := explore.combined_columns_text(model):  # whose neighbours these are
                    st.caption(text.md(combined))
                match = explore_views.match_caption(reference, model)
                if results[model.name] is None:
                    explore_views.lacking_film_warning(reference, movie_idx, model, match)
                    continue
                row, found = results[model.name]
                if note := explore.few_ratings_note(model.movies, row):
                    st.warning(note, icon=":material/scatter_plot:")
                if tie := found.attrs.get("tie_note"):  # dim 1, a cut tie: bad-input round 48
                    st.warning(tie, icon=":material/drag_handle:")
                own = model.movies.loc[row]
                here = text.with_year(own["title"], own["year"])
                other_data = not state.same_data(model, reference)
                if other_data or here != text.with_year(movie["title"], movie["year"]):
                    counted = not widgets.without_rating_counts([model])
                    ratings = f", {text.ratings_text(own['n_ratings'])}" if counted else ""
                    if counted and other_data:  # the heading's counts are another dataset's
                        ratings += f", mean {float(own['mean_rating']):.2f}"
                    where = f"In {text.md(model.dataset_name)}" if other_data else "Here"
                    st.caption(f"{where}: {text.md(here)}{ratings}")
                if found.empty:  # an all-zero vector: the warning above says why (recheck 10, L5)
                    continue
                if len(models) > 1:
                    found = found.assign(shared=found["film"].isin(in_all))
                others = [
                    (m, results[m.name][0]) for m in models if m is not model and results[m.name]
                ]
                found, config = _ranks_elsewhere(model, found, others, metric, min_ratings, here)
                ranks, scores = list(config)[::2], list(config)[1::2]
                listed = found  # its title as written, for the download
                shown = [
                    "rank",
                    "title",
                    value,
                    "shared",
                    *ranks,
                    *scores,
                    "year",
                    "n_ratings",
                    "genres",
                ]
                if not wide:  # side by side: the title with its year, in the room the rank
                    # and year columns took (rows are in rank order), after the numbers
                    found = found.assign(
                        title=[
                            text.with_year(t, y)  # no "(?)" for a movie without a year
                            for t, y in zip(found["title"], found["year"], strict=True)
                        ]
                    )
                    shown = [value, "shared", *ranks, "title"]  # scores: one per row, CSV
                widgets.show_movies(
                    found[[c for c in shown if c in found.columns]],
                    key=f"nn_{model.name}",
                    wide=wide,
                    config=config,
                )
                widgets.download_table(
                    f"Download {text.md(model.name)}'s list (CSV)",  # views round 32, F2
                    _list_csv(model, listed, here, metric, min_ratings),
                    explore.table_file_name(explore.file_stem(model), "neighbours_of", here),
                    key=f"nn_csv_{model.name}",
                )
                if rare := explore.rare_neighbours_note(
                    model.movies, found["movie_idx"], min_ratings, highest=MOST_RATINGS
                ):
                    st.caption(rare)
                if baseline := explore.neighbour_index(model).random_pair_text(
                    min_ratings, metric, listed=found[value] if metric == "cosine" else None
                ):
                    measure = "cosine similarity" if metric == "cosine" else "euclidean distance"
                    st.caption(f"{baseline} ({measure}, {text.md(model.name)}).")
    if len(models) > 1:
        names = [m.name for m in models]
        held = {
            name: (int(r[1]["held"].sum()), len(r[1]))
            for name, r in results.items()
            if r is not None and across
        }
        st.caption(
            text.shared_neighbours_text(names, lacking, len(in_all), k, across=across, held=held)
        )
    twins = paired.twin_lists_text(models, "neighbour lists") if len(models) > 1 else None
    if twins:  # the user sees a seed's effect in the lists themselves
        st.caption(text.md(twins))
    elif any(not is_imported(m) for m in models):  # a trained model's seed, said once
        st.caption(text.NEIGHBOUR_SEED_SCALE)


shell.require_router()
render()
