"""Deleting a dataset movierate stored (downloaded, unzipped or imported from a file) to free
its disk space; never a folder of the user's own (``MOVIERATE_DATA_DIR``, or any path given)."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from movierate import atomic, config
from movierate.data.acquire import CUSTOM_FOLDER, check_dataset_name, find_local
from movierate.data.cache import remove_copies
from movierate.data.custom import _not_an_imported_copy
from movierate.data.formats import detect_layout
from movierate.data.registry import KNOWN_DATASETS
from movierate.errors import DataError
from movierate.filenames import is_os_junk
from movierate.run_ledger import check_unread

TRASH_PREFIX = ".trash-"
"""Hidden name a dataset folder is renamed to before its files go (swept as a leftover)."""

#: How to see which datasets exist, closing an unknown name's error (said once per command).
LIST_HINT = "'python -m movierate datasets' lists the datasets and where each one is."


def stored_folder(name: str) -> Path:
    """The folder of dataset ``name`` in movierate's own data folder, checked deletable; DataError
    (nothing removed) saying why not: no such dataset, one that lives elsewhere, or a folder
    holding more than a dataset's files."""
    check_dataset_name(name)
    data = config.data_dir()
    extra = config.extra_data_dir()
    if extra is not None and _same_folder(extra, data):  # recheck (s28): deleted from it
        raise DataError(
            f"MOVIERATE_DATA_DIR is movierate's own data folder ({data}), so its datasets are "
            "yours: nothing is deleted here. Remove the dataset's folder yourself if you mean "
            "to, or point MOVIERATE_DATA_DIR elsewhere."
        )
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
        raise DataError(f"No dataset named {name!r} is stored in {data}; {LIST_HINT}")
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
    check_unread(name, "deleted")  # bad-input round 54, F1: a training reading it saved on nothing
    return found


#: Every file of the official GroupLens zips (ml-100k ... ml-32m, ml-latest-small), and what
#: movierate itself writes beside them: whatever else a MovieLens folder holds is the user's.
GROUPLENS_FILE = re.compile(
    r"README(\.txt|\.html)?|(ratings|movies|tags|links|genome-scores|genome-tags)\.csv"
    r"|(ratings|movies|users|tags)\.dat|u\.(data|genre|info|item|occupation|user)"
    r"|u[1-5ab]\.(base|test)|allbut\.pl|mku\.sh|split_ratings\.sh|checksums\.txt"
    r"|\.movierate-[a-z]+\.json"
)


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _foreign_entries(folder: Path) -> list[str]:
    """What a dataset folder holds that no dataset has: for an imported file's copy, any entry
    it never writes; for a MovieLens folder, any entry that is no file of an official zip
    (recheck, s28: a user's notes kept there were deleted with it)."""
    if folder.parent.name == CUSTOM_FOLDER:
        return _not_an_imported_copy(folder)
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        f"{e.name}/" if e.is_dir() else e.name
        for e in entries
        if not (GROUPLENS_FILE.fullmatch(e.name) and e.is_file()) and not is_os_junk(e.name)
    ]


def delete_stored_dataset(name: str) -> Path:
    """Delete dataset ``name`` from movierate's data folder, with its parsed copies; returns the
    folder removed. It is renamed to a hidden name first, so it vanishes at once and a kill
    midway leaves only a hidden leftover (swept later). Models trained on it keep their
    embeddings and titles; their test rows come back when the same data is stored again."""
    folder = stored_folder(name)
    sweep_trash()
    try:
        left = atomic.remove_folder_now(folder, TRASH_PREFIX)
    except FileNotFoundError:
        raise DataError(f"Dataset {name!r} was deleted or replaced meanwhile.") from None
    except OSError as exc:
        raise DataError(f"Dataset {name!r} was not deleted: {exc.strerror or exc}.") from None
    with contextlib.suppress(OSError):
        remove_copies(name, str(folder))
    if left is not None:  # bad-input round 51, F3: "deleted" over files that stayed
        raise DataError(f"Dataset {name!r} is deleted, but {atomic.left_behind(*left)}")
    return folder


def trash_folders() -> list[Path]:
    """Datasets renamed aside by a delete that was killed before it removed their files."""
    data = config.data_dir()
    found = []
    for parent in (data, data / CUSTOM_FOLDER):
        with contextlib.suppress(OSError):
            found += [p for p in parent.iterdir() if p.name.startswith(TRASH_PREFIX)]
    return sorted(found)


def sweep_trash() -> list[Path]:
    """Remove :func:`trash_folders` (a delete's rename is its commit: none is ever restored);
    returns those removed."""
    removed = []
    for trash in trash_folders():
        with contextlib.suppress(OSError):
            atomic.remove_tree(trash)
        if not os.path.lexists(trash):
            removed.append(trash)
    return removed


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
