"""JUnit 4 on plain javac: compile the sources, run the tests with our per-test-timeout runner."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.runners.base import TestSetup, failed_build
from repair.runners.java_env import RUNNER_SOURCE, junit_classpath, require_jdk
from repair.runners.report import TestReport, TestResult, TestStatus

CLASSES_DIR = f"{SCRATCH_DIR}/classes"
RUNNER_DIR = f"{SCRATCH_DIR}/runner"
RESULTS_FILE = f"{SCRATCH_DIR}/junit-results.jsonl"
JVM_START_SLACK = 20.0  # seconds a JVM needs to start and load classes, on a slow CI machine
# The JSON writing shared by every Java program of ours; compiled together with each of them.
JSON_SOURCE = RUNNER_SOURCE.with_name("RepairJson.java")
# What every runner of ours that runs JUnit compiles next to itself: the result format and JUnit's verdicts.
SHARED_SOURCES = (JSON_SOURCE, RUNNER_SOURCE.with_name("RepairJUnit.java"))


class JUnit4Runner:
    """Runs JUnit 4 tests compiled with javac, one method at a time with a timeout each."""

    def __init__(self, workspace: Workspace, setup: TestSetup, classpath: Sequence[str] | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        require_jdk()
        self.classpath = list(classpath) if classpath is not None else [str(p) for p in junit_classpath()]
        self._runner_ready = False

    def _ensure_runner(self) -> None:
        if self._runner_ready and self.workspace.exists(f"{RUNNER_DIR}/RepairTestRunner.class"):
            return
        sources = (RUNNER_SOURCE, *SHARED_SOURCES)
        for source in sources:
            self.workspace.write_file(f"{RUNNER_DIR}/{source.name}", source.read_text())
        result = self.workspace.run(
            ["javac", "-nowarn", "-d", RUNNER_DIR, "-cp", os.pathsep.join(self.classpath),
             *(f"{RUNNER_DIR}/{source.name}" for source in sources)],
            timeout=120,
        )
        if not result.ok:
            raise RuntimeError(f"could not compile the JUnit runner: {result.output[:2000]}")
        self._runner_ready = True

    def build(self) -> CommandResult | None:
        # A clean output directory each time: a stale class from a reverted patch must never be run.
        self.workspace.run(["rm", "-rf", CLASSES_DIR], timeout=60)
        self.workspace.run(["mkdir", "-p", CLASSES_DIR], timeout=60)
        files = list(self.setup.compile_files) or [
            f for f in self.workspace.list_files((".java",)) if not f.startswith(SCRATCH_DIR)
        ]
        cmd = [
            "javac", "-nowarn", "-encoding", "UTF-8", "-g", "-d", CLASSES_DIR,
            "-cp", os.pathsep.join(self.classpath),
            "-sourcepath", os.pathsep.join(self.setup.source_path),
            *self.setup.extra_args, *files,
        ]
        return self.workspace.run(cmd, timeout=min(300.0, self.setup.total_timeout))

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        start = time.monotonic()
        if build and (failed := failed_build(self, start)):
            return failed
        report = TestReport()
        self._ensure_runner()
        targets = list(tests) if tests else list(self.setup.test_classes)
        report.output, report.timed_out = self._run_targets(targets, fail_fast, report)
        report.seconds = time.monotonic() - start
        return report

    def _run_targets(self, targets: list[str], fail_fast: bool, report: TestReport) -> tuple[str, bool]:
        self.workspace.run(["rm", "-f", RESULTS_FILE], timeout=30)
        per_test = self.setup.per_test_timeout
        budget = min(self.setup.total_timeout, JVM_START_SLACK + per_test * max(1, len(targets)) * 4)
        cp = os.pathsep.join([CLASSES_DIR, RUNNER_DIR, *self.classpath])
        cmd = ["java", "-Xss4m", "-cp", cp, "RepairTestRunner", "--out", RESULTS_FILE,
               "--timeout", str(per_test)]
        if fail_fast:
            cmd.append("--fail-fast")
        result = self.workspace.run([*cmd, *targets], timeout=budget)
        report.add_jsonl(self._read_results())
        if result.timed_out or (result.returncode != 0 and not fail_fast):
            # Whatever did not report was cut off by the whole-run timeout or a JVM crash.
            for target in targets:
                if "::" in target and target not in report.results:
                    status = TestStatus.TIMEOUT if result.timed_out else TestStatus.ERROR
                    report.add(TestResult(target, status, "the test run was killed before this test reported"))
        return result.output, result.timed_out

    def _read_results(self) -> str:
        if not self.workspace.exists(RESULTS_FILE):
            return ""
        return self.workspace.read_file(RESULTS_FILE)
