"""What a verdict covers: the bug's own tests, and the wider tests that a patch can affect.

A plausible verdict is only as wide as the tests it ran. The validator runs the failing tests and then
the bug's own suite; `VerdictScope` adds, for a patch that passed both, the bug's `wider_tests` that can
reach a file the patch changes: the units whose coverage touches it where coverage is known
(`learn_coverage`), else those whose static references reach it (`repair.references`), or a whole final
suite (a local repo whose test command selects a subset). Their baseline runs once per unit, on the
unpatched code, before the first patch that needs it is applied; after the patch only the tests that
passed then are run again, since a test that already failed cannot regress. A wider test that fails after
the patch is run once more on the unpatched code, in the same company: one that fails there too is flaky
(a hash order, a clock), is not the patch's doing, and is left out of this bug's wider tests from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from repair.containers.workspace import SCRATCH_DIR, Workspace
from repair.datasets.bug import Bug, WiderTests
from repair.references import ReferenceGraph, reference_graph
from repair.runners import TestReport, TestRunner, TestSetup, make_test_runner
from repair.syntax import language_of

WHOLE = ""  # the unit that stands for a whole final suite
SHOWN_TARGETS = 8  # test targets a one-line description names before it counts the rest


@dataclass
class TestSet:
    """One set of tests a verdict ran: what it is, why it ran, how many tests ran and which failed."""

    name: str
    targets: list[str]
    why: str
    ran: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # tests of the set that already failed before the patch (they cannot regress)
    flaky: list[str] = field(default_factory=list)  # failed after the patch, and on the unpatched code again

    __test__ = False  # not a pytest test class

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """`name (why): targets — N tests ran, M failed` for the model, the terminal and reports."""
        return describe_test_set(self.to_dict())


def describe_test_set(data: Mapping[str, Any]) -> str:
    """One line for a `TestSet.to_dict()` (as result.json keeps it)."""
    targets = list(data.get("targets") or [])
    shown = ", ".join(targets[:SHOWN_TARGETS]) + (f" (+{len(targets) - SHOWN_TARGETS})"
                                                  if len(targets) > SHOWN_TARGETS else "")
    failed = list(data.get("failed") or [])
    outcome = f"{data.get('ran', 0)} ran" + (f", {len(failed)} failed ({', '.join(failed[:3])})" if failed else "")
    if data.get("skipped"):
        outcome += f", {data['skipped']} already failing before (not rerun)"
    flaky = list(data.get("flaky") or [])
    if flaky:
        outcome += f", {len(flaky)} flaky (failed on the unpatched code too: {', '.join(flaky[:3])})"
    return f"{data.get('name')} [{data.get('why')}]: {shown or '-'} — {outcome}"


def setup_targets(setup: TestSetup) -> list[str]:
    """What a setup runs, by name: its test classes or files, else its command, else 'every test'."""
    named = list(setup.test_classes or setup.test_files)
    if named:
        return named
    return [f"`{setup.command}`"] if setup.command else [f"every {setup.framework} test"]


def owned_by(target: str, test: str) -> bool:
    """Whether `test` (an id) is one of the tests of the unit `target` (a test class or file)."""
    return test == target or test.startswith((target + "::", target + "["))


@dataclass(frozen=True)
class Unit:
    """Wider tests a patch brought in: a test class or file (or the whole final suite) and why."""

    target: str
    file: str
    why: str  # coverage | references | the whole suite


class VerdictScope:
    """The wider tests of one bug in one workspace: which a patch brings in, their baselines, their runs."""

    def __init__(self, workspace: Workspace, bug: Bug) -> None:
        self.workspace = workspace
        self.wider: WiderTests | None = bug.wider_tests
        self.coverage: dict[str, frozenset[str]] = {}  # unit target → files its tests executed
        self._graph: ReferenceGraph | None = None
        self._baselines: dict[str, TestReport] = {}  # unit target → its report on the unpatched code
        self._flaky: set[str] = set()  # tests seen failing on the unpatched code after passing there

    def runner(self, units: Sequence[Unit]) -> TestRunner:
        """A runner for these units: javac and pytest are given their files alone (javac finds what they use)."""
        assert self.wider is not None
        setup = self.wider.setup
        files = tuple(u.file for u in units if u.file)
        if files and setup.framework == "junit4":
            setup = replace(setup, compile_files=files, test_classes=tuple(u.target for u in units))
        elif files and setup.framework == "pytest":
            setup = replace(setup, test_files=files)
        return make_test_runner(self.workspace, setup)

    def learn_coverage(self, per_test: Mapping[str, Iterable[str]]) -> None:
        """Coverage of tests by id (`Class::method`, `file.py::test`): from now on it decides the units it covers."""
        if self.wider is None:
            return
        for target, _file in self.wider.units:
            files = {f for test, covered in per_test.items() if owned_by(target, test) for f in covered}
            if files:
                self.coverage[target] = frozenset(self.coverage.get(target, frozenset()) | files)

    def units_for(self, changed: Iterable[str]) -> list[Unit]:
        """The wider units that can reach a changed file (the whole final suite, when that is the scope)."""
        changed = {c for c in changed if c}
        if self.wider is None or not changed:
            return []
        if not self.wider.units:
            return [Unit(WHOLE, "", "the whole suite")]
        units = []
        for target, file in self.wider.units:
            if target in self.coverage:
                if self.coverage[target] & changed:
                    units.append(Unit(target, file, "coverage"))
            elif self.graph.reached_from(file) & changed:
                units.append(Unit(target, file, "references"))
        return units

    @property
    def graph(self) -> ReferenceGraph:
        """Static references among the workspace's source files (read once: patches are always reverted)."""
        if self._graph is None:
            files = [f for f in self.workspace.list_files((".java", ".py")) if not f.startswith(SCRATCH_DIR + "/")]
            self._graph = reference_graph({f: self.workspace.read_file(f) for f in files if language_of(f)})
        return self._graph

    def prepare(self, changed: Iterable[str]) -> list[Unit]:
        """The units a patch changing `changed` brings in, each with its baseline. Call it on the unpatched code."""
        units = self.units_for(changed)
        missing = [u for u in units if u.target not in self._baselines]
        if missing:
            report = self.runner(missing).run(tests=None if missing[0].target == WHOLE else [u.target for u in missing],
                                              fail_fast=False, build=True)
            for unit in missing:
                self._baselines[unit.target] = report
        return units

    def judge(self, units: Sequence[Unit], unpatched: Callable[[], AbstractContextManager[object]] | None = None,
              ) -> tuple[list[str], dict[str, str], list[TestSet]]:
        """Run the units on the patched code: (regressions, their failure details, the test sets it ran).

        `unpatched`: a context in which the workspace holds the unpatched code again; a regression is
        confirmed there (one that fails there too is flaky, not a regression).
        """
        if not units or self.wider is None:
            return [], {}, []
        passing = {u.target: self._passing(u) for u in units}
        rerun = sorted({t for tests in passing.values() for t in tests})
        whole = [u.target for u in units] == [WHOLE]
        before = self._baselines[units[0].target]
        runner = self.runner([u for u in units if passing[u.target]] or units)
        if whole:  # a final command cannot be narrowed to some of its tests; it stops early only when all passed
            report = runner.run(tests=None, fail_fast=not before.failing, build=True)
        elif rerun:
            report = runner.run(tests=rerun, fail_fast=True, build=True)
        else:
            report = TestReport()
        stopped = bool(report.failing)
        regressions: list[str] = []
        details: dict[str, str] = {}
        if not report.build_ok:
            regressions.append(f"<build of {self.wider.label}>")
            details[regressions[0]] = report.build_output[-2000:]
        for test in rerun:
            result = report.results.get(test)
            if (result is not None and result.status.failed) or (result is None and not stopped and report.build_ok):
                regressions.append(test)
                details[test] = result.message if result is not None else "did not run (was it collected?)"
        if whole:  # a failure the baseline never had, e.g. a module that no longer imports
            new = [t for t in report.failing if t not in before.results and t not in regressions]
            regressions += new
            details.update({t: report.results[t].message for t in new})
        flaky: list[str] = []
        failed_tests = [t for t in regressions if t in report.results]
        if failed_tests and unpatched is not None and report.build_ok:
            flaky = self._confirm(runner, rerun if not whole else None, failed_tests, unpatched)
            regressions = [t for t in regressions if t not in flaky]
        sets = [self._test_set(u, report, regressions, flaky) for u in units]
        return regressions, details, sets

    def _confirm(self, runner: TestRunner, tests: list[str] | None, failed: list[str],
                 unpatched: Callable[[], AbstractContextManager[object]]) -> list[str]:
        """Of the tests that `failed` after the patch, those that fail on the unpatched code too, run in the
        same company (`tests`) as after the patch; they are flaky from now on."""
        with unpatched():
            again = runner.run(tests=tests, fail_fast=False, build=True)
        if not again.build_ok:
            return []
        flaky = [t for t in failed if t in again.results and again.results[t].status.failed]
        self._flaky.update(flaky)
        return flaky

    def _passing(self, unit: Unit) -> list[str]:
        before = self._baselines[unit.target]
        return [t for t in before.passing
                if t not in self._flaky and (unit.target == WHOLE or owned_by(unit.target, t))]

    def _test_set(self, unit: Unit, report: TestReport, regressions: list[str], flaky: list[str]) -> TestSet:
        assert self.wider is not None
        if unit.target == WHOLE:
            ran = len(report.results)
            return TestSet(self.wider.label, setup_targets(self.wider.setup), unit.why, ran, list(regressions),
                           flaky=list(flaky))
        before = self._baselines[unit.target]
        owned = [t for t in before.results if owned_by(unit.target, t)]
        mine = self._passing(unit) + [t for t in flaky if t in owned]  # what ran, this run's flaky tests too
        return TestSet(self.wider.label, [unit.target], unit.why,
                       sum(1 for t in mine if t in report.results),
                       [t for t in regressions if t in mine], skipped=len([t for t in owned if t not in mine]),
                       flaky=[t for t in flaky if t in owned])


def own_test_sets(bug: Bug, failing: list[str], first: TestReport, second: TestReport | None) -> list[TestSet]:
    """The bug's own test sets of a verdict: its failing tests, then its whole suite (when it ran)."""
    sets = [TestSet("the failing tests", list(failing) or ["every test"], "the bug's failing tests",
                    len(first.results), list(first.failing))]
    if second is not None:
        sets.append(TestSet("the bug's tests", setup_targets(bug.test_setup), "the bug's test command",
                            len(second.results), list(second.failing)))
    return sets
