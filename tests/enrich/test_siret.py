"""Sirétisation: SIRET checks on each status, closure exclusion, candidate ranking on hand-written cases."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipeline import warehouse
from pipeline.enrich import siret
from pipeline.enrich.siret import sirene
from pipeline.sources import transform
from pipeline.sql.identifiers import phone_e164, siret_problem
from tests.conftest import Workspace, shared_folder

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("value", "problem"), [
    ("77561868900290", None),
    ("775 618 689 00290".replace(" ", ""), None),
    ("35600000000048", None),  # La Poste: digit sum divisible by 5, Luhn not required
    ("35600000012345", "cle"),
    ("77561868900291", "cle"),
    ("7756186890029", "format"),
    ("7756186890029A", "format"),
    ("00000000000000", "absent"),
    (None, None),
])
def test_siret_problem(value: str | None, problem: str | None) -> None:
    assert siret_problem(value) == problem


@pytest.mark.parametrize(("value", "postcode", "expected"), [
    ("04 50 56 87 49", "01200", "+33450568749"),
    ("+33630392518", "16140", "+33630392518"),
    ("0262 21 12 34", "97400", "+262262211234"),
    ("0596 61 11 11", "97200", "+596596611111"),
    ("39-49", None, "3949"),
    ("12", None, None),
    ("n/a", None, None),
])
def test_phone_e164(value: str, postcode: str | None, expected: str | None) -> None:
    assert phone_e164(value, postcode) == expected


@pytest.fixture(scope="module")
def dora_all(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "dora-all"))
    result = ws.run("--source", "dora", "--input", str(FIXTURES / "dora_all"))
    assert result.exit_code == 0, result.output
    return ws


def test_every_status(dora_all: Workspace) -> None:
    rows = dora_all.query(
        "select siret_producteur, statut, probleme, siret_publie, date_fermeture::varchar from int__sirets "
        "where siret_producteur in ('77561868900290', '44028794400027', '39968485100070', '45133854500010', "
        "'42999420500020', '42144421700028', '77561887900404', '78331234100077', '33132050700015') order by 1"
    )
    assert rows == [
        ("33132050700015", "invalide", "cle", None, None),
        ("39968485100070", "ferme", None, None, "2023-12-31"),
        ("42144421700028", "ferme", None, None, "2023-09-01"),  # its only successor is closed too
        ("42999420500020", "successeur", None, "99114683800016", "2022-05-01"),  # two links down the chain
        ("44028794400027", "ferme", None, None, "2024-03-31"),
        ("45133854500010", "successeur", None, "99108225600017", "2024-01-15"),
        ("77561868900290", "valide", None, "77561868900290", None),
        ("77561887900404", "ferme", None, None, "2023-06-01"),  # successors loop back: no open one
        ("78331234100077", "successeur", None, "99737060600011", "2024-04-01"),  # economic continuity wins
    ]


def test_published_siret_follows_status(dora_all: Workspace) -> None:
    published = dict(dora_all.query("select id, siret from pub__structures"))
    ids = dict(dora_all.query("select siret_producteur, structure_id from int__sirets"))
    assert published[ids["45133854500010"]] == "99108225600017"
    # The wrong key is not published; the candidate search then finds the right SIRET by name and address.
    assert published[ids["33132050700015"]] == "33132050700014"
    assert dora_all.query("select statut from int__sirets where structure_id = ? order by statut",
                          [ids["33132050700015"]]) == [("attribue",), ("invalide",)]
    assert published[ids["77561868900290"]] == "77561868900290"
    assert ids["44028794400027"] not in published


def test_closed_structures_are_excluded_and_accounted(dora_all: Workspace) -> None:
    excluded = dora_all.query("select record_id from int__excluded where rule = 'siret-ferme' order by 1")
    closed = dora_all.query("select structure_id from int__sirets where statut = 'ferme' order by 1")
    assert excluded == closed and len(closed) == 4
    assert dora_all.query("select count(*) from int__structures where id in (select record_id from int__excluded)") == [(0,)]
    assert dora_all.query("select bool_and(balanced) from int__accounting") == [(True,)]
    with (dora_all.dist / "reports" / "sirets.csv").open(encoding="utf-8") as handle:
        report = {row["siret_producteur"]: row for row in csv.DictReader(handle)}
    assert report["45133854500010"]["statut"] == "successeur"
    assert report["45133854500010"]["siret_publie"] == "99108225600017"


def _sirene_copy(folder: Path, close: set[str] = frozenset(), drop: set[str] = frozenset()) -> dict[str, str]:
    """The bundled test extract rewritten with some établissements closed or missing; env vars pointing at it."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {}
    for spec in sirene.FILES:
        source = sirene.BUNDLED_DIR / spec.bundled
        target = folder / spec.bundled
        with source.open(encoding="utf-8", newline="") as src, target.open("w", encoding="utf-8", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, reader.fieldnames, lineterminator="\n")
            writer.writeheader()
            for row in reader:
                if row.get("siret") in drop:
                    continue
                if row.get("siret") in close:
                    row["etatAdministratifEtablissement"] = "F"
                writer.writerow(row)
        env[spec.env] = str(target)
    return env


