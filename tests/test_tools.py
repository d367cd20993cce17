"""Each of the 14 tools on real demo checkouts (real javac/JUnit, real pytest, real git)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from repair.checkout import check_out
from repair.fix_run import make_context
from repair.fsm import State
from repair.models import ScriptedModel
from repair.tools import ToolContext, ToolOptions, all_tools

TOOLS = all_tools()
JAVA = "java_programs/BINARY_SEARCH.java"
PY = "python_programs/is_sorted.py"


def _context(bug_id: str) -> Iterator[ToolContext]:
    checked = check_out(bug_id)
    try:
        yield make_context(checked)
    finally:
        checked.close()


@pytest.fixture(scope="module")
def java() -> Iterator[ToolContext]:
    yield from _context("demo:BINARY_SEARCH")


@pytest.fixture(scope="module")
def py() -> Iterator[ToolContext]:
    yield from _context("demo:is_sorted")


def run(ctx: ToolContext, name: str, **args: object):  # type: ignore[no-untyped-def]
    return TOOLS[name].run(dict(args), ctx)


def test_read_range_is_numbered_bounded_and_explains_bad_ranges(java: ToolContext) -> None:
    result = run(java, "read_range", file="BINARY_SEARCH.java", start=7, end=7)  # a bare name resolves
    assert result.ok and "7 |         while (lo < hi) {" in result.text
    long = run(java, "read_range", file=JAVA, start=1, end=500)
    assert long.ok and "lines 1-19 of 19" in long.text
    bad = run(java, "read_range", file=JAVA, start=40, end=50)
    assert not bad.ok and bad.malformed and "has 19 lines" in bad.text
    missing = run(java, "read_range", file="Nope.java", start=1, end=2)
    assert not missing.ok and "no file 'Nope.java'" in missing.text


def test_get_classes_and_methods_java_and_python(java: ToolContext, py: ToolContext) -> None:
    jtext = run(java, "get_classes_and_methods", file=JAVA).text
    assert "class BINARY_SEARCH (lines 3-19)" in jtext
    assert "method BINARY_SEARCH.binary_search (lines 4-18): public static int binary_search(int[] arr, int x)" in jtext
    assert "method is_sorted (lines 1-6): def is_sorted(items)" in run(py, "get_classes_and_methods", file=PY).text


def test_extract_method_by_name(java: ToolContext, py: ToolContext) -> None:
    text = run(java, "extract_method", file=JAVA, method_name="binary_search").text
    assert " 4 |     public static int binary_search" in text and "18 |     }" in text
    missing = run(py, "extract_method", file=PY, method_name="sort")
    assert not missing.ok and "its methods: is_sorted" in missing.text


def test_extract_tests_shows_code_and_failures(java: ToolContext, py: ToolContext) -> None:
    jtext = run(java, "extract_tests").text
    assert "=== java_testcases.junit.BINARY_SEARCH_TEST::test3" in jtext
    assert "BINARY_SEARCH.binary_search(new int[] {5}, 5)" in jtext and "expected:<0> but was:<-1>" in jtext
    assert "org.junit.Assert" not in jtext  # framework frames are dropped
    ptext = run(py, "extract_tests").text
    assert "def test_all_equal():" in ptext and "assert False is True" in ptext


def test_search_code_base_ranks_methods_and_finds_exact_lines(java: ToolContext) -> None:
    text = run(java, "search_code_base", key_words=["binary", "search", "mid"]).text
    first_method = text.split("methods that match best:\n")[1].splitlines()[0]
    assert first_method.startswith(f"{JAVA}:4-18 BINARY_SEARCH.binary_search")
    assert f"{JAVA}:8: int mid = lo + (hi - lo) / 2;" in text
    nothing = run(java, "search_code_base", key_words=["zzqxwvut"])
    assert nothing.ok and "nothing in the repository matches" in nothing.text
    assert not run(java, "search_code_base", key_words=[]).ok


def test_find_similar_api_calls(java: ToolContext) -> None:
    text = run(java, "find_similar_api_calls", code_snippet="BINARY_SEARCH.binary_search(arr, x)").text
    assert "9 calls of binary_search()" in text and "BINARY_SEARCH_TEST.java:21" in text


def test_run_tests_reports_failures(py: ToolContext) -> None:
    result = run(py, "run_tests")
    assert "6 pass, 2 fail" in result.text and "test_with_duplicates" in result.text
    only = run(py, "run_tests", tests=["python_testcases/test_is_sorted.py::test_empty"])
    assert "1 pass" in only.text


def test_fault_localization_perfect_and_default(py: ToolContext) -> None:
    default = run(py, "run_fault_localization")
    assert default.ok and "is_sorted" in default.text
    # The combination (mutants included: make_context hands the templates in), lines and methods side by side.
    assert "spectra, mutants, stack traces and statement kinds combined" in default.text
    assert "suspicious methods, by their best line:\n1. python_programs/is_sorted.py: is_sorted" in default.text
    assert default.data["methods"][0]["method"] == "is_sorted" and "kind" in default.data["suspects"][0]
    py.options = ToolOptions(perfect_fl=True)
    try:
        perfect = run(py, "run_fault_localization")
    finally:
        py.options = ToolOptions()
    assert "ground truth" in perfect.text and f"1. {PY}:4 in is_sorted" in perfect.text
    assert py.memory.suspicious[0] == f"{PY}:4 (is_sorted)"


def test_write_fix_reverts_reports_and_refuses(py: ToolContext) -> None:
    wrong = run(py, "write_fix", changes=[{"file": PY, "changes": [
        {"start": 5, "end": 5, "replacement": "            return True"}]}])
    assert wrong.ok and "not plausible" in wrong.text and "newly failing" in wrong.text  # a regression
    assert py.workspace.diff() == ""  # reverted
    test_edit = run(py, "write_fix", diff="--- a/python_testcases/test_is_sorted.py\n"
                    "+++ b/python_testcases/test_is_sorted.py\n@@ -1,1 +1,1 @@\n-from python_programs.is_sorted "
                    "import is_sorted\n+import os\n")
    assert not test_edit.ok and test_edit.malformed and "test file" in test_edit.text
    neither = run(py, "write_fix")
    assert neither.malformed and "'changes'" in neither.text
    outside = run(py, "write_fix", changes=[{"file": PY, "changes": [{"start": 90, "end": 91, "replacement": ""}]}])
    assert outside.malformed and "outside" in outside.text
    assert len(py.memory.attempts) == 1 and py.memory.plausible is None
    assert "no plausible patch yet" in run(py, "goal_accomplished").text


def test_hypothesis_tools(py: ToolContext) -> None:
    assert not run(py, "express_hypothesis", hypothesis="  ").ok
    assert run(py, "express_hypothesis", hypothesis="off by one").ok and py.memory.hypothesis == "off by one"
    assert run(py, "discard_hypothesis", reason="tests disagree").ok
    assert py.memory.hypothesis is None and py.memory.discarded[-1] == "off by one"
    assert not run(py, "discard_hypothesis").ok
    assert run(py, "collect_more_information").ok
    assert py.fsm.state is State.UNDERSTAND  # tools run directly do not move the FSM; the agent does


def test_generate_method_body_asks_the_model(py: ToolContext) -> None:
    model = ScriptedModel([{"reply": {"text": "return all(a <= b for a, b in zip(items, items[1:]))"}}])
    py.model = model
    result = run(py, "generate_method_body", signature="def is_sorted(items)", context="non-decreasing order")
    assert result.ok and "return all(a <= b" in result.text
    asked = model.asked[0][0]["content"]
    assert "def is_sorted(items)" in asked and "non-decreasing" in asked
    py.model = None
    assert not run(py, "generate_method_body", signature="def f()").ok
