"""Fast, checked reading of delimited text: pyarrow's CSV parser with errors turned into DataError."""

from __future__ import annotations

import codecs
import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from movierate.errors import DataError

Source = Path | bytes


def read_bytes(source: Source) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    """``"utf-16"`` or ``"utf-32"`` when ``head`` starts with that byte-order mark (Excel's
    "Unicode text" is UTF-16), else None (UTF-8's own mark is dropped by :func:`decode`)."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def decode(
    data: bytes,
    where: str,
    encoding: str = "utf-8",
    option: str = "encoding",
    holds: str = "the ratings",
) -> str:
    """``data`` decoded; DataError naming the line and byte if it is not in ``encoding``.
    ``option`` is the argument that sets this file's encoding (``items_encoding``), for advice;
    ``holds`` is what the file should hold, for a binary file's error."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        bad = (line, data[err.start], err.start)
        raise _decode_error(where, encoding, bad, data, option, holds) from None
    except UnicodeError as err:
        raise _codec_error(where, encoding, err) from None
    return text[1:] if text.startswith("\ufeff") else text


def decode_head(
    data: bytes, where: str, encoding: str = "utf-8", whole: Source | None = None
) -> str:
    """The whole lines of a sample cut from the start of a file: decoded incrementally, so a
    character split by the cut (UTF-16, UTF-8) is left out instead of being an error.
    ``whole`` is the file the sample is cut from, for the advice on an undecodable byte."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        where_bad = (line, data[err.start], err.start)
        raise _decode_error(where, encoding, where_bad, data if whole is None else whole) from None
    except UnicodeError as err:
        raise _codec_error(where, encoding, err) from None
    text = text[1:] if text.startswith("\ufeff") else text
    cut = text.rfind("\n")
    return text[: cut + 1] if cut > 0 else text


def _chunks(source: Source) -> Iterator[bytes]:
    """``source`` in blocks of 16 MiB, then one empty block."""
    stream = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    with stream:
        while chunk := stream.read(16 << 20):
            yield chunk
    yield b""


def first_undecodable(source: Source, encoding: str) -> tuple[int, int, int] | None:
    """(line, byte, offset) of the first byte of ``source`` that is not ``encoding`` text, read
    in blocks; None when all of it is. UnicodeError for a codec that names no byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = offset = 0
    for chunk in _chunks(source):
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as err:
            at = err.start - (len(err.object) - len(chunk))  # position within this chunk
            line = lines + chunk.count(b"\n", 0, max(at, 0)) + 1
            return line, err.object[err.start], offset + at
        lines += chunk.count(b"\n")
        offset += len(chunk)
    return None


def check_decodable(
    source: Source, where: str, encoding: str = "utf-8", option: str = "encoding"
) -> None:
    """Stream through ``source``; DataError naming the line of the first undecodable byte."""
    try:
        bad = first_undecodable(source, encoding)
    except UnicodeError as err:
        raise _codec_error(where, encoding, err) from None
    if bad is not None:
        raise _decode_error(where, encoding, bad, source, option)


def _codec_error(where: str, encoding: str, err: UnicodeError) -> DataError:
    """A codec's refusal that names no byte (recheck: ``--encoding utf-16`` on a file without
    a byte-order mark said "This is a bug in movierate")."""
    return DataError(
        f"{where} cannot be read as {encoding} ({err}). If it is UTF-16 without a byte-order "
        "mark, say utf-16-le or utf-16-be; else give the encoding it is saved in (UTF-8 is "
        "the default)."
    )


def misread_utf8_note(head: bytes, where: str, encoding: str) -> str | None:
    """A notice when a file read as a one-byte encoding (latin-1, cp1252) is valid UTF-8 with
    accented letters, which that reading garbles ('Amélie' as 'AmÃ©lie'; recheck: following the
    ratings file's --encoding advice garbled the items file's titles), else None."""
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        return None
    if head.isascii() or codecs.lookup(encoding).name.startswith("utf"):
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    word = next((w for w in text.split() if not w.isascii()), None)
    if word is None:
        return None
    shown = word.encode("utf-8").decode(encoding, errors="replace")
    return (
        f"{where} reads as UTF-8 text, but was read as {encoding}: its accented letters come "
        f"out garbled ({word!r} as {shown!r}). If it is UTF-8, import it again with that "
        "file read as UTF-8 (each file can have its own: CLI --encoding and --items-encoding; "
        "Python encoding= and items_encoding=)."
    )


