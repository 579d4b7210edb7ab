"""The sharded Pagefind index: packing rule, two indexing processes at a time, per-shard reuse, `recent` updates."""

from __future__ import annotations

import gzip
import json
import os
import re
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline import sources as source_registry
from pipeline.website import search, templates
from pipeline.website.build import BuildInputs, build_site
from pipeline.website.config import SiteConfig
from pipeline.website.output import Output
from tests.conftest import REFERENCE_DATE
from tests.website.conftest import SHARD_SIZE
from tests.website.test_site import warehouse_copy  # noqa: F401  (fixture)

SHARDS = ["pagefind/02-52/", "pagefind/57-62/", "pagefind/75-87/", "pagefind/91-972/"]


def test_pack_fills_shards_in_code_order_and_keeps_large_departements_alone() -> None:
    counts = [("91", 5), ("02", 1), ("57", 5), ("", 1), ("75", 9), ("62", 2), ("2A", 3)]
    assert search.pack(counts, 6) == [["", "02", "2A"], ["57"], ["62"], ["75"], ["91"]]
    assert search.pack(counts, 100) == [["", "02", "2A", "57", "62", "75", "91"]]
    assert search.pack([], 6) == []


class PagefindWatch:
    """Samples this process's `pagefind` children: the most that ever ran at once."""

    def __init__(self) -> None:
        self.most = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PagefindWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        parent = str(os.getpid())
        while not self._stop.wait(0.002):
            running = set()
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)
                except OSError:
                    continue
                if fields[0].endswith("(pagefind") and fields[1].split()[1] == parent:
                    running.add(int(stat.parent.name))
            self.seen |= running
            self.most = max(self.most, len(running))


def _build(con: duckdb.DuckDBPyConnection, release: Path, previous: Path | None) -> dict:
    return build_site(BuildInputs(con=con, release=release, reference_date=date.fromisoformat(REFERENCE_DATE),
                                  sources=source_registry.discover(), previous=previous,
                                  site_config=SiteConfig(tiles_url="", search_shard_size=str(SHARD_SIZE)), workers=1))


def _bundles(release: Path) -> list[str]:
    html = (release / "site" / "recherche" / "index.html").read_text(encoding="utf-8")
    return re.search(r'data-bundles="([^"]*)"', html).group(1).split()


def _inodes(release: Path, bundle: str) -> dict[str, int]:
    folder = release / "site" / bundle
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def _indexed_text(release: Path, bundle: str) -> str:
    """Every document Pagefind stored in a shard (its fragments are gzip'd JSON behind a signature)."""
    fragments = sorted((release / "site" / bundle / "fragment").glob("*.pf_fragment"))
    return "\n".join(gzip.decompress(f.read_bytes()).decode("utf-8") for f in fragments)


