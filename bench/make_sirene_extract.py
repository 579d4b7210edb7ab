"""Write the SIRENE-format *test* extract of `pipeline/enrich/sirene/` from `bench/data/sample_structures.csv`.

Development tool, run by hand (`.venv/bin/python -m bench.make_sirene_extract`);
the rules it follows, and what is test data, are in
`pipeline/enrich/sirene/README.md`. Deterministic: same input, same files.
"""

from __future__ import annotations

import csv
import hashlib
import unicodedata
from pathlib import Path

from stdnum import luhn

from pipeline.sql.identifiers import siret_problem

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "bench" / "data" / "sample_structures.csv"
POSTCODES = ROOT / "pipeline" / "territory" / "reference" / "codes_postaux.csv"
OUT = ROOT / "pipeline" / "enrich" / "sirene"

ETAB_COLUMNS = [
    "siren", "nic", "siret", "etablissementSiege", "dateDebut", "etatAdministratifEtablissement",
    "enseigne1Etablissement", "enseigne2Etablissement", "enseigne3Etablissement", "denominationUsuelleEtablissement",
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "typeVoieEtablissement", "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "codeCommuneEtablissement", "activitePrincipaleEtablissement",
]
UL_COLUMNS = ["siren", "etatAdministratifUniteLegale", "denominationUniteLegale", "sigleUniteLegale",
              "denominationUsuelle1UniteLegale", "categorieJuridiqueUniteLegale"]
SUCC_COLUMNS = ["siretEtablissementPredecesseur", "siretEtablissementSuccesseur", "dateLienSuccession",
                "transfertSiege", "continuiteEconomique", "dateDernierTraitementLienSuccession"]
TYPES = {"RUE": "RUE", "R": "RUE", "AVENUE": "AV", "AV": "AV", "BOULEVARD": "BD", "BD": "BD", "PLACE": "PL", "PL": "PL",
         "CHEMIN": "CHE", "CHE": "CHE", "ROUTE": "RTE", "RTE": "RTE", "ALLEE": "ALL", "ALL": "ALL", "IMPASSE": "IMP",
         "IMP": "IMP", "COURS": "CRS", "CRS": "CRS", "QUAI": "QUAI", "SQUARE": "SQ", "ESPLANADE": "ESP",
         "PROMENADE": "PRO", "RESIDENCE": "RES", "FAUBOURG": "FG", "PASSAGE": "PAS", "TRAVERSE": "TRA", "MONTEE": "MTE"}
CLOSED = {"44028794400027": "2024-03-31", "39968485100070": "2023-12-31"}
# predecessor -> [(successor, date, transfertSiege, continuiteEconomique, successor state)]
SUCCESSIONS = {
    "45133854500010": [("successor", "2024-01-15", "true", "true", "A")],
    "42999420500020": [("chain-1", "2022-05-01", "false", "true", "F")],
    "chain-1": [("chain-2", "2024-02-01", "false", "true", "A")],
    "42144421700028": [("dead-end", "2023-09-01", "false", "true", "F")],
    "77561887900404": [("cycle", "2023-06-01", "false", "true", "F")],
    "cycle": [("77561887900404", "2024-06-01", "false", "true", "F")],
    "78331234100077": [("other-branch", "2024-04-01", "false", "false", "A"), ("main-branch", "2024-04-01", "true", "true", "A")],
}


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in text.upper()).split())


def fake_siret(key: str) -> str:
    """A Luhn-valid SIRET whose SIREN starts with 99, derived from a key (fictitious)."""
    digits = str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[:6]
    siren = "99" + digits
    siren += luhn.calc_check_digit(siren)
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def split_address(address: str) -> tuple[str, str, str, str]:
    words = plain(address).split()
    number = repetition = kind = ""
    if words and words[0].isdigit():
        number = words.pop(0)
    if number and words and words[0] in ("B", "BIS", "T", "TER"):
        repetition = words.pop(0)[0]
    if words and words[0] in TYPES:
        kind = TYPES[words.pop(0)]
    return number, repetition, kind, " ".join(words)


def etablissement(siret: str, name: str, row: dict, state: str = "A", date: str = "2015-01-01",
                  address: str | None = None, enseigne2: str = "") -> dict:
    number, repetition, kind, street = split_address(row["adresse"] if address is None else address)
    return {
        "siren": siret[:9], "nic": siret[9:], "siret": siret, "etablissementSiege": "false", "dateDebut": date,
        "etatAdministratifEtablissement": state, "enseigne1Etablissement": plain(name)[:50],
        "enseigne2Etablissement": enseigne2, "enseigne3Etablissement": "", "denominationUsuelleEtablissement": "",
        "complementAdresseEtablissement": plain(row.get("complement_adresse", ""))[:38],
        "numeroVoieEtablissement": number, "indiceRepetitionEtablissement": repetition, "typeVoieEtablissement": kind,
        "libelleVoieEtablissement": street, "codePostalEtablissement": row["code_postal"],
        "libelleCommuneEtablissement": plain(row["commune"]), "codeCommuneEtablissement": row["code_insee"],
        "activitePrincipaleEtablissement": "",
    }


