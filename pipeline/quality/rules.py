"""Dataset rules and schema v1 rules, as SQL over a parsed relation (see `compile.parse_sql`).

The Table Schema's own dataset rules (`primaryKey`, `foreignKeys`) are
checked the way Frictionless checks them. The other rules are the official
package's validators that a Table Schema cannot say (`tous-publics` alone,
`date_maj` not in the future, e-mails and URLs as pydantic reads them), the
publisher's dataset rules (ids prefixed by their source, coordinates in
range, no empty list item) and warnings (a `nom` ending with a period,
duplicate list items, an unknown code commune).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.quality.compile import literal, quote


@dataclass(frozen=True)
class RuleContext:
    """What the rules of one table may look at besides its own rows."""

    reference_date: str
    # Parsed relation of the referenced table (structures), or None when absent.
    referenced: str | None = None
    check_source: bool = True
    communes: str | None = None


def _select(parsed: str, field: str, code: str, value: str, where: str) -> str:
    return f"select _row, {literal(field)} as field, {literal(code)} as code, ({value})::varchar as value " \
           f"from {parsed} where {where}"


def primary_key_sql(table_schema: dict[str, Any], parsed: str) -> list[str]:
    """Frictionless: a missing key, or a key already seen on an earlier row; we also flag the first row."""
    keys = table_schema.get("primaryKey") or []
    if len(keys) != 1:
        if keys:
            raise NotImplementedError(f"composite primary key {keys}")
        return []
    key = quote(keys[0])
    ranked = (f"(select _row, {key}, row_number() over (partition by {key} order by _row) as n, "
              f"count(*) over (partition by {key}) as c from {parsed})")
    return [
        _select(ranked, keys[0], "primary-key", key, f"{key} is null or n > 1"),
        _select(ranked, keys[0], "duplicate-id", key, f"{key} is not null and n = 1 and c > 1"),
    ]


def foreign_key_sql(table_schema: dict[str, Any], parsed: str, referenced: str | None) -> list[str]:
    """Frictionless: a non-empty value absent from the referenced table's (non-empty) values."""
    out = []
    for fk in table_schema.get("foreignKeys", []):
        (field,), (target,) = fk["fields"], fk["reference"]["fields"]
        if referenced is None:
            continue
        col, tgt = quote(field), quote(target)
        out.append(_select(parsed, field, "foreign-key", col,
                           f"{col} is not null and {col} not in (select {tgt} from {referenced} where {tgt} is not null)"))
    return out


def v1_rules_sql(table_schema: dict[str, Any], parsed: str, ctx: RuleContext) -> list[str]:
    fields = {f["name"]: f for f in table_schema["fields"]}
    out = []
    if ctx.check_source and {"source", "id"} <= set(fields):
        out.append(_select(parsed, "id", "id-prefix", "id",
                           "source is not null and id is not null and not starts_with(id, source || '--')"))
    if "date_maj" in fields:
        out.append(_select(parsed, "date_maj", "date-future", "date_maj",
                           f"date_maj > date {literal(ctx.reference_date)}"))
    if "publics" in fields:
        publics = "list_filter(publics, lambda p: p is not null and p <> '')"
        out.append(_select(parsed, "publics", "tous-publics-alone", "to_json(publics)",
                           f"list_contains(publics, 'tous-publics') and len(list_distinct({publics})) > 1"))
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in fields:
            out.append(_select(parsed, name, f"{name}-range", name,
                               f"{name} < -{bound} or {name} > {bound} or isnan({name})"))
    if "nom" in fields:
        out.append(_select(parsed, "nom", "nom-trailing-period", "nom",
                           "ends_with(nom, '.') and not ends_with(nom, 'etc.')"))
    for name, f in fields.items():
        col, errs = quote(name), quote(name + "__e")
        if f.get("type") == "array":
            present = f"list_filter({col}, lambda x: x is not null and x <> '')"
            out.append(_select(parsed, name, "empty-item", f"to_json({col})",
                               f"len({present}) < len({col})"))
            out.append(_select(parsed, name, "duplicate-item", f"to_json({col})",
                               f"len(list_distinct({present})) < len({present})"))
        elif f.get("format") == "email":
            out.append(_select(parsed, name, "email-syntax", col,
                               f"{col} is not null and len({errs}) = 0 and not email_fast({col}) "
                               f"and not quality_v1_email_ok({col})"))
        elif f.get("format") == "uri":
            out.append(_select(parsed, name, "url-syntax", col,
                               f"{col} is not null and len({errs}) = 0 and not url_fast({col}) "
                               f"and not quality_v1_url_ok({col})"))
    if ctx.communes and "code_insee" in fields:
        out.append(_select(parsed, "code_insee", "code-insee-unknown", "code_insee",
                           f"code_insee is not null and len(code_insee__e) = 0 "
                           f"and code_insee not in (select code_insee from {ctx.communes})"))
    return out


def dataset_errors_sql(table_schema: dict[str, Any], parsed: str, ctx: RuleContext) -> str:
    """Every dataset and v1 rule of one table, as rows (_row, field, code, value)."""
    parts = (primary_key_sql(table_schema, parsed) + foreign_key_sql(table_schema, parsed, ctx.referenced)
             + v1_rules_sql(table_schema, parsed, ctx))
    return "\nunion all\n".join(parts)
