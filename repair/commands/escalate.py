"""`run_escalation`: one `repair fix --strategy escalate` run (FixAgent's L1→L2→L3), with the same artifacts
as `run_fix`: `runs/<bug>/<ts>/trajectory.jsonl`, `result.json` (plus `strategy`, `level`, `agents`,
`levels`, `notes`) and `patch.diff`.

Registers no command: `repair fix` calls it when the strategy is `escalate`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from repair.agent import AgentObserver, AgentResult
from repair.checkout import check_out
from repair.datasets.registry import DatasetOptions
from repair.errors import RepairError
from repair.escalation import Escalation, EscalationConfig, EscalationResult
from repair.fix_run import FixOptions, FixOutcome, apply_to_repo, run_dir_for
from repair.models import Model, load_prices, make_model
from repair.tools import ToolContext, ToolOptions
from repair.trajectory import TrajectoryWriter
from repair.validation import PatchValidator


@dataclass
class EscalationOutcome(FixOutcome):
    """`FixOutcome` (so `print_outcome` works) plus the escalation's own result."""

    escalation: EscalationResult | None = None


def config_from(options: FixOptions) -> EscalationConfig:
    """Budgets from `repair fix` options: its cycles go to the FSM agent (L3), tokens and dollars cap the run."""
    config = EscalationConfig(total_tokens=options.max_tokens, total_usd=options.budget_usd,
                              fsm_max_seconds=options.max_seconds)
    config.l3.max_cycles = options.max_cycles + 1  # + the Helper's call
    return config


def run_escalation(options: FixOptions, model: Model | None = None, observer: AgentObserver | None = None,
                   run_dir: Path | None = None, config: EscalationConfig | None = None) -> EscalationOutcome:
    """Escalate on `options.bug_id` in a fresh workspace; the user's files change only with `apply`."""
    if options.apply and not options.bug_id.startswith("local:"):
        raise RepairError("--apply writes the patch into your repository: use it with a local repo (--repo DIR)")
    model = model or make_model(options.model, options.base_url, load_prices(options.prices_file))
    config = config or config_from(options)
    run_dir = run_dir or run_dir_for(options)
    started = time.monotonic()
    checked = check_out(options.bug_id, DatasetOptions(options.quixbugs_root, options.test_cmd),
                        backend=options.backend)
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline,
                                   relocate=True)
        ctx = ToolContext(checked.bug, checked.workspace, validator, checked.runner, baseline=checked.baseline,
                          options=ToolOptions(perfect_fl=options.perfect_fl))
        writer = TrajectoryWriter(run_dir / "trajectory.jsonl")
        escalation = Escalation(model, ctx, config, writer, observer).run()
        plausible = ctx.memory.plausible
        fsm = escalation.fsm
        cycles = sum(level.cycles for level in escalation.levels)
        result = AgentResult(escalation.status, escalation.reason, escalation.patch, cycles, escalation.usage,
                             escalation.seconds, list(fsm.transitions) if fsm else [], list(fsm.steps) if fsm else [])
        summary = {
            "bug": checked.bug.id, "model": model.name, "strategy": "escalate", "status": escalation.status,
            "reason": escalation.reason, "level": escalation.level, "patch": escalation.patch, "cycles": cycles,
            "agents": escalation.agents_ran,
            "levels": [{"level": v.level, "status": v.status, "reason": v.reason, "cycles": v.cycles,
                        "tokens": v.usage.prompt_tokens + v.usage.completion_tokens,
                        "cost_usd": round(v.usage.cost_usd, 6)} for v in escalation.levels],
            "notes": escalation.notes,
            "tokens": {"prompt": escalation.usage.prompt_tokens, "completion": escalation.usage.completion_tokens},
            "cost_usd": round(escalation.usage.cost_usd, 6), "seconds": round(time.monotonic() - started, 3),
            "tests_before": {"failing": list(checked.bug.failing_tests)},
            "tests_after": plausible.to_dict() if plausible else None,
            "fixes_tried": [asdict(a) for a in ctx.memory.attempts],
            "transitions": [{"cycle": t.cycle, "tool": t.tool, "from": t.before.value, "to": t.after.value}
                            for t in result.transitions],
            "options": asdict(options),
        }
    finally:
        checked.close()
    (run_dir / "result.json").write_text(json.dumps(summary, indent=2))
    (run_dir / "patch.diff").write_text(escalation.patch)
    if options.apply and escalation.patch:
        apply_to_repo(options.bug_id.split(":", 1)[1], escalation.patch)
    return EscalationOutcome(run_dir, result, summary, escalation)
