"""The national geocoder's batch CSV endpoint, and the warehouse cache of its answers.

Addresses go in batches (at most 20,000 rows) to `POST …/search/csv/` with
the columns adresse, code_postal, commune and the `citycode` filter. Answers
are kept in `int__geocodage_cache`, keyed by the normalised query, so a later
run sends only new or changed addresses, and retries failed, not-found or
low-score ones once they are older than the retry delay. Whether an answer
is good enough is decided in SQL (`geocode_accepted` in macros.sql).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb
import pyarrow as pa

from pipeline.http import HttpClient, HttpError, RetryPolicy

DEFAULT_URL = "https://data.geopf.fr/geocodage/search/csv/"
MAX_BATCH = 20_000
QUERY_COLUMNS = ("key", "adresse", "code_postal", "commune", "citycode")
RESULT_COLUMNS = (
    "result_label", "result_score", "result_type", "result_citycode", "result_postcode",
    "result_city", "result_name", "latitude", "longitude",
)
CACHE_DDL = """
create table if not exists int__geocodage_cache (
    key varchar primary key,
    adresse varchar,
    code_postal varchar,
    commune varchar,
    citycode varchar,
    status varchar not null,          -- ok, not-found, failed
    result_label varchar,
    result_score double,
    result_type varchar,
    result_citycode varchar,
    result_postcode varchar,
    result_city varchar,
    result_name varchar,
    latitude double,
    longitude double,
    geocoded_at timestamp not null
)
"""
CACHE_COLUMNS = ("key", "adresse", "code_postal", "commune", "citycode", "status") + RESULT_COLUMNS + ("geocoded_at",)


@dataclass(frozen=True)
class GeocoderSettings:
    """Where the geocoder is and how we use it; each value from a DATAINCLUSION_GEOCODER_* variable."""

    url: str = DEFAULT_URL
    batch_size: int = MAX_BATCH
    retry_after: timedelta = timedelta(days=7)
    timeout: float = 180.0

    @classmethod
    def from_env(cls) -> "GeocoderSettings":
        env = os.environ
        batch = int(env.get("DATAINCLUSION_GEOCODER_BATCH_SIZE", MAX_BATCH))
        return cls(
            url=env.get("DATAINCLUSION_GEOCODER_URL") or DEFAULT_URL,
            batch_size=max(1, min(batch, MAX_BATCH)),
            retry_after=timedelta(days=float(env.get("DATAINCLUSION_GEOCODER_RETRY_DAYS", "7"))),
            timeout=float(env.get("DATAINCLUSION_GEOCODER_TIMEOUT", "180")),
        )


class GeocoderClient:
    """Sends one batch of queries as a CSV file and reads the geocoder's CSV answer."""

    def __init__(self, settings: GeocoderSettings, log: Callable[[str], None] | None = None,
                 policy: RetryPolicy | None = None) -> None:
        """Retries as for every HTTP call (DATAINCLUSION_HTTP_*), with the geocoder's own read timeout."""
        base = policy or RetryPolicy.from_env()
        policy = RetryPolicy(base.attempts, base.backoff, base.max_wait, (min(10.0, settings.timeout), settings.timeout))
        self.settings = settings
        self.http = HttpClient("geocodeur", policy, log=log)

    def geocode(self, queries: list[dict[str, str | None]]) -> dict[str, dict[str, str]]:
        """Answers by key; raises HttpError when the batch fails for good."""
        body = io.StringIO()
        writer = csv.writer(body, lineterminator="\n")
        writer.writerow(QUERY_COLUMNS)
        for query in queries:
            writer.writerow([query[c] or "" for c in QUERY_COLUMNS])
        response = self.http.post(
            self.settings.url,
            files={"data": ("adresses.csv", body.getvalue().encode("utf-8"), "text/csv")},
            data=[("columns", "adresse"), ("columns", "code_postal"), ("columns", "commune"),
                  ("citycode", "citycode")],
        )
        try:
            return parse_answer(response.content.decode("utf-8-sig"), self.settings.url)
        except (ValueError, csv.Error) as exc:
            raise HttpError(f"geocodeur: {self.settings.url} answered an unreadable CSV ({exc})") from exc


