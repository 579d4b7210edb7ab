"""Run settings: paths, reference date and mode, from options then environment.

Every path can be set by an option or an environment variable, so the
scheduled job, a reviewer and the tests can each point the pipeline at their
own folders without touching the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

ENV_WAREHOUSE = "DATAINCLUSION_WAREHOUSE"
ENV_DATA_DIR = "DATAINCLUSION_DATA_DIR"
ENV_DIST_DIR = "DATAINCLUSION_DIST_DIR"
ENV_MAX_QUARANTINE = "DATAINCLUSION_MAX_QUARANTINE_SHARE"
ENV_MAX_DROP = "DATAINCLUSION_MAX_DROP_SHARE"
ENV_OBJECTIONS = "DATAINCLUSION_OBJECTIONS"
ENV_PUBLIC_URL = "DATAINCLUSION_PUBLIC_URL"
ENV_PUBLISHER = "DATAINCLUSION_PUBLISHER"
# Where the release is served (download URLs of the DCAT catalogue); set it in
# the scheduled job. The default is a reserved example domain.
DEFAULT_PUBLIC_URL = "https://offre-insertion.example.org/"
DEFAULT_PUBLISHER = "Publieur open data data·inclusion"


class ConfigError(Exception):
    """A setting is missing or unusable (exit code 2)."""


@dataclass(frozen=True)
class Settings:
    """What one invocation of the pipeline works with."""

    warehouse: Path
    data_dir: Path
    dist_dir: Path
    reference_date: date
    live: bool = False
    replay: str | None = None
    sources: tuple[str, ...] = ()
    input_path: Path | None = None
    # Share of mapped records that may be quarantined before the run is
    # reported as failing on data errors (exit code 1).
    max_quarantine_share: float = 0.5
    # History: restore from this release (folder or URL) before adding the run.
    previous: str | None = None
    # Freshness guard: largest accepted drop of a source's records, and its override.
    max_drop_share: float = 0.2
    allow_drop: bool = False
    # RGPD: CSV of ids and/or e-mails whose contacts must not be published.
    objections: Path | None = None
    # Publication identity (DCAT catalogue, data package).
    public_url: str = DEFAULT_PUBLIC_URL
    publisher: str = DEFAULT_PUBLISHER
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)


def _path(value: str | os.PathLike[str] | None, env: str, default: str) -> Path:
    return Path(value or os.environ.get(env) or default)


def _share(env: str, default: float) -> float:
    value = os.environ.get(env)
    try:
        share = float(value) if value else default
    except ValueError as exc:
        raise ConfigError(f"{env} must be a number between 0 and 1, got {value!r}") from exc
    if not 0 <= share <= 1:
        raise ConfigError(f"{env} must be between 0 and 1, got {share}")
    return share


def load(
    *,
    warehouse: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    dist_dir: str | os.PathLike[str] | None = None,
    reference_date: date | None = None,
    **options: object,
) -> Settings:
    """Settings from explicit options, then environment variables, then defaults."""
    data = _path(data_dir, ENV_DATA_DIR, "data")
    objections = os.environ.get(ENV_OBJECTIONS)
    if objections and not Path(objections).is_file():
        raise ConfigError(f"{ENV_OBJECTIONS} points to {objections!r}, which is not a file")
    return Settings(
        warehouse=_path(warehouse, ENV_WAREHOUSE, str(data / "warehouse.duckdb")),
        data_dir=data,
        dist_dir=_path(dist_dir, ENV_DIST_DIR, "dist"),
        reference_date=reference_date or date.today(),
        max_quarantine_share=_share(ENV_MAX_QUARANTINE, 0.5),
        max_drop_share=_share(ENV_MAX_DROP, 0.2),
        objections=Path(objections) if objections else None,
        public_url=os.environ.get(ENV_PUBLIC_URL) or DEFAULT_PUBLIC_URL,
        publisher=os.environ.get(ENV_PUBLISHER) or DEFAULT_PUBLISHER,
        **options,  # type: ignore[arg-type]
    )
