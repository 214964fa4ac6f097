"""Train: every model option in one form; runs train in the background with live curves."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from movierate import advice, data, schema, store
from movierate.data.formats import OFFICIAL_SPLITS_100K
from movierate.defaults import fill_data_size_defaults, fill_family_defaults, steps_per_epoch_note
from movierate.errors import MovierateError, NameTakenError
from movierate.jobs import SAVING
from movierate.progress import time_estimate_text
from movierate.tuning import (
    MAX_ENSEMBLE,
    TuneRequest,
    blend_families,
    no_better_than_mean_note,
    verdict_metrics,
)
from movierate.ui import charts, shell, state, text, widgets
from movierate.ui.once import StartOnce
from movierate.ui.text import regularizer_keys

SPLITS = {
    "random": "Random ratings",
    "per_user": "Per user (each user's share held out)",
    # accuracy round 40, F1: the per-user cut trains on other users' later ratings
    "temporal": "Per-user temporal (each user's latest held out; others' later ratings train)",
    "time": "By date: the latest ratings of all users held out",
    # ml-100k's own splits, as the CLI's --split official:NAME (views round 4b: CLI only)
    **{
        f"official:{name}": f"ml-100k's official {name} (its {name}.test file; test share unused)"
        for name in OFFICIAL_SPLITS_100K
    },
}
#: How the notes on filled-in defaults end.
OVERRIDE_HINT = (
    "Change them in the form to override, or tick 'Use exactly the values above' to keep the "
    "form's values as shown."
)
#: How an optional bias (None = the family's default) reads in its selectbox.
BIAS_CHOICES = {None: "Family default", True: "Yes", False: "No"}
#: How the Run picker marks a run this tab did not start since it was loaded (views round 39,
#: F7: "started elsewhere" read as someone else's run after the teacher's own reload).
ELSEWHERE = ", started in another tab or before a reload"


def spec_widget(name: str, default: Any) -> Any:
    """The form widget of ModelSpec field ``name``, derived from its schema entry."""
    field = schema.SPEC_SCHEMA[name]
    rule = field.constraint
    key = f"spec_{name}"
    if isinstance(rule, schema.StrOptions):
        return st.selectbox(
            field.label,
            rule.names,
            index=rule.names.index(default),
            format_func=rule.options.get,
            help=field.help,
            key=key,
        )
    if isinstance(rule, schema.Boolean):
        if rule.optional:
            choices = list(BIAS_CHOICES)
            return st.selectbox(
                field.label,
                choices,
                index=choices.index(default),
                format_func=BIAS_CHOICES.get,
                help=field.help,
                key=key,
            )
        return st.checkbox(field.label, value=bool(default), help=field.help, key=key)
    if isinstance(rule, schema.Units):
        return st.text_input(
            field.label,
            value=", ".join(str(u) for u in default),
            help="Comma-separated sizes of the dense layers, e.g. 64, 32.",
            key=key,
        )
    if isinstance(rule, schema.Strengths):
        return {kind: strength_widget(kind, default) for kind in rule.kinds}
    # the range is said, not enforced by the box: a box over its maximum turned red and Start
    # training then did nothing visible (recheck); the form's check names the field instead
    allowed = f"{field.help}. Allowed: {rule.describe().removeprefix('use ')}."
    if rule.type is int:  # read and checked as a whole number on Start (build_spec)
        return widgets.whole_number_input(field.label, int(default or 0), help=allowed, key=key)
    return widgets.number_box(field.label, float(default), help=allowed, key=key)


def strength_widget(kind: str, active: dict[str, float]) -> str:
    """A regularizer's strength as typed, 0 = off; its help gives the strength measured to
    reach its effect (``advice.DEFAULT_STRENGTHS``)."""
    label, _, help_text = schema.SPEC_SCHEMA["regularizers"].constraint.kinds[kind]
    measured = advice.DEFAULT_STRENGTHS[kind]
    return widgets.number_box(
        label,
        float(active.get(kind, 0.0)),
        help=f"{help_text} 0 = off. Type {measured:g}, the strength measured to take hold on "
        "ml-latest-small and ml-100k within the default epochs.",
        key=f"reg_{kind}",
    )


def saved_accuracy(name: str) -> str:
    """The saved model's headline figure: RMSE / MAE on test rows nothing else saw."""
    try:
        model = state.load_model(name)
    except MovierateError:
        return ""
    if model.reported_rmse is None:
        return ""
    mae = f", MAE {model.reported_mae:.4f}" if model.reported_mae is not None else ""
    flatters = text.stop_rows_flatter_text(model.meta)
    label = model.metrics_label  # "test RMSE": capitalize() would lower-case "RMSE"
    baselines = store.baselines_text(model.metrics) if model.has_test_rows else ""
    interval = store.rmse_interval_text(model.metrics) if model.has_test_rows else ""
    return (
        f"{label[:1].upper()}{label[1:]} {model.reported_rmse:.4f}{interval}{mae}.{flatters}"
    ) + (f" {baselines}" if baselines else "")


