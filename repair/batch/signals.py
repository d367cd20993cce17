"""How batch processes stop: SIGTERM unwinds like Ctrl-C, and a worker dies with its batch."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from types import FrameType

PR_SET_PDEATHSIG = 1


def exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """A signal handler that unwinds the stack: `finally` blocks kill test processes and remove workspaces."""
    raise SystemExit(128 + signum)


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask Linux to SIGTERM this process when its parent (the batch, or a Dask worker) dies: it cleans up and
    exits. A parent that died before this call is gone already and would never signal, so when `parent_pid`
    (the parent's pid, told by the parent) is no longer this process's parent, the SIGTERM comes at once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)
