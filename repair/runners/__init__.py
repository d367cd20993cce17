"""Test runners: build a workspace and run its tests, one status per test."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable

from repair.containers.local import LocalWorkspace
from repair.containers.workspace import ContainerWorkspace, Workspace
from repair.runners.base import Framework, TestRunner, TestSetup
from repair.runners.build_tool import BuildToolRunner, CommandRunner
from repair.runners.java_env import junit_classpath
from repair.runners.junit import JUnit4Runner
from repair.runners.junit_xml import parse_junit_xml
from repair.runners.pytest_runner import PytestRunner
from repair.runners.report import TestReport, TestResult, TestStatus

# Runners for `command` setups whose program a dataset adapter knows better (e.g. `defects4j`),
# keyed by the command's first word; adapters register themselves on import.
COMMAND_RUNNERS: dict[str, Callable[[Workspace, TestSetup], TestRunner]] = {}


def register_command_runner(program: str, factory: Callable[[Workspace, TestSetup], TestRunner]) -> None:
    """Use `factory` for `command` setups that start with `program` (e.g. `defects4j test`)."""
    COMMAND_RUNNERS[program] = factory


def make_test_runner(workspace: Workspace, setup: TestSetup) -> TestRunner:
    """The runner for `setup.framework`, bound to `workspace`."""
    if setup.framework == "command" and setup.command and setup.command.split()[0] in COMMAND_RUNNERS:
        return COMMAND_RUNNERS[setup.command.split()[0]](workspace, setup)
    if setup.framework == "junit4":
        # A container cannot see host jars: a workspace that can copies them in (DockerWorkspace).
        if isinstance(workspace, ContainerWorkspace):
            return JUnit4Runner(workspace, setup,
                                classpath=workspace.host_path_map([str(p) for p in junit_classpath()]))
        return JUnit4Runner(workspace, setup)
    if setup.framework == "pytest":
        python = sys.executable if isinstance(workspace, LocalWorkspace) else "python3"
        return PytestRunner(workspace, setup, python=python)
    if setup.framework in ("maven", "gradle"):
        return BuildToolRunner(workspace, setup)
    return CommandRunner(workspace, setup)


# pytest options whose value is the next argument (`-k add`, `--tb short`): the value is not a test path.
_PYTEST_VALUE_OPTIONS = {
    "-k", "-m", "-c", "-p", "-W", "-o", "-n", "-r", "--tb", "--rootdir", "--maxfail", "--deselect", "--ignore",
    "--ignore-glob", "--confcutdir", "--basetemp", "--durations", "--import-mode", "--timeout", "--log-level",
    "--junitxml", "--junit-xml", "--cov", "--cov-report", "--override-ini", "--capture", "--color",
}
# Verbosity and fail-fast are ours to set per run.
_PYTEST_DROPPED = {"-q", "-x", "-v", "-vv", "-qq", "--quiet", "--verbose", "--exitfirst"}


def split_pytest_args(args: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(test paths, options in their order with their values) of a pytest command line."""
    files: list[str] = []
    opts: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-"):
            if arg not in _PYTEST_DROPPED:
                opts.append(arg)
                if arg in _PYTEST_VALUE_OPTIONS and i + 1 < len(args):
                    opts.append(args[i + 1])
                    i += 1
        else:
            files.append(arg)
        i += 1
    return tuple(files), tuple(opts)


def setup_from_command(command: str, per_test_timeout: float = 10.0, total_timeout: float = 600.0) -> TestSetup:
    """Recognise pytest, Maven and Gradle commands (to get per-test results); anything else runs as is."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("empty test command")
    head = argv[0].rsplit("/", 1)[-1]
    if head in ("pytest", "py.test") or argv[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
        files, opts = split_pytest_args(argv[1:] if head in ("pytest", "py.test") else argv[3:])
        return TestSetup("pytest", test_files=files, extra_args=opts,
                         per_test_timeout=per_test_timeout, total_timeout=total_timeout)
    if head == "mvn":
        return TestSetup("maven", command=command, total_timeout=total_timeout)
    if head in ("gradle", "gradlew"):
        return TestSetup("gradle", command=command, total_timeout=total_timeout)
    return TestSetup("command", command=command, total_timeout=total_timeout)


__all__ = [
    "BuildToolRunner", "CommandRunner", "Framework", "JUnit4Runner", "PytestRunner", "TestReport",
    "TestResult", "TestRunner", "TestSetup", "TestStatus", "make_test_runner", "parse_junit_xml",
    "register_command_runner", "setup_from_command",
]
