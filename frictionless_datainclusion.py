"""Frictionless plugin: validate our Parquet and JSON files exactly like our CSV files.

Two gaps of frictionless-py 5.x, fixed here:

- Parquet is read through pandas, which turns a native list column into numpy
  arrays; the `array` field then reports every non-empty list as a type
  error. Our Parquet files use native list columns (thematiques, publics…),
  so this plugin reads Parquet with pyarrow's own Python conversion, which
  yields plain lists, dates and numbers.
- Byte counts and hashes are computed only when a parser reads the file with
  `read1` (as the CSV parser does); the JSON parser (ijson) and Parquet read
  with `read`, so a package declaring `bytes` and `hash` for them fails with
  "actual is None". Our parsers read through `read1`, so both are checked.

frictionless loads any installed module named `frictionless_*`, so installing
this project is enough for `frictionless validate dist/datapackage.json`.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq
from frictionless.formats.parquet.parser import ParquetParser
from frictionless.exception import FrictionlessException
from frictionless.formats.json.parsers.json import JsonParser
from frictionless.system import Plugin


class _Read1Stream:
    """A byte stream whose `read` goes through `read1`, where frictionless counts bytes and hashes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self._stream.read1(1 << 16), b""))
        return self._stream.read1(size)


class _LoaderView:
    """The parser's loader, with its byte stream read through `read1`."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    @property
    def byte_stream(self) -> _Read1Stream:
        return _Read1Stream(self._loader.byte_stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _is_empty_array(path: str) -> bool:
    with open(path, "rb") as handle:
        return b"".join(handle.read(64).split()) == b"[]"


class CountingJsonParser(JsonParser):
    """frictionless' JSON parser, reading through `read1` so `bytes` and `hash` are checked."""

    @property
    def loader(self) -> Any:
        return _LoaderView(super().loader)

    def read_cell_stream_create(self) -> Any:
        """As frictionless, but an empty array is an empty table with the schema's header."""
        stream = super().read_cell_stream_create()
        try:
            yield next(stream)
        except FrictionlessException:
            if self.resource.schema and self.resource.normpath and _is_empty_array(self.resource.normpath):
                yield self.resource.schema.field_names
                return
            raise
        yield from stream


class ListAwareParquetParser(ParquetParser):
    """Parquet parser yielding Python lists for list columns (header row first)."""

    requires_loader = True

    def read_cell_stream_create(self) -> Any:
        # Batch by batch: a sampled validation reads the first rows only, not the whole table.
        parquet = pq.ParquetFile(io.BytesIO(_Read1Stream(self.loader.byte_stream).read()))
        yield parquet.schema_arrow.names
        for batch in parquet.iter_batches(batch_size=10_000):
            columns = [column.to_pylist() for column in batch.columns]
            yield from (list(row) for row in zip(*columns))


class DatainclusionPlugin(Plugin):
    def create_parser(self, resource: Any) -> Any:
        if resource.format in ("parq", "parquet"):
            return ListAwareParquetParser(resource)
        if resource.format == "json" and not resource.data:
            return CountingJsonParser(resource)
        return None
