"""Mutation-based fault localization: Metallaxis-FL and MUSE over the top spectrum-ranked lines.

A line is suspicious when mutating it changes what the tests see. For each mutant of a line, the
tests that execute the line run against it (`MutantExecutor`, a warm worker) and are compared with
their outcome on the unmutated program:

- Metallaxis (Papadakis and Le Traon, STVR 2015): a test *kills* a mutant when its outcome changes
  (a failing test passes or fails differently, a passing test fails). A mutant's score is Ochiai over
  kills, failed(m) / sqrt(F * (failed(m) + passed(m))); a line's is the best of its mutants'.
- MUSE (Moon et al., ICST 2014): a mutant of the faulty line tends to make failing tests pass (f2p)
  and rarely makes passing tests fail (p2f); a mutant of a correct line the other way round. A line's
  score is the mean over its mutants of f2p(m)/f2p - alpha * p2f(m)/p2f, with f2p and p2f summed over
  every mutant and alpha = (f2p / F) / (p2f / P), which weighs the two kinds of change equally.

Mutants that do not compile (stillborn) carry no evidence and are not counted. The mutants come from a
`MutantSource` (the offline engine's fix templates, handed in by the layers above) and run within a
budget of mutants and of seconds; `MutationReport` says what was spent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from repair.errors import FaultLocalizationError
from repair.fault_localization.matrix import CoverageMatrix, Line
from repair.runners import TestReport, TestResult, TestStatus

# Families of mutation operators in the order they are drawn for a line: those that change a value or
# a decision on the line itself first (the classic MBFL operators: operator, condition and literal
# replacement), then those that change which value flows, then insertions and deletions around it.
FAMILY_ORDER = ("operator", "condition-negate", "literal", "boundary", "compound-assignment", "return", "variable",
                "method", "swap-arguments", "swap-operands", "shift-by-one", "expression-replace", "expression-reduce",
                "boolean-expression", "condition-drop-clause", "cast", "attribute", "square", "wrap-call",
                "collection-literal", "iterate-rest", "remove-statement", "base-case", "null-check", "emptiness-check",
                "range-check", "condition-add-clause", "insert-copied", "move-statement")
MESSAGE_CHARS = 300  # how much of a failure message tells two failures apart
STILLBORN_SLACK = 3  # mutants drawn per line: this many times the valid ones wanted (some do not compile);
# also how many of a line's mutants compile in one batch


@dataclass(frozen=True)
class Mutant:
    """One mutant of one line: the whole mutated file, and the operator that made it."""

    file: str
    line: int
    operator: str
    description: str
    text: str


class MutantSource(Protocol):
    """Makes mutants of a line (the offline engine's templates; any generator of small line edits)."""

    def mutants(self, file: str, text: str, line: int) -> list[Mutant]:
        """Mutants of `line` (1-based) of `file`, whose content is `text`; those that parse and differ."""
        ...


class MutantExecutor(Protocol):
    """Runs tests on the program with some files replaced, and restores them afterwards."""

    def run(self, files: Mapping[str, str], tests: Sequence[str], timeout: float | None = None) -> TestReport:
        """The report of `tests` with `files` (path -> content) in place; `timeout` is per test (None:
        the bug's own limit). A report with `build_ok=False` means the files do not compile."""
        ...

    def precompile(self, variants: Sequence[Mapping[str, str]]) -> None:
        """Compile many variants ahead (in one compiler run where the language allows), so that their runs
        only run tests; a no-op where nothing compiles."""
        ...

    def close(self) -> None:
        """Stop whatever worker the executor keeps."""
        ...


@dataclass(frozen=True)
class MutationBudget:
    """How much mutation analysis may cost: lines mutated, mutants in all and per line, and seconds."""

    lines: int = 20
    mutants: int = 40
    per_line: int = 3
    seconds: float = 20.0
    passing_tests: int = 20  # passing tests run per mutant, at most (those that execute the line)
    min_test_timeout: float = 0.25  # per-test limit for a mutant: this many times the slowest test of the
    timeout_factor: float = 5.0  # unmutated run, within [min_test_timeout, max_test_timeout] seconds
    max_test_timeout: float = 1.0  # (a mutant that makes a test loop is killed by it: no need to wait long)


@dataclass(frozen=True)
class MutantOutcome:
    """What one mutant did to the tests that ran against it."""

    mutant: Mutant
    stillborn: bool = False
    killed_failing: int = 0  # failing tests whose outcome changed (Metallaxis)
    killed_passing: int = 0  # passing tests that now fail (Metallaxis and MUSE's p2f)
    fixed_failing: int = 0  # failing tests that now pass (MUSE's f2p)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"file": self.mutant.file, "line": self.mutant.line, "operator": self.mutant.operator,
                "description": self.mutant.description, "stillborn": self.stillborn,
                "killed_failing": self.killed_failing, "killed_passing": self.killed_passing,
                "fixed_failing": self.fixed_failing, "seconds": round(self.seconds, 3)}


