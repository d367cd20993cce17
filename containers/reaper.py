"""Run one command as a child subreaper, and kill every process it leaves behind.

    python -I -S reaper.py PARENT_PID ARGV...

Why a subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`), and not a PID namespace or a cgroup: a process
that calls `setsid()` (or double-forks) leaves its process group, so killing the group misses it,
and it is re-parented to init where nobody can find it. Marked as a subreaper, this launcher
becomes the parent of every such orphan below it instead, whatever session or group it made.
It needs no privileges and works on any Linux since 3.4. A PID namespace (`unshare --pid`) needs
user namespaces, which many containers and hardened hosts turn off; a cgroup needs a delegated,
writable cgroup tree, which a CI runner or a container rarely gives. The Docker backend has a
PID namespace anyway (the container), and kills everything in it after each command.

The launcher starts the command, waits for it, then SIGKILLs every process still below it and
reaps them, and exits with the command's status (re-raising the signal that killed it, so the
caller sees what it would have seen). SIGTERM, SIGINT and SIGHUP (the caller's timeout, Ctrl-C)
and the death of the caller (PR_SET_PDEATHSIG) end the command the same way.

It imports only the standard library, so it starts fast with `-I -S` under any Python 3.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
KILL_PATIENCE = 10.0  # seconds spent killing descendants before giving up on one stuck in the kernel


class Stop(Exception):
    """A signal asked the launcher to end the command now."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def prctl(option: int, value: int) -> None:
    """Call prctl(2); OSError when the kernel refuses."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def become_subreaper() -> None:
    """Make orphaned descendants of this process its children (instead of init's)."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (zombies included)."""
    listing = f"/proc/{pid}/task/{pid}/children"
    try:
        with open(listing) as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        pass  # a kernel without CONFIG_PROC_CHILDREN: scan every process
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_descendants(patience: float = KILL_PATIENCE) -> int:
    """SIGKILL and reap every process below this one (it must be a subreaper) until none is left.

    Killing a child re-parents its own children to us, so this repeats until waitpid says no
    child is left at all. Returns how many processes were reaped.
    """
    me = os.getpid()
    reaped = 0
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        for pid in children(me):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                reaped += 1
        except ChildProcessError:
            return reaped  # no child of any kind is left
        time.sleep(0.005)
    return reaped


def _stop(signum: int, frame: object) -> None:
    raise Stop(signum)


def _exit_like(status: int) -> None:
    """Exit as the command did: with its code, or killed by its signal."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # a signal that does not end a process
    os._exit(os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        become_subreaper()
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            raise Stop(signal.SIGTERM)  # the caller died before PDEATHSIG was set
        try:
            child = os.posix_spawnp(command[0], command, os.environ)
        except OSError as exc:
            sys.stderr.write(f"{command[0]}: {exc.strerror}\n")
            os._exit(127 if isinstance(exc, FileNotFoundError) else 126)
        status = None
        while status is None:
            pid, wait_status = os.waitpid(-1, 0)
            if pid == child:
                status = wait_status
        kill_descendants()
    except Stop as stop:
        kill_descendants()
        signal.signal(stop.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stop.signum)
        os._exit(128 + stop.signum)
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
