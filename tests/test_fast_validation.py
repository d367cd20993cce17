"""FastPatchValidator against the plain PatchValidator: same verdicts, real javac/JUnit and real pytest."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import replace

from repair.checkout import CheckedOutBug
from repair.datasets.demo import DEMO_ROOT
from repair.fast_validation import FastPatchValidator, syntax_key
from repair.runners import make_test_runner
from repair.runners.fast_java import FastJavaRunner
from repair.runners.fast_python import FastPythonRunner
from repair.validation import PatchValidator

Checkout = Callable[[str], CheckedOutBug]


def edit(checked: CheckedOutBug, path: str, old: str, new: str) -> str:
    """A search/replace patch for one change of the bug's program."""
    text = checked.workspace.read_file(path)
    assert old in text
    return f"{path}\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n"


def fix_of(name: str) -> str:
    return (DEMO_ROOT / "fixes" / f"{name}.diff").read_text()


def verdict(result: object) -> tuple[str, list[str], list[str]]:
    return (result.status, sorted(result.still_failing), sorted(result.regressions))  # type: ignore[attr-defined]


def test_java_fast_verdicts_match_the_plain_validator(demo_checkout: Checkout) -> None:
    checked = demo_checkout("demo:BINARY_SEARCH")
    path = "java_programs/BINARY_SEARCH.java"
    patches = [
        fix_of("BINARY_SEARCH"),
        edit(checked, path, "        while (lo < hi) {", "        while (lo > hi) {"),
        edit(checked, path, "        while (lo < hi) {", "        while (lo <= hi {"),  # does not compile
    ]
    plain = PatchValidator(checked.workspace, checked.bug, checked.runner)
    fast = FastPatchValidator(checked.workspace, checked.bug, baseline=plain.baseline())
    try:
        assert isinstance(fast.runner, FastJavaRunner) and fast.fast
        for patch in patches:
            want, got = plain.validate(patch), fast.validate(patch)
            assert verdict(got) == verdict(want), patch
            assert checked.workspace.diff() == ""  # the workspace is the buggy version again
        assert fast.validate(patches[0]).diff.count("+        while (lo <= hi) {") == 1
        assert fast.runner.fast_runs >= 3 and not fast.fallbacks
        assert fast.compile_seconds > 0 and fast.test_seconds > 0
    finally:
        fast.close()


def test_syntactic_duplicates_are_validated_once(demo_checkout: Checkout) -> None:
    checked = demo_checkout("demo:BINARY_SEARCH")
    path = "java_programs/BINARY_SEARCH.java"
    fast = FastPatchValidator(checked.workspace, checked.bug)
    try:
        first = fast.validate(edit(checked, path, "        while (lo < hi) {", "        while (lo <= hi) {"))
        again = fast.validate(edit(checked, path, "        while (lo < hi) {", "        while(lo<=hi)  { // fixed"))
        assert first.plausible and again.plausible and again.cached and not first.cached
    finally:
        fast.close()
    assert syntax_key({"a.py": "x = 1  # one\n"}) == syntax_key({"a.py": "x=1\n"})
    assert syntax_key({"a.py": "x = 1\n"}) != syntax_key({"a.py": "x = 2\n"})


def test_a_hanging_candidate_times_out_and_a_killed_worker_is_replaced(demo_checkout: Checkout) -> None:
    checked = demo_checkout("demo:GCD_LOOP")
    checked.bug.test_setup = replace(checked.bug.test_setup, per_test_timeout=1.0)
    path = "java_programs/GCD_LOOP.java"
    fast = FastPatchValidator(checked.workspace, checked.bug)
    try:
        runner = fast.runner
        assert isinstance(runner, FastJavaRunner)
        hang = fast.validate(edit(checked, path, "            a = b;", "            a = a;"), full=False)
        assert hang.status == "not-plausible" and hang.still_failing
        assert "timed out" in " ".join(hang.failure_details.values())
        # A worker that dies between candidates is started again; the verdict does not change.
        worker = runner._worker
        assert worker is not None and worker._proc is not None
        os.killpg(worker._proc.pid, signal.SIGKILL)
        good = fast.validate(fix_of("GCD_LOOP"), full=False)
        assert good.plausible
        assert runner.fast_runs >= 2 or runner.fallbacks  # fast again, or the plain path said so
    finally:
        fast.close()


def test_python_fast_verdicts_match_and_hangs_are_cut(demo_checkout: Checkout) -> None:
    checked = demo_checkout("demo:digit_sum")
    checked.bug.test_setup = replace(checked.bug.test_setup, per_test_timeout=1.0)
    path = "python_programs/digit_sum.py"
    plain = PatchValidator(checked.workspace, checked.bug, make_test_runner(checked.workspace, checked.bug.test_setup))
    fast = FastPatchValidator(checked.workspace, checked.bug, baseline=plain.baseline())
    try:
        assert isinstance(fast.runner, FastPythonRunner)
        patches = [
            fix_of("digit_sum"),
            edit(checked, path, "        total += n % 10", "        total += n % 100"),  # still hangs
            edit(checked, path, "        n = n % 10", "        n = n // 10 +"),  # syntax error
        ]
        for patch in patches:
            want, got = plain.validate(patch), fast.validate(patch)
            assert verdict(got) == verdict(want), patch
            assert checked.workspace.diff() == ""
        assert fast.runner.fast_runs >= 3 and not fast.fallbacks
    finally:
        fast.close()


def test_patches_that_add_files_take_the_plain_path(demo_checkout: Checkout) -> None:
    checked = demo_checkout("demo:is_sorted")
    fast = FastPatchValidator(checked.workspace, checked.bug)
    try:
        new_file = ("--- /dev/null\n+++ b/python_programs/extra.py\n@@ -0,0 +1 @@\n+X = 1\n")
        result = fast.validate(new_file, full=False)
        assert result.status == "not-plausible"  # applied with git snapshots, undone by restore
        assert not checked.workspace.exists("python_programs/extra.py")
        refused = fast.validate(edit(checked, "python_testcases/test_is_sorted.py", "import", "import"))
        assert refused.status == "refused"
    finally:
        fast.close()


def test_syntax_key_sees_python_indentation_but_not_comments() -> None:
    from repair.fast_validation import syntax_key

    after_loop = "def f(xs):\n    for x in xs:\n        if x:\n            return False\n    return True\n"
    in_loop = after_loop.replace("\n    return True", "\n        return True")
    commented = after_loop.replace("for x in xs:", "for x in xs:  # each item")
    commented = commented.replace("\n    return", "\n\n    return")
    assert syntax_key({"m.py": after_loop}) != syntax_key({"m.py": in_loop})
    assert syntax_key({"m.py": after_loop}) == syntax_key({"m.py": commented})
