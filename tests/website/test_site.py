"""The static site and JSON API of a release: links, schemas, content, incremental builds."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
from markupsafe import escape
import pytest

from pipeline import sources as source_registry
from pipeline import warehouse
from pipeline.publish.extensions import published_columns
from pipeline.website import api, names
from pipeline.website.build import BuildInputs, build_site
from pipeline.website.config import SiteConfig
from pipeline.website.dictionary import referentiels
from tests.conftest import REFERENCE_DATE, Workspace
from tests.website import sitecheck

EVIL_STRUCTURE = 'dora--Piège..<b>&"1"'
EVIL_SERVICE = 'dora--Service<svg onload="window.__xss=8">'


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_internal_link_resolves(site_run: Workspace) -> None:
    assert sitecheck.broken_links(site_run.dist) == []


def test_every_api_file_follows_its_schema(site_run: Workspace) -> None:
    checked, problems = sitecheck.invalid_api_files(site_run.dist / "site")
    assert problems == []
    structures = site_run.query("select count(*) from pub__structures")[0][0]
    services = site_run.query("select count(*) from pub__services")[0][0]
    assert checked > structures + services


def test_index_lists_every_api_file_with_its_sha256(site_run: Workspace) -> None:
    root = site_run.dist / "site" / "api" / "v1"
    index = json.loads(text(root / "index.json"))
    listed = {f["path"]: f for f in index["files"]}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"index.json"}
    assert set(listed) == on_disk
    for rel, entry in listed.items():
        data = (root / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data), rel
    assert index["reference_date"] == REFERENCE_DATE


def test_record_files_hold_the_published_records(site_run: Workspace) -> None:
    site = site_run.dist / "site"
    published = {r["id"]: r for r in json.loads(text(site_run.dist / "structures.json"))}
    services = json.loads(text(site_run.dist / "services.json"))
    for record_id, record in published.items():
        document = json.loads(text(site / api.structure_path(record_id)))
        assert {k: v for k, v in document.items() if k != "services"} == record
        assert [s["id"] for s in document["services"]] == sorted(s["id"] for s in services if s["structure_id"] == record_id)
        assert all((site / s["api"]).is_file() for s in document["services"])
    for record in services:
        assert json.loads(text(site / api.service_path(record["id"]))) == record
    assert list(published[EVIL_STRUCTURE]) == published_columns("structures")


def test_hostile_ids_get_safe_file_names(site_run: Workspace) -> None:
    site = site_run.dist / "site"
    page = site / "structures" / f"{names.encode(EVIL_STRUCTURE)}.html"
    assert page.is_file() and page.resolve().parent == (site / "structures").resolve()
    assert (site / api.service_path(EVIL_SERVICE)).is_file()
    assert names.decode(page.stem) == EVIL_STRUCTURE


def test_hostile_text_is_escaped_in_every_page(site_run: Workspace) -> None:
    site = site_run.dist / "site"
    pages = [p for p in site.rglob("*.html")]
    hits = [p for p in pages if "Piège" in text(p)]
    assert len(hits) >= 3  # structure, commune, changes
    for path in hits:
        html = text(path)
        assert "<script>window" not in html and "<img src=x" not in html and "<svg onload" not in html, path
        assert 'onmouseover="' not in html and "javascript:window" not in html.replace("javascript:</a>", ""), path
    structure = text(site / "structures" / f"{names.encode(EVIL_STRUCTURE)}.html")
    assert "Piège &lt;img src=x onerror=&#34;window.__xss=1&#34;&gt; &lt;script&gt;" in structure


def test_home_lists_every_source_downloads_and_changes(site_run: Workspace) -> None:
    home = text(site_run.dist / "site" / "index.html")
    for source in source_registry.discover():
        assert f'href="sources/{source.name}.html">{escape(source.title)}</a>' in home
    package = json.loads(text(site_run.dist / "datapackage.json"))
    for resource in package["resources"]:
        assert f'href="../{resource["path"]}"' in home
        if "hash" in resource:  # the DuckDB file has none (its bytes vary from build to build)
            assert resource["hash"].removeprefix("sha256:") in home
    assert "Publication du <strong>2026-11-28</strong>" in home
    assert "structures 23 ajout(s)" in home


def test_source_page_shows_its_accounting_and_errors(site_run: Workspace) -> None:
    page = text(site_run.dist / "site" / "sources" / "dora.html")
    for entity, raw, published, quarantined, excluded in site_run.query(
        "select entity, raw, published, quarantined, excluded from int__accounting where source = 'dora'"
    ):
        assert f"<th scope=\"row\">{entity}</th><td>{raw}</td><td>{published}</td><td>{quarantined}</td><td>{excluded}</td>" in page
    assert "<code>foreign-key</code>" in page
    assert "Licence" in page and "etalab-2.0" in page


def test_dictionary_documents_every_published_field_and_referentiel(site_run: Workspace) -> None:
    site = site_run.dist / "site"
    for table in ("structures", "services"):
        page = text(site / "dictionnaire" / f"{table}.html")
        for column in published_columns(table):
            assert f'id="{column}"' in page
    services = text(site / "dictionnaire" / "services.html")
    assert "Taux de remplissage par source" in services and "<th scope=\"col\">dora</th>" in services
    assert 'href="../dictionnaire/referentiels/thematiques.html"' in services
    for name, rows in referentiels().items():
        page = text(site / "dictionnaire" / "referentiels" / f"{name}.html")
        assert all(f"<code>{r['value']}</code>" in page for r in rows)
        assert json.loads(text(site / "api" / "v1" / "referentiels" / f"{name}.json"))["values"][0]["value"] == rows[0]["value"]


def test_territory_shards_paginate_and_list_the_departement(site_run: Workspace) -> None:
    site = site_run.dist / "site"
    expected = {r[0] for r in site_run.query(
        "select s.id from pub__structures as s join ref__communes as c using (code_insee) "
        "where c.code_departement = '57' and c.type = 'commune-actuelle'")}
    page = json.loads(text(site / "api" / "v1" / "departements" / "57" / "structures.json"))
    assert {i["id"] for i in page["items"]} == expected
    assert (page["total"], page["page"], page["pages"], page["next"]) == (len(expected), 1, 1, None)
    assert (site / "territoires" / "57" / "index.html").is_file()
    assert (site / "territoires" / "57" / "57463.html").is_file()


def test_pagination_envelope_chains_pages() -> None:
    items = [json.dumps({"n": n}) for n in range(5)]
    pages = [json.loads(body) for _, body in api.paginate("api/v1/x", "s", items, "", size=2)]
    assert [p["page"] for p in pages] == [1, 2, 3] and all(p["total"] == 5 and p["pages"] == 3 for p in pages)
    assert [p["next"] for p in pages] == ["api/v1/x/s-2.json", "api/v1/x/s-3.json", None]
    assert [i["n"] for p in pages for i in p["items"]] == [0, 1, 2, 3, 4]
    assert [json.loads(b)["items"] for _, b in api.paginate("api/v1/x", "s", [], "", size=2)] == [[]]


def _build(con: duckdb.DuckDBPyConnection, release: Path, previous: Path | None) -> dict:
    return build_site(BuildInputs(con=con, release=release, reference_date=date.fromisoformat(REFERENCE_DATE),
                                  sources=source_registry.discover(), previous=previous,
                                  site_config=SiteConfig(tiles_url=""), workers=1))


def _tree(release: Path, search: bool = True) -> dict[str, bytes]:
    """Every file of a release's site; without the Pagefind bundle when `search` is False."""
    files = {p.relative_to(release).as_posix(): p.read_bytes() for p in (release / "site").rglob("*") if p.is_file()}
    return {k: v for k, v in files.items() if search or not k.startswith("site/pagefind/")}


