"""The command line: help on every sub-command, exit codes, run registry."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.run import STAGES
from tests.conftest import Workspace


def test_help_says_what_each_command_does():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    commands = list(main.commands)
    assert {"run", "schema"} <= set(commands)
    for name in commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert main.commands[name].help, f"{name} has no help"
        assert name in top.output


def test_usage_errors_exit_2(workspace: Workspace):
    assert workspace.cli("run", "--reference-date", "28/11/2026").exit_code == 2
    assert workspace.cli("run", "--source", "nowhere").exit_code == 2
    assert workspace.cli("run", "--input", "pyproject.toml").exit_code == 2  # needs --source
    assert workspace.cli("run", "--replay", "no-such-run").exit_code == 2


def test_run_is_registered_with_counts(workspace: Workspace):
    result = workspace.run()
    assert result.exit_code == 0, result.output
    assert "Site:" in result.output
    rows = workspace.query("select status, reference_date, mode, counts from runs")
    assert len(rows) == 1
    status, reference_date, mode, counts = rows[0]
    assert (status, str(reference_date), mode) == ("ok", "2026-11-28", "sample")
    counts = json.loads(counts)
    published = workspace.query("select count(*) from pub__structures")[0][0]
    assert counts["counts"]["check"]["structures"] == published > 0
    assert set(counts["timings"]) == {name for name, _ in STAGES} | {"swap"}  # swap into dist/ and history commit
    assert {"collect", "map", "siret", "duplicates", "check", "export", "validate", "render"} <= set(counts["timings"])


def test_warehouse_path_option(workspace: Workspace, tmp_path):
    elsewhere = tmp_path / "elsewhere.duckdb"
    result = workspace.cli("run", "--warehouse", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert elsewhere.exists()
