"""Sources are discovered from their folders: adding a source is adding a folder."""

from __future__ import annotations

import importlib

from pipeline.paths import SOURCES_DIR
from pipeline.sources.base import Source, SourceError


def discover() -> list[Source]:
    """Every source folder holding a `source.py` with a `SOURCE` object, by name."""
    found = []
    for folder in sorted(SOURCES_DIR.iterdir()):
        if (folder / "source.py").is_file():
            module = importlib.import_module(f"pipeline.sources.{folder.name}.source")
            found.append(module.SOURCE)
    return sorted(found, key=lambda s: s.name)


def select(names: tuple[str, ...] | list[str] = ()) -> list[Source]:
    """The named sources (all when none is named); unknown names are an error."""
    sources = discover()
    if not names:
        return sources
    by_name = {s.name: s for s in sources} | {s.slug: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SourceError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(s.name for s in sources)}")
    return [by_name[n] for n in dict.fromkeys(names)]
