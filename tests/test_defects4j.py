"""The Defects4J adapter on real bugs, through the real `defects4j` (built from ../shared/benchmarks).

One checkout per bug and module (Cli-1: an assertion failure with no project frame, so only coverage
can localize it; Codec-17: a NullPointerException inside the buggy method). The human patches come from
the framework's `projects/<P>/patches/<N>.src.patch`, read here, by the test, never by the product.
The recorded `failing_tests` files of Closure-14 and Lang-1 (projects not installed here) still check
the parser on traces of other projects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from repair.checkout import CheckedOutBug, check_out
from repair.datasets import defects4j
from repair.datasets.bug import Location
from repair.datasets.registry import resolve_bug
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.fault_localization import FaultLocalizer
from repair.fix_run import FixOptions, run_fix
from repair.validation import PatchValidator

FIXTURES = Path(__file__).parent / "fixtures" / "defects4j"
CLOSURE_TRIGGERS = [
    "com.google.javascript.jscomp.CheckMissingReturnTest::testIssue779",
    "com.google.javascript.jscomp.ControlFlowAnalysisTest::testDeepNestedFinally",
    "com.google.javascript.jscomp.ControlFlowAnalysisTest::testDeepNestedBreakwithFinally",
]
LANG_TRIGGER = "org.apache.commons.lang3.math.NumberUtilsTest::TestLang747"
CLI1_TRIGGER = "org.apache.commons.cli.bug.BugCLI13Test::testCLI13"
CODEC17_TRIGGER = "org.apache.commons.codec.binary.StringUtilsTest::testNewStringNullInput_CODEC229"
FL_TOP = 10  # the human patch's line must be among this many suspicious lines


def human_patch(framework: Path, project: str, number: int) -> str:
    """Defects4J's patch for the bug (it turns the fixed version into the buggy one)."""
    return (framework / "projects" / project / "patches" / f"{number}.src.patch").read_text()


@pytest.fixture(scope="module")
def codec17(defects4j_on_path: Path) -> Iterator[CheckedOutBug]:
    checked = check_out("Codec-17", discover_failing=False)
    yield checked
    checked.close()


# -- parsing and ids (no Defects4J needed) -----------------------------------------------------------
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


def test_human_patch_lines_and_reversal() -> None:
    fixed_to_buggy = (
        "--- a/src/A.java\n+++ b/src/A.java\n"
        "@@ -1,4 +1,4 @@\n a\n-fixed\n+buggy\n b\n c\n"
        "@@ -10,4 +10,3 @@\n x\n y\n-inserted by the fix\n z\n"
    )
    assert defects4j.changed_lines(fixed_to_buggy) == [
        Location("src/A.java", 2), Location("src/A.java", 11), Location("src/A.java", 12)]
    fix = defects4j.reverse_diff(fixed_to_buggy)
    assert "@@ -1,4 +1,4 @@\n a\n+fixed\n-buggy\n" in fix and "@@ -10,3 +10,4 @@" in fix


def test_properties_keep_no_fact_of_the_fix() -> None:
    written = defects4j.without_fix_facts(
        "d4j.bug.id=1\nd4j.classes.modified=org.x.A\nd4j.classes.relevant=org.x.A,org.x.B\n"
        "d4j.dir.src.classes=src/java\nd4j.dir.src.tests=src/test\nd4j.project.id=Cli\n"
        "d4j.tests.trigger=org.x.ATest::t\n")
    assert "org.x" not in written
    assert "d4j.classes.modified=\n" in written and "d4j.dir.src.classes=src/java" in written


