"""Personal e-mail detection, in SQL, from bundled word lists (data, not code).

An e-mail is personal when its local part starts with a known first name
followed by `.` or `-` (`marie.dupont@…`, `jean-pierre.x@…`), its domain is a
consumer one (`rules/consumer_domains.csv`: gmail, orange, wanadoo, free…),
and no word of its local part names a service (`rules/service_words.csv`:
mairie, ccas, contact, accueil…). First names: `prenoms/prenoms.csv`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent

MACROS = """
create or replace macro email_local(x) as lower(strip_accents(split_part(trim(x), '@', 1)));
create or replace macro email_domain_base(x) as string_split(lower(split_part(trim(x), '@', 2)), '.')[-2];
create or replace macro is_personal_email(x) as
    coalesce(
        x like '%_@_%.%'
        and email_domain_base(x) in (select domain from rgpd__consumer_domains)
        and regexp_extract(email_local(x), '^([a-z]+)[.-]', 1) in (select prenom from rgpd__prenoms)
        and not list_has_any(
            string_split_regex(email_local(x), '[^a-z]+'), (select list(word) from rgpd__service_words)
        ),
        false
    );
"""


def load_rules(con: duckdb.DuckDBPyConnection) -> None:
    """Word-list tables `rgpd__*` and the `is_personal_email(x)` macro."""
    tables = {
        "rgpd__prenoms": HERE / "prenoms" / "prenoms.csv",
        "rgpd__consumer_domains": HERE / "rules" / "consumer_domains.csv",
        "rgpd__service_words": HERE / "rules" / "service_words.csv",
    }
    for table, path in tables.items():
        con.execute(
            f"create or replace table {table} as select * from read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    con.execute(MACROS)


def personal(con: duckdb.DuckDBPyConnection, emails: list[str]) -> list[bool]:
    """The decision for each e-mail (rules must be loaded on `con`)."""
    rows = con.execute(
        "select is_personal_email(e) from unnest(?::varchar[]) with ordinality as t(e, n) order by n", [emails]
    ).fetchall()
    return [bool(r[0]) for r in rows]
