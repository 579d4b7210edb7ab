"""Code INSEE resolution on real-world address variants, offline.

Each case is (code INSEE as given, postal code, commune as given, expected
current code INSEE, expected arrondissement). Most are copied from the
producers' samples (DORA, Les emplois, Soliguide, FINESS, France Travail,
France services, médiation numérique); the rest are traps written for this
test (arrondissements, déléguées, overseas, spreadsheet damage, unknown codes).
"""

from __future__ import annotations

import pytest

from tests.territory.helpers import Located, address, run_locate

CASES = [
    # DORA (pipeline/sources/dora/sample)
    ("57463", "57000", "METZ", "57463", None),
    ("97227", "97228", "SAINTE-LUCE", "97227", None),
    ("91228", "91000", "Évry-Courcouronnes", "91228", None),
    ("57433", "57280", "MAIZIERES-LES-METZ BP 240", "57433", None),
    (None, "57280", "MAIZIERES-LES-METZ BP 240", "57433", None),
    ("13216", "13016", "MARSEILLE 16", "13055", "13216"),
    ("75115", "75015", "PARIS 15", "75056", "75115"),
    ("75119", "75019", "PARIS 19", "75056", "75119"),
    ("02738", "02700", "Tergnier", "02738", None),
    # Les emplois de l'inclusion (structures siae / orga)
    (None, "23200", "Aubusson", "23008", None),
    (None, "75012", "Paris", "75056", "75112"),
    (None, "95650", "Boissy l'Aillerie", "95078", None),
    (None, "35250", "Saint-Aubin-d'Aubigné", "35251", None),
    (None, "61500", "SEES", "61464", None),
    (None, "30200", "BAGNOLS SUR CEZE", "30028", None),
    (None, "62600", "BERCK SUR MER", "62108", None),
    (None, "67000", "STRASBOURG", "67482", None),
    (None, "37170", "CHAMBRAY LES TOURS", "37050", None),
    (None, "44470", "44470 - CARQUEFOU", "44026", None),
    (None, "97300", "Cayenne", "97302", None),
    (None, "14440", "DOUVRES LA DELIVRANDE", "14228", None),
    (None, "16700", "Salles deVillefagnan", "16361", None),
    (None, "44800", "SAINT HERBLAIN", "44162", None),
    (None, "59700", "Marcq-en-Barœul", "59378", None),
    (None, "30220", "Aigues Mortes", "30003", None),
    (None, "42000", "Saint-Étienne", "42218", None),
    (None, "13510", "Éguilles", "13032", None),
    (None, "35043", "RENNES", "35238", None),  # a CEDEX postal code
    (None, "19110", "Sarroux - Saint Julien", "19252", None),
    (None, "22400", "Lamballe-Armor", "22093", None),
    (None, "92100", "BOULOGNE BILLANCOURT", "92012", None),
    (None, "75005", "PARIS 5", "75056", "75105"),
    (None, "69003", "Lyon", "69123", "69383"),
    (None, "50100", "CHERBOURG-EN-COTENTIN", "50129", None),
    (None, "84130", "LE PONTET", "84092", None),  # another Le Pontet is in Savoie
    (None, "94190", "VILLENEUVE-SAINT-GEORGES", "94078", None),
    # Soliguide: its cityCode is the postal code
    ("13090", "13090", "Aix-en-Provence", "13001", None),
    ("97654", "97654", "REMIRE MONTJOLY", "97309", None),  # Guyane, with a Mayotte-like code
    ("97491", "97491", "SAINTE CLOTILDE CEDEX", "97411", None),
    ("28150", "28150", "Les Villages-Vovéens", "28422", None),
    ("38470", "38470", "Notre-Dame-de-l'Osier", "38278", None),
    ("31150", "31150", "Fenouillet", "31182", None),
    # FINESS (commune in the "ligne d'acheminement": "97133 ST BARTHELEMY")
    (None, "01440", "VIRIAT", "01451", None),
    (None, "97133", "ST BARTHELEMY", "97701", None),
    (None, "97150", "ST MARTIN", "97801", None),
    (None, "97224", "DUCOS", "97207", None),
    (None, "97306", "CAYENNE CEDEX", "97302", None),
    (None, "97405", "ST DENIS CEDEX", "97411", None),
    (None, "97419", "LA POSSESSION", "97408", None),
    (None, "97620", "CHIRONGUI", "97606", None),
    (None, "98600", "UVEA", "98613", None),
    (None, "97600", "KOUNGOU", "97610", None),
    (None, "97200", "FORT DE FRANCE", "97209", None),
    # France Travail agencies, France services, médiation numérique
    ("82121", "82000", "MONTAUBAN", "82121", None),
    ("33243", "33500", "LIBOURNE", "33243", None),
    ("01033", "01200", "Valserhône", "01033", None),
    ("02361", "02120", "Guise", "02361", None),
    (None, "16100", "CHÂTEAUBERNARD", "16089", None),
    # arrondissements written in the commune name, or as codes
    (None, None, "Paris 8e", "75056", "75108"),
    (None, None, "Marseille 13ème", "13055", "13213"),
    (None, None, "Lyon 3", "69123", "69383"),
    (None, None, "PARIS 1ER ARRONDISSEMENT", "75056", "75101"),
    (None, "75116", "Paris", "75056", "75116"),
    (None, "13331", "MARSEILLE CEDEX 03", "13055", None),
    ("75108", None, None, "75056", "75108"),
    ("69385", None, None, "69123", "69385"),
    ("75056", None, "Paris 8e", "75056", "75108"),
    # communes déléguées and associées -> the current commune
    ("50173", None, None, "50129", None),
    ("60455", None, None, "60694", None),
    ("02300", None, None, "02738", None),
    (None, "02700", "Quessy", "02738", None),
    (None, None, "Cherbourg-Octeville", "50129", None),
    # spreadsheet damage, spelling
    ("1001", None, None, "01001", None),
    (None, "1400", "L’Abergement-Clémenciat", "01001", None),
    ("2a004", None, None, "2A004", None),
    (None, "20000", "AJACCIO", "2A004", None),
    (None, "20200", "BASTIA", "2B033", None),
    (None, "42000", "ST ETIENNE", "42218", None),
    (None, "97400", "ST-DENIS", "97411", None),
    (None, "93200", "Saint Denis", "93066", None),
    (None, "76600", "Havre (Le)", "76351", None),
    (None, "31000", "TOULOUSE CEDEX 9", "31555", None),
    ("ABCDE", "57000", "Metz", "57463", None),
    ("13100", "13100", "Aix-en-Provence", "13001", None),  # 13100 is Saint-Rémy-de-Provence's code
    ("13100", None, "Saint-Rémy-de-Provence", "13100", None),
    # other overseas collectivities
    (None, "97500", "Saint-Pierre", "97502", None),
    (None, "98714", "Papeete", "98735", None),
    (None, "98800", "Nouméa", "98818", None),
    ("97801", None, None, "97801", None),
    ("98613", None, None, "98613", None),
    # nothing to resolve
    ("99999", None, None, None, None),
    ("75000", None, None, None, None),
    ("97654", None, None, None, None),
    (None, "99999", "Nowhere", None, None),
    (None, None, "Saint-Martin", None, None),  # a dozen communes share this name
    ("88150", "88150", "Capavenir Vosges", None, None),  # a former name (now Thaon-les-Vosges, 88465)
]


