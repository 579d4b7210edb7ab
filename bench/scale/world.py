"""Places on the map of France: real communes, postal codes, coordinates, plausible names and contacts.

A `Place` is one structure as it exists on the ground (a CCAS, a Mission
locale, a food bank…); each source renders it in its own format, and a place
two sources know is rendered twice, each time with that source's habits. The
communes and postal codes are the project's reference
(`pipeline/territory/reference/`): communes are drawn by population (Paris,
Lyon and Marseille by arrondissement), coordinates fall near the commune's
centre, within a radius that grows with its population.
"""

from __future__ import annotations

import csv
import math
import random
import re
import unicodedata
from bisect import bisect
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from stdnum import luhn

from bench import enrich_data

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "pipeline" / "territory" / "reference"
SAMPLE_STRUCTURES = ROOT / "bench" / "data" / "sample_structures.csv"
PLM = {"75056", "69123", "13055"}  # communes published by arrondissement

# Landline prefix by région (overseas by département); mobiles are 06/07.
PHONE_PREFIX = {"11": "01", "24": "02", "28": "02", "52": "02", "53": "02", "27": "03", "32": "03", "44": "03",
                "84": "04", "93": "04", "94": "04", "75": "05", "76": "05"}
OVERSEAS_PREFIX = {"971": "0590", "972": "0596", "973": "0594", "974": "0262", "976": "0269"}
STREET_TYPES = ("Rue", "Avenue", "Boulevard", "Place", "Chemin", "Route", "Allée", "Impasse", "Quai", "Cours")
COMPLEMENTS = ("Bâtiment B", "1er étage", "Rez-de-chaussée", "Résidence les Tilleuls", "BP 12", "Entrée par la cour",
               "Escalier C", "Maison des services", "Espace Jean Moulin", "Hôtel de ville")
CONSUMER_DOMAINS = ("orange.fr", "wanadoo.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr")


@dataclass(frozen=True)
class Commune:
    code_insee: str  # an arrondissement code for Paris, Lyon and Marseille
    commune_code: str  # the current commune (75056 for a Paris arrondissement)
    nom: str
    departement: str
    region: str
    siren: str
    codes_postaux: tuple[str, ...]
    population: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Place:
    """One structure on the ground, before any source writes it down."""

    key: str
    kind: str
    nom: str
    numero: str
    voie: str
    complement: str
    commune: Commune
    code_postal: str
    latitude: float
    longitude: float
    siret: str
    telephone: str
    courriel: str
    site_web: str

    @property
    def adresse(self) -> str:
        return f"{self.numero} {self.voie}".strip()


def strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str, most: int | None = None) -> str:
    """Lower-case ASCII words joined by hyphens, at most `most` characters (never ending with a hyphen)."""
    return re.sub(r"[^a-z0-9]+", "-", strip_accents(text).lower())[:most].strip("-")


