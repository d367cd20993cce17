"""Trajectories: one JSON line per agent cycle, written as the run goes, and read back for replay."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repair.containers.secrets_filter import redact
from repair.errors import RepairError
from repair.models.base import Message, Model, ModelGaveUp, ModelReply
from repair.models.budget import BudgetSpent
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
    """Script entries for a ScriptedModel that answers exactly as the recorded model did, and stops where
    it stopped (a spent budget, a model that gave up, a server error) with the same reason."""
    return [{"raise": reply["raised"], "message": reply.get("message", "")} if is_raised(reply) else {"reply": reply}
            for step in steps for reply in step.replies]


def is_raised(entry: dict[str, Any]) -> bool:
    """True for a recorded call that ended in an error instead of a reply."""
    return "raised" in entry


def raised_entry(exc: RepairError) -> dict[str, Any]:
    """A call that raised, as a trajectory entry: `budget` (the run's budget refused it), `gave_up` (the
    model had nothing more to try) or `error` (the model could not answer)."""
    kind = "budget" if isinstance(exc, BudgetSpent) else "gave_up" if isinstance(exc, ModelGaveUp) else "error"
    return {"raised": kind, "message": str(exc)}


class RecordingModel:
    """Wraps a model and keeps what each call of the current cycle gave, a reply or an error, so that
    tool-internal calls (generate_method_body) and the call that ended the run are recorded and replayed too."""

    def __init__(self, inner: Model) -> None:
        self.inner = inner
        self.name = inner.name
        self.entries: list[dict[str, Any]] = []

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> ModelReply:
        try:
            reply = self.inner.complete(messages, tools)
        except RepairError as exc:
            self.entries.append(raised_entry(exc))
            raise
        self.entries.append(reply_to_dict(reply))
        return reply

    def take(self) -> list[dict[str, Any]]:
        """The replies (and errors) since the last call, as JSON."""
        taken, self.entries = self.entries, []
        return taken
