"""Full-text search with Pagefind: one small search document per structure, one index per shard of départements.

The structure pages carry no search markup. Each structure instead yields a
short HTML document (`site/templates/recherche/document.html`): name, places,
source, coordinates, services (as headings with the page's anchors, so they
are sub-results) with their type, thématiques and publics, and the first
`EXCERPT_CHARS` characters of each description; filters `departement`,
`thematique` and `source`. The documents are streamed to Pagefind's service
mode (`pagefind --service`, the backend of its Python API) under the page's
URL. Pagefind thus reads no page from disk and parses a fifth of the HTML.

A national index held in one process took 4 GB, so the index is sharded:
départements, sorted by code, are packed greedily into shards of at most
`search_shard_size` documents (a larger département is a shard of its own);
shard `<first>-<last>` is written to `site/pagefind/<first>-<last>/`, and the
search page merges the shards in the browser (Pagefind's `mergeIndex`).
`entities.build` yields the documents in shard order;
each shard's documents are queued to a thread feeding its process, which
then writes the shard's files. A Pagefind process indexes on about one core,
so `PROCESSES` shards are indexed at once (the next shard's process starts
while the previous one still works through its queue). A shard
whose documents did not change is linked from the previous build.

A week's changes touch every shard, and indexing them all again is most of a
build. So a shard whose documents changed by at most `RECENT_SHARE` keeps
its index from the build that last made it (its *base*); past that share, it
is indexed again. The changed and new documents of kept shards go to one
more, small index, `pagefind/recent/`, and the base versions of changed or
removed documents are listed, by the id Pagefind gives their results, in
`pagefind/stale.json`, which the search page drops from the results. Each
shard's memo (see `output`) keeps, per document, the key it was indexed
with, its result id (read from the fragment Pagefind wrote) and a digest of
the document: a changed page whose search document has its base version's
digest (its dates or website changed, nothing search shows) is neither
indexed nor hidden. Ids have 7 hex digits, so an old version can share its
id with a current document of another bundle: such an id is listed with its
pages, and the search page drops its result only for those pages. Shards
keep the départements of the last build while none grows past `size *
REPACK_ABOVE`, so that a shard is not renamed (and indexed again) whenever a
neighbour grows or a département empties.

The Python API itself (`pagefind.index.PagefindIndex`) reads one answer per
0.1 s, far too slow for 100,000 documents; `Indexer` speaks the same protocol
(base64 JSON messages separated by commas on stdin/stdout) with a reader
thread.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import threading
import time
from queue import Queue
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pagefind.service import get_executable

from pipeline.website import templates
from pipeline.website.output import FileEntry, Output, digest, write_file

BUNDLE = "pagefind"
# Structures without a département (commune unknown) are packed first, under this name.
NO_DEPARTEMENT = "sans"
EXCERPT_CHARS = 80
LANGUAGE = "fr"
# Requests in flight: enough to keep Pagefind busy, few enough to bound the pipe's memory.
WINDOW = 256
# Pagefind processes indexing at once (each uses about one core).
PROCESSES = 2
# A shard keeps its index while at most this share of its documents changed (see the module's docstring).
RECENT_SHARE = 0.25
RECENT = "recent"
STALE = f"{BUNDLE}/stale.json"
# The last build's shards are kept while none holds more than this many times the shard size.
REPACK_ABOVE = 1.25
# What a Pagefind fragment file holds, once gunzipped, before its JSON.
FRAGMENT_SIGNATURE = b"pagefind_dcd"
# Pagefind's ready-made UIs are not used (the site has its own, DSFR-styled).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchError(Exception):
    """Pagefind failed; the message has its answer."""


@dataclass
class Indexer:
    """A `pagefind --service` process holding one in-memory index, fed search documents."""

    name: str
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    documents: int = 0
    errors: list[str] = field(default_factory=list)
    _next_id: int = 0
    _index_id: int | None = None
    _outstanding: int = 0
    _waiting: dict[int, list[Any]] = field(default_factory=dict)
    _answered: threading.Condition = field(default_factory=threading.Condition)
    _reader: threading.Thread | None = None

    @classmethod
    def launch(cls, name: str) -> "Indexer":
        executable = get_executable()
        if executable is None:
            raise SearchError("pagefind: no binary found (install pagefind[bin])")
        process = subprocess.Popen([str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, cwd=os.getcwd())
        indexer = cls(name, process)
        indexer._reader = threading.Thread(target=indexer._read, name="pagefind-answers", daemon=True)
        indexer._reader.start()
        answer = indexer._request({"type": "NewIndex", "config": {"force_language": LANGUAGE}})
        indexer._index_id = answer["index_id"]
        return indexer

    def add(self, url: str, html: str) -> None:
        """Index one document under `url` (site-relative, without a leading slash)."""
        self._wait_until(lambda: self._outstanding < WINDOW, "AddFile")
        with self._answered:
            self._outstanding += 1
        self._send({"type": "AddFile", "index_id": self._index_id, "url": "/" + url, "file_path": None,
                    "file_contents": html}, None)
        self.documents += 1

    def files(self) -> list[tuple[str, bytes]]:
        """The bundle's files (path in the bundle, content), but `UNUSED`; stops the process (Pagefind's
        memory is freed here).

        The files are asked for (`GetFiles`) and written by the caller: Pagefind's own `WriteFiles`
        answered, now and then, before its last files were complete, and a process stopped then left
        them empty."""
        try:
            self._wait_until(lambda: self._outstanding == 0, "AddFile")
            answer = self._request({"type": "GetFiles", "index_id": self._index_id})
        finally:
            self.close()
        self.seconds = time.perf_counter() - self.started
        if self.errors:
            raise SearchError(f"pagefind: {len(self.errors)} document(s) refused, first: {self.errors[0]}")
        return [(item["path"], base64.b64decode(item["content"])) for item in answer["files"]
                if item["path"] not in UNUSED]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _send(self, payload: dict[str, Any], box: list[Any] | None) -> None:
        self._next_id += 1
        if box is not None:
            with self._answered:
                self._waiting[self._next_id] = box
        message = base64.b64encode(json.dumps({"message_id": self._next_id, "payload": payload}).encode()) + b","
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(message)
            if box is not None:
                self.process.stdin.flush()
        except BrokenPipeError as error:
            raise SearchError(f"pagefind stopped (exit {self.process.poll()})") from error

    def _request(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send and wait for the answer (after every earlier request was answered)."""
        box: list[Any] = []
        self._send(payload, box)
        self._wait_until(lambda: bool(box), payload["type"])
        answer = box[0]
        if answer.get("type") == "Error":
            raise SearchError(f"pagefind refused {payload['type']}: {answer.get('message')}")
        return answer

    def _wait_until(self, ready: Any, what: str) -> None:
        with self._answered:
            if ready():
                return
        assert self.process.stdin is not None
        try:
            self.process.stdin.flush()
        except BrokenPipeError as error:
            raise SearchError(f"pagefind stopped (exit {self.process.poll()})") from error
        with self._answered:
            while not ready():
                if self._reader is not None and not self._reader.is_alive():
                    raise SearchError(f"pagefind stopped before answering {what} (exit {self.process.poll()})")
                self._answered.wait(timeout=1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        parts: list[bytes] = []  # of the message being read (`GetFiles` answers with megabytes)
        while chunk := self.process.stdout.read1(1 << 16):
            *messages, rest = chunk.split(b",")
            if messages:
                messages[0] = b"".join(parts) + messages[0]
                parts = []
                for message in messages:
                    if message:
                        self._answer(json.loads(base64.b64decode(message)))
            parts.append(rest)
        with self._answered:
            self._answered.notify_all()

    def _answer(self, message: dict[str, Any]) -> None:
        payload = message.get("payload") or {}
        with self._answered:
            box = self._waiting.pop(message.get("message_id"), None)
            if box is not None:
                box.append(payload)
                self._answered.notify_all()
                return
            if payload.get("type") == "Error":
                self.errors.append(str(payload.get("message")))
            self._outstanding -= 1
            self._answered.notify_all()




def pack(counts: list[tuple[str, int]], size: int) -> list[list[str]]:
    """Départements (code, documents), sorted by code, packed greedily into shards of at most `size` documents.

    The rule depends only on the codes and counts, so an unchanged département
    keeps its shard from one build to the next unless a neighbour grows past
    the limit."""
    shards: list[list[str]] = []
    filled = size
    for code, documents in sorted(counts):
        if filled + documents > size:
            shards.append([])
            filled = 0
        shards[-1].append(code)
        filled += documents
    return shards


def keep_packing(previous: list[list[str]] | None, counts: list[tuple[str, int]], size: int) -> list[list[str]]:
    """The last build's shards (and so their names) while they hold every département, each shard some
    document and none more than `size * REPACK_ABOVE`; else a new packing."""
    if previous:
        held = dict(counts)
        loads = [sum(held.get(code, 0) for code in shard) for shard in previous]
        if set(held) <= {code for shard in previous for code in shard} and all(
                0 < load <= size * REPACK_ABOVE for load in loads):
            return previous
    return pack(counts, size)


@dataclass(frozen=True)
class Shard:
    rank: int
    name: str
    documents: int
    key: str

    @property
    def bundle(self) -> str:
        """The bundle's folder in the site, with a trailing slash (as Pagefind's `mergeIndex` wants it)."""
        return f"{BUNDLE}/{self.name}/"

    @property
    def unit(self) -> str:
        return f"search:{self.name}"


@dataclass
class _Update:
    """How a shard's documents differ from its base index."""

    changed: list[str]  # pages new or changed since the base
    stale: list[tuple[str, str]]  # result id and page of the base's versions of changed or removed pages
    live: set[str]  # result ids of the base's documents still current


def _update(memo: dict[str, Any] | None, current: dict[str, str]) -> _Update | None:
    """What keeping the shard's base index takes; None when it must be indexed again."""
    if not memo:
        return None
    base: dict[str, list[str]] = memo["documents"]
    changed = [url for url, key in current.items() if url not in base or base[url][0] != key]
    removed = [url for url in base if url not in current]
    if len(changed) + len(removed) > RECENT_SHARE * max(len(current), 1):
        return None
    stale = sorted((base[url][1], url) for url in changed + removed if url in base)
    return _Update(changed, stale, {entry[1] for entry in base.values()} - {result for result, _ in stale})


def document_digest(html: str) -> str:
    """What tells two versions of a search document apart (kept in the shard's memo)."""
    return digest(html)[:20]


def _result_id(path: str, compressed: bytes) -> tuple[str, str]:
    """A fragment file's page and the id of its search result (which names the file)."""
    data = gzip.decompress(compressed)
    if not data.startswith(FRAGMENT_SIGNATURE):
        raise SearchError(f"pagefind: unexpected fragment format in {path}")
    return json.loads(data[len(FRAGMENT_SIGNATURE):])["url"].lstrip("/"), Path(path).name.removesuffix(".pf_fragment")


def result_ids(bundle: Path) -> dict[str, str]:
    """Page -> the id of its search result, for every document of a written bundle."""
    return dict(_result_id(path.name, path.read_bytes()) for path in (bundle / "fragment").iterdir())


@dataclass
class _Filling:
    """A shard's Pagefind process and the thread feeding it from a queue, then writing its bundle and memo."""

    shard: Shard
    indexer: Indexer
    queue: "Queue[tuple[str, str] | None]"
    errors: list[BaseException] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)
    entries: list[FileEntry] = field(default_factory=list)
    thread: threading.Thread | None = None


