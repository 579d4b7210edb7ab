"""Python functions registered in DuckDB for what SQL does badly (HTML parsing)."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

import duckdb
from duckdb.sqltypes import VARCHAR

from pipeline.sql.identifiers import phone_e164, siret_problem
from pipeline.sql.opening_hours import osm_opening_hours_json

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section"}
_DROP_TAGS = {"script", "style", "template", "noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._dropping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


@lru_cache(maxsize=1 << 14)
def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment: tags removed, entities decoded, scripts dropped (templated
    descriptions repeat: answers are cached)."""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    text = html.unescape("".join(parser.parts)).replace("\xa0", " ")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def register(con: duckdb.DuckDBPyConnection) -> None:
    con.create_function("html_to_text", html_to_text, [VARCHAR], VARCHAR, side_effects=False)
    con.create_function(
        "osm_opening_hours", osm_opening_hours_json, [VARCHAR], VARCHAR, null_handling="special", side_effects=False
    )
    con.create_function("siret_problem", siret_problem, [VARCHAR], VARCHAR, null_handling="special", side_effects=False)
    con.create_function(
        "phone_e164", phone_e164, [VARCHAR, VARCHAR], VARCHAR, null_handling="special", side_effects=False
    )
