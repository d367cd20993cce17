"""One budget for the whole run, over real HTTP: a local OpenAI-compatible server (tests/fake_openai_server.py)
stands in for the public API, which these machines cannot reach. The bugs are the real demo bugs, with real
pytest, real git workspaces and the real `openai` client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAI, fake_openai_server
from typer.testing import CliRunner

from repair.cli import app
from repair.errors import RepairError
from repair.fix_run import FixOptions, FixOutcome, run_fix
from repair.models import Budget, RunBudget, usd
from repair.models.openai_model import OpenAIModel
from repair.trajectory import read_trajectory

NO_DIFF = "I cannot tell what to change yet."


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold summary cache of this test's own: a warm one would answer the Summarizer without a model call."""
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))


def openai_model(server: FakeOpenAI) -> OpenAIModel:
    return OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="not-a-key", backoff_s=0.01)


def fix(server: FakeOpenAI, tmp_path: Path, budget: RunBudget | None = None, **given: Any) -> FixOutcome:
    options = FixOptions("demo:is_sorted", runs_dir=str(tmp_path / "runs"), web=False, perfect_fl=True, **given)
    return run_fix(options, openai_model(server), budget=budget)


def tools_of(outcome: FixOutcome) -> list[str | None]:
    return [s.tool for s in read_trajectory(outcome.run_dir / "trajectory.jsonl")]


def test_dollars_are_printed_as_they_are() -> None:
    assert [usd(0.002), usd(0.01), usd(1.5), usd(0.00021), usd(0)] == ["$0.002", "$0.01", "$1.50", "$0.00021",
                                                                        "$0.00"]


