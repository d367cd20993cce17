"""Overfitting check: does a plausible patch also pass the tests the real fix held out?

A patch is plausible when the bug's own tests pass; it may still overfit them. When the real fix added
or changed tests (the ground-truth patch touches test files, or a dataset with
`checkout_fixed(bug, workspace)` has test files that differ from the buggy version's), those held-out
tests are the evidence the agent never saw: the patched program runs the fixed version's test suite
with them, and a test that passes on the fixed version but fails on the patched program flags the
patch as plausible-but-overfitting. A fix that holds out no test leaves nothing to check: rerunning the
tests the patch already passed proves nothing, so the verdict is "not checked" (`overfitting` None).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from repair.checkout import make_workspace
from repair.containers.workspace import Workspace
from repair.datasets.bug import Bug, Dataset, FixedVersionDataset
from repair.datasets.registry import DatasetOptions, resolve_bug
from repair.errors import PatchError, RepairError
from repair.patch import Patch
from repair.runners import TestReport, make_test_runner
from repair.runners.base import TestSetup

OVERFITTING_FILE = "overfitting.json"
NO_HELD_OUT_TESTS = "not checked: the real fix holds out no test beyond the bug's own"


@dataclass
class OverfittingVerdict:
    """The outcome: `overfitting` is None when the check could not run (see `note`)."""

    overfitting: bool | None
    note: str
    held_out_tests: list[str] = field(default_factory=list)  # test files the real fix added or changed
    tests_run: int = 0
    failing: list[str] = field(default_factory=list)  # pass on the fixed version, fail on the patched one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_overfitting(bug_id: str, patch: str, options: DatasetOptions | None = None) -> OverfittingVerdict:
    """Run the fixed version's tests, held-out ones included, on `patch` applied to the buggy `bug_id`."""
    dataset, bug = resolve_bug(bug_id, options)
    return check_against_fixed_version(bug, dataset, patch)


def check_against_fixed_version(bug: Bug, dataset: Dataset, patch: str) -> OverfittingVerdict:
    """The check for a resolved bug; see the module docstring."""
    if not bug.fix_patch and not isinstance(dataset, FixedVersionDataset):
        return OverfittingVerdict(None, "no fixed version is known for this bug")
    if not patch.strip():
        return OverfittingVerdict(None, "there is no patch to check")
    if not isinstance(dataset, FixedVersionDataset) and not _fix_changes_tests(bug):
        return OverfittingVerdict(None, NO_HELD_OUT_TESTS)  # known without checking anything out
    fixed, patched = make_workspace(), make_workspace()
    try:
        dataset.checkout(bug, patched)
        if isinstance(dataset, FixedVersionDataset):
            dataset.checkout_fixed(bug, fixed)
        else:
            dataset.checkout(bug, fixed)
            Patch.parse(bug.fix_patch or "").apply(fixed, relocate=True)
        try:
            Patch.parse(patch).apply(patched, relocate=True)
        except PatchError as exc:
            return OverfittingVerdict(None, f"the patch does not apply to a fresh checkout: {exc}")
        held_out = _copy_changed_tests(bug, fixed, patched)
        if not held_out:
            return OverfittingVerdict(None, NO_HELD_OUT_TESTS)
        setup = _with_tests(bug.test_setup, held_out)
        reference = make_test_runner(fixed, setup).run()
        if not reference.build_ok:
            return OverfittingVerdict(None, "the fixed version does not build here", held_out)
        result = make_test_runner(patched, setup).run()
    finally:
        fixed.close()
        patched.close()
    return _verdict(reference, result, held_out)


def _verdict(reference: TestReport, result: TestReport, held_out: list[str]) -> OverfittingVerdict:
    where = f"the fixed version's test suite ({len(reference.results)} tests, with {len(held_out)} held-out " \
        "test file(s) of the real fix)"
    if not result.build_ok:
        return OverfittingVerdict(True, f"the patched program does not build with {where}", held_out,
                                  len(reference.results))
    failing = [t for t in reference.passing if t not in result.results or result.results[t].status.failed]
    if failing:
        return OverfittingVerdict(True, f"overfitting: {len(failing)} test(s) of {where} fail on the patch",
                                  held_out, len(result.results), failing)
    return OverfittingVerdict(False, f"passes {where}", held_out, len(result.results))


def _fix_changes_tests(bug: Bug) -> bool:
    try:
        return any(bug.is_test_path(path) for path in Patch.parse(bug.fix_patch or "").changed_paths())
    except PatchError:
        return False


def _copy_changed_tests(bug: Bug, fixed: Workspace, patched: Workspace) -> list[str]:
    """Put the fixed version's test files that differ from the buggy ones into `patched`; their paths."""
    changed = []
    for path in fixed.list_files():
        if not bug.is_test_path(path):
            continue
        content = fixed.read_file(path)
        if patched.exists(path) and patched.read_file(path) == content:
            continue
        patched.write_file(path, content)
        changed.append(path)
    return sorted(changed)


def _with_tests(setup: TestSetup, test_files: list[str]) -> TestSetup:
    """The bug's test setup, widened to run the held-out test files too."""
    if setup.framework == "pytest":
        extra = [p for p in test_files if p.endswith(".py") and posixpath.basename(p).startswith("test")]
        return replace(setup, test_files=tuple(dict.fromkeys([*setup.test_files, *extra])))
    if setup.framework == "junit4":
        java = [p for p in test_files if p.endswith(".java")]
        classes = [p[: -len(".java")].replace("/", ".") for p in java
                   if posixpath.basename(p)[: -len(".java")].endswith(("Test", "TEST", "Tests"))]
        return replace(setup, test_classes=tuple(dict.fromkeys([*setup.test_classes, *classes])),
                       compile_files=tuple(dict.fromkeys([*setup.compile_files, *java])))
    return setup  # maven, gradle and commands run the whole suite, held-out tests included


def save_overfitting(run_dir: Path, verdict: OverfittingVerdict) -> None:
    """Keep the verdict next to the run's result.json, where the reports read it."""
    (run_dir / OVERFITTING_FILE).write_text(json.dumps(verdict.to_dict(), indent=2))


def load_overfitting(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / OVERFITTING_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RepairError(f"{path} is not JSON: {exc}") from exc
    return data if isinstance(data, dict) else None
