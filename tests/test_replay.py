"""`repair replay`: the whole trajectory compared step by step, caches that decide which model calls happen
replayed from the record, and stops (a spent budget, a model error) replayed with their reasons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from repair.fix_run import FixOptions, FixOutcome, replay, run_fix
from repair.models import ScriptedModel
from repair.trajectory import read_trajectory

IS_SORTED = "python_programs/is_sorted.py"


def is_sorted_diff(op: str) -> str:
    return (f"```diff\n--- a/{IS_SORTED}\n+++ b/{IS_SORTED}\n@@ -4,1 +4,1 @@\n"
            f"-        if items[i - 1] >= items[i]:\n+        if items[i - 1] {op} items[i]:\n```\n")


def escalated(tmp_path: Path, *, summarizer: bool) -> FixOutcome:
    """L1 fails, L2 fixes: the Summarizer asks the model only when its cache has no entry for the file."""
    replies = ["[4]", is_sorted_diff("<"), *(['{"is_sorted": "True when items never decrease."}'] if summarizer
                                           else []), "[1, 6]", is_sorted_diff(">")]
    options = FixOptions("demo:is_sorted", runs_dir=str(tmp_path / "runs"), strategy="escalate", web=False,
                         perfect_fl=True)
    return run_fix(options, ScriptedModel(replies))


def steps(run_dir: Path) -> list[tuple[str | None, str]]:
    return [(s.tool, s.result.split("\n", 1)[0]) for s in read_trajectory(run_dir / "trajectory.jsonl")]


def test_a_replay_sees_the_summary_cache_the_recorded_run_saw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(cache))
    cold = escalated(tmp_path, summarizer=True)  # the Summarizer asked the model, and filled the cache
    assert cold.summary["status"] == "plausible" and cold.summary["level"] == 2
    again = replay(cold.run_dir)  # with the cache now warm, the replay still makes the recorded call
    assert again.same, again.differences
    assert steps(again.replay.run_dir) == steps(cold.run_dir)
    assert ("fixagent.summarizer", "1 functions") in steps(again.replay.run_dir)

    warm = escalated(tmp_path, summarizer=False)  # a cache hit: no Summarizer reply in the record
    assert ("fixagent.summarizer", "cached") in steps(warm.run_dir)
    shutil.rmtree(cache)
    again = replay(warm.run_dir)  # with the cache gone, the replay takes the recorded summaries
    assert again.same, again.differences
    assert steps(again.replay.run_dir) == steps(warm.run_dir)


def test_a_replay_names_the_first_step_that_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))
    run = escalated(tmp_path, summarizer=True)
    trajectory = run.run_dir / "trajectory.jsonl"
    lines = trajectory.read_text().splitlines()
    slicer = json.loads(lines[3])
    assert slicer["tool"] == "fixagent.slicer"
    slicer["replies"][0]["text"] = "[2, 5]"  # another answer than the one the run got
    trajectory.write_text("\n".join([*lines[:3], json.dumps(slicer), *lines[4:]]) + "\n")
    again = replay(run.run_dir, trust=True)  # changed since it was written: replayed only when trusted
    assert not again.same
    assert again.differences[0].startswith("step 4 (L2 fixagent.slicer): verdict ")
    assert "lines 1-6" in again.differences[0] and "lines 2-5" in again.differences[0]


def test_error_runs_replay_their_reason_and_differ_when_it_differs(tmp_path: Path) -> None:
    script = [{"thoughts": "FL first.", "command": {"name": "run_fault_localization", "args": {}}}]
    options = FixOptions("demo:is_sorted", runs_dir=str(tmp_path / "runs"), strategy="fsm", perfect_fl=True)
    run = run_fix(options, ScriptedModel(script))  # the script runs out at cycle 2: error: model
    assert run.summary["status"] == "error: model"
    again = replay(run.run_dir)
    assert again.same, again.differences  # the recorded error is replayed, with its reason
    result_file = run.run_dir / "result.json"
    result = json.loads(result_file.read_text())
    result_file.write_text(json.dumps({**result, "reason": "model m: HTTP 503 (InternalServerError) after 5 tries"}))
    again = replay(run.run_dir, trust=True)
    assert not again.same
    assert any(d.startswith("reason: 'model m: HTTP 503") for d in again.differences)
