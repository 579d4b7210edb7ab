"""Time the `duplicates` stage alone on the structures of a run's warehouse (e.g. the scale-10 one).

    .venv/bin/python -m bench.link_warehouse bench/work/pipeline-s10/data/warehouse.duckdb

The warehouse is attached read-only; its `int__structures` are copied to a
scratch database beside this module's work folder, linked, and the time,
pairs and clusters printed. Not part of `make bench` (minutes at scale 10).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from pipeline import warehouse
from pipeline.enrich import duplicates

WORK = Path(__file__).resolve().parent / "work"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.link_warehouse", description=__doc__.split("\n")[0])
    parser.add_argument("warehouse", type=Path)
    source = parser.parse_args().warehouse.resolve()
    WORK.mkdir(exist_ok=True)
    scratch = WORK / "link-warehouse.duckdb"
    scratch.unlink(missing_ok=True)
    con = warehouse.connect(str(scratch))
    try:
        con.execute("attach ? as source (read_only)", [str(source)])
        con.execute("create table int__structures as select * from source.int__structures")
        con.execute("detach source")
        structures = con.execute("select count(*) from int__structures").fetchall()[0][0]
        started = time.perf_counter()
        clusters = duplicates.link(con)
        seconds = time.perf_counter() - started
        pairs = con.execute("select count(*) from int__duplicate_pairs").fetchall()[0][0]
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{structures:,} structures linked in {seconds:.1f} s (peak RSS {peak:.1f} GB): "
          f"{pairs:,} pairs, {clusters:,} clusters")


if __name__ == "__main__":
    main()
