"""The sections of the Explore page (beyond the Embedding Projector): custom axes, analogies,
linear probes, the users map and two models in one frame.

Each ``render_*`` function draws one section with its own URL-bound widgets; the analyses come
from :mod:`movierate.explore` through :func:`movierate.ui.state.cached`, the figures from
:mod:`movierate.ui.explore_figures`. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from movierate import explore, pipeline, store
from movierate.errors import DataError
from movierate.explore.axes import at_the_edge, regex_of
from movierate.explore.compare import shared_filters_differ
from movierate.explore.probes import ALPHA, MIN_CLASS, MIN_RATINGS, PERMUTATIONS, probed_movies
from movierate.explore.quality import NOT_A_GENRE
from movierate.explore.users import USER_COLOURS, UsersMap, users_map
from movierate.explore.validation import (
    counted_ratings,
    filter_counts,
    genre_lists,
    movie_columns,
)
from movierate.imported_models import is_imported
from movierate.shown import number
from movierate.ui import explore_figures, figures, state, text, widgets

#: The sections of the Explore page: URL value -> label.
SECTIONS: dict[str, str] = {
    "axes": "Custom axes",
    "analogy": "Analogies",
    "probes": "Linear probes",
    "users": "Users map",
    "align": "Two models, one frame",
}
#: Separator of a typed list of titles in a set box ("Toy Story; Shrek; Up").
TITLE_SEPARATOR = ";"
#: Sets this small are named on their line, not only in the expander.
FEW_MEMBERS = 5
VERDICT_ICONS = {
    "real": ":material/check_circle:",
    "not judged": ":material/info:",
}


# --- shared helpers --------------------------------------------------------------------------
def url_choice(
    label: str,
    options: dict[str, str],
    *,
    key: str,
    default: str,
    why: str | None = None,
    **kwargs: Any,
) -> str:
    """A segmented control over ``options`` (value -> label) kept in the URL as ``?key=value``
    (the short value; binding the widget itself would put the label in the URL). A link's
    value outside ``options`` is said (``why``) and left out (it fell back to ``default``
    unsaid: bad-input round 20); one picked for another model is only taken out."""
    held = st.session_state.get(f"{key}_choice")
    if held is not None and held not in options:  # picked for the model shown before
        del st.session_state[f"{key}_choice"]
        state.set_in_link(key, None)
    widgets.say_link_outside(
        key, list(options), why or f"{key} must be one of {', '.join(options)} here"
    )
    current = st.query_params.get(key, default)

    def remember() -> None:
        st.query_params[key] = st.session_state[f"{key}_choice"]

    chosen = st.segmented_control(
        label,
        list(options),
        default=current,
        required=True,
        format_func=options.get,
        key=f"{key}_choice",
        on_change=remember,
        **kwargs,
    )
    return chosen if chosen in options else current


def require_users(model: Any, what: str) -> None:
    """Stop the section with a notice when ``model`` has no users (an imported embedding) or
    only one (a model trained here on one user's ratings: bad-input round 27, F3)."""
    users = model.arrays.get("user_embedding")
    if is_imported(model) or users is None:
        st.info(
            f"{text.md(model.name)} is an embedding imported from elsewhere: it holds movie vectors only, "
            f"no users or ratings, so {what} needs a model trained here.",
            icon=":material/info:",
        )
        st.stop()
    if len(users) < 2:
        st.info(
            f"{what[0].upper()}{what[1:]} needs two users or more; {text.md(model.name)} knows "
            f"{'one' if len(users) == 1 else 'none'}. Train a model on ratings from more users.",
            icon=":material/info:",
        )
        st.stop()


def parse_set(text_value: str) -> Any:
    """A set box's text as a set spec for :func:`explore.read_set`: titles separated by ';'
    become a list of titles; anything else (a /regular expression/ too, ';' and all) is a
    genre, part of a title or a regular expression."""
    if TITLE_SEPARATOR in text_value and regex_of(text_value) is None:
        return [t.strip() for t in text_value.split(TITLE_SEPARATOR) if t.strip()]
    return text_value.strip()


def _genres(model: Any) -> frozenset[str]:
    return frozenset(g.casefold() for genres in genre_lists(model.movies) for g in genres)


def model_genres(model: Any) -> frozenset[str]:
    """The genres of ``model``'s movies, in lower case (cached per model)."""
    return state.cached(_genres, model)


def _resolve_set(model: Any, *, spec: str, min_ratings: int) -> explore.MovieSet:
    parsed = parse_set(spec)
    # a genre needs no title index (building one takes seconds on a first visit)
    is_genre = isinstance(parsed, str) and parsed.strip().casefold() in model_genres(model)
    index = None if is_genre else explore.title_index(model)
    found = explore.read_set(model.movies, parsed, index=index)
    if found.reading == "titles" or min_ratings <= 0:
        return found
    rows = found.rows
    # as the slider and the placed movies count (accuracy round 19: every rating here)
    enough = filter_counts(model.movies)[rows] >= min_ratings
    counted = counted_ratings(model.movies)
    if enough.all():
        return found
    if enough.sum() < 2:  # too few to judge an axis: keep them all, and say so
        note = f"all {len(rows):,} kept, as fewer than two have {min_ratings:,}+ {counted}"
        return dataclasses.replace(found, description=f"{found.description} ({note})")
    note = f"the {enough.sum():,} of {len(rows):,} with {min_ratings:,}+ {counted}"
    return dataclasses.replace(
        found, rows=rows[enough], description=f"{found.description} ({note})"
    )


def resolve_set(model: Any, spec: str, min_ratings: int = 0) -> explore.MovieSet:
    """The movies of ``model`` a set box names (a genre, part of a title, a /regex/ or
    titles), and how it was read; cached per model, text and ``min_ratings``.

    A genre, title text or regex keeps only its movies with at least ``min_ratings`` ratings
    (:func:`filter_counts`: the training ratings where recorded; obscure movies' vectors are
    mostly noise) unless fewer than two would be left; typed titles are always kept. The
    description says which."""
    return state.cached(_resolve_set, model, spec=spec, min_ratings=min_ratings)


def _axes(
    model: Any,
    *,
    x_a: str,
    x_b: str,
    y_a: str | None,
    y_b: str | None,
    min_ratings: int,
) -> explore.CustomAxes:
    rows = {
        key: resolve_set(model, spec, min_ratings).rows for key, spec in (("a", x_a), ("b", x_b))
    }
    y_axis = None
    if y_a and y_b:
        y_axis = (
            resolve_set(model, y_a, min_ratings).rows,
            resolve_set(model, y_b, min_ratings).rows,
        )
    return explore.custom_axes(
        model.movie_embedding, model.movies, (rows["a"], rows["b"]), y_axis, min_ratings=min_ratings
    )


def model_axes(model: Any, **params: Any) -> explore.CustomAxes:
    """:func:`explore.custom_axes` from the set boxes' texts, cached per model and texts."""
    return state.cached(_axes, model, **params)


def _probes(model: Any, *, min_ratings: int) -> pd.DataFrame:
    attributes = activity = movie_activity = None
    users = model.arrays.get("user_embedding")
    if not is_imported(model):
        with contextlib.suppress(DataError):  # no dataset: the movies table's numbers
            ds = state.dataset_of(model)
            # the popularity reference reads only the rows the model was fit on (accuracy
            # round 12: the means took in test rows, moving a genre's AUC by up to 0.06)
            fitted = ds.ratings.iloc[pipeline.model_rows(ds, model.meta["split"]).trained]
            movie_activity = explore.rating_activity(
                fitted, "movie_idx", len(model.movie_embedding)
            )
            if users is not None and len(users) > 1:
                from movierate.data.extras import read_user_attributes

                attributes = read_user_attributes(ds)
                activity = explore.rating_activity(fitted, "user_idx", len(users))
    return explore.linear_probes(
        model.movie_embedding,
        model.movies,
        user_embedding=users if attributes is not None else None,
        user_attributes=attributes,
        user_activity=activity,
        movie_activity=movie_activity,
        min_ratings=min_ratings,
    )


def model_probes(model: Any, min_ratings: int = 20) -> pd.DataFrame:
    """:func:`explore.linear_probes` of a model (user probes where the dataset has users'
    age, gender, occupation), cached per model."""
    return state.cached(_probes, model, min_ratings=widgets.own_min_ratings(model, min_ratings))


def _users_map(model: Any) -> UsersMap:
    from movierate.data.extras import read_user_attributes

    ds = state.dataset_of(model)
    # activity and mean rating over the rows it was fit on (recheck C, s26: a correlation
    # passed the noise level only when test rows were counted)
    fitted = ds.ratings.iloc[pipeline.model_rows(ds, model.meta["split"]).trained]
    return users_map(model.user_embedding, fitted, read_user_attributes(ds))


def model_users_map(model: Any) -> UsersMap:
    """:func:`movierate.explore.users.users_map` of a model's users, cached per model."""
    return state.cached(_users_map, model)


def _align(model_a: Any, model_b: Any, *, min_ratings: int, top: int) -> Any:
    return explore.model_align(model_a, model_b, min_ratings=min_ratings, top=top)


#: What the axes' two AUCs mean (views round 27, F5: it stood in a paragraph above the boxes).
AUC_HELP = (
    "How well the axis separates the two sets: 0.5 is chance, 1 is perfect. Leave-one-out is "
    "the honest figure: each movie is placed on the axis computed without it (with few movies "
    "in many dimensions, any two sets separate perfectly in sample); it needs two movies a set."
)


def quality_line(name: str, quality: Any) -> None:
    """An axis's separation quality: in-sample and leave-one-out AUC and the verdict."""
    # the two figures one above the other: side by side in fifths of the page their labels
    # read "x: AUC leave-o…" at 1024 px (views round 10)
    left, right = st.columns([2, 3], vertical_alignment="center")
    for label, value in (("in sample", quality.auc), ("leave-one-out", quality.auc_loo)):
        # a set of one movie: no AUC at all (the axis is drawn, not judged)
        left.metric(
            f"{name}: AUC {label}", "—" if math.isnan(value) else f"{value:.3f}", help=AUC_HELP
        )
    body = f"**{name} axis: {quality.verdict}** ({axis_counts(name, quality)}). " + (
        text.md(quality.message)
    )
    if quality.verdict == "weak":  # beyond chance, only modest: no alarm (views round 27, F3)
        right.caption(body)  # no icon: "help icon" was read before it (views round 32, F4)
        return
    # a measured "not real" is a finding, not a failure of the page: amber
    show = {"real": right.success, "not judged": right.info}.get(quality.verdict, right.warning)
    show(body, icon=VERDICT_ICONS.get(quality.verdict, ":material/warning:"))


def axis_counts(name: str, quality: Any) -> str:
    """The movies an axis's AUC counts, and why fewer than its sets hold when they share some
    (views round 27, F3: "579 vs 638 movies" under sets of 769 and 828)."""
    first, second = ("A", "B") if name == "x" else ("C", "D")
    if not quality.n_both:
        return f"{quality.n_a:,} vs {quality.n_b:,} movies"
    return (
        f"{quality.n_a:,} of set {first}'s {quality.n_a + quality.n_both:,} vs {quality.n_b:,} of "
        f"set {second}'s {quality.n_b + quality.n_both:,} movies: the {quality.n_both:,} movies "
        "in both sets are left out"
    )


def set_members(name: str, found: explore.MovieSet, movies: pd.DataFrame) -> None:
    """How a set box was read (a warning when it fell back to the closest titles), its count,
    and its movies in an expander."""
    count = f"{len(found.rows):,} movie{'' if len(found.rows) == 1 else 's'}"
    line = f"**Set {name}**: {count}, {text.md(found.description)}"
    if len(found.rows) <= FEW_MEMBERS and found.reading != "closest":  # named on the line
        few = movies.iloc[found.rows]
        names = zip(few["title"], few["year"], strict=True)
        line += ": " + "; ".join(text.isolated(text.md(text.with_year(t, y))) for t, y in names)
    line += "."
    if found.reading == "closest":
        st.warning(line, icon=":material/search_off:")
    else:
        st.caption(line)
    with st.expander(f"The {count} of set {name}"):
        members = movie_columns(movies, found.rows).sort_values("n_ratings", ascending=False)
        widgets.show_movies(members[["title", "year", "n_ratings"]], height=240, wide=True)


# --- (a) custom axes -------------------------------------------------------------------------


def render_custom_axes(model: Any) -> None:
    """Custom axes: x from set A to set B, y from set C to set D or the main remaining PC."""
    genres = sorted({g for gs in model.movies["genres"] for g in (gs if gs is not None else [])})
    start_a, start_b, start_c, start_d = _starting_sets(model)
    # views round 27, F5: the set syntax lives in the boxes' help, the AUC's in the metrics'
    st.caption(
        "Pick two sets of movies: the x axis runs from the mean of set A to the mean of set B, "
        "and every movie is placed by its projection on it."
    )
    set_help = _set_help(model, genres, start_a)

    def set_box(col: Any, which: str, value: str, key: str) -> str:
        return col.text_input(
            f"{which[0]} axis: set {which[1]}",
            value=value,
            key=key,
            bind="query-params",
            help=set_help,
            max_chars=state.SET_MAX,
        )

    a_col, b_col = st.columns(2)
    x_a = set_box(a_col, "xA", start_a, "xa")
    x_b = set_box(b_col, "xB", start_b, "xb")
    y_mode = url_choice(
        "y axis",
        {"pca": "main remaining principal component", "custom": "set C → set D"},
        key="ymode",
        default="pca",
    )
    y_a = y_b = None
    if y_mode == "custom":
        c_col, d_col = st.columns(2)
        y_a = set_box(c_col, "yC", start_c, "ya")
        y_b = set_box(d_col, "yD", start_d, "yb")
    min_ratings = widgets.min_ratings_slider(
        [model],
        "Min. ratings of a placed movie",
        0,
        200,
        10,
        key="axes_min",
        bind="query-params",
        help=f"Keeps obscure movies off the map and out of {'genre / ' if genres else ''}"
        "search sets (their vectors are mostly noise); typed titles are always kept.",
    )
    if not x_a or not x_b or (y_mode == "custom" and (not y_a or not y_b)):
        st.info("Fill in every set box.", icon=":material/edit:")
        return
    boxes = {"A": x_a, "B": x_b} | ({"C": y_a, "D": y_b} if y_mode == "custom" else {})
    failed = False
    for pair in (("A", "B"), ("C", "D")):
        if pair[0] not in boxes:
            continue
        for col, name in zip(st.columns(2), pair, strict=True):
            with col:
                try:
                    set_members(name, resolve_set(model, boxes[name], min_ratings), model.movies)
                except DataError as error:
                    st.error(f"Set {name}: {text.md(error)}", icon=":material/error:")
                    failed = True
    if failed:
        return
    axes = model_axes(model, x_a=x_a, x_b=x_b, y_a=y_a, y_b=y_b, min_ratings=min_ratings)
    quality_line("x", axes.x_quality)
    if axes.y_quality is not None:
        quality_line("y", axes.y_quality)
        st.caption(
            f"Cosine between the two axes: {number(axes.cosine_between, '+.2f')} (near 0: independent "
            "directions; near ±1: the y axis mostly repeats the x axis)."
        )
    x_title = text.html_text(f"{_short(x_a)} → {_short(x_b)}")  # Plotly reads <b> and &lt;
    y_title = (
        text.html_text(f"{_short(y_a)} → {_short(y_b)}")
        if axes.y_kind == "custom"
        else ("main principal component of the rest")
    )
    st.plotly_chart(
        figures.titled(  # its PNG names model and movies (views round 25, F2)
            explore_figures.axes_figure(
                axes.coordinates,
                x_title,
                y_title,
                sets={name: _short(box) for name, box in boxes.items()},
            ),
            figures.model_part(model),
            "custom axes",
            explore.movies_text(
                len(axes.coordinates), min_ratings, counted=counted_ratings(model.movies)
            ),
        ),
        width="stretch",
        key="axes_chart",
        config=figures.export_config(model.name, "custom-axes"),
    )
    coords = axes.coordinates
    ends = st.columns(2)
    for col, title, part in (
        (ends[0], f"Furthest towards A ({_short(x_a)})", coords.nsmallest(8, "x")),
        (ends[1], f"Furthest towards B ({_short(x_b)})", coords.nlargest(8, "x")),
    ):
        with col:
            st.markdown(f"**{text.md(title)}**")
            widgets.show_movies(part[["title", "year", "n_ratings", "genres", "group"]])


#: The sets the axes start from (x: A, B; y: C, D) where the model's movies have those genres.
STARTING_SETS = ("Comedy", "Drama", "Children", "Horror")


def _starting_sets(model: Any) -> tuple[str, ...]:
    """:data:`STARTING_SETS`, each genre the model's movies lack replaced by its most common
    unused genres (a catalogue without Drama, an imported embedding), so the view opens on an
    axis; a set stays empty when the movies have too few genres (the view then asks for one)."""
    counts = pd.Series([g for gs in model.movies["genres"] for g in (gs if gs is not None else [])])
    common = list(counts.value_counts().index)
    spare = [g for g in common if g not in STARTING_SETS]
    return tuple(g if g in common else (spare.pop(0) if spare else "") for g in STARTING_SETS)


def _set_help(model: Any, genres: list[str], genre: str) -> str:
    """What a set box takes, with examples from ``model``'s own movies: a genre (``genre``,
    only where the movies have genres), part of a title, a regular expression or titles
    separated by ';'."""
    examples = text.title_examples(model.movies, 1)
    example = f"{text.md(examples[0])}: " if examples else ""
    kinds = (
        f"part of a title ({example}every title containing it; a year at the end keeps that "
        "year's), a regular expression between slashes (/^Toy/, matched in the titles without "
        "their year, ignoring case) or titles separated by ';'. One movie a set (the Embedding "
        "Projector's custom projection) is drawn, not judged"
    )
    if not genres or not genre:
        return f"A set is {kinds} (these movies have no genres)."
    return f"A set is a genre ({text.md(genre)}), {kinds}. Genres here: " + text.md(
        ", ".join(genres)
    )


def _short(spec: str | None, limit: int = 28) -> str:
    value = (spec or "").strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- (b) analogies ---------------------------------------------------------------------------


def render_analogies(model: Any) -> None:
    """A - B + C: the movies nearest to the direction, with the caveat when they are just A's
    own neighbours."""
    st.caption(
        "Analogies: start at movie A, take away what B has and add what C has (cosine, on unit "
        "vectors). Embeddings of ratings rarely behave like word vectors: when most results are "
        "A's own neighbours, the 'analogy' only says 'movies like A'."
    )
    cols = st.columns(3)
    defaults = _analogy_defaults(model)
    queries = [
        col.text_input(label, value=default, key=key, bind="query-params", max_chars=state.TEXT_MAX)
        for col, label, key, default in zip(
            cols,
            ("A (start from)", "B (minus)", "C (plus)"),
            ("an_a", "an_b", "an_c"),
            defaults,
            strict=True,
        )
    ]
    k_col, min_col = st.columns(2)
    k = k_col.slider("How many", 5, 30, 10, key="an_k", bind="query-params")
    min_ratings = widgets.min_ratings_slider(
        [model],
        "Min. ratings",
        0,
        200,
        10,
        key="an_min",
        container=min_col,
        bind="query-params",
        help="Leave out obscure movies, whose vectors are mostly noise.",
    )
    if not all(queries):
        st.info("Type three titles.", icon=":material/edit:")
        return
    index = explore.title_index(model)
    rows = []
    for i, query in enumerate(queries):
        with cols[i]:
            row = widgets.pick_title(index, query, key=f"an_pick_{i}")
        rows.append(row)
    if any(r is None for r in rows):
        return
    a, b, c = rows
    titles = [text.md(model.movies["title"].iloc[r]) for r in rows]
    st.markdown(f"**{titles[0]}** − **{titles[1]}** + **{titles[2]}** ≈")
    result = state.cached(
        explore.model_movie_analogy, model, a=a, b=b, c=c, k=k, min_ratings=min_ratings
    )
    if result.caveat:
        st.warning(text.md(result.message), icon=":material/warning:")
    else:
        st.info(text.md(result.message), icon=":material/info:")
    # not "shared": show_movies labels that column "in all" (listed by every model)
    shown = result.results.rename(columns={"near_a": "A's neighbour"})
    widgets.show_movies(
        shown[
            ["rank", "title", "cosine_similarity", "A's neighbour", "year", "n_ratings", "genres"]
        ],
        key="analogy_results",
    )
    st.caption(f"Ticked: also among {titles[0]}'s own nearest neighbours.")


def _analogy_defaults(model: Any) -> tuple[str, str, str]:
    popular = model.movies.nlargest(3, "n_ratings")["title"].astype(str).tolist()
    popular += [""] * (3 - len(popular))
    return popular[0], popular[1], popular[2]


# --- (c) linear probes -----------------------------------------------------------------------


def render_probes(models: list[Any]) -> None:
    """Linear probes of several models side by side: which regularizer keeps genre (decade,
    user attributes) linearly readable?"""
    st.caption(
        "A linear probe asks whether a property can be read off the embedding by a straight cut: "
        "a cross-validated logistic regression per genre (and decade; age, gender and "
        "occupation of users where the dataset has them). Bars: its ROC AUC above chance (0.5), "
        "how well its score ranks the movies (users) with the property above the others, "
        "whatever their number; a bar near 0 means a straight cut cannot tell them apart. "
        "A hatched bar is within chance: random relabellings of the same movies (users) reach its "
        f"AUC in more than {ALPHA:.0%} of {PERMUTATIONS} tries (for 12 Documentary movies of an "
        "ml-100k model, chance alone reached an AUC of 0.6-0.7), so compare models on the solid "
        "bars only. "
        "'Every probe' also gives accuracy against always guessing the commonest class: for a "
        "rare genre that lift stays near 0 even when the AUC is high. The ticks across the bars are the "
        "same probe on popularity alone, no embedding (a movie's number of training ratings "
        "and mean training rating; a user's): where a bar does not rise above its tick, what "
        "the probe reads off the embedding is no more than those two numbers tell. A tick is "
        "never below chance: where popularity's own cross-validated probe falls below 0.5 (a "
        "weak two-number regression on a rare genre anti-learns across folds) it is drawn at "
        "0.5, what knowing nothing gives. A bar above its tick shows more than them only beyond "
        "chance: 'genres beyond popularity' counts those whose AUC a paired test over the same "
        "movies and folds puts above the tick and relabellings rarely reach (both p <= "
        f"{ALPHA:.0%}); for an embedding that holds only popularity it counted 3% of ml-100k genres."
    )
    tables = {}
    with st.spinner("Fitting the probes (once per model)…"):
        for model in models:
            if short := probes_left_out(model):  # a hint this view can follow (round 27, F7)
                st.warning(
                    f"**{text.md(model.name)}** is left out: {text.md(short)}",
                    icon=":material/info:",
                )
                continue
            try:
                tables[model.name] = model_probes(model, MIN_RATINGS)
            except DataError as exc:  # one model too small for the probes: show the others
                st.warning(
                    f"**{text.md(model.name)}** is left out: {text.md(exc)}",
                    icon=":material/info:",
                )
    models = [m for m in models if m.name in tables]
    if not models:
        return
    # accuracy round 19b: nothing said which movies (1,056 with 20+ training ratings) or that
    # IMAX, which the map leaves out, was probed as a genre
    probed = {m.name: _probed_text(m) for m in models}
    # said only where a model has such movies (bad-input round 46: on a data set without IMAX)
    formats = sorted({g for m in models for gs in genre_lists(m.movies) for g in gs} & NOT_A_GENRE)
    st.caption(
        "The movie probes use "
        + "; ".join(f"{name}: {what}" if len(probed) > 1 else what for name, what in probed.items())
        + (
            f". Genres are those the map labels and colours: {', '.join(formats)}, a format, "
            "is not probed."
            if formats
            else "."
        )
    )
    summary = pd.DataFrame(
        [
            {
                "model": name,
                "regularizers": store.regularizers_shown(model),
                "dim": model.dim,
                "movies probed": len(probed_movies(model.movies, _own_probe_filter(model))),
                "mean genre AUC": _mean_of(table, "genre: "),
                "popularity alone": _mean_of(table, "genre: ", "popularity_auc"),
                "genres beyond chance": _beyond_chance(table, "genre: "),
                "genres beyond popularity": _beyond_popularity(table, "genre: "),
                "decade AUC": _mean_of(table, "decade"),
                "mean user AUC": _mean_of(table, "user: "),
            }
            for (name, table), model in zip(tables.items(), models, strict=True)
        ]
    )
    summary = summary.dropna(axis="columns", how="all")  # e.g. no user attributes in the data
    widgets.show_table(
        widgets.numbers_first(summary),
        hide_index=True,
        column_config={
            **{
                c: st.column_config.NumberColumn(format="%.3f")
                for c in ("mean genre AUC", "decade AUC", "mean user AUC")
            },
            "popularity alone": st.column_config.NumberColumn(
                format="%.3f",
                help="Mean genre AUC of the same probes on each movie's number of training "
                "ratings and mean training rating alone, no embedding (each at least 0.5: "
                "knowing nothing)",
            ),
            "genres beyond popularity": st.column_config.TextColumn(
                help="Genres whose probe AUC is above popularity alone's beyond chance: a "
                "one-sided paired test (DeLong's) of the two cross-validated AUCs over the same "
                f"movies and folds, p <= {ALPHA:.0%}, and beyond what random relabellings "
                "reach. A raw comparison counted 27% of genres for an ml-100k embedding holding "
                "only popularity"
            ),
        },
        key="probe_summary",
    )
    st.plotly_chart(
        explore_figures.probes_figure(tables),
        width="stretch",
        key="probe_chart",
        config=figures.export_config("-vs-".join(m.name for m in models), "probes"),
    )
    wide = pd.concat(
        {
            name: table.set_index("target")[
                [
                    "n",
                    "auc",
                    "chance_auc",
                    "p_value",
                    "popularity_auc",
                    "popularity_p_value",
                    "accuracy",
                    "baseline",
                    "lift",
                ]
            ]
            for name, table in tables.items()
        },
        axis=1,
    )
    wide.columns = [f"{model} {what}" for model, what in wide.columns]
    with st.expander("Every probe"):
        widgets.show_table(wide.reset_index(), hide_index=True, key="probe_table")


def probes_left_out(model: Any) -> str:
    """Why ``model`` has too few movies for the probes, in terms this view can act on (its
    min-ratings floor is fixed, so "lower the filter" is no advice here: bad-input round 27,
    F7), or "" when it has enough."""
    needed, floor = 2 * MIN_CLASS, _own_probe_filter(model)
    counts = filter_counts(model.movies)
    have = int((counts >= floor).sum())
    if have >= needed:
        return ""
    if floor <= 0:
        return f"the probes need {needed} movies and it has {have:,}, so it cannot be probed."
    top = int(counts.max()) if len(counts) else 0
    return (
        f"the probes need {needed} movies with at least {floor} {counted_ratings(model.movies)} "
        f"(a fixed floor: rarer movies' vectors are mostly noise) and it has {have:,}; its "
        f"most-rated movie has {top:,}. Train on a larger data set to probe it."
    )


def _own_probe_filter(model: Any) -> int:
    """The probes' minimum ratings for ``model`` (none for a model without rating counts)."""
    return widgets.own_min_ratings(model, MIN_RATINGS)


def _probed_text(model: Any) -> str:
    """Which movies ``model``'s probes use, in words: "the 1,056 movies with at least 20
    training ratings (of 9,742)"."""
    n = len(probed_movies(model.movies, _own_probe_filter(model)))
    counted = text.movies_counted(_own_probe_filter(model), counted_ratings(model.movies))
    if counted == "all movies":
        return f"all {n:,} movies"
    return f"{counted.replace('the movies', f'the {n:,} movies', 1)} (of {len(model.movies):,})"


def _beyond_chance(table: pd.DataFrame, prefix: str) -> str | None:
    """``"15 of 18"``: the probes of ``prefix`` whose AUC random relabellings rarely reach,
    and how many of all of them lie at the edge of that cutoff (``"15 of 18 (2 at the edge
    ...)"``: :func:`~movierate.explore.axes.at_the_edge`; accuracy round 58, F1)."""
    part = table[table["target"].str.startswith(prefix)]
    if not len(part):
        return None
    edge = int(sum(at_the_edge(p, PERMUTATIONS, ALPHA) for p in part["p_value"]))
    said = f"{int((part['p_value'] <= ALPHA).sum())} of {len(part)}"
    return said + (
        f" ({edge} at the edge: another draw of relabellings could call "
        f"{'it' if edge == 1 else 'them'} either way)"
        if edge
        else ""
    )


def _beyond_popularity(table: pd.DataFrame, prefix: str) -> str | None:
    """``"3 of 18"``: the probes of ``prefix`` whose AUC a paired test puts above popularity
    alone's and beyond chance (``popularity_p_value`` at most :data:`ALPHA`)."""
    part = table[table["target"].str.startswith(prefix) & table["popularity_p_value"].notna()]
    beyond = int((part["popularity_p_value"] <= ALPHA).sum())
    return f"{beyond} of {len(part)}" if len(part) else None


def _mean_of(table: pd.DataFrame, prefix: str, column: str = "auc") -> float | None:
    part = table[table["target"].str.startswith(prefix)]
    return float(part[column].mean()) if len(part) and part[column].notna().any() else None


# --- (d) users map ---------------------------------------------------------------------------


def render_users_map(model: Any) -> None:
    """PCA of the user embedding coloured by activity, mean rating and (ml-100k / ml-1m) age,
    gender and occupation."""
    require_users(model, "the users map")
    st.caption(
        "Every user of the model's dataset on the first two principal axes of the user "
        "embedding. Colour by activity or mean rating (over the ratings it trained on) to see "
        "what the main axes encode; "
        "ml-100k and ml-1m also know age, gender and occupation."
    )
    umap = model_users_map(model)
    linked = st.query_params.get("ucolour", "")
    # a quantity every user shares paints the map one colour: not offered (round 27, F2)
    colours = [c for c in umap.colours if umap.coordinates[c].nunique(dropna=True) > 1]
    if not colours:
        colours = umap.colours[:1]
    same = [USER_COLOURS[c] for c in umap.colours if c not in colours]
    colour = url_choice(
        "Colour by",
        {c: USER_COLOURS[c] for c in colours},
        key="ucolour",
        default=colours[0],
        why=(
            f"every user of {text.md(model.name)} has the same {USER_COLOURS[linked]}, one colour"
            if USER_COLOURS.get(linked) in same
            else f"{text.md(model.name)}'s data set has no {USER_COLOURS.get(linked, linked)} of its users"
        )
        + f" (it colours by {', '.join(USER_COLOURS[c] for c in colours)})",
    )
    ratio = umap.pca.explained_variance_ratio
    st.plotly_chart(
        figures.titled(
            explore_figures.users_figure(umap.coordinates, colour, USER_COLOURS[colour]),
            figures.model_part(model),
            f"its {len(umap.coordinates):,} users on the user embedding's first two principal axes",
        ),
        width="stretch",
        key="users_chart",
        config=figures.export_config(model.name, f"users-map-{colour}"),
    )
    st.caption(users_map_text(umap.coordinates, ratio))


#: Fewer users with a training rating than this: the users map gives no correlations (with 9,
#: |rho| must pass 0.69 to be beyond unrelated values; with 2 every rho is +-1: round 27, F2).
MIN_CORRELATED_USERS = 10
#: A component holding less than this share of the user variance is no direction to correlate.
NO_VARIANCE_SHARE = 1e-6


def users_map_text(frame: pd.DataFrame, ratio: Any) -> str:
    """The users map's caption: each component's share of the user variance and its Spearman
    correlation with activity and mean rating over the users with a training rating, saying
    instead why where a correlation means nothing (too few users, a quantity every user shares,
    a component with no variance)."""
    ratio = np.asarray(ratio, dtype=np.float64)
    shares = f"PC 1 holds {ratio[0]:.0%} of the user variance" + (
        f", PC 2 {ratio[1]:.0%}" if len(ratio) > 1 else ""
    )
    sign = "; a component's sign is arbitrary (it can flip between two trainings)."
    # users with a training rating only: one without has no mean and an untrained vector, and
    # the noise level counts the users each correlation used (recheck D, s26)
    rated = frame[frame["n_ratings"] > 0]
    unrated = len(frame) - len(rated)
    over = f"{len(rated):,} users with a training rating" + (
        f" (not the {unrated:,} without one)" if unrated else ""
    )
    if len(rated) < MIN_CORRELATED_USERS:
        return (
            f"{shares}. Correlations with activity and mean rating need at least "
            f"{MIN_CORRELATED_USERS} users; this model has {over}, so none is given{sign}"
        )
    axes = [(i, axis) for i, axis in ((1, "x"), (2, "y")) if axis in rated]
    axes = [(i, axis) for i, axis in axes if i > len(ratio) or ratio[i - 1] >= NO_VARIANCE_SHARE]
    flat = {  # a quantity every user shares correlates with nothing
        key: what
        for key, what in (("n_ratings", "activity"), ("mean_rating", "mean rating"))
        if rated[key].nunique(dropna=True) < 2
    }
    noise = 1.96 / (len(rated) - 1) ** 0.5
    said, beyond = [], []
    for key, what in (("n_ratings", "activity"), ("mean_rating", "mean rating")):
        if key in flat or not axes:
            continue
        values = []
        for i, axis in axes:
            rho = rated[axis].corr(rated[key], method="spearman")
            values.append(
                f"PC {i} {number(rho, '+.3f')}" if np.isfinite(rho) else f"PC {i} undefined"
            )
            # named, not left to a reader comparing rounded numbers (views round 9: -0.10
            if np.isfinite(rho) and abs(rho) >= noise:  # read as beyond "under 0.10")
                beyond.append(f"PC {i} with {what}")
        said.append(f"with {what}: {', '.join(values)}")
    notes = [
        f"every user's {what} is the same ({float(rated[key].iloc[0]):g}), so it correlates "
        "with nothing"
        for key, what in flat.items()
    ]
    notes += [
        f"PC {i} holds no variance, so it correlates with nothing"
        for i in range(1, min(len(ratio), 2) + 1)
        if ratio[i - 1] < NO_VARIANCE_SHARE
    ]
    text_ = shares + "."
    if said:
        text_ += (
            f" Spearman correlation {'; '.join(said)}. Over {over} a |correlation| under "
            f"{noise:.3f} is within what unrelated values give, so "
            + (f"beyond it: {', '.join(beyond)}" if beyond else "none of these is beyond it")
        )
    if notes:
        joined = "; ".join(notes)
        text_ += (". " if said else " ") + joined[0].upper() + joined[1:]
    return text_ + sign


# --- (e) two models, one frame ---------------------------------------------------------------


def _align_labels(
    movies: pd.DataFrame, coordinates: pd.DataFrame, moved: pd.DataFrame
) -> dict[int, str]:
    """movie_idx -> label ("Heat (1995)", the id added where two read alike) of every aligned
    movie, those that moved most first (in their order), then the most rated."""
    counts = pd.to_numeric(movies["n_ratings"], errors="coerce").fillna(0).to_numpy()
    first = [int(m) for m in moved["movie_idx"]] if not moved.empty else []
    rest = sorted(set(int(m) for m in coordinates["movie_idx"]) - set(first))
    rows = first + sorted(rest, key=lambda m: (-counts[m], m))
    return dict(zip(rows, widgets.distinct_labels(movies, rows, counts=False), strict=True))


def match_caption(reference: Any, model: Any) -> Any:
    """For two models of different datasets, a caption saying how their movies were matched
    and what was left out (:meth:`~movierate.data.identity.MovieMatch.summary`), and the match;
    None for one dataset's models."""
    if state.same_data(model, reference):
        return None
    match = explore.movie_match(
        reference.movies,
        model.movies,
        name_a=reference.dataset_name,
        name_b=model.dataset_name,
    )
    st.caption("Movies matched by identity (IMDb id, else title): " + text.md(match.summary()))
    if note := explore.renamed_ids_note(reference, model):  # bad-input round 64, F1
        st.warning(text.md(note), icon=":material/edit_note:")
    return match


def lacking_film_warning(reference: Any, row: int, model: Any, match: Any) -> None:
    """Why ``model`` has no row for ``reference``'s film ``row``: it has no title to match by,
    it is ambiguous (``match.tied_rows``), or ``model``'s dataset does not hold it."""
    movie = reference.movies.iloc[row]
    titled = text.md(text.with_year(movie["title"], movie["year"]))
    st.warning(
        f"**Cannot be matched:** {text.md(movie['title'])} has no title in "
        f"{text.md(reference.dataset_name)}, so it cannot be told apart from "
        f"another film of the same number in {text.md(model.dataset_name)}, "
        f"which {text.md(model.name)} was trained on."
        if explore.untitled(movie["title"], movie["year"])
        # bad-input round 60, F3: not "not among" a dataset that holds the title
        else f"**Ambiguous:** {titled} shares its title and year with another "
        f"film of {text.md(reference.dataset_name)} or {text.md(model.dataset_name)}, so which "
        f"film of {text.md(model.dataset_name)} it is would be a guess; it is left unmatched."
        if match is not None and row in match.tied_rows
        else f"**Not in this model's data:** {titled} is not among the movies "
        f"of {text.md(model.dataset_name)}, which {text.md(model.name)} was trained on.",
        icon=":material/block:",
    )


def render_two_models(model_a: Any, model_b: Any) -> None:
    """Aligned maps of two models, the movies that moved most marked with lines from A to B;
    a clicked (or picked) movie shows its neighbours in both."""
    st.caption(
        f"B ({text.md(model_b.name)}) is rotated and scaled onto A ({text.md(model_a.name)}) over the movies both "
        "know (matched by identity, so models of different datasets work too), then both are "
        "drawn on A's two main axes. Lines join a movie's place in A to its place in B for the "
        "movies that moved most. Click a movie (or type its title in the Movie box) to see its "
        "neighbours in both."
    )
    match = match_caption(model_a, model_b)  # across datasets (accuracy round 49, F2)
    min_col, top_col = st.columns(2)
    min_ratings = widgets.min_ratings_slider(
        [model_a, model_b],
        "Min. ratings",
        0,
        200,
        explore.DEFAULT_MIN_RATINGS,  # as Compare's movie-by-movie section
        key="al_min",
        container=min_col,
        bind="query-params",
        help="Only movies with this many ratings are aligned and drawn.",
    )
    top = top_col.slider("Movies that moved most", 5, 50, 15, key="al_top", bind="query-params")
    layout = state.cached(_align, model_a, model_b, min_ratings=min_ratings, top=top)
    # Compare counts A's ratings only, so where the two models' counts differ its set differs:
    # two datasets (views round 12) or one dataset on two splits (accuracy round 19)
    lacking = widgets.without_rating_counts([model_a, model_b])
    counting = [m.name for m in (model_a, model_b) if m.name not in lacking]
    where = (
        f"{counting[0]} (the other has no rating counts)" if len(counting) == 1 else "both models"
    )
    st.caption(
        text.alignment_text(
            len(layout.coordinates),
            min_ratings,
            layout.residual,
            counted=widgets.counted_in([model_a, model_b]),
            where=where,
            differs=shared_filters_differ(model_a, model_b),
        )
        + " 'Moved most' ranks the movies by how far they moved in the full space; a short "
        f"line only means most of the move is off these two axes. "
        f"{explore.displacement_note(layout)}"
    )
    moved = layout.moved_most
    if moved.empty:
        st.info(
            f"No movie moved by {explore.MOVED_AT_LEAST:.1%} of a typical vector's length or "
            "more: the two spaces are the same up to rotation and scale, so none is marked as "
            "moved.",
            icon=":material/drag_pan:",
        )
    labels = _align_labels(model_a.movies, layout.coordinates, moved)
    rows = {label: row for row, label in labels.items()}

    def focus_from_chart() -> None:  # a click picks the film in the Movie box (and the link)
        clicked = widgets.selected_movie(st.session_state.get("align_chart"))
        if clicked in labels:
            st.session_state["al_pick"] = labels[clicked]

    # every aligned film, bound to the link (views round 26, M1: only the 15 that moved most
    # were offered, so "Toy Story" found nothing, and the film compared was not in the link)
    picked = widgets.bound_selectbox(
        st,
        "Movie",
        list(rows),
        index=None,
        key="al_pick",
        placeholder=f"type a title: any of the {len(rows):,} aligned movies; or click one",
        help="Search every movie drawn on the map (those that moved most come first). The "
        "film picked is ringed where A puts it and where B does, and kept in the link.",
        why="it is not among the movies both models know with these settings",
    )
    focus = rows.get(picked) if picked is not None else None
    st.plotly_chart(
        figures.titled(
            explore_figures.aligned_figure(
                layout.coordinates, moved, (model_a.name, model_b.name), focus=focus
            ),
            f"A: {figures.model_part(model_a)}",
            f"B: {figures.model_part(model_b)}, rotated and scaled onto A",
            explore.movies_text(
                len(layout.coordinates), min_ratings, counted=widgets.counted_in([model_a, model_b])
            ),
        ),
        width="stretch",
        key="align_chart",
        config=figures.export_config(f"{model_a.name}-vs-{model_b.name}", "two-models"),
        on_select=focus_from_chart,
        selection_mode="points",
    )
    if focus is None:
        if not moved.empty:
            widgets.show_movies(
                moved[["title", "year", "displacement", "n_ratings", "genres"]], key="moved"
            )
        return
    movie = model_a.movies.iloc[focus]
    st.markdown(f"## {text.heading_text(text.with_year(movie['title'], movie['year']))}")
    row_b = explore.matching_row(model_a.movies, focus, model_b.movies)
    cols = st.columns(2)
    for col, model, row in ((cols[0], model_a, focus), (cols[1], model_b, row_b)):
        with col:
            st.markdown(f"**{text.md(model.name)}**")
            if row is None:  # absent, or ambiguous (accuracy round 49, F2)
                lacking_film_warning(model_a, focus, model, match)
                continue
            if note := explore.few_ratings_note(model.movies, row):
                st.warning(note, icon=":material/scatter_plot:")
            near = explore.neighbour_index(model).nearest(row, k=10, min_ratings=min_ratings)
            widgets.show_movies(
                near[["rank", "title", "cosine_similarity", "year", "n_ratings"]],
                key=f"al_nn_{model.name}_{col is cols[1]}",
            )
