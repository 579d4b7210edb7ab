"""Three producers played by a replay server on 127.0.0.1, healthy unless a test breaks one.

DORA (paginated JSON), Les emplois (paginated JSON, two types) and France
services (a dataset description, then a CSV download) serve their bundled
samples. A test runs a healthy release, breaks one producer for the next run,
then checks what every run must guarantee (`Checks`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace
from tests.replay import Reply, ReplayServer

DORA_API = "/dora/api/v2/"
EMPLOIS_API = "/emplois/api/v1/data-inclusion/"
FS_DATASET = "/api/1/datasets/france-services/"
FS_FILE = "/files/liste-fs.csv"
SOURCES = ("dora", "emplois-de-linclusion", "france-services")


def sample(folder: str, name: str) -> list:
    return json.loads((SOURCES_DIR / folder / "sample" / name).read_text(encoding="utf-8"))


DORA = {"structures": sample("dora", "structures.json"), "services": sample("dora", "services.json")}
EMPLOIS = {"siae": sample("emplois_de_linclusion", "siae.json"), "orga": sample("emplois_de_linclusion", "orga.json")}
FS_CSV = next((SOURCES_DIR / "france_services" / "sample").glob("*.csv")).read_bytes()


def page(results: list, next_url: str | None) -> Reply:
    body = {"count": len(results), "next": next_url, "previous": None, "results": results}
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


def dora_query(number: int) -> str:
    return "?page_size=1000&o=creation_date" if number == 1 else f"?page={number}"


def emplois_query(stream: str, number: int) -> str:
    return f"?type={stream}&page_size=1000" if number == 1 else f"?type={stream}&page={number}&page_size=1000"


@dataclass
class Producers:
    server: ReplayServer

    def dora(self, stream: str, records: list, pages: int = 1, replies: dict[int, Reply] | None = None) -> None:
        """DORA `stream` in `pages` pages; `replies` replaces given page numbers (a fault)."""
        path = f"{DORA_API}{stream}/"
        size = max(1, -(-len(records) // pages))
        chunks = [records[i: i + size] for i in range(0, len(records), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            nxt = f"{self.server.url}{path}?page={number + 1}" if number < len(chunks) else None
            reply = (replies or {}).get(number) or page(chunk, nxt)
            self.server.add("GET", path + dora_query(number), reply)

    def emplois(self) -> None:
        for stream, records in EMPLOIS.items():
            self.server.add("GET", EMPLOIS_API + emplois_query(stream, 1), page(records, None))

    def france_services(self, csv: bytes | Reply = FS_CSV) -> None:
        resources = [{"format": "csv", "url": f"{self.server.url}{FS_FILE}", "last_modified": "2022-12-01T09:30:00"}]
        self.server.add("GET", FS_DATASET, Reply(200, json.dumps({"resources": resources})))
        reply = csv if isinstance(csv, Reply) else Reply(200, csv, {"Content-Type": "text/csv; charset=utf-8"})
        self.server.add("GET", FS_FILE, reply)

    def healthy(self) -> None:
        self.server.routes.clear()
        self.dora("structures", DORA["structures"], pages=2)
        self.dora("services", DORA["services"])
        self.emplois()
        self.france_services()

    def broken(self, source: str) -> None:
        """Every producer healthy but `source`, whose routes the test then scripts."""
        self.server.routes.clear()
        if source != "dora":
            self.dora("structures", DORA["structures"], pages=2)
            self.dora("services", DORA["services"])
        if source != "emplois-de-linclusion":
            self.emplois()
        if source != "france-services":
            self.france_services()


@pytest.fixture
def producers(workspace: Workspace, replay_server: ReplayServer) -> Producers:
    workspace.extra_env.update({
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}{DORA_API}",
        "DORA_API_TOKEN": "dora-token",
        "DATAINCLUSION_EMPLOIS_DE_LINCLUSION_URL": f"{replay_server.url}{EMPLOIS_API}",
        "EMPLOIS_API_TOKEN": "emplois-token",
        "DATAINCLUSION_FRANCE_SERVICES_DATASET_URL": f"{replay_server.url}{FS_DATASET}",
    })
    return Producers(replay_server)


def live_run(ws: Workspace, *args: str):
    """A live run of the three sources, one day after the workspace's previous run."""
    runs = len(ws.query("select run_id from runs")) if ws.warehouse.exists() else 0
    day = (date(2026, 11, 2) + timedelta(days=runs)).isoformat()
    selected = [a for name in SOURCES for a in ("--source", name)]
    return ws.run("--live", *selected, *args, reference_date=day)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path (empty when it does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def truncated_gzip(payload: bytes) -> Reply:
    body = gzip.compress(payload)
    return Reply(200, body[: len(body) // 2], {"Content-Type": "application/json", "Content-Encoding": "gzip"})


@dataclass
class Checks:
    """What every run must guarantee, whatever a producer did."""

    ws: Workspace

    def accounting_balances(self) -> None:
        rows = self.ws.query("select source, entity, raw, published, quarantined, excluded, balanced "
                             "from int__accounting where source in (?, ?, ?)", list(SOURCES))
        assert rows and all(r[-1] for r in rows), rows

    def published(self, *sources: str) -> None:
        counts = dict(self.ws.query("select source, count(*) from pub__structures group by source"))
        for source in sources:
            assert counts.get(source, 0) > 0, f"{source} is not published: {counts}"

    def status(self) -> str:
        return self.ws.query("select status from runs order by started_at desc limit 1")[0][0]


@pytest.fixture
def checks(workspace: Workspace) -> Checks:
    return Checks(workspace)
