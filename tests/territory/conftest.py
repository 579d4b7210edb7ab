"""Fixtures of the territory tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from tests.territory.helpers import connect


@pytest.fixture(scope="module")
def territory_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the reference loaded, shared by a module's tests."""
    con = connect()
    yield con
    con.close()
