"""Mutation-based FL (Metallaxis, MUSE), statement kinds, the combined ranking and method-level FL.

Scores are checked against hand-computed values; the end-to-end tests run real mutants (the offline
engine's templates) through the real warm workers (a forked pytest, a warm JVM) on tiny real repos.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.containers.local import LocalWorkspace
from repair.datasets.bug import Bug
from repair.fault_localization import FaultLocalizer, Spectrum, Suspicious, rank_methods
from repair.fault_localization.combined import rank
from repair.fault_localization.evidence import Evidence
from repair.fault_localization.mutation import Mutant, MutantOutcome, MutationReport, order_mutants
from repair.fault_localization.statement_kind import StatementKinds
from repair.offline.mutants import TemplateMutants
from repair.runners import TestSetup, make_test_runner

F = "prog.py"


def mutant(line: int, operator: str = "operator", description: str = "") -> Mutant:
    return Mutant(F, line, operator, description or f"{operator} at {line}", "")


def hand_report() -> MutationReport:
    """Two failing and two passing tests; line 1 has a mutant that fixes both failing tests."""
    return MutationReport(outcomes=[
        MutantOutcome(mutant(1), killed_failing=2, killed_passing=0, fixed_failing=2),
        MutantOutcome(mutant(1), killed_failing=1, killed_passing=1, fixed_failing=0),
        MutantOutcome(mutant(2), killed_failing=2, killed_passing=2, fixed_failing=0),
        MutantOutcome(mutant(2), stillborn=True),  # did not compile: no evidence either way
    ], lines=[(F, 1), (F, 2)], failing=2, passing=2, seconds=1.5, stopped="done")


def test_metallaxis_is_ochiai_over_kills_best_mutant_per_line() -> None:
    scores = hand_report().metallaxis()
    # m1: 2 / sqrt(2 * 2) = 1; m2: 1 / sqrt(2 * 2) = .5; m3: 2 / sqrt(2 * 4) = .7071
    assert scores == {(F, 1): pytest.approx(1.0), (F, 2): pytest.approx(2 / math.sqrt(8))}


def test_muse_rewards_fixed_failing_tests_and_punishes_broken_passing_ones() -> None:
    scores = hand_report().muse()
    # f2p = 2, p2f = 3, alpha = (2 / 2) / (3 / 2) = 2/3
    # line 1: (2/2 - 0) and (0 - 2/3 * 1/3), mean 7/18; line 2: 0 - 2/3 * 2/3 = -4/9
    assert scores == {(F, 1): pytest.approx(7 / 18), (F, 2): pytest.approx(-4 / 9)}
    assert hand_report().fixes() == {(F, 1): 1.0, (F, 2): 0.0}


def test_report_round_trips_through_json() -> None:
    report = hand_report()
    again = MutationReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.muse() == report.muse() and again.metallaxis() == report.metallaxis()
    assert "3 mutants on 2 lines (1 did not compile, 0 no test told apart), 1.5s, done" in again.summary()


def test_mutants_are_drawn_one_per_operator_family_first() -> None:
    made = [mutant(1, "remove-statement"), mutant(1, "literal", "a"), mutant(1, "literal", "b"),
            mutant(1, "operator", "c"), mutant(1, "operator", "d")]
    assert [m.description for m in order_mutants(made)] == [
        "c", "a", "remove-statement at 1", "d", "b"]


def test_statement_kinds_of_java_and_python_lines() -> None:
    java = StatementKinds("java", (
        "class A {\n"                                # 1 structure
        "    int f(int x) {\n"                       # 2 structure
        "        int y;\n"                           # 3 declaration without a value: structure
        "        int z = x + 1;\n"                   # 4 assignment
        "        if (x > 0 &&\n"                     # 5 condition
        "            z > 2) {\n"                     # 6 continuation of the condition
        "            y = 1;\n"                       # 7 assignment
        "        } else if (x < 0) {\n"              # 8 condition
        "            System.out.println(x);\n"       # 9 call
        "        }\n"                                # 10 structure
        "        for (int i = 0; i < x; i++) y++;\n"  # 11 loop
        "        return y;\n"                        # 12 return
        "    }\n}\n"))
    assert [java.kind(n) for n in range(1, 13)] == [
        "structure", "structure", "structure", "assignment", "condition", "condition", "assignment", "condition",
        "call", "structure", "loop", "return"]
    python = StatementKinds("python", (
        "def f(x):\n"                 # 1
        "    while x:\n"              # 2
        "        x -= 1\n"            # 3
        "    if x:\n"                 # 4
        "        print(x)\n"          # 5
        "    elif x is None:\n"       # 6
        "        raise ValueError\n"  # 7
        "    else:\n"                 # 8
        "        return x\n"))        # 9
    assert [python.kind(n) for n in range(1, 10)] == [
        "structure", "condition", "assignment", "condition", "call", "condition", "throw", "structure", "return"]


def test_combined_ranking_breaks_ties_by_evidence_not_by_line_order() -> None:
    same = Spectrum(ef=2, ep=1, nf=0, np=1)
    evidence = Evidence(spectra={(F, 3): same, (F, 5): same, (F, 9): same},
                        kinds={(F, 3): "assignment", (F, 5): "assignment", (F, 9): "condition"})
    # Equal spectra: the condition (a more often fixed kind of statement) comes first, whatever its line.
    assert [line for line, _s, _sig in rank(evidence)] == [(F, 9), (F, 3), (F, 5)]
    # A stack frame outweighs the statement kind; a mutant that fixes the failing tests outweighs both.
    evidence.stack = {(F, 5): 1.0}
    assert [line for line, _s, _sig in rank(evidence)][0] == (F, 5)
    evidence.mutation = MutationReport(outcomes=[
        MutantOutcome(mutant(3), killed_failing=2, fixed_failing=2),
        MutantOutcome(mutant(5), killed_failing=2, killed_passing=1),
        MutantOutcome(mutant(9), killed_failing=2, killed_passing=1)], failing=2, passing=2)
    ranked = rank(evidence)
    assert ranked[0][0] == (F, 3) and ranked[0][2]["fixes"] == 1.0
    # Every single formula ranks the same evidence.
    assert [line for line, _s, _sig in rank(evidence, "muse")][0] == (F, 3)
    assert [line for line, _s, _sig in rank(evidence, "ochiai")][0] == (F, 5)  # ochiai + the stack frame


def test_methods_rank_by_their_best_line() -> None:
    suspects = [Suspicious("a.py", 7, "f", 0.9), Suspicious("a.py", 12, "g", 0.8), Suspicious("a.py", 5, "f", 0.7),
                Suspicious("b.py", 1, None, 0.5)]
    methods = rank_methods(suspects)
    assert [(m.method, m.line, m.rank, m.lines) for m in methods] == [
        ("f", 7, 1, 2), ("g", 12, 2, 1), (None, 1, 4, 1)]


SIGN = ("def sign(x):\n"          # 1
        "    if x > 0:\n"         # 2
        "        return 1\n"      # 3
        "    if x <= 0:\n"        # 4  the fault: should be x < 0
        "        return -1\n"     # 5
        "    return 0\n")         # 6
SIGN_TESTS = ("from prog import sign\n\n"
              "def test_pos():\n    assert sign(3) == 1\n\n"
              "def test_neg():\n    assert sign(-2) == -1\n\n"
              "def test_zero():\n    assert sign(0) == 0\n")


@pytest.fixture
def sign_repo(tmp_path: Path) -> Iterator[tuple[LocalWorkspace, Bug]]:
    """A tiny real pytest repo whose `sign` misclassifies 0, checked out into a workspace."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "prog.py").write_text(SIGN)
    (src / "test_prog.py").write_text(SIGN_TESTS)
    with LocalWorkspace.create(source=src) as ws:
        yield ws, Bug("local:sign", "local", "python", TestSetup("pytest", test_files=("test_prog.py",)))


