"""Fixtures of the territory tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from tests.territory.helpers import connect


@pytest.fixture(scope="session")
def territory_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the reference loaded once, shared by the territory tests."""
    con = connect()
    yield con
    con.close()
