"""The local executor: up to `--workers` worker processes on this machine, each killed at the time limit."""

from __future__ import annotations

import time
from pathlib import Path

from repair.batch.executor import BatchEvents
from repair.batch.options import BatchOptions
from repair.batch.pool import RunningWorker, check_worker, start_worker, stop_worker
from repair.batch.progress import BatchProgress, LiveBug
from repair.batch.records import finished_record, trajectory_size, trajectory_totals

POLL_SECONDS = 0.2


class LocalExecutor:
    """Keeps `options.workers` worker processes busy; their run folders are under the batch's own folder."""

    def __init__(self, options: BatchOptions, out: Path) -> None:
        self.options = options
        self.out = out

    def run(self, bugs: list[str], progress: BatchProgress, events: BatchEvents) -> None:
        pending = list(bugs)
        workers: dict[str, RunningWorker] = {}
        # The size of each running bug's trajectory when its cost was last read: a trajectory (up to a few
        # MB) is parsed again only when it grew, not at every poll.
        read_at: dict[str, int] = {}
        try:
            while pending or workers:
                while pending and len(workers) < self.options.workers:
                    bug = pending.pop(0)
                    workers[bug] = start_worker(self.options, self.out, bug)
                    progress.running[bug] = LiveBug(workers[bug].started)
                    events.started(bug, "")
                for bug, running in list(workers.items()):
                    timed_out = check_worker(running, self.options.max_seconds)
                    if timed_out is None:
                        size = trajectory_size(running.run_dir)
                        if read_at.get(bug) != size:
                            read_at[bug] = size
                            progress.running[bug].cost_usd = trajectory_totals(running.run_dir)[1]
                        continue
                    del workers[bug], progress.running[bug]
                    read_at.pop(bug, None)
                    events.finished(finished_record(running, self.out, self.options.max_seconds, timed_out))
                time.sleep(POLL_SECONDS)
        finally:
            for running in workers.values():  # Ctrl-C or an error: no worker outlives the batch
                stop_worker(running)
                running.log.close()
