"""Fast, checked reading of delimited text: pyarrow's CSV parser with errors turned into DataError."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from movierate.errors import DataError

Source = Path | bytes


def read_bytes(source: Source) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


def decode(data: bytes, where: str, encoding: str = "utf-8") -> str:
    """``data`` decoded; DataError naming the line and byte if it is not in ``encoding``."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _decode_error(where, encoding, line, data[err.start], err.start) from None
    return text[1:] if text.startswith("\ufeff") else text


def check_decodable(source: Source, where: str, encoding: str = "utf-8") -> None:
    """Stream through ``source``; DataError naming the line of the first undecodable byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    stream = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    lines = offset = 0
    with stream:
        while True:
            chunk = stream.read(16 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                at = err.start - (len(err.object) - len(chunk))  # position within this chunk
                line = lines + chunk.count(b"\n", 0, max(at, 0)) + 1
                raise _decode_error(
                    where, encoding, line, err.object[err.start], offset + at
                ) from None
            if not chunk:
                return
            lines += chunk.count(b"\n")
            offset += len(chunk)


def _decode_error(where: str, encoding: str, line: int, byte: int, offset: int) -> DataError:
    return DataError(
        f"{where}: line {line} cannot be decoded as {encoding} (byte 0x{byte:02x} at offset "
        f"{offset:,}). Save the file as UTF-8, or say which encoding it uses (for example "
        "encoding='latin-1')."
    )


#: Leading bytes of binary formats people pick by mistake -> (what it is, what to do instead).
BINARY_SIGNATURES: dict[bytes, tuple[str, str]] = {
    b"\x1f\x8b": ("a gzip-compressed file", "decompress it first (for example gunzip FILE.gz)"),
    b"PK\x03\x04": (
        "a zip archive (or an Excel .xlsx workbook)",
        "unzip it and pick the text file inside, or save the sheet as CSV",
    ),
    b"BZh": ("a bzip2-compressed file", "decompress it first (for example bunzip2 FILE.bz2)"),
    b"\xfd7zXZ\x00": ("an xz-compressed file", "decompress it first (for example unxz FILE.xz)"),
    b"7z\xbc\xaf\x27\x1c": ("a 7-Zip archive", "extract it and pick the text file inside"),
    b"PAR1": ("a Parquet file", "export it as CSV (pandas: pd.read_parquet(f).to_csv(...))"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (
        "an old Excel (.xls) or other Office file",
        "save the sheet as CSV",
    ),
    b"%PDF-": ("a PDF document", "export the table as CSV"),
}


def check_not_empty(source: Source, where: str) -> None:
    """DataError when ``source`` is empty, blank or a known binary format (not text)."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    head = read_head(source)
    if size == 0 or not head.strip():
        raise DataError(f"{where} is empty (no text in it). Pick the file that holds the ratings.")
    for signature, (kind, fix) in BINARY_SIGNATURES.items():
        if head.startswith(signature) and (signature != b"BZh" or head[4:10] == b"1AY&SY"):
            raise DataError(f"{where} is {kind}, not delimited text: {fix}, then pick that file.")


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
    read = pacsv.ReadOptions(
        column_names=column_names,
        skip_rows=skip_rows,
        encoding=encoding,
        block_size=16 << 20,
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False)
    try:
        table = _read(source, read, parse, include, types)
    except pa.ArrowInvalid:
        try:
            text_types = {name: pa.string() for name in include}
            table = _read(source, read, parse, include, text_types)
        except pa.ArrowInvalid as err:
            raise _parse_error(source, where, err, delimiter, encoding) from None
    return _to_pandas(table)


def _read(source, read, parse, include, types) -> pa.Table:
    convert = pacsv.ConvertOptions(
        include_columns=include,
        column_types=types,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
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
