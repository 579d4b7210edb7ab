"""Médiation numérique (ANCT): the national map of digital-inclusion places, one JSON array."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, parse_json_records
from pipeline.sources.tabular import csv_records, is_csv


class MediationNumerique(Source):
    name = "mediation-numerique"
    title = "Cartographie nationale des lieux de médiation numérique"
    producer = "ANCT, Agence nationale de la cohésion des territoires (programme Société numérique)"
    licence = "etalab-2.0"
    homepage = "https://cartographie.societenumerique.gouv.fr"
    protocol = (
        "un tableau JSON de lieux (schéma « lieux de médiation numérique »), en-tête Authorization: Bearer ; "
        "accepte aussi le CSV du schéma (listes séparées par |)"
    )
    streams = ("lieux",)
    settings = {"url": "https://api.inclusion-numerique.anct.gouv.fr/carto"}
    credentials = {"token": "MEDIATION_NUMERIQUE_API_TOKEN"}
    vocab_inputs = {
        "thematiques": "select unnest(services) from stg_mediation_numerique__structures",
        "frais": "select unnest(frais) from stg_mediation_numerique__structures",
        "publics": "select unnest(publics) from stg_mediation_numerique__structures",
        "modes_mobilisation": "select unnest(modalites_acces) from stg_mediation_numerique__structures",
        "types": "select unnest(modalites_accompagnement) from stg_mediation_numerique__structures",
        "reseaux_porteurs": "select unnest(dispositifs) from stg_mediation_numerique__structures",
        "typologies": "select unnest(typologies) from stg_mediation_numerique__structures",
    }
    fill_rates = (
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "reseaux_porteurs", 0.5),
        FillRate("services", "thematiques", 0.9),
        FillRate("services", "zone_eligibilite", 0.9),
        FillRate("services", "modes_mobilisation", 0.5),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        headers = {"Authorization": f"Bearer {self.credential('token')}", "Accept": "application/json"}
        response = http.get(self.setting("url"), headers=headers)
        yield RawFile.from_response("lieux.json", "lieux", response, "application/json")

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        """The JSON array of the API (or of the older exports), or the schema's CSV."""
        if is_csv(file):
            yield from csv_records(self.name, file, required=("id", "nom"))
        else:
            yield from parse_json_records(self.name, file)


SOURCE = MediationNumerique()