@dataclass
class MutationReport:
    """The mutants run, their outcomes, and what the analysis cost; `stopped` says why it ended."""

    outcomes: list[MutantOutcome] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # the lines chosen for mutation, in order
    failing: int = 0  # F: failing tests of the unmutated program
    passing: int = 0  # P: passing tests of the unmutated program
    seconds: float = 0.0
    stopped: str = ""  # "done", "mutant budget", "time budget"

    @property
    def valid(self) -> list[MutantOutcome]:
        return [o for o in self.outcomes if not o.stillborn]

    @property
    def informative(self) -> list[MutantOutcome]:
        """The valid mutants that some test tells apart from the program. A live mutant (no test's outcome
        changed) is an equivalent mutant or an effect no test observes: it says nothing about its line."""
        return [o for o in self.valid if o.killed_failing or o.killed_passing or o.fixed_failing]

    def summary(self) -> str:
        stillborn = len(self.outcomes) - len(self.valid)
        live = len(self.valid) - len(self.informative)
        return (f"mutation analysis: {len(self.valid)} mutants on {len({o.mutant.line for o in self.valid})} lines "
                f"({stillborn} did not compile, {live} no test told apart), {self.seconds:.1f}s, {self.stopped}")

    def metallaxis(self, killed_only: bool = False) -> dict[Line, float]:
        """Per mutated line: the best Metallaxis score of its mutants; with `killed_only`, only the lines
        with an informative mutant (one that some test kills), on those mutants."""
        scores: dict[Line, float] = {}
        for o in (self.informative if killed_only else self.valid):
            killed = o.killed_failing + o.killed_passing
            value = o.killed_failing / math.sqrt(self.failing * killed) if self.failing and killed else 0.0
            line = (o.mutant.file, o.mutant.line)
            scores[line] = max(scores.get(line, 0.0), value)
        return scores

    def muse(self) -> dict[Line, float]:
        """Per mutated line: MUSE's score (f2p and p2f of its mutants against all mutants' totals)."""
        valid = self.valid
        f2p = sum(o.fixed_failing for o in valid)
        p2f = sum(o.killed_passing for o in valid)
        # alpha weighs a fixed failing test against a broken passing one by how common each is.
        alpha = (f2p / self.failing) / (p2f / self.passing) if f2p and p2f and self.failing and self.passing else 1.0
        sums: dict[Line, float] = {}
        counts: dict[Line, int] = {}
        for o in valid:
            line = (o.mutant.file, o.mutant.line)
            value = (o.fixed_failing / f2p if f2p else 0.0) - alpha * (o.killed_passing / p2f if p2f else 0.0)
            sums[line] = sums.get(line, 0.0) + value
            counts[line] = counts.get(line, 0) + 1
        return {line: sums[line] / counts[line] for line in sums}

    def fixes(self, killed_only: bool = False) -> dict[Line, float]:
        """Per mutated line (with `killed_only`, per line with an informative mutant): the largest share of
        failing tests one of its mutants made pass."""
        out: dict[Line, float] = {}
        for o in (self.informative if killed_only else self.valid):
            line = (o.mutant.file, o.mutant.line)
            out[line] = max(out.get(line, 0.0), o.fixed_failing / self.failing if self.failing else 0.0)
        return out

    def told_apart(self) -> dict[Line, float]:
        """Per mutated line: the share of its valid mutants that some test tells apart from the program."""
        valid: dict[Line, int] = {}
        informative: dict[Line, int] = {}
        for o in self.valid:
            line = (o.mutant.file, o.mutant.line)
            valid[line] = valid.get(line, 0) + 1
        for o in self.informative:
            line = (o.mutant.file, o.mutant.line)
            informative[line] = informative.get(line, 0) + 1
        return {line: informative.get(line, 0) / n for line, n in valid.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "stopped": self.stopped, "failing": self.failing,
                "passing": self.passing, "lines": [[f, n] for f, n in self.lines],
                "mutants": [o.to_dict() for o in self.outcomes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MutationReport:
        """The report `to_dict` wrote (the mutants' texts are not kept)."""
        outcomes = [MutantOutcome(Mutant(str(m["file"]), int(m["line"]), str(m["operator"]), str(m["description"]),
                                         ""), bool(m["stillborn"]), int(m["killed_failing"]),
                                  int(m["killed_passing"]), int(m["fixed_failing"]), float(m["seconds"]))
                    for m in data["mutants"]]
        return cls(outcomes, [(str(f), int(n)) for f, n in data["lines"]], int(data["failing"]),
                   int(data["passing"]), float(data["seconds"]), str(data["stopped"]))


def _outcome_key(result: TestResult | None) -> tuple[bool, str]:
    """A test's outcome as Metallaxis compares them: passed or not, and how it failed. A timeout is a
    timeout whatever limit it ran under (the message names the limit, and mutants run under a shorter one)."""
    if result is None:
        return (True, "")
    if not result.status.failed:
        return (False, "")
    if result.status == TestStatus.TIMEOUT:
        return (True, str(result.status))
    return (True, f"{result.status}:{result.message.strip()[:MESSAGE_CHARS]}")


def order_mutants(mutants: Sequence[Mutant]) -> list[Mutant]:
    """One mutant of each operator family first (in FAMILY_ORDER), then the second of each, and so on."""
    by_family: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_family.setdefault(mutant.operator, []).append(mutant)
    families = sorted(by_family, key=lambda f: FAMILY_ORDER.index(f) if f in FAMILY_ORDER else len(FAMILY_ORDER))
    ordered: list[Mutant] = []
    depth = 0
    while len(ordered) < len(mutants):
        ordered.extend(by_family[f][depth] for f in families if depth < len(by_family[f]))
        depth += 1
    return ordered


class MutationAnalysis:
    """Runs mutants of the top-ranked lines against the tests that execute them."""

    def __init__(self, source: MutantSource, executor: MutantExecutor, budget: MutationBudget | None = None) -> None:
        self.source = source
        self.executor = executor
        self.budget = budget or MutationBudget()

    def run(self, matrix: CoverageMatrix, ranked_lines: Sequence[Line], read: Callable[[str], str]) -> MutationReport:
        """Mutate `ranked_lines` (best first; the first `budget.lines` of them), round by round: the
        first mutant of every line, then the second, until the budget is spent."""
        start = time.monotonic()
        budget = self.budget
        report = MutationReport(lines=list(ranked_lines[: budget.lines]))
        failing = sorted(t.test_id for t in matrix.failing)
        queues: dict[Line, list[Mutant]] = {}
        for file, number in report.lines:
            made = order_mutants(self.source.mutants(file, read(file), number))[: budget.per_line * STILLBORN_SLACK]
            if made:
                queues[(file, number)] = made
        tests_of = self._tests_per_line(matrix, list(queues), failing)
        everything = sorted({*failing, *(t for tests in tests_of.values() for t in tests)})
        if not queues or not failing:
            report.stopped = "nothing to mutate"
            report.seconds = time.monotonic() - start
            return report
        # The unmutated program in the same executor is what each mutant is compared with (its verdicts,
        # messages and times, not the coverage run's); a test it does not report is left out.
        try:
            reference = self._reference(failing, [t for t in everything if t not in failing])
        except FaultLocalizationError as exc:
            report.stopped = f"stopped: {exc}"
            report.seconds = time.monotonic() - start
            return report
        baseline = {t: _outcome_key(r) for t, r in reference.items() if t in everything}
        tests_of = {line: [t for t in tests if t in baseline] for line, tests in tests_of.items()}
        report.failing = sum(1 for failed, _ in baseline.values() if failed)
        report.passing = len(baseline) - report.failing
        if not report.failing:
            report.stopped = "no test fails in the mutation runner"
            report.seconds = time.monotonic() - start
            return report
        timeout = self._mutant_timeout(reference.values())
        report.stopped = "done"
        compiled: dict[Line, int] = {}
        for _round in range(budget.per_line):
            self._precompile(queues, compiled)
            for line, queue in queues.items():
                report.stopped = self._next_valid(line, queue, compiled, tests_of[line], baseline, timeout, report,
                                                  start)
                if report.stopped != "done":
                    break
            if report.stopped != "done":
                break
        report.seconds = time.monotonic() - start
        return report

    def _mutant_timeout(self, results: Iterable[TestResult]) -> float:
        """The per-test limit of a mutant's run: `timeout_factor` times the slowest test of the unmutated
        program, within [min_test_timeout, max_test_timeout], and never less than twice that test's time
        (so that a loaded machine does not kill mutants)."""
        budget = self.budget
        slowest = max((r.seconds for r in results if r.status != TestStatus.TIMEOUT), default=0.0)
        return min(max(budget.max_test_timeout, 2 * slowest),
                   max(budget.min_test_timeout, budget.timeout_factor * slowest))

    def _reference(self, failing: list[str], passing: list[str]) -> dict[str, TestResult]:
        """The unmutated program's results: the passing tests under the bug's own limit, then the failing ones
        under the longest limit a mutant could get from them. A failing test that runs past it (a fault
        that loops forever, common) would time out under every mutant that does not touch the loop too,
        so waiting the bug's whole limit for it, once per failing test, would buy nothing."""
        results = dict(self.executor.run({}, passing).results) if passing else {}
        slowest = max((r.seconds for r in results.values() if r.status != TestStatus.TIMEOUT), default=0.0)
        limit = max(self.budget.max_test_timeout, 2 * slowest)
        results.update(self.executor.run({}, failing, limit).results)
        return results

    def _precompile(self, queues: Mapping[Line, list[Mutant]], compiled: dict[Line, int]) -> None:
        """Compile the next STILLBORN_SLACK mutants of every line whose compiled ones are spent, in one go
        where the worker can (javac: one task for all). Batches, not every mutant drawn at once: most lines
        need two or three mutants before the budget is spent, and compiling is most of a Java mutant's cost."""
        batches = {line: queue[:STILLBORN_SLACK] for line, queue in queues.items() if queue and not compiled.get(line)}
        if batches:
            self.executor.precompile([{m.file: m.text} for batch in batches.values() for m in batch])
            compiled.update({line: len(batch) for line, batch in batches.items()})

    def _next_valid(self, line: Line, queue: list[Mutant], compiled: dict[Line, int], tests: list[str],
                    baseline: Mapping[str, tuple[bool, str]], timeout: float, report: MutationReport,
                    start: float) -> str:
        """Run the line's next mutants until one compiles (stillborn ones are cheap and do not count
        against the mutant budget); why the analysis must stop, or "done"."""
        while queue:
            if len(report.valid) >= self.budget.mutants:
                return "mutant budget"
            if time.monotonic() - start > self.budget.seconds:
                return "time budget"
            self._precompile({line: queue}, compiled)
            compiled[line] -= 1
            try:
                outcome = self._run_mutant(queue.pop(0), tests, baseline, timeout)
            except FaultLocalizationError as exc:
                return f"stopped: {exc}"
            report.outcomes.append(outcome)
            if outcome.stillborn:
                continue
            if outcome.fixed_failing == report.failing and not outcome.killed_passing:
                # A mutant that passes every test it ran is a plausible patch of that line: no
                # evidence the remaining mutants could add would rank another line above it.
                return f"a mutant of line {line[1]} passes every test"
            break
        return "done"

    def _tests_per_line(self, matrix: CoverageMatrix, lines: list[Line], failing: list[str]) -> dict[Line, list[str]]:
        """The failing tests and (up to the budget) the passing tests that execute each line."""
        out: dict[Line, list[str]] = {}
        for line in lines:
            covering = [t for t in matrix.tests.values() if line in t.lines]
            fails = [t.test_id for t in covering if t.failed] or failing
            passes = sorted(t.test_id for t in covering if not t.failed)[: self.budget.passing_tests]
            out[line] = sorted({*fails, *passes})
        return out

    def _run_mutant(self, mutant: Mutant, tests: list[str], baseline: Mapping[str, tuple[bool, str]],
                    timeout: float) -> MutantOutcome:
        start = time.monotonic()
        report = self.executor.run({mutant.file: mutant.text}, tests, timeout)
        if not report.build_ok:
            return MutantOutcome(mutant, stillborn=True, seconds=time.monotonic() - start)
        killed_failing = killed_passing = fixed = 0
        for test in tests:
            before = baseline[test]
            after = _outcome_key(report.results.get(test)) if test in report.results else (True, "not reported")
            if before[0]:
                if not after[0]:
                    fixed += 1
                if after != before:
                    killed_failing += 1
            elif after[0]:
                killed_passing += 1
        return MutantOutcome(mutant, False, killed_failing, killed_passing, fixed, time.monotonic() - start)
