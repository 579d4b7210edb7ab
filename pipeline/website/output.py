"""Writing the site incrementally: a file whose inputs did not change is linked from the last build.

Every output belongs to a *unit* (one structure, one département, one page…)
with a *key*: a hash of everything the unit's files are made from, mixed with
the builder's fingerprint (templates, assets, code, configuration). The build
manifest (`.site-build.json`, beside `site/` in the release) records, per unit,
its key and its files with their sha256 and size. When a unit's key is the same
as in the previous release, its files are hard-linked from there (copied when
linking is impossible) instead of being rendered again. Files are never
written through an existing path, so the previous release is never modified.

A unit may also leave a *memo* for the next build (JSON, saved in the
manifest under `memos`): the search index keeps there what each shard holds,
to update it instead of indexing it again (see `search`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline import cycles

MANIFEST_NAME = ".site-build.json"
MANIFEST_VERSION = 3

FileEntry = tuple[str, str, int]  # relative path, sha256 (API files only, else ""), bytes
HASHED = "api/"
# Folders linked at once by `reuse_all` (a structure's page, its JSON and its services' are in three).
LINK_THREADS = 3
# Folders this process already created (file creation is the costly part of a build).
_MADE: set[Path] = set()


def digest(*parts: str | bytes) -> str:
    """A sha256 of strings or bytes, each part length-prefixed so concatenations cannot collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


@dataclass
class Stats:
    written: int = 0
    linked: int = 0
    bytes: int = 0


