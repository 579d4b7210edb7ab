"""Full-text search with Pagefind, built from small search documents rather than the pages.

Each structure unit also writes a search document (name, place, source,
the beginning of its description, its services with their type, thématiques
and the beginning of theirs) into `.site-search/` beside `site/` in the
release; it is not published. Pagefind indexes those documents into
`site/pagefind/` (URLs are the structure pages' paths, service headings
are sub-results) with filters `departement`, `thematique` and `source`.
Indexing short documents keeps the national index small and quick to build;
when no structure changed, the previous index is linked as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.website import names, templates
from pipeline.website.output import FileEntry, Output, digest_file

DOCS = "../.site-search"
BUNDLE = "pagefind"
STRUCTURE_CHARS = 300
SERVICE_CHARS = 200
# Pagefind's ready-made UIs are not used (the site has its own, DSFR-styled).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchError(Exception):
    """Pagefind failed; the message has its output."""


def doc_path(record_id: str) -> str:
    return f"{DOCS}/structures/{names.encode(record_id)}.html"


def render_doc(doc: dict[str, Any], source_title: str, departement_nom: str | None) -> str:
    return templates.environment().get_template("search_doc.html").render(
        doc=doc, s=doc["record"], source_title=source_title, departement_nom=departement_nom or "",
        structure_chars=STRUCTURE_CHARS, service_chars=SERVICE_CHARS,
    )


def _files(bundle: Path, site: Path) -> list[FileEntry]:
    entries = []
    for directory, _, filenames in os.walk(bundle):
        for name in filenames:
            path = Path(directory) / name
            entries.append(digest_file(path, path.relative_to(site).as_posix()))
    return sorted(entries)


@dataclass
class Indexing:
    """A Pagefind run in progress (it works while the other pages are rendered)."""

    key: str
    process: subprocess.Popen[str]
    bundle: Path


def start(out: Output, structure_keys: str) -> Indexing | None:
    """Start indexing the search documents, unless no structure changed (then the index is linked)."""
    key = out.unit_key("search", structure_keys)
    if out.reuse("search", key):
        return None
    docs = (out.root / DOCS).resolve()
    if not (docs / "structures").is_dir():
        # No structure at all: index the home page alone, so the search bundle still exists.
        docs.mkdir(parents=True, exist_ok=True)
        (docs / "index.html").write_text(
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Accueil</title></head>'
            '<body><main data-pagefind-body><h1>Accueil</h1><p>Aucune structure publiée.</p></main></body></html>',
            encoding="utf-8")
    bundle = out.root / BUNDLE
    command = [sys.executable, "-m", "pagefind", "--site", str(docs), "--output-path", str(bundle),
               "--force-language", "fr", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return Indexing(key, process, bundle)


def finish(out: Output, indexing: Indexing | None) -> bool:
    """Wait for Pagefind and record its files; True when it ran."""
    if indexing is None:
        return False
    output, _ = indexing.process.communicate()
    if indexing.process.returncode != 0:
        raise SearchError(f"pagefind failed (exit {indexing.process.returncode}): {output}")
    for name in UNUSED:
        (indexing.bundle / name).unlink(missing_ok=True)
    out.record("search", indexing.key, _files(indexing.bundle, out.root))
    return True
