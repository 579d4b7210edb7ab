"""Uploads to a udata-compatible server on 127.0.0.1: paths, key header, multipart file, metadata."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json

import pytest

from tests.conftest import Workspace
from tests.replay import Received, Reply, ReplayServer

KEY = "test-api-key-123"
DATASET = "6233723c2c1e4a54af2f6b2d"
RESOURCES = {"structures.csv": "11111111-aaaa-4000-8000-000000000001",
             "services.parquet": "11111111-aaaa-4000-8000-000000000002",
             "offre-insertion.xlsx": "11111111-aaaa-4000-8000-000000000003"}


def multipart_file(received: Received) -> tuple[str, bytes]:
    """(filename, content) of the `file` part of a multipart/form-data body."""
    head = f"Content-Type: {received.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + received.body)
    (part,) = [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"]
    return part.get_filename(), part.get_payload(decode=True)


def udata(reply: Reply) -> "callable":
    """A udata endpoint: 403 unless the right X-API-KEY, else `reply`."""
    def answer(received: Received) -> Reply:
        if received.headers.get("X-API-KEY") != KEY:
            return Reply(403, json.dumps({"message": "Invalid API Key"}), {"Content-Type": "application/json"})
        return reply
    return answer


def script_udata(server: ReplayServer, flaky: str | None = None) -> None:
    ok = Reply(200, json.dumps({"id": "x"}), {"Content-Type": "application/json"})
    for path, rid in RESOURCES.items():
        base = f"/api/1/datasets/{DATASET}/resources/{rid}"
        replies = ([Reply(502, "bad gateway")] if path == flaky else []) + [udata(ok)]
        server.add("POST", f"{base}/upload/", *replies)
        server.add("PUT", f"{base}/", udata(ok))
    server.add("PUT", f"/api/1/datasets/{DATASET}/", udata(ok))


@pytest.fixture
def release(sample_run: Workspace, tmp_path) -> Workspace:
    config = tmp_path / "datagouv.toml"
    lines = [f'dataset = "{DATASET}"']
    for path, rid in RESOURCES.items():
        schema = '\nschema = { name = "data-inclusion-schema", version = "1.0.10" }' if path.endswith(".csv") else ""
        lines.append(f'[[resources]]\npath = "{path}"\nresource = "{rid}"\ntitle = "T {path}"\n'
                     f'format = "{path.rsplit(".", 1)[1]}"{schema}')
    config.write_text("\n".join(lines), encoding="utf-8")
    ws = Workspace(sample_run.root, {"DATAINCLUSION_DATAGOUV_CONFIG": str(config)})
    return ws


def test_uploads_each_file_then_its_metadata_then_the_dataset(release: Workspace, replay_server: ReplayServer):
    script_udata(replay_server)
    release.extra_env.update({"DATAINCLUSION_DATAGOUV_URL": replay_server.url, "DATAGOUV_API_KEY": KEY})
    result = release.cli("publish", "--datagouv")
    assert result.exit_code == 0, result.output
    assert KEY not in result.output
    requests = replay_server.received
    assert [(r.method, r.path) for r in requests] == [
        (method, f"/api/1/datasets/{DATASET}/resources/{rid}/{suffix}")
        for rid in RESOURCES.values() for method, suffix in (("POST", "upload/"), ("PUT", ""))
    ] + [("PUT", f"/api/1/datasets/{DATASET}/")]
    assert all(r.headers["X-API-KEY"] == KEY for r in requests)
    upload = requests[0]
    name, content = multipart_file(upload)
    assert name == "structures-2026-11-28.csv"
    assert content == (release.dist / "structures.csv").read_bytes()
    metadata = json.loads(requests[1].body)
    assert metadata == {
        "title": "T structures.csv", "format": "csv", "type": "main",
        "checksum": {"type": "sha256", "value": hashlib.sha256(content).hexdigest()},
        "schema": {"name": "data-inclusion-schema", "version": "1.0.10"},
    }
    workbook_name, workbook = multipart_file(requests[4])
    assert workbook_name == "offre-insertion-2026-11-28.xlsx" and workbook.startswith(b"PK")
    coverage = json.loads(requests[-1].body)["temporal_coverage"]
    assert coverage["end"] >= coverage["start"]


def test_a_rejected_key_fails_each_file_clearly(release: Workspace, replay_server: ReplayServer):
    script_udata(replay_server)
    release.extra_env.update({"DATAINCLUSION_DATAGOUV_URL": replay_server.url, "DATAGOUV_API_KEY": "wrong"})
    result = release.cli("publish", "--datagouv")
    assert result.exit_code == 1
    failures = [line for line in result.output.splitlines() if line.startswith("FAILED")]
    assert [line.split(":")[0] for line in failures] == [f"FAILED {p}" for p in RESOURCES]
    assert all("HTTP 403" in line and "the API key was refused" in line for line in failures)
    assert "wrong" not in result.output
    assert not any(r.method == "PUT" for r in replay_server.received), "no metadata after a failed upload"


def test_a_5xx_is_retried(release: Workspace, replay_server: ReplayServer):
    script_udata(replay_server, flaky="services.parquet")
    release.extra_env.update({"DATAINCLUSION_DATAGOUV_URL": replay_server.url, "DATAGOUV_API_KEY": KEY})
    result = release.cli("publish", "--datagouv")
    assert result.exit_code == 0, result.output
    uploads = [r for r in replay_server.received if r.path.endswith(f"{RESOURCES['services.parquet']}/upload/")]
    assert len(uploads) == 2
    assert multipart_file(uploads[1])[1] == (release.dist / "services.parquet").read_bytes()


def test_without_a_key_it_is_a_dry_run(release: Workspace, replay_server: ReplayServer):
    release.extra_env["DATAINCLUSION_DATAGOUV_URL"] = replay_server.url
    result = release.cli("publish", "--datagouv")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert f"POST {replay_server.url}/api/1/datasets/{DATASET}/resources/{RESOURCES['structures.csv']}/upload/" in result.output
    assert replay_server.received == []


def test_unconfigured_ids_refuse_to_publish(sample_run: Workspace):
    result = sample_run.cli("publish", "--datagouv")  # the shipped config has no ids yet
    assert result.exit_code == 2
    assert "no data.gouv id configured" in result.output
