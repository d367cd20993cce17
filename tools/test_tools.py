"""Tools about tests: extract_tests (the failing tests' code and failures) and run_tests."""

from __future__ import annotations

import re
from typing import Any

from repair.runners import TestReport
from repair.syntax import definitions, language_of
from repair.tools.base import ToolContext, ToolResult, bounded, schema
from repair.tools.code_reading import numbered

MAX_TESTS_SHOWN = 5
# Frames of the test framework and the JDK say nothing about the bug; they only fill the prompt.
_FRAMEWORK_FRAME = re.compile(r"at (org\.junit|junit\.|java\.base/|jdk\.internal|sun\.reflect|java\.lang\.reflect)"
                              r"|_pytest/|pluggy/")


def test_source(ctx: ToolContext, test_id: str) -> tuple[str, str] | None:
    """(path, numbered code) of a test id like `pkg.Class::method` or `tests/test_x.py::test_y`."""
    head, _, method = test_id.partition("::")
    method = method.split("::")[-1].split("[")[0]
    if head.endswith(".py"):
        path = head
    else:
        suffix = head.replace(".", "/") + ".java"
        matches = [f for f in ctx.workspace.list_files((".java",)) if f.endswith(suffix)]
        if not matches:
            return None
        path = matches[0]
    if not ctx.workspace.exists(path) or language_of(path) is None:
        return None
    text = ctx.workspace.read_file(path)
    lines = text.splitlines()
    for d in definitions(language_of(path) or "", text):
        if d.kind == "method" and d.name == method:
            return path, numbered(lines[d.start_line - 1:d.end_line], d.start_line)
    return None


def describe_failures(report: TestReport, tests: list[str], trace_lines: int = 12) -> str:
    """Each test's status and the start of its message and trace."""
    parts = []
    for test in tests:
        result = report.results.get(test)
        if result is None:
            parts.append(f"{test}: did not run")
            continue
        text = f"{test}: {result.status.value}"
        if result.message.strip():
            text += f"\n  message: {result.message.strip()[:500]}"
        if result.trace.strip():
            frames = [ln for ln in result.trace.strip().splitlines() if not _FRAMEWORK_FRAME.search(ln)]
            trace = "\n".join(frames[:trace_lines])
            text += f"\n  trace:\n{trace}"
        parts.append(text)
    return "\n".join(parts)


class ExtractTests:
    name = "extract_tests"
    description = "Show the code of the failing tests and how they fail (message and the top of the stack trace)."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        failing = list(ctx.bug.failing_tests)
        if not failing:
            return ToolResult("no failing tests are known for this bug")
        report = ctx.failing_report()
        parts = []
        for test in failing[:MAX_TESTS_SHOWN]:
            source = test_source(ctx, test)
            code = f"{source[0]}:\n{source[1]}" if source else "(source not found)"
            parts.append(f"=== {test}\n{code}\n{describe_failures(report, [test])}")
        if len(failing) > MAX_TESTS_SHOWN:
            parts.append(f"... and {len(failing) - MAX_TESTS_SHOWN} more failing tests: "
                         + ", ".join(failing[MAX_TESTS_SHOWN:MAX_TESTS_SHOWN + 20]))
        return ToolResult(bounded("\n\n".join(parts), ctx.options.max_output_chars))


class RunTests:
    name = "run_tests"
    description = ("Run the test suite on the current code (or only `tests`, a list of test ids) and report "
                   "which tests fail. The code is the buggy version: fixes are tried with write_fix.")
    parameters = schema({"tests": {"type": "array", "items": {"type": "string"}}})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        tests = args.get("tests") or None
        if tests is not None and not (isinstance(tests, list) and all(isinstance(t, str) for t in tests)):
            return ToolResult.error("'tests' must be a list of test ids")
        report = ctx.runner.run(tests=tests)
        if not report.build_ok:
            return ToolResult(bounded(f"build failed:\n{report.build_output}", ctx.options.max_output_chars))
        text = f"tests: {report.summary()}"
        if report.failing:
            text += "\nfailing:\n" + describe_failures(report, report.failing[:MAX_TESTS_SHOWN], trace_lines=4)
        return ToolResult(bounded(text, ctx.options.max_output_chars), data={"failing": report.failing})
