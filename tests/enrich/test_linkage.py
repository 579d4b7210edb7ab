"""Correspondence: known duplicates linked, known non-duplicates (same building) kept apart, clusters, CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from bench import enrich_data
from pipeline import warehouse
from pipeline.cli import main
from pipeline.enrich import duplicates, linkage
from pipeline.enrich.match import load
from pipeline.sources import discover, transform
from tests.conftest import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "match"
KNOWN_DUPLICATES = {
    ("france-services--1968", "mediation-numerique--dora-e0e79c9a-bfdd-4739-932b-d7b675925918"),
    ("france-services--576", "mediation-numerique--mediation-numerique-conseiller-numerique-62ab2fd38255a806e299cacf"),
    ("france-services--592", "mediation-numerique--mediation-numerique-conseiller-numerique-62b9a2fcdd51e705b180a9e8"),
    ("france-services--635", "mediation-numerique--mediation-numerique-conseiller-numerique-641c378e456999069aa33e84"),
    ("france-services--825", "mediation-numerique--mediation-numerique-conseiller-numerique-62b069a08255a806e299e5c1"),
}
SAME_BUILDING = {
    ("mediation-numerique--mediation-numerique-cr93-267",
     "mediation-numerique--mediation-numerique-conseiller-numerique-62fb552ea97f6105b212f7ac"),
    ("mediation-numerique--mediation-numerique-conseiller-numerique-63c180c4b76ddc06f2a66c82-mediation-numerique",
     "mediation-numerique--mediation-numerique-aidants-connect-1549-mediation-numerique"),
}


def _match(tmp_path: Path, *extra: str) -> tuple[list[dict[str, str]], bytes]:
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(main, ["match", str(FIXTURES / "left.csv"), str(FIXTURES / "right.csv"), str(out), *extra])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle)), out.read_bytes()


def test_match_links_known_duplicates_only(tmp_path: Path) -> None:
    rows, first = _match(tmp_path)
    assert {(r["left_id"], r["right_id"]) for r in rows} == KNOWN_DUPLICATES
    assert not SAME_BUILDING & {(r["left_id"], r["right_id"]) for r in rows}
    assert list(rows[0]) == ["left_id", "right_id", "match_probability", "agreeing_fields"]
    assert all(float(r["match_probability"]) >= linkage.THRESHOLD for r in rows)
    digne = next(r for r in rows if r["left_id"] == "france-services--592")
    assert {"nom", "lieu"} <= set(json.loads(digne["agreeing_fields"]))
    _, second = _match(tmp_path)
    assert first == second  # deterministic


def test_match_threshold_option(tmp_path: Path) -> None:
    rows, _ = _match(tmp_path, "--threshold", "0.99999")
    assert {(r["left_id"], r["right_id"]) for r in rows} < KNOWN_DUPLICATES


def test_match_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("identifiant,nom\n1,x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["match", str(bad), str(FIXTURES / "right.csv"), str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "bad.csv" in result.output and "id" in result.output


def test_clusters_take_the_smallest_member_id() -> None:
    assert duplicates.clusters([("b", "c"), ("d", "e"), ("c", "a")]) == {
        "a": "a", "b": "a", "c": "a", "d": "d", "e": "d"}
    assert duplicates.clusters([("c", "a"), ("d", "e"), ("b", "c")]) == duplicates.clusters(
        [("b", "c"), ("d", "e"), ("c", "a")])


def test_duplicates_within_and_across_sources(tmp_path: Path) -> None:
    con = warehouse.connect(str(tmp_path / "w.duckdb"))
    transform.create_templates(con)
    load(con, FIXTURES / "left.csv", "l")
    load(con, FIXTURES / "right.csv", "r")
    con.execute("create table int__structures as select * from l union all select * from r order by id")
    count = duplicates.link(con)
    duplicates.overlaps(con)
    assert count == 6
    foyer = con.execute("select id, cluster_id from int__structures where nom = 'FOYER LAIQUE EDUCATION PERMANENTE' "
                        "order by id").fetchall()
    assert foyer[0][1] == foyer[1][1] == foyer[0][0]
    for left, right in KNOWN_DUPLICATES:
        ids = con.execute("select cluster_id from int__structures where id in (?, ?)", [left, right]).fetchall()
        assert ids[0] == ids[1] == (min(left, right),)
    for left, right in SAME_BUILDING:
        ids = con.execute("select cluster_id from int__structures where id in (?, ?)", [left, right]).fetchall()
        assert ids[0] != ids[1] or ids[0] == (None,)
    overlaps = con.execute("select source, other_source, structures, with_duplicate from int__overlaps "
                           "where source = 'france-services'").fetchall()
    assert overlaps == [("france-services", "france-services", 5, 0), ("france-services", "mediation-numerique", 5, 5)]


def test_training_without_labels_learns_what_matters(tmp_path: Path) -> None:
    bench = enrich_data.benchmark(seed=3)
    keep = {r["id"] for r in bench.records if r["code_postal"][:2] in ("04", "05", "16")}
    con = warehouse.connect(str(tmp_path / "t.duckdb"))
    transform.create_templates(con)
    con.execute("create table t as select * from pub_template__structures where false")
    for r in bench.records:
        if r["id"] in keep:
            con.execute("insert into t (source, id, nom, adresse, code_postal, code_insee, latitude, longitude, siret, "
                        "telephone, courriel, site_web) values (?, ?, ?, ?, ?, ?, try_cast(? as double), "
                        "try_cast(? as double), ?, ?, ?, ?)",
                        [r["source"], r["id"], r["nom"], r["adresse"] or None, r["code_postal"], r["code_insee"] or None,
                         r["latitude"] or None, r["longitude"] or None, r["siret"] or None, r["telephone"] or None,
                         r["courriel"] or None, r["site_web"] or None])
    linkage.records(con, "t", "t_records")
    model = linkage.train(con, "t_records")
    levels = {c["output_column_name"]: c["comparison_levels"] for c in model.splink["comparisons"]}

    def weight(comparison: str, label: str) -> float:
        level = next(l for l in levels[comparison] if l["label_for_charts"] == label)
        return level["m_probability"] / level["u_probability"]

    assert weight("nom", "identical") > 100 and weight("nom", "All other comparisons") < 0.5
    assert weight("lieu", "same address") > 100
    assert 0 < model.matches_per_record < 5


def test_sample_run_publishes_cluster_id_and_doublons(sample_run: Workspace) -> None:
    header = (sample_run.dist / "structures.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",cluster_id,adresse_certifiee")
    assert (sample_run.dist / "doublons.csv").read_text(encoding="utf-8").splitlines()[0] == (
        "left_id,right_id,left_source,right_source,cluster_id,match_probability,agreeing_fields")
    assert (sample_run.dist / "doublons.parquet").exists()
    sources = len(discover())
    assert sample_run.query("select count(*) from int__overlaps") == [(sources * sources,)]
    package = json.loads((sample_run.dist / "datapackage.json").read_text(encoding="utf-8"))
    structures = next(r for r in package["resources"] if r["name"].startswith("structures"))
    fields = json.loads((sample_run.dist / structures["schema"]).read_text(encoding="utf-8"))["fields"]
    assert [f["name"] for f in fields[-2:]] == ["cluster_id", "adresse_certifiee"]
    doublons = [(r["name"], r["path"], r["schema"], r["rows"]) for r in package["resources"]
                if r["name"].startswith("doublons")]
    pairs = len((sample_run.dist / "doublons.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert doublons == [("doublons", "doublons.csv", "schema/doublons.schema.json", pairs),
                        ("doublons-parquet", "doublons.parquet", "schema/doublons.schema.json", pairs)]
    report = json.loads((sample_run.dist / "reports" / "validation.json").read_text(encoding="utf-8"))
    checked = {t["name"]: (t["valid"], t["stats"]["rows"]) for t in report["tasks"] if t["name"].startswith("doublons")}
    assert checked == {"doublons": (True, pairs), "doublons-parquet": (True, pairs)}
