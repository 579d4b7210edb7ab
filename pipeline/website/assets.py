"""Static assets (CSS, JS, vendored DSFR and Leaflet), the API's JSON Schemas, and the build fingerprint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.paths import SCHEMA_DIR, SITE_DIR
from pipeline.publish.extensions import published_columns
from pipeline.sources.base import Source
from pipeline.website import apischema
from pipeline.website.config import SiteConfig
from pipeline.website.output import Output

STATIC = SITE_DIR / "static"
API_SCHEMAS = SITE_DIR / "schemas" / "api"
CODE = Path(__file__).resolve().parent


def _tree_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def fingerprint(config: SiteConfig, sources: list[Source]) -> str:
    """What every page depends on besides its own data: templates, assets, code, configuration, vocabularies."""
    h = hashlib.sha256()
    for path in _tree_files(SITE_DIR, CODE, SCHEMA_DIR):
        h.update(path.relative_to(SITE_DIR.parent).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    context = {
        "config": config.as_dict(),
        "sources": [[s.name, s.title] for s in sources],
        "columns": {t: published_columns(t) for t in ("structures", "services")},
    }
    h.update(json.dumps(context, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def map_config(config: SiteConfig) -> bytes:
    """`static/js/config.js`: the map tiles, from the site configuration."""
    values = {"tiles": config.tiles_url, "attribution": config.tiles_attribution}
    return f"export default {json.dumps(values, ensure_ascii=False)};\n".encode()


def copy(out: Output, config: SiteConfig) -> int:
    """Static files under `static/`, API schemas (hand-written and generated) under `api/v1/schemas/`."""
    pairs = [(p, "static/" + p.relative_to(STATIC).as_posix()) for p in _tree_files(STATIC)]
    pairs += [(p, "api/v1/schemas/" + p.name) for p in _tree_files(API_SCHEMAS)]
    contents = [(rel, path.read_bytes()) for path, rel in pairs] + [("static/js/config.js", map_config(config))]
    contents += [(f"api/v1/schemas/{name}", (json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode())
                 for name, schema in apischema.generated().items()]
    for rel, content in contents:
        out.unit(f"asset:{rel}", out.unit_key(content), lambda rel=rel, content=content: [(rel, content)])
    return len(contents)
