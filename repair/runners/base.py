"""The `TestRunner` protocol and the description of how a bug's tests are built and run."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
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
    falls back to the plain path when the worker cannot answer.

    One serves a whole run: the baseline, the per-test coverage and every candidate. A candidate's files
    go to the worker as texts (`run_patched`), so the checkout on disk never changes; each candidate runs
    in a fresh class loader (Java) or a fresh fork of the warm interpreter (Python), so nothing one
    candidate does to static state reaches the next.
    """

    compile_seconds: float  # totals over every run, for the per-bug time split
    test_seconds: float
    fallbacks: list[str]  # why each plain run happened
    twin_pays: bool  # whether a second worker (`twin`) speeds a long search up

    def run_patched(self, files: Mapping[str, str], tests: Sequence[str] | None = None,
                    fail_fast: bool = False) -> TestReport:
        """Run `tests` (ids; None: the setup's tests) as if `files` (workspace path -> text) replaced those
        files of the checkout; the checkout itself is not written, unless the plain path must run."""
        ...

    def run_covered(self, tests: Sequence[str] | None = None, cover: Sequence[str] = ()) -> TestReport:
        """Run `tests` on the checkout with per-test line coverage of the `cover` source files (workspace
        paths) in `TestReport.coverage`; empty coverage when the worker cannot measure it."""
        ...

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Compile many candidates (each `files` as `run_patched` takes them) ahead, together where the
        language allows, so that their `run_patched` only runs tests. A no-op where nothing compiles."""
        ...

    def with_timeout(self, per_test_timeout: float) -> WarmTestRunner:
        """The same runner, sharing the same worker, with another per-test time limit."""
        ...

    def twin(self) -> WarmTestRunner:
        """The same runner on a second worker of its own, so that two candidates can run at once; `close`
        stops both."""
        ...

    def close(self) -> None:
        """Stop the worker."""
        ...
