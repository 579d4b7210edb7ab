"""File names for record ids: safe, collision-free and reversible, whatever a producer sends.

An id keeps its lowercase ASCII letters, digits and `-`; every other UTF-8
byte (including `_`, `.`, `/`, NUL and uppercase letters, so names never
collide on a case-insensitive disk) becomes `_` and two hex digits. Names longer
than a segment are split into folders of `SEGMENT` characters, so no path part
exceeds file-system limits. `decode(encode(x)) == x` for every string.
"""

from __future__ import annotations

import re

SEGMENT = 120
_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-")
_ESCAPE = re.compile(r"_([0-9a-f]{2})")
_SAFE = re.compile(f"[a-z0-9-]{{1,{SEGMENT}}}")


def encode(record_id: str) -> str:
    """The path (without extension) of a record id: `[a-z0-9_-]` parts joined by `/`."""
    if _SAFE.fullmatch(record_id):
        return record_id
    text = "".join(chr(b) if b in _KEEP else f"_{b:02x}" for b in record_id.encode("utf-8", "surrogatepass"))
    if not text:
        text = "_"
    return "/".join(text[i : i + SEGMENT] for i in range(0, len(text), SEGMENT))


def decode(path: str) -> str:
    """The record id of a path made by `encode` (extension already removed)."""
    text = path.replace("/", "")
    if text == "_":
        return ""
    raw = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        raw += text[position : match.start()].encode("ascii")
        raw.append(int(match.group(1), 16))
        position = match.end()
    raw += text[position:].encode("ascii")
    return raw.decode("utf-8", "surrogatepass")
