"""Our errors and Frictionless' errors in one comparable form.

Both become tuples `(table, row, field, type, constraint)`: the Frictionless
error type (`type-error`, `constraint-error`, `primary-key`, `foreign-key`)
and, for a constraint error, the constraint (`minLength`, `enum`…). Several
bad items of one list cell are one Frictionless error, as our item errors
become once collapsed. Rules beyond the Table Schemas have no twin and are
left out. Used by the equivalence tests and the benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pipeline.quality.errors import RULES

Twin = tuple[str, int, str, str, str | None]
_CONSTRAINT = re.compile(r'constraint "(\w+)"')


def from_ours(errors: Iterable[tuple[str, int, str, str]]) -> set[Twin]:
    """(table, row, field, code) -> the Frictionless errors they stand for."""
    out = set()
    for table, row, field, code in errors:
        rule = RULES[code]
        if rule.frictionless is None:
            continue
        if rule.frictionless == "primary-key":
            field = ""
        out.add((table, row, field, rule.frictionless, rule.constraint))
    return out


def from_frictionless(descriptor: dict[str, Any]) -> list[Twin]:
    """A Frictionless report (`report.to_descriptor()` or `frictionless validate --json`) as twins."""
    out = []
    for task in descriptor.get("tasks", []):
        for error in task.get("errors", []):
            kind = error["type"]
            if kind == "foreign-key":
                field = ",".join(error.get("fieldNames", []))
            else:
                field = error.get("fieldName", "")
            match = _CONSTRAINT.search(error.get("note", "")) if kind == "constraint-error" else None
            out.append((task["name"], error.get("rowNumber", 0), field, kind, match.group(1) if match else None))
    return out


def from_producer_report(report: dict[str, Any], row_offset: int = 0) -> set[Twin]:
    """The JSON of `datainclusion validate --json` as twins.

    For a JSON file our `line` is the record's position; Frictionless counts one more (a header row):
    pass `row_offset=1`."""
    rows = [
        (task["table"], record["line"] + row_offset, error["field"], error["code"])
        for task in report["tasks"]
        for record in task["invalid_records"]
        for error in record["errors"]
    ]
    return from_ours(rows)
