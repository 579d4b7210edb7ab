"""The jinja2 environment of the site: autoescaping everywhere, and the filters templates share.

Producer text is never trusted: autoescape is on for every template, links
are emitted only for http(s) URLs (`safe_href`), and no template builds
inline scripts from data.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.paths import SITE_DIR
from pipeline.website import names
from pipeline.website.dictionary import labels

NARROW_NBSP = "\u202f"


def safe_href(url: Any) -> str | None:
    """The URL if it is an http(s) link, else None (no `javascript:`, `data:`, relative tricks)."""
    if not isinstance(url, str):
        return None
    value = url.strip()
    if value.lower().startswith(("http://", "https://")) and not any(c in value for c in "\x00\r\n\t "):
        return value
    return None


def number(value: Any) -> str:
    """12345 -> '12 345' (French grouping with a narrow no-break space)."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", NARROW_NBSP).replace(".", ",")
    return f"{int(value):,}".replace(",", NARROW_NBSP)


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.0f}{NARROW_NBSP}%"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("o", "ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    raise AssertionError("unreachable")


def label(value: Any, referentiel: str | None) -> str:
    """The label of a vocabulary value (the value itself when unknown)."""
    if referentiel is None:
        return str(value)
    return labels().get(referentiel, {}).get(str(value), str(value))


def labels_of(values: Any, referentiel: str) -> str:
    """A list of vocabulary values as their labels, comma-separated."""
    return ", ".join(label(v, referentiel) for v in values or [])


def display(value: Any) -> str:
    """A publisher column's value as text: booleans in French, numbers grouped, lists joined."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def structure_page(record_id: str) -> str:
    return f"structures/{names.encode(record_id)}.html"


def structure_api(record_id: str) -> str:
    return f"api/v1/structures/{names.encode(record_id)}.json"


def service_api(record_id: str) -> str:
    return f"api/v1/services/{names.encode(record_id)}.json"


def service_anchor(record_id: str) -> str:
    return "service-" + names.encode(record_id).replace("/", "")


def root_of(path: str) -> str:
    """Relative prefix from a page at `path` (site-relative) back to the site root."""
    return "../" * path.count("/")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(SITE_DIR / "templates"),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(safe_href=safe_href, number=number, percent=percent, human_size=human_size, label=label,
                       labels=labels_of, display=display)
    env.globals.update(structure_page=structure_page, structure_api=structure_api, service_api=service_api,
                       service_anchor=service_anchor)
    return env


def render(template: str, path: str, **context: Any) -> str:
    """Render a page that will live at site-relative `path`."""
    return environment().get_template(template).render(root=root_of(path), path=path, **context)
