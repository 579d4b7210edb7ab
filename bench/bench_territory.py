"""Benchmark: resolve 250,000 addresses offline (code INSEE, position), target under 10 s.

Addresses are generated from the communes reference itself, every kind of
code (current communes, déléguées, associées, arrondissements), with the
noise producers add: codes missing or with a lost leading zero, a postal
code in the code field, CEDEX codes, names in capitals, without accents or
hyphens, "St" for "Saint", "CEDEX n", a postal code in the name, a letter
missing, arrondissements as "Paris 8e", swapped or zero coordinates. The
figure is the time of `locate` on a warehouse file, as in a run; loading
the reference is timed apart. Accuracy against the commune each address
was generated from is reported too.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import date
from pathlib import Path

from pipeline import warehouse
from pipeline.territory import reference
from pipeline.territory.locate import INPUT_COLUMNS, locate

HERE = Path(__file__).resolve().parent
ROWS = 250_000
TARGET_SECONDS = 10.0

GENERATE = """
create or replace table bench_truth as
with communes as (
    select
        row_number() over (order by c.code_insee, c.type) - 1 as n,
        c.code_insee as code, c.nom, c.type, k.code_commune as expected, k.code_arrondissement as expected_arr,
        coalesce(a.latitude, m.latitude) as lat, coalesce(a.longitude, m.longitude) as lon,
        coalesce(
            (select min(p.code_postal) from ref__codes_postaux as p where p.code_insee = c.code_insee),
            (select min(p.code_postal) from ref__postal as p where p.code_commune = k.code_commune)
        ) as cp
    from ref__communes as c
    join ref__codes_insee as k on k.code = c.code_insee
    left join ref__commune_centres as a on a.code = k.code_arrondissement
    left join ref__commune_centres as m on m.code = k.code_commune
),

draws as (
    select i, hash(i, 'commune') % (select count(*) from communes) as n, (hash(i, 'noise') >> 1)::bigint as h
    from range(?) as t(i)
),

noisy as (
    select
        d.i, c.expected, c.expected_arr,
        case (d.h % 10)
            when 0 then c.code when 1 then c.code when 2 then c.code when 3 then c.code
            when 4 then ltrim(c.code, '0') when 5 then c.cp
        end as code_insee,
        case ((d.h >> 8) % 20)
            when 0 then null when 1 then null when 2 then ltrim(c.cp, '0')
            when 3 then left(c.cp, 2) || '9' || lpad(((d.h >> 40) % 100)::varchar, 2, '0')
            else c.cp
        end as code_postal,
        case ((d.h >> 16) % 12)
            when 0 then upper(strip_accents(c.nom))
            when 1 then replace(c.nom, '-', ' ')
            when 2 then replace(replace(c.nom, 'Saint-', 'St '), 'Sainte-', 'Ste ')
            when 3 then upper(c.nom) || ' CEDEX ' || ((d.h >> 44) % 9 + 1)::varchar
            when 4 then lower(c.nom)
            when 5 then null
            when 6 then replace(c.nom, ' Arrondissement', '')
            when 7 then c.cp || ' ' || upper(c.nom)
            when 8 then left(c.nom, length(c.nom) // 2) || right(c.nom, length(c.nom) - length(c.nom) // 2 - 1)
            else c.nom
        end as commune,
        ((d.h >> 48) % 200 + 1)::varchar || ' rue ' || (['de la Paix', 'Victor Hugo', 'du Moulin', 'de l''Église',
            'Jean Jaurès'])[(d.h >> 52) % 5 + 1] as adresse,
        case when ((d.h >> 24) % 10) < 2 then null
             when ((d.h >> 24) % 10) = 3 then 0.0
             when ((d.h >> 24) % 10) = 2 then c.lon
             else c.lat + ((d.h >> 32) % 200 - 100) / 10000.0 end as latitude,
        case when ((d.h >> 24) % 10) < 2 then null
             when ((d.h >> 24) % 10) = 3 then 0.0
             when ((d.h >> 24) % 10) = 2 then c.lat
             else c.lon + ((d.h >> 36) % 200 - 100) / 10000.0 end as longitude
    from draws as d
    join communes as c on c.n = d.n
)

select * from noisy order by i
"""


def _write_results(figures: dict[str, object]) -> None:
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "territory.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = (
        "## territory\n\n"
        "Resolve 250,000 generated addresses offline (code INSEE, arrondissement, position, problems), "
        "`pipeline/territory/locate.py` on a warehouse file.\n\n"
        "- command: `make bench` or `.venv/bin/python -m bench territory`\n"
        f"- date: {figures['date']}; machine: 2 cores, 24 GB (shared with other work: {figures['load_average']})\n"
        f"- target: {figures['rows']:,} addresses in under {TARGET_SECONDS:.0f} s\n"
        f"- measured: **{figures['locate_seconds']:.2f} s** to resolve and position "
        f"({figures['rows_per_second']:,} addresses/s); loading the reference and its indexes "
        f"{figures['reference_seconds']:.2f} s; together {figures['total_seconds']:.2f} s: "
        f"{'meets' if figures['total_seconds'] < TARGET_SECONDS else 'misses'} the target\n"
        f"- accuracy on the generated noise: {figures['correct_share']:.2%} resolved to the right commune, "
        f"{figures['wrong_share']:.2%} to another, {figures['unresolved_share']:.2%} left unresolved "
        "(quarantined with a reason in a run)\n"
    )
    start = text.find("## territory\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    db = work / "territory.duckdb"
    db.unlink(missing_ok=True)
    con = warehouse.connect(db)
    started = time.perf_counter()
    reference.load(con)
    reference_seconds = time.perf_counter() - started
    con.execute(GENERATE, [ROWS])
    con.execute(f"create or replace table int__territory_input ({INPUT_COLUMNS})")
    con.execute(
        "insert into int__territory_input by name select i as _rid, 'bench' as source, 'structures' as entity, "
        "i::varchar as id, code_insee, code_postal, commune, adresse, latitude, longitude from bench_truth"
    )
    con.execute("checkpoint")
    started = time.perf_counter()
    counts = locate(con)
    locate_seconds = time.perf_counter() - started
    correct, wrong, unresolved = con.execute(
        "select count(*) filter (where r.code_insee = t.expected), "
        "count(*) filter (where r.code_insee <> t.expected), count(*) filter (where r.code_insee is null) "
        "from bench_truth as t join int__territory_result as r on r._rid = t.i"
    ).fetchall()[0]
    con.close()
    figures = {
        "date": date.today().isoformat(),
        "rows": ROWS,
        "reference_seconds": round(reference_seconds, 2),
        "locate_seconds": round(locate_seconds, 2),
        "total_seconds": round(reference_seconds + locate_seconds, 2),
        "rows_per_second": round(ROWS / locate_seconds),
        "target_seconds": TARGET_SECONDS,
        "correct_share": round(correct / ROWS, 4),
        "wrong_share": round(wrong / ROWS, 4),
        "unresolved_share": round(unresolved / ROWS, 4),
        "problems": counts["problems"],
        "load_average": "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }
    _write_results(figures)
    print(json.dumps(figures, indent=2))
