"""Dataset rules and schema v1 rules, as SQL.

The Table Schema's own dataset rules (`primaryKey`, `foreignKeys`) are
checked the way Frictionless checks them, over every record's keys. The
other rules are the official package's validators that a Table Schema cannot
say (`tous-publics` alone, `date_maj` not in the future, e-mails and URLs as
pydantic reads them), the publisher's rules (ids prefixed by their source,
coordinates in range, no empty list item) and warnings (a `nom` ending with a
period, an unknown code commune).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.quality.compile import NO_ERRORS, literal, quote
from pipeline.quality.errors import RULES, WARNING


@dataclass(frozen=True)
class RuleContext:
    """What the rules of one table may look at besides its own rows."""

    reference_date: str
    # Keys relation of the referenced table (structures), or None when absent.
    referenced: str | None = None
    check_source: bool = True
    communes: str | None = None


@dataclass(frozen=True)
class RowRule:
    """A rule on one record: SQL over its typed values (columns named after the fields)."""

    field: str
    code: str
    condition: str
    value: str
    # Only when the field itself has no Table Schema error (`<field>__e` is empty).
    clean_field: bool = False
    # Looks a value up in another table: not in the screen, whose scan must stay a plain projection
    # (its rows are numbered by their order); checked over the keys instead (`global_rules_sql`).
    lookup: bool = False

    @property
    def warning(self) -> bool:
        return RULES[self.code].severity == WARNING


def _select(relation: str, field: str, code: str, value: str, where: str) -> str:
    return (f"select _row, {literal(field)} as field, {literal(code)} as code, ({value})::varchar as value "
            f"from {relation} where {where}")


def global_rules_sql(table_schema: dict[str, Any], keys: str, ctx: RuleContext) -> list[str]:
    """Rules across records, over the keys of every record (`_row`, source, id, structure_id)."""
    out = []
    pk = table_schema.get("primaryKey") or []
    if len(pk) > 1:
        raise NotImplementedError(f"composite primary key {pk}")
    if pk:
        key = quote(pk[0])
        # Frictionless: a missing key, or a key seen on an earlier row. We also flag the first row.
        # Ranks are computed for missing and repeated keys only (a hash aggregate finds them).
        shared = f"(select {key} from {keys} where {key} is not null group by {key} having count(*) > 1)"
        ranked = (f"(select _row, {key}, row_number() over (partition by {key} order by _row) as n, "
                  f"count(*) over (partition by {key}) as c from {keys} "
                  f"where {key} is null or {key} in {shared})")
        out.append(_select(ranked, pk[0], "primary-key", key, f"{key} is null or n > 1"))
        out.append(_select(ranked, pk[0], "duplicate-id", key, f"{key} is not null and n = 1 and c > 1"))
    for fk in table_schema.get("foreignKeys", []):
        (field,), (target,) = fk["fields"], fk["reference"]["fields"]
        if ctx.referenced is None:
            continue
        col, tgt = quote(field), quote(target)
        out.append(_select(keys, field, "foreign-key", col, f"{col} is not null and {col} not in "
                           f"(select {tgt} from {ctx.referenced} where {tgt} is not null)"))
    names = {f["name"] for f in table_schema["fields"]}
    if ctx.check_source and {"source", "id"} <= names:
        out.append(_select(keys, "id", "id-prefix", "id",
                           "source is not null and id is not null and not starts_with(id, source || '--')"))
    for rule in row_rules(table_schema, ctx):
        if rule.lookup:  # records that passed the screen; suspects get the rule when explained
            out.append(_select(keys, rule.field, rule.code, rule.value, f"not suspect and ({rule.condition})"))
    return out


def key_fields(table_schema: dict[str, Any], ctx: RuleContext) -> list[str]:
    """Fields kept for every record: keys, and the values of rules that look elsewhere."""
    names = [f["name"] for f in table_schema["fields"]]
    wanted = {"source", "id", *(table_schema.get("primaryKey") or [])}
    wanted |= {r.field for r in row_rules(table_schema, ctx) if r.lookup}
    for fk in table_schema.get("foreignKeys", []):
        wanted |= set(fk["fields"])
    return [n for n in names if n in wanted]


def row_rules(table_schema: dict[str, Any], ctx: RuleContext, col: Callable[[str], str] = quote) -> list[RowRule]:
    """Every per-record rule; `col(field)` is the SQL of a field's typed value."""
    fields = {f["name"]: f for f in table_schema["fields"]}
    out = []
    if "date_maj" in fields:
        out.append(RowRule("date_maj", "date-future", f"{col('date_maj')} > date {literal(ctx.reference_date)}",
                           col("date_maj")))
    if col is quote:  # explaining a suspect: its text is at hand; a non-suspect's date is already ISO
        for name in (n for n, f in fields.items() if f.get("type") == "date"):
            text = quote(name + "__raw")
            out.append(RowRule(name, "date-not-iso", f"{quote(name)} is not null and not regexp_full_match("
                               f"{text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')", text, clean_field=True))
    if "publics" in fields:
        publics = col("publics")
        present = f"list_filter({publics}, lambda p: p is not null and p <> '')"
        out.append(RowRule("publics", "tous-publics-alone",
                           f"list_contains({publics}, 'tous-publics') and len(list_distinct({present})) > 1",
                           f"to_json({publics})"))
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in fields:
            value = col(name)
            out.append(RowRule(name, f"{name}-range", f"{value} < -{bound} or {value} > {bound} or isnan({value})",
                               value))
    if "nom" in fields:
        nom = col("nom")
        out.append(RowRule("nom", "nom-trailing-period", f"ends_with({nom}, '.') and not ends_with({nom}, 'etc.')",
                           nom))
    for name, f in fields.items():
        value = col(name)
        if f.get("type") == "array":
            present = f"list_filter({value}, lambda x: x is not null and x <> '')"
            out.append(RowRule(name, "empty-item", f"len({present}) < len({value})", f"to_json({value})"))

        elif f.get("format") == "email":
            out.append(RowRule(name, "email-syntax",
                               f"{value} is not null and not email_fast({value}) and not quality_v1_email_ok({value})",
                               value, clean_field=True))
        elif f.get("format") == "uri":
            out.append(RowRule(name, "url-syntax",
                               f"{value} is not null and not url_fast({value}) and not quality_v1_url_ok({value})",
                               value, clean_field=True))
    if ctx.communes and "code_insee" in fields:
        code = col("code_insee")
        out.append(RowRule("code_insee", "code-insee-unknown",
                           f"{code} is not null and {code} not in (select code_insee from {ctx.communes})",
                           code, clean_field=True, lookup=True))
    return out


