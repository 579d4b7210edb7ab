"""The raw archive: what each run received, per source, never modified afterwards.

Layout: `<data>/raw/<reference date>/<source>/<run id>/` with the payload
files and a `manifest.json` (url, HTTP status, bytes, sha256, fetched_at,
record count, status). A folder is written under a temporary name and
renamed when complete, so a killed run never leaves a half archive that looks
whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.sources.base import RawFile, SourceError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Archive:
    """One source's archived payloads for one run."""

    path: Path
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.manifest.get("status") == "ok"

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    def files(self) -> list[RawFile]:
        files = []
        for entry in self.manifest["files"]:
            content = (self.path / entry["name"]).read_bytes()
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise SourceError(f"{self.manifest['source']}: archived file {self.path / entry['name']} does not match its manifest sha256")
            files.append(
                RawFile(
                    name=entry["name"],
                    stream=entry["stream"],
                    content=content,
                    url=entry.get("url"),
                    status=entry.get("http_status"),
                    fetched_at=entry.get("fetched_at"),
                    media_type=entry.get("media_type", "application/json"),
                )
            )
        return files


def write(
    raw_dir: Path,
    reference_date: date,
    source: str,
    run_id: str,
    origin: str,
    files: list[RawFile],
    record_counts: dict[str, int],
    status: str,
    error: str | None = None,
) -> Archive:
    """Write one run's payloads and manifest for a source, atomically."""
    final = raw_dir / reference_date.isoformat() / source / run_id
    if final.exists():
        raise SourceError(f"{source}: archive {final} already exists; archives are never overwritten")
    tmp = final.with_name(f".{run_id}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    entries = []
    for file in files:
        (tmp / file.name).write_bytes(file.content)
        entries.append(
            {
                "name": file.name,
                "stream": file.stream,
                "url": file.url,
                "http_status": file.status,
                "media_type": file.media_type,
                "bytes": len(file.content),
                "sha256": hashlib.sha256(file.content).hexdigest(),
                "fetched_at": file.fetched_at,
                "records": record_counts.get(file.name),
            }
        )
    manifest = {
        "source": source,
        "run_id": run_id,
        "reference_date": reference_date.isoformat(),
        "origin": origin,
        "status": status,
        "error": error,
        "record_count": sum(v for v in record_counts.values() if v is not None),
        "files": entries,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, final)
    return Archive(final, manifest)


def _all(raw_dir: Path, source: str) -> list[Archive]:
    archives = []
    for manifest_path in raw_dir.glob(f"*/{source}/*/{MANIFEST}"):
        if manifest_path.parent.name.startswith("."):  # a write a crash left unfinished
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        archives.append(Archive(manifest_path.parent, manifest))
    return sorted(archives, key=lambda a: a.run_id)


def last_good(
    raw_dir: Path, source: str, before: str | None = None, origins: tuple[str, ...] | None = None
) -> Archive | None:
    """The newest complete, successfully read archive of a source.

    `before` limits it to runs up to a run id; `origins` to archives of some
    origins (a failed live fetch falls back on live archives only, never on
    the bundled sample).
    """
    good = [
        a
        for a in _all(raw_dir, source)
        if a.ok
        and (before is None or a.run_id <= before)
        and (origins is None or a.manifest.get("origin") in origins)
    ]
    return good[-1] if good else None


def for_run(raw_dir: Path, source: str, run_id: str) -> Archive | None:
    """The archive a given run wrote for a source, if any."""
    for archive in _all(raw_dir, source):
        if archive.run_id == run_id:
            return archive
    return None


def run_exists(raw_dir: Path, run_id: str) -> bool:
    return any(raw_dir.glob(f"*/*/{run_id}/{MANIFEST}"))
