"""`FaultLocalizer`: rank a bug's suspicious lines from coverage spectra, stack traces or ground truth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fault_localization.formulas import FORMULAS
from repair.fault_localization.matrix import CoverageMatrix, Line
from repair.fault_localization.ranking import combine
from repair.fault_localization.sources import SourceIndex
from repair.fault_localization.stack_trace import stack_scores
from repair.runners import TestReport, TestRunner, make_test_runner

DEFAULT_STACK_WEIGHT = 0.5


@dataclass(frozen=True)
class Suspicious:
    """A suspicious line, with the scores of each signal that pointed at it."""

    file: str  # relative to the checkout root
    line: int  # 1-based
    method: str | None  # qualified name from repair.syntax, e.g. "POWER_SUM.power"
    score: float
    signals: dict[str, float] = field(default_factory=dict)

    def label(self) -> str:
        """`file:line (method)`, as prompts and hand-overs show it."""
        return f"{self.file}:{self.line} ({self.method or '?'})"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "method": self.method, "score": round(self.score, 6),
                "signals": {k: round(v, 6) for k, v in self.signals.items()}}


class FaultLocalizer:
    """Spectrum-based (coverage) plus stack-trace fault localization, or perfect FL from ground truth.

    Signals are named by the formula (e.g. "ochiai") and "stack"; `weights` maps those names to their
    share of the combined score (default: formula 1.0, stack 0.5). After `localize`, `notes` says what
    was used or skipped and `matrix` holds the coverage matrix, if one was collected.
    """

    def __init__(self, formula: str = "ochiai", perfect: bool = False, use_coverage: bool = True,
                 use_stack: bool = True, weights: dict[str, float] | None = None) -> None:
        if formula not in FORMULAS:
            raise FaultLocalizationError(f"unknown formula {formula!r}: use one of {', '.join(FORMULAS)}")
        self.formula = formula
        self.perfect = perfect
        self.use_coverage = use_coverage
        self.use_stack = use_stack
        self.weights = {formula: 1.0, "stack": DEFAULT_STACK_WEIGHT, "perfect": 1.0, "executed": 1.0,
                        **(weights or {})}
        if "coverage" in self.weights:  # an alias for whichever formula is in use
            self.weights[formula] = self.weights.pop("coverage")
        self.notes: list[str] = []
        self.matrix: CoverageMatrix | None = None

    def localize(self, bug: Bug, workspace: Workspace, runner: TestRunner | None = None,
                 baseline: TestReport | None = None) -> list[Suspicious]:
        """Suspicious non-test lines of `bug` in `workspace`, most suspicious first."""
        self.notes = []
        self.matrix = None
        sources = SourceIndex(bug, workspace)
        if self.perfect:
            return self._perfect(bug, sources)
        signals: dict[str, dict[Line, float]] = {}
        if self.use_coverage:
            from repair.fault_localization.collect import collect_coverage

            runner = runner or make_test_runner(workspace, bug.test_setup)
            try:
                self.matrix = collect_coverage(bug, workspace, runner, sources, baseline=baseline)
            except FaultLocalizationError as exc:
                self.notes.append(str(exc) if str(exc).startswith("no coverage") else f"no coverage: {exc}")
            if self.matrix is not None:
                self.notes.append(f"coverage of {len(self.matrix.tests)} tests ({self.matrix.tool}), "
                                  f"{len(self.matrix.failing)} failing")
                score = FORMULAS[self.formula]
                ranked = set(sources.files)
                signals[self.formula] = {
                    line: score(spectrum) for line, spectrum in self.matrix.spectra().items()
                    if spectrum.ef > 0 and line[0] in ranked
                }
        if self.use_stack:
            signals["stack"] = stack_scores(self._failing_traces(bug, workspace, runner, baseline), sources.resolve)
            self.notes.append(f"stack traces: {len(signals['stack'])} project lines")
        suspects = self._suspicious(signals, sources)
        if not suspects and self.matrix is not None:
            suspects = self._executed_by_failing(sources)
        return suspects

    def _executed_by_failing(self, sources: SourceIndex) -> list[Suspicious]:
        """The fallback when no signal found anything: the lines the failing tests executed, those that
        more failing tests executed first."""
        assert self.matrix is not None
        counts: dict[Line, int] = {}
        ranked = set(sources.files)
        for test in self.matrix.failing:
            for line in test.lines:
                if line[0] in ranked:
                    counts[line] = counts.get(line, 0) + 1
        failing = max(1, len(self.matrix.failing))
        self.notes.append("FL found nothing: falling back to the statements the failing tests executed "
                          f"({len(counts)} lines)" if counts else
                          "FL found nothing, and the failing tests executed no line of the program")
        executed = {line: n / failing for line, n in counts.items()}
        return self._suspicious({"executed": executed}, sources)

    def _failing_traces(self, bug: Bug, workspace: Workspace, runner: TestRunner | None,
                        baseline: TestReport | None) -> list[str]:
        if self.matrix is not None:
            return [t.trace for t in self.matrix.failing]
        if baseline is None:
            runner = runner or make_test_runner(workspace, bug.test_setup)
            baseline = runner.run()
        return [r.trace or r.message for r in baseline.results.values() if r.status.failed]

    def _perfect(self, bug: Bug, sources: SourceIndex) -> list[Suspicious]:
        if not bug.buggy_locations:
            raise FaultLocalizationError(f"perfect fault localization needs ground truth, and {bug.id} has none")
        self.notes.append("perfect fault localization: the ground-truth buggy lines (not a real localization)")
        lines = {(loc.file, loc.line): 1.0 for loc in bug.buggy_locations}
        return self._suspicious({"perfect": lines}, sources)

    def _suspicious(self, signals: Mapping[str, Mapping[Line, float]], sources: SourceIndex) -> list[Suspicious]:
        return [
            Suspicious(file, line, sources.method_of(file, line), score,
                       {name: scores[(file, line)] for name, scores in signals.items() if (file, line) in scores})
            for (file, line), score in combine(signals, self.weights)
        ]
