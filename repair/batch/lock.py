"""One batch per output folder: an flock held on `.batch.lock` for as long as the batch runs."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from repair.errors import RepairError

LOCK_FILE = ".batch.lock"


@contextlib.contextmanager
def exclusive_batch(out: Path) -> Iterator[None]:
    """Hold `out`'s batch lock; raises RepairError at once when another batch holds it."""
    lock = (out / LOCK_FILE).open("w")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise RepairError(f"another batch is running in {out}") from None
    try:
        yield
    finally:
        lock.close()
