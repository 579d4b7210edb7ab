"""Les emplois de l'inclusion: SIAE and orienting organisations, two paginated streams, structures only."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from pipeline.sources.emplois_de_linclusion.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

# (kind of place, typology codes) per stream; codes as the producer sends them.
STREAMS = {
    "siae": {"iae": ("ACI", "ACI", "EI", "AI", "ETTI", "EITI", "EA", "GEIQ")},
    "orga": {"mission-locale": ("ML",), "ccas": ("CCAS",), "departement": ("DEPT", "ODC"), "plie": ("PLIE", "CAP_EMPLOI"),
             "france-travail": ("PE", "FT"), "accueil-de-jour": ("CHRS", "CHU", "CADA"), "association": ("OTHER", "Autre", "OACAS"),
             "centre-social": ("CS", "RS_FJT")},
}
MIX = {"siae": {"iae": 1}, "orga": {"mission-locale": 8, "ccas": 20, "departement": 15, "plie": 6, "france-travail": 6,
                                     "accueil-de-jour": 12, "association": 25, "centre-social": 8}}
PATHS = {"siae": "siae", "orga": "prescribers"}


class Emplois(base.Generator):
    source = SOURCE
    national = {"siae": 6_000, "orga": 8_000}
    overlap = 0.10  # share of places DORA also lists

    def __init__(self) -> None:
        samples = {s: base.sample_records(SOURCE, s) for s in SOURCE.streams}
        self.templates = {s: base.Templates(records) for s, records in samples.items()}
        self.pool = base.Pools(samples["siae"] + samples["orga"])

    def structure(self, stream: str, place: world.Place, ctx: Context) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.templates[stream].draw(rng)
        detail = base.description(rng) if rng.random() < 0.5 else ""
        if detail and rng.random() < 0.2:
            detail = noise.html(detail)
        stamp = datetime.combine(ctx.updated(2), time(rng.randrange(7, 20), rng.randrange(60), rng.randrange(60)),
                                 timezone(timedelta(hours=1)))
        r.update(
            id=ctx.uuid(), nom=place.nom.upper() if rng.random() < 0.4 else place.nom,
            siret=place.siret or ("00000000000000" if rng.random() < 0.05 else ""),
            adresse=place.adresse, complement_adresse=place.complement, commune=place.commune.nom,
            code_postal=place.code_postal, code_insee="",
            latitude=place.latitude if rng.random() < 0.97 else 0, longitude=place.longitude,
            telephone=place.telephone if rng.random() < 0.6 else "",
            courriel=place.courriel if rng.random() < 0.6 else "", site_web=place.site_web if rng.random() < 0.5 else "",
            typologie=rng.choice(STREAMS[stream].get(place.kind, ("OTHER",))),
            date_maj=stamp.isoformat(timespec="microseconds"),
            lien_source=f"https://emplois.inclusion.beta.gouv.fr/{PATHS[stream]}/{rng.randrange(1, 10**5)}/card",
            presentation_detail=detail,
            presentation_resume=(detail[:250] + "…") if len(detail) > 250 else detail,
        )
        if r["latitude"] == 0:
            r["longitude"] = 0
        if noise.invalid():
            _invalidate(r, ctx)
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {}
        for stream in SOURCE.streams:
            records = []
            for _ in range(ctx.plan.count(self.national[stream])):
                kind = kinds.pick(MIX[stream], ctx.rng)
                shared = ctx.shared("dora") if ctx.rng.random() < self.overlap else None
                place = shared if shared and shared.kind in STREAMS[stream] else kinds.draw(ctx, "emplois-de-linclusion", kind)
                records.append(self.structure(stream, place, ctx))
            # Offset pagination sometimes returns a record twice: an older copy.
            for r in ctx.rng.sample(records, len(records) // 300):
                older = base.copy(r)
                older["date_maj"] = "2024-01-10T09:00:00+01:00"
                older["nom"] = older["nom"] + " (ancien nom)"
                records.insert(ctx.rng.randrange(len(records)), older)
            out[stream] = records
        return out

    def files(self, spool, ctx):
        url = SOURCE.settings["url"]
        size = int(SOURCE.settings["page_size"])
        return [f for stream in SOURCE.streams
                for f in base.drf_pages(stream, spool, f"{url}?type={stream}&page_size={size}", size)]

    def record_id(self, stream, record):
        return record["id"]

    def entities(self, records):
        return {"structures": sum(len(records.get(s, [])) for s in SOURCE.streams), "services": 0}

    def modify(self, stream, record, ctx):
        r, rng = base.copy(record), ctx.rng
        change = rng.randrange(3)
        if change == 0:
            r["telephone"] = world.phone(world.draw_commune(rng), rng)
        elif change == 1:
            r["presentation_detail"] = base.description(rng)
        else:
            r["site_web"] = f"https://www.{world.slug(r['nom'], 30)}.fr"
        r["date_maj"] = datetime.combine(ctx.yesterday(), time(18, 0),
                                         timezone(timedelta(hours=1))).isoformat(timespec="microseconds")
        return r

    def add(self, stream, seen, ctx):
        kind = kinds.pick(MIX[stream], ctx.rng)
        return self.structure(stream, kinds.draw(ctx, "emplois-de-linclusion", kind), ctx)


def _invalidate(r: Record, ctx: Context) -> None:
    noise, kind = ctx.noise, ctx.rng.randrange(4)
    if kind == 0:
        r["courriel"] = noise.email(r["courriel"] or "contact@siae.fr")
    elif kind == 1:
        r["siret"] = noise.siret(r["siret"])
    elif kind == 2:
        r["code_postal"] = noise.postal_code(r["code_postal"])
    else:
        r["site_web"] = noise.url(r["site_web"])
