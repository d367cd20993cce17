"""FixAgent's escalation: L1 (Locator + Fixer), then L2 (+ Summarizer, Slicer, FixerPro rounds), then L3
(+ RepoFocus, Helper, then RepairAgent's FSM agent with everything gathered so far), until a plausible patch.

One budget governs the run (`ctx.budget`: model calls, tokens, dollars, seconds since `repair fix` began);
every agent's call and every FSM cycle is paid from it, and when it cannot pay for a call the run ends.
Each level may also take only a share of it (`LevelBudget`); a level that spends its share hands over to
the next. Every agent call is a trajectory step (state `L1`/`L2`/`L3`, tool `fixagent.<agent>`), so a run
can be replayed from its recorded replies; so is what the caches and the web answered, so that a replay
makes the same model calls. The FSM agent's own cycles follow in the same file.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repair.agent import Agent, AgentObserver, AgentResult
from repair.errors import RepairError
from repair.fault_localization import FaultLocalizer, Suspicious
from repair.fixagent import (
    AgentCall,
    BuggyFile,
    CachedSearch,
    DdgsSearch,
    Draft,
    Guide,
    RelatedFile,
    ReviewedPatch,
    Slice,
    Summaries,
    WebSearch,
    fix,
    help_debug,
    load_sources,
    locate,
    rank_related,
    refine,
    slice_file,
    summarize,
)
from repair.fixagent.recorded import ReplayedCaches
from repair.fixagent.repo_focus import describe as describe_related
from repair.fixagent.summarizer import cache_file
from repair.models.base import Model, ModelGaveUp, ToolCall, Usage
from repair.models.budget import BudgetedModel, usd
from repair.prompts import Observation
from repair.runners.report import collapse_repeated_frames
from repair.syntax import language_of
from repair.tools import FixAttempt, ToolContext
from repair.trajectory import RecordingModel, Step, TrajectoryWriter, is_raised
from repair.user_cache import user_cache_dir

MAX_FAILURES_SHOWN = 5
MAX_TRACE_CHARS = 800


@dataclass
class LevelBudget:
    """The share of the run's budget one level may take (None: whatever is left). `max_cycles` counts model
    calls (a cached summary is free); at L3 it covers the Helper's call and the FSM agent's cycles."""

    max_cycles: int | None = None
    max_tokens: int | None = None
    max_usd: float | None = None


@dataclass
class EscalationConfig:
    """Each level's share of the run's budget, FixerPro's rounds, where caches and the web are, and (in a
    replay) what the caches answered in the recorded run."""

    l1: LevelBudget = field(default_factory=lambda: LevelBudget(2))
    l2: LevelBudget = field(default_factory=lambda: LevelBudget(5))
    l3: LevelBudget = field(default_factory=LevelBudget)
    fixer_pro_rounds: int = 3
    cache_dir: Path | None = None  # default: $REPAIR_CACHE_DIR or ~/.cache/repair
    web_search: WebSearch | None = None  # default: ddgs, cached on disk
    use_web: bool = True
    replayed: ReplayedCaches | None = None

    def budget(self, level: int) -> LevelBudget:
        return (self.l1, self.l2, self.l3)[level - 1]


@dataclass
class AgentRun:
    """One agent's turn: its level, what came out, and what it cost."""

    level: int
    agent: str
    outcome: str  # e.g. "lines 4", "plausible", "not-plausible", "cached", "web search unavailable"
    detail: str = ""
    usage: Usage = field(default_factory=Usage)
    cached: bool = False


@dataclass
class LevelReport:
    level: int
    status: str  # plausible | failed | skipped | error
    reason: str
    cycles: int = 0
    usage: Usage = field(default_factory=Usage)


