"""The batch itself: select the bugs, hold the folder's lock, hand the bugs to an executor, record each."""

from __future__ import annotations

import json
import signal
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from repair.batch.executor import BatchEvents, BugExecutor
from repair.batch.local_executor import LocalExecutor
from repair.batch.lock import exclusive_batch
from repair.batch.options import BatchOptions, BatchOutcome
from repair.batch.progress import BatchProgress
from repair.batch.signals import exit_on_signal
from repair.bug_selection import select_bugs
from repair.checkout import BACKENDS
from repair.containers.secrets_filter import scrub_secrets
from repair.datasets.registry import DatasetOptions, open_dataset
from repair.errors import RepairError
from repair.fix_run import FixOptions
from repair.reports import write_summary
from repair.results_log import RESULTS_FILE, ResultsLog

OPTIONS_FILE = "batch.json"
EXECUTORS = ("local", "dask")


def run_batch(options: BatchOptions, console: Console | None = None) -> BatchOutcome:
    """Run (or resume) a batch; returns every result in the output directory when it is done."""
    if options.workers < 1:
        raise RepairError("--workers must be at least 1")
    # Options every worker would refuse are refused once, before any worker starts.
    if options.backend not in BACKENDS:
        raise RepairError(f"unknown backend '{options.backend}': use {' or '.join(BACKENDS)}")
    FixOptions("batch", model=options.model, base_url=options.base_url, strategy=options.strategy,
               max_cycles=options.max_cycles, budget_usd=options.budget_usd, max_tokens=options.max_tokens,
               max_seconds=options.max_seconds).resolved_strategy()
    console = console or Console(stderr=True)
    dataset = open_dataset(options.dataset, DatasetOptions(quixbugs_root=options.quixbugs_root))
    selected = select_bugs([b.id for b in dataset.list_bugs()], options.bugs)
    if not selected:
        raise RepairError(f"--bugs {options.bugs!r} selects no bug of {options.dataset}")
    out = Path(options.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    executor = open_executor(options, out)
    with exclusive_batch(out):
        # SIGTERM (a CI cancel, `timeout`) unwinds like Ctrl-C, so workers are stopped and cleaned up.
        previous = signal.signal(signal.SIGTERM, exit_on_signal)
        try:
            return _run_locked(options, out, console, selected, executor)
        finally:
            signal.signal(signal.SIGTERM, previous)


def _run_locked(options: BatchOptions, out: Path, console: Console, selected: list[str],
                executor: BugExecutor) -> BatchOutcome:
    log = ResultsLog(out / RESULTS_FILE)
    done = log.load(repair_torn_tail=True)
    if done and not options.resume:
        raise RepairError(f"{out} already holds {len(done)} results: pass --resume to continue it, "
                          "or choose another --out")
    (out / OPTIONS_FILE).write_text(json.dumps(asdict(options), indent=2))
    pending = [b for b in selected if b not in done]
    skipped = [b for b in selected if b in done]
    if skipped:
        console.print(f"resuming: {len(skipped)} of {len(selected)} bugs already done", highlight=False)
    progress = BatchProgress(len(selected), [done[b] for b in skipped])
    try:
        _run_live(executor, pending, progress, log, console)
    finally:
        if not console.is_terminal:
            console.line()  # rich ends its last frame with a newline only on a terminal
    records = [r for r in log.load().values() if r["bug"] in set(selected)]
    write_summary(out)
    scrub_secrets(out)
    return BatchOutcome(out, records, skipped)


def _run_live(executor: BugExecutor, pending: list[str], progress: BatchProgress, log: ResultsLog,
              console: Console) -> None:
    with Live(get_renderable=progress.render, console=console, refresh_per_second=4, transient=False) as live:

        def started(bug: str, where: str) -> None:
            if not console.is_terminal:  # no live display in a log: say what starts, as it starts
                live.console.print(Text(f"started    {bug}" + (f" on {where}" if where else "")), highlight=False)

        def finished(record: dict[str, Any]) -> None:
            log.append(record)  # the one writer of results.jsonl, whichever executor ran the bug
            progress.records.append(record)
            color = "green" if record["status"] == "plausible" else "red"
            live.console.print(Text.assemble(
                (f"{record['status']:<10}", color),
                f" {record['bug']} ({record['wall_seconds']:.1f}s, ${float(record['cost_usd'] or 0):.4f})"),
                highlight=False)

        executor.run(pending, progress, BatchEvents(started, finished))


def open_executor(options: BatchOptions, out: Path) -> BugExecutor:
    """The executor `options.executor` names, writing runs under `out`."""
    if options.executor == "local":
        if options.scheduler or options.shared_runs:
            raise RepairError("--scheduler and --shared-runs need --executor dask")
        return LocalExecutor(options, out)
    if options.executor == "dask":
        try:
            from repair.batch.dask_executor import DaskExecutor
        except ImportError as exc:
            raise RepairError(f"--executor dask needs Dask's distributed scheduler ({exc}): "
                              "pip install 'repair-agent[dask]'") from None
        return DaskExecutor(options, out)
    raise RepairError(f"unknown executor {options.executor!r}: choose one of {', '.join(EXECUTORS)}")
