"""Every HTTP call of the project: one `requests.Session`, timeouts, retries with back-off.

Errors name the source and the URL and never include credentials.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}


class HttpError(Exception):
    """A request failed for good (after retries); the message names source and URL."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff: float = 1.0  # seconds, doubled at each attempt
    max_wait: float = 120.0  # cap on any single wait, Retry-After included
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read

    @classmethod
    def from_env(cls) -> "RetryPolicy":
        """Policy overridable by DATAINCLUSION_HTTP_{ATTEMPTS,BACKOFF,MAX_WAIT,TIMEOUT}."""
        env = os.environ
        timeout = float(env.get("DATAINCLUSION_HTTP_TIMEOUT", "60"))
        return cls(
            attempts=int(env.get("DATAINCLUSION_HTTP_ATTEMPTS", "5")),
            backoff=float(env.get("DATAINCLUSION_HTTP_BACKOFF", "1")),
            max_wait=float(env.get("DATAINCLUSION_HTTP_MAX_WAIT", "120")),
            timeout=(min(10.0, timeout), timeout),
        )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value)
    if parsed is None:
        return None
    return max(0.0, (parsed - datetime.now(timezone.utc)).total_seconds())


class HttpClient:
    """A session bound to one source, so errors and logs can name it."""

    def __init__(
        self,
        source: str,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.policy = policy or RetryPolicy.from_env()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "datainclusion-publisher (+open data)")
        self.sleep = sleep
        self.log = log or (lambda message: None)
        self.waits: list[float] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request, retrying on 429, 5xx, timeouts and connection errors."""
        kwargs.setdefault("timeout", self.policy.timeout)
        last_error = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                if isinstance(exc, requests.Timeout):
                    kind = "timed out"
                elif isinstance(exc, requests.ConnectionError):
                    kind = "connection failed"
                else:
                    kind = "body incomplete or corrupt"
                last_error = f"{kind} ({type(exc).__name__})"
                wait = self.policy.backoff * 2 ** (attempt - 1)
            else:
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise HttpError(
                            f"{self.source}: {method} {url} answered HTTP {response.status_code} {response.reason}"
                        )
                    return response
                last_error = f"HTTP {response.status_code} {response.reason}"
                wait = _retry_after(response) or self.policy.backoff * 2 ** (attempt - 1)
            if attempt == self.policy.attempts:
                break
            wait = min(wait, self.policy.max_wait)
            self.log(f"{self.source}: {method} {url} {last_error}; retry {attempt}/{self.policy.attempts - 1} in {wait:.1f}s")
            self.waits.append(wait)
            self.sleep(wait)
        raise HttpError(f"{self.source}: {method} {url} failed after {self.policy.attempts} attempts: {last_error}")

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
