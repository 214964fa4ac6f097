"""Dashboard views of embedding dimensions in order of importance: the held-out importance
report (:func:`render_dimension_importance`) and the "use only the first k dimensions" control
(:func:`first_k_control`, :func:`first_k_controls`) that other pages put after their model
picker, so maps and neighbours are recomputed from the first k dimensions.

Numbers come from :mod:`movierate.explore.ordering` (numpy, no TensorFlow); charts from
:mod:`movierate.ui.charts`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from movierate import explore, paired, store
from movierate.errors import DataError
from movierate.explore import ordering
from movierate.explore.ordering import NO_INTERVAL
from movierate.ui import charts, state, text, widgets

#: The per-dimension table's columns under the names it shows, which its CSV download keeps
#: too (views round 8: the download said heldout_share where the screen said held-out
#: importance), and their formats (shares as percentages on screen, fractions in the CSV).
DIMENSION_NAMES: dict[str, str] = {
    "heldout_increase": "RMSE rise when zeroed",
    "heldout_increase_ci95": "± (95%, paired by user)",
    **{column: f"{label} (share)" for column, label in charts.REPORT_SERIES.items()},
}
DIMENSION_COLUMNS: dict[str, Any] = {
    name: st.column_config.NumberColumn(
        format="%.4f" if column.startswith("heldout_increase") else "percent"
    )
    for column, name in DIMENSION_NAMES.items()
}
#: The first-k table's columns under the names it shows and its CSV keeps: each curve's RMSE
#: beside the paired interval of its difference from all dimensions (views round 42, F1).
PREFIX_NAMES: dict[str, str] = {
    "rmse_index": "RMSE, first k",
    "rmse_index_ci95": "± vs all, first k (95%, paired by user)",
    "rmse_pca": "RMSE, first k principal",
    "rmse_pca_ci95": "± vs all, first k principal (95%, paired by user)",
}
#: The table's column marking each rise against its interval (accuracy round 31, F2).
DRAW_COLUMN = "rise against the rows' draw"


def weights_noun(model: Any) -> str | None:
    """Which count weighs each movie in ``model``'s principal directions and movie variances:
    "training ratings", "ratings, test rows included" (a model saved before its training
    counts) or None (unweighted). Accuracy round 19: the captions did not say which count."""
    counted = ordering.movie_weights_counted(model)
    return f"{counted}, test rows included" if counted == "ratings" else counted


def weighted_text(model: Any) -> str:
    """ " (movies weighted by their number of training ratings)", or "" when unweighted."""
    noun = weights_noun(model)
    return f" (movies weighted by their number of {noun})" if noun else ""


#: What the kept-dims line means (help of its caption).
KEPT_DIMS_HELP = (
    "The 'ordered' option ends by scoring the early-stopping rows with only the first k "
    "dimensions, k = 0 .. dim, and keeps the k with the lowest error (models trained before "
    "this rule: the smallest k within one standard error of the best); "
    "the other dimensions are set to exactly zero (on held-out rows their importance is noise)."
)


def is_ordered(model: Any) -> bool:
    """True when ``model`` was trained with the ``ordered`` regularizer (dimension 0 first)."""
    regularizers = getattr(model.spec, "regularizers", None) or {}
    return bool(regularizers.get("ordered"))


def resolved_basis(model: Any, basis: str) -> str:
    """``"index"`` or ``"pca"``: ``auto`` keeps an ordered model's dimensions as trained and
    uses the principal directions of any other model."""
    if basis == "auto":
        return "index" if is_ordered(model) else "pca"
    return basis


def first_k_control(model: Any, key: str) -> Any:
    """Sidebar control "use only the first k dimensions" for one model (k and the basis kept
    in the URL as ``<key>_k`` / ``<key>_basis``); returns ``model`` itself at full dimension,
    else :func:`movierate.explore.ordering.first_k_view` of it, with a caption where called."""
    return first_k_controls([model], key)[0]


def first_k_controls(models: Sequence[Any], key: str) -> list[Any]:
    """:func:`first_k_control` for several models at once (one slider up to the largest dim;
    a model with fewer dimensions keeps all of its own)."""
    models = list(models)
    if not models:
        return models
    top = max(int(m.dim) for m in models)
    k_key, basis_key = f"{key}_k", f"{key}_basis"
    if top < 2:
        return models
    current, last_top = st.session_state.get(k_key), st.session_state.get(f"{key}_top")
    if current is None and str(st.query_params.get(k_key, "")).isdigit():
        current = int(st.query_params[k_key])  # a link's k, before its slider exists
    outside = isinstance(current, int) and not 1 <= current <= top
    if isinstance(current, int) and (outside or current == last_top != top):
        st.session_state[k_key] = top  # another model: all of its dims unless k was chosen
    st.session_state[f"{key}_top"] = top
    # no divider: Streamlit's page menu ends in one, and a second left an empty band of ~70 px
    # below it, with the sidebar's script element between the two (views round 27, F6)
    with st.sidebar:
        if outside:
            st.caption(f"First k = {current} is outside 1-{top} here, so all {top} are used.")
        k = st.slider(
            "Use only the first k dimensions",
            1,
            top,
            top,
            key=k_key,
            bind="query-params",
            help="Recompute maps and neighbours from the first k embedding dimensions only, "
            "to see what each extra dimension adds. All dimensions: the model as trained.",
        )
        basis = st.segmented_control(
            "Which first dimensions",
            list(state.BASIS_LABELS),
            format_func=state.BASIS_LABELS.get,
            default="auto",
            required=True,
            key=basis_key,
            bind="query-params",
            help="As trained: dimensions 1..k of the embedding (meaningful for models trained "
            "with the 'ordered' regularizer). PCA: the model re-expressed in "
            "its principal basis first (movies weighted by their number of training ratings, "
            "every rating for a model saved before those were counted; same predictions), so "
            "the first k directions carry the "
            "most. Auto: as trained for models trained with 'ordered', PCA otherwise.",
        )
    views = [
        ordering.first_k_view(m, min(int(k), int(m.dim)), resolved_basis(m, basis)) for m in models
    ]
    notes = [first_k_caption(m, v) for m, v in zip(models, views, strict=True) if v is not m]
    if notes:
        st.caption(":material/filter_list: " + " ".join(notes))
    return views


def stopped_on_held_out_rows(history: dict[str, Any]) -> bool:
    """Whether training watched its held-out rows each epoch (the regularizer study trains a
    fixed number of epochs without them: its history has no RMSE on them)."""
    return not history or "stop_rmse" in history or "valid_rmse" in history


def first_k_caption(model: Any, view: Any) -> str:
    """One sentence saying which dimensions ``view`` keeps of ``model`` and why that basis."""
    info = view.meta.get("first_k", {})
    k, basis = info.get("k", view.dim), info.get("basis", "index")
    if basis == "pca":
        what = f"its first {k} principal directions"
        why = (
            "its dimensions are not trained in order of importance"
            if not is_ordered(model)
            else "chosen in the sidebar"
        )
    else:
        what = f"its first {k} dimensions as trained"
        why = (
            "the 'ordered' regularizer put them in order of importance"
            if is_ordered(model)
            else "chosen in the sidebar; this model's dimensions are in no particular order"
        )
    noun = weights_noun(model) if basis == "pca" else None
    return f"**{text.md(model.name)}** uses only {what} of {model.dim} ({why})." + (
        f" Its principal directions weigh each movie by its number of {noun}." if noun else ""
    )


#: What a caption describing an idle embedding's structure adds (:func:`idle_embedding_notice`).
IDLE_CAPTION = (
    "These numbers describe where training left the vectors, not how the model uses them: its "
    "embedding does not help its predictions (see the warning at the top)."
)


def _embedding_gain(model: Any) -> tuple[ordering.EmbeddingGain, str | None]:
    """:func:`ordering.embedding_gain` on the dashboard's copy of the model's data; on a data
    set larger than Compare loads unasked, the vectors' size only, so that a page's first open
    does not wait for 32 M ratings to load and split (issue 15's 5 s). With it, why the gain
    could not be measured (the model's data is gone or changed), else None."""
    size = (model.meta or {}).get("dataset", {}).get("n_ratings")
    imported = (model.meta or {}).get("imported")  # movie vectors only: nothing predicts
    if imported or not (isinstance(size, int) and size <= paired.RUN_UNASKED_UP_TO):
        return ordering.embedding_gain(model, score=False), None
    try:
        ds = state.dataset_of(model)
    except DataError as exc:  # no ratings to score: only the vectors' size is checked, and
        # said (bad-input round 64, F3: the verdict vanished without a word)
        return ordering.embedding_gain(model, score=False), str(exc)
    return ordering.embedding_gain(model, ds), None


def idle_embedding_notice(model: Any, *, named: bool = False) -> str | None:
    """Warn, at the top of a page that describes ``model``'s embedding, when the embedding
    does not help its predictions (:func:`ordering.idle_embedding_text`; ``named``: led by the
    model's name, on a page of several), or that this could not be checked; returns the
    "does not help" warning, for captions that would otherwise say how the model uses its
    dimensions, or None (also when unchecked: :data:`IDLE_CAPTION` would not be true)."""
    model = getattr(model, "source", model)  # a first-k view: the model as trained
    gain, unchecked = state.cached(_embedding_gain, model)
    note = ordering.idle_embedding_text(model, gain)
    lead = f"**{text.md(model.name)}**: " if named else ""
    if note:
        st.warning(lead + note, icon=":material/blur_on:")
    elif unchecked:
        st.warning(
            f"{lead}Whether this model's embedding helps its predictions could not be checked, "
            f"so these views may show structure that predicts nothing: {text.md(unchecked)}",
            icon=":material/blur_on:",
        )
    return note


#: Per model (:func:`state._cache_key`), what its report's computation is scoring now:
#: (fraction done, "dimension 5 of 16 zeroed"), read by the page that waits for it.
_SCORING: dict[str, tuple[float, str]] = {}
#: Seconds a page waits for the report before it shows the progress bar (a saved one is read
#: from disk in well under that).
QUIET_WAIT_S = 0.3
#: Seconds between two redraws of the progress bar.
POLL_S = 0.2


def _report(model: Any) -> ordering.DimensionReport:
    key = state._cache_key(model)

    def progress(fraction: float, what: str) -> None:
        _SCORING[key] = (fraction, what)

    try:
        return ordering.model_dimension_report(model, state.dataset_of(model), progress=progress)
    finally:
        _SCORING.pop(key, None)


def _scored_report(model: Any) -> ordering.DimensionReport:
    """The model's report (:func:`state.cached`), computed on a thread while the page shows a
    progress bar with the pass being scored ("dimension 5 of 16 zeroed"): a first open took
    6.75 s on a busy machine with only a spinner (views round 43, F4). Its progress is kept
    outside the cached call, which would replay any element drawn inside it."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = state.cached(_report, model)
        except BaseException as exc:  # raised in the script's thread below
            outcome["error"] = exc

    # no script-run context: leaving the page lets the report finish and be cached
    worker = threading.Thread(target=work, name="movierate-dimensions", daemon=True)
    worker.start()
    worker.join(QUIET_WAIT_S)
    if worker.is_alive():
        bar, key = st.empty(), state._cache_key(model)
        while worker.is_alive():
            fraction, what = _SCORING.get(key, (0.0, "loading the ratings"))
            bar.progress(fraction, text=f"Scoring the held-out rows: {what}…")
            worker.join(POLL_S)
        bar.empty()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def render_dimension_importance(model: Any) -> ordering.DimensionReport | None:
    """Held-out ablation importance beside variance shares (and deep input shares), the prefix
    curve as trained and in the principal basis, and the verdict line; None (with a warning)
    when the model's training data is not available to measure on."""
    try:
        report = _scored_report(model)
    except DataError as exc:  # no data to score on, or too little to measure
        try:
            state.dataset_of(model)
            cause = f"No early-stopping-row importance for '{text.md(model.name)}': "
        except DataError:
            cause = (
                f"Held-out importance needs the ratings '{text.md(model.name)}' was trained on: "
            )
        st.warning(cause + text.md(exc), icon=":material/dataset:")
        return None
    if usual := ordering.usual_verdict(report, is_ordered(model)):  # views round 27, F3
        widgets.explained(f":material/sort: {usual}", "The ordering's full verdict", report.verdict)
    else:
        (st.success if report.ordered else st.info)(report.verdict, icon=":material/sort:")
    st.caption(ordering.seed_note(model.family))
    note = ordering.kept_dims_note(model.spec, model.metrics)
    if note:
        widgets.explained(
            ":material/content_cut: " + note, "Why the other dimensions are zero", KEPT_DIMS_HELP
        )
    # the ordered option's rank selection scored the early-stopping rows: they chose the zeros
    chose = "kept_dims" in (model.metrics or {}) and report.rows != "test"
    tuning = (model.meta or {}).get("tuning")  # kept as trained: its stop rows chose it
    settings = store.stop_rows_chose_settings(model.meta or {})  # e.g. the quick start's
    weighted = weighted_text(model)
    held_out = text.held_out_rows_text(
        report.rows,
        chose_dims=chose,
        tuning=tuning,
        settings=settings,
        stopped_on=stopped_on_held_out_rows(model.history or {}),
    )
    importance, prefix_curves = charts.dimension_report_charts(
        report.dimensions,
        report.prefix,
        rows=report.rows,
        k0=ordering.without_embedding_label(model),
    )
    left, right = st.columns([5, 4], gap="medium")  # one above the other on a narrow screen
    left.vega_lite_chart(importance, key="dimension_report")
    right.vega_lite_chart(prefix_curves, key="dimension_prefix")
    noise = ordering.ablation_note(report.dimensions["heldout_increase"], report.rows)
    if noise:  # why a series is missing, nothing to act on: no box (views round 27, F3)
        st.caption(f":material/blur_on: {noise}")
    st.caption(
        f"Importance: how much the RMSE on {report.rows_text} "
        f"({held_out}; "
        f"full model {report.base_rmse:.4f}) rises when one dimension is zeroed in both "
        f"embeddings, as a share of the rises' total{' (none here: see above)' if noise else ''}"
        f"{_lowered_text(report.dimensions) if not noise else ''}, "
        f"{_within_text(report.dimensions)}"
        "beside each dimension's share of the variance"
        + weighted
        + (" and how strongly the first dense layer reads it" if model.family == "deep" else "")
        + ". First k dimensions: RMSE using only them, as trained and after re-expressing "
        "the model in its principal directions"
        + (f"{weighted[:-1]}; " if weighted else " (")
        + "the same predictions with all of them)"
        + (
            "; at k = 0 the principal curve keeps every vector at its side's mean (its "
            "directions' centre), the curve as trained zeroes them"
            if model.family == "deep"
            else ""
        )
        + ". "
        + text.prefix_curves_text(report.k_index, report.k_pca, len(report.dimensions))
        + (f" {below}" if (below := text.prefix_below_full_text(report.prefix)) else "")
        + (
            f" {caveat}"
            if report.rows == "test" and (caveat := store.settings_caveat([model]))
            else ""
        )
    )
    with st.expander("Numbers per dimension"):
        table = report.dimensions.set_index("dimension").rename(columns=DIMENSION_NAMES)
        table.insert(2, DRAW_COLUMN, ordering.draw_readings(report.dimensions).to_numpy())
        table.index.name = "dimension (from 0)"
        widgets.show_table(table, column_config=DIMENSION_COLUMNS, key="dimension_table")
        prefix = pd.DataFrame(report.prefix).set_index("k").reindex(columns=list(PREFIX_NAMES))
        prefix = prefix.rename(columns=PREFIX_NAMES)
        widgets.show_table(
            prefix,
            column_config={
                n: st.column_config.NumberColumn(format="%.4f") for n in PREFIX_NAMES.values()
            },
            key="prefix_table",
        )
        _downloads(model, report, {"per_dimension": table, "first_k": prefix})
    return report


def _downloads(model: Any, report: ordering.DimensionReport, tables: dict[str, Any]) -> None:
    """A named download of each of ``tables`` (name -> table), saying the model and the rows
    its RMSEs are measured on (views round 25, F1: the grid's own is named by a timestamp)."""
    context = {"model": model.name, "dataset": model.dataset_name, "rmse_on": report.rows_text}
    stem = explore.file_stem(model)
    for column, (name, table) in zip(st.columns(len(tables)), tables.items(), strict=True):
        widgets.download_table(
            f"Download {name.replace('_', ' ')} (CSV)",
            lambda table=table: explore.table_csv(table.reset_index(), context),
            explore.table_file_name(stem, "dimensions", name),
            key=f"{name}_csv",
            where=column,
        )


def _lowered_text(dimensions: Any) -> str:
    """The dimensions whose zeroing lowered the held-out RMSE beyond the rows' draw (drawn at
    0% and left out of the shares: views round 9 read them as "does not matter"), and how many
    others lowered it within the draw, or "" (accuracy round 31, F2: "9 (by 0.0000)" and falls
    within the draw were listed as lowering it)."""
    fell = dimensions["heldout_increase"] < 0
    readings = ordering.draw_readings(dimensions)
    lowered = dimensions[fell & (readings == "beyond")]
    other = "other " if len(lowered) else ""
    others = "; ".join(
        f"{count:,} {other}dimension{'' if count == 1 else 's'} lowered it {how}"
        for how, count in (
            ("within the draw", int((fell & (readings == "within")).sum())),
            ("by an amount too few users bound", int((fell & (readings == NO_INTERVAL)).sum())),
        )
        if count
    )
    if lowered.empty:
        return f" ({others}: drawn at 0% and left out of that total)" if others else ""
    listed = ", ".join(
        f"{int(d)} (by {paired.plus_minus(-float(v), float(h))[1:]})"  # never "by 0.0000"
        for d, v, h in zip(
            lowered["dimension"],
            lowered["heldout_increase"],
            lowered["heldout_increase_ci95"],
            strict=True,
        )
    )
    one = len(lowered) == 1
    return (
        f" (zeroing dimension{'' if one else 's'} {listed} lowered it instead, beyond the "
        f"draw{'; ' + others if others else ''}: "
        f"{'it is' if one and not others else 'they are'} drawn at 0% and left out of that "
        "total)"
    )


def _within_text(dimensions: Any) -> str:
    """ "with 12 of 16 dimensions' rises or falls within the rows' draw (95% paired interval by
    user: marked in Numbers per dimension), " or "" when every one is beyond it."""
    readings = ordering.draw_readings(dimensions)
    within, unbounded = int((readings == "within").sum()), int((readings == NO_INTERVAL).sum())
    said = []
    if within:
        said.append(
            f"with {within:,} of {len(readings):,} dimensions' rises or falls within the rows' "
            "draw (95% paired interval by user: marked in Numbers per dimension)"
        )
    if unbounded:  # recheck 3, L5: 2 users gave no interval, and every dimension read "within"
        said.append(
            f"with no interval for {unbounded:,} of {len(readings):,} dimensions' rises or falls "
            "(too few users to bound one)"
        )
    return "".join(f"{part}, " for part in said)
