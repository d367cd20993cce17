"""End-to-end: the agent on real demo bugs (real javac/JUnit, real pytest, real git) with scripted models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_scripts import EXPECTED_TRANSITIONS, WORKFLOWS
from typer.testing import CliRunner

from repair.agent import Agent, Budget
from repair.cli import app
from repair.datasets.demo import DEMO_ROOT
from repair.fix_run import FixOptions, make_context, replay, run_fix
from repair.models import ScriptedModel
from repair.patch import Patch
from repair.trajectory import read_trajectory


def patched_texts(diff: str) -> dict[str, str]:
    """What a diff makes of the demo sources (to compare patches by effect, not by header noise)."""
    return Patch.parse(diff).apply_to_texts(lambda p: (DEMO_ROOT / p).read_text()).files


def check_workflow_run(bug_id: str, run_dir: Path) -> str:
    """The RepairAgent workflow's trajectory, patch and result of a run of WORKFLOWS[bug_id]; the patch."""
    steps = read_trajectory(run_dir / "trajectory.jsonl")
    assert [s.tool for s in steps] == [e["command"]["name"] for e in WORKFLOWS[bug_id]]
    by_cycle = {s.cycle: s for s in steps}
    program = "BINARY_SEARCH.java" if "BINARY" in bug_id else "is_sorted.py"
    buggy_line = "while (lo < hi)" if "BINARY" in bug_id else "items[i - 1] >= items[i]"
    assert f"{program}:" in by_cycle[1].result and "ground truth" in by_cycle[1].result  # --perfect-fl
    assert buggy_line in by_cycle[2].result and "| " in by_cycle[2].result  # numbered lines
    wrong = by_cycle[4]
    assert wrong.ok and wrong.state_after == "try_fix"
    assert "not plausible" in wrong.result and "reverted" in wrong.result
    assert "still failing" in wrong.result or "newly failing" in wrong.result
    assert wrong.data["status"] == "not-plausible" and wrong.data["still_failing"]
    assert buggy_line in by_cycle[6].result  # the search finds the buggy line by exact match
    assert "plausible: all" in by_cycle[7].result
    assert by_cycle[8].state_after == "done"

    patch = (run_dir / "patch.diff").read_text()
    bug_name = bug_id.split(":")[1]
    assert patched_texts(patch) == patched_texts((DEMO_ROOT / "fixes" / f"{bug_name}.diff").read_text())
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "plausible" and result["cycles"] == 8
    assert [f["status"] for f in result["fixes_tried"]] == ["not-plausible", "plausible"]
    assert [(t["tool"], t["from"], t["to"]) for t in result["transitions"]] == EXPECTED_TRANSITIONS
    return patch


def test_repairagent_workflow_reaches_a_plausible_patch(tmp_path: Path) -> None:
    bug_id = "demo:BINARY_SEARCH"
    model = ScriptedModel(WORKFLOWS[bug_id])
    outcome = run_fix(FixOptions(bug_id, runs_dir=str(tmp_path), perfect_fl=True), model=model)

    assert outcome.result.status == "plausible"
    assert [(t.tool, t.before, t.after) for t in outcome.result.transitions] == EXPECTED_TRANSITIONS
    patch = check_workflow_run(bug_id, outcome.run_dir)
    # The model saw the wrong fix's failures in the next prompt.
    assert "not plausible" in model.asked[4][1]["content"]

    again = replay(outcome.run_dir)
    assert again.same, again.differences
    assert (again.replay.run_dir / "patch.diff").read_text() == patch


