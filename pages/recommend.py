"""Recommend: one user's favourites, then each model's top picks for them, side by side."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from movierate import explore, glossary, paired, pipeline, ranking
from movierate.errors import MovierateError
from movierate.explore.rated_link import parse_rated
from movierate.explore.recommend import (
    lists_table,
    untrained_text,
    with_training_counts,
)
from movierate.imported_models import is_imported
from movierate.shown import counted
from movierate.ui import shell, state, text, widgets
from movierate.ui.your_ratings import link_text_ids, render_for_picked

#: The Models picker's help (views round 27, F4: this was a two-line note on every visit).
ONE_DATASET_HELP = (
    "Pick one or more saved models; the choice is kept in the URL. Only models of one dataset "
    "are combined here: a user is a person of one dataset, so the models shown are those "
    "trained on the first picked model's dataset (the user box names it)."
)


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Recommend")
    st.caption(
        "Pick a user: their own favourite movies come first, then what each model predicts they "
        "would rate highest among the movies they have not rated."
    )
    models = widgets.pick_models(multi=True, default_count=2, help=ONE_DATASET_HELP)
    if not models:
        st.info("Pick at least one model above.", icon=":material/touch_app:")
        st.stop()

    # an import has no data set and no users: the first model with users is the reference,
    # whatever the picker's order (bad-input round 37, F3: ?models=imp&models=small showed
    # only the import's refusal)
    trained = [m for m in models if not is_imported(m)] or models[:1]
    reference = trained[0]
    ds = state.dataset_of(reference)
    for note in pipeline.data_notes(reference, ds):  # bad-input round 67, F2-F3
        st.info(text.md(note), icon=":material/folder_open:")
    usable = [m for m in trained if state.same_data(m, reference)]
    first = "the first model picked" if reference is models[0] else "the first with users"
    if len(usable) < len(models):  # else the picker's help says it (views round 27, F4)
        st.caption(
            f"Only models of one dataset are combined here: a user is a person of one dataset, "
            f"so every model shown was trained on **{text.md(reference.dataset_name)}** (the "
            f"dataset of {text.md(reference.name)}, {first})."
        )
    for other in models:
        if is_imported(other):
            st.warning(
                f"{text.md(other.name)} is an embedding imported from elsewhere: it has movie "
                "vectors only, no data set and no users, so it is left out here.",
                icon=":material/info:",
            )
        elif other not in usable:
            st.warning(
                f"{text.md(other.name)} was trained on {text.md(other.dataset_name)}, not on "
                f"the data of {text.md(reference.name)}; its users are different people, so it is left out here.",
                icon=":material/info:",
            )
    if linked_ratings := state.link_entries("rated"):  # bad-input round 37, F2: they were
        # in a collapsed expander at the foot, under another user's recommendations
        text_ids = link_text_ids(reference, st.query_params.get("rated_on"))  # recheck 8, F1
        readable, _ = parse_rated(st.query_params.get("rated"), text_ids=text_ids)
        held = (  # recheck 2: "holds 2" for rated=abc,xyz, "holds 3" for an id given twice
            f"holds {len(readable):,} of your own rating{'s' if len(readable) != 1 else ''}: "
            "they and what they recommend are"
            if readable
            else "holds ratings of yours that could not be read: why is said"
        )
        st.info(
            f"This link {held} under **Your own ratings** at the foot of the page. The user "
            "below is one of the data set's people.",
            icon=":material/star:",
        )

    user_ids = np.asarray(ds.user_ids)
    numeric_ids = user_ids.dtype.kind in "iu"

    def sample_user() -> None:
        """Put a random user with at least 20 ratings into the user box."""
        counts = np.bincount(ds.ratings["user_idx"].to_numpy(), minlength=len(user_ids))
        active = np.flatnonzero(counts >= 20)
        pool = active if len(active) else np.arange(len(user_ids))
        chosen = user_ids[np.random.default_rng().choice(pool)]
        st.session_state["user"] = float(chosen) if numeric_ids else str(chosen)  # the box's
        # type; Streamlit writes it to the link as "420.0", which the page puts back as 420

    # two rows: four controls in one cut the button to "S…" at 1024 px (views round 10)
    user_col, sample_col = st.columns([3, 2], gap="medium", vertical_alignment="bottom")
    with user_col:
        if numeric_ids:  # a float box: an int box read a typed "1e3" as user 1
            label = (  # views round 9: "1–943 in ten" read as a count of 943 users
                f"User id ({len(user_ids):,} users in {text.md(ds.name)}, ids "
                f"{user_ids.min()}–{user_ids.max()})"
            )
            user_id = widgets.whole_number_or_error(
                widgets.whole_number_input(
                    label, int(user_ids[0]), key="user", bind="query-params"
                ),
                "User id",
            )
            if user_id is None:
                return
        else:
            user_id = st.selectbox(
                f"User id ({len(user_ids):,} users in {text.md(ds.name)})",
                [str(u) for u in user_ids],
                key="user",
                bind="query-params",
            )
    sample_col.button("Sample a user", icon=":material/casino:", on_click=sample_user)
    # whose id the link's user is: the same model name elsewhere may be other data (F2); the
    # id as the box shows it (a whole number: "Sample a user" left user=420.0), in one change
    linked = st.query_params.get("user")
    state.set_link(
        {
            **({"user": str(user_id)} if numeric_ids and _float_spelling(linked, user_id) else {}),
            "user_on": state.data_tag(reference) if linked is not None else None,
        }
    )
    k_col, min_col = st.columns(2, gap="medium", vertical_alignment="bottom")
    k = k_col.slider("Recommendations", 5, 50, 10, key="k", bind="query-params")
    min_ratings = widgets.min_ratings_slider(
        usable,
        "Min. ratings of a recommended movie",
        0,
        200,
        10,
        key="min_ratings",
        container=min_col,
        bind="query-params",
        help="Obscure movies with a handful of enthusiastic ratings get inflated biases; this "
        "keeps them out. It counts the ratings each model trained on (test rows do not count).",
    )

    user_idx = state.user_index(ds, user_id)
    recs = {
        m.name: explore.recommend_for_user(
            m, user_idx, ratings=ds.ratings, k=k, min_ratings=min_ratings
        )
        for m in usable
    }
    first = recs[reference.name]
    own = ds.ratings[ds.ratings["user_idx"] == user_idx]["rating"]
    held_out = state.cached(pipeline.user_held_out_movies, reference, user=int(user_idx))
    st.markdown(
        f"## User {text.heading_text(user_id)}\n{counted(first.n_rated, 'rating')}, "
        f"mean {own.mean():.2f}"
        f"{text.trained_on_text(reference.name, len(own), held_out)}; "
        f"{text.favourites_lead(first.top_rated['rating'], own)}, with what "
        f"**{text.md(reference.name)}** predicts for each:"
    )
    raw = {m.name: m.score_all_movies(int(user_idx), clip=False) for m in usable}
    favourites = _with_scores(
        first.top_rated,
        raw[reference.name],
        ["rank", "title", "rating", "predicted", "year", "n_ratings", "mean_rating", "genres"],
    )
    shown_movies = first.top_rated["movie_idx"].to_numpy()
    marks = np.full(len(shown_movies), "", dtype=object)
    counts = {}
    for part, movies in held_out.items():  # accuracy round 12 and its recheck: 3 of user 1's
        # 10 on ml-100k's u1 were test rows; short marks, so the column is not cut
        shown = np.isin(shown_movies, movies)
        marks[shown], counts[part] = text.HELD_OUT_MARKS[part][0], int(shown.sum())
    if (marks != "").any():
        favourites = favourites.assign(**{"held out": marks})
    # one click away, so the lists start on the first screen (views round 27, F4: at 1,393 px)
    with st.expander(
        f"Their favourites ({counted(len(favourites), 'movie')})", icon=":material/favorite:"
    ):
        widgets.show_movies(favourites, key="top_rated", wide=True, config=SCORE_CONFIG)
        st.caption(text.favourites_text(counts, len(favourites)))
        if first.shown_favourites is not None:  # under the table it speaks of (views round 39)
            st.caption(text.predictions_scale_text(reference.name, first.shown_favourites))

    st.header("Recommended")
    wide = widgets.one_per_row(
        len(usable),
        "Side by side, each table shows rank, predicted rating (and the model's score behind "
        "a rating capped at the scale's end), year and title.",
    )
    per_row = 1 if wide else min(len(usable), 3)
    for start in range(0, len(usable), per_row):
        columns = st.columns(per_row, gap="medium")
        for i, (col, model) in enumerate(
            zip(columns, usable[start : start + per_row], strict=False)
        ):
            # a column under shell.WIDE_FIGURE_REM wraps to a row of its own: two at 1024 px
            # were 266 px, and the pinned title hid 'predicted' (views round 22, F3)
            with col.container(key=f"{shell.WIDE_FIGURE}recs-{start + i}"):
                st.markdown(f"**{text.md(model.name)}**")
                st.caption(text.model_summary(model))
                if recs[model.name].all_rated:
                    st.info(
                        f"User {text.md(user_id)}: {text.md(recs[model.name].message)}",
                        icon=":material/done_all:",
                    )
                    continue
                shown = ["rank", "title", "predicted", "year", "n_ratings", "genres"]
                if not wide:  # side by side: the pinned title, 'predicted' and a capped
                    # list's score fit half a 1280 px page, the year last (views round 39:
                    # the score was cut off there; recheck 15b: a year in the title was cut
                    # off long titles)
                    shown = ["rank", "title", "predicted", "year"]
                config = {**(widgets.training_count_column(model) or {}), **SCORE_CONFIG}
                widgets.show_movies(
                    _with_scores(
                        with_training_counts(recs[model.name].recommended, model.movies),
                        raw[model.name],
                        shown,
                    ),
                    key=f"recs_{model.name}",
                    wide=True,
                    config=config,
                )
                # right under its list, not below every model's (views round 39, F5)
                st.caption(text.predictions_scale_text(model.name, recs[model.name].shown))
                if recs[model.name].tie:  # accuracy round 50, F2
                    st.caption(recs[model.name].tie)
                _list_quality(model, k, min_ratings, int(user_idx))
                with st.expander("Least recommended"):
                    widgets.show_movies(
                        _with_scores(
                            with_training_counts(recs[model.name].least_recommended, model.movies),
                            raw[model.name],
                            shown,
                        ),
                        key=f"least_{model.name}",
                        wide=True,
                        config=config,
                    )
                widgets.download_table(  # both lists, named (views round 25, F1)
                    f"Download {text.md(model.name)}'s lists (CSV)",  # views round 32, F2
                    _lists_csv(model, recs[model.name], user_id),
                    explore.table_file_name(
                        explore.file_stem(model), "recommendations_for_user", user_id
                    ),
                    key=f"recs_csv_{model.name}",
                )
    specs = {m.name: m.spec for m in usable}
    st.caption(
        " ".join(
            ["Movies the user already rated are left out."]
            + [
                untrained_text(text.md(name), r.n_untrained, specs[name])  # as Markdown
                for name, r in recs.items()
                if r.n_untrained
            ]
        )
    )
    if twins := paired.twin_lists_text(usable, "recommendations"):
        st.caption(text.md(twins))
    with st.expander(
        "Your own ratings (no retraining)", icon=":material/star:", expanded=bool(linked_ratings)
    ):
        render_for_picked(usable, k=k, min_ratings=min_ratings)


#: The column beside ``predicted`` when a shown prediction is capped at an end of the scale.
SCORE = "model's score"
SCORE_CONFIG = {
    SCORE: st.column_config.NumberColumn(
        "score",
        format="%.3f",
        help="The model's own score for the movie, before it is capped at the end of the "
        "rating scale: the list is ordered by it",
        width=64,
    )
}


def _with_scores(frame: Any, scores: np.ndarray, columns: list[str]) -> Any:
    """``frame``'s ``columns``, with :data:`SCORE` (``scores`` of its movies, the model's
    before any cap) after ``predicted`` when a shown ``predicted`` is capped (views round 39,
    F5: ten "5.00" read as a tie; the scores behind them, 5.07 to 5.48, ordered the list)."""
    table = frame[columns]
    if frame.empty or "predicted" not in columns:
        return table
    behind = scores[frame["movie_idx"].to_numpy(np.int64)].astype(np.float64)
    shown = frame["predicted"].to_numpy(np.float64)
    if np.allclose(behind, shown, rtol=0, atol=1e-6, equal_nan=True):
        return table
    at = columns.index("predicted") + 1
    return table.assign(**{SCORE: behind})[[*columns[:at], SCORE, *columns[at:]]]


def _list_quality(model: Any, k: int, min_ratings: int, user: int) -> None:
    """How good ``model``'s lists are on its test rows: one line in view, for all users and
    for those of ``user``'s band of training ratings (accuracy round 38, F1), the two checks in
    an expander (views round 27, F4: 155 words per model pushed the lists below the first
    screen). Accuracy rounds 11 and 12: top picks and lists vs truth; round 16: a check that
    cannot be computed says why instead of vanishing."""
    try:
        calibration = state.cached(pipeline.top_calibration, model)
        check = state.cached(ranking.held_out_ranking, model, k=k, min_ratings=min_ratings)
    except MovierateError as exc:
        st.caption(f"Its test rows could not be read for these checks: {text.md(exc)}")
        return
    st.caption(ranking.ranking_summary(check, user))
    with st.expander("How good are these lists? (measured on test rows)"):
        st.caption(text.top_calibration_text(calibration))
        widgets.explained(
            ranking.ranking_text(check, caveat=False),
            "What NDCG means, and its caveat",
            f"{glossary.define('NDCG')}\n\n{ranking.EXPOSURE_CAVEAT}",
        )


def _lists_csv(model: Any, recs: Any, user_id: object) -> Any:
    """The CSV text of ``model``'s most and least recommended movies for ``user_id`` (for a
    download): :func:`explore.recommend.lists_table`."""
    context = {"model": model.name, "dataset": model.dataset_name, "user_id": user_id}
    return lambda: explore.table_csv(lists_table(recs, model.movies), context)


def _float_spelling(linked: str | None, user_id: object) -> bool:
    """Whether the link's ``user`` is ``user_id`` written as a float ("420.0", as Streamlit
    writes a float box's value), to be put back as "420"; never for another value, which would
    overwrite what the user just typed (the merge of views round 19: a typed 1.5 came back as
    the linked 999999)."""
    if linked is None or linked == str(user_id):
        return False
    try:
        return float(linked) == float(str(user_id))
    except ValueError:
        return False


shell.require_router()
render()
