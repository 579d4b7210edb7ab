"""Structure pages and the per-record API files, one unit per structure.

A structure's unit is its page, its `api/v1/structures/{id}.json` and the
`api/v1/services/{id}.json` of its services; its key is the md5 of its
document in `site_structures`, so an unchanged structure is linked from the
last build without being read. Changed ones are rendered in worker processes
(the machine's cores), each writing its own files. They also render the
search documents of the shards Pagefind indexes, in shard order (`search`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.website import api, search, templates
from pipeline.website.config import SiteConfig
from pipeline.website.output import FileEntry, Output, write_file

SIRET_LABELS = {
    "valide": "vérifié dans SIRENE, établissement ouvert",
    "successeur": "établissement fermé, remplacé par son successeur",
    "inconnu": "absent du répertoire SIRENE",
    "invalide": "numéro invalide, non publié",
    "ferme": "établissement fermé",
}
BATCH = 2000


@dataclass(frozen=True)
class EntityContext:
    """What every structure page needs besides its own document."""

    site: SiteConfig
    source_titles: dict[str, str]
    departements: dict[str, str]
    extensions: tuple[tuple[str, str], ...]
    service_extensions: tuple[tuple[str, str], ...]


def _points(doc: dict[str, Any]) -> list[list[Any]]:
    """Map points: the structure, then its services at other places."""
    points, seen = [], set()
    candidates = [doc["record"]] + [item["record"] for item in doc["services"]]
    for record in candidates:
        lat, lon = record.get("latitude"), record.get("longitude")
        if lat is None or lon is None or (lat, lon) in seen:
            continue
        seen.add((lat, lon))
        points.append([round(lat, 6), round(lon, 6), record["nom"]])
    return points


def _context(doc: dict[str, Any], ctx: EntityContext) -> dict[str, Any]:
    record = doc["record"]
    return {
        "site": ctx.site, "doc": doc, "source_titles": ctx.source_titles,
        "source_title": ctx.source_titles.get(record["source"], record["source"]),
        "departement_nom": ctx.departements.get(doc["departement"] or "", doc["departement"]),
        "thematiques": sorted({t for item in doc["services"] for t in item["record"].get("thematiques") or []}),
    }


def render_structure(doc: dict[str, Any], ctx: EntityContext) -> list[tuple[str, str]]:
    """The files of one structure: page, structure JSON, one JSON per service."""
    record = doc["record"]
    services = [item["record"] for item in doc["services"]]
    page = templates.structure_page(record["id"])
    html = templates.render(
        "structure.html", page, **_context(doc, ctx), siret_label=SIRET_LABELS.get(doc["siret_statut"] or ""),
        extensions=ctx.extensions, service_extensions=ctx.service_extensions,
        points=_points(doc), api_path=api.structure_path(record["id"]),
    )
    files = [(page, html), (api.structure_path(record["id"]),
                           api.dumps(api.structure_document(record, services, ctx.site.base_url)))]
    files += [(api.service_path(v["id"]), api.dumps(v)) for v in services]
    return files


def search_document(doc: dict[str, Any], ctx: EntityContext) -> str:
    """What Pagefind indexes for the structure's page (see `search`)."""
    page = templates.structure_page(doc["record"]["id"])
    return templates.render("recherche/document.html", page, **_context(doc, ctx), excerpt_chars=search.EXCERPT_CHARS)


Rendered = tuple[str, str, list[FileEntry] | None, str | None, int | None]
Row = tuple[str, str | None, str, int | None]  # id, unit key (None when unchanged), document, search shard (None: no index)


def _render_batch(root: str, ctx: EntityContext, batch: list[Row]) -> list[Rendered]:
    """Per row: its written files (when changed) and its search document (when its shard is indexed)."""
    out = []
    for record_id, key, payload, shard in batch:
        doc = json.loads(payload)
        entries = None
        if key is not None:
            entries = [write_file(Path(root), rel, content) for rel, content in render_structure(doc, ctx)]
        out.append((record_id, key or "", entries, search_document(doc, ctx) if shard is not None else None, shard))
    return out


