"""France services: the ANCT list of labelled places, one CSV file (multi-line cells, free-text day hours)."""

from __future__ import annotations

from pipeline.sources.france_services.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

HOURS = ("09:00 - 12:00 / 13:30 - 17:00", "08:30 - 12:00 / 13:30 - 17:00", "09:00 - 12:30", "08:30-12:00",
         "13:30 - 17:00", "9h00 - 12h00 / 14h00 - 17h00", "-")
DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
FORMATS = ("Site principal", "Site principal", "Site principal", "Antenne", "Bus itinérant")


def _cell(value: object) -> str:
    """A cell as the ANCT file writes it: text quoted, numbers bare, empty cells empty."""
    if value in (None, ""):
        return ""
    if isinstance(value, float):
        return repr(value)
    return '"' + str(value).replace('"', '""') + '"'


class FranceServices(base.Generator):
    source = SOURCE
    national = {"espaces": 2_700}

    def __init__(self) -> None:
        samples = base.sample_records(SOURCE, "espaces")
        self.templates = base.Templates(samples)
        self.header = list(samples[0])
        self.pool = base.Pools(samples)
        self.last_number = 0

    def espace(self, number: int, place: world.Place, ctx: Context) -> Record:
        rng, noise = ctx.rng, ctx.noise
        r = self.templates.draw(rng)
        c = place.commune
        adresse = place.adresse + (f"\n{place.complement}" if place.complement and rng.random() < 0.5 else "")
        week = rng.choice(HOURS[:6])
        hours = {day: (week if day != "h_samedi" else rng.choice(("", "09:00 - 12:00"))) for day in DAYS}
        if rng.random() < 0.03:
            hours["h_mercredi"] = "Sur rendez-vous uniquement"  # unreadable: no hours rather than wrong ones
        labelled = ctx.updated(5)
        r.update(
            id_fs=str(number), insee_dep=c.departement, lib_fs=place.nom, adresse=adresse,
            complement_adresse=place.complement if "\n" not in adresse else "",
            insee_com=c.commune_code, code_postal=place.code_postal, lib_com=c.nom,
            latitude=place.latitude, longitude=place.longitude, mail=place.courriel,
            telephone=world.spaced_phone(place.telephone), commentaire=self.pool.one("commentaire", rng, "")
            if rng.random() < 0.2 else "", itinerance="Oui" if rng.random() < 0.1 else "Non",
            format_fs=rng.choice(FORMATS), groupe="", labellisation=f"Espace labellisé {labelled:%d/%m/%Y}", **hours,
        )
        if noise.invalid():
            kind = rng.randrange(3)
            if kind == 0:
                r["mail"] = noise.email(r["mail"])
            elif kind == 1:
                r["code_postal"] = noise.postal_code(r["code_postal"])
            else:
                r["insee_com"] = r["insee_com"][1:]
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        places = [kinds.draw(ctx, "france-services", "france-services", siret_share=0)
                  for _ in range(ctx.plan.count(self.national["espaces"]))]
        ctx.places["france-services"] = places
        return {"espaces": [self.espace(self._number(), p, ctx) for p in places]}

    def _number(self) -> int:
        self.last_number += 1
        return self.last_number

    def encode(self, stream, record):
        return (",".join(_cell(record.get(h)) for h in self.header) + "\n").encode("utf-8")

    def files(self, spool, ctx):
        header = (",".join(f'"{h}"' for h in self.header) + "\n").encode("utf-8")
        name = f"liste-fs-{ctx.plan.reference_date:%Y%m%d}.csv"
        return [(base.raw_file(name, "espaces", header + b"".join(spool.rows("espaces")), None, "text/csv"),
                 spool.count("espaces"))]

    def read(self, file):
        records = [_typed(r) for r in SOURCE.parse(file)]
        self.last_number = max([self.last_number, *(int(r["id_fs"]) for r in records if r["id_fs"].isdigit())])
        return records

    def record_id(self, stream, record):
        return record["id_fs"]

    def entities(self, records):
        return {"structures": len(records["espaces"]), "services": len(records["espaces"])}

    def modify(self, stream, record, ctx):
        r = dict(record)
        if ctx.rng.random() < 0.5:
            r["h_samedi"] = ctx.rng.choice(("", "09:00 - 12:00", "09:30 - 12:30"))
        else:
            r["telephone"] = world.spaced_phone(world.phone(world.draw_commune(ctx.rng), ctx.rng))
        return r

    def add(self, stream, seen, ctx):
        return self.espace(self._number(), kinds.draw(ctx, "france-services", "france-services", siret_share=0), ctx)


def _typed(record: Record) -> Record:
    """A row read back from the CSV, coordinates as numbers again (so they are written bare)."""
    return {k: (float(v) if k in ("latitude", "longitude") and v else v) for k, v in record.items()}
