"""Candidates of a real Defects4J bug validated without Defects4J per candidate (the local Defects4J, real Cli-5).

`defects4j compile` and `defects4j test` run once, for the baseline; each candidate is then compiled
alone against the checkout's classes (`dir.bin.classes`, `cp.test`) and tested in the warm JVM.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from repair.checkout import CheckedOutBug, check_out
from repair.fast_validation import FastPatchValidator
from repair.runners.fast_java import ProjectJavaRunner

pytestmark = pytest.mark.skipif(not shutil.which("defects4j"), reason="the local Defects4J is not on PATH")
UTIL = "src/java/org/apache/commons/cli/Util.java"
TRIGGERS = ["org.apache.commons.cli.UtilTest::testStripLeadingHyphens",
            "org.apache.commons.cli.bug.BugCLI133Test::testOrder"]


def edit(old: str, new: str) -> str:
    return f"{UTIL}\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n"


HUMAN_FIX = edit('        if (str.startsWith("--"))',
                 '        if (str == null) {\n            return null;\n        }\n        if (str.startsWith("--"))')
WRONG = edit('        if (str.startsWith("--"))', '        if (str.startsWith("-"))')
HANGS = edit('        if (str.startsWith("--"))', '        while (str != null) { }\n        if (str.startsWith("--"))')
NO_COMPILE = edit('        if (str.startsWith("--"))', '        if (str.startsWith(2))')


@pytest.fixture(scope="module")
def cli5() -> Iterator[CheckedOutBug]:
    checked = check_out("defects4j:Cli-5", discover_failing=False)
    checked.baseline = checked.runner.run()  # `defects4j test`: builds the checkout once
    yield checked
    checked.close()


def test_defects4j_candidates_are_judged_in_the_warm_jvm_without_defects4j(cli5: CheckedOutBug) -> None:
    bug, ws = cli5.bug, cli5.workspace
    assert sorted(bug.failing_tests) == TRIGGERS and cli5.baseline is not None
    fast = FastPatchValidator(ws, bug, baseline=cli5.baseline)
    try:
        runner = fast.runner
        assert isinstance(runner, ProjectJavaRunner)
        calibrated = fast.baseline()
        assert sorted(calibrated.failing) == TRIGGERS and not runner.disagreements
        assert len(calibrated.results) == len(cli5.baseline.results) > 50
        fixed = fast.validate(HUMAN_FIX)
        assert fixed.plausible and fixed.tests_run > 50
        wrong = fast.validate(WRONG)
        assert wrong.status == "not-plausible" and wrong.still_failing
        # Calibration timed the tests: a candidate that loops forever costs seconds, not Defects4J's limit.
        assert runner.setup.per_test_timeout < bug.test_setup.per_test_timeout
        started = time.monotonic()
        hangs = fast.validate(HANGS)
        assert hangs.status == "not-plausible" and time.monotonic() - started < 4 * runner.setup.per_test_timeout + 10
        broken = fast.validate(NO_COMPILE)
        assert broken.status == "build-failed" and "Util.java" in broken.build_output
        # Defects4J was not run again: no build of the checkout, no fallback to `defects4j test`.
        assert runner.builds == 0 and not runner.fallbacks
        assert ws.read_file(UTIL).count("str.startsWith(\"--\")") == 1 and "str == null" not in ws.read_file(UTIL)
    finally:
        fast.close()
