"""Les emplois de l'inclusion (GIP Plateforme de l'inclusion): SIAE and orienting organisations.

Structures only: the API lists employers (`type=siae`) and prescribing or
orienting organisations (`type=orga`), each a flat record; both types are one
stream each, mapped together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, SourceError
from pipeline.sources.pagination import follow_next

_STREAM_IN_NAME = re.compile(r"(?<![a-z])(siae|orga)(?![a-z])")


class EmploisDeLinclusion(Source):
    name = "emplois-de-linclusion"
    title = "Les emplois de l'inclusion"
    producer = "GIP Plateforme de l'inclusion"
    licence = "etalab-2.0"
    homepage = "https://emplois.inclusion.beta.gouv.fr"
    protocol = (
        "API JSON paginée (results/next), ?type=siae puis ?type=orga, en-tête Authorization: Token ; "
        "HTTP 429 : nouvelle tentative après le délai Retry-After"
    )
    streams = ("siae", "orga")
    entities = ("structures",)
    settings = {
        "url": "https://emplois.inclusion.beta.gouv.fr/api/v1/data-inclusion/",
        "page_size": "1000",
    }
    credentials = {"token": "EMPLOIS_API_TOKEN"}
    vocab_inputs = {
        # Typology codes: the shared list, plus the codes only this producer uses.
        "typologies": (
            "select typologie from stg_emplois_de_linclusion__structures where typologie not in "
            "(select unnest(map_keys(m)) from vocab_emplois_de_linclusion__reseaux_porteurs)"
        ),
        "reseaux_porteurs": (
            "select typologie from stg_emplois_de_linclusion__structures where typologie not in "
            "(select unnest(map_keys(m)) from vocab__typologies)"
        ),
    }
    fill_rates = (
        FillRate("structures", "siret", 0.9),
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "reseaux_porteurs", 0.5),
        FillRate("structures", "description", 0.1),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        headers = {"Authorization": f"Token {self.credential('token')}", "Accept": "application/json"}
        url = self.setting("url")
        separator = "&" if "?" in url else "?"
        for stream in self.streams:
            first = f"{url}{separator}type={stream}&page_size={self.setting('page_size')}"
            for number, response in enumerate(follow_next(http, first, headers=headers), start=1):
                yield RawFile.from_response(f"{stream}-{number:04d}.json", stream, response)

    def stream_of(self, filename: str) -> str:
        """`siae` or `orga` anywhere in the name, so the producer's own file names work with --input."""
        found = _STREAM_IN_NAME.findall(filename.lower())
        if len(set(found)) != 1:
            raise SourceError(
                f"{self.name}: cannot tell the stream of file {filename!r} (its name must contain 'siae' or 'orga')"
            )
        return found[0]


SOURCE = EmploisDeLinclusion()
