"""What `repair batch` is told, and what it hands back."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BatchOptions:
    """What `repair batch` is told. `model` may contain `{name}` or `{bug}` (e.g. `scripted:dir/{name}.json`).

    The budgets are `repair fix`'s, per bug: `max_seconds` also kills a worker still running after it."""

    dataset: str
    _: KW_ONLY
    bugs: str | None = None
    workers: int = 2
    model: str | None = None
    base_url: str | None = None
    out: str = "batch"
    resume: bool = False
    max_seconds: float = 900.0
    budget_usd: float | None = None
    max_cycles: int = 40
    quixbugs_root: str | None = None
    overfitting: bool = True
    max_tokens: int | None = None
    backend: str = "local"
    strategy: str = "auto"
    executor: str = "local"  # or "dask"
    scheduler: str | None = None  # a Dask scheduler's address; None starts a LocalCluster of `workers` workers
    shared_runs: bool = False  # Dask workers see `out` at the same path: they write runs there, nothing is copied
    web: bool | None = None  # as `repair fix --web/--no-web`; None: the settings file decides


@dataclass
class BatchOutcome:
    """All results of the batch (earlier ones included on resume) and where they are."""

    out: Path
    records: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)  # bugs already finished before this run
