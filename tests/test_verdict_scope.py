"""A plausible verdict covers every test the patch can affect: the tests of other programs that use a
shared file (real QuixBugs), a local repo's whole suite when its test command selects a subset, and the
static references that decide which tests reach a file when coverage does not say."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from typer.testing import CliRunner

from repair.checkout import check_out
from repair.cli import app
from repair.containers.local import LocalWorkspace
from repair.datasets.bug import Bug, WiderTests
from repair.datasets.quixbugs import QuixBugsDataset
from repair.datasets.registry import DatasetOptions
from repair.fix_run import FixOptions, run_fix
from repair.models import ScriptedModel
from repair.references import reference_graph
from repair.reports.run_report import render_markdown
from repair.reports.run_review import review_run
from repair.runners import TestSetup
from repair.validation import PatchValidator
from repair.verdict_scope import Unit, VerdictScope

NODE = "java_programs/Node.java"
OTHER = "java_testcases.junit.DETECT_CYCLE_TEST"


def diff_of(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))


def test_a_shared_file_patch_that_breaks_another_programs_tests_is_not_plausible(quixbugs_root: Path,
                                                                                   tmp_path: Path) -> None:
    node = (quixbugs_root / NODE).read_text()
    # The offline engine's "fix" of DEPTH_FIRST_SEARCH on real QuixBugs: setSuccessors keeps the old list.
    engine_fix = node.replace("this.successors = successors;\n    }\n\n    public void setPredecessors",
                              "this.successors = predecessors;\n    }\n\n    public void setPredecessors")
    # The same, with a change to a constructor that DEPTH_FIRST_SEARCH's tests never call but the linked
    # lists of DETECT_CYCLE's (and REVERSE_LINKED_LIST's) tests are built with.
    breaking = engine_fix.replace("        this.value = value;\n        this.successor = successor;",
                                  "        this.value = value;\n        this.successor = null;")
    assert engine_fix != node and breaking != engine_fix
    script = [
        {"thoughts": "-", "command": {"name": "express_hypothesis", "args": {"hypothesis": "Node is wrong."}}},
        {"thoughts": "-", "command": {"name": "write_fix", "args": {"diff": diff_of(NODE, node, breaking)}}},
        {"thoughts": "-", "command": {"name": "collect_more_information", "args": {}}},
        {"thoughts": "-", "command": {"name": "write_fix", "args": {"diff": diff_of(NODE, node, engine_fix)}}},
        {"thoughts": "-", "command": {"name": "goal_accomplished", "args": {}}},
    ]
    outcome = run_fix(FixOptions("quixbugs-java:DEPTH_FIRST_SEARCH", runs_dir=str(tmp_path), reports=False,
                                 quixbugs_root=str(quixbugs_root), strategy="fsm"), model=ScriptedModel(script))
    result = json.loads((outcome.run_dir / "result.json").read_text())
    assert len(result["fixes_tried"]) == 2, json.dumps(result, indent=1)[:4000]
    broken, fixed = result["fixes_tried"]
    # The breaking patch passes DEPTH_FIRST_SEARCH's own tests, and fails DETECT_CYCLE's: not plausible.
    assert broken["status"] == "not-plausible", broken
    own = next(line for line in broken["scope"] if line.startswith("the bug's tests"))
    assert "DEPTH_FIRST_SEARCH_TEST" in own and "failed" not in own
    other = next(line for line in broken["scope"] if OTHER in line)
    assert "[references]" in other and f"failed ({OTHER}::" in other, broken["scope"]
    # The engine's patch breaks no test that passed: plausible, and result.json says what that covered,
    # down to the other programs' tests that already failed and could not tell.
    assert fixed["status"] == "plausible" and result["status"] == "plausible", fixed
    covered = {s["targets"][0]: s for s in result["tests_after"]["scope"]}
    assert covered[OTHER]["ran"] >= 1 and not covered[OTHER]["failed"]
    assert covered["java_testcases.junit.TOPOLOGICAL_ORDERING_TEST"]["skipped"] >= 1
    # Both test sets are named in the review report (drawn here without its fault-localisation chart, which
    # would cost a coverage run), and the write_fix output said so to the model.
    report = render_markdown(review_run(outcome.run_dir, localize=False))
    assert "DEPTH_FIRST_SEARCH_TEST" in report and f"{OTHER}::" in report and "verdict covers" in report
    steps = [json.loads(line) for line in (outcome.run_dir / "trajectory.jsonl").read_text().splitlines()]
    first_fix = next(s for s in steps if s.get("tool") == "write_fix")
    assert "The verdict covers" in first_fix["result"] and OTHER in first_fix["result"]


def test_a_quixbugs_program_that_shares_a_helper_is_checked_out_with_its_sharers(quixbugs_root: Path) -> None:
    layout = QuixBugsDataset("java", quixbugs_root).layout
    dfs = layout.bug("DEPTH_FIRST_SEARCH")
    assert dfs.wider_tests is not None and NODE in dfs.wider_tests.label
    units = dict(dfs.wider_tests.units)
    topological = "java_testcases.junit.TOPOLOGICAL_ORDERING_TEST"
    assert units[topological] == "java_testcases/junit/TOPOLOGICAL_ORDERING_TEST.java"
    assert "java_testcases.junit.DEPTH_FIRST_SEARCH_TEST" not in units
    paths = layout.checkout_paths(dfs)
    assert {"java_programs/TOPOLOGICAL_ORDERING.java", "java_testcases/junit/DETECT_CYCLE_TEST.java"} <= set(paths)
    assert not any(p.startswith("correct_") for p in paths)
    gcd = layout.bug("GCD")  # shares nothing: its checkout holds no other program
    assert gcd.wider_tests is None and not any("SEARCH" in p for p in layout.checkout_paths(gcd))
    assert all(b.wider_tests is None for b in QuixBugsDataset("python", quixbugs_root).list_bugs())


def make_repo(root: Path) -> Path:
    root.mkdir()
    (root / "tests").mkdir()
    (root / "calc.py").write_text("def scale(x, k):\n    return x + k\n")
    (root / "tests" / "test_scale.py").write_text(
        "from calc import scale\n\ndef test_scale():\n    assert scale(3, 2) == 6\n")
    (root / "tests" / "test_unit.py").write_text(
        "from calc import scale\n\ndef test_unit():\n    assert scale(2, 2) == 4\n")
    return root


def test_a_local_subset_command_is_followed_by_the_whole_suite(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q tests/test_scale.py"))
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        text = "def scale(x, k):\n    return x + k\n"
        overfit = validator.validate(diff_of("calc.py", text, "def scale(x, k):\n    return 6\n"))
        right = validator.validate(diff_of("calc.py", text, "def scale(x, k):\n    return x * k\n"))
    finally:
        checked.close()
    assert overfit.status == "not-plausible" and overfit.regressions == ["tests/test_unit.py::test_unit"]
    lines = overfit.scope_lines()
    assert lines[1].startswith("the bug's tests") and "tests/test_scale.py" in lines[1]
    assert lines[2].startswith("the whole suite (`pytest`)") and "1 failed (tests/test_unit.py::test_unit)" in lines[2]
    assert right.plausible and "the whole suite" in right.scope_lines()[-1]


def test_a_wider_test_that_fails_on_the_unpatched_code_too_is_flaky_not_a_regression(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    runs = tmp_path / "runs-of-test-unit"  # outside the repo: a test whose outcome the patch cannot decide
    (repo / "tests" / "test_unit.py").write_text(
        f"import pathlib\n\nRUNS = pathlib.Path({str(runs)!r})\n\n"
        "def test_unit():\n"
        "    n = int(RUNS.read_text()) + 1 if RUNS.exists() else 1\n"
        "    RUNS.write_text(str(n))\n"
        "    assert n == 1, 'passes on its first run only'\n")
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q tests/test_scale.py"))
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        text = "def scale(x, k):\n    return x + k\n"
        right = validator.validate(diff_of("calc.py", text, "def scale(x, k):\n    return x * k\n"))
        again = validator.validate(diff_of("calc.py", text, "def scale(x, k):\n    return k * x\n"))
    finally:
        checked.close()
    # Passed on the unpatched code (run 1), failed after the patch (run 2) and on the unpatched code again
    # (run 3): flaky, and the patch is plausible. The next patch's whole suite cannot leave it out (run 4),
    # and does not hold its failure against that patch.
    assert runs.read_text() == "4"
    assert right.plausible and not right.regressions, right.scope_lines()
    assert "1 flaky (failed on the unpatched code too: tests/test_unit.py::test_unit)" in right.scope_lines()[-1]
    assert again.plausible and "flaky" not in again.scope_lines()[-1]


def test_the_users_final_command_judges_instead(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    result = CliRunner().invoke(app, ["validate", "--repo", str(repo), "--test-cmd", "pytest -q tests/test_scale.py",
                                      "--final-test-cmd", "pytest -q tests/test_unit.py",
                                      "--patch", str(write_patch(tmp_path))])
    assert result.exit_code == 1, result.output
    assert "covers the final test command `pytest -q tests/test_unit.py`" in result.output
    assert "tests/test_unit.py::test_unit" in result.output


def write_patch(tmp_path: Path) -> Path:
    patch = tmp_path / "overfit.diff"
    patch.write_text(diff_of("calc.py", "def scale(x, k):\n    return x + k\n", "def scale(x, k):\n    return 6\n"))
    return patch


def test_references_reach_java_types_and_python_modules() -> None:
    graph = reference_graph({
        "src/a/Node.java": "package a; public class Node { Node next; }",
        "src/a/Walk.java": "package a; import a.Node; class Walk { int n(Node x) { return 1; } }",
        "test/a/WalkTest.java": "package a; class WalkTest { void t() { new Walk(); } }",
        "test/a/OtherTest.java": "package a; class OtherTest { void t() { int walk = 1; } }",
        "pkg/__init__.py": "",
        "pkg/core.py": "from .helpers import twice\n",
        "pkg/helpers.py": "def twice(x):\n    return 2 * x\n",
        "tests/test_core.py": "from pkg import core\n",
        "tests/test_alone.py": "import json\n",
    })
    assert graph.reaching(["src/a/Node.java"], ["test/a/WalkTest.java", "test/a/OtherTest.java"]) == [
        "test/a/WalkTest.java"]
    assert graph.reaching(["pkg/helpers.py"], ["tests/test_core.py", "tests/test_alone.py"]) == ["tests/test_core.py"]
    assert "src/a/Node.java" not in graph.edges["src/a/Node.java"]


def test_coverage_decides_the_units_it_covers_references_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "tests").mkdir(parents=True)
    (source / "lib.py").write_text("def f():\n    return 1\n")
    (source / "other.py").write_text("import importlib\n\ndef g():\n    return importlib.import_module('lib').f()\n")
    (source / "tests" / "test_a.py").write_text("from lib import f\n\ndef test_a():\n    assert f() == 1\n")
    (source / "tests" / "test_b.py").write_text("from other import g\n\ndef test_b():\n    assert g() == 1\n")
    units = (("tests/test_a.py", "tests/test_a.py"), ("tests/test_b.py", "tests/test_b.py"))
    bug = Bug("local:x", "local", "python", TestSetup("pytest"),
              wider_tests=WiderTests(TestSetup("pytest", test_files=("tests",)), "the other tests", units))
    workspace = LocalWorkspace.create()
    try:
        workspace.import_tree(str(source))
        scope = VerdictScope(workspace, bug)
        # By references only: test_b imports lib at run time, which no import statement shows.
        assert [(u.target, u.why) for u in scope.units_for(["lib.py"])] == [("tests/test_a.py", "references")]
        scope.learn_coverage({"tests/test_b.py::test_b": ["other.py", "lib.py"], "tests/test_a.py::test_a": ["lib.py"]})
        assert [(u.target, u.why) for u in scope.units_for(["lib.py"])] == [
            ("tests/test_a.py", "coverage"), ("tests/test_b.py", "coverage")]
        assert scope.units_for(["other.py"]) == [Unit("tests/test_b.py", "tests/test_b.py", "coverage")]
    finally:
        workspace.close()
