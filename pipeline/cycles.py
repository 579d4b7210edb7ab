"""Pausing Python's cycle collector while millions of acyclic objects are made.

The collector runs each time enough container objects were created, and a full
pass visits every object still alive: parsing a national payload or the site's
build manifest made it run again and again over what was just parsed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cycle collection inside the block (the objects made there hold no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
