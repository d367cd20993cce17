"""`FastJavaRunner`: JUnit 4 tests run by a warm JVM (ValidationWorker) instead of javac + a new JVM.

The worker compiles the bug's sources in-process into memory and runs the tests in a fresh
class loader each time, so one candidate costs tens of milliseconds instead of seconds. On
any doubt (a workspace that is not on this host, too many sources, a worker that dies or
hangs) the run goes to the plain `JUnit4Runner`, which is always right, only slower.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.process import CommandResult, run_process
from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.runners.base import TestSetup
from repair.runners.java_env import junit_classpath, require_jdk
from repair.runners.junit import JSON_SOURCE, JVM_START_SLACK, JUnit4Runner
from repair.runners.report import TestReport, TestResult, TestStatus
from repair.runners.worker_process import WorkerError, WorkerProcess

WORKER_SOURCE = Path(__file__).resolve().parent.parent / "java" / "ValidationWorker.java"
MAX_SOURCES = 300  # beyond this, compiling everything per candidate stops being cheap


def _cache_root() -> Path:
    return Path(os.environ.get("REPAIR_CACHE_DIR", Path.home() / ".cache" / "repair"))


def build_worker(classpath: Sequence[str]) -> Path:
    """Compile ValidationWorker once per source version into the cache; the directory of its classes."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in (WORKER_SOURCE, JSON_SOURCE)}
    digest = hashlib.sha256("\0".join(sources.values()).encode()).hexdigest()[:16]
    target = _cache_root() / "fast-java" / digest
    if (target / "ValidationWorker.class").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temporary directory and rename: two processes may build at the same time.
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    try:
        for name, text in sources.items():
            (tmp / name).write_text(text, encoding="utf-8")
        result = run_process(["javac", "-nowarn", "-d", str(tmp), "-cp", os.pathsep.join(classpath),
                              *(str(tmp / name) for name in sources)], cwd=tmp, timeout=120)
        if not result.ok:
            raise WorkerError(f"cannot compile ValidationWorker: {result.output[:1000]}")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "ValidationWorker.class").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class FastJavaRunner:
    """A `TestRunner` for junit4 setups that validates in a long-lived JVM, falling back to javac + java."""

    def __init__(self, workspace: Workspace, setup: TestSetup, fallback: JUnit4Runner | None = None) -> None:
        self.workspace = workspace
        self.setup = setup
        require_jdk()
        self.classpath = [str(p) for p in junit_classpath()]
        self.fallback = fallback or JUnit4Runner(workspace, setup, classpath=self.classpath)
        self._worker: WorkerProcess | None = None
        self.fast_runs = 0
        self.fallbacks: list[str] = []  # why each plain run happened
        self.compile_seconds = 0.0  # totals over every run, for the per-bug time split
        self.test_seconds = 0.0

    @property
    def usable(self) -> bool:
        """The worker needs the checkout on this host's file system."""
        return isinstance(self.workspace, LocalWorkspace) and setup_is_supported(self.setup)

    def build(self) -> CommandResult | None:
        return self.fallback.build()

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        """Run `tests` (or every test class) in the warm worker; the plain runner on any doubt."""
        if self.usable:
            try:
                return self._run_fast(tests, fail_fast)
            except (WorkerError, OSError) as exc:
                self.fallbacks.append(str(exc))
                self.close()
        start = time.monotonic()
        report = self.fallback.run(tests, fail_fast=fail_fast, build=True)
        self.test_seconds += time.monotonic() - start
        return report

    def _sources(self) -> list[str]:
        files = list(self.setup.compile_files) or [
            f for f in self.workspace.list_files((".java",)) if not f.startswith(SCRATCH_DIR)]
        if len(files) > MAX_SOURCES:
            raise WorkerError(f"{len(files)} source files: too many to recompile per candidate")
        root = self.workspace.path
        return [os.path.join(root, f) for f in files]

    def _worker_process(self) -> WorkerProcess:
        if self._worker is None:
            classes = build_worker(self.classpath)
            cp = os.pathsep.join([str(classes), *self.classpath])
            self._worker = WorkerProcess(["java", "-Xss4m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                          "-cp", cp, "ValidationWorker"], cwd=self.workspace.path)
        return self._worker

    def _run_fast(self, tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
        start = time.monotonic()
        targets = list(tests) if tests else list(self.setup.test_classes)
        root = self.workspace.path
        worker = self._worker_process()
        request = {
            "sources": self._sources(),
            "sourcepath": os.pathsep.join(os.path.join(root, p) for p in self.setup.source_path),
            "classpath": os.pathsep.join(self.classpath),
            "options": ["-nowarn", "-g", "-encoding", "UTF-8", *self.setup.extra_args],
            "tests": targets,
            "timeout": f"{self.setup.per_test_timeout:g}",
            "failfast": "1" if fail_fast else "0",
        }
        worker.request(request)
        # The same whole-run budget as the plain runner, so a hung worker costs no more than a hung JVM.
        budget = min(self.setup.total_timeout, JVM_START_SLACK + self.setup.per_test_timeout * max(1, len(targets)) * 4)
        deadline = time.monotonic() + budget
        report = TestReport()
        while True:
            reply = worker.read(deadline)
            kind = reply.get("kind")
            if kind == "compile" and not reply.get("ok"):
                report.build_ok = False
                report.build_output = str(reply.get("output", ""))
            elif kind == "test":
                report.add(TestResult(str(reply["test_id"]), TestStatus(str(reply["status"])),
                                      str(reply.get("message", "")), str(reply.get("trace", "")),
                                      float(reply.get("seconds", 0.0))))
            elif kind == "done":
                if reply.get("error"):
                    raise WorkerError(f"the worker failed: {reply['error']}")
                self.compile_seconds += float(reply.get("compile_ms", 0)) / 1000
                self.test_seconds += float(reply.get("test_ms", 0)) / 1000
                if reply.get("stuck"):
                    worker.kill()  # a test thread it could not stop; start clean next time
                break
        report.seconds = time.monotonic() - start
        self.fast_runs += 1
        return report

    def close(self) -> None:
        """Stop the worker (a later run starts a new one)."""
        if self._worker is not None:
            self._worker.close()


def setup_is_supported(setup: TestSetup) -> bool:
    """Plain javac + JUnit 4 setups only; Maven/Gradle builds keep their own path."""
    return setup.framework == "junit4"
