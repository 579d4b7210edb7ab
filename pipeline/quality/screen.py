"""The first pass: which records certainly have no error, in one cheap scan.

Explaining a cell (`compile.py`) builds lists of errors; doing that for every
cell of a national file costs more than reading it. Nearly every record is
valid, so a first pass computes, per field, a *sufficient* condition of
validity, one boolean per record and no list: one regular expression for a
list of référentiel values, one for a code, a cast for a date. A record
failing any of them is a suspect, and only suspects are explained. The
condition must imply that neither the Table Schema nor a per-row v1 rule
finds anything; a test runs both passes on every rule's examples and
compares with explaining every record.

The pass also keeps each record's keys (source, id, structure_id), for the
rules that look across records, and the warnings of the records that are
not suspects.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.quality import cells
from pipeline.quality.compile import TYPED, FieldSql, _in_list, literal

_NEGATED = re.compile(r"\\[DWSB]|\[\^")
_WS = "[ \\t\\n\\r]*"


def _safe_pattern(pattern: str) -> bool:
    """RE2 (ASCII classes) accepting implies Python `re` accepting, for patterns without negated classes."""
    return not _NEGATED.search(pattern)


def _re2_escape(value: str) -> str:
    return re.sub(r"([\\.+*?()|\[\]{}^$-])", r"\\\1", value)


_PLAIN = re.compile(r'[^"\\\x00-\x1f]+')


def _item_language(item: dict[str, Any]) -> tuple[str, bool] | None:
    """An RE2 regex for list items that are certainly valid, and whether it only matches plain JSON text
    (no quote, backslash or control character, never empty); None when no such regex is safe."""
    constraints = item.get("constraints", {})
    if "enum" in constraints:
        values = [str(v) for v in constraints["enum"] if v != ""]
        plain = all(_PLAIN.fullmatch(v) for v in values)
        return "(?:" + "|".join(_re2_escape(v) for v in values) + ")", plain
    if "pattern" in constraints and _safe_pattern(constraints["pattern"]):
        return f"(?:{constraints['pattern']})", False
    if not constraints:
        return '[^"\\\\\\x00-\\x1F]+', True
    return None


def certain_ok(f: FieldSql, raw: str, extra: list[str]) -> str | None:
    """A condition implying this cell has no error (`extra`: the v1 rules' own conditions on the raw text);
    None when the cell cannot have any."""
    c = f.constraints
    conds: list[str] = []
    if f.type == "string":
        if f.format == "email":
            conds.append(f"email_fast({raw})")
        elif f.format == "uri":
            conds.append(f"url_fast({raw})")
        if "minLength" in c or "maxLength" in c:
            low, high = c.get("minLength", 0), c.get("maxLength", 2**31)
            # A character is 1 to 4 bytes: the byte count alone decides most long texts.
            conds.append(f"(case when strlen({raw}) between {4 * low} and {high} then true "
                         f"else length({raw}) between {low} and {high} end)")
        if "pattern" in c:
            if not _safe_pattern(c["pattern"]):
                conds.append(f"regexp_full_match({raw}, {literal(cells.ASCII_LINE)})")
            conds.append(f"regexp_full_match({raw}, {literal('(?:' + c['pattern'] + ')')})")
        if "enum" in c:
            conds.append(f"{raw} in {_in_list(c['enum'])}")
    elif f.type in ("number", "integer", "date"):
        fast = {"number": cells.NUMBER_FAST, "integer": cells.INTEGER_FAST, "date": cells.DATE_FAST}[f.type]
        conds.append(f"regexp_full_match({raw}, {literal(fast)})")
        typed = f"try_cast({raw} as {TYPED[f.type]})"
        conds.append(f"{typed} is not null")
        if f.type == "date":
            conds.append(f"not starts_with({raw}, '0000')")
        for name, op in (("minimum", ">="), ("maximum", "<=")):
            if name in c:
                bound = f"date {literal(c[name])}" if f.type == "date" else literal(c[name])
                conds.append(f"{typed} {op} {bound}")
        if "enum" in c:
            conds.append(f"{typed} in {_in_list(c['enum'])}")
    elif f.type == "array":
        language = _item_language(f.item)
        if language is None:
            return "false"
        item, plain = language
        token = f'"{item}"'
        repeated = f"{token}({_WS},{_WS}{token})*"
        at_least_one = c.get("minLength", 0) >= 1
        body = repeated if at_least_one else f"({repeated})?"
        conds.append(f"regexp_full_match({raw}, {literal(chr(92) + '[' + _WS + body + _WS + chr(92) + ']')})")
        if not plain:
            conds.append(f"regexp_full_match({raw}, {literal(cells.ARRAY_FAST)})")
            conds.append(f"not contains({raw}, '\"\"')")
        if c.get("minLength", 0) > 1 or "maxLength" in c:
            length = f"len(from_json({raw}, '[\"VARCHAR\"]'))"
            conds.append(f"{length} between {c.get('minLength', 0)} and {c.get('maxLength', 2**31)}")
    if f.mode == "json":
        readable, _ = f._json_kinds()
        if f.type == "integer":
            readable = [k for k in readable if k != "DOUBLE"]
        conds.insert(0, f"json_type({f.column}) in {_in_list(readable)}")
    conds += extra
    if not conds:  # any text is valid: only `required` remains
        return f"{raw} <> ''" if c.get("required") else None
    # NULL (unknown) is as good as false: the caller wraps the conjunction of every field in coalesce.
    present = " and ".join(conds)
    if c.get("required"):
        return f"({raw} <> '' and {present})"
    return f"({raw} is null or {raw} = '' or ({present}))"
