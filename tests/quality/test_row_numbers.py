"""Row numbers stay right when DuckDB reads a large CSV file in parallel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipeline.quality import producer, tables


def test_lines_of_a_file_read_in_parallel(tmp_path: Path):
    path = tmp_path / "structures.csv"
    names = tables.field_names("structures")
    values = {"source": "'dora'", "id": "'dora--' || i", "nom": "case when i % 997 = 0 then 'AB' else 'Centre ' || i end",
              "date_maj": "'2025-01-02'", "description": "repeat('Une description assez longue. ', 10)"}
    columns = ", ".join(f"{values.get(n, 'null')} as {n}" for n in names)
    with duckdb.connect() as con:  # about 60 MB: several buffers, so several threads
        con.execute(f"copy (select {columns} from range(180000) t(i) order by i) to '{path}' (header, delimiter ',')")
    assert path.stat().st_size > 50_000_000
    report = producer.validate([path], date(2026, 11, 28))
    (task,) = report.tables
    lines = {e.line: e.record_id for e in task.errors}
    assert len(lines) == len(range(0, 180000, 997))
    for line, record_id in lines.items():
        assert record_id == f"dora--{line - 2}", (line, record_id)
