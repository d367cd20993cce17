"""`FastPythonRunner`: pytest runs in a warm worker process, forked per candidate.

Starting Python and importing pytest is most of a small pytest run. The worker does that
once; each run forks a child that imports the project's modules fresh and runs pytest.main
with the same plugin and per-test timeouts as `PytestRunner`. On any doubt (a workspace not
on this host, a worker that dies, hangs or cannot start) the run goes to `PytestRunner`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.process import REAPER, CommandResult
from repair.containers.workspace import Workspace
from repair.runners.base import TestSetup
from repair.runners.pytest_runner import (
    PLUGIN_DIR,
    PLUGIN_NAME,
    PLUGIN_SOURCE,
    RESULTS_FILE,
    START_SLACK,
    PytestRunner,
)
from repair.runners.report import TestReport, TestResult, TestStatus
from repair.runners.worker_process import WorkerError, WorkerProcess

WORKER_SCRIPT = Path(__file__).with_name("fast_python_worker.py")


class FastPythonRunner:
    """A `TestRunner` for pytest setups that runs each request in a fork of a warm worker."""

    def __init__(self, workspace: Workspace, setup: TestSetup, python: str | None = None,
                 fallback: PytestRunner | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        self.python = python or sys.executable
        self.fallback = fallback or PytestRunner(workspace, setup, python=self.python)
        self._worker: WorkerProcess | None = None
        self.fast_runs = 0
        self.fallbacks: list[str] = []
        self.compile_seconds = 0.0  # totals over every run, for the per-bug time split
        self.test_seconds = 0.0

    @property
    def usable(self) -> bool:
        return isinstance(self.workspace, LocalWorkspace) and self.setup.framework == "pytest"

    def build(self) -> CommandResult | None:
        return None

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        """Run `tests` (or the setup's test files) in the warm worker; the plain runner on any doubt."""
        start = time.monotonic()
        report: TestReport | None = None
        if self.usable:
            try:
                report = self._run_fast(tests, fail_fast)
                self.fast_runs += 1
            except (WorkerError, OSError) as exc:
                self.fallbacks.append(str(exc))
                self.close()
        if report is None:
            report = self.fallback.run(tests, fail_fast=fail_fast, build=build)
        report.seconds = time.monotonic() - start
        self.test_seconds += report.seconds
        return report

    def _worker_process(self) -> WorkerProcess:
        if self._worker is None:
            self._worker = WorkerProcess([self.python, str(WORKER_SCRIPT), str(REAPER)], cwd=self.workspace.path,
                                         env={"PYTHONDONTWRITEBYTECODE": "1"})
        return self._worker

    def _run_fast(self, tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
        ws = self.workspace
        plugin = Path(ws.path, PLUGIN_DIR, f"{PLUGIN_NAME}.py")
        if not plugin.is_file():
            ws.write_file(f"{PLUGIN_DIR}/{PLUGIN_NAME}.py", PLUGIN_SOURCE.read_text())
        Path(ws.path, RESULTS_FILE).unlink(missing_ok=True)  # usable means a local checkout
        targets = list(tests) if tests else list(self.setup.test_files)
        args = ["-q", "-p", PLUGIN_NAME, "-p", "no:cacheprovider", f"--timeout={self.setup.per_test_timeout:g}",
                "--timeout-method=signal", *self.setup.extra_args]
        if fail_fast:
            args.append("-x")
        budget = min(self.setup.total_timeout, START_SLACK + self.setup.per_test_timeout * max(len(targets), 1) * 10)
        worker = self._worker_process()
        worker.request({
            "cwd": ws.path, "args": [*args, *targets], "timeout": budget,
            "env": {"REPAIR_PYTEST_REPORT": f"{ws.path}/{RESULTS_FILE}", "PYTHONDONTWRITEBYTECODE": "1"},
            "sys_path": [f"{ws.path}/{PLUGIN_DIR}"],
        })
        reply = worker.read(time.monotonic() + budget + 30)
        rc, timed_out = int(reply.get("rc", -1)), bool(reply.get("timed_out"))
        report = TestReport(timed_out=timed_out)
        text = ws.read_file(RESULTS_FILE) if ws.exists(RESULTS_FILE) else ""
        report.add_jsonl(text)
        report.settle_unfinished(timed_out, rc)
        if not report.results and rc not in (0, 5):
            # pytest itself failed in the child (or the child crashed): the plain path says why.
            raise WorkerError(f"pytest exited with {rc} and reported no test")
        for target in targets:
            if "::" in target and not any(t == target or t.startswith(target + "[") for t in report.results):
                status = TestStatus.TIMEOUT if timed_out else TestStatus.ERROR
                if not (fail_fast and report.failing):
                    report.add(TestResult(target, status, "pytest did not report this test"))
        return report

    def close(self) -> None:
        """Stop the worker (a later run starts a new one)."""
        if self._worker is not None:
            self._worker.close()