def row_rules_lists(rules: list[RowRule]) -> list[tuple[str, str]]:
    """Per row rule over a parsed relation (typed values and `<field>__e` error lists): its field and
    the SQL list of its error, empty when it passes (for `compile.errors_sql`)."""
    out = []
    for rule in rules:
        where = rule.condition
        if rule.clean_field:
            where = f"len({quote(rule.field + '__e')}) = 0 and ({where})"
        error = f"{{'c': {literal(rule.code)}, 'x': ({rule.value})::varchar}}"
        out.append((rule.field, f"(case when {where} then [{error}] else {NO_ERRORS} end)"))
    return out


def warnings_list_sql(rules: list[RowRule], guards: dict[str, str] | None = None) -> str:
    """For a record with no error: the warnings it raises, as a list of structs (field, code, value).

    `guards` (per field) are cheap conditions without which a field's warnings cannot fire."""
    guards = guards or {}
    rules = [r for r in rules if r.warning and not r.lookup]
    fires = [f"(case when {guards.get(r.field, 'true')} then coalesce({r.condition}, false) else false end)"
             for r in rules]
    if not fires:
        return "[]::struct(field varchar, code varchar, value varchar)[]"
    parts = [
        f"case when {fire} then {{'field': {literal(r.field)}, 'code': {literal(r.code)}, "
        f"'value': ({r.value})::varchar}} end"
        for fire, r in zip(fires, rules)
    ]
    # Most records raise no warning: build a list only for those that do.
    return f"case when {' or '.join(fires)} then list_filter([{', '.join(parts)}], lambda w: w is not null) end"


def screen_conditions(table_schema: dict[str, Any], ctx: RuleContext,
                      raw: Callable[[str], str]) -> dict[str, list[str]]:
    """Per field, conditions on the raw text implying that its per-row v1 error rules pass."""
    fields = {f["name"] for f in table_schema["fields"]}
    out: dict[str, list[str]] = {}
    if "date_maj" in fields:
        out["date_maj"] = [f"try_cast({raw('date_maj')} as date) <= date {literal(ctx.reference_date)}"]
    if "publics" in fields:
        out["publics"] = [f"not (contains({raw('publics')}, '\"tous-publics\"') and contains({raw('publics')}, ','))"]
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in fields:
            out[name] = [f"try_cast({raw(name)} as double) between -{bound} and {bound}"]
    # Arrays: the screen's list regex already refuses empty items; e-mails and URLs pass
    # email_fast / url_fast, which pydantic accepts.
    return out
