"""Home: datasets on this machine (download / upload), saved models, and a one-click quick start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from movierate import data, glossary, schema, store
from movierate.data.acquire import ascii_letters, import_zip_once, is_dataset_zip
from movierate.defaults import tuned_datasets
from movierate.errors import DataError, MovierateError, SpecError, StoreError
from movierate.explore.quality import FEW_MAP_MOVIES
from movierate.filenames import unportable_reason
from movierate.spec import regularizers_text
from movierate.ui import shell, state, text, widgets
from movierate.ui.delete_dataset import render_delete_dataset
from movierate.ui.import_embeddings import render_import_embeddings
from movierate.ui.once import StartOnce, flash, flash_drawn, take_flash
from movierate.ui.stoppable import show_stopped, stoppable
from movierate.ui.text import models_table


def start_quick_start(dataset: str) -> None:
    """Queue the default model on ``dataset`` and open the Train page to watch it (the run on
    top, the form folded away below it)."""
    spec, notice = state.quick_start_spec(dataset)
    once = StartOnce("quick start", (dataset, spec))  # a double click starts one run (round 16)
    earlier = once.earlier(still=state.job_registry().is_active)
    if earlier is None:
        job_id = state.job_registry().submit(dataset, spec, state.automatic_name(dataset, spec))
        once.done(job_id)
        st.session_state["quick_start_notice"] = notice
    else:
        job_id = earlier.result
    state.watch_job(job_id)
    st.session_state["watch_first"] = True
    st.switch_page(shell.page("train"))


#: Session key: empty the "New name" box before it is drawn next. Assigned there, not popped:
#: a popped box is empty only on the server, and the browser kept showing the name just used
#: under a disabled Rename (bad-input round 65, F3).
_CLEAR_NEW_NAME = "manage_new_name_clear"


def manage_models(names: list[str]) -> None:
    """Rename or delete a saved model (deleting asks for a confirmation first)."""
    with st.expander(
        "Rename or delete a model",
        icon=":material/edit:",
        expanded="confirm_delete" in st.session_state,
    ):
        # a pick another tab renamed or deleted away is said, and nothing is picked in its place
        # (bad-input round 13b: the box switched silently, and Rename renamed another model)
        if "manage_model_next" in st.session_state:  # this tab's own rename or delete
            picked = st.session_state.pop("manage_model_next")
            # assigned, not popped: a popped box kept showing its old pick in the browser
            st.session_state["manage_model"] = picked
        gone = widgets.forget_missing("manage_model", names)
        if gone:  # emptied in the browser too: a popped box kept showing the name gone
            st.session_state["manage_model"] = None
        chosen = st.selectbox(
            "Model",
            names,
            index=None if gone else 0,
            key="manage_model",
            format_func=text.displayable,
            placeholder="Pick the model to rename or delete",
        )
        doomed = st.session_state.get("confirm_delete")
        if doomed and doomed not in names:
            st.session_state.pop("confirm_delete", None)
            st.session_state.pop("confirm_delete_id", None)
            st.info(
                f"{text.md_quoted(doomed)} was deleted or renamed meanwhile (in another tab or "
                "by the command line), so nothing was deleted here.",
                icon=":material/info:",
            )
        if chosen is None:
            return
        if st.session_state.pop(_CLEAR_NEW_NAME, False):  # after this tab's own rename
            st.session_state["manage_new_name"] = ""
        new_name = st.text_input(
            "New name",
            key="manage_new_name",
            placeholder=text.displayable(chosen),
            help="Letters, digits, '-', '_' and '.'; must not be taken.",
        )
        rename_col, delete_col = st.columns(2)
        # views round 29, F2: a refused rename ended the page (no Delete button, no Datasets);
        # each handler's refusal shows here and the page draws on
        if rename_col.button("Rename", icon=":material/edit:", disabled=not new_name.strip()):
            with shell.error_boundary():
                rename(chosen, new_name.strip())
        if delete_col.button("Delete…", icon=":material/delete:", key="ask_delete"):
            with shell.error_boundary():
                st.session_state["confirm_delete_id"] = store.model_identity(chosen)
                st.session_state["confirm_delete"] = chosen
                st.rerun()
        doomed = st.session_state.get("confirm_delete")
        if doomed:
            prompt = st.empty()  # bad-input round 54, F3: the question stayed above a refusal
            with prompt.container():
                st.warning(
                    f"Delete **{text.md(doomed)}** for good? Its embeddings, Keras model and cached analyses "
                    "are removed; this cannot be undone.",
                    icon=":material/warning:",
                )
                yes_col, no_col = st.columns(2)
                yes = yes_col.button(
                    f"Yes, delete {text.md(doomed)}", type="primary", key="confirm_delete_yes"
                )
                no = no_col.button("Cancel", key="confirm_delete_no")
            if yes:
                prompt.empty()  # only the outcome stays on screen
                st.session_state.pop("confirm_delete", None)
                expected = st.session_state.pop("confirm_delete_id", None)
                with shell.error_boundary():
                    store.delete_model(doomed, expected=expected)
                    st.session_state["manage_model_next"] = None
                    flash("home_message", f"Deleted **{text.md(doomed)}**.")
                    st.rerun()
            if no:
                st.session_state.pop("confirm_delete", None)
                st.rerun()


def rename(old: str, new: str) -> None:
    """Rename the model ``old`` to ``new`` and rerun to say so; a refusal raises StoreError
    (a taken or invalid name, or one a training run is about to save)."""
    if new in state.job_registry().reserved_names():
        raise StoreError(
            f"A training run is about to save a model named {new!r}; pick another name."
        )
    store.rename_model(old, new)
    st.session_state["manage_model_next"] = new
    flash("home_message", f"Renamed **{text.md(old)}** to **{text.md(new)}**.")
    st.session_state[_CLEAR_NEW_NAME] = True
    st.rerun()


def download(name: str) -> None:
    """Download a GroupLens dataset with a progress bar, then refresh the dataset list."""
    bar = st.progress(0.0, text=f"Downloading {name}…")

    def report(done: int, total: int | None) -> None:
        if total:
            bar.progress(
                min(done / total, 1.0), text=f"{name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
            )
        else:
            bar.progress(0.0, text=f"{name}: {done / 1e6:.1f} MB")

    try:
        data.download_dataset(name, progress=report)
        bar.progress(1.0, text=f"{name} downloaded; reading it once to check it…")
        data.load_dataset(name)
    except DataError as exc:  # shown here: the page (its upload column) draws on below
        bar.empty()
        st.error(
            f"{text.md(exc)} Or upload {name}.zip under 'Upload a file (works offline)'.",
            icon=":material/cloud_off:",
        )
        return
    state.refresh_datasets()
    flash("home_message", f"{name} is ready: train a model on it.")
    st.rerun()


#: Text encodings the CSV upload offers (UTF-8 and files with a byte-order mark need no choice).
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16-le", "utf-16-be")


#: What a rating of 0 can be (from_csv's ``zero_ratings``), as the upload's options say it.
ZERO_RATINGS = {
    "auto": "auto: dropped from a Goodreads export, else kept (a notice says when they may "
    "mean 'not rated')",
    "keep": "keep: a rating like any other",
    "drop": "drop: 0 means 'not rated'",
}


#: Session key: [what was asked: file, name, items, options; the dataset's name] of the upload
#: imported last.
IMPORTED = "imported_upload"
#: The dataset whose notices an import just queued for the top of the next run (not repeated
#: under the quick start on that run).
NOTICED = "noticed_dataset"
#: The upload form's checkbox that replaces an imported dataset of the name given.
REPLACE_LABEL = "Replace an imported dataset of this name"


def suggested_name(filename: str) -> str:
    """A dataset name from an uploaded file's name that the name rule accepts: accents dropped,
    other characters '_' (bad-input round 59, L2: 'bewertungen_äöü' was offered, then refused)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+|\.\.+", "_", ascii_letters(Path(filename).stem))
    name = stem.strip("_.-")[:64].strip("_.-") or "ratings"
    return f"{name[:58]}_data" if unportable_reason(name) else name  # 'con': a Windows device


