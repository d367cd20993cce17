"""The Dask executor: one task per bug on a Dask cluster, results streamed back to the batch as they finish.

`--scheduler tcp://HOST:8786` connects to a running cluster (its workers run where `repair` is installed, see
docs/dask.md); without it a `LocalCluster` of `--workers` one-thread workers is started for the run. Each task
(`dask_task.run_bug_on_worker`) runs the bug's worker process on a Dask worker and returns its results.jsonl
line and its run folder, which are written here: this process stays the only writer of `results.jsonl`.

Faults. A Dask worker that dies mid-bug hands nothing back. Its bug runs again on another worker (the scheduler
reschedules it, or this executor resubmits it after a `KilledWorker`), and when that attempt's worker dies too,
the bug is recorded as `error: worker lost`. The attempts are counted here, from the start events the tasks
send, so the rule holds whatever `allowed-failures` the scheduler was started with. Losing the scheduler stops
the batch with one line (a RepairError); `--resume` continues it on a cluster that is back.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from repair.batch.dask_task import run_bug_on_worker, unpack_folder
from repair.batch.executor import BatchEvents
from repair.batch.options import BatchOptions
from repair.batch.progress import BatchProgress, LiveBug
from repair.batch.records import lost_record
from repair.errors import RepairError

MAX_ATTEMPTS = 2  # a bug whose worker died is retried once, then recorded as lost
CLOSE_SECONDS = 10.0
FETCH_SECONDS = 30.0  # a run folder is small; past this, its worker was lost while it was fetched
POLL_SECONDS = 0.2
HEAL_SECONDS = 5.0
DASK_LOG = "dask.log"  # Dask's own log lines go here, not over the progress display


@dataclass
class _BugTasks:
    """The Dask side of one bug: its current future and the attempts that started (their workers)."""

    future: Future | None = None
    submissions: int = 0
    workers: list[str] = field(default_factory=list)  # one per attempt that started, in order
    first_start: float | None = None


class DaskExecutor:
    """Runs a batch's bugs as tasks on a Dask cluster."""

    def __init__(self, options: BatchOptions, out: Path) -> None:
        self.options = options
        self.out = out
        self.token = uuid.uuid4().hex[:12]  # names this run's tasks, events and worker folders
        self.topic = f"repair-batch-{self.token}"
        self.events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.bugs: dict[str, _BugTasks] = {}
        self.by_key: dict[str, str] = {}
        self.local_cluster: LocalCluster | None = None
        self.healed = 0.0  # when the LocalCluster's workers were last counted

    def run(self, bugs: list[str], progress: BatchProgress, events: BatchEvents) -> None:
        with _dask_logs_to(self.out / DASK_LOG), self._client() as client:
            client.subscribe_topic(self.topic, lambda event: self.events.put(event[1]))
            completed = as_completed(loop=client.loop)
            try:
                for bug in bugs:
                    completed.add(self._submit(client, bug))
                while not completed.is_empty():
                    self._read_events(progress, events)
                    for future in completed.next_batch(block=False):
                        resubmitted = self._settle(future, progress, events)
                        if resubmitted is not None:
                            completed.add(resubmitted)
                    progress.queued = sum(1 for bug, t in self.bugs.items()
                                          if t.future is not None and bug not in progress.running)
                    self._keep_local_workers()
                    time.sleep(POLL_SECONDS)
            finally:
                # Ctrl-C, SIGTERM or an error: cancelled tasks stop their bug's process on the worker.
                unfinished = [t.future for t in self.bugs.values() if t.future is not None and not t.future.done()]
                if unfinished and client.status == "running":
                    with contextlib.suppress(Exception):
                        client.cancel(unfinished)

    @contextlib.contextmanager
    def _client(self) -> Iterator[Client]:
        address = self.options.scheduler
        if not address:
            with LocalCluster(n_workers=self.options.workers, threads_per_worker=1, processes=True,
                              dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                    Client(cluster, set_as_default=False) as client:
                self.local_cluster = cluster
                yield client
            return
        try:  # waits up to Dask's distributed.comm.timeouts.connect (30s unless configured)
            client = Client(address, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise RepairError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=CLOSE_SECONDS)

    def _keep_local_workers(self) -> None:
        """Give the LocalCluster back the workers it dropped. Its nanny restarts a killed worker, but when the
        restart takes longer than `distributed.deploy.lost-worker-timeout`, the cluster closes that nanny for
        good; with every worker gone, the batch would wait forever."""
        cluster = self.local_cluster
        if cluster is None or time.monotonic() - self.healed < HEAL_SECONDS:
            return
        self.healed = time.monotonic()
        if cluster.status.name == "running" and len(cluster.workers) < self.options.workers:
            cluster.scale(self.options.workers)

    def _submit(self, client: Client, bug: str) -> Future:
        tasks = self.bugs.setdefault(bug, _BugTasks())
        tasks.submissions += 1
        key = f"repair-{bug}-{self.token}-{tasks.submissions}"
        spec = {"bug": bug, "options": asdict(self.options), "key": key, "topic": self.topic,
                "token": self.token, "shared_out": str(self.out) if self.options.shared_runs else None}
        tasks.future = client.submit(run_bug_on_worker, spec, key=key, pure=False)
        self.by_key[key] = bug
        return tasks.future

    def _read_events(self, progress: BatchProgress, events: BatchEvents) -> None:
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            bug = event.get("bug", "")
            tasks = self.bugs.get(bug)
            if tasks is None or tasks.future is None or tasks.future.key != event.get("key"):
                continue  # the bug is done, or this is an attempt already given up
            if event.get("kind") == "cost" and bug in progress.running:
                progress.running[bug].cost_usd = float(event.get("cost_usd") or 0.0)
            elif event.get("kind") == "start":
                now = time.monotonic()
                tasks.workers.append(str(event.get("worker", "?")))
                tasks.first_start = tasks.first_start or now
                progress.running[bug] = LiveBug(now, where=tasks.workers[-1])
                events.started(bug, tasks.workers[-1])
                if len(tasks.workers) > MAX_ATTEMPTS:  # the scheduler retried past our limit: stop that attempt
                    future, tasks.future = tasks.future, None
                    future.cancel()
                    self._lost(bug, tasks, progress, events)

    def _settle(self, future: Future, progress: BatchProgress,
                events: BatchEvents) -> Future | None:
        """Record a future that as_completed handed back; returns the future to wait for next, if any: the same
        one when the scheduler is computing it again, or the bug's next attempt."""
        bug = self.by_key[str(future.key)]
        tasks = self.bugs[bug]
        if future is not tasks.future:
            del self.by_key[str(future.key)]
            return None  # an attempt this executor gave up on and cancelled
        if future.status in ("lost", "pending"):
            return future  # its worker died before the result was fetched: the scheduler runs it again
        if future.status == "finished":
            try:
                result = future.result(timeout=FETCH_SECONDS)
            except TimeoutError:
                return future  # lost while being fetched: wait for it again instead of blocking here
            future.release()  # nothing stays in the workers' memory, so nothing is recomputed if one dies
            del self.by_key[str(future.key)]
            tasks.future = None
            progress.running.pop(bug, None)
            record = result["record"]
            if record is None:  # the worker was shutting down and stopped the bug
                return self._retry_or_lose(future.client, bug, progress, events)
            if result["artifacts"] is not None:
                unpack_folder(result["artifacts"], self._run_folder(record))
            events.finished(record)
            return None
        del self.by_key[str(future.key)]
        tasks.future = None
        if future.status == "error":
            error = future.exception()
            if not isinstance(error, KilledWorker):
                raise RepairError(f"the Dask task for {bug} failed on a worker ({type(error).__name__}: {error}); "
                                  "is repair installed where the workers run?")
            progress.running.pop(bug, None)
            if not tasks.workers:
                tasks.workers.append(error.last_worker.address)
            return self._retry_or_lose(future.client, bug, progress, events)
        raise RepairError(f"lost the Dask scheduler at {self._scheduler_name()}; "
                          f"{len(progress.records)} of {progress.total} bugs are in results.jsonl: rerun with "
                          "--resume to continue")

    def _retry_or_lose(self, client: Client, bug: str, progress: BatchProgress,
                       events: BatchEvents) -> Future | None:
        tasks = self.bugs[bug]
        if tasks.submissions < MAX_ATTEMPTS and len(tasks.workers) < MAX_ATTEMPTS:
            return self._submit(client, bug)
        self._lost(bug, tasks, progress, events)
        return None

    def _lost(self, bug: str, tasks: _BugTasks, progress: BatchProgress,
              events: BatchEvents) -> None:
        progress.running.pop(bug, None)
        died = ", ".join(tasks.workers[:MAX_ATTEMPTS])
        wall = time.monotonic() - tasks.first_start if tasks.first_start else 0.0
        events.finished(lost_record(bug, self.out, f"worker lost: the Dask workers running it died ({died})", wall))

    def _run_folder(self, record: dict[str, Any]) -> Path:
        folder = (self.out / record["run_dir"]).resolve()
        if not folder.is_relative_to(self.out / "runs"):
            raise RepairError(f"a Dask worker returned a run folder outside {self.out}: {record['run_dir']}")
        return folder

    def _scheduler_name(self) -> str:
        return self.options.scheduler or "the LocalCluster"


@contextlib.contextmanager
def _dask_logs_to(path: Path) -> Iterator[None]:
    """Send the log lines of Dask (and of tornado under it) in this process to `path` while the batch runs."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    # Dask gives several of its loggers a stderr handler of their own (and no propagation): swap each one's.
    loggers = [logger for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger) and logger.handlers
               and name.startswith(("distributed", "tornado"))]
    saved = [(logger.handlers[:], logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers, logger.propagate = [handler], False
    try:
        yield
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = handlers, propagate
        handler.close()
