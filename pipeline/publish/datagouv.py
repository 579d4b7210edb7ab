"""`datainclusion publish --datagouv`: push a release to its fixed data.gouv.fr resources.

For each configured file: upload it to its resource
(`POST /api/1/datasets/{dataset}/resources/{resource}/upload/`), then update
the resource's metadata (`PUT /api/1/datasets/{dataset}/resources/{resource}/`:
title, format, schema, checksum); finally the dataset's temporal coverage
(`PUT /api/1/datasets/{dataset}/`). The API key comes from `DATAGOUV_API_KEY`
and is sent only in the `X-API-KEY` header, never printed. Without a key the
command is a dry run that prints what would be sent.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.http import HttpClient, HttpError, RetryPolicy
from pipeline.paths import PROJECT_ROOT
from pipeline.schema import SCHEMA_PACKAGE_VERSION

ENV_KEY = "DATAGOUV_API_KEY"
ENV_URL = "DATAINCLUSION_DATAGOUV_URL"
ENV_CONFIG = "DATAINCLUSION_DATAGOUV_CONFIG"
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "datagouv.toml"


class PublishError(Exception):
    """The configuration or the release cannot be published."""


@dataclass(frozen=True)
class Upload:
    path: str  # relative to the release folder
    resource: str
    title: str
    format: str
    schema: dict[str, str] | None = None


@dataclass(frozen=True)
class Target:
    base_url: str
    dataset: str
    uploads: tuple[Upload, ...]


def load_target(config: Path | None = None, base_url: str | None = None) -> Target:
    """Dataset and resource ids from the TOML configuration (path overridable by env)."""
    path = Path(config or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PublishError(f"cannot read the data.gouv configuration {path}: {exc}") from exc
    try:
        uploads = tuple(
            Upload(path=u["path"], resource=u["resource"], title=u["title"], format=u["format"],
                   schema=u.get("schema"))
            for u in data["resources"]
        )
        dataset = data["dataset"]
    except (KeyError, TypeError) as exc:
        raise PublishError(f"{path}: expected `dataset` and [[resources]] with path, resource, title, format ({exc})")
    missing = [u.path for u in uploads if not u.resource] + ([] if dataset else ["dataset"])
    if missing:
        raise PublishError(f"{path}: no data.gouv id configured for {', '.join(missing)}")
    url = base_url or os.environ.get(ENV_URL) or data.get("base_url", "https://www.data.gouv.fr")
    return Target(url.rstrip("/"), dataset, uploads)


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _dated_name(upload: Upload, release_date: str) -> str:
    """data.gouv keeps the uploaded file name: `structures-2026-11-30.csv`."""
    stem, _, suffix = Path(upload.path).name.partition(".")
    return f"{stem}-{release_date}.{suffix}"


def _metadata(upload: Upload, checksum: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "title": upload.title,
        "format": upload.format,
        "type": "main",
        "checksum": {"type": "sha256", "value": checksum},
    }
    if upload.schema:
        metadata["schema"] = {"name": upload.schema["name"], "version": upload.schema.get("version", SCHEMA_PACKAGE_VERSION)}
    return metadata


def _release_info(release: Path) -> tuple[str, dict[str, str], tuple[str, str] | None]:
    """Release date, sha256 per file (SHA256SUMS) and the data's date range (catalog)."""
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    sums = {}
    for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    catalog = json.loads((release / "catalog.jsonld").read_text(encoding="utf-8"))
    temporal = catalog["@graph"][1].get("dct:temporal")
    coverage = (temporal["dcat:startDate"]["@value"], temporal["dcat:endDate"]["@value"]) if temporal else None
    return package["version"], sums, coverage


def publish(release: Path, target: Target, api_key: str | None, say: Callable[[str], None],
            policy: RetryPolicy | None = None) -> Outcome:
    """Upload every configured file; a failing file is reported and the others go on."""
    release_date, sums, coverage = _release_info(release)
    outcome = Outcome()
    http = HttpClient("data.gouv", policy=policy, log=say) if api_key else None
    headers = {"X-API-KEY": api_key} if api_key else {}
    dataset_url = f"{target.base_url}/api/1/datasets/{target.dataset}"
    for upload in target.uploads:
        file_path = release / upload.path
        if not file_path.is_file():
            outcome.failed.append(f"{upload.path}: not in the release")
            say(f"FAILED {upload.path}: not in the release {release}")
            continue
        resource_url = f"{dataset_url}/resources/{upload.resource}"
        metadata = _metadata(upload, sums[upload.path])
        name = _dated_name(upload, release_date)
        if http is None:
            say(f"[dry run] POST {resource_url}/upload/ file={name} ({file_path.stat().st_size} bytes)")
            say(f"[dry run] PUT {resource_url}/ {json.dumps(metadata, ensure_ascii=False)}")
            continue
        try:
            # Bytes, not a handle: a retried request must send the whole file again.
            http.post(f"{resource_url}/upload/", headers=headers, files={"file": (name, file_path.read_bytes())})
            http.request("PUT", f"{resource_url}/", headers=headers, json=metadata)
        except HttpError as exc:
            reason = f"{exc} (the API key was refused)" if " HTTP 401 " in f"{exc} " or " HTTP 403 " in f"{exc} " else str(exc)
            outcome.failed.append(f"{upload.path}: {reason}")
            say(f"FAILED {upload.path}: {reason}")
            continue
        outcome.sent.append(upload.path)
        say(f"uploaded {upload.path} -> resource {upload.resource}")
    if coverage:
        payload = {"temporal_coverage": {"start": coverage[0], "end": coverage[1]}}
        if http is None:
            say(f"[dry run] PUT {dataset_url}/ {json.dumps(payload)}")
        elif not outcome.failed:
            try:
                http.request("PUT", f"{dataset_url}/", headers=headers, json=payload)
                say(f"dataset {target.dataset}: temporal coverage {coverage[0]} .. {coverage[1]}")
            except HttpError as exc:
                outcome.failed.append(f"dataset metadata: {exc}")
                say(f"FAILED dataset metadata: {exc}")
    return outcome
