"""The SIRENE reference: which files, and only the columns and rows the run needs.

Three files of INSEE's SIRENE stock, in their published column names, as
Parquet or CSV (optionally gzipped): établissements (`StockEtablissement`),
unités légales (`StockUniteLegale`) and succession links
(`StockEtablissementLiensSuccession`). Each is a path or an http(s) URL set by
an environment variable; a URL is downloaded once (through `requests`) into
`<data dir>/sirene/`. Without a variable, the bundled *test* extract of
`pipeline/enrich/sirene/` is used, so offline runs and tests need nothing.

DuckDB reads only the listed columns, and only the rows of the SIRETs the
structures carry (with their successors) and of the communes or postal codes
where a structure has no usable SIRET.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from pipeline.config import Settings
from pipeline.enrich import ENRICH_DIR
from pipeline.http import HttpClient

BUNDLED_DIR = ENRICH_DIR / "sirene"


@dataclass(frozen=True)
class SireneFile:
    key: str
    env: str
    bundled: str
    columns: dict[str, str]  # published column -> our column


FILES = (
    SireneFile("etablissements", "DATAINCLUSION_SIRENE_ETABLISSEMENTS", "StockEtablissement_extrait.csv", {
        "siret": "siret",
        "siren": "siren",
        "etatAdministratifEtablissement": "etat",
        "dateDebut": "date_debut",
        "enseigne1Etablissement": "enseigne1",
        "enseigne2Etablissement": "enseigne2",
        "enseigne3Etablissement": "enseigne3",
        "denominationUsuelleEtablissement": "denomination_usuelle",
        "numeroVoieEtablissement": "numero_voie",
        "indiceRepetitionEtablissement": "indice_repetition",
        "typeVoieEtablissement": "type_voie",
        "libelleVoieEtablissement": "libelle_voie",
        "codePostalEtablissement": "code_postal",
        "codeCommuneEtablissement": "code_commune",
        "libelleCommuneEtablissement": "libelle_commune",
    }),
    SireneFile("unites_legales", "DATAINCLUSION_SIRENE_UNITES_LEGALES", "StockUniteLegale_extrait.csv", {
        "siren": "siren",
        "denominationUniteLegale": "denomination",
        "sigleUniteLegale": "sigle",
        "denominationUsuelle1UniteLegale": "denomination_usuelle",
    }),
    SireneFile("successions", "DATAINCLUSION_SIRENE_SUCCESSIONS", "StockEtablissementLiensSuccession_extrait.csv", {
        "siretEtablissementPredecesseur": "predecesseur",
        "siretEtablissementSuccesseur": "successeur",
        "dateLienSuccession": "date_lien",
        "transfertSiege": "transfert_siege",
        "continuiteEconomique": "continuite_economique",
    }),
)
# The arrondissements SIRENE uses for the three communes that have them.
ARRONDISSEMENTS = {
    "75056": [f"751{n:02d}" for n in range(1, 21)],
    "69123": [f"6938{n}" for n in range(1, 10)],
    "13055": [f"132{n:02d}" for n in range(1, 17)],
}


class SireneError(Exception):
    """A configured SIRENE file cannot be read or fetched."""


def locate(settings: Settings, log: callable = print) -> dict[str, Path]:
    """The local file of each SIRENE file: configured path, downloaded URL, or the bundled extract."""
    found = {}
    for spec in FILES:
        value = os.environ.get(spec.env, "").strip()
        if not value:
            found[spec.key] = BUNDLED_DIR / spec.bundled
        elif urlparse(value).scheme in ("http", "https"):
            found[spec.key] = _download(value, settings.data_dir / "sirene", log)
        else:
            path = Path(value)
            if not path.is_file():
                raise SireneError(f"sirene: {spec.env}={value} is not a readable file")
            found[spec.key] = path
    return found


def _download(url: str, folder: Path, log: callable) -> Path:
    """Fetch a SIRENE file once; later runs reuse it (a new URL, such as next month's file, fetches again)."""
    target = folder / Path(urlparse(url).path).name
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    log(f"sirene: downloading {url}")
    response = HttpClient("sirene").get(url, stream=True)
    with partial.open("wb") as handle:
        shutil.copyfileobj(response.raw, handle, length=1 << 20)
    partial.rename(target)
    return target


def _reader(path: Path) -> str:
    text = str(path).replace("'", "''")
    if path.name.endswith(".parquet"):
        return f"read_parquet('{text}')"
    return f"read_csv('{text}', header = true, all_varchar = true)"


def _select(spec: SireneFile, path: Path) -> str:
    columns = ", ".join(f'nullif(trim(cast("{src}" as varchar)), \'\') as {dst}' for src, dst in spec.columns.items())
    return f"select {columns} from {_reader(path)}"


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> dict[str, int]:
    """`ref__sirene_successions`, `ref__sirene_etablissements`, `ref__sirene_unites_legales`, needed rows only.

    Reads `int__siret_needs` (siret, commune, code_postal): the SIRETs to check
    and the places where a SIRET is to be proposed.
    """
    specs = {spec.key: spec for spec in FILES}
    try:
        _load_successions(con, _select(specs["successions"], files["successions"]))
        communes = [row[0] for row in con.execute(
            "select distinct commune from int__siret_needs where commune is not null").fetchall()]
        codes = sorted({c for commune in communes for c in [commune, *ARRONDISSEMENTS.get(commune, [])]})
        con.execute(
            "create or replace table ref__sirene_etablissements as "
            f"select * from ({_select(specs['etablissements'], files['etablissements'])}) "
            "where siret in (select siret from int__siret_needs where siret is not null "
            "                union select successeur from ref__sirene_successions) "
            "   or code_commune in (select unnest(?::varchar[])) "
            "   or code_postal in (select code_postal from int__siret_needs where commune is null) "
            "order by siret",
            [codes],
        )
        con.execute(
            "create or replace table ref__sirene_unites_legales as "
            f"select * from ({_select(specs['unites_legales'], files['unites_legales'])}) "
            "where siren in (select siren from ref__sirene_etablissements) order by siren"
        )
    except duckdb.Error as exc:
        raise SireneError(f"sirene: cannot read the SIRENE files ({exc})") from exc
    return {
        key: con.execute(f"select count(*) from ref__sirene_{key}").fetchall()[0][0]
        for key in ("etablissements", "unites_legales", "successions")
    }


def _load_successions(con: duckdb.DuckDBPyConnection, select: str, max_depth: int = 10) -> None:
    """Succession links reachable from the checked SIRETs, following successors a few links deep."""
    con.execute(f"create or replace temp table sirene_links as {select}")
    con.execute("create or replace table ref__sirene_successions as select * from sirene_links where false")
    con.execute("create or replace temp table sirene_frontier as select distinct siret from int__siret_needs "
                "where siret is not null")
    for _ in range(max_depth):
        con.execute("create or replace temp table sirene_step as select l.* from sirene_links as l "
                    "join sirene_frontier as f on l.predecesseur = f.siret "
                    "where (l.predecesseur, l.successeur) not in (select (predecesseur, successeur) "
                    "from ref__sirene_successions)")
        if not con.execute("select count(*) from sirene_step").fetchall()[0][0]:
            break
        con.execute("insert into ref__sirene_successions select * from sirene_step")
        con.execute("create or replace temp table sirene_frontier as select distinct successeur as siret from sirene_step")
    con.execute("create or replace table ref__sirene_successions as select * from ref__sirene_successions "
                "order by predecesseur, successeur")
    con.execute("drop table if exists sirene_links; drop table if exists sirene_step; drop table if exists sirene_frontier")
