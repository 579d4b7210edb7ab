"""Enrichment: sirétisation (checked and proposed SIRETs) and the correspondence tool (duplicates).

`prepare(con)` loads what both need on a connection: the vocabularies of
`vocab/` (`vocab_enrich__voies`, `vocab_enrich__mots`) and the macros of
`macros.sql`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.sources.transform import load_vocab

ENRICH_DIR = Path(__file__).resolve().parent


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    load_vocab(con, ENRICH_DIR, "vocab_enrich__")
    con.execute((ENRICH_DIR / "macros.sql").read_text(encoding="utf-8"))
