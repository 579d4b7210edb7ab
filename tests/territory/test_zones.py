"""zone_eligibilite: zone types become codes, every code is checked against the reference."""

from __future__ import annotations

import pytest

from tests.territory.helpers import Located, address, run_locate


def service(id: str, zones: list[str] | None, code_insee: str | None = None, structure_id: str | None = None):
    return address(id, code_insee, entity="services", structure_id=structure_id, zone_eligibilite=zones)


ROWS = [
    address("structure-bologne", "52058", "52310", "BOLOGNE"),
    service("commune", ["commune"], "02738"),
    service("departement", ["departement"], "02738"),
    service("region", ["region"], "52058"),
    service("pays", ["pays"], "02738"),
    service("from-structure", ["departement"], None, "structure-bologne"),
    service("codes", ["75108", "60455", "2a", "1", "99100", "200054781", "france", "97411", "976"], "02738"),
    service("invalid", ["99999", "XX", "123", "epci", " ", None, "02738"], "02738"),
    service("all-invalid", ["commune"]),
    service("none", None, "02738"),
]


@pytest.fixture(scope="module")
def located(territory_con) -> Located:
    return run_locate(territory_con, ROWS)


def test_zone_types_become_codes(located: Located):
    assert located.zones["commune"] == ["02738"]
    assert located.zones["departement"] == ["02"]
    assert located.zones["region"] == ["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]
    assert located.zones["pays"] == ["france"]
    assert located.zones["from-structure"] == ["52"]


def test_valid_codes_are_kept_and_normalised(located: Located):
    # déléguée -> current commune, arrondissement kept, département case and lost zero fixed
    assert located.zones["codes"] == ["01", "200054781", "2A", "60694", "75108", "97411", "976", "99100", "france"]
    assert located.problems["codes"] == []


def test_invalid_codes_are_removed_with_a_reason(located: Located):
    assert located.zones["invalid"] == ["02738"]
    assert located.problems["invalid"] == [
        ("zone_eligibilite", "zone-eligibilite-code-invalide", value) for value in ("123", "99999", "XX", "epci")
    ]
    assert located.zones["all-invalid"] is None
    assert located.problems["all-invalid"] == [("zone_eligibilite", "zone-eligibilite-code-invalide", "commune")]
    assert "none" not in located.zones
