"""The site in a real headless Chromium: home, search, structure page, département filters, hostile text.

A `http.server` on 127.0.0.1 serves the release (and blank map tiles); every
page is checked for console errors and for `window.__xss`, which the hostile
records set if any of their text ever runs. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import duckdb

import pytest

from pipeline import sources as source_registry
from pipeline.website import search, templates
from pipeline.paths import PROJECT_ROOT
from pipeline.website import names
from tests.conftest import Workspace, shared_folder
from tests.website.test_search import SHARDS, _build
from tests.website.test_site import EVIL_STRUCTURE, warehouse_copy  # noqa: F401  (fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)"),
]


def _png(size: int = 256) -> bytes:
    """A blank grey map tile."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xe5" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Handler(http.server.SimpleHTTPRequestHandler):
    """The release folder, plus `/tiles/…` answered with a blank tile."""

    tile = _png()

    def do_GET(self) -> None:
        if self.path.startswith("/tiles/"):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(self.tile)))
            self.end_headers()
            self.wfile.write(self.tile)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a test may rewrite a file between two loads
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(release: Path) -> Iterator[str]:
    """A release served on 127.0.0.1; yields its site's address."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(release)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/site/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def server(site_run: Workspace) -> Iterator[str]:
    with serving(site_run.dist) as address:
        yield address


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={shared_folder(request, 'chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def wait(driver: object, script: str, timeout: float = 15) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(f"return Boolean({script})"))


def check(driver: object, name: str) -> None:
    """No console error, no hostile script ever ran; a screenshot for the record."""
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert driver.execute_script("return window.__xss === undefined") is True
    assert driver.execute_script(
        "return document.querySelectorAll('img[src=\"x\"], svg[onload], [onerror], [onmouseover]').length") == 0


def test_home_lists_every_source(browser: object, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "index.html")
    table = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=sources] table")
    listed = {a.text for a in table.find_elements(By.CSS_SELECTOR, "tbody th a")}
    assert listed == {s.title for s in source_registry.discover()}
    check(browser, "accueil")


def test_search_finds_a_structure_and_its_page_shows_its_services(browser: object, server: str, site_run: Workspace) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "recherche/index.html")
    browser.find_element(By.ID, "q").send_keys("ADF 02")
    wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
    wait(browser, "[...document.querySelectorAll('[data-results] h2 a')].some(a => a.textContent === 'ADF 02 ADF')")
    check(browser, "recherche")
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, "[data-results] h2 a") if a.text == "ADF 02 ADF")
    link.click()
    wait(browser, "document.querySelector('h1') && document.querySelector('h1').textContent === 'ADF 02 ADF'")
    shown = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".site-service h3")]
    expected = [r[0] for r in site_run.query(
        "select v.nom from pub__services as v join pub__structures as s on s.id = v.structure_id "
        "where s.nom = 'ADF 02 ADF' order by v.id")]
    assert shown == expected and len(expected) > 1
    wait(browser, "document.querySelector('.leaflet-marker-icon')")
    check(browser, "structure")


def _filter_case(ws: Workspace) -> tuple[str, str]:
    """A département and a thématique that some, not all, of its structures offer (most structures first)."""
    return ws.query(
        """
        with located as (
            select s.id, c.code_departement as dep from pub__structures as s
            join ref__communes as c on c.code_insee = s.code_insee and c.type = 'commune-actuelle'
        ),
        offered as (
            select l.dep, t, count(distinct l.id) as n from located as l
            join (select structure_id, unnest(thematiques) as t from pub__services) as v on v.structure_id = l.id
            group by all
        ),
        sizes as (select dep, count(*) as total from located group by dep)
        select dep, t from offered join sizes using (dep) where n < total order by total desc, dep, n, t limit 1
        """
    )[0]


def test_departement_page_filters_by_thematique(browser: object, server: str, site_run: Workspace) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    departement, thematique = _filter_case(site_run)
    browser.get(server + f"territoires/{departement}/index.html")
    wait(browser, "document.querySelector('[data-territoire]').dataset.ready")
    everything = {li.get_attribute("data-structure") for li in browser.find_elements(By.CSS_SELECTOR, "[data-results] > li")}
    assert everything == {r[0] for r in site_run.query(
        "select s.id from pub__structures as s join ref__communes as c using (code_insee) "
        "where c.code_departement = ? and c.type = 'commune-actuelle'", [departement])}
    Select(browser.find_element(By.ID, "f-thematique")).select_by_value(thematique)
    wait(browser, "location.search.includes('thematique=')")
    shown = {li.get_attribute("data-structure") for li in browser.find_elements(By.CSS_SELECTOR, "[data-results] > li")}
    expected = {r[0] for r in site_run.query(
        "select distinct s.id from pub__structures as s join pub__services as v on v.structure_id = s.id "
        "join ref__communes as c on c.code_insee = s.code_insee "
        "where c.code_departement = ? and c.type = 'commune-actuelle' and list_contains(v.thematiques, ?)",
        [departement, thematique])}
    assert shown == expected and 0 < len(shown) < len(everything)
    assert browser.find_element(By.CSS_SELECTOR, "[data-count]").text.startswith(f"{len(shown)} structure(s)")
    check(browser, "departement-filtre")


def _titles(driver: object) -> list[str]:
    from selenium.webdriver.common.by import By

    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "[data-results] h2 a")]


def test_search_merges_every_shard_and_filters_across_them(browser: object, server: str, site_run: Workspace) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "recherche/index.html")
    bundles = browser.find_element(By.CSS_SELECTOR, "[data-recherche]").get_attribute("data-bundles").split()
    assert len(bundles) >= 2 and all(b.startswith("pagefind/") for b in bundles)
    located = site_run.query(
        "select c.code_departement, s.nom from pub__structures as s join ref__communes as c "
        "on c.code_insee = s.code_insee and c.type = 'commune-actuelle' order by s.nom")

    def shard(departement: str) -> str:
        return next(b for b in bundles if b.split("/")[1].split("-")[0] <= departement <= b.split("/")[1].split("-")[-1])

    # A structure of every shard, found by its name.
    for bundle in bundles:
        name = next(n for d, n in located if shard(d) == bundle and re.fullmatch(r"[A-Za-z0-9 ]+", n))
        browser.get(server + "recherche/index.html?q=" + quote(name))
        wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
        wait(browser, "[...document.querySelectorAll('[data-results] h2 a')].some(a => a.textContent === arguments[0])"
             .replace("arguments[0]", repr(name)))
    check(browser, "recherche-shards")

    # Filters only, no words: the results of every shard.
    browser.get(server + "recherche/index.html?source=dora")
    wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
    assert browser.find_element(By.CSS_SELECTOR, "[data-count]").text.startswith(f"{len(located)} résultat(s)")

    thematique = "trouver-un-emploi--maintien-dans-lemploi"
    expected = site_run.query(
        "select c.code_departement, s.nom from pub__structures as s join ref__communes as c on c.code_insee = s.code_insee "
        "and c.type = 'commune-actuelle' where exists (select 1 from pub__services as v where v.structure_id = s.id "
        "and list_contains(v.thematiques, ?))", [thematique])
    assert len({shard(d) for d, _ in expected}) >= 2
    browser.get(server + f"recherche/index.html?thematique={thematique}")
    wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
    assert sorted(_titles(browser)) == sorted(n for _, n in expected)
    assert browser.find_element(By.CSS_SELECTOR, "[data-count]").text == f"{len(expected)} résultat(s)."

    # The largest département outside the first shard: its structures, none of the other shards.
    sizes = Counter(d for d, _ in located if shard(d) != bundles[0])
    departement = max(sizes, key=lambda d: (sizes[d], d))
    in_departement = sorted(n for d, n in located if d == departement)
    browser.get(server + f"recherche/index.html?departement={departement}")
    wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
    assert sorted(_titles(browser)) == in_departement and len(in_departement) > 1
    check(browser, "recherche-filtre-departement")


def test_search_after_an_update_shows_each_structure_once_in_its_new_version(
        browser: object, warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    con = warehouse_copy
    _build(con, tmp_path / "a", None)
    held = {b: search.result_ids(tmp_path / "a" / "site" / b) for b in SHARDS}
    # One change in each of the two largest shards (in the test's small shards, two would be past `RECENT_SHARE`).
    largest = sorted(SHARDS, key=lambda b: -len(held[b]))[:2]
    alone = [(i, n) for i, n in con.execute(
        "select s.id, s.nom from pub__structures as s where not exists (select 1 from pub__structures as d "
        "where d.cluster_id = s.cluster_id and d.id <> s.id) order by s.id").fetchall()
        if re.fullmatch(r"[A-Za-z0-9 ]+", n)]
    (renamed, old_name), (gone, gone_name) = (
        next((i, n) for i, n in alone if templates.structure_page(i) in held[bundle]) for bundle in largest)
    con.execute("update pub__structures set nom = 'Zébulon Quintessence' where id = ?", [renamed])
    con.execute("delete from pub__services where structure_id = ?", [gone])
    con.execute("delete from pub__structures where id = ?", [gone])
    updated = _build(con, tmp_path / "b", tmp_path / "a")
    # The shards are kept; the new version is in `recent`, the old one and the removed structure are stale.
    assert updated["search_indexed"] == 1 and updated["search_recent"] == 1 and updated["search_stale"] == 2
    assert updated["search_stale_ambiguous"] == 0
    total = con.execute("select count(*) from pub__structures").fetchall()[0][0]
    stale_file = tmp_path / "b" / "site" / search.STALE
    stale = json.loads(stale_file.read_text())
    with serving(tmp_path / "b") as site:
        browser.get(site + "recherche/index.html?q=" + quote("Zébulon Quintessence"))
        wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
        titles = _titles(browser)
        assert titles[0] == "Zébulon Quintessence" and titles.count("Zébulon Quintessence") == 1
        for name in (old_name, gone_name):
            browser.get(site + "recherche/index.html?q=" + quote(name))
            wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
            assert name not in _titles(browser)
        # Every structure once: none twice (old and new version), the removed one not at all.
        browser.get(site + "recherche/index.html?source=dora")
        wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
        assert browser.find_element(By.CSS_SELECTOR, "[data-count]").text.startswith(f"{total} résultat(s)")
        check(browser, "recherche-apres-mise-a-jour")

        # An id shared with a current document of another bundle: only the listed page's result is dropped.
        shown = next(n for _, n in alone if n not in (old_name, gone_name))
        shown_page = next(templates.structure_page(i) for i, n in alone if n == shown)
        shown_id = next(ids[shown_page] for ids in held.values() if shown_page in ids)
        for pages, visible in (([shown_page], False), (["structures/ailleurs.html"], True)):
            stale_file.write_text(json.dumps({"results": stale["results"], "pages": {shown_id: pages}}))
            browser.get(site + "recherche/index.html?q=" + quote(shown))
            wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
            assert (shown in _titles(browser)) is visible
        check(browser, "recherche-identifiant-partage")
        browser.get("about:blank")  # no request left for the server about to stop


def test_hostile_text_stays_inert_in_pages_search_and_map(browser: object, server: str) -> None:
    from selenium.webdriver.common.by import By

    name = 'Piège <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> Structure'
    browser.get(server + f"structures/{names.encode(EVIL_STRUCTURE)}.html")
    assert browser.find_element(By.TAG_NAME, "h1").text == name
    assert browser.find_element(By.CSS_SELECTOR, ".site-service h3").text == 'Service <svg onload="window.__xss=9"> piégé'
    assert "onmouseover" in browser.find_element(By.TAG_NAME, "main").text
    wait(browser, "document.querySelector('.leaflet-marker-icon')")
    browser.find_element(By.CSS_SELECTOR, ".leaflet-marker-icon").click()
    wait(browser, "document.querySelector('.leaflet-popup-content')")
    assert browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").get_attribute("textContent") == name
    check(browser, "hostile-structure")

    browser.get(server + "territoires/57/index.html")
    wait(browser, "document.querySelector('[data-territoire]').dataset.ready")
    assert name in browser.find_element(By.CSS_SELECTOR, "[data-results]").text
    check(browser, "hostile-departement")

    browser.get(server + "territoires/57/57463.html")
    assert name in browser.find_element(By.TAG_NAME, "main").text
    wait(browser, "document.querySelector('.leaflet-marker-icon')")
    browser.execute_script("[...document.querySelectorAll('.leaflet-marker-icon')].find(m => m.title === arguments[0]).click()", name)
    wait(browser, "document.querySelector('.leaflet-popup-content a')")
    assert browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content a").get_attribute("textContent") == name
    check(browser, "hostile-commune")

    browser.get(server + "recherche/index.html?q=Pi%C3%A8ge")
    wait(browser, "document.querySelector('[data-recherche]').dataset.ready")
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "[data-results] h2 a")]
    assert name in titles
    check(browser, "hostile-recherche")