def test_combined_python_puts_the_fault_first_with_real_mutants(sign_repo: tuple[LocalWorkspace, Bug]) -> None:
    ws, bug = sign_repo
    runner = make_test_runner(ws, bug.test_setup)
    ochiai = FaultLocalizer(formula="ochiai").localize(bug, ws, runner)
    localizer = FaultLocalizer(mutants=TemplateMutants())
    ranked = localizer.localize(bug, ws, runner)
    # Ochiai ties lines 4 and 5 (both run by the failing test only) and cannot tell them apart.
    assert {s.line for s in ochiai[:2]} == {4, 5} and ochiai[0].score == ochiai[1].score
    assert ranked[0].line == 4 and ranked[0].kind == "condition" and ranked[0].signals["fixes"] == 1.0
    report = localizer.evidence.mutation
    assert report is not None and report.valid and report.failing == 1 and report.passing >= 1
    assert "passes every test" in report.stopped  # `x <= 0` -> `x < 0` is the fix: nothing more to learn
    assert any(n.startswith("mutation analysis:") for n in localizer.notes)
    assert ws.read_file("prog.py") == SIGN  # every mutant was undone
    again = FaultLocalizer(mutants=TemplateMutants())
    assert again.localize(bug, ws, runner) == ranked
    assert any("from the cache" in n for n in again.notes)


def test_combined_java_runs_mutants_in_the_warm_jvm() -> None:
    checked = check_out("demo:BINARY_SEARCH", discover_failing=False)
    try:
        localizer = FaultLocalizer(mutants=TemplateMutants())
        ranked = localizer.localize(checked.bug, checked.workspace, checked.runner)
        truth = {(loc.file, loc.line) for loc in checked.bug.buggy_locations}
        assert (ranked[0].file, ranked[0].line) in truth
        report = localizer.evidence.mutation
        assert report is not None and report.valid and any(o.fixed_failing for o in report.valid)
        assert checked.workspace.diff() == ""
    finally:
        checked.close()


def test_without_mutation_operators_the_combination_says_so(sign_repo: tuple[LocalWorkspace, Bug]) -> None:
    ws, bug = sign_repo
    localizer = FaultLocalizer()
    ranked = localizer.localize(bug, ws, make_test_runner(ws, bug.test_setup))
    assert ranked[0].line == 4  # spectra tie 4 and 5; the condition is the more often fixed kind
    assert "mutation analysis skipped: no mutation operators were given" in localizer.notes
