"""Tools that read code: read_range, get_classes_and_methods, extract_method."""

from __future__ import annotations

from typing import Any

from repair.syntax import Definition, definitions, language_of
from repair.tools.base import ToolContext, ToolResult, bounded, int_arg, resolve_path, schema

MAX_LINES = 100  # like SWE-agent's viewer: enough to see a method, small enough to keep the prompt short


def numbered(lines: list[str], first: int) -> str:
    """Lines prefixed with their 1-based numbers (`first` for the first), the way every agent is shown code."""
    width = len(str(first + len(lines) - 1))
    return "\n".join(f"{first + i:>{width}} | {line}" for i, line in enumerate(lines))


def definitions_of(ctx: ToolContext, path: str) -> list[Definition]:
    language = language_of(path)
    if language is None:
        raise ValueError(f"{path} is neither Java nor Python; use read_range to read it")
    return definitions(language, ctx.workspace.read_file(path))


class ReadRange:
    name = "read_range"
    description = (f"Read lines `start`..`end` (1-based, inclusive) of a file, numbered. At most {MAX_LINES} "
                   "lines are shown per call.")
    parameters = schema({"file": {"type": "string", "description": "path relative to the repository root"},
                         "start": {"type": "integer"}, "end": {"type": "integer"}}, ["file", "start", "end"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            path = resolve_path(ctx, args.get("file"))
            start, end = int_arg(args, "start", 1), int_arg(args, "end", 1)
        except ValueError as exc:
            return ToolResult.error(str(exc))
        lines = ctx.workspace.read_file(path).splitlines()
        if start < 1 or start > max(len(lines), 1) or end < start:
            return ToolResult.error(f"bad range {start}-{end}: {path} has {len(lines)} lines")
        shown_end = min(end, len(lines), start + MAX_LINES - 1)
        text = f"{path} lines {start}-{shown_end} of {len(lines)}:\n" + numbered(lines[start - 1:shown_end], start)
        if shown_end < min(end, len(lines)):
            text += f"\n[showing {MAX_LINES} lines; call read_range again from line {shown_end + 1}]"
        return ToolResult(bounded(text, ctx.options.max_output_chars))


class GetClassesAndMethods:
    name = "get_classes_and_methods"
    description = "List the classes and methods of a Java or Python file, with their line ranges and signatures."
    parameters = schema({"file": {"type": "string"}}, ["file"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            path = resolve_path(ctx, args.get("file"))
            defs = definitions_of(ctx, path)
        except ValueError as exc:
            return ToolResult.error(str(exc))
        if not defs:
            return ToolResult(f"{path} declares no classes or methods")
        rows = [f"{d.kind} {d.qualified_name} (lines {d.start_line}-{d.end_line}): {d.signature}" for d in defs]
        return ToolResult(bounded(f"{path}:\n" + "\n".join(rows), ctx.options.max_output_chars))


class ExtractMethod:
    name = "extract_method"
    description = ("Show the code of a method (every overload) by name, e.g. `binary_search` or "
                   "`BINARY_SEARCH.binary_search`, in one file.")
    parameters = schema({"file": {"type": "string"}, "method_name": {"type": "string"}}, ["file", "method_name"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        wanted = str(args.get("method_name") or "").strip()
        try:
            path = resolve_path(ctx, args.get("file"))
            defs = [d for d in definitions_of(ctx, path) if d.kind == "method"]
        except ValueError as exc:
            return ToolResult.error(str(exc))
        if not wanted:
            return ToolResult.error("give 'method_name'")
        found = [d for d in defs if wanted in (d.name, d.qualified_name) or d.qualified_name.endswith("." + wanted)]
        if not found:
            names = sorted({d.name for d in defs})
            return ToolResult.error(f"no method '{wanted}' in {path}; its methods: {', '.join(names[:30])}",
                                    malformed=False)
        lines = ctx.workspace.read_file(path).splitlines()
        parts = [f"{path} {d.qualified_name} (lines {d.start_line}-{d.end_line}):\n"
                 + numbered(lines[d.start_line - 1:d.end_line], d.start_line) for d in found]
        header = f"{len(found)} overloads of {wanted}:\n" if len(found) > 1 else ""
        return ToolResult(bounded(header + "\n\n".join(parts), ctx.options.max_output_chars))