@lru_cache(maxsize=1)
def communes() -> tuple[list[Commune], list[float]]:
    """Communes with a position, and cumulative population weights for drawing them."""
    with (REFERENCE / "communes.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = []
    for row in rows:
        if not row["latitude"] or row["code_insee"] in PLM:
            continue
        if row["type"] == "commune-actuelle":
            code, nom = row["code_insee"], row["nom"]
        elif row["type"] == "arrondissement-municipal":
            code, nom = row["commune_parente"], row["nom"].split(" ")[0]
        else:
            continue
        found.append(Commune(
            code_insee=row["code_insee"], commune_code=code, nom=nom, departement=row["code_departement"],
            region=row["code_region"], siren=row["siren"], codes_postaux=tuple(row["codes_postaux"].split("|")),
            population=max(int(row["population"] or 0), 1), latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        ))
    return found, list(accumulate(c.population for c in found))


@lru_cache(maxsize=1)
def streets() -> list[str]:
    """Street names of the real sample structures (numbers dropped), for addresses that read true."""
    names = set()
    with SAMPLE_STRUCTURES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            street = re.sub(r"^\s*\d+\s*(bis|ter|[a-c])?\s*,?\s*", "", row["adresse"] or "", flags=re.I).strip()
            if 6 <= len(street) <= 60 and street.split(" ")[0].capitalize() in STREET_TYPES:
                names.add(" ".join(w if w.isupper() and len(w) > 3 else w for w in street.split()))
    return sorted(names)


@lru_cache(maxsize=None)
def region_of(departement: str) -> str:
    return next((c.region for c in communes()[0] if c.departement == departement), "")


def draw_commune(rng: random.Random) -> Commune:
    found, weights = communes()
    return found[min(bisect(weights, rng.random() * weights[-1]), len(found) - 1)]


def position(commune: Commune, rng: random.Random) -> tuple[float, float]:
    """A point near the commune's centre: uniform in a disc of 0.4 km (villages) to 4 km (cities)."""
    radius_km = min(4.0, 0.4 + 0.8 * math.sqrt(commune.population / 10_000))
    distance, angle = radius_km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    latitude = commune.latitude + distance * math.cos(angle) / 111.0
    longitude = commune.longitude + distance * math.sin(angle) / (111.0 * math.cos(math.radians(commune.latitude)))
    return round(latitude, 6), round(longitude, 6)


def phone(commune: Commune, rng: random.Random, mobile_share: float = 0.15) -> str:
    if commune.departement in OVERSEAS_PREFIX:
        return OVERSEAS_PREFIX[commune.departement] + f"{rng.randrange(10**6):06d}"
    prefix = rng.choice(("06", "07")) if rng.random() < mobile_share else PHONE_PREFIX.get(commune.region, "01")
    return prefix + f"{rng.randrange(10**8):08d}"


def siret(rng: random.Random, siren: str | None = None) -> str:
    """A SIRET with a valid Luhn key (of the given SIREN, else of a new one)."""
    if not siren:
        body = rng.choice("123456789") + f"{rng.randrange(10**7):07d}"
        siren = body + luhn.calc_check_digit(body)
    nic = f"{rng.randrange(1, 10**4):04d}"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def street(rng: random.Random) -> tuple[str, str]:
    """(number, street) of an address; some places have no number (a square, a lieu-dit)."""
    pool = streets()
    name = rng.choice(pool) if pool and rng.random() < 0.7 else (
        f"{rng.choice(STREET_TYPES)} {rng.choice(STREET_PEOPLE)}")
    roll = rng.random()
    number = "" if roll < 0.08 else f"{rng.randrange(1, 60)} bis" if roll < 0.11 else str(min(int(rng.paretovariate(1.1)), 240))
    return number, name


STREET_PEOPLE = ("Jean Jaurès", "Victor Hugo", "de la République", "du Général de Gaulle", "Pasteur", "Jean Moulin",
                 "de la Gare", "de la Mairie", "des Écoles", "Gambetta", "Aristide Briand", "Émile Zola", "du Stade",
                 "de la Liberté", "Jules Ferry", "Louise Michel", "des Lilas", "du Moulin", "de l'Église", "Carnot")


def domain_of(nom: str, commune: Commune) -> str:
    """A web domain of the place: two words of its name and its commune (a CCAS of each town has its own)."""
    town = slug(commune.nom)
    words = [w for w in slug(nom).split("-") if len(w) > 2 and w not in town.split("-")][:2]
    return "-".join([*words, town]) + (".org" if len(nom) % 3 == 0 else ".fr")


def make_place(key: str, kind: str, nom: str, commune: Commune, rng: random.Random,
               siren: str | None = None, siret_share: float = 0.8) -> Place:
    """A place of the given kind and name in a commune, with an address, contacts and usually a SIRET."""
    latitude, longitude = position(commune, rng)
    number, voie = street(rng)
    domain = domain_of(nom, commune)
    local = rng.choice(("contact", "accueil", "secretariat", "direction", "info"))
    courriel = f"{local}@{domain}" if rng.random() < 0.85 else \
        f"{slug(nom, 14)}.{slug(commune.nom, 12)}@{rng.choice(CONSUMER_DOMAINS)}"
    return Place(
        key=key, kind=kind, nom=nom, numero=number, voie=voie,
        complement=rng.choice(COMPLEMENTS) if rng.random() < 0.15 else "",
        commune=commune, code_postal=rng.choice(commune.codes_postaux), latitude=latitude, longitude=longitude,
        siret=siret(rng, siren) if rng.random() < siret_share else "",
        telephone=phone(commune, rng), courriel=courriel,
        site_web=f"https://www.{domain}" if rng.random() < 0.5 else "",
    )


def as_written_elsewhere(place: Place, rng: random.Random) -> Place:
    """The same place as another producer writes it: abbreviations, case, typos, other phone format, moved a little."""
    latitude = place.latitude + rng.gauss(0, 40 / 111_000)
    longitude = place.longitude + rng.gauss(0, 40 / 111_000)
    voie = enrich_data._perturb_address(place.voie, rng) or place.voie
    return replace(
        place,
        nom=enrich_data._perturb_name(place.nom, rng),
        voie=voie,
        complement="" if rng.random() < 0.5 else place.complement,
        latitude=round(latitude, 6), longitude=round(longitude, 6),
        siret="" if rng.random() < 0.4 else place.siret,
        telephone=enrich_data._format_phone(place.telephone, rng) if rng.random() < 0.7 else "",
        courriel=place.courriel.upper() if rng.random() < 0.1 else place.courriel if rng.random() < 0.6 else "",
        site_web=place.site_web.replace("https://www.", "http://") if rng.random() < 0.5 else place.site_web,
    )


def spaced_phone(number: str) -> str:
    """`04 50 56 87 49`, as many producers write it."""
    digits = "".join(c for c in number if c.isdigit())
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2)) if len(digits) == 10 else number
