"""What mutation analysis compares a mutant with, and what it spends: real warm workers (a forked pytest
session, a warm JVM) on a tiny real repo whose fault loops forever and on the demo Java bug. The executor
is the real one, wrapped to write down each call (what the tests check)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from repair.checkout import check_out
from repair.containers.local import LocalWorkspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.fault_localization import FaultLocalizer
from repair.fault_localization.localizer import ExecutorFactory
from repair.fault_localization.mutant_runner import WarmMutantExecutor
from repair.fault_localization.mutation import STILLBORN_SLACK, MutantExecutor, _outcome_key
from repair.offline.mutants import TemplateMutants
from repair.runners import TestReport, TestResult, TestSetup, TestStatus, make_test_runner
from repair.runners import TestRunner as Runner


def test_a_timeout_is_the_same_outcome_under_any_limit() -> None:
    five = TestResult("t", TestStatus.TIMEOUT, "test timed out after 5.0 seconds")
    quarter = TestResult("t", TestStatus.TIMEOUT, "test timed out after 0.25 seconds")
    assert _outcome_key(five) == _outcome_key(quarter)
    assert _outcome_key(TestResult("t", TestStatus.FAIL, "expected 1")) != _outcome_key(
        TestResult("t", TestStatus.FAIL, "expected 2"))


COUNT = ("def count(n):\n"       # 1
         "    i = 0\n"           # 2
         "    while i != n:\n"   # 3  the fault: loops forever for n < 0 (should be i < n)
         "        i += 1\n"      # 4
         "    return i\n")       # 5
COUNT_TESTS = ("from prog import count\n\n"
               "def test_three():\n    assert count(3) == 3\n\n"
               "def test_zero():\n    assert count(0) == 0\n\n"
               "def test_negative():\n    assert count(-2) == 0\n\n"
               "def test_half():\n    assert count(2.5) == 2\n")  # loops too; `i < n` does not fix it


class RecordingExecutor:
    """The real warm executor, with each run's per-test limit and each precompiled batch written down."""

    def __init__(self, inner: MutantExecutor) -> None:
        self.inner = inner
        self.runs: list[tuple[bool, tuple[str, ...], float | None]] = []
        self.batches: list[list[tuple[str, str]]] = []

    def run(self, files: Mapping[str, str], tests: Sequence[str], timeout: float | None = None) -> TestReport:
        self.runs.append((bool(files), tuple(tests), timeout))
        return self.inner.run(files, tests, timeout)

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        self.batches.append([(path, text) for files in variants for path, text in files.items()])
        self.inner.precompile(variants)

    def close(self) -> None:
        self.inner.close()


def recording(into: list[RecordingExecutor]) -> ExecutorFactory:
    def executor(workspace: Workspace, bug: Bug, runner: Runner | None) -> MutantExecutor | None:
        inner = WarmMutantExecutor.for_bug(workspace, bug, runner)
        if inner is None:
            return None
        into.append(RecordingExecutor(inner))
        return into[-1]
    return executor


def test_a_failing_test_that_loops_costs_the_reference_run_a_mutants_limit(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "prog.py").write_text(COUNT)
    (src / "test_prog.py").write_text(COUNT_TESTS)
    recorded: list[RecordingExecutor] = []
    executor = recording(recorded)
    bug = Bug("local:count", "local", "python", TestSetup("pytest", test_files=("test_prog.py",), per_test_timeout=3.0))
    with LocalWorkspace.create(source=src) as ws:
        localizer = FaultLocalizer(mutants=TemplateMutants(), executor=executor)
        ranked = localizer.localize(bug, ws, make_test_runner(ws, bug.test_setup))
    report = localizer.evidence.mutation
    assert report is not None and report.failing == 2 and report.passing == 2
    budget = localizer.budget
    reference = [(tests, timeout) for mutated, tests, timeout in recorded[0].runs if not mutated]
    # The passing tests under the bug's own limit, the looping failing one under a mutant's longest limit.
    assert reference[0][1] is None and "test_negative" not in " ".join(reference[0][0])
    assert [t.rsplit(":", 1)[-1] for t in reference[1][0]] == ["test_half", "test_negative"]
    assert reference[1][1] == budget.max_test_timeout
    # A mutant that leaves the loop as it was times out too: that is no kill, whatever the limits were.
    # (`i = 1`, `i += 0`: both failing tests still loop, under a limit of a second at most, not 3 s.)
    untouched = [o for o in report.valid if o.mutant.description in ("0 -> 1", "1 -> 0")]
    assert untouched and all(o.killed_failing == 0 for o in untouched), [o.to_dict() for o in report.valid]
    assert ranked[0].line == 3


def test_java_mutants_compile_in_batches_as_lines_need_them() -> None:
    checked = check_out("demo:BINARY_SEARCH", discover_failing=False)
    recorded: list[RecordingExecutor] = []
    try:
        localizer = FaultLocalizer(mutants=TemplateMutants(), executor=recording(recorded))
        localizer.localize(checked.bug, checked.workspace, checked.runner)
    finally:
        checked.close()
    report = localizer.evidence.mutation
    assert report is not None and report.outcomes
    batches = recorded[0].batches
    # The first batch holds at most STILLBORN_SLACK mutants of each line; later ones a line's next few.
    assert batches and len(batches[0]) <= STILLBORN_SLACK * len(report.lines)
    assert all(len(batch) <= STILLBORN_SLACK for batch in batches[1:])
    # Nothing compiles twice, and no more compiles than the mutants that ran, plus one unspent batch a line.
    texts = [text for batch in batches for _path, text in batch]
    assert len(texts) == len(set(texts))
    assert len(texts) <= len(report.outcomes) + STILLBORN_SLACK * len(report.lines)