#: Bytes 0x80-0x9F: Windows-1252's punctuation (– ’ “ ” … €), control characters in latin-1.
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def control_characters_note(
    source: Source, where: str, encoding: str, option: str = "encoding"
) -> str | None:
    """Bad-input round 36, F2: a file read as latin-1 (or another one-byte encoding that makes
    bytes 0x80-0x9F invisible C1 control characters) that holds such bytes is Windows text.
    DataError when it reads as cp1252 (Excel's 'CSV (Comma delimited)' on Windows): latin-1
    stored 'Director\x92s' and dropped '…' (U+0085 is whitespace to strip()), while the
    import again with cp1252 loses nothing. A notice when cp1252 cannot read it either (some
    other code page); None when no such byte is read so (UTF-8 text has its own notice)."""
    c1 = bytes(range(0x80, 0xA0)).decode(encoding, errors="ignore")
    if len(c1) != 32 or not all("\x80" <= c <= "\x9f" for c in c1):
        return None
    found = _first_match(source, _C1_BYTES)
    if found is None or first_undecodable(source, "utf-8") is None:
        return None
    line, byte = found
    shown = f"line {line}: byte 0x{byte:02x}"
    if first_undecodable(source, "cp1252") is None:
        raise DataError(
            f"{where} was read as {encoding}, which turns its Windows punctuation into invisible "
            f"control characters ({shown} is {bytes([byte]).decode('cp1252')!r} in cp1252, "
            f"U+{byte:04X} in {encoding}). It reads as cp1252, the Windows default: import it "
            f"again with that file read as cp1252 ({_how_to_say(option, 'cp1252')})."
        )
    return (
        f"{where} was read as {encoding}, which turns its bytes 0x80-0x9F into invisible "
        f"control characters ({shown}), and it is not cp1252 (Windows) text either. If its "
        "text looks wrong, import it again saying the encoding it was saved in (cp1250 for "
        "Central European Windows, cp1251 for Cyrillic, mac-roman, ...: "
        f"{_how_to_say(option, 'NAME')}), or save it as UTF-8."
    )


def _first_match(source: Source, pattern: re.Pattern[bytes]) -> tuple[int, int] | None:
    """(line, byte) of the first byte of ``source`` that ``pattern`` matches, else None."""
    lines = 0
    for chunk in _chunks(source):
        if hit := pattern.search(chunk):
            return lines + chunk.count(b"\n", 0, hit.start()) + 1, chunk[hit.start()]
        lines += chunk.count(b"\n")
    return None


def _how_to_say(option: str, encoding: str) -> str:
    """Where each surface takes a file's encoding: ``option`` is from_csv's argument for it."""
    items = " --items ITEMS" if option == "items_encoding" else ""
    flag = "--" + option.replace("_", "-")
    return (
        "Home: 'Options: columns, text encoding, rating scale'; CLI: datasets FILE"
        f"{items} --name NAME {flag} {encoding}; Python: {option}='{encoding}'"
    )


