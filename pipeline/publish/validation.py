"""Frictionless validation of a built release, within the run's time budget.

Every resource of `datapackage.json` is validated by Frictionless, but not at
the same depth:

- the CSV files (`structures.csv`, `services.csv`, `changes.csv`) are the
  canonical tables: every row, every constraint, primary and foreign keys,
  bytes and hash. They are checked in worker processes, two at a time, since
  Frictionless uses one core. The workers are plain subprocesses
  (`python -m pipeline.publish.validation`), started only for large packages
  (a worker's start-up costs more than a sample run's whole validation);
- the other formats (Parquet, JSON, XLSX, history, DuckDB) are the same tables
  written by the same export from the same warehouse table: Frictionless
  checks their descriptor, header and first `SAMPLE_ROWS` rows, and their
  bytes and SHA-256 are checked here against the descriptor (Frictionless
  skips its end-of-file checks on a partial read), plus the row count of the
  Parquet files from their footer (read by DuckDB). For large packages this
  runs in one more worker too: reading Parquet and JSON samples left
  hundreds of megabytes of Arrow buffers in the run's process, which the
  site stage then carried.

At national scale a full Frictionless pass over every format took about
190 s (85 s of it reading the XLSX workbook); this takes about a tenth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
from frictionless import FrictionlessException, Package, Report, errors, system

from pipeline.publish import digest

SAMPLE_ROWS = 1000
WORKERS = 2
# Below this many bytes of CSV, starting worker processes (2-3 s each) costs more than it saves.
PARALLEL_ABOVE_BYTES = 20_000_000
FULL_FORMATS = ("csv",)


def _validate_one(descriptor_path: str, name: str) -> dict[str, Any]:
    """One resource of the package in full: its Frictionless report as a descriptor."""
    with system.use_context(trusted=True):
        return Package(descriptor_path).get_resource(name).validate().to_descriptor()


def _sample(resource: Any, root: Path) -> Report:
    """A resource's first rows, and the integrity of the whole file."""
    return _with_errors(resource.validate(limit_rows=SAMPLE_ROWS), _integrity(resource, root))


def _sample_many(descriptor_path: str, names: list[str]) -> list[dict[str, Any]]:
    """`_sample` of several resources: their Frictionless reports as descriptors."""
    with system.use_context(trusted=True):
        package = Package(descriptor_path)
        root = Path(descriptor_path).parent
        return [_sample(package.get_resource(name), root).to_descriptor() for name in names]


def _in_worker(descriptor_path: Path, names: list[str], sampled: bool = False) -> list[Report]:
    """`_validate_one` (or `_sample_many`) in a subprocess (Frictionless holds the GIL: threads would not run
    in parallel)."""
    done = subprocess.run([sys.executable, "-m", __name__, str(descriptor_path), *(["--sample"] if sampled else []),
                           *names], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"validation of resource(s) {', '.join(names)} failed: {done.stderr.strip()[-2000:]}")
    return [Report.from_descriptor(d) for d in json.loads(done.stdout)]


def _integrity(resource: Any, root: Path) -> list[errors.Error]:
    """The end-of-file checks Frictionless skips on a partial read: bytes, hash, Parquet row count."""
    path = root / resource.path
    found: list[errors.Error] = []
    if resource.bytes and path.stat().st_size != resource.bytes:
        found.append(errors.ByteCountError(note=f'expected is "{resource.bytes}" and actual is "{path.stat().st_size}"'))
    if resource.hash:
        expected = resource.hash.removeprefix("sha256:")
        actual = digest.sha256(path, cached=False)
        if actual != expected:
            found.append(errors.HashCountError(note=f'expected is "{expected}" and actual is "{actual}"'))
    if resource.format == "parquet" and resource.rows is not None:
        with duckdb.connect() as con:
            rows = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()[0][0]
        if rows != resource.rows:
            found.append(errors.RowCountError(note=f'expected is "{resource.rows}" and actual is "{rows}"'))
    return found


def _with_errors(report: Report, extra: list[errors.Error]) -> Report:
    if not extra:
        return report
    task = report.tasks[0]
    task.errors.extend(extra)
    task.valid = False
    task.stats["errors"] = len(task.errors)
    return report


def validate(descriptor_path: Path, parallel_above_bytes: int = PARALLEL_ABOVE_BYTES) -> Report:
    """Validate the package: metadata, canonical CSVs in full, other formats sampled plus integrity."""
    with system.use_context(trusted=True):
        package = Package(str(descriptor_path))
        try:
            package.to_descriptor(validate=True)
        except FrictionlessException as exception:
            return Report.from_validation(errors=exception.to_errors())
        names = [resource.name for resource in package.resources]
        full = [r.name for r in package.resources if r.format in FULL_FORMATS]
        # The biggest file first, so that the two workers finish together.
        full.sort(key=lambda name: -(package.get_resource(name).bytes or 0))
        in_workers = sum(package.get_resource(name).bytes or 0 for name in full) >= parallel_above_bytes
        rest = [name for name in names if name not in full]
        reports: dict[str, Report] = {}
        if in_workers:
            # Longest first: the biggest CSV, the sampled formats (at national scale about two thirds of
            # its time), then the other CSVs; ending with the sampled group left one worker idle for 4 s.
            jobs = [((name,), [name], False) for name in full]
            if rest:
                jobs.insert(1, (tuple(rest), rest, True))
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                futures = {group: pool.submit(_in_worker, descriptor_path, names, sampled)
                           for group, names, sampled in jobs}
                for group, future in futures.items():
                    reports.update(zip(group, future.result()))
        else:
            for resource in package.resources:
                full_read = resource.name in full
                reports[resource.name] = resource.validate() if full_read else _sample(resource, descriptor_path.parent)
    return Report.from_validation_reports(time=0, reports=[reports[name] for name in names])


if __name__ == "__main__":
    if sys.argv[2] == "--sample":
        print(json.dumps(_sample_many(sys.argv[1], sys.argv[3:])))
    else:
        print(json.dumps([_validate_one(sys.argv[1], sys.argv[2])]))