@dataclass
class Search:
    """The shards of the build, and the Pagefind processes of those to index (`PROCESSES` at a time)."""

    out: Output
    shards: list[Shard]
    pending: list[int]
    # Per shard to index: its pages and their keys (for its memo).
    documents: dict[int, dict[str, str]] = field(default_factory=dict)
    # The base versions to hide (result id, page; see the module's docstring), and the ids of the kept indexes'
    # current documents.
    stale: list[tuple[str, str]] = field(default_factory=list)
    live: set[str] = field(default_factory=set)
    recent: Shard | None = None
    # Per page offered to `recent`: the unit of its shard, and its base version's digest (when it had one).
    homes: dict[str, str] = field(default_factory=dict)
    base_digests: dict[str, str] = field(default_factory=dict)
    # Pages offered to `recent` whose search document is the same as their base version's (not indexed).
    unchanged: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    _filling: list[_Filling] = field(default_factory=list)
    _done: list[int] = field(default_factory=list)
    _started: float | None = None

    @property
    def bundles(self) -> list[str]:
        """The bundles to search (after `finish`: `recent` only when it kept a document)."""
        return [shard.bundle for shard in self.shards if self._expected(shard)]

    def _expected(self, shard: Shard) -> int:
        """How many documents the shard's index holds (after `finish` for `recent`)."""
        return shard.documents - (len(self.unchanged) if shard is self.recent else 0)

    @property
    def stale_file(self) -> str | None:
        """`stale.json` when there is something to hide (after `finish`)."""
        return STALE if self.hidden or self.ambiguous else None

    def add(self, rank: int, url: str, html: str) -> None:
        """Index one document of shard `rank`; documents come shard after shard (see `entities._batches`).

        A page's structure changed, but what search shows of it may not have (its dates, a website): a
        document offered to `recent` that is the same as its base version is left out."""
        if self.recent is not None and rank == self.recent.rank and self.base_digests.get(url) == document_digest(html):
            self.unchanged.append(url)
            return
        if not self._filling or self._filling[-1].shard.rank != rank:
            self._rotate(self.shards[rank])
        self._filling[-1].queue.put((url, html))

    def finish(self) -> int:
        """Write the last shard, wait for every write, then the stale list; returns how many shards Pagefind indexed."""
        self._rotate(None)
        while self._filling:
            self._join_oldest()
        missing = sorted(rank for rank in set(self.pending) - set(self._done) if self._expected(self.shards[rank]))
        if missing:
            raise SearchError(f"pagefind: shard {self.shards[missing[0]].name} received no document")
        if self._started is not None:
            self.seconds = time.perf_counter() - self._started
        if self.recent is not None:
            self._settle_unchanged()
        if self.stale:
            self._write_stale()
        return len(self._done)

    def close(self) -> None:
        """Stop every process still running (after an error)."""
        for filling in self._filling:
            filling.indexer.close()
            filling.queue.put(None)
        for filling in self._filling:
            if filling.thread is not None:
                filling.thread.join()
        self._filling = []

    def _settle_unchanged(self) -> None:
        """A page of `recent` whose search document did not change is not stale: its base version stays, and
        its base memo takes its new key (so that the next build does not offer it again)."""
        assert self.recent is not None
        same = set(self.unchanged)
        for url in self.unchanged:
            self.out.memos[self.homes[url]]["documents"][url][0] = self.documents[self.recent.rank][url]
        self.stale = [(result, url) for result, url in self.stale if url not in same]

    def _write_stale(self) -> None:
        """`stale.json`: the ids of results to drop and, for an id that a current document shares (two
        different documents can get the same 7-digit id), the pages whose result of that id to drop."""
        units = {self.shards[rank].unit for rank in self._done} | ({self.recent.unit} if self.recent else set())
        current = self.live | {entry[1] for unit in units if unit in self.out.memos
                               for entry in self.out.memos[unit]["documents"].values()}
        for result, url in sorted(self.stale):
            if result in current:
                self.ambiguous.setdefault(result, []).append(url)
            else:
                self.hidden.append(result)
        if self.hidden or self.ambiguous:
            body = json.dumps({"results": self.hidden, "pages": self.ambiguous}, ensure_ascii=False)
            self.out.unit("search:stale", self.out.unit_key(body), lambda: [(STALE, body)])

    def _rotate(self, shard: Shard | None) -> None:
        """Close the queue of the shard being filled; start `shard` once fewer than `PROCESSES` are running.

        A Pagefind process indexes on about one core, and a shard's documents are queued faster than it
        takes them when pages are unchanged: the next shard's process starts while the last one works."""
        if self._filling:
            self._filling[-1].queue.put(None)
        if shard is None:
            return
        if shard.rank not in self.pending or shard.rank in self._done:
            raise SearchError(f"pagefind: shard {shard.name} fed out of order")
        while len(self._filling) >= PROCESSES:
            self._join_oldest()
        self._started = self._started or time.perf_counter()
        indexer = Indexer.launch(shard.name)
        queue: Queue[tuple[str, str] | None] = Queue()
        filling = _Filling(shard, indexer, queue)
        filling.thread = threading.Thread(target=self._feed, args=(filling,), name=f"pagefind-{shard.name}")
        filling.thread.start()
        self._filling.append(filling)

    def _feed(self, filling: _Filling) -> None:
        shard, indexer = filling.shard, filling.indexer
        try:
            digests = {}
            while (item := filling.queue.get()) is not None:
                indexer.add(*item)
                digests[item[0]] = document_digest(item[1])
            files = indexer.files()
            filling.entries = sorted(write_file(self.out.root, shard.bundle + rel, data) for rel, data in files)
            ids = dict(_result_id(rel, data) for rel, data in files if rel.startswith("fragment/"))
            # Every document of `recent` was offered (and `unchanged` complete) before its queue was closed.
            if indexer.documents != self._expected(shard):
                raise SearchError(f"pagefind: shard {shard.name} got {indexer.documents} documents, "
                                  f"{self._expected(shard)} expected")
            documents = {url: key for url, key in self.documents[shard.rank].items() if url in digests}
            if set(ids) != set(documents):
                raise SearchError(f"pagefind: shard {shard.name} wrote {len(ids)} fragments for "
                                  f"{len(documents)} documents")
            filling.memo = {"documents": {url: [key, ids[url], digests[url]] for url, key in documents.items()}}
        except BaseException as error:  # re-raised by `_join_oldest` in the building thread
            filling.errors.append(error)
            indexer.close()

    def _join_oldest(self) -> None:
        """Wait for the oldest shard's bundle and record its files and memo (in the building thread:
        `Output` is not shared)."""
        filling = self._filling.pop(0)  # its queue was closed by `_rotate`
        if filling.thread is not None:
            filling.thread.join()
        if filling.errors:
            raise filling.errors[0]
        shard = filling.shard
        self.out.record(shard.unit, shard.key, filling.entries)
        self.out.remember(shard.unit, filling.memo)
        self._done.append(shard.rank)


