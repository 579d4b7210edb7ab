"""The territory macros that clean what producers write, before any lookup."""

from __future__ import annotations

import pytest


def value(con, sql: str, *params):
    return con.execute(f"select {sql}", list(params)).fetchall()[0][0]


@pytest.mark.parametrize("raw,cleaned", [
    ("12 r de la Paix", "12 rue de la Paix"),
    ("12 bis r. Victor Hugo", "12 bis rue Victor Hugo"),
    ("32 BD DENIS PAPIN", "32 boulevard DENIS PAPIN"),
    ("1 av. Foch", "1 avenue Foch"),
    ("4 PL DU CALVAIRE", "4 place DU CALVAIRE"),
    ("3 imp des Lilas", "3 impasse des Lilas"),
    ("243 CHE DE L'EVASION", "243 chemin DE L'EVASION"),
    ("405 RTE DE BRIENNON", "405 route DE BRIENNON"),
    ("38 CRS BLAISE PASCAL", "38 cours BLAISE PASCAL"),
    ("2 ALL EDOUARD BRANLY", "2 allée EDOUARD BRANLY"),
    ("5 RUE DE LA GARDE BP 13528", "5 RUE DE LA GARDE"),
    ("5 RUE LEON BERTHAULT, CS 24361", "5 RUE LEON BERTHAULT"),
    ("68 rue Lacroix B.P. 40064 CEDEX 9", "68 rue Lacroix"),
    ("Rue des Jumeaux", "Rue des Jumeaux"),
])
def test_addresses_are_cleaned_for_the_geocoder(territory_con, raw, cleaned):
    assert value(territory_con, "geocoder_address(?)", raw) == cleaned


@pytest.mark.parametrize("a,b", [
    ("ST-DENIS", "Saint Denis"), ("SAINTE LUCE", "Ste-Luce"), ("Marcq-en-Barœul", "MARCQ EN BAROEUL"),
    ("L'Île-Saint-Denis", "L ILE ST DENIS"), ("Havre (Le)", "Le Havre"), ("44470 - CARQUEFOU", "Carquefou"),
    ("TOULOUSE CEDEX 9", "Toulouse"), ("MAIZIERES-LES-METZ BP 240", "Maizières-lès-Metz"),
])
def test_spellings_of_one_commune_share_a_key(territory_con, a, b):
    assert value(territory_con, "commune_key(?) = commune_key(?)", a, b)


def test_codes_are_normalised(territory_con):
    assert [value(territory_con, "clean_code_insee(?)", c) for c in ("1001", " 2a004 ", "75056", "ABCDE", "123456")] \
        == ["01001", "2A004", "75056", None, None]
    assert [value(territory_con, "clean_postal_code(?, ?)", cp, commune) for cp, commune in (
        ("1400", None), ("75 008", None), (None, "44470 - CARQUEFOU"), ("75008 PARIS", None), ("abc", None))] \
        == ["01400", "75008", "44470", "75008", None]
