"""Quality errors as data: a stable kebab code, a French message template, where it happened.

Every rule the publisher enforces has one code here. A rule compiled from the
Table Schemas says which Frictionless error it is (`frictionless`, and for a
`constraint-error` which constraint), so our reports can be compared with
Frictionless' own, error for error. Rules beyond the Table Schemas (schema v1
validators, dataset rules) have `frictionless = None`. Warnings are reported
but never keep a record out of the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ERROR, WARNING = "error", "warning"

# Fields holding personal data (RGPD): reports name the field and the rule, never the value.
PERSONAL_FIELDS = frozenset({"courriel", "telephone", "contact_nom_prenom"})
MASK = "[masqué]"


@dataclass(frozen=True)
class Rule:
    """One rule: its code, whether it excludes the record, its Frictionless twin, its French message."""

    code: str
    severity: str
    template: str
    frictionless: str | None = None
    constraint: str | None = None


_RULES = [
    # Compiled from the Table Schemas: exactly what Frictionless reports.
    Rule("required", ERROR, "le champ obligatoire « {field} » est vide", "constraint-error", "required"),
    Rule("string-invalid", ERROR, "« {field} » doit être une chaîne de caractères, pas {value}", "type-error"),
    Rule("date-invalid", ERROR, "« {value} » n’est pas une date AAAA-MM-JJ valide ({field})", "type-error"),
    Rule("number-invalid", ERROR, "« {value} » n’est pas un nombre ({field})", "type-error"),
    Rule("integer-invalid", ERROR, "« {value} » n’est pas un nombre entier ({field})", "type-error"),
    Rule("array-invalid", ERROR, "« {value} » n’est pas une liste JSON ({field}), par exemple [\"a\",\"b\"]",
         "type-error"),
    Rule("email-invalid", ERROR, "« {value} » n’est pas une adresse de courriel ({field})", "type-error"),
    Rule("uri-invalid", ERROR, "« {value} » n’est pas une adresse web avec son protocole ({field})", "type-error"),
    Rule("item-invalid", ERROR, "la liste « {field} » contient {value}, qui n’est pas une chaîne de caractères",
         "type-error"),
    Rule("min-length", ERROR, "« {field} » doit contenir au moins {limit} caractères : « {value} »",
         "constraint-error", "minLength"),
    Rule("max-length", ERROR, "« {field} » doit contenir au plus {limit} caractères : « {value} »",
         "constraint-error", "maxLength"),
    Rule("min-items", ERROR, "la liste « {field} » doit contenir au moins {limit} valeur(s)",
         "constraint-error", "minLength"),
    Rule("max-items", ERROR, "la liste « {field} » doit contenir au plus {limit} valeur(s)",
         "constraint-error", "maxLength"),
    Rule("pattern", ERROR, "« {value} » n’a pas le format attendu pour « {field} » ({limit})",
         "constraint-error", "pattern"),
    Rule("enum", ERROR, "« {value} » n’est pas une valeur du référentiel de « {field} »", "constraint-error", "enum"),
    Rule("minimum", ERROR, "« {field} » doit être au moins {limit} : {value}", "constraint-error", "minimum"),
    Rule("maximum", ERROR, "« {field} » doit être au plus {limit} : {value}", "constraint-error", "maximum"),
    Rule("item-enum", ERROR, "« {value} » n’est pas une valeur du référentiel de « {field} »",
         "constraint-error", "enum"),
    Rule("item-pattern", ERROR, "« {value} » n’a pas le format attendu dans « {field} » ({limit})",
         "constraint-error", "pattern"),
    Rule("primary-key", ERROR, "l’identifiant « {value} » est vide ou déjà utilisé par une ligne précédente",
         "primary-key"),
    Rule("foreign-key", ERROR, "la structure « {value} » du service n’existe pas", "foreign-key"),
    # Schema v1 (pydantic validators) and dataset rules beyond the Table Schemas.
    Rule("duplicate-id", ERROR, "l’identifiant « {value} » est aussi utilisé par une ligne suivante"),
    Rule("id-prefix", ERROR, "l’identifiant « {value} » ne commence pas par « <source>-- »"),
    Rule("date-not-iso", ERROR, "la date « {value} » doit s’écrire AAAA-MM-JJ comme l’exige le schéma v1 ({field})"),
    Rule("date-future", ERROR, "la date « {value} » est postérieure à la date de référence ({field})"),
    Rule("tous-publics-alone", ERROR, "« tous-publics » ne peut pas être combiné à d’autres publics : {value}"),
    Rule("latitude-range", ERROR, "la latitude {value} n’est pas comprise entre -90 et 90"),
    Rule("longitude-range", ERROR, "la longitude {value} n’est pas comprise entre -180 et 180"),
    Rule("empty-item", ERROR, "la liste « {field} » contient une valeur vide"),
    Rule("email-syntax", ERROR, "« {value} » n’est pas un courriel valide selon le schéma v1 (RFC 5322)"),
    Rule("url-syntax", ERROR, "« {value} » n’est pas une URL http(s) valide selon le schéma v1 ({field})"),
    Rule("structure-quarantined", ERROR, "la structure « {value} » du service est elle-même en quarantaine"),
    Rule("nom-trailing-period", WARNING, "le nom « {value} » se termine par un point"),
    Rule("code-insee-unknown", WARNING, "le code commune « {value} » n’existe pas dans le Code officiel géographique"),
    # Producer files: columns.
    Rule("missing-column", ERROR, "la colonne obligatoire « {field} » est absente"),
    Rule("unknown-column", WARNING, "la colonne « {field} » n’appartient pas au schéma et est ignorée"),
    Rule("duplicate-column", WARNING, "la colonne « {field} » apparaît plusieurs fois ; seule la première est lue"),
]
# Territory stage (pipeline/territory/): rows of int__territory_errors, added by `check`.
TERRITORY_RULES = [
    Rule("code-insee-inconnu", ERROR, "le code INSEE « {value} » n’existe pas et l’adresse ne désigne aucune commune"),
    Rule("commune-introuvable", ERROR, "aucune commune ne correspond à l’adresse « {value} »"),
    Rule("code-insee-corrige", WARNING, "le code INSEE ne correspond pas à l’adresse, corrigé : {value}"),
    Rule("coordonnees-invalides", WARNING,
         "coordonnées incomplètes ({value}) ; remplacées par le centre de la commune"),
    Rule("coordonnees-inversees", WARNING, "latitude et longitude inversées ({value}) ; remises dans l’ordre"),
    Rule("coordonnees-hors-departement", WARNING,
         "coordonnées ({value}) hors du département de la commune ; remplacées par le centre de la commune"),
    Rule("coordonnees-hors-france", WARNING,
         "coordonnées ({value}) hors de France ; remplacées par le centre de la commune"),
    Rule("zone-eligibilite-code-invalide", WARNING,
         "le code « {value} » de la zone d’éligibilité n’existe pas ; il est retiré"),
]
_RULES += TERRITORY_RULES

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
# code -> (severity, French message template), as other stages and their tests read them.
CODES: dict[str, tuple[str, str]] = {rule.code: (rule.severity, rule.template) for rule in _RULES}


def blocking_codes() -> list[str]:
    return sorted(code for code, rule in RULES.items() if rule.severity == ERROR)


@lru_cache(maxsize=None)
def _constraints(entity: str, field: str, item: bool) -> dict[str, Any]:
    from pipeline.quality import tables

    for descriptor in tables.load(entity)["fields"]:
        if descriptor["name"] == field:
            holder = descriptor.get("arrayItem", {}) if item else descriptor
            return dict(holder.get("constraints", {}))
    return {}


def limit_of(entity: str, field: str, code: str) -> Any:
    """The Table Schema constraint a code refers to (for example 150 for `max-length` on `nom`)."""
    rule = RULES[code]
    if rule.constraint is None or entity not in ("structures", "services"):
        return None
    return _constraints(entity, field, code.startswith("item-")).get(rule.constraint)


def shown_value(field: str, value: str | None) -> str | None:
    """A value as reports may show it: personal data is masked."""
    if value is None:
        return None
    return MASK if field in PERSONAL_FIELDS else value


@dataclass(frozen=True)
class QualityError:
    """One problem of one record: which source, record and field, which rule, which value."""

    source: str | None
    entity: str
    record_id: str | None
    field: str
    code: str
    value: str | None = None
    line: int | None = None

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> str:
        return self.rule.severity

    def describe(self, mask: bool = True) -> str:
        """The French message alone; personal data is masked unless told otherwise (the producer's own file)."""
        value = shown_value(self.field, self.value) if mask else self.value
        limit = limit_of(self.entity, self.field, self.code)
        return self.rule.template.format(field=self.field, value=value if value is not None else "(vide)",
                                         limit=limit)

    @property
    def detail(self) -> str:
        return self.describe(mask=True)

    @property
    def message(self) -> str:
        """The message naming source, table and record, as logs and reports print it."""
        where = f"{self.source} " if self.source else ""
        return f"{where}{self.entity} {self.record_id or '(sans id)'}: {self.detail}"


def markdown_table() -> str:
    """The error-code table of the README, generated from the rules above."""
    lines = ["| code | gravité | Frictionless | message |", "|---|---|---|---|"]
    for rule in _RULES:
        twin = rule.frictionless or "–"
        if rule.constraint:
            twin += f" ({rule.constraint})"
        template = rule.template.replace("|", "\\|")
        lines.append(f"| `{rule.code}` | {'erreur' if rule.severity == ERROR else 'avertissement'} | {twin} | {template} |")
    return "\n".join(lines) + "\n"
