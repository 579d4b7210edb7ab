"""Stage `collect`: get each source's payloads, archive them, load raw tables.

Where payloads come from depends on the run: the bundled sample (default),
the producer's API (`--live`), a local file (`--input`) or an earlier run's
archive (`--replay`). A source that fails keeps its last good archive and is
reported as stale; the other sources go on.
"""

from __future__ import annotations

import traceback

import duckdb
import pyarrow as pa

from pipeline import cycles
from pipeline.context import RunContext
from pipeline.http import HttpClient, HttpError
from pipeline.sources import archive, fastjson
from pipeline.sources.base import Collected, RawFile, Record, Source, SourceError

RAW_COLUMNS = "_row integer, _run_id varchar, _file varchar, _record_no integer, data json"


def raw_table(source: Source, stream: str) -> str:
    return f"raw_{source.slug}__{stream}"


def parse_files(source: Source, files: list[RawFile]) -> tuple[dict[str, list[Record]], dict[str, int]]:
    """Records per stream and record count per file; raises SourceError naming file and record."""
    records: dict[str, list[Record]] = {stream: [] for stream in source.streams}
    counts: dict[str, int] = {}
    with cycles.paused():  # a payload parses into millions of objects and no cycle
        for file in files:
            if file.stream not in records:
                raise SourceError(f"{source.name}: file {file.name} belongs to unknown stream {file.stream!r}")
            parsed = [Record(file.stream, file.name, n, fastjson.dumps(data))
                      for n, data in enumerate(source.parse(file), start=1)]
            records[file.stream].extend(parsed)
            counts[file.name] = len(parsed)
    return records, counts


def _from_archive(source: Source, found: archive.Archive, origin: str) -> Collected:
    records, _ = parse_files(source, found.files())
    return Collected(source.name, origin, "ok", records, archive=found.path)


def _fallback(ctx: RunContext, source: Source, error: str) -> Collected:
    """Last good live archive of a failed source, flagged stale (or nothing at all)."""
    previous = archive.last_good(ctx.settings.raw_dir, source.name, origins=("live",))
    if previous is None:
        ctx.warn(f"{error}; no earlier good archive, the source is left out of this run")
        return Collected(source.name, "live", "failed", error=error)
    ctx.warn(f"{error}; using its last good archive {previous.run_id} (stale)")
    collected = _from_archive(source, previous, "live")
    collected.status = "stale"
    collected.stale_since = previous.run_id
    collected.error = error
    return collected


def _empty_after_data(ctx: RunContext, source: Source, records: dict[str, list[Record]]) -> str | None:
    """Why an empty live answer is a failure: the source's last good live archive had records."""
    if ctx.settings.live and not any(records.values()):
        previous = archive.last_good(ctx.settings.raw_dir, source.name, origins=("live",))
        if previous is not None and previous.manifest.get("record_count"):
            return (f"{source.name}: the answer holds no record, where its last good archive "
                    f"{previous.run_id} had {previous.manifest['record_count']}")
    return None


def _receive(ctx: RunContext, source: Source, origin: str, files: list[RawFile]) -> Collected:
    """Parse and archive payloads; a parse failure (or an empty answer after data) archives
    them as failed and raises."""
    try:
        records, counts = parse_files(source, files)
        empty = _empty_after_data(ctx, source, records)
        if empty:
            raise SourceError(empty)
    except SourceError as exc:
        archive.write(ctx.settings.raw_dir, ctx.settings.reference_date, source.name, ctx.run_id,
                      origin, files, {}, "failed", str(exc))
        raise
    written = archive.write(ctx.settings.raw_dir, ctx.settings.reference_date, source.name, ctx.run_id,
                            origin, files, counts, "ok")
    return Collected(source.name, origin, "ok", records, archive=written.path)


def _fetch_live(ctx: RunContext, source: Source) -> Collected:
    http = HttpClient(source.name, log=ctx.log)
    files: list[RawFile] = []
    try:
        for file in source.fetch(http):
            files.append(file)
        return _receive(ctx, source, "live", files)
    except (HttpError, SourceError) as exc:
        if files and not archive.for_run(ctx.settings.raw_dir, source.name, ctx.run_id):
            archive.write(ctx.settings.raw_dir, ctx.settings.reference_date, source.name, ctx.run_id,
                          "live", files, {}, "failed", str(exc))
        return _fallback(ctx, source, str(exc))
    except Exception as exc:  # a connector bug must not stop the other sources
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _fallback(ctx, source, f"{source.name}: unexpected error while fetching: {detail}")


