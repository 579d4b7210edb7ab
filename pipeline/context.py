"""What every stage of a run receives: settings, warehouse, run id, where to build, a console."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.config import Settings
from pipeline.sources.base import Collected, Source

T = TypeVar("T")


@dataclass
class RunContext:
    settings: Settings
    con: duckdb.DuckDBPyConnection
    run_id: str
    sources: list[Source]
    build_dir: Path
    console: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    collected: dict[str, Collected] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Written by the export stage, read by later stages (reports, site, publication).
    files: list[Any] = field(default_factory=list)
    validation_report: Any = None
    # Freshness-guard flags of this run (history stage); they block the release.
    guard_flags: list[Any] = field(default_factory=list)
    # Called by `collect` with each source whose raw tables were just loaded (the map stage starts it).
    on_raw_loaded: list[Callable[[Source], None]] = field(default_factory=list)
    # The map stage's workers while they run (started before `collect` ends, see `transform.begin`).
    mapping: Any = None
    # The export's writers while they run (started with the history stage, see `release.begin_export`).
    exporting: Any = None

    def log(self, message: str) -> None:
        self.console.print(message, highlight=False)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.console.print(f"[yellow]warning[/yellow] {message}", highlight=False)

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a progress bar on an interactive console, silently otherwise."""
        if not self.console.is_terminal:
            yield from items
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=True) as progress:
            yield from progress.track(items, total=total, description=description)