def build_spec(values: dict[str, Any]) -> Any:
    """The ModelSpec of the form's values (field -> widget value); SpecError for bad units.

    The spec is validated where it is submitted (``JobRegistry.submit``).
    """
    from movierate.advice import DEFAULT_STRENGTHS
    from movierate.spec import ModelSpec

    values, default = dict(values), ModelSpec()
    for name, field in schema.SPEC_SCHEMA.items():
        rule = field.constraint
        if isinstance(rule, schema.Interval) and name in values:
            values[name] = (
                schema.whole_number(values[name], field.label, rule.describe())
                if rule.type is int
                # an emptied box suggests its default, not 0.5 (recheck 11, L2: learning rate)
                else schema.read_number(
                    values[name], field.label, example=f"{getattr(default, name):g}"
                )
            )
    values["hidden_units"] = schema.parse_units(
        values["hidden_units"], schema.SPEC_SCHEMA["hidden_units"].label
    )
    kinds = schema.SPEC_SCHEMA["regularizers"].constraint.kinds
    strengths = {
        k: schema.read_number(v, kinds[k][0], example=f"{DEFAULT_STRENGTHS.get(k, 0.1):g}")
        for k, v in values["regularizers"].items()
    }
    values["regularizers"] = {k: v for k, v in strengths.items() if v != 0}
    return ModelSpec(**values)


def show_monitor() -> None:
    """The watched run: progress, live curves, cancel; plus every other run of this server."""
    registry = state.job_registry()
    jobs = registry.jobs()
    ids = [job.id for job in jobs]
    by_id = {job.id: job for job in jobs}
    own = state.own_jobs()
    watched = st.session_state.get("watch_job")
    if watched not in by_id:  # none started or picked here: chosen afresh on each run, not kept
        watched = next((job.id for job in jobs if job.active), ids[0])  # (bad-input round 54, F2)
    # drawn from the first run on, even alone: its code is then fetched while the run starts,
    # not when a second run appears in the live monitor (views round 16, F3: a link cut then
    # left "Failed to fetch dynamically imported module: .../Selectbox.js" until a reload)
    picked = st.selectbox(
        "Run",
        ids,
        index=ids.index(watched),
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].state}{'' if i in own else ELSEWHERE})",
        disabled=len(jobs) == 1,
    )
    if picked != watched:  # this session's own pick is kept
        st.session_state["watch_job"] = picked
    job = by_id[picked]
    if picked not in own:
        st.caption(
            "Started in another tab or before this page was last loaded (a reload counts), by "
            "you or anyone using this dashboard's server: a tab counts as its own only the runs "
            "started in it since it was loaded."
        )
    show_job(job)
    if job.phase == SAVING:
        st.caption("Training has ended and the model is being saved: too late to cancel.")
    elif job.active and st.button(
        "Cancel this run", icon=":material/stop_circle:", key=f"cancel_{job.id}"
    ):
        registry.cancel(job.id)
        st.rerun(scope="fragment")


@shell.fragment(run_every=1.0)
def live_monitor() -> None:
    """Re-drawn every second while a run is active; a full rerun when all runs have ended."""
    if not any(job.active for job in state.job_registry().jobs()):
        st.rerun(scope="app")
    show_monitor()


