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

The Python API itself (`pagefind.index.PagefindIndex`) reads one answer per
0.1 s, far too slow for 100,000 documents; `Indexer` speaks the same protocol
(base64 JSON messages separated by commas on stdin/stdout) with a reader
thread.
"""

from __future__ import annotations

import base64
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

from pipeline.website.output import FileEntry, Output, file_entry

BUNDLE = "pagefind"
# Structures without a département (commune unknown) are packed first, under this name.
NO_DEPARTEMENT = "sans"
EXCERPT_CHARS = 80
LANGUAGE = "fr"
# Requests in flight: enough to keep Pagefind busy, few enough to bound the pipe's memory.
WINDOW = 256
# Pagefind processes indexing at once (each uses about one core).
PROCESSES = 2
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

    def write(self, bundle: Path) -> None:
        """Write the bundle to `bundle` and stop the process (Pagefind's memory is freed here)."""
        try:
            self._wait_until(lambda: self._outstanding == 0, "AddFile")
            self._request({"type": "WriteFiles", "index_id": self._index_id, "output_path": str(bundle)})
        finally:
            self.close()
        self.seconds = time.perf_counter() - self.started
        if self.errors:
            raise SearchError(f"pagefind: {len(self.errors)} document(s) refused, first: {self.errors[0]}")
        for name in UNUSED:
            (bundle / name).unlink(missing_ok=True)

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
        pending = b""
        while chunk := self.process.stdout.read1(1 << 16):
            *messages, pending = (pending + chunk).split(b",")
            for message in messages:
                if message:
                    self._answer(json.loads(base64.b64decode(message)))
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


def _files(bundle: Path, site: Path) -> list[FileEntry]:
    entries = []
    for directory, _, filenames in os.walk(bundle):
        for name in filenames:
            path = Path(directory) / name
            entries.append(file_entry(path, path.relative_to(site).as_posix()))
    return sorted(entries)


@dataclass
class _Filling:
    """A shard's Pagefind process and the thread feeding it from a queue, then writing its bundle."""

    shard: Shard
    indexer: Indexer
    queue: "Queue[tuple[str, str] | None]"
    thread: threading.Thread
    errors: list[BaseException]


@dataclass
class Search:
    """The shards of the build, and the Pagefind processes of those to index (`PROCESSES` at a time)."""

    out: Output
    shards: list[Shard]
    pending: list[int]
    seconds: float = 0.0
    _filling: list[_Filling] = field(default_factory=list)
    _done: list[int] = field(default_factory=list)
    _started: float | None = None

    @property
    def bundles(self) -> list[str]:
        return [shard.bundle for shard in self.shards]

    def add(self, rank: int, url: str, html: str) -> None:
        """Index one document of shard `rank`; documents come shard after shard (see `entities._batches`)."""
        if not self._filling or self._filling[-1].shard.rank != rank:
            self._rotate(self.shards[rank])
        self._filling[-1].queue.put((url, html))

    def finish(self) -> int:
        """Write the last shard and wait for every write; returns how many shards Pagefind indexed."""
        self._rotate(None)
        while self._filling:
            self._join_oldest()
        missing = sorted(set(self.pending) - set(self._done))
        if missing:
            raise SearchError(f"pagefind: shard {self.shards[missing[0]].name} received no document")
        if self._started is not None:
            self.seconds = time.perf_counter() - self._started
        return len(self._done)

    def close(self) -> None:
        """Stop every process still running (after an error)."""
        for filling in self._filling:
            filling.indexer.close()
            filling.queue.put(None)
        for filling in self._filling:
            filling.thread.join()
        self._filling = []

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
        errors: list[BaseException] = []
        thread = threading.Thread(target=self._feed, args=(shard, indexer, queue, errors), name=f"pagefind-{shard.name}")
        thread.start()
        self._filling.append(_Filling(shard, indexer, queue, thread, errors))

    def _feed(self, shard: Shard, indexer: Indexer, queue: "Queue[tuple[str, str] | None]",
              errors: list[BaseException]) -> None:
        try:
            while (item := queue.get()) is not None:
                indexer.add(*item)
            indexer.write(self.out.root / shard.bundle)
            if indexer.documents != shard.documents:
                raise SearchError(f"pagefind: shard {shard.name} got {indexer.documents} documents, "
                                  f"{shard.documents} expected")
        except BaseException as error:  # re-raised by `_join_oldest` in the building thread
            errors.append(error)
            indexer.close()

    def _join_oldest(self) -> None:
        """Wait for the oldest shard's bundle and record its files (in the building thread: `Output` is not shared)."""
        filling = self._filling.pop(0)
        filling.queue.put(None)
        filling.thread.join()
        if filling.errors:
            raise filling.errors[0]
        shard = filling.shard
        self.out.record(f"search:{shard.name}", shard.key, _files(self.out.root / shard.bundle, self.out.root))
        self._done.append(shard.rank)


def start(con: duckdb.DuckDBPyConnection, out: Output, shard_size: int) -> Search:
    """Plan the shards (temp table `site_search(id, shard)`) and link those whose documents did not change."""
    counts = con.execute("select coalesce(departement, '') as d, count(*) from site_structure_items "
                         "group by all order by d").fetchall()
    packed = pack(counts, shard_size)
    codes = [(code, rank) for rank, shard in enumerate(packed) for code in shard]
    con.register("site_search_plan", pa.table({"departement": pa.array([c for c, _ in codes], pa.string()),
                                               "shard": pa.array([r for _, r in codes], pa.int32())}))
    try:
        con.execute("create or replace temp table site_search as select i.id, p.shard from site_structure_items as i "
                    "join site_search_plan as p on p.departement = coalesce(i.departement, '') order by i.id")
    finally:
        con.unregister("site_search_plan")
    keys = dict((rank, (n, key)) for rank, n, key in con.execute(
        "select x.shard, count(*), md5(string_agg(s.key, ',' order by s.id)) from site_structures as s "
        "join site_search as x using (id) group by all").fetchall())
    shards, pending = [], []
    for rank, departements in enumerate(packed):
        name = "-".join(dict.fromkeys((departements[0] or NO_DEPARTEMENT, departements[-1] or NO_DEPARTEMENT)))
        documents, content = keys.get(rank, (0, ""))
        shard = Shard(rank, name, documents, out.unit_key("search", name, content))
        shards.append(shard)
        if not out.reuse(f"search:{name}", shard.key):
            pending.append(rank)
    return Search(out, shards, pending)