def test_cli_fix_and_replay(tmp_path: Path) -> None:
    # The same workflow on a Python bug, through the command line.
    script = tmp_path / "script.json"
    script.write_text(json.dumps(WORKFLOWS["demo:is_sorted"]))
    runs = tmp_path / "runs"
    cli = CliRunner()
    fixed = cli.invoke(app, ["fix", "--bug", "demo:is_sorted", "--model", f"scripted:{script}",
                             "--runs-dir", str(runs), "--perfect-fl"])
    assert fixed.exit_code == 0, fixed.output
    assert "plausible" in fixed.output and "+        if items[i - 1] > items[i]:" in fixed.output
    (run_dir,) = [p for p in (runs / "demo__is_sorted").iterdir()]
    patch = check_workflow_run("demo:is_sorted", run_dir)
    replayed = cli.invoke(app, ["replay", str(run_dir)])
    assert replayed.exit_code == 0, replayed.output
    assert "replay matches" in replayed.output
    (again,) = [p for p in (runs / "demo__is_sorted").iterdir() if p != run_dir]
    assert (again / "patch.diff").read_text() == patch


def run_agent(checked, entries, budget: Budget | None = None) -> tuple[Agent, ScriptedModel]:  # type: ignore[no-untyped-def]
    ctx = make_context(checked)
    model = ScriptedModel(entries)
    agent = Agent(model, ctx, budget or Budget(max_cycles=20))
    agent.result = agent.run()  # type: ignore[attr-defined]
    return agent, model


def test_malformed_replies_get_clear_messages_and_the_run_continues(demo_checkout) -> None:  # type: ignore[no-untyped-def]
    entries = [
        "I think the bug is in line 4 {not json",
        {"thoughts": "", "command": {"name": "fix_everything", "args": {}}},
        {"thoughts": "", "command": {"name": "read_range", "args": {"file": "python_programs/is_sorted.py",
                                                                    "start": 1, "end": 3}}},
        {"thoughts": "", "command": {"name": "goal_accomplished", "args": {}}},  # not allowed in understand
        {"thoughts": "", "command": {"name": "express_hypothesis", "args": {"hypothesis": ">= should be >"}}},
        {"thoughts": "", "command": {"name": "write_fix", "args": {"diff": (
            "--- a/python_programs/is_sorted.py\n+++ b/python_programs/is_sorted.py\n@@ -4,1 +4,1 @@\n"
            "-        if items[i] == nothing:\n+        if items[i - 1] > items[i]:\n")}}},
        {"thoughts": "", "command": {"name": "read_range", "args": {"file": "python_programs/is_sorted.py",
                                                                    "start": 4, "end": 4}}},
    ]
    agent, model = run_agent(demo_checkout("demo:is_sorted"), entries)
    steps = agent.steps
    assert [s.malformed for s in steps] == [True, True, False, True, False, True, False]
    assert "not valid JSON" in steps[0].result and '"command"' in steps[0].result
    assert "unknown tool 'fix_everything'" in steps[1].result and "read_range" in steps[1].result
    assert "not allowed in state 'understand'" in steps[3].result and "express_hypothesis" in steps[3].result
    assert "does not match" in steps[5].result and steps[5].state_after == "collect"  # nothing was tried
    # Each error reached the model in the next prompt, with the count of malformed replies in a row.
    assert "not valid JSON" in model.asked[1][1]["content"] and "1/3" in model.asked[1][1]["content"]
    assert "does not match" in model.asked[6][1]["content"]
    assert agent.result.status == "error: model"  # the script ran out, not the malformed limit


def test_three_malformed_replies_in_a_row_end_the_run(demo_checkout) -> None:  # type: ignore[no-untyped-def]
    entries = ["no json", {"command": {"name": "nope"}}, {"thoughts": "x"}, {"tool": "read_range", "args": {}}]
    agent, model = run_agent(demo_checkout("demo:is_sorted"), entries)
    assert agent.result.status == "error: model output"
    assert len(agent.steps) == 3 and model.position == 3


