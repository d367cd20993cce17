"""The agent's prompt: static templates (role, goals, guidelines) and the dynamic part built each cycle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from repair.models.reply_format import REPLY_FORMAT
from repair.prompts.untrusted import cut_text
from repair.tools.base import Tool, ToolContext

GATHERED_BUDGET_CHARS = 12_000  # the memory of earlier results kept in the prompt; the oldest go first


@cache
def template(name: str) -> str:
    """A prompt template shipped in this package (`role`, `goals`, `guidelines`, `state`)."""
    return resources.files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Observation:
    """A tool's result as the prompt remembers it."""

    cycle: int
    command: str
    result: str


def system_prompt(language: str) -> str:
    return "\n\n".join([template("role").format(language=language), template("goals"),
                        template("guidelines").format(reply_format=REPLY_FORMAT)])


def describe_tools(tools: list[Tool]) -> str:
    return "\n".join(f"- {t.name}: {t.description}\n  args schema: {json.dumps(t.parameters, separators=(',', ':'))}"
                     for t in tools)


def gathered(observations: list[Observation], budget: int = GATHERED_BUDGET_CHARS) -> str:
    """Earlier results, newest kept whole first; older ones shrink to their first lines, then drop out."""
    kept: list[str] = []
    used = 0
    for obs in reversed(observations):
        text = f"[cycle {obs.cycle}] {obs.command}\n{obs.result}"
        if used + len(text) > budget:
            text = f"[cycle {obs.cycle}] {obs.command}\n" + "\n".join(obs.result.splitlines()[:3]) + "\n[...]"
        if used + len(text) > budget:
            kept.append(f"[{len(observations) - len(kept)} older results dropped]")
            break
        kept.append(text)
        used += len(text)
    return "\n\n".join(reversed(kept)) or "(nothing yet)"


HYPOTHESIS_CHARS = 1_000
LAST_RESULT_CHARS = 6_000
ATTEMPTS_IN_FULL = 5  # the latest fixes tried keep their diff; older ones shrink to one line


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} more characters]"


def describe_attempts(attempts: list[Any]) -> str:
    """Fixes tried, the latest with their diffs, older ones as one line each, so the prompt stays bounded."""
    lines = []
    first_full = len(attempts) - ATTEMPTS_IN_FULL
    for i, a in enumerate(attempts, start=1):
        summary = _cut(a.summary, 300)
        lines.append(f"{i}. {a.status}: {summary}" + (f"\n{a.diff.strip()[:800]}" if i > first_full else ""))
    return "\n".join(lines) or "(none)"


def pinned(handover: list[str], budget: int = GATHERED_BUDGET_CHARS // 2) -> str:
    """Earlier stages' findings, cut to their own budget; empty when there are none."""
    if not handover:
        return ""
    text = cut_text("\n\n".join(handover), budget, "\n[... handover truncated ...]")
    return f"[from earlier repair levels]\n{text}\n\n"


def state_prompt(ctx: ToolContext, tools: list[Tool], observations: list[Observation], last: str,
                 budget: str) -> str:
    """The dynamic part of the prompt for the current cycle."""
    bug = ctx.bug
    attempts = describe_attempts(ctx.memory.attempts)
    return template("state").format(
        bug_line=f"{bug.id} ({bug.language}); program files: {', '.join(bug.program_files) or '(unknown)'}",
        failing_tests=", ".join(bug.failing_tests[:20]) or "(unknown)",
        state=ctx.fsm.state.value, state_goal=ctx.fsm.goal(), tools=describe_tools(tools),
        hypothesis=_cut(ctx.memory.hypothesis or "(none)", HYPOTHESIS_CHARS),
        discarded="; ".join(_cut(h, 200) for h in ctx.memory.discarded[-10:]) or "(none)",
        attempts=attempts, gathered=pinned(ctx.memory.handover) + gathered(observations),
        last=_cut(last, LAST_RESULT_CHARS) if last else "(none: this is the first cycle)",
        budget=budget,
    )
