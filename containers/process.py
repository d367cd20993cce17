"""Run a subprocess in its own process group, with a timeout that kills the whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CAPTURE = 2_000_000  # bytes kept per stream; a runaway test must not eat the memory


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
) -> CommandResult:
    """Run `cmd` (a shell string or an argv list) with a hard timeout.

    The child starts a new session, so on timeout (or Ctrl-C) every process it
    spawned, such as a JVM forked by a shell, is killed with it.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    shell = isinstance(cmd, str)
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=os.fspath(cwd),
        env=full_env,
        shell=shell,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_process_group(proc)
        out, err = proc.communicate()
    except BaseException:
        kill_process_group(proc)
        proc.wait()
        raise
    finally:
        # Background children that outlive a finished leader are killed too:
        # nothing a test starts may survive its run.
        kill_process_group(proc)
    return CommandResult(
        returncode=proc.returncode if not timed_out else -signal.SIGKILL,
        stdout=_decode(out),
        stderr=_decode(err),
        timed_out=timed_out,
        seconds=time.monotonic() - start,
    )


def _decode(data: bytes | None) -> str:
    if not data:
        return ""
    if len(data) > MAX_CAPTURE:
        data = data[:MAX_CAPTURE] + b"\n[... output truncated ...]\n"
    return data.decode("utf-8", errors="replace")
