"""What every source generator shares: templates and value pools from the samples, ids, dates, payload files.

A source generator (`bench/scale/<source>.py`) renders places in its
producer's raw format, starting from a real record of the bundled sample
(`pipeline/sources/<source>/sample/`) and varying it with values drawn from
all the sample's records (`Pools`) and the source's vocabularies.
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, ClassVar

from pipeline import sources
from pipeline.http import now_iso
from pipeline.sources.base import RawFile, Source

from bench.scale import noise, world

Record = dict[str, Any]


@dataclass
class Plan:
    """What to generate: scale, reference date, seed, and the share of invalid values."""

    scale: float
    reference_date: date
    seed: int
    invalid_share: float = 0.01

    def count(self, national: int) -> int:
        """A national count at this scale; never zero, so every source is represented."""
        return max(2, round(national * self.scale))


@dataclass
class Context:
    """What a generator draws from: the plan, a seeded random source, the places other sources already hold."""

    plan: Plan
    rng: random.Random
    places: dict[str, list[world.Place]] = field(default_factory=dict)
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

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


class Pools:
    """Every value the sample records hold, by field: the variety a generated record draws from."""

    def __init__(self, records: Iterable[Record]):
        self.values: dict[str, list[str]] = {}
        self.items: dict[str, list[str]] = {}
        for record in records:
            for key, value in record.items():
                if value in (None, "", [], {}):
                    continue
                self.values.setdefault(key, []).append(json.dumps(value, ensure_ascii=False, sort_keys=True))
                if isinstance(value, list):
                    self.items.setdefault(key, []).extend(json.dumps(v, ensure_ascii=False, sort_keys=True)
                                                          for v in value)
        self.values = {k: sorted(set(v)) for k, v in self.values.items()}
        self.items = {k: sorted(set(v)) for k, v in self.items.items()}

    def one(self, key: str, rng: random.Random, default: Any = None) -> Any:
        pool = self.values.get(key)
        return json.loads(rng.choice(pool)) if pool else default

    def some(self, key: str, rng: random.Random, most: int = 3, extra: Sequence[Any] = ()) -> list[Any]:
        """1 to `most` distinct items of a list field (plus optional extra candidates)."""
        pool = [json.loads(v) for v in self.items.get(key, [])] + list(extra)
        return rng.sample(pool, min(len(pool), rng.randint(1, most))) if pool else []


class Generator:
    """One source's generator; subclasses say what a record is and how files are written and read."""

    source: ClassVar[Source]
    national: ClassVar[dict[str, int]]  # records per stream at scale 1

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        raise NotImplementedError

    def files(self, records: dict[str, list[Record]], ctx: Context) -> list[tuple[RawFile, int]]:
        """The payload files and the number of records each holds (as the source's parser counts them)."""
        raise NotImplementedError

    def read(self, files: list[RawFile]) -> dict[str, list[Record]]:
        """Records back from an archive's files (for the next-day archive)."""
        return {stream: [r for f in files if f.stream == stream for r in self.source.parse(f)]
                for stream in self.source.streams}

    def record_id(self, stream: str, record: Record) -> str:
        raise NotImplementedError

    def modify(self, stream: str, record: Record, ctx: Context) -> Record:
        """The record as its producer updated it (a field or two changed, date of update moved)."""
        raise NotImplementedError

    def add(self, stream: str, records: dict[str, list[Record]], ctx: Context) -> list[Record]:
        """New records of a stream appearing in the next-day archive."""
        raise NotImplementedError

    def dependants(self, stream: str, removed: set[str], records: dict[str, list[Record]]) -> dict[str, set[str]]:
        """Ids of other streams to remove with removed records (services of a removed structure)."""
        return {}

    def entities(self, records: dict[str, list[Record]]) -> dict[str, int]:
        """Raw records of each published entity (what `int__accounting` counts as raw)."""
        return {entity: len(records.get(entity, [])) for entity in ("structures", "services")}


def apply_changes(generator: Generator, records: dict[str, list[Record]], share: float, ctx: Context) -> dict[str, int]:
    """Change `share` of each stream's records in place: a quarter removed, a quarter added, half modified."""
    rng = ctx.rng
    done = {"removed": 0, "added": 0, "modified": 0}
    for stream in generator.source.streams:
        rows = records.get(stream, [])
        if not rows:
            continue
        changed = max(round(len(rows) * share), 3)
        removing, adding = changed // 4 or 1, changed // 4 or 1
        ids = sorted({generator.record_id(stream, r) for r in rows})
        removed = set(rng.sample(ids, min(removing, len(ids) - 1)))
        kept = [r for r in rows if generator.record_id(stream, r) not in removed]
        done["removed"] += len(rows) - len(kept)
        for other, gone in generator.dependants(stream, removed, records).items():
            before = len(records[other])
            records[other] = [r for r in records[other] if generator.record_id(other, r) not in gone]
            done["removed"] += before - len(records[other])
        for i in rng.sample(range(len(kept)), min(changed - removing - adding, len(kept))):
            kept[i] = generator.modify(stream, kept[i], ctx)
            done["modified"] += 1
        records[stream] = kept
        for _ in range(adding):
            new = generator.add(stream, records, ctx)
            records[stream].extend(new)
            done["added"] += len(new)
    return done


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


def copy(record: Record) -> Record:
    return json.loads(json.dumps(record))


def json_file(name: str, stream: str, payload: Any, url: str | None) -> RawFile:
    return RawFile(name=name, stream=stream, content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                   url=url, status=200, fetched_at=now_iso())


def drf_pages(stream: str, records: list[Record], first_url: str, page_size: int) -> list[tuple[RawFile, int]]:
    """A DRF-paginated answer (`count`, `next`, `previous`, `results`), one file per page as the connector names it."""
    pages = [records[i:i + page_size] for i in range(0, len(records), page_size)] or [[]]
    url = lambda n: first_url if n == 1 else f"{first_url}&page={n}"  # noqa: E731
    files = []
    for number, page in enumerate(pages, start=1):
        payload = {"count": len(records), "next": url(number + 1) if number < len(pages) else None,
                   "previous": url(number - 1) if number > 1 else None, "results": page}
        files.append((json_file(f"{stream}-{number:04d}.json", stream, payload, url(number)), len(page)))
    return files


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str = ",",
             quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