def parse_answer(text: str, url: str) -> dict[str, dict[str, str]]:
    """Rows of the geocoder's CSV answer by key (it answers with the query's delimiter, or another)."""
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "|", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "key" not in reader.fieldnames:
        raise HttpError(f"geocodeur: {url} answered a CSV without the key column (header {header[:200]!r})")
    return {row["key"]: row for row in reader if row.get("key")}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def cache_row(query: dict[str, str | None], answer: dict[str, str] | None, at: datetime) -> dict[str, object]:
    """One cache row from a query and its answer (None: the batch failed or the row is missing)."""
    row: dict[str, object] = {c: query[c] for c in QUERY_COLUMNS}
    row.update({c: None for c in RESULT_COLUMNS})
    row["geocoded_at"] = at
    if answer is None or answer.get("result_status") in ("error", "skipped"):
        row["status"] = "failed"
        return row
    score = _number(answer.get("result_score"))
    row["status"] = "ok" if score is not None else "not-found"
    for column in RESULT_COLUMNS:
        row[column] = answer.get(column) or None
    row["result_score"] = score
    row["latitude"] = _number(answer.get("latitude"))
    row["longitude"] = _number(answer.get("longitude"))
    return row


def ensure_cache(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CACHE_DDL)


def pending(con: duckdb.DuckDBPyConnection, settings: GeocoderSettings, now: datetime) -> list[dict[str, str | None]]:
    """Queries of `int__geocodage_requests` the cache cannot answer yet, sorted by key."""
    rows = con.execute(
        f"""
        select {', '.join('r.' + c for c in QUERY_COLUMNS)}
        from int__geocodage_requests as r
        left join int__geocodage_cache as c on c.key = r.key
        where c.key is null
           or (not geocode_accepted(c.result_score, c.result_type, c.adresse, c.commune) and c.geocoded_at <= ?)
        order by r.key
        """,
        [now - settings.retry_after],
    ).fetchall()
    return [dict(zip(QUERY_COLUMNS, row)) for row in rows]


def _batches(items: list[dict[str, str | None]], size: int) -> Iterator[list[dict[str, str | None]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def store(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    """Replace the cache rows of these keys."""
    table = pa.table({c: [r[c] for r in rows] for c in CACHE_COLUMNS}, schema=pa.schema(
        [(c, pa.float64() if c in ("result_score", "latitude", "longitude") else
          pa.timestamp("us") if c == "geocoded_at" else pa.string()) for c in CACHE_COLUMNS]))
    con.register("geocodage_batch", table)
    try:
        con.execute("delete from int__geocodage_cache where key in (select key from geocodage_batch)")
        con.execute(f"insert into int__geocodage_cache ({', '.join(CACHE_COLUMNS)}) "
                    f"select {', '.join(CACHE_COLUMNS)} from geocodage_batch")
    finally:
        con.unregister("geocodage_batch")


def refresh(con: duckdb.DuckDBPyConnection, client: GeocoderClient, warn: Callable[[str], None],
            now: datetime | None = None) -> dict[str, int]:
    """Send what the cache lacks, batch by batch; a failed batch is cached as failed and the run goes on."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    queries = pending(con, client.settings, now)
    counts = {"requested": len(queries), "batches": 0, "failed_batches": 0, "answered": 0}
    for batch in _batches(queries, client.settings.batch_size):
        counts["batches"] += 1
        try:
            answers = client.geocode(batch)
        except HttpError as exc:
            counts["failed_batches"] += 1
            warn(f"{exc}; {len(batch)} addresses kept as failed in the cache, retried after the delay")
            answers = {}
        counts["answered"] += sum(1 for q in batch if q["key"] in answers)
        store(con, [cache_row(q, answers.get(str(q["key"])), now) for q in batch])
    return counts
