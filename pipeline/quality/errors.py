"""Quality errors as data: a stable kebab code, a French message template, where it happened."""

from __future__ import annotations

from dataclasses import dataclass

# code -> (severity, French message template)
CODES: dict[str, tuple[str, str]] = {
    "required": ("error", "le champ obligatoire « {field} » est vide"),
    "foreign-key": ("error", "la structure « {value} » du service n’est pas publiée"),
    # territory stage (pipeline/territory/)
    "code-insee-inconnu": ("error", "le code INSEE « {value} » n’existe pas et l’adresse ne désigne aucune commune"),
    "commune-introuvable": ("error", "aucune commune ne correspond à l’adresse « {value} »"),
    "code-insee-corrige": ("warning", "le code INSEE ne correspond pas à l’adresse, corrigé : {value}"),
    "coordonnees-invalides": ("warning", "coordonnées incomplètes ({value}) ; remplacées par le centre de la commune"),
    "coordonnees-inversees": ("warning", "latitude et longitude inversées ({value}) ; remises dans l’ordre"),
    "coordonnees-hors-departement": ("warning", "coordonnées ({value}) hors du département de la commune ; "
                                                "remplacées par le centre de la commune"),
    "coordonnees-hors-france": ("warning", "coordonnées ({value}) hors de France ; remplacées par le centre de la commune"),
    "zone-eligibilite-code-invalide": ("warning", "le code « {value} » de la zone d’éligibilité n’existe pas ; il est retiré"),
}


@dataclass(frozen=True)
class QualityError:
    """One problem of one record: which source, record and field, which rule, which value."""

    source: str
    entity: str
    record_id: str | None
    field: str
    code: str
    value: str | None = None

    @property
    def severity(self) -> str:
        return CODES[self.code][0]

    @property
    def message(self) -> str:
        template = CODES[self.code][1]
        return f"{self.source} {self.entity} {self.record_id or '(sans id)'}: " + template.format(
            field=self.field, value=self.value
        )
