"""The `TestRunner` protocol and the description of how a bug's tests are built and run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from repair.containers.process import CommandResult
from repair.runners.report import TestReport

Framework = Literal["junit4", "maven", "gradle", "pytest", "command"]


@dataclass(frozen=True)
class TestSetup:
    """How to build and test a checkout. Paths are relative to the checkout root.

    - junit4: `javac` the `compile_files` (with `source_path` for what they reference),
      then run `test_classes` with our JUnit 4 runner.
    - maven / gradle: the build tool runs the tests and we read its JUnit XML.
    - pytest: run `test_files` with pytest from the root.
    - command: any shell command; its exit code is the only verdict.
    """

    framework: Framework
    test_classes: tuple[str, ...] = ()
    test_files: tuple[str, ...] = ()
    compile_files: tuple[str, ...] = ()
    source_path: tuple[str, ...] = (".",)
    command: str | None = None
    per_test_timeout: float = 10.0
    total_timeout: float = 600.0
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    __test__ = False


def failed_build(runner: TestRunner, started: float) -> TestReport | None:
    """Run the runner's build step: a report saying the build failed, or None when it succeeded."""
    compiled = runner.build()
    if compiled is None or compiled.ok:
        return None
    return TestReport(build_ok=False, build_output=compiled.output, seconds=time.monotonic() - started)


class TestRunner(Protocol):
    """Builds a workspace and runs (some of) its tests."""

    def build(self) -> CommandResult | None:
        """Compile what must be compiled; None when nothing needs it."""
        ...

    def run(
        self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True
    ) -> TestReport:
        """Run `tests` (ids) or all tests; with `fail_fast`, stop at the first failing test."""
        ...


@runtime_checkable
class WarmTestRunner(TestRunner, Protocol):
    """A runner that keeps a worker process warm between runs (`FastJavaRunner`, `FastPythonRunner`) and
    falls back to the plain path when the worker cannot answer."""

    compile_seconds: float  # totals over every run, for the per-bug time split
    test_seconds: float
    fallbacks: list[str]  # why each plain run happened

    def close(self) -> None:
        """Stop the worker."""
        ...
