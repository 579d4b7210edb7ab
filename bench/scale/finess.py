"""FINESS: the établissements stock file (`;`, no header, `structureet` and `geolocalisation` sections)."""

from __future__ import annotations

import csv
import math
from pipeline.sources.finess.source import GEOLOCALISATION, SOURCE, STRUCTUREET

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

OVERSEAS = {"971": "9A", "972": "9B", "973": "9C", "974": "9D", "976": "9F"}
STREET_CODES = {"Rue": "R", "Avenue": "AV", "Boulevard": "BD", "Place": "PL", "Chemin": "CHE", "Route": "RTE",
                "Allée": "ALL", "Impasse": "IMP", "Quai": "QUAI", "Cours": "CRS"}
# (category, kind of place, share): CMP, ESAT and MDPH are published; the others are out of scope.
KEPT = (("156", "sante", 0.37), ("246", "esat", 0.26), ("609", "mdph", 0.02))


def _categories() -> dict[str, str]:
    """Category code -> label, from the notes of the source's vocabulary."""
    with (SOURCE.folder / "vocab" / "reseaux_porteurs.csv").open(encoding="utf-8", newline="") as handle:
        return {row["source_value"]: row["note"].split(":")[0] for row in csv.DictReader(handle)}


def lambert93(latitude: float, longitude: float) -> tuple[float, float]:
    """WGS 84 to Lambert 93 (IGN's conic projection formulas), as FINESS gives metropolitan coordinates."""
    e, n, c, xs, ys = 0.0818191910428158, 0.7256077650, 11754255.426, 700000.0, 12655612.050
    phi, lam = math.radians(latitude), math.radians(longitude - 3.0)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - e * math.sin(phi)) / (1 + e * math.sin(phi))) ** (e / 2))
    r = c * math.exp(-n * iso)
    return round(xs + r * math.sin(n * lam), 1), round(ys - r * math.cos(n * lam), 1)


class Finess(base.Generator):
    source = SOURCE
    national = {"etablissements": 5_400}

    def __init__(self) -> None:
        self.labels = _categories()
        self.out_of_scope = sorted(c for c in self.labels if c not in {k[0] for k in KEPT})
        self.numbers: set[str] = set()

    def etablissement(self, place: world.Place, category: str, ctx: Context) -> Record:
        rng, c = ctx.rng, place.commune
        departement = OVERSEAS.get(c.departement, c.departement)
        first, _, rest = place.voie.partition(" ")
        code = STREET_CODES.get(first.capitalize(), "")
        name = world.strip_accents(place.nom).upper()
        opened = ctx.updated(30)
        prefix = "98" if c.departement == "976" else c.departement[:2]  # 97… overseas, 98… Mayotte
        number = f"{prefix}{rng.randrange(10**7):07d}"
        while number in self.numbers:  # FINESS numbers are unique
            number = f"{prefix}{rng.randrange(10**7):07d}"
        self.numbers.add(number)
        record = {
            "nofinesset": number, "nofinessej": f"{prefix}{rng.randrange(10**7):07d}",
            "rs": name[:38], "rslongue": name, "complrs": "", "compldistrib": world.strip_accents(place.complement).upper(),
            "numvoie": place.numero.split(" ")[0], "typvoie": code,
            "voie": world.strip_accents(rest if code else place.voie).upper(), "compvoie": "B" if "bis" in place.numero else "",
            "lieuditbp": "", "commune": c.code_insee[2:], "departement": departement, "libdepartement": "",
            "ligneacheminement": f"{place.code_postal} {world.strip_accents(c.nom).upper()}"
                                 + (" CEDEX" if rng.random() < 0.05 else ""),
            "telephone": place.telephone if rng.random() < 0.8 else "", "telecopie": "",
            "categetab": category, "libcategetab": self.labels.get(category, ""), "categagretab": "", "libcategagretab": "",
            "siret": place.siret, "codeape": "", "codemft": "", "libmft": "", "codesph": "", "libsph": "",
            "dateouv": opened.isoformat(), "dateautor": opened.isoformat(), "datemaj": ctx.updated(3).isoformat(),
        }
        if ctx.noise.invalid():
            record["ligneacheminement"] = ctx.noise.postal_code(place.code_postal) + " " + record["ligneacheminement"][6:]
        if c.departement not in OVERSEAS:
            record["coordxet"], record["coordyet"] = lambert93(place.latitude, place.longitude)
            record["sourcecoordet"] = "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"
        return record

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        rng = ctx.rng
        records = []
        for _ in range(ctx.plan.count(self.national["etablissements"])):
            roll, category, kind = rng.random(), None, "sante"
            for code, place_kind, share in KEPT:
                if roll < share:
                    category, kind = code, place_kind
                    break
                roll -= share
            place = kinds.draw(ctx, "finess", kind, siret_share=0.7)
            records.append(self.etablissement(place, category or rng.choice(self.out_of_scope), ctx))
        return {"etablissements": records}

    def encode(self, stream, record):
        """The `structureet` line, and the `geolocalisation` line after a tab (the file puts them in two sections)."""
        line = base.csv_line(["structureet", *(record[k] for k in STRUCTUREET), ""], ";")
        if "coordxet" in record:
            line += b"\t" + base.csv_line(["geolocalisation", record["nofinesset"],
                                           *(str(record[k]) for k in GEOLOCALISATION[1:4]), record["datemaj"], ""], ";")
        return line

    def files(self, spool, ctx):
        first = base.csv_line(["finess", "etalab", "111", ctx.plan.reference_date.isoformat()], ";")
        rows = [row.split(b"\t", 1) for row in spool.rows("etablissements")]
        content = first + b"".join(r[0] for r in rows) + b"".join(r[1] for r in rows if len(r) > 1)
        name = f"etalab-cs1100507-stock-{ctx.plan.reference_date:%Y%m%d}.csv"
        return [(base.raw_file(name, "etablissements", content, SOURCE.settings["url"], "text/csv"), len(rows))]

    def record_id(self, stream, record):
        return record["nofinesset"]

    def entities(self, records):
        rows = records["etablissements"]
        return {"structures": len(rows), "services": sum(r["categetab"] == "156" for r in rows)}

    def modify(self, stream, record, ctx):
        r = dict(record)
        r["telephone"] = world.phone(world.draw_commune(ctx.rng), ctx.rng, mobile_share=0)
        r["datemaj"] = ctx.yesterday().isoformat()
        return r

    def read(self, file):
        records = super().read(file)
        self.numbers.update(r["nofinesset"] for r in records)
        return records

    def add(self, stream, seen, ctx):
        code, kind, _ = ctx.rng.choice(KEPT[:2])
        return self.etablissement(kinds.draw(ctx, "finess", kind), code, ctx)
