"""write_fix (apply, validate, report, revert) and goal_accomplished."""

from __future__ import annotations

from typing import Any

from repair.errors import PatchError, WorkspaceError
from repair.patch import Patch
from repair.tools.base import FixAttempt, ToolContext, ToolResult, bounded, schema

_CHANGES_SCHEMA = {
    "type": "array",
    "description": "RepairAgent's edit list: [{file, changes: [{start, end, replacement}]}], lines 1-based and "
                   "inclusive in the current (buggy) file; end < start inserts before start",
    "items": {"type": "object", "properties": {
        "file": {"type": "string"},
        "changes": {"type": "array", "items": {"type": "object", "properties": {
            "start": {"type": "integer"}, "end": {"type": "integer"}, "replacement": {"type": "string"}}}}}},
}


def patch_from_args(args: dict[str, Any], ctx: ToolContext) -> Patch:
    """The patch in `args`: `changes` (edit list) or `diff` (unified diff / SEARCH/REPLACE text)."""
    edits = args.get("changes", args.get("changes_dicts"))
    diff = args.get("diff", args.get("patch"))
    if isinstance(diff, str) and diff.strip() and not edits:
        return Patch.parse(diff)
    if edits is not None:
        if isinstance(edits, dict):
            edits = [edits]
        if not isinstance(edits, list):
            raise PatchError("'changes' must be a list of {file, changes: [{start, end, replacement}]}")
        return Patch.from_line_edits(edits, ctx.workspace.read_file)
    if isinstance(diff, str) and diff.strip():
        return Patch.parse(diff)
    raise PatchError("give the fix as 'changes' ([{file, changes: [{start, end, replacement}]}]) or as 'diff' "
                     "(a unified diff)")


class WriteFix:
    name = "write_fix"
    description = ("Try a fix: it is applied to the buggy code, compiled, and the failing tests then the whole "
                   "suite are run. You get the verdict and the tests that still fail; the code is then "
                   "reverted, so every write_fix starts again from the buggy version.")
    parameters = {"type": "object", "properties": {
        "changes": _CHANGES_SCHEMA,
        "diff": {"type": "string", "description": "alternatively, a unified diff against the buggy code"},
    }, "required": [], "additionalProperties": False}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            patch = patch_from_args(args, ctx)
        except (PatchError, WorkspaceError) as exc:
            return ToolResult.error(f"write_fix: {exc}")
        result = ctx.validator.validate(patch)
        if result.status in ("apply-failed", "refused"):
            return ToolResult.error(f"write_fix: {result.describe()}")
        summary = result.describe()
        earlier = ctx.memory.tried(result.diff) if result.cached else None
        if earlier is not None and not result.plausible:  # the same change again: same verdict, not a new try
            return ToolResult(bounded(f"already tried at {earlier.when()}: {summary}\nThat exact change was "
                                      "tried before and is not counted again; try a different fix.",
                                      ctx.options.max_output_chars), data={**result.to_dict(), "already_tried": True})
        ctx.memory.attempts.append(FixAttempt(result.diff, result.status, summary.splitlines()[0], ctx.cycle,
                                              scope=result.scope_lines()))
        covers = "".join(f"\n- {line}" for line in result.scope_lines())
        covers = f"\nThe verdict covers:{covers}" if covers else ""
        if result.plausible:
            ctx.memory.plausible = result
            text = f"{summary}.{covers}\nThe fix is plausible. Call goal_accomplished to finish.\n{result.diff}"
        else:
            text = f"{summary}{covers}\nThe change was reverted; the code is the buggy version again."
        notes = "".join(f"\nnote: {n}" for n in result.notes)
        return ToolResult(bounded(text + notes, ctx.options.max_output_chars), data=result.to_dict())


class GoalAccomplished:
    name = "goal_accomplished"
    description = "Finish: accepted only when write_fix has produced a plausible patch."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if ctx.memory.plausible is None:
            tried = len(ctx.memory.attempts)
            return ToolResult.error(f"no plausible patch yet ({tried} fixes tried): keep working with write_fix",
                                    malformed=False)
        return ToolResult("goal accomplished: the plausible patch is final.")
