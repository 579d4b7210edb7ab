"""Table Schema -> DuckDB SQL: every field constraint becomes a set-based check.

`parse_sql` turns a relation of raw cells (one column per field) into one
row per record with, for each field, its typed value (`<field>`) and the list
of its errors (`<field>__e`, structs `{c: code, x: offending value}`). The
errors are exactly Frictionless' for the same cells: type errors, then
`required`, `minLength`, `maxLength`, `pattern`, `enum`, `minimum`,
`maximum`, and for arrays the constraints of each item.

Cells arrive in one of two modes:
- `text`: the characters of a CSV (or spreadsheet) cell, `NULL` or `''` when empty;
- `json`: a JSON value (from a JSON file), whose kind matters as it does for
  Frictionless (a number in a string field is a type error).

SQL decides every cell written the usual way; a cell outside the "fast"
forms of `cells.py` goes to `quality_cell`, which asks Frictionless itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline.quality import cells

TYPED = {"string": "varchar", "number": "double", "integer": "bigint", "date": "date", "array": "varchar[]"}
ERROR_STRUCT = "struct(c varchar, x varchar)"
NO_ERRORS = f"[]::{ERROR_STRUCT}[]"
FALLBACK_STRUCT = '{"v": "VARCHAR", "i": ["VARCHAR"], "e": [{"c": "VARCHAR", "x": "VARCHAR"}]}'
SUPPORTED = {
    "string": {"required", "minLength", "maxLength", "pattern", "enum"},
    "number": {"required", "minimum", "maximum", "enum"},
    "integer": {"required", "minimum", "maximum", "enum"},
    "date": {"required", "minimum", "maximum"},
    "array": {"required", "minLength", "maxLength"},
}
SUPPORTED_ITEM = {"enum", "pattern"}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _error(code: str, value: str) -> str:
    return f"{{'c': {literal(code)}, 'x': {value}}}"


def _errors_list(conditions: Iterable[tuple[str, str, str]]) -> str:
    """SQL list of the errors whose condition holds: (condition, code, offending value)."""
    parts = [f"case when {cond} then {_error(code, value)} end" for cond, code, value in conditions]
    if not parts:
        return NO_ERRORS
    return f"list_filter([{', '.join(parts)}], lambda e: e is not null)"


def _in_list(values: list[Any]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _pattern_fails(pattern: str, value: str) -> str:
    """Python `re` semantics: RE2 agrees on ASCII text without a newline; other text asks Python."""
    regex = literal("^" + pattern + "$")
    return (
        f"(case when regexp_full_match({value}, {literal(cells.ASCII_LINE)}) "
        f"then not regexp_matches({value}, {regex}) "
        f"else quality_pattern_fails({literal(pattern)}, {value}) end)"
    )


def _typed_bound(field_type: str, bound: Any) -> str:
    return f"date {literal(bound)}" if field_type == "date" else literal(bound)


class FieldSql:
    """The SQL of one Table Schema field: fast test, fallback call, typed value, errors."""

    def __init__(self, table: str, descriptor: dict[str, Any], source: str | None, mode: str) -> None:
        self.table = table
        self.source = source
        self.column = quote(source) if source is not None else None
        self.name = descriptor["name"]
        self.type = descriptor.get("type", "string")
        self.format = descriptor.get("format", "default")
        self.constraints = descriptor.get("constraints", {})
        self.item = descriptor.get("arrayItem", {})
        self.mode = mode
        self._check_supported()

    def _check_supported(self) -> None:
        unknown = set(self.constraints) - SUPPORTED[self.type]
        unknown |= set(self.item.get("constraints", {})) - SUPPORTED_ITEM
        if self.item and self.item.get("type", "string") != "string":
            unknown.add(f"arrayItem type {self.item['type']}")
        if unknown:
            raise NotImplementedError(f"{self.table}.{self.name}: no SQL check for {sorted(unknown)}")

    # The raw cell as text (what Frictionless reads from CSV) and as the fallback receives it.

    @property
    def raw(self) -> str:
        if self.column is None:
            return "null::varchar"
        if self.mode == "text":
            return self.column
        j = self.column
        return f"(case json_type({j}) when 'VARCHAR' then {j} ->> '$' when 'NULL' then null else {j}::varchar end)"

    def fallback_input(self, raw: str) -> str:
        return raw if self.mode == "text" else f"{self.column}::varchar"

    def missing(self, raw: str) -> str:
        return f"({raw} is null or {raw} = '')"

    def canonical(self, raw: str) -> str:
        """The typed value of a cell written the usual way (one the screen passed)."""
        if self.type == "string":
            return f"nullif({raw}, '')"
        if self.type == "array":
            return f"(case when {self.missing(raw)} then null else from_json({raw}, '[\"VARCHAR\"]') end)"
        return f"try_cast(nullif({raw}, '') as {TYPED[self.type]})"

    def _json_kinds(self) -> tuple[list[str], list[str]]:
        """In json mode: JSON kinds whose text SQL reads as Frictionless reads the value, and kinds always wrong."""
        if self.type in ("string", "date"):
            return ["VARCHAR"], ["BIGINT", "UBIGINT", "DOUBLE", "BOOLEAN", "ARRAY", "OBJECT"]
        if self.type == "number":
            return ["VARCHAR", "BIGINT", "UBIGINT", "DOUBLE"], ["BOOLEAN", "ARRAY", "OBJECT"]
        if self.type == "integer":  # a JSON 3.0 is an integer for Frictionless: asked to Python
            return ["VARCHAR", "BIGINT", "UBIGINT"], ["BOOLEAN", "ARRAY", "OBJECT"]
        return ["VARCHAR", "ARRAY"], ["BIGINT", "UBIGINT", "DOUBLE", "BOOLEAN", "OBJECT"]

    def _text_forms(self, raw: str) -> tuple[str, str]:
        """(decided, type_ok) for a non-missing text cell."""
        ascii_line = f"regexp_full_match({raw}, {literal(cells.ASCII_LINE)})"
        if self.type == "string":
            if self.format == "email":
                decided, ok = f"(email_fast({raw}) or email_reject({raw}))", f"email_fast({raw})"
            elif self.format == "uri":
                decided, ok = f"not contains({raw}, '@')", f"uri_has_scheme({raw})"
            else:
                decided, ok = "true", "true"
            if "pattern" in self.constraints:
                decided = ascii_line if decided == "true" else f"{decided} and {ascii_line}"
            return decided, ok
        if self.type == "date":
            return f"regexp_full_match({raw}, {literal(cells.PRINTABLE)})", f"date_of({raw}) is not null"
        fast, reject = {
            "number": (f"regexp_full_match({raw}, {literal(cells.NUMBER_FAST)})", f"number_reject({raw})"),
            "integer": (f"regexp_full_match({raw}, {literal(cells.INTEGER_FAST)})", f"integer_reject({raw})"),
            "array": (f"regexp_full_match({raw}, {literal(cells.ARRAY_FAST)})", f"array_reject({raw})"),
        }[self.type]
        return f"({fast} or {reject})", fast

    def forms(self, raw: str) -> tuple[str, str]:
        """(decided, type_ok): whether SQL decides this non-missing cell, and whether its type is right."""
        decided, ok = self._text_forms(raw)
        if self.mode != "json":
            return decided, ok
        kind = f"json_type({self.column})"
        readable, wrong = self._json_kinds()
        return (f"({kind} in {_in_list(wrong)} or ({kind} in {_in_list(readable)} and {decided}))",
                f"({kind} in {_in_list(readable)} and {ok})")

    def fallback(self, raw: str) -> str:
        decided, _ = self.forms(raw)
        if decided == "true" or self.column is None:
            return "null"
        call = (f"quality_cell({literal(self.table)}, {literal(self.name)}, {self.fallback_input(raw)}, "
                f"{'true' if self.mode == 'json' else 'false'})")
        return f"case when not {self.missing(raw)} and not ({decided}) then from_json({call}, '{FALLBACK_STRUCT}') end"

    def value(self, raw: str, fb: str) -> str:
        typed = TYPED[self.type]
        _, ok = self.forms(raw)
        if self.type == "array":
            fast_value = f"from_json({raw}, '[\"VARCHAR\"]')"
            slow_value = f"{fb}.i"
        else:
            fast_value = {"string": raw, "date": f"date_of({raw})"}.get(self.type, f"{raw}::{typed}")
            slow_value = f"{fb}.v::{typed}" if self.type != "string" else f"{fb}.v"
        if ok != "true":
            fast_value = f"(case when {ok} then {fast_value} end)"
        return (f"(case when {self.missing(raw)} then null::{typed} when {fb} is null then {fast_value} "
                f"else {slow_value} end)")

    def _scalar_checks(self, raw: str) -> list[tuple[str, str, str]]:
        c = self.constraints
        checks: list[tuple[str, str, str]] = []
        typed = {"string": raw, "date": f"date_of({raw})"}.get(self.type, f"{raw}::{TYPED[self.type]}")
        if self.type == "string":
            if "minLength" in c:
                checks.append((f"length({raw}) < {c['minLength']}", "min-length", raw))
            if "maxLength" in c:
                checks.append((f"length({raw}) > {c['maxLength']}", "max-length", raw))
            if "pattern" in c:
                checks.append((_pattern_fails(c["pattern"], raw), "pattern", raw))
        if "enum" in c:
            checks.append((f"{typed} not in {_in_list(c['enum'])}", "enum", raw))
        if "minimum" in c:
            checks.append((f"{typed} < {_typed_bound(self.type, c['minimum'])}", "minimum", raw))
        if "maximum" in c:
            checks.append((f"{typed} > {_typed_bound(self.type, c['maximum'])}", "maximum", raw))
        return checks

    def _array_errors(self, raw: str) -> str:
        items = f"from_json({raw}, '[\"VARCHAR\"]')"
        c = self.constraints
        level = []
        if "minLength" in c:
            level.append((f"len({items}) < {c['minLength']}", "min-items", raw))
        if "maxLength" in c:
            level.append((f"len({items}) > {c['maxLength']}", "max-items", raw))
        item_checks = []
        ic = self.item.get("constraints", {})
        if "pattern" in ic:
            item_checks.append((f"it <> '' and {_pattern_fails(ic['pattern'], 'it')}", "item-pattern", "it"))
        if "enum" in ic:
            item_checks.append((f"it <> '' and it not in {_in_list(ic['enum'])}", "item-enum", "it"))
        per_item = (f"flatten(list_transform({items}, lambda it: {_errors_list(item_checks)}))"
                    if item_checks else NO_ERRORS)
        if not level:
            return per_item
        level_fails = " or ".join(cond for cond, _, _ in level)
        return f"(case when {level_fails} then {_errors_list(level)} else {per_item} end)"

    def errors(self, raw: str, fb: str) -> str:
        required = self.constraints.get("required")
        if_missing = f"[{_error('required', 'null::varchar')}]" if required else NO_ERRORS
        checked = self._array_errors(raw) if self.type == "array" else _errors_list(self._scalar_checks(raw))
        _, ok = self.forms(raw)
        if ok != "true":
            type_code = cells.TYPE_CODES[(self.type, self.format)]
            checked = f"(case when {ok} then {checked} else [{_error(type_code, raw)}] end)"
        return f"(case when {self.missing(raw)} then {if_missing} when {fb} is null then {checked} else {fb}.e end)"


def field_sqls(table: str, table_schema: dict[str, Any], columns: dict[str, str], mode: str) -> list[FieldSql]:
    """One FieldSql per schema field; `columns` maps a field to its input column (absent fields are empty)."""
    return [
        FieldSql(table, f, columns.get(f["name"]), mode)
        for f in table_schema["fields"]
    ]


def parse_sql(table: str, table_schema: dict[str, Any], relation: str, columns: dict[str, str], mode: str,
              keep: Iterable[str] = ("_row",), failed: str | None = None) -> str:
    """SELECT: the kept columns, then per field its typed value and its error list (`<field>__e`);
    dates also keep their text (`<field>__raw`), for the v1 rule on how a date is written.

    `failed`: a column of `relation` listing, per record, the fields the screen could not pass;
    the others are written the usual way and have no error, so only their value is read."""
    fields = field_sqls(table, table_schema, columns, mode)
    kept = ", ".join(quote(k) for k in keep)
    raws = ", ".join(f"{f.raw} as {quote('r__' + f.name)}" for f in fields)
    inputs = ", ".join(f.column for f in fields if f.column and mode == "json")

    def explained(f: FieldSql) -> str:
        return "true" if failed is None else f"list_contains({quote(failed)}, {literal(f.name)})"

    fbs = ", ".join(
        f"case when {explained(f)} then {f.fallback(quote('r__' + f.name))} end as {quote('fb__' + f.name)}"
        for f in fields)
    outs = []
    for f in fields:
        raw, fb = quote("r__" + f.name), quote("fb__" + f.name)
        outs.append(f"case when {explained(f)} then {f.value(raw, fb)} else {f.canonical(raw)} end as {quote(f.name)}")
        outs.append(f"case when {explained(f)} then {f.errors(raw, fb)} else {NO_ERRORS} end as {quote(f.name + '__e')}")
        if f.type == "date":
            outs.append(f"{raw} as {quote(f.name + '__raw')}")
    extra = (f", {inputs}" if inputs else "") + (f", {quote(failed)}" if failed else "")
    return (
        f"with raw as (select {kept}, {raws}{extra} from {relation}),\n"
        f"checked as (select *, {fbs} from raw)\n"
        f"select {kept}, {', '.join(outs)} from checked"
    )


def errors_sql(table_schema: dict[str, Any], parsed: str, extra: Iterable[tuple[str, str]] = (),
               key: str = "_row") -> str:
    """One row per error of a parsed relation: key, field, code, value.

    `extra`: more (field, SQL list of error structs) per record, such as the v1 rules. One select
    over one list per record, not a union per field: DuckDB binds a union of fifty selects in 50 ms."""
    lists = [(f["name"], quote(f["name"] + "__e")) for f in table_schema["fields"]] + list(extra)
    per_field = ", ".join(f"{{'f': {literal(name)}, 'l': {sql}}}" for name, sql in lists)
    return (
        f"select {quote(key)}, field, e.c as code, e.x as value from ("
        f"select {quote(key)}, p.f as field, unnest(p.l) as e from ("
        f"select {quote(key)}, unnest([{per_field}]) as p from {parsed}) where len(p.l) > 0)"
    )


def text_of(column: str, field_type: str) -> str:
    """A typed warehouse column as the CSV export writes it (lists as JSON arrays)."""
    if field_type == "array":
        return f"to_json({column})::varchar"
    if field_type == "date":
        return f"strftime({column}, '%Y-%m-%d')"
    return f"{column}::varchar"
