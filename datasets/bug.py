"""The `Bug` record and the `Dataset` protocol every benchmark adapter implements."""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from repair.containers.workspace import Workspace
from repair.patch_rules import PatchRules, files_named_by
from repair.runners.base import TestSetup


@dataclass(frozen=True)
class Location:
    """A line in a file (relative to the checkout root), 1-based."""

    file: str
    line: int


# Paths that hold tests in the layouts we know; patches that touch them are refused.
TEST_FILE_PATTERNS = (
    "test/*", "tests/*", "*/test/*", "*/tests/*", "src/test/*", "*_test.py", "test_*.py", "*/test_*.py",
    "*Test.java", "*Tests.java", "*_TEST.java", "*TestCase.java", "conftest.py", "*/conftest.py",
    "java_testcases/*", "python_testcases/*", "json_testcases/*",
)
# Files that decide how tests run or what Python loads at start-up: a patch there could make failing
# tests report success without touching the program, so they count as tests too.
TEST_CONFIG_PATTERNS = (
    "pytest.ini", "*/pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "*/pyproject.toml", "noxfile.py",
    "sitecustomize.py", "*/sitecustomize.py", "usercustomize.py", "*/usercustomize.py", "*.pth",
    "pom.xml", "*/pom.xml", "build.gradle", "*/build.gradle", "build.gradle.kts", "*/build.gradle.kts",
    "settings.gradle", "settings.gradle.kts", "gradle.properties", ".mvn/*", "Makefile", ".github/*",
)
DEFAULT_TEST_PATTERNS = TEST_FILE_PATTERNS + TEST_CONFIG_PATTERNS


@dataclass(frozen=True)
class WiderTests:
    """Tests beyond the bug's own setup that a patch can affect: they run before a patch is called plausible.

    With `units` ((run target, the file that holds it): a test class and its source file, a pytest file
    twice), a patch brings in the units that reach a file it changes, by coverage where it is known, else by
    static references. With no units the whole `setup` runs (a local repo's full suite). `setup` says how
    they run; a run of some units narrows it to them.
    """

    setup: TestSetup
    label: str
    units: tuple[tuple[str, str], ...] = ()


@dataclass
class Bug:
    """One bug: where its code is, how its tests run, and what is known about its fix."""

    id: str
    dataset: str
    language: str
    test_setup: TestSetup
    failing_tests: list[str] = field(default_factory=list)
    fix_patch: str | None = None
    buggy_locations: list[Location] = field(default_factory=list)
    description: str = ""
    program_files: list[str] = field(default_factory=list)
    test_patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    meta: dict[str, Any] = field(default_factory=dict)
    wider_tests: WiderTests | None = None

    @property
    def name(self) -> str:
        return self.id.split(":", 1)[-1]

    def is_test_path(self, rel_path: str) -> bool:
        """True when `rel_path` is a test file, which patches must not change."""
        return any(fnmatch.fnmatch(rel_path, pat) for pat in self.test_patterns)

    def patch_rules(self) -> PatchRules:
        """What a patch for this bug may change: its language's sources, outside tests and the test command."""
        command = str(self.meta.get("test_cmd") or self.test_setup.command or "")
        judged = files_named_by(command) | set(self.test_setup.test_files)
        if self.wider_tests is not None:  # a final suite judges too
            wider = self.wider_tests.setup
            judged |= files_named_by(wider.command or "") | set(wider.test_files)
        return PatchRules((self.language,), self.is_test_path, frozenset(judged), command)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["test_setup"] = asdict(self.test_setup)
        return data


class Dataset(Protocol):
    """A source of bugs: a benchmark checkout, the demo bugs, or a local repo."""

    name: str

    def list_bugs(self) -> list[Bug]: ...

    def get(self, bug_id: str) -> Bug:
        """The bug with this id (with or without the `dataset:` prefix); UnknownBugError if none."""
        ...

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        """Put the buggy version of `bug` into the (empty) `workspace`."""
        ...


@runtime_checkable
class FixedVersionDataset(Dataset, Protocol):
    """A dataset that can check out a bug's fixed version itself (rather than by applying `fix_patch`)."""

    def checkout_fixed(self, bug: Bug, workspace: Workspace) -> None:
        """Check the fixed version of `bug` out into `workspace`."""
        ...
