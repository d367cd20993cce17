"""The Defects4J adapter against recorded CLI outputs.

The real Defects4J cannot be installed offline here (init.sh clones every project and downloads
its build tools), so a fake `defects4j` (tests/fixtures/defects4j/bin) that replays outputs
recorded from the real framework for Closure-14 and Lang-1 is put first on PATH. The
`failing_tests` files are verbatim copies of the public repository's trigger_tests metadata.
Everything else is real: LocalWorkspace with git, the runner, the validator and the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.datasets import defects4j
from repair.datasets.registry import resolve_bug
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.validation import PatchValidator

FIXTURES = Path(__file__).parent / "fixtures" / "defects4j"
CLOSURE_TRIGGERS = [
    "com.google.javascript.jscomp.CheckMissingReturnTest::testIssue779",
    "com.google.javascript.jscomp.ControlFlowAnalysisTest::testDeepNestedFinally",
    "com.google.javascript.jscomp.ControlFlowAnalysisTest::testDeepNestedBreakwithFinally",
]
LANG_TRIGGER = "org.apache.commons.lang3.math.NumberUtilsTest::TestLang747"


@pytest.fixture
def fake_d4j(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The replaying `defects4j` first on PATH; returns the log of its calls."""
    log = tmp_path / "d4j-calls.jsonl"
    monkeypatch.setenv("PATH", f"{FIXTURES / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_D4J_LOG", str(log))
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))
    return log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_parses_the_recorded_failing_tests_files() -> None:
    closure = defects4j.parse_failing_tests((FIXTURES / "Closure-14" / "failing_tests").read_text())
    assert [e.test_id for e in closure] == CLOSURE_TRIGGERS
    assert closure[1].message == "junit.framework.AssertionFailedError: No cross edges found"
    assert "ControlFlowAnalysisTest.java:1118" in closure[1].trace
    lang = defects4j.parse_failing_tests((FIXTURES / "Lang-1" / "failing_tests").read_text())
    assert [e.test_id for e in lang] == [LANG_TRIGGER]
    assert lang[0].message == 'java.lang.NumberFormatException: For input string: "80000000"'
    assert defects4j.parse_all_tests("testIssue779(com.google.javascript.jscomp.CheckMissingReturnTest)\n") == [
        CLOSURE_TRIGGERS[0]]


def test_bug_ids_long_and_short_forms() -> None:
    dataset, bug = resolve_bug("Closure-14")
    assert bug.id == "defects4j:Closure-14" and dataset.name == "defects4j"
    assert resolve_bug("defects4j:Lang-1")[1].meta["project"] == "Lang"
    assert resolve_bug("closure-14")[1].id == "defects4j:Closure-14"
    with pytest.raises(UnknownBugError, match="has bugs 1..176"):
        resolve_bug("defects4j:Closure-500")
    with pytest.raises(UnknownBugError, match="unknown Defects4J project"):
        resolve_bug("defects4j:Nope-1")


def test_checkout_issues_the_defects4j_commands_and_fills_the_bug(fake_d4j: Path) -> None:
    checked = check_out("Closure-14", discover_failing=False)
    try:
        bug, ws = checked.bug, checked.workspace
        assert bug.failing_tests == CLOSURE_TRIGGERS
        assert bug.program_files == ["src/com/google/javascript/jscomp/ControlFlowAnalysis.java"]
        assert bug.meta["src_dir"] == "src" and bug.meta["test_dir"] == "test"
        assert bug.meta["test_classpath"].startswith(f"{ws.path}/build/classes:")
        assert (bug.meta["bin_classes"], bug.meta["bin_tests"]) == ("build/classes", "build/test")
        assert bug.meta["test_env"] == {"TZ": "America/Los_Angeles"}
        assert bug.is_test_path("test/com/google/javascript/jscomp/ControlFlowAnalysisTest.java")
        assert ws.exists(".defects4j.config") and not ws.exists(defects4j.CHECKOUT_DIR)
        assert ws.diff() == ""
        log = calls(fake_d4j)
        assert log[0]["argv"] == ["checkout", "-p", "Closure", "-v", "14b", "-w",
                                  f"{ws.path}/{defects4j.CHECKOUT_DIR}"]
        assert [c["argv"] for c in log[1:]] == [
            ["export", "-p", p] for p in
            ("dir.src.classes", "dir.src.tests", "tests.trigger", "classes.modified", "cp.test", "dir.bin.classes",
             "dir.bin.tests")]
        assert {c["tz"] for c in log} == {"America/Los_Angeles"}
        assert all(c["cwd"] == ws.path for c in log[1:])
    finally:
        checked.close()


def test_runner_reports_recorded_failures_and_single_tests(fake_d4j: Path) -> None:
    checked = check_out("defects4j:Closure-14", discover_failing=False)
    try:
        full = checked.runner.run()
        assert full.build_ok and sorted(full.failing) == sorted(CLOSURE_TRIGGERS)
        assert "CheckMissingReturnTest.java:195" in full.results[CLOSURE_TRIGGERS[0]].trace
        one = checked.runner.run(tests=[CLOSURE_TRIGGERS[1]])
        assert one.failing == [CLOSURE_TRIGGERS[1]]
        issued = [c["argv"] for c in calls(fake_d4j)][8:]
        assert issued == [["compile"], ["test", "-r"], ["compile"], ["test", "-t", CLOSURE_TRIGGERS[1]]]
        # Build outputs of `defects4j test` never show up as changes.
        assert checked.workspace.diff() == ""
    finally:
        checked.close()


def test_validates_the_ground_truth_shape_of_a_fix_for_lang_1(fake_d4j: Path) -> None:
    checked = check_out("Lang-1")
    try:
        ws = checked.workspace
        assert checked.bug.failing_tests == [LANG_TRIGGER]
        path = "src/main/java/org/apache/commons/lang3/math/NumberUtils.java"
        ws.write_file(path, ws.read_file(path).replace(
            "        final int hexDigits = str.length();\n",
            "        char firstSigDigit = str.charAt(0);\n        final int hexDigits = str.length();\n"))
        patch = ws.diff()
        ws.restore()
        validator = PatchValidator(ws, checked.bug, checked.runner)
        result = validator.validate(patch)
        assert result.plausible, result.describe()
        assert result.fixed == [LANG_TRIGGER]
        assert ws.diff() == ""  # the validator reverted the patch
    finally:
        checked.close()


def test_checkout_without_defects4j_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(DatasetUnavailableError, match="Defects4J is not available"):
        check_out("Closure-14", discover_failing=False)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "repair.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_without_defects4j_or_docker_prints_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "FAKE_D4J_LOG")}
    # Every folder that holds a `defects4j` leaves PATH (a local install's shim folder too).
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if "defects4j" not in p and not (Path(p) / "defects4j").exists())
    env["REPAIR_CACHE_DIR"] = str(tmp_path)
    done = _cli(["test", "Closure-14"], env)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "Defects4J is not available" in lines[0] and "--backend docker" in lines[0]


def test_cli_test_command_with_the_recorded_framework(fake_d4j: Path) -> None:
    done = _cli(["test", "Lang-1"], dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "TestLang747" in done.stdout and "1 fail" in done.stdout
