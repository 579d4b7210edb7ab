"""Identifiers that SQL cannot check alone: SIRET keys and phone numbers.

Registered in DuckDB by `pipeline.sql.functions.register`, used by the
enrichment stages (sirétisation, duplicates) and `datainclusion match`.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum.fr import siret as stdnum_siret

# Overseas départements and collectivities have their own numbering plans:
# a national number written "0262 …" is only valid read as La Réunion.
OVERSEAS_REGIONS = {
    "971": "GP", "972": "MQ", "973": "GF", "974": "RE", "975": "PM", "976": "YT",
    "977": "BL", "978": "MF", "986": "WF", "987": "PF", "988": "NC",
}
_OVERSEAS_ORDER = ("RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
_DIGITS = re.compile(r"\D")


def siret_problem(value: str | None) -> str | None:
    """Why a SIRET is not usable (`format`, `cle`, `absent`), or None when it is.

    python-stdnum checks the Luhn key and knows the La Poste exception
    (SIREN 356000000, whose établissements use a digit sum divisible by 5).
    A SIRET made of zeros is a placeholder producers use for "none".
    """
    if value is None:
        return None
    digits = value.strip()
    if not digits:
        return None
    if not re.fullmatch(r"\d{14}", digits):
        return "format"
    if set(digits) == {"0"}:
        return "absent"
    return None if stdnum_siret.is_valid(digits) else "cle"


def _regions_for(code_postal: str | None) -> list[str]:
    prefix = (code_postal or "").strip()[:3]
    first = OVERSEAS_REGIONS.get(prefix)
    regions = ([first] if first else []) + ["FR"]
    return regions + [r for r in _OVERSEAS_ORDER if r not in regions]


def phone_e164(value: str | None, code_postal: str | None) -> str | None:
    """A phone number in E.164 (`+33…`, `+262…`), its 4 digits for a short service number, else None.

    The postal code says which numbering plan to try first (mainland or an
    overseas one), so `0262 …` in Saint-Denis becomes `+262262…`.
    """
    if value is None:
        return None
    digits = _DIGITS.sub("", value)
    if len(digits) == 4:
        return digits
    if len(digits) < 6:
        return None
    for region in _regions_for(code_postal):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if value.strip().startswith("+"):
            return None
    return None
