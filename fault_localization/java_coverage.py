"""Per-test Java coverage: our JUnit 4 runner under the JaCoCo agent dumps one exec session per test,
and our analyzer (org.jacoco.core from the JaCoCo CLI jar) turns each session into covered lines.

The build tool (javac, `defects4j compile`, Maven, Gradle) runs once, to compile; the tests then run in a
JVM of ours on the classes it made (`JavaTestLayout`), so every Java build gets the same per-test,
line-level coverage and full stack traces.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.errors import FaultLocalizationError
from repair.fault_localization.java_layout import JavaTestLayout
from repair.fault_localization.matrix import CoverageMatrix, Line, TestCoverage
from repair.fault_localization.sources import SourceIndex
from repair.fault_localization.stack_trace import parse_frames
from repair.runners.java_env import JACOCO_AGENT, JACOCO_CLI, junit_classpath, require_jar
from repair.runners.junit import JVM_START_SLACK, SHARED_SOURCES
from repair.runners.report import TestResult, TestStatus

JAVA_SOURCES = Path(__file__).with_name("java")
TOOL_DIR = f"{SCRATCH_DIR}/fl-runner"
WORK_DIR = f"{SCRATCH_DIR}/fl-cache/java"
EXIT_ABANDONED = 3  # RepairCoverageRunner: a hung test could not be stopped; restart for the rest
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)


def collect_java(layout: JavaTestLayout, workspace: Workspace, sources: SourceIndex,
                 per_test_timeout: float, total_timeout: float) -> CoverageMatrix:
    """Run every test of the compiled project once under JaCoCo and read back the lines each test executed."""
    start = time.monotonic()
    if not layout.test_classes:
        raise FaultLocalizationError("no test classes were found in the compiled project")
    agent, cli, *junit = _workspace_paths(workspace, [str(require_jar(JACOCO_AGENT)), str(require_jar(JACOCO_CLI)),
                                                     *(str(p) for p in junit_classpath())])
    tools = (TOOL_DIR, *junit)
    _compile_tools(workspace, [*junit, cli])
    workspace.run(["rm", "-rf", WORK_DIR], timeout=30)
    workspace.run(["mkdir", "-p", WORK_DIR], timeout=30)
    results: dict[str, TestResult] = {}
    targets = list(layout.test_classes)
    for attempt in range(100):  # each attempt runs past one more hung test that could not be stopped
        returncode, planned = _run_tests(layout, tools, workspace, agent, sources, targets, attempt, results,
                                         per_test_timeout, total_timeout)
        remaining = [t for t in planned if t not in results]
        if returncode != EXIT_ABANDONED or not remaining:
            break
        targets = remaining
    out = f"{WORK_DIR}/lines.jsonl"
    classes = [arg for d in layout.classes_dirs for arg in ("--classes", d)]
    analysed = workspace.run(
        ["java", "-cp", ":".join([TOOL_DIR, cli]), "RepairCoverageAnalyzer", *classes,
         "--out", out, "--exec", f"{WORK_DIR}/tests.exec"],
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
        lines = covered.get(test_id, set())
        if result.status.failed:
            # JaCoCo marks a line covered only when a probe after it runs: the line that threw is missed.
            # The failing test's own trace says it ran.
            lines |= {(rel, frame.line) for frame in parse_frames(result.trace)
                      if (rel := sources.resolve(frame.path)) is not None}
        matrix.add(TestCoverage(test_id, result.status.failed, frozenset(lines), result.trace or result.message))
    return matrix


def _workspace_paths(workspace: Workspace, host_paths: Sequence[str]) -> list[str]:
    """Host files (jars) as the workspace's commands see them: copied into a container when needed."""
    to_workspace = getattr(workspace, "host_path_map", None)
    return list(to_workspace(list(host_paths))) if to_workspace is not None else list(host_paths)


def _compile_tools(workspace: Workspace, classpath: Sequence[str]) -> None:
    sources = (JAVA_SOURCES / "RepairCoverageRunner.java", JAVA_SOURCES / "RepairCoverageAnalyzer.java",
               *SHARED_SOURCES)
    if all(workspace.exists(f"{TOOL_DIR}/{s.with_suffix('.class').name}") for s in sources):
        return
    for source in sources:
        workspace.write_file(f"{TOOL_DIR}/{source.name}", source.read_text())
    result = workspace.run(
        ["javac", "-nowarn", "-d", TOOL_DIR, "-cp", ":".join(classpath),
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


def _run_tests(layout: JavaTestLayout, tools: tuple[str, ...], workspace: Workspace, agent: str,
               sources: SourceIndex, targets: list[str], attempt: int, results: dict[str, TestResult],
               per_test: float, total_timeout: float) -> tuple[int, list[str]]:
    """One JVM over `targets`; adds what reported to `results`, returns its exit code and planned ids."""
    out, plan = f"{WORK_DIR}/results-{attempt}.jsonl", f"{WORK_DIR}/plan-{attempt}.txt"
    options = f"output=none,dumponexit=false,jmx=false,includes={agent_includes(workspace, sources)}"
    # Our runner and JUnit 4 first: a project may carry JUnit 3.8, whose junit.framework would shadow
    # the one JUnit 4's runner is built against.
    cp = ":".join(layout.run_classpath(first=tools))
    # A stopped test takes up to 2 s more to die; a class target expands to an unknown number of tests.
    budget = min(total_timeout, JVM_START_SLACK + (per_test + 2) * max(1, len(targets)) * 20)
    result = workspace.run(
        ["java", "-Xss4m", f"-javaagent:{agent}={options}", "-cp", cp, "RepairCoverageRunner",
         "--out", out, "--plan", plan, "--exec", f"{WORK_DIR}/tests.exec", "--timeout", f"{per_test:g}",
         *targets],
        timeout=budget, env=dict(layout.env) or None)
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
