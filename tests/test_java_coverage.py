"""Per-test JaCoCo coverage for every Java build: here Maven (a real `mvn` on a two-test project).

The javac + JUnit 4 build is covered by test_fault_localization_demo.py and Defects4J's ant build by
test_defects4j.py; all three run the tests in our own coverage runner on the classes the build made.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repair.containers.local import LocalWorkspace
from repair.datasets.bug import Bug
from repair.fault_localization import FaultLocalizer
from repair.fault_localization.java_layout import JavaTestLayout
from repair.runners import make_test_runner, setup_from_command
from repair.runners.build_tool import maven_options

MAVEN_FIXTURE = Path(__file__).parent / "fixtures" / "maven_calc"


def test_maven_options_drop_goals_and_test_selection() -> None:
    assert maven_options("mvn -B -q clean test -Dtest=CalcTest -P ci -pl core -Dmaven.compiler.source=8") == [
        "mvn", "-B", "-q", "-P", "ci", "-pl", "core", "-Dmaven.compiler.source=8"]
    assert maven_options(None) == ["mvn", "-B", "-q"]


def test_run_classpath_puts_our_tools_first_and_keeps_each_entry_once() -> None:
    layout = JavaTestLayout(classes_dirs=("target/classes", "target/test-classes"),
                            classpath=("junit-3.8.1.jar", "target/classes", "dep.jar"), test_classes=("ATest",))
    assert layout.run_classpath(first=("tools", "junit-4.jar")) == [
        "tools", "junit-4.jar", "target/classes", "target/test-classes", "junit-3.8.1.jar", "dep.jar"]


@pytest.mark.skipif(shutil.which("mvn") is None, reason="mvn is not installed")
def test_maven_project_gets_per_test_line_coverage_and_full_traces() -> None:
    with LocalWorkspace.create(MAVEN_FIXTURE) as ws:
        setup = setup_from_command("mvn -B -q test", total_timeout=600)
        bug = Bug("local:calc", "local", "java", setup)
        localizer = FaultLocalizer()
        suspects = localizer.localize(bug, ws, make_test_runner(ws, setup))
        assert localizer.matrix is not None, localizer.notes
        assert sorted(localizer.matrix.tests) == ["calc.CalcTest::addTwo", "calc.CalcTest::maxOfTwo"]
        failing = localizer.matrix.failing
        assert [t.test_id for t in failing] == ["calc.CalcTest::maxOfTwo"]
        assert ("src/main/java/calc/Calc.java", 5) in failing[0].lines
        assert "calc.CalcTest.maxOfTwo(CalcTest.java:10)" in failing[0].trace  # not trimmed
        assert (suspects[0].file, suspects[0].line) == ("src/main/java/calc/Calc.java", 5)
        assert suspects[0].method == "Calc.max"
