"""SpreadsheetML cells built by DuckDB: one `<row>` element of XML text per table row.

Writing cell by cell from Python (xlsxwriter) cost ~5 µs a cell, 41 s for the
7 million cells of a national release. Here one SQL query over the published
relation builds every row's XML, set-based and on every core.

Every cell is data, never a formula: texts are inline strings (`t="inlineStr"`,
no shared-strings table to build), numbers `<v>` values, booleans `t="b"`.
A text goes through, in order:

1. truncation to Excel's 32,767 characters (code points, as before), ending
   with `…`;
2. the OOXML escape of ST_Xstring (ECMA-376 part 1, 22.9.2.19): Excel and
   LibreOffice read `_xHHHH_` as the character U+HHHH, so a literal `_x0041_`
   is written `_x005F_x0041_` (its `_` escaped) to read back as itself, as
   xlsxwriter did; so are `_x1_` to `_x123_`, which LibreOffice decodes too.
   The characters XML 1.0 forbids (C0 controls but tab and line feed, U+FFFE,
   U+FFFF) and the carriage return (which an XML parser turns into a line
   feed) are written `_xHHHH_`;
3. XML escaping of `&`, `<`, `>` and `"`.

Readers that do not decode ST_Xstring (openpyxl) show the escapes as written,
as they did with xlsxwriter: the cleaning macros drop control characters but
keep carriage returns, which openpyxl shows as `_x000D_`.
"""

from __future__ import annotations

import re

from pipeline.publish.extensions import published_columns

CELL_LIMIT = 32_767
# Characters XML 1.0 forbids or a parser would not keep (carriage return), written `_xHHHH_`.
ESCAPED_CODES = [*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]
ESCAPED_PATTERN = r"[\x00-\x08\x0B-\x1F\x{FFFE}\x{FFFF}]"
LITERAL_ESCAPE_PATTERN = r"(_x[0-9A-Fa-f]{1,4}_)"
SPACES = ("' '", "chr(9)", "chr(10)")  # white space left in a text once carriage returns are escaped
NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
           "UBIGINT", "FLOAT", "DOUBLE")


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xml_text(value: str) -> str:
    """The Python twin of `_text_sql` for the few texts written from Python (header, column sheet)."""
    if len(value) > CELL_LIMIT:
        value = value[: CELL_LIMIT - 1] + "…"
    value = re.sub(LITERAL_ESCAPE_PATTERN, r"_x005F\1", value)
    for code in ESCAPED_CODES:
        value = value.replace(chr(code), f"_x{code:04X}_")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def text_cell(reference: str, value: str, style: int = 0) -> str:
    """One inline-string cell written from Python (`style` 1 is the bold header)."""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{styled} t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'


def _kind(column_type: str) -> str:
    if column_type in NUMBERS:
        return "number"
    return "boolean" if column_type == "BOOLEAN" else "text"


def _as_text(column: str, column_type: str) -> str:
    if column_type.endswith("[]"):
        return f"cast(to_json({column}) as varchar)"  # a compact JSON array, as in the CSV
    return f"cast({column} as varchar)"  # dates as ISO text; VARCHAR unchanged


def _text_steps(column: str) -> list[str]:
    """SQL expressions over `column`, one per step of the module docstring, each applied to the previous."""
    controls = column
    for code in ESCAPED_CODES:
        controls = f"replace({controls}, chr({code}), '_x{code:04X}_')"
    return [
        f"case when length({column}) > {CELL_LIMIT} then left({column}, {CELL_LIMIT - 1}) || '…' else {column} end",
        f"case when contains({column}, '_x') "
        f"then regexp_replace({column}, '{LITERAL_ESCAPE_PATTERN}', '_x005F\\1', 'g') else {column} end",
        f"case when regexp_matches({column}, '{ESCAPED_PATTERN}') then {controls} else {column} end",
        f"replace(replace(replace(replace({column}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '\"', '&quot;')",
    ]


def _cell(column: str, kind: str, letter: str) -> str:
    """SQL for one cell's XML: NULL (no cell) for a NULL, an empty text or a non-finite number.

    One `concat` per cell and per row builds each string at once (chained `||` copies it at every step).
    """
    if kind == "number":
        return (f"case when isfinite(cast({column} as double)) "
                f"then concat('<c r=\"{letter}', _row, '\"><v>', cast({column} as varchar), '</v></c>') end")
    if kind == "boolean":
        return f"case when {column} is not null then concat('<c r=\"{letter}', _row, '\" t=\"b\"><v>', " \
               f"cast({column} as integer), '</v></c>') end"
    # Excel trims a text's leading and trailing white space unless told to keep it.
    edges = " or ".join(f"{end}({column}, {char})" for end in ("starts_with", "ends_with") for char in SPACES)
    space = f"case when {edges} then ' xml:space=\"preserve\"' else '' end"
    return (f"case when {column} <> '' then concat('<c r=\"{letter}', _row, '\" t=\"inlineStr\"><is><t', {space}, "
            f"'>', {column}, '</t></is></c>') end")


def rows_sql(relation: str, table: str, column_types: dict[str, str], limit: int) -> str:
    """A query of one VARCHAR column: each row's `<row>` XML from sheet row 2 on, in id order.

    One CTE per step: the rows numbered, their cells as text, then each escape
    of the module docstring, then the XML of the row.
    """
    columns = published_columns(table)
    kinds = {c: _kind(column_types[c]) for c in columns}
    texts = [c for c in columns if kinds[c] == "text"]
    others = ", ".join(["_rn", *(c for c in columns if kinds[c] != "text")])
    ctes = [
        # Rows numbered by sorting their ids alone, not every column.
        f"positions as (select id as _id, row_number() over (order by id) + 1 as _rn from {relation}), "
        f"numbered as (select * from {relation} join positions on id = _id)",
        f"step0 as (select {others}, "
        + ", ".join(f"{_as_text(c, column_types[c])} as {c}" for c in texts)
        + f" from numbered where _rn <= {limit + 1})",  # sheet rows 2 to limit + 1
    ]
    for number in range(4):
        expressions = ", ".join(f"{_text_steps(c)[number]} as {c}" for c in texts)
        ctes.append(f"step{number + 1} as (select {others}, {expressions} from step{number})")
    cells = ", ".join(_cell(c, kinds[c], column_letter(i)) for i, c in enumerate(columns))
    return (f"with {', '.join(ctes)}, final as (select *, cast(_rn as varchar) as _row from step4) "
            f"select concat('<row r=\"', _row, '\">', {cells}, '</row>') as xml from final order by _rn")
