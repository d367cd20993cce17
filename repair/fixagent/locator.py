"""Locator (L1): from the fault-localization ranking and the failing tests to the buggy lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.fault_localization import Suspicious
from repair.fixagent.inputs import BuggyFile
from repair.fixagent.prompting import AgentCall, ask, numbered, section
from repair.fixagent.reply_parsing import extract_json, line_numbers
from repair.models.base import Model

MAX_RANKED = 15
MAX_LINES = 5


@dataclass(frozen=True)
class Located:
    """The lines the Locator names (1-based, in `file`), most likely first; `note` says when FL filled in."""

    lines: list[int]
    call: AgentCall
    note: str = ""
    ranking: list[str] = field(default_factory=list)


def ranking_text(suspicious: list[Suspicious], limit: int = MAX_RANKED) -> list[str]:
    """The FL ranking as short lines for a prompt."""
    return [f"{s.file}:{s.line} ({s.method or '?'}) score {s.score:.3f}" for s in suspicious[:limit]]


def locate(model: Model, file: BuggyFile, suspicious: list[Suspicious], failures: str) -> Located:
    """Ask for the buggy lines of `file`; when the reply names none, the FL ranking's lines in `file` are used."""
    ranking = ranking_text(suspicious)
    call = ask(model, "locator", [
        section(f"Buggy file {file.path}", numbered(file.text)),
        section("Fault localization ranking (most suspicious first)", "\n".join(ranking) or "(no ranking)"),
        section("Failing tests", failures),
        "Answer with a JSON list of the buggy line numbers of the file above.",
    ])
    lines = line_numbers(extract_json(call.text, list), file.line_count)[:MAX_LINES]
    if lines:
        return Located(lines, call, ranking=ranking)
    from_fl = [s.line for s in suspicious if s.file == file.path][:MAX_LINES]
    return Located(from_fl, call, "the Locator named no valid line; using the fault-localization ranking", ranking)
