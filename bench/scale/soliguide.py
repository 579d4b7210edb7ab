"""Soliguide: places with their nested services, as the answers of its paged `POST /new-search`."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta, timezone

from pipeline.sources.soliguide.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

MIX = {"alimentaire": 30, "accueil-de-jour": 20, "ccas": 12, "association": 20, "centre-social": 6, "sante": 4,
       "departement": 5, "numerique": 3}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLOTS = ([{"start": 900, "end": 1200}, {"start": 1400, "end": 1700}], [{"start": 830, "end": 1230}],
         [{"start": 1000, "end": 1600}], [{"start": 1330, "end": 1800}], [{"start": 900, "end": 1230}, {"start": 1330, "end": 1700}])
SOURCES = ("Croix-Rouge française", "restos", "Conseil Départemental du 59", "Société Saint Vincent de Paul")


def _mapped_categories() -> tuple[list[str], list[str]]:
    """Legacy category codes whose category has a thématique, and every code."""
    folder = SOURCE.folder / "vocab"
    with (folder / "thematiques.csv").open(encoding="utf-8", newline="") as handle:
        covered = {row["source_value"] for row in csv.DictReader(handle) if row["schema_value"]}
    with (folder / "legacy_categories.csv").open(encoding="utf-8", newline="") as handle:
        legacy = {row["source_value"]: row["schema_value"] for row in csv.DictReader(handle)}
    return sorted(c for c, slug in legacy.items() if slug in covered), sorted(legacy)


class Soliguide(base.Generator):
    source = SOURCE
    national = {"lieux": 28_000, "services": 65_300}
    overlap = 0.05

    def __init__(self) -> None:
        places = base.sample_records(SOURCE, "lieux")
        self.places = base.Templates(places)
        self.service_templates = base.Templates([s for p in places for s in p.get("services_all") or []])
        self.pool = base.Pools(places)
        self.covered, self.categories = _mapped_categories()
        self.next_id = 100_000

    def hours(self, rng) -> Record:
        week = {"closedHolidays": rng.choice(("CLOSED", "OPEN", "UNKNOWN")), "description": None}
        slots = rng.choice(SLOTS)
        open_days = DAYS[:rng.choice((5, 5, 5, 6, 3, 7))]
        for day in DAYS:
            week[day] = {"open": day in open_days, "timeslot": slots if day in open_days else []}
        return week

    def service(self, ctx: Context, lieu_hours: Record) -> Record:
        rng = ctx.rng
        s = self.service_templates.draw(rng)
        code = rng.choice(self.covered) if rng.random() < 0.85 else rng.choice(self.categories)
        oid = f"{rng.getrandbits(96):024x}"
        s.update(
            categorie=int(code), serviceObjectId={"$oid": oid} if rng.random() < 0.5 else oid,
            description=ctx.noise.html(base.description(rng, 3)) if rng.random() < 0.4 else None,
            differentHours=rng.random() < 0.2,
        )
        s["hours"] = self.hours(rng) if s["differentHours"] else lieu_hours
        if rng.random() < 0.03:
            s["close"] = {"actif": True, "dateDebut": (ctx.plan.reference_date - timedelta(days=10)).isoformat(),
                          "dateFin": (ctx.plan.reference_date + timedelta(days=20)).isoformat()}
        return s

    def lieu(self, place: world.Place, ctx: Context, services: int) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.places.draw(rng)
        self.next_id += 1
        lieu_id = self.next_id
        c = place.commune
        full = f"{place.adresse}, {place.code_postal} {c.nom}" + (", France" if rng.random() < 0.5 else "")
        city_code = c.commune_code if rng.random() < 0.8 else place.code_postal
        position = r.get("position") or {}
        for key, value in (("adresse", full), ("address", full), ("codePostal", place.code_postal),
                           ("postalCode", place.code_postal), ("ville", c.nom), ("city", c.nom),
                           ("cityCode", city_code), ("departementCode", c.departement),
                           ("departmentCode", c.departement), ("complementAdresse", place.complement),
                           ("additionalInformation", place.complement)):
            if key in position:
                position[key] = value
        position["location"] = {"type": "Point", "coordinates": [place.longitude, place.latitude]}
        if "coordinates" in position:
            position["coordinates"] = {"x": place.longitude, "y": place.latitude}
        for key, value in (("codePostal", place.code_postal), ("ville", c.nom), ("address", full)):
            if key in r:
                r[key] = value
        if "location" in r:
            r["location"] = {"type": "Point", "coordinates": [place.longitude, place.latitude]}
        phones = [{"label": "", "phoneNumber": world.spaced_phone(place.telephone)}] if rng.random() < 0.7 else []
        updated = datetime.combine(ctx.updated(2), time(rng.randrange(24), rng.randrange(60)), timezone.utc)
        stamp = updated.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        hours = self.hours(rng)
        r.update(
            lieu_id=lieu_id, name=place.nom, seo_url=f"{world.slug(place.nom, 50)}-{lieu_id}",
            description=noise.html(base.description(rng)) if rng.random() < 0.85 else "",
            entity={**(r.get("entity") or {}), "mail": place.courriel if rng.random() < 0.5 else "",
                    "phones": phones, "website": place.site_web},
            position=position, newhours=hours,
            updatedAt={"$date": stamp} if isinstance(r.get("updatedAt"), dict) else stamp,
            publics=self.pool.one("publics", rng), modalities=self.pool.one("modalities", rng),
            sources=[{"name": rng.choice(SOURCES)}] if rng.random() < 0.1 else [],
            services_all=[self.service(ctx, hours) for _ in range(services)],
        )
        if "_id" in r:
            oid = f"{rng.getrandbits(96):024x}"
            r["_id"] = {"$oid": oid} if isinstance(r["_id"], dict) else oid
        roll = rng.random()
        if roll < 0.02:
            r["sources"] = [{"name": "dora"}]  # re-shared from DORA: left out
        elif roll < 0.022:
            position["pays"] = "es"
            r["country"] = "es"
        if noise.invalid():
            _invalidate(r, ctx)
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        rng = ctx.rng
        n = ctx.plan.count(self.national["lieux"])
        per_place = ctx.plan.count(self.national["services"]) / n
        lieux = []
        for _ in range(n):
            shared = ctx.shared("dora") if rng.random() < self.overlap else None
            place = shared or kinds.draw(ctx, "soliguide", kinds.pick(MIX, rng), siret_share=0)
            lieux.append(self.lieu(place, ctx, services=_services_count(per_place, rng)))
        for r in rng.sample(lieux, len(lieux) // 300):
            older = base.copy(r)  # the same place twice, an older copy: kept once
            older["name"] = older["name"] + " (ancienne fiche)"
            older["updatedAt"] = {"$date": "2023-01-02T10:00:00.000Z"} if isinstance(r["updatedAt"], dict) else \
                "2023-01-02T10:00:00.000Z"
            lieux.insert(rng.randrange(len(lieux)), older)
        return {"lieux": lieux}

    def files(self, spool, ctx):
        size = int(SOURCE.settings["page_size"])
        url = SOURCE.settings["url"].rstrip("/") + "/new-search"
        total = spool.count("lieux")
        return [(base.raw_file(f"lieux-{n:04d}.json", "lieux",
                               b'{"nbResults": %d, "places": [' % total + b",".join(page) + b"]}", url), len(page))
                for n, page in enumerate(base.pages(spool.rows("lieux"), total, size), start=1)]

    def record_id(self, stream, record):
        return str(record["lieu_id"])

    def entities(self, records):
        lieux = records["lieux"]
        return {"structures": len(lieux), "services": sum(len(r.get("services_all") or []) for r in lieux)}

    def modify(self, stream, record, ctx):
        r, rng = base.copy(record), ctx.rng
        change = rng.randrange(3)
        if change == 0:
            r["newhours"] = self.hours(rng)
        elif change == 1 and r["services_all"]:
            r["services_all"].pop(rng.randrange(len(r["services_all"])))
        else:
            r["services_all"].append(self.service(ctx, r["newhours"]))
        stamp = f"{ctx.yesterday().isoformat()}T17:00:00.000Z"
        r["updatedAt"] = {"$date": stamp} if isinstance(r.get("updatedAt"), dict) else stamp
        return r

    def add(self, stream, seen, ctx):
        # Places added on a day get ids of that day (20261129000001…), above any id the archive holds.
        self.next_id = max(self.next_id, int(f"{ctx.plan.reference_date:%Y%m%d}000"))
        place = kinds.draw(ctx, "soliguide", kinds.pick(MIX, ctx.rng), siret_share=0)
        return self.lieu(place, ctx, services=_services_count(2.3, ctx.rng))


def _services_count(mean: float, rng) -> int:
    """Services of a place: a few, sometimes none, sometimes many (mean `mean`)."""
    return min(int(rng.expovariate(1 / mean) + 0.5), 25)


def _invalidate(r: Record, ctx: Context) -> None:
    noise, kind = ctx.noise, ctx.rng.randrange(3)
    if kind == 0:
        r["entity"]["mail"] = noise.email(r["entity"].get("mail") or "contact@lieu.fr")
    elif kind == 1:
        r["entity"]["website"] = noise.url(r["entity"].get("website") or "")
    else:
        for key in ("codePostal", "postalCode"):
            if key in r["position"]:
                r["position"][key] = noise.postal_code(r["position"][key])
