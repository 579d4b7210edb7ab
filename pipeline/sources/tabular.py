"""Reading producers' text files (CSV): decoding and rows, with file and line in every error.

Text is UTF-8 (a BOM is tolerated) unless the payload declared another charset
in its Content-Type (kept in `RawFile.media_type`). Anything that does not
decode is an error naming the file and the line: a latin-1 file is never
silently mis-decoded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from email.message import Message

from pipeline.sources.base import RawFile, SourceError

UTF8 = {"utf-8", "utf8"}


def declared_charset(media_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type, lower-cased, if any."""
    if not media_type:
        return None
    message = Message()
    message["Content-Type"] = media_type
    charset = message.get_param("charset")
    return str(charset).strip().lower() if charset else None


def decode_text(source: str, file: RawFile) -> str:
    """The file's text; raises SourceError naming the file and the first undecodable line."""
    charset = declared_charset(file.media_type) or "utf-8"
    try:
        return file.content.decode("utf-8-sig" if charset in UTF8 else charset)
    except LookupError:
        raise SourceError(f"{source}: file {file.name} declares an unknown charset {charset!r}") from None
    except UnicodeDecodeError as exc:
        line = file.content.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{source}: file {file.name}, line {line}: not {charset.upper()} text "
            f"(byte 0x{file.content[exc.start]:02x}); the file must be UTF-8 or declare its charset"
        ) from None


def is_csv(file: RawFile) -> bool:
    """A CSV payload, by its name or its declared media type."""
    return file.name.lower().endswith(".csv") or "csv" in (file.media_type or "").lower()


def csv_rows(source: str, file: RawFile, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every non-blank row; multi-line quoted cells are one row."""
    reader = csv.reader(io.StringIO(decode_text(source, file), newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(f"{source}: file {file.name}, line {reader.line_num}: unreadable CSV ({exc})") from None
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 1


def csv_records(
    source: str, file: RawFile, required: tuple[str, ...] = (), delimiter: str = ","
) -> Iterator[dict[str, object]]:
    """One dict per data row, keyed by the header; a missing column or a ragged row is an error."""
    rows = csv_rows(source, file, delimiter)
    first = next(rows, None)
    if first is None:
        raise SourceError(f"{source}: file {file.name} is empty (expected a CSV header line)")
    _, header = first
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        raise SourceError(
            f"{source}: file {file.name}, line 1: the header lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(header[:40])}"
        )
    for line, row in rows:
        if len(row) != len(header):
            raise SourceError(
                f"{source}: file {file.name}, line {line}: {len(row)} fields where the header has {len(header)}"
            )
        yield row_dict(header, row)


def row_dict(header: list[str], cells: list[object]) -> dict[str, object]:
    """Cells by column name; a name given twice keeps its first non-empty cell."""
    record: dict[str, object] = {}
    for name, cell in zip(header, cells):
        if not name:
            continue
        if record.get(name) in (None, ""):
            record[name] = cell
    return record
