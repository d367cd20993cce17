"""Check a bug out into a workspace and learn its failing tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, Dataset
from repair.datasets.registry import DatasetOptions, resolve_bug
from repair.errors import WorkspaceError
from repair.fast_validation import warm_runner
from repair.runners import TestReport, TestRunner, make_test_runner
from repair.runners.base import WarmTestRunner


@dataclass
class CheckedOutBug:
    """A bug in its workspace, with the runner bound to it and the buggy version's test report.

    For a plain javac + JUnit 4 or a pytest setup in a local workspace the runner is the run's one warm
    worker (`WarmTestRunner`): the baseline, the coverage and every candidate go through it.
    """

    bug: Bug
    dataset: Dataset
    workspace: Workspace
    runner: TestRunner
    baseline: TestReport | None = None

    def close(self) -> None:
        if isinstance(self.runner, WarmTestRunner):
            self.runner.close()
        self.workspace.close()

    def discover_failing(self, cover: Sequence[str] | None = None) -> None:
        """When the dataset does not say which tests fail (a local repo), run them all once and take those.

        With `cover` (source files) and a warm runner, that run also measures per-test coverage of them
        (`baseline.coverage`), which fault localization then takes instead of running the tests again.
        """
        if self.bug.failing_tests or self.baseline is not None:
            return
        if cover is not None and isinstance(self.runner, WarmTestRunner):
            self.baseline = self.runner.run_covered(cover=cover)
        else:
            self.baseline = self.runner.run()
        self.bug = replace(self.bug, failing_tests=self.baseline.failing)


BACKENDS = ("local", "docker")


def make_workspace(backend: str = "local", workdir: Path | None = None, bug: Bug | None = None) -> Workspace:
    """An empty workspace of the chosen backend (`local`, or `docker` when available)."""
    if backend not in BACKENDS:
        raise WorkspaceError(f"unknown backend '{backend}': use local or docker")
    if backend == "docker":
        from repair.containers import docker_backend

        return docker_backend.create_workspace(bug=bug, workdir=workdir)
    return LocalWorkspace.create(workdir=workdir)


def check_out(bug_id: str, options: DatasetOptions | None = None, workdir: Path | None = None,
              backend: str = "local", discover_failing: bool = True) -> CheckedOutBug:
    """Resolve `bug_id`, check it out, and (when the dataset does not say) find its failing tests."""
    dataset, bug = resolve_bug(bug_id, options)
    workspace = make_workspace(backend, workdir, bug)
    checked: CheckedOutBug | None = None
    try:
        dataset.checkout(bug, workspace)
        runner = warm_runner(workspace, bug) or make_test_runner(workspace, bug.test_setup)
        checked = CheckedOutBug(bug, dataset, workspace, runner)
        if discover_failing:
            checked.discover_failing()
        return checked
    except BaseException:
        if checked is not None:
            checked.close()  # the warm worker the test run started too, not only the workspace
        else:
            workspace.close()
        raise

