"""The scale generator writes archives the pipeline replays: every source, balanced accounts, a real next day."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bench import generate
from pipeline import sources
from pipeline.sources import archive
from tests.conftest import Workspace, shared_folder

DAY1, DAY2 = date(2026, 11, 28), date(2026, 11, 29)


@pytest.fixture(scope="module")
def generated(request: pytest.FixtureRequest) -> tuple[Workspace, generate.Generated, generate.Generated]:
    ws = Workspace(shared_folder(request, "scale"))
    first = generate.generate(ws.data_dir, DAY1, scale=0.001, seed=1, invalid_share=0.05)
    second = generate.next_day(ws.data_dir, first.run_id, DAY2, changed=0.2, seed=2, invalid_share=0.05)
    return ws, first, second


def test_every_source_is_archived_as_a_fetch_would_be(generated):
    ws, first, _ = generated
    for source in sources.discover():
        found = archive.for_run(ws.data_dir / "raw", source.name, first.run_id)
        assert found is not None and found.ok, source.name
        assert found.path.parent.parent.name == DAY1.isoformat()
        manifest = json.loads((found.path / archive.MANIFEST).read_text())
        assert manifest["origin"] == "generated" and manifest["record_count"] > 0
        assert {e["stream"] for e in manifest["files"]} <= set(source.streams)
        parsed = sum(len(list(source.parse(f))) for f in found.files())  # sha256 checked on reading
        assert parsed == manifest["record_count"], source.name
    assert first.total("structures") >= 100 and first.total("services") >= 120


def test_same_seed_same_payloads(generated, tmp_path):
    ws, first, _ = generated
    again = generate.generate(tmp_path, DAY1, scale=0.001, seed=1, invalid_share=0.05)

    def hashes(raw_dir, run_id):
        return sorted((m["source"], f["name"], f["sha256"]) for p in raw_dir.glob(f"*/*/{run_id}/manifest.json")
                      for m in [json.loads(p.read_text())] for f in m["files"])

    assert hashes(tmp_path / "raw", again.run_id) == hashes(ws.data_dir / "raw", first.run_id)


def test_replay_publishes_every_source_with_balanced_accounts(generated):
    ws, first, second = generated
    result = ws.run("--replay", first.run_id, reference_date=DAY1.isoformat())
    assert result.exit_code == 0, result.output
    published = dict(ws.query("select source, count(*) from pub__structures group by all"))
    assert set(published) == {s.name for s in sources.discover()}
    rows = ws.query("select source, entity, raw, published, quarantined, excluded, balanced from int__accounting")
    assert rows and all(row[-1] for row in rows), rows
    raw = {(source, entity): n for source, entity, n, *_ in rows}
    for name, counts in first.entities.items():
        for entity, n in counts.items():
            assert raw.get((name, entity), 0) == n, (name, entity)
    # The invalid values end in quarantine, never in the published tables.
    assert sum(row[4] for row in rows) > 0
    assert ws.query("select count(*) from pub__structures where courriel like '%@' or courriel like '% at %'") == [(0,)]

    result = ws.run("--replay", second.run_id, reference_date=DAY2.isoformat())
    assert result.exit_code == 0, result.output
    kinds = dict(ws.query("select kind, count(*) from int__changes group by all"))
    assert kinds.get("added") and kinds.get("removed") and kinds.get("changed") and kinds.get("unchanged")
    done = {k: sum(c[k] for c in second.changes.values()) for k in ("added", "removed", "modified")}
    assert all(done.values()), done
