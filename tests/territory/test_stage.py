"""The territory stage inside a full run: sample, quarantine, published column, live geocoder."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from pipeline.quality.errors import CODES
from tests.conftest import Workspace
from tests.geocoder_replay import Answer, GeocoderReplay
from tests.replay import ReplayServer
from tests.sources.test_dora_fetch import script_pages

SAMPLE = SOURCES_DIR / "dora" / "sample"
ADDRESS_FIELDS = ("adresse", "code_postal", "commune", "code_insee")


def _published_tables(ws: Workspace) -> list[str]:
    """Every published table with an address (whatever sources and tables the release holds)."""
    rows = ws.query("select table_name from information_schema.columns where column_name = 'code_insee' "
                    "and table_name like 'pub\\_\\_%' escape '\\' order by 1")
    return [r[0] for r in rows]


def test_every_published_address_has_a_current_code_insee(sample_run: Workspace):
    """On the full sample, whatever the sources: a code of the reference, or a quarantine reason."""
    has_address = " or ".join(f"nullif(trim({f}), '') is not null" for f in ADDRESS_FIELDS)
    tables = _published_tables(sample_run)
    assert {"pub__services", "pub__structures"} <= set(tables)
    for table in tables:
        rows = sample_run.query(
            f"select count(*), count(*) filter (where code_insee in "
            f"(select code_insee from ref__communes where type = 'commune-actuelle')) "
            f"from {table} where {has_address}")
        assert rows[0][0] > 0 and rows[0][0] == rows[0][1], table
        entity = table.removeprefix("pub__")
        missing = sample_run.query(
            f"select id from int__{entity} where ({has_address}) and (code_insee is null or code_insee not in "
            f"(select code_insee from ref__communes where type = 'commune-actuelle')) and id not in "
            f"(select record_id from int__quarantine where entity = '{entity}' and field = 'code_insee')")
        assert missing == [], f"{entity}: no code INSEE and no quarantine reason"


def test_sample_positions_and_certification(sample_run: Workspace):
    rows = sample_run.query("select code_insee, code_arrondissement, adresse_certifiee, geocodage_precision "
                            "from pub__structures where id = 'dora--cb4c7cad-de05-446f-a18a-87ae80fc24ea'")
    assert rows == [("75056", "75115", False, "source")]
    assert sample_run.query("select count(*) from pub__structures where code_insee is not null and latitude is null") \
        == [(0,)]
    with (sample_run.dist / "structures.csv").open(encoding="utf-8", newline="") as handle:
        cells = {row["adresse_certifiee"] for row in csv.DictReader(handle)}
    assert cells == {"false"}
    schema = json.loads((sample_run.dist / "schema" / "services.schema.json").read_text(encoding="utf-8"))
    assert schema["fields"][-1]["name"] == "adresse_certifiee" and schema["fields"][-1]["type"] == "boolean"


def _damaged_sample(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(SAMPLE / "services.json", folder / "services.json")
    structures = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
    structures[0].update(cityCode="99999", postalCode="", city="")  # a code that does not exist
    structures[1].update(cityCode="", postalCode="99999", city="Nowhere")  # an address in no commune
    structures[2]["latitude"], structures[2]["longitude"] = structures[2]["longitude"], structures[2]["latitude"]
    structures[3].update(cityCode="91097", postalCode="91800", city="BOUSSY ST ANTOINE", latitude=0, longitude=0)
    (folder / "structures.json").write_text(json.dumps(structures, ensure_ascii=False), encoding="utf-8")
    return folder


def test_unknown_codes_are_quarantined_and_fixes_are_reported(workspace: Workspace):
    result = workspace.run("--source", "dora", "--input", str(_damaged_sample(workspace.root / "damaged")))
    assert result.exit_code == 0, result.output
    quarantined = workspace.query("select record_id, field, code, value from int__quarantine "
                                  "where entity = 'structures' order by record_id")
    assert quarantined == [
        ("dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c", "code_insee", "code-insee-inconnu", "99999"),
        ("dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e", "code_insee", "commune-introuvable",
         "37 RUE DE LA SCIERIE 99999 Nowhere"),
    ]
    warnings = workspace.query("select record_id, code from int__errors where code like 'coordonnees-%' order by 1")
    assert warnings == [("dora--2ccb9e77-4157-4413-9bb0-4618c7c6d5ce", "coordonnees-inversees"),
                        ("dora--3392638e-88e1-49dc-bb73-22aeb063ffb2", "coordonnees-hors-france")]
    assert {code for (code,) in workspace.query("select distinct code from int__errors")} <= set(CODES)
    swapped = workspace.query("select latitude, longitude from pub__structures "
                              "where id = 'dora--2ccb9e77-4157-4413-9bb0-4618c7c6d5ce'")
    assert swapped == [(14.495276, -60.976959)]


@pytest.fixture
def geocoder_server() -> Iterator[GeocoderReplay]:
    server = GeocoderReplay({"47 rue dupont des loges": Answer(
        0.96, "housenumber", "57463", "57000", "Metz", "47 Rue Dupont des Loges", 49.11420, 6.17390)}).start()
    yield server
    server.stop()


def test_live_run_certifies_geocoded_addresses(workspace: Workspace, replay_server: ReplayServer,
                                                geocoder_server: GeocoderReplay):
    structures = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
    services = json.loads((SAMPLE / "services.json").read_text(encoding="utf-8"))
    script_pages(replay_server, "structures", structures, 1)
    script_pages(replay_server, "services", services, 1)
    workspace.extra_env.update({
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}/api/v2/",
        "DORA_API_TOKEN": "token",
        "DATAINCLUSION_GEOCODER_URL": geocoder_server.url,
    })
    result = workspace.run("--live", "--source", "dora")
    assert result.exit_code == 0, result.output
    assert len(geocoder_server.received) == 1, "the sample's addresses fit in one batch"
    certified = workspace.query("select id, latitude, geocodage_score from pub__structures where adresse_certifiee")
    assert certified == [("dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c", 49.1142, 0.96)]
    with (workspace.dist / "structures.csv").open(encoding="utf-8", newline="") as handle:
        cells = {row["id"]: row["adresse_certifiee"] for row in csv.DictReader(handle)}
    assert cells["dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c"] == "true"
    (run_id, counts), = workspace.query("select run_id, counts from runs")
    territory = json.loads(counts)["counts"]["territory"]
    assert territory["geocoder"]["failed_batches"] == 0 and territory["certified"] == 1
    # a replay rebuilds the release from the archive and the geocoder cache, without asking again
    result = workspace.run("--replay", run_id, "--source", "dora")
    assert result.exit_code == 0, result.output
    assert len(geocoder_server.received) == 1
    assert workspace.query("select id from pub__structures where adresse_certifiee") == [certified[0][:1]]
