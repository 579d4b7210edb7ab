"""Freshness guard: a source that shrank or stopped changing stops the release.

Two rules, per source, against the previous release (`int__changes`):
- `baisse-volume`: its published records of a table dropped by more than
  `DATAINCLUSION_MAX_DROP_SHARE` (default 0.2) of the previous count;
- `donnees-figees` (live runs only): none of its records changed for more
  than the source's `max_age_days`.
Flags are kept in `int__guard`; the run fails (exit 1) unless `--allow-drop`,
and the previous release stays published.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.context import RunContext


@dataclass(frozen=True)
class Flag:
    source: str
    table: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.source} {self.table}: {self.rule}: {self.detail}"


def _drops(ctx: RunContext) -> list[Flag]:
    rows = ctx.con.execute(
        """
        select source, "table",
               count(*) filter (where kind <> 'added') as previous,
               count(*) filter (where kind <> 'removed') as current
        from int__changes group by all order by all
        """
    ).fetchall()
    flags = []
    for source, table, previous, current in rows:
        if previous and (previous - current) / previous > ctx.settings.max_drop_share:
            share = (previous - current) / previous
            flags.append(Flag(source, table, "baisse-volume",
                              f"{current} records against {previous} in the previous release "
                              f"(-{share:.0%}, more than {ctx.settings.max_drop_share:.0%})"))
    return flags


def _frozen(ctx: RunContext) -> list[Flag]:
    if not ctx.settings.live:
        return []
    flags = []
    day = ctx.settings.reference_date
    for source in ctx.sources:
        rows = ctx.con.execute("select max(last_changed) from int__registry where source = ?", [source.name]).fetchall()
        last = rows[0][0]
        if last is not None and (day - last).days > source.max_age_days:
            flags.append(Flag(source.name, "*", "donnees-figees",
                              f"no record changed since {last} ({(day - last).days} days, "
                              f"more than {source.max_age_days})"))
    return flags


def check(ctx: RunContext) -> list[Flag]:
    flags = _drops(ctx) + _frozen(ctx)
    ctx.con.execute("create or replace table int__guard (source varchar, \"table\" varchar, rule varchar, detail varchar)")
    for flag in flags:
        ctx.con.execute("insert into int__guard values (?, ?, ?, ?)", [flag.source, flag.table, flag.rule, flag.detail])
    return flags
