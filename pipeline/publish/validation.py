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

The CSV files are final as soon as the export stage has written them, while
it still writes the other formats for a while: `EarlyCsv` starts their workers
then, on a package descriptor of those resources alone (the same resource
descriptors the data package will hold, and the same schema files). The
validation stage takes their reports for every resource whose final
descriptor is the one they checked, and validates any other itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
# The early workers' package descriptor, in the release folder until the validation stage removes it.
EARLY_DESCRIPTOR = ".validation-csv.json"


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


def _worker(descriptor_path: Path, names: list[str], sampled: bool = False) -> subprocess.Popen[str]:
    """`_validate_one` of each name (or `_sample_many`) in a subprocess (Frictionless holds the GIL: threads
    would not run in parallel)."""
    return subprocess.Popen([sys.executable, "-m", __name__, str(descriptor_path),
                             *(["--sample"] if sampled else []), *names],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _reports(process: subprocess.Popen[str], names: list[str]) -> list[Report]:
    """The worker's reports, once it ends."""
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"validation of resource(s) {', '.join(names)} failed: {err.strip()[-2000:]}")
    return [Report.from_descriptor(d) for d in json.loads(out)]


def _in_worker(descriptor_path: Path, names: list[str], sampled: bool = False) -> list[Report]:
    return _reports(_worker(descriptor_path, names, sampled), names)


@dataclass
class EarlyCsv:
    """Frictionless workers validating the CSV resources while the rest of the release is written."""

    descriptor_path: Path
    resources: dict[str, dict[str, Any]]
    workers: list[tuple[list[str], subprocess.Popen[str]]] = field(default_factory=list)

    @classmethod
    def start(cls, base: Path, resources: list[dict[str, Any]]) -> "EarlyCsv":
        """Workers on `resources` (CSV resource descriptors relative to `base`), the biggest alone, the
        others together, as `validate` would split them."""
        path = base / EARLY_DESCRIPTOR
        path.write_text(json.dumps({"name": "early-csv", "resources": resources}, ensure_ascii=False),
                        encoding="utf-8")
        names = [r["name"] for r in sorted(resources, key=lambda r: -(r.get("bytes") or 0))]
        early = cls(path, {r["name"]: r for r in resources})
        for group in ([names[0]], names[1:]) if len(names) > 1 else ([names[0]],):
            early.workers.append((group, _worker(path, group)))
        return early

    def covering(self, final: list[dict[str, Any]]) -> list[str]:
        """The resources of the final package (its descriptors) that are exactly the ones checked."""
        return [r["name"] for r in final if self.resources.get(r["name"]) == r]

    def reports(self, names: list[str]) -> dict[str, Report]:
        """Wait for the workers; the reports of `names`."""
        found: dict[str, Report] = {}
        for group, process in self.workers:
            if set(group) & set(names):
                found.update(zip(group, _reports(process, group)))
        return {name: found[name] for name in names}

    def stop(self) -> None:
        """End the workers still running (a failed run) and remove the descriptor."""
        for _, process in self.workers:
            if process.poll() is None:
                process.kill()
                process.communicate()
        self.descriptor_path.unlink(missing_ok=True)


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


def validate(descriptor_path: Path, parallel_above_bytes: int = PARALLEL_ABOVE_BYTES,
             early: EarlyCsv | None = None) -> Report:
    """Validate the package: metadata, canonical CSVs in full, other formats sampled plus integrity.

    `early`: workers started on the CSV files (their reports are used where the resource is unchanged)."""
    try:
        return _validate(descriptor_path, parallel_above_bytes, early)
    finally:
        if early is not None:
            early.stop()


def _validate(descriptor_path: Path, parallel_above_bytes: int, early: EarlyCsv | None) -> Report:
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
        covered = early.covering(json.loads(descriptor_path.read_text(encoding="utf-8"))["resources"]) if early else []
        full = [name for name in full if name not in covered]
        reports: dict[str, Report] = {}
        if in_workers:
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                futures = {(name,): pool.submit(_in_worker, descriptor_path, [name]) for name in full}
                if rest:
                    futures[tuple(rest)] = pool.submit(_in_worker, descriptor_path, rest, sampled=True)
                if early is not None:
                    reports.update(early.reports(covered))
                for group, future in futures.items():
                    reports.update(zip(group, future.result()))
        else:
            if early is not None:
                reports.update(early.reports(covered))
            for resource in package.resources:
                if resource.name in reports:
                    continue
                full_read = resource.name in full
                reports[resource.name] = resource.validate() if full_read else _sample(resource, descriptor_path.parent)
    return Report.from_validation_reports(time=0, reports=[reports[name] for name in names])


if __name__ == "__main__":
    if sys.argv[2] == "--sample":
        print(json.dumps(_sample_many(sys.argv[1], sys.argv[3:])))
    else:
        print(json.dumps([_validate_one(sys.argv[1], name) for name in sys.argv[2:]]))
