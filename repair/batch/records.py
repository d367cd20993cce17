"""The results.jsonl line of a finished (or killed) worker, read from the artifacts it left."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from repair.batch.pool import RunningWorker


def trajectory_totals(run_dir: Path) -> tuple[int, float, Counter[str]]:
    """Cycles, cost and tool counts so far, read from a (possibly unfinished) trajectory."""
    path = run_dir / "trajectory.jsonl"
    cycles, cost, tools = 0, 0.0, Counter[str]()
    if not path.is_file():
        return cycles, cost, tools
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            step = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line being written when the worker was stopped
        cycles += 1
        cost += float(step.get("cost_usd") or 0.0)
        if step.get("tool"):
            tools[step["tool"]] += 1
    return cycles, cost, tools


def finished_record(running: RunningWorker, out: Path, time_limit: float, timed_out: bool) -> dict[str, Any]:
    """The results.jsonl line of a finished (or killed) worker."""
    cycles, cost, tools = trajectory_totals(running.run_dir)
    wall = round(time.monotonic() - running.started, 3)
    base: dict[str, Any] = {"bug": running.bug, "run_dir": str(running.run_dir.relative_to(out)),
                            "wall_seconds": wall, "tools": dict(tools), "cycles": cycles,
                            "cost_usd": round(cost, 6), "patch": "", "tokens": 0, "seconds": wall,
                            "ground_truth": None, "overfitting": None, "model": None}
    result_file = running.run_dir / "result.json"
    if timed_out:
        return {**base, "status": "timeout", "reason": f"killed after the time limit of {time_limit:g}s"}
    if not result_file.is_file():
        log = (running.run_dir / "worker.log").read_text(encoding="utf-8", errors="replace").strip()
        last = log.splitlines()[-1] if log else f"the worker exited with {running.process.returncode}"
        return {**base, "status": "error", "reason": last[:500]}
    result = json.loads(result_file.read_text())
    status, reason = result["status"], result.get("reason", "")
    if status == "failed" and reason.startswith("time budget spent"):
        status = "timeout"
    elif status == "failed" and reason.startswith("dollar budget spent"):
        status = "cost_limit"
    review = _read_json(running.run_dir / "review.json")
    return {**base, "status": status, "reason": reason, "model": result.get("model"), "patch": result.get("patch", ""),
            "cycles": result.get("cycles", cycles), "cost_usd": result.get("cost_usd", cost),
            "tokens": sum((result.get("tokens") or {}).values()), "seconds": result.get("seconds", wall),
            "ground_truth": review.get("ground_truth"), "overfitting": review.get("overfitting")}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
