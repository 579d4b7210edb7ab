"""Producers publishing in schema v1: a JSON file of structures and a CSV file of services (lists as JSON arrays)."""

from __future__ import annotations

import csv
import json
from pipeline.paths import SCHEMA_DIR
from pipeline.sources.data_inclusion.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

PRODUCERS = {"mission-locale": "mission-locale", "cd35": "departement", "agefiph": "association",
             "reseau-alpha": "association", "action-logement": "association", "cd72": "ccas"}
LISTS = ("thematiques", "publics", "modes_accueil", "zone_eligibilite", "modes_mobilisation", "mobilisable_par",
         "reseaux_porteurs")


def _referentiel(name: str) -> list[str]:
    with (SCHEMA_DIR / "referentiels" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [row["value"] for row in csv.DictReader(handle)]


class DataInclusion(base.Generator):
    source = SOURCE
    national = {"structures": 2_000, "services": 4_000}

    def __init__(self) -> None:
        self.structure_fields = list(base.sample_records(SOURCE, "structures")[0])
        self.services = base.sample_records(SOURCE, "services")
        self.service_fields = list(self.services[0])
        self.pool = base.Pools(self.services)
        self.values = {name: _referentiel(name) for name in ("thematiques", "publics", "modes_accueil", "frais",
                                                             "types_de_services", "modes_mobilisation")}

    def structure(self, producer: str, place: world.Place, ctx: Context) -> Record:
        rng, c = ctx.rng, place.commune
        r = dict.fromkeys(self.structure_fields)
        r.update(
            source=producer, id=f"{producer}--{ctx.uuid()[:8]}", nom=place.nom, date_maj=ctx.updated(2).isoformat(),
            description=base.description(rng) if rng.random() < 0.5 else None, siret=place.siret or None,
            commune=c.nom, code_postal=place.code_postal, code_insee=c.commune_code, adresse=place.adresse,
            complement_adresse=place.complement or None, longitude=place.longitude, latitude=place.latitude,
            telephone=place.telephone, courriel=place.courriel, site_web=place.site_web or None,
            horaires_accueil="Mo-Fr 09:00-12:00,14:00-17:00" if rng.random() < 0.4 else None,
            reseaux_porteurs=["mission-locale"] if producer == "mission-locale" else None,
        )
        if ctx.noise.invalid():
            r["courriel"] = ctx.noise.email(r["courriel"])
        return r

    def service(self, structure: Record, ctx: Context) -> Record:
        rng = ctx.rng
        r = dict.fromkeys(self.service_fields)
        thematiques = rng.sample(self.values["thematiques"], rng.randint(1, 4))
        r.update(
            source=structure["source"], structure_id=structure["id"], id=f"{structure['source']}--{ctx.uuid()[:12]}",
            nom=self.pool.one("nom", rng, "Accompagnement"), description=base.description(rng),
            date_maj=ctx.updated(2).isoformat(), type=rng.choice(self.values["types_de_services"]),
            thematiques=thematiques, frais=rng.choice(self.values["frais"]),
            publics=rng.sample(self.values["publics"][1:], rng.randint(1, 3)),
            modes_accueil=rng.sample(self.values["modes_accueil"], 1),
            zone_eligibilite=[structure["code_insee"][:2] if rng.random() < 0.5 else structure["code_insee"]],
            modes_mobilisation=rng.sample(self.values["modes_mobilisation"], rng.randint(1, 2)),
            mobilisable_par=["professionnels", "usagers"][:rng.randint(1, 2)],
            commune=structure["commune"], code_postal=structure["code_postal"], code_insee=structure["code_insee"],
            adresse=structure["adresse"], longitude=structure["longitude"], latitude=structure["latitude"],
            courriel=structure["courriel"], telephone=structure["telephone"],
        )
        if ctx.noise.invalid():
            r["thematiques"] = thematiques + ["numerique--cours-de-danse"]  # not in the référentiel
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        rng = ctx.rng
        structures = []
        for _ in range(ctx.plan.count(self.national["structures"])):
            producer = rng.choice(sorted(PRODUCERS))
            place = kinds.draw(ctx, "data-inclusion", PRODUCERS[producer])
            structures.append(self.structure(producer, place, ctx))
        services = [self.service(rng.choice(structures), ctx) for _ in range(ctx.plan.count(self.national["services"]))]
        return {"structures": structures, "services": services}

    def encode(self, stream, record):
        if stream == "structures":
            return super().encode(stream, record)
        return base.csv_line([_cell(record.get(k)) for k in self.service_fields])

    def files(self, spool, ctx):
        structures = base.json_array("structures.json", "structures", spool.rows("structures"), None)
        header = base.csv_line(self.service_fields)
        services = base.raw_file("services.csv", "services", header + b"".join(spool.rows("services")), None, "text/csv")
        return [(structures, spool.count("structures")), (services, spool.count("services"))]

    def read(self, file):
        records = super().read(file)
        if file.stream != "services":
            return records
        return [{k: (json.loads(v) if k in LISTS and v else v) for k, v in r.items()} for r in records]

    def record_id(self, stream, record):
        return record["id"]

    def modify(self, stream, record, ctx):
        r = dict(record)
        r["description"] = base.description(ctx.rng)
        r["date_maj"] = ctx.yesterday().isoformat()
        return r

    def add(self, stream, seen, ctx):
        if stream == "services" and seen.get("structures"):
            return self.service(ctx.rng.choice(seen["structures"]), ctx)
        producer = ctx.rng.choice(sorted(PRODUCERS))
        return self.structure(producer, kinds.draw(ctx, "data-inclusion", PRODUCERS[producer]), ctx)

    def orphan(self, stream, record, removed):
        return stream == "services" and record["structure_id"] in removed


def _cell(value: object) -> object:
    """Lists as a JSON array in the cell, as our own CSV files write them; empty cells for nothing."""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value
