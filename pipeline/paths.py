"""Where the project's own files live (schema, templates, reference data)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SCHEMA_DIR = PROJECT_ROOT / "schema"
SITE_DIR = PROJECT_ROOT / "site"
SOURCES_DIR = PACKAGE_DIR / "sources"
SQL_DIR = PACKAGE_DIR / "sql"
TERRITORY_REFERENCE_DIR = PACKAGE_DIR / "territory" / "reference"
