"""Full-text search with Pagefind over the structure pages.

Pagefind indexes `structures/**/*.html` into `site/pagefind/` while the other
pages are rendered. On a structure page the indexed part is
`data-pagefind-body`: name, places, source, coordinates, services with their
type, thématiques and publics, and the beginning of each description (a
`data-extrait` attribute); full descriptions are `data-pagefind-ignore`d,
which keeps the national index small and quick to build. Service headings
are sub-results; filters are `departement`, `thematique` and `source`. When
no structure changed, the previous index is linked as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from pipeline.website.output import FileEntry, Output, file_entry

BUNDLE = "pagefind"
EXCERPT_CHARS = 80
# Pagefind's ready-made UIs are not used (the site has its own, DSFR-styled).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchError(Exception):
    """Pagefind failed; the message has its output."""


def _files(bundle: Path, site: Path) -> list[FileEntry]:
    entries = []
    for directory, _, filenames in os.walk(bundle):
        for name in filenames:
            path = Path(directory) / name
            entries.append(file_entry(path, path.relative_to(site).as_posix()))
    return sorted(entries)


@dataclass
class Indexing:
    """A Pagefind run: started early (it works while the other pages are rendered), or deferred."""

    key: str
    glob: str
    process: subprocess.Popen[str] | None = None
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0


def _launch(out: Output, glob: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pagefind", "--site", str(out.root), "--glob", glob,
               "--output-subdir", BUNDLE, "--force-language", "fr", "--quiet"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def start(out: Output, structure_keys: str) -> Indexing | None:
    """Start indexing the structure pages, unless none changed (then the previous index is linked)."""
    key = out.unit_key("search", structure_keys)
    if out.reuse("search", key):
        return None
    if not (out.root / "structures").is_dir():
        # No structure at all: the home page alone is indexed (once written), so the bundle exists.
        return Indexing(key, "index.html")
    return Indexing(key, "structures/**/*.html", _launch(out, "structures/**/*.html"))


def finish(out: Output, indexing: Indexing | None) -> bool:
    """Wait for Pagefind and record its files; True when it ran."""
    if indexing is None:
        return False
    process = indexing.process or _launch(out, indexing.glob)
    output, _ = process.communicate()
    indexing.seconds = time.perf_counter() - indexing.started
    if process.returncode != 0:
        raise SearchError(f"pagefind failed (exit {process.returncode}): {output}")
    bundle = out.root / BUNDLE
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)
    out.record("search", indexing.key, _files(bundle, out.root))
    return True
