"""What every source generator shares: templates and value pools from the samples, ids, dates, payload files.

A source generator (`bench/scale/<source>.py`) renders places in its
producer's raw format, starting from a real record of the bundled sample
(`pipeline/sources/<source>/sample/`) and varying it with values drawn from
all the sample's records (`Pools`) and the source's vocabularies.

Records are encoded as soon as they are made and spooled to disk (`Spool`),
so the generator's memory stays that of one source's payload files, even at
ten times the national volume.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pipeline import sources
from pipeline.http import now_iso
from pipeline.sources.base import RawFile, Source

from bench.scale import noise, world

Record = dict[str, Any]
SEPARATOR = b"\x00"  # between spooled rows: never in JSON or CSV text


@dataclass
class Plan:
    """What to generate: scale, reference date, seed, and the share of invalid values."""

    scale: float
    reference_date: date
    seed: int
    invalid_share: float = 0.01

    def count(self, national: int) -> int:
        """A national count at this scale; never below two, so every source is represented."""
        return max(2, round(national * self.scale))

    def parts(self) -> list[float]:
        """The scale in parts of at most 1 (national), generated one after the other to bound memory."""
        whole, rest = divmod(self.scale, 1.0)
        return [1.0] * int(whole) + ([round(rest, 6)] if rest > 1e-9 else [])


@dataclass
class Context:
    """What a generator draws from: the plan, a seeded random source, the places other sources already hold."""

    plan: Plan
    rng: random.Random
    places: dict[str, list[world.Place]] = field(default_factory=dict)
    # (kind or name, code INSEE) -> (sources, place): which sources already hold which place (see `kinds.draw`).
    registry: dict[tuple[str, str], tuple[set[str], world.Place]] = field(default_factory=dict)
    noise: noise.Noise = field(init=False)

    def __post_init__(self) -> None:
        self.noise = noise.Noise(self.rng, self.plan.invalid_share)

    def shared(self, source: str) -> world.Place | None:
        """A place another source already published, as this producer would write it (None if none yet)."""
        pool = self.places.get(source)
        return world.as_written_elsewhere(self.rng.choice(pool), self.rng) if pool else None

    def updated(self, years: float = 3.0) -> date:
        """A last-update date before the reference date, recent ones more likely."""
        days = int(365 * years * self.rng.random() ** 2)
        return self.plan.reference_date - timedelta(days=days + 1)

    def yesterday(self) -> date:
        return self.plan.reference_date - timedelta(days=1)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


class Pools:
    """Every value the sample records hold, by field: the variety a generated record draws from.

    Values are shared between the records that draw them: never modify one in place.
    """

    def __init__(self, records: Iterable[Record]):
        values: dict[str, dict[str, Any]] = {}
        items: dict[str, dict[str, Any]] = {}
        for record in records:
            for key, value in record.items():
                if value in (None, "", [], {}):
                    continue
                values.setdefault(key, {})[json.dumps(value, sort_keys=True)] = value
                for item in value if isinstance(value, list) else ():
                    items.setdefault(key, {})[json.dumps(item, sort_keys=True)] = item
        self.values = {k: [v[s] for s in sorted(v)] for k, v in values.items()}
        self.items = {k: [v[s] for s in sorted(v)] for k, v in items.items()}

    def one(self, key: str, rng: random.Random, default: Any = None) -> Any:
        pool = self.values.get(key)
        return rng.choice(pool) if pool else default

    def some(self, key: str, rng: random.Random, most: int = 3, extra: Sequence[Any] = ()) -> list[Any]:
        """1 to `most` distinct items of a list field (plus optional extra candidates)."""
        pool = self.items.get(key, [])
        if extra:
            pool = pool + list(extra)
        return rng.sample(pool, min(len(pool), rng.randint(1, most))) if pool else []


class Templates:
    """The sample records of a stream, kept as JSON so that each draw is a fresh, independent copy."""

    def __init__(self, records: list[Record]):
        self.texts = [json.dumps(r, ensure_ascii=False) for r in records]

    def draw(self, rng: random.Random) -> Record:
        return json.loads(rng.choice(self.texts))


class Spool:
    """Encoded rows per stream, appended to files under a work folder, read back in order."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.counts: dict[str, int] = {}
        self.handles: dict[str, io.BufferedWriter] = {}

    def add(self, stream: str, row: bytes) -> None:
        if stream not in self.handles:
            self.handles[stream] = (self.folder / f"{stream}.rows").open("wb")
            self.counts[stream] = 0
        self.handles[stream].write(row + SEPARATOR)
        self.counts[stream] += 1

    def count(self, stream: str) -> int:
        return self.counts.get(stream, 0)

    def rows(self, stream: str, chunk: int = 1 << 24) -> Iterator[bytes]:
        if stream not in self.handles:
            return
        self.handles[stream].flush()
        with (self.folder / f"{stream}.rows").open("rb") as handle:
            pending = b""
            while block := handle.read(chunk):
                *complete, pending = (pending + block).split(SEPARATOR)
                yield from complete

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Generator:
    """One source's generator; subclasses say what a record is and how files are written and read."""

    source: ClassVar[Source]
    national: ClassVar[dict[str, int]]  # records per stream at scale 1

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        """The records of one part of the plan (at most the national volume)."""
        raise NotImplementedError

    def encode(self, stream: str, record: Record) -> bytes:
        """One record as it sits in a payload (compact JSON by default)."""
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def files(self, spool: Spool, ctx: Context) -> list[tuple[RawFile, int]]:
        """The payload files and the number of records each holds (as the source's parser counts them)."""
        raise NotImplementedError

    def read(self, file: RawFile) -> list[Record]:
        """Records back from an archived file (for the next-day archive)."""
        return list(self.source.parse(file))

    def record_id(self, stream: str, record: Record) -> str:
        raise NotImplementedError

    def modify(self, stream: str, record: Record, ctx: Context) -> Record:
        """The record as its producer updated it (a field or two changed, date of update moved)."""
        raise NotImplementedError

    def add(self, stream: str, seen: dict[str, list[Record]], ctx: Context) -> Record:
        """A new record of a stream in the next-day archive (`seen`: records already read, per stream)."""
        raise NotImplementedError

    def orphan(self, stream: str, record: Record, removed: set[str]) -> bool:
        """Whether a record goes with a removed record of another stream (a service of a removed structure)."""
        return False

    def entities(self, records: dict[str, list[Record]]) -> dict[str, int]:
        """Raw records of each published entity (what `int__accounting` counts as raw)."""
        return {entity: len(records.get(entity, [])) for entity in ("structures", "services")}


