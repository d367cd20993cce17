"""One `repair fix` run: check the bug out, build the agent, run it, write the run's artifacts, maybe apply.

Artifacts in `runs/<bug>/<timestamp>/`: `trajectory.jsonl`, `result.json`, `patch.diff`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from repair.agent import Agent, AgentObserver, AgentResult
from repair.apply_patch import apply_to_repo
from repair.checkout import CheckedOutBug, check_out
from repair.containers.secrets_filter import scrub_secrets
from repair.datasets.registry import DatasetOptions
from repair.errors import RepairError
from repair.escalation import Escalation, EscalationConfig, EscalationResult, LevelBudget
from repair.fast_validation import FastPatchValidator
from repair.fault_localization import rank_methods
from repair.fault_localization.sources import SourceIndex
from repair.fixagent.recorded import ReplayedCaches
from repair.model_spec import default_spec, make_model
from repair.models import FsmOnlyModel, Model, ScriptedModel, SearchingModel, load_prices
from repair.models.base import ReachableModel
from repair.models.budget import Budget, RunBudget, check_limits
from repair.offline.mutants import TemplateMutants
from repair.patch import content_key
from repair.patch_rules import PatchRules
from repair.provenance import made_here, sign_run
from repair.runners.base import WarmTestRunner
from repair.tools import ToolContext, ToolOptions
from repair.trajectory import Step, TrajectoryWriter, read_trajectory, replay_script
from repair.user_config import web_allowed
from repair.validation import PatchValidator

MAX_CANDIDATE_RECORDS = 2000  # one by one in result.json; the search counts cover every candidate
FL_LINES, FL_METHODS = 10, 5  # fault localization's top lines and methods in result.json


@dataclass
class FixOptions:
    """Everything `repair fix` is told; saved in result.json so that `repair replay` can rerun it."""

    bug_id: str
    _: KW_ONLY
    model: str | None = None
    base_url: str | None = None
    max_cycles: int = 40
    budget_usd: float | None = None
    max_tokens: int | None = None
    max_seconds: float | None = None
    perfect_fl: bool = False
    backend: str = "local"
    runs_dir: str = "runs"
    apply: bool = False
    prices_file: str | None = None
    quixbugs_root: str | None = None
    test_cmd: str | None = None
    final_test_cmd: str | None = None
    strategy: str = "auto"  # fsm | escalate | auto (escalate when an LLM is configured)
    all_plausible: bool = False
    reports: bool = True
    web: bool | None = None  # may the Helper search the web? None: the settings file says (default yes)

    def __post_init__(self) -> None:
        # Refused here, before any checkout: such a run could never make a model call.
        check_limits({"--max-cycles": self.max_cycles, "--max-tokens": self.max_tokens,
                      "--budget-usd": self.budget_usd, "--max-seconds": self.max_seconds})

    def budget(self) -> Budget:
        """The run's limits; `--max-cycles` counts model calls, whichever agent or tool makes them."""
        return Budget(max_cycles=self.max_cycles, max_tokens=self.max_tokens, max_usd=self.budget_usd,
                      max_seconds=self.max_seconds)

    def uses_web(self) -> bool:
        return web_allowed() if self.web is None else self.web

    def resolved_strategy(self) -> str:
        """`auto` is FixAgent's escalation for LLMs; the offline engine and scripts drive the FSM agent."""
        if self.strategy in STRATEGIES:
            return self.strategy
        if self.strategy != "auto":
            raise RepairError(f"unknown strategy '{self.strategy}': use fsm, escalate or auto")
        spec = self.model or default_spec(self.base_url)
        return "escalate" if spec.startswith("openai") else "fsm"


STRATEGIES = ("fsm", "escalate")


@dataclass
class FixOutcome:
    """The agent's result and where its artifacts are (`escalation` when FixAgent's levels ran; `applied`:
    the files `--apply` wrote into the user's repository)."""

    run_dir: Path
    result: AgentResult
    summary: dict[str, Any] = field(default_factory=dict)
    escalation: EscalationResult | None = None
    applied: list[str] = field(default_factory=list)


class NothingToRepair(RepairError):
    """The bug's tests all pass on the checked-out version: there is no failure for the agent to repair."""


