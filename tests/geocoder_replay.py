"""A geocoder on 127.0.0.1 speaking the national geocoder's batch CSV protocol.

`POST /search/csv/` takes a multipart form: the CSV file in `data`, the
query columns in repeated `columns` fields, the name of the citycode
filter column in `citycode`. It answers the input rows, in order, with the
geocoder's result columns added. Answers come from a script keyed by the
address as sent (case-insensitive); unknown addresses are `not-found`.
A batch holding an address of `fail_addresses` is answered with a 503, every time.
"""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import threading
from dataclasses import dataclass, field

from tests.replay import Received, ReplayServer, Reply

PATH = "/search/csv/"

RESULT_COLUMNS = [
    "latitude", "longitude", "result_label", "result_score", "result_score_next", "result_type", "result_id",
    "result_housenumber", "result_name", "result_street", "result_postcode", "result_city", "result_context",
    "result_citycode", "result_oldcitycode", "result_oldcity", "result_district", "result_status",
]


@dataclass
class Answer:
    """What the geocoder finds for one address."""

    score: float
    type: str
    citycode: str
    postcode: str
    city: str
    name: str
    latitude: float
    longitude: float

    def columns(self) -> dict[str, str]:
        label = f"{self.name} {self.postcode} {self.city}" if self.type != "municipality" else self.city
        return {
            "latitude": f"{self.latitude}", "longitude": f"{self.longitude}", "result_label": label,
            "result_score": f"{self.score}", "result_score_next": "", "result_type": self.type,
            "result_id": f"{self.citycode}_x", "result_housenumber": "", "result_name": self.name,
            "result_street": "", "result_postcode": self.postcode, "result_city": self.city,
            "result_context": "", "result_citycode": self.citycode, "result_oldcitycode": "",
            "result_oldcity": "", "result_district": "", "result_status": "ok",
        }


@dataclass
class GeocoderRequest:
    """One batch received: form fields and CSV rows."""

    fields: dict[str, list[str]]
    rows: list[dict[str, str]]


@dataclass
class GeocoderReplay:
    """The geocoder's protocol played by a `ReplayServer` route (a reply computed from each request)."""

    answers: dict[str, Answer] = field(default_factory=dict)
    fail_addresses: set[str] = field(default_factory=set)
    received: list[GeocoderRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ReplayServer()
        self._server.add("POST", PATH, self._reply)

    @property
    def url(self) -> str:
        return self._server.url + PATH

    def start(self) -> GeocoderReplay:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _reply(self, request: Received) -> Reply:
        content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        status, payload = self._answer(content_type, request.body)
        return Reply(status, payload, {"Content-Type": "text/csv; charset=utf-8"})

    def sent_rows(self) -> list[dict[str, str]]:
        return [row for request in self.received for row in request.rows]

    def _answer(self, content_type: str, body: bytes) -> tuple[int, bytes]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        fields: dict[str, list[str]] = {}
        data = b""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "data":
                data = part.get_payload(decode=True)
            else:
                fields.setdefault(name, []).append(part.get_content().strip())
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        with self._lock:
            self.received.append(GeocoderRequest(fields, rows))
        if any((row.get("adresse") or "").lower() in self.fail_addresses for row in rows):
            return 503, b"Service Unavailable"
        out = io.StringIO()
        header = list(rows[0]) if rows else ["key"]
        writer = csv.DictWriter(out, header + RESULT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        citycode_column = (fields.get("citycode") or [None])[0]
        for row in rows:
            answer = self.answers.get((row.get("adresse") or "").lower())
            if answer and citycode_column and row.get(citycode_column) and row[citycode_column] != answer.citycode:
                answer = None  # the citycode filter leaves nothing
            result = answer.columns() if answer else {c: "" for c in RESULT_COLUMNS} | {"result_status": "not-found"}
            writer.writerow(row | result)
        return 200, out.getvalue().encode("utf-8")
