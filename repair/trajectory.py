"""Trajectories: one JSON line per agent cycle, written as the run goes, and read back for replay."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repair.containers.secrets_filter import redact
from repair.errors import RepairError
from repair.models.base import Message, Model, ModelReply
from repair.models.reply_format import reply_to_dict


@dataclass(kw_only=True)
class Step:
    """One cycle: what the model was asked and answered, the tool run, its result, and what it cost."""

    cycle: int
    state_before: str
    state_after: str
    prompt_hash: str
    replies: list[dict[str, Any]]  # every model reply of the cycle; the first is the command
    tool: str | None
    args: dict[str, Any]
    result: str
    ok: bool
    malformed: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)


class TrajectoryWriter:
    """Appends steps to `trajectory.jsonl`, flushing each so a crashed run keeps its history."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def write(self, step: Step) -> None:
        # A test's output may echo the environment: no secret's value is written, even for a moment.
        with self.path.open("a", encoding="utf-8") as out:
            out.write(redact(step.to_json()) + "\n")


def read_trajectory(path: Path) -> list[Step]:
    """The steps of a trajectory file; RepairError when it is missing or not one JSON object per line."""
    if not path.is_file():
        raise RepairError(f"no trajectory at {path}")
    steps = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            steps.append(Step(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise RepairError(f"{path}:{number} is not a trajectory step ({exc})") from exc
    return steps


def replay_script(steps: list[Step]) -> list[dict[str, Any]]:
    """Script entries for a ScriptedModel that answers exactly as the recorded model did."""
    return [{"reply": reply} for step in steps for reply in step.replies]


class RecordingModel:
    """Wraps a model and keeps the replies of the current cycle, so tool-internal calls
    (generate_method_body) are recorded and replayed too. `bind` is passed on to the wrapped model."""

    def __init__(self, inner: Model) -> None:
        self.inner = inner
        self.name = inner.name
        self.replies: list[ModelReply] = []

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        reply = self.inner.complete(messages, tools)
        self.replies.append(reply)
        return reply

    def take(self) -> list[dict[str, Any]]:
        """The replies since the last call, as JSON."""
        taken, self.replies = [reply_to_dict(r) for r in self.replies], []
        return taken