def test_goal_accomplished_needs_a_plausible_patch_and_budget_stops_the_run(demo_checkout) -> None:  # type: ignore[no-untyped-def]
    entries = [
        {"thoughts": "", "command": {"name": "express_hypothesis", "args": {"hypothesis": "h"}}},
        {"thoughts": "", "command": {"name": "write_fix", "args": {"changes": [
            {"file": "python_programs/is_sorted.py", "changes": [{"start": 5, "end": 5,
                                                                  "replacement": "            return True"}]}]}}},
        {"thoughts": "", "command": {"name": "goal_accomplished", "args": {}}},
        {"thoughts": "", "command": {"name": "goal_accomplished", "args": {}}},
    ]
    agent, _ = run_agent(demo_checkout("demo:is_sorted"), entries, Budget(max_cycles=3))
    assert "no plausible patch yet" in agent.steps[2].result and agent.steps[2].state_after == "try_fix"
    assert agent.result.status == "failed" and "cycle budget" in agent.result.reason


def test_a_failed_patch_written_again_is_already_tried_and_not_counted_twice(demo_checkout) -> None:  # type: ignore[no-untyped-def]
    line = "        if items[i - 1] < items[i]:"
    edit = [{"file": "python_programs/is_sorted.py", "changes": [{"start": 4, "end": 4, "replacement": line}]}]
    same_as_diff = ("--- a/python_programs/is_sorted.py\n+++ b/python_programs/is_sorted.py\n@@ -4,1 +4,1 @@\n"
                    "-        if items[i - 1] >= items[i]:\n+        if items[i - 1] < items[i]:\n")
    entries = [
        {"thoughts": "", "command": {"name": "express_hypothesis", "args": {"hypothesis": "h"}}},
        {"thoughts": "", "command": {"name": "write_fix", "args": {"changes": edit}}},
        {"thoughts": "", "command": {"name": "write_fix", "args": {"diff": same_as_diff}}},
    ]
    agent, model = run_agent(demo_checkout("demo:is_sorted"), entries, Budget(max_cycles=3))
    assert agent.steps[2].result.startswith("already tried at cycle 2: not plausible")
    assert len(agent.ctx.memory.attempts) == 1


def local_repo(root: Path, body: str) -> Path:
    root.mkdir()
    (root / "calc.py").write_text(f"def add(a, b):\n    return {body}\n")
    (root / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    return root


def test_apply_lists_the_files_it_wrote_and_runs_stay_out_of_the_repo(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo = local_repo(tmp_path / "repo", "a - b")
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"thoughts": "", "command": {"name": "express_hypothesis", "args": {"hypothesis": "subtracts"}}},
        {"thoughts": "", "command": {"name": "write_fix", "args": {"changes": [
            {"file": "calc.py", "changes": [{"start": 2, "end": 2, "replacement": "    return a + b"}]}]}}},
        {"thoughts": "", "command": {"name": "goal_accomplished", "args": {}}},
    ]))
    monkeypatch.chdir(repo)  # the user runs it from inside the repository, with no --runs-dir
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    out = CliRunner().invoke(app, ["fix", "--repo", ".", "--test-cmd", "pytest -q", "--apply",
                                   "--model", f"scripted:{script}"])
    assert out.exit_code == 0, out.output
    assert "applied: calc.py" in out.output
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert sorted(p.name for p in repo.iterdir()) == ["calc.py", "test_calc.py"]  # no runs/ left inside
    (result,) = (tmp_path / "state" / "repair" / "runs").rglob("result.json")
    assert json.loads(result.read_text())["tests_before"]["failing"] == ["test_calc.py::test_add"]


def test_a_repo_whose_tests_pass_has_nothing_to_repair(tmp_path: Path) -> None:
    repo = local_repo(tmp_path / "repo", "a + b")
    out = CliRunner().invoke(app, ["fix", "--repo", str(repo), "--test-cmd", "pytest -q",
                                   "--runs-dir", str(tmp_path / "runs")])
    assert out.exit_code == 0, out.output
    assert "nothing to repair: every test passes (1 pass)" in out.output
    assert not (tmp_path / "runs").exists()
