"""DORA live fetch against a replay server on 127.0.0.1: pagination, retries, failures, stale fallback."""

from __future__ import annotations

import json

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace
from tests.replay import Reply, ReplayServer

SAMPLE = SOURCES_DIR / "dora" / "sample"
STRUCTURES = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
SERVICES = json.loads((SAMPLE / "services.json").read_text(encoding="utf-8"))
FIRST = "?page_size=1000&o=creation_date"


def page(results: list, next_url: str | None) -> Reply:
    body = {"count": len(results), "next": next_url, "previous": None, "results": results}
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


def script_pages(server: ReplayServer, stream: str, records: list, pages: int) -> None:
    path = f"/api/v2/{stream}/"
    size = -(-len(records) // pages)
    chunks = [records[i : i + size] for i in range(0, len(records), size)]
    for number, chunk in enumerate(chunks, start=1):
        nxt = f"{server.url}{path}?page={number + 1}" if number < len(chunks) else None
        query = FIRST if number == 1 else f"?page={number}"
        server.add("GET", path + query, page(chunk, nxt))


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env.update({
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}/api/v2/",
        "DORA_API_TOKEN": "s3cret-token",
    })
    return workspace


def archives(ws: Workspace) -> list:
    return sorted(ws.data_dir.glob("raw/*/dora/*/manifest.json"))


def test_pagination_over_three_pages(live: Workspace, replay_server: ReplayServer):
    script_pages(replay_server, "structures", STRUCTURES, 3)
    script_pages(replay_server, "services", SERVICES, 3)
    result = live.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert len(replay_server.requests_to("/api/v2/structures/")) == 3
    assert all(r.headers["Authorization"] == "Token s3cret-token" for r in replay_server.received)
    assert "s3cret-token" not in result.output
    assert live.query("select count(*) from pub__structures") == [(22,)]
    (manifest_path,) = archives(live)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["origin"] == "live" and manifest["status"] == "ok"
    assert manifest["record_count"] == 39
    assert [f["name"] for f in manifest["files"]][:3] == ["structures-0001.json", "structures-0002.json",
                                                          "structures-0003.json"]
    assert all(f["http_status"] == 200 and f["url"].startswith(replay_server.url) for f in manifest["files"])
    for entry in manifest["files"]:
        assert (manifest_path.parent / entry["name"]).stat().st_size == entry["bytes"]


def test_429_is_retried_after_the_announced_delay(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/api/v2/structures/" + FIRST,
                      Reply(429, "slow down", {"Retry-After": "1"}), page(STRUCTURES, None))
    script_pages(replay_server, "services", SERVICES, 1)
    result = live.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert "HTTP 429" in result.output and "in 1.0s" in result.output
    assert len(replay_server.requests_to("/api/v2/structures/")) == 2
    assert live.query("select count(*) from pub__structures") == [(22,)]


def test_500_then_success(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/api/v2/services/" + FIRST, Reply(500, "oops"), page(SERVICES, None))
    script_pages(replay_server, "structures", STRUCTURES, 1)
    result = live.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert live.query("select count(*) from raw_dora__services") == [(17,)]


def _good_first_run(live: Workspace, server: ReplayServer) -> None:
    script_pages(server, "structures", STRUCTURES, 2)
    script_pages(server, "services", SERVICES, 1)
    assert live.run("--live", "--source", "dora").exit_code == 0
    server.routes.clear()


@pytest.mark.parametrize("failure,message", [
    (Reply(200, '{"count": 1, "next": null, "results": [{"id": ', {"Content-Type": "application/json"}),
     "is not valid JSON"),
    (Reply(200, "x" * 4000, {"Content-Type": "application/json"}, truncate=True), "failed after"),
    (Reply(200, "[]", delay=5), "timed out"),
    (Reply(503, "down"), "HTTP 503"),
])
def test_failure_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer, failure, message):
    _good_first_run(live, replay_server)
    before = archives(live)
    first_bytes = {p: p.read_bytes() for p in before}
    replay_server.add("GET", "/api/v2/structures/" + FIRST, failure)
    script_pages(replay_server, "services", SERVICES, 1)
    result = live.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert message in result.output
    assert "using its last good archive" in result.output and "(stale)" in result.output
    assert live.query("select count(*) from pub__structures") == [(22,)]
    assert all(p.read_bytes() == content for p, content in first_bytes.items()), "earlier archive untouched"
    status = live.query("select status from runs order by started_at desc limit 1")
    assert status == [("stale-sources",)]


def test_empty_result_is_published_empty_not_stale(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/api/v2/structures/" + FIRST, page([], None))
    replay_server.add("GET", "/api/v2/services/" + FIRST, page([], None))
    result = live.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert live.query("select count(*) from pub__structures") == [(0,)]
    manifest = json.loads(archives(live)[0].read_text())
    assert manifest["record_count"] == 0 and manifest["status"] == "ok"


def test_replay_rebuilds_a_run_without_network(live: Workspace, replay_server: ReplayServer):
    _good_first_run(live, replay_server)
    first = (live.dist / "structures.csv").read_bytes()
    run_id = live.query("select run_id from runs")[0][0]
    replay_server.stop()
    result = live.run("--replay", run_id)
    assert result.exit_code == 0, result.output
    assert (live.dist / "structures.csv").read_bytes() == first
    assert len(archives(live)) == 1, "a replay writes no new archive"


def test_missing_token_is_reported_and_the_source_is_left_out(workspace: Workspace, replay_server: ReplayServer):
    workspace.extra_env["DATAINCLUSION_DORA_URL"] = f"{replay_server.url}/api/v2/"
    result = workspace.run("--live", "--source", "dora")
    assert "DORA_API_TOKEN" in result.output
    assert replay_server.received == []
