"""Train: every model option in one form; runs train in the background with live curves."""

from __future__ import annotations

from typing import Any

import streamlit as st

from movierate import advice, schema
from movierate.errors import MovierateError
from movierate.ui import figures, shell, state, widgets
from movierate.ui.text import regularizer_keys

SPLITS = {
    "random": "Random ratings",
    "per_user": "Per user (each user's share held out)",
    "temporal": "Temporal (latest ratings held out)",
}
#: How an optional bias (None = the family's default) reads in its selectbox.
BIAS_CHOICES = {None: "Family default", True: "Yes", False: "No"}


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
    if rule.type is int:
        return st.number_input(
            field.label,
            value=int(default or 0),
            step=int(field.step or 1),
            help=field.help,
            key=key,
        )
    return st.number_input(
        field.label,
        value=float(default),
        step=field.step,
        format="%.6g",
        help=field.help,
        key=key,
    )


def strength_widget(kind: str, active: dict[str, float]) -> float:
    """A regularizer's strength, 0 = off. One press of + sets the strength measured to reach its
    effect (``advice.DEFAULT_STRENGTHS``)."""
    label, _, help_text = schema.SPEC_SCHEMA["regularizers"].constraint.kinds[kind]
    measured = advice.DEFAULT_STRENGTHS[kind]
    return st.number_input(
        label,
        value=float(active.get(kind, 0.0)),
        step=measured,
        help=f"{help_text} 0 = off. Press + once for {measured:g}, the strength measured to "
        "take hold on ml-latest-small and ml-100k within the default epochs.",
        format="%.6g",
        key=f"reg_{kind}",
    )


def build_spec(values: dict[str, Any]) -> Any:
    """The ModelSpec of the form's values (field -> widget value); SpecError for bad units.

    The spec is validated where it is submitted (``JobRegistry.submit``).
    """
    from movierate.spec import ModelSpec

    values = dict(values)
    values["hidden_units"] = schema.parse_units(
        values["hidden_units"], schema.SPEC_SCHEMA["hidden_units"].label
    )
    values["regularizers"] = {k: float(v) for k, v in values["regularizers"].items() if v != 0}
    return ModelSpec(**values)


def show_monitor() -> None:
    """The watched run: progress, live curves, cancel; plus every other run of this server."""
    registry = state.job_registry()
    jobs = registry.jobs()
    ids = [job.id for job in jobs]
    by_id = {job.id: job for job in jobs}
    watched = st.session_state.get("watch_job")
    if watched not in by_id:
        watched = next((job.id for job in jobs if job.active), ids[0])
    if len(jobs) > 1:
        watched = st.selectbox(
            "Run",
            ids,
            index=ids.index(watched),
            format_func=lambda i: f"{by_id[i].name} ({by_id[i].state})",
        )
    st.session_state["watch_job"] = watched
    job = by_id[watched]
    show_job(job)
    if job.active and st.button(
        "Cancel this run", icon=":material/stop_circle:", key=f"cancel_{job.id}"
    ):
        registry.cancel(job.id)
        st.rerun(scope="fragment")


@st.fragment(run_every=1.0)
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
    position = f"epoch {max(job.epoch, 1)}/{job.epochs}" if job.epochs else ""
    if job.batches and job.state == "running":
        position += f", batch {job.batch}/{job.batches}"
    st.progress(job.fraction, text=f"**{job.name}** on {job.dataset}: {status}  {position}")
    metrics = job.latest_metrics
    cols = st.columns(4)
    cols[0].metric("elapsed", f"{job.elapsed_seconds:.0f} s")
    cols[1].metric("epochs done", len(job.history.get("epoch", [])))
    for col, key in ((cols[2], "train_rmse"), (cols[3], "valid_rmse")):
        value = metrics.get(key)
        col.metric(key.replace("_", " "), f"{value:.4f}" if value is not None else "–")
    if job.state == "failed":
        st.error(job.error or "The run failed.", icon=":material/cancel:")
        shell.show_details(job.error_details)
    if job.state == "done" and job.model_name:
        st.success(f"Saved as **{job.model_name}**.", icon=":material/check_circle:")
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
    if history.get("epoch"):
        left, right = st.columns(2)
        left.plotly_chart(
            figures.curves_figure(
                {job.name: history},
                [k for k in ("train_rmse", "valid_rmse") if k in history],
                title="RMSE per epoch (dotted: training, solid: validation)",
                y_title="RMSE",
            ),
            key=f"curves_{job.id}",
        )
        regs = regularizer_keys(history)
        if regs:
            right.plotly_chart(
                figures.curves_figure(
                    {job.name: history},
                    regs,
                    title="Regularizer losses per epoch",
                    y_title="loss",
                    log_y=True,
                ),
                key=f"regs_{job.id}",
            )
        else:
            right.caption(
                "This run has no regularizer, so there are no regularizer losses to plot."
            )
    elif job.active:
        st.caption("Curves appear after the first epoch.")


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("Train a model")
    st.caption(
        "Training runs in the background: leave this page and come back, or open another tab; "
        "the run keeps going. Defaults give a good model on ml-latest-small in about a minute."
    )

    datasets = [s.name for s in state.dataset_statuses() if s.available]
    if not datasets:
        st.info(
            "No rating data on this machine yet: download or upload a dataset on the Home page.",
            icon=":material/inventory_2:",
        )
        st.page_link(shell.page("home"), label="Go to Home", icon=":material/home:")
        st.stop()

    defaults = state.default_spec()

    with st.form("train_form", border=True):
        data_col, model_col, reg_col, fit_col = st.columns(4, gap="medium")
        with data_col:
            st.markdown("**Data**")
            dataset = st.selectbox(
                "Dataset", datasets, index=datasets.index(state.preferred_dataset(datasets))
            )
            split_method = st.selectbox(
                "Validation split", list(SPLITS), format_func=SPLITS.get, key="split_method"
            )
            valid_fraction = st.slider("Validation share", 0.05, 0.5, 0.1, 0.05)
            split_seed = st.number_input("Split seed", value=42, step=1)
            st.markdown("**Name**")
            name = st.text_input(
                "Model name",
                placeholder="leave empty for an automatic name",
                help="Letters, digits, '-', '_' and '.'; must not be taken.",
            )
        groups = {
            "model": (model_col, "**Model**"),
            "regularization": (reg_col, "**Regularizers** (0 = off; + sets the measured strength)"),
            "optimisation": (fit_col, "**Optimisation**"),
        }
        for column, title in groups.values():
            column.markdown(title)
        values = {}
        for field_name, field in schema.SPEC_SCHEMA.items():
            with groups[field.group][0]:
                values[field_name] = spec_widget(field_name, getattr(defaults, field_name))
        submitted = st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:"
        )

    if submitted:
        try:
            spec = build_spec(values)
            job_id = state.job_registry().submit(
                dataset,
                spec,
                name.strip() or state.automatic_name(dataset, spec),
                {"method": split_method, "valid_fraction": valid_fraction, "seed": int(split_seed)},
            )
        except MovierateError as exc:
            st.error(f"Not started: {exc}", icon=":material/warning:")
        else:
            st.session_state["watch_job"] = job_id
            for warning in advice.spec_warnings(spec):
                st.warning(warning, icon=":material/balance:")

    widgets.show_dataset_notices(dataset)
    st.subheader("Runs")
    jobs = state.job_registry().jobs()
    if not jobs:
        st.caption("No runs in this server session yet. Fill in the form and press Start training.")
    elif any(job.active for job in jobs):
        live_monitor()
    else:
        show_monitor()


shell.require_router()
render()
