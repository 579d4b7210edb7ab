"""The committed Table Schemas, read without importing the official package (quick to start)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pipeline.paths import SCHEMA_DIR

ENTITIES = ("structures", "services")


@lru_cache(maxsize=None)
def _text(table: str) -> str:
    return (SCHEMA_DIR / f"{table}.schema.json").read_text(encoding="utf-8")


def load(table: str) -> dict[str, Any]:
    """A fresh copy of the Table Schema of `structures` or `services`."""
    return json.loads(_text(table))


def field_names(table: str) -> list[str]:
    return [f["name"] for f in load(table)["fields"]]
