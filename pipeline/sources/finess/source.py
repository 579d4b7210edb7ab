"""FINESS: the national register of health and social establishments, établissements stock file.

The stock file (`etalab-cs1100507-stock-<date>.csv`, published on data.gouv.fr)
is `;`-separated with no header row. Its first line is
`finess;etalab;<version>;<extraction date>`; every other line starts with its
section name:

- `structureet` (32 fields): nofinesset, nofinessej, rs, rslongue, complrs,
  compldistrib, numvoie, typvoie, voie, compvoie, lieuditbp, commune (3 digits),
  departement, libdepartement, ligneacheminement ("01440 VIRIAT"), telephone,
  telecopie, categetab, libcategetab, categagretab, libcategagretab, siret,
  codeape, codemft, libmft, codesph, libsph, dateouv, dateautor, datemaj, and an
  empty last field;
- `geolocalisation` (6 fields): nofinesset, coordxet, coordyet, sourcecoordet,
  datemaj. Coordinates are projected (Lambert 93 in metropolitan France, local
  UTM zones overseas, the system named in sourcecoordet); they are attached to
  their establishment as raw fields and not converted: the territory stage
  geocodes the address instead.

Any other section, or a line that does not follow this layout, fails the file
with its line number: a changed format is never mapped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, SourceError
from pipeline.sources.tabular import csv_rows

STRUCTUREET = (
    "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie", "voie",
    "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj",
)
GEOLOCALISATION = ("nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})?$")
_FINESS = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
# Fields whose shape betrays a shifted column: number, département, category, dates.
_SHAPES = {
    "nofinesset": _FINESS,
    "departement": re.compile(r"^(\d\d|2[AB]|9[A-Z])$"),
    "categetab": re.compile(r"^\d{3}$"),
    "dateouv": _DATE,
    "dateautor": _DATE,
    "datemaj": _DATE,
}


class Finess(Source):
    name = "finess"
    title = "FINESS, établissements sanitaires et sociaux (CMP, ESAT, MDPH)"
    producer = "Ministère chargé de la santé et des solidarités (DREES), répertoire FINESS"
    licence = "etalab-2.0"
    homepage = "https://finess.esante.gouv.fr"
    protocol = (
        "fichier CSV « stock des établissements » téléchargé depuis data.gouv.fr, séparateur « ; », lignes de "
        "sections sans en-tête (structureet, geolocalisation) ; sans authentification"
    )
    streams = ("etablissements",)
    settings = {"url": "https://www.data.gouv.fr/api/1/datasets/r/98f3161f-79ff-4f16-8f6a-6d571a80fea2"}
    vocab_inputs = {
        "reseaux_porteurs": "select categorie from stg_finess__structures",
        "types_voie": "select typvoie from stg_finess__structures",
    }
    fill_rates = (
        FillRate("structures", "adresse", 0.9),
        FillRate("structures", "telephone", 0.5),
        FillRate("structures", "siret", 0.5),
    )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        response = http.get(self.setting("url"))
        basename = urlsplit(response.url).path.rsplit("/", 1)[-1]
        name = basename if basename.lower().endswith(".csv") else "etablissements.csv"
        yield RawFile.from_response(name, "etablissements", response, "text/csv")

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        """`structureet` lines as records, each with its geolocation (if any) and the extraction date."""
        rows = csv_rows(self.name, file, delimiter=";")
        first = next(rows, None)
        if first is None:
            raise SourceError(
                f"{self.name}: file {file.name} is empty (expected a first line finess;etalab;<version>;<date>)"
            )
        line, cells = first
        if len(cells) < 4 or cells[:2] != ["finess", "etalab"] or not _DATE.match(cells[3]):
            raise SourceError(
                f"{self.name}: file {file.name}, line {line}: expected the first line finess;etalab;<version>;<date>, "
                f"found {';'.join(cells)[:80]!r}"
            )
        extracted = cells[3]
        establishments: list[dict[str, Any]] = []
        places: dict[str, dict[str, str]] = {}
        for line, cells in rows:
            section = cells[0]
            if section == "structureet":
                establishments.append(self._structureet(file, line, cells) | {"date_extraction": extracted})
            elif section == "geolocalisation":
                fields = self._fields(file, line, cells, GEOLOCALISATION)
                places[fields["nofinesset"]] = {k: fields[k] for k in ("coordxet", "coordyet", "sourcecoordet")}
            else:
                raise SourceError(f"{self.name}: file {file.name}, line {line}: unknown section {section[:40]!r}")
        for record in establishments:
            yield record | places.get(record["nofinesset"], {})

    def _fields(self, file: RawFile, line: int, cells: list[str], names: tuple[str, ...]) -> dict[str, str]:
        values = cells[1:]
        if len(values) == len(names) + 1 and values[-1] == "":
            values = values[:-1]  # the trailing `;` of every line
        if len(values) != len(names):
            raise SourceError(
                f"{self.name}: file {file.name}, line {line}: a {cells[0]} line has {len(values)} fields, "
                f"expected {len(names)} ({', '.join(names[:4])}, …)"
            )
        return dict(zip(names, values))

    def _structureet(self, file: RawFile, line: int, cells: list[str]) -> dict[str, str]:
        fields = self._fields(file, line, cells, STRUCTUREET)
        wrong = [f"{name} {fields[name][:30]!r}" for name, shape in _SHAPES.items() if not shape.match(fields[name])]
        if wrong:
            raise SourceError(
                f"{self.name}: file {file.name}, line {line}: the structureet line does not follow the expected "
                f"layout ({', '.join(wrong)})"
            )
        return fields


SOURCE = Finess()
