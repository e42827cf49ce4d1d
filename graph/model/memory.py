"""Working with millions of small objects at once.

CPython's cyclic garbage collector runs a full collection every so many container
allocations, and each one walks every live container. Reading a million deals into
tuples and dicts therefore triggers collections whose cost grows with the data: a
third of ``dealgraph stress`` at a million deals went there. The tables built in bulk
(rows, exposure maps, adjacency lists) hold no reference cycles, so nothing is lost by
not looking for cycles while they are built.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees
    everything as usual); the collector is left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
