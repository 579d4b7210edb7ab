"""The live geocoder client against a geocoder replay on 127.0.0.1: batches, acceptance, failures, cache."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta

import duckdb
import pytest

from pipeline.http import RetryPolicy
from pipeline.territory import geocoder as geo
from tests.conftest import Workspace, shared_folder
from tests.geocoder_replay import Answer, GeocoderReplay
from tests.territory.helpers import address, connect, run_locate

QUICK = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.1, timeout=(1.0, 2.0))

ROWS = [
    address("paix", None, "75002", "Paris", "12 r de la Paix"),
    address("low-score", None, "44300", "NANTES", "5 RUE DE LA GARDE BP 13528"),
    address("municipality-for-a-street", None, "19300", "Rosiers-d'Égletons", "Zone artisanale du Bois Duval"),
    address("town-hall", None, "87150", "Cussac", "Mairie"),
    address("empty-address", None, "61500", "SEES", None),
    address("score-0.75", None, "35250", "Saint-Aubin-d'Aubigné", "1 place du Marché"),
    address("unresolved-offline", "88150", "88150", "Capavenir Vosges", "2 rue de Lorraine", 48.25, 6.42),
]
DOWN = address("down", None, "57000", "Metz", "1 rue en panne")

ANSWERS = {
    "12 rue de la paix": Answer(0.93, "housenumber", "75102", "75002", "Paris", "12 Rue de la Paix", 48.869, 2.331),
    "5 rue de la garde": Answer(0.70, "housenumber", "44109", "44300", "Nantes", "5 Rue de la Garde", 47.25, -1.50),
    "zone artisanale du bois duval": Answer(0.80, "municipality", "19179", "19300", "Rosiers-d'Égletons",
                                            "Rosiers-d'Égletons", 45.38, 2.01),
    "mairie": Answer(0.90, "municipality", "87054", "87150", "Cussac", "Cussac", 45.7055, 0.8518),
    "": Answer(0.85, "municipality", "61464", "61500", "Sées", "Sées", 48.6072, 0.1726),
    "1 place du marché": Answer(0.75, "street", "35251", "35250", "Saint-Aubin-d'Aubigné", "Place du Marché",
                                48.262, -1.607),
    "2 rue de lorraine": Answer(0.91, "housenumber", "88465", "88150", "Thaon-les-Vosges", "2 Rue de Lorraine",
                                48.2536, 6.4257),
}


CERTIFIED = {"paix", "town-hall", "empty-address", "unresolved-offline"}


def _key(con: duckdb.DuckDBPyConnection, id: str, located) -> str:
    rid = list(located.result).index(id)
    return con.execute("select key from int__territory_requests where _rid = ?", [rid]).fetchall()[0][0]


@pytest.fixture
def geocoder_server() -> Iterator[GeocoderReplay]:
    server = GeocoderReplay(dict(ANSWERS), fail_addresses={"1 rue en panne"}).start()
    yield server
    server.stop()


def client(server: GeocoderReplay, retry_after: timedelta = timedelta(days=7)) -> geo.GeocoderClient:
    settings = geo.GeocoderSettings(url=server.url, batch_size=2, retry_after=retry_after)
    return geo.GeocoderClient(settings, policy=QUICK)


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse file with the reference loaded, shared by the module."""
    con = connect(shared_folder(request, "geocoder") / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture
def con(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The shared warehouse with an empty geocoder cache."""
    warehouse.execute("drop table if exists int__geocodage_cache")
    return warehouse


def test_batches_speak_the_geocoder_csv_protocol(con, geocoder_server: GeocoderReplay):
    located = run_locate(con, ROWS, client(geocoder_server))
    requests = geocoder_server.received
    assert [len(r.rows) for r in requests] == [2, 2, 2, 1]
    assert all(r.fields == {"columns": ["adresse", "code_postal", "commune"], "citycode": ["citycode"]}
               for r in requests)
    sent = {row["adresse"]: row for row in geocoder_server.sent_rows()}
    # cleaned address, arrondissement as the city filter, no filter for an unresolved commune
    assert {k: sent["12 rue de la Paix"][k] for k in ("code_postal", "commune", "citycode")} == {
        "code_postal": "75002", "commune": "Paris", "citycode": "75102"}
    assert "5 RUE DE LA GARDE" in sent
    assert sent["2 rue de Lorraine"]["citycode"] == ""
    assert located.counts["geocoder"] == {"requested": 7, "batches": 4, "failed_batches": 0, "answered": 7}


def test_acceptance_rules(con, geocoder_server: GeocoderReplay):
    located = run_locate(con, ROWS, client(geocoder_server))
    certified = {id for id, r in located.result.items() if r["adresse_certifiee"]}
    assert certified == CERTIFIED
    paix = located.result["paix"]
    assert (paix["code_insee"], paix["code_arrondissement"], paix["adresse"], paix["code_postal"]) == (
        "75056", "75102", "12 Rue de la Paix", "75002")
    assert (paix["latitude"], paix["longitude"], paix["geocodage_score"], paix["geocodage_precision"]) == (
        48.869, 2.331, 0.93, "adresse")
    # a municipality result keeps the address as given
    assert located.result["town-hall"]["adresse"] == "Mairie"
    assert located.result["town-hall"]["geocodage_precision"] == "commune"
    # rejected: score 0.70, a municipality for a street, a score of exactly 0.75
    low = located.result["low-score"]
    assert (low["latitude"], low["longitude"], low["geocodage_score"]) != (47.25, -1.50, 0.70)
    assert low["adresse"] == "5 RUE DE LA GARDE BP 13528" and low["geocodage_score"] is None
    # the geocoder resolved what the reference could not: no quarantine reason left
    unresolved = located.result["unresolved-offline"]
    assert (unresolved["code_insee"], unresolved["latitude"]) == ("88465", 48.2536)
    assert located.problems["unresolved-offline"] == [("code_insee", "code-insee-corrige", "88150 -> 88465")]


def test_a_failed_batch_is_cached_as_failed_and_the_run_goes_on(con, geocoder_server: GeocoderReplay):
    warnings: list[str] = []
    located = run_locate(con, ROWS + [DOWN], client(geocoder_server), warnings=warnings)
    assert len(geocoder_server.received) == 4 + 2, "4 batches, the failing one tried 3 times"
    assert located.counts["geocoder"]["failed_batches"] == 1
    assert len(warnings) == 1 and geocoder_server.url in warnings[0] and "503" in warnings[0]
    statuses = dict(con.execute("select adresse, status from int__geocodage_cache").fetchall())
    assert statuses["1 rue en panne"] == "failed"
    failed = [a for a, status in statuses.items() if status == "failed"]
    assert len(failed) == 2  # the address sharing its batch too
    for id, row in located.result.items():
        sent = next(r["adresse"] for r in geocoder_server.sent_rows() if r["key"] == _key(con, id, located))
        assert row["adresse_certifiee"] is (id in CERTIFIED and sent not in failed)
    assert located.result["down"]["code_insee"] == "57463"


def test_second_run_sends_nothing_for_cached_addresses(con, geocoder_server: GeocoderReplay):
    first = run_locate(con, ROWS, client(geocoder_server))
    before = len(geocoder_server.received)
    second = run_locate(con, ROWS, client(geocoder_server))
    assert len(geocoder_server.received) == before, "no request for cached rows"
    assert second.counts["geocoder"]["requested"] == 0
    assert second.result == first.result
    # a changed address is the only one sent
    changed = [address("paix", None, "75002", "Paris", "14 r de la Paix")] + ROWS[1:]
    run_locate(con, changed, client(geocoder_server))
    assert [r.rows for r in geocoder_server.received[before:]] == [
        [{"key": r["key"], "adresse": "14 rue de la Paix", "code_postal": "75002", "commune": "Paris",
          "citycode": "75102"} for r in geocoder_server.received[-1].rows]]


def test_failed_and_low_score_answers_are_retried_after_the_delay(con, geocoder_server: GeocoderReplay):
    run_locate(con, ROWS, client(geocoder_server))
    before = len(geocoder_server.received)
    run_locate(con, ROWS, client(geocoder_server, retry_after=timedelta(0)))
    resent = {row["adresse"] for r in geocoder_server.received[before:] for row in r.rows}
    assert resent == {"5 RUE DE LA GARDE", "Zone artisanale du Bois Duval", "1 place du Marché"}


def test_offline_runs_ignore_the_cache_and_replays_use_it(con, geocoder_server: GeocoderReplay):
    run_locate(con, ROWS, client(geocoder_server))
    before = len(geocoder_server.received)
    offline = run_locate(con, ROWS)
    assert not any(r["adresse_certifiee"] for r in offline.result.values())
    replayed = run_locate(con, ROWS, use_cache=True)
    assert replayed.result["paix"]["adresse_certifiee"] is True
    assert len(geocoder_server.received) == before


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATAINCLUSION_GEOCODER_URL", "http://127.0.0.1:9/search/csv/")
    monkeypatch.setenv("DATAINCLUSION_GEOCODER_BATCH_SIZE", "50000")
    monkeypatch.setenv("DATAINCLUSION_GEOCODER_RETRY_DAYS", "1.5")
    settings = geo.GeocoderSettings.from_env()
    assert settings.url == "http://127.0.0.1:9/search/csv/"
    assert settings.batch_size == 20_000, "never more than the geocoder accepts"
    assert settings.retry_after == timedelta(days=1.5)
    monkeypatch.delenv("DATAINCLUSION_GEOCODER_URL")
    assert geo.GeocoderSettings.from_env().url == "https://data.geopf.fr/geocodage/search/csv/"


def test_geocode_command_live(workspace: Workspace, geocoder_server: GeocoderReplay):
    source = workspace.root / "in.csv"
    source.write_text("nom,adresse,code_postal,commune\nA,12 r de la Paix,75002,Paris\nB,,,Paris 8e\n",
                      encoding="utf-8")
    target = workspace.root / "out.csv"
    workspace.extra_env.update({"DATAINCLUSION_GEOCODER_URL": geocoder_server.url})
    result = workspace.cli("geocode", str(source), str(target), "--live")
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["nom"], r["code_insee"], r["adresse_certifiee"], r["score"]) for r in rows] == [
        ("A", "75056", "true", "0.93"), ("B", "75056", "false", "")]
    assert workspace.query("select adresse, status from int__geocodage_cache order by 1") == [
        ("12 rue de la Paix", "ok"), (None, "not-found")]
