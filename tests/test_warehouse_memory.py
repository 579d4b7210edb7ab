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


def test_the_warehouse_spills_beside_its_file_in_small_row_groups(tmp_path):
    """Attached (for its row group size), the warehouse still spills beside its file, not in the working
    folder; a national table spans several row groups, which DuckDB scans on several threads."""
    con = warehouse.connect(tmp_path / "w.duckdb")
    assert con.execute("select current_setting('temp_directory')").fetchall()[0][0] == f"{tmp_path / 'w.duckdb'}.tmp"
    con.execute("create table t as select range as i from range(100000)")
    groups = con.execute("select count(distinct row_group_id) from pragma_storage_info('t')").fetchall()[0][0]
    assert groups == -(-100000 // warehouse.ROW_GROUP_SIZE)
    cursor = warehouse.cursor(con)
    assert cursor.execute("select count(*) from t").fetchall()[0][0] == 100000
    con.close()
