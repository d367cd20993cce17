"""Worker processes seen from the batch: start one per bug, stop one that ran too long."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from repair.batch.options import BatchOptions

KILL_GRACE_SECONDS = 5.0  # a timed-out worker gets this long after SIGTERM to clean its workspace up


@dataclass
class RunningWorker:
    """A worker process repairing `bug`, writing its artifacts and log into `run_dir`."""

    bug: str
    process: subprocess.Popen[bytes]
    run_dir: Path
    started: float
    log: IO[bytes]


def new_run_dir(out: Path, bug_id: str) -> Path:
    """`out/runs/<bug>/<timestamp>/` for a new attempt at `bug_id` (not created)."""
    safe = bug_id.replace("/", "_").replace(":", "__")[-120:]
    return out / "runs" / safe / datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def start_worker(options: BatchOptions, out: Path, bug_id: str) -> RunningWorker:
    """`python -m repair.batch worker SPEC` for one bug, its output in `runs/<bug>/<ts>/worker.log`."""
    run_dir = new_run_dir(out, bug_id)
    run_dir.mkdir(parents=True)
    spec = {"bug": bug_id, "run_dir": str(run_dir), "options": asdict(options), "parent_pid": os.getpid()}
    log = (run_dir / "worker.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "repair.batch", "worker", json.dumps(spec)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return RunningWorker(bug_id, process, run_dir, time.monotonic(), log)


def stop_worker(running: RunningWorker) -> None:
    """SIGTERM (the worker cleans its workspace up), then SIGKILL after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        running.process.terminate()
    try:
        running.process.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()


def check_worker(running: RunningWorker, time_limit: float) -> bool | None:
    """None while the worker runs within `time_limit`; once it has ended (or was stopped for passing the
    limit), its log is closed and the answer is whether it timed out."""
    if running.process.poll() is not None:
        timed_out = False
    elif time.monotonic() - running.started > time_limit:
        stop_worker(running)
        timed_out = True
    else:
        return None
    running.log.close()
    return timed_out