def import_upload(upload, csv_name: str, items=None, **options: Any) -> None:
    """Store an uploaded GroupLens zip or ratings CSV (+ items file; ``options``: from_csv's
    ``encoding`` and ``rating_scale``) as a dataset and check it."""
    asked = (  # the same file, name, items and options as the import just done
        getattr(upload, "file_id", None),
        csv_name.strip(),
        getattr(items, "file_id", None),
        repr(sorted(options.items())),
    )
    # (what was asked, the dataset made): a list filled in place, with no Streamlit call, once
    # the data is stored, so a click that stops this run right then still finds it (round 16)
    done = st.session_state.setdefault(IMPORTED, [None, None])
    if done[0] == asked:
        # a second click on the same upload (bad-input round 17: a red "already exists" under
        # the button, the success note off-screen above)
        st.info(f"{text.md(upload.name)} is already imported, as **{text.md(done[1])}**.")
        return
    if isinstance(options.get("rating_scale"), str):  # a box of it is no number
        raise SpecError(options["rating_scale"])
    # "here": the zip's data was here already (bad-input round 43, F1); "before": this very
    # zip was imported before, in another session too (bad-input round 68, F2)
    how = "stored"
    if is_dataset_zip(upload.name, upload):  # a zip by its content too (round 68, F3)
        with st.spinner(f"Importing {text.md(upload.name)} ({upload.size / 1e6:.1f} MB)…"):
            _folder, name, how = import_zip_once(upload.getvalue(), upload.name)
            done[:] = [asked, name]
            ds = data.load_dataset(done[1])
    else:

        def work(should_stop):  # on stoppable's thread
            ds = data.from_csv(
                upload, items, save_as=csv_name.strip(), should_stop=should_stop, **options
            )
            done[:] = [asked, ds.name]
            return ds

        try:
            ds = stoppable(work, f"Importing {text.md(upload.name)} ({upload.size / 1e6:.1f} MB)")
        except DataError as exc:  # it names from_csv's arguments: say where they are here
            if "columns=" in str(exc):
                raise DataError(
                    f"{exc} On this page: open 'Options: columns, text encoding, rating "
                    "scale' above the Import button and pick the columns there."
                ) from None
            # round 17 (replace) and bad-input round 64, F2 (force): no such argument here
            for argument, here in (
                ("pass replace=True to overwrite it", f"tick '{REPLACE_LABEL}'"),
                ("pass force=True to replace it anyway", "delete those models first"),
            ):
                if argument in str(exc):
                    raise DataError(str(exc).replace(argument, here)) from None
            raise
    state.refresh_datasets()
    widgets.show_notices(ds, after_rerun=True)
    st.session_state[NOTICED] = ds.name
    listed = "It is listed below and on the Train page."
    flash(
        "home_message",
        {
            "stored": f"Imported **{text.md(ds.name)}**: {len(ds):,} ratings by {ds.n_users:,} "
            f"user{'' if ds.n_users == 1 else 's'} on {ds.n_movies:,} "
            f"movie{'' if ds.n_movies == 1 else 's'}. It is now listed below and on the Train "
            "page.",
            "here": f"{text.md(upload.name)} holds **{text.md(ds.name)}**, which is already on "
            f"this machine, whole: nothing new was stored. {listed}",
            "before": f"{text.md(upload.name)} is already imported as **{text.md(ds.name)}** "
            f"(the same zip, byte for byte): nothing new was stored. {listed}",
        }[how],
    )
    st.rerun()


