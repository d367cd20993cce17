"""PatchValidator on real demo bugs: plausible, not plausible, regressions, refusals, caching."""

from __future__ import annotations

import pytest

from repair.checkout import CheckedOutBug, check_out
from repair.validation import PatchValidator


@pytest.fixture(scope="module")
def binary_search() -> CheckedOutBug:
    checked = check_out("demo:BINARY_SEARCH", discover_failing=False)
    yield checked
    checked.close()


@pytest.fixture(scope="module")
def validator(binary_search: CheckedOutBug) -> PatchValidator:
    return PatchValidator(binary_search.workspace, binary_search.bug, binary_search.runner)


def test_the_right_fix_is_plausible_and_the_workspace_is_restored(
        validator: PatchValidator, binary_search: CheckedOutBug) -> None:
    result = validator.validate(binary_search.bug.fix_patch or "")
    assert result.plausible, result.describe()
    assert "+        while (lo <= hi) {" in result.diff
    assert binary_search.workspace.diff() == ""


def test_a_wrong_fix_names_the_still_failing_tests(validator: PatchValidator, binary_search: CheckedOutBug) -> None:
    wrong = (binary_search.bug.fix_patch or "").replace("lo <= hi", "lo < hi - 1")
    result = validator.validate(wrong)
    assert result.status == "not-plausible"
    assert result.still_failing and set(result.still_failing) <= set(binary_search.bug.failing_tests)
    assert "still failing" in result.describe()


def test_the_demo_tests_reject_a_search_that_starts_past_the_end(validator: PatchValidator) -> None:
    # `hi = arr.length` with `lo < hi` is plausible on the three tests that fail first, and wrong:
    # binary_search({1, 3, 5, 7}, 3) returns -1. The tests a reviewer adds reject it.
    wrong = ("--- a/java_programs/BINARY_SEARCH.java\n+++ b/java_programs/BINARY_SEARCH.java\n@@ -6 +6 @@\n"
             "-        int hi = arr.length - 1;\n+        int hi = arr.length - 0;\n")
    result = validator.validate(wrong)
    assert result.status == "not-plausible", result.describe()
    caught = {t.rsplit("::", 1)[1] for t in result.regressions + result.still_failing}
    assert caught & {"test7", "test8"}, result.describe()


def test_a_fix_that_breaks_a_passing_test_is_a_regression(validator: PatchValidator) -> None:
    # Fixes the loop but returns -1 where it used to find the element at the first probe.
    patch = ("java_programs/BINARY_SEARCH.java\n<<<<<<< SEARCH\n        while (lo < hi) {\n=======\n"
             "        while (lo <= hi) {\n            if (arr.length == 5) return -1;\n>>>>>>> REPLACE\n")
    result = validator.validate(patch)
    assert result.status == "not-plausible"
    assert result.regressions or result.still_failing


def test_compile_errors_are_reported(validator: PatchValidator) -> None:
    patch = ("java_programs/BINARY_SEARCH.java\n<<<<<<< SEARCH\n        int lo = 0;\n=======\n"
             "        int lo = ;\n>>>>>>> REPLACE\n")
    result = validator.validate(patch)
    assert result.status == "build-failed" and "BINARY_SEARCH.java" in result.build_output


def test_refusals_and_bad_diffs(validator: PatchValidator) -> None:
    assert validator.validate("--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-root\n+me\n").status == "refused"
    test_file = "java_testcases/junit/BINARY_SEARCH_TEST.java"
    refused = validator.validate(f"--- a/{test_file}\n+++ b/{test_file}\n@@ -1 +1 @@\n-a\n+b\n")
    assert refused.status == "refused" and "test file" in refused.message
    assert validator.validate("not a patch").status == "apply-failed"


def test_identical_candidates_are_validated_once(validator: PatchValidator, binary_search: CheckedOutBug) -> None:
    first = validator.validate(binary_search.bug.fix_patch or "")
    as_search_replace = ("java_programs/BINARY_SEARCH.java\n<<<<<<< SEARCH\n        while (lo < hi) {\n=======\n"
                         "        while (lo <= hi) {   \n>>>>>>> REPLACE\n")
    second = validator.validate(as_search_replace)
    assert first.plausible and second.plausible and second.cached


def test_a_patch_that_breaks_a_passing_test_is_caught_on_a_fresh_validator() -> None:
    # The baseline must come from the unpatched code even when the first call validates a patch.
    checked = check_out("demo:is_sorted", discover_failing=False)
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner)
        source = checked.workspace.read_file("python_programs/is_sorted.py")
        broken = source.replace(">=", ">").replace("return False", "return True")
        diff = ("--- a/python_programs/is_sorted.py\n+++ b/python_programs/is_sorted.py\n"
                + "".join(_hunks(source, broken)))
        result = validator.validate(diff)
        assert result.status == "not-plausible" and result.regressions
    finally:
        checked.close()


def _hunks(old: str, new: str) -> list[str]:
    import difflib

    return list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=3))[2:]


def _local_bug(tmp_path, files: dict[str, str]) -> CheckedOutBug:
    import subprocess

    from repair.datasets import DatasetOptions

    repo = tmp_path / "repo"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q"))


def test_a_patch_that_breaks_collection_of_other_tests_is_not_plausible(tmp_path) -> None:
    checked = _local_bug(tmp_path, {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "helper.py": "def one():\n    return 1\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n",
        "test_other.py": "from helper import one\n\ndef test_one():\n    assert one() == 1\n",
    })
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        patch = ("--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n"
                 "-    return a - b\n+    return a + b\n"
                 "--- a/helper.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def one():\n-    return 1\n")
        result = validator.validate(patch)
        assert result.status == "not-plausible"
        assert any(r.startswith("test_other.py") for r in result.regressions)
    finally:
        checked.close()


def test_a_symlink_to_a_test_file_is_refused(tmp_path) -> None:
    checked = _local_bug(tmp_path, {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 5\n",
    })
    try:
        (tmp_path / "link").mkdir()
        ws_root = checked.workspace.path
        import os

        os.symlink("tests/test_calc.py", f"{ws_root}/checks.py")
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        patch = ("--- a/checks.py\n+++ b/checks.py\n@@ -4 +4 @@\n-    assert add(2, 2) == 5\n"
                 "+    assert add(2, 2) == 0\n")
        result = validator.validate(patch)
        assert result.status == "refused" and "is a symlink" in result.message
    finally:
        checked.close()