@pytest.fixture
def warehouse_copy(site_run: Workspace, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    shutil.copy(site_run.warehouse, tmp_path / "warehouse.duckdb")
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


def test_builds_are_deterministic_and_incremental(warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con = warehouse_copy
    first = _build(con, tmp_path / "a", None)
    assert first["files_linked"] == 0 and first["structures_rendered"] == 23
    again = _build(con, tmp_path / "b", None)
    # Same bytes, except Pagefind's bundle, whose file names vary from one indexing to the next.
    assert _tree(tmp_path / "a", search=False) == _tree(tmp_path / "b", search=False)
    assert again["files_written"] == first["files_written"]

    unchanged = _build(con, tmp_path / "c", tmp_path / "a")
    assert unchanged["structures_rendered"] == 0 and not unchanged["search_indexed"]
    assert unchanged["files_written"] == 0 and unchanged["files_linked"] == first["files_written"]
    assert _tree(tmp_path / "c") == _tree(tmp_path / "a")

    target = "dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c"
    page = f"site/structures/{target}.html"
    con.execute("update pub__structures set nom = 'CMSEA Espace Insertion renommé' where id = ?", [target])
    # its page, and the pages of its duplicates (they name it)
    partners = con.execute("select count(*) from pub__structures where cluster_id = "
                           "(select cluster_id from pub__structures where id = ?) and id <> ?", [target, target]).fetchall()[0][0]
    changed = _build(con, tmp_path / "d", tmp_path / "c")
    assert changed["structures_rendered"] == 1 + partners and changed["search_indexed"]
    assert "CMSEA Espace Insertion renommé" in text(tmp_path / "d" / page)
    assert "renommé" not in text(tmp_path / "c" / page)  # the previous release is never written through
    other = "site/structures/dora--00295137-0913-42c1-a1e8-2866ca24d1fa.html"
    assert (tmp_path / "d" / other).stat().st_ino == (tmp_path / "c" / other).stat().st_ino
    departement = "site/api/v1/departements/57/structures.json"
    assert "renommé" in text(tmp_path / "d" / departement)


def test_a_file_the_previous_release_lost_is_rendered_again(warehouse_copy: duckdb.DuckDBPyConnection,
                                                             tmp_path: Path) -> None:
    """Unchanged structures are linked in a thread beside the rendering; one whose previous files are not
    all there any more is rendered instead."""
    first = _build(warehouse_copy, tmp_path / "a", None)
    page = "site/structures/dora--00295137-0913-42c1-a1e8-2866ca24d1fa.html"
    kept = text(tmp_path / "a" / page)
    (tmp_path / "a" / page).unlink()
    again = _build(warehouse_copy, tmp_path / "b", tmp_path / "a")
    assert again["structures_rendered"] == 1
    assert text(tmp_path / "b" / page) == kept
    assert again["files_written"] + again["files_linked"] == first["files_written"]
    assert not (tmp_path / "a" / page).exists()


def test_links_only_ever_point_to_http(warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con = warehouse_copy
    con.execute("update pub__structures set site_web = 'javascript:window.__xss=1', lien_source = ' JavaScript:alert(1)', "
                "accessibilite_lieu = 'data:text/html,<script>alert(1)</script>'")
    con.execute("update pub__services set lien_mobilisation = 'vbscript:msgbox(1)', lien_source = 'https://ok.example.org/a'")
    _build(con, tmp_path / "r", None)
    pages = list((tmp_path / "r" / "site" / "structures").rglob("*.html"))
    assert pages
    for path in pages:
        html = text(path).lower()
        assert 'href="javascript:' not in html and 'href=" javascript:' not in html
        assert 'href="data:' not in html and 'href="vbscript:' not in html
        assert 'href="https://ok.example.org/a"' in html or "services (" not in html


class Outline(HTMLParser):
    """Headings, landmarks and form labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tags: set[str] = set()
        self.lang: str | None = None
        self.controls: list[str] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = a.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a.get("id") or "")
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"])


def test_pages_have_landmarks_one_title_ordered_headings_and_labels(site_run: Workspace) -> None:
    for path in sorted((site_run.dist / "site").rglob("*.html")):
        outline = Outline()
        outline.feed(text(path))
        where = path.relative_to(site_run.dist).as_posix()
        assert outline.lang == "fr", where
        assert {"header", "nav", "main", "footer"} <= outline.tags, where
        assert outline.headings.count(1) == 1 and outline.headings[0] == 1, where
        assert all(b - a <= 1 for a, b in zip(outline.headings, outline.headings[1:])), (where, outline.headings)
        assert all(c and c in outline.labels for c in outline.controls), (where, outline.controls)


def test_optional_columns_and_reports_show_when_present(warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """score_qualite, cluster_id, SIRET statuses and reports come from other stages: shown once they exist."""
    con = warehouse_copy
    con.execute("alter table pub__structures add column if not exists score_qualite double")
    con.execute("update pub__structures set score_qualite = (hash(id) % 100) / 100.0")
    con.execute("alter table pub__structures add column if not exists cluster_id varchar")
    con.execute("update pub__structures set cluster_id = null")
    con.execute("drop table if exists int__sirets")
    first, second = "dora--00295137-0913-42c1-a1e8-2866ca24d1fa", "dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c"
    con.execute("update pub__structures set cluster_id = 'c1' where id in (?, ?)", [first, second])
    con.execute("create table int__sirets as select ? as structure_id, 'dora' as source, 'valide' as statut", [first])
    release = tmp_path / "r"
    (release / "reports").mkdir(parents=True)
    (release / "reports" / "sources.json").write_text("{}", encoding="utf-8")
    build_site(BuildInputs(con=con, release=release, reference_date=date.fromisoformat(REFERENCE_DATE),
                           sources=source_registry.discover(), site_config=SiteConfig(tiles_url=""), workers=1))
    source = text(release / "site" / "sources" / "dora.html")
    charts = sum(1 for t in ("structures", "services") if con.execute(
        f"select count(*) from (describe pub__{t}) where column_name = 'score_qualite'").fetchall()[0][0])
    assert source.count('<svg class="site-chart"') == charts and source.count("<rect ") == 10 * charts
    total = con.execute("select count(*) from pub__structures where source = 'dora'").fetchall()[0][0]
    assert sum(int(n) for n in re.findall(r"<td>(\d+)</td>", source.split("Enregistrements</th>")[1].split("</tr>")[0])) == total
    assert 'href="../../reports/sources.json"' in source
    assert 'href="../reports/sources.json"' in text(release / "site" / "index.html")
    page = text(release / "site" / "structures" / f"{first}.html")
    assert f'href="../structures/{second}.html">CMSEA Espace Insertion</a>' in page
    assert "vérifié dans SIRENE" in page
