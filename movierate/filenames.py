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

import os
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

#: What a model name may be (checked by ``store.validate_name``; said in the CLI's help too).
NAME_RULE = (
    "1 to 64 ASCII letters, digits, '-', '_' and '.', not starting with '-' or '.' nor ending "
    "with '.', without '..', not a Windows device name (CON, NUL, COM1...)"
)
#: What a dataset name may be (checked by ``data.validate_dataset_name``).
DATASET_NAME_RULE = (
    "1 to 64 ASCII letters, digits, '-', '_' and '.', starting with a letter or digit, not "
    "ending with '.', without '..', not a Windows device name (CON, NUL, COM1...)"
)
#: The longest model or dataset name.
NAME_MAX_LENGTH = 64
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]+")


def name_problem(name: str, max_length: int = NAME_MAX_LENGTH) -> str | None:
    """The exact reason ``name`` cannot name one of movierate's folders (a model, a dataset, a
    cache file): empty, too long, the characters that are not allowed, a leading '.' or a
    '..'; None when it can. Model and dataset names share it (bad-input round 18: a dataset
    name such as 'Amélie' got one generic sentence that said letters were allowed).

    >>> name_problem("Amélie"), name_problem(".x"), name_problem("a..b"), name_problem("ok")
    ("it contains 'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)", "it starts with '.'", "it contains '..'", None)
    """
    if not name:
        return "it is empty"
    if len(name) > max_length:
        return f"it has {len(name):,} characters, more than {max_length}"
    if not _NAME_CHARS.fullmatch(name):
        read = utf8_read_as_bytes(name)  # 'é' read through an ASCII locale, not two bad bytes
        bad = sorted({c for c in read or name if not _NAME_CHARS.fullmatch(c)})
        said = f"it contains {', '.join(_char_shown(c) for c in bad)}"
        if read is not None:
            said += f" (read as bytes through an ASCII locale. {UTF8_LOCALE_HINT} to see them.)"
        return said
    if name.startswith("."):
        return "it starts with '.'"
    if ".." in name:
        return "it contains '..'"
    return None


#: Why folders whose names differ only in case are a problem, for notices that name them.
CASE_TWINS_RISK = (
    "macOS and Windows keep such names as one folder, so copying them there would merge them "
    "and mix their files"
)


def twin_difference(names: Iterable[str]) -> str:
    """How names with one :func:`twin_key` differ, for a message: "only in case", "only in
    how an accent is written" (composed or decomposed, as macOS and Linux may write 'é'), or
    both (recheck B, s27: NFC/NFD twins were said to differ "only in case").

    >>> twin_difference(["m1", "M1"]), twin_difference(["Am\u00e9lie", "Ame\u0301lie"])
    ('only in case', 'only in how an accent is written')
    """
    names = list(names)
    composed = {unicodedata.normalize("NFC", n) for n in names}
    accents = len(composed) < len(set(names))
    case = len(composed) > 1
    if accents and not case:
        return "only in how an accent is written"
    return "only in case and in how an accent is written" if accents else "only in case"


def case_twins(names: Iterable[str]) -> list[list[str]]:
    """The groups of ``names`` that differ only in case (``m1``, ``M1``), each sorted; [] when
    there are none. The tool refuses such a new name, but folders copied or synced in arrive
    side by side (bad-input round 18: listed as two normal rows).

    >>> case_twins(["m1", "a", "M1", "Ds1", "ds1", "DS1"])
    [['M1', 'm1'], ['DS1', 'Ds1', 'ds1']]
    """
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        groups.setdefault(twin_key(name), []).append(name)
    return [sorted(group) for group in groups.values() if len(group) > 1]


def twin_key(name: str) -> str:
    r"""What a case-insensitive file system compares of ``name``: its NFC form (macOS keeps an
    accent written two ways, or a Kelvin sign and 'K', as one name), each letter upper-cased
    one for one. Recheck B (s27): casefold() paired 'STRASSE' with 'straße', which no file
    system keeps as one, and missed an accent written two ways.

    >>> twin_key("straße") == twin_key("STRASSE"), twin_key("k2") == twin_key("\u212a2")
    (False, True)
    >>> twin_key("m1") == twin_key("M1"), twin_key("Am\u00e9lie") == twin_key("Ame\u0301lie")
    (True, True)
    """
    text = unicodedata.normalize("NFC", name)
    return "".join(up if len(up := c.upper()) == 1 else c for c in text)