def test_closed_structure_takes_its_services_out(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", _sirene_copy(tmp_path / "sirene", close={"79500184100019"}, drop={"77561868900290"}))
    assert ws.run("--source", "dora").exit_code == 0
    adf = "dora--e576b84c-b0af-42a1-af5b-26101ba0f914"
    services = ws.query("select count(*) from int__excluded where rule = 'structure-siret-ferme'")[0][0]
    assert services >= 1
    assert ws.query("select count(*) from pub__services where structure_id = ?", [adf]) == [(0,)]
    assert ws.query("select rule from int__excluded where record_id = ?", [adf]) == [("siret-ferme",)]
    assert ws.query("select statut, siret_publie from int__sirets where siret_producteur = '77561868900290'") == [
        ("inconnu", "77561868900290")]
    assert ws.query("select bool_and(balanced), sum(published) from int__accounting") == [(True, 21 + 14 - services)]


def test_unreadable_sirene_file_warns_and_goes_on(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, {"DATAINCLUSION_SIRENE_ETABLISSEMENTS": str(tmp_path / "missing.parquet")})
    result = ws.run("--source", "dora")
    assert result.exit_code == 0
    assert "DATAINCLUSION_SIRENE_ETABLISSEMENTS" in result.output
    assert ws.query("select count(*) from pub__structures") == [(22,)]


# Candidate ranking on hand-written cases ------------------------------------------------------------

ETAB = ["siren", "siret", "etatAdministratifEtablissement", "dateDebut", "enseigne1Etablissement",
        "enseigne2Etablissement", "enseigne3Etablissement", "denominationUsuelleEtablissement",
        "numeroVoieEtablissement", "indiceRepetitionEtablissement", "typeVoieEtablissement",
        "libelleVoieEtablissement", "codePostalEtablissement", "codeCommuneEtablissement", "libelleCommuneEtablissement"]
# (siret, state, enseigne, number, street type, street, postcode, commune, unité légale name); test data.
SIRENE_ROWS = [
    ("99000000100011", "A", "FRANCE SERVICES VALSERHONE", "5", "RUE", "DES PAPETIERS", "01200", "01033", "CC PAYS BELLEGARDIEN"),
    ("99000000200019", "A", "MAIRIE", "1", "PL", "DE LA MAIRIE", "01200", "01033", "COMMUNE DE VALSERHONE"),
    ("99000000300017", "A", "FRANCE SERVICES", "12", "AV", "DE LA GARE", "01200", "01033", "CC PAYS BELLEGARDIEN"),
    ("99000000400015", "F", "FRANCE SERVICES VALSERHONE", "5", "RUE", "DES PAPETIERS", "01200", "01033", "ANCIEN"),
    ("99000000500012", "A", "MISSION LOCALE DU PAYS MESSIN", "3", "RUE", "D ANJOU", "57070", "57463", "ML PAYS MESSIN"),
    ("99000000600010", "A", "MISSION LOCALE", "3", "RUE", "D ANJOU", "57070", "57463", "ML SUD"),
    ("99000000700018", "A", "CCAS", "51", "RUE", "DE LA FEDERATION", "75015", "75115", "CENTRE COMMUNAL ACTION SOCIALE"),
    ("99000000800016", "A", "EPICERIE SOLIDAIRE", "118", "RUE", "GEORGES COUBARD", "91800", "91097", "SILOE"),
    ("99000000900014", "A", "EPICERIE SOLIDAIRE", "118", "RUE", "GEORGES COUBARD", "91800", "91097", "SILOE BIS"),
]
# (id, nom, adresse, code_postal, code_insee)
STRUCTURES = [
    ("t--valserhone", "France services de Valserhône", "5-9 Rue des Papetiers", "01200", "01033"),
    ("t--messin", "Mision Locale du Pays Mesin", "3 bis rue d'Anjou", "57070", None),
    ("t--ccas-paris", "Centre communal d'action sociale", "51 r. de la Fédération", "75015", "75056"),
    ("t--siloe", "Epicerie solidaire", "118 Rue Georges Coubard", "91800", "91097"),
    ("t--nowhere", "Association sans adresse", None, None, None),
]


@pytest.fixture
def ranked(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    files = {}
    for key, columns, rows in (
        ("etablissements", ETAB, [(r[0][:9], r[0], r[1], "2020-01-01", r[2], "", "", "", r[3], "", r[4], r[5], r[6],
                                   r[7], "") for r in SIRENE_ROWS]),
        ("unites_legales", ["siren", "denominationUniteLegale", "sigleUniteLegale", "denominationUsuelle1UniteLegale"],
         [(r[0][:9], r[8], "", "") for r in SIRENE_ROWS]),
        ("successions", ["siretEtablissementPredecesseur", "siretEtablissementSuccesseur", "dateLienSuccession",
                         "transfertSiege", "continuiteEconomique"], []),
    ):
        path = tmp_path / f"{key}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
        files[key] = path
    con = warehouse.connect(str(tmp_path / "w.duckdb"))
    transform.create_templates(con)
    con.execute("create table int__structures as select * from pub_template__structures")
    for sid, nom, adresse, code_postal, code_insee in STRUCTURES:
        con.execute("insert into int__structures (source, id, nom, adresse, code_postal, code_insee) values ('t', ?, ?, ?, ?, ?)",
                    [sid, nom, adresse, code_postal, code_insee])
    siret.check(con, files)
    siret.propose(con)
    return con


def test_candidates_ranked_by_name_and_address(ranked: duckdb.DuckDBPyConnection) -> None:
    rows = ranked.execute("select rang, siret, decision from int__siret_candidates "
                          "where structure_id = 't--valserhone' order by rang").fetchall()
    # The closed établissement at the same address is never a candidate.
    assert rows == [(1, "99000000100011", "attribue"), (2, "99000000300017", "a-verifier"),
                    (3, "99000000200019", "a-verifier")]
    assert ranked.execute("select siret from int__structures where id = 't--valserhone'").fetchall() == [("99000000100011",)]


def test_typos_and_postcode_fallback(ranked: duckdb.DuckDBPyConnection) -> None:
    rows = ranked.execute("select rang, siret, decision from int__siret_candidates "
                          "where structure_id = 't--messin' order by rang").fetchall()
    assert rows[0] == (1, "99000000500012", "attribue")
    assert rows[1][1] == "99000000600010"


def test_arrondissement_and_abbreviations(ranked: duckdb.DuckDBPyConnection) -> None:
    assert ranked.execute("select siret, decision from int__siret_candidates "
                          "where structure_id = 't--ccas-paris' and rang = 1").fetchall() == [("99000000700018", "attribue")]


def test_ambiguous_candidates_are_left_for_review(ranked: duckdb.DuckDBPyConnection) -> None:
    rows = ranked.execute("select siret, decision, score from int__siret_candidates "
                          "where structure_id = 't--siloe' order by rang").fetchall()
    assert [r[1] for r in rows] == ["a-verifier", "a-verifier"]
    assert rows[0][2] == rows[1][2]
    assert ranked.execute("select siret from int__structures where id = 't--siloe'").fetchall() == [(None,)]
    assert ranked.execute("select count(*) from int__siret_candidates where structure_id = 't--nowhere'").fetchall() == [(0,)]
    assert ranked.execute("select statut, siret_publie from int__sirets where structure_id = 't--valserhone'").fetchall() == [
        ("attribue", "99000000100011")]
