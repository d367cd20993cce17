"""How batch processes stop: SIGTERM unwinds like Ctrl-C, and a worker dies with its batch."""

from __future__ import annotations

import contextlib
import ctypes
import signal
from types import FrameType

PR_SET_PDEATHSIG = 1


def exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """A signal handler that unwinds the stack: `finally` blocks kill test processes and remove workspaces."""
    raise SystemExit(128 + signum)


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent (the batch) dies: it cleans up and exits."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
