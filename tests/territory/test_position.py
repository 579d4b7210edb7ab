"""Positions offline: the producer's point when it is in the commune's département, else the centre."""

from __future__ import annotations

import pytest

from tests.territory.helpers import Located, address, run_locate

ROWS = [
    address("reunion-ok", None, "97400", "Saint-Denis", latitude=-20.8823, longitude=55.4504),
    address("reunion-placeholder", "97491", "97491", "SAINTE CLOTILDE CEDEX", latitude=46.227638, longitude=2.213749),
    address("paris-swapped", "75108", "75008", "Paris", latitude=2.3160, longitude=48.8720),
    address("zero", None, "17400", "BIGNAY", latitude=0.0, longitude=0.0),
    address("madrid", "57463", "57000", "Metz", latitude=40.4168, longitude=-3.7038),
    address("half", "57463", "57000", "Metz", latitude=49.11),
    address("saint-pierre-ok", None, "97500", "Saint-Pierre", latitude=46.7811, longitude=-56.1764),
    address("saint-pierre-none", None, "97500", "Saint-Pierre"),
    address("noumea-ok", None, "98800", "Nouméa", latitude=-22.2758, longitude=166.4580),
    address("papeete-swapped", None, "98714", "Papeete", latitude=-149.5585, longitude=-17.5350),
    address("no-commune-in-france", adresse="12 rue de la Paix", latitude=48.8690, longitude=2.3310),
    address("no-commune-swapped", adresse="12 rue de la Paix", latitude=2.3310, longitude=48.8690),
    address("paris-8e-no-point", None, None, "Paris 8e"),
    address("new-commune-no-centroid", "15031"),
    address("metz-in-meuse", "57463", "57000", "Metz", latitude=49.16, longitude=5.38),
    address("nothing"),
]


@pytest.fixture(scope="module")
def located(territory_con) -> Located:
    return run_locate(territory_con, ROWS)


def point(located: Located, id: str) -> tuple:
    r = located.result[id]
    return r["latitude"], r["longitude"], r["geocodage_precision"]


def codes(located: Located, id: str) -> list[str]:
    return [code for field, code, _ in located.problems[id] if field == "latitude"]


def test_a_good_point_is_kept(located: Located):
    assert point(located, "reunion-ok") == (-20.8823, 55.4504, "source")
    assert point(located, "saint-pierre-ok") == (46.7811, -56.1764, "source")
    assert point(located, "noumea-ok") == (-22.2758, 166.458, "source")
    assert codes(located, "reunion-ok") == []


def test_swapped_latitude_and_longitude_are_put_back(located: Located):
    assert point(located, "paris-swapped") == (48.872, 2.316, "source")
    assert codes(located, "paris-swapped") == ["coordonnees-inversees"]
    assert point(located, "papeete-swapped") == (-17.535, -149.5585, "source")
    assert point(located, "no-commune-swapped") == (48.869, 2.331, "source")


def test_a_point_elsewhere_is_replaced_by_the_commune_centre(located: Located, territory_con):
    centre = territory_con.execute(
        "select latitude, longitude from ref__commune_centres where code = '97411'").fetchall()[0]
    assert point(located, "reunion-placeholder") == (*centre, "commune")
    assert codes(located, "reunion-placeholder") == ["coordonnees-hors-departement"]
    assert codes(located, "metz-in-meuse") == ["coordonnees-hors-departement"]
    assert codes(located, "zero") == ["coordonnees-hors-france"]
    assert codes(located, "madrid") == ["coordonnees-hors-france"]
    assert located.problems["madrid"] == [("latitude", "coordonnees-hors-france", "40.4168, -3.7038")]
    assert codes(located, "half") == ["coordonnees-invalides"]
    assert point(located, "half")[2] == "commune"


def test_without_a_point_the_commune_or_arrondissement_centre_is_used(located: Located, territory_con):
    centre = territory_con.execute(
        "select latitude, longitude from ref__commune_centres where code = '75108'").fetchall()[0]
    assert point(located, "paris-8e-no-point") == (*centre, "arrondissement")
    lat, lon, precision = point(located, "new-commune-no-centroid")
    assert 44.8 < lat < 45.5 and 2.5 < lon < 3.4 and precision == "commune"  # Cantal, from its neighbours
    assert point(located, "saint-pierre-none") == (None, None, None)  # no centroid in the reference
    assert point(located, "no-commune-in-france") == (48.869, 2.331, "source")
    assert point(located, "nothing") == (None, None, None)


def test_offline_nothing_is_certified(located: Located):
    assert {r["adresse_certifiee"] for r in located.result.values()} == {False}
    assert {r["geocodage_score"] for r in located.result.values()} == {None}
    assert located.counts["certified"] == 0
