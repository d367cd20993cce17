"""`WarmMutantExecutor`: runs mutants in the run's warm worker (`WarmTestRunner`).

The worker is the one that serves the whole run (baseline, coverage, candidates): a JVM that compiles
each mutant in memory against the base classes (many at once with `precompile`), the project's class
folders plus the changed file for Defects4J, Maven and Gradle, a warm pytest session that re-executes only
the changed module. Mutants travel as texts (`run_patched`): the checkout is never written. When the
caller has no warm runner, the executor starts one for the bug (`make_fast_runner`) and stops it after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fast_validation import make_fast_runner
from repair.runners import TestReport, TestRunner
from repair.runners.base import WarmTestRunner
from repair.runners.fast_java import ProjectJavaRunner


class WarmMutantExecutor:
    """A `MutantExecutor` over a warm test runner."""

    def __init__(self, runner: WarmTestRunner, per_test_timeout: float, owned: bool) -> None:
        self.runner = runner
        self.per_test_timeout = per_test_timeout  # the bug's own limit: a mutant never gets more
        self.owned = owned  # started here, so stopped here
        self._compiles: dict[str, str] = {}  # project runner: unmutated file -> why the worker cannot compile it

    @classmethod
    def for_bug(cls, workspace: Workspace, bug: Bug, runner: TestRunner | None = None) -> WarmMutantExecutor | None:
        """The executor on `runner` when it is warm (the run's worker), else on a worker started for the bug;
        None when no warm worker serves its test setup (a plain test command, a workspace in a container):
        a build per mutant would cost far more than it tells."""
        limit = bug.test_setup.per_test_timeout
        if isinstance(runner, WarmTestRunner):
            return cls(runner, limit, owned=False)
        fast = make_fast_runner(workspace, bug)
        return cls(fast, limit, owned=True) if fast is not None else None

    def run(self, files: Mapping[str, str], tests: Sequence[str], timeout: float | None = None) -> TestReport:
        runner = self.runner
        if timeout:
            runner = runner.with_timeout(min(self.per_test_timeout, timeout))
        self._check_project(list(files))
        return runner.run_patched(dict(files), list(tests)) if files else runner.run(list(tests))

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        self.runner.precompile(variants)

    def _check_project(self, paths: list[str]) -> None:
        """A project runner must compile each changed file in its worker; otherwise every mutant would go
        through the build tool (a minute each), so the analysis stops instead."""
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
        if self.owned:
            self.runner.close()
