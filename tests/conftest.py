"""Shared fixtures: every test works on real files in its own temporary folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main
from tests.replay import ReplayServer

REFERENCE_DATE = "2026-11-28"


@dataclass
class Workspace:
    """A data folder, a dist folder and a warehouse under one temporary path."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        return {
            "DATAINCLUSION_DATA_DIR": str(self.data_dir),
            "DATAINCLUSION_DIST_DIR": str(self.dist),
            "DATAINCLUSION_WAREHOUSE": str(self.warehouse),
            # Tests never wait long: quick back-off, short timeouts.
            "DATAINCLUSION_HTTP_BACKOFF": "0.01",
            "DATAINCLUSION_HTTP_MAX_WAIT": "2",
            "DATAINCLUSION_HTTP_TIMEOUT": "1",
            "DATAINCLUSION_HTTP_ATTEMPTS": "3",
            **self.extra_env,
        }

    def cli(self, *args: str) -> Result:
        """Run `datainclusion ARGS` in-process against this workspace."""
        return CliRunner().invoke(main, list(args), env=self.env(), catch_exceptions=False)

    def run(self, *args: str, reference_date: str = REFERENCE_DATE) -> Result:
        return self.cli("run", "--reference-date", reference_date, *args)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A scripted HTTP server on 127.0.0.1 (port chosen by the system)."""
    server = ReplayServer().start()
    yield server
    server.stop()


def shared_folder(request: pytest.FixtureRequest, name: str) -> Path:
    """A folder for a fixture shared by a module or the session, removed when that scope ends.

    The suite's disk use then stays near what the tests in flight need (a run's warehouse is tens of MB);
    the folder is kept, like a failed test's `tmp_path`, when a test failed while it was in use.
    """
    folder = request.getfixturevalue("tmp_path_factory").mktemp(name)
    failed_before = request.session.testsfailed

    def remove() -> None:
        if request.session.testsfailed == failed_before:
            shutil.rmtree(folder, ignore_errors=True)

    request.addfinalizer(remove)
    return folder


@pytest.fixture(scope="session")
def sample_run(request: pytest.FixtureRequest) -> Workspace:
    """One offline run on the bundled samples, shared (read-only) by every test."""
    ws = Workspace(shared_folder(request, "sample-run"))
    result = ws.run()
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture
def reference_date() -> date:
    return date.fromisoformat(REFERENCE_DATE)


def record(ws: Workspace, table: str, record_id: str) -> dict:
    """One row of a warehouse table as a dict (the row must exist)."""
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {table} where id = ?", [record_id])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1, f"{record_id} not found once in {table}"
    return dict(zip(columns, rows[0]))
