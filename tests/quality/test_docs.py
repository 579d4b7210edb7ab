"""Docs as tests: every error code and the quality commands are documented in the README."""

from __future__ import annotations

from pipeline.cli import main
from pipeline.paths import PROJECT_ROOT
from pipeline.publish.extensions import EXTENSION_FIELDS
from pipeline.quality.errors import RULES, markdown_table

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_error_code_table_is_the_generated_one():
    assert markdown_table() in README, "regenerate the table with pipeline.quality.errors.markdown_table()"
    for code in RULES:
        assert f"`{code}`" in README


def test_quality_commands_and_reports_are_documented():
    for command in ("validate", "report"):
        assert command in main.commands
        assert f"`datainclusion {command}" in README
    for report in ("reports/validation.json", "reports/sources.json", "reports/quarantine.csv"):
        assert report in README


def test_score_columns_are_declared_and_documented():
    for table in ("structures", "services"):
        (score,) = [f for f in EXTENSION_FIELDS[table] if f["name"] == "score_qualite"]
        assert score["type"] == "number" and score["description"]
    assert "score_qualite" in README