def default_runs_dir(bug_id: str, cwd: Path | None = None) -> Path:
    """`./runs`, unless that lies inside the local repository being repaired: the user's repository is only
    read, so its runs go to `$XDG_STATE_HOME/repair/runs` (~/.local/state/repair/runs) instead."""
    cwd = (cwd or Path.cwd()).resolve()
    here = cwd / "runs"
    if not bug_id.startswith("local:"):
        return here
    repo = Path(bug_id.split(":", 1)[1]).resolve()
    if here != repo and repo not in here.parents:
        return here
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "repair" / "runs"


def run_dir_for(options: FixOptions, suffix: str = "") -> Path:
    safe = options.bug_id.replace("/", "_").replace(":", "__").strip("_")[-120:]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f") + suffix
    return Path(options.runs_dir) / safe / stamp


def make_context(checked: CheckedOutBug, options: ToolOptions | None = None) -> ToolContext:
    """The tools' context for a checked-out bug, with the buggy version's full test report.

    The baseline is run here, on the clean checkout, so that every later validation compares against it.
    With the run's warm worker, every patch is validated in it too (`FastPatchValidator`).
    """
    validator: PatchValidator
    if isinstance(checked.runner, WarmTestRunner):
        validator = FastPatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline,
                                       relocate=True)
    else:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline,
                                   relocate=True)
    baseline = validator.baseline()
    return ToolContext(checked.bug, checked.workspace, validator, checked.runner, baseline=baseline,
                       options=options or ToolOptions(), mutants=TemplateMutants())


def run_fix(options: FixOptions, model: Model | None = None, observer: AgentObserver | None = None,
            run_dir: Path | None = None, escalation_config: EscalationConfig | None = None,
            checked: CheckedOutBug | None = None, say: Callable[[str], None] | None = None,
            budget: RunBudget | None = None) -> FixOutcome:
    """Repair `options.bug_id` in a fresh workspace with the FSM agent or FixAgent's escalation.

    One budget (`budget`, by default the options' limits, its clock started now) pays for every model call
    of the run, the checkout and the baseline test run counting against its time. `checked` is a bug the
    caller already checked out (and closes itself), so that its baseline test run is not repeated. Writes
    trajectory.jsonl, result.json, patch.diff and the review reports; the user's files change only with
    `apply`. `say` hears what happens before the agent's first cycle. Raises `NothingToRepair` when every
    test of the bug passes, and a RepairError before the checkout when the model's server cannot be used.
    """
    started = time.monotonic()
    budget = budget or RunBudget(options.budget(), started)
    say = say or (lambda _line: None)
    if options.apply and not options.bug_id.startswith("local:"):
        raise RepairError("--apply writes the patch into your repository: use it with a local repo (--repo DIR)")
    options = replace(options, strategy=options.resolved_strategy(), web=options.uses_web())
    model = model or make_model(options.model, options.base_url, load_prices(options.prices_file),
                                all_plausible=options.all_plausible)
    if options.strategy == "escalate" and isinstance(model, FsmOnlyModel):
        raise RepairError(f"the {model.name} model drives RepairAgent's FSM agent only: use --strategy fsm, "
                          "or an LLM (--model openai:NAME) for FixAgent's escalation")
    if isinstance(model, ReachableModel):
        say(f"checking that the model {model.name} answers")
        model.check_reachable()
    run_dir = run_dir or run_dir_for(options)
    owned = checked is None
    if checked is None:
        say(f"checking out {options.bug_id} ({options.backend} workspace)")
        checked = check_out(options.bug_id, DatasetOptions(options.quixbugs_root, options.test_cmd,
                                                           final_test_cmd=options.final_test_cmd),
                            backend=options.backend, discover_failing=False)
    escalation: EscalationResult | None = None
    try:
        say("running the tests of the buggy version")
        # The warm worker measures each test's coverage on the way, for fault localization.
        warm = isinstance(checked.runner, WarmTestRunner)
        checked.discover_failing(cover=SourceIndex(checked.bug, checked.workspace).files if warm else None)
        _check_something_fails(checked)
        ctx = make_context(checked, ToolOptions(perfect_fl=options.perfect_fl))
        ctx.budget = budget
        say(f"tests before the repair: {ctx.baseline.summary() if ctx.baseline else '?'}; starting the agent "
            f"({model.name}, {options.strategy} strategy)")
        writer = TrajectoryWriter(run_dir / "trajectory.jsonl")
        if options.strategy == "escalate":
            config = escalation_config or escalation_config_from(options)
            escalation = Escalation(model, ctx, config, writer, observer).run()
            result = escalation.as_agent_result()
        else:
            result = Agent(model, ctx, writer=writer, observer=observer).run()
        summary = _summary(checked, ctx, model, result, options, time.monotonic() - started, escalation)
    finally:
        if owned:
            checked.close()
    applied = _write_artifacts(run_dir, summary, options, checked.bug.patch_rules())
    return FixOutcome(run_dir, result, summary, escalation, applied)