#: The column roles the upload can map, with the header names each takes unmapped.
COLUMN_ROLES = {
    "user": "user, userId, customer, ...",
    "item": "item, movieId, movie, ...",
    "rating": "rating, score, stars, ...",
    "timestamp": "timestamp, time, date, ...",
}
BY_NAME = "(by its name)"


#: The items file's column roles, with the header names each takes unmapped.
ITEM_COLUMN_ROLES = {
    "item": "item, movieId, id, ...",
    "title": "title, name, ...",
    "genres": "genres, genre, categories, tags",
    "year": "year, releaseYear",
}


def csv_options(upload, items=None) -> dict[str, Any]:
    """The CSV upload's options, as the messages name them: which column holds each role
    (``columns=``; the items file's: ``item_columns=``), text encoding (``encoding=``) and a
    declared rating scale (``rating_scale=``; off: inferred from the data, with a notice)."""
    with st.expander("Options: columns, text encoding, rating scale", icon=":material/tune:"):
        encoding = st.selectbox(
            "Text encoding (encoding=)",
            ENCODINGS,
            key="csv_encoding",
            help="UTF-8 unless the file says otherwise; files with a byte-order mark (Excel's "
            "'Unicode text') are read as they are. cp1252 for older Windows exports (Excel's "
            "'CSV (Comma delimited)'); latin-1 only where cp1252 cannot read the file.",
        )
        columns = column_mapping(upload, encoding)
        item_columns = (
            column_mapping(items, encoding, ITEM_COLUMN_ROLES, "item_columns", "items file's ")
            if items is not None
            else {}
        )
        declare = st.toggle(
            "Declare the rating scale (rating_scale=)",
            key="csv_declare_scale",
            help="Off: the scale is inferred from the ratings and a notice says which. On: "
            "ratings outside it are refused, with their lines.",
        )
        low, high, step = st.columns(3)
        scale = (  # text boxes: a number box read a typed "0,5" as 5 (bad-input round 59, H1)
            widgets.number_box("lowest", 0.5, where=low, key="csv_scale_min", disabled=not declare),
            widgets.number_box(
                "highest", 5.0, where=high, key="csv_scale_max", disabled=not declare
            ),
            widgets.number_box(
                "step (0: any value)",
                0.5,
                where=step,
                key="csv_scale_step",
                disabled=not declare,
            ),
        )
        zero = st.selectbox(
            "Ratings of 0 (zero_ratings=)",
            list(ZERO_RATINGS),
            format_func=ZERO_RATINGS.get,
            key="csv_zero_ratings",
            help="Goodreads and Amazon exports write 0 for 'not rated'.",
        )
    return {
        "encoding": encoding,
        "rating_scale": scale_numbers(scale) if declare else None,
        **({"zero_ratings": zero} if zero != "auto" else {}),
        **({"columns": columns} if columns else {}),
        **({"item_columns": item_columns} if item_columns else {}),
    }