def _kept(out: Output, shard: Shard) -> dict[str, Any] | None:
    """Link an unchanged shard from the last build; its memo when done."""
    memo = out.previous_memos.get(shard.unit)
    if memo is None or not out.reuse(shard.unit, shard.key):
        return None
    out.remember(shard.unit, memo)
    return memo


def start(con: duckdb.DuckDBPyConnection, out: Output, shard_size: int) -> Search:
    """Plan the shards (temp table `site_search(id, shard)`): link those whose documents did not change, keep
    the base index of those that changed a little (their changes go to `recent`), index the others."""
    counts = con.execute("select coalesce(departement, '') as d, count(*) from site_structure_items "
                         "group by all order by d").fetchall()
    packed = keep_packing(out.previous_memos.get("search:plan"), counts, shard_size)
    out.remember("search:plan", packed)
    codes = [(code, rank) for rank, shard in enumerate(packed) for code in shard]
    con.register("site_search_plan", pa.table({"departement": pa.array([c for c, _ in codes], pa.string()),
                                               "shard": pa.array([r for _, r in codes], pa.int32())}))
    try:
        con.execute("create or replace temp table site_search as select i.id, p.shard from site_structure_items as i "
                    "join site_search_plan as p on p.departement = coalesce(i.departement, '') order by i.id")
    finally:
        con.unregister("site_search_plan")
    members: dict[int, dict[str, str]] = {}
    ids: dict[str, str] = {}
    for rank, record_id, key in con.execute("select x.shard, s.id, s.key from site_structures as s join site_search "
                                            "as x using (id) order by x.shard, s.id").fetchall():
        url = templates.structure_page(record_id)
        members.setdefault(rank, {})[url] = key
        ids[url] = record_id
    search = Search(out, [], [])
    for rank, departements in enumerate(packed):
        name = "-".join(dict.fromkeys((departements[0] or NO_DEPARTEMENT, departements[-1] or NO_DEPARTEMENT)))
        current = members.get(rank, {})
        search.shards.append(Shard(rank, name, len(current),
                                   out.unit_key("search", name, *(f"{u} {k}" for u, k in current.items()))))
        search.documents[rank] = current
    # Shards whose documents did not change are linked whole (all at once: see `Output.reuse_all`).
    same = [shard.unit for shard in search.shards if shard.unit in out.previous_memos
            and out.unchanged(shard.unit, shard.key)]
    lost = out.reuse_all(same)
    kept: set[str] = set()  # result ids of the shards linked whole
    updates: dict[int, _Update] = {}
    for shard in search.shards:
        if shard.unit in same and shard.unit not in lost:
            memo = out.previous_memos[shard.unit]
            out.remember(shard.unit, memo)
            kept |= {entry[1] for entry in memo["documents"].values()}
        elif (update := _update(out.previous_memos.get(shard.unit), search.documents[shard.rank])) is not None:
            updates[shard.rank] = update
        else:
            search.pending.append(shard.rank)
    search.live = kept
    recent: dict[str, str] = {}
    lost = out.reuse_all([search.shards[rank].unit for rank in sorted(updates)])
    for rank, update in sorted(updates.items()):
        unit = search.shards[rank].unit
        if unit in lost:
            search.pending.append(rank)
            continue
        base = out.previous_memos[unit]
        out.remember(unit, base)
        search.stale += update.stale
        search.live |= update.live
        recent |= {url: search.documents[rank][url] for url in update.changed}
        search.homes |= {url: unit for url in update.changed}
        search.base_digests |= {url: base["documents"][url][2] for url in update.changed if url in base["documents"]}
    search.pending.sort()
    if recent:
        _plan_recent(con, out, search, dict(sorted(recent.items())), ids)
    search.documents = {rank: search.documents[rank] for rank in search.pending}
    return search


def _plan_recent(con: duckdb.DuckDBPyConnection, out: Output, search: Search, recent: dict[str, str],
                 ids: dict[str, str]) -> None:
    """The `recent` shard (ranked last, `recent`: its pages and their keys): its documents move to it in
    `site_search`."""
    rank = len(search.shards)
    search.recent = Shard(rank, RECENT, len(recent), out.unit_key("search", RECENT, *(f"{u} {k}" for u, k in recent.items())))
    search.shards.append(search.recent)
    search.documents[rank] = recent
    con.register("site_search_recent", pa.table({"id": pa.array(sorted(ids[url] for url in recent), pa.string())}))
    try:
        con.execute("update site_search set shard = ? where id in (select id from site_search_recent)", [rank])
    finally:
        con.unregister("site_search_recent")
    if _kept(out, search.recent) is None:
        search.pending.append(rank)