@dataclass
class Output:
    """The site folder being built, the previous build and their manifests."""

    root: Path
    fingerprint: str
    previous_root: Path | None = None
    previous_units: dict[str, list] = field(default_factory=dict)
    units: dict[str, list] = field(default_factory=dict)
    previous_memos: dict[str, Any] = field(default_factory=dict)
    memos: dict[str, Any] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    _dirs: set[str] = field(default_factory=set)
    # `reuse_all` may run in a thread beside `record` (see `entities`): they share the stats.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, root: Path, fingerprint: str, previous_release: Path | None) -> "Output":
        """An output in `root` (a release's `site/`), reusing `previous_release`'s site when possible."""
        root.mkdir(parents=True, exist_ok=True)
        previous_units: dict[str, list] = {}
        previous_memos: dict[str, Any] = {}
        previous_root = None
        if previous_release is not None and (previous_release / MANIFEST_NAME).is_file():
            with cycles.paused():  # 75 MB at national scale: 0.4 s, against 1.3-1.9 s with `json` and the collector
                manifest = orjson.loads((previous_release / MANIFEST_NAME).read_bytes())
            if manifest.get("version") == MANIFEST_VERSION and manifest.get("fingerprint") == fingerprint:
                previous_units = manifest["units"]
                previous_memos = manifest["memos"]
                previous_root = previous_release / "site"
        return cls(root, fingerprint, previous_root, previous_units, previous_memos=previous_memos)

    def unit_key(self, *parts: str | bytes) -> str:
        return digest(self.fingerprint, *parts)

    def unchanged(self, unit: str, key: str) -> bool:
        """The previous build has the unit under this key (its files can be linked)."""
        previous = self.previous_units.get(unit)
        return previous is not None and previous[0] == key and self.previous_root is not None

    def reuse(self, unit: str, key: str) -> bool:
        """Link the unit's files from the previous build if its key is unchanged; True when done."""
        return self.unchanged(unit, key) and self.reuse_previous(unit)

    def reuse_previous(self, unit: str) -> bool:
        """Link the unit's files from the previous build, under its previous key, whatever its inputs now."""
        return unit not in self.reuse_all([unit])

    def reuse_all(self, units: list[str]) -> set[str]:
        """`reuse_previous` of many units; returns those not reused (a file of theirs was lost).

        Their files are linked folder by folder, `LINK_THREADS` folders at a time: the kernel links into
        different folders at once (into one folder, one link at a time), and `os.link` releases the GIL.
        100,000 links into two folders took 0.7 s with two threads, 1.3 s with one."""
        if self.previous_root is None:
            return set(units)
        missing = {unit for unit in units if unit not in self.previous_units}
        by_folder: dict[str, list[tuple[str, str]]] = {}
        for unit in units:
            if unit not in missing:
                for rel, _, _ in self.previous_units[unit][1]:
                    by_folder.setdefault(os.path.dirname(rel), []).append((unit, rel))

        def link(pairs: list[tuple[str, str]]) -> set[str]:
            lost = set()
            for unit, rel in pairs:
                try:
                    self._link(rel)
                except FileNotFoundError:
                    lost.add(unit)
            return lost

        groups = sorted(by_folder.values(), key=len, reverse=True)
        if len(groups) < 2:
            lost = set().union(*map(link, groups))
        else:
            with ThreadPoolExecutor(max_workers=LINK_THREADS, thread_name_prefix="link") as pool:
                lost = set().union(*pool.map(link, groups))
        for unit in lost:  # the previous release lost a file: these units are rendered again
            for rel, _, _ in self.previous_units[unit][1]:
                Path(self.root, rel).unlink(missing_ok=True)
        with self._lock:
            for unit in units:
                if unit not in missing and unit not in lost:
                    previous = self.previous_units[unit]
                    self.stats.linked += len(previous[1])
                    self.stats.bytes += sum(e[2] for e in previous[1])
                    self.units[unit] = previous
        return missing | lost

    def reuse_unchanged(self, keys: dict[str, str]) -> list[str]:
        """`reuse` of many units (unit -> key), linked at once; returns those to render, in the given order."""
        same = [unit for unit, key in keys.items() if self.unchanged(unit, key)]
        reused = set(same) - self.reuse_all(same)
        return [unit for unit in keys if unit not in reused]

    def write(self, unit: str, key: str, files: Iterable[tuple[str, str | bytes]]) -> list[FileEntry]:
        """Write a unit's files (relative path, content) and record them under its key."""
        entries = [self._write(rel, content) for rel, content in files]
        self.units[unit] = [key, [list(e) for e in entries]]
        return entries

    def unit(self, unit: str, key: str, render: Callable[[], Iterable[tuple[str, str | bytes]]]) -> None:
        """Reuse the unit if unchanged, else render and write it."""
        if not self.reuse(unit, key):
            self.write(unit, key, render())

    def record(self, unit: str, key: str, entries: list[FileEntry]) -> None:
        """Record files written by someone else (a worker process, an external tool)."""
        with self._lock:
            self.units[unit] = [key, [list(e) for e in entries]]
            self.stats.written += len(entries)
            self.stats.bytes += sum(e[2] for e in entries)

    def remember(self, unit: str, memo: Any) -> None:
        """Leave `memo` for the next build of `unit`."""
        self.memos[unit] = memo

    def files(self) -> list[FileEntry]:
        """Every file of the build, sorted by path."""
        return sorted((tuple(e) for _, (_, entries) in self.units.items() for e in entries))  # type: ignore[misc]

    def save(self, release: Path) -> Path:
        path = release / MANIFEST_NAME
        manifest = {"version": MANIFEST_VERSION, "fingerprint": self.fingerprint,
                    "units": dict(sorted(self.units.items())), "memos": dict(sorted(self.memos.items()))}
        path.write_bytes(orjson.dumps(manifest))  # 75 MB at national scale: 0.07 s, against 0.5-1 s with `json`
        return path

    def _ensure_dir(self, path: str) -> None:
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)

    def _write(self, rel: str, content: str | bytes) -> FileEntry:
        self._ensure_dir(os.path.join(self.root, rel))
        entry = write_file(self.root, rel, content, make_dirs=False)
        with self._lock:
            self.stats.written += 1
            self.stats.bytes += entry[2]
        return entry

    def _link(self, rel: str) -> None:
        """Hard-link a file of the previous build (string paths: a national build links 400,000 files)."""
        assert self.previous_root is not None
        source, target = os.path.join(self.previous_root, rel), os.path.join(self.root, rel)
        self._ensure_dir(target)
        try:
            os.link(source, target)
        except FileExistsError:
            os.unlink(target)
            os.link(source, target)
        except FileNotFoundError:
            raise
        except OSError:
            shutil.copy2(source, target)


def write_file(root: Path, rel: str, content: str | bytes, make_dirs: bool = True) -> FileEntry:
    """Write one new file (never through an existing link); returns its entry.

    Only the API's files get a sha256 (listed by `api/v1/index.json`); other
    files are recorded with their size alone, which keeps the manifest small.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    path = root / rel
    if make_dirs and path.parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(path.parent)
    try:
        handle = open(path, "xb")
    except FileExistsError:
        path.unlink()
        handle = open(path, "xb")
    with handle:
        handle.write(data)
    return rel, hashlib.sha256(data).hexdigest() if rel.startswith(HASHED) else "", len(data)


def file_entry(path: Path, rel: str) -> FileEntry:
    """The entry of a file written by an external tool (outside the API: size only)."""
    return rel, "", path.stat().st_size