def _check_something_fails(checked: CheckedOutBug) -> None:
    """A bug whose failing tests were found by running them all (a local repo), and all of which pass,
    has nothing to repair."""
    baseline = checked.baseline
    if checked.bug.failing_tests or baseline is None or not baseline.all_passed or baseline.timed_out:
        return
    raise NothingToRepair(f"nothing to repair: every test passes ({baseline.summary()})")


def run_escalation(options: FixOptions, model: Model | None = None, observer: AgentObserver | None = None,
                   run_dir: Path | None = None, config: EscalationConfig | None = None) -> FixOutcome:
    """`run_fix` with FixAgent's L1→L2→L3 escalation, whatever the model."""
    return run_fix(replace(options, strategy="escalate"), model, observer, run_dir, config)


def escalation_config_from(options: FixOptions) -> EscalationConfig:
    """The levels' shares of the run's budget (L1 two calls, L2 five, L3 what is left) and the web switch;
    the run's own limits are on its `RunBudget`, which every level pays from."""
    return EscalationConfig(l3=LevelBudget(), use_web=options.uses_web())


def _summary(checked: CheckedOutBug, ctx: ToolContext, model: Model, result: AgentResult, options: FixOptions,
             seconds: float, escalation: EscalationResult | None) -> dict[str, Any]:
    plausible = ctx.memory.plausible
    summary: dict[str, Any] = {
        "bug": checked.bug.id, "model": model.name, "strategy": options.strategy, "status": result.status,
        "reason": result.reason, "patch": result.patch, "cycles": result.cycles,
        "tokens": {"prompt": result.usage.prompt_tokens, "completion": result.usage.completion_tokens},
        "cost_usd": round(result.usage.cost_usd, 6), "seconds": round(seconds, 3),
        "tests_before": {"failing": list(checked.bug.failing_tests)},
        "tests_after": plausible.to_dict() if plausible else None,
        "fixes_tried": [asdict(a) for a in ctx.memory.attempts],
        "transitions": [{"cycle": t.cycle, "tool": t.tool, "from": t.before.value, "to": t.after.value}
                        for t in result.transitions],
        "options": asdict(options),
        "budget": ctx.budget.to_dict(),
    }
    if ctx.memory.suspects:  # the ranking the run worked from: lines and, side by side, methods
        summary["fault_localization"] = {
            "lines": [s.to_dict() for s in ctx.memory.suspects[:FL_LINES]],
            "methods": [m.to_dict() for m in rank_methods(ctx.memory.suspects)[:FL_METHODS]]}
    if escalation is not None:
        summary.update(escalation.summary_fields())
    if isinstance(model, SearchingModel):
        summary["search"] = model.search_stats()  # the offline engine's candidate counts and time split
        if "depth" in summary["search"]:  # how far down the fault-localisation ranking it went
            summary["search_depth"] = summary["search"]["depth"]
    # Every candidate the model judged before submitting (the trajectory's steps hold the same records).
    judged = [c for step in result.steps for c in step.data.get("candidates", [])]
    if judged:
        summary["candidates"] = judged[:MAX_CANDIDATE_RECORDS]
    return summary


