"""The tools that steer the FSM: express_hypothesis, discard_hypothesis, collect_more_information."""

from __future__ import annotations

from typing import Any

from repair.tools.base import ToolContext, ToolResult, schema


class ExpressHypothesis:
    name = "express_hypothesis"
    description = ("State your hypothesis about the bug's cause (what is wrong, where, and why the failing tests "
                   "fail). This moves you to collecting information for a fix.")
    parameters = schema({"hypothesis": {"type": "string"}}, ["hypothesis"])

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        text = str(args.get("hypothesis") or "").strip()
        if not text:
            return ToolResult.error("give 'hypothesis': a sentence on what is wrong and why the tests fail")
        ctx.memory.hypothesis = text
        return ToolResult(f"hypothesis recorded: {text}\nNow collect what you need and try a fix with write_fix.")


class DiscardHypothesis:
    name = "discard_hypothesis"
    description = "Drop the current hypothesis when the evidence contradicts it; you go back to understanding the bug."
    parameters = schema({"reason": {"type": "string"}})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if ctx.memory.hypothesis is None:
            return ToolResult.error("there is no hypothesis to discard", malformed=False)
        ctx.memory.discarded.append(ctx.memory.hypothesis)
        ctx.memory.hypothesis = None
        reason = str(args.get("reason") or "").strip()
        return ToolResult("hypothesis discarded" + (f" ({reason})" if reason else "")
                          + "; express a new one when you understand the bug better.")


class CollectMoreInformation:
    name = "collect_more_information"
    description = "Go back to collecting information (after a fix that did not work), keeping your hypothesis."
    parameters = schema({})

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return ToolResult("collecting more information; search, read, and try another fix with write_fix.")
