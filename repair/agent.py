"""The agent loop: RepairAgent's FSM-guided cycle of dynamic prompt → model → validated command → tool.

How a model gets what it needs: the agent calls `model.complete(messages, tools)` each cycle with the
system prompt (role, goals, guidelines), the dynamic state prompt, and the allowed tools as OpenAI function
schemas. A model that needs more than text (the offline engine reads the bug, the workspace, the memory and
the FSM state directly) is a `ContextBoundModel`; the agent calls its `bind(ctx)` once, before the first
cycle, with the same `ToolContext` the tools run in. Tools that need a model (generate_method_body) use
`ctx.model`, which the agent sets to the run's model as the agent calls it: recorded in the trajectory,
and paid from the run's one budget (`ctx.budget`), which refuses a call that what is left cannot pay for.
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
from repair.models.budget import Budget, BudgetedModel, RunBudget
from repair.models.reply_format import reply_from_dict
from repair.prompts import Observation, state_prompt, system_prompt
from repair.tools import Tool, ToolContext, ToolResult, all_tools, function_schema
from repair.tools.base import ContextBoundModel
from repair.trajectory import RecordingModel, Step, TrajectoryWriter, is_raised

__all__ = ["Agent", "AgentObserver", "AgentResult", "Budget", "MAX_MALFORMED_IN_A_ROW"]

MAX_MALFORMED_IN_A_ROW = 3
# Tools whose output steers the FSM rather than informs; the prompt shows them as hypotheses and state.
_STEERING = {"express_hypothesis", "discard_hypothesis", "collect_more_information", "goal_accomplished"}


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
    """Runs one repair attempt: prompt → reply → tool, recording each step, until the goal is accomplished,
    the run's budget (`ctx.budget`, shared with every other agent of the run) cannot pay for another model
    call, or this agent's own share of cycles (`max_cycles`, FixAgent's L3) is used up."""

    def __init__(self, model: Model, ctx: ToolContext, budget: Budget | None = None,
                 writer: TrajectoryWriter | None = None, observer: AgentObserver | None = None,
                 tools: dict[str, Tool] | None = None, *, max_cycles: int | None = None) -> None:
        if budget is not None:  # a run of its own: its clock starts now
            ctx.budget = RunBudget(budget)
        inner = model.inner if isinstance(model, BudgetedModel) else model
        if isinstance(inner, ContextBoundModel):
            inner.bind(ctx)
        same_budget = isinstance(model, BudgetedModel) and model.budget is ctx.budget
        self.model = RecordingModel(model if same_budget else BudgetedModel(inner, ctx.budget))
        self.ctx = ctx
        ctx.model = self.model
        self.max_cycles = max_cycles
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
        status, reason = "failed", ""
        try:
            while not self.ctx.fsm.done:
                if self.max_cycles is not None and len(self.steps) >= self.max_cycles:
                    unit = "cycle" if self.max_cycles == 1 else "cycles"
                    reason = f"cycle budget spent ({self.max_cycles} {unit} of this level)"
                    break
                self.step(len(self.steps) + 1)
                if self.malformed_in_a_row >= MAX_MALFORMED_IN_A_ROW:
                    status, reason = "error: model output", f"{MAX_MALFORMED_IN_A_ROW} malformed replies in a row"
                    break
        except ModelGaveUp as exc:  # the run's budget is spent, or the offline engine ran out of candidates
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
        try:
            reply = self.model.complete(messages, [function_schema(t) for t in allowed])
        except RepairError as exc:  # recorded, so that a replay stops where this run stopped, for the same reason
            self._write(Step(cycle=cycle, state_before=before, state_after=before, prompt_hash=prompt_hash,
                             replies=self.model.take(), tool=None, args={}, result=f"run stopped: {exc}", ok=False,
                             malformed=False, seconds=time.monotonic() - started, data={"stopped": True}))
            raise
        result = self._execute(cycle, reply)
        replies = self.model.take()
        usage = sum((reply_from_dict(r).usage for r in replies if not is_raised(r)), Usage())
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
        self._write(step)
        if self.observer:
            self.observer.step_done(step)
        return step

    def _write(self, step: Step) -> None:
        if self.writer:
            self.writer.write(step)

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
        self.ctx.cycle = cycle
        try:
            result = self.tools[call.name].run(call.args, self.ctx)
        except RepairError as exc:  # a workspace or toolchain problem: the model should hear about it
            return ToolResult.error(f"{call.name} failed: {exc}", malformed=False)
        if result.ok:
            self.ctx.fsm.advance(call.name, cycle)
        return result

    def _budget_left(self, cycle: int) -> str:
        mine = [] if self.max_cycles is None else [f"{self.max_cycles - cycle + 1} cycles of this level"]
        return ", ".join([*mine, self.ctx.budget.left()]) + " (this cycle included)"