def _id(case: tuple) -> str:
    return " | ".join(str(v) for v in case[:3])


@pytest.fixture(scope="module")
def located(territory_con) -> Located:
    rows = [address(_id(case), case[0], case[1], case[2]) for case in CASES]
    return run_locate(territory_con, rows)


def test_there_are_at_least_sixty_variants():
    assert len(CASES) >= 60
    assert len({_id(c) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_code_insee(located: Located, case):
    result = located.result[_id(case)]
    assert (result["code_insee"], result["code_arrondissement"]) == (case[3], case[4])


def test_every_resolved_code_is_a_current_commune(located: Located, territory_con):
    current = {r[0] for r in territory_con.execute(
        "select code_insee from ref__communes where type = 'commune-actuelle'").fetchall()}
    codes = {r["code_insee"] for r in located.result.values()} - {None}
    assert codes <= current


def test_unknown_code_and_unknown_commune_say_why(located: Located):
    assert located.problems["99999 | None | None"] == [("code_insee", "code-insee-inconnu", "99999")]
    assert located.problems["None | 99999 | Nowhere"] == [("code_insee", "commune-introuvable", "99999 Nowhere")]
    assert located.problems["None | None | Saint-Martin"] == [("code_insee", "commune-introuvable", "Saint-Martin")]


def test_a_code_contradicted_by_the_address_is_corrected_and_reported(located: Located):
    assert located.problems["13090 | 13090 | Aix-en-Provence"] == [
        ("code_insee", "code-insee-corrige", "13090 -> 13001")]
    assert located.problems["ABCDE | 57000 | Metz"] == [("code_insee", "code-insee-corrige", "ABCDE -> 57463")]
    # a déléguée or an arrondissement folded to its commune is not a correction
    assert located.problems["50173 | None | None"] == []
    assert located.problems["75115 | 75015 | PARIS 15"] == []


def test_postal_code_and_commune_are_filled_or_normalised(located: Located):
    paris = located.result["None | None | Paris 8e"]
    assert (paris["code_postal"], paris["commune"]) == ("75008", "Paris")
    spreadsheet = located.result["None | 1400 | L’Abergement-Clémenciat"]
    assert spreadsheet["code_postal"] == "01400"
    # the producer's spelling is kept when it is the official name up to case and accents
    assert located.result["57463 | 57000 | METZ"]["commune"] == "METZ"
    assert located.result["None | 97405 | ST DENIS CEDEX"]["commune"] == "Saint-Denis"
    assert located.result["None | 97405 | ST DENIS CEDEX"]["code_postal"] == "97405"
