"""A real local HTTP server that speaks the OpenAI chat-completions API, for tests.

It stands in for the public API, which tests cannot reach. Each POST to /v1/chat/completions gets the next
queued response: a JSON-text reply, a native tool call, or an HTTP error status (e.g. 429); a reply can leave
out `usage`, as some local servers do. GET /v1/models lists the one model (the cheap reachability check).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenAI:
    """The queued responses and the requests received (body and headers)."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # names lower-cased
    base_url: str = ""
    model_lists: int = 0  # GET /v1/models requests
    usage: bool = True  # False: replies carry no `usage`, as some local servers send them
    delay_s: float = 0.0  # how long each chat completion takes to answer

    def queue_text(self, content: str) -> None:
        self.responses.append({"content": content})

    def queue_tool_call(self, name: str, args: dict[str, Any] | str, content: str = "") -> None:
        self.responses.append({"tool": name, "arguments": args if isinstance(args, str) else json.dumps(args),
                               "content": content})

    def queue_status(self, status: int) -> None:
        self.responses.append({"status": status})


def _completion(entry: dict[str, Any], model: str, number: int, usage: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": entry.get("content") or None}
    finish = "stop"
    if "tool" in entry:
        message["tool_calls"] = [{"id": f"call_{number}", "type": "function",
                                  "function": {"name": entry["tool"], "arguments": entry["arguments"]}}]
        finish = "tool_calls"
    completion = {"id": f"chatcmpl-{number}", "object": "chat.completion", "created": 1700000000, "model": model,
                  "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    if usage:
        completion["usage"] = {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
    return completion


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """Start the server on a free port of 127.0.0.1; `state.base_url` is its /v1 URL."""
    state = FakeOpenAI()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            with lock:
                state.model_lists += 1
            found = self.path.endswith("/models")
            payload = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "fake"}]} \
                if found else {"error": {"message": "not found", "type": "fake", "code": 404}}
            self._send(200 if found else 404, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            with lock:
                state.requests.append(body)
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
                entry = state.responses.pop(0) if state.responses else {"status": 500}
                number = len(state.requests)
            if not self.path.endswith("/chat/completions"):
                entry = {"status": 404}
            status = entry.get("status", 200)
            payload = (_completion(entry, body.get("model", "?"), number, state.usage) if status == 200
                       else {"error": {"message": f"fake error {status}", "type": "fake", "code": status}})
            if state.delay_s:
                time.sleep(state.delay_s)
            self._send(status, payload)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
