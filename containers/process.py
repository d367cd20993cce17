"""Run a subprocess with a timeout that holds, in its own process group, leaving no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from repair.containers.secrets_filter import scrubbed_environment

MAX_CAPTURE = 2_000_000  # bytes kept per stream; a runaway test must not eat the memory
MAX_OUTPUT_FILE = 256 * 1024 * 1024  # bytes written per stream before a command is stopped
REAPER = Path(__file__).with_name("reaper.py")
STOP_GRACE_SECONDS = 5.0  # how long a stopped command's reaper gets to kill its descendants


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command: exit code, output, and whether it hit its timeout."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout and stderr together, the way a user would read them in a terminal."""
        if self.stdout and self.stderr:
            return self.stdout.rstrip("\n") + "\n" + self.stderr
        return self.stdout or self.stderr


def kill_process_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL `proc` and every process in its group (it must have started its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_process(
    cmd: str | Sequence[str],
    cwd: str | os.PathLike[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    project_code: bool = True,
) -> CommandResult:
    """Run `cmd` (a shell string or an argv list) with a hard timeout; nothing it starts outlives it.

    With `project_code` (the default: the command may run the project's tests or a patch), the
    command runs under the `reaper` launcher, a child subreaper that kills every descendant when
    the command ends or times out, whatever session or process group a descendant made, and it
    gets the environment without secrets (`secrets_filter`). `env` is added on top, as given.
    Our own tools (git, javac of our workers) pass `project_code=False`: a process group is enough.

    Output goes to unnamed temporary files, never pipes, so a descendant that keeps its output
    open cannot hold the caller past the limit; the limit is the caller's clock, always.
    """
    full_env = scrubbed_environment(env) if project_code else {**os.environ, **(env or {})}
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else [os.fspath(a) for a in cmd]
    if project_code:
        argv = reaped_argv(argv)
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, _stdin_file(stdin) as inp:
        proc = subprocess.Popen(argv, cwd=os.fspath(cwd), env=full_env, stdin=inp, stdout=out, stderr=err,
                                start_new_session=True)
        timed_out = False
        try:
            timed_out = not _wait(proc, start + timeout, (out, err))
            if timed_out:
                stop_process(proc)
        except BaseException:
            stop_process(proc)
            raise
        finally:
            # Background children that outlive a finished leader are killed too: nothing a
            # command starts may survive its run (the reaper has done so for project code).
            kill_process_group(proc)
        return CommandResult(
            returncode=proc.returncode if not timed_out else -signal.SIGKILL,
            stdout=_read_capture(out),
            stderr=_read_capture(err),
            timed_out=timed_out,
            seconds=time.monotonic() - start,
        )


def reaped_argv(argv: Sequence[str]) -> list[str]:
    """`argv` run under the reaper launcher (see containers/reaper.py), on behalf of this process."""
    return [sys.executable, "-I", "-S", str(REAPER), str(os.getpid()), *argv]


def _wait(proc: subprocess.Popen[Any], deadline: float, outputs: Sequence[IO[bytes]]) -> bool:
    """Wait for `proc` until `deadline`; False when it is still running then (or floods its output files)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            proc.wait(timeout=min(left, 1.0))
            return True
        except subprocess.TimeoutExpired:
            # A test that prints without end must not fill the disk before its time is up.
            if any(os.fstat(handle.fileno()).st_size > MAX_OUTPUT_FILE for handle in outputs):
                return False


def stop_process(proc: subprocess.Popen[Any], grace: float = STOP_GRACE_SECONDS) -> None:
    """End `proc` and everything below it: SIGTERM (a reaper kills its descendants), then SIGKILL the group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        kill_process_group(proc)
        proc.wait()
    kill_process_group(proc)


@contextlib.contextmanager
def _stdin_file(text: str | None) -> Iterator[IO[bytes] | int]:
    if text is None:
        yield subprocess.DEVNULL
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(text.encode())
        handle.seek(0)
        yield handle


def _read_capture(handle: IO[bytes]) -> str:
    handle.seek(0)
    return _decode(handle.read(MAX_CAPTURE + 1))


def _decode(data: bytes | None) -> str:
    if not data:
        return ""
    if len(data) > MAX_CAPTURE:
        data = data[:MAX_CAPTURE] + b"\n[... output truncated ...]\n"
    return data.decode("utf-8", errors="replace")
