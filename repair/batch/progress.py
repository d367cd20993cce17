"""The batch's live display: done, plausible, failed, running bugs and the cost so far."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from repair.batch.pool import RunningWorker
from repair.batch.records import trajectory_totals


@dataclass
class BatchProgress:
    """What the batch has finished (`records`) and what runs now; `render()` draws it for rich's Live."""

    total: int
    records: list[dict[str, Any]] = field(default_factory=list)
    running: dict[str, RunningWorker] = field(default_factory=dict)

    def render(self) -> Group:
        statuses = Counter(r["status"] for r in self.records)
        live_cost = sum(trajectory_totals(r.run_dir)[1] for r in self.running.values())
        cost = sum(float(r.get("cost_usd") or 0.0) for r in self.records) + live_cost
        head = Table.grid(padding=(0, 2))
        head.add_row(f"done [bold]{len(self.records)}[/]/{self.total}", f"[green]plausible {statuses['plausible']}[/]",
                     f"[red]failed {len(self.records) - statuses['plausible']}[/]",
                     f"[cyan]running {len(self.running)}[/]", f"cost ${cost:.4f}")
        now = time.monotonic()
        running = Text("\n".join(f"  ▸ {bug} ({now - r.started:.0f}s)" for bug, r in self.running.items()))
        return Group(head, running)
