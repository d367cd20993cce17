"""One bug of a batch on a Dask worker: the same worker process as the local executor's, run and watched here.

The task starts `python -m repair.batch worker SPEC` on the worker's machine (its workspace, artifacts and log
stay there), reports its start and its cost so far as events on the batch's topic, stops it at the time limit
or when the batch no longer wants it (the future was cancelled, the worker is closing), and returns the bug's
results.jsonl line together with its run folder packed as a tar.gz, which the client unpacks into the batch's
own folder. With a shared runs folder the worker writes there directly and nothing is packed.

If the Dask worker dies, the bug's process gets SIGTERM from Linux (it asked for that on start: see
`die_with_parent`), cleans its workspace up and exits; nothing of that attempt reaches `results.jsonl`.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

from distributed import Worker, get_worker
from distributed.core import Status

from repair.batch.options import BatchOptions
from repair.batch.pool import check_worker, start_worker, stop_worker
from repair.batch.records import finished_record, trajectory_totals

POLL_SECONDS = 0.5
REPORT_SECONDS = 5.0  # how often a running bug's cost so far is sent to the client
STOPPING = (Status.closing, Status.closing_gracefully, Status.closed, Status.failed)
WORKER_FOLDER = "repair-batch"  # under the Dask worker's local directory: one folder per batch run


def run_bug_on_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Repair `spec["bug"]` on this Dask worker. `spec` holds the bug, the batch's options (as a dict), this
    task's `key`, the events `topic`, the batch's `token` and `shared_out` (the runs folder when every worker
    sees it, else None). Returns {"record": the results.jsonl line, "artifacts": tar.gz bytes or None}; the record
    is None when the batch stopped wanting the bug before it ended."""
    worker = get_worker()
    options = BatchOptions(**spec["options"])
    bug, key, topic = spec["bug"], spec["key"], spec["topic"]
    shared = spec["shared_out"] is not None
    base = Path(spec["shared_out"]) if shared else Path(worker.local_directory, WORKER_FOLDER, spec["token"])
    running = start_worker(options, base, bug)
    worker.log_event(topic, {"kind": "start", "bug": bug, "key": key, "attempt": uuid.uuid4().hex,
                             "worker": worker.address})
    reported = time.monotonic()
    try:
        while (timed_out := check_worker(running, options.max_seconds)) is None:
            if not _still_wanted(worker, key):
                stop_worker(running)
                running.log.close()
                return {"record": None, "artifacts": None}
            if time.monotonic() - reported > REPORT_SECONDS:
                reported = time.monotonic()
                worker.log_event(topic, {"kind": "cost", "bug": bug, "key": key,
                                         "cost_usd": trajectory_totals(running.run_dir)[1]})
            time.sleep(POLL_SECONDS)
    except BaseException:
        if running.process.poll() is None:
            stop_worker(running)
        running.log.close()
        raise
    record = finished_record(running, base, options.max_seconds, timed_out)
    if shared:
        return {"record": record, "artifacts": None}
    artifacts = pack_folder(running.run_dir)
    shutil.rmtree(running.run_dir, ignore_errors=True)  # the client has the copy; keep the worker's disk bounded
    return {"record": record, "artifacts": artifacts}


def _still_wanted(worker: Worker, key: str) -> bool:
    """False once the client cancelled this task (or is gone) or the worker is shutting down. Dask cannot
    interrupt a running task; it marks it cancelled, and the task stops its own process."""
    if worker.status in STOPPING:
        return False
    task = worker.state.tasks.get(key)
    return task is not None and task.state in ("executing", "long-running")


def pack_folder(folder: Path) -> bytes:
    """`folder`'s files as a tar.gz, paths relative to it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def unpack_folder(data: bytes, folder: Path) -> None:
    """Unpack `pack_folder`'s bytes into `folder`; links and paths leaving it are refused (tarfile's data filter)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
