"""GeoJSON (RFC 7946: WGS 84 / EPSG:4326 longitude-latitude points) of a published table."""

from __future__ import annotations

from pathlib import Path

import duckdb

BATCH = 10_000


def write(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], path: Path) -> int:
    """One Point feature per row with coordinates, every other column as properties; returns the count."""
    properties = ", ".join(f'"{c}" := "{c}"' for c in columns if c not in ("longitude", "latitude"))
    cursor = con.execute(
        f"""
        select '{{"type":"Feature","geometry":{{"type":"Point","coordinates":['
               || longitude::varchar || ',' || latitude::varchar || ']}},"properties":'
               || to_json(struct_pack({properties})) || '}}'
        from pub__{table}
        where longitude is not null and latitude is not null
        order by id
        """
    )
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write('{"type":"FeatureCollection","features":[')
        while rows := cursor.fetchmany(BATCH):
            for (feature,) in rows:
                handle.write(("\n" if count == 0 else ",\n") + feature)
                count += 1
        handle.write("\n]}\n")
    return count