def _changed(con: duckdb.DuckDBPyConnection, out: Output) -> tuple[dict[str, str], dict[str, str]]:
    """The unit keys of the changed structures, and of those whose files the previous build has, by id."""
    changed, unchanged = {}, {}
    for record_id, key in con.execute("select id, key from site_structures").fetchall():
        unit_key = out.unit_key(key)
        (unchanged if out.unchanged(f"structure:{record_id}", unit_key) else changed)[record_id] = unit_key
    return changed, unchanged


def _link(out: Output, unchanged: dict[str, str]) -> dict[str, str]:
    """Link the unchanged structures' files; return those the previous release lost, to render again."""
    lost = out.reuse_all([f"structure:{record_id}" for record_id in unchanged])
    return {record_id: key for record_id, key in unchanged.items() if f"structure:{record_id}" in lost}


def _batches(con: duckdb.DuckDBPyConnection, todo: dict[str, str], shards: list[int]):
    """The changed structures, and every structure of the search shards to index, in shard order then by id.

    Pagefind indexes one shard at a time (see `search`), so the documents of a
    shard must all come before those of the next."""
    con.register("site_todo", pa.table({"id": pa.array(sorted(todo), pa.string())}))
    try:
        if shards:
            cursor = con.execute(
                "select s.id, s.payload, case when list_contains(?, x.shard) then x.shard end "
                "from site_structures as s join site_search as x using (id) left join site_todo as t using (id) "
                "where t.id is not null or list_contains(?, x.shard) order by x.shard, s.id", [shards, shards])
        else:
            cursor = con.execute("select s.id, s.payload, null from site_structures as s semi join site_todo as t "
                                 "using (id) order by s.id")
        while rows := cursor.fetchmany(BATCH):
            yield [(record_id, todo.get(record_id), payload, shard) for record_id, payload, shard in rows]
    finally:
        con.unregister("site_todo")


def build(con: duckdb.DuckDBPyConnection, out: Output, ctx: EntityContext, workers: int | None = None,
          index: search.Search | None = None) -> int:
    """Write every changed structure's unit and feed `index` the documents of its shards to index;
    returns how many structures were rendered."""
    todo, unchanged = _changed(con, out)
    shards = index.pending if index is not None else []
    workers = workers or min(os.cpu_count() or 1, 4)
    root = str(out.root)

    def collect(results: list[Rendered]) -> None:
        for record_id, key, entries, document, shard in results:
            if entries is not None:
                out.record(f"structure:{record_id}", key, entries)
            if document is not None:
                assert index is not None and shard is not None
                index.add(shard, templates.structure_page(record_id), document)

    # The unchanged structures (about 300,000 files the next day at national scale) are linked in threads
    # while the changed ones are rendered: `os.link` spends its time in the kernel, without the GIL.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="link") as linker:
        linking = linker.submit(_link, out, unchanged)
        _render(root, ctx, _batches(con, todo, shards), workers, collect,
                in_process=len(todo) < 2 * BATCH and not shards)
        lost = linking.result()
    if lost:
        _render(root, ctx, _batches(con, lost, []), 1, collect, in_process=True)
    return len(todo) + len(lost)


def _render(root: str, ctx: EntityContext, batches: Iterator[list[Row]], workers: int,
            collect: Callable[[list[Rendered]], None], in_process: bool) -> None:
    """Render the batches, in worker processes unless `in_process` (or a single worker)."""
    if workers == 1 or in_process:
        for batch in batches:
            collect(_render_batch(root, ctx, batch))
        return
    # Workers only render and write files. They are forked from a fork server, not from this process: a
    # child forked here (DuckDB threads mid-query, Pagefind's reader thread) now and then died of SIGSEGV.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future] = deque()
        for batch in batches:
            pending.append(pool.submit(_render_batch, root, ctx, batch))
            if len(pending) > 2 * workers:
                collect(pending.popleft().result())
        while pending:
            collect(pending.popleft().result())
