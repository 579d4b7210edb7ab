"""A release built from the DORA sample plus hostile records, shared by the site tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace, shared_folder

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dora_xss"
# Same-origin map tiles, served by the browser tests' server: nothing leaves 127.0.0.1.
TILES = "/tiles/{z}/{x}/{y}.png"
# Structures per search shard: the sample's 13 départements make 4 shards, so every search test merges shards.
SHARD_SIZE = 8


@pytest.fixture(scope="session")
def site_run(request: pytest.FixtureRequest) -> Workspace:
    """`datainclusion run --source dora --input <fixture>`: the sample and the hostile records, search in shards."""
    ws = Workspace(shared_folder(request, "site-run"), extra_env={"DATAINCLUSION_SITE_TILES_URL": TILES,
                                                                       "DATAINCLUSION_SITE_SEARCH_SHARD_SIZE": str(SHARD_SIZE)})
    result = ws.run("--source", "dora", "--input", str(FIXTURE))
    assert result.exit_code == 0, result.output
    return ws
