"""DuckDB's memory limit leaves room for the run's Python side."""

from __future__ import annotations

import os

from pipeline import warehouse


def test_the_warehouse_takes_a_share_of_the_machine(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAINCLUSION_DUCKDB_MEMORY", raising=False)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert warehouse.memory_limit() == f"{int(total * warehouse.MEMORY_SHARE) >> 20}MiB"
    con = warehouse.connect(tmp_path / "w.duckdb")
    shown = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.close()
    value, unit = shown.split()
    assert unit == "GiB" and abs(float(value) * 2**30 - total * warehouse.MEMORY_SHARE) < 0.1 * 2**30


def test_the_limit_can_be_set_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAINCLUSION_DUCKDB_MEMORY", "1GB")
    con = warehouse.connect(tmp_path / "w.duckdb")
    shown = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.close()
    assert shown == "953.6 MiB"
