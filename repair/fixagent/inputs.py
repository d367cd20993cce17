"""What FixAgent's agents read and write: the buggy file, the failure, and a drafted patch."""

from __future__ import annotations

from dataclasses import dataclass

from repair.fixagent.prompting import AgentCall


@dataclass(frozen=True)
class BuggyFile:
    """The file the repair is about (relative path, its buggy text, its language)."""

    path: str
    text: str
    language: str

    @property
    def line_count(self) -> int:
        return len(self.text.splitlines())


@dataclass(frozen=True)
class Draft:
    """A patch an agent wrote; `diff` is None when the reply held no unified diff (`error` says so)."""

    diff: str | None
    call: AgentCall
    error: str = ""


@dataclass(frozen=True)
class ReviewedPatch:
    """An earlier patch and the validator's verdict on it, as FixerPro reviews them. `is_diff` is False for a
    reply that held no diff: `diff` is then the reply's text."""

    diff: str
    verdict: str
    is_diff: bool = True
