"""Where a batch's bugs run: worker processes on this machine (`local`) or a Dask cluster (`dask`).

Both stand behind one small interface, so the batch around them (the lock, `results.jsonl` with its single
writer, `--resume`, the summary) is the same whichever runs the bugs. `run.open_executor` picks one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from repair.batch.progress import BatchProgress


@dataclass(frozen=True)
class BatchEvents:
    """What an executor tells the batch, always from the batch's main thread."""

    started: Callable[[str, str], None]  # (bug, where: a Dask worker's address, or "" here); again on a retry
    finished: Callable[[dict[str, Any]], None]  # the bug's results.jsonl line; its artifacts are in place


class BugExecutor(Protocol):
    """Runs bugs of a batch and hands back one results.jsonl line per bug."""

    def run(self, bugs: list[str], progress: BatchProgress, events: BatchEvents) -> None:
        """Run `bugs`, keeping `progress.running` current; call `events.finished(record)` once per bug, after
        the bug's artifacts are under the batch's folder. Stops every bug it started before it returns or
        raises (Ctrl-C, SIGTERM, a lost cluster)."""
        ...