def test_shards_are_indexed_two_at_a_time_and_only_changed_ones_again(
        warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:  # noqa: F811
    con = warehouse_copy
    with PagefindWatch() as watch:
        first = _build(con, tmp_path / "a", None)
    # Every shard had its own process; never more than two at once.
    assert first["search_shards"] == first["search_indexed"] == len(SHARDS) == len(watch.seen)
    assert search.PROCESSES == 2 and 1 <= watch.most <= search.PROCESSES
    assert _bundles(tmp_path / "a") == SHARDS
    for bundle in SHARDS:
        assert (tmp_path / "a" / "site" / bundle / "pagefind.js").is_file()
        assert not (tmp_path / "a" / "site" / bundle / "pagefind-ui.js").exists()
    indexed = {bundle: _indexed_text(tmp_path / "a", bundle) for bundle in SHARDS}
    # Each structure in exactly one shard, the one of its département.
    placed = con.execute("select s.id, c.code_departement from pub__structures as s join ref__communes as c "
                         "on c.code_insee = s.code_insee and c.type = 'commune-actuelle'").fetchall()
    assert len(placed) == con.execute("select count(*) from pub__structures").fetchall()[0][0]
    for record_id, departement in placed:
        url = f'"url":"/{templates.structure_page(record_id)}"'
        holding = [b for b, content in indexed.items() if url in content]
        assert len(holding) == 1, (record_id, holding)
        codes = holding[0].split("/")[1].split("-")
        assert codes[0] <= departement <= codes[-1], (record_id, departement, holding)

    unchanged = _build(con, tmp_path / "b", tmp_path / "a")
    assert unchanged["search_indexed"] == 0 and unchanged["search_shards"] == len(SHARDS)
    for bundle in SHARDS:
        assert _inodes(tmp_path / "b", bundle) == _inodes(tmp_path / "a", bundle)

    # A structure of Essonne without duplicates (a duplicate's page names it, and may sit in another shard).
    target = con.execute(
        "select s.id from pub__structures as s join ref__communes as c on c.code_insee = s.code_insee "
        "and c.type = 'commune-actuelle' where c.code_departement = '91' and not exists (select 1 from "
        "pub__structures as d where d.cluster_id = s.cluster_id and d.id <> s.id) order by s.id limit 1").fetchall()[0][0]
    con.execute("update pub__structures set nom = 'Zébulon renommé' where id = ?", [target])
    page = templates.structure_page(target)
    changed = _build(con, tmp_path / "c", tmp_path / "b")
    # Its shard keeps its index; the new version goes to `recent`, the old one is listed as stale.
    assert changed["search_indexed"] == 1 and changed["search_recent"] == 1 and changed["search_stale"] == 1
    assert _bundles(tmp_path / "c") == SHARDS + ["pagefind/recent/"]
    for bundle in SHARDS:
        assert _inodes(tmp_path / "c", bundle) == _inodes(tmp_path / "b", bundle)
    recent = _indexed_text(tmp_path / "c", "pagefind/recent/")
    assert "Zébulon renommé" in recent and f'"url":"/{page}"' in recent and recent.count('"url":') == 1
    old_id = search.result_ids(tmp_path / "b" / "site" / SHARDS[-1])[page]
    assert json.loads((tmp_path / "c" / "site" / search.STALE).read_text()) == {"results": [old_id], "pages": {}}
    html = (tmp_path / "c" / "site" / "recherche" / "index.html").read_text(encoding="utf-8")
    assert f'data-stale="{search.STALE}"' in html
    assert "Zébulon" not in _indexed_text(tmp_path / "b", SHARDS[-1])  # the previous release is never written through

    # Past `RECENT_SHARE` of the shard changed: it is indexed again, and `recent` goes.
    shard_pages = search.result_ids(tmp_path / "b" / "site" / SHARDS[-1])
    others = [record_id for (record_id,) in con.execute("select id from pub__structures order by id").fetchall()
              if templates.structure_page(record_id) in shard_pages and record_id != target]
    renamed = others[:int(search.RECENT_SHARE * len(shard_pages)) + 1]
    con.execute("update pub__structures set nom = nom || ' bis' where list_contains(?, id)", [renamed])
    again = _build(con, tmp_path / "d", tmp_path / "c")
    assert again["search_indexed"] == 1 and again["search_recent"] == 0 and again["search_stale"] == 0
    assert _bundles(tmp_path / "d") == SHARDS
    assert not (tmp_path / "d" / "site" / "pagefind" / "recent").exists()
    assert not (tmp_path / "d" / "site" / search.STALE).exists()
    assert 'data-stale' not in (tmp_path / "d" / "site" / "recherche" / "index.html").read_text(encoding="utf-8")
    assert not set(_inodes(tmp_path / "d", SHARDS[-1]).values()) & set(_inodes(tmp_path / "c", SHARDS[-1]).values())
    assert "Zébulon renommé" in _indexed_text(tmp_path / "d", SHARDS[-1])


def test_a_removed_structure_is_hidden_and_shards_keep_their_departements(
        warehouse_copy: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:  # noqa: F811
    con = warehouse_copy
    _build(con, tmp_path / "a", None)
    before = {b: search.result_ids(tmp_path / "a" / "site" / b) for b in SHARDS}
    holder = max(SHARDS, key=lambda b: len(before[b]))
    # A structure of the largest shard without duplicates (a duplicate's page names it).
    gone = next(record_id for (record_id,) in con.execute(
        "select s.id from pub__structures as s where not exists (select 1 from pub__structures as d "
        "where d.cluster_id = s.cluster_id and d.id <> s.id) order by s.id").fetchall()
        if templates.structure_page(record_id) in before[holder])
    con.execute("delete from pub__services where structure_id = ?", [gone])
    con.execute("delete from pub__structures where id = ?", [gone])
    removed = _build(con, tmp_path / "b", tmp_path / "a")
    # Nothing new to index: `recent` is empty, so no bundle; the removed page's result is hidden.
    assert removed["search_indexed"] == 0 and removed["search_stale"] == 1
    assert _bundles(tmp_path / "b") == SHARDS
    assert json.loads((tmp_path / "b" / "site" / search.STALE).read_text()) == {
        "results": [before[holder][templates.structure_page(gone)]], "pages": {}}

    # A change the search document does not show (a website): its document has its base version's digest,
    # so Pagefind does not run; nothing more is hidden, and the next build does not offer it again.
    other = sorted((b for b in SHARDS if b != holder), key=lambda b: -len(before[b]))[0]
    page = sorted(before[other])[0]
    rewebbed = next(i for (i,) in con.execute("select id from pub__structures").fetchall()
                  if templates.structure_page(i) == page)
    con.execute("update pub__structures set site_web = 'https://exemple.fr/nouveau' where id = ?", [rewebbed])
    website = _build(con, tmp_path / "c", tmp_path / "b")
    assert website["structures_rendered"] == 1 and website["search_recent_unchanged"] == 1
    assert website["search_recent"] == 0 and website["search_stale"] == 1 and website["search_indexed"] == 0
    assert _bundles(tmp_path / "c") == SHARDS and not (tmp_path / "c" / "site" / "pagefind" / "recent").exists()
    assert _inodes(tmp_path / "c", other) == _inodes(tmp_path / "b", other)
    quiet = _build(con, tmp_path / "d", tmp_path / "c")
    assert quiet["search_indexed"] == 0 and quiet["search_recent_unchanged"] == 0


def test_packing_is_kept_while_no_shard_outgrows_its_margin() -> None:
    counts = [("01", 4), ("02", 3), ("03", 5)]
    assert search.pack(counts, 8) == [["01", "02"], ["03"]]
    # One more structure in 02 would move 02 out of the first shard when packed again; the last packing holds.
    grown = [("01", 4), ("02", 5), ("03", 5)]
    assert search.pack(grown, 8) == [["01"], ["02"], ["03"]]
    assert search.keep_packing([["01", "02"], ["03"]], grown, 8) == [["01", "02"], ["03"]]
    # A département that empties leaves the shards (and their names) as they were.
    assert search.keep_packing([["01", "02"], ["03"]], [("01", 4), ("03", 5)], 8) == [["01", "02"], ["03"]]
    # Past the margin, with a new département or an empty shard, the shards are packed again.
    assert search.keep_packing([["01", "02"], ["03"]], [("01", 4), ("02", 7), ("03", 5)], 8) == [["01"], ["02"], ["03"]]
    assert search.keep_packing([["01", "02"], ["03"]], counts + [("04", 1)], 8) == [["01", "02"], ["03", "04"]]
    assert search.keep_packing([["01", "02"], ["03"]], [("01", 4), ("02", 3)], 8) == [["01", "02"]]
    assert search.keep_packing(None, counts, 8) == search.pack(counts, 8)


def test_a_shard_short_of_documents_fails_the_build_and_leaves_no_process(tmp_path: Path) -> None:
    out = Output.open(tmp_path / "site", "fingerprint", None)
    # The plan says the last shard has two documents; only one comes.
    shards = [search.Shard(0, "01-09", 2, "k0"), search.Shard(1, "10-19", 1, "k1"), search.Shard(2, "20-29", 2, "k2")]
    documents = {0: {"structures/a/": "ka", "structures/b/": "kb"}, 1: {"structures/c/": "kc"},
                 2: {"structures/d/": "kd", "structures/e/": "ke"}}
    index = search.Search(out, shards, [0, 1, 2], documents)
    page = '<html lang="fr"><body><main><h1>{}</h1></main></body></html>'
    with PagefindWatch() as watch:
        index.add(0, "structures/a/", page.format("Alpha"))
        index.add(0, "structures/b/", page.format("Bravo"))
        index.add(1, "structures/c/", page.format("Charlie"))
        index.add(2, "structures/d/", page.format("Delta"))  # a third shard: the first one is joined first
        with pytest.raises(search.SearchError, match="shard 20-29 got 1 documents, 2 expected"):
            index.finish()
        index.close()
    assert 1 <= watch.most <= search.PROCESSES
    assert not [p for p in watch.seen if Path(f"/proc/{p}").exists()]
    assert "structures/a/" in _indexed_text(tmp_path, "pagefind/01-09/")
    assert "structures/c/" in _indexed_text(tmp_path, "pagefind/10-19/")
