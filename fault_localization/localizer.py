"""`FaultLocalizer`: rank a bug's suspicious lines from coverage spectra, stack traces or ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import FaultLocalizationError
from repair.fault_localization.collect import collect_coverage, load_mutation_report, mutation_cache_path
from repair.fault_localization.combined import COMBINED, METHODS, Ranked, needs_mutation, rank
from repair.fault_localization.evidence import Evidence
from repair.fault_localization.formulas import FORMULAS
from repair.fault_localization.matrix import CoverageMatrix, Line
from repair.fault_localization.mutant_runner import WarmMutantExecutor
from repair.fault_localization.mutation import MutantExecutor, MutantSource, MutationAnalysis, MutationBudget
from repair.fault_localization.ranking import combine
from repair.fault_localization.sources import SourceIndex
from repair.fault_localization.stack_trace import stack_scores
from repair.fault_localization.statement_kind import StatementKinds
from repair.runners import TestReport, TestRunner, make_test_runner
from repair.syntax import language_of

# (workspace, bug, the run's test runner) -> where mutants run; None when nowhere cheap enough.
ExecutorFactory = Callable[[Workspace, Bug, TestRunner | None], MutantExecutor | None]


def statement_kinds(lines: Iterable[Line], workspace: Workspace) -> dict[Line, str]:
    """The statement kind of each line (each file parsed once)."""
    kinds: dict[Line, str] = {}
    parsed: dict[str, StatementKinds | None] = {}
    for file, number in lines:
        if file not in parsed:
            language = language_of(file)
            parsed[file] = StatementKinds(language, workspace.read_file(file)) if language else None
        found = parsed[file]
        if found is not None:
            kinds[(file, number)] = found.kind(number)
    return kinds


@dataclass(frozen=True)
class Suspicious:
    """A suspicious line, with the scores of each signal that pointed at it."""

    file: str  # relative to the checkout root
    line: int  # 1-based
    method: str | None  # qualified name from repair.syntax, e.g. "POWER_SUM.power"
    score: float
    signals: dict[str, float] = field(default_factory=dict)
    kind: str | None = None  # the statement kind (statement_kind.py): condition, return, assignment ...

    def label(self) -> str:
        """`file:line (method)`, as prompts and hand-overs show it."""
        return f"{self.file}:{self.line} ({self.method or '?'})"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "method": self.method, "score": round(self.score, 6),
                "kind": self.kind, "signals": {k: round(v, 6) for k, v in self.signals.items()}}


class FaultLocalizer:
    """Fault localization from coverage spectra, stack traces, statement kinds and mutants, or perfect FL.

    `formula` picks the ranking: "combined" (the default: every signal, see `combined.py`), one
    spectrum formula ("ochiai", "dstar", "tarantula", "op2") with the stack-trace signal as before, or
    one mutation formula ("metallaxis", "muse"). Mutation needs `mutants` (a `MutantSource`; the layers
    above hand in the offline engine's templates) and a warm worker for the bug's tests; without them
    the combination ranks on the other signals and `notes` says so. `weights` maps a spectrum formula's
    and "stack"'s names to their share of a single formula's score (default: formula 1.0, stack 0.5).
    After `localize`, `notes` says what was used or skipped, `matrix` holds the coverage matrix, if one
    was collected, and `evidence` every per-line fact the ranking used.
    """

    def __init__(self, formula: str = COMBINED, perfect: bool = False, use_coverage: bool = True,
                 use_stack: bool = True, weights: dict[str, float] | None = None,
                 mutants: MutantSource | None = None, budget: MutationBudget | None = None,
                 executor: ExecutorFactory = WarmMutantExecutor.for_bug) -> None:
        if formula not in METHODS:
            raise FaultLocalizationError(f"unknown formula {formula!r}: use one of {', '.join(METHODS)}")
        self.formula = formula
        self.perfect = perfect
        self.use_coverage = use_coverage
        self.use_stack = use_stack
        self.weights = {"perfect": 1.0, "executed": 1.0, **(weights or {})}
        if "coverage" in self.weights and formula in FORMULAS:  # an alias for whichever formula is in use
            self.weights[formula] = self.weights.pop("coverage")
        self.mutants = mutants
        self.budget = budget or MutationBudget()
        self.executor = executor
        self.notes: list[str] = []
        self.matrix: CoverageMatrix | None = None
        self.evidence = Evidence()
        self.sources: SourceIndex | None = None

    def localize(self, bug: Bug, workspace: Workspace, runner: TestRunner | None = None,
                 baseline: TestReport | None = None) -> list[Suspicious]:
        """Suspicious non-test lines of `bug` in `workspace`, most suspicious first."""
        self.notes = []
        self.matrix = None
        self.evidence = Evidence()
        sources = self.sources = SourceIndex(bug, workspace)
        if self.perfect:
            return self._perfect(bug, sources)
        evidence = self.evidence
        if self.use_coverage:
            runner = runner or make_test_runner(workspace, bug.test_setup)
            try:
                self.matrix = collect_coverage(bug, workspace, runner, sources, baseline=baseline)
            except FaultLocalizationError as exc:
                self.notes.append(str(exc) if str(exc).startswith("no coverage") else f"no coverage: {exc}")
            if self.matrix is not None:
                self.notes.append(f"coverage of {len(self.matrix.tests)} tests ({self.matrix.tool}), "
                                  f"{len(self.matrix.failing)} failing")
                ranked = set(sources.files)
                evidence.coverage_seconds = self.matrix.seconds
                evidence.spectra = {line: spectrum for line, spectrum in self.matrix.spectra().items()
                                    if spectrum.ef > 0 and line[0] in ranked}
        if self.use_stack:
            evidence.stack = stack_scores(self._failing_traces(bug, workspace, runner, baseline), sources.resolve)
            self.notes.append(f"stack traces: {len(evidence.stack)} project lines")
        evidence.kinds = statement_kinds(evidence.lines, workspace)
        if needs_mutation(self.formula):
            self._mutate(bug, workspace, runner)
        suspects = self._suspicious(rank(evidence, self.formula, self.weights), sources)
        if not suspects and self.matrix is not None:
            suspects = self._executed_by_failing(sources)
        return suspects

    def _mutate(self, bug: Bug, workspace: Workspace, runner: TestRunner | None) -> None:
        """Mutation analysis of the lines the spectrum ranks first (Ochiai, with stack traces and statement
        kinds breaking its ties), from the cache when the sources have not changed; notes say why it did
        not run."""
        if self.matrix is None or not self.evidence.spectra:
            self.notes.append("mutation analysis skipped: it needs the coverage of failing tests")
            return
        if self.mutants is None:
            self.notes.append("mutation analysis skipped: no mutation operators were given")
            return
        if self.budget.mutants <= 0 or self.budget.lines <= 0:
            self.notes.append("mutation analysis skipped: the mutant budget is 0")
            return
        assert self.sources is not None
        order = [line for line, _score, _signals in rank(self.evidence, COMBINED)][: self.budget.lines]
        cache = mutation_cache_path(bug, self.sources, self.budget, order)
        report = load_mutation_report(workspace, cache)
        if report is not None:
            self.notes.append("mutation analysis: from the cache (the sources have not changed)")
        else:
            executor = self.executor(workspace, bug, runner)
            if executor is None:
                self.notes.append("mutation analysis skipped: no warm test worker for this test setup "
                                  "(a build per mutant would cost more than it tells)")
                return
            try:
                report = MutationAnalysis(self.mutants, executor, self.budget).run(
                    self.matrix, order, workspace.read_file)
            finally:
                executor.close()
            workspace.write_file(cache, json.dumps(report.to_dict()))
        self.evidence.mutation = report
        self.notes.append(report.summary())

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
        return self._suspicious([(line, score, {"executed": score}) for line, score in combine(
            {"executed": executed}, self.weights)], sources)

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
        return self._suspicious([(line, score, {"perfect": score}) for line, score in combine(
            {"perfect": lines}, self.weights)], sources)

    def _suspicious(self, ranked: Ranked, sources: SourceIndex) -> list[Suspicious]:
        return [Suspicious(file, line, sources.method_of(file, line), score, signals,
                           self.evidence.kinds.get((file, line)))
                for (file, line), score, signals in ranked]