# -- real checkouts --------------------------------------------------------------------------------
def test_workspace_holds_the_buggy_tree_and_nothing_from_the_future(cli1: CheckedOutBug) -> None:
    ws, bug = cli1.workspace, cli1.bug
    git = ["git", "-C", ws.path]
    refs = subprocess.run([*git, "for-each-ref", "--format=%(refname)"], capture_output=True, text=True, timeout=30)
    assert "D4J" not in refs.stdout and refs.stdout.strip()  # only the workspace's own branch and base tag
    log = subprocess.run([*git, "log", "--all", "--format=%s"], capture_output=True, text=True, timeout=30).stdout
    assert all(subject.startswith("repair") for subject in log.splitlines()), log  # no upstream history
    source = ws.read_file("src/java/org/apache/commons/cli/CommandLine.java")
    assert "return options.containsKey(opt);" in source  # the buggy line
    assert "options.contains( resolveOption(opt))" not in source  # the fixed one
    props = ws.read_file("defects4j.build.properties")
    assert "CommandLine" not in props and "trigger" not in props and "relevant" not in props
    found = subprocess.run(["grep", "-rlE", "D4J_Cli_1_|FIXED_VERSION|POST_FIX", "--exclude-dir=target", "."],
                           cwd=ws.path, capture_output=True, text=True, timeout=60)
    assert found.stdout == ""
    assert not ws.exists(defects4j.CHECKOUT_DIR) and ws.diff() == ""
    assert bug.failing_tests == [CLI1_TRIGGER] and bug.program_files == []
    assert bug.is_test_path("src/test/org/apache/commons/cli/bug/BugCLI13Test.java")
    assert bug.is_test_path("defects4j.build.properties") and bug.is_test_path("build.xml")


def test_meta_carries_the_build_layout(cli1: CheckedOutBug) -> None:
    meta = cli1.bug.meta
    assert (meta["src_dir"], meta["test_dir"]) == ("src/java", "src/test")
    assert (meta["bin_classes"], meta["bin_tests"]) == ("target/classes", "target/test-classes")
    assert meta["test_env"] == {"TZ": "America/Los_Angeles"}
    assert f"{cli1.workspace.path}/target/test-classes" in meta["test_classpath"].split(":")
    assert f"{cli1.workspace.path}/target/classes" in meta["compile_classpath"].split(":")
    assert "org.apache.commons.cli.bug.BugCLI13Test" in meta["test_classes"].splitlines()


def test_baseline_fails_exactly_the_trigger_test(cli1: CheckedOutBug) -> None:
    report = cli1.runner.run()
    assert report.build_ok, report.build_output[-2000:]
    assert report.failing == [CLI1_TRIGGER]
    assert len(report.results) > 90  # every developer test ran, not only the "relevant" ones
    assert cli1.workspace.diff() == ""  # build outputs and result files never show up as changes


def fl_rank(checked: CheckedOutBug, truth: list[Location]) -> tuple[int | None, FaultLocalizer]:
    localizer = FaultLocalizer()
    suspects = localizer.localize(checked.bug, checked.workspace, checked.runner)
    lines = {(loc.file, loc.line) for loc in truth}
    rank = next((i for i, s in enumerate(suspects, 1) if (s.file, s.line) in lines), None)
    return rank, localizer


def test_coverage_localizes_an_assertion_failure_with_no_project_frame(cli1: CheckedOutBug,
                                                                       defects4j_on_path: Path) -> None:
    truth = defects4j.changed_lines(human_patch(defects4j_on_path, "Cli", 1))
    rank, localizer = fl_rank(cli1, truth)
    assert localizer.matrix is not None and len(localizer.matrix.tests) > 90
    assert [t.test_id for t in localizer.matrix.failing] == [CLI1_TRIGGER]
    assert "stack traces: 0 project lines" in localizer.notes
    assert rank is not None and rank <= FL_TOP, (rank, localizer.notes)


def test_the_human_fix_of_cli_1_is_plausible(cli1: CheckedOutBug, defects4j_on_path: Path) -> None:
    fix = defects4j.reverse_diff(human_patch(defects4j_on_path, "Cli", 1))
    result = PatchValidator(cli1.workspace, cli1.bug, cli1.runner).validate(fix)
    assert result.plausible, result.describe()
    assert result.fixed == [CLI1_TRIGGER]
    assert cli1.workspace.diff() == ""  # reverted


