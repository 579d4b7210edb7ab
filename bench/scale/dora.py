"""DORA: structures and services as its API pages them (`results`/`next`), in the shape of the bundled sample."""

from __future__ import annotations

import re
from datetime import timedelta

from pipeline.sources.dora.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

MIX = {"association": 28, "ccas": 12, "mission-locale": 4, "centre-social": 10, "iae": 12, "france-services": 4,
       "numerique": 6, "departement": 7, "plie": 3, "france-travail": 2, "alimentaire": 8, "mairie": 4}
ZONES = ("Commune", "Commune", "Département", "Département", "Département", "Région", "France entière")


def _vocab_objects(name: str) -> list[dict[str, str]]:
    return [{"label": v, "value": v} for v in base.vocab_values(SOURCE, name)]


class Dora(base.Generator):
    source = SOURCE
    national = {"structures": 26_000, "services": 45_000}

    def __init__(self) -> None:
        structures = base.sample_records(SOURCE, "structures")
        services = base.sample_records(SOURCE, "services")
        self.structures, self.services = base.Templates(structures), base.Templates(services)
        self.pool = base.Pools(structures + services)
        self.subcategories = _vocab_objects("thematiques")
        self.kinds = _vocab_objects("types")
        self.modes = _vocab_objects("modes_orientation")

    # Records

    def structure(self, place: world.Place, ctx: Context) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.structures.draw(rng)
        created = ctx.updated(4)
        code = kinds.KINDS[place.kind].typologie
        r.update(
            id=ctx.uuid(), name=place.nom if rng.random() < 0.8 else place.nom.upper(),
            siret=place.siret, address1=place.adresse, address2=place.complement,
            city=place.commune.nom if rng.random() < 0.7 else place.commune.nom.upper(),
            cityCode=_city_code(place, ctx), postalCode=place.code_postal, department=place.commune.departement,
            latitude=place.latitude if rng.random() < 0.95 else None,
            longitude=place.longitude if rng.random() < 0.95 else None,
            phone=place.telephone if rng.random() < 0.6 else "", email=place.courriel if rng.random() < 0.65 else "",
            url=place.site_web, shortDesc=base.description(rng, 2) if rng.random() < 0.6 else "",
            fullDesc="", typology={"label": code, "value": code} if rng.random() < 0.85 else None,
            creationDate=created.isoformat(), modificationDate=max(created, ctx.updated(1)).isoformat(),
            linkOnSource=_link(r["linkOnSource"], place.nom, rng), services=[],
            source=self.pool.one("source", rng),
        )
        if rng.random() < 0.4:
            r["fullDesc"] = noise.html(base.description(rng)) if rng.random() < 0.3 else base.description(rng)
        if noise.invalid():
            _invalidate(r, ctx)
        return r

    def service(self, structure: Record, ctx: Context) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.services.draw(rng)
        subcategories = self.pool.some("subcategories", rng, 3, extra=self.subcategories)
        categories = {s["value"].split("--")[0] for s in subcategories}
        created = ctx.updated(3)
        zone = rng.choice(ZONES)
        zone_code = {"Commune": structure["cityCode"], "Département": structure["department"],
                     "Région": world.region_of(structure["department"]), "France entière": ""}[zone]
        roll = rng.random()
        suspension = (ctx.plan.reference_date - timedelta(days=rng.randrange(1, 400)) if roll < 0.03
                      else ctx.plan.reference_date + timedelta(days=rng.randrange(1, 400)) if roll < 0.13 else None)
        name = self._name(subcategories, rng)
        r.update(
            id=ctx.uuid(), name=name,
            structure=re.sub(r"/structures/[^/]+/$", f"/structures/{structure['id']}/", r["structure"]),
            kinds=self.pool.some("kinds", rng, 3, extra=self.kinds),
            categories=[{"label": c, "value": c} for c in sorted(categories)], subcategories=subcategories,
            hasFee=rng.random() < 0.1, feeDetails="", concernedPublic=self.pool.some("concernedPublic", rng, 3),
            accessConditions=self.pool.some("accessConditions", rng, 2) if rng.random() < 0.5 else [],
            requirements=self.pool.some("requirements", rng, 2) if rng.random() < 0.4 else [],
            credentials=self.pool.some("credentials", rng, 3) if rng.random() < 0.3 else [],
            locationKinds=self.pool.some("locationKinds", rng, 2),
            beneficiariesAccessModes=self.pool.some("beneficiariesAccessModes", rng, 3, extra=self.modes),
            coachOrientationModes=self.pool.some("coachOrientationModes", rng, 3, extra=self.modes),
            diffusionZoneType=zone, diffusionZoneDetails=zone_code,
            suspensionDate=suspension.isoformat() if suspension else None,
            creationDate=created.isoformat(), publicationDate=created.isoformat(),
            modificationDate=max(created, ctx.updated(1)).isoformat(),
            shortDesc=base.description(rng, 2), recurrence=self.pool.one("recurrence", rng, ""),
            linkOnSource=_link(r["linkOnSource"], name, rng),
        )
        for key in ("address1", "address2", "city", "cityCode", "postalCode", "latitude", "longitude"):
            r[key] = structure[key] if rng.random() < 0.9 else r[key]
        description = base.description(rng, 8)
        r["fullDesc"] = noise.html(description) if rng.random() < 0.25 else description
        if r["hasFee"]:
            r["feeDetails"] = self.pool.one("feeDetails", rng, "")
        if noise.invalid():
            _invalidate(r, ctx)
        return r

    def _name(self, subcategories: list[Record], rng) -> str:
        if rng.random() < 0.3 or not subcategories:
            return self.pool.one("name", rng, "Accompagnement")
        label = subcategories[0]["label"]
        label = label.split("--")[-1].replace("-", " ") if label == subcategories[0]["value"] else label
        return rng.choice(("{}", "Accompagnement : {}", "Atelier {}", "{} (permanence)")).format(label[:1].upper() + label[1:])

    # Generator

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        places = [kinds.draw(ctx, "dora", kinds.pick(MIX, ctx.rng), siret_share=0.75)
                  for _ in range(ctx.plan.count(self.national["structures"]))]
        ctx.places["dora"] = places
        structures = [self.structure(p, ctx) for p in places]
        n = len(structures)
        services = [self.service(structures[min(int(n * ctx.rng.random() ** 1.6), n - 1)], ctx)
                    for _ in range(ctx.plan.count(self.national["services"]))]
        return {"structures": structures, "services": services}

    def files(self, spool, ctx):
        url = SOURCE.settings["url"].rstrip("/")
        size = int(SOURCE.settings["page_size"])
        return [f for stream in SOURCE.streams
                for f in base.drf_pages(stream, spool, f"{url}/{stream}/?page_size={size}&o=creation_date", size)]

    def record_id(self, stream, record):
        return record["id"]

    def modify(self, stream, record, ctx):
        r, rng = base.copy(record), ctx.rng
        change = rng.randrange(4)
        if stream == "structures":
            if change == 0:
                r["phone"] = world.phone(world.draw_commune(rng), rng)
            elif change == 1:
                r["email"] = f"accueil@{world.slug(r['name'], 24)}.fr"
            elif change == 2:
                r["shortDesc"] = base.description(rng, 2)
            else:
                r["address1"] = f"{rng.randrange(1, 120)} {re.sub(r'^[0-9 ]+(bis )?', '', r['address1'] or 'Rue de la Gare')}"
        elif change == 0:
            r["suspensionDate"] = ctx.yesterday().isoformat()
        elif change == 1:
            r["fullDesc"] = base.description(rng, 8)
        elif change == 2:
            r["kinds"] = self.pool.some("kinds", rng, 3, extra=self.kinds)
        else:
            r["name"] = r["name"] + rng.choice((" (nouveau)", " - permanence", " 2026"))
        r["modificationDate"] = ctx.yesterday().isoformat()
        return r

    def add(self, stream, seen, ctx):
        if stream == "structures" or not seen.get("structures"):
            return self.structure(kinds.draw(ctx, "dora", kinds.pick(MIX, ctx.rng)), ctx)
        return self.service(ctx.rng.choice(seen["structures"]), ctx)

    def orphan(self, stream, record, removed):
        return stream == "services" and record.get("structure", "").rstrip("/").rsplit("/", 1)[-1] in removed


def _city_code(place: world.Place, ctx: Context) -> str:
    if ctx.rng.random() < 0.04:
        return ""
    return ctx.noise.odd_insee(place.commune.code_insee, place.commune.commune_code, place.code_postal) \
        if ctx.rng.random() < 0.05 else place.commune.commune_code


def _link(template: str, name: str, rng) -> str:
    return f"{template.rsplit('/', 1)[0]}/{world.slug(name, 40)}-{rng.randrange(16**4):04x}"


def _invalidate(r: Record, ctx: Context) -> None:
    """One invalid value, of the kinds DORA really holds."""
    noise = ctx.noise
    kind = ctx.rng.randrange(5)
    if kind == 0 and r.get("email") is not None:
        r["email"] = noise.email(r.get("email") or "contact@structure.fr")
    elif kind == 1 and "siret" in r:
        r["siret"] = noise.siret(r["siret"])
    elif kind == 2:
        r["postalCode"] = noise.postal_code(r.get("postalCode") or "75001")
    elif kind == 3:
        r["modificationDate"] = noise.old_date().isoformat()
    else:
        r["name"] = r["name"][:2]