def _decode_error(
    where: str,
    encoding: str,
    bad: tuple[int, int, int],
    source: Source,
    option: str = "encoding",
    holds: str = "the ratings",
) -> DataError:
    """The error for undecodable text at ``bad`` (line, byte, offset) of ``source``; names
    UTF-16/32 when the file's first bytes say so, else cp1252 where it reads the file. A binary
    file is told to pick the file that ``holds`` what it should (bad-input round 63, F5: the
    items file was told to pick the ratings file)."""
    line, byte, offset = bad
    head = read_head(source)
    found = bom_encoding(head)
    if found is not None and not encoding.lower().replace("-", "").startswith(found[:5]):
        fix = f"it is {found.upper()} text (it starts with a {found.upper()} byte-order mark)"
        hint = found
    elif b"\x00" in head[:4096] and "16" not in encoding and "32" not in encoding:
        found16 = looks_like_utf16(head)
        if found16 is None:  # bad-input round 17: random bytes were called UTF-16
            return DataError(
                f"{where} is not text: its bytes are no text in any encoding (line {line}, "
                f"offset {offset}). Pick the file that holds {holds}, as CSV or TSV text."
            )
        fix = "it holds NUL bytes, as UTF-16 text without a byte-order mark does"
        hint = found16
    elif codecs.lookup(encoding).name != "cp1252" and first_undecodable(source, "cp1252") is None:
        # bad-input round 36, F2: latin-1 was named whatever the bytes, and stored a Windows
        # file's '–' and '’' as control characters
        fix, hint = "it reads as cp1252, the Windows default", "cp1252"
    else:
        fix, hint = "", "latin-1"
    return DataError(
        f"{where}: line {line} cannot be decoded as {encoding} (byte 0x{byte:02x} at offset "
        f"{offset:,}{'; ' + fix if fix else ''}). Save the file as UTF-8, or say which encoding "
        f"it uses when importing it as a CSV ({_how_to_say(option, hint)})."
    )


