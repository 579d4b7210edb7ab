"""Full-text search with Pagefind: one small search document per structure, indexed in memory.

The structure pages carry no search markup. Each structure instead yields a
short HTML document (`site/templates/recherche/document.html`): name, places,
source, coordinates, services (as headings with the page's anchors, so they
are sub-results) with their type, thématiques and publics, and the first
`EXCERPT_CHARS` characters of each description; filters `departement`,
`thematique` and `source`. The documents are streamed to Pagefind's service
mode (`pagefind --service`, the backend of its Python API) under the page's
URL, and the bundle is written to `site/pagefind/` at the end. Pagefind thus
reads no page from disk and parses a fifth of the HTML, which is what kept a
national index slow and memory-hungry.

The Python API itself (`pagefind.index.PagefindIndex`) reads one answer per
0.1 s, far too slow for 100,000 documents; `Indexer` speaks the same protocol
(base64 JSON messages separated by commas on stdin/stdout) with a reader
thread. When no structure changed, the previous bundle is linked as it is.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagefind.service import get_executable

from pipeline.website.output import FileEntry, Output, file_entry

BUNDLE = "pagefind"
EXCERPT_CHARS = 80
LANGUAGE = "fr"
# Requests in flight: enough to keep Pagefind busy, few enough to bound the pipe's memory.
WINDOW = 256
# Pagefind's ready-made UIs are not used (the site has its own, DSFR-styled).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchError(Exception):
    """Pagefind failed; the message has its answer."""


def _files(bundle: Path, site: Path) -> list[FileEntry]:
    entries = []
    for directory, _, filenames in os.walk(bundle):
        for name in filenames:
            path = Path(directory) / name
            entries.append(file_entry(path, path.relative_to(site).as_posix()))
    return sorted(entries)


@dataclass
class Indexer:
    """A `pagefind --service` process holding one in-memory index, fed search documents."""

    key: str
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
    def launch(cls, key: str) -> "Indexer":
        executable = get_executable()
        if executable is None:
            raise SearchError("pagefind: no binary found (install pagefind[bin])")
        process = subprocess.Popen([str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, cwd=os.getcwd())
        indexer = cls(key, process)
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

    def write(self, out: Output) -> None:
        """Write the bundle to `site/pagefind/` and record its files."""
        bundle = out.root / BUNDLE
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
        out.record("search", self.key, _files(bundle, out.root))

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


def start(out: Output, structure_keys: str) -> Indexer | None:
    """A fresh index to feed, unless no structure changed (then the previous bundle is linked)."""
    key = out.unit_key("search", structure_keys)
    if out.reuse("search", key):
        return None
    return Indexer.launch(key)


def finish(out: Output, indexer: Indexer | None) -> bool:
    """Write the bundle; True when Pagefind ran."""
    if indexer is None:
        return False
    indexer.write(out)
    return True
