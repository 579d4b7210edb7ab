"""A producer misbehaves; the run says so, the others are published, nothing is lost, the next run recovers."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.replay import Reply
from tests.resilience.conftest import (DORA, FS_CSV, SOURCES, Checks, Producers, live_run, snapshot,
                                       truncated_gzip)


def first_release(ws: Workspace, producers: Producers) -> dict[str, bytes]:
    producers.healthy()
    result = live_run(ws)
    assert result.exit_code == 0, result.output
    return snapshot(ws.data_dir / "raw")


def recovers(ws: Workspace, producers: Producers, checks: Checks, archives_before: dict[str, bytes]) -> None:
    """The next healthy run publishes every source fresh; every earlier archive is untouched."""
    producers.healthy()
    result = live_run(ws)
    assert result.exit_code == 0, result.output
    assert checks.status() == "ok"
    checks.published(*SOURCES)
    checks.accounting_balances()
    after = snapshot(ws.data_dir / "raw")
    assert all(after[name] == content for name, content in archives_before.items()), "an archive changed"


def dora_fault(producers: Producers, reply: Reply, on_page: int = 1) -> None:
    producers.broken("dora")
    producers.dora("structures", DORA["structures"], pages=3, replies={on_page: reply})
    producers.dora("services", DORA["services"])


FAULTS = {
    "hangs": (lambda p: dora_fault(p, Reply(200, "[]", delay=3)), "timed out"),
    "500 for the whole run": (lambda p: dora_fault(p, Reply(500, "Internal Server Error")), "HTTP 500"),
    # the gzip stream stops half-way: what was decoded is not a whole JSON page
    "truncated gzip": (lambda p: dora_fault(p, truncated_gzip(json.dumps({"results": DORA["structures"]}).encode())),
                       "is not valid JSON"),
    "invalid JSON mid-page": (lambda p: dora_fault(p, Reply(200, '{"count": 9, "next": null, "results": [{"id": "x",',
                                                           {"Content-Type": "application/json"}), on_page=2),
                              "is not valid JSON"),
    "CSV with a changed header": (
        lambda p: (p.broken("france-services"),
                   p.france_services(FS_CSV.replace(b"lib_fs", b"libelle_france_services", 1))),
        "lib_fs"),
    "empty 200": (lambda p: (p.broken("dora"), p.dora("structures", []), p.dora("services", [])),
                  "holds no record"),
}


def test_each_fault_keeps_the_last_good_archive_and_the_next_run_recovers(workspace: Workspace,
                                                                        producers: Producers, checks: Checks):
    """One walk: a healthy release, then for each fault a broken run followed by a healthy one."""
    first_release(workspace, producers)
    for fault, (script, message) in FAULTS.items():
        archives = snapshot(workspace.data_dir / "raw")
        script(producers)
        result = live_run(workspace)
        assert result.exit_code == 0, (fault, result.output)
        assert message in result.output, (fault, result.output)
        assert "(stale)" in result.output and "using its last good archive" in result.output, fault
        assert checks.status() == "stale-sources", fault
        checks.published(*SOURCES)  # the broken one from its last good archive, the others fresh
        checks.accounting_balances()
        kept = snapshot(workspace.data_dir / "raw")
        assert all(kept[n] == c for n, c in archives.items()), f"{fault}: an earlier archive changed"
        recovers(workspace, producers, checks, kept)


def test_duplicate_ids_are_quarantined_not_published_twice(workspace: Workspace, producers: Producers,
                                                           checks: Checks):
    archives = first_release(workspace, producers)
    producers.broken("dora")
    twice = DORA["structures"] + [dict(DORA["structures"][3], name="Un doublon d’identifiant")]
    producers.dora("structures", twice, pages=2)
    producers.dora("services", DORA["services"])
    result = live_run(workspace)
    assert result.exit_code == 0, result.output
    duplicated = f"dora--{DORA['structures'][3]['id']}"
    rows = workspace.query("select distinct code from int__quarantine where record_id = ?", [duplicated])
    assert rows and any("unique" in code or "primary" in code or "doublon" in code for (code,) in rows), rows
    assert workspace.query("select count(*) from pub__structures where id = ?", [duplicated]) == [(0,)]
    checks.published(*SOURCES)
    checks.accounting_balances()
    recovers(workspace, producers, checks, archives | snapshot(workspace.data_dir / "raw"))


def test_ten_times_the_usual_volume_is_published(workspace: Workspace, producers: Producers, checks: Checks):
    first_release(workspace, producers)
    producers.broken("dora")
    copies = [dict(s, id=f"{s['id'][:-4]}{n:04d}") for n in range(1, 10) for s in DORA["structures"]]
    many = DORA["structures"] + copies
    producers.dora("structures", many, pages=4)
    producers.dora("services", DORA["services"])
    result = live_run(workspace)
    assert result.exit_code == 0, result.output
    assert workspace.query("select count(*) from raw_dora__structures") == [(10 * len(DORA["structures"]),)]
    published = workspace.query("select count(*) from pub__structures where source = 'dora'")[0][0]
    assert published >= 9 * len(DORA["structures"])
    checks.accounting_balances()


def test_a_30_percent_drop_stops_the_release_and_the_next_run_recovers(workspace: Workspace, producers: Producers,
                                                                         checks: Checks):
    archives = first_release(workspace, producers)
    release = snapshot(workspace.dist)
    producers.broken("dora")
    producers.dora("structures", DORA["structures"][: int(len(DORA["structures"]) * 0.6)])
    producers.dora("services", DORA["services"])
    result = live_run(workspace)
    assert result.exit_code == 1
    assert "baisse-volume" in result.output and "nothing published" in result.output
    assert checks.status() == "failed-data"
    assert snapshot(workspace.dist) == release, "the previous release stays published"
    recovers(workspace, producers, checks, archives)
