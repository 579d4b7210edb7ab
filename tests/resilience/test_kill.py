"""The process is killed (SIGKILL) in the middle of a run, then started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Workspace
from tests.resilience.conftest import snapshot


def _cli() -> str:
    return str(Path(sys.executable).parent / "datainclusion")


def test_killed_during_export_then_restarted(workspace: Workspace):
    assert workspace.run(reference_date="2026-11-02").exit_code == 0
    release = snapshot(workspace.dist)
    archives = snapshot(workspace.data_dir / "raw")

    env = {**os.environ, **workspace.env()}
    process = subprocess.Popen([_cli(), "run", "--reference-date", "2026-11-09"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(workspace.root.glob(".dist.build-*/structures.csv")):  # the export has begun
            break
        time.sleep(0.005)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert snapshot(workspace.dist) == release, "the published release is untouched"
    kept = snapshot(workspace.data_dir / "raw")
    assert all(kept[name] == content for name, content in archives.items()), "earlier archives are untouched"

    result = workspace.run(reference_date="2026-11-09")
    assert result.exit_code == 0, result.output
    statuses = [s for (s,) in workspace.query("select status from runs order by started_at")]
    assert statuses == ["ok", "interrupted", "ok"]
    assert not list(workspace.root.glob(".dist.build-*")), "the killed run's build folder is cleared"
    deadline = time.monotonic() + 30
    while list(workspace.root.glob(".dist.*-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(workspace.root.glob(".dist.old-*")), "the replaced release is removed in the background"
    assert not list(workspace.root.glob(".dist.trash-*")), "so is the killed run's build folder"
    check = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=workspace.dist,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    balanced = workspace.query("select bool_and(balanced) from int__accounting")
    assert balanced == [(True,)]
    assert workspace.query("select count(*) from hist__releases") == [(2,)]
