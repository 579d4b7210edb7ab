"""The Table Schemas and référentiels in schema/ are exactly what the official package says."""

from __future__ import annotations

import csv
import json

from data_inclusion.schema import v1

from pipeline import schema
from pipeline.paths import SCHEMA_DIR


def test_committed_files_match_a_fresh_generation():
    generated = schema.generated_files()
    committed = {
        p.relative_to(SCHEMA_DIR).as_posix(): p.read_text(encoding="utf-8")
        for p in SCHEMA_DIR.rglob("*")
        if p.is_file()
    }
    assert set(committed) == set(generated), "schema/ has extra or missing files: run `datainclusion schema`"
    for name, text in generated.items():
        assert committed[name] == text, f"schema/{name} is stale: run `datainclusion schema`"


def test_every_model_field_in_order_with_required_flags():
    for table, model in schema.TABLES.items():
        fields = schema.load(table)["fields"]
        assert [f["name"] for f in fields] == list(model.model_fields)
        required = {f["name"] for f in fields if f.get("constraints", {}).get("required")}
        assert required == {name for name, info in model.model_fields.items() if info.is_required()}
    assert len(schema.load("structures")["fields"]) == 20
    assert len(schema.load("services")["fields"]) == 33


def test_enums_agree_with_the_installed_package():
    services = {f["name"]: f for f in schema.load("services")["fields"]}
    structures = {f["name"]: f for f in schema.load("structures")["fields"]}
    single = {"type": v1.TypeService, "frais": v1.Frais}
    for name, enum in single.items():
        assert services[name]["type"] == "string"
        assert services[name]["constraints"]["enum"] == [m.value for m in enum]
    multi = {
        "thematiques": v1.Thematique,
        "publics": v1.Public,
        "modes_accueil": v1.ModeAccueil,
        "modes_mobilisation": v1.ModeMobilisation,
        "mobilisable_par": v1.PersonneMobilisatrice,
    }
    for name, enum in multi.items():
        assert services[name]["type"] == "array"
        assert services[name]["arrayItem"]["constraints"]["enum"] == [m.value for m in enum]
    assert structures["reseaux_porteurs"]["arrayItem"]["constraints"]["enum"] == [m.value for m in v1.ReseauPorteur]


def test_referentiel_csvs_agree_with_the_installed_package():
    for name, enum in schema.REFERENTIELS.items():
        with (SCHEMA_DIR / "referentiels" / f"{name}.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["value"] for r in rows] == sorted(m.value for m in enum)
        labels = {m.value: m.label for m in enum}
        assert all(r["label"] == labels[r["value"]] for r in rows)
    assert "Aide matérielle" in (SCHEMA_DIR / "referentiels" / "types_de_services.csv").read_text(encoding="utf-8")


def test_constraints_keys_and_array_encoding():
    services = schema.load("services")
    fields = {f["name"]: f for f in services["fields"]}
    assert services["primaryKey"] == ["id"]
    assert services["foreignKeys"] == [
        {"fields": ["structure_id"], "reference": {"resource": "structures", "fields": ["id"]}}
    ]
    assert fields["nom"]["constraints"] == {"required": True, "minLength": 3, "maxLength": 150}
    assert fields["code_postal"]["constraints"]["pattern"] == r"\d{5}"
    assert fields["nombre_semaines"] == fields["nombre_semaines"] | {"type": "integer"}
    assert fields["nombre_semaines"]["constraints"]["minimum"] == 1
    assert fields["publics"]["constraints"]["minLength"] == 1
    assert fields["date_maj"]["type"] == "date"
    assert fields["courriel"]["format"] == "email"
    assert fields["lien_source"]["constraints"]["pattern"] == "https?://.+"
    assert "tableau JSON" in fields["thematiques"]["description"]
    assert json.loads(fields["zone_eligibilite"]["example"]) == ["75056"]
    assert schema.load("structures")["primaryKey"] == ["id"]


def test_schema_command_check_reports_no_drift(workspace):
    result = workspace.cli("schema", "--check")
    assert result.exit_code == 0, result.output
