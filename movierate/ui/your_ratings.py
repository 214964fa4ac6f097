""" "Your own ratings": rate a handful of movies and get recommendations from a trained model
without retraining (fold-in, :func:`movierate.explore.recommend_from_ratings`), the rated movies
that drove them, and your place on the users map.

The ratings live only in the URL (``?rated=1:5,260:4.5``: movie id, rating, and
``rated_on=ml-100k:f74050b917c1e480``: the data set those ids belong to), so a page can be
shared or bookmarked; nothing is written anywhere unless the user downloads them ("Save my
ratings (CSV)"), and "Load saved ratings (CSV)" reads such a file back. A link longer than the
address holds (:data:`state.RATED_MAX`) keeps its first ratings and offers the whole list as a
file (bad-input round 29: it lost every rating). Opened with a
model of other data, the ids are moved by movie identity when a saved model of the link's data
is here, and kept unused (with a warning) otherwise: an id of one data set names another film,
or none, in another. Ratings of films the model's data lacks stay in the link as
``rated_held`` (``rated_held_on``: their data set), which no edit here drops. The link's format
and the moving of ratings between scales are :mod:`movierate.explore.rated_link`'s.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from movierate import explore, spreadsheet, store
from movierate.data.build import RawData, decimal_comma
from movierate.data.custom import text_layout
from movierate.data.exports import Service, check_one_person, export_ratings, export_service
from movierate.data.formats import read_text_table
from movierate.data.textio import (
    bom_encoding,
    check_not_empty,
    decode,
    looks_like_utf16,
    read_head,
)
from movierate.errors import DataError, MovierateError
from movierate.explore.rated_link import (
    MovieId,
    format_rated,
    move_words,
    moved_value,
    nearest_allowed,
    parse_rated,
    repeated_ids,
    rescaled,
)
from movierate.explore.recommend import untrained, with_training_counts
from movierate.explore.users import USER_COLOURS
from movierate.explore.validation import filter_counts
from movierate.imported_models import is_imported
from movierate.shown import counted, number
from movierate.ui import explore_figures, figures, state, text, widgets
from movierate.ui.state import data_tag

#: The URL query parameters holding the ratings and the data set their movie ids belong to.
RATED_PARAM, RATED_ON_PARAM = "rated", "rated_on"
#: The URL query parameters holding ratings made on another data set whose films the model's
#: data lacks, and that data set: kept for a model of it, never dropped by an edit here
#: (recheck 8, F1: the next Add removed them from the link, the user's only store).
HELD_PARAM, HELD_ON_PARAM = "rated_held", "rated_held_on"
#: Session keys: the message for ratings the link had no room for; how often the ratings
#: editor was reset after a refused edit; what the last file load did; how often the file
#: box was emptied (after a load).
_FULL = "rated_full"
_EDITOR_RESETS = "rated_editor_resets"
_LOADED = "rated_loaded"
_UPLOADS = "rated_uploads"
#: Session keys: what the last Add did (said once, views round 23 F1) and how many adds there
#: were (so the focus script is new each time).
_ADDED, _ADDS = "rated_added", "rated_adds"
#: Session key: the link's ratings this model's data lacks, by the data set they were made on
#: ({tag: {movie id: rating}}), which every rewrite of the link keeps (:func:`_set_rated`).
_HELD = "rated_held_lists"
#: Session key: the data (:func:`data_tag`) of the saved model the link names, set by
#: :func:`pick_model` for this run's :func:`_on_this_data`.
_LINKED_ON = "rated_linked_on"
#: Puts the focus back in the search box after an Add, whose movie, rating and Add widgets
#: vanish with the cleared search and took the focus to the document's top (views round 23,
#: F1: a keyboard user tabbed about 17 stops back for each movie).
FOCUS_SEARCH_JS = """<script>
(() => {  // add %d
  let tries = 0;
  const focus = () => {
    const box = document.querySelector('input[aria-label="Find a movie to rate"]');
    if (box) box.focus();
    else if (++tries < 20) setTimeout(focus, 100);
  };
  setTimeout(focus, 50);
})();
</script>"""
#: The columns "Save my ratings (CSV)" writes (:func:`ratings_file`); a file to load needs
#: the first two.
FILE_ID, FILE_RATING, FILE_TITLE, FILE_DATASET = "movie_id", "your rating", "title", "dataset"
#: How many ids or rows a message names before "and N more".
_NAMED = 8
#: A title line of the users map, in its narrow column (characters).
NARROW_TITLE_LINE = 34
#: Widths (px) of "What drove them" and of the users map beside it (on a phone, the screen's):
#: side by side where the page has 956 px (a 1440 px screen with the sidebar open has 980),
#: else one under the other.
DRIVERS_WIDTH, USERS_MAP_WIDTH = 520, 420

#: What lists like these did for users a model never trained on (accuracy round 32: 50
#: ml-latest-small users held out, two mf_bias models, 1-20 of each user's ratings folded in,
#: their other ratings scored), so that the list is not read as better than popularity. The
#: ratings given were a random draw of each user's (its foldin_eval.py shuffled them, seed 7),
#: not their first: with each user's earliest ones the gain over the movie averages was about
#: half and not established at 3 (accuracy round 40, F3), so the caption says which.
MEASURED_FOR_NEW_USERS = (
    "Measured on 50 ml-latest-small users two mf_bias models never trained on, given 1-20 of "
    "their ratings drawn at random (not their first ones): lists like this held fewer of the "
    "movies they rated 4 or more among the rest than a most-rated list did (2.3-3.0 against "
    "2.9-3.2 of 10), while the predicted ratings beat the movie averages from 3 given ratings "
    "on. People rate what is popular and shown, which favours a most-rated list."
)


#: The data set :data:`MEASURED_FOR_NEW_USERS` was measured on (its "4 or more" is of 0.5-5).
MEASURED_ON = "ml-latest-small"


def measured_for_new_users(family: str, dataset: str) -> str:
    """:data:`MEASURED_FOR_NEW_USERS` for an mf_bias model (``family``: as
    ``store.family_shown`` names it, so a blend is not one) of :data:`MEASURED_ON`, what it was
    measured on; for another family or data set, that no such figure exists for it (accuracy
    round 50, F5: autorec's fold-in, which barely moves from the average user, showed mf_bias's
    figure; views round 40, F2: a 1-10 books model showed MovieLens's "rated 4 or more")."""
    if family != "mf_bias":
        return (
            f"How lists like this do for new users was measured for mf_bias models only, not "
            f"for {family} ones, so no quality figure is shown here."
        )
    if dataset != MEASURED_ON:
        return (
            f"How lists like this do for new users was measured on {MEASURED_ON} (ratings of "
            f"0.5-5 stars) only, not on {text.md(dataset)}, so no quality figure is shown here."
        )
    return MEASURED_FOR_NEW_USERS


RECOMMENDED_COLUMNS = [
    "rank", "predicted", "also average", "vs average", "year", "n_ratings", "title", "genres",
    "because",
]  # fmt: skip


def has_text_ids(model: Any) -> bool:
    """True when ``model``'s movie ids are text (a user's CSV), not numbers."""
    return model.movies["movie_id"].dtype.kind not in "iuf"


def link_text_ids(model: Any, tag: str | None) -> bool:
    """Whether the ids of a link made on the data ``tag`` names (its ``rated_on``; None: this
    ``model``'s) are text: that data's id type, not ``model``'s (recheck 8, F1), and text when
    no model of that data is here (any id reads as text)."""
    if not tag or tag == data_tag(model):
        return has_text_ids(model)
    source = _model_of_data(tag)
    return True if source is None else has_text_ids(source)


def movie_id_of(model: Any, row: int) -> MovieId:
    """The original id of the movie in ``row`` of ``model``, as :func:`parse_rated` reads it."""
    value = model.movies["movie_id"].iloc[row]
    return str(value) if has_text_ids(model) else int(value)


#: The most ratings a rating slider offers.
MAX_STEPS = 101


def rating_steps(model: Any) -> list[float]:
    """Every rating the model's dataset allows (0.5 … 5 for ml-latest-small, 1 … 5 for ml-100k);
    for a scale of any value (step 0) or with more than :data:`MAX_STEPS` steps, that many
    evenly spaced values from its minimum to its maximum, both included."""
    lo, hi, step = model.rating_scale
    if step > 0 and (hi - lo) / step < MAX_STEPS:
        values = np.arange(lo, hi + step / 2, step)
    else:
        values = np.linspace(lo, hi, MAX_STEPS)
    return [float(v) + 0.0 for v in np.round(values, 4)]  # + 0.0: no "-0" step


def rating_format(steps: list[float]) -> str:
    """The printf format the rating slider shows a value in: "4", not "4.0", when every step is
    a whole number (bad-input round 41, F5: a 0/1 scale read "0.0" and "1.0"), else with the
    steps' decimals ("0.5", "1.0")."""
    decimals = max(len(f"{v:.4f}".rstrip("0").split(".")[1]) for v in steps)
    return f"%.{decimals}f"


def _set_rated(ratings: dict[MovieId, float], model: Any, refused: str = "Not added") -> bool:
    """Write ``ratings`` to the link and return True; a list that would not fit
    (:data:`state.RATED_MAX`) is not written, the link keeps its list, and a message starting
    with ``refused`` is kept for the next run (a link over the cap was dropped whole on the
    next run: bad-input round 8)."""
    value = format_rated(ratings)
    if len(value) > state.RATED_MAX:
        st.session_state[_FULL] = (
            f"{refused}: the page's address holds your ratings and has room for "
            f"{state.RATED_MAX:,} characters, which these {len(ratings):,} ratings would pass. The "
            "link keeps its list as it was: remove a few ratings first to make room. 'Save my "
            "ratings (CSV)' below keeps the list in a file, and 'Load saved ratings (CSV)' reads "
            "such a file back."
        )
        return False
    held = st.session_state.get(_HELD) or {}
    if len(held) > 1:
        st.session_state[_FULL] = f"{refused}: {_two_held_text(model, held)}"
        return False
    (held_on, kept), *_ = [*held.items(), (None, {})]
    # one link change: written key by key, the first left a history entry without the second
    tag = data_tag(model) if ratings else None
    state.set_link(
        {
            RATED_PARAM: value if ratings else None,
            RATED_ON_PARAM: tag,
            HELD_PARAM: format_rated(kept) if kept else None,
            HELD_ON_PARAM: held_on if kept else None,
        }
    )
    return True


def _two_held_text(model: Any, held: dict[str, dict[MovieId, float]]) -> str:
    """Why the link is not rewritten: it holds ratings of two data sets ``model``'s lacks."""
    named = " and ".join(f"{len(r):,} made on {_data_name(t)}" for t, r in held.items())
    return (
        f"the link holds ratings of films {text.md(model.dataset_name)} lacks ({named}), "
        "and keeps ratings of one other data set only, so it is left as it is. Open a model "
        "of one of them to move those ratings there first."
    )


def _data_name(tag: str) -> str:
    """The data set's name in a :func:`data_tag` (``ml-100k:f740…`` -> ``ml-100k``)."""
    return text.md(tag.rpartition(":")[0] or tag)


def fitting_ratings(ratings: dict[MovieId, float]) -> dict[MovieId, float]:
    """The first ``ratings``, in their order, whose link (:func:`format_rated`) fits in
    :data:`state.RATED_MAX` characters: all of them when they fit."""
    kept = state.cut_to_fit(format_rated(ratings), state.RATED_MAX, ",")
    return dict(list(ratings.items())[: len(kept.split(",")) if kept else 0])


def _named(items: list[str]) -> str:
    """The first :data:`_NAMED` of ``items``, comma-joined (control characters escaped), and
    how many more there are."""
    more = f" and {len(items) - _NAMED:,} more" if len(items) > _NAMED else ""
    return ", ".join(map(state.escaped, items[:_NAMED])) + more


def _users_pca(model: Any) -> tuple[Any, pd.DataFrame | None]:
    """The users map of ``model`` (PCA and, when its dataset is here, the map's frame)."""
    from movierate.ui.explore_views import model_users_map

    if len(model.user_embedding) < 2:  # a map of users needs two of them
        return None, None
    try:
        umap = model_users_map(model)
    except DataError:
        return state.cached(_fit_user_pca, model), None
    return umap.pca, umap.coordinates


def _fit_user_pca(model: Any) -> Any:
    return explore.fit_pca(model.user_embedding, n_components=2)


#: What to do when no saved model can use your ratings (views round 27, F2).
NONE_CAN = (
    "An mf, mf_bias, svdpp or autorec model trained here can: train one (Home's quick start "
    "makes an mf_bias model in about a minute) and pick it."
)


def folds_in(model: Any) -> bool:
    """Whether ``model`` (a loaded model or a ``store.ModelInfo``) can place a new user from a
    few ratings without retraining (fold-in): a trained model of a family in
    :data:`movierate.explore.foldin.SUPPORTED_FAMILIES`, not an import (no users)."""
    from movierate.explore.foldin import SUPPORTED_FAMILIES

    imported = bool(getattr(model, "imported", False)) or is_imported(model)
    return not imported and model.spec.family in SUPPORTED_FAMILIES


def why_not(model: Any) -> str:
    """Why ``model`` cannot use your ratings, in plain words (views round 27, F2: "not linear
    in the user vector" told a newcomer nothing)."""
    if bool(getattr(model, "imported", False)) or is_imported(model):
        return (
            "it is an embedding imported from elsewhere, with movie vectors but no users to "
            "place you among"
        )
    kind = "a deep model" if model.spec.family == "deep" else f"a {model.spec.family} model"
    return f"{kind} has to be retrained to learn a new person's taste"


def pick_model() -> Any:
    """Rate movies' model picker (``?model=``): the saved models that can use your ratings
    (:func:`folds_in`), the newest first, with a line saying why a newer or linked model is not
    used (views round 27, F2: the page opened on a deep model and only refused); with none,
    why and what to do, and the page stops."""
    infos, broken = state.list_models()
    widgets.show_broken_models(broken)
    if not infos:
        widgets.no_models_notice()
        st.stop()
    saved = {info.name: info for info in infos}
    names = widgets.by_dataset(infos)
    able = [name for name in names if folds_in(saved[name])]
    linked = st.query_params.get("model")
    refused = saved[linked] if linked in saved and linked not in able else None
    if not able:
        info = refused or saved[names[0]]
        st.info(
            f"{text.md(info.name)} cannot use your ratings: {why_not(info)}, and no saved "
            f"model can. {NONE_CAN}",
            icon=":material/info:",
        )
        st.stop()
    # a link's ids are its rated_on's, else the named model's data's (accuracy round 50, F1:
    # a deep ml-100k link fell back to the newest model of ml-latest-small, which read Star
    # Wars' id as its film): a refused model gives way to a usable one of that data first
    st.session_state[_LINKED_ON] = _info_tag(saved[linked]) if linked in saved else None
    wanted = st.query_params.get(RATED_ON_PARAM) or st.session_state[_LINKED_ON]
    same = [n for n in able if refused and _info_tag(saved[n]) == wanted]
    newest, newer = newest_usable([info.name for info in infos], same or able)
    if same:
        st.session_state["model"] = newest
        state.set_in_link("model", newest)
    gone = widgets.forget_missing("model", names, say=False)
    name = widgets.pick_one(
        able,
        key="model",
        label="Model",
        first=newest,
        help="The saved models that can use your ratings (mf, mf_bias, svdpp and autorec ones); "
        "the choice is kept in the URL.",
        all_saved=False,
    )
    widgets.say_gone(gone, name)
    if refused is not None:
        other = "" if same or not st.query_params.get(RATED_PARAM) else (
            f" No saved model of {_data_name(wanted)}, the link's data, can, so its movie ids "
            f"are read as {_data_name(wanted)}'s and matched by film to {text.md(name)}'s."
        )  # fmt: skip
        st.info(
            f"{text.md(refused.name)}, named in the link, cannot use your ratings: "
            f"{why_not(refused)}. This page shows {text.md(name)} instead.{other}",
            icon=":material/info:",
        )
    elif newer and name == newest:
        said = _newer_text(newer, saved)
        st.caption(f"{text.md(name)} is the newest model that can use your ratings: {said}.")
    return widgets.load_models([name])[0]


def _info_tag(info: Any) -> str:
    """The :func:`data_tag` of a saved model's ``store.ModelInfo``."""
    return f"{info.dataset}:{info.dataset_fingerprint}"


def newest_usable(by_age: list[str], able: list[str]) -> tuple[str | None, list[str]]:
    """The newest of the models ``able`` to use your ratings, by age (``by_age`` newest first,
    as ``store.list_models`` gives them), and the models newer than it; not by the page's
    grouping by data set (bad-input round 58, F1: an older model was called "newer", and the
    newest usable model was passed over for an older one of the newest model's data set).

    >>> newest_usable(["deep-a", "mf-b", "imp", "mf-a"], ["mf-a", "mf-b"])
    ('mf-b', ['deep-a'])
    """
    newest = next((name for name in by_age if name in able), None)
    return newest, by_age[: by_age.index(newest)] if newest is not None else []


def _newer_text(newer: list[str], saved: dict[str, Any]) -> str:
    """Why each of the models ``newer`` than the picked one cannot use your ratings: each
    model's own reason (fuzz58, F1: "o2-imported, old-imp2 are newer, but it is ...")."""
    said = [f"{text.md(name)} is newer, but {why_not(saved[name])}" for name in newer[:3]]
    if len(newer) > 3:
        said.append(f"{len(newer) - 3} newer models more cannot either")
    return "; ".join(said)


def render_for_picked(models: list[Any], *, k: int, min_ratings: int) -> None:
    """ "Your own ratings" under a page's picked ``models``: with the first that can use them
    (:func:`folds_in`), saying so when an earlier one cannot (views round 27, F2: Recommend
    refused on its first model while a usable one was picked), else why not and what to do."""
    own = next((model for model in models if folds_in(model)), None)
    if own is None:
        names = [model.name for model in models]
        saved = [
            info.name
            for info in state.list_models()[0]
            if folds_in(info) and info.dataset == models[0].dataset_name
        ]
        then = (
            f"{text.md(_named(saved))} can: add {'it' if len(saved) == 1 else 'one'} to Models above."
            if saved
            else NONE_CAN
        )
        st.info(
            f"{text.md(_named(names))} cannot use your ratings: {why_not(models[0])}. {then}",
            icon=":material/info:",
        )
        return
    if own is not models[0]:
        st.caption(
            f"With {text.md(own.name)}, the first model picked that can use your ratings: "
            f"{text.md(models[0].name)} cannot ({why_not(models[0])})."
        )
    render_your_ratings(own, k=k, min_ratings=min_ratings)


def render_your_ratings(
    model: Any, *, k: int | None = None, min_ratings: int | None = None
) -> None:
    """Search and rate movies, then recommendations for you from ``model`` (no retraining).

    ``k`` and ``min_ratings`` given (e.g. by the Recommend page, whose own sliders use the
    URL keys ``k`` and ``min_ratings``) are used as they are; otherwise this draws those two
    sliders itself."""
    if not folds_in(model):
        st.info(
            f"{text.md(model.name)} cannot use your ratings: {why_not(model)}. {NONE_CAN}",
            icon=":material/info:",
        )
        return
    ratings, bad, repeated = _on_this_data(model)
    if bad:
        st.warning(
            f"Left out {len(bad)} unreadable entr{'y' if len(bad) == 1 else 'ies'} of the URL "
            f"({text.md(', '.join(map(state.escaped, bad[:5])))}); the form is "
            "?rated=movie_id:rating,…",
            icon=":material/link_off:",
        )
    if repeated:
        st.warning(
            f"The link rates movie id(s) {text.md(', '.join(map(state.escaped, repeated[:5])))} "
            "more than "
            "once; the last rating of each is used.",
            icon=":material/info:",
        )
    rows: dict[int, float] = {}
    unknown, moved = [], []
    lo, hi, step = model.rating_scale
    for movie_id, rating in ratings.items():
        row = state.movie_row(model, movie_id)
        if row is None:
            unknown.append(str(movie_id))
        else:
            rows[row] = nearest_allowed(rating, model.rating_scale)
            if rows[row] != rating:
                moved.append(f"{movie_id}:{rating:g} → {rows[row]:g}")
    if moved:  # said, not done silently: the link asked for a rating the scale lacks
        steps = f" in steps of {step:g}" if step > 0 else ""
        st.warning(
            f"{len(moved)} rating(s) in the link are not on {text.md(model.name)}'s scale ({lo:g}-{hi:g}"
            f"{steps}) and were moved to the nearest rating it allows "
            f"({text.md(', '.join(moved[:5]))}).",
            icon=":material/info:",
        )
    if unknown:
        st.warning(
            f"{text.md(model.name)} does not know movie id(s) {text.md(_named(unknown))}; they "
            "are left out.",
            icon=":material/info:",
        )
    rows = _one_rating_per_film(model, rows)
    _link_cut(model, ratings)
    _rating_form(model, ratings)
    if not rows:
        st.info(
            "Search for a movie above, rate it and add it, or load ratings you saved. The "
            "predictions start from the average user's and move with each rating you add; with "
            "only a few they stay close to it. Your ratings stay in this page's address only: "
            "bookmark or share it.",
            icon=":material/star:",
        )
        _load_form(model, ratings)
        return
    never_learned = untrained(model.movies)
    cold = [row for row in rows if never_learned[row]]
    if cold:  # accuracy round 56, F1: they were fitted, unmarked
        (st.warning if len(cold) == len(rows) else st.info)(
            untrained_rated_text(model, cold, len(rows)), icon=":material/model_training:"
        )
    _rated_list(model, ratings, rows, cold)
    if len(cold) == len(rows):  # nothing to fit: no list, and not "rate more" (round 56)
        return

    if k is None or min_ratings is None:
        k_col, min_col = st.columns(2)
        k = k_col.slider("Recommendations", 5, 50, 10, key="k", bind="query-params")
        min_ratings = widgets.min_ratings_slider(
            [model],
            "Min. ratings of a recommended movie",
            0,
            200,
            10,
            key="min_ratings",
            container=min_col,
            bind="query-params",
            help="Obscure movies with a handful of enthusiastic ratings get inflated biases; "
            "this keeps them out. It counts the ratings the model trained on (test rows do "
            "not count).",
        )
    pca, users = _users_pca(model)
    recs = explore.recommend_from_ratings(model, rows, k=k, min_ratings=min_ratings, pca=pca)
    st.header("Recommended for you")
    st.caption(
        f"{recs.message} {text.predictions_scale_text(model.name, recs.shown)} "
        f"{measured_for_new_users(store.family_shown(model), model.dataset_name)}"
    )
    recommended = recs.recommended.assign(  # each title isolated (views round 12)
        because=recs.recommended["because_parts"].map(text.titles_cell)
    )
    recommended = with_training_counts(recommended, model.movies)  # as the filter counts
    widgets.show_movies(
        recommended[[c for c in RECOMMENDED_COLUMNS if c in recommended.columns]],
        key="your_recs",
        config=widgets.training_count_column(model),
    )
    # two fixed widths that wrap: the map beside the table on a wide page, under it on a
    # narrower one (views round 33, F2: columns kept it at 2/5 of an upright iPad's 736 px,
    # a 64 px plot; a stretched side shrinks to 128 px before it wraps); at half width the
    # table's pushes were cut off (recheck)
    row = st.container(horizontal=True, gap="small")
    left, right = row.container(width=DRIVERS_WIDTH), row.container(width=USERS_MAP_WIDTH)
    with left:
        st.markdown("**What drove them**")
        drivers = _drivers(recs.reasons)
        widgets.show_table(
            widgets.numbers_first(drivers),
            hide_index=True,
            column_config={
                "your rating": st.column_config.NumberColumn(  # as in "Your ratings" (views
                    format=_rating_format(model.rating_scale)  # round 9: 10 there, 10.0 here)
                ),
                "level": st.column_config.NumberColumn(
                    "level",
                    format="%+.2f",
                    help="How much this rating moved the average movie's prediction (every "
                    "movie's alike): it changes the scores, not which movies are listed.",
                ),
                "taste": st.column_config.NumberColumn(
                    "taste push",
                    format="%+.2f",
                    help="Summed over the recommendations: how much more (+) or less (−) "
                    "this rating raised their scores than the average movie's, the level "
                    "(the fold-in's exact per-rating contributions). This is what moves picks "
                    "off the average user's list: a film you disliked raises the films unlike "
                    "it.",
                ),
            },
            key="your_drivers",
        )
        # views round 4b: "because Scream (rated 1)" at the top read as a bug; accuracy round
        # 45, F1: "how much (on its score)" read as the rating's whole effect on the pick
        st.caption(
            "'because' names the rated films whose taste push raised a pick most, with that "
            "push: how much more the rating raised the pick than the average movie. A film you "
            "rated low raises the films unlike it, so 'because X (rated 1: +0.05)' reads: "
            "unlike X. 'level' (its push on the average movie) moves every score alike, so a "
            "rating's whole effect on a pick (level plus push) can be smaller, even negative; "
            "the taste push is what moves a pick above or below the average user's list."
        )
    with right:
        st.markdown("**You among the users**")
        if len(model.user_embedding) < 2:
            st.caption(f"A users map needs two users or more; {text.md(model.name)} knows one.")
        elif users is None or recs.coordinates is None:
            st.caption("The users map needs the model's dataset, which is not here.")
        else:
            st.plotly_chart(
                figures.titled(  # its PNG names the model (views round 25, F2)
                    explore_figures.users_figure(
                        users,
                        "n_ratings",
                        USER_COLOURS["n_ratings"],
                        you=recs.coordinates,
                        height=420,
                    ),
                    figures.model_part(model),
                    f"you among its {len(users):,} users",
                    line=NARROW_TITLE_LINE,  # a column of 2 in 5 (acc32: "... 560 use" cut)
                ),
                width="stretch",
                key="your_map",
                config=figures.export_config(model.name, "you-among-the-users"),
            )
            st.caption(you_among_users_text(users, recs.coordinates))


#: How many of the users nearest "you" the users map's caption describes.
_NEAREST = 10


def you_among_users_text(users: pd.DataFrame, you: Any) -> str:
    """The users map's text equivalent (views round 23, F2: a screen reader heard its tick
    labels only): where ``you`` (x, y) sit, how many ``users`` (x, y, n_ratings) lie nearer
    the map's centre (the users' average), and how active the users nearest you are."""
    xy = users[["x", "y"]].to_numpy(dtype=float)
    here = np.asarray(you, dtype=float)[:2]
    centre = xy.mean(axis=0)
    nearer = int((np.linalg.norm(xy - centre, axis=1) < np.linalg.norm(here - centre)).sum())
    nearest = np.argsort(np.linalg.norm(xy - here, axis=1))[:_NEAREST]
    near_n = float(np.median(users["n_ratings"].to_numpy()[nearest]))
    all_n = float(np.median(users["n_ratings"]))
    return (
        f"You (the star) sit at user PC 1 = {number(here[0], '.2f')}, user PC 2 = "
        f"{number(here[1], '.2f')}; "
        f"{nearer:,} of the {len(users):,} users ({store.percent(nearer, len(users))}) "
        f"{'lies' if nearer == 1 else 'lie'} nearer the "
        f"map's centre (the users' average) than you. The {len(nearest):,} users nearest you "
        f"have a median of {near_n:,.0f} training ratings (all users: {all_n:,.0f}); the colour "
        "shows each user's number of training ratings (the rows the model trained on, not its "
        "early-stopping or test rows)."
    )


def _on_this_data(model: Any) -> tuple[dict[MovieId, float], list[str], list[MovieId]]:
    """The link's ratings as ``model``'s movie ids, its unreadable entries and the ids it rates
    more than once. Each list of the link (``rated``, and ``rated_held`` of films this data
    lacks) is read with the id type of the data it was made on (recheck 8, F1: a link of an
    IMDb import's ``tt`` ids was "unreadable" on a MovieLens model, and the next Add dropped
    it), then moved by movie identity (IMDb id, else title and year) from a saved model of that
    data onto this model's ids and rating scale; films this data lacks, or all of them when no
    model of that data is here, are kept in the link for one (``rated_held``) and said. A link
    without ``rated_on`` is read as the data of the model it names (:func:`pick_model`), else
    this model's, and stamped so. Looking changes nothing
    else in the link: it keeps each rating as made until the list is changed here (recheck 9,
    F1: a 3.5 shown on a 1-5 model and back came home as 4)."""
    here = data_tag(model)
    link, tag = st.query_params.get(RATED_PARAM), st.query_params.get(RATED_ON_PARAM)
    named = st.session_state.pop(_LINKED_ON, None) or here  # the model the link names
    if link and not tag:
        st.query_params[RATED_ON_PARAM] = tag = named
        whose = "" if named == here else ", the data of the model the link names"
        st.caption(
            f"This link does not say which data set its movie ids come from; they are read as "
            f"{_data_name(named)}'s{whose}."
        )
    ratings: dict[MovieId, float] = {}
    held: dict[str, dict[MovieId, float]] = {}
    bad: list[str] = []
    repeated: list[MovieId] = []
    said: list[str | None] = []  # what moved, said with whether the link took it
    held_list = (st.query_params.get(HELD_PARAM), st.query_params.get(HELD_ON_PARAM))
    for value, on in (held_list, (link, tag)):  # the main list last: its rating of a film wins
        source = model if on in (None, here) else _model_of_data(on)
        text_ids = True if source is None else has_text_ids(source)  # any id reads as text
        got, unreadable = parse_rated(value, text_ids=text_ids)
        bad += unreadable
        repeated += repeated_ids(value, text_ids=text_ids)
        if not got:
            continue
        if source is model:  # this data's list, or held ratings back on their own data
            ratings.update(got)
            continue
        moved, left, replaced = _moved_by_identity(source, model, got)
        ratings.update(moved)  # used here; the link keeps them as made until a change here
        # (recheck 9, F1: only looking at a model of another scale rewrote 3.5 as 4 for good)
        if left:
            held.setdefault(on, {}).update(left)
        said.append(
            (_say_moved(
                model, source, on, got, moved, main=on == tag and value == link,
                example=next((r for m, r in got.items() if m not in left), None),
                replaced=len(replaced),
            ) or "")
            + _replaced_text(source, replaced)
        )  # fmt: skip
    st.session_state[_HELD] = held
    if said := [line for line in said if line]:
        st.info(" ".join(said), icon=":material/swap_horiz:")
    return ratings, bad, repeated


def _say_moved(
    model: Any,
    source: Any,
    tag: str,
    ratings: dict[MovieId, float],
    moved: dict[MovieId, float],
    *,
    main: bool,
    example: float | None = None,
    replaced: int = 0,
) -> str | None:
    """What moving ``ratings`` (a list of the link, made on the data ``tag`` names, of which
    ``source`` is a saved model or None) onto ``model``'s films did (``moved`` are used): said
    here when none moved, else returned for :func:`_on_this_data` to say; ``example`` is a
    moved film's rating, for the scale note (recheck 9: a film left behind was quoted);
    ``replaced``: ratings a later one of the same film replaced (neither moved nor left)."""
    name, here = _data_name(tag), text.md(model.dataset_name)
    left = len(ratings) - len(moved) - replaced
    kept = f"the link keeps {'it' if left == 1 else 'them'} for a model of {name}"
    if source is None:
        st.warning(
            f"{'This rating was' if len(ratings) == 1 else f'These {len(ratings):,} ratings were'}"
            f" made on {name} (data {text.md(tag.rpartition(':')[2][:8])}), and no saved model "
            f"here was trained on that data, so their movie ids cannot be matched to the films "
            f"of {here} (an id there may name another film). They are not used here; {kept}, "
            "beside the ratings you add here.",
            icon=":material/link_off:",
        )
    elif not moved and main:  # bad-input round 36, F1: the link's list was replaced by nothing
        st.warning(
            f"None of your {len(ratings):,} ratings, made on {name}, is of a film in {here} "
            f"(matched by IMDb id or title and year), so none is used here; {kept}, beside the "
            "ratings you add here.",
            icon=":material/link_off:",
        )
    elif not moved:
        st.info(
            f"{left:,} {'rating' if left == 1 else 'ratings'} of the link "
            f"{'was' if left == 1 else 'were'} made on {name}, of films {here} lacks "
            f"({text.md(_named([str(m) for m in ratings]))}): not used here; {kept}.",
            icon=":material/link_off:",
        )
    else:
        return (
            f"Your {len(ratings):,} "
            f"{'rating was' if len(ratings) == 1 else 'ratings were'} made on {name}; "
            f"{len(moved):,} of those movies {'is' if len(moved) == 1 else 'are'} in {here} "
            "(matched by IMDb id or title and year) and "
            f"{'is' if len(moved) == 1 else 'are'} used here"
            + _scale_note(
                source, model, next(iter(ratings.values())) if example is None else example
            )
            + (
                f"; {left:,} {'is' if left == 1 else 'are'} not in {here}'s data: {kept}."
                if left
                else "."
            )
            + f" The link keeps them as made on {name} until you change the list here."
        )
    return None


def _scale_note(source: Any, model: Any, rating: float) -> str:
    """How ratings moved from ``source``'s scale onto ``model``'s, with ``rating`` as the
    example; "" when the scales are the same."""
    (lo, hi, _), (to_lo, to_hi, _) = source.rating_scale, model.rating_scale
    if (lo, hi) == (to_lo, to_hi):
        return ""
    exact = moved_value(rating, source.rating_scale, model.rating_scale)
    shown = rescaled(rating, source.rating_scale, model.rating_scale)
    # recheck 9, F1: "(4 → 4)" hid the rounding of 3.875
    rounded = f" → {shown:g}, the nearest rating it allows" if abs(exact - shown) > 1e-9 else ""
    how = move_words(source.rating_scale, model.rating_scale)
    return (
        f", their ratings moved {how} from {text.md(source.dataset_name)}'s "
        f"{lo:g}-{hi:g} scale onto {text.md(model.dataset_name)}'s {to_lo:g}-{to_hi:g} "
        f"({rating:g} → {exact:.4g}{rounded})"
    )


def _moved_by_identity(
    source: Any | None, model: Any, ratings: dict[MovieId, float]
) -> tuple[dict[MovieId, float], dict[MovieId, float], list[tuple[MovieId, MovieId]]]:
    """``ratings`` by ``source``'s movie ids as ``model``'s ids of the same films (IMDb id,
    else title and year), in their order and moved onto ``model``'s rating scale
    (:func:`rescaled`) when it is another; those of films ``model`` lacks (all of them
    when ``source``, a model of their data, is None), as they were; and pairs of ``source``'s
    ids (replaced, later) of one film whose later rating replaced the first (ml-100k's
    twins: recheck 12, M1, three films rated twice were merged silently and counted as left
    out)."""
    moved: dict[MovieId, float] = {}
    left: dict[MovieId, float] = {}
    by: dict[MovieId, MovieId] = {}  # model's id -> the source id whose rating it holds
    replaced: list[tuple[MovieId, MovieId]] = []  # (replaced, the later id) of one film
    same = source is not None and tuple(source.rating_scale) == tuple(model.rating_scale)
    for movie_id, rating in ratings.items():
        row = None if source is None else state.movie_row(source, movie_id)
        here = None if row is None else explore.matching_row(source.movies, row, model.movies)
        if here is None:
            left[movie_id] = rating
            continue
        target = movie_id_of(model, here)
        if target in by:
            replaced.append((by[target], movie_id))
        by[target] = movie_id
        moved[target] = (
            rating if same else rescaled(rating, source.rating_scale, model.rating_scale)
        )
    return moved, left, replaced


def _replaced_text(source: Any, replaced: list[tuple[MovieId, MovieId]]) -> str:
    """Text such as " 1 film is rated under both of its ids in ml-100k (Chasing Amy (1997): ids
    246 and 1,xxx); only the later rating of each counts (the second id named)", or ""."""
    if not replaced:
        return ""
    movies = source.movies
    named = "; ".join(
        f"{text.md(text.with_year(movies['title'].iloc[r], movies['year'].iloc[r]))}: ids "
        f"{text.md(str(first))} and {text.md(str(later))}"
        for first, later in replaced[:3]
        if (r := state.movie_row(source, first)) is not None
    )
    return (
        f" {counted(len(replaced), 'film')} {'is' if len(replaced) == 1 else 'are'} rated "
        f"under both of {'its' if len(replaced) == 1 else 'their'} ids in "
        f"{text.md(source.dataset_name)} ({named}); only the later rating of each counts (the "
        "second id named)."
    )


def _left_out_text(source: Any, model: Any, left: dict[MovieId, float]) -> str:
    """Which of ``source``'s films ``model`` lacks, and why (accuracy round 49, F3: "3 are left
    out", unnamed): ": Beauty (1998) is not in ml-latest-small; Emma (1996) shares its title
    and year with another film there, so which one would be a guess"; "" when none is."""
    tied = set(explore.movie_match(source.movies, model.movies).tied_rows)
    named: dict[bool, list[str]] = {True: [], False: []}
    for movie_id in left:
        row = state.movie_row(source, movie_id)
        movie = source.movies.iloc[row]
        named[row in tied].append(text.md(text.with_year(movie["title"], movie["year"])))
    said = []
    if named[False]:
        verb = "is" if len(named[False]) == 1 else "are"
        said.append(f"{_named(named[False])} {verb} not in {model.dataset_name}")
    if named[True]:
        said.append(
            f"{_named(named[True])} share{'s' if len(named[True]) == 1 else ''} a title and year "
            f"with another film of {source.dataset_name} or {model.dataset_name}, so which one "
            "it is would be a guess"
        )
    return f": {'; '.join(said)}" if said else ""


def _link_cut(model: Any, ratings: dict[MovieId, float]) -> None:
    """When the link held more ratings than the address takes (``state.read_url`` kept its
    first ones): how many movies are used and not, and the whole list as a file to keep."""
    whole = state.cut_from_link(RATED_PARAM)
    if whole is None:
        return
    tag = st.query_params.get(RATED_ON_PARAM) or data_tag(model)
    text_ids = link_text_ids(model, tag)
    every, _ = parse_rated(whole, text_ids=text_ids)
    kept_value = st.query_params.get(RATED_PARAM)
    kept, _ = parse_rated(kept_value, text_ids=text_ids)
    said, lost = link_cut_text(every, kept, _entries(whole), _entries(kept_value))
    if not lost:  # the cut entries only repeated ratings kept: nothing to save
        st.info(said, icon=":material/content_cut:")
        return
    titles = model.movies["title"].astype(str).to_numpy()
    rows = [state.movie_row(model, m) if tag == data_tag(model) else None for m in every]
    table = pd.DataFrame(
        {
            FILE_ID: list(every),
            FILE_TITLE: ["" if r is None else titles[r] for r in rows],
            FILE_RATING: list(every.values()),
            FILE_DATASET: tag,
        }
    )
    st.warning(said, icon=":material/content_cut:")
    st.download_button(
        f"Save {'the rating' if len(every) == 1 else f'all {len(every):,} ratings'} of the link "
        "(CSV)",
        spreadsheet.csv_text(table),
        file_name=ratings_file_name(model),
        mime="text/csv",
        icon=":material/download:",
        key="rated_cut_save",
    )


def _entries(value: str | None) -> int:
    """How many non-empty entries a ``rated`` list holds (as the link's cut notice counts)."""
    return sum(1 for part in (value or "").split(",") if part.strip())


def link_cut_text(
    every: dict[MovieId, float], kept: dict[MovieId, float], entries: int, kept_entries: int
) -> tuple[str, bool]:
    """What cutting a link's ratings to the address's first ``kept_entries`` of its ``entries``
    did, by movie (repeats merged, each movie's last rating: ``every`` the link's, ``kept`` the
    address's), and whether any movie's rating is lost (bad-input round 65, F2: 20,000 ratings
    of one movie said "rated 1 movies, more than the address holds … the other 0 are not")."""
    missing = [movie for movie in every if movie not in kept]
    earlier = [movie for movie in kept if kept[movie] != every.get(movie)]
    cut = entries - kept_entries
    cut_said = f"The {counted(cut, 'rating')} of the link past the {state.RATED_MAX:,} characters"
    if not missing and not earlier:
        return (
            f"{cut_said} the page's address holds only rate again movies rated before "
            f"{'it' if cut == 1 else 'them'}, with the same rating: "
            + ("its one movie is" if len(every) == 1 else f"all {len(every):,} of its movies are")
            + " used, and no rating is lost.",
            False,
        )
    parts = []
    if missing:
        used = (
            f"the first {len(kept):,} {'is' if len(kept) == 1 else 'are'} used"
            if kept
            else "none is used"
        )
        parts.append(
            f"{used} and the other {len(missing):,} {'is' if len(missing) == 1 else 'are'} not"
        )
    if earlier:
        parts.append(
            f"{counted(len(earlier), 'movie')} rated again past the cut "
            f"{'keeps its' if len(earlier) == 1 else 'keep their'} earlier rating here, not the "
            "link's last"
        )
    repeats = (
        f" in {counted(entries, 'rating')} (a movie rated again counts once)"
        if entries != len(every)
        else ""
    )
    keep = "its rating" if len(every) == 1 else f"all {len(every):,}"
    return (
        f"This link rated {counted(len(every), 'movie')}{repeats}, more than the page's address "
        f"holds ({state.RATED_MAX:,} characters of ratings): {'; '.join(parts)}. To keep {keep}, "
        f"save {'it' if len(every) == 1 else 'them'} below now (the file holds each movie's last rating; the address no longer "
        "does); 'Load saved ratings (CSV)' reads a saved file back, as many ratings as the "
        "address holds.",
        True,
    )


def read_saved_ratings(
    model: Any, data: bytes, *, source_of: Callable[[str], Any | None] | None = None
) -> tuple[dict[MovieId, float], list[str]]:
    """The ratings of a file "Save my ratings (CSV)" wrote (``movie_id``, ``your rating``
    and ``dataset`` columns), or of an IMDb or Letterboxd export (:mod:`movierate.data.exports`),
    as ``model``'s movie ids in the file's order, and a sentence for each kind of row skipped
    or changed. Ids of another data set (its ``dataset`` column) are
    moved by movie identity through ``source_of(tag)``, a model of that data. DataError when
    the file cannot be used at all, or when no rating of it can be used (bad-input round 36,
    F1: a file of unreadable rows replaced the list with nothing, under a success)."""
    table, raw, notes = _saved_table(data)
    check_one_person(table)  # bad-input round 56, F1
    service = export_service(list(table.columns))
    if service is not None and FILE_ID not in table.columns:
        return _from_export(model, table, service, notes)
    missing = [c for c in (FILE_ID, FILE_RATING) if c not in table.columns]
    if missing:
        raise DataError(
            f"This file has no {' or '.join(repr(c) for c in missing)} column (its columns: "
            f"{', '.join(map(repr, table.columns[:10])) or 'none'}). A saved ratings file has "
            f"the columns {FILE_ID}, {FILE_TITLE}, {FILE_RATING} and {FILE_DATASET}, as 'Save my "
            "ratings (CSV)' writes them."
        )
    if table.empty:
        raise DataError("This file holds no ratings (only its header line).")
    header = _repeated_header(table, raw, notes)
    table = table[~header].reset_index(drop=True)
    table[FILE_RATING] = decimal_comma(table[FILE_RATING], raw)  # '4,5' (German Excel)
    notes += raw.warnings
    tags = sorted({t.strip() for t in table.get(FILE_DATASET, pd.Series(dtype=str)) if t.strip()})
    if len(tags) > 1:
        raise DataError(
            f"This file mixes the movie ids of {len(tags)} data sets ({', '.join(tags[:3])}); "
            "a saved ratings file holds one. Save each list on its own."
        )
    source = model
    if tags and ":" not in tags[0] and tags[0] == model.dataset_name:
        # a data set named without its fingerprint (a hand-made file; the recheck of round 29
        # saw 'ml-latest-small' refused on an ml-latest-small model)
        notes.append(
            f"The file names its data set ({tags[0]}) without the fingerprint Save writes; "
            "its ids are read as this model's."
        )
    elif tags and tags[0] != data_tag(model):
        source = source_of(tags[0]) if source_of else None
        name, _, fingerprint = tags[0].rpartition(":") if ":" in tags[0] else (tags[0], "", "")
        if source is None:
            data = f" (data {fingerprint[:8]})" if fingerprint else ""
            raise DataError(
                f"These ratings were made on {name}{data}, and no saved model here was trained "
                f"on that data, so their movie ids cannot be matched to the films of "
                f"{model.dataset_name} (an id there may name another film). Open a model "
                f"trained on {name} and load the file there."
            )
    elif not tags:
        notes.append(
            f"The file does not say which data set its movie ids come from; they are read as "
            f"{model.dataset_name}'s."
        )
    text_ids = has_text_ids(source)
    lo, hi, _ = source.rating_scale  # moved onto model's scale with the films (recheck 8, F1)
    scale_of = model.name if source is model else source.dataset_name
    ratings: dict[MovieId, float] = {}
    unreadable, off_scale, unknown, moved_on_scale = [], [], [], []
    for position, (raw_id, raw_rating) in enumerate(
        zip(table[FILE_ID], table[FILE_RATING], strict=True)
    ):
        movie_id = _file_id(raw_id, text_ids)
        try:
            rating = float(raw_rating)
        except ValueError:
            rating = math.nan
        if movie_id is None or not math.isfinite(rating):
            unreadable.append(
                f"line {raw.line(position)} ({raw_id.strip() or '?'}: {raw_rating.strip() or '?'})"
            )
        elif not lo <= rating <= hi:
            off_scale.append(f"{movie_id}: {rating:g}")
        elif state.movie_row(source, movie_id) is None:
            unknown.append(str(movie_id))
        else:
            allowed = nearest_allowed(rating, source.rating_scale)
            if allowed != rating:
                moved_on_scale.append(f"{movie_id}: {rating:g} → {allowed:g}")
            ratings.pop(movie_id, None)  # a repeated id: its last rating, at its last place
            ratings[movie_id] = allowed
    if source is not model:
        found, example = len(ratings), next(iter(ratings.values()), None)
        ratings, left, replaced = _moved_by_identity(source, model, ratings)
        notes.append(
            f"The file's ratings were made on {source.dataset_name}; {found - len(left):,} of "
            f"its {found:,} movies are in {model.dataset_name} (matched by IMDb id or title and "
            "year)"
            + ("" if example is None else _scale_note(source, model, example))
            + (f", {len(left):,} are left out" if left else "")
            + f"{_left_out_text(source, model, left)}."
            + _replaced_text(source, replaced)
        )
    for items, why in (
        (unreadable, "cannot be read as a movie id and a number"),
        (off_scale, f"are off {scale_of}'s scale ({lo:g}-{hi:g})"),
        (unknown, f"name movie ids {source.dataset_name} does not have"),
    ):
        if items:
            notes.append(f"Skipped {len(items):,} row(s) that {why}: {_named(items)}.")
    if moved_on_scale:
        notes.append(
            f"{len(moved_on_scale):,} rating(s) fall between the ratings {scale_of} allows and "
            f"were moved to the nearest: {_named(moved_on_scale)}."
        )
    if not ratings:
        raise DataError(
            f"No rating of this file can be used ({len(table):,} row(s) read). "
            + " ".join(notes)
            + " Your ratings are unchanged; fix the file or load one 'Save my ratings (CSV)' "
            "wrote."
        )
    return ratings, notes


def _from_export(
    model: Any, table: pd.DataFrame, service: Service, notes: list[str]
) -> tuple[dict[MovieId, float], list[str]]:
    """:func:`read_saved_ratings` of an IMDb or Letterboxd export (bad-input round 36, F6):
    its films matched to ``model``'s by identity, its ratings moved onto ``model``'s scale."""
    rows, said = export_ratings(
        table, service, model.movies, model.rating_scale, model.dataset_name
    )
    ratings: dict[MovieId, float] = {}
    between = 0
    for row, rating in rows.items():
        ratings[movie_id_of(model, row)] = allowed = nearest_allowed(rating, model.rating_scale)
        between += not math.isclose(allowed, rating)
    if between:
        said.append(
            f"{between:,} of them fall between the ratings {model.name} allows and were moved "
            "to the nearest."
        )
    if not ratings:
        raise DataError(
            f"No rating of this {service.name} export can be used. {' '.join(said)} Your "
            "ratings are unchanged."
        )
    return ratings, notes + said


#: Where messages about a saved ratings file name it.
_THIS_FILE = "This file"
#: The part of the separator's error that speaks to Python callers only.
_PYTHON_DELIMITER = " (in Python, delimiter=... names another)"


def _saved_table(data: bytes) -> tuple[pd.DataFrame, RawData, list[str]]:
    """A saved ratings file as a table of strings (column names in lower case), its rows' file
    lines (a :class:`RawData`) and notes, read as Home reads a file (bad-input round 36, F4:
    Excel's re-saves were refused with a codec's message): a compressed file or workbook
    named, UTF-16 by its mark, Windows text (cp1252) when it is not UTF-8, ``;`` or tabs
    between the columns, Excel's ``sep=`` line."""
    holds = "your ratings ('Save my ratings (CSV)' writes such a file)"
    check_not_empty(data, _THIS_FILE, holds)
    head = read_head(data)
    encoding = bom_encoding(head) or (b"\x00" in head and looks_like_utf16(head)) or "utf-8"
    notes = []
    try:
        decoded = decode(data, _THIS_FILE, encoding, holds=holds)
    except DataError:
        if encoding != "utf-8" or b"\x00" in head[:4096]:  # NULs: binary, not Windows text
            raise  # bad-input round 63, F5: a PNG was read as cp1252 and told its separator
        # only ids and ratings are read, and they are plain digits in any encoding
        decoded = data.decode("cp1252", errors="replace")
        notes.append(
            "This file is not UTF-8 text, so it was read as Windows text (cp1252), as Excel's "
            "'CSV' saves it; only its ids and ratings are used."
        )
    try:
        preamble, delimiter = text_layout(decoded, _THIS_FILE)
    except DataError as exc:  # round 63, F5: Python's delimiter= is no help on this page
        raise DataError(str(exc).replace(_PYTHON_DELIMITER, "")) from None
    table = read_text_table(
        decoded,
        _THIS_FILE,
        sep=delimiter,
        skiprows=preamble,
        advice="fix that line, or load a file that 'Save my ratings (CSV)' wrote",
    )
    table = spreadsheet.plain_frame(table.rename(columns=lambda c: str(c).strip().lower()))
    return table, RawData(ratings=table, ratings_file=_THIS_FILE, first_line=preamble + 2), notes


def _repeated_header(table: pd.DataFrame, raw: RawData, notes: list[str]) -> np.ndarray:
    """Which rows of ``table`` repeat its header (two saved files pasted together), said in
    ``notes``; ``raw`` then counts lines without them (bad-input round 36, F5: the header's
    word 'dataset' was named as a second data set)."""
    header = (
        (table[FILE_ID].str.strip().str.lower() == FILE_ID)
        & (table[FILE_RATING].str.strip().str.lower() == FILE_RATING)
    ).to_numpy()
    if header.any():
        notes.append(
            f"Skipped the header line repeated mid-file ({raw.lines(np.flatnonzero(header))}): "
            "two saved files pasted together? Their ratings are read."
        )
        raw.keep_rows(~header)
    return header


def _file_id(value: str, text_ids: bool) -> MovieId | None:
    """A file's movie id cell as :func:`parse_rated` reads ids (``"5.0"`` is 5); None if empty
    or, for number ids, not a whole number."""
    value = value.strip()
    if not value or text_ids:
        return value or None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


#: The two ways a loaded file meets the list already in the link.
LOAD_MODES = {
    "merge": "Add to my ratings (a movie in both keeps the file's rating)",
    "replace": "Replace my ratings with the file's",
}


def _load_form(model: Any, ratings: dict[MovieId, float]) -> None:
    """'Load saved ratings (CSV)': a file that 'Save my ratings (CSV)' wrote (or an IMDb or
    Letterboxd export), merged into the
    link's list or replacing it (:func:`load_saved`), and what the last load did: shown until
    the ratings change (it vanished on the next rerun, e.g. a click elsewhere)."""
    done = st.session_state.get(_LOADED)
    if done:
        kind, message, seen = done
        now = _digest(ratings)
        if seen in (None, now):
            st.session_state[_LOADED] = (kind, message, now)
            (st.success if kind == "ok" else st.error)(message, icon=":material/upload_file:")
        else:
            del st.session_state[_LOADED]
    with st.expander("Load saved ratings (CSV)", icon=":material/upload:"):
        key = f"rated_file_{st.session_state.get(_UPLOADS, 0)}"
        st.file_uploader(
            "A file 'Save my ratings (CSV)' wrote, or an IMDb or Letterboxd ratings export",
            type=["csv"],
            key=key,
            help="Its movie_id and your rating columns are read; ids of another data set (its "
            "dataset column) are matched to this model's films by IMDb id or title and year. "
            "An IMDb or Letterboxd export's films are matched the same way, and its ratings "
            "moved onto this model's scale (IMDb's 1-10 halved onto 0.5-5, for example).",
        )
        mode = st.radio("How", list(LOAD_MODES), format_func=LOAD_MODES.get, key="rated_load_mode")
        st.button(
            "Load",
            icon=":material/upload_file:",
            key="rated_load",
            on_click=load_saved,
            args=(model, ratings, key, mode),
        )


def load_saved(model: Any, ratings: dict[MovieId, float], key: str, mode: str) -> None:
    """Read the file of the upload box ``key`` (:func:`read_saved_ratings`), merge it into
    ``ratings`` or replace them (``mode``), write the first that fit to the link and keep what
    happened for the next run."""
    upload = st.session_state.get(key)
    if upload is None:
        st.session_state[_LOADED] = ("error", "Choose a saved ratings file first, then Load.", None)
        return
    try:
        loaded, notes = read_saved_ratings(model, upload.getvalue(), source_of=_model_of_data)
    except DataError as exc:
        st.session_state[_LOADED] = ("error", text.md(f"{upload.name} was not loaded: {exc}"), None)
        return
    message = load_message(upload.name, ratings, loaded, notes, mode)
    st.session_state[_LOADED] = ("ok", message, None)
    updated = {**ratings, **loaded} if mode == "merge" else loaded
    _set_rated(fitting_ratings(updated), model)
    st.session_state[_UPLOADS] = st.session_state.get(_UPLOADS, 0) + 1  # an empty box again


def load_message(
    name: str,
    ratings: dict[MovieId, float],
    loaded: dict[MovieId, float],
    notes: list[str],
    mode: str,
) -> str:
    """What loading ``loaded`` from file ``name`` into ``ratings`` (``mode``) did, in words."""
    updated = {**ratings, **loaded} if mode == "merge" else loaded
    kept = fitting_ratings(updated)
    if not ratings:
        head = f"Loaded {len(loaded):,} ratings from {name}."
    elif mode == "merge":
        both = sum(1 for m in loaded if m in ratings)
        head = (
            f"Loaded {len(loaded):,} ratings from {name} and added them to your "
            f"{len(ratings):,}"
            + (
                f" ({both:,} {'movie was' if both == 1 else 'movies were'} in both: the file's "
                "rating counts)"
                if both
                else ""
            )
            + f": {len(updated):,} in all."
        )
    else:
        head = f"Loaded {len(loaded):,} ratings from {name} in place of your {len(ratings):,}."
    if len(kept) < len(updated):
        head += (
            f" The page's address holds {state.RATED_MAX:,} characters of ratings, so the first "
            f"{len(kept):,} are used and the other {len(updated) - len(kept):,} are not (your "
            "file still has them)."
        )
    return " ".join(text.md(part) for part in [head, *notes])


def _one_rating_per_film(model: Any, rows: dict[int, float]) -> dict[int, float]:
    """``rows`` with one rating per film: a film listed under two ids (ml-100k's twins,
    :mod:`movierate.explore.twins`) rated under both keeps the later rating, and says so."""
    from movierate.explore.twins import film_of_row

    film = film_of_row(model.movies)
    if film is None:
        return rows
    kept: dict[int, int] = {}  # film -> the row whose rating counts (the later one)
    for row in rows:
        kept[int(film[row])] = row
    if len(kept) == len(rows):
        return rows
    dropped = [row for row in rows if kept[int(film[row])] != row]
    movies = model.movies
    # bad-input round 60, F2: each film with both ids, so the user sees which rating counts
    titles = "; ".join(
        f"{text.isolated(text.md(text.with_year(movies['title'].iloc[r], movies['year'].iloc[r])))}"
        f": ids {text.md(str(movies['movie_id'].iloc[r]))} and "
        f"{text.md(str(movies['movie_id'].iloc[kept[int(film[r])]]))}"
        for r in dropped[:3]
    )
    st.info(
        f"{len(dropped)} film(s) are rated twice under their two ids in "
        f"{text.md(model.dataset_name)} ({titles}); only the later rating of each counts (the "
        "second id named).",
        icon=":material/content_copy:",
    )
    return {row: rating for row, rating in rows.items() if kept[int(film[row])] == row}


def _model_of_data(tag: str) -> Any | None:
    """A saved model trained on the data ``tag`` names (:func:`data_tag`; a name alone, without
    its fingerprint: any data of that name), or None."""
    for info in state.list_models()[0]:
        if tag in (f"{info.dataset}:{info.dataset_fingerprint}", info.dataset):
            try:
                return state.load_model(info.name)
            except MovierateError:  # broken or deleted meanwhile: try another
                continue
    return None


def _rating_form(model: Any, ratings: dict[MovieId, float]) -> None:
    full = st.session_state.pop(_FULL, None)
    if full:
        st.error(full, icon=":material/block:")
    steps = rating_steps(model)
    query_col, pick_col, stars_col, add_col = st.columns([2, 3, 2, 1], vertical_alignment="bottom")
    query = query_col.text_input(
        "Find a movie to rate", key="rate_q", placeholder=text.search_placeholder(model.movies)
    )
    if added := st.session_state.pop(_ADDED, None):
        st.success(added, icon=":material/check:")  # a status: read out after Add
        st.html(FOCUS_SEARCH_JS % st.session_state.get(_ADDS, 0), unsafe_allow_javascript=True)
    if not query:
        return
    found = explore.title_index(model).search(query, limit=8)
    if found.empty:
        pick_col.warning(f"No title matches {text.md_quoted(query)}.", icon=":material/search_off:")
        return
    rows = [int(row) for row in found["movie_idx"]]  # films of one title told apart (fuzz 41)
    labels = dict(zip(rows, pick_labels(model, rows), strict=True))
    row = pick_col.selectbox("Movie", list(labels), format_func=labels.get, key="rate_pick")
    default = steps[len(steps) * 3 // 4]
    # a slider over the scale itself: a select_slider told assistive technology its index,
    # 0-4 for 1-5 (views round 32, F1); snapped to a step against float drift
    picked = stars_col.slider(
        "Your rating", steps[0], steps[-1], default, step=round(steps[1] - steps[0], 4),
        format=rating_format(steps), key="rate_value",
    )  # fmt: skip
    rating = min(steps, key=lambda step: abs(step - picked))
    movie_id = movie_id_of(model, row)

    def add() -> None:
        updated = dict(ratings)
        updated[movie_id] = float(rating)
        if _set_rated(updated, model):
            st.session_state[_ADDED] = added_text(model, row, ratings.get(movie_id), updated)
            st.session_state[_ADDS] = st.session_state.get(_ADDS, 0) + 1
        st.session_state["rate_q"] = ""

    add_col.button("Add", icon=":material/add:", on_click=add, key="rate_add", type="primary")


def untrained_rated_text(model: Any, cold: list[int], n_rated: int) -> str:
    """Which of the ``n_rated`` rated movies (rows ``cold``) ``model`` has no training rating
    of, that their ratings are kept but not used, and why (accuracy round 56, F1: a by-date
    split's newest films fitted the user to their random start, and the verdict said "rate
    more")."""
    movies = model.movies
    titles = ", ".join(
        text.isolated(text.md(text.with_year(movies["title"].iloc[r], movies["year"].iloc[r])))
        for r in cold[:_NAMED]
    )
    if len(cold) > _NAMED:
        titles += f" and {len(cold) - _NAMED:,} more"
    name = text.md(model.name)
    if len(cold) == 1:
        which = "the movie you rated" if n_rated == 1 else f"1 of the {n_rated:,} movies you rated"
        why = (
            "none of its ratings were among the rows it trained on, so it never learned it "
            "and a rating of it says nothing about your taste. Your rating is kept"
        )
    else:
        some = "any" if len(cold) == n_rated else f"{len(cold):,}"
        which = f"{some} of the {n_rated:,} movies you rated"
        why = (
            "none of their ratings were among the rows it trained on, so it never learned "
            "them and a rating of one says nothing about your taste. Your ratings of them are "
            "kept"
        )
    said = (
        f"{name} has no training rating of {which} ({titles}): {why} in your list and this "
        "page's link (marked 'not used') but left out of the fit."
    )
    if len(cold) < n_rated:
        return said
    return (
        f"{said} So there is nothing to fit yet: rate movies {name} trained on (the search "
        "lists how many ratings of each it trained on)."
    )


def pick_labels(model: Any, rows: list[int]) -> list[str]:
    """The search's pick box labels of ``rows``: each movie's ratings and, where they differ,
    how many ``model`` trained on, as Neighbours says it ("Zootopia (2016), 32 ratings,
    smalltime trained on 0"; accuracy round 56, F1: the 32 were all test rows). A movie it
    never trained on is said first ("Not trained on: Zootopia (2016), ..."): at 1280 px the
    narrow box cut the count's 0 off, so "trained on" read as if it had (recheck 16a, F1)."""
    trained = filter_counts(model.movies)
    every = pd.to_numeric(model.movies["n_ratings"], errors="coerce").fillna(0)
    labels = []
    for row, label in zip(rows, widgets.distinct_labels(model.movies, rows), strict=True):
        if int(trained[row]) != int(every.iloc[row]):  # before a " · id" that tells twins apart
            head, sep, tail = label.partition(" · id ")
            label = f"{head}, {model.name} trained on {int(trained[row]):,}{sep}{tail}"
            if not trained[row]:
                label = f"{NOT_TRAINED_ON} {label}"
        labels.append(label)
    return labels


#: What a pick box's label of a movie the model never trained on starts with.
NOT_TRAINED_ON = "Not trained on:"


def added_text(model: Any, row: int, before: float | None, updated: dict[MovieId, float]) -> str:
    """What an Add of the movie in ``row`` did (``before``: its rating until then, or None),
    with how many ratings ``updated`` holds: "Added Fargo (1996): 5. 3 ratings in all."."""
    movie = model.movies.iloc[row]
    title = text.isolated(text.md(text.with_year(movie["title"], movie.get("year"))))
    rating = updated[movie_id_of(model, row)]
    did = (
        f"Added {title}: {rating:g}"
        if before is None
        else f"Changed {title} from {before:g} to {rating:g}"
    )
    if untrained(model.movies)[row]:
        did += (
            f" (not used: {text.md(model.name)} has no training rating of it, so it never "
            "learned it)"
        )
    return f"{did}. {len(updated):,} rating{'s' if len(updated) != 1 else ''} in all."


def ratings_file(model: Any, table: pd.DataFrame) -> pd.DataFrame:
    """The saved ratings (``movie_id``, ``title``, ``your rating``) with a ``dataset`` column:
    the data set whose movie ids they are (:func:`state.data_tag`, as the link's ``rated_on``;
    views round 14: the file did not say, and ids mean other films in another data set)."""
    return table.assign(dataset=data_tag(model))


def ratings_file_name(model: Any) -> str:
    """``my-ratings-ml-100k.csv``: the data set in the name, so two lists are told apart."""
    dataset = re.sub(r"[^A-Za-z0-9._-]+", "-", str(model.dataset_name)).strip("-.")
    return f"my-ratings-{dataset}.csv" if dataset else "my-ratings.csv"


#: The "Your ratings" note of a movie the model has no training rating of (left out of the fit).
NOT_USED = "not used: no training rating"


def _rated_list(
    model: Any, ratings: dict[MovieId, float], rows: dict[int, float], cold: list[int]
) -> None:
    """'Your ratings': the list to edit (a rating of a ``cold`` row, a movie the model has no
    training rating of, marked :data:`NOT_USED`), Save, Clear all and Load."""
    titles = model.movies["title"].astype(str).to_numpy()
    table = pd.DataFrame(
        {
            "movie_id": [movie_id_of(model, r) for r in rows],
            "title": [titles[r] for r in rows],
            "your rating": list(rows.values()),
        }
    )
    st.markdown(f"**Your ratings** ({len(rows):,})")
    marked = set(cold)
    notes = {"note": [NOT_USED if r in marked else "" for r in rows]} if cold else {}
    edited = st.data_editor(
        # the titles as the tables show them (widgets.show_table); the ids stay as they are
        table.assign(remove=False, title=table["title"].map(text.table_cell), **notes),
        hide_index=True,
        disabled=["movie_id", "title", *notes],
        column_order=["your rating", "remove", *notes, "title"],  # the title last: it is cut
        column_config={
            "note": st.column_config.TextColumn(
                "note",
                help=f"{text.md(model.name)} has no training rating of a movie marked 'not "
                "used': it never learned it, so its rating is kept here and in the link but "
                "left out of the fit.",
            ),
            "movie_id": None,
            "your rating": st.column_config.NumberColumn(
                min_value=model.rating_scale[0],
                max_value=model.rating_scale[1],
                step=model.rating_scale[2] or 1.0,
            ),
            "remove": st.column_config.CheckboxColumn("remove"),
        },
        # a fresh editor once the ratings change, or once an edit was refused (a digest: a
        # list of thousands of ratings made a key of 60,000 characters)
        key=f"rated_editor_{st.session_state.get(_EDITOR_RESETS, 0)}_{_digest(ratings)}",
    )
    changed = {
        (str(movie_id) if has_text_ids(model) else int(movie_id)): float(value)
        for movie_id, value, remove in zip(
            edited["movie_id"], edited["your rating"], edited["remove"], strict=True
        )
        if not remove and pd.notna(value)
    }
    known = set(table["movie_id"])
    # as shown (a link's out-of-scale rating at the scale's end, said above): only an edit
    # rewrites the link
    if changed != dict(zip(table["movie_id"], table["your rating"], strict=True)):
        updated = {**{m: v for m, v in ratings.items() if m not in known}, **changed}
        if not _set_rated(updated, model, refused="Not changed"):
            # a fresh editor showing the kept list: the refused edit must not be read (and
            # refused) again on every run (recheck: an endless rerun loop)
            st.session_state[_EDITOR_RESETS] = st.session_state.get(_EDITOR_RESETS, 0) + 1
        st.rerun()
    save_col, clear_col = st.columns(2)
    save_col.download_button(
        "Save my ratings (CSV)",
        spreadsheet.csv_text(ratings_file(model, table)),
        file_name=ratings_file_name(model),
        mime="text/csv",
        icon=":material/download:",
        help="Nothing is stored on the server; this downloads your ratings.",
    )
    clear_col.button(
        "Clear all ratings", icon=":material/delete:", on_click=_clear_all, args=[model]
    )
    _load_form(model, ratings)


def _clear_all(model: Any) -> None:
    """Empty the link's ratings, those it holds for another data set's model too (recheck 9,
    F2: "Clear all ratings" kept them, and they came back on a model of their data)."""
    st.session_state[_HELD] = {}
    _set_rated({}, model)


def _digest(ratings: dict[MovieId, float]) -> str:
    """A short fingerprint of ``ratings`` (ids, ratings and order)."""
    return hashlib.blake2b(format_rated(ratings).encode(), digest_size=8).hexdigest()


def _drivers(reasons: pd.DataFrame) -> pd.DataFrame:
    """One row per rated movie: its level (its push on the average movie) and its taste push
    summed over the list, signed (a low rating that pulls the list down shows, not only the
    raises)."""
    if reasons.empty:
        return pd.DataFrame(columns=["rated", "your rating", "level", "taste"])
    grouped = (
        reasons.groupby(["rated_idx", "rated_title", "rating"], as_index=False)
        .agg(level=("level", "first"), taste=("taste", "sum"))
        .sort_values("taste", ascending=False)
    )
    # two decimals as shown, + 0.0 so a tiny negative push does not read "-0.00"
    grouped[["level", "taste"]] = grouped[["level", "taste"]].round(2) + 0.0
    return (
        grouped.drop(columns="rated_idx")
        .rename(columns={"rated_title": "rated", "rating": "your rating"})
        .reset_index(drop=True)
    )


def _rating_format(scale: Any) -> str:
    """A rating's display format on ``scale`` (min, max, step): whole numbers without a
    decimal, halves and finer steps with the decimals they need."""
    step = float(scale[2]) if len(scale) > 2 and scale[2] else 0.0
    if step and float(step).is_integer() and float(scale[0]).is_integer():
        return "%d"
    return "%.1f" if step and round(step * 10, 9).is_integer() else "%.2f"