@dataclass
class Changes:
    """Next-day bookkeeping of one source: ids removed so far, some records seen, what was done."""

    removed: set[str] = field(default_factory=set)
    seen: dict[str, list[Record]] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=lambda: {"removed": 0, "added": 0, "modified": 0})


def apply_changes(generator: Generator, stream: str, rows: list[Record], share: float, ctx: Context,
                  changes: Changes) -> list[Record]:
    """One file's records as the next day's: `share` of them changed (a quarter removed, a quarter added,
    half modified), and those that went with a removed record of another stream removed too."""
    rng, done = ctx.rng, changes.done
    kept = [r for r in rows if not generator.orphan(stream, r, changes.removed)]
    done["removed"] += len(rows) - len(kept)
    changed = round(len(kept) * share + rng.random() - 0.5)
    removing = adding = changed // 4
    for i in sorted(rng.sample(range(len(kept)), min(removing, len(kept))), reverse=True):
        changes.removed.add(generator.record_id(stream, kept.pop(i)))
        done["removed"] += 1
    for i in rng.sample(range(len(kept)), min(changed - 2 * removing, len(kept))):
        kept[i] = generator.modify(stream, kept[i], ctx)
        done["modified"] += 1
    seen = changes.seen.setdefault(stream, [])
    seen.extend(kept[:max(0, 1000 - len(seen))])
    for _ in range(adding):
        kept.append(generator.add(stream, changes.seen, ctx))
        done["added"] += 1
    return kept


def sample_records(source: Source, stream: str) -> list[Record]:
    """The records of one stream of the source's bundled sample: the templates."""
    return [r for f in source.sample_files() if f.stream == stream for r in source.parse(f)]


def vocab_values(source: Source, name: str) -> list[str]:
    """Every producer value a vocabulary of the source lists (mapped or deliberately not)."""
    with (source.folder / "vocab" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return sorted({row["source_value"] for row in csv.DictReader(handle)})


# Description fields of the samples: the texts any generated description is drawn from.
TEXT_FIELDS = {"dora": ("shortDesc", "fullDesc"), "emplois-de-linclusion": ("presentation_detail",),
               "mediation-numerique": ("presentation_resume", "presentation_detail")}


@lru_cache(maxsize=1)
def texts() -> tuple[str, ...]:
    found = set()
    for source in sources.select(list(TEXT_FIELDS)):
        for stream in source.streams:
            for record in sample_records(source, stream):
                found.update(str(record[k]).strip() for k in TEXT_FIELDS[source.name] if record.get(k))
    return tuple(sorted(t for t in found if len(t) >= 20))


@lru_cache(maxsize=1)
def sentences() -> tuple[str, ...]:
    """The sentences of the sample descriptions."""
    found = {s.strip() for text in texts() for s in re.split(r"(?<=[.!?])\s+|\n+", text)}
    return tuple(sorted(s for s in found if len(s) >= 15))


def description(rng: random.Random, most: int = 5) -> str:
    """A description of 1 to `most` sample sentences: as varied as real ones (no two alike), in their words."""
    return " ".join(rng.sample(sentences(), rng.randint(1, most)))


def copy(record: Record) -> Record:
    return json.loads(json.dumps(record))


def raw_file(name: str, stream: str, content: bytes, url: str | None, media_type: str = "application/json") -> RawFile:
    return RawFile(name=name, stream=stream, content=content, url=url, status=200, fetched_at=now_iso(),
                   media_type=media_type)


def json_array(name: str, stream: str, rows: Iterable[bytes], url: str | None) -> RawFile:
    return raw_file(name, stream, b"[" + b",".join(rows) + b"]", url)


def pages(rows: Iterator[bytes], total: int, size: int) -> Iterator[list[bytes]]:
    """Rows in pages of `size` (one empty page when there is none)."""
    for start in range(0, max(total, 1), size):
        yield [row for _, row in zip(range(min(size, total - start)), rows)]


def drf_pages(stream: str, spool: Spool, first_url: str, size: int) -> list[tuple[RawFile, int]]:
    """A DRF-paginated answer (`count`, `next`, `previous`, `results`), one file per page as the connector names it."""
    total = spool.count(stream)
    last = max(1, -(-total // size))
    url = lambda n: first_url if n == 1 else f"{first_url}&page={n}"  # noqa: E731
    files = []
    for number, page in enumerate(pages(spool.rows(stream), total, size), start=1):
        head = {"count": total, "next": url(number + 1) if number < last else None,
                "previous": url(number - 1) if number > 1 else None}
        content = json.dumps(head)[:-1].encode() + b', "results": [' + b",".join(page) + b"]}"
        files.append((raw_file(f"{stream}-{number:04d}.json", stream, content, url(number)), len(page)))
    return files


def csv_line(cells: Sequence[Any], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(cells)
    return out.getvalue().encode("utf-8")