def scale_numbers(typed: tuple[str, str, str]) -> tuple[float, float, float] | str:
    """The declared scale's three boxes read as numbers, or the message saying which box is no
    number: :func:`import_upload` raises it when Import is pressed."""
    try:
        boxes = zip(typed, ("lowest", "highest", "step"), strict=True)
        return tuple(schema.read_number(t, f"Rating scale {w}") for t, w in boxes)
    except SpecError as exc:
        return str(exc)


def column_mapping(
    upload,
    encoding: str,
    roles: dict[str, str] = COLUMN_ROLES,
    argument: str = "columns",
    whose: str = "",
) -> dict[str, str]:
    """Which header column holds each of ``roles`` (from_csv's ``argument``), picked from the
    file's own header; a role left on :data:`BY_NAME` takes the column its usual names find."""
    try:
        header = data.csv_columns(upload, encoding=encoding)
    except MovierateError:  # the import names what is wrong with the file
        return {}
    if not header:
        if argument == "columns":
            st.caption(
                "Columns (columns=): the file has no header, so they are read in the order "
                "user, item, rating, timestamp."
            )
        return {}
    cells = [cell for _ in range(2) for cell in st.columns(2)]  # 2 x 2: the column is narrow
    chosen = {
        role: cell.selectbox(
            f"{whose}{role} column ({argument}=)",
            [BY_NAME, *header],
            key=f"csv_{'' if argument == 'columns' else 'item_'}column_{role}",
            help=f"Left on '{BY_NAME}': a column named {names} (any case).",
        )
        for cell, (role, names) in zip(cells, roles.items(), strict=True)
    }
    return {role: name for role, name in chosen.items() if name != BY_NAME}


def _approx_text(n: int | None) -> str:
    """A dataset's rating count for the table: unknown until a copy has been parsed."""
    return f"{n:,}" if n else "not counted yet"