def show_job(job) -> None:
    """Progress bar, headline metrics and the per-epoch curves of one run."""
    status = {
        "queued": "waiting for the running job to finish",
        "running": job.phase,
        "done": "finished",
        "failed": "failed",
        "cancelled": "cancelled",
    }[job.state]
    unit = "trial" if isinstance(job.spec, TuneRequest) else "epoch"
    position = f"{unit} {max(job.epoch, 1)}/{job.epochs}" if job.epochs else ""
    if job.batches and job.state == "running":
        position += f", batch {job.batch}/{job.batches}"
    metrics = job.latest_metrics
    ended = job.state == "done" or job.phase == SAVING  # the kept epoch is known
    kept = metrics.get("best_epoch") if ended and unit == "epoch" else None
    if job.state == "done" and unit == "trial":  # recheck 8, F4: "finished trial 2/2"
        position = text.tuning_ending(job.spec, job.epoch)
    if kept is not None:  # the tiles show the kept epoch's numbers, not the last epoch's
        status += ":"
        position = text.training_ending(
            job.spec,
            int(metrics.get("epochs_run", kept)),
            int(kept),
            metrics.get("settled_epoch"),
            job.history.get("stop_rmse"),
        )
    st.progress(
        job.fraction,
        text=f"**{text.md(job.name)}** on {text.md(job.dataset)}: {status}  {position}",
    )
    cols = st.columns(4)
    label, value, said = elapsed_tile(job)
    cols[0].metric(label, value, help=said)
    if note := time_split_text(job, unit):
        st.caption(note)
    for col, (label, value, said) in zip(cols[1:], text.run_tiles(job), strict=True):
        col.metric(label, value, help=said)
    running = job.state == "running" and unit == "epoch" and job.first_report is not None
    running = running and job.elapsed_seconds - job.first_report[0] >= 5
    if running and (
        estimate := time_estimate_text(
            job.elapsed_seconds, job.fraction, job.epochs, paced_from=job.first_report
        )
    ):
        st.caption(f"{estimate.capitalize()}; Cancel this run stops it and saves nothing.")
    if job.state == "cancelled":
        st.info(
            "Cancelled: nothing was saved (a run saves its model only when it ends).",
            icon=":material/info:",
        )
    if job.state == "failed":
        st.error(text.md(job.error or "The run failed."), icon=":material/cancel:")
        shell.show_details(job.error_details)
    if job.state == "done" and job.model_name:
        st.success(
            f"Saved as **{text.md(job.model_name)}**. {saved_accuracy(job.model_name)}",
            icon=":material/check_circle:",
        )
        if job.model_name != job.name:  # taken meanwhile (bad-input rounds 9 and 69)
            st.info(
                f"Another run or program saved (or renamed) a model as {text.md(job.name)} "
                f"after this run started, so this one is saved as {text.md(job.model_name)}.",
                icon=":material/info:",
            )
        with contextlib.suppress(MovierateError):
            saved = state.load_model(job.model_name)
            if warning := store.split_note(saved.split_record):
                st.warning(warning, icon=":material/warning:")
            if note := store.ties_note(saved.split_record):
                st.info(note, icon=":material/schedule:")
            if note := store.unseen_note(saved.metrics, saved.split_record):
                st.info(note, icon=":material/person_off:")
            metrics = saved.metrics
            if isinstance(tuned := saved.meta.get("tuning"), dict):  # read as `tune` reads it:
                # a refit by its search's stop rows, no epoch advice (accuracy round 52, F2)
                metrics = verdict_metrics(metrics, tuned, saved.split_record)
            if warning := store.reference_warning(
                metrics,
                saved.split_record,
                saved.spec.learning_rate,
                saved.history.get("stop_rmse"),
            ):
                steps = steps_per_epoch_note(
                    saved.split_record.get("n_train"), saved.spec.batch_size, saved.spec.family
                )
                st.warning(f"{warning} {steps}".strip(), icon=":material/warning:")
        links = st.columns(3)
        links[0].page_link(
            shell.page("embeddings"),
            label="Explore its embeddings",
            icon=":material/scatter_plot:",
            query_params={"model": job.model_name},
        )
        links[1].page_link(
            shell.page("neighbours"),
            label="Nearest movies",
            icon=":material/hub:",
            query_params={"models": job.model_name},
        )
        links[2].page_link(
            shell.page("compare"), label="Compare with others", icon=":material/compare_arrows:"
        )
    history = job.history
    if isinstance(job.spec, TuneRequest):
        show_tuning(job)
    elif history.get("epoch"):
        left, right = st.columns(2)
        left.vega_lite_chart(
            charts.curves_chart(
                {job.name: history},
                [k for k in ("train_rmse", "stop_rmse") if k in history],
                title="RMSE per epoch",
                subtitle="dashed: training rows, solid: early-stopping rows",
                y_title="RMSE",
            ),
            key=f"curves_{job.id}",
        )
        kept = {job.name: job.latest_metrics.get("best_epoch") if job.state == "done" else None}
        saved = {job.name: job.latest_metrics if job.state == "done" else {}}
        if said := charts.learning_curves_text({job.name: history}, kept, saved):  # views r. 15
            left.caption(text.md(said))
        regs = regularizer_keys(history)
        if regs:
            right.vega_lite_chart(
                charts.curves_chart(
                    {job.name: history},
                    regs,
                    title="Regularizer losses per epoch",
                    y_title="loss",
                    log_y=True,
                ),
                key=f"regs_{job.id}",
            )
            explained = [
                text.REGULARIZER_LOSS_HELP[k] for k in regs if k in text.REGULARIZER_LOSS_HELP
            ]
            said = text.penalty_curves_text({job.name: history}, regs, charts.METRIC_LABELS)
            right.caption(" ".join([text.md(said), *explained]))
        else:
            right.caption(
                "This run has no regularizer, so there are no regularizer losses to plot."
            )
    elif job.active:
        st.caption("Curves appear after the first epoch.")


