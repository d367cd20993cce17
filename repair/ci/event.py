"""What GitHub Actions tells `repair ci` about the failed run: the event payload and the environment."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from repair.ci.git import BRANCH_PREFIX, current_branch
from repair.errors import RepairError


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload of the run (GITHUB_EVENT_PATH); empty outside GitHub Actions."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RepairError(f"GITHUB_EVENT_PATH {path} is not a JSON event payload: {exc}") from None
    return data if isinstance(data, dict) else {}


def own_run_reason(env: Mapping[str, str], event: Mapping[str, Any], branch: str | None) -> str | None:
    """Why this run is about repair ci's own work (a `repair/...` branch or PR), or None."""
    candidates = {
        "the pull request branch (GITHUB_HEAD_REF)": env.get("GITHUB_HEAD_REF"),
        "the failed run's branch (workflow_run.head_branch)": dig(event, "workflow_run", "head_branch"),
        "the pull request branch (pull_request.head.ref)": dig(event, "pull_request", "head", "ref"),
        "the pushed branch (GITHUB_REF_NAME)": env.get("GITHUB_REF_NAME"),
        "the checked-out branch": branch,
    }
    for what, name in candidates.items():
        if isinstance(name, str) and name.startswith(BRANCH_PREFIX):
            return f"{what} is {name}"
    return None


def is_fork_run(event: Mapping[str, Any]) -> bool:
    """True when the failed workflow run belongs to a fork (its branch is not in this repository)."""
    head = dig(event, "workflow_run", "head_repository", "full_name")
    here = dig(event, "repository", "full_name")
    return bool(head and here and head != here)


def workflow_failed(event: Mapping[str, Any]) -> bool:
    return dig(event, "workflow_run", "conclusion") == "failure"


def failing_branch(env: Mapping[str, str], event: Mapping[str, Any], root: Path) -> str | None:
    """The branch whose run failed: the PR's base. None when only the API's default branch can tell."""
    for name in (dig(event, "workflow_run", "head_branch"), env.get("GITHUB_HEAD_REF"), env.get("GITHUB_REF_NAME"),
                 current_branch(root)):
        if isinstance(name, str) and name and not name.startswith("refs/") and "/merge" not in name:
            return name
    return None


def make_run_id(env: Mapping[str, str]) -> str:
    """GITHUB_RUN_ID (with the attempt when it is a rerun) in Actions, a timestamp elsewhere."""
    run = env.get("GITHUB_RUN_ID", "")
    if re.fullmatch(r"\d+", run):
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
        return run if attempt in ("", "1") else f"{run}-{attempt}"
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def dig(data: Mapping[str, Any], *keys: str) -> Any:
    """`data[k1][k2]...`, or None where a level is missing or not a mapping."""
    current: Any = data
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current
