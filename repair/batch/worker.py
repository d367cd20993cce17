"""One bug of a batch, in its own process: the agent, the overfitting check of a plausible patch, the reports."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from repair.batch.options import BatchOptions
from repair.batch.signals import die_with_parent, exit_on_signal
from repair.bug_selection import bug_name
from repair.datasets.registry import DatasetOptions
from repair.errors import RepairError
from repair.fix_run import FixOptions, run_fix
from repair.overfitting import check_overfitting, save_overfitting
from repair.reports import write_run_reports


def model_for(spec: str | None, bug_id: str) -> str | None:
    """The batch's model spec with `{name}` and `{bug}` filled in for one bug."""
    if spec is None:
        return None
    return spec.replace("{name}", bug_name(bug_id)).replace("{bug}", bug_id.replace(":", "__"))


def worker_main(spec: dict[str, Any]) -> int:
    """Run one bug of a batch: the agent, the overfitting check of a plausible patch, the reports."""
    signal.signal(signal.SIGTERM, exit_on_signal)
    die_with_parent(spec.get("parent_pid"))
    options = BatchOptions(**spec["options"])
    run_dir = Path(spec["run_dir"])
    bug_id = spec["bug"]
    fix_options = FixOptions(bug_id, model=model_for(options.model, bug_id), base_url=options.base_url,
                             max_cycles=options.max_cycles, budget_usd=options.budget_usd,
                             max_tokens=options.max_tokens, max_seconds=options.max_seconds,
                             backend=options.backend, strategy=options.strategy, runs_dir=str(run_dir.parent),
                             quixbugs_root=options.quixbugs_root, web=options.web,
                             reports=False)  # written below, with overfitting
    try:
        outcome = run_fix(fix_options, run_dir=run_dir)
    except RepairError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    if options.overfitting and outcome.summary.get("status") == "plausible":
        try:
            save_overfitting(run_dir, check_overfitting(bug_id, outcome.summary["patch"],
                                                        DatasetOptions(quixbugs_root=options.quixbugs_root)))
        except RepairError as exc:
            print(f"overfitting check skipped: {exc}", flush=True)
    write_run_reports(run_dir)
    return 0