def test_max_cycles_counts_every_model_call_of_every_level(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        for _ in range(10):
            server.queue_text(NO_DIFF)
        outcome = fix(server, tmp_path, strategy="escalate", max_cycles=2)
    assert len(server.requests) == 2  # the Locator and the Fixer: L2 and the FSM agent get nothing
    assert outcome.summary["status"] == "failed"
    assert outcome.summary["reason"] == "cycle budget spent (2 model calls)"
    assert outcome.summary["budget"]["model_calls"] == 2
    assert tools_of(outcome) == ["fixagent.locator", "fixagent.fixer", None]  # the refused call is recorded


def test_the_fsm_agent_gets_what_the_levels_left_and_generate_method_body_pays_too(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        for _ in range(7):  # L1: Locator, Fixer; L2: Summarizer, Slicer, three FixerPro rounds
            server.queue_text(NO_DIFF)
        server.queue_tool_call("express_hypothesis", {"hypothesis": "The comparison rejects equal neighbours."})
        server.queue_tool_call("generate_method_body", {"signature": "def is_sorted(items)"})
        server.queue_text("return all(a <= b for a, b in zip(items, items[1:]))")  # the tool's own call
        server.queue_tool_call("read_range", {"file": "python_programs/is_sorted.py", "start": 1, "end": 6})
        outcome = fix(server, tmp_path, strategy="escalate", max_cycles=10)
    assert len(server.requests) == 10
    assert outcome.summary["reason"].endswith("(L3: cycle budget spent (10 model calls))")
    assert outcome.escalation is not None and outcome.escalation.fsm is not None
    assert outcome.escalation.fsm.cycles == 2
    assert tools_of(outcome)[-3:] == ["express_hypothesis", "generate_method_body", None]


def test_one_clock_for_the_whole_run_and_running_out_of_time_is_failed(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        server.delay_s = 2.0  # a slow server: each answer takes two seconds
        for _ in range(30):
            server.queue_text(NO_DIFF)
        outcome = fix(server, tmp_path, strategy="escalate", max_seconds=8)
    assert outcome.summary["status"] == "failed"
    assert outcome.summary["reason"] == "time budget spent (8s)"
    # The levels and the FSM agent share one clock that started with the run: no level starts a fresh one.
    assert len(server.requests) <= 4
    assert all(tool is None or tool.startswith("fixagent.") for tool in tools_of(outcome))
    assert outcome.summary["seconds"] < 8 + 4


def test_the_checkout_and_the_baseline_count_against_the_time(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        server.queue_tool_call("run_fault_localization", {})
        spent = RunBudget(Budget(max_seconds=5), started=time.monotonic() - 5)  # `repair fix` began 5 s ago
        outcome = fix(server, tmp_path, budget=spent, strategy="fsm")
    assert server.requests == []
    assert (outcome.summary["status"], outcome.summary["reason"]) == ("failed", "time budget spent (5s)")


def test_tokens_are_estimated_without_usage_and_no_call_overshoots_the_token_budget(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        server.usage = False  # as some local servers answer
        for _ in range(10):
            server.queue_tool_call("run_fault_localization", {})
        outcome = fix(server, tmp_path, strategy="fsm", max_tokens=8000)
    spent = outcome.summary["budget"]
    assert outcome.summary["status"] == "failed" and outcome.summary["reason"].startswith("token budget spent (")
    assert "the next call needs about" in outcome.summary["reason"]
    assert 0 < spent["tokens"] <= 8000 and spent["tokens_estimated"] is True
    assert 1 <= len(server.requests) < 10
    used = 0
    for request, step in zip(server.requests, read_trajectory(outcome.run_dir / "trajectory.jsonl"), strict=False):
        assert used + request["max_tokens"] <= 8000  # the reply itself can never take the run over
        used += step.prompt_tokens + step.completion_tokens


def test_a_dollar_budget_stops_before_a_call_it_cannot_pay(tmp_path: Path) -> None:
    with fake_openai_server() as server:  # every reply: 1000 + 100 tokens, $0.00021 at gpt-4o-mini's prices
        for _ in range(10):
            server.queue_tool_call("run_fault_localization", {})
        outcome = fix(server, tmp_path, strategy="fsm", budget_usd=0.001)
    summary = outcome.summary
    assert summary["cost_usd"] <= 0.001 and 1 <= len(server.requests) < 10
    assert summary["reason"].startswith(f"dollar budget spent ({usd(summary['cost_usd'])} of $0.001; the next "
                                        "call costs about $0.000")


@pytest.mark.parametrize("flag", [("--budget-usd", "0"), ("--budget-usd", "-1"), ("--max-seconds", "-5"),
                                  ("--max-tokens", "0"), ("--max-cycles", "0")])
def test_bad_budgets_are_refused_before_any_checkout(flag: tuple[str, str], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    out = CliRunner().invoke(app, ["fix", "demo:is_sorted", "--runs-dir", str(runs), *flag])
    assert out.exit_code == 2 and flag[0] in out.output
    assert not runs.exists() and "checking out" not in out.output


def test_budgets_are_checked_for_every_caller() -> None:
    with pytest.raises(RepairError, match="--budget-usd must be more than 0"):
        FixOptions("demo:is_sorted", budget_usd=0)
    with pytest.raises(RepairError, match="max_seconds must be more than 0"):
        Budget(max_seconds=-5)


def repair_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "repair.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "80"})


def test_an_unreachable_model_fails_in_one_line_before_the_checkout(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    out = repair_cli("fix", "demo:is_sorted", "--base-url", "http://127.0.0.1:9/v1", "--runs-dir", str(runs))
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: model gpt-4o-mini: cannot use http://127.0.0.1:9/v1: APIConnectionError"]
    assert "checking out" not in out.stdout and not runs.exists()


def test_the_cli_prints_real_amounts_and_says_once_that_tokens_are_estimated(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        server.usage = False
        for _ in range(5):
            server.queue_tool_call("run_fault_localization", {})
        out = repair_cli("fix", "demo:is_sorted", "--model", "openai-compatible:gpt-4o-mini", "--base-url",
                         server.base_url, "--strategy", "fsm", "--budget-usd", "0.001", "--runs-dir",
                         str(tmp_path / "runs"))
    assert out.returncode == 1, out.stdout + out.stderr
    assert server.model_lists == 1  # the one cheap request before the checkout
    assert "of $0.001;" in out.stdout and "$0.00)" not in out.stdout
    assert out.stdout.count("tokens and dollars are estimated") == 1
    result = json.loads(next((tmp_path / "runs").rglob("result.json")).read_text())
    assert result["budget"]["tokens_estimated"] and result["cost_usd"] <= 0.001
