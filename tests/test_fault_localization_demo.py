"""Fault localization on every demo bug, from real coverage runs (JaCoCo, coverage.py) and real traces.

The ground truth (bug.buggy_locations) is read only by the assertions, never by the localizer, except
in the perfect-FL test which is about exactly that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from repair.checkout import CheckedOutBug, check_out
from repair.containers.local import LocalWorkspace
from repair.datasets import DemoDataset
from repair.datasets.bug import Bug
from repair.fault_localization import FaultLocalizationError, FaultLocalizer, Suspicious
from repair.fault_localization.collect import CACHE_DIR
from repair.runners import TestSetup, make_test_runner

DEMO_BUGS = [bug.id for bug in DemoDataset().list_bugs()]


@pytest.fixture(scope="module")
def localized() -> Iterator[dict[str, tuple[CheckedOutBug, FaultLocalizer, list[Suspicious]]]]:
    """Each demo bug checked out once and localized once (the combination, without mutants: spectra, stack
    traces and statement kinds), shared by the tests."""
    found: dict[str, tuple[CheckedOutBug, FaultLocalizer, list[Suspicious]]] = {}
    for bug_id in DEMO_BUGS:
        checked = check_out(bug_id, discover_failing=False)
        localizer = FaultLocalizer()
        found[bug_id] = (checked, localizer, localizer.localize(checked.bug, checked.workspace, checked.runner))
    yield found
    for checked, _, _ in found.values():
        checked.close()


def rank_of_fault(bug: Bug, ranked: list[Suspicious]) -> int | None:
    """The 1-based rank of the first ground-truth line. For a missing-code fault (FACTORIAL lacks its base
    case), the line the fix inserts before has no code of its own to execute, so its neighbours count too."""
    slack = 1 if bug.meta.get("fault_kind", "").startswith("missing") else 0
    truth = {(loc.file, loc.line + d) for loc in bug.buggy_locations for d in range(-slack, slack + 1)}
    for rank, s in enumerate(ranked, 1):
        if (s.file, s.line) in truth:
            return rank
    return None


def test_there_are_seven_demo_bugs_in_both_languages() -> None:
    languages = [DemoDataset().get(b).language for b in DEMO_BUGS]
    assert len(DEMO_BUGS) == 7 and languages.count("java") == 4 and languages.count("python") == 3


@pytest.mark.parametrize("bug_id", DEMO_BUGS)
def test_true_buggy_line_ranks_in_top_5(localized: dict, bug_id: str) -> None:
    checked, _, ranked = localized[bug_id]
    rank = rank_of_fault(checked.bug, ranked)
    assert rank is not None and rank <= 5, [(s.file, s.line, round(s.score, 3)) for s in ranked[:8]]


@pytest.mark.parametrize("bug_id", DEMO_BUGS)
def test_only_non_test_files_are_ranked_and_mapped_to_methods(localized: dict, bug_id: str) -> None:
    checked, _, ranked = localized[bug_id]
    assert ranked
    for s in ranked:
        assert not checked.bug.is_test_path(s.file)
        assert s.file in checked.bug.program_files
        assert s.method is not None and s.score > 0 and s.signals
    top = ranked[0]
    assert top.method in {"BINARY_SEARCH.binary_search", "POWER_SUM.power", "FACTORIAL.factorial", "GCD_LOOP.gcd",
                          "_between", "clamp_range", "is_sorted", "digit_sum"}


def test_java_coverage_comes_from_a_real_jacoco_run(localized: dict) -> None:
    checked, localizer, _ = localized["demo:GCD_LOOP"]
    matrix = localizer.matrix
    assert matrix is not None and matrix.tool.startswith("JaCoCo")
    src = "java_programs/GCD_LOOP.java"
    tests = {t.test_id.rsplit("::", 1)[1]: t for t in matrix.tests.values()}
    # gcd(7, 0) and gcd(0, 0) skip the loop; the three hanging tests were stopped inside it.
    assert tests["test1"].lines == {(src, 5), (src, 10)} and not tests["test1"].failed
    for name in ("test3", "test4", "test5"):
        assert tests[name].failed and {(src, n) for n in (5, 6, 7, 8)} <= tests[name].lines
        assert "GCD_LOOP.java:" in tests[name].trace  # where the test hung
    assert checked.workspace.exists(CACHE_DIR)


def test_python_coverage_comes_from_real_coverage_py_contexts(localized: dict) -> None:
    _, localizer, ranked = localized["demo:clamp_range"]
    matrix = localizer.matrix
    assert matrix is not None and matrix.tool.startswith("coverage.py")
    assert all("::" in t for t in matrix.tests)  # one context per pytest node id
    assert sum(t.failed for t in matrix.tests.values()) == len(DemoDataset().get("demo:clamp_range").failing_tests)
    assert all(t.lines for t in matrix.tests.values())
    assert {"ochiai"} <= set(ranked[0].signals)


def test_stack_trace_signal_finds_the_recursion(localized: dict) -> None:
    checked, _, ranked = localized["demo:FACTORIAL"]
    assert ranked[0].signals.get("stack") == 1.0 and ranked[0].method == "FACTORIAL.factorial"


def test_coverage_is_cached_by_source_hash(localized: dict) -> None:
    checked, localizer, ranked = localized["demo:is_sorted"]
    ws = checked.workspace
    again = FaultLocalizer().localize(checked.bug, ws, checked.runner)
    assert again == ranked
    assert len(ws.run(["ls", CACHE_DIR], timeout=10).stdout.split("matrix-")) == 2  # one matrix file
    program = checked.bug.program_files[0]
    ws.write_file(program, ws.read_file(program) + "\n# changed\n")
    try:
        FaultLocalizer().localize(checked.bug, ws, checked.runner)
        assert len(ws.run(["ls", CACHE_DIR], timeout=10).stdout.split("matrix-")) == 3
    finally:
        ws.restore()


def test_other_formulas_and_signals_switch(localized: dict) -> None:
    checked, _, _ = localized["demo:POWER_SUM"]
    for formula in ("dstar", "tarantula", "op2"):
        ranked = FaultLocalizer(formula=formula, use_stack=False).localize(checked.bug, checked.workspace,
                                                                            checked.runner)
        assert ranked and set(ranked[0].signals) == {formula}
        assert rank_of_fault(checked.bug, ranked) is not None
    stack_only = FaultLocalizer(formula="ochiai", use_coverage=False).localize(checked.bug, checked.workspace,
                                                                               checked.runner)
    assert all(set(s.signals) == {"stack"} for s in stack_only)
    combined = FaultLocalizer(use_coverage=False).localize(checked.bug, checked.workspace, checked.runner)
    assert all(s.signals["stack"] > 0 and "ochiai" not in s.signals for s in combined)


def test_perfect_fl_uses_ground_truth_and_says_so(localized: dict) -> None:
    checked, _, _ = localized["demo:is_sorted"]
    localizer = FaultLocalizer(perfect=True)
    ranked = localizer.localize(checked.bug, checked.workspace)
    assert [(s.file, s.line, s.signals) for s in ranked] == [("python_programs/is_sorted.py", 4, {"perfect": 1.0})]
    assert any("perfect" in note for note in localizer.notes)
    with pytest.raises(FaultLocalizationError, match="needs ground truth"):
        FaultLocalizer(perfect=True).localize(Bug("x:y", "x", "python", checked.bug.test_setup), checked.workspace)


def test_hand_computed_ochiai_on_a_tiny_real_repo(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "prog.py").write_text(
        "def sign(x):\n"          # 1
        "    if x > 0:\n"         # 2
        "        return 1\n"      # 3
        "    if x < 0:\n"         # 4
        "        return 1\n"      # 5  the fault: should be -1
        "    return 0\n")         # 6
    (src / "test_prog.py").write_text(
        "from prog import sign\n\n"
        "def test_pos():\n    assert sign(3) == 1\n\n"      # covers 2, 3: passes
        "def test_neg():\n    assert sign(-2) == -1\n\n"    # covers 2, 4, 5: fails
        "def test_zero():\n    assert sign(0) == 0\n")      # covers 2, 4, 6: passes
    with LocalWorkspace.create(source=src) as ws:
        bug = Bug("local:tiny", "local", "python", TestSetup("pytest", test_files=("test_prog.py",)))
        localizer = FaultLocalizer(formula="ochiai", use_stack=False)
        ranked = localizer.localize(bug, ws, make_test_runner(ws, bug.test_setup))
    # ochiai = ef / sqrt((ef + nf) * (ef + ep)) with one failing test:
    # line 5: 1/sqrt(1*1) = 1; line 4: 1/sqrt(1*2) = .7071; line 2: 1/sqrt(1*3) = .5774; lines 3, 6: ef = 0.
    assert [(s.line, round(s.score, 4), s.method) for s in ranked] == [
        (5, 1.0, "sign"), (4, 0.7071, "sign"), (2, 0.5774, "sign")]
    assert localizer.matrix is not None and len(localizer.matrix.tests) == 3


def _cli() -> typer.Typer:
    from repair.cli import app  # registers every sub-command, localize included

    return app


def test_cli_localize_json() -> None:
    result = CliRunner().invoke(_cli(), ["localize", "demo:is_sorted", "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["perfect_fl"] is False and len(data["suspicious"]) == 2
    assert {"file", "line", "method", "score", "kind", "signals"} <= set(data["suspicious"][0])
    # The combination by default, mutants included; methods beside the lines; what each part cost.
    assert data["formula"] == "combined" and data["mutants"] and data["seconds"]["mutation"] > 0
    assert data["methods"][0]["method"] == "is_sorted" and data["methods"][0]["line_rank"] == 1
    assert any(note.startswith("mutation analysis:") for note in data["notes"])


def test_cli_localize_table_and_perfect_flag() -> None:
    result = CliRunner().invoke(_cli(), ["localize", "demo:digit_sum", "--perfect-fl"])
    assert result.exit_code == 0, result.output
    assert "PERFECT FL" in result.output and "digit_sum.py:8" in result.output
    assert "suspicious methods" in result.output


def test_cli_localize_single_formula_without_mutants() -> None:
    result = CliRunner().invoke(_cli(), ["localize", "demo:is_sorted", "--json", "--formula", "muse",
                                         "--mutants", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["formula"] == "muse" and data["mutants"] == [] and data["suspicious"]
    assert "mutation analysis skipped: no mutation operators were given" in data["notes"]
    bad = CliRunner().invoke(_cli(), ["localize", "demo:is_sorted", "--formula", "nope"])
    assert isinstance(bad.exception, FaultLocalizationError) and "unknown formula 'nope'" in str(bad.exception)
