"""run_fault_localization: spectrum-based FL with stack traces (repair.fault_localization); perfect FL on request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repair.tools.base import ToolContext, ToolResult, bounded, schema

from repair.syntax import definitions, enclosing_method, language_of

TOP_N = 10


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


def localizer_suspects(ctx: ToolContext, use_coverage: bool = True) -> list[Suspect] | None:
    """The FL package's ranking (coverage spectrum + stack traces), or None when it fails."""
    from repair.fault_localization import FaultLocalizer

    try:
        found = FaultLocalizer(formula=ctx.options.fl_formula, perfect=False, use_coverage=use_coverage).localize(
            ctx.bug, ctx.workspace, runner=ctx.runner, baseline=ctx.baseline)
    except Exception:  # noqa: BLE001 - coverage FL failing (no JaCoCo, a crash) must not end the run
        return None
    label = f"{ctx.options.fl_formula} + stack traces" if use_coverage else "stack traces"
    return [Suspect(s.file, s.line, s.method or "?", float(s.score), label) for s in found]


class RunFaultLocalization:
    name = "run_fault_localization"
    description = "Rank the lines most likely to contain the bug (file, line, method, suspiciousness)."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        suspects: list[Suspect] | None = None
        if ctx.options.perfect_fl and ctx.bug.buggy_locations:
            suspects = perfect_suspects(ctx)
        if suspects is None:
            suspects = localizer_suspects(ctx)
        if not suspects:  # coverage could not be collected: the stack traces alone may still point somewhere
            suspects = localizer_suspects(ctx, use_coverage=False)
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
