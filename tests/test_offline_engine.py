"""The offline engine: the template search on demo bugs, and `repair fix` through the agent loop and FSM.

Everything is real: javac/JUnit, pytest, git workspaces, fault localization. No network and no key.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repair.checkout import CheckedOutBug, check_out
from repair.cli import app
from repair.datasets.demo import DEMO_ROOT
from repair.datasets.registry import DatasetOptions
from repair.fast_validation import FastPatchValidator
from repair.fault_localization import Suspicious
from repair.fix_run import FixOptions, run_fix
from repair.offline import OfflineEngine, SearchBudget, SearchOutcome, search
from repair.offline.search import ranked_lines
from repair.patch import Patch
from repair.trajectory import read_trajectory

WORKFLOW = ["run_fault_localization", "read_range", "express_hypothesis", "write_fix", "goal_accomplished"]
FSM_MOVES = [("express_hypothesis", "understand", "collect"), ("write_fix", "collect", "try_fix"),
             ("goal_accomplished", "try_fix", "done")]


def differs_from_buggy(bug_name: str, diff: str) -> bool:
    """The patched program differs from the buggy one (the verdict itself is the validator's)."""
    del bug_name
    files = Patch.parse(diff).apply_to_texts(lambda p: (DEMO_ROOT / p).read_text()).files
    return all(text != (DEMO_ROOT / path).read_text() for path, text in files.items())


@pytest.mark.parametrize("bug_id", ["demo:POWER_SUM"])
def test_search_over_the_ground_truth_lines_finds_a_plausible_patch(bug_id: str, demo_checkout) -> None:
    checked: CheckedOutBug = demo_checkout(bug_id)
    validator = FastPatchValidator(checked.workspace, checked.bug)
    try:
        outcome = search(checked.workspace, checked.bug.buggy_locations, validator,
                         is_test_path=checked.bug.is_test_path)
    finally:
        validator.close()
    assert outcome.stopped == "plausible" and outcome.best is not None
    stats = outcome.stats
    assert stats.plausible == 1 and stats.generated >= stats.tested >= 1 and stats.compiled >= stats.tested
    assert stats.lines_tried == 1 and stats.test_seconds > 0
    assert checked.workspace.diff() == ""


def test_search_respects_the_candidate_budget_and_all_plausible(demo_checkout) -> None:
    checked: CheckedOutBug = demo_checkout("demo:is_sorted")
    validator = FastPatchValidator(checked.workspace, checked.bug)
    try:
        few = search(checked.workspace, checked.bug.buggy_locations, validator, SearchBudget(max_candidates=1))
        every = search(checked.workspace, checked.bug.buggy_locations, validator, all_plausible=True)
    finally:
        validator.close()
    assert len(few.attempts) == 1 and few.stopped == "candidates"
    assert every.stopped == "exhausted" and len(every.plausible) >= 1
    # Ranked as a reviewer would: every patch that keeps all statements before any that deletes one.
    ranked = every.stats.ranked_plausible
    assert len(ranked) == min(len(every.plausible), 20) and all(p["diff"].startswith("---") for p in ranked)
    suspects = [p["likely_overfitting"] for p in ranked]
    assert suspects == sorted(suspects) and every.stats.chosen == {k: v for k, v in ranked[0].items() if k != "diff"}
    assert every.stats.validated <= len(every.attempts) <= every.stats.generated


@pytest.mark.parametrize("bug_id", ["demo:BINARY_SEARCH", "demo:FACTORIAL", "demo:is_sorted", "demo:clamp_range"])
def test_repair_fix_offline_finds_a_plausible_patch_through_the_agent_loop(bug_id: str, tmp_path: Path) -> None:
    # Ground-truth FL keeps these fast; the CLI test below runs the default (spectrum-based) FL.
    outcome = run_fix(FixOptions(bug_id, runs_dir=str(tmp_path), perfect_fl=True), model=OfflineEngine())

    assert outcome.result.status == "plausible", outcome.result.reason
    steps = read_trajectory(outcome.run_dir / "trajectory.jsonl")
    assert [s.tool for s in steps] == WORKFLOW
    assert [(t.tool, t.before.value, t.after.value) for t in outcome.result.transitions] == FSM_MOVES
    assert all(s.ok for s in steps)
    result = json.loads((outcome.run_dir / "result.json").read_text())
    assert result["model"] == "offline" and result["tokens"] == {"prompt": 0, "completion": 0}
    assert [f["status"] for f in result["fixes_tried"]] == ["plausible"]
    assert differs_from_buggy(bug_id.split(":")[1], result["patch"])
    # The engine explains itself in the trajectory: the template and the search's counts.
    write = steps[3]
    assert "Template" in write.replies[0]["thoughts"] and "generated" in write.replies[0]["thoughts"]
    # Every candidate is accounted for: the counts add up, each one has a record with its fate, in
    # result.json, in the trajectory step of the search, and in the report.
    counts = result["search"]
    assert counts["generated"] == (counts["dropped_total"] + counts["duplicates"] + counts["build_failed"]
                                   + counts["tested"] + counts["untried"])
    fates = [c["fate"] for c in result["candidates"]]
    assert fates.count("plausible") == 1 and len(fates) == counts["generated"] - counts["untried"]
    assert write.data["candidates"] == result["candidates"]
    assert "## Candidates" in (outcome.run_dir / "report.md").read_text()
    assert result["search_depth"]["deepest_rank"] >= 1 and result["search_depth"]["ranked_lines"] >= 1
    # Per line read: what each template family made and kept, or why the line got nothing.
    locations = counts["locations"]
    assert locations and all(loc["kept"] == sum(f["kept"] for f in loc["families"].values()) for loc in locations)
    assert all(loc["kept"] or loc["note"] for loc in locations)
    assert counts["chosen"]["likely_overfitting"] is False
    assert "## Where the templates looked" in (outcome.run_dir / "report.md").read_text()


def test_the_cli_repairs_a_demo_bug_with_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["fix", "demo:POWER_SUM", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "plausible" in result.output and "ground truth: matches the ground truth" in result.output
    # No terminal: every phase is a plain line as it starts, so a CI log never sits silent.
    lines = result.output.splitlines()
    assert lines[:2] == ["checking out demo:POWER_SUM (local workspace)", "running the tests of the buggy version"]
    assert "cycle 1 understand running run_fault_localization" in lines
    run = next(tmp_path.glob("demo__POWER_SUM/*"))
    summary = json.loads((run / "result.json").read_text())
    assert summary["status"] == "plausible" and "result = result * base;" in summary["patch"]
    assert [t["to"] for t in summary["transitions"]] == ["collect", "try_fix", "done"]


def test_an_exhausted_search_ends_the_run_with_a_clear_reason(tmp_path: Path) -> None:
    engine = OfflineEngine(budget=SearchBudget(max_candidates=1, max_lines=1))
    outcome = run_fix(FixOptions("demo:FACTORIAL", runs_dir=str(tmp_path), perfect_fl=True), model=engine)
    assert outcome.result.status == "failed"  # a search that ran dry is a failure, not a model error
    assert "no plausible patch" in outcome.result.reason
    assert engine.stats.validated == 1


# Eleven busy lines, then the fault: an operator on the twelfth line of the ranking.
DEEP = "".join(f"    v{i} = str(x).strip()\n" for i in range(11))
DEEP_PROGRAM = f"def deep(x):\n{DEEP}    return x - 1\n"


def search_local_repo(tmp_path: Path, files: dict[str, str], lines: list[Suspicious], budget: SearchBudget,
                      prescreen_timeout: float | None = None) -> SearchOutcome:
    """The search over `lines` of a real local pytest repository made of `files`; with `prescreen_timeout`,
    candidates are pre-screened with that per-test limit and a patient validator (the bug's own) is at hand."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, text in files.items():
        (repo / name).write_text(text)
    checked = check_out(f"local:{repo}", DatasetOptions(test_cmd="pytest -q"))
    bug = checked.bug
    if prescreen_timeout is not None:
        bug = replace(bug, test_setup=replace(bug.test_setup, per_test_timeout=prescreen_timeout))
    validator = FastPatchValidator(checked.workspace, bug)
    patient = FastPatchValidator(checked.workspace, checked.bug) if prescreen_timeout is not None else None
    try:
        return search(checked.workspace, lines, validator, budget, patient=patient)
    finally:
        validator.close()
        if patient is not None:
            patient.close()
        checked.close()


def test_the_search_walks_below_ten_lines_cheapest_candidates_first(tmp_path: Path) -> None:
    # Every line is equally suspicious, the faulty one last: the ranking has no more to say.
    lines = [Suspicious("deep.py", n, "deep", 1.0) for n in range(2, 14)]
    assert [r.weight for r in ranked_lines(lines)] == [1.0] * 12
    outcome = search_local_repo(tmp_path, {"deep.py": DEEP_PROGRAM, "test_deep.py": (
        "from deep import deep\n\ndef test_deep():\n    assert deep(1) == 2\n")}, lines,
        SearchBudget(max_candidates=200, max_seconds=600))
    assert outcome.stopped == "plausible" and outcome.best is not None
    assert "return x + 1" in outcome.best.candidate.new_text
    stats = outcome.stats
    assert stats.ranked_lines == 12 and stats.lines_tried == 12 and stats.deepest_rank == 12
    # Best first across lines: the operator on the twelfth line comes before the costlier candidates
    # (variables, calls, copies, removals) of the eleven above it, which a line-by-line walk tries first.
    assert len(outcome.attempts) <= 3 and stats.untried > 200


TWO_FAULTS = "def ok(a, b):\n    first = a < 0\n    second = b < 0\n    return first or second\n"
TWO_FAULT_TESTS = ("from ok import ok\n\ndef test_one_positive():\n    assert ok(1, 1)\n\n"
                   "def test_each_positive():\n    assert ok(1, -1) and ok(-1, 1) and not ok(-1, -1)\n")


def test_two_partial_candidates_pair_up_when_no_single_edit_is_plausible(tmp_path: Path) -> None:
    lines = [Suspicious("ok.py", 2, "ok", 1.0), Suspicious("ok.py", 3, "ok", 1.0)]
    outcome = search_local_repo(tmp_path, {"ok.py": TWO_FAULTS, "test_ok.py": TWO_FAULT_TESTS}, lines,
                                SearchBudget(max_candidates=24, max_seconds=600))
    # Each fault fixed alone makes the first failing test pass: partial candidates, paired once a quarter of
    # the budget is left.
    assert outcome.stopped == "plausible" and outcome.best is not None, outcome.stats.summary()
    best = outcome.best.candidate
    assert "+" in best.template and outcome.stats.pairs_tried >= 1 and outcome.stats.partials >= 2
    assert "a < 0" not in best.new_text and "b < 0" not in best.new_text


SLOW = "import time\n\n\ndef slow(x):\n    time.sleep(0.6)\n    return x - 1\n"


def test_candidates_that_only_timed_out_are_judged_again_with_patience(tmp_path: Path) -> None:
    # A busy machine: the pre-screen's per-test limit is shorter than the program's own pace.
    outcome = search_local_repo(tmp_path, {"slow.py": SLOW, "test_slow.py": (
        "from slow import slow\n\ndef test_slow():\n    assert slow(1) == 2\n")},
        [Suspicious("slow.py", 6, "slow", 1.0)], SearchBudget(max_candidates=4, max_seconds=600),
        prescreen_timeout=0.2)
    assert outcome.best is not None and "return x + 1" in outcome.best.candidate.new_text
    assert 1 <= outcome.stats.retried <= 6 and outcome.stats.plausible == 1
    assert any(r.reason.startswith("judged again with the full per-test limit") for r in outcome.records)


REACH = """def reach(graph, start, goal):
    seen = set()

    def go(node):
        if node in seen:
            return False
        if node == goal:
            return True
        return any(
            go(n) for n in graph[node]
        )

    return go(start)
"""
REACH_TESTS = ("from reach import reach\n\n"
               "def test_around_a_cycle():\n    assert reach({1: [2], 2: [1, 3], 3: []}, 1, 3)\n\n"
               "def test_a_dead_end():\n    assert not reach({1: []}, 1, 3)\n")


def test_a_suspect_plausible_patch_sends_the_search_on_to_the_next_lines(tmp_path: Path) -> None:
    # Unwrapping `go(n)` passes both tests by dropping the recursion; the missing `seen.add(node)` belongs to
    # the next line.
    lines = [Suspicious("reach.py", 10, "go", 1.0), Suspicious("reach.py", 9, "go", 0.9)]
    outcome = search_local_repo(tmp_path, {"reach.py": REACH, "test_reach.py": REACH_TESTS}, lines,
                                SearchBudget(max_candidates=60, max_seconds=600))
    assert outcome.stopped == "plausible" and outcome.best is not None, outcome.stats.summary()
    assert "        seen.add(node)\n        return any(" in outcome.best.candidate.new_text
    suspect = [a for a in outcome.plausible if a.candidate.template == "expression-reduce"]
    assert suspect and outcome.plausible[-1] is suspect[0]
    assert outcome.stats.chosen is not None and not outcome.stats.chosen["likely_overfitting"]


def test_ranked_lines_weigh_the_score_and_the_lines_above() -> None:
    lines = [Suspicious("a.py", 1, None, 1.0), Suspicious("a.py", 2, None, 1.0), Suspicious("a.py", 3, None, 0.5),
             Suspicious("a.py", 1, None, 0.4), Suspicious("tests/test_a.py", 4, None, 0.4)]
    ranked = ranked_lines(lines, is_test_path=lambda path: path.startswith("tests/"))
    assert [(r.line, r.rank) for r in ranked] == [(1, 1), (2, 2), (3, 3)]
    assert [round(r.weight, 3) for r in ranked] == [1.0, 1.0, round(0.5 * 0.9 ** 2, 3)]
    unscored = ranked_lines([Suspicious("a.py", n, None, 0.0) for n in range(1, 4)])
    assert [round(r.weight, 2) for r in unscored] == [1.0, 0.9, 0.81]