def next_steps(infos: list[store.ModelInfo]) -> None:
    """Where a newcomer sees what the newest model learned, movies by name: views round 13
    found Home offering no such step and Embeddings opening on a covariance heatmap. Models of
    too few movies for a map to tell much are passed over, said (bad-input round 41, F6: a
    1-movie model was offered its neighbours, map and principal components)."""
    few = [i for i in infos if i.n_movies is not None and i.n_movies < FEW_MAP_MOVIES]
    shown = next((i for i in infos if i not in few), None)
    if infos[0] in few:
        newest = infos[0]
        st.caption(
            f"{text.md(newest.name)} holds {newest.n_movies:,} movie(s): too few for its "
            f"neighbours, map and principal components to tell much (they need about "
            f"{FEW_MAP_MOVIES} or more)"
            + (", so here is the newest model with enough:" if shown else ".")
        )
    if shown is None:
        return
    name = shown.name
    st.markdown(f"**Next: see what {text.md(name)} learned**")
    links = st.columns(3)
    links[0].page_link(
        shell.page("neighbours"),
        label="Which movies it puts together",
        icon=":material/hub:",
        query_params={"models": name},
    )
    links[1].page_link(
        shell.page("embeddings"),
        label="A map of its movies",
        icon=":material/scatter_plot:",
        query_params={"model": name, "view": "Map"},
    )
    links[2].page_link(
        shell.page("embeddings"),
        label="What sets its movies apart",
        icon=":material/swap_vert:",
        query_params={"model": name, "view": "Principal components"},
    )


#: Home's models table: the share of each model's test rows with no training rating behind them.
COLD_COLUMN = "test rows cold"
#: How many models the cold-rows sentence gives their RMSE over the other rows for.
COLD_NAMED = 8


def _cold(info: store.ModelInfo) -> bool:
    """Whether 1% or more of the model's test rows have a user or movie with no training
    rating (``store.unseen_note``'s rule)."""
    return bool(store.unseen_note(info.metrics, info.split_record))


def with_cold_column(table: pd.DataFrame, infos: list[store.ModelInfo]) -> pd.DataFrame:
    """``table`` (``models_table(infos)``) with a :data:`COLD_COLUMN` before its dim: each
    model's share ("94%"), empty under 1% or where not recorded; none when no model reaches 1%
    (accuracy round 56, F2: a by-date model's 1.0745, its test rows 94% cold, stood here
    unremarked)."""
    if not any(_cold(i) for i in infos):
        return table
    shares = [
        store.percent(i.metrics["test_unseen_rows"], i.split_record["n_test"]) if _cold(i) else ""
        for i in infos
    ]
    table = table.copy()
    table.insert(table.columns.get_loc("dim"), COLD_COLUMN, shares)
    return table


def cold_rows_text(infos: list[store.ModelInfo]) -> str:
    """What :data:`COLD_COLUMN` says, with each such model's test RMSE over its other test rows
    (the first :data:`COLD_NAMED`); "" when no model has 1% or more of them."""
    cold = [i for i in infos if _cold(i)]
    if not cold:
        return ""
    rest = []
    for info in cold[:COLD_NAMED]:
        n_seen = info.split_record["n_test"] - info.metrics["test_unseen_rows"]
        seen = info.metrics.get("test_rmse_seen")
        if isinstance(seen, float) and n_seen >= store.FEW_SEEN:
            rest.append(f"{text.md(info.name)} {seen:.4f}")
        elif 0 < n_seen < store.FEW_SEEN:  # round 27, F10: no RMSE over 1 row
            rest.append(f"{text.md(info.name)} none ({store.seen_rows_text(n_seen)})")
    more = len(cold) - COLD_NAMED
    return (
        f"'{COLD_COLUMN}' (shown from 1%): the share of a model's test rows whose user or movie "
        "has no training rating, predicted from a vector training never moved (its random "
        "start); they count in its test RMSE."
        + (f" Test RMSE over the other rows: {'; '.join(rest)}" if rest else "")
        + (
            f" ({more:,} more: Compare or `python -m movierate show NAME` gives theirs)"
            if rest and more > 0
            else ""
        )
        + ("." if rest else "")
    )


