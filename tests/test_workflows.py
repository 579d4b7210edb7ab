"""GitHub workflows: valid against the workflow JSON Schema, and the publish job does its whole job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from pipeline import sources
from pipeline.paths import PROJECT_ROOT

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))


def test_every_workflow_passes_the_github_workflow_schema():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "publish.yml"}
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _publish() -> dict:
    return yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))


def test_publish_runs_weekly_on_monday_morning_and_on_demand():
    triggers = _publish()[True]  # YAML 1.1 reads the `on` key as True
    assert triggers["schedule"] == [{"cron": "0 5 * * 1"}]
    assert "workflow_dispatch" in triggers


def test_publish_restores_runs_uploads_releases_and_deploys():
    workflow = _publish()
    steps = workflow["jobs"]["release"]["steps"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    uses = [s.get("uses", "") for s in steps] + [s.get("uses", "") for s in workflow["jobs"]["pages"]["steps"]]
    assert any(u.startswith("actions/setup-python") and s.get("with", {}).get("cache") == "pip"
               for s, u in zip(steps, uses))
    assert "--previous previous" in scripts and "datainclusion run" in scripts and "--live" in scripts
    assert "datainclusion publish --datagouv" in scripts
    assert "gh release create" in scripts
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)


def test_publish_passes_every_source_credential_from_secrets():
    steps = _publish()["jobs"]["release"]["steps"]
    (run_step,) = [s for s in steps if "datainclusion run" in s.get("run", "")]
    env = run_step["env"]
    for source in sources.discover():
        for variable in source.credentials.values():
            assert env.get(variable) == f"${{{{ secrets.{variable} }}}}", f"{source.name}: {variable} not passed"
    upload = next(s for s in steps if "publish --datagouv" in s.get("run", ""))
    assert upload["env"] == {"DATAGOUV_API_KEY": "${{ secrets.DATAGOUV_API_KEY }}"}
