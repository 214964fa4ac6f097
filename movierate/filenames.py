"""Names that become file or folder names (models, datasets): what makes one unusable on an
operating system our users run, although the characters are allowed.

Windows reserves the device names CON, PRN, AUX, NUL, COM0-COM9 and LPT0-LPT9 in any case and
with any extension (``nul.v2`` is the device too), and drops a trailing '.' (``a.`` and ``a``
are one folder there). A model saved under such a name on Linux cannot be copied to Windows,
and on Windows the save fails or writes to the device.

>>> unportable_reason("con"), unportable_reason("Lpt1.old"), unportable_reason("a.")
("'con' is a device name on Windows", "'Lpt1' is a device name on Windows", "it ends with '.'")
>>> unportable_reason("COM0"), unportable_reason("console"), unportable_reason("com10")
("'COM0' is a device name on Windows", None, None)
"""

from __future__ import annotations

#: What a model name may be (checked by ``store.validate_name``; said in the CLI's help too).
NAME_RULE = (
    "1 to 64 ASCII letters, digits, '-', '_' and '.', not starting with '-' or '.' nor ending "
    "with '.', without '..', not a Windows device name (CON, NUL, COM1...)"
)

#: Windows' reserved device names (compared without case, before the first '.').
WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{kind}{i}" for kind in ("COM", "LPT") for i in range(10)]
)


def unportable_reason(name: str) -> str | None:
    """Why ``name`` (of allowed characters) cannot name a file on every OS, or None."""
    stem = name.split(".", 1)[0]
    if stem.upper() in WINDOWS_DEVICES:
        return f"{stem!r} is a device name on Windows"
    if name.endswith("."):
        return "it ends with '.'"
    return None


def bytes_escaped(name: str) -> str:
    r"""``name`` with the bytes that are no UTF-8 (which Python reads from file names as lone
    surrogates, and which no page, terminal or pyarrow path can carry) written as ``\xff``.

    >>> print(bytes_escaped("my\udcffset"), bytes_escaped("plain"))
    my\xffset plain
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


#: Files a desktop writes into any folder it shows (macOS Finder, Windows Explorer), and the
#: folder Jupyter writes beside any file opened in it (a model's meta.json looked at in a
#: notebook made the model folder foreign: neither replaceable nor deletable).
OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".directory", ".ipynb_checkpoints"})


def is_os_junk(name: str) -> bool:
    """Whether ``name`` is what a desktop or Jupyter leaves in folders (``.DS_Store``, macOS'
    ``._x`` resource forks, ``Thumbs.db``, ``.ipynb_checkpoints``): no sign of what a folder is
    (recheck E, s26: a .DS_Store made a broken model undeletable)."""
    return name in OS_JUNK or name.startswith("._")
