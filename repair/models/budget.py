"""The run's budget: one object that every model call of a run asks before it starts and pays after it ends.

`repair fix` builds one `RunBudget` when it starts (so the checkout and the baseline test run count against
`--max-seconds`), puts it on the tools' context and wraps the model in a `BudgetedModel`. FixAgent's agents,
the FSM agent and `generate_method_body` all call through that wrapper, so no level and no tool starts a
clock or a count of its own, and a call is refused before it starts when what is left cannot pay for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from repair.errors import RepairError
from repair.models.base import BoundedModel, Message, Model, ModelGaveUp, ModelReply, Usage
from repair.models.pricing import prompt_tokens_estimate

# The least a reply needs to say anything: a call that could not get this many tokens is not started.
MIN_COMPLETION_TOKENS = 64
# A request with less time than this left cannot get an answer back in time.
MIN_CALL_SECONDS = 1.0


def usd(amount: float) -> str:
    """Dollars as people write them, without rounding a real amount away: $0.002, $0.01, $1.50."""
    whole, _, cents = f"{amount:.6f}".partition(".")
    return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"


class BudgetSpent(ModelGaveUp):
    """What is left of the run's budget cannot pay for another model call: the run ends as `failed`."""


@dataclass(kw_only=True)
class Budget:
    """The limits of one run: model calls (`max_cycles`: FixAgent's agents, FSM cycles and
    generate_method_body alike), tokens (prompt + completion), dollars, and wall-clock seconds."""

    max_cycles: int | None = 40
    max_tokens: int | None = None
    max_usd: float | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        check_limits({"max_cycles": self.max_cycles, "max_tokens": self.max_tokens, "max_usd": self.max_usd,
                      "max_seconds": self.max_seconds})


def check_limits(limits: dict[str, float | None]) -> None:
    """Refuse a limit that is zero or negative, naming it: such a run could never make a model call."""
    for name, value in limits.items():
        if value is not None and not value > 0:
            raise RepairError(f"{name} must be more than 0, not {value:g}")


class RunBudget:
    """What one run may still spend; `started` is when the run began (a `time.monotonic()` value)."""

    def __init__(self, limits: Budget | None = None, started: float | None = None) -> None:
        self.limits = limits or Budget()
        self.started = time.monotonic() if started is None else started
        self.calls = 0
        self.usage = Usage()

    @property
    def deadline(self) -> float | None:
        """When the run must end, or None without a time limit."""
        seconds = self.limits.max_seconds
        return None if seconds is None else self.started + seconds

    @property
    def tokens(self) -> int:
        return self.usage.prompt_tokens + self.usage.completion_tokens

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def spent(self) -> str:
        """Why no model call at all can be paid any more (a limit is reached), or ''."""
        b = self.limits
        if b.max_cycles is not None and self.calls >= b.max_cycles:
            return f"cycle budget spent ({b.max_cycles} model calls)"
        if b.max_tokens is not None and self.tokens >= b.max_tokens:
            return f"token budget spent ({self.tokens} of {b.max_tokens} tokens)"
        if b.max_usd is not None and self.usage.cost_usd >= b.max_usd:
            return f"dollar budget spent ({usd(self.usage.cost_usd)} of {usd(b.max_usd)})"
        if self.deadline is not None and time.monotonic() > self.deadline - MIN_CALL_SECONDS:
            return self.time_spent()
        return ""

    def time_spent(self) -> str:
        return f"time budget spent ({self.limits.max_seconds:g}s)"

    def afford(self, prompt_tokens: int, prices: tuple[float, float]) -> int | None:
        """The most completion tokens the next call may use (None: no cap), or BudgetSpent when what is left
        cannot pay for a prompt of about `prompt_tokens` and the shortest useful reply."""
        reason = self.spent()
        if reason:
            raise BudgetSpent(reason)
        b = self.limits
        caps: list[int] = []
        if b.max_tokens is not None:
            need = prompt_tokens + MIN_COMPLETION_TOKENS
            if self.tokens + need > b.max_tokens:
                raise BudgetSpent(f"token budget spent ({self.tokens} of {b.max_tokens} tokens; the next call "
                                  f"needs about {need})")
            caps.append(b.max_tokens - self.tokens - prompt_tokens)
        per_prompt, per_completion = prices
        if b.max_usd is not None and (per_prompt or per_completion):
            need_usd = prompt_tokens * per_prompt + MIN_COMPLETION_TOKENS * per_completion
            left = b.max_usd - self.usage.cost_usd
            if need_usd > left:
                raise BudgetSpent(f"dollar budget spent ({usd(self.usage.cost_usd)} of {usd(b.max_usd)}; the "
                                  f"next call costs about {usd(need_usd)})")
            if per_completion:
                caps.append(int((left - prompt_tokens * per_prompt) / per_completion))
        return min(caps) if caps else None

    def charge(self, usage: Usage) -> None:
        self.calls += 1
        self.usage = self.usage + usage

    def left(self) -> str:
        """What is left, for the agent's prompt."""
        b = self.limits
        parts = []
        if b.max_cycles is not None:
            parts.append(f"{b.max_cycles - self.calls} model calls")
        if b.max_tokens is not None:
            parts.append(f"{b.max_tokens - self.tokens} tokens")
        if b.max_usd is not None:
            parts.append(usd(b.max_usd - self.usage.cost_usd))
        if b.max_seconds is not None:
            parts.append(f"{max(b.max_seconds - self.seconds(), 0):.0f} seconds")
        return ", ".join(parts) or "no limit"

    def to_dict(self) -> dict[str, Any]:
        """The limits and what was spent, for result.json."""
        b = self.limits
        return {"limits": {"model_calls": b.max_cycles, "tokens": b.max_tokens, "usd": b.max_usd,
                           "seconds": b.max_seconds},
                "model_calls": self.calls, "tokens": self.tokens, "cost_usd": round(self.usage.cost_usd, 6),
                "tokens_estimated": self.usage.estimated}


class BudgetedModel:
    """A model whose every call is first asked of the run's budget, then paid from it.

    A `BoundedModel` (an LLM client) also gets the run's deadline and a cap on the reply's tokens, so that
    neither a slow server nor a long reply can outrun what is left.
    """

    def __init__(self, inner: Model, budget: RunBudget) -> None:
        self.inner = inner
        self.budget = budget
        self.name = inner.name

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        if not isinstance(self.inner, BoundedModel):  # offline engine, scripts: only calls and time count
            reason = self.budget.spent()
            if reason:
                raise BudgetSpent(reason)
            reply = self.inner.complete(messages, tools)
        else:
            cap = self.budget.afford(prompt_tokens_estimate(messages, tools), self.inner.token_prices())
            try:
                reply = self.inner.complete_within(messages, tools, deadline=self.budget.deadline,
                                                   max_completion_tokens=cap)
            except BudgetSpent:  # the deadline came while waiting for the server
                raise BudgetSpent(self.budget.time_spent()) from None
        self.budget.charge(reply.usage)
        return reply
