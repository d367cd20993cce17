"""A local stand-in for the GitHub REST API: a real HTTP server on 127.0.0.1 that records every request.

The public api.github.com cannot be reached from tests, so this server is the boundary double: it answers
`POST /repos/{owner}/{repo}/pulls` and `GET /repos/{owner}/{repo}` like GitHub does, and can be told to
answer a path with an error status instead.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PULLS_RE = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls$")
REPO_RE = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """Serve on a free port; `url` is the GITHUB_API_URL to use, `requests` what arrived."""

    default_branch: str = "main"
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # path -> (status, body)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = json.loads(raw) if raw else {}
                fake.requests.append(RecordedRequest(self.command, self.path, dict(self.headers.items()), body))
                if self.path in fake.failures:
                    self._answer(*fake.failures[self.path])
                    return
                pulls = PULLS_RE.match(self.path)
                if self.command == "POST" and pulls:
                    number = sum(1 for r in fake.requests if r.method == "POST")
                    owner, repo = pulls["owner"], pulls["repo"]
                    self._answer(201, {
                        "number": number, "state": "open", "title": body["title"],
                        "html_url": f"https://github.example/{owner}/{repo}/pull/{number}",
                        "url": f"{fake.url}/repos/{owner}/{repo}/pulls/{number}",
                        "head": {"ref": body["head"]}, "base": {"ref": body["base"]},
                    })
                    return
                repo_match = REPO_RE.match(self.path)
                if self.command == "GET" and repo_match:
                    self._answer(200, {"full_name": f"{repo_match['owner']}/{repo_match['repo']}",
                                       "default_branch": fake.default_branch})
                    return
                self._answer(404, {"message": "Not Found"})

            do_GET = _handle
            do_POST = _handle

        return Handler
