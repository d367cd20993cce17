"""The batch's live display: done, plausible, failed, running bugs and the cost so far."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text


@dataclass
class LiveBug:
    """A bug being repaired now, as an executor last saw it."""

    started: float  # time.monotonic() in the batch's process
    cost_usd: float = 0.0  # spent so far, from the unfinished trajectory
    where: str = ""  # the Dask worker running it; empty for a local worker process


@dataclass
class BatchProgress:
    """What the batch has finished (`records`) and what runs now; `render()` draws it for rich's Live.

    Executors change it from the batch's main thread while rich's refresh thread renders it, so `render()`
    reads snapshots (`list(...)` of a dict or list is atomic in CPython)."""

    total: int
    records: list[dict[str, Any]] = field(default_factory=list)
    running: dict[str, LiveBug] = field(default_factory=dict)
    queued: int = 0  # submitted to a cluster, not started yet (Dask)

    def render(self) -> Group:
        records, running = list(self.records), list(self.running.items())
        statuses = Counter(r["status"] for r in records)
        cost = sum(float(r.get("cost_usd") or 0.0) for r in records) + sum(live.cost_usd for _, live in running)
        head = Table.grid(padding=(0, 2))
        cells = [f"done [bold]{len(records)}[/]/{self.total}", f"[green]plausible {statuses['plausible']}[/]",
                 f"[red]failed {len(records) - statuses['plausible']}[/]", f"[cyan]running {len(running)}[/]"]
        if self.queued:
            cells.append(f"queued {self.queued}")
        head.add_row(*cells, f"cost ${cost:.4f}")
        now = time.monotonic()
        lines = [f"  ▸ {bug} ({now - live.started:.0f}s{', ' + live.where if live.where else ''})"
                 for bug, live in running]
        return Group(head, Text("\n".join(lines)))
