"""The sharded Pagefind index: packing rule, two indexing processes at a time, per-shard reuse."""

from __future__ import annotations

import gzip
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
    changed = _build(con, tmp_path / "c", tmp_path / "b")
    assert changed["search_indexed"] == 1
    for bundle in SHARDS[:-1]:
        assert _inodes(tmp_path / "c", bundle) == _inodes(tmp_path / "b", bundle)
    renewed, before = _inodes(tmp_path / "c", SHARDS[-1]), _inodes(tmp_path / "b", SHARDS[-1])
    assert not set(renewed.values()) & set(before.values())
    assert "Zébulon renommé" in _indexed_text(tmp_path / "c", SHARDS[-1])
    assert "Zébulon" not in _indexed_text(tmp_path / "b", SHARDS[-1])  # the previous release is never written through



def test_a_shard_short_of_documents_fails_the_build_and_leaves_no_process(tmp_path: Path) -> None:
    out = Output.open(tmp_path / "site", "fingerprint", None)
    # The plan says the last shard has two documents; only one comes.
    shards = [search.Shard(0, "01-09", 2, "k0"), search.Shard(1, "10-19", 1, "k1"), search.Shard(2, "20-29", 2, "k2")]
    index = search.Search(out, shards, [0, 1, 2])
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