def main() -> None:
    rows = list(csv.DictReader(SAMPLES.open(encoding="utf-8")))
    first_commune: dict[str, str] = {}
    for p in sorted(csv.DictReader(POSTCODES.open(encoding="utf-8")), key=lambda p: p["code_insee"]):
        first_commune.setdefault(p["code_postal"], p["code_insee"])
    for r in rows:
        r["code_insee"] = r["code_insee"] or first_commune.get(r["code_postal"], "")
    etabs: dict[str, dict] = {}
    uls: dict[str, dict] = {}
    links: list[dict] = []

    def add(e: dict, denomination: str) -> None:
        etabs.setdefault(e["siret"], e)
        uls.setdefault(e["siren"], {"siren": e["siren"], "etatAdministratifUniteLegale": "A",
                                    "denominationUniteLegale": plain(denomination)[:120], "sigleUniteLegale": "",
                                    "denominationUsuelle1UniteLegale": "", "categorieJuridiqueUniteLegale": ""})

    for r in rows:
        siret = r["siret"].replace(" ", "")
        if siret and siret_problem(siret) is None:
            state, date = ("F", CLOSED[siret]) if siret in CLOSED else ("A", "2015-01-01")
            if siret in SUCCESSIONS:
                state, date = "F", SUCCESSIONS[siret][0][1]
            add(etablissement(siret, r["nom"], r, state, date), r["nom"])
    named = {key: fake_siret("succession-" + key) for key in ("successor", "chain-1", "chain-2", "dead-end",
                                                               "cycle", "other-branch", "main-branch")}
    by_siret = {r["siret"]: r for r in rows if r["siret"]}
    for predecessor, successors in SUCCESSIONS.items():
        pred = named.get(predecessor, predecessor)
        origin = by_siret.get(predecessor) or by_siret[next(k for k, v in SUCCESSIONS.items()
                                                           if any(s[0] == predecessor for s in v))]
        for successor, date, seat, continuity, state in successors:
            succ = named.get(successor, successor)
            if succ not in etabs:
                e = etablissement(succ, origin["nom"], origin, state, date, address="2 RUE DE LA REPUBLIQUE")
                add(e, origin["nom"])
            links.append({"siretEtablissementPredecesseur": pred, "siretEtablissementSuccesseur": succ,
                          "dateLienSuccession": date, "transfertSiege": seat, "continuiteEconomique": continuity,
                          "dateDernierTraitementLienSuccession": date + "T00:00:00"})
    for r in rows:
        if r["source"] == "france-services" and r["code_insee"]:
            local = r["id"].split("--")[1]
            number = int(local) if local.isdigit() else int(hashlib.sha256(local.encode()).hexdigest(), 16)
            if number % 3:
                add(etablissement(fake_siret(r["id"]), r["nom"], r), "COMMUNAUTE DE COMMUNES " + r["commune"])
            else:
                add(etablissement(fake_siret(r["id"] + "-voisin"), "ESPACE PUBLIC NUMERIQUE", r),
                    "ASSOCIATION ESPACE NUMERIQUE " + r["commune"])
            add(etablissement(fake_siret("mairie-" + r["code_insee"]), "MAIRIE", r, address="1 PL DE LA MAIRIE"),
                "COMMUNE DE " + r["commune"])
        elif r["source"] == "mediation-numerique" and siret_problem(r["siret"]) == "absent" and r["code_insee"]:
            if int(hashlib.sha256(r["id"].encode()).hexdigest(), 16) % 2 == 0:
                add(etablissement(fake_siret(r["id"]), r["nom"], r), r["nom"])
    write(OUT / "StockEtablissement_extrait.csv", ETAB_COLUMNS, sorted(etabs.values(), key=lambda e: e["siret"]))
    write(OUT / "StockUniteLegale_extrait.csv", UL_COLUMNS, sorted(uls.values(), key=lambda u: u["siren"]))
    write(OUT / "StockEtablissementLiensSuccession_extrait.csv", SUCC_COLUMNS,
          sorted(links, key=lambda s: (s["siretEtablissementPredecesseur"], s["siretEtablissementSuccesseur"])))
    print(f"{len(etabs)} établissements, {len(uls)} unités légales, {len(links)} successions")


def write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
