"""`WarmMutantExecutor`: runs a mutant's tests in the fast validation worker of the bug's test setup.

The worker is the one `FastPatchValidator` uses (`make_fast_runner`: a warm JVM that compiles in memory
for javac + JUnit 4, the project's class folders plus the changed file for Defects4J, Maven and Gradle,
a forked pytest for Python). It sits behind the small `MutantExecutor` protocol so that a worker that
serves a whole run (baseline, coverage and candidates) can take its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fast_validation import make_fast_runner
from repair.runners import TestReport
from repair.runners.base import WarmTestRunner
from repair.runners.fast_java import FastJavaRunner, ProjectJavaRunner
from repair.runners.fast_python import FastPythonRunner


class WarmMutantExecutor:
    """A `MutantExecutor` over a warm test runner: write the mutant, run the tests, write the original back."""

    def __init__(self, workspace: Workspace, runner: WarmTestRunner) -> None:
        self.workspace = workspace
        self.runner = runner
        self._compiles: dict[str, str] = {}  # project runner: unmutated file -> why the worker cannot compile it

    @classmethod
    def for_bug(cls, workspace: Workspace, bug: Bug) -> WarmMutantExecutor | None:
        """The executor for the bug's test setup, or None when no warm worker serves it (a plain test
        command, a workspace in a container): a build per mutant would cost far more than it tells."""
        runner = make_fast_runner(workspace, bug)
        return cls(workspace, runner) if runner is not None else None

    def run(self, files: Mapping[str, str], tests: Sequence[str], timeout: float | None = None) -> TestReport:
        runner = self.runner
        self._check_project(list(files))
        originals = {path: self.workspace.read_file(path) for path in files}
        timed = runner if isinstance(runner, FastJavaRunner | FastPythonRunner) else None
        setup = timed.setup if timed is not None else None
        try:
            if timed is not None and setup is not None and timeout:
                timed.setup = replace(setup, per_test_timeout=min(setup.per_test_timeout, timeout))
            if isinstance(runner, ProjectJavaRunner):
                runner.changed = tuple(files)
            for path, content in files.items():
                self.workspace.write_file(path, content)
            return runner.run(tests=list(tests))
        finally:
            for path, content in originals.items():
                self.workspace.write_file(path, content)
            if isinstance(runner, ProjectJavaRunner):
                runner.changed = ()
            if timed is not None and setup is not None:
                timed.setup = setup

    def _check_project(self, paths: list[str]) -> None:
        """A project runner must compile each changed file in its worker; otherwise every mutant would
        go through the build tool (minutes each), so the analysis stops instead."""
        runner = self.runner
        if not isinstance(runner, ProjectJavaRunner):
            return
        runner.prepare()
        if runner.broken:
            raise FaultLocalizationError(f"the warm worker cannot run this project's tests: {runner.broken}")
        for path in paths:
            if path not in self._compiles:
                self._compiles[path] = runner.compile_error(path) if path.endswith(".java") else ""
            if self._compiles[path]:
                raise FaultLocalizationError(f"the warm worker cannot compile {path}: "
                                             f"{self._compiles[path].strip()[:200]}")

    def close(self) -> None:
        self.runner.close()
