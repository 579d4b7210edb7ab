"""JSON for raw payloads: orjson's speed, the standard library's answers.

Reading and re-serialising the national payloads with the standard `json`
module took most of the collect stage. orjson is used first; whatever it
refuses (integers beyond 64 bits, `NaN` literals…) goes to `json`, so a
payload is accepted or refused, with its line and column, exactly as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: str | bytes) -> Any:
    """The JSON value of UTF-8 bytes or text; raises UnicodeDecodeError or json.JSONDecodeError as `json` does."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII characters kept as they are."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
