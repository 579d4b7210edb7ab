"""DORA (GIP Plateforme de l'inclusion): structures and services, paginated JSON API."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source
from pipeline.sources.pagination import follow_next


class Dora(Source):
    name = "dora"
    title = "DORA"
    producer = "GIP Plateforme de l'inclusion"
    licence = "etalab-2.0"
    homepage = "https://dora.inclusion.beta.gouv.fr"
    protocol = "API JSON paginée (results/next), en-tête Authorization: Token"
    streams = ("structures", "services")
    settings = {
        "url": "https://api.dora.inclusion.gouv.fr/api/v2/",
        "page_size": "1000",
    }
    credentials = {"token": "DORA_API_TOKEN"}
    vocab_inputs = {
        "thematiques": "select unnest(thematiques) from stg_dora__services",
        "publics": "select unnest(list_concat(profils, publics_libelles)) from stg_dora__services",
        "modes_orientation": "select unnest(list_concat(modes_beneficiaire, modes_accompagnateur)) from stg_dora__services",
        "types": "select unnest(types) from stg_dora__services",
        "frais": "select frais from stg_dora__services",
        "zones": "select zone_type from stg_dora__services",
    }
    fill_rates = (
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "siret", 0.5),
        FillRate("services", "thematiques", 0.9),
        FillRate("services", "modes_accueil", 0.9),
        FillRate("services", "publics", 0.5),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        headers = {"Authorization": f"Token {self.credential('token')}", "Accept": "application/json"}
        base = self.setting("url").rstrip("/")
        for stream in self.streams:
            first = f"{base}/{stream}/?page_size={self.setting('page_size')}&o=creation_date"
            for number, response in enumerate(follow_next(http, first, headers=headers), start=1):
                yield RawFile.from_response(f"{stream}-{number:04d}.json", stream, response)


SOURCE = Dora()
