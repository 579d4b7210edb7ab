"""Record ids become safe, collision-free, reversible file names, whatever a producer sends."""

from __future__ import annotations

import re

import pytest

from pipeline.website import names

HOSTILE = [
    "dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e",
    "dora--../../etc/passwd",
    "dora--..",
    "dora--.",
    "soliguide--a/b",
    "soliguide--a\\b",
    "x--nul\x00byte",
    "x--Piège..<b>&\"1\"",
    "x--ABC",
    "x--abc",
    "x--_41BC",
    "x--_",
    "x--%2e%2e",
    "x--espace ici",
    "x--émoji 🙂",
    "x--" + "a" * 500,
    "x--" + "é" * 300,
    "",
    "_",
    "-",
    "con",
]


@pytest.mark.parametrize("record_id", HOSTILE)
def test_names_are_safe_and_reversible(record_id: str) -> None:
    name = names.encode(record_id)
    assert names.decode(name) == record_id
    assert re.fullmatch(r"[a-z0-9_\-/]+", name), name
    parts = name.split("/")
    assert all(0 < len(p) <= names.SEGMENT for p in parts), parts
    assert not any(p in (".", "..") for p in parts)
    assert "." not in name and "\x00" not in name and "\\" not in name


def test_names_never_collide_even_ignoring_case() -> None:
    encoded = [names.encode(i) for i in HOSTILE]
    assert len(set(encoded)) == len(HOSTILE)
    assert len({e.lower() for e in encoded}) == len(HOSTILE)


def test_plain_ids_keep_their_name() -> None:
    assert names.encode("dora--1bcbb0dc-e094") == "dora--1bcbb0dc-e094"
    assert names.encode("emplois-de-linclusion--17") == "emplois-de-linclusion--17"
