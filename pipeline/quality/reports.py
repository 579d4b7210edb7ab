"""Stage `reports`: what the run did with every record, published beside the data.

- `reports/validation.json`: Frictionless' report on the published package
  (timings removed, so the same inputs give the same bytes);
- `reports/sources.json`: per source, records received, mapped, quarantined,
  excluded and published, fill rates and their expectations, the most frequent
  errors with examples, the score distribution, and how fresh the data is;
- `reports/quarantine.csv`: every error of every rejected record.

Personal data (courriel, telephone, contact_nom_prenom) never appears in
these files: the field and the rule are named, the value is masked.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb

from pipeline.context import RunContext
from pipeline.quality import tables
from pipeline.quality.compile import quote
from pipeline.quality.errors import MASK, PERSONAL_FIELDS, QualityError, shown_value
from pipeline.sources.base import Source

TOP_ERRORS = 10
EXAMPLES = 3
HISTOGRAM_BINS = 10


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def accounting(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any]:
    out = {}
    for row in _rows(con, "select * from int__accounting where source = ? order by entity", [source]):
        out[row["entity"]] = {
            "raw": row["raw"], "mapped": row["mapped"], "quarantined": row["quarantined"],
            "excluded": row["excluded"], "valid": row["published"], "balanced": row["balanced"],
        }
    return out


def top_errors(con: duckdb.DuckDBPyConnection, source: str, limit: int = TOP_ERRORS) -> list[dict[str, Any]]:
    """The most frequent (table, field, rule) of a source, with a few examples (personal data masked)."""
    groups = _rows(con, """
        select entity, field, code, any_value(severity) as severity, count(*) as count
        from int__errors where source = ? group by all
        order by count desc, entity, field, code limit ?""", [source, limit])
    for group in groups:
        examples = con.execute("""
            select record_id, value from int__errors
            where source = ? and entity = ? and field = ? and code = ?
            order by record_id, value limit ?""",
                               [source, group["entity"], group["field"], group["code"], EXAMPLES]).fetchall()
        group["message"] = QualityError(source, group["entity"], examples[0][0], group["field"], group["code"],
                                        examples[0][1]).detail
        group["examples"] = [{"id": rid, "value": shown_value(group["field"], value)} for rid, value in examples]
    return groups


def _filled(name: str, field_type: str) -> str:
    col = quote(name)
    if field_type == "array":
        return f"len({col}) > 0"
    if field_type == "string":
        return f"{col} <> ''"
    return f"{col} is not null"


def fill_rates(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> dict[str, float]:
    """Share of the source's mapped records where each field is filled (4 decimals)."""
    fields = tables.load(entity)["fields"]
    parts = ", ".join(f"round(avg(coalesce({_filled(f['name'], f['type'])}, false)::int), 4) as {quote(f['name'])}"
                      for f in fields)
    row = _rows(con, f"select count(*) as n, {parts} from int__{entity} where source = ?", [source])[0]
    if not row.pop("n"):
        return {}
    return {name: float(value or 0) for name, value in row.items()}