def _write_artifacts(run_dir: Path, summary: dict[str, Any], options: FixOptions, rules: PatchRules) -> list[str]:
    """result.json, patch.diff and the reports; with `apply`, the patch into the repo (the files it wrote)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "result.json").write_text(json.dumps(summary, indent=2))
    (run_dir / "patch.diff").write_text(summary["patch"])
    if options.reports:
        try:
            from repair.reports import write_run_reports  # the report code loads when a report is written

            write_run_reports(run_dir)
        except Exception as exc:  # noqa: BLE001 - a report that cannot be drawn must not lose the run's result
            (run_dir / "report-error.txt").write_text(f"{type(exc).__name__}: {exc}\n")
    scrub_secrets(run_dir)  # no value of a secret variable stays in any file of the run
    sign_run(run_dir)
    if options.apply and summary["patch"] and summary["status"] == "plausible":
        return apply_to_repo(options.bug_id.split(":", 1)[1], summary["patch"], rules)
    return []


@dataclass
class ReplayOutcome:
    """A replay and how it compares with the recorded run: `differences` names the first step that differs
    (state, tool, arguments or verdict), then status, reason and patch."""

    original: dict[str, Any]
    replay: FixOutcome
    same: bool
    differences: list[str]


def replay(run_dir: Path, observer: AgentObserver | None = None, trust: bool = False,
           backend: str | None = None) -> ReplayOutcome:
    """Rerun a recorded run with a ScriptedModel of its replies, the caches and the web answering what they
    answered then, and compare the two trajectories step by step.

    A replay runs the folder's test command and its patches: a folder this machine did not write
    (`provenance.made_here`) is replayed only with `trust`. `backend` overrides the recorded one.
    """
    from repair.reports import read_run_result  # the report code loads only where it is used

    original = read_run_result(run_dir)
    saved = original.get("options")
    if not isinstance(saved, dict):
        raise RepairError(f"{run_dir / 'result.json'} has no options of repair fix to replay")
    try:
        options = FixOptions(**{**saved, "apply": False, **({"backend": backend} if backend else {})})
    except TypeError as exc:
        raise RepairError(f"{run_dir / 'result.json'}: its options are not those of repair fix ({exc})") from None
    steps = read_trajectory(run_dir / "trajectory.jsonl")
    if not trust and not made_here(run_dir):
        command = saved.get("test_cmd") or "its dataset's tests"
        raise RepairError(f"{run_dir} was not made on this machine (or was changed since): replaying it runs "
                          f"{command!s} on the code of {saved.get('bug_id', 'its bug')}; pass --trust if you "
                          "trust where it came from (and prefer --backend docker)")
    model = ScriptedModel(replay_script(steps), name=f"replay:{original.get('model', '?')}")
    config = None
    if options.resolved_strategy() == "escalate":
        config = escalation_config_from(options)
        config.replayed = ReplayedCaches.from_steps(steps)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    # Every stop of the recorded run (its budget, its model's errors) is in the script: the replay's own
    # budget must not stop it elsewhere, e.g. earlier on a slower machine.
    unlimited = RunBudget(Budget(max_cycles=None))
    outcome = run_fix(options, model, observer, run_dir.parent / f"{run_dir.name}-replay-{stamp}", config,
                      budget=unlimited)
    differences = compare_steps(steps, read_trajectory(outcome.run_dir / "trajectory.jsonl"))
    for key in ("status", "reason"):
        if outcome.summary.get(key) != original.get(key):
            differences.append(f"{key}: {original.get(key)!r} → {outcome.summary.get(key)!r}")
    if content_key({"patch": original.get("patch", "")}) != content_key({"patch": outcome.summary["patch"]}):
        differences.append("the patch differs")
    return ReplayOutcome(original, outcome, not differences, differences)


def compare_steps(recorded: list[Step], replayed: list[Step]) -> list[str]:
    """The first step where the replay differs from the recorded run, as one sentence (or none)."""
    for number, (old, new) in enumerate(zip(recorded, replayed, strict=False), start=1):
        for what, before, after in (("state", _states(old), _states(new)), ("tool", old.tool, new.tool),
                                    ("arguments", old.args, new.args), ("verdict", _verdict(old), _verdict(new))):
            if before != after:
                return [f"step {number} ({old.state_before} {old.tool or 'stop'}): {what} "
                        f"{json.dumps(before, default=str)[:200]} → {json.dumps(after, default=str)[:200]}"]
    if len(recorded) != len(replayed):
        number = min(len(recorded), len(replayed)) + 1
        longer = recorded if len(recorded) > len(replayed) else replayed
        step = longer[number - 1]
        where = "only the recorded run" if longer is recorded else "only the replay"
        return [f"step {number} ({step.state_before} {step.tool or 'stop'}): {where} has it "
                f"({len(recorded)} steps recorded, {len(replayed)} replayed)"]
    return []


def _states(step: Step) -> str:
    return step.state_before if step.state_before == step.state_after else f"{step.state_before}→{step.state_after}"


def _verdict(step: Step) -> Any:
    """What a step's result says, without its timings: ok or not, malformed or not, the validator's status;
    for FixAgent's agents the outcome line, for a stop its reason."""
    outcome = step.result.split("\n", 1)[0] if (step.tool or "").startswith("fixagent.") or \
        step.data.get("stopped") else None
    return {"ok": step.ok, "malformed": step.malformed, "status": step.data.get("status"), "outcome": outcome}
