"""`datainclusion`: the one command of the publisher and its sub-commands.

Each sub-command parses its options and calls library code. Exit codes:
0 success, 1 data errors over the threshold (nothing published),
2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline import config
from pipeline.config import ConfigError

if TYPE_CHECKING:
    from rich.console import Console


@cache
def console() -> Console:
    """The error and progress stream, made on first use: `validate` and `--help` start without rich."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _reference_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def path_options(func: Any) -> Any:
    """Options shared by the commands that touch the warehouse, the archive or dist/."""
    func = click.option("--dist", "dist_dir", type=click.Path(path_type=Path),
                        help="Release folder [env DATAINCLUSION_DIST_DIR; default dist].")(func)
    func = click.option("--data-dir", type=click.Path(path_type=Path),
                        help="Raw archive and warehouse folder [env DATAINCLUSION_DATA_DIR; default data].")(func)
    func = click.option("--warehouse", type=click.Path(path_type=Path),
                        help="DuckDB warehouse file [env DATAINCLUSION_WAREHOUSE; default data/warehouse.duckdb].")(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datainclusion-publisher")
def main() -> None:
    """Collect France's inclusion offer, align it on the data·inclusion schema v1, publish it as open data."""


@main.command()
@path_options
@click.option("--reference-date", callback=_reference_date, metavar="YYYY-MM-DD",
              help="Date the release describes (default: today). Same inputs and date give the same files.")
@click.option("--live", is_flag=True, help="Fetch from the producers' APIs (credentials from the environment).")
@click.option("--replay", metavar="RUN_ID", help="Rebuild from the raw archive of an earlier run, without network.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--input", "input_path", type=click.Path(exists=True, path_type=Path),
              help="Map a file or folder in the producer's own format (needs exactly one --source).")
@click.option("--previous", metavar="URL_OR_PATH",
              help="Restore the history from this published release (folder or URL) before adding the run.")
@click.option("--allow-drop", is_flag=True,
              help="Publish even if the freshness guard flags a source (drop in volume, data frozen).")
def run(warehouse: Path | None, data_dir: Path | None, dist_dir: Path | None, reference_date: date | None,
        live: bool, replay: str | None, sources: tuple[str, ...], input_path: Path | None,
        previous: str | None, allow_drop: bool) -> None:
    """Run every stage: collect, map, check, export, validate, render; publish into dist/."""
    # Imported here, so that light commands (validate, --help) start fast.
    from pipeline.history.record import HistoryError
    from pipeline.history.store import PreviousReleaseError
    from pipeline.run import execute
    from pipeline.sources.base import SourceError

    if input_path is not None and len(sources) != 1:
        raise click.UsageError("--input needs exactly one --source NAME")
    if sum([live, bool(replay), input_path is not None]) > 1:
        raise click.UsageError("--live, --replay and --input cannot be combined")
    try:
        settings = config.load(warehouse=warehouse, data_dir=data_dir, dist_dir=dist_dir,
                               reference_date=reference_date, live=live, replay=replay,
                               sources=sources, input_path=input_path, previous=previous,
                               allow_drop=allow_drop)
        result = execute(settings)
    except (ConfigError, HistoryError) as exc:
        console().print(f"[red]configuration error[/red] {exc}")
        sys.exit(2)
    except PreviousReleaseError as exc:
        console().print(f"[red]error[/red] cannot restore the history: {exc}")
        sys.exit(1)
    except SourceError as exc:
        console().print(f"[red]error[/red] {exc}")
        sys.exit(2 if replay or "unknown source" in str(exc) else 1)
    for message in result.messages:
        console().print(f"- {message}", highlight=False)
    if result.exit_code == 0:
        console().print(f"[green]{result.status}[/green] run {result.run_id}: "
                      f"{result.counts['check']['structures']} structures, {result.counts['check']['services']} services")
        console().print(f"Site: {(settings.dist_dir / 'site' / 'index.html').resolve()}")
    else:
        console().print(f"[red]{result.status}[/red] run {result.run_id}: nothing published, {settings.dist_dir} left as it was")
    sys.exit(result.exit_code)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (per table: invalid records, line, errors).")
@click.option("--reference-date", callback=_reference_date, metavar="YYYY-MM-DD",
              help="Latest acceptable date_maj (default: today).")
@click.option("--source", metavar="NAME", help="Source of the records when the file has no `source` column.")
def validate(paths: tuple[Path, ...], as_json: bool, reference_date: date | None, source: str | None) -> None:
    """Check a producer's CSV, JSON or XLSX file(s) against schema v1; exit 0 valid, 1 invalid, 2 unreadable."""
    import orjson

    from pipeline.quality import producer, readers

    try:
        report = producer.validate(list(paths), reference_date or date.today(), source)
    except readers.UnreadableFile as exc:
        console().print(f"[red]unreadable[/red] {exc}", highlight=False)
        sys.exit(2)
    if as_json:
        # orjson: the report of a national file is megabytes, which the standard encoder takes 0.2 s to write.
        click.echo(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2))
    else:
        click.echo(report.text())
    sys.exit(0 if report.valid else 1)


