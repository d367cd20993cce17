"""OpenAIModel over real HTTP (the real `openai` client) against a local fake OpenAI-compatible server.

The fake server stands in for the public API, which these machines cannot reach.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from agent_scripts import EXPECTED_TRANSITIONS, WORKFLOWS
from fake_openai_server import fake_openai_server

from repair.fix_run import FixOptions, replay, run_fix
from repair.model_spec import make_model
from repair.models.openai_model import ModelUnavailableError, OpenAIModel

SECRET = "sk-test-secret-key-0123456789"


def test_agent_run_through_openai_model_with_json_and_native_tool_calls(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = WORKFLOWS["demo:is_sorted"]
    with fake_openai_server() as server:
        server.queue_status(429)  # the first request is rate limited and retried
        for number, entry in enumerate(script):
            if number % 2:  # alternate: native tool calls and JSON text replies (one fenced, with prose)
                server.queue_tool_call(entry["command"]["name"], entry["command"]["args"], entry["thoughts"])
            elif number == 2:
                server.queue_text(f"Here is my answer:\n```json\n{json.dumps(entry)}\n```")
            else:
                server.queue_text(json.dumps(entry))
        model = OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key=SECRET, backoff_s=0.01)
        outcome = run_fix(FixOptions("demo:is_sorted", runs_dir=str(tmp_path), perfect_fl=True), model=model)

        assert outcome.result.status == "plausible", outcome.summary["reason"]
        assert [(t.tool, t.before, t.after) for t in outcome.result.transitions] == EXPECTED_TRANSITIONS
        assert len(server.requests) == len(script) + 1  # one retry after the 429
        assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
        first = server.requests[1]
        assert first["model"] == "gpt-4o-mini" and first["messages"][0]["role"] == "system"
        assert "run_fault_localization" in {t["function"]["name"] for t in first["tools"]}
        assert "write_fix" not in {t["function"]["name"] for t in first["tools"]}  # not allowed in understand
        # Usage is priced from the table: 8 replies of 1000 prompt + 100 completion tokens.
        assert outcome.result.usage.prompt_tokens == 8000
        assert outcome.result.usage.cost_usd == pytest.approx(8 * (1000 * 0.15 + 100 * 0.60) / 1e6)

    artifacts = "".join(p.read_text() for p in outcome.run_dir.iterdir())
    assert SECRET not in artifacts and SECRET not in caplog.text and SECRET not in repr(model)
    again = replay(outcome.run_dir)  # no server: the recorded replies are replayed
    assert again.same, again.differences


def test_persistent_server_errors_give_a_clear_error_without_the_key() -> None:
    with fake_openai_server() as server:
        for _ in range(3):
            server.queue_status(503)
        model = OpenAIModel("m", base_url=server.base_url, api_key=SECRET, max_retries=2, backoff_s=0.01)
        with pytest.raises(ModelUnavailableError) as info:
            model.complete([{"role": "user", "content": "hi"}], [])
    assert "HTTP 503" in str(info.value) and "3 tries" in str(info.value) and SECRET not in str(info.value)
    assert len(server.requests) == 3


def test_client_errors_are_not_retried() -> None:
    with fake_openai_server() as server:
        server.queue_status(401)
        model = OpenAIModel("m", base_url=server.base_url, api_key=SECRET, backoff_s=0.01)
        with pytest.raises(ModelUnavailableError, match="HTTP 401"):
            model.complete([{"role": "user", "content": "hi"}], [])
    assert len(server.requests) == 1


def test_malformed_native_and_text_replies_become_errors_for_the_model() -> None:
    with fake_openai_server() as server:
        server.queue_tool_call("read_range", "{not json")
        server.queue_text("I would read the file first.")
        model = OpenAIModel("m", base_url=server.base_url, api_key=SECRET)
        bad_args = model.complete([{"role": "user", "content": "x"}], [])
        prose = model.complete([{"role": "user", "content": "x"}], [])
    assert bad_args.command is None and "not valid JSON" in (bad_args.error or "")
    assert prose.command is None and "JSON" in (prose.error or "")


def test_model_specs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from repair.errors import RepairError

    with pytest.raises(RepairError, match="needs --base-url"):
        make_model("openai-compatible:llama")
    with pytest.raises(RepairError, match="OPENAI_API_KEY"):
        make_model("openai:gpt-4o-mini")
    with pytest.raises(RepairError, match="unknown model"):
        make_model("gemini:pro")
    script = tmp_path / "s.json"
    script.write_text("[]")
    assert make_model(f"scripted:{script}").name == "scripted:s.json"
    local = make_model("openai-compatible:llama", base_url="http://127.0.0.1:9/v1")
    assert local.name == "llama"
