"""Train: every model option in one form; runs train in the background with live curves."""

from __future__ import annotations

import streamlit as st

from movierate.errors import MovierateError, SpecError
from movierate.ui import figures, shell, state
from movierate.ui.text import regularizer_keys

FAMILIES = {
    "mf_bias": "Matrix factorisation + biases",
    "mf": "Matrix factorisation (dot product only)",
    "deep": "Deep (MLP over user and movie embeddings)",
}
BIASES = {
    "default": "Family default",
    "both": "User and movie",
    "movie": "Movie only",
    "user": "User only",
    "none": "None",
}
OUTPUTS = {
    "sigmoid": "Sigmoid (rating range)",
    "clip": "Clip to rating range",
    "none": "Unbounded",
}
SPLITS = {
    "random": "Random ratings",
    "per_user": "Per user (each user's share held out)",
    "temporal": "Temporal (latest ratings held out)",
}
REGULARIZERS = {
    "l2": "L2 (weight decay on embeddings)",
    "whitening": "Whitening (covariance towards identity)",
    "decorrelation": "Decorrelation (off-diagonal covariance towards 0)",
    "adversarial": "Adversarial (vectors made to look uniform)",
}
#: (step of the input, help text) per regularizer: typical strengths differ by orders of magnitude.
REGULARIZER_SCALES = {
    "l2": (0.01, "Mean squared length of the embedding rows. Typical 0.01 to 0.5."),
    "whitening": (
        0.01,
        "Pulls the mean to 0 and the covariance to the identity. Typical 0.01 to 1.",
    ),
    "decorrelation": (0.1, "Penalises covariance between dimensions only. Typical 0.1 to 10."),
    "adversarial": (
        0.1,
        "A discriminator tries to tell the vectors from uniform noise; the embedding learns "
        "to fool it. Typical 0.1 to 10.",
    ),
}


def build_spec(
    *,
    family: str,
    biases: str,
    hidden: str,
    strengths: dict[str, float],
    patience: int,
    **fields,
):
    """A validated ModelSpec from the form's values (SpecError names any bad field)."""
    from movierate.spec import ModelSpec

    user_bias, movie_bias = {
        "default": (None, None),
        "both": (True, True),
        "movie": (False, True),
        "user": (True, False),
        "none": (False, False),
    }[biases]
    spec = ModelSpec(
        family=family,
        user_bias=user_bias,
        movie_bias=movie_bias,
        hidden_units=parse_units(hidden),
        regularizers={kind: float(v) for kind, v in strengths.items() if v != 0},
        early_stopping_patience=int(patience),
        **fields,
    )
    spec.validate()
    return spec


def parse_units(text: str) -> tuple[int, ...]:
    """``"64, 32"`` -> ``(64, 32)``; SpecError for anything else."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise SpecError(
            f"Hidden units must be whole numbers separated by commas (e.g. 64, 32), got {text!r}."
        ) from None


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
        if job.error_details:
            with st.expander("Details"):
                st.code(job.error_details, language="text")
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
        with model_col:
            st.markdown("**Model**")
            family = st.selectbox(
                "Model family",
                list(FAMILIES),
                index=list(FAMILIES).index(defaults.family),
                format_func=FAMILIES.get,
            )
            dim = st.number_input("Embedding dimension", value=defaults.dim, step=8)
            biases = st.selectbox("Biases", list(BIASES), format_func=BIASES.get)
            hidden = st.text_input(
                "Hidden units (deep only)",
                value=", ".join(str(u) for u in defaults.hidden_units),
                help="Comma-separated sizes of the dense layers, e.g. 64, 32.",
            )
            dropout = st.number_input("Dropout (deep only)", value=defaults.dropout, step=0.05)
            batch_norm = st.checkbox("Batch normalisation (deep only)", value=defaults.batch_norm)
            output = st.selectbox(
                "Output",
                list(OUTPUTS),
                index=list(OUTPUTS).index(defaults.output),
                format_func=OUTPUTS.get,
            )
        with reg_col:
            st.markdown("**Regularizers** (0 = off; combine freely)")
            strengths = {
                kind: st.number_input(
                    label,
                    value=float(defaults.regularizers.get(kind, 0.0)),
                    step=REGULARIZER_SCALES[kind][0],
                    help=REGULARIZER_SCALES[kind][1],
                    format="%.6g",
                    key=f"reg_{kind}",
                )
                for kind, label in REGULARIZERS.items()
            }
            embedding_dropout = st.number_input(
                "Embedding dropout", value=defaults.embedding_dropout, step=0.05
            )
            dense_l2 = st.number_input(
                "Dense-layer L2 (deep only)", value=defaults.dense_l2, step=1e-5, format="%.6g"
            )
        with fit_col:
            st.markdown("**Optimisation**")
            optimizers = ["adam", "rmsprop", "sgd", "adagrad"]
            optimizer = st.selectbox(
                "Optimizer", optimizers, index=optimizers.index(defaults.optimizer)
            )
            learning_rate = st.number_input(
                "Learning rate", value=defaults.learning_rate, step=1e-3, format="%.6g"
            )
            batch_size = st.number_input("Batch size", value=defaults.batch_size, step=256)
            epochs = st.number_input("Epochs", value=defaults.epochs, step=1)
            patience = st.number_input(
                "Early stopping patience (epochs, 0 = off)",
                value=defaults.early_stopping_patience or 0,
                step=1,
            )
            seed = st.number_input("Training seed", value=defaults.seed, step=1)
        submitted = st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:"
        )

    if submitted:
        try:
            spec = build_spec(
                family=family,
                dim=dim,
                biases=biases,
                hidden=hidden,
                dropout=dropout,
                embedding_dropout=embedding_dropout,
                dense_l2=dense_l2,
                batch_norm=batch_norm,
                output=output,
                strengths=strengths,
                optimizer=optimizer,
                learning_rate=learning_rate,
                batch_size=batch_size,
                epochs=epochs,
                patience=patience,
                seed=seed,
            )
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