@dataclass
class EscalationResult:
    """How the escalation ended. `level` is the level that produced the plausible patch (None if none did)."""

    status: str  # plausible | failed | error: model
    reason: str
    level: int | None
    patch: str
    agents: list[AgentRun]
    levels: list[LevelReport]
    usage: Usage
    seconds: float
    notes: list[str] = field(default_factory=list)  # e.g. hunks relocated to where their context matched
    fsm: AgentResult | None = None

    @property
    def agents_ran(self) -> list[str]:
        """The agents in the order they ran."""
        return [a.agent for a in self.agents]

    def as_agent_result(self) -> AgentResult:
        """The run seen as one agent run: all levels' cycles and usage, the FSM agent's transitions."""
        cycles = sum(level.cycles for level in self.levels)
        fsm = self.fsm
        return AgentResult(self.status, self.reason, self.patch, cycles, self.usage, self.seconds,
                           list(fsm.transitions) if fsm else [], list(fsm.steps) if fsm else [])

    def summary_fields(self) -> dict[str, Any]:
        """What result.json adds for an escalated run: the level, the agents in order, per-level costs."""
        return {
            "level": self.level, "agents": self.agents_ran, "notes": self.notes,
            "levels": [{"level": v.level, "status": v.status, "reason": v.reason, "cycles": v.cycles,
                        "tokens": v.usage.prompt_tokens + v.usage.completion_tokens,
                        "cost_usd": round(v.usage.cost_usd, 6)} for v in self.levels],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "reason": self.reason, "level": self.level, "patch": self.patch,
            "agents": [asdict(a) for a in self.agents], "levels": [asdict(v) for v in self.levels],
            "usage": asdict(self.usage), "seconds": round(self.seconds, 3), "notes": self.notes,
        }


class _Meter:
    """What one level spent, checked against its share of the run's budget."""

    def __init__(self, level: int, budget: LevelBudget) -> None:
        self.level = level
        self.budget = budget
        self.usage = Usage()
        self.cycles = 0

    def charge(self, usage: Usage, cycles: int = 1) -> None:
        self.usage = self.usage + usage
        self.cycles += cycles

    def exhausted(self) -> str:
        """Why this level may not make another model call, or ''."""
        b = self.budget
        tokens = self.usage.prompt_tokens + self.usage.completion_tokens
        if b.max_cycles is not None and self.cycles >= b.max_cycles:
            return f"L{self.level} cycle budget spent ({b.max_cycles} model calls)"
        if b.max_tokens is not None and tokens >= b.max_tokens:
            return f"L{self.level} token budget spent ({tokens} of {b.max_tokens} tokens)"
        if b.max_usd is not None and self.usage.cost_usd >= b.max_usd:
            return f"L{self.level} dollar budget spent ({usd(self.usage.cost_usd)} of {usd(b.max_usd)})"
        return ""

    def cycles_left(self) -> int | None:
        return None if self.budget.max_cycles is None else max(self.budget.max_cycles - self.cycles, 0)


@dataclass
class _Gathered:
    """What the levels learned, handed on to the next level and finally to the FSM agent."""

    suspicious: list[Suspicious] = field(default_factory=list)
    file: BuggyFile | None = None
    failures: str = ""
    lines: list[int] = field(default_factory=list)
    reviewed: list[ReviewedPatch] = field(default_factory=list)
    summaries: Summaries | None = None
    snippet: Slice | None = None
    related: list[RelatedFile] = field(default_factory=list)
    guide: Guide | None = None
    fl_note: str = ""


class _LevelStopped(Exception):
    """This level's budget is spent; go up a level."""