@pytest.mark.timeout(900)
def test_codec_17_end_to_end(codec17: CheckedOutBug, defects4j_on_path: Path, tmp_path: Path) -> None:
    # An exception inside the buggy method: the stack trace and coverage agree on it.
    patch = human_patch(defects4j_on_path, "Codec", 17)
    baseline = codec17.runner.run()
    # The trigger test fails; so does a test that also fails on the fixed version under JDK 17 (the validator
    # judges against this baseline, so it is no regression).
    assert baseline.build_ok and CODEC17_TRIGGER in baseline.failing and len(baseline.failing) <= 2
    assert "NullPointerException" in baseline.results[CODEC17_TRIGGER].trace
    codec17.baseline = baseline
    rank, localizer = fl_rank(codec17, defects4j.changed_lines(patch))
    assert rank is not None and rank <= 3, (rank, localizer.notes)
    result = PatchValidator(codec17.workspace, codec17.bug, codec17.runner, baseline=baseline).validate(
        defects4j.reverse_diff(patch))
    assert result.plausible, result.describe()
    # The offline engine on the same checkout (its baseline and coverage are reused).
    outcome = run_fix(FixOptions(codec17.bug.id, model="offline", max_seconds=10, runs_dir=str(tmp_path),
                                 reports=False), checked=codec17)
    summary = json.loads((outcome.run_dir / "result.json").read_text())
    assert summary["status"] in ("plausible", "failed") and summary["search"]["lines_tried"] >= 1
    assert codec17.workspace.diff() == ""


def _cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "repair.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.mark.timeout(900)
def test_repair_fix_runs_the_offline_engine_on_a_real_bug(defects4j_on_path: Path, tmp_path: Path) -> None:
    # --max-seconds counts the checkout and the baseline test run too: they took Cli-1 90 s on a busy machine.
    done = _cli(["fix", "--bug", "Cli-1", "--model", "offline", "--max-seconds", "120",
                 "--runs-dir", str(tmp_path)], dict(os.environ), timeout=850)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    results = list(tmp_path.glob("*/*/result.json"))
    assert len(results) == 1, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(results[0].read_text())
    assert summary["bug"] == "defects4j:Cli-1" and summary["status"] in ("plausible", "failed")
    assert summary["tests_before"]["failing"] == [CLI1_TRIGGER]
    steps = [json.loads(line) for line in (results[0].parent / "trajectory.jsonl").read_text().splitlines()]
    localized = [step for step in steps if step.get("tool") == "run_fault_localization"]
    assert localized and "suspicious lines" in localized[0]["result"]  # coverage found where to try templates


# -- errors ----------------------------------------------------------------------------------------
def test_checkout_without_defects4j_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(DatasetUnavailableError, match="Defects4J is not available"):
        check_out("Closure-14", discover_failing=False)


def test_cli_without_defects4j_or_docker_prints_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not os.path.exists(f"{p}/defects4j"))
    env["REPAIR_CACHE_DIR"] = str(tmp_path)
    done = _cli(["test", "Closure-14"], env)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "Defects4J is not available" in lines[0] and "--backend docker" in lines[0]


def test_failures_are_one_line_and_name_a_missing_perl_module() -> None:
    perl = "Can't locate DBI.pm in @INC (you may need to install the DBI module) (@INC contains: /etc/perl)\n at x"
    assert "the perl module DBI is missing" in defects4j.failure_line("checkout", perl)
    line = defects4j.failure_line("compile", "BUILD FAILED\n  /x/build.xml:12: error\n")
    assert line == "defects4j compile failed: BUILD FAILED /x/build.xml:12: error"


def test_checkout_of_an_unknown_version_is_one_clear_error(defects4j_on_path: Path) -> None:
    with pytest.raises(DatasetUnavailableError, match="defects4j checkout failed"):
        check_out("Cli-6", discover_failing=False)  # Cli-6 is deprecated: Defects4J refuses it
