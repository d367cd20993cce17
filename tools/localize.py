"""run_fault_localization: the FL package when it is installed, else stack traces; perfect FL on request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from repair.tools.base import ToolContext, ToolResult, bounded, schema

from repair.syntax import definitions, enclosing_method, language_of

TOP_N = 10
# Java frames `at pkg.Cls.method(File.java:12)` and Python frames `path/file.py:12: ...` / `File "x.py", line 12`.
_JAVA_FRAME = re.compile(r"at [\w$.]+\(([\w$]+\.java):(\d+)\)")
_PY_FRAME = re.compile(r"([\w./-]+\.py)(?::(\d+)|\", line (\d+))")


@dataclass(frozen=True)
class Suspect:
    """A suspicious line. Mirrors `repair.fault_localization.Suspicious` (file, line, method, score)."""

    file: str
    line: int
    method: str
    score: float
    source: str


def method_at(ctx: ToolContext, path: str, line: int) -> str:
    language = language_of(path)
    if language is None or not ctx.workspace.exists(path):
        return "?"
    found = enclosing_method(definitions(language, ctx.workspace.read_file(path)), line)
    return found.qualified_name if found else "?"


def perfect_suspects(ctx: ToolContext) -> list[Suspect]:
    return [Suspect(loc.file, loc.line, method_at(ctx, loc.file, loc.line), 1.0, "ground truth")
            for loc in ctx.bug.buggy_locations]


def package_suspects(ctx: ToolContext) -> list[Suspect] | None:
    """Spectrum-based FL from `repair.fault_localization`, or None while that package is not there."""
    try:
        from repair.fault_localization import FaultLocalizer
    except ImportError:
        return None
    try:
        found = FaultLocalizer(formula=ctx.options.fl_formula, perfect=False).localize(
            ctx.bug, ctx.workspace, runner=ctx.runner, baseline=ctx.baseline)
    except Exception:  # noqa: BLE001 - coverage FL failing (no JaCoCo, a crash) must not end the run
        return None
    return [Suspect(s.file, s.line, s.method or "?", float(s.score), ctx.options.fl_formula) for s in found]


def stack_trace_suspects(ctx: ToolContext) -> list[Suspect]:
    """Frames of the project's own (non-test) files in the failing tests' traces, most frequent first."""
    report = ctx.failing_report()
    files = ctx.workspace.list_files((".java", ".py"))
    counts: dict[tuple[str, int], int] = {}
    for test in ctx.bug.failing_tests:
        result = report.results.get(test)
        trace = f"{result.message}\n{result.trace}" if result else ""
        for match in [*_JAVA_FRAME.finditer(trace), *_PY_FRAME.finditer(trace)]:
            name, line = match.group(1), int(next((g for g in match.groups()[1:] if g), "0"))
            paths = [f for f in files if f == name or f.endswith("/" + name.split("/")[-1])]
            for path in paths[:1]:
                if not ctx.bug.is_test_path(path):
                    counts[(path, line)] = counts.get((path, line), 0) + 1
    total = max(sum(counts.values()), 1)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return [Suspect(p, ln, method_at(ctx, p, ln), n / total, "stack trace") for (p, ln), n in ranked]


class RunFaultLocalization:
    name = "run_fault_localization"
    description = "Rank the lines most likely to contain the bug (file, line, method, suspiciousness)."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        suspects: list[Suspect] | None = None
        if ctx.options.perfect_fl and ctx.bug.buggy_locations:
            suspects = perfect_suspects(ctx)
        if suspects is None:
            suspects = package_suspects(ctx)
        if not suspects:
            suspects = stack_trace_suspects(ctx)
        if not suspects:
            files = ", ".join(ctx.bug.program_files) or "(unknown)"
            return ToolResult(f"fault localization found no suspicious line in the traces; the program under "
                              f"test is {files}: read its code and the failing tests (extract_tests)")
        ctx.memory.suspicious = [f"{s.file}:{s.line} ({s.method})" for s in suspects[:TOP_N]]
        rows = [f"{i}. {s.file}:{s.line} in {s.method} (score {s.score:.3f})"
                for i, s in enumerate(suspects[:TOP_N], start=1)]
        text = f"suspicious lines ({suspects[0].source}), most suspicious first:\n" + "\n".join(rows)
        return ToolResult(bounded(text, ctx.options.max_output_chars),
                          data={"suspects": [s.__dict__ for s in suspects[:TOP_N]]})
