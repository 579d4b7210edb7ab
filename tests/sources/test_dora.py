"""DORA: real records of the bundled sample (API v1) and the current API v2 shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Workspace, record, shared_folder

FIXTURES = Path(__file__).parent / "fixtures"
EA_HAUTE_MARNE = "dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e"


def test_structure_fields_of_a_real_record(sample_run: Workspace):
    s = record(sample_run, "pub__structures", EA_HAUTE_MARNE)
    assert s["source"] == "dora"
    assert s["nom"] == "ENTREPRISE ADAPTEE DE HAUTE MARNE APAJH"
    assert s["date_maj"] == date(2022, 10, 12)
    assert s["siret"] == "78457968200674"
    assert (s["adresse"], s["code_postal"], s["commune"], s["code_insee"]) == (
        "37 RUE DE LA SCIERIE", "52310", "BOLOGNE", "52058")
    assert (s["latitude"], s["longitude"]) == (48.194563, 5.130302)
    assert s["courriel"] == "s.magnier@apajh.asso.fr"
    assert s["telephone"] == "0325016214"
    assert s["lien_source"] == "https://dora.fabrique.social.gouv.fr/structures/federation-apajh-fed"
    assert s["reseaux_porteurs"] == ["ea"]  # typology EA
    assert s["description"].startswith("L'Entreprise Adaptée emploie majoritairement")
    assert s["complement_adresse"] is None  # "" in the source


def test_typologies_map_to_reseaux_porteurs(sample_run: Workspace):
    ai = record(sample_run, "pub__structures", "dora--425fe9b0-d3c5-477e-8fe9-1acdeedc3043")
    assert ai["reseaux_porteurs"] == ["ai"]
    asso = record(sample_run, "pub__structures", "dora--3392638e-88e1-49dc-bb73-22aeb063ffb2")
    assert asso["reseaux_porteurs"] is None  # ASSO is deliberately unmapped


def test_service_region_zone_kinds_and_modes(sample_run: Workspace):
    s = record(sample_run, "pub__services", "dora--27a6b5dc-f98b-4dd3-84e7-dbaefc739e0e")
    assert s["structure_id"] == EA_HAUTE_MARNE
    assert s["nom"] == "Entreprise Adaptée de Haute-Marne"
    assert s["type"] == "accompagnement"
    assert s["thematiques"] == ["trouver-un-emploi--maintien-dans-lemploi"]  # handicap--retour-maintien-emploi
    assert s["frais"] == "gratuit"
    # Région 44 (Grand Est) becomes its départements.
    assert s["zone_eligibilite"] == ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]
    assert s["modes_accueil"] == ["en-presentiel"]
    assert s["modes_mobilisation"] == ["envoyer-un-courriel", "se-presenter", "telephoner"]
    assert s["mobilisable_par"] == ["professionnels", "usagers"]
    # pre-requisites, then credentials, then access conditions, in the producer's order
    assert s["conditions_acces"].split("\n") == [
        "Aucun",
        "Justifier d'une démarche d'insertion et de recherche d'emploi",
        "Attestation Reconnaissance Qualité Travailleur Handicapé",
        "Etre adressé.e par un prescripteur partenaire",
        "Demande adressée par un travailleur social",
        "Reconnaissance de la Commission des Droits et de l’Autonomie pour les Personnes Handicapées (CDAPH)",
    ]


def test_service_fees_publics_and_conditions(sample_run: Workspace):
    s = record(sample_run, "pub__services", "dora--4f3d4a54-f799-445e-90b3-648f71ba6e77")
    assert s["type"] == "aide-materielle"  # kinds aide-materielle + accompagnement: aide-materielle wins
    assert s["thematiques"] == ["mobilite--acceder-a-un-vehicule", "mobilite--mobilite-douce-partagee-collective"]
    assert s["frais"] == "payant"  # hasFee true
    assert s["frais_precisions"].startswith("Frais de location : \n1,50 € par jour pour un scooter")
    assert s["publics"] == ["actifs", "beneficiaires-des-minimas-sociaux", "demandeurs-emploi", "etudiants"]
    assert s["publics_precisions"].startswith("Salarié intérimaire, Demandeur d’emploi bénéficiaire")
    assert s["conditions_acces"].split("\n") == [
        "Aucun", "Permis B", "Permis BSR / AM", "Suivi par un partenaire prescripteur",
        "Sous conditions de ressources", "Etre adressé.e par un prescripteur partenaire",
    ]
    assert s["mobilisation_precisions"] == "Sur prescription d'un partenaire"
    assert s["zone_eligibilite"] == ["87"]


def test_online_form_becomes_lien_mobilisation(sample_run: Workspace):
    s = record(sample_run, "pub__services", "dora--d454b7a2-3abf-4195-a4e5-9755882923b7")
    assert s["lien_mobilisation"] == "https://lafabriquedefi-calaisis.org"
    assert "utiliser-lien-mobilisation" in s["modes_mobilisation"]
    assert s["publics"] == ["jeunes"]
    assert s["zone_eligibilite"] == ["62193"]


def test_suspended_services_are_excluded_with_their_rule(sample_run: Workspace):
    rows = sample_run.query("select record_id, rule from int__excluded where source = 'dora' order by record_id")
    assert rows == [
        ("dora--1cf3e336-e929-4cd2-ba89-cfc3348f8412", "service-suspendu"),  # suspended 2025-12-31
        ("dora--608c8d89-c605-409f-8498-8cae63a6cfd6", "service-suspendu"),
    ]


def test_orphan_service_is_quarantined_with_the_foreign_key_reason(sample_run: Workspace):
    rows = sample_run.query(
        "select record_id, field, code, value from int__quarantine where source = 'dora' and entity = 'services'")
    assert rows == [("dora--6277b573-8fc0-4f68-a42f-7ac2a0059f78", "structure_id", "foreign-key",
                     "dora--237ed6b8-e9d8-45e9-84d5-bfc5a0f2d64a")]


def test_accounting_balances(sample_run: Workspace):
    rows = sample_run.query(
        "select entity, raw, published, quarantined, excluded, balanced from int__accounting where source = 'dora'")
    assert sorted(rows) == [("services", 17, 14, 1, 2, True), ("structures", 22, 22, 0, 0, True)]


@pytest.fixture(scope="module")
def v2_run(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "dora-v2"))
    result = ws.run("--source", "dora", "--input", str(FIXTURES / "dora_v2"))
    assert result.exit_code == 0, result.output
    return ws


def test_api_v2_shape_is_mapped(v2_run: Workspace):
    s = record(v2_run, "pub__structures", "dora--3f6c2a9e-1b7d-4f0e-9c55-2d8e4a1b7c90")
    assert s["nom"] == "CCAS de Rennes"
    assert s["date_maj"] == date(2026, 5, 12)  # from a timestamp
    assert s["horaires_accueil"] == "Mo-Fr 09:00-12:30,13:30-17:00"
    assert s["accessibilite_lieu"].startswith("https://acceslibre.beta.gouv.fr/")
    assert s["reseaux_porteurs"] == ["ccas-cias", "france-service"]  # typologie CCAS + label france-service
    v = record(v2_run, "pub__services", "dora--b81d7e02-5a3c-4c1a-8f0e-66a9d3c2e4f1")
    assert v["structure_id"] == "dora--3f6c2a9e-1b7d-4f0e-9c55-2d8e4a1b7c90"
    assert v["type"] == "accompagnement"
    assert v["thematiques"] == ["difficultes-financieres--ameliorer-sa-gestion-budgetaire"]
    assert v["publics"] == ["tous-publics"]  # tous-publics stands alone
    assert v["frais"] == "gratuit"
    assert v["zone_eligibilite"] == ["35238"]
    assert v["lien_mobilisation"] == "https://rdv.ville-rennes.fr/ccas"
    assert v["modes_mobilisation"] == ["envoyer-un-courriel", "se-presenter", "telephoner", "utiliser-lien-mobilisation"]
    assert v["conditions_acces"] == "Résider à Rennes\nJustificatif de domicile\nPièce d'identité"
    assert record(v2_run, "int__services", v["id"])["contact_nom_prenom"] == "Claire Martin"
    assert v["contact_nom_prenom"] is None  # mapped, but never published (RGPD)


def test_html_description_becomes_plain_text(v2_run: Workspace):
    v = record(v2_run, "pub__services", "dora--b81d7e02-5a3c-4c1a-8f0e-66a9d3c2e4f1")
    assert v["description"] == (
        "Aide à la gestion du budget familial.\n\n"
        "Un conseiller vous reçoit pour faire le point sur votre budget :\n\n- vos dettes\n- vos droits"
    )
