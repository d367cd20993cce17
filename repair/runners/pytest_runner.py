"""pytest with per-test timeouts (pytest-timeout) and a JSON-lines report from our plugin."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.runners.base import TestSetup
from repair.runners.report import TestReport, TestResult, TestStatus

PLUGIN_NAME = "_repair_pytest_report"
PLUGIN_DIR = f"{SCRATCH_DIR}/pyplugin"
RESULTS_FILE = f"{SCRATCH_DIR}/pytest-results.jsonl"
PLUGIN_SOURCE = Path(__file__).with_name("pytest_report_plugin.py")
START_SLACK = 30.0


class PytestRunner:
    """Runs pytest from the checkout root and reads one result per test node id."""

    def __init__(self, workspace: Workspace, setup: TestSetup, python: str | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        self.python = python or sys.executable

    def build(self) -> CommandResult | None:
        return None

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        start = time.monotonic()
        self.workspace.write_file(f"{PLUGIN_DIR}/{PLUGIN_NAME}.py", PLUGIN_SOURCE.read_text())
        self.workspace.run(["rm", "-f", RESULTS_FILE], timeout=30)
        targets = list(tests) if tests else list(self.setup.test_files)
        cmd = [
            self.python, "-m", "pytest", "-q", "-p", PLUGIN_NAME,
            "-p", "no:cacheprovider", f"--timeout={self.setup.per_test_timeout:g}",
            "--timeout-method=signal", *self.setup.extra_args,
        ]
        if fail_fast:
            cmd.append("-x")
        n_tests = max(len(targets), 1)
        budget = min(self.setup.total_timeout, START_SLACK + self.setup.per_test_timeout * n_tests * 10)
        env = {
            "REPAIR_PYTEST_REPORT": f"{self.workspace.path}/{RESULTS_FILE}",
            "PYTHONPATH": f"{self.workspace.path}/{PLUGIN_DIR}",
            "PYTHONDONTWRITEBYTECODE": "1",  # a stale .pyc must never mask a patch
        }
        result = self.workspace.run([*cmd, *targets], timeout=budget, env=env)
        report = TestReport(output=result.output, timed_out=result.timed_out)
        text = self.workspace.read_file(RESULTS_FILE) if self.workspace.exists(RESULTS_FILE) else ""
        report.add_jsonl(text)
        report.settle_unfinished(result.timed_out, result.returncode)
        for target in targets:
            if "::" in target and not any(t == target or t.startswith(target + "[") for t in report.results):
                status = TestStatus.TIMEOUT if result.timed_out else TestStatus.ERROR
                if not (fail_fast and report.failing):
                    report.add(TestResult(target, status, "pytest did not report this test:\n"
                                          + result.output[-2000:]))
        if not report.results and result.returncode not in (0, 5):
            # pytest itself failed (bad arguments, broken conftest): say so instead of "no tests".
            report.add(TestResult("<pytest>", TestStatus.ERROR, result.output[-4000:]))
        report.seconds = time.monotonic() - start
        return report