def elapsed_tile(job) -> tuple[str, str, str]:
    """The run's time tile as (label, value, help): "took in all" once it is saved, else
    "elapsed"; either counts more than the fit (views round 39, F1: "elapsed 83 s" here
    beside Home's "train s 12.6" for the same run)."""
    if job.state == "done":
        return (
            "took in all",
            f"{job.elapsed_seconds:.0f} s",
            "From the run's start until its model was saved: starting TensorFlow, loading the "
            "data, building the model and saving count too, so it is more than the fit alone "
            "(Home's 'train s').",
        )
    return (
        "elapsed",
        f"{job.elapsed_seconds:.0f} s",
        "Since the run started: starting TensorFlow, loading the data and building the model "
        "count too, so it is more than the fit alone (Home's 'train s' once saved).",
    )


def time_split_text(job, unit: str) -> str:
    """A saved run's time in all and its fit's (Home's "train s"); "" before it is saved or
    when the model records no fit time."""
    if job.state != "done" or not job.model_name:
        return ""
    try:
        timings = state.load_model(job.model_name).meta.get("timings") or {}
    except MovierateError:
        return ""
    fit = timings.get("train_seconds")
    if not isinstance(fit, int | float) or isinstance(fit, bool):
        return ""
    rest = (
        "the trials, starting TensorFlow, loading the data and saving"
        if unit == "trial"
        else "starting TensorFlow, loading the data, building the model, scoring and saving"
    )
    what = "fitting the saved model" if unit == "trial" else "the fit (its epochs)"
    return (
        f"{job.elapsed_seconds:.0f} s in all, of which {what} took {fit:.1f} s: Home's "
        f"'train s'. The rest was {rest}."
    )


def show_tuning(job) -> None:
    """A tuning run: each trial's early-stopping RMSE and the best so far; when done, the
    trials table of the saved winner."""
    from movierate.tuning import read_trials

    if job.history.get("epoch"):
        st.vega_lite_chart(
            charts.curves_chart(
                {job.name: job.history},
                ["trial_rmse", "best_rmse"],
                title="Early-stopping RMSE per trial",
                subtitle="solid: this trial, dash-dot: best so far; test rows are never used by "
                "the search",
                y_title="RMSE",
                x_title="trial",
            ),
            key=f"trials_{job.id}",
        )
    if job.state == "done" and job.model_name:
        trials = read_trials(job.model_name)
        if trials:
            st.caption(
                "What was tried (each trial trained on the training rows, scored on the "
                "early-stopping rows). " + text.tuning_saved_text(trials["summary"])
            )
            if note := no_better_than_mean_note(trials["summary"]):
                st.warning(note, icon=":material/warning:")
            widgets.show_table(pd.json_normalize(trials["trials"]), hide_index=True)


