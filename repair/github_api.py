"""A small GitHub REST client (urllib): just what `repair ci` needs to open a pull request.

The token is sent only in the Authorization header and never appears in an error message.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repair.errors import RepairError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubError(RepairError):
    """A GitHub API call that failed; the message says what GitHub answered and what to do."""


@dataclass(frozen=True)
class PullRequest:
    """The pull request GitHub created."""

    number: int
    url: str  # the page a person opens (html_url)
    api_url: str


def parse_repository(full_name: str) -> tuple[str, str]:
    """`owner/name` (as in GITHUB_REPOSITORY) split in two; GitHubError when it is not that shape."""
    if not REPOSITORY_RE.match(full_name or ""):
        raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, got '{full_name}'")
    owner, name = full_name.split("/", 1)
    return owner, name


class GitHubClient:
    """Authenticated JSON calls to the GitHub REST API (or a server at GITHUB_API_URL)."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, timeout: float = 30.0) -> None:
        if not token:
            raise GitHubError("no GitHub token: set GITHUB_TOKEN")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubClient:
        """A client from GITHUB_TOKEN and GITHUB_API_URL (the latter set by Actions on GitHub Enterprise)."""
        return cls(env.get("GITHUB_TOKEN", ""), env.get("GITHUB_API_URL") or DEFAULT_API_URL)

    def __repr__(self) -> str:  # never show the token, e.g. in a traceback's locals
        return f"GitHubClient(api_url={self.api_url!r})"

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Send one request; the decoded JSON answer, or GitHubError with GitHub's own message."""
        url = f"{self.api_url}/{path.lstrip('/')}"
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "repair-agent",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise GitHubError(_explain(method, path, exc.code, exc.read())) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(f"cannot reach the GitHub API at {self.api_url}: {reason}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise GitHubError(f"{method} {path}: GitHub answered with something that is not JSON") from None

    def create_pull(self, repository: str, title: str, head: str, base: str, body: str) -> PullRequest:
        """Open a pull request from branch `head` into `base` of `owner/name`."""
        owner, name = parse_repository(repository)
        answer = self.request("POST", f"/repos/{owner}/{name}/pulls",
                              {"title": title, "head": head, "base": base, "body": body,
                               "maintainer_can_modify": True})
        if not isinstance(answer, dict) or "number" not in answer:
            raise GitHubError(f"POST /repos/{owner}/{name}/pulls: the answer has no pull request number")
        return PullRequest(int(answer["number"]), str(answer.get("html_url", "")), str(answer.get("url", "")))

    def default_branch(self, repository: str) -> str:
        """The default branch of `owner/name` (where a PR goes when the failing branch is unknown)."""
        owner, name = parse_repository(repository)
        answer = self.request("GET", f"/repos/{owner}/{name}")
        branch = answer.get("default_branch") if isinstance(answer, dict) else None
        if not branch:
            raise GitHubError(f"GET /repos/{owner}/{name}: the answer has no default_branch")
        return str(branch)


# What a status code usually means for `repair ci`, so the user knows which setting to change.
_HINTS = {
    401: "the token is invalid or expired",
    403: "the token may not do this: give the workflow `permissions: contents: write, pull-requests: write` and "
         "allow GitHub Actions to create pull requests (Settings → Actions → General)",
    404: "no such repository, or the token cannot see it",
    422: "GitHub refused the request as given",
}


def _explain(method: str, path: str, status: int, raw: bytes) -> str:
    message = ""
    try:
        answer = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        answer = {}
    if isinstance(answer, dict):
        message = str(answer.get("message", ""))
        details = [str(e.get("message") or e.get("code") or "") for e in answer.get("errors", []) or []
                   if isinstance(e, dict)]
        details = [d for d in details if d]
        if details:
            message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
    hint = _HINTS.get(status, "")
    parts = [f"{method} {path} failed with HTTP {status}", message, hint]
    return ": ".join(p for p in parts if p)
