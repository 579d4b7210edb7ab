"""Personal data: masked by rule in everything published, counted per source and rule."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from pipeline import sources
from pipeline.rgpd.emails import load_rules, personal
from tests.conftest import Workspace, record
from tests.sources.test_dora import FIXTURES

CASES = [
    # personal: first name + "." or "-" at a consumer domain
    ("marie.dupont@gmail.com", True),
    ("Marie.Dupont@GMAIL.COM", True),
    ("jean-pierre.martin@wanadoo.fr", True),
    ("nathalie-durand@laposte.net", True),
    ("lea.b@outlook.fr", True),
    ("sophie.martin75@orange.fr", True),
    ("helene.roux@free.fr", True),
    ("hélène.roux@free.fr", True),
    ("mohamed.benali@hotmail.fr", True),
    ("fatima.z@yahoo.fr", True),
    ("thomas.petit@sfr.fr", True),
    ("kevin.morel@icloud.com", True),
    ("isabelle.leroy@nordnet.fr", True),
    ("christophe.blanc@live.fr", True),
    ("agnes.girard@neuf.fr", True),
    ("julien.fabre@laposte.fr", True),
    # institutional: the local part names a service
    ("mairie.saint-jean@orange.fr", False),
    ("contact.asso@gmail.com", False),
    ("accueil-jeunes@free.fr", False),
    ("ccas.villeneuve@wanadoo.fr", False),
    ("marie.secretariat@gmail.com", False),
    ("sophie.accueil@orange.fr", False),
    ("france.services.aubusson@gmail.com", False),
    # professional domains are never masked by this rule
    ("marie.dupont@ville-rennes.fr", False),
    ("s.magnier@apajh.asso.fr", False),
    ("jean.martin@pole-emploi.fr", False),
    # no separator after the first name, or no first name
    ("mariedupont@gmail.com", False),
    ("chemirsophie54@gmail.com", False),
    ("asea91ai@gmail.com", False),
    ("zzqx.bidule@gmail.com", False),
    # not e-mails at all
    ("pas-un-email", False),
    ("", False),
    (None, False),
]


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    load_rules(connection)
    return connection


@pytest.mark.parametrize("email,expected", CASES)
def test_mask_decision(con, email, expected):
    assert personal(con, [email]) == [expected]


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def _sample_emails() -> set[str]:
    found = set()
    for source in sources.discover():
        for path in (source.folder / "sample").iterdir():
            text = path.read_bytes().decode("utf-8", errors="ignore")
            found |= set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    return found


def test_no_personal_email_of_the_samples_is_published(sample_run: Workspace, con):
    emails = sorted(_sample_emails())
    personal_emails = [e for e, p in zip(emails, personal(con, emails)) if p]
    texts = [p.read_bytes().decode("utf-8", errors="ignore").lower()
             for p in sample_run.dist.rglob("*") if p.is_file()]
    for email in personal_emails:
        assert not any(email.lower() in t for t in texts), f"{email} is published"


def test_contact_not_public_and_contact_names_are_masked(workspace: Workspace, tmp_path):
    folder = tmp_path / "dora"
    folder.mkdir()
    (folder / "structures.json").write_bytes((FIXTURES / "dora_v2" / "structures.json").read_bytes())
    page = json.loads((FIXTURES / "dora_v2" / "services.json").read_text(encoding="utf-8"))
    page["results"][0]["contact_public"] = False
    (folder / "services.json").write_text(json.dumps(page), encoding="utf-8")
    assert workspace.run("--source", "dora", "--input", str(folder)).exit_code == 0
    service_id = "dora--b81d7e02-5a3c-4c1a-8f0e-66a9d3c2e4f1"
    published = record(workspace, "pub__services", service_id)
    assert (published["courriel"], published["telephone"], published["contact_nom_prenom"]) == (None, None, None)
    masks = workspace.query("select field, rule from int__masks where record_id = ? order by field", [service_id])
    assert masks == [("contact_nom_prenom", "contact-non-public"), ("courriel", "contact-non-public"),
                     ("telephone", "contact-non-public")]
    structure = record(workspace, "pub__structures", "dora--3f6c2a9e-1b7d-4f0e-9c55-2d8e4a1b7c90")
    assert structure["courriel"] == "accueil.ccas@ville-rennes.fr"  # institutional, kept


def test_objection_list_masks_by_id_and_by_email(workspace: Workspace, tmp_path):
    objections = tmp_path / "objections.csv"
    objections.write_text("id,courriel\ndora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e,\n,FORMATION@evryware.fr\n",
                          encoding="utf-8")
    workspace.extra_env["DATAINCLUSION_OBJECTIONS"] = str(objections)
    assert workspace.run().exit_code == 0
    by_id = record(workspace, "pub__structures", "dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e")
    assert (by_id["courriel"], by_id["telephone"]) == (None, None)
    by_mail = record(workspace, "pub__structures", "dora--3f02d721-516c-4e54-95f3-6f9e798c8cb9")
    assert (by_mail["courriel"], by_mail["telephone"]) == (None, None)
    counts = dict(workspace.query("select rule, count(*) from int__masks where source = 'dora' group by rule"))
    assert counts["opposition"] == 4
    csv_text = (workspace.dist / "structures.csv").read_text(encoding="utf-8")
    assert "formation@evryware.fr" not in csv_text.lower()


def test_missing_objection_file_is_a_configuration_error(workspace: Workspace, tmp_path):
    workspace.extra_env["DATAINCLUSION_OBJECTIONS"] = str(tmp_path / "nope.csv")
    assert workspace.run().exit_code == 2


def test_contact_names_never_reach_open_data(sample_run: Workspace):
    assert sample_run.query("select count(*) from pub__services where contact_nom_prenom is not null") == [(0,)]
