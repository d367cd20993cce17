"""The results.jsonl line of a finished (or killed) worker, read from the artifacts it left."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from repair.batch.pool import RunningWorker, new_run_dir

TRAJECTORY = "trajectory.jsonl"


def trajectory_size(run_dir: Path) -> int:
    """The bytes of a run's trajectory so far (-1 before it exists): it only grows while the run goes on."""
    try:
        return (run_dir / TRAJECTORY).stat().st_size
    except OSError:
        return -1


def trajectory_totals(run_dir: Path) -> tuple[int, float, Counter[str]]:
    """Cycles, cost and tool counts so far, read from a (possibly unfinished) trajectory."""
    path = run_dir / TRAJECTORY
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


def _base_record(bug: str, run_dir: str, wall: float, cycles: int = 0, cost: float = 0.0,
                 tools: Counter[str] | None = None) -> dict[str, Any]:
    return {"bug": bug, "run_dir": run_dir, "wall_seconds": wall, "tools": dict(tools or {}), "cycles": cycles,
            "cost_usd": round(cost, 6), "patch": "", "tokens": 0, "seconds": wall, "ground_truth": None,
            "overfitting": None, "model": None}


def lost_record(bug: str, out: Path, reason: str, wall: float) -> dict[str, Any]:
    """The results.jsonl line of a bug whose attempts all died with their (Dask) workers. Nothing came back
    from them, so its run folder holds only a `worker.log` that says why, like a local worker that crashed."""
    run_dir = new_run_dir(out, bug)
    run_dir.mkdir(parents=True)
    (run_dir / "worker.log").write_text(reason + "\n", encoding="utf-8")
    return {**_base_record(bug, str(run_dir.relative_to(out)), round(wall, 3)), "status": "error", "reason": reason}


def finished_record(running: RunningWorker, out: Path, time_limit: float, timed_out: bool) -> dict[str, Any]:
    """The results.jsonl line of a finished (or killed) worker."""
    cycles, cost, tools = trajectory_totals(running.run_dir)
    wall = round(time.monotonic() - running.started, 3)
    base = _base_record(running.bug, str(running.run_dir.relative_to(out)), wall, cycles, cost, tools)
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
