"""Slicer (L2): narrows the buggy file to the snippet that holds the bug."""

from __future__ import annotations

from dataclasses import dataclass

from repair.fixagent.inputs import BuggyFile
from repair.fixagent.prompting import AgentCall, ask, numbered, section
from repair.fixagent.reply_parsing import extract_json
from repair.fixagent.summarizer import Summaries
from repair.models.base import Model
from repair.syntax import definitions, enclosing_method

MAX_SLICE_LINES = 120
FALLBACK_MARGIN = 10


@dataclass(frozen=True)
class Slice:
    """Lines `first`..`last` (1-based, inclusive) of `path`; `note` says when the model's range was not used."""

    path: str
    first: int
    last: int
    text: str
    call: AgentCall
    note: str = ""


def fallback_range(file: BuggyFile, lines: list[int]) -> tuple[int, int]:
    """The method around the first suspicious line, else a margin around all of them."""
    anchor = lines[0] if lines else 1
    try:
        around = enclosing_method(definitions(file.language, file.text), anchor)
    except (ValueError, LookupError):
        around = None
    if around is not None and around.end_line - around.start_line < MAX_SLICE_LINES:
        return around.start_line, around.end_line
    low, high = (min(lines), max(lines)) if lines else (1, 1)
    return max(1, low - FALLBACK_MARGIN), min(file.line_count, high + FALLBACK_MARGIN)


def slice_file(model: Model, file: BuggyFile, lines: list[int], summaries: Summaries) -> Slice:
    """Ask for the range of `file` that matters; keep it only when it holds `lines` and is small enough."""
    call = ask(model, "slicer", [
        section(f"Source file {file.path}", numbered(file.text)),
        section("Suspicious lines", ", ".join(map(str, lines)) or "(unknown)"),
        section("Function summaries", summaries.text()),
        "Answer with a JSON list [first_line, last_line].",
    ])
    answer = extract_json(call.text, list)
    note = ""
    try:
        first, last = (int(answer[0]), int(answer[1])) if isinstance(answer, list) and len(answer) >= 2 else (0, 0)
    except (TypeError, ValueError):
        first, last = 0, 0
    valid = (1 <= first <= last <= file.line_count and last - first < MAX_SLICE_LINES
             and all(first <= n <= last for n in lines))
    if not valid:
        first, last = fallback_range(file, lines)
        note = (f"the Slicer's range {answer!r} is not a range of at most {MAX_SLICE_LINES} lines around the "
                f"suspicious lines; using lines {first}-{last}")
    return Slice(file.path, first, last, numbered(file.text, first, last), call, note)
