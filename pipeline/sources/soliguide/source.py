"""Soliguide (association Solinum): places (`lieux`) and the services nested in them.

The search API answers `POST /new-search` with a JSON body, one page at a
time, as `{nbResults, places: [...]}`; each place holds its services in
`services_all`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, SourceError, parse_json_records

MAX_PAGES = 10_000


class Soliguide(Source):
    name = "soliguide"
    title = "Soliguide"
    producer = "Solinum"
    # Shared through its API on Solinum's terms, not under an open licence: the
    # real data·inclusion keeps Soliguide out of its open-data files.
    licence = "conditions d'utilisation de l'API Soliguide (Solinum), hors licence ouverte"
    homepage = "https://soliguide.fr"
    protocol = "POST /new-search avec un corps JSON paginé (options.page), en-tête Authorization: JWT"
    streams = ("lieux",)
    settings = {
        "url": "https://api.soliguide.fr",
        "country": "fr",
        "page_size": "50000",
        "page_delay": "10",  # seconds between pages, as the producer asks
    }
    credentials = {"token": "SOLIGUIDE_API_TOKEN"}
    vocab_inputs = {
        "legacy_categories": "select categorie from stg_soliguide__services",
        "categories": "select category from stg_soliguide__services",
        "thematiques": "select category from stg_soliguide__services",
        "types": "select category from stg_soliguide__services",
        "publics": (
            "select unnest(list_concat(publics.administrative, publics.familiale, publics.genre, publics.autres)) "
            "from (select publics from stg_soliguide__structures union all select publics from stg_soliguide__services)"
        ),
        "reseaux_porteurs": "select unnest(sources) from stg_soliguide__structures",
    }
    fill_rates = (
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "telephone", 0.5),
        FillRate("services", "thematiques", 0.9),
        FillRate("services", "publics", 0.9),
        FillRate("services", "horaires_accueil", 0.5),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        headers = {"Authorization": f"JWT {self.credential('token')}", "Accept": "application/json"}
        url = self.setting("url").rstrip("/") + "/new-search"
        limit = int(self.setting("page_size"))
        delay = float(self.setting("page_delay"))
        received = 0
        for page in range(1, MAX_PAGES + 1):
            body = {
                "location": {"geoType": "pays", "geoValue": self.setting("country")},
                "options": {"limit": limit, "page": page},
            }
            response = http.post(url, json=body, headers=headers)
            places, total = self._read_page(response, url, page)
            yield RawFile.from_response(f"lieux-{page:04d}.json", "lieux", response)
            received += len(places)
            done = received >= total if total is not None else len(places) < limit
            if not places or done:
                return
            http.sleep(delay)
        raise SourceError(f"{self.name}: POST {url} still returns places after {MAX_PAGES} pages")

    def _read_page(self, response: requests.Response, url: str, page: int) -> tuple[list[Any], int | None]:
        """The page's places and the announced total; a page without them stops the fetch."""
        try:
            payload = response.json()
        except ValueError as exc:
            raise SourceError(f"{self.name}: page {page} of POST {url} is not valid JSON ({exc})") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("places"), list):
            raise SourceError(f"{self.name}: page {page} of POST {url} has no 'places' list")
        total = payload.get("nbResults")
        return payload["places"], total if isinstance(total, int) else None

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        """Records of a search answer (`places`) or of a JSON array of places."""
        yield from parse_json_records(self.name, file, envelope="places")


SOURCE = Soliguide()
