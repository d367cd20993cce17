"""Reading a model's text reply: JSON `{thoughts, command: {name, args}}`, possibly fenced or wrapped in prose."""

from __future__ import annotations

import json
import re
from typing import Any

from repair.models.base import ModelReply, ToolCall, Usage

REPLY_FORMAT = '{"thoughts": "<your reasoning>", "command": {"name": "<tool name>", "args": {<arguments>}}}'
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.S)


def _json_object(text: str) -> Any:
    """The first JSON object in `text`: the whole text, a fenced block, or the outermost {...}."""
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{"):text.rindex("}") + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    raise ValueError(f"the reply is not valid JSON ({error.msg if error else 'no JSON object'} "
                     f"at line {error.lineno if error else 1})")


def parse_reply(text: str, usage: Usage | None = None) -> ModelReply:
    """A `ModelReply` from a text answer; on any problem `command` is None and `error` says what is wrong."""
    usage = usage or Usage()
    try:
        data = _json_object(text)
    except ValueError as exc:
        return ModelReply(text, usage=usage, error=f"{exc}; answer with exactly one JSON object: {REPLY_FORMAT}")
    if not isinstance(data, dict):
        return ModelReply(text, usage=usage, error=f"the reply must be a JSON object: {REPLY_FORMAT}")
    thoughts = data.get("thoughts", "")
    if isinstance(thoughts, dict):  # AutoGPT-style {"thoughts": {"text": ..., "reasoning": ...}}
        thoughts = " ".join(str(v) for v in thoughts.values())
    command = data.get("command")
    if not isinstance(command, dict) or not isinstance(command.get("name"), str) or not command["name"].strip():
        return ModelReply(text, str(thoughts), usage=usage,
                          error=f"the reply has no command with a name: {REPLY_FORMAT}")
    args = command.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return ModelReply(text, str(thoughts), usage=usage, error="the command's 'args' must be a JSON object")
    return ModelReply(text, str(thoughts), ToolCall(command["name"].strip(), args), usage=usage)


def reply_to_dict(reply: ModelReply) -> dict[str, Any]:
    """A reply as JSON, for trajectories (and for scripts that replay them)."""
    return {
        "text": reply.text, "thoughts": reply.thoughts,
        "command": {"name": reply.command.name, "args": reply.command.args} if reply.command else None,
        "error": reply.error,
        "usage": {"prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens,
                  "cost_usd": reply.usage.cost_usd, **({"estimated": True} if reply.usage.estimated else {})},
    }


def reply_from_dict(data: dict[str, Any]) -> ModelReply:
    command = data.get("command")
    usage = data.get("usage") or {}
    return ModelReply(
        text=str(data.get("text", "")), thoughts=str(data.get("thoughts", "")),
        command=ToolCall(command["name"], dict(command.get("args") or {})) if command else None,
        usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                    float(usage.get("cost_usd", 0.0)), bool(usage.get("estimated", False))),
        error=data.get("error"),
    )
