"""Per-test Java coverage: our JUnit 4 runner under the JaCoCo agent dumps one exec session per test,
and our analyzer (org.jacoco.core from the JaCoCo CLI jar) turns each session into covered lines."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.errors import FaultLocalizationError
from repair.fault_localization.matrix import CoverageMatrix, Line, TestCoverage
from repair.fault_localization.sources import SourceIndex
from repair.runners.java_env import JACOCO_AGENT, JACOCO_CLI, require_jar
from repair.runners.junit import CLASSES_DIR, JVM_START_SLACK, SHARED_SOURCES, JUnit4Runner
from repair.runners.report import TestResult, TestStatus

JAVA_SOURCES = Path(__file__).with_name("java")
TOOL_DIR = f"{SCRATCH_DIR}/fl-runner"
WORK_DIR = f"{SCRATCH_DIR}/fl-cache/java"
EXIT_ABANDONED = 3  # RepairCoverageRunner: a hung test could not be stopped; restart for the rest
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)


def collect_java(runner: JUnit4Runner, workspace: Workspace, sources: SourceIndex) -> CoverageMatrix:
    """Compile, then run every test once under JaCoCo and read back the lines each test executed."""
    start = time.monotonic()
    agent, cli = str(require_jar(JACOCO_AGENT)), str(require_jar(JACOCO_CLI))
    compiled = runner.build()
    if compiled is not None and not compiled.ok:
        raise FaultLocalizationError("the bug does not compile, so there is no coverage: "
                                     + compiled.output.strip()[-500:])
    _compile_tools(runner, workspace, cli)
    workspace.run(["rm", "-rf", WORK_DIR], timeout=30)
    workspace.run(["mkdir", "-p", WORK_DIR], timeout=30)
    results: dict[str, TestResult] = {}
    targets = list(runner.setup.test_classes)
    for attempt in range(100):  # each attempt runs past one more hung test that could not be stopped
        returncode, planned = _run_tests(runner, workspace, agent, sources, targets, attempt, results)
        remaining = [t for t in planned if t not in results]
        if returncode != EXIT_ABANDONED or not remaining:
            break
        targets = remaining
    out = f"{WORK_DIR}/lines.jsonl"
    analysed = workspace.run(
        ["java", "-cp", os.pathsep.join([TOOL_DIR, cli]), "RepairCoverageAnalyzer",
         "--classes", CLASSES_DIR, "--out", out, "--exec", f"{WORK_DIR}/tests.exec"],
        timeout=300)
    if not analysed.ok:
        raise FaultLocalizationError(f"JaCoCo analysis failed: {analysed.output.strip()[-500:]}")
    covered: dict[str, set[Line]] = {}
    for line in workspace.read_file(out).splitlines():
        data = json.loads(line)
        lines = covered.setdefault(data["test_id"], set())
        for path, numbers in data["files"].items():
            rel = sources.resolve(path)
            if rel is not None:
                lines.update((rel, int(n)) for n in numbers)
    matrix = CoverageMatrix(seconds=time.monotonic() - start, tool="JaCoCo " + JACOCO_AGENT.version)
    for test_id, result in results.items():
        matrix.add(TestCoverage(test_id, result.status.failed, frozenset(covered.get(test_id, ())),
                                result.trace or result.message))
    return matrix


def _compile_tools(runner: JUnit4Runner, workspace: Workspace, cli: str) -> None:
    sources = (JAVA_SOURCES / "RepairCoverageRunner.java", JAVA_SOURCES / "RepairCoverageAnalyzer.java",
               *SHARED_SOURCES)
    if all(workspace.exists(f"{TOOL_DIR}/{s.with_suffix('.class').name}") for s in sources):
        return
    for source in sources:
        workspace.write_file(f"{TOOL_DIR}/{source.name}", source.read_text())
    result = workspace.run(
        ["javac", "-nowarn", "-d", TOOL_DIR, "-cp", os.pathsep.join([*runner.classpath, cli]),
         *(f"{TOOL_DIR}/{s.name}" for s in sources)],
        timeout=120)
    if not result.ok:
        raise FaultLocalizationError(f"could not compile the coverage runner: {result.output[:1000]}")


def agent_includes(workspace: Workspace, sources: SourceIndex) -> str:
    """JaCoCo `includes`: the packages of the non-test Java sources (tests there are filtered out later)."""
    patterns: set[str] = set()
    for rel in sources.files:
        if not rel.endswith(".java"):
            continue
        found = _PACKAGE.search(workspace.read_file(rel))
        if found:
            patterns.add(f"{found.group(1)}.*")
        else:
            stem = Path(rel).stem
            patterns.update({stem, f"{stem}$*"})
    return ":".join(sorted(patterns)) or "*"


def _run_tests(runner: JUnit4Runner, workspace: Workspace, agent: str, sources: SourceIndex,
               targets: list[str], attempt: int, results: dict[str, TestResult]) -> tuple[int, list[str]]:
    """One JVM over `targets`; adds what reported to `results`, returns its exit code and planned ids."""
    out, plan = f"{WORK_DIR}/results-{attempt}.jsonl", f"{WORK_DIR}/plan-{attempt}.txt"
    per_test = runner.setup.per_test_timeout
    options = f"output=none,dumponexit=false,jmx=false,includes={agent_includes(workspace, sources)}"
    cp = os.pathsep.join([CLASSES_DIR, TOOL_DIR, *runner.classpath])
    # A stopped test takes up to 2 s more to die; a class target expands to an unknown number of tests.
    budget = min(runner.setup.total_timeout, JVM_START_SLACK + (per_test + 2) * max(1, len(targets)) * 20)
    result = workspace.run(
        ["java", "-Xss4m", f"-javaagent:{agent}={options}", "-cp", cp, "RepairCoverageRunner",
         "--out", out, "--plan", plan, "--exec", f"{WORK_DIR}/tests.exec", "--timeout", f"{per_test:g}",
         *targets],
        timeout=budget)
    if workspace.exists(out):
        for line in workspace.read_file(out).splitlines():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            results[data["test_id"]] = TestResult(data["test_id"], TestStatus(data["status"]), data.get("message", ""),
                                                  data.get("trace", ""), float(data.get("seconds", 0.0)))
    planned = workspace.read_file(plan).split() if workspace.exists(plan) else []
    if result.returncode not in (0, EXIT_ABANDONED):
        for test_id in planned:
            if test_id not in results:
                status = TestStatus.TIMEOUT if result.timed_out else TestStatus.ERROR
                results[test_id] = TestResult(test_id, status, "the coverage run was killed before this test reported: "
                                              + result.output.strip()[-300:])
    return result.returncode, planned
