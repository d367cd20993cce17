"""`FastPythonRunner`: pytest runs in a warm worker process, forked per request.

Starting Python, importing pytest and collecting the tests is most of a small pytest run. The worker
does that once (fast_python_worker.py); each run forks a child that re-executes only the modules a
candidate changes (sent as texts: the checkout is not written) and runs the collected tests with
pytest's own protocol, the same plugin and per-test timeouts as `PytestRunner`, and optionally
coverage.py with one context per test. On any doubt (a workspace not on this host, a worker that
dies, hangs or cannot start) the run goes to `PytestRunner`.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.process import REAPER, CommandResult
from repair.containers.workspace import SCRATCH_DIR, Workspace
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
from repair.runners.worker_process import WorkerError, WorkerProcess, WorkerSlot, disk_lock, written

WORKER_SCRIPT = Path(__file__).with_name("fast_python_worker.py")
# Coverage's plugin, for the runs the warm session cannot take (it sits next to our report plugin).
COVERAGE_PLUGIN_NAME = "_repair_fl_coverage"
COVERAGE_PLUGIN_SOURCE = Path(__file__).with_name("pytest_coverage_plugin.py")
COVERAGE_DATA = f"{SCRATCH_DIR}/warm-coverage/python.coverage"
MAX_WORKER_FAILURES = 3  # then this run stops asking the worker (a module that hangs at import, say)


class FastPythonRunner:
    """A `TestRunner` for pytest setups that runs each request in a fork of a warm pytest session."""

    twin_pays = True  # a second warm session costs one collection, and Python has nothing to compile

    def __init__(self, workspace: Workspace, setup: TestSetup, python: str | None = None,
                 fallback: PytestRunner | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        self.python = python or sys.executable
        self.fallback = fallback or PytestRunner(workspace, setup, python=self.python)
        self._slot = WorkerSlot()
        self.results_file = RESULTS_FILE  # where the worker's children write each test's result
        self.fast_runs = 0
        self.warm_runs = 0  # runs the warm session took (the others ran pytest.main in the fork)
        self.fallbacks: list[str] = []
        self.compile_seconds = 0.0  # totals over every run, for the per-bug time split
        self.test_seconds = 0.0

    @property
    def _worker(self) -> WorkerProcess | None:
        return self._slot.worker

    @property
    def usable(self) -> bool:
        return (isinstance(self.workspace, LocalWorkspace) and self.setup.framework == "pytest"
                and len(self.fallbacks) < MAX_WORKER_FAILURES)

    def with_timeout(self, per_test_timeout: float) -> FastPythonRunner:
        """This runner with another per-test limit, on the same worker (its own time counters)."""
        view = copy.copy(self)
        view.setup = replace(self.setup, per_test_timeout=per_test_timeout)
        view.fallback = PytestRunner(self.workspace, view.setup, python=self.python)
        view.fast_runs = view.warm_runs = 0
        view.fallbacks = list(self.fallbacks)
        view.compile_seconds = view.test_seconds = 0.0
        return view

    def twin(self) -> FastPythonRunner:
        """This runner on a second warm worker of its own (started on first use; stopped with this one), so
        that a second candidate can run at the same time."""
        if self._slot.twin is None:
            self._slot.twin = WorkerSlot()
        other = copy.copy(self)
        other._slot = self._slot.twin
        other.results_file = RESULTS_FILE.replace(".jsonl", "-twin.jsonl")
        other.fast_runs = other.warm_runs = 0
        other.fallbacks = []
        other.compile_seconds = other.test_seconds = 0.0
        return other

    def threads(self) -> ThreadPoolExecutor:
        """The threads that run this runner and its twin side by side (they live as long as the worker)."""
        return self._slot.threads()

    def build(self) -> CommandResult | None:
        return None

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        """Run `tests` (or the setup's test files) in the warm worker; the plain runner on any doubt."""
        return self._timed(lambda: self._run_from_disk(tests, fail_fast))

    def run_patched(self, files: Mapping[str, str], tests: Sequence[str] | None = None,
                    fail_fast: bool = False) -> TestReport:
        """Run `tests` with the modules of `files` (workspace path -> text) re-executed from those texts."""
        def attempt() -> TestReport:
            report = self._run(tests, fail_fast, patched=files) if self.usable else None
            if report is not None:
                return report
            with written(self.workspace, files):  # the warm session cannot take it: from disk, this once
                return self._run_from_disk(tests, fail_fast)
        return self._timed(attempt)

    def run_covered(self, tests: Sequence[str] | None = None, cover: Sequence[str] = ()) -> TestReport:
        """Run `tests` under coverage.py, one context per test; `report.coverage` maps each test to
        {absolute path: lines} (empty when the plain path ran)."""
        def attempt() -> TestReport:
            data = Path(self.workspace.path, COVERAGE_DATA)
            data.parent.mkdir(parents=True, exist_ok=True)
            for old in data.parent.glob(data.name + "*"):
                old.unlink()
            report = self._run_from_disk(tests, False, coverage=str(data))
            report.coverage = read_coverage(data, report) if data.exists() else {}
            return report
        return self._timed(attempt)

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Nothing to compile ahead in Python."""

    def _timed(self, action: Callable[[], TestReport]) -> TestReport:
        start = time.monotonic()
        report = action()
        report.seconds = time.monotonic() - start
        self.test_seconds += report.seconds
        return report

    def _run_from_disk(self, tests: Sequence[str] | None, fail_fast: bool, coverage: str | None = None) -> TestReport:
        report = self._run(tests, fail_fast, coverage=coverage)
        assert report is not None  # only a patched run can need its files on disk
        return report

    def _run(self, tests: Sequence[str] | None, fail_fast: bool, patched: Mapping[str, str] | None = None,
             coverage: str | None = None) -> TestReport | None:
        """The worker's report, the plain runner's when the worker failed; None when a patched run needs
        its files on disk."""
        if self.usable:
            try:
                # The warm session re-executes a module whose file changed on disk: no other thread's candidate
                # may be written there meanwhile.
                with disk_lock(self.workspace).shared():
                    return self._run_fast(tests, fail_fast, patched, coverage)
            except (WorkerError, OSError) as exc:
                self.fallbacks.append(str(exc))
                self._slot.stop()
        if patched:
            return None
        if coverage is not None:
            return self._covered_plain(tests, coverage)
        return self.fallback.run(tests, fail_fast=fail_fast, build=True)

    def _covered_plain(self, tests: Sequence[str] | None, data_file: str) -> TestReport:
        self._write_plugins(coverage=True)
        setup = replace(self.setup, extra_args=(*self.setup.extra_args, "-p", COVERAGE_PLUGIN_NAME,
                                                f"--repair-fl-data={data_file}"))
        return PytestRunner(self.workspace, setup, python=self.python).run(tests)

    def _write_plugins(self, coverage: bool = False) -> None:
        plugins = [(PLUGIN_NAME, PLUGIN_SOURCE)]
        if coverage:
            plugins.append((COVERAGE_PLUGIN_NAME, COVERAGE_PLUGIN_SOURCE))
        for name, source in plugins:
            if not Path(self.workspace.path, PLUGIN_DIR, f"{name}.py").is_file():
                self.workspace.write_file(f"{PLUGIN_DIR}/{name}.py", source.read_text())

    def _worker_process(self) -> WorkerProcess:
        if self._slot.worker is None:
            self._slot.worker = WorkerProcess([self.python, str(WORKER_SCRIPT), str(REAPER)], cwd=self.workspace.path,
                                              env={"PYTHONDONTWRITEBYTECODE": "1"})
        return self._slot.worker

    def _run_fast(self, tests: Sequence[str] | None, fail_fast: bool, patched: Mapping[str, str] | None,
                  coverage: str | None) -> TestReport | None:
        ws = self.workspace
        self._write_plugins(coverage=coverage is not None)
        results = self.results_file
        Path(ws.path, results).unlink(missing_ok=True)  # usable means a local checkout
        targets = list(tests) if tests else list(self.setup.test_files)
        args = ["-q", "-p", PLUGIN_NAME, "-p", "no:cacheprovider", "--timeout-method=signal", *self.setup.extra_args]
        budget = min(self.setup.total_timeout, START_SLACK + self.setup.per_test_timeout * max(len(targets), 1) * 10)
        worker = self._worker_process()
        worker.request({
            "cwd": ws.path, "args": args, "collect": list(self.setup.test_files), "targets": list(tests or []),
            "timeout": budget, "per_test_timeout": self.setup.per_test_timeout, "fail_fast": fail_fast,
            "env": {"REPAIR_PYTEST_REPORT": f"{ws.path}/{results}", "PYTHONDONTWRITEBYTECODE": "1"},
            "sys_path": [f"{ws.path}/{PLUGIN_DIR}"],
            "patched": {f"{ws.path}/{path}": text for path, text in (patched or {}).items()},
            "coverage": {"data_file": coverage, "omit": [f"{ws.path}/{SCRATCH_DIR}/*"]} if coverage else None,
        })
        reply = worker.read(time.monotonic() + budget + 30)
        if reply.get("needs_disk"):
            return None
        rc, timed_out = int(reply.get("rc", -1)), bool(reply.get("timed_out"))
        report = TestReport(timed_out=timed_out)
        text = ws.read_file(results) if ws.exists(results) else ""
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
        self.fast_runs += 1
        self.warm_runs += reply.get("mode") == "warm"
        return report

    def close(self) -> None:
        """Stop the worker and its twin (a later run starts a new one)."""
        self._slot.close()


def read_coverage(data_file: Path, report: TestReport) -> dict[str, dict[str, list[int]]]:
    """{test id: {absolute path: lines}} from coverage.py's data with one context per test."""
    from coverage import CoverageData

    by_test: dict[str, dict[str, list[int]]] = {test_id: {} for test_id in report.results}
    data = CoverageData(basename=str(data_file))
    data.read()
    for measured in data.measured_files():
        for line, contexts in (data.contexts_by_lineno(measured) or {}).items():
            for context in contexts:
                if context in by_test:
                    by_test[context].setdefault(measured, []).append(line)
    return by_test
