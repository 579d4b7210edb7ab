"""Quality errors as data: a stable kebab code, a French message template, where it happened."""

from __future__ import annotations

from dataclasses import dataclass

# code -> (severity, French message template)
CODES: dict[str, tuple[str, str]] = {
    "required": ("error", "le champ obligatoire « {field} » est vide"),
    "foreign-key": ("error", "la structure « {value} » du service n’est pas publiée"),
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
