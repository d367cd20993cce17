"""Datasets: the shipped demo bugs, QuixBugs (the real benchmark data), local repos, bug ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.datasets import DatasetOptions, DemoDataset, QuixBugsDataset, resolve_bug
from repair.errors import DatasetUnavailableError, UnknownBugError


def test_demo_bugs_cover_languages_and_fault_kinds() -> None:
    bugs = DemoDataset().list_bugs()
    assert len(bugs) >= 6
    assert sum(b.language == "java" for b in bugs) >= 3
    assert sum(b.language == "python" for b in bugs) >= 3
    kinds = {b.meta["fault_kind"] for b in bugs}
    assert {"wrong-operator", "off-by-one", "wrong-argument-order", "missing-base-case", "infinite-loop"} <= kinds
    for bug in bugs:
        assert bug.failing_tests and bug.fix_patch and bug.buggy_locations


def test_demo_checkout_hides_the_ground_truth() -> None:
    checked = check_out("demo:is_sorted", discover_failing=False)
    try:
        assert not checked.workspace.exists("fixes") and not checked.workspace.exists("bugs.json")
        assert checked.workspace.exists("python_programs/is_sorted.py")
    finally:
        checked.close()


def test_quixbugs_from_the_real_tarball_lists_all_bugs_and_ground_truth(quixbugs_tarball: Path) -> None:
    java = QuixBugsDataset("java", quixbugs_tarball)
    assert len(java.list_bugs()) == 40  # Node.java and WeightedEdge.java have no test: not bugs
    bug = java.get("quixbugs-java:GCD")
    assert bug.test_setup.framework == "junit4"
    assert bug.test_setup.test_classes == ("java_testcases.junit.GCD_TEST",)
    # Only the JUnit test and the program are compiled: the top-level testers need gson.
    assert all(not f.startswith("java_testcases/GCD") for f in bug.test_setup.compile_files)
    assert "+            return gcd(b, a%b);" in (bug.fix_patch or "")
    assert [loc.line for loc in bug.buggy_locations] == [19]
    python = QuixBugsDataset("python", quixbugs_tarball)
    assert len(python.list_bugs()) == 40  # node.py is a helper


def test_quixbugs_root_is_a_checkout_a_folder_holding_one_or_the_tarball(quixbugs_root: Path) -> None:
    for given in (quixbugs_root, quixbugs_root.parent):
        assert QuixBugsDataset("python", given).layout.root == quixbugs_root
    with pytest.raises(DatasetUnavailableError, match="not a QuixBugs checkout"):
        QuixBugsDataset("java", quixbugs_root / "java_programs").list_bugs()


def test_quixbugs_failing_tests_come_from_running_the_buggy_version(quixbugs_tarball: Path) -> None:
    checked = check_out("quixbugs-python:gcd", DatasetOptions(quixbugs_root=str(quixbugs_tarball)))
    try:
        assert len(checked.bug.failing_tests) == 5
        assert checked.baseline is not None and len(checked.baseline.passing) == 1
    finally:
        checked.close()


def test_quixbugs_missing_checkout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailableError, match="not a QuixBugs checkout"):
        QuixBugsDataset("java", tmp_path).list_bugs()


def test_local_repo_with_a_test_command(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "test_calc.py").write_text("from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n\n"
                                       "def test_zero():\n    assert add(0, 0) == 0\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q"))
    try:
        assert checked.bug.language == "python"
        assert checked.bug.failing_tests == ["test_calc.py::test_add"]
    finally:
        checked.close()
    assert (repo / "calc.py").read_text().endswith("a - b\n")


@pytest.mark.parametrize("bug_id", ["demo:NOPE", "nonsense", "nope:GCD", "quixbugs-java"])
def test_unknown_bug_ids(bug_id: str) -> None:
    with pytest.raises(UnknownBugError):
        resolve_bug(bug_id)
