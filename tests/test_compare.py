"""`repair compare`: two real `runs/` trees (a model that writes the bug's fix vs. one that gives up at once) and
what each fixed; batches that ran different bugs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from repair.batch import RESULTS_FILE, ResultsLog
from repair.cli import app
from repair.datasets.demo import DemoDataset
from repair.fix_run import FixOptions, run_fix
from repair.models import ScriptedModel
from repair.reports import compare_runs


def fix(bug: str, runs: Path, gives_up: bool) -> str:
    # An empty script: the model has no answer, so the run ends with `error: model` and no patch. The other
    # model states a hypothesis and writes the bug's ground-truth fix, which the validator confirms.
    truth = DemoDataset().get(bug).fix_patch
    script = [{"thoughts": "", "command": {"name": "express_hypothesis", "args": {"hypothesis": "h"}}},
              {"thoughts": "", "command": {"name": "write_fix", "args": {"diff": truth}}},
              {"thoughts": "", "command": {"name": "goal_accomplished", "args": {}}}]
    model = ScriptedModel([], name="gives-up") if gives_up else ScriptedModel(script, name="fixes")
    # Compare reads result.json only: no review reports.
    outcome = run_fix(FixOptions(bug, runs_dir=str(runs), reports=False), model=model)
    return str(outcome.summary["status"])


def test_compare_prints_bugs_fixed_in_one_run_only(tmp_path: Path) -> None:
    run_a, run_b = tmp_path / "a", tmp_path / "b"
    assert fix("demo:is_sorted", run_a, gives_up=False) == "plausible"
    assert fix("demo:clamp_range", run_a, gives_up=True) != "plausible"
    assert fix("demo:is_sorted", run_b, gives_up=True) != "plausible"
    assert fix("demo:clamp_range", run_b, gives_up=False) == "plausible"

    comparison = compare_runs(run_a, run_b)
    assert comparison.only_a == ["demo:is_sorted"] and comparison.only_b == ["demo:clamp_range"]
    assert comparison.both == [] and comparison.neither == []

    result = CliRunner().invoke(app, ["compare", str(run_a), str(run_b)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == [f"A: {run_a}", f"B: {run_b}"]
    only_a = lines.index("fixed only in A (1):")
    assert lines[only_a + 1].strip() == "demo:is_sorted"
    only_b = lines.index("fixed only in B (1):")
    assert lines[only_b + 1].strip() == "demo:clamp_range"


def test_compare_of_a_missing_run_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare", str(tmp_path / "nope"), str(tmp_path)])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception)


def test_bugs_only_one_batch_ran_are_listed_apart(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out, outcomes in ((a, {"demo:x": "plausible", "demo:y": "plausible", "demo:z": "failed"}),
                          (b, {"demo:x": "failed", "demo:w": "failed", "demo:v": "plausible"})):
        log = ResultsLog(out / RESULTS_FILE)
        for bug, status in outcomes.items():
            log.append({"bug": bug, "status": status})
    comparison = compare_runs(a, b)
    assert comparison.only_a == ["demo:x"] and comparison.only_b == [] and comparison.neither == []
    assert comparison.missing_in_b == ["demo:y", "demo:z"] and comparison.missing_in_a == ["demo:v", "demo:w"]
    text = CliRunner().invoke(app, ["compare", str(a), str(b)]).output
    assert "fixed only in B: none" in text and "fixed in neither: 0" in text
    assert "ran only in A (missing from B) (2):\n  demo:y\n  demo:z" in text
    assert "ran only in B (missing from A) (2):\n  demo:v\n  demo:w" in text
