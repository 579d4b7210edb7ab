"""Page loops shared by paginated JSON APIs (DRF-style `next` links)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from pipeline.http import HttpClient
from pipeline.sources.base import SourceError


def follow_next(http: HttpClient, url: str, max_pages: int = 100_000, **kwargs: Any) -> Iterator[requests.Response]:
    """Responses of a DRF-style paginated endpoint, following `next` until it is null."""
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        if next_url in seen or len(seen) >= max_pages:
            raise SourceError(f"{http.source}: pagination loops or never ends at {next_url}")
        seen.add(next_url)
        response = http.get(next_url, **kwargs)
        try:
            page = response.json()
        except ValueError as exc:
            raise SourceError(f"{http.source}: page {next_url} is not valid JSON ({exc})") from exc
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise SourceError(f"{http.source}: page {next_url} has no 'results' list")
        yield response
        next_url = page.get("next")
