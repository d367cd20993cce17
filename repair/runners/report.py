"""What a test run reports: a status, message and trace per test."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

# What our pytest plugin (runners/pytest_report_plugin.py, which imports nothing from repair) writes
# for a test that has started; its result replaces it when it finishes.
UNFINISHED_MESSAGE = "the test started and did not finish"


class TestStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIP = "skip"

    __test__ = False

    @property
    def failed(self) -> bool:
        return self in (TestStatus.FAIL, TestStatus.ERROR, TestStatus.TIMEOUT)


@dataclass(frozen=True)
class TestResult:
    """One test's outcome. `test_id` is `pkg.Class::method` (Java) or a pytest node id."""

    test_id: str
    status: TestStatus
    message: str = ""
    trace: str = ""
    seconds: float = 0.0

    __test__ = False


@dataclass
class TestReport:
    """The outcome of one test run, including the build step that preceded it."""

    results: dict[str, TestResult] = field(default_factory=dict)
    build_ok: bool = True
    build_output: str = ""
    timed_out: bool = False
    seconds: float = 0.0
    output: str = ""
    # Per-test coverage, when the run was asked for it (`WarmTestRunner.run_covered`): test id -> source
    # file as the coverage tool names it (an absolute path, or `pkg/File.java`) -> the lines it ran.
    coverage: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    __test__ = False  # not a pytest test class

    def add(self, result: TestResult) -> None:
        self.results[result.test_id] = result

    @property
    def failing(self) -> list[str]:
        return [t for t, r in self.results.items() if r.status.failed]

    @property
    def passing(self) -> list[str]:
        return [t for t, r in self.results.items() if r.status == TestStatus.PASS]

    @property
    def all_passed(self) -> bool:
        return self.build_ok and not self.failing

    def summary(self) -> str:
        """One line for humans and models: counts per status."""
        if not self.build_ok:
            return "build failed"
        counts: dict[str, int] = {}
        for r in self.results.values():
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        parts = [f"{counts[s.value]} {s.value}" for s in TestStatus if counts.get(s.value)]
        return ", ".join(parts) or "no tests ran"

    def add_jsonl(self, text: str) -> None:
        """Add the results our runners write, one JSON object per line; a torn last line is skipped."""
        for line in text.splitlines():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.add(TestResult(data["test_id"], TestStatus(data["status"]), data.get("message", ""),
                                data.get("trace", ""), float(data.get("seconds", 0.0))))

    def settle_unfinished(self, timed_out: bool, exit_code: int | None = None) -> None:
        """Name the tests that started and never finished: a timeout when the run hit its limit, else an error.

        Our pytest plugin writes a placeholder line when a test starts (UNFINISHED_MESSAGE) that its
        result line replaces; a test that hung with pytest-timeout off, or whose process died, keeps it.
        """
        for result in list(self.results.values()):
            if result.status != TestStatus.TIMEOUT or not result.message.startswith(UNFINISHED_MESSAGE):
                continue
            if timed_out:
                message = f"{UNFINISHED_MESSAGE}: the run was stopped at its time limit"
                self.add(replace(result, message=message))
            else:
                message = f"{UNFINISHED_MESSAGE}: the test process ended (exit code {exit_code}) during it"
                self.add(replace(result, status=TestStatus.ERROR, message=message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "build_ok": self.build_ok,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
            "results": [
                {**asdict(r), "status": r.status.value} for r in self.results.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestReport:
        report = cls(build_ok=data.get("build_ok", True), timed_out=data.get("timed_out", False))
        for r in data.get("results", []):
            report.add(TestResult(**{**r, "status": TestStatus(r["status"])}))
        return report


MAX_REPEAT_PERIOD = 4  # mutual recursion of up to this many frames is seen as one repeating block
MIN_REPEATS = 3  # two equal lines in a row can be real output; three are a loop


def collapse_repeated_frames(trace: str) -> str:
    """`trace` with each run of a repeating block of lines (a recursion's frames; blocks of up to
    MAX_REPEAT_PERIOD lines) shown once and then counted: a StackOverflowError's 1024 frames of one method
    become two lines."""
    lines = trace.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        for period in range(1, MAX_REPEAT_PERIOD + 1):
            block = lines[i:i + period]
            repeats = 1
            while len(block) == period and lines[i + repeats * period:i + (repeats + 1) * period] == block:
                repeats += 1
            if repeats >= MIN_REPEATS:
                what = "the line above repeats" if period == 1 else f"the {period} lines above repeat"
                out.extend([*block, f"    ... ({what} {repeats - 1} more times)"])
                i += repeats * period
                break
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)
