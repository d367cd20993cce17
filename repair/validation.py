"""`PatchValidator`: apply → compile → failing tests first → the rest → restore."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug
from repair.errors import PatchError, PatchRefusedError, WorkspaceError
from repair.patch import Patch, content_key
from repair.patch_rules import WorkspaceTree
from repair.runners import TestReport, TestRunner, make_test_runner
from repair.runners.worker_process import written
from repair.verdict_scope import TestSet, Unit, VerdictScope, describe_test_set, own_test_sets

# How a validation runs tests: (test ids or None for all, fail fast) -> report.
RunTests = Callable[[Sequence[str] | None, bool], TestReport]


@dataclass
class ValidationResult:
    """The verdict on one patch, with what a model or a reviewer needs to know about it."""

    status: str  # plausible | not-plausible | build-failed | apply-failed | refused
    message: str = ""
    diff: str = ""
    still_failing: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    failure_details: dict[str, str] = field(default_factory=dict)
    build_output: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False
    tests_run: int = 0
    scope: list[dict[str, Any]] = field(default_factory=list)  # the test sets the verdict ran (`TestSet`s)

    @property
    def plausible(self) -> bool:
        return self.status == "plausible"

    def scope_lines(self) -> list[str]:
        """One line per test set the verdict covers."""
        return [describe_test_set(s) for s in self.scope]

    def describe(self) -> str:
        """A short text for the model and the terminal."""
        if self.plausible:
            return f"plausible: all {len(self.fixed)} failing tests now pass and no passing test broke"
        if self.status == "refused":
            return self.message
        if self.status == "apply-failed":
            return f"the patch does not apply: {self.message}"
        if self.status == "build-failed":
            return f"not plausible: compilation failed\n{self.build_output[:3000]}"
        parts = ["not plausible"]
        if self.still_failing:
            parts.append(f"still failing: {', '.join(self.still_failing[:10])}")
        if self.regressions:
            parts.append(f"newly failing: {', '.join(self.regressions[:10])}")
        text = "; ".join(parts)
        for test, detail in list(self.failure_details.items())[:3]:
            text += f"\n- {test}: {detail[:400]}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "message": self.message, "diff": self.diff,
            "still_failing": self.still_failing, "regressions": self.regressions, "fixed": self.fixed,
            "notes": self.notes, "seconds": round(self.seconds, 3), "cached": self.cached, "scope": self.scope,
        }


class PatchValidator:
    """Decides whether a patch is plausible for a bug, leaving the workspace as it found it.

    Plausible means: it applies, it compiles, every failing test passes, and every test
    that passed before still passes: the bug's own tests, and the wider tests that can reach a
    file the patch changes (`VerdictScope`; shared between validators of one workspace by passing
    `scope`). Verdicts are cached by the patched contents, so a candidate written twice (in
    another format, or with other whitespace) is run once.
    """

    def __init__(self, workspace: Workspace, bug: Bug, runner: TestRunner | None = None,
                 baseline: TestReport | None = None, fail_fast: bool = True, relocate: bool = False,
                 scope: VerdictScope | None = None) -> None:
        self.workspace = workspace
        self.bug = bug
        self.runner = runner or make_test_runner(workspace, bug.test_setup)
        self._baseline = baseline
        self.fail_fast = fail_fast
        self.relocate = relocate
        self.cache: dict[str, ValidationResult] = {}
        self.rules = bug.patch_rules()
        self.scope = scope or VerdictScope(workspace, bug)

    def baseline(self) -> TestReport:
        """The full test run on the unpatched code (run once)."""
        if self._baseline is None:
            self._baseline = self.runner.run()
        return self._baseline

    def checked_patch(self, patch: Patch | str) -> Patch | ValidationResult:
        """The parsed patch, or the verdict on a patch that cannot be parsed or must be refused."""
        try:
            parsed = Patch.parse(patch) if isinstance(patch, str) else patch
            self.rules.check(parsed, WorkspaceTree(self.workspace))
        except PatchError as exc:
            return ValidationResult("refused" if isinstance(exc, PatchRefusedError) else "apply-failed",
                                    message=str(exc))
        return parsed

    def validate(self, patch: Patch | str, full: bool = True) -> ValidationResult:
        """Validate `patch`; with `full=False` only the failing tests are run."""
        start = time.monotonic()
        parsed = self.checked_patch(patch)
        if isinstance(parsed, ValidationResult):
            return parsed
        units: list[Unit] = []
        if full:
            self.baseline()  # on the unpatched code: a regression is only visible against it
            units = self.scope.prepare(parsed.changed_paths())  # so are the wider tests' baselines
        # The unpatched files, for a wider test's rerun on them (`VerdictScope.judge`): read only when one can run.
        originals = {path: self.workspace.read_file(path) if self.workspace.exists(path) else None
                     for path in parsed.changed_paths()} if units else {}
        snapshot = self.workspace.snapshot()
        try:
            try:
                applied = parsed.apply(self.workspace, relocate=self.relocate)
            except PatchError as exc:
                return ValidationResult("apply-failed", message=str(exc), seconds=time.monotonic() - start)
            except WorkspaceError as exc:  # e.g. a path that leaves the workspace through a symlink
                return ValidationResult("refused", message=f"refused: {exc}", seconds=time.monotonic() - start)
            key = content_key(applied.files) + (":full" if full else ":failing")
            if key in self.cache:
                hit = self.cache[key]
                return ValidationResult(**{**hit.__dict__, "cached": True, "notes": applied.notes})
            result = self._run_tests(full, units, wider=lambda u: self.scope.judge(
                u, lambda: written(self.workspace, originals)))
            result.diff = self.workspace.diff()
            result.notes = applied.notes
            result.seconds = time.monotonic() - start
            self.cache[key] = result
            return result
        finally:
            self.workspace.restore(snapshot)

    def _run_tests(self, full: bool, units: list[Unit] | None = None, run: RunTests | None = None,
                   rest: Callable[[TestReport], list[str] | None] | None = None,
                   wider: Callable[[Sequence[Unit]], tuple[list[str], dict[str, str], list[TestSet]]] | None = None,
                   ) -> ValidationResult:
        """Stage 1: the failing tests, stopping at the first that still fails; stage 2: the rest of the suite;
        stage 3: the wider `units` (`scope.judge`, or `wider`).

        `run` runs tests (the runner's build and run by default); `rest` names the tests of stage 2 in the
        order to run them, given the baseline (None: the whole suite, in the runner's order).
        """
        runs = 0

        def run_built(tests: Sequence[str] | None, fail_fast: bool) -> TestReport:
            nonlocal runs
            runs += 1
            return self.runner.run(tests=tests, fail_fast=fail_fast, build=runs == 1)  # stage 2 needs no build

        failing = list(self.bug.failing_tests)
        run = run or run_built
        baseline = self.baseline() if full else None
        first = run(failing or None, self.fail_fast)
        if not first.build_ok:
            return ValidationResult("build-failed", build_output=first.build_output, message="compilation failed")
        tests_run = len(first.results)
        still = [t for t in failing if t not in first.results or first.results[t].status.failed]
        if not failing:
            still = first.failing
        details = {t: first.results[t].message for t in still if t in first.results}
        if still or baseline is None:
            status = "not-plausible" if still else "plausible"
            return ValidationResult(status, still_failing=still, failure_details=details,
                                    fixed=[t for t in failing if t not in still], tests_run=tests_run,
                                    scope=_dicts(own_test_sets(self.bug, failing, first, None)))
        # Stage 2: the whole suite. Fail fast only when the baseline's other tests were all green,
        # since an unrelated red test would otherwise stop the run at once.
        others_green = not [t for t in baseline.failing if t not in failing]
        fail_fast = self.fail_fast and others_green
        names = rest(baseline) if rest is not None else None
        second = run(names, fail_fast) if names != [] else TestReport()
        tests_run += len(second.results)
        stopped_early = fail_fast and bool(second.failing)
        # A test that passed before and did not run at all (a collection error, a crashed run) is broken too.
        regressions = [t for t in baseline.passing
                       if (t in second.results and second.results[t].status.failed)
                       or (t not in second.results and not stopped_early)]
        # So is a failure the baseline never had, such as a module that no longer imports.
        regressions += [t for t in second.failing if t not in baseline.results and t not in regressions]
        details = {t: second.results[t].message if t in second.results else "did not run (was it collected?)"
                   for t in regressions}
        sets = own_test_sets(self.bug, failing, first, second)
        # Stage 3: the wider tests that can reach a changed file, once the bug's own tests are all right.
        if not regressions and units:
            wider_regressions, wider_details, wider_sets = (wider or self.scope.judge)(units)
            regressions, sets = wider_regressions, sets + wider_sets
            details.update(wider_details)
            tests_run += sum(s.ran for s in wider_sets)
        status = "not-plausible" if regressions else "plausible"
        return ValidationResult(status, regressions=regressions, failure_details=details, fixed=failing,
                                tests_run=tests_run, scope=_dicts(sets))


def _dicts(sets: list[TestSet]) -> list[dict[str, Any]]:
    return [s.to_dict() for s in sets]
