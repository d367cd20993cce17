"""`OfflineEngine`: a `Model` that repairs with fix templates, through the same agent loop and FSM as an LLM.

It reads the run's `ToolContext` (handed over by the agent's `bind` hook) and answers each cycle with
the command RepairAgent's workflow calls for:

    run_fault_localization → read_range (the top line) → express_hypothesis
    → write_fix (the first candidate the fast validator found plausible) → goal_accomplished

The search itself (templates per suspicious line, pre-screened with `FastPatchValidator`) happens
inside the `write_fix` turn; only candidates the pre-screen calls plausible are submitted, so the
trajectory shows the real validator's verdict on each. When the real validator disagrees, the
search resumes after that candidate. With no plausible candidate left, the engine submits the
closest miss (so the run shows what it tried) and then ends the run with `OfflineSearchExhausted`.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any, Literal

from repair.datasets.bug import Bug
from repair.errors import RepairError
from repair.fast_validation import FastPatchValidator, syntax_key
from repair.models.base import Message, ModelGaveUp, ModelReply, ToolCall, Usage
from repair.offline.search import Attempt, Location, SearchBudget, SearchOutcome, search
from repair.offline.stats import CandidateRecord, SearchStats
from repair.offline.type_check import JavaTypeChecker
from repair.offline.type_facts import type_facts_for
from repair.runners import TestReport, TestStatus
from repair.runners.base import WarmTestRunner
from repair.tools.base import ToolContext

READ_CONTEXT = 6  # lines shown around the top suspicious line
PRESCREEN_MIN_TIMEOUT = 1.0  # seconds
RETRY_MARGIN = 30.0  # seconds of the run kept for the real validator after re-judging timed-out candidates


class OfflineSearchExhausted(ModelGaveUp):
    """No template candidate was plausible within the budget: the offline engine has nothing left to try."""


class OfflineEngine:
    """Deterministic template-based repair behind the `Model` protocol; needs no network and no key."""

    # It answers the FSM agent's states, not FixAgent's free-text prompts (an `FsmOnlyModel`).
    fsm_only: Literal[True] = True

    def __init__(self, budget: SearchBudget | None = None, all_plausible: bool | None = None,
                 name: str = "offline") -> None:
        self.name = name
        self.budget = budget or SearchBudget(max_candidates=2000, max_seconds=240.0)
        env_all = os.environ.get("REPAIR_ALL_PLAUSIBLE", "") not in ("", "0")
        self.all_plausible = env_all if all_plausible is None else all_plausible
        self.ctx: ToolContext | None = None
        self.stats = SearchStats()
        self.records: list[CandidateRecord] = []  # every candidate of every search, in the order met
        self._queue: list[Attempt] = []  # pre-screened plausible candidates not yet submitted
        self._tried: set[str] = set()  # programs already searched (syntax keys)
        self._submitted: int = 0
        self._closest: Attempt | None = None
        self._gave_closest = False
        self._exhausted = False  # the search has nothing more to offer
        self._fl_asked = False
        self._read = False

    # -- Model protocol ------------------------------------------------------------------------
    def bind(self, ctx: ToolContext) -> None:
        """Called by the agent before the first cycle with the run's ToolContext."""
        self.ctx = ctx

    def search_stats(self) -> dict[str, Any]:
        """The search's candidate counts and time split (a `SearchingModel`)."""
        return self.stats.to_dict()

    @property
    def context(self) -> ToolContext:
        """The run's tool context; the engine cannot answer before the agent binds it."""
        if self.ctx is None:
            raise RepairError("the offline engine needs the agent's tool context (Agent calls bind(ctx))")
        return self.ctx

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        """The next command of the workflow for the FSM state in the context."""
        allowed = {_tool_name(t) for t in tools}
        thoughts, call = self._next(allowed)
        return ModelReply(text=f"{thoughts}\n{call.name}", thoughts=thoughts, command=call, usage=Usage())

    # -- the workflow ----------------------------------------------------------------------------
    def _next(self, allowed: set[str]) -> tuple[str, ToolCall]:
        ctx = self.context
        memory = ctx.memory
        if memory.plausible is not None and "goal_accomplished" in allowed and not self._queue:
            return "The validator confirmed a plausible patch.", ToolCall("goal_accomplished", {})
        if not self._fl_asked and "run_fault_localization" in allowed:
            self._fl_asked = True
            return "First, localize the fault.", ToolCall("run_fault_localization", {})
        if not self._read and "read_range" in allowed:
            self._read = True
            top = self._locations()[:1]
            if top:
                loc = top[0]
                start = max(1, loc.line - READ_CONTEXT)
                return (f"Read the code around the most suspicious line {loc.file}:{loc.line}.",
                        ToolCall("read_range", {"file": loc.file, "start": start, "end": loc.line + READ_CONTEXT}))
        if "express_hypothesis" in allowed:
            return "State what the templates will test.", ToolCall("express_hypothesis",
                                                                    {"hypothesis": self._hypothesis()})
        if "write_fix" in allowed:
            if not self._locations():
                raise OfflineSearchExhausted("fault localization found no suspicious line, so the fix templates "
                                             "have nowhere to apply")
            attempt = self._next_candidate()
            if attempt is not None:
                return self._submit(attempt)
            if memory.plausible is not None and "goal_accomplished" in allowed:
                return "The validator confirmed a plausible patch.", ToolCall("goal_accomplished", {})
            if self._closest is not None and not self._gave_closest:
                self._gave_closest = True
                return (f"No candidate is plausible ({self.stats.summary()}); submitting the closest miss.",
                        ToolCall("write_fix", {"diff": self._closest.candidate.diff()}))
            raise OfflineSearchExhausted(f"the offline engine found no plausible patch: {self.stats.summary()}")
        if "collect_more_information" in allowed:  # from try_fix back to collect, to write the next candidate
            return "That candidate was not confirmed; try the next one.", ToolCall("collect_more_information", {})
        raise OfflineSearchExhausted(f"the offline engine has no command for state '{ctx.fsm.state}'")

    def _locations(self) -> list[Location]:
        """Suspicious lines from the FL tool's ranking in memory (none when FL found none: the engine
        does not guess, e.g. a file's first lines, which are its licence header)."""
        return list(self.context.memory.suspects)

    def _hypothesis(self) -> str:
        locations = self._locations()
        if not locations:
            return "The fault is in the program under test; fix templates will be tried on its lines."
        where = ", ".join(f"{loc.file}:{loc.line}" for loc in locations[:3])
        return (f"The fault is most likely at {where}: a wrong operator, condition, literal, variable, call or a "
                f"missing or misplaced statement there. Fix templates will be tried on these lines in order.")

    def _next_candidate(self) -> Attempt | None:
        # Search (again) while nothing is queued and the validator has confirmed nothing: a second
        # round starts after the candidates already tried, when the real validator rejected one.
        if not self._queue and not self._exhausted and self.context.memory.plausible is None:
            self._run_search()
        return self._queue.pop(0) if self._queue else None

    def _run_search(self) -> None:
        """Pre-screen candidates with the fast validator; queue the plausible ones."""
        ctx = self.context
        baseline = ctx.validator.baseline()
        bug = prescreen_bug(ctx.bug, baseline)
        # The run's warm worker pre-screens too, with the pre-screen's shorter per-test limit; one scope for both
        # validators: the wider tests' baselines run once, whoever needs them first.
        shared = ctx.runner.with_timeout(bug.test_setup.per_test_timeout) if isinstance(
            ctx.runner, WarmTestRunner) else None
        validator = FastPatchValidator(ctx.workspace, bug, runner=shared, baseline=baseline, scope=ctx.validator.scope)
        if isinstance(ctx.validator, FastPatchValidator):
            validator.line_tests = ctx.validator.line_tests
        facts = type_facts_for(ctx.workspace, ctx.bug)  # Java: ill-typed candidates never reach javac
        try:
            budget = self.budget
            if ctx.deadline is not None:  # --max-seconds bounds the search inside one write_fix turn too
                left = ctx.deadline - time.monotonic()
                seconds = max(1.0, min(budget.max_seconds, left))
                # Re-judging timed-out candidates takes what the run has left after the search, less a margin
                # for the real validator's verdict on the patch.
                budget = replace(budget, max_seconds=seconds,
                                 retry_seconds=max(0.0, min(budget.retry_seconds, left - seconds - RETRY_MARGIN)))
            outcome = search(ctx.workspace, self._locations(), validator, budget,
                             all_plausible=self.all_plausible, is_test_path=ctx.bug.is_test_path,
                             skip=self._tried, checker=JavaTypeChecker(facts) if facts is not None else None,
                             patient=ctx.validator)
        finally:
            validator.close()
            if facts is not None:
                facts.close()
        self._merge(outcome)
        self.records.extend(outcome.records)
        # The candidates this search judged go into the trajectory, with the step of this turn.
        ctx.memory.search_log.extend(r.to_dict() for r in outcome.records)
        self._exhausted = self.all_plausible or outcome.stopped != "plausible"
        # Submit the best-ranked last: write_fix keeps the last plausible patch as the run's patch.
        self._queue = list(reversed(outcome.plausible)) if self.all_plausible else outcome.plausible[:1]

    def _merge(self, outcome: SearchOutcome) -> None:
        self.stats.merge(outcome.stats)
        for attempt in outcome.attempts:
            self._tried.add(syntax_key({attempt.candidate.file: attempt.candidate.new_text}))
            if not attempt.result.plausible and attempt.result.status == "not-plausible" and (
                    self._closest is None or _misses(attempt) < _misses(self._closest)):
                self._closest = attempt

    def _submit(self, attempt: Attempt) -> tuple[str, ToolCall]:
        self._submitted += 1
        c = attempt.candidate
        thoughts = (f"Template '{c.template}' at {c.file}:{c.line} ({c.description}) passed the fast pre-screen. "
                    f"Search so far: {self.stats.summary()}.")
        return thoughts, ToolCall("write_fix", {"diff": c.diff()})


def prescreen_bug(bug: Bug, baseline: TestReport) -> Bug:
    """The bug with a per-test timeout fit for pre-screening: 20 times its slowest passing test, at least
    PRESCREEN_MIN_TIMEOUT, at most the bug's own. Candidates that loop forever are common (a wrong update
    of a loop variable); the real validator still judges every submitted candidate with the full timeout."""
    passing = [r.seconds for r in baseline.results.values() if r.status == TestStatus.PASS]
    if not passing or max(passing) <= 0:
        return bug  # no timings (a build tool's report, e.g. Defects4J's): keep the bug's own timeout
    timeout = min(bug.test_setup.per_test_timeout, max(PRESCREEN_MIN_TIMEOUT, 20 * max(passing)))
    return replace(bug, test_setup=replace(bug.test_setup, per_test_timeout=timeout))


def _misses(attempt: Attempt) -> int:
    return len(attempt.result.still_failing) + len(attempt.result.regressions)


def _tool_name(schema: dict[str, Any]) -> str:
    function = schema.get("function", schema)
    return str(function.get("name", "")) if isinstance(function, dict) else ""
