"""Per-test Python coverage: the project's own PytestRunner, with our plugin switching coverage.py's
context to each test's node id."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from repair.containers.workspace import SCRATCH_DIR, ContainerWorkspace, Workspace
from repair.errors import FaultLocalizationError
from repair.fault_localization.matrix import CoverageMatrix, Line, TestCoverage
from repair.fault_localization.sources import SourceIndex
from repair.runners.fast_python import COVERAGE_PLUGIN_NAME as PLUGIN_NAME
from repair.runners.fast_python import COVERAGE_PLUGIN_SOURCE as PLUGIN_SOURCE
from repair.runners.pytest_runner import PLUGIN_DIR, PytestRunner

DATA_FILE = f"{SCRATCH_DIR}/fl-cache/python.coverage"


def collect_python(runner: PytestRunner, workspace: Workspace, sources: SourceIndex) -> CoverageMatrix:
    """Run every test once under coverage.py and read back the lines each test executed."""
    from coverage import CoverageData

    start = time.monotonic()
    # The plugin sits next to the runner's own report plugin, on the PYTHONPATH that the runner sets.
    workspace.write_file(f"{PLUGIN_DIR}/{PLUGIN_NAME}.py", PLUGIN_SOURCE.read_text())
    workspace.run(["rm", "-f", DATA_FILE], timeout=30)
    data_path = f"{workspace.path}/{DATA_FILE}"
    setup = dataclasses.replace(
        runner.setup, extra_args=(*runner.setup.extra_args, "-p", PLUGIN_NAME, f"--repair-fl-data={data_path}"))
    report = PytestRunner(workspace, setup, python=runner.python).run()
    if not workspace.exists(DATA_FILE):
        raise FaultLocalizationError(
            "coverage.py wrote no data (is `coverage` installed where the tests run?): " + report.output[-300:])
    by_test: dict[str, set[Line]] = {test_id: set() for test_id in report.results}
    with _readable_here(workspace, data_path) as local_path:
        data = CoverageData(basename=local_path)
        data.read()
        for measured in data.measured_files():
            rel = sources.resolve(measured)
            if rel is None:
                continue
            for line, contexts in data.contexts_by_lineno(measured).items():
                for context in contexts:
                    # Parametrised ids share their node id up to "[", as the report has them.
                    if context in by_test:
                        by_test[context].add((rel, line))
    matrix = CoverageMatrix(seconds=time.monotonic() - start, tool=f"coverage.py {_coverage_version()}")
    for test_id, result in report.results.items():
        matrix.add(TestCoverage(test_id, result.status.failed, frozenset(by_test[test_id]),
                                result.trace or result.message))
    return matrix


@contextmanager
def _readable_here(workspace: Workspace, data_path: str) -> Iterator[str]:
    """The coverage data file as a path on this machine: a LocalWorkspace's own file, or a temporary
    copy of a container's (removed afterwards, also on errors)."""
    if not isinstance(workspace, ContainerWorkspace):
        yield data_path
        return
    with tempfile.TemporaryDirectory(prefix="repair-fl-") as tmp:
        local = Path(tmp) / "python.coverage"
        local.write_bytes(workspace.read_bytes(DATA_FILE))
        yield str(local)


def _coverage_version() -> str:
    import coverage

    return str(coverage.__version__)
