"""`repair batch --executor dask`: a real `dask scheduler` and real `dask worker` processes on localhost, and the
LocalCluster started by the batch itself, running demo bugs with the offline engine. Workers and the scheduler
are killed mid-run: every bug still ends with exactly one result, and a lost scheduler is resumed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # installed with distributed

from repair.results_log import RESULTS_FILE  # noqa: E402

# Two small Python demo bugs (no javac): each takes seconds with the offline engine.
BUGS = "is_sorted,clamp_range"
BUG_IDS = ["demo:clamp_range", "demo:is_sorted"]
BATCH = ["batch", "--dataset", "demo", "--bugs", BUGS, "--model", "offline", "--no-overfitting-check",
         "--max-seconds", "120", "--executor", "dask"]
# Where only the fault handling matters, the agent stops before it writes a fix (a few seconds a bug).
SHORT = ["--max-cycles", "3"]
WAIT_SECONDS = 240


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "repair.cli", *args]


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / RESULTS_FILE).read_text().splitlines()]


def wait_for(condition: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> object:
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"no {what} after {seconds:.0f}s"
        time.sleep(0.1)
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bug_processes(parent_pid: int) -> list[psutil.Process]:
    """The batch worker processes (`python -m repair.batch worker SPEC`) below `parent_pid`."""
    try:
        children = psutil.Process(parent_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "repair.batch" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def bug_of(process: psutil.Process) -> str:
    return str(json.loads(process.cmdline()[-1])["bug"])


def mid_bug(process: psutil.Process) -> bool:
    """The bug's agent has taken its first step (its trajectory has begun)."""
    try:
        return (Path(json.loads(process.cmdline()[-1])["run_dir"]) / "trajectory.jsonl").is_file()
    except psutil.NoSuchProcess:
        return False


class ProcessGroups:
    """Processes started in sessions of their own; `close()` ends each whole group (dask, its workers' bug
    processes and their tests): SIGTERM first, so they clean up, then SIGKILL."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self.started.append((process, log))
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def close(self) -> None:
        # The last started first: the batch, then workers while their scheduler still answers.
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
            for process, _ in reversed(self.started):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
            deadline = time.monotonic() + grace
            for process, _ in self.started:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for _, log in self.started:
            log.close()


@pytest.fixture
def groups(tmp_path: Path) -> Iterator[ProcessGroups]:
    logs = tmp_path / "logs"
    logs.mkdir()
    started = ProcessGroups(logs)
    try:
        yield started
    finally:
        started.close()


def start_scheduler(groups: ProcessGroups, port: int, name: str = "scheduler") -> str:
    address = f"tcp://127.0.0.1:{port}"
    groups.start(name, [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"])
    wait_for(lambda: "Scheduler at:" in groups.log(name), "scheduler", 60)
    return address


def start_worker(groups: ProcessGroups, address: str, name: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    """A one-thread worker without a nanny: killing its process loses the worker for good."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    worker = groups.start(name, [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny",
                                 "--no-dashboard", "--name", name, "--local-directory", str(folder)])
    wait_for(lambda: "Registered to:" in groups.log(name), f"worker {name}", 60)
    return worker


def test_worker_killed_mid_bug_is_retried_on_the_other_worker(groups: ProcessGroups, tmp_path: Path) -> None:
    address = start_scheduler(groups, free_port())
    workers = {name: start_worker(groups, address, name, tmp_path) for name in ("w1", "w2")}
    out = tmp_path / "out"
    batch = groups.start("batch", cli(*BATCH, "--scheduler", address, "--out", str(out)))

    def busy_worker() -> tuple[str, str] | None:
        for name, worker in workers.items():
            for process in bug_processes(worker.pid):
                if mid_bug(process):
                    return name, bug_of(process)
        return None

    busy = wait_for(busy_worker, "bug running on a worker")
    assert isinstance(busy, tuple)
    killed, killed_bug = busy
    os.kill(workers[killed].pid, signal.SIGKILL)  # Linux then sends the bug's own process SIGTERM
    assert batch.wait(timeout=WAIT_SECONDS) == 0, groups.log("batch")

    records = results(out)
    assert sorted(r["bug"] for r in records) == BUG_IDS  # every bug exactly once
    retried = {r["bug"]: r for r in records}[killed_bug]
    assert retried["status"] == "plausible", retried  # its second attempt ran on the other worker
    starts = [line for line in groups.log("batch").splitlines() if line.startswith(f"started    {killed_bug} on ")]
    assert len(starts) == 2 and starts[0] != starts[1], starts  # two workers, one after the other
    assert retried["patch"].startswith("diff --git")
    # The lost attempt never reached the batch's folder: one run folder per bug, each complete.
    for record in records:
        (run_dir,) = (out / "runs" / record["bug"].replace(":", "__")).iterdir()
        assert run_dir == out / record["run_dir"]
        assert (run_dir / "result.json").is_file() and (run_dir / "report.html").is_file()
    # The dead worker's unfinished attempt stayed on its disk; finished runs were moved off the workers.
    assert list((tmp_path / killed).rglob("worker.log"))
    assert not list((tmp_path / "w1").rglob("result.json")) + list((tmp_path / "w2").rglob("result.json"))
    summary = (out / "summary.md").read_text()
    assert all(bug in summary for bug in BUG_IDS)


