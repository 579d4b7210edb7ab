"""National-scale synthetic files in schema v1 (CSV, as we publish them), with a share of invalid values.

Deterministic for a seed. About `invalid_share` of the records get one
invalid value, drawn from the mistakes producers make (a date written
14/02/2025, a code postal of 4 digits, an unknown thématique, a missing
description, a duplicate id, an unknown structure…). The files come with a
`datapackage.json` so that `frictionless validate` checks the foreign key too.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

from pipeline.paths import SCHEMA_DIR
from pipeline.quality import tables
from pipeline.territory.reference import REFERENCE_DIR

SOURCES = ("dora", "emplois-de-linclusion", "soliguide", "mediation-numerique", "france-travail")
WORDS = ("accompagnement emploi insertion atelier numérique logement santé famille mobilité formation "
         "jeunes femmes accueil conseil solidarité quartier association centre social aide démarches "
         "administratives budget alimentation vélo permis parentalité handicap orientation écoute lien").split()
DOMAINS = ("exemple.fr", "asso-solidaire.org", "mairie-ville.fr", "insertion.example.com", "centre-social.fr")
Row = dict[str, str]


def _referentiel(name: str) -> list[str]:
    with (SCHEMA_DIR / "referentiels" / f"{name}.csv").open(encoding="utf-8") as handle:
        return [row["value"] for row in csv.DictReader(handle)]


def _communes() -> list[tuple[str, str, str, float, float]]:
    out = []
    with (REFERENCE_DIR / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type"] == "commune-actuelle" and row["codes_postaux"] and row["latitude"]:
                out.append((row["code_insee"], row["nom"], row["codes_postaux"].split("|")[0],
                            float(row["latitude"]), float(row["longitude"])))
    return out


@dataclass
class Generator:
    seed: int
    reference_date: date
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.communes = _communes()
        self.thematiques = _referentiel("thematiques")
        self.publics = [p for p in _referentiel("publics") if p != "tous-publics"]
        self.reseaux = _referentiel("reseaux_porteurs")
        self.types = _referentiel("types_de_services")

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high)))

    def sentence_text(self, low: int, high: int) -> str:
        text = self.words(low, high).capitalize() + "."
        return text

    def date(self) -> str:
        days = self.rng.randint(0, 8 * 365)
        return (self.reference_date - timedelta(days=days)).isoformat()

    def uid(self) -> str:
        return f"{self.rng.getrandbits(64):016x}-{self.rng.getrandbits(32):08x}"

    def maybe(self, share: float, value: Callable[[], str]) -> str:
        return value() if self.rng.random() < share else ""

    def listing(self, values: list[str], low: int, high: int) -> str:
        return json.dumps(sorted(self.rng.sample(values, self.rng.randint(low, high))), separators=(",", ":"),
                          ensure_ascii=False)

    def place(self) -> Row:
        code_insee, commune, code_postal, lat, lon = self.rng.choice(self.communes)
        return {
            "commune": commune, "code_postal": code_postal, "code_insee": code_insee,
            "adresse": f"{self.rng.randint(1, 200)} rue {self.words(1, 3)}",
            "complement_adresse": self.maybe(0.3, lambda: f"bâtiment {self.rng.choice('ABCD')}"),
            "longitude": f"{lon + self.rng.uniform(-0.02, 0.02):.6f}",
            "latitude": f"{lat + self.rng.uniform(-0.02, 0.02):.6f}",
        }

    def contact(self, slug: str) -> Row:
        domain = self.rng.choice(DOMAINS)
        return {
            "telephone": self.maybe(0.8, lambda: f"0{self.rng.randint(1, 9)} "
                                    + " ".join(f"{self.rng.randint(10, 99)}" for _ in range(4))),
            "courriel": self.maybe(0.7, lambda: f"contact.{slug}@{domain}"),
        }

    def structure(self, number: int) -> Row:
        source = SOURCES[number % len(SOURCES)]
        slug = f"s{number}"
        row = {
            "source": source, "id": f"{source}--{self.uid()}", "nom": self.words(2, 6).capitalize(),
            "date_maj": self.date(), "description": self.maybe(0.8, lambda: self.sentence_text(6, 80)),
            "lien_source": f"https://{source}.example.org/structures/{slug}",
            "siret": self.maybe(0.7, lambda: f"{self.rng.randint(10**13, 10**14 - 1)}"),
            **self.place(), **self.contact(slug),
            "site_web": self.maybe(0.5, lambda: f"https://www.{self.rng.choice(DOMAINS)}/{slug}"),
            "horaires_accueil": self.maybe(0.4, lambda: "Mo-Fr 09:00-12:00,14:00-17:00; PH off"),
            "accessibilite_lieu": self.maybe(0.2, lambda: f"https://acceslibre.beta.gouv.fr/app/erp/{slug}/"),
            "reseaux_porteurs": self.maybe(0.5, lambda: self.listing(self.reseaux, 1, 2)),
        }
        return row

    def service(self, number: int, structure: Row) -> Row:
        slug = f"v{number}"
        publics = (json.dumps(["tous-publics"]) if self.rng.random() < 0.3
                   else self.listing(self.publics, 1, 3))
        row = {
            "source": structure["source"], "structure_id": structure["id"],
            "id": f"{structure['source']}--{self.uid()}", "nom": self.words(2, 7).capitalize(),
            "description": self.sentence_text(6, 120),
            "lien_source": f"https://{structure['source']}.example.org/services/{slug}",
            "date_maj": self.date(), "type": self.maybe(0.8, lambda: self.rng.choice(self.types)),
            "thematiques": self.maybe(0.9, lambda: self.listing(self.thematiques, 1, 4)),
            "frais": self.maybe(0.8, lambda: self.rng.choice(["gratuit", "gratuit", "payant"])),
            "frais_precisions": self.maybe(0.2, lambda: "Adhésion annuelle de 10 €"),
            "publics": self.maybe(0.85, lambda: publics),
            "publics_precisions": self.maybe(0.2, lambda: self.sentence_text(4, 15)),
            "conditions_acces": self.maybe(0.3, lambda: self.sentence_text(4, 20)),
            **self.place(), **self.contact(slug),
            "modes_accueil": self.maybe(0.9, lambda: self.listing(["a-distance", "en-presentiel"], 1, 2)),
            "zone_eligibilite": self.maybe(0.7, lambda: json.dumps([structure["code_insee"][:2]])),
            "contact_nom_prenom": self.maybe(0.1, lambda: "Camille Martin"),
            "lien_mobilisation": self.maybe(0.4, lambda: f"https://rdv.example.org/{slug}?source=di"),
            "modes_mobilisation": self.maybe(0.8, lambda: self.listing(
                ["envoyer-un-courriel", "se-presenter", "telephoner", "utiliser-lien-mobilisation"], 1, 3)),
            "mobilisable_par": self.maybe(0.8, lambda: self.listing(["professionnels", "usagers"], 1, 2)),
            "mobilisation_precisions": self.maybe(0.2, lambda: self.sentence_text(4, 20)),
            "volume_horaire_hebdomadaire": self.maybe(0.3, lambda: f"{self.rng.randint(1, 35)}.5"),
            "nombre_semaines": self.maybe(0.3, lambda: str(self.rng.randint(1, 52))),
            "horaires_accueil": self.maybe(0.4, lambda: "Mo,We 14:00-18:00"),
        }
        return row


# One invalid value each: (table, what is broken, how). Some break only schema v1 rules.
STRUCTURE_MISTAKES: list[tuple[str, Callable[[Row, Row | None], None]]] = [
    ("nom trop court", lambda r, p: r.update(nom="AB")),
    ("nom trop long", lambda r, p: r.update(nom="N" * 151)),
    ("nom absent", lambda r, p: r.update(nom="")),
    ("date au format français", lambda r, p: r.update(date_maj="14/02/2025")),
    ("date avant 2000", lambda r, p: r.update(date_maj="1999-12-31")),
    ("date dans le futur", lambda r, p: r.update(date_maj="2031-05-01")),
    ("siret avec espaces", lambda r, p: r.update(siret="130 030 133 00016")),
    ("code postal à 4 chiffres", lambda r, p: r.update(code_postal="7500")),
    ("courriel tronqué", lambda r, p: r.update(courriel="contact@")),
    ("site sans protocole", lambda r, p: r.update(site_web="www.example.org")),
    ("lien ftp", lambda r, p: r.update(lien_source="ftp://example.org/fiche")),
    ("réseau en majuscules", lambda r, p: r.update(reseaux_porteurs='["CAF"]')),
    ("réseau hors liste JSON", lambda r, p: r.update(reseaux_porteurs="caf, ccas")),
    ("description trop courte", lambda r, p: r.update(description="abc")),
    ("longitude en lettres", lambda r, p: r.update(longitude="est")),
    ("latitude hors limites", lambda r, p: r.update(latitude="200")),
    ("identifiant en double", lambda r, p: r.update(id=p["id"]) if p else None),
    ("identifiant sans source", lambda r, p: r.update(id=r["id"].split("--", 1)[1])),
]
SERVICE_MISTAKES: list[tuple[str, Callable[[Row, Row | None], None]]] = [
    ("structure inconnue", lambda r, p: r.update(structure_id=r["source"] + "--inconnue")),
    ("type v0", lambda r, p: r.update(type="accueil")),
    ("frais v0", lambda r, p: r.update(frais="gratuit-sous-conditions")),
    ("thématique catégorie", lambda r, p: r.update(thematiques='["numerique"]')),
    ("publics vide", lambda r, p: r.update(publics="[]")),
    ("tous-publics combiné", lambda r, p: r.update(publics='["femmes","tous-publics"]')),
    ("zone en majuscules", lambda r, p: r.update(zone_eligibilite='["FRANCE"]')),
    ("semaines décimales", lambda r, p: r.update(nombre_semaines="2.5")),
    ("semaines à zéro", lambda r, p: r.update(nombre_semaines="0")),
    ("volume négatif", lambda r, p: r.update(volume_horaire_hebdomadaire="-1")),
    ("mobilisable par autres", lambda r, p: r.update(mobilisable_par='["autres","usagers"]')),
    ("description absente", lambda r, p: r.update(description="")),
    ("mois 13", lambda r, p: r.update(date_maj="2025-13-01")),
    ("code commune à 4 caractères", lambda r, p: r.update(code_insee="7505")),
]


def write_csv(path: Path, table: str, rows: list[Row]) -> None:
    names = tables.field_names(table)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([row.get(n, "") for n in names])


def generate(directory: Path, structures: int = 100_000, services: int = 140_000, invalid_share: float = 0.01,
             seed: int = 2026, reference_date: date = date(2026, 11, 28)) -> dict[str, Any]:
    """Write structures.csv, services.csv, their schemas and datapackage.json; say what was broken."""
    directory.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed, reference_date)
    broken: dict[str, int] = {}
    structure_rows: list[Row] = []
    for number in range(structures):
        row = gen.structure(number)
        if gen.rng.random() < invalid_share:
            name, mistake = gen.rng.choice(STRUCTURE_MISTAKES)
            mistake(row, structure_rows[-1] if structure_rows else None)
            broken[name] = broken.get(name, 0) + 1
        structure_rows.append(row)
    service_rows: list[Row] = []
    for number in range(services):
        row = gen.service(number, gen.rng.choice(structure_rows))
        if gen.rng.random() < invalid_share:
            name, mistake = gen.rng.choice(SERVICE_MISTAKES)
            mistake(row, None)
            broken[name] = broken.get(name, 0) + 1
        service_rows.append(row)
    write_csv(directory / "structures.csv", "structures", structure_rows)
    write_csv(directory / "services.csv", "services", service_rows)
    (directory / "schema").mkdir(exist_ok=True)
    for table in ("structures", "services"):
        shutil.copy(SCHEMA_DIR / f"{table}.schema.json", directory / "schema" / f"{table}.schema.json")
    package = {
        "name": "bench-validation",
        "resources": [
            {"name": table, "type": "table", "path": f"{table}.csv", "format": "csv", "encoding": "utf-8",
             "schema": f"schema/{table}.schema.json"}
            for table in ("structures", "services")
        ],
    }
    (directory / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
    return {"structures": structures, "services": services, "broken": dict(sorted(broken.items()))}
