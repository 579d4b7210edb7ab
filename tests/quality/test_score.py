"""score_qualite in SQL equals the official package's `score()` with its clock frozen on the reference date."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

import pendulum
import pytest
from data_inclusion.schema import v1
from data_inclusion.schema.v1 import score_qualite

from pipeline.paths import PACKAGE_DIR
from pipeline.quality import cells
from pipeline.warehouse import connect, set_reference_date
from tests.conftest import Workspace

REFERENCE = date(2026, 11, 28)
COLUMNS = {
    "id": "varchar", "structure_id": "varchar", "source": "varchar", "date_maj": "date", "description": "varchar",
    "adresse": "varchar", "telephone": "varchar", "courriel": "varchar", "lien_mobilisation": "varchar",
    "modes_accueil": "varchar[]", "modes_mobilisation": "varchar[]", "mobilisable_par": "varchar[]",
    "thematiques": "varchar[]", "publics": "varchar[]", "frais": "varchar", "frais_precisions": "varchar",
}
AGES = [0, 1, 179, 180, 181, 200, 364, 365, 366, 500, 728, 729, 730, 731, 1500]
LENGTHS = [5, 49, 50, 51, 199, 200, 201, 1999, 2000, 2001, 9999, 10000]


def subset(rng: random.Random, values: list[str], empty: bool = False) -> list[str] | None:
    if rng.random() < 0.3:
        return None
    chosen = sorted(rng.sample(values, rng.randint(0 if empty else 1, len(values))))
    return chosen


def random_service(rng: random.Random, number: int) -> dict[str, Any]:
    age = rng.choice(AGES) if rng.random() < 0.7 else rng.randint(0, 2000)
    frais = rng.choice([None, "gratuit", "payant"])
    return {
        "id": f"dora--{number}",
        "structure_id": f"dora--s{number % 37}",
        "source": rng.choice(["dora", "dora", "agefiph", "france-travail", "soliguide"]),
        "date_maj": REFERENCE - timedelta(days=age),
        "description": "d" * (rng.choice(LENGTHS) if rng.random() < 0.7 else rng.randint(5, 10000)),
        "adresse": rng.choice([None, "", "1 rue de la Paix"]),
        "telephone": rng.choice([None, "", "0320000000"]),
        "courriel": rng.choice([None, "contact@exemple.fr"]),
        "lien_mobilisation": rng.choice([None, "https://rdv.example.org/x"]),
        "modes_accueil": subset(rng, ["a-distance", "en-presentiel"], empty=True),
        "modes_mobilisation": subset(rng, ["envoyer-un-courriel", "se-presenter", "telephoner",
                                           "utiliser-lien-mobilisation"]),
        "mobilisable_par": subset(rng, ["professionnels", "usagers"]),
        "thematiques": subset(rng, ["famille--garde-denfants", "sante--addictions", "numerique--acquerir-un-equipement"],
                              empty=True),
        "publics": subset(rng, ["femmes", "jeunes", "seniors"]),
        "frais": frais,
        "frais_precisions": rng.choice([None, "10 € par an"]),
    }


def sql_scores(services: list[dict[str, Any]]) -> dict[str, float]:
    con = connect(":memory:")
    cells.register(con)
    set_reference_date(con, REFERENCE)
    con.execute("create table chk_published__services (" + ", ".join(f"{k} {t}" for k, t in COLUMNS.items()) + ")")
    con.executemany(f"insert into chk_published__services values ({', '.join('?' for _ in COLUMNS)})",
                    [[s[k] for k in COLUMNS] for s in services])
    con.execute((PACKAGE_DIR / "quality" / "score.sql").read_text(encoding="utf-8"))
    return dict(con.execute("select id, score_qualite from int__service_scores").fetchall())


def package_scores(services: list[dict[str, Any]]) -> dict[str, float]:
    """The official score, its clock (pendulum.now) frozen at noon of the reference date, local time."""
    noon = pendulum.datetime(REFERENCE.year, REFERENCE.month, REFERENCE.day, 12, tz=pendulum.local_timezone())
    out = {}
    with pendulum.travel_to(noon, freeze=True):
        for s in services:
            record = {k: v for k, v in s.items() if v is not None and k != "structure_id"}
            service = v1.Service(structure_id=s["structure_id"], nom="Service", **record)
            out[s["id"]] = score_qualite.score(service)[0]
    return out


def test_sql_score_equals_the_package_score_for_many_services():
    rng = random.Random(20261128)
    services = [random_service(rng, n) for n in range(1500)]
    ours, theirs = sql_scores(services), package_scores(services)
    assert len(ours) == 1500
    different = {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}
    assert different == {}
    assert len(set(theirs.values())) > 20, "the sample spreads over many scores"


def test_rounding_is_pythons_not_duckdbs():
    # 8 applicable criteria summing to 1.0 -> 0.125, which Python rounds to 0.12 (DuckDB's round gives 0.13).
    service = {
        "id": "dora--half", "structure_id": "dora--s", "source": "dora", "date_maj": REFERENCE - timedelta(days=900),
        "description": "d" * 10, "adresse": None, "telephone": None, "courriel": None, "lien_mobilisation": None,
        "modes_accueil": ["en-presentiel"], "modes_mobilisation": ["se-presenter"], "mobilisable_par": ["usagers"],
        "thematiques": None, "publics": None, "frais": None, "frais_precisions": None,
    }
    assert package_scores([service])["dora--half"] == 0.12
    assert sql_scores([service])["dora--half"] == 0.12


def test_payant_with_empty_precisions_scores_half_where_the_package_raises():
    service = random_service(random.Random(1), 0) | {"frais": "payant", "frais_precisions": ""}
    with pytest.raises(ValueError):
        package_scores([service])
    without = package_scores([service | {"frais_precisions": None}])["dora--0"]
    assert sql_scores([service])["dora--0"] == without


def test_published_files_carry_the_scores(sample_run: Workspace):
    rows = sample_run.query("select id, score_qualite from pub__services order by id")
    assert all(0 <= score <= 1 for _, score in rows)
    header = (sample_run.dist / "services.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "score_qualite" in header.split(",")
    schema = json.loads((sample_run.dist / "schema" / "structures.schema.json").read_text(encoding="utf-8"))
    assert "score_qualite" in [f["name"] for f in schema["fields"]]
    structure_scores = dict(sample_run.query("select id, score_qualite from pub__structures"))
    by_structure: dict[str, list[float]] = {}
    for structure_id, score in sample_run.query("select structure_id, score_qualite from pub__services"):
        by_structure.setdefault(structure_id, []).append(score)
    for structure_id, scores in by_structure.items():
        assert structure_scores[structure_id] == round(sum(round(s * 100) for s in scores) / len(scores) / 100, 2)
    assert sum(v is None for v in structure_scores.values()) == len(structure_scores) - len(by_structure)
