"""Patch review reports of a real offline run (demo:is_sorted), checked as Markdown and in a headless Chromium;
ground-truth matching and its labels; the overfitting check with a held-out test, and without one."""

from __future__ import annotations

import difflib
import json
import shutil
import struct
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repair.cli import app
from repair.containers.process import run_process
from repair.datasets.demo import DEMO_ROOT, DemoDataset
from repair.datasets.quixbugs import QuixBugsDataset
from repair.fix_run import FixOptions, run_fix
from repair.overfitting import NO_HELD_OUT_TESTS, check_against_fixed_version
from repair.reports import ground_truth_match, match_label, write_run_reports
from repair.reports.patch_match import normalised
from repair.reports.summary import render_html, render_markdown, totals

FIXED_LINE = "        if items[i - 1] > items[i]:"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def read_demo(path: str) -> str | None:
    file = DEMO_ROOT / path
    return file.read_text() if file.is_file() else None


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    outcome = run_fix(FixOptions("demo:is_sorted", model="offline", runs_dir=str(runs)))
    assert outcome.summary["status"] == "plausible", outcome.summary["reason"]
    write_run_reports(outcome.run_dir)
    return outcome.run_dir


def test_markdown_report(run_dir: Path) -> None:
    text = (run_dir / "report.md").read_text()
    assert text.startswith("# Patch review: demo:is_sorted")
    assert "python_testcases/test_is_sorted.py::test_with_duplicates" in text or "test_with_duplicates" in text
    assert "**plausible**" in text and "matches the ground truth (the same program text)" in text
    assert "```diff" in text and "+" + FIXED_LINE in text
    assert "## Fault localization" in text and "python_programs/is_sorted.py:4" in text
    assert "| 1 | understand |" in text  # the timeline starts in the FSM's first state
    assert "tokens:" in text and "cost: $" in text
    review = json.loads((run_dir / "review.json").read_text())
    assert review["ground_truth"] == "exact" and review["fault_localization"]