def tune_form(datasets: list[str]) -> None:
    """Queue a search of the settings that matter on the early-stopping rows (Optuna)."""
    with st.form("tune_form", border=True, enter_to_submit=False):
        data_col, search_col = st.columns(2, gap="medium")
        dataset = data_col.selectbox(
            "Dataset",
            datasets,
            index=datasets.index(state.preferred_dataset(datasets)),
            key="tune_dataset",
        )
        split_method = data_col.selectbox(
            "Test split", list(SPLITS), format_func=SPLITS.get, key="tune_split"
        )
        name = data_col.text_input(
            "Model name", placeholder="leave empty for an automatic name", key="tune_name"
        )
        families = search_col.multiselect(
            "Families to search",
            schema.names("family"),
            default=["mf_bias"],
            key="tune_families",
            help="Several: the family is searched too. dim, L2, learning rate and batch size "
            "always; hidden units, dropout and dense L2 for deep.",
        )
        budget = widgets.number_box(
            "Budget (minutes)", 5.0, where=search_col, help="0.5 to 240 minutes."
        )
        trials = widgets.whole_number_input(
            "Stop after this many trials (0 = no cap)", 0, where=search_col, min_value=0,
            max_value=1000,
        )  # fmt: skip
        refit = data_col.checkbox(
            "Refit the winner on train + early-stopping rows",
            value=True,
            key="tune_refit",
            help="Retrain the winning settings on the training AND early-stopping rows for the "
            "winning trial's best epoch count, and save that model (in the README's runs: "
            "0.3-0.9% lower test RMSE on random and official splits, 1.8-2.3% on per-user "
            "temporal ones). The early-stopping rows then become training rows; test rows stay "
            "unseen. "
            "Off: save the best trial as trained.",
        )
        ensemble = widgets.whole_number_input(
            "Seeds averaged in the saved model",
            1,
            where=search_col,
            min_value=1,
            max_value=MAX_ENSEMBLE,
            key="tune_ensemble",
            help="K > 1 refits the winner with K seeds and saves their average as ONE model "
            "of K x dim dimensions (mf_bias / mf only): K x the refit time, a little lower "
            "test RMSE (0.26-0.29% with 3 seeds, 0.35% with 5, on ml-100k).",
        )
        blend = data_col.checkbox(
            "Blend autorec + mf_bias into one model",
            value=False,
            key="tune_blend",
            help="Search autorec and mf_bias (or the two dot-product families chosen above) for "
            "half the budget each, pick the blend weight on the early-stopping rows, refit both "
            "and save ONE mf_bias model whose movie embedding is both members' vectors side by "
            "side (README, 'Blend'). Seeds above apply to the mf_bias member.",
        )
        submitted = st.form_submit_button("Start tuning", icon=":material/tune:")
    if submitted:
        try:
            check_official_split(dataset, split_method)
            state.check_split_data(dataset, split_method)
            request = TuneRequest(
                blend_families(families) if blend else tuple(families),
                schema.read_number(budget, "Budget (minutes)", lo=0.5, hi=240.0),
                schema.whole_number(trials, "Stop after this many trials") or None,
                refit=bool(refit),
                ensemble=schema.whole_number(ensemble, "Seeds averaged in the saved model"),
                blend=bool(blend),
            ).validate()
            job_id = start_once(
                "tuning",
                (dataset, request, split_method, name.strip()),
                lambda: state.job_registry().submit(
                    dataset,
                    request,
                    name.strip()
                    or state.automatic_name(dataset, state.default_spec(dataset)) + "-tuned",
                    {"method": split_method},
                ),
            )
        except MovierateError as exc:
            st.error(
                f"Not started: {text.md(schema.spec_error_text(exc, 'label'))}",
                icon=":material/warning:",
            )
        else:
            state.watch_job(job_id)


def start_once(what: str, asked: Any, submit: Callable[[], str]) -> str:
    """The id of the job ``submit()`` queues, or of the one this session queued for the same
    ``asked`` moments ago or still running: a double click on Start starts one run, and the
    second click says so (views round 16, F1)."""
    once = StartOnce(what, asked)
    earlier = once.earlier(still=state.job_registry().is_active)
    if earlier is None:
        job_id = submit()
        once.done(job_id)  # no Streamlit call in between: a waiting click cannot skip it
        return job_id
    st.info(
        f"This {what} was already started {text.ago_text(time.monotonic() - earlier.at)} with "
        "the same data and settings (a second click on Start): see it under Runs. Change a setting "
        "to start another one.",
        icon=":material/info:",
    )
    return earlier.result


