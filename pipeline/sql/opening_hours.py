"""OSM `opening_hours` strings from structured weekly hours, shared by every source.

Sources describe a week as JSON: `{"Mo": [["09:00", "12:00"], ["14:00", "17:00"]],
"Tu": [...], ...}` (a missing or empty day is closed). Consecutive days with the
same time slots are grouped (`Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00`),
as the OSM `opening_hours` syntax recommended by the schema writes them.
"""

from __future__ import annotations

import json
from functools import lru_cache
import re

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = re.compile(r"^([01]?\d|2[0-4])[:hH.]?([0-5]\d)?$")


def normalise_time(value: str | int) -> str | None:
    """'9h', '0900', '9:00', 900 -> '09:00'; anything else -> None."""
    text = str(value).strip()
    if isinstance(value, int) or text.isdigit():
        number = int(text)
        if len(text) <= 2:
            hours, minutes = number, 0
        else:
            hours, minutes = divmod(number, 100)
    else:
        match = _TIME.match(text)
        if not match:
            return None
        hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        return None
    return f"{hours:02d}:{minutes:02d}"


def _slots(raw: object) -> tuple[tuple[str, str], ...]:
    slots = []
    for item in raw or []:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            continue
        start, end = normalise_time(item[0]), normalise_time(item[1])
        if start and end and start < end:
            slots.append((start, end))
    return tuple(sorted(set(slots)))


def osm_opening_hours(week: dict[str, object]) -> str | None:
    """The OSM string of a week, or None when no day has a valid slot."""
    slots = {day: _slots(week.get(day)) for day in DAYS}
    groups: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
    for day in DAYS:
        if not slots[day]:
            continue
        previous = groups[-1] if groups else None
        if previous and previous[2] == slots[day] and DAYS.index(previous[1]) == DAYS.index(day) - 1:
            groups[-1] = (previous[0], day, previous[2])
        else:
            groups.append((day, day, slots[day]))
    if not groups:
        return None
    rules = []
    for first, last, day_slots in groups:
        days = first if first == last else f"{first}-{last}" if DAYS.index(last) - DAYS.index(first) > 1 else f"{first},{last}"
        rules.append(f"{days} " + ",".join(f"{start}-{end}" for start, end in day_slots))
    return "; ".join(rules)


@lru_cache(maxsize=1 << 16)
def osm_opening_hours_json(week_json: str) -> str | None:
    """DuckDB entry point: the week as a JSON object string (weeks repeat a lot: answers are cached)."""
    try:
        week = json.loads(week_json)
    except (TypeError, json.JSONDecodeError):
        return None
    return osm_opening_hours(week) if isinstance(week, dict) else None
