"""Maven (Surefire) and Gradle test runs, read back from their JUnit XML reports."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Sequence

from repair.containers.process import CommandResult
from repair.containers.workspace import Workspace
from repair.errors import TestCommandError
from repair.runners.base import TestSetup
from repair.runners.junit_xml import parse_junit_xml
from repair.runners.report import TestReport, TestResult, TestStatus

REPORT_GLOBS = {
    "maven": "*/surefire-reports/TEST-*.xml",
    "gradle": "*/test-results/*/TEST-*.xml",
}
# Maven options that take the next argument as their value.
_MAVEN_VALUE_OPTIONS = {"-pl", "--projects", "-P", "--activate-profiles", "-f", "--file", "-s", "--settings",
                        "-gs", "--global-settings", "-t", "--toolchains", "-T", "--threads", "-rf", "--resume-from",
                        "-l", "--log-file", "-D", "--define"}
# Surefire trims the stack traces in its reports to the test's frames unless told not to.
FULL_TRACES = "-DtrimStackTrace=false"


def maven_options(command: str | None) -> list[str]:
    """The program and options of a Maven command line: its goals, phases and test selection dropped."""
    argv = shlex.split(command) if command else ["mvn", "-B", "-q"]
    kept = argv[:1]
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in _MAVEN_VALUE_OPTIONS and i + 1 < len(argv):
            kept += argv[i:i + 2]
            i += 2
            continue
        if arg.startswith("-") and not arg.startswith(("-Dtest=", "-Dit.test=")):
            kept.append(arg)
        i += 1
    return kept


def _selectors(tests: Sequence[str], framework: str) -> list[str]:
    """`pkg.Class::m` ids as Surefire's -Dtest (Class#m+n) or Gradle's --tests filters."""
    by_class: dict[str, list[str]] = {}
    for t in tests:
        cls, _, method = t.partition("::")
        by_class.setdefault(cls, [])
        if method:
            by_class[cls].append(method)
    if framework == "maven":
        parts = [f"{c}#{'+'.join(ms)}" if ms else c for c, ms in by_class.items()]
        return [f"-Dtest={','.join(parts)}"]
    args: list[str] = []
    for cls, methods in by_class.items():
        for m in methods or ["*"]:
            args += ["--tests", f"{cls}.{m}" if m != "*" else cls]
    return args


class BuildToolRunner:
    """Runs tests through Maven or Gradle, which compile as part of the run."""

    def __init__(self, workspace: Workspace, setup: TestSetup) -> None:
        self.workspace = workspace
        self.setup = setup

    def _base_command(self) -> list[str]:
        if self.setup.command:
            argv = shlex.split(self.setup.command)
            if self.setup.framework == "maven" and not any(a.startswith("-DtrimStackTrace") for a in argv):
                argv.append(FULL_TRACES)
            return argv
        if self.setup.framework == "maven":
            return ["mvn", "-B", "-q", "test", "-DfailIfNoTests=false",
                    "-Dsurefire.failIfNoSpecifiedTests=false", FULL_TRACES]
        wrapper = "./gradlew" if self.workspace.exists("gradlew") else "gradle"
        return [wrapper, "test", "--console=plain"]

    def build(self) -> CommandResult | None:
        return None  # the build tool compiles as part of the test run


    def _report_files(self) -> list[str]:
        pattern = REPORT_GLOBS[self.setup.framework]
        found = self.workspace.run(["find", ".", "-path", f"./{pattern}", "-o", "-path", f"./*/{pattern}"],
                                   timeout=60)
        return [line for line in found.stdout.splitlines() if line.endswith(".xml")]

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        start = time.monotonic()
        for stale in self._report_files():
            self.workspace.run(["rm", "-f", stale], timeout=30)
        cmd = self._base_command() + (_selectors(tests, self.setup.framework) if tests else [])
        result = self.workspace.run(cmd, timeout=self.setup.total_timeout)
        report = TestReport(output=result.output, timed_out=result.timed_out)
        for path in self._report_files():
            parse_junit_xml(self.workspace.read_file(path), report)
        if not report.results and not result.ok:
            # No XML at all: compilation failed (or the tool itself did).
            report.build_ok = False
            report.build_output = result.output[-8000:]
        for t in tests or []:
            if "::" in t and t not in report.results and report.build_ok:
                report.add(TestResult(t, TestStatus.TIMEOUT if result.timed_out else TestStatus.ERROR,
                                      "the build tool did not report this test"))
        report.seconds = time.monotonic() - start
        return report


class CommandRunner:
    """Any shell command; one pseudo-test whose verdict is the exit code."""

    def __init__(self, workspace: Workspace, setup: TestSetup) -> None:
        if not setup.command:
            raise ValueError("a command test setup needs a command")
        self.workspace = workspace
        self.setup = setup
        self.test_id = f"<{setup.command}>"

    def build(self) -> CommandResult | None:
        return None

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        assert self.setup.command is not None
        result = self.workspace.run(self.setup.command, timeout=self.setup.total_timeout)
        status = TestStatus.PASS if result.ok else TestStatus.FAIL
        if result.timed_out:
            status = TestStatus.TIMEOUT
        problem = cannot_start(self.setup.command, result)
        if problem:
            raise TestCommandError(f"the test command {self.setup.command!r} cannot start: {problem}")
        report = TestReport(output=result.output, timed_out=result.timed_out, seconds=result.seconds)
        report.add(TestResult(self.test_id, status, "" if result.ok else result.output[-2000:],
                              result.output[-8000:], result.seconds))
        return report


# The shell's own words when the command's program is missing (127) or not executable (126): sh says
# "sh: 1: prog: not found", bash "bash: line 1: prog: command not found" or "bash: prog: Permission denied".
_CANNOT_START = re.compile(r"(?m)^\S*sh: (?:\d+: |line \d+: )?(?P<prog>[^:\n]+): "
                           r"(?P<why>(?:command )?not found|Permission denied|cannot execute.*)$")


def cannot_start(command: str, result: CommandResult) -> str:
    """Why the shell could not start `command`'s own program, or '' (a program it started may have failed)."""
    if result.returncode not in (126, 127):
        return ""
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return ""
    for match in _CANNOT_START.finditer(result.output):
        if match.group("prog") == program:
            return f"{program}: {match.group('why')}"
    return ""
