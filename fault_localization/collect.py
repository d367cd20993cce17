"""Collect a bug's coverage matrix once per source state, cached in the workspace's scratch dir."""

from __future__ import annotations

import hashlib
import json

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fault_localization.java_coverage import collect_java
from repair.fault_localization.java_layout import coverage_layout
from repair.fault_localization.matrix import CoverageMatrix
from repair.fault_localization.python_coverage import collect_python
from repair.fault_localization.sources import SourceIndex
from repair.runners import PytestRunner, TestRunner

CACHE_DIR = f"{SCRATCH_DIR}/fl-cache"
CACHE_VERSION = 1


def cache_path(bug: Bug, sources: SourceIndex) -> str:
    """The matrix's cache file: keyed by every source file's content and by how the tests run."""
    key = hashlib.sha256(f"{sources.content_hash}|{bug.test_setup!r}".encode()).hexdigest()[:24]
    return f"{CACHE_DIR}/matrix-v{CACHE_VERSION}-{key}.json"


def collect_coverage(bug: Bug, workspace: Workspace, runner: TestRunner, sources: SourceIndex,
                     use_cache: bool = True) -> CoverageMatrix:
    """The per-test coverage matrix of `bug`'s tests, from the cache when the sources have not changed."""
    path = cache_path(bug, sources)
    if use_cache and workspace.exists(path):
        try:
            return CoverageMatrix.from_dict(json.loads(workspace.read_file(path)))
        except (ValueError, KeyError, TypeError):
            pass  # a cache from a crashed run is recomputed
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
    workspace.write_file(path, json.dumps(matrix.to_dict()))
    return matrix


def setup_name(bug: Bug) -> str:
    """How the bug's tests run, in a few words (for messages)."""
    setup = bug.test_setup
    return f"`{setup.command}`" if setup.command else f"{setup.framework} ({bug.language})"
