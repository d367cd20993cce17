"""The combined ranking's rule (combined.py): which mutation evidence counts, and how far each signal may
move a line from where the spectrum puts it (scores checked on hand-made evidence); what a mutant's
outcome is compared with (a real pytest worker on a tiny real repo whose fault loops forever)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from repair.containers.local import LocalWorkspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.fault_localization import FaultLocalizer, Spectrum
from repair.fault_localization.combined import combined_score, rank
from repair.fault_localization.evidence import Evidence
from repair.fault_localization.mutant_runner import WarmMutantExecutor
from repair.fault_localization.mutation import Mutant, MutantExecutor, MutantOutcome, MutationReport
from repair.offline.mutants import TemplateMutants
from repair.runners import TestReport, TestSetup, make_test_runner
from repair.runners import TestRunner as Runner

F = "Prog.java"


def outcome(line: int, killed_failing: int = 0, killed_passing: int = 0, fixed_failing: int = 0) -> MutantOutcome:
    return MutantOutcome(Mutant(F, line, "operator", f"operator at {line}", ""), killed_failing=killed_failing,
                         killed_passing=killed_passing, fixed_failing=fixed_failing)


def order(evidence: Evidence) -> list[int]:
    return [line for (_file, line), _score, _signals in rank(evidence)]


def test_a_mutant_no_test_tells_apart_is_no_evidence() -> None:
    report = MutationReport(outcomes=[outcome(3), outcome(5, killed_failing=2)], failing=2, passing=5)
    assert [o.mutant.line for o in report.informative] == [5]
    assert report.metallaxis(killed_only=True) == {(F, 5): 1.0}
    assert set(report.metallaxis()) == {(F, 3), (F, 5)}  # Metallaxis alone still scores the live one 0
    assert "(0 did not compile, 1 no test told apart)" in report.summary()
    # Line 3's only mutant lived: it keeps its spectrum rank, as line 4 (never mutated) does, above a line
    # the spectrum puts lower.
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 1, 0, 4), (F, 4): Spectrum(2, 1, 0, 4),
                                 (F, 5): Spectrum(2, 2, 0, 3), (F, 6): Spectrum(2, 3, 0, 2)},
                        kinds={(F, n): "assignment" for n in (3, 4, 5, 6)}, mutation=report)
    ranked = rank(evidence)
    assert "metallaxis" not in ranked[[line for (_f, line), _s, _sig in ranked].index(3)][2]
    assert order(evidence).index(3) < order(evidence).index(6)


def test_weak_mutants_do_not_push_a_line_below_the_spectrum_order() -> None:
    # Line 3 is the spectrum's first; its mutant changes one of the two failing tests (Metallaxis .71),
    # line 8's changes both (1.0), so line 3 is below the mean (.85) of the mutated lines. Line 4, as
    # suspicious to the spectrum, was not mutated; line 6 is less suspicious and not mutated either.
    report = MutationReport(outcomes=[outcome(3, killed_failing=1), outcome(8, killed_failing=2)],
                            failing=2, passing=4)
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 0, 0, 4), (F, 4): Spectrum(2, 0, 0, 4),
                                 (F, 6): Spectrum(2, 1, 0, 3), (F, 8): Spectrum(2, 2, 0, 2)},
                        kinds={(F, n): "assignment" for n in (3, 4, 6, 8)}, mutation=report)
    ranked = order(evidence)
    assert ranked.index(3) < ranked.index(6)  # not demoted below a line the spectrum ranks lower
    assert ranked.index(4) < ranked.index(3)  # ties with line 4; the line with more evidence against it yields
    assert ranked.index(8) < ranked.index(6)  # a strong mutant raises its line: Ochiai .71 + .15 over .82


def test_a_mutant_that_fixes_failing_tests_outweighs_the_spectrum() -> None:
    report = MutationReport(outcomes=[outcome(9, killed_failing=2, fixed_failing=2), outcome(3, killed_failing=2)],
                            failing=2, passing=4)
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 0, 0, 4), (F, 9): Spectrum(2, 3, 0, 1)},
                        kinds={(F, 3): "condition", (F, 9): "call"}, mutation=report)
    assert order(evidence)[0] == 9


def test_the_kind_prior_orders_near_ties_but_not_a_spectrum_that_tells_lines_apart() -> None:
    evidence = Evidence(spectra={(F, 2): Spectrum(2, 2, 0, 2), (F, 5): Spectrum(2, 1, 0, 3)},
                        kinds={(F, 2): "condition", (F, 5): "other"})
    assert order(evidence) == [5, 2]  # Ochiai .82 over .71: the condition's prior does not close that gap
    evidence.spectra[(F, 5)] = Spectrum(2, 2, 0, 2)
    assert order(evidence) == [2, 5]  # equal spectra: the condition first
    assert combined_score({"ochiai": 0.5, "kind": 1.0}) - combined_score({"ochiai": 0.5, "kind": 0.0}) <= 0.1


def test_a_timeout_is_the_same_outcome_under_any_limit() -> None:
    from repair.fault_localization.mutation import _outcome_key
    from repair.runners import TestResult, TestStatus

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
    """The real warm executor, with the per-test limit of each run written down (what the test checks)."""

    def __init__(self, inner: MutantExecutor) -> None:
        self.inner = inner
        self.runs: list[tuple[bool, tuple[str, ...], float | None]] = []

    def run(self, files: Mapping[str, str], tests: Sequence[str], timeout: float | None = None) -> TestReport:
        self.runs.append((bool(files), tuple(tests), timeout))
        return self.inner.run(files, tests, timeout)

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        self.inner.precompile(variants)

    def close(self) -> None:
        self.inner.close()


def test_a_failing_test_that_loops_costs_the_reference_run_a_mutants_limit(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "prog.py").write_text(COUNT)
    (src / "test_prog.py").write_text(COUNT_TESTS)
    recorded: list[RecordingExecutor] = []

    def executor(workspace: Workspace, bug: Bug, runner: Runner | None) -> MutantExecutor | None:
        inner = WarmMutantExecutor.for_bug(workspace, bug, runner)
        if inner is None:
            return None
        recorded.append(RecordingExecutor(inner))
        return recorded[-1]

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