def render() -> None:
    """The page body (run inside the error boundary)."""
    st.title("movierate")
    st.caption(
        "Train movie-rating models with embedding layers, then look inside the embeddings: "
        "covariance, principal components, t-SNE maps, nearest movies and recommendations, "
        "for several models side by side."  # "embedding" is in the glossary below
    )
    with st.expander("What these words mean", icon=":material/menu_book:"):
        st.markdown(
            "\n".join(f"- **{term}**: {meaning}" for term, meaning in glossary.TERMS.items())
        )

    if message := take_flash("home_message"):  # kept through a second click (round 16, F2)
        st.success(message, icon=":material/check_circle:")
    show_stopped()
    noticed = st.session_state.pop(NOTICED, None)  # shown at the top of this run

    statuses = state.dataset_statuses()
    available = [s.name for s in statuses if s.available]
    infos, broken = state.list_models()

    # one full-width section each: the models table needs the width for all its columns
    quick_col, models_col = st.container(), st.container()
    with quick_col:
        st.header("Quick start")
        if available:
            dataset = state.preferred_dataset(available)
            if len(available) > 1:  # views round 4b: the quick start trained one set only
                dataset = st.selectbox(
                    "Dataset",
                    available,
                    index=available.index(dataset),
                    key="quick_dataset",
                    help="Its tuned settings where the tuner measured them ("
                    + ", ".join(sorted(tuned_datasets()))
                    + "), else the defaults for its size.",
                )
            spec = state.default_spec(dataset)
            widgets.explained(
                f"Train a matrix factorisation with user and movie biases (dim {spec.dim}, "
                f"{regularizers_text(spec)}, early stopping) on **{text.md(dataset)}**: a solid "
                "baseline whose embeddings are worth exploring. About a minute on a laptop; "
                "you can watch it learn.",
                "What the default model's terms mean",
                glossary.define(
                    "matrix factorisation", "bias", "dimension", "L2", "early stopping"
                ),
                markdown=True,
            )
            if dataset != noticed:  # views round 40, F4: an import's notices came back nowhere
                widgets.show_dataset_notices(dataset)
            if st.button(
                "Train a good default model", type="primary", icon=":material/rocket_launch:"
            ):
                with shell.error_boundary():  # the models and datasets below still draw
                    start_quick_start(dataset)
            st.page_link(
                shell.page("train"),
                label="…or choose every option on the Train page",
                icon=":material/model_training:",
            )
        else:
            st.info(
                "No rating data on this machine yet. Download **ml-latest-small** below (about "
                "1 MB, needs internet). Offline: upload a GroupLens zip or your own ratings CSV "
                "below, or start the dashboard with `MOVIERATE_DATA_DIR` pointing at a folder of "
                "extracted MovieLens folders.",
                icon=":material/inventory_2:",
            )

    with models_col:
        st.header("Trained models")
        widgets.show_broken_models(broken, on_home=True)
        widgets.show_leftovers()
        if unportable := store.unportable_names_notice([i.name for i in [*infos, *broken]]):
            st.info(text.md(unportable), icon=":material/info:")
        if links := store.links_notice(infos):
            st.info(text.md(links), icon=":material/link:")
        if infos:
            table = with_cold_column(models_table(infos), infos)
            widgets.show_models_table(
                table,
                {
                    COLD_COLUMN: st.column_config.TextColumn(
                        help="Share of the model's test rows whose user or movie has no "
                        "training rating (empty: under 1%, or not recorded); below the table: "
                        "its RMSE over the other rows"
                    )
                },
            )
            caveat = store.settings_caveat(infos)
            summary = store.settings_caveat_summary(infos) or ""
            widgets.explained(
                "Test RMSE and MAE are measured on each model's test ratings, rows that neither "
                + (
                    "training nor early stopping"
                    if caveat
                    else "training, early stopping nor any setting"
                )  # fmt: skip
                + " saw (lower is better). "
                + " ".join(
                    filter(
                        None,
                        [
                            cold_rows_text(infos),
                            "Compare, Embeddings, Neighbours and Recommend look inside the models.",
                            text.scales_note(infos),
                            text.md(summary),
                        ],
                    )
                ),
                "What RMSE and MAE mean",
                glossary.define("RMSE", "MAE"),
            )
            if caveat:  # views round 27, F1 and item 6: 85 words were the first read here
                with st.expander("Which settings were chosen on test rows"):
                    st.caption(text.md(caveat))
            next_steps(infos)
        else:
            st.write("None yet: use the quick start, or the Train page for every option.")
        if infos or broken:  # a broken folder can be renamed (e.g. to a valid name) or deleted
            manage_models([info.name for info in infos] + [b.name for b in broken])

    st.divider()
    st.header("Datasets")
    widgets.show_table(
        pd.DataFrame(
            {
                "dataset": [s.name for s in statuses],
                "here": [s.available for s in statuses],
                "ratings (approx.)": [_approx_text(s.approx_ratings) for s in statuses],
                "parsed copy": ["yes" if s.cached else "" for s in statuses],
                "location": [s.location or "" for s in statuses],
            }
        ),
        hide_index=True,
        column_config={
            "here": st.column_config.CheckboxColumn(help="Found on this machine"),
            "ratings (approx.)": st.column_config.TextColumn(
                help="Known size of a GroupLens set; counted once a copy has been parsed"
            ),
            "location": st.column_config.TextColumn(width="large"),
        },
    )

    if problem := data.data_folder_text():
        st.warning(text.md(problem), icon=":material/folder_off:")
    if damaged := data.damaged_imports():  # bad-input round 64, F5
        st.warning(text.md(data.damaged_imports_text(damaged)), icon=":material/folder_off:")
    if skipped := data.unusable_folders():
        st.warning(text.md(data.unusable_folders_text(skipped)), icon=":material/folder_off:")
    if twins := data.case_twins_text():
        st.info(text.md(twins), icon=":material/info:")
    download_col, upload_col = st.columns(2, gap="large")
    with download_col:
        st.markdown("**Download from GroupLens**")
        missing = [s.name for s in statuses if not s.available]
        if missing:
            choice = st.selectbox("Dataset to download", missing, key="download_choice")
            if st.button("Download", icon=":material/download:"):
                download(choice)
        else:
            st.write("Every GroupLens dataset is already here.")
    with upload_col:
        st.markdown("**Upload a file (works offline)**")
        upload = st.file_uploader(  # any file: movierate says what to do with one it cannot
            # read (bad-input round 23: .xlsx, .json, .gz got Streamlit's MIME-type refusal)
            "A GroupLens zip (e.g. ml-100k.zip) or a ratings CSV with columns user, item, "
            'rating and optionally timestamp (also .tsv or .txt: Excel\'s "Unicode text"; '
            "save a spreadsheet as CSV first)",
            help=widgets.upload_limit_help("python -m movierate datasets FILE --name NAME"),
        )
        if upload is not None:
            csv_name, items, options = suggested_name(upload.name), None, {}
            if not is_dataset_zip(upload.name, upload):
                csv_name = st.text_input("Name for this dataset", value=csv_name, key="csv_name")
                items = st.file_uploader(
                    "Optional items file: item id, title and |-separated genres (gives titles "
                    "to the movies)",
                    key="items_upload",
                )
                options = csv_options(upload, items)
                options["replace"] = st.checkbox(
                    REPLACE_LABEL,
                    key="csv_replace",
                    help="A damaged copy, or a new version of the file. Refused while saved "
                    "models were trained on other ratings of that name (delete them first, or "
                    "import under another name); the same ratings again are always accepted. "
                    "Only a dataset imported from a file is replaced, never a GroupLens one or "
                    "another folder.",
                )
            if st.button("Import", icon=":material/upload_file:"):
                with shell.error_boundary():  # under the button, the page drawn on below it
                    import_upload(upload, csv_name, items, **options)
    render_delete_dataset(statuses, infos)
    render_import_embeddings()  # its own expander

    st.caption(
        f"Files live under `{state.home_folder()}` (set `MOVIERATE_HOME` to move them). "
        "MovieLens data © GroupLens: F. Maxwell Harper and Joseph A. Konstan, 2015, "
        "The MovieLens Datasets: History and Context, ACM TiiS 5(4)."
    )
    flash_drawn("home_message")


shell.require_router()
render()
