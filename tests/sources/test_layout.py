"""Every source folder follows the same layout and contracts (checked for all sources at once)."""

from __future__ import annotations

import re

import pytest

from pipeline import schema, sources
from pipeline.sources.base import make_id
from pipeline.sources.transform import read_vocab
from tests.conftest import Workspace

ALL = sources.discover()
ALLOWED = {"__init__.py", "__pycache__", "source.py", "mapping.sql", "staging.sql", "vocab", "sample"}
REFERENTIEL_OF_COLUMN = {
    "thematiques": "thematiques", "publics": "publics", "modes_mobilisation": "modes_mobilisation",
    "modes_accueil": "modes_accueil", "types": "types_de_services", "type": "types_de_services",
    "frais": "frais", "reseaux_porteurs": "reseaux_porteurs", "typologies": "reseaux_porteurs",
    "mobilisable_par": "personnes_mobilisatrices",
}


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_folder_holds_exactly_the_expected_files(source):
    names = {p.name for p in source.folder.iterdir()}
    assert {"source.py", "mapping.sql", "sample"} <= names
    assert names <= ALLOWED, f"unexpected files in {source.folder}: {names - ALLOWED}"
    assert (source.folder / "sample" / "PROVENANCE.md").is_file()
    assert source.folder.name == source.slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", source.name)
    assert make_id(source.name, "42") == f"{source.name}--42"


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_provenance_names_producer_licence_and_checksums(source):
    text = (source.folder / "sample" / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "Licen" in text and "Producer" in text
    for path in (source.folder / "sample").iterdir():
        if path.name != "PROVENANCE.md":
            assert path.name in text, f"{path.name} is not listed in PROVENANCE.md"


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_metadata_is_complete(source):
    for attribute in ("title", "producer", "licence", "homepage", "protocol"):
        assert getattr(source, attribute), attribute
    assert source.streams and set(source.entities) <= {"structures", "services"}


def _vocab_files():
    for source in ALL:
        for path in sorted((source.folder / "vocab").glob("*.csv")):
            yield source, path
    from pipeline.paths import SOURCES_DIR
    for path in sorted((SOURCES_DIR / "vocab").glob("*.csv")):
        yield None, path


@pytest.mark.parametrize("source,path", list(_vocab_files()), ids=lambda x: getattr(x, "name", str(x)))
def test_vocabulary_targets_exist_in_the_schema(source, path):
    rows = read_vocab(path)
    assert rows, f"{path} is empty"
    referentiel = REFERENTIEL_OF_COLUMN.get(path.stem)
    if referentiel is None:
        return  # a vocabulary of source-specific codes (zone types…), checked by the mapping tests
    valid = set(schema.referentiel_values(referentiel))
    wrong = {target for _, target in rows if target is not None and target not in valid}
    assert not wrong, f"{path}: not in référentiel {referentiel}: {sorted(wrong)}"


@pytest.fixture
def mapped_samples(sample_run: Workspace) -> Workspace:
    return sample_run


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_every_sample_vocabulary_value_is_mapped_or_listed(source, mapped_samples: Workspace):
    for name, sql in source.vocab_inputs.items():
        path = source.folder / "vocab" / f"{name}.csv"
        if not path.exists():
            from pipeline.paths import SOURCES_DIR
            path = SOURCES_DIR / "vocab" / f"{name}.csv"
        listed = {raw for raw, _ in read_vocab(path)}
        referentiel = REFERENTIEL_OF_COLUMN.get(name)
        valid = set(schema.referentiel_values(referentiel)) if referentiel else set()
        seen = {row[0].strip() for row in mapped_samples.query(sql) if row[0] is not None}
        missing = seen - listed - valid
        assert not missing, f"{source.name} {name}: raw values neither mapped nor listed: {sorted(missing)}"


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_mapped_tables_have_exactly_the_schema_columns(source, mapped_samples: Workspace):
    for entity in source.entities:
        columns = [r[0] for r in mapped_samples.query(f"describe map_{source.slug}__{entity}")]
        assert columns == schema.field_names(entity)


@pytest.mark.parametrize("source", ALL, ids=lambda s: s.name)
def test_accounting_balances_for_every_source(source, mapped_samples: Workspace):
    rows = mapped_samples.query(
        "select entity, raw, published, quarantined, excluded, balanced from int__accounting where source = ?",
        [source.name])
    assert {r[0] for r in rows} == set(source.entities)
    assert all(r[-1] for r in rows), rows
    assert sum(r[2] for r in rows) > 0, "the sample publishes something"
