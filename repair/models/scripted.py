"""`ScriptedModel`: replays a list of replies. For tests, and for replaying a recorded trajectory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from repair.errors import RepairError
from repair.models.base import Message, ModelGaveUp, ModelReply, ToolCall, Usage
from repair.models.budget import BudgetSpent
from repair.models.reply_format import parse_reply, reply_from_dict


class ScriptExhaustedError(RepairError):
    """The script has no reply left for the agent's next question."""


class RecordedModelError(RepairError):
    """A recorded run's model could not answer here; its replay fails the same way."""


_RAISED: dict[str, type[RepairError]] = {"budget": BudgetSpent, "gave_up": ModelGaveUp, "error": RecordedModelError}


def reply_from_entry(entry: Any) -> ModelReply | RepairError:
    """One script entry as a reply, or as the error the call raises.

    An entry is a string (the model's raw text, parsed like any text reply), `{"reply": {...}}` (a recorded
    reply, replayed exactly), `{"tool": NAME, "args": {...}}` (a native tool call), a JSON reply object
    `{"thoughts": ..., "command": {"name": ..., "args": ...}}`, or `{"raise": "budget" | "gave_up" | "error",
    "message": ...}` (a recorded call that ended the run).
    """
    if isinstance(entry, dict) and entry.get("raise") in _RAISED:
        return _RAISED[entry["raise"]](str(entry.get("message", "")))
    if isinstance(entry, str):
        return parse_reply(entry)
    if isinstance(entry, dict) and isinstance(entry.get("reply"), dict):
        return reply_from_dict(entry["reply"])
    if isinstance(entry, dict) and "tool" in entry:
        return ModelReply(json.dumps(entry), str(entry.get("thoughts", "")),
                          ToolCall(str(entry["tool"]), dict(entry.get("args") or {})), Usage())
    if isinstance(entry, dict):
        return parse_reply(json.dumps(entry))
    raise RepairError(f"bad script entry {entry!r}: expected a string or an object")


class ScriptedModel:
    """Answers each question with the next reply of its script; past the end it raises ScriptExhaustedError."""

    def __init__(self, entries: list[Any], name: str = "scripted") -> None:
        self.name = name
        self.replies = [reply_from_entry(e) for e in entries]
        self.position = 0
        self.asked: list[list[Message]] = []  # every prompt, so tests can look at what the model was shown

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """A script from a JSON list (or JSON lines) file."""
        file = Path(path)
        if not file.is_file():
            raise RepairError(f"script file {file} does not exist")
        text = file.read_text()
        try:
            entries = json.loads(text) if text.lstrip().startswith("[") else [
                json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise RepairError(f"script file {file} is not JSON: {exc}") from exc
        return cls(entries, name=f"scripted:{file.name}")

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        self.asked.append(messages)
        if self.position >= len(self.replies):
            raise ScriptExhaustedError(f"the script has no reply left after {len(self.replies)} replies")
        reply = self.replies[self.position]
        self.position += 1
        if isinstance(reply, RepairError):
            raise reply
        return reply
