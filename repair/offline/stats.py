"""Per-bug counts and time split of the offline search, and the fate of every candidate, for reports and benchmarks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from repair.validation import ValidationResult

MAX_LOCATIONS = 40  # lines whose template counts result.json keeps
_COMPILER_ERROR = re.compile(r"(?:^|\s)(?:[^\s:]+\.java:\d+: )?error: .*")


def first_compiler_error(output: str) -> str:
    """javac's first error line (`File.java:12: error: cannot find symbol`), else the first non-empty line."""
    for line in output.splitlines():
        match = _COMPILER_ERROR.search(line)
        if match:
            return match.group(0).strip()[:300]
    return next((line.strip()[:300] for line in output.splitlines() if line.strip()), "")


@dataclass
class CandidateRecord:
    """One candidate and what became of it.

    fate: dropped (before any compiler: `reason` says why), duplicate (the same program as one
    already tried), build-failed (`reason`: the first compiler error), not-plausible (`reason`: the
    tests that failed), plausible, or apply-failed/refused.
    """

    file: str
    line: int
    template: str
    description: str
    fate: str
    reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data

    @classmethod
    def judged(cls, file: str, line: int, template: str, description: str,
               result: ValidationResult) -> CandidateRecord:
        """The record of a candidate the validator judged."""
        if result.cached:
            return cls(file, line, template, description, "duplicate", "the same program was validated before")
        reason = ""
        if result.status == "build-failed":
            reason = first_compiler_error(result.build_output) or "compilation failed"
        elif result.status == "not-plausible":
            failed = result.still_failing or result.regressions
            kind = "still failing" if result.still_failing else "newly failing"
            reason = f"{kind}: {', '.join(failed[:3])}" + (f" (+{len(failed) - 3})" if len(failed) > 3 else "")
        elif result.status in ("apply-failed", "refused"):
            reason = result.message[:300]
        return cls(file, line, template, description, result.status, reason, result.seconds)


@dataclass
class SearchStats:
    """Where every generated candidate went, and where the time went.

    generated = dropped + duplicates + build_failed + tested + untried (+ apply-failed/refused, rare):
    `dropped` counts candidates removed before any compiler saw them, by reason (`syntax`,
    `same-text`, `ill-typed:<reason>`); `duplicates` the same program as one already tried;
    `build_failed` those the compiler refused; `tested` those whose tests ran to a verdict (`compiled`
    too: Python's are run at all); `untried` those left when the budget ran out.

    How deep the search went: `ranked_lines` the suspicious lines it could walk, `lines_tried` the lines
    whose candidates it made, `deepest_rank` the rank (1-based) of the lowest-ranked line it validated a
    candidate of.

    Why it went where it did: `locations` holds, per line read (the first `MAX_LOCATIONS`), how many
    candidates each template family made and kept, and why the line got none (`note`); `partials` counts
    the candidates that fixed some failing tests, `pairs_tried` the pairs of them it validated, `retried`
    the candidates that failed only by a timeout and were judged again with the full limit; `chosen`
    is the review of the best plausible patch (`likely_overfitting` when it deletes behaviour), and
    `ranked_plausible` every plausible patch found, best first, with its diff (more than one with
    `--all-plausible`).
    """

    generated: int = 0
    validated: int = 0
    duplicates: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    build_failed: int = 0
    compiled: int = 0
    tested: int = 0
    plausible: int = 0
    untried: int = 0
    lines_tried: int = 0
    ranked_lines: int = 0
    deepest_rank: int = 0
    generation_seconds: float = 0.0
    compilation_seconds: float = 0.0
    test_seconds: float = 0.0
    partials: int = 0
    pairs_tried: int = 0
    retried: int = 0
    locations: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] | None = None
    ranked_plausible: list[dict[str, Any]] = field(default_factory=list)

    def locate(self, file: str, line: int, rank: int, families: Mapping[str, list[int]], note: str) -> None:
        """Record what the templates made at one line: per family [made, kept], and why none (`note`)."""
        if len(self.locations) >= MAX_LOCATIONS:
            return
        self.locations.append({"file": file, "line": line, "rank": rank,
                               "families": {name: {"made": counts[0], "kept": counts[1]}
                                            for name, counts in families.items()},
                               "kept": sum(counts[1] for counts in families.values()), "note": note})

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def record(self, result: ValidationResult) -> None:
        """Count one validation verdict."""
        if result.cached:
            self.duplicates += 1
            return
        self.validated += 1
        if result.status == "build-failed":
            self.build_failed += 1
        if result.status in ("plausible", "not-plausible"):
            self.compiled += 1
            self.tested += 1
        if result.plausible:
            self.plausible += 1

    def merge(self, other: SearchStats) -> None:
        """Add another search's counts and seconds to these."""
        for name in ("generated", "validated", "duplicates", "build_failed", "compiled", "tested", "plausible",
                     "untried", "lines_tried", "partials", "pairs_tried", "retried"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("generation_seconds", "compilation_seconds", "test_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ranked_lines = max(self.ranked_lines, other.ranked_lines)
        self.deepest_rank = max(self.deepest_rank, other.deepest_rank)
        self.dropped = dict(Counter(self.dropped) + Counter(other.dropped))
        known = {(loc["file"], loc["line"]) for loc in self.locations}
        self.locations += [loc for loc in other.locations if (loc["file"], loc["line"]) not in known][
            :max(0, MAX_LOCATIONS - len(self.locations))]
        self.chosen = other.chosen or self.chosen
        self.ranked_plausible += other.ranked_plausible

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def total_seconds(self) -> float:
        return self.generation_seconds + self.compilation_seconds + self.test_seconds

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("generation_seconds", "compilation_seconds", "test_seconds"):
            data[key] = round(data[key], 3)
        data["dropped_total"] = self.dropped_total
        data["depth"] = self.depth()
        return data

    def depth(self) -> dict[str, int]:
        """How deep into the fault-localisation ranking the search went (result.json's `search_depth`)."""
        return {"deepest_rank": self.deepest_rank, "lines_read": self.lines_tried, "ranked_lines": self.ranked_lines}

    def summary(self) -> str:
        """One line for the terminal and the model."""
        return (f"{fate_counts(self.to_dict())}; generation {self.generation_seconds:.2f}s, "
                f"compilation {self.compilation_seconds:.2f}s, tests {self.test_seconds:.2f}s")


def fate_counts(search: Mapping[str, Any]) -> str:
    """Where the candidates went, in one line, from `SearchStats.to_dict()` (as result.json keeps it)."""
    dropped: dict[str, int] = dict(search.get("dropped") or {})
    why = ", ".join(f"{reason} {n}" for reason, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
    parts = [f"{search.get('generated', 0)} generated",
             f"{sum(dropped.values())} dropped before compiling" + (f" ({why})" if why else ""),
             f"{search.get('duplicates', 0)} duplicates", f"{search.get('build_failed', 0)} failed to compile",
             f"{search.get('tested', 0)} tested", f"{search.get('plausible', 0)} plausible"]
    if search.get("untried"):
        parts.append(f"{search['untried']} not tried (the search stopped)")
    if search.get("pairs_tried"):
        parts.append(f"{search['pairs_tried']} pairs of {search.get('partials', 0)} partial candidates tried")
    depth = search.get("depth") or {}
    if depth.get("ranked_lines"):
        parts.append(f"depth: line {depth.get('deepest_rank', 0)} of {depth['ranked_lines']} ranked")
    return "; ".join(parts)