@main.command()
@path_options
def report(warehouse: Path | None, data_dir: Path | None, dist_dir: Path | None) -> None:
    """Print the last run's accounting per source and its most frequent errors, from the warehouse."""
    import duckdb

    from pipeline.quality import reports

    settings = config.load(warehouse=warehouse, data_dir=data_dir, dist_dir=dist_dir)
    if not settings.warehouse.exists():
        console().print(f"[red]error[/red] no warehouse at {settings.warehouse}: run `datainclusion run` first")
        sys.exit(2)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        try:
            click.echo(reports.summary_text(con), nl=False)
        except duckdb.CatalogException:
            console().print(f"[red]error[/red] {settings.warehouse} holds no checked run yet")
            sys.exit(2)


@main.command()
@click.option("--datagouv", is_flag=True, help="Upload the release to its data.gouv.fr resources.")
@click.option("--dist", "dist_dir", type=click.Path(path_type=Path),
              help="Release folder to publish [env DATAINCLUSION_DIST_DIR; default dist].")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="data.gouv ids (TOML) [env DATAINCLUSION_DATAGOUV_CONFIG; default config/datagouv.toml].")
@click.option("--dry-run", is_flag=True, help="Print what would be sent (the default when DATAGOUV_API_KEY is unset).")
def publish(datagouv: bool, dist_dir: Path | None, config_path: Path | None, dry_run: bool) -> None:
    """Publish a built release (today: to data.gouv.fr, key from DATAGOUV_API_KEY)."""
    from pipeline.publish import datagouv as target_datagouv

    if not datagouv:
        raise click.UsageError("say where to publish: --datagouv")
    release = config.load(dist_dir=dist_dir).dist_dir
    if not (release / "datapackage.json").is_file():
        console().print(f"[red]error[/red] no release in {release} (run `datainclusion run` first)")
        sys.exit(2)
    try:
        target = target_datagouv.load_target(config_path)
    except target_datagouv.PublishError as exc:
        console().print(f"[red]configuration error[/red] {exc}")
        sys.exit(2)
    key = None if dry_run else os.environ.get(target_datagouv.ENV_KEY)
    if key is None:
        console().print(f"dry run: nothing is sent ({target_datagouv.ENV_KEY} unset or --dry-run)")
    outcome = target_datagouv.publish(release, target, key, lambda m: console().print(m, highlight=False))
    if outcome.failed:
        console().print(f"[red]{len(outcome.failed)} file(s) not published[/red]: " + "; ".join(outcome.failed))
        sys.exit(1)
    if key:
        console().print(f"[green]published[/green] {len(outcome.sent)} file(s) to dataset {target.dataset}")


@main.command(name="schema")
@click.option("--check", is_flag=True, help="Only compare schema/ with the installed package; exit 1 on drift.")
def schema_command(check: bool) -> None:
    """Write schema/*.schema.json and schema/referentiels/*.csv from data-inclusion-schema."""
    from pipeline import schema

    if check:
        drift = [rel for rel, text in schema.generated_files().items()
                 if not (schema.SCHEMA_DIR / rel).exists()
                 or (schema.SCHEMA_DIR / rel).read_text(encoding="utf-8") != text]
        for rel in drift:
            console().print(f"differs: schema/{rel}")
        sys.exit(1 if drift else 0)
    for path in schema.write():
        console().print(f"wrote {path.relative_to(schema.SCHEMA_DIR.parent)}")


@main.command(name="match")
@click.argument("left", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("right", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--threshold", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Match probability at or above which a pair is kept (default: the tuned threshold).")
def match_command(left: Path, right: Path, out: Path, threshold: float | None) -> None:
    """Find the structures of LEFT that are also in RIGHT (schema-v1 CSV, JSON or Parquet); write pairs to OUT (CSV)."""
    from pipeline.enrich import linkage
    from pipeline.enrich.match import MatchInputError, match

    try:
        count = match(left, right, out, linkage.THRESHOLD if threshold is None else threshold)
    except MatchInputError as exc:
        console().print(f"[red]error[/red] {exc}")
        sys.exit(2)
    console().print(f"{count} matched pairs written to {out}")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--live", is_flag=True,
              help="Also ask the national geocoder [env DATAINCLUSION_GEOCODER_URL]; answers cached in the warehouse.")
@click.option("--warehouse", type=click.Path(path_type=Path),
              help="Warehouse holding the geocoder cache, with --live [env DATAINCLUSION_WAREHOUSE].")
def geocode(source: Path, target: Path, live: bool, warehouse: Path | None) -> None:
    """Add code_insee, latitude, longitude, score and adresse_certifiee to a CSV of addresses.

    SOURCE needs some of the columns adresse, code_postal, commune, code_insee (latitude and
    longitude are checked when present). Offline by default: codes from the communes reference,
    positions from the file or the commune's centre.
    """
    from pipeline.territory.csvfile import CsvInputError, geocode_csv

    try:
        settings = config.load(warehouse=warehouse)
        counts = geocode_csv(source, target, live=live, warehouse=settings.warehouse,
                             warn=lambda message: console().print(f"[yellow]warning[/yellow] {message}", highlight=False))
    except (ConfigError, CsvInputError) as exc:
        console().print(f"[red]error[/red] {exc}")
        sys.exit(2)
    console().print(f"wrote {target}: {counts['rows']} rows, {counts['resolved']} with a code INSEE, "
                  f"{counts['certified']} certified addresses", highlight=False)


if __name__ == "__main__":
    main()
