"""A long-lived worker process spoken to in JSON lines, with a deadline on every reply.

The fast validators keep one warm JVM or Python process per workspace. Every read has a
deadline; a worker that misses it, dies, or says something unreadable is killed (its whole
process group) and the caller falls back to the plain path. The next request starts a fresh one.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from repair.containers.process import reaped_argv, stop_process
from repair.containers.secrets_filter import scrubbed_environment
from repair.containers.workspace import Workspace


class WorkerError(Exception):
    """The worker died, hung past its deadline, or replied with something unreadable."""


class WorkerProcess:
    """One child process in its own session; requests and replies are JSON objects, one per line."""

    def __init__(self, argv: Sequence[str], cwd: str, env: Mapping[str, str] | None = None,
                 start_timeout: float = 60.0) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._started = False
        self.restarts = 0  # how many times a dead or killed worker was started again

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the process and wait for its `{"ready": true}` line."""
        if self.alive:
            return
        if self._started:
            self.restarts += 1
        self._started = True
        self._buffer = b""
        # Under the reaper, like every command that runs project code: a test that escapes into its
        # own session dies with the worker, and no secret of the environment reaches the tests.
        self._proc = subprocess.Popen(
            reaped_argv(self.argv), cwd=self.cwd, env=scrubbed_environment(self.env), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        hello = self.read(time.monotonic() + self.start_timeout)
        if not hello.get("ready"):
            self.kill()
            raise WorkerError(f"the worker did not start: {hello}")

    def request(self, message: dict[str, Any]) -> None:
        """Send one request (starting the worker first if needed)."""
        self.send_line(json.dumps(message))

    def send_line(self, text: str) -> None:
        """Send one line of text, for workers whose requests are not JSON (starting the worker if needed)."""
        self.start()
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(text.encode("utf-8") + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerError(f"the worker is gone: {exc}") from exc

    def read(self, deadline: float) -> dict[str, Any]:
        """The next reply line, or WorkerError (and a killed worker) at the deadline."""
        if self._proc is None or self._proc.stdout is None:
            raise WorkerError("the worker is not running")
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise WorkerError("the worker did not answer in time; it was killed")
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.kill()
                    raise WorkerError("the worker exited unexpectedly")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            data = json.loads(line.decode("utf-8", "replace"))
        except json.JSONDecodeError as exc:
            self.kill()
            raise WorkerError(f"unreadable worker reply: {line[:200]!r}") from exc
        if not isinstance(data, dict):
            self.kill()
            raise WorkerError(f"unexpected worker reply: {line[:200]!r}")
        return data

    def kill(self) -> None:
        """Kill the worker and everything it started; the next request starts a fresh one."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        stop_process(proc)

    def close(self) -> None:
        self.kill()


class WorkerSlot:
    """The worker process that a runner and its `with_timeout` views share, the slot of its twin (a second
    worker for a second candidate at once), and the two threads that drive the pair, made on first use.

    The pair is driven from threads that live as long as the slot: a worker is started under the reaper,
    which ends with the thread that started it (Linux's parent-death signal is per thread).
    """

    def __init__(self) -> None:
        self.worker: WorkerProcess | None = None
        self.twin: WorkerSlot | None = None
        self._threads: ThreadPoolExecutor | None = None

    def threads(self) -> ThreadPoolExecutor:
        """Two threads for validating a pair of candidates, kept until `close`."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="repair-worker")
        return self._threads

    def stop(self) -> None:
        """Stop this slot's worker alone (it failed; the next request starts a fresh one). Unlike `close`, safe
        from the slot's own threads, and the twin's worker runs on."""
        if self.worker is not None:
            self.worker.close()

    def close(self) -> None:
        """Stop the worker and its twin's, then the threads."""
        for slot in (self, self.twin):
            if slot is not None and slot.worker is not None:
                slot.worker.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None


class DiskLock:
    """The lock of a workspace's files, so that two validations at once never see each other's files.

    `exclusive` (re-entrant): held while a candidate is written there (`written`) and while code runs that must
    see the unpatched files. `shared`: held by warm-worker runs, which read the checkout too (a warm pytest
    session re-executes a module whose file changed on disk, a JVM compiles from it), so that they never run
    while another thread has a candidate written; any number of them run at once. A thread that holds
    `exclusive` passes through `shared`; one that holds `shared` must not ask for `exclusive`.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writer: int | None = None  # the thread that holds `exclusive`
        self._depth = 0

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            if self._writer != me:
                self._changed.wait_for(lambda: self._writer is None and self._readers == 0)
                self._writer = me
            self._depth += 1
        try:
            yield
        finally:
            with self._changed:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._changed.notify_all()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            if self._writer == me:  # it reads what it wrote itself
                counted = False
            else:
                self._changed.wait_for(lambda: self._writer is None)
                self._readers += 1
                counted = True
        try:
            yield
        finally:
            if counted:
                with self._changed:
                    self._readers -= 1
                    self._changed.notify_all()


_DISK_LOCKS: dict[str, DiskLock] = {}


def disk_lock(workspace: Workspace) -> DiskLock:
    """The `DiskLock` of a workspace's files."""
    return _DISK_LOCKS.setdefault(workspace.path, DiskLock())


@contextlib.contextmanager
def written(workspace: Workspace, files: Mapping[str, str | None]) -> Iterator[None]:
    """`files` written into the workspace while the block runs (None: no such file); the old contents (or no
    file) afterwards."""
    with disk_lock(workspace).exclusive(), _written(workspace, files):
        yield


@contextlib.contextmanager
def _written(workspace: Workspace, files: Mapping[str, str | None]) -> Iterator[None]:
    originals = {path: workspace.read_file(path) if workspace.exists(path) else None for path in files}
    try:
        _put(workspace, files)
        yield
    finally:
        _put(workspace, originals)


def _put(workspace: Workspace, files: Mapping[str, str | None]) -> None:
    for path, text in files.items():
        if text is None:
            workspace.run(["rm", "-f", "--", path], timeout=30)
        else:
            workspace.write_file(path, text)
