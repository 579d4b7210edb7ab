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
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from frictionless import FrictionlessException, Package, Report, errors, system

from pipeline.publish import carried, digest

SAMPLE_ROWS = 1000
WORKERS = 2
# The sampled formats are split in this many worker jobs, so that the two workers end together.
SAMPLE_JOBS = 2
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
    """A resource's first rows, and the integrity of the whole file."""
    return _with_errors(resource.validate(limit_rows=SAMPLE_ROWS), _integrity(resource, root))


def _sample_many(descriptor_path: str, names: list[str]) -> list[dict[str, Any]]:
    """`_sample` of several resources: their Frictionless reports as descriptors."""
    with system.use_context(trusted=True):
        package = Package(descriptor_path)
        root = Path(descriptor_path).parent
        return [{"report": _sample(package.get_resource(name), root).to_descriptor(), "carried": 0}
                for name in names]


def _in_worker(descriptor_path: Path, names: list[str], sampled: bool, previous: Path | None) -> list[dict[str, Any]]:
    """`_validate_one` (or `_sample_many`) in a subprocess (Frictionless holds the GIL: threads would not run
    in parallel)."""
    options = ["--sample"] if sampled else ["--previous", str(previous)] if previous else []
    done = subprocess.run([sys.executable, "-m", __name__, str(descriptor_path), *options, *names],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"validation of resource(s) {', '.join(names)} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


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


def _jobs(package: Any, full: list[str], rest: list[str]) -> list[tuple[list[str], bool]]:
    """Worker jobs, longest first: the biggest CSV, the sampled formats in `SAMPLE_JOBS` parts (at national
    scale about two thirds of its time), then the other CSVs."""
    by_size = sorted(rest, key=lambda name: -(package.get_resource(name).bytes or 0))
    parts = [by_size[index::SAMPLE_JOBS] for index in range(SAMPLE_JOBS)]
    jobs = [([name], False) for name in full]
    return jobs[:1] + [(part, True) for part in parts if part] + jobs[1:]


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
        # The biggest file first, so that the two workers finish together.
        full.sort(key=lambda name: -(package.get_resource(name).bytes or 0))
        in_workers = sum(package.get_resource(name).bytes or 0 for name in full) >= parallel_above_bytes
        rest = [name for name in names if name not in full]
        results: dict[str, dict[str, Any]] = {}
        if in_workers:
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                futures = [(group, pool.submit(_in_worker, descriptor_path, group, sampled, previous))
                           for group, sampled in _jobs(package, full, rest)]
                for group, future in futures:
                    results.update(zip(group, future.result()))
        else:
            for resource in package.resources:
                results[resource.name] = (
                    _validate_one(str(descriptor_path), resource.name, str(previous) if previous else None)
                    if resource.name in full else
                    {"report": _sample(resource, descriptor_path.parent).to_descriptor(), "carried": 0})
    reports = [Report.from_descriptor(results[name]["report"]) for name in names]
    return Validation(Report.from_validation_reports(time=0, reports=reports),
                      {name: results[name]["carried"] for name in full})


def _main() -> None:
    parser = argparse.ArgumentParser(description="Validate resources of a data package (a worker of `validate`).")
    parser.add_argument("descriptor")
    parser.add_argument("names", nargs="+")
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--previous")
    arguments = parser.parse_args()
    if arguments.sample:
        print(json.dumps(_sample_many(arguments.descriptor, arguments.names)))
    else:
        print(json.dumps([_validate_one(arguments.descriptor, name, arguments.previous) for name in arguments.names]))


if __name__ == "__main__":
    _main()
