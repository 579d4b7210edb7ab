"""Frictionless validation of a built release, within the run's time budget.

Every resource of `datapackage.json` is validated by Frictionless, but not at
the same depth:

- the CSV files (`structures.csv`, `services.csv`, `changes.csv`,
  `doublons.csv`) are the canonical tables: every row, every constraint,
  primary and foreign keys, bytes and hash;
- the other formats (Parquet, JSON, XLSX, history, DuckDB) are the same tables
  written by the same export from the same warehouse table: Frictionless
  checks their descriptor, header and first `SAMPLE_ROWS` rows, and their
  bytes and SHA-256 are checked here against the descriptor (Frictionless
  skips its end-of-file checks on a partial read), plus the row count of the
  Parquet files from their footer (read by DuckDB).

For large packages, the resources are validated by two worker processes
(`python -m pipeline.publish.validation DESCRIPTOR --serve`, one resource per
line of stdin), each taking the next resource when free, largest files first:
Frictionless uses one core, and reading Parquet and JSON samples left
hundreds of megabytes of Arrow buffers in the run's process, which the site
stage then carried. Small packages are validated in the run's process (a
worker's start-up costs more than a sample run's whole validation).

Given the previous release, a canonical CSV's rows whose cells it already
validated under the same schema are not read again by Frictionless (see
`carried`): the next day, about 97% of them. The report is the one a full
validation gives; anything short of a valid result is validated in full.

At national scale a full Frictionless pass over every format took about
190 s (85 s of it reading the XLSX workbook); this takes about a tenth.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from frictionless import FrictionlessException, Package, Report, errors, system

from pipeline.publish import carried, digest

SAMPLE_ROWS = 1000
WORKERS = 2
# Below this many bytes of CSV, starting worker processes (2-3 s each) costs more than it saves.
PARALLEL_ABOVE_BYTES = 20_000_000
FULL_FORMATS = ("csv",)


@dataclass
class Validation:
    """The package's Frictionless report, and per canonical CSV the rows taken from the previous release."""

    report: Report
    carried: dict[str, int] = field(default_factory=dict)


class _RowNumbers(list):
    """Frictionless's `commentRows` with a set's membership test: it asks `number in rows` of every row."""

    def __init__(self, numbers: frozenset[int]) -> None:
        super().__init__(sorted(numbers))
        self._numbers = numbers

    def __contains__(self, number: object) -> bool:
        return number in self._numbers


def _without_carried(resource: Any, found: carried.Carried) -> Report | None:
    """Frictionless on the rows not carried over; its report made a full validation's when it is valid."""
    resource.dialect.comment_rows = _RowNumbers(found.rows)
    resource.rows = None  # `carried` compared the file's rows with the descriptor's
    resource.schema.foreign_keys = []  # `carried` checked them on every row
    report = resource.validate()
    task = report.tasks[0]
    if not report.valid or task.stats.get("rows", 0) != found.total - len(found.rows):
        return None
    task.stats["rows"] = found.total
    return report


def _validate_one(descriptor_path: str, name: str, previous: str | None) -> dict[str, Any]:
    """One resource in full (but the rows `previous` validated): its report as a descriptor, and how many
    rows were carried over."""
    with system.use_context(trusted=True):
        found = carried.carried_rows(Path(previous), Path(descriptor_path), name) if previous else None
        if found is not None and found.rows:
            report = _without_carried(Package(descriptor_path).get_resource(name), found)
            if report is not None:
                return {"report": report.to_descriptor(), "carried": len(found.rows)}
        return {"report": Package(descriptor_path).get_resource(name).validate().to_descriptor(), "carried": 0}


def _sample(resource: Any, root: Path) -> Report:
    """A resource's first rows, and the integrity of the whole file.

    Without its foreign keys: they hold on every row of the canonical CSV of the same table, and
    Frictionless would read the whole referenced CSV for each sample (1.2 s for `structures.csv` at
    national scale, three times)."""
    resource.schema.foreign_keys = []
    return _with_errors(resource.validate(limit_rows=SAMPLE_ROWS), _integrity(resource, root))