def looks_like_utf16(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when ``head`` reads as UTF-16 text without a
    byte-order mark (most byte pairs an ASCII character beside a NUL byte, on one side), else
    None: a binary file's NULs are scattered, and an all-zero or int16 file has no characters
    beside them (recheck E, s26: both were called UTF-16, and big-endian text told to say le)."""
    pairs = head[: len(head) // 2 * 2]
    if len(pairs) < 4:
        return None
    even, odd = pairs[0::2], pairs[1::2]
    for zeros, chars, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        text = [c for z, c in zip(zeros, chars, strict=True) if z == 0]
        printable = sum(c in (9, 10, 13) or 32 <= c < 127 for c in text)
        if len(text) >= 0.6 * len(even) and printable >= 0.9 * len(text):
            return name
    return None


#: Spreadsheet workbooks by their file name's ending (an .xlsx is a zip inside).
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
#: How to turn a sheet into text movierate reads.
SAVE_AS_CSV = (
    "in the spreadsheet app, save the sheet as CSV (Excel: File > Save As > 'CSV UTF-8'; "
    "Google Sheets: File > Download > CSV)"
)

#: What to do with a file that holds no table at all (``{holds}``: what it should hold).
_INSTEAD = "find the file that holds {holds}"
#: Leading bytes of binary formats people pick by mistake -> (what it is, what to do instead).
BINARY_SIGNATURES: dict[bytes, tuple[str, str]] = {
    b"\x1f\x8b": ("a gzip-compressed file", "decompress it first (for example gunzip FILE.gz)"),
    b"PK\x03\x04": (
        "a zip archive (or an Excel .xlsx workbook)",
        "unzip it (a workbook: save the sheet as CSV)",
    ),
    b"PK\x05\x06": ("an empty zip archive", _INSTEAD),
    b"BZh": ("a bzip2-compressed file", "decompress it first (for example bunzip2 FILE.bz2)"),
    b"\xfd7zXZ\x00": ("an xz-compressed file", "decompress it first (for example unxz FILE.xz)"),
    b"PAR1": ("a Parquet file", "export it as CSV (pandas: pd.read_parquet(f).to_csv(...))"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (
        "an old Excel (.xls) or other Office file",
        "save the sheet as CSV",
    ),
    b"%PDF-": ("a PDF document", "export the table as CSV"),
    # bad-input round 63, F3: a PNG was told to save itself as UTF-8
    b"\x89PNG\r\n\x1a\n": ("a PNG image", _INSTEAD),
    b"\xff\xd8\xff": ("a JPEG image", _INSTEAD),
    b"GIF87a": ("a GIF image", _INSTEAD),
    b"GIF89a": ("a GIF image", _INSTEAD),
}


def check_not_empty(source: Source, where: str, holds: str = "the ratings") -> None:
    """DataError when ``source`` is empty, blank or a known binary format (not text); the
    message asks for the file that ``holds`` what it should."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    head = read_head(source)
    if size == 0 or not head.strip():
        raise DataError(f"{where} is empty (no text in it). Pick the file that holds {holds}.")
    # text formats by their start in lower case, after a BOM and blank lines (bad-input round
    # 16: JSON was told to rename its header, a web page to pass delimiter=)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1000].lower()
    named = [
        named
        for signature, named in BINARY_SIGNATURES.items()
        if head.startswith(signature) and (signature != b"BZh" or head[4:10] == b"1AY&SY")
    ]
    named += [
        named for pattern, named in TEXT_SIGNATURES.items() if re.match(pattern, text, re.DOTALL)
    ]
    if archive := archive_kind(head):  # bad-input round 23: gunzip left a .tar, "not text"
        named.insert(0, archive)
    if named and where.lower().endswith(WORKBOOKS):  # a zip, as workbooks are: say which
        named.insert(0, ("a spreadsheet workbook", SAVE_AS_CSV))
    if head.startswith(b"PK\x03\x04") and (inside := zip_kind(source)):
        named.insert(0, inside)
    if named:
        kind, fix = named[0]
        fix = fix.replace("{holds}", holds)
        end = "" if fix.endswith(".") else ", then pick that file."  # a whole sentence or not
        raise DataError(f"{where} is {kind}, not delimited text: {fix}{end}")


def zip_names(source: Source | BinaryIO) -> list[str] | None:
    """The member names of the zip ``source``; None when it is no readable zip."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with zipfile.ZipFile(stream) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def npz_arrays(names: list[str]) -> list[str] | None:
    """The array names of a NumPy ``.npz`` with the member ``names`` (each ``NAME.npy``), else
    None."""
    if not names or not all(name.endswith(".npy") for name in names):
        return None
    return [name.removesuffix(".npy") for name in names]


def zip_kind(source: Source | BinaryIO) -> tuple[str, str] | None:
    """(what, what to do) for a zip whose member names say what it is: a saved Keras model,
    NumPy ``.npz`` arrays or a spreadsheet workbook; None for any other zip (bad-input round
    63, F1: a model.keras was "a zip archive" and sent to the MovieLens-zip import). ``{holds}``
    in what to do stands for what the file should hold."""
    names = zip_names(source) or []
    instead = _INSTEAD + " (a CSV or TSV export)"
    if {"config.json", "model.weights.h5"} <= set(names):
        what = "a saved Keras model (a zip of config.json and model.weights.h5)"
        return what, "a model is no data to import; " + instead
    if arrays := npz_arrays(names):
        shown = ", ".join(arrays[:4]) + (", ..." if len(arrays) > 4 else "")
        return f"a NumPy .npz archive of arrays ({shown})", instead
    if "xl/workbook.xml" in names:
        return "an Excel workbook", SAVE_AS_CSV
    if "content.xml" in names and "mimetype" in names:
        return "an OpenDocument (.ods) spreadsheet or document", SAVE_AS_CSV
    return None


#: How text formats other than delimited tables start (a pattern of the lower-cased start,
#: after a BOM and blank lines) -> (what, what to do). Pretty-printed JSON and a page opening
#: with a comment too (recheck B, s26).
TEXT_SIGNATURES: dict[bytes, tuple[str, str]] = {
    rb"(<!--.*?-->\s*)*<(!doctype html|html)": (
        "a web page (HTML)",
        "download the data file itself, not the page",
    ),
    rb"\[\s*\{": ("JSON", "export it as CSV (pandas: pd.read_json(f).to_csv(...))"),
    rb'\{\s*"': (
        "JSON (or JSON Lines)",
        "export it as CSV (pandas: pd.read_json(f, lines=True).to_csv(...))",
    ),
}


#: Archives other than zip by their first bytes -> (what, the command that extracts one).
ARCHIVES: dict[bytes, tuple[str, str]] = {
    b"7z\xbc\xaf\x27\x1c": ("a 7-Zip archive", "7z x FILE"),
    b"Rar!\x1a\x07": ("a RAR archive", "unrar x FILE"),
}
#: What to do with an archive that may hold a dataset folder (bad-input round 68, F4-F5: "extract
#: the ratings file from it" dropped the movies file, and with it the titles and genres).
FOLDER_ARCHIVE_FIX = (
    "extract it ({command}). A dataset folder in it (ratings and movies files): zip {folder} "
    "and import that zip, or give the folder to the command line (python -m movierate "
    "datasets FOLDER), so the titles come along; a lone ratings file: import that file."
)


def archive_kind(head: bytes) -> tuple[str, str] | None:
    """(what, what to do) for an archive other than zip (7-Zip, RAR, tar, ``.tar.gz``) by its
    first bytes ``head``; else None."""
    for signature, (what, command) in ARCHIVES.items():
        if head.startswith(signature):
            return what, FOLDER_ARCHIVE_FIX.format(command=command, folder="that folder")
    return _tar_kind(head)


def _tar_kind(head: bytes) -> tuple[str, str] | None:
    """(what, what to do) for a tar archive, plain or gzip-compressed (``.tar.gz``), by the
    'ustar' mark of its first header; else None. Unless its first member is a lone file, the
    advice is :data:`FOLDER_ARCHIVE_FIX`, naming the folder it starts with."""
    what, command, tar = "a tar archive", "tar -xf FILE", head
    if head.startswith(b"\x1f\x8b"):
        try:
            tar = zlib.decompressobj(wbits=31).decompress(head, 1 << 16)
        except zlib.error:
            return None
        what, command = "a gzip-compressed tar archive (.tar.gz)", "tar -xzf FILE"
    if tar[257:262] != b"ustar":
        return None
    try:  # tarfile reads the pax and GNU headers that may come first
        with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
            first = archive.next()
    except (tarfile.TarError, EOFError):
        first = None
    name = first.name.removeprefix("./") if first is not None else ""
    if first is not None and first.isfile() and "/" not in name:
        return what, f"extract the ratings file from it ({command})"
    folder = name.split("/")[0]
    shown = f"the folder {folder}/" if folder not in ("", ".") else "that folder"
    return what, FOLDER_ARCHIVE_FIX.format(command=command, folder=shown)


def read_head(source: Source, n_bytes: int = 65536) -> bytes:
    """The first ``n_bytes`` of a file or buffer."""
    if isinstance(source, Path):
        with source.open("rb") as f:
            return f.read(n_bytes)
    return source[:n_bytes]


def read_table(
    source: Source,
    where: str,
    *,
    delimiter: str,
    column_names: list[str] | None,
    include: list[str],
    types: dict[str, pa.DataType],
    skip_rows: int = 0,
    encoding: str = "utf8",
) -> pd.DataFrame:
    """Parse ``include`` columns of a delimited file with pyarrow (multi-threaded).

    ``column_names=None`` takes names from the header row. If a value does not convert to its
    type, the columns are re-read as text so the caller's validation can name the bad rows.
    """
    read, parse = _options(delimiter, column_names, skip_rows, encoding)
    text_types = {name: pa.string() for name in include}
    if _has_hex(source):  # pyarrow reads "0x1F" as the integer 31: keep such values as text
        types = text_types
    try:
        table = _read(source, read, parse, include, types)
    except pa.ArrowInvalid:
        try:
            table = _read(source, read, parse, include, text_types)
        except pa.ArrowInvalid as err:
            if _header_only(source, skip_rows + (column_names is None)):
                return pd.DataFrame({name: np.array([], dtype=object) for name in include})
            raise _parse_error(source, where, err, delimiter, encoding) from None
    return _to_pandas(table)


def _options(
    delimiter: str, column_names: list[str] | None, skip_rows: int, encoding: str
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions]:
    read = pacsv.ReadOptions(
        column_names=column_names,
        skip_rows=skip_rows,
        encoding=encoding,
        block_size=16 << 20,
    )
    return read, pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)


# "-0" is not plain: it is 0 written another way (bad-input round 10: merged without a notice)
_PLAIN_INTEGER = r"^\s*(0|-?[1-9][0-9]*)\s*$"


def irregular_integers(
    source: Source,
    *,
    delimiter: str,
    column_names: list[str] | None,
    columns: list[str],
    skip_rows: int = 0,
    encoding: str = "utf8",
) -> list[str]:
    """Those of ``columns`` (read as numbers) where some value is not written as a plain
    integer (``007``, ``+7``, ``7.0``, ``1e3``): two spellings of one number may hide there.
    The columns are read as text in blocks, so memory stays bounded."""
    read, parse = _options(delimiter, column_names, skip_rows, encoding)
    convert = pacsv.ConvertOptions(
        include_columns=columns, column_types=dict.fromkeys(columns, pa.string())
    )
    stream = source if isinstance(source, Path) else io.BytesIO(source)
    found: list[str] = []
    with pacsv.open_csv(
        stream, read_options=read, parse_options=parse, convert_options=convert
    ) as blocks:
        for block in blocks:
            found += [name for name in columns if name not in found and not _plain(block[name])]
            if len(found) == len(columns):
                break
    return found


def first_match(
    source: Source,
    *,
    delimiter: str,
    column_names: list[str] | None,
    column: str,
    has: str,
    lacks: str,
    skip_rows: int = 0,
    encoding: str = "utf8",
) -> tuple[int, str] | None:
    """The row and text of the first value of ``column`` (read as text, in blocks) that matches
    the regex ``has`` but not ``lacks``; None when no value does."""
    read, parse = _options(delimiter, column_names, skip_rows, encoding)
    convert = pacsv.ConvertOptions(include_columns=[column], column_types={column: pa.string()})
    stream = source if isinstance(source, Path) else io.BytesIO(source)
    row = 0
    with pacsv.open_csv(
        stream, read_options=read, parse_options=parse, convert_options=convert
    ) as blocks:
        for block in blocks:
            text = block[column]
            hit = pc.and_(
                pc.match_substring_regex(text, has),
                pc.invert(pc.match_substring_regex(text, lacks)),
            )
            found = np.flatnonzero(hit.fill_null(False).to_numpy(zero_copy_only=False))
            if len(found):
                return row + int(found[0]), str(text[int(found[0])].as_py())
            row += len(text)
    return None


def _plain(text: pa.Array) -> bool:
    return pc.all(pc.match_substring_regex(text, _PLAIN_INTEGER)).as_py() is not False


def _header_only(source: Source, header_lines: int) -> bool:
    """True when ``source`` holds nothing but its header line(s) (pyarrow cannot skip a header
    without a newline after it): the caller then reports that it holds no ratings."""
    head = read_head(source)
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    return size == len(head) and len([ln for ln in head.splitlines() if ln.strip()]) <= header_lines


def _has_hex(source: Source) -> bool:
    """True when ``0x`` / ``0X`` occurs anywhere in ``source`` (read in chunks)."""
    if not isinstance(source, Path):
        return b"0x" in source or b"0X" in source
    tail = b""
    with source.open("rb") as f:
        while chunk := f.read(16 << 20):
            block = tail + chunk
            if b"0x" in block or b"0X" in block:
                return True
            tail = chunk[-1:]
    return False


def _read(source, read, parse, include, types) -> pa.Table:
    convert = pacsv.ConvertOptions(
        include_columns=include,
        column_types=types,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=[],  # "true" / "false" are text, never silently 1 / 0
        false_values=[],
    )
    stream = source if isinstance(source, Path) else io.BytesIO(source)
    return pacsv.read_csv(stream, read_options=read, parse_options=parse, convert_options=convert)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Numeric columns as plain numpy arrays (NaN for nulls), text as object arrays."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns[name] = np.asarray(column.to_pylist(), dtype=object)
        elif pa.types.is_integer(column.type) and column.null_count:
            columns[name] = column.to_numpy().astype(np.float64)  # nulls -> NaN, caught later
        else:  # per chunk then one concatenate: ChunkedArray.to_numpy is far slower here
            chunks = [chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks]
            columns[name] = np.concatenate(chunks) if chunks else column.to_numpy()
    return pd.DataFrame(columns, copy=False)


def _parse_error(
    source: Source, where: str, err: Exception, delimiter: str, encoding: str
) -> DataError:
    message = str(err)
    if "UTF8" in message or "UTF-8" in message:
        decode(read_bytes(source), where, "utf-8" if encoding == "utf8" else encoding)
    shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", ":": "'::'"}
    return DataError(
        f"{where} could not be parsed as {shown.get(delimiter, repr(delimiter))}-separated text: "
        f"{message.strip()}. Check that every row has the same number of fields and that the file "
        "is not truncated."
    )
