"""The batch itself: select the bugs, hold the folder's lock, keep `workers` workers busy, record each."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from repair.batch.lock import exclusive_batch
from repair.batch.options import BatchOptions, BatchOutcome
from repair.batch.pool import start_worker, stop_worker
from repair.batch.progress import BatchProgress
from repair.batch.records import finished_record
from repair.batch.signals import exit_on_signal
from repair.bug_selection import select_bugs
from repair.checkout import BACKENDS
from repair.datasets.registry import DatasetOptions, open_dataset
from repair.errors import RepairError
from repair.fix_run import FixOptions
from repair.reports import write_summary
from repair.results_log import RESULTS_FILE, ResultsLog

OPTIONS_FILE = "batch.json"
POLL_SECONDS = 0.2


def run_batch(options: BatchOptions, console: Console | None = None) -> BatchOutcome:
    """Run (or resume) a batch; returns every result in the output directory when it is done."""
    if options.workers < 1:
        raise RepairError("--workers must be at least 1")
    # Options every worker would refuse are refused once, before any worker starts.
    if options.backend not in BACKENDS:
        raise RepairError(f"unknown backend '{options.backend}': use {' or '.join(BACKENDS)}")
    FixOptions("batch", model=options.model, base_url=options.base_url, strategy=options.strategy).resolved_strategy()
    console = console or Console(stderr=True)
    dataset = open_dataset(options.dataset, DatasetOptions(quixbugs_root=options.quixbugs_root))
    selected = select_bugs([b.id for b in dataset.list_bugs()], options.bugs)
    if not selected:
        raise RepairError(f"--bugs {options.bugs!r} selects no bug of {options.dataset}")
    out = Path(options.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_batch(out):
        # SIGTERM (a CI cancel, `timeout`) unwinds like Ctrl-C, so workers are stopped and cleaned up.
        previous = signal.signal(signal.SIGTERM, exit_on_signal)
        try:
            return _run_locked(options, out, console, selected)
        finally:
            signal.signal(signal.SIGTERM, previous)


def _run_locked(options: BatchOptions, out: Path, console: Console, selected: list[str]) -> BatchOutcome:
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
        with Live(progress.render(), console=console, refresh_per_second=4, transient=False) as live:
            while pending or progress.running:
                while pending and len(progress.running) < options.workers:
                    bug = pending.pop(0)
                    progress.running[bug] = start_worker(options, out, bug)
                    if not console.is_terminal:  # no live display in a log: say what starts, as it starts
                        live.console.print(Text(f"started    {bug}"), highlight=False)
                for bug, running in list(progress.running.items()):
                    timed_out = time.monotonic() - running.started > options.max_seconds
                    if running.process.poll() is None and not timed_out:
                        continue
                    if timed_out and running.process.poll() is None:
                        stop_worker(running)
                    else:
                        timed_out = False
                    running.log.close()
                    record = finished_record(running, out, options.max_seconds, timed_out)
                    log.append(record)
                    del progress.running[bug]
                    progress.records.append(record)
                    color = "green" if record["status"] == "plausible" else "red"
                    live.console.print(Text.assemble(
                        (f"{record['status']:<10}", color),
                        f" {bug} ({record['wall_seconds']:.1f}s, ${float(record['cost_usd'] or 0):.4f})"),
                        highlight=False)
                live.update(progress.render())
                time.sleep(POLL_SECONDS)
    finally:
        for running in progress.running.values():  # Ctrl-C or an error: no worker outlives the batch
            stop_worker(running)
            running.log.close()
    records = [r for r in log.load().values() if r["bug"] in set(selected)]
    write_summary(out)
    return BatchOutcome(out, records, skipped)