def check_official_split(dataset: str, method: str) -> None:
    """MovierateError, in the form's words, when ``method`` is an official split ``dataset``
    lacks (recheck 2: the run was queued, then failed naming the CLI's split values)."""
    if not method.startswith("official:"):
        return
    have, split = data.official_split_names(dataset), method.split(":", 1)[1]
    if split not in have:
        raise MovierateError(
            f"{dataset} has no official split {split}"
            + (f" (it has {', '.join(have)})" if have else "")
            + ": the official splits come with ml-100k. Pick 'Random ratings', 'Per user', "
            "'Per-user temporal' or 'By date' as the test split."
        )


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Train")
    st.caption(
        "Training runs in the background: leave this page and come back, or open another tab; "
        "the run keeps going. The form starts from the generic defaults (biased MF, dim 32, L2 "
        "0.1), a good model on ml-latest-small in about a minute; Home's 'Train a good default "
        "model' trains the settings the tuner found for the dataset instead, and 'Tune' below "
        "searches them."
    )

    datasets = [s.name for s in state.dataset_statuses() if s.available]
    if not datasets:
        st.info(
            "No rating data on this machine yet: download or upload a dataset on the Home page.",
            icon=":material/inventory_2:",
        )
        st.page_link(shell.page("home"), label="Go to Home", icon=":material/home:")
        st.stop()

    jobs = state.job_registry().jobs()
    if st.session_state.get("watch_first") and st.session_state.get("watch_job") in {
        job.id for job in jobs
    }:  # just started from Home's quick start: the live run first, the form folded below
        if st.session_state.get("quick_start_notice"):
            st.info(st.session_state["quick_start_notice"], icon=":material/tune:")
        show_runs()
        with st.expander("Train another model", icon=":material/model_training:"):
            train_form(datasets)
    else:
        train_form(datasets)
        with st.expander("Tune: search the settings for this dataset", icon=":material/tune:"):
            st.caption(
                "Tries settings with Optuna (TPE, pruning of trials that trail the others), "
                "scoring each on the early-stopping rows only; the winning settings are then "
                "refit on training + early-stopping rows (or the best trial kept as trained) "
                "and saved with the trials beside it. Its test RMSE is measured once, afterwards."
            )
            tune_form(datasets)
        show_runs()


