"""Deleting a dataset movierate stored (downloaded, unzipped or imported from a file) to free
its disk space; never a folder of the user's own (``MOVIERATE_DATA_DIR``, or any path given)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from movierate import atomic, config
from movierate.data.acquire import CUSTOM_FOLDER, check_dataset_name, find_local
from movierate.data.cache import remove_copies
from movierate.data.custom import _not_an_imported_copy
from movierate.data.formats import detect_layout
from movierate.data.registry import KNOWN_DATASETS
from movierate.errors import DataError

TRASH_PREFIX = ".trash-"
"""Hidden name a dataset folder is renamed to before its files go (swept as a leftover)."""


def stored_folder(name: str) -> Path:
    """The folder of dataset ``name`` in movierate's own data folder, checked deletable; DataError
    (nothing removed) saying why not: no such dataset, one that lives elsewhere, or a folder
    holding more than a dataset's files."""
    check_dataset_name(name)
    data = config.data_dir()
    known = KNOWN_DATASETS.get(name)
    folders = (
        [data / known.folder, data / name] if known else [data / CUSTOM_FOLDER / name, data / name]
    )
    found = next((f for f in folders if f.is_dir() and detect_layout(f)), None)
    if found is None:
        elsewhere = find_local(name)
        if elsewhere is not None:
            raise DataError(
                f"Dataset {name!r} is in {elsewhere.parent}, a folder of yours "
                "(MOVIERATE_DATA_DIR), not one movierate stored, so it is not deleted here; "
                "remove that folder yourself if you mean to."
            )
        raise DataError(
            f"No dataset named {name!r} is stored in {data}; 'python -m movierate datasets' "
            "lists the datasets and where each one is."
        )
    if foreign := _foreign_entries(found):
        raise DataError(
            f"Dataset {name!r} is not deleted: its folder {found} also holds "
            f"{', '.join(map(repr, foreign[:5]))}{' and more' if len(foreign) > 5 else ''}, "
            "which no dataset has. Nothing was removed; move those away, or delete the folder "
            "by hand if you mean to."
        )
    if (locked := atomic.undeletable(found)) is not None:
        raise DataError(
            f"Dataset {name!r} is not deleted: movierate may not remove the files in {locked} "
            f"(its permissions allow no changes). Make it writable (chmod -R u+w '{found}') "
            "and delete again. Nothing was removed."
        )
    return found


def _foreign_entries(folder: Path) -> list[str]:
    """What a dataset folder holds that no dataset has: for an imported file's copy, any entry
    it never writes; for a MovieLens folder, any sub-folder (their files lie flat)."""
    if folder.parent.name == CUSTOM_FOLDER:
        return _not_an_imported_copy(folder)
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [f"{e.name}/" for e in entries if e.is_dir() and not e.is_symlink()]


def delete_stored_dataset(name: str) -> Path:
    """Delete dataset ``name`` from movierate's data folder, with its parsed copies; returns the
    folder removed. It is renamed to a hidden name first, so it vanishes at once and a kill
    midway leaves only a hidden leftover (swept later). Models trained on it keep their
    embeddings and titles; their test rows come back when the same data is stored again."""
    folder = stored_folder(name)
    try:
        atomic.remove_folder_now(folder, TRASH_PREFIX)
    except FileNotFoundError:
        raise DataError(f"Dataset {name!r} was deleted or replaced meanwhile.") from None
    except OSError as exc:
        raise DataError(f"Dataset {name!r} was not deleted: {exc.strerror or exc}.") from None
    with contextlib.suppress(OSError):
        remove_copies(name, str(folder))
    return folder


def still_found_text(name: str) -> str:
    """After a delete: where ``load_dataset(name)`` still finds a dataset of that name (a folder
    of the user's own, searched first), else ''."""
    folder = find_local(name)
    return f"The name {name!r} still opens the dataset in {folder}." if folder else ""


def trained_models_text(name: str, models: list[str]) -> str:
    """What deleting dataset ``name`` means for the saved ``models`` trained on it."""
    shown = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
    one = len(models) == 1
    return (
        f"{len(models)} saved model{'' if one else 's'} ({shown}) {'was' if one else 'were'} "
        f"trained on {name!r}: without it {'that model still opens' if one else 'they still open'}"
        " on the pages that look inside embeddings, but Recommend, evaluate and the test-row "
        "checks need the same data stored again under that name"
    )
