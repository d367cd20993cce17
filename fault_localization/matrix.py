"""The per-test coverage matrix: which lines each test executed, and whether it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repair.fault_localization.formulas import Spectrum

Line = tuple[str, int]  # (file relative to the checkout root, 1-based line)


@dataclass
class TestCoverage:
    """One test's outcome and the lines it executed."""

    test_id: str
    failed: bool
    lines: frozenset[Line]
    trace: str = ""

    __test__ = False  # not a pytest test class


@dataclass
class CoverageMatrix:
    """Per-test line coverage of one run of a bug's tests, with the run's wall time."""

    tests: dict[str, TestCoverage] = field(default_factory=dict)
    seconds: float = 0.0
    tool: str = ""

    def add(self, test: TestCoverage) -> None:
        self.tests[test.test_id] = test

    @property
    def failing(self) -> list[TestCoverage]:
        return [t for t in self.tests.values() if t.failed]

    def spectra(self) -> dict[Line, Spectrum]:
        """(ef, ep, nf, np) of every line executed by at least one test."""
        total_failed = sum(1 for t in self.tests.values() if t.failed)
        total_passed = len(self.tests) - total_failed
        ef: dict[Line, int] = {}
        ep: dict[Line, int] = {}
        for test in self.tests.values():
            counts = ef if test.failed else ep
            for line in test.lines:
                counts[line] = counts.get(line, 0) + 1
        return {
            line: Spectrum(ef.get(line, 0), ep.get(line, 0), total_failed - ef.get(line, 0),
                           total_passed - ep.get(line, 0))
            for line in sorted(set(ef) | set(ep))
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "seconds": self.seconds,
            "tests": [
                {"test_id": t.test_id, "failed": t.failed, "trace": t.trace,
                 "lines": _group_by_file(t.lines)}
                for t in self.tests.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoverageMatrix:
        matrix = cls(seconds=float(data.get("seconds", 0.0)), tool=data.get("tool", ""))
        for t in data["tests"]:
            lines = frozenset((file, int(n)) for file, numbers in t["lines"].items() for n in numbers)
            matrix.add(TestCoverage(t["test_id"], bool(t["failed"]), lines, t.get("trace", "")))
        return matrix


def _group_by_file(lines: frozenset[Line]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for file, line in sorted(lines):
        grouped.setdefault(file, []).append(line)
    return grouped
