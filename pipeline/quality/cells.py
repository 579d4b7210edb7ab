"""The SQL shortcuts of the checks, and exact cell semantics for the values they cannot decide.

The compiled checks (`compile.py`) decide in SQL every cell written the usual
way: ASCII codes, plain decimals, ISO dates, JSON arrays of plain strings,
everyday e-mails and URLs. The regular expressions and macros below are
shortcuts whose verdict is certain: a "fast" form is one the reference
implementation accepts, a "reject" form one it refuses (a test checks both on
generated values). Anything else (a number written `1e5`, a code with
non-ASCII digits, an e-mail with an internationalised domain…) is handed to
the Python functions below, registered in DuckDB: they read the cell with
Frictionless' own field readers, so the verdict is Frictionless' by
construction, and the v1 checks call the official package's pydantic types.

Macros (see `_macros`): `email_fast`, `email_reject`, `url_fast`,
`uri_has_scheme`, `date_of`, `number_reject`, `integer_reject`,
`array_reject`. Functions (see `register`): `quality_cell(table, field, cell,
is_json)` returns JSON `{"v": value, "i": items, "e": [{"c": code, "x":
value}]}`; `quality_pattern_fails(pattern, value)`; `quality_v1_email_ok`;
`quality_v1_url_ok`; `quality_py_round(x, digits)`.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import duckdb
from duckdb.sqltypes import BOOLEAN, DOUBLE, INTEGER, VARCHAR

from pipeline.quality import tables

# Fast forms: values matching these are accepted by the reference implementation.
ASCII_LINE = r"[\x00-\x09\x0B-\x7F]*"
NUMBER_FAST = r"-?[0-9]{1,9}(\.[0-9]{1,6})?"
INTEGER_FAST = r"-?[0-9]{1,15}"
DATE_FAST = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Sure rejections: in printable ASCII without spaces, a shape the reference parser never
# accepts. Each shape is a superset of what the parser accepts, so a rejection is certain.
PRINTABLE = r"[!-~]+"
DATE_SHAPE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
NUMBER_SHAPE = r"[+-]?([0-9_.eE+-]+|[iI][nN][fF]([iI][nN][iI][tT][yY])?|[sS]?[nN][aA][nN][0-9]*)"
INTEGER_SHAPE = r"[+-]?[0-9_]+"
URI_SCHEME = r"^[a-zA-Z][a-zA-Z0-9+.-]*:"
_JSON_STRING = r'"[^"\\\x00-\x1F]*"'
_WS = r"[ \t\n\r]*"
ARRAY_FAST = rf"\[{_WS}({_JSON_STRING}({_WS},{_WS}{_JSON_STRING})*)?{_WS}\]"
_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
# Special-use top-level domains that email-validator refuses (RFC 6761).
SPECIAL_USE_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_ATOM = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_FAST = rf"{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+[a-zA-Z]{{2,63}}"
_URL_CHARS = r"([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
URL_FAST = (
    rf"https?://{_LABEL}(\.{_LABEL})*\.[a-zA-Z]{{2,63}}"
    rf"(/{_URL_CHARS}*)?(\?({_URL_CHARS}|\?)*)?(#({_URL_CHARS}|\?)*)?"
)

TYPE_CODES = {
    ("string", "email"): "email-invalid",
    ("string", "uri"): "uri-invalid",
    ("string", "default"): "string-invalid",
    ("number", "default"): "number-invalid",
    ("integer", "default"): "integer-invalid",
    ("date", "default"): "date-invalid",
    ("array", "default"): "array-invalid",
}
_CONSTRAINT_CODES = {
    "required": "required",
    "minLength": "min-length",
    "maxLength": "max-length",
    "pattern": "pattern",
    "enum": "enum",
    "minimum": "minimum",
    "maximum": "maximum",
}
_ARRAY_CONSTRAINT_CODES = {**_CONSTRAINT_CODES, "minLength": "min-items", "maxLength": "max-items"}
_ITEM_CODES = {"type": "item-invalid", "enum": "item-enum", "pattern": "item-pattern"}


@lru_cache(maxsize=None)
def _fields(table: str) -> dict[str, Any]:
    from frictionless import Schema

    return {field.name: field for field in Schema.from_descriptor(tables.load(table)).fields}


@lru_cache(maxsize=None)
def _readers(table: str, name: str) -> tuple[Any, Any]:
    """Frictionless' cell reader of a field and, for an array, of its items (as ArrayField builds them)."""
    from frictionless import Field

    field = _fields(table)[name]
    if field.type != "array":
        return field.create_cell_reader(), None
    base = Field.create_cell_reader(field)
    item_reader = None
    if field.array_item:
        descriptor = dict(field.array_item)
        descriptor.pop("arrayItem", None)
        descriptor.setdefault("name", field.name)
        descriptor.setdefault("type", "any")
        item_reader = Field.from_descriptor(descriptor).create_cell_reader()
    return base, item_reader


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def _note_codes(notes: dict[str, str] | None, field: Any, codes: dict[str, str]) -> list[str]:
    if not notes:
        return []
    out = []
    for name in notes:
        if name == "type":
            out.append(TYPE_CODES[(field.type, field.format or "default")])
        else:
            out.append(codes[name])
    return out


