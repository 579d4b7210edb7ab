"""What a source is: its metadata, how it is fetched, how its payloads are read.

A source lives in `pipeline/sources/<folder>/` and holds exactly:
`source.py` (a `SOURCE` object, subclass of `Source`), `mapping.sql`
(optionally `staging.sql`), `vocab/*.csv` and `sample/` with `PROVENANCE.md`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pipeline.http import now_iso
from pipeline.paths import SOURCES_DIR
from pipeline.sources import fastjson

if TYPE_CHECKING:
    import requests

    from pipeline.http import HttpClient


class SourceError(Exception):
    """A source could not be fetched or read; the message names source and place."""


@dataclass(frozen=True)
class RawFile:
    """One payload exactly as received (or as bundled), before parsing."""

    name: str
    stream: str
    content: bytes
    url: str | None = None
    status: int | None = None
    fetched_at: str | None = None
    media_type: str = "application/json"

    @classmethod
    def from_response(
        cls, name: str, stream: str, response: "requests.Response", media_type: str = "application/json"
    ) -> "RawFile":
        """A payload exactly as an HTTP response delivered it, with where and when it came from."""
        return cls(
            name=name,
            stream=stream,
            content=response.content,
            url=response.url,
            status=response.status_code,
            fetched_at=now_iso(),
            media_type=response.headers.get("Content-Type", media_type),
        )


@dataclass
class Record:
    """One raw record of a stream, with where it came from (file and position).

    `data` is the record as JSON text: parsed objects take about ten times the
    memory of their text, and a national run holds a whole source at once.
    """

    stream: str
    file: str
    number: int
    data: str


@dataclass
class FillRate:
    """Expected share of mapped records where a field is filled (0.1, 0.5 or 0.9)."""

    entity: str
    field: str
    minimum: float


class Source:
    """Base class of every source; subclasses set the class attributes and `fetch`."""

    name: ClassVar[str]
    title: ClassVar[str]
    producer: ClassVar[str]
    licence: ClassVar[str]
    homepage: ClassVar[str]
    protocol: ClassVar[str]
    streams: ClassVar[tuple[str, ...]]
    entities: ClassVar[tuple[str, ...]] = ("structures", "services")
    # Default endpoint settings, each overridable by DATAINCLUSION_<SLUG>_<KEY>.
    settings: ClassVar[dict[str, str]] = {}
    # Credential name -> environment variable holding it (never logged).
    credentials: ClassVar[dict[str, str]] = {}
    fill_rates: ClassVar[tuple[FillRate, ...]] = ()
    # Freshness guard (live runs): days without any change before the source is flagged.
    max_age_days: ClassVar[int] = 30
    # vocab CSV name -> SQL listing the raw values the staging tables hold for
    # it; a test checks every value seen in the sample is mapped or listed.
    vocab_inputs: ClassVar[dict[str, str]] = {}

    @property
    def slug(self) -> str:
        """Relation and folder form of the name (`emplois_de_linclusion`)."""
        return self.name.replace("-", "_")

    @property
    def folder(self) -> Path:
        return SOURCES_DIR / self.slug

    def setting(self, key: str) -> str:
        env = f"DATAINCLUSION_{self.slug.upper()}_{key.upper()}"
        value = os.environ.get(env) or self.settings.get(key)
        if not value:
            raise SourceError(f"{self.name}: setting {key!r} is not configured (set {env})")
        return value

    def credential(self, key: str) -> str:
        env = self.credentials[key]
        value = os.environ.get(env)
        if not value:
            raise SourceError(f"{self.name}: credential {key!r} is missing (set the environment variable {env})")
        return value

    def record_id(self, local_id: str) -> str:
        """The published id of a record: `<source>--<producer id>`."""
        return make_id(self.name, local_id)

    # Fetch

    def fetch(self, http: "HttpClient") -> Iterator[RawFile]:
        """Yield every payload of a live fetch, exactly as received."""
        raise NotImplementedError(f"{self.name} has no live fetch")

    # Read

    def sample_files(self) -> list[RawFile]:
        """The bundled sample, one RawFile per file of `sample/` (PROVENANCE.md aside)."""
        return self.input_files(self.folder / "sample")

    def input_files(self, path: Path) -> list[RawFile]:
        """Files in this producer's own format, from a file or a folder."""
        paths = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        files = []
        for p in paths:
            if p.name.upper().startswith(("PROVENANCE", "README")):
                continue
            files.append(RawFile(name=p.name, stream=self.stream_of(p.name), content=p.read_bytes()))
        if not files:
            raise SourceError(f"{self.name}: no input file in {path}")
        return files

    def stream_of(self, filename: str) -> str:
        """Which stream a file holds; by default the stream named at its start."""
        for stream in sorted(self.streams, key=len, reverse=True):
            if filename.startswith(stream):
                return stream
        if len(self.streams) == 1:
            return self.streams[0]
        raise SourceError(f"{self.name}: cannot tell the stream of file {filename!r} (expected a name starting with one of {', '.join(self.streams)})")

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        """Records of one payload; by default a JSON array or a DRF page's `results`."""
        yield from parse_json_records(self.name, file)


def make_id(source: str, local_id: str) -> str:
    return f"{source}--{local_id}"


def parse_json_records(source: str, file: RawFile, envelope: str = "results") -> Iterator[dict[str, Any]]:
    """Records of a JSON payload: an array, or an object holding them under `envelope` (DRF page: `results`)."""
    try:
        payload = fastjson.loads(file.content)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{source}: file {file.name} is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise SourceError(f"{source}: file {file.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    if isinstance(payload, dict) and isinstance(payload.get(envelope), list):
        payload = payload[envelope]
    if not isinstance(payload, list):
        raise SourceError(f"{source}: file {file.name} holds no list of records (expected a JSON array or an object with '{envelope}')")
    for number, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"{source}: file {file.name}, record {number} is not a JSON object")
        yield item


@dataclass
class Collected:
    """What collection produced for one source in one run."""

    source: str
    origin: str
    status: str
    records: dict[str, list[Record]] = field(default_factory=dict)
    archive: Path | None = None
    stale_since: str | None = None
    error: str | None = None