def train_form(datasets: list[str]) -> None:
    """The form with every option; submitting it queues a run."""
    defaults = state.default_spec()
    # outside the form, so that picking a dataset shows its import's notices at once (views
    # round 40, F4: inside it, they came only after Start training)
    dataset = st.columns(2, gap="large")[0].selectbox(
        "Dataset",
        datasets,
        index=datasets.index(state.preferred_dataset(datasets)),
        help="The ratings to train on: MovieLens sets downloaded or uploaded on Home, "
        "and your own CSV imported there.",
    )
    widgets.show_dataset_notices(dataset)

    with st.form("train_form", border=True, enter_to_submit=False):
        # two rows of two: four columns cut the selects' values at 1024 px ("ml-latest-s",
        # "Matrix fact": views round 6)
        data_col, model_col = st.columns(2, gap="large")
        reg_col, fit_col = st.columns(2, gap="large")
        with data_col:
            st.markdown("**Data**")
            split_method = st.selectbox(
                "Test split",
                list(SPLITS),
                format_func=SPLITS.get,
                key="split_method",
                help="How the test rows are chosen. Test rows are never seen by training, "
                "early stopping or any setting; the early-stopping rows are carved from the rest "
                "(for a time split, the latest remaining ratings). Per-user temporal trains on "
                "other users' later ratings, so it is no forecast of future ratings: 'By date' "
                "(one cut date for everybody) is; users and movies first rated after the last "
                "training rating (in the early-stopping or test rows) have no training rating.",
            )
            test_fraction = st.slider(
                "Test share",
                0.05,
                0.5,
                0.1,
                0.05,
                help="Share of the ratings held out to measure the saved model's accuracy. "
                "Not used by an official split (ml-100k's u1-u5, ua, ub): its .test file is the "
                "test rows (20% for u1-u5, 10 per user for ua/ub).",
            )
            stop_fraction = st.slider(
                "Early-stopping share (of the rest)",
                0.05,
                0.5,
                0.1,
                0.05,
                help="Rows that early stopping watches; they are not trained on.",
            )
            split_seed = widgets.whole_number_input(
                "Split seed",
                42,
                help="Draws the random rows; a time split holds out the latest ratings (each "
                "user's, or everybody's by date) and draws only among ratings of one timestamp "
                "where the cut falls.",
            )
            st.markdown("**Name**")
            name = st.text_input(
                "Model name",
                placeholder="leave empty for an automatic name",
                help="Letters, digits, '-', '_' and '.'; must not be taken.",
            )
        groups = {
            "model": (model_col, "**Model**"),
            "regularization": (
                reg_col,
                "**Regularizers** (0 = off; each help says the measured strength)",
            ),
            "optimisation": (fit_col, "**Optimisation**"),
        }
        for column, title in groups.values():
            column.markdown(title)
        values = {}
        for field_name, field in schema.SPEC_SCHEMA.items():
            with groups[field.group][0]:
                values[field_name] = spec_widget(field_name, getattr(defaults, field_name))
        exact = st.checkbox(
            "Use exactly the values above",
            help="A setting left at the form's value takes the family's or the data size's own "
            "default (said after you start). Tick this to train with every value as shown, "
            "e.g. a value you typed that equals the form's.",
            key="exact_values",
        )
        submitted = st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:"
        )

    if submitted:
        try:
            check_official_split(dataset, split_method)
            state.check_split_data(dataset, split_method)
            spec, filled = build_spec(values), []
            if not exact:
                spec, filled = fill_family_defaults(spec, defaults, dataset)
            if filled:
                st.info(
                    f"{spec.family} uses its own defaults for the settings left unchanged: "
                    + schema.settings_text(spec, filled)
                    + f". {OVERRIDE_HINT}",
                    icon=":material/tune:",
                )
            n_ratings = state.dataset_ratings(dataset)
            spec, sized = (
                (spec, []) if exact else fill_data_size_defaults(spec, defaults, dataset, n_ratings)
            )
            if sized:
                small = spec.batch_size < defaults.batch_size
                st.info(
                    (
                        f"{text.md(dataset)} holds {n_ratings:,} ratings"
                        if n_ratings
                        else f"{text.md(dataset)} is large"
                    )
                    + f": {'small' if small else 'large'}-data defaults for the settings left "
                    "unchanged: "
                    + schema.settings_text(spec, sized)
                    + (
                        " (at the form's batch an epoch would make too few optimizer steps to "
                        "learn before early stopping ends the run)"
                        if small
                        else " (at the form's batch a step's fixed cost dominates)"
                    )
                    + f". {OVERRIDE_HINT}",
                    icon=":material/tune:",
                )
            split = {
                "method": split_method,
                "test_fraction": test_fraction,
                "stop_fraction": stop_fraction,
                "seed": schema.whole_number(split_seed, "Split seed"),
            }
            job_id = start_once(
                "training",
                (dataset, spec, split, name.strip()),
                lambda: state.job_registry().submit(
                    dataset, spec, name.strip() or state.automatic_name(dataset, spec), split
                ),
            )
        except NameTakenError as exc:
            st.error(
                f"Not started: {text.md(exc)}",
                icon=":material/warning:",
            )
            held = state.job_registry().active_jobs()  # the run that holds the name, if one does
            if holder := next((j.id for j in held if j.name == name.strip()), None):
                state.watch_job(holder, own=holder in state.own_jobs())
            st.page_link(shell.page("home"), label="Manage models on Home", icon=":material/edit:")
        except MovierateError as exc:
            st.error(
                f"Not started: {text.md(schema.spec_error_text(exc, 'label'))}",
                icon=":material/warning:",
            )
        else:
            state.watch_job(job_id)
            warnings = advice.spec_warnings(spec)
            for warning in warnings:
                st.warning(warning, icon=":material/balance:")
            if st.session_state.pop("watch_first", None) and not warnings:
                st.rerun()  # the runs were drawn above the form: draw them again with this one


def show_runs() -> None:
    """The runs of this server: live while one is active."""
    st.header("Runs")
    registry = state.job_registry()
    if lost := registry.lost_runs:  # bad-input round 42: a restart lost a run without a word
        for run in lost:
            st.warning(run.text(), icon=":material/restart_alt:")
        if st.button("Dismiss", key="dismiss_lost_runs"):
            registry.dismiss_lost_runs()
            st.rerun()
    if note := state.dropped_runs_note():
        st.caption(note)
    jobs = registry.jobs()
    if not jobs:
        st.caption("No runs in this server session yet. Fill in the form and press Start training.")
    elif any(job.active for job in jobs):
        live_monitor()
    else:
        show_monitor()


shell.require_router()
render()
