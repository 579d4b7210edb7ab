"""Labelled linkage data built from the real sample structures (`bench/data/sample_structures.csv`).

- `benchmark(seed)`: the real records; for most of them a copy as another
  source would publish it (typos, abbreviations, accents and case, missing
  SIRET, moved or missing coordinates, other phone and address formatting),
  labelled as matches; "same building" decoys (another structure at the same
  address, sometimes of the same SIREN) and real neighbours (other records of
  the same postal code in the same source) labelled as non-matches.
- `national(n, seed)`: n structures spread over French communes by
  population, for the speed benchmark.

Everything is drawn from a seeded `random.Random`: same seed, same data.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from stdnum import luhn

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "data" / "sample_structures.csv"
COMMUNES = HERE.parent / "pipeline" / "territory" / "reference" / "communes.csv"
COLUMNS = ("source", "id", "nom", "adresse", "complement_adresse", "code_postal", "code_insee", "commune",
           "latitude", "longitude", "siret", "telephone", "courriel", "site_web")

STREET_ABBREVIATIONS = {"rue": "r.", "avenue": "av.", "boulevard": "bd", "place": "pl.", "chemin": "ch.",
                        "route": "rte", "allée": "all.", "impasse": "imp.", "saint": "st", "sainte": "ste",
                        "général": "gal", "square": "sq."}
NAME_VARIANTS = [("France services", "Espace France Services"), ("France services", "Maison France Services"),
                 ("France Services", "MFS"), ("Centre communal d'action sociale", "CCAS"), ("Association", "Asso"),
                 ("Saint", "St"), ("Mission locale", "ML"), ("Communauté de communes", "CC")]
DECOY_NAMES = ["Mairie de {commune}", "CCAS de {commune}", "Médiathèque de {commune}", "Mission locale de {commune}",
               "Agence postale communale", "Centre social {commune}", "Maison des associations",
               "Office de tourisme de {commune}", "Point information jeunesse", "Secours populaire {commune}"]


@dataclass
class Benchmark:
    records: list[dict[str, str]] = field(default_factory=list)
    pairs: list[tuple[str, str, bool, str]] = field(default_factory=list)  # (id, id, is match, kind)


def base_records() -> list[dict[str, str]]:
    with SAMPLES.open(encoding="utf-8", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _typo(text: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 6:
        return text
    i = rng.choice(letters[2:])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + rng.choice("aeiourstnl") + text[i + 1:]


def _format_phone(phone: str, rng: random.Random) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10:
        return phone
    style = rng.randrange(3)
    if style == 0:
        return "+33" + digits[1:]
    if style == 1:
        return ".".join(digits[i:i + 2] for i in range(0, 10, 2))
    return digits


def _perturb_name(name: str, rng: random.Random) -> str:
    for old, new in NAME_VARIANTS:
        if old.lower() in name.lower() and rng.random() < 0.5:
            start = name.lower().index(old.lower())
            name = name[:start] + new + name[start + len(old):]
            break
    if rng.random() < 0.3:
        name = _typo(name, rng)
    if rng.random() < 0.3:
        name = name.upper()
    if rng.random() < 0.4:
        name = _strip_accents(name)
    return name


def _perturb_address(address: str, rng: random.Random) -> str:
    if not address or rng.random() < 0.05:
        return ""
    words = address.split(" ")
    if rng.random() < 0.6:
        words = [STREET_ABBREVIATIONS.get(w.lower(), w) for w in words]
    address = " ".join(words)
    if rng.random() < 0.15:
        address = _typo(address, rng)
    if rng.random() < 0.3:
        address = _strip_accents(address).upper()
    return address


def _move(value: str, rng: random.Random, metres: float) -> str:
    if not value:
        return value
    return f"{float(value) + rng.gauss(0, metres / 111_000):.6f}"


def copy_of(record: dict[str, str], rng: random.Random, source: str) -> dict[str, str]:
    """The same structure as another source would publish it."""
    out = dict(record)
    out["source"] = source
    out["id"] = f"{source}--{record['id'].split('--', 1)[1]}"
    out["nom"] = _perturb_name(record["nom"], rng)
    out["adresse"] = _perturb_address(record["adresse"], rng)
    if rng.random() < 0.5:
        out["siret"] = ""
    roll = rng.random()
    if roll < 0.2:
        out["latitude"] = out["longitude"] = ""
    elif roll < 0.25:
        out["latitude"], out["longitude"] = _move(record["latitude"], rng, 800), _move(record["longitude"], rng, 800)
    else:
        out["latitude"], out["longitude"] = _move(record["latitude"], rng, 60), _move(record["longitude"], rng, 60)
    out["telephone"] = "" if rng.random() < 0.4 else _format_phone(record["telephone"], rng)
    out["courriel"] = "" if rng.random() < 0.5 else record["courriel"].lower()
    if rng.random() < 0.3:
        out["code_insee"] = ""
    if record["site_web"] and rng.random() < 0.5:
        out["site_web"] = record["site_web"].replace("https://", "http://").replace("://www.", "://")
    return out


def _other_siret(siret: str, rng: random.Random) -> str:
    """Another établissement of the same SIREN (a commune's services share it)."""
    siren = siret[:9]
    nic = f"{rng.randrange(1, 9999):04d}"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def decoy_of(record: dict[str, str], rng: random.Random, source: str, phones: list[str], number: int) -> dict[str, str]:
    """Another structure in the same building: same address and place, other name and contacts."""
    out = dict(record)
    out["source"] = source
    out["id"] = f"{source}--decoy-{number}"
    out["nom"] = rng.choice(DECOY_NAMES).format(commune=record["commune"] or "la ville")
    out["adresse"] = _perturb_address(record["adresse"], rng) if rng.random() < 0.5 else record["adresse"]
    out["latitude"], out["longitude"] = _move(record["latitude"], rng, 20), _move(record["longitude"], rng, 20)
    out["telephone"] = rng.choice(phones)
    out["courriel"] = ""
    out["site_web"] = ""
    roll = rng.random()
    if record["siret"] and roll < 0.3:
        out["siret"] = _other_siret(record["siret"], rng)
    elif roll < 0.9:
        out["siret"] = ""
    return out  # else the producer gave the parent organisation's SIRET, as happens


def _same_organisation(a: dict[str, str], b: dict[str, str]) -> bool:
    """Records of one source that share a SIRET or a name are left out of the non-matches (possible duplicates)."""
    def key(name: str) -> str:
        return " ".join(_strip_accents(name).lower().replace("-", " ").split())
    return bool(a["siret"] and a["siret"] == b["siret"]) or key(a["nom"]) == key(b["nom"])


def benchmark(seed: int, copy_share: float = 0.6, decoy_share: float = 0.25) -> Benchmark:
    rng = random.Random(seed)
    bench = Benchmark()
    base = base_records()
    phones = [r["telephone"] for r in base if r["telephone"]]
    bench.records.extend(base)
    by_place: dict[tuple[str, str], list[dict[str, str]]] = {}
    for record in base:
        by_place.setdefault((record["source"], record["code_postal"]), []).append(record)
    for number, record in enumerate(base):
        if rng.random() < copy_share:
            copy = copy_of(record, rng, "copie")
            bench.records.append(copy)
            bench.pairs.append((record["id"], copy["id"], True, "copie"))
        if rng.random() < decoy_share and record["adresse"]:
            decoy = decoy_of(record, rng, "voisin", phones, number)
            bench.records.append(decoy)
            bench.pairs.append((record["id"], decoy["id"], False, "meme-batiment"))
        neighbours = [r for r in by_place.get((record["source"], record["code_postal"]), [])
                      if r["id"] > record["id"] and not _same_organisation(r, record)]
        for other in rng.sample(neighbours, min(1, len(neighbours))):
            bench.pairs.append((record["id"], other["id"], False, "voisin"))
    return bench


def national(n: int, seed: int) -> list[dict[str, str]]:
    """n structures over communes weighted by population: each a sample record moved to another commune."""
    rng = random.Random(seed)
    base = base_records()
    with COMMUNES.open(encoding="utf-8", newline="") as handle:
        communes = [c for c in csv.DictReader(handle) if c["type"] == "commune-actuelle" and c["codes_postaux"]]
    weights = [int(c["population"] or 0) + 50 for c in communes]
    places = rng.choices(communes, weights=weights, k=n)
    records = []
    for i, place in enumerate(places):
        template = base[i % len(base)]
        record = copy_of(template, rng, "national") if rng.random() < 0.1 else dict(template)
        record["id"] = f"national--{i:06d}"
        # Identifiers of a structure are its own: a template reused elsewhere gets new ones.
        siren = f"8{i:07d}"
        siren += luhn.calc_check_digit(siren)
        record["siret"] = "" if rng.random() < 0.4 else siren + "0001" + luhn.calc_check_digit(siren + "0001")
        record["telephone"] = "" if rng.random() < 0.3 else f"0{rng.choice('12345')}{i:08d}"
        record["courriel"] = "" if rng.random() < 0.5 else f"contact{i}@structure{i}.fr"
        record["site_web"] = "" if rng.random() < 0.6 else f"https://structure{i}.fr"
        record["source"] = rng.choice(["dora", "emplois-de-linclusion", "mediation-numerique", "france-services"])
        record["code_insee"] = place["code_insee"]
        record["code_postal"] = rng.choice(place["codes_postaux"].replace("|", ";").split(";"))
        record["commune"] = place["nom"]
        record["latitude"] = _move(place["latitude"], rng, 1500) if place["latitude"] else ""
        record["longitude"] = _move(place["longitude"], rng, 1500) if place["longitude"] else ""
        records.append(record)
    return records
