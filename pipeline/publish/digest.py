"""SHA-256 of release files, computed once per file version.

The data package, the DCAT catalogue, the site's download list, the
validation's integrity check and `SHA256SUMS` all need the same digests of
about 1.3 GB of files at national scale; hashing them once instead of five
times saves several seconds per run. A file is known by its path, size and
modification time, so a rewritten file is hashed again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4096)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256(path: Path, cached: bool = True) -> str:
    """Hex SHA-256 of the file as it is now; `cached=False` reads it again whatever its stat says
    (the validation's integrity check must see a change that kept the size and time)."""
    stat = path.stat()
    if not cached:
        return _sha256.__wrapped__(path, stat.st_size, stat.st_mtime_ns)
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)
