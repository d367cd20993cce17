"""`run_fix` as `repair fix` uses it: strategy choice, review reports, and replays of escalated runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from repair.errors import RepairError
from repair.fix_run import FixOptions, replay, run_fix
from repair.models import ScriptedModel

IS_SORTED_FIX = ("--- a/python_programs/is_sorted.py\n+++ b/python_programs/is_sorted.py\n@@ -4,1 +4,1 @@\n"
                 "-        if items[i - 1] >= items[i]:\n+        if items[i - 1] > items[i]:\n")


@pytest.mark.parametrize(("model", "base_url", "strategy", "expected"), [
    ("offline", None, "auto", "fsm"),
    ("scripted:x.json", None, "auto", "fsm"),
    ("openai:gpt-4o-mini", None, "auto", "escalate"),
    (None, "http://localhost:8000/v1", "auto", "escalate"),
    ("openai:gpt-4o-mini", None, "fsm", "fsm"),
    ("offline", None, "escalate", "escalate"),
])
def test_auto_strategy_escalates_only_with_an_llm(model: str | None, base_url: str | None, strategy: str,
                                                 expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert FixOptions("demo:is_sorted", model=model, base_url=base_url, strategy=strategy).resolved_strategy() \
        == expected


def test_unknown_strategy_is_a_clear_error() -> None:
    with pytest.raises(RepairError, match="unknown strategy"):
        FixOptions("demo:is_sorted", strategy="yolo").resolved_strategy()


def test_an_escalated_run_writes_reports_and_replays_to_the_same_patch(tmp_path: Path) -> None:
    model = ScriptedModel(["The comparison on line 4 rejects equal neighbours.\n[4]",
                           f"```diff\n{IS_SORTED_FIX}```\n"])
    outcome = run_fix(FixOptions("demo:is_sorted", runs_dir=str(tmp_path), strategy="escalate"), model)
    assert outcome.summary["status"] == "plausible" and outcome.summary["level"] == 1
    assert outcome.escalation is not None and outcome.escalation.agents_ran == ["locator", "fixer"]
    assert (outcome.run_dir / "report.md").is_file() and (outcome.run_dir / "report.html").is_file()
    again = replay(outcome.run_dir)
    assert again.same, again.differences
    assert again.replay.summary["strategy"] == "escalate"


def test_the_offline_engine_cannot_be_escalated() -> None:
    with pytest.raises(RepairError, match="FSM agent only"):
        run_fix(FixOptions("demo:is_sorted", model="offline", strategy="escalate"))


def test_an_unknown_backend_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RepairError, match="unknown backend"):
        run_fix(FixOptions("demo:is_sorted", backend="nope", runs_dir=str(tmp_path)))
