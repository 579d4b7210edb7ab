"""`datainclusion geocode IN.csv OUT.csv`, offline: same rows, code INSEE and position added."""

from __future__ import annotations

import csv
import re

from pipeline.paths import PROJECT_ROOT
from pipeline.territory import geocoder
from tests.conftest import Workspace

INPUT = """nom;adresse;code_postal;commune;latitude;longitude
Mairie du 8e;3 rue de Lisbonne;75008;Paris 8e;;
Agence;7 rue des ruettes;44470;44470 - CARQUEFOU;47.289598;-1.472056
Inversée;;13013;Marseille 13ème;5.40;43.34
Nulle part;3 rue X;99999;Nowhere;0;0
"""


def _rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_geocode_adds_columns_and_keeps_rows_and_delimiter(workspace: Workspace):
    source, target = workspace.root / "in.csv", workspace.root / "out.csv"
    source.write_text(INPUT, encoding="utf-8")
    result = workspace.cli("geocode", str(source), str(target))
    assert result.exit_code == 0, result.output
    assert "4 rows, 3 with a code INSEE, 0 certified" in result.output
    rows = _rows(target)
    assert list(rows[0]) == ["nom", "adresse", "code_postal", "commune", "latitude", "longitude", "code_insee",
                             "score", "adresse_certifiee", "precision", "anomalies"]
    assert [(r["nom"], r["code_insee"], r["adresse_certifiee"], r["precision"], r["anomalies"]) for r in rows] == [
        ("Mairie du 8e", "75056", "false", "arrondissement", ""),
        ("Agence", "44026", "false", "source", ""),
        ("Inversée", "13055", "false", "source", "coordonnees-inversees"),
        ("Nulle part", "", "false", "", "commune-introuvable coordonnees-hors-france"),
    ]
    assert (rows[2]["latitude"], rows[2]["longitude"]) == ("43.34", "5.4")
    assert (rows[1]["latitude"], rows[1]["longitude"]) == ("47.289598", "-1.472056")
    assert not workspace.warehouse.exists(), "offline, nothing is written to the warehouse"


def test_geocode_refuses_a_file_without_address_columns(workspace: Workspace):
    source = workspace.root / "in.csv"
    source.write_text("nom,ville\nA,Paris\n", encoding="utf-8")
    result = workspace.cli("geocode", str(source), str(workspace.root / "out.csv"))
    assert result.exit_code == 2
    assert "in.csv: no column adresse, code_postal, commune or code_insee" in result.output


def test_readme_documents_the_command_and_every_geocoder_setting():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "datainclusion geocode IN.csv OUT.csv" in readme
    settings = set(re.findall(r"DATAINCLUSION_GEOCODER_[A-Z_]+", (PROJECT_ROOT / "pipeline" / "territory" /
                                                                   "geocoder.py").read_text(encoding="utf-8")))
    assert settings and all(f"`{name}`" in readme for name in settings)
    assert geocoder.DEFAULT_URL in readme