def _job(package: Any, descriptor_path: str, name: str, sampled: bool, previous: str | None) -> dict[str, Any]:
    """One resource: sampled (with `_sample`), or in full (with `_validate_one`)."""
    if sampled:
        return {"report": _sample(package.get_resource(name), Path(descriptor_path).parent).to_descriptor(),
                "carried": 0}
    return _validate_one(descriptor_path, name, previous)


def _serve(descriptor_path: str, previous: str | None) -> None:
    """A worker: one job per line of stdin (`[name, sampled]`), one JSON result per line of stdout."""
    answers, sys.stdout = sys.stdout, sys.stderr  # whatever a library prints stays off the answers
    with system.use_context(trusted=True):
        package = Package(descriptor_path)
        for line in sys.stdin:
            name, sampled = json.loads(line)
            answers.write(json.dumps(_job(package, descriptor_path, name, sampled, previous)) + "\n")
            answers.flush()


def _in_workers(descriptor_path: Path, jobs: list[tuple[str, bool]], previous: Path | None) -> dict[str, dict[str, Any]]:
    """The jobs, in order, on `WORKERS` worker processes that each take the next one when free (Frictionless
    holds the GIL: threads would not run in parallel; a worker's start-up costs about 0.5 s)."""
    pending: queue.SimpleQueue[tuple[str, bool]] = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)

    def work() -> dict[str, dict[str, Any]]:
        done: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
            command = [sys.executable, "-m", __name__, str(descriptor_path), "--serve",
                       *(["--previous", str(previous)] if previous else [])]
            with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                  text=True, encoding="utf-8") as process:
                assert process.stdin is not None and process.stdout is not None
                try:
                    while True:
                        try:
                            name, sampled = pending.get_nowait()
                        except queue.Empty:
                            break
                        process.stdin.write(json.dumps([name, sampled]) + "\n")
                        process.stdin.flush()
                        answer = process.stdout.readline()
                        if not answer:
                            process.wait()
                            stderr.seek(0)
                            raise RuntimeError(f"validation of resource {name} failed: {stderr.read().strip()[-2000:]}")
                        done[name] = json.loads(answer)
                finally:
                    process.stdin.close()
        return done

    results: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(work) for _ in range(min(WORKERS, len(jobs)))]:
            results.update(future.result())
    return results


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


def _jobs(package: Any, full: list[str], rest: list[str]) -> list[tuple[str, bool]]:
    """Worker jobs, largest files first (the canonical CSVs, then the sampled formats), so that the last
    ones are short and the two workers end together."""
    def size(name: str) -> int:
        return -(package.get_resource(name).bytes or 0)

    return [(name, False) for name in sorted(full, key=size)] + [(name, True) for name in sorted(rest, key=size)]


def validate(descriptor_path: Path, previous: Path | None = None,
             parallel_above_bytes: int = PARALLEL_ABOVE_BYTES) -> Validation:
    """Validate the package: metadata, canonical CSVs in full, other formats sampled plus integrity.

    `previous` is the published release the package replaces, if any."""
    with system.use_context(trusted=True):
        package = Package(str(descriptor_path))
        try:
            package.to_descriptor(validate=True)
        except FrictionlessException as exception:
            return Validation(Report.from_validation(errors=exception.to_errors()))
        names = [resource.name for resource in package.resources]
        full = [r.name for r in package.resources if r.format in FULL_FORMATS]
        in_workers = sum(package.get_resource(name).bytes or 0 for name in full) >= parallel_above_bytes
        rest = [name for name in names if name not in full]
        if in_workers:
            results = _in_workers(descriptor_path, _jobs(package, full, rest), previous)
        else:
            results = {name: _job(package, str(descriptor_path), name, name not in full,
                                  str(previous) if previous else None) for name in names}
    reports = [Report.from_descriptor(results[name]["report"]) for name in names]
    return Validation(Report.from_validation_reports(time=0, reports=reports),
                      {name: results[name]["carried"] for name in full})


def _main() -> None:
    parser = argparse.ArgumentParser(description="A worker of `validate`: validates the resources named on stdin.")
    parser.add_argument("descriptor")
    parser.add_argument("--serve", action="store_true", required=True)
    parser.add_argument("--previous")
    arguments = parser.parse_args()
    _serve(arguments.descriptor, arguments.previous)


if __name__ == "__main__":
    _main()
