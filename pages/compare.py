"""Compare: what different regularizers (or sizes, or families) do to accuracy and to the space.

Four tabs (accuracy, embedding spaces, spectra, movie by movie), run lazily: only the open
tab's section is computed and drawn (a browser spends 0.3-0.5 s drawing each plotly chart, so
the page opens on the two charts of the accuracy tab, not all six). The open tab is in the URL. Every
analysis is cached per (models on disk, parameters) (``state.cached``), and the two sections
with controls are fragments (``st.fragment``), so a control reruns only its own section: the
matrix kind redraws the heatmaps, the pair controls and the minimum-ratings slider their section.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from movierate import explore, glossary, paired, pipeline, ranking, store
from movierate.errors import MovierateError
from movierate.explore import verdicts
from movierate.explore.compare import (
    compare_file_name,
    paired_columns,
    settings_columns,
    shared_filters_differ,
    shared_seed_note,
)
from movierate.explore.whitening import exact_whitening
from movierate.shown import counted as counted_noun
from movierate.shown import number
from movierate.ui import charts, dimensions, shell, state, text, widgets


def exact_whitenings(models: list) -> list:
    """The exact whitening of each model that has one (a model whose covariance is singular,
    or an imported one without users, has none: said in a caption)."""
    out, skipped = [], []
    for model in models:
        try:
            out.append(exact_whitening(model))
        except (MovierateError, np.linalg.LinAlgError, KeyError, ValueError):
            skipped.append(model.name)
    if skipped:
        st.caption(
            f"No exact whitening for {', '.join(skipped)} (singular covariance or no users)."
        )
    return out


def show_measured_effects(models: list) -> None:
    """Per model: what its regularizers measurably did; exact whitenings state their covariance.
    Headed only when a regularizer's box is drawn (views round 27, F1: the intro promised boxes
    that models with L2 alone never get)."""
    boxes = {
        m.name: widgets.verdict_boxes(m, with_name=True)
        for m in models
        if not m.meta.get("exact_whitening_of")
    }
    if any(boxes.values()):
        st.caption("What each model's own numbers show about its regularizers:")
    shown: list[str] = []  # every box's text: the terms they use are explained below them
    for model in models:
        if model.meta.get("exact_whitening_of"):
            rows = verdicts.shaped_rows(model, model.spec)  # the rows the map was fitted on
            stats = verdicts.covariance_stats(rows.embedding)
            spread = (
                abs(stats["diag_mean"] - 1),
                stats["diag_std"],
                stats["corr_offdiag_mean_abs"],
            )
            exact = max(spread) < 1e-6
            numbers = (  # views round 5: "1 ± 1.6e-09" read as noise, not as exactly 1
                "covariance diagonal exactly 1 and off-diagonal correlations 0 (to 6 decimals)"
                if exact
                else "covariance diagonal "  # recheck 16b, F4: not "±", read as an interval
                f"{verdicts.mean_and_sd(stats['diag_mean'], stats['diag_std'])}, "
                f"mean |off-diagonal correlation| {stats['corr_offdiag_mean_abs']:.2g}"
            )
            shown.append(
                f"**{text.md(model.name)}**: whitened by construction{rows.where}: {numbers}; "
                "predictions identical to "
                f"{text.md(model.meta['exact_whitening_of'])}'s. The tab 'Embedding spaces' counts only "
                "movies with enough ratings, whose spread differs."
            )
            st.info(shown[-1], icon=":material/functions:")
        else:
            widgets.show_verdicts(model, boxes=boxes[model.name])
            shown += [sentence for sentence, _ in boxes[model.name]]
    if terms := text.verdict_terms_text(shown):
        with st.popover("What the verdicts' numbers mean", type="tertiary"):
            st.markdown(terms)  # each term at its first use (views round 39, F4)


#: The test RMSE of user and movie averages without an embedding (accuracy round 10: a model on
#: ratings gathered on one value looked good with nothing to read it against).
AVERAGES_COLUMN = "averages' test RMSE"
#: The model's test RMSE minus the averages', paired over the same rows (recheck D, s26: only
#: the page's text beside one model gave it).
GAP_COLUMN = "minus the averages' (95%, paired)"
AVERAGES_HELP = (
    "Test RMSE of the training mean plus user and movie biases fit by damped least squares on "
    "the same training rows, no embedding: what the model's embedding has to beat. Models "
    "saved before that fit (accuracy round 15) recorded one damped pass: the notes below name "
    "them."
)


def accuracy_row(model, metrics: dict) -> dict:
    """Accuracy and cost of one model; ``metrics``: its metrics with the references
    (:func:`compared_metrics`)."""
    gap = store.averages_gap_text(metrics, short=True) or None
    if gap is None and model.has_test_rows and "test_rmse_of_averages" not in metrics:
        gap = store.references_not_recorded_text(model.name)  # round 38, F1: was "None"
    return {
        "model": model.name,
        "family": store.family_shown(model),
        "dim": model.dim,
        "regularizers": store.regularizers_shown(model),
        "test rows": f"{model.dataset_name}, {model.test_rows_text}",
        "test RMSE": model.test_rmse,
        "test MAE": model.test_mae,
        AVERAGES_COLUMN: metrics.get("test_rmse_of_averages"),
        GAP_COLUMN: gap,
        "old valid RMSE (steered early stopping)": None
        if model.has_test_rows
        else model.reported_rmse,
        text.EPOCHS_COLUMN: text.epochs_text(model.metrics, model.spec.epochs, model.refit),
        "train s": model.meta.get("timings", {}).get("train_seconds"),
        "params": state.parameter_count(model),
    }


def accuracy_numbers(metrics: list[dict]) -> dict[str, list]:
    """The accuracy download's numbers behind the table's text, per model (``metrics`` in the
    models' order): its own test RMSE interval (the CLI's "± 0.0217 (95%, Student t over 919
    test users)") and its gap to the averages with that gap's half-width, as the paired gap to
    the lowest has them (views round 42, F3: "'-0.0084 ± 0.0075, lower beyond the draw"
    only), and the sign-flip p that decided it where one was computed (under 200 test users;
    the page leaves out a column no model has). No half-width where the cells give none (too
    few test users)."""

    def half(m: dict, key: str) -> float | None:
        return None if store.few_test_users(m) else m.get(key)

    return {
        "test RMSE 95% half-width (another sample of test users)": [
            half(m, "test_rmse_ci95") for m in metrics
        ],
        "test users": [m.get("test_users") for m in metrics],
        "test RMSE minus the averages'": [m.get("test_rmse_minus_averages") for m in metrics],
        "its half-width (95%, paired by user)": [
            half(m, "test_rmse_minus_averages_ci95") for m in metrics
        ],
        "its sign-flip p (under 200 test users)": [
            m.get("test_rmse_minus_averages_p") for m in metrics
        ],
    }


def compared_metrics(models: list) -> dict[str, dict]:
    """Each model's metrics by name, with the reference numbers an older version did not
    record computed now on its recorded split (:func:`pipeline.reference_metrics`) where its
    data set has at most ``paired.RUN_UNASKED_UP_TO`` ratings, what the paired test loads
    unasked (bad-input round 38, F1: "None" in the averages' columns, and no warning)."""
    out = {}
    for model in models:
        size = model.meta["dataset"].get("n_ratings")
        out[model.name] = model.metrics
        if store.references_complete(model.metrics) or not (
            isinstance(size, int) and size <= paired.RUN_UNASKED_UP_TO
        ):
            continue
        with contextlib.suppress(MovierateError):  # its data gone: said "not recorded"
            out[model.name] = state.cached(references_now, model)
    return out


def references_now(model) -> dict:
    """:func:`pipeline.reference_metrics` on the model's data (the dashboard's loader)."""
    return pipeline.reference_metrics(model, state.dataset_of(model))


def space_numbers(model, *, min_ratings: int, max_movies: int | None) -> dict:
    """Genre coherence (over at most ``max_movies`` movies) and the norm-popularity correlation:
    a few numbers, so a cached rerun unpickles a small dict, not per-movie tables."""
    norms = explore.model_norms_vs_popularity(model, min_ratings=min_ratings)
    correlations = explore.popularity_correlations(norms)
    numbers = {
        **verdicts.spread_numbers(model, min_ratings=min_ratings),
        "Spearman(norm, popularity)": correlations.loc["norm", "spearman_n_ratings"],
    }
    try:
        coherence = explore.model_genre_coherence(
            model, k=10, min_ratings=min_ratings, max_movies=max_movies
        )
    except MovierateError as exc:  # e.g. data without genres: the other numbers still show
        return {
            "genre coherence@10": None,
            "random baseline": None,
            "coherence movies": 0,
            "coherence capped": False,
            "coherence eligible": 0,
            **numbers,
            "coherence note": f"{text.md(model.name)}: no genre coherence ({text.md(exc)})",
        }
    return {
        # views round 31, F1: the chance level beside the coherence (it came after the
        # movie count, cut at 1280 px)
        "genre coherence@10": coherence.coherence,
        "random baseline": coherence.baseline,
        "coherence movies": coherence.n_movies,
        "coherence capped": coherence.subsampled,
        "coherence eligible": coherence.n_eligible,
        **numbers,
        "coherence note": None,
    }


def counts_caption(sets, name_a: str, name_b: str, model_a, model_b) -> str:
    """Whose rating counts filtered the shared movies (``sets.counts_from``), in words, as
    Markdown (``name_a`` and ``name_b`` already escaped):
    " with at least 10 ratings B trained on (ml-100k)" (B's when A has no counts; "in B's
    dataset" for a model saved before its training counts, whose filter counts all rows)."""
    if sets.counts_from is None:
        return " (neither model has rating counts, so no min-ratings filter)"
    if sets.min_ratings == 0:
        return ""
    if sets.counts_from == "both":  # two datasets: a film needs the ratings in each (round 49)
        where = "each model trained on" if sets.training_counts else "in each model's dataset"
        return (
            f" with at least {counted_noun(sets.min_ratings, 'rating')} {where} ({name_a} on "
            f"{text.md(model_a.dataset_name)}, {name_b} on {text.md(model_b.dataset_name)})"
        )
    name, model = (name_a, model_a) if sets.counts_from == "A" else (name_b, model_b)
    where = f"{name} trained on" if sets.training_counts else f"in {name}'s dataset"
    return (  # "1 rating": the slider at 0 still keeps only trained movies (views round 38)
        f" with at least {counted_noun(sets.min_ratings, 'rating')} {where} "
        f"({text.md(model.dataset_name)})"
    )


def procrustes_residual(model_a, model_b, *, min_ratings: int) -> float:
    """The Procrustes residual alone (the alignment holds two n x d arrays: not worth caching
    for the one number the page shows)."""
    return explore.model_procrustes(model_a, model_b, min_ratings=min_ratings).residual


SAVED_LOSSES = "regularizer losses (saved model)"


def own_movies_note(models: list) -> str:
    """Where the models come from different datasets: each row or panel covers its own
    dataset's movies, not the same films (views review round 5)."""
    datasets = list(dict.fromkeys(m.dataset_name for m in models))
    if len(datasets) < 2:
        return ""
    return (
        f" These models come from {len(datasets)} datasets ({text.names_text(datasets)}), so each "
        "row and panel covers its own dataset's movies, not the same films; 'Movie by movie' "
        "compares two models over the movies they share."
    )


def space_row(model, min_ratings: int) -> dict:
    """What the embedding space looks like: genre coherence, popularity, regularizer losses."""
    numbers = state.cached(
        space_numbers, model, min_ratings=min_ratings, max_movies=explore.NEIGHBOUR_CAP
    )
    first = (*SPREAD_FIRST, verdicts.VARIANCE_MEAN, verdicts.VARIANCE_SD)  # the download's too
    row = {"model": model.name, **{c: numbers[c] for c in first if c in numbers}}
    row |= {**numbers, SAVED_LOSSES: text.saved_regularizer_losses(model.metrics, model.history)}
    return row


#: The space table's numbers the covariance panels below it illustrate, first (views round 10:
#: at 1024 px they sat off screen behind the genre coherence).
SPREAD_FIRST = ("mean |correlation|", "mean KS to U(-1, 1)", "variances")


#: The page's tabs, in order (the open one is the ``section`` URL parameter).
SECTIONS = state.URL_PARAMS["compare"]["section"].options
#: The minimum-ratings slider's starting value.
MIN_RATINGS = 10


def min_ratings_slider(models: list, floor: int = 0) -> int:
    """The minimum-ratings slider (one value, kept in the URL, shared by the tabs that use it;
    only the open tab draws it; off when no model has rating counts)."""
    if len(widgets.without_rating_counts(models)) == len(models):
        floor = 0
    value = widgets.min_ratings_slider(
        models,
        "Movies considered: at least this many ratings",
        0,
        200,
        MIN_RATINGS,
        key="min_ratings",
        bind="query-params",
        help="Rarely rated movies sit near the origin under regularization and blur every "
        "statistic. The same value applies on every tab with this slider (the movie-by-movie "
        "comparison uses at least 1 rating; for two models of different datasets it keeps a "
        "film only with this many ratings in each model).",
    )
    return max(int(value), floor)


#: What a training seed alone gives, measured (labelled as such, not the shown models'): a
#: regularizer change looked like a seed change without it (accuracy review round 6).
SEED_SCALE = (
    "For scale, measured on ml-100k (2026-12-04): two models that differ only by their "
    "training seed gave a Jaccard@10 of 0.19-0.22 and a residual of 0.61-0.67 (mf_bias dim 32), "
    "0.09 and 0.55 at dim 8; compare two seeds of one setting to measure it for yours."
)
PAIRED_COLUMN = "vs lowest (paired)"
NO_PAIRED_ACROSS_GROUPS = (
    "The paired test of the differences needs one set of test rows, so it is not offered "
    "here: select only the models of one group to see it."
)
PAIRED_HELP = (
    "Each model's test RMSE minus the lowest one's, ± the half-width of the 95% interval that "
    "decides its verdict, over the same test ratings (errors paired row by row, each user's rows "
    "counted together): with three models or more it holds for all pairs at once, and under 200 "
    "test users it is the sign-flip test's (p shown instead of standard errors), so \"beyond "
    "draw\" appears exactly when it excludes 0. It covers which ratings were drawn as test rows, not the training's own randomness "
    "(another seed moves a model too). Below the table: how many standard errors a difference "
    "needs, with this many models, to be more than the test rows' draw (2 for two models, more "
    "for more: the lowest is picked on the same rows)."
)


def cold_start_notes(models: list, shared: bool, metrics: dict[str, dict]) -> list[str]:
    """The test rows whose user or movie no training row rates, where 1% or more
    (``store.unseen_note``; accuracy round 9: 40% of a small set's, and no word here): said
    once for models of one set of test rows, with each one's RMSE over the other rows;
    ``metrics``: the models' by name (:func:`compared_metrics`)."""
    said = {m.name: store.unseen_note(metrics[m.name], m.split_record) for m in models}
    if not any(said.values()):
        return []
    counts = {metrics[m.name].get("test_unseen_rows") for m in models}
    if not (shared and len(counts) == 1):
        return [f"{text.md(name)}: {note}" for name, note in said.items() if note]
    first = models[0]
    unseen, n_test = metrics[first.name]["test_unseen_rows"], first.split_record["n_test"]
    seen = [
        f"{text.md(m.name)} {metrics[m.name]['test_rmse_seen']:.4f}"
        for m in models
        if isinstance(metrics[m.name].get("test_rmse_seen"), float)
    ]
    return [
        f"{unseen:,} of these {n_test:,} test rows ({store.percent(unseen, n_test)}) have a user or movie "
        "with no training rating, so every model here predicts them without any of that "
        "user's or movie's own ratings; they count in the test RMSEs"
        + (
            f" (over the other {n_test - unseen:,} rows: {', '.join(seen)})"
            if seen and n_test - unseen >= store.FEW_SEEN
            else f" ({store.seen_rows_text(n_test - unseen)})"  # round 27, F10: "1 rows"
            if 0 < n_test - unseen < store.FEW_SEEN
            else ""
        )
        + "."
    ]


def paired_differences(models: list) -> dict | None:
    """The paired test of the models' test RMSEs (one set of test rows), behind a toggle that
    starts on for small data sets (``paired.RUN_UNASKED_UP_TO``). None when off or not possible
    (the reason shown)."""
    size = models[0].meta["dataset"].get("n_ratings") if models else None
    small = isinstance(size, int) and size <= paired.RUN_UNASKED_UP_TO
    if len(models) < 2 or not st.toggle(
        "Paired test of the differences",
        value=small,
        key="paired",
        bind="query-params",
        help="Loads the ratings and scores every model on the shared test rows again, "
        "pairing their errors row by row. " + PAIRED_HELP + " It starts switched on for data "
        f"sets of up to {paired.RUN_UNASKED_UP_TO:,} ratings.",
    ):
        return None
    try:
        return state.cached(paired_by_name, *models)
    except MovierateError as exc:
        st.info(f"No paired test: {text.md(exc)}", icon=":material/info:")
        return None


def paired_by_name(*models) -> dict:
    """``paired.paired_differences`` on the models' own data, by model name."""
    ds = state.dataset_of(models[0])
    return {d.name: d for d in paired.paired_differences(list(models), ds)}


def ranking_row(check: ranking.RankingCheck, model) -> dict:
    """A table row of a model's top-10 lists on its liked test movies (:mod:`movierate.ranking`)."""
    return {
        "model": model.name,
        "users": f"{check.n_users:,}"  # recheck A (s26): a sample showed as if all users
        + (f" of {check.n_users_all:,}" if check.sampled else ""),
        "hit rate@10": 100 * check.hit_rate,
        "NDCG@10": check.ndcg,
        # the verdict beside the model's own numbers (views round 10: at 1024 px the columns
        # after them ran off screen)
        "NDCG vs most-rated (95%)": "no verdict (below)"  # accuracy round 24
        if check.no_verdict
        else f"{number(check.ndcg_gap, '+.3f')} ± {check.ndcg_gap_ci:.3f}",
        "most-rated list: hit rate": 100 * check.popular_hit_rate,
        "most-rated list: NDCG": check.popular_ndcg,
        # chance beside them (accuracy round 24: 72% on 40 movies, where a random 10 held 60%)
        "random list: hit rate": 100 * check.chance_hit_rate,
        "random list: NDCG": check.chance_ndcg,
    }


def ranking_check(model) -> ranking.RankingCheck | pipeline.Unavailable:
    """:func:`ranking.held_out_ranking` of a model, or why it failed (its data unreadable)."""
    try:
        return state.cached(ranking.held_out_ranking, model, k=10, min_ratings=10)
    except MovierateError as exc:
        return pipeline.Unavailable("its lists could not be scored", str(exc).rstrip("."))


def lists_disagree_text(models: list) -> str:
    """:func:`ranking.lists_disagree_text` for models of one set of test rows, else "" (recheck
    C, s26: it compared models across datasets and scales)."""
    groups = store.test_row_groups(models)
    rated = [m for m in models if m.test_rmse is not None]
    if len(groups) != 1 or len(groups[0]) != len(models) or len(rated) < 2:
        return ""
    lowest = min(rated, key=lambda m: m.test_rmse)
    checks = {m.name: ranking_check(m) for m in rated}
    twins = {m.name: draws for m in rated if (draws := paired.seed_twins(lowest, m))}
    return text.md(ranking.lists_disagree_text(lowest.name, checks, twins))


def ranking_table(models: list) -> None:
    """On request, each model's top-10 lists scored on its test rows beside a most-rated-first
    list's (accuracy round 12: the model with the lower test RMSE had the worse lists)."""
    if not st.toggle(
        "Score their top-10 lists on the test rows",
        key="ranking",
        help="For each user with a test movie rated in the top quarter of the scale: does the "
        "model's top 10 (movies with 10+ training ratings, leaving out what it saw them rate) "
        "hold one? A most-rated-first list on the same movies is the reference. A second or "
        "so per model.",
    ):
        return
    with contextlib.suppress(MovierateError):
        checks = [(m, ranking_check(m)) for m in models]
        rows = [ranking_row(c, m) for m, c in checks if isinstance(c, ranking.RankingCheck)]
        # accuracy round 16: why each model is not scored, not "no test rows, or too few users"
        missing = [
            f"{text.md(m.name)}: {text.md(c.reason)}"
            for m, c in checks
            if not isinstance(c, ranking.RankingCheck)
        ]
        if not rows:
            st.info(f"None of these models could be scored. {'; '.join(missing)}.")
            return
        widgets.show_table(
            pd.DataFrame(rows),
            hide_index=True,
            column_config={
                name: st.column_config.NumberColumn(format="%.3f")
                for name in ("NDCG@10", "most-rated list: NDCG", "random list: NDCG")
            }
            | {  # one decimal in every row (recheck C, s26: "37.5%" over "36.32%")
                name: st.column_config.NumberColumn(format="%.1f%%")
                for name in ("hit rate@10", "most-rated list: hit rate", "random list: hit rate")
            },
        )
        st.caption(
            "random list: what a random 10 of the same candidates scores on average (exact "
            "expectation), the level a list must beat to show anything."
        )
        silent = [  # accuracy round 24: no verdict where the data make one meaningless
            f"{text.md(m.name)}: {text.md(c.no_verdict)}"
            for m, c in checks
            if isinstance(c, ranking.RankingCheck) and c.no_verdict
        ]
        if silent:
            st.caption(f"No verdict on their lists: {'; '.join(silent)}.")
        if missing:  # recheck C: an imported model was left out without a word
            st.caption(f"Not scored: {'; '.join(missing)}.")
        left_out = [  # accuracy round 18: users without a training row, as the RMSE's note
            f"{text.md(m.name)}: {ranking.untrained_words(c.n_untrained)}"
            for m, c in checks
            if isinstance(c, ranking.RankingCheck) and c.n_untrained
        ]
        if left_out:
            st.caption(f"Not in the users column: {'; '.join(left_out)}.")
        if said := lists_disagree_text(models):
            st.caption(said)


def without_own_numbers(note: str, metrics: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """``note`` (:func:`store.no_better_than_averages_note`'s) without the model's own test
    RMSE and MAE, so models measured against the same reference numbers share one warning;
    and those own numbers, by name ("test RMSE": "0.9878")."""
    own = {}
    for key, label in (("test_rmse", "RMSE"), ("test_mae", "MAE")):
        value = metrics.get(key)
        said = f"Its test {label} {value:.4f} " if isinstance(value, int | float) else ""
        if said and said in note:
            note = note.replace(said, f"Its test {label} ")
            own[f"test {label}"] = f"{value:.4f}"
    return note, own


def first_eight(said: list[str]) -> str:
    """``said`` as "a, b and c", the ninth on counted ("a, ..., h and 4 more")."""
    if len(said) > 8:
        return ", ".join(said[:8]) + f" and {len(said) - 8:,} more"
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


def accuracy_section(models: list, trained: list) -> None:
    """Accuracy table, what each model's regularizers did, learning and regularizer curves."""
    notice = store.test_rows_notice(models)
    if notice:  # the paired test needs one set of test rows: say why it is not offered
        st.warning(text.md(notice) + " " + NO_PAIRED_ACROSS_GROUPS, icon=":material/rule:")
    metrics = compared_metrics(models)
    table = pd.DataFrame([accuracy_row(m, metrics[m.name]) for m in models])
    table = table.dropna(axis=1, how="all")
    listed = {i.name: i for i in state.list_models()[0]}
    infos = [listed[m.name] for m in models if m.name in listed]
    if len(infos) == len(models):  # accuracy round 44, F3: RMSEs of 1-5 and 0-100 unlabelled
        table = text.with_scale_column(table, infos)
    groups = store.test_row_groups(models)
    shared = len(groups) == 1 and len(groups[0]) == len(models)
    test_rows = table["test rows"]  # for the download, which is read without the page
    numbers: dict[str, list] = {}  # the download's paired numbers as numbers (recheck 4)
    if shared:  # one set of test rows: said once below, not in every row
        table = table.drop(columns="test rows")
        differences = paired_differences(models)
        if differences:
            table.insert(
                table.columns.get_loc("test MAE") + 1,
                PAIRED_COLUMN,
                [differences[m.name].short() for m in models],
            )
            numbers = paired_columns([differences[m.name] for m in models])
    widgets.show_models_table(
        table,
        {
            "params": st.column_config.NumberColumn(
                format="localized", help="Trainable parameters (weights) of the model"
            ),
            PAIRED_COLUMN: st.column_config.TextColumn(help=PAIRED_HELP),
            AVERAGES_COLUMN: st.column_config.NumberColumn(format="%.4f", help=AVERAGES_HELP),
            GAP_COLUMN: st.column_config.TextColumn(
                help="The model's test RMSE minus the averages', on the same test rows, with "
                "the 95% interval of that difference (each user's ratings counted together; "
                f"none on fewer than {paired.interval_users()} test users, as the cell says): "
                "what decides whether the embedding beats the averages."
            ),
        },
        key=(GAP_COLUMN, PAIRED_COLUMN),
    )
    # accuracy round 56, F2: these were inside the collapsed "How far to trust" expander, where
    # the README has them beside the test RMSE
    if cold := cold_start_notes(models, shared, metrics):
        st.caption("\n\n".join(cold))
    # views round 42, F3: the file also says how each model was trained, each one's own
    # interval and the gap to the averages as numbers (the screen keeps its columns)
    added = accuracy_numbers([metrics[m.name] for m in models]) | settings_columns(models)
    # recheck 16b, F3: the caveat below the table, per model, so the file never reads clean
    added[store.SETTINGS_CHOSEN_COLUMN] = store.settings_chosen_cells(models)
    numbers |= {k: v for k, v in added.items() if any(x is not None for x in v)}
    widgets.download_table(  # named, full precision (views round 25, F1)
        "Download this table (CSV)",
        lambda: explore.table_csv(table.assign(**{"test rows": test_rows}, **numbers), {}),
        compare_file_name([m.name for m in models], "accuracy"),
        key="accuracy_csv",
    )
    caveat = store.settings_caveat(models)
    notes = [text.shared_test_rows_text(models[0], bool(caveat))] if shared else []
    baselines = {store.baselines_text(m, with_gap=False) for m in metrics.values()}
    if shared and len(baselines) == 1 and "" not in baselines:  # accuracy round 10
        notes += baselines
    elif one_pass := store.one_pass_averages_note(metrics):  # said above when shared
        notes.append(text.md(one_pass))
    ties = {m.name: store.ties_note(m.split_record) for m in models}  # accuracy round 16
    if shared and len(set(ties.values())) == 1:
        notes += [note for note in set(ties.values()) if note]
    else:
        notes += [f"{text.md(name)}: {note}" for name, note in ties.items() if note]
    if shared and differences:
        notes.append(paired.threshold_text(next(iter(differences.values()))))
    twins = paired.seed_twins_text(models)
    if twins:  # accuracy round 31, F1: the twins' averages verdicts read across them
        across = store.twins_averages_text(models, metrics)
        # accuracy round 54, F2: which cells another seed could close, and a lucky reference
        spreads = (
            paired.seed_spread_text(list(differences.values())) if shared and differences else None
        )
        said = " ".join(filter(None, [twins, spreads, across]))
        st.info(text.md(said), icon=":material/casino:")
    no_better = [
        m
        for m in models
        if store.worse_than_mean_note(metrics[m.name]) and not store.few_held_out(m.split_record)
    ]
    if no_better:  # views round 4: only the Train page said so
        listed = ", ".join(
            f"{text.md(m.name)} ({metrics[m.name]['test_rmse']:.4f} against "
            f"{metrics[m.name]['test_rmse_of_mean']:.4f}"
            + (", within the draw" if store.mean_gaps_within_text(metrics[m.name]) else "")
            + ")"
            for m in no_better
        )
        checked = [  # accuracy round 15: beaten on the stop rows, the test rows differ
            f"{text.md(m.name)} ({beat})"
            for m in no_better
            if (beat := store.test_rows_differ(metrics[m.name]))  # both beyond the draw (F1)
        ]
        # bad-input round 41, F5: constant ratings were filed under "learned nothing"
        flat = [m for m in no_better if store.nothing_to_learn(metrics[m.name])]
        said = [
            "Test RMSE no better than predicting the training rows' mean rating for every test "
            f"row (a gap within the draw of its paired interval is marked): {listed}."
        ]
        if checked:
            # recheck 3, L1: a model with no gaps recorded (older, its data not loaded) is
            # hedged, as the CLI's note does
            unsure = any(
                "test_rmse_minus_mean" not in metrics[m.name]
                for m in no_better
                if store.test_rows_differ(metrics[m.name])
            )
            said.append(
                f"On their early-stopping rows these beat that mean: {', '.join(checked)}, so "
                + (
                    "their test rows may behave unlike the rows they were checked on (no "
                    "interval is recorded for these gaps: saved by an older version)"
                    if unsure
                    else "their test rows behave unlike the rows they were checked on, each gap "
                    "beyond the draw"
                )
                + " (another time, other users, a data problem)."
            )
        said += [f"{text.md(m.name)}: {store.worse_than_mean_note(metrics[m.name])}" for m in flat]
        if len(checked) + len(flat) < len(no_better):
            who = "The others" if checked or flat else "It" if len(no_better) == 1 else "They"
            said.append(f"{who} learned nothing the mean does not know.")
        st.warning(" ".join(said), icon=":material/warning:")
    # accuracy round 11: only a model worse than the mean was warned of; bad-input round 33:
    # 40 models drew 40 boxes of one sentence, so models with the same note share one; views
    # round 29, F3: notes that differ only in each model's own numbers share one too
    weak_notes: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    for model in models:
        if weak := store.no_better_than_averages_note(metrics[model.name]):
            alike, own = without_own_numbers(weak, metrics[model.name])
            weak_notes.setdefault(alike, []).append((model.name, weak, own))
    unchecked = [  # round 38, F1: left out of the warnings, read as having passed
        m.name for m in models if m.has_test_rows and "test_rmse_of_averages" not in metrics[m.name]
    ]
    if unchecked:
        st.warning(
            f"Not checked against the training mean or the user and movie averages: "
            f"{text.names_text(unchecked)}: their reference numbers were not recorded (saved by "
            "an older movierate version) and are computed here only for data sets of up to "
            f"{paired.RUN_UNASKED_UP_TO:,} ratings. `python -m movierate evaluate NAME` "
            "computes them.",
            icon=":material/warning:",
        )
    for alike, named in weak_notes.items():
        whole = {weak for _, weak, _ in named}
        if len(whole) == 1:  # the same numbers for each: "Its test RMSE" of every one
            weak = whole.pop().replace(
                "Its test", "Each one's test" if len(named) > 1 else "Its test"
            )
            listed = [text.md(name) for name, _, _ in named]
            st.warning(f"{first_eight(listed)}: {weak}", icon=":material/warning:")
            continue
        listed = [
            f"{text.md(name)} ({', '.join(f'{k} {v}' for k, v in own.items())})"
            for name, _, own in named
        ]
        share = (
            f"{len(named)} of these {len(models)} models"
            if len(named) < len(models)
            else "Both models"
            if len(models) == 2
            else f"All {len(models)} models"
        )
        st.warning(
            f"{share}, {first_eight(listed)}: " + alike.replace("Its test", "each one's test"),
            icon=":material/warning:",
        )
    if old := [  # bad-input round 38, F2: same settings shown, other meanings
        f"{text.md(m.name)}: {text.md(note)}."
        for m in models
        if (note := store.old_patience_zero_note(m.meta.get("spec"), m.metrics))
    ]:
        st.info(" ".join(old), icon=":material/history:")
    notes += [text.md(caveat)] if caveat else []
    # views round 27, F1: a 330-word caption stood here, the charts below the first screen
    reading = text.accuracy_reading(models[0], shared, store.settings_caveat_summary(models))
    st.caption(" ".join(filter(None, [text.scales_note(infos), reading])))
    if notes:
        with st.expander("How far to trust these differences", icon=":material/rule:"):
            st.caption("\n\n".join(notes))
    curves_col, regs_col = st.columns(2, gap="large")
    # an exact whitening has no training
    labels = {m.name: store.curves_label(m.name, m.metrics, m.split_record) for m in trained}
    histories = {labels[m.name]: m.history for m in trained}
    curves_col.vega_lite_chart(
        charts.curves_chart(
            histories,
            ["train_rmse", "stop_rmse", "valid_rmse"],
            title="Learning curves",
            subtitle="dashed: training rows, solid: early-stopping rows"
            if any("stop_rmse" in h or "valid_rmse" in h for h in histories.values())
            else "training rows (these models kept no early-stopping RMSE per epoch)",
            y_title="RMSE",
            height=300,
        ),
        key="curves",
    )
    kept = {labels[m.name]: m.metrics.get("best_epoch") for m in trained}
    saved = {labels[m.name]: m.metrics for m in trained}
    if said := charts.learning_curves_text(histories, kept, saved):  # views round 15: no text
        curves_col.caption(text.md(said))
    names = {m.name for m in trained}
    if scales := text.curves_scales_note([i for i in state.list_models()[0] if i.name in names]):
        curves_col.caption(scales)
    reg_histories = {n: h for n, h in histories.items() if text.regularizer_keys(h)}
    if reg_histories:
        penalties = sorted({k for h in reg_histories.values() for k in text.regularizer_keys(h)})
        regs_col.vega_lite_chart(
            charts.curves_chart(
                {  # every model, those without a penalty drawing nothing: each keeps the colour
                    # it has in the learning curves beside (views round 8: the palette restarted)
                    n: {k: h[k] for k in ["epoch", *text.regularizer_keys(h)] if k in h}
                    for n, h in histories.items()
                },
                penalties,
                title="Regularizer losses per epoch",
                # views round 27, F6: "of the tables" (embedding tables) was internal jargon
                subtitle="each penalty before its strength is applied, on the user and movie "
                "vectors (or on the movies it shapes)",
                y_title="loss",
                height=300,
                log_y=True,
                labels=charts.PENALTY_LABELS,
            ),
            key="reg_curves",
        )
        regs_col.caption(
            text.md(text.penalty_curves_text(reg_histories, penalties, charts.PENALTY_LABELS))
        )
        explained = [
            text.REGULARIZER_LOSS_HELP[k]
            for k in sorted({k for h in reg_histories.values() for k in text.regularizer_keys(h)})
            if k in text.REGULARIZER_LOSS_HELP
        ]
        missing = [n for n in histories if n not in reg_histories]
        if missing:  # say why a model is absent (views review round 3: autorec was, silently)
            explained.append(
                f"Not drawn: {', '.join(missing)}, which logged no regularizer penalty per epoch "
                "(no regularizer, or autorec, whose L2 is weight decay inside its loss)."
            )
        if explained:
            regs_col.caption(" ".join(explained))
    else:
        regs_col.info("None of these models has a regularizer loss to plot.")
    show_measured_effects(models)
    ranking_table(models)


def idle_notices(models: list) -> None:
    """Above the tabs that describe the embeddings: which of ``models`` has an embedding that
    does nothing for its predictions (recheck 3, L3: a constant-ratings model's spectrum sat
    beside a trained one's without the word Embeddings and Neighbours give)."""
    for model in models:
        if not model.meta.get("exact_whitening_of"):  # its source model is named instead
            dimensions.idle_embedding_notice(model, named=True)


def space_tables(space: pd.DataFrame) -> list[pd.DataFrame]:
    """The space table in two, each narrow enough for 200% zoom (views round 31, F1: at 1280
    px the random baseline was cut off beside the genre coherence it is read against): the
    spread numbers the covariance panels illustrate, then the genre coherence beside its
    random baseline, the popularity correlation and the saved losses."""
    spread = ["model", *(c for c in SPREAD_FIRST if c in space.columns)]
    numbers = (verdicts.VARIANCE_MEAN, verdicts.VARIANCE_SD)  # the download's, as numbers
    rest = [c for c in space.columns if c not in spread and c not in numbers]
    return [space[spread], space[["model", *rest]]]


def filter_columns(models: list, min_ratings: int) -> dict[str, list]:
    """Per model, the data set and the movies a tab's numbers are over, for its download:
    the minimum-ratings filter it applied and what that counts (views round 42, F4)."""
    lacking = set(widgets.without_rating_counts(models))
    return {
        "dataset": [m.dataset_name for m in models],
        "min_ratings": [widgets.own_min_ratings(m, min_ratings) for m in models],
        "filter counts": [
            "none (no rating counts: every movie)"
            if m.name in lacking
            else "training ratings"
            if widgets.counted_in([m]) == "training ratings"
            else "ratings, test rows included"
            for m in models
        ],
    }


def with_filters(table: pd.DataFrame, models: list, min_ratings: int) -> pd.DataFrame:
    """``table`` (a ``model`` column of ``models``' names) with :func:`filter_columns` after
    its model column."""
    out = table.copy()
    by_name = {m.name: i for i, m in enumerate(models)}
    rows = [by_name[name] for name in out["model"]]
    for at, (name, values) in enumerate(filter_columns(models, min_ratings).items(), 1):
        out.insert(at, name, [values[i] for i in rows])
    return out


def per_model_table(
    frames: dict[str, pd.DataFrame], models: list, min_ratings: int
) -> pd.DataFrame:
    """Each model's table of a chart (``frames``, by model name) stacked, with the movies it
    is over (``attrs["n_rows"]``) and :func:`with_filters`' columns: the chart's download."""
    stacked = pd.concat(
        [
            frame.reset_index(drop=frame.index.name is None).assign(
                model=name, movies=frame.attrs.get("n_rows")
            )
            for name, frame in frames.items()
        ],
        ignore_index=True,
    )
    stacked = stacked[["model", *(c for c in stacked.columns if c != "model")]]
    return with_filters(stacked, models, min_ratings)


def data_about(models: list, min_ratings: int) -> str:
    """The data set(s) and movies a chart shows, for under its title: "ml-100k: the movies
    with at least 10 training ratings" (views round 42, F4: the titles named neither)."""
    datasets = list(dict.fromkeys(m.dataset_name for m in models))
    counted = text.movies_counted(min_ratings, widgets.counted_in(models))
    return f"{text.names_text(datasets)}: {counted}"


def space_columns() -> dict:
    """Column formats and help of the space tables (:func:`space_tables`)."""
    return {
        "genre coherence@10": st.column_config.ProgressColumn(
            min_value=0.0,
            max_value=1.0,
            format="%.2f",
            help="Share of a movie's 10 nearest neighbours sharing a genre with it.",
        ),
        "random baseline": st.column_config.NumberColumn(
            format="%.2f", help="The same share for 10 random movies."
        ),
        "coherence movies": st.column_config.NumberColumn(
            format="localized",
            help="Movies the genre coherence was measured on (at most the "
            f"{explore.NEIGHBOUR_CAP:,} most-rated).",
        ),
        "Spearman(norm, popularity)": st.column_config.NumberColumn(
            format="%.2f",
            help="Spearman correlation of vector length with popularity: every rating of "
            "the movie, test rows included (the movies are those the filter above keeps).",
        ),
        "variances": st.column_config.TextColumn(
            help="The movie covariance's diagonal over these movies: the mean of the "
            "dimensions' variances and, in brackets, their standard deviation across the "
            "dimensions (how unequal they are, not an uncertainty; whitening aims at every one "
            f"in {verdicts.WHITE_DIAGONAL[0]}-{verdicts.WHITE_DIAGONAL[1]})."
        ),
        "mean |correlation|": st.column_config.NumberColumn(
            format="%.3f",
            help="Mean |correlation| between two different dimensions over these movies "
            f"(decorrelation aims at <= {verdicts.DECORRELATED_MAX}, or what independent "
            "dimensions reach by chance over few movies).",
        ),
        "mean KS to U(-1, 1)": st.column_config.NumberColumn(
            format="%.3f",
            help="Mean Kolmogorov-Smirnov distance of each dimension to uniform(-1, 1) over "
            f"these movies (adversarial aims at <= {verdicts.UNIFORM_KS_MAX}, with no single "
            "dimension beyond what uniform columns reach by chance: the verdicts say both).",
        ),
        SAVED_LOSSES: st.column_config.TextColumn(
            help="Each regularizer's unweighted penalty of the saved model: the epoch "
            "early stopping kept, which need not be the last one run."
        ),
    }


@shell.fragment
def space_section(models: list) -> None:
    """Genre coherence, popularity and covariance matrices over the movies with enough ratings
    (a fragment: its slider reruns it only)."""
    idle_notices(models)
    min_ratings = min_ratings_slider(models)
    with st.spinner("Measuring genre coherence and popularity of each space…"):
        space = pd.DataFrame(
            [space_row(m, widgets.own_min_ratings(m, min_ratings)) for m in models]
        )
    capped = bool(space.pop("coherence capped").any())
    eligible = int(space.pop("coherence eligible").max())
    # a model with coherence has None here, NaN beside another's string: NaN is truthy and
    # showed as an info box reading "nan" (bad-input round 27, F4)
    notes = [n for n in space.pop("coherence note") if isinstance(n, str) and n]
    for model in models:  # statistics over fewer movies than dimensions (round 27, F6)
        own = widgets.own_min_ratings(model, min_ratings)
        if few := explore.model_few_rows_note(model, min_ratings=own):
            notes.append(f"{model.name}: {few}")
    st.caption(
        f"Over {text.movies_counted(min_ratings, widgets.counted_in(models))}.{own_movies_note(models)}"
    )
    for model in models:  # views round 8: "exactly whitened" panels far from white, unsaid
        if model.meta.get("exact_whitening_of"):
            fitted = verdicts.shaped_rows(model, model.spec).where
            st.caption(
                f"{text.md(model.name)} is exactly white{fitted}, where its map was fitted "
                "(the slider at 1 shows those movies); over the movies counted here its "
                "(co)variances are what the table and panels show (at 0 the slider counts "
                "every movie, untrained ones too; views round 38, F2)."
            )
    for note in notes:
        st.info(text.md(note), icon=":material/category:")
    if capped:
        st.info(
            f"Genre coherence over each model's {explore.NEIGHBOUR_CAP:,} most-rated of the "
            f"{eligible:,} movies with at least {min_ratings} {widgets.counted_in(models)} and "
            "a genre (column "
            "'coherence movies'): its exact nearest-neighbour search compares every pair of "
            f"movies, minutes for {eligible:,}. The other statistics use every movie.",
            icon=":material/filter_alt:",
        )
    for part in space_tables(space):
        widgets.show_table(part, hide_index=True, column_config=space_columns())
    widgets.download_table(  # views round 42, F4: only the grid's rounded, timestamped file
        "Download these numbers (CSV)",
        lambda: explore.table_csv(
            with_filters(space.drop(columns="variances"), models, min_ratings), {}
        ),
        compare_file_name([m.name for m in models], "embedding_spaces"),
        key="space_csv",
    )
    matrix_section(models, min_ratings)
    prefetch_tabs(models)  # the slider reruns this fragment only: the other tabs' new settings


@shell.fragment
def spectra_section(models: list) -> None:
    """Eigenvalue spectra and per-dimension variances over the movies with enough ratings (a
    fragment: its slider reruns it only)."""
    idle_notices(models)
    min_ratings = min_ratings_slider(models)
    st.caption(
        f"Over {text.movies_counted(min_ratings, widgets.counted_in(models))}.{own_movies_note(models)}"
    )
    spectrum_col, variance_col = st.columns(2, gap="large")
    spectra = {
        m.name: state.cached(
            explore.model_eigen_spectrum, m, min_ratings=widgets.own_min_ratings(m, min_ratings)
        )
        for m in models
    }
    about = data_about(models, min_ratings)  # in each chart, so its PNG says it (round 42)
    spectrum_col.vega_lite_chart(charts.spectrum_chart(spectra, about=about), key="spectra")
    variances = {
        m.name: state.cached(
            explore.model_variance_share, m, min_ratings=widgets.own_min_ratings(m, min_ratings)
        )
        for m in models
    }
    variance_col.vega_lite_chart(charts.variance_chart(variances, about=about), key="variances")
    names = [m.name for m in models]
    for where, frames, what in (  # views round 42, F4: named, full precision
        (spectrum_col, spectra, "spectra"),
        (variance_col, variances, "variances"),
    ):
        widgets.download_table(
            f"Download these {what} (CSV)",
            lambda frames=frames: explore.table_csv(
                per_model_table(frames, models, min_ratings), {}
            ),
            compare_file_name(names, what),
            key=f"{what}_csv",
            where=where,
        )
    prefetch_tabs(models)


@shell.fragment
def matrix_section(models: list, min_ratings: int) -> None:
    """The covariance or correlation heatmaps (a fragment: the matrix kind redraws only them)."""
    kind = st.segmented_control(
        "Matrix",
        ["covariance", "correlation"],
        default="covariance",
        required=True,
        key="matrix",
        bind="query-params",
    )
    names = [m.name for m in models]
    matrices = {
        m.name: state.cached(
            explore.model_covariance,
            m,
            kind=kind,
            min_ratings=widgets.own_min_ratings(m, min_ratings),
        )
        for m in models
    }
    st.markdown(f"**{kind.title()} matrices on one shared colour scale**")
    # square cells in ~300 px, two to a row at 1280 px (views round 14: 230 px looked small on
    # a projector); a row too narrow for two wraps to one a row (shell.WIDE_FIGURE)
    specs = charts.heatmap_charts(
        matrices, fixed_range=1.0 if kind == "correlation" else None, width=420, height=520
    )
    for start in range(0, len(specs), 2):  # two to a row
        for col, spec, name in zip(
            st.columns(2, gap="medium"), specs[start : start + 2], names[start:], strict=False
        ):
            with col.container(key=f"{shell.WIDE_FIGURE}{name}"):
                st.vega_lite_chart(spec, width="content", key=f"heatmap_{name}")
    weaker = (
        "weaker correlations (a correlation does not depend on a dimension's scale)"
        if kind == "correlation"
        else "smaller (co)variances"
    )
    st.caption(
        f"Every panel uses the same colour scale, so a paler panel really has {weaker}. "
        "Dimensions are in the order the model learned them."
    )


def pair_pick(names: list[str], key: str, label: str, first: str, where: Any) -> str:
    """Model A or B of the movie-by-movie section, one of the compared models, in the URL; a
    link's model that is not among them is said to be replaced (recheck: dropped unsaid)."""
    linked = st.query_params.get(key)
    chosen = widgets.pick_one(
        names,
        key=key,
        label=label,
        first=first,
        help="One of the compared models; kept in the URL.",
        where=where,
        all_saved=False,
    )
    if linked and linked not in names:
        where.caption(
            f"{text.md(linked)} from the link is not among the compared models, so {label} is "
            f"{text.md(chosen)}."
        )
    return chosen


@shell.fragment
def pair_section(models: list) -> None:
    """Two models movie by movie: neighbour overlap, prediction agreement, Procrustes (a
    fragment: its controls rerun only this section; each part is cached on its own
    parameters; the neighbour sets are searched once up to k = 50, so a new k is a slice)."""
    names = [m.name for m in models]
    by_name = {m.name: m for m in models}
    pair = st.columns([2, 2, 1], gap="medium")
    linked_b = st.query_params.get("pair_b")  # A's fallback avoids B's model (recheck)
    name_a = pair_pick(names, "pair_a", "Model A", next(n for n in names if n != linked_b), pair[0])
    name_b = pair_pick(names, "pair_b", "Model B", next(n for n in names if n != name_a), pair[1])
    k = pair[2].slider("k neighbours", 5, 50, 10, key="pair_k", bind="query-params")
    min_ratings = min_ratings_slider(models, floor=1)
    if name_a == name_b:
        st.info("Choose two different models.", icon=":material/touch_app:")
        return
    model_a, model_b = by_name[name_a], by_name[name_b]
    shown_a, shown_b = text.md(name_a), text.md(name_b)  # `__it__` is a model name
    with st.spinner(f"Comparing {shown_a} with {shown_b}: neighbour sets, predictions, rotation…"):
        sets = state.cached(
            explore.model_neighbour_sets,
            model_a,
            model_b,
            min_ratings=min_ratings,
            max_movies=explore.NEIGHBOUR_CAP,
        )
        overlap = sets.overlap(k)
        predicts = bool(model_a.n_users and model_b.n_users)  # imported embeddings: no users
        agreement = (  # over the movies the caption names (views round 9: over all movies)
            state.cached(
                explore.model_prediction_agreement,
                model_a,
                model_b,
                movies=tuple(int(r) for r in sets.rows_a),
            )
            if predicts and len(sets.rows_a)
            else None
        )
        residual = state.cached(procrustes_residual, model_a, model_b, min_ratings=min_ratings)
        match = state.cached(explore.model_movie_match, model_a, model_b)
    counted = counts_caption(sets, shown_a, shown_b, model_a, model_b)
    if draws := paired.seed_twins(model_a, model_b):
        st.info(
            f"{shown_a} and {shown_b} have {paired.same_settings_text(draws)} and differ "
            "only by "
            f"{paired.draws_text(draws)}: the numbers below are what training noise alone "
            "gives for this setting.",
            icon=":material/casino:",
        )
    if shared_seed := shared_seed_note(model_a, model_b):  # accuracy round 54, F4
        st.info(text.md(shared_seed), icon=":material/casino:")
    # views round 12 (two datasets) and accuracy round 19 (one dataset, two splits): Explore
    # keeps the movies with enough ratings in both models, so where their counts differ, its
    # set and residual differ from these, and swapping A and B changes them here
    differs = sets.min_ratings > 0 and shared_filters_differ(model_a, model_b)
    rules = f" {text.RULES['explore']}" if differs else ""
    renamed = explore.renamed_ids_note(model_a, model_b)
    if renamed:  # bad-input round 64, F1: "Same test rows of ml-100k" and nothing more
        st.warning(text.md(renamed), icon=":material/edit_note:")
    if match is not None:
        st.info(
            f"{shown_a} and {shown_b} were trained on "
            f"{'one ratings file with different movies files' if renamed else 'different datasets'}"
            ", so movies are matched "
            f"by IMDb id or title and year: {match.summary()} Neighbour overlap and "
            f"the rotation use the {sets.n_eligible:,} matched movies{counted}.{rules}",
            icon=":material/join_inner:",
        )
    elif differs:
        why = (
            f"each counts the ratings it trained on, and they trained on different rows of "
            f"{text.md(model_a.dataset_name)}"
            if widgets.counted_in([model_a, model_b]) == "training ratings"
            else f"one counts every rating of {text.md(model_a.dataset_name)}, the other only those it "
            "trained on"
        )
        st.info(
            f"{shown_a} and {shown_b} count different ratings per movie ({why}), so the movies "
            "kept depend on whose counts are read. Neighbour overlap and the rotation use the "
            f"{sets.n_eligible:,} shared movies{counted}.{rules}",
            icon=":material/join_inner:",
        )
    # two rows of two: four in a row cut their labels to "Procrustes resid…" at 1024 px
    # (views round 10)
    metrics = [*st.columns(2), *st.columns(2)]
    metrics[0].metric(
        f"Mean Jaccard@{k}",
        f"{float(overlap['jaccard'].mean()):.3f}",
        help=(
            f"Per movie, the films both models list among its {k} nearest divided by the films "
            f"either lists (intersection over union), averaged over the movies; 1 = identical "
            f"sets, 0 = none shared. Mean films shared: {float(overlap['n_common'].mean()):.1f} "
            f"of {k}. {SEED_SCALE}"
        ),
    )
    metrics[1].metric(
        "Procrustes residual",
        f"{residual:.3f}",
        help=f"{glossary.define('Procrustes residual')} {SEED_SCALE}",
    )
    if agreement is not None:
        metrics[2].metric(
            "Prediction RMSE between",
            f"{agreement.rmse_between:.3f}",
            help=f"On {agreement.n_pairs:,} random (user, movie) pairs of the movies above.",
        )
        beyond = agreement.beyond_levels
        metrics[3].metric(
            "Prediction correlation",
            f"{agreement.pearson:.3f}",
            help=f"Pearson correlation of the two models' predictions on {agreement.n_pairs:,} "
            "random (user, movie) pairs of the movies above. Two models fitted to the same training rows agree on each "
            "user's and each movie's level whatever else they learned, so this is high even "
            "for models that learned nothing; see the number beyond the levels below.",
        )
        if beyond is not None and np.isfinite(beyond.pearson):
            metrics[3].caption(
                f"Beyond each user's and movie's level: **{beyond.pearson:.2f}** (do they agree "
                f"on who likes what; near 0 when either learned no taste), over "
                f"{beyond.grid_text()}."
            )
    elif not predicts:
        metrics[2].caption(
            "Prediction agreement needs two models that predict ratings; "
            f"{shown_a if not model_a.n_users else shown_b} has no users (an imported embedding)."
        )
    else:
        same_name = model_a.dataset_name == model_b.dataset_name
        metrics[2].caption(
            "Prediction agreement needs the same users and movies, so it is measured only for "
            "two models of the same data"
            + (  # recheck 13, L2: "of the same dataset (m1: mine, m2: mine)" contradicted itself
                f": {text.md(model_a.dataset_name)} changed between {shown_a}'s training and "
                f"{shown_b}'s."
                if same_name
                else f" ({shown_a}: {text.md(model_a.dataset_name)}, {shown_b}: "
                f"{text.md(model_b.dataset_name)})."
            )
        )
    st.caption(f"Over the {sets.n_eligible:,} shared movies{counted}.")
    if sets.subsampled:
        st.info(
            f"{sets.notice()} The Procrustes residual uses all {sets.n_eligible:,}; "
            "prediction agreement a fixed seeded sample of (user, movie) pairs.",
            icon=":material/filter_alt:",
        )
    hist_col, movers_col = st.columns(2, gap="large")
    hist_col.vega_lite_chart(charts.shared_neighbours_chart(overlap, k), key="jaccard_hist")
    with movers_col:
        st.markdown("**Most rearranged movies** (fewest neighbours in common)")
        widgets.show_movies(
            overlap.sort_values(["jaccard", "n_ratings"], ascending=[True, False]).head(10)[
                ["jaccard", "n_ratings", "year", "title"]
            ],
            key="movers",
            wide=True,
        )
    prefetch_tabs(models)


def prefetch_tabs(models: list) -> None:
    """Start computing every tab's analyses for the settings in the URL (and the pair picked)
    in the background, in the order a reader tends to open the tabs: opening one then only
    draws it (its cold analyses took ~0.5 s of ~1.1 s for two ml-latest-small models)."""
    try:
        min_ratings = int(st.query_params.get("min_ratings", MIN_RATINGS))
    except ValueError:
        min_ratings = MIN_RATINGS
    counted = len(widgets.without_rating_counts(models)) < len(models)
    min_ratings = min_ratings if counted else 0  # as min_ratings_slider: no counts, no filter
    kind = st.query_params.get("matrix", "covariance")
    by_name = {m.name: m for m in models}
    pair = (
        by_name.get(st.session_state.get("pair_a"), models[0]),
        by_name.get(st.session_state.get("pair_b"), models[1]),
    )
    cap = {"max_movies": explore.NEIGHBOUR_CAP}

    def own(model) -> int:
        return widgets.own_min_ratings(model, min_ratings)

    calls = [(space_numbers, (m,), {"min_ratings": own(m), **cap}) for m in models]
    calls += [
        (explore.model_covariance, (m,), {"kind": kind, "min_ratings": own(m)}) for m in models
    ]
    for func in (explore.model_eigen_spectrum, explore.model_variance_share):
        calls += [(func, (m,), {"min_ratings": own(m)}) for m in models]
    if pair[0] is not pair[1]:
        floor = {"min_ratings": max(min_ratings, int(counted))}
        calls += [
            (explore.model_neighbour_sets, pair, {**floor, **cap}),
            (procrustes_residual, pair, floor),
            (explore.model_movie_match, pair, {}),
        ]
    state.prefetch(calls)


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Compare")
    st.caption(
        "Accuracy on test rows, learning curves and the shape of each embedding space, side by "
        "side: what these models' own numbers show, not what a method should do in theory."
    )
    trained = widgets.pick_models(
        multi=True,
        default_count=3,
        help="Pick two or more saved models; the choice is kept in the URL.",
    )
    exact = st.toggle(
        "Add each model's exact whitening",
        key="exact",
        bind="query-params",
        help=f"{glossary.define('whitening')}\n\nThe exact whitening is a free linear "
        "transform of the trained embedding: movie vectors multiplied by "
        "the inverse square root of their covariance over the movies its spread penalties "
        "shaped, the ones its verdicts measure: those with a training rating, or, for a model "
        "trained with 'Spread penalties: movies with at least this many ratings', those with at "
        "least that many training ratings (the note under each exact whitening names its set). "
        "The mean moves into the biases, so the vectors are exactly white there, user vectors "
        "(or a deep model's first layer) by the inverse, so every prediction stays the same. "
        "Set it beside a model trained with the whitening regularizer to see what the penalty "
        "adds beyond this transform.",
    )
    models = list(trained)
    if exact:
        models += exact_whitenings(trained)
    if len(models) < 2:
        st.info(
            "Pick at least two models to compare (or one, with its exact whitening).",
            icon=":material/touch_app:",
        )
        st.stop()
    tabs = st.tabs(SECTIONS, key="section", bind="query-params", on_change="rerun")
    sections = (
        lambda: accuracy_section(models, trained),
        lambda: space_section(models),
        lambda: spectra_section(models),
        lambda: pair_section(models),
    )
    for tab, section in zip(tabs, sections, strict=True):
        if tab.open:  # lazy: only the open tab runs and is sent to the browser
            with tab:
                section()
    prefetch_tabs(models)


shell.require_router()
render()
