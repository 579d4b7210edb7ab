"""What the small pages show, read from the warehouse: sources, counts, errors, changes, downloads.

Optional tables (written by stages that may not be there yet) are read only
when they exist, so the site builds from any warehouse a run leaves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pipeline.quality.reports import top_errors
from pipeline.sources.base import Source
from pipeline.warehouse import table_exists
from pipeline.website.config import SiteConfig

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
ENTITIES = ("structures", "services")
STATUS_LABELS = {"ok": "à jour", "stale": "ancienne collecte", "failed": "échec", "kept": "reprise",
                 "absent": "absente"}
ORIGIN_LABELS = {"live": "API du producteur", "sample": "échantillon fourni", "input": "fichier fourni",
                 "replay": "rejeu d’une archive"}


@dataclass(frozen=True)
class Freshness:
    """How a source's data came into this release (from the collect stage or its archive)."""

    status: str = "absent"
    origin: str | None = None
    last_fetch: str | None = None
    stale_since: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Download:
    table: str
    format: str
    path: str
    bytes: int
    rows: int
    sha256: str


@dataclass
class SourceInfo:
    name: str
    title: str
    producer: str
    licence: str
    homepage: str
    protocol: str
    freshness: Freshness
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    last_changed: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, list[int]] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.freshness.status, self.freshness.status)

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS.get(self.freshness.origin or "", self.freshness.origin or "—")

    def total(self, column: str) -> int:
        return sum(c.get(column, 0) for c in self.counts.values())


@dataclass
class SiteData:
    reference_date: date
    config: SiteConfig
    sources: list[SourceInfo]
    downloads: list[Download]
    totals: dict[str, int]
    changes: dict[str, dict[str, dict[str, int]]]
    departements: dict[str, str]
    reports: list[str]


def departements() -> dict[str, str]:
    """Code -> name of every département and overseas collectivity (vendored reference)."""
    with (REFERENCE_DIR / "departements.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["nom"] for row in csv.DictReader(handle)}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, dict[str, int]]]:
    if not table_exists(con, "int__accounting"):
        return {}
    out: dict[str, dict[str, dict[str, int]]] = {}
    rows = con.execute("select source, entity, raw, published, quarantined, excluded from int__accounting "
                       "order by source, entity").fetchall()
    for source, entity, raw, published, quarantined, excluded in rows:
        out.setdefault(source, {})[entity] = {"raw": raw, "published": published,
                                              "quarantined": quarantined, "excluded": excluded}
    return out


def score_histograms(con: duckdb.DuckDBPyConnection, bins: int = 10) -> dict[str, dict[str, list[int]]]:
    """Per source and table: counts of `score_qualite` in `bins` equal bins over [0, 1], when published."""
    out: dict[str, dict[str, list[int]]] = {}
    for table in ENTITIES:
        columns = {c for (c,) in con.execute(f"select column_name from (describe pub__{table})").fetchall()}
        if "score_qualite" not in columns:
            continue
        rows = con.execute(
            f"select source, least(floor(score_qualite * {bins}), {bins - 1})::int as bin, count(*) "
            f"from pub__{table} where score_qualite is not null group by all order by all"
        ).fetchall()
        for source, bin_, n in rows:
            out.setdefault(source, {}).setdefault(table, [0] * bins)[max(bin_, 0)] += n
    return out


def last_changes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not table_exists(con, "int__registry"):
        return {}
    rows = con.execute("select source, max(last_changed)::varchar from int__registry where present group by source").fetchall()
    return dict(rows)


def changes_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, dict[str, int]]]:
    """Source -> table -> kind -> count, from this release's `int__changes`."""
    if not table_exists(con, "int__changes"):
        return {}
    out: dict[str, dict[str, dict[str, int]]] = {}
    rows = con.execute('select source, "table", kind, count(*) from int__changes group by all order by all').fetchall()
    for source, table, kind, n in rows:
        out.setdefault(source, {}).setdefault(table, {})[kind] = n
    return out


def source_infos(con: duckdb.DuckDBPyConnection, sources: list[Source],
                 freshness: dict[str, Freshness]) -> list[SourceInfo]:
    counts, scores, changed = _counts(con), score_histograms(con), last_changes(con)
    has_errors = table_exists(con, "int__errors")
    infos = []
    for s in sorted(sources, key=lambda s: s.name):
        infos.append(SourceInfo(
            name=s.name, title=s.title, producer=s.producer, licence=s.licence, homepage=s.homepage,
            protocol=s.protocol, freshness=freshness.get(s.name, Freshness()),
            counts=counts.get(s.name, {}), last_changed=changed.get(s.name),
            errors=top_errors(con, s.name) if has_errors else [], scores=scores.get(s.name, {}),
        ))
    return infos


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from pub__{t}").fetchall()[0][0] for t in ENTITIES}


def reports(release: Path) -> list[str]:
    """Report files the release holds (`reports/*`), as paths relative to the release."""
    folder = release / "reports"
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(release).as_posix() for p in folder.rglob("*") if p.is_file())
