"""What the caches and the web answered in a recorded run, for its replay.

The Summarizer's disk cache and the web decide whether a model call happens at all: a replay that asked
them again, on another day or machine, could make other calls than the recorded run and shift every
recorded reply by one. The trajectory keeps their answers (`data` of the `fixagent.summarizer` and
`fixagent.helper` steps), and a replay takes them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repair.fixagent.helper import SearchHit, WebSearch, WebSearchUnavailableError
from repair.trajectory import Step


@dataclass
class ReplayedCaches:
    """What the caches answered in a recorded run, so that its replay makes the same model calls: the
    Summarizer's cached summaries (None: the recorded run asked the model) and the web search's answer."""

    summaries: dict[str, str] | None = None
    web: WebSearch | None = None

    @classmethod
    def from_steps(cls, steps: list[Step]) -> ReplayedCaches:
        """Read them from a trajectory's `fixagent.summarizer` and `fixagent.helper` steps."""
        replayed = cls()
        for step in steps:
            if step.tool == "fixagent.summarizer" and step.data.get("cache") == "hit":
                replayed.summaries = {str(k): str(v) for k, v in (step.data.get("summaries") or {}).items()}
            if step.tool == "fixagent.helper" and "web" in step.data:
                replayed.web = RecordedSearch(step.data["web"])
        return replayed


class RecordedSearch:
    """A web search that answers what the recorded run's search answered (hits, or unavailable)."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def search(self, query: str, max_results: int) -> list[SearchHit]:
        if not self.record.get("available", False):
            raise WebSearchUnavailableError(str(self.record.get("reason", "web search unavailable")))
        return [SearchHit(**hit) for hit in self.record.get("hits", [])][:max_results]
