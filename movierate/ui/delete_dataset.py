"""The Home page's "Delete a stored dataset" panel: pick a dataset movierate stored (downloaded,
unzipped or imported from a file), see what deleting it means for the models trained on it,
confirm, delete (:mod:`movierate.data.removal`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from movierate import atomic, config, store
from movierate.data.removal import (
    delete_stored_dataset,
    still_found_text,
    stored_folder,
    trained_models_text,
)
from movierate.errors import DataError
from movierate.ui import state, text
from movierate.ui.once import flash

#: Session keys: the dataset awaiting confirmation, its folder's identity when asked, and why
#: a confirmed delete was refused (shown once the question is gone).
_DOOMED, _DOOMED_ID = "confirm_delete_dataset", "confirm_delete_dataset_id"
_REFUSED = "delete_dataset_refused"


def stored_names(statuses: list[Any]) -> list[str]:
    """The datasets among ``statuses`` that live in movierate's own data folder."""
    data = config.data_dir()
    extra = config.extra_data_dir()
    if extra is not None and extra.resolve() == data.resolve():
        return []  # the user's own folder (removal.stored_folder says so)
    own = {data, data / "custom"}
    return [s.name for s in statuses if s.location and Path(s.location).parent in own]


def _identity(folder: Path) -> str:
    """Which folder holds the name now: a confirmation acted on later deletes only that one."""
    info = folder.stat()
    return f"{info.st_dev}:{info.st_ino}:{info.st_mtime_ns}"


def render_delete_dataset(statuses: list[Any], infos: list[Any]) -> None:
    """The panel (an expander); nothing when no dataset is stored in movierate's data folder."""
    names = stored_names(statuses)
    if not names and _DOOMED not in st.session_state:
        return
    with st.expander(
        "Delete a stored dataset", icon=":material/delete:", expanded=_DOOMED in st.session_state
    ):
        st.caption(
            "Frees the disk space of a dataset movierate downloaded, unzipped or imported. "
            "Folders of your own (MOVIERATE_DATA_DIR) are never deleted here."
        )
        chosen = st.selectbox(
            "Dataset",
            names,
            index=None,
            key="delete_dataset_choice",
            placeholder="Pick the dataset to delete",
        )
        if chosen is not None and st.button(
            "Delete…", icon=":material/delete:", key="ask_delete_dataset"
        ):
            try:
                st.session_state[_DOOMED_ID] = _identity(stored_folder(chosen))
                st.session_state[_DOOMED] = chosen
            except DataError as exc:  # deleted meanwhile (another tab, the command line)
                said = str(exc)  # recheck 8, F2: "Nothing was deleted" twice
                st.session_state[_REFUSED] = (
                    said if "Nothing was deleted" in said else f"{said} Nothing was deleted."
                )
            st.rerun()
        if refused := st.session_state.pop(_REFUSED, None):  # said after the question went
            st.error(text.md(refused), icon=":material/block:")
        doomed = st.session_state.get(_DOOMED)
        if doomed:
            _confirm(doomed, [i.name for i in infos if i.dataset == doomed])


def _confirm(name: str, models: list[str]) -> None:
    """The confirmation for deleting dataset ``name``, which ``models`` were trained on."""
    try:
        folder = stored_folder(name)
    except DataError as exc:
        _forget()
        said = str(exc)
        done = "" if "Nothing was deleted" in said else " Nothing was deleted."
        st.info(f"{text.md(said)}{done}", icon=":material/info:")
        return
    size = store.format_bytes(atomic.tree_size(folder))
    uses = f" {text.md(trained_models_text(name, models))}." if models else ""
    again = (
        "To get it back, import your ratings file again."
        if folder.parent.name == "custom"
        else "To get it back, download it again (or upload its zip)."
    )
    st.warning(
        f"Delete **{text.md(name)}** ({size} in `{text.md(folder)}`) for good?{uses} {again}",
        icon=":material/warning:",
    )
    yes_col, no_col = st.columns(2)
    if yes_col.button(f"Yes, delete {text.md(name)}", type="primary", key="delete_dataset_yes"):
        expected = st.session_state.get(_DOOMED_ID)
        _forget()
        refused = _refusal(name, folder, expected)
        if refused:  # recheck (s28): the question stayed on screen above the refusal
            st.session_state[_REFUSED] = refused
            st.rerun()
        try:
            delete_stored_dataset(name)
        except DataError as exc:  # replaced or locked meanwhile: said, the page goes on
            st.session_state[_REFUSED] = f"{exc} Nothing else was changed."
            st.rerun()
        state.refresh_datasets()
        still = still_found_text(name)
        flash("home_message", f"Deleted dataset **{text.md(name)}**. {text.md(still)}")
        st.session_state.pop("delete_dataset_choice", None)
        st.rerun()
    if no_col.button("Cancel", key="delete_dataset_no"):
        _forget()
        st.rerun()


def _refusal(name: str, folder: Path, expected: str | None) -> str:
    """Why dataset ``name`` is not deleted now after all, or '': replaced since the question,
    or a training of this dashboard reading it (recheck, s28: deleted under a running one)."""
    if expected != _identity(folder):
        return (
            f"Dataset {name!r} was replaced since you asked (in another tab or by the command "
            "line). Nothing was deleted; check the list and ask again."
        )
    if busy := [j.name for j in state.job_registry().active_jobs() if j.dataset == name]:
        return (
            f"Dataset {name!r} is being read by the training of {', '.join(busy)}. Nothing was "
            "deleted; delete it once that training has ended (or cancel it on the Train page)."
        )
    return ""


def _forget() -> None:
    st.session_state.pop(_DOOMED, None)
    st.session_state.pop(_DOOMED_ID, None)
