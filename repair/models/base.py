"""The `Model` protocol: what the agent loop asks of an LLM, the offline engine or a script."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from repair.errors import RepairError


@dataclass(frozen=True)
class ToolCall:
    """A command the model wants run: a tool name and its JSON arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    """Tokens and dollars of one or more calls; `estimated` when some came from the text's length because
    the server sent no usage."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.cost_usd + other.cost_usd, self.estimated or other.estimated)


@dataclass(frozen=True)
class ModelReply:
    """One reply. `command` is None when the reply could not be understood (`text` holds it raw)."""

    text: str
    thoughts: str = ""
    command: ToolCall | None = None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None  # why the reply is malformed, for the message sent back to the model


class ModelGaveUp(RepairError):
    """Raised by a model that has nothing more to try: the run ends as `failed`, not as an error."""


Message = dict[str, Any]  # OpenAI chat format: {"role": ..., "content": ...}


@runtime_checkable
class Model(Protocol):
    """Anything that answers the agent's prompt with a tool call."""

    name: str

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        """Answer `messages`; `tools` are the allowed tools as OpenAI function schemas."""
        ...


@runtime_checkable
class BoundedModel(Model, Protocol):
    """A model whose calls cost tokens and time (an LLM client): the run's budget tells it the deadline and
    the most tokens the reply may use, and asks its prices to know what a call will cost."""

    def complete_within(self, messages: list[Message], tools: list[dict[str, Any]], *, deadline: float | None,
                        max_completion_tokens: int | None) -> ModelReply:
        """`complete`, answered by `deadline` (a `time.monotonic()` value) in at most that many tokens."""
        ...

    def token_prices(self) -> tuple[float, float]:
        """USD per prompt token and per completion token (0 for a free model)."""
        ...


@runtime_checkable
class FsmOnlyModel(Model, Protocol):
    """A model that answers the FSM agent's states (RepairAgent's workflow) and not FixAgent's free-text
    prompts: the offline engine. `fix_run` refuses FixAgent's escalation for it."""

    fsm_only: Literal[True]


@runtime_checkable
class SearchingModel(Model, Protocol):
    """A model that searches candidates itself and counts them (the offline engine), for result.json."""

    def search_stats(self) -> dict[str, Any]:
        """Candidates by fate and the time split, as JSON."""
        ...


@runtime_checkable
class ReachableModel(Model, Protocol):
    """A model behind a server: one cheap request tells, before a run starts, whether it can be used."""

    def check_reachable(self) -> None:
        """Raise a RepairError (one line) when the server cannot be reached or refuses the key."""
        ...