def expectations(source: Source, rates: dict[str, dict[str, float]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The source's declared fill rates against the actual ones; a shortfall is a warning."""
    checks, warnings = [], []
    for expected in source.fill_rates:
        actual = rates.get(expected.entity, {}).get(expected.field)
        met = actual is not None and actual >= expected.minimum
        checks.append({"entity": expected.entity, "field": expected.field, "minimum": expected.minimum,
                       "actual": actual, "met": met})
        if not met and actual is not None:
            warnings.append(f"{source.name}: {expected.entity}.{expected.field} is filled in {actual:.0%} of "
                            f"mapped records, expected at least {expected.minimum:.0%}")
    return checks, warnings


def score_distribution(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> dict[str, Any]:
    row = _rows(con, f"""
        select count(score_qualite) as count, min(score_qualite) as min, max(score_qualite) as max,
               round(avg(score_qualite), 2) as mean, quantile_disc(score_qualite, 0.5) as median
        from pub__{entity} where source = ?""", [source])[0]
    bins = dict(con.execute(f"""
        select least(floor(score_qualite * {HISTOGRAM_BINS}), {HISTOGRAM_BINS - 1})::int as bin, count(*)
        from pub__{entity} where source = ? and score_qualite is not null group by bin""", [source]).fetchall())
    row["histogram"] = [
        {"from": b / HISTOGRAM_BINS, "to": (b + 1) / HISTOGRAM_BINS, "count": bins.get(b, 0)}
        for b in range(HISTOGRAM_BINS)
    ]
    return row


def freshness(ctx: RunContext, source: Source) -> dict[str, Any]:
    collected = ctx.collected.get(source.name)
    if collected is None:
        return {"status": "absent", "origin": None, "stale_since": None, "error": None}
    return {"status": collected.status, "origin": collected.origin, "stale_since": collected.stale_since,
            "error": collected.error}


def sources_report(ctx: RunContext) -> dict[str, Any]:
    con = ctx.con
    tasks = []
    for source in sorted(ctx.sources, key=lambda s: s.name):
        rates = {entity: fill_rates(con, source.name, entity) for entity in source.entities}
        checks, warnings = expectations(source, rates)
        tasks.append({
            "source": source.name,
            "title": source.title,
            "valid": not warnings and all(a["balanced"] for a in accounting(con, source.name).values()),
            "freshness": freshness(ctx, source),
            "stats": accounting(con, source.name),
            "fill_rates": rates,
            "expectations": checks,
            "warnings": warnings,
            "errors": top_errors(con, source.name),
            "scores": {entity: score_distribution(con, source.name, entity) for entity in source.entities},
        })
    totals = _rows(con, """
        select count(distinct source) as sources, sum(raw) as raw, sum(mapped) as mapped,
               sum(quarantined) as quarantined, sum(excluded) as excluded, sum(published) as valid
        from int__accounting""")[0]
    counts = dict(con.execute("select severity, count(*) from int__errors group by all").fetchall())
    totals.update(errors=counts.get("error", 0), warnings=counts.get("warning", 0))
    return {
        "valid": all(t["valid"] for t in tasks),
        "reference_date": ctx.settings.reference_date.isoformat(),
        "stats": {k: int(v or 0) for k, v in totals.items()},
        "tasks": tasks,
    }


def _strip(descriptor: Any) -> Any:
    """A Frictionless report without timings or file checksums (in `datapackage.json` and `SHA256SUMS`;
    the DuckDB file's vary from run to run), and without row cells that could hold personal data."""
    if isinstance(descriptor, dict):
        out = {}
        for key, value in descriptor.items():
            if key in ("seconds", "cells", "md5", "sha256", "bytes"):
                continue
            if key == "cell" and descriptor.get("fieldName") in PERSONAL_FIELDS and value:
                value = MASK
            out[key] = _strip(value)
        return out
    if isinstance(descriptor, list):
        return [_strip(v) for v in descriptor]
    return descriptor


def quarantine_csv(con: duckdb.DuckDBPyConnection) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["source", "entity", "id", "field", "rule", "value", "message"])
    for source, entity, record_id, field, code, value in con.execute(
        "select source, entity, record_id, field, code, value from int__quarantine "
        "order by source, entity, record_id, field, code, value"
    ).fetchall():
        error = QualityError(source, entity, record_id, field, code, value)
        writer.writerow([source, entity, record_id or "", field, code, shown_value(field, value) or "",
                         error.detail])
    return buffer.getvalue()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def run(ctx: RunContext) -> dict[str, Any]:
    folder = ctx.build_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    if ctx.validation_report is not None:
        _write_json(folder / "validation.json", _strip(ctx.validation_report.to_descriptor()))
    report = sources_report(ctx)
    _write_json(folder / "sources.json", report)
    (folder / "quarantine.csv").write_text(quarantine_csv(ctx.con), encoding="utf-8")
    for task in report["tasks"]:
        for warning in task["warnings"]:
            ctx.warn(warning)
    return {"files": sorted(p.name for p in folder.iterdir()), "quarantined_rows": report["stats"]["quarantined"]}


def summary_text(con: duckdb.DuckDBPyConnection) -> str:
    """`datainclusion report`: the last run's accounting per source and its most frequent errors."""
    lines = []
    runs = con.execute("select run_id, reference_date, mode, status from runs order by started_at desc limit 1"
                       ).fetchall()
    if runs:
        run_id, reference_date, mode, status = runs[0]
        lines.append(f"run {run_id} ({mode}, reference date {reference_date}): {status}")
    for (source,) in con.execute("select distinct source from int__accounting order by source").fetchall():
        lines.append(f"{source}")
        for entity, counts in accounting(con, source).items():
            flag = "" if counts["balanced"] else "  NOT BALANCED"
            lines.append(f"  {entity}: raw {counts['raw']} = valid {counts['valid']} + quarantined "
                         f"{counts['quarantined']} + excluded {counts['excluded']} (mapped {counts['mapped']}){flag}")
        for error in top_errors(con, source):
            ids = ", ".join(e["id"] or "(sans id)" for e in error["examples"])
            lines.append(f"  {error['count']:>6} {error['severity']:<7} {error['entity']}.{error['field']} "
                         f"{error['code']}: {error['message']} [{ids}]")
    return "\n".join(lines) + "\n"