#: What to do when an ASCII locale hands UTF-8 text over as bytes (bad-input round 59, M2).
UTF8_LOCALE_HINT = "Run with a UTF-8 locale (e.g. LANG=C.UTF-8) or PYTHONUTF8=1"


def utf8_read_as_bytes(text: str) -> str | None:
    r"""``text`` as the UTF-8 text it is when a process with an ASCII locale (``LC_ALL=C``,
    ``PYTHONUTF8=0``) read it as bytes (lone surrogates); None when it holds no such bytes or
    they are no UTF-8 (truly broken bytes).

    >>> utf8_read_as_bytes("L\udcc3\udca9on"), utf8_read_as_bytes("x\udcff"), utf8_read_as_bytes("ok")
    ('Léon', None, None)
    """
    if not any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
        return None
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return None


def _char_shown(c: str) -> str:
    r"""``c`` quoted; an accent written as its own character (a name in NFD form), an invisible
    or control character as its escape (``'\u0301'``), which shows on its own. A character
    that is not ASCII also gets its code point and Unicode name, since many look like allowed
    letters (recheck B, s27: "it contains 'а'" for a Cyrillic a); a byte that is no UTF-8 text
    is shown as ``'\xff'``, as :func:`bytes_escaped` writes it.

    >>> print(_char_shown("\u0430"), _char_shown("\udcff"), _char_shown("/"))
    'а' (U+0430 CYRILLIC SMALL LETTER A) '\xff' (a byte that is no UTF-8 text) '/'
    """
    if 0xDC80 <= ord(c) <= 0xDCFF:  # how Python reads a byte of a file name that is no UTF-8
        return f"'{bytes_escaped(c)}' (a byte that is no UTF-8 text)"
    quoted = ascii(c) if c != " " and unicodedata.category(c)[0] in "MCZ" else repr(c)
    if c.isascii():
        return quoted
    name = unicodedata.name(c, "")
    return f"{quoted} (U+{ord(c):04X}{' ' + name if name else ''})"


def _repr_escaped(text: str) -> str:
    r"""``repr(text)`` with the bytes that are no UTF-8 as ``\xff`` (not ``\udcff``)."""
    return re.sub(r"(?<!\\)\\udc([89a-f][0-9a-f])", r"\\x\1", repr(text))


def shown(value: Any, limit: int = 40) -> str:
    r"""``repr(value)`` for a message, clipped when long: ``'aaaa…' (1000 characters)``; a byte
    that is no UTF-8 text shows as ``\xff``."""
    text = str(value)
    if len(text) <= limit:
        return _repr_escaped(text) if isinstance(value, str) else repr(value)
    return f"{_repr_escaped(text[:limit])}… ({len(text):,} characters)"


def path_shown(path: str | os.PathLike[str], limit: int = 120) -> str:
    """``path`` for a message, at most ``limit`` characters: a longer one is cut in the middle,
    never in its last name, the file that failed (bad-input round 31, F4: a path clipped at 60
    characters lost its file name: ``.../.tmp-imp-2fb4b3f2/embeddings.np…``).

    >>> path_shown("/home/u/" + "x" * 40 + "/models/m/embeddings.npz", 40)
    '/home/u/xxxxxxxxxxxxxxxx…/embeddings.npz'
    >>> path_shown("/a/" + "n" * 50, 20)
    '/a/nnnnnn…nnnnnnnnnn'
    """
    text = bytes_escaped(os.fsdecode(path))
    if len(text) <= limit:
        return text
    tail = text[text.rfind("/", 0, len(text) - 1) :] if "/" in text[:-1] else text
    if len(tail) > limit // 2:  # the name alone is long: its start and its end
        tail = text[-(limit // 2) :]
    return f"{text[: limit - len(tail) - 1]}…{tail}"


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
