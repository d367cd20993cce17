"""Collect a bug's coverage matrix once per source state, cached in the workspace's scratch dir."""

from __future__ import annotations

import hashlib
import json

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fault_localization.java_coverage import collect_java
from repair.fault_localization.matrix import CoverageMatrix
from repair.fault_localization.python_coverage import collect_python
from repair.fault_localization.sources import SourceIndex
from repair.runners import JUnit4Runner, PytestRunner, TestRunner

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
    elif isinstance(runner, JUnit4Runner):
        matrix = collect_java(runner, workspace, sources)
    else:
        raise FaultLocalizationError(
            f"per-test coverage is collected for pytest and javac+JUnit 4 runs, not {bug.test_setup.framework}")
    workspace.write_file(path, json.dumps(matrix.to_dict()))
    return matrix
