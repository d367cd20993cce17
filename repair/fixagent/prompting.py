"""How a FixAgent agent talks to the model: its one-shot prompt, one call, and what came back."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from repair.models.base import Message, Model, ModelReply, Usage
from repair.prompts.untrusted import UNTRUSTED_CLOSE, UNTRUSTED_OPEN, cut_text, untrusted
from repair.tools.code_reading import numbered as numbered_lines

__all__ = ["AGENTS", "UNTRUSTED_CLOSE", "UNTRUSTED_OPEN", "AgentCall", "agent_prompt", "ask", "numbered", "section",
           "untrusted"]

AGENTS = ("locator", "fixer", "summarizer", "slicer", "fixer_pro", "helper")
MAX_SECTION_CHARS = 8000


@dataclass(frozen=True)
class AgentCall:
    """One agent's question to the model and the reply (kept for the trajectory and the budget)."""

    agent: str
    messages: list[Message]
    reply: ModelReply

    @property
    def text(self) -> str:
        return self.reply.text

    @property
    def usage(self) -> Usage:
        return self.reply.usage


@cache
def agent_prompt(agent: str) -> str:
    """The agent's one-shot system prompt (role, skills, actions, objective, constraints)."""
    return resources.files("repair.prompts").joinpath("fixagent", f"{agent}.md").read_text(encoding="utf-8")


def section(title: str, body: str, limit: int = MAX_SECTION_CHARS) -> str:
    """A titled block of the user message, cut to `limit` characters with a note."""
    body = body.rstrip() or "(none)"
    note = f"\n... [{len(body) - limit} more characters cut]"
    return f"## {title}\n{cut_text(body, limit, note)}"


def ask(model: Model, agent: str, sections: list[str]) -> AgentCall:
    """Ask `model` as `agent`: its prompt as the system message, `sections` as the question; no tools."""
    messages: list[Message] = [
        {"role": "system", "content": agent_prompt(agent)},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
    return AgentCall(agent, messages, model.complete(messages, tools=[]))


def numbered(text: str, first: int = 1, last: int | None = None) -> str:
    """Lines `first`..`last` (1-based, inclusive) of `text`, each prefixed by its number."""
    lines = text.splitlines()
    last = len(lines) if last is None else min(last, len(lines))
    first = max(first, 1)
    return numbered_lines(lines[first - 1:last], first)
