"""Médiation numérique: the national map's places, one JSON array, in the flat shape of the bundled sample."""

from __future__ import annotations

from pipeline.sources.mediation_numerique.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

MIX = {"numerique": 45, "mairie": 15, "ccas": 8, "association": 15, "centre-social": 10, "france-services": 7}
TYPOLOGIES = {"numerique": ("EPN", "BIB", "TIERS_LIEUX", "FABLAB"), "mairie": ("MUNI",), "ccas": ("CCAS",),
              "association": ("ASSO",), "centre-social": ("CS",), "france-services": ("RFS",)}
ORIGINS = ("conseiller-numerique", "aidants-connect", "hinaura", "cr93", "france-tiers-lieux", "Hub du Sud",
           "Bus France Services en Charente")
HOURS = ("Mo-Fr 09:00-12:00,14:00-17:00", "Tu-Sa 10:00-18:00", "Mo 09:30-12:30,13:30-15:30; PH off",
         "Mo-Th 08:45-12:00,14:15-16:00; Fr 08:45-12:00", "We 14:00-18:00; Sa 10:00-12:00")


def _joined(values: list[str], rng, most: int) -> str:
    return ";".join(rng.sample(values, min(len(values), rng.randint(1, most))))


class Mediation(base.Generator):
    source = SOURCE
    national = {"lieux": 21_000}
    france_services_share = 0.5  # of the France services places, listed on the map too
    reshared_share = 0.06  # places the map re-shares from DORA or Soliguide (left out)

    def __init__(self) -> None:
        samples = base.sample_records(SOURCE, "lieux")
        self.templates = base.Templates(samples)
        self.pool = base.Pools(samples)
        self.vocab = {name: base.vocab_values(SOURCE, name)
                      for name in ("thematiques", "frais", "publics", "types", "reseaux_porteurs")}

    def lieu(self, place: world.Place, ctx: Context, origin: str) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.templates.draw(rng)
        c = place.commune
        if origin in ("dora", "soliguide"):
            local_id = f"{origin}-{ctx.uuid()}"
        else:
            local_id = f"mediation-numerique-{world.slug(origin)}-{rng.getrandbits(96):024x}-mediation-numerique"
        labels = ["France Services"] if place.kind == "france-services" else []
        date_maj = ctx.updated(2).isoformat() if rng.random() < 0.98 else "1969-12-31"
        r.update(
            id=local_id, nom=place.nom, source=origin, date_maj=date_maj,
            services=_joined(self.vocab["thematiques"], rng, 5),
            pivot=place.siret or "00000000000000", typologie=rng.choice(TYPOLOGIES.get(place.kind, ("ASSO",))),
            commune=c.nom if rng.random() < 0.8 else c.nom.upper(), code_postal=place.code_postal,
            adresse=place.adresse, code_insee=c.commune_code if rng.random() < 0.4 else "",
            latitude=place.latitude, longitude=place.longitude,
            telephone="+33" + place.telephone[1:] if rng.random() < 0.7 else "",
            site_web=place.site_web, courriel=place.courriel if rng.random() < 0.6 else "",
            horaires=rng.choice(HOURS) if rng.random() < 0.6 else "",
            labels_nationaux=";".join(labels + rng.sample(self.vocab["reseaux_porteurs"], rng.randint(0, 2))),
            conditions_acces=_joined(self.vocab["frais"], rng, 1),
            modalites_accompagnement=_joined(self.vocab["types"], rng, 2),
            publics_accueillis=_joined(self.vocab["publics"], rng, 3) if rng.random() < 0.6 else "",
            presentation_resume=base.description(rng, 2)[:280] if rng.random() < 0.3 else "",
        )
        if rng.random() < 0.1:
            r["presentation_detail"] = noise.html(base.description(rng))
        r = {k: v for k, v in r.items() if v not in ("", None)}  # the exports leave out empty fields
        if noise.invalid():
            _invalidate(r, ctx)
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        rng = ctx.rng
        n = ctx.plan.count(self.national["lieux"])
        lieux = []
        france_services = list(ctx.places.get("france-services", []))
        for place in rng.sample(france_services, int(len(france_services) * self.france_services_share)):
            lieux.append(self.lieu(world.as_written_elsewhere(place, rng), ctx, rng.choice(ORIGINS[:2])))
        while len(lieux) < n:
            roll = rng.random()
            if roll < self.reshared_share:
                origin = "dora" if roll < self.reshared_share * 0.7 else "soliguide"
                place = ctx.shared("dora") or kinds.draw(ctx, "mediation-numerique", "numerique")
            else:
                origin = rng.choice(ORIGINS)
                place = kinds.draw(ctx, "mediation-numerique", kinds.pick(MIX, rng), siret_share=0.5)
            lieux.append(self.lieu(place, ctx, origin))
        for r in rng.sample(lieux, len(lieux) // 400):
            lieux.insert(rng.randrange(len(lieux)), base.copy(r))  # exported twice by two hubs
        return {"lieux": lieux}

    def files(self, spool, ctx):
        return [(base.json_array("lieux.json", "lieux", spool.rows("lieux"), SOURCE.settings["url"]), spool.count("lieux"))]

    def record_id(self, stream, record):
        return record["id"]

    def entities(self, records):
        return {"structures": len(records["lieux"]), "services": len(records["lieux"])}

    def modify(self, stream, record, ctx):
        r, rng = base.copy(record), ctx.rng
        change = rng.randrange(3)
        if change == 0:
            r["horaires"] = rng.choice(HOURS)
        elif change == 1:
            r["services"] = _joined(self.vocab["thematiques"], rng, 5)
        else:
            r["telephone"] = "+33" + world.phone(world.draw_commune(rng), rng)[1:]
        r["date_maj"] = ctx.yesterday().isoformat()
        return r

    def add(self, stream, seen, ctx):
        place = kinds.draw(ctx, "mediation-numerique", kinds.pick(MIX, ctx.rng), siret_share=0.5)
        return self.lieu(place, ctx, ctx.rng.choice(ORIGINS))


def _invalidate(r: Record, ctx: Context) -> None:
    noise, kind = ctx.noise, ctx.rng.randrange(3)
    if kind == 0:
        r["courriel"] = noise.email(r.get("courriel") or "contact@lieu-numerique.fr")
    elif kind == 1:
        r["site_web"] = noise.url(r.get("site_web") or "")
    else:
        r["code_postal"] = noise.postal_code(r["code_postal"])
