"""The agent loop: RepairAgent's FSM-guided cycle of dynamic prompt → model → validated command → tool.

How a model gets what it needs: the agent calls `model.complete(messages, tools)` each cycle with the
system prompt (role, goals, guidelines), the dynamic state prompt, and the allowed tools as OpenAI function
schemas. A model that needs more than text (the offline engine reads the bug, the workspace, the memory and
the FSM state directly) is a `ContextBoundModel`; the agent calls its `bind(ctx)` once, before the first
cycle, with the same `ToolContext` the tools run in. Tools that need a model (generate_method_body) use
`ctx.model`, which the agent sets to the (recorded) model of the run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Protocol

from repair.errors import RepairError
from repair.fsm import Transition
from repair.models.base import Model, ModelGaveUp, ModelReply, ToolCall, Usage
from repair.models.reply_format import reply_from_dict
from repair.prompts import Observation, state_prompt, system_prompt
from repair.tools import Tool, ToolContext, ToolResult, all_tools, function_schema
from repair.tools.base import ContextBoundModel
from repair.trajectory import RecordingModel, Step, TrajectoryWriter

MAX_MALFORMED_IN_A_ROW = 3
# Tools whose output steers the FSM rather than informs; the prompt shows them as hypotheses and state.
_STEERING = {"express_hypothesis", "discard_hypothesis", "collect_more_information", "goal_accomplished"}


@dataclass(kw_only=True)
class Budget:
    """When the run stops: cycles, tokens (prompt + completion), dollars, wall-clock seconds."""

    max_cycles: int = 40
    max_tokens: int | None = None
    max_usd: float | None = None
    max_seconds: float | None = None


def budget_spent(cycles: int, usage: Usage, seconds: float = 0.0, *, max_cycles: int | None = None,
                 max_tokens: int | None = None, max_usd: float | None = None, max_seconds: float | None = None,
                 cycle_unit: str = "cycles", scope: str = "") -> str:
    """Why `cycles`, `usage` and `seconds` have reached one of the limits (checked in this order), or ''.

    `scope` names the budget in the reason ("total "); `cycle_unit` says what a cycle is ("model calls").
    """
    if max_cycles is not None and cycles >= max_cycles:
        return f"{scope}cycle budget spent ({max_cycles} {cycle_unit})"
    if max_tokens is not None and usage.prompt_tokens + usage.completion_tokens >= max_tokens:
        return f"{scope}token budget spent ({max_tokens} tokens)"
    if max_usd is not None and usage.cost_usd >= max_usd:
        return f"{scope}dollar budget spent (${max_usd:.2f})"
    if max_seconds is not None and seconds >= max_seconds:
        return f"{scope}time budget spent ({max_seconds:.0f}s)"
    return ""


@dataclass
class AgentResult:
    """How a run ended. `status` is plausible, failed, `error: model output` or `error: model`."""

    status: str
    reason: str
    patch: str
    cycles: int
    usage: Usage
    seconds: float
    transitions: list[Transition] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


class AgentObserver(Protocol):
    """Live progress: the CLI shows the state, the tool and the tests as the run goes."""

    def tool_started(self, cycle: int, state: str, call: ToolCall) -> None: ...

    def step_done(self, step: Step) -> None: ...


class Agent:
    """Runs one repair attempt: at most `budget` cycles of prompt → reply → tool, recording each step."""

    def __init__(self, model: Model, ctx: ToolContext, budget: Budget | None = None,
                 writer: TrajectoryWriter | None = None, observer: AgentObserver | None = None,
                 tools: dict[str, Tool] | None = None) -> None:
        if isinstance(model, ContextBoundModel):
            model.bind(ctx)
        self.model = RecordingModel(model)
        self.ctx = ctx
        ctx.model = self.model
        self.budget = budget or Budget()
        self.writer = writer
        self.observer = observer
        self.tools = tools or all_tools()
        self.usage = Usage()
        self.observations: list[Observation] = []
        self.steps: list[Step] = []
        self.last = ""
        self.malformed_in_a_row = 0
        self._start = time.monotonic()

    def run(self) -> AgentResult:
        """Cycle until goal_accomplished, a budget runs out, or the model keeps answering malformed."""
        self._start = time.monotonic()
        if self.budget.max_seconds is not None:
            self.ctx.deadline = self._start + self.budget.max_seconds
        status, reason = "failed", ""
        try:
            while not self.ctx.fsm.done:
                reason = self._exhausted()
                if reason:
                    break
                self.step(len(self.steps) + 1)
                if self.malformed_in_a_row >= MAX_MALFORMED_IN_A_ROW:
                    status, reason = "error: model output", f"{MAX_MALFORMED_IN_A_ROW} malformed replies in a row"
                    break
        except ModelGaveUp as exc:  # e.g. the offline engine ran out of candidates
            status, reason = "failed", str(exc)
        except RepairError as exc:  # the model could not answer (server down, script exhausted)
            status, reason = "error: model", str(exc)
        plausible = self.ctx.memory.plausible
        if self.ctx.fsm.done and plausible is not None:
            status, reason = "plausible", "goal accomplished"
        elif plausible is not None and status == "failed":
            status, reason = "plausible", f"{reason} (a plausible patch had been found)"
        return AgentResult(status, reason, plausible.diff if plausible else "", len(self.steps), self.usage,
                           time.monotonic() - self._start, list(self.ctx.fsm.history), self.steps)

    def step(self, cycle: int) -> Step:
        """One cycle: build the prompt, ask the model, check the reply, run the tool, record the step."""
        started = time.monotonic()
        before = self.ctx.fsm.state.value
        allowed = [self.tools[name] for name in self.ctx.fsm.allowed() if name in self.tools]
        messages = [
            {"role": "system", "content": system_prompt(self.ctx.bug.language)},
            {"role": "user", "content": state_prompt(self.ctx, allowed, self.observations, self.last,
                                                     self._budget_left(cycle))},
        ]
        prompt_hash = hashlib.sha256(json.dumps(messages).encode()).hexdigest()[:16]
        reply = self.model.complete(messages, [function_schema(t) for t in allowed])
        result = self._execute(cycle, reply)
        replies = self.model.take()
        usage = sum((reply_from_dict(r).usage for r in replies), Usage())
        self.usage = self.usage + usage
        self.malformed_in_a_row = self.malformed_in_a_row + 1 if result.malformed else 0
        call = reply.command
        shown = f"{call.name}({json.dumps(call.args)[:300]})" if call else "(no command)"
        self.last = f"{shown}\n{result.text}"
        if result.malformed:
            self.last += (f"\n(malformed replies in a row: {self.malformed_in_a_row}/{MAX_MALFORMED_IN_A_ROW}; "
                          f"the run ends at {MAX_MALFORMED_IN_A_ROW})")
        if result.ok and call and call.name not in _STEERING:
            self.observations.append(Observation(cycle, shown, result.text))
        data = dict(result.data)
        if self.ctx.memory.search_log:  # what the model tried on its own this cycle (the offline search)
            data["candidates"], self.ctx.memory.search_log = self.ctx.memory.search_log, []
        step = Step(cycle=cycle, state_before=before, state_after=self.ctx.fsm.state.value, prompt_hash=prompt_hash,
                    replies=replies, tool=call.name if call else None, args=call.args if call else {},
                    result=result.text, ok=result.ok, malformed=result.malformed, prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens, cost_usd=usage.cost_usd,
                    seconds=time.monotonic() - started, data=data)
        self.steps.append(step)
        if self.writer:
            self.writer.write(step)
        if self.observer:
            self.observer.step_done(step)
        return step

    def _execute(self, cycle: int, reply: ModelReply) -> ToolResult:
        """Validate the reply against the tools and the FSM, then run the tool; errors go back as text."""
        call = reply.command
        if call is None:
            return ToolResult.error(f"malformed reply: {reply.error or 'no command found'}")
        if call.name not in self.tools:
            return ToolResult.error(f"unknown tool '{call.name}'. Allowed tools now: "
                                    f"{', '.join(self.ctx.fsm.allowed())}.")
        if not self.ctx.fsm.is_allowed(call.name):
            return ToolResult.error(self.ctx.fsm.refusal(call.name))
        if self.observer:
            self.observer.tool_started(cycle, self.ctx.fsm.state.value, call)
        try:
            result = self.tools[call.name].run(call.args, self.ctx)
        except RepairError as exc:  # a workspace or toolchain problem: the model should hear about it
            return ToolResult.error(f"{call.name} failed: {exc}", malformed=False)
        if result.ok:
            self.ctx.fsm.advance(call.name, cycle)
        return result

    def _exhausted(self) -> str:
        """Why the budget is spent, or ''."""
        b = self.budget
        return budget_spent(len(self.steps), self.usage, time.monotonic() - self._start, max_cycles=b.max_cycles,
                            max_tokens=b.max_tokens, max_usd=b.max_usd, max_seconds=b.max_seconds)

    def _budget_left(self, cycle: int) -> str:
        b = self.budget
        parts = [f"{b.max_cycles - cycle + 1} cycles (this one included)"]
        if b.max_tokens is not None:
            parts.append(f"{b.max_tokens - self.usage.prompt_tokens - self.usage.completion_tokens} tokens")
        if b.max_usd is not None:
            parts.append(f"${b.max_usd - self.usage.cost_usd:.4f}")
        if b.max_seconds is not None:
            parts.append(f"{b.max_seconds - (time.monotonic() - self._start):.0f} seconds")
        return ", ".join(parts)
