"""What `repair ci` is told, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CiOptions:
    """What `repair ci` is told on the command line."""

    repo: Path = Path(".")
    test_cmd: str | None = None
    model: str | None = None
    base_url: str | None = None
    max_seconds: float = 1200.0  # one clock for the agent, as `repair fix --max-seconds`
    max_cycles: int = 40
    max_tokens: int | None = None
    budget_usd: float | None = None
    dry_run: bool = False
    open_pr: bool = True
    base: str | None = None  # the PR's base branch; default: the branch whose run failed
    remote: str = "origin"
    out_dir: Path | None = None  # default: <repo>/repair-ci
    backend: str = "local"  # where the repository's tests run: local or docker
    web: bool = False  # CI runs on code that may be private: no web search unless asked for

    @property
    def pushes(self) -> bool:
        return not self.dry_run

    @property
    def opens_pr(self) -> bool:
        return self.pushes and self.open_pr


@dataclass
class CiOutcome:
    """How `repair ci` ended: a status word, a sentence for the log, and the exit code to use."""

    status: str  # own-run, fork, nothing-to-repair, not-reproducible, no-patch, patched, pushed, pr-opened
    message: str
    exit_code: int
    out_dir: Path
    patch: str = ""
    branch: str | None = None
    pull_request_url: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
