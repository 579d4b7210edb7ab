"""France services (ANCT): the list of labelled places, a CSV file published on data.gouv.fr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pipeline.http import HttpClient, now_iso
from pipeline.sources.base import FillRate, RawFile, Source, SourceError
from pipeline.sources.tabular import csv_records

DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")


class FranceServices(Source):
    name = "france-services"
    title = "France services"
    producer = "ANCT, Agence nationale de la cohésion des territoires"
    licence = "etalab-2.0"
    homepage = "https://www.france-services.gouv.fr"
    protocol = (
        "fichier CSV (cellules sur plusieurs lignes, horaires h_lundi…h_samedi) : la ressource CSV la plus récente "
        "du jeu de données data.gouv.fr, trouvée par l'API des jeux de données ; sans authentification"
    )
    streams = ("espaces",)
    settings = {
        "dataset_url": "https://www.data.gouv.fr/api/1/datasets/liste-des-structures-labellisees-france-services/",
    }
    columns = ("id_fs", "lib_fs", "adresse", "insee_com", "code_postal", "lib_com", "latitude", "longitude",
               "mail", "telephone", *DAYS)
    fill_rates = (
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "horaires_accueil", 0.9),
        FillRate("services", "telephone", 0.9),
        FillRate("services", "zone_eligibilite", 0.9),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        dataset_url = self.setting("dataset_url")
        resource = self._latest_csv(dataset_url, http.get(dataset_url, headers={"Accept": "application/json"}).content)
        response = http.get(resource["url"])
        stamp = str(resource.get("last_modified") or now_iso())[:10].replace("-", "")
        yield RawFile.from_response(f"liste-fs-{stamp}.csv", "espaces", response, "text/csv")

    def _latest_csv(self, dataset_url: str, payload: bytes) -> dict[str, Any]:
        """The dataset's most recently modified CSV resource (data.gouv.fr dataset API)."""
        try:
            resources = json.loads(payload)["resources"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"{self.name}: {dataset_url} is not a data.gouv.fr dataset description ({exc})") from None
        csvs = [r for r in resources
                if isinstance(r, dict) and str(r.get("format", "")).lower() == "csv" and r.get("url")]
        if not csvs:
            raise SourceError(f"{self.name}: the dataset at {dataset_url} lists no CSV resource")
        return max(csvs, key=lambda r: (str(r.get("last_modified") or ""), str(r.get("url"))))

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        yield from csv_records(self.name, file, required=self.columns)


SOURCE = FranceServices()
