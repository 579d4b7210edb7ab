"""France Travail: the Référentiel des agences answer, one JSON array of agencies with postal-line addresses."""

from __future__ import annotations

from pipeline.sources.france_travail.source import SOURCE

from bench.scale import base, kinds, world
from bench.scale.base import Context, Record

REGION_CODES = {"11": "IDF", "24": "CVL", "27": "BFC", "28": "NOR", "32": "HDF", "44": "GES", "52": "PDL", "53": "BRE",
                "75": "NAQ", "76": "OCC", "84": "ARA", "93": "PAC", "94": "COR"}


def _hours(rng) -> list[Record]:
    """Walk-in hours per weekday (1 = Monday), in the API's field names; afternoons often on appointment only."""
    morning = rng.choice((("08:30", "12:30"), ("09:00", "12:00"), ("08:45", "12:45")))
    days = []
    for day in range(1, 6):
        hours = {"jour": day, "ouvertureMatin": morning[0], "fermetureMatin": morning[1], "horaireFerme": "N",
                 "horaireEnContinu": "N"}
        if rng.random() < 0.3:
            hours.update(ouvertureApresMidi="13:30", fermetureApresMidi="16:30")
        else:
            hours.update(ouvertureApresMidiRDV="13:00", fermetureApresMidiRDV="16:30", horaireFermeRDV="N",
                         horaireEnContinuRDV="N")
        days.append(hours)
    return days


class FranceTravail(base.Generator):
    source = SOURCE
    national = {"agences": 900}

    def __init__(self) -> None:
        self.templates = base.Templates(base.sample_records(SOURCE, "agences"))
        self.codes: set[str] = set()

    def agence(self, place: world.Place, ctx: Context) -> Record:
        rng = ctx.rng
        r = self.templates.draw(rng)
        c = place.commune
        safir = f"{c.departement[:2]}{rng.randrange(1000):03d}"
        label = world.strip_accents(c.nom).upper()
        region = REGION_CODES.get(c.region, "OUT")
        r.update(
            code=f"{region}{rng.randrange(10_000):04d}", codeSafir=safir, libelle=label,
            libelleEtendu=f"Agence France Travail {label}", codeRegionINSEE=c.region,
            contact={"telephonePublic": "39-49", "email": f"ape.{safir}@francetravail.fr"},
            siret=world.siret(rng, "130005481"),
            adressePrincipale={
                **({"ligne3": place.complement} if place.complement else {}),
                "ligne4": world.strip_accents(place.adresse).upper(), "ligne5": "",
                "ligne6": f"{place.code_postal} {label}", "gpsLon": place.longitude, "gpsLat": place.latitude,
                "communeImplantation": c.commune_code, "bureauDistributeur": place.code_postal,
            },
        )
        if rng.random() < 0.8:
            r["horaires"] = _hours(rng)
        if ctx.noise.invalid():
            r["adressePrincipale"]["bureauDistributeur"] = ctx.noise.postal_code(place.code_postal)
        return r

    def generate(self, ctx: Context) -> dict[str, list[Record]]:
        places = [kinds.draw(ctx, "france-travail", "france-travail") for _ in range(ctx.plan.count(self.national["agences"]))]
        ctx.places["france-travail"] = places
        return {"agences": [self._unique(self.agence(p, ctx), ctx) for p in places]}

    def _unique(self, agence: Record, ctx: Context) -> Record:
        """Agency codes are unique: draw another number until it is."""
        while agence["code"] in self.codes:
            agence["code"] = agence["code"][:3] + f"{ctx.rng.randrange(10**5):05d}"
        self.codes.add(agence["code"])
        return agence

    def files(self, spool, ctx):
        return [(base.json_array("agences-0001.json", "agences", spool.rows("agences"), SOURCE.settings["url"]),
                 spool.count("agences"))]

    def read(self, file):
        records = super().read(file)
        self.codes.update(r["code"] for r in records)
        return records

    def record_id(self, stream, record):
        return record["code"]

    def entities(self, records):
        return {"structures": len(records["agences"]), "services": 0}

    def modify(self, stream, record, ctx):
        r = base.copy(record)
        r["horaires"] = _hours(ctx.rng)
        return r

    def add(self, stream, seen, ctx):
        return self._unique(self.agence(kinds.draw(ctx, "france-travail", "france-travail"), ctx), ctx)
