"""FINESS: the établissements stock file (real extract plus illustrative CMP/ESAT/MDPH lines)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer

SAMPLE = SOURCES_DIR / "finess" / "sample"
REAL = SAMPLE / "etalab-cs1100502-stock-20260512_extract-15-lines.csv"
ILLUSTRATIVE = SAMPLE / "finess-lignes-illustratives.csv"


@pytest.fixture(scope="module")
def finess(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "finess"))
    result = ws.run("--source", "finess")
    assert result.exit_code == 0, result.output
    return ws


def test_real_establishments_outside_the_three_categories_are_excluded(finess: Workspace):
    rows = finess.query("select record_id, rule from int__excluded where source = 'finess' order by record_id")
    assert len(rows) == 14 and {rule for _, rule in rows} == {"categorie-hors-perimetre"}
    # a hospital (355), a PMI (223), a CMPP (189, not a CMP), an EHPAD (500)…
    assert {"finess--010000024", "finess--970102018", "finess--970210126", "finess--970302287"} <= {r for r, _ in rows}
    assert finess.query("select entity, raw, published, excluded, balanced from int__accounting where source = 'finess' "
                        "order by entity") == [("services", 2, 2, 0, True), ("structures", 18, 4, 14, True)]


def test_real_lines_are_read_with_their_layout(finess: Workspace):
    rows = dict(finess.query("select id, code_insee_calcule from stg_finess__structures"))
    assert rows["010000024"] == "01451"  # département 01 + commune 451 (Viriat)
    assert rows["970400024"] == "97411"  # 9D (La Réunion) + 411 (Saint-Denis)
    assert rows["980501506"] == "97606"  # 9F (Mayotte) + 606
    assert rows["980600027"] == "98613"  # 9J (Wallis-et-Futuna) + 613
    name = finess.query("select raison_sociale, code_postal, commune_acheminement from stg_finess__structures "
                        "where id in ('980501506', '970300026') order by id")
    assert name == [("CENTRE HOSPITALIER DE CAYENNE", "97306", "CAYENNE"),  # "97306 CAYENNE CEDEX"
                    ('LIEU DE VIE "MAVOUNA MEMA 1"', "97620", "CHIRONGUI")]  # doubled quotes read


def test_cmp_structure_and_service(finess: Workspace):
    s = record(finess, "pub__structures", "finess--019999991")
    assert s["nom"] == "CENTRE MEDICO-PSYCHOLOGIQUE ADULTES (EXEMPLE ILLUSTRATIF)"  # rslongue before rs
    assert s["reseaux_porteurs"] == ["cmp"]
    assert s["date_maj"] == date(2025, 6, 30)
    assert (s["adresse"], s["code_postal"], s["commune"], s["code_insee"]) == (
        "12 RUE DES EXEMPLES", "01000", "Bourg-en-Bresse", "01053")
    assert s["telephone"] == "0199001201"
    # Lambert 93 coordinates are not converted: the territory stage places it at the commune's centre
    assert (s["latitude"], s["longitude"], s["adresse_certifiee"]) == (46.2027, 5.24691, False)
    assert s["description"].startswith("Centre médico-psychologique (CMP) : lieu de soins public")
    v = record(finess, "pub__services", "finess--019999991--cmp")
    assert v["structure_id"] == "finess--019999991"
    assert v["nom"] == "Consultations médico-psychologiques et sociales"
    assert (v["type"], v["frais"], v["publics"]) == ("accompagnement", "gratuit", ["tous-publics"])
    assert v["thematiques"] == ["famille--soutien-a-la-parentalite-et-a-leducation", "sante--addictions",
                                "sante--sante-mentale"]
    assert v["zone_eligibilite"] == ["01"]
    assert v["modes_mobilisation"] == ["se-presenter", "telephoner"]


def test_child_cmp_overseas_is_for_young_people(finess: Workspace):
    v = record(finess, "pub__services", "finess--9B9999990--cmp")
    assert v["publics"] == ["jeunes"]  # "CMP ENFANTS ET ADOLESCENTS"
    assert (v["code_insee"], v["zone_eligibilite"]) == ("97209", ["972"])  # 9B + 209 = Fort-de-France
    assert v["adresse"] == "4B AVENUE DES EXEMPLES"


def test_esat_and_mdph_are_structures_only(finess: Workspace):
    esat = record(finess, "pub__structures", "finess--569999993")
    assert esat["reseaux_porteurs"] == ["esat"]
    assert (esat["adresse"], esat["complement_adresse"]) == ("8 ZONE ARTISANALE DU PARC EXEMPLE", "BATIMENT B")
    mdph = record(finess, "pub__structures", "finess--2A9999994")
    assert mdph["reseaux_porteurs"] == ["mdph"]
    # No street: the distribution complement is the address; CEDEX dropped from the commune.
    assert (mdph["adresse"], mdph["complement_adresse"], mdph["code_insee"], mdph["commune"]) == (
        "IMMEUBLE EXEMPLE", "BP 100", "2A004", "Ajaccio")
    assert finess.query("select id from pub__services where source = 'finess' order by id") == [
        ("finess--019999991--cmp",), ("finess--9B9999990--cmp",)]


def test_geolocalisation_lines_are_attached_to_their_establishment(finess: Workspace):
    assert finess.query("select coord_x, coord_y, source_coordonnees from stg_finess__structures where id = '019999991'") == [
        (870000.0, 6570000.0, "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93")]


def test_input_of_the_real_extract_alone_publishes_nothing_but_balances(workspace: Workspace):
    result = workspace.run("--source", "finess", "--input", str(REAL))
    assert result.exit_code == 0, result.output
    assert workspace.query("select raw, published, excluded from int__accounting "
                           "where source = 'finess' and entity = 'structures'") == [(14, 0, 14)]


@pytest.mark.parametrize("content,message", [
    ("nofinesset;nofinessej;rs\n010000024;010780054;CH\n",
     "line 1: expected the first line finess;etalab;<version>;<date>"),
    ("finess;etalab;112;2026-06-01\nstructureet;010000024;010780054;CH;EXTRA;;\n",
     "line 2: a structureet line has 6 fields, expected 30"),
    ("finess;etalab;112;2026-06-01\nequipementsocial;010000024;1\n", "line 2: unknown section 'equipementsocial'"),
])
def test_changed_layout_is_a_clear_error(workspace: Workspace, tmp_path: Path, content: str, message: str):
    bad = tmp_path / "etalab-cs1100507-stock-20260601.csv"
    bad.write_text(content, encoding="utf-8")
    result = workspace.run("--source", "finess", "--input", str(bad))
    assert result.exit_code == 1
    assert f"finess: file etalab-cs1100507-stock-20260601.csv, {message}" in result.output
    assert not workspace.dist.exists(), "nothing published"


def test_shifted_columns_are_detected(workspace: Workspace, tmp_path: Path):
    line = REAL.read_text(encoding="utf-8").split("\n")[1].split(";")
    shifted = ";".join(line[:4] + line[5:] + [""])  # one column dropped, one added at the end
    bad = tmp_path / "stock.csv"
    bad.write_text("finess;etalab;111;2026-05-12\n" + shifted + "\n", encoding="utf-8")
    result = workspace.run("--source", "finess", "--input", str(bad))
    assert result.exit_code == 1
    assert "finess: file stock.csv, line 2: the structureet line does not follow the expected layout" in result.output


# Live fetch against a replay server on 127.0.0.1.

RESOURCE = "/api/1/datasets/r/98f3161f-79ff-4f16-8f6a-6d571a80fea2"
FILE = "/files/etalab-cs1100507-stock-20260512.csv"


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env["DATAINCLUSION_FINESS_URL"] = f"{replay_server.url}{RESOURCE}"
    replay_server.add("GET", RESOURCE, Reply(302, "", {"Location": f"{replay_server.url}{FILE}"}))
    return workspace


def _archives(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob("raw/*/finess/*/manifest.json"))


def _stock() -> bytes:
    return REAL.read_bytes() + ILLUSTRATIVE.read_bytes().split(b"\n", 1)[1]


def test_live_download_follows_the_data_gouv_redirect(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", FILE, Reply(200, _stock(), {"Content-Type": "text/csv"}))
    result = live.run("--live", "--source", "finess")
    assert result.exit_code == 0, result.output
    assert [r.path for r in replay_server.received] == [RESOURCE, FILE]
    manifest = json.loads(_archives(live)[0].read_text())
    assert [(f["name"], f["url"]) for f in manifest["files"]] == [
        ("etalab-cs1100507-stock-20260512.csv", f"{replay_server.url}{FILE}")]
    assert manifest["record_count"] == 18
    assert live.query("select count(*) from pub__structures") == [(4,)]


@pytest.mark.parametrize("body,message", [
    (b"", "finess: file etalab-cs1100507-stock-20260512.csv is empty"),
    (b"nofinesset;rs\n010000024;CH\n", "line 1: expected the first line finess;etalab;<version>;<date>"),
])
def test_empty_or_changed_file_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer, body, message):
    replay_server.add("GET", FILE, Reply(200, _stock(), {"Content-Type": "text/csv"}))
    assert live.run("--live", "--source", "finess").exit_code == 0
    before = {p: p.read_bytes() for p in _archives(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("GET", RESOURCE, Reply(302, "", {"Location": f"{replay_server.url}{FILE}"}))
    replay_server.add("GET", FILE, Reply(200, body, {"Content-Type": "text/csv"}))
    result = live.run("--live", "--source", "finess")
    assert result.exit_code == 0, result.output
    assert message in result.output
    assert "using its last good archive" in result.output and "(stale)" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "earlier archive untouched"
    assert live.query("select count(*) from pub__structures") == [(4,)]
    statuses = sorted(json.loads(p.read_text())["status"] for p in _archives(live))
    assert statuses == ["failed", "ok"]  # the bad payload is archived too, marked failed