def _replay(ctx: RunContext, source: Source) -> Collected:
    run_id = ctx.settings.replay or ""
    found = archive.for_run(ctx.settings.raw_dir, source.name, run_id)
    if found is None or not found.ok:
        found = archive.last_good(ctx.settings.raw_dir, source.name, before=run_id)
        if found is None:
            ctx.warn(f"{source.name}: no archive at or before run {run_id}; left out of this run")
            return Collected(source.name, "replay", "failed", error=f"no archive at or before run {run_id}")
        ctx.warn(f"{source.name}: run {run_id} has no good archive; replaying {found.run_id} (stale)")
        collected = _from_archive(source, found, "replay")
        collected.status, collected.stale_since = "stale", found.run_id
        return collected
    return _from_archive(source, found, "replay")


def collect_source(ctx: RunContext, source: Source) -> Collected:
    settings = ctx.settings
    if settings.replay:
        return _replay(ctx, source)
    if settings.input_path is not None:
        return _receive(ctx, source, "input", source.input_files(settings.input_path))
    if settings.live:
        return _fetch_live(ctx, source)
    return _receive(ctx, source, "sample", source.sample_files())


def json_column(texts: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """Texts written by orjson, hence valid JSON, typed as such: DuckDB does not parse them again.

    Past 2 GB of text (ten times the national volume) Arrow splits the strings into chunks."""
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    return pa.chunked_array([pa.ExtensionArray.from_storage(pa.json_(), c) for c in chunks], pa.json_())


def load_raw(con: duckdb.DuckDBPyConnection, run_id: str, source: Source, collected: Collected) -> None:
    """Replace the source's raw tables with this run's records (JSON, one row per record)."""
    for stream in source.streams:
        records = collected.records.get(stream, [])
        table = pa.table(
            {
                "_row": pa.array(range(1, len(records) + 1), pa.int32()),
                "_run_id": pa.array([run_id] * len(records), pa.string()),
                "_file": pa.array([r.file for r in records], pa.string()),
                "_record_no": pa.array([r.number for r in records], pa.int32()),
                "data": json_column(pa.array([r.data for r in records], pa.string())),
            }
        )
        name = raw_table(source, stream)
        con.register("_incoming", table)
        try:
            con.execute(f"create or replace table {name} ({RAW_COLUMNS})")
            con.execute(f"insert into {name} select _row, _run_id, _file, _record_no, data from _incoming")
        finally:
            con.unregister("_incoming")


def _archive_bytes(ctx: RunContext, source: Source) -> int:
    """The size of the archive this run will replay, else of the source's last good one (0: none)."""
    raw_dir = ctx.settings.raw_dir
    if ctx.settings.replay:
        found = archive.for_run(raw_dir, source.name, ctx.settings.replay)
    else:
        found = archive.last_good(raw_dir, source.name)
    if found is None:
        return 0
    return sum((found.path / entry["name"]).stat().st_size for entry in found.manifest["files"]
               if (found.path / entry["name"]).is_file())


def run(ctx: RunContext) -> dict[str, dict[str, object]]:
    """Collect every selected source; returns per-source status and raw record counts.

    The sources with the largest archives are collected first: their mapping, the longest, starts
    early (see `transform.begin`). The summary keeps the sources' order."""
    summary: dict[str, dict[str, object]] = {}
    ordered = sorted(ctx.sources, key=lambda s: -_archive_bytes(ctx, s))
    for source in ctx.track(ordered, "collect"):
        collected = collect_source(ctx, source)
        ctx.collected[source.name] = collected
        if collected.status != "failed":
            load_raw(ctx.con, ctx.run_id, source, collected)
            for loaded in ctx.on_raw_loaded:
                loaded(source)
        summary[source.name] = {
            "status": collected.status,
            "origin": collected.origin,
            "records": {stream: len(rs) for stream, rs in collected.records.items()},
            "archive": str(collected.archive) if collected.archive else None,
            "stale_since": collected.stale_since,
            "error": collected.error,
        }
        ctx.log(f"collect {source.name}: {collected.status}, "
                + ", ".join(f"{len(rs)} {stream}" for stream, rs in collected.records.items()))
        # Loaded into the raw tables: drop the parsed payloads, the largest memory of a run.
        collected.records = {}
    ctx.collected = {s.name: ctx.collected[s.name] for s in ctx.sources if s.name in ctx.collected}
    return {s.name: summary[s.name] for s in ctx.sources}
