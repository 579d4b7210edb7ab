"""Site configuration: `site/site.toml`, each key overridable by `DATAINCLUSION_SITE_<KEY>`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, fields
from urllib.parse import urlsplit

from pipeline.paths import SITE_DIR


@dataclass(frozen=True)
class SiteConfig:
    publisher_name: str = "data·inclusion"
    publisher_tagline: str = ""
    publisher_url: str = ""
    base_url: str = ""
    tiles_url: str = ""
    tiles_attribution: str = ""
    search_shard_size: str = "8000"

    @property
    def tiles_origin(self) -> str:
        """Origin of the tile server, for the Content-Security-Policy (empty when none)."""
        parts = urlsplit(self.tiles_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def load() -> SiteConfig:
    values = tomllib.loads((SITE_DIR / "site.toml").read_text(encoding="utf-8"))
    for f in fields(SiteConfig):
        env = os.environ.get(f"DATAINCLUSION_SITE_{f.name.upper()}")
        if env is not None:
            values[f.name] = env
    return SiteConfig(**{f.name: str(values.get(f.name, f.default)) for f in fields(SiteConfig)})
