"""A warm pytest worker: pytest is imported once, and each request runs in a forked child.

The child starts from a process that has never imported the project's code, so every
candidate's modules are imported fresh from disk, with nothing cached from a previous one.
It imports nothing from `repair`, so it works with any Python that has pytest.

The worker is a child subreaper (the `reaper` launcher's functions, loaded from the path given as
its first argument): whatever a test starts, in any session or process group, is re-parented to
it and killed as soon as the request's child ends, so nothing of one run survives into the next.

Protocol: one JSON request per line on stdin ({"cwd", "args", "env", "sys_path", "timeout"}),
one JSON reply per line on stdout ({"rc", "timed_out", "seconds"}); {"ready": true} first.
"""

import contextlib
import importlib.util
import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # a stale .pyc must never mask a candidate
# This script's folder must not shadow the project's modules (it holds e.g. report.py).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import pytest  # noqa: E402  (warm: this import is most of pytest's start-up)


def _warm_plugins():
    """Import the installed pytest plugins now: loading them is most of a run's start-up."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="pytest11"):
        # A broken plugin fails in the child exactly as it would in a plain run.
        with contextlib.suppress(Exception):
            entry.load()


_warm_plugins()


def _child(request):
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.chdir(request["cwd"])
    os.environ.update(request.get("env", {}))
    # As `python -m pytest` from the checkout root: the root first, then PYTHONPATH.
    sys.path[:0] = [request["cwd"], *request.get("sys_path", [])]
    code = 3
    try:
        code = int(pytest.main(list(request["args"])))
    finally:
        os._exit(code)


def _load_reaper(path):
    spec = importlib.util.spec_from_file_location("_repair_reaper", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _serve_one(request, out, reaper):
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(request)
        finally:
            os._exit(3)
    deadline = start + float(request.get("timeout", 60))
    timed_out = False
    status = 0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.002)
    rc = os.waitstatus_to_exitcode(status)
    reaper.kill_descendants()  # what the run left behind, in its own session or not
    out.write(json.dumps({"rc": rc, "timed_out": timed_out, "seconds": time.monotonic() - start}) + "\n")
    out.flush()


def main():
    reaper = _load_reaper(sys.argv[1])
    reaper.become_subreaper()
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if line.strip():
            _serve_one(json.loads(line), out, reaper)


if __name__ == "__main__":
    main()
