"""One invalid example per rule, for both tables, as producers write them (CSV cells).

Each case is one record: a valid base record with a few cells changed, and
the errors expected on it as (field, code). Files written from these cases
hold every case of a table, one per row, in order (row = position + 2, the
header being row 1).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.quality import tables

REFERENCE_DATE = "2026-11-28"

BASE_STRUCTURE = {
    "source": "dora", "id": "dora--s-base", "nom": "Centre social Le Tournesol", "date_maj": "2025-02-14",
    "description": "Un centre social ouvert à tous les habitants du quartier.",
    "lien_source": "https://dora.example.org/structures/tournesol", "siret": "13003013300016",
    "commune": "Lille", "code_postal": "59000", "code_insee": "59350", "adresse": "1 rue de la Paix",
    "complement_adresse": "", "longitude": "3.06", "latitude": "50.63", "telephone": "0320000000",
    "courriel": "contact@exemple.fr", "site_web": "https://www.exemple.fr", "horaires_accueil": "Mo-Fr 09:00-12:00",
    "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/app/59-lille/tournesol/", "reseaux_porteurs": '["caf"]',
}
BASE_SERVICE = {
    "source": "dora", "structure_id": "dora--s-base", "id": "dora--v-base", "nom": "Atelier numérique",
    "description": "Un atelier pour apprendre à se servir d’un ordinateur et d’internet.",
    "lien_source": "https://dora.example.org/services/atelier", "date_maj": "2025-03-01", "type": "atelier",
    "thematiques": '["numerique--maitriser-les-fondamentaux-du-numerique"]', "frais": "gratuit",
    "frais_precisions": "", "publics": '["tous-publics"]', "publics_precisions": "", "conditions_acces": "",
    "commune": "Lille", "code_postal": "59000", "code_insee": "59350", "adresse": "1 rue de la Paix",
    "complement_adresse": "", "longitude": "3.06", "latitude": "50.63", "telephone": "0320000000",
    "courriel": "atelier@exemple.fr", "modes_accueil": '["en-presentiel"]', "zone_eligibilite": '["59"]',
    "contact_nom_prenom": "", "lien_mobilisation": "https://rdv.example.org/atelier",
    "modes_mobilisation": '["se-presenter","telephoner"]', "mobilisable_par": '["usagers"]',
    "mobilisation_precisions": "", "volume_horaire_hebdomadaire": "3.5", "nombre_semaines": "4",
    "horaires_accueil": "Mo,We 14:00-18:00",
}


@dataclass(frozen=True)
class Case:
    name: str
    table: str
    changes: dict[str, str]
    expected: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def record(self, number: int) -> dict[str, str]:
        base = BASE_STRUCTURE if self.table == "structures" else BASE_SERVICE
        prefix = "dora--s-" if self.table == "structures" else "dora--v-"
        return {**base, "id": f"{prefix}{number:03d}-{self.name}", **self.changes}


def case(name: str, table: str, changes: dict[str, str], *expected: tuple[str, str]) -> Case:
    return Case(name, table, changes, frozenset(expected))


# A structure that is itself invalid (its services are quarantined with it).
INVALID_STRUCTURE_ID = "dora--s-broken"

STRUCTURE_CASES = [
    case("valid", "structures", {"id": "dora--s-base"}),
    case("nom-required", "structures", {"nom": ""}, ("nom", "required")),
    case("source-required", "structures", {"source": ""}, ("source", "required")),
    case("date-required", "structures", {"date_maj": ""}, ("date_maj", "required")),
    case("nom-short", "structures", {"nom": "AB"}, ("nom", "min-length")),
    case("nom-long", "structures", {"nom": "N" * 151}, ("nom", "max-length")),
    case("nom-period", "structures", {"nom": "Centre social."}, ("nom", "nom-trailing-period")),
    case("nom-etc", "structures", {"nom": "Emploi, logement, etc."}),
    case("date-french", "structures", {"date_maj": "14/02/2025"}, ("date_maj", "date-invalid")),
    case("date-time", "structures", {"date_maj": "2025-02-14T10:30:00"}, ("date_maj", "date-invalid")),
    case("date-before-2000", "structures", {"date_maj": "1999-12-31"}, ("date_maj", "minimum")),
    case("date-future", "structures", {"date_maj": "2999-01-01"}, ("date_maj", "date-future")),
    case("description-short", "structures", {"description": "abcd"}, ("description", "min-length")),
    case("siret-spaces", "structures", {"siret": "130 030 133 00016"},
         ("siret", "max-length"), ("siret", "pattern")),
    case("code-postal-4", "structures", {"code_postal": "7500"}, ("code_postal", "min-length"),
         ("code_postal", "pattern")),
    case("code-insee-4", "structures", {"code_insee": "7505"}, ("code_insee", "min-length"),
         ("code_insee", "pattern")),
    case("code-insee-unknown", "structures", {"code_insee": "99999"}, ("code_insee", "code-insee-unknown")),
    case("courriel-truncated", "structures", {"courriel": "foo@"}, ("courriel", "email-invalid")),
    case("courriel-special-use", "structures", {"courriel": "contact@exemple.invalid"},
         ("courriel", "email-syntax")),
    case("site-no-scheme", "structures", {"site_web": "www.example.org"}, ("site_web", "uri-invalid")),
    case("lien-ftp", "structures", {"lien_source": "ftp://example.org/fiche"}, ("lien_source", "pattern")),
    case("site-space", "structures", {"site_web": "http://exa mple.fr"}, ("site_web", "url-syntax")),
    case("longitude-text", "structures", {"longitude": "est"}, ("longitude", "number-invalid")),
    case("latitude-200", "structures", {"latitude": "200"}, ("latitude", "latitude-range")),
    case("longitude-190", "structures", {"longitude": "-190"}, ("longitude", "longitude-range")),
    case("reseau-upper", "structures", {"reseaux_porteurs": '["CAF"]'}, ("reseaux_porteurs", "item-enum")),
    case("reseau-not-json", "structures", {"reseaux_porteurs": "caf, ccas"}, ("reseaux_porteurs", "array-invalid")),
    case("reseau-number", "structures", {"reseaux_porteurs": '["caf", 5]'}, ("reseaux_porteurs", "item-invalid")),
    case("reseau-empty-item", "structures", {"reseaux_porteurs": '["caf", ""]'},
         ("reseaux_porteurs", "empty-item")),
    case("reseau-duplicate", "structures", {"reseaux_porteurs": '["caf","caf"]'}),
    case("id-prefix", "structures", {"id": "s-sans-prefixe"}, ("id", "id-prefix")),
    case("id-twice-first", "structures", {"id": "dora--s-twice"}, ("id", "duplicate-id")),
    case("id-twice-second", "structures", {"id": "dora--s-twice"}, ("id", "primary-key")),
    case("id-required", "structures", {"id": ""}, ("id", "required"), ("id", "primary-key")),
    case("broken", "structures", {"id": INVALID_STRUCTURE_ID, "siret": "123"}, ("siret", "min-length"),
         ("siret", "pattern")),
]

SERVICE_CASES = [
    case("valid", "services", {}),
    case("structure-unknown", "services", {"structure_id": "dora--s-inconnue"}, ("structure_id", "foreign-key")),
    case("structure-broken", "services", {"structure_id": INVALID_STRUCTURE_ID},
         ("structure_id", "structure-quarantined")),
    case("structure-required", "services", {"structure_id": ""}, ("structure_id", "required")),
    case("description-required", "services", {"description": ""}, ("description", "required")),
    case("description-short", "services", {"description": "abcd"}, ("description", "min-length")),
    case("type-v0", "services", {"type": "accueil"}, ("type", "enum")),
    case("type-list", "services", {"type": '["atelier"]'}, ("type", "enum")),
    case("frais-v0", "services", {"frais": "gratuit-sous-conditions"}, ("frais", "enum")),
    case("thematique-categorie", "services", {"thematiques": '["numerique"]'}, ("thematiques", "item-enum")),
    case("publics-empty", "services", {"publics": "[]"}, ("publics", "min-items")),
    case("publics-tous-combined", "services", {"publics": '["tous-publics","femmes"]'},
         ("publics", "tous-publics-alone")),
    case("publics-tous-twice", "services", {"publics": '["tous-publics","tous-publics"]'}),
    case("publics-string", "services", {"publics": "femmes,jeunes"}, ("publics", "array-invalid")),
    case("zone-upper", "services", {"zone_eligibilite": '["FRANCE"]'}, ("zone_eligibilite", "item-pattern")),
    case("zone-short", "services", {"zone_eligibilite": '["7505"]'}, ("zone_eligibilite", "item-pattern")),
    case("zone-empty", "services", {"zone_eligibilite": "[]"}, ("zone_eligibilite", "min-items")),
    case("zone-kinds", "services", {"zone_eligibilite": '["france","99100","200046977","2A","59350"]'}),
    case("modes-empty", "services", {"modes_mobilisation": "[]"}, ("modes_mobilisation", "min-items")),
    case("mobilisable-autres", "services", {"mobilisable_par": '["autres"]'}, ("mobilisable_par", "item-enum")),
    case("semaines-decimal", "services", {"nombre_semaines": "2.5"}, ("nombre_semaines", "integer-invalid")),
    case("semaines-zero", "services", {"nombre_semaines": "0"}, ("nombre_semaines", "minimum")),
    case("volume-negative", "services", {"volume_horaire_hebdomadaire": "-1"},
         ("volume_horaire_hebdomadaire", "minimum")),
    case("volume-text", "services", {"volume_horaire_hebdomadaire": "beaucoup"},
         ("volume_horaire_hebdomadaire", "number-invalid")),
    case("lien-mobilisation-no-scheme", "services", {"lien_mobilisation": "rdv.example.org"},
         ("lien_mobilisation", "uri-invalid")),
    case("date-month-13", "services", {"date_maj": "2025-13-01"}, ("date_maj", "date-invalid")),
    case("date-feb-30", "services", {"date_maj": "2024-02-30"}, ("date_maj", "date-invalid")),
    case("courriel-two-at", "services", {"courriel": "a@b@exemple.fr"}, ("courriel", "email-invalid")),
]

# Unusual but readable forms, decided by the Python fallback (Frictionless' own readers).
UNUSUAL_SERVICE_CASES = [
    case("date-one-digit-month", "services", {"date_maj": "2025-2-5"}, ("date_maj", "date-not-iso")),
    case("date-midnight", "services", {"date_maj": "2025-02-14T00:00:00"}, ("date_maj", "date-invalid")),
    case("date-space", "services", {"date_maj": " 2025-02-05"}, ("date_maj", "date-invalid")),
    case("volume-exponent", "services", {"volume_horaire_hebdomadaire": "1e1"}),
    case("volume-nan", "services", {"volume_horaire_hebdomadaire": "NaN"}, ("volume_horaire_hebdomadaire", "minimum")),
    case("semaines-spaces", "services", {"nombre_semaines": " 3 "}),
    case("semaines-plus", "services", {"nombre_semaines": "+3"}),
    case("semaines-underscore", "services", {"nombre_semaines": "1_0"}),
    case("semaines-float-text", "services", {"nombre_semaines": "3.0"}, ("nombre_semaines", "integer-invalid")),
    case("code-postal-fullwidth", "services", {"code_postal": "５９０００"}),
    case("code-postal-newline", "services", {"code_postal": "59000\n"}, ("code_postal", "max-length")),
    case("courriel-idn", "services", {"courriel": "contact@bücher.fr"}),
    case("courriel-display-name", "services", {"courriel": "Atelier <atelier@exemple.fr>"},
         ("courriel", "email-invalid")),
    case("lien-userinfo", "services", {"lien_mobilisation": "https://user:secret@rdv.example.org/a"}),
    case("lien-upper-scheme", "services", {"lien_mobilisation": "HTTPS://RDV.EXAMPLE.ORG/A"},
         ("lien_mobilisation", "pattern")),
    case("thematiques-escaped", "services", {"thematiques": '["numerique--acqu\\u00e9rir-un-equipement"]'},
         ("thematiques", "item-enum")),
    case("thematiques-null-item", "services", {"thematiques": '["numerique--acquerir-un-equipement", null]'},
         ("thematiques", "empty-item")),
    case("publics-spaces", "services", {"publics": ' [ "femmes" , "jeunes" ] '}),
    case("zone-fullwidth", "services", {"zone_eligibilite": '["５９"]'}),
]


def records(cases: list[Case]) -> list[dict[str, str]]:
    return [c.record(n) for n, c in enumerate(cases)]


def write_csv(path: Path, table: str, cases: list[Case]) -> Path:
    names = tables.field_names(table)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for record in records(cases):
            writer.writerow([record.get(n, "") for n in names])
    return path


def write_json(path: Path, table: str, cases: list[Case]) -> Path:
    """The same records as a JSON array (every key, null when empty): lists and numbers as JSON when they are."""
    types = {f["name"]: f["type"] for f in tables.load(table)["fields"]}
    out = []
    for record in records(cases):
        item: dict[str, object] = {}
        for name in tables.field_names(table):
            cell = record.get(name, "")
            item[name] = None if cell == "" else cell
            if cell and types[name] in ("array", "number", "integer"):
                try:
                    value = json.loads(cell)
                except ValueError:
                    continue
                if types[name] == "array" or (isinstance(value, (int, float)) and value == value
                                              and abs(value) != float("inf")):
                    item[name] = value
        out.append(item)
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return path
