"""Collect a bug's coverage matrix (and find its mutation report) once per source state, cached in the
workspace's scratch dir.

Where the run's warm worker can measure coverage (`WarmTestRunner.run_covered`: JaCoCo inside the
JVM, coverage.py inside the forked pytest) it does, and when the baseline run already measured it,
the baseline's coverage is the matrix: no test runs twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fault_localization.java_coverage import collect_java
from repair.fault_localization.java_layout import coverage_layout
from repair.fault_localization.matrix import CoverageMatrix, Line, TestCoverage
from repair.fault_localization.mutation import MutationBudget, MutationReport
from repair.fault_localization.python_coverage import collect_python
from repair.fault_localization.sources import SourceIndex
from repair.fault_localization.stack_trace import parse_frames
from repair.runners import PytestRunner, TestReport, TestRunner
from repair.runners.fast_java import FastJavaRunner, ProjectJavaRunner
from repair.runners.fast_python import FastPythonRunner

CACHE_DIR = f"{SCRATCH_DIR}/fl-cache"
CACHE_VERSION = 1


def cache_path(bug: Bug, sources: SourceIndex) -> str:
    """The matrix's cache file: keyed by every source file's content and by how the tests run."""
    key = hashlib.sha256(f"{sources.content_hash}|{bug.test_setup!r}".encode()).hexdigest()[:24]
    return f"{CACHE_DIR}/matrix-v{CACHE_VERSION}-{key}.json"


def collect_coverage(bug: Bug, workspace: Workspace, runner: TestRunner, sources: SourceIndex,
                     use_cache: bool = True, baseline: TestReport | None = None) -> CoverageMatrix:
    """The per-test coverage matrix of `bug`'s tests, from the cache when the sources have not changed,
    or from `baseline` when that run measured coverage."""
    path = cache_path(bug, sources)
    if use_cache and workspace.exists(path):
        try:
            return CoverageMatrix.from_dict(json.loads(workspace.read_file(path)))
        except (ValueError, KeyError, TypeError):
            pass  # a cache from a crashed run is recomputed
    matrix = _warm_matrix(bug, runner, sources, baseline)
    if matrix is None:
        matrix = _plain_matrix(bug, workspace, _plain(runner), sources)
    workspace.write_file(path, json.dumps(matrix.to_dict()))
    return matrix


def _warm(runner: TestRunner) -> FastJavaRunner | FastPythonRunner | None:
    """The runner as a warm worker that measures coverage itself (a built project's does not)."""
    if isinstance(runner, FastJavaRunner | FastPythonRunner) and not isinstance(runner, ProjectJavaRunner):
        return runner
    return None


def _plain(runner: TestRunner) -> TestRunner:
    """The runner a warm one falls back to (the plain collectors run their own processes)."""
    warm = _warm(runner)
    return warm.fallback if warm is not None else runner


def _warm_matrix(bug: Bug, runner: TestRunner, sources: SourceIndex,
                 baseline: TestReport | None) -> CoverageMatrix | None:
    """The matrix from the baseline's coverage, or from one covered run in the warm worker; None when neither
    measured it."""
    start = time.monotonic()
    report = baseline if baseline is not None and baseline.coverage else None
    warm = _warm(runner)
    if report is None and warm is not None:
        report = warm.run_covered(cover=sources.files)
    if report is None or not report.coverage:
        return None
    tool = "JaCoCo (warm worker)" if bug.language == "java" else "coverage.py (warm worker)"
    return matrix_from_report(report, sources, bug.language == "java", tool, time.monotonic() - start)


def matrix_from_report(report: TestReport, sources: SourceIndex, java: bool, tool: str,
                       seconds: float) -> CoverageMatrix:
    """A coverage matrix from a run's per-test coverage; a failing Java test also covers the frames of its trace
    (JaCoCo marks a line only when a probe after it runs, so the line that threw is missed)."""
    matrix = CoverageMatrix(seconds=seconds, tool=tool)
    for test_id, result in report.results.items():
        lines: set[Line] = set()
        for name, numbers in report.coverage.get(test_id, {}).items():
            rel = sources.resolve(name)
            if rel is not None:
                lines.update((rel, n) for n in numbers)
        if java and result.status.failed:
            lines |= {(rel, frame.line) for frame in parse_frames(result.trace)
                      if (rel := sources.resolve(frame.path)) is not None}
        matrix.add(TestCoverage(test_id, result.status.failed, frozenset(lines), result.trace or result.message))
    return matrix


def _plain_matrix(bug: Bug, workspace: Workspace, runner: TestRunner, sources: SourceIndex) -> CoverageMatrix:
    if isinstance(runner, PytestRunner):
        matrix = collect_python(runner, workspace, sources)
    elif bug.language == "java":
        setup = bug.test_setup
        layout = coverage_layout(bug, workspace, runner, setup.total_timeout)
        matrix = collect_java(layout, workspace, sources, setup.per_test_timeout, setup.total_timeout)
    else:
        raise FaultLocalizationError(
            "per-test coverage is collected for pytest and Java runs (javac + JUnit 4, Defects4J, Maven, Gradle), "
            f"not for {setup_name(bug)}")
    return matrix


def mutation_cache_path(bug: Bug, sources: SourceIndex, budget: MutationBudget, lines: Sequence[Line]) -> str:
    """The mutation report's cache file: keyed like the matrix's, and by the budget and the lines mutated."""
    key = hashlib.sha256(f"{sources.content_hash}|{bug.test_setup!r}|{budget!r}|{list(lines)!r}".encode())
    return f"{CACHE_DIR}/mutation-v{CACHE_VERSION}-{key.hexdigest()[:24]}.json"


def load_mutation_report(workspace: Workspace, path: str) -> MutationReport | None:
    """The cached mutation report at `path`, or None (none yet, or one a crashed run left half written)."""
    if not workspace.exists(path):
        return None
    try:
        return MutationReport.from_dict(json.loads(workspace.read_file(path)))
    except (ValueError, KeyError, TypeError):
        return None


def setup_name(bug: Bug) -> str:
    """How the bug's tests run, in a few words (for messages)."""
    setup = bug.test_setup
    return f"`{setup.command}`" if setup.command else f"{setup.framework} ({bug.language})"