def test_lost_scheduler_stops_the_batch_in_one_line_and_resume_finishes_it(groups: ProcessGroups,
                                                                          tmp_path: Path) -> None:
    port = free_port()
    address = start_scheduler(groups, port)
    start_worker(groups, address, "w1", tmp_path)  # one bug at a time: the second runs when the first is in
    out = tmp_path / "out"
    args = cli(*BATCH, *SHORT, "--scheduler", address, "--out", str(out))
    batch = groups.start("batch", args)
    wait_for(lambda: (out / RESULTS_FILE).is_file() and (out / RESULTS_FILE).read_text().count("\n") >= 1,
             "first result")
    os.killpg(groups.started[0][0].pid, signal.SIGKILL)  # the scheduler
    assert batch.wait(timeout=120) == 2, groups.log("batch")
    stderr = groups.log("batch")
    assert "Traceback" not in stderr and "distributed." not in stderr  # Dask's own lines went to dask.log
    (line,) = [line for line in stderr.splitlines() if line.startswith("error")]
    assert "lost the Dask scheduler" in line and "--resume" in line
    first = results(out)
    assert len(first) == 1

    address = start_scheduler(groups, port, "scheduler2")  # a cluster that is back, on the same address
    start_worker(groups, address, "w3", tmp_path)
    resumed = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming: 1 of 2 bugs already done" in resumed.stderr
    records = results(out)
    assert records[0] == first[0] and sorted(r["bug"] for r in records) == BUG_IDS


def kill_worker_of_bug(batch_pid: int, bug: str, seen: set[int]) -> str:
    """Wait for a bug process below the batch that is new (and of `bug`, when given); kill its Dask worker."""

    def new_bug_process() -> psutil.Process | None:
        for process in bug_processes(batch_pid):
            if process.pid not in seen and bug in ("", bug_of(process)):
                return process
        return None

    process = wait_for(new_bug_process, "bug process")
    assert isinstance(process, psutil.Process)
    seen.add(process.pid)
    process.parent().kill()  # the Dask worker process running the bug
    return bug_of(process)


def test_local_cluster_records_a_bug_whose_workers_keep_dying_as_worker_lost(groups: ProcessGroups,
                                                                          tmp_path: Path) -> None:
    """No --scheduler: the batch starts a LocalCluster. Its nanny restarts a killed worker, so the bug whose
    worker is killed twice is given up after its one retry, and the other bug still runs."""
    out = tmp_path / "out"
    batch = groups.start("batch", cli(*BATCH, *SHORT, "--workers", "1", "--out", str(out)))
    seen: set[int] = set()
    victim = kill_worker_of_bug(batch.pid, "", seen)
    kill_worker_of_bug(batch.pid, victim, seen)
    assert batch.wait(timeout=WAIT_SECONDS) == 0, groups.log("batch")
    records = {r["bug"]: r for r in results(out)}
    assert sorted(records) == BUG_IDS
    lost = records.pop(victim)
    assert lost["status"] == "error" and lost["reason"].startswith("worker lost"), lost
    assert (out / lost["run_dir"] / "worker.log").read_text().startswith("worker lost")
    (other,) = records.values()
    assert other["status"] == "failed" and "cycle" in other["reason"], other  # stopped by --max-cycles
    assert (out / other["run_dir"] / "report.html").is_file()
    assert "| error |" in (out / "summary.md").read_text()


def test_unreachable_scheduler_and_misplaced_options_are_one_line_errors(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    proc = subprocess.run(cli(*BATCH, "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "a")),
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in proc.stderr
    assert not (tmp_path / "a" / RESULTS_FILE).exists()
    proc = subprocess.run(cli("batch", "--dataset", "demo", "--bugs", "is_sorted", "--shared-runs",
                              "--out", str(tmp_path / "b")), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--shared-runs need --executor dask" in proc.stderr, proc.stderr
