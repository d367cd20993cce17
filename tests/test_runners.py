"""Test runners against real javac/JUnit and pytest: statuses, timeouts, no stray processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from repair.checkout import CheckedOutBug, check_out
from repair.containers import LocalWorkspace
from repair.runners import TestSetup, TestStatus, make_test_runner, parse_junit_xml, setup_from_command


def _stray(pattern: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if pattern in line and "ps -eo" not in line]


@pytest.fixture(scope="module")
def gcd_loop() -> CheckedOutBug:
    checked = check_out("demo:GCD_LOOP", discover_failing=False)
    yield checked
    checked.close()


def test_junit_hanging_tests_are_timeouts_and_leave_no_jvm(gcd_loop: CheckedOutBug) -> None:
    report = gcd_loop.runner.run()
    hanging = set(gcd_loop.bug.meta["hanging_tests"])
    assert hanging and {t for t, r in report.results.items() if r.status == TestStatus.TIMEOUT} == hanging
    assert len(report.passing) == 2
    assert not _stray(gcd_loop.workspace.path)


def test_junit_single_method_and_fail_fast(gcd_loop: CheckedOutBug) -> None:
    first = sorted(gcd_loop.bug.failing_tests)
    report = gcd_loop.runner.run(tests=first, fail_fast=True)
    assert len(report.results) == 1 and report.results[first[0]].status == TestStatus.TIMEOUT


def test_junit_build_failure_is_reported(tmp_path: Path) -> None:
    checked = check_out("demo:BINARY_SEARCH", discover_failing=False)
    try:
        path = "java_programs/BINARY_SEARCH.java"
        checked.workspace.write_file(path, checked.workspace.read_file(path).replace("int lo = 0;", "int lo = ;"))
        report = checked.runner.run()
        assert not report.build_ok and "BINARY_SEARCH.java" in report.build_output
    finally:
        checked.close()


def test_pytest_statuses_and_timeouts() -> None:
    checked = check_out("demo:digit_sum", discover_failing=False)
    try:
        report = checked.runner.run()
        statuses = {t.split("::")[1]: r.status for t, r in report.results.items()}
        assert statuses["test_multi_digit"] == TestStatus.TIMEOUT
        assert statuses["test_trailing_zero"] == TestStatus.FAIL
        assert statuses["test_zero"] == TestStatus.PASS
        assert sorted(report.failing) == sorted(checked.bug.failing_tests)
        assert not _stray(checked.workspace.path)
    finally:
        checked.close()


def test_pytest_error_versus_failure(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "def test_fail():\n    assert 1 == 2\n\ndef test_error():\n    raise KeyError('k')\n\n"
        "def test_ok():\n    pass\n")
    with LocalWorkspace.create(tmp_path) as ws:
        report = make_test_runner(ws, TestSetup("pytest", test_files=("test_x.py",))).run()
    assert report.results["test_x.py::test_fail"].status == TestStatus.FAIL
    assert report.results["test_x.py::test_error"].status == TestStatus.ERROR
    assert "KeyError" in report.results["test_x.py::test_error"].message
    assert report.results["test_x.py::test_ok"].status == TestStatus.PASS


def test_surefire_xml_is_parsed() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="org.example.CalcTest" tests="3" failures="1" errors="1" skipped="0">
  <testcase name="testAdd" classname="org.example.CalcTest" time="0.01"/>
  <testcase name="testSub" classname="org.example.CalcTest" time="0.02">
    <failure message="expected:&lt;1&gt; but was:&lt;2&gt;" type="java.lang.AssertionError">
java.lang.AssertionError: expected:&lt;1&gt; but was:&lt;2&gt;
	at org.example.CalcTest.testSub(CalcTest.java:14)</failure>
  </testcase>
  <testcase name="testLoop" classname="org.example.CalcTest" time="5.0">
    <error message="test timed out after 5000 milliseconds" type="org.junit.runners.model.TestTimedOutException"/>
  </testcase>
</testsuite>"""
    report = parse_junit_xml(xml)
    assert report.results["org.example.CalcTest::testAdd"].status == TestStatus.PASS
    sub = report.results["org.example.CalcTest::testSub"]
    assert sub.status == TestStatus.FAIL and "CalcTest.java:14" in sub.trace
    assert report.results["org.example.CalcTest::testLoop"].status == TestStatus.TIMEOUT


def test_command_runner_and_detection(tmp_path: Path) -> None:
    assert setup_from_command("pytest -q tests/").framework == "pytest"
    assert setup_from_command("mvn -q test").framework == "maven"
    assert setup_from_command("./gradlew test").framework == "gradle"
    setup = setup_from_command("sh -c 'exit 3'", total_timeout=30)
    assert setup.framework == "command"
    with LocalWorkspace.create(tmp_path) as ws:
        report = make_test_runner(ws, setup).run()
    assert report.failing == ["<sh -c 'exit 3'>"]


def test_maven_surefire_run_is_read_back_per_test(tmp_path: Path) -> None:
    # A real `mvn test` on a two-test project; Maven Central (or a warm ~/.m2) provides the plugins.
    import shutil

    if not shutil.which("mvn"):
        pytest.skip("mvn is not installed")
    fixture = Path(__file__).parent / "fixtures" / "maven_calc"
    with LocalWorkspace.create(fixture) as ws:
        runner = make_test_runner(ws, setup_from_command("mvn -B -q test", total_timeout=240))
        report = runner.run()
        assert report.results["calc.CalcTest::maxOfTwo"].status == TestStatus.FAIL
        assert report.results["calc.CalcTest::addTwo"].status == TestStatus.PASS
        assert "expected:<5> but was:<3>" in report.results["calc.CalcTest::maxOfTwo"].message
        only = runner.run(tests=["calc.CalcTest::addTwo"])
        assert list(only.results) == ["calc.CalcTest::addTwo"]


def test_pytest_options_keep_their_values() -> None:
    setup = setup_from_command("pytest -q -k add tests/test_calc.py --tb short -x -p no:warnings")
    assert setup.test_files == ("tests/test_calc.py",)
    assert setup.extra_args == ("-k", "add", "--tb", "short", "-p", "no:warnings")