class Escalation:
    """Runs L1, then L2, then L3 on one bug in `ctx`, until a patch is plausible."""

    def __init__(self, model: Model, ctx: ToolContext, config: EscalationConfig | None = None,
                 writer: TrajectoryWriter | None = None, observer: AgentObserver | None = None) -> None:
        # Every call of every level goes through the run's budget; FixAgent's calls are also recorded here
        # (the FSM agent records its own).
        self.model = model if isinstance(model, BudgetedModel) and model.budget is ctx.budget else \
            BudgetedModel(model, ctx.budget)
        self.recorder = RecordingModel(self.model)
        self.ctx = ctx
        self.config = config or EscalationConfig()
        self.writer = writer
        self.observer = observer
        self.cache_dir = self.config.cache_dir or user_cache_dir()
        self.agents: list[AgentRun] = []
        self.levels: list[LevelReport] = []
        self.notes: list[str] = []
        self.usage = Usage()
        self.gathered = _Gathered()
        self.fsm_result: AgentResult | None = None
        self._step = 0

    def run(self) -> EscalationResult:
        """Escalate until a plausible patch appears, L3 ends, or the run's budget cannot pay for a call."""
        started = time.monotonic()
        status, reason, level = "failed", "", None
        runners = {1: self._level1, 2: self._level2, 3: self._level3}
        try:
            self._prepare()
        except RepairError as exc:  # no buggy file to work on
            status, reason = "error: model", str(exc)
            self.levels.append(LevelReport(1, "error", reason))
            runners = {}
        for number, run_level in runners.items():
            meter = _Meter(number, self.config.budget(number))
            stopped = ""
            try:
                run_level(meter)
            except _LevelStopped as exc:
                stopped = str(exc)
            except RepairError as exc:  # the run's budget is spent, or the model cannot answer: the run ends
                self._record_stop(number, exc)
                self.usage = self.usage + meter.usage
                gave_up = isinstance(exc, ModelGaveUp)
                status, reason = ("failed" if gave_up else "error: model"), str(exc)
                self.levels.append(LevelReport(number, "failed" if gave_up else "error", reason, meter.cycles,
                                               meter.usage))
                break
            self.usage = self.usage + meter.usage
            plausible = self.ctx.memory.plausible is not None
            fsm = self.fsm_result if number == 3 else None
            if fsm is not None and fsm.status.startswith("error"):
                self.levels.append(LevelReport(number, "error", fsm.reason, meter.cycles, meter.usage))
                status, reason = fsm.status, fsm.reason
                break
            outcome = "a plausible patch" if plausible else (fsm.reason if fsm else "") or "no plausible patch"
            self.levels.append(LevelReport(number, "plausible" if plausible else "failed", stopped or outcome,
                                           meter.cycles, meter.usage))
            if plausible:
                status, reason, level = "plausible", f"plausible patch at L{number}", number
                break
        if status == "failed" and not reason:
            last = self.levels[-1]
            reason = f"no level produced a plausible patch (L{last.level}: {last.reason})"
        plausible_result = self.ctx.memory.plausible
        return EscalationResult(status, reason, level, plausible_result.diff if plausible_result else "",
                                self.agents, self.levels, self.usage, time.monotonic() - started, self.notes,
                                self.fsm_result)

    # -- levels ---------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Fault localization, the buggy file and the failures: no model call, shared by every level."""
        g = self.gathered
        options = self.ctx.options
        if self.ctx.baseline is None:  # the validator needs the full run anyway; the failures come from it too
            self.ctx.baseline = self.ctx.validator.baseline()
        try:
            g.suspicious = FaultLocalizer(formula=options.fl_formula, perfect=options.perfect_fl,
                                          mutants=self.ctx.mutants).localize(
                self.ctx.bug, self.ctx.workspace, self.ctx.runner, self.ctx.baseline)
        except RepairError as exc:  # FL is a hint; without it the program files are the candidates
            g.fl_note = f"fault localization failed: {exc}"
        path = g.suspicious[0].file if g.suspicious else next(iter(self.ctx.bug.program_files), None)
        if path is None or not self.ctx.workspace.exists(path):
            raise RepairError(f"cannot tell which file of {self.ctx.bug.id} is buggy: fault localization found no "
                              "line and the bug lists no program files")
        g.file = BuggyFile(path, self.ctx.workspace.read_file(path),
                           language_of(path) or self.ctx.bug.language)
        g.failures = self._failures()
        self.ctx.memory.suspects = g.suspicious[:20]

    def _failures(self) -> str:
        report = self.ctx.failing_report()
        failing = [r for r in report.results.values() if r.status.failed]
        if not report.build_ok:
            return f"the build fails:\n{report.build_output[:2000]}"
        parts = [f"- {r.test_id}: {r.message.strip()[:400]}\n"
                 f"{collapse_repeated_frames(r.trace.strip())[:MAX_TRACE_CHARS]}" for r in failing[:MAX_FAILURES_SHOWN]]
        if len(failing) > MAX_FAILURES_SHOWN:
            parts.append(f"({len(failing) - MAX_FAILURES_SHOWN} more failing tests)")
        return "\n".join(parts) or "(no failing test detail)"

    def _level1(self, meter: _Meter) -> None:
        g = self.gathered
        assert g.file is not None
        self._need(meter)
        located = locate(self.recorder, g.file, g.suspicious, g.failures)
        g.lines = located.lines
        self._record(1, "locator", meter, located.call, f"lines {', '.join(map(str, g.lines)) or '(none)'}",
                     located.note)
        self._need(meter)
        draft = fix(self.recorder, g.file, g.lines, g.failures)
        self._try_draft(1, "fixer", meter, draft)

    def _level2(self, meter: _Meter) -> None:
        g = self.gathered
        assert g.file is not None
        if not g.summaries:
            replayed = self.config.replayed
            if replayed is not None and replayed.summaries is not None:  # the recorded run's cache hit
                g.summaries = Summaries(replayed.summaries, None, cached=True)
            else:  # a replay of a run that asked the model asks again: the cache must not answer
                self._need(meter, free=replayed is None and summaries_cached(self.cache_dir, g.file))
                g.summaries = summarize(self.recorder, g.file, None if replayed is not None else self.cache_dir)
            cached = g.summaries.cached
            self._record(2, "summarizer", meter, g.summaries.call,
                         "cached" if cached else f"{len(g.summaries.by_function)} functions",
                         g.summaries.text(), cached=cached,
                         data={"cache": "hit", "summaries": g.summaries.by_function} if cached else {"cache": "miss"})
        self._need(meter)
        g.snippet = slice_file(self.recorder, g.file, g.lines, g.summaries)
        self._record(2, "slicer", meter, g.snippet.call, f"lines {g.snippet.first}-{g.snippet.last}",
                     g.snippet.note)
        for _round in range(self.config.fixer_pro_rounds):
            self._need(meter)
            draft = refine(self.recorder, g.file, g.snippet, g.summaries, g.reviewed, g.failures)
            if self._try_draft(2, "fixer_pro", meter, draft):
                return

    def _level3(self, meter: _Meter) -> None:
        g = self.gathered
        assert g.file is not None
        query = "\n".join([g.failures, g.snippet.text if g.snippet else "", *self.ctx.bug.failing_tests])
        g.related = rank_related(load_sources(self.ctx.workspace), query, focus=g.file.path,
                                 skip=self.ctx.bug.is_test_path)
        self._record(3, "repo_focus", meter, None, f"{len(g.related)} related files", describe_related(g.related),
                     cycles=0)
        if self.config.use_web:
            self._need(meter)
            replayed = self.config.replayed
            search = (replayed.web if replayed and replayed.web else None) or self.config.web_search or \
                CachedSearch(DdgsSearch(), self.cache_dir)
            g.guide = help_debug(self.recorder, g.file.language, g.failures, search)
            self._record(3, "helper", meter, g.guide.call, "guide written" if g.guide.available else
                         "web search unavailable", g.guide.for_prompt(), cycles=1 if g.guide.call else 0,
                         data={"web": g.guide.record()})
        self._need(meter)
        agent = Agent(self.model, self.ctx, writer=self.writer, observer=self.observer, max_cycles=meter.cycles_left())
        self.ctx.memory.handover = [f"{obs.command}\n{obs.result}" for obs in self._handover()]
        self.fsm_result = agent.run()
        meter.charge(self.fsm_result.usage, self.fsm_result.cycles)
        self.agents.append(AgentRun(3, "fsm_agent", self.fsm_result.status, self.fsm_result.reason,
                                    self.fsm_result.usage))

    # -- the FSM agent's memory -----------------------------------------------------------
    def _handover(self) -> list[Observation]:
        """Everything L1-L3 gathered, as the FSM agent's earlier observations (cycle 0).

        The fixes tried are already in `ctx.memory.attempts` and the FL lines in `ctx.memory.suspicious`;
        the rest (lines, summaries, slice, related files, guide) has no memory field, so it goes in as
        gathered information, which the agent's prompt shows.
        """
        g = self.gathered
        assert g.file is not None
        shown = [
            ("fixagent.locator", f"Suspicious lines of {g.file.path}: {', '.join(map(str, g.lines)) or '(none)'}\n"
                                 f"Fault localization: {'; '.join(self.ctx.memory.suspicious[:10]) or g.fl_note}"),
        ]
        if g.summaries:
            shown.append(("fixagent.summarizer", f"Function summaries of {g.file.path}:\n{g.summaries.text()}"))
        if g.snippet:
            shown.append(("fixagent.slicer", f"Suspicious snippet of {g.file.path}:\n{g.snippet.text}"))
        if g.reviewed:
            shown.append(("fixagent.fixer_pro", "Patches tried at L1/L2 and why they failed:\n" + "\n\n".join(
                f"{r.diff.strip()[:1200]}\nverdict: {r.verdict.strip()[:600]}" for r in g.reviewed[-4:])))
        shown.append(("fixagent.repo_focus", f"Files related to the bug:\n{describe_related(g.related)}"))
        if g.guide:
            shown.append(("fixagent.helper", g.guide.for_prompt()))
        return [Observation(0, command, result) for command, result in shown]

    # -- bookkeeping ----------------------------------------------------------------------
    def _need(self, meter: _Meter, free: bool = False) -> None:
        reason = "" if free else meter.exhausted()
        if reason:
            raise _LevelStopped(reason)

    def _try_draft(self, level: int, agent: str, meter: _Meter, draft: Draft) -> bool:
        """Validate a drafted patch, remember the verdict for FixerPro and the FSM agent; True when plausible."""
        g = self.gathered
        if draft.diff is None:
            g.reviewed.append(ReviewedPatch(draft.call.text.strip()[:1500] or "(empty reply)",
                                            f"{draft.error}: answer with a ```diff block", is_diff=False))
            self._record(level, agent, meter, draft.call, "no diff", draft.error, ok=False)
            return False
        result = self.ctx.validator.validate(draft.diff)
        self.notes.extend(result.notes)
        verdict = result.describe() + "".join(f"\nnote: {n}" for n in result.notes)
        earlier = self.ctx.memory.tried(result.diff) if result.cached and not result.plausible else None
        if earlier is not None:  # the same change again: the same verdict, and not counted as a new try
            verdict = f"already tried at {earlier.when()}: {verdict}"
            g.reviewed.append(ReviewedPatch(draft.diff, verdict))
            self._record(level, agent, meter, draft.call, "already tried", verdict, ok=False,
                         data={**result.to_dict(), "already_tried": True})
            return False
        g.reviewed.append(ReviewedPatch(draft.diff, verdict))
        self.ctx.memory.attempts.append(FixAttempt(result.diff or draft.diff, result.status,
                                                   verdict.splitlines()[0] if verdict else result.status,
                                                   self._step + 1, f"L{level} {agent}", scope=result.scope_lines()))
        if result.plausible:
            self.ctx.memory.plausible = result
        self._record(level, agent, meter, draft.call, result.status, verdict, ok=result.plausible,
                     data=result.to_dict())
        return result.plausible

    def _record(self, level: int, agent: str, meter: _Meter, call: AgentCall | None, outcome: str, detail: str,
                ok: bool = True, cached: bool = False, cycles: int | None = None,
                data: dict[str, Any] | None = None) -> None:
        usage = call.usage if call else Usage()
        meter.charge(usage, cycles if cycles is not None else (1 if call else 0))
        self.agents.append(AgentRun(level, agent, outcome, detail, usage, cached))
        self._step += 1
        state = f"L{level}"
        prompt_hash = hashlib.sha256(json.dumps(call.messages).encode()).hexdigest()[:16] if call else ""
        step = Step(cycle=self._step, state_before=state, state_after=state, prompt_hash=prompt_hash,
                    replies=self.recorder.take(), tool=f"fixagent.{agent}", args={},
                    result=f"{outcome}\n{detail}".strip(), ok=ok, malformed=False, prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens, cost_usd=usage.cost_usd, data=data or {})
        if self.writer:
            self.writer.write(step)
        if self.observer:
            self.observer.tool_started(self._step, state, ToolCall(f"fixagent.{agent}"))
            self.observer.step_done(step)

    def _record_stop(self, level: int, exc: RepairError) -> None:
        """The call that ended the run, so that a replay ends at the same call for the same reason."""
        entries = self.recorder.take()
        if not any(is_raised(e) for e in entries) or not self.writer:
            return
        self._step += 1
        self.writer.write(Step(cycle=self._step, state_before=f"L{level}", state_after=f"L{level}", prompt_hash="",
                               replies=entries, tool=None, args={}, result=f"run stopped: {exc}", ok=False,
                               malformed=False, data={"stopped": True}))


def summaries_cached(cache_dir: Path, file: BuggyFile) -> bool:
    """True when the Summarizer will answer from its cache (and so costs no model call)."""
    return cache_file(cache_dir, file).is_file()
