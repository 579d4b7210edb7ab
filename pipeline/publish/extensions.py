"""Columns the publisher adds after the schema v1 fields, and the published Table Schemas.

The v1 Table Schemas in `schema/` stay exactly the official model. What we
publish is those fields, in order, followed by our own columns (for example
`adresse_certifiee`), each documented here as a Table Schema field. A stage
that adds a published column declares it here; the export, the data package
and the site all read this list.
"""

from __future__ import annotations

import copy
from typing import Any

from pipeline import schema

SCORE_QUALITE_SERVICE = {
    "name": "score_qualite",
    "title": "Score de qualité",
    "type": "number",
    "description": (
        "Score de qualité du service, entre 0 et 1, calculé selon les critères du paquet "
        "data-inclusion-schema (v1/score_qualite.py) à la date de référence de la publication : "
        "moyenne des critères applicables, arrondie à 2 décimales."
    ),
    "constraints": {"minimum": 0, "maximum": 1},
}
SCORE_QUALITE_STRUCTURE = {
    **SCORE_QUALITE_SERVICE,
    "description": (
        "Moyenne des scores de qualité des services publiés de la structure, arrondie à 2 décimales ; "
        "vide quand la structure n’a aucun service publié."
    ),
}
ADRESSE_CERTIFIEE: dict[str, Any] = {
    "name": "adresse_certifiee",
    "title": "Adresse certifiée",
    "type": "boolean",
    "description": (
        "Vrai quand l’adresse, le code INSEE et les coordonnées viennent du géocodeur national "
        "(score supérieur à 0,75, résultat plus précis que la commune sauf pour une adresse vide ou "
        "une mairie). Faux sinon : les coordonnées sont celles du producteur quand elles tombent dans "
        "le département de la commune, sinon le centre de la commune (référentiel des communes)."
    ),
    "trueValues": ["true"],
    "falseValues": ["false"],
}

EXTENSION_FIELDS: dict[str, list[dict[str, Any]]] = {
    "structures": [
        SCORE_QUALITE_STRUCTURE,
        {
            "name": "cluster_id",
            "type": "string",
            "title": "Groupe de doublons",
            "description": (
                "Identifiant du groupe de structures qui décrivent le même lieu, dans une même source ou entre "
                "sources (outil de correspondance) : le plus petit `id` du groupe, stable tant que les membres "
                "le sont. Vide pour une structure sans doublon connu. Les paires sont dans `doublons.csv`."
            ),
        },
        ADRESSE_CERTIFIEE,
    ],
    "services": [SCORE_QUALITE_SERVICE, ADRESSE_CERTIFIEE],
}


def published_schema(table: str) -> dict[str, Any]:
    """The Table Schema of a published table: v1 fields, then the publisher's columns."""
    descriptor = copy.deepcopy(schema.load(table))
    extra = EXTENSION_FIELDS[table]
    if extra:
        descriptor["fields"] += copy.deepcopy(extra)
        descriptor["description"] += (
            " Colonnes ajoutées par le publieur après les champs du schéma : "
            + ", ".join(f"`{f['name']}`" for f in extra)
            + "."
        )
    return descriptor


def published_columns(table: str) -> list[str]:
    return [f["name"] for f in published_schema(table)["fields"]]
