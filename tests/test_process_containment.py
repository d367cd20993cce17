"""Nothing a test run starts outlives it, its limit holds, and a test that never finishes is a timeout.

Each case is one that escaped before: a child in a new session (`setsid`, `start_new_session=True`)
survived the run, one that kept the output pipe open held the run past its limit, and a hanging test
with pytest-timeout off vanished from the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from repair.containers import LocalWorkspace, run_process
from repair.runners import PytestRunner, TestSetup, TestStatus, setup_from_command
from repair.runners.build_tool import CommandRunner
from repair.runners.fast_python import FastPythonRunner

PYTHON = sys.executable


def survivors(marker: str) -> list[int]:
    """The pids of live processes whose command line holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def sleeper(marker: str) -> str:
    """A shell word that sleeps for a long time and can be found by `marker`."""
    return f'{PYTHON} -c "import time; time.sleep(1000)" {marker}'


@pytest.fixture
def marker() -> str:
    return f"repair-orphan-{uuid.uuid4().hex}"


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    src = tmp_path / "src"
    src.mkdir()
    (src / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    ws = LocalWorkspace.create(src)
    yield ws
    ws.close()


def test_a_child_in_a_new_session_dies_with_the_run(workspace: LocalWorkspace, marker: str) -> None:
    result = workspace.run(f"setsid {sleeper(marker)} > /dev/null 2>&1 & echo started", timeout=60)
    assert result.ok and "started" in result.stdout
    assert survivors(marker) == []


def test_a_child_holding_the_output_open_does_not_hold_the_run(workspace: LocalWorkspace, marker: str) -> None:
    # The case that took 1004 s against a 900 s limit: the command fails at once, its orphan keeps stdout.
    start = time.monotonic()
    result = workspace.run(f"bash -c 'setsid {sleeper(marker)} & exit 1'", timeout=60)
    assert time.monotonic() - start < 15
    assert result.returncode == 1 and not result.timed_out
    assert survivors(marker) == []


def test_the_run_limit_holds_and_kills_every_descendant(workspace: LocalWorkspace, marker: str) -> None:
    start = time.monotonic()
    result = workspace.run(f"setsid {sleeper(marker)} & {sleeper(marker)}", timeout=2)
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < 12
    assert survivors(marker) == []


def test_own_tools_are_not_slowed_by_the_reaper(tmp_path: Path) -> None:
    result = run_process(["git", "--version"], cwd=tmp_path, timeout=30, project_code=False)
    assert result.ok and "git version" in result.stdout


def write_tests(root: Path, marker: str) -> None:
    (root / "test_escape.py").write_text(
        "import subprocess, sys, time\n\n"
        "def test_spawns_a_daemon():\n"
        f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}'],\n"
        "                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\n"
        "def test_fine():\n"
        "    assert True\n")


def test_a_daemon_started_by_a_pytest_test_dies_with_the_run(workspace: LocalWorkspace, marker: str) -> None:
    write_tests(Path(workspace.path), marker)
    setup = TestSetup("pytest", test_files=("test_escape.py",), per_test_timeout=10, total_timeout=60)
    report = PytestRunner(workspace, setup).run()
    assert report.results["test_escape.py::test_spawns_a_daemon"].status == TestStatus.PASS
    assert survivors(marker) == []


def test_a_daemon_started_in_the_warm_python_worker_dies_with_the_run(workspace: LocalWorkspace,
                                                                      marker: str) -> None:
    write_tests(Path(workspace.path), marker)
    setup = TestSetup("pytest", test_files=("test_escape.py",), per_test_timeout=10, total_timeout=60)
    runner = FastPythonRunner(workspace, setup)
    try:
        report = runner.run()
        assert runner.fast_runs == 1, runner.fallbacks
        assert report.results["test_escape.py::test_spawns_a_daemon"].status == TestStatus.PASS
        assert survivors(marker) == [], "the worker is still alive, but the run's daemon is not"
    finally:
        runner.close()


HANGING = ("import pytest, time\n\n"
           "def test_quick():\n    assert True\n\n"
           "@pytest.mark.timeout(0)\n"
           "def test_hangs_with_pytest_timeout_off():\n    time.sleep(1000)\n")


@pytest.mark.parametrize("runner_class", [PytestRunner, FastPythonRunner])
def test_a_test_that_never_finishes_is_a_timeout(workspace: LocalWorkspace, runner_class: type) -> None:
    (Path(workspace.path) / "test_hang.py").write_text(HANGING)
    setup = TestSetup("pytest", test_files=("test_hang.py",), per_test_timeout=1, total_timeout=4)
    runner = runner_class(workspace, setup)
    try:
        start = time.monotonic()
        report = runner.run()
        assert time.monotonic() - start < 20
    finally:
        if hasattr(runner, "close"):
            runner.close()
    assert report.results["test_hang.py::test_quick"].status == TestStatus.PASS
    hung = report.results["test_hang.py::test_hangs_with_pytest_timeout_off"]
    assert hung.status == TestStatus.TIMEOUT and "did not finish" in hung.message


def test_a_test_whose_process_dies_is_an_error_not_a_pass(workspace: LocalWorkspace) -> None:
    (Path(workspace.path) / "test_exit.py").write_text(
        "import os\n\ndef test_exits():\n    os._exit(0)\n\ndef test_after():\n    assert True\n")
    setup = TestSetup("pytest", test_files=("test_exit.py",), per_test_timeout=5, total_timeout=60)
    report = PytestRunner(workspace, setup).run()
    assert report.results["test_exit.py::test_exits"].status == TestStatus.ERROR


def test_repair_test_on_a_command_whose_orphan_keeps_the_pipe(tmp_path: Path, marker: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text("print('hi')\n")
    start = time.monotonic()
    out = subprocess.run([PYTHON, "-m", "repair.cli", "test", "--repo", str(repo), "--test-cmd",
                          f"bash -c 'setsid {sleeper(marker)} & exit 1'"],
                         capture_output=True, text=True, timeout=120)
    assert time.monotonic() - start < 60, out.stdout + out.stderr
    assert "fail" in out.stdout and "timeout" not in out.stdout, out.stdout + out.stderr
    assert survivors(marker) == []


def test_command_runner_reports_the_exit_code_of_a_failing_command(workspace: LocalWorkspace) -> None:
    report = CommandRunner(workspace, setup_from_command("bash -c 'exit 3'", total_timeout=30)).run()
    assert report.failing and not report.timed_out
