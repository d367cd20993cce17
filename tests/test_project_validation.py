"""Validation of a built project without the build tool per candidate: a real Maven project, real javac/JUnit.

Maven builds and tests once (the baseline); each candidate is then compiled alone against
target/classes and run in the warm JVM (`ProjectJavaRunner`). Its verdicts must be the build tool's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.datasets.registry import DatasetOptions
from repair.fast_validation import FastPatchValidator
from repair.runners.fast_java import ProjectJavaRunner
from repair.validation import PatchValidator

pytestmark = pytest.mark.skipif(not shutil.which("mvn"), reason="mvn is not installed")
FIXTURE = Path(__file__).parent / "fixtures" / "maven_calc"
SIGN = """package calc;

/** A second class, so that candidates of Calc run against the compiled rest of the project. */
public class Sign {
    static int calls = 0;  // static state: a fresh class loader per candidate starts it at 0 again

    public static int of(int x) {
        calls++;
        return Integer.signum(x);
    }

    public static boolean negative(int x) {
        return x < 0;
    }
}
"""
SIGN_TEST = """package calc;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class SignTest {
    @Test
    public void signAndFreshState() {
        assertEquals(-1, Sign.of(-4));
        assertEquals(1, Sign.calls);
    }
}
"""


def edit(old: str, new: str) -> str:
    return f"src/main/java/calc/Calc.java\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n"


FIX = edit("        return a < b ? a : b;", "        return Sign.negative(a - b) ? b : a;")  # Sign: from target/classes
WRONG = edit("        return a < b ? a : b;", "        return a > b ? b : a;")
BREAKS_ADD = FIX + edit("        return a + b;", "        return a - b;")  # fixes max, breaks add
NO_COMPILE = edit("        return a < b ? a : b;", "        return a.max(b);")


@pytest.fixture
def maven_project(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    shutil.copytree(FIXTURE, repo)
    (repo / "src/main/java/calc/Sign.java").write_text(SIGN)
    (repo / "src/test/java/calc/SignTest.java").write_text(SIGN_TEST)
    return repo


def verdict(result: object) -> tuple[str, list[str], list[str]]:
    return (result.status, sorted(result.still_failing), sorted(result.regressions))  # type: ignore[attr-defined]


def test_a_maven_project_is_validated_in_the_warm_jvm_with_the_build_tools_verdicts(maven_project: Path) -> None:
    checked = check_out(f"local:{maven_project}", DatasetOptions(test_cmd="mvn -B -q test"))
    try:
        bug, ws = checked.bug, checked.workspace
        assert checked.baseline is not None and bug.failing_tests == ["calc.CalcTest::maxOfTwo"]
        fast = FastPatchValidator(ws, bug, baseline=checked.baseline)
        try:
            runner = fast.runner
            assert isinstance(runner, ProjectJavaRunner)
            assert fast.baseline().failing == ["calc.CalcTest::maxOfTwo"] and not runner.disagreements
            fixed, wrong, broken = fast.validate(FIX), fast.validate(WRONG), fast.validate(BREAKS_ADD)
            assert fixed.plausible and fixed.tests_run == 4  # the failing test, then the suite of three
            assert verdict(wrong) == ("not-plausible", ["calc.CalcTest::maxOfTwo"], [])
            assert verdict(broken) == ("not-plausible", [], ["calc.CalcTest::addTwo"])
            failed = fast.validate(NO_COMPILE)
            assert failed.status == "build-failed" and "int cannot be dereferenced" in failed.build_output
            assert runner.builds == 0 and not runner.fallbacks and runner.fast_runs >= 6
            calc = "src/main/java/calc/Calc.java"
            assert ws.read_file(calc) == (FIXTURE / calc).read_text()  # every candidate was undone

            # The build tool's own verdict agrees, and leaves a patched Calc.class in target/classes
            # behind; the warm path notices the rebuilt class folder and compiles the project again.
            plain = PatchValidator(ws, bug, checked.runner, baseline=checked.baseline)
            assert verdict(plain.validate(WRONG)) == verdict(wrong)
            fast.syntax_cache.clear()
            fast.cache.clear()
            assert fast.validate(FIX).plausible and runner.builds == 1
            assert verdict(fast.validate(BREAKS_ADD)) == verdict(broken)
        finally:
            fast.close()
    finally:
        checked.close()
