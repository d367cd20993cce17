"""Method-level fault localization: methods ranked by their most suspicious line.

A method is as suspicious as its best line (the "max" aggregation of Zou et al., TSE 2019, and of
Defects4J method-level studies), so methods come in the order their best lines have in the line ranking,
and every tie among them is broken by the same evidence that broke it among the lines. Tools that read a
whole method (extract_method, an LLM that rewrites a method) use this ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from repair.fault_localization.localizer import Suspicious


@dataclass(frozen=True)
class SuspiciousMethod:
    """A method (or, for lines outside any method, the class or file), its best line and how many of its
    lines the line ranking holds."""

    file: str
    method: str | None
    score: float
    line: int  # the method's most suspicious line
    rank: int  # that line's 1-based position in the line ranking
    lines: int  # suspicious lines inside the method

    def label(self) -> str:
        return f"{self.file}: {self.method or '(outside any method)'}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "method": self.method, "score": round(self.score, 6), "line": self.line,
                "line_rank": self.rank, "lines": self.lines}


def rank_methods(suspects: Sequence[Suspicious]) -> list[SuspiciousMethod]:
    """The methods of a line ranking, most suspicious first."""
    best: dict[tuple[str, str | None], tuple[int, Suspicious]] = {}
    counts: dict[tuple[str, str | None], int] = {}
    for position, suspect in enumerate(suspects, start=1):
        key = (suspect.file, suspect.method)
        best.setdefault(key, (position, suspect))
        counts[key] = counts.get(key, 0) + 1
    return [SuspiciousMethod(file, method, top.score, top.line, position, counts[(file, method)])
            for (file, method), (position, top) in sorted(best.items(), key=lambda item: item[1][0])]