def test_html_report_is_self_contained(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert "<script" not in html and "<link" not in html
    assert "https://" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_html_report_in_headless_chromium(run_dir: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    url = (run_dir / "report.html").as_uri()
    flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = run_process([*flags, "--dump-dom", url], cwd=tmp_path, timeout=90)
    assert dom.ok, dom.output[-2000:]
    page = dom.stdout
    # The diff, highlighted line by line, and the FL chart as rendered SVG with bars.
    assert '<pre class="diff" id="diff">' in page
    assert f'<span class="add">+{FIXED_LINE}</span>' in page.replace("&gt;", ">")
    assert '<span class="del">-' in page
    chart = page[page.index('id="fl-chart"'):]
    assert "<rect" in chart and "python_programs/is_sorted.py:4" in chart
    assert 'id="timeline"' in page and "goal_accomplished" in page

    shot = tmp_path / "report.png"
    taken = run_process([*flags, f"--screenshot={shot}", "--window-size=1200,2400", "--hide-scrollbars", url],
                        cwd=tmp_path, timeout=90)
    assert taken.ok and shot.is_file(), taken.output[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1200, 2400)
    assert len(data) > 20_000  # a blank page of that size compresses to a few kB


def test_ground_truth_match_ignores_what_the_fix_changed_besides_code(quixbugs_root: Path) -> None:
    # QuixBugs' corrected gcd.py drops the buggy file's trailing docstring along with the one-line fix.
    bug = QuixBugsDataset("python", quixbugs_root).get("quixbugs-python:gcd")
    assert bug.fix_patch is not None and '-"""' in bug.fix_patch

    def read(path: str) -> str | None:
        file = quixbugs_root / path
        return file.read_text() if file.is_file() else None

    buggy = read("python_programs/gcd.py") or ""
    fixed = buggy.replace("return gcd(a % b, b)", "return gcd(b, a % b)")
    code_only = "".join(difflib.unified_diff(buggy.splitlines(True), fixed.splitlines(True),
                                             "a/python_programs/gcd.py", "b/python_programs/gcd.py"))
    assert ground_truth_match(code_only, bug.fix_patch, read) == "ast"
    wrong = code_only.replace("+        return gcd(b, a % b)", "+        return gcd(b, b % a)")
    assert ground_truth_match(wrong, bug.fix_patch, read) == "differs"


def test_ground_truth_match_exact_ast_differs() -> None:
    truth = (DEMO_ROOT / "fixes" / "is_sorted.diff").read_text()
    assert ground_truth_match(truth, truth, read_demo) == "exact"
    reformatted = truth.replace("+" + FIXED_LINE, "+        if (items[i-1] > items[i]):  # strictly decreasing")
    assert ground_truth_match(reformatted, truth, read_demo) == "ast"
    other = truth.replace("+" + FIXED_LINE, "+        if items[i] < items[i - 1]:")
    assert ground_truth_match(other, truth, read_demo) == "differs"
    java = (DEMO_ROOT / "fixes" / "BINARY_SEARCH.diff").read_text()
    spaced = java.replace("+        while (lo <= hi) {", "+        while (lo<=hi) { // include hi")
    assert ground_truth_match(spaced, java, read_demo) == "ast"
    assert ground_truth_match("not a diff", java, read_demo) == "differs"


def test_a_one_statement_block_and_the_bare_statement_are_the_same_java() -> None:
    braces = "class A { String f(String s) { if (s == null) {\n return null;\n }\n return s; } }"
    bare = "class A { String f(String s) { if (s == null) return null; return s; } }"
    assert normalised("A.java", braces) == normalised("A.java", bare)
    two = "class A { String f(String s) { if (s == null) { g(); return null; } return s; } }"
    assert normalised("A.java", two) != normalised("A.java", "class A { String f(String s) { if (s == null) g(); "
                                                              "return null; return s; } }")


HELD_OUT_TEST = """\
--- /dev/null
+++ b/python_testcases/test_is_sorted_held_out.py
@@ -0,0 +1,5 @@
+from python_programs.is_sorted import is_sorted
+
+
+def test_two_increasing():
+    assert is_sorted([1, 2]) is True
"""

# Passes the seven visible tests by remembering their inputs: plausible, and wrong.
OVERFITTING_PATCH = """\
--- a/python_programs/is_sorted.py
+++ b/python_programs/is_sorted.py
@@ -1,6 +1,3 @@
 def is_sorted(items):
     \"\"\"Return True if ``items`` is in non-decreasing order.\"\"\"
-    for i in range(1, len(items)):
-        if items[i - 1] >= items[i]:
-            return False
-    return True
+    return list(items) in ([], [4], [1, 2, 3, 8], [1, 1, 2, 5], [2, 2, 2])
"""


def test_overfitting_check_runs_the_fixed_versions_held_out_test() -> None:
    dataset = DemoDataset()
    bug = dataset.get("demo:is_sorted")
    bug = replace(bug, fix_patch=(bug.fix_patch or "") + HELD_OUT_TEST)

    overfit = check_against_fixed_version(bug, dataset, OVERFITTING_PATCH)
    assert overfit.overfitting is True, overfit.note
    assert overfit.held_out_tests == ["python_testcases/test_is_sorted_held_out.py"]
    assert any("test_two_increasing" in t for t in overfit.failing)

    correct = check_against_fixed_version(bug, dataset, (DEMO_ROOT / "fixes" / "is_sorted.diff").read_text())
    assert correct.overfitting is False and "held-out" in correct.note


def test_overfitting_check_without_held_out_tests_does_not_rerun_the_bugs_own() -> None:
    # The demo fixes change no test: the fixed version's suite is the one the patch already passed.
    dataset = DemoDataset()
    verdict = check_against_fixed_version(dataset.get("demo:is_sorted"), dataset, OVERFITTING_PATCH)
    assert verdict.overfitting is None and verdict.note == NO_HELD_OUT_TESTS and verdict.tests_run == 0


def record(bug: str, status: str, ground_truth: str | None, overfitting: dict | None) -> dict:
    return {"bug": bug, "status": status, "ground_truth": ground_truth, "overfitting": overfitting,
            "patch": "diff --git a/x b/x\n" if status == "plausible" else "", "run_dir": f"runs/{bug}",
            "cycles": 5, "cost_usd": 0.0, "wall_seconds": 1.0, "tools": {}}


def test_batch_summary_labels_say_what_was_checked() -> None:
    records = [
        record("demo:a", "plausible", "exact", {"overfitting": None, "note": NO_HELD_OUT_TESTS}),
        record("demo:b", "plausible", "ast", {"overfitting": False, "note": "passes", "failing": []}),
        record("demo:c", "plausible", "differs", {"overfitting": True, "note": "fails", "failing": ["t1", "t2"]}),
        record("local:d", "plausible", None, None),
        record("demo:e", "failed", None, None),
    ]
    t = totals(records)
    assert (t.plausible, t.correct, t.differs, t.no_ground_truth, t.overfitting) == (4, 2, 1, 1, 1)
    assert t.line() == ("5 bugs: 4 plausible (2 match the ground truth, 1 differ from it, 1 have no ground truth); "
                        "1 fail the held-out tests of the real fix")
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[2:4]
            for line in render_markdown(records).splitlines() if line.startswith("| demo:") or
            line.startswith("| local:")}
    assert rows == {"demo:a": ["matches the ground truth", "none held out"],
                    "demo:b": ["matches the ground truth", "pass"],
                    "demo:c": ["differs from the ground truth", "fails 2"],
                    "local:d": ["no ground truth", "not run"], "demo:e": ["-", "not run"]}
    html = render_html(records)
    assert "matches the ground truth" in html and ">ok<" not in html
    assert match_label(None) == "no ground truth"


def test_report_command_rewrites_the_reports(run_dir: Path) -> None:
    (run_dir / "report.md").unlink()
    (run_dir / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.md").is_file() and (run_dir / "report.html").is_file()


def test_report_on_a_directory_without_a_run_is_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "repair.cli", "report", str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "is not a run directory" in proc.stderr and "Traceback" not in proc.stderr
