"""Checks on a built site shared by the tests: internal links, and the API files against their schemas."""

from __future__ import annotations

import json
import posixpath
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

EXTERNAL = ("http://", "https://", "mailto:", "tel:")
# Path of an API file (relative to api/v1/) -> the schema it follows.
SCHEMAS = [
    (r"index\.json", "index"),
    (r"sources\.json", "sources"),
    (r"departements\.json", "departements"),
    (r"structures/.+\.json", "structure"),
    (r"services/.+\.json", "service"),
    (r"departements/[^/]+/structures(-\d+)?\.json", "structures-page"),
    (r"(departements|communes)/[^/]+/services(-\d+)?\.json", "services-page"),
    (r"referentiels/[a-z_]+\.json", "referentiel"),
]


class Page(HTMLParser):
    """The links (href, src, data-*.json) and ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src") or (name.startswith("data-") and value.endswith(".json")):
                self.links.append(value)
            elif name == "data-points":
                self.links += [p[3] for p in json.loads(value) if len(p) > 3]


@cache
def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(dist: Path) -> list[str]:
    """Every internal link of every page of `dist/site` that does not resolve (file, then anchor)."""
    problems = []
    site = dist / "site"
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(dist).as_posix()
        for link in parse(path).links:
            if link.lower().startswith(EXTERNAL):
                continue
            if link.lower().startswith(("javascript:", "data:", "vbscript:")):
                problems.append(f"{rel}: unsafe link {link!r}")
                continue
            parts = urlsplit(link)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path))) if parts.path else rel
            if target.startswith("../") or target == "..":
                problems.append(f"{rel}: {link} leaves the release")
                continue
            file = dist / target
            if file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                problems.append(f"{rel}: {link} -> {target} does not exist")
            elif parts.fragment and file.suffix == ".html" and unquote(parts.fragment) not in parse(file).ids:
                problems.append(f"{rel}: {link} -> no id {parts.fragment!r} in {target}")
    return problems


def registry(site: Path) -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))))
                 for p in (site / "api" / "v1" / "schemas").glob("*.schema.json")]
    return Registry().with_resources(resources)


def schema_for(rel: str) -> str | None:
    for pattern, name in SCHEMAS:
        if re.fullmatch(pattern, rel):
            return name
    return None


def invalid_api_files(site: Path) -> tuple[int, list[str]]:
    """(files checked, problems): every JSON file of `api/v1/` against its documented schema."""
    api = site / "api" / "v1"
    reg = registry(site)
    validators = {}
    problems, checked = [], 0
    for path in sorted(api.rglob("*.json")):
        rel = path.relative_to(api).as_posix()
        document = json.loads(path.read_text(encoding="utf-8"))
        if rel.startswith("schemas/"):
            Draft202012Validator.check_schema(document)
            continue
        name = schema_for(rel)
        if name is None:
            problems.append(f"{rel}: no documented schema")
            continue
        if name not in validators:
            schema = json.loads((api / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
            validators[name] = Draft202012Validator(schema, registry=reg)
        problems += [f"{rel}: {e.json_path}: {e.message}" for e in validators[name].iter_errors(document)]
        checked += 1
    return checked, problems
