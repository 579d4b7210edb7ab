"""History across releases: changes, registry, past states, --previous, freshness guard."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline import schema
from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace, shared_folder
from tests.replay import Reply, ReplayServer

SAMPLE = SOURCES_DIR / "dora" / "sample"
STRUCTURES = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
SERVICES = json.loads((SAMPLE / "services.json").read_text(encoding="utf-8"))
REMOVED = "0a6f3c89-5fe4-488d-83a9-16cb3e40513c"  # CMSEA Espace Insertion, no service
CHANGED = "3392638e-88e1-49dc-bb73-22aeb063ffb2"  # EPICERIE SOLIDAIRE SILOE
ADDED = "99999999-0000-4000-8000-000000000001"
D1, D2, D3 = "2026-11-02", "2026-11-09", "2026-11-16"


def write_input(folder: Path, structures: list, services: list = SERVICES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "structures.json").write_text(json.dumps(structures, ensure_ascii=False), encoding="utf-8")
    (folder / "services.json").write_text(json.dumps(services, ensure_ascii=False), encoding="utf-8")
    return folder


def second_release_input(folder: Path) -> Path:
    structures = [dict(s) for s in STRUCTURES if s["id"] != REMOVED]
    for s in structures:
        if s["id"] == CHANGED:
            s["name"] = "ÉPICERIE SOLIDAIRE SILOÉ"
            s["phone"] = "01 02 03 04 05"
    added = dict(STRUCTURES[5], id=ADDED, name="Nouvelle structure de test")
    return write_input(folder, structures + [added])


def run_dora(ws: Workspace, folder: Path, day: str, *args: str):
    result = ws.run("--source", "dora", "--input", str(folder), *args, reference_date=day)
    return result


@pytest.fixture(scope="module")
def three_releases(request: pytest.FixtureRequest) -> tuple[Workspace, dict]:
    ws = Workspace(shared_folder(request, "history"))
    first = write_input(ws.root / "in1", STRUCTURES)
    second = second_release_input(ws.root / "in2")
    snapshots = {}
    for day, folder in ((D1, first), (D2, second), (D3, second)):
        result = run_dora(ws, folder, day)
        assert result.exit_code == 0, result.output
        snapshots[day] = {
            "changes": pq.read_table(ws.dist / "changes.parquet").to_pylist(),
            "structures": pq.read_table(ws.dist / "structures.parquet").to_pylist(),
        }
    return ws, snapshots


def kinds(changes: list[dict], table: str = "structures") -> dict[str, str]:
    return {c["id"]: c["kind"] for c in changes if c["table"] == table}


def test_first_release_adds_everything(three_releases):
    _, snapshots = three_releases
    assert set(kinds(snapshots[D1]["changes"]).values()) == {"added"}
    assert len(kinds(snapshots[D1]["changes"])) == 22


def test_second_release_lists_added_removed_changed_unchanged(three_releases):
    _, snapshots = three_releases
    changes = snapshots[D2]["changes"]
    k = kinds(changes)
    assert k.pop(f"dora--{REMOVED}") == "removed"
    assert k.pop(f"dora--{CHANGED}") == "changed"
    assert k.pop(f"dora--{ADDED}") == "added"
    assert set(k.values()) == {"unchanged"} and len(k) == 20
    changed = next(c for c in changes if c["id"] == f"dora--{CHANGED}")
    assert changed["changed_fields"] == ["nom", "telephone"]
    assert all(c["changed_fields"] is None for c in changes if c["kind"] != "changed")
    assert set(kinds(changes, "services").values()) == {"unchanged"}


def test_third_release_same_inputs_changes_nothing(three_releases):
    _, snapshots = three_releases
    changes = snapshots[D3]["changes"]
    assert set(kinds(changes).values()) == {"unchanged"} and len(kinds(changes)) == 22
    assert f"dora--{REMOVED}" not in kinds(changes), "a record removed earlier is not listed again"


def test_registry_dates(three_releases):
    ws, _ = three_releases
    registry = {r["id"]: r for r in pq.read_table(ws.dist / "registry.parquet").to_pylist()}
    d1, d2, d3 = (date.fromisoformat(d) for d in (D1, D2, D3))
    changed = registry[f"dora--{CHANGED}"]
    assert (changed["first_seen"], changed["last_seen"], changed["last_changed"], changed["present"]) == (d1, d3, d2, True)
    removed = registry[f"dora--{REMOVED}"]
    assert (removed["first_seen"], removed["last_seen"], removed["last_changed"], removed["present"]) == (d1, d1, d2, False)
    added = registry[f"dora--{ADDED}"]
    assert (added["first_seen"], added["last_seen"], added["last_changed"]) == (d2, d3, d2)
    unchanged = registry["dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e"]
    assert (unchanged["first_seen"], unchanged["last_seen"], unchanged["last_changed"]) == (d1, d3, d1)
    assert len(unchanged["content_hash"]) == 64


def test_state_on_a_past_date_is_one_query(three_releases):
    ws, snapshots = three_releases
    history = ws.dist / "history" / "structures.parquet"
    for day in (D1, D2):
        rows = duckdb.sql(
            f"select * exclude (content_hash, valid_from, valid_to) from read_parquet('{history}') "
            f"where valid_from <= date '{day}' and (valid_to is null or valid_to > date '{day}') order by id"
        ).fetchall()
        v1 = schema.field_names("structures")
        published = [tuple(r[c] for c in v1) for r in snapshots[day]["structures"]]
        assert rows == published


def test_rerunning_a_date_gives_the_same_history(three_releases):
    ws, _ = three_releases
    before = {p.name: p.read_bytes() for p in (ws.dist / "history").iterdir()}
    result = run_dora(ws, ws.root / "in2", D3)
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in (ws.dist / "history").iterdir()} == before


def test_history_cannot_go_back_in_time(three_releases):
    ws, _ = three_releases
    result = run_dora(ws, ws.root / "in2", "2026-10-01")
    assert result.exit_code == 2
    assert "history can only move forward" in result.output
    # The export had started beside the history stage: it was waited for, then its build folder removed.
    assert not list(ws.root.glob(f".{ws.dist.name}.build-*"))


def serve_release(server: ReplayServer, dist: Path, prefix: str = "/release") -> str:
    for path in dist.rglob("*"):
        if path.is_file():
            server.add("GET", f"{prefix}/{path.relative_to(dist).as_posix()}", Reply(200, path.read_bytes()))
    return server.url + prefix


def test_previous_restores_history_from_a_release_served_over_http(workspace, replay_server, tmp_path):
    publisher = Workspace(tmp_path / "first-runner")
    folder = write_input(tmp_path / "in", STRUCTURES)
    assert run_dora(publisher, folder, D1).exit_code == 0
    url = serve_release(replay_server, publisher.dist)
    result = run_dora(workspace, folder, D2, "--previous", url)
    assert result.exit_code == 0, result.output
    assert "history restored from" in result.output
    assert any(r.path == "/release/history/structures.parquet" for r in replay_server.received)
    changes = pq.read_table(workspace.dist / "changes.parquet").to_pylist()
    assert {c["kind"] for c in changes} == {"unchanged"}, "restoring then re-running adds no change"
    registry = pq.read_table(workspace.dist / "registry.parquet").to_pylist()
    assert {r["first_seen"] for r in registry} == {date.fromisoformat(D1)}


def test_previous_without_any_release_starts_the_history(workspace, replay_server, tmp_path):
    folder = write_input(tmp_path / "in", STRUCTURES)
    result = run_dora(workspace, folder, D1, "--previous", replay_server.url + "/nothing-here")
    assert result.exit_code == 0, result.output
    assert "history starts with this run" in result.output


def test_previous_unreachable_fails_the_run(workspace, replay_server, tmp_path):
    replay_server.add("GET", "/broken/history/structures.parquet", Reply(500, "down"))
    folder = write_input(tmp_path / "in", STRUCTURES)
    result = run_dora(workspace, folder, D1, "--previous", replay_server.url + "/broken")
    assert result.exit_code == 1
    assert "cannot restore the history" in result.output
    assert not workspace.dist.exists()


def test_a_30_percent_drop_fails_and_keeps_the_previous_release(workspace, tmp_path):
    full = write_input(tmp_path / "full", STRUCTURES)
    assert run_dora(workspace, full, D1).exit_code == 0
    before = {p.relative_to(workspace.dist): p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()}
    kept = STRUCTURES[: int(len(STRUCTURES) * 0.7)]
    smaller = write_input(tmp_path / "smaller", kept)
    result = run_dora(workspace, smaller, D2)
    assert result.exit_code == 1
    assert "baisse-volume" in result.output and "freshness guard" in result.output
    after = {p.relative_to(workspace.dist): p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()}
    assert after == before
    assert workspace.query("select count(*) from hist__releases") == [(1,)], "history untouched"
    forced = run_dora(workspace, smaller, D2, "--allow-drop")
    assert forced.exit_code == 0, forced.output
    assert workspace.query("select count(*) from hist__releases") == [(2,)]