def cell(table: str, name: str, raw: str, is_json: bool) -> dict[str, Any]:
    """Frictionless' verdict on one cell: parsed value, array items, errors as (code, offending value)."""
    value: Any = json.loads(raw, parse_float=Decimal) if is_json else raw
    field = _fields(table)[name]
    reader, item_reader = _readers(table, name)
    try:
        parsed, notes = reader(value)
    except Exception:  # a reader that raises (Frictionless would stop there): the cell is unreadable
        return {"v": None, "i": None, "e": [{"c": TYPE_CODES[(field.type, field.format or "default")],
                                             "x": _text(value)}]}
    errors = [{"c": code, "x": _text(value)} for code in _note_codes(
        notes, field, _ARRAY_CONSTRAINT_CODES if field.type == "array" else _CONSTRAINT_CODES)]
    items = None
    if field.type == "array" and parsed is not None:
        items = [_text(item) for item in parsed]
        if not notes and item_reader is not None:
            for item in parsed:
                _, item_notes = item_reader(item)
                for note in item_notes or {}:
                    errors.append({"c": _ITEM_CODES[note], "x": _text(item)})
    type_failed = any(e["c"] in TYPE_CODES.values() for e in errors)
    return {"v": None if type_failed else _text(parsed), "i": items, "e": errors}


def cell_json(table: str, name: str, raw: str, is_json: bool) -> str:
    return json.dumps(cell(table, name, raw, is_json), ensure_ascii=False)


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    # As Frictionless compiles a pattern constraint.
    return re.compile("^{0}$".format(pattern))


def pattern_fails(pattern: str, value: str) -> bool:
    return _pattern(pattern).match(value) is None


@lru_cache(maxsize=1)
def _adapters() -> tuple[Any, Any]:
    from pydantic import EmailStr, HttpUrl, TypeAdapter

    return TypeAdapter(EmailStr), TypeAdapter(HttpUrl)


def v1_email_ok(value: str) -> bool:
    """Whether schema v1 (pydantic `EmailStr`, email-validator) accepts an e-mail."""
    try:
        _adapters()[0].validate_python(value)
    except ValueError:
        return False
    return True


def v1_url_ok(value: str) -> bool:
    """Whether schema v1 (pydantic `HttpUrl`) accepts a URL."""
    try:
        _adapters()[1].validate_python(value)
    except ValueError:
        return False
    return True


def py_round(value: float, digits: int) -> float:
    """Python's `round`: ties to even on the exact binary value (DuckDB's `round` rounds 0.125 up)."""
    return round(value, digits)


def _macros() -> str:
    return f"""
    create or replace macro email_fast(x) as
        regexp_full_match(x, '{EMAIL_FAST.replace("'", "''")}')
        and length(x) <= 254 and strpos(x, '@') <= 65 and not contains(x, '--')
        and not regexp_matches(x, '(?i)[.](?:{"|".join(SPECIAL_USE_TLDS)})$');
    create or replace macro email_reject(x) as
        length(x) - length(replace(x, '@', '')) <> 1
        or (regexp_full_match(x, '{PRINTABLE}') and (
            split_part(x, '@', 1) = '' or split_part(x, '@', 2) = '' or not contains(split_part(x, '@', 2), '.')
            or length(split_part(x, '@', 1)) > 64 or length(split_part(x, '@', 2)) > 253));
    create or replace macro uri_has_scheme(x) as regexp_matches(x, '{URI_SCHEME}');
    create or replace macro date_of(x) as
        case when regexp_full_match(x, '{DATE_SHAPE}') and not starts_with(x, '0000') then try_cast(
            split_part(x, '-', 1) || '-' || lpad(split_part(x, '-', 2), 2, '0') || '-'
            || lpad(split_part(x, '-', 3), 2, '0') as date) end;
    create or replace macro number_reject(x) as
        regexp_full_match(x, '{PRINTABLE}') and not regexp_full_match(x, '{NUMBER_SHAPE}');
    create or replace macro integer_reject(x) as
        regexp_full_match(x, '{PRINTABLE}') and not regexp_full_match(x, '{INTEGER_SHAPE}');
    create or replace macro array_reject(x) as not regexp_matches(x, '^[ \\t\\n\\r]*\\[');
    create or replace macro url_fast(x) as
        regexp_full_match(x, '{URL_FAST.replace("'", "''")}')
        and length(x) <= 2083 and not contains(x, 'n--') and not contains(x, 'N--');
    """


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register the functions and the fast-form macros on a connection (once)."""
    try:
        con.execute("select quality_py_round(0.5, 0)").fetchall()
        return
    except duckdb.CatalogException:
        pass
    con.execute(_macros())
    con.create_function("quality_cell", cell_json, [VARCHAR, VARCHAR, VARCHAR, BOOLEAN], VARCHAR,
                        side_effects=False)
    con.create_function("quality_pattern_fails", pattern_fails, [VARCHAR, VARCHAR], BOOLEAN, side_effects=False)
    con.create_function("quality_v1_email_ok", v1_email_ok, [VARCHAR], BOOLEAN, side_effects=False)
    con.create_function("quality_v1_url_ok", v1_url_ok, [VARCHAR], BOOLEAN, side_effects=False)
    con.create_function("quality_py_round", py_round, [DOUBLE, INTEGER], DOUBLE, side_effects=False)
